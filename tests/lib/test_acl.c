/* test_acl.c — permission levels (DESIGN §3 table), effective rights from
 * owner and grants, and the access predicates including private items. */
#include <string.h>

#include "testutil.h"

#include "acl.h"

#define FN AT_FR_NONE
#define FS AT_FR_SEE
#define FC AT_FR_CREATE
#define FF AT_FR_SUBFOLDERS
#define ON AT_OR_NONE
#define OO AT_OR_OWN
#define OA AT_OR_ALL

/* DESIGN §3 / manual Table 5.1, written out independently of lib/acl.c. */
static const struct {
	at_level level;
	const char *name;
	at_rights rights;
} levels[] = {
	{AT_LEVEL_NONE, "none", {FN, ON, ON, ON, false}},
	{AT_LEVEL_CONTRIBUTOR, "contributor", {FC, ON, ON, ON, false}},
	{AT_LEVEL_REVIEWER, "reviewer", {FS, OA, ON, ON, false}},
	{AT_LEVEL_NONEDITING_AUTHOR, "nonediting-author", {FC, OA, ON, ON, false}},
	{AT_LEVEL_AUTHOR, "author", {FC, OA, OO, OO, false}},
	{AT_LEVEL_PUBLISHING_AUTHOR, "publishing-author", {FF, OA, OO, OO, false}},
	{AT_LEVEL_EDITOR, "editor", {FC, OA, OA, OA, false}},
	{AT_LEVEL_PUBLISHING_EDITOR, "publishing-editor", {FF, OA, OA, OA, false}},
	{AT_LEVEL_OWNER, "owner", {FF, OA, OA, OA, true}},
};

static bool same(const at_rights *a, const at_rights *b)
{
	return a->folder == b->folder && a->read == b->read && a->write == b->write &&
	       a->del == b->del && a->admin == b->admin;
}

static void test_levels_map_to_table(void **state)
{
	(void)state;
	assert_int_equal(N_ELEMS(levels), 9);
	for (size_t i = 0; i < N_ELEMS(levels); i++) {
		at_rights r = at_level_rights(levels[i].level);
		check(same(&r, &levels[i].rights),
		      "%s: got folder %d read %d write %d delete %d admin %d", levels[i].name,
		      r.folder, r.read, r.write, r.del, r.admin);
		assert_string_equal(at_level_name(levels[i].level), levels[i].name);
		/* and back */
		check(at_rights_level(&levels[i].rights) == levels[i].level, "%s: inverse gives %d",
		      levels[i].name, (int)at_rights_level(&levels[i].rights));
	}
	assert_string_equal(at_level_name(AT_LEVEL_CUSTOM), "custom");
	/* out of range falls back to no rights */
	at_rights r = at_level_rights((at_level)99);
	assert_true(same(&r, &levels[0].rights));
}

/* Every combination of the five rights that is not in the table is custom;
 * the nine presets are exactly the combinations that are not. */
static void test_custom(void **state)
{
	(void)state;
	int presets = 0;
	for (int f = FN; f <= FF; f++)
		for (int rd = ON; rd <= OA; rd++)
			for (int wr = ON; wr <= OA; wr++)
				for (int dl = ON; dl <= OA; dl++)
					for (int ad = 0; ad <= 1; ad++) {
						at_rights r = {(at_folder_right)f, (at_obj_right)rd,
							       (at_obj_right)wr, (at_obj_right)dl,
							       ad == 1};
						at_level l = at_rights_level(&r);
						bool in_table = false;
						for (size_t i = 0; i < N_ELEMS(levels); i++)
							if (same(&r, &levels[i].rights)) {
								in_table = true;
								check(l == levels[i].level, "preset %s",
								      levels[i].name);
							}
						if (in_table)
							presets++;
						else
							check(l == AT_LEVEL_CUSTOM,
							      "%d/%d/%d/%d/%d should be custom, got %d",
							      f, rd, wr, dl, ad, (int)l);
					}
	assert_int_equal(presets, 9);
}

