/* engine.c — see engine.h. */
#include "engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobs.h"
#include "common.h"
#include "fields.h"
#include "log.h"

#define MOD "sync"
#define MAX_GET_IDS 512

typedef struct sent_change {
	at_change_kind kind;
	char local_id[AC_ID_SIZE];
	char id[AC_ID_SIZE];         /* server id: update, delete */
	char client_id[AC_ID_SIZE];  /* create */
	int64_t rev;                 /* the item's rev when sent */
	json_t *fields;              /* the item's full fields when sent */
	bool delete_after;           /* create of an item deleted meanwhile */
	bool ignore_conflicts;       /* sent with "ignoreConflicts" */
} sent_change;

typedef struct folder_work {
	char id[AC_ID_SIZE];
	char *token;
	bool more;
	bool active;    /* still syncing in this run */
	bool synced;    /* had at least one good answer */
	char call_id[16];
	sent_change *sent;
	size_t n_sent;
	char (*refetch)[AC_ID_SIZE];  /* delete conflicts to read back */
	size_t n_refetch;
} folder_work;

typedef struct engine {
	ac_store *store;
	const ac_transport *t;
	ac_engine_options opt;
	ac_sync_stats *stats;
	int64_t run;
	unsigned window;
	size_t max_changes;
	size_t max_calls;
	size_t max_bytes;
	folder_work *folders;
	size_t n_folders;
	bool progress;   /* something happened in this round */
} engine;

/* --- small helpers ------------------------------------------------------------- */

static void report(engine *e, uint64_t total)
{
	if (e->opt.progress != NULL)
		e->opt.progress(e->opt.progress_arg, e->stats->received + e->stats->sent,
				total);
}

static int bad_reply(at_error *err, const char *what)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			    "the server's reply is not valid: %s", what);
}

static json_t *json_int_member(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? v : NULL;
}

/* A wire error reduced to the typed error's shape (bounded strings). */
static json_t *clean_error(json_t *wire, at_error *parsed_r)
{
	at_error tmp;
	at_error *e = parsed_r != NULL ? parsed_r : &tmp;
	if (json_is_object(wire))
		at_error_from_json(wire, e);
	else
		at_error_set(e, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "the server refused the change without saying why");
	return at_error_to_json(e);
}

/* The bookings an appointmentConflict lists (error.conflicts, or beside
 * the error in the result), copied into the stored error ej: at most
 * MAX_CONFLICTS entries, known string members of bounded length only. */
#define MAX_CONFLICTS 256
static void keep_conflicts(json_t *ej, json_t *result)
{
	static const struct {
		const char *name;
		size_t max;
	} members[] = {
		{"principal", 64}, {"type", 16}, {"start", 32}, {"end", 32}, {"showAs", 16},
		{"subject", 1024},
	};
	json_t *list = json_object_get(json_object_get(result, "error"), "conflicts");
	if (!json_is_array(list))
		list = json_object_get(result, "conflicts");
	if (!json_is_array(list) || json_array_size(list) == 0)
		return;
	json_t *out = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		if (i >= MAX_CONFLICTS || !json_is_object(c))
			break;
		json_t *o = json_object();
		for (size_t k = 0; k < sizeof(members) / sizeof(members[0]); k++) {
			json_t *v = json_object_get(c, members[k].name);
			if (json_is_string(v) && json_string_length(v) <= members[k].max)
				json_object_set(o, members[k].name, v);
		}
		if (json_object_get(o, "principal") != NULL)
			json_array_append_new(out, o);
		else
			json_decref(o);
	}
	json_object_set_new(ej, "conflicts", out);
}

/* An item object of the protocol with the members the engine relies on. */
static bool item_ok(json_t *it)
{
	const char *id = ac_jstr(it, "id");
	json_t *v = json_int_member(it, "version");
	const char *type = ac_jstr(it, "type");
	const char *cid = ac_jstr(it, "clientId");
	const char *fid = ac_jstr(it, "folderId");
	return json_is_object(it) && id != NULL && at_id_valid(id) && v != NULL &&
	       json_is_object(json_object_get(it, "fields")) &&
	       (type == NULL || strlen(type) < AC_TYPE_SIZE) &&
	       (cid == NULL || at_id_valid(cid)) && (fid == NULL || at_id_valid(fid));
}

static void set_json(json_t **slot, json_t *value)
{
	json_t *old = *slot;
	*slot = value;
	json_decref(old);
}

static void clear_error(ac_item *it)
{
	set_json(&it->error, NULL);
	it->error_retry = false;
	it->error_run = 0;
}

static int add_issue(engine *e, const ac_item *it, json_t *fields, const char *reason,
		     json_t *detail, at_error *err)
{
	e->stats->issues++;
	at_info(MOD, "item %s: kept the losing version in Sync Issues (%s)",
		it->local_id, reason);
	return ac_store_issue_add(e->store, it, fields, reason, detail, err);
}

static void free_sent(folder_work *f)
{
	for (size_t i = 0; i < f->n_sent; i++)
		json_decref(f->sent[i].fields);
	free(f->sent);
	f->sent = NULL;
	f->n_sent = 0;
}

static void add_refetch(folder_work *f, const char *id)
{
	char (*v)[AC_ID_SIZE] = realloc(f->refetch, (f->n_refetch + 1) * sizeof(*v));
	if (v == NULL)
		abort();
	f->refetch = v;
	snprintf(f->refetch[f->n_refetch++], AC_ID_SIZE, "%s", id);
}

static void drop_refetch(folder_work *f, const char *id)
{
	for (size_t i = 0; i < f->n_refetch; i++) {
		if (strcmp(f->refetch[i], id) == 0) {
			memmove(&f->refetch[i], &f->refetch[i + 1],
				(f->n_refetch - i - 1) * sizeof(f->refetch[0]));
			f->n_refetch--;
			return;
		}
	}
}

/* --- requests ---------------------------------------------------------------- */

/* POSTs {"using", "methodCalls": calls} and returns methodResponses. */
static int api(const ac_transport *t, json_t *calls, json_t **responses_r,
	       ac_sync_stats *stats, at_error *err)
{
	json_t *body = json_pack("{s:[s],s:O}", "using", AT_CAPABILITY_CORE,
				 "methodCalls", calls);
	json_t *reply = NULL;
	*responses_r = NULL;
	if (stats != NULL)
		stats->requests++;
	int ret = t->call(t->ctx, "/api", body, &reply, err);
	json_decref(body);
	if (ret < 0)
		return -1;
	json_t *resp = json_object_get(reply, "methodResponses");
	if (!json_is_array(resp)) {
		json_decref(reply);
		return bad_reply(err, "no methodResponses list");
	}
	*responses_r = json_incref(resp);
	json_decref(reply);
	return 0;
}

