/* test_sync.c — the server sync engine through as_folder_sync, as_item_sync,
 * as_item_list and as_item_get (and Account/changePassword through
 * as_api_batch): folders of a new user, idempotent creates, windows, echo
 * suppression, field-level merge and conflict policies, update/delete
 * conflicts, per-item errors, access control, tokens and the horizon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_fixture.h"

static json_t *fields1(const char *k, const char *v)
{
	return json_pack("{s:s}", k, v);
}

/* Creates one item as u in folder; returns the result's item (new ref). */
static json_t *create_one(fx *f, const as_user *u, const char *folder, const char *cid,
			  json_t *fields)
{
	json_t *r = fx_sync(f, u, folder, NULL, 0, NULL, fx_create(cid, fields), NULL);
	json_t *res = fx_result(r, 0);
	check(strcmp(fx_str(res, "status"), "ok") == 0, "create %s failed: %s", cid,
	      json_dumps(res, 0));
	json_t *item = json_incref(json_object_get(res, "item"));
	json_decref(r);
	return item;
}

/* The token a client holds right now (an empty Item/sync). */
static char *token_now(fx *f, const as_user *u, const char *folder, const char *since)
{
	json_t *r = fx_sync(f, u, folder, since, 512, NULL, NULL, NULL);
	char *t = strdup(fx_str(r, "newToken"));
	json_decref(r);
	return t;
}

static void expect_error(json_t *r, const at_error *err, const char *code, const char *what)
{
	check(r == NULL, "%s: expected %s, got an answer", what, code);
	check(strcmp(err->code, code) == 0, "%s: code %s (%s), expected %s", what, err->code,
	      err->message, code);
}

/* --- Folder/sync -------------------------------------------------------------- */

static void test_folder_sync_new_user(void **state)
{
	fx *f = *state;
	as_ctx ctx = fx_ctx(f, f->alice, NULL);
	at_error err;
	json_t *args = json_pack("{s:n}", "sinceToken");
	json_t *r = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	assert_non_null(r);
	json_t *created = json_object_get(r, "created");
	/* the default folders and the Global Address Book (test_gab.c) */
	assert_int_equal(json_array_size(created), 4);
	assert_int_equal(json_array_size(json_object_get(r, "updated")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "removed")), 0);
	static const char *const names[] = {"Contacts", "Calendar", "Tasks"};
	static const char *const modules[] = {"contacts", "calendar", "tasks"};
	json_t *owner = json_pack("{s:s,s:s,s:s,s:s,s:b}", "folder", "subfolders", "read", "all",
				  "write", "all", "delete", "all", "admin", 1);
	for (size_t i = 0; i < 3; i++) {
		json_t *fo = NULL;
		size_t k;
		json_t *v;
		json_array_foreach(created, k, v)
			if (strcmp(fx_str(v, "name"), names[i]) == 0)
				fo = v;
		check(fo != NULL, "no %s folder", names[i]);
		assert_string_equal(fx_str(fo, "module"), modules[i]);
		assert_string_equal(fx_str(fo, "type"), "private");
		assert_string_equal(fx_str(fo, "ownerId"), f->alice->id);
		assert_string_equal(fx_str(fo, "displayName"), names[i]);
		assert_true(json_is_true(json_object_get(fo, "isDefault")));
		assert_true(json_is_null(json_object_get(fo, "parentId")));
		assert_true(fx_int(fo, "version") >= 1);
		check(json_equal(json_object_get(fo, "rights"), owner), "%s: rights are not Owner",
		      names[i]);
		if (i == 0)
			assert_string_equal(fx_str(fo, "id"), f->alice_contacts);
	}
	json_decref(owner);

	/* from the new token: nothing */
	args = json_pack("{s:s}", "sinceToken", fx_str(r, "newToken"));
	json_t *r2 = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	assert_non_null(r2);
	assert_int_equal(json_array_size(json_object_get(r2, "created")), 0);
	assert_int_equal(json_array_size(json_object_get(r2, "updated")), 0);
	assert_int_equal(json_array_size(json_object_get(r2, "removed")), 0);
	json_decref(r2);
	json_decref(r);

	/* bob sees his own three folders, none of alice's (and the Global
	 * Address Book, owned by nobody) */
	ctx = fx_ctx(f, f->bob, NULL);
	args = json_object();
	r = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	json_t *bc = json_object_get(r, "created");
	assert_int_equal(json_array_size(bc), 4);
	size_t k;
	json_t *v;
	json_array_foreach(bc, k, v) {
		if (strcmp(fx_str(v, "id"), AS_GAB_FOLDER_ID) != 0)
			assert_string_equal(fx_str(v, "ownerId"), f->bob->id);
	}
	json_decref(r);

	/* bad arguments */
	args = json_pack("{s:s}", "sinceToken", "garbage");
	r = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	expect_error(r, &err, "invalidToken", "Folder/sync garbage token");
	args = json_pack("{s:i}", "sinceToken", 5);
	r = as_folder_sync(&ctx, args, &err);
	json_decref(args);
	expect_error(r, &err, "invalidArguments", "Folder/sync numeric token");
}

