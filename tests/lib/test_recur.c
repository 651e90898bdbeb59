/* test_recur.c — recurrence expansion: libical's golden RRULE vectors (every
 * case the cross-check lists as consensus must reproduce exactly), the
 * X-EXPECT-NUMEVENTS counts, daylight-saving changes in Europe/Paris and
 * America/New_York against hand-computed instants, EXDATE/RDATE/EXRULE and
 * overridden instances, the limits, rule validation and the "this and
 * following" split.
 *
 * The third-party vectors are read from the shared corpora next to the
 * source tree; when they are missing the test fails (they are always there
 * in CI). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

#include "arena.h"
#include "recur.h"

#define CORPORA ATRIUM_SRC_DIR "/../shared/corpora"

static char *slurp(const char *path)
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
	return buf;
}

static at_recur_time T(const char *s, const char *tzid)
{
	at_recur_time t;
	if (at_recur_time_parse(s, &t) < 0)
		fail_msg("bad time %s in the test", s);
	if (tzid != NULL)
		t.tzid = tzid;
	return t;
}

static int64_t U(const char *s)
{
	at_recur_time t = T(s, NULL);
	int64_t u;
	at_error err;
	if (at_recur_to_utc(&t, NULL, &u, &err) < 0)
		fail_msg("%s", err.message);
	return u;
}

/* ---- a tiny string builder (the library's at_buf would do too) ---------- */
typedef struct at_buf_t {
	char *s;
	size_t n, cap;
} at_buf_t;

static void sb_add(at_buf_t *b, const char *s)
{
	size_t l = strlen(s);
	if (b->n + l + 1 > b->cap) {
		b->cap = (b->n + l + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	memcpy(b->s + b->n, s, l + 1);
	b->n += l;
}

static void sb_reset(at_buf_t *b)
{
	b->n = 0;
	if (b->s)
		b->s[0] = '\0';
}

static at_error last_err;

/* Expands and writes the local start times, comma-separated, into out;
 * on error last_err says why. */
static int expand_str(const at_recur_series *s, int64_t from, int64_t to,
		      const at_recur_limits *lim, bool skip_dtstart, at_buf_t *out)
{
	at_arena *a = at_arena_new(0);
	at_recur_occurrence *occ;
	size_t n;
	sb_reset(out);
	sb_add(out, "");
	int rc = at_recur_expand(s, from, to, NULL, lim, a, &occ, &n, &last_err);
	if (rc == 0) {
		bool first = true;
		for (size_t i = 0; i < n; i++) {
			if (skip_dtstart && occ[i].origin == AT_RECUR_FROM_DTSTART)
				continue;
			char buf[17];
			at_recur_time_format(&occ[i].local_start, buf);
			if (!first)
				sb_add(out, ",");
			sb_add(out, buf);
			first = false;
		}
	}
	at_arena_free(&a);
	return rc;
}

/* ---- golden vectors ----------------------------------------------------- */

typedef struct consensus {
	char *rrule, *dtstart, *start_at;
	bool seen;
} consensus;

static size_t load_consensus(consensus **c_r)
{
	char *tsv = slurp(CORPORA "/rrule/crosscheck_libical_cases.tsv");
	consensus *c = NULL;
	size_t n = 0;
	char *save = NULL;
	bool header = true;
	for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (header) {
			header = false;
			continue;
		}
		char *col[8] = {0};
		int k = 0;
		for (char *p = line; k < 8; k++) {
			col[k] = p;
			char *tab = strchr(p, '\t');
			if (tab == NULL)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		if (k < 7)
			fail_msg("short line in the cross-check table");
		/* consensus: RFC-valid, dateutil and libical 3.0.16 agree */
		if (strcmp(col[4], "-") != 0 || strcmp(col[5], "yes") != 0 ||
		    strcmp(col[6], "yes") != 0)
			continue;
		c = realloc(c, (n + 1) * sizeof(*c));
		assert_non_null(c);
		c[n].rrule = strdup(col[2]);
		c[n].dtstart = strdup(col[3]);
		char *sa = strstr(col[1], "[START-AT ");
		c[n].start_at = sa ? strndup(sa + 10, 15) : strdup("");
		c[n].seen = false;
		n++;
	}
	free(tsv);
	*c_r = c;
	return n;
}

static void test_golden_vectors(void **state)
{
	consensus *cons;
	size_t n_cons = load_consensus(&cons);
	assert_int_equal(n_cons, 75);
	char *text = slurp(CORPORA "/rrule/libical/icalrecur_test.txt");
	char rrule[2048] = "", dtstart[64] = "", start_at[64] = "", name[512] = "";
	size_t cases = 0, passed = 0, cons_passed = 0, cons_seen = 0;
	at_buf_t got = {0};
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '#') {
			snprintf(name, sizeof(name), "%s", line);
		} else if (strncmp(line, "RRULE:", 6) == 0) {
			snprintf(rrule, sizeof(rrule), "%s", line + 6);
			start_at[0] = '\0';
		} else if (strncmp(line, "DTSTART:", 8) == 0) {
			snprintf(dtstart, sizeof(dtstart), "%s", line + 8);
		} else if (strncmp(line, "START-AT:", 9) == 0) {
			snprintf(start_at, sizeof(start_at), "%s", line + 9);
		} else if (strncmp(line, "INSTANCES:", 10) == 0) {
			const char *expected = line + 10;
			cases++;
			at_recur_series s = {.dtstart = T(dtstart, NULL), .rrule = rrule};
			int64_t from = start_at[0] ? U(start_at) : U(dtstart);
			if (s.dtstart.tzid != NULL && start_at[0] == '\0')
				from = U(dtstart);
			/* Bare rule iteration: an off-rule DTSTART is not part of
			 * libical's expected list (it is of a VEVENT's set). */
			int rc = expand_str(&s, from, U("90000101"), NULL, true, &got);
			bool ok = rc == 0 && strcmp(got.s, expected) == 0;
			if (ok)
				passed++;
			bool is_cons = false;
			for (size_t i = 0; i < n_cons; i++)
				if (strcmp(cons[i].rrule, rrule) == 0 &&
				    strcmp(cons[i].dtstart, dtstart) == 0 &&
				    strcmp(cons[i].start_at, start_at) == 0) {
					is_cons = true;
					cons[i].seen = true;
				}
			if (is_cons) {
				cons_seen++;
				if (ok)
					cons_passed++;
				else
					fail_msg("consensus case %s\n  RRULE:%s DTSTART:%s\n"
						 "  expected %s\n  got      %s%s%s", name, rrule,
						 dtstart, expected, rc ? last_err.message : got.s,
						 rc ? " " : "", rc ? last_err.code : "");
			}
		}
	}
	for (size_t i = 0; i < n_cons; i++) {
		check(cons[i].seen, "consensus case %s / %s not found in the vectors",
		      cons[i].rrule, cons[i].dtstart);
		free(cons[i].rrule);
		free(cons[i].dtstart);
		free(cons[i].start_at);
	}
	free(cons);
	printf("golden RRULE vectors: %zu of %zu reproduce; consensus %zu of %zu\n",
	       passed, cases, cons_passed, cons_seen);
	assert_int_equal(cases, 146);
	assert_int_equal(cons_passed, cons_seen);
	free(got.s);
	free(text);
}

