/* test_perm_matrix.c — the permission matrix of DESIGN §3 (manual Table
 * 5.1), operation by operation.
 *
 * For each of the nine levels and several custom right sets, granted to bob
 * directly and (separately) through a group he belongs to, bob tries every
 * operation on alice's Contacts folder, against an item he created there
 * and one alice created: see the folder, list it, read his item and hers,
 * create, edit his and hers, delete his and hers, create a subfolder and
 * change the permissions.  The expectations are written out below from the
 * DESIGN table, not computed by acl.c.  An allowed operation must take
 * effect; a refused one must leave alice's view of the folder (items with
 * their fields and versions, the folder tree, the permission list) exactly
 * as it was.
 *
 * One rule beyond the table: acting on an item needs reading it (an item
 * bob may not read is, for him, not there), so "write all" or "delete all"
 * without "read all" does not reach alice's items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folders.h"
#include "groups.h"
#include "perms.h"
#include "server_fixture.h"

enum op {
	OP_SEE, OP_READ_OWN, OP_READ_OTHERS, OP_CREATE, OP_EDIT_OWN, OP_EDIT_OTHERS,
	OP_SUBFOLDER, OP_PERMS, OP_DELETE_OWN, OP_DELETE_OTHERS, N_OPS
};

static const char *const op_names[N_OPS] = {
	"see folder", "read own", "read others'", "create", "edit own", "edit others'",
	"create subfolder", "change permissions", "delete own", "delete others'",
};

/* Expected outcome of each op, in enum op order: 1 allowed, 0 refused.
 * Listing the folder shows exactly the items "read own" and "read others'"
 * allow (and fails when the folder cannot be seen). */
static const struct mcase {
	const char *name;
	at_rights rights;
	const char *expect;
} cases[] = {
	/*                                                            see ro rt cr eo et sub perm do dt */
	{"none", {AT_FR_NONE, AT_OR_NONE, AT_OR_NONE, AT_OR_NONE, false},       "0000000000"},
	{"contributor", {AT_FR_CREATE, AT_OR_NONE, AT_OR_NONE, AT_OR_NONE, false},
									       "1001000000"},
	{"reviewer", {AT_FR_SEE, AT_OR_ALL, AT_OR_NONE, AT_OR_NONE, false},     "1110000000"},
	{"nonediting-author", {AT_FR_CREATE, AT_OR_ALL, AT_OR_NONE, AT_OR_NONE, false},
									       "1111000000"},
	{"author", {AT_FR_CREATE, AT_OR_ALL, AT_OR_OWN, AT_OR_OWN, false},      "1111100010"},
	{"publishing-author", {AT_FR_SUBFOLDERS, AT_OR_ALL, AT_OR_OWN, AT_OR_OWN, false},
									       "1111101010"},
	{"editor", {AT_FR_CREATE, AT_OR_ALL, AT_OR_ALL, AT_OR_ALL, false},      "1111110011"},
	{"publishing-editor", {AT_FR_SUBFOLDERS, AT_OR_ALL, AT_OR_ALL, AT_OR_ALL, false},
									       "1111111011"},
	{"owner", {AT_FR_SUBFOLDERS, AT_OR_ALL, AT_OR_ALL, AT_OR_ALL, true},    "1111111111"},
	/* custom sets */
	{"subfolders, write own, read none",
	 {AT_FR_SUBFOLDERS, AT_OR_NONE, AT_OR_OWN, AT_OR_NONE, false},          "1001001000"},
	{"see, own everything", {AT_FR_SEE, AT_OR_OWN, AT_OR_OWN, AT_OR_OWN, false},
									       "1100100010"},
	{"create, read own, write and delete all",
	 {AT_FR_CREATE, AT_OR_OWN, AT_OR_ALL, AT_OR_ALL, false},                "1101100010"},
	{"no folder right, everything else all",
	 {AT_FR_NONE, AT_OR_ALL, AT_OR_ALL, AT_OR_ALL, false},                  "0000000000"},
	{"admin only", {AT_FR_NONE, AT_OR_NONE, AT_OR_NONE, AT_OR_NONE, true},  "1000000100"},
	{"see, read all, delete all, write none",
	 {AT_FR_SEE, AT_OR_ALL, AT_OR_NONE, AT_OR_ALL, false},                  "1110000011"},
};

