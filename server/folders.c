/* folders.c — see folders.h and docs/protocol.md §6 (Folder/set). */
#include "folders.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "log.h"
#include "model.h"
#include "perms.h"
#include "protocol.h"

/* --- the public_folder_creators setting -------------------------------------- */

static pthread_mutex_t setting_lock = PTHREAD_MUTEX_INITIALIZER;
static char public_creators[AS_FOLDERS_CREATORS_MAX] = "everyone";

/* The next word of a list separated by commas or blanks. */
static bool next_word(const char **p, const char **word_r, size_t *len_r)
{
	const char *s = *p;
	while (*s == ',' || *s == ' ' || *s == '\t')
		s++;
	const char *e = s;
	while (*e != '\0' && *e != ',' && *e != ' ' && *e != '\t')
		e++;
	*p = e;
	*word_r = s;
	*len_r = (size_t)(e - s);
	return e > s;
}

static bool word_is(const char *w, size_t n, const char *what)
{
	return n == strlen(what) && strncmp(w, what, n) == 0;
}

/* a-z 0-9 . _ - : the characters of logins and group names */
static bool principal_name_ok(const char *w, size_t n)
{
	if (n < 1 || n > AS_LOGIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

bool as_folders_creators_valid(const char *spec)
{
	const char *p = spec, *w;
	size_t n, words = 0;
	bool keyword = false;
	if (spec == NULL || strlen(spec) >= AS_FOLDERS_CREATORS_MAX)
		return false;
	while (next_word(&p, &w, &n)) {
		words++;
		if (word_is(w, n, "everyone") || word_is(w, n, "nobody"))
			keyword = true;
		else if (!principal_name_ok(w[0] == '@' ? w + 1 : w, w[0] == '@' ? n - 1 : n))
			return false;
	}
	/* "everyone" and "nobody" stand alone */
	return words == 1 || (words > 1 && !keyword);
}

int as_folders_set_public_creators(const char *spec, at_error *err)
{
	if (!as_folders_creators_valid(spec))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "public_folder_creators", "public_folder_creators is "
				    "\"everyone\", \"nobody\", or logins and @groups separated "
				    "by commas");
	pthread_mutex_lock(&setting_lock);
	snprintf(public_creators, sizeof(public_creators), "%s", spec);
	pthread_mutex_unlock(&setting_lock);
	return 0;
}

int as_folders_may_create_public_root(as_ctx *ctx, bool *may_r, at_error *err)
{
	char spec[AS_FOLDERS_CREATORS_MAX];
	const char *p = spec, *w;
	size_t n;
	const char **groups = NULL;
	size_t n_groups = 0;
	bool groups_read = false;
	pthread_mutex_lock(&setting_lock);
	memcpy(spec, public_creators, sizeof(spec));
	pthread_mutex_unlock(&setting_lock);
	*may_r = false;
	while (next_word(&p, &w, &n)) {
		if (word_is(w, n, "everyone")) {
			*may_r = true;
			return 0;
		}
		if (w[0] != '@') {
			if (word_is(w, n, ctx->user->login)) {
				*may_r = true;
				return 0;
			}
			continue;
		}
		if (!groups_read &&
		    ctx->store->ops->groups_of_user(ctx->store, ctx->user->id, ctx->arena,
						    &groups, &n_groups, err) < 0)
			return -1;
		groups_read = true;
		as_group g;
		bool found;
		char *name = at_arena_strndup(ctx->arena, w + 1, n - 1);
		if (ctx->store->ops->group_get_by_name(ctx->store, name, ctx->arena, &g, &found,
						       err) < 0)
			return -1;
		for (size_t i = 0; found && i < n_groups; i++)
			if (strcmp(groups[i], g.id) == 0) {
				*may_r = true;
				return 0;
			}
	}
	return 0;
}

/* --- requests ------------------------------------------------------------------ */

typedef struct fcreate {
	const char *client_id;
	const char *parent_id;   /* NULL: top of a tree; "#clientId": made in this call */
	const char *name;
	at_module module;
	int public_flag;         /* -1 when not given */
} fcreate;

typedef struct fupdate {
	const char *id;
	const char *name;        /* NULL: unchanged */
	bool has_parent;
	const char *parent_id;   /* when has_parent; NULL: the top */
} fupdate;

typedef struct fset_req {
	fcreate *creates;
	fupdate *updates;
	const char **deletes;
	size_t n_creates, n_updates, n_deletes;
} fset_req;

static int bad_arg(at_error *err, const char *field, const char *fmt, const char *what)
{
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, field,
			    fmt, what);
}

