/* mirror.h — the local files mirror: every synced contacts, calendar and
 * tasks folder as a vdir directory, both ways, so that khard, khal, todoman
 * (or an editor) work on the data offline.
 *
 * Layout.  ROOT (atrium mirror enable DIR; kept in the store's meta as
 * "mirror.root") holds one directory per module and in it one directory per
 * folder:
 *
 *   ROOT/contacts/Contacts/            the default Contacts folder
 *   ROOT/contacts/Contacts.Clients/    its subfolder Clients
 *   ROOT/calendar/Alice Martin – Calendar/   a shared folder
 *   ROOT/calendar/Public.Projects/     a public folder
 *
 * A folder's directory is named after its PATH (tree.h), the labels joined
 * by "." (flat: one glob over the module directory finds every
 * collection); "/" and control characters become "_", a leading "." too.
 * When two folders would get the same name, or an unknown directory is in
 * the way, the later one gets "~" and the start of its id.  A renamed or
 * moved folder's directory is renamed.  Each directory holds, per the vdir
 * format (https://vdirsyncer.pimutils.org/en/stable/vdir.html), one file per
 * item — NAME.vcf for contacts (vCard 3.0, lib/vcard.h) and for the
 * distribution lists of a contacts folder (group cards: Apple's
 * X-ADDRESSBOOKSERVER-KIND:group form in 3.0; KIND:group 4.0 cards are read
 * too), NAME.ics for appointments (one VCALENDAR with the event, its
 * overridden instances and their VTIMEZONEs, lib/ical.h + lib/appointment.h)
 * and for tasks (a VTODO, lib/task.h) — and the metadata files
 * `displayname` (the folder's display name) and `color` (written once with a
 * colour picked from the folder id; a colour set by the user is kept).  A
 * file the mirror writes is named after the item's clientId (else its server
 * id); the UID inside is the item's own (a vCard's UID kept in vcardExtra,
 * an appointment's uid field) or else that same id.  A file made by someone
 * else keeps its name.  Files are written atomically: a temporary file
 * (".atrium-*.tmp", ignored by every vdir reader), its data synced, then
 * renamed over the old one.
 *
 * Lists.  A member that references a contact is a MEMBER line naming the
 * UID of the contact's file ("urn:uuid:UID", cards.h); reading a list file
 * turns such a URN back into a reference to the contact of this store
 * whose file has that UID (or whose server id it is), and keeps a URN that
 * names no contact verbatim (vcardExtra).  A scan reads a folder's contact
 * files before its list files, so a new list may name a contact created in
 * the same scan.  A file is a contact or a list for good: a contact's file
 * rewritten as a group card (or the reverse) is reported and left alone;
 * the new kind goes into a new file.
 *
 * Photos.  A contact's photo (blobs.h) is an inline PHOTO (base64, TYPE=
 * JPEG/PNG/GIF) in its file when its bytes are in the profile's blob cache;
 * ac_mirror_fetch_photos(), run after each sync, downloads the ones missing,
 * and a file written without its photo is written again once the bytes are
 * there (the item hash says whether they were).  A PHOTO put into a file
 * (khard, by hand) that is a JPEG, PNG or GIF within the photo limit
 * becomes the contact's photo, its bytes put into the cache for the sync
 * to upload (cards.h); removing the line removes the photo.  Attachments of
 * appointments and tasks are not in the files; an edit of a file leaves
 * them as they are (a field absent from both the file and its last version
 * is no change).
 *
 * Bookkeeping.  The store's tables mirror_folders (folder -> directory) and
 * mirror_files (one row per file: the item, the file's mtime, size, inode
 * and content hash as last written or read, a hash of the item as it was
 * rendered, a hash per field of what the file held, and why the file does
 * not parse) tell the mirror's own writes from everybody else's.
 *
 * Write (ac_mirror_write: after every sync, one-shot and daemon, and after
 * every CLI command that changes the store).  Items whose content, ids or
 * folder changed since their file was written are rendered again; files of
 * items that are gone (deleted, moved) are removed; directories follow the
 * folder tree.  A file changed by someone else since the mirror last saw it
 * is never overwritten nor removed: the next scan takes it in first.  Items
 * are streamed from the store in pages of AC_MIRROR_PAGE (memory does not
 * grow with the account), and each page's files are synced to disk with one
 * syncfs() before they are renamed into place.
 *
 * Scan (ac_mirror_scan: before every sync, one-shot and daemon, and `atrium
 * mirror scan`).  Every file whose mtime, size or inode differs from the
 * bookkeeping is read; if its hash differs too it is parsed: a new file
 * becomes a local create (ac_store_item_add), a changed one a local edit of
 * the fields that changed in the file (ac_store_item_edit), a removed one a
 * local delete (ac_store_item_delete); the sync sends them like any other
 * local change.  The edit is computed per field against what the file held
 * when the mirror last wrote or read it, so fields changed in the store
 * meanwhile (by the server) stay; a field changed on both sides takes the
 * file's value, the store's value is kept as a Sync Issue (reason
 * "conflict", detail.source "mirror") and the file is rewritten with the
 * merged item.  A file changed before a sync is a local edit and the
 * engine's three-way merge and Sync Issues decide against the server's
 * version.  A file that does not parse (or whose values the model refuses)
 * is reported once per change as "PATH:LINE: message" on the report stream
 * and kept in the bookkeeping for `atrium mirror status`; it is left as it
 * is, its item is not changed, and the mirror does not overwrite it until
 * it parses again.  Safety: when a folder's directory (or ROOT) is missing,
 * nothing is deleted: its bookkeeping is dropped and the next write renders
 * the folder again.
 *
 * Concurrency.  Scans and writes of one mirror are serialised by a lock on
 * ROOT/.atrium-mirror.lock (a CLI command waits for the daemon's scan).  The
 * vdir readers take no lock: between the check of a file and its rename a
 * racing edit could still be replaced, as with every vdir writer.
 *
 * Watch (optional, for the daemon).  ac_mirror_watch_start() watches the
 * folder directories with inotify from a thread of its own and sets a flag
 * when a .vcf or .ics file is written, moved or removed by someone else, so
 * the daemon syncs at once instead of at its next poll; the mirror's own
 * writes (ac_mirror_watch_write) do not wake it.
 *
 * Ownership: functions borrow the store; strings and json_t * returned
 * through _r parameters belong to the caller. */
