/* test_groups.c — groups, folder grants and access tombstones in the SQLite
 * store: the migration from schema version 1, group names and members,
 * grants (rights round trip, replace, remove, order), the folders granted to
 * a user directly or through a group and when that access began,
 * folder_touch, access tombstones, and rollback. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_fixture.h"

#define OPS(f) ((f)->store->ops)

static void ok(int rc, const at_error *err, const char *what)
{
	if (rc < 0)
		fail_msg("%s: %s: %s", what, err->code, err->message);
}

static void begin_write(fx *f)
{
	at_error err;
	ok(OPS(f)->begin(f->store, true, &err), &err, "begin");
}

static void begin_read(fx *f)
{
	at_error err;
	ok(OPS(f)->begin(f->store, false, &err), &err, "begin");
}

static void commit(fx *f)
{
	at_error err;
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
}

static int64_t tx_modseq(fx *f)
{
	int64_t m;
	at_error err;
	ok(OPS(f)->tx_modseq(f->store, &m, &err), &err, "tx_modseq");
	return m;
}

/* Users without Argon2id (a fake hash): the store does not check it. */
static void add_user(fx *f, const char *id, const char *login, const char *name)
{
	at_error err;
	as_user u = {.id = id, .login = login, .name = name, .email = "x@example.org",
		     .pw_hash = "$argon2id$fake", .created = 1700000000};
	ok(OPS(f)->user_add(f->store, &u, &err), &err, "user_add");
}

static void add_folder(fx *f, const char *id, const char *owner, const char *name)
{
	at_error err;
	as_folder fo = {.id = id, .owner_id = owner, .name = name,
			.module = AT_MODULE_CONTACTS,
			.type = owner ? AT_FOLDER_PRIVATE : AT_FOLDER_PUBLIC};
	ok(OPS(f)->folder_add(f->store, &fo, &err), &err, "folder_add");
}

static void add_group(fx *f, const char *id, const char *name)
{
	at_error err;
	as_group g = {.id = id, .name = name};
	ok(OPS(f)->group_add(f->store, &g, &err), &err, "group_add");
}

static void add_member(fx *f, const char *group, const char *user)
{
	at_error err;
	ok(OPS(f)->group_member_add(f->store, group, user, &err), &err, "group_member_add");
}

static void set_grant(fx *f, const char *folder, const char *principal, bool is_group,
		      at_level level)
{
	at_error err;
	at_rights r = at_level_rights(level);
	ok(OPS(f)->grant_set(f->store, folder, principal, is_group, &r, &err), &err,
	   "grant_set");
}

/* u1 alice, u2 bob, u3 carol; f-a1, f-a2 of alice, f-b1 of bob. */
static void world(fx *f)
{
	begin_write(f);
	add_user(f, "u1", "alice", "Alice");
	add_user(f, "u2", "bob", "Bob");
	add_user(f, "u3", "carol", "Carol");
	add_folder(f, "f-a1", "u1", "Contacts");
	add_folder(f, "f-a2", "u1", "Calendar");
	add_folder(f, "f-b1", "u2", "Contacts");
	commit(f);
}

/* --- folders_granted_to ---------------------------------------------------- */

struct granted {
	size_t n;
	char ids[16][32];
	int64_t granted[16], version[16];
};

static int on_granted(void *ctx, const as_folder *fo)
{
	struct granted *g = ctx;
	/* the Global Address Book, granted to everyone by the schema */
	if (strcmp(fo->id, AS_GAB_FOLDER_ID) == 0)
		return 0;
	if (g->n >= 16)
		return -1;
	snprintf(g->ids[g->n], sizeof(g->ids[0]), "%s", fo->id);
	g->granted[g->n] = fo->granted_version;
	g->version[g->n] = fo->version;
	g->n++;
	return 0;
}

static void granted_to(fx *f, const char *user, struct granted *g)
{
	at_error err;
	at_arena *a = at_arena_new(0);
	memset(g, 0, sizeof(*g));
	begin_read(f);
	ok(OPS(f)->folders_granted_to(f->store, user, a, on_granted, g, &err), &err,
	   "folders_granted_to");
	OPS(f)->rollback(f->store);
	at_arena_free(&a);
}

/* --- tests ----------------------------------------------------------------- */

