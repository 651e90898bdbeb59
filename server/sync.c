/* sync.c — see sync.h and docs/protocol.md §6. */
#include "sync.h"

#include <string.h>

#include "acl.h"
#include "blobs.h"
#include "hooks.h"
#include "invitations.h"
#include "lists.h"
#include "log.h"
#include "protocol.h"
#include "tasks.h"

/* --- shared helpers -------------------------------------------------------- */

int as_user_rights(as_ctx *ctx, const char *user_id, const char *const *groups,
		   size_t n_groups, const as_folder *f, at_rights *rights_r, at_error *err)
{
	at_grant *grants;
	size_t n_grants;
	if (ctx->store->ops->grants_get(ctx->store, f->id, ctx->arena, &grants, &n_grants,
					err) < 0)
		return -1;
	*rights_r = at_acl_effective(user_id, f->owner_id, grants, n_grants, groups, n_groups);
	return 0;
}

/* The requesting user's groups, read once per call. */
typedef struct viewer {
	const char **groups;
	size_t n_groups;
} viewer;

static int load_viewer(as_ctx *ctx, viewer *v, at_error *err)
{
	return ctx->store->ops->groups_of_user(ctx->store, ctx->user->id, ctx->arena,
					       &v->groups, &v->n_groups, err);
}

static int folder_rights(as_ctx *ctx, const viewer *v, const as_folder *f, at_rights *r,
			 at_error *err)
{
	return as_user_rights(ctx, ctx->user->id, v->groups, v->n_groups, f, r, err);
}

int as_folder_rights(as_ctx *ctx, const as_folder *f, at_rights *rights_r, at_error *err)
{
	viewer v;
	if (load_viewer(ctx, &v, err) < 0)
		return -1;
	return folder_rights(ctx, &v, f, rights_r, err);
}

int as_load_folder(as_ctx *ctx, const char *id, as_folder *f_r, at_rights *rights_r,
		   at_error *err)
{
	bool found;
	if (ctx->store->ops->folder_get(ctx->store, id, ctx->arena, f_r, &found, err) < 0)
		return -1;
	if (!found)
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    "folderId", "no folder with id %s", id);
	if (as_folder_rights(ctx, f_r, rights_r, err) < 0)
		return -1;
	if (!at_acl_may_see(rights_r))
		return at_error_set(err, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    "folderId", "you have no access to folder %s", id);
	return 0;
}

/* Another user's private folder, seen through a grant. */
static bool folder_shared(as_ctx *ctx, const as_folder *f)
{
	return f->type == AT_FOLDER_PRIVATE && f->owner_id != NULL &&
	       strcmp(f->owner_id, ctx->user->id) != 0;
}

static int folder_json(as_ctx *ctx, const as_folder *f, const at_rights *r, json_t **o_r,
		       at_error *err)
{
	const char *display = f->name;
	bool shared = folder_shared(ctx, f);
	if (shared) {
		as_user owner;
		bool found;
		if (ctx->store->ops->user_get_by_id(ctx->store, f->owner_id, ctx->arena, &owner,
						    &found, err) < 0)
			return -1;
		/* "Owner Name – Folder Name", with an EN DASH */
		if (found)
			display = at_arena_printf(ctx->arena, "%s \u2013 %s", owner.name, f->name);
	}
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I}", "id", f->id,
			      "name", f->name, "displayName", display,
			      "module", at_module_name(f->module),
			      "isDefault", f->is_default, "version", (json_int_t)f->version);
	json_object_set_new(o, "type", json_string(shared ? "shared"
						   : at_folder_type_name(f->type)));
	json_object_set_new(o, "parentId", f->parent_id ? json_string(f->parent_id) : json_null());
	json_object_set_new(o, "ownerId", f->owner_id ? json_string(f->owner_id) : json_null());
	json_object_set_new(o, "rights", at_rights_to_json(r));
	*o_r = o;
	return 0;
}

int as_folder_to_json(as_ctx *ctx, const as_folder *f, const at_rights *rights, json_t **o_r,
		      at_error *err)
{
	return folder_json(ctx, f, rights, o_r, err);
}

static bool item_private(const as_item *it)
{
	return json_is_true(json_object_get(it->fields, "private"));
}

static bool item_own(as_ctx *ctx, const as_item *it)
{
	return strcmp(it->created_by, ctx->user->id) == 0;
}

