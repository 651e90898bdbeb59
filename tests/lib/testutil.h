/* testutil.h — small helpers shared by the libatrium unit tests.
 *
 * cmocka's own assertions report the line but not the table row being
 * checked; check() fails with a message naming the case instead. */
#ifndef AT_TESTUTIL_H
#define AT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define check(cond, ...) \
	do { \
		if (!(cond)) \
			fail_msg(__VA_ARGS__); \
	} while (0)

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#endif
