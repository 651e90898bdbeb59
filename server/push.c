/* push.c — see push.h. */
#include "push.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "log.h"
#include "protocol.h"
#include "strbuf.h"
#include "sync.h"

#define MOD "push"

typedef struct sub {
	struct sub *next;
	as_push *hub;
	struct MHD_Connection *conn;
	at_arena *arena;          /* the user's strings */
	as_user user;
	int64_t position;         /* changes up to here have been reported */
	bool poll;                /* long-poll: one answer, then the end */
	bool finished;            /* nothing more will be queued */
	bool suspended;
	int64_t deadline;         /* long-poll, monotonic ms */
	int64_t next_ping;        /* monotonic ms */
	at_buf out;
	size_t sent;              /* bytes of out already handed to MHD */
} sub;

struct as_push {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_started;
	bool stopping;
	bool poked;
	as_store *store;          /* the watcher's own connection */
	int64_t modseq;           /* the newest the watcher has seen */
	sub *subs;
	size_t n_subs;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *token_of(at_arena *a, int64_t modseq)
{
	at_token t = {.modseq = modseq};
	char *buf = at_arena_alloc(a, AT_TOKEN_MAX);
	at_token_format(&t, buf);
	return buf;
}

struct any_change {
	bool seen;
};

static int on_any(void *p, const as_change *c)
{
	((struct any_change *)p)->seen = true;
	return 0;
}

/* Which of the user's folders changed after s->position (up to now).
 * Returns a new object {"changed": {...}, "folders"?: token}, or NULL with
 * nothing to say or on error (logged). */
static json_t *changes_for(as_push *h, sub *s, int64_t now_modseq)
{
	at_arena *a = at_arena_new(0);
	at_error err;
	json_t *visible = NULL, *tree = NULL, *out = NULL, *changed = json_object();
	as_ctx ctx = {.store = h->store, .arena = a, .user = &s->user};
	json_t *args = json_object();
	visible = as_folder_sync(&ctx, args, &err);
	json_object_set_new(args, "sinceToken", json_string(token_of(a, s->position)));
	if (visible != NULL)
		tree = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	if (visible == NULL || tree == NULL) {
		at_warn(MOD, "changes for %s: %s", s->user.login, err.message);
		goto done;
	}
	at_token since = {.modseq = s->position};
	size_t i;
	json_t *f;
	if (h->store->ops->begin(h->store, false, &err) < 0)
		goto done;
	json_array_foreach(json_object_get(visible, "created"), i, f) {
		const char *id = json_string_value(json_object_get(f, "id"));
		struct any_change any = {false};
		if (id == NULL || h->store->ops->changes(h->store, id, &since, 1, a, on_any, &any,
							 &err) < 0)
			continue;
		if (any.seen)
			json_object_set_new(changed, id, json_string(token_of(a, now_modseq)));
	}
	h->store->ops->rollback(h->store);
	bool tree_changed = json_array_size(json_object_get(tree, "created")) > 0 ||
			    json_array_size(json_object_get(tree, "updated")) > 0 ||
			    json_array_size(json_object_get(tree, "removed")) > 0;
	if (json_object_size(changed) > 0 || tree_changed) {
		out = json_pack("{s:O}", "changed", changed);
		if (tree_changed)
			json_object_set_new(out, "folders", json_string(token_of(a, now_modseq)));
	}
done:
	json_decref(changed);
	json_decref(visible);
	json_decref(tree);
	at_arena_free(&a);
	return out;
}

/* Queues an event (stream) or the answer (long-poll).  Lock held. */
static void queue(sub *s, json_t *event, int64_t now_modseq)
{
	if (s->poll) {
		json_t *ans = event != NULL ? json_deep_copy(event) : json_pack("{s:{}}", "changed");
		at_arena *a = at_arena_new(256);
		json_object_set_new(ans, "state", json_string(token_of(a, now_modseq)));
		at_arena_free(&a);
		char *text = json_dumps(ans, JSON_COMPACT);
		at_buf_puts(&s->out, text);
		free(text);
		json_decref(ans);
		s->finished = true;
		return;
	}
	char *text = json_dumps(event, JSON_COMPACT);
	at_buf_printf(&s->out, "data: %s\n\n", text);
	free(text);
}

/* One pass of the watcher over every subscriber.  Lock held; returns the
 * connections to resume (after unlocking). */
static size_t scan(as_push *h, int64_t now_modseq, struct MHD_Connection **resume, size_t max)
{
	size_t n = 0;
	int64_t now = now_ms();
	for (sub *s = h->subs; s != NULL; s = s->next) {
		size_t before = s->out.len;
		if (!s->finished && s->position < now_modseq) {
			json_t *ev = changes_for(h, s, now_modseq);
			s->position = now_modseq;
			if (ev != NULL)
				queue(s, ev, now_modseq);
			json_decref(ev);
		}
		if (!s->finished && s->poll && now >= s->deadline)
			queue(s, NULL, now_modseq);
		if (!s->finished && !s->poll && now >= s->next_ping) {
			at_buf_puts(&s->out, ": ping\n\n");
			s->next_ping = now + AS_PUSH_PING_SECONDS * 1000;
		}
		if ((s->out.len > before || s->finished) && s->suspended && n < max) {
			s->suspended = false;
			resume[n++] = s->conn;
		}
	}
	return n;
}

static void *watch(void *arg)
{
	as_push *h = arg;
	struct MHD_Connection *resume[256];
	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += AS_PUSH_POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!h->poked)
			pthread_cond_timedwait(&h->wake, &h->lock, &until);
		h->poked = false;
		if (h->stopping)
			break;
		int64_t m;
		at_error err;
		if (h->store->ops->current_modseq(h->store, &m, &err) < 0) {
			at_warn(MOD, "cannot read the modseq: %s", err.message);
			continue;
		}
		h->modseq = m;
		size_t n = scan(h, m, resume, sizeof(resume) / sizeof(resume[0]));
		pthread_mutex_unlock(&h->lock);
		/* a suspended connection cannot go away, so resuming outside the
		 * lock is safe */
		for (size_t i = 0; i < n; i++)
			MHD_resume_connection(resume[i]);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

as_push *as_push_new(const char *data_dir, at_error *err)
{
	as_push *h = calloc(1, sizeof(*h));
	if (h == NULL)
		abort();
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->wake, NULL);
	if ((h->store = as_store_open_sqlite(data_dir, err)) == NULL ||
	    h->store->ops->current_modseq(h->store, &h->modseq, err) < 0)
		goto fail;
	if (pthread_create(&h->thread, NULL, watch, h) != 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "cannot start the push thread");
		goto fail;
	}
	h->thread_started = true;
	return h;
