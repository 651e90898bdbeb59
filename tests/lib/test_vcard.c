/* test_vcard.c — the vCard reader: unfolding, groups, parameters (quoted,
 * several values, RFC 6868), escaping, 2.1 quoted-printable with soft line
 * breaks and CHARSET, bare 2.1 parameters, PHOTO as base64 and as a data:
 * URI, distribution lists, several cards per input, errors with their line
 * numbers, every limit; the third-party .vcf files of the shared corpora
 * (which must be present: the test fails without them).  Then the writer
 * (escaping, folding at 75 octets without splitting a UTF-8 sequence, CRLF)
 * and the mapping to the contact fields, both ways, in 3.0 and 4.0. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#include "arena.h"
#include "model.h"
#include "vcard.h"

#define CORPORA ATRIUM_SRC_DIR "/../shared/corpora"

/* ---- helpers ----------------------------------------------------------------- */

static at_arena *arena;

static int setup(void **state)
{
	(void)state;
	arena = at_arena_new(0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	at_arena_free(&arena);
	return 0;
}

/* Parses s, which must give no whole-input error. */
static at_vcard_list parse(const char *s)
{
	at_vcard_list list;
	at_error err;
	at_error_clear(&err);
	if (at_vcard_parse(s, strlen(s), arena, &list, &err) < 0)
		fail_msg("parse refused the input: %s", err.message);
	return list;
}

/* Parses s, which must hold exactly one good card. */
static const at_vcard *one(const char *s)
{
	const at_vcard *card;
	at_error err;
	at_error_clear(&err);
	if (at_vcard_parse_one(s, strlen(s), arena, &card, &err) < 0)
		fail_msg("%s\n--- input:\n%s", err.message, s);
	return card;
}

static const at_vcard_prop *prop(const at_vcard *card, const char *name)
{
	const at_vcard_prop *p = at_vcard_prop_get(card, name);
	if (p == NULL)
		fail_msg("no %s in the card", name);
	return p;
}

static char *slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s: the shared corpora must be present", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len_r = (size_t)n;
	return buf;
}

/* ---- reading ------------------------------------------------------------------- */

static void test_basic_card(void **state)
{
	(void)state;
	const at_vcard *c = one("BEGIN:VCARD\r\n"
				"VERSION:4.0\r\n"
				"FN:Ada Lovelace\r\n"
				"N:Lovelace;Ada;;Countess;\r\n"
				"item1.EMAIL;TYPE=work;PREF=1:ada@example.org\r\n"
				"item1.X-ABLabel:work\r\n"
				"END:VCARD\r\n");
	assert_int_equal(c->version, AT_VCARD_V40);
	assert_false(c->version_missing);
	assert_int_equal(c->kind, AT_VCARD_INDIVIDUAL);
	assert_int_equal(c->line, 1);
	assert_int_equal(c->end_line, 7);
	assert_int_equal(c->n_props, 4);
	const at_vcard_prop *e = prop(c, "EMAIL");
	assert_string_equal(e->group, "item1");
	assert_int_equal(e->line, 5);
	assert_string_equal(e->value, "ada@example.org");
	assert_string_equal(e->raw, "item1.EMAIL;TYPE=work;PREF=1:ada@example.org");
	assert_true(at_vcard_param_has(e, "TYPE", "WORK"));
	assert_true(at_vcard_param_has(e, "PREF", "1"));
	assert_false(at_vcard_param_has(e, "TYPE", "home"));
	assert_null(prop(c, "FN")->group);
	/* names are upper-cased, so a lower-case group member is found */
	assert_string_equal(c->props[3].name, "X-ABLABEL");
	assert_string_equal(c->props[3].group, "item1");
}

static void test_unfolding(void **state)
{
	(void)state;
	/* CRLF + space, LF + tab, a fold inside a UTF-8 sequence, a fold in
	 * the middle of a parameter */
	const at_vcard *c = one("BEGIN:VCARD\n"
				"VERSION:3.0\n"
				"FN:Jo\r\n"
				" hn\r\n"
				"\tny\n"
				"NOTE:caf\xc3\r\n"
				" \xa9 au lait\n"
				"TEL;TY\n"
				" PE=work:+1\n"
				"END:VCARD\n");
	assert_string_equal(prop(c, "FN")->value, "Johnny");
	assert_string_equal(prop(c, "FN")->raw, "FN:Johnny");
	assert_string_equal(prop(c, "NOTE")->value, "caf\xc3\xa9 au lait");
	assert_int_equal(prop(c, "NOTE")->line, 6);
	assert_true(at_vcard_param_has(prop(c, "TEL"), "TYPE", "work"));
	assert_int_equal(prop(c, "TEL")->line, 8);
	/* a byte order mark and empty lines are skipped; no final line break */
	c = one("\xEF\xBB\xBF\r\nBEGIN:vcard\r\n\r\nVERSION: 3.0 \r\nFN:x\r\nend:VCARD");
	assert_int_equal(c->version, AT_VCARD_V30);
	assert_int_equal(c->line, 2);
	/* found by fuzz_vcard: only a real quoted-printable property has soft
	 * line breaks; a parameter that merely mentions it does not, so a fold
	 * after "=" is a fold */
	c = one("BEGIN:VCARD\r\nVERSION:3.0\r\nFN;X-ENC=QUOTED-PRINTABLE:ab=\r\n cd\r\n"
		"NOTE;ENCODING=8BIT;QUOTED-PRINTABLE:x=\r\n y\r\n"
		"X-A;X-B=\"QUOTED-PRINTABLE\":1=\r\n 2\r\nEND:VCARD\r\n");
	assert_string_equal(prop(c, "FN")->value, "ab=cd");
	assert_string_equal(prop(c, "NOTE")->value, "x=y");
	assert_string_equal(prop(c, "X-A")->value, "1=2");
}

static void test_escaping(void **state)
{
	(void)state;
	const at_vcard *c = one("BEGIN:VCARD\r\nVERSION:3.0\r\n"
				"FN:a\\,b\\;c\\\\d\\ne\\Nf\\xg\\\r\nEND:VCARD\r\n");
	const at_vcard_prop *fn = prop(c, "FN");
	assert_string_equal(fn->value, "a\\,b\\;c\\\\d\\ne\\Nf\\xg\\");
	assert_string_equal(at_vcard_unescape(fn->value, arena), "a,b;c\\d\ne\nf\\xg\\");
}

static void test_parameters(void **state)
{
	(void)state;
	const at_vcard *c = one(
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n"
		"TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102\r\n"
		"ADR;LABEL=\"Mr. John ^'Q^' Public^n123 Main; Suite 4: A,B\";TYPE=home,work:;;1 Main;;;;\r\n"
		"X-FOO;X-EMPTY=;X-A=1,2,\"3,4\";x-lower=^^caret:v\r\n"
		"END:VCARD\r\n");
	const at_vcard_prop *tel = prop(c, "TEL");
	assert_string_equal(tel->value, "tel:+1-418-656-9254;ext=102");
	const at_vcard_param *t = at_vcard_param_get(tel, "TYPE");
	assert_non_null(t);
	assert_int_equal(t->n_values, 2);
	assert_string_equal(t->values[0], "work");
	assert_string_equal(t->values[1], "voice");
	const at_vcard_prop *adr = prop(c, "ADR");
	const at_vcard_param *label = at_vcard_param_get(adr, "LABEL");
	assert_int_equal(label->n_values, 1);
	assert_string_equal(label->values[0], "Mr. John \"Q\" Public\n123 Main; Suite 4: A,B");
	assert_int_equal(at_vcard_param_get(adr, "TYPE")->n_values, 2);
	const at_vcard_prop *x = prop(c, "X-FOO");
	assert_int_equal(x->n_params, 3);
	assert_int_equal(at_vcard_param_get(x, "X-EMPTY")->n_values, 1);
	assert_string_equal(at_vcard_param_get(x, "X-EMPTY")->values[0], "");
	const at_vcard_param *xa = at_vcard_param_get(x, "X-A");
	assert_int_equal(xa->n_values, 3);
	assert_string_equal(xa->values[2], "3,4");
	assert_string_equal(at_vcard_param_get(x, "X-LOWER")->values[0], "^caret");
	assert_string_equal(x->raw, "X-FOO;X-EMPTY=;X-A=1,2,\"3,4\";x-lower=^^caret:v");
}

