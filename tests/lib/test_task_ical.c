/* test_task_ical.c — tasks to and from iCalendar to-dos (task.h, iCalendar
 * section): every mapped property lands in its field with the expected
 * value, what has no field is kept in icalExtra and written back, a custom
 * (Windows display name) VTIMEZONE gets the IANA zone with its offsets,
 * waiting and deferred come back through their X- property, relative
 * alarms become reminder times, and fields -> iCalendar -> fields gives the
 * same fields, for files and for fields made in Atrium. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "model.h"
#include "task.h"

#define CRLF "\r\n"

static const char file[] =
	"BEGIN:VCALENDAR" CRLF
	"PRODID:-//Example//Tasks 1.0//EN" CRLF
	"VERSION:2.0" CRLF
	"BEGIN:VTIMEZONE" CRLF
	"TZID:W. Europe Standard Time" CRLF
	"BEGIN:STANDARD" CRLF
	"DTSTART:16011028T030000" CRLF
	"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" CRLF
	"TZOFFSETFROM:+0200" CRLF
	"TZOFFSETTO:+0100" CRLF
	"END:STANDARD" CRLF
	"BEGIN:DAYLIGHT" CRLF
	"DTSTART:16010325T020000" CRLF
	"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" CRLF
	"TZOFFSETFROM:+0100" CRLF
	"TZOFFSETTO:+0200" CRLF
	"END:DAYLIGHT" CRLF
	"END:VTIMEZONE" CRLF
	"BEGIN:VTIMEZONE" CRLF
	"TZID:Canberra, Melbourne, Sydney" CRLF
	"BEGIN:STANDARD" CRLF
	"DTSTART:16010401T030000" CRLF
	"RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4" CRLF
	"TZOFFSETFROM:+1100" CRLF
	"TZOFFSETTO:+1000" CRLF
	"END:STANDARD" CRLF
	"BEGIN:DAYLIGHT" CRLF
	"DTSTART:16011007T020000" CRLF
	"RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=10" CRLF
	"TZOFFSETFROM:+1000" CRLF
	"TZOFFSETTO:+1100" CRLF
	"END:DAYLIGHT" CRLF
	"END:VTIMEZONE" CRLF
	/* 1: zoned, in progress, everything */
	"BEGIN:VTODO" CRLF
	"UID:report-1" CRLF
	"DTSTAMP:20240301T120000Z" CRLF
	"DTSTART;TZID=Europe/Paris:20240304T090000" CRLF
	"DUE;TZID=Europe/Paris:20240308T170000" CRLF
	"SUMMARY:Quarterly report\\, draft" CRLF
	"DESCRIPTION:Figures:\\n1. sales" CRLF
	"LOCATION:Office" CRLF
	"STATUS:IN-PROCESS" CRLF
	"PRIORITY:1" CRLF
	"PERCENT-COMPLETE:40" CRLF
	"CATEGORIES:Work,Finance" CRLF
	"CLASS:CONFIDENTIAL" CRLF
	"RRULE:FREQ=MONTHLY;BYMONTHDAY=8" CRLF
	"SEQUENCE:3" CRLF
	"ORGANIZER;CN=\"Bob Stone\";X-ATRIUM-LOGIN=bob:mailto:bob@example.org" CRLF
	"ATTENDEE;CN=\"Ada L\";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=TRUE;"
	"X-RESPONSE-COMMENT=\"on it\":mailto:ada@example.org" CRLF
	"ATTENDEE;PARTSTAT=NEEDS-ACTION;X-ATRIUM-TYPE=user;X-ATRIUM-LOGIN=carol;"
	"X-ATRIUM-TASK-ID=t-17;X-ATRIUM-TASK-STATUS=inProgress;"
	"X-ATRIUM-PERCENT-COMPLETE=25:urn:atrium:user:carol" CRLF
	"ATTENDEE;PARTSTAT=DELEGATED;CUTYPE=GROUP:mailto:team@example.org" CRLF
	"ATTENDEE;CN=Again:MAILTO:ADA@example.org" CRLF
	"X-ATRIUM-TOTAL-WORK:480" CRLF
	"X-ATRIUM-ACTUAL-WORK:120" CRLF
	"X-ATRIUM-COMPANIES:Acme\\, Inc." CRLF
	"X-ATRIUM-MILEAGE:42 km" CRLF
	"X-ATRIUM-BILLING:Project 7" CRLF
	"X-ATRIUM-CONTACT:Ada Lovelace" CRLF
	"X-ATRIUM-CONTACT:Charles Babbage" CRLF
	"X-FOO;BAR=1:baz" CRLF
	"BEGIN:VALARM" CRLF
	"ACTION:DISPLAY" CRLF
	"TRIGGER;RELATED=END:-PT15M" CRLF
	"DESCRIPTION:Reminder" CRLF
	"END:VALARM" CRLF
	"BEGIN:VALARM" CRLF
	"ACTION:AUDIO" CRLF
	"TRIGGER:-PT1H" CRLF
	"END:VALARM" CRLF
	"BEGIN:X-THING" CRLF
	"X-A:1" CRLF
	"END:X-THING" CRLF
	"END:VTODO" CRLF
	/* 2: dates, start + duration, completed, an inexact priority */
	"BEGIN:VTODO" CRLF
	"UID:dates-2" CRLF
	"DTSTART;VALUE=DATE:20240401" CRLF
	"DURATION:P2D" CRLF
	"SUMMARY:Holiday cards" CRLF
	"STATUS:COMPLETED" CRLF
	"COMPLETED:20240402T101500Z" CRLF
	"PERCENT-COMPLETE:100" CRLF
	"PRIORITY:3" CRLF
	"CLASS:PRIVATE" CRLF
	"X-ATRIUM-REGENERATE:2W" CRLF
	"END:VTODO" CRLF
	/* 3: floating, deferred, an absolute alarm */
	"BEGIN:VTODO" CRLF
	"UID:floating-3" CRLF
	"DUE:20240510T180000" CRLF
	"SUMMARY:Call the garage" CRLF
	"STATUS:NEEDS-ACTION" CRLF
	"X-ATRIUM-STATUS:DEFERRED" CRLF
	"PRIORITY:9" CRLF
	"BEGIN:VALARM" CRLF
	"ACTION:DISPLAY" CRLF
	"TRIGGER;VALUE=DATE-TIME:20240510T070000Z" CRLF
	"END:VALARM" CRLF
	"END:VTODO" CRLF
	/* 4: a custom zone on DUE alone; an X-ATRIUM-STATUS another client made
	 * stale by changing STATUS; a status without a field */
	"BEGIN:VTODO" CRLF
	"UID:sydney-4" CRLF
	"DUE;TZID=\"Canberra, Melbourne, Sydney\":20240115T090000" CRLF
	"SUMMARY:Sydney call" CRLF
	"STATUS:NEEDS-ACTION" CRLF
	"X-ATRIUM-STATUS:WAITING" CRLF
	"PRIORITY:0" CRLF
	"END:VTODO" CRLF
	"BEGIN:VTODO" CRLF
	"UID:cancelled-5" CRLF
	"DTSTART;TZID=W. Europe Standard Time:20240610T080000" CRLF
	"SUMMARY:Dropped" CRLF
	"STATUS:CANCELLED" CRLF
	"BEGIN:VALARM" CRLF
	"ACTION:DISPLAY" CRLF
	"TRIGGER:-PT30M" CRLF
	"DESCRIPTION:Soon" CRLF
	"END:VALARM" CRLF
	"END:VTODO" CRLF
	"END:VCALENDAR" CRLF;