/* The answer to call_id in responses: its name and arguments (borrowed). */
static json_t *find_response(json_t *responses, const char *call_id, const char **name_r)
{
	size_t i;
	json_t *r;
	json_array_foreach(responses, i, r) {
		json_t *name = json_array_get(r, 0), *args = json_array_get(r, 1),
		       *cid = json_array_get(r, 2);
		if (json_is_array(r) && json_is_string(name) && json_is_object(args) &&
		    json_is_string(cid) && strcmp(json_string_value(cid), call_id) == 0) {
			*name_r = json_string_value(name);
			return args;
		}
	}
	return NULL;
}

static int single_call(const ac_transport *t, const char *method, json_t *args,
		       json_t **result_r, ac_sync_stats *stats, at_error *err)
{
	json_t *responses = NULL;
	const char *name = NULL;
	*result_r = NULL;
	json_t *calls = json_pack("[[s,O,s]]", method, args, "0");
	int ret = api(t, calls, &responses, stats, err);
	json_decref(calls);
	if (ret < 0)
		return -1;
	json_t *res = find_response(responses, "0", &name);
	if (res == NULL) {
		json_decref(responses);
		return bad_reply(err, "no answer to the call");
	}
	if (strcmp(name, "error") == 0) {
		at_error_from_json(res, err);
		json_decref(responses);
		return -1;
	}
	if (strcmp(name, method) != 0) {
		json_decref(responses);
		return bad_reply(err, "the answer names another method");
	}
	*result_r = json_incref(res);
	json_decref(responses);
	return 0;
}

int ac_engine_call(const ac_transport *transport, const char *method, json_t *args,
		   json_t **result_r, at_error *err)
{
	return single_call(transport, method, args, result_r, NULL, err);
}

/* --- session and folders ------------------------------------------------------ */

static size_t limit_of(json_t *limits, const char *name, size_t dflt, size_t max)
{
	json_t *v = json_object_get(limits, name);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return dflt;
	size_t n = (size_t)json_integer_value(v);
	return n > max ? max : n;
}

static int read_session(engine *e, at_error *err)
{
	json_t *session = NULL;
	int ret = -1;
	if (e->t->get(e->t->ctx, "/api/session", &session, err) < 0)
		return -1;
	json_t *limits = json_object_get(session, "limits");
	if (!json_is_object(limits)) {
		bad_reply(err, "the session has no limits");
		goto done;
	}
	e->max_changes = limit_of(limits, "maxChangesInSync", AT_MAX_CHANGES_IN_SYNC,
				  AT_MAX_CHANGES_IN_SYNC);
	e->max_calls = limit_of(limits, "maxCallsInRequest", AT_MAX_CALLS_IN_REQUEST,
				AT_MAX_CALLS_IN_REQUEST);
	e->max_bytes = limit_of(limits, "maxRequestBytes", AT_MAX_REQUEST_BYTES,
				AT_MAX_REQUEST_BYTES);
	size_t max_window = limit_of(limits, "maxWindow", AT_MAX_WINDOW, AT_MAX_WINDOW);
	if (e->window > max_window)
		e->window = (unsigned)max_window;
	char *text = ac_json_dump(limits);
	char *user = ac_json_dump(json_object_get(session, "user") ?
				  json_object_get(session, "user") : json_null());
	const char *push = ac_jstr(session, "pushUrl");
	int r = ac_store_begin(e->store, err);
	if (r == 0 && (ac_store_meta_set(e->store, "limits", text, err) < 0 ||
		       ac_store_meta_set(e->store, "user", user, err) < 0 ||
		       ac_store_meta_set(e->store, "pushUrl", push, err) < 0)) {
		ac_store_rollback(e->store);
		r = -1;
	} else if (r == 0) {
		r = ac_store_commit(e->store, err);
	}
	free(text);
	free(user);
	if (r < 0)
		goto done;
	ret = 0;
done:
	json_decref(session);
	return ret;
}

static bool folder_obj_ok(json_t *f)
{
	const char *id = ac_jstr(f, "id");
	return json_is_object(f) && id != NULL && at_id_valid(id);
}

static int folder_sync(engine *e, at_error *err)
{
	char *token = NULL;
	json_t *res = NULL;
	int ret = -1;
	bool full = false;

	if (ac_store_meta_get(e->store, "folderToken", &token, err) < 0)
		return -1;
	for (;;) {
		json_t *args = json_pack("{s:s?}", "sinceToken", token);
		at_error cerr;
		at_error_clear(&cerr);
		int r = single_call(e->t, "Folder/sync", args, &res, e->stats, &cerr);
		json_decref(args);
		if (r == 0)
			break;
		if (token != NULL && (strcmp(cerr.code, AT_E_CANNOT_CALCULATE) == 0 ||
				      strcmp(cerr.code, AT_E_INVALID_TOKEN) == 0)) {
			at_info(MOD, "folder token refused (%s): reading the whole tree",
				cerr.code);
			free(token);
			token = NULL;
			full = true;
			continue;
		}
		at_error_copy(err, &cerr);
		goto done;
	}
	json_t *created = json_object_get(res, "created");
	json_t *updated = json_object_get(res, "updated");
	json_t *removed = json_object_get(res, "removed");
	const char *new_token = ac_jstr(res, "newToken");
	if (!json_is_array(created) || !json_is_array(updated) || !json_is_array(removed) ||
	    new_token == NULL || strlen(new_token) >= AT_TOKEN_MAX) {
		bad_reply(err, "Folder/sync lacks created, updated, removed or newToken");
		goto done;
	}
	size_t i;
	json_t *v;
	json_array_foreach(created, i, v) {
		if (!folder_obj_ok(v)) {
			bad_reply(err, "a folder without a valid id");
			goto done;
		}
	}
	json_array_foreach(updated, i, v) {
		if (!folder_obj_ok(v)) {
			bad_reply(err, "a folder without a valid id");
			goto done;
		}
	}
	if (ac_store_begin(e->store, err) < 0)
		goto done;
	json_array_foreach(created, i, v) {
		if (ac_store_folder_put(e->store, v, err) < 0)
			goto rollback;
	}
	json_array_foreach(updated, i, v) {
		if (ac_store_folder_put(e->store, v, err) < 0)
			goto rollback;
	}
	json_array_foreach(removed, i, v) {
		if (json_is_string(v) && ac_store_folder_remove(e->store, json_string_value(v),
								err) < 0)
			goto rollback;
	}
	if (full) {
		/* a full listing: what it lacks is gone */
		ac_folder_list list;
		if (ac_store_folders(e->store, &list, err) < 0)
			goto rollback;
		for (size_t k = 0; k < list.n; k++) {
			bool listed = false;
			json_array_foreach(created, i, v) {
				if (strcmp(ac_jstr(v, "id"), list.v[k].id) == 0)
					listed = true;
			}
			if (!listed && ac_store_folder_remove(e->store, list.v[k].id, err) < 0) {
				ac_folder_list_free(&list);
				goto rollback;
			}
		}
		ac_folder_list_free(&list);
	}
	if (ac_store_meta_set(e->store, "folderToken", new_token, err) < 0)
		goto rollback;
	if (ac_store_commit(e->store, err) < 0)
		goto done;
	at_debug(MOD, "folders: %zu created, %zu updated, %zu removed",
		 json_array_size(created), json_array_size(updated),
		 json_array_size(removed));
	ret = 0;
	goto done;
rollback:
	ac_store_rollback(e->store);
done:
	json_decref(res);
	free(token);
	return ret;
}