/* --- calls ----------------------------------------------------------------------- */

static json_t *call(fx *f, const as_user *u, json_t *(*fn)(as_ctx *, json_t *, at_error *),
		    json_t *args, at_error *err)
{
	as_ctx ctx = fx_ctx(f, u, NULL);
	at_error_clear(err);
	json_t *r = fn(&ctx, args, err);
	json_decref(args);
	return r;
}

static json_t *call_ok(fx *f, const as_user *u,
		       json_t *(*fn)(as_ctx *, json_t *, at_error *), json_t *args)
{
	at_error err;
	json_t *r = call(f, u, fn, args, &err);
	if (r == NULL)
		fail_msg("call as %s failed: %s: %s", u->login, err.code, err.message);
	return r;
}

static void set_grant(fx *f, const char *folder, const char *type, const char *who,
		      const at_rights *r)
{
	const char *key = strcmp(type, "group") == 0 ? "name" : "login";
	json_t *args;
	if (r == NULL)
		args = json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", folder, "remove", "type", type,
				 key, who);
	else
		args = json_pack("{s:s,s:[{s:{s:s,s:s},s:o}]}", "folderId", folder, "set",
				 "principal", "type", type, key, who, "rights",
				 at_rights_to_json(r));
	json_decref(call_ok(f, f->alice, as_folder_set_permissions, args));
}

/* Alice's whole view of her folder: items (id, version, fields), the
 * folder tree (id, name, parent), the permission list. */
static json_t *snapshot(fx *f, const char *folder)
{
	json_t *list = call_ok(f, f->alice, as_item_list, json_pack("{s:s}", "folderId", folder));
	json_t *ids = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(list, "items"), i, v)
		json_array_append(ids, json_object_get(v, "id"));
	json_decref(list);
	json_t *items = call_ok(f, f->alice, as_item_get,
				json_pack("{s:s,s:o}", "folderId", folder, "ids", ids));
	json_t *tree = call_ok(f, f->alice, as_folder_sync, json_object());
	json_t *folders = json_array();
	json_array_foreach(json_object_get(tree, "created"), i, v)
		json_array_append_new(folders, json_pack("{s:O,s:O,s:O,s:O}", "id",
							 json_object_get(v, "id"), "name",
							 json_object_get(v, "name"), "parentId",
							 json_object_get(v, "parentId"), "version",
							 json_object_get(v, "version")));
	json_decref(tree);
	json_t *perms = call_ok(f, f->alice, as_folder_get_permissions,
				json_pack("{s:s}", "folderId", folder));
	json_t *snap = json_pack("{s:O,s:o,s:O}", "items", json_object_get(items, "items"),
				 "folders", folders, "perms", json_object_get(perms, "entries"));
	json_decref(items);
	json_decref(perms);
	return snap;
}

/* Alice's current copy of an item (new reference), or NULL when gone. */
static json_t *alice_item(fx *f, const char *folder, const char *id)
{
	return fx_get(f, f->alice, folder, id);
}

/* One Item/sync change as bob: true when the server applied it ("ok" with
 * an effect is checked by the caller). */
static bool bob_change(fx *f, const char *folder, json_t *changes, json_t **result_r)
{
	at_error err;
	json_t *r = fx_sync(f, f->bob, folder, NULL, 0, NULL, changes, &err);
	*result_r = NULL;
	if (r == NULL)
		return false;   /* method level: the folder itself is refused */
	json_t *res = fx_result(r, 0);
	bool ok = strcmp(fx_str(res, "status"), "ok") == 0;
	*result_r = json_incref(res);
	json_decref(r);
	return ok;
}