static const at_item_type *task(void)
{
	return at_model_item_type("task");
}

/* fields of every to-do of text, validated */
static json_t *import(const char *text, size_t len)
{
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal;
	at_error err;
	unsigned line;
	int rc = at_ical_parse(text, len, NULL, a, &cal, &line, &err);
	check(rc == 0, "parse: %s\n%.*s", err.message, (int)len, text);
	json_t *all = json_array();
	for (size_t i = 0; i < cal->n_items; i++) {
		json_t *f;
		at_error_clear(&err);
		rc = at_task_from_ical(cal, &cal->items[i], a, &f, &err);
		check(rc == 0, "to-do %zu: %s", i, err.message);
		rc = at_model_validate(task(), f, false, &err);
		check(rc == 0, "to-do %zu: %s (%s)", i, err.message, err.field);
		json_array_append_new(all, f);
	}
	at_arena_free(&a);
	return all;
}

static void export(json_t *all, at_buf *out)
{
	at_arena *a = at_arena_new(0);
	at_ical_item *its = at_arena_alloc(a, (json_array_size(all) + 1) * sizeof(*its));
	size_t i;
	json_t *f;
	at_error err;
	json_array_foreach(all, i, f) {
		check(at_task_to_ical(f, "default-uid", a, &its[i], &err) == 0, "%s", err.message);
	}
	at_ical_calendar cal = {.items = its, .n_items = json_array_size(all)};
	assert_int_equal(at_ical_write(&cal, out, &err), 0);
	at_arena_free(&a);
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "(none)";
}

