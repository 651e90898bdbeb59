/* daemon.h — `atrium sync --daemon`: keep a profile in sync until stopped.
 *
 * The loop: sync everything; then wait for a reason to sync again — a
 * server-sent event on the session's push URL ("something changed"; losing
 * one is harmless), or the poll interval running out when the server offers
 * no push or the stream breaks.  The stream starts where the sync ended
 * (?since= the oldest token it reached, kept by the engine as meta
 * "pushSince"), so a change made by someone else between the end of the
 * sync and the opening of the stream wakes the daemon at once instead of
 * waiting for the next poll.  When the server cannot be reached (refused,
 * timeout, DNS, TLS) the profile is recorded offline and the daemon backs
 * off (1 s, 2 s, 4 s ... up to the poll interval, at most 5 minutes) and
 * tries again; local changes keep waiting in the durable outbox and go out,
 * in order, with the first sync that reaches the server.  An account error
 * (wrong password) waits a whole poll interval, so a locked account is not
 * hammered.  The loop ends when *stop becomes non-zero (SIGTERM/SIGINT).
 * A local change (*wake, set by the mirror's file watcher) ends the wait
 * early: the next sync starts at once.
 *
 * Ownership: borrows the store and the transport. */
#ifndef AC_DAEMON_H
#define AC_DAEMON_H

#include <signal.h>

#include "engine.h"

#define AC_DAEMON_MAX_BACKOFF 300

typedef void (*ac_daemon_report_fn)(void *arg, const ac_sync_stats *stats,
				    const at_error *failure);

typedef struct ac_daemon_options {
	ac_engine_options engine;
	long poll_interval;              /* seconds */
	volatile sig_atomic_t *stop;
	ac_daemon_report_fn report;      /* after each sync; may be NULL */
	void *report_arg;
	/* Called before each sync and after it (also after a failed one): the
	 * local files mirror takes in the files' changes and writes the
	 * store's.  May be NULL. */
	void (*before_sync)(void *arg);
	void (*after_sync)(void *arg);
	void *hook_arg;
	/* Set by anyone (a file watcher; the signal handler together with
	 * *stop) to end the wait and sync at once; cleared before each sync.
	 * Give the same flag to the transport's stream (ac_http_set_stop) so a
	 * waiting push stream ends too.  May be NULL. */
	volatile sig_atomic_t *wake;
} ac_daemon_options;

/* Returns 0 when stopped. */
int ac_daemon_run(ac_store *store, const ac_transport *transport,
		  const ac_daemon_options *opts, at_error *err);

#endif
