/* tasks.h — what atriumd does when a task is written through Item/sync:
 * coherence of status, % complete and date completed, the next occurrence
 * of a completed series, and delegation (the assignees' copies, their
 * answers and progress flowing back).  The rules themselves are
 * libatrium's (task.h); this module applies them to the store.  The
 * bookkeeping of copies it shares with invitations is copies.h's.
 *
 * It plugs into the write path of sync.c through a per-type table of hooks
 * (as_item_hooks, below), so that Item/sync stays generic: sync.c looks up
 * the hooks of an item's type and calls them inside the Item/sync write
 * transaction, with the caller's context (user, arena, store), so that
 * everything a write causes carries the same modseq.  Item-level problems
 * (an unknown assignee) are refused in the item's result; store failures
 * abort the call as any other.
 *
 * What the task hooks do (docs/protocol.md, "Tasks: series and
 * delegation"):
 *   - filter_sent: the server-only fields (delegator, participants'
 *     taskId/taskStatus/percentComplete) are taken from the stored item,
 *     never from the client (at_task_strip_server_fields);
 *   - before_write: at_task_normalize (field versions of what it changed
 *     are bumped); a series going from not completed to completed loses its
 *     rule and its next occurrence is computed (at_task_next) and checked;
 *     group participants are expanded into their members; unknown users or
 *     groups are refused naming participants[i].login; an assignee's copy
 *     (a task with `delegator`) may not change participants (refused);
 *   - after_write: the next occurrence is created in the same folder
 *     (created_by and the client id "atrium-next:<completed id>" make it
 *     exactly once); every assignee without a copy gets one in their
 *     default tasks folder (client id "atrium-copy:<original>:<user id>"),
 *     removed assignees lose theirs, content changes reach every copy; on a
 *     copy, the assignee's answer and progress are written into the
 *     delegator's participants; notices are queued with as_mail_enqueue();
 *   - after_delete: deleting the original deletes its copies; deleting a
 *     copy declines it.
 * Writes to other items are not part of the caller's folder echo
 * suppression: their owners get them by their next Item/sync (and push,
 * which watches the modseq).
 *
 * The hook interface (as_item_write, as_item_hooks) is hooks.h's. */
#ifndef AS_TASKS_H
#define AS_TASKS_H

#include <jansson.h>
#include <stdint.h>

#include "error.h"
#include "hooks.h"
#include "store.h"
#include "sync.h"

/* Client ids the server gives the items it makes; a client's create with
 * one of these prefixes is refused unless it is the replay of an existing
 * item (then the item comes back as any replay). */
#define AS_TASK_NEXT_CID_PREFIX "atrium-next:"
#define AS_TASK_COPY_CID_PREFIX "atrium-copy:"

extern const as_item_hooks as_task_hooks;

#endif
