/* log.h — leveled logging shared by every program.
 *
 * One process-wide sink (stderr by default, or a file) and one threshold.
 * Lines look like "2026-11-21T12:00:00Z info sync: message".  Thread-safe:
 * each line is written with a single fprintf under a lock.  Secrets must be
 * redacted by the caller before logging (see at_log_redact()). */
#ifndef AT_LOG_H
#define AT_LOG_H

#include <stdarg.h>
#include <stdio.h>

typedef enum at_log_level {
	AT_LOG_ERROR = 0,
	AT_LOG_WARN,
	AT_LOG_INFO,
	AT_LOG_DEBUG,
	AT_LOG_TRACE,
} at_log_level;

void at_log_set_level(at_log_level level);
at_log_level at_log_get_level(void);
/* The sink is not owned by the log module: the caller keeps it open. NULL
 * restores stderr. */
void at_log_set_file(FILE *sink);
/* "error", "warn", "info", "debug", "trace"; returns -1 for anything else. */
int at_log_level_parse(const char *name, at_log_level *level_r);
const char *at_log_level_name(at_log_level level);
int at_log_enabled(at_log_level level);

void at_log(at_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void at_logv(at_log_level level, const char *module, const char *fmt, va_list ap);

/* Copies src into dst (size dstsize, NUL-terminated) replacing the values of
 * JSON string members and HTTP headers whose names look secret ("password",
 * "oldPassword", "newPassword", "token", "Authorization", "secret") by
 * "***".  Used by trace logging of protocol exchanges. */
void at_log_redact(const char *src, char *dst, size_t dstsize);

#define at_error_log(mod, ...) at_log(AT_LOG_ERROR, mod, __VA_ARGS__)
#define at_warn(mod, ...) at_log(AT_LOG_WARN, mod, __VA_ARGS__)
#define at_info(mod, ...) at_log(AT_LOG_INFO, mod, __VA_ARGS__)
#define at_debug(mod, ...) \
	do { if (at_log_enabled(AT_LOG_DEBUG)) at_log(AT_LOG_DEBUG, mod, __VA_ARGS__); } while (0)
#define at_trace(mod, ...) \
	do { if (at_log_enabled(AT_LOG_TRACE)) at_log(AT_LOG_TRACE, mod, __VA_ARGS__); } while (0)

#endif
