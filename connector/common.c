/* common.c — see common.h. */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "store.h"

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

/* --- the command line's typed values (see common.h) --------------------------- */

bool ac_skip_local_validation(void)
{
	const char *v = getenv("ATRIUM_SKIP_LOCAL_VALIDATION");
	return v != NULL && strcmp(v, "1") == 0;
}

json_t *ac_split_list(const char *text)
{
	json_t *list = json_array();
	const char *p = text;
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		const char *s = p;
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n > 0) {
			json_t *e = json_stringn(s, n);
			if (e == NULL) {  /* not UTF-8 */
				json_decref(list);
				return NULL;
			}
			json_array_append_new(list, e);
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return list;
}

int ac_field_option(const at_item_type *t, int argc, char **argv, int *i,
		    const at_field_def **f_r, const char **text_r, at_error *err)
{
	const char *arg = argv[*i];
	char name[AT_MAX_FIELD_NAME * 2];
	if (strncmp(arg, "--", 2) != 0)
		return 0;
	const char *eq = strchr(arg, '=');
	size_t n = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, arg + 2, n);
	name[n] = '\0';
	const at_field_def *f = at_model_field_by_kebab(t, name);
	if (f == NULL && eq == NULL && strncmp(name, "no-", 3) == 0) {
		f = at_model_field_by_kebab(t, name + 3);
		if (f == NULL || f->type != AT_FT_BOOL)
			return 0;
		*f_r = f;
		*text_r = "false";
		return 1;
	}
	if (f == NULL || f->type == AT_FT_OBJECT || f->type == AT_FT_OBJECT_LIST)
		return 0;
	*f_r = f;
	if (eq != NULL) {
		*text_r = eq + 1;
	} else if (f->type == AT_FT_BOOL) {
		*text_r = "true";
	} else if (*i + 1 < argc) {
		*text_r = argv[++*i];
	} else {
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    f->name, "--%s needs a value", name);
	}
	return 1;
}

int ac_field_value(const at_field_def *f, const char *text, bool patch, json_t **value_r,
		   at_error *err)
{
	json_t *v = NULL;
	*value_r = NULL;
	if (text[0] == '\0') {
		if (patch)
			*value_r = json_null();
		return 0;
	}
	switch (f->type) {
	case AT_FT_BOOL:
		if (strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0 ||
		    strcmp(text, "1") == 0)
			v = json_true();
		else if (strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0 ||
			 strcmp(text, "0") == 0)
			v = json_false();
		else
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, f->name, "give true or false");
		break;
	case AT_FT_INT: {
		char *end;
		errno = 0;
		long long x = strtoll(text, &end, 10);
		if (*end != '\0' || errno != 0)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, f->name, "\"%.40s\" is not a whole "
					    "number", text);
		v = json_integer(x);
		break;
	}
	case AT_FT_TEXT_LIST:
	case AT_FT_DATETIME_LIST:
		v = ac_split_list(text);
		if (v != NULL && json_array_size(v) == 0) {
			json_decref(v);
			*value_r = patch ? json_null() : NULL;
			return 0;
		}
		break;
	default:
		v = json_string(text);
		break;
	}
	if (v == NULL)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    f->name, "the value is not valid UTF-8");
	*value_r = v;
	return 0;
}

const char *ac_user_zone(const char *given)
{
	static char buf[128];
	if (given != NULL)
		return given;
	const char *tz = getenv("TZ");
	if (tz != NULL && *tz == ':')
		tz++;
	if (tz != NULL && *tz != '\0' && at_recur_zone_known(tz))
		return tz;
	FILE *f = fopen("/etc/timezone", "r");
	if (f != NULL) {
		bool ok = fgets(buf, sizeof(buf), f) != NULL;
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (ok && buf[0] != '\0' && at_recur_zone_known(buf))
			return buf;
	}
	ssize_t n = readlink("/etc/localtime", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		const char *z = strstr(buf, "zoneinfo/");
		if (z != NULL && at_recur_zone_known(z + 9))
			return z + 9;
	}
	return "UTC";
}

