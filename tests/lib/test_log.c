/* test_log.c — log levels, the sink, and redaction of secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testutil.h"

#include "log.h"

static void test_level_parse(void **state)
{
	(void)state;
	static const struct { const char *name; int ok; at_log_level level; } table[] = {
		{"error", 1, AT_LOG_ERROR}, {"warn", 1, AT_LOG_WARN},
		{"info", 1, AT_LOG_INFO},   {"debug", 1, AT_LOG_DEBUG},
		{"trace", 1, AT_LOG_TRACE}, {"INFO", 1, AT_LOG_INFO},
		{"Debug", 1, AT_LOG_DEBUG}, {"warning", 0, 0},
		{"", 0, 0},                 {"inf", 0, 0},
		{"info ", 0, 0},            {"5", 0, 0},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_log_level l = (at_log_level)77;
		int rc = at_log_level_parse(table[i].name, &l);
		if (table[i].ok) {
			check(rc == 0 && l == table[i].level, "\"%s\": rc %d level %d",
			      table[i].name, rc, (int)l);
			/* name of the parsed level is the lower-case word */
			check(strcasecmp(at_log_level_name(l), table[i].name) == 0,
			      "\"%s\": name %s", table[i].name, at_log_level_name(l));
		} else {
			check(rc == -1, "\"%s\" should be refused", table[i].name);
			check(l == (at_log_level)77, "\"%s\": level changed on failure",
			      table[i].name);
		}
	}
	assert_string_equal(at_log_level_name((at_log_level)42), "?");
}

static void test_threshold_and_sink(void **state)
{
	(void)state;
	at_log_level saved = at_log_get_level();
	FILE *f = tmpfile();
	assert_non_null(f);
	at_log_set_file(f);
	at_log_set_level(AT_LOG_WARN);
	assert_true(at_log_enabled(AT_LOG_ERROR));
	assert_true(at_log_enabled(AT_LOG_WARN));
	assert_false(at_log_enabled(AT_LOG_INFO));
	at_log(AT_LOG_INFO, "test", "hidden %d", 1);
	at_warn("test", "shown %d", 2);
	at_debug("test", "hidden %d", 3);
	at_error_log(NULL, "no module");
	at_log_set_level(AT_LOG_TRACE);
	at_trace("sync", "trace line");
	at_log_set_file(NULL);
	at_log_set_level(saved);

	rewind(f);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, " warn test: shown 2\n"));
	assert_non_null(strstr(buf, " error -: no module\n"));
	assert_non_null(strstr(buf, " trace sync: trace line\n"));
	/* every line starts with a UTC time stamp */
	int lines = 0;
	for (char *line = buf; *line != '\0'; lines++) {
		check(strlen(line) > 21 && line[4] == '-' && line[10] == 'T' && line[19] == 'Z' &&
		      line[20] == ' ', "line without time stamp: %.40s", line);
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		line = nl + 1;
	}
	assert_int_equal(lines, 3);
}

/* --- redaction ---------------------------------------------------------- */

