/* test_engine.c — the sync engine against a fake server.
 *
 * The fake server sits behind a fake ac_transport and follows
 * docs/protocol.md closely enough to hold the engine to it: one modification
 * sequence, tokens "1-MODSEQ-LASTID", windows with moreAvailable, idempotent
 * creates by clientId, per-field conflict detection with both policies,
 * update/delete versus delete, tombstones with a horizon
 * (cannotCalculateChanges), Item/list and Item/get, and the model's field
 * validation.  It records every request so tests can check what the engine
 * sent, and it can lose answers (apply a request, then fail the transport)
 * to test resumption.  A fake push stream checks where the daemon's streams
 * start (daemon.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "protocol.h"
#include "store.h"

/* --- the fake server ----------------------------------------------------------- */

typedef struct fitem {
	char id[AC_ID_SIZE];
	char folder[AC_ID_SIZE];
	char client_id[AC_ID_SIZE];
	int64_t version;
	json_t *fields;   /* NULL once deleted */
	json_t *fver;     /* field -> modseq of its last change */
	int64_t call_no;  /* the call that changed it last */
} fitem;

typedef struct fake {
	int64_t modseq;
	int64_t call_no;
	fitem *items;
	size_t n, cap;
	json_t *folders;        /* folder objects */
	json_t *folder_gen;     /* id -> generation it was created in */
	json_t *removed_folders;/* [[id, gen]] */
	int64_t folder_gen_now;
	json_t *requests;       /* every POST /api body */
	int lose;               /* apply the next N Item/sync requests, then fail */
	int down;               /* refuse the next N requests before applying */
	int64_t horizon;        /* older tokens: cannotCalculateChanges */
	char forbidden[AC_ID_SIZE];
	size_t max_changes;
	int next_id;
	const char *push_url;   /* the session's pushUrl (NULL: no push) */
	char streams[4][128];   /* paths the push streams were opened with */
	int n_streams;
} fake;

static fitem *find_item(fake *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].id, id) == 0)
			return &f->items[i];
	return NULL;
}

static fitem *find_client(fake *f, const char *cid)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].client_id, cid) == 0)
			return &f->items[i];
	return NULL;
}

static void add_folder(fake *f, const char *id, const char *name, bool is_default)
{
	json_t *o = json_pack("{s:s,s:n,s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:s,s:s,s:s,s:b},s:i}",
			      "id", id, "parentId", "name", name, "displayName", name,
			      "module", "contacts", "type", "private", "ownerId", "u1",
			      "isDefault", is_default, "rights", "folder", "subfolders",
			      "read", "all", "write", "all", "delete", "all", "admin", 1,
			      "version", 1);
	json_array_append_new(f->folders, o);
	json_object_set_new(f->folder_gen, id, json_integer(++f->folder_gen_now));
}

static void remove_folder(fake *f, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(f->folders, i, v) {
		if (strcmp(ac_jstr(v, "id"), id) == 0) {
			json_array_remove(f->folders, i);
			break;
		}
	}
	json_array_append_new(f->removed_folders, json_pack("[s,I]", id,
							    (json_int_t)++f->folder_gen_now));
}

/* A change by "another client": creates or updates item id in folder. */
static fitem *server_put(fake *f, const char *folder, const char *id, json_t *patch)
{
	fitem *it = id != NULL ? find_item(f, id) : NULL;
	f->modseq++;
	if (it == NULL) {
		if (f->n == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 64;
			f->items = realloc(f->items, f->cap * sizeof(*f->items));
		}
		it = &f->items[f->n++];
		memset(it, 0, sizeof(*it));
		if (id != NULL)
			snprintf(it->id, sizeof(it->id), "%s", id);
		else
			snprintf(it->id, sizeof(it->id), "s%d", ++f->next_id);
		snprintf(it->folder, sizeof(it->folder), "%s", folder);
		it->fields = json_object();
		it->fver = json_object();
	}
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		if (json_is_null(v))
			json_object_del(it->fields, k);
		else
			json_object_set(it->fields, k, v);
		json_object_set_new(it->fver, k, json_integer(f->modseq));
	}
	it->version = f->modseq;
	it->call_no = 0;
	return it;
}

static void server_delete(fake *f, const char *id)
{
	fitem *it = find_item(f, id);
	assert_non_null(it);
	f->modseq++;
	json_decref(it->fields);
	it->fields = NULL;
	it->version = f->modseq;
	it->call_no = 0;
}

static size_t alive_in(fake *f, const char *folder)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i].fields != NULL && strcmp(f->items[i].folder, folder) == 0)
			n++;
	return n;
}

static json_t *item_json(fitem *it)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:O}", "id", it->id, "folderId",
			      it->folder, "type", "contact", "version",
			      (json_int_t)it->version, "createdBy", "u1", "fields", it->fields);
	if (it->client_id[0])
		json_object_set_new(o, "clientId", json_string(it->client_id));
	return o;
}

static json_t *error_result(const char *op, const char *key, const char *id,
			    const at_error *e)
{
	json_t *r = json_pack("{s:s,s:s,s:o}", "op", op, "status", "error", "error",
			      at_error_to_json(e));
	if (id != NULL)
		json_object_set_new(r, key, json_string(id));
	return r;
}

static json_t *ok_result(const char *op, fitem *it)
{
	json_t *r = json_pack("{s:s,s:s,s:s,s:I}", "op", op, "status", "ok", "id", it->id,
			      "version", (json_int_t)it->version);
	if (it->fields != NULL)
		json_object_set_new(r, "item", item_json(it));
	return r;
}

static bool after(int64_t v, const char *id, const at_token *tok)
{
	if (v != tok->modseq)
		return v > tok->modseq;
	return tok->last_id[0] != '\0' && strcmp(id, tok->last_id) > 0;
}

static int cmp_change(const void *a, const void *b)
{
	const fitem *x = *(fitem *const *)a, *y = *(fitem *const *)b;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->id, y->id);
}

static json_t *method_error(const char *code, at_scope scope, const char *msg)
{
	at_error e;
	at_error_set(&e, code, scope, AT_RETRY_FINAL, NULL, "%s", msg);
	return at_error_to_json(&e);
}