static void test_v21_outlook(void **state)
{
	(void)state;
	/* As Outlook writes it: bare types, QUOTED-PRINTABLE with soft line
	 * breaks (the continuation is not indented), CHARSET, windows-1252 */
	const at_vcard *c = one(
		"BEGIN:VCARD\r\n"
		"VERSION:2.1\r\n"
		"N;LANGUAGE=de;CHARSET=Windows-1252:M\xfcller;J\xfcrgen\r\n"
		"FN;CHARSET=utf-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n"
		"TEL;WORK;VOICE:+49 30 1234\r\n"
		"TEL;PREF;HOME;FAX:+49 30 5678\r\n"
		"NOTE;ENCODING=QUOTED-PRINTABLE:first line=0D=0Asecond =\r\n"
		"line, long=3D=\r\n"
		"ok\r\n"
		"ADR;WORK;QUOTED-PRINTABLE:;;Stra=DFe 1=0D=0AHof;Berlin\r\n"
		"LABEL;WORK:caf\xe9\r\n"
		"END:VCARD\r\n");
	assert_int_equal(c->version, AT_VCARD_V21);
	assert_string_equal(prop(c, "N")->value, "M\xc3\xbcller;J\xc3\xbcrgen");
	assert_string_equal(prop(c, "N")->raw, "N;LANGUAGE=de:M\xc3\xbcller;J\xc3\xbcrgen");
	assert_string_equal(prop(c, "FN")->value, "J\xc3\xbcrgen M\xc3\xbcller");
	const at_vcard_prop *tel = prop(c, "TEL");
	assert_true(at_vcard_param_has(tel, "TYPE", "WORK"));
	assert_true(at_vcard_param_has(tel, "TYPE", "VOICE"));
	assert_string_equal(tel->raw, "TEL;TYPE=WORK,VOICE:+49 30 1234");
	const at_vcard_prop *note = prop(c, "NOTE");
	assert_string_equal(note->value, "first line\r\nsecond line, long=ok");
	assert_string_equal(note->raw, "NOTE:first line\\nsecond line, long=ok");
	assert_int_equal(note->line, 7);
	const at_vcard_prop *adr = prop(c, "ADR");
	assert_int_equal(adr->line, 10);
	/* no CHARSET: ISO-8859-1 bytes read as windows-1252 */
	assert_string_equal(adr->value, ";;Stra\xc3\x9f" "e 1\r\nHof;Berlin");
	assert_string_equal(prop(c, "LABEL")->value, "caf\xc3\xa9");
	assert_string_equal(prop(c, "LABEL")->raw, "LABEL;TYPE=WORK:caf\xc3\xa9");
	/* a charset through iconv */
	c = one("BEGIN:VCARD\r\nVERSION:2.1\r\nN:x\r\n"
		"NOTE;CHARSET=ISO-8859-7;ENCODING=QUOTED-PRINTABLE:=E1=E2\r\nEND:VCARD\r\n");
	assert_string_equal(prop(c, "NOTE")->value, "\xce\xb1\xce\xb2");
}

static const char photo_bytes[] = "\x89PNG\r\n\x1a\n\0\x01\x02\xff";
#define PHOTO_LEN 12

static void test_photo(void **state)
{
	(void)state;
	/* 3.0 base64, folded */
	const at_vcard *c = one("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:p\r\n"
				"PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoA\r\n AQL/\r\nEND:VCARD\r\n");
	assert_int_equal(c->photo_len, PHOTO_LEN);
	assert_memory_equal(c->photo, photo_bytes, PHOTO_LEN);
	assert_string_equal(c->photo_type, "PNG");
	assert_string_equal(prop(c, "PHOTO")->raw, "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoAAQL/");
	/* 4.0 data: URI */
	c = one("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:p\r\n"
		"PHOTO:data:image/png;base64,iVBORw0KGgoAAQL/\r\nEND:VCARD\r\n");
	assert_int_equal(c->photo_len, PHOTO_LEN);
	assert_memory_equal(c->photo, photo_bytes, PHOTO_LEN);
	assert_string_equal(c->photo_type, "image/png");
	assert_null(c->photo_uri);
	/* a data: URI without base64, %-escaped */
	c = one("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:p\r\n"
		"LOGO:data:text/plain;charset=utf-8,a%20b\r\n"
		"PHOTO:http://example.com/p.jpg\r\nEND:VCARD\r\n");
	assert_int_equal(prop(c, "LOGO")->bin_len, 3);
	assert_memory_equal(prop(c, "LOGO")->bin, "a b", 3);
	assert_string_equal(prop(c, "LOGO")->bin_type, "text/plain");
	assert_null(c->photo);
	assert_string_equal(c->photo_uri, "http://example.com/p.jpg");
	/* 2.1 BASE64: indented lines, ended by an empty line */
	c = one("BEGIN:VCARD\r\nVERSION:2.1\r\nN:p\r\n"
		"PHOTO;TYPE=JPEG;ENCODING=BASE64:\r\n"
		"    iVBORw0K\r\n"
		"    GgoAAQL/\r\n"
		"\r\n"
		"END:VCARD\r\n");
	assert_int_equal(c->photo_len, PHOTO_LEN);
	assert_memory_equal(c->photo, photo_bytes, PHOTO_LEN);
	assert_string_equal(prop(c, "PHOTO")->raw, "PHOTO;TYPE=JPEG;ENCODING=b:iVBORw0KGgoAAQL/");
	/* without padding */
	c = one("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:p\r\nKEY;ENCODING=b:QQ\r\nEND:VCARD\r\n");
	assert_int_equal(prop(c, "KEY")->bin_len, 1);
}

static void test_lists(void **state)
{
	(void)state;
	const at_vcard *c = one("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Team\r\n"
				"MEMBER:urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af\r\n"
				"MEMBER:mailto:subscriber1@example.com\r\nEND:VCARD\r\n");
	assert_true(at_vcard_is_list(c));
	assert_int_equal(c->n_members, 2);
	assert_string_equal(c->members[1], "mailto:subscriber1@example.com");
	c = one("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Friends\r\nN:Friends;;;;\r\n"
		"X-ADDRESSBOOKSERVER-KIND:group\r\n"
		"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:1\r\nEND:VCARD\r\n");
	assert_true(at_vcard_is_list(c));
	assert_int_equal(c->n_members, 1);
	c = one("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:ACME\r\nEND:VCARD\r\n");
	assert_false(at_vcard_is_list(c));
	assert_int_equal(c->kind, AT_VCARD_ORG);
}

static void test_several_cards(void **state)
{
	(void)state;
	at_vcard_list l = parse("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:one\r\nEND:VCARD\r\n"
				"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:two\r\nTEL;=x:1\r\nEND:VCARD\r\n"
				"\r\n"
				"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:three\r\nEND:VCARD\r\n"
				"junk\r\nmore junk\r\n"
				"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:four\r\n"
				"BEGIN:VCARD\r\nVERSION:2.1\r\nN:five\r\nEND:VCARD\r\n"
				"BEGIN:VCARD\r\nFN:six\r\n");
	assert_int_equal(l.n_cards, 7);
	assert_int_equal(l.n_errors, 4);
	assert_null(l.cards[0].error_code);
	assert_string_equal(l.cards[1].error_message, "line 8: TEL: parameter without a name");
	assert_string_equal(l.cards[1].error_code, AT_E_INVALID_FIELD);
	assert_int_equal(l.cards[1].line, 5);
	assert_string_equal(at_vcard_prop_get(&l.cards[2], "FN")->value, "three");
	assert_string_equal(l.cards[3].error_message,
			    "line 15: text outside a card (BEGIN:VCARD expected)");
	assert_int_equal(l.cards[3].end_line, 16);
	assert_string_equal(l.cards[4].error_message,
			    "line 17: END:VCARD missing before the BEGIN:VCARD of line 20");
	assert_int_equal(l.cards[5].version, AT_VCARD_V21);
	assert_string_equal(l.cards[6].error_message, "line 24: the card has no END:VCARD");
	at_error err;
	assert_int_equal(at_vcard_card_error(&l.cards[1], &err), -1);
	assert_string_equal(err.code, AT_E_INVALID_FIELD);
	assert_string_equal(err.message, "line 8: TEL: parameter without a name");

	/* parse_one wants exactly one good card */
	const at_vcard *c;
	const char *two = "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:b\r\nEND:VCARD\r\n";
	assert_int_equal(at_vcard_parse_one(two, strlen(two), arena, &c, &err), -1);
	assert_string_equal(err.message, "line 4: a second card where one was expected");
	assert_int_equal(at_vcard_parse_one("", 0, arena, &c, &err), -1);
	assert_null(c);
	/* no VERSION (Evolution's own files): 3.0 rules, N or FN */
	c = one("BEGIN:VCARD\r\nN:Morrison;Jim\r\nTEL;HOME:1 800 ELEPHANT\r\nEND:VCARD\r\n");
	assert_true(c->version_missing);
	assert_int_equal(c->version, AT_VCARD_V30);
	/* bare parameters are rewritten as TYPE=, which 4.0 also reads (found
	 * by fuzz_vcard: such a line kept in vcardExtra made a bad 4.0 card) */
	assert_string_equal(prop(c, "TEL")->raw, "TEL;TYPE=HOME:1 800 ELEPHANT");
}