static void test_redact_table(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } table[] = {
		{"{\"login\":\"alice\",\"password\":\"hunter2\"}",
		 "{\"login\":\"alice\",\"password\":\"***\"}"},
		{"{\"token\":\"6f0c1e2d\",\"userId\":\"u1\"}",
		 "{\"token\":\"***\",\"userId\":\"u1\"}"},
		{"{\"oldPassword\":\"a\",\"newPassword\":\"b\"}",
		 "{\"oldPassword\":\"***\",\"newPassword\":\"***\"}"},
		{"{\"secret\" : \"s3\"}", "{\"secret\":\"***\"}"},
		{"{\"PASSWORD\":\"x\"}", "{\"PASSWORD\":\"***\"}"},
		/* escaped quotes inside the secret do not end it early */
		{"{\"password\":\"a\\\"b\\\\\",\"n\":1}", "{\"password\":\"***\",\"n\":1}"},
		/* an unterminated secret is still hidden */
		{"{\"password\":\"abc", "{\"password\":\"***\""},
		/* other members and text are left alone */
		{"{\"firstName\":\"Ada\",\"notes\":\"my password is x\"}",
		 "{\"firstName\":\"Ada\",\"notes\":\"my password is x\"}"},
		{"{\"passwordHint\":\"dog\",\"tokens\":3}", "{\"passwordHint\":\"dog\",\"tokens\":3}"},
		{"{\"notes\":\"\\\"password\\\":\\\"x\\\"\"}",
		 "{\"notes\":\"\\\"password\\\":\\\"x\\\"\"}"},
		{"plain text", "plain text"},
		{"", ""},
		/* HTTP headers */
		{"Authorization: Bearer 6f0c1e2d", "Authorization: ***"},
		{"POST /api HTTP/1.1\r\nauthorization: Basic YWxpY2U6cHc=\r\nHost: h\r\n",
		 "POST /api HTTP/1.1\r\nAuthorization: ***\r\nHost: h\r\n"},
		{"GET / HTTP/1.1\nAuthorization: Basic abc\nX-Other: Authorization: keep\n",
		 "GET / HTTP/1.1\nAuthorization: ***\nX-Other: Authorization: keep\n"},
	};
	char out[512];
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		memset(out, 'X', sizeof(out));
		at_log_redact(table[i].in, out, sizeof(out));
		check(strcmp(out, table[i].out) == 0, "case %zu:\n in:  %s\n got: %s\n want: %s",
		      i, table[i].in, out, table[i].out);
	}
}

static void test_redact_hides_every_secret(void **state)
{
	(void)state;
	const char *in =
		"Authorization: Bearer SECRET1\r\n"
		"Content-Type: application/json\r\n\r\n"
		"{\"login\":\"alice\",\"password\":\"SECRET2\",\"nested\":{\"token\":\"SECRET3\"},"
		"\"list\":[{\"newPassword\":\"SECRET4\"}],\"firstName\":\"Visible\"}";
	char out[1024];
	at_log_redact(in, out, sizeof(out));
	assert_null(strstr(out, "SECRET"));
	assert_non_null(strstr(out, "Content-Type: application/json"));
	assert_non_null(strstr(out, "\"firstName\":\"Visible\""));
	assert_non_null(strstr(out, "\"login\":\"alice\""));
}

/* The output is always NUL-terminated inside dstsize, nothing is written
 * beyond it, and a short buffer holds a prefix of the full redaction. */
static void test_redact_bounded(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"{\"login\":\"alice\",\"password\":\"hunter2\",\"x\":\"y\"}",
		"Authorization: Bearer 0123456789abcdef\r\nHost: example\r\n",
		"no secrets at all, just a fairly long line of text",
		"{\"token\":\"",
		"\"",
		"",
	};
	for (size_t i = 0; i < N_ELEMS(inputs); i++) {
		char full[512];
		at_log_redact(inputs[i], full, sizeof(full));
		size_t full_len = strlen(full);
		for (size_t size = 0; size <= full_len + 3; size++) {
			char buf[600];
			memset(buf, '#', sizeof(buf));
			at_log_redact(inputs[i], buf + 8, size);
			for (size_t k = 0; k < 8; k++)
				check(buf[k] == '#', "input %zu size %zu: wrote before dst", i, size);
			for (size_t k = 8 + size; k < sizeof(buf); k++)
				check(buf[k] == '#', "input %zu size %zu: wrote at dst[%zu]", i, size,
				      k - 8);
			if (size == 0)
				continue;
			char *dst = buf + 8;
			size_t len = strnlen(dst, size);
			check(len < size, "input %zu size %zu: not NUL-terminated", i, size);
			size_t want = full_len < size - 1 ? full_len : size - 1;
			check(len == want, "input %zu size %zu: length %zu, expected %zu", i, size,
			      len, want);
			check(strncmp(dst, full, len) == 0, "input %zu size %zu: not a prefix", i,
			      size);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_threshold_and_sink),
		cmocka_unit_test(test_redact_table),
		cmocka_unit_test(test_redact_hides_every_secret),
		cmocka_unit_test(test_redact_bounded),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