static json_t *item_sync(fake *f, json_t *args, const char **name_r)
{
	at_arena *arena = at_arena_new(0);
	at_item_sync_req req;
	at_error e;
	at_token tok = {0};
	json_t *out = NULL;
	const at_item_type *ct = at_model_item_type("contact");

	*name_r = "error";
	if (at_item_sync_req_decode(args, arena, &req, &e) < 0) {
		out = at_error_to_json(&e);
		goto done;
	}
	if (strcmp(req.folder_id, f->forbidden) == 0) {
		out = method_error(AT_E_FORBIDDEN, AT_SCOPE_FOLDER, "no access");
		goto done;
	}
	bool exists = false;
	size_t i;
	json_t *v;
	json_array_foreach(f->folders, i, v) {
		if (strcmp(ac_jstr(v, "id"), req.folder_id) == 0)
			exists = true;
	}
	if (!exists) {
		out = method_error(AT_E_NOT_FOUND, AT_SCOPE_FOLDER, "no such folder");
		goto done;
	}
	if (req.since_token != NULL) {
		if (at_token_parse(req.since_token, &tok, &e) < 0) {
			out = at_error_to_json(&e);
			goto done;
		}
		if (tok.modseq < f->horizon) {
			out = method_error(AT_E_CANNOT_CALCULATE, AT_SCOPE_FOLDER, "too old");
			goto done;
		}
	}
	assert_true(req.n_changes <= f->max_changes);
	f->call_no++;
	json_t *results = json_array();
	json_t *forced = json_array();
	for (size_t c = 0; c < req.n_changes; c++) {
		at_change *ch = &req.changes[c];
		if (ch->kind == AT_CHANGE_CREATE) {
			fitem *it = find_client(f, ch->client_id);
			if (it != NULL && it->fields != NULL) {
				json_t *r = ok_result("create", it);
				json_object_set_new(r, "clientId", json_string(ch->client_id));
				json_object_set_new(r, "replayed", json_true());
				json_array_append_new(results, r);
				continue;
			}
			if (it != NULL) {
				at_error_set(&e, AT_E_ITEM_DELETED, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					     NULL, "deleted since");
				json_array_append_new(results, error_result("create", "clientId",
									    ch->client_id, &e));
				continue;
			}
			if (at_model_validate(ct, ch->fields, false, &e) < 0) {
				json_array_append_new(results, error_result("create", "clientId",
									    ch->client_id, &e));
				continue;
			}
			it = server_put(f, req.folder_id, NULL, ch->fields);
			snprintf(it->client_id, sizeof(it->client_id), "%s", ch->client_id);
			it->call_no = f->call_no;
			json_t *r = ok_result("create", it);
			json_object_set_new(r, "clientId", json_string(ch->client_id));
			json_array_append_new(results, r);
		} else if (ch->kind == AT_CHANGE_UPDATE) {
			fitem *it = find_item(f, ch->id);
			if (it == NULL || it->fields == NULL) {
				at_error_set(&e, AT_E_ITEM_DELETED, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					     NULL, "deleted on the server");
				json_t *r = error_result("update", "id", ch->id, &e);
				json_object_set_new(r, "conflict", json_pack(
					"{s:s,s:[],s:{},s:b}", "policy", at_policy_name(req.policy),
					"fields", "lost", "deletedOnServer", 1));
				json_array_append_new(results, r);
				continue;
			}
			if (at_model_validate(ct, ch->fields, true, &e) < 0) {
				json_array_append_new(results, error_result("update", "id", ch->id,
									    &e));
				continue;
			}
			json_t *apply = json_object(), *lost = json_object(), *names = json_array();
			const char *k;
			json_object_foreach(ch->fields, k, v) {
				json_t *fv = json_object_get(it->fver, k);
				json_t *cur = json_object_get(it->fields, k);
				bool differs = json_is_null(v) ? cur != NULL
							       : !(cur && json_equal(cur, v));
				if (fv && json_integer_value(fv) > ch->base_version && differs) {
					json_array_append_new(names, json_string(k));
					if (req.policy == AT_POLICY_SERVER) {
						json_object_set(lost, k, v);
						continue;
					}
					json_object_set(lost, k, cur ? cur : json_null());
				}
				json_object_set(apply, k, v);
			}
			server_put(f, req.folder_id, ch->id, apply);
			it = find_item(f, ch->id);
			it->call_no = f->call_no;
			json_t *r = ok_result("update", it);
			if (json_array_size(names) > 0)
				json_object_set_new(r, "conflict", json_pack(
					"{s:s,s:O,s:O}", "policy", at_policy_name(req.policy),
					"fields", names, "lost", lost));
			json_array_append_new(results, r);
			json_decref(apply);
			json_decref(lost);
			json_decref(names);
		} else {
			fitem *it = find_item(f, ch->id);
			if (it == NULL || it->fields == NULL) {
				json_array_append_new(results, json_pack(
					"{s:s,s:s,s:s,s:I}", "op", "delete", "status", "ok", "id",
					ch->id, "version", (json_int_t)f->modseq));
				continue;
			}
			json_t *conflict = NULL;
			if (ch->base_version < it->version) {
				if (req.policy == AT_POLICY_SERVER) {
					at_error_set(&e, AT_E_CONFLICT, AT_SCOPE_ITEM,
						     AT_RETRY_FINAL, NULL, "changed since");
					json_array_append_new(results, error_result(
						"delete", "id", ch->id, &e));
					json_array_append_new(forced, json_string(ch->id));
					continue;
				}
				conflict = json_pack("{s:s,s:[],s:O}", "policy", "client",
						     "fields", "lost", it->fields);
			}
			server_delete(f, ch->id);
			it->call_no = f->call_no;
			json_t *r = json_pack("{s:s,s:s,s:s,s:I}", "op", "delete", "status",
					      "ok", "id", ch->id, "version",
					      (json_int_t)it->version);
			if (conflict != NULL)
				json_object_set_new(r, "conflict", conflict);
			json_array_append_new(results, r);
		}
	}
	/* server changes after the token, not echoing this call's own */
	fitem **ch = calloc(f->n + 1, sizeof(*ch));
	size_t nch = 0;
	for (size_t k = 0; k < f->n; k++) {
		fitem *it = &f->items[k];
		if (strcmp(it->folder, req.folder_id) != 0 || it->call_no == f->call_no)
			continue;
		if (req.since_token == NULL ? it->fields != NULL
					    : after(it->version, it->id, &tok))
			ch[nch++] = it;
	}
	qsort(ch, nch, sizeof(*ch), cmp_change);
	json_t *upserted = json_array(), *removed = json_array();
	json_array_foreach(forced, i, v) {
		json_array_append_new(upserted, item_json(find_item(f, json_string_value(v))));
	}
	size_t take = nch < req.window ? nch : req.window;
	for (size_t k = 0; k < take; k++) {
		if (ch[k]->fields != NULL)
			json_array_append_new(upserted, item_json(ch[k]));
		else
			json_array_append_new(removed, json_string(ch[k]->id));
	}
	char token[AT_TOKEN_MAX];
	at_token nt = {.modseq = f->modseq};
	if (take < nch) {
		nt.modseq = ch[take - 1]->version;
		snprintf(nt.last_id, sizeof(nt.last_id), "%s", ch[take - 1]->id);
	}
	at_token_format(&nt, token);
	out = json_pack("{s:s,s:o,s:{s:o,s:o},s:s,s:b}", "folderId", req.folder_id,
			"results", results, "changes", "upserted", upserted, "removed",
			removed, "newToken", token, "moreAvailable", take < nch);
	json_decref(forced);
	free(ch);
	*name_r = "Item/sync";
done:
	at_arena_free(&arena);
	return out;
}

