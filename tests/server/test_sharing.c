/* test_sharing.c — folder sharing through the API functions: Folder/sync of
 * a grantee (shared type, "Owner – Folder" name, effective rights, created,
 * updated and removed since a token), grants through groups (strongest
 * wins), what each level allows on items, private items, and the
 * Folder/getPermissions and Folder/setPermissions methods (admin only, the
 * owner keeps Owner rights, the last admin stays, unknown principals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "perms.h"
#include "server_fixture.h"

static json_t *call_ok(fx *f, const as_user *u, const char *method, json_t *args)
{
	at_error err;
	json_t *r = fx_call(f, u, NULL, method, args, &err);
	if (r == NULL)
		fail_msg("%s as %s: %s: %s", method, u->login, err.code, err.message);
	return r;
}

static void call_fails(fx *f, const as_user *u, const char *method, json_t *args,
		       const char *code, const char *field)
{
	at_error err;
	json_t *r = fx_call(f, u, NULL, method, args, &err);
	check(r == NULL, "%s as %s: expected %s, got %s", method, u->login, code,
	      json_dumps(r, 0));
	check(strcmp(err.code, code) == 0, "%s as %s: %s (%s), expected %s", method, u->login,
	      err.code, err.message, code);
	if (field != NULL)
		check(strcmp(err.field, field) == 0, "%s: field %s, expected %s", method,
		      err.field, field);
}

/* Folder/setPermissions of one principal to a level ("-" removes). */
static json_t *share(fx *f, const as_user *by, const char *folder, const char *type,
		     const char *who, const char *level)
{
	const char *key = strcmp(type, "group") == 0 ? "name" : "login";
	json_t *args;
	if (strcmp(level, "-") == 0)
		args = json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", folder, "remove", "type",
				 type, key, who);
	else
		args = json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", folder, "set",
				 "principal", "type", type, key, who, "level", level);
	return call_ok(f, by, "Folder/setPermissions", args);
}

static void share_ok(fx *f, const as_user *by, const char *folder, const char *type,
		     const char *who, const char *level)
{
	json_decref(share(f, by, folder, type, who, level));
}

