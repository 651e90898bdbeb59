/* test_auth.c — accounts, password login with throttling (clock injected),
 * bearer tokens, HTTP Basic decoding, password change and token revocation. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_fixture.h"

#include "password.h"

#define T0 ((int64_t)1800000000)

static int pw(fx *f, const char *login, const char *password, int64_t now, at_error *err)
{
	as_user u;
	at_error_clear(err);
	return as_auth_password(f->store, f->arena, login, password, now, &u, err);
}

static int failures(fx *f, const char *login)
{
	int count;
	int64_t last;
	at_error err;
	if (f->store->ops->login_failures_get(f->store, login, &count, &last, &err) < 0)
		fail_msg("login_failures_get: %s", err.message);
	return count;
}

static void set_failures(fx *f, const char *login, int count, int64_t last)
{
	at_error err;
	as_store *s = f->store;
	if (s->ops->begin(s, true, &err) < 0 ||
	    s->ops->login_failures_set(s, login, count, last, &err) < 0 ||
	    s->ops->commit(s, &err) < 0)
		fail_msg("login_failures_set: %s", err.message);
}

static void expect_unauthorized(int rc, const at_error *err, const char *what)
{
	check(rc == -1, "%s: accepted", what);
	check(strcmp(err->code, "unauthorized") == 0, "%s: %s (%s)", what, err->code,
	      err->message);
	check(err->http_status == 401, "%s: status %d", what, err->http_status);
}

static void expect_throttled(int rc, const at_error *err, const char *what)
{
	check(rc == -1, "%s: accepted while throttled", what);
	check(strcmp(err->code, "tooManyAttempts") == 0, "%s: %s (%s)", what, err->code,
	      err->message);
	check(err->retry == AT_RETRY_WAIT, "%s: retry class %d", what, (int)err->retry);
	check(err->retry_after > 0, "%s: retryAfter %ld", what, err->retry_after);
	check(err->http_status == 429, "%s: status %d", what, err->http_status);
}

/* --- throttling --------------------------------------------------------------- */

static void test_throttle_after_five_failures(void **state)
{
	fx *f = *state;
	at_error err;
	for (int i = 1; i <= 5; i++) {
		int rc = pw(f, "alice", "wrong password", T0, &err);
		expect_unauthorized(rc, &err, "free failure");
		check(failures(f, "alice") == i, "failure %d not counted", i);
	}
	/* the sixth attempt, inside the lock window: refused even when right */
	int rc = pw(f, "alice", FX_ALICE_PASSWORD, T0, &err);
	expect_throttled(rc, &err, "right password while locked");
	long wait = err.retry_after;
	assert_non_null(strstr(err.message, "alice"));
	rc = pw(f, "alice", "wrong password", T0, &err);
	expect_throttled(rc, &err, "wrong password while locked");
	assert_int_equal(failures(f, "alice"), 5);  /* refused attempts are not checked */

	/* after the window the right password works and resets the count */
	rc = pw(f, "alice", FX_ALICE_PASSWORD, T0 + wait, &err);
	check(rc == 0, "right password after the window: %s", err.message);
	assert_int_equal(failures(f, "alice"), 0);
	rc = pw(f, "alice", "wrong password", T0 + wait, &err);
	expect_unauthorized(rc, &err, "first failure after reset");
	assert_int_equal(failures(f, "alice"), 1);
	/* bob is not affected by alice's failures */
	assert_int_equal(pw(f, "bob", FX_BOB_PASSWORD, T0, &err), 0);
}

/* The clock has whole seconds, so a lock of W seconds may be answered with
 * retryAfter W or W+1; what matters is that the attempt is refused until
 * retryAfter has passed and accepted once it has. */
