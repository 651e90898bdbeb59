/* test_appointment_ical.c — appointments to and from iCalendar
 * (appointment.h, second half): every mapped property lands in its field
 * with the expected value, what has no field is kept in icalExtra, a custom
 * (Windows display name) VTIMEZONE gets the IANA zone with its offsets so
 * that its series expands right across summer time, instances become
 * overrides (cancelled ones exdates), and fields -> iCalendar -> fields
 * gives the same fields. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "appointment.h"
#include "model.h"

#define CRLF "\r\n"

static const char outlook[] =
	"BEGIN:VCALENDAR" CRLF
	"PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN" CRLF
	"VERSION:2.0" CRLF
	"BEGIN:VTIMEZONE" CRLF
	"TZID:Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna" CRLF
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
	"BEGIN:VEVENT" CRLF
	"UID:weekly-1" CRLF
	"DTSTAMP:20240301T120000Z" CRLF
	"DTSTART;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240325T090000" CRLF
	"DTEND;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240325T093000" CRLF
	"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4" CRLF
	"EXDATE;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240415T090000" CRLF
	"SUMMARY:Planning\\, weekly" CRLF
	"LOCATION:Room 4" CRLF
	"DESCRIPTION:Agenda:\\n1. numbers" CRLF
	"CATEGORIES:Work,Planning" CRLF
	"CLASS:CONFIDENTIAL" CRLF
	"PRIORITY:5" CRLF
	"SEQUENCE:2" CRLF
	"X-MICROSOFT-CDO-BUSYSTATUS:OOF" CRLF
	"X-FOO;BAR=1:baz" CRLF
	"ORGANIZER;CN=\"Alice Martin\":MAILTO:alice@example.org" CRLF
	"ATTENDEE;CN=\"Ada L\";PARTSTAT=ACCEPTED;ROLE=CHAIR;X-NUM-GUESTS=0:mailto:ada@example.org" CRLF
	"ATTENDEE;CUTYPE=ROOM;PARTSTAT=DELEGATED;RSVP=TRUE:mailto:room4@example.org" CRLF
	"BEGIN:VALARM" CRLF
	"TRIGGER:-PT15M" CRLF
	"ACTION:DISPLAY" CRLF
	"DESCRIPTION:Reminder" CRLF
	"END:VALARM" CRLF
	"BEGIN:VALARM" CRLF
	"TRIGGER:-PT1H" CRLF
	"ACTION:AUDIO" CRLF
	"END:VALARM" CRLF
	"BEGIN:X-THING" CRLF
	"X-A:1" CRLF
	"END:X-THING" CRLF
	"END:VEVENT" CRLF
	"BEGIN:VEVENT" CRLF
	"UID:weekly-1" CRLF
	"RECURRENCE-ID;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240401T090000" CRLF
	"DTSTART;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240402T100000" CRLF
	"DTEND;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240402T103000" CRLF
	"SUMMARY:Planning (moved)" CRLF
	"LOCATION:Room 4" CRLF
	"END:VEVENT" CRLF
	"BEGIN:VEVENT" CRLF
	"UID:weekly-1" CRLF
	"RECURRENCE-ID;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240408T090000" CRLF
	"DTSTART;TZID=\"Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240408T090000" CRLF
	"STATUS:CANCELLED" CRLF
	"END:VEVENT" CRLF
	"BEGIN:VEVENT" CRLF
	"UID:holiday-1" CRLF
	"DTSTART;VALUE=DATE:20240501" CRLF
	"SUMMARY:Holiday" CRLF
	"TRANSP:TRANSPARENT" CRLF
	"END:VEVENT" CRLF
	"BEGIN:VEVENT" CRLF
	"UID:floating-1" CRLF
	"DTSTART:20240601T100000" CRLF
	"DURATION:PT45M" CRLF
	"SUMMARY:Anywhere" CRLF
	"END:VEVENT" CRLF
	"END:VCALENDAR" CRLF;

static const at_item_type *appt(void)
{
	return at_model_item_type("appointment");
}

/* fields of every event of text, validated */
static json_t *import(const char *text, size_t len)
{
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal;
	at_error err;
	unsigned line;
	int rc = at_ical_parse(text, len, NULL, a, &cal, &line, &err);
	check(rc == 0, "parse: %s", err.message);
	at_appt_ical *ctx = at_appt_ical_new(cal, a);
	json_t *all = json_array();
	for (size_t i = 0; i < cal->n_items; i++) {
		json_t *f;
		at_error_clear(&err);
		rc = at_appt_from_ical(ctx, &cal->items[i], &f, &err);
		check(rc == 0, "event %zu: %s", i, err.message);
		rc = at_model_validate(appt(), f, false, &err);
		check(rc == 0, "event %zu: %s (%s)", i, err.message, err.field);
		json_array_append_new(all, f);
	}
	at_arena_free(&a);
	return all;
}

