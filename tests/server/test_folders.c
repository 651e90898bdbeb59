/* test_folders.c — the folder tree through as_folder_set (Folder/set):
 * creating private, shared and public folders with subfolders, names
 * (limits, control characters, unique among siblings), idempotent creates,
 * rename and move (admin rights, "create subfolders" on the new parent, no
 * cycles, same tree and module), default folders, deleting a subtree with
 * its items (removed for the owner and for every grantee, directly or
 * through a group), the public_folder_creators setting, and the schema
 * migration from version 2. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folders.h"
#include "groups.h"
#include "perms.h"
#include "server_fixture.h"

/* --- helpers ------------------------------------------------------------------ */

/* Folder/set as u; fails the test on a method-level error unless err. */
static json_t *fset(fx *f, const as_user *u, json_t *args, at_error *err)
{
	as_ctx ctx = fx_ctx(f, u, NULL);
	at_error local;
	at_error *e = err != NULL ? err : &local;
	at_error_clear(e);
	json_t *r = as_folder_set(&ctx, args, e);
	json_decref(args);
	if (r == NULL && err == NULL)
		fail_msg("Folder/set as %s: %s: %s", u->login, local.code, local.message);
	return r;
}

/* The single result of a one-entry Folder/set (new reference). */
static json_t *fset_one(fx *f, const as_user *u, json_t *args)
{
	json_t *r = fset(f, u, args, NULL);
	json_t *results = json_object_get(r, "results");
	check(json_array_size(results) == 1, "expected one result: %s", json_dumps(r, 0));
	json_t *one = json_incref(json_array_get(results, 0));
	json_decref(r);
	return one;
}

static json_t *create_args(const char *cid, const char *parent, const char *name,
			   const char *module, int public_flag)
{
	json_t *c = json_pack("{s:s,s:s,s:s}", "clientId", cid, "name", name, "module", module);
	json_object_set_new(c, "parentId", parent ? json_string(parent) : json_null());
	if (public_flag >= 0)
		json_object_set_new(c, "public", json_boolean(public_flag));
	return json_pack("{s:[o]}", "create", c);
}

/* Creates a folder; returns its id (fixture arena). */
static const char *mkfolder(fx *f, const as_user *u, const char *cid, const char *parent,
			    const char *name, const char *module, int public_flag)
{
	json_t *r = fset_one(f, u, create_args(cid, parent, name, module, public_flag));
	check(strcmp(fx_str(r, "status"), "ok") == 0, "create %s as %s: %s", name, u->login,
	      json_dumps(r, 0));
	const char *id = at_arena_strdup(f->arena, fx_str(r, "id"));
	assert_string_equal(fx_str(json_object_get(r, "folder"), "id"), id);
	json_decref(r);
	return id;
}

/* Expects a one-entry Folder/set to fail with code (and field). */
static void refused(fx *f, const as_user *u, json_t *args, const char *code,
		    const char *field)
{
	json_t *r = fset_one(f, u, args);
	check(strcmp(fx_str(r, "status"), "error") == 0, "as %s: expected %s, got %s",
	      u->login, code, json_dumps(r, 0));
	json_t *e = json_object_get(r, "error");
	check(strcmp(fx_str(e, "type"), code) == 0, "as %s: %s, expected %s", u->login,
	      json_dumps(e, 0), code);
	assert_string_equal(fx_str(e, "scope"), "folder");
	if (field != NULL)
		check(strcmp(fx_str(e, "field"), field) == 0, "field %s, expected %s",
		      fx_str(e, "field"), field);
	assert_null(json_object_get(r, "folder"));
	json_decref(r);
}

static json_t *update_args(const char *id, const char *name, const char *parent,
			   bool set_parent)
{
	json_t *u = json_pack("{s:s}", "id", id);
	if (name != NULL)
		json_object_set_new(u, "name", json_string(name));
	if (set_parent)
		json_object_set_new(u, "parentId", parent ? json_string(parent) : json_null());
	return json_pack("{s:[o]}", "update", u);
}

static json_t *delete_args(const char *id)
{
	return json_pack("{s:[{s:s}]}", "delete", "id", id);
}

static json_t *folder_sync(fx *f, const as_user *u, const char *since)
{
	as_ctx ctx = fx_ctx(f, u, NULL);
	json_t *args = since ? json_pack("{s:s}", "sinceToken", since) : json_object();
	at_error err;
	at_error_clear(&err);
	json_t *r = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	if (r == NULL)
		fail_msg("Folder/sync as %s: %s", u->login, err.message);
	return r;
}

static char *token_of(fx *f, const as_user *u)
{
	json_t *r = folder_sync(f, u, NULL);
	char *t = strdup(fx_str(r, "newToken"));
	json_decref(r);
	return t;
}