/* --- creates -------------------------------------------------------------- */

static void test_create_returns_item_with_client_id(void **state)
{
	fx *f = *state;
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    fx_create("c-7f3e", json_pack("{s:s,s:s}", "firstName", "Ada",
							  "lastName", "Lovelace")), NULL);
	assert_string_equal(fx_str(r, "folderId"), f->alice_contacts);
	assert_int_equal(json_array_size(json_object_get(r, "results")), 1);
	json_t *res = fx_result(r, 0);
	assert_string_equal(fx_str(res, "op"), "create");
	assert_string_equal(fx_str(res, "status"), "ok");
	assert_string_equal(fx_str(res, "clientId"), "c-7f3e");
	assert_null(json_object_get(res, "replayed"));
	const char *id = fx_str(res, "id");
	assert_int_equal(strlen(id), 24);
	int64_t version = fx_int(res, "version");
	assert_true(version >= 1);
	json_t *item = json_object_get(res, "item");
	assert_string_equal(fx_str(item, "id"), id);
	assert_string_equal(fx_str(item, "folderId"), f->alice_contacts);
	assert_string_equal(fx_str(item, "type"), "contact");
	assert_string_equal(fx_str(item, "createdBy"), f->alice->id);
	assert_string_equal(fx_str(item, "clientId"), "c-7f3e");
	assert_int_equal(fx_int(item, "version"), version);
	json_t *want = json_pack("{s:s,s:s}", "firstName", "Ada", "lastName", "Lovelace");
	assert_true(json_equal(json_object_get(item, "fields"), want));
	json_decref(want);
	/* Item/get returns the same item */
	json_t *got = fx_get(f, f->alice, f->alice_contacts, id);
	assert_non_null(got);
	assert_true(json_equal(got, item));
	json_decref(got);
	/* own change not echoed, nothing more to fetch */
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "changes"),
							 "upserted")), 0);
	assert_true(json_is_false(json_object_get(r, "moreAvailable")));
	json_decref(r);
}

static void test_replayed_create(void **state)
{
	fx *f = *state;
	json_t *first = create_one(f, f->alice, f->alice_contacts, "c-1",
				   fields1("firstName", "Ada"));
	/* the same create again (a lost response), even with other content */
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    fx_create("c-1", fields1("firstName", "Changed?")), NULL);
	json_t *res = fx_result(r, 0);
	assert_string_equal(fx_str(res, "status"), "ok");
	assert_true(json_is_true(json_object_get(res, "replayed")));
	assert_string_equal(fx_str(res, "id"), fx_str(first, "id"));
	assert_int_equal(fx_int(res, "version"), fx_int(first, "version"));
	assert_true(json_equal(json_object_get(res, "item"), first));
	json_decref(r);
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 1);

	/* a clientId is per user: bob's "c-1" is a new item in his folder */
	json_t *bobs = create_one(f, f->bob, f->bob_contacts, "c-1", fields1("firstName", "B"));
	assert_string_not_equal(fx_str(bobs, "id"), fx_str(first, "id"));
	json_decref(bobs);

	/* after the item is deleted, a replay says so instead of re-creating */
	r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
		    fx_delete(fx_str(first, "id"), fx_int(first, "version")), NULL);
	assert_string_equal(fx_str(fx_result(r, 0), "status"), "ok");
	json_decref(r);
	r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
		    fx_create("c-1", fields1("firstName", "Ada")), NULL);
	res = fx_result(r, 0);
	assert_string_equal(fx_str(res, "status"), "error");
	assert_string_equal(fx_str(json_object_get(res, "error"), "type"), "itemDeleted");
	json_decref(r);
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 0);
	json_decref(first);
}

/* 1000 items created in one call, then read by a new device in windows of
 * 50: exactly 20 calls, moreAvailable on the first 19, every id once. */
