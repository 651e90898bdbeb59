/* blobs.c — see blobs.h. */
#include "blobs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define COPY_CHUNK 65536

static int io_fail(at_error *err, const char *what, const char *path)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			    "cannot %s %s: %s", what, path, strerror(errno));
}

static int64_t limit_of(json_t *limits, const char *name, int64_t dflt)
{
	json_t *v = json_object_get(limits, name);
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : dflt;
}

void ac_blob_limits_get(ac_store *store, ac_blob_limits *l)
{
	char *text = NULL;
	at_error ignored;
	json_t *limits = NULL;
	if (store != NULL && ac_store_meta_get(store, "limits", &text, &ignored) == 0 &&
	    text != NULL)
		limits = ac_json_parse(text, strlen(text), &ignored);
	l->max_blob = limit_of(limits, "maxBlobBytes", AT_BLOB_MAX_BYTES);
	l->max_photo = limit_of(limits, "maxPhotoBytes", AT_PHOTO_MAX_BYTES);
	l->max_per_item = limit_of(limits, "maxAttachmentBytesPerItem",
				   AT_ATTACHMENT_MAX_BYTES_PER_ITEM);
	json_decref(limits);
	free(text);
}

char *ac_blob_cache_dir(const char *profile_dir)
{
	char *dir;
	if (asprintf(&dir, "%s/blobs", profile_dir) < 0)
		abort();
	return dir;
}

char *ac_blob_path(const char *cache, const char *id)
{
	char rel[AT_BLOB_REL_PATH_SIZE], *path;
	if (at_blob_rel_path(id, rel) < 0)
		return NULL;
	if (asprintf(&path, "%s/%s", cache, rel) < 0)
		abort();
	return path;
}

bool ac_blob_cached(const char *cache, const char *id)
{
	char *path = ac_blob_path(cache, id);
	bool yes = path != NULL && access(path, R_OK) == 0;
	free(path);
	return yes;
}

/* ---- writing into the cache ----------------------------------------------------- */

struct ac_blob_writer {
	char *cache, *tmp;
	int fd;
	int64_t size, max;
	char what[64];
	at_blob_hash hash;
	unsigned char head[AT_IMAGE_SNIFF_BYTES];
	size_t head_len;
};

int ac_blob_writer_open(const char *cache, int64_t max, const char *what,
			ac_blob_writer **w_r, at_error *err)
{
	*w_r = NULL;
	char *tmp_dir;
	if (asprintf(&tmp_dir, "%s/tmp", cache) < 0)
		abort();
	if (ac_mkdir_p(tmp_dir, 0700, err) < 0) {
		free(tmp_dir);
		return -1;
	}
	ac_blob_writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		abort();
	w->cache = strdup(cache);
	if (w->cache == NULL || asprintf(&w->tmp, "%s/blob-XXXXXX", tmp_dir) < 0)
		abort();
	free(tmp_dir);
	w->max = max > 0 ? max : AT_BLOB_MAX_BYTES;
	snprintf(w->what, sizeof(w->what), "%s", what != NULL ? what : "the file");
	at_blob_hash_init(&w->hash);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		io_fail(err, "create", w->tmp);
		free(w->tmp);
		w->tmp = NULL;
		ac_blob_writer_abort(&w);
		return -1;
	}
	*w_r = w;
	return 0;
}

int ac_blob_writer_write(ac_blob_writer *w, const void *data, size_t len, at_error *err)
{
	if (w->size + (int64_t)len > w->max)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "%s is larger than %lld bytes, the limit", w->what,
				    (long long)w->max);
	if (w->head_len < sizeof(w->head)) {
		size_t take = sizeof(w->head) - w->head_len;
		take = take < len ? take : len;
		memcpy(w->head + w->head_len, data, take);
		w->head_len += take;
	}
	at_blob_hash_update(&w->hash, data, len);
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_fail(err, "write", w->tmp);
		p += n;
		len -= (size_t)n;
	}
	w->size += (int64_t)(p - (const char *)data);
	return 0;
}