static json_t *folder_sync(fake *f, json_t *args, const char **name_r)
{
	const char *since = ac_jstr(args, "sinceToken");
	int64_t gen = since != NULL ? strtoll(since + 1, NULL, 10) : 0;
	json_t *created = json_array(), *removed = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(f->folders, i, v) {
		if (json_integer_value(json_object_get(f->folder_gen, ac_jstr(v, "id"))) > gen)
			json_array_append(created, v);
	}
	json_array_foreach(f->removed_folders, i, v) {
		if (since != NULL && json_integer_value(json_array_get(v, 1)) > gen)
			json_array_append(removed, json_array_get(v, 0));
	}
	char token[32];
	snprintf(token, sizeof(token), "F%lld", (long long)f->folder_gen_now);
	*name_r = "Folder/sync";
	return json_pack("{s:o,s:[],s:o,s:s}", "created", created, "updated", "removed",
			 removed, "newToken", token);
}

static json_t *item_list(fake *f, json_t *args, const char **name_r)
{
	const char *folder = ac_jstr(args, "folderId");
	json_t *items = json_array();
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i].fields != NULL && strcmp(f->items[i].folder, folder) == 0)
			json_array_append_new(items, json_pack("{s:s,s:I}", "id", f->items[i].id,
							       "version",
							       (json_int_t)f->items[i].version));
	char token[AT_TOKEN_MAX];
	at_token t = {.modseq = f->modseq};
	at_token_format(&t, token);
	*name_r = "Item/list";
	return json_pack("{s:s,s:o,s:s}", "folderId", folder, "items", items, "token", token);
}

static json_t *item_get(fake *f, json_t *args, const char **name_r)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *items = json_array(), *nf = json_array();
	size_t i;
	json_t *v;
	assert_true(json_array_size(ids) <= 512);
	json_array_foreach(ids, i, v) {
		fitem *it = find_item(f, json_string_value(v));
		if (it != NULL && it->fields != NULL)
			json_array_append_new(items, item_json(it));
		else
			json_array_append(nf, v);
	}
	*name_r = "Item/get";
	return json_pack("{s:s,s:o,s:o}", "folderId", ac_jstr(args, "folderId"), "items",
			 items, "notFound", nf);
}

static int fake_call(void *ctx, const char *path, json_t *body, json_t **reply_r,
		     at_error *err)
{
	fake *f = ctx;
	assert_string_equal(path, "/api");
	if (f->down > 0) {
		f->down--;
		return at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
				    NULL, "connection refused");
	}
	json_array_append_new(f->requests, json_deep_copy(body));
	json_t *calls = json_object_get(body, "methodCalls");
	assert_true(json_is_array(calls));
	assert_true(json_array_size(calls) <= AT_MAX_CALLS_IN_REQUEST);
	json_t *responses = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(calls, i, c) {
		const char *method = json_string_value(json_array_get(c, 0));
		json_t *args = json_array_get(c, 1);
		const char *name = "error";
		json_t *res;
		if (strcmp(method, "Item/sync") == 0)
			res = item_sync(f, args, &name);
		else if (strcmp(method, "Folder/sync") == 0)
			res = folder_sync(f, args, &name);
		else if (strcmp(method, "Item/list") == 0)
			res = item_list(f, args, &name);
		else if (strcmp(method, "Item/get") == 0)
			res = item_get(f, args, &name);
		else
			res = method_error(AT_E_UNKNOWN_METHOD, AT_SCOPE_SERVER, method);
		json_array_append_new(responses, json_pack("[s,o,O]", name, res,
							   json_array_get(c, 2)));
	}
	const char *first = json_string_value(json_array_get(json_array_get(calls, 0), 0));
	if (f->lose > 0 && strcmp(first, "Item/sync") == 0) {
		f->lose--;
		json_decref(responses);
		return at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
				    NULL, "timeout");
	}
	*reply_r = json_pack("{s:o}", "methodResponses", responses);
	return 0;
}

static int fake_get(void *ctx, const char *path, json_t **reply_r, at_error *err)
{
	fake *f = ctx;
	assert_string_equal(path, "/api/session");
	if (f->down > 0) {
		f->down--;
		return at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
				    NULL, "connection refused");
	}
	*reply_r = json_pack("{s:{s:s,s:s,s:s,s:s},s:s,s:s?,s:s,s:{},s:{s:i,s:i,s:I,s:i,s:i,s:o}}",
			     "user", "id", "u1", "login", "alice", "name", "Alice", "email",
			     "alice@example.org", "apiUrl", "/api", "pushUrl", f->push_url,
			     "serverVersion", "test", "capabilities",
			     "limits", "maxCallsInRequest", 64, "maxRequestBytes", 16 << 20,
			     "maxChangesInSync", (json_int_t)f->max_changes, "defaultWindow", 50,
			     "maxWindow", 512, "fields", at_model_limits_json());
	return 0;
}

