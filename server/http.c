/* http.c — see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "arena.h"
#include "auth.h"
#include "blobs.h"
#include "log.h"
#include "protocol.h"
#include "push.h"
#include "store.h"
#include "strbuf.h"

#define MAX_STORES 64

struct as_http {
	struct MHD_Daemon *daemon;
	as_push *push;
	char *data_dir;
	pthread_key_t store_key;
	pthread_mutex_t lock;
	as_store *stores[MAX_STORES];
	size_t n_stores;
};

struct request {
	at_buf body;
	bool started;
	/* POST /api/blob: the body streams into the blob store (blobs.h) */
	bool is_blob;
	bool responded;           /* an error was queued before the body ended */
	as_blob_upload *blob;
	at_error blob_err;        /* why the upload was refused */
	uint64_t drained;         /* bytes thrown away after a refusal */
};

/* The calling worker thread's store connection. */
static as_store *thread_store(as_http *h, at_error *err)
{
	as_store *s = pthread_getspecific(h->store_key);
	if (s != NULL)
		return s;
	s = as_store_open_sqlite(h->data_dir, err);
	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&h->lock);
	if (h->n_stores == MAX_STORES) {
		pthread_mutex_unlock(&h->lock);
		as_store_close(&s);
		at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			     "too many store connections");
		return NULL;
	}
	h->stores[h->n_stores++] = s;
	pthread_mutex_unlock(&h->lock);
	pthread_setspecific(h->store_key, s);
	return s;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return MHD_NO;
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text,
								    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, const at_error *err)
{
	unsigned status = err->http_status >= 400 ? (unsigned)err->http_status : 400;
	struct MHD_Response *resp;
	json_t *body = json_pack("{s:o}", "error", at_error_to_json(err));
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json; charset=utf-8");
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"atrium\", charset=\"UTF-8\"");
	if (err->retry_after > 0) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%ld", err->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	enum MHD_Result rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static json_t *parse_body(const at_buf *body, at_error *err)
{
	json_error_t jerr;
	json_t *v = json_loadb(body->data ? body->data : "", body->len,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		at_error_set(err, AT_E_NOT_JSON, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "the body is not JSON: %s at line %d column %d", jerr.text,
			     jerr.line, jerr.column);
	return v;
}

static void trace_body(const char *what, const char *text, size_t len)
{
	if (!at_log_enabled(AT_LOG_TRACE))
		return;
	char shown[4096], redacted[4096];
	snprintf(shown, sizeof(shown), "%.*s", (int)(len < sizeof(shown) - 1 ? len : sizeof(shown) - 1),
		 text ? text : "");
	at_log_redact(shown, redacted, sizeof(redacted));
	at_trace("http", "%s %s", what, redacted);
}

/* POST /api/blob (the body already streamed into req->blob), and GET or
 * HEAD /api/blob/ID (the file streamed from its descriptor). */
static enum MHD_Result handle_blob(as_http *h, struct MHD_Connection *conn, const char *url,
				   const char *method, struct request *req, as_store *s,
				   at_arena *a, int64_t now)
{
	at_error err;
	at_error_clear(&err);
	bool upload = strcmp(url, "/api/blob") == 0 && strcmp(method, MHD_HTTP_METHOD_POST) == 0 &&
		      req->blob != NULL;
	bool fetch = strncmp(url, "/api/blob/", 10) == 0 &&
		     (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		      strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
	if (!upload && !fetch) {
		at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "no endpoint %s %s", method, url);
		err.http_status = 404;
		goto fail;
	}
	as_user user;
	const char *token_hash = NULL;
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	if (as_auth_header(s, a, auth, now, &user, &token_hash, &err) < 0)
		goto fail;
	as_ctx ctx = {.store = s, .arena = a, .user = &user, .token_hash = token_hash};
	if (upload) {
		json_t *answer = as_blob_upload_finish(req->blob, &ctx, &err);
		as_blob_upload_free(&req->blob);
		if (answer == NULL)
			goto fail;
		return send_json(conn, MHD_HTTP_OK, answer);
	}
	as_blob b;
	int fd;
	int found = as_blob_open(&ctx, h->data_dir, url + 10, &b, &fd, &err);
	if (found < 0)
		goto fail;
	if (found > 0) {
		at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "no blob %.80s", url + 10);
		goto fail;
	}
	/* a client asks before it references a blob it has: keep it a while */
	if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0 && as_blob_touch(&ctx, b.id, &err) < 0) {
		close(fd);
		goto fail;
	}
	struct MHD_Response *resp = MHD_create_response_from_fd64((uint64_t)b.size, fd);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	char etag[AT_BLOB_ID_SIZE + 2];
	snprintf(etag, sizeof(etag), "\"%s\"", b.id + 7);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, b.type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "private, max-age=31536000");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
