/* perms.h — folder permissions: the Folder/getPermissions and
 * Folder/setPermissions methods (docs/protocol.md §6) and the one way grants
 * change.
 *
 * A folder's permission list is its owner (a private folder's owner always
 * holds Owner rights) and its grants to users and groups.  Changing grants
 * goes through as_perms_apply(), which keeps the rest of the system right in
 * the same transaction: the folder's version is bumped (every viewer's
 * Folder/sync lists it as updated) and every user who could see the folder
 * before and cannot after gets an access tombstone (the folder is in that
 * user's Folder/sync removed).  Access itself is decided by acl.h only. */
#ifndef AS_PERMS_H
#define AS_PERMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "acl.h"
#include "error.h"
#include "store.h"
#include "sync.h"

#define AS_PERMS_MAX_CHANGES 256   /* set + remove entries in one call */

typedef struct as_perm_change {
	const char *principal_id;
	bool is_group;
	bool remove;           /* else: set the grant to rights */
	at_rights rights;
} as_perm_change;

/* Inside a write transaction: applies the changes to folder f's grants, then
 * bumps the folder's version and writes the access tombstones (see above).
 * Changes that change nothing (same rights, removing a missing grant) are
 * skipped; *changed_r (may be NULL) tells whether anything changed.  Checks
 * nothing about who asks: callers do. */
int as_perms_apply(as_ctx *ctx, const as_folder *f, const as_perm_change *changes,
		   size_t n_changes, bool *changed_r, at_error *err);

json_t *as_folder_get_permissions(as_ctx *ctx, json_t *args, at_error *err);
json_t *as_folder_set_permissions(as_ctx *ctx, json_t *args, at_error *err);

#endif