#ifndef AC_MIRROR_H
#define AC_MIRROR_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "store.h"

/* Items rendered, or files checked, per store transaction. */
#define AC_MIRROR_PAGE 64
/* Largest file the scan reads. */
#define AC_MIRROR_MAX_FILE (16u * 1024 * 1024)
#define AC_MIRROR_LOCK ".atrium-mirror.lock"

typedef struct ac_mirror_stats {
	unsigned folders;     /* folder directories mirrored */
	/* write */
	uint64_t written;     /* files written for new or changed items */
	uint64_t removed;     /* files removed for items that are gone */
	uint64_t kept;        /* changed by someone else since: left for the scan */
	/* scan */
	uint64_t created;     /* new files: local creates */
	uint64_t modified;    /* changed files: local edits */
	uint64_t deleted;     /* removed files: local deletes */
	uint64_t bad;         /* files that do not parse (newly seen) */
	uint64_t conflicts;   /* edits that overrode a store change: Sync Issues */
} ac_mirror_stats;

/* The mirror's root directory, or *root_r NULL when the mirror is off. */
int ac_mirror_root(ac_store *store, char **root_r, at_error *err);

/* Turns the mirror on at dir (created when missing; it must be empty) and
 * writes every folder.  invalidArguments when the mirror is already on at
 * another directory. */
int ac_mirror_enable(ac_store *store, const char *dir, ac_mirror_stats *st, FILE *report,
		     at_error *err);
/* Turns the mirror off and forgets its bookkeeping; the files stay. */
int ac_mirror_disable(ac_store *store, at_error *err);

/* Both do nothing (and return 0) when the mirror is off.  st (may be NULL)
 * is added to; report (may be NULL) gets one line per problem. */
int ac_mirror_scan(ac_store *store, ac_mirror_stats *st, FILE *report, at_error *err);
int ac_mirror_write(ac_store *store, ac_mirror_stats *st, FILE *report, at_error *err);

/* Downloads into the blob cache the photos of the contacts in mirrored
 * folders that it lacks, so that the next write puts them into the files:
 * fetch(ctx, blob_id, err) is the transport's blob_fetch.  A blob the
 * server refuses (gone, forbidden) is skipped; one that fails because the
 * server is out of reach ends the round (the next sync tries again).
 * Nothing when the mirror is off.  *fetched_r (may be NULL): how many came
 * in.  -1 only when the store cannot be read. */
int ac_mirror_fetch_photos(ac_store *store,
			   int (*fetch)(void *ctx, const char *blob_id, at_error *err), void *ctx,
			   size_t *fetched_r, at_error *err);

/* {"enabled", "root", "lastScan", "lastWrite", "folders": [{"folderId",
 * "module", "displayName", "path", "files", "lastScan", "unparsed":
 * [{"file", "path", "line", "message"}]}]} */
int ac_mirror_status(ac_store *store, json_t **status_r, at_error *err);

/* "1 created, 2 modified, ..." of the non-zero counters ("" when all are
 * zero) into buf. */
void ac_mirror_stats_text(const ac_mirror_stats *st, char *buf, size_t size);

typedef struct ac_mirror_watch ac_mirror_watch;
/* Starts watching (nothing to do, *w_r NULL, when the mirror is off).  wake
 * is set to 1 on a change by someone else. */
int ac_mirror_watch_start(ac_store *store, volatile sig_atomic_t *wake,
			  ac_mirror_watch **w_r, at_error *err);
/* ac_mirror_write() without waking w with the mirror's own changes; then
 * watches new directories too.  w may be NULL. */
int ac_mirror_watch_write(ac_mirror_watch *w, ac_store *store, ac_mirror_stats *st,
			  FILE *report, at_error *err);
void ac_mirror_watch_stop(ac_mirror_watch **w);

#endif
