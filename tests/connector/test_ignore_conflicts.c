/* test_ignore_conflicts.c — the "send with ignoreConflicts" flag of a pending
 * change (store.h: ac_item.ignore_conflicts) and the conflicts list of an
 * appointmentConflict, through the sync engine against a small scripted
 * server.
 *
 * The server refuses every appointment written without ignoreConflicts
 * with appointmentConflict and a conflicts list (as atriumd does when a
 * participant is busy), or every one whatever the flag (a booked resource).
 * Checked: the flag is stored, survives reopening and a lost answer, goes
 * with the create or update it was set for and only that one, is cleared
 * once the server answered that change (written or refused), is refused on
 * an item without a pending change; the stored error keeps the conflicts
 * (known members only); a store of schema version 2 is migrated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "engine.h"
#include "protocol.h"
#include "store.h"

typedef struct fake {
	bool refuse_all;  /* a booked resource: the flag does not help */
	int lose;         /* apply the next N Item/sync requests, then fail */
	json_t *seen;     /* every create/update change received, in order */
	int next_id;
	int64_t modseq;
} fake;

static json_t *conflicts(void)
{
	return json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s},{s:s}]", "principal", "bob", "type", "user",
			 "start", "2031-03-20T09:00:00Z", "end", "2031-03-20T10:00:00Z",
			 "showAs", "busy", "unknownMember", "dropped", "type", "user");
}

static json_t *answer(fake *f, const char *folder, const char *op, json_t *c)
{
	json_array_append(f->seen, c);
	bool ignore = json_is_true(json_object_get(c, "ignoreConflicts"));
	const char *cid = json_string_value(json_object_get(c, "clientId"));
	const char *id = json_string_value(json_object_get(c, "id"));
	if (!ignore || f->refuse_all)
		return json_pack("{s:s,s:s?,s:s?,s:s,s:{s:s,s:s,s:s,s:s,s:o}}", "op", op,
				 "clientId", cid, "id", id, "status", "error", "error",
				 "type", "appointmentConflict", "scope", "item", "retry", "final",
				 "message", "bob is busy then", "conflicts", conflicts());
	char buf[32];
	f->modseq++;
	if (id != NULL) /* an update: the engine keeps what it sent */
		return json_pack("{s:s,s:s,s:s,s:I}", "op", op, "id", id, "status", "ok",
				 "version", (json_int_t)f->modseq);
	snprintf(buf, sizeof(buf), "s%d", ++f->next_id);
	id = buf;
	return json_pack("{s:s,s:s?,s:s,s:s,s:I,s:{s:s,s:I,s:s,s:s,s:O}}", "op", op,
			 "clientId", cid, "id", id, "status", "ok", "version",
			 (json_int_t)f->modseq, "item", "id", id, "version", (json_int_t)f->modseq,
			 "type", "appointment", "folderId", folder, "fields",
			 json_object_get(c, "fields"));
}

static json_t *item_sync(fake *f, json_t *args)
{
	const char *folder = json_string_value(json_object_get(args, "folderId"));
	json_t *changes = json_object_get(args, "changes");
	json_t *results = json_array();
	static const char *const ops[] = {"create", "update"};
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(changes, ops[k]), i, c)
			json_array_append_new(results, answer(f, folder, ops[k], c));
	}
	return json_pack("{s:s,s:o,s:{s:[],s:[]},s:s,s:b}", "folderId", folder, "results",
			 results, "changes", "upserted", "removed", "newToken", "1-0-", "moreAvailable",
			 false);
}

