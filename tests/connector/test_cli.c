/* test_cli.c — the atrium command line: exit codes, output shapes, offline
 * contact commands, local validation, status of refused items.  Each
 * command runs in a child process with its own stdin/stdout/stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "model.h"
#include "store.h"

typedef struct fixture {
	char dir[64];
	char home[96];
	char *out, *err;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/atrium-cli-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_remove_tree(fx->dir, &err);
	free(fx->out);
	free(fx->err);
	free(fx);
	return 0;
}

static char *slurp(const char *path)
{
	char *data = NULL;
	at_error err;
	assert_int_equal(ac_read_file(path, 1 << 22, &data, NULL, &err), 0);
	return data;
}

/* Runs atrium --home HOME ARGS... (NULL-terminated) with input on stdin;
 * env "NAME=VALUE" (or NULL) is set for the child.  Returns the exit
 * status; output in fx->out / fx->err. */
static int run(fixture *fx, const char *input, const char *env, ...)
{
	char in[128], out[128], errp[128];
	char *argv[32];
	int argc = 0;
	va_list ap;
	snprintf(in, sizeof(in), "%s/stdin", fx->dir);
	snprintf(out, sizeof(out), "%s/stdout", fx->dir);
	snprintf(errp, sizeof(errp), "%s/stderr", fx->dir);
	FILE *f = fopen(in, "w");
	assert_non_null(f);
	fputs(input != NULL ? input : "", f);
	fclose(f);
	argv[argc++] = "atrium";
	argv[argc++] = "--home";
	argv[argc++] = fx->home;
	va_start(ap, env);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int i = open(in, O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (i < 0 || o < 0 || e < 0)
			_exit(99);
		dup2(i, 0);
		dup2(o, 1);
		dup2(e, 2);
		if (env != NULL)
			putenv((char *)env);
		int status = ac_cli_main(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(status);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	free(fx->out);
	free(fx->err);
	fx->out = slurp(out);
	fx->err = slurp(errp);
	return WEXITSTATUS(status);
}

static void add_profile(fixture *fx, const char *name, const char *server)
{
	assert_int_equal(run(fx, "Pa55-word-ok\n", NULL, "profile", "add", name, "--server",
			     server, "--user", "alice", "--password-stdin", NULL), 0);
}

static json_t *out_json(fixture *fx)
{
	json_error_t jerr;
	json_t *v = json_loads(fx->out, 0, &jerr);
	if (v == NULL)
		fail_msg("stdout is not JSON: %s\n%s", jerr.text, fx->out);
	return v;
}

static void test_usage_and_profiles(void **state)
{
	fixture *fx = *state;
	assert_int_equal(run(fx, NULL, NULL, "--help", NULL), 0);
	assert_non_null(strstr(fx->out, "usage: atrium"));
	assert_int_equal(run(fx, NULL, NULL, "frobnicate", NULL), 2);
	assert_int_equal(run(fx, NULL, NULL, NULL), 2);
	assert_int_equal(run(fx, NULL, NULL, "--bogus", "status", NULL), 2);
	/* no profile yet */
	assert_int_equal(run(fx, NULL, NULL, "status", NULL), 1);
	assert_non_null(strstr(fx->err, "no current profile"));

	assert_int_equal(run(fx, "pw\n", NULL, "profile", "add", "work", "--server",
			     "http://127.0.0.1:1", "--user", "alice", NULL), 2);
	add_profile(fx, "work", "http://127.0.0.1:1");
	add_profile(fx, "home", "https://example.org");
	assert_int_equal(run(fx, "pw\n", NULL, "profile", "add", "work", "--server",
			     "http://x", "--user", "a", "--password-stdin", NULL), 1);
	assert_non_null(strstr(fx->err, "already exists"));
	assert_int_equal(run(fx, "pw\n", NULL, "profile", "add", "a/b", "--server",
			     "http://x", "--user", "a", "--password-stdin", NULL), 1);
	assert_int_equal(run(fx, "", NULL, "profile", "add", "nopw", "--server",
			     "http://x", "--user", "a", "--password-stdin", NULL), 1);

	assert_int_equal(run(fx, NULL, NULL, "profile", "list", NULL), 0);
	assert_non_null(strstr(fx->out, "* work"));
	assert_non_null(strstr(fx->out, "  home"));
	assert_int_equal(run(fx, NULL, NULL, "profile", "list", "--json", NULL), 0);
	json_t *list = out_json(fx);
	assert_int_equal(json_array_size(list), 2);
	assert_true(json_is_true(json_object_get(json_array_get(list, 1), "current")));
	json_decref(list);

	assert_int_equal(run(fx, NULL, NULL, "profile", "use", "home", NULL), 0);
	assert_int_equal(run(fx, NULL, NULL, "status", "--json", NULL), 0);
	json_t *st = out_json(fx);
	assert_string_equal(ac_jstr(st, "profile"), "home");
	assert_string_equal(ac_jstr(st, "user"), "alice");
	assert_true(json_is_null(json_object_get(st, "lastSync")));
	json_decref(st);
	/* --profile overrides the current one */
	assert_int_equal(run(fx, NULL, NULL, "--profile", "work", "status", "--json", NULL), 0);
	st = out_json(fx);
	assert_string_equal(ac_jstr(st, "profile"), "work");
	json_decref(st);
	assert_int_equal(run(fx, NULL, NULL, "profile", "remove", "home", NULL), 0);
	assert_int_equal(run(fx, NULL, NULL, "profile", "use", "home", NULL), 1);
}

static void test_contacts_offline(void **state)
{
	fixture *fx = *state;
	add_profile(fx, "work", "http://127.0.0.1:1");
	assert_int_equal(run(fx, NULL, NULL, "contacts", "add", "--first-name", "Ada",
			     "--last-name", "Lovelace", "--email1", "ada@example.org",
			     "--company", "Engines", "--categories", "math, poetry",
			     "--private", "--birthday", "1815-12-10",
			     "--phone-tty-tdd", "+44 1", NULL), 0);
	char id[AC_ID_SIZE];
	assert_int_equal(strlen(fx->out), 17);  /* the id alone on a line */
	assert_int_equal(fx->out[16], '\n');
	snprintf(id, sizeof(id), "%.16s", fx->out);

	assert_int_equal(run(fx, NULL, NULL, "contacts", "list", NULL), 0);
	assert_non_null(strstr(fx->out, id));
	assert_non_null(strstr(fx->out, "Lovelace, Ada"));
	assert_non_null(strstr(fx->out, "ada@example.org"));
	assert_non_null(strstr(fx->out, "pending"));

	assert_int_equal(run(fx, NULL, NULL, "contacts", "list", "--json", NULL), 0);
	json_t *list = out_json(fx);
	assert_int_equal(json_array_size(list), 1);
	json_t *c = json_array_get(list, 0);
	assert_string_equal(ac_jstr(c, "id"), id);
	assert_true(json_is_null(json_object_get(c, "serverId")));
	assert_string_equal(ac_jstr(c, "state"), "created");
	assert_int_equal(json_integer_value(json_object_get(c, "version")), 0);
	assert_true(json_is_null(json_object_get(c, "error")));
	json_t *fields = json_object_get(c, "fields");
	assert_string_equal(ac_jstr(fields, "phoneTtyTdd"), "+44 1");
	assert_true(json_is_true(json_object_get(fields, "private")));
	assert_int_equal(json_array_size(json_object_get(fields, "categories")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(fields,
				"categories"), 1)), "poetry");
	json_decref(list);

	/* edit: '' removes a field, --no-private sets false */
	assert_int_equal(run(fx, NULL, NULL, "contacts", "edit", id, "--company", "",
			     "--no-private", "--job-title", "Countess", NULL), 0);
	assert_int_equal(run(fx, NULL, NULL, "contacts", "show", id, "--json", NULL), 0);
	c = out_json(fx);
	fields = json_object_get(c, "fields");
	assert_null(json_object_get(fields, "company"));
	assert_true(json_is_false(json_object_get(fields, "private")));
	assert_string_equal(ac_jstr(fields, "jobTitle"), "Countess");
	json_decref(c);
	assert_int_equal(run(fx, NULL, NULL, "contacts", "show", id, NULL), 0);
	assert_non_null(strstr(fx->out, "job title"));
	assert_non_null(strstr(fx->out, "Countess"));
	assert_non_null(strstr(fx->out, "TTY/TDD phone"));

	assert_int_equal(run(fx, NULL, NULL, "contacts", "show", "nosuchid", NULL), 1);
	assert_int_equal(run(fx, NULL, NULL, "contacts", "delete", id, NULL), 0);
	assert_int_equal(run(fx, NULL, NULL, "contacts", "list", "--json", NULL), 0);
	list = out_json(fx);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void test_validation(void **state)
{
	fixture *fx = *state;
	char longname[200];
	memset(longname, 'x', 129);
	longname[129] = '\0';
	add_profile(fx, "work", "http://127.0.0.1:1");
	assert_int_equal(run(fx, NULL, NULL, "contacts", "add", "--last-name", longname,
			     NULL), 1);
	assert_non_null(strstr(fx->err, "--last-name"));
	assert_non_null(strstr(fx->err, "128"));
	assert_int_equal(run(fx, NULL, NULL, "contacts", "add", "--birthday", "1815-13-10",
			     NULL), 1);
	assert_non_null(strstr(fx->err, "--birthday"));
	assert_int_equal(run(fx, NULL, NULL, "contacts", "add", "--shoe-size", "9", NULL), 2);
	assert_int_equal(run(fx, NULL, NULL, "contacts", "add", NULL), 2);
	assert_int_equal(run(fx, NULL, NULL, "contacts", "list", "--json", NULL), 0);
	json_t *list = out_json(fx);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	/* tests of the server's own refusal may skip the local check */
	assert_int_equal(run(fx, NULL, "ATRIUM_SKIP_LOCAL_VALIDATION=1", "contacts", "add",
			     "--last-name", longname, NULL), 0);
}

static void test_add_help_lists_every_field(void **state)
{
	fixture *fx = *state;
	const at_item_type *t = at_model_item_type("contact");
	char kebab[AT_MAX_FIELD_NAME * 2], opt[AT_MAX_FIELD_NAME * 2 + 4];
	assert_int_equal(run(fx, NULL, NULL, "contacts", "add", "--help", NULL), 0);
	for (size_t i = 0; i < t->n_fields; i++) {
		at_model_kebab(t->fields[i].name, kebab, sizeof(kebab));
		snprintf(opt, sizeof(opt), "--%s ", kebab);
		if (strstr(fx->out, opt) == NULL)
			fail_msg("contacts add --help lacks %s", opt);
		if (strstr(fx->out, t->fields[i].label) == NULL)
			fail_msg("contacts add --help lacks the label %s", t->fields[i].label);
	}
	assert_non_null(strstr(fx->out, "--business-postal-code VALUE"));
	assert_non_null(strstr(fx->out, "at most 32 characters"));
	assert_non_null(strstr(fx->out, "--no-private"));
}

static void test_status_shows_item_error(void **state)
{
	fixture *fx = *state;
	add_profile(fx, "work", "http://127.0.0.1:1");
	assert_int_equal(run(fx, NULL, NULL, "contacts", "add", "--last-name", "Refused",
			     NULL), 0);
	char id[AC_ID_SIZE];
	snprintf(id, sizeof(id), "%.16s", fx->out);

	/* what the engine stores when the server refuses the item */
	char path[256];
	snprintf(path, sizeof(path), "%s/profiles/work/store.db", fx->home);
	ac_store *s = NULL;
	ac_item *it = NULL;
	at_error err;
	assert_int_equal(ac_store_open(path, &s, &err), 0);
	assert_int_equal(ac_store_item_get(s, id, &it, &err), 0);
	it->error = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "fieldTooLong", "scope",
			      "item", "retry", "final", "field", "lastName", "message",
			      "field lastName is too long: 129 characters, the limit is 128");
	assert_int_equal(ac_store_item_put(s, it, &err), 0);
	ac_item_free(&it);
	ac_store_close(&s);

	assert_int_equal(run(fx, NULL, NULL, "status", "--json", NULL), 0);
	json_t *st = out_json(fx);
	assert_int_equal(json_integer_value(json_object_get(st, "pending")), 1);
	json_t *errors = json_object_get(st, "errors");
	assert_int_equal(json_array_size(errors), 1);
	json_t *e = json_array_get(errors, 0);
	assert_string_equal(ac_jstr(e, "scope"), "item");
	assert_string_equal(ac_jstr(e, "itemId"), id);
	assert_string_equal(ac_jstr(e, "title"), "Refused");
	assert_string_equal(ac_jstr(e, "type"), "fieldTooLong");
	assert_string_equal(ac_jstr(e, "field"), "lastName");
	assert_non_null(strstr(ac_jstr(e, "message"), "limit is 128"));
	json_decref(st);
	assert_int_equal(run(fx, NULL, NULL, "status", NULL), 0);
	assert_non_null(strstr(fx->out, id));
	assert_non_null(strstr(fx->out, "limit is 128"));
	assert_int_equal(run(fx, NULL, NULL, "contacts", "list", NULL), 0);
	assert_non_null(strstr(fx->out, "error"));

	/* the user's edit clears it */
	assert_int_equal(run(fx, NULL, NULL, "contacts", "edit", id, "--last-name", "Ok",
			     NULL), 0);
	assert_int_equal(run(fx, NULL, NULL, "status", "--json", NULL), 0);
	st = out_json(fx);
	assert_int_equal(json_array_size(json_object_get(st, "errors")), 0);
	json_decref(st);
}

static void test_sync_unreachable_and_weak_password(void **state)
{
	fixture *fx = *state;
	add_profile(fx, "work", "http://127.0.0.1:1");
	assert_int_equal(run(fx, NULL, NULL, "sync", NULL), 1);
	assert_non_null(strstr(fx->err, "cannot reach the server"));
	assert_int_equal(run(fx, NULL, NULL, "sync", "--window", "0", NULL), 2);
	assert_int_equal(run(fx, NULL, NULL, "sync", "--policy", "mine", NULL), 2);
	assert_int_equal(run(fx, NULL, NULL, "status", "--json", NULL), 0);
	json_t *st = out_json(fx);
	assert_string_equal(ac_jstr(json_object_get(st, "lastError"), "type"),
			    "serverUnavailable");
	json_decref(st);

	/* refused locally, before any network */
	assert_int_equal(run(fx, "Pa55-word-ok\nabc\n", NULL, "password", "--old-stdin",
			     NULL), 1);
	assert_non_null(strstr(fx->out, "strength: weak"));
	assert_int_equal(run(fx, "Pa55-word-ok\n", NULL, "password", "--old-stdin", NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_usage_and_profiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contacts_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_help_lists_every_field, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_shows_item_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_unreachable_and_weak_password, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
