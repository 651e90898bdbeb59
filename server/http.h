/* http.h — the HTTP front end of atriumd (libmicrohttpd).
 *
 * Routes /api/login, /api/logout, /api/session and /api to api.h, resolves
 * credentials with auth.h, enforces the request size limit while the body
 * arrives, and answers JSON.  Each worker thread opens its own store
 * connection on first use.  Follows the rhythm NOTES.md measured: MHD_YES on
 * the first call, body chunks on the following ones, the response queued once
 * the body is complete (keeps connections alive). */
#ifndef AS_HTTP_H
#define AS_HTTP_H

#include <stdint.h>

#include "error.h"

typedef struct as_http as_http;

typedef struct as_http_conf {
	const char *data_dir;
	const char *host;       /* numeric address to bind */
	uint16_t port;
	unsigned threads;       /* worker threads (0 = 4) */
	const char *cert_pem;   /* TLS certificate and key (PEM); NULL = plain HTTP */
	const char *key_pem;
} as_http_conf;

as_http *as_http_start(const as_http_conf *conf, at_error *err);
void as_http_stop(as_http **http);

#endif