static bool only_members(json_t *o, const char *const *allowed, const char **bad_r)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a != NULL; a++)
			ok = ok || strcmp(*a, k) == 0;
		if (!ok) {
			*bad_r = k;
			return false;
		}
	}
	return true;
}

/* A folder id, or "#clientId" where refs are allowed. */
static bool folder_ref_ok(const char *s, bool refs)
{
	if (refs && s[0] == '#')
		return at_id_valid(s + 1);
	return at_id_valid(s);
}

static int decode_parent(json_t *v, const char *where, const char **parent_r, at_error *err)
{
	if (json_is_null(v)) {
		*parent_r = NULL;
		return 0;
	}
	if (!json_is_string(v) || !folder_ref_ok(json_string_value(v), true))
		return bad_arg(err, where, "%s must be a folder id, \"#\" and the clientId of a "
			       "create of this call, or null", where);
	*parent_r = json_string_value(v);
	return 0;
}

static int decode(json_t *args, at_arena *a, fset_req *req, at_error *err)
{
	static const char *const top[] = {"create", "update", "delete", NULL};
	static const char *const create_keys[] = {"clientId", "parentId", "name", "module",
						  "public", NULL};
	static const char *const update_keys[] = {"id", "name", "parentId", NULL};
	static const char *const delete_keys[] = {"id", NULL};
	char where[AT_ERROR_FIELD_MAX];
	const char *bad;
	size_t i;
	json_t *v;
	memset(req, 0, sizeof(*req));
	if (!json_is_object(args))
		return bad_arg(err, NULL, "%s", "Folder/set takes an object");
	if (!only_members(args, top, &bad))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    bad, "unknown argument \"%.64s\"", bad);
	json_t *cr = json_object_get(args, "create"), *up = json_object_get(args, "update"),
	       *de = json_object_get(args, "delete");
	if ((cr != NULL && !json_is_array(cr)) || (up != NULL && !json_is_array(up)) ||
	    (de != NULL && !json_is_array(de)))
		return bad_arg(err, cr != NULL && !json_is_array(cr) ? "create"
			       : up != NULL && !json_is_array(up) ? "update" : "delete",
			       "%s", "create, update and delete must be lists");
	if (json_array_size(cr) + json_array_size(up) + json_array_size(de) >
	    AS_FOLDERS_MAX_CHANGES)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    NULL, "at most %d entries in create, update and delete "
				    "together", AS_FOLDERS_MAX_CHANGES);
	req->creates = at_arena_alloc(a, (json_array_size(cr) + 1) * sizeof(fcreate));
	req->updates = at_arena_alloc(a, (json_array_size(up) + 1) * sizeof(fupdate));
	req->deletes = at_arena_alloc(a, (json_array_size(de) + 1) * sizeof(char *));
	json_array_foreach(cr, i, v) {
		fcreate *c = &req->creates[req->n_creates++];
		snprintf(where, sizeof(where), "create[%zu]", i);
		if (!json_is_object(v))
			return bad_arg(err, where, "%s must be an object", where);
		if (!only_members(v, create_keys, &bad))
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, where, "%s: unknown member \"%.64s\"",
					    where, bad);
		const char *cid = json_string_value(json_object_get(v, "clientId"));
		snprintf(where, sizeof(where), "create[%zu].clientId", i);
		if (cid == NULL || !at_id_valid(cid))
			return bad_arg(err, where, "%s must be 1-64 characters of A-Z a-z 0-9 . _ : -",
				       where);
		c->client_id = cid;
		snprintf(where, sizeof(where), "create[%zu].parentId", i);
		json_t *p = json_object_get(v, "parentId");
		if (decode_parent(p != NULL ? p : json_null(), where, &c->parent_id, err) < 0)
			return -1;
		snprintf(where, sizeof(where), "create[%zu].name", i);
		if ((c->name = json_string_value(json_object_get(v, "name"))) == NULL)
			return bad_arg(err, where, "%s must be a string", where);
		snprintf(where, sizeof(where), "create[%zu].module", i);
		const char *mod = json_string_value(json_object_get(v, "module"));
		if (mod == NULL || at_module_parse(mod, &c->module) < 0)
			return bad_arg(err, where, "%s must be contacts, calendar or tasks", where);
		snprintf(where, sizeof(where), "create[%zu].public", i);
		json_t *pub = json_object_get(v, "public");
		if (pub != NULL && !json_is_boolean(pub))
			return bad_arg(err, where, "%s must be true or false", where);
		c->public_flag = pub == NULL ? -1 : json_is_true(pub);
	}
	json_array_foreach(up, i, v) {
		fupdate *u = &req->updates[req->n_updates++];
		snprintf(where, sizeof(where), "update[%zu]", i);
		if (!json_is_object(v))
			return bad_arg(err, where, "%s must be an object", where);
		if (!only_members(v, update_keys, &bad))
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, where, "%s: unknown member \"%.64s\"",
					    where, bad);
		json_t *name = json_object_get(v, "name"), *p = json_object_get(v, "parentId");
		if (name == NULL && p == NULL)
			return bad_arg(err, where, "%s changes nothing: give a name or a parentId",
				       where);
		snprintf(where, sizeof(where), "update[%zu].id", i);
		u->id = json_string_value(json_object_get(v, "id"));
		if (u->id == NULL || !at_id_valid(u->id))
			return bad_arg(err, where, "%s must be a folder id", where);
		snprintf(where, sizeof(where), "update[%zu].name", i);
		if (name != NULL && (u->name = json_string_value(name)) == NULL)
			return bad_arg(err, where, "%s must be a string", where);
		snprintf(where, sizeof(where), "update[%zu].parentId", i);
		u->has_parent = p != NULL;
		if (p != NULL && decode_parent(p, where, &u->parent_id, err) < 0)
			return -1;
	}
	json_array_foreach(de, i, v) {
		snprintf(where, sizeof(where), "delete[%zu]", i);
		if (!json_is_object(v))
			return bad_arg(err, where, "%s must be an object", where);
		if (!only_members(v, delete_keys, &bad))
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, where, "%s: unknown member \"%.64s\"",
					    where, bad);
		snprintf(where, sizeof(where), "delete[%zu].id", i);
		const char *id = json_string_value(json_object_get(v, "id"));
		if (id == NULL || !at_id_valid(id))
			return bad_arg(err, where, "%s must be a folder id", where);
		req->deletes[req->n_deletes++] = id;
	}
	return 0;
}

