/* progress.h — a one-line progress bar on a terminal.
 *
 * Shows items done, the total when known, and the rate in items per
 * second, redrawn at most ten times a second on one line.  When the output
 * is not a terminal (scripts, tests, logs) nothing is written at all.
 * Ownership: the caller owns the ac_progress (ac_progress_free()); the FILE
 * is borrowed and stays open. */
#ifndef AC_PROGRESS_H
#define AC_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ac_progress ac_progress;

/* out NULL: stderr.  label: a short word shown first ("sync"). */
ac_progress *ac_progress_new(FILE *out, const char *label);
/* Draws only when out is a TTY (or force is set: for tests). */
ac_progress *ac_progress_new_forced(FILE *out, const char *label, bool force);
/* total 0: unknown. */
void ac_progress_update(ac_progress *p, uint64_t done, uint64_t total);
/* Matches the engine's progress callback: arg is an ac_progress *. */
void ac_progress_cb(void *arg, uint64_t done, uint64_t total);
/* Clears the line (the summary is printed by the caller). */
void ac_progress_finish(ac_progress *p);
void ac_progress_free(ac_progress **p);

#endif