static void test_rights_json_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(levels); i++) {
		json_t *j = at_rights_to_json(&levels[i].rights);
		assert_int_equal(json_object_size(j), 5);
		at_rights back;
		memset(&back, 0xff, sizeof(back));
		assert_int_equal(at_rights_from_json(j, &back), 0);
		check(same(&back, &levels[i].rights), "%s: JSON round trip", levels[i].name);
		json_decref(j);
	}
	json_t *o = at_rights_to_json(&levels[AT_LEVEL_AUTHOR].rights);
	assert_string_equal(json_string_value(json_object_get(o, "folder")), "create");
	assert_string_equal(json_string_value(json_object_get(o, "read")), "all");
	assert_string_equal(json_string_value(json_object_get(o, "write")), "own");
	assert_string_equal(json_string_value(json_object_get(o, "delete")), "own");
	assert_true(json_is_false(json_object_get(o, "admin")));
	json_decref(o);

	static const char *const bad[] = {
		"{\"folder\":\"create\",\"read\":\"all\",\"write\":\"own\",\"delete\":\"own\"}",
		"{\"folder\":\"everything\",\"read\":\"all\",\"write\":\"own\",\"delete\":\"own\",\"admin\":false}",
		"{\"folder\":\"see\",\"read\":\"some\",\"write\":\"own\",\"delete\":\"own\",\"admin\":false}",
		"{\"folder\":\"see\",\"read\":\"all\",\"write\":1,\"delete\":\"own\",\"admin\":false}",
		"{\"folder\":\"see\",\"read\":\"all\",\"write\":\"own\",\"delete\":\"own\",\"admin\":\"no\"}",
		"[]",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		at_rights r;
		check(at_rights_from_json(j, &r) == -1, "accepted %s", bad[i]);
		json_decref(j);
	}
}

static void test_effective_owner_and_public(void **state)
{
	(void)state;
	at_rights r = at_acl_effective("alice", "alice", NULL, 0, NULL, 0);
	assert_true(same(&r, &levels[AT_LEVEL_OWNER].rights));
	/* owner rights do not depend on grants, even a weaker grant to herself */
	at_grant g = {"alice", false, at_level_rights(AT_LEVEL_REVIEWER)};
	r = at_acl_effective("alice", "alice", &g, 1, NULL, 0);
	assert_true(same(&r, &levels[AT_LEVEL_OWNER].rights));
	/* someone else without a grant has nothing */
	r = at_acl_effective("bob", "alice", NULL, 0, NULL, 0);
	assert_true(same(&r, &levels[AT_LEVEL_NONE].rights));
	assert_false(at_acl_may_see(&r));
	/* a public folder (no owner) gives only what is granted */
	at_grant pub = {"bob", false, at_level_rights(AT_LEVEL_REVIEWER)};
	r = at_acl_effective("bob", NULL, &pub, 1, NULL, 0);
	assert_true(same(&r, &levels[AT_LEVEL_REVIEWER].rights));
	r = at_acl_effective("carol", NULL, &pub, 1, NULL, 0);
	assert_true(same(&r, &levels[AT_LEVEL_NONE].rights));
	r = at_acl_effective(NULL, NULL, &pub, 1, NULL, 0);
	assert_true(same(&r, &levels[AT_LEVEL_NONE].rights));
}

static void test_effective_grants(void **state)
{
	(void)state;
	const at_grant grants[] = {
		{"bob", false, at_level_rights(AT_LEVEL_REVIEWER)},
		{"sales", true, at_level_rights(AT_LEVEL_EDITOR)},
		{"it", true, {FF, ON, ON, ON, false}},
		{"carol", false, {FS, OO, ON, OA, false}},
		{"admins", true, {FN, ON, ON, ON, true}},
		{"bob2", true, at_level_rights(AT_LEVEL_OWNER)},  /* a group named like a user */
	};
	static const char *const none[] = {NULL};
	static const char *const bob_groups[] = {"staff"};
	static const char *const sales[] = {"staff", "sales"};
	static const char *const it_and_carol[] = {"it"};
	static const char *const admins[] = {"admins"};
	static const struct {
		const char *user;
		const char *const *groups;
		size_t n_groups;
		at_rights want;
	} table[] = {
		/* user grant only */
		{"bob", bob_groups, 1, {FS, OA, ON, ON, false}},
		/* group grant only */
		{"dave", sales, 2, {FC, OA, OA, OA, false}},
		/* user grant + group grant: strongest per right */
		{"bob", sales, 2, {FC, OA, OA, OA, false}},
		/* per right, not per grant: folder from "it", the rest from carol's */
		{"carol", it_and_carol, 1, {FF, OO, ON, OA, false}},
		/* admin from a group grant */
		{"erin", admins, 1, {FN, ON, ON, ON, true}},
		/* no matching grant: a user id equal to a group name does not match it */
		{"bob2", none, 0, {FN, ON, ON, ON, false}},
		{"sales", none, 0, {FN, ON, ON, ON, false}},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_rights r = at_acl_effective(table[i].user, "owner", grants, N_ELEMS(grants),
					       table[i].groups, table[i].n_groups);
		check(same(&r, &table[i].want),
		      "case %zu (%s): got folder %d read %d write %d delete %d admin %d", i,
		      table[i].user, r.folder, r.read, r.write, r.del, r.admin);
	}
}

