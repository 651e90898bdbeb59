/* test_store.c — the local offline store: pending states, patches, errors,
 * transactions, durability across reopening and kill -9. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "log.h"
#include "store.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	ac_store *store;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	at_error err;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/atrium-store-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/store.db", fx->dir);
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_store_close(&fx->store);
	assert_null(fx->store);
	ac_remove_tree(fx->dir, &err);
	free(fx);
	return 0;
}

static void add(fixture *fx, const char *json, char id[AC_ID_SIZE])
{
	json_t *f = json_loads(json, 0, NULL);
	at_error err;
	assert_non_null(f);
	assert_int_equal(ac_store_item_add(fx->store, "fA", "contact", f, id, &err), 0);
	json_decref(f);
}

static void edit(fixture *fx, const char *ref, const char *json)
{
	json_t *p = json_loads(json, 0, NULL);
	at_error err;
	assert_non_null(p);
	assert_int_equal(ac_store_item_edit(fx->store, ref, p, &err), 0);
	json_decref(p);
}

static ac_item *get(fixture *fx, const char *ref)
{
	ac_item *it = NULL;
	at_error err;
	assert_int_equal(ac_store_item_get(fx->store, ref, &it, &err), 0);
	return it;
}

/* What the engine does when the server acknowledged the item. */
static void acknowledge(fixture *fx, const char *id, const char *server_id, int64_t version)
{
	ac_item *it = get(fx, id);
	at_error err;
	snprintf(it->server_id, sizeof(it->server_id), "%s", server_id);
	it->version = version;
	json_decref(it->base_fields);
	it->base_fields = json_deep_copy(it->fields);
	it->state = AC_STATE_SYNCED;
	assert_int_equal(ac_store_item_put(fx->store, it, &err), 0);
	ac_item_free(&it);
	assert_null(it);
}

static json_t *patch_of(fixture *fx, const char *id)
{
	ac_item *it = get(fx, id);
	json_t *p = ac_item_patch(it);
	ac_item_free(&it);
	return p;
}

static size_t pending(fixture *fx, int64_t run)
{
	ac_item_list l;
	at_error err;
	assert_int_equal(ac_store_pending(fx->store, "fA", run, 100, &l, &err), 0);
	size_t n = l.n;
	ac_item_list_free(&l);
	return n;
}

static void test_add_edit_delete_states(void **state)
{
	fixture *fx = *state;
	char id[AC_ID_SIZE];
	at_error err;
	add(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}", id);
	assert_int_equal(strlen(id), 16);

	ac_item *it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_CREATED);
	assert_string_equal(it->client_id, id);  /* the create's clientId */
	assert_string_equal(it->server_id, "");
	assert_null(it->base_fields);
	ac_item_free(&it);
	json_t *p = patch_of(fx, id);
	assert_int_equal(json_object_size(p), 2);  /* a create sends everything */
	json_decref(p);

	/* editing an unsent create keeps it a create */
	edit(fx, id, "{\"company\":\"Analytical Engines\"}");
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_CREATED);
	assert_string_equal(ac_jstr(it->fields, "company"), "Analytical Engines");
	ac_item_free(&it);

	acknowledge(fx, id, "s1", 7);
	/* by server id too */
	it = get(fx, "s1");
	assert_string_equal(it->local_id, id);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	ac_item_free(&it);
	p = patch_of(fx, id);
	assert_int_equal(json_object_size(p), 0);
	json_decref(p);

	/* an edit: modified, the patch holds only what differs, null removes */
	edit(fx, id, "{\"firstName\":null,\"jobTitle\":\"Countess\"}");
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_MODIFIED);
	assert_int_equal(it->version, 7);
	ac_item_free(&it);
	p = patch_of(fx, id);
	assert_int_equal(json_object_size(p), 2);
	assert_true(json_is_null(json_object_get(p, "firstName")));
	assert_string_equal(ac_jstr(p, "jobTitle"), "Countess");
	json_decref(p);

	/* editing back to the server's state: in sync again */
	edit(fx, id, "{\"firstName\":\"Ada\",\"jobTitle\":null}");
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	ac_item_free(&it);

	/* delete: kept as a pending delete until the server confirms */
	assert_int_equal(ac_store_item_delete(fx->store, id, &err), 0);
	it = get(fx, id);
	assert_int_equal(it->state, AC_STATE_DELETED);
	ac_item_free(&it);
	assert_int_equal(pending(fx, 1), 1);
	/* a deleted item cannot be edited or deleted again */
	json_t *x = json_pack("{s:s}", "company", "x");
	assert_int_equal(ac_store_item_edit(fx->store, id, x, &err), -1);
	assert_string_equal(err.code, AT_E_NOT_FOUND);
	json_decref(x);
	assert_int_equal(ac_store_item_delete(fx->store, id, &err), -1);

	/* a create never sent vanishes on delete; a sent one waits */
	char a[AC_ID_SIZE], b[AC_ID_SIZE];
	add(fx, "{\"lastName\":\"Never sent\"}", a);
	assert_int_equal(ac_store_item_delete(fx->store, a, &err), 0);
	assert_int_equal(ac_store_item_get(fx->store, a, &it, &err), -1);
	assert_string_equal(err.code, AT_E_NOT_FOUND);
	add(fx, "{\"lastName\":\"Sent once\"}", b);
	it = get(fx, b);
	it->sent = true;
	assert_int_equal(ac_store_item_put(fx->store, it, &err), 0);
	ac_item_free(&it);
	assert_int_equal(ac_store_item_delete(fx->store, b, &err), 0);
	it = get(fx, b);
	assert_int_equal(it->state, AC_STATE_DELETED);
	ac_item_free(&it);

	int64_t n;
	assert_int_equal(ac_store_pending_count(fx->store, &n, &err), 0);
	assert_int_equal(n, 2);
}

