/* store.h — the connector's local offline store (SQLite).
 *
 * Holds everything the connector knows between runs: the folder tree with
 * each folder's sync token, every item in two states (the local current
 * fields and the base fields last acknowledged by the server) with its
 * pending state (synced, created, modified, deleted) and the server's error
 * for it, the Sync Issues (losing versions of conflicts, never thrown away)
 * and a few meta values (last sync time, folder tree token, session limits).
 *
 * Durability: WAL with synchronous=FULL, so a command that returned has its
 * change on disk and survives kill -9.  Every user command (add, edit,
 * delete) is one transaction.  The sync engine groups its writes with
 * ac_store_begin()/ac_store_commit(); these nest (only the outermost pair
 * touches the database; a failure inside makes the outermost commit roll
 * back).  The schema is versioned (PRAGMA user_version) and migrated on
 * open.  A second process (a CLI edit during a sync) waits for the lock.
 *
 * Items are addressed by their local id (random, shown to the user and used
 * as the create's clientId) or by their server id.  folder_id "" stands for
 * "the default folder of the module", for items created offline before the
 * first sync; the engine assigns it once the folder tree is known.
 *
 * Ownership: the caller owns the store (ac_store_close()), items
 * (ac_item_free()), lists (ac_item_list_free(), ac_folder_list_free()) and
 * every json_t * returned through an _r parameter.  json_t * arguments are
 * borrowed. */
#ifndef AC_STORE_H
#define AC_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "error.h"
#include "model.h"

#define AC_STORE_SCHEMA_VERSION 3
#define AC_TYPE_SIZE 32
/* Largest JSON text read back from one column. */
#define AC_STORE_JSON_MAX (4u * 1024 * 1024)

typedef struct ac_store ac_store;

typedef enum ac_item_state {
	AC_STATE_SYNCED = 0,  /* equal to the server's version */
	AC_STATE_CREATED,     /* made offline, not yet acknowledged */
	AC_STATE_MODIFIED,    /* edited offline */
	AC_STATE_DELETED,     /* deleted offline, delete not yet acknowledged */
} ac_item_state;

typedef struct ac_item {
	char local_id[AC_ID_SIZE];
	char server_id[AC_ID_SIZE];  /* "" until the server acknowledged it */
	char client_id[AC_ID_SIZE];  /* clientId of its create; "" if made elsewhere */
	char folder_id[AC_ID_SIZE];  /* "" = default folder, not known yet */
	char type[AC_TYPE_SIZE];     /* "contact" */
	int64_t version;             /* server version the local copy is based on */
	json_t *fields;              /* local current state, never NULL */
	json_t *base_fields;         /* last server state; NULL before the first ack */
	ac_item_state state;
	json_t *error;               /* NULL, or the server's typed error (wire form) */
	bool error_retry;            /* error was temporary: resend in a later sync */
	int64_t error_run;           /* sync run that stored the error */
	int64_t rev;                 /* bumped by every local change */
	bool sent;                   /* its create has been sent at least once */
	/* Send its pending change (create or update) with "ignoreConflicts":
	 * an appointment written although a person is busy then.  It belongs
	 * to the pending change: cleared when the server has answered that
	 * change, never kept on a synced item (schema version 3). */
	bool ignore_conflicts;
} ac_item;

typedef struct ac_item_list {
	ac_item **v;
	size_t n;
} ac_item_list;

typedef struct ac_folder {
	char id[AC_ID_SIZE];
	json_t *json;   /* the server's folder object */
	char *token;    /* Item/sync token, NULL before the first sync */
	bool more;      /* the server had moreAvailable */
	json_t *error;  /* NULL or the folder's last typed error */
} ac_folder;

typedef struct ac_folder_list {
	ac_folder *v;
	size_t n;
} ac_folder_list;

int ac_store_open(const char *path, ac_store **store_r, at_error *err);
void ac_store_close(ac_store **store);

int ac_store_begin(ac_store *store, at_error *err);
int ac_store_commit(ac_store *store, at_error *err);
void ac_store_rollback(ac_store *store);

/* *value_r is NULL when the key is absent.  value NULL deletes the key. */
int ac_store_meta_get(ac_store *store, const char *key, char **value_r, at_error *err);
int ac_store_meta_set(ac_store *store, const char *key, const char *value, at_error *err);

/* --- folders -------------------------------------------------------------- */
int ac_store_folders(ac_store *store, ac_folder_list *list_r, at_error *err);
void ac_folder_list_free(ac_folder_list *list);
/* Inserts or updates a folder's description; keeps its token and state. */
int ac_store_folder_put(ac_store *store, json_t *folder, at_error *err);
/* Removes a folder and its items.  Unsent local changes are kept as Sync
 * Issues (reason "folderRemoved"). */
int ac_store_folder_remove(ac_store *store, const char *id, at_error *err);
int ac_store_folder_set_sync(ac_store *store, const char *id, const char *token,
			     bool more, at_error *err);
/* error NULL clears it. */
int ac_store_folder_set_error(ac_store *store, const char *id, json_t *error,
			      at_error *err);
/* The user's default private folder of module m; id_r "" when not known. */
int ac_store_default_folder(ac_store *store, at_module m, char id_r[AC_ID_SIZE],
			    at_error *err);
