/* test_mail.c — the mail outbox: message building (headers, RFC 2047
 * encoded words, quoted-printable bodies, the RFC 6047 calendar part,
 * refused header injection), queueing inside the caller's transaction
 * (and nothing with mail off), and the queue operations of the store. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "server_fixture.h"

#include "config.h"
#include "mail.h"

#define OPS(f) ((f)->store->ops)

static void ok(int rc, const at_error *err, const char *what)
{
	if (rc < 0)
		fail_msg("%s: %s: %s", what, err->code, err->message);
}

/* --- reading a message back --------------------------------------------------- */

/* Every line of the message ends in CRLF: no bare CR or LF. */
static void assert_crlf_only(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n')
			check(i > 0 && msg[i - 1] == '\r', "bare LF at byte %zu", i);
		if (msg[i] == '\r')
			check(i + 1 < len && msg[i + 1] == '\n', "bare CR at byte %zu", i);
	}
}

/* Longest line (without CRLF) between start and end. */
static size_t longest_line(const char *start, const char *end)
{
	size_t best = 0;
	while (start < end) {
		const char *e = strstr(start, "\r\n");
		if (e == NULL || e > end)
			e = end;
		if ((size_t)(e - start) > best)
			best = (size_t)(e - start);
		start = e + 2;
	}
	return best;
}

/* The unfolded value of header NAME (heap; NULL when absent). */
static char *header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t n = strlen(name);
	const char *p = msg;
	while (p < end) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			char *out = malloc(strlen(p) + 1);
			size_t o = 0;
			for (;;) {
				const char *e = strstr(p, "\r\n");
				memcpy(out + o, p, (size_t)(e - p));
				o += (size_t)(e - p);
				p = e + 2;
				if (*p != ' ' && *p != '\t')
					break;
			}
			out[o] = '\0';
			return out;
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

/* Decodes RFC 2047 "B" words of UTF-8 (as as_mail_format writes them);
 * whitespace between adjacent encoded words is dropped. */
