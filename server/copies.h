/* copies.h — copies of an item in other users' folders: the bookkeeping
 * task delegation (tasks.c) and meeting invitations (invitations.c) share.
 *
 * An original (a delegated task, an organizer's appointment) lists its
 * participants.  A user participant may get a copy of it in their default
 * folder of the item's module, made by the server with the client id
 * "<prefix><original id>:<user id>" (made once).  The copy names its
 * original in a back-reference object ("delegator", "invitation") by an id
 * member ("taskId", "appointmentId"); the participant entry names its copy
 * by the same member.  When a copy goes away (its owner deletes it, or it is
 * found gone) the entry loses the members about its copy and is declined.
 *
 * What differs between the two is an as_copy_kind (the names above, the
 * folder module, the refusal of the group everyone) and the callbacks the
 * caller passes; the functions below are the steps they have in common.
 * Everything runs in the caller's write transaction, with the caller's
 * context (store, arena).
 *
 * Ownership: kinds are static tables; every function borrows its
 * arguments.  Strings returned (ids, client ids, texts) live in ctx->arena.
 * An as_item filled here (copy_r, orig_r) is the caller's to release with
 * as_item_clear(), also after a failure.  Functions taking json_t values
 * say when they steal one. */
#ifndef AS_COPIES_H
#define AS_COPIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "mail.h"
#include "model.h"
#include "store.h"
#include "sync.h"

/* A participant entry that is not a group, as as_copies_expand() keeps it
 * (field: "participants[i].login"; self: the owner of the original, or
 * NULL).  0, 1 refused (ie), -1 store failure (err). */
typedef int as_copies_check_fn(as_ctx *ctx, json_t *p, const char *field, const char *self,
			       at_error *ie, at_error *err);

/* What follows when orig's entry of the deleted copy was declined and orig
 * written at modseq (notices).  0 or -1. */
typedef int as_copies_declined_fn(as_ctx *ctx, const as_item *orig, const as_item *copy,
				  int64_t modseq, at_error *err);

typedef struct as_copy_kind {
	const char *type;          /* of originals and copies: "task" */
	at_module module;          /* the copies' folders: the owner's default
				    * one of this module */
	const char *back_ref;      /* the copy's member naming its original:
				    * "delegator" */
	const char *id_member;     /* in back_ref: the original's id; in a
				    * participant entry: its copy's id */
	const char *const *entry_members;  /* an entry's members about its copy
					    * (id_member among them), removed
					    * when it is declined; NULL-ended */
	const char *cid_prefix;    /* of the copies' client ids */
	const char *log;           /* the module name in logs */
	const char *mail_word;     /* how logs name a message: "notice" */
	const char *everyone_refused;  /* why the group everyone is refused
					* (a message ending in ':') */
} as_copy_kind;

/* --- copies and entries ----------------------------------------------------- */

/* Reads the item copy_id into copy_r (NULL: not wanted) and says whether it
 * is the live copy of orig_id.  A NULL copy_id, or one that is not an id,
 * is no item.  *found_r (may be NULL): the item exists.  0 or -1. */
int as_copies_get(as_ctx *ctx, const as_copy_kind *k, const char *copy_id, const char *orig_id,
		  as_item *copy_r, bool *found_r, bool *live_r, at_error *err);

/* Deletes copy_id when it is the live copy of orig_id; *found_r (may be
 * NULL): the item exists; *deleted_r (may be NULL): it was deleted. */
int as_copies_delete(as_ctx *ctx, const as_copy_kind *k, const char *copy_id,
		     const char *orig_id, bool *found_r, bool *deleted_r, at_error *err);

/* The participant entry p names a copy (its id_member): reads it into
 * copy_r (NULL: not wanted); *live_r: it is the live copy of orig_id.
 * When it is not (gone), p is declined as when its owner deletes it (its
 * members about the copy removed, status declined), and the caller's list
 * changed. */
int as_copies_linked(as_ctx *ctx, const as_copy_kind *k, json_t *p, const char *orig_id,
		     as_item *copy_r, bool *live_r, at_error *err);

/* The copy of orig_id for user_id made before: *cid_r its client id,
 * *live_id_r the copy when it is still live, else NULL; then *cid_r is
 * NULL when the client id names a deleted copy (a new one goes without). */