/* A folder by id, name or display name; notFound when none matches and
 * invalidArguments when a name matches several. */
int ac_store_find_folder(ac_store *store, const char *id_or_name,
			 char id_r[AC_ID_SIZE], at_error *err);
/* Moves items of folder "" into folder id. */
int ac_store_assign_default_folder(ac_store *store, const char *id, at_error *err);
/* Moves the items of folder "" of one item type into folder id. */
int ac_store_assign_unfiled(ac_store *store, const char *type, const char *id,
			    at_error *err);

/* --- user commands (one transaction each) ---------------------------------- */
/* fields must already be valid (at_model_validate). */
int ac_store_item_add(ac_store *store, const char *folder_id, const char *type,
		      json_t *fields, char local_id_r[AC_ID_SIZE], at_error *err);
/* patch: null removes a field.  Clears a stored error so the item is sent
 * again. */
int ac_store_item_edit(ac_store *store, const char *ref, json_t *patch, at_error *err);
int ac_store_item_delete(ac_store *store, const char *ref, at_error *err);
/* Marks the item's pending change to be sent with ignoreConflicts (and
 * clears a stored error so it is sent again).  invalidArguments when the
 * item has no pending create or update. */
int ac_store_item_ignore_conflicts(ac_store *store, const char *ref, at_error *err);

/* --- reads ------------------------------------------------------------------ */
/* By local id, else by server id; notFound when neither matches. */
int ac_store_item_get(ac_store *store, const char *ref, ac_item **item_r, at_error *err);
/* *item_r NULL when there is none (not an error). */
int ac_store_item_by_server_id(ac_store *store, const char *server_id, ac_item **item_r,
			       at_error *err);
/* Only items the server has not acknowledged yet (server_id ""). */
int ac_store_item_by_client_id(ac_store *store, const char *client_id, ac_item **item_r,
			       at_error *err);
/* Items of a folder (NULL: all), in creation order. */
int ac_store_items(ac_store *store, const char *folder_id, ac_item_list *list_r,
		   at_error *err);
/* Local changes of a folder to send in sync run `run`, at most limit: every
 * item not synced, except those holding an error the user has not answered
 * by an edit (a temporary error is retried in a later run). */
int ac_store_pending(ac_store *store, const char *folder_id, int64_t run, size_t limit,
		     ac_item_list *list_r, at_error *err);
/* Items not synced (all of them, errors included). */
int ac_store_pending_count(ac_store *store, int64_t *n_r, at_error *err);
void ac_item_list_free(ac_item_list *list);

/* --- engine writes (inside the caller's transaction) ------------------------ */
/* Inserts or replaces the item's row (by local id). */
int ac_store_item_put(ac_store *store, const ac_item *item, at_error *err);
int ac_store_item_remove(ac_store *store, const char *local_id, at_error *err);
/* Keeps a losing version.  fields: the losing field values; detail: more
 * (conflicting field names, policy, error), may be NULL. */
int ac_store_issue_add(ac_store *store, const ac_item *item, json_t *fields,
		       const char *reason, json_t *detail, at_error *err);
/* [{"id","itemId","serverId","folderId","type","fields","reason","detail",
 *   "time"}...] oldest first. */
int ac_store_issues(ac_store *store, json_t **list_r, at_error *err);
int ac_store_issue_count(ac_store *store, int64_t *n_r, at_error *err);
/* Adds to set ({id: true}) every blob id the store references: photo.blobId
 * and attachments[].blobId of every item (its current and its last server
 * version) and of every Sync Issue.  Read in SQL, one row at a time: memory
 * grows with the number of blobs, not of items. */
int ac_store_blob_refs(ac_store *store, json_t *set, at_error *err);
/* Forgets one sync issue (its own transaction); notFound when there is none. */
int ac_store_issue_remove(ac_store *store, int64_t id, at_error *err);

/* --- tables of other modules ----------------------------------------------------
 * A module with tables of its own in the store (the local files mirror,
 * mirror.h: mirror_folders and mirror_files, schema version 2) runs its SQL
 * on this handle, inside ac_store_begin()/ac_store_commit() for writes.  The
 * SQL function ac_hash(v, ...) is registered on it: a hash of its
 * arguments' text (NULL distinct from ""), 32 hex digits.
 * ac_store_hash_hex() hashes one buffer the same way (BLAKE2b-128), without
 * the argument framing: the two are not meant to be compared. */
#define AC_STORE_HASH_SIZE 33  /* 32 hex digits and the NUL */
struct sqlite3;
struct sqlite3 *ac_store_db(ac_store *store);
void ac_store_hash_hex(const void *data, size_t len, char hex_r[AC_STORE_HASH_SIZE]);

/* --- items ------------------------------------------------------------------ */
ac_item *ac_item_new(void);
ac_item *ac_item_copy(const ac_item *item);
void ac_item_free(ac_item **item);
const char *ac_item_state_name(ac_item_state state);
/* What an update of this item sends: fields differing from the base. */
json_t *ac_item_patch(const ac_item *item);
/* {"id","serverId","folderId","type","state","version","fields","error"}, and
 * "ignoreConflicts": true when the pending change goes with it. */
json_t *ac_item_to_json(const ac_item *item);

#endif
