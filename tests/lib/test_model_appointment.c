/* test_model_appointment.c — the appointment item type: the field types it
 * brought to the model (datetime, enum, integer, zone, objects and their
 * lists) with their limits, the checks across fields (kinds of start/end,
 * all-day, end after start, time zone, rules that never occur, recurrence
 * ids), the published limits, and appointment.h: expansion across
 * daylight-saving changes in Europe/Paris against hand-computed instants,
 * finding an occurrence, deleting and changing one, and "this and
 * following". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "appointment.h"
#include "model.h"

static const at_item_type *appt(void)
{
	const at_item_type *t = at_model_item_type("appointment");
	assert_non_null(t);
	return t;
}

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	check(j != NULL, "bad JSON in the test: %s: %s", je.text, text);
	return j;
}

/* Validates the JSON text; returns rc, fills err.  *out_r (may be NULL)
 * gets the (possibly rewritten) fields. */
static int validate_text(const char *text, bool patch, at_error *err, json_t **out_r)
{
	json_t *f = parse(text);
	at_error_clear(err);
	int rc = at_model_validate(appt(), f, patch, err);
	if (out_r != NULL)
		*out_r = f;
	else
		json_decref(f);
	return rc;
}

#define BASE "\"start\":\"2024-03-07T08:00:00Z\",\"end\":\"2024-03-07T09:00:00Z\""

static void ok(const char *text)
{
	at_error err;
	int rc = validate_text(text, false, &err, NULL);
	check(rc == 0, "refused: %s\n  -> %s (%s)", text, err.message, err.field);
}

static void refused(const char *text, bool patch, const char *code, const char *field)
{
	at_error err;
	int rc = validate_text(text, patch, &err, NULL);
	check(rc == -1, "accepted: %s", text);
	check(strcmp(err.code, code) == 0 && strcmp(err.field, field) == 0,
	      "%s\n  -> %s on \"%s\" (%s), expected %s on \"%s\"", text, err.code, err.field,
	      err.message, code, field);
}

static void test_type_and_module(void **state)
{
	(void)state;
	assert_ptr_equal(at_model_default_type(AT_MODULE_CALENDAR), appt());
	assert_int_equal(appt()->module, AT_MODULE_CALENDAR);
	/* every DESIGN §3 field that exists now */
	static const char *const names[] = {
		"subject", "location", "label", "start", "end", "timeZone", "allDay",
		"reminderMinutes", "showAs", "notes", "categories", "private", "organizer",
		"participants", "rrule", "exdates", "overrides", "uid", "sequence", "icalExtra",
	};
	for (size_t i = 0; i < N_ELEMS(names); i++)
		check(at_model_field(appt(), names[i]) != NULL, "no field %s", names[i]);
	char title[64];
	json_t *f = parse("{\"subject\":\"Standup\"}");
	at_model_item_title(appt(), f, title, sizeof(title));
	assert_string_equal(title, "Standup");
	json_decref(f);
}

static void test_datetimes(void **state)
{
	(void)state;
	ok("{" BASE "}");
	ok("{\"start\":\"2024-03-07T09:00:00\",\"end\":\"2024-03-07T09:00:00\"}");
	ok("{\"start\":\"2024-03-07\",\"end\":\"2024-03-08\",\"allDay\":true}");
	/* offsets become UTC instants, in place, in lists and objects too */
	at_error err;
	json_t *f;
	int rc = validate_text("{\"start\":\"2024-03-07T09:00:00+01:00\","
			       "\"end\":\"2024-03-07T23:30:00-01:30\",\"timeZone\":\"Europe/Paris\","
			       "\"rrule\":\"FREQ=DAILY\",\"exdates\":[\"2024-03-09T09:00:00+01:00\"],"
			       "\"overrides\":[{\"recurrenceId\":\"2024-03-08T08:00:00z\","
			       "\"start\":\"2024-03-08t10:00:00+01:00\"}]}",
			       false, &err, &f);
	check(rc == 0, "%s", err.message);
	assert_string_equal(json_string_value(json_object_get(f, "start")), "2024-03-07T08:00:00Z");
	assert_string_equal(json_string_value(json_object_get(f, "end")), "2024-03-08T01:00:00Z");
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "exdates"), 0)),
			    "2024-03-09T08:00:00Z");
	json_t *o = json_array_get(json_object_get(f, "overrides"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "recurrenceId")),
			    "2024-03-08T08:00:00Z");
	assert_string_equal(json_string_value(json_object_get(o, "start")), "2024-03-08T09:00:00Z");
	json_decref(f);
	/* a date across the year boundary by an offset */
	at_recur_time t;
	assert_int_equal(at_model_datetime_parse("2025-01-01T00:30:00+01:00", &t), 0);
	assert_int_equal(t.year, 2024);
	assert_int_equal(t.month, 12);
	assert_int_equal(t.day, 31);
	assert_int_equal(t.hour, 23);
	assert_string_equal(t.tzid, "UTC");

	static const char *const bad[] = {
		"2024-02-30T09:00:00Z", "2023-02-29", "2024-03-07T24:00:00Z",
		"2024-03-07T09:60:00Z", "2024-03-07T09:00:60Z", "2024-03-07T09:00:00.5Z",
		"2024-03-07 09:00:00", "2024-03-07T09:00Z", "2024-03-07T09:00:00+0100",
		"2024-03-07T09:00:00+24:00", "20240307T090000Z", "", "0000-01-01",
		"2024-3-7", "2024-03-07T09:00:00ZZ",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char text[200];
		snprintf(text, sizeof(text), "{\"start\":\"%s\",\"end\":\"2024-03-07T09:00:00Z\"}",
			 bad[i]);
		refused(text, false, "invalidField", "start");
		check(at_model_datetime_parse(bad[i], &t) == -1, "parsed %s", bad[i]);
	}
	refused("{\"start\":20240307,\"end\":\"2024-03-07T09:00:00Z\"}", false, "invalidField",
		"start");
	refused("{\"start\":\"2024-03-07T08:00:00Z\",\"end\":\"2024-03-07T09:00:00Z\","
		"\"exdates\":[\"x\"],\"rrule\":\"FREQ=DAILY\"}", false, "invalidField",
		"exdates[0]");
}