/* ---- X-EXPECT-NUMEVENTS ------------------------------------------------- */

static void test_expect_numevents(void **state)
{
	char *text = slurp(CORPORA "/rrule/libical/recur-x-expect-numevents.txt");
	/* Unfold (CRLF or LF followed by a space or tab). */
	size_t w = 0;
	for (size_t r = 0; text[r]; r++) {
		if (text[r] == '\r')
			continue;
		if (text[r] == '\n' && (text[r + 1] == ' ' || text[r + 1] == '\t')) {
			r++;
			continue;
		}
		text[w++] = text[r];
	}
	text[w] = '\0';
	char dt[64] = "", tz[64] = "", rr[512] = "", exd[64] = "";
	char exr[2][512];
	int n_exr = 0, expect = -1, events = 0;
	bool in = false;
	at_buf_t got = {0};
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "BEGIN:VEVENT") == 0) {
			in = true;
			dt[0] = tz[0] = rr[0] = exd[0] = '\0';
			n_exr = 0;
			expect = -1;
		} else if (!in) {
			continue;
		} else if (strncmp(line, "DTSTART", 7) == 0) {
			const char *colon = strrchr(line, ':');
			snprintf(dt, sizeof(dt), "%s", colon + 1);
			const char *tzp = strstr(line, "TZID=");
			if (tzp)
				snprintf(tz, sizeof(tz), "%.*s", (int)(colon - tzp - 5), tzp + 5);
		} else if (strncmp(line, "RRULE:", 6) == 0) {
			snprintf(rr, sizeof(rr), "%s", line + 6);
		} else if (strncmp(line, "EXRULE:", 7) == 0 && n_exr < 2) {
			snprintf(exr[n_exr++], sizeof(exr[0]), "%s", line + 7);
		} else if (strncmp(line, "EXDATE:", 7) == 0) {
			snprintf(exd, sizeof(exd), "%s", line + 7);
		} else if (strncmp(line, "X-EXPECT-NUMEVENTS:", 19) == 0) {
			expect = atoi(line + 19);
		} else if (strcmp(line, "END:VEVENT") == 0) {
			in = false;
			if (expect < 0 || rr[0] == '\0')
				continue;
			events++;
			const char *exrules[2] = {exr[0], exr[1]};
			at_recur_time ex = exd[0] ? T(exd, NULL) : (at_recur_time){0};
			at_recur_series s = {
				.dtstart = T(dt, tz[0] ? tz : NULL), .rrule = rr,
				.exdates = &ex, .n_exdates = exd[0] ? 1 : 0,
				.exrules = exrules, .n_exrules = (size_t)n_exr,
			};
			int64_t from;
			assert_int_equal(at_recur_to_utc(&s.dtstart, NULL, &from, NULL), 0);
			int rc = expand_str(&s, from, U("90000101"), NULL, true, &got);
			int n = 0;
			if (rc == 0 && got.s[0])
				for (const char *p = got.s; p; p = strchr(p + 1, ','))
					n++;
			check(rc == 0 && n == expect,
			      "RRULE:%s DTSTART;TZID=%s:%s: expected %d events, got %d (%s)",
			      rr, tz, dt, expect, n, rc ? last_err.message : got.s);
		}
	}
	assert_int_equal(events, 57);
	free(got.s);
	free(text);
}