static void test_folder_predicates(void **state)
{
	(void)state;
	static const struct { at_level level; bool see, create, sub, admin; } table[] = {
		{AT_LEVEL_NONE, false, false, false, false},
		{AT_LEVEL_CONTRIBUTOR, true, true, false, false},
		{AT_LEVEL_REVIEWER, true, false, false, false},
		{AT_LEVEL_NONEDITING_AUTHOR, true, true, false, false},
		{AT_LEVEL_AUTHOR, true, true, false, false},
		{AT_LEVEL_PUBLISHING_AUTHOR, true, true, true, false},
		{AT_LEVEL_EDITOR, true, true, false, false},
		{AT_LEVEL_PUBLISHING_EDITOR, true, true, true, false},
		{AT_LEVEL_OWNER, true, true, true, true},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_rights r = at_level_rights(table[i].level);
		const char *n = at_level_name(table[i].level);
		check(at_acl_may_see(&r) == table[i].see, "%s: see", n);
		check(at_acl_may_create(&r) == table[i].create, "%s: create", n);
		check(at_acl_may_create_subfolder(&r) == table[i].sub, "%s: subfolders", n);
		check(at_acl_may_admin(&r) == table[i].admin, "%s: admin", n);
	}
	/* an admin-only grant may still see the folder (to fix its permissions) */
	at_rights adm = {FN, ON, ON, ON, true};
	assert_true(at_acl_may_see(&adm));
	assert_false(at_acl_may_create(&adm));
}

static void test_item_predicates(void **state)
{
	(void)state;
	/* for each object right: may the user act on her own item, on another's */
	static const struct { at_obj_right right; bool own, other; } table[] = {
		{AT_OR_NONE, false, false},
		{AT_OR_OWN, true, false},
		{AT_OR_ALL, true, true},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_rights r = {FC, table[i].right, table[i].right, table[i].right, false};
		check(at_acl_may_read(&r, true, false) == table[i].own, "read own %zu", i);
		check(at_acl_may_read(&r, false, false) == table[i].other, "read other %zu", i);
		check(at_acl_may_write(&r, true, false) == table[i].own, "write own %zu", i);
		check(at_acl_may_write(&r, false, false) == table[i].other, "write other %zu", i);
		check(at_acl_may_delete(&r, true, false) == table[i].own, "delete own %zu", i);
		check(at_acl_may_delete(&r, false, false) == table[i].other, "delete other %zu", i);
	}
	/* the three rights are independent: Author reads all, writes/deletes own */
	at_rights author = at_level_rights(AT_LEVEL_AUTHOR);
	assert_true(at_acl_may_read(&author, false, false));
	assert_false(at_acl_may_write(&author, false, false));
	assert_true(at_acl_may_write(&author, true, false));
	assert_false(at_acl_may_delete(&author, false, false));
	assert_true(at_acl_may_delete(&author, true, false));
	/* Contributor creates but reads nothing, not even her own */
	at_rights contrib = at_level_rights(AT_LEVEL_CONTRIBUTOR);
	assert_false(at_acl_may_read(&contrib, true, false));
}

/* Private items are visible only to their creator, whatever the rights. */
static void test_private_items(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(levels); i++) {
		const at_rights *r = &levels[i].rights;
		check(!at_acl_may_read(r, false, true), "%s reads another's private item",
		      levels[i].name);
		check(!at_acl_may_write(r, false, true), "%s writes another's private item",
		      levels[i].name);
		check(!at_acl_may_delete(r, false, true), "%s deletes another's private item",
		      levels[i].name);
		/* for the creator, private changes nothing */
		check(at_acl_may_read(r, true, true) == at_acl_may_read(r, true, false),
		      "%s: private changes the creator's read", levels[i].name);
		check(at_acl_may_write(r, true, true) == at_acl_may_write(r, true, false),
		      "%s: private changes the creator's write", levels[i].name);
	}
	/* even effective Owner rights through a grant do not open it */
	at_grant g = {"bob", false, at_level_rights(AT_LEVEL_OWNER)};
	at_rights r = at_acl_effective("bob", "alice", &g, 1, NULL, 0);
	assert_true(at_acl_may_read(&r, false, false));
	assert_false(at_acl_may_read(&r, false, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_map_to_table),
		cmocka_unit_test(test_custom),
		cmocka_unit_test(test_rights_json_round_trip),
		cmocka_unit_test(test_effective_owner_and_public),
		cmocka_unit_test(test_effective_grants),
		cmocka_unit_test(test_folder_predicates),
		cmocka_unit_test(test_item_predicates),
		cmocka_unit_test(test_private_items),
	};
	return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