fail:
	as_push_free(&h);
	return NULL;
}

void as_push_poke(as_push *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->poked = true;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

void as_push_shutdown(as_push *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
	if (h->thread_started) {
		pthread_join(h->thread, NULL);
		h->thread_started = false;
	}
	/* the watcher is gone: end every stream */
	for (;;) {
		struct MHD_Connection *conn = NULL;
		pthread_mutex_lock(&h->lock);
		for (sub *s = h->subs; s != NULL; s = s->next) {
			s->finished = true;
			if (s->suspended && conn == NULL) {
				s->suspended = false;
				conn = s->conn;
			}
		}
		pthread_mutex_unlock(&h->lock);
		if (conn == NULL)
			break;
		MHD_resume_connection(conn);
	}
}

void as_push_free(as_push **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	as_push *h = *hp;
	as_push_shutdown(h);
	as_store_close(&h->store);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
	*hp = NULL;
}

/* --- the response ------------------------------------------------------------ */

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	sub *s = cls;
	as_push *h = s->hub;
	ssize_t n;
	pthread_mutex_lock(&h->lock);
	if (s->sent < s->out.len) {
		size_t left = s->out.len - s->sent;
		n = (ssize_t)(left < max ? left : max);
		memcpy(buf, s->out.data + s->sent, (size_t)n);
		s->sent += (size_t)n;
		if (s->sent == s->out.len) {
			at_buf_truncate(&s->out, 0);
			s->sent = 0;
		}
	} else if (s->finished) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* nothing to send: park the connection until the watcher has
		 * something (the pattern libmicrohttpd prescribes) */
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}