/* ---- daylight saving ---------------------------------------------------- */

static void expect_starts(const at_recur_series *s, int64_t from, int64_t to,
			  const char *const *utc, const char *const *local, size_t n)
{
	at_arena *a = at_arena_new(0);
	at_recur_occurrence *occ;
	size_t got;
	at_error err;
	if (at_recur_expand(s, from, to, NULL, NULL, a, &occ, &got, &err) < 0)
		fail_msg("%s", err.message);
	check(got == n, "expected %zu occurrences, got %zu", n, got);
	for (size_t i = 0; i < n; i++) {
		check(occ[i].start == U(utc[i]), "occurrence %zu: start %lld, expected %s",
		      i, (long long)occ[i].start, utc[i]);
		char buf[17];
		at_recur_time_format(&occ[i].local_start, buf);
		check(strcmp(buf, local[i]) == 0, "occurrence %zu: local %s, expected %s", i,
		      buf, local[i]);
		check(occ[i].end - occ[i].start == s->duration.seconds +
						       s->duration.days * 86400LL,
		      "occurrence %zu: wrong length", i);
	}
	at_arena_free(&a);
}

static void test_dst_paris(void **state)
{
	/* Thursdays 09:00 Paris: CET (UTC+1) until Sunday 31 March 2024, then
	 * CEST (UTC+2); back to CET on Sunday 27 October 2024. */
	at_recur_series s = {
		.dtstart = T("20240314T090000", "Europe/Paris"),
		.duration = {0, 3600},
		.rrule = "FREQ=WEEKLY;BYDAY=TH",
	};
	const char *utc[] = {"20240314T080000Z", "20240321T080000Z", "20240328T080000Z",
			     "20240404T070000Z", "20240411T070000Z"};
	const char *loc[] = {"20240314T090000", "20240321T090000", "20240328T090000",
			     "20240404T090000", "20240411T090000"};
	expect_starts(&s, U("20240301T000000Z"), U("20240412T000000Z"), utc, loc, 5);
	const char *utc2[] = {"20241017T070000Z", "20241024T070000Z", "20241031T080000Z",
			      "20241107T080000Z"};
	const char *loc2[] = {"20241017T090000", "20241024T090000", "20241031T090000",
			      "20241107T090000"};
	expect_starts(&s, U("20241015T000000Z"), U("20241110T000000Z"), utc2, loc2, 4);

	/* A wall time in the spring gap (02:30 on 31 March does not exist)
	 * takes the offset before the gap: 03:30 CEST = 01:30Z.  One that
	 * occurs twice (02:30 on 27 October) is the first: 00:30Z. */
	at_recur_series g = {.dtstart = T("20240330T023000", "Europe/Paris"),
			     .rrule = "FREQ=DAILY;COUNT=3"};
	const char *gu[] = {"20240330T013000Z", "20240331T013000Z", "20240401T003000Z"};
	const char *gl[] = {"20240330T023000", "20240331T023000", "20240401T023000"};
	expect_starts(&g, U("20240301T000000Z"), U("20240501T000000Z"), gu, gl, 3);
	at_recur_series o = {.dtstart = T("20241026T023000", "Europe/Paris"),
			     .rrule = "FREQ=DAILY;COUNT=3"};
	const char *ou[] = {"20241026T003000Z", "20241027T003000Z", "20241028T013000Z"};
	const char *ol[] = {"20241026T023000", "20241027T023000", "20241028T023000"};
	expect_starts(&o, U("20241001T000000Z"), U("20241101T000000Z"), ou, ol, 3);
}