void ac_blob_writer_abort(ac_blob_writer **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	ac_blob_writer *w = *wp;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp != NULL)
		unlink(w->tmp);
	free(w->tmp);
	free(w->cache);
	free(w);
	*wp = NULL;
}

int ac_blob_writer_finish(ac_blob_writer **wp, const char *expect_id,
			  char id_r[AT_BLOB_ID_SIZE], int64_t *size_r, const char **type_r,
			  at_error *err)
{
	ac_blob_writer *w = *wp;
	char id[AT_BLOB_ID_SIZE];
	char *path = NULL, *dir = NULL;
	int ret = -1;
	at_blob_hash_final(&w->hash, id);
	if (expect_id != NULL && strcmp(id, expect_id) != 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_TEMPORARY, NULL,
			     "the content received for %s has the hash %s", expect_id, id);
		goto done;
	}
	if (fsync(w->fd) < 0) {
		io_fail(err, "sync", w->tmp);
		goto done;
	}
	close(w->fd);
	w->fd = -1;
	path = ac_blob_path(w->cache, id);
	if (asprintf(&dir, "%s/%.2s", w->cache, id + 7) < 0)
		abort();
	if (ac_mkdir_p(dir, 0700, err) < 0)
		goto done;
	if (rename(w->tmp, path) < 0) {
		io_fail(err, "move into place", path);
		goto done;
	}
	free(w->tmp);
	w->tmp = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (id_r != NULL)
		memcpy(id_r, id, AT_BLOB_ID_SIZE);
	if (size_r != NULL)
		*size_r = w->size;
	if (type_r != NULL)
		*type_r = at_image_sniff(w->head, w->head_len, NULL, NULL);
	ret = 0;
done:
	free(path);
	free(dir);
	ac_blob_writer_abort(wp);
	return ret;
}

int ac_blob_import_file(const char *cache, const char *path, int64_t max, const char *what,
			char id_r[AT_BLOB_ID_SIZE], int64_t *size_r, const char **type_r,
			at_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "%s is not a regular file", path);
	}
	if (max > 0 && st.st_size > max) {
		close(fd);
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "%s is %lld bytes, larger than %lld bytes, the limit of %s",
				    path, (long long)st.st_size, (long long)max, what);
	}
	ac_blob_writer *w;
	if (ac_blob_writer_open(cache, max, what, &w, err) < 0) {
		close(fd);
		return -1;
	}
	char *buf = malloc(COPY_CHUNK);
	if (buf == NULL)
		abort();
	int ret = -1;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			io_fail(err, "read", path);
			goto done;
		}
		if (n == 0)
			break;
		if (ac_blob_writer_write(w, buf, (size_t)n, err) < 0)
			goto done;
	}
	ret = ac_blob_writer_finish(&w, NULL, id_r, size_r, type_r, err);
done:
	ac_blob_writer_abort(&w);
	free(buf);
	close(fd);
	return ret;
}

int ac_blob_import_bytes(const char *cache, const void *data, size_t len,
			 char id_r[AT_BLOB_ID_SIZE], const char **type_r, at_error *err)
{
	ac_blob_writer *w;
	if (ac_blob_writer_open(cache, 0, "the content", &w, err) < 0)
		return -1;
	if (ac_blob_writer_write(w, data, len, err) < 0) {
		ac_blob_writer_abort(&w);
		return -1;
	}
	return ac_blob_writer_finish(&w, NULL, id_r, NULL, type_r, err);
}

int ac_blob_read(const char *cache, const char *id, int64_t max, unsigned char **data_r,
		 size_t *len_r, at_error *err)
{
	char *path = ac_blob_path(cache, id), *data = NULL;
	if (path == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "\"%.80s\" is not a blob id", id);
	int rc = ac_read_file(path, (size_t)max, &data, len_r, err);
	free(path);
	*data_r = (unsigned char *)data;
	return rc;
}

