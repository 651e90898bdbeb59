/* test_error.c — typed errors: set/clear/copy, names of scopes and retry
 * classes, HTTP status mapping, and the wire form (protocol.h). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "error.h"
#include "protocol.h"

static void test_set_fills_everything(void **state)
{
	(void)state;
	at_error e;
	memset(&e, 0x7f, sizeof(e));
	at_error_clear(&e);
	assert_false(at_error_is_set(&e));
	assert_string_equal(e.message, "");
	assert_string_equal(e.field, "");
	assert_int_equal(e.retry_after, 0);

	int rc = at_error_set(&e, AT_E_FIELD_TOO_LONG, AT_SCOPE_ITEM, AT_RETRY_FINAL,
			      "firstName", "field %s is too long: %d > %u", "firstName", 129, 128u);
	assert_int_equal(rc, -1);
	assert_true(at_error_is_set(&e));
	assert_string_equal(e.code, "fieldTooLong");
	assert_int_equal(e.scope, AT_SCOPE_ITEM);
	assert_int_equal(e.retry, AT_RETRY_FINAL);
	assert_string_equal(e.field, "firstName");
	assert_string_equal(e.message, "field firstName is too long: 129 > 128");
	assert_int_equal(e.http_status, 400);
	assert_int_equal(e.retry_after, 0);

	/* a second set replaces everything, field NULL clears the field */
	e.retry_after = 30;
	at_error_set(&e, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL, "boom");
	assert_string_equal(e.code, "serverFail");
	assert_string_equal(e.field, "");
	assert_int_equal(e.retry_after, 0);
	assert_int_equal(e.http_status, 500);
	assert_int_equal(e.retry, AT_RETRY_TEMPORARY);

	/* NULL error pointer is allowed and still returns -1 */
	assert_int_equal(at_error_set(NULL, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				      NULL, "x"), -1);
}

static void test_set_truncates_safely(void **state)
{
	(void)state;
	char longmsg[2000], longfield[200], longcode[100];
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	memset(longfield, 'f', sizeof(longfield) - 1);
	longfield[sizeof(longfield) - 1] = '\0';
	memset(longcode, 'c', sizeof(longcode) - 1);
	longcode[sizeof(longcode) - 1] = '\0';
	at_error e;
	at_error_set(&e, longcode, AT_SCOPE_ITEM, AT_RETRY_FINAL, longfield, "%s", longmsg);
	assert_int_equal(strlen(e.message), AT_ERROR_MESSAGE_MAX - 1);
	assert_int_equal(strlen(e.field), AT_ERROR_FIELD_MAX - 1);
	assert_int_equal(strlen(e.code), AT_ERROR_CODE_MAX - 1);
}

static void test_copy(void **state)
{
	(void)state;
	at_error a, b;
	at_error_set(&a, AT_E_TOO_MANY_ATTEMPTS, AT_SCOPE_ACCOUNT, AT_RETRY_WAIT, "login",
		     "wait");
	a.retry_after = 17;
	at_error_clear(&b);
	assert_int_equal(at_error_copy(&b, &a), -1);
	assert_string_equal(b.code, a.code);
	assert_int_equal(b.scope, a.scope);
	assert_int_equal(b.retry, a.retry);
	assert_string_equal(b.message, a.message);
	assert_string_equal(b.field, a.field);
	assert_int_equal(b.http_status, a.http_status);
	assert_int_equal(b.retry_after, 17);
	assert_int_equal(at_error_copy(NULL, &a), -1);  /* ignored */
	assert_int_equal(at_error_copy(&a, &a), -1);    /* self copy is a no-op */
	assert_string_equal(a.code, "tooManyAttempts");
	assert_int_equal(a.retry_after, 17);
}

static void test_http_status_mapping(void **state)
{
	(void)state;
	static const struct { const char *code; int status; } table[] = {
		{"unauthorized", 401},
		{"wrongPassword", 403},
		{"forbidden", 403},
		{"notFound", 404},
		{"tooManyAttempts", 429},
		{"limitExceeded", 413},
		{"serverFail", 500},
		{"serverUnavailable", 503},
		{"conflict", 409},
		{"alreadyExists", 409},
		{"notJSON", 400},
		{"notRequest", 400},
		{"invalidArguments", 400},
		{"fieldTooLong", 400},
		{"invalidField", 400},
		{"unknownField", 400},
		{"unknownMethod", 400},
		{"invalidToken", 400},
		{"weakPassword", 400},
		{"somethingNew", 400},
		{"", 400},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		int got = at_error_http_status(table[i].code);
		check(got == table[i].status, "%s: status %d, expected %d", table[i].code, got,
		      table[i].status);
		at_error e;
		at_error_set(&e, table[i].code, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL, "m");
		check(e.http_status == table[i].status, "%s: at_error_set derived %d",
		      table[i].code, e.http_status);
	}
}