/* Bad input: the error code and the whole message, line number first. */
static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *body;   /* lines 3.. of a card that starts BEGIN, VERSION:4.0 */
		const char *message;
	} cases[] = {
		{"FN:x\r\n;TYPE=x:y\r\n", "line 4: property without a name"},
		{"FN:x\r\n:y\r\n", "line 4: property without a name"},
		{"FN:x\r\nTE L:1\r\n", "line 4: invalid character in the property name TE"},
		{"FN:x\r\nTEL\r\n", "line 4: TEL without ':' and a value"},
		{"FN:x\r\nTEL;=work:1\r\n", "line 4: TEL: parameter without a name"},
		{"FN:x\r\nTEL;;TYPE=work:1\r\n", "line 4: TEL: empty parameter"},
		{"FN:x\r\nTEL;TY*PE=work:1\r\n", "line 4: TEL: invalid parameter name"},
		{"FN:x\r\nTEL;WORK:1\r\n", "line 4: TEL: parameter WORK without a value"},
		{"FN:x\r\nTEL;TYPE=\"work:1\r\n", "line 4: TEL: parameter TYPE: quote not closed"},
		{"FN:x\r\nTEL;TYPE=wo\"rk\":1\r\n", "line 4: TEL: parameter TYPE: '\"' inside a value"},
		{"FN:x\r\nTEL;TYPE=work\r\n", "line 4: TEL: ':' expected after the parameters"},
		{"FN:x\r\nNOTE:a\x01z\r\n", "line 4: NOTE: control character U+0001 in the value"},
		{"FN:x\r\nNOTE:a\x7fz\r\n", "line 4: NOTE: control character U+007F in the value"},
		{"FN:x\r\nNOTE:a\rz\r\n", "line 4: NOTE: control character U+000D in the value"},
		{"FN:x\r\nNOTE;X-P=a\x02:z\r\n", "line 4: NOTE: control character U+0002 in a parameter value"},
		{"FN:x\r\nNOTE:caf\xe9\r\n", "line 4: NOTE: the value is not valid UTF-8"},
		{"FN:x\r\nNOTE:\xc0\xaf\r\n", "line 4: NOTE: the value is not valid UTF-8"},
		{"FN:x\r\nNOTE:\xed\xa0\x80\r\n", "line 4: NOTE: the value is not valid UTF-8"},
		{"FN:x\r\nNOTE;X-P=\xff:z\r\n", "line 4: NOTE: a parameter value is not valid UTF-8"},
		{"FN:x\r\nNOTE;ENCODING=QUOTED-PRINTABLE:=4\r\n",
		 "line 4: NOTE: invalid quoted-printable"},
		{"FN:x\r\nNOTE;ENCODING=QUOTED-PRINTABLE:=00\r\n",
		 "line 4: NOTE: control character U+0000 in the value"},
		{"FN:x\r\nNOTE;ENCODING=x-gzip:z\r\n", "line 4: NOTE: unknown ENCODING \"x-gzip\""},
		{"FN:x\r\nNOTE;CHARSET=x-nothing:z\r\n",
		 "line 4: NOTE: the value is not valid x-nothing text (or the charset is unknown)"},
		{"FN:x\r\nPHOTO;ENCODING=b:iVBO*\r\n", "line 4: PHOTO: invalid base64"},
		{"FN:x\r\nPHOTO;ENCODING=b:iVBOR\r\n", "line 4: PHOTO: invalid base64"},
		{"FN:x\r\nPHOTO;ENCODING=b:iV==BOR\r\n", "line 4: PHOTO: invalid base64"},
		{"FN:x\r\nPHOTO:data:image/png;base64\r\n",
		 "line 4: PHOTO: data: URI without ','"},
		{"FN:x\r\nPHOTO:data:image/png;base64,***\r\n",
		 "line 4: PHOTO: invalid base64 in the data: URI"},
		{"FN:x\r\nPHOTO:data:text/plain,%4\r\n",
		 "line 4: PHOTO: invalid %-escape in the data: URI"},
		{"FN:x\r\nVERSION:4.0\r\n", "line 4: VERSION given twice"},
		{"N:x\r\n", "line 1: the card has no FN (required in vCard 4.0)"},
		/* found by fuzz_vcard: END that is not END:VCARD, a grouped VERSION */
		{"FN:x\r\nEND:VCds;;;;\r\n", "line 4: END inside a card that is not END:VCARD"},
		{"FN:x\r\nBEGIN:VCALENDAR\r\n",
		 "line 4: BEGIN inside a card that is not BEGIN:VCARD"},
		{"FN:x\r\nitem1.VERSION:4.0\r\n", "line 4: VERSION in a group"},
		{"FN:x\r\nEMAIL:a\r\n b\r\nX-Y:1\r\nNOTE\r\n", "line 7: NOTE without ':' and a value"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char *in = at_arena_printf(arena, "BEGIN:VCARD\r\nVERSION:4.0\r\n%sEND:VCARD\r\n",
					   cases[i].body);
		at_vcard_list l = parse(in);
		check(l.n_cards == 1 && l.n_errors == 1, "case %zu accepted:\n%s", i, in);
		check(strcmp(l.cards[0].error_message, cases[i].message) == 0,
		      "case %zu: \"%s\", expected \"%s\"", i, l.cards[0].error_message,
		      cases[i].message);
		check(strcmp(l.cards[0].error_code, AT_E_INVALID_FIELD) == 0, "case %zu: %s", i,
		      l.cards[0].error_code);
	}
	/* found by fuzz_vcard: a NUL in a parameter value went unnoticed */
	static const char nul[] = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nTEL;TYPE=a\0b:1\r\n"
				  "END:VCARD\r\n";
	at_vcard_list nl;
	at_error nerr;
	assert_int_equal(at_vcard_parse(nul, sizeof(nul) - 1, arena, &nl, &nerr), 0);
	assert_int_equal(nl.n_errors, 1);
	assert_string_equal(nl.cards[0].error_message,
			    "line 4: TEL: control character U+0000 in a parameter value");
	static const struct {
		const char *input, *message;
	} whole[] = {
		{"BEGIN:VCARD\r\nVERSION:5.0\r\nFN:x\r\nEND:VCARD\r\n",
		 "line 2: unsupported vCard version (2.1, 3.0 and 4.0 are read)"},
		{"BEGIN:VCARD\r\nVERSION:3.0\r\nN:x;y\r\nEND:VCARD\r\n",
		 "line 1: the card has no FN (required in vCard 3.0)"},
		{"BEGIN:VCARD\r\nVERSION:2.1\r\nTEL:1\r\nEND:VCARD\r\n",
		 "line 1: the card has neither N nor FN"},
		{"BEGIN:VCARD\r\nEMAIL:a@b\r\nEND:VCARD\r\n", "line 1: the card has neither N nor FN"},
		/* found by fuzz_vcard: a card without properties (UBSan: memcpy from NULL) */
		{"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n",
		 "line 1: the card has no FN (required in vCard 3.0)"},
		{"BEGIN:VCARD\r\nEND:VCARD\r\n", "line 1: the card has neither N nor FN"},
		{"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
		 "line 1: text outside a card (BEGIN:VCARD expected)"},
		/* 2.1 soft line break swallowing END:VCARD */
		{"BEGIN:VCARD\r\nVERSION:2.1\r\nN:x\r\nNOTE;QUOTED-PRINTABLE:a=\r\nEND:VCARD\r\n",
		 "line 1: the card has no END:VCARD"},
	};
	for (size_t i = 0; i < N_ELEMS(whole); i++) {
		at_vcard_list l = parse(whole[i].input);
		check(l.n_errors == 1, "whole %zu accepted", i);
		check(strcmp(l.cards[0].error_message, whole[i].message) == 0,
		      "whole %zu: \"%s\", expected \"%s\"", i, l.cards[0].error_message,
		      whole[i].message);
	}
}