int ac_blob_copy_out(const char *cache, const char *id, const char *dest, at_error *err)
{
	char *src = ac_blob_path(cache, id), *tmp = NULL, *buf = NULL;
	int in = -1, out = -1, ret = -1;
	if (src == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "\"%.80s\" is not a blob id", id);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		io_fail(err, "read", src);
		goto done;
	}
	if (asprintf(&tmp, "%s.atrium-XXXXXX", dest) < 0)
		abort();
	if ((out = mkostemp(tmp, O_CLOEXEC)) < 0) {
		io_fail(err, "create", tmp);
		free(tmp);
		tmp = NULL;
		goto done;
	}
	fchmod(out, 0644);
	if ((buf = malloc(COPY_CHUNK)) == NULL)
		abort();
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			io_fail(err, "read", src);
			goto done;
		}
		if (n == 0)
			break;
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(out, buf + o, (size_t)(n - o));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				io_fail(err, "write", tmp);
				goto done;
			}
			o += w;
		}
	}
	if (fsync(out) < 0 || close(out) < 0) {
		out = -1;
		io_fail(err, "write", tmp);
		goto done;
	}
	out = -1;
	if (rename(tmp, dest) < 0) {
		io_fail(err, "write", dest);
		goto done;
	}
	free(tmp);
	tmp = NULL;
	ret = 0;
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(buf);
	free(src);
	return ret;
}

size_t ac_blob_refs(json_t *fields, const char **ids, const char **types, size_t max)
{
	size_t n = 0;
	json_t *photo = json_object_get(fields, "photo");
	if (n < max && json_is_object(photo) && ac_jstr(photo, "blobId") != NULL) {
		ids[n] = ac_jstr(photo, "blobId");
		types[n++] = ac_jstr(photo, "type");
	}
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(fields, "attachments"), i, a) {
		if (n < max && ac_jstr(a, "blobId") != NULL) {
			ids[n] = ac_jstr(a, "blobId");
			types[n++] = ac_jstr(a, "type");
		}
	}
	return n;
}

/* ---- pruning ---------------------------------------------------------------------- */

int ac_blob_cache_prune(const char *cache, ac_store *store, int64_t older_than,
			size_t *removed_r, at_error *err)
{
	json_t *refs = json_object();
	size_t removed = 0;
	int ret = -1;
	DIR *top = NULL;
	if (removed_r != NULL)
		*removed_r = 0;
	top = opendir(cache);
	if (top == NULL) {
		ret = 0;  /* nothing cached yet: no need to read the store */
		goto done;
	}
	if (ac_store_blob_refs(store, refs, err) < 0)
		goto done;
	time_t limit = time(NULL) - (time_t)older_than;
	struct dirent *d1;
	while ((d1 = readdir(top)) != NULL) {
		if (strlen(d1->d_name) != 2 || !isxdigit((unsigned char)d1->d_name[0]) ||
		    !isxdigit((unsigned char)d1->d_name[1]))
			continue;
		char *sub;
		if (asprintf(&sub, "%s/%s", cache, d1->d_name) < 0)
			abort();
		DIR *dir = opendir(sub);
		struct dirent *d2;
		while (dir != NULL && (d2 = readdir(dir)) != NULL) {
			char id[AT_BLOB_ID_SIZE];
			if (strlen(d2->d_name) + 9 >= sizeof(id))
				continue;
			snprintf(id, sizeof(id), "sha256:%.2s%.62s", d1->d_name, d2->d_name);
			if (!at_blob_id_valid(id) || json_object_get(refs, id) != NULL)
				continue;
			char *path;
			if (asprintf(&path, "%s/%s", sub, d2->d_name) < 0)
				abort();
			struct stat st;
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime <= limit &&
			    unlink(path) == 0)
				removed++;
			free(path);
		}
		if (dir != NULL)
			closedir(dir);
		free(sub);
	}
	if (removed_r != NULL)
		*removed_r = removed;
	ret = 0;
done:
	if (top != NULL)
		closedir(top);
	json_decref(refs);
	return ret;
}