static long long num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void same_json(json_t *got, const char *want)
{
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	check(g != NULL && strcmp(g, want) == 0, "got  %s\nwant %s", g ? g : "(null)", want);
	free(g);
}

static void test_fields(void **state)
{
	(void)state;
	json_t *all = import(file, sizeof(file) - 1);
	assert_int_equal(json_array_size(all), 5);

	json_t *r = json_array_get(all, 0);
	assert_string_equal(str(r, "uid"), "report-1");
	assert_string_equal(str(r, "subject"), "Quarterly report, draft");
	assert_string_equal(str(r, "notes"), "Figures:\n1. sales");
	assert_string_equal(str(r, "start"), "2024-03-04T08:00:00Z");  /* 09:00 CET */
	assert_string_equal(str(r, "due"), "2024-03-08T16:00:00Z");
	assert_string_equal(str(r, "timeZone"), "Europe/Paris");
	assert_string_equal(str(r, "status"), "inProgress");
	assert_string_equal(str(r, "priority"), "high");
	assert_int_equal(num(r, "percentComplete"), 40);
	same_json(json_object_get(r, "categories"), "[\"Work\",\"Finance\"]");
	assert_true(json_is_true(json_object_get(r, "private")));
	assert_string_equal(str(r, "rrule"), "FREQ=MONTHLY;BYMONTHDAY=8");
	assert_int_equal(num(r, "sequence"), 3);
	/* RELATED=END -PT15M: a quarter of an hour before due */
	assert_string_equal(str(r, "reminder"), "2024-03-08T15:45:00Z");
	assert_int_equal(num(r, "totalWorkMinutes"), 480);
	assert_int_equal(num(r, "actualWorkMinutes"), 120);
	assert_string_equal(str(r, "companies"), "Acme, Inc.");
	assert_string_equal(str(r, "mileage"), "42 km");
	assert_string_equal(str(r, "billingInformation"), "Project 7");
	same_json(json_object_get(r, "contacts"), "[\"Ada Lovelace\",\"Charles Babbage\"]");
	same_json(json_object_get(r, "delegator"),
		  "{\"address\":\"bob@example.org\",\"login\":\"bob\",\"name\":\"Bob Stone\"}");
	same_json(json_object_get(r, "participants"),
		  "[{\"address\":\"ada@example.org\",\"comment\":\"on it\",\"name\":\"Ada L\","
		  "\"status\":\"accepted\",\"type\":\"external\"},"
		  "{\"login\":\"carol\",\"percentComplete\":25,\"status\":\"none\","
		  "\"taskId\":\"t-17\",\"taskStatus\":\"inProgress\",\"type\":\"user\"},"
		  "{\"address\":\"team@example.org\",\"type\":\"external\"}]");
	/* kept: what has no field; not kept: DTSTAMP, the mapped alarm */
	const char *x = str(r, "icalExtra");
	check(strstr(x, "LOCATION:Office\n") != NULL, "%s", x);
	check(strstr(x, "CLASS:CONFIDENTIAL\n") != NULL, "%s", x);
	check(strstr(x, "X-FOO;BAR=1:baz\n") != NULL, "%s", x);
	check(strstr(x, "ACTION:AUDIO\nTRIGGER:-PT1H\n") != NULL, "%s", x);
	check(strstr(x, "BEGIN:X-THING\nX-A:1\nEND:X-THING") != NULL, "%s", x);
	check(strstr(x, "ATTENDEE;CN=Again:MAILTO:ADA@example.org") != NULL, "%s", x);
	check(strstr(x, "ROLE=REQ-PARTICIPANT") != NULL && strstr(x, "RSVP=TRUE") != NULL, "%s", x);
	check(strstr(x, "PARTSTAT=DELEGATED") != NULL && strstr(x, "CUTYPE=GROUP") != NULL, "%s", x);
	check(strstr(x, "DTSTAMP") == NULL && strstr(x, "-PT15M") == NULL &&
	      strstr(x, "X-ATRIUM-TOTAL") == NULL && strstr(x, "STATUS:IN-PROCESS") == NULL, "%s",
	      x);

	json_t *d = json_array_get(all, 1);
	assert_string_equal(str(d, "start"), "2024-04-01");
	assert_string_equal(str(d, "due"), "2024-04-03");
	assert_null(json_object_get(d, "timeZone"));
	assert_string_equal(str(d, "status"), "completed");
	assert_string_equal(str(d, "dateCompleted"), "2024-04-02T10:15:00Z");
	assert_int_equal(num(d, "percentComplete"), 100);
	assert_string_equal(str(d, "priority"), "high");
	assert_true(json_is_true(json_object_get(d, "private")));
	same_json(json_object_get(d, "regenerate"), "{\"every\":2,\"unit\":\"week\"}");
	assert_string_equal(str(d, "icalExtra"), "PRIORITY:3");

	json_t *fl = json_array_get(all, 2);
	assert_string_equal(str(fl, "due"), "2024-05-10T18:00:00");
	assert_null(json_object_get(fl, "timeZone"));
	assert_string_equal(str(fl, "status"), "deferred");
	assert_string_equal(str(fl, "priority"), "low");
	assert_string_equal(str(fl, "reminder"), "2024-05-10T07:00:00Z");
	assert_null(json_object_get(fl, "icalExtra"));

	json_t *s = json_array_get(all, 3);
	/* 09:00 in Sydney in January (summer time, +11) */
	assert_string_equal(str(s, "due"), "2024-01-14T22:00:00Z");
	static const char *const zones[] = {"Australia/Sydney", "Australia/Melbourne",
					    "Australia/Canberra", "Australia/ACT", "Australia/NSW",
					    "Australia/Victoria"};
	bool named = false;
	for (size_t i = 0; i < N_ELEMS(zones); i++)
		named |= strcmp(str(s, "timeZone"), zones[i]) == 0;
	check(named, "custom zone matched to %s", str(s, "timeZone"));
	assert_string_equal(str(s, "status"), "notStarted");  /* not waiting: stale */
	assert_null(json_object_get(s, "priority"));
	assert_string_equal(str(s, "icalExtra"), "PRIORITY:0");

	json_t *c = json_array_get(all, 4);
	assert_null(json_object_get(c, "status"));
	assert_string_equal(str(c, "start"), "2024-06-10T06:00:00Z");
	/* a Windows zone name: its IANA zone */
	assert_string_equal(str(c, "timeZone"), "Europe/Berlin");
	assert_string_equal(str(c, "reminder"), "2024-06-10T05:30:00Z");
	assert_string_equal(str(c, "icalExtra"), "STATUS:CANCELLED");
	json_decref(all);
}

