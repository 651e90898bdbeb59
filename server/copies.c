/* copies.c — see copies.h. */
#include "copies.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "protocol.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* --- copies and entries ----------------------------------------------------- */

/* Is copy the live copy of the original orig_id (its type, its
 * back-reference naming orig_id)? */
static bool is_copy_of(const as_copy_kind *k, const as_item *copy, const char *orig_id)
{
	json_t *ref = json_object_get(copy->fields, k->back_ref);
	return streq(copy->type, k->type) && streq(jstr(ref, k->id_member), orig_id);
}

/* The participant entry of orig whose copy is copy_id, or NULL (borrowed
 * from orig->fields). */
static json_t *entry_of(const as_copy_kind *k, const as_item *orig, const char *copy_id)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(orig->fields, "participants"), i, p)
		if (streq(jstr(p, k->id_member), copy_id))
			return p;
	return NULL;
}

int as_copies_get(as_ctx *ctx, const as_copy_kind *k, const char *copy_id, const char *orig_id,
		  as_item *copy_r, bool *found_r, bool *live_r, at_error *err)
{
	as_item mine = {0};
	as_item *c = copy_r != NULL ? copy_r : &mine;
	bool found = false;
	int rc = -1;
	*live_r = false;
	if (copy_id != NULL && at_id_valid(copy_id) &&
	    ctx->store->ops->item_get(ctx->store, copy_id, ctx->arena, c, &found, err) < 0)
		goto done;
	*live_r = found && is_copy_of(k, c, orig_id);
	rc = 0;
done:
	if (found_r != NULL)
		*found_r = found;
	as_item_clear(&mine);
	return rc;
}

int as_copies_delete(as_ctx *ctx, const as_copy_kind *k, const char *copy_id,
		     const char *orig_id, bool *found_r, bool *deleted_r, at_error *err)
{
	as_item copy = {0};
	bool live;
	int rc = -1;
	if (deleted_r != NULL)
		*deleted_r = false;
	if (as_copies_get(ctx, k, copy_id, orig_id, &copy, found_r, &live, err) < 0)
		goto done;
	if (live && ctx->store->ops->item_delete(ctx->store, copy.id, copy.folder_id, err) < 0)
		goto done;
	if (deleted_r != NULL)
		*deleted_r = live;
	rc = 0;
done:
	as_item_clear(&copy);
	return rc;
}

/* Removes p's members about its copy (k->entry_members) and sets its
 * status to declined. */
static void decline_entry(const as_copy_kind *k, json_t *p)
{
	for (const char *const *m = k->entry_members; *m != NULL; m++)
		json_object_del(p, *m);
	json_object_set_new(p, "status", json_string("declined"));
}

int as_copies_linked(as_ctx *ctx, const as_copy_kind *k, json_t *p, const char *orig_id,
		     as_item *copy_r, bool *live_r, at_error *err)
{
	if (as_copies_get(ctx, k, jstr(p, k->id_member), orig_id, copy_r, NULL, live_r, err) < 0)
		return -1;
	if (!*live_r)
		decline_entry(k, p);  /* the copy is gone: as when deleted */
	return 0;
}

int as_copies_find(as_ctx *ctx, const as_copy_kind *k, const char *orig_id, const char *user_id,
		   const char **cid_r, const char **live_id_r, at_error *err)
{
	as_store *s = ctx->store;
	as_item copy = {0};
	const char *existing;
	bool live;
	int rc = -1;
	*live_id_r = NULL;
	*cid_r = at_arena_printf(ctx->arena, "%s%s:%s", k->cid_prefix, orig_id, user_id);
	if (s->ops->client_id_lookup(s, user_id, *cid_r, ctx->arena, &existing, err) < 0)
		goto done;
	if (existing != NULL) {
		if (as_copies_get(ctx, k, existing, orig_id, &copy, NULL, &live, err) < 0)
			goto done;
		if (live)
			*live_id_r = existing;  /* made before (a replay): kept */
		else
			*cid_r = NULL;  /* that copy was deleted: a new one goes without */
	}
	rc = 0;
done:
	as_item_clear(&copy);
	return rc;
}

struct default_folder {
	at_module module;
	const char *id;
};

static int on_owned_folder(void *p, const as_folder *f)
{
	struct default_folder *d = p;
	if (d->id == NULL && f->is_default && f->module == d->module)
		d->id = f->id;
	return 0;
}

