/* sync.h — the server side of the sync protocol, independent of HTTP.
 *
 * Implements the folder and item methods of docs/protocol.md on top of the
 * store interface: Folder/sync, Item/sync (client changes and server changes
 * in one call, windows, tokens, idempotent creates, field-level merge with a
 * conflict policy), Item/list and Item/get.  Every access question is asked
 * of acl.h, with the folder's grants and the user's groups from the store.  Each function takes the method's arguments and returns the
 * method's result object (a new reference), or NULL with err set for a
 * method-level error.  Per-item errors are inside the result. */
#ifndef AS_SYNC_H
#define AS_SYNC_H

#include <jansson.h>

#include "arena.h"
#include "error.h"
#include "store.h"

typedef struct as_ctx {
	as_store *store;
	at_arena *arena;         /* per request */
	const as_user *user;
	const char *token_hash;  /* bearer token of the request, or NULL */
} as_ctx;

/* Rights of user_id (member of groups) on folder f, from its grants
 * (acl.h decides).  Inside a transaction. */
int as_user_rights(as_ctx *ctx, const char *user_id, const char *const *groups,
		   size_t n_groups, const as_folder *f, at_rights *rights_r, at_error *err);
/* The requesting user's rights on f. */
int as_folder_rights(as_ctx *ctx, const as_folder *f, at_rights *rights_r, at_error *err);
/* Loads a folder the requesting user may see, with the user's rights;
 * notFound or forbidden (scope folder, field folderId) otherwise. */
int as_load_folder(as_ctx *ctx, const char *id, as_folder *f_r, at_rights *rights_r,
		   at_error *err);

/* The protocol's folder object of f as the requesting user sees it (type
 * shared and "Owner – Name" for another user's private folder), with the
 * user's rights; *o_r is a new reference. */
int as_folder_to_json(as_ctx *ctx, const as_folder *f, const at_rights *rights, json_t **o_r,
		      at_error *err);

json_t *as_folder_sync(as_ctx *ctx, json_t *args, at_error *err);
/* Checks that args holds only the allowed members (NULL-terminated) and a
 * valid folderId, which it returns; NULL with invalidArguments otherwise. */
const char *as_folder_id_arg(json_t *args, const char *const *allowed, at_error *err);
json_t *as_item_sync(as_ctx *ctx, json_t *args, at_error *err);
json_t *as_item_list(as_ctx *ctx, json_t *args, at_error *err);
json_t *as_item_get(as_ctx *ctx, json_t *args, at_error *err);

#endif