static json_t *find_folder(json_t *list, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (strcmp(fx_str(v, "id"), id) == 0)
			return v;
	return NULL;
}

static bool in_strings(json_t *list, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* The folder as u's full Folder/sync shows it (new reference), or NULL. */
static json_t *visible(fx *f, const as_user *u, const char *id)
{
	json_t *r = folder_sync(f, u, NULL);
	json_t *fo = json_incref(find_folder(json_object_get(r, "created"), id));
	json_decref(r);
	return fo;
}

/* Where id is in u's Folder/sync since tok: created, updated, removed or
 * none; *tok advances. */
static const char *where_since(fx *f, const as_user *u, char **tok, const char *id)
{
	json_t *r = folder_sync(f, u, *tok);
	const char *w = find_folder(json_object_get(r, "created"), id) ? "created"
		      : find_folder(json_object_get(r, "updated"), id) ? "updated"
		      : in_strings(json_object_get(r, "removed"), id) ? "removed" : "none";
	free(*tok);
	*tok = strdup(fx_str(r, "newToken"));
	json_decref(r);
	return w;
}

static void share(fx *f, const as_user *by, const char *folder, const char *type,
		  const char *who, const char *level)
{
	const char *key = strcmp(type, "group") == 0 ? "name" : "login";
	json_t *args;
	if (level == NULL)
		args = json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", folder, "remove", "type",
				 type, key, who);
	else
		args = json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", folder, "set",
				 "principal", "type", type, key, who, "level", level);
	as_ctx ctx = fx_ctx(f, by, NULL);
	at_error err;
	at_error_clear(&err);
	json_t *r = as_folder_set_permissions(&ctx, args, &err);
	json_decref(args);
	if (r == NULL)
		fail_msg("share %s with %s: %s", folder, who, err.message);
	json_decref(r);
}

static json_t *perms_of(fx *f, const as_user *u, const char *folder)
{
	as_ctx ctx = fx_ctx(f, u, NULL);
	json_t *args = json_pack("{s:s}", "folderId", folder);
	at_error err;
	at_error_clear(&err);
	json_t *r = as_folder_get_permissions(&ctx, args, &err);
	json_decref(args);
	if (r == NULL)
		fail_msg("getPermissions: %s", err.message);
	return r;
}

/* Level of u's grant on folder per Folder/getPermissions, or NULL. */
static const char *grant_level(fx *f, const as_user *viewer, const char *folder,
			       const char *login)
{
	json_t *r = perms_of(f, viewer, folder);
	const char *level = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r, "entries"), i, e) {
		json_t *login_v = json_object_get(json_object_get(e, "principal"), "login");
		if (json_is_string(login_v) && strcmp(json_string_value(login_v), login) == 0)
			level = at_arena_strdup(f->arena, fx_str(e, "level"));
	}
	json_decref(r);
	return level;
}

static const char *add_item(fx *f, const as_user *u, const char *folder, const char *cid,
			    const char *first)
{
	json_t *r = fx_sync(f, u, folder, NULL, 0, NULL,
			    fx_create(cid, json_pack("{s:s}", "firstName", first)), NULL);
	json_t *res = fx_result(r, 0);
	check(strcmp(fx_str(res, "status"), "ok") == 0, "item %s: %s", cid, json_dumps(res, 0));
	const char *id = at_arena_strdup(f->arena, fx_str(res, "id"));
	json_decref(r);
	return id;
}

static void add_user(fx *f, const char *login, const char *name, const as_user **u)
{
	at_error err;
	char email[64];
	snprintf(email, sizeof(email), "%s@example.org", login);
	if (as_account_create(f->store, f->arena, login, name, email, "Long-Enough-Pass-77",
			      u, &err) < 0)
		fail_msg("%s: %s", login, err.message);
}

static void group_with(fx *f, const char *name, const char *login)
{
	at_error err;
	if (as_group_create(f->store, f->arena, name, NULL, &err) < 0 &&
	    strcmp(err.code, "alreadyExists") != 0)
		fail_msg("group %s: %s", name, err.message);
	if (login != NULL && as_group_add_member(f->store, f->arena, name, login, &err) < 0)
		fail_msg("member %s: %s", login, err.message);
}

static void set_creators(const char *spec)
{
	at_error err;
	if (as_folders_set_public_creators(spec, &err) < 0)
		fail_msg("setting %s: %s", spec, err.message);
}

/* --- create --------------------------------------------------------------------- */

