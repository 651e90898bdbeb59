/* test_config.c — atriumd's configuration file: defaults, parsing, and
 * errors that name the file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_fixture.h"

#include "config.h"

static void test_defaults(void **state)
{
	(void)state;
	as_config c;
	memset(&c, 0x55, sizeof(c));
	as_config_defaults(&c);
	assert_string_equal(c.data_dir, "/var/lib/atrium");
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 8080);
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.log_level, AT_LOG_INFO);
	assert_int_equal(c.tombstone_seconds, 90LL * 24 * 3600);
	assert_string_equal(c.public_folder_creators, "everyone");
	assert_string_equal(c.smtp_url, "");
	assert_string_equal(c.smtp_user, "");
	assert_string_equal(c.smtp_password_file, "");
	assert_string_equal(c.mail_from, "");
	assert_string_equal(c.clock_file, "");
	assert_int_equal(c.reminder_interval, 60);
}

/* The mail, reminder and clock settings. */
static void test_parse_mail_settings(void **state)
{
	fx *f = *state;
	const char *path = fx_write_file(f, "mail.conf",
		"smtp_url = smtps://mail.example.org:465\n"
		"smtp_user = atrium\n"
		"smtp_password_file = /etc/atrium/smtp password\n"
		"mail_from = groupware@example.org\n"
		"clock_file = /tmp/clock\n"
		"reminder_interval = 1\n");
	as_config c;
	as_config_defaults(&c);
	at_error err;
	at_error_clear(&err);
	check(as_config_load(&c, path, &err) == 0, "load: %s", err.message);
	assert_string_equal(c.smtp_url, "smtps://mail.example.org:465");
	assert_string_equal(c.smtp_user, "atrium");
	assert_string_equal(c.smtp_password_file, "/etc/atrium/smtp password");
	assert_string_equal(c.mail_from, "groupware@example.org");
	assert_string_equal(c.clock_file, "/tmp/clock");
	assert_int_equal(c.reminder_interval, 1);
	path = fx_write_file(f, "plain.conf", "smtp_url = smtp://127.0.0.1:2525\n"
				 "reminder_interval = 3600\n");
	check(as_config_load(&c, path, &err) == 0, "load: %s", err.message);
	assert_string_equal(c.smtp_url, "smtp://127.0.0.1:2525");
	assert_int_equal(c.reminder_interval, 3600);

	static const struct { const char *text; const char *mention; } bad[] = {
		{"smtp_url = http://mail.example.org\n", "smtp_url"},
		{"smtp_url = smtp://\n", "smtp_url"},
		{"smtp_url = mail.example.org\n", "smtp_url"},
		{"smtp_url =\n", "smtp_url"},
		{"smtp_url = smtp://a b\n", "smtp_url"},
		{"smtp_user =\n", "smtp_user"},
		{"smtp_password_file =\n", "smtp_password_file"},
		{"mail_from = nobody\n", "nobody"},
		{"mail_from = @example.org\n", "mail_from"},
		{"mail_from = a@b@c\n", "mail_from"},
		{"mail_from = Atrium <a@example.org>\n", "mail_from"},
		{"clock_file =\n", "clock_file"},
		{"reminder_interval = 0\n", "reminder_interval"},
		{"reminder_interval = 3601\n", "reminder_interval"},
		{"reminder_interval = 1m\n", "1m"},
		{"reminder_interval =\n", "reminder_interval"},
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char name[32];
		snprintf(name, sizeof(name), "badmail%zu.conf", i);
		path = fx_write_file(f, name, bad[i].text);
		as_config d;
		as_config_defaults(&d);
		at_error_clear(&err);
		check(as_config_load(&d, path, &err) == -1, "case %zu accepted", i);
		check(strstr(err.message, bad[i].mention) != NULL, "case %zu: message lacks \"%s\": %s",
		      i, bad[i].mention, err.message);
		char where[600];
		snprintf(where, sizeof(where), "%s:1", path);
		check(strstr(err.message, where) != NULL, "case %zu: no line: %s", i, err.message);
	}
	/* a URL with a password in it is refused without repeating it */
	path = fx_write_file(f, "secret.conf", "smtp_url = smtp://me:s3cret@mail.example.org\n");
	as_config d;
	as_config_defaults(&d);
	assert_int_equal(as_config_load(&d, path, &err), -1);
	assert_null(strstr(err.message, "s3cret"));
	assert_non_null(strstr(err.message, "smtp_password_file"));
	assert_string_equal(d.smtp_url, "");
}