static void test_migration_from_v1(void **state)
{
	fx *f = *state;
	world(f);
	as_store_close(&f->store);
	/* make it a version 1 database again: the v2 tables gone */
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, FX_UNDO_SCHEMA_V5 " DROP TABLE groups; DROP TABLE group_members;"
				      " DROP TABLE folder_grants;"
				      " DROP TABLE folder_access_tombstones;"
				      " DROP TABLE folder_client_ids; DROP INDEX folders_parent;"
				      " PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_reopen(f);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 12);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* old data kept, new tables usable */
	at_error err;
	at_arena *a = at_arena_new(0);
	as_user u;
	bool found;
	begin_write(f);
	ok(OPS(f)->user_get_by_login(f->store, "bob", a, &u, &found, &err), &err, "user");
	assert_true(found);
	add_group(f, "g1", "sales");
	add_member(f, "g1", "u2");
	set_grant(f, "f-a1", "g1", true, AT_LEVEL_REVIEWER);
	commit(f);
	struct granted g;
	granted_to(f, "u2", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ids[0], "f-a1");
	at_arena_free(&a);
}

static void test_groups_and_members(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	world(f);
	begin_write(f);
	add_group(f, "g1", "sales");
	add_group(f, "g2", "admins");
	/* a taken name */
	as_group dup = {.id = "g3", .name = "sales"};
	at_error_clear(&err);
	assert_int_equal(OPS(f)->group_add(f->store, &dup, &err), -1);
	assert_string_equal(err.code, "alreadyExists");
	assert_string_equal(err.field, "name");
	assert_non_null(strstr(err.message, "sales"));
	add_member(f, "g1", "u3");
	add_member(f, "g1", "u1");
	add_member(f, "g2", "u1");
	at_error_clear(&err);
	assert_int_equal(OPS(f)->group_member_add(f->store, "g1", "u1", &err), -1);
	assert_string_equal(err.code, "alreadyExists");
	commit(f);

	begin_read(f);
	as_group g;
	bool found;
	ok(OPS(f)->group_get_by_name(f->store, "sales", a, &g, &found, &err), &err, "by name");
	assert_true(found);
	assert_string_equal(g.id, "g1");
	assert_string_equal(g.name, "sales");
	assert_int_equal(g.n_members, 2);
	assert_string_equal(g.members[0].login, "alice");   /* by login */
	assert_string_equal(g.members[0].id, "u1");
	assert_string_equal(g.members[0].name, "Alice");
	assert_string_equal(g.members[1].login, "carol");
	ok(OPS(f)->group_get_by_id(f->store, "g2", a, &g, &found, &err), &err, "by id");
	assert_true(found);
	assert_string_equal(g.name, "admins");
	assert_int_equal(g.n_members, 1);
	ok(OPS(f)->group_get_by_name(f->store, "nobody", a, &g, &found, &err), &err, "none");
	assert_false(found);
	ok(OPS(f)->group_get_by_id(f->store, "g9", a, &g, &found, &err), &err, "none");
	assert_false(found);

	const char **ids;
	size_t n;
	/* every user is also in the built-in group "everyone" */
	ok(OPS(f)->groups_of_user(f->store, "u1", a, &ids, &n, &err), &err, "groups_of_user");
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "everyone");
	assert_string_equal(ids[1], "g1");
	assert_string_equal(ids[2], "g2");
	ok(OPS(f)->groups_of_user(f->store, "u2", a, &ids, &n, &err), &err, "groups_of_user");
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "everyone");
	OPS(f)->rollback(f->store);
	at_arena_free(&a);
}

struct listed {
	size_t n;
	char text[512];
};

static int on_group(void *ctx, const as_group *g)
{
	struct listed *l = ctx;
	size_t len = strlen(l->text);
	snprintf(l->text + len, sizeof(l->text) - len, "%s:", g->name);
	for (size_t i = 0; i < g->n_members; i++) {
		len = strlen(l->text);
		snprintf(l->text + len, sizeof(l->text) - len, "%s%s", i ? "," : "",
			 g->members[i].login);
	}
	len = strlen(l->text);
	snprintf(l->text + len, sizeof(l->text) - len, ";");
	l->n++;
	return 0;
}

static void test_group_list(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	world(f);
	begin_write(f);
	add_group(f, "g1", "sales");
	add_group(f, "g2", "admins");
	add_group(f, "g3", "empty");
	add_member(f, "g1", "u2");
	add_member(f, "g1", "u1");
	add_member(f, "g2", "u3");
	commit(f);
	struct listed l = {0};
	begin_read(f);
	ok(OPS(f)->group_list(f->store, a, on_group, &l, &err), &err, "group_list");
	OPS(f)->rollback(f->store);
	assert_int_equal(l.n, 4);
	/* "everyone" lists every user */
	assert_string_equal(l.text, "admins:carol;empty:;everyone:alice,bob,carol;sales:alice,bob;");
	at_arena_free(&a);
}