/* Builds a card with FN and then body. */
static char *card_with(const char *body)
{
	return at_arena_printf(arena, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n%sEND:VCARD\r\n",
			       body);
}

static void expect_limit(const char *input, size_t len, const char *message)
{
	at_vcard_list l;
	at_error err;
	at_error_clear(&err);
	if (at_vcard_parse(input, len, arena, &l, &err) < 0) {
		check(strcmp(err.code, AT_E_LIMIT) == 0, "code %s", err.code);
		check(strcmp(err.message, message) == 0, "\"%s\", expected \"%s\"", err.message,
		      message);
		return;
	}
	check(l.n_errors == 1, "limit not enforced: %s", message);
	check(strcmp(l.cards[0].error_code, AT_E_LIMIT) == 0, "code %s",
	      l.cards[0].error_code);
	check(strcmp(l.cards[0].error_message, message) == 0, "\"%s\", expected \"%s\"",
	      l.cards[0].error_message, message);
}

static void test_limits(void **state)
{
	(void)state;
	at_buf b;
	char msg[200];

	/* the whole input: refused before it is read */
	snprintf(msg, sizeof(msg), "the vCard input has %u bytes, the limit is %u",
		 AT_VCARD_MAX_INPUT + 1, AT_VCARD_MAX_INPUT);
	expect_limit("BEGIN:VCARD\r\n", (size_t)AT_VCARD_MAX_INPUT + 1, msg);

	/* cards per input: the limit passes, one more is refused */
	at_buf_init(&b, 0);
	for (unsigned i = 0; i < AT_VCARD_MAX_CARDS; i++)
		at_buf_puts(&b, "BEGIN:VCARD\nFN:x\nEND:VCARD\n");
	at_vcard_list l;
	at_error err;
	assert_int_equal(at_vcard_parse(b.data, b.len, arena, &l, &err), 0);
	assert_int_equal(l.n_cards, AT_VCARD_MAX_CARDS);
	at_buf_puts(&b, "BEGIN:VCARD\nFN:x\nEND:VCARD\n");
	snprintf(msg, sizeof(msg), "line %u: more than %u cards in one input",
		 AT_VCARD_MAX_CARDS * 3 + 1, AT_VCARD_MAX_CARDS);
	expect_limit(b.data, b.len, msg);
	at_buf_free(&b);
	at_arena_reset(arena);

	/* properties per card (FN is the first) */
	at_buf_init(&b, 0);
	at_buf_puts(&b, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n");
	for (unsigned i = 1; i < AT_VCARD_MAX_PROPS; i++)
		at_buf_puts(&b, "X-A:1\r\n");
	at_buf_puts(&b, "END:VCARD\r\n");
	assert_int_equal(one(b.data)->n_props, AT_VCARD_MAX_PROPS);
	at_buf_truncate(&b, b.len - strlen("END:VCARD\r\n"));
	at_buf_puts(&b, "X-A:1\r\nEND:VCARD\r\n");
	snprintf(msg, sizeof(msg), "line %u: more than %u properties in one card",
		 AT_VCARD_MAX_PROPS + 3, AT_VCARD_MAX_PROPS);
	expect_limit(b.data, b.len, msg);
	at_buf_free(&b);

	/* one line once unfolded: folded into short physical lines */
	at_buf_init(&b, 0);
	at_buf_puts(&b, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nNOTE:");
	size_t room = AT_VCARD_MAX_LINE - strlen("NOTE:");
	for (size_t i = 0; i < room; i += 64) {
		size_t k = room - i < 64 ? room - i : 64;
		at_buf_append(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", k);
		at_buf_puts(&b, "\r\n ");
	}
	size_t mark = b.len;
	at_buf_puts(&b, "\r\nEND:VCARD\r\n");
	assert_int_equal(strlen(prop(one(b.data), "NOTE")->value), room);
	at_buf_truncate(&b, mark);
	at_buf_puts(&b, "b\r\nEND:VCARD\r\n");
	snprintf(msg, sizeof(msg), "line 4: line longer than %u bytes once unfolded",
		 AT_VCARD_MAX_LINE);
	expect_limit(b.data, b.len, msg);
	at_buf_free(&b);
	at_arena_reset(arena);

	/* decoded binary: 3.0 base64 and 4.0 data: URI */
	size_t nbin = AT_VCARD_MAX_BINARY;
	unsigned char *bin = calloc(1, nbin + 3);
	for (int round = 0; round < 2; round++) {
		at_buf enc;
		at_buf_init(&enc, 0);
		at_buf_puts(&enc, round == 0 ? "PHOTO;ENCODING=b;TYPE=JPEG:"
					     : "PHOTO:data:image/jpeg;base64,");
		/* the encoder is internal: write base64 of zeros by hand */
		for (size_t i = 0; i < nbin / 3; i++)
			at_buf_puts(&enc, "AAAA");
		at_buf_puts(&enc, "AAA=\r\n");  /* + 2 bytes: exactly the limit + 1 */
		char *in = card_with(enc.data);
		snprintf(msg, sizeof(msg), "line 4: PHOTO: more than %u bytes",
			 AT_VCARD_MAX_BINARY);
		expect_limit(in, strlen(in), msg);
		/* exactly the limit: nbin/3*3 + 1 */
		at_buf_truncate(&enc, enc.len - strlen("AAA=\r\n"));
		at_buf_puts(&enc, "AA==\r\n");
		in = card_with(enc.data);
		check(one(in)->photo_len == AT_VCARD_MAX_BINARY, "round %d: %zu", round,
		      one(in)->photo_len);
		at_buf_free(&enc);
		at_arena_reset(arena);
	}
	free(bin);

	/* parameters per property, values per parameter */
	at_buf_init(&b, 0);
	at_buf_puts(&b, "X-P");
	for (unsigned i = 0; i < AT_VCARD_MAX_PARAMS; i++)
		at_buf_printf(&b, ";X-%u=1", i);
	at_buf_puts(&b, ":v\r\n");
	assert_int_equal(prop(one(card_with(b.data)), "X-P")->n_params, AT_VCARD_MAX_PARAMS);
	at_buf_truncate(&b, b.len - 4);
	at_buf_puts(&b, ";X-LAST=1:v\r\n");
	snprintf(msg, sizeof(msg), "line 4: X-P: more than %u parameters", AT_VCARD_MAX_PARAMS);
	expect_limit(card_with(b.data), strlen(card_with(b.data)), msg);
	at_buf_truncate(&b, 0);
	at_buf_puts(&b, "TEL;TYPE=");
	for (unsigned i = 0; i < AT_VCARD_MAX_PARAM_VALUES; i++)
		at_buf_printf(&b, "%sx%u", i ? "," : "", i);
	at_buf_puts(&b, ":1\r\n");
	assert_int_equal(at_vcard_param_get(prop(one(card_with(b.data)), "TEL"), "TYPE")->n_values,
			 AT_VCARD_MAX_PARAM_VALUES);
	at_buf_truncate(&b, b.len - 4);
	at_buf_puts(&b, ",last:1\r\n");
	snprintf(msg, sizeof(msg), "line 4: TEL: parameter TYPE has more than %u values",
		 AT_VCARD_MAX_PARAM_VALUES);
	expect_limit(card_with(b.data), strlen(card_with(b.data)), msg);
	/* the same through a quoted list of types */
	at_buf_truncate(&b, 0);
	at_buf_puts(&b, "TEL;TYPE=\"");
	for (unsigned i = 0; i <= AT_VCARD_MAX_PARAM_VALUES; i++)
		at_buf_printf(&b, "%sx%u", i ? "," : "", i);
	at_buf_puts(&b, "\":1\r\n");
	expect_limit(card_with(b.data), strlen(card_with(b.data)), msg);
	at_buf_free(&b);
}

static void expect_same(json_t *want, json_t *got, const char *what, const char *card);

/* ---- the shared corpora ----------------------------------------------------------- */

/* Files that are broken on purpose (or not vCards), with the error of each
 * of their bad cards, in order. */
static const struct {
	const char *path;   /* under CORPORA */
	size_t n_cards;
	const char *errors[2];
} broken[] = {
	{"icalendar/radicale/broken-vcard.vcf", 1,
	 {"line 1: the card has no FN (required in vCard 3.0)"}},
	{"icalendar/radicale/broken-vcards.vcf", 2,
	 {"line 1: the card has no FN (required in vCard 3.0)",
	  "line 9: the card has no FN (required in vCard 3.0)"}},
	{"icalendar/radicale/broken-vcards2.vcf", 2,
	 {"line 10: the card has no FN (required in vCard 3.0)"}},
	{"icalendar/radicale/broken-vcards2-no_uid.vcf", 2,
	 {"line 10: the card has no FN (required in vCard 3.0)"}},
	/* an iCalendar file named .vcf */
	{"icalendar/libical/user-cal.vcf", 1,
	 {"line 1: text outside a card (BEGIN:VCARD expected)"}},
	/* a parser test fragment of ical.js: 4.0 without FN */
	{"icalendar/icaljs/test/parser/vcard_grouped.vcf", 1,
	 {"line 1: the card has no FN (required in vCard 4.0)"}},
};

typedef void (*file_fn)(const char *rel, const char *data, size_t len, void *arg);

/* Calls fn for every .vcf file under dir (every file when all). */
static void walk(const char *dir, const char *rel, file_fn fn, void *arg, size_t *count,
		 bool all)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open %s: the shared corpora must be present", dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		char path[4096], sub[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(path, sub, fn, arg, count, all);
		} else {
			size_t len = strlen(names[i]);
			if (all || (len > 4 && strcasecmp(names[i] + len - 4, ".vcf") == 0)) {
				size_t flen;
				char *data = slurp(path, &flen);
				fn(sub, data, flen, arg);
				free(data);
				(*count)++;
			}
		}
		free(names[i]);
	}
	free(names);
}