static void test_create_private_folders(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	char *tok = token_of(f, f->alice);
	const char *clients = mkfolder(f, f->alice, "c-1", ac, "Clients", "contacts", -1);
	const char *trips = mkfolder(f, f->alice, "c-2", NULL, "Trips", "calendar", 0);
	assert_string_equal(where_since(f, f->alice, &tok, clients), "created");
	json_t *fo = visible(f, f->alice, clients);
	assert_string_equal(fx_str(fo, "parentId"), ac);
	assert_string_equal(fx_str(fo, "name"), "Clients");
	assert_string_equal(fx_str(fo, "type"), "private");
	assert_string_equal(fx_str(fo, "module"), "contacts");
	assert_string_equal(fx_str(fo, "ownerId"), f->alice->id);
	assert_false(json_is_true(json_object_get(fo, "isDefault")));
	json_decref(fo);
	fo = visible(f, f->alice, trips);
	assert_true(json_is_null(json_object_get(fo, "parentId")));
	json_decref(fo);
	/* the owner holds Owner rights; no grant was written */
	json_t *perms = perms_of(f, f->alice, clients);
	assert_int_equal(json_array_size(json_object_get(perms, "entries")), 1);
	json_decref(perms);
	/* bob sees none of it */
	fo = visible(f, f->bob, clients);
	assert_null(fo);

	/* several in one call, the second below the first ("#clientId") */
	json_t *r = fset(f, f->alice, json_pack("{s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}]}",
						"create", "clientId", "c-3", "parentId", clients,
						"name", "Europe", "module", "contacts",
						"clientId", "c-4", "parentId", "#c-3", "name",
						"France", "module", "contacts"), NULL);
	json_t *res = json_object_get(r, "results");
	assert_int_equal(json_array_size(res), 2);
	const char *europe = fx_str(json_array_get(res, 0), "id");
	json_t *france = json_object_get(json_array_get(res, 1), "folder");
	assert_string_equal(fx_str(france, "parentId"), europe);
	assert_string_equal(fx_str(json_array_get(res, 1), "clientId"), "c-4");
	char *france_id = strdup(fx_str(france, "id"));
	json_decref(r);

	/* a replayed create answers what it made the first time */
	r = fset_one(f, f->alice, create_args("c-1", ac, "Clients", "contacts", -1));
	assert_string_equal(fx_str(r, "status"), "ok");
	assert_true(json_is_true(json_object_get(r, "replayed")));
	assert_string_equal(fx_str(r, "id"), clients);
	json_decref(r);
	/* a reference to a create that failed, or none */
	refused(f, f->alice, create_args("c-5", "#nope", "X", "contacts", -1),
		"invalidArguments", "parentId");
	free(france_id);
	free(tok);
}

