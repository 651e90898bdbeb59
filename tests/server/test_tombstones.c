/* test_tombstones.c — forgetting old folder deletions and lost access:
 * purge_tombstones removes the folder tombstones deleted before its time and
 * raises the horizon over them, removes the access tombstones at or below
 * the horizon, keeps newer ones of both kinds; Folder/sync answers
 * cannotCalculateChanges (scope account, field sinceToken) for a token
 * older than the horizon and still answers a token at it and a null one. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol.h"
#include "server_fixture.h"

/* --- helpers ------------------------------------------------------------------ */

static json_t *call_ok(fx *f, const as_user *u, const char *method, json_t *args)
{
	at_error err;
	json_t *r = fx_call(f, u, NULL, method, args, &err);
	if (r == NULL)
		fail_msg("%s as %s: %s: %s", method, u->login, err.code, err.message);
	return r;
}

/* A private contacts folder of u under parent; its id (fixture arena). */
static const char *mkfolder(fx *f, const as_user *u, const char *cid, const char *parent,
			    const char *name)
{
	json_t *r = call_ok(f, u, "Folder/set",
			    json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "create", "clientId", cid,
				      "name", name, "module", "contacts", "parentId", parent));
	json_t *one = json_array_get(json_object_get(r, "results"), 0);
	check(strcmp(fx_str(one, "status"), "ok") == 0, "create %s: %s", name,
	      json_dumps(r, 0));
	const char *id = at_arena_strdup(f->arena, fx_str(one, "id"));
	json_decref(r);
	return id;
}

static void rmfolder(fx *f, const as_user *u, const char *id)
{
	json_t *r = call_ok(f, u, "Folder/set", json_pack("{s:[{s:s}]}", "delete", "id", id));
	json_t *one = json_array_get(json_object_get(r, "results"), 0);
	check(strcmp(fx_str(one, "status"), "ok") == 0, "delete %s: %s", id, json_dumps(r, 0));
	json_decref(r);
}

/* Gives bob a level on folder ("-": takes his grant away). */
static void share_bob(fx *f, const char *folder, const char *level)
{
	json_t *args;
	if (strcmp(level, "-") == 0)
		args = json_pack("{s:s,s:[{s:s,s:s}]}", "folderId", folder, "remove", "type",
				 "user", "login", "bob");
	else
		args = json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", folder, "set",
				 "principal", "type", "user", "login", "bob", "level", level);
	json_decref(call_ok(f, f->alice, "Folder/setPermissions", args));
}

/* Folder/sync's newToken now (strdup'ed). */
static char *token_now(fx *f, const as_user *u)
{
	json_t *r = call_ok(f, u, "Folder/sync", json_object());
	char *t = strdup(fx_str(r, "newToken"));
	json_decref(r);
	return t;
}

static json_t *folder_sync(fx *f, const as_user *u, const char *since, at_error *err)
{
	json_t *args = since ? json_pack("{s:s}", "sinceToken", since) : json_object();
	return fx_call(f, u, NULL, "Folder/sync", args, err);
}