static void test_dst_new_york(void **state)
{
	/* Daily 09:00 New York: EST (UTC-5) until Sunday 10 March 2024 02:00,
	 * then EDT (UTC-4); EST again from Sunday 3 November 2024. */
	at_recur_series s = {
		.dtstart = T("20240308T090000", "America/New_York"),
		.duration = {0, 1800},
		.rrule = "FREQ=DAILY;UNTIL=20240312T130000Z",
	};
	const char *utc[] = {"20240308T140000Z", "20240309T140000Z", "20240310T130000Z",
			     "20240311T130000Z", "20240312T130000Z"};
	const char *loc[] = {"20240308T090000", "20240309T090000", "20240310T090000",
			     "20240311T090000", "20240312T090000"};
	expect_starts(&s, U("20240101T000000Z"), U("20240401T000000Z"), utc, loc, 5);

	/* Monthly on the first Sunday at 01:30: 3 November 2024 01:30 happens
	 * twice; RFC 5545 takes the first (EDT): 05:30Z. */
	at_recur_series m = {.dtstart = T("20240901T013000", "America/New_York"),
			     .rrule = "FREQ=MONTHLY;BYDAY=1SU;COUNT=4"};
	const char *mu[] = {"20240901T053000Z", "20241006T053000Z", "20241103T053000Z",
			    "20241201T063000Z"};
	const char *ml[] = {"20240901T013000", "20241006T013000", "20241103T013000",
			    "20241201T013000"};
	expect_starts(&m, U("20240101T000000Z"), U("20250101T000000Z"), mu, ml, 4);

	/* All-day yearly: dates stay dates; instants in the floating zone. */
	at_recur_series b = {.dtstart = T("20200229", NULL), .duration = {1, 0},
			     .rrule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"};
	at_arena *a = at_arena_new(0);
	at_recur_occurrence *occ;
	size_t n;
	at_error err;
	assert_int_equal(at_recur_expand(&b, U("20200101T000000Z"), U("20240301T000000Z"),
					 "America/New_York", NULL, a, &occ, &n, &err), 0);
	assert_int_equal(n, 5);
	char buf[17];
	at_recur_time_format(&occ[1].local_start, buf);
	assert_string_equal(buf, "20210228");
	assert_true(occ[1].local_start.is_date);
	assert_int_equal(occ[1].start, U("20210228T050000Z"));
	assert_int_equal(occ[1].end, U("20210301T050000Z"));
	at_recur_time_format(&occ[4].local_start, buf);
	assert_string_equal(buf, "20240229");
	at_arena_free(&a);
}

/* ---- EXDATE, RDATE, EXRULE, overrides ----------------------------------- */

static void test_exdate_rdate_overrides(void **state)
{
	/* Mondays 10:00 Berlin from 1 July 2024, 8 times. */
	at_recur_time ex[] = {
		T("20240708T080000Z", NULL),         /* 8 July, as UTC */
		T("20240722T100000", "Europe/Berlin"),/* 22 July, zoned */
		T("20240805", NULL),                 /* 5 August, a date */
	};
	at_recur_rdate rd[] = {
		{T("20240703T150000", "Europe/Berlin"), false, {0}},
		{T("20240704T150000", "Europe/Berlin"), true, T("20240704T170000", "Europe/Berlin")},
		{T("20240701T100000", "Europe/Berlin"), false, {0}}, /* same as DTSTART */
	};
	at_recur_override ov[] = {
		/* 15 July moved to Tuesday 16 July 14:00-15:30 */
		{T("20240715T100000", "Europe/Berlin"), false,
		 T("20240716T140000", "Europe/Berlin"), T("20240716T153000", "Europe/Berlin")},
		/* 29 July cancelled */
		{T("20240729T080000Z", NULL), true, {0}, {0}},
		/* 12 August (outside the range) moved into it, to 31 July */
		{T("20240812T100000", "Europe/Berlin"), false,
		 T("20240731T090000", "Europe/Berlin"), T("20240731T100000", "Europe/Berlin")},
	};
	at_recur_series s = {
		.dtstart = T("20240701T100000", "Europe/Berlin"),
		.duration = {0, 3600},
		.rrule = "FREQ=WEEKLY;COUNT=8",
		.rdates = rd, .n_rdates = 3,
		.exdates = ex, .n_exdates = 3,
		.overrides = ov, .n_overrides = 3,
	};
	at_arena *a = at_arena_new(0);
	at_recur_occurrence *occ;
	size_t n;
	at_error err;
	assert_int_equal(at_recur_expand(&s, U("20240701T000000Z"), U("20240808T000000Z"), NULL,
					 NULL, a, &occ, &n, &err), 0);
	static const struct {
		const char *start, *end, *rid;
		bool overridden;
		at_recur_origin origin;
	} want[] = {
		{"20240701T080000Z", "20240701T090000Z", "20240701T100000", false, AT_RECUR_FROM_RULE},
		{"20240703T130000Z", "20240703T140000Z", "20240703T150000", false, AT_RECUR_FROM_RDATE},
		{"20240704T130000Z", "20240704T150000Z", "20240704T150000", false, AT_RECUR_FROM_RDATE},
		{"20240716T120000Z", "20240716T133000Z", "20240715T100000", true, AT_RECUR_FROM_OVERRIDE},
		{"20240731T070000Z", "20240731T080000Z", "20240812T100000", true, AT_RECUR_FROM_OVERRIDE},
	};
	check(n == N_ELEMS(want), "expected %zu occurrences, got %zu", N_ELEMS(want), n);
	for (size_t i = 0; i < n; i++) {
		char rid[17];
		at_recur_time_format(&occ[i].recurrence_id, rid);
		check(occ[i].start == U(want[i].start) && occ[i].end == U(want[i].end) &&
			      strcmp(rid, want[i].rid) == 0 &&
			      occ[i].overridden == want[i].overridden &&
			      occ[i].origin == want[i].origin,
		      "occurrence %zu: %lld-%lld rid %s overridden %d origin %d", i,
		      (long long)occ[i].start, (long long)occ[i].end, rid, occ[i].overridden,
		      occ[i].origin);
		assert_string_equal(occ[i].recurrence_id.tzid, "Europe/Berlin");
	}
	/* A range that only the moved instance's original start is in: the
	 * original is gone, the replacement is elsewhere. */
	assert_int_equal(at_recur_expand(&s, U("20240715T000000Z"), U("20240716T000000Z"), NULL,
					 NULL, a, &occ, &n, &err), 0);
	assert_int_equal(n, 0);
	/* An instance that started before the range and still runs is in it. */
	assert_int_equal(at_recur_expand(&s, U("20240701T083000Z"), U("20240701T084500Z"), NULL,
					 NULL, a, &occ, &n, &err), 0);
	assert_int_equal(n, 1);
	at_arena_free(&a);
}

static void test_off_rule_dtstart(void **state)
{
	/* DTSTART on a Tuesday, rule on Thursdays: DTSTART is an occurrence of
	 * the set, marked as such. */
	at_recur_series s = {.dtstart = T("20020402T114500", NULL),
			     .rrule = "FREQ=WEEKLY;COUNT=3;BYDAY=TH"};
	at_buf_t got = {0};
	assert_int_equal(expand_str(&s, U("20020101"), U("20030101"), NULL, false, &got), 0);
	assert_string_equal(got.s, "20020402T114500,20020404T114500,20020411T114500,"
				   "20020418T114500");
	assert_int_equal(expand_str(&s, U("20020101"), U("20030101"), NULL, true, &got), 0);
	assert_string_equal(got.s, "20020404T114500,20020411T114500,20020418T114500");
	free(got.s);
}

/* ---- limits ------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_limits(void **state)
{
	at_buf_t got = {0};
	/* Daily for ever: 40 years is more than 10,000 occurrences. */
	at_recur_series daily = {.dtstart = T("20000101T090000", "Europe/Paris"),
				 .rrule = "FREQ=DAILY"};
	assert_int_equal(expand_str(&daily, U("20000101"), U("20400101"), NULL, false, &got), -1);
	assert_string_equal(last_err.code, "limitExceeded");
	assert_non_null(strstr(last_err.message, "10000"));
	assert_non_null(strstr(last_err.message, "maxOccurrences"));
	/* 27 years fit. */
	assert_int_equal(expand_str(&daily, U("20000101"), U("20270101"), NULL, false, &got), 0);
	/* A caller's own limit. */
	at_recur_limits small = {.max_occurrences = 5};
	assert_int_equal(expand_str(&daily, U("20300101"), U("20300107"), &small, false, &got), -1);
	assert_non_null(strstr(last_err.message, "more than 5 occurrences"));
	assert_int_equal(expand_str(&daily, U("20300101"), U("20300106"), &small, false, &got), 0);

	/* Rules that never produce an occurrence are refused, fast. */
	static const char *const never[] = {
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31",
		"FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=-30",
		"FREQ=YEARLY;BYYEARDAY=1;BYMONTH=2",
		"FREQ=DAILY;BYMONTHDAY=31;BYMONTH=2,4",
	};
	for (size_t i = 0; i < N_ELEMS(never); i++) {
		at_error err;
		assert_int_equal(at_recur_validate(never[i], &err), -1);
		check(strstr(err.message, "the rule produces no occurrence") != NULL,
		      "%s: %s", never[i], err.message);
		assert_string_equal(err.field, "rrule");
		at_recur_series s = {.dtstart = T("20250101T090000", NULL), .rrule = never[i]};
		assert_int_equal(expand_str(&s, U("20250101"), U("20260101"), NULL, false, &got), -1);
		assert_non_null(strstr(last_err.message, "the rule produces no occurrence"));
	}
	/* Rules that pass the static check but never meet DTSTART's phase:
	 * every 168 hours from a Tuesday, on Mondays; Feb 29 every 4 years
	 * from a year that is not a leap year.  at_recur_check says so within
	 * the iteration limit, quickly. */
	static const struct { const char *rule, *dtstart; } dynamic[] = {
		{"FREQ=HOURLY;INTERVAL=168;BYDAY=MO", "20250107T090000"},
		{"FREQ=DAILY;INTERVAL=7;BYDAY=MO", "20250107T090000"},
		{"FREQ=SECONDLY;BYMONTH=12", "20250101T000000"},
		{"FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "20250101T090000"},
	};
	for (size_t i = 0; i < N_ELEMS(dynamic); i++) {
		at_recur_series s = {.dtstart = T(dynamic[i].dtstart, "Europe/Paris"),
				     .rrule = dynamic[i].rule};
		at_error err;
		double t0 = now_s();
		assert_int_equal(at_recur_validate(dynamic[i].rule, &err), 0);
		assert_int_equal(at_recur_check(&s, NULL, &err), -1);
		check(strstr(err.message, "no occurrence") != NULL, "%s: %s", dynamic[i].rule,
		      err.message);
		/* Expanding a year does not spin either. */
		int rc = expand_str(&s, U("20250101"), U("20260101"), NULL, false, &got);
		check(rc == -1 || strcmp(got.s, "20250107T090000") == 0 ||
			      strcmp(got.s, "20250101T090000") == 0 ||
			      strcmp(got.s, "20250101T000000") == 0,
		      "%s: %s", dynamic[i].rule, got.s);
		double dt = now_s() - t0;
		check(dt < 10.0, "%s took %.1f s", dynamic[i].rule, dt);
	}
	/* A sparse rule over a long range: limited, not spinning. */
	at_recur_series sparse = {.dtstart = T("20250101T000000", NULL),
				  .rrule = "FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0"};
	double t0 = now_s();
	assert_int_equal(expand_str(&sparse, U("20250101"), U("20250301"), NULL, false, &got), -1);
	assert_string_equal(last_err.code, "limitExceeded");
	assert_non_null(strstr(last_err.message, "maxIterations"));
	assert_int_equal(expand_str(&sparse, U("20250101"), U("20250102"), NULL, false, &got), 0);
	assert_string_equal(got.s, "20250101T000000,20250101T090000");
	check(now_s() - t0 < 10.0, "the sparse rule took too long");
	/* A normal check passes. */
	at_error err;
	assert_int_equal(at_recur_check(&daily, NULL, &err), 0);
	free(got.s);
}

/* ---- validation --------------------------------------------------------- */

static void test_validate(void **state)
{
	static const struct { const char *rule, *msg; } bad[] = {
		{"", "empty"},
		{"COUNT=3", "FREQ is missing"},
		{"FREQ=FORTNIGHTLY", "FREQ \"FORTNIGHTLY\" is not one of"},
		{"FREQ=DAILY;COUNT=0", "COUNT \"0\""},
		{"FREQ=DAILY;COUNT=x", "COUNT \"x\""},
		{"FREQ=DAILY;INTERVAL=0", "INTERVAL \"0\""},
		{"FREQ=DAILY;COUNT=3;UNTIL=20250101", "COUNT and UNTIL"},
		{"FREQ=DAILY;UNTIL=2025-01-01", "UNTIL \"2025-01-01\""},
		{"FREQ=DAILY;BYHOUR=24", "BYHOUR value \"24\" is out of range"},
		{"FREQ=DAILY;BYMINUTE=60", "BYMINUTE value \"60\""},
		{"FREQ=YEARLY;BYMONTH=13", "BYMONTH value \"13\""},
		{"FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY value \"0\""},
		{"FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY value \"32\""},
		{"FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY value \"367\""},
		{"FREQ=WEEKLY;BYDAY=MO,XX", "BYDAY value \"XX\""},
		{"FREQ=WEEKLY;BYDAY=1MO", "BYDAY with an ordinal"},
		{"FREQ=MONTHLY;BYDAY=6MO", "beyond the 5 weeks"},
		{"FREQ=MONTHLY;BYWEEKNO=3", "BYWEEKNO is only allowed with FREQ=YEARLY"},
		{"FREQ=WEEKLY;BYMONTHDAY=3", "BYMONTHDAY is not allowed with FREQ=WEEKLY"},
		{"FREQ=DAILY;BYYEARDAY=3", "BYYEARDAY is not allowed with FREQ=DAILY"},
		{"FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BYxxx part"},
		{"FREQ=DAILY;FREQ=WEEKLY", "FREQ appears more than once"},
		{"FREQ=DAILY;FOO=1", "unknown rule part \"FOO\""},
		{"FREQ=DAILY;BYDAY", "has no \"=\""},
		{"FREQ=DAILY;;COUNT=2", "empty rule part"},
		{"FREQ=DAILY;WKST=XY", "WKST \"XY\""},
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		at_error err;
		at_error_clear(&err);
		check(at_recur_validate(bad[i].rule, &err) == -1, "%s was accepted", bad[i].rule);
		check(strstr(err.message, bad[i].msg) != NULL, "%s: \"%s\" lacks \"%s\"",
		      bad[i].rule, err.message, bad[i].msg);
		assert_string_equal(err.code, "invalidField");
		assert_string_equal(err.field, "rrule");
	}
	static const char *const good[] = {
		AT_RECUR_WORKDAYS,
		"FREQ=WEEKLY;INTERVAL=1;COUNT=2;BYDAY=MO;", /* Google's trailing ';' */
		"freq=daily;count=3",
		"FREQ=DAILY;X-NAME=whatever;COUNT=3",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231T235959Z",
		"FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH",
		"FREQ=WEEKLY;BYDAY=TH,TH,SU",
	};
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		at_error err;
		check(at_recur_validate(good[i], &err) == 0, "%s: %s", good[i], err.message);
	}
	/* Too long. */
	char longrule[2000] = "FREQ=DAILY;BYMONTHDAY=1";
	while (strlen(longrule) < 1500)
		strcat(longrule, ",1");
	at_error err;
	assert_int_equal(at_recur_validate(longrule, &err), -1);
	assert_string_equal(err.code, "limitExceeded");

	/* Duplicates do not eat into COUNT. */
	at_recur_series s = {.dtstart = T("20111120T100000Z", NULL),
			     .rrule = "FREQ=WEEKLY;COUNT=3;BYDAY=SU,TH,TH"};
	at_buf_t got = {0};
	assert_int_equal(expand_str(&s, U("20111101"), U("20120101"), NULL, false, &got), 0);
	assert_string_equal(got.s, "20111120T100000Z,20111124T100000Z,20111127T100000Z");
	/* Unknown zones are refused by name. */
	at_recur_series z = {.dtstart = T("20250101T090000", "Mars/Olympus_Mons"),
			     .rrule = "FREQ=DAILY"};
	assert_int_equal(expand_str(&z, U("20250101"), U("20250102"), NULL, false, &got), -1);
	assert_non_null(strstr(last_err.message, "unknown time zone \"Mars/Olympus_Mons\""));
	at_recur_series z2 = {.dtstart = T("20250101T090000", "../../../etc/passwd")};
	assert_int_equal(expand_str(&z2, U("20250101"), U("20250102"), NULL, false, &got), -1);
	free(got.s);
}