static void test_errors_hold_items_back(void **state)
{
	fixture *fx = *state;
	char a[AC_ID_SIZE], b[AC_ID_SIZE];
	at_error err;
	add(fx, "{\"lastName\":\"Final\"}", a);
	add(fx, "{\"lastName\":\"Temporary\"}", b);
	assert_int_equal(pending(fx, 1), 2);

	ac_item *it = get(fx, a);
	it->error = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "fieldTooLong", "scope",
			      "item", "retry", "final", "message", "too long", "field",
			      "lastName");
	it->error_run = 1;
	assert_int_equal(ac_store_item_put(fx->store, it, &err), 0);
	ac_item_free(&it);
	it = get(fx, b);
	it->error = json_pack("{s:s,s:s,s:s,s:s}", "type", "serverFail", "scope", "item",
			      "retry", "temporary", "message", "busy");
	it->error_retry = true;
	it->error_run = 1;
	assert_int_equal(ac_store_item_put(fx->store, it, &err), 0);
	ac_item_free(&it);

	/* same run: neither is sent again; next run: only the temporary one */
	assert_int_equal(pending(fx, 1), 0);
	assert_int_equal(pending(fx, 2), 1);
	int64_t n;
	assert_int_equal(ac_store_pending_count(fx->store, &n, &err), 0);
	assert_int_equal(n, 2);

	/* the user's edit clears the error: sent again */
	edit(fx, a, "{\"lastName\":\"Fixed\"}");
	it = get(fx, a);
	assert_null(it->error);
	ac_item_free(&it);
	assert_int_equal(pending(fx, 1), 1);
}

static void test_survives_reopen(void **state)
{
	fixture *fx = *state;
	char id[AC_ID_SIZE];
	at_error err;
	add(fx, "{\"lastName\":\"Durable\"}", id);
	assert_int_equal(ac_store_meta_set(fx->store, "lastSync", "2026-01-01T00:00:00Z",
					   &err), 0);
	ac_store_close(&fx->store);
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	ac_item *it = get(fx, id);
	assert_string_equal(ac_jstr(it->fields, "lastName"), "Durable");
	assert_int_equal(it->state, AC_STATE_CREATED);
	ac_item_free(&it);
	char *v = NULL;
	assert_int_equal(ac_store_meta_get(fx->store, "lastSync", &v, &err), 0);
	assert_string_equal(v, "2026-01-01T00:00:00Z");
	free(v);
}