static void round_trip(json_t *first, const char *what)
{
	at_buf out;
	at_buf_init(&out, 0);
	export(first, &out);
	json_t *second = import(out.data, out.len);
	if (!json_equal(first, second)) {
		char *x = json_dumps(first, JSON_SORT_KEYS | JSON_INDENT(1));
		char *y = json_dumps(second, JSON_SORT_KEYS | JSON_INDENT(1));
		fail_msg("%s: round trip differs:\n%s\n---\n%s\n---\n%s", what, x, y, out.data);
	}
	at_buf_free(&out);
	json_decref(second);
}

static void test_round_trip(void **state)
{
	(void)state;
	json_t *first = import(file, sizeof(file) - 1);
	at_buf out;
	at_buf_init(&out, 0);
	export(first, &out);
	/* what a reader of the file sees */
	const char *o = out.data;
	check(strstr(o, "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n") != NULL, "%s", o);
	check(strstr(o, "DUE;TZID=Europe/Paris:20240308T170000\r\n") != NULL, "%s", o);
	check(strstr(o, "DTSTART;VALUE=DATE:20240401\r\nDUE;VALUE=DATE:20240403\r\n") != NULL,
	      "%s", o);
	check(strstr(o, "DUE:20240510T180000\r\n") != NULL, "%s", o);
	check(strstr(o, "STATUS:NEEDS-ACTION\r\n") != NULL &&
	      strstr(o, "X-ATRIUM-STATUS:DEFERRED\r\n") != NULL, "%s", o);
	check(strstr(o, "PRIORITY:3\r\n") != NULL && strstr(o, "PRIORITY:9\r\n") != NULL, "%s", o);
	check(strstr(o, "CLASS:CONFIDENTIAL\r\n") != NULL, "%s", o);
	check(strstr(o, "TRIGGER;VALUE=DATE-TIME:20240308T154500Z\r\n") != NULL, "%s", o);
	check(strstr(o, "STATUS:CANCELLED\r\n") != NULL, "%s", o);
	check(strstr(o, "X-ATRIUM-COMPANIES:Acme\\, Inc.\r\n") != NULL, "%s", o);
	check(strstr(o, "X-FOO;BAR=1:baz\r\n") != NULL, "%s", o);
	check(strstr(o, "LOCATION:Office\r\n") != NULL, "%s", o);
	check(strstr(o, "ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE;CN=Ada L") != NULL, "%s",
	      o);
	check(strstr(o, "X-ATRIUM-ATTENDEE") == NULL && strstr(o, "DTSTAMP") == NULL, "%s", o);
	at_buf_free(&out);
	round_trip(first, "file");
	json_decref(first);
}