static int fake_call(void *ctx, const char *path, json_t *body, json_t **reply_r,
		     at_error *err)
{
	fake *f = ctx;
	json_t *responses = json_array();
	bool item_sync_seen = false;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(body, "methodCalls"), i, c) {
		const char *method = json_string_value(json_array_get(c, 0));
		json_t *res;
		if (strcmp(method, "Folder/sync") == 0) {
			res = json_pack("{s:[{s:s,s:n,s:s,s:s,s:s,s:s,s:s,s:b}],s:[],s:[],s:s}",
					"created", "id", "fC", "parentId", "name", "Calendar",
					"displayName", "Calendar", "module", "calendar", "type",
					"private", "ownerId", "u1", "isDefault", true, "updated",
					"removed", "newToken", "f1");
		} else if (strcmp(method, "Item/sync") == 0) {
			item_sync_seen = true;
			res = item_sync(f, json_array_get(c, 1));
		} else {
			fail_msg("unexpected method %s", method);
			return -1;
		}
		json_array_append_new(responses, json_pack("[s,o,O]", method, res,
							   json_array_get(c, 2)));
	}
	if (item_sync_seen && f->lose > 0) {
		f->lose--;
		json_decref(responses);
		return at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
				    NULL, "timeout");
	}
	(void)path;
	*reply_r = json_pack("{s:o}", "methodResponses", responses);
	return 0;
}

static int fake_get(void *ctx, const char *path, json_t **reply_r, at_error *err)
{
	(void)ctx;
	(void)path;
	(void)err;
	*reply_r = json_pack("{s:{s:s,s:s},s:{s:i,s:i,s:i,s:i}}", "user", "id", "u1", "login",
			     "alice", "limits", "maxCallsInRequest", 64, "maxRequestBytes",
			     16 << 20, "maxChangesInSync", 512, "maxWindow", 512);
	return 0;
}

typedef struct fixture {
	char dir[64];
	char path[128];
	ac_store *store;
	fake srv;
	ac_transport t;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	at_error err;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/atrium-ignore-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/store.db", fx->dir);
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	fx->srv.seen = json_array();
	fx->t.call = fake_call;
	fx->t.get = fake_get;
	fx->t.ctx = &fx->srv;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_store_close(&fx->store);
	ac_remove_tree(fx->dir, &err);
	json_decref(fx->srv.seen);
	free(fx);
	return 0;
}

static int sync_once(fixture *fx)
{
	at_error err;
	at_error_clear(&err);
	return ac_engine_sync(fx->store, &fx->t, NULL, NULL, &err);
}

static ac_item *get(fixture *fx, const char *id)
{
	ac_item *it = NULL;
	at_error err;
	assert_int_equal(ac_store_item_get(fx->store, id, &it, &err), 0);
	return it;
}

static void add(fixture *fx, char id[AC_ID_SIZE])
{
	at_error err;
	json_t *f = json_pack("{s:s,s:s,s:s}", "subject", "Planning", "start",
			      "2031-03-20T09:30:00Z", "end", "2031-03-20T10:30:00Z");
	assert_int_equal(ac_store_item_add(fx->store, "fC", "appointment", f, id, &err), 0);
	json_decref(f);
}

/* The ignoreConflicts member of the n-th change the server saw. */
static bool sent_with_flag(fixture *fx, size_t n)
{
	assert_true(n < json_array_size(fx->srv.seen));
	return json_is_true(json_object_get(json_array_get(fx->srv.seen, n), "ignoreConflicts"));
}

