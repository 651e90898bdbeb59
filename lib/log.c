/* log.c — see log.h. */
#include "log.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static at_log_level g_level = AT_LOG_INFO;
static FILE *g_sink;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const names[] = {"error", "warn", "info", "debug", "trace"};

void at_log_set_level(at_log_level level) { g_level = level; }
at_log_level at_log_get_level(void) { return g_level; }
void at_log_set_file(FILE *sink) { g_sink = sink; }
int at_log_enabled(at_log_level level) { return level <= g_level; }

const char *at_log_level_name(at_log_level level)
{
	if ((unsigned)level > AT_LOG_TRACE)
		return "?";
	return names[level];
}

int at_log_level_parse(const char *name, at_log_level *level_r)
{
	for (unsigned i = 0; i <= AT_LOG_TRACE; i++) {
		if (strcasecmp(name, names[i]) == 0) {
			*level_r = (at_log_level)i;
			return 0;
		}
	}
	return -1;
}

void at_logv(at_log_level level, const char *module, const char *fmt, va_list ap)
{
	if (level > g_level)
		return;
	char msg[8192];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&g_lock);
	FILE *out = g_sink != NULL ? g_sink : stderr;
	fprintf(out, "%s %s %s: %s\n", stamp, at_log_level_name(level),
		module != NULL ? module : "-", msg);
	fflush(out);
	pthread_mutex_unlock(&g_lock);
}

void at_log(at_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	at_logv(level, module, fmt, ap);
	va_end(ap);
}

static const char *const secret_keys[] = {
	"password", "oldPassword", "newPassword", "token", "secret",
};

static int is_secret_key(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
		if (strlen(secret_keys[i]) == len && strncasecmp(key, secret_keys[i], len) == 0)
			return 1;
	}
	return 0;
}

void at_log_redact(const char *src, char *dst, size_t dstsize)
{
	size_t o = 0;
	if (dstsize == 0)
		return;
#define PUT(c) do { if (o + 1 < dstsize) dst[o++] = (c); } while (0)
	const char *p = src;
	while (*p != '\0') {
		/* HTTP header "Authorization: ..." up to end of line */
		if ((p == src || p[-1] == '\n') && strncasecmp(p, "Authorization:", 14) == 0) {
			for (const char *h = "Authorization: ***"; *h; h++)
				PUT(*h);
			while (*p != '\0' && *p != '\r' && *p != '\n')
				p++;
			continue;
		}
		/* JSON "key" : "value" */
		if (*p == '"') {
			const char *k = p + 1, *e = k;
			while (*e != '\0' && *e != '"') {
				if (*e == '\\' && e[1] != '\0')
					e++;
				e++;
			}
			if (*e == '"') {
				const char *q = e + 1;
				while (*q == ' ' || *q == '\t')
					q++;
				if (*q == ':' && is_secret_key(k, (size_t)(e - k))) {
					q++;
					while (*q == ' ' || *q == '\t')
						q++;
					if (*q == '"') {
						for (const char *c = p; c <= e; c++)
							PUT(*c);
						for (const char *h = ":\"***\""; *h; h++)
							PUT(*h);
						q++;
						while (*q != '\0' && *q != '"') {
							if (*q == '\\' && q[1] != '\0')
								q++;
							q++;
						}
						p = *q == '"' ? q + 1 : q;
						continue;
					}
				}
				for (const char *c = p; c <= e; c++)
					PUT(*c);
				p = e + 1;
				continue;
			}
		}
		PUT(*p);
		p++;
	}
	dst[o] = '\0';
#undef PUT
}