static const char *create_item(fx *f, const as_user *u, const char *folder, const char *cid,
			       const char *name)
{
	json_t *r = fx_sync(f, u, folder, NULL, 0, NULL,
			    fx_create(cid, json_pack("{s:s}", "firstName", name)), NULL);
	json_t *res = fx_result(r, 0);
	check(strcmp(fx_str(res, "status"), "ok") == 0, "setup create %s: %s", cid,
	      json_dumps(res, 0));
	const char *id = at_arena_strdup(f->arena, fx_str(res, "id"));
	json_decref(r);
	return id;
}

/* --- the operations -------------------------------------------------------------
 * Each returns whether bob got what he asked for; the mutating ones also
 * say whether it took effect (checked against alice's view). */

typedef struct world {
	fx *f;
	const char *folder;
	const char *own, *others;   /* bob's item, alice's item */
	int n;                      /* counter for unique client ids and names */
} world;

static bool sees_folder(world *w)
{
	json_t *r = call_ok(w->f, w->f->bob, as_folder_sync, json_object());
	bool seen = false;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(r, "created"), i, v)
		seen = seen || strcmp(fx_str(v, "id"), w->folder) == 0;
	json_decref(r);
	at_error err;
	json_t *p = call(w->f, w->f->bob, as_folder_get_permissions,
			 json_pack("{s:s}", "folderId", w->folder), &err);
	check((p != NULL) == seen, "getPermissions %s but Folder/sync %s", p ? "works" : "fails",
	      seen ? "lists the folder" : "does not");
	json_decref(p);
	return seen;
}

/* Item/get and a full Item/sync agree on whether bob reads id. */
static bool reads(world *w, const char *id)
{
	at_error err;
	json_t *g = call(w->f, w->f->bob, as_item_get,
			 json_pack("{s:s,s:[s]}", "folderId", w->folder, "ids", id), &err);
	bool got = g != NULL && json_array_size(json_object_get(g, "items")) == 1;
	json_decref(g);
	json_t *r = fx_sync(w->f, w->f->bob, w->folder, NULL, 0, NULL, NULL, &err);
	bool synced = false;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(json_object_get(r, "changes"), "upserted"), i, v)
		synced = synced || strcmp(fx_str(v, "id"), id) == 0;
	json_decref(r);
	check(got == synced, "Item/get %s %s but Item/sync %s", got ? "returns" : "hides", id,
	      synced ? "returns it" : "does not");
	return got;
}

static bool op_create(world *w)
{
	char cid[32];
	snprintf(cid, sizeof(cid), "m-%d", ++w->n);
	json_t *res;
	bool ok = bob_change(w->f, w->folder, fx_create(cid, json_pack("{s:s}", "firstName",
								    "New")), &res);
	if (ok) {
		json_t *it = alice_item(w->f, w->folder, fx_str(res, "id"));
		check(it != NULL, "created item not in the folder");
		json_decref(it);
	}
	json_decref(res);
	return ok;
}

static bool op_edit(world *w, const char *id)
{
	json_t *cur = alice_item(w->f, w->folder, id);
	assert_non_null(cur);
	char value[32];
	snprintf(value, sizeof(value), "Edited %d", ++w->n);
	json_t *res;
	bool ok = bob_change(w->f, w->folder, fx_update(id, fx_int(cur, "version"),
							 json_pack("{s:s}", "lastName", value)),
			     &res);
	json_decref(cur);
	json_decref(res);
	cur = alice_item(w->f, w->folder, id);
	json_t *ln = json_object_get(json_object_get(cur, "fields"), "lastName");
	bool changed = json_is_string(ln) && strcmp(json_string_value(ln), value) == 0;
	json_decref(cur);
	check(ok == changed, "edit answered %s but %s", ok ? "ok" : "refused",
	      changed ? "changed the item" : "changed nothing");
	return ok;
}

static bool op_delete(world *w, const char *id)
{
	json_t *cur = alice_item(w->f, w->folder, id);
	assert_non_null(cur);
	json_t *res;
	bob_change(w->f, w->folder, fx_delete(id, fx_int(cur, "version")), &res);
	json_decref(cur);
	json_decref(res);
	/* deleting what one cannot read answers ok (it is not there for him):
	 * the effect decides */
	cur = alice_item(w->f, w->folder, id);
	bool gone = cur == NULL;
	json_decref(cur);
	return gone;
}