int ac_engine_sync_folders(ac_store *store, const ac_transport *transport, at_error *err)
{
	ac_sync_stats stats;
	engine e;
	memset(&stats, 0, sizeof(stats));
	memset(&e, 0, sizeof(e));
	e.store = store;
	e.t = transport;
	e.stats = &stats;
	return folder_sync(&e, err);
}

static bool selected(const engine *e, const ac_folder *f)
{
	if (e->opt.folders == NULL)
		return true;
	const char *names[] = {f->id, ac_jstr(f->json, "name"), ac_jstr(f->json, "displayName")};
	for (size_t i = 0; i < e->opt.n_folders; i++)
		for (size_t j = 0; j < 3; j++)
			if (names[j] != NULL && strcmp(names[j], e->opt.folders[i]) == 0)
				return true;
	return false;
}

/* Folders whose items this connector syncs: selected by the options,
 * modules with an item type, and readable (or holding local changes to
 * send). */
static int plan_folders(engine *e, at_error *err)
{
	ac_folder_list list;
	if (ac_store_folders(e->store, &list, err) < 0)
		return -1;
	e->folders = calloc(list.n ? list.n : 1, sizeof(*e->folders));
	if (e->folders == NULL)
		abort();
	for (size_t i = 0; i < list.n; i++) {
		ac_folder *f = &list.v[i];
		const char *mod = ac_jstr(f->json, "module");
		at_module m;
		if (mod == NULL || at_module_parse(mod, &m) < 0 ||
		    at_model_default_type(m) == NULL || !selected(e, f))
			continue;
		const char *read = ac_jstr(json_object_get(f->json, "rights"), "read");
		if (read != NULL && strcmp(read, "none") == 0) {
			ac_item_list pend;
			if (ac_store_pending(e->store, f->id, e->run, 1, &pend, err) < 0) {
				ac_folder_list_free(&list);
				return -1;
			}
			size_t n = pend.n;
			ac_item_list_free(&pend);
			if (n == 0)
				continue;
		}
		folder_work *w = &e->folders[e->n_folders];
		snprintf(w->id, sizeof(w->id), "%s", f->id);
		w->token = f->token != NULL ? strdup(f->token) : NULL;
		w->more = f->more;
		w->active = true;
		snprintf(w->call_id, sizeof(w->call_id), "f%zu", e->n_folders);
		e->n_folders++;
	}
	ac_folder_list_free(&list);
	return 0;
}

static int set_folder_error(engine *e, folder_work *f, const at_error *ferr, at_error *err)
{
	json_t *j = at_error_to_json(ferr);
	at_warn(MOD, "folder %s: %s: %s", f->id, ferr->code, ferr->message);
	int r = ac_store_folder_set_error(e->store, f->id, j, err);
	json_decref(j);
	f->active = false;
	e->stats->folder_errors++;
	return r;
}

/* --- applying server state ------------------------------------------------------ */

/* The server removed (or refused, itemDeleted) an item that L holds. */
static int server_deleted(engine *e, ac_item *l, json_t *detail, at_error *err)
{
	if (l->state == AC_STATE_SYNCED || l->state == AC_STATE_DELETED)
		return ac_store_item_remove(e->store, l->local_id, err);
	if (e->opt.policy == AT_POLICY_SERVER) {
		if (add_issue(e, l, l->fields, "deletedOnServer", detail, err) < 0)
			return -1;
		return ac_store_item_remove(e->store, l->local_id, err);
	}
	/* client wins: create it again, under a new clientId */
	at_info(MOD, "item %s was deleted on the server: creating it again", l->local_id);
	l->server_id[0] = '\0';
	ac_random_id(l->client_id);
	l->version = 0;
	set_json(&l->base_fields, NULL);
	l->state = AC_STATE_CREATED;
	l->sent = false;
	clear_error(l);
	return ac_store_item_put(e->store, l, err);
}

/* A server item (changes.upserted, Item/get) into the store. */
static int apply_upsert(engine *e, folder_work *f, json_t *s, at_error *err)
{
	ac_item *l = NULL;
	int ret = -1;
	const char *sid = ac_jstr(s, "id");
	const char *cid = ac_jstr(s, "clientId");
	const char *type = ac_jstr(s, "type");
	json_t *sfields = json_object_get(s, "fields");
	int64_t version = json_integer_value(json_object_get(s, "version"));
	json_t *lost = NULL;

	if (ac_store_item_by_server_id(e->store, sid, &l, err) < 0)
		goto done;
	if (l == NULL && cid != NULL &&
	    ac_store_item_by_client_id(e->store, cid, &l, err) < 0)
		goto done;
	drop_refetch(f, sid);
	if (l == NULL) {
		l = ac_item_new();
		ac_random_id(l->local_id);
		snprintf(l->server_id, sizeof(l->server_id), "%s", sid);
		snprintf(l->client_id, sizeof(l->client_id), "%s", cid != NULL ? cid : "");
		snprintf(l->folder_id, sizeof(l->folder_id), "%s", f->id);
		if (type != NULL)
			snprintf(l->type, sizeof(l->type), "%s", type);
		l->version = version;
		set_json(&l->fields, json_deep_copy(sfields));
		l->base_fields = json_deep_copy(sfields);
		l->state = AC_STATE_SYNCED;
		goto put;
	}
	snprintf(l->folder_id, sizeof(l->folder_id), "%s", f->id);
	if (l->server_id[0] == '\0') {
		/* our own create, applied although its answer was lost */
		snprintf(l->server_id, sizeof(l->server_id), "%s", sid);
		l->version = version;
		set_json(&l->base_fields, json_deep_copy(sfields));
		if (l->state != AC_STATE_DELETED) {
			l->state = ac_json_eq(l->fields, sfields) ? AC_STATE_SYNCED
								   : AC_STATE_MODIFIED;
			if (l->state == AC_STATE_SYNCED)
				clear_error(l);
		}
		goto put;
	}
	switch (l->state) {
	case AC_STATE_SYNCED:
	case AC_STATE_CREATED:
		set_json(&l->fields, json_deep_copy(sfields));
		set_json(&l->base_fields, json_deep_copy(sfields));
		l->version = version;
		l->state = AC_STATE_SYNCED;
		clear_error(l);
		break;
	case AC_STATE_MODIFIED: {
		json_t *merged = ac_fields_merge(l->base_fields, l->fields, sfields,
						 e->opt.policy, &lost);
		if (lost != NULL) {
			json_t *names = json_array();
			const char *k;
			json_t *v;
			json_object_foreach(lost, k, v)
				json_array_append_new(names, json_string(k));
			json_t *detail = json_pack("{s:s,s:o,s:I}", "policy",
						   at_policy_name(e->opt.policy), "fields", names,
						   "serverVersion", (json_int_t)version);
			int r = add_issue(e, l, lost, "conflict", detail, err);
			json_decref(detail);
			if (r < 0) {
				json_decref(merged);
				goto done;
			}
		}
		set_json(&l->fields, merged);
		set_json(&l->base_fields, json_deep_copy(sfields));
		l->version = version;
		if (ac_json_eq(l->fields, l->base_fields)) {
			l->state = AC_STATE_SYNCED;
			clear_error(l);
		}
		break;
	}
	case AC_STATE_DELETED:
		/* keep the version the user deleted: a newer server version
		 * makes the delete a conflict, decided by the policy */
		set_json(&l->base_fields, json_deep_copy(sfields));
		break;
	}
put:
	if (ac_store_item_put(e->store, l, err) < 0)
		goto done;
	e->stats->received++;
	ret = 0;
done:
	json_decref(lost);
	ac_item_free(&l);
	return ret;
}

