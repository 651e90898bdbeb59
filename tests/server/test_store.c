/* test_store.c — the SQLite store: schema migration, persistence, one
 * modseq per write transaction, change order and windows, tombstones and the
 * horizon, client ids. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void commit(fx *f)
{
	at_error err;
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
}

/* Inserts an item with the given id; returns its version. */
static int64_t put_new(fx *f, const char *id, const char *folder, const char *user,
		       const char *client_id, const char *first_name)
{
	at_error err;
	as_item it = {
		.id = id, .folder_id = folder, .type = "contact", .created_by = user,
		.client_id = client_id,
		.fields = json_pack("{s:s}", "firstName", first_name),
		.field_versions = json_object(),
	};
	ok(OPS(f)->item_put(f->store, &it, true, &err), &err, "item_put insert");
	int64_t v = it.version;
	assert_int_equal(it.created_version, v);
	as_item_clear(&it);
	return v;
}

static int64_t modseq_now(fx *f)
{
	int64_t m;
	at_error err;
	ok(OPS(f)->current_modseq(f->store, &m, &err), &err, "current_modseq");
	return m;
}

static int64_t horizon_now(fx *f)
{
	int64_t h;
	at_error err;
	ok(OPS(f)->horizon(f->store, &h, &err), &err, "horizon");
	return h;
}

/* --- collecting changes --------------------------------------------------- */

struct collected {
	size_t n;
	char ids[4096][32];
	int64_t versions[4096];
	bool removed[4096];
};

static int collect(void *ctx, const as_change *c)
{
	struct collected *col = ctx;
	if (col->n >= 4096)
		return -1;
	snprintf(col->ids[col->n], sizeof(col->ids[0]), "%s", c->id);
	col->versions[col->n] = c->version;
	col->removed[col->n] = c->removed;
	col->n++;
	return 0;
}

static void changes(fx *f, const char *folder, const at_token *since, unsigned limit,
		    struct collected *col)
{
	at_error err;
	at_arena *a = at_arena_new(0);
	col->n = 0;
	ok(OPS(f)->changes(f->store, folder, since, limit, a, collect, col, &err), &err,
	   "changes");
	at_arena_free(&a);
}

/* --- tests ---------------------------------------------------------------- */

static void test_migration_creates_schema(void **state)
{
	fx *f = *state;
	assert_string_equal(OPS(f)->name, "sqlite");
	/* one write: the Global Address Book (schema version 5) */
	assert_int_equal(modseq_now(f), 1);
	assert_int_equal(horizon_now(f), 0);

	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 12);
	sqlite3_finalize(st);
	static const char *const tables[] = {"meta", "users", "tokens", "login_failures",
					     "folders", "folder_tombstones", "items",
					     "client_ids", "tombstones", "groups", "group_members",
					     "folder_grants", "folder_access_tombstones",
					     "folder_client_ids", "search_docs", "contact_fts",
					     "directory_entries", "mail_queue", "task_alarms",
					     "alarms_sent", "list_refs"};
	for (size_t i = 0; i < N_ELEMS(tables); i++) {
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master "
						    "WHERE type = 'table' AND name = ?1", -1,
						    &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		check(sqlite3_column_int(st, 0) == 1, "table %s missing", tables[i]);
		sqlite3_finalize(st);
	}
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* opening again does not migrate twice (and keeps the counters) */
	fx_reopen(f);
	assert_int_equal(modseq_now(f), 1);
}

static void test_newer_schema_is_refused(void **state)
{
	fx *f = *state;
	as_store_close(&f->store);
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	at_error err;
	at_error_clear(&err);
	as_store *s = as_store_open_sqlite(f->dir, &err);
	assert_null(s);
	assert_string_equal(err.code, "serverFail");
	assert_non_null(strstr(err.message, "99"));
	/* the fixture reopens nothing: teardown accepts a NULL store */
}