static size_t broken_index(const char *rel)
{
	for (size_t i = 0; i < N_ELEMS(broken); i++)
		if (strcmp(broken[i].path, rel) == 0)
			return i;
	return (size_t)-1;
}

static void check_corpus_file(const char *rel, const char *data, size_t len, void *arg)
{
	size_t *seen_broken = arg;
	at_arena *a = at_arena_new(0);
	at_vcard_list l;
	at_error err;
	if (at_vcard_parse(data, len, a, &l, &err) < 0)
		fail_msg("%s: %s", rel, err.message);
	size_t b = broken_index(rel);
	if (b == (size_t)-1) {
		check(l.n_cards > 0, "%s: no card", rel);
		for (size_t i = 0; i < l.n_cards; i++)
			check(l.cards[i].error_code == NULL, "%s: %s", rel,
			      l.cards[i].error_message);
	} else {
		(*seen_broken)++;
		check(l.n_cards == broken[b].n_cards, "%s: %zu cards", rel, l.n_cards);
		size_t k = 0;
		for (size_t i = 0; i < l.n_cards; i++) {
			if (l.cards[i].error_code == NULL)
				continue;
			check(k < N_ELEMS(broken[b].errors) && broken[b].errors[k] != NULL,
			      "%s: unexpected error %s", rel, l.cards[i].error_message);
			check(strcmp(l.cards[i].error_message, broken[b].errors[k]) == 0,
			      "%s: \"%s\", expected \"%s\"", rel, l.cards[i].error_message,
			      broken[b].errors[k]);
			k++;
		}
		check(k == l.n_errors && (k == N_ELEMS(broken[b].errors) ||
					  broken[b].errors[k] == NULL),
		      "%s: %zu errors", rel, k);
	}
	/* every good card maps, and write -> read gives the same fields */
	for (size_t i = 0; i < l.n_cards; i++) {
		if (l.cards[i].error_code != NULL)
			continue;
		json_t *f;
		if (at_vcard_to_fields(&l.cards[i], &f, &err) < 0)
			fail_msg("%s, card %zu: %s", rel, i + 1, err.message);
		for (int ver = 0; ver < 2; ver++) {
			at_buf out;
			at_buf_init(&out, 0);
			if (at_vcard_from_fields(f, ver ? AT_VCARD_V40 : AT_VCARD_V30, NULL, &out,
						 &err) < 0)
				fail_msg("%s, card %zu: write: %s", rel, i + 1, err.message);
			const at_vcard *again;
			json_t *g;
			if (at_vcard_parse_one(out.data, out.len, a, &again, &err) < 0 ||
			    at_vcard_to_fields(again, &g, &err) < 0)
				fail_msg("%s, card %zu: re-read: %s\n%s", rel, i + 1, err.message,
					 out.data);
			expect_same(f, g, rel, out.data);
			json_decref(g);
			at_buf_free(&out);
		}
		json_decref(f);
	}
	at_arena_free(&a);
}

static void test_corpora_parse(void **state)
{
	(void)state;
	size_t files = 0, seen_broken = 0;
	walk(CORPORA "/vcard", "vcard", check_corpus_file, &seen_broken, &files, false);
	walk(CORPORA "/icalendar", "icalendar", check_corpus_file, &seen_broken, &files, false);
	check(files >= 60, "only %zu .vcf files in the corpora", files);
	check(seen_broken == N_ELEMS(broken), "%zu of the broken files seen", seen_broken);
}

/* ---- writing ------------------------------------------------------------------------ */

/* Writes fields (a JSON text) as a card; fails the test on error. */
static char *write_card(json_t *fields, at_vcard_version v, const char *uid)
{
	at_buf out;
	at_error err;
	at_buf_init(&out, 0);
	at_error_clear(&err);
	if (at_vcard_from_fields(fields, v, uid, &out, &err) < 0)
		fail_msg("write: %s", err.message);
	char *s = at_arena_strdup(arena, out.data);
	at_buf_free(&out);
	return s;
}

static json_t *jparse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	if (j == NULL)
		fail_msg("bad JSON in the test: %s: %s", je.text, text);
	return j;
}

/* Fields of the one card in s. */
static json_t *read_fields(const char *s)
{
	json_t *f;
	at_error err;
	at_error_clear(&err);
	if (at_vcard_to_fields(one(s), &f, &err) < 0)
		fail_msg("to_fields: %s\n--- card:\n%s", err.message, s);
	return f;
}

static void expect_same(json_t *want, json_t *got, const char *what, const char *card)
{
	if (json_equal(want, got))
		return;
	char *a = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
	char *b = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
	fprintf(stderr, "%s: fields differ\n--- want:\n%s\n--- got:\n%s\n--- card:\n%s\n", what,
		a, b, card);
	free(a);
	free(b);
	fail_msg("%s: fields differ", what);
}

/* Every physical line: CRLF-terminated, at most 75 octets, valid UTF-8 on
 * its own (so no sequence was split), continuations start with a space. */
static void check_physical_lines(const char *card)
{
	const char *p = card;
	while (*p != '\0') {
		const char *e = strstr(p, "\r\n");
		check(e != NULL, "line without CRLF: %s", p);
		check(memchr(p, '\n', (size_t)(e - p)) == NULL, "bare LF in %.*s", (int)(e - p), p);
		check(e - p <= 75, "line of %d octets: %.*s", (int)(e - p), (int)(e - p), p);
		at_vcard_list l;
		at_error err;
		/* a split sequence would make the piece invalid UTF-8 */
		char *piece = at_arena_printf(arena, "BEGIN:VCARD\r\nFN:x\r\nX-P:%.*s\r\nEND:VCARD\r\n",
					      (int)(e - p), p);
		assert_int_equal(at_vcard_parse(piece, strlen(piece), arena, &l, &err), 0);
		check(l.n_errors == 0 || strstr(l.cards[0].error_message, "UTF-8") == NULL,
		      "a UTF-8 sequence split at the fold: %.*s", (int)(e - p), p);
		p = e + 2;
	}
}

