/* options.c — see options.h. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

const char *const ac_option_help[] = {
	"log-level      error, warn, info, debug or trace (default warn)",
	"log-file       where the log goes (default: atrium.log in the profile)",
	"poll-interval  how often `sync --daemon` polls without push: 30s, 5m, 1h",
	"window         server changes per folder and round, 1-512 (default 50)",
	"conflict       server or client: who wins a change of the same field",
	"folders        all, or folder ids or names separated by commas",
	"timeout        how long one request may take: 5s to 10m (default 2m)",
	NULL,
};

long ac_parse_duration(const char *s)
{
	char *end;
	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno != 0 || n < 0)
		return -1;
	long mult = 1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else
		return -1;
	if (n > LONG_MAX / mult)
		return -1;
	return n * mult;
}

static int bad(at_error *err, const char *key, const char *fmt, const char *value)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, value);
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, key,
			    "option %s: %s", key, msg);
}

static void free_folders(ac_options *o)
{
	for (size_t i = 0; i < o->n_folders; i++)
		free(o->folders[i]);
	free(o->folders);
	o->folders = NULL;
	o->n_folders = 0;
}

/* Parses one key into o (replacing what it held). */
static int apply(ac_options *o, const ac_profile *p, const char *key, const char *value,
		 at_error *err)
{
	if (strcmp(key, "log-level") == 0) {
		if (at_log_level_parse(value, &o->log_level) < 0)
			return bad(err, key, "\"%s\" is not error, warn, info, debug or trace",
				   value);
	} else if (strcmp(key, "log-file") == 0) {
		char *path;
		if (value[0] == '\0')
			path = ac_profile_path(p, "atrium.log");
		else if (value[0] == '/')
			path = strdup(value);
		else
			return bad(err, key, "\"%s\" must be an absolute path (or \"\")", value);
		if (path == NULL)
			abort();
		free(o->log_file);
		o->log_file = path;
	} else if (strcmp(key, "poll-interval") == 0) {
		long secs = ac_parse_duration(value);
		if (secs < 5 || secs > 7 * 24 * 3600)
			return bad(err, key, "\"%s\" is not a duration from 5s to 168h "
				   "(for example 30s, 5m, 1h)", value);
		o->poll_interval = secs;
	} else if (strcmp(key, "window") == 0) {
		char *end;
		long w = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || w < 1 || w > AT_MAX_WINDOW)
			return bad(err, key, "\"%s\" is not a number from 1 to 512", value);
		o->window = (unsigned)w;
	} else if (strcmp(key, "conflict") == 0) {
		if (at_policy_parse(value, &o->conflict) < 0)
			return bad(err, key, "\"%s\" is not server or client", value);
	} else if (strcmp(key, "timeout") == 0) {
		long secs = ac_parse_duration(value);
		if (secs < 5 || secs > 600)
			return bad(err, key, "\"%s\" is not a duration from 5s to 10m", value);
		o->timeout = secs;
	} else if (strcmp(key, "folders") == 0) {
		free_folders(o);
		if (strcmp(value, "all") == 0)
			return 0;
		char *copy = strdup(value), *save = NULL;
		if (copy == NULL)
			abort();
		for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			if (*t == '\0')
				continue;
			if (o->n_folders == AC_MAX_SYNC_FOLDERS) {
				free(copy);
				return bad(err, key, "more than %s folders", "256");
			}
			o->folders = realloc(o->folders, sizeof(char *) * (o->n_folders + 1));
			if (o->folders == NULL || (o->folders[o->n_folders] = strdup(t)) == NULL)
				abort();
			o->n_folders++;
		}
		free(copy);
		if (o->n_folders == 0)
			return bad(err, key, "\"%s\" names no folder (use \"all\")", value);
	} else {
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "key", "unknown option \"%s\"; see `atrium options --help`",
				    key);
	}
	return 0;
}

static void defaults(ac_options *o, const ac_profile *p)
{
	memset(o, 0, sizeof(*o));
	o->log_level = AT_LOG_WARN;
	o->log_file = ac_profile_path(p, "atrium.log");
	o->poll_interval = 300;
	o->window = AT_DEFAULT_WINDOW;
	o->conflict = AT_POLICY_SERVER;
	o->timeout = 120;
}