static void test_windows_of_fifty(void **state)
{
	fx *f = *state;
	enum { N = 1000, W = 50 };
	json_t *creates = json_array();
	for (int i = 0; i < N; i++) {
		char cid[16], name[16];
		snprintf(cid, sizeof(cid), "c-%d", i);
		snprintf(name, sizeof(name), "n%d", i);
		json_array_append_new(creates, json_pack("{s:s,s:{s:s}}", "clientId", cid,
							 "fields", "firstName", name));
	}
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    json_pack("{s:o}", "create", creates), NULL);
	json_t *results = json_object_get(r, "results");
	assert_int_equal(json_array_size(results), N);
	json_t *ids = json_object();  /* id -> times seen */
	size_t k;
	json_t *v;
	json_array_foreach(results, k, v) {
		check(strcmp(fx_str(v, "status"), "ok") == 0, "create %zu failed", k);
		json_object_set_new(ids, fx_str(v, "id"), json_integer(0));
	}
	assert_int_equal(json_object_size(ids), N);
	json_decref(r);

	char *token = NULL;
	int calls = 0;
	bool more = true;
	while (more && calls < 100) {
		r = fx_sync(f, f->alice, f->alice_contacts, token, W, NULL, NULL, NULL);
		calls++;
		json_t *ch = json_object_get(r, "changes");
		json_t *up = json_object_get(ch, "upserted");
		assert_int_equal(json_array_size(json_object_get(ch, "removed")), 0);
		check(json_array_size(up) == W, "call %d returned %zu items", calls,
		      json_array_size(up));
		json_array_foreach(up, k, v) {
			json_t *seen = json_object_get(ids, fx_str(v, "id"));
			check(seen != NULL, "call %d: unknown id %s", calls, fx_str(v, "id"));
			check(json_integer_value(seen) == 0, "call %d: id %s seen twice", calls,
			      fx_str(v, "id"));
			json_integer_set(seen, 1);
		}
		more = json_is_true(json_object_get(r, "moreAvailable"));
		check(more == (calls < N / W), "call %d: moreAvailable %d", calls, more);
		free(token);
		token = strdup(fx_str(r, "newToken"));
		json_decref(r);
	}
	assert_int_equal(calls, N / W);
	const char *key;
	json_object_foreach(ids, key, v)
		check(json_integer_value(v) == 1, "id %s never seen", key);
	/* the final token has nothing more */
	r = fx_sync(f, f->alice, f->alice_contacts, token, W, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "changes"),
							 "upserted")), 0);
	assert_true(json_is_false(json_object_get(r, "moreAvailable")));
	json_decref(r);
	free(token);
	json_decref(ids);
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), N);
}

/* Changes made by this call are not echoed back; changes by others since
 * the token are. */
static void test_own_changes_not_echoed(void **state)
{
	fx *f = *state;
	char *t0 = token_now(f, f->alice, f->alice_contacts, NULL);
	/* device A creates Y */
	json_t *y = create_one(f, f->alice, f->alice_contacts, "dev-a-1",
			       fields1("firstName", "Y"));
	/* device B, still at t0, creates Z in the same call that fetches changes */
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, t0, 0, NULL,
			    fx_create("dev-b-1", fields1("firstName", "Z")), NULL);
	json_t *z = json_object_get(fx_result(r, 0), "item");
	json_t *up = json_object_get(json_object_get(r, "changes"), "upserted");
	assert_int_equal(json_array_size(up), 1);
	assert_string_equal(fx_str(json_array_get(up, 0), "id"), fx_str(y, "id"));
	assert_true(json_equal(json_array_get(up, 0), y));
	char *tb = strdup(fx_str(r, "newToken"));
	/* and Z is not echoed on B's next call either */
	json_t *r2 = fx_sync(f, f->alice, f->alice_contacts, tb, 0, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r2, "changes"),
							 "upserted")), 0);
	json_decref(r2);
	/* a third device at t0 gets both Y and Z */
	json_t *ra = fx_sync(f, f->alice, f->alice_contacts, t0, 0, NULL, NULL, NULL);
	up = json_object_get(json_object_get(ra, "changes"), "upserted");
	assert_int_equal(json_array_size(up), 2);
	bool has_z = false;
	size_t k;
	json_t *v;
	json_array_foreach(up, k, v)
		has_z = has_z || strcmp(fx_str(v, "id"), fx_str(z, "id")) == 0;
	assert_true(has_z);
	json_decref(ra);
	json_decref(r);
	json_decref(y);
	free(tb);
	free(t0);
}

/* A call whose own writes outnumber the window: they are not sent back,
 * neither in this answer nor in later windows, and another device's change
 * made before them still arrives. */
static void test_own_writes_beyond_window_never_return(void **state)
{
	fx *f = *state;
	enum { N = 120, W = 50 };
	char *t0 = token_now(f, f->alice, f->alice_contacts, NULL);
	json_t *other = create_one(f, f->alice, f->alice_contacts, "other-device",
				   fields1("firstName", "Other"));
	json_t *creates = json_array();
	for (int i = 0; i < N; i++) {
		char cid[16];
		snprintf(cid, sizeof(cid), "bulk-%d", i);
		json_array_append_new(creates, json_pack("{s:s,s:{s:s}}", "clientId", cid,
							 "fields", "firstName", cid));
	}
	char *token = strdup(t0);
	int calls = 0, others = 0;
	json_t *changes = json_pack("{s:o}", "create", creates);
	for (bool more = true; more && calls < 10; calls++) {
		json_t *r = fx_sync(f, f->alice, f->alice_contacts, token, W, NULL, changes, NULL);
		changes = NULL;
		json_t *up = json_object_get(json_object_get(r, "changes"), "upserted");
		size_t k;
		json_t *v;
		json_array_foreach(up, k, v) {
			check(strcmp(fx_str(v, "id"), fx_str(other, "id")) == 0,
			      "call %d: own write %s sent back", calls + 1, fx_str(v, "id"));
			others++;
		}
		more = json_is_true(json_object_get(r, "moreAvailable"));
		free(token);
		token = strdup(fx_str(r, "newToken"));
		json_decref(r);
	}
	assert_int_equal(others, 1);
	/* and from the last token, nothing at all */
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, token, W, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "changes"),
							 "upserted")), 0);
	json_decref(r);
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), N + 1);
	free(token);
	free(t0);
	json_decref(other);
}