static void test_flag_goes_with_one_change(void **state)
{
	fixture *fx = *state;
	char id[AC_ID_SIZE];
	at_error err;
	add(fx, id);
	assert_int_equal(sync_once(fx), 0);
	assert_int_equal(json_array_size(fx->srv.seen), 1);
	assert_false(sent_with_flag(fx, 0));
	ac_item *it = get(fx, id);
	assert_non_null(it->error);
	assert_string_equal(ac_jstr(it->error, "type"), "appointmentConflict");
	json_t *c = json_object_get(it->error, "conflicts");
	/* the entry without a principal is dropped, unknown members too */
	assert_int_equal(json_array_size(c), 1);
	json_t *c0 = json_array_get(c, 0);
	assert_string_equal(ac_jstr(c0, "principal"), "bob");
	assert_string_equal(ac_jstr(c0, "start"), "2031-03-20T09:00:00Z");
	assert_string_equal(ac_jstr(c0, "showAs"), "busy");
	assert_null(json_object_get(c0, "unknownMember"));
	assert_false(it->ignore_conflicts);
	ac_item_free(&it);

	/* refused for good: not sent again until the user acts */
	assert_int_equal(sync_once(fx), 0);
	assert_int_equal(json_array_size(fx->srv.seen), 1);

	/* the flag alone sends it again; it survives reopening the store */
	assert_int_equal(ac_store_item_ignore_conflicts(fx->store, id, &err), 0);
	ac_store_close(&fx->store);
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	it = get(fx, id);
	assert_true(it->ignore_conflicts);
	assert_null(it->error);
	json_t *j = ac_item_to_json(it);
	assert_true(json_is_true(json_object_get(j, "ignoreConflicts")));
	json_decref(j);
	ac_item_free(&it);
	assert_int_equal(sync_once(fx), 0);
	assert_int_equal(json_array_size(fx->srv.seen), 2);
	assert_true(sent_with_flag(fx, 1));
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_null(it->error);
	assert_false(it->ignore_conflicts);
	assert_string_equal(it->server_id, "s1");
	ac_item_free(&it);

	/* nothing pending: the flag has nothing to go with */
	assert_int_equal(ac_store_item_ignore_conflicts(fx->store, id, &err), -1);
	assert_string_equal(err.code, AT_E_INVALID_ARGUMENTS);

	/* the next change goes without it */
	json_t *patch = json_pack("{s:s}", "start", "2031-03-20T09:15:00Z");
	assert_int_equal(ac_store_item_edit(fx->store, id, patch, &err), 0);
	json_decref(patch);
	assert_int_equal(sync_once(fx), 0);
	assert_int_equal(json_array_size(fx->srv.seen), 3);
	assert_false(sent_with_flag(fx, 2));
	assert_string_equal(ac_jstr(json_array_get(fx->srv.seen, 2), "id"), "s1");
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_MODIFIED);
	assert_string_equal(ac_jstr(it->error, "type"), "appointmentConflict");
	ac_item_free(&it);
	/* an update goes with it too */
	assert_int_equal(ac_store_item_ignore_conflicts(fx->store, id, &err), 0);
	assert_int_equal(sync_once(fx), 0);
	assert_int_equal(json_array_size(fx->srv.seen), 4);
	assert_true(sent_with_flag(fx, 3));
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_false(it->ignore_conflicts);
	ac_item_free(&it);
}

static void test_flag_kept_until_answered(void **state)
{
	fixture *fx = *state;
	char id[AC_ID_SIZE];
	at_error err;
	fx->srv.refuse_all = true;
	fx->srv.lose = 1;
	add(fx, id);
	assert_int_equal(ac_store_item_ignore_conflicts(fx->store, id, &err), 0);
	/* the answer is lost: the flag stays for the resend */
	assert_int_equal(sync_once(fx), -1);
	ac_item *it = get(fx, id);
	assert_true(it->ignore_conflicts);
	ac_item_free(&it);
	assert_int_equal(sync_once(fx), 0);
	assert_int_equal(json_array_size(fx->srv.seen), 2);
	assert_true(sent_with_flag(fx, 0));
	assert_true(sent_with_flag(fx, 1));
	/* refused even so (a resource): answered, so the flag is spent */
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_CREATED);
	assert_string_equal(ac_jstr(it->error, "type"), "appointmentConflict");
	assert_false(it->ignore_conflicts);
	ac_item_free(&it);
}

static void test_migrates_version_2(void **state)
{
	fixture *fx = *state;
	char id[AC_ID_SIZE];
	at_error err;
	sqlite3 *db;
	add(fx, id);
	ac_store_close(&fx->store);
	/* back to what version 2 had */
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE items DROP COLUMN ignore_conflicts;"
				      " PRAGMA user_version = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	ac_item *it = get(fx, id);
	assert_false(it->ignore_conflicts);
	assert_string_equal(ac_jstr(it->fields, "subject"), "Planning");
	ac_item_free(&it);
	assert_int_equal(ac_store_item_ignore_conflicts(fx->store, id, &err), 0);
	it = get(fx, id);
	assert_true(it->ignore_conflicts);
	ac_item_free(&it);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), AC_STORE_SCHEMA_VERSION);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flag_goes_with_one_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flag_kept_until_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_2, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