static json_t *item_json(as_ctx *ctx, const as_item *it)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:O}", "id", it->id,
			      "folderId", it->folder_id, "type", it->type,
			      "version", (json_int_t)it->version,
			      "createdBy", it->created_by, "fields", it->fields);
	if (it->client_id != NULL && item_own(ctx, it))
		json_object_set_new(o, "clientId", json_string(it->client_id));
	return o;
}

static const char *token_string(as_ctx *ctx, int64_t modseq, const char *last_id)
{
	at_token t = {.modseq = modseq};
	snprintf(t.last_id, sizeof(t.last_id), "%s", last_id ? last_id : "");
	char *buf = at_arena_alloc(ctx->arena, AT_TOKEN_MAX);
	at_token_format(&t, buf);
	return buf;
}

/* Parses and checks sinceToken against the horizon and the current modseq. */
static int check_token(as_ctx *ctx, const char *s, at_token *tok_r, at_error *err)
{
	int64_t horizon, current;
	memset(tok_r, 0, sizeof(*tok_r));
	if (s == NULL)
		return 0;
	if (at_token_parse(s, tok_r, err) < 0)
		return -1;
	if (ctx->store->ops->horizon(ctx->store, &horizon, err) < 0 ||
	    ctx->store->ops->current_modseq(ctx->store, &current, err) < 0)
		return -1;
	if (tok_r->modseq > current)
		return at_error_set(err, AT_E_INVALID_TOKEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    "sinceToken", "sinceToken is ahead of this server; was the "
				    "server's database replaced?");
	/* a token inside the group of changes at the horizon may have missed
	 * purged deletions of that group */
	if (tok_r->modseq < horizon || (tok_r->modseq == horizon && tok_r->last_id[0] != '\0'))
		return at_error_set(err, AT_E_CANNOT_CALCULATE, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    "sinceToken", "sinceToken is older than the deletion history "
				    "kept by the server; reconcile the folder with Item/list");
	return 0;
}

/* --- Folder/sync -----------------------------------------------------------
 *
 * The user's tree is the folders the user owns and the folders granted to
 * the user (directly or through a group) that the user may see.  Since a
 * token: a folder is in created when it was created after the token or the
 * user's access to it began after it (the grant, or the membership of the
 * group holding the grant, is newer); otherwise it is in updated when its
 * version (bumped by every change of its name, place or permissions) is
 * newer.  removed: the user's folders deleted after the token and the
 * folders the user lost sight of after it (access tombstones), except those
 * visible again now.  A token older than the horizon may have missed purged
 * folder or access tombstones: cannotCalculateChanges. */

struct folder_sync_state {
	as_ctx *ctx;
	viewer v;
	int64_t since;
	json_t *created, *updated, *removed;
	json_t *visible;         /* ids of granted folders listed or unchanged */
	at_error *err;
};

static int on_folder(void *p, const as_folder *f)
{
	struct folder_sync_state *st = p;
	at_rights r;
	json_t *o;
	if (folder_rights(st->ctx, &st->v, f, &r, st->err) < 0 ||
	    folder_json(st->ctx, f, &r, &o, st->err) < 0)
		return -1;
	json_array_append_new(f->created_version > st->since ? st->created : st->updated, o);
	return 0;
}

static int on_granted_folder(void *p, const as_folder *f)
{
	struct folder_sync_state *st = p;
	at_rights r;
	if (folder_rights(st->ctx, &st->v, f, &r, st->err) < 0)
		return -1;
	if (!at_acl_may_see(&r))
		return 0;
	json_object_set_new(st->visible, f->id, json_true());
	bool is_new = f->created_version > st->since || f->granted_version > st->since;
	if (!is_new && f->version <= st->since)
		return 0;
	json_t *o;
	if (folder_json(st->ctx, f, &r, &o, st->err) < 0)
		return -1;
	json_array_append_new(is_new ? st->created : st->updated, o);
	return 0;
}

static int on_removed_folder(void *p, const as_change *c)
{
	struct folder_sync_state *st = p;
	if (json_object_get(st->visible, c->id) == NULL)
		json_array_append_new(st->removed, json_string(c->id));
	return 0;
}

