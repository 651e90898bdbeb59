/* daemon.c — see daemon.h. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define MOD "daemon"

/* Sleeps up to secs, waking early when asked to stop or woken (o->wake). */
static void nap(const ac_daemon_options *o, long secs)
{
	for (long i = 0; i < secs * 10 && !*o->stop && !(o->wake != NULL && *o->wake); i++) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int on_event(void *arg, const char *data)
{
	at_debug(MOD, "push: %s", data);
	*(bool *)arg = true;
	return 1;  /* any change: stop listening and sync */
}

/* What the previous wait on the stream started from and how it ended. */
typedef struct push_state {
	char since[AT_TOKEN_MAX];
	bool by_event;
} push_state;

/* The push path with the position the last sync reached ("pushSince",
 * engine.c): a change made between that sync and the stream's opening is
 * then told at once.  When the previous stream started from the same
 * position and an event ended it, the sync it caused did not move that
 * position (the change was in a folder that failed, or not synced here):
 * this stream starts from now, so that change does not wake us again. */
static char *push_path(ac_store *store, const char *push, push_state *ps)
{
	char *since = NULL, *path = NULL;
	at_error ignored;
	ac_store_meta_get(store, "pushSince", &since, &ignored);
	bool same = since != NULL && strcmp(since, ps->since) == 0;
	if (since == NULL || (same && ps->by_event) || strlen(since) >= sizeof(ps->since) ||
	    strspn(since, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") !=
		    strlen(since)) {
		ps->since[0] = '\0';
		path = strdup(push);
	} else {
		snprintf(ps->since, sizeof(ps->since), "%s", since);
		if (asprintf(&path, "%s%ssince=%s", push, strchr(push, '?') ? "&" : "?", since) < 0)
			path = NULL;
	}
	free(since);
	if (path == NULL)
		abort();
	return path;
}

/* Waits for a push event or the poll interval.  Returns -1 when the stream
 * failed (the server went away). */
static int wait_for_change(ac_store *store, const ac_transport *t, const ac_daemon_options *o,
			   push_state *ps, at_error *err)
{
	char *push = NULL;
	at_error ignored;
	if (o->wake != NULL && *o->wake)
		return 0;  /* a local change came in during the sync */
	ac_store_meta_get(store, "pushUrl", &push, &ignored);
	if (push == NULL || push[0] == '\0' || t->stream == NULL) {
		free(push);
		nap(o, o->poll_interval);
		return 0;
	}
	char *path = push_path(store, push, ps);
	free(push);
	time_t start = time(NULL);
	ps->by_event = false;
	int r = t->stream(t->ctx, path, o->poll_interval, on_event, &ps->by_event, err);
	free(path);
	if (r < 0)
		return -1;
	if (r == 0 && time(NULL) - start < 1)
		nap(o, 1);  /* a stream that ends at once must not turn into a busy loop */
	return 0;
}

int ac_daemon_run(ac_store *store, const ac_transport *transport,
		  const ac_daemon_options *o, at_error *err)
{
	long backoff = 0;
	push_state ps = {{0}, false};
	long cap = o->poll_interval < AC_DAEMON_MAX_BACKOFF ? o->poll_interval
							    : AC_DAEMON_MAX_BACKOFF;
	at_info(MOD, "started (poll interval %ld s)", o->poll_interval);
	while (!*o->stop) {
		ac_sync_stats stats;
		at_error e;
		at_error_clear(&e);
		if (o->wake != NULL)
			*o->wake = *o->stop;
		if (o->before_sync != NULL)
			o->before_sync(o->hook_arg);
		int r = ac_engine_sync(store, transport, &o->engine, &stats, &e);
		if (o->after_sync != NULL)
			o->after_sync(o->hook_arg);
		if (o->report != NULL)
			o->report(o->report_arg, &stats, r < 0 ? &e : NULL);
		if (*o->stop)
			break;
		if (r < 0) {
			if (e.retry == AT_RETRY_TEMPORARY || strcmp(e.code, AT_E_UNAVAILABLE) == 0) {
				backoff = backoff == 0 ? 1 : backoff * 2;
				if (backoff > cap)
					backoff = cap;
				at_info(MOD, "offline (%s); retrying in %ld s", e.message, backoff);
				nap(o, backoff);
			} else {
				at_warn(MOD, "sync failed: %s; next try in %ld s", e.message,
					o->poll_interval);
				backoff = 0;
				nap(o, o->poll_interval);
			}
			continue;
		}
		backoff = 0;
		if (wait_for_change(store, transport, o, &ps, &e) < 0) {
			at_info(MOD, "push stream failed: %s", e.message);
			backoff = 1;
			nap(o, backoff);
		}
	}
	at_info(MOD, "stopped");
	(void)err;
	return 0;
}