/* --- updates and conflicts ------------------------------------------------ */

/* Updates id from base as u with policy; returns the whole answer. */
static json_t *update(fx *f, const char *id, int64_t base, const char *policy,
		      json_t *patch)
{
	return fx_sync(f, f->alice, f->alice_contacts, NULL, 0, policy,
		       fx_update(id, base, patch), NULL);
}

static void test_merge_different_fields(void **state)
{
	fx *f = *state;
	json_t *it = create_one(f, f->alice, f->alice_contacts, "c-1",
				json_pack("{s:s,s:s,s:s}", "firstName", "Ada", "lastName", "L",
					  "company", "Old Co"));
	const char *id = fx_str(it, "id");
	int64_t base = fx_int(it, "version");
	/* device A: firstName; device B (same base): lastName and company removed */
	json_t *ra = update(f, id, base, NULL, fields1("firstName", "Augusta"));
	json_t *resa = fx_result(ra, 0);
	assert_string_equal(fx_str(resa, "status"), "ok");
	assert_null(json_object_get(resa, "conflict"));
	int64_t va = fx_int(resa, "version");
	assert_true(va > base);
	json_t *rb = update(f, id, base, NULL,
			    json_pack("{s:s,s:n}", "lastName", "King", "company"));
	json_t *resb = fx_result(rb, 0);
	assert_string_equal(fx_str(resb, "status"), "ok");
	check(json_object_get(resb, "conflict") == NULL, "disjoint patches reported a conflict");
	assert_true(fx_int(resb, "version") > va);
	json_t *want = json_pack("{s:s,s:s}", "firstName", "Augusta", "lastName", "King");
	json_t *item = json_object_get(resb, "item");
	check(json_equal(json_object_get(item, "fields"), want), "merged fields: %s",
	      json_dumps(json_object_get(item, "fields"), 0));
	json_t *got = fx_get(f, f->alice, f->alice_contacts, id);
	assert_true(json_equal(json_object_get(got, "fields"), want));
	assert_int_equal(fx_int(got, "version"), fx_int(resb, "version"));
	json_decref(got);
	json_decref(want);
	json_decref(ra);
	json_decref(rb);
	json_decref(it);
}

static void test_same_field_policies(void **state)
{
	fx *f = *state;
	for (int pol = 0; pol < 2; pol++) {
		const char *policy = pol == 0 ? "server" : "client";
		char cid[16];
		snprintf(cid, sizeof(cid), "c-%s", policy);
		json_t *it = create_one(f, f->alice, f->alice_contacts, cid,
					json_pack("{s:s,s:s}", "firstName", "Ada", "lastName", "L"));
		const char *id = fx_str(it, "id");
		int64_t base = fx_int(it, "version");
		json_t *ra = update(f, id, base, NULL, fields1("firstName", "ServerValue"));
		assert_string_equal(fx_str(fx_result(ra, 0), "status"), "ok");
		/* the other device patches the same field (and another one) from base */
		json_t *rb = update(f, id, base, pol == 0 ? NULL : policy,
				    json_pack("{s:s,s:s}", "firstName", "PatchValue",
					      "lastName", "Merged"));
		json_t *res = fx_result(rb, 0);
		assert_string_equal(fx_str(res, "status"), "ok");
		json_t *c = json_object_get(res, "conflict");
		check(c != NULL, "%s: no conflict reported", policy);
		assert_string_equal(fx_str(c, "policy"), policy);
		json_t *fl = json_object_get(c, "fields");
		assert_int_equal(json_array_size(fl), 1);
		assert_string_equal(json_string_value(json_array_get(fl, 0)), "firstName");
		json_t *lost = json_object_get(c, "lost");
		assert_int_equal(json_object_size(lost), 1);
		assert_null(json_object_get(c, "deletedOnServer"));
		json_t *got = fx_get(f, f->alice, f->alice_contacts, id);
		json_t *gf = json_object_get(got, "fields");
		if (pol == 0) {
			assert_string_equal(fx_str(lost, "firstName"), "PatchValue");
			assert_string_equal(fx_str(gf, "firstName"), "ServerValue");
		} else {
			assert_string_equal(fx_str(lost, "firstName"), "ServerValue");
			assert_string_equal(fx_str(gf, "firstName"), "PatchValue");
		}
		/* the non-conflicting field merged either way */
		assert_string_equal(fx_str(gf, "lastName"), "Merged");
		assert_true(json_equal(json_object_get(res, "item"), got));
		json_decref(got);
		json_decref(ra);
		json_decref(rb);
		json_decref(it);
	}
}

