/* server_fixture.h — shared setup for the server unit tests.
 *
 * A fixture is a temporary directory holding a fresh SQLite store, and
 * (optionally) two users, alice and bob, made with as_account_create (each
 * with the default Contacts/Calendar/Tasks folders).  Helpers find a user's
 * default folder through the store interface, call the sync functions
 * directly or any method through as_api_batch, and remove everything on
 * teardown.  Argon2id costs ~0.1 s per hash: each fixture with users costs
 * two hashes, so tests create no more users than they need.
 *
 * Ownership: the fixture owns its store, its arena (users and helper strings
 * live there until teardown) and its directory.  JSON returned by the call
 * helpers is a new reference owned by the caller. */
#ifndef AS_SERVER_FIXTURE_H
#define AS_SERVER_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>

#include "api.h"
#include "auth.h"
#include "store.h"
#include "sync.h"

#define FX_ALICE_PASSWORD "Alice-Secret:2024"
#define FX_BOB_PASSWORD "Bob-Passphrase-77"

typedef struct fx {
	char dir[256];
	as_store *store;
	at_arena *arena;
	const as_user *alice, *bob;      /* NULL without users */
	const char *alice_contacts, *bob_contacts;
} fx;

#define check(cond, ...) \
	do { \
		if (!(cond)) \
			fail_msg(__VA_ARGS__); \
	} while (0)

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* SQL turning a database back to schema version 11 (no time index of
 * appointments). */
#define FX_UNDO_SCHEMA_V12 \
	"DROP TRIGGER items_spans_insert; DROP TRIGGER items_spans_update;" \
	" DROP TRIGGER items_spans_delete; DROP TABLE appt_spans; PRAGMA user_version = 11;"

/* SQL turning a database back to schema version 10 (blobs without the
 * time they were last asked for). */
#define FX_UNDO_SCHEMA_V11 \
	FX_UNDO_SCHEMA_V12 " ALTER TABLE blobs DROP COLUMN touched; PRAGMA user_version = 10;"

/* SQL turning a database back to schema version 9 (lists not in the search
 * index; the triggers of v10 stay, the migration replaces them). */
#define FX_UNDO_SCHEMA_V10 \
	FX_UNDO_SCHEMA_V11 " DELETE FROM contact_fts WHERE rowid IN (SELECT d.docid FROM search_docs d" \
	" JOIN items i ON i.id = d.item_id WHERE i.type = 'distributionList');" \
	" DELETE FROM search_docs WHERE item_id IN" \
	" (SELECT id FROM items WHERE type = 'distributionList'); PRAGMA user_version = 9;"

/* SQL turning a database back to schema version 8 (before the blob
 * store's tables). */
#define FX_UNDO_SCHEMA_V9 \
	FX_UNDO_SCHEMA_V10 " DROP TRIGGER items_blobs_insert; DROP TRIGGER items_blobs_update;" \
	" DROP TRIGGER items_blobs_delete; DROP TABLE blob_refs; DROP TABLE blob_uploads;" \
	" DROP TABLE blobs; PRAGMA user_version = 8;"

/* SQL turning a database back to schema version 7 (before resources and
 * invitations). */
#define FX_UNDO_SCHEMA_V8 \
	FX_UNDO_SCHEMA_V9 " ALTER TABLE users DROP COLUMN resource_type;" \
	" ALTER TABLE users DROP COLUMN kind; PRAGMA user_version = 7;"

/* SQL turning a database back to schema version 6 (before the index of
 * list references). */
#define FX_UNDO_SCHEMA_V7 \
	FX_UNDO_SCHEMA_V8 " DROP TRIGGER items_lists_insert; DROP TRIGGER items_lists_update;" \
	" DROP TRIGGER items_lists_delete; DROP TABLE list_refs; PRAGMA user_version = 6;"

/* SQL turning a database back to schema version 5 (before the mail queue
 * and the task alarms). */
#define FX_UNDO_SCHEMA_V6 \
	FX_UNDO_SCHEMA_V7 " DROP TRIGGER items_alarms_insert; DROP TRIGGER items_alarms_update;" \
	" DROP TRIGGER items_alarms_delete; DROP TABLE mail_queue;" \
	" DROP TABLE task_alarms; DROP TABLE alarms_sent; PRAGMA user_version = 5;"

/* SQL turning a database back to schema version 4 (before the search index
 * and the Global Address Book), for tests of older migrations: run it
 * before dropping the objects of older versions. */
#define FX_UNDO_SCHEMA_V5 \
	FX_UNDO_SCHEMA_V6 " DROP TRIGGER items_search_insert; DROP TRIGGER items_search_delete;" \
	" DROP TRIGGER items_search_update; DROP TABLE contact_fts;" \
	" DROP TABLE search_docs; DROP TABLE directory_entries;" \
	" DELETE FROM items WHERE folder_id = 'gab';" \
	" DELETE FROM folder_grants WHERE folder_id = 'gab';" \
	" DELETE FROM folders WHERE id = 'gab'; PRAGMA user_version = 4;"

/* cmocka setup/teardown: *state becomes a fx *. */
int fx_setup_empty(void **state);   /* store only */
int fx_setup_users(void **state);   /* store + alice + bob */
int fx_teardown(void **state);

/* Closes and reopens the store (same directory). */
void fx_reopen(fx *f);

/* Id of the user's default folder of a module (fixture arena). */
const char *fx_default_folder(fx *f, const as_user *u, at_module module);

/* A context for calling sync.h functions as user u (token_hash may be NULL). */
as_ctx fx_ctx(fx *f, const as_user *u, const char *token_hash);

/* Calls one method through as_api_batch as user u.  Returns the method's
 * result object (new reference), or NULL with *err filled from an "error"
 * answer. */
json_t *fx_call(fx *f, const as_user *u, const char *token_hash, const char *method,
		json_t *args /* stolen */, at_error *err);

/* Item/sync as user u through as_item_sync; since may be NULL, window 0 means
 * the default, policy NULL the default, changes (stolen) may be NULL.  Fails
 * the test on a method-level error unless err is given. */
json_t *fx_sync(fx *f, const as_user *u, const char *folder, const char *since,
		unsigned window, const char *policy, json_t *changes, at_error *err);

/* {"create":[{"clientId":cid,"fields":fields}]} (fields stolen) */
json_t *fx_create(const char *client_id, json_t *fields);
/* {"update":[{"id":..,"baseVersion":..,"fields":..}]} (fields stolen) */
json_t *fx_update(const char *id, int64_t base, json_t *fields);
/* {"delete":[{"id":..,"baseVersion":..}]} */
json_t *fx_delete(const char *id, int64_t base);

/* results[i] of an Item/sync answer. */
json_t *fx_result(json_t *answer, size_t i);
/* Item/list as u: number of items, or -1 on error (err filled). */
int fx_count(fx *f, const as_user *u, const char *folder);
/* Item/get of one id as u: the item (new reference) or NULL if not found. */
json_t *fx_get(fx *f, const as_user *u, const char *folder, const char *id);

const char *fx_str(json_t *o, const char *key);
int64_t fx_int(json_t *o, const char *key);

/* Writes text to NAME in the fixture directory; returns the path (fixture
 * arena). */
const char *fx_write_file(fx *f, const char *name, const char *text);

#endif