/* --- helpers ------------------------------------------------------------------- */

typedef struct set_run {
	as_ctx *ctx;
	json_t *results;
	json_t *made;    /* {clientId: folder id} of this call's creates */
} set_run;

static bool same_id(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* An entry's problem: put in its result, the call goes on. */
static void entry_error(json_t *r, const at_error *e)
{
	json_object_set_new(r, "status", json_string("error"));
	json_object_set_new(r, "error", at_error_to_json(e));
}

/* Loads a folder the user may see.  0: loaded; 1: notFound or forbidden in
 * *ie (field set to field); -1: storage failure in err. */
static int load_visible(as_ctx *ctx, const char *id, const char *field, as_folder *f,
			at_rights *r, at_error *ie, at_error *err)
{
	at_error e;
	at_error_clear(&e);
	if (as_load_folder(ctx, id, f, r, &e) == 0)
		return 0;
	if (strcmp(e.code, AT_E_NOT_FOUND) == 0 || strcmp(e.code, AT_E_FORBIDDEN) == 0) {
		at_error_copy(ie, &e);
		snprintf(ie->field, sizeof(ie->field), "%s", field);
		return 1;
	}
	at_error_copy(err, &e);
	return -1;
}

/* "#clientId" -> the id made by that create of this call (NULL if none). */
static const char *resolve_ref(set_run *run, const char *ref)
{
	if (ref == NULL || ref[0] != '#')
		return ref;
	return json_string_value(json_object_get(run->made, ref + 1));
}

static bool name_ok(const char *name, at_error *ie, const char *field)
{
	size_t len = strlen(name), chars = at_utf8_length(name, len);
	if (chars < 1 || chars > AT_MAX_FOLDER_NAME) {
		at_error_set(ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, field,
			     "a folder name is 1-%d characters", AT_MAX_FOLDER_NAME);
		return false;
	}
	const unsigned char *p = (const unsigned char *)name;
	for (size_t i = 0; i < len; i++) {
		/* C0 controls, DEL, and C1 controls (U+0080-U+009F: C2 80-9F) */
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)) {
			at_error_set(ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     field, "a folder name may not contain control characters");
			return false;
		}
	}
	return true;
}