/* Patching a field to the value the server already has is no conflict. */
static void test_same_value_is_no_conflict(void **state)
{
	fx *f = *state;
	json_t *it = create_one(f, f->alice, f->alice_contacts, "c-1", fields1("firstName", "A"));
	const char *id = fx_str(it, "id");
	int64_t base = fx_int(it, "version");
	json_decref(update(f, id, base, NULL, fields1("firstName", "B")));
	json_t *r = update(f, id, base, NULL, fields1("firstName", "B"));
	json_t *res = fx_result(r, 0);
	assert_string_equal(fx_str(res, "status"), "ok");
	assert_null(json_object_get(res, "conflict"));
	json_decref(r);
	json_decref(it);
}

static void test_update_of_deleted_item(void **state)
{
	fx *f = *state;
	json_t *it = create_one(f, f->alice, f->alice_contacts, "c-1", fields1("firstName", "A"));
	const char *id = fx_str(it, "id");
	int64_t base = fx_int(it, "version");
	json_decref(fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL, fx_delete(id, base),
			    NULL));
	for (int pol = 0; pol < 2; pol++) {
		const char *policy = pol == 0 ? "server" : "client";
		json_t *patch = fields1("firstName", "Edited offline");
		json_t *r = update(f, id, base, policy, json_incref(patch));
		json_t *res = fx_result(r, 0);
		assert_string_equal(fx_str(res, "op"), "update");
		assert_string_equal(fx_str(res, "status"), "error");
		json_t *e = json_object_get(res, "error");
		assert_string_equal(fx_str(e, "type"), "itemDeleted");
		assert_string_equal(fx_str(e, "scope"), "item");
		json_t *c = json_object_get(res, "conflict");
		assert_non_null(c);
		assert_true(json_is_true(json_object_get(c, "deletedOnServer")));
		assert_string_equal(fx_str(c, "policy"), policy);
		assert_true(json_equal(json_object_get(c, "lost"), patch));
		json_decref(patch);
		json_decref(r);
	}
	/* nothing came back to life */
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 0);
	json_decref(it);
}

/* --- deletes ----------------------------------------------------------------- */

static void test_delete_with_stale_base(void **state)
{
	fx *f = *state;
	/* server policy: refused with conflict, item kept */
	json_t *it = create_one(f, f->alice, f->alice_contacts, "c-1", fields1("firstName", "A"));
	const char *id = fx_str(it, "id");
	int64_t base = fx_int(it, "version");
	json_t *ru = update(f, id, base, NULL, fields1("firstName", "Newer"));
	int64_t newer = fx_int(fx_result(ru, 0), "version");
	json_decref(ru);
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL, fx_delete(id, base),
			    NULL);
	json_t *res = fx_result(r, 0);
	assert_string_equal(fx_str(res, "op"), "delete");
	assert_string_equal(fx_str(res, "status"), "error");
	assert_string_equal(fx_str(json_object_get(res, "error"), "type"), "conflict");
	json_decref(r);
	json_t *got = fx_get(f, f->alice, f->alice_contacts, id);
	assert_non_null(got);
	assert_int_equal(fx_int(got, "version"), newer);
	assert_string_equal(fx_str(json_object_get(got, "fields"), "firstName"), "Newer");
	json_decref(got);
	json_decref(it);

	/* client policy: deleted, and the server's fields are handed back */
	it = create_one(f, f->alice, f->alice_contacts, "c-2", fields1("firstName", "B"));
	id = fx_str(it, "id");
	base = fx_int(it, "version");
	json_decref(update(f, id, base, NULL, fields1("lastName", "Server side")));
	r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, "client", fx_delete(id, base), NULL);
	res = fx_result(r, 0);
	assert_string_equal(fx_str(res, "status"), "ok");
	json_t *c = json_object_get(res, "conflict");
	assert_non_null(c);
	assert_string_equal(fx_str(c, "policy"), "client");
	json_t *want = json_pack("{s:s,s:s}", "firstName", "B", "lastName", "Server side");
	assert_true(json_equal(json_object_get(c, "lost"), want));
	json_decref(want);
	assert_true(fx_int(res, "version") > base);
	json_decref(r);
	assert_null(fx_get(f, f->alice, f->alice_contacts, id));
	json_decref(it);
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 1);
}