/* changes.removed / Item/get notFound: sid is gone from folder f. */
static int apply_remove(engine *e, folder_work *f, const char *sid, at_error *err)
{
	ac_item *l = NULL;
	int ret = -1;
	drop_refetch(f, sid);
	if (ac_store_item_by_server_id(e->store, sid, &l, err) < 0)
		return -1;
	if (l == NULL || strcmp(l->folder_id, f->id) != 0) {
		/* unknown here, or already moved to another folder */
		ac_item_free(&l);
		return 0;
	}
	json_t *detail = json_pack("{s:s}", "reason", "the item was deleted on the server");
	ret = server_deleted(e, l, detail, err);
	json_decref(detail);
	if (ret == 0)
		e->stats->received++;
	ac_item_free(&l);
	return ret;
}

/* The result of one of our changes. */
static int apply_result(engine *e, folder_work *f, const sent_change *sc, json_t *r,
			at_error *err)
{
	ac_item *l = NULL;
	ac_item *dup = NULL;
	int ret = -1;
	const char *status = ac_jstr(r, "status");

	if (ac_store_item_get(e->store, sc->local_id, &l, err) < 0) {
		/* gone meanwhile (e.g. its folder was removed): nothing to do */
		at_error_clear(err);
		return 0;
	}
	e->progress = true;
	/* ignoreConflicts went with this change only: answered, it is done
	 * (a change made since keeps it: it is sent next) */
	if (sc->ignore_conflicts && l->rev == sc->rev)
		l->ignore_conflicts = false;
	if (status != NULL && strcmp(status, "ok") == 0) {
		json_t *item = json_object_get(r, "item");
		if (item != NULL && !item_ok(item))
			item = NULL;
		const char *id = ac_jstr(r, "id");
		if (id == NULL && item != NULL)
			id = ac_jstr(item, "id");
		json_t *ver = json_int_member(r, "version");
		if (ver == NULL && item != NULL)
			ver = json_int_member(item, "version");
		json_t *conflict = json_object_get(r, "conflict");
		e->stats->sent++;

		if (sc->kind == AT_CHANGE_DELETE) {
			if (json_is_object(conflict) &&
			    json_is_object(json_object_get(conflict, "lost"))) {
				if (add_issue(e, l, json_object_get(conflict, "lost"),
					      "deleteConflict", conflict, err) < 0)
					goto done;
			}
			ret = ac_store_item_remove(e->store, l->local_id, err);
			goto done;
		}
		if (sc->kind == AT_CHANGE_CREATE && (id == NULL || !at_id_valid(id))) {
			bad_reply(err, "a create result without an item id");
			goto done;
		}
		if (sc->kind == AT_CHANGE_CREATE) {
			/* an earlier answer may have brought it in as a stranger */
			if (ac_store_item_by_server_id(e->store, id, &dup, err) < 0)
				goto done;
			if (dup != NULL && strcmp(dup->local_id, l->local_id) != 0) {
				if (dup->state != AC_STATE_SYNCED &&
				    add_issue(e, dup, dup->fields, "duplicate", NULL, err) < 0)
					goto done;
				if (ac_store_item_remove(e->store, dup->local_id, err) < 0)
					goto done;
			}
			snprintf(l->server_id, sizeof(l->server_id), "%s", id);
		}
		/* the server's state: its item, else what we sent */
		json_t *sfields = item != NULL ? json_object_get(item, "fields") : sc->fields;
		if (ver != NULL)
			l->version = json_integer_value(ver);
		set_json(&l->base_fields, json_deep_copy(sfields));
		if (l->state == AC_STATE_DELETED) {
			/* deleted locally meanwhile: the delete goes next */
		} else if (l->rev == sc->rev) {
			set_json(&l->fields, json_deep_copy(sfields));
			l->state = AC_STATE_SYNCED;
		} else {
			/* edited while the change was on the way: keep the edits */
			json_t *merged = ac_fields_merge(sc->fields, l->fields, sfields,
							 AT_POLICY_CLIENT, NULL);
			set_json(&l->fields, merged);
			l->state = ac_json_eq(l->fields, l->base_fields) ? AC_STATE_SYNCED
									: AC_STATE_MODIFIED;
		}
		clear_error(l);
		if (sc->kind == AT_CHANGE_UPDATE && json_is_object(conflict)) {
			json_t *lost = json_object_get(conflict, "lost");
			if (add_issue(e, l, json_is_object(lost) ? lost : NULL, "conflict",
				      conflict, err) < 0)
				goto done;
		}
		ret = ac_store_item_put(e->store, l, err);
		goto done;
	}

	/* status error */
	at_error ie;
	json_t *ej = clean_error(json_object_get(r, "error"), &ie);
	keep_conflicts(ej, r);
	if (strcmp(ie.code, AT_E_ITEM_DELETED) == 0) {
		json_t *detail = json_pack("{s:O}", "error", ej);
		ret = server_deleted(e, l, detail, err);
		json_decref(detail);
		json_decref(ej);
		goto done;
	}
	if (strcmp(ie.code, AT_E_CONFLICT) == 0 && sc->kind == AT_CHANGE_DELETE) {
		/* the server keeps its newer version; the item comes back */
		json_t *detail = json_pack("{s:O}", "error", ej);
		json_decref(ej);
		int r2 = add_issue(e, l, l->base_fields, "deleteRefused", detail, err);
		json_decref(detail);
		if (r2 < 0)
			goto done;
		if (l->base_fields != NULL)
			set_json(&l->fields, json_deep_copy(l->base_fields));
		l->state = AC_STATE_SYNCED;
		clear_error(l);
		add_refetch(f, l->server_id);
		ret = ac_store_item_put(e->store, l, err);
		goto done;
	}
	if (l->rev != sc->rev) {
		/* the user changed it since: the new version is sent next */
		json_decref(ej);
		ret = 0;
		goto done;
	}
	at_warn(MOD, "item %s refused: %s%s%s: %s", l->local_id, ie.code,
		ie.field[0] ? " " : "", ie.field, ie.message);
	set_json(&l->error, ej);
	l->error_retry = ie.retry == AT_RETRY_TEMPORARY;
	l->error_run = e->run;
	e->stats->errors++;
	ret = ac_store_item_put(e->store, l, err);
done:
	ac_item_free(&dup);
	ac_item_free(&l);
	return ret;
}

