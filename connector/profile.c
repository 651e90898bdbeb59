/* profile.c — see profile.h. */
#include "profile.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

#define PROFILE_JSON_MAX (64 * 1024)
#define SECRET_MAX (16 * 1024)
#define MAX_PROFILES 1024

static char *xstrdup(const char *s)
{
	char *d = strdup(s != NULL ? s : "");
	if (d == NULL) {
		fputs("atrium: out of memory\n", stderr);
		abort();
	}
	return d;
}

static char *join(const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", a, b) < 0) {
		fputs("atrium: out of memory\n", stderr);
		abort();
	}
	return s;
}

int ac_home_resolve(const char *opt_home, char **home_r, at_error *err)
{
	const char *env;
	char *home = NULL;
	*home_r = NULL;
	if (opt_home != NULL && opt_home[0] != '\0')
		home = xstrdup(opt_home);
	else if ((env = getenv("ATRIUM_HOME")) != NULL && env[0] != '\0')
		home = xstrdup(env);
	else if ((env = getenv("XDG_DATA_HOME")) != NULL && env[0] == '/')
		home = join(env, "atrium");
	else if ((env = getenv("HOME")) != NULL && env[0] != '\0')
		home = join(env, ".local/share/atrium");
	else
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, NULL,
				    "no home directory: give --home DIR or set ATRIUM_HOME");
	if (strlen(home) > 3000) {
		free(home);
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, NULL, "the home directory path is too long");
	}
	*home_r = home;
	return 0;
}

int ac_home_prepare(const char *home, at_error *err)
{
	char *profiles = join(home, "profiles");
	int ret = ac_mkdir_p(profiles, 0700, err);
	free(profiles);
	return ret;
}

bool ac_profile_name_valid(const char *name)
{
	size_t n = 0;
	for (const char *p = name; *p != '\0'; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= AC_PROFILE_NAME_MAX && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

bool ac_server_url_valid(const char *url)
{
	size_t n = strlen(url);
	if (n > AC_SERVER_URL_MAX)
		return false;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return false;
	const char *host = url + (url[4] == 's' ? 8 : 7);
	if (*host == '\0' || *host == '/')
		return false;
	for (const char *p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int bad_name(at_error *err, const char *name)
{
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			    "name",
			    "invalid profile name \"%.80s\": use 1 to %d characters of "
			    "A-Z a-z 0-9 . _ -", name, AC_PROFILE_NAME_MAX);
}

static char *profile_dir(const char *home, const char *name)
{
	char *profiles = join(home, "profiles");
	char *dir = join(profiles, name);
	free(profiles);
	return dir;
}

static bool profile_exists(const char *home, const char *name)
{
	char *dir = profile_dir(home, name);
	char *pj = join(dir, "profile.json");
	struct stat st;
	bool ok = stat(pj, &st) == 0 && S_ISREG(st.st_mode);
	free(pj);
	free(dir);
	return ok;
}

static int write_json_file(const char *path, json_t *obj, at_error *err)
{
	char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "out of memory writing %s", path);
	size_t len = strlen(text);
	int ret = ac_write_file_atomic(path, text, len, 0600, err);
	sodium_memzero(text, len);
	free(text);
	return ret;
}

static int write_secret(const char *dir, const char *password, const char *token,
			at_error *err)
{
	json_t *o = json_pack("{s:s}", "password", password);
	if (token != NULL)
		json_object_set_new(o, "token", json_string(token));
	char *path = join(dir, "secret");
	int ret = write_json_file(path, o, err);
	free(path);
	json_decref(o);
	return ret;
}

static int write_current(const char *home, const char *name, at_error *err)
{
	char *path = join(home, "current");
	char line[AC_PROFILE_NAME_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", name);
	int ret = ac_write_file_atomic(path, line, (size_t)n, 0600, err);
	free(path);
	return ret;
}

int ac_profile_current(const char *home, char *name_r, at_error *err)
{
	char *path = join(home, "current");
	char *data = NULL;
	int ret = -1;
	name_r[0] = '\0';
	if (ac_read_file(path, 256, &data, NULL, err) < 0) {
		if (strcmp(err->code, AT_E_NOT_FOUND) == 0)
			at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				     NULL, "no current profile: add one with \"atrium profile "
				     "add\" or choose one with \"atrium profile use NAME\"");
		goto done;
	}
	data[strcspn(data, "\r\n")] = '\0';
	if (!ac_profile_name_valid(data)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     NULL, "%s does not hold a valid profile name", path);
		goto done;
	}
	snprintf(name_r, AC_PROFILE_NAME_MAX + 1, "%s", data);
	ret = 0;
done:
	free(data);
	free(path);
	return ret;
}

int ac_profile_add(const char *home, const char *name, const char *server,
		   const char *user, const char *password, bool *made_current_r,
		   at_error *err)
{
	int ret = -1;
	char *dir = NULL, *pj = NULL, *url = NULL;
	json_t *obj = NULL;
	bool created_dir = false;
	char now[AC_TIME_SIZE];
	at_error ignored;

	if (made_current_r != NULL)
		*made_current_r = false;
	if (!ac_profile_name_valid(name))
		return bad_name(err, name);
	if (!ac_server_url_valid(server))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, "server",
				    "invalid server URL \"%.200s\": give http://HOST[:PORT] or "
				    "https://HOST[:PORT]", server);
	size_t ulen = strlen(user);
	if (ulen == 0 || ulen > AC_LOGIN_MAX)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, "user",
				    "the login must have 1 to %d characters", AC_LOGIN_MAX);
	for (const char *p = user; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
					    AT_RETRY_FINAL, "user",
					    "the login contains control characters");
	if (strlen(password) > 1024)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, "password",
				    "the password is longer than 1024 bytes");
	if (ac_home_prepare(home, err) < 0)
		return -1;

	dir = profile_dir(home, name);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			at_error_set(err, AT_E_EXISTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "name",
				     "profile \"%s\" already exists", name);
		else
			at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				     "cannot create %s: %s", dir, strerror(errno));
		goto done;
	}
	created_dir = true;
	url = xstrdup(server);
	for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
		url[n - 1] = '\0';
	ac_now_iso(now);
	obj = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "server", url, "user", user,
			"created", now);
	/* the secret first: a profile.json without its secret is never seen */
	if (write_secret(dir, password, NULL, err) < 0)
		goto done;
	pj = join(dir, "profile.json");
	if (write_json_file(pj, obj, err) < 0)
		goto done;
	char current[AC_PROFILE_NAME_MAX + 1];
	if (ac_profile_current(home, current, &ignored) < 0 ||
	    !profile_exists(home, current)) {
		if (write_current(home, name, err) < 0)
			goto done;
		if (made_current_r != NULL)
			*made_current_r = true;
	}
	ret = 0;