json_t *as_folder_sync(as_ctx *ctx, json_t *args, at_error *err)
{
	as_store *s = ctx->store;
	json_t *result = NULL;
	at_token tok;
	const char *k;
	json_t *v;
	json_object_foreach(args, k, v) {
		if (strcmp(k, "sinceToken") != 0) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				     k, "unknown argument \"%.64s\"", k);
			return NULL;
		}
	}
	json_t *since = json_object_get(args, "sinceToken");
	if (since != NULL && !json_is_null(since) && !json_is_string(since)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     "sinceToken", "sinceToken must be a string or null");
		return NULL;
	}
	struct folder_sync_state st = {ctx, {NULL, 0}, 0, json_array(), json_array(),
				       json_array(), json_object(), err};
	int64_t current, horizon;
	if (s->ops->begin(s, false, err) < 0)
		goto done;
	if (json_is_string(since)) {
		if (at_token_parse(json_string_value(since), &tok, err) < 0)
			goto done;
		st.since = tok.modseq;
	}
	if (s->ops->current_modseq(s, &current, err) < 0 ||
	    s->ops->horizon(s, &horizon, err) < 0)
		goto done;
	if (st.since > current) {
		at_error_set(err, AT_E_INVALID_TOKEN, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "sinceToken",
			     "sinceToken is ahead of this server; was the server's database replaced?");
		goto done;
	}
	/* folder and access tombstones at or below the horizon may be purged:
	 * the same rule as check_token */
	if (json_is_string(since) &&
	    (tok.modseq < horizon || (tok.modseq == horizon && tok.last_id[0] != '\0'))) {
		at_error_set(err, AT_E_CANNOT_CALCULATE, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     "sinceToken", "sinceToken is older than the deletion history kept "
			     "by the server; read the whole tree with sinceToken null");
		goto done;
	}
	if (load_viewer(ctx, &st.v, err) < 0 ||
	    s->ops->folder_list_owned(s, ctx->user->id, st.since, ctx->arena, on_folder, &st,
				      err) < 0 ||
	    s->ops->folders_granted_to(s, ctx->user->id, ctx->arena, on_granted_folder, &st,
				       err) < 0)
		goto done;
	/* without a token every visible folder is in created: nothing to remove */
	if (json_is_string(since) &&
	    (s->ops->folder_removed_since(s, ctx->user->id, st.since, ctx->arena,
					  on_removed_folder, &st, err) < 0 ||
	     s->ops->access_removed_since(s, ctx->user->id, st.since, ctx->arena,
					  on_removed_folder, &st, err) < 0))
		goto done;
	result = json_pack("{s:O,s:O,s:O,s:s}", "created", st.created, "updated", st.updated,
			   "removed", st.removed, "newToken", token_string(ctx, current, NULL));
done:
	s->ops->rollback(s);
	json_decref(st.created);
	json_decref(st.updated);
	json_decref(st.removed);
	json_decref(st.visible);
	return result;
}

/* --- Item/sync: applying client changes ------------------------------------ */

typedef struct written {
	const char *id;
	int64_t version;
} written;

struct sync_run {
	as_ctx *ctx;
	const as_folder *folder;
	at_rights rights;
	const at_item_sync_req *req;
	const at_item_type *type;
	json_t *results;
	written *written;
	size_t n_written;
};

static json_t *result_new(const at_change *c)
{
	static const char *const ops[] = {"create", "update", "delete"};
	json_t *r = json_pack("{s:s,s:s}", "op", ops[c->kind], "status", "ok");
	if (c->kind == AT_CHANGE_CREATE)
		json_object_set_new(r, "clientId", json_string(c->client_id));
	else
		json_object_set_new(r, "id", json_string(c->id));
	return r;
}

static void result_error(json_t *r, const at_error *e)
{
	json_object_set_new(r, "status", json_string("error"));
	json_object_set_new(r, "error", at_error_to_json(e));
}

static void result_item(struct sync_run *run, json_t *r, const as_item *it)
{
	json_object_set_new(r, "id", json_string(it->id));
	json_object_set_new(r, "version", json_integer(it->version));
	json_object_set_new(r, "item", item_json(run->ctx, it));
}

static void remember(struct sync_run *run, const as_item *it)
{
	run->written[run->n_written].id = at_arena_strdup(run->ctx->arena, it->id);
	run->written[run->n_written].version = it->version;
	run->n_written++;
}

/* The per-type hooks of the write path (hooks.h): what a write of an item
 * of the type also does, inside this transaction. */
static const as_item_hooks *const item_hooks[] = {&as_task_hooks, &as_list_hooks,
							      &as_contact_hooks,
							      &as_appointment_hooks};

