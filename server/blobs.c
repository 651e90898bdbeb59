/* blobs.c — see blobs.h. */
#include "blobs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl.h"
#include "log.h"

#define MOD "blobs"
/* Items referencing a blob looked at to decide whether a user may read it. */
#define MAX_REFS_CHECKED 64

struct as_blob_upload {
	char *tmp_path;             /* malloc'ed; NULL once moved or removed */
	char *blobs_dir;            /* data_dir/blobs */
	int fd;
	int64_t size;
	at_blob_hash hash;
	char given_type[AT_BLOB_TYPE_MAX + 1];
	unsigned char head[AT_IMAGE_SNIFF_BYTES];
	size_t head_len;
};

static int io_fail(at_error *err, const char *what, const char *path)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			    "blob store: cannot %s %s: %s", what, path, strerror(errno));
}

static int ensure_dir(const char *path, at_error *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return io_fail(err, "create directory", path);
	return 0;
}

static int fsync_dir(const char *path, at_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return io_fail(err, "open directory", path);
	int rc = fsync(fd);
	close(fd);
	if (rc < 0)
		return io_fail(err, "sync directory", path);
	return 0;
}

/* "Image/PNG; charset=x" -> "image/png"; "" when there is none. */
static void normalise_type(const char *in, char out[AT_BLOB_TYPE_MAX + 1])
{
	size_t n = 0;
	out[0] = '\0';
	if (in == NULL)
		return;
	while (*in == ' ' || *in == '\t')
		in++;
	for (; *in != '\0' && *in != ';' && *in != ' ' && *in != '\t'; in++) {
		if (n == AT_BLOB_TYPE_MAX) {
			out[0] = '\0';  /* too long: not a type we keep */
			return;
		}
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
}

int as_blob_upload_begin(const char *data_dir, const char *type, as_blob_upload **u_r,
			 at_error *err)
{
	as_blob_upload *u = calloc(1, sizeof(*u));
	if (u == NULL)
		abort();
	u->fd = -1;
	normalise_type(type, u->given_type);
	at_blob_hash_init(&u->hash);
	if (asprintf(&u->blobs_dir, "%s/blobs", data_dir) < 0)
		abort();
	char *tmp_dir = NULL;
	if (asprintf(&tmp_dir, "%s/tmp", u->blobs_dir) < 0 ||
	    asprintf(&u->tmp_path, "%s/upload-XXXXXX", tmp_dir) < 0)
		abort();
	int rc = -1;
	if (ensure_dir(u->blobs_dir, err) < 0 || ensure_dir(tmp_dir, err) < 0)
		goto done;
	u->fd = mkostemp(u->tmp_path, O_CLOEXEC);
	if (u->fd < 0) {
		io_fail(err, "create", u->tmp_path);
		free(u->tmp_path);
		u->tmp_path = NULL;
		goto done;
	}
	rc = 0;
done:
	free(tmp_dir);
	if (rc < 0)
		as_blob_upload_free(&u);
	*u_r = u;
	return rc;
}

static void drop_tmp(as_blob_upload *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	if (u->tmp_path != NULL)
		unlink(u->tmp_path);
	free(u->tmp_path);
	u->tmp_path = NULL;
}

int as_blob_too_large(at_error *err)
{
	return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, "maxBlobBytes",
			    "the blob is larger than %lld bytes, the limit of one file "
			    "(limits.maxBlobBytes)", (long long)AT_BLOB_MAX_BYTES);
}

int as_blob_upload_write(as_blob_upload *u, const void *data, size_t len, at_error *err)
{
	if (u->fd < 0)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
				    "blob store: the upload was already ended");
	if (u->size + (int64_t)len > AT_BLOB_MAX_BYTES) {
		drop_tmp(u);
		return as_blob_too_large(err);
	}
	if (u->head_len < sizeof(u->head)) {
		size_t take = sizeof(u->head) - u->head_len;
		if (take > len)
			take = len;
		memcpy(u->head + u->head_len, data, take);
		u->head_len += take;
	}
	at_blob_hash_update(&u->hash, data, len);
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(u->fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			io_fail(err, "write", u->tmp_path);
			drop_tmp(u);
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	u->size += (int64_t)len;
	return 0;
}

/* The type a blob is kept with (blobs.h). */
static const char *kept_type(const as_blob_upload *u)
{
	const char *sniffed = at_image_sniff(u->head, u->head_len, NULL, NULL);
	if (sniffed != NULL)
		return sniffed;
	if (!at_blob_type_valid(u->given_type) || at_image_type_known(u->given_type))
		return "application/octet-stream";
	return u->given_type;
}

