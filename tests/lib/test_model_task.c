/* test_model_task.c — the task item type through at_model_validate(): every
 * field of model_task.c with its type and limit, the enumerations, the
 * objects (regenerate, participants, delegator) and their members, patch
 * semantics (null removes, required members), the checks across fields
 * (task.h at_task_check), and the limits published for the session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "model.h"
#include "task.h"

static const at_item_type *task(void)
{
	const at_item_type *t = at_model_item_type("task");
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

static int validate(json_t *f, bool patch, at_error *err)
{
	at_error_clear(err);
	return at_model_validate(task(), f, patch, err);
}

static void ok_patch(const char *text, bool patch)
{
	json_t *f = parse(text);
	at_error err;
	check(validate(f, patch, &err) == 0, "refused: %s\n  -> %s (%s)", text, err.message,
	      err.field);
	json_decref(f);
}

static void ok(const char *text)
{
	ok_patch(text, false);
}

static void refused(const char *text, bool patch, const char *code, const char *field)
{
	json_t *f = parse(text);
	at_error err;
	int rc = validate(f, patch, &err);
	check(rc == -1, "accepted: %s", text);
	check(strcmp(err.code, code) == 0 && strcmp(err.field, field) == 0,
	      "%s\n  -> %s on \"%s\" (%s), expected %s on \"%s\"", text, err.code, err.field,
	      err.message, code, field);
	json_decref(f);
}

/* A JSON string of n copies of the UTF-8 character c. */
static json_t *repeat(const char *c, size_t n)
{
	size_t len = strlen(c);
	char *s = malloc(n * len + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * len, c, len);
	s[n * len] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}

static void test_type_and_fields(void **state)
{
	(void)state;
	assert_ptr_equal(at_model_default_type(AT_MODULE_TASKS), task());
	assert_int_equal(task()->module, AT_MODULE_TASKS);
	static const char *const names[] = {
	    "subject", "start", "due", "timeZone", "status", "priority", "percentComplete",
	    "dateCompleted", "reminder", "notes", "categories", "private", "contacts",
	    "totalWorkMinutes", "actualWorkMinutes", "companies", "mileage",
	    "billingInformation", "rrule", "regenerate", "participants", "delegator",
	    "response", "responseComment", "uid", "sequence", "icalExtra", "attachments",
	};
	for (size_t i = 0; i < N_ELEMS(names); i++)
		check(at_model_field(task(), names[i]) != NULL, "no field %s", names[i]);
	assert_int_equal(task()->n_fields, N_ELEMS(names));
	char title[64];
	json_t *f = parse("{\"subject\":\"Write the report\"}");
	at_model_item_title(task(), f, title, sizeof(title));
	assert_string_equal(title, "Write the report");
	json_decref(f);
	f = parse("{\"due\":\"2024-03-08\"}");
	at_model_item_title(task(), f, title, sizeof(title));
	assert_string_equal(title, "(no subject)");
	json_decref(f);
	/* an empty task is a task */
	ok("{}");
	/* every field at once */
	ok("{\"subject\":\"Report\",\"start\":\"2024-03-04\",\"due\":\"2024-03-08\","
	   "\"timeZone\":\"Europe/Paris\",\"status\":\"inProgress\",\"priority\":\"high\","
	   "\"percentComplete\":25,\"reminder\":\"2024-03-08T08:00:00Z\",\"notes\":\"a\\nb\\tc\","
	   "\"categories\":[\"Work\",\"Q1\"],\"private\":true,\"contacts\":[\"Ada Lovelace\"],"
	   "\"totalWorkMinutes\":600,\"actualWorkMinutes\":120,\"companies\":\"ACME\","
	   "\"mileage\":\"42 km\",\"billingInformation\":\"project 7\","
	   "\"rrule\":\"FREQ=WEEKLY;BYDAY=FR\",\"participants\":[{\"type\":\"user\","
	   "\"login\":\"bob\",\"name\":\"Bob\",\"status\":\"accepted\",\"comment\":\"ok\","
	   "\"taskId\":\"42\",\"taskStatus\":\"inProgress\",\"percentComplete\":10}],"
	   "\"delegator\":{\"login\":\"alice\",\"name\":\"Alice\",\"address\":\"alice@example.org\","
	   "\"taskId\":\"7\"},\"response\":\"tentative\",\"responseComment\":\"maybe\","
	   "\"uid\":\"abc@example.org\",\"sequence\":3,\"icalExtra\":\"X-A:1\"}");
	refused("{\"colour\":\"red\"}", false, "unknownField", "colour");
	refused("[]", false, "invalidArguments", "");
}