static json_t *folder_sync(fx *f, const as_user *u, const char *since)
{
	json_t *args = since ? json_pack("{s:s}", "sinceToken", since) : json_object();
	return call_ok(f, u, "Folder/sync", args);
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

static const char *level_of(json_t *folder)
{
	at_rights r;
	if (at_rights_from_json(json_object_get(folder, "rights"), &r) < 0)
		fail_msg("bad rights");
	return at_level_name(at_rights_level(&r));
}

/* Folder/sync since *token (NULL: all); the token advances.  Expects id in
 * the named list ("created", "updated", "removed") or in none ("none"). */
static void expect_folder(fx *f, const as_user *u, char **token, const char *id,
			  const char *where, const char *level)
{
	json_t *r = folder_sync(f, u, *token);
	json_t *c = find_folder(json_object_get(r, "created"), id);
	json_t *up = find_folder(json_object_get(r, "updated"), id);
	bool rm = in_strings(json_object_get(r, "removed"), id);
	const char *got = c ? "created" : up ? "updated" : rm ? "removed" : "none";
	check(strcmp(got, where) == 0, "%s: folder %s in %s, expected %s: %s", u->login, id, got,
	      where, json_dumps(r, 0));
	check((c != NULL) + (up != NULL) + rm <= 1, "folder in two lists");
	if (level != NULL)
		check(strcmp(level_of(c ? c : up), level) == 0, "%s: level %s, expected %s",
		      u->login, level_of(c ? c : up), level);
	free(*token);
	*token = strdup(fx_str(r, "newToken"));
	json_decref(r);
}

static json_t *create_item(fx *f, const as_user *u, const char *folder, const char *cid,
			   json_t *fields)
{
	json_t *r = fx_sync(f, u, folder, NULL, 0, NULL, fx_create(cid, fields), NULL);
	json_t *res = fx_result(r, 0);
	check(strcmp(fx_str(res, "status"), "ok") == 0, "create %s: %s", cid,
	      json_dumps(res, 0));
	json_t *it = json_incref(json_object_get(res, "item"));
	json_decref(r);
	return it;
}

/* One change through Item/sync; returns the result's status, and its error
 * type in *type (static buffer) when it failed. */
static const char *one_change(fx *f, const as_user *u, const char *folder, json_t *changes,
			      char *type)
{
	static char status[16];
	json_t *r = fx_sync(f, u, folder, NULL, 0, NULL, changes, NULL);
	json_t *res = fx_result(r, 0);
	snprintf(status, sizeof(status), "%s", fx_str(res, "status"));
	type[0] = '\0';
	if (strcmp(status, "error") == 0)
		snprintf(type, 48, "%s", fx_str(json_object_get(res, "error"), "type"));
	json_decref(r);
	return status;
}

static void add_carol(fx *f, const as_user **carol)
{
	at_error err;
	if (as_account_create(f->store, f->arena, "carol", "Carol Jones", "carol@example.org",
			      "Carol-Sings-99!", carol, &err) < 0)
		fail_msg("carol: %s", err.message);
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

/* --- Folder/sync of a grantee ------------------------------------------------ */

static void test_folder_sync_of_grantee(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	char *bob_tok = NULL, *alice_tok = NULL;
	expect_folder(f, f->bob, &bob_tok, ac, "none", NULL);
	expect_folder(f, f->alice, &alice_tok, ac, "created", "owner");

	/* a grant: created for bob, updated for alice (permissions changed) */
	share_ok(f, f->alice, ac, "user", "bob", "reviewer");
	json_t *r = folder_sync(f, f->bob, bob_tok);
	json_t *fo = find_folder(json_object_get(r, "created"), ac);
	check(fo != NULL, "not created for bob: %s", json_dumps(r, 0));
	assert_string_equal(fx_str(fo, "type"), "shared");
	assert_string_equal(fx_str(fo, "displayName"), "Alice Liddell \u2013 Contacts");
	assert_string_equal(fx_str(fo, "name"), "Contacts");
	assert_string_equal(fx_str(fo, "ownerId"), f->alice->id);
	assert_string_equal(level_of(fo), "reviewer");
	assert_int_equal(json_array_size(json_object_get(r, "created")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "updated")), 0);
	json_decref(r);
	expect_folder(f, f->bob, &bob_tok, ac, "created", "reviewer");
	free(bob_tok);
	bob_tok = NULL;
	expect_folder(f, f->bob, &bob_tok, ac, "created", "reviewer");   /* full */
	expect_folder(f, f->bob, &bob_tok, ac, "none", NULL);            /* nothing new */
	expect_folder(f, f->alice, &alice_tok, ac, "updated", "owner");
	/* alice's own view is still private under its plain name */
	r = folder_sync(f, f->alice, NULL);
	fo = find_folder(json_object_get(r, "created"), ac);
	assert_string_equal(fx_str(fo, "type"), "private");
	assert_string_equal(fx_str(fo, "displayName"), "Contacts");
	json_decref(r);

	/* a rights change: updated */
	share_ok(f, f->alice, ac, "user", "bob", "author");
	expect_folder(f, f->bob, &bob_tok, ac, "updated", "author");
	/* the same rights again change nothing */
	share_ok(f, f->alice, ac, "user", "bob", "author");
	expect_folder(f, f->bob, &bob_tok, ac, "none", NULL);
	/* items changing in the folder do not change the folder */
	json_decref(create_item(f, f->alice, ac, "a-1", json_pack("{s:s}", "firstName", "A")));
	expect_folder(f, f->bob, &bob_tok, ac, "none", NULL);

	/* a revoke: removed, and Item/sync is forbidden */
	char *before_revoke = strdup(bob_tok);
	share_ok(f, f->alice, ac, "user", "bob", "-");
	expect_folder(f, f->bob, &bob_tok, ac, "removed", NULL);
	expect_folder(f, f->bob, &bob_tok, ac, "none", NULL);
	at_error err;
	assert_null(fx_sync(f, f->bob, ac, NULL, 0, NULL, NULL, &err));
	assert_string_equal(err.code, "forbidden");
	/* a full listing has neither the folder nor removals */
	r = folder_sync(f, f->bob, NULL);
	/* his three and the Global Address Book */
	assert_int_equal(json_array_size(json_object_get(r, "created")), 4);
	assert_int_equal(json_array_size(json_object_get(r, "removed")), 0);
	json_decref(r);

	/* granted again: created, not removed (also from before the revoke) */
	share_ok(f, f->alice, ac, "user", "bob", "editor");
	char *t = strdup(before_revoke);
	expect_folder(f, f->bob, &t, ac, "created", "editor");
	expect_folder(f, f->bob, &bob_tok, ac, "created", "editor");
	/* a level that cannot see is a loss of sight too */
	share_ok(f, f->alice, ac, "user", "bob", "none");
	expect_folder(f, f->bob, &bob_tok, ac, "removed", NULL);
	free(t);
	free(before_revoke);
	free(bob_tok);
	free(alice_tok);
}

static void test_grants_through_groups(void **state)
{
	fx *f = *state;
	const as_user *carol;
	const char *ac = f->alice_contacts;
	add_carol(f, &carol);
	group_with(f, "sales", "bob");
	char *bob_tok = NULL, *carol_tok = NULL;
	expect_folder(f, f->bob, &bob_tok, ac, "none", NULL);
	expect_folder(f, carol, &carol_tok, ac, "none", NULL);

	share_ok(f, f->alice, ac, "group", "sales", "reviewer");
	expect_folder(f, f->bob, &bob_tok, ac, "created", "reviewer");
	expect_folder(f, carol, &carol_tok, ac, "none", NULL);
	/* joining the group later: created for the new member */
	group_with(f, "sales", "carol");
	expect_folder(f, carol, &carol_tok, ac, "created", "reviewer");
	expect_folder(f, f->bob, &bob_tok, ac, "none", NULL);

	/* the strongest of user and group grant wins, right by right */
	share_ok(f, f->alice, ac, "user", "bob", "author");
	expect_folder(f, f->bob, &bob_tok, ac, "updated", "author");
	expect_folder(f, carol, &carol_tok, ac, "updated", "reviewer");
	share_ok(f, f->alice, ac, "group", "sales", "editor");
	expect_folder(f, f->bob, &bob_tok, ac, "updated", "editor");
	expect_folder(f, carol, &carol_tok, ac, "updated", "editor");
	json_t *args = json_pack("{s:s,s:[{s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:b}}]}",
				 "folderId", ac, "set", "principal", "type", "user", "login",
				 "bob", "rights", "folder", "subfolders", "read", "none",
				 "write", "own", "delete", "none", "admin", 0);
	json_decref(call_ok(f, f->alice, "Folder/setPermissions", args));
	/* editor (group) widened by subfolders (user): publishing editor */
	expect_folder(f, f->bob, &bob_tok, ac, "updated", "publishing-editor");

	/* the group's grant revoked: carol loses the folder, bob keeps his own */
	share_ok(f, f->alice, ac, "group", "sales", "-");
	expect_folder(f, carol, &carol_tok, ac, "removed", NULL);
	json_t *r = folder_sync(f, f->bob, bob_tok);
	json_t *fo = find_folder(json_object_get(r, "updated"), ac);
	check(fo != NULL, "bob: %s", json_dumps(r, 0));
	assert_string_equal(level_of(fo), "custom");
	assert_false(in_strings(json_object_get(r, "removed"), ac));
	json_decref(r);
	free(bob_tok);
	free(carol_tok);
}

/* --- items of a shared folder --------------------------------------------------- */

static void test_item_rights_by_level(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	char type[48];
	json_t *a1 = create_item(f, f->alice, ac, "a-1", json_pack("{s:s}", "firstName", "Ann"));
	const char *a1_id = fx_str(a1, "id");
	int64_t a1_v = fx_int(a1, "version");

	/* reviewer: reads, changes nothing */
	share_ok(f, f->alice, ac, "user", "bob", "reviewer");
	assert_int_equal(fx_count(f, f->bob, ac), 1);
	json_t *got = fx_get(f, f->bob, ac, a1_id);
	assert_non_null(got);
	json_decref(got);
	json_t *r = fx_sync(f, f->bob, ac, NULL, 0, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "changes"),
							 "upserted")), 1);
	json_decref(r);
	assert_string_equal(one_change(f, f->bob, ac, fx_create("b-1", json_pack("{s:s}",
				       "firstName", "Bob's")), type), "error");
	assert_string_equal(type, "forbidden");
	assert_string_equal(one_change(f, f->bob, ac, fx_update(a1_id, a1_v, json_pack("{s:s}",
				       "firstName", "X")), type), "error");
	assert_string_equal(type, "forbidden");
	assert_string_equal(one_change(f, f->bob, ac, fx_delete(a1_id, a1_v), type), "error");
	assert_string_equal(type, "forbidden");
	assert_int_equal(fx_count(f, f->alice, ac), 1);
	got = fx_get(f, f->alice, ac, a1_id);
	assert_int_equal(fx_int(got, "version"), a1_v);
	json_decref(got);

	/* author: own items only */
	share_ok(f, f->alice, ac, "user", "bob", "author");
	json_t *b1 = create_item(f, f->bob, ac, "b-1", json_pack("{s:s}", "firstName", "Bo"));
	assert_string_equal(fx_str(b1, "createdBy"), f->bob->id);
	assert_string_equal(one_change(f, f->bob, ac, fx_update(fx_str(b1, "id"),
				       fx_int(b1, "version"), json_pack("{s:s}", "lastName",
				       "Stone")), type), "ok");
	assert_string_equal(one_change(f, f->bob, ac, fx_update(a1_id, a1_v, json_pack("{s:s}",
				       "firstName", "X")), type), "error");
	assert_string_equal(type, "forbidden");
	assert_string_equal(one_change(f, f->bob, ac, fx_delete(a1_id, a1_v), type), "error");
	assert_string_equal(type, "forbidden");
	got = fx_get(f, f->bob, ac, fx_str(b1, "id"));
	assert_string_equal(one_change(f, f->bob, ac, fx_delete(fx_str(b1, "id"),
				       fx_int(got, "version")), type), "ok");
	json_decref(got);
	assert_int_equal(fx_count(f, f->alice, ac), 1);

	/* contributor: sees the folder, creates, reads nothing */
	share_ok(f, f->alice, ac, "user", "bob", "contributor");
	assert_int_equal(fx_count(f, f->bob, ac), 0);
	assert_string_equal(one_change(f, f->bob, ac, fx_create("b-2", json_pack("{s:s}",
				       "firstName", "Drop")), type), "ok");
	assert_int_equal(fx_count(f, f->alice, ac), 2);
	json_decref(a1);
	json_decref(b1);
}