int as_copies_folder(as_ctx *ctx, const as_copy_kind *k, const char *user_id, const char **id_r,
		     at_error *err)
{
	struct default_folder d = {k->module, NULL};
	if (ctx->store->ops->folder_list_owned(ctx->store, user_id, -1, ctx->arena,
					       on_owned_folder, &d, err) < 0)
		return -1;
	*id_r = d.id;
	return 0;
}

json_t *as_copies_versions(json_t *fields, int64_t modseq)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v)
		json_object_set_new(out, key, json_integer(modseq));
	return out;
}

int as_copies_write_new(as_ctx *ctx, const as_copy_kind *k, const char *id,
			const char *folder_id, const char *owner_id, const char *client_id,
			json_t *fields, int64_t modseq, at_error *err)
{
	as_item c = {.id = id, .folder_id = folder_id, .type = k->type, .created_by = owner_id,
		     .client_id = client_id, .fields = json_incref(fields)};
	c.field_versions = as_copies_versions(fields, modseq);
	int rc = ctx->store->ops->item_put(ctx->store, &c, true, err);
	as_item_clear(&c);
	return rc;
}

int as_copies_original(as_ctx *ctx, const as_copy_kind *k, const as_item *copy,
		       as_item *orig_r, json_t **entry_r, at_error *err)
{
	bool found;
	*entry_r = NULL;
	const char *orig_id = jstr(json_object_get(copy->fields, k->back_ref), k->id_member);
	if (orig_id == NULL || !at_id_valid(orig_id))
		return 0;
	if (ctx->store->ops->item_get(ctx->store, orig_id, ctx->arena, orig_r, &found, err) < 0)
		return -1;
	*entry_r = found ? entry_of(k, orig_r, copy->id) : NULL;
	return 0;
}

int as_copies_declined(as_ctx *ctx, const as_copy_kind *k, const as_item *copy,
		       as_copies_declined_fn *then, at_error *err)
{
	as_store *s = ctx->store;
	as_item orig = {0};
	json_t *p;
	int64_t modseq;
	int rc = -1;
	if (as_copies_original(ctx, k, copy, &orig, &p, err) < 0)
		goto done;
	if (p == NULL) {
		rc = 0;
		goto done;
	}
	if (s->ops->tx_modseq(s, &modseq, err) < 0)
		goto done;
	decline_entry(k, p);
	json_object_set_new(orig.field_versions, "participants", json_integer(modseq));
	if (s->ops->item_put(s, &orig, false, err) < 0 ||
	    then(ctx, &orig, copy, modseq, err) < 0)
		goto done;
	rc = 0;
done:
	as_item_clear(&orig);
	return rc;
}

/* --- participants ----------------------------------------------------------------- */

int as_copies_refuse(at_error *ie, const char *field, const char *msg, const char *arg)
{
	at_error_set(ie, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field, "%s: %s%s%s",
		     field, msg, arg != NULL ? " " : "", arg != NULL ? arg : "");
	at_error_scrub(ie);
	return 1;
}

/* Appends to out an entry for each member of group g not in listed (nor
 * self), and lists it. */
static void add_members(const as_group *g, const char *self, json_t *listed, json_t *out)
{
	for (size_t m = 0; m < g->n_members; m++) {
		const as_user *u = &g->members[m];
		if (streq(u->login, self) || json_object_get(listed, u->login) != NULL)
			continue;
		json_object_set_new(listed, u->login, json_true());
		json_t *e = json_pack("{s:s,s:s,s:s}", "type", "user", "login", u->login, "status",
				      "none");
		if (u->name != NULL && u->name[0] != '\0')
			json_object_set_new(e, "name", json_string(u->name));
		json_array_append_new(out, e);
	}
}