static void test_names_and_shapes(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	mkfolder(f, f->alice, "c-1", ac, "Clients", "contacts", -1);
	/* unique among siblings, ignoring ASCII case */
	refused(f, f->alice, create_args("c-2", ac, "clients", "contacts", -1), "alreadyExists",
		"name");
	refused(f, f->alice, create_args("c-3", NULL, "CONTACTS", "contacts", -1),
		"alreadyExists", "name");
	/* the same name elsewhere is fine: another parent, another tree */
	mkfolder(f, f->alice, "c-4", NULL, "Clients", "contacts", -1);
	mkfolder(f, f->bob, "c-5", NULL, "Clients", "contacts", -1);
	/* lengths and control characters */
	char long_name[300];
	memset(long_name, 'n', 256);
	long_name[256] = '\0';
	refused(f, f->alice, create_args("c-6", ac, long_name, "contacts", -1),
		"invalidArguments", "name");
	long_name[255] = '\0';
	mkfolder(f, f->alice, "c-7", ac, long_name, "contacts", -1);
	/* 255 characters of two bytes each are fine too */
	char wide[600] = "";
	for (int i = 0; i < 255; i++)
		strcat(wide, "\xc3\xa9");
	mkfolder(f, f->alice, "c-8", ac, wide, "contacts", -1);
	static const char *const bad[] = {"", "a\tb", "line\nbreak", "del\x7f", "c1\xc2\x85"};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char cid[16];
		snprintf(cid, sizeof(cid), "bad-%zu", i);
		refused(f, f->alice, create_args(cid, ac, bad[i], "contacts", -1),
			"invalidArguments", "name");
	}
	/* module: the parent's, and never mail */
	refused(f, f->alice, create_args("c-9", ac, "Dates", "calendar", -1),
		"invalidArguments", "module");
	refused(f, f->alice, create_args("c-10", NULL, "Box", "mail", -1), "invalidArguments",
		"module");
	/* public: a subfolder follows its parent */
	refused(f, f->alice, create_args("c-11", ac, "Pub", "contacts", 1), "invalidArguments",
		"public");
	/* a parent that does not exist or cannot be seen */
	refused(f, f->alice, create_args("c-12", "000000000000000000000000", "X", "contacts", -1),
		"notFound", "parentId");
	refused(f, f->alice, create_args("c-13", f->bob_contacts, "X", "contacts", -1),
		"forbidden", "parentId");

	/* malformed calls are refused as a whole, naming the member */
	static const char *const shapes[][2] = {
		{"{\"bogus\": []}", "bogus"},
		{"{\"create\": {}}", "create"},
		{"{\"create\": [{\"name\": \"x\", \"module\": \"contacts\"}]}",
		 "create[0].clientId"},
		{"{\"create\": [{\"clientId\": \"a\", \"module\": \"contacts\"}]}",
		 "create[0].name"},
		{"{\"create\": [{\"clientId\": \"a\", \"name\": \"x\", \"module\": \"notes\"}]}",
		 "create[0].module"},
		{"{\"create\": [{\"clientId\": \"a\", \"name\": \"x\", \"module\": \"tasks\","
		 " \"public\": 1}]}", "create[0].public"},
		{"{\"create\": [{\"clientId\": \"a\", \"name\": \"x\", \"module\": \"tasks\","
		 " \"parentId\": 7}]}", "create[0].parentId"},
		{"{\"create\": [{\"clientId\": \"a\", \"name\": \"x\", \"module\": \"tasks\","
		 " \"extra\": 1}]}", "create[0]"},
		{"{\"update\": [{\"id\": \"abc\"}]}", "update[0]"},
		{"{\"update\": [{\"id\": \"a b\", \"name\": \"x\"}]}", "update[0].id"},
		{"{\"update\": [{\"id\": \"abc\", \"name\": 5}]}", "update[0].name"},
		{"{\"delete\": [{}]}", "delete[0].id"},
		{"{\"delete\": [\"abc\"]}", "delete[0]"},
	};
	for (size_t i = 0; i < N_ELEMS(shapes); i++) {
		at_error err;
		json_t *args = json_loads(shapes[i][0], 0, NULL);
		assert_non_null(args);
		json_t *r = fset(f, f->alice, args, &err);
		check(r == NULL, "shape %zu accepted", i);
		assert_string_equal(err.code, "invalidArguments");
		check(strcmp(err.field, shapes[i][1]) == 0, "shape %zu: field %s, expected %s", i,
		      err.field, shapes[i][1]);
	}
	/* at most AS_FOLDERS_MAX_CHANGES entries */
	json_t *many = json_array();
	for (int i = 0; i <= AS_FOLDERS_MAX_CHANGES; i++)
		json_array_append_new(many, json_pack("{s:s}", "id", "abc"));
	at_error err;
	assert_null(fset(f, f->alice, json_pack("{s:o}", "delete", many), &err));
	assert_string_equal(err.code, "invalidArguments");
	/* an empty call does nothing */
	json_t *r = fset(f, f->alice, json_object(), NULL);
	assert_int_equal(json_array_size(json_object_get(r, "results")), 0);
	json_decref(r);
}

static void test_default_folders_stay(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	const char *cal = fx_default_folder(f, f->alice, AT_MODULE_CALENDAR);
	char *tok = token_of(f, f->alice);
	refused(f, f->alice, delete_args(ac), "defaultFolder", "id");
	refused(f, f->alice, delete_args(cal), "defaultFolder", "id");
	refused(f, f->alice, update_args(ac, "Address Book", NULL, false), "defaultFolder", "id");
	const char *sub = mkfolder(f, f->alice, "c-1", ac, "Sub", "contacts", -1);
	refused(f, f->alice, update_args(ac, NULL, sub, true), "defaultFolder", "id");
	assert_string_equal(where_since(f, f->alice, &tok, ac), "none");
	assert_int_equal(fx_count(f, f->alice, ac), 0);
	/* a grantee with Owner rights cannot delete it either */
	share(f, f->alice, ac, "user", "bob", "owner");
	refused(f, f->bob, delete_args(ac), "defaultFolder", "id");
	json_t *fo = visible(f, f->alice, ac);
	assert_non_null(fo);
	json_decref(fo);
	free(tok);
}

/* A grantee with "create subfolders" creates in the owner's tree; the
 * folder is the owner's, with the parent's grants and Owner for its
 * creator. */