static void test_delete_of_gone_item(void **state)
{
	fx *f = *state;
	json_t *it = create_one(f, f->alice, f->alice_contacts, "c-1", fields1("firstName", "A"));
	const char *id = fx_str(it, "id");
	int64_t base = fx_int(it, "version");
	for (int i = 0; i < 2; i++) {
		json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
				    fx_delete(id, base), NULL);
		json_t *res = fx_result(r, 0);
		check(strcmp(fx_str(res, "status"), "ok") == 0, "delete #%d: %s", i + 1,
		      json_dumps(res, 0));
		assert_null(json_object_get(res, "error"));
		json_decref(r);
	}
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    fx_delete("never-existed", 1), NULL);
	assert_string_equal(fx_str(fx_result(r, 0), "status"), "ok");
	json_decref(r);
	json_decref(it);
}

/* --- per-item errors ------------------------------------------------------ */

static void test_field_too_long_stops_only_that_item(void **state)
{
	fx *f = *state;
	char long_name[130];
	memset(long_name, 'x', 129);
	long_name[129] = '\0';
	json_t *creates = json_pack("[{s:s,s:{s:s}},{s:s,s:{s:s}},{s:s,s:{s:s}}]",
				    "clientId", "c-a", "fields", "firstName", "Ok A",
				    "clientId", "c-b", "fields", "firstName", long_name,
				    "clientId", "c-c", "fields", "firstName", "Ok C");
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    json_pack("{s:o}", "create", creates), NULL);
	assert_string_equal(fx_str(fx_result(r, 0), "status"), "ok");
	assert_string_equal(fx_str(fx_result(r, 2), "status"), "ok");
	json_t *bad = fx_result(r, 1);
	assert_string_equal(fx_str(bad, "status"), "error");
	assert_string_equal(fx_str(bad, "clientId"), "c-b");
	assert_null(json_object_get(bad, "item"));
	json_t *e = json_object_get(bad, "error");
	assert_string_equal(fx_str(e, "type"), "fieldTooLong");
	assert_string_equal(fx_str(e, "field"), "firstName");
	assert_string_equal(fx_str(e, "scope"), "item");
	assert_string_equal(fx_str(e, "retry"), "final");
	assert_non_null(strstr(fx_str(e, "message"), "128"));
	json_decref(r);
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 2);
	/* the refused create did not use up its clientId */
	json_t *fixed = create_one(f, f->alice, f->alice_contacts, "c-b",
				   fields1("firstName", "Shorter"));
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 3);
	json_decref(fixed);

	/* an unknown field and a bad update are item errors too */
	r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
		    fx_create("c-d", fields1("fistName", "typo")), NULL);
	e = json_object_get(fx_result(r, 0), "error");
	assert_string_equal(fx_str(e, "type"), "unknownField");
	assert_string_equal(fx_str(e, "field"), "fistName");
	json_decref(r);
}

/* --- access control ------------------------------------------------------- */

static int64_t modseq(fx *f)
{
	int64_t m;
	at_error err;
	if (f->store->ops->current_modseq(f->store, &m, &err) < 0)
		fail_msg("current_modseq: %s", err.message);
	return m;
}

static void test_other_user_forbidden(void **state)
{
	fx *f = *state;
	json_t *it = create_one(f, f->alice, f->alice_contacts, "c-1", fields1("firstName", "A"));
	const char *id = fx_str(it, "id");
	int64_t v = fx_int(it, "version");
	int64_t before = modseq(f);
	at_error err;

	json_t *r = fx_sync(f, f->bob, f->alice_contacts, NULL, 0, NULL, NULL, &err);
	expect_error(r, &err, "forbidden", "bob Item/sync read");
	assert_string_equal(err.field, "folderId");
	r = fx_sync(f, f->bob, f->alice_contacts, NULL, 0, NULL,
		    fx_create("b-1", fields1("firstName", "Intruder")), &err);
	expect_error(r, &err, "forbidden", "bob Item/sync create");
	r = fx_sync(f, f->bob, f->alice_contacts, NULL, 0, "client",
		    fx_update(id, v, fields1("firstName", "Hacked")), &err);
	expect_error(r, &err, "forbidden", "bob Item/sync update");
	r = fx_sync(f, f->bob, f->alice_contacts, NULL, 0, "client", fx_delete(id, v), &err);
	expect_error(r, &err, "forbidden", "bob Item/sync delete");

	as_ctx bob = fx_ctx(f, f->bob, NULL);
	json_t *args = json_pack("{s:s}", "folderId", f->alice_contacts);
	r = as_item_list(&bob, args, &err);
	json_decref(args);
	expect_error(r, &err, "forbidden", "bob Item/list");
	args = json_pack("{s:s,s:[s]}", "folderId", f->alice_contacts, "ids", id);
	r = as_item_get(&bob, args, &err);
	json_decref(args);
	expect_error(r, &err, "forbidden", "bob Item/get");

	/* through his own folder, alice's item is simply not there */
	r = fx_sync(f, f->bob, f->bob_contacts, NULL, 0, "client",
		    fx_update(id, v, fields1("firstName", "Hacked")), NULL);
	assert_string_equal(fx_str(fx_result(r, 0), "status"), "error");
	json_decref(r);
	r = fx_sync(f, f->bob, f->bob_contacts, NULL, 0, "client", fx_delete(id, v), NULL);
	json_decref(r);
	args = json_pack("{s:s,s:[s]}", "folderId", f->bob_contacts, "ids", id);
	r = as_item_get(&bob, args, &err);
	json_decref(args);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "notFound")), 1);
	json_decref(r);

	/* nothing changed */
	assert_int_equal(modseq(f), before);
	json_t *got = fx_get(f, f->alice, f->alice_contacts, id);
	assert_non_null(got);
	assert_int_equal(fx_int(got, "version"), v);
	assert_string_equal(fx_str(json_object_get(got, "fields"), "firstName"), "A");
	json_decref(got);
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 1);
	json_decref(it);

	/* and an unknown folder is notFound */
	r = fx_sync(f, f->alice, "no-such-folder", NULL, 0, NULL, NULL, &err);
	expect_error(r, &err, "notFound", "unknown folder");
}

