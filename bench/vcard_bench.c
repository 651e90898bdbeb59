/* vcard_bench.c — reading and writing 10,000 realistic vCards (lib/vcard.h).
 *
 *   bench_vcard_bench [N]      (default 10,000 cards)
 *
 * Makes N contacts from a fixed seed, shaped like real address books:
 * names (a quarter of them non-ASCII), company and job title, two to five
 * phone numbers, one to three e-mails, one or two addresses, a birthday
 * for half, notes for a third (some long and multi-line), categories, and
 * the properties other programs add (UID, REV, PRODID, Apple's item labels;
 * a small PHOTO for one card in twenty).  Half are written in 3.0, half in
 * 4.0, one file.  Then, each the best of five runs:
 *
 *   baseline   a plain pass over the same bytes that splits lines and
 *              unfolds (memchr for the line breaks, no allocation)
 *   parse      at_vcard_parse of the whole file
 *   import     parse and at_vcard_to_fields of every card (what
 *              "atrium import vcf" does before the store)
 *   export     at_vcard_from_fields of every contact (what "atrium export
 *              vcf" does after the store)
 *   copy       the baseline of writing: appending the same output lines,
 *              already made, to a buffer
 *
 * and prints MB/s and cards/s for each, with parse/import against the
 * baseline and export against copy.  The machine is shared: compare the
 * ratios, not the absolute figures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "arena.h"
#include "strbuf.h"
#include "vcard.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

#define PICK(a) (a)[rnd(sizeof(a) / sizeof((a)[0]))]

static const char *const firsts[] = {
	"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
	"Ken", "Dennis", "Radia", "Tim", "Hedy", "Katherine", "Linus", "Sophie", "Niklaus",
	"J\xc3\xbcrgen", "Ren\303\251e", "Fran\xc3\xa7ois", "\xc3\x89lodie", "S\xc3\xb8ren",
	"Zo\xc3\xab", "\xe5\xa4\xaa\xe9\x83\x8e", "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0",
};
static const char *const lasts[] = {
	"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy",
	"Hamilton", "Thompson", "Ritchie", "Perlman", "Berners-Lee", "Lamarr", "Johnson",
	"Torvalds", "Wilson", "Wirth", "M\xc3\xbcller", "Ch\xc3\xa2telet", "Kierkegaard",
	"\xc3\x98stergaard", "\xe5\xb1\xb1\xe7\x94\xb0", "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2\xd0\xb0",
};
static const char *const companies[] = {
	"Analytical Engines Ltd", "Navy Computing Lab", "Bletchley Park", "ACME, Inc.",
	"Initech", "Globex Corporation", "Soylent; Green", "Umbrella", "Stark Industries",
	"Wayne Enterprises", "Cyberdyne Systems", "Tyrell Corp.", "M\xc3\xbcller & S\xc3\xb6hne GmbH",
};
static const char *const titles[] = {
	"Engineer", "Senior Engineer", "Director, Research", "CTO", "Accountant", "Sales",
	"Head of Operations", "Intern", "Professor", "Consultant",
};
static const char *const cities[] = {
	"London", "Paris", "Berlin", "New York", "San Francisco", "Z\xc3\xbcrich", "Montr\303\251al",
	"Tokyo", "Oslo", "Lyon",
};
static const char *const streets[] = {
	"12 St James's Square", "1600 Amphitheatre Parkway", "221B Baker Street",
	"10 Downing Street", "5 Avenue Anatole France", "Unter den Linden 77",
	"350 Fifth Avenue, Suite 3300",
};
static const char *const notes[] = {
	"Met at the conference.",
	"Prefers e-mail; call only if urgent.",
	"Assistant: ask for the afternoon slot.\nParking behind the building.\nBadge at the front desk.",
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
	"ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation "
	"ullamco laboris nisi ut aliquip ex ea commodo consequat.\n\nDuis aute irure dolor in "
	"reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.",
};
static const char *const cats[] = {"Clients", "Suppliers", "Family", "Friends", "VIP",
				   "Board", "Press"};

static json_t *make_contact(unsigned i, at_buf *photo_b64)
{
	const char *first = PICK(firsts), *last = PICK(lasts);
	json_t *f = json_pack("{s:s, s:s}", "firstName", first, "lastName", last);
	char buf[256];
	if (rnd(3) == 0) {
		snprintf(buf, sizeof(buf), "%s %s", first, last);
		json_object_set_new(f, "displayName", json_string(buf));
	}
	if (rnd(4) != 0) {
		json_object_set_new(f, "company", json_string(PICK(companies)));
		json_object_set_new(f, "jobTitle", json_string(PICK(titles)));
		if (rnd(2))
			json_object_set_new(f, "department", json_string("R&D"));
	}
	static const char *const phones[] = {"phoneBusiness", "phoneMobile", "phoneHome",
					     "phoneBusinessFax", "phoneBusiness2", "phoneOther"};
	unsigned np = 2 + rnd(4);
	for (unsigned k = 0; k < np; k++) {
		snprintf(buf, sizeof(buf), "+%u %03u %03u %04u", 1 + rnd(60), rnd(1000), rnd(1000),
			 rnd(10000));
		json_object_set_new(f, phones[k], json_string(buf));
	}
	unsigned ne = 1 + rnd(3);
	for (unsigned k = 1; k <= ne; k++) {
		char key[16];
		snprintf(key, sizeof(key), "email%u", k);
		snprintf(buf, sizeof(buf), "person%u.%u@%s.example", i, k,
			 k == 1 ? "work" : k == 2 ? "home" : "other");
		json_object_set_new(f, key, json_string(buf));
	}
	const char *kinds[] = {"business", "home"};
	unsigned na = 1 + rnd(2);
	for (unsigned k = 0; k < na; k++) {
		char key[32];
		snprintf(key, sizeof(key), "%sStreet", kinds[k]);
		json_object_set_new(f, key, json_string(PICK(streets)));
		snprintf(key, sizeof(key), "%sCity", kinds[k]);
		json_object_set_new(f, key, json_string(PICK(cities)));
		snprintf(key, sizeof(key), "%sPostalCode", kinds[k]);
		snprintf(buf, sizeof(buf), "%05u", rnd(100000));
		json_object_set_new(f, key, json_string(buf));
		snprintf(key, sizeof(key), "%sCountry", kinds[k]);
		json_object_set_new(f, key, json_string("Country"));
	}
	if (rnd(2)) {
		snprintf(buf, sizeof(buf), "19%02u-%02u-%02u", 40 + rnd(60), 1 + rnd(12), 1 + rnd(28));
		json_object_set_new(f, "birthday", json_string(buf));
	}
	if (rnd(3) == 0)
		json_object_set_new(f, "notes", json_string(PICK(notes)));
	if (rnd(2)) {
		json_t *c = json_array();
		json_array_append_new(c, json_string(PICK(cats)));
		if (rnd(2))
			json_array_append_new(c, json_string(PICK(cats)));
		json_object_set_new(f, "categories", c);
	}
	if (rnd(5) == 0) {
		snprintf(buf, sizeof(buf), "https://www.%s.example/people/%u", last, i);
		json_object_set_new(f, "webPage", json_string(buf));
	}
	at_buf extra;
	at_buf_init(&extra, 0);
	at_buf_printf(&extra, "UID:urn:uuid:%08x-%04x-4%03x-8%03x-%012x\r\n"
			      "PRODID:-//Apple Inc.//iPhone OS 17.1//EN\r\n"
			      "REV:2026-%02u-%02uT%02u:%02u:%02uZ\r\n"
			      "item1.X-ABLabel:_$!<Other>!$_\r\nX-ABUID:%u:ABPerson",
		      rnd(0xffffffff), rnd(0xffff), rnd(0xfff), rnd(0xfff), rnd(0xfffffff), 1 + rnd(12),
		      1 + rnd(28), rnd(24), rnd(60), rnd(60), i);
	if (i % 20 == 0) {
		at_buf_puts(&extra, "\r\nPHOTO;ENCODING=b;TYPE=JPEG:");
		at_buf_append(&extra, photo_b64->data, photo_b64->len);
	}
	json_object_set_new(f, "vcardExtra", json_string(extra.data));
	at_buf_free(&extra);
	return f;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The plain pass: split lines, unfold, count logical lines and bytes. */
