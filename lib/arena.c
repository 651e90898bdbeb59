/* arena.c — see arena.h. */
#include "arena.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct block {
	struct block *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct at_arena {
	struct block *head;
	size_t block_size;
	size_t used_total;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fputs("atrium: out of memory\n", stderr);
		abort();
	}
	return p;
}

static struct block *block_new(size_t size)
{
	struct block *b = xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

at_arena *at_arena_new(size_t block_size)
{
	at_arena *a = xmalloc(sizeof(*a));
	a->block_size = block_size ? block_size : 16384;
	a->head = block_new(a->block_size);
	a->used_total = 0;
	return a;
}

void at_arena_free(at_arena **arena)
{
	if (arena == NULL || *arena == NULL)
		return;
	struct block *b = (*arena)->head;
	while (b != NULL) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(*arena);
	*arena = NULL;
}

void at_arena_reset(at_arena *arena)
{
	struct block *b = arena->head, *last = NULL;
	/* the block list is newest-first; keep the oldest (first allocated)
	 * block if it is a standard one, free the rest */
	while (b != NULL) {
		struct block *next = b->next;
		if (next == NULL && b->size == arena->block_size)
			last = b;
		else
			free(b);
		b = next;
	}
	if (last == NULL)
		last = block_new(arena->block_size);
	last->used = 0;
	last->next = NULL;
	arena->head = last;
	arena->used_total = 0;
}

void *at_arena_alloc(at_arena *arena, size_t size)
{
	const size_t align = alignof(max_align_t);
	if (size > SIZE_MAX / 2) {
		fputs("atrium: arena allocation too large\n", stderr);
		abort();
	}
	size_t need = (size + align - 1) & ~(align - 1);
	if (need == 0)
		need = align;
	struct block *b = arena->head;
	if (b->size - b->used < need) {
		if (need > arena->block_size / 4) {
			/* big allocation: own block, inserted behind the head so
			 * the head's free space stays usable */
			struct block *big = block_new(need);
			big->used = need;
			big->next = b->next;
			b->next = big;
			arena->used_total += need;
			memset(big->data, 0, need);
			return big->data;
		}
		b = block_new(arena->block_size);
		b->next = arena->head;
		arena->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	arena->used_total += need;
	memset(p, 0, need);
	return p;
}

char *at_arena_strndup(at_arena *arena, const char *s, size_t n)
{
	char *p = at_arena_alloc(arena, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *at_arena_strdup(at_arena *arena, const char *s)
{
	if (s == NULL)
		return NULL;
	return at_arena_strndup(arena, s, strlen(s));
}

char *at_arena_vprintf(at_arena *arena, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	char *p = at_arena_alloc(arena, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *at_arena_printf(at_arena *arena, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = at_arena_vprintf(arena, fmt, ap);
	va_end(ap);
	return p;
}

size_t at_arena_used(const at_arena *arena)
{
	return arena->used_total;
}
