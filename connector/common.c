/* common.c — see common.h. */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

void ac_now_iso(char buf[AC_TIME_SIZE])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, AC_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ac_random_id(char buf[AC_ID_SIZE])
{
	at_random_hex(buf, AC_LOCAL_ID_BYTES);
}

const char *ac_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool ac_json_eq(json_t *a, json_t *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return json_equal(a, b) != 0;
}

json_t *ac_json_parse(const char *text, size_t len, at_error *err)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		at_error_set(err, AT_E_NOT_JSON, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "not JSON: %s at line %d column %d", jerr.text, jerr.line,
			     jerr.column);
	return v;
}

char *ac_json_dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL) {
		fputs("atrium: out of memory\n", stderr);
		abort();
	}
	return s;
}

static int io_error(at_error *err, const char *what, const char *path)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			    "%s %s: %s", what, path, strerror(errno));
}

int ac_mkdir_p(const char *path, mode_t mode, at_error *err)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, NULL, "bad directory path \"%.200s\"", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return io_error(err, "cannot create directory", buf);
		buf[i] = saved;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return io_error(err, "cannot create directory", path);
	if (!S_ISDIR(st.st_mode))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, NULL, "%s is not a directory", path);
	return 0;
}

int ac_read_file(const char *path, size_t max, char **data_r, size_t *len_r,
		 at_error *err)
{
	int ret = -1;
	char *data = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*data_r = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				     NULL, "%s does not exist", path);
		else
			io_error(err, "cannot open", path);
		goto done;
	}
	data = malloc(max + 1);
	if (data == NULL) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "out of memory reading %s", path);
		goto done;
	}
	for (;;) {
		if (len > max) {
			at_error_set(err, AT_E_LIMIT, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				     "%s is larger than %zu bytes", path, max);
			goto done;
		}
		ssize_t r = read(fd, data + len, max + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			io_error(err, "cannot read", path);
			goto done;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	data[len] = '\0';
	*data_r = data;
	data = NULL;
	if (len_r != NULL)
		*len_r = len;
	ret = 0;
done:
	free(data);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int fsync_dir_of(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

int ac_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 at_error *err)
{
	int ret = -1;
	char tmp[4096];
	int fd = -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, NULL, "path too long: %.200s", path);
	/* A leftover from an interrupted write is ours to replace. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		io_error(err, "cannot remove", tmp);
		goto done;
	}
	mode_t old_mask = umask(077);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	umask(old_mask);
	if (fd < 0) {
		io_error(err, "cannot create", tmp);
		goto done;
	}
	if (fchmod(fd, mode) < 0) {
		io_error(err, "cannot set the mode of", tmp);
		goto done;
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			io_error(err, "cannot write", tmp);
			goto done;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		io_error(err, "cannot sync", tmp);
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		io_error(err, "cannot close", tmp);
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		io_error(err, "cannot rename to", path);
		goto done;
	}
	fsync_dir_of(path);
	ret = 0;
done:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp);
	return ret;
}

static int remove_tree_at(int parent, const char *name, at_error *err)
{
	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return io_error(err, "cannot remove", name);
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return io_error(err, "cannot open directory", name);
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return io_error(err, "cannot read directory", name);
	}
	int ret = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_tree_at(dirfd(d), de->d_name, err) < 0) {
			ret = -1;
			break;
		}
	}
	closedir(d);
	if (ret == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		ret = io_error(err, "cannot remove directory", name);
	return ret;
}

int ac_remove_tree(const char *path, at_error *err)
{
	return remove_tree_at(AT_FDCWD, path, err);
}