static void test_subfolders_of_shared_folder(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	refused(f, f->bob, create_args("b-0", ac, "Mine", "contacts", -1), "forbidden",
		"parentId");
	share(f, f->alice, ac, "user", "bob", "editor");
	refused(f, f->bob, create_args("b-1", ac, "Mine", "contacts", -1), "forbidden",
		"parentId");
	share(f, f->alice, ac, "user", "bob", "publishing-author");
	char *alice_tok = token_of(f, f->alice);
	const char *mine = mkfolder(f, f->bob, "b-2", ac, "Bob's", "contacts", -1);
	json_t *fo = visible(f, f->bob, mine);
	assert_string_equal(fx_str(fo, "type"), "shared");
	assert_string_equal(fx_str(fo, "ownerId"), f->alice->id);
	assert_string_equal(fx_str(fo, "parentId"), ac);
	assert_string_equal(fx_str(fo, "displayName"), "Alice Liddell \u2013 Bob's");
	json_decref(fo);
	assert_string_equal(where_since(f, f->alice, &alice_tok, mine), "created");
	fo = visible(f, f->alice, mine);
	assert_string_equal(fx_str(fo, "type"), "private");
	json_decref(fo);
	assert_string_equal(grant_level(f, f->alice, mine, "bob"), "owner");
	/* a subfolder alice creates inherits bob's grant on the parent */
	const char *hers = mkfolder(f, f->alice, "a-1", ac, "Hers", "contacts", -1);
	assert_string_equal(grant_level(f, f->alice, hers, "bob"), "publishing-author");
	/* bob may rename his own, not hers */
	json_t *r = fset_one(f, f->bob, update_args(mine, "Bob", NULL, false));
	assert_string_equal(fx_str(r, "status"), "ok");
	assert_string_equal(fx_str(json_object_get(r, "folder"), "name"), "Bob");
	json_decref(r);
	refused(f, f->bob, update_args(hers, "Mine now", NULL, false), "forbidden", "id");
	refused(f, f->bob, delete_args(hers), "forbidden", "id");
	fo = visible(f, f->alice, hers);
	assert_string_equal(fx_str(fo, "name"), "Hers");
	json_decref(fo);
	free(alice_tok);
}

/* --- rename and move ---------------------------------------------------------------- */

static void test_rename_and_move(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	const char *a = mkfolder(f, f->alice, "c-a", ac, "A", "contacts", -1);
	const char *b = mkfolder(f, f->alice, "c-b", ac, "B", "contacts", -1);
	const char *a1 = mkfolder(f, f->alice, "c-a1", a, "A1", "contacts", -1);
	const char *a11 = mkfolder(f, f->alice, "c-a11", a1, "A11", "contacts", -1);
	const char *cal = mkfolder(f, f->alice, "c-cal", NULL, "Cal", "calendar", -1);
	share(f, f->alice, a, "user", "bob", "reviewer");
	char *alice_tok = token_of(f, f->alice), *bob_tok = token_of(f, f->bob);

	/* rename: updated for the owner and the grantee */
	json_t *r = fset_one(f, f->alice, update_args(a, "Alpha", NULL, false));
	assert_string_equal(fx_str(r, "status"), "ok");
	json_t *fo = json_object_get(r, "folder");
	assert_string_equal(fx_str(fo, "name"), "Alpha");
	int64_t v1 = fx_int(fo, "version");
	json_decref(r);
	assert_string_equal(where_since(f, f->alice, &alice_tok, a), "updated");
	assert_string_equal(where_since(f, f->bob, &bob_tok, a), "updated");
	/* the same name again changes nothing */
	r = fset_one(f, f->alice, update_args(a, "Alpha", NULL, false));
	assert_int_equal(fx_int(json_object_get(r, "folder"), "version"), v1);
	json_decref(r);
	assert_string_equal(where_since(f, f->alice, &alice_tok, a), "none");
	/* a name taken by a sibling */
	refused(f, f->alice, update_args(a, "b", NULL, false), "alreadyExists", "name");

	/* move A1 (with A11) under B */
	r = fset_one(f, f->alice, update_args(a1, NULL, b, true));
	assert_string_equal(fx_str(r, "status"), "ok");
	assert_string_equal(fx_str(json_object_get(r, "folder"), "parentId"), b);
	json_decref(r);
	fo = visible(f, f->alice, a11);
	assert_string_equal(fx_str(fo, "parentId"), a1);
	json_decref(fo);
	/* no cycles: B into A1 (its child) or A11 (its grandchild), or into itself */
	refused(f, f->alice, update_args(b, NULL, a1, true), "invalidArguments", "parentId");
	refused(f, f->alice, update_args(b, NULL, a11, true), "invalidArguments", "parentId");
	refused(f, f->alice, update_args(b, NULL, b, true), "invalidArguments", "parentId");
	/* same module only */
	refused(f, f->alice, update_args(b, NULL, cal, true), "invalidArguments", "parentId");
	/* same tree only: not into bob's folders, even with rights there */
	share(f, f->bob, f->bob_contacts, "user", "alice", "owner");
	refused(f, f->alice, update_args(b, NULL, f->bob_contacts, true), "invalidArguments",
		"parentId");
	/* to the top of her own tree, and renamed on the way */
	r = fset_one(f, f->alice, update_args(a1, "Top", NULL, true));
	assert_string_equal(fx_str(r, "status"), "ok");
	fo = json_object_get(r, "folder");
	assert_true(json_is_null(json_object_get(fo, "parentId")));
	assert_string_equal(fx_str(fo, "name"), "Top");
	json_decref(r);
	/* the top of a private tree is its owner's: bob with Owner rights on B
	 * cannot put it there, but may move it within alice's tree where he
	 * may create subfolders */
	share(f, f->alice, b, "user", "bob", "owner");
	refused(f, f->bob, update_args(b, NULL, NULL, true), "forbidden", "parentId");
	refused(f, f->bob, update_args(b, NULL, a, true), "forbidden", "parentId");
	share(f, f->alice, a, "user", "bob", "publishing-editor");
	r = fset_one(f, f->bob, update_args(b, NULL, a, true));
	assert_string_equal(fx_str(r, "status"), "ok");
	json_decref(r);
	/* without admin on the folder: no rename, no move */
	refused(f, f->bob, update_args(a, "Mine", NULL, false), "forbidden", "id");
	refused(f, f->bob, update_args(a, NULL, ac, true), "forbidden", "id");
	fo = visible(f, f->alice, a);
	assert_string_equal(fx_str(fo, "name"), "Alpha");
	assert_string_equal(fx_str(fo, "parentId"), ac);
	json_decref(fo);
	free(alice_tok);
	free(bob_tok);
}

