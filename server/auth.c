/* auth.c — see auth.h. */
#include "auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gab.h"
#include "log.h"
#include "password.h"

#define CACHE_SLOTS 256
#define CACHE_TTL 300

struct cache_slot {
	unsigned char key[crypto_generichash_BYTES];
	char user_id[AS_ID_HEX_BYTES * 2 + 1];
	int64_t expires;
};

static struct cache_slot cache[CACHE_SLOTS];
static unsigned char cache_secret[crypto_generichash_KEYBYTES];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* verified against for unknown logins, so they cost as much as known ones */
static char dummy_hash[crypto_pwhash_STRBYTES];

int as_auth_init(void)
{
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(cache_secret, sizeof(cache_secret));
	char pw[33];
	at_random_hex(pw, 16);
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
	return 0;
}

static void cache_key(const char *login, const char *password, unsigned char *key)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, cache_secret, sizeof(cache_secret), crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)login, strlen(login) + 1);
	crypto_generichash_update(&st, (const unsigned char *)password, strlen(password));
	crypto_generichash_final(&st, key, crypto_generichash_BYTES);
}

static bool cache_get(const unsigned char *key, int64_t now, char *user_id_r)
{
	bool hit = false;
	pthread_mutex_lock(&cache_lock);
	struct cache_slot *c = &cache[key[0] % CACHE_SLOTS];
	if (c->expires > now && sodium_memcmp(c->key, key, sizeof(c->key)) == 0) {
		memcpy(user_id_r, c->user_id, sizeof(c->user_id));
		hit = true;
	}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void cache_put(const unsigned char *key, int64_t now, const char *user_id)
{
	pthread_mutex_lock(&cache_lock);
	struct cache_slot *c = &cache[key[0] % CACHE_SLOTS];
	memcpy(c->key, key, sizeof(c->key));
	snprintf(c->user_id, sizeof(c->user_id), "%s", user_id);
	c->expires = now + CACHE_TTL;
	pthread_mutex_unlock(&cache_lock);
}

static void cache_forget_user(const char *user_id)
{
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (strcmp(cache[i].user_id, user_id) == 0)
			cache[i].expires = 0;
	pthread_mutex_unlock(&cache_lock);
}

const char *as_password_hash(at_arena *a, const char *password, at_error *err)
{
	char *out = at_arena_alloc(a, crypto_pwhash_STRBYTES);
	if (crypto_pwhash_str(out, password, strlen(password),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			     "password hashing failed (out of memory)");
		return NULL;
	}
	return out;
}

static int check_new_password(const char *pw, const char *login, const char **strength_r,
			      at_error *err)
{
	char reason[160];
	if (strlen(pw) > AT_PASSWORD_MAX)
		return at_error_set(err, AT_E_WEAK_PASSWORD, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "newPassword", "the password is longer than %d bytes",
				    AT_PASSWORD_MAX);
	at_strength st = at_password_strength(pw, login, reason, sizeof(reason));
	if (st == AT_STRENGTH_WEAK)
		return at_error_set(err, AT_E_WEAK_PASSWORD, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "newPassword", "the new password is weak: %s", reason);
	if (strength_r != NULL)
		*strength_r = at_strength_name(st);
	return 0;
}

static bool valid_login(const char *login)
{
	size_t n = strlen(login);
	if (n < 1 || n > AS_LOGIN_MAX)
		return false;
	for (const char *p = login; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

/* A user (password set) or a resource (password NULL: its hash can match
 * no password, and as_auth_password refuses it anyway). */
static int principal_create(as_store *s, at_arena *a, const char *login, const char *name,
			    const char *email, const char *password,
			    const char *resource_type, const as_user **user_r, at_error *err)
{
	static const struct { const char *name; at_module module; } defaults[] = {
		{"Contacts", AT_MODULE_CONTACTS},
		{"Calendar", AT_MODULE_CALENDAR},
		{"Tasks", AT_MODULE_TASKS},
	};
	bool resource = resource_type != NULL;
	if (!valid_login(login))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "login", "a login is 1-%d characters of a-z 0-9 . _ -",
				    AS_LOGIN_MAX);
	if (at_utf8_length(name, strlen(name)) > AS_NAME_MAX || name[0] == '\0')
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "name", "a display name is 1-%d characters", AS_NAME_MAX);
	if (strlen(email) > AS_EMAIL_MAX || strchr(email, '@') == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "email", "\"%s\" is not an e-mail address", email);
	if (resource && strcmp(resource_type, "room") != 0 &&
	    strcmp(resource_type, "equipment") != 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "kind", "a resource is a room or equipment, not \"%.32s\"",
				    resource_type);
	if (!resource && check_new_password(password, login, NULL, err) < 0)
		return -1;
	as_user *u = at_arena_alloc(a, sizeof(*u));
	u->id = as_new_id(a);
	u->login = login;
	u->name = name;
	u->email = email;
	u->created = (int64_t)time(NULL);
	u->kind = resource ? AS_KIND_RESOURCE : AS_KIND_USER;
	u->resource_type = resource_type;
	/* "!" is no Argon2id string: no password ever verifies against it */
	if (resource)
		u->pw_hash = "!";
	else if ((u->pw_hash = as_password_hash(a, password, err)) == NULL)
		return -1;
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->user_add(s, u, err) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		/* a resource has its calendar only */
		if (resource && defaults[i].module != AT_MODULE_CALENDAR)
			continue;
		as_folder f = {
			.id = as_new_id(a), .owner_id = u->id, .name = defaults[i].name,
			.module = defaults[i].module, .type = AT_FOLDER_PRIVATE,
			.is_default = true,
		};
		if (s->ops->folder_add(s, &f, err) < 0)
			goto fail;
	}
	/* the user's entry in the Global Address Book, in the same transaction */
	if (as_gab_user_entry(s, a, u, err) < 0)
		goto fail;
	if (s->ops->commit(s, err) < 0)
		return -1;
	if (user_r != NULL)
		*user_r = u;
	return 0;
fail:
	s->ops->rollback(s);
	return -1;
}