static void export(json_t *all, at_buf *out)
{
	at_arena *a = at_arena_new(0);
	at_ical_item *evs = at_arena_alloc(a, json_array_size(all) * sizeof(*evs));
	size_t i;
	json_t *f;
	at_error err;
	json_array_foreach(all, i, f) {
		check(at_appt_to_ical(f, "default-uid", a, &evs[i], &err) == 0, "%s", err.message);
	}
	at_ical_calendar cal = {.items = evs, .n_items = json_array_size(all)};
	assert_int_equal(at_ical_write(&cal, out, &err), 0);
	at_arena_free(&a);
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "(none)";
}

static void test_fields(void **state)
{
	(void)state;
	json_t *all = import(outlook, sizeof(outlook) - 1);
	assert_int_equal(json_array_size(all), 3);
	json_t *w = json_array_get(all, 0);
	assert_string_equal(str(w, "uid"), "weekly-1");
	assert_string_equal(str(w, "subject"), "Planning, weekly");
	assert_string_equal(str(w, "location"), "Room 4");
	assert_string_equal(str(w, "notes"), "Agenda:\n1. numbers");
	/* 09:00 CET */
	assert_string_equal(str(w, "start"), "2024-03-25T08:00:00Z");
	assert_string_equal(str(w, "end"), "2024-03-25T08:30:00Z");
	static const char *const zones[] = {"Europe/Amsterdam", "Europe/Berlin", "Europe/Rome",
					    "Europe/Stockholm", "Europe/Vienna"};
	bool named = false;
	for (size_t i = 0; i < N_ELEMS(zones); i++)
		named |= strcmp(str(w, "timeZone"), zones[i]) == 0;
	check(named, "custom zone matched to %s", str(w, "timeZone"));
	assert_string_equal(str(w, "rrule"), "FREQ=WEEKLY;BYDAY=MO;COUNT=4");
	assert_true(json_is_true(json_object_get(w, "private")));
	assert_string_equal(str(w, "showAs"), "outOfOffice");
	assert_int_equal(json_integer_value(json_object_get(w, "reminderMinutes")), 15);
	assert_int_equal(json_integer_value(json_object_get(w, "sequence")), 2);
	char *cats = json_dumps(json_object_get(w, "categories"), JSON_COMPACT);
	assert_string_equal(cats, "[\"Work\",\"Planning\"]");
	free(cats);
	json_t *org = json_object_get(w, "organizer");
	assert_string_equal(str(org, "address"), "alice@example.org");
	assert_string_equal(str(org, "name"), "Alice Martin");
	json_t *p = json_object_get(w, "participants");
	assert_int_equal(json_array_size(p), 2);
	json_t *ada = json_array_get(p, 0), *room = json_array_get(p, 1);
	assert_string_equal(str(ada, "type"), "external");
	assert_string_equal(str(ada, "address"), "ada@example.org");
	assert_string_equal(str(ada, "name"), "Ada L");
	assert_string_equal(str(ada, "status"), "accepted");
	assert_string_equal(str(ada, "role"), "chair");
	assert_string_equal(str(ada, "icalParams"), ";X-NUM-GUESTS=0");
	assert_null(json_object_get(room, "status"));  /* DELEGATED has no field */
	assert_true(json_is_true(json_object_get(room, "rsvp")));
	assert_string_equal(str(room, "icalParams"), ";PARTSTAT=DELEGATED;CUTYPE=ROOM");
	/* exdates: the EXDATE and the cancelled instance; the moved one */
	char *ex = json_dumps(json_object_get(w, "exdates"), JSON_COMPACT);
	assert_string_equal(ex, "[\"2024-04-15T07:00:00Z\",\"2024-04-08T07:00:00Z\"]");
	free(ex);
	char *ov = json_dumps(json_object_get(w, "overrides"), JSON_COMPACT | JSON_SORT_KEYS);
	/* its end is its start + the series' length: not an override's */
	assert_string_equal(ov, "[{\"recurrenceId\":\"2024-04-01T07:00:00Z\","
				"\"start\":\"2024-04-02T08:00:00Z\","
				"\"subject\":\"Planning (moved)\"}]");
	free(ov);
	/* kept verbatim; DTSTAMP is not */
	const char *x = str(w, "icalExtra");
	check(strstr(x, "PRIORITY:5\n") != NULL, "%s", x);
	check(strstr(x, "X-FOO;BAR=1:baz") != NULL, "%s", x);
	check(strstr(x, "BEGIN:VALARM\nTRIGGER:-PT1H\nACTION:AUDIO\nEND:VALARM") != NULL ||
	      strstr(x, "BEGIN:VALARM\nACTION:AUDIO\nTRIGGER:-PT1H\nEND:VALARM") != NULL, "%s", x);
	check(strstr(x, "BEGIN:X-THING\nX-A:1\nEND:X-THING") != NULL, "%s", x);
	check(strstr(x, "DTSTAMP") == NULL && strstr(x, "BUSYSTATUS") == NULL &&
	      strstr(x, "-PT15M") == NULL, "%s", x);

	json_t *h = json_array_get(all, 1);
	assert_string_equal(str(h, "start"), "2024-05-01");
	assert_string_equal(str(h, "end"), "2024-05-02");
	assert_true(json_is_true(json_object_get(h, "allDay")));
	assert_string_equal(str(h, "showAs"), "free");
	json_t *fl = json_array_get(all, 2);
	assert_string_equal(str(fl, "start"), "2024-06-01T10:00:00");
	assert_string_equal(str(fl, "end"), "2024-06-01T10:45:00");
	assert_null(json_object_get(fl, "timeZone"));
	json_decref(all);
}

