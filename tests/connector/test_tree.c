/* test_tree.c — the connector's folder tree and folder paths: branches,
 * roots for folders whose parent is not visible, display order, escaping,
 * finding by path, id, " - " for " – ", plain names, ambiguity, and where
 * a new folder goes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tree.h"

#define DASH "\xe2\x80\x93"

/* id, parent, name, displayName, type */
static const char *const sample[][5] = {
	{"f-contacts", NULL, "Contacts", "Contacts", "private"},
	{"f-clients", "f-contacts", "Clients", "Clients", "private"},
	{"f-europe", "f-clients", "Europe", "Europe", "private"},
	{"f-slash", "f-contacts", "A/B", "A/B", "private"},
	{"f-calendar", NULL, "Calendar", "Calendar", "private"},
	/* shared: a root (parent not visible) with a child */
	{"f-bob", NULL, "Contacts", "Bob Stone " DASH " Contacts", "shared"},
	{"f-team", "f-hidden", "Team", "Alice Martin " DASH " Team", "shared"},
	{"f-berlin", "f-team", "Berlin", "Alice Martin " DASH " Berlin", "shared"},
	/* public */
	{"f-proj", NULL, "Projects", "Projects", "public"},
	{"f-alpha", "f-proj", "Alpha", "Alpha", "public"},
	{"f-orphan", "f-nothere", "Orphan", "Orphan", "public"},
	/* two private folders named alike at different places */
	{"f-misc1", "f-calendar", "Misc", "Misc", "private"},
	{"f-misc2", "f-contacts", "Misc", "Misc", "private"},
};

#define N_SAMPLE (sizeof(sample) / sizeof(sample[0]))

typedef struct tfx {
	ac_folder_list list;
	ac_tree tree;
} tfx;

static int setup(void **state)
{
	tfx *t = calloc(1, sizeof(*t));
	t->list.v = calloc(N_SAMPLE, sizeof(ac_folder));
	t->list.n = N_SAMPLE;
	for (size_t i = 0; i < N_SAMPLE; i++) {
		ac_folder *f = &t->list.v[i];
		snprintf(f->id, sizeof(f->id), "%s", sample[i][0]);
		f->json = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", sample[i][0], "name",
				    sample[i][2], "displayName", sample[i][3], "type", sample[i][4],
				    "module", "contacts");
		json_object_set_new(f->json, "parentId",
				    sample[i][1] ? json_string(sample[i][1]) : json_null());
	}
	at_error err;
	assert_int_equal(ac_tree_build(&t->list, &t->tree, &err), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tfx *t = *state;
	ac_tree_free(&t->tree);
	ac_folder_list_free(&t->list);
	free(t);
	return 0;
}

static const ac_tree_node *node(const ac_tree *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].id, id) == 0)
			return &t->v[i];
	fail_msg("no node %s", id);
	return NULL;
}

