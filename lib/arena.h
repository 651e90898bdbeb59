/* arena.h — region allocator for per-request and per-sync-batch memory.
 *
 * An arena hands out memory from large blocks and frees it all at once.
 * Use one per HTTP request and per sync batch; nothing allocated from it is
 * freed individually.  Ownership: the caller owns the arena and frees it with
 * at_arena_free(); every pointer returned by the at_arena_* functions is owned
 * by the arena and dies with it.  Allocation failure aborts the process (a
 * request arena is bounded by the request limits, so OOM is not recoverable
 * in any useful way). */
#ifndef AT_ARENA_H
#define AT_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct at_arena at_arena;

/* block_size: size of each block (0 = 16 KiB).  Larger allocations get a
 * block of their own. */
at_arena *at_arena_new(size_t block_size);
/* Frees every block, sets *arena to NULL; accepts NULL and *arena == NULL. */
void at_arena_free(at_arena **arena);
/* Frees all allocations but keeps the first block for reuse. */
void at_arena_reset(at_arena *arena);

/* Aligned to max_align_t; zero-filled. */
void *at_arena_alloc(at_arena *arena, size_t size);
char *at_arena_strdup(at_arena *arena, const char *s);
char *at_arena_strndup(at_arena *arena, const char *s, size_t n);
char *at_arena_printf(at_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *at_arena_vprintf(at_arena *arena, const char *fmt, va_list ap);
/* Bytes handed out so far (for limits and tests). */
size_t at_arena_used(const at_arena *arena);

#endif