static void test_workdays(void **state)
{
	at_recur_series s = {.dtstart = T("20250106T083000", "Europe/Paris"),
			     .duration = {0, 8 * 3600}, .rrule = AT_RECUR_WORKDAYS};
	at_buf_t got = {0};
	assert_int_equal(expand_str(&s, U("20250106"), U("20250120"), NULL, false, &got), 0);
	assert_string_equal(got.s,
			    "20250106T083000,20250107T083000,20250108T083000,20250109T083000,"
			    "20250110T083000,20250113T083000,20250114T083000,20250115T083000,"
			    "20250116T083000,20250117T083000");
	free(got.s);
}

/* ---- split -------------------------------------------------------------- */

static void test_split(void **state)
{
	at_arena *a = at_arena_new(0);
	char *old_rule, *new_rule;
	at_recur_time ns;
	at_error err;
	char buf[17];

	/* Weekly, 10 times, zoned: split at the 4th. */
	at_recur_series s = {.dtstart = T("20240104T090000", "Europe/Paris"),
			     .duration = {0, 3600}, .rrule = "FREQ=WEEKLY;BYDAY=TH;COUNT=10"};
	at_recur_time at = T("20240125T090000", "Europe/Paris");
	assert_int_equal(at_recur_split(&s, &at, NULL, a, &old_rule, &ns, &new_rule, &err), 0);
	assert_string_equal(old_rule, "FREQ=WEEKLY;BYDAY=TH;UNTIL=20240125T075959Z");
	assert_string_equal(new_rule, "FREQ=WEEKLY;BYDAY=TH;COUNT=7");
	at_recur_time_format(&ns, buf);
	assert_string_equal(buf, "20240125T090000");
	assert_string_equal(ns.tzid, "Europe/Paris");
	/* Together the two series give the original occurrences. */
	at_buf_t whole = {0}, first = {0}, second = {0};
	assert_int_equal(expand_str(&s, U("20240101"), U("20250101"), NULL, false, &whole), 0);
	at_recur_series s1 = s, s2 = s;
	s1.rrule = old_rule;
	s2.rrule = new_rule;
	s2.dtstart = ns;
	assert_int_equal(expand_str(&s1, U("20240101"), U("20250101"), NULL, false, &first), 0);
	assert_int_equal(expand_str(&s2, U("20240101"), U("20250101"), NULL, false, &second), 0);
	sb_add(&first, ",");
	sb_add(&first, second.s);
	assert_string_equal(whole.s, first.s);

	/* The same by the instant of the occurrence, given in UTC. */
	at = T("20240125T080000Z", NULL);
	assert_int_equal(at_recur_split(&s, &at, NULL, a, &old_rule, &ns, &new_rule, &err), 0);
	assert_string_equal(new_rule, "FREQ=WEEKLY;BYDAY=TH;COUNT=7");

	/* UNTIL-bounded, floating: the new series keeps UNTIL. */
	at_recur_series f = {.dtstart = T("20240101T100000", NULL),
			     .rrule = "FREQ=DAILY;UNTIL=20240110T100000;INTERVAL=2"};
	at = T("20240105T100000", NULL);
	assert_int_equal(at_recur_split(&f, &at, NULL, a, &old_rule, &ns, &new_rule, &err), 0);
	assert_string_equal(old_rule, "FREQ=DAILY;INTERVAL=2;UNTIL=20240105T095959");
	assert_string_equal(new_rule, "FREQ=DAILY;INTERVAL=2;UNTIL=20240110T100000");

	/* All-day: UNTIL is the day before. */
	at_recur_series d = {.dtstart = T("20240101", NULL), .duration = {1, 0},
			     .rrule = "FREQ=MONTHLY;COUNT=12"};
	at = T("20240601", NULL);
	assert_int_equal(at_recur_split(&d, &at, NULL, a, &old_rule, &ns, &new_rule, &err), 0);
	assert_string_equal(old_rule, "FREQ=MONTHLY;UNTIL=20240531");
	assert_string_equal(new_rule, "FREQ=MONTHLY;COUNT=7");
	assert_true(ns.is_date);

	/* At DTSTART: nothing is left of the old series. */
	at = T("20240101", NULL);
	assert_int_equal(at_recur_split(&d, &at, NULL, a, &old_rule, &ns, &new_rule, &err), 0);
	assert_null(old_rule);
	assert_string_equal(new_rule, "FREQ=MONTHLY;COUNT=12");

	/* Not an occurrence. */
	at = T("20240615", NULL);
	assert_int_equal(at_recur_split(&d, &at, NULL, a, &old_rule, &ns, &new_rule, &err), -1);
	assert_string_equal(err.code, "notFound");
	assert_non_null(strstr(err.message, "20240615"));
	free(whole.s);
	free(first.s);
	free(second.s);
	at_arena_free(&a);
}