int as_account_create(as_store *s, at_arena *a, const char *login, const char *name,
		      const char *email, const char *password, const as_user **user_r,
		      at_error *err)
{
	return principal_create(s, a, login, name, email, password, NULL, user_r, err);
}

int as_resource_create(as_store *s, at_arena *a, const char *login, const char *name,
		       const char *email, const char *kind, const as_user **user_r,
		       at_error *err)
{
	return principal_create(s, a, login, name, email, NULL, kind != NULL ? kind : "room",
				user_r, err);
}

static int64_t lock_seconds(int failures)
{
	if (failures < AS_AUTH_FREE_FAILURES)
		return 0;
	int shift = failures - AS_AUTH_FREE_FAILURES;
	if (shift > 10)
		return AS_AUTH_MAX_LOCK;
	int64_t secs = (int64_t)1 << shift;
	return secs > AS_AUTH_MAX_LOCK ? AS_AUTH_MAX_LOCK : secs;
}

/* Records a failure (own transaction) and fills err. */
static int fail_login(as_store *s, const char *login, int failures, int64_t now,
		      at_error *err)
{
	at_error ignored;
	if (s->ops->begin(s, true, &ignored) == 0) {
		int count;
		int64_t last;
		if (s->ops->login_failures_get(s, login, &count, &last, &ignored) == 0)
			failures = count + 1;
		if (s->ops->login_failures_set(s, login, failures, now, &ignored) < 0 ||
		    s->ops->commit(s, &ignored) < 0)
			s->ops->rollback(s);
	}
	at_info("auth", "login failed for \"%s\" (%d consecutive failures)", login, failures);
	return at_error_set(err, AT_E_UNAUTHORIZED, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			    "wrong login or password");
}

/* Refuses with tooManyAttempts while login is locked; *count_r receives the
 * current count of consecutive failures. */
static int check_lock(as_store *s, const char *login, int64_t now, int *count_r,
		      at_error *err)
{
	int64_t last;
	if (s->ops->login_failures_get(s, login, count_r, &last, err) < 0)
		return -1;
	/* the clock has whole seconds: a lock of W seconds ends W+1 seconds
	 * after the second of the last failure, never sooner than W */
	int64_t wait = lock_seconds(*count_r);
	if (wait > 0 && now < last + wait + 1) {
		at_error_set(err, AT_E_TOO_MANY_ATTEMPTS, AT_SCOPE_ACCOUNT, AT_RETRY_WAIT, NULL,
			     "too many failed logins for \"%s\"; try again in %lld seconds",
			     login, (long long)(last + wait + 1 - now));
		err->retry_after = (long)(last + wait + 1 - now);
		return -1;
	}
	return 0;
}