done:
	if (ret < 0 && created_dir)
		ac_remove_tree(dir, &ignored);
	json_decref(obj);
	free(url);
	free(pj);
	free(dir);
	return ret;
}

static int need_profile(const char *home, const char *name, at_error *err)
{
	if (!ac_profile_name_valid(name))
		return bad_name(err, name);
	if (!profile_exists(home, name))
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "name", "no profile named \"%s\" (see \"atrium profile "
				    "list\")", name);
	return 0;
}

int ac_profile_remove(const char *home, const char *name, at_error *err)
{
	char current[AC_PROFILE_NAME_MAX + 1];
	at_error ignored;
	if (need_profile(home, name, err) < 0)
		return -1;
	/* forget "current" first: never point at a half-removed profile */
	if (ac_profile_current(home, current, &ignored) == 0 &&
	    strcmp(current, name) == 0) {
		char *path = join(home, "current");
		int r = unlink(path);
		free(path);
		if (r < 0 && errno != ENOENT)
			return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
					    NULL, "cannot clear the current profile: %s",
					    strerror(errno));
	}
	char *dir = profile_dir(home, name);
	int ret = ac_remove_tree(dir, err);
	free(dir);
	return ret;
}

int ac_profile_use(const char *home, const char *name, at_error *err)
{
	if (need_profile(home, name, err) < 0)
		return -1;
	return write_current(home, name, err);
}

static json_t *read_json(const char *path, size_t max, at_error *err)
{
	char *data = NULL;
	size_t len = 0;
	if (ac_read_file(path, max, &data, &len, err) < 0)
		return NULL;
	json_t *v = ac_json_parse(data, len, err);
	sodium_memzero(data, len);
	free(data);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	if (v == NULL)
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     NULL, "%s is damaged (not a JSON object)", path);
	return v;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ac_profile_list(const char *home, json_t **list_r, at_error *err)
{
	char *profiles = join(home, "profiles");
	char *names[MAX_PROFILES];
	size_t n = 0;
	char current[AC_PROFILE_NAME_MAX + 1];
	at_error ignored;
	json_t *list = json_array();
	*list_r = NULL;
	(void)err;  /* unreadable entries are skipped, not fatal */

	DIR *d = opendir(profiles);
	if (d != NULL) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL && n < MAX_PROFILES) {
			if (ac_profile_name_valid(de->d_name) && profile_exists(home, de->d_name))
				names[n++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	free(profiles);
	qsort(names, n, sizeof(names[0]), cmp_names);
	if (ac_profile_current(home, current, &ignored) < 0)
		current[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char *dir = profile_dir(home, names[i]);
		char *pj = join(dir, "profile.json");
		json_t *obj = read_json(pj, PROFILE_JSON_MAX, &ignored);
		const char *server = obj != NULL ? ac_jstr(obj, "server") : NULL;
		const char *user = obj != NULL ? ac_jstr(obj, "user") : NULL;
		const char *created = obj != NULL ? ac_jstr(obj, "created") : NULL;
		json_array_append_new(list, json_pack("{s:s,s:s?,s:s?,s:s?,s:b}",
						      "name", names[i], "server", server,
						      "user", user, "created", created,
						      "current", strcmp(names[i], current) == 0));
		json_decref(obj);
		free(pj);
		free(dir);
		free(names[i]);
	}
	*list_r = list;
	return 0;
}

int ac_profile_open(const char *home, const char *name, ac_profile **profile_r,
		    at_error *err)
{
	int ret = -1;
	char current[AC_PROFILE_NAME_MAX + 1];
	ac_profile *p = NULL;
	json_t *obj = NULL, *sec = NULL;
	char *pj = NULL, *sp = NULL;

	*profile_r = NULL;
	if (name == NULL) {
		if (ac_profile_current(home, current, err) < 0)
			return -1;
		name = current;
	}
	if (need_profile(home, name, err) < 0)
		return -1;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "out of memory");
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->home = xstrdup(home);
	p->dir = profile_dir(home, name);
	pj = join(p->dir, "profile.json");
	sp = join(p->dir, "secret");
	if ((obj = read_json(pj, PROFILE_JSON_MAX, err)) == NULL)
		goto done;
	const char *server = ac_jstr(obj, "server"), *user = ac_jstr(obj, "user");
	if (server == NULL || user == NULL || !ac_server_url_valid(server)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     NULL, "%s lacks a valid server or user", pj);
		goto done;
	}
	p->server = xstrdup(server);
	p->user = xstrdup(user);
	p->created = xstrdup(ac_jstr(obj, "created"));
	if (ac_jstr(obj, "pin") != NULL)
		p->pin = xstrdup(ac_jstr(obj, "pin"));
	if (ac_jstr(obj, "caFile") != NULL)
		p->ca_file = xstrdup(ac_jstr(obj, "caFile"));
	if ((sec = read_json(sp, SECRET_MAX, err)) == NULL)
		goto done;
	struct stat st;
	if (stat(sp, &st) == 0 && (st.st_mode & 077) != 0)
		chmod(sp, 0600);  /* repair, never widen */
	p->password = xstrdup(ac_jstr(sec, "password"));
	if (ac_jstr(sec, "token") != NULL)
		p->token = xstrdup(ac_jstr(sec, "token"));
	*profile_r = p;
	p = NULL;
	ret = 0;