/* ---- helpers ------------------------------------------------------------ */

static void test_time_helpers(void **state)
{
	for (int64_t d = -800000; d < 3000000; d += 997) {
		int y, m, dd;
		at_recur_civil_from_days(d, &y, &m, &dd);
		assert_int_equal(at_recur_days_from_civil(y, m, dd), d);
	}
	assert_int_equal(at_recur_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(at_recur_days_from_civil(2000, 3, 1), 11017);
	at_recur_time t;
	assert_int_equal(at_recur_time_parse("20240229T235959Z", &t), 0);
	assert_string_equal(t.tzid, "UTC");
	assert_int_equal(at_recur_time_parse("20230229", &t), -1);
	assert_int_equal(at_recur_time_parse("20240101T2400000", &t), -1);
	assert_int_equal(at_recur_time_parse("2024010", &t), -1);
	at_error err;
	at_recur_time bad = {.year = 2024, .month = 2, .day = 30};
	assert_int_equal(at_recur_time_check(&bad, "dtstart", &err), -1);
	assert_string_equal(err.field, "dtstart");
	at_recur_time r;
	assert_int_equal(at_recur_from_utc(U("20240701T120000Z"), "Asia/Tokyo", &r, &err), 0);
	char buf[17];
	at_recur_time_format(&r, buf);
	assert_string_equal(buf, "20240701T210000");
	assert_true(at_recur_zone_known("America/New_York"));
	assert_true(at_recur_zone_known("UTC"));
	assert_false(at_recur_zone_known("W. Europe Standard Time"));
	assert_false(at_recur_zone_known("/etc/passwd"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_vectors),
		cmocka_unit_test(test_expect_numevents),
		cmocka_unit_test(test_dst_paris),
		cmocka_unit_test(test_dst_new_york),
		cmocka_unit_test(test_exdate_rdate_overrides),
		cmocka_unit_test(test_off_rule_dtstart),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_workdays),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_time_helpers),
	};
	return cmocka_run_group_tests_name("recur", tests, NULL, NULL);
}
