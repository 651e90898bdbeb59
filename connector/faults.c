/* faults.c — see faults.h. */
#include "faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct {
	ac_transport inner;
	long exit_after;
	long count;
} fault;

static void count_request(void)
{
	if (++fault.count == fault.exit_after) {
		fprintf(stderr, "atrium: exiting after request %ld (ATRIUM_EXIT_AFTER_REQUEST)\n",
			fault.count);
		_exit(AC_FAULT_EXIT);
	}
}

static int fault_call(void *ctx, const char *path, json_t *body, json_t **reply_r,
		      at_error *err)
{
	int rc = fault.inner.call(fault.inner.ctx, path, body, reply_r, err);
	count_request();
	return rc;
}

static int fault_get(void *ctx, const char *path, json_t **reply_r, at_error *err)
{
	int rc = fault.inner.get(fault.inner.ctx, path, reply_r, err);
	count_request();
	return rc;
}

static int fault_stream(void *ctx, const char *path, long timeout, ac_event_fn fn,
			void *arg, at_error *err)
{
	return fault.inner.stream(fault.inner.ctx, path, timeout, fn, arg, err);
}

void ac_faults_wrap(ac_transport *transport)
{
	const char *v = getenv("ATRIUM_EXIT_AFTER_REQUEST");
	char *end;
	if (v == NULL || *v == '\0')
		return;
	long k = strtol(v, &end, 10);
	if (*end != '\0' || k < 1)
		return;
	fault.inner = *transport;
	fault.exit_after = k;
	transport->call = fault_call;
	transport->get = fault_get;
	transport->stream = transport->stream != NULL ? fault_stream : NULL;
	transport->ctx = NULL;
}
