/* strbuf.h — growable byte buffer on the heap.
 *
 * For output whose size is not known in advance (HTTP bodies, SQL, logs).
 * Ownership: the buffer owns its bytes until at_buf_detach() hands them to
 * the caller (free() them); at_buf_free() releases them.  The content is
 * always NUL-terminated.  A buffer may carry a hard cap: appends beyond it
 * fail (return -1) and set the overflow flag, so input limits are enforced
 * where the bytes arrive. */
#ifndef AT_STRBUF_H
#define AT_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct at_buf {
	char *data;
	size_t len, cap;
	size_t max;       /* 0 = no limit */
	bool overflow;
} at_buf;

#define AT_BUF_INIT {0}

void at_buf_init(at_buf *buf, size_t max);
int at_buf_append(at_buf *buf, const void *data, size_t len);
int at_buf_puts(at_buf *buf, const char *s);
int at_buf_putc(at_buf *buf, char c);
int at_buf_printf(at_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void at_buf_truncate(at_buf *buf, size_t len);
/* Returns the content (caller frees) and leaves the buffer empty. */
char *at_buf_detach(at_buf *buf, size_t *len_r);
void at_buf_free(at_buf *buf);

#endif
