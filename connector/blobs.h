/* blobs.h — the connector's local blob cache: contact photos and item
 * attachments, kept by content hash exactly as the server keeps them
 * (lib/blob.h): PROFILE_DIR/blobs/ab/cdef....  A file the user attaches is
 * copied into the cache (hashed while it is copied, never read whole into
 * memory); the sync engine uploads from the cache (transport.h blob_push)
 * and downloads into it on demand (blob_fetch).  Files are written to
 * PROFILE_DIR/blobs/tmp first, fsynced and renamed into place, and a
 * download is checked against its id before it is kept.  A cached blob
 * that no local item and no Sync Issue references any more is removed once
 * it has not been written for a while (ac_blob_cache_prune(), after each
 * sync): it can always be downloaded again while the server has it.
 *
 * Ownership: strings returned through _r pointers are malloc'ed and owned
 * by the caller; an ac_blob_writer is owned by its opener and ends with
 * ac_blob_writer_finish() or ac_blob_writer_abort() (both free it). */
#ifndef AC_BLOBS_H
#define AC_BLOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "blob.h"
#include "error.h"
#include "store.h"

/* The limits of blobs: from the session cached in the store ("limits"),
 * else lib/blob.h's defaults.  store may be NULL (defaults). */
typedef struct ac_blob_limits {
	int64_t max_blob, max_photo, max_per_item;
} ac_blob_limits;
void ac_blob_limits_get(ac_store *store, ac_blob_limits *limits_r);

/* PROFILE_DIR/blobs. */
char *ac_blob_cache_dir(const char *profile_dir);
/* The file of id in the cache (whether it is there or not); NULL for an
 * invalid id. */
char *ac_blob_path(const char *cache, const char *id);
bool ac_blob_cached(const char *cache, const char *id);

typedef struct ac_blob_writer ac_blob_writer;
/* A new blob in the cache, written piece by piece.  max: refuse (limitExceeded
 * naming what and the limit) once more bytes come; 0 = AT_BLOB_MAX_BYTES. */
int ac_blob_writer_open(const char *cache, int64_t max, const char *what,
			ac_blob_writer **w_r, at_error *err);
int ac_blob_writer_write(ac_blob_writer *w, const void *data, size_t len, at_error *err);
/* Puts it into place.  expect_id: the id it must have (a download), or
 * NULL.  id_r, size_r, type_r (the sniffed image type or NULL; static
 * string) may be NULL. */
int ac_blob_writer_finish(ac_blob_writer **w, const char *expect_id,
			  char id_r[AT_BLOB_ID_SIZE], int64_t *size_r, const char **type_r,
			  at_error *err);
void ac_blob_writer_abort(ac_blob_writer **w);

/* Copies the file at path into the cache (refused over max bytes, with
 * "what" and the limit in the message).  type_r: the sniffed image type,
 * or NULL. */
int ac_blob_import_file(const char *cache, const char *path, int64_t max, const char *what,
			char id_r[AT_BLOB_ID_SIZE], int64_t *size_r, const char **type_r,
			at_error *err);
int ac_blob_import_bytes(const char *cache, const void *data, size_t len,
			 char id_r[AT_BLOB_ID_SIZE], const char **type_r, at_error *err);
/* Reads a cached blob whole (for a vCard photo; at most max bytes). */
int ac_blob_read(const char *cache, const char *id, int64_t max, unsigned char **data_r,
		 size_t *len_r, at_error *err);
/* Copies a cached blob to dest (replaced atomically). */
int ac_blob_copy_out(const char *cache, const char *id, const char *dest, at_error *err);

/* The blobs fields reference (photo.blobId, attachments[].blobId), at most
 * max, ids and the types given there (NULL when none) borrowed from
 * fields.  Returns how many. */
size_t ac_blob_refs(json_t *fields, const char **ids, const char **types, size_t max);

/* How long an unreferenced cached blob is kept after it was written. */
#define AC_BLOB_CACHE_KEEP_SECONDS (7 * 24 * 3600)

/* Removes the cached blobs referenced by no item of the store and no Sync
 * Issue (photo.blobId, attachments[].blobId) whose file is older than
 * older_than seconds; *removed_r (may be NULL) gets their number.  Files
 * that are not blobs (the tmp/ directory, strays) are left alone. */
int ac_blob_cache_prune(const char *cache, ac_store *store, int64_t older_than,
			size_t *removed_r, at_error *err);

#endif
