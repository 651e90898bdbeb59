/* store.h — the server's storage interface: a table of functions.
 *
 * The sync engine, the API and the admin commands talk to storage only
 * through as_store_ops, so SQLite (store_sqlite.c, the default) and
 * PostgreSQL backends are interchangeable.  Semantics every backend keeps:
 *
 * - One modification sequence (modseq) for the whole database.  The first
 *   write of a write transaction bumps it once; every row written in that
 *   transaction carries the same value.  Change order is (modseq, id).
 * - Deleting an item leaves a tombstone (id, folder, modseq, time) so that
 *   clients learn of the deletion; tombstones older than the horizon are
 *   purged and tokens older than the horizon cannot be answered.  Deleting
 *   a folder drops its items without item tombstones (the folder goes) and
 *   leaves a folder tombstone for its owner; folder and access tombstones
 *   are purged with item tombstones and raise the same horizon, which
 *   Folder/sync tokens are checked against too.
 * - Items keep a per-field modseq (field_versions) for field-level merge.
 * - A committed write survives kill -9 (SQLite: WAL, synchronous=FULL).
 * - Folder permissions are grants (folder, principal, rights) to a user or a
 *   group; the store keeps them and never decides access itself (acl.h
 *   does).  A grant remembers the modseq it was first written at, a group
 *   membership the modseq it was made at, so that Folder/sync can tell when
 *   a user's access to a folder began.  When a user loses sight of a folder
 *   (a revoke) an access tombstone (user, folder, modseq) says so.
 * - Prepared statements only.
 *
 * Ownership: records filled by the store borrow strings from the arena given
 * to the call; json_t members are new references owned by the caller (they
 * are freed by as_item_clear()).  The store handle is owned by the caller of
 * as_store_open_*() and released with as_store_close(). */
#ifndef AS_STORE_H
#define AS_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "acl.h"
#include "arena.h"
#include "error.h"
#include "model.h"
#include "protocol.h"

#define AS_ID_HEX_BYTES 12            /* ids are 24 hex characters */
#define AS_LOGIN_MAX 64
#define AS_NAME_MAX 256
#define AS_EMAIL_MAX 320

typedef struct as_store as_store;

/* A principal's kind: a user, or a resource (a room or equipment) that
 * has a calendar and takes bookings but cannot log in (invitations.h). */
#define AS_KIND_USER "user"
#define AS_KIND_RESOURCE "resource"

typedef struct as_user {
	const char *id, *login, *name, *email, *pw_hash;
	int64_t created;
	const char *kind;           /* AS_KIND_*; NULL in user_add means user */
	const char *resource_type;  /* resources: "room" or "equipment"; else NULL */
} as_user;

typedef struct as_folder {
	const char *id, *parent_id, *owner_id, *name;
	at_module module;
	at_folder_type type;      /* as stored: private or public */
	bool is_default;
	int64_t version, created_version;
	/* folders_granted_to only: the modseq since which the user has held a
	 * grant on the folder (directly, or through a group since both the grant
	 * and the membership existed); 0 elsewhere */
	int64_t granted_version;
} as_folder;

/* The built-in group of every user (id and name): grant a folder to it to
 * share it with the whole organisation.  Its members are implicit. */
#define AS_GROUP_EVERYONE "everyone"

/* The Global Address Book (gab.h): a public contacts folder without an
 * owner, made by the schema migration, that every user reads through a
 * reviewer grant to AS_GROUP_EVERYONE and only the server writes. */
#define AS_GAB_FOLDER_ID "gab"
#define AS_GAB_FOLDER_NAME "Global Address Book"
/* Matches of a contact search that are ranked (store_ops.contact_search). */
#define AS_SEARCH_RANKED_MAX 1000

typedef struct as_group {
	const char *id, *name;
	/* members by login: id, login and name are set (group_get_* and
	 * group_list; NULL/0 when the group has none) */
	const as_user *members;
	size_t n_members;
} as_group;

/* A blob's metadata (blobs.h): id "sha256:HEX", bytes, media type, when
 * (UTC seconds) and by whom it was first uploaded. */
typedef struct as_blob {
	const char *id, *type, *uploaded_by;
	int64_t size, created;
} as_blob;

typedef struct as_item {
	const char *id, *folder_id, *type, *created_by, *client_id;
	int64_t version, created_version;
	json_t *fields;           /* owned */
	json_t *field_versions;   /* owned: {"field": modseq} */
} as_item;