/* Fields made in Atrium: every field, through a file and back. */
static void test_from_atrium_fields(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "{\"subject\":\"Plan\",\"start\":\"2024-03-19T08:00:00Z\",\"due\":"
	    "\"2024-03-22T16:00:00Z\",\"timeZone\":\"Europe/Paris\",\"status\":\"waiting\","
	    "\"priority\":\"normal\",\"percentComplete\":10,\"reminder\":\"2024-03-22T07:30:00Z\","
	    "\"notes\":\"line 1\\nline 2; with, commas\",\"categories\":[\"A\",\"B, C\"],"
	    "\"private\":false,\"contacts\":[\"Ada\",\"Bob; Jr\"],\"totalWorkMinutes\":600,"
	    "\"actualWorkMinutes\":0,\"companies\":\"X\",\"mileage\":\"10 mi\","
	    "\"billingInformation\":\"B\\\\7\",\"rrule\":\"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\","
	    "\"participants\":[{\"type\":\"user\",\"login\":\"bob\",\"status\":\"tentative\","
	    "\"comment\":\"maybe, later\",\"taskId\":\"c-1\",\"taskStatus\":\"waiting\","
	    "\"percentComplete\":5},{\"type\":\"group\",\"login\":\"staff\",\"name\":\"Staff\"},"
	    "{\"type\":\"external\",\"address\":\"eve@example.org\",\"name\":\"Eve\","
	    "\"status\":\"declined\"},{\"type\":\"external\",\"address\":\"urn:uuid:0a1b\"}],"
	    "\"uid\":\"u-1\",\"sequence\":4}",
	    "{\"subject\":\"Copy\",\"due\":\"2024-03-22\",\"status\":\"deferred\","
	    "\"timeZone\":\"Europe/Berlin\",\"reminder\":\"2024-03-21\","
	    "\"regenerate\":{\"every\":3,\"unit\":\"month\"},\"delegator\":{\"login\":\"ann\","
	    "\"name\":\"Ann\",\"taskId\":\"orig-9\"},\"response\":\"accepted\","
	    "\"responseComment\":\"will do; soon\",\"uid\":\"u-2\"}",
	    "{\"subject\":\"Done\",\"start\":\"2024-03-19T09:00:00\",\"status\":\"completed\","
	    "\"percentComplete\":100,\"dateCompleted\":\"2024-03-20\",\"timeZone\":\"UTC\","
	    "\"priority\":\"low\",\"private\":true,\"reminder\":\"2024-03-19T08:00:00\","
	    "\"delegator\":{\"address\":\"zed@example.org\"},\"response\":\"none\","
	    "\"uid\":\"u-3\"}",
	    "{\"subject\":\"Bare\",\"uid\":\"u-4\"}",
	    "{\"subject\":\"Kept\",\"status\":\"notStarted\",\"uid\":\"u-5\",\"icalExtra\":"
	    "\"LOCATION:Lab\\nX-Y:1\\nBEGIN:VALARM\\nACTION:EMAIL\\nTRIGGER:-PT5M\\n"
	    "END:VALARM\"}",
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_error_t je;
		json_t *f = json_loads(cases[i], 0, &je);
		check(f != NULL, "case %zu: %s", i, je.text);
		at_error err;
		check(at_model_validate(task(), f, false, &err) == 0, "case %zu: %s", i,
		      err.message);
		json_t *all = json_array();
		json_array_append_new(all, f);
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		round_trip(all, what);
		json_decref(all);
	}
}

