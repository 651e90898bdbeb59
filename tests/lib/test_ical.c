/* test_ical.c — iCalendar import/export: every real-world .ics of the shared
 * corpora either round-trips with nothing lost (parse -> write -> parse gives
 * the same structure, unknown properties included) or is one of the listed
 * known-bad files, refused with a line number; the known-invalid and fuzz
 * inputs never crash or leak; the fields, zones (IANA, Windows, custom,
 * floating), alarms, overrides, limits and error line numbers; the embedded
 * Windows zone table against CLDR; written VTIMEZONEs against tzdata.
 *
 * The corpora are read next to the source tree; when they are missing the
 * test fails (they are always there in CI). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#include "arena.h"
#include "ical.h"
#include "recur.h"
#include "strbuf.h"

#define CORPORA ATRIUM_SRC_DIR "/../shared/corpora"

static char *slurp(const char *path, size_t *n_r)
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
	if (n_r)
		*n_r = (size_t)n;
	return buf;
}

static const char *str(const at_buf *b)
{
	return b->data ? b->data : "";
}

/* ---- file lists ----------------------------------------------------------- */

typedef struct paths {
	char **v;
	size_t n;
} paths;

static void walk(const char *dir, const char *ext, paths *out)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open %s: the shared corpora must be present", dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, ext, out);
			continue;
		}
		size_t l = strlen(e->d_name), el = ext ? strlen(ext) : 0;
		if (ext != NULL && (l < el || strcmp(e->d_name + l - el, ext) != 0))
			continue;
		out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = strdup(path);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void paths_free(paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* ---- round trip ------------------------------------------------------------ */

/* Files of the real-world directories that are refused, and why: each is
 * broken on purpose (parser tests of their projects) or not RFC 5545. */
static const struct refusal {
	const char *file;   /* path under icalendar/ */
	const char *why;    /* part of the error message */
} refusals[] = {
	{"evolution-data-server/components/task-3.ics", "has no \"=\""},  /* COMPLETED;America/New_York: */
	{"ical4j/valid/1106817412.ics", "not valid UTF-8"},              /* Latin-1 text */
	{"libical/calendar.ics", "DTEND: \"19970701T1100000Z\""},         /* seven-digit time */
	{"libical/caltime.ics", "has no \"=\""},
	{"libical/get_char_test.ics", "DURATITIMEZONE"},
	{"libical/incoming.ics", "DTEND: \"19970701T10300Z\""},
	{"libical/issue250.ics", "has no \"=\""},
	{"libical/issue251.ics", "has no \"=\""},
	{"libical/issue252.ics", "control character"},
	{"libical/issue253.ics", "control character"},
	{"libical/issue339.ics", "has no \"=\""},                        /* vCard 2.1 TEL;WORK;VOICE */
	{"libical/process-calendar.ics", "DTEND: \"19970701T1300Z\""},
	{"libical/process-incoming.ics", "DTEND: \"19970701T1300Z\""},
	{"libical/stresstest.ics", "was expected after the name"},       /* unfolded text line */
	{"libical/zday.ics", "control character"},
	{"python-icalendar/calendars/big_bad_calendar.ics", "never closed"},
	{"python-icalendar/calendars/broken_dtstart.ics", "INVALID-DATE"},
	{"python-icalendar/calendars/broken_ical.ics", "has no \"=\""},
	{"python-icalendar/calendars/fuzz_testcase_0_char_in_component_name.ics", "NUL byte"},
	{"python-icalendar/calendars/fuzz_testcase_invalid_month.ics", "never closed"},
	{"python-icalendar/calendars/fuzz_testcase_vtimezone_lone_cr.ics", "control character"},
	{"python-icalendar/calendars/invalid_duration.ics", "not a valid duration"},
	{"python-icalendar/calendars/issue_104_broken_calendar.ics", "was expected after the name"},
	{"python-icalendar/calendars/issue_1081_empty_rdate.ics", "RDATE: \"\""},
	{"python-icalendar/calendars/issue_1081_invalid_rrule_freq.ics", "FREQ \"INVALID_TYPE"},
	{"python-icalendar/calendars/issue_1081_invalid_start_and_end.ics", "INVALID-DATE"},
	{"python-icalendar/calendars/issue_1081_invalid_start_valid_end.ics", "INVALID-DATE"},
	{"python-icalendar/calendars/issue_168_input.ics", "was expected after the name"},
	{"python-icalendar/calendars/issue_348_exception_parsing_value.ics", "\":\" expected"},
	{"python-icalendar/calendars/issue_351_whitespace_in_property_and_params.ics",
	 "was expected after the name"},
	{"python-icalendar/calendars/multiple_calendar_components.ics", "was expected after the name"},
	{"python-icalendar/calendars/parsing_error.ics", "EXDATE: \"\""},
	{"python-icalendar/calendars/pr_480_summary_with_colon.ics", "never closed"},
	{"python-icalendar/calendars/small_bad_calendar.ics", "never closed"},
	{"python-icalendar/calendars/timezone_rdate.ics", "SUMMARY=testevent"},
	{"python-icalendar/calendars/timezone_same_start_and_offset.ics", "END:VCALENDARD"},
	{"python-icalendar/events/event_with_escaped_character3.ics", "has no \"=\""},
	{"python-icalendar/events/event_with_escaped_characters.ics", "has no \"=\""},
	{"python-icalendar/events/issue_104_mark_events_broken.ics", "was expected after the name"},
	{"python-icalendar/events/issue_464_invalid_rdate.ics", "not a valid period"},
	{"radicale/broken-vevent.ics", "never closed"},
	{"radicale/event_rdate_period_start_stop.ics", "not a valid period"},
};

static const struct refusal *expected_refusal(const char *path)
{
	const char *rel = strstr(path, "/icalendar/");
	for (size_t i = 0; rel && i < N_ELEMS(refusals); i++)
		if (strcmp(rel + 11, refusals[i].file) == 0)
			return &refusals[i];
	return NULL;
}

/* "line N: ..." with N == line. */
static void check_line_message(const char *path, const at_error *err, unsigned line)
{
	unsigned n = 0;
	check(sscanf(err->message, "line %u:", &n) == 1 && n == line && line > 0,
	      "%s: message \"%s\" does not start with its line %u", path, err->message, line);
}

static void test_corpus_round_trip(void **state)
{
	static const char *const dirs[] = {
		"ical4j/valid", "python-icalendar", "icaljs/samples", "evolution-data-server",
		"golang-ical", "radicale", "libical",
	};
	paths files = {0};
	for (size_t i = 0; i < N_ELEMS(dirs); i++) {
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s/icalendar/%s", CORPORA, dirs[i]);
		walk(dir, ".ics", &files);
	}
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	size_t ok = 0, refused = 0;
	bool seen[N_ELEMS(refusals)] = {0};
	for (size_t i = 0; i < files.n; i++) {
		const char *path = files.v[i];
		size_t len;
		char *text = slurp(path, &len);
		at_arena *a = at_arena_new(0);
		at_ical_calendar *cal, *cal2, *cal3;
		unsigned line;
		at_error err;
		const struct refusal *r = expected_refusal(path);
		if (at_ical_parse(text, len, NULL, a, &cal, &line, &err) < 0) {
			check(r != NULL, "%s refused: %s", path, err.message);
			check(strstr(err.message, r->why) != NULL, "%s: \"%s\" lacks \"%s\"", path,
			      err.message, r->why);
			check_line_message(path, &err, line);
			seen[r - refusals] = true;
			refused++;
		} else {
			check(r == NULL, "%s is on the refusal list but parses", path);
			at_buf w1, w2, d1, d2;
			at_buf_init(&w1, 0);
			at_buf_init(&w2, 0);
			at_buf_init(&d1, 0);
			at_buf_init(&d2, 0);
			assert_int_equal(at_ical_write(cal, &w1, &err), 0);
			if (at_ical_parse(w1.data, w1.len, NULL, a, &cal2, &line, &err) < 0)
				fail_msg("%s: the written text does not parse: %s\n%s", path,
					 err.message, str(&w1));
			at_ical_dump(cal, &d1);
			at_ical_dump(cal2, &d2);
			if (strcmp(str(&d1), str(&d2)) != 0)
				fail_msg("%s: the structure changed in the round trip\n--- before\n"
					 "%s--- after\n%s", path, str(&d1), str(&d2));
			/* Writing is stable from then on. */
			assert_int_equal(at_ical_write(cal2, &w2, &err), 0);
			assert_int_equal(at_ical_parse(w2.data, w2.len, NULL, a, &cal3, &line, &err), 0);
			check(strcmp(str(&w1), str(&w2)) == 0, "%s: writing is not stable", path);
			at_buf_free(&w1);
			at_buf_free(&w2);
			at_buf_free(&d1);
			at_buf_free(&d2);
			ok++;
		}
		at_arena_free(&a);
		free(text);
	}
	for (size_t i = 0; i < N_ELEMS(refusals); i++)
		check(seen[i], "listed refusal %s was not met", refusals[i].file);
	printf("iCalendar corpus: %zu files, %zu round-trip, %zu refused as listed\n", files.n,
	       ok, refused);
	assert_true(files.n > 400);
	paths_free(&files);
}

/* Known-invalid and fuzz inputs: an error with a line, or a parse that
 * writes and re-parses; never a crash (the sanitizer build checks leaks). */
static void test_invalid_inputs(void **state)
{
	paths files = {0};
	walk(CORPORA "/icalendar/ical4j/invalid", NULL, &files);
	walk(CORPORA "/icalendar/libical-fuzz", NULL, &files);
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	size_t refused = 0, parsed = 0;
	for (size_t i = 0; i < files.n; i++) {
		size_t len;
		char *text = slurp(files.v[i], &len);
		at_arena *a = at_arena_new(0);
		at_ical_calendar *cal;
		unsigned line;
		at_error err;
		if (at_ical_parse(text, len, NULL, a, &cal, &line, &err) < 0) {
			check(strcmp(err.code, "invalidArguments") == 0 ||
				      strcmp(err.code, "limitExceeded") == 0,
			      "%s: code %s", files.v[i], err.code);
			check_line_message(files.v[i], &err, line);
			refused++;
		} else {
			at_buf w;
			at_buf_init(&w, 0);
			assert_int_equal(at_ical_write(cal, &w, &err), 0);
			at_ical_calendar *cal2;
			check(at_ical_parse(w.data, w.len, NULL, a, &cal2, &line, &err) == 0,
			      "%s: written text does not parse: %s", files.v[i], err.message);
			at_buf_free(&w);
			parsed++;
		}
		at_arena_free(&a);
		free(text);
	}
	printf("invalid/fuzz inputs: %zu files, %zu refused, %zu parsed\n", files.n, refused,
	       parsed);
	assert_true(files.n >= 50);
	paths_free(&files);
}

/* ---- fields -------------------------------------------------------------- */

static const char sample[] =
	"BEGIN:VCALENDAR\r\n"
	"VERSION:2.0\r\n"
	"PRODID:-//Example//Test//EN\r\n"
	"METHOD:REQUEST\r\n"
	"X-WR-CALNAME:Team\r\n"
	"BEGIN:VTIMEZONE\r\n"
	"TZID:Custom Office Time\r\n"
	"BEGIN:STANDARD\r\n"
	"DTSTART:19700101T000000\r\n"
	"TZOFFSETFROM:+0300\r\n"
	"TZOFFSETTO:+0300\r\n"
	"TZNAME:COT\r\n"
	"END:STANDARD\r\n"
	"END:VTIMEZONE\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:series-1@example.org\r\n"
	"DTSTAMP:20240101T000000Z\r\n"
	"DTSTART;TZID=W. Europe Standard Time:20240304T090000\r\n"
	"DTEND;TZID=W. Europe Standard Time:20240304T100000\r\n"
	"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\r\n"
	"EXDATE;TZID=W. Europe Standard Time:20240311T090000,20240318T090000\r\n"
	"RDATE;VALUE=PERIOD:20240320T140000Z/PT2H\r\n"
	"SUMMARY;LANGUAGE=de:Wochen\\, Besprechung\\; Raum \\\\ 1\r\n"
	"LOCATION:Room 1\r\n"
	"DESCRIPTION:First line\\nSecond line with a long text that will certainly need "
	"to be folded when it is written back\r\n"
	"CLASS:PRIVATE\r\n"
	"TRANSP:TRANSPARENT\r\n"
	"STATUS:CONFIRMED\r\n"
	"PRIORITY:1\r\n"
	"SEQUENCE:3\r\n"
	"CATEGORIES:Work,Meeting\r\n"
	"CATEGORIES:Team\\, weekly\r\n"
	"ORGANIZER;CN=\"Boss, The\":mailto:boss@example.org\r\n"
	"ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR;CN=Ada;X-NUM-GUESTS=0:mailto:ada@example.org\r\n"
	"ATTENDEE;PARTSTAT=DECLINED;ROLE=OPT-PARTICIPANT;CN=Bob;X-RESPONSE-COMMENT=\"Away; sorry\""
	":mailto:bob@example.org\r\n"
	"X-MICROSOFT-CDO-BUSYSTATUS;X-P=\"a,b\":BUSY\r\n"
	"X-EMPTY:\r\n"
	"BEGIN:VALARM\r\n"
	"ACTION:DISPLAY\r\n"
	"TRIGGER:-PT15M\r\n"
	"DESCRIPTION:Reminder\r\n"
	"X-EVOLUTION-ALARM-UID:abc\r\n"
	"END:VALARM\r\n"
	"BEGIN:VALARM\r\n"
	"ACTION:AUDIO\r\n"
	"TRIGGER;RELATED=END:PT5M\r\n"
	"END:VALARM\r\n"
	"BEGIN:X-VLOCATION\r\n"
	"NAME:Somewhere\r\n"
	"END:X-VLOCATION\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:series-1@example.org\r\n"
	"RECURRENCE-ID;TZID=W. Europe Standard Time:20240325T090000\r\n"
	"DTSTART;TZID=Custom Office Time:20240326T120000\r\n"
	"DURATION:PT90M\r\n"
	"SUMMARY:Moved\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VTODO\r\n"
	"UID:task-1\r\n"
	"DTSTART;VALUE=DATE:20240401\r\n"
	"DUE:20240405T170000\r\n"
	"PERCENT-COMPLETE:40\r\n"
	"COMPLETED:20240403T120000Z\r\n"
	"PRIORITY:high\r\n"
	"STATUS:IN-PROCESS\r\n"
	"BEGIN:VALARM\r\n"
	"ACTION:DISPLAY\r\n"
	"TRIGGER;VALUE=DATE-TIME:20240404T080000Z\r\n"
	"END:VALARM\r\n"
	"END:VTODO\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:lonely\r\n"
	"DTSTART;TZID=Nowhere/Unknown:20240101T100000\r\n"
	"END:VEVENT\r\n"
	"BEGIN:VJOURNAL\r\n"
	"UID:j1\r\n"
	"SUMMARY:kept as it is\r\n"
	"END:VJOURNAL\r\n"
	"END:VCALENDAR\r\n";

static int64_t U(const char *s)
{
	at_recur_time t;
	int64_t u;
	assert_int_equal(at_recur_time_parse(s, &t), 0);
	assert_int_equal(at_recur_to_utc(&t, NULL, &u, NULL), 0);
	return u;
}

static void check_sample(const at_ical_calendar *cal)
{
	assert_string_equal(cal->prodid, "-//Example//Test//EN");
	assert_string_equal(cal->method, "REQUEST");
	assert_int_equal(cal->n_props, 1);
	assert_string_equal(cal->props[0].name, "X-WR-CALNAME");
	assert_int_equal(cal->n_items, 3);
	const at_ical_item *ev = &cal->items[0];
	assert_int_equal(ev->kind, AT_ICAL_EVENT);
	assert_string_equal(ev->uid, "series-1@example.org");
	assert_string_equal(ev->summary.value, "Wochen, Besprechung; Raum \\ 1");
	assert_int_equal(ev->summary.extra.n, 1);
	assert_string_equal(ev->summary.extra.v[0].name, "LANGUAGE");
	assert_string_equal(ev->location.value, "Room 1");
	assert_non_null(strstr(ev->description.value, "First line\nSecond line"));
	assert_string_equal(ev->dtstart.t.tzid, "Europe/Berlin");
	assert_int_equal(ev->dtstart.utc, U("20240304T080000Z"));
	assert_int_equal(ev->dtend.utc, U("20240304T090000Z"));
	assert_false(ev->all_day);
	assert_int_equal(ev->n_rrules, 1);
	assert_string_equal(ev->rrules[0], "FREQ=WEEKLY;BYDAY=MO;COUNT=6");
	assert_int_equal(ev->n_exdates, 2);
	assert_int_equal(ev->exdates[1].utc, U("20240318T080000Z"));
	assert_int_equal(ev->n_rdates, 1);
	assert_true(ev->rdates[0].has_end);
	assert_int_equal(ev->rdates[0].end.utc, U("20240320T160000Z"));
	assert_string_equal(ev->klass, "PRIVATE");
	assert_string_equal(ev->transp, "TRANSPARENT");
	assert_string_equal(ev->status, "CONFIRMED");
	assert_int_equal(ev->priority, 1);
	assert_int_equal(ev->sequence, 3);
	assert_int_equal(ev->n_categories, 3);
	assert_string_equal(ev->categories[2], "Team, weekly");
	assert_true(ev->has_organizer);
	assert_string_equal(ev->organizer.cn, "Boss, The");
	assert_string_equal(ev->organizer.address, "mailto:boss@example.org");
	assert_int_equal(ev->n_attendees, 2);
	assert_string_equal(ev->attendees[0].partstat, "ACCEPTED");
	assert_string_equal(ev->attendees[0].role, "CHAIR");
	assert_string_equal(ev->attendees[0].cn, "Ada");
	assert_int_equal(ev->attendees[0].extra.n, 1);
	assert_string_equal(ev->attendees[0].extra.v[0].name, "X-NUM-GUESTS");
	assert_string_equal(ev->attendees[1].partstat, "DECLINED");
	assert_string_equal(ev->attendees[1].comment, "Away; sorry");
	/* unknown properties, verbatim */
	size_t found = 0;
	for (size_t i = 0; i < ev->n_other; i++) {
		if (strcmp(ev->other[i].name, "X-MICROSOFT-CDO-BUSYSTATUS") == 0) {
			assert_string_equal(ev->other[i].value, "BUSY");
			assert_string_equal(ev->other[i].params.v[0].value, "\"a,b\"");
			found++;
		}
		if (strcmp(ev->other[i].name, "X-EMPTY") == 0 || strcmp(ev->other[i].name, "DTSTAMP") == 0)
			found++;
	}
	assert_int_equal(found, 3);
	assert_int_equal(ev->n_alarms, 2);
	assert_string_equal(ev->alarms[0].action, "DISPLAY");
	assert_int_equal(ev->alarms[0].trigger_minutes, -15);
	assert_int_equal(ev->alarms[0].n_other, 2);
	assert_int_equal(ev->alarms[1].trigger_minutes, 5);
	assert_true(ev->alarms[1].related_end);
	assert_int_equal(ev->n_subs, 1);
	assert_string_equal(ev->subs[0].name, "X-VLOCATION");
	/* the override, grouped with its master; custom zone at +03:00 */
	assert_int_equal(ev->n_overrides, 1);
	const at_ical_item *ov = &ev->overrides[0];
	assert_int_equal(ov->recurrence_id.utc, U("20240325T080000Z"));
	assert_true(ov->dtstart.custom_zone);
	assert_null(ov->dtstart.t.tzid);
	assert_string_equal(ov->dtstart.tzid, "Custom Office Time");
	assert_true(ov->dtstart.has_utc);
	assert_int_equal(ov->dtstart.utc, U("20240326T090000Z"));
	assert_int_equal(ov->duration.seconds, 5400);
	/* the task */
	const at_ical_item *td = &cal->items[1];
	assert_int_equal(td->kind, AT_ICAL_TODO);
	assert_true(td->all_day);
	assert_true(td->dtstart.t.is_date);
	assert_false(td->due.has_utc); /* floating stays floating */
	assert_null(td->due.tzid);
	assert_int_equal(td->percent_complete, 40);
	assert_int_equal(td->completed.utc, U("20240403T120000Z"));
	assert_false(td->has_priority);          /* "high" does not fit ... */
	assert_string_equal(td->other[0].name, "PRIORITY"); /* ... and is kept */
	assert_true(td->alarms[0].trigger_absolute);
	assert_int_equal(td->alarms[0].trigger_at.utc, U("20240404T080000Z"));
	/* a TZID with neither VTIMEZONE nor IANA name: kept, no instant */
	const at_ical_item *lonely = &cal->items[2];
	assert_string_equal(lonely->dtstart.tzid, "Nowhere/Unknown");
	assert_false(lonely->dtstart.has_utc);
	assert_int_equal(cal->n_others, 1);
	assert_string_equal(cal->others[0].name, "VJOURNAL");
}

static void test_fields(void **state)
{
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal, *cal2;
	unsigned line;
	at_error err;
	if (at_ical_parse(sample, strlen(sample), NULL, a, &cal, &line, &err) < 0)
		fail_msg("%s", err.message);
	check_sample(cal);
	at_buf w;
	at_buf_init(&w, 0);
	assert_int_equal(at_ical_write(cal, &w, &err), 0);
	if (at_ical_parse(w.data, w.len, NULL, a, &cal2, &line, &err) < 0)
		fail_msg("%s\n%s", err.message, w.data);
	check_sample(cal2);
	/* The Windows name became the IANA one, with its VTIMEZONE; the custom
	 * zone is written as it was. */
	assert_non_null(strstr(w.data, "DTSTART;TZID=Europe/Berlin:20240304T090000\r\n"));
	assert_non_null(strstr(w.data, "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"));
	assert_non_null(strstr(w.data, "TZID:Custom Office Time\r\n"));
	assert_null(strstr(w.data, "freeassociation"));
	/* Lines are folded at 75 octets, CRLF everywhere. */
	for (const char *p = w.data; *p;) {
		const char *e = strstr(p, "\r\n");
		assert_non_null(e);
		check(e - p <= 75, "line too long: %.*s", (int)(e - p), p);
		p = e + 2;
	}
	at_buf_free(&w);
	at_arena_free(&a);
}

static void test_folding_utf8(void **state)
{
	at_arena *a = at_arena_new(0);
	at_buf in;
	at_buf_init(&in, 0);
	at_buf_puts(&in, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20240101\r\nSUMMARY:");
	for (int i = 0; i < 100; i++)
		at_buf_puts(&in, "é€𝄞");
	at_buf_puts(&in, "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
	at_ical_calendar *cal, *cal2;
	at_error err;
	assert_int_equal(at_ical_parse(in.data, in.len, NULL, a, &cal, NULL, &err), 0);
	at_buf w;
	at_buf_init(&w, 0);
	assert_int_equal(at_ical_write(cal, &w, &err), 0);
	/* No line starts with a UTF-8 continuation byte after the fold. */
	for (const char *p = strstr(w.data, "\r\n "); p; p = strstr(p + 1, "\r\n "))
		assert_true(((unsigned char)p[3] & 0xC0) != 0x80);
	assert_int_equal(at_ical_parse(w.data, w.len, NULL, a, &cal2, NULL, &err), 0);
	assert_string_equal(cal->items[0].summary.value, cal2->items[0].summary.value);
	assert_true(cal->items[0].all_day);
	at_buf_free(&w);
	at_buf_free(&in);
	at_arena_free(&a);
}

/* ---- errors and limits ---------------------------------------------------- */

static void test_errors_with_lines(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *msg;
	} bad[] = {
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2024-01-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		 3, "DTSTART: \"2024-01-01\" is not a valid"},
		{"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:a\n long\n text\nBROKEN\nEND:VEVENT\nEND:VCALENDAR\n",
		 6, "\":\" or \";\" was expected"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", 3,
		 "END:VTODO does not close BEGIN:VEVENT of line 2"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", 2, "BEGIN:VEVENT is never closed"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTENDEE;CN=\"Ada:mailto:a@b\r\nEND:VEVENT\r\n"
		 "END:VCALENDAR\r\n", 3, "unterminated quoted value"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=DAILY;BYHOUR=25\r\nEND:VEVENT\r\n"
		 "END:VCALENDAR\r\n", 3, "BYHOUR value \"25\""},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\n"
		 "END:VEVENT\r\nEND:VCALENDAR\r\n", 3, "the rule produces no occurrence"},
		{"BEGIN:VCALENDAR\r\nVERSION:1.0\r\nEND:VCALENDAR\r\n", 2, "vCalendar 1.0"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:caf\xC3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		 3, "not valid UTF-8"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:a\x01" "b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		 3, "control character 0x01"},
		{"\r\n\r\nSUMMARY:x\r\n", 3, "outside of any component"},
		{"", 1, "no component"},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEXDATE:20240101T000000,bad\r\nEND:VEVENT\r\n"
		 "END:VCALENDAR\r\n", 3, "EXDATE: \"bad\""},
		{"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDURATION:PT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 3,
		 "not a valid duration"},
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		at_arena *a = at_arena_new(0);
		at_ical_calendar *cal;
		unsigned line = 0;
		at_error err;
		at_error_clear(&err);
		int rc = at_ical_parse(bad[i].text, strlen(bad[i].text), NULL, a, &cal, &line, &err);
		check(rc == -1, "case %zu was accepted", i);
		check(line == bad[i].line, "case %zu: line %u, expected %u (%s)", i, line, bad[i].line,
		      err.message);
		check(strstr(err.message, bad[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
		      err.message, bad[i].msg);
		assert_string_equal(err.code, "invalidArguments");
		assert_string_equal(err.field, "icalendar");
		check_line_message("case", &err, line);
		at_arena_free(&a);
	}
}

static void test_limits(void **state)
{
	const char *ev = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY;A=1;B=2;C=3:hello "
			 "world\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\n"
			 "END:VCALENDAR\r\n";
	static const struct {
		at_ical_limits lim;
		unsigned line;
		const char *msg;
	} cases[] = {
		{{.max_bytes = 50}, 1, "maxBytes"},
		{{.max_line = 20}, 4, "maxLine"},
		{{.max_components = 2}, 5, "maxComponents"},
		{{.max_properties = 3}, 4, "maxProperties"},
		{{.max_params = 2}, 4, "maxParams"},
		{{.max_depth = 2}, 5, "maxDepth"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		at_arena *a = at_arena_new(0);
		at_ical_calendar *cal;
		unsigned line;
		at_error err;
		assert_int_equal(at_ical_parse(ev, strlen(ev), &cases[i].lim, a, &cal, &line, &err), -1);
		assert_string_equal(err.code, "limitExceeded");
		check(strstr(err.message, cases[i].msg) != NULL, "%s", err.message);
		check(line == cases[i].line, "%s: line %u", cases[i].msg, line);
		at_arena_free(&a);
	}
	/* The defaults take it. */
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal;
	at_error err;
	assert_int_equal(at_ical_parse(ev, strlen(ev), NULL, a, &cal, NULL, &err), 0);
	/* A written text over the caller's cap. */
	at_buf w;
	at_buf_init(&w, 64);
	assert_int_equal(at_ical_write(cal, &w, &err), -1);
	assert_string_equal(err.code, "limitExceeded");
	at_buf_free(&w);
	/* A folded line counts unfolded. */
	at_buf big;
	at_buf_init(&big, 0);
	at_buf_puts(&big, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:");
	for (int i = 0; i < 2000; i++)
		at_buf_puts(&big, "0123456789\r\n ");
	at_buf_puts(&big, "x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
	at_ical_limits lim = {.max_line = 10000};
	unsigned line;
	assert_int_equal(at_ical_parse(big.data, big.len, &lim, a, &cal, &line, &err), -1);
	assert_non_null(strstr(err.message, "maxLine"));
	assert_int_equal(line, 3);
	assert_int_equal(at_ical_parse(big.data, big.len, NULL, a, &cal, &line, &err), 0);
	assert_int_equal(strlen(cal->items[0].description.value), 20001);
	at_buf_free(&big);
	at_arena_free(&a);
}

/* ---- zones ------------------------------------------------------------------ */

static void test_windows_zones_cldr(void **state)
{
	char *xml = slurp(CORPORA "/timezones/cldr-windowsZones.xml", NULL);
	size_t checked = 0;
	for (const char *p = xml; (p = strstr(p, "<mapZone other=\"")) != NULL; p++) {
		char other[128], territory[16], type[256];
		if (sscanf(p, "<mapZone other=\"%127[^\"]\" territory=\"%15[^\"]\" type=\"%255[^\"]\"",
			   other, territory, type) != 3 || strcmp(territory, "001") != 0)
			continue;
		const char *ours = at_ical_windows_zone(other);
		if (ours == NULL)
			continue;
		check(strcmp(ours, type) == 0, "%s: table says %s, CLDR %s", other, ours, type);
		check(at_recur_zone_known(ours), "%s is not a zone of this system", ours);
		checked++;
	}
	printf("Windows zones checked against CLDR: %zu\n", checked);
	assert_true(checked >= 60);
	assert_null(at_ical_windows_zone("Mars Standard Time"));
	free(xml);
}

/* A VTIMEZONE written for an IANA zone, read back as a custom zone, gives
 * the instants tzdata gives. */
static void test_written_vtimezone(void **state)
{
	static const char *const zones[] = {"America/New_York", "Europe/Paris",
					    "Australia/Sydney", "America/Sao_Paulo", "Asia/Tokyo"};
	for (size_t z = 0; z < N_ELEMS(zones); z++) {
		at_arena *a = at_arena_new(0);
		char text[512];
		snprintf(text, sizeof(text),
			 "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=%s:20150110T093000\r\n"
			 "END:VEVENT\r\nEND:VCALENDAR\r\n", zones[z]);
		at_ical_calendar *cal;
		at_error err;
		assert_int_equal(at_ical_parse(text, strlen(text), NULL, a, &cal, NULL, &err), 0);
		at_buf w;
		at_buf_init(&w, 0);
		assert_int_equal(at_ical_write(cal, &w, &err), 0);
		/* Rename the zone so that its own definition is used. */
		at_buf t;
		at_buf_init(&t, 0);
		const char *p = w.data;
		char from[80];
		snprintf(from, sizeof(from), "TZID:%s\r\n", zones[z]);
		const char *hit = strstr(p, from);
		assert_non_null(hit);
		at_buf_append(&t, p, (size_t)(hit - p));
		at_buf_puts(&t, "TZID:Test Zone\r\n");
		p = hit + strlen(from);
		const char *ev = strstr(p, "BEGIN:VEVENT");
		const char *lic = strstr(p, "X-LIC-LOCATION:");
		if (lic != NULL && lic < ev) { /* it would map the zone back to IANA */
			at_buf_append(&t, p, (size_t)(lic - p));
			p = strstr(lic, "\r\n") + 2;
		}
		at_buf_append(&t, p, (size_t)(ev - p));
		at_buf_puts(&t, "BEGIN:VEVENT\r\nUID:1\r\n");
		static const char *const times[] = {"20150110T093000", "20150715T120000",
						    "20230326T030000", "20241027T013000",
						    "20361102T010000", "20600601T080000"};
		for (size_t i = 0; i < N_ELEMS(times); i++) {
			char line[96];
			snprintf(line, sizeof(line), "RDATE;TZID=Test Zone:%s\r\n", times[i]);
			at_buf_puts(&t, line);
		}
		at_buf_puts(&t, "END:VEVENT\r\nEND:VCALENDAR\r\n");
		at_ical_calendar *c2;
		if (at_ical_parse(t.data, t.len, NULL, a, &c2, NULL, &err) < 0)
			fail_msg("%s\n%s", err.message, t.data);
		const at_ical_item *it = &c2->items[0];
		assert_int_equal(it->n_rdates, N_ELEMS(times));
		for (size_t i = 0; i < N_ELEMS(times); i++) {
			at_recur_time rt;
			int64_t want;
			assert_int_equal(at_recur_time_parse(times[i], &rt), 0);
			rt.tzid = zones[z];
			assert_int_equal(at_recur_to_utc(&rt, NULL, &want, NULL), 0);
			check(it->rdates[i].start.custom_zone && it->rdates[i].start.has_utc &&
				      it->rdates[i].start.utc == want,
			      "%s %s: %lld from the written VTIMEZONE, %lld from tzdata", zones[z],
			      times[i], (long long)it->rdates[i].start.utc, (long long)want);
		}
		at_buf_free(&t);
		at_buf_free(&w);
		at_arena_free(&a);
	}
}

static void test_zone_names(void **state)
{
	static const struct { const char *tzid, *iana; } names[] = {
		{"Europe/Paris", "Europe/Paris"},
		{"/freeassociation.sourceforge.net/Tzfile/Europe/Vienna", "Europe/Vienna"},
		{"/softwarestudio.org/Olson_20011030_5/America/New_York", "America/New_York"},
		{"/mozilla.org/20050126_1/Europe/Berlin", "Europe/Berlin"},
		{"Romance Standard Time", "Europe/Paris"},
		{"Tokyo Standard Time", "Asia/Tokyo"},
	};
	for (size_t i = 0; i < N_ELEMS(names); i++) {
		at_arena *a = at_arena_new(0);
		char text[512];
		snprintf(text, sizeof(text),
			 "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=\"%s\":20240110T093000"
			 "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", names[i].tzid);
		at_ical_calendar *cal;
		at_error err;
		assert_int_equal(at_ical_parse(text, strlen(text), NULL, a, &cal, NULL, &err), 0);
		check(cal->items[0].dtstart.t.tzid && strcmp(cal->items[0].dtstart.t.tzid, names[i].iana) == 0,
		      "%s -> %s", names[i].tzid, cal->items[0].dtstart.t.tzid);
		assert_string_equal(cal->items[0].dtstart.tzid, names[i].tzid);
		at_arena_free(&a);
	}
	/* A VTIMEZONE named oddly but with X-LIC-LOCATION maps too. */
	const char *lic = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Odd\r\nX-LIC-LOCATION:Europe/Rome"
			  "\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\n"
			  "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:1\r\n"
			  "DTSTART;TZID=Odd:20240710T093000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal;
	at_error err;
	assert_int_equal(at_ical_parse(lic, strlen(lic), NULL, a, &cal, NULL, &err), 0);
	assert_string_equal(cal->items[0].dtstart.t.tzid, "Europe/Rome");
	assert_int_equal(cal->items[0].dtstart.utc, U("20240710T073000Z")); /* tzdata's CEST */
	at_arena_free(&a);
}

/* ---- recurrence from iCalendar ---------------------------------------------- */

static void test_item_series(void **state)
{
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal;
	at_error err;
	assert_int_equal(at_ical_parse(sample, strlen(sample), NULL, a, &cal, NULL, &err), 0);
	at_recur_series s;
	/* The override is in a custom zone: not a series recur.h can expand. */
	assert_int_equal(at_ical_item_series(&cal->items[0], a, &s, &err), -1);
	assert_non_null(strstr(err.message, "\"Custom Office Time\" is not an IANA zone"));
	const char *text =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\n"
		"DTSTART;TZID=Europe/Paris:20240304T090000\r\nDTEND;TZID=Europe/Paris:20240304T100000\r\n"
		"RRULE:FREQ=WEEKLY;COUNT=6\r\nEXDATE;TZID=Europe/Paris:20240311T090000\r\n"
		"RDATE:20240320T140000Z\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;TZID=Europe/Paris:20240325T090000\r\n"
		"DTSTART;TZID=Europe/Paris:20240326T120000\r\nSUMMARY:moved\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20240401T070000Z\r\nSTATUS:CANCELLED\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n";
	assert_int_equal(at_ical_parse(text, strlen(text), NULL, a, &cal, NULL, &err), 0);
	assert_int_equal(cal->n_items, 1);
	assert_int_equal(cal->items[0].n_overrides, 2);
	if (at_ical_item_series(&cal->items[0], a, &s, &err) < 0)
		fail_msg("%s", err.message);
	at_recur_occurrence *occ;
	size_t n;
	if (at_recur_expand(&s, U("20240101T000000Z"), U("20250101T000000Z"), NULL, NULL, a, &occ,
			    &n, &err) < 0)
		fail_msg("%s", err.message);
	static const struct { const char *start, *end; bool ov; } want[] = {
		{"20240304T080000Z", "20240304T090000Z", false},
		{"20240318T080000Z", "20240318T090000Z", false},
		{"20240320T140000Z", "20240320T150000Z", false},
		{"20240326T110000Z", "20240326T120000Z", true},
		{"20240408T070000Z", "20240408T080000Z", false},
	};
	check(n == N_ELEMS(want), "%zu occurrences", n);
	for (size_t i = 0; i < n; i++)
		check(occ[i].start == U(want[i].start) && occ[i].end == U(want[i].end) &&
			      occ[i].overridden == want[i].ov,
		      "occurrence %zu: %lld..%lld", i, (long long)occ[i].start, (long long)occ[i].end);
	at_arena_free(&a);
}

/* X-EXPECT-NUMEVENTS of libical's recurrence file, read with this parser. */
static void test_numevents_through_ical(void **state)
{
	size_t len;
	char *text = slurp(CORPORA "/rrule/libical/recur-x-expect-numevents.txt", &len);
	at_buf in;
	at_buf_init(&in, 0);
	at_buf_puts(&in, "BEGIN:VCALENDAR\r\n");
	/* Lines starting with ';' are commented out in that file. */
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (l[0] != ';') {
			at_buf_puts(&in, l);
			at_buf_puts(&in, "\n");
		}
	at_buf_puts(&in, "END:VCALENDAR\r\n");
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal;
	at_error err;
	if (at_ical_parse(in.data, in.len, NULL, a, &cal, NULL, &err) < 0)
		fail_msg("%s", err.message);
	size_t checked = 0;
	for (size_t i = 0; i < cal->n_items; i++) {
		const at_ical_item *it = &cal->items[i];
		int expect = -1;
		for (size_t k = 0; k < it->n_other; k++)
			if (strcmp(it->other[k].name, "X-EXPECT-NUMEVENTS") == 0)
				expect = atoi(it->other[k].value);
		if (expect < 0 || it->n_rrules == 0)
			continue;
		at_recur_series s;
		assert_int_equal(at_ical_item_series(it, a, &s, &err), 0);
		at_recur_occurrence *occ;
		size_t n, rule_n = 0;
		int64_t from = it->dtstart.has_utc ? it->dtstart.utc : U("19700101T000000Z");
		if (!it->dtstart.has_utc) {
			at_recur_time t = it->dtstart.t;
			assert_int_equal(at_recur_to_utc(&t, NULL, &from, NULL), 0);
		}
		assert_int_equal(at_recur_expand(&s, from, U("90000101T000000Z"), NULL, NULL, a, &occ,
						 &n, &err), 0);
		for (size_t k = 0; k < n; k++)
			rule_n += occ[k].origin != AT_RECUR_FROM_DTSTART;
		check((int)rule_n == expect, "%s: %zu events, expected %d", it->rrules[0], rule_n,
		      expect);
		checked++;
	}
	assert_int_equal(checked, 57);
	at_arena_free(&a);
	at_buf_free(&in);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_round_trip),
		cmocka_unit_test(test_invalid_inputs),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_folding_utf8),
		cmocka_unit_test(test_errors_with_lines),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_windows_zones_cldr),
		cmocka_unit_test(test_written_vtimezone),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_item_series),
		cmocka_unit_test(test_numevents_through_ical),
	};
	return cmocka_run_group_tests_name("ical", tests, NULL, NULL);
}
