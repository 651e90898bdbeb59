/* move.h — Item/move: items (a whole recurring series, a delegated task, a
 * contact) go to another folder of the same module, keeping their ids
 * (docs/protocol.md §6, Item/move).
 *
 * The manual's server could not move a series between folders; here a move
 * is one store operation (store.h item_move): the item keeps its id, fields
 * and per-field versions, the old folder's changes list it as removed and
 * the new folder's as changed, at one modseq.  References by id (task
 * copies, invitations, list members) keep working.  Rights: deleting the
 * item in the source folder and creating in the target. */
#ifndef AS_MOVE_H
#define AS_MOVE_H

#include <jansson.h>

#include "error.h"
#include "sync.h"

#define AS_MOVE_MAX_IDS 512

json_t *as_item_move(as_ctx *ctx, json_t *args, at_error *err);

#endif