static void test_grants(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	world(f);
	begin_write(f);
	add_group(f, "g1", "sales");
	add_group(f, "g0", "zeta");
	set_grant(f, "f-a1", "g0", true, AT_LEVEL_AUTHOR);
	set_grant(f, "f-a1", "u3", false, AT_LEVEL_EDITOR);
	set_grant(f, "f-a1", "g1", true, AT_LEVEL_REVIEWER);
	set_grant(f, "f-a1", "u2", false, AT_LEVEL_REVIEWER);
	at_rights custom = {AT_FR_SEE, AT_OR_OWN, AT_OR_NONE, AT_OR_ALL, true};
	ok(OPS(f)->grant_set(f->store, "f-a2", "u2", false, &custom, &err), &err, "custom");
	commit(f);

	begin_read(f);
	at_grant *g;
	size_t n;
	ok(OPS(f)->grants_get(f->store, "f-a1", a, &g, &n, &err), &err, "grants_get");
	assert_int_equal(n, 4);
	/* users by login, then groups by name */
	assert_string_equal(g[0].principal_id, "u2");
	assert_false(g[0].is_group);
	assert_int_equal(at_rights_level(&g[0].rights), AT_LEVEL_REVIEWER);
	assert_string_equal(g[1].principal_id, "u3");
	assert_int_equal(at_rights_level(&g[1].rights), AT_LEVEL_EDITOR);
	assert_string_equal(g[2].principal_id, "g1");
	assert_true(g[2].is_group);
	assert_int_equal(at_rights_level(&g[2].rights), AT_LEVEL_REVIEWER);
	assert_string_equal(g[3].principal_id, "g0");
	assert_int_equal(at_rights_level(&g[3].rights), AT_LEVEL_AUTHOR);
	ok(OPS(f)->grants_get(f->store, "f-a2", a, &g, &n, &err), &err, "grants_get");
	assert_int_equal(n, 1);
	assert_int_equal(g[0].rights.folder, custom.folder);
	assert_int_equal(g[0].rights.read, custom.read);
	assert_int_equal(g[0].rights.write, custom.write);
	assert_int_equal(g[0].rights.del, custom.del);
	assert_true(g[0].rights.admin);
	assert_int_equal(at_rights_level(&g[0].rights), AT_LEVEL_CUSTOM);
	ok(OPS(f)->grants_get(f->store, "f-b1", a, &g, &n, &err), &err, "grants_get");
	assert_int_equal(n, 0);
	OPS(f)->rollback(f->store);

	/* replace and remove */
	begin_write(f);
	set_grant(f, "f-a1", "u2", false, AT_LEVEL_OWNER);
	bool removed;
	ok(OPS(f)->grant_remove(f->store, "f-a1", "u3", &removed, &err), &err, "remove");
	assert_true(removed);
	ok(OPS(f)->grant_remove(f->store, "f-a1", "u3", &removed, &err), &err, "remove");
	assert_false(removed);
	commit(f);
	begin_read(f);
	ok(OPS(f)->grants_get(f->store, "f-a1", a, &g, &n, &err), &err, "grants_get");
	assert_int_equal(n, 3);
	assert_string_equal(g[0].principal_id, "u2");
	assert_int_equal(at_rights_level(&g[0].rights), AT_LEVEL_OWNER);
	assert_string_equal(g[1].principal_id, "g1");
	OPS(f)->rollback(f->store);

	/* a rolled back grant leaves nothing */
	begin_write(f);
	set_grant(f, "f-b1", "u1", false, AT_LEVEL_EDITOR);
	OPS(f)->rollback(f->store);
	begin_read(f);
	ok(OPS(f)->grants_get(f->store, "f-b1", a, &g, &n, &err), &err, "grants_get");
	assert_int_equal(n, 0);
	OPS(f)->rollback(f->store);
	at_arena_free(&a);
}

static void test_folders_granted_to(void **state)
{
	fx *f = *state;
	struct granted g;
	world(f);
	granted_to(f, "u2", &g);
	assert_int_equal(g.n, 0);

	/* direct grant: since the grant */
	begin_write(f);
	int64_t m1 = tx_modseq(f);
	set_grant(f, "f-a1", "u2", false, AT_LEVEL_REVIEWER);
	/* a grant to the owner herself is not a folder granted to her */
	set_grant(f, "f-b1", "u2", false, AT_LEVEL_REVIEWER);
	commit(f);
	granted_to(f, "u2", &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ids[0], "f-a1");
	assert_int_equal(g.granted[0], m1);

	/* a rights change keeps when access began */
	begin_write(f);
	set_grant(f, "f-a1", "u2", false, AT_LEVEL_EDITOR);
	commit(f);
	granted_to(f, "u2", &g);
	assert_int_equal(g.granted[0], m1);

	/* through a group: since both the grant and the membership exist */
	begin_write(f);
	int64_t m2 = tx_modseq(f);
	add_group(f, "g1", "sales");
	set_grant(f, "f-a2", "g1", true, AT_LEVEL_AUTHOR);
	set_grant(f, "f-a1", "g1", true, AT_LEVEL_AUTHOR);
	commit(f);
	granted_to(f, "u2", &g);
	assert_int_equal(g.n, 1);   /* bob is no member yet */
	begin_write(f);
	int64_t m3 = tx_modseq(f);
	add_member(f, "g1", "u2");
	commit(f);
	assert_true(m3 > m2 && m2 > m1);
	granted_to(f, "u2", &g);
	assert_int_equal(g.n, 2);
	/* in creation order; f-a1 since the older direct grant */
	assert_string_equal(g.ids[0], "f-a1");
	assert_int_equal(g.granted[0], m1);
	assert_string_equal(g.ids[1], "f-a2");
	assert_int_equal(g.granted[1], m3);

	/* the direct grant removed: f-a1 now through the group only */
	begin_write(f);
	at_error err;
	ok(OPS(f)->grant_remove(f->store, "f-a1", "u2", NULL, &err), &err, "remove");
	commit(f);
	granted_to(f, "u2", &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.granted[0], m3);

	/* carol has nothing; alice (the owner) has nothing granted */
	granted_to(f, "u3", &g);
	assert_int_equal(g.n, 0);
	granted_to(f, "u1", &g);
	assert_int_equal(g.n, 0);
}