static void test_private_items_stay_private(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	json_t *pub = create_item(f, f->alice, ac, "a-1", json_pack("{s:s}", "firstName", "Pub"));
	json_t *priv = create_item(f, f->alice, ac, "a-2",
				   json_pack("{s:s,s:b}", "firstName", "Priv", "private", 1));
	const char *priv_id = fx_str(priv, "id");
	share_ok(f, f->alice, ac, "user", "bob", "editor");

	assert_int_equal(fx_count(f, f->bob, ac), 1);
	assert_null(fx_get(f, f->bob, ac, priv_id));
	json_t *r = fx_sync(f, f->bob, ac, NULL, 0, NULL, NULL, NULL);
	json_t *ups = json_object_get(json_object_get(r, "changes"), "upserted");
	assert_int_equal(json_array_size(ups), 1);
	assert_string_equal(fx_str(json_array_get(ups, 0), "id"), fx_str(pub, "id"));
	char *tok = strdup(fx_str(r, "newToken"));
	json_decref(r);
	/* an editor cannot touch it either */
	char type[48];
	assert_string_equal(one_change(f, f->bob, ac, fx_update(priv_id, fx_int(priv, "version"),
				       json_pack("{s:s}", "firstName", "X")), type), "error");
	assert_string_equal(type, "itemDeleted");

	/* made private: removed for bob */
	r = fx_sync(f, f->alice, ac, NULL, 0, NULL,
		    fx_update(fx_str(pub, "id"), fx_int(pub, "version"),
			      json_pack("{s:b}", "private", 1)), NULL);
	int64_t v = fx_int(json_object_get(fx_result(r, 0), "item"), "version");
	json_decref(r);
	r = fx_sync(f, f->bob, ac, tok, 0, NULL, NULL, NULL);
	json_t *ch = json_object_get(r, "changes");
	assert_int_equal(json_array_size(json_object_get(ch, "upserted")), 0);
	assert_true(in_strings(json_object_get(ch, "removed"), fx_str(pub, "id")));
	free(tok);
	tok = strdup(fx_str(r, "newToken"));
	json_decref(r);
	assert_int_equal(fx_count(f, f->bob, ac), 0);

	/* made public again: back for bob */
	r = fx_sync(f, f->alice, ac, NULL, 0, NULL,
		    fx_update(fx_str(pub, "id"), v, json_pack("{s:b}", "private", 0)), NULL);
	json_decref(r);
	r = fx_sync(f, f->bob, ac, tok, 0, NULL, NULL, NULL);
	ch = json_object_get(r, "changes");
	assert_int_equal(json_array_size(json_object_get(ch, "upserted")), 1);
	assert_int_equal(json_array_size(json_object_get(ch, "removed")), 0);
	json_decref(r);
	free(tok);
	/* bob's own private item in alice's folder: alice does not see it */
	json_t *bp = create_item(f, f->bob, ac, "b-1",
				 json_pack("{s:s,s:b}", "firstName", "Mine", "private", 1));
	assert_null(fx_get(f, f->alice, ac, fx_str(bp, "id")));
	json_t *mine = fx_get(f, f->bob, ac, fx_str(bp, "id"));
	assert_non_null(mine);
	json_decref(mine);
	json_decref(bp);
	json_decref(pub);
	json_decref(priv);
}

