/* lists.c — see lists.h. */
#include "lists.h"

#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "log.h"
#include "model.h"

/* The name a list shows for a contact: its display name, else first and
 * last name, else its company. */
static json_t *contact_name(json_t *fields)
{
	const char *dn = json_string_value(json_object_get(fields, "displayName"));
	if (dn != NULL && *dn != '\0')
		return json_string(dn);
	const char *first = json_string_value(json_object_get(fields, "firstName"));
	const char *last = json_string_value(json_object_get(fields, "lastName"));
	if ((first != NULL && *first) || (last != NULL && *last)) {
		char buf[600];
		snprintf(buf, sizeof(buf), "%s%s%s", first ? first : "",
			 first && *first && last && *last ? " " : "", last ? last : "");
		return json_string(buf);
	}
	const char *company = json_string_value(json_object_get(fields, "company"));
	return company != NULL && *company ? json_string(company) : NULL;
}

/* Sets m's name and address from the contact's fields; true when that
 * changed m. */
static bool refresh_member(json_t *m, json_t *contact)
{
	const char *which = json_string_value(json_object_get(m, "addressField"));
	json_t *addr = json_object_get(contact, which != NULL ? which : "email1");
	json_t *name = contact_name(contact);
	bool changed = false;
	json_t *old = json_object_get(m, "name");
	if (!(old == NULL ? name == NULL : name != NULL && json_equal(old, name))) {
		if (name != NULL)
			json_object_set(m, "name", name);
		else
			json_object_del(m, "name");
		changed = true;
	}
	old = json_object_get(m, "address");
	if (!(old == NULL ? addr == NULL : addr != NULL && json_equal(old, addr))) {
		if (addr != NULL)
			json_object_set(m, "address", addr);
		else
			json_object_del(m, "address");
		changed = true;
	}
	json_decref(name);
	return changed;
}

/* --- distributionList ------------------------------------------------------ */

static int list_before_write(as_item_write *w, at_error *ie, at_error *err)
{
	as_ctx *ctx = w->ctx;
	as_store *s = ctx->store;
	json_t *members = json_object_get(w->item->fields, "members");
	bool changed = false;
	size_t i;
	json_t *m;
	/* members a write leaves alone were checked when they were written,
	 * and the contact hooks keep their names and addresses current */
	if (w->old != NULL && json_object_get(w->sent, "members") == NULL)
		return 0;
	/* members mostly come from one folder: its rights are asked once */
	const char *rights_of = NULL;
	at_rights rights = {0};
	json_array_foreach(members, i, m) {
		const char *cid = json_string_value(json_object_get(m, "contactId"));
		if (cid == NULL)
			continue;
		const char *id = cid;
		char path[64];
		snprintf(path, sizeof(path), "members[%zu].contactId", i);
		if (cid[0] == '#') {
			if (s->ops->client_id_lookup(s, ctx->user->id, cid + 1, ctx->arena, &id, err) <
			    0)
				return -1;
			if (id == NULL) {
				at_error_set(ie, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
					     "%s: you created no contact with client id %s", path,
					     cid + 1);
				return 1;
			}
		}
		as_item c = {0};
		bool found;
		as_folder f;
		bool ffound = rights_of != NULL;
		if (s->ops->item_get(s, id, ctx->arena, &c, &found, err) < 0)
			return -1;
		if (found && (rights_of == NULL || strcmp(rights_of, c.folder_id) != 0)) {
			memset(&rights, 0, sizeof(rights));
			rights_of = NULL;
			if (s->ops->folder_get(s, c.folder_id, ctx->arena, &f, &ffound, err) < 0 ||
			    (ffound && as_folder_rights(ctx, &f, &rights, err) < 0)) {
				as_item_clear(&c);
				return -1;
			}
			if (ffound)
				rights_of = at_arena_strdup(ctx->arena, c.folder_id);
		}
		bool readable = found && ffound && strcmp(c.type, "contact") == 0 &&
				at_acl_may_read(&rights, strcmp(c.created_by, ctx->user->id) == 0,
						json_is_true(json_object_get(c.fields, "private")));
		if (!readable) {
			as_item_clear(&c);
			at_error_set(ie, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				     "%s: there is no contact %s you may read", path, cid);
			return 1;
		}
		if (id != cid) {
			json_object_set_new(m, "contactId", json_string(id));
			changed = true;
		}
		if (refresh_member(m, c.fields))
			changed = true;
		as_item_clear(&c);
	}
	if (changed)
		json_object_set_new(w->item->field_versions, "members", json_integer(w->modseq));
	return 0;
}

const as_item_hooks as_list_hooks = {
	.type = "distributionList",
	.before_write = list_before_write,
};

/* --- contacts ---------------------------------------------------------------- */

static bool shown_fields_changed(json_t *old, json_t *now)
{
	static const char *const keys[] = {"displayName", "firstName", "lastName", "company",
					   "email1", "email2", "email3", NULL};
	for (const char *const *k = keys; *k != NULL; k++) {
		json_t *a = old != NULL ? json_object_get(old, *k) : NULL;
		json_t *b = json_object_get(now, *k);
		if (!(a == NULL ? b == NULL : b != NULL && json_equal(a, b)))
			return true;
	}
	return false;
}

int as_lists_contact_changed(as_store *s, at_arena *a, const as_item *contact, bool deleted,
			     at_error *err)
{
	const char **ids;
	size_t n;
	int64_t modseq;
	if (s->ops->lists_referencing(s, contact->id, a, &ids, &n, err) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		as_item l = {0};
		bool found, changed = false;
		if (s->ops->item_get(s, ids[k], a, &l, &found, err) < 0)
			return -1;
		if (!found)
			continue;
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(l.fields, "members"), i, m) {
			const char *cid = json_string_value(json_object_get(m, "contactId"));
			if (cid == NULL || strcmp(cid, contact->id) != 0)
				continue;
			if (deleted) {
				json_object_del(m, "contactId");
				json_object_del(m, "addressField");
				changed = true;
				if (json_object_get(m, "address") == NULL) {
					/* nothing left to write to: the member goes */
					json_array_remove(json_object_get(l.fields, "members"), i);
					i--;
				}
			} else if (refresh_member(m, contact->fields)) {
				changed = true;
			}
		}
		if (changed) {
			if (s->ops->tx_modseq(s, &modseq, err) < 0) {
				as_item_clear(&l);
				return -1;
			}
			if (json_array_size(json_object_get(l.fields, "members")) == 0)
				json_object_del(l.fields, "members");
			json_object_set_new(l.field_versions, "members", json_integer(modseq));
			if (s->ops->item_put(s, &l, false, err) < 0) {
				as_item_clear(&l);
				return -1;
			}
		}
		as_item_clear(&l);
	}
	return 0;
}

static int contact_after_write(as_item_write *w, at_error *err)
{
	if (w->old == NULL || !shown_fields_changed(w->old, w->item->fields))
		return 0;
	return as_lists_contact_changed(w->ctx->store, w->ctx->arena, w->item, false, err);
}

static int contact_after_delete(as_ctx *ctx, const as_item *item, at_error *err)
{
	return as_lists_contact_changed(ctx->store, ctx->arena, item, true, err);
}

const as_item_hooks as_contact_hooks = {
	.type = "contact",
	.after_write = contact_after_write,
	.after_delete = contact_after_delete,
};