static void test_throttle_doubles(void **state)
{
	fx *f = *state;
	at_error err;
	set_failures(f, "alice", 5, T0);
	expect_throttled(pw(f, "alice", FX_ALICE_PASSWORD, T0, &err), &err, "5 failures");
	long w5 = err.retry_after;
	check(w5 >= 1 && w5 <= 2, "5 failures: wait %ld", w5);
	if (w5 > 1)
		expect_throttled(pw(f, "alice", FX_ALICE_PASSWORD, T0 + w5 - 1, &err), &err,
				 "5 failures, one second early");
	/* another failure once the window has passed: the wait doubles */
	int64_t t6 = T0 + w5;
	expect_unauthorized(pw(f, "alice", "wrong", t6, &err), &err, "6th failure");
	assert_int_equal(failures(f, "alice"), 6);
	expect_throttled(pw(f, "alice", FX_ALICE_PASSWORD, t6, &err), &err, "6 failures");
	long w6 = err.retry_after;
	check(w6 >= 2 && w6 <= 3, "6 failures: wait %ld", w6);
	expect_throttled(pw(f, "alice", FX_ALICE_PASSWORD, t6 + w6 - 1, &err), &err,
			 "6 failures, one second early");
	assert_int_equal(err.retry_after, 1);
	assert_int_equal(pw(f, "alice", FX_ALICE_PASSWORD, t6 + w6, &err), 0);
	assert_int_equal(failures(f, "alice"), 0);

	/* wait per failure count (measured at the second of the last failure),
	 * doubling, capped at 15 minutes */
	static const struct { int count; long wait; } table[] = {
		{4, 0}, {5, 1}, {6, 2}, {7, 4}, {9, 16}, {14, 512}, {15, 900}, {16, 900},
		{40, 900}, {100000, 900},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		set_failures(f, "carol", table[i].count, T0);
		int rc = pw(f, "carol", "whatever", T0, &err);
		if (table[i].wait == 0) {
			expect_unauthorized(rc, &err, "under the free count");
			continue;
		}
		expect_throttled(rc, &err, "locked");
		check(err.retry_after >= table[i].wait && err.retry_after <= table[i].wait + 1,
		      "%d failures: wait %ld, expected %ld", table[i].count, err.retry_after,
		      table[i].wait);
		long w = err.retry_after;
		expect_throttled(pw(f, "carol", "whatever", T0 + w - 1, &err), &err,
				 "one second before retryAfter");
	}
}

static void test_unknown_login_counts(void **state)
{
	fx *f = *state;
	at_error err;
	for (int i = 1; i <= 5; i++)
		expect_unauthorized(pw(f, "nobody", "guess", T0, &err), &err, "unknown login");
	assert_int_equal(failures(f, "nobody"), 5);
	expect_throttled(pw(f, "nobody", "guess", T0, &err), &err, "unknown login, locked");
	/* the same answer as for a known login: no enumeration by error */
	assert_string_equal(err.code, "tooManyAttempts");
	/* over-long input is refused outright */
	char longlogin[AS_LOGIN_MAX + 2];
	memset(longlogin, 'a', sizeof(longlogin) - 1);
	longlogin[sizeof(longlogin) - 1] = '\0';
	expect_unauthorized(pw(f, longlogin, "x", T0, &err), &err, "long login");
	char *longpw = calloc(1, AT_PASSWORD_MAX + 2);
	memset(longpw, 'p', AT_PASSWORD_MAX + 1);
	expect_unauthorized(pw(f, "alice", longpw, T0, &err), &err, "long password");
	free(longpw);
}

/* --- bearer tokens ------------------------------------------------------------ */