static void test_scope_and_retry_names(void **state)
{
	(void)state;
	static const char *const scopes[] = {"item", "folder", "account", "server"};
	static const char *const retries[] = {"final", "temporary", "wait"};
	for (int i = 0; i < 4; i++) {
		assert_string_equal(at_scope_name((at_scope)i), scopes[i]);
		at_scope s = AT_SCOPE_ITEM;
		assert_int_equal(at_scope_parse(scopes[i], &s), 0);
		assert_int_equal(s, i);
	}
	for (int i = 0; i < 3; i++) {
		assert_string_equal(at_retry_name((at_retry)i), retries[i]);
		at_retry r = AT_RETRY_FINAL;
		assert_int_equal(at_retry_parse(retries[i], &r), 0);
		assert_int_equal(r, i);
	}
	at_scope s = AT_SCOPE_FOLDER;
	at_retry r = AT_RETRY_WAIT;
	assert_int_equal(at_scope_parse("Item", &s), -1);
	assert_int_equal(at_scope_parse("", &s), -1);
	assert_int_equal(s, AT_SCOPE_FOLDER);  /* untouched on failure */
	assert_int_equal(at_retry_parse("later", &r), -1);
	assert_int_equal(r, AT_RETRY_WAIT);
	assert_string_equal(at_scope_name((at_scope)99), "server");
	assert_string_equal(at_retry_name((at_retry)99), "final");
}

static void test_wire_round_trip(void **state)
{
	(void)state;
	at_error e, back;
	at_error_set(&e, AT_E_TOO_MANY_ATTEMPTS, AT_SCOPE_ACCOUNT, AT_RETRY_WAIT, "login",
		     "try again in %d seconds", 8);
	e.retry_after = 8;
	json_t *j = at_error_to_json(&e);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 6);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "tooManyAttempts");
	assert_string_equal(json_string_value(json_object_get(j, "scope")), "account");
	assert_string_equal(json_string_value(json_object_get(j, "retry")), "wait");
	assert_string_equal(json_string_value(json_object_get(j, "message")),
			    "try again in 8 seconds");
	assert_string_equal(json_string_value(json_object_get(j, "field")), "login");
	assert_int_equal(json_integer_value(json_object_get(j, "retryAfter")), 8);

	/* through text, as on the wire */
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	json_t *parsed = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	assert_non_null(parsed);
	at_error_from_json(parsed, &back);
	json_decref(parsed);
	assert_string_equal(back.code, e.code);
	assert_int_equal(back.scope, e.scope);
	assert_int_equal(back.retry, e.retry);
	assert_string_equal(back.message, e.message);
	assert_string_equal(back.field, e.field);
	assert_int_equal(back.retry_after, 8);
	assert_int_equal(back.http_status, 429);
}

static void test_wire_optional_members(void **state)
{
	(void)state;
	at_error e, back;
	at_error_set(&e, AT_E_NOT_FOUND, AT_SCOPE_FOLDER, AT_RETRY_FINAL, NULL, "gone");
	json_t *j = at_error_to_json(&e);
	assert_int_equal(json_object_size(j), 4);  /* no field, no retryAfter */
	assert_null(json_object_get(j, "field"));
	assert_null(json_object_get(j, "retryAfter"));
	at_error_from_json(j, &back);
	json_decref(j);
	assert_string_equal(back.code, "notFound");
	assert_int_equal(back.scope, AT_SCOPE_FOLDER);
	assert_string_equal(back.field, "");
	assert_int_equal(back.retry_after, 0);

	/* a sloppy peer: unknown scope/retry words fall back, missing parts too */
	json_t *odd = json_pack("{s:s,s:s,s:i}", "scope", "galaxy", "retry", "never",
				"retryAfter", 5);
	at_error_from_json(odd, &back);
	json_decref(odd);
	assert_string_equal(back.code, "serverFail");
	assert_int_equal(back.scope, AT_SCOPE_SERVER);
	assert_int_equal(back.retry, AT_RETRY_FINAL);
	assert_true(back.message[0] != '\0');
	assert_int_equal(back.retry_after, 5);

	/* not even an object */
	json_t *num = json_integer(3);
	at_error_from_json(num, &back);
	json_decref(num);
	assert_true(at_error_is_set(&back));
	assert_string_equal(back.code, "serverFail");
}

static void test_scrub(void **state)
{
	at_error err;
	/* a cut two-byte sequence, a lone continuation byte, a control
	 * character; valid multi-byte text stays */
	at_error_set(&err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
		     "line 3: caf\xc3\xa9 \xe2\x82 x\x80y\x01z \xf0\x9f\x93\x85 end\xc3");
	at_error_scrub(&err);
	assert_string_equal(err.message,
			    "line 3: caf\xc3\xa9 ?? x?y?z \xf0\x9f\x93\x85 end?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_set_fills_everything),
		cmocka_unit_test(test_set_truncates_safely),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_http_status_mapping),
		cmocka_unit_test(test_scope_and_retry_names),
		cmocka_unit_test(test_wire_round_trip),
		cmocka_unit_test(test_wire_optional_members),
	};
	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
