/* test_profile.c — home directory layout, profiles, secret file modes and
 * the isolation of profiles from each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "log.h"
#include "profile.h"
#include "store.h"

typedef struct fixture {
	char home[64];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->home, sizeof(fx->home), "/tmp/atrium-profile-XXXXXX");
	assert_non_null(mkdtemp(fx->home));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_remove_tree(fx->home, &err);
	free(fx);
	return 0;
}

static mode_t mode_of(const char *dir, const char *file)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_home_resolution(void **state)
{
	char *home = NULL;
	at_error err;
	setenv("ATRIUM_HOME", "/from/env", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(ac_home_resolve("/from/option", &home, &err), 0);
	assert_string_equal(home, "/from/option");
	free(home);
	assert_int_equal(ac_home_resolve(NULL, &home, &err), 0);
	assert_string_equal(home, "/from/env");
	free(home);
	unsetenv("ATRIUM_HOME");
	assert_int_equal(ac_home_resolve(NULL, &home, &err), 0);
	assert_string_equal(home, "/xdg/atrium");
	free(home);
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(ac_home_resolve(NULL, &home, &err), 0);
	assert_string_equal(home, "/home/u/.local/share/atrium");
	free(home);
}

static void test_names(void **state)
{
	assert_true(ac_profile_name_valid("work"));
	assert_true(ac_profile_name_valid("a.b_c-D9"));
	assert_false(ac_profile_name_valid(""));
	assert_false(ac_profile_name_valid("."));
	assert_false(ac_profile_name_valid(".."));
	assert_false(ac_profile_name_valid("a/b"));
	assert_false(ac_profile_name_valid("a b"));
	char long_name[80];
	memset(long_name, 'x', 65);
	long_name[65] = '\0';
	assert_false(ac_profile_name_valid(long_name));
	long_name[64] = '\0';
	assert_true(ac_profile_name_valid(long_name));
	assert_true(ac_server_url_valid("http://127.0.0.1:8080"));
	assert_true(ac_server_url_valid("https://mail.example.org/"));
	assert_false(ac_server_url_valid("ftp://x"));
	assert_false(ac_server_url_valid("http://"));
	assert_false(ac_server_url_valid("http://a b"));
}

static void test_add_list_use_remove(void **state)
{
	fixture *fx = *state;
	at_error err;
	bool current = false;
	/* modes hold whatever the umask */
	mode_t old = umask(0);
	assert_int_equal(ac_profile_add(fx->home, "work", "https://srv.example/", "alice",
					"s3cret!pw", &current, &err), 0);
	umask(old);
	assert_true(current);
	assert_int_equal(ac_profile_add(fx->home, "home", "http://127.0.0.1:1", "bob",
					"other", &current, &err), 0);
	assert_false(current);
	assert_int_equal(ac_profile_add(fx->home, "work", "https://x", "c", "p", NULL, &err),
			 -1);
	assert_string_equal(err.code, AT_E_EXISTS);
	assert_int_equal(ac_profile_add(fx->home, "..", "https://x", "c", "p", NULL, &err), -1);
	assert_int_equal(ac_profile_add(fx->home, "bad", "nope", "c", "p", NULL, &err), -1);
	assert_string_equal(err.field, "server");

	assert_int_equal(mode_of(fx->home, ""), 0700);
	assert_int_equal(mode_of(fx->home, "profiles"), 0700);
	assert_int_equal(mode_of(fx->home, "profiles/work"), 0700);
	assert_int_equal(mode_of(fx->home, "profiles/work/secret"), 0600);
	assert_int_equal(mode_of(fx->home, "profiles/work/profile.json"), 0600);
	assert_int_equal(mode_of(fx->home, "current"), 0600);

	json_t *list = NULL;
	assert_int_equal(ac_profile_list(fx->home, &list, &err), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(ac_jstr(json_array_get(list, 0), "name"), "home");
	assert_false(json_is_true(json_object_get(json_array_get(list, 0), "current")));
	assert_string_equal(ac_jstr(json_array_get(list, 1), "name"), "work");
	assert_true(json_is_true(json_object_get(json_array_get(list, 1), "current")));
	assert_string_equal(ac_jstr(json_array_get(list, 1), "server"), "https://srv.example");
	json_decref(list);

	ac_profile *p = NULL;
	assert_int_equal(ac_profile_open(fx->home, NULL, &p, &err), 0);
	assert_string_equal(p->name, "work");
	assert_string_equal(p->user, "alice");
	assert_string_equal(p->password, "s3cret!pw");
	assert_null(p->token);
	/* the token is kept in the secret file, still 0600 */
	old = umask(0);
	assert_int_equal(ac_profile_set_token(p, "tok-0123456789abcdef0123456789abcdef",
					      &err), 0);
	umask(old);
	ac_profile_free(&p);
	assert_null(p);
	assert_int_equal(mode_of(fx->home, "profiles/work/secret"), 0600);
	assert_int_equal(ac_profile_open(fx->home, "work", &p, &err), 0);
	assert_string_equal(p->token, "tok-0123456789abcdef0123456789abcdef");
	assert_int_equal(ac_profile_set_password(p, "n3w-Passw0rd!", &err), 0);
	ac_profile_free(&p);
	assert_int_equal(ac_profile_open(fx->home, "work", &p, &err), 0);
	assert_string_equal(p->password, "n3w-Passw0rd!");
	assert_string_equal(p->token, "tok-0123456789abcdef0123456789abcdef");
	ac_profile_free(&p);

	assert_int_equal(ac_profile_use(fx->home, "home", &err), 0);
	char name[AC_PROFILE_NAME_MAX + 1];
	assert_int_equal(ac_profile_current(fx->home, name, &err), 0);
	assert_string_equal(name, "home");
	assert_int_equal(ac_profile_use(fx->home, "nobody", &err), -1);
	assert_string_equal(err.code, AT_E_NOT_FOUND);

	assert_int_equal(ac_profile_remove(fx->home, "home", &err), 0);
	assert_int_equal(ac_profile_current(fx->home, name, &err), -1);
	assert_int_equal(ac_profile_open(fx->home, "home", &p, &err), -1);
	assert_int_equal(access(fx->home, F_OK), 0);
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/profiles/home", fx->home);
	assert_int_equal(access(dir, F_OK), -1);
	/* no current profile: the next one added becomes current */
	assert_int_equal(ac_profile_add(fx->home, "third", "https://x", "c", "p", &current,
					&err), 0);
	assert_true(current);
}

