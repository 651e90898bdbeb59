/* test_transport.c — the libcurl transport against a small HTTP server in
 * a thread: login on demand, bearer token reuse, one re-login on 401, typed
 * errors from HTTP error bodies, network failures, reply size cap and
 * connection keep-alive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "log.h"
#include "transport.h"

typedef struct server {
	int listen_fd;
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	int connections;
	int logins;
	int requests;
	char token[64];         /* the valid token, "" = none */
	int fail_status;        /* answer /api with this status */
	const char *fail_body;
	size_t big_reply;       /* answer /api with this many bytes */
	char last_auth[128];
	char last_body[4096];
} server;

static void respond(int fd, int status, const char *body)
{
	char head[256];
	size_t len = strlen(body);
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n", status, len);
	if (write(fd, head, (size_t)n) < 0 || write(fd, body, len) < 0)
		return;
}

static const char unauthorized[] =
	"{\"error\":{\"type\":\"unauthorized\",\"scope\":\"account\",\"retry\":\"final\","
	"\"message\":\"bad credentials\"}}";

static void handle(server *s, int fd, const char *method, const char *path,
		   const char *auth, const char *body)
{
	pthread_mutex_lock(&s->lock);
	s->requests++;
	snprintf(s->last_auth, sizeof(s->last_auth), "%s", auth);
	snprintf(s->last_body, sizeof(s->last_body), "%s", body);
	bool authed = s->token[0] != '\0' && strncmp(auth, "Bearer ", 7) == 0 &&
		      strcmp(auth + 7, s->token) == 0;
	if (strcmp(path, "/api/login") == 0) {
		if (strstr(body, "\"password\":\"right\"") != NULL) {
			s->logins++;
			snprintf(s->token, sizeof(s->token), "token-%d-0123456789abcdef0123456789",
				 s->logins);
			char reply[256];
			snprintf(reply, sizeof(reply), "{\"token\":\"%s\",\"userId\":\"u1\","
				 "\"expiresAt\":\"2030-01-01T00:00:00Z\"}", s->token);
			respond(fd, 200, reply);
		} else {
			respond(fd, 401, unauthorized);
		}
	} else if (!authed) {
		respond(fd, 401, unauthorized);
	} else if (strcmp(method, "GET") == 0) {
		respond(fd, 200, "{\"user\":{\"id\":\"u1\"}}");
	} else if (s->fail_status != 0) {
		respond(fd, s->fail_status, s->fail_body);
	} else if (s->big_reply > 0) {
		char *big = malloc(s->big_reply + 1);
		memset(big, ' ', s->big_reply);
		big[0] = '{';
		big[s->big_reply - 1] = '}';
		big[s->big_reply] = '\0';
		respond(fd, 200, big);
		free(big);
	} else {
		respond(fd, 200, "{\"methodResponses\":[]}");
	}
	pthread_mutex_unlock(&s->lock);
}

static void serve_connection(server *s, int fd)
{
	char buf[65536];
	size_t len = 0;
	for (;;) {
		char *end = NULL;
		while ((end = strstr(buf, "\r\n\r\n")) == NULL || len == 0) {
			if (len >= sizeof(buf) - 1)
				return;
			ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				return;
			len += (size_t)r;
			buf[len] = '\0';
		}
		size_t head_len = (size_t)(end - buf) + 4;
		char method[16] = "", path[256] = "", auth[128] = "";
		size_t clen = 0;
		sscanf(buf, "%15s %255s", method, path);
		for (char *line = strstr(buf, "\r\n"); line != NULL && line < end;
		     line = strstr(line + 2, "\r\n")) {
			if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
				clen = strtoul(line + 17, NULL, 10);
			if (strncasecmp(line + 2, "Authorization: ", 15) == 0)
				sscanf(line + 17, "%127[^\r]", auth);
		}
		while (len < head_len + clen) {
			ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				return;
			len += (size_t)r;
		}
		char body[4096];
		size_t bl = clen < sizeof(body) - 1 ? clen : sizeof(body) - 1;
		memcpy(body, buf + head_len, bl);
		body[bl] = '\0';
		handle(s, fd, method, path, auth, body);
		memmove(buf, buf + head_len + clen, len - head_len - clen);
		len -= head_len + clen;
		buf[len] = '\0';
	}
}

static void *serve(void *arg)
{
	server *s = arg;
	for (;;) {
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_mutex_lock(&s->lock);
		s->connections++;
		pthread_mutex_unlock(&s->lock);
		serve_connection(s, fd);
		close(fd);
	}
}

typedef struct fixture {
	server srv;
	char url[64];
	int tokens_kept;
	char kept[64];
} fixture;

static int keep(void *arg, const char *token, at_error *err)
{
	fixture *fx = arg;
	fx->tokens_kept++;
	snprintf(fx->kept, sizeof(fx->kept), "%s", token);
	return 0;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	server *s = &fx->srv;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->listen_fd, 8), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	pthread_mutex_init(&s->lock, NULL);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%d/", s->port);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	shutdown(fx->srv.listen_fd, SHUT_RDWR);
	close(fx->srv.listen_fd);
	pthread_join(fx->srv.thread, NULL);
	pthread_mutex_destroy(&fx->srv.lock);
	free(fx);
	return 0;
}

static ac_http *connect_as(fixture *fx, const char *password, size_t max_reply)
{
	ac_http *h = NULL;
	at_error err;
	ac_http_config cfg = {
		.server = fx->url, .login = "alice", .password = password,
		.device = "test", .on_token = keep, .on_token_arg = fx,
		.max_reply = max_reply,
	};
	assert_int_equal(ac_http_new(&cfg, &h, &err), 0);
	return h;
}