/* --- getPermissions / setPermissions ------------------------------------------ */

static void test_get_and_set_permissions(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	group_with(f, "sales", NULL);
	json_t *r = call_ok(f, f->alice, "Folder/getPermissions",
			    json_pack("{s:s}", "folderId", ac));
	assert_string_equal(fx_str(r, "folderId"), ac);
	json_t *entries = json_object_get(r, "entries");
	assert_int_equal(json_array_size(entries), 1);
	json_t *e = json_array_get(entries, 0);
	json_t *p = json_object_get(e, "principal");
	assert_string_equal(fx_str(p, "type"), "user");
	assert_string_equal(fx_str(p, "id"), f->alice->id);
	assert_string_equal(fx_str(p, "login"), "alice");
	assert_string_equal(fx_str(p, "displayName"), "Alice Liddell");
	assert_string_equal(fx_str(e, "level"), "owner");
	json_decref(r);

	/* bob sees nothing of it */
	call_fails(f, f->bob, "Folder/getPermissions", json_pack("{s:s}", "folderId", ac),
		   "forbidden", "folderId");
	call_fails(f, f->bob, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", ac, "set",
			     "principal", "type", "user", "login", "bob", "level", "owner"),
		   "forbidden", "folderId");

	/* set two at once */
	r = call_ok(f, f->alice, "Folder/setPermissions",
		    json_pack("{s:s,s:[{s:{s:s,s:s},s:s},{s:{s:s,s:s},s:s}]}", "folderId", ac,
			      "set", "principal", "type", "group", "name", "sales", "level",
			      "author", "principal", "type", "user", "login", "bob", "level",
			      "reviewer"));
	entries = json_object_get(r, "entries");
	assert_int_equal(json_array_size(entries), 3);
	/* owner, users, groups */
	assert_string_equal(fx_str(json_object_get(json_array_get(entries, 1), "principal"),
				   "login"), "bob");
	assert_string_equal(fx_str(json_array_get(entries, 1), "level"), "reviewer");
	p = json_object_get(json_array_get(entries, 2), "principal");
	assert_string_equal(fx_str(p, "type"), "group");
	assert_string_equal(fx_str(p, "name"), "sales");
	assert_string_equal(fx_str(p, "displayName"), "sales");
	assert_string_equal(fx_str(json_array_get(entries, 2), "level"), "author");
	json_decref(r);
	/* bob (no admin) may now read the list, still not change it */
	r = call_ok(f, f->bob, "Folder/getPermissions", json_pack("{s:s}", "folderId", ac));
	assert_int_equal(json_array_size(json_object_get(r, "entries")), 3);
	json_decref(r);
	call_fails(f, f->bob, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", ac, "remove", "type", "group",
			     "name", "sales"), "forbidden", "folderId");

	/* the owner keeps Owner rights */
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", ac, "remove", "type", "user",
			     "login", "alice"), "lastAdmin", "remove[0]");
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", ac, "set", "principal",
			     "type", "user", "login", "alice", "level", "reviewer"),
		   "lastAdmin", "set[0]");
	/* unknown principals, bad levels and shapes */
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", ac, "set", "principal",
			     "type", "user", "login", "zed", "level", "reviewer"),
		   "invalidArguments", "set[0].principal");
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", ac, "remove", "type", "group",
			     "name", "nosuch"), "invalidArguments", "remove[0]");
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", ac, "set", "principal",
			     "type", "user", "login", "bob", "level", "custom"),
		   "invalidArguments", "set[0]");
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s}}]}", "folderId", ac, "set", "principal",
			     "type", "user", "login", "bob"), "invalidArguments", "set[0]");
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s},s:s}],s:[{s:s,s:s}]}", "folderId", ac,
			     "set", "principal", "type", "user", "login", "bob", "level",
			     "editor", "remove", "type", "user", "login", "bob"),
		   "invalidArguments", NULL);
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:b}", "folderId", ac, "bogus", 1), "invalidArguments",
		   "bogus");
	/* none of the refused calls changed anything */
	r = call_ok(f, f->alice, "Folder/getPermissions", json_pack("{s:s}", "folderId", ac));
	assert_int_equal(json_array_size(json_object_get(r, "entries")), 3);
	assert_string_equal(fx_str(json_array_get(json_object_get(r, "entries"), 1), "level"),
			    "reviewer");
	json_decref(r);

	/* an admin who is not the owner may change permissions */
	share_ok(f, f->alice, ac, "user", "bob", "owner");
	r = share(f, f->bob, ac, "group", "sales", "-");
	assert_int_equal(json_array_size(json_object_get(r, "entries")), 2);
	json_decref(r);
	/* and even drop his own admin: the owner remains one */
	share_ok(f, f->bob, ac, "user", "bob", "editor");
	call_fails(f, f->bob, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", ac, "remove", "type", "user",
			     "login", "bob"), "forbidden", NULL);
}