int as_copies_expand(as_ctx *ctx, const as_copy_kind *k, json_t *fields, const char *self,
		     as_copies_check_fn *check, bool *expanded_r, at_error *ie, at_error *err)
{
	as_store *s = ctx->store;
	json_t *parts = json_object_get(fields, "participants");
	json_t *listed = json_object(), *out = json_array();
	bool found;
	int rc = -1;
	*expanded_r = false;
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p)
		if (streq(jstr(p, "type"), "user") && jstr(p, "login") != NULL)
			json_object_set_new(listed, jstr(p, "login"), json_true());
	json_array_foreach(parts, i, p) {
		const char *login = jstr(p, "login");
		char field[AT_ERROR_FIELD_MAX];
		snprintf(field, sizeof(field), "participants[%zu].login", i);
		if (!streq(jstr(p, "type"), "group")) {
			rc = check(ctx, p, field, self, ie, err);
			if (rc != 0)
				goto done;
			rc = -1;
			json_array_append(out, p);
			continue;
		}
		if (streq(login, AS_GROUP_EVERYONE)) {
			/* its members are implicit: every user of the server */
			rc = as_copies_refuse(ie, field, k->everyone_refused,
					      "name people or groups");
			goto done;
		}
		as_group g;
		if (s->ops->group_get_by_name(s, login, ctx->arena, &g, &found, err) < 0)
			goto done;
		if (!found) {
			rc = as_copies_refuse(ie, field, "no group named", login);
			goto done;
		}
		add_members(&g, self, listed, out);
		*expanded_r = true;
	}
	if (*expanded_r)
		json_object_set(fields, "participants", out);
	rc = 0;
done:
	json_decref(listed);
	json_decref(out);
	return rc;
}

/* --- members ------------------------------------------------------------------------ */

bool as_copies_set(json_t *o, const char *key, json_t *v)
{
	json_t *cur = json_object_get(o, key);
	if (v == NULL) {
		if (cur == NULL)
			return false;
		json_object_del(o, key);
		return true;
	}
	if (cur != NULL && json_equal(cur, v)) {
		json_decref(v);
		return false;
	}
	json_object_set_new(o, key, v);
	return true;
}

bool as_copies_carry(json_t *dst, json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);
	return as_copies_set(dst, key, v != NULL ? json_deep_copy(v) : NULL);
}

bool as_copies_carry_fields(as_item *dst, json_t *src, const char *const *list, json_t *changed,
			    int64_t modseq)
{
	bool dirty = false;
	for (const char *const *k = list; *k != NULL; k++) {
		if (changed != NULL && json_object_get(changed, *k) == NULL)
			continue;
		if (as_copies_carry(dst->fields, src, *k)) {
			json_object_set_new(dst->field_versions, *k, json_integer(modseq));
			dirty = true;
		}
	}
	return dirty;
}

/* --- notices ------------------------------------------------------------------------ */

const char *as_copies_or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

int as_copies_mail(as_ctx *ctx, const as_copy_kind *k, const as_mail_msg *m, at_error *err)
{
	if (m->to == NULL || m->to[0] == '\0') {
		at_info(k->log, "no e-mail address for %s: %s \"%s\" not sent",
			as_copies_or_dash(m->to_name), k->mail_word, m->subject);
		return 0;
	}
	at_error me;
	at_error_clear(&me);
	if (as_mail_enqueue(ctx->store, m, &me) == 0)
		return 0;
	if (strcmp(me.code, AT_E_SERVER) == 0 || strcmp(me.code, AT_E_UNAVAILABLE) == 0) {
		at_error_copy(err, &me);
		return -1;
	}
	at_warn(k->log, "%s \"%s\" to %s not queued: %s", k->mail_word, m->subject, m->to,
		me.message);
	return 0;
}

int as_copies_notice(as_ctx *ctx, const as_copy_kind *k, const char *to, const char *to_name,
		     const char *subject, const char *text, at_error *err)
{
	as_mail_msg m = {.to = to, .to_name = to_name, .subject = subject, .text = text};
	return as_copies_mail(ctx, k, &m, err);
}

int as_copies_who(as_ctx *ctx, const char *user_id, const char *unknown, const char **who_r,
		  at_error *err)
{
	as_user u;
	bool found;
	if (ctx->store->ops->user_get_by_id(ctx->store, user_id, ctx->arena, &u, &found, err) < 0)
		return -1;
	*who_r = found ? at_arena_printf(ctx->arena, "%s (%s)", u.name, u.login) : unknown;
	return 0;
}

const char *as_copies_subject(at_arena *a, const char *s)
{
	char *out = at_arena_strdup(a, s != NULL && s[0] != '\0' ? s : "(no subject)");
	for (char *p = out; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return out;
}

const char *as_copies_excerpt(at_arena *a, json_t *fields)
{
	const char *notes = jstr(fields, "notes");
	if (notes == NULL || notes[0] == '\0')
		return "-";
	size_t n = strlen(notes);
	if (n <= AS_COPIES_EXCERPT)
		return notes;
	n = AS_COPIES_EXCERPT;
	while (n > 0 && ((unsigned char)notes[n] & 0xC0) == 0x80)
		n--;
	return at_arena_printf(a, "%.*s...", (int)n, notes);
}