/* --- fixture ------------------------------------------------------------------ */

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
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/atrium-engine-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/store.db", fx->dir);
	at_error err;
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	fx->srv.folders = json_array();
	fx->srv.folder_gen = json_object();
	fx->srv.removed_folders = json_array();
	fx->srv.requests = json_array();
	fx->srv.max_changes = 1024;
	fx->t.call = fake_call;
	fx->t.get = fake_get;
	fx->t.ctx = &fx->srv;
	add_folder(&fx->srv, "fA", "Contacts", true);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_store_close(&fx->store);
	ac_remove_tree(fx->dir, &err);
	for (size_t i = 0; i < fx->srv.n; i++) {
		json_decref(fx->srv.items[i].fields);
		json_decref(fx->srv.items[i].fver);
	}
	free(fx->srv.items);
	json_decref(fx->srv.folders);
	json_decref(fx->srv.folder_gen);
	json_decref(fx->srv.removed_folders);
	json_decref(fx->srv.requests);
	free(fx);
	return 0;
}

static ac_sync_stats sync_ok(fixture *fx, at_policy policy, unsigned window)
{
	ac_engine_options o = {.window = window, .policy = policy};
	ac_sync_stats st;
	at_error err;
	at_error_clear(&err);
	int r = ac_engine_sync(fx->store, &fx->t, &o, &st, &err);
	if (r != 0)
		fail_msg("sync failed: %s: %s", err.code, err.message);
	return st;
}

static size_t local_count(fixture *fx, const char *folder)
{
	ac_item_list l;
	at_error err;
	assert_int_equal(ac_store_items(fx->store, folder, &l, &err), 0);
	size_t n = l.n;
	ac_item_list_free(&l);
	return n;
}

static ac_item *local_by_server(fixture *fx, const char *sid)
{
	ac_item *it = NULL;
	at_error err;
	assert_int_equal(ac_store_item_by_server_id(fx->store, sid, &it, &err), 0);
	return it;
}

static ac_item *local_get(fixture *fx, const char *ref)
{
	ac_item *it = NULL;
	at_error err;
	assert_int_equal(ac_store_item_get(fx->store, ref, &it, &err), 0);
	return it;
}

static void add_local(fixture *fx, const char *json, char id[AC_ID_SIZE])
{
	json_t *fields = json_loads(json, 0, NULL);
	at_error err;
	assert_non_null(fields);
	assert_int_equal(ac_store_item_add(fx->store, "", "contact", fields, id, &err), 0);
	json_decref(fields);
}

static void edit_local(fixture *fx, const char *ref, const char *json)
{
	json_t *patch = json_loads(json, 0, NULL);
	at_error err;
	assert_non_null(patch);
	if (ac_store_item_edit(fx->store, ref, patch, &err) != 0)
		fail_msg("edit: %s", err.message);
	json_decref(patch);
}

/* The Item/sync calls of request number i (counting only requests that
 * carry Item/sync). */
static json_t *item_sync_request(fixture *fx, size_t nth)
{
	size_t i, seen = 0;
	json_t *r;
	json_array_foreach(fx->srv.requests, i, r) {
		json_t *calls = json_object_get(r, "methodCalls");
		const char *m = json_string_value(json_array_get(json_array_get(calls, 0), 0));
		if (strcmp(m, "Item/sync") != 0)
			continue;
		if (seen++ == nth)
			return calls;
	}
	return NULL;
}

static size_t item_sync_requests(fixture *fx)
{
	size_t n = 0;
	while (item_sync_request(fx, n) != NULL)
		n++;
	return n;
}

static json_t *last_item_sync_args(fixture *fx)
{
	size_t n = item_sync_requests(fx);
	assert_true(n > 0);
	return json_array_get(json_array_get(item_sync_request(fx, n - 1), 0), 1);
}

static json_t *issues(fixture *fx)
{
	json_t *list = NULL;
	at_error err;
	assert_int_equal(ac_store_issues(fx->store, &list, &err), 0);
	return list;
}

/* --- tests ------------------------------------------------------------------- */

static void test_round_robin(void **state)
{
	fixture *fx = *state;
	add_folder(&fx->srv, "fB", "Other", false);
	for (int i = 0; i < 120; i++) {
		char name[32];
		snprintf(name, sizeof(name), "A%03d", i);
		json_t *p = json_pack("{s:s}", "lastName", name);
		server_put(&fx->srv, "fA", NULL, p);
		json_decref(p);
	}
	for (int i = 0; i < 3; i++) {
		json_t *p = json_pack("{s:s}", "company", "B corp");
		server_put(&fx->srv, "fB", NULL, p);
		json_decref(p);
	}
	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.rounds, 3);
	assert_int_equal(item_sync_requests(fx), 3);
	assert_int_equal(st.received, 123);
	assert_int_equal(st.folders, 2);
	/* first round: both folders in one request */
	json_t *r0 = item_sync_request(fx, 0);
	assert_int_equal(json_array_size(r0), 2);
	/* later rounds: only the folder with more */
	for (size_t k = 1; k < 3; k++) {
		json_t *rk = item_sync_request(fx, k);
		assert_int_equal(json_array_size(rk), 1);
		json_t *args = json_array_get(json_array_get(rk, 0), 1);
		assert_string_equal(ac_jstr(args, "folderId"), "fA");
		assert_int_equal(json_integer_value(json_object_get(args, "windowSize")), 50);
		assert_string_equal(ac_jstr(args, "conflictPolicy"), "server");
		assert_non_null(ac_jstr(args, "sinceToken"));
	}
	assert_int_equal(local_count(fx, "fA"), 120);
	assert_int_equal(local_count(fx, "fB"), 3);

	/* nothing new: one round, both folders asked once, nothing received */
	st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.rounds, 1);
	assert_int_equal(st.received, 0);
	assert_int_equal(local_count(fx, "fA"), 120);
}