static const as_item_hooks *hooks_for(const char *type)
{
	for (size_t i = 0; i < sizeof(item_hooks) / sizeof(item_hooks[0]); i++)
		if (strcmp(item_hooks[i]->type, type) == 0)
			return item_hooks[i];
	return NULL;
}

/* Client ids the server gives the items it makes itself. */
static bool client_id_reserved(const char *cid)
{
	return strncmp(cid, AS_TASK_NEXT_CID_PREFIX, strlen(AS_TASK_NEXT_CID_PREFIX)) == 0 ||
	       strncmp(cid, AS_TASK_COPY_CID_PREFIX, strlen(AS_TASK_COPY_CID_PREFIX)) == 0 ||
	       strncmp(cid, AS_INVITE_CID_PREFIX, strlen(AS_INVITE_CID_PREFIX)) == 0;
}

/* Runs the hooks' before_write and, when the item passes it and its whole
 * check, after_write.  1: refused (put in r); 0: go on; -1: store failure. */
static int run_write_hooks(const as_item_hooks *hooks, as_item_write *w,
			   const at_item_type *type, json_t *r, at_error *err)
{
	at_error ie;
	int rc = hooks->before_write != NULL ? hooks->before_write(w, &ie, err) : 0;
	if (rc == 0 && at_model_validate(type, w->item->fields, false, &ie) < 0)
		rc = 1;
	if (rc == 1) {
		result_error(r, &ie);
		if (w->error_extra != NULL)
			json_object_update(json_object_get(r, "error"), w->error_extra);
	}
	if (rc == 0 && hooks->after_write != NULL && hooks->after_write(w, err) < 0)
		rc = -1;
	return rc;
}

/* Store failures abort the whole call (return -1); item problems are put in
 * the result and return 0. */
static int apply_create(struct sync_run *run, const at_change *c, json_t *r, at_error *err)
{
	as_ctx *ctx = run->ctx;
	as_store *s = ctx->store;
	at_error ie;
	as_item it = {0};
	int rc = -1;
	const char *existing;
	const at_item_type *type = c->type ? at_model_item_type(c->type) : run->type;
	const as_item_hooks *hooks = NULL;
	as_item_write w = {0};
	json_t *fields = NULL;
	if (s->ops->client_id_lookup(s, ctx->user->id, c->client_id, ctx->arena, &existing, err) < 0)
		goto done;
	if (existing != NULL) {
		bool found;
		if (s->ops->item_get(s, existing, ctx->arena, &it, &found, err) < 0)
			goto done;
		if (!found) {
			at_error_set(&ie, AT_E_ITEM_DELETED, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				     "the item created with clientId %s has been deleted since",
				     c->client_id);
			json_object_set_new(r, "id", json_string(existing));
			result_error(r, &ie);
		} else {
			json_object_set_new(r, "replayed", json_true());
			result_item(run, r, &it);
		}
		rc = 0;
		goto done;
	}
	if (client_id_reserved(c->client_id)) {
		at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
			     "clientId", "client ids beginning with \"atrium-\" are the "
			     "server's own");
		result_error(r, &ie);
		rc = 0;
		goto done;
	}
	if (type == NULL || type->module != run->folder->module) {
		at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "type",
			     "a %s folder cannot hold this item type",
			     at_module_name(run->folder->module));
		result_error(r, &ie);
		rc = 0;
		goto done;
	}
	if (!at_acl_may_create(&run->rights)) {
		at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "you may not create items in folder \"%s\"", run->folder->name);
		result_error(r, &ie);
		rc = 0;
		goto done;
	}
	hooks = hooks_for(type->name);
	fields = json_deep_copy(c->fields);
	if (hooks != NULL && hooks->filter_sent != NULL)
		hooks->filter_sent(fields, NULL);
	if (at_model_validate(type, fields, false, &ie) < 0) {
		result_error(r, &ie);
		rc = 0;
		goto done;
	}
	int64_t modseq;
	if (s->ops->tx_modseq(s, &modseq, err) < 0)
		goto done;
	it.id = as_new_id(ctx->arena);
	it.folder_id = run->folder->id;
	it.type = type->name;
	it.created_by = ctx->user->id;
	it.client_id = c->client_id;
	it.fields = json_deep_copy(fields);
	it.field_versions = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(it.fields, k, v)
		json_object_set_new(it.field_versions, k, json_integer(modseq));
	/* blob references (blobs.h), for every type, before the type's hooks */
	if (json_object_get(it.fields, "photo") != NULL ||
	    json_object_get(it.fields, "attachments") != NULL) {
		int br = as_blobs_check_item(ctx, it.fields, &ie, err);
		if (br != 0) {
			if (br > 0)
				result_error(r, &ie);
			rc = br < 0 ? -1 : 0;
			goto done;
		}
	}
	if (hooks != NULL) {
		w = (as_item_write){.ctx = ctx, .folder = run->folder, .modseq = modseq,
				    .old = NULL, .sent = fields, .item = &it,
				    .ignore_conflicts = c->ignore_conflicts};
		int hr = run_write_hooks(hooks, &w, type, r, err);
		if (hr != 0) {
			rc = hr < 0 ? -1 : 0;
			goto done;
		}
	}
	if (s->ops->item_put(s, &it, true, err) < 0)
		goto done;
	remember(run, &it);
	result_item(run, r, &it);
	rc = 0;