static void test_required_and_patches(void **state)
{
	(void)state;
	refused("{\"subject\":\"x\"}", false, "invalidField", "start");
	refused("{\"start\":\"2024-03-07T08:00:00Z\"}", false, "invalidField", "end");
	refused("{\"start\":null}", true, "invalidField", "start");
	at_error err;
	assert_int_equal(validate_text("{\"subject\":null,\"location\":\"Room 1\"}", true, &err,
				       NULL), 0);
	refused("{\"subject\":null}", false, "invalidField", "subject");
	refused("{" BASE ",\"colour\":\"red\"}", false, "unknownField", "colour");
	/* a patch is checked for what it holds */
	refused("{\"start\":\"2024-03-07T10:00:00Z\",\"end\":\"2024-03-07T09:00:00Z\"}", true,
		"invalidField", "end");
	refused("{\"rrule\":\"FREQ=FORTNIGHTLY\"}", true, "invalidField", "rrule");
	assert_int_equal(validate_text("{\"end\":\"2024-03-07T09:00:00Z\"}", true, &err, NULL), 0);
}

static void test_cross_field(void **state)
{
	(void)state;
	refused("{\"start\":\"2024-03-07T10:00:00Z\",\"end\":\"2024-03-07T09:59:59Z\"}", false,
		"invalidField", "end");
	ok("{\"start\":\"2024-03-07T10:00:00Z\",\"end\":\"2024-03-07T10:00:00Z\"}");
	/* all-day: dates, allDay set, end exclusive */
	refused("{\"start\":\"2024-03-07\",\"end\":\"2024-03-08\"}", false, "invalidField",
		"allDay");
	refused("{\"start\":\"2024-03-07\",\"end\":\"2024-03-07\",\"allDay\":true}", false,
		"invalidField", "end");
	refused("{" BASE ",\"allDay\":true}", false, "invalidField", "allDay");
	ok("{" BASE ",\"allDay\":false}");
	/* kinds match */
	refused("{\"start\":\"2024-03-07\",\"end\":\"2024-03-08T00:00:00Z\",\"allDay\":true}",
		false, "invalidField", "end");
	refused("{\"start\":\"2024-03-07T08:00:00Z\",\"end\":\"2024-03-07T09:00:00\"}", false,
		"invalidField", "end");
	/* zones */
	ok("{" BASE ",\"timeZone\":\"America/New_York\"}");
	ok("{" BASE ",\"timeZone\":\"UTC\"}");
	refused("{" BASE ",\"timeZone\":\"Mars/Olympus_Mons\"}", false, "invalidField",
		"timeZone");
	refused("{" BASE ",\"timeZone\":\"../../etc/passwd\"}", false, "invalidField",
		"timeZone");
	refused("{\"start\":\"2024-03-07T09:00:00\",\"end\":\"2024-03-07T10:00:00\","
		"\"timeZone\":\"Europe/Paris\"}", false, "invalidField", "timeZone");
	refused("{\"start\":\"2024-03-07\",\"end\":\"2024-03-08\",\"allDay\":true,"
		"\"timeZone\":\"Europe/Paris\"}", false, "invalidField", "timeZone");
}