static void test_custom_zone_expands_in_its_zone(void **state)
{
	(void)state;
	json_t *all = import(outlook, sizeof(outlook) - 1);
	json_t *w = json_array_get(all, 0);
	at_arena *a = at_arena_new(0);
	at_appt ap;
	at_appt_occurrence *occ;
	size_t n;
	at_error err;
	assert_int_equal(at_appt_load(w, a, &ap, &err), 0);
	/* 1 Jan 2024 .. 1 Jan 2025 */
	assert_int_equal(at_appt_expand(&ap, 1704067200, 1735689600, NULL, NULL, a, &occ, &n,
					&err), 0);
	char got[512] = "";
	for (size_t i = 0; i < n; i++) {
		char r[21], s[21], e[21];
		at_appt_occurrence_times(&ap, &occ[i], r, s, e);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", s);
	}
	/* 25 March CET; summer time from 31 March: 1 April moved to 2 April
	 * 10:00, 8 April cancelled, 15 April deleted */
	assert_string_equal(got, "2024-03-25T08:00:00Z 2024-04-02T08:00:00Z ");
	at_arena_free(&a);
	json_decref(all);
}

static void test_round_trip(void **state)
{
	(void)state;
	json_t *first = import(outlook, sizeof(outlook) - 1);
	at_buf out;
	at_buf_init(&out, 0);
	export(first, &out);
	/* what a reader of the file sees */
	check(strstr(out.data, "X-FOO;BAR=1:baz\r\n") != NULL, "%s", out.data);
	check(strstr(out.data, "BEGIN:VTIMEZONE\r\nTZID:Europe/") != NULL, "%s", out.data);
	check(strstr(out.data, "RECURRENCE-ID;TZID=Europe/") != NULL, "%s", out.data);
	check(strstr(out.data, "TRIGGER:-PT15M\r\n") != NULL, "%s", out.data);
	check(strstr(out.data, "CLASS:PRIVATE\r\n") != NULL, "%s", out.data);
	check(strstr(out.data, "DTSTAMP") == NULL, "%s", out.data);
	json_t *second = import(out.data, out.len);
	if (!json_equal(first, second)) {
		char *x = json_dumps(first, JSON_SORT_KEYS | JSON_INDENT(1));
		char *y = json_dumps(second, JSON_SORT_KEYS | JSON_INDENT(1));
		fail_msg("round trip differs:\n%s\n---\n%s", x, y);
	}
	at_buf_free(&out);
	json_decref(first);
	json_decref(second);
}