done:
	ac_profile_free(&p);
	json_decref(obj);
	if (sec != NULL) {
		json_object_clear(sec);
		json_decref(sec);
	}
	free(pj);
	free(sp);
	return ret;
}

static void free_secret(char **s)
{
	if (*s != NULL) {
		sodium_memzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

bool ac_pin_valid(const char *pin)
{
	/* one or more "sha256//" + base64 of 32 bytes, joined by ';' */
	const char *p = pin;
	if (pin == NULL || strlen(pin) > 1024)
		return false;
	for (;;) {
		unsigned char raw[64];
		size_t len;
		const char *end = strchr(p, ';');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n <= 8 || strncmp(p, "sha256//", 8) != 0 ||
		    sodium_base642bin(raw, sizeof(raw), p + 8, n - 8, NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || len != 32)
			return false;
		if (end == NULL)
			return true;
		p = end + 1;
	}
}

int ac_profile_set_tls(const char *home, const char *name, const char *pin,
		       const char *ca_file, at_error *err)
{
	int ret = -1;
	char *dir = profile_dir(home, name), *pj = join(dir, "profile.json");
	char *ca_abs = NULL;
	json_t *obj = NULL;
	if (pin != NULL && !ac_pin_valid(pin)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "pin",
			     "--pin takes sha256//BASE64 (the SHA-256 of the server's public "
			     "key, base64), several joined by ';'");
		goto done;
	}
	if (ca_file != NULL) {
		if ((ca_abs = realpath(ca_file, NULL)) == NULL || access(ca_abs, R_OK) != 0) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				     "ca", "cannot read the CA file %s: %s", ca_file,
				     strerror(errno));
			goto done;
		}
	}
	if ((obj = read_json(pj, PROFILE_JSON_MAX, err)) == NULL)
		goto done;
	if (pin != NULL)
		json_object_set_new(obj, "pin", json_string(pin));
	if (ca_abs != NULL)
		json_object_set_new(obj, "caFile", json_string(ca_abs));
	ret = write_json_file(pj, obj, err);
done:
	json_decref(obj);
	free(ca_abs);
	free(pj);
	free(dir);
	return ret;
}

void ac_profile_free(ac_profile **profile)
{
	ac_profile *p = profile != NULL ? *profile : NULL;
	if (p == NULL)
		return;
	free(p->home);
	free(p->dir);
	free(p->server);
	free(p->user);
	free(p->created);
	free(p->pin);
	free(p->ca_file);
	free_secret(&p->password);
	free_secret(&p->token);
	free(p);
	*profile = NULL;
}

char *ac_profile_path(const ac_profile *profile, const char *file)
{
	return join(profile->dir, file);
}

int ac_profile_set_token(ac_profile *profile, const char *token, at_error *err)
{
	free_secret(&profile->token);
	if (token != NULL)
		profile->token = xstrdup(token);
	return write_secret(profile->dir, profile->password, profile->token, err);
}

int ac_profile_set_password(ac_profile *profile, const char *password, at_error *err)
{
	free_secret(&profile->password);
	profile->password = xstrdup(password);
	return write_secret(profile->dir, profile->password, profile->token, err);
}