static void test_enums_and_integers(void **state)
{
	(void)state;
	ok("{" BASE ",\"showAs\":\"outOfOffice\",\"label\":\"mustAttend\","
	   "\"reminderMinutes\":0,\"sequence\":2147483647}");
	at_error err;
	assert_int_equal(validate_text("{" BASE ",\"showAs\":\"away\"}", false, &err, NULL), -1);
	assert_string_equal(err.field, "showAs");
	check(strstr(err.message, "free, tentative, busy, outOfOffice") != NULL, "%s",
	      err.message);
	refused("{" BASE ",\"label\":\"red\"}", false, "invalidField", "label");
	refused("{" BASE ",\"showAs\":1}", false, "invalidField", "showAs");
	refused("{" BASE ",\"reminderMinutes\":-1}", false, "invalidField", "reminderMinutes");
	refused("{" BASE ",\"reminderMinutes\":525601}", false, "invalidField",
		"reminderMinutes");
	refused("{" BASE ",\"reminderMinutes\":\"15\"}", false, "invalidField",
		"reminderMinutes");
	refused("{" BASE ",\"reminderMinutes\":15.0}", false, "invalidField", "reminderMinutes");
	refused("{" BASE ",\"sequence\":2147483648}", false, "invalidField", "sequence");
}

