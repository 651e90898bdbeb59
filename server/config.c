/* config.c — see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
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