/* Every status through a file, and how it is written. */
static void test_statuses(void **state)
{
	(void)state;
	static const struct { const char *status, *line, *x; } cases[] = {
		{"notStarted", "STATUS:NEEDS-ACTION\r\n", NULL},
		{"inProgress", "STATUS:IN-PROCESS\r\n", NULL},
		{"completed", "STATUS:COMPLETED\r\n", NULL},
		{"waiting", "STATUS:IN-PROCESS\r\n", "X-ATRIUM-STATUS:WAITING\r\n"},
		{"deferred", "STATUS:NEEDS-ACTION\r\n", "X-ATRIUM-STATUS:DEFERRED\r\n"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *all = json_pack("[{s:s,s:s,s:s}]", "subject", "S", "status",
					cases[i].status, "uid", "u");
		at_buf out;
		at_buf_init(&out, 0);
		export(all, &out);
		check(strstr(out.data, cases[i].line) != NULL, "%s: %s", cases[i].status, out.data);
		check(cases[i].x == NULL ? strstr(out.data, "X-ATRIUM-STATUS") == NULL
					 : strstr(out.data, cases[i].x) != NULL,
		      "%s: %s", cases[i].status, out.data);
		json_t *back = import(out.data, out.len);
		assert_string_equal(str(json_array_get(back, 0), "status"), cases[i].status);
		json_decref(back);
		at_buf_free(&out);
		json_decref(all);
	}
	/* priorities: 1-4 high, 5 normal, 6-9 low, 0 none */
	for (int p = 0; p <= 9; p++) {
		char text[256];
		snprintf(text, sizeof(text), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\n"
			 "UID:p\r\nPRIORITY:%d\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", p);
		json_t *back = import(text, strlen(text));
		const char *want = p == 0 ? "(none)" : p < 5 ? "high" : p == 5 ? "normal" : "low";
		check(strcmp(str(json_array_get(back, 0), "priority"), want) == 0,
		      "PRIORITY:%d gave %s", p, str(json_array_get(back, 0), "priority"));
		json_decref(back);
	}
}

static void test_errors(void **state)
{
	(void)state;
	static const char ev[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e\r\n"
				 "DTSTART:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal;
	at_error err;
	unsigned line;
	assert_int_equal(at_ical_parse(ev, sizeof(ev) - 1, NULL, a, &cal, &line, &err), 0);
	json_t *f = NULL;
	assert_int_equal(at_task_from_ical(cal, &cal->items[0], a, &f, &err), -1);
	assert_null(f);
	assert_string_equal(err.message, "line 3: an event (VEVENT), not a task");
	/* a bad file: the lexer's error, with its line */
	static const char bad[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\n"
				  "DUE;VALUE=DATE:2024-13-45\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
	assert_int_equal(at_ical_parse(bad, sizeof(bad) - 1, NULL, a, &cal, &line, &err), -1);
	assert_int_equal(line, 5);
	check(strncmp(err.message, "line 5: DUE", 11) == 0, "%s", err.message);
	/* fields that are not what they say */
	at_ical_item it;
	json_t *g = json_pack("{s:s}", "due", "next week");
	assert_int_equal(at_task_to_ical(g, "u", a, &it, &err), -1);
	assert_string_equal(err.field, "due");
	json_decref(g);
	g = json_pack("{s:s}", "reminder", "soon");
	assert_int_equal(at_task_to_ical(g, "u", a, &it, &err), -1);
	assert_string_equal(err.field, "reminder");
	json_decref(g);
	at_arena_free(&a);
}

/* The .ics files of the fuzz corpus: every to-do that maps to valid fields
 * comes back the same through an export. */
static void test_corpus(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/task", ATRIUM_SRC_DIR);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".ics") != 0)
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *fp = fopen(path, "rb");
		assert_non_null(fp);
		static char text[1 << 16];
		size_t len = fread(text, 1, sizeof(text), fp);
		fclose(fp);
		files++;
		at_arena *a = at_arena_new(0);
		at_ical_calendar *cal;
		at_error err;
		unsigned line;
		if (at_ical_parse(text, len, NULL, a, &cal, &line, &err) < 0) {
			at_arena_free(&a);
			continue;
		}
		json_t *first = json_array();
		for (size_t i = 0; i < cal->n_items; i++) {
			json_t *fl = NULL;
			if (cal->items[i].kind == AT_ICAL_TODO &&
			    at_task_from_ical(cal, &cal->items[i], a, &fl, &err) == 0 &&
			    at_model_validate(task(), fl, false, &err) == 0) {
				if (json_object_get(fl, "uid") == NULL)
					json_object_set_new(fl, "uid", json_string("default-uid"));
				json_array_append_new(first, fl);
			} else {
				json_decref(fl);
			}
		}
		at_arena_free(&a);
		round_trip(first, e->d_name);
		json_decref(first);
	}
	closedir(d);
	check(files >= 3, "only %d .ics files in %s", files, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_atrium_fields),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