done:
	json_decref(fields);
	json_decref(w.state);
	json_decref(w.error_extra);
	as_item_clear(&it);
	return rc;
}

static int load_target(struct sync_run *run, const at_change *c, as_item *it,
		       bool *found_r, at_error *err)
{
	if (run->ctx->store->ops->item_get(run->ctx->store, c->id, run->ctx->arena, it,
					   found_r, err) < 0)
		return -1;
	if (*found_r && strcmp(it->folder_id, run->folder->id) != 0) {
		as_item_clear(it);
		*found_r = false;  /* moved away: gone from this folder */
	}
	return 0;
}

static int apply_update(struct sync_run *run, const at_change *c, json_t *r, at_error *err)
{
	as_ctx *ctx = run->ctx;
	as_store *s = ctx->store;
	at_error ie;
	as_item it = {0};
	bool found;
	int rc = -1;
	const as_item_hooks *hooks = NULL;
	as_item_write w = {0};
	json_t *patch = json_incref(c->fields), *old = NULL, *applied = NULL;
	if (load_target(run, c, &it, &found, err) < 0)
		goto done;
	if (!found || !at_acl_may_read(&run->rights, item_own(ctx, &it), item_private(&it))) {
		at_error_set(&ie, AT_E_ITEM_DELETED, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "the item was deleted on the server");
		result_error(r, &ie);
		json_object_set_new(r, "conflict",
				    json_pack("{s:s,s:[],s:O,s:b}", "policy",
					      at_policy_name(run->req->policy), "fields",
					      "lost", c->fields, "deletedOnServer", 1));
		rc = 0;
		goto done;
	}
	if (!at_acl_may_write(&run->rights, item_own(ctx, &it), item_private(&it))) {
		at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "you may not change this item");
		result_error(r, &ie);
		rc = 0;
		goto done;
	}
	const at_item_type *type = at_model_item_type(it.type);
	hooks = type != NULL ? hooks_for(type->name) : NULL;
	if (hooks != NULL) {
		json_decref(patch);
		patch = json_deep_copy(c->fields);
		if (hooks->filter_sent != NULL)
			hooks->filter_sent(patch, it.fields);
		old = json_deep_copy(it.fields);
		applied = json_object();
	}
	if (type == NULL || at_model_validate(type, patch, true, &ie) < 0) {
		if (type == NULL)
			at_error_set(&ie, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				     "stored item has unknown type %s", it.type);
		result_error(r, &ie);
		rc = 0;
		goto done;
	}
	int64_t modseq = 0;
	json_t *conflicts = json_array(), *lost = json_object();
	bool changed = false;
	const char *k;
	json_t *pv;
	json_object_foreach(patch, k, pv) {
		json_t *sv = json_object_get(it.fields, k);
		if ((sv == NULL && json_is_null(pv)) || (sv != NULL && json_equal(sv, pv)))
			continue;
		json_t *fv = json_object_get(it.field_versions, k);
		bool conflict = json_is_integer(fv) && json_integer_value(fv) > c->base_version;
		if (conflict) {
			json_array_append_new(conflicts, json_string(k));
			if (run->req->policy == AT_POLICY_SERVER) {
				json_object_set(lost, k, pv);
				continue;
			}
			json_object_set(lost, k, sv != NULL ? sv : json_null());
		}
		if (modseq == 0 && s->ops->tx_modseq(s, &modseq, err) < 0) {
			json_decref(conflicts);
			json_decref(lost);
			goto done;
		}
		if (json_is_null(pv))
			json_object_del(it.fields, k);
		else
			json_object_set(it.fields, k, pv);
		json_object_set_new(it.field_versions, k, json_integer(modseq));
		if (applied != NULL)
			json_object_set(applied, k, pv);
		changed = true;
	}
	/* blob references (blobs.h), for every type, before the type's hooks */
	if (changed && (json_object_get(patch, "photo") != NULL ||
			json_object_get(patch, "attachments") != NULL)) {
		int br = as_blobs_check_item(ctx, it.fields, &ie, err);
		if (br != 0) {
			json_decref(conflicts);
			json_decref(lost);
			if (br > 0)
				result_error(r, &ie);
			rc = br < 0 ? -1 : 0;
			goto done;
		}
	}
	if (changed && hooks != NULL) {
		w = (as_item_write){.ctx = ctx, .folder = run->folder, .modseq = modseq,
				    .old = old, .sent = applied, .item = &it,
				    .ignore_conflicts = c->ignore_conflicts};
		int hr = run_write_hooks(hooks, &w, type, r, err);
		if (hr != 0) {
			json_decref(conflicts);
			json_decref(lost);
			rc = hr < 0 ? -1 : 0;
			goto done;
		}
	}
	/* each field may be valid and the merged item not (an end before the
	 * start, a rule that no longer fits the start): check it whole */
	if (changed && at_model_validate(type, it.fields, false, &ie) < 0) {
		json_decref(conflicts);
		json_decref(lost);
		result_error(r, &ie);
		rc = 0;
		goto done;
	}
	if (json_array_size(conflicts) > 0)
		json_object_set_new(r, "conflict",
				    json_pack("{s:s,s:O,s:O}", "policy",
					      at_policy_name(run->req->policy),
					      "fields", conflicts, "lost", lost));
	json_decref(conflicts);
	json_decref(lost);
	if (changed) {
		if (s->ops->item_put(s, &it, false, err) < 0)
			goto done;
		remember(run, &it);
	}
	result_item(run, r, &it);
	rc = 0;