static void test_reopen_keeps_data(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	begin_write(f);
	as_user u = {.id = "u1", .login = "carol", .name = "Carol", .email = "c@example.org",
		     .pw_hash = "$argon2id$fake", .created = 1700000000};
	ok(OPS(f)->user_add(f->store, &u, &err), &err, "user_add");
	as_folder fo = {.id = "f1", .owner_id = "u1", .name = "Contacts",
			.module = AT_MODULE_CONTACTS, .type = AT_FOLDER_PRIVATE,
			.is_default = true};
	ok(OPS(f)->folder_add(f->store, &fo, &err), &err, "folder_add");
	int64_t v = put_new(f, "i1", "f1", "u1", "c1", "Ada");
	commit(f);
	assert_int_equal(fo.version, v);

	fx_reopen(f);
	as_user got;
	bool found = false;
	ok(OPS(f)->user_get_by_login(f->store, "carol", a, &got, &found, &err), &err, "user");
	assert_true(found);
	assert_string_equal(got.id, "u1");
	assert_string_equal(got.email, "c@example.org");
	assert_string_equal(got.pw_hash, "$argon2id$fake");
	assert_int_equal(got.created, 1700000000);
	as_folder gf;
	ok(OPS(f)->folder_get(f->store, "f1", a, &gf, &found, &err), &err, "folder_get");
	assert_true(found);
	assert_string_equal(gf.name, "Contacts");
	assert_int_equal(gf.module, AT_MODULE_CONTACTS);
	assert_true(gf.is_default);
	assert_null(gf.parent_id);
	as_item it = {0};
	ok(OPS(f)->item_get(f->store, "i1", a, &it, &found, &err), &err, "item_get");
	assert_true(found);
	assert_string_equal(it.client_id, "c1");
	assert_int_equal(it.version, v);
	assert_string_equal(json_string_value(json_object_get(it.fields, "firstName")), "Ada");
	as_item_clear(&it);
	assert_int_equal(modseq_now(f), v);
	/* duplicate login is refused with alreadyExists */
	begin_write(f);
	at_error_clear(&err);
	assert_int_equal(OPS(f)->user_add(f->store, &u, &err), -1);
	assert_string_equal(err.code, "alreadyExists");
	OPS(f)->rollback(f->store);
	at_arena_free(&a);
}

static void test_modseq_once_per_write_transaction(void **state)
{
	fx *f = *state;
	at_error err;
	int64_t m0 = modseq_now(f);

	begin_write(f);
	int64_t a = put_new(f, "a", "F", "u", NULL, "A");
	int64_t b = put_new(f, "b", "F", "u", NULL, "B");
	int64_t tx;
	ok(OPS(f)->tx_modseq(f->store, &tx, &err), &err, "tx_modseq");
	ok(OPS(f)->item_delete(f->store, "b", "F", &err), &err, "delete");
	commit(f);
	assert_int_equal(a, m0 + 1);
	assert_int_equal(b, a);    /* same transaction, same version */
	assert_int_equal(tx, a);
	assert_int_equal(modseq_now(f), a);

	/* the next write transaction bumps exactly once more */
	begin_write(f);
	int64_t c = put_new(f, "c", "F", "u", NULL, "C");
	int64_t d = put_new(f, "d", "F", "u", NULL, "D");
	commit(f);
	assert_int_equal(c, a + 1);
	assert_int_equal(d, c);

	/* read transactions and empty write transactions do not bump */
	ok(OPS(f)->begin(f->store, false, &err), &err, "begin read");
	OPS(f)->rollback(f->store);
	begin_write(f);
	commit(f);
	assert_int_equal(modseq_now(f), c);

	/* a rolled back write leaves no trace, not even the bump */
	begin_write(f);
	put_new(f, "e", "F", "u", NULL, "E");
	OPS(f)->rollback(f->store);
	assert_int_equal(modseq_now(f), c);
	at_arena *ar = at_arena_new(0);
	as_item it = {0};
	bool found = true;
	ok(OPS(f)->item_get(f->store, "e", ar, &it, &found, &err), &err, "item_get");
	assert_false(found);
	at_arena_free(&ar);
}