static void test_profiles_isolated(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_profile *p1 = NULL, *p2 = NULL;
	ac_store *s1 = NULL, *s2 = NULL;
	char id[AC_ID_SIZE];
	assert_int_equal(ac_profile_add(fx->home, "one", "https://a.example", "alice", "pw1",
					NULL, &err), 0);
	assert_int_equal(ac_profile_add(fx->home, "two", "https://b.example", "alice", "pw2",
					NULL, &err), 0);
	assert_int_equal(ac_profile_open(fx->home, "one", &p1, &err), 0);
	assert_int_equal(ac_profile_open(fx->home, "two", &p2, &err), 0);
	char *path1 = ac_profile_path(p1, "store.db");
	char *path2 = ac_profile_path(p2, "store.db");
	assert_string_not_equal(path1, path2);
	assert_int_equal(ac_store_open(path1, &s1, &err), 0);
	assert_int_equal(ac_store_open(path2, &s2, &err), 0);
	json_t *f = json_pack("{s:s}", "lastName", "Only in one");
	assert_int_equal(ac_store_item_add(s1, "", "contact", f, id, &err), 0);
	json_decref(f);
	ac_item_list l;
	assert_int_equal(ac_store_items(s2, NULL, &l, &err), 0);
	assert_int_equal(l.n, 0);
	ac_item_list_free(&l);
	assert_int_equal(ac_store_items(s1, NULL, &l, &err), 0);
	assert_int_equal(l.n, 1);
	ac_item_list_free(&l);
	assert_int_equal(ac_profile_set_token(p1, "token-of-one-0123456789abcdef0123", &err), 0);
	ac_profile_free(&p2);
	assert_int_equal(ac_profile_open(fx->home, "two", &p2, &err), 0);
	assert_null(p2->token);
	assert_string_equal(p2->password, "pw2");
	ac_store_close(&s1);
	ac_store_close(&s2);
	free(path1);
	free(path2);
	ac_profile_free(&p1);
	ac_profile_free(&p2);
	/* removing one leaves the other whole */
	assert_int_equal(ac_profile_remove(fx->home, "one", &err), 0);
	assert_int_equal(ac_profile_open(fx->home, "two", &p2, &err), 0);
	ac_profile_free(&p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_resolution),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_add_list_use_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profiles_isolated, setup, teardown),
	};
	at_log_set_level(AT_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
