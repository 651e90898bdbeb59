/* test_strbuf.c — growable buffer: growth, NUL termination, hard cap and
 * overflow flag, detach/free. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "strbuf.h"

static void test_growth(void **state)
{
	(void)state;
	at_buf b = AT_BUF_INIT;
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(at_buf_putc(&b, (char)('a' + i % 26)), 0);
		check(b.len == (size_t)i + 1, "len %zu after %d putc", b.len, i + 1);
		check(b.cap > b.len, "cap %zu must exceed len %zu (room for NUL)", b.cap, b.len);
		check(b.data[b.len] == '\0', "not NUL-terminated after %d putc", i + 1);
	}
	for (int i = 0; i < 10000; i++)
		check(b.data[i] == (char)('a' + i % 26), "byte %d wrong", i);
	assert_false(b.overflow);
	at_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_append_puts_printf(void **state)
{
	(void)state;
	at_buf b;
	at_buf_init(&b, 0);
	assert_int_equal(at_buf_puts(&b, "key="), 0);
	assert_int_equal(at_buf_printf(&b, "%d;%s", 42, "x"), 0);
	assert_int_equal(at_buf_append(&b, "ab\0cd", 5), 0);  /* binary, embedded NUL */
	assert_int_equal(at_buf_append(&b, "", 0), 0);
	assert_int_equal(b.len, 4 + 4 + 5);
	assert_memory_equal(b.data, "key=42;xab\0cd", 14);
	/* printf of something longer than the initial capacity */
	char big[3000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(at_buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 13 + sizeof(big) + 1);
	assert_int_equal(b.data[13], '[');
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len], '\0');
	at_buf_free(&b);
}

static void test_cap_and_overflow(void **state)
{
	(void)state;
	at_buf b;
	at_buf_init(&b, 10);
	assert_int_equal(at_buf_puts(&b, "12345"), 0);
	assert_int_equal(at_buf_puts(&b, "67890"), 0);  /* exactly at the cap */
	assert_false(b.overflow);
	assert_string_equal(b.data, "1234567890");
	/* every kind of append beyond the cap fails and changes nothing */
	assert_int_equal(at_buf_putc(&b, 'x'), -1);
	assert_true(b.overflow);
	assert_int_equal(at_buf_puts(&b, "yz"), -1);
	assert_int_equal(at_buf_append(&b, "q", 1), -1);
	assert_int_equal(at_buf_printf(&b, "%d", 7), -1);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "1234567890");
	at_buf_free(&b);
	assert_int_equal(b.max, 10);  /* free keeps the cap */
	assert_false(b.overflow);

	/* a single append bigger than the cap, on an empty buffer */
	at_buf_init(&b, 4);
	assert_int_equal(at_buf_puts(&b, "12345"), -1);
	assert_true(b.overflow);
	assert_int_equal(b.len, 0);
	assert_int_equal(at_buf_printf(&b, "%s", "abcd"), 0);  /* fits exactly */
	assert_string_equal(b.data, "abcd");
	at_buf_free(&b);
}

static void test_truncate(void **state)
{
	(void)state;
	at_buf b = AT_BUF_INIT;
	at_buf_puts(&b, "hello world");
	at_buf_truncate(&b, 5);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "hello");
	at_buf_truncate(&b, 50);  /* longer: no change */
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "hello");
	at_buf_truncate(&b, 0);
	assert_string_equal(b.data, "");
	at_buf_puts(&b, "again");
	assert_string_equal(b.data, "again");
	at_buf_free(&b);
}

static void test_detach(void **state)
{
	(void)state;
	at_buf b;
	at_buf_init(&b, 100);
	at_buf_puts(&b, "payload");
	size_t len = 0;
	char *p = at_buf_detach(&b, &len);
	assert_string_equal(p, "payload");
	assert_int_equal(len, 7);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 100);
	/* the buffer is usable again and independent of the detached bytes */
	at_buf_puts(&b, "next");
	assert_string_equal(p, "payload");
	free(p);
	at_buf_free(&b);

	/* detaching an empty buffer gives an allocated empty string */
	at_buf e = AT_BUF_INIT;
	char *q = at_buf_detach(&e, NULL);
	assert_non_null(q);
	assert_string_equal(q, "");
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_append_puts_printf),
		cmocka_unit_test(test_cap_and_overflow),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_detach),
	};
	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