static void test_survives_kill9(void **state)
{
	fixture *fx = *state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a separate connector process: add, then die at once */
		ac_store *s = NULL;
		at_error err;
		char id[AC_ID_SIZE];
		json_t *f = json_pack("{s:s}", "lastName", "Killed");
		if (ac_store_open(fx->path, &s, &err) < 0 ||
		    ac_store_item_add(s, "fA", "contact", f, id, &err) < 0)
			_exit(3);
		if (write(fds[1], id, AC_ID_SIZE) != AC_ID_SIZE)
			_exit(4);
		raise(SIGKILL);
		_exit(5);
	}
	close(fds[1]);
	char id[AC_ID_SIZE] = "";
	assert_int_equal(read(fds[0], id, AC_ID_SIZE), AC_ID_SIZE);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	ac_store_close(&fx->store);
	at_error err;
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	ac_item *it = get(fx, id);
	assert_string_equal(ac_jstr(it->fields, "lastName"), "Killed");
	ac_item_free(&it);
}

static void test_nested_transactions(void **state)
{
	fixture *fx = *state;
	at_error err;
	assert_int_equal(ac_store_begin(fx->store, &err), 0);
	assert_int_equal(ac_store_meta_set(fx->store, "k", "outer", &err), 0);
	assert_int_equal(ac_store_begin(fx->store, &err), 0);
	assert_int_equal(ac_store_meta_set(fx->store, "k2", "inner", &err), 0);
	ac_store_rollback(fx->store);
	/* the inner failure dooms the whole transaction */
	assert_int_equal(ac_store_commit(fx->store, &err), -1);
	char *v = NULL;
	assert_int_equal(ac_store_meta_get(fx->store, "k", &v, &err), 0);
	assert_null(v);

	assert_int_equal(ac_store_begin(fx->store, &err), 0);
	assert_int_equal(ac_store_begin(fx->store, &err), 0);
	assert_int_equal(ac_store_meta_set(fx->store, "k", "both", &err), 0);
	assert_int_equal(ac_store_commit(fx->store, &err), 0);
	assert_int_equal(ac_store_commit(fx->store, &err), 0);
	assert_int_equal(ac_store_meta_get(fx->store, "k", &v, &err), 0);
	assert_string_equal(v, "both");
	free(v);
}

static void test_folders(void **state)
{
	fixture *fx = *state;
	at_error err;
	char id[AC_ID_SIZE], early[AC_ID_SIZE];
	json_t *f1 = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "id", "fA", "name", "Contacts",
			       "displayName", "Contacts", "module", "contacts", "type",
			       "private", "isDefault", 1);
	json_t *f2 = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "id", "fB", "name", "Team",
			       "displayName", "Bob – Team", "module", "contacts", "type",
			       "shared", "isDefault", 0);
	assert_int_equal(ac_store_folder_put(fx->store, f1, &err), 0);
	assert_int_equal(ac_store_folder_put(fx->store, f2, &err), 0);
	assert_int_equal(ac_store_folder_set_sync(fx->store, "fB", "1-5-", true, &err), 0);
	/* an update of the description keeps the token */
	assert_int_equal(ac_store_folder_put(fx->store, f2, &err), 0);
	json_decref(f1);
	json_decref(f2);
	ac_folder_list l;
	assert_int_equal(ac_store_folders(fx->store, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].token, "1-5-");
	assert_true(l.v[1].more);
	ac_folder_list_free(&l);

	assert_int_equal(ac_store_default_folder(fx->store, AT_MODULE_CONTACTS, id, &err), 0);
	assert_string_equal(id, "fA");
	assert_int_equal(ac_store_find_folder(fx->store, "Team", id, &err), 0);
	assert_string_equal(id, "fB");
	assert_int_equal(ac_store_find_folder(fx->store, "Bob – Team", id, &err), 0);
	assert_string_equal(id, "fB");
	assert_int_equal(ac_store_find_folder(fx->store, "nope", id, &err), -1);
	assert_string_equal(err.code, AT_E_NOT_FOUND);

	/* an item made before the tree was known joins the default folder */
	json_t *f = json_pack("{s:s}", "lastName", "Early");
	assert_int_equal(ac_store_item_add(fx->store, "", "contact", f, early, &err), 0);
	json_decref(f);
	assert_int_equal(ac_store_assign_default_folder(fx->store, "fA", &err), 0);
	ac_item *it = get(fx, early);
	assert_string_equal(it->folder_id, "fA");
	ac_item_free(&it);

	/* removing a folder keeps its unsent changes as sync issues */
	f = json_pack("{s:s}", "lastName", "In B");
	assert_int_equal(ac_store_item_add(fx->store, "fB", "contact", f, id, &err), 0);
	json_decref(f);
	assert_int_equal(ac_store_folder_remove(fx->store, "fB", &err), 0);
	assert_int_equal(ac_store_item_get(fx->store, id, &it, &err), -1);
	json_t *issues = NULL;
	assert_int_equal(ac_store_issues(fx->store, &issues, &err), 0);
	assert_int_equal(json_array_size(issues), 1);
	json_t *is = json_array_get(issues, 0);
	assert_string_equal(ac_jstr(is, "reason"), "folderRemoved");
	assert_string_equal(ac_jstr(is, "itemId"), id);
	assert_string_equal(ac_jstr(json_object_get(is, "fields"), "lastName"), "In B");
	json_decref(issues);
	int64_t n;
	assert_int_equal(ac_store_issue_count(fx->store, &n, &err), 0);
	assert_int_equal(n, 1);
}