done:
	json_decref(patch);
	json_decref(old);
	json_decref(applied);
	json_decref(w.state);
	json_decref(w.error_extra);
	as_item_clear(&it);
	return rc;
}

static int apply_delete(struct sync_run *run, const at_change *c, json_t *r, at_error *err)
{
	as_ctx *ctx = run->ctx;
	as_store *s = ctx->store;
	at_error ie;
	as_item it = {0};
	bool found;
	int rc = -1;
	if (load_target(run, c, &it, &found, err) < 0)
		goto done;
	if (!found || !at_acl_may_read(&run->rights, item_own(ctx, &it), item_private(&it))) {
		rc = 0;  /* already gone: deleting is idempotent */
		goto done;
	}
	if (!at_acl_may_delete(&run->rights, item_own(ctx, &it), item_private(&it))) {
		at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "you may not delete this item");
		result_error(r, &ie);
		result_item(run, r, &it);
		rc = 0;
		goto done;
	}
	if (it.version > c->base_version) {
		if (run->req->policy == AT_POLICY_SERVER) {
			at_error_set(&ie, AT_E_CONFLICT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				     "the item was changed on the server after version %lld; "
				     "the server's version is kept",
				     (long long)c->base_version);
			result_error(r, &ie);
			result_item(run, r, &it);
			rc = 0;
			goto done;
		}
		json_object_set_new(r, "conflict",
				    json_pack("{s:s,s:[],s:O}", "policy", "client", "fields",
					      "lost", it.fields));
	}
	if (s->ops->item_delete(s, it.id, it.folder_id, err) < 0)
		goto done;
	const as_item_hooks *hooks = hooks_for(it.type);
	if (hooks != NULL && hooks->after_delete != NULL &&
	    hooks->after_delete(ctx, &it, err) < 0)
		goto done;
	int64_t modseq;
	if (s->ops->tx_modseq(s, &modseq, err) < 0)
		goto done;
	json_object_set_new(r, "version", json_integer(modseq));
	run->written[run->n_written].id = at_arena_strdup(ctx->arena, it.id);
	run->written[run->n_written].version = modseq;
	run->n_written++;
	rc = 0;
