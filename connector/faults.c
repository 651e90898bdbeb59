/* faults.c — see faults.h. */
#include "faults.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct {
	ac_transport inner;
	long exit_after_request, requests;
	long exit_after_step, steps;
	bool read;
} fault;

static long env_count(const char *name)
{
	const char *v = getenv(name);
	char *end;
	if (v == NULL || *v == '\0')
		return 0;
	long k = strtol(v, &end, 10);
	return *end == '\0' && k > 0 ? k : 0;
}

static void read_env(void)
{
	if (fault.read)
		return;
	fault.exit_after_request = env_count("ATRIUM_EXIT_AFTER_REQUEST");
	fault.exit_after_step = env_count("ATRIUM_EXIT_AFTER_STEP");
	fault.read = true;
}

void ac_fault_point(const char *what)
{
	read_env();
	if (fault.exit_after_step > 0 && ++fault.steps == fault.exit_after_step) {
		fprintf(stderr, "atrium: exiting after step %ld, %s (ATRIUM_EXIT_AFTER_STEP)\n",
			fault.steps, what);
		_exit(AC_FAULT_EXIT);
	}
}

static void count_request(void)
{
	if (fault.exit_after_request > 0 && ++fault.requests == fault.exit_after_request) {
		fprintf(stderr, "atrium: exiting after request %ld (ATRIUM_EXIT_AFTER_REQUEST)\n",
			fault.requests);
		_exit(AC_FAULT_EXIT);
	}
	ac_fault_point("request");
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
	read_env();
	if (fault.exit_after_request == 0 && fault.exit_after_step == 0)
		return;
	fault.inner = *transport;
	transport->call = fault_call;
	transport->get = fault_get;
	transport->stream = transport->stream != NULL ? fault_stream : NULL;
	transport->ctx = NULL;
}