fail:
	if (err.http_status >= 500)
		at_error_log("http", "%s %s: %s", method, url, err.message);
	else
		at_debug("http", "%s %s: %s: %s", method, url, err.code, err.message);
	return send_error(conn, &err);
}

/* The first call of a POST /api/blob (headers seen): refuses a request
 * without valid credentials or with a Content-Length over the limit at
 * once, before its body is read; else opens the upload. */
static enum MHD_Result blob_start(as_http *h, struct MHD_Connection *conn, struct request *req)
{
	at_error err;
	at_error_clear(&err);
	at_arena *a = at_arena_new(0);
	as_user user;
	const char *token_hash = NULL;
	req->is_blob = true;
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_TYPE);
	as_store *s = thread_store(h, &err);
	if (s == NULL ||
	    as_auth_header(s, a, auth, (int64_t)time(NULL), &user, &token_hash, &err) < 0)
		goto fail;
	if (len != NULL && strtoull(len, NULL, 10) > (unsigned long long)AT_BLOB_MAX_BYTES) {
		as_blob_too_large(&err);
		goto fail;
	}
	if (as_blob_upload_begin(h->data_dir, type, &req->blob, &err) < 0)
		goto fail;
	at_arena_free(&a);
	return MHD_YES;
fail:
	at_arena_free(&a);
	at_debug("http", "POST /api/blob: %s: %s", err.code, err.message);
	at_error_copy(&req->blob_err, &err);
	req->responded = true;
	return send_error(conn, &err);
}

/* A chunk of a POST /api/blob body.  After a refusal the rest is thrown
 * away (up to the limit again; a client that goes on is cut off). */
static enum MHD_Result blob_chunk(struct MHD_Connection *conn, struct request *req,
				  const char *data, size_t len)
{
	if (req->blob != NULL) {
		if (as_blob_upload_write(req->blob, data, len, &req->blob_err) == 0)
			return MHD_YES;
		as_blob_upload_free(&req->blob);
		at_debug("http", "POST /api/blob: %s", req->blob_err.message);
		return MHD_YES;
	}
	req->drained += len;
	return req->drained > (uint64_t)AT_BLOB_MAX_BYTES ? MHD_NO : MHD_YES;
}

static enum MHD_Result handle(as_http *h, struct MHD_Connection *conn, const char *url,
			      const char *method, struct request *req)
{
	at_error err;
	at_error_clear(&err);
	at_arena *a = at_arena_new(0);
	json_t *body = NULL, *answer = NULL;
	enum MHD_Result rc;
	int64_t now = (int64_t)time(NULL);
	bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	as_store *s = thread_store(h, &err);
	if (s == NULL)
		goto fail;
	trace_body(url, req->body.data, req->body.len);
	if (strcmp(url, "/api/blob") == 0 || strncmp(url, "/api/blob/", 10) == 0) {
		rc = handle_blob(h, conn, url, method, req, s, a, now);
		goto done;
	}
	if (strcmp(url, "/api/login") == 0 && is_post) {
		if ((body = parse_body(&req->body, &err)) == NULL)
			goto fail;
		if ((answer = as_api_login(s, a, body, now, &err)) == NULL)
			goto fail;
		goto ok;
	}
	bool known = (strcmp(url, "/api") == 0 && is_post) ||
		     (strcmp(url, "/api/session") == 0 && is_get) ||
		     (strcmp(url, "/api/push") == 0 && is_get) ||
		     (strcmp(url, "/api/logout") == 0 && is_post);
	if (!known) {
		at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "no endpoint %s %s", method, url);
		err.http_status = 404;
		goto fail;
	}
	as_user user;
	const char *token_hash = NULL;
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	if (as_auth_header(s, a, auth, now, &user, &token_hash, &err) < 0)
		goto fail;
	as_ctx ctx = {.store = s, .arena = a, .user = &user, .token_hash = token_hash};
	if (strcmp(url, "/api/push") == 0) {
		if (as_push_respond(h->push, s, conn, &user, &rc, &err) < 0)
			goto fail;
		goto done;
	}
	if (strcmp(url, "/api/session") == 0) {
		answer = as_api_session(&ctx);
	} else if (strcmp(url, "/api/logout") == 0) {
		const char *tok = auth + 7;
		bool bearer = token_hash != NULL;
		if (bearer && as_auth_logout(s, tok, &err) < 0)
			goto fail;
		answer = json_pack("{s:b}", "revoked", bearer);
	} else {
		if ((body = parse_body(&req->body, &err)) == NULL)
			goto fail;
		if ((answer = as_api_batch(&ctx, body, &err)) == NULL)
			goto fail;
		/* whatever the calls wrote, push tells the watchers now */
		as_push_poke(h->push);
	}
