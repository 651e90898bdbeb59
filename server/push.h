/* push.h — telling clients that something changed: server-sent events and
 * long-poll on GET /api/push.
 *
 * A subscriber is one open push request of one user.  A watcher thread with
 * its own store connection notices new modifications (poked at once by
 * writes made through this process, and by polling the store's modseq every
 * AS_PUSH_POLL_MS, which also catches admin commands and other nodes).  For
 * each subscriber it asks the sync methods which of the user's visible
 * folders changed since the subscriber's last position and queues an event:
 *
 *   data: {"changed":{"FOLDER_ID":"TOKEN",...},"folders":"TOKEN"}
 *
 * ("folders" only when the folder tree itself changed).  Push only says
 * "something changed": a client that misses an event loses nothing, its
 * next sync catches up.  A comment line is sent every AS_PUSH_PING_SECONDS
 * so idle streams stay open through proxies.
 *
 * A stream given ?since=TOKEN (the position the client's last sync
 * reached) starts there: a change committed between that sync and the
 * stream's opening is its first event, at once.  Without it the stream
 * starts from now.
 *
 * Long-poll (?mode=poll&since=TOKEN&wait=SECONDS): one JSON answer
 * {"changed":{...},"folders"?,"state":TOKEN} as soon as something changed
 * after `since`, or when `wait` (at most AS_PUSH_MAX_WAIT) runs out.
 *
 * With libmicrohttpd the response is a callback response: the reader hands
 * out queued bytes and, when there are none, suspends the connection; the
 * watcher resumes it when it queues something.  Ownership: the hub is owned
 * by the HTTP front end and must outlive its daemon (as_push_shutdown()
 * before MHD_stop_daemon(), as_push_free() after). */
#ifndef AS_PUSH_H
#define AS_PUSH_H

#include <microhttpd.h>

#include "error.h"
#include "store.h"

#define AS_PUSH_POLL_MS 250
#define AS_PUSH_PING_SECONDS 25
#define AS_PUSH_MAX_WAIT 300
#define AS_PUSH_MAX_SUBSCRIBERS 10000

typedef struct as_push as_push;

as_push *as_push_new(const char *data_dir, at_error *err);
/* Ends every stream and resumes every suspended connection. */
void as_push_shutdown(as_push *push);
void as_push_free(as_push **push);

/* A write was committed in this process: look now. */
void as_push_poke(as_push *push);

/* Queues the push response for an authenticated request on conn: 0 with
 * *rc_r set, or -1 with err (bad arguments, too many subscribers) and
 * nothing queued.  store is the request's connection: "now" for a new
 * subscriber is the store's modseq, not the watcher's last look at it,
 * which may lag behind writes of other processes (the admin commands). */
int as_push_respond(as_push *push, as_store *store, struct MHD_Connection *conn,
		    const as_user *user, enum MHD_Result *rc_r, at_error *err);

#endif
