/* perms.c — see perms.h and docs/protocol.md §6 (Folder/getPermissions,
 * Folder/setPermissions). */
#include "perms.h"

#include <string.h>

#include "log.h"
#include "protocol.h"

/* --- applying changes -------------------------------------------------------- */

static bool rights_equal(const at_rights *a, const at_rights *b)
{
	return a->folder == b->folder && a->read == b->read && a->write == b->write &&
	       a->del == b->del && a->admin == b->admin;
}

static const at_grant *find_grant(const at_grant *g, size_t n, const char *principal_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(g[i].principal_id, principal_id) == 0)
			return &g[i];
	return NULL;
}

/* A set of user ids in the arena (few: the principals of one call and the
 * members of their groups). */
struct id_set {
	const char **v;
	size_t n, cap;
};

static void id_set_add(at_arena *a, struct id_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i], id) == 0)
			return;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		const char **v = at_arena_alloc(a, cap * sizeof(*v));
		if (set->n > 0)
			memcpy(v, set->v, set->n * sizeof(*v));
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = id;
}

int as_perms_apply(as_ctx *ctx, const as_folder *f, const as_perm_change *changes,
		   size_t n_changes, bool *changed_r, at_error *err)
{
	as_store *s = ctx->store;
	at_grant *before, *after;
	size_t n_before, n_after;
	struct id_set affected = {0};
	bool changed = false;
	if (changed_r != NULL)
		*changed_r = false;
	if (s->ops->grants_get(s, f->id, ctx->arena, &before, &n_before, err) < 0)
		return -1;
	for (size_t i = 0; i < n_changes; i++) {
		const as_perm_change *c = &changes[i];
		const at_grant *cur = find_grant(before, n_before, c->principal_id);
		if (c->remove) {
			if (cur == NULL)
				continue;
			if (s->ops->grant_remove(s, f->id, c->principal_id, NULL, err) < 0)
				return -1;
		} else {
			if (cur != NULL && rights_equal(&cur->rights, &c->rights))
				continue;
			if (s->ops->grant_set(s, f->id, c->principal_id, c->is_group, &c->rights,
					      err) < 0)
				return -1;
		}
		changed = true;
		if (!c->is_group) {
			id_set_add(ctx->arena, &affected, c->principal_id);
			continue;
		}
		as_group g;
		bool found;
		if (s->ops->group_get_by_id(s, c->principal_id, ctx->arena, &g, &found, err) < 0)
			return -1;
		for (size_t m = 0; found && m < g.n_members; m++)
			id_set_add(ctx->arena, &affected, g.members[m].id);
	}
	if (!changed)
		return 0;
	if (s->ops->folder_touch(s, f->id, err) < 0 ||
	    s->ops->grants_get(s, f->id, ctx->arena, &after, &n_after, err) < 0)
		return -1;
	/* who lost sight of the folder: an access tombstone each */
	for (size_t i = 0; i < affected.n; i++) {
		const char *uid = affected.v[i];
		const char **groups;
		size_t n_groups;
		if (s->ops->groups_of_user(s, uid, ctx->arena, &groups, &n_groups, err) < 0)
			return -1;
		at_rights was = at_acl_effective(uid, f->owner_id, before, n_before, groups,
						 n_groups);
		at_rights now = at_acl_effective(uid, f->owner_id, after, n_after, groups,
						 n_groups);
		if (at_acl_may_see(&was) && !at_acl_may_see(&now) &&
		    s->ops->access_tombstone_add(s, uid, f->id, err) < 0)
			return -1;
	}
	if (changed_r != NULL)
		*changed_r = true;
	return 0;
}

/* --- the permission list ----------------------------------------------------- */

static json_t *entry_json(const char *type, const char *id, const char *key, const char *value,
			  const char *display, const at_rights *r)
{
	return json_pack("{s:{s:s,s:s,s:s,s:s},s:s,s:o}", "principal", "type", type, "id", id,
			 key, value, "displayName", display, "level",
			 at_level_name(at_rights_level(r)), "rights", at_rights_to_json(r));
}

/* The folder's permission list: its owner first (Owner rights), then the
 * grants (users by login, then groups by name). */
