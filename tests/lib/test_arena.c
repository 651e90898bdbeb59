/* test_arena.c — the region allocator: alignment, zero fill, big
 * allocations, reset, string helpers. */
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "arena.h"

static void test_alignment_and_zero_fill(void **state)
{
	(void)state;
	const size_t align = alignof(max_align_t);
	at_arena *a = at_arena_new(256);
	/* odd sizes, across several blocks */
	for (size_t size = 0; size < 300; size += 7) {
		unsigned char *p = at_arena_alloc(a, size);
		assert_non_null(p);
		check((uintptr_t)p % align == 0, "size %zu: %p not aligned to %zu", size,
		      (void *)p, align);
		for (size_t i = 0; i < size; i++)
			check(p[i] == 0, "size %zu: byte %zu not zeroed", size, i);
		memset(p, 0xA5, size);  /* dirty it: later allocations must be zeroed anyway */
	}
	at_arena_free(&a);
	assert_null(a);
}

static void test_allocations_do_not_overlap(void **state)
{
	(void)state;
	enum { N = 500, SZ = 40 };
	at_arena *a = at_arena_new(1024);
	unsigned char *ptrs[N];
	for (int i = 0; i < N; i++) {
		ptrs[i] = at_arena_alloc(a, SZ);
		memset(ptrs[i], i & 0xff, SZ);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < SZ; j++)
			check(ptrs[i][j] == (unsigned char)(i & 0xff),
			      "allocation %d byte %d overwritten by a later one", i, j);
	/* used counts rounded sizes */
	size_t rounded = (SZ + alignof(max_align_t) - 1) / alignof(max_align_t) *
			 alignof(max_align_t);
	assert_int_equal(at_arena_used(a), (size_t)N * rounded);
	at_arena_free(&a);
}

static void test_zero_size_gives_distinct_pointers(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(0);
	void *p = at_arena_alloc(a, 0), *q = at_arena_alloc(a, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
	at_arena_free(&a);
}

static void test_big_allocations(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(1024);
	char *small1 = at_arena_alloc(a, 16);
	strcpy(small1, "before");
	size_t sizes[] = {257, 1024, 4000, 1 << 20, 3 * (1 << 20) + 5};
	for (size_t i = 0; i < N_ELEMS(sizes); i++) {
		unsigned char *big = at_arena_alloc(a, sizes[i]);
		assert_non_null(big);
		check((uintptr_t)big % alignof(max_align_t) == 0, "big %zu misaligned", sizes[i]);
		for (size_t j = 0; j < sizes[i]; j++)
			if (big[j] != 0)
				fail_msg("big allocation of %zu: byte %zu not zeroed", sizes[i], j);
		memset(big, 0x5a, sizes[i]);
		assert_int_equal(big[sizes[i] - 1], 0x5a);
	}
	/* the current block's free space is still used after a big allocation */
	char *small2 = at_arena_alloc(a, 16);
	strcpy(small2, "after");
	assert_string_equal(small1, "before");
	assert_string_equal(small2, "after");
	check(small2 > small1 && small2 - small1 < 1024,
	      "a small allocation after a big one should reuse the head block");
	at_arena_free(&a);
}

static void test_reset(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(512);
	for (int i = 0; i < 100; i++)
		memset(at_arena_alloc(a, 100), 0xff, 100);
	memset(at_arena_alloc(a, 100000), 0xff, 100000);
	check(at_arena_used(a) >= 100 * 100 + 100000, "used %zu", at_arena_used(a));
	at_arena_reset(a);
	assert_int_equal(at_arena_used(a), 0);
	/* reusable, and memory is zeroed again */
	for (int i = 0; i < 100; i++) {
		unsigned char *p = at_arena_alloc(a, 100);
		for (int j = 0; j < 100; j++)
			check(p[j] == 0, "after reset: allocation %d byte %d not zero", i, j);
	}
	unsigned char *big = at_arena_alloc(a, 100000);
	for (int j = 0; j < 100000; j++)
		if (big[j] != 0)
			fail_msg("after reset: big byte %d not zero", j);
	at_arena_reset(a);
	at_arena_reset(a);  /* twice in a row */
	assert_int_equal(at_arena_used(a), 0);
	assert_string_equal(at_arena_strdup(a, "still works"), "still works");
	at_arena_free(&a);
}

static void test_strings(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(64);
	assert_null(at_arena_strdup(a, NULL));
	assert_string_equal(at_arena_strdup(a, ""), "");
	const char *src = "hello, world";
	char *d = at_arena_strdup(a, src);
	assert_string_equal(d, src);
	assert_ptr_not_equal(d, src);
	assert_string_equal(at_arena_strndup(a, src, 5), "hello");
	assert_string_equal(at_arena_strndup(a, src, 0), "");
	/* strndup copies n bytes even with embedded NUL, and terminates */
	char *n = at_arena_strndup(a, "ab\0cd", 5);
	assert_memory_equal(n, "ab\0cd", 6);
	at_arena_free(&a);
}

static char *vp(at_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = at_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return s;
}

static void test_printf(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(64);
	assert_string_equal(at_arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159), "x-42-003.1");
	assert_string_equal(at_arena_printf(a, "%s", ""), "");
	assert_string_equal(vp(a, "%d/%s", 7, "seven"), "7/seven");
	/* longer than the block size */
	char big[5000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *s = at_arena_printf(a, "<%s>", big);
	assert_int_equal(strlen(s), sizeof(big) + 1);
	assert_int_equal(s[0], '<');
	assert_int_equal(s[sizeof(big)], '>');
	assert_int_equal(s[2500], 'q');
	at_arena_free(&a);
}

static void test_free_accepts_null(void **state)
{
	(void)state;
	at_arena_free(NULL);
	at_arena *a = NULL;
	at_arena_free(&a);
	assert_null(a);
}

/* A request size near SIZE_MAX must not be rounded (wrapped) down to a tiny
 * block: the arena promises to abort when it cannot allocate.  Run in a child
 * so the expected abort does not end the test program. */
static void test_huge_size_is_not_wrapped(void **state)
{
	(void)state;
	const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 7, SIZE_MAX - 15};
	for (size_t i = 0; i < N_ELEMS(sizes); i++) {
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* the test runner's crash handlers must not catch the
			 * expected abort in this copy of the process */
			signal(SIGSEGV, SIG_DFL);
			signal(SIGABRT, SIG_DFL);
			signal(SIGBUS, SIG_DFL);
			signal(SIGILL, SIG_DFL);
			signal(SIGFPE, SIG_DFL);
			/* quiet the expected abort message */
			if (freopen("/dev/null", "w", stderr) == NULL)
				_exit(3);
			at_arena *a = at_arena_new(0);
			unsigned char *p = at_arena_alloc(a, sizes[i]);
			/* got memory: it must really be that big; touching the
			 * last bytes of a tiny block is what overflows */
			(void)p;
			_exit(0);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		check(!(WIFEXITED(st) && WEXITSTATUS(st) == 0),
		      "at_arena_alloc(SIZE_MAX - %zu) returned a pointer instead of "
		      "aborting (size rounding wrapped around)", SIZE_MAX - sizes[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_zero_fill),
		cmocka_unit_test(test_allocations_do_not_overlap),
		cmocka_unit_test(test_zero_size_gives_distinct_pointers),
		cmocka_unit_test(test_big_allocations),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_free_accepts_null),
		cmocka_unit_test(test_huge_size_is_not_wrapped),
	};
	return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