static void test_item_json(void **state)
{
	fixture *fx = *state;
	char id[AC_ID_SIZE];
	add(fx, "{\"lastName\":\"Json\"}", id);
	ac_item *it = get(fx, id);
	json_t *j = ac_item_to_json(it);
	assert_string_equal(ac_jstr(j, "id"), id);
	assert_true(json_is_null(json_object_get(j, "serverId")));
	assert_string_equal(ac_jstr(j, "folderId"), "fA");
	assert_string_equal(ac_jstr(j, "state"), "created");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 0);
	assert_string_equal(ac_jstr(json_object_get(j, "fields"), "lastName"), "Json");
	assert_true(json_is_null(json_object_get(j, "error")));
	json_decref(j);
	ac_item_free(&it);
}

static void test_blob_refs(void **state)
{
	fixture *fx = *state;
	char a[AC_ID_SIZE], b[AC_ID_SIZE];
	at_error err;
	const char *h1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111",
		   *h2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222",
		   *h3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333",
		   *h4 = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
	char json[600];
	snprintf(json, sizeof(json),
		 "{\"lastName\":\"Photo\",\"photo\":{\"blobId\":\"%s\",\"type\":\"image/png\"}}", h1);
	add(fx, json, a);
	add(fx, "{\"lastName\":\"Nothing\",\"notes\":\"no blobId here\"}", b);
	/* the server's version (base) had another photo; the current one too */
	ac_item *it = get(fx, a);
	snprintf(it->server_id, sizeof(it->server_id), "s-a");
	it->base_fields = json_pack("{s:s,s:{s:s,s:s}}", "lastName", "Photo", "photo", "blobId",
				    h2, "type", "image/png");
	it->state = AC_STATE_MODIFIED;
	assert_int_equal(ac_store_item_put(fx->store, it, &err), 0);
	/* a Sync Issue keeps an attachment */
	json_t *lost = json_pack("{s:[{s:s,s:s}]}", "attachments", "blobId", h3, "name", "r.pdf");
	assert_int_equal(ac_store_issue_add(fx->store, it, lost, "conflict", NULL, &err), 0);
	json_decref(lost);
	ac_item_free(&it);

	json_t *set = json_object();
	assert_int_equal(ac_store_blob_refs(fx->store, set, &err), 0);
	assert_int_equal(json_object_size(set), 3);
	assert_non_null(json_object_get(set, h1));
	assert_non_null(json_object_get(set, h2));
	assert_non_null(json_object_get(set, h3));
	assert_null(json_object_get(set, h4));
	json_decref(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_edit_delete_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_hold_items_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_refs, setup, teardown),
	};
	at_log_set_level(AT_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