static void test_paths_and_order(void **state)
{
	tfx *t = *state;
	assert_int_equal(t->tree.n, N_SAMPLE);
	static const char *const paths[][2] = {
		{"f-contacts", "Contacts"},
		{"f-clients", "Contacts/Clients"},
		{"f-europe", "Contacts/Clients/Europe"},
		{"f-slash", "Contacts/A\\/B"},
		{"f-bob", "Bob Stone " DASH " Contacts"},
		{"f-team", "Alice Martin " DASH " Team"},
		{"f-berlin", "Alice Martin " DASH " Team/Berlin"},
		{"f-proj", "Public/Projects"},
		{"f-alpha", "Public/Projects/Alpha"},
		{"f-orphan", "Public/Orphan"},
		{"f-misc1", "Calendar/Misc"},
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_string_equal(node(&t->tree, paths[i][0])->path, paths[i][1]);
	assert_int_equal(node(&t->tree, "f-europe")->depth, 2);
	assert_int_equal(node(&t->tree, "f-team")->parent, -1);
	assert_int_equal(node(&t->tree, "f-berlin")->branch, AC_BRANCH_SHARED);
	/* display order: private, shared, public; parents before children,
	 * siblings by label */
	ac_branch last = AC_BRANCH_PRIVATE;
	for (size_t i = 0; i < t->tree.n; i++) {
		const ac_tree_node *n = &t->tree.v[i];
		assert_true(n->branch >= last);
		last = n->branch;
		if (n->parent >= 0)
			assert_true(n->parent < (int)i);
	}
	assert_string_equal(t->tree.v[0].id, "f-calendar");
	assert_string_equal(t->tree.v[1].id, "f-misc1");
	assert_string_equal(t->tree.v[2].id, "f-contacts");
	assert_string_equal(t->tree.v[3].id, "f-slash");   /* "A/B" < "Clients" */
}

static void find_ok(tfx *t, const char *ref, const char *id)
{
	int index;
	at_error err;
	at_error_clear(&err);
	if (ac_tree_find(&t->tree, ref, &index, &err) < 0)
		fail_msg("%s: %s", ref, err.message);
	assert_string_equal(t->tree.v[index].id, id);
}

static void find_fails(tfx *t, const char *ref, const char *code)
{
	int index;
	at_error err;
	at_error_clear(&err);
	if (ac_tree_find(&t->tree, ref, &index, &err) == 0)
		fail_msg("%s found %s", ref, t->tree.v[index].id);
	assert_string_equal(err.code, code);
	assert_int_equal(index, -1);
}

static void test_find(void **state)
{
	tfx *t = *state;
	find_ok(t, "Contacts/Clients/Europe", "f-europe");
	find_ok(t, "/Contacts/Clients", "f-clients");
	find_ok(t, "Contacts/A\\/B", "f-slash");
	find_ok(t, "f-europe", "f-europe");
	find_ok(t, "Bob Stone " DASH " Contacts", "f-bob");
	find_ok(t, "Bob Stone - Contacts", "f-bob");
	find_ok(t, "Alice Martin - Team/Berlin", "f-berlin");
	find_ok(t, "Public/Projects/Alpha", "f-alpha");
	find_ok(t, "Public/Orphan", "f-orphan");
	/* a plain name found anywhere when only one folder has it */
	find_ok(t, "Europe", "f-europe");
	find_ok(t, "Alpha", "f-alpha");
	/* "Contacts" is the user's own at the top (the shared one is
	 * labelled "Bob Stone – Contacts") */
	find_ok(t, "Contacts", "f-contacts");
	find_fails(t, "Misc", "invalidArguments");            /* two of them */
	find_fails(t, "Contacts/Nope", "notFound");
	find_ok(t, "Projects", "f-proj");      /* the plain name; its path is Public/Projects */
	find_fails(t, "Nope", "notFound");
	find_fails(t, "Public", "notFound");
	find_fails(t, "Europe/Clients", "notFound");
	find_fails(t, "Contacts//Clients", "invalidArguments");
	find_fails(t, "Contacts\\x", "invalidArguments");
	find_fails(t, "", "invalidArguments");
	find_fails(t, "Alice Martin - Berlin", "notFound");  /* not a root */
}

static void test_locate_new(void **state)
{
	tfx *t = *state;
	static const struct { const char *path; const char *parent; bool pub; const char *name; }
	ok[] = {
		{"Trips", NULL, false, "Trips"},
		{"Public/Company", NULL, true, "Company"},
		{"Contacts/Clients/Asia", "f-clients", false, "Asia"},
		{"Contacts/Clients/A\\/S", "f-clients", false, "A/S"},
		{"Public/Projects/Beta", "f-proj", false, "Beta"},
		{"Bob Stone - Contacts/New", "f-bob", false, "New"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int parent;
		bool pub;
		char *name;
		at_error err;
		if (ac_tree_locate_new(&t->tree, ok[i].path, &parent, &pub, &name, &err) < 0)
			fail_msg("%s: %s", ok[i].path, err.message);
		if (ok[i].parent == NULL)
			assert_int_equal(parent, -1);
		else
			assert_string_equal(t->tree.v[parent].id, ok[i].parent);
		assert_int_equal(pub, ok[i].pub);
		assert_string_equal(name, ok[i].name);
		free(name);
	}
	static const char *const bad[] = {"Public", "Nope/New", "Misc/New", "a//b", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int parent;
		bool pub;
		char *name;
		at_error err;
		assert_int_equal(ac_tree_locate_new(&t->tree, bad[i], &parent, &pub, &name, &err),
				 -1);
		assert_null(name);
	}
}

static void test_escape_round_trip(void **state)
{
	(void)state;
	static const char *const labels[] = {"plain", "a/b", "back\\slash", "/\\/", "é – ü"};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		char *esc = ac_path_escape(labels[i]);
		char **parts;
		size_t n;
		at_error err;
		assert_int_equal(ac_path_parse(esc, &parts, &n, &err), 0);
		assert_int_equal(n, 1);
		assert_string_equal(parts[0], labels[i]);
		ac_path_free(parts, n);
		free(esc);
	}
}

/* A damaged tree (parents in a cycle) still shows every folder. */
static void test_cycle_does_not_hide(void **state)
{
	(void)state;
	ac_folder_list list = {calloc(2, sizeof(ac_folder)), 2};
	static const char *const ids[2][2] = {{"x", "y"}, {"y", "x"}};
	for (int i = 0; i < 2; i++) {
		snprintf(list.v[i].id, sizeof(list.v[i].id), "%s", ids[i][0]);
		list.v[i].json = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", ids[i][0], "parentId",
					   ids[i][1], "name", ids[i][0], "displayName", ids[i][0],
					   "type", "private");
	}
	ac_tree tree;
	at_error err;
	assert_int_equal(ac_tree_build(&list, &tree, &err), 0);
	assert_int_equal(tree.n, 2);
	ac_tree_free(&tree);
	ac_folder_list_free(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locate_new, setup, teardown),
		cmocka_unit_test(test_escape_round_trip),
		cmocka_unit_test(test_cycle_does_not_hide),
	};
	return cmocka_run_group_tests_name("tree", tests, NULL, NULL);
}
