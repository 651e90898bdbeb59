/* strbuf.c — see strbuf.h. */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void at_buf_init(at_buf *buf, size_t max)
{
	memset(buf, 0, sizeof(*buf));
	buf->max = max;
}

static int reserve(at_buf *buf, size_t extra)
{
	if (buf->max != 0 && buf->len + extra > buf->max) {
		buf->overflow = true;
		return -1;
	}
	size_t need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	size_t cap = buf->cap ? buf->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(buf->data, cap);
	if (p == NULL) {
		fputs("atrium: out of memory\n", stderr);
		abort();
	}
	buf->data = p;
	buf->cap = cap;
	return 0;
}

int at_buf_append(at_buf *buf, const void *data, size_t len)
{
	if (reserve(buf, len) < 0)
		return -1;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int at_buf_puts(at_buf *buf, const char *s)
{
	return at_buf_append(buf, s, strlen(s));
}

int at_buf_putc(at_buf *buf, char c)
{
	return at_buf_append(buf, &c, 1);
}

int at_buf_printf(at_buf *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (reserve(buf, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return 0;
}

void at_buf_truncate(at_buf *buf, size_t len)
{
	if (len < buf->len) {
		buf->len = len;
		buf->data[len] = '\0';
	}
}

char *at_buf_detach(at_buf *buf, size_t *len_r)
{
	char *p = buf->data;
	if (p == NULL) {
		p = calloc(1, 1);
		if (p == NULL)
			abort();
	}
	if (len_r != NULL)
		*len_r = buf->len;
	size_t max = buf->max;
	at_buf_init(buf, max);
	return p;
}

void at_buf_free(at_buf *buf)
{
	free(buf->data);
	size_t max = buf->max;
	at_buf_init(buf, max);
}
