/* transport.c — see transport.h. */
#include "transport.h"

#include <signal.h>

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blobs.h"
#include "common.h"
#include "log.h"
#include "protocol.h"
#include "strbuf.h"

#define TRACE_MAX (64 * 1024)

struct ac_http {
	CURL *curl;
	char *server, *login, *password, *token, *device, *pin, *ca_file;
	char *blob_dir;                /* the local blob cache, or NULL */
	ac_token_fn on_token;
	void *on_token_arg;
	long connect_timeout, timeout;
	size_t max_reply;
	char errbuf[CURL_ERROR_SIZE];
	volatile sig_atomic_t *stop;   /* ends a stream early; may be NULL */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

static void free_secret(char **s)
{
	if (*s != NULL) {
		sodium_memzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

int ac_http_new(const ac_http_config *cfg, ac_http **http_r, at_error *err)
{
	*http_r = NULL;
	if (cfg->server == NULL || cfg->login == NULL || cfg->password == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, NULL,
				    "server, login and password are needed");
	pthread_once(&curl_once, curl_init_once);
	ac_http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		abort();
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		free(h);
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
				    "cannot initialise libcurl");
	}
	h->server = dup_or_null(cfg->server);
	for (size_t n = strlen(h->server); n > 0 && h->server[n - 1] == '/'; n--)
		h->server[n - 1] = '\0';
	h->login = dup_or_null(cfg->login);
	h->password = dup_or_null(cfg->password);
	h->token = dup_or_null(cfg->token);
	h->device = dup_or_null(cfg->device);
	h->pin = dup_or_null(cfg->pin);
	h->ca_file = dup_or_null(cfg->ca_file);
	h->blob_dir = dup_or_null(cfg->blob_dir);
	h->on_token = cfg->on_token;
	h->on_token_arg = cfg->on_token_arg;
	h->connect_timeout = cfg->connect_timeout > 0 ? cfg->connect_timeout
						      : AC_HTTP_CONNECT_TIMEOUT;
	h->timeout = cfg->timeout > 0 ? cfg->timeout : AC_HTTP_TIMEOUT;
	h->max_reply = cfg->max_reply > 0 ? cfg->max_reply : AC_HTTP_MAX_REPLY;
	*http_r = h;
	return 0;
}

void ac_http_free(ac_http **http)
{
	ac_http *h = http != NULL ? *http : NULL;
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h->server);
	free(h->login);
	free_secret(&h->password);
	free_secret(&h->token);
	free(h->device);
	free(h->pin);
	free(h->ca_file);
	free(h->blob_dir);
	free(h);
	*http = NULL;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	at_buf *buf = arg;
	size_t n = size * nmemb;
	if (at_buf_append(buf, ptr, n) < 0)
		return 0;  /* over the cap: curl fails with CURLE_WRITE_ERROR */
	return n;
}

static void trace_body(const char *what, const char *path, const char *body)
{
	if (!at_log_enabled(AT_LOG_TRACE))
		return;
	size_t n = strlen(body) + 1;
	char *red = malloc(n < TRACE_MAX ? n : TRACE_MAX);
	if (red == NULL)
		return;
	at_log_redact(body, red, n < TRACE_MAX ? n : TRACE_MAX);
	at_log(AT_LOG_TRACE, "http", "%s %s %s", what, path, red);
	free(red);
}

/* One HTTP exchange.  body NULL: GET.  *status_r: the HTTP status. */
/* Where the bytes of a reply go: a buffer (the default), or a streaming
 * parser.  timeout 0 = the connection's. */
typedef struct sink {
	curl_write_callback write;
	void *arg;
	const char *accept;
	long timeout;
} sink;

static int perform_to(ac_http *h, const char *path, const char *body, bool auth,
		      const sink *out, long *status_r, at_buf *reply, at_error *err);

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	ac_http *h = arg;
	return h->stop != NULL && *h->stop ? 1 : 0;
}

void ac_http_set_stop(ac_http *h, volatile sig_atomic_t *stop)
{
	h->stop = stop;
}

static int perform(ac_http *h, const char *path, const char *body, bool auth,
		   long *status_r, at_buf *reply, at_error *err)
{
	sink buffer = {on_data, reply, "application/json", 0};
	return perform_to(h, path, body, auth, &buffer, status_r, reply, err);
}