int as_auth_password(as_store *s, at_arena *a, const char *login, const char *password,
		     int64_t now, as_user *user_r, at_error *err)
{
	int count = 0;
	bool found = false;
	if (strlen(login) > AS_LOGIN_MAX || strlen(password) > AT_PASSWORD_MAX)
		return at_error_set(err, AT_E_UNAUTHORIZED, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    NULL, "wrong login or password");
	if (s->ops->begin(s, false, err) < 0)
		return -1;
	int rc = check_lock(s, login, now, &count, err);
	if (rc == 0)
		rc = s->ops->user_get_by_login(s, login, a, user_r, &found, err);
	s->ops->rollback(s);
	if (rc < 0)
		return -1;
	unsigned char key[crypto_generichash_BYTES];
	cache_key(login, password, key);
	char cached[AS_ID_HEX_BYTES * 2 + 1];
	if (found && cache_get(key, now, cached) && strcmp(cached, user_r->id) == 0)
		goto ok;
	if (!found) {
		/* spend the same effort as a real check: no login enumeration by timing */
		if (dummy_hash[0] != '\0' &&
		    crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
			at_debug("auth", "dummy hash matched");
		return fail_login(s, login, count + 1, now, err);
	}
	/* a resource cannot log in: as a wrong password, after the same work */
	if (user_r->kind != NULL && strcmp(user_r->kind, AS_KIND_RESOURCE) == 0) {
		if (dummy_hash[0] != '\0' &&
		    crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
			at_debug("auth", "dummy hash matched");
		return fail_login(s, login, count + 1, now, err);
	}
	if (crypto_pwhash_str_verify(user_r->pw_hash, password, strlen(password)) != 0)
		return fail_login(s, login, count + 1, now, err);
	cache_put(key, now, user_r->id);
ok:
	if (count > 0) {
		at_error ignored;
		if (s->ops->begin(s, true, &ignored) == 0) {
			if (s->ops->login_failures_set(s, login, 0, now, &ignored) < 0 ||
			    s->ops->commit(s, &ignored) < 0)
				s->ops->rollback(s);
		}
	}
	return 0;
}

static const char *token_hash(at_arena *a, const char *token)
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	char *hex = at_arena_alloc(a, sizeof(h) * 2 + 1);
	sodium_bin2hex(hex, sizeof(h) * 2 + 1, h, sizeof(h));
	return hex;
}

int as_auth_login(as_store *s, at_arena *a, const char *login, const char *password,
		  int64_t now, as_user *user_r, const char **token_r, int64_t *expires_r,
		  at_error *err)
{
	if (as_auth_password(s, a, login, password, now, user_r, err) < 0)
		return -1;
	char *token = at_arena_alloc(a, AS_TOKEN_CHARS + 1);
	at_random_hex(token, AS_TOKEN_CHARS / 2);
	int64_t expires = now + AS_TOKEN_TTL;
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->token_add(s, token_hash(a, token), user_r->id, expires, err) < 0 ||
	    s->ops->commit(s, err) < 0) {
		s->ops->rollback(s);
		return -1;
	}
	*token_r = token;
	*expires_r = expires;
	return 0;
}

int as_auth_logout(as_store *s, const char *token, at_error *err)
{
	at_arena *a = at_arena_new(512);
	int rc = -1;
	if (s->ops->begin(s, true, err) < 0)
		goto done;
	if (s->ops->token_delete(s, token_hash(a, token), err) < 0 ||
	    s->ops->commit(s, err) < 0) {
		s->ops->rollback(s);
		goto done;
	}
	rc = 0;
done:
	at_arena_free(&a);
	return rc;
}

static int unauthorized(at_error *err, const char *why)
{
	return at_error_set(err, AT_E_UNAUTHORIZED, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			    "%s", why);
}