static void test_depth_limit(void **state)
{
	fx *f = *state;
	const char *parent = NULL, *first = NULL;
	char cid[16], name[16];
	for (int i = 1; i <= AS_FOLDER_MAX_DEPTH; i++) {
		snprintf(cid, sizeof(cid), "d-%d", i);
		snprintf(name, sizeof(name), "L%d", i);
		parent = mkfolder(f, f->alice, cid, parent, name, "tasks", -1);
		if (i == 1)
			first = parent;
	}
	refused(f, f->alice, create_args("d-x", parent, "Too deep", "tasks", -1),
		"invalidArguments", "parentId");
	/* moving a two-level tree under level 63 would make 65 levels */
	const char *t = mkfolder(f, f->alice, "t-1", NULL, "T", "tasks", -1);
	mkfolder(f, f->alice, "t-2", t, "T2", "tasks", -1);
	json_t *r = folder_sync(f, f->alice, NULL);
	const char *l63 = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(r, "created"), i, v)
		if (strcmp(fx_str(v, "name"), "L63") == 0)
			l63 = at_arena_strdup(f->arena, fx_str(v, "id"));
	json_decref(r);
	assert_non_null(l63);
	refused(f, f->alice, update_args(t, NULL, l63, true), "invalidArguments", "parentId");
	/* deleting the top removes all 64 levels */
	r = fset_one(f, f->alice, delete_args(first));
	assert_int_equal(json_array_size(json_object_get(r, "removed")), AS_FOLDER_MAX_DEPTH);
	json_decref(r);
}

/* --- delete ----------------------------------------------------------------------- */