static void test_bearer_tokens(void **state)
{
	fx *f = *state;
	at_error err;
	as_user u;
	const char *token = NULL;
	int64_t expires = 0;
	at_error_clear(&err);
	assert_int_equal(as_auth_login(f->store, f->arena, "alice", FX_ALICE_PASSWORD, T0, &u,
				       &token, &expires, &err), 0);
	assert_int_equal(strlen(token), AS_TOKEN_CHARS);
	assert_int_equal(strspn(token, "0123456789abcdef"), AS_TOKEN_CHARS);
	assert_int_equal(expires, T0 + AS_TOKEN_TTL);
	assert_string_equal(u.id, f->alice->id);

	char *hdr = at_arena_printf(f->arena, "Bearer %s", token);
	const char *hash = NULL;
	as_user who;
	assert_int_equal(as_auth_header(f->store, f->arena, hdr, T0, &who, &hash, &err), 0);
	assert_string_equal(who.id, f->alice->id);
	assert_string_equal(who.login, "alice");
	assert_non_null(hash);
	assert_string_not_equal(hash, token);  /* stored by hash, not as is */
	/* scheme is case-insensitive, extra blanks are skipped */
	char *hdr2 = at_arena_printf(f->arena, "bearer   %s", token);
	assert_int_equal(as_auth_header(f->store, f->arena, hdr2, T0, &who, NULL, &err), 0);
	/* still valid one second before expiry, not at it */
	assert_int_equal(as_auth_header(f->store, f->arena, hdr, T0 + AS_TOKEN_TTL - 1, &who,
					NULL, &err), 0);
	expect_unauthorized(as_auth_header(f->store, f->arena, hdr, T0 + AS_TOKEN_TTL, &who,
					   &hash, &err), &err, "expired token");
	assert_null(hash);
	assert_non_null(strstr(err.message, "expired"));

	/* garbage and unknown tokens */
	char other[AS_TOKEN_CHARS + 1];
	at_random_hex(other, AS_TOKEN_CHARS / 2);
	const char *bad[] = {
		"Bearer", "Bearer ", "Bearer abc", at_arena_printf(f->arena, "Bearer %s", other),
		at_arena_printf(f->arena, "Bearer %sx", token),
		at_arena_printf(f->arena, "Bearer %.*s", AS_TOKEN_CHARS - 1, token),
		at_arena_printf(f->arena, "Token %s", token), "", NULL,
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		at_error_clear(&err);
		int rc = as_auth_header(f->store, f->arena, bad[i], T0, &who, NULL, &err);
		check(rc == -1 && strcmp(err.code, "unauthorized") == 0, "header %zu (%s) accepted",
		      i, bad[i] ? bad[i] : "NULL");
	}

	/* logout revokes it */
	assert_int_equal(as_auth_logout(f->store, token, &err), 0);
	expect_unauthorized(as_auth_header(f->store, f->arena, hdr, T0, &who, NULL, &err), &err,
			    "revoked token");
	/* a failed login gives no token */
	token = NULL;
	expect_unauthorized(as_auth_login(f->store, f->arena, "alice", "nope", T0, &u, &token,
					  &expires, &err), &err, "login with wrong password");
	assert_null(token);
}

static void test_api_login(void **state)
{
	fx *f = *state;
	at_error err;
	json_t *body = json_pack("{s:s,s:s,s:s}", "login", "bob", "password", FX_BOB_PASSWORD,
				 "device", "laptop");
	json_t *r = as_api_login(f->store, f->arena, body, T0, &err);
	json_decref(body);
	assert_non_null(r);
	assert_int_equal(json_object_size(r), 3);
	assert_string_equal(fx_str(r, "userId"), f->bob->id);
	assert_int_equal(strlen(fx_str(r, "token")), AS_TOKEN_CHARS);
	assert_string_equal(fx_str(r, "expiresAt"), "2027-04-15T08:00:00Z");
	json_decref(r);
	static const char *const bad[] = {
		"{\"login\":\"bob\"}", "{\"password\":\"x\"}", "{\"login\":1,\"password\":\"x\"}",
		"{\"login\":\"bob\",\"password\":\"x\",\"extra\":1}", "[]",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		body = json_loads(bad[i], 0, NULL);
		at_error_clear(&err);
		r = as_api_login(f->store, f->arena, body, T0, &err);
		json_decref(body);
		check(r == NULL, "%s accepted", bad[i]);
		check(strcmp(err.code, "invalidArguments") == 0 && err.http_status == 400,
		      "%s: %s %d", bad[i], err.code, err.http_status);
	}
}

/* --- HTTP Basic ------------------------------------------------------------------ */

static const char *basic(fx *f, const void *raw, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = at_arena_alloc(f->arena, n);
	sodium_bin2base64(b64, n, raw, len, sodium_base64_VARIANT_ORIGINAL);
	return at_arena_printf(f->arena, "Basic %s", b64);
}

