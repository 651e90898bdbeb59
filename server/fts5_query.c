/* fts5_query.c — see fts5_query.h. */
#include "fts5_query.h"

#include "strbuf.h"

/* "TEXT" with every " doubled: a string, never syntax, in FTS5. */
static void quoted(at_buf *b, const char *text)
{
	at_buf_putc(b, '"');
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '"')
			at_buf_putc(b, '"');
		at_buf_putc(b, *p);
	}
	at_buf_putc(b, '"');
}

const char *as_fts5_query(at_arena *a, const char *folder_id, const char *const *words,
			  size_t n_words)
{
	at_buf b;
	at_buf_init(&b, 0);
	at_buf_puts(&b, "folder : ");
	quoted(&b, folder_id);
	for (size_t i = 0; i < n_words; i++) {
		at_buf_puts(&b, " " AS_FTS5_TEXT_COLUMNS " : ");
		quoted(&b, words[i]);
		at_buf_putc(&b, '*');
	}
	const char *q = at_arena_strndup(a, b.data != NULL ? b.data : "", b.len);
	at_buf_free(&b);
	return q;
}