static void test_participants(void **state)
{
	(void)state;
	ok("{" BASE ",\"participants\":[{\"type\":\"user\",\"login\":\"bob\",\"status\":"
	   "\"accepted\",\"comment\":\"fine\"},{\"type\":\"external\",\"address\":"
	   "\"ada@example.org\",\"name\":\"Ada\",\"role\":\"optional\",\"rsvp\":true},"
	   "{\"type\":\"resource\",\"login\":\"room-1\"},{\"type\":\"group\",\"login\":\"staff\"}],"
	   "\"organizer\":{\"login\":\"alice\",\"name\":\"Alice\"}}");
	refused("{" BASE ",\"participants\":[{\"login\":\"bob\"}]}", false, "invalidField",
		"participants[0].type");
	refused("{" BASE ",\"participants\":[{\"type\":\"user\",\"login\":\"a\"},"
		"{\"type\":\"external\",\"login\":\"x\"}]}", false, "invalidField",
		"participants[1]");
	refused("{" BASE ",\"participants\":[{\"type\":\"user\",\"address\":\"a@b\"}]}", false,
		"invalidField", "participants[0]");
	refused("{" BASE ",\"participants\":[{\"type\":\"user\",\"login\":\"a\","
		"\"status\":\"maybe\"}]}", false, "invalidField", "participants[0].status");
	refused("{" BASE ",\"participants\":[{\"type\":\"user\",\"login\":\"a\",\"age\":3}]}",
		false, "unknownField", "participants[0].age");
	refused("{" BASE ",\"participants\":[{\"type\":\"user\",\"login\":\"a\",\"name\":null}]}",
		false, "invalidField", "participants[0].name");
	refused("{" BASE ",\"participants\":[\"bob\"]}", false, "invalidField",
		"participants[0]");
	refused("{" BASE ",\"participants\":{\"type\":\"user\"}}", false, "invalidField",
		"participants");
	refused("{" BASE ",\"participants\":[{\"type\":\"external\",\"address\":\"A@b.org\"},"
		"{\"type\":\"external\",\"address\":\"a@B.org\"}]}", false, "invalidField",
		"participants");
	refused("{" BASE ",\"organizer\":{\"name\":\"Alice\"}}", false, "invalidField",
		"organizer");
	/* icalExtra is iCalendar lines of one event */
	ok("{" BASE ",\"icalExtra\":\"X-A;B=1:c\\nBEGIN:VALARM\\nACTION:AUDIO\\nTRIGGER:-PT1H\\n"
	   "END:VALARM\"}");
	refused("{" BASE ",\"icalExtra\":\"X-A;+=1:c\"}", false, "invalidField", "icalExtra");
	refused("{" BASE ",\"icalExtra\":\"BEGIN:VALARM\"}", false, "invalidField", "icalExtra");
	refused("{" BASE ",\"icalExtra\":\"END:VEVENT\\nBEGIN:VEVENT\\nUID:x\"}", false,
		"invalidField", "icalExtra");
	refused("{" BASE ",\"rrule\":\"FREQ=DAILY\",\"overrides\":[{\"recurrenceId\":"
		"\"2024-03-08T08:00:00Z\",\"icalExtra\":\"nocolon\"}]}", false, "invalidField",
		"overrides[0].icalExtra");
	/* parameters kept from iCalendar are written back verbatim: well formed */
	ok("{" BASE ",\"participants\":[{\"type\":\"external\",\"address\":\"a@b\","
	   "\"icalParams\":\";X-NUM-GUESTS=0;DELEGATED-TO=\\\"mailto:c@d\\\",\\\"mailto:e@f\\\"\"}]}");
	static const char *const bad_params[] = {"X=1", ";X", ";=1", ";X=\\\"open", ";X=a:b",
						 ";X=a\\\"b", ";X=1;"};
	for (size_t i = 0; i < N_ELEMS(bad_params); i++) {
		char text[300];
		snprintf(text, sizeof(text), "{" BASE ",\"organizer\":{\"login\":\"a\","
			 "\"icalParams\":\"%s\"}}", bad_params[i]);
		refused(text, false, "invalidField", "organizer");
	}
	/* limits: entries and member lengths */
	json_t *f = parse("{" BASE "}");
	json_t *list = json_array();
	for (int i = 0; i < 513; i++) {
		char login[16];
		snprintf(login, sizeof(login), "u%d", i);
		json_array_append_new(list, json_pack("{s:s,s:s}", "type", "user", "login", login));
	}
	json_object_set_new(f, "participants", list);
	at_error err;
	at_error_clear(&err);
	assert_int_equal(at_model_validate(appt(), f, false, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	assert_string_equal(err.field, "participants");
	check(strstr(err.message, "513 entries, the limit is 512") != NULL, "%s", err.message);
	json_array_remove(list, 512);
	at_error_clear(&err);
	assert_int_equal(at_model_validate(appt(), f, false, &err), 0);
	char comment[1026];
	memset(comment, 'c', 1025);
	comment[1025] = '\0';
	json_object_set_new(json_array_get(list, 3), "comment", json_string(comment));
	at_error_clear(&err);
	assert_int_equal(at_model_validate(appt(), f, false, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	assert_string_equal(err.field, "participants[3].comment");
	json_decref(f);
}

static void test_recurrence_fields(void **state)
{
	(void)state;
	ok("{" BASE ",\"timeZone\":\"Europe/Paris\",\"rrule\":\"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\"}");
	ok("{" BASE ",\"rrule\":\"FREQ=MONTHLY;BYDAY=-1FR;COUNT=3\"}");
	ok("{" BASE ",\"rrule\":\"FREQ=YEARLY;INTERVAL=2;UNTIL=20300101T000000Z\"}");
	refused("{" BASE ",\"rrule\":\"FREQ=WEEKLY;BYDAY=XX\"}", false, "invalidField", "rrule");
	refused("{" BASE ",\"rrule\":\"FREQ=DAILY;COUNT=2;UNTIL=20300101T000000Z\"}", false,
		"invalidField", "rrule");
	/* a rule that can never produce an occurrence */
	at_error err;
	assert_int_equal(validate_text("{" BASE ",\"rrule\":\"FREQ=YEARLY;BYMONTH=2;"
				       "BYMONTHDAY=30\"}", false, &err, NULL), -1);
	assert_string_equal(err.field, "rrule");
	check(strstr(err.message, "never") != NULL || strstr(err.message, "no occurrence") != NULL,
	      "%s", err.message);
	/* UNTIL of the wrong kind (often written so) is read in the series' terms */
	ok("{\"start\":\"2024-03-07\",\"end\":\"2024-03-08\",\"allDay\":true,"
	   "\"rrule\":\"FREQ=DAILY;UNTIL=20240310T000000Z\"}");
	/* recurrence ids of the series' kind, unique, and only on a series */
	refused("{" BASE ",\"exdates\":[\"2024-03-08T08:00:00Z\"]}", false, "invalidField",
		"exdates");
	refused("{" BASE ",\"rrule\":\"FREQ=DAILY\",\"exdates\":[\"2024-03-08T08:00:00\"]}",
		false, "invalidField", "exdates[0]");
	ok("{" BASE ",\"rrule\":\"FREQ=DAILY\",\"exdates\":[\"2024-03-08\"]}");
	refused("{" BASE ",\"rrule\":\"FREQ=DAILY\",\"overrides\":[{\"recurrenceId\":"
		"\"2024-03-08T08:00:00Z\"},{\"recurrenceId\":\"2024-03-08T09:00:00+01:00\"}]}",
		false, "invalidField", "overrides[1].recurrenceId");
	refused("{" BASE ",\"rrule\":\"FREQ=DAILY\",\"overrides\":[{\"subject\":\"x\"}]}", false,
		"invalidField", "overrides[0].recurrenceId");
	refused("{" BASE ",\"rrule\":\"FREQ=DAILY\",\"overrides\":[{\"recurrenceId\":"
		"\"2024-03-08T08:00:00Z\",\"end\":\"2024-03-08T07:00:00Z\"}]}", false,
		"invalidField", "overrides[0].end");
	refused("{" BASE ",\"rrule\":\"FREQ=DAILY\",\"overrides\":[{\"recurrenceId\":"
		"\"2024-03-08T08:00:00Z\",\"rrule\":\"FREQ=DAILY\"}]}", false, "unknownField",
		"overrides[0].rrule");
}

static void test_limits_json(void **state)
{
	(void)state;
	json_t *all = at_model_limits_json();
	json_t *a = json_object_get(all, "appointment");
	assert_non_null(a);
	json_t *d = json_object_get(a, "showAs");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "enum");
	assert_int_equal(json_array_size(json_object_get(d, "values")), 4);
	d = json_object_get(a, "start");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "datetime");
	assert_true(json_is_true(json_object_get(d, "required")));
	d = json_object_get(a, "reminderMinutes");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "integer");
	assert_int_equal(json_integer_value(json_object_get(d, "maximum")), 525600);
	d = json_object_get(a, "participants");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "objectList");
	assert_int_equal(json_integer_value(json_object_get(d, "maxItems")), 512);
	json_t *m = json_object_get(json_object_get(d, "members"), "comment");
	assert_int_equal(json_integer_value(json_object_get(m, "maxLength")), 1024);
	d = json_object_get(a, "timeZone");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "timeZone");
	d = json_object_get(json_object_get(json_object_get(a, "overrides"), "members"),
			    "recurrenceId");
	assert_true(json_is_true(json_object_get(d, "required")));
	/* contacts are described as before */
	d = json_object_get(json_object_get(all, "contact"), "firstName");
	assert_int_equal(json_object_size(d), 2);
	json_decref(all);
}

