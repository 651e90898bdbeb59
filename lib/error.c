/* error.c — see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const scope_names[] = {"item", "folder", "account", "server"};
static const char *const retry_names[] = {"final", "temporary", "wait"};

void at_error_clear(at_error *err)
{
	memset(err, 0, sizeof(*err));
}

bool at_error_is_set(const at_error *err)
{
	return err->code[0] != '\0';
}

int at_error_http_status(const char *code)
{
	static const struct { const char *code; int status; } map[] = {
		{AT_E_UNAUTHORIZED, 401},   {AT_E_WRONG_PASSWORD, 403},
		{AT_E_FORBIDDEN, 403},      {AT_E_NOT_FOUND, 404},
		{AT_E_TOO_MANY_ATTEMPTS, 429}, {AT_E_LIMIT, 413},
		{AT_E_SERVER, 500},         {AT_E_UNAVAILABLE, 503},
		{AT_E_CONFLICT, 409},       {AT_E_EXISTS, 409},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].status;
	return 400;
}

int at_error_set(at_error *err, const char *code, at_scope scope, at_retry retry,
		 const char *field, const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	at_error_clear(err);
	snprintf(err->code, sizeof(err->code), "%s", code);
	err->scope = scope;
	err->retry = retry;
	if (field != NULL)
		snprintf(err->field, sizeof(err->field), "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->http_status = at_error_http_status(code);
	return -1;
}

int at_error_copy(at_error *dst, const at_error *src)
{
	if (dst != NULL && dst != src)
		*dst = *src;
	return -1;
}

const char *at_scope_name(at_scope scope)
{
	return (unsigned)scope <= AT_SCOPE_SERVER ? scope_names[scope] : "server";
}

const char *at_retry_name(at_retry retry)
{
	return (unsigned)retry <= AT_RETRY_WAIT ? retry_names[retry] : "final";
}

int at_scope_parse(const char *name, at_scope *scope_r)
{
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(name, scope_names[i]) == 0) {
			*scope_r = (at_scope)i;
			return 0;
		}
	return -1;
}

int at_retry_parse(const char *name, at_retry *retry_r)
{
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(name, retry_names[i]) == 0) {
			*retry_r = (at_retry)i;
			return 0;
		}
	return -1;
}

void at_error_scrub(at_error *err)
{
	unsigned char *p = (unsigned char *)err->message;
	while (*p) {
		unsigned c = *p;
		size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2
			     : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		bool ok = len > 0;
		for (size_t i = 1; ok && i < len; i++)
			ok = (p[i] & 0xC0) == 0x80;
		if (!ok || (len == 1 && (c < 0x20 || c == 0x7F))) {
			*p++ = '?';
			continue;
		}
		p += len;
	}
}
