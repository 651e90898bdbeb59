/* blobs.h — the server's blob store: contact photos and the attachments of
 * any item, files addressed by the SHA-256 of their content (lib/blob.h).
 *
 * Files live in DATA/blobs/ab/cdef...; an upload streams into a temporary
 * file of DATA/blobs/tmp/ while it is hashed, never held whole in memory,
 * and is refused (limitExceeded, HTTP 413, field "maxBlobBytes") as soon as
 * it passes AT_BLOB_MAX_BYTES.  A finished upload is fsynced and renamed
 * into place (its directory fsynced too) before its metadata is recorded,
 * so a recorded blob always has its file.  Uploading content that is there
 * already only records the uploader.  The type kept is the sniffed image
 * type when the bytes are a JPEG, PNG or GIF, else the type the client gave
 * (application/octet-stream when it gave none, an invalid one, or claimed
 * an image type the bytes are not).
 *
 * Access: a user may read a blob they uploaded, or one an item they may
 * read references (the store's blob_refs index); to everybody else it does
 * not exist (404), so that ids cannot be probed.  Writes of items go through
 * as_blobs_check_item() (sync.c, for every item type before the type's own
 * hooks): every blob referenced must exist and be readable by the writer,
 * a photo must sniff as its declared type and stay within
 * AT_PHOTO_MAX_BYTES, the attachments of one item within
 * AT_ATTACHMENT_MAX_BYTES_PER_ITEM; size (and an attachment's type) are set
 * from the blob.
 *
 * Garbage collection (as_blobs_collect, hourly in the serve loop and
 * `atriumd blobs collect`): a blob that no item references and that was
 * neither uploaded nor asked for (HEAD, which a client does right before
 * referencing it) for AS_BLOB_GRACE_SECONDS goes, row and file, under the
 * write lock, which an upload also holds while it puts its file in place.
 *
 * Ownership: an as_blob_upload is owned by the caller of
 * as_blob_upload_begin() and freed with as_blob_upload_free() (which
 * removes its temporary file unless it was finished).  JSON results are new
 * references owned by the caller. */
#ifndef AS_BLOBS_H
#define AS_BLOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "blob.h"
#include "error.h"
#include "store.h"
#include "sync.h"

typedef struct as_blob_upload as_blob_upload;

/* Starts an upload into data_dir/blobs/tmp; type is the request's
 * Content-Type (may be NULL). */
int as_blob_upload_begin(const char *data_dir, const char *type, as_blob_upload **u_r,
			 at_error *err);
/* Sets the error of a blob over AT_BLOB_MAX_BYTES (limitExceeded, field
 * "maxBlobBytes", the limit in the message) and returns -1: also for a
 * Content-Length over the limit, refused before the body is read. */
int as_blob_too_large(at_error *err);
/* Appends len bytes.  -1 with limitExceeded once the total passes
 * AT_BLOB_MAX_BYTES (the temporary file is then removed), or serverFail on
 * a write error. */
int as_blob_upload_write(as_blob_upload *u, const void *data, size_t len, at_error *err);
/* Ends the upload of ctx->user: the file goes into place and is recorded
 * (own write transaction).  Returns {"blobId","size","type"}, or NULL. */
json_t *as_blob_upload_finish(as_blob_upload *u, as_ctx *ctx, at_error *err);
void as_blob_upload_free(as_blob_upload **u);

/* Whether the requesting user may read blob_id (see above).  In or out of
 * a transaction. */
int as_blob_may_read(as_ctx *ctx, const char *blob_id, bool *yes_r, at_error *err);

/* For GET and HEAD /api/blob/ID: opens the blob's file when it exists and
 * the user may read it: 0 with *fd_r (owned by the caller) and b_r; 1 when
 * it does not exist for this user; -1 on failure. */
int as_blob_open(as_ctx *ctx, const char *data_dir, const char *blob_id, as_blob *b_r,
		 int *fd_r, at_error *err);

/* Checks the blob references of an item about to be written (fields: its
 * whole fields after the merge; changed in place: sizes and types from the
 * blobs).  Inside the write transaction.  0, 1 when refused (ie filled:
 * invalidField naming photo or attachments[i], or limitExceeded naming the
 * per-item limit), -1 on a store failure (err). */
int as_blobs_check_item(as_ctx *ctx, json_t *fields, at_error *ie, at_error *err);

/* How long an unreferenced blob is kept after its last upload or HEAD. */
#define AS_BLOB_GRACE_SECONDS (24 * 3600)
#define AS_BLOB_COLLECT_BATCH 500

/* HEAD /api/blob/ID: the blob is about to be referenced (own write
 * transaction). */
int as_blob_touch(as_ctx *ctx, const char *blob_id, at_error *err);

/* Removes every unreferenced blob last uploaded or asked for at or before
 * `before` (UTC seconds), in batches, each its own write transaction;
 * *collected_r gets their number. */
int as_blobs_collect(as_store *s, const char *data_dir, int64_t before, int64_t *collected_r,
		     at_error *err);

#endif
