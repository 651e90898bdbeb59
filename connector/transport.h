/* transport.h — how the connector reaches the server.
 *
 * The sync engine talks to the server only through ac_transport, a table of
 * two functions (POST a JSON body, GET) and their context, so tests can plug
 * in a fake server and the engine never sees HTTP.  ac_http is the real
 * implementation, on libcurl: one handle kept for keep-alive, TCP_NODELAY,
 * connect timeout 10 s and total timeout 120 s, the body sent in one buffer,
 * replies capped in size.
 *
 * Authentication: ac_http logs in with POST /api/login (login + password)
 * when it has no bearer token, sends "Authorization: Bearer TOKEN", and on a
 * 401 logs in again once and repeats the request.  A new token is handed to
 * the on_token callback so the caller can keep it (the profile's secret
 * file).
 *
 * TLS: https servers are verified against the system's CAs (or ca_file);
 * with a pin the certificate chain is not checked but the server's public
 * key must match the pin exactly, which is how a self-signed server is
 * trusted.  A TLS failure is serverUnavailable like any network failure,
 * with curl's reason in the message.
 *
 * Errors: an HTTP error body {"error": {...}} becomes the typed error it
 * carries; network failures (refused, timeout, DNS, TLS) become
 * serverUnavailable (scope server, retry temporary); a refused login becomes
 * unauthorized with scope account.  At log level trace the request and
 * reply bodies are logged, passed through at_log_redact().
 *
 * Blobs go through their own endpoints (/api/blob), streamed from and to
 * the files of the local blob cache with a libcurl read or write callback,
 * never held whole in memory; an upload lets libcurl send
 * "Expect: 100-continue" so that a refusal comes before the body.
 *
 * Ownership: replies returned through reply_r are new references owned by
 * the caller; the body argument is borrowed.  The ac_http owns copies of
 * every configuration string; free it with ac_http_free(). */
#ifndef AC_TRANSPORT_H
#define AC_TRANSPORT_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

#include "error.h"

/* Called with the data of each server-sent event; return non-zero to stop
 * reading the stream. */
typedef int (*ac_event_fn)(void *arg, const char *data);

typedef struct ac_transport {
	/* POST path (e.g. "/api") with a JSON body; 0 and *reply_r on a 2xx
	 * reply with a JSON body. */
	int (*call)(void *ctx, const char *path, json_t *body, json_t **reply_r,
		    at_error *err);
	/* GET path (e.g. "/api/session"). */
	int (*get)(void *ctx, const char *path, json_t **reply_r, at_error *err);
	void *ctx;
	/* GET path as a stream of server-sent events for at most timeout
	 * seconds: 1 when fn stopped it, 0 when it ended or the time ran out,
	 * -1 with err on failure.  May be NULL (no push). */
	int (*stream)(void *ctx, const char *path, long timeout, ac_event_fn fn, void *arg,
		      at_error *err);
	/* Blobs (photos, attachments; blobs.h).  blob_push: makes sure the
	 * server has blob_id, uploading it from the local cache (HEAD first,
	 * then POST /api/blob streamed from the cached file with type as its
	 * Content-Type, may be NULL); 0 when it has it, 1 when this blob
	 * cannot go (not in the cache, refused by the server: err says why),
	 * -1 when the server cannot be reached.  blob_fetch: makes sure the
	 * local cache has blob_id (GET streamed into the cache, checked
	 * against the id); 0 or -1.  Both may be NULL: no blob support.
	 * They are called with blob_ctx, not ctx (a wrapper such as faults.h
	 * replaces ctx and the JSON calls only). */
	int (*blob_push)(void *ctx, const char *blob_id, const char *type, at_error *err);
	int (*blob_fetch)(void *ctx, const char *blob_id, at_error *err);
	void *blob_ctx;
} ac_transport;

#define AC_HTTP_CONNECT_TIMEOUT 10
#define AC_HTTP_TIMEOUT 120
#define AC_HTTP_MAX_REPLY (64u * 1024 * 1024)

/* Called with each new bearer token; a failure is logged, not fatal. */
typedef int (*ac_token_fn)(void *arg, const char *token, at_error *err);

typedef struct ac_http_config {
	const char *server;    /* base URL, e.g. "https://host:8443" */
	const char *login;
	const char *password;
	const char *token;     /* NULL: log in before the first request */
	const char *device;    /* sent with the login; may be NULL */
	const char *pin;       /* trust exactly this public key (sha256//...); may be NULL */
	const char *ca_file;   /* verify against this CA bundle; may be NULL */
	ac_token_fn on_token;  /* may be NULL */
	void *on_token_arg;
	long connect_timeout;  /* seconds; 0 = AC_HTTP_CONNECT_TIMEOUT */
	long timeout;          /* seconds; 0 = AC_HTTP_TIMEOUT */
	size_t max_reply;      /* bytes; 0 = AC_HTTP_MAX_REPLY */
	const char *blob_dir;  /* the local blob cache (blobs.h); NULL: no blobs */
} ac_http_config;

typedef struct ac_http ac_http;

int ac_http_new(const ac_http_config *config, ac_http **http_r, at_error *err);
void ac_http_free(ac_http **http);
/* The transport table of this connection (ctx = http). */
ac_transport ac_http_transport(ac_http *http);
/* Streams (ac_transport.stream) end early once *stop is non-zero. */
void ac_http_set_stop(ac_http *http, volatile sig_atomic_t *stop);
/* Logs in now (normally done on demand). */
int ac_http_login(ac_http *http, at_error *err);

#endif