done:
	as_item_clear(&it);
	return rc;
}

/* --- Item/sync: server changes --------------------------------------------- */

struct change_walk {
	struct sync_run *run;
	json_t *upserted, *removed;
	unsigned seen, limit;
	bool more;
	as_change last;
	int failed;
	at_error *err;
};

static bool written_by_us(struct sync_run *run, const as_change *c)
{
	for (size_t i = 0; i < run->n_written; i++)
		if (run->written[i].version == c->version && strcmp(run->written[i].id, c->id) == 0)
			return true;
	return false;
}

/* Changes arrive in (modseq, id) order.  The call's own writes are skipped
 * without using the window (their results carry them), so that they never
 * come back in a later window either; the token advances over them. */
static int on_change(void *p, const as_change *c)
{
	struct change_walk *w = p;
	if (w->more)
		return 0;
	if (written_by_us(w->run, c)) {
		w->last = *c;
		return 0;
	}
	if (w->seen == w->limit) {
		w->more = true;  /* one change past the window: more exist */
		return 0;
	}
	w->seen++;
	w->last = *c;
	if (c->removed) {
		json_array_append_new(w->removed, json_string(c->id));
		return 0;
	}
	as_ctx *ctx = w->run->ctx;
	as_item it = {0};
	bool found;
	if (ctx->store->ops->item_get(ctx->store, c->id, ctx->arena, &it, &found, w->err) < 0) {
		w->failed = 1;
		return -1;
	}
	if (found) {
		if (at_acl_may_read(&w->run->rights, item_own(ctx, &it), item_private(&it)))
			json_array_append_new(w->upserted, item_json(ctx, &it));
		else
			json_array_append_new(w->removed, json_string(c->id));
	}
	as_item_clear(&it);
	return 0;
}

json_t *as_item_sync(as_ctx *ctx, json_t *args, at_error *err)
{
	as_store *s = ctx->store;
	at_item_sync_req req;
	as_folder folder;
	json_t *result = NULL, *results = json_array();
	struct change_walk w = {0};
	at_token since;
	bool in_tx = false;
	if (at_item_sync_req_decode(args, ctx->arena, &req, err) < 0)
		goto done;
	struct sync_run run = {.ctx = ctx, .folder = &folder, .req = &req, .results = results};
	run.written = at_arena_alloc(ctx->arena, sizeof(written) * (req.n_changes + 1));
	if (s->ops->begin(s, req.n_changes > 0, err) < 0)
		goto done;
	in_tx = true;
	if (as_load_folder(ctx, req.folder_id, &folder, &run.rights, err) < 0 ||
	    check_token(ctx, req.since_token, &since, err) < 0)
		goto done;
	run.type = at_model_default_type(folder.module);
	if (req.n_changes > 0 && !at_acl_may_read(&run.rights, true, false) &&
	    !at_acl_may_create(&run.rights)) {
		at_error_set(err, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "folderId",
			     "you may not change items in folder \"%s\"", folder.name);
		goto done;
	}
	for (size_t i = 0; i < req.n_changes; i++) {
		const at_change *c = &req.changes[i];
		json_t *r = result_new(c);
		json_array_append_new(results, r);
		int rc = c->kind == AT_CHANGE_CREATE ? apply_create(&run, c, r, err)
		       : c->kind == AT_CHANGE_UPDATE ? apply_update(&run, c, r, err)
		       : apply_delete(&run, c, r, err);
		if (rc < 0)
			goto done;
	}
	w.run = &run;
	w.upserted = json_array();
	w.removed = json_array();
	w.limit = req.window;
	w.err = err;
	if (at_acl_may_read(&run.rights, true, false) &&
	    s->ops->changes(s, folder.id, &since, req.window + 1 + (unsigned)run.n_written,
			     ctx->arena, on_change, &w, err) < 0)
		goto done;
	const char *new_token;
	if (w.more) {
		/* the next call starts after the last change returned */
		new_token = token_string(ctx, w.last.version, w.last.id);
	} else {
		int64_t current;
		if (s->ops->current_modseq(s, &current, err) < 0)
			goto done;
		new_token = token_string(ctx, current, NULL);
	}
	if (req.n_changes > 0 && s->ops->commit(s, err) < 0) {
		in_tx = false;
		goto done;
	}
	result = json_pack("{s:s,s:O,s:{s:O,s:O},s:s,s:b}", "folderId", folder.id,
			   "results", results, "changes", "upserted", w.upserted,
			   "removed", w.removed, "newToken", new_token, "moreAvailable", w.more);
done:
	if (in_tx && (result == NULL || req.n_changes == 0))
		s->ops->rollback(s);
	json_decref(results);
	json_decref(w.upserted);
	json_decref(w.removed);
	return result;
}