static int read_stored(const ac_profile *p, json_t **obj_r, at_error *err)
{
	char *path = ac_profile_path(p, AC_OPTIONS_FILE), *data = NULL;
	size_t len;
	at_error e;
	*obj_r = NULL;
	int rc = ac_read_file(path, AC_OPTIONS_MAX_BYTES, &data, &len, &e);
	if (rc < 0 && strcmp(e.code, AT_E_NOT_FOUND) == 0) {
		*obj_r = json_object();
		rc = 0;
	} else if (rc < 0) {
		at_error_copy(err, &e);
	} else {
		*obj_r = ac_json_parse(data, len, err);
		if (*obj_r == NULL || !json_is_object(*obj_r)) {
			json_decref(*obj_r);
			*obj_r = NULL;
			rc = at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
					  AT_RETRY_FINAL, NULL, "%s is not a JSON object of "
					  "options; fix or remove it", path);
		}
	}
	free(data);
	free(path);
	return rc;
}

int ac_options_load(const ac_profile *profile, ac_options *opts_r, at_error *err)
{
	json_t *stored;
	defaults(opts_r, profile);
	if (read_stored(profile, &stored, err) < 0)
		return -1;
	const char *k;
	json_t *v;
	int rc = 0;
	json_object_foreach(stored, k, v) {
		if (!json_is_string(v) || apply(opts_r, profile, k, json_string_value(v), err) < 0) {
			if (!json_is_string(v))
				at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
					     AT_RETRY_FINAL, k, "option %s in %s must be a string",
					     k, AC_OPTIONS_FILE);
			rc = -1;
			break;
		}
	}
	json_decref(stored);
	if (rc < 0)
		ac_options_free(opts_r);
	return rc;
}

void ac_options_free(ac_options *opts)
{
	free(opts->log_file);
	opts->log_file = NULL;
	free_folders(opts);
}

int ac_options_set(const ac_profile *profile, const char *key, const char *value,
		   at_error *err)
{
	ac_options check;
	json_t *stored = NULL;
	char *text = NULL, *path = NULL;
	int rc = -1;
	defaults(&check, profile);
	if (apply(&check, profile, key, value, err) < 0)
		goto done;
	if (read_stored(profile, &stored, err) < 0)
		goto done;
	json_object_set_new(stored, key, json_string(value));
	text = json_dumps(stored, JSON_INDENT(2) | JSON_SORT_KEYS);
	path = ac_profile_path(profile, AC_OPTIONS_FILE);
	if (text == NULL)
		abort();
	rc = ac_write_file_atomic(path, text, strlen(text), 0600, err);
done:
	ac_options_free(&check);
	json_decref(stored);
	free(text);
	free(path);
	return rc;
}

static void format_duration(long secs, char *buf, size_t size)
{
	if (secs % 3600 == 0)
		snprintf(buf, size, "%ldh", secs / 3600);
	else if (secs % 60 == 0)
		snprintf(buf, size, "%ldm", secs / 60);
	else
		snprintf(buf, size, "%lds", secs);
}

json_t *ac_options_to_json(const ac_options *o)
{
	char poll[32], timeout[32];
	format_duration(o->poll_interval, poll, sizeof(poll));
	format_duration(o->timeout, timeout, sizeof(timeout));
	json_t *folders;
	if (o->n_folders == 0) {
		folders = json_string("all");
	} else {
		size_t len = 1;
		for (size_t i = 0; i < o->n_folders; i++)
			len += strlen(o->folders[i]) + 1;
		char *joined = calloc(1, len);
		if (joined == NULL)
			abort();
		for (size_t i = 0; i < o->n_folders; i++) {
			if (i > 0)
				strcat(joined, ",");
			strcat(joined, o->folders[i]);
		}
		folders = json_string(joined);
		free(joined);
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o}",
			 "log-level", at_log_level_name(o->log_level),
			 "log-file", o->log_file,
			 "poll-interval", poll,
			 "timeout", timeout,
			 "window", json_sprintf("%u", o->window),
			 "conflict", at_policy_name(o->conflict),
			 "folders", folders);
}