json_t *as_blob_upload_finish(as_blob_upload *u, as_ctx *ctx, at_error *err)
{
	as_store *s = ctx->store;
	char id[AT_BLOB_ID_SIZE], rel[AT_BLOB_REL_PATH_SIZE];
	char *dir = NULL, *path = NULL;
	json_t *answer = NULL;
	if (u->fd < 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "blob store: the upload was already ended");
		return NULL;
	}
	at_blob_hash_final(&u->hash, id);
	at_blob_rel_path(id, rel);
	if (asprintf(&dir, "%s/%.2s", u->blobs_dir, rel) < 0 ||
	    asprintf(&path, "%s/%s", u->blobs_dir, rel) < 0)
		abort();
	if (fsync(u->fd) < 0) {
		io_fail(err, "sync", u->tmp_path);
		goto done;
	}
	close(u->fd);
	u->fd = -1;
	if (ensure_dir(dir, err) < 0)
		goto done;
	/* the file goes into place under the write lock, so that garbage
	 * collection (which removes files under it) never takes a file whose
	 * row is being written */
	if (s->ops->begin(s, true, err) < 0)
		goto done;
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size == u->size) {
		/* the same content is there already */
		unlink(u->tmp_path);
	} else {
		if (rename(u->tmp_path, path) < 0) {
			io_fail(err, "move into place", path);
			s->ops->rollback(s);
			goto done;
		}
		if (fsync_dir(dir, err) < 0) {
			s->ops->rollback(s);
			goto done;
		}
	}
	free(u->tmp_path);
	u->tmp_path = NULL;
	int64_t now = (int64_t)time(NULL);
	as_blob b = {.id = id, .size = u->size, .type = kept_type(u), .created = now,
		     .uploaded_by = ctx->user->id};
	bool found = false;
	if (s->ops->blob_add(s, &b, err) < 0 || s->ops->blob_touch(s, id, now, err) < 0 ||
	    s->ops->blob_get(s, id, ctx->arena, &b, &found, err) < 0) {
		s->ops->rollback(s);
		goto done;
	}
	if (s->ops->commit(s, err) < 0)
		goto done;
	at_info(MOD, "blob %s (%lld bytes, %s) uploaded by %s", id, (long long)b.size, b.type,
		ctx->user->login);
	answer = json_pack("{s:s,s:I,s:s}", "blobId", id, "size", (json_int_t)b.size, "type",
			   b.type);
done:
	free(dir);
	free(path);
	return answer;
}

void as_blob_upload_free(as_blob_upload **up)
{
	if (up == NULL || *up == NULL)
		return;
	as_blob_upload *u = *up;
	drop_tmp(u);
	free(u->blobs_dir);
	free(u);
	*up = NULL;
}

/* ---- access ------------------------------------------------------------------ */

