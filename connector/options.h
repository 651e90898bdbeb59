/* options.h — the connector's per-profile settings (`atrium options`).
 *
 * Settings live in HOME/profiles/NAME/options.json, one JSON object, written
 * atomically.  One table lists every key with its default, its parser and its
 * help text; `options show` prints all of them, `options set KEY VALUE`
 * checks and stores one.  Keys:
 *
 *   log-level      error|warn|info|debug|trace   (default warn)
 *   log-file       path of the log; "" = the profile's atrium.log
 *   poll-interval  how often the daemon polls without push: 30s, 5m, 1h
 *   window         server changes per folder and round, 1-512 (default 50)
 *   conflict       server|client: who wins the same field (default server)
 *   folders        "all", or a comma-separated list of folder ids or names
 *                  to sync (others are left alone, not removed)
 *   timeout        how long one request may take before the server counts as
 *                  unreachable: 5s to 10m (default 2m)
 *
 * Ownership: ac_options is a plain struct; ac_options_free() frees the
 * strings it holds. */
#ifndef AC_OPTIONS_H
#define AC_OPTIONS_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "log.h"
#include "profile.h"
#include "protocol.h"

#define AC_OPTIONS_FILE "options.json"
#define AC_OPTIONS_MAX_BYTES 65536
#define AC_MAX_SYNC_FOLDERS 256

typedef struct ac_options {
	at_log_level log_level;
	char *log_file;           /* resolved absolute path */
	long poll_interval;       /* seconds */
	unsigned window;
	at_policy conflict;
	char **folders;           /* NULL = all; else n_folders ids or names */
	size_t n_folders;
	long timeout;             /* seconds */
} ac_options;

/* Reads the profile's options (defaults for missing keys). */
int ac_options_load(const ac_profile *profile, ac_options *opts_r, at_error *err);
void ac_options_free(ac_options *opts);
/* Validates and stores one key. */
int ac_options_set(const ac_profile *profile, const char *key, const char *value,
		   at_error *err);
/* {"key": "value as text", ...} for every key, defaults included. */
json_t *ac_options_to_json(const ac_options *opts);
/* Key names and help, NULL-terminated, for usage texts. */
extern const char *const ac_option_help[];

/* "90", "30s", "5m", "2h" -> seconds; -1 when malformed. */
long ac_parse_duration(const char *s);

#endif
