/* engine.h — the sync engine: local store <-> server, both directions.
 *
 * One ac_engine_sync() call is one sync: it reads the session (limits),
 * brings the folder tree up to date (Folder/sync), then runs item sync
 * rounds.  Each round is ONE request holding one Item/sync call per folder
 * that still has work (every folder in the first round; later only folders
 * with moreAvailable or unsent local changes): round robin across folders,
 * as docs/protocol.md §Item/sync describes.  Each call carries the folder's
 * pending local changes (creates with clientId and all fields, updates as a
 * patch of the fields that differ from the base with the base version,
 * deletes with the base version), at most maxChangesInSync of them.  Each
 * folder's answer is applied in one store transaction: the results of our
 * changes, then the server's changes, then the new token.
 *
 * Conflicts never lose data: losing versions go to the Sync Issues; server
 * changes to an item with unsent local edits are merged field by field.  An
 * item the server refused keeps its typed error and is not sent again until
 * the user edits it (a temporary error is retried by the next sync).  A
 * folder whose token is too old (cannotCalculateChanges) is reconciled with
 * Item/list and Item/get without duplicates and without losing unsent
 * changes.  A method-level error of one folder is stored as that folder's
 * error; the other folders continue.
 *
 * The engine knows nothing of HTTP: it talks through an ac_transport.
 * A failure of the transport (server unreachable, account refused) stops
 * the sync and is returned; everything applied before stays applied, and
 * the next sync resumes (a create whose answer was lost is sent again with
 * the same clientId, which the server recognises).
 *
 * Ownership: the engine borrows the store and the transport for the call. */
#ifndef AC_ENGINE_H
#define AC_ENGINE_H

#include <stdint.h>

#include "error.h"
#include "protocol.h"
#include "store.h"
#include "transport.h"

/* Progress: items done (sent + received), total when known (else 0). */
typedef void (*ac_progress_fn)(void *arg, uint64_t done, uint64_t total);

#define AC_ENGINE_MAX_ROUNDS 100000

typedef struct ac_engine_options {
	unsigned window;          /* windowSize; 0 = AT_DEFAULT_WINDOW */
	at_policy policy;         /* conflictPolicy; default server */
	ac_progress_fn progress;  /* may be NULL */
	void *progress_arg;
	unsigned max_rounds;      /* 0 = AC_ENGINE_MAX_ROUNDS */
	/* Folders to sync, by id, name or display name; NULL = all.  Folders
	 * left out keep their items and local changes for a later sync. */
	char *const *folders;
	size_t n_folders;
} ac_engine_options;

typedef struct ac_sync_stats {
	unsigned folders;         /* folders whose items were synced */
	unsigned folder_errors;   /* folders that failed with a typed error */
	uint64_t received;        /* server changes applied */
	uint64_t sent;            /* local changes the server acknowledged */
	uint64_t errors;          /* item errors stored in this sync */
	uint64_t issues;          /* Sync Issues stored in this sync */
	unsigned rounds;          /* item sync rounds */
	unsigned requests;        /* POST /api requests */
} ac_sync_stats;

/* opts may be NULL (defaults).  stats_r may be NULL. */
int ac_engine_sync(ac_store *store, const ac_transport *transport,
		   const ac_engine_options *opts, ac_sync_stats *stats_r, at_error *err);

/* Brings the local folder tree up to date (Folder/sync) without syncing
 * items: for the commands that change folders online.  A folder the
 * server removed goes, its unsent local changes into the Sync Issues. */
int ac_engine_sync_folders(ac_store *store, const ac_transport *transport, at_error *err);

/* Sends one method call on its own and returns its arguments (new
 * reference); a method-level error becomes err.  For commands outside the
 * sync (Account/changePassword). */
int ac_engine_call(const ac_transport *transport, const char *method, json_t *args,
		   json_t **result_r, at_error *err);

#endif