static size_t baseline_split(const char *s, size_t n)
{
	size_t logical = 0, bytes = 0;
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		size_t len = (size_t)(e - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0 && (*p == ' ' || *p == '\t'))
			bytes += len - 1;  /* a continuation */
		else {
			logical++;
			bytes += len;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	return logical + bytes;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
	const int runs = 5;
	at_error err;

	/* a 3 KiB "JPEG" for one card in twenty */
	at_buf photo;
	at_buf_init(&photo, 0);
	for (int i = 0; i < 1024; i++)
		at_buf_puts(&photo, "/9j/");
	json_t **contacts = calloc(n, sizeof(*contacts));
	at_buf file;
	at_buf_init(&file, 0);
	for (unsigned i = 0; i < n; i++) {
		contacts[i] = make_contact(i, &photo);
		if (at_vcard_from_fields(contacts[i], i % 2 ? AT_VCARD_V40 : AT_VCARD_V30, NULL, &file,
					 &err) < 0) {
			fprintf(stderr, "bench_vcard: %s\n", err.message);
			return 1;
		}
	}
	double mb = (double)file.len / 1e6;
	printf("%u cards, %.2f MB (%.0f bytes a card), best of %d runs\n", n, mb,
	       (double)file.len / n, runs);

	double best_base = 1e9, best_parse = 1e9, best_import = 1e9, best_export = 1e9,
	       best_copy = 1e9;
	size_t sink = 0, out_len = 0;
	for (int r = 0; r < runs; r++) {
		double t0 = now();
		sink += baseline_split(file.data, file.len);
		double t1 = now();
		if (t1 - t0 < best_base)
			best_base = t1 - t0;

		at_arena *a = at_arena_new(0);
		at_vcard_list list;
		t0 = now();
		if (at_vcard_parse(file.data, file.len, a, &list, &err) < 0 || list.n_errors > 0 ||
		    list.n_cards != n) {
			fprintf(stderr, "bench_vcard: parse: %s\n", err.message);
			return 1;
		}
		t1 = now();
		if (t1 - t0 < best_parse)
			best_parse = t1 - t0;
		at_arena_free(&a);

		a = at_arena_new(0);
		t0 = now();
		at_vcard_parse(file.data, file.len, a, &list, &err);
		for (size_t i = 0; i < list.n_cards; i++) {
			json_t *f;
			if (at_vcard_to_fields(&list.cards[i], &f, &err) < 0) {
				fprintf(stderr, "bench_vcard: map: %s\n", err.message);
				return 1;
			}
			json_decref(f);
		}
		t1 = now();
		if (t1 - t0 < best_import)
			best_import = t1 - t0;
		at_arena_free(&a);

		at_buf out;
		at_buf_init(&out, 0);
		t0 = now();
		for (unsigned i = 0; i < n; i++)
			at_vcard_from_fields(contacts[i], i % 2 ? AT_VCARD_V40 : AT_VCARD_V30, NULL,
					     &out, &err);
		t1 = now();
		if (t1 - t0 < best_export)
			best_export = t1 - t0;
		out_len = out.len;

		/* copy: the same output lines appended one by one */
		at_buf copy;
		at_buf_init(&copy, 0);
		t0 = now();
		const char *p = out.data, *end = out.data + out.len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			at_buf_append(&copy, p, (size_t)(nl - p) + 1);
			p = nl + 1;
		}
		t1 = now();
		if (t1 - t0 < best_copy)
			best_copy = t1 - t0;
		sink += copy.len;
		at_buf_free(&copy);
		at_buf_free(&out);
	}
	double out_mb = (double)out_len / 1e6;
	printf("%-9s %9.1f MB/s %11.0f cards/s\n", "baseline", mb / best_base, n / best_base);
	printf("%-9s %9.1f MB/s %11.0f cards/s   %5.1fx the baseline's time\n", "parse",
	       mb / best_parse, n / best_parse, best_parse / best_base);
	printf("%-9s %9.1f MB/s %11.0f cards/s   %5.1fx the baseline's time\n", "import",
	       mb / best_import, n / best_import, best_import / best_base);
	printf("%-9s %9.1f MB/s %11.0f cards/s\n", "copy", out_mb / best_copy, n / best_copy);
	printf("%-9s %9.1f MB/s %11.0f cards/s   %5.1fx the copy's time\n", "export",
	       out_mb / best_export, n / best_export, best_export / best_copy);
	if (sink == 0)
		puts("");
	for (unsigned i = 0; i < n; i++)
		json_decref(contacts[i]);
	free(contacts);
	at_buf_free(&file);
	at_buf_free(&photo);
	return 0;
}