int as_copies_find(as_ctx *ctx, const as_copy_kind *k, const char *orig_id, const char *user_id,
		   const char **cid_r, const char **live_id_r, at_error *err);

/* user_id's default folder of k->module (*id_r NULL when there is none). */
int as_copies_folder(as_ctx *ctx, const as_copy_kind *k, const char *user_id, const char **id_r,
		     at_error *err);

/* Writes a new item id of type k->type in folder_id, created by owner_id
 * with client_id (may be NULL) and fields (borrowed), every field at
 * modseq. */
int as_copies_write_new(as_ctx *ctx, const as_copy_kind *k, const char *id,
			const char *folder_id, const char *owner_id, const char *client_id,
			json_t *fields, int64_t modseq, at_error *err);

/* Field versions of a new item: every member of fields at modseq (a new
 * object). */
json_t *as_copies_versions(json_t *fields, int64_t modseq);

/* The original of copy (about to be written, or deleted) and the entry
 * naming copy in it: *entry_r NULL when there is none (the original gone,
 * the owner withdrawn); orig_r is filled when the original was found. */
int as_copies_original(as_ctx *ctx, const as_copy_kind *k, const as_item *copy,
		       as_item *orig_r, json_t **entry_r, at_error *err);

/* copy was deleted: its owner declined.  The entry naming it in the
 * original is declined (participants at the transaction's modseq), the
 * original written, then `then` runs. */
int as_copies_declined(as_ctx *ctx, const as_copy_kind *k, const as_item *copy,
		       as_copies_declined_fn *then, at_error *err);

/* --- participants ----------------------------------------------------------------- */

/* Group entries of fields' participants become entries of type user for
 * their members (status none, name when known; members listed already
 * and self, may be NULL, left out); the group everyone is refused
 * (k->everyone_refused); other entries are kept after check.  The errors
 * name "participants[i].login".  0, 1 refused (ie), -1 store failure.
 * *expanded_r: the list changed (set in fields). */
int as_copies_expand(as_ctx *ctx, const as_copy_kind *k, json_t *fields, const char *self,
		     as_copies_check_fn *check, bool *expanded_r, at_error *ie, at_error *err);

/* Refuses with invalidField naming field: "<field>: <msg>[ <arg>]".
 * Returns 1 (the hooks' "refused"). */
int as_copies_refuse(at_error *ie, const char *field, const char *msg, const char *arg);

/* --- members ------------------------------------------------------------------------ */

/* Sets member key of o to v (a new reference, stolen; NULL removes); true
 * when it changed. */
bool as_copies_set(json_t *o, const char *key, json_t *v);

/* Copies member key of src into dst (removing it when src has none); true
 * when dst changed. */
bool as_copies_carry(json_t *dst, json_t *src, const char *key);

/* Carries the fields of list (only those named in changed, an object used
 * as a set; all when NULL) from src to item dst's fields, each one that
 * changed at modseq; true when one did. */
bool as_copies_carry_fields(as_item *dst, json_t *src, const char *const *list, json_t *changed,
			    int64_t modseq);

/* --- notices ------------------------------------------------------------------------ */

/* Queues m.  Without an address, or when the mail module refuses it (an
 * address it does not take), it is logged and dropped: it must not refuse
 * the write; store failures return -1 (err). */
int as_copies_mail(as_ctx *ctx, const as_copy_kind *k, const as_mail_msg *m, at_error *err);

/* as_copies_mail() of a plain-text notice. */
int as_copies_notice(as_ctx *ctx, const as_copy_kind *k, const char *to, const char *to_name,
		     const char *subject, const char *text, at_error *err);

/* s for a mail header: "(no subject)" when empty, line breaks and tabs
 * as spaces. */
const char *as_copies_subject(at_arena *a, const char *s);

/* The first AS_COPIES_EXCERPT bytes of fields' notes, cut on a character
 * boundary, "..." when cut; "-" when there are none. */
#define AS_COPIES_EXCERPT 400
const char *as_copies_excerpt(at_arena *a, json_t *fields);

/* *who_r: user_id's "name (login)" for a notice, or unknown when there
 * is no such user.  0 or -1. */
int as_copies_who(as_ctx *ctx, const char *user_id, const char *unknown, const char **who_r,
		  at_error *err);

/* s, or "-" when it is NULL or empty. */
const char *as_copies_or_dash(const char *s);

#endif