/* --- item sync rounds ------------------------------------------------------------ */

/* Item/sync arguments for folder f, with its pending changes: at most
 * maxChangesInSync of them, and about budget bytes of fields (at least one
 * change when there is one). */
/* Before changes go out, the server gets every blob they reference that
 * it does not have (transport.h blob_push: HEAD, then an upload from the
 * local cache): only what a create holds or an update changes.  A blob
 * that cannot go is logged and the change goes anyway (the server then
 * refuses the item, with its error kept on it); an unreachable server
 * stops the sync. */
static int push_blobs(engine *e, const ac_item_list *pend, at_error *err)
{
	if (e->t->blob_push == NULL)
		return 0;
	for (size_t i = 0; i < pend->n; i++) {
		ac_item *it = pend->v[i];
		if (it->state == AC_STATE_DELETED)
			continue;
		json_t *fields = it->server_id[0] != '\0' ? ac_item_patch(it)
							  : json_incref(it->fields);
		const char *ids[AT_MAX_ATTACHMENTS + 1], *types[AT_MAX_ATTACHMENTS + 1];
		size_t n = ac_blob_refs(fields, ids, types, AT_MAX_ATTACHMENTS + 1);
		for (size_t j = 0; j < n; j++) {
			at_error berr;
			at_error_clear(&berr);
			int rc = e->t->blob_push(e->t->blob_ctx, ids[j], types[j], &berr);
			if (rc < 0) {
				at_error_copy(err, &berr);
				json_decref(fields);
				return -1;
			}
			if (rc > 0)
				at_warn(MOD, "blob %s of item %s not uploaded: %s", ids[j],
					it->local_id, berr.message);
		}
		json_decref(fields);
	}
	return 0;
}

static int build_call(engine *e, folder_work *f, size_t budget, json_t **args_r,
		      at_error *err)
{
	ac_item_list pend = {0};
	at_change *changes = NULL;
	int ret = -1;
	size_t bytes = 0, n = 0;

	*args_r = NULL;
	free_sent(f);
	if (ac_store_pending(e->store, f->id, e->run, e->max_changes, &pend, err) < 0)
		return -1;
	if (push_blobs(e, &pend, err) < 0) {
		ac_item_list_free(&pend);
		return -1;
	}
	changes = calloc(pend.n ? pend.n : 1, sizeof(*changes));
	f->sent = calloc(pend.n ? pend.n : 1, sizeof(*f->sent));
	json_t *patches = json_array();  /* keeps the patches alive */
	if (changes == NULL || f->sent == NULL)
		abort();
	if (ac_store_begin(e->store, err) < 0)
		goto done;
	/* creates, then updates, then deletes: the order of the results */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < pend.n; i++) {
			ac_item *it = pend.v[i];
			at_change_kind kind;
			json_t *fields = it->fields;
			bool delete_after = false;
			if (it->server_id[0] == '\0') {
				kind = AT_CHANGE_CREATE;
				delete_after = it->state == AC_STATE_DELETED;
			} else if (it->state == AC_STATE_DELETED) {
				kind = AT_CHANGE_DELETE;
			} else {
				kind = AT_CHANGE_UPDATE;
			}
			if ((int)kind != pass)
				continue;
			if (kind == AT_CHANGE_UPDATE) {
				json_t *patch = ac_item_patch(it);
				if (json_object_size(patch) == 0) {
					/* nothing differs after all */
					json_decref(patch);
					it->state = AC_STATE_SYNCED;
					clear_error(it);
					if (ac_store_item_put(e->store, it, err) < 0)
						goto rollback;
					continue;
				}
				json_array_append_new(patches, patch);
				fields = patch;
			}
			if (kind != AT_CHANGE_DELETE) {
				char *text = ac_json_dump(fields);
				size_t len = strlen(text);
				free(text);
				/* keep a request well under maxRequestBytes */
				if (n > 0 && bytes + len > budget)
					continue;
				bytes += len;
			}
			if (kind == AT_CHANGE_CREATE) {
				if (it->client_id[0] == '\0')
					snprintf(it->client_id, sizeof(it->client_id), "%s",
						 it->local_id);
				if (!it->sent) {
					it->sent = true;
					if (ac_store_item_put(e->store, it, err) < 0)
						goto rollback;
				}
			}
			sent_change *sc = &f->sent[n];
			sc->kind = kind;
			snprintf(sc->local_id, sizeof(sc->local_id), "%s", it->local_id);
			snprintf(sc->id, sizeof(sc->id), "%s", it->server_id);
			snprintf(sc->client_id, sizeof(sc->client_id), "%s", it->client_id);
			sc->rev = it->rev;
			sc->fields = json_deep_copy(it->fields);
			sc->delete_after = delete_after;
			sc->ignore_conflicts = it->ignore_conflicts && kind != AT_CHANGE_DELETE;
			at_change *c = &changes[n];
			c->kind = kind;
			c->client_id = sc->client_id;
			c->type = kind == AT_CHANGE_CREATE ? it->type : NULL;
			c->id = sc->id;
			c->base_version = it->version;
			c->fields = kind == AT_CHANGE_CREATE ? sc->fields : fields;
			c->ignore_conflicts = sc->ignore_conflicts;
			n++;
		}
	}
	if (ac_store_commit(e->store, err) < 0)
		goto done;
	f->n_sent = n;
	at_item_sync_req req = {
		.folder_id = f->id,
		.since_token = f->token,
		.window = e->window,
		.policy = e->opt.policy,
		.changes = changes,
		.n_changes = n,
	};
	*args_r = at_item_sync_req_encode(&req);
	ret = 0;
	goto done;
rollback:
	ac_store_rollback(e->store);
done:
	if (ret < 0)
		free_sent(f);
	json_decref(patches);
	free(changes);
	ac_item_list_free(&pend);
	return ret;
}

/* Whether folder f has changes to send in this run. */
static int has_pending(engine *e, folder_work *f, bool *yes_r, at_error *err)
{
	ac_item_list pend;
	if (ac_store_pending(e->store, f->id, e->run, 1, &pend, err) < 0)
		return -1;
	*yes_r = pend.n > 0;
	ac_item_list_free(&pend);
	return 0;
}

/* The sent change a result answers: the same position if it matches, else
 * a search by clientId / id. */