static bool op_subfolder(world *w)
{
	char cid[32], name[32];
	snprintf(cid, sizeof(cid), "sf-%d", ++w->n);
	snprintf(name, sizeof(name), "Sub %d", w->n);
	at_error err;
	json_t *r = call(w->f, w->f->bob, as_folder_set,
			 json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "create", "clientId", cid, "parentId",
				   w->folder, "name", name, "module", "contacts"), &err);
	check(r != NULL, "Folder/set: %s", err.message);
	json_t *res = json_array_get(json_object_get(r, "results"), 0);
	bool ok = strcmp(fx_str(res, "status"), "ok") == 0;
	if (ok) {
		/* alice sees it in her tree; she removes it again */
		const char *id = fx_str(res, "id");
		json_t *d = call_ok(w->f, w->f->alice, as_folder_set,
				    json_pack("{s:[{s:s}]}", "delete", "id", id));
		assert_string_equal(fx_str(json_array_get(json_object_get(d, "results"), 0),
					   "status"), "ok");
		json_decref(d);
	} else {
		const char *type = fx_str(json_object_get(res, "error"), "type");
		check(strcmp(type, "forbidden") == 0, "subfolder refused with %s", type);
	}
	json_decref(r);
	return ok;
}

static bool op_perms(world *w)
{
	at_error err;
	json_t *r = call(w->f, w->f->bob, as_folder_set_permissions,
			 json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", w->folder, "set",
				   "principal", "type", "group", "name", "others", "level",
				   "reviewer"), &err);
	if (r == NULL) {
		check(strcmp(err.code, "forbidden") == 0, "setPermissions refused with %s",
		      err.code);
		return false;
	}
	json_decref(r);
	set_grant(w->f, w->folder, "group", "others", NULL);
	return true;
}

/* Runs op and checks it against the expectation (and, for a refusal, that
 * alice's view did not change). */
static void try_op(world *w, const char *label, enum op op, bool expected)
{
	json_t *before = snapshot(w->f, w->folder);
	bool got = false;
	switch (op) {
	case OP_SEE: got = sees_folder(w); break;
	case OP_READ_OWN: got = reads(w, w->own); break;
	case OP_READ_OTHERS: got = reads(w, w->others); break;
	case OP_CREATE: got = op_create(w); break;
	case OP_EDIT_OWN: got = op_edit(w, w->own); break;
	case OP_EDIT_OTHERS: got = op_edit(w, w->others); break;
	case OP_SUBFOLDER: got = op_subfolder(w); break;
	case OP_PERMS: got = op_perms(w); break;
	case OP_DELETE_OWN: got = op_delete(w, w->own); break;
	case OP_DELETE_OTHERS: got = op_delete(w, w->others); break;
	case N_OPS: break;
	}
	check(got == expected, "%s: %s %s, expected %s", label, op_names[op],
	      got ? "allowed" : "refused", expected ? "allowed" : "refused");
	if (!got) {
		json_t *after = snapshot(w->f, w->folder);
		check(json_equal(before, after), "%s: refused %s changed alice's view:\n%s\n%s",
		      label, op_names[op], json_dumps(before, 0), json_dumps(after, 0));
		json_decref(after);
	}
	json_decref(before);
}

/* Item/list shows what bob may read, or fails when he cannot see the folder. */
static void check_listing(world *w, const char *label, bool see, bool own, bool others)
{
	at_error err;
	json_t *r = call(w->f, w->f->bob, as_item_list, json_pack("{s:s}", "folderId", w->folder),
			 &err);
	if (!see) {
		check(r == NULL && strcmp(err.code, "forbidden") == 0, "%s: listing not refused",
		      label);
		return;
	}
	check(r != NULL, "%s: listing refused: %s", label, err.message);
	bool has_own = false, has_others = false;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(r, "items"), i, v) {
		has_own = has_own || strcmp(fx_str(v, "id"), w->own) == 0;
		has_others = has_others || strcmp(fx_str(v, "id"), w->others) == 0;
	}
	check(json_array_size(json_object_get(r, "items")) == (size_t)(has_own + has_others),
	      "%s: listing has other items: %s", label, json_dumps(r, 0));
	check(has_own == own && has_others == others, "%s: listing shows own=%d others'=%d, "
	      "expected %d %d", label, has_own, has_others, own, others);
	json_decref(r);
}