static void test_parse_full_file(void **state)
{
	fx *f = *state;
	const char *path = fx_write_file(f, "atriumd.conf",
		"# atriumd settings\n"
		"\n"
		"data = /srv/atrium data\n"
		"   listen=0.0.0.0:8443   \n"
		"\tthreads =\t16\n"
		"log_level = DEBUG\n"
		"  # indented comment\n"
		"tombstone_days = 30\n"
		"public_folder_creators = alice, @staff\n");
	as_config c;
	as_config_defaults(&c);
	at_error err;
	at_error_clear(&err);
	check(as_config_load(&c, path, &err) == 0, "load: %s", err.message);
	assert_string_equal(c.data_dir, "/srv/atrium data");
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 8443);
	assert_int_equal(c.threads, 16);
	assert_int_equal(c.log_level, AT_LOG_DEBUG);
	assert_int_equal(c.tombstone_seconds, 30LL * 24 * 3600);
	assert_string_equal(c.public_folder_creators, "alice, @staff");

	/* an empty file changes nothing; a last line without newline is read */
	path = fx_write_file(f, "empty.conf", "");
	as_config d;
	as_config_defaults(&d);
	assert_int_equal(as_config_load(&d, path, &err), 0);
	assert_int_equal(d.threads, 4);
	path = fx_write_file(f, "nonl.conf", "threads = 2");
	assert_int_equal(as_config_load(&d, path, &err), 0);
	assert_int_equal(d.threads, 2);
	/* the last setting wins */
	path = fx_write_file(f, "twice.conf", "threads = 2\nthreads = 3\n");
	assert_int_equal(as_config_load(&d, path, &err), 0);
	assert_int_equal(d.threads, 3);
}

/* Every refused file names the file and the line of the problem. */
static void test_errors_name_file_and_line(void **state)
{
	fx *f = *state;
	char long_line[AS_CONFIG_MAX_LINE + 50];
	memset(long_line, 'x', sizeof(long_line));
	memcpy(long_line, "data = /", 8);
	long_line[sizeof(long_line) - 2] = '\n';
	long_line[sizeof(long_line) - 1] = '\0';
	char *long_file = malloc(strlen(long_line) + 64);
	sprintf(long_file, "# ok\n%s", long_line);
	const struct { const char *text; int line; const char *mention; } table[] = {
		{"threads = 4\nport = 80\n", 2, "port"},
		{"# c\n\nbogus_key = 1\n", 3, "bogus_key"},
		{"threads\n", 1, NULL},
		{"threads = 0\n", 1, "threads"},
		{"threads = 65\n", 1, "threads"},
		{"threads = four\n", 1, "four"},
		{"threads = 4x\n", 1, "4x"},
		{"threads =\n", 1, "threads"},
		{"log_level = loud\n", 1, "loud"},
		{"tombstone_days = 0\n", 1, "tombstone_days"},
		{"tombstone_days = 3651\n", 1, "tombstone_days"},
		{"tombstone_days = -5\n", 1, "tombstone_days"},
		{"public_folder_creators =\n", 1, "public_folder_creators"},
		{"public_folder_creators = everyone, alice\n", 1, "public_folder_creators"},
		{"public_folder_creators = @\n", 1, "public_folder_creators"},
		{"public_folder_creators = Alice\n", 1, "Alice"},
		{long_file, 2, NULL},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		char name[32];
		snprintf(name, sizeof(name), "bad%zu.conf", i);
		const char *path = fx_write_file(f, name, table[i].text);
		as_config c;
		as_config_defaults(&c);
		at_error err;
		at_error_clear(&err);
		int rc = as_config_load(&c, path, &err);
		check(rc == -1, "case %zu accepted", i);
		assert_string_equal(err.code, "invalidArguments");
		char where[600];
		snprintf(where, sizeof(where), "%s:%d", path, table[i].line);
		check(strstr(err.message, where) != NULL, "case %zu: message lacks \"%s\": %s", i,
		      where, err.message);
		if (table[i].mention != NULL)
			check(strstr(err.message, table[i].mention) != NULL,
			      "case %zu: message lacks \"%s\": %s", i, table[i].mention, err.message);
	}
	free(long_file);

	/* a missing file names the file */
	as_config c;
	as_config_defaults(&c);
	at_error err;
	char *missing = at_arena_printf(f->arena, "%s/nope.conf", f->dir);
	assert_int_equal(as_config_load(&c, missing, &err), -1);
	assert_non_null(strstr(err.message, missing));
}