static void test_text_limits(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t max;
		bool longtext;
	} texts[] = {
	    {"subject", 255, false},           {"companies", 255, false},
	    {"mileage", 255, false},           {"billingInformation", 255, false},
	    {"responseComment", 1024, false},  {"uid", 255, false},
	    {"notes", 65536, true},
	};
	for (size_t i = 0; i < N_ELEMS(texts); i++) {
		at_error err;
		/* the limit counts characters, not bytes */
		json_t *f = json_object();
		json_object_set_new(f, texts[i].name, repeat("\xc3\xa9", texts[i].max));
		check(validate(f, false, &err) == 0, "%s at its limit: %s", texts[i].name,
		      err.message);
		json_object_set_new(f, texts[i].name, repeat("a", texts[i].max + 1));
		check(validate(f, false, &err) == -1, "%s over its limit", texts[i].name);
		assert_string_equal(err.code, "fieldTooLong");
		assert_string_equal(err.field, texts[i].name);
		char limit[16];
		snprintf(limit, sizeof(limit), "%zu", texts[i].max);
		check(strstr(err.message, limit) != NULL, "%s: %s", texts[i].name, err.message);
		/* one line, unless long text */
		json_object_set_new(f, texts[i].name, json_string("a\nb"));
		check(validate(f, false, &err) == (texts[i].longtext ? 0 : -1), "%s with a newline",
		      texts[i].name);
		json_object_set_new(f, texts[i].name, json_integer(1));
		check(validate(f, false, &err) == -1, "%s as a number", texts[i].name);
		assert_string_equal(err.field, texts[i].name);
		json_decref(f);
	}
	/* lists: entries and their number */
	static const struct {
		const char *name;
		size_t len, items;
	} lists[] = {{"categories", 128, 64}, {"contacts", 256, 64}};
	for (size_t i = 0; i < N_ELEMS(lists); i++) {
		at_error err;
		json_t *f = json_object(), *a = json_array();
		for (size_t k = 0; k < lists[i].items; k++)
			json_array_append_new(a, repeat("x", lists[i].len));
		json_object_set_new(f, lists[i].name, a);
		check(validate(f, false, &err) == 0, "%s full: %s", lists[i].name, err.message);
		json_array_append_new(a, json_string("one more"));
		check(validate(f, false, &err) == -1, "%s with too many", lists[i].name);
		json_array_remove(a, lists[i].items);
		json_array_set_new(a, 0, repeat("x", lists[i].len + 1));
		check(validate(f, false, &err) == -1, "%s entry too long", lists[i].name);
		assert_string_equal(err.code, "fieldTooLong");
		json_array_set_new(a, 0, json_integer(3));
		check(validate(f, false, &err) == -1, "%s entry a number", lists[i].name);
		json_decref(f);
	}
	/* the rule's text limit */
	json_t *f = json_object();
	json_object_set_new(f, "rrule", repeat("x", AT_RECUR_MAX_RULE_LEN + 1));
	at_error err;
	assert_int_equal(validate(f, true, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	assert_string_equal(err.field, "rrule");
	json_decref(f);
	/* icalExtra */
	f = json_object();
	json_object_set_new(f, "icalExtra", repeat("x", 65537));
	assert_int_equal(validate(f, true, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	json_decref(f);
}

static void test_datetimes_and_zone(void **state)
{
	(void)state;
	static const char *const dt[] = {"start", "due", "dateCompleted", "reminder"};
	for (size_t i = 0; i < N_ELEMS(dt); i++) {
		char text[160];
		static const char *const good[] = {"2024-03-08", "2024-03-08T09:00:00Z",
						   "2024-03-08T09:00:00"};
		for (size_t k = 0; k < N_ELEMS(good); k++) {
			snprintf(text, sizeof(text), "{\"%s\":\"%s\"}", dt[i], good[k]);
			ok(text);
		}
		static const char *const bad[] = {"2024-02-30", "2024-03-08T09:00", "tomorrow", ""};
		for (size_t k = 0; k < N_ELEMS(bad); k++) {
			snprintf(text, sizeof(text), "{\"%s\":\"%s\"}", dt[i], bad[k]);
			refused(text, false, "invalidField", dt[i]);
		}
		snprintf(text, sizeof(text), "{\"%s\":20240308}", dt[i]);
		refused(text, false, "invalidField", dt[i]);
		/* an offset becomes the UTC instant */
		snprintf(text, sizeof(text), "{\"%s\":\"2024-03-08T09:00:00+01:00\"}", dt[i]);
		json_t *f = parse(text);
		at_error err;
		assert_int_equal(validate(f, false, &err), 0);
		assert_string_equal(json_string_value(json_object_get(f, dt[i])),
				    "2024-03-08T08:00:00Z");
		json_decref(f);
	}
	ok("{\"timeZone\":\"America/New_York\"}");
	ok("{\"timeZone\":\"UTC\"}");
	refused("{\"timeZone\":\"Mars/Olympus_Mons\"}", false, "invalidField", "timeZone");
	refused("{\"timeZone\":5}", false, "invalidField", "timeZone");
}

static void test_enums_ints_bools(void **state)
{
	(void)state;
	static const char *const statuses[] = {"notStarted", "inProgress", "completed", "waiting",
					       "deferred"};
	for (size_t i = 0; i < N_ELEMS(statuses); i++) {
		char text[80];
		snprintf(text, sizeof(text), "{\"status\":\"%s\"}", statuses[i]);
		ok(text);
	}
	refused("{\"status\":\"done\"}", false, "invalidField", "status");
	refused("{\"status\":\"Completed\"}", false, "invalidField", "status");
	ok("{\"priority\":\"low\"}");
	ok("{\"priority\":\"normal\"}");
	ok("{\"priority\":\"high\"}");
	refused("{\"priority\":\"urgent\"}", false, "invalidField", "priority");
	refused("{\"priority\":2}", false, "invalidField", "priority");
	static const char *const answers[] = {"none", "accepted", "declined", "tentative"};
	for (size_t i = 0; i < N_ELEMS(answers); i++) {
		char text[80];
		snprintf(text, sizeof(text), "{\"response\":\"%s\"}", answers[i]);
		ok(text);
	}
	refused("{\"response\":\"maybe\"}", false, "invalidField", "response");
	ok("{\"percentComplete\":0}");
	ok("{\"percentComplete\":100}");
	refused("{\"percentComplete\":-1}", false, "invalidField", "percentComplete");
	refused("{\"percentComplete\":101}", false, "invalidField", "percentComplete");
	refused("{\"percentComplete\":50.5}", false, "invalidField", "percentComplete");
	refused("{\"percentComplete\":\"50\"}", false, "invalidField", "percentComplete");
	static const char *const ints[] = {"totalWorkMinutes", "actualWorkMinutes", "sequence"};
	for (size_t i = 0; i < N_ELEMS(ints); i++) {
		char text[80];
		snprintf(text, sizeof(text), "{\"%s\":2147483647}", ints[i]);
		ok(text);
		snprintf(text, sizeof(text), "{\"%s\":0}", ints[i]);
		ok(text);
		snprintf(text, sizeof(text), "{\"%s\":2147483648}", ints[i]);
		refused(text, false, "invalidField", ints[i]);
		snprintf(text, sizeof(text), "{\"%s\":-1}", ints[i]);
		refused(text, false, "invalidField", ints[i]);
	}
	ok("{\"private\":false}");
	refused("{\"private\":\"yes\"}", false, "invalidField", "private");
	refused("{\"private\":1}", false, "invalidField", "private");
}

static void test_objects(void **state)
{
	(void)state;
	/* regenerate */
	ok("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":1,\"unit\":\"day\"}}");
	ok("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":999,\"unit\":\"year\"}}");
	refused("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":0,\"unit\":\"day\"}}", false,
		"invalidField", "regenerate.every");
	refused("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":1000,\"unit\":\"day\"}}", false,
		"invalidField", "regenerate.every");
	refused("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":1,\"unit\":\"fortnight\"}}",
		false, "invalidField", "regenerate.unit");
	refused("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":1}}", false, "invalidField",
		"regenerate.unit");
	refused("{\"due\":\"2024-03-08\",\"regenerate\":{\"unit\":\"day\"}}", false,
		"invalidField", "regenerate.every");
	refused("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":1,\"unit\":\"day\",\"at\":1}}",
		false, "unknownField", "regenerate.at");
	refused("{\"due\":\"2024-03-08\",\"regenerate\":\"1w\"}", false, "invalidField",
		"regenerate");
	/* participants */
	ok("{\"participants\":[{\"type\":\"user\",\"login\":\"bob\"},{\"type\":\"group\","
	   "\"login\":\"staff\"},{\"type\":\"external\",\"address\":\"ada@example.org\","
	   "\"name\":\"Ada\"}]}");
	refused("{\"participants\":[{\"login\":\"bob\"}]}", false, "invalidField",
		"participants[0].type");
	refused("{\"participants\":[{\"type\":\"room\",\"login\":\"r1\"}]}", false, "invalidField",
		"participants[0].type");
	refused("{\"participants\":[{\"type\":\"user\"}]}", false, "invalidField",
		"participants[0]");
	refused("{\"participants\":[{\"type\":\"external\",\"login\":\"bob\"}]}", false,
		"invalidField", "participants[0]");
	refused("{\"participants\":[{\"type\":\"user\",\"login\":\"b\",\"status\":\"maybe\"}]}",
		false, "invalidField", "participants[0].status");
	refused("{\"participants\":[{\"type\":\"user\",\"login\":\"b\",\"taskStatus\":\"x\"}]}",
		false, "invalidField", "participants[0].taskStatus");
	refused("{\"participants\":[{\"type\":\"user\",\"login\":\"b\",\"percentComplete\":101}]}",
		false, "invalidField", "participants[0].percentComplete");
	refused("{\"participants\":[{\"type\":\"user\",\"login\":\"b\",\"role\":\"chair\"}]}",
		false, "unknownField", "participants[0].role");
	refused("{\"participants\":{\"type\":\"user\"}}", false, "invalidField", "participants");
	json_t *f = parse("{\"participants\":[]}");
	json_t *ps = json_object_get(f, "participants");
	for (int i = 0; i < 512; i++) {
		char login[16];
		snprintf(login, sizeof(login), "u%d", i);
		json_array_append_new(ps, json_pack("{s:s,s:s}", "type", "user", "login", login));
	}
	at_error err;
	assert_int_equal(validate(f, false, &err), 0);
	json_array_append_new(ps, json_pack("{s:s,s:s}", "type", "user", "login", "one-more"));
	assert_int_equal(validate(f, false, &err), -1);
	assert_string_equal(err.field, "participants");
	json_decref(f);
	f = json_pack("{s:[{s:s,s:o}]}", "participants", "type", "user", "login", repeat("l", 65));
	assert_int_equal(validate(f, false, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	assert_string_equal(err.field, "participants[0].login");
	json_decref(f);
	f = json_pack("{s:[{s:s,s:s,s:o}]}", "participants", "type", "user", "login", "b",
		      "comment", repeat("c", 1025));
	assert_int_equal(validate(f, false, &err), -1);
	assert_string_equal(err.field, "participants[0].comment");
	json_decref(f);
	/* delegator */
	refused("{\"delegator\":{\"login\":\"a\",\"boss\":true}}", false, "unknownField",
		"delegator.boss");
	refused("{\"delegator\":[]}", false, "invalidField", "delegator");
}

static void test_patches(void **state)
{
	(void)state;
	/* null removes a field in a patch, never in a whole item */
	ok_patch("{\"subject\":null,\"due\":null,\"status\":null,\"regenerate\":null,"
		 "\"participants\":null,\"delegator\":null}", true);
	refused("{\"subject\":null}", false, "invalidField", "subject");
	/* a required member cannot be removed */
	refused("{\"regenerate\":{\"every\":null,\"unit\":\"day\"}}", true, "invalidField",
		"regenerate.every");
	/* a patch is checked for what it holds */
	refused("{\"start\":\"2024-03-09\",\"due\":\"2024-03-08\"}", true, "invalidField", "due");
	ok_patch("{\"start\":\"2024-03-09\"}", true);
	ok_patch("{\"rrule\":\"FREQ=DAILY\"}", true);
	refused("{\"rrule\":\"FREQ=DAILY\"}", false, "invalidField", "rrule");
	refused("{\"rrule\":\"FREQ=SOMETIMES\"}", true, "invalidField", "rrule");
	refused("{\"rrule\":\"FREQ=DAILY\",\"regenerate\":{\"every\":1,\"unit\":\"day\"}}", true,
		"invalidField", "regenerate");
	ok_patch("{\"rrule\":null,\"regenerate\":{\"every\":1,\"unit\":\"day\"}}", true);
	refused("{\"participants\":[{\"type\":\"user\",\"login\":\"a\"},"
		"{\"type\":\"user\",\"login\":\"a\"}]}", true, "invalidField", "participants[1]");
	refused("{\"icalExtra\":\"nocolon\"}", true, "invalidField", "icalExtra");
}

static void test_cross_field(void **state)
{
	(void)state;
	ok("{\"start\":\"2024-03-08\",\"due\":\"2024-03-08\"}");
	refused("{\"start\":\"2024-03-09\",\"due\":\"2024-03-08\"}", false, "invalidField", "due");
	refused("{\"start\":\"2024-03-08T10:00:00+01:00\",\"due\":\"2024-03-08T08:59:59Z\"}", false,
		"invalidField", "due");
	ok("{\"start\":\"2024-03-08T10:00:00+01:00\",\"due\":\"2024-03-08T09:00:00Z\"}");
	ok("{\"start\":\"2024-03-08T18:00:00Z\",\"due\":\"2024-03-08\"}");
	refused("{\"start\":\"2024-03-08T23:30:00Z\",\"due\":\"2024-03-08\","
		"\"timeZone\":\"Asia/Tokyo\"}", false, "invalidField", "due");
	/* rules */
	ok("{\"due\":\"2024-03-08\",\"rrule\":\"" AT_RECUR_WORKDAYS "\"}");
	ok("{\"start\":\"2024-03-08T09:00:00Z\",\"timeZone\":\"Europe/Paris\","
	   "\"rrule\":\"FREQ=MONTHLY;BYDAY=-1FR;COUNT=12\"}");
	refused("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=DAILY\",\"regenerate\":{\"every\":1,"
		"\"unit\":\"day\"}}", false, "invalidField", "regenerate");
	refused("{\"regenerate\":{\"every\":1,\"unit\":\"day\"}}", false, "invalidField",
		"regenerate");
	refused("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\"}", false,
		"invalidField", "rrule");
	refused("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=DAILY;COUNT=2;UNTIL=20300101\"}", false,
		"invalidField", "rrule");
	/* assignees */
	refused("{\"participants\":[{\"type\":\"external\",\"address\":\"Ada@Example.org\"},"
		"{\"type\":\"user\",\"login\":\"x\"},{\"type\":\"external\","
		"\"address\":\"ada@example.org\"}]}", false, "invalidField", "participants[2]");
	ok("{\"participants\":[{\"type\":\"user\",\"login\":\"staff\"},"
	   "{\"type\":\"group\",\"login\":\"staff\"}]}");
	/* icalExtra holds properties of one VTODO */
	ok("{\"icalExtra\":\"X-A;B=1:c\\nBEGIN:VALARM\\nACTION:DISPLAY\\nTRIGGER:-PT15M\\n"
	   "DESCRIPTION:x\\nEND:VALARM\"}");
	refused("{\"icalExtra\":\"BEGIN:VALARM\"}", false, "invalidField", "icalExtra");
	refused("{\"icalExtra\":\"END:VTODO\\nBEGIN:VJOURNAL\\nEND:VJOURNAL\\nBEGIN:VTODO\"}",
		false, "invalidField", "icalExtra");
}

static void test_limits_json(void **state)
{
	(void)state;
	json_t *all = at_model_limits_json();
	json_t *t = json_object_get(all, "task");
	assert_non_null(t);
	assert_int_equal(json_object_size(t), task()->n_fields);
	json_t *d = json_object_get(t, "status");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "enum");
	assert_int_equal(json_array_size(json_object_get(d, "values")), 5);
	d = json_object_get(t, "percentComplete");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "integer");
	assert_int_equal(json_integer_value(json_object_get(d, "maximum")), 100);
	d = json_object_get(t, "subject");
	assert_int_equal(json_integer_value(json_object_get(d, "maxLength")), 255);
	d = json_object_get(t, "participants");
	assert_int_equal(json_integer_value(json_object_get(d, "maxItems")), 512);
	d = json_object_get(json_object_get(json_object_get(t, "regenerate"), "members"), "every");
	assert_true(json_is_true(json_object_get(d, "required")));
	assert_int_equal(json_integer_value(json_object_get(d, "maximum")), 999);
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_and_fields),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_datetimes_and_zone),
		cmocka_unit_test(test_enums_ints_bools),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_patches),
		cmocka_unit_test(test_cross_field),
		cmocka_unit_test(test_limits_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