static const sent_change *match_result(folder_work *f, size_t i, json_t *r)
{
	static const char *const ops[] = {"create", "update", "delete"};
	const char *op = ac_jstr(r, "op");
	const char *cid = ac_jstr(r, "clientId");
	const char *id = ac_jstr(r, "id");
	if (op == NULL)
		return NULL;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t k = pass == 0 ? i : 0; k < f->n_sent; k++) {
			const sent_change *sc = &f->sent[k];
			bool same = strcmp(op, ops[sc->kind]) == 0;
			if (same && sc->kind == AT_CHANGE_CREATE && cid != NULL)
				same = strcmp(cid, sc->client_id) == 0;
			else if (same && sc->kind != AT_CHANGE_CREATE && id != NULL)
				same = strcmp(id, sc->id) == 0;
			if (same)
				return sc;
			if (pass == 0)
				break;
		}
	}
	return NULL;
}

static int apply_sync(engine *e, folder_work *f, json_t *res, at_error *err)
{
	json_t *results = json_object_get(res, "results");
	json_t *changes = json_object_get(res, "changes");
	json_t *upserted = json_object_get(changes, "upserted");
	json_t *removed = json_object_get(changes, "removed");
	const char *token = ac_jstr(res, "newToken");
	json_t *more = json_object_get(res, "moreAvailable");
	const char *fid = ac_jstr(res, "folderId");
	at_error ferr;
	size_t i;
	json_t *v;

	const char *bad = NULL;
	if (fid != NULL && strcmp(fid, f->id) != 0)
		bad = "Item/sync answered for another folder";
	else if (!json_is_array(results) || !json_is_array(upserted) ||
		 !json_is_array(removed) || token == NULL || !json_is_boolean(more))
		bad = "Item/sync lacks results, changes, newToken or moreAvailable";
	else if (strlen(token) >= AT_TOKEN_MAX)
		bad = "Item/sync newToken is too long";
	if (bad == NULL) {
		json_array_foreach(upserted, i, v) {
			if (!item_ok(v))
				bad = "Item/sync upserted an item without id, version or fields";
		}
		json_array_foreach(removed, i, v) {
			if (!json_is_string(v) || !at_id_valid(json_string_value(v)))
				bad = "Item/sync removed an invalid id";
		}
		json_array_foreach(results, i, v) {
			if (!json_is_object(v))
				bad = "Item/sync has a result that is not an object";
		}
	}
	if (bad != NULL) {
		bad_reply(&ferr, bad);
		free_sent(f);
		return set_folder_error(e, f, &ferr, err);
	}

	if (ac_store_begin(e->store, err) < 0)
		return -1;
	json_array_foreach(results, i, v) {
		const sent_change *sc = match_result(f, i, v);
		if (sc == NULL) {
			at_warn(MOD, "folder %s: a result matches none of the changes sent",
				f->id);
			continue;
		}
		if (apply_result(e, f, sc, v, err) < 0)
			goto rollback;
	}
	json_array_foreach(upserted, i, v) {
		if (apply_upsert(e, f, v, err) < 0)
			goto rollback;
	}
	json_array_foreach(removed, i, v) {
		if (apply_remove(e, f, json_string_value(v), err) < 0)
			goto rollback;
	}
	if (ac_store_folder_set_sync(e->store, f->id, token, json_is_true(more), err) < 0 ||
	    ac_store_folder_set_error(e->store, f->id, NULL, err) < 0)
		goto rollback;
	if (ac_store_commit(e->store, err) < 0)
		return -1;
	if (json_array_size(upserted) + json_array_size(removed) > 0 ||
	    f->token == NULL || strcmp(f->token, token) != 0)
		e->progress = true;
	free(f->token);
	f->token = strdup(token);
	f->more = json_is_true(more);
	f->synced = true;
	if (json_array_size(results) < f->n_sent) {
		at_warn(MOD, "folder %s: %zu changes sent, %zu results", f->id, f->n_sent,
			json_array_size(results));
	}
	free_sent(f);
	report(e, 0);
	return 0;
rollback:
	ac_store_rollback(e->store);
	free_sent(f);
	return -1;
}

/* Reads items by id with Item/get and applies them (notFound: removed). */
static int fetch_items(engine *e, folder_work *f, char (*ids)[AC_ID_SIZE], size_t n,
		       uint64_t total, at_error *err)
{
	for (size_t off = 0; off < n; off += MAX_GET_IDS) {
		size_t cnt = n - off < MAX_GET_IDS ? n - off : MAX_GET_IDS;
		json_t *idlist = json_array();
		for (size_t k = 0; k < cnt; k++)
			json_array_append_new(idlist, json_string(ids[off + k]));
		json_t *args = json_pack("{s:s,s:o}", "folderId", f->id, "ids", idlist);
		json_t *res = NULL;
		at_error cerr;
		at_error_clear(&cerr);
		int r = single_call(e->t, "Item/get", args, &res, e->stats, &cerr);
		json_decref(args);
		if (r < 0) {
			at_error_copy(err, &cerr);
			return -1;
		}
		json_t *items = json_object_get(res, "items");
		json_t *nf = json_object_get(res, "notFound");
		size_t i;
		json_t *v;
		bool ok = json_is_array(items) && (nf == NULL || json_is_array(nf));
		json_array_foreach(items, i, v) {
			if (!item_ok(v))
				ok = false;
		}
		if (!ok) {
			json_decref(res);
			return bad_reply(err, "Item/get lacks items or has a bad item");
		}
		if (ac_store_begin(e->store, err) < 0) {
			json_decref(res);
			return -1;
		}
		json_array_foreach(items, i, v) {
			if (apply_upsert(e, f, v, err) < 0)
				goto rollback;
		}
		json_array_foreach(nf, i, v) {
			if (json_is_string(v) && at_id_valid(json_string_value(v)) &&
			    apply_remove(e, f, json_string_value(v), err) < 0)
				goto rollback;
		}
		if (ac_store_commit(e->store, err) < 0) {
			json_decref(res);
			return -1;
		}
		json_decref(res);
		report(e, total);
		continue;
rollback:
		ac_store_rollback(e->store);
		json_decref(res);
		return -1;
	}
	return 0;
}

typedef struct listed {
	const char *id;
	int64_t version;
} listed;

static int cmp_listed(const void *a, const void *b)
{
	return strcmp(((const listed *)a)->id, ((const listed *)b)->id);
}

/* cannotCalculateChanges: rebuild folder f from Item/list + Item/get.  Local
 * items the listing lacks are gone (unsent edits follow the policy), items
 * whose version differs or that are new are read, then syncing continues
 * from the listing's token.  Unacknowledged creates are matched by clientId,
 * so nothing is duplicated. */