struct name_check {
	const char *name, *exclude;
	bool taken;
};

static int on_sibling(void *p, const as_folder *f)
{
	struct name_check *nc = p;
	if (strcasecmp(f->name, nc->name) == 0 && !same_id(f->id, nc->exclude))
		nc->taken = true;
	return 0;
}

/* Is name used by another child of parent_id (NULL: the top of the tree of
 * top_owner, NULL for the public tree)? */
static int name_taken(as_ctx *ctx, const char *parent_id, const char *top_owner,
		      const char *name, const char *exclude, bool *taken_r, at_error *err)
{
	struct name_check nc = {name, exclude, false};
	if (ctx->store->ops->folder_children(ctx->store, parent_id, top_owner, ctx->arena,
					     on_sibling, &nc, err) < 0)
		return -1;
	*taken_r = nc.taken;
	return 0;
}

/* Levels from the top down to f (a top-level folder is 1); a chain longer
 * than the limit (or a damaged one) stops counting at limit + 1.
 * *meets_r (may be NULL): stop_at is f or one of its ancestors. */
static int depth_of(as_ctx *ctx, const as_folder *f, const char *stop_at, int *depth_r,
		    bool *meets_r, at_error *err)
{
	int depth = 1;
	const char *parent = f->parent_id;
	if (meets_r != NULL)
		*meets_r = stop_at != NULL && strcmp(f->id, stop_at) == 0;
	while (parent != NULL && depth <= AS_FOLDER_MAX_DEPTH) {
		as_folder p;
		bool found;
		if (stop_at != NULL && strcmp(parent, stop_at) == 0 && meets_r != NULL)
			*meets_r = true;
		if (ctx->store->ops->folder_get(ctx->store, parent, ctx->arena, &p, &found,
						err) < 0)
			return -1;
		if (!found)
			break;
		depth++;
		parent = p.parent_id;
	}
	*depth_r = depth;
	return 0;
}

/* The subtree of root, root first, parents before children, with the
 * level of each (root: 1). */
typedef struct subtree {
	as_folder *v;
	int *level;
	size_t n, cap;
	at_arena *arena;
	int child_level;   /* level of the children being listed */
} subtree;

static int on_child(void *p, const as_folder *f)
{
	subtree *t = p;
	if (t->n == t->cap) {
		size_t cap = t->cap * 2;
		as_folder *v = at_arena_alloc(t->arena, cap * sizeof(*v));
		int *lv = at_arena_alloc(t->arena, cap * sizeof(*lv));
		memcpy(v, t->v, t->n * sizeof(*v));
		memcpy(lv, t->level, t->n * sizeof(*lv));
		t->v = v;
		t->level = lv;
		t->cap = cap;
	}
	t->v[t->n] = *f;
	t->level[t->n] = t->child_level;
	t->n++;
	return 0;
}

/* *height_r (may be NULL): the number of levels (1: no subfolders). */
static int collect_subtree(as_ctx *ctx, const as_folder *root, subtree *t, int *height_r,
			   at_error *err)
{
	t->arena = ctx->arena;
	t->cap = 16;
	t->v = at_arena_alloc(ctx->arena, t->cap * sizeof(*t->v));
	t->level = at_arena_alloc(ctx->arena, t->cap * sizeof(*t->level));
	t->v[0] = *root;
	t->level[0] = 1;
	t->n = 1;
	int height = 1;
	for (size_t i = 0; i < t->n; i++) {
		if (t->level[i] > height)
			height = t->level[i];
		t->child_level = t->level[i] + 1;
		if (ctx->store->ops->folder_children(ctx->store, t->v[i].id, NULL, ctx->arena,
						     on_child, t, err) < 0)
			return -1;
	}
	if (height_r != NULL)
		*height_r = height;
	return 0;
}