ok:
	if (at_log_enabled(AT_LOG_TRACE)) {
		char *text = json_dumps(answer, JSON_COMPACT);
		trace_body("answer", text, text ? strlen(text) : 0);
		free(text);
	}
	rc = send_json(conn, MHD_HTTP_OK, answer);
	goto done;
fail:
	if (err.http_status >= 500)
		at_error_log("http", "%s %s: %s", method, url, err.message);
	else
		at_debug("http", "%s %s: %s: %s", method, url, err.code, err.message);
	rc = send_error(conn, &err);
done:
	json_decref(body);
	at_arena_free(&a);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	as_http *h = cls;
	struct request *req = *con_cls;
	if (req == NULL) {
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		at_buf_init(&req->body, AT_MAX_REQUEST_BYTES);
		*con_cls = req;
		if (strcmp(url, "/api/blob") == 0 && strcmp(method, MHD_HTTP_METHOD_POST) == 0)
			return blob_start(h, conn, req);
		return MHD_YES;
	}
	if (req->is_blob) {
		if (*upload_size > 0) {
			enum MHD_Result r = req->responded
						    ? MHD_YES
						    : blob_chunk(conn, req, upload_data, *upload_size);
			*upload_size = 0;
			return r;
		}
		if (req->responded)
			return MHD_YES;
		if (at_error_is_set(&req->blob_err))
			return send_error(conn, &req->blob_err);
		return handle(h, conn, url, method, req);
	}
	if (*upload_size > 0) {
		if (!req->body.overflow)
			at_buf_append(&req->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->body.overflow) {
		at_error err;
		at_error_set(&err, AT_E_LIMIT, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "the request body is larger than %u bytes", AT_MAX_REQUEST_BYTES);
		return send_error(conn, &err);
	}
	return handle(h, conn, url, method, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;
	if (req != NULL) {
		as_blob_upload_free(&req->blob);
		at_buf_free(&req->body);
		free(req);
		*con_cls = NULL;
	}
}

as_http *as_http_start(const as_http_conf *conf, at_error *err)
{
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_port = htons(conf->port);
	if (inet_pton(AF_INET, conf->host, &addr.sin_addr) != 1) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL, "listen",
			     "\"%s\" is not an IPv4 address", conf->host);
		return NULL;
	}
	as_http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		abort();
	h->data_dir = strdup(conf->data_dir);
	pthread_key_create(&h->store_key, NULL);
	pthread_mutex_init(&h->lock, NULL);
	if ((h->push = as_push_new(conf->data_dir, err)) == NULL) {
		as_http_stop(&h);
		return NULL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}};
	if (conf->cert_pem != NULL && conf->key_pem != NULL) {
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)conf->cert_pem};
		tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)conf->key_pem};
		tls[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	}
	h->daemon = MHD_start_daemon(
		flags, conf->port, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(conf->threads ? conf->threads : 4),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (h->daemon == NULL) {
		at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_FINAL, "listen",
			     "cannot listen on %s:%u (address in use or not permitted)",
			     conf->host, conf->port);
		as_http_stop(&h);
		return NULL;
	}
	return h;
}

void as_http_stop(as_http **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	as_http *h = *hp;
	/* streams end and parked connections resume before the daemon stops;
	 * the hub outlives the daemon, whose responses still point to it */
	as_push_shutdown(h->push);
	if (h->daemon != NULL)
		MHD_stop_daemon(h->daemon);
	as_push_free(&h->push);
	for (size_t i = 0; i < h->n_stores; i++)
		as_store_close(&h->stores[i]);
	pthread_key_delete(h->store_key);
	pthread_mutex_destroy(&h->lock);
	free(h->data_dir);
	free(h);
	*hp = NULL;
}
