/* config.h — atriumd's configuration file.
 *
 * Keys: data, listen, threads, log_level, tombstone_days, tls_cert,
 * tls_key, public_folder_creators; mail (mail.h): smtp_url, smtp_user,
 * smtp_password_file, mail_from; reminders (reminders.h):
 * reminder_interval; tests and demonstrations only: clock_file (clock.h).
 * A small "key = value" format (one setting a line, '#' comments) so that an
 * administrator can keep settings out of the command line.  Command-line
 * options override the file.  Unknown keys and malformed values are refused
 * with the file name and line number. */
#ifndef AS_CONFIG_H
#define AS_CONFIG_H

#include <stdint.h>

#include "error.h"
#include "log.h"

#define AS_CONFIG_MAX_LINE 1024
#define AS_CONFIG_MAX_LINES 1000

typedef struct as_config {
	char data_dir[1024];
	char listen_host[64];
	uint16_t listen_port;
	unsigned threads;
	at_log_level log_level;
	int64_t tombstone_seconds;   /* how long deletions are remembered */
	char tls_cert[1024];         /* PEM files; both empty = plain HTTP */
	char tls_key[1024];
	/* who may create top-level public folders (folders.h): "everyone",
	 * "nobody", or logins and @groups */
	char public_folder_creators[1024];
	/* outgoing mail (mail.h): "smtp://HOST[:PORT]" or "smtps://..."; empty
	 * = mail is off */
	char smtp_url[512];
	char smtp_user[256];         /* empty: no AUTH */
	char smtp_password_file[1024]; /* the password: the file's first line */
	char mail_from[320];         /* empty: "atrium@" and the host name */
	/* task reminders (reminders.h): seconds between scans, 1..3600 */
	unsigned reminder_interval;
	/* clock.h: "now" read from this file (tests only); empty = system clock */
	char clock_file[1024];
} as_config;

void as_config_defaults(as_config *c);
int as_config_load(as_config *c, const char *path, at_error *err);
/* "HOST:PORT" */
int as_config_parse_listen(as_config *c, const char *value, at_error *err);

#endif