void as_item_clear(as_item *item);

typedef struct as_change {
	const char *id;
	int64_t version;
	bool removed;
} as_change;

typedef int as_change_cb(void *ctx, const as_change *change);
typedef int as_user_cb(void *ctx, const as_user *user);
typedef int as_folder_cb(void *ctx, const as_folder *folder);
typedef int as_group_cb(void *ctx, const as_group *group);
/* An item id (valid during the call); return 1 to stop early, -1 on failure. */
typedef int as_id_cb(void *ctx, const char *id);

/* One message of the mail outbox (mail.h), as mail_next_due finds it:
 * strings and the message live in the arena given to the call. */
typedef struct as_mail_row {
	int64_t id;               /* the queue id, > 0 */
	int64_t created;          /* UTC seconds when it was queued */
	const char *rcpt;         /* envelope recipient (addr-spec) */
	const char *message;      /* the RFC 5322 message, CRLF lines */
	size_t len;
	int attempts;             /* failed delivery attempts so far */
} as_mail_row;

/* Task alarms (task_alarms_due): a reminder or overdue notice of a task
 * that is due.  kind is "reminder" or "overdue"; at is the value it is for
 * (the reminder time, or the moment the task became overdue), UTC seconds.
 * Return 1 to stop early, -1 on failure. */
#define AS_ALARM_REMINDER "reminder"
#define AS_ALARM_OVERDUE "overdue"
typedef int as_alarm_cb(void *ctx, const char *item_id, const char *kind, int64_t at);