static void test_send_changes(void **state)
{
	fixture *fx = *state;
	char a[AC_ID_SIZE], b[AC_ID_SIZE];
	sync_ok(fx, AT_POLICY_SERVER, 50);
	add_local(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}", a);
	add_local(fx, "{\"lastName\":\"Babbage\"}", b);
	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.sent, 2);
	json_t *args = last_item_sync_args(fx);
	json_t *creates = json_object_get(json_object_get(args, "changes"), "create");
	assert_int_equal(json_array_size(creates), 2);
	assert_string_equal(ac_jstr(json_array_get(creates, 0), "clientId"), a);
	assert_int_equal(alive_in(&fx->srv, "fA"), 2);

	ac_item *it = local_get(fx, a);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_string_equal(it->folder_id, "fA");
	assert_true(it->server_id[0] != '\0');
	char sid[AC_ID_SIZE];
	snprintf(sid, sizeof(sid), "%s", it->server_id);
	int64_t v = it->version;
	ac_item_free(&it);

	/* an edit goes as a patch of the changed fields only, with baseVersion */
	edit_local(fx, a, "{\"firstName\":null,\"company\":\"Analytical\"}");
	sync_ok(fx, AT_POLICY_SERVER, 50);
	args = last_item_sync_args(fx);
	json_t *upd = json_array_get(json_object_get(json_object_get(args, "changes"),
						     "update"), 0);
	assert_string_equal(ac_jstr(upd, "id"), sid);
	assert_int_equal(json_integer_value(json_object_get(upd, "baseVersion")), v);
	json_t *patch = json_object_get(upd, "fields");
	assert_int_equal(json_object_size(patch), 2);
	assert_true(json_is_null(json_object_get(patch, "firstName")));
	assert_string_equal(ac_jstr(patch, "company"), "Analytical");
	fitem *si = find_item(&fx->srv, sid);
	assert_null(json_object_get(si->fields, "firstName"));
	assert_string_equal(ac_jstr(si->fields, "lastName"), "Lovelace");

	/* a delete */
	at_error err;
	assert_int_equal(ac_store_item_delete(fx->store, a, &err), 0);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_null(find_item(&fx->srv, sid)->fields);
	assert_int_equal(local_count(fx, "fA"), 1);

	/* in sync: nothing is sent any more */
	size_t before = item_sync_requests(fx);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(item_sync_requests(fx), before + 1);
	assert_null(json_object_get(last_item_sync_args(fx), "changes"));
}

static void test_lost_response_same_client_id(void **state)
{
	fixture *fx = *state;
	char a[AC_ID_SIZE];
	sync_ok(fx, AT_POLICY_SERVER, 50);
	add_local(fx, "{\"firstName\":\"Grace\",\"lastName\":\"Hopper\"}", a);

	/* the server applies the create, but the answer is lost */
	fx->srv.lose = 1;
	ac_engine_options o = {.window = 50};
	at_error err;
	at_error_clear(&err);
	assert_int_equal(ac_engine_sync(fx->store, &fx->t, &o, NULL, &err), -1);
	assert_string_equal(err.code, AT_E_UNAVAILABLE);
	assert_int_equal(alive_in(&fx->srv, "fA"), 1);
	ac_item *it = local_get(fx, a);
	assert_int_equal(it->state, AC_STATE_CREATED);
	ac_item_free(&it);

	/* retry: the same clientId, answered as a replay; nothing doubled */
	sync_ok(fx, AT_POLICY_SERVER, 50);
	json_t *args = last_item_sync_args(fx);
	json_t *creates = json_object_get(json_object_get(args, "changes"), "create");
	assert_int_equal(json_array_size(creates), 1);
	assert_string_equal(ac_jstr(json_array_get(creates, 0), "clientId"), a);
	assert_int_equal(alive_in(&fx->srv, "fA"), 1);
	assert_int_equal(local_count(fx, "fA"), 1);
	it = local_get(fx, a);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_string_equal(it->server_id, fx->srv.items[0].id);
	ac_item_free(&it);

	/* lost twice, and the server meanwhile echoes it as a change: still one */
	char b[AC_ID_SIZE];
	add_local(fx, "{\"lastName\":\"Turing\"}", b);
	fx->srv.lose = 1;
	at_error_clear(&err);
	assert_int_equal(ac_engine_sync(fx->store, &fx->t, &o, NULL, &err), -1);
	json_t *p = json_pack("{s:s}", "lastName", "Other");
	server_put(&fx->srv, "fA", NULL, p);  /* moves the folder forward */
	json_decref(p);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(alive_in(&fx->srv, "fA"), 3);
	assert_int_equal(local_count(fx, "fA"), 3);
	it = local_get(fx, b);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	ac_item_free(&it);
}

static void test_conflict_kept_as_issue(void **state)
{
	fixture *fx = *state;
	json_t *p = json_pack("{s:s,s:s}", "lastName", "Hopper", "company", "Navy");
	fitem *si = server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	char sid[AC_ID_SIZE];
	snprintf(sid, sizeof(sid), "%s", si->id);
	sync_ok(fx, AT_POLICY_SERVER, 50);

	/* both sides change company; the server wins by default */
	p = json_pack("{s:s}", "company", "Server Inc");
	server_put(&fx->srv, "fA", sid, p);
	json_decref(p);
	ac_item *it = local_by_server(fx, sid);
	char lid[AC_ID_SIZE];
	snprintf(lid, sizeof(lid), "%s", it->local_id);
	ac_item_free(&it);
	edit_local(fx, lid, "{\"company\":\"Local Ltd\",\"jobTitle\":\"Admiral\"}");
	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.issues, 1);
	it = local_get(fx, lid);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_string_equal(ac_jstr(it->fields, "company"), "Server Inc");
	assert_string_equal(ac_jstr(it->fields, "jobTitle"), "Admiral");
	ac_item_free(&it);
	json_t *list = issues(fx);
	assert_int_equal(json_array_size(list), 1);
	json_t *issue = json_array_get(list, 0);
	assert_string_equal(ac_jstr(issue, "itemId"), lid);
	assert_string_equal(ac_jstr(issue, "reason"), "conflict");
	assert_string_equal(ac_jstr(json_object_get(issue, "fields"), "company"), "Local Ltd");
	json_decref(list);

	/* under the client policy the local value wins, the server's is kept */
	p = json_pack("{s:s}", "company", "Server Again");
	server_put(&fx->srv, "fA", sid, p);
	json_decref(p);
	edit_local(fx, lid, "{\"company\":\"Mine\"}");
	st = sync_ok(fx, AT_POLICY_CLIENT, 50);
	assert_int_equal(st.issues, 1);
	assert_string_equal(ac_jstr(find_item(&fx->srv, sid)->fields, "company"), "Mine");
	list = issues(fx);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(ac_jstr(json_object_get(json_array_get(list, 1), "fields"),
				    "company"), "Server Again");
	json_decref(list);
}