static void test_delete_subtree_for_everyone(void **state)
{
	fx *f = *state;
	const as_user *carol;
	add_user(f, "carol", "Carol Jones", &carol);
	group_with(f, "team", "carol");
	const char *ac = f->alice_contacts;
	const char *a = mkfolder(f, f->alice, "c-a", ac, "A", "contacts", -1);
	share(f, f->alice, a, "user", "bob", "editor");
	share(f, f->alice, a, "group", "team", "reviewer");
	const char *b = mkfolder(f, f->alice, "c-b", a, "B", "contacts", -1);
	const char *c = mkfolder(f, f->alice, "c-c", b, "C", "contacts", -1);
	const char *ids[] = {a, b, c};
	const char *items[3];
	for (int i = 0; i < 3; i++) {
		char cid[8];
		snprintf(cid, sizeof(cid), "i-%d", i);
		items[i] = add_item(f, f->alice, ids[i], cid, "Someone");
	}
	const char *bobs = add_item(f, f->bob, b, "b-i", "Bob's");
	json_t *priv = fx_sync(f, f->alice, c, NULL, 0, NULL,
			       fx_create("p-1", json_pack("{s:s,s:b}", "firstName", "Secret",
							  "private", 1)), NULL);
	json_decref(priv);
	char *at = token_of(f, f->alice), *bt = token_of(f, f->bob), *ct = token_of(f, carol);
	json_t *r = fx_sync(f, f->bob, a, NULL, 0, NULL, NULL, NULL);
	char *bob_item_tok = strdup(fx_str(r, "newToken"));
	json_decref(r);
	for (int i = 0; i < 3; i++) {
		json_t *fo = visible(f, carol, ids[i]);
		check(fo != NULL, "carol does not see %s", ids[i]);
		json_decref(fo);
	}

	/* neither grantee is an admin: refused, nothing changes */
	refused(f, f->bob, delete_args(a), "forbidden", "id");
	refused(f, carol, delete_args(b), "forbidden", "id");
	assert_int_equal(fx_count(f, f->alice, b), 2);

	/* the owner deletes A: A, B and C go with their items */
	r = fset_one(f, f->alice, delete_args(a));
	assert_string_equal(fx_str(r, "status"), "ok");
	json_t *removed = json_object_get(r, "removed");
	assert_int_equal(json_array_size(removed), 3);
	for (int i = 0; i < 3; i++)
		assert_true(in_strings(removed, ids[i]));
	json_decref(r);
	/* every viewer's next Folder/sync has each of them in removed */
	const as_user *viewers[] = {f->alice, f->bob, carol};
	char *toks[] = {at, bt, ct};
	for (size_t u = 0; u < 3; u++) {
		json_t *fs = folder_sync(f, viewers[u], toks[u]);
		for (int i = 0; i < 3; i++)
			check(in_strings(json_object_get(fs, "removed"), ids[i]),
			      "%s: %s not removed: %s", viewers[u]->login, ids[i], json_dumps(fs, 0));
		assert_int_equal(json_array_size(json_object_get(fs, "created")), 0);
		json_decref(fs);
	}
	json_t *fs = folder_sync(f, f->alice, NULL);
	/* her three default folders and the Global Address Book */
	assert_int_equal(json_array_size(json_object_get(fs, "created")), 4);
	json_decref(fs);
	/* the folders and items are gone */
	at_error err;
	assert_null(fx_sync(f, f->bob, a, bob_item_tok, 0, NULL, NULL, &err));
	assert_string_equal(err.code, "notFound");
	assert_int_equal(fx_count(f, f->alice, c), -1);
	as_store *s = f->store;
	for (int i = 0; i < 4; i++) {
		as_item it = {0};
		bool found;
		assert_int_equal(s->ops->begin(s, false, &err), 0);
		assert_int_equal(s->ops->item_get(s, i < 3 ? items[i] : bobs, f->arena, &it, &found,
						  &err), 0);
		s->ops->rollback(s);
		assert_false(found);
	}
	/* deleting it again: notFound */
	refused(f, f->alice, delete_args(a), "notFound", "id");
	free(bob_item_tok);
	free(at);
	free(bt);
	free(ct);
}

/* --- public folders -------------------------------------------------------------- */

static void test_public_folders(void **state)
{
	fx *f = *state;
	const as_user *carol;
	add_user(f, "carol", "Carol Jones", &carol);
	set_creators("everyone");
	/* any user creates a top-level public folder and is its admin */
	const char *proj = mkfolder(f, f->bob, "b-1", NULL, "Projects", "contacts", 1);
	json_t *fo = visible(f, f->bob, proj);
	assert_string_equal(fx_str(fo, "type"), "public");
	assert_true(json_is_null(json_object_get(fo, "ownerId")));
	assert_true(json_is_null(json_object_get(fo, "parentId")));
	assert_string_equal(fx_str(fo, "displayName"), "Projects");
	assert_true(json_is_true(json_object_get(json_object_get(fo, "rights"), "admin")));
	json_decref(fo);
	assert_string_equal(grant_level(f, f->bob, proj, "bob"), "owner");
	/* names are unique at the top of the public tree */
	refused(f, f->alice, create_args("a-0", NULL, "projects", "contacts", 1),
		"alreadyExists", "name");
	/* a private folder of the same name is another tree */
	mkfolder(f, f->alice, "a-p", NULL, "Projects", "contacts", 0);
	/* others see it once granted */
	fo = visible(f, f->alice, proj);
	assert_null(fo);
	refused(f, f->alice, create_args("a-1", proj, "Alpha", "contacts", -1), "forbidden",
		"parentId");
	share(f, f->bob, proj, "user", "alice", "author");
	share(f, f->bob, proj, "user", "carol", "reviewer");
	/* nesting needs "create subfolders" */
	refused(f, f->alice, create_args("a-2", proj, "Alpha", "contacts", -1), "forbidden",
		"parentId");
	share(f, f->bob, proj, "user", "alice", "publishing-author");
	const char *alpha = mkfolder(f, f->alice, "a-3", proj, "Alpha", "contacts", 1);
	fo = visible(f, carol, alpha);
	assert_string_equal(fx_str(fo, "type"), "public");
	assert_string_equal(fx_str(fo, "parentId"), proj);
	json_decref(fo);
	/* the subfolder: the parent's grants, and Owner for its creator */
	assert_string_equal(grant_level(f, f->alice, alpha, "bob"), "owner");
	assert_string_equal(grant_level(f, f->alice, alpha, "alice"), "owner");
	assert_string_equal(grant_level(f, f->alice, alpha, "carol"), "reviewer");
	/* a non-admin's delete, rename or move of the public folder is refused */
	char *ct = token_of(f, carol);
	refused(f, f->alice, delete_args(proj), "forbidden", "id");
	refused(f, carol, delete_args(proj), "forbidden", "id");
	refused(f, carol, delete_args(alpha), "forbidden", "id");
	refused(f, f->alice, update_args(proj, "Mine", NULL, false), "forbidden", "id");
	assert_string_equal(where_since(f, carol, &ct, proj), "none");
	/* public folders move within the public tree only */
	refused(f, f->alice, update_args(alpha, NULL, f->alice_contacts, true),
		"invalidArguments", "parentId");
	/* the last admin stays */
	as_ctx ctx = fx_ctx(f, f->bob, NULL);
	at_error err;
	json_t *args = json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", proj, "remove", "type",
				 "user", "login", "bob");
	assert_null(as_folder_set_permissions(&ctx, args, &err));
	json_decref(args);
	assert_string_equal(err.code, "lastAdmin");
	/* bob deletes Projects: Alpha goes too, for everyone who saw it */
	char *at = token_of(f, f->alice);
	json_t *r = fset_one(f, f->bob, delete_args(proj));
	assert_string_equal(fx_str(r, "status"), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "removed")), 2);
	json_decref(r);
	assert_string_equal(where_since(f, carol, &ct, alpha), "removed");
	json_t *fs = folder_sync(f, f->alice, at);
	assert_true(in_strings(json_object_get(fs, "removed"), proj));
	assert_true(in_strings(json_object_get(fs, "removed"), alpha));
	json_decref(fs);
	free(at);
	free(ct);
}