/* --- tokens ------------------------------------------------------------------ */

static void purge_all(fx *f)
{
	at_error err;
	int64_t n;
	if (f->store->ops->purge_tombstones(f->store, (int64_t)time(NULL) + 60, &n, &err) < 0)
		fail_msg("purge: %s", err.message);
}

static void test_token_older_than_horizon(void **state)
{
	fx *f = *state;
	json_t *a = create_one(f, f->alice, f->alice_contacts, "c-a", fields1("firstName", "A"));
	json_t *b = create_one(f, f->alice, f->alice_contacts, "c-b", fields1("firstName", "B"));
	char *t1 = token_now(f, f->alice, f->alice_contacts, NULL);
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, t1, 0, NULL,
			    fx_delete(fx_str(a, "id"), fx_int(a, "version")), NULL);
	char *t2 = strdup(fx_str(r, "newToken"));
	json_decref(r);
	/* before the purge, t1 learns of the deletion */
	r = fx_sync(f, f->alice, f->alice_contacts, t1, 0, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "changes"),
							 "removed")), 1);
	json_decref(r);

	purge_all(f);
	at_error err;
	r = fx_sync(f, f->alice, f->alice_contacts, t1, 0, NULL, NULL, &err);
	expect_error(r, &err, "cannotCalculateChanges", "token before the horizon");
	assert_string_equal(err.field, "sinceToken");
	assert_int_equal(err.scope, AT_SCOPE_FOLDER);
	/* with changes in the same call, nothing is applied either */
	r = fx_sync(f, f->alice, f->alice_contacts, t1, 0, NULL,
		    fx_create("c-c", fields1("firstName", "C")), &err);
	expect_error(r, &err, "cannotCalculateChanges", "token before the horizon + create");
	assert_int_equal(fx_count(f, f->alice, f->alice_contacts), 1);
	/* the token issued after the deletion, and a fresh start, still work */
	r = fx_sync(f, f->alice, f->alice_contacts, t2, 0, NULL, NULL, &err);
	check(r != NULL, "token at the horizon refused: %s", err.message);
	json_decref(r);
	r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL, NULL, &err);
	assert_non_null(r);
	json_decref(r);
	free(t1);
	free(t2);
	json_decref(a);
	json_decref(b);
}

/* A window can end in the middle of one transaction's changes: the token
 * then names (modseq, last id).  If the tombstones of that transaction are
 * purged, the rest of its deletions can no longer be told: such a token must
 * get cannotCalculateChanges, not an empty answer. */
static void test_mid_group_token_at_horizon(void **state)
{
	fx *f = *state;
	enum { N = 10, W = 3 };
	json_t *creates = json_array();
	for (int i = 0; i < N; i++) {
		char cid[16];
		snprintf(cid, sizeof(cid), "c-%d", i);
		json_array_append_new(creates, json_pack("{s:s,s:{s:s}}", "clientId", cid,
							 "fields", "firstName", cid));
	}
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    json_pack("{s:o}", "create", creates), NULL);
	char *t = strdup(fx_str(r, "newToken"));
	/* another device deletes all of them in one call (one modseq) */
	json_t *deletes = json_array();
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(r, "results"), k, v)
		json_array_append_new(deletes, json_pack("{s:s,s:I}", "id", fx_str(v, "id"),
							 "baseVersion", fx_int(v, "version")));
	json_decref(r);
	json_decref(fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    json_pack("{s:o}", "delete", deletes), NULL));
	/* the first device reads 3 of the 10 deletions */
	r = fx_sync(f, f->alice, f->alice_contacts, t, W, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "changes"),
							 "removed")), W);
	assert_true(json_is_true(json_object_get(r, "moreAvailable")));
	char *mid = strdup(fx_str(r, "newToken"));
	json_decref(r);

	purge_all(f);
	at_error err;
	r = fx_sync(f, f->alice, f->alice_contacts, mid, 512, NULL, NULL, &err);
	char shown[AT_TOKEN_MAX];
	snprintf(shown, sizeof(shown), "%s", mid);
	free(t);
	free(mid);
	if (r != NULL) {
		size_t removed = json_array_size(json_object_get(json_object_get(r, "changes"),
								 "removed"));
		json_decref(r);
		fail_msg("token %s (inside the purged transaction) answered with %zu of the %d "
			 "remaining deletions instead of cannotCalculateChanges", shown, removed,
			 N - W);
	}
	assert_string_equal(err.code, "cannotCalculateChanges");
}