static int reconcile(engine *e, folder_work *f, at_error *err)
{
	json_t *res = NULL;
	listed *list = NULL;
	ac_item_list local = {0};
	char (*fetch)[AC_ID_SIZE] = NULL;
	size_t n_fetch = 0;
	int ret = -1;
	at_error cerr;

	at_info(MOD, "folder %s: token too old, reconciling with Item/list", f->id);
	json_t *args = json_pack("{s:s}", "folderId", f->id);
	at_error_clear(&cerr);
	int r = single_call(e->t, "Item/list", args, &res, e->stats, &cerr);
	json_decref(args);
	if (r < 0) {
		if (strcmp(cerr.code, AT_E_UNAVAILABLE) == 0 || cerr.scope == AT_SCOPE_SERVER ||
		    cerr.scope == AT_SCOPE_ACCOUNT) {
			at_error_copy(err, &cerr);
			return -1;
		}
		return set_folder_error(e, f, &cerr, err);
	}
	json_t *items = json_object_get(res, "items");
	const char *token = ac_jstr(res, "token");
	if (!json_is_array(items) || token == NULL || strlen(token) >= AT_TOKEN_MAX) {
		bad_reply(&cerr, "Item/list lacks items or token");
		ret = set_folder_error(e, f, &cerr, err);
		goto done;
	}
	size_t n = json_array_size(items), i;
	json_t *v;
	list = calloc(n ? n : 1, sizeof(*list));
	fetch = calloc(n ? n : 1, sizeof(*fetch));
	if (list == NULL || fetch == NULL)
		abort();
	size_t m = 0;
	json_array_foreach(items, i, v) {
		const char *id = ac_jstr(v, "id");
		json_t *ver = json_int_member(v, "version");
		if (id == NULL || !at_id_valid(id) || ver == NULL)
			continue;
		list[m].id = id;
		list[m].version = json_integer_value(ver);
		m++;
	}
	qsort(list, m, sizeof(*list), cmp_listed);

	if (ac_store_begin(e->store, err) < 0)
		goto done;
	if (ac_store_items(e->store, f->id, &local, err) < 0)
		goto rollback;
	for (size_t k = 0; k < local.n; k++) {
		ac_item *l = local.v[k];
		if (l->server_id[0] == '\0')
			continue;  /* unsent create: kept, sent later */
		listed key = {l->server_id, 0};
		listed *hit = bsearch(&key, list, m, sizeof(*list), cmp_listed);
		if (hit == NULL) {
			json_t *detail = json_pack("{s:s}", "reason",
						   "not in the server's listing");
			int r2 = server_deleted(e, l, detail, err);
			json_decref(detail);
			if (r2 < 0)
				goto rollback;
			e->stats->received++;
		}
	}
	if (ac_store_commit(e->store, err) < 0)
		goto done;
	for (size_t k = 0; k < m; k++) {
		ac_item *l = NULL;
		if (ac_store_item_by_server_id(e->store, list[k].id, &l, err) < 0)
			goto done;
		if (l == NULL || l->version != list[k].version ||
		    strcmp(l->folder_id, f->id) != 0)
			snprintf(fetch[n_fetch++], AC_ID_SIZE, "%s", list[k].id);
		ac_item_free(&l);
	}
	at_debug(MOD, "folder %s: %zu listed, %zu to read", f->id, m, n_fetch);
	if (fetch_items(e, f, fetch, n_fetch, m, err) < 0)
		goto done;
	if (ac_store_begin(e->store, err) < 0)
		goto done;
	if (ac_store_folder_set_sync(e->store, f->id, token, true, err) < 0 ||
	    ac_store_folder_set_error(e->store, f->id, NULL, err) < 0)
		goto rollback;
	if (ac_store_commit(e->store, err) < 0)
		goto done;
	free(f->token);
	f->token = strdup(token);
	f->more = true;  /* one Item/sync from the listing's token follows */
	e->progress = true;
	ret = 0;
	goto done;
rollback:
	ac_store_rollback(e->store);
done:
	ac_item_list_free(&local);
	free(list);
	free(fetch);
	json_decref(res);
	return ret;
}

/* A method-level error answered for folder f's Item/sync. */
static int folder_failed(engine *e, folder_work *f, json_t *errobj, at_error *err)
{
	at_error ferr;
	json_decref(clean_error(errobj, &ferr));
	free_sent(f);
	if (strcmp(ferr.code, AT_E_CANNOT_CALCULATE) == 0 ||
	    strcmp(ferr.code, AT_E_INVALID_TOKEN) == 0)
		return reconcile(e, f, err);
	return set_folder_error(e, f, &ferr, err);
}

/* One request for folders work[0..n). */
static int run_calls(engine *e, folder_work **work, size_t n, at_error *err)
{
	json_t *calls = json_array();
	json_t *responses = NULL;
	int ret = -1;
	size_t i;
	/* half of maxRequestBytes for the fields, shared by the calls */
	size_t budget = e->max_bytes / 2 / (n ? n : 1);

	for (i = 0; i < n; i++) {
		json_t *args = NULL;
		if (build_call(e, work[i], budget, &args, err) < 0)
			goto done;
		json_array_append_new(calls, json_pack("[s,o,s]", "Item/sync", args,
						       work[i]->call_id));
	}
	if (api(e->t, calls, &responses, e->stats, err) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		folder_work *f = work[i];
		const char *name = NULL;
		json_t *res = find_response(responses, f->call_id, &name);
		if (res == NULL) {
			at_error ferr;
			bad_reply(&ferr, "no answer for this folder");
			free_sent(f);
			if (set_folder_error(e, f, &ferr, err) < 0)
				goto done;
		} else if (strcmp(name, "error") == 0) {
			if (folder_failed(e, f, res, err) < 0)
				goto done;
		} else if (strcmp(name, "Item/sync") == 0) {
			if (apply_sync(e, f, res, err) < 0)
				goto done;
		} else {
			at_error ferr;
			bad_reply(&ferr, "an answer of another method");
			free_sent(f);
			if (set_folder_error(e, f, &ferr, err) < 0)
				goto done;
		}
	}
	ret = 0;
done:
	for (i = 0; i < n; i++)
		free_sent(work[i]);
	json_decref(calls);
	json_decref(responses);
	return ret;
}

/* Reads back items whose delete the server refused, if their current state
 * did not come with the changes. */
