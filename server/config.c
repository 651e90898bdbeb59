/* config.c — see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folders.h"

void as_config_defaults(as_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "/var/lib/atrium");
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 8080;
	c->threads = 4;
	c->log_level = AT_LOG_INFO;
	c->tombstone_seconds = 90LL * 24 * 3600;
	snprintf(c->public_folder_creators, sizeof(c->public_folder_creators), "everyone");
	c->reminder_interval = 60;
}

/* A mail address of the configuration: local@domain, printable ASCII
 * without spaces, brackets or quotes. */
static bool config_address_valid(const char *v)
{
	const char *at = strchr(v, '@');
	if (at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127 ||
		    strchr("<>()[]\\,;:\"", *p) != NULL)
			return false;
	return true;
}

/* Copies value into dst (size n), refusing empty values and values that do
 * not fit. */
static bool config_copy(char *dst, size_t n, const char *value)
{
	if (*value == '\0' || strlen(value) >= n)
		return false;
	memcpy(dst, value, strlen(value) + 1);
	return true;
}

int as_config_parse_listen(as_config *c, const char *value, at_error *err)
{
	const char *colon = strrchr(value, ':');
	char *end;
	if (colon == NULL || colon == value || (size_t)(colon - value) >= sizeof(c->listen_host))
		goto bad;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 1 || port > 65535)
		goto bad;
	snprintf(c->listen_host, sizeof(c->listen_host), "%.*s", (int)(colon - value), value);
	c->listen_port = (uint16_t)port;
	return 0;
bad:
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
			    "listen", "listen must be HOST:PORT (for example 127.0.0.1:8080), "
			    "not \"%s\"", value);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int as_config_load(as_config *c, const char *path, at_error *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "config", "cannot read %s: %s", path, strerror(errno));
	char line[AS_CONFIG_MAX_LINE + 2];
	int lineno = 0, rc = -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (lineno > AS_CONFIG_MAX_LINES || (strchr(line, '\n') == NULL && !feof(f))) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				     "config", "%s:%d: line too long or too many lines", path, lineno);
			goto done;
		}
		char *p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (eq == NULL) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				     "config", "%s:%d: expected \"key = value\"", path, lineno);
			goto done;
		}
		*eq = '\0';
		char *key = trim(p), *value = trim(eq + 1);
		char *end;
		if (strcmp(key, "data") == 0) {
			if (*value == '\0')
				goto bad_value;
			snprintf(c->data_dir, sizeof(c->data_dir), "%s", value);
		} else if (strcmp(key, "listen") == 0) {
			if (as_config_parse_listen(c, value, err) < 0)
				goto bad_value;
		} else if (strcmp(key, "tls_cert") == 0 || strcmp(key, "tls_key") == 0) {
			if (*value == '\0')
				goto bad_value;
			if (key[4] == 'c')
				snprintf(c->tls_cert, sizeof(c->tls_cert), "%s", value);
			else
				snprintf(c->tls_key, sizeof(c->tls_key), "%s", value);
		} else if (strcmp(key, "threads") == 0) {
			long n = strtol(value, &end, 10);
			if (*end != '\0' || n < 1 || n > 64)
				goto bad_value;
			c->threads = (unsigned)n;
		} else if (strcmp(key, "log_level") == 0) {
			if (at_log_level_parse(value, &c->log_level) < 0)
				goto bad_value;
		} else if (strcmp(key, "tombstone_days") == 0) {
			long n = strtol(value, &end, 10);
			if (*end != '\0' || n < 1 || n > 3650)
				goto bad_value;
			c->tombstone_seconds = (int64_t)n * 24 * 3600;
		} else if (strcmp(key, "public_folder_creators") == 0) {
			if (!as_folders_creators_valid(value) ||
			    strlen(value) >= sizeof(c->public_folder_creators))
				goto bad_value;
			snprintf(c->public_folder_creators, sizeof(c->public_folder_creators),
				 "%s", value);
		} else if (strcmp(key, "smtp_url") == 0) {
			if (strchr(value, '@') != NULL) {
				/* never echo it: it may hold a password */
				at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER,
					     AT_RETRY_FINAL, "config", "%s:%d: smtp_url must not hold "
					     "a user or password (use smtp_user and "
					     "smtp_password_file)", path, lineno);
				goto done;
			}
			if ((strncmp(value, "smtp://", 7) != 0 && strncmp(value, "smtps://", 8) != 0) ||
			    value[value[4] == 's' ? 8 : 7] == '\0' || strpbrk(value, " \t") != NULL ||
			    !config_copy(c->smtp_url, sizeof(c->smtp_url), value))
				goto bad_value;
		} else if (strcmp(key, "smtp_user") == 0) {
			if (!config_copy(c->smtp_user, sizeof(c->smtp_user), value))
				goto bad_value;
		} else if (strcmp(key, "smtp_password_file") == 0) {
			if (!config_copy(c->smtp_password_file, sizeof(c->smtp_password_file), value))
				goto bad_value;
		} else if (strcmp(key, "mail_from") == 0) {
			if (!config_address_valid(value) ||
			    !config_copy(c->mail_from, sizeof(c->mail_from), value))
				goto bad_value;
		} else if (strcmp(key, "clock_file") == 0) {
			if (!config_copy(c->clock_file, sizeof(c->clock_file), value))
				goto bad_value;
		} else if (strcmp(key, "reminder_interval") == 0) {
			long n = strtol(value, &end, 10);
			if (*value == '\0' || *end != '\0' || n < 1 || n > 3600)
				goto bad_value;
			c->reminder_interval = (unsigned)n;
		} else {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				     "config", "%s:%d: unknown setting \"%s\"", path, lineno, key);
			goto done;
		}
		continue;
bad_value:
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
			     "config", "%s:%d: bad value \"%s\" for %s", path, lineno, value, key);
		goto done;
	}
	rc = 0;
done:
	fclose(f);
	return rc;
}