/* reply: where the overflow flag of a buffer sink is read (may be NULL). */
static int perform_to(ac_http *h, const char *path, const char *body, bool auth,
		      const sink *out, long *status_r, at_buf *reply, at_error *err)
{
	int ret = -1;
	char *url = NULL, *auth_header = NULL;
	struct curl_slist *headers = NULL;
	CURL *c = h->curl;

	*status_r = 0;
	if (asprintf(&url, "%s%s", h->server, path) < 0)
		abort();
	curl_easy_reset(c);
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, out->timeout > 0 ? out->timeout : h->timeout);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "atrium-connector/0.1");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (h->pin != NULL) {
		/* a pinned key replaces the chain: a self-signed server */
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, h->pin);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (h->ca_file != NULL) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	}
	if (out->write != on_data && h->stop != NULL) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, out->write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out->arg);
	char accept[64];
	snprintf(accept, sizeof(accept), "Accept: %s", out->accept);
	headers = curl_slist_append(headers, accept);
	headers = curl_slist_append(headers, "Expect:");
	if (auth && h->token != NULL) {
		if (asprintf(&auth_header, "Authorization: Bearer %s", h->token) < 0)
			abort();
		headers = curl_slist_append(headers, auth_header);
	}
	if (body != NULL) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		trace_body("POST", path, body);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		at_trace("http", "GET %s", path);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

	CURLcode rc = curl_easy_perform(c);
	if (out->write != on_data && (rc == CURLE_WRITE_ERROR || rc == CURLE_OPERATION_TIMEDOUT ||
				      rc == CURLE_ABORTED_BY_CALLBACK)) {
		/* a stream stopped by its reader, or at the end of its time */
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status_r);
		ret = 0;
		goto done;
	}
	if (rc == CURLE_WRITE_ERROR && reply != NULL && reply->overflow) {
		at_error_set(err, AT_E_LIMIT, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "the reply of %s is larger than %zu bytes", url, h->max_reply);
		goto done;
	}
	if (rc != CURLE_OK) {
		at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			     "cannot reach the server at %s: %s", h->server,
			     h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status_r);
	if (at_log_enabled(AT_LOG_TRACE) && reply != NULL) {
		char what[32];
		snprintf(what, sizeof(what), "reply %ld to", *status_r);
		trace_body(what, path, reply->data != NULL ? reply->data : "");
	}
	ret = 0;
done:
	curl_slist_free_all(headers);
	if (auth_header != NULL) {
		sodium_memzero(auth_header, strlen(auth_header));
		free(auth_header);
	}
	free(url);
	return ret;
}

/* The typed error of a failed HTTP exchange. */
static int http_error(ac_http *h, const char *path, long status, at_buf *reply,
		      at_error *err)
{
	at_error ignored;
	json_t *body = reply->len > 0 ? ac_json_parse(reply->data, reply->len, &ignored)
				      : NULL;
	json_t *e = json_object_get(body, "error");
	if (json_is_object(e) && ac_jstr(e, "type") != NULL) {
		at_error_from_json(e, err);
	} else if (status >= 500) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			     "the server answered %s with HTTP %ld", path, status);
	} else if (status == 401) {
		at_error_set(err, AT_E_UNAUTHORIZED, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "the server refused the credentials (HTTP 401)");
	} else {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "the server answered %s with HTTP %ld", path, status);
	}
	err->http_status = (int)status;
	json_decref(body);
	return -1;
}

static int parse_reply(const char *path, at_buf *reply, json_t **reply_r, at_error *err)
{
	json_t *v = ac_json_parse(reply->data != NULL ? reply->data : "", reply->len, err);
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
				    NULL, "the reply to %s is not a JSON object", path);
	}
	*reply_r = v;
	return 0;
}