static void test_merge_server_change_into_local_edit(void **state)
{
	fixture *fx = *state;
	json_t *p = json_pack("{s:s,s:s}", "lastName", "Noether", "company", "Old");
	fitem *si = server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	char sid[AC_ID_SIZE];
	snprintf(sid, sizeof(sid), "%s", si->id);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	ac_item *it = local_by_server(fx, sid);
	char lid[AC_ID_SIZE];
	snprintf(lid, sizeof(lid), "%s", it->local_id);
	ac_item_free(&it);

	/* an edit and a server change of another field in the same call:
	 * both survive */
	edit_local(fx, lid, "{\"jobTitle\":\"Professor\"}");
	p = json_pack("{s:s}", "company", "Erlangen");
	server_put(&fx->srv, "fA", sid, p);
	json_decref(p);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	it = local_get(fx, lid);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_string_equal(ac_jstr(it->fields, "company"), "Erlangen");
	assert_string_equal(ac_jstr(it->fields, "jobTitle"), "Professor");
	ac_item_free(&it);

	/* a local edit held back by an error meets a server change: the
	 * server's field is merged in, the local edit stays unsent */
	char longtitle[200];
	memset(longtitle, 'x', 150);
	longtitle[150] = '\0';
	json_t *bad = json_pack("{s:s}", "jobTitle", longtitle);
	at_error err;
	assert_int_equal(ac_store_item_edit(fx->store, lid, bad, &err), 0);
	json_decref(bad);
	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.errors, 1);
	p = json_pack("{s:s}", "company", "Göttingen");
	server_put(&fx->srv, "fA", sid, p);
	json_decref(p);
	st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.received, 1);
	it = local_get(fx, lid);
	assert_int_equal(it->state, AC_STATE_MODIFIED);
	assert_non_null(it->error);
	assert_string_equal(ac_jstr(it->fields, "company"), "Göttingen");
	assert_string_equal(ac_jstr(it->fields, "jobTitle"), longtitle);
	assert_int_equal(it->version, find_item(&fx->srv, sid)->version);
	ac_item_free(&it);

	/* fixed: only the user's field is sent, the server's stays */
	edit_local(fx, lid, "{\"jobTitle\":\"Professorin\"}");
	sync_ok(fx, AT_POLICY_SERVER, 50);
	json_t *upd = json_array_get(json_object_get(json_object_get(
		last_item_sync_args(fx), "changes"), "update"), 0);
	assert_int_equal(json_object_size(json_object_get(upd, "fields")), 1);
	si = find_item(&fx->srv, sid);
	assert_string_equal(ac_jstr(si->fields, "company"), "Göttingen");
	assert_string_equal(ac_jstr(si->fields, "jobTitle"), "Professorin");
	json_t *list = issues(fx);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void test_item_error_not_resent_until_edited(void **state)
{
	fixture *fx = *state;
	char a[AC_ID_SIZE], b[AC_ID_SIZE];
	char longname[300];
	memset(longname, 'x', 200);
	longname[200] = '\0';
	sync_ok(fx, AT_POLICY_SERVER, 50);
	/* stored without local validation, as ATRIUM_SKIP_LOCAL_VALIDATION does */
	json_t *bad = json_pack("{s:s}", "lastName", longname);
	at_error err;
	assert_int_equal(ac_store_item_add(fx->store, "", "contact", bad, a, &err), 0);
	json_decref(bad);
	add_local(fx, "{\"lastName\":\"Fine\"}", b);

	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.sent, 1);  /* the good one went through */
	assert_int_equal(alive_in(&fx->srv, "fA"), 1);
	ac_item *it = local_get(fx, a);
	assert_int_equal(it->state, AC_STATE_CREATED);
	assert_non_null(it->error);
	assert_string_equal(ac_jstr(it->error, "type"), AT_E_FIELD_TOO_LONG);
	assert_string_equal(ac_jstr(it->error, "field"), "lastName");
	assert_non_null(strstr(ac_jstr(it->error, "message"), "128"));
	ac_item_free(&it);
	int64_t pending;
	assert_int_equal(ac_store_pending_count(fx->store, &pending, &err), 0);
	assert_int_equal(pending, 1);

	/* not resent, however often we sync */
	for (int k = 0; k < 2; k++) {
		st = sync_ok(fx, AT_POLICY_SERVER, 50);
		assert_int_equal(st.errors, 0);
		assert_null(json_object_get(last_item_sync_args(fx), "changes"));
	}
	/* the user fixes it: the error is gone and the create goes */
	edit_local(fx, a, "{\"lastName\":\"Short\"}");
	it = local_get(fx, a);
	assert_null(it->error);
	ac_item_free(&it);
	st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.sent, 1);
	json_t *creates = json_object_get(json_object_get(last_item_sync_args(fx),
							  "changes"), "create");
	assert_string_equal(ac_jstr(json_array_get(creates, 0), "clientId"), a);
	it = local_get(fx, a);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_null(it->error);
	ac_item_free(&it);
	assert_int_equal(alive_in(&fx->srv, "fA"), 2);
}