/* Items made in several transactions, one of them much larger than the
 * window: walking the changes window by window, restarting each time from the
 * last (modseq, id) returned, sees every change exactly once, in order. */
static void test_changes_order_and_windows(void **state)
{
	fx *f = *state;
	enum { GROUP = 37 };
	static const char *const hex = "0123456789abcdef";
	char ids[GROUP + 3][32];
	int n = 0;
	begin_write(f);
	snprintf(ids[n], sizeof(ids[0]), "m-single");
	put_new(f, ids[n++], "F", "u", NULL, "x");
	commit(f);
	begin_write(f);
	for (int i = 0; i < GROUP; i++) {
		/* ids inserted out of order */
		int k = (i * 11) % GROUP;
		snprintf(ids[n], sizeof(ids[0]), "g-%c%c", hex[k / 16], hex[k % 16]);
		put_new(f, ids[n++], "F", "u", NULL, "x");
	}
	put_new(f, "other-folder", "G", "u", NULL, "x");
	commit(f);
	begin_write(f);
	snprintf(ids[n], sizeof(ids[0]), "a-last1");
	put_new(f, ids[n++], "F", "u", NULL, "x");
	snprintf(ids[n], sizeof(ids[0]), "a-last2");
	put_new(f, ids[n++], "F", "u", NULL, "x");
	commit(f);

	/* all at once: sorted by (modseq, id), nothing from folder G */
	struct collected *all = calloc(1, sizeof(*all));
	at_token zero = {0};
	changes(f, "F", &zero, 1000, all);
	assert_int_equal(all->n, (size_t)n);
	for (size_t i = 1; i < all->n; i++)
		check(all->versions[i - 1] < all->versions[i] ||
		      (all->versions[i - 1] == all->versions[i] &&
		       strcmp(all->ids[i - 1], all->ids[i]) < 0),
		      "change %zu (%s@%lld) out of order", i, all->ids[i],
		      (long long)all->versions[i]);
	assert_string_equal(all->ids[0], "m-single");
	assert_string_equal(all->ids[n - 2], "a-last1");

	/* in windows of every size from 1 to 9 */
	for (unsigned w = 1; w <= 9; w++) {
		at_token t = {0};
		size_t seen = 0;
		struct collected *win = calloc(1, sizeof(*win));
		for (int guard = 0; guard < 100; guard++) {
			changes(f, "F", &t, w, win);
			check(win->n <= w, "window %u returned %zu", w, win->n);
			for (size_t i = 0; i < win->n; i++, seen++) {
				check(seen < all->n, "window %u: more changes than exist", w);
				check(strcmp(win->ids[i], all->ids[seen]) == 0 &&
				      win->versions[i] == all->versions[seen],
				      "window %u: change %zu is %s, expected %s", w, seen,
				      win->ids[i], all->ids[seen]);
			}
			if (win->n < w)
				break;
			t.modseq = win->versions[win->n - 1];
			snprintf(t.last_id, sizeof(t.last_id), "%s", win->ids[win->n - 1]);
		}
		check(seen == all->n, "window %u: saw %zu of %zu changes", w, seen, all->n);
		free(win);
	}

	/* a token naming a modseq with no id has seen that whole modseq */
	at_token after_group = {.modseq = all->versions[1]};
	struct collected *rest = calloc(1, sizeof(*rest));
	changes(f, "F", &after_group, 1000, rest);
	assert_int_equal(rest->n, 2);
	assert_string_equal(rest->ids[0], "a-last1");
	free(rest);
	free(all);
}

