/* clock.h — the server's idea of "now", injectable for tests.
 *
 * Everything in atriumd that decides by the time of day (task reminders and
 * overdue notices, dates completed made up by the server) asks
 * as_clock_now().  Normally that is the system clock.  With a clock file
 * (the `clock_file` configuration key or `--clock-file`, meant for tests
 * and demonstrations only) it is the time written in that file, read again
 * at every call so that a test moves time by rewriting the file: either
 * UTC seconds since 1970 ("1767225600") or an instant
 * ("2026-01-01T00:00:00Z").  A file that is missing or does not parse
 * falls back to the system clock and is logged once per distinct problem.
 *
 * Thread-safe: the path is set once at start, before threads run. */
#ifndef AS_CLOCK_H
#define AS_CLOCK_H

#include <stdint.h>

/* path NULL or "": the system clock.  The string is copied. */
void as_clock_set_file(const char *path);
/* UTC seconds. */
int64_t as_clock_now(void);

#endif
