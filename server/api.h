/* api.h — the protocol's endpoints above the transport.
 *
 * Turns decoded JSON requests into JSON answers: login, session, and the
 * method batch of POST /api (dispatching each call to sync.h or the account
 * methods).  http.c only moves bytes and resolves credentials; everything the
 * protocol says about shapes happens here, so tests can drive the API without
 * a socket.  Returned json_t values are new references owned by the caller;
 * NULL means a request-level error described by err. */
#ifndef AS_API_H
#define AS_API_H

#include <jansson.h>
#include <stdint.h>

#include "sync.h"

#define AS_SERVER_VERSION "0.1.0"

json_t *as_api_login(as_store *s, at_arena *a, json_t *body, int64_t now, at_error *err);
json_t *as_api_session(as_ctx *ctx);
/* body is an api.request; per-call errors are inside the answer. */
json_t *as_api_batch(as_ctx *ctx, json_t *body, at_error *err);

#endif
