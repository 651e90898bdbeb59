/* blob.h — blobs (contact photos and item attachments) as the server and the
 * connector both see them: ids made from the content's SHA-256, the
 * content-addressed file layout both keep them in, the limits published in
 * the session, image sniffing, and the field definitions of "photo" and
 * "attachments" that the item types of the model share.
 *
 * A blob id is "sha256:" followed by the 64 lower-case hex digits of the
 * SHA-256 of the bytes (libsodium's streaming crypto_hash_sha256).  A blob
 * is kept in DIR/ab/cdef... (the first two hex digits name a directory, the
 * other 62 the file), on the server under DATA/blobs/ and in the connector's
 * cache under its profile directory.
 *
 * Image sniffing reads only the bytes it is given and never past them: it
 * accepts JPEG, PNG and GIF by their magic bytes and a sane header (PNG: the
 * IHDR chunk first, non-zero sizes, a valid depth and colour type; GIF: the
 * logical screen size; JPEG: well-formed marker segments up to the frame
 * header, non-zero sizes).  A file's name never matters.
 *
 * Nothing here allocates; nothing keeps state. */
#ifndef AT_BLOB_H
#define AT_BLOB_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

/* Limits published in the session ("limits" of GET /api/session). */
#define AT_BLOB_MAX_BYTES (25ll * 1024 * 1024)                /* maxBlobBytes */
#define AT_PHOTO_MAX_BYTES (1024ll * 1024)                    /* maxPhotoBytes */
#define AT_ATTACHMENT_MAX_BYTES_PER_ITEM (50ll * 1024 * 1024) /* maxAttachmentBytesPerItem */
#define AT_MAX_ATTACHMENTS 32    /* entries of "attachments" */

#define AT_BLOB_ID_PREFIX "sha256:"
#define AT_BLOB_ID_LEN 71        /* "sha256:" + 64 hex digits */
#define AT_BLOB_ID_SIZE 72
#define AT_BLOB_ID_MAX 80        /* the field's length limit */
#define AT_BLOB_TYPE_MAX 127     /* a media type */
#define AT_BLOB_NAME_MAX 255     /* an attachment's file name */
/* "ab/" + 62 hex digits and the NUL: the path of a blob under its store */
#define AT_BLOB_REL_PATH_SIZE 66
/* Bytes at the start of a file that at_image_sniff() wants to see. */
#define AT_IMAGE_SNIFF_BYTES 65536

typedef struct at_blob_hash {
	crypto_hash_sha256_state state;
} at_blob_hash;

void at_blob_hash_init(at_blob_hash *h);
void at_blob_hash_update(at_blob_hash *h, const void *data, size_t len);
/* Writes the blob id of everything hashed into id_r. */
void at_blob_hash_final(at_blob_hash *h, char id_r[AT_BLOB_ID_SIZE]);
/* The id of len bytes at once. */
void at_blob_id_of(const void *data, size_t len, char id_r[AT_BLOB_ID_SIZE]);

/* "sha256:" and exactly 64 lower-case hex digits. */
bool at_blob_id_valid(const char *id);
/* "ab/cdef..." of a valid id; -1 for an invalid one. */
int at_blob_rel_path(const char *id, char buf[AT_BLOB_REL_PATH_SIZE]);

/* A media type "type/subtype" (RFC 6838 restricted names, at most
 * AT_BLOB_TYPE_MAX characters, parameters not allowed). */
bool at_blob_type_valid(const char *type);

/* The image type of data (at most len bytes are read): "image/jpeg",
 * "image/png", "image/gif", or NULL when it is none of them or its header
 * is not sane.  Give it the first AT_IMAGE_SNIFF_BYTES of a file (or the
 * whole file when shorter).  Width and height go to *w_r, *h_r when known
 * (0 for a JPEG whose frame header lies beyond len); both may be NULL. */
const char *at_image_sniff(const unsigned char *data, size_t len, unsigned *w_r,
			   unsigned *h_r);
/* Whether type is one of the three photo types. */
bool at_image_type_known(const char *type);

/* The members of "photo" and of each "attachments" entry, and the two
 * field definitions built on them for the item types' tables. */
#define AT_BLOB_PHOTO_N_MEMBERS 3
#define AT_BLOB_ATTACHMENT_N_MEMBERS 4
extern const at_field_def at_blob_photo_members[AT_BLOB_PHOTO_N_MEMBERS];
extern const at_field_def at_blob_attachment_members[AT_BLOB_ATTACHMENT_N_MEMBERS];
at_object_check_fn at_blob_photo_check;
at_object_check_fn at_blob_attachment_check;

#define AT_BLOB_PHOTO_FIELD \
	{.name = "photo", .type = AT_FT_OBJECT, \
	 .label = "photo: a JPEG, PNG or GIF blob (blobId, type; size set by the server)", \
	 .members = at_blob_photo_members, .n_members = AT_BLOB_PHOTO_N_MEMBERS, \
	 .check = at_blob_photo_check}
#define AT_BLOB_ATTACHMENTS_FIELD \
	{.name = "attachments", .type = AT_FT_OBJECT_LIST, .max_items = AT_MAX_ATTACHMENTS, \
	 .label = "attachments: blobs with a file name (type and size set by the server)", \
	 .members = at_blob_attachment_members, .n_members = AT_BLOB_ATTACHMENT_N_MEMBERS, \
	 .check = at_blob_attachment_check}

#endif