/* ---- appointment.h ------------------------------------------------------ */

/* "2024-03-19T08:00:00Z" -> instant */
static int64_t at(const char *s)
{
	at_recur_time t;
	at_error err;
	int64_t u;
	assert_int_equal(at_model_datetime_parse(s, &t), 0);
	assert_int_equal(at_recur_to_utc(&t, NULL, &u, &err), 0);
	return u;
}

/* Expands fields over [from, to) (zone for floating/all-day) and compares
 * the occurrences' starts ("start/end", wire form) with want[]. */
static void expect(const char *fields_text, const char *from, const char *to,
		   const char *zone, const char *const *want, size_t n_want)
{
	json_t *f = parse(fields_text);
	at_error err;
	at_error_clear(&err);
	check(at_model_validate(appt(), f, false, &err) == 0, "%s: %s", fields_text, err.message);
	at_arena *arena = at_arena_new(0);
	at_appt a;
	at_appt_occurrence *occ;
	size_t n;
	assert_int_equal(at_appt_load(f, arena, &a, &err), 0);
	int rc = at_appt_expand(&a, at(from), at(to), zone, NULL, arena, &occ, &n, &err);
	check(rc == 0, "%s", err.message);
	char got[4096] = "", exp[4096] = "";
	for (size_t i = 0; i < n; i++) {
		char r[21], s[21], e[21];
		at_appt_occurrence_times(&a, &occ[i], r, s, e);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s/%s%s ", s, e,
			 occ[i].override ? "*" : "");
	}
	for (size_t i = 0; i < n_want; i++)
		snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp), "%s ", want[i]);
	check(strcmp(got, exp) == 0, "%s\n  got:      %s\n  expected: %s", fields_text, got, exp);
	at_arena_free(&arena);
	json_decref(f);
}

static void test_expand_dst_paris(void **state)
{
	(void)state;
	/* Tuesdays 09:00-10:00 Paris; summer time starts Sunday 2024-03-31:
	 * 08:00Z (UTC+1) before, 07:00Z (UTC+2) after. */
	static const char *const spring[] = {
		"2024-03-19T08:00:00Z/2024-03-19T09:00:00Z",
		"2024-03-26T08:00:00Z/2024-03-26T09:00:00Z",
		"2024-04-02T07:00:00Z/2024-04-02T08:00:00Z",
		"2024-04-09T07:00:00Z/2024-04-09T08:00:00Z",
	};
	expect("{\"start\":\"2024-03-19T08:00:00Z\",\"end\":\"2024-03-19T09:00:00Z\","
	       "\"timeZone\":\"Europe/Paris\",\"rrule\":\"FREQ=WEEKLY;BYDAY=TU\"}",
	       "2024-03-18T00:00:00Z", "2024-04-10T00:00:00Z", NULL, spring, N_ELEMS(spring));
	/* the same rule in UTC keeps 08:00Z */
	static const char *const utc[] = {
		"2024-03-26T08:00:00Z/2024-03-26T09:00:00Z",
		"2024-04-02T08:00:00Z/2024-04-02T09:00:00Z",
	};
	expect("{\"start\":\"2024-03-19T08:00:00Z\",\"end\":\"2024-03-19T09:00:00Z\","
	       "\"rrule\":\"FREQ=WEEKLY;BYDAY=TU\"}",
	       "2024-03-20T00:00:00Z", "2024-04-03T00:00:00Z", NULL, utc, N_ELEMS(utc));
	/* autumn: winter time from Sunday 2024-10-27; every work day 09:00 */
	static const char *const autumn[] = {
		"2024-10-24T07:00:00Z/2024-10-24T07:30:00Z",
		"2024-10-25T07:00:00Z/2024-10-25T07:30:00Z",
		"2024-10-28T08:00:00Z/2024-10-28T08:30:00Z",
		"2024-10-29T08:00:00Z/2024-10-29T08:30:00Z",
	};
	expect("{\"start\":\"2024-10-21T07:00:00Z\",\"end\":\"2024-10-21T07:30:00Z\","
	       "\"timeZone\":\"Europe/Paris\",\"rrule\":\"" AT_RECUR_WORKDAYS "\"}",
	       "2024-10-24T00:00:00Z", "2024-10-30T00:00:00Z", NULL, autumn, N_ELEMS(autumn));
	/* an appointment across the spring change lasts 1 hour of real time:
	 * 01:30-03:30 Paris wall clock is 00:30Z-01:30Z */
	static const char *const across[] = {"2024-03-31T00:30:00Z/2024-03-31T01:30:00Z"};
	expect("{\"start\":\"2024-03-31T00:30:00Z\",\"end\":\"2024-03-31T01:30:00Z\","
	       "\"timeZone\":\"Europe/Paris\"}",
	       "2024-03-30T00:00:00Z", "2024-04-01T00:00:00Z", NULL, across, N_ELEMS(across));
}