static void test_tombstones_in_changes(void **state)
{
	fx *f = *state;
	at_error err;
	begin_write(f);
	int64_t v1 = put_new(f, "i1", "F", "u", NULL, "x");
	put_new(f, "i2", "F", "u", NULL, "x");
	put_new(f, "i3", "F", "u", NULL, "x");
	commit(f);
	begin_write(f);
	ok(OPS(f)->item_delete(f->store, "i2", "F", &err), &err, "delete");
	commit(f);
	int64_t vdel = modseq_now(f);
	assert_int_equal(vdel, v1 + 1);

	struct collected *c = calloc(1, sizeof(*c));
	at_token zero = {0};
	changes(f, "F", &zero, 100, c);
	assert_int_equal(c->n, 3);
	assert_string_equal(c->ids[0], "i1");
	assert_false(c->removed[0]);
	assert_string_equal(c->ids[1], "i3");
	assert_string_equal(c->ids[2], "i2");  /* the deletion, at its own modseq */
	assert_true(c->removed[2]);
	assert_int_equal(c->versions[2], vdel);
	/* from a token after the creation, only the deletion */
	at_token t = {.modseq = v1};
	changes(f, "F", &t, 100, c);
	assert_int_equal(c->n, 1);
	assert_true(c->removed[0]);

	/* item_list shows live items only */
	at_arena *a = at_arena_new(0);
	c->n = 0;
	ok(OPS(f)->item_list(f->store, "F", a, collect, c, &err), &err, "item_list");
	assert_int_equal(c->n, 2);
	assert_string_equal(c->ids[0], "i1");
	assert_string_equal(c->ids[1], "i3");

	/* the same id inserted again clears its tombstone */
	begin_write(f);
	int64_t back = put_new(f, "i2", "F", "u", NULL, "again");
	commit(f);
	changes(f, "F", &t, 100, c);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->ids[0], "i2");
	assert_false(c->removed[0]);
	assert_int_equal(c->versions[0], back);
	at_arena_free(&a);
	free(c);
}

static void test_purge_raises_horizon(void **state)
{
	fx *f = *state;
	at_error err;
	begin_write(f);
	put_new(f, "i1", "F", "u", NULL, "x");
	put_new(f, "i2", "F", "u", NULL, "x");
	put_new(f, "i3", "F", "u", NULL, "x");
	commit(f);
	begin_write(f);
	ok(OPS(f)->item_delete(f->store, "i1", "F", &err), &err, "delete");
	commit(f);
	begin_write(f);
	ok(OPS(f)->item_delete(f->store, "i2", "F", &err), &err, "delete");
	commit(f);
	int64_t last_delete = modseq_now(f);
	assert_int_equal(horizon_now(f), 0);

	/* nothing is older than the epoch: no purge, horizon unchanged */
	int64_t purged = -1;
	ok(OPS(f)->purge_tombstones(f->store, 0, &purged, &err), &err, "purge");
	assert_int_equal(purged, 0);
	assert_int_equal(horizon_now(f), 0);

	/* a later write that is not a deletion does not count */
	begin_write(f);
	put_new(f, "i4", "F", "u", NULL, "x");
	commit(f);

	ok(OPS(f)->purge_tombstones(f->store, (int64_t)time(NULL) + 60, &purged, &err), &err,
	   "purge");
	assert_int_equal(purged, 2);
	assert_int_equal(horizon_now(f), last_delete);
	struct collected *c = calloc(1, sizeof(*c));
	at_token zero = {0};
	changes(f, "F", &zero, 100, c);
	for (size_t i = 0; i < c->n; i++)
		check(!c->removed[i], "tombstone of %s survived the purge", c->ids[i]);
	assert_int_equal(c->n, 2);  /* i3, i4 */
	free(c);

	/* the horizon never goes back */
	ok(OPS(f)->purge_tombstones(f->store, (int64_t)time(NULL) + 60, &purged, &err), &err,
	   "purge");
	assert_int_equal(purged, 0);
	assert_int_equal(horizon_now(f), last_delete);
	fx_reopen(f);
	assert_int_equal(horizon_now(f), last_delete);
}

