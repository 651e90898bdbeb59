/* folders.h — the folder tree: the Folder/set method (docs/protocol.md §6)
 * and the server setting saying who may create top-level public folders.
 *
 * Folders of the contacts, calendar and tasks modules are created, renamed,
 * moved and deleted here, in the users' private trees and in the public
 * tree.  Access is decided by acl.h; the rules on top of it:
 *
 * - create: at the top of one's own private tree, always; at the top of
 *   the public tree, when the server setting names the user
 *   (as_folders_may_create_public_root); below a folder, with that folder's
 *   "create subfolders" right.  A subfolder takes its parent's module, type
 *   and owner (one created in another user's folder belongs to that user's
 *   tree) and starts with a copy of its parent's grants.  Whoever creates a
 *   folder that is not their own private folder gets Owner on it through a
 *   grant: the creator of a public folder is its first admin.
 * - rename, move, delete: admin of the folder (at_acl_may_manage_folder);
 *   delete needs it on every folder of the subtree.  A move also needs
 *   "create subfolders" on the new parent, which must be in the same tree
 *   (same type and owner), of the same module, and not the folder itself or
 *   one of its subfolders.  Only the owner puts a folder at the top of a
 *   private tree; the top of the public tree follows the server setting.
 * - a user's default folders cannot be renamed, moved or deleted
 *   (defaultFolder).
 * - names are 1-255 characters without control characters, unique among
 *   their siblings ignoring ASCII case (alreadyExists); trees are at most
 *   AS_FOLDER_MAX_DEPTH levels deep.
 * - deleting removes the subtree with every item in it.  Each folder is in
 *   the removed list of the next Folder/sync of its owner (folder
 *   tombstone) and of every other user who could see it (access
 *   tombstones).
 *
 * Changes of one Folder/set call are applied in one transaction, in order
 * (creates, updates, deletes); a refused entry gets an error result and the
 * others still apply.  Creates are idempotent by clientId. */
#ifndef AS_FOLDERS_H
#define AS_FOLDERS_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "sync.h"

#define AS_FOLDERS_MAX_CHANGES 256     /* create + update + delete entries */
#define AS_FOLDER_MAX_DEPTH 64         /* levels from the top of a tree */
#define AS_FOLDERS_CREATORS_MAX 1024   /* length of the setting */

/* The public_folder_creators setting: "everyone" (the default), "nobody",
 * or logins and @groups separated by commas or spaces ("alice, @staff"). */
bool as_folders_creators_valid(const char *spec);
/* Sets the process-wide setting (at start, before serving). */
int as_folders_set_public_creators(const char *spec, at_error *err);
/* May the requesting user create folders at the top of the public tree?
 * Inside a transaction. */
int as_folders_may_create_public_root(as_ctx *ctx, bool *may_r, at_error *err);

json_t *as_folder_set(as_ctx *ctx, json_t *args, at_error *err);

#endif