/* Access tombstones for every user other than the owner who can see f
 * now (through a grant to them or to one of their groups). */
static int tombstone_viewers(as_ctx *ctx, const as_folder *f, at_error *err)
{
	as_store *s = ctx->store;
	at_grant *grants;
	size_t n_grants;
	json_t *users = json_object();
	int rc = -1;
	if (s->ops->grants_get(s, f->id, ctx->arena, &grants, &n_grants, err) < 0)
		goto done;
	for (size_t i = 0; i < n_grants; i++) {
		if (!grants[i].is_group) {
			json_object_set_new(users, grants[i].principal_id, json_true());
			continue;
		}
		as_group g;
		bool found;
		if (s->ops->group_get_by_id(s, grants[i].principal_id, ctx->arena, &g, &found,
					    err) < 0)
			goto done;
		for (size_t m = 0; found && m < g.n_members; m++)
			json_object_set_new(users, g.members[m].id, json_true());
	}
	const char *uid;
	json_t *v;
	json_object_foreach(users, uid, v) {
		const char **groups;
		size_t n_groups;
		if (same_id(uid, f->owner_id))
			continue;
		if (s->ops->groups_of_user(s, uid, ctx->arena, &groups, &n_groups, err) < 0)
			goto done;
		at_rights r = at_acl_effective(uid, f->owner_id, grants, n_grants, groups,
					       n_groups);
		if (at_acl_may_see(&r) && s->ops->access_tombstone_add(s, uid, f->id, err) < 0)
			goto done;
	}
	rc = 0;
done:
	json_decref(users);
	return rc;
}

static int result_folder(as_ctx *ctx, json_t *r, const as_folder *f, at_error *err)
{
	at_rights rights;
	json_t *o;
	if (as_folder_rights(ctx, f, &rights, err) < 0 ||
	    as_folder_to_json(ctx, f, &rights, &o, err) < 0)
		return -1;
	json_object_set_new(r, "folder", o);
	return 0;
}

/* May the user place a folder at the top of the tree of type/owner? */
static int may_place_at_top(as_ctx *ctx, at_folder_type type, const char *owner_id,
			    bool *may_r, at_error *ie, const char *field, at_error *err)
{
	if (type == AT_FOLDER_PUBLIC) {
		if (as_folders_may_create_public_root(ctx, may_r, err) < 0)
			return -1;
		if (!*may_r)
			at_error_set(ie, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, field,
				     "the server's settings do not let you create folders at the "
				     "top of the public tree");
		return 0;
	}
	*may_r = same_id(owner_id, ctx->user->id);
	if (!*may_r)
		at_error_set(ie, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, field,
			     "only the owner of a private tree places folders at its top");
	return 0;
}

/* --- create ---------------------------------------------------------------------- */