int ac_http_login(ac_http *h, at_error *err)
{
	int ret = -1;
	long status = 0;
	at_buf reply;
	json_t *body = NULL, *ans = NULL;
	char *text = NULL;

	at_buf_init(&reply, h->max_reply);
	body = json_pack("{s:s,s:s}", "login", h->login, "password", h->password);
	if (h->device != NULL)
		json_object_set_new(body, "device", json_string(h->device));
	text = ac_json_dump(body);
	if (perform(h, "/api/login", text, false, &status, &reply, err) < 0)
		goto done;
	if (status < 200 || status >= 300) {
		http_error(h, "/api/login", status, &reply, err);
		if (strcmp(err->code, AT_E_UNAUTHORIZED) == 0 || status == 401) {
			char msg[AT_ERROR_MESSAGE_MAX];
			snprintf(msg, sizeof(msg), "%s", err->message);
			at_error_set(err, AT_E_UNAUTHORIZED, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				     NULL, "login as \"%s\" at %s refused: %s", h->login,
				     h->server, msg);
			err->http_status = 401;
		}
		goto done;
	}
	if (parse_reply("/api/login", &reply, &ans, err) < 0)
		goto done;
	const char *token = ac_jstr(ans, "token");
	if (token == NULL || strlen(token) < 16 || strlen(token) > 1024) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, "token",
			     "the login reply carries no usable token");
		goto done;
	}
	free_secret(&h->token);
	h->token = dup_or_null(token);
	if (h->on_token != NULL) {
		at_error terr;
		at_error_clear(&terr);
		if (h->on_token(h->on_token_arg, h->token, &terr) < 0)
			at_warn("http", "cannot keep the login token: %s", terr.message);
	}
	at_debug("http", "logged in as %s", h->login);
	ret = 0;
done:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	if (body != NULL) {
		json_object_clear(body);
		json_decref(body);
	}
	if (ans != NULL) {
		json_object_clear(ans);
		json_decref(ans);
	}
	at_buf_free(&reply);
	return ret;
}

/* An authenticated exchange; logs in first if needed and once more on 401. */
static int request(ac_http *h, const char *path, json_t *body, json_t **reply_r,
		   at_error *err)
{
	int ret = -1;
	char *text = NULL;
	at_buf reply;
	long status = 0;

	*reply_r = NULL;
	at_buf_init(&reply, h->max_reply);
	if (body != NULL)
		text = ac_json_dump(body);
	for (int attempt = 0;; attempt++) {
		if (h->token == NULL && ac_http_login(h, err) < 0)
			goto done;
		at_buf_truncate(&reply, 0);
		reply.overflow = false;
		if (perform(h, path, text, true, &status, &reply, err) < 0)
			goto done;
		if (status == 401 && attempt == 0) {
			at_debug("http", "token refused, logging in again");
			free_secret(&h->token);
			continue;
		}
		break;
	}
	if (status < 200 || status >= 300) {
		http_error(h, path, status, &reply, err);
		goto done;
	}
	if (parse_reply(path, &reply, reply_r, err) < 0)
		goto done;
	ret = 0;
done:
	free(text);
	at_buf_free(&reply);
	return ret;
}

static int http_call(void *ctx, const char *path, json_t *body, json_t **reply_r,
		     at_error *err)
{
	json_t *empty = body == NULL ? json_object() : NULL;
	int ret = request(ctx, path, body != NULL ? body : empty, reply_r, err);
	json_decref(empty);
	return ret;
}

static int http_get(void *ctx, const char *path, json_t **reply_r, at_error *err)
{
	return request(ctx, path, NULL, reply_r, err);
}

/* --- server-sent events ------------------------------------------------------ */

typedef struct sse {
	CURL *curl;
	at_buf line;      /* the line being read */
	at_buf data;      /* the event's data lines */
	at_buf error;     /* the body of a non-2xx reply */
	ac_event_fn fn;
	void *arg;
	bool stopped;
	bool ok;          /* the reply is a 2xx stream */
	bool checked;
} sse;

#define SSE_MAX_LINE (256u * 1024)

static int sse_line(sse *st)
{
	const char *l = st->line.data != NULL ? st->line.data : "";
	if (st->line.len == 0) {
		/* a blank line ends an event */
		if (st->data.len > 0) {
			int r = st->fn(st->arg, st->data.data);
			at_buf_truncate(&st->data, 0);
			if (r != 0)
				return 1;
		}
		return 0;
	}
	if (l[0] == ':')
		return 0;  /* a comment: keep-alive */
	if (strncmp(l, "data:", 5) == 0) {
		const char *v = l + 5;
		if (*v == ' ')
			v++;
		if (st->data.len > 0)
			at_buf_putc(&st->data, '\n');
		at_buf_puts(&st->data, v);
	}
	return 0;  /* event:, id:, retry: are not used */
}

static size_t on_sse(char *ptr, size_t size, size_t nmemb, void *arg)
{
	sse *st = arg;
	size_t n = size * nmemb;
	if (!st->checked) {
		long status = 0;
		curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
		st->ok = status >= 200 && status < 300;
		st->checked = true;
	}
	if (!st->ok)
		return at_buf_append(&st->error, ptr, n) < 0 ? 0 : n;
	for (size_t i = 0; i < n; i++) {
		char c = ptr[i];
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (at_buf_putc(&st->line, c) < 0)
				return 0;  /* a line over the limit ends the stream */
			continue;
		}
		int r = sse_line(st);
		at_buf_truncate(&st->line, 0);
		if (r != 0) {
			st->stopped = true;
			return 0;  /* abort the transfer: the reader has what it wanted */
		}
	}
	return n;
}