static int entries_json(as_ctx *ctx, const as_folder *f, json_t **entries_r, at_error *err)
{
	as_store *s = ctx->store;
	json_t *entries = json_array();
	at_grant *g;
	size_t n;
	bool found;
	if (f->owner_id != NULL) {
		as_user owner;
		if (s->ops->user_get_by_id(s, f->owner_id, ctx->arena, &owner, &found, err) < 0)
			goto fail;
		if (found) {
			at_rights r = at_level_rights(AT_LEVEL_OWNER);
			json_array_append_new(entries, entry_json("user", owner.id, "login",
								  owner.login, owner.name, &r));
		}
	}
	if (s->ops->grants_get(s, f->id, ctx->arena, &g, &n, err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (g[i].is_group) {
			as_group gr;
			if (s->ops->group_get_by_id(s, g[i].principal_id, ctx->arena, &gr, &found,
						    err) < 0)
				goto fail;
			if (found)
				json_array_append_new(entries, entry_json("group", gr.id, "name",
									  gr.name, gr.name,
									  &g[i].rights));
		} else {
			as_user u;
			if (s->ops->user_get_by_id(s, g[i].principal_id, ctx->arena, &u, &found,
						   err) < 0)
				goto fail;
			if (found)
				json_array_append_new(entries, entry_json("user", u.id, "login",
									  u.login, u.name,
									  &g[i].rights));
		}
	}
	*entries_r = entries;
	return 0;
fail:
	json_decref(entries);
	return -1;
}

static int bad_arg(at_error *err, const char *field, const char *msg)
{
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, field,
			    "%s", msg);
}

json_t *as_folder_get_permissions(as_ctx *ctx, json_t *args, at_error *err)
{
	static const char *const allowed[] = {"folderId", NULL};
	as_store *s = ctx->store;
	as_folder f;
	at_rights rights;
	json_t *entries, *result = NULL;
	const char *fid = as_folder_id_arg(args, allowed, err);
	if (fid == NULL || s->ops->begin(s, false, err) < 0)
		return NULL;
	if (as_load_folder(ctx, fid, &f, &rights, err) == 0 &&
	    entries_json(ctx, &f, &entries, err) == 0)
		result = json_pack("{s:s,s:o}", "folderId", f.id, "entries", entries);
	s->ops->rollback(s);
	return result;
}

/* --- Folder/setPermissions ------------------------------------------------- */

/* {type, login} or {type, name} -> the principal's id, into c. */
static int parse_principal(as_ctx *ctx, json_t *p, const char *where, as_perm_change *c,
			   at_error *err)
{
	as_store *s = ctx->store;
	const char *type = json_string_value(json_object_get(p, "type"));
	if (!json_is_object(p) || type == NULL ||
	    (strcmp(type, "user") != 0 && strcmp(type, "group") != 0))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    where, "%s must be {\"type\": \"user\", \"login\": ...} or "
				    "{\"type\": \"group\", \"name\": ...}", where);
	c->is_group = strcmp(type, "group") == 0;
	const char *key = c->is_group ? "name" : "login";
	const char *k;
	json_t *v;
	json_object_foreach(p, k, v) {
		if (strcmp(k, "type") != 0 && strcmp(k, key) != 0)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, where,
					    "%s: unknown member \"%.64s\" for a %s", where, k, type);
	}
	const char *value = json_string_value(json_object_get(p, key));
	if (value == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    where, "%s: a %s is named by its %s (a string)", where, type,
				    key);
	bool found;
	if (c->is_group) {
		as_group g;
		if (s->ops->group_get_by_name(s, value, ctx->arena, &g, &found, err) < 0)
			return -1;
		c->principal_id = found ? g.id : NULL;
	} else {
		as_user u;
		if (s->ops->user_get_by_login(s, value, ctx->arena, &u, &found, err) < 0)
			return -1;
		c->principal_id = found ? u.id : NULL;
	}
	if (!found)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    where, "%s: no %s %s \"%.128s\"", where, type,
				    c->is_group ? "named" : "with login", value);
	return 0;
}

/* level (a name of acl.h's levels, not "custom") or rights, exactly one. */
static int parse_rights(json_t *e, const char *where, at_rights *r, at_error *err)
{
	json_t *level = json_object_get(e, "level"), *rights = json_object_get(e, "rights");
	if ((level == NULL) == (rights == NULL))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    where, "%s needs either a level or rights", where);
	if (level != NULL) {
		const char *name = json_string_value(level);
		for (int i = AT_LEVEL_NONE; name != NULL && i <= AT_LEVEL_OWNER; i++)
			if (strcmp(name, at_level_name((at_level)i)) == 0) {
				*r = at_level_rights((at_level)i);
				return 0;
			}
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    where, "%s: level must be one of none, contributor, reviewer, "
				    "nonediting-author, author, publishing-author, editor, "
				    "publishing-editor, owner (give rights for a custom set)",
				    where);
	}
	if (!json_is_object(rights) || json_object_size(rights) != 5 ||
	    at_rights_from_json(rights, r) < 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    where, "%s: rights must be {folder, read, write, delete, "
				    "admin}", where);
	return 0;
}