static void test_expand_kinds(void **state)
{
	(void)state;
	/* monthly on the last Friday, 3 times */
	static const char *const lastfri[] = {
		"2024-01-26T15:00:00Z/2024-01-26T16:00:00Z",
		"2024-02-23T15:00:00Z/2024-02-23T16:00:00Z",
		"2024-03-29T15:00:00Z/2024-03-29T16:00:00Z",
	};
	expect("{\"start\":\"2024-01-26T15:00:00Z\",\"end\":\"2024-01-26T16:00:00Z\","
	       "\"rrule\":\"FREQ=MONTHLY;BYDAY=-1FR;COUNT=3\"}",
	       "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", NULL, lastfri, N_ELEMS(lastfri));
	/* yearly all-day on Feb 29: leap years only; dates read in the zone */
	static const char *const leap[] = {"2028-02-29/2028-03-01"};
	expect("{\"start\":\"2024-02-29\",\"end\":\"2024-03-01\",\"allDay\":true,"
	       "\"rrule\":\"FREQ=YEARLY\"}",
	       "2025-01-01T00:00:00Z", "2029-01-01T00:00:00Z", "Europe/Paris", leap,
	       N_ELEMS(leap));
	/* floating: the same wall time wherever it is read */
	static const char *const floating[] = {
		"2024-03-07T09:00:00/2024-03-07T10:00:00",
		"2024-03-09T09:00:00/2024-03-09T10:00:00",
	};
	expect("{\"start\":\"2024-03-07T09:00:00\",\"end\":\"2024-03-07T10:00:00\","
	       "\"rrule\":\"FREQ=DAILY;INTERVAL=2;UNTIL=20240310T000000\"}",
	       "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z", "America/New_York", floating,
	       N_ELEMS(floating));
	/* monthly on the 31st skips short months (Jan, Mar, May, Jul, Aug make
	 * the COUNT of 5); exdates and overrides apply */
	static const char *const m31[] = {
		"2024-01-31T09:00:00Z/2024-01-31T10:00:00Z",
		"2024-05-31T12:00:00Z/2024-05-31T12:30:00Z*",
		"2024-07-31T09:00:00Z/2024-07-31T10:00:00Z",
		"2024-08-31T09:00:00Z/2024-08-31T10:00:00Z",
	};
	expect("{\"start\":\"2024-01-31T09:00:00Z\",\"end\":\"2024-01-31T10:00:00Z\","
	       "\"rrule\":\"FREQ=MONTHLY;BYMONTHDAY=31;COUNT=5\","
	       "\"exdates\":[\"2024-03-31T09:00:00Z\"],\"overrides\":[{\"recurrenceId\":"
	       "\"2024-05-31T09:00:00Z\",\"start\":\"2024-05-31T12:00:00Z\","
	       "\"end\":\"2024-05-31T12:30:00Z\",\"subject\":\"moved\"}]}",
	       "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", NULL, m31, N_ELEMS(m31));
}

static json_t *checked(const char *text)
{
	json_t *f = parse(text);
	at_error err;
	at_error_clear(&err);
	check(at_model_validate(appt(), f, false, &err) == 0, "%s: %s", text, err.message);
	return f;
}