static void test_basic_header(void **state)
{
	fx *f = *state;
	at_error err;
	as_user who;
	const char *hash = "untouched";
	/* the password itself contains a colon: only the first one separates */
	const char *good = basic(f, "alice:" FX_ALICE_PASSWORD, strlen("alice:" FX_ALICE_PASSWORD));
	assert_non_null(strchr(FX_ALICE_PASSWORD, ':'));
	at_error_clear(&err);
	assert_int_equal(as_auth_header(f->store, f->arena, good, T0, &who, &hash, &err), 0);
	assert_string_equal(who.id, f->alice->id);
	assert_null(hash);  /* no bearer token */
	/* again (served from the verified-credential cache) */
	assert_int_equal(as_auth_header(f->store, f->arena, good, T0, &who, NULL, &err), 0);
	/* the cache does not let a wrong password through */
	const char *wrong = basic(f, "alice:" FX_ALICE_PASSWORD "x",
				  strlen("alice:" FX_ALICE_PASSWORD "x"));
	expect_unauthorized(as_auth_header(f->store, f->arena, wrong, T0, &who, NULL, &err), &err,
			    "Basic with a wrong password");
	assert_int_equal(failures(f, "alice"), 1);
	/* "bob:alice's password" is not alice */
	const char *mixed = basic(f, "bob:" FX_ALICE_PASSWORD, strlen("bob:" FX_ALICE_PASSWORD));
	expect_unauthorized(as_auth_header(f->store, f->arena, mixed, T0, &who, NULL, &err), &err,
			    "Basic with another user's password");

	/* malformed ones are refused without counting as a login failure */
	const char *bad[] = {
		"Basic !!!not-base64!!!",
		"Basic YWxpY2U6cGFzc3dvcmQ",          /* missing padding */
		basic(f, "alicepassword", 13),         /* no colon */
		basic(f, "alice\0x:pw", 10),           /* NUL inside */
		basic(f, "", 0),
		"Basic ",
		"Digest username=\"alice\"",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		at_error_clear(&err);
		int rc = as_auth_header(f->store, f->arena, bad[i], T0, &who, NULL, &err);
		check(rc == -1 && strcmp(err.code, "unauthorized") == 0, "header %zu (%s) accepted",
		      i, bad[i]);
	}
	assert_int_equal(failures(f, "alice"), 1);
	/* absurdly long credentials are refused before decoding */
	size_t n = 2 * (AS_LOGIN_MAX + AT_PASSWORD_MAX) + 10;
	char *huge = at_arena_alloc(f->arena, n + 7);
	memcpy(huge, "Basic ", 6);
	memset(huge + 6, 'A', n);
	expect_unauthorized(as_auth_header(f->store, f->arena, huge, T0, &who, NULL, &err), &err,
			    "huge Basic header");
}

/* --- password change ----------------------------------------------------------- */

static void test_password_change_revokes_other_tokens(void **state)
{
	fx *f = *state;
	at_error err;
	as_user u;
	const char *t1, *t2;
	int64_t exp;
	at_error_clear(&err);
	assert_int_equal(as_auth_login(f->store, f->arena, "alice", FX_ALICE_PASSWORD, T0, &u,
				       &t1, &exp, &err), 0);
	assert_int_equal(as_auth_login(f->store, f->arena, "alice", FX_ALICE_PASSWORD, T0, &u,
				       &t2, &exp, &err), 0);
	assert_string_not_equal(t1, t2);
	const char *bob_token;
	assert_int_equal(as_auth_login(f->store, f->arena, "bob", FX_BOB_PASSWORD, T0, &u,
				       &bob_token, &exp, &err), 0);
	const char *h1 = at_arena_printf(f->arena, "Bearer %s", t1);
	const char *h2 = at_arena_printf(f->arena, "Bearer %s", t2);
	const char *hb = at_arena_printf(f->arena, "Bearer %s", bob_token);
	const char *old_basic = basic(f, "alice:" FX_ALICE_PASSWORD,
				      strlen("alice:" FX_ALICE_PASSWORD));
	const char *keep;
	as_user who;
	assert_int_equal(as_auth_header(f->store, f->arena, h1, T0, &who, &keep, &err), 0);
	assert_int_equal(as_auth_header(f->store, f->arena, old_basic, T0, &who, NULL, &err), 0);

	/* wrong old password, weak new one: nothing changes */
	const char *strength = NULL;
	assert_int_equal(as_auth_change_password(f->store, f->arena, f->alice, "nope",
						 "Brand-New-Passw0rd", keep, &strength, &err), -1);
	assert_string_equal(err.code, "wrongPassword");
	assert_int_equal(as_auth_change_password(f->store, f->arena, f->alice, FX_ALICE_PASSWORD,
						 "alice123", keep, &strength, &err), -1);
	assert_string_equal(err.code, "weakPassword");
	assert_int_equal(as_auth_header(f->store, f->arena, h2, T0, &who, NULL, &err), 0);

	at_error_clear(&err);
	assert_int_equal(as_auth_change_password(f->store, f->arena, f->alice, FX_ALICE_PASSWORD,
						 "Brand-New-Passw0rd", keep, &strength, &err), 0);
	assert_string_equal(strength, "strong");
	/* the caller's token stays, the other one is revoked, bob's is untouched */
	assert_int_equal(as_auth_header(f->store, f->arena, h1, T0, &who, NULL, &err), 0);
	expect_unauthorized(as_auth_header(f->store, f->arena, h2, T0, &who, NULL, &err), &err,
			    "other token after password change");
	assert_int_equal(as_auth_header(f->store, f->arena, hb, T0, &who, NULL, &err), 0);
	/* the old password no longer works, even through the Basic cache */
	expect_unauthorized(as_auth_header(f->store, f->arena, old_basic, T0, &who, NULL, &err),
			    &err, "old password via Basic after change");
	const char *new_basic = basic(f, "alice:Brand-New-Passw0rd",
				      strlen("alice:Brand-New-Passw0rd"));
	assert_int_equal(as_auth_header(f->store, f->arena, new_basic, T0, &who, NULL, &err), 0);
}