/* --- Item/list and Item/get ------------------------------------------------ */

struct list_walk {
	as_ctx *ctx;
	at_rights rights;
	json_t *items;
	at_error *err;
};

static int on_list(void *p, const as_change *c)
{
	struct list_walk *w = p;
	as_item it = {0};
	bool found;
	if (w->ctx->store->ops->item_get(w->ctx->store, c->id, w->ctx->arena, &it, &found,
					 w->err) < 0)
		return -1;
	if (found && at_acl_may_read(&w->rights, item_own(w->ctx, &it), item_private(&it)))
		json_array_append_new(w->items, json_pack("{s:s,s:I}", "id", c->id, "version",
							  (json_int_t)c->version));
	as_item_clear(&it);
	return 0;
}

const char *as_folder_id_arg(json_t *args, const char *const *allowed, at_error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(args, k, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a != NULL; a++)
			ok = ok || strcmp(*a, k) == 0;
		if (!ok) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     k, "unknown argument \"%.64s\"", k);
			return NULL;
		}
	}
	json_t *f = json_object_get(args, "folderId");
	if (!json_is_string(f) || !at_id_valid(json_string_value(f))) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			     "folderId", "folderId must be a folder id");
		return NULL;
	}
	return json_string_value(f);
}

json_t *as_item_list(as_ctx *ctx, json_t *args, at_error *err)
{
	static const char *const allowed[] = {"folderId", NULL};
	as_store *s = ctx->store;
	as_folder folder;
	json_t *result = NULL;
	struct list_walk w = {ctx, {0}, json_array(), err};
	int64_t current;
	const char *fid = as_folder_id_arg(args, allowed, err);
	if (fid == NULL)
		goto done;
	if (s->ops->begin(s, false, err) < 0)
		goto done;
	if (as_load_folder(ctx, fid, &folder, &w.rights, err) == 0 &&
	    s->ops->current_modseq(s, &current, err) == 0 &&
	    (!at_acl_may_read(&w.rights, true, false) ||
	     s->ops->item_list(s, fid, ctx->arena, on_list, &w, err) == 0))
		result = json_pack("{s:s,s:O,s:s}", "folderId", fid, "items", w.items,
				   "token", token_string(ctx, current, NULL));
	s->ops->rollback(s);
done:
	json_decref(w.items);
	return result;
}

json_t *as_item_get(as_ctx *ctx, json_t *args, at_error *err)
{
	static const char *const allowed[] = {"folderId", "ids", NULL};
	as_store *s = ctx->store;
	as_folder folder;
	at_rights rights;
	json_t *result = NULL, *items = json_array(), *missing = json_array();
	const char *fid = as_folder_id_arg(args, allowed, err);
	json_t *ids = json_object_get(args, "ids");
	if (fid == NULL)
		goto done;
	if (!json_is_array(ids) || json_array_size(ids) > AT_MAX_WINDOW) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "ids",
			     "ids must be a list of at most %d item ids", AT_MAX_WINDOW);
		goto done;
	}
	if (s->ops->begin(s, false, err) < 0)
		goto done;
	if (as_load_folder(ctx, fid, &folder, &rights, err) < 0)
		goto rollback;
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v) || !at_id_valid(json_string_value(v))) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "ids", "ids[%zu] is not an item id", i);
			goto rollback;
		}
		as_item it = {0};
		bool found;
		if (s->ops->item_get(s, json_string_value(v), ctx->arena, &it, &found, err) < 0)
			goto rollback;
		if (found && strcmp(it.folder_id, fid) == 0 &&
		    at_acl_may_read(&rights, item_own(ctx, &it), item_private(&it)))
			json_array_append_new(items, item_json(ctx, &it));
		else
			json_array_append(missing, v);
		as_item_clear(&it);
	}
	result = json_pack("{s:s,s:O,s:O}", "folderId", fid, "items", items, "notFound", missing);
rollback:
	s->ops->rollback(s);
done:
	json_decref(items);
	json_decref(missing);
	return result;
}