/* Parses set[] and remove[] into changes (principals resolved). */
static int parse_changes(as_ctx *ctx, json_t *set, json_t *remove, as_perm_change **changes_r,
			 size_t *n_r, at_error *err)
{
	size_t n_set = json_array_size(set), n_remove = json_array_size(remove);
	as_perm_change *c = at_arena_alloc(ctx->arena, (n_set + n_remove + 1) * sizeof(*c));
	size_t n = 0, i;
	json_t *v;
	char where[AT_ERROR_FIELD_MAX];
	json_array_foreach(set, i, v) {
		snprintf(where, sizeof(where), "set[%zu]", i);
		if (!json_is_object(v))
			return bad_arg(err, where, "each entry of set is {principal, level} or "
				       "{principal, rights}");
		const char *k;
		json_t *m;
		json_object_foreach(v, k, m) {
			if (strcmp(k, "principal") != 0 && strcmp(k, "level") != 0 &&
			    strcmp(k, "rights") != 0)
				return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
						    AT_RETRY_FINAL, where,
						    "%s: unknown member \"%.64s\"", where, k);
		}
		if (parse_rights(v, where, &c[n].rights, err) < 0)
			return -1;
		snprintf(where, sizeof(where), "set[%zu].principal", i);
		if (parse_principal(ctx, json_object_get(v, "principal"), where, &c[n], err) < 0)
			return -1;
		c[n++].remove = false;
	}
	json_array_foreach(remove, i, v) {
		snprintf(where, sizeof(where), "remove[%zu]", i);
		if (parse_principal(ctx, v, where, &c[n], err) < 0)
			return -1;
		c[n++].remove = true;
	}
	for (i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(c[i].principal_id, c[j].principal_id) == 0)
				return bad_arg(err, i < n_set ? "set" : "remove",
					       "a principal may appear only once in set and "
					       "remove together");
	*changes_r = c;
	*n_r = n;
	return 0;
}

json_t *as_folder_set_permissions(as_ctx *ctx, json_t *args, at_error *err)
{
	static const char *const allowed[] = {"folderId", "set", "remove", NULL};
	as_store *s = ctx->store;
	as_folder f;
	at_rights rights;
	json_t *entries;
	as_perm_change *changes = NULL;
	size_t n_changes = 0;
	const char *fid = as_folder_id_arg(args, allowed, err);
	if (fid == NULL)
		return NULL;
	json_t *set = json_object_get(args, "set"), *remove = json_object_get(args, "remove");
	if ((set != NULL && !json_is_array(set)) || (remove != NULL && !json_is_array(remove))) {
		bad_arg(err, set != NULL && !json_is_array(set) ? "set" : "remove",
			"set and remove must be lists");
		return NULL;
	}
	if (json_array_size(set) + json_array_size(remove) > AS_PERMS_MAX_CHANGES) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "set",
			     "at most %d entries in set and remove together",
			     AS_PERMS_MAX_CHANGES);
		return NULL;
	}
	if (s->ops->begin(s, true, err) < 0)
		return NULL;
	if (as_load_folder(ctx, fid, &f, &rights, err) < 0)
		goto done;
	if (!at_acl_may_admin(&rights)) {
		at_error_set(err, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "folderId",
			     "you may not change the permissions of folder \"%s\"", f.name);
		goto done;
	}
	if (parse_changes(ctx, set, remove, &changes, &n_changes, err) < 0)
		goto done;
	/* the owner of a private folder always holds Owner rights */
	for (size_t i = 0; i < n_changes && f.owner_id != NULL; i++) {
		if (!changes[i].is_group && strcmp(changes[i].principal_id, f.owner_id) == 0) {
			size_t n_set = json_array_size(set);
			char where[AT_ERROR_FIELD_MAX];
			snprintf(where, sizeof(where), "%s[%zu]", i < n_set ? "set" : "remove",
				 i < n_set ? i : i - n_set);
			at_error_set(err, AT_E_LAST_ADMIN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, where,
				     "the owner of folder \"%s\" always holds Owner rights: they "
				     "cannot be changed or removed", f.name);
			goto done;
		}
	}
	bool changed;
	if (as_perms_apply(ctx, &f, changes, n_changes, &changed, err) < 0)
		goto done;
	if (changed && f.owner_id == NULL) {
		/* a folder without an owner keeps at least one admin grant */
		at_grant *g;
		size_t n;
		bool any = false;
		if (s->ops->grants_get(s, f.id, ctx->arena, &g, &n, err) < 0)
			goto done;
		for (size_t i = 0; i < n; i++)
			any = any || at_acl_may_admin(&g[i].rights);
		if (!any) {
			at_error_set(err, AT_E_LAST_ADMIN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, NULL,
				     "folder \"%s\" would have no admin left; give admin to "
				     "someone else first", f.name);
			goto done;
		}
	}
	if (entries_json(ctx, &f, &entries, err) < 0)
		goto done;
	if (s->ops->commit(s, err) < 0) {
		json_decref(entries);
		return NULL;
	}
	if (changed)
		at_info("perms", "%s changed the permissions of folder %s", ctx->user->login, f.id);
	return json_pack("{s:s,s:o}", "folderId", f.id, "entries", entries);
done:
	s->ops->rollback(s);
	return NULL;
}