static int http_stream(void *ctx, const char *path, long timeout, ac_event_fn fn, void *arg,
		       at_error *err)
{
	ac_http *h = ctx;
	int ret = -1;
	long status = 0;
	sse st = {.curl = h->curl, .fn = fn, .arg = arg};
	at_buf_init(&st.line, SSE_MAX_LINE);
	at_buf_init(&st.data, SSE_MAX_LINE);
	at_buf_init(&st.error, h->max_reply);
	sink stream = {on_sse, &st, "text/event-stream", timeout};
	for (int attempt = 0;; attempt++) {
		if (h->token == NULL && ac_http_login(h, err) < 0)
			goto done;
		st.checked = false;
		at_buf_truncate(&st.error, 0);
		if (perform_to(h, path, NULL, true, &stream, &status, NULL, err) < 0)
			goto done;
		if (status == 401 && attempt == 0) {
			free_secret(&h->token);
			continue;
		}
		break;
	}
	if (status != 0 && (status < 200 || status >= 300)) {
		http_error(h, path, status, &st.error, err);
		goto done;
	}
	ret = st.stopped ? 1 : 0;
done:
	at_buf_free(&st.line);
	at_buf_free(&st.data);
	at_buf_free(&st.error);
	return ret;
}

/* --- blobs -------------------------------------------------------------------- */

#define BLOB_ERROR_MAX (64u * 1024)

typedef struct blob_io {
	CURL *curl;
	FILE *in;                /* an upload's file */
	ac_blob_writer *out;     /* a download's destination */
	at_buf body;             /* the body of any other reply (an error) */
	at_error werr;           /* why writing the download failed */
	bool failed;
} blob_io;

static size_t blob_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	blob_io *io = arg;
	size_t n = fread(buf, 1, size * nmemb, io->in);
	return n == 0 && ferror(io->in) ? CURL_READFUNC_ABORT : n;
}

static size_t blob_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	blob_io *io = arg;
	size_t len = size * nmemb;
	long status = 0;
	curl_easy_getinfo(io->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200 && io->out != NULL) {
		if (ac_blob_writer_write(io->out, ptr, len, &io->werr) < 0) {
			io->failed = true;
			return 0;
		}
		return len;
	}
	at_buf_append(&io->body, ptr, len);  /* capped: the rest is dropped */
	return len;
}

/* One blob exchange (HEAD, GET or POST of path), logged in first when
 * needed and once more on a 401.  -1 only when the server cannot be
 * reached; else 0 with *status_r. */
static int blob_exchange(ac_http *h, const char *method, const char *path, blob_io *io,
			 int64_t in_size, const char *type, long *status_r, at_error *err)
{
	int ret = -1;
	char *url = NULL, *auth_header = NULL, *ctype = NULL;
	CURL *c = h->curl;
	io->curl = c;
	if (asprintf(&url, "%s%s", h->server, path) < 0 ||
	    asprintf(&ctype, "Content-Type: %s", type != NULL ? type : "application/octet-stream") < 0)
		abort();
	for (int attempt = 0;; attempt++) {
		struct curl_slist *headers = NULL;
		if (h->token == NULL && ac_http_login(h, err) < 0)
			goto done;
		curl_easy_reset(c);
		h->errbuf[0] = '\0';
		at_buf_truncate(&io->body, 0);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_timeout);
		/* a slow link moving 25 MiB: no total limit, but a stall ends it */
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->timeout);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "atrium-connector/0.1");
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
		if (h->pin != NULL) {
			curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, h->pin);
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		} else if (h->ca_file != NULL) {
			curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
		}
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, blob_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, io);
		if (asprintf(&auth_header, "Authorization: Bearer %s", h->token) < 0)
			abort();
		headers = curl_slist_append(headers, auth_header);
		if (strcmp(method, "HEAD") == 0) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (strcmp(method, "POST") == 0) {
			if (fseeko(io->in, 0, SEEK_SET) < 0) {
				curl_slist_free_all(headers);
				at_error_set(err, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
					     "cannot read the blob of %s", path);
				goto done;
			}
			headers = curl_slist_append(headers, ctype);
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, blob_read);
			curl_easy_setopt(c, CURLOPT_READDATA, io);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)in_size);
		} else {
			curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		at_debug("http", "%s %s", method, path);
		CURLcode rc = curl_easy_perform(c);
		curl_slist_free_all(headers);
		sodium_memzero(auth_header, strlen(auth_header));
		free(auth_header);
		auth_header = NULL;
		if (rc == CURLE_WRITE_ERROR && io->failed) {
			at_error_copy(err, &io->werr);
			*status_r = 0;
			ret = 0;
			goto done;
		}
		if (rc != CURLE_OK) {
			at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
				     "cannot reach the server at %s: %s", h->server,
				     h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
			goto done;
		}
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status_r);
		if (*status_r == 401 && attempt == 0) {
			free_secret(&h->token);
			continue;
		}
		break;
	}
	ret = 0;