static void test_last_admin_of_public_folder(void **state)
{
	fx *f = *state;
	at_error err;
	as_store *s = f->store;
	/* a public folder (no owner) with alice as its admin */
	as_folder pub = {.id = "public-1", .name = "Company", .module = AT_MODULE_CONTACTS,
			 .type = AT_FOLDER_PUBLIC};
	at_rights owner = at_level_rights(AT_LEVEL_OWNER);
	if (s->ops->begin(s, true, &err) < 0 || s->ops->folder_add(s, &pub, &err) < 0 ||
	    s->ops->grant_set(s, pub.id, f->alice->id, false, &owner, &err) < 0 ||
	    s->ops->commit(s, &err) < 0)
		fail_msg("public folder: %s", err.message);
	char *tok = NULL;
	expect_folder(f, f->alice, &tok, pub.id, "created", "owner");
	free(tok);
	json_t *r = call_ok(f, f->alice, "Folder/getPermissions",
			    json_pack("{s:s}", "folderId", pub.id));
	assert_int_equal(json_array_size(json_object_get(r, "entries")), 1);   /* no owner entry */
	json_decref(r);
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", pub.id, "remove", "type", "user",
			     "login", "alice"), "lastAdmin", NULL);
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", pub.id, "set",
			     "principal", "type", "user", "login", "alice", "level", "editor"),
		   "lastAdmin", NULL);
	/* another admin first, then alice may go */
	share_ok(f, f->alice, pub.id, "user", "bob", "owner");
	r = share(f, f->alice, pub.id, "user", "alice", "-");
	json_t *entries = json_object_get(r, "entries");
	assert_int_equal(json_array_size(entries), 1);
	assert_string_equal(fx_str(json_object_get(json_array_get(entries, 0), "principal"),
				   "login"), "bob");
	json_decref(r);
	/* alice lost the folder */
	call_fails(f, f->alice, "Folder/getPermissions", json_pack("{s:s}", "folderId", pub.id),
		   "forbidden", "folderId");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_users, fx_teardown)
		T(test_folder_sync_of_grantee),
		T(test_grants_through_groups),
		T(test_item_rights_by_level),
		T(test_private_items_stay_private),
		T(test_get_and_set_permissions),
		T(test_last_admin_of_public_folder),
#undef T
	};
	return cmocka_run_group_tests_name("sharing", tests, NULL, NULL);
}