static void test_cannot_calculate_reconciles(void **state)
{
	fixture *fx = *state;
	char sids[5][AC_ID_SIZE];
	for (int i = 0; i < 5; i++) {
		char nick[16];
		snprintf(nick, sizeof(nick), "n%d", i);
		json_t *p = json_pack("{s:s,s:s}", "lastName", "Person", "nickname", nick);
		fitem *si = server_put(&fx->srv, "fA", NULL, p);
		snprintf(sids[i], sizeof(sids[i]), "%s", si->id);
		json_decref(p);
	}
	sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(local_count(fx, "fA"), 5);

	/* offline: a local create whose answer gets lost, a local edit */
	char a[AC_ID_SIZE], b[AC_ID_SIZE];
	add_local(fx, "{\"lastName\":\"Lost Answer\"}", a);
	fx->srv.lose = 1;
	at_error err;
	ac_engine_options o = {.window = 50};
	assert_int_equal(ac_engine_sync(fx->store, &fx->t, &o, NULL, &err), -1);
	ac_item *it = local_by_server(fx, sids[1]);
	snprintf(b, sizeof(b), "%s", it->local_id);
	ac_item_free(&it);
	edit_local(fx, b, "{\"jobTitle\":\"Kept\"}");

	/* meanwhile on the server: one deleted, one changed, one new; and the
	 * tombstones expire */
	server_delete(&fx->srv, sids[0]);
	json_t *p = json_pack("{s:s}", "company", "Changed");
	server_put(&fx->srv, "fA", sids[2], p);
	json_decref(p);
	p = json_pack("{s:s}", "lastName", "Newcomer");
	server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	fx->srv.horizon = fx->srv.modseq;

	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	(void)st;
	/* one local item per server item, no more, no less */
	assert_int_equal(alive_in(&fx->srv, "fA"), 6);
	assert_int_equal(local_count(fx, "fA"), 6);
	for (size_t i = 0; i < fx->srv.n; i++) {
		fitem *si = &fx->srv.items[i];
		it = local_by_server(fx, si->id);
		if (si->fields == NULL) {
			assert_null(it);
			continue;
		}
		assert_non_null(it);
		assert_int_equal(it->state, AC_STATE_SYNCED);
		assert_true(json_equal(it->fields, si->fields));
		ac_item_free(&it);
	}
	it = local_get(fx, a);
	assert_string_equal(it->server_id, find_client(&fx->srv, a)->id);
	ac_item_free(&it);
	/* the unsent edit reached the server */
	assert_string_equal(ac_jstr(find_item(&fx->srv, sids[1])->fields, "jobTitle"), "Kept");
	json_t *list = issues(fx);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void test_deleted_on_server(void **state)
{
	fixture *fx = *state;
	json_t *p = json_pack("{s:s}", "lastName", "Gone");
	fitem *si = server_put(&fx->srv, "fA", NULL, p);
	char s1[AC_ID_SIZE], s2[AC_ID_SIZE];
	snprintf(s1, sizeof(s1), "%s", si->id);
	si = server_put(&fx->srv, "fA", NULL, p);
	snprintf(s2, sizeof(s2), "%s", si->id);
	json_decref(p);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	ac_item *it = local_by_server(fx, s1);
	char l1[AC_ID_SIZE], l2[AC_ID_SIZE];
	snprintf(l1, sizeof(l1), "%s", it->local_id);
	ac_item_free(&it);
	it = local_by_server(fx, s2);
	snprintf(l2, sizeof(l2), "%s", it->local_id);
	ac_item_free(&it);
	edit_local(fx, l1, "{\"company\":\"edited\"}");
	edit_local(fx, l2, "{\"company\":\"edited too\"}");
	server_delete(&fx->srv, s1);
	server_delete(&fx->srv, s2);

	/* server policy: the local version becomes a sync issue */
	sync_ok(fx, AT_POLICY_SERVER, 50);
	json_t *list = issues(fx);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(ac_jstr(json_array_get(list, 0), "reason"), "deletedOnServer");
	json_decref(list);
	assert_int_equal(local_count(fx, "fA"), 0);

	/* client policy: re-created under a new clientId */
	p = json_pack("{s:s}", "lastName", "Phoenix");
	si = server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	char s3[AC_ID_SIZE];
	snprintf(s3, sizeof(s3), "%s", si->id);
	sync_ok(fx, AT_POLICY_CLIENT, 50);
	it = local_by_server(fx, s3);
	char l3[AC_ID_SIZE];
	snprintf(l3, sizeof(l3), "%s", it->local_id);
	ac_item_free(&it);
	edit_local(fx, l3, "{\"company\":\"rises\"}");
	server_delete(&fx->srv, s3);
	sync_ok(fx, AT_POLICY_CLIENT, 50);
	it = local_get(fx, l3);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_string_not_equal(it->server_id, s3);
	assert_string_not_equal(it->client_id, l3);
	fitem *again = find_item(&fx->srv, it->server_id);
	assert_non_null(again);
	assert_string_equal(ac_jstr(again->fields, "company"), "rises");
	ac_item_free(&it);
	assert_int_equal(alive_in(&fx->srv, "fA"), 1);
}

static void test_update_answered_item_deleted(void **state)
{
	fixture *fx = *state;
	json_t *p = json_pack("{s:s}", "lastName", "Ghost");
	fitem *si = server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	char sid[AC_ID_SIZE];
	snprintf(sid, sizeof(sid), "%s", si->id);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	ac_item *it = local_by_server(fx, sid);
	char lid[AC_ID_SIZE];
	snprintf(lid, sizeof(lid), "%s", it->local_id);
	ac_item_free(&it);
	edit_local(fx, lid, "{\"company\":\"late edit\"}");
	/* the update itself meets itemDeleted (server policy: kept as issue) */
	server_delete(&fx->srv, sid);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	json_t *list = issues(fx);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(ac_jstr(json_object_get(json_array_get(list, 0), "fields"),
				    "company"), "late edit");
	json_decref(list);
	assert_int_equal(local_count(fx, "fA"), 0);
}

static void test_delete_conflict_server_policy(void **state)
{
	fixture *fx = *state;
	json_t *p = json_pack("{s:s}", "lastName", "Stays");
	fitem *si = server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	char sid[AC_ID_SIZE];
	snprintf(sid, sizeof(sid), "%s", si->id);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	ac_item *it = local_by_server(fx, sid);
	char lid[AC_ID_SIZE];
	snprintf(lid, sizeof(lid), "%s", it->local_id);
	ac_item_free(&it);
	at_error err;
	assert_int_equal(ac_store_item_delete(fx->store, lid, &err), 0);
	p = json_pack("{s:s}", "company", "changed meanwhile");
	server_put(&fx->srv, "fA", sid, p);
	json_decref(p);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	/* refused: the item comes back with the server's version */
	assert_non_null(find_item(&fx->srv, sid)->fields);
	it = local_get(fx, lid);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_string_equal(ac_jstr(it->fields, "company"), "changed meanwhile");
	assert_int_equal(it->version, find_item(&fx->srv, sid)->version);
	ac_item_free(&it);
	json_t *list = issues(fx);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
}

static void test_folder_error_and_removed_folder(void **state)
{
	fixture *fx = *state;
	add_folder(&fx->srv, "fB", "Shared", false);
	add_folder(&fx->srv, "fC", "Doomed", false);
	json_t *p = json_pack("{s:s}", "lastName", "InB");
	server_put(&fx->srv, "fB", NULL, p);
	server_put(&fx->srv, "fA", NULL, p);
	fitem *si = server_put(&fx->srv, "fC", NULL, p);
	char sc[AC_ID_SIZE];
	snprintf(sc, sizeof(sc), "%s", si->id);
	json_decref(p);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(local_count(fx, "fC"), 1);

	/* fB becomes forbidden: a folder error, fA goes on */
	snprintf(fx->srv.forbidden, sizeof(fx->srv.forbidden), "fB");
	p = json_pack("{s:s}", "lastName", "More A");
	server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	/* fC is removed while it holds an unsent edit */
	ac_item *it = local_by_server(fx, sc);
	char lc[AC_ID_SIZE];
	snprintf(lc, sizeof(lc), "%s", it->local_id);
	ac_item_free(&it);
	edit_local(fx, lc, "{\"notes\":\"precious\"}");
	remove_folder(&fx->srv, "fC");

	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.folder_errors, 1);
	assert_int_equal(local_count(fx, "fA"), 2);
	ac_folder_list fl;
	at_error err;
	assert_int_equal(ac_store_folders(fx->store, &fl, &err), 0);
	assert_int_equal(fl.n, 2);  /* fC is gone */
	for (size_t i = 0; i < fl.n; i++) {
		if (strcmp(fl.v[i].id, "fB") == 0) {
			assert_non_null(fl.v[i].error);
			assert_string_equal(ac_jstr(fl.v[i].error, "type"), AT_E_FORBIDDEN);
		} else {
			assert_null(fl.v[i].error);
		}
	}
	ac_folder_list_free(&fl);
	assert_int_equal(local_count(fx, "fC"), 0);
	json_t *list = issues(fx);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(ac_jstr(json_array_get(list, 0), "reason"), "folderRemoved");
	assert_string_equal(ac_jstr(json_object_get(json_array_get(list, 0), "fields"),
				    "notes"), "precious");
	json_decref(list);

	/* access restored: the error clears */
	fx->srv.forbidden[0] = '\0';
	st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.folder_errors, 0);
	assert_int_equal(ac_store_folders(fx->store, &fl, &err), 0);
	for (size_t i = 0; i < fl.n; i++)
		assert_null(fl.v[i].error);
	ac_folder_list_free(&fl);
}

