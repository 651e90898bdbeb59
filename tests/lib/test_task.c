/* test_task.c — the task rules of task.h: coherence of status, % complete
 * and date completed from every direction (status, percentComplete,
 * dateCompleted sent, several at once, removed by a patch), the checks
 * across fields, the next occurrence of a series (rrule across
 * daylight-saving changes, every work day, COUNT and UNTIL, regenerate with
 * month ends and leap years, what is reset), the server-written fields,
 * and the regenerate text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "task.h"

/* 2024-03-07T12:00:00Z */
#define NOW 1709812800
#define NOW_TEXT "2024-03-07T12:00:00Z"

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	check(j != NULL, "bad JSON in the test: %s: %s", je.text, text);
	return j;
}

static char *dump(json_t *j)
{
	return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Fails unless got equals the JSON text want, naming the case. */
static void same(json_t *got, const char *want, const char *what)
{
	json_t *w = parse(want);
	if (!json_equal(got, w)) {
		char *g = dump(got), *x = dump(w);
		fail_msg("%s\n  got      %s\n  expected %s", what, g, x);
	}
	json_decref(w);
}

/* ---- coherence ---------------------------------------------------------- */

typedef struct norm_case {
	const char *fields;   /* after the patch was merged */
	const char *sent;     /* NULL: the fields are what was sent */
	const char *want;     /* the fields after normalize */
	const char *changed;  /* JSON array of the changed names, sorted */
} norm_case;

static void run_norm(const norm_case *c)
{
	json_t *f = parse(c->fields), *s = c->sent != NULL ? parse(c->sent) : NULL;
	json_t *changed = NULL;
	at_error err;
	int rc = at_task_normalize(f, s, NOW, &changed, &err);
	check(rc == 0, "%s + %s: %s", c->fields, c->sent ? c->sent : "-", err.message);
	char what[512];
	snprintf(what, sizeof(what), "fields %s, sent %s", c->fields, c->sent ? c->sent : "-");
	same(f, c->want, what);
	/* changed, sorted for the comparison */
	json_t *sorted = json_array();
	const char *names[3] = {"dateCompleted", "percentComplete", "status"};
	for (size_t k = 0; k < 3; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(changed, i, v) {
			if (strcmp(json_string_value(v), names[k]) == 0)
				json_array_append_new(sorted, json_string(names[k]));
		}
	}
	check(json_array_size(sorted) == json_array_size(changed), "%s: unexpected changed %s",
	      what, dump(changed));
	same(sorted, c->changed, what);
	json_decref(sorted);
	json_decref(changed);
	json_decref(f);
	json_decref(s);
}

static void test_normalize_status_sent(void **state)
{
	(void)state;
	static const norm_case cases[] = {
	    /* completed: 100 %, the date sent, else stored, else now */
	    {"{\"status\":\"completed\"}", NULL,
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"" NOW_TEXT "\"}",
	     "[\"dateCompleted\",\"percentComplete\"]"},
	    {"{\"status\":\"completed\",\"dateCompleted\":\"2024-03-01\"}", NULL,
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-01\"}",
	     "[\"percentComplete\"]"},
	    {"{\"status\":\"completed\",\"percentComplete\":40,"
	     "\"dateCompleted\":\"2024-03-01T10:00:00Z\",\"subject\":\"s\"}",
	     "{\"status\":\"completed\"}",
	     "{\"status\":\"completed\",\"percentComplete\":100,"
	     "\"dateCompleted\":\"2024-03-01T10:00:00Z\",\"subject\":\"s\"}",
	     "[\"percentComplete\"]"},
	    /* leaving completed: the date goes, 100 becomes 0 */
	    {"{\"status\":\"inProgress\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-01\"}",
	     "{\"status\":\"inProgress\"}", "{\"status\":\"inProgress\",\"percentComplete\":0}",
	     "[\"dateCompleted\",\"percentComplete\"]"},
	    {"{\"status\":\"inProgress\",\"percentComplete\":30}", "{\"status\":\"inProgress\"}",
	     "{\"status\":\"inProgress\",\"percentComplete\":30}", "[]"},
	    /* notStarted: 0 % */
	    {"{\"status\":\"notStarted\",\"percentComplete\":40}", "{\"status\":\"notStarted\"}",
	     "{\"status\":\"notStarted\",\"percentComplete\":0}", "[\"percentComplete\"]"},
	    /* waiting and deferred keep their % (not 100) */
	    {"{\"status\":\"waiting\",\"percentComplete\":40}", "{\"status\":\"waiting\"}",
	     "{\"status\":\"waiting\",\"percentComplete\":40}", "[]"},
	    {"{\"status\":\"deferred\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-01\"}",
	     "{\"status\":\"deferred\"}", "{\"status\":\"deferred\",\"percentComplete\":0}",
	     "[\"dateCompleted\",\"percentComplete\"]"},
	    /* status removed by a patch: notStarted */
	    {"{\"percentComplete\":100,\"dateCompleted\":\"2024-03-01\"}", "{\"status\":null}",
	     "{\"percentComplete\":0}", "[\"dateCompleted\",\"percentComplete\"]"},
	    {"{\"percentComplete\":55}", "{\"status\":null}", "{\"percentComplete\":0}",
	     "[\"percentComplete\"]"},
	    /* nothing of the three sent: the status decides (incoherent stored) */
	    {"{\"status\":\"inProgress\",\"percentComplete\":100}", "{\"subject\":\"x\"}",
	     "{\"status\":\"inProgress\",\"percentComplete\":0}", "[\"percentComplete\"]"},
	    {"{\"subject\":\"x\"}", NULL, "{\"subject\":\"x\"}", "[]"},
	    {"{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-01\"}",
	     "{\"notes\":\"n\"}",
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-01\"}",
	     "[]"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		run_norm(&cases[i]);
}

static void test_normalize_percent_sent(void **state)
{
	(void)state;
	static const norm_case cases[] = {
	    /* 100: completed, date set */
	    {"{\"status\":\"inProgress\",\"percentComplete\":100}", "{\"percentComplete\":100}",
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"" NOW_TEXT "\"}",
	     "[\"dateCompleted\",\"status\"]"},
	    {"{\"percentComplete\":100}", NULL,
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"" NOW_TEXT "\"}",
	     "[\"dateCompleted\",\"status\"]"},
	    {"{\"status\":\"waiting\",\"percentComplete\":100}", "{\"percentComplete\":100}",
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"" NOW_TEXT "\"}",
	     "[\"dateCompleted\",\"status\"]"},
	    /* 1..99: inProgress from notStarted (also absent) or completed */
	    {"{\"percentComplete\":30}", NULL, "{\"status\":\"inProgress\",\"percentComplete\":30}",
	     "[\"status\"]"},
	    {"{\"status\":\"notStarted\",\"percentComplete\":30}", "{\"percentComplete\":30}",
	     "{\"status\":\"inProgress\",\"percentComplete\":30}", "[\"status\"]"},
	    {"{\"status\":\"completed\",\"percentComplete\":99,\"dateCompleted\":\"2024-03-01\"}",
	     "{\"percentComplete\":99}", "{\"status\":\"inProgress\",\"percentComplete\":99}",
	     "[\"dateCompleted\",\"status\"]"},
	    {"{\"status\":\"waiting\",\"percentComplete\":1}", "{\"percentComplete\":1}",
	     "{\"status\":\"waiting\",\"percentComplete\":1}", "[]"},
	    {"{\"status\":\"deferred\",\"percentComplete\":50}", "{\"percentComplete\":50}",
	     "{\"status\":\"deferred\",\"percentComplete\":50}", "[]"},
	    /* 0: notStarted from inProgress or completed */
	    {"{\"status\":\"inProgress\",\"percentComplete\":0}", "{\"percentComplete\":0}",
	     "{\"status\":\"notStarted\",\"percentComplete\":0}", "[\"status\"]"},
	    {"{\"status\":\"completed\",\"percentComplete\":0,\"dateCompleted\":\"2024-03-01\"}",
	     "{\"percentComplete\":0}", "{\"status\":\"notStarted\",\"percentComplete\":0}",
	     "[\"dateCompleted\",\"status\"]"},
	    {"{\"status\":\"waiting\",\"percentComplete\":0}", "{\"percentComplete\":0}",
	     "{\"status\":\"waiting\",\"percentComplete\":0}", "[]"},
	    /* removed by a patch: 0 */
	    {"{\"status\":\"completed\",\"dateCompleted\":\"2024-03-01\"}",
	     "{\"percentComplete\":null}", "{\"status\":\"notStarted\"}",
	     "[\"dateCompleted\",\"status\"]"},
	    {"{\"status\":\"inProgress\"}", "{\"percentComplete\":null}",
	     "{\"status\":\"notStarted\"}", "[\"status\"]"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		run_norm(&cases[i]);
}

static void test_normalize_date_sent(void **state)
{
	(void)state;
	static const norm_case cases[] = {
	    /* set: completed, 100 */
	    {"{\"dateCompleted\":\"2024-03-05\"}", NULL,
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-05\"}",
	     "[\"percentComplete\",\"status\"]"},
	    {"{\"status\":\"waiting\",\"percentComplete\":20,"
	     "\"dateCompleted\":\"2024-03-05T09:00:00\"}", "{\"dateCompleted\":\"2024-03-05T09:00:00\"}",
	     "{\"status\":\"completed\",\"percentComplete\":100,"
	     "\"dateCompleted\":\"2024-03-05T09:00:00\"}", "[\"percentComplete\",\"status\"]"},
	    /* removed: reopened */
	    {"{\"status\":\"completed\",\"percentComplete\":100}", "{\"dateCompleted\":null}",
	     "{\"status\":\"notStarted\",\"percentComplete\":0}",
	     "[\"percentComplete\",\"status\"]"},
	    {"{\"status\":\"completed\",\"percentComplete\":60}", "{\"dateCompleted\":null}",
	     "{\"status\":\"inProgress\",\"percentComplete\":60}", "[\"status\"]"},
	    /* removed from a task that was not completed: nothing to reopen */
	    {"{\"status\":\"waiting\",\"percentComplete\":30}", "{\"dateCompleted\":null}",
	     "{\"status\":\"waiting\",\"percentComplete\":30}", "[]"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		run_norm(&cases[i]);
}

static void test_normalize_several_sent(void **state)
{
	(void)state;
	static const norm_case cases[] = {
	    /* status decides over percentComplete ... */
	    {"{\"status\":\"inProgress\",\"percentComplete\":100}", NULL,
	     "{\"status\":\"inProgress\",\"percentComplete\":0}", "[\"percentComplete\"]"},
	    {"{\"status\":\"completed\",\"percentComplete\":30}", NULL,
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"" NOW_TEXT "\"}",
	     "[\"dateCompleted\",\"percentComplete\"]"},
	    {"{\"status\":\"notStarted\",\"percentComplete\":30}",
	     "{\"status\":\"notStarted\",\"percentComplete\":30}",
	     "{\"status\":\"notStarted\",\"percentComplete\":0}", "[\"percentComplete\"]"},
	    /* ... and over dateCompleted */
	    {"{\"status\":\"notStarted\",\"dateCompleted\":\"2024-03-05\"}", NULL,
	     "{\"status\":\"notStarted\"}", "[\"dateCompleted\"]"},
	    {"{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-05\"}",
	     NULL,
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-05\"}",
	     "[]"},
	    /* status completed with the date removed in the same patch: now */
	    {"{\"status\":\"completed\",\"percentComplete\":100}",
	     "{\"status\":\"completed\",\"dateCompleted\":null}",
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"" NOW_TEXT "\"}",
	     "[\"dateCompleted\"]"},
	    /* percentComplete decides over dateCompleted */
	    {"{\"status\":\"completed\",\"percentComplete\":40,\"dateCompleted\":\"2024-03-05\"}",
	     "{\"percentComplete\":40,\"dateCompleted\":\"2024-03-05\"}",
	     "{\"status\":\"inProgress\",\"percentComplete\":40}",
	     "[\"dateCompleted\",\"status\"]"},
	    {"{\"status\":\"inProgress\",\"percentComplete\":100}",
	     "{\"percentComplete\":100,\"dateCompleted\":null}",
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"" NOW_TEXT "\"}",
	     "[\"dateCompleted\",\"status\"]"},
	    {"{\"status\":\"notStarted\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-05\"}",
	     "{\"percentComplete\":100,\"dateCompleted\":\"2024-03-05\"}",
	     "{\"status\":\"completed\",\"percentComplete\":100,\"dateCompleted\":\"2024-03-05\"}",
	     "[\"status\"]"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		run_norm(&cases[i]);
}

static void test_normalize_errors(void **state)
{
	(void)state;
	at_error err;
	json_t *changed = (json_t *)1;
	json_t *f = parse("{\"status\":\"done\"}");
	assert_int_equal(at_task_normalize(f, NULL, NOW, &changed, &err), -1);
	assert_string_equal(err.field, "status");
	assert_null(changed);
	json_decref(f);
	f = parse("{\"percentComplete\":101}");
	assert_int_equal(at_task_normalize(f, NULL, NOW, NULL, &err), -1);
	assert_string_equal(err.field, "percentComplete");
	json_decref(f);
	f = parse("{\"dateCompleted\":5}");
	assert_int_equal(at_task_normalize(f, NULL, NOW, NULL, &err), -1);
	assert_string_equal(err.field, "dateCompleted");
	json_decref(f);
	/* changed_r may be NULL */
	f = parse("{\"percentComplete\":100}");
	assert_int_equal(at_task_normalize(f, NULL, NOW, NULL, &err), 0);
	assert_true(at_task_is_completed(f));
	json_decref(f);
}

static void test_predicates(void **state)
{
	(void)state;
	json_t *f = parse("{\"status\":\"completed\",\"rrule\":\"FREQ=DAILY\"}");
	assert_true(at_task_is_completed(f));
	assert_true(at_task_is_series(f));
	json_decref(f);
	f = parse("{\"status\":\"completedX\",\"regenerate\":{\"every\":1,\"unit\":\"day\"}}");
	assert_false(at_task_is_completed(f));
	assert_true(at_task_is_series(f));
	json_decref(f);
	f = parse("{\"status\":\"inProgress\",\"rrule\":null}");
	assert_false(at_task_is_completed(f));
	assert_false(at_task_is_series(f));
	json_decref(f);
}

/* ---- checks ------------------------------------------------------------- */

static void check_ok(const char *text, bool patch)
{
	json_t *f = parse(text);
	at_error err;
	check(at_task_check(f, patch, &err) == 0, "refused: %s\n  -> %s (%s)", text, err.message,
	      err.field);
	json_decref(f);
}

static void check_bad(const char *text, bool patch, const char *field, const char *needle)
{
	json_t *f = parse(text);
	at_error err;
	at_error_clear(&err);
	check(at_task_check(f, patch, &err) == -1, "accepted: %s", text);
	check(strcmp(err.code, "invalidField") == 0 && strcmp(err.field, field) == 0,
	      "%s\n  -> %s on \"%s\" (%s), expected invalidField on \"%s\"", text, err.code,
	      err.field, err.message, field);
	check(needle == NULL || strstr(err.message, needle) != NULL, "%s: message \"%s\" lacks %s",
	      text, err.message, needle);
	json_decref(f);
}

static void test_check_order(void **state)
{
	(void)state;
	check_ok("{\"start\":\"2024-03-07\",\"due\":\"2024-03-07\"}", false);
	check_bad("{\"start\":\"2024-03-08\",\"due\":\"2024-03-07\"}", false, "due", "before start");
	check_ok("{\"start\":\"2024-03-07T10:00:00Z\",\"due\":\"2024-03-07T10:00:00Z\"}", false);
	check_bad("{\"start\":\"2024-03-07T10:00:01Z\",\"due\":\"2024-03-07T10:00:00Z\"}", false,
		  "due", NULL);
	check_bad("{\"start\":\"2024-03-07T10:00:01\",\"due\":\"2024-03-07T10:00:00\"}", true,
		  "due", NULL);
	/* mixed kinds: dates only */
	check_ok("{\"start\":\"2024-03-07T23:00:00Z\",\"due\":\"2024-03-07\"}", false);
	check_ok("{\"start\":\"2024-03-07\",\"due\":\"2024-03-07T00:00:00\"}", false);
	check_bad("{\"start\":\"2024-03-08\",\"due\":\"2024-03-07T23:59:59\"}", false, "due", NULL);
	/* an instant's date is the one of the task's zone */
	check_bad("{\"start\":\"2024-03-07T23:30:00Z\",\"due\":\"2024-03-07\","
		  "\"timeZone\":\"Europe/Paris\"}", false, "due", NULL);
	check_ok("{\"start\":\"2024-03-08T02:00:00Z\",\"due\":\"2024-03-07\","
		 "\"timeZone\":\"America/New_York\"}", false);
	/* one of them alone is fine */
	check_ok("{\"start\":\"2024-03-08\"}", false);
	check_ok("{\"due\":\"2024-03-08\"}", true);
}

static void test_check_rules(void **state)
{
	(void)state;
	check_ok("{\"due\":\"2024-03-08\",\"rrule\":\"" AT_RECUR_WORKDAYS "\"}", false);
	check_ok("{\"start\":\"2024-03-08T09:00:00Z\",\"rrule\":\"FREQ=DAILY\"}", false);
	check_ok("{\"due\":\"2024-03-08\",\"regenerate\":{\"every\":2,\"unit\":\"week\"}}", false);
	check_bad("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=DAILY\","
		  "\"regenerate\":{\"every\":2,\"unit\":\"week\"}}", false, "regenerate", "not both");
	check_bad("{\"rrule\":\"FREQ=DAILY\",\"regenerate\":{\"every\":2,\"unit\":\"week\"}}",
		  true, "regenerate", NULL);
	/* a patch removing one and setting the other */
	check_ok("{\"rrule\":null,\"regenerate\":{\"every\":2,\"unit\":\"week\"}}", true);
	/* an anchor is needed in a whole item, not in a patch */
	check_bad("{\"rrule\":\"FREQ=DAILY\"}", false, "rrule", "due or a start");
	check_bad("{\"subject\":\"x\",\"regenerate\":{\"every\":1,\"unit\":\"day\"}}", false,
		  "regenerate", "due or a start");
	check_ok("{\"rrule\":\"FREQ=DAILY\"}", true);
	/* syntax, and rules that never occur */
	check_bad("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=FORTNIGHTLY\"}", false, "rrule", NULL);
	check_bad("{\"rrule\":\"FREQ=DAILY;COUNT=2;UNTIL=20240301\"}", true, "rrule", NULL);
	check_bad("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\"}",
		  false, "rrule", NULL);
	/* UNTIL is read in the anchor's terms */
	check_ok("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=DAILY;UNTIL=20240320\"}", false);
	check_ok("{\"due\":\"2024-03-08\",\"rrule\":\"FREQ=DAILY;UNTIL=20240320T000000Z\"}",
		 false);
	/* a rule that needs too many steps to its first occurrence */
	check_bad("{\"due\":\"2024-03-08T00:00:00Z\",\"rrule\":"
		  "\"FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0\"}", false, "rrule", NULL);
}

static void test_check_participants_and_extra(void **state)
{
	(void)state;
	check_ok("{\"participants\":[{\"type\":\"user\",\"login\":\"bob\"},"
		 "{\"type\":\"group\",\"login\":\"bob\"},"
		 "{\"type\":\"external\",\"address\":\"ada@example.org\"}]}", false);
	check_bad("{\"participants\":[{\"type\":\"user\",\"login\":\"bob\"},"
		  "{\"type\":\"user\",\"login\":\"carol\"},{\"type\":\"user\",\"login\":\"bob\"}]}",
		  false, "participants[2]", "participants[0]");
	check_bad("{\"participants\":[{\"type\":\"external\",\"address\":\"Ada@Example.org\"},"
		  "{\"type\":\"external\",\"address\":\"ada@example.ORG\"}]}", true,
		  "participants[1]", NULL);
	check_ok("{\"icalExtra\":\"X-A;B=1:c\\nGEO:1.5;2.5\\nBEGIN:VALARM\\nACTION:AUDIO\\n"
		 "TRIGGER:-PT1H\\nEND:VALARM\"}", false);
	check_ok("{\"icalExtra\":\"\"}", false);
	check_bad("{\"icalExtra\":\"nocolon\"}", false, "icalExtra", "line 1");
	check_bad("{\"icalExtra\":\"X-A:1\\nX-B;+=1:c\"}", false, "icalExtra", "line 2");
	check_bad("{\"icalExtra\":\"BEGIN:VALARM\"}", false, "icalExtra", NULL);
	check_bad("{\"icalExtra\":\"END:VTODO\\nBEGIN:VTODO\\nUID:x\"}", false, "icalExtra",
		  NULL);
	check_bad("{\"icalExtra\":\"END:VTODO\\nBEGIN:VEVENT\\nUID:x\\nEND:VEVENT\\n"
		  "BEGIN:VTODO\"}", false, "icalExtra", NULL);
}

/* ---- the next occurrence ------------------------------------------------ */

/* Completes fields (text) and checks the next occurrence (NULL: ended) and
 * what stays behind. */
static void next_case(const char *fields, const char *want_next, const char *want_left)
{
	json_t *f = parse(fields), *next = (json_t *)1;
	at_error err;
	check(at_task_next(f, NOW, &next, &err) == 0, "%s: %s", fields, err.message);
	if (want_next == NULL) {
		check(next == NULL, "%s: a next occurrence %s", fields, next ? dump(next) : "");
	} else {
		check(next != NULL, "%s: no next occurrence", fields);
		char what[600];
		snprintf(what, sizeof(what), "next of %s", fields);
		same(next, want_next, what);
	}
	if (want_left != NULL)
		same(f, want_left, "left behind");
	json_decref(next);
	json_decref(f);
}

#define DONE "\"status\":\"completed\",\"percentComplete\":100"
#define FRESH "\"status\":\"notStarted\",\"percentComplete\":0"

static void test_next_rrule(void **state)
{
	(void)state;
	/* daily at 09:00 Europe/Paris across the change to summer time: the
	 * instants move by 23 hours, the wall clock stays */
	next_case("{\"subject\":\"Plants\",\"timeZone\":\"Europe/Paris\",\"rrule\":\"FREQ=DAILY\","
		  "\"start\":\"2024-03-30T07:00:00Z\",\"due\":\"2024-03-30T08:00:00Z\","
		  "\"reminder\":\"2024-03-30T07:45:00Z\"," DONE ","
		  "\"dateCompleted\":\"2024-03-30T10:00:00Z\"}",
		  "{\"subject\":\"Plants\",\"timeZone\":\"Europe/Paris\",\"rrule\":\"FREQ=DAILY\","
		  "\"start\":\"2024-03-31T06:00:00Z\",\"due\":\"2024-03-31T07:00:00Z\","
		  "\"reminder\":\"2024-03-31T06:45:00Z\"," FRESH "}",
		  "{\"subject\":\"Plants\",\"timeZone\":\"Europe/Paris\","
		  "\"start\":\"2024-03-30T07:00:00Z\",\"due\":\"2024-03-30T08:00:00Z\","
		  "\"reminder\":\"2024-03-30T07:45:00Z\"," DONE ","
		  "\"dateCompleted\":\"2024-03-30T10:00:00Z\"}");
	/* every work day: Friday -> Monday; dates stay dates */
	next_case("{\"rrule\":\"" AT_RECUR_WORKDAYS "\",\"start\":\"2024-03-07\","
		  "\"due\":\"2024-03-08\"," DONE ",\"dateCompleted\":\"2024-03-08\"}",
		  "{\"rrule\":\"" AT_RECUR_WORKDAYS "\",\"start\":\"2024-03-10\","
		  "\"due\":\"2024-03-11\"," FRESH "}", NULL);
	/* ... and timed ones keep their time, in their zone */
	next_case("{\"rrule\":\"" AT_RECUR_WORKDAYS "\",\"timeZone\":\"America/New_York\","
		  "\"due\":\"2024-03-08T22:00:00Z\"," DONE ",\"dateCompleted\":\"2024-03-08\"}",
		  "{\"rrule\":\"" AT_RECUR_WORKDAYS "\",\"timeZone\":\"America/New_York\","
		  "\"due\":\"2024-03-11T21:00:00Z\"," FRESH "}", NULL);
	/* floating stays floating; anchored on start when there is no due */
	next_case("{\"rrule\":\"FREQ=WEEKLY\",\"start\":\"2024-03-08T09:00:00\","
		  "\"reminder\":\"2024-03-08T08:30:00\"," DONE "}",
		  "{\"rrule\":\"FREQ=WEEKLY\",\"start\":\"2024-03-15T09:00:00\","
		  "\"reminder\":\"2024-03-15T08:30:00\"," FRESH "}", NULL);
	/* the first occurrence after the anchor, even when the anchor is off
	 * the rule (a Saturday for a work-day rule) */
	next_case("{\"rrule\":\"" AT_RECUR_WORKDAYS "\",\"due\":\"2024-03-09\"," DONE "}",
		  "{\"rrule\":\"" AT_RECUR_WORKDAYS "\",\"due\":\"2024-03-11\"," FRESH "}", NULL);
	/* months without a 31st are skipped by the rule */
	next_case("{\"rrule\":\"FREQ=MONTHLY;BYMONTHDAY=31\",\"due\":\"2024-01-31\"," DONE "}",
		  "{\"rrule\":\"FREQ=MONTHLY;BYMONTHDAY=31\",\"due\":\"2024-03-31\"," FRESH "}",
		  NULL);
	/* a rare rule is still found (the window grows) */
	next_case("{\"rrule\":\"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29\",\"due\":\"2024-02-29\"," DONE
		  "}",
		  "{\"rrule\":\"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29\",\"due\":\"2028-02-29\"," FRESH
		  "}", NULL);
	/* a frequent one does not hit the occurrence limit */
	next_case("{\"rrule\":\"FREQ=SECONDLY;INTERVAL=10\",\"due\":\"2024-03-08T09:00:00Z\"," DONE
		  "}",
		  "{\"rrule\":\"FREQ=SECONDLY;INTERVAL=10\",\"due\":\"2024-03-08T09:00:10Z\"," FRESH
		  "}", NULL);
	next_case("{\"rrule\":\"FREQ=MINUTELY;INTERVAL=30\",\"due\":\"2024-03-08T09:00:00Z\","
		  "\"start\":\"2024-03-08\"," DONE "}",
		  "{\"rrule\":\"FREQ=MINUTELY;INTERVAL=30\",\"due\":\"2024-03-08T09:30:00Z\","
		  "\"start\":\"2024-03-08\"," FRESH "}", NULL);
}

static void test_next_rrule_ends(void **state)
{
	(void)state;
	/* COUNT counts down; at 1 the series ends with this occurrence */
	next_case("{\"rrule\":\"FREQ=WEEKLY;COUNT=3;BYDAY=FR\",\"due\":\"2024-03-08\"," DONE "}",
		  "{\"rrule\":\"FREQ=WEEKLY;COUNT=2;BYDAY=FR\",\"due\":\"2024-03-15\"," FRESH "}",
		  "{\"due\":\"2024-03-08\"," DONE "}");
	next_case("{\"rrule\":\"FREQ=DAILY;COUNT=2\",\"due\":\"2024-03-08\"," DONE "}",
		  "{\"rrule\":\"FREQ=DAILY;COUNT=1\",\"due\":\"2024-03-09\"," FRESH "}", NULL);
	next_case("{\"rrule\":\"FREQ=DAILY;COUNT=1\",\"due\":\"2024-03-08\"," DONE "}", NULL,
		  "{\"due\":\"2024-03-08\"," DONE "}");
	/* UNTIL reached */
	next_case("{\"rrule\":\"FREQ=DAILY;UNTIL=20240309\",\"due\":\"2024-03-08\"," DONE "}",
		  "{\"rrule\":\"FREQ=DAILY;UNTIL=20240309\",\"due\":\"2024-03-09\"," FRESH "}", NULL);
	next_case("{\"rrule\":\"FREQ=DAILY;UNTIL=20240309\",\"due\":\"2024-03-09\"," DONE "}", NULL,
		  "{\"due\":\"2024-03-09\"," DONE "}");
	next_case("{\"rrule\":\"FREQ=DAILY;UNTIL=20240309T080000Z\",\"timeZone\":\"Europe/Paris\","
		  "\"due\":\"2024-03-09T08:00:00Z\"," DONE "}", NULL,
		  "{\"timeZone\":\"Europe/Paris\",\"due\":\"2024-03-09T08:00:00Z\"," DONE "}");
	/* a rule too sparse to reach its next occurrence within the iteration
	 * limit: an error, and the task keeps its rule */
	json_t *f = parse("{\"rrule\":\"FREQ=MINUTELY;BYMONTH=1\",\"due\":\"2024-01-31T23:59:00Z\","
			  DONE "}");
	json_t *next = NULL;
	at_error err;
	assert_int_equal(at_task_next(f, NOW, &next, &err), -1);
	assert_null(next);
	assert_string_equal(err.code, "limitExceeded");
	assert_true(at_task_is_series(f));
	json_decref(f);
	/* not a series: nothing, and nothing changes */
	next_case("{\"due\":\"2024-03-09\"," DONE "}", NULL, "{\"due\":\"2024-03-09\"," DONE "}");
}

static void test_next_regenerate(void **state)
{
	(void)state;
	/* a month after completion, clamped to the end of February */
	next_case("{\"regenerate\":{\"every\":1,\"unit\":\"month\"},\"due\":\"2024-01-20\","
		  DONE ",\"dateCompleted\":\"2024-01-31T10:00:00Z\"}",
		  "{\"regenerate\":{\"every\":1,\"unit\":\"month\"},\"due\":\"2024-02-29\"," FRESH "}",
		  "{\"due\":\"2024-01-20\"," DONE ",\"dateCompleted\":\"2024-01-31T10:00:00Z\"}");
	next_case("{\"regenerate\":{\"every\":1,\"unit\":\"month\"},\"due\":\"2023-01-20\","
		  DONE ",\"dateCompleted\":\"2023-01-31\"}",
		  "{\"regenerate\":{\"every\":1,\"unit\":\"month\"},\"due\":\"2023-02-28\"," FRESH "}",
		  NULL);
	next_case("{\"regenerate\":{\"every\":13,\"unit\":\"month\"},\"due\":\"2023-01-20\","
		  DONE ",\"dateCompleted\":\"2023-12-31\"}",
		  "{\"regenerate\":{\"every\":13,\"unit\":\"month\"},\"due\":\"2025-01-31\"," FRESH "}",
		  NULL);
	next_case("{\"regenerate\":{\"every\":1,\"unit\":\"year\"},\"due\":\"2024-02-29\","
		  DONE ",\"dateCompleted\":\"2024-02-29\"}",
		  "{\"regenerate\":{\"every\":1,\"unit\":\"year\"},\"due\":\"2025-02-28\"," FRESH "}",
		  NULL);
	/* days and weeks; start keeps its distance */
	next_case("{\"regenerate\":{\"every\":10,\"unit\":\"day\"},\"start\":\"2024-02-26\","
		  "\"due\":\"2024-03-01\"," DONE ",\"dateCompleted\":\"2024-02-25T09:00:00\"}",
		  "{\"regenerate\":{\"every\":10,\"unit\":\"day\"},\"start\":\"2024-03-02\","
		  "\"due\":\"2024-03-06\"," FRESH "}", NULL);
	/* the completion date is read in the task's zone (00:30 in Paris on
	 * the 26th), the anchor's time of day (17:00) is kept across the
	 * change to summer time, start and reminder keep their distances */
	next_case("{\"regenerate\":{\"every\":1,\"unit\":\"week\"},\"timeZone\":\"Europe/Paris\","
		  "\"start\":\"2024-03-18T08:00:00Z\",\"due\":\"2024-03-20T16:00:00Z\","
		  "\"reminder\":\"2024-03-20T15:00:00Z\"," DONE ","
		  "\"dateCompleted\":\"2024-03-25T23:30:00Z\"}",
		  "{\"regenerate\":{\"every\":1,\"unit\":\"week\"},\"timeZone\":\"Europe/Paris\","
		  "\"start\":\"2024-03-31T07:00:00Z\",\"due\":\"2024-04-02T15:00:00Z\","
		  "\"reminder\":\"2024-04-02T14:00:00Z\"," FRESH "}", NULL);
	/* the same in UTC: the completion date is the 25th */
	next_case("{\"regenerate\":{\"every\":1,\"unit\":\"week\"},"
		  "\"due\":\"2024-03-20T16:00:00Z\"," DONE ","
		  "\"dateCompleted\":\"2024-03-25T23:30:00Z\"}",
		  "{\"regenerate\":{\"every\":1,\"unit\":\"week\"},"
		  "\"due\":\"2024-04-01T16:00:00Z\"," FRESH "}", NULL);
	/* floating */
	next_case("{\"regenerate\":{\"every\":2,\"unit\":\"day\"},"
		  "\"due\":\"2024-03-01T18:30:00\"," DONE ","
		  "\"dateCompleted\":\"2024-03-04T09:00:00\"}",
		  "{\"regenerate\":{\"every\":2,\"unit\":\"day\"},"
		  "\"due\":\"2024-03-06T18:30:00\"," FRESH "}", NULL);
	/* no dateCompleted: now (2024-03-07) */
	next_case("{\"regenerate\":{\"every\":3,\"unit\":\"day\"},\"due\":\"2024-03-01\"," DONE "}",
		  "{\"regenerate\":{\"every\":3,\"unit\":\"day\"},\"due\":\"2024-03-10\"," FRESH "}",
		  "{\"due\":\"2024-03-01\"," DONE "}");
	/* without an anchor (not a valid item, but the server must not fail):
	 * a due date */
	next_case("{\"regenerate\":{\"every\":2,\"unit\":\"week\"}," DONE ","
		  "\"dateCompleted\":\"2024-03-07\"}",
		  "{\"regenerate\":{\"every\":2,\"unit\":\"week\"},\"due\":\"2024-03-21\"," FRESH "}",
		  "{" DONE ",\"dateCompleted\":\"2024-03-07\"}");
	/* past the year 9999: an error, the task unchanged */
	json_t *f = parse("{\"regenerate\":{\"every\":999,\"unit\":\"year\"},\"due\":\"9500-01-01\","
			  DONE ",\"dateCompleted\":\"9500-01-01\"}");
	json_t *next = NULL;
	at_error err;
	assert_int_equal(at_task_next(f, NOW, &next, &err), -1);
	assert_null(next);
	assert_string_equal(err.field, "regenerate");
	assert_true(at_task_is_series(f));
	json_decref(f);
}

static void test_next_resets(void **state)
{
	(void)state;
	next_case("{\"subject\":\"Report\",\"notes\":\"n\",\"categories\":[\"a\"],\"private\":true,"
		  "\"priority\":\"high\",\"totalWorkMinutes\":60,\"actualWorkMinutes\":50,"
		  "\"companies\":\"c\",\"mileage\":\"m\",\"billingInformation\":\"b\","
		  "\"contacts\":[\"Ada\"],\"icalExtra\":\"X-A:1\","
		  "\"rrule\":\"FREQ=MONTHLY\",\"due\":\"2024-03-08\"," DONE ","
		  "\"dateCompleted\":\"2024-03-08\",\"uid\":\"u-1\",\"sequence\":4,"
		  "\"response\":\"accepted\",\"responseComment\":\"ok\","
		  "\"delegator\":{\"login\":\"alice\",\"taskId\":\"t1\"},"
		  "\"participants\":[{\"type\":\"user\",\"login\":\"bob\",\"name\":\"Bob\","
		  "\"status\":\"accepted\",\"comment\":\"sure\",\"taskId\":\"t9\","
		  "\"taskStatus\":\"completed\",\"percentComplete\":100},"
		  "{\"type\":\"external\",\"address\":\"ada@example.org\"}]}",
		  "{\"subject\":\"Report\",\"notes\":\"n\",\"categories\":[\"a\"],\"private\":true,"
		  "\"priority\":\"high\",\"totalWorkMinutes\":60,\"actualWorkMinutes\":50,"
		  "\"companies\":\"c\",\"mileage\":\"m\",\"billingInformation\":\"b\","
		  "\"contacts\":[\"Ada\"],\"icalExtra\":\"X-A:1\","
		  "\"rrule\":\"FREQ=MONTHLY\",\"due\":\"2024-04-08\"," FRESH ","
		  "\"participants\":[{\"type\":\"user\",\"login\":\"bob\",\"name\":\"Bob\","
		  "\"status\":\"none\"},{\"type\":\"external\",\"address\":\"ada@example.org\"}]}",
		  NULL);
}

/* ---- server fields ------------------------------------------------------ */

static void test_server_fields(void **state)
{
	(void)state;
	assert_string_equal(at_task_server_fields[0], "delegator");
	assert_null(at_task_server_fields[1]);
	json_t *stored = parse(
	    "{\"delegator\":{\"login\":\"alice\"},\"participants\":["
	    "{\"type\":\"user\",\"login\":\"bob\",\"taskId\":\"t-bob\",\"taskStatus\":\"inProgress\","
	    "\"percentComplete\":40,\"status\":\"accepted\"},"
	    "{\"type\":\"external\",\"address\":\"Ada@Example.org\",\"taskId\":\"t-ada\"}]}");
	/* a patch: forged values go, stored ones come back by login and type
	 * or address, a new assignee gets none */
	json_t *sent = parse(
	    "{\"subject\":\"x\",\"delegator\":{\"login\":\"mallory\"},\"participants\":["
	    "{\"type\":\"external\",\"address\":\"ada@example.org\",\"taskId\":\"forged\"},"
	    "{\"type\":\"group\",\"login\":\"bob\",\"taskId\":\"forged\",\"percentComplete\":5},"
	    "{\"type\":\"user\",\"login\":\"bob\",\"taskStatus\":\"completed\","
	    "\"status\":\"declined\"}]}");
	at_task_strip_server_fields(sent, stored);
	same(sent,
	     "{\"subject\":\"x\",\"participants\":["
	     "{\"type\":\"external\",\"address\":\"ada@example.org\",\"taskId\":\"t-ada\"},"
	     "{\"type\":\"group\",\"login\":\"bob\"},"
	     "{\"type\":\"user\",\"login\":\"bob\",\"taskId\":\"t-bob\",\"taskStatus\":\"inProgress\","
	     "\"percentComplete\":40,\"status\":\"declined\"}]}",
	     "stripped patch");
	json_decref(sent);
	/* a new item */
	sent = parse("{\"delegator\":{\"login\":\"m\"},\"participants\":[{\"type\":\"user\","
		     "\"login\":\"bob\",\"taskId\":\"forged\"}]}");
	at_task_strip_server_fields(sent, NULL);
	same(sent, "{\"participants\":[{\"type\":\"user\",\"login\":\"bob\"}]}", "stripped new");
	json_decref(sent);
	/* removals stay removals */
	sent = parse("{\"participants\":null,\"delegator\":null}");
	at_task_strip_server_fields(sent, stored);
	same(sent, "{\"participants\":null}", "stripped removal");
	json_decref(sent);
	json_decref(stored);
}

/* ---- regenerate text ---------------------------------------------------- */

static void test_regenerate_text(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int every;
		const char *unit;
		const char *back;
	} good[] = {
	    {"1w", 1, "week", "1w"},      {"2d", 2, "day", "2d"},
	    {"3m", 3, "month", "3m"},     {"1y", 1, "year", "1y"},
	    {"10 days", 10, "day", "10d"}, {"1 week", 1, "week", "1w"},
	    {"999 Months", 999, "month", "999m"}, {" 2 YEARS ", 2, "year", "2y"},
	    {"1day", 1, "day", "1d"},
	};
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		at_error err;
		json_t *r = at_task_regenerate_parse(good[i].text, &err);
		check(r != NULL, "%s: %s", good[i].text, err.message);
		char want[64];
		snprintf(want, sizeof(want), "{\"every\":%d,\"unit\":\"%s\"}", good[i].every,
			 good[i].unit);
		same(r, want, good[i].text);
		char buf[16];
		at_task_regenerate_format(r, buf, sizeof(buf));
		assert_string_equal(buf, good[i].back);
		json_decref(r);
	}
	static const char *const bad[] = {
	    "0w", "-1w", "1000d", "99999999999999999999d", "w", "1", "1 fortnight", "1w2",
	    "1.5w", "", "1 w x", "+1w",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		at_error err;
		at_error_clear(&err);
		json_t *r = at_task_regenerate_parse(bad[i], &err);
		check(r == NULL, "accepted \"%s\"", bad[i]);
		assert_string_equal(err.code, "invalidField");
		assert_string_equal(err.field, "regenerate");
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
		check(strstr(err.message, quoted) != NULL, "message \"%s\" does not name %s",
		      err.message, quoted);
	}
	at_error err;
	assert_null(at_task_regenerate_parse(NULL, &err));
	/* format of something that is not one */
	char buf[8] = "junk";
	json_t *r = parse("{\"every\":1,\"unit\":\"fortnight\"}");
	at_task_regenerate_format(r, buf, sizeof(buf));
	assert_string_equal(buf, "");
	json_decref(r);
	at_task_regenerate_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_status_sent),
		cmocka_unit_test(test_normalize_percent_sent),
		cmocka_unit_test(test_normalize_date_sent),
		cmocka_unit_test(test_normalize_several_sent),
		cmocka_unit_test(test_normalize_errors),
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_check_order),
		cmocka_unit_test(test_check_rules),
		cmocka_unit_test(test_check_participants_and_extra),
		cmocka_unit_test(test_next_rrule),
		cmocka_unit_test(test_next_rrule_ends),
		cmocka_unit_test(test_next_regenerate),
		cmocka_unit_test(test_next_resets),
		cmocka_unit_test(test_server_fields),
		cmocka_unit_test(test_regenerate_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