static int item_readable(as_ctx *ctx, const char *item_id, bool *yes_r, at_error *err)
{
	as_store *s = ctx->store;
	as_item it = {0};
	as_folder f;
	bool found;
	int rc = -1;
	*yes_r = false;
	if (s->ops->item_get(s, item_id, ctx->arena, &it, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	if (s->ops->folder_get(s, it.folder_id, ctx->arena, &f, &found, err) < 0)
		goto done;
	if (found) {
		at_rights r;
		if (as_folder_rights(ctx, &f, &r, err) < 0)
			goto done;
		bool own = strcmp(it.created_by, ctx->user->id) == 0;
		bool priv = json_is_true(json_object_get(it.fields, "private"));
		*yes_r = at_acl_may_read(&r, own, priv);
	}
	rc = 0;
done:
	as_item_clear(&it);
	return rc;
}

int as_blob_may_read(as_ctx *ctx, const char *blob_id, bool *yes_r, at_error *err)
{
	as_store *s = ctx->store;
	const char **ids;
	size_t n;
	*yes_r = false;
	if (s->ops->blob_uploaded(s, blob_id, ctx->user->id, yes_r, err) < 0)
		return -1;
	if (*yes_r)
		return 0;
	if (s->ops->blob_referencing(s, blob_id, MAX_REFS_CHECKED, ctx->arena, &ids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && !*yes_r; i++)
		if (item_readable(ctx, ids[i], yes_r, err) < 0)
			return -1;
	return 0;
}

int as_blob_open(as_ctx *ctx, const char *data_dir, const char *blob_id, as_blob *b_r,
		 int *fd_r, at_error *err)
{
	as_store *s = ctx->store;
	char rel[AT_BLOB_REL_PATH_SIZE];
	bool found, readable;
	*fd_r = -1;
	if (at_blob_rel_path(blob_id, rel) < 0)
		return 1;
	if (s->ops->blob_get(s, blob_id, ctx->arena, b_r, &found, err) < 0)
		return -1;
	if (!found)
		return 1;
	if (as_blob_may_read(ctx, blob_id, &readable, err) < 0)
		return -1;
	if (!readable)
		return 1;
	char *path = at_arena_printf(ctx->arena, "%s/blobs/%s", data_dir, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		io_fail(err, "open", path);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

/* ---- item writes ---------------------------------------------------------------- */

/* The blob an entry names, when it exists and the writer may read it;
 * else 1 with ie naming path. */
static int referenced_blob(as_ctx *ctx, json_t *entry, const char *path, as_blob *b_r,
			   at_error *ie, at_error *err)
{
	const char *id = json_string_value(json_object_get(entry, "blobId"));
	bool found = false, readable = false;
	if (id != NULL &&
	    ctx->store->ops->blob_get(ctx->store, id, ctx->arena, b_r, &found, err) < 0)
		return -1;
	if (found && as_blob_may_read(ctx, id, &readable, err) < 0)
		return -1;
	if (!found || !readable) {
		char field[AT_ERROR_FIELD_MAX];
		snprintf(field, sizeof(field), "%.48s.blobId", path);
		at_error_set(ie, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
			     "%s: no blob %.80s was uploaded (POST /api/blob first)", field,
			     id != NULL ? id : "");
		return 1;
	}
	return 0;
}

int as_blobs_check_item(as_ctx *ctx, json_t *fields, at_error *ie, at_error *err)
{
	as_blob b;
	int rc;
	json_t *photo = json_object_get(fields, "photo");
	if (json_is_object(photo)) {
		if ((rc = referenced_blob(ctx, photo, "photo", &b, ie, err)) != 0)
			return rc;
		const char *declared = json_string_value(json_object_get(photo, "type"));
		if (!at_image_type_known(b.type) || declared == NULL ||
		    strcmp(b.type, declared) != 0) {
			at_error_set(ie, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, "photo",
				     "photo: the blob is %s, not %s (a photo must be a JPEG, "
				     "PNG or GIF of the type it declares)",
				     at_image_type_known(b.type) ? b.type : "not an image",
				     declared != NULL ? declared : "?");
			return 1;
		}
		if (b.size > AT_PHOTO_MAX_BYTES) {
			at_error_set(ie, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, "photo",
				     "photo: %lld bytes, the limit is %lld bytes "
				     "(limits.maxPhotoBytes)", (long long)b.size,
				     (long long)AT_PHOTO_MAX_BYTES);
			return 1;
		}
		json_object_set_new(photo, "size", json_integer(b.size));
	}
	json_t *list = json_object_get(fields, "attachments");
	size_t i;
	json_t *a;
	int64_t total = 0;
	json_array_foreach(list, i, a) {
		char path[48];
		snprintf(path, sizeof(path), "attachments[%zu]", i);
		if ((rc = referenced_blob(ctx, a, path, &b, ie, err)) != 0)
			return rc;
		json_object_set_new(a, "size", json_integer(b.size));
		json_object_set_new(a, "type", json_string(b.type));
		total += b.size;
	}
	if (total > AT_ATTACHMENT_MAX_BYTES_PER_ITEM) {
		at_error_set(ie, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, "attachments",
			     "attachments: %lld bytes in all, the limit of one item is %lld "
			     "bytes (limits.maxAttachmentBytesPerItem)", (long long)total,
			     (long long)AT_ATTACHMENT_MAX_BYTES_PER_ITEM);
		return 1;
	}
	return 0;
}

/* ---- garbage collection ----------------------------------------------------------- */

int as_blob_touch(as_ctx *ctx, const char *blob_id, at_error *err)
{
	as_store *s = ctx->store;
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->blob_touch(s, blob_id, (int64_t)time(NULL), err) < 0 ||
	    s->ops->commit(s, err) < 0) {
		s->ops->rollback(s);
		return -1;
	}
	return 0;
}

int as_blobs_collect(as_store *s, const char *data_dir, int64_t before, int64_t *collected_r,
		     at_error *err)
{
	*collected_r = 0;
	for (;;) {
		at_arena *a = at_arena_new(0);
		const char **ids;
		size_t n;
		if (s->ops->begin(s, true, err) < 0) {
			at_arena_free(&a);
			return -1;
		}
		if (s->ops->blobs_unreferenced(s, before, AS_BLOB_COLLECT_BATCH, a, &ids, &n,
					       err) < 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			char rel[AT_BLOB_REL_PATH_SIZE];
			if (s->ops->blob_delete(s, ids[i], err) < 0)
				goto fail;
			if (at_blob_rel_path(ids[i], rel) < 0)
				continue;
			char *path = at_arena_printf(a, "%s/blobs/%s", data_dir, rel);
			if (unlink(path) < 0 && errno != ENOENT)
				at_warn(MOD, "blob %s: cannot remove %s: %s", ids[i], path,
					strerror(errno));
		}
		if (s->ops->commit(s, err) < 0)
			goto fail;
		*collected_r += (int64_t)n;
		at_arena_free(&a);
		if (n < AS_BLOB_COLLECT_BATCH)
			return 0;
		continue;
	fail:
		s->ops->rollback(s);
		at_arena_free(&a);
		return -1;
	}
}
