/* server_fixture.c — see server_fixture.h. */
#include "server_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void init_once(void)
{
	static bool done;
	if (done)
		return;
	if (as_auth_init() < 0)
		fail_msg("as_auth_init failed");
	/* keep test output readable: store migrations etc. log at info */
	at_log_set_level(AT_LOG_WARN);
	done = true;
}

static fx *fx_new(void)
{
	init_once();
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/atrium-test-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		fail_msg("mkdtemp %s failed", f->dir);
	f->arena = at_arena_new(0);
	at_error err;
	at_error_clear(&err);
	f->store = as_store_open_sqlite(f->dir, &err);
	if (f->store == NULL)
		fail_msg("as_store_open_sqlite: %s", err.message);
	return f;
}

int fx_setup_empty(void **state)
{
	*state = fx_new();
	return 0;
}

int fx_setup_users(void **state)
{
	fx *f = fx_new();
	at_error err;
	at_error_clear(&err);
	if (as_account_create(f->store, f->arena, "alice", "Alice Liddell", "alice@example.org",
			      FX_ALICE_PASSWORD, &f->alice, &err) < 0)
		fail_msg("create alice: %s", err.message);
	if (as_account_create(f->store, f->arena, "bob", "Bob Builder", "bob@example.org",
			      FX_BOB_PASSWORD, &f->bob, &err) < 0)
		fail_msg("create bob: %s", err.message);
	f->alice_contacts = fx_default_folder(f, f->alice, AT_MODULE_CONTACTS);
	f->bob_contacts = fx_default_folder(f, f->bob, AT_MODULE_CONTACTS);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int fx_teardown(void **state)
{
	fx *f = *state;
	if (f == NULL)
		return 0;
	as_store_close(&f->store);
	if (getenv("ATRIUM_KEEP_TMP") == NULL)
		nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", f->dir);
	at_arena_free(&f->arena);
	free(f);
	*state = NULL;
	return 0;
}

void fx_reopen(fx *f)
{
	as_store_close(&f->store);
	at_error err;
	at_error_clear(&err);
	f->store = as_store_open_sqlite(f->dir, &err);
	if (f->store == NULL)
		fail_msg("reopen: %s", err.message);
}

struct find_folder {
	at_module module;
	const char *id;
	at_arena *arena;
};

static int on_folder(void *ctx, const as_folder *folder)
{
	struct find_folder *ff = ctx;
	if (folder->module == ff->module && folder->is_default && ff->id == NULL)
		ff->id = at_arena_strdup(ff->arena, folder->id);
	return 0;
}

const char *fx_default_folder(fx *f, const as_user *u, at_module module)
{
	struct find_folder ff = {module, NULL, f->arena};
	at_error err;
	at_error_clear(&err);
	as_store *s = f->store;
	if (s->ops->begin(s, false, &err) < 0 ||
	    s->ops->folder_list_owned(s, u->id, 0, f->arena, on_folder, &ff, &err) < 0)
		fail_msg("folder_list_owned: %s", err.message);
	s->ops->rollback(s);
	if (ff.id == NULL)
		fail_msg("%s has no default %s folder", u->login, at_module_name(module));
	return ff.id;
}

as_ctx fx_ctx(fx *f, const as_user *u, const char *token_hash)
{
	as_ctx ctx = {.store = f->store, .arena = f->arena, .user = u,
		      .token_hash = token_hash};
	return ctx;
}

json_t *fx_call(fx *f, const as_user *u, const char *token_hash, const char *method,
		json_t *args, at_error *err)
{
	at_arena *a = at_arena_new(0);
	as_ctx ctx = {.store = f->store, .arena = a, .user = u, .token_hash = token_hash};
	json_t *body = json_pack("{s:[s],s:[[s,o,s]]}", "using", AT_CAPABILITY_CORE,
				 "methodCalls", method, args, "call-1");
	assert_non_null(body);
	at_error berr;
	at_error_clear(&berr);
	at_error_clear(err);
	json_t *answer = as_api_batch(&ctx, body, &berr);
	json_decref(body);
	if (answer == NULL)
		fail_msg("as_api_batch refused the request: %s", berr.message);
	json_t *resp = json_array_get(json_object_get(answer, "methodResponses"), 0);
	check(json_array_size(json_object_get(answer, "methodResponses")) == 1,
	      "expected one method response");
	const char *name = json_string_value(json_array_get(resp, 0));
	json_t *out = json_array_get(resp, 1);
	check(strcmp(json_string_value(json_array_get(resp, 2)), "call-1") == 0,
	      "callId not echoed");
	json_t *result = NULL;
	if (strcmp(name, "error") == 0) {
		at_error_from_json(out, err);
	} else {
		check(strcmp(name, method) == 0, "answer named %s for %s", name, method);
		result = json_incref(out);
	}
	json_decref(answer);
	at_arena_free(&a);
	return result;
}

json_t *fx_sync(fx *f, const as_user *u, const char *folder, const char *since,
		unsigned window, const char *policy, json_t *changes, at_error *err)
{
	json_t *args = json_pack("{s:s}", "folderId", folder);
	if (since != NULL)
		json_object_set_new(args, "sinceToken", json_string(since));
	if (window != 0)
		json_object_set_new(args, "windowSize", json_integer(window));
	if (policy != NULL)
		json_object_set_new(args, "conflictPolicy", json_string(policy));
	if (changes != NULL)
		json_object_set_new(args, "changes", changes);
	as_ctx ctx = fx_ctx(f, u, NULL);
	at_error local;
	at_error *e = err != NULL ? err : &local;
	at_error_clear(e);
	json_t *r = as_item_sync(&ctx, args, e);
	json_decref(args);
	if (r == NULL && err == NULL)
		fail_msg("Item/sync failed: %s: %s", local.code, local.message);
	return r;
}

json_t *fx_create(const char *client_id, json_t *fields)
{
	return json_pack("{s:[{s:s,s:o}]}", "create", "clientId", client_id, "fields", fields);
}

json_t *fx_update(const char *id, int64_t base, json_t *fields)
{
	return json_pack("{s:[{s:s,s:I,s:o}]}", "update", "id", id, "baseVersion",
			 (json_int_t)base, "fields", fields);
}

json_t *fx_delete(const char *id, int64_t base)
{
	return json_pack("{s:[{s:s,s:I}]}", "delete", "id", id, "baseVersion",
			 (json_int_t)base);
}

json_t *fx_result(json_t *answer, size_t i)
{
	json_t *r = json_array_get(json_object_get(answer, "results"), i);
	if (r == NULL)
		fail_msg("answer has no results[%zu]", i);
	return r;
}

int fx_count(fx *f, const as_user *u, const char *folder)
{
	as_ctx ctx = fx_ctx(f, u, NULL);
	json_t *args = json_pack("{s:s}", "folderId", folder);
	at_error err;
	at_error_clear(&err);
	json_t *r = as_item_list(&ctx, args, &err);
	json_decref(args);
	if (r == NULL)
		return -1;
	int n = (int)json_array_size(json_object_get(r, "items"));
	json_decref(r);
	return n;
}

json_t *fx_get(fx *f, const as_user *u, const char *folder, const char *id)
{
	as_ctx ctx = fx_ctx(f, u, NULL);
	json_t *args = json_pack("{s:s,s:[s]}", "folderId", folder, "ids", id);
	at_error err;
	at_error_clear(&err);
	json_t *r = as_item_get(&ctx, args, &err);
	json_decref(args);
	if (r == NULL)
		fail_msg("Item/get failed: %s", err.message);
	json_t *item = json_incref(json_array_get(json_object_get(r, "items"), 0));
	json_decref(r);
	return item;
}

const char *fx_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("member %s is not a string", key);
	return json_string_value(v);
}

int64_t fx_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("member %s is not an integer", key);
	return (int64_t)json_integer_value(v);
}

const char *fx_write_file(fx *f, const char *name, const char *text)
{
	char *path = at_arena_printf(f->arena, "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}