/* A bad "listen" value is a malformed value like any other: the header
 * promises file name and line number for it too. */
static void test_listen_error_names_file_and_line(void **state)
{
	fx *f = *state;
	static const struct { const char *text; int line; const char *mention; } table[] = {
		{"data = /x\nlisten = localhost\n", 2, "localhost"},
		{"listen = host:99999\n", 1, "99999"},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		char name[32];
		snprintf(name, sizeof(name), "listen%zu.conf", i);
		const char *path = fx_write_file(f, name, table[i].text);
		as_config c;
		as_config_defaults(&c);
		at_error err;
		at_error_clear(&err);
		check(as_config_load(&c, path, &err) == -1, "case %zu accepted", i);
		assert_non_null(strstr(err.message, table[i].mention));
		char where[600];
		snprintf(where, sizeof(where), "%s:%d", path, table[i].line);
		check(strstr(err.message, where) != NULL, "bad listen value: message lacks \"%s\": %s",
		      where, err.message);
	}
}

static void test_parse_listen(void **state)
{
	(void)state;
	static const struct { const char *value; int ok; const char *host; int port; } table[] = {
		{"127.0.0.1:8080", 1, "127.0.0.1", 8080},
		{"localhost:1", 1, "localhost", 1},
		{"example.org:65535", 1, "example.org", 65535},
		{"[::1]:443", 1, "[::1]", 443},
		{"host:0", 0, NULL, 0},
		{"host:65536", 0, NULL, 0},
		{"host:-1", 0, NULL, 0},
		{"host:", 0, NULL, 0},
		{"host:80x", 0, NULL, 0},
		{":80", 0, NULL, 0},
		{"8080", 0, NULL, 0},
		{"", 0, NULL, 0},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		as_config c;
		as_config_defaults(&c);
		at_error err;
		at_error_clear(&err);
		int rc = as_config_parse_listen(&c, table[i].value, &err);
		if (table[i].ok) {
			check(rc == 0, "\"%s\" refused: %s", table[i].value, err.message);
			assert_string_equal(c.listen_host, table[i].host);
			assert_int_equal(c.listen_port, table[i].port);
		} else {
			check(rc == -1, "\"%s\" accepted", table[i].value);
			assert_string_equal(err.field, "listen");
			/* a refused value leaves the setting alone */
			assert_string_equal(c.listen_host, "127.0.0.1");
			assert_int_equal(c.listen_port, 8080);
		}
	}
	/* a host longer than the field is refused, not truncated */
	char host[200];
	memset(host, 'h', 100);
	strcpy(host + 100, ":80");
	as_config c;
	as_config_defaults(&c);
	at_error err;
	assert_int_equal(as_config_parse_listen(&c, host, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test_setup_teardown(test_parse_full_file, fx_setup_empty, fx_teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file_and_line, fx_setup_empty,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_listen_error_names_file_and_line,
						fx_setup_empty, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parse_mail_settings, fx_setup_empty,
						fx_teardown),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