static void test_folder_touch(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	world(f);
	as_folder fo;
	bool found;
	begin_read(f);
	ok(OPS(f)->folder_get(f->store, "f-a1", a, &fo, &found, &err), &err, "get");
	OPS(f)->rollback(f->store);
	int64_t created = fo.created_version;
	begin_write(f);
	int64_t m = tx_modseq(f);
	ok(OPS(f)->folder_touch(f->store, "f-a1", &err), &err, "touch");
	commit(f);
	begin_read(f);
	ok(OPS(f)->folder_get(f->store, "f-a1", a, &fo, &found, &err), &err, "get");
	OPS(f)->rollback(f->store);
	assert_int_equal(fo.version, m);
	assert_int_equal(fo.created_version, created);
	assert_true(m > created);
	at_arena_free(&a);
}

struct removed {
	size_t n;
	char ids[8][32];
	int64_t versions[8];
};

static int on_removed(void *ctx, const as_change *c)
{
	struct removed *r = ctx;
	if (r->n >= 8)
		return -1;
	assert_true(c->removed);
	snprintf(r->ids[r->n], sizeof(r->ids[0]), "%s", c->id);
	r->versions[r->n++] = c->version;
	return 0;
}

static void removed_since(fx *f, const char *user, int64_t since, struct removed *r)
{
	at_error err;
	at_arena *a = at_arena_new(0);
	memset(r, 0, sizeof(*r));
	begin_read(f);
	ok(OPS(f)->access_removed_since(f->store, user, since, a, on_removed, r, &err), &err,
	   "access_removed_since");
	OPS(f)->rollback(f->store);
	at_arena_free(&a);
}

static void test_access_tombstones(void **state)
{
	fx *f = *state;
	at_error err;
	struct removed r;
	world(f);
	begin_write(f);
	int64_t m1 = tx_modseq(f);
	ok(OPS(f)->access_tombstone_add(f->store, "u2", "f-a1", &err), &err, "add");
	ok(OPS(f)->access_tombstone_add(f->store, "u3", "f-a1", &err), &err, "add");
	commit(f);
	begin_write(f);
	int64_t m2 = tx_modseq(f);
	ok(OPS(f)->access_tombstone_add(f->store, "u2", "f-a2", &err), &err, "add");
	commit(f);
	removed_since(f, "u2", 0, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ids[0], "f-a1");
	assert_int_equal(r.versions[0], m1);
	assert_string_equal(r.ids[1], "f-a2");
	assert_int_equal(r.versions[1], m2);
	removed_since(f, "u2", m1, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ids[0], "f-a2");
	removed_since(f, "u1", 0, &r);
	assert_int_equal(r.n, 0);
	/* a later loss of the same folder replaces the older tombstone */
	begin_write(f);
	int64_t m3 = tx_modseq(f);
	ok(OPS(f)->access_tombstone_add(f->store, "u2", "f-a1", &err), &err, "add");
	commit(f);
	removed_since(f, "u2", m2, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ids[0], "f-a1");
	assert_int_equal(r.versions[0], m3);
	removed_since(f, "u2", 0, &r);
	assert_int_equal(r.n, 2);
	/* survives a reopen */
	fx_reopen(f);
	removed_since(f, "u3", 0, &r);
	assert_int_equal(r.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_empty, fx_teardown)
		T(test_migration_from_v1),
		T(test_groups_and_members),
		T(test_group_list),
		T(test_grants),
		T(test_folders_granted_to),
		T(test_folder_touch),
		T(test_access_tombstones),
#undef T
	};
	return cmocka_run_group_tests_name("groups", tests, NULL, NULL);
}