int ac_user_time_parse(const char *s, at_recur_time *t_r)
{
	char buf[40];
	size_t n = strlen(s);
	if (n >= sizeof(buf) - 4)
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	if (n > 10 && buf[10] == ' ')
		buf[10] = 'T';
	/* HH:MM without seconds */
	if (n >= 16 && buf[10] == 'T' && (buf[16] == '\0' || buf[16] == 'Z' || buf[16] == 'z' ||
					 buf[16] == '+' || buf[16] == '-')) {
		memmove(buf + 19, buf + 16, n - 16 + 1);
		memcpy(buf + 16, ":00", 3);
	}
	return at_model_datetime_parse(buf, t_r);
}

int ac_user_time_wire(const at_recur_time *t, const char *zone, char out[AT_DATETIME_SIZE],
		      at_error *err)
{
	at_recur_time x = *t;
	if (!x.is_date && x.tzid == NULL) {
		int64_t u;
		x.tzid = zone;
		if (at_recur_to_utc(&x, NULL, &u, err) < 0 || at_recur_from_utc(u, NULL, &x, err) < 0)
			return -1;
		x.tzid = "UTC";
	}
	at_model_datetime_format(&x, out);
	return 0;
}

void ac_user_time_show(const char *wire, const char *zone, char *buf, size_t size)
{
	at_recur_time t;
	at_error ignored;
	if (at_model_datetime_parse(wire, &t) < 0) {
		snprintf(buf, size, "%s", wire);
		return;
	}
	if (t.is_date) {
		snprintf(buf, size, "%04d-%02d-%02d", t.year, t.month, t.day);
		return;
	}
	if (t.tzid != NULL) {
		int64_t u;
		if (at_recur_to_utc(&t, NULL, &u, &ignored) == 0)
			at_recur_from_utc(u, zone, &t, &ignored);
	}
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", t.year, t.month, t.day, t.hour, t.minute);
	if (t.second != 0)
		snprintf(buf + strlen(buf), size - strlen(buf), ":%02d", t.second);
}

void ac_print_value(const char *label, json_t *v)
{
	printf("%-24s ", label);
	if (json_is_string(v)) {
		/* continuation lines of notes line up under the value */
		for (const char *p = json_string_value(v); *p != '\0'; p++) {
			putchar(*p);
			if (*p == '\n' && p[1] != '\0')
				printf("%-24s ", "");
		}
	} else if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "yes" : "no", stdout);
	} else if (json_is_integer(v)) {
		printf("%lld", (long long)json_integer_value(v));
	} else if (json_is_array(v) && json_array_size(v) > 0 &&
		   json_is_string(json_array_get(v, 0))) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			printf("%s%s", i ? ", " : "", json_is_string(e) ? json_string_value(e) : "?");
		}
	} else {
		char *text = ac_json_dump(v);
		fputs(text, stdout);
		free(text);
	}
	putchar('\n');
}

void ac_print_item_state(const ac_item *it, const char *folder)
{
	printf("%-24s %s\n", "server id", it->server_id[0] ? it->server_id
							  : "(not on the server yet)");
	printf("%-24s %s\n", "folder", folder != NULL ? folder
					: it->folder_id[0] ? it->folder_id : "(default)");
	printf("%-24s %s\n", "state", ac_item_state_name(it->state));
	printf("%-24s %lld\n", "version", (long long)it->version);
	if (it->error != NULL) {
		const char *field = ac_jstr(it->error, "field");
		printf("%-24s %s%s%s: %s\n", "error", ac_jstr(it->error, "type"),
		       field ? " on " : "", field ? field : "", ac_jstr(it->error, "message"));
	}
}

void ac_print_unknown_fields(const at_item_type *t, json_t *fields)
{
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v) {
		if (t == NULL || at_model_field(t, k) == NULL)
			ac_print_value(k, v);
	}
}

void ac_print_json(json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2));
	puts(text != NULL ? text : "null");
	free(text);
}

const char *ac_answer_status(const char *answer)
{
	static const char *const words[][2] = {
		{"accept", "accepted"}, {"tentative", "tentative"}, {"decline", "declined"},
	};
	for (size_t i = 0; answer != NULL && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(answer, words[i][0]) == 0 || strcmp(answer, words[i][1]) == 0)
			return words[i][1];
	return NULL;
}
