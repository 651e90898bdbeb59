/* auth.h — accounts and authentication: password hashing, login with
 * throttling, bearer tokens, HTTP Basic, password change.
 *
 * Passwords are stored as Argon2id strings (libsodium crypto_pwhash_str);
 * bearer tokens are 32 random bytes handed to the client once and stored only
 * as a BLAKE2b hash.  Failed logins are throttled per login name in the store
 * (so every server node sees the same count): after AS_AUTH_FREE_FAILURES
 * consecutive failures each attempt waits 2^(n-free) seconds, at most
 * AS_AUTH_MAX_LOCK.  A verified Basic credential is cached in memory (keyed
 * hash, short TTL) so that Basic clients do not pay Argon2id per request.
 * The clock is passed in (now, unix seconds) so tests can drive it. */
#ifndef AS_AUTH_H
#define AS_AUTH_H

#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "store.h"

#define AS_AUTH_FREE_FAILURES 5
#define AS_AUTH_MAX_LOCK 900
#define AS_TOKEN_TTL (90 * 24 * 3600)
#define AS_TOKEN_CHARS 64              /* hex of 32 bytes */

int as_auth_init(void);

/* Hash for storage (into an arena string). */
const char *as_password_hash(at_arena *a, const char *password, at_error *err);

/* Creates a user with default folders (Contacts, Calendar, Tasks) and an
 * entry in the Global Address Book (gab.h) in one transaction.  The
 * password must not be weak. */
int as_account_create(as_store *s, at_arena *a, const char *login, const char *name,
		      const char *email, const char *password, const as_user **user_r,
		      at_error *err);

/* Creates a resource (kind "room" or "equipment"; NULL: room): a
 * principal with a default Calendar and a Global Address Book entry that
 * takes bookings (invitations.h) and cannot log in. */
int as_resource_create(as_store *s, at_arena *a, const char *login, const char *name,
		       const char *email, const char *kind, const as_user **user_r,
		       at_error *err);

/* Checks login/password with throttling (a resource never passes).  On success *user_r is filled. */
int as_auth_password(as_store *s, at_arena *a, const char *login, const char *password,
		     int64_t now, as_user *user_r, at_error *err);

/* Login: as_auth_password, then a new token (hex, into the arena). */
int as_auth_login(as_store *s, at_arena *a, const char *login, const char *password,
		  int64_t now, as_user *user_r, const char **token_r, int64_t *expires_r,
		  at_error *err);
int as_auth_logout(as_store *s, const char *token, at_error *err);

/* Resolves an Authorization header value ("Basic ..." or "Bearer ...").
 * *token_hash_r (may be NULL) receives the stored hash for bearer auth. */
int as_auth_header(as_store *s, at_arena *a, const char *header, int64_t now,
		   as_user *user_r, const char **token_hash_r, at_error *err);

/* Account/changePassword: checks old, rates new (weak refused), stores, and
 * revokes every token of the user except keep_token_hash. */
int as_auth_change_password(as_store *s, at_arena *a, const as_user *user,
			    const char *old_pw, const char *new_pw,
			    const char *keep_token_hash, const char **strength_r,
			    at_error *err);

/* Admin: set a password without the old one (still refuses weak ones). */
int as_auth_set_password(as_store *s, at_arena *a, const char *login,
			 const char *new_pw, at_error *err);

#endif