int as_auth_header(as_store *s, at_arena *a, const char *header, int64_t now,
		   as_user *user_r, const char **token_hash_r, at_error *err)
{
	if (token_hash_r != NULL)
		*token_hash_r = NULL;
	if (header == NULL)
		return unauthorized(err, "authentication required (Basic or Bearer)");
	if (strncasecmp(header, "Bearer ", 7) == 0) {
		const char *tok = header + 7;
		while (*tok == ' ')
			tok++;
		if (strlen(tok) != AS_TOKEN_CHARS)
			return unauthorized(err, "invalid bearer token");
		const char *hash = token_hash(a, tok), *user_id;
		int64_t expires;
		bool found;
		if (s->ops->begin(s, false, err) < 0)
			return -1;
		int rc = s->ops->token_lookup(s, hash, a, &user_id, &expires, err);
		if (rc == 0 && user_id != NULL)
			rc = s->ops->user_get_by_id(s, user_id, a, user_r, &found, err);
		s->ops->rollback(s);
		if (rc < 0)
			return -1;
		if (user_id == NULL || !found)
			return unauthorized(err, "invalid or revoked bearer token");
		if (expires <= now)
			return unauthorized(err, "the bearer token has expired; log in again");
		if (token_hash_r != NULL)
			*token_hash_r = hash;
		return 0;
	}
	if (strncasecmp(header, "Basic ", 6) == 0) {
		const char *b64 = header + 6;
		size_t in_len = strlen(b64), out_len;
		if (in_len > 2 * (AS_LOGIN_MAX + AT_PASSWORD_MAX))
			return unauthorized(err, "credentials too long");
		unsigned char *raw = at_arena_alloc(a, in_len + 1);
		if (sodium_base642bin(raw, in_len, b64, in_len, " ", &out_len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0)
			return unauthorized(err, "malformed Basic credentials");
		raw[out_len] = '\0';
		char *colon = memchr(raw, ':', out_len);
		if (colon == NULL || memchr(raw, '\0', out_len) != NULL)
			return unauthorized(err, "malformed Basic credentials");
		*colon = '\0';
		return as_auth_password(s, a, (const char *)raw, colon + 1, now, user_r, err);
	}
	return unauthorized(err, "unsupported authentication scheme (use Basic or Bearer)");
}

static int store_password(as_store *s, at_arena *a, const as_user *user, const char *new_pw,
			  const char *keep_token_hash, at_error *err)
{
	const char *hash = as_password_hash(a, new_pw, err);
	if (hash == NULL)
		return -1;
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->user_set_password(s, user->id, hash, err) < 0 ||
	    s->ops->token_delete_user(s, user->id, keep_token_hash, err) < 0 ||
	    s->ops->commit(s, err) < 0) {
		s->ops->rollback(s);
		return -1;
	}
	cache_forget_user(user->id);
	at_info("auth", "password changed for \"%s\"", user->login);
	return 0;
}

int as_auth_change_password(as_store *s, at_arena *a, const as_user *user,
			    const char *old_pw, const char *new_pw,
			    const char *keep_token_hash, const char **strength_r,
			    at_error *err)
{
	/* guesses of the old password count as failed logins, so a stolen
	 * token cannot be used to try passwords without limit */
	int64_t now = (int64_t)time(NULL);
	int count = 0;
	if (s->ops->begin(s, false, err) < 0)
		return -1;
	int rc = check_lock(s, user->login, now, &count, err);
	s->ops->rollback(s);
	if (rc < 0)
		return -1;
	if (strlen(old_pw) > AT_PASSWORD_MAX ||
	    crypto_pwhash_str_verify(user->pw_hash, old_pw, strlen(old_pw)) != 0) {
		fail_login(s, user->login, count + 1, now, err);
		return at_error_set(err, AT_E_WRONG_PASSWORD, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "oldPassword", "the old password is wrong");
	}
	if (check_new_password(new_pw, user->login, strength_r, err) < 0)
		return -1;
	return store_password(s, a, user, new_pw, keep_token_hash, err);
}

int as_auth_set_password(as_store *s, at_arena *a, const char *login,
			 const char *new_pw, at_error *err)
{
	as_user u;
	bool found;
	if (check_new_password(new_pw, login, NULL, err) < 0)
		return -1;
	if (s->ops->begin(s, false, err) < 0)
		return -1;
	int rc = s->ops->user_get_by_login(s, login, a, &u, &found, err);
	s->ops->rollback(s);
	if (rc < 0)
		return -1;
	if (!found)
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "login", "no user with login \"%s\"", login);
	if (u.kind != NULL && strcmp(u.kind, AS_KIND_RESOURCE) == 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "login", "\"%s\" is a resource: it has no password", login);
	return store_password(s, a, &u, new_pw, NULL, err);
}