static void test_login_token_reuse_relogin(void **state)
{
	fixture *fx = *state;
	ac_http *h = connect_as(fx, "right", 0);
	ac_transport t = ac_http_transport(h);
	json_t *reply = NULL, *body = json_pack("{s:[]}", "methodCalls");
	at_error err;
	at_error_clear(&err);

	assert_int_equal(t.get(t.ctx, "/api/session", &reply, &err), 0);
	assert_string_equal(ac_jstr(json_object_get(reply, "user"), "id"), "u1");
	json_decref(reply);
	assert_int_equal(fx->srv.logins, 1);
	assert_int_equal(fx->tokens_kept, 1);
	assert_string_equal(fx->kept, fx->srv.token);
	assert_non_null(strstr(fx->srv.last_auth, "Bearer token-1-"));

	/* the token is reused: no second login */
	assert_int_equal(t.call(t.ctx, "/api", body, &reply, &err), 0);
	json_decref(reply);
	assert_int_equal(fx->srv.logins, 1);
	assert_string_equal(fx->srv.last_body, "{\"methodCalls\":[]}");

	/* token revoked: one new login, then the request succeeds */
	pthread_mutex_lock(&fx->srv.lock);
	snprintf(fx->srv.token, sizeof(fx->srv.token), "revoked");
	pthread_mutex_unlock(&fx->srv.lock);
	assert_int_equal(t.call(t.ctx, "/api", body, &reply, &err), 0);
	json_decref(reply);
	assert_int_equal(fx->srv.logins, 2);
	assert_int_equal(fx->tokens_kept, 2);
	/* keep-alive: everything over one connection */
	assert_int_equal(fx->srv.connections, 1);
	json_decref(body);
	ac_http_free(&h);
	assert_null(h);
}

static void test_wrong_password(void **state)
{
	fixture *fx = *state;
	ac_http *h = connect_as(fx, "wrong", 0);
	ac_transport t = ac_http_transport(h);
	json_t *reply = NULL;
	at_error err;
	at_error_clear(&err);
	assert_int_equal(t.get(t.ctx, "/api/session", &reply, &err), -1);
	assert_null(reply);
	assert_string_equal(err.code, AT_E_UNAUTHORIZED);
	assert_int_equal(err.scope, AT_SCOPE_ACCOUNT);
	assert_non_null(strstr(err.message, "alice"));
	assert_int_equal(fx->tokens_kept, 0);
	ac_http_free(&h);
}

static void test_http_errors(void **state)
{
	fixture *fx = *state;
	ac_http *h = connect_as(fx, "right", 0);
	ac_transport t = ac_http_transport(h);
	json_t *reply = NULL;
	at_error err;

	fx->srv.fail_status = 413;
	fx->srv.fail_body = "{\"error\":{\"type\":\"limitExceeded\",\"scope\":\"server\","
			    "\"retry\":\"final\",\"message\":\"body over 16 MiB\"}}";
	at_error_clear(&err);
	assert_int_equal(t.call(t.ctx, "/api", NULL, &reply, &err), -1);
	assert_string_equal(err.code, AT_E_LIMIT);
	assert_string_equal(err.message, "body over 16 MiB");
	assert_int_equal(err.http_status, 413);

	fx->srv.fail_status = 500;
	fx->srv.fail_body = "<html>oops</html>";
	at_error_clear(&err);
	assert_int_equal(t.call(t.ctx, "/api", NULL, &reply, &err), -1);
	assert_string_equal(err.code, AT_E_SERVER);
	assert_int_equal(err.scope, AT_SCOPE_SERVER);
	assert_int_equal(err.retry, AT_RETRY_TEMPORARY);

	/* a 200 that is not JSON */
	fx->srv.fail_status = 200;
	fx->srv.fail_body = "not json";
	at_error_clear(&err);
	assert_int_equal(t.call(t.ctx, "/api", NULL, &reply, &err), -1);
	assert_int_equal(err.scope, AT_SCOPE_SERVER);
	ac_http_free(&h);
}

static void test_reply_cap(void **state)
{
	fixture *fx = *state;
	ac_http *h = connect_as(fx, "right", 4096);
	ac_transport t = ac_http_transport(h);
	json_t *reply = NULL;
	at_error err;
	fx->srv.big_reply = 10000;
	at_error_clear(&err);
	assert_int_equal(t.call(t.ctx, "/api", NULL, &reply, &err), -1);
	assert_string_equal(err.code, AT_E_LIMIT);
	ac_http_free(&h);
}

static void test_unreachable(void **state)
{
	fixture *fx = *state;
	/* a port nobody listens on: our own, bound but not listening (kept
	 * until the end, so no other process can take it meanwhile and no
	 * connection can land on it; a connect to it is refused) */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	ac_http *h = NULL;
	at_error err;
	ac_http_config cfg = {.server = url, .login = "alice", .password = "right"};
	assert_int_equal(ac_http_new(&cfg, &h, &err), 0);
	ac_transport t = ac_http_transport(h);
	json_t *reply = NULL;
	at_error_clear(&err);
	assert_int_equal(t.get(t.ctx, "/api/session", &reply, &err), -1);
	assert_string_equal(err.code, AT_E_UNAVAILABLE);
	assert_int_equal(err.scope, AT_SCOPE_SERVER);
	assert_int_equal(err.retry, AT_RETRY_TEMPORARY);
	ac_http_free(&h);
	close(fd);
	(void)fx;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_login_token_reuse_relogin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
	};
	at_log_set_level(AT_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