static int apply_create(set_run *run, const fcreate *c, json_t *r, at_error *err)
{
	as_ctx *ctx = run->ctx;
	as_store *s = ctx->store;
	at_error ie;
	at_error_clear(&ie);
	const char *existing;
	if (s->ops->folder_client_id_lookup(s, ctx->user->id, c->client_id, ctx->arena,
					    &existing, err) < 0)
		return -1;
	if (existing != NULL) {
		as_folder f;
		at_rights rights;
		json_object_set_new(r, "id", json_string(existing));
		int lr = load_visible(ctx, existing, "clientId", &f, &rights, &ie, err);
		if (lr < 0)
			return -1;
		if (lr > 0) {
			at_error_set(&ie, AT_E_NOT_FOUND, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "clientId",
				     "the folder created with clientId %s has been deleted since "
				     "(or is no longer visible to you)", c->client_id);
			entry_error(r, &ie);
			return 0;
		}
		json_object_set_new(run->made, c->client_id, json_string(f.id));
		json_object_set_new(r, "replayed", json_true());
		return result_folder(ctx, r, &f, err);
	}

	as_folder parent;
	at_rights prights;
	const char *pid = resolve_ref(run, c->parent_id);
	bool has_parent = c->parent_id != NULL;
	if (has_parent && pid == NULL) {
		at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			     "parentId", "no create of this call with clientId %s succeeded",
			     c->parent_id + 1);
		goto refused;
	}
	if (has_parent) {
		int lr = load_visible(ctx, pid, "parentId", &parent, &prights, &ie, err);
		if (lr < 0)
			return -1;
		if (lr > 0)
			goto refused;
		if (!at_acl_may_create_subfolder(&prights)) {
			at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "you may not create subfolders in folder \"%s\"",
				     parent.name);
			goto refused;
		}
	}
	if (c->module == AT_MODULE_MAIL) {
		at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "module",
			     "mail folders are those of the mail server; create contacts, "
			     "calendar or tasks folders here");
		goto refused;
	}
	if (has_parent && c->module != parent.module) {
		at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "module",
			     "a subfolder has its parent's module (%s)",
			     at_module_name(parent.module));
		goto refused;
	}
	if (has_parent && c->public_flag >= 0 &&
	    (c->public_flag == 1) != (parent.type == AT_FOLDER_PUBLIC)) {
		at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "public",
			     "a subfolder is public exactly when its parent is");
		goto refused;
	}
	if (!name_ok(c->name, &ie, "name"))
		goto refused;
	as_folder f = {
		.id = as_new_id(ctx->arena),
		.parent_id = has_parent ? parent.id : NULL,
		.name = c->name,
		.module = c->module,
		.type = has_parent ? parent.type
			: c->public_flag == 1 ? AT_FOLDER_PUBLIC : AT_FOLDER_PRIVATE,
		.is_default = false,
	};
	f.owner_id = has_parent ? parent.owner_id
		   : f.type == AT_FOLDER_PUBLIC ? NULL : ctx->user->id;
	if (has_parent) {
		int depth;
		if (depth_of(ctx, &parent, NULL, &depth, NULL, err) < 0)
			return -1;
		if (depth + 1 > AS_FOLDER_MAX_DEPTH) {
			at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "folders nest at most %d levels deep",
				     AS_FOLDER_MAX_DEPTH);
			goto refused;
		}
	} else {
		bool may;
		if (may_place_at_top(ctx, f.type, f.owner_id, &may, &ie, "public", err) < 0)
			return -1;
		if (!may)
			goto refused;
	}
	bool taken;
	if (name_taken(ctx, f.parent_id, f.owner_id, f.name, NULL, &taken, err) < 0)
		return -1;
	if (taken) {
		at_error_set(&ie, AT_E_EXISTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "name",
			     "a folder named \"%s\" exists there already", f.name);
		goto refused;
	}
	if (s->ops->folder_add(s, &f, err) < 0)
		return -1;
	/* its grants: a copy of the parent's, and Owner for a creator who is
	 * not its owner */
	at_grant *g = NULL;
	size_t n = 0, k = 0;
	if (has_parent && s->ops->grants_get(s, parent.id, ctx->arena, &g, &n, err) < 0)
		return -1;
	bool creator_grant = !same_id(f.owner_id, ctx->user->id);
	as_perm_change *changes = at_arena_alloc(ctx->arena, (n + 1) * sizeof(*changes));
	for (size_t i = 0; i < n; i++) {
		if (creator_grant && !g[i].is_group &&
		    strcmp(g[i].principal_id, ctx->user->id) == 0)
			continue;
		changes[k++] = (as_perm_change){g[i].principal_id, g[i].is_group, false,
						g[i].rights};
	}
	if (creator_grant)
		changes[k++] = (as_perm_change){ctx->user->id, false, false,
						at_level_rights(AT_LEVEL_OWNER)};
	if (as_perms_apply(ctx, &f, changes, k, NULL, err) < 0)
		return -1;
	if (s->ops->folder_client_id_add(s, ctx->user->id, c->client_id, f.id, err) < 0)
		return -1;
	json_object_set_new(run->made, c->client_id, json_string(f.id));
	json_object_set_new(r, "id", json_string(f.id));
	at_info("folders", "%s created %s folder %s \"%s\"", ctx->user->login,
		at_folder_type_name(f.type), f.id, f.name);
	return result_folder(ctx, r, &f, err);