static void release(void *cls)
{
	sub *s = cls;
	as_push *h = s->hub;
	pthread_mutex_lock(&h->lock);
	for (sub **p = &h->subs; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			h->n_subs--;
			break;
		}
	pthread_mutex_unlock(&h->lock);
	at_buf_free(&s->out);
	at_arena_free(&s->arena);
	free(s);
}

int as_push_respond(as_push *h, as_store *store, struct MHD_Connection *conn,
		    const as_user *user, enum MHD_Result *rc_r, at_error *err)
{
	const char *mode = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "mode");
	const char *since = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *wait = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "wait");
	bool poll = mode != NULL && strcmp(mode, "poll") == 0;
	if (mode != NULL && !poll && strcmp(mode, "stream") != 0) {
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "mode", "mode must be stream or poll");
	}
	at_token tok = {0};
	if (since != NULL && at_token_parse(since, &tok, err) < 0)
		return -1;
	long secs = AS_PUSH_MAX_WAIT;
	if (wait != NULL) {
		char *end;
		secs = strtol(wait, &end, 10);
		if (*wait == '\0' || *end != '\0' || secs < 0 || secs > AS_PUSH_MAX_WAIT) {
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
					    AT_RETRY_FINAL, "wait", "wait must be 0 to %d seconds",
					    AS_PUSH_MAX_WAIT);
		}
	}
	int64_t now_modseq;
	if (store->ops->current_modseq(store, &now_modseq, err) < 0)
		return -1;
	sub *s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	s->hub = h;
	s->conn = conn;
	s->arena = at_arena_new(1024);
	s->user.id = at_arena_strdup(s->arena, user->id);
	s->user.login = at_arena_strdup(s->arena, user->login);
	s->user.name = at_arena_strdup(s->arena, user->name);
	s->user.email = at_arena_strdup(s->arena, user->email);
	s->user.pw_hash = "";
	s->poll = poll;
	s->deadline = now_ms() + (int64_t)secs * 1000;
	s->next_ping = now_ms() + AS_PUSH_PING_SECONDS * 1000;
	at_buf_init(&s->out, 1024 * 1024);

	pthread_mutex_lock(&h->lock);
	if (h->n_subs >= AS_PUSH_MAX_SUBSCRIBERS || h->stopping) {
		pthread_mutex_unlock(&h->lock);
		at_arena_free(&s->arena);
		free(s);
		at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_WAIT, NULL,
			     "too many push subscribers; poll instead");
		err->retry_after = 60;
		return -1;
	}
	/* from the token given (what the client's last sync reached: a change
	 * made since is told at once), else from now */
	if (now_modseq < h->modseq)
		now_modseq = h->modseq;
	s->position = since != NULL && tok.modseq <= now_modseq ? tok.modseq : now_modseq;
	if (poll && since == NULL)
		queue(s, NULL, now_modseq);     /* first poll: just the state */
	else if (!poll)
		at_buf_puts(&s->out, ": atrium push\n\n");
	s->next = h->subs;
	h->subs = s;
	h->n_subs++;
	h->poked = true;  /* a subscriber from an old token is answered at once */
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);

	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
								      reader, s, release);
	if (resp == NULL) {
		release(s);
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
				    "cannot create the push response");
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				poll ? "application/json; charset=utf-8" : "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	*rc_r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return 0;
}
