/* hooks.h — what else a write of an item of some type does: the per-type
 * hooks of the Item/sync write path.
 *
 * sync.c stays generic: for each create, update and delete it looks up the
 * hooks of the item's type (its table names every hooked type: tasks.h,
 * lists.h) and calls them inside the Item/sync write transaction, with the
 * caller's context (user, arena, store), so that everything a write causes
 * carries the same modseq and is committed or rolled back with it.
 * Item-level problems are refused in the item's result; store failures
 * abort the call as any other.  Writes the hooks make to other items are
 * not part of the caller's folder echo suppression: their owners get them
 * by their next Item/sync (and push, which watches the modseq).
 *
 * Ownership: hooks borrow everything they are given; as_item_write.state
 * is a JSON reference owned by the write (sync.c releases it). */
#ifndef AS_HOOKS_H
#define AS_HOOKS_H

#include <jansson.h>
#include <stdint.h>

#include "error.h"
#include "store.h"
#include "sync.h"

/* One write of an item through Item/sync, as the hooks of its type see it. */
typedef struct as_item_write {
	as_ctx *ctx;              /* the caller: store (in the write
				   * transaction), arena, user */
	const as_folder *folder;  /* the folder of the item */
	int64_t modseq;           /* the transaction's */
	json_t *old;              /* the stored fields before the write; NULL
				   * for a create */
	json_t *sent;             /* the fields of the client that were
				   * applied (a new item: all of them; an update:
				   * the merged patch fields, null = removed) */
	as_item *item;            /* the item about to be written: id,
				   * folder_id, created_by, fields (merged),
				   * field_versions */
	json_t *state;            /* the hooks' own, from before_write to
				   * after_write; NULL until set; owned here */
	bool ignore_conflicts;    /* the change's "ignoreConflicts" */
	json_t *error_extra;      /* before_write refusing: members added to
				   * the error object of the result (such as
				   * "conflicts"); NULL or owned here */
} as_item_write;

/* The hooks of one item type; each may be NULL.
 *
 * filter_sent: what a client sent (a new item, or a patch), before it is
 *   checked or merged; stored: the stored fields (NULL for a create).
 * before_write: after the merge, before the item is checked whole and
 *   written; may change w->item (fields and field_versions) but writes
 *   nothing.  Returns 0, 1 when the write is refused (ie filled, scope
 *   item), -1 on a store failure (err).
 * after_write: after the item was checked whole, right before its own
 *   put (so it may still complete w->item's fields); writes the items the
 *   write causes.  0, or -1 on a store failure.
 * after_delete: after item (its last state) was deleted.  0 or -1. */
typedef struct as_item_hooks {
	const char *type;
	void (*filter_sent)(json_t *sent, json_t *stored);
	int (*before_write)(as_item_write *w, at_error *ie, at_error *err);
	int (*after_write)(as_item_write *w, at_error *err);
	int (*after_delete)(as_ctx *ctx, const as_item *item, at_error *err);
} as_item_hooks;

#endif