typedef struct as_store_ops {
	const char *name;
	void (*close)(as_store *s);

	/* Transactions.  write=true takes the write lock at once. */
	int (*begin)(as_store *s, bool write, at_error *err);
	int (*commit)(as_store *s, at_error *err);
	void (*rollback)(as_store *s);
	/* In a write transaction: the transaction's modseq (bumped on first call). */
	int (*tx_modseq)(as_store *s, int64_t *modseq_r, at_error *err);
	int (*current_modseq)(as_store *s, int64_t *modseq_r, at_error *err);
	/* Oldest modseq a token may name. */
	int (*horizon)(as_store *s, int64_t *horizon_r, at_error *err);

	/* Users.  user_get* answer 0 and set *found_r. */
	int (*user_add)(as_store *s, const as_user *u, at_error *err);
	int (*user_get_by_login)(as_store *s, const char *login, at_arena *a,
				 as_user *u_r, bool *found_r, at_error *err);
	int (*user_get_by_id)(as_store *s, const char *id, at_arena *a,
			      as_user *u_r, bool *found_r, at_error *err);
	int (*user_list)(as_store *s, at_arena *a, as_user_cb *cb, void *ctx, at_error *err);
	int (*user_set_password)(as_store *s, const char *id, const char *pw_hash,
				 at_error *err);

	/* Bearer tokens, stored by hash. */
	int (*token_add)(as_store *s, const char *hash, const char *user_id,
			 int64_t expires, at_error *err);
	int (*token_lookup)(as_store *s, const char *hash, at_arena *a,
			    const char **user_id_r, int64_t *expires_r, at_error *err);
	int (*token_delete)(as_store *s, const char *hash, at_error *err);
	/* Deletes every token of user_id except keep_hash (may be NULL). */
	int (*token_delete_user)(as_store *s, const char *user_id, const char *keep_hash,
				 at_error *err);

	/* Login throttling state, by login name. */
	int (*login_failures_get)(as_store *s, const char *login, int *count_r,
				  int64_t *last_r, at_error *err);
	int (*login_failures_set)(as_store *s, const char *login, int count,
				  int64_t last, at_error *err);

	/* Folders.  folder_add assigns version/created_version from tx_modseq. */
	int (*folder_add)(as_store *s, as_folder *f, at_error *err);
	int (*folder_get)(as_store *s, const char *id, at_arena *a, as_folder *f_r,
			  bool *found_r, at_error *err);
	/* Folders owned by owner_id whose version > since. */
	int (*folder_list_owned)(as_store *s, const char *owner_id, int64_t since,
				 at_arena *a, as_folder_cb *cb, void *ctx, at_error *err);
	/* Removed folders (folder tombstones) of owner_id after since. */
	int (*folder_removed_since)(as_store *s, const char *owner_id, int64_t since,
				    at_arena *a, as_change_cb *cb, void *ctx, at_error *err);

	/* Bumps a folder's version to tx_modseq (its name, place or permissions
	 * changed), so that every user who sees it gets it in Folder/sync's
	 * updated. */
	int (*folder_touch)(as_store *s, const char *folder_id, at_error *err);
	/* The children of parent_id by name; parent_id NULL: the top-level
	 * folders of owner_id's private tree, or with owner_id NULL the
	 * top-level public folders. */
	int (*folder_children)(as_store *s, const char *parent_id, const char *owner_id,
			       at_arena *a, as_folder_cb *cb, void *ctx, at_error *err);
	/* Writes f's name and parent_id and bumps its version to tx_modseq
	 * (f->version is set). */
	int (*folder_update)(as_store *s, as_folder *f, at_error *err);
	/* Deletes one folder (not its subfolders) with its items, their
	 * tombstones and its grants, and leaves a folder tombstone for its owner
	 * at tx_modseq.  Other users who saw it need access tombstones (the
	 * caller writes them). */
	int (*folder_delete)(as_store *s, const char *folder_id, at_error *err);
	/* Idempotent folder creates: the folder user_id created with client_id
	 * (*folder_id_r NULL when none; the folder may be gone since). */
	int (*folder_client_id_add)(as_store *s, const char *user_id, const char *client_id,
				    const char *folder_id, at_error *err);
	int (*folder_client_id_lookup)(as_store *s, const char *user_id, const char *client_id,
				       at_arena *a, const char **folder_id_r, at_error *err);

	/* Groups.  group_add: alreadyExists (field "name") when the name is
	 * taken.  group_get_* answer 0 and set *found_r; they and group_list
	 * fill the members. */
	int (*group_add)(as_store *s, const as_group *g, at_error *err);
	int (*group_get_by_name)(as_store *s, const char *name, at_arena *a, as_group *g_r,
				 bool *found_r, at_error *err);
	int (*group_get_by_id)(as_store *s, const char *id, at_arena *a, as_group *g_r,
			       bool *found_r, at_error *err);
	/* Every group by name, with its members. */
	int (*group_list)(as_store *s, at_arena *a, as_group_cb *cb, void *ctx, at_error *err);
	/* Records the membership at tx_modseq; alreadyExists when user_id is a
	 * member already. */
	int (*group_member_add)(as_store *s, const char *group_id, const char *user_id,
				at_error *err);
	/* Ids of the groups user_id belongs to (arena array; *n_r may be 0). */
	int (*groups_of_user)(as_store *s, const char *user_id, at_arena *a,
			      const char ***ids_r, size_t *n_r, at_error *err);

	/* Grants.  grants_get: every grant of a folder (arena array, users by
	 * login first, then groups by name).  grant_set inserts (at tx_modseq)
	 * or replaces the rights of principal_id's grant; grant_remove deletes
	 * it (*removed_r: there was one; may be NULL).  Neither touches the
	 * folder: callers call folder_touch. */
	int (*grants_get)(as_store *s, const char *folder_id, at_arena *a, at_grant **grants_r,
			  size_t *n_r, at_error *err);
	int (*grant_set)(as_store *s, const char *folder_id, const char *principal_id,
			 bool is_group, const at_rights *rights, at_error *err);
	int (*grant_remove)(as_store *s, const char *folder_id, const char *principal_id,
			    bool *removed_r, at_error *err);
	/* Folders not owned by user_id with a grant to user_id or to one of the
	 * groups user_id belongs to, whatever its rights, in (created_version, id)
	 * order; granted_version is set. */
	int (*folders_granted_to)(as_store *s, const char *user_id, at_arena *a,
				  as_folder_cb *cb, void *ctx, at_error *err);
	/* Access tombstones: folder_id disappeared for user_id at tx_modseq
	 * (replacing an older one), and the list of those after since. */
	int (*access_tombstone_add)(as_store *s, const char *user_id, const char *folder_id,
				    at_error *err);
	int (*access_removed_since)(as_store *s, const char *user_id, int64_t since,
				    at_arena *a, as_change_cb *cb, void *ctx, at_error *err);

	/* Items. */
	int (*item_get)(as_store *s, const char *id, at_arena *a, as_item *item_r,
			bool *found_r, at_error *err);
	/* The item a user created with client_id (even if since deleted:
	 * *item_id_r set, and item_get then finds nothing). */
	int (*client_id_lookup)(as_store *s, const char *user_id, const char *client_id,
				at_arena *a, const char **item_id_r, at_error *err);
	/* Inserts or replaces.  Sets item->version (and created_version on insert)
	 * from tx_modseq; records client_id if set. */
	int (*item_put)(as_store *s, as_item *item, bool insert, at_error *err);
	int (*item_delete)(as_store *s, const char *id, const char *folder_id,
			   at_error *err);
	/* Moves an item to folder_id keeping its id, type, creator, fields and
	 * field versions: its version becomes tx_modseq (item->version is set),
	 * its old folder gets a tombstone and the new one loses any it had
	 * for the id, so both folders' changes tell the move; indexes follow
	 * the item (nothing that hangs on the item id is lost). */
	int (*item_move)(as_store *s, as_item *item, const char *folder_id, at_error *err);
	/* Changes of one folder after token, in (modseq, id) order, at most limit
	 * (ask limit+1 to learn whether more exist). */
	int (*changes)(as_store *s, const char *folder_id, const at_token *since,
		       unsigned limit, at_arena *a, as_change_cb *cb, void *ctx,
		       at_error *err);
	/* Every live item of a folder: id and version. */
	int (*item_list)(as_store *s, const char *folder_id, at_arena *a,
			 as_change_cb *cb, void *ctx, at_error *err);

	/* Forgets old deletions.  The item and folder tombstones deleted at or
	 * before `before` (unix time) go, and the horizon is raised to the
	 * newest modseq among them (never lowered); then every folder and
	 * access tombstone whose modseq is at or below the horizon goes too
	 * (no token the server still answers needs it; an access tombstone has
	 * no time of its own, so it goes once a later deletion is purged).
	 * *purged_r = number of tombstones of the three kinds removed. */
	int (*purge_tombstones)(as_store *s, int64_t before, int64_t *purged_r,
				at_error *err);

	/* Directory entries: the item of the Global Address Book standing for a
	 * principal (a user's contact; is_group for a group's list).
	 * directory_entry_get sets *item_id_r to NULL when there is none;
	 * directory_entry_set inserts or replaces. */
	int (*directory_entry_get)(as_store *s, const char *principal_id, at_arena *a,
				   const char **item_id_r, at_error *err);
	int (*directory_entry_set)(as_store *s, const char *principal_id, bool is_group,
				   const char *item_id, at_error *err);
	/* Full-text search of the contacts (and distribution lists, by name) of
	 * one folder.  Every contact and list is indexed as it is written
	 * (name, e-mail, company and phone fields; case and diacritics
	 * folded).  An item matches when each of the words
	 * begins a word of those fields (words are plain text: any search
	 * syntax of the backend in them is taken literally).  Ids come best
	 * match first (equal ones by name) until cb returns 1; access is the
	 * caller's business.  Ranking costs time per match, so at most
	 * AS_SEARCH_RANKED_MAX matches are ranked: when more match, the best of
	 * the first ones in index order come and *truncated_r is set. */
	int (*contact_search)(as_store *s, const char *folder_id, const char *const *words,
			      size_t n_words, at_arena *a, as_id_cb *cb, void *ctx,
			      bool *truncated_r, at_error *err);

	/* The mail outbox (mail.h).  None of these bumps the modseq: the queue
	 * is not synchronised.
	 * mail_enqueue: in the caller's write transaction, queues one message
	 * (len bytes) for rcpt, created and first due at now; *id_r (may be
	 * NULL) gets its queue id.
	 * mail_next_due: the oldest (by created, then id) message not yet sent
	 * and not given up whose next attempt is due (next_attempt <= now);
	 * *found_r false when there is none.
	 * mail_mark_sent: the message was accepted by the SMTP server at now.
	 * mail_mark_failed: one more failed attempt, with the error text
	 * (may be NULL); retry_at > 0: try again from then on; 0: give up (the
	 * message stays in the queue, unsent, and is never tried again).
	 * mail_purge: forgets the messages sent at or before `before`, and
	 * those given up that were queued at or before it; *purged_r (may be
	 * NULL) gets their number.  Unsent messages still being tried stay. */
	int (*mail_enqueue)(as_store *s, const char *rcpt, const char *message, size_t len,
			    int64_t now, int64_t *id_r, at_error *err);
	int (*mail_next_due)(as_store *s, int64_t now, at_arena *a, as_mail_row *row_r,
			     bool *found_r, at_error *err);
	int (*mail_mark_sent)(as_store *s, int64_t id, int64_t now, at_error *err);
	int (*mail_mark_failed)(as_store *s, int64_t id, int64_t retry_at, const char *error,
				at_error *err);
	int (*mail_purge)(as_store *s, int64_t before, int64_t *purged_r, at_error *err);

	/* Task alarms.  Every item of type "task" is indexed as it is written
	 * (item_put, item_delete, folder_delete, whoever makes them): its
	 * folder, its reminder time, the moment it becomes overdue and whether
	 * it is open (status other than completed).  Times are UTC seconds of
	 * the wire DATETIMEs, floating times and dates read in UTC; a due DATE
	 * becomes overdue at the end of that day (the next day at 00:00), a due
	 * time at that time.
	 * task_alarms_due: the alarms of open tasks whose time is <= now and
	 * that alarm_mark_sent has not recorded for that very time, oldest
	 * first (a reminder moved to a new time is due again once it comes).
	 * Each item_id is valid during the call.
	 * alarm_mark_sent: records that the alarm (item_id, kind, at) was dealt
	 * with (idempotent).  The records of a task go when it is deleted. */
	int (*task_alarms_due)(as_store *s, int64_t now, as_alarm_cb *cb, void *ctx,
			       at_error *err);
	int (*alarm_mark_sent)(as_store *s, const char *item_id, const char *kind, int64_t at,
			       at_error *err);

	/* Distribution lists with a member referencing contact_id (arena array
	 * of item ids, *n_r may be 0).  The store indexes every list as it is
	 * written (members[].contactId), whoever writes it. */
	int (*lists_referencing)(as_store *s, const char *contact_id, at_arena *a,
				 const char ***ids_r, size_t *n_r, at_error *err);

	/* Blobs (blobs.h): the metadata of the content-addressed files of
	 * DATA/blobs.  None of these bumps the modseq.
	 * blob_add: records blob b (id, size, type, created, uploaded_by) unless
	 * it is known, and in any case that b->uploaded_by uploaded it.
	 * blob_get: *found_r false when unknown; strings in a.
	 * blob_uploaded: whether user_id ever uploaded blob_id.
	 * blob_referencing: ids of at most max items whose fields reference
	 * blob_id (photo.blobId, attachments[].blobId): the store indexes every
	 * item as it is written, whoever writes it (arena array, *n_r may be 0). */
	int (*blob_add)(as_store *s, const as_blob *b, at_error *err);
	int (*blob_get)(as_store *s, const char *blob_id, at_arena *a, as_blob *b_r,
			bool *found_r, at_error *err);
	int (*blob_uploaded)(as_store *s, const char *blob_id, const char *user_id,
			     bool *yes_r, at_error *err);
	int (*blob_referencing)(as_store *s, const char *blob_id, size_t max, at_arena *a,
				const char ***ids_r, size_t *n_r, at_error *err);
	/* Garbage collection of blobs (blobs.h as_blobs_collect).
	 * blob_touch: the blob was asked for (HEAD) or uploaded again at now:
	 * a client is about to reference it.
	 * blobs_unreferenced: at most max blobs that no item references and
	 * that were neither uploaded nor touched after `before` (arena array).
	 * blob_delete: forgets a blob and its uploaders (the caller removes
	 * the file, in the same write transaction). */
	int (*blob_touch)(as_store *s, const char *blob_id, int64_t now, at_error *err);
	/* The appointments of a folder that may have an occurrence in [from,
	 * to) (UTC seconds), arena array of ids: a superset, never missing one
	 * (recurring ones always come; single ones when their times, widened
	 * by two days for floating and all-day times, overlap).  The store
	 * indexes every appointment as it is written. */
	int (*appointments_in_range)(as_store *s, const char *folder_id, int64_t from,
				     int64_t to, at_arena *a, const char ***ids_r, size_t *n_r,
				     at_error *err);
	int (*blobs_unreferenced)(as_store *s, int64_t before, size_t max, at_arena *a,
				  const char ***ids_r, size_t *n_r, at_error *err);
	int (*blob_delete)(as_store *s, const char *blob_id, at_error *err);
} as_store_ops;

struct as_store {
	const as_store_ops *ops;
};

/* Opens (creating and migrating) the SQLite store in dir/atrium.db. */
as_store *as_store_open_sqlite(const char *dir, at_error *err);
void as_store_close(as_store **s);

/* Convenience: a new random id (24 hex characters) from the arena. */
const char *as_new_id(at_arena *a);

#endif