static int refetch(engine *e, at_error *err)
{
	for (size_t i = 0; i < e->n_folders; i++) {
		folder_work *f = &e->folders[i];
		if (f->n_refetch == 0)
			continue;
		size_t n = f->n_refetch;
		char (*ids)[AC_ID_SIZE] = f->refetch;
		f->refetch = NULL;
		f->n_refetch = 0;
		int r = fetch_items(e, f, ids, n, 0, err);
		free(ids);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int item_rounds(engine *e, at_error *err)
{
	folder_work **work = calloc(e->n_folders ? e->n_folders : 1, sizeof(*work));
	unsigned max_rounds = e->opt.max_rounds ? e->opt.max_rounds : AC_ENGINE_MAX_ROUNDS;
	int ret = -1;
	if (work == NULL)
		abort();
	for (unsigned round = 0;; round++) {
		size_t n = 0;
		for (size_t i = 0; i < e->n_folders; i++) {
			folder_work *f = &e->folders[i];
			bool pending = false;
			if (!f->active)
				continue;
			if (round > 0 && !f->more) {
				if (has_pending(e, f, &pending, err) < 0)
					goto done;
				if (!pending)
					continue;
			}
			work[n++] = f;
		}
		if (n == 0)
			break;
		if (round > 0 && !e->progress) {
			/* the last round changed nothing: another would not either */
			at_warn(MOD, "round %u changed nothing: stopping", round);
			break;
		}
		if (round >= max_rounds) {
			at_warn(MOD, "stopping after %u rounds", round);
			break;
		}
		e->stats->rounds++;
		e->progress = false;
		at_debug(MOD, "round %u: %zu folders", round + 1, n);
		for (size_t off = 0; off < n; off += e->max_calls) {
			size_t cnt = n - off < e->max_calls ? n - off : e->max_calls;
			if (run_calls(e, work + off, cnt, err) < 0)
				goto done;
		}
		if (refetch(e, err) < 0)
			goto done;
	}
	ret = 0;
done:
	free(work);
	return ret;
}

/* --- the sync --------------------------------------------------------------------- */

static int next_run(engine *e, at_error *err)
{
	char *v = NULL;
	if (ac_store_begin(e->store, err) < 0)
		return -1;
	if (ac_store_meta_get(e->store, "syncRun", &v, err) < 0)
		goto fail;
	e->run = (v != NULL ? strtoll(v, NULL, 10) : 0) + 1;
	free(v);
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, e->run);
	if (ac_store_meta_set(e->store, "syncRun", buf, err) < 0)
		goto fail;
	return ac_store_commit(e->store, err);
fail:
	ac_store_rollback(e->store);
	return -1;
}

static void record_outcome(engine *e, const at_error *failure)
{
	at_error ignored;
	char now[AC_TIME_SIZE];
	ac_now_iso(now);
	if (ac_store_begin(e->store, &ignored) < 0)
		return;
	/* online or offline, and since when: the time of the first sync that
	 * found the server in this state */
	bool offline = failure != NULL && strcmp(failure->code, AT_E_UNAVAILABLE) == 0;
	const char *state = offline ? "offline" : "online";
	char *before = NULL;
	ac_store_meta_get(e->store, "connection", &before, &ignored);
	if (before == NULL || strcmp(before, state) != 0) {
		ac_store_meta_set(e->store, "connection", state, &ignored);
		ac_store_meta_set(e->store, "connectionSince", now, &ignored);
	}
	free(before);
	if (failure == NULL) {
		ac_store_meta_set(e->store, "lastSync", now, &ignored);
		ac_store_meta_set(e->store, "lastError", NULL, &ignored);
	} else {
		json_t *j = at_error_to_json(failure);
		json_object_set_new(j, "time", json_string(now));
		char *text = ac_json_dump(j);
		ac_store_meta_set(e->store, "lastError", text, &ignored);
		free(text);
		json_decref(j);
	}
	if (ac_store_commit(e->store, &ignored) < 0)
		ac_store_rollback(e->store);
}

/* Where a push stream opened after this sync starts (meta "pushSince",
 * daemon.h): the oldest position the sync reached — the folder tree's token
 * and the token of every folder it brought fully up to date — so that a
 * change committed after the sync but before the stream opens is told at
 * once.  Folders that failed are left out: their changes wait for the next
 * poll instead of waking the daemon again and again.  No folder: removed. */
static int record_push_since(engine *e, at_error *err)
{
	char *folders = NULL, buf[AT_TOKEN_MAX];
	at_token tok, min = {.modseq = -1};
	at_error ignored;
	if (ac_store_meta_get(e->store, "folderToken", &folders, err) < 0)
		return -1;
	if (folders != NULL && at_token_parse(folders, &tok, &ignored) == 0)
		min.modseq = tok.modseq;
	free(folders);
	for (size_t i = 0; i < e->n_folders; i++) {
		const folder_work *w = &e->folders[i];
		if (!w->synced || w->more || w->token == NULL ||
		    at_token_parse(w->token, &tok, &ignored) < 0)
			continue;
		if (min.modseq < 0 || tok.modseq < min.modseq)
			min.modseq = tok.modseq;
	}
	if (min.modseq < 0)
		return ac_store_meta_set(e->store, "pushSince", NULL, err);
	at_token_format(&min, buf);
	return ac_store_meta_set(e->store, "pushSince", buf, err);
}

int ac_engine_sync(ac_store *store, const ac_transport *transport,
		   const ac_engine_options *opts, ac_sync_stats *stats_r, at_error *err)
{
	ac_sync_stats stats;
	engine e;
	int ret = -1;
	char def[AC_ID_SIZE];

	memset(&stats, 0, sizeof(stats));
	memset(&e, 0, sizeof(e));
	e.store = store;
	e.t = transport;
	if (opts != NULL)
		e.opt = *opts;
	e.stats = &stats;
	e.window = e.opt.window ? e.opt.window : AT_DEFAULT_WINDOW;
	if (e.window > AT_MAX_WINDOW)
		e.window = AT_MAX_WINDOW;
	e.max_changes = AT_MAX_CHANGES_IN_SYNC;
	e.max_calls = AT_MAX_CALLS_IN_REQUEST;
	e.max_bytes = AT_MAX_REQUEST_BYTES;

	if (next_run(&e, err) < 0)
		goto done;
	if (read_session(&e, err) < 0)
		goto failed;
	if (folder_sync(&e, err) < 0)
		goto failed;
	/* items made offline before the folder tree was known: into the
	 * default folder of their type's module */
	for (int m = 0; m < AT_MODULE_COUNT; m++) {
		const at_item_type *t = at_model_default_type((at_module)m);
		if (t == NULL)
			continue;
		if (ac_store_default_folder(store, (at_module)m, def, err) < 0)
			goto failed;
		if (def[0] != '\0' && ac_store_assign_unfiled(store, t->name, def, err) < 0)
			goto failed;
	}
	if (plan_folders(&e, err) < 0)
		goto failed;
	if (item_rounds(&e, err) < 0)
		goto failed;
	for (size_t i = 0; i < e.n_folders; i++)
		if (e.folders[i].synced)
			stats.folders++;
	if (record_push_since(&e, err) < 0)
		goto failed;
	record_outcome(&e, NULL);
	ret = 0;
	goto done;
failed:
	record_outcome(&e, err);
done:
	for (size_t i = 0; i < e.n_folders; i++) {
		free(e.folders[i].token);
		free(e.folders[i].refetch);
		free_sent(&e.folders[i]);
	}
	free(e.folders);
	if (stats_r != NULL)
		*stats_r = stats;
	return ret;
}