static void test_find_exclude_override(void **state)
{
	(void)state;
	json_t *f = checked("{\"subject\":\"Weekly\",\"start\":\"2024-03-19T08:00:00Z\","
			    "\"end\":\"2024-03-19T09:00:00Z\",\"timeZone\":\"Europe/Paris\","
			    "\"rrule\":\"FREQ=WEEKLY;BYDAY=TU;COUNT=6\"}");
	char rid[AT_DATETIME_SIZE];
	at_error err;
	/* by date in the user's zone, by local time, by UTC instant */
	assert_int_equal(at_appt_find(f, "2024-04-02", "Europe/Paris", rid, &err), 0);
	assert_string_equal(rid, "2024-04-02T07:00:00Z");
	assert_int_equal(at_appt_find(f, "2024-04-02T09:00", "Europe/Paris", rid, &err), 0);
	assert_string_equal(rid, "2024-04-02T07:00:00Z");
	assert_int_equal(at_appt_find(f, "2024-03-26T08:00:00Z", "Europe/Paris", rid, &err), 0);
	assert_string_equal(rid, "2024-03-26T08:00:00Z");
	assert_int_equal(at_appt_find(f, "2024-04-03", "Europe/Paris", rid, &err), -1);
	assert_string_equal(err.code, "notFound");
	assert_int_equal(at_appt_find(f, "2024-04-02T10:00", "Europe/Paris", rid, &err), -1);
	assert_int_equal(at_appt_find(f, "next tuesday", "Europe/Paris", rid, &err), -1);
	assert_string_equal(err.code, "invalidArguments");
	/* beyond COUNT */
	assert_int_equal(at_appt_find(f, "2024-04-30", "Europe/Paris", rid, &err), -1);

	/* move one occurrence to Wednesday, delete another */
	json_t *patch = parse("{\"start\":\"2024-04-03T12:00:00Z\",\"end\":\"2024-04-03T13:00:00Z\","
			      "\"subject\":\"Moved\"}");
	assert_int_equal(at_appt_override(f, "2024-04-02T07:00:00Z", patch, &err), 0);
	json_decref(patch);
	assert_int_equal(at_appt_exclude(f, "2024-04-09T07:00:00Z", &err), 0);
	at_error_clear(&err);
	check(at_model_validate(appt(), f, false, &err) == 0, "%s", err.message);
	/* the moved occurrence is found by its original day and by its new day */
	assert_int_equal(at_appt_find(f, "2024-04-02", "Europe/Paris", rid, &err), 0);
	assert_string_equal(rid, "2024-04-02T07:00:00Z");
	assert_int_equal(at_appt_find(f, "2024-04-03", "Europe/Paris", rid, &err), 0);
	assert_string_equal(rid, "2024-04-02T07:00:00Z");
	assert_int_equal(at_appt_find(f, "2024-04-09", "Europe/Paris", rid, &err), -1);
	char *text = json_dumps(f, JSON_SORT_KEYS | JSON_COMPACT);
	check(strstr(text, "\"exdates\":[\"2024-04-09T07:00:00Z\"]") != NULL, "%s", text);
	check(strstr(text, "\"overrides\":[{\"end\":\"2024-04-03T13:00:00Z\",\"recurrenceId\":"
			   "\"2024-04-02T07:00:00Z\",\"start\":\"2024-04-03T12:00:00Z\","
			   "\"subject\":\"Moved\"}]") != NULL, "%s", text);
	free(text);
	/* the occurrence's own fields */
	at_arena *arena = at_arena_new(0);
	at_appt a;
	at_appt_occurrence *occ;
	size_t n;
	assert_int_equal(at_appt_load(f, arena, &a, &err), 0);
	assert_int_equal(at_appt_expand(&a, at("2024-03-18T00:00:00Z"), at("2024-05-01T00:00:00Z"),
					NULL, NULL, arena, &occ, &n, &err), 0);
	assert_int_equal(n, 5);
	json_t *of = at_appt_occurrence_fields(f, &a, &occ[2]);
	assert_string_equal(json_string_value(json_object_get(of, "subject")), "Moved");
	assert_string_equal(json_string_value(json_object_get(of, "start")), "2024-04-03T12:00:00Z");
	assert_string_equal(json_string_value(json_object_get(of, "recurrenceId")),
			    "2024-04-02T07:00:00Z");
	assert_null(json_object_get(of, "rrule"));
	json_decref(of);
	at_arena_free(&arena);
	/* an override back to the series' values disappears; a deleted
	 * occurrence loses its override */
	patch = parse("{\"start\":null,\"end\":null,\"subject\":null}");
	assert_int_equal(at_appt_override(f, "2024-04-02T07:00:00Z", patch, &err), 0);
	json_decref(patch);
	assert_null(json_object_get(f, "overrides"));
	patch = parse("{\"location\":\"Room 2\"}");
	assert_int_equal(at_appt_override(f, "2024-03-26T08:00:00Z", patch, &err), 0);
	json_decref(patch);
	assert_int_equal(at_appt_exclude(f, "2024-03-26T08:00:00Z", &err), 0);
	assert_null(json_object_get(f, "overrides"));
	assert_int_equal(json_array_size(json_object_get(f, "exdates")), 2);
	/* the series moves an hour later: exceptions of the old times go */
	json_t *moved = json_deep_copy(f);
	json_object_set_new(moved, "start", json_string("2024-03-19T09:00:00Z"));
	json_object_set_new(moved, "end", json_string("2024-03-19T10:00:00Z"));
	size_t dropped = 0;
	assert_int_equal(at_appt_prune(moved, &dropped, &err), 0);
	assert_int_equal(dropped, 2);
	assert_null(json_object_get(moved, "exdates"));
	json_decref(moved);
	moved = json_deep_copy(f);  /* same times: nothing goes */
	assert_int_equal(at_appt_prune(moved, &dropped, &err), 0);
	assert_int_equal(dropped, 0);
	assert_true(json_equal(moved, f));
	json_decref(moved);
	/* fields that cannot differ for one occurrence */
	patch = parse("{\"rrule\":\"FREQ=DAILY\"}");
	assert_int_equal(at_appt_override(f, "2024-03-19T08:00:00Z", patch, &err), -1);
	assert_string_equal(err.field, "rrule");
	json_decref(patch);
	json_decref(f);
}