static void expect_too_old(fx *f, const as_user *u, const char *since)
{
	at_error err;
	json_t *r = folder_sync(f, u, since, &err);
	check(r == NULL, "Folder/sync as %s since %s answered %s", u->login, since,
	      json_dumps(r, 0));
	assert_string_equal(err.code, "cannotCalculateChanges");
	assert_int_equal(err.scope, AT_SCOPE_ACCOUNT);
	assert_string_equal(err.field, "sinceToken");
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

static bool listed(json_t *folders, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(folders, i, v)
		if (strcmp(fx_str(v, "id"), id) == 0)
			return true;
	return false;
}

/* The removed list of Folder/sync since token (new reference). */
static json_t *removed_since(fx *f, const as_user *u, const char *since)
{
	at_error err;
	json_t *r = folder_sync(f, u, since, &err);
	if (r == NULL)
		fail_msg("Folder/sync as %s since %s: %s: %s", u->login, since, err.code,
			 err.message);
	json_t *rm = json_incref(json_object_get(r, "removed"));
	json_decref(r);
	return rm;
}

static int64_t horizon_now(fx *f)
{
	at_error err;
	int64_t h = -1;
	if (f->store->ops->horizon(f->store, &h, &err) < 0)
		fail_msg("horizon: %s", err.message);
	return h;
}

static int64_t purge(fx *f, int64_t before)
{
	as_store *s = f->store;
	at_error err;
	int64_t n = -1;
	if (s->ops->begin(s, true, &err) < 0 || s->ops->purge_tombstones(s, before, &n, &err) < 0 ||
	    s->ops->commit(s, &err) < 0)
		fail_msg("purge: %s", err.message);
	return n;
}

static int64_t count_rows(fx *f, const char *sql)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Makes the folder tombstone of id look deleted an hour ago. */
static void backdate(fx *f, const char *id)
{
	char path[512], sql[256];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	snprintf(sql, sizeof(sql),
		 "UPDATE folder_tombstones SET deleted_at = deleted_at - 3600 WHERE id = '%s'", id);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

static int64_t modseq_of(const char *token)
{
	at_token t;
	at_error err;
	if (at_token_parse(token, &t, &err) < 0)
		fail_msg("token %s: %s", token, err.message);
	return t.modseq;
}

/* --- tests ----------------------------------------------------------------- */

static void test_purge_folder_and_access_tombstones(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	const char *s1 = mkfolder(f, f->alice, "c-s1", ac, "Shared one");
	const char *s2 = mkfolder(f, f->alice, "c-s2", ac, "Shared two");
	const char *x = mkfolder(f, f->alice, "c-x", ac, "Old");
	const char *y = mkfolder(f, f->alice, "c-y", ac, "New");
	share_bob(f, s1, "reviewer");
	share_bob(f, s2, "reviewer");
	char *a0 = token_now(f, f->alice), *b0 = token_now(f, f->bob);

	/* bob loses S1, alice deletes X (an hour ago, as far as the purge
	 * knows), bob loses S2, alice deletes Y */
	share_bob(f, s1, "-");
	rmfolder(f, f->alice, x);
	backdate(f, x);
	char *a_mid = token_now(f, f->alice), *b_mid = token_now(f, f->bob);
	share_bob(f, s2, "-");
	rmfolder(f, f->alice, y);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM folder_tombstones"), 2);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM folder_access_tombstones"), 2);
	json_t *rm = removed_since(f, f->bob, b0);
	assert_true(in_strings(rm, s1) && in_strings(rm, s2));
	json_decref(rm);
	assert_int_equal(horizon_now(f), 0);

	/* older than half an hour: X goes, the horizon is X's deletion, and
	 * the loss of S1 (before it) goes too; Y and the loss of S2 stay */
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(purge(f, now - 1800), 2);
	assert_int_equal(horizon_now(f), modseq_of(a_mid));
	assert_int_equal(count_rows(f, "SELECT count(*) FROM folder_tombstones"), 1);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM folder_tombstones WHERE id = '%s'", y);
	assert_int_equal(count_rows(f, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM folder_access_tombstones WHERE folder_id = '%s'", s2);
	assert_int_equal(count_rows(f, sql), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM folder_access_tombstones"), 1);

	/* tokens before the horizon cannot be answered */
	expect_too_old(f, f->alice, a0);
	expect_too_old(f, f->bob, b0);
	/* a token inside the group of changes at the horizon neither */
	at_token inside = {.modseq = modseq_of(a_mid)};
	snprintf(inside.last_id, sizeof(inside.last_id), "%s", "some-item");
	char inside_s[AT_TOKEN_MAX];
	at_token_format(&inside, inside_s);
	expect_too_old(f, f->alice, inside_s);
	/* a token at the horizon still works and tells the kept ones */
	rm = removed_since(f, f->alice, a_mid);
	assert_int_equal(json_array_size(rm), 1);
	assert_true(in_strings(rm, y));
	json_decref(rm);
	rm = removed_since(f, f->bob, b_mid);
	assert_int_equal(json_array_size(rm), 1);
	assert_true(in_strings(rm, s2));
	json_decref(rm);

	/* a second purge of the same age forgets nothing more */
	assert_int_equal(purge(f, now - 1800), 0);
	assert_int_equal(horizon_now(f), modseq_of(a_mid));

	/* everything up to now: Y and the loss of S2 go */
	assert_int_equal(purge(f, now + 60), 2);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM folder_tombstones"), 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM folder_access_tombstones"), 0);
	expect_too_old(f, f->alice, a_mid);
	expect_too_old(f, f->bob, b_mid);
	/* the whole tree is still there to read: bob sees neither share */
	at_error err;
	json_t *r = folder_sync(f, f->bob, NULL, &err);
	assert_non_null(r);
	json_t *created = json_object_get(r, "created");
	assert_false(listed(created, s1) || listed(created, s2));
	assert_true(listed(created, f->bob_contacts));
	char *b_new = strdup(fx_str(r, "newToken"));
	json_decref(r);
	r = folder_sync(f, f->alice, NULL, &err);
	created = json_object_get(r, "created");
	assert_true(listed(created, s1) && listed(created, s2));
	assert_false(listed(created, x) || listed(created, y));
	json_decref(r);
	/* and its token goes on incrementally */
	share_bob(f, s1, "reviewer");
	r = folder_sync(f, f->bob, b_new, &err);
	assert_non_null(r);
	assert_true(listed(json_object_get(r, "created"), s1));
	json_decref(r);
	free(b_new);
	free(a0);
	free(b0);
	free(a_mid);
	free(b_mid);
}

/* An item deletion purged after a lost access takes the access tombstone
 * with it (access tombstones have no time of their own); an access
 * tombstone newer than every purged deletion stays. */
static void test_access_tombstone_goes_with_later_deletion(void **state)
{
	fx *f = *state;
	const char *s1 = mkfolder(f, f->alice, "c-s1", f->alice_contacts, "Shared");
	const char *s2 = mkfolder(f, f->alice, "c-s2", f->alice_contacts, "Later");
	share_bob(f, s1, "reviewer");
	share_bob(f, s2, "reviewer");
	char *b0 = token_now(f, f->bob);
	share_bob(f, s1, "-");
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    fx_create("i-1", json_pack("{s:s}", "firstName", "Gone")), NULL);
	const char *id = fx_str(json_object_get(fx_result(r, 0), "item"), "id");
	int64_t v = fx_int(json_object_get(fx_result(r, 0), "item"), "version");
	json_t *d = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL, fx_delete(id, v), NULL);
	check(strcmp(fx_str(fx_result(d, 0), "status"), "ok") == 0, "delete: %s",
	      json_dumps(d, 0));
	json_decref(d);
	json_decref(r);
	char *b_mid = token_now(f, f->bob);
	share_bob(f, s2, "-");

	assert_int_equal(purge(f, (int64_t)time(NULL) + 60), 2);   /* the item, S1 */
	assert_int_equal(horizon_now(f), modseq_of(b_mid));
	assert_int_equal(count_rows(f, "SELECT count(*) FROM folder_access_tombstones"), 1);
	expect_too_old(f, f->bob, b0);
	json_t *rm = removed_since(f, f->bob, b_mid);
	assert_int_equal(json_array_size(rm), 1);
	assert_true(in_strings(rm, s2));
	json_decref(rm);
	free(b0);
	free(b_mid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_users, fx_teardown)
		T(test_purge_folder_and_access_tombstones),
		T(test_access_tombstone_goes_with_later_deletion),
#undef T
	};
	return cmocka_run_group_tests_name("tombstones", tests, NULL, NULL);
}