refused:
	entry_error(r, &ie);
	return 0;
}

/* --- update: rename and move ------------------------------------------------------- */

static int apply_update(set_run *run, const fupdate *u, json_t *r, at_error *err)
{
	as_ctx *ctx = run->ctx;
	at_error ie;
	at_error_clear(&ie);
	as_folder f;
	at_rights rights;
	int lr = load_visible(ctx, u->id, "id", &f, &rights, &ie, err);
	if (lr < 0)
		return -1;
	if (lr > 0)
		goto refused;
	if (f.is_default) {
		at_error_set(&ie, AT_E_DEFAULT_FOLDER, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "id",
			     "\"%s\" is a default folder: it cannot be renamed or moved", f.name);
		goto refused;
	}
	if (!at_acl_may_manage_folder(&rights)) {
		at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "id",
			     "renaming or moving folder \"%s\" needs its admin rights", f.name);
		goto refused;
	}
	const char *name = u->name != NULL ? u->name : f.name;
	if (u->name != NULL && !name_ok(u->name, &ie, "name"))
		goto refused;
	const char *parent_id = f.parent_id;
	bool moving = false;
	if (u->has_parent) {
		parent_id = resolve_ref(run, u->parent_id);
		if (u->parent_id != NULL && parent_id == NULL) {
			at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "no create of this call with clientId %s "
				     "succeeded", u->parent_id + 1);
			goto refused;
		}
		moving = !same_id(parent_id, f.parent_id);
	}
	if (moving && parent_id == NULL) {
		bool may;
		if (may_place_at_top(ctx, f.type, f.owner_id, &may, &ie, "parentId", err) < 0)
			return -1;
		if (!may)
			goto refused;
	} else if (moving) {
		as_folder np;
		at_rights nr;
		if (strcmp(parent_id, f.id) == 0) {
			at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "a folder cannot be its own parent");
			goto refused;
		}
		lr = load_visible(ctx, parent_id, "parentId", &np, &nr, &ie, err);
		if (lr < 0)
			return -1;
		if (lr > 0)
			goto refused;
		if (!at_acl_may_create_subfolder(&nr)) {
			at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "you may not create subfolders in folder \"%s\"",
				     np.name);
			goto refused;
		}
		if (np.type != f.type || !same_id(np.owner_id, f.owner_id)) {
			at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "a folder moves only within its own tree (%s)",
				     f.type == AT_FOLDER_PUBLIC ? "the public folders"
				     : "its owner's private folders");
			goto refused;
		}
		if (np.module != f.module) {
			at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "a %s folder cannot go into a %s folder",
				     at_module_name(f.module), at_module_name(np.module));
			goto refused;
		}
		int depth, height;
		bool below_itself;
		subtree t;
		if (depth_of(ctx, &np, f.id, &depth, &below_itself, err) < 0)
			return -1;
		if (below_itself) {
			at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "folder \"%s\" cannot move into its own "
				     "subfolder \"%s\"", f.name, np.name);
			goto refused;
		}
		if (collect_subtree(ctx, &f, &t, &height, err) < 0)
			return -1;
		if (depth + height > AS_FOLDER_MAX_DEPTH) {
			at_error_set(&ie, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "parentId", "folders nest at most %d levels deep",
				     AS_FOLDER_MAX_DEPTH);
			goto refused;
		}
	}
	bool renaming = strcmp(name, f.name) != 0;
	if (!renaming && !moving)
		return result_folder(ctx, r, &f, err);
	bool taken;
	if (name_taken(ctx, parent_id, f.type == AT_FOLDER_PUBLIC ? NULL : f.owner_id, name,
		       f.id, &taken, err) < 0)
		return -1;
	if (taken) {
		at_error_set(&ie, AT_E_EXISTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "name",
			     "a folder named \"%s\" exists there already", name);
		goto refused;
	}
	f.name = name;
	f.parent_id = parent_id;
	if (ctx->store->ops->folder_update(ctx->store, &f, err) < 0)
		return -1;
	at_info("folders", "%s %s folder %s", ctx->user->login,
		moving && renaming ? "moved and renamed" : moving ? "moved" : "renamed", f.id);
	return result_folder(ctx, r, &f, err);