static void run_case(world *w, const struct mcase *c, bool through_group)
{
	fx *f = w->f;
	char label[160];
	snprintf(label, sizeof(label), "%s (%s)", c->name, through_group ? "group" : "user");
	at_rights editor = at_level_rights(AT_LEVEL_EDITOR);
	/* fresh items: bob's own, made under a temporary editor grant, and alice's */
	set_grant(f, w->folder, "group", "team", NULL);
	set_grant(f, w->folder, "user", "bob", &editor);
	char cid[32];
	snprintf(cid, sizeof(cid), "own-%d", ++w->n);
	w->own = create_item(f, f->bob, w->folder, cid, "Bob's");
	snprintf(cid, sizeof(cid), "hers-%d", ++w->n);
	w->others = create_item(f, f->alice, w->folder, cid, "Alice's");
	/* then the grant under test, alone */
	set_grant(f, w->folder, "user", "bob", NULL);
	set_grant(f, w->folder, through_group ? "group" : "user", through_group ? "team" : "bob",
		  &c->rights);
	assert_int_equal((int)strlen(c->expect), N_OPS);
	check_listing(w, label, c->expect[OP_SEE] == '1', c->expect[OP_READ_OWN] == '1',
		      c->expect[OP_READ_OTHERS] == '1');
	for (int op = 0; op < N_OPS; op++)
		try_op(w, label, (enum op)op, c->expect[op] == '1');
	/* leave the folder clean for the next case */
	set_grant(f, w->folder, "user", "bob", NULL);
	set_grant(f, w->folder, "group", "team", NULL);
	json_t *list = call_ok(f, f->alice, as_item_list, json_pack("{s:s}", "folderId",
								   w->folder));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(list, "items"), i, v)
		json_decref(fx_sync(f, f->alice, w->folder, NULL, 0, NULL,
				    fx_delete(fx_str(v, "id"), fx_int(v, "version")), NULL));
	json_decref(list);
	assert_int_equal(fx_count(f, f->alice, w->folder), 0);
}

static void test_matrix(void **state, bool through_group)
{
	fx *f = *state;
	at_error err;
	if (as_group_create(f->store, f->arena, "team", NULL, &err) < 0 ||
	    as_group_add_member(f->store, f->arena, "team", "bob", &err) < 0 ||
	    as_group_create(f->store, f->arena, "others", NULL, &err) < 0)
		fail_msg("groups: %s", err.message);
	world w = {f, f->alice_contacts, NULL, NULL, 0};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		run_case(&w, &cases[i], through_group);
}

static void test_matrix_user_grants(void **state)
{
	test_matrix(state, false);
}

static void test_matrix_group_grants(void **state)
{
	test_matrix(state, true);
}

/* The table above and acl.c's presets agree on what each level is. */
static void test_levels_are_the_presets(void **state)
{
	(void)state;
	for (int l = AT_LEVEL_NONE; l <= AT_LEVEL_OWNER; l++) {
		at_rights r = at_level_rights((at_level)l);
		const at_rights *t = &cases[l].rights;
		assert_string_equal(cases[l].name, at_level_name((at_level)l));
		check(r.folder == t->folder && r.read == t->read && r.write == t->write &&
		      r.del == t->del && r.admin == t->admin, "level %s differs from DESIGN §3",
		      cases[l].name);
	}
	for (size_t i = AT_LEVEL_OWNER + 1; i < N_ELEMS(cases); i++)
		assert_int_equal(at_rights_level(&cases[i].rights), AT_LEVEL_CUSTOM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_are_the_presets),
		cmocka_unit_test_setup_teardown(test_matrix_user_grants, fx_setup_users,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_matrix_group_grants, fx_setup_users,
						fx_teardown),
	};
	return cmocka_run_group_tests_name("permission matrix", tests, NULL, NULL);
}