done:
	free(url);
	free(ctype);
	return ret;
}

static int no_blob_dir(at_error *err)
{
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			    "this connection has no blob cache");
}

static int http_blob_push(void *ctx, const char *blob_id, const char *type, at_error *err)
{
	ac_http *h = ctx;
	blob_io io = {0};
	long status = 0;
	int ret = -1;
	char *path = NULL, *file = NULL;
	if (h->blob_dir == NULL) {
		no_blob_dir(err);
		return 1;
	}
	at_buf_init(&io.body, BLOB_ERROR_MAX);
	if (asprintf(&path, "/api/blob/%s", blob_id) < 0)
		abort();
	if (blob_exchange(h, "HEAD", path, &io, 0, NULL, &status, err) < 0)
		goto done;
	if (status == 200) {
		ret = 0;
		goto done;
	}
	if (status != 404) {
		http_error(h, path, status, &io.body, err);
		ret = status >= 500 ? -1 : 1;
		goto done;
	}
	file = ac_blob_path(h->blob_dir, blob_id);
	if (file == NULL || (io.in = fopen(file, "rb")) == NULL) {
		at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "blob %.80s is not in the local cache", blob_id);
		ret = 1;
		goto done;
	}
	struct stat st;
	if (fstat(fileno(io.in), &st) < 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "cannot read %s", file);
		ret = 1;
		goto done;
	}
	if (blob_exchange(h, "POST", "/api/blob", &io, (int64_t)st.st_size, type, &status,
			  err) < 0)
		goto done;
	if (status < 200 || status >= 300) {
		http_error(h, "/api/blob", status, &io.body, err);
		ret = status >= 500 ? -1 : 1;
		goto done;
	}
	at_info("http", "uploaded blob %s (%lld bytes)", blob_id, (long long)st.st_size);
	ret = 0;
done:
	if (io.in != NULL)
		fclose(io.in);
	at_buf_free(&io.body);
	free(path);
	free(file);
	return ret;
}

static int http_blob_fetch(void *ctx, const char *blob_id, at_error *err)
{
	ac_http *h = ctx;
	blob_io io = {0};
	long status = 0;
	int ret = -1;
	char *path = NULL;
	if (h->blob_dir == NULL)
		return no_blob_dir(err);
	if (!at_blob_id_valid(blob_id))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "\"%.80s\" is not a blob id", blob_id);
	if (ac_blob_cached(h->blob_dir, blob_id))
		return 0;
	at_buf_init(&io.body, BLOB_ERROR_MAX);
	if (asprintf(&path, "/api/blob/%s", blob_id) < 0)
		abort();
	if (ac_blob_writer_open(h->blob_dir, 0, "the blob", &io.out, err) < 0)
		goto done;
	if (blob_exchange(h, "GET", path, &io, 0, NULL, &status, err) < 0)
		goto done;
	if (status == 0)
		goto done;  /* writing into the cache failed: err is set */
	if (status != 200) {
		http_error(h, path, status, &io.body, err);
		goto done;
	}
	if (ac_blob_writer_finish(&io.out, blob_id, NULL, NULL, NULL, err) < 0)
		goto done;
	at_info("http", "downloaded blob %s", blob_id);
	ret = 0;
done:
	ac_blob_writer_abort(&io.out);
	at_buf_free(&io.body);
	free(path);
	return ret;
}

ac_transport ac_http_transport(ac_http *http)
{
	ac_transport t = {http_call, http_get, http, http_stream, http_blob_push,
			  http_blob_fetch, http};
	return t;
}