refused:
	entry_error(r, &ie);
	return 0;
}

/* --- delete ------------------------------------------------------------------------- */

static int apply_delete(set_run *run, const char *id, json_t *r, at_error *err)
{
	as_ctx *ctx = run->ctx;
	at_error ie;
	at_error_clear(&ie);
	as_folder f;
	at_rights rights;
	subtree t;
	int lr = load_visible(ctx, id, "id", &f, &rights, &ie, err);
	if (lr < 0)
		return -1;
	if (lr > 0)
		goto refused;
	if (f.is_default) {
		at_error_set(&ie, AT_E_DEFAULT_FOLDER, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "id",
			     "\"%s\" is a default folder: it cannot be deleted", f.name);
		goto refused;
	}
	if (!at_acl_may_manage_folder(&rights)) {
		at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "id",
			     "deleting folder \"%s\" needs its admin rights", f.name);
		goto refused;
	}
	if (collect_subtree(ctx, &f, &t, NULL, err) < 0)
		return -1;
	for (size_t i = 1; i < t.n; i++) {
		at_rights sr;
		if (as_folder_rights(ctx, &t.v[i], &sr, err) < 0)
			return -1;
		if (!at_acl_may_manage_folder(&sr)) {
			at_error_set(&ie, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "id",
				     "folder \"%s\" holds a subfolder \"%s\" you have no admin "
				     "rights on", f.name, t.v[i].name);
			goto refused;
		}
	}
	json_t *removed = json_array();
	for (size_t i = 0; i < t.n; i++) {
		if (tombstone_viewers(ctx, &t.v[i], err) < 0 ||
		    ctx->store->ops->folder_delete(ctx->store, t.v[i].id, err) < 0) {
			json_decref(removed);
			return -1;
		}
		json_array_append_new(removed, json_string(t.v[i].id));
	}
	json_object_set_new(r, "removed", removed);
	at_info("folders", "%s deleted folder %s \"%s\" (%zu folders)", ctx->user->login, f.id,
		f.name, t.n);
	return 0;
refused:
	entry_error(r, &ie);
	return 0;
}

/* --- Folder/set ------------------------------------------------------------------------ */

json_t *as_folder_set(as_ctx *ctx, json_t *args, at_error *err)
{
	as_store *s = ctx->store;
	fset_req req;
	if (decode(args, ctx->arena, &req, err) < 0)
		return NULL;
	set_run run = {ctx, json_array(), json_object()};
	json_t *result = NULL;
	if (s->ops->begin(s, true, err) < 0)
		goto done;
	for (size_t i = 0; i < req.n_creates; i++) {
		json_t *r = json_pack("{s:s,s:s,s:s}", "op", "create", "status", "ok",
				      "clientId", req.creates[i].client_id);
		json_array_append_new(run.results, r);
		if (apply_create(&run, &req.creates[i], r, err) < 0)
			goto rollback;
	}
	for (size_t i = 0; i < req.n_updates; i++) {
		json_t *r = json_pack("{s:s,s:s,s:s}", "op", "update", "status", "ok", "id",
				      req.updates[i].id);
		json_array_append_new(run.results, r);
		if (apply_update(&run, &req.updates[i], r, err) < 0)
			goto rollback;
	}
	for (size_t i = 0; i < req.n_deletes; i++) {
		json_t *r = json_pack("{s:s,s:s,s:s}", "op", "delete", "status", "ok", "id",
				      req.deletes[i]);
		json_array_append_new(run.results, r);
		if (apply_delete(&run, req.deletes[i], r, err) < 0)
			goto rollback;
	}
	if (s->ops->commit(s, err) < 0)
		goto done;
	result = json_pack("{s:O}", "results", run.results);
	goto done;
rollback:
	s->ops->rollback(s);
done:
	json_decref(run.results);
	json_decref(run.made);
	return result;
}