static void test_client_id_survives_deletion(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	begin_write(f);
	put_new(f, "i1", "F", "alice", "c-1", "x");
	put_new(f, "i2", "F", "bob", "c-1", "x");   /* same client id, other user */
	commit(f);
	const char *id = NULL;
	ok(OPS(f)->client_id_lookup(f->store, "alice", "c-1", a, &id, &err), &err, "lookup");
	assert_string_equal(id, "i1");
	ok(OPS(f)->client_id_lookup(f->store, "bob", "c-1", a, &id, &err), &err, "lookup");
	assert_string_equal(id, "i2");
	ok(OPS(f)->client_id_lookup(f->store, "alice", "c-2", a, &id, &err), &err, "lookup");
	assert_null(id);
	ok(OPS(f)->client_id_lookup(f->store, "carol", "c-1", a, &id, &err), &err, "lookup");
	assert_null(id);

	begin_write(f);
	ok(OPS(f)->item_delete(f->store, "i1", "F", &err), &err, "delete");
	commit(f);
	ok(OPS(f)->purge_tombstones(f->store, (int64_t)time(NULL) + 60, &(int64_t){0}, &err),
	   &err, "purge");
	fx_reopen(f);
	ok(OPS(f)->client_id_lookup(f->store, "alice", "c-1", a, &id, &err), &err, "lookup");
	assert_non_null(id);
	assert_string_equal(id, "i1");
	as_item it = {0};
	bool found = true;
	ok(OPS(f)->item_get(f->store, "i1", a, &it, &found, &err), &err, "item_get");
	assert_false(found);
	at_arena_free(&a);
}

static void test_tokens_and_login_failures(void **state)
{
	fx *f = *state;
	at_error err;
	at_arena *a = at_arena_new(0);
	begin_write(f);
	ok(OPS(f)->token_add(f->store, "h1", "u1", 100, &err), &err, "token_add");
	ok(OPS(f)->token_add(f->store, "h2", "u1", 200, &err), &err, "token_add");
	ok(OPS(f)->token_add(f->store, "h3", "u1", 300, &err), &err, "token_add");
	ok(OPS(f)->token_add(f->store, "h4", "u2", 400, &err), &err, "token_add");
	commit(f);
	const char *uid;
	int64_t exp;
	ok(OPS(f)->token_lookup(f->store, "h2", a, &uid, &exp, &err), &err, "lookup");
	assert_string_equal(uid, "u1");
	assert_int_equal(exp, 200);
	begin_write(f);
	ok(OPS(f)->token_delete_user(f->store, "u1", "h2", &err), &err, "delete_user");
	ok(OPS(f)->token_delete(f->store, "h4", &err), &err, "delete");
	commit(f);
	static const struct { const char *hash; bool live; } want[] = {
		{"h1", false}, {"h2", true}, {"h3", false}, {"h4", false}, {"nope", false},
	};
	for (size_t i = 0; i < N_ELEMS(want); i++) {
		ok(OPS(f)->token_lookup(f->store, want[i].hash, a, &uid, &exp, &err), &err, "lookup");
		check((uid != NULL) == want[i].live, "token %s live=%d", want[i].hash, uid != NULL);
	}

	int count = -1;
	int64_t last = -1;
	ok(OPS(f)->login_failures_get(f->store, "x", &count, &last, &err), &err, "get");
	assert_int_equal(count, 0);
	assert_int_equal(last, 0);
	begin_write(f);
	ok(OPS(f)->login_failures_set(f->store, "x", 3, 1234, &err), &err, "set");
	commit(f);
	ok(OPS(f)->login_failures_get(f->store, "x", &count, &last, &err), &err, "get");
	assert_int_equal(count, 3);
	assert_int_equal(last, 1234);
	begin_write(f);
	ok(OPS(f)->login_failures_set(f->store, "x", 0, 9999, &err), &err, "reset");
	commit(f);
	ok(OPS(f)->login_failures_get(f->store, "x", &count, &last, &err), &err, "get");
	assert_int_equal(count, 0);
	at_arena_free(&a);
}