static void test_from_atrium_fields(void **state)
{
	(void)state;
	/* fields made in Atrium: internal participants, label, reminder */
	json_error_t je;
	json_t *f = json_loads(
	    "{\"subject\":\"Review\",\"start\":\"2024-03-19T08:00:00Z\",\"end\":"
	    "\"2024-03-19T09:00:00Z\",\"timeZone\":\"Europe/Paris\",\"label\":\"mustAttend\","
	    "\"showAs\":\"tentative\",\"reminderMinutes\":30,\"uid\":\"u-9\","
	    "\"rrule\":\"FREQ=DAILY;COUNT=3\",\"overrides\":[{\"recurrenceId\":"
	    "\"2024-03-20T08:00:00Z\",\"location\":\"Lab\",\"reminderMinutes\":5}],"
	    "\"participants\":[{\"type\":\"user\",\"login\":\"bob\",\"status\":\"tentative\","
	    "\"comment\":\"late\"},{\"type\":\"resource\",\"login\":\"room-1\"},"
	    "{\"type\":\"group\",\"login\":\"staff\",\"name\":\"Staff\"},"
	    "{\"type\":\"external\",\"address\":\"urn:uuid:0a1b\"},"
	    "{\"type\":\"external\",\"address\":\"mailto:twice@example.org\"}]}", 0, &je);
	assert_non_null(f);
	at_error err;
	assert_int_equal(at_model_validate(appt(), f, false, &err), 0);
	json_t *all = json_array();
	json_array_append_new(all, f);
	at_buf out;
	at_buf_init(&out, 0);
	export(all, &out);
	check(strstr(out.data, "X-ATRIUM-LABEL:mustAttend") != NULL, "%s", out.data);
	check(strstr(out.data, "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE") != NULL, "%s", out.data);
	check(strstr(out.data, "X-ATRIUM-LOGIN=bob") != NULL, "%s", out.data);
	check(strstr(out.data, "CUTYPE=RESOURCE") != NULL, "%s", out.data);
	check(strstr(out.data, ":urn:uuid:0a1b\r\n") != NULL, "%s", out.data);
	check(strstr(out.data, ":mailto:mailto:twice@example.org\r\n") != NULL, "%s", out.data);
	json_t *back = import(out.data, out.len);
	if (!json_equal(all, back)) {
		char *x = json_dumps(all, JSON_SORT_KEYS);
		char *y = json_dumps(back, JSON_SORT_KEYS);
		fail_msg("round trip differs:\n%s\n---\n%s", x, y);
	}
	at_buf_free(&out);
	json_decref(all);
	json_decref(back);
}

/* The .ics files of the fuzz corpus (the round-trip failures the fuzzer
 * found among them): every event that maps to valid fields comes back the
 * same through an export. */
static void test_fuzz_regressions(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/appointment", ATRIUM_SRC_DIR);
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
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		static char text[1 << 16];
		size_t len = fread(text, 1, sizeof(text), f);
		fclose(f);
		files++;
		at_arena *a = at_arena_new(0);
		at_ical_calendar *cal;
		at_error err;
		unsigned line;
		if (at_ical_parse(text, len, NULL, a, &cal, &line, &err) < 0) {
			at_arena_free(&a);
			continue;
		}
		at_appt_ical *ctx = at_appt_ical_new(cal, a);
		json_t *first = json_array();
		for (size_t i = 0; i < cal->n_items; i++) {
			json_t *fl = NULL;
			if (at_appt_from_ical(ctx, &cal->items[i], &fl, &err) == 0 &&
			    at_model_validate(appt(), fl, false, &err) == 0) {
				if (json_object_get(fl, "uid") == NULL)
					json_object_set_new(fl, "uid", json_string("default-uid"));
				json_array_append_new(first, fl);
			} else {
				json_decref(fl);
			}
		}
		at_arena_free(&a);
		at_buf out;
		at_buf_init(&out, 0);
		export(first, &out);
		json_t *second = import(out.data, out.len);
		check(json_equal(first, second), "%s: the round trip changed the fields", e->d_name);
		json_decref(first);
		json_decref(second);
		at_buf_free(&out);
	}
	closedir(d);
	check(files >= 3, "only %d .ics files in %s", files, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_custom_zone_expands_in_its_zone),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_atrium_fields),
		cmocka_unit_test(test_fuzz_regressions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