/* --- accounts ------------------------------------------------------------------- */

static void test_account_create_validation(void **state)
{
	fx *f = *state;
	static const struct {
		const char *login, *name, *email, *password, *code, *field;
	} table[] = {
		{"Carol", "Carol", "c@example.org", "Carol-Pass-2024", "invalidArguments", "login"},
		{"ca rol", "Carol", "c@example.org", "Carol-Pass-2024", "invalidArguments", "login"},
		{"", "Carol", "c@example.org", "Carol-Pass-2024", "invalidArguments", "login"},
		{"carol", "", "c@example.org", "Carol-Pass-2024", "invalidArguments", "name"},
		{"carol", "Carol", "not-an-address", "Carol-Pass-2024", "invalidArguments", "email"},
		{"carol", "Carol", "c@example.org", "carol2024", "weakPassword", NULL},
		{"carol", "Carol", "c@example.org", "short", "weakPassword", NULL},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_error err;
		at_error_clear(&err);
		const as_user *u = NULL;
		int rc = as_account_create(f->store, f->arena, table[i].login, table[i].name,
					   table[i].email, table[i].password, &u, &err);
		check(rc == -1, "case %zu accepted", i);
		check(strcmp(err.code, table[i].code) == 0, "case %zu: %s", i, err.code);
		if (table[i].field != NULL)
			check(strcmp(err.field, table[i].field) == 0, "case %zu: field %s", i,
			      err.field);
	}
	at_error err;
	at_error_clear(&err);
	assert_int_equal(as_account_create(f->store, f->arena, "alice", "Another Alice",
					   "a2@example.org", "Completely-Different-9", NULL, &err),
			 -1);
	assert_string_equal(err.code, "alreadyExists");
	/* and nothing half-made: still just alice's three folders (and the
	 * Global Address Book) */
	as_ctx ctx = fx_ctx(f, f->alice, NULL);
	json_t *args = json_object();
	json_t *r = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	assert_int_equal(json_array_size(json_object_get(r, "created")), 4);
	json_decref(r);

	/* admin password reset */
	assert_int_equal(as_auth_set_password(f->store, f->arena, "nobody", "Good-Password-42",
					      &err), -1);
	assert_string_equal(err.code, "notFound");
	assert_int_equal(as_auth_set_password(f->store, f->arena, "bob", "password1", &err), -1);
	assert_string_equal(err.code, "weakPassword");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_users, fx_teardown)
		T(test_throttle_after_five_failures),
		T(test_throttle_doubles),
		T(test_unknown_login_counts),
		T(test_bearer_tokens),
		T(test_api_login),
		T(test_basic_header),
		T(test_password_change_revokes_other_tokens),
		T(test_account_create_validation),
#undef T
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