static void test_invalid_tokens(void **state)
{
	fx *f = *state;
	static const char *const bad[] = {"garbage", "", "1-abc-", "2-1-", "1-1-bad id",
					  "1-999999-", "1-9223372036854775807-"};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		at_error err;
		json_t *r = fx_sync(f, f->alice, f->alice_contacts, bad[i], 0, NULL, NULL, &err);
		check(r == NULL, "token \"%s\" accepted", bad[i]);
		check(strcmp(err.code, "invalidToken") == 0, "token \"%s\": %s", bad[i], err.code);
		check(strcmp(err.field, "sinceToken") == 0, "token \"%s\": field %s", bad[i],
		      err.field);
	}
	/* the current position itself is fine */
	char *now = token_now(f, f->alice, f->alice_contacts, NULL);
	at_error err;
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, now, 0, NULL, NULL, &err);
	assert_non_null(r);
	json_decref(r);
	free(now);
}

/* --- Account/changePassword ---------------------------------------------------- */

static void test_change_password(void **state)
{
	fx *f = *state;
	at_error err;
	json_t *r = fx_call(f, f->alice, NULL, "Account/changePassword",
			    json_pack("{s:s,s:s}", "oldPassword", "not-my-password",
				      "newPassword", "Another-Good-One-42"), &err);
	expect_error(r, &err, "wrongPassword", "wrong old password");
	assert_string_equal(err.field, "oldPassword");

	r = fx_call(f, f->alice, NULL, "Account/changePassword",
		    json_pack("{s:s,s:s}", "oldPassword", FX_ALICE_PASSWORD,
			      "newPassword", "password1"), &err);
	expect_error(r, &err, "weakPassword", "weak new password");
	assert_string_equal(err.field, "newPassword");
	assert_non_null(strstr(err.message, "common"));

	r = fx_call(f, f->alice, NULL, "Account/changePassword",
		    json_pack("{s:s}", "oldPassword", FX_ALICE_PASSWORD), &err);
	expect_error(r, &err, "invalidArguments", "missing newPassword");

	r = fx_call(f, f->alice, NULL, "Account/changePassword",
		    json_pack("{s:s,s:s}", "oldPassword", FX_ALICE_PASSWORD,
			      "newPassword", "Tr0ub4dor&3-Horse"), &err);
	check(r != NULL, "good change refused: %s", err.message);
	const char *strength = fx_str(r, "strength");
	check(strcmp(strength, "strong") == 0 || strcmp(strength, "fair") == 0, "strength %s",
	      strength);
	assert_string_equal(strength, "strong");
	assert_int_equal(json_object_size(r), 1);
	json_decref(r);

	as_user u;
	at_error_clear(&err);
	assert_int_equal(as_auth_password(f->store, f->arena, "alice", "Tr0ub4dor&3-Horse",
					  time(NULL), &u, &err), 0);
	assert_string_equal(u.id, f->alice->id);
	assert_int_equal(as_auth_password(f->store, f->arena, "alice", FX_ALICE_PASSWORD,
					  time(NULL), &u, &err), -1);
	assert_string_equal(err.code, "unauthorized");

	/* unknown methods are reported in place */
	r = fx_call(f, f->alice, NULL, "Item/frobnicate", json_object(), &err);
	expect_error(r, &err, "unknownMethod", "unknown method");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_users, fx_teardown)
		T(test_folder_sync_new_user),
		T(test_create_returns_item_with_client_id),
		T(test_replayed_create),
		T(test_windows_of_fifty),
		T(test_own_changes_not_echoed),
		T(test_own_writes_beyond_window_never_return),
		T(test_merge_different_fields),
		T(test_same_field_policies),
		T(test_same_value_is_no_conflict),
		T(test_update_of_deleted_item),
		T(test_delete_with_stale_base),
		T(test_delete_of_gone_item),
		T(test_field_too_long_stops_only_that_item),
		T(test_other_user_forbidden),
		T(test_token_older_than_horizon),
		T(test_mid_group_token_at_horizon),
		T(test_invalid_tokens),
		T(test_change_password),
#undef T
	};
	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