static char *decode_words(const char *v)
{
	char *out = calloc(1, strlen(v) + 1);
	size_t o = 0;
	const char *p = v;
	bool last_word = false;
	while (*p != '\0') {
		if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
			const char *e = strstr(p + 10, "?=");
			assert_non_null(e);
			check(e + 2 - p <= 75, "encoded word of %d characters", (int)(e + 2 - p));
			size_t bin_len;
			assert_int_equal(sodium_base642bin((unsigned char *)out + o, strlen(v) - o,
							   p + 10, (size_t)(e - p - 10), NULL,
							   &bin_len, NULL,
							   sodium_base64_VARIANT_ORIGINAL), 0);
			o += bin_len;
			p = e + 2;
			last_word = true;
			continue;
		}
		if (last_word && (*p == ' ' || *p == '\t')) {
			const char *q = p;
			while (*q == ' ' || *q == '\t')
				q++;
			if (strncmp(q, "=?UTF-8?B?", 10) == 0) {
				p = q;
				continue;
			}
		}
		last_word = false;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes quoted-printable text (len bytes); checks the line length and
 * that '=' is always followed by two upper-case hex digits or CRLF. */
static char *decode_qp(const char *p, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0, col = 0;
	const char *end = p + len;
	while (p < end) {
		if (*p == '=') {
			if (p + 2 < end + 1 && p[1] == '\r' && p[2] == '\n') {
				check(col + 1 <= 76, "line of %zu characters", col + 1);
				p += 3;
				col = 0;
				continue;
			}
			check(p + 2 < end && hexval(p[1]) >= 0 && hexval(p[2]) >= 0,
			      "bad escape \"%.3s\"", p);
			out[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 3;
			col += 3;
			continue;
		}
		if (*p == '\r') {
			check(col <= 76, "line of %zu characters", col);
			check(o == 0 || (out[o - 1] != ' ' && out[o - 1] != '\t') ||
			      (p[-1] != ' ' && p[-1] != '\t'), "trailing blank left unencoded");
			out[o++] = '\n';
			p += 2;
			col = 0;
			continue;
		}
		check(((unsigned char)*p >= 32 || *p == '\t') && (unsigned char)*p < 127, "raw byte 0x%02x",
		      (unsigned char)*p);
		out[o++] = *p++;
		col++;
	}
	out[o] = '\0';
	return out;
}

static char *format(const as_mail_msg *m, size_t *len_r)
{
	char *msg;
	size_t len;
	at_error err;
	at_error_clear(&err);
	ok(as_mail_format(m, "atrium@example.org", 1767261600, &msg, &len, &err), &err,
	   "as_mail_format");
	assert_int_equal(strlen(msg), len);
	assert_crlf_only(msg, len);
	if (len_r != NULL)
		*len_r = len;
	return msg;
}

static const char *body_of(const char *msg)
{
	const char *b = strstr(msg, "\r\n\r\n");
	assert_non_null(b);
	return b + 4;
}

/* --- tests: building ------------------------------------------------------------ */

static void test_plain_headers(void **state)
{
	(void)state;
	as_mail_msg m = {.to = "alice@example.org", .to_name = "Alice Liddell",
			 .subject = "Reminder: Quarterly report", .text = "Hello\nworld\n"};
	char *msg = format(&m, NULL);
	char *h;
	assert_string_equal(h = header(msg, "From"), "Atrium <atrium@example.org>");
	free(h);
	assert_string_equal(h = header(msg, "To"), "\"Alice Liddell\" <alice@example.org>");
	free(h);
	assert_string_equal(h = header(msg, "Subject"), "Reminder: Quarterly report");
	free(h);
	/* 1767261600 = 2026-01-01 10:00:00 UTC, a Thursday */
	assert_string_equal(h = header(msg, "Date"), "Thu, 01 Jan 2026 10:00:00 +0000");
	free(h);
	h = header(msg, "Message-ID");
	assert_non_null(h);
	check(h[0] == '<' && strstr(h, "@example.org>") != NULL, "Message-ID %s", h);
	free(h);
	assert_string_equal(h = header(msg, "MIME-Version"), "1.0");
	free(h);
	assert_string_equal(h = header(msg, "Content-Type"), "text/plain; charset=UTF-8");
	free(h);
	assert_string_equal(h = header(msg, "Content-Transfer-Encoding"), "quoted-printable");
	free(h);
	assert_string_equal(body_of(msg), "Hello\r\nworld\r\n");
	/* two messages get two Message-IDs */
	char *msg2 = format(&m, NULL);
	char *id1 = header(msg, "Message-ID"), *id2 = header(msg2, "Message-ID");
	assert_string_not_equal(id1, id2);
	free(id1);
	free(id2);
	free(msg2);
	free(msg);

	/* no display name: the bare address; quotes in a name are escaped */
	as_mail_msg bare = {.to = "bob@example.org", .subject = "x", .text = ""};
	msg = format(&bare, NULL);
	assert_string_equal(h = header(msg, "To"), "bob@example.org");
	free(h);
	free(msg);
	as_mail_msg quoted = {.to = "bob@example.org", .to_name = "Bob \"The\" Builder\\",
			      .subject = "x", .text = "y"};
	msg = format(&quoted, NULL);
	assert_string_equal(h = header(msg, "To"),
			    "\"Bob \\\"The\\\" Builder\\\\\" <bob@example.org>");
	free(h);
	free(msg);
}

static void test_rfc2047(void **state)
{
	(void)state;
	as_mail_msg m = {.to = "zoe@example.org", .to_name = "Zoë Ångström",
			 .subject = "Überfällig: Büro räumen", .text = "x"};
	char *msg = format(&m, NULL);
	char *to = header(msg, "To"), *subject = header(msg, "Subject");
	/* encoded, not raw: headers are ASCII */
	for (const char *p = msg; p < body_of(msg); p++)
		check((unsigned char)*p < 128, "raw non-ASCII byte in the headers");
	assert_non_null(strstr(to, "=?UTF-8?B?"));
	char *dto = decode_words(to), *dsub = decode_words(subject);
	assert_string_equal(dto, "Zoë Ångström <zoe@example.org>");
	assert_string_equal(dsub, "Überfällig: Büro räumen");
	free(dto);
	free(dsub);
	free(to);
	free(subject);
	free(msg);

	/* a long subject: several words, never splitting a character, header
	 * lines folded */
	char longsub[600] = "";
	for (int i = 0; i < 60; i++)
		strcat(longsub, i % 3 == 0 ? "é€😀 " : "word ");
	as_mail_msg l = {.to = "zoe@example.org", .subject = longsub, .text = "x"};
	msg = format(&l, NULL);
	check(longest_line(msg, body_of(msg)) <= 78, "header line of %zu characters",
	      longest_line(msg, body_of(msg)));
	subject = header(msg, "Subject");
	dsub = decode_words(subject);
	assert_string_equal(dsub, longsub);
	free(dsub);
	free(subject);
	free(msg);

	/* a long ASCII subject is folded at spaces and stays plain */
	char ascii[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(ascii, "planning ");
	strcat(ascii, "end");
	as_mail_msg a = {.to = "zoe@example.org", .subject = ascii, .text = "x"};
	msg = format(&a, NULL);
	check(longest_line(msg, body_of(msg)) <= 78, "header line of %zu characters",
	      longest_line(msg, body_of(msg)));
	assert_null(strstr(msg, "=?UTF-8?"));
	subject = header(msg, "Subject");
	assert_string_equal(subject, ascii);
	free(subject);
	free(msg);

	/* ASCII that looks like an encoded word is encoded, so that it reads back
	 * as written */
	as_mail_msg tricky = {.to = "zoe@example.org", .subject = "=?UTF-8?B?QQ==?= hi",
			      .text = "x"};
	msg = format(&tricky, NULL);
	subject = header(msg, "Subject");
	dsub = decode_words(subject);
	assert_string_equal(dsub, "=?UTF-8?B?QQ==?= hi");
	free(dsub);
	free(subject);
	free(msg);
}

static void test_quoted_printable(void **state)
{
	(void)state;
	char text[4096] = "";
	/* a long line, non-ASCII, '=' signs, trailing blanks, a lone dot, a
	 * "From " line, CRLF and CR line ends, tabs */
	for (int i = 0; i < 30; i++)
		strcat(text, "Grüße ");
	strcat(text, "\n");
	strcat(text, "a=b and 100% = done\n");
	strcat(text, "trailing blanks   \n");
	strcat(text, "tab at end\t\n");
	strcat(text, ".\n");
	strcat(text, "From here on\r\n");
	strcat(text, "old mac\rline\n");
	char longword[200];
	memset(longword, 'x', 150);
	longword[150] = '\0';
	strcat(text, longword);
	strcat(text, "\n\tindented\n");
	strcat(text, "no newline at the end: ✓");
	as_mail_msg m = {.to = "a@example.org", .subject = "qp", .text = text};
	size_t len;
	char *msg = format(&m, &len);
	const char *body = body_of(msg);
	size_t blen = len - (size_t)(body - msg);
	check(longest_line(body, msg + len) <= 76, "body line of %zu characters",
	      longest_line(body, msg + len));
	/* no line starts with '.' or "From " as it goes over the wire */
	for (const char *p = body; p < msg + len; p = strstr(p, "\r\n") + 2) {
		check(*p != '.', "a body line starts with a dot");
		check(strncmp(p, "From ", 5) != 0, "a body line starts with From");
	}
	char *decoded = decode_qp(body, blen);
	/* line ends come back as LF (CRLF on the wire) and a final one is added */
	char expect[4096];
	size_t n = 0;
	for (const char *p = text; *p != '\0' && n + 2 < sizeof(expect); p++) {
		if (*p == '\r') {
			expect[n++] = '\n';
			if (p[1] == '\n')
				p++;
		} else {
			expect[n++] = *p;
		}
	}
	expect[n++] = '\n';
	expect[n] = '\0';
	assert_string_equal(decoded, expect);
	assert_non_null(strstr(body, "Gr=C3=BC=C3=9Fe"));
	assert_non_null(strstr(body, "a=3Db"));
	assert_non_null(strstr(body, "trailing blanks  =20\r\n"));
	assert_non_null(strstr(body, "tab at end=09\r\n"));
	free(decoded);
	free(msg);
}

static void test_calendar_part(void **state)
{
	(void)state;
	const char *ical = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n"
			   "BEGIN:VTODO\r\nUID:t1@example.org\r\nSUMMARY:Café\r\n"
			   "END:VTODO\r\nEND:VCALENDAR\r\n";
	as_mail_msg m = {.to = "a@example.org", .subject = "Task assigned", .text = "See the task.",
			 .ical = ical, .ical_method = "REQUEST"};
	size_t len;
	char *msg = format(&m, &len);
	char *ct = header(msg, "Content-Type");
	const char *prefix = "multipart/alternative; boundary=\"";
	assert_int_equal(strncmp(ct, prefix, strlen(prefix)), 0);
	char boundary[128];
	snprintf(boundary, sizeof(boundary), "%s", ct + strlen(prefix));
	*strchr(boundary, '"') = '\0';
	free(ct);
	char delim[160], close[160];
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", boundary);
	snprintf(close, sizeof(close), "\r\n--%s--\r\n", boundary);
	/* two parts, then the closing delimiter at the very end */
	const char *p1 = strstr(msg, delim);
	assert_non_null(p1);
	const char *p2 = strstr(p1 + 1, delim);
	assert_non_null(p2);
	assert_null(strstr(p2 + 1, delim));
	const char *c = strstr(msg, close);
	assert_non_null(c);
	assert_int_equal((size_t)(c - msg) + strlen(close), len);
	/* the text part */
	const char *part1 = p1 + strlen(delim);
	assert_int_equal(strncmp(part1, "Content-Type: text/plain; charset=UTF-8\r\n"
				 "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
				 "See the task.\r\n", 101), 0);
	/* the calendar part (RFC 6047: method and charset parameters) */
	const char *part2 = p2 + strlen(delim);
	const char *ctcal = "Content-Type: text/calendar; method=REQUEST; charset=UTF-8\r\n"
			    "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
	assert_int_equal(strncmp(part2, ctcal, strlen(ctcal)), 0);
	const char *cal = part2 + strlen(ctcal);
	char *decoded = decode_qp(cal, (size_t)(c + 2 - cal));
	char expect[512];
	snprintf(expect, sizeof(expect), "%s", ical);
	/* CRLF lines decode as LF */
	char *e = expect, *w = expect;
	for (; *e != '\0'; e++)
		if (*e != '\r')
			*w++ = *e;
	*w = '\0';
	assert_string_equal(decoded, expect);
	free(decoded);
	/* the boundary cannot occur inside quoted-printable parts */
	assert_non_null(strstr(boundary, "=_"));
	free(msg);
}

static void test_header_injection_refused(void **state)
{
	(void)state;
	static const struct {
		as_mail_msg m;
		const char *field;
	} bad[] = {
		{{.to = "a@example.org\r\nBcc: victim@example.org", .subject = "s", .text = "t"}, "to"},
		{{.to = "a@example.org", .to_name = "Eve\r\nBcc: v@example.org", .subject = "s"},
		 "toName"},
		{{.to = "a@example.org", .to_name = "Eve\nX: y", .subject = "s"}, "toName"},
		{{.to = "a@example.org", .subject = "hi\r\nBcc: v@example.org", .text = "t"},
		 "subject"},
		{{.to = "a@example.org", .subject = "hi\nthere", .text = "t"}, "subject"},
		{{.to = "a@example.org", .subject = "bell\a", .text = "t"}, "subject"},
		{{.to = "not an address", .subject = "s"}, "to"},
		{{.to = "nobody", .subject = "s"}, "to"},
		{{.to = "@example.org", .subject = "s"}, "to"},
		{{.to = "a@", .subject = "s"}, "to"},
		{{.to = "<a@example.org>", .subject = "s"}, "to"},
		{{.to = "zoë@example.org", .subject = "s"}, "to"},
		{{.to = NULL, .subject = "s"}, "to"},
		{{.to = "a@example.org", .subject = "s", .ical = "BEGIN:VCALENDAR",
		  .ical_method = "REQUEST\r\nX-Evil: 1"}, "icalMethod"},
		{{.to = "a@example.org", .subject = "s", .ical = "BEGIN:VCALENDAR",
		  .ical_method = "request"}, "icalMethod"},
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char *msg = (char *)"untouched";
		size_t len = 7;
		at_error err;
		at_error_clear(&err);
		int rc = as_mail_format(&bad[i].m, "atrium@example.org", 0, &msg, &len, &err);
		check(rc == -1, "case %zu accepted", i);
		assert_string_equal(err.code, "invalidArguments");
		check(strcmp(err.field, bad[i].field) == 0, "case %zu: field %s, not %s", i,
		      err.field, bad[i].field);
		assert_null(msg);
	}
	/* over the limits */
	char *huge = malloc(AS_MAIL_TEXT_MAX + 2);
	memset(huge, 'a', AS_MAIL_TEXT_MAX + 1);
	huge[AS_MAIL_TEXT_MAX + 1] = '\0';
	char *msg;
	size_t len;
	at_error err;
	as_mail_msg big = {.to = "a@example.org", .subject = "s", .text = huge};
	assert_int_equal(as_mail_format(&big, "atrium@example.org", 0, &msg, &len, &err), -1);
	assert_string_equal(err.field, "text");
	huge[AS_MAIL_SUBJECT_MAX + 1] = '\0';
	as_mail_msg bigsub = {.to = "a@example.org", .subject = huge, .text = "t"};
	assert_int_equal(as_mail_format(&bigsub, "atrium@example.org", 0, &msg, &len, &err), -1);
	assert_string_equal(err.field, "subject");
	free(huge);
}

/* --- tests: queueing ---------------------------------------------------------- */

static void configure(const char *smtp_url)
{
	as_config c;
	as_config_defaults(&c);
	snprintf(c.smtp_url, sizeof(c.smtp_url), "%s", smtp_url);
	snprintf(c.mail_from, sizeof(c.mail_from), "groupware@example.org");
	at_error err;
	ok(as_mail_configure(&c, &err), &err, "as_mail_configure");
}

struct queued {
	int n;
	as_mail_row rows[8];
};

/* Everything due at `now`, marking each sent as it is read (so the next
 * one comes). */
static void drain(fx *f, int64_t now, at_arena *a, struct queued *q)
{
	at_error err;
	q->n = 0;
	for (;;) {
		bool found;
		as_mail_row row;
		ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
		ok(OPS(f)->mail_next_due(f->store, now, a, &row, &found, &err), &err, "next");
		if (!found) {
			OPS(f)->rollback(f->store);
			return;
		}
		assert_true(q->n < 8);
		q->rows[q->n++] = row;
		ok(OPS(f)->mail_mark_sent(f->store, row.id, now, &err), &err, "mark sent");
		ok(OPS(f)->commit(f->store, &err), &err, "commit");
	}
}

static void test_enqueue_is_transactional(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	struct queued q;
	int64_t modseq_before, modseq_after;
	as_mail_msg m = {.to = "alice@example.org", .to_name = "Alice", .subject = "Hello",
			 .text = "one"};

	/* mail off: nothing is stored, bad input is still refused */
	configure("");
	assert_false(as_mail_enabled());
	ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
	ok(as_mail_enqueue(f->store, &m, &err), &err, "enqueue while off");
	as_mail_msg bad = {.to = "a@example.org", .subject = "x\r\nBcc: b@example.org"};
	assert_int_equal(as_mail_enqueue(f->store, &bad, &err), -1);
	assert_string_equal(err.field, "subject");
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
	drain(f, INT64_MAX / 2, a, &q);
	assert_int_equal(q.n, 0);

	/* mail on: a rolled back transaction queues nothing */
	configure("smtp://127.0.0.1:1");
	assert_true(as_mail_enabled());
	ok(OPS(f)->current_modseq(f->store, &modseq_before, &err), &err, "modseq");
	ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
	ok(as_mail_enqueue(f->store, &m, &err), &err, "enqueue");
	OPS(f)->rollback(f->store);
	drain(f, INT64_MAX / 2, a, &q);
	assert_int_equal(q.n, 0);

	/* a committed one is there once, as built, for its recipient */
	ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
	ok(as_mail_enqueue(f->store, &m, &err), &err, "enqueue");
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
	/* the queue is not synchronised: no modseq spent */
	ok(OPS(f)->current_modseq(f->store, &modseq_after, &err), &err, "modseq");
	assert_int_equal(modseq_after, modseq_before);
	drain(f, INT64_MAX / 2, a, &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.rows[0].rcpt, "alice@example.org");
	assert_int_equal(q.rows[0].attempts, 0);
	assert_int_equal(strlen(q.rows[0].message), q.rows[0].len);
	char *from = header(q.rows[0].message, "From");
	assert_string_equal(from, "Atrium <groupware@example.org>");
	free(from);
	assert_string_equal(body_of(q.rows[0].message), "one\r\n");
	/* sent: never again */
	drain(f, INT64_MAX / 2, a, &q);
	assert_int_equal(q.n, 0);
	configure("");
	at_arena_free(&a);
}

static void test_queue_retry_and_give_up(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	int64_t id1, id2, id3;
	ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
	ok(OPS(f)->mail_enqueue(f->store, "b@example.org", "second", 6, 1000, &id2, &err), &err,
	   "enqueue");
	ok(OPS(f)->mail_enqueue(f->store, "a@example.org", "first", 5, 900, &id1, &err), &err,
	   "enqueue");
	ok(OPS(f)->mail_enqueue(f->store, "c@example.org", "later", 5, 5000, &id3, &err), &err,
	   "enqueue");
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
	assert_true(id1 > 0 && id2 > 0 && id3 > 0 && id1 != id2);

	as_mail_row row;
	bool found;
	/* nothing is due before it was queued */
	ok(OPS(f)->begin(f->store, false, &err), &err, "begin");
	ok(OPS(f)->mail_next_due(f->store, 899, a, &row, &found, &err), &err, "next");
	assert_false(found);
	/* the oldest first */
	ok(OPS(f)->mail_next_due(f->store, 4000, a, &row, &found, &err), &err, "next");
	assert_true(found);
	assert_int_equal(row.id, id1);
	assert_int_equal(row.created, 900);
	assert_string_equal(row.message, "first");
	OPS(f)->rollback(f->store);

	/* a failed attempt waits until its retry time; the next one comes */
	ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
	ok(OPS(f)->mail_mark_failed(f->store, id1, 4500, "connection refused", &err), &err,
	   "failed");
	ok(OPS(f)->mail_next_due(f->store, 4000, a, &row, &found, &err), &err, "next");
	assert_true(found);
	assert_int_equal(row.id, id2);
	/* given up: never due again */
	ok(OPS(f)->mail_mark_failed(f->store, id2, 0, "SMTP 550", &err), &err, "give up");
	ok(OPS(f)->mail_next_due(f->store, 4000, a, &row, &found, &err), &err, "next");
	assert_false(found);
	ok(OPS(f)->mail_next_due(f->store, 4500, a, &row, &found, &err), &err, "next");
	assert_true(found);
	assert_int_equal(row.id, id1);
	assert_int_equal(row.attempts, 1);
	ok(OPS(f)->mail_mark_sent(f->store, id1, 4501, &err), &err, "sent");
	ok(OPS(f)->mail_next_due(f->store, 1000000, a, &row, &found, &err), &err, "next");
	assert_true(found);
	assert_int_equal(row.id, id3);
	ok(OPS(f)->mail_mark_sent(f->store, id3, 5001, &err), &err, "sent");
	ok(OPS(f)->mail_next_due(f->store, INT64_MAX / 2, a, &row, &found, &err), &err, "next");
	assert_false(found);
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
	/* and that survives a reopen */
	fx_reopen(f);
	ok(OPS(f)->begin(f->store, false, &err), &err, "begin");
	ok(OPS(f)->mail_next_due(f->store, INT64_MAX / 2, a, &row, &found, &err), &err, "next");
	assert_false(found);
	OPS(f)->rollback(f->store);
	at_arena_free(&a);
}

static int64_t queued(fx *f)
{
	sqlite3 *db;
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM mail_queue", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The hourly housekeeping forgets old sent and given-up messages, never
 * one that is still being tried, however old. */
static void test_purge(void **state)
{
	fx *f = *state;
	at_error err;
	int64_t sent_old, sent_new, gave_up, trying, purged = -1;
	ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
	ok(OPS(f)->mail_enqueue(f->store, "a@example.org", "a", 1, 100, &sent_old, &err), &err,
	   "enqueue");
	ok(OPS(f)->mail_enqueue(f->store, "b@example.org", "b", 1, 100, &sent_new, &err), &err,
	   "enqueue");
	ok(OPS(f)->mail_enqueue(f->store, "c@example.org", "c", 1, 100, &gave_up, &err), &err,
	   "enqueue");
	ok(OPS(f)->mail_enqueue(f->store, "d@example.org", "d", 1, 100, &trying, &err), &err,
	   "enqueue");
	ok(OPS(f)->mail_mark_sent(f->store, sent_old, 200, &err), &err, "sent");
	ok(OPS(f)->mail_mark_sent(f->store, sent_new, 5000, &err), &err, "sent");
	ok(OPS(f)->mail_mark_failed(f->store, gave_up, 0, "SMTP 550", &err), &err, "give up");
	ok(OPS(f)->mail_mark_failed(f->store, trying, 300, "refused", &err), &err, "failed");
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
	assert_int_equal(queued(f), 4);
	ok(as_mail_purge(f->store, 1000, &purged, &err), &err, "purge");
	assert_int_equal(purged, 2);
	assert_int_equal(queued(f), 2);
	/* what is left: the recent one and the one still tried */
	at_arena *a = at_arena_new(0);
	as_mail_row row;
	bool found;
	ok(OPS(f)->begin(f->store, false, &err), &err, "begin");
	ok(OPS(f)->mail_next_due(f->store, 1000, a, &row, &found, &err), &err, "next");
	assert_true(found);
	assert_int_equal(row.id, trying);
	OPS(f)->rollback(f->store);
	ok(as_mail_purge(f->store, 1000, &purged, &err), &err, "purge");
	assert_int_equal(purged, 0);
	ok(as_mail_purge(f->store, 6000, &purged, &err), &err, "purge");
	assert_int_equal(purged, 1);
	assert_int_equal(queued(f), 1);
	at_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_headers),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_calendar_part),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test_setup_teardown(test_enqueue_is_transactional, fx_setup_empty,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_queue_retry_and_give_up, fx_setup_empty,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_purge, fx_setup_empty, fx_teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