static void test_write_escaping_and_folding(void **state)
{
	(void)state;
	json_t *f = jparse("{\"firstName\":\"Ada, the; \\\\first\",\"lastName\":\"Lovelace\","
			   "\"notes\":\"line 1\\r\\nline 2\\nline 3\\\\n, not a break; end\","
			   "\"categories\":[\"a,b\",\"c;d\"],\"email1\":\"ada@example.org\","
			   "\"email1Name\":\"Ada \\\"Countess\\\" L.; x\",\"webPage\":"
			   "\"http://example.org/a,b;c\\\\d\"}");
	char *c3 = write_card(f, AT_VCARD_V30, "uid-1");
	assert_string_equal(c3,
			    "BEGIN:VCARD\r\n"
			    "VERSION:3.0\r\n"
			    "FN:Lovelace\\, Ada\\, the\\; \\\\first\r\n"
			    "N:Lovelace;Ada\\, the\\; \\\\first;;;\r\n"
			    "EMAIL;TYPE=internet,pref;X-CN=\"Ada ^'Countess^' L.; x\":ada@example.org\r\n"
			    "URL:http://example.org/a,b;c\\\\d\r\n"
			    "NOTE:line 1\\nline 2\\nline 3\\\\n\\, not a break\\; end\r\n"
			    "CATEGORIES:a\\,b,c\\;d\r\n"
			    "UID:uid-1\r\n"
			    "END:VCARD\r\n");
	char *c4 = write_card(f, AT_VCARD_V40, NULL);
	assert_string_equal(c4,
			    "BEGIN:VCARD\r\n"
			    "VERSION:4.0\r\n"
			    "FN:Lovelace\\, Ada\\, the\\; \\\\first\r\n"
			    "N:Lovelace;Ada\\, the\\; \\\\first;;;\r\n"
			    "EMAIL;PREF=1;X-CN=\"Ada ^'Countess^' L.; x\":ada@example.org\r\n"
			    "URL:http://example.org/a,b;c\\\\d\r\n"
			    "NOTE:line 1\\nline 2\\nline 3\\\\n\\, not a break\\; end\r\n"
			    "CATEGORIES:a\\,b,c\\;d\r\n"
			    "END:VCARD\r\n");
	/* CR LF in notes comes back as one line break */
	json_object_set_new(f, "notes", json_string("line 1\nline 2\nline 3\\n, not a break; end"));
	json_t *back = read_fields(c4);
	expect_same(f, back, "4.0", c4);
	json_decref(back);
	/* the UID given to the writer is kept like any unmapped property */
	json_object_set_new(f, "vcardExtra", json_string("UID:uid-1"));
	back = read_fields(c3);
	expect_same(f, back, "3.0", c3);
	json_decref(back);
	json_decref(f);

	/* folding: 2-, 3- and 4-byte sequences at every offset of the fold */
	static const char *const units[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	for (size_t u = 0; u < N_ELEMS(units); u++) {
		for (size_t shift = 0; shift < 4; shift++) {
			at_buf v;
			at_buf_init(&v, 0);
			for (size_t i = 0; i < shift; i++)
				at_buf_putc(&v, 'a');
			for (size_t i = 0; i < 300; i++)
				at_buf_puts(&v, units[u]);
			json_t *g = json_pack("{s:s, s:s}", "displayName", "Fold", "notes", v.data);
			at_buf_free(&v);
			for (int ver = 0; ver < 2; ver++) {
				char *card = write_card(g, ver ? AT_VCARD_V40 : AT_VCARD_V30, NULL);
				check_physical_lines(card);
				json_t *r = read_fields(card);
				expect_same(g, r, "folding", card);
				json_decref(r);
			}
			json_decref(g);
		}
	}
}

static void test_write_errors(void **state)
{
	(void)state;
	static const struct {
		const char *json, *message;
	} cases[] = {
		{"{\"firstName\":5}", "field firstName has the wrong type for a vCard"},
		{"{\"birthday\":\"1999-02-30\"}", "field birthday has the wrong type for a vCard"},
		{"{\"private\":\"yes\"}", "field private has the wrong type for a vCard"},
		{"{\"categories\":[1]}", "field categories has the wrong type for a vCard"},
		{"{\"vcardExtra\":\"X-A:1\\r\\nBEGIN:VCARD\"}",
		 "vcardExtra line 2: BEGIN cannot be kept"},
		{"{\"vcardExtra\":\"VERSION:4.0\"}", "vcardExtra line 1: VERSION cannot be kept"},
		{"{\"vcardExtra\":\"X-A:1\\r\\nno colon\"}",
		 "vcardExtra line 2: invalid character in the property name NO"},
		{"{\"vcardExtra\":\"X-A;=1:2\"}", "vcardExtra line 1: X-A: parameter without a name"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *f = jparse(cases[i].json);
		at_buf out;
		at_error err;
		at_buf_init(&out, 0);
		at_buf_puts(&out, "before");
		check(at_vcard_from_fields(f, AT_VCARD_V40, "u", &out, &err) == -1, "case %zu", i);
		check(strcmp(err.message, cases[i].message) == 0, "case %zu: \"%s\"", i,
		      err.message);
		assert_string_equal(out.data, "before");
		at_buf_free(&out);
		json_decref(f);
	}
	at_buf out;
	at_error err;
	at_buf_init(&out, 0);
	json_t *f = json_object();
	assert_int_equal(at_vcard_from_fields(f, AT_VCARD_V21, NULL, &out, &err), -1);
	assert_int_equal(at_vcard_from_fields(json_null(), AT_VCARD_V30, NULL, &out, &err), -1);
	/* an empty contact still makes a valid card (FN is required) */
	char *c = write_card(f, AT_VCARD_V40, NULL);
	assert_string_equal(c, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:\r\nEND:VCARD\r\n");
	c = write_card(f, AT_VCARD_V30, NULL);
	assert_string_equal(c, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\r\nN:;;;;\r\nEND:VCARD\r\n");
	json_t *back = read_fields(c);
	assert_int_equal(json_object_size(back), 0);
	json_decref(back);
	json_decref(f);
	at_buf_free(&out);
}

/* ---- mapping -------------------------------------------------------------------------- */

/* A value for every field of the model, each stressing escaping, non-ASCII
 * and (where the limit allows) long lines; none equal to what the writer
 * derives. */
static json_t *every_field(void)
{
	const at_item_type *t = at_model_item_type("contact");
	json_t *f = json_object();
	for (size_t i = 0; i < t->n_fields; i++) {
		const at_field_def *d = &t->fields[i];
		json_t *v = NULL;
		/* blobs: the vCard mapping leaves them to the connector (cli_vcf.c) */
		if (strcmp(d->name, "photo") == 0 || strcmp(d->name, "attachments") == 0)
			continue;
		switch (d->type) {
		case AT_FT_TEXT: {
			/* "name" + separators + non-ASCII + emoji, repeated up to
			 * min(limit, 200) code points */
			const char *unit = at_arena_printf(arena, "%s a,b;c\\d \"q\" \xc3\xa9\xe2\x82\xac"
							   "\xf0\x9f\x98\x80 ", d->name);
			size_t room = d->max_len < 200 ? d->max_len : 200;
			at_buf b;
			at_buf_init(&b, 0);
			size_t chars = 0;
			for (const char *p = unit; chars < room; p = *p ? p : unit) {
				size_t n = 1;
				while ((p[n] & 0xC0) == 0x80)
					n++;
				at_buf_append(&b, p, n);
				p += n;
				chars++;
				if (*p == '\0')
					p = unit;
			}
			/* no trailing blank: keep it a fair test of the value */
			while (b.len > 0 && b.data[b.len - 1] == ' ')
				at_buf_truncate(&b, b.len - 1);
			v = json_string(b.data);
			at_buf_free(&b);
			break;
		}
		case AT_FT_LONGTEXT:
			if (strcmp(d->name, "vcardExtra") == 0)
				v = json_string("UID:urn:uuid:9b9c4bd5-31c6-4a2a-9a53-7d1b1d1c8a1e\r\n"
						"X-FOO;X-P=\"a;b:c\";TYPE=x,y:v\\,w\\;z\r\n"
						"item1.X-ABLABEL:_$!<Other>!$_\r\n"
						"PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoAAQL/\r\n"
						"BDAY:--0203\r\n"
						"X-LONG:\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
			else
				v = json_string("Notes \xc3\xa9\xf0\x9f\x98\x80, with; \\ backslash\n"
						"second line\n\n\tindented after an empty line\n"
						"a long line: Lorem ipsum dolor sit amet, consectetur "
						"adipiscing elit, sed do eiusmod tempor incididunt ut labore "
						"et dolore magna aliqua \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac"
						"\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87 end\n");
			break;
		case AT_FT_DATE:
			v = json_string(strcmp(d->name, "birthday") == 0 ? "1815-12-10" : "2000-02-29");
			break;
		case AT_FT_BOOL:
			v = json_true();
			break;
		case AT_FT_TEXT_LIST:
			v = json_pack("[s,s,s,s]", "a,b", "c;d", "e\\f", "\xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80");
			break;
		default:
			fail_msg("contact field %s: a type the vCard mapping does not know", d->name);
		}
		json_object_set_new(f, d->name, v);
	}
	/* the IM address as a URI (the other form is tested below) */
	json_object_set_new(f, "imAddress", json_string("xmpp:ada,b;c@example.org"));
	return f;
}

static void test_every_field_round_trips(void **state)
{
	(void)state;
	json_t *f = every_field();
	const at_item_type *t = at_model_item_type("contact");
	assert_int_equal(json_object_size(f), t->n_fields - 2);  /* not photo, attachments */
	at_error err;
	assert_int_equal(at_model_validate(t, f, false, &err), 0);
	for (int ver = 0; ver < 2; ver++) {
		at_vcard_version v = ver ? AT_VCARD_V40 : AT_VCARD_V30;
		char *card = write_card(f, v, "ignored: vcardExtra has a UID");
		check(strstr(card, "ignored") == NULL, "UID written twice");
		check_physical_lines(card);
		json_t *back = read_fields(card);
		expect_same(f, back, ver ? "4.0" : "3.0", card);
		/* and writing what was read gives the same card */
		char *again = write_card(back, v, NULL);
		assert_string_equal(card, again);
		json_decref(back);
	}
	/* private false, IM address without a scheme, nothing but a company */
	json_t *g = jparse("{\"company\":\"ACME\",\"private\":false,\"imAddress\":\"ada@example.org\"}");
	for (int ver = 0; ver < 2; ver++) {
		char *card = write_card(g, ver ? AT_VCARD_V40 : AT_VCARD_V30, NULL);
		assert_non_null(strstr(card, "X-MS-IMADDRESS:ada@example.org\r\n"));
		assert_non_null(strstr(card, "FN:ACME\r\n"));
		json_t *back = read_fields(card);
		expect_same(g, back, "small", card);
		json_decref(back);
	}
	json_decref(g);
	json_decref(f);
}

/* Each phone kind alone comes back as itself, in 3.0 and 4.0. */
static void test_phone_kinds(void **state)
{
	(void)state;
	const at_item_type *t = at_model_item_type("contact");
	size_t phones = 0;
	for (size_t i = 0; i < t->n_fields; i++) {
		const char *name = t->fields[i].name;
		if (strncmp(name, "phone", 5) != 0)
			continue;
		phones++;
		json_t *f = json_pack("{s:s, s:s}", "displayName", "P", name, "+1 555 0100");
		for (int ver = 0; ver < 2; ver++) {
			char *card = write_card(f, ver ? AT_VCARD_V40 : AT_VCARD_V30, NULL);
			json_t *back = read_fields(card);
			expect_same(f, back, name, card);
			json_decref(back);
		}
		json_decref(f);
	}
	assert_int_equal(phones, 19);
}

/* Cards written by others: what each property becomes. */
static void test_read_mapping(void **state)
{
	(void)state;
	static const struct {
		const char *card, *fields;
	} cases[] = {
		/* RFC 2426's example */
		{"BEGIN:vCard\r\nVERSION:3.0\r\nFN:Frank Dawson\r\nORG:Lotus Development Corporation\r\n"
		 "ADR;TYPE=WORK,POSTAL,PARCEL:;;6544 Battleford Drive\r\n ;Raleigh;NC;27613-3502;U.S.A.\r\n"
		 "TEL;TYPE=VOICE,MSG,WORK:+1-919-676-9515\r\nTEL;TYPE=FAX,WORK:+1-919-676-9564\r\n"
		 "EMAIL;TYPE=INTERNET:fdawson@earthlink.net\r\n"
		 "EMAIL;TYPE=INTERNET,PREF:Frank_Dawson@Lotus.com\r\n"
		 "URL:http://home.earthlink.net/~fdawson\r\nEND:vCard\r\n",
		 "{\"displayName\":\"Frank Dawson\",\"company\":\"Lotus Development Corporation\","
		 "\"businessStreet\":\"6544 Battleford Drive\",\"businessCity\":\"Raleigh\","
		 "\"businessState\":\"NC\",\"businessPostalCode\":\"27613-3502\","
		 "\"businessCountry\":\"U.S.A.\",\"phoneBusiness\":\"+1-919-676-9515\","
		 "\"phoneBusinessFax\":\"+1-919-676-9564\",\"email1\":\"Frank_Dawson@Lotus.com\","
		 "\"email2\":\"fdawson@earthlink.net\","
		 "\"webPage\":\"http://home.earthlink.net/~fdawson\"}"},
		/* Outlook 2.1 */
		{"BEGIN:VCARD\r\nVERSION:2.1\r\nN;LANGUAGE=en-us:Lovelace;Ada;Augusta;Lady;\r\n"
		 "FN:Ada Lovelace\r\nORG:Engines Ltd;Research;Looms\r\nTITLE:Countess\r\n"
		 "TEL;WORK;VOICE:+44 1\r\nTEL;WORK;VOICE:+44 2\r\nTEL;WORK;VOICE:+44 3\r\n"
		 "TEL;HOME;VOICE:+44 4\r\nTEL;CELL;VOICE:+44 5\r\nTEL;WORK;FAX:+44 6\r\n"
		 "TEL;PAGER;VOICE:+44 7\r\nTEL;PREF:+44 8\r\nTEL;VOICE:+44 9\r\nTEL;CAR:+44 10\r\n"
		 "TEL;ISDN:+44 11\r\nTEL;FAX:+44 12\r\n"
		 "ADR;HOME;ENCODING=QUOTED-PRINTABLE:;;12 St James's Square=0D=0AFlat 2;London;;SW1;UK\r\n"
		 "X-MS-OL-DEFAULT-POSTAL-ADDRESS:1\r\nEMAIL;PREF;INTERNET:ada@example.org\r\n"
		 "X-MS-IMADDRESS:ada@im.example.org\r\nX-MS-MANAGER;N:Babbage\r\n"
		 "X-MS-ASSISTANT:Mary\r\nX-MS-SPOUSE;N:William\r\nX-MS-ANNIVERSARY:18350708\r\n"
		 "BDAY:18151210\r\nNOTE;ENCODING=QUOTED-PRINTABLE:one=0D=0Atwo\r\nCLASS:PRIVATE\r\n"
		 "END:VCARD\r\n",
		 "{\"lastName\":\"Lovelace\",\"firstName\":\"Ada\",\"middleName\":\"Augusta\","
		 "\"title\":\"Lady\",\"displayName\":\"Ada Lovelace\",\"company\":\"Engines Ltd\","
		 "\"department\":\"Research;Looms\",\"jobTitle\":\"Countess\","
		 "\"phoneBusiness\":\"+44 1\",\"phoneBusiness2\":\"+44 2\",\"phoneHome\":\"+44 4\","
		 "\"phoneMobile\":\"+44 5\",\"phoneBusinessFax\":\"+44 6\",\"phonePager\":\"+44 7\","
		 "\"phonePrimary\":\"+44 8\",\"phoneOther\":\"+44 9\",\"phoneCar\":\"+44 10\","
		 "\"phoneIsdn\":\"+44 11\",\"phoneOtherFax\":\"+44 12\","
		 "\"homeStreet\":\"12 St James's Square, Flat 2\",\"homeCity\":\"London\","
		 "\"homePostalCode\":\"SW1\",\"homeCountry\":\"UK\",\"email1\":\"ada@example.org\","
		 "\"imAddress\":\"ada@im.example.org\",\"managerName\":\"Babbage\","
		 "\"assistantName\":\"Mary\",\"spouseName\":\"William\","
		 "\"anniversary\":\"1835-07-08\",\"birthday\":\"1815-12-10\",\"notes\":\"one\\ntwo\","
		 "\"private\":true,\"vcardExtra\":\"TEL;TYPE=WORK,VOICE:+44 3\\r\\n"
		 "X-MS-OL-DEFAULT-POSTAL-ADDRESS:1\"}"},
		/* Evolution */
		{"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:E\r\nTEL;TYPE=X-EVOLUTION-ASSISTANT:1\r\n"
		 "TEL;TYPE=X-EVOLUTION-CALLBACK:2\r\nTEL;TYPE=X-EVOLUTION-COMPANY:3\r\n"
		 "TEL;TYPE=X-EVOLUTION-RADIO:4\r\nTEL;TYPE=X-EVOLUTION-TELEX:5\r\n"
		 "TEL;TYPE=X-EVOLUTION-TTYTDD:6\r\nTEL;TYPE=HOME,VOICE:7\r\nTEL;TYPE=HOME,VOICE:8\r\n"
		 "TEL;TYPE=HOME,FAX:9\r\nX-EVOLUTION-MANAGER:M\r\nX-EVOLUTION-ASSISTANT:A\r\n"
		 "X-EVOLUTION-SPOUSE:S\r\nX-EVOLUTION-ANNIVERSARY:2001-01-01\r\nX-AIM:ada\r\n"
		 "X-JABBER:ada@jabber.org\r\nEND:VCARD\r\n",
		 "{\"displayName\":\"E\",\"phoneAssistant\":\"1\",\"phoneCallback\":\"2\","
		 "\"phoneCompany\":\"3\",\"phoneRadio\":\"4\",\"phoneTelex\":\"5\",\"phoneTtyTdd\":\"6\","
		 "\"phoneHome\":\"7\",\"phoneHome2\":\"8\",\"phoneHomeFax\":\"9\",\"managerName\":\"M\","
		 "\"assistantName\":\"A\",\"spouseName\":\"S\",\"anniversary\":\"2001-01-01\","
		 "\"imAddress\":\"aim:ada\",\"vcardExtra\":\"X-JABBER:ada@jabber.org\"}"},
		/* 4.0: tel: URIs, RELATED, textphone, dates, 5 e-mails by PREF */
		{"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon Perreault\r\nN:Perreault;Simon;;;ing. jr,M.Sc.\r\n"
		 "BDAY:--0203\r\nANNIVERSARY:20090808T1430-0500\r\n"
		 "TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102\r\n"
		 "TEL;VALUE=uri;TYPE=\"work,cell,voice,video,text\":tel:+1-418-262-6501\r\n"
		 "TEL;TYPE=textphone:+1 7\r\n"
		 "RELATED;TYPE=spouse;VALUE=text:Jane\r\nRELATED;TYPE=spouse:urn:uuid:1\r\n"
		 "EMAIL;PREF=50:e3@x\r\nEMAIL:e4@x\r\nEMAIL;PREF=1:e1@x\r\nEMAIL;TYPE=pref:e5@x\r\n"
		 "EMAIL;PREF=2;TYPE=work,pref:e2@x\r\nCLASS:CONFIDENTIAL\r\nX-PRIVATE:false\r\n"
		 "CATEGORIES:a,b\r\nCATEGORIES:b,c\\,d\r\nKIND:individual\r\nEND:VCARD\r\n",
		 "{\"displayName\":\"Simon Perreault\",\"lastName\":\"Perreault\",\"firstName\":\"Simon\","
		 "\"suffix\":\"ing. jr,M.Sc.\",\"anniversary\":\"2009-08-08\","
		 "\"phoneBusiness\":\"+1-418-656-9254;ext=102\",\"phoneMobile\":\"+1-418-262-6501\","
		 "\"phoneTtyTdd\":\"+1 7\",\"spouseName\":\"Jane\",\"email1\":\"e1@x\","
		 "\"email2\":\"e5@x\",\"email3\":\"e2@x\",\"private\":false,"
		 "\"categories\":[\"a\",\"b\",\"c,d\"],"
		 "\"vcardExtra\":\"BDAY:--0203\\r\\nRELATED;TYPE=spouse:urn:uuid:1\\r\\n"
		 "CLASS:CONFIDENTIAL\\r\\nKIND:individual\\r\\nEMAIL:e3@x\\r\\nEMAIL:e4@x\"}"},
		/* FN equal to what the writer derives is not a display name;
		 * line breaks in one-line fields; pobox and extended address */
		{"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hopper\\, Grace\r\nN:Hopper;Grace;;;\r\n"
		 "ADR:PO Box 7;Suite 2;1 Navy Way\\nBuilding 4;Arlington;VA;22201;USA\r\n"
		 "BDAY:1906-12-09T10:00:00Z\r\nX-ANNIVERSARY:2019-02-30\r\nEND:VCARD\r\n",
		 "{\"lastName\":\"Hopper\",\"firstName\":\"Grace\","
		 "\"otherStreet\":\"1 Navy Way, Building 4, Suite 2, PO Box 7\","
		 "\"otherCity\":\"Arlington\",\"otherState\":\"VA\",\"otherPostalCode\":\"22201\","
		 "\"otherCountry\":\"USA\",\"birthday\":\"1906-12-09\","
		 "\"vcardExtra\":\"X-ANNIVERSARY:2019-02-30\"}"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *want = jparse(cases[i].fields);
		json_t *got = read_fields(cases[i].card);
		expect_same(want, got, at_arena_printf(arena, "case %zu", i), cases[i].card);
		/* and they survive a write and a read in both versions */
		for (int ver = 0; ver < 2; ver++) {
			char *card = write_card(got, ver ? AT_VCARD_V40 : AT_VCARD_V30, NULL);
			json_t *again = read_fields(card);
			expect_same(got, again, at_arena_printf(arena, "case %zu again", i), card);
			json_decref(again);
		}
		json_decref(want);
		json_decref(got);
	}
}

static void test_mapping_errors(void **state)
{
	(void)state;
	at_buf b;
	at_buf_init(&b, 0);
	at_buf_puts(&b, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nCATEGORIES:");
	for (int i = 0; i < 65; i++)
		at_buf_printf(&b, "%sc%d", i ? "," : "", i);
	at_buf_puts(&b, "\r\nEND:VCARD\r\n");
	const struct {
		const char *card, *code, *field, *message;
	} cases[] = {
		{"BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Team\r\nMEMBER:urn:uuid:1\r\n"
		 "END:VCARD\r\n", AT_E_INVALID_FIELD, "",
		 "line 1: this card is a distribution list, not a contact"},
		{"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nNOTE:n\r\n"
		 "NICKNAME:123456789012345678901234567890123456789012345678901234567890"
		 "123456789012345678901234567890123456789012345678901234567890123456789\r\n"
		 "END:VCARD\r\n", AT_E_FIELD_TOO_LONG, "nickname",
		 "line 5: field nickname is too long: 129 characters, the limit is 128"},
		{b.data, AT_E_FIELD_TOO_LONG, "categories",
		 "line 4: field categories has 65 entries, the limit is 64"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *f = (json_t *)1;
		at_error err;
		at_error_clear(&err);
		check(at_vcard_to_fields(one(cases[i].card), &f, &err) == -1, "case %zu", i);
		assert_null(f);
		check(strcmp(err.code, cases[i].code) == 0, "case %zu: %s", i, err.code);
		check(strcmp(err.field, cases[i].field) == 0, "case %zu: %s", i, err.field);
		check(strcmp(err.message, cases[i].message) == 0, "case %zu: \"%s\"", i,
		      err.message);
	}
	at_buf_free(&b);
}

/* libical's OSS-Fuzz reproducers (vcardfuzz* among them): no crash, no
 * leak (under the sanitizers), no whole-input refusal, and whatever maps
 * survives a write and a read. */
static void fuzz_input(const char *rel, const char *data, size_t len, void *arg)
{
	at_arena *a = at_arena_new(0);
	at_vcard_list l;
	at_error err;
	(void)arg;
	if (at_vcard_parse(data, len, a, &l, &err) < 0)
		fail_msg("%s: %s", rel, err.message);
	for (size_t i = 0; i < l.n_cards; i++) {
		json_t *f;
		if (l.cards[i].error_code != NULL || at_vcard_to_fields(&l.cards[i], &f, &err) < 0)
			continue;
		at_buf out;
		at_buf_init(&out, 0);
		const at_vcard *c;
		json_t *g;
		if (at_vcard_from_fields(f, AT_VCARD_V40, NULL, &out, &err) < 0 ||
		    at_vcard_parse_one(out.data, out.len, a, &c, &err) < 0 ||
		    at_vcard_to_fields(c, &g, &err) < 0)
			fail_msg("%s: %s", rel, err.message);
		expect_same(f, g, rel, out.data);
		json_decref(f);
		json_decref(g);
		at_buf_free(&out);
	}
	at_arena_free(&a);
}

static void test_corpora_fuzz_inputs(void **state)
{
	(void)state;
	size_t files = 0;
	walk(CORPORA "/icalendar/libical-fuzz", "icalendar/libical-fuzz", fuzz_input, NULL,
	     &files, true);
	check(files >= 30, "only %zu fuzz inputs in the corpora", files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_card, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfolding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parameters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v21_outlook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_photo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_cards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test(test_corpora_parse),
		cmocka_unit_test(test_corpora_fuzz_inputs),
		cmocka_unit_test_setup_teardown(test_write_escaping_and_folding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_field_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phone_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapping_errors, setup, teardown),
	};
	return cmocka_run_group_tests_name("vcard", tests, NULL, NULL);
}