static void test_max_changes_per_call(void **state)
{
	fixture *fx = *state;
	fx->srv.max_changes = 7;
	sync_ok(fx, AT_POLICY_SERVER, 50);
	for (int i = 0; i < 20; i++) {
		char id[AC_ID_SIZE];
		add_local(fx, "{\"lastName\":\"Many\"}", id);
	}
	ac_sync_stats st = sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(st.sent, 20);
	assert_int_equal(st.rounds, 3);  /* 7 + 7 + 6 */
	assert_int_equal(alive_in(&fx->srv, "fA"), 20);
	int64_t pending;
	at_error err;
	assert_int_equal(ac_store_pending_count(fx->store, &pending, &err), 0);
	assert_int_equal(pending, 0);
}

static void test_server_down(void **state)
{
	fixture *fx = *state;
	fx->srv.down = 1;
	at_error err;
	at_error_clear(&err);
	assert_int_equal(ac_engine_sync(fx->store, &fx->t, NULL, NULL, &err), -1);
	assert_string_equal(err.code, AT_E_UNAVAILABLE);
	char *last = NULL;
	assert_int_equal(ac_store_meta_get(fx->store, "lastError", &last, &err), 0);
	assert_non_null(last);
	assert_non_null(strstr(last, AT_E_UNAVAILABLE));
	free(last);
	sync_ok(fx, AT_POLICY_SERVER, 50);
	assert_int_equal(ac_store_meta_get(fx->store, "lastError", &last, &err), 0);
	assert_null(last);
	assert_int_equal(ac_store_meta_get(fx->store, "lastSync", &last, &err), 0);
	assert_non_null(last);
	free(last);
}

/* --- the daemon's push position ------------------------------------------------ */

static volatile sig_atomic_t daemon_stop;

/* The fake push stream: the 1st one sees a change made on the server and
 * tells it; the 2nd tells an event that brings nothing new; the 3rd stops
 * the daemon. */
static int fake_stream(void *ctx, const char *path, long timeout, ac_event_fn fn, void *arg,
		       at_error *err)
{
	fake *f = ctx;
	(void)timeout;
	(void)err;
	assert_true(f->n_streams < 4);
	snprintf(f->streams[f->n_streams++], sizeof(f->streams[0]), "%s", path);
	if (f->n_streams == 1) {
		json_t *p = json_pack("{s:s}", "lastName", "Later");
		server_put(f, "fA", NULL, p);
		json_decref(p);
		return fn(arg, "{\"changed\":{\"fA\":\"x\"}}");
	}
	if (f->n_streams == 2)
		return fn(arg, "{\"changed\":{}}");
	daemon_stop = 1;
	return 0;
}

static void test_daemon_push_since(void **state)
{
	fixture *fx = *state;
	at_error err;
	json_t *p = json_pack("{s:s}", "lastName", "First");
	server_put(&fx->srv, "fA", NULL, p);
	json_decref(p);
	fx->srv.push_url = "/api/push";
	fx->t.stream = fake_stream;

	/* a sync records where it ended: the folder's token */
	sync_ok(fx, AT_POLICY_SERVER, 50);
	char *since = NULL;
	assert_int_equal(ac_store_meta_get(fx->store, "pushSince", &since, &err), 0);
	assert_non_null(since);
	at_token tok;
	assert_int_equal(at_token_parse(since, &tok, &err), 0);
	assert_int_equal(tok.modseq, fx->srv.modseq);
	char want[256];
	snprintf(want, sizeof(want), "/api/push?since=%s", since);
	free(since);

	daemon_stop = 0;
	ac_daemon_options o = {.engine = {.window = 50}, .poll_interval = 60,
			       .stop = &daemon_stop};
	assert_int_equal(ac_daemon_run(fx->store, &fx->t, &o, &err), 0);
	assert_int_equal(fx->srv.n_streams, 3);
	/* the stream starts where the daemon's sync ended */
	assert_string_equal(fx->srv.streams[0], want);
	/* the change it told was synced, and the next stream starts after it */
	assert_int_equal(local_count(fx, "fA"), 2);
	at_token t2 = {.modseq = fx->srv.modseq};
	char tok2[AT_TOKEN_MAX];
	at_token_format(&t2, tok2);
	snprintf(want, sizeof(want), "/api/push?since=%s", tok2);
	assert_string_equal(fx->srv.streams[1], want);
	/* an event whose sync brought nothing does not start from the same
	 * position again (it would wake the daemon again at once) */
	assert_string_equal(fx->srv.streams[2], "/api/push");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_robin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_response_same_client_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_conflict_kept_as_issue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_server_change_into_local_edit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_error_not_resent_until_edited,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_calculate_reconciles, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deleted_on_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_answered_item_deleted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delete_conflict_server_policy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_folder_error_and_removed_folder, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_max_changes_per_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_push_since, setup, teardown),
	};
	at_log_set_level(AT_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