static void test_public_creators_setting(void **state)
{
	fx *f = *state;
	static const struct { const char *spec; bool ok; } syntax[] = {
		{"everyone", true}, {"nobody", true}, {"alice", true}, {"alice, @staff", true},
		{"@staff bob,carol", true}, {"", false}, {" , ", false}, {"everyone, bob", false},
		{"nobody alice", false}, {"@", false}, {"Alice", false}, {"al ice!", false},
	};
	for (size_t i = 0; i < N_ELEMS(syntax); i++)
		check(as_folders_creators_valid(syntax[i].spec) == syntax[i].ok, "\"%s\"",
		      syntax[i].spec);
	at_error err;
	assert_int_equal(as_folders_set_public_creators("bad!", &err), -1);
	assert_string_equal(err.code, "invalidArguments");

	set_creators("nobody");
	refused(f, f->alice, create_args("a-1", NULL, "Company", "contacts", 1), "forbidden",
		"public");
	/* private folders are not concerned */
	mkfolder(f, f->alice, "a-2", NULL, "Company", "contacts", 0);
	set_creators("bob");
	refused(f, f->alice, create_args("a-3", NULL, "Company", "contacts", 1), "forbidden",
		"public");
	const char *company = mkfolder(f, f->bob, "b-1", NULL, "Company", "contacts", 1);
	set_creators("@staff");
	refused(f, f->bob, create_args("b-2", NULL, "Other", "contacts", 1), "forbidden",
		"public");
	group_with(f, "staff", "alice");
	const char *other = mkfolder(f, f->alice, "a-4", NULL, "Other", "contacts", 1);
	/* below a public folder the parent's rights decide, not the setting */
	const char *sub = mkfolder(f, f->bob, "b-3", company, "Sub", "contacts", 1);
	/* moving to the top of the public tree follows the setting too */
	refused(f, f->bob, update_args(sub, NULL, NULL, true), "forbidden", "parentId");
	set_creators("alice, @nosuchgroup, bob");
	json_t *r = fset_one(f, f->bob, update_args(sub, NULL, NULL, true));
	assert_string_equal(fx_str(r, "status"), "ok");
	json_decref(r);
	(void)other;
	set_creators("everyone");
}

/* --- schema ------------------------------------------------------------------------- */

static void test_migration_from_v2(void **state)
{
	fx *f = *state;
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, FX_UNDO_SCHEMA_V5 " DROP TABLE folder_client_ids;"
				      " DROP INDEX folders_parent;"
				      " PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_reopen(f);
	const char *sub = mkfolder(f, f->alice, "c-1", f->alice_contacts, "Sub", "contacts", -1);
	json_t *r = fset_one(f, f->alice, create_args("c-1", f->alice_contacts, "Sub",
						      "contacts", -1));
	assert_string_equal(fx_str(r, "id"), sub);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_users, fx_teardown)
		T(test_create_private_folders),
		T(test_names_and_shapes),
		T(test_default_folders_stay),
		T(test_subfolders_of_shared_folder),
		T(test_rename_and_move),
		T(test_depth_limit),
		T(test_delete_subtree_for_everyone),
		T(test_public_folders),
		T(test_public_creators_setting),
		T(test_migration_from_v2),
#undef T
	};
	return cmocka_run_group_tests_name("folders", tests, NULL, NULL);
}