/* The ids appointments_in_range gives for [from, to), joined by "|" in the
 * order of the subjects listed in `subjects` (fixture arena). */
static const char *in_range(fx *f, const char *folder, int64_t from, int64_t to,
			    json_t *by_subject)
{
	at_error err;
	const char **ids;
	size_t n;
	ok(OPS(f)->begin(f->store, false, &err), &err, "begin");
	ok(OPS(f)->appointments_in_range(f->store, folder, from, to, f->arena, &ids, &n, &err),
	   &err, "in range");
	OPS(f)->rollback(f->store);
	char *out = at_arena_strdup(f->arena, "");
	const char *k;
	json_t *v;
	json_object_foreach(by_subject, k, v)
		for (size_t i = 0; i < n; i++)
			if (strcmp(ids[i], json_string_value(v)) == 0)
				out = at_arena_printf(f->arena, "%s%s%s", out, *out ? "|" : "", k);
	return out;
}

/* The time index of appointments: a range gets every appointment that may
 * have an occurrence in it (recurring ones always; all-day and floating
 * ones with their margin), never one far away; the migration indexes the
 * appointments stored before it. */
static void test_appointments_in_range(void **state)
{
	fx *f = *state;
	const char *cal = fx_default_folder(f, f->alice, AT_MODULE_CALENDAR);
	static const char *const items[][2] = {
		{"near", "{\"subject\":\"near\",\"start\":\"2026-03-02T10:00:00Z\","
			 "\"end\":\"2026-03-02T11:00:00Z\"}"},
		{"far", "{\"subject\":\"far\",\"start\":\"2027-01-01T10:00:00Z\","
			"\"end\":\"2027-01-01T11:00:00Z\"}"},
		{"series", "{\"subject\":\"series\",\"start\":\"2020-01-06T09:00:00Z\","
			   "\"end\":\"2020-01-06T10:00:00Z\",\"rrule\":\"FREQ=WEEKLY\"}"},
		{"holiday", "{\"subject\":\"holiday\",\"start\":\"2026-03-04\","
			    "\"end\":\"2026-03-05\",\"allDay\":true}"},
		{"floating", "{\"subject\":\"floating\",\"start\":\"2026-03-01T23:30:00\","
			     "\"end\":\"2026-03-01T23:45:00\"}"},
	};
	json_t *ids = json_object();
	for (size_t i = 0; i < N_ELEMS(items); i++) {
		json_t *r = fx_sync(f, f->alice, cal, NULL, 0, NULL,
				    fx_create(items[i][0], json_loads(items[i][1], 0, NULL)), NULL);
		json_t *res = json_array_get(json_object_get(r, "results"), 0);
		check(strcmp(fx_str(res, "status"), "ok") == 0, "create %s", items[i][0]);
		json_object_set_new(ids, items[i][0], json_string(fx_str(res, "id")));
		json_decref(r);
	}
	/* 2026-03-03, 00:00 to 24:00 UTC */
	const int64_t from = 1772496000, to = 1772582400;
	assert_string_equal(in_range(f, cal, from, to, ids), "near|series|holiday|floating");
	assert_string_equal(in_range(f, cal, from + 400 * 86400LL, to + 400 * 86400LL, ids),
			    "series");
	/* indexed by the migration too */
	as_store_close(&f->store);
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, FX_UNDO_SCHEMA_V12, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_reopen(f);
	assert_string_equal(in_range(f, cal, from, to, ids), "near|series|holiday|floating");
	json_decref(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_empty, fx_teardown)
		T(test_migration_creates_schema),
		T(test_newer_schema_is_refused),
		T(test_reopen_keeps_data),
		T(test_modseq_once_per_write_transaction),
		T(test_changes_order_and_windows),
		T(test_tombstones_in_changes),
		T(test_purge_raises_horizon),
		T(test_client_id_survives_deletion),
		T(test_tokens_and_login_failures),
#undef T
		cmocka_unit_test_setup_teardown(test_appointments_in_range, fx_setup_users,
						fx_teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