static void test_split(void **state)
{
	(void)state;
	json_t *f = checked("{\"subject\":\"Daily\",\"uid\":\"u1\",\"sequence\":3,"
			    "\"start\":\"2024-03-28T08:00:00Z\",\"end\":\"2024-03-28T08:15:00Z\","
			    "\"timeZone\":\"Europe/Paris\",\"rrule\":\"FREQ=DAILY;COUNT=10\","
			    "\"exdates\":[\"2024-03-29T08:00:00Z\",\"2024-04-03T07:00:00Z\"],"
			    "\"overrides\":[{\"recurrenceId\":\"2024-04-04T07:00:00Z\","
			    "\"subject\":\"Late\"}]}");
	json_t *nf = NULL;
	at_error err;
	assert_int_equal(at_appt_split(f, "2024-04-01T07:00:00Z", "u2", &nf, &err), 0);
	assert_non_null(nf);
	/* the old series: 28, 30, 31 March (29 deleted), rule ends before the cut */
	assert_string_equal(json_string_value(json_object_get(f, "rrule")),
			    "FREQ=DAILY;UNTIL=20240401T065959Z");
	assert_int_equal(json_array_size(json_object_get(f, "exdates")), 1);
	assert_null(json_object_get(f, "overrides"));
	assert_string_equal(json_string_value(json_object_get(f, "uid")), "u1");
	/* the new one: from 1 April 09:00 Paris (07:00Z), 6 left of 10 */
	assert_string_equal(json_string_value(json_object_get(nf, "start")), "2024-04-01T07:00:00Z");
	assert_string_equal(json_string_value(json_object_get(nf, "end")), "2024-04-01T07:15:00Z");
	assert_string_equal(json_string_value(json_object_get(nf, "rrule")), "FREQ=DAILY;COUNT=6");
	assert_string_equal(json_string_value(json_object_get(nf, "uid")), "u2");
	assert_null(json_object_get(nf, "sequence"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(nf, "exdates"), 0)),
			    "2024-04-03T07:00:00Z");
	assert_int_equal(json_array_size(json_object_get(nf, "overrides")), 1);
	at_error_clear(&err);
	check(at_model_validate(appt(), f, false, &err) == 0, "old: %s", err.message);
	check(at_model_validate(appt(), nf, false, &err) == 0, "new: %s", err.message);
	/* together they still make 10 - 2 deleted occurrences */
	at_arena *arena = at_arena_new(0);
	size_t total = 0;
	json_t *parts[2] = {f, nf};
	for (int i = 0; i < 2; i++) {
		at_appt a;
		at_appt_occurrence *occ;
		size_t n;
		assert_int_equal(at_appt_load(parts[i], arena, &a, &err), 0);
		assert_int_equal(at_appt_expand(&a, at("2024-03-01T00:00:00Z"),
						at("2024-05-01T00:00:00Z"), NULL, NULL, arena, &occ,
						&n, &err), 0);
		total += n;
	}
	assert_int_equal(total, 8);
	at_arena_free(&arena);
	json_decref(nf);
	/* at the first occurrence nothing is cut */
	assert_int_equal(at_appt_split(f, "2024-03-28T08:00:00Z", "u3", &nf, &err), 0);
	assert_null(nf);
	/* not an occurrence */
	assert_int_equal(at_appt_split(f, "2024-03-30T09:00:00Z", "u3", &nf, &err), -1);
	assert_string_equal(err.code, "notFound");
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_and_module),
		cmocka_unit_test(test_datetimes),
		cmocka_unit_test(test_required_and_patches),
		cmocka_unit_test(test_cross_field),
		cmocka_unit_test(test_enums_and_integers),
		cmocka_unit_test(test_participants),
		cmocka_unit_test(test_recurrence_fields),
		cmocka_unit_test(test_limits_json),
		cmocka_unit_test(test_expand_dst_paris),
		cmocka_unit_test(test_expand_kinds),
		cmocka_unit_test(test_find_exclude_override),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
