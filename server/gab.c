/* gab.c — see gab.h. */
#include "gab.h"

#include <string.h>

#include "acl.h"
#include "lists.h"
#include "log.h"
#include "model.h"
#include "personal.h"
#include "protocol.h"

static const at_item_type *contact_type(void)
{
	return at_model_item_type("contact");
}

/* --- the item shape ------------------------------------------------------------ */

/* The protocol's item object (schema item), as sync.c's Item/sync gives it. */
static json_t *item_json(as_ctx *ctx, const as_item *it)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:O}", "id", it->id,
			      "folderId", it->folder_id, "type", it->type,
			      "version", (json_int_t)it->version,
			      "createdBy", it->created_by, "fields", it->fields);
	if (it->client_id != NULL && strcmp(it->created_by, ctx->user->id) == 0)
		json_object_set_new(o, "clientId", json_string(it->client_id));
	return o;
}

/* --- entries ------------------------------------------------------------------- */

/* Sets field k of it to v (NULL: removes it) at modseq; *changed_r when it
 * changed. */
static void set_field(as_item *it, const char *k, json_t *v, int64_t modseq, bool *changed_r)
{
	json_t *old = json_object_get(it->fields, k);
	if ((old == NULL && v == NULL) || (old != NULL && v != NULL && json_equal(old, v))) {
		json_decref(v);
		return;
	}
	if (v == NULL)
		json_object_del(it->fields, k);
	else
		json_object_set_new(it->fields, k, v);
	json_object_set_new(it->field_versions, k, json_integer(modseq));
	*changed_r = true;
}

/* The managed fields of u's entry (personal.h) from the account. */
static void set_managed(as_item *it, const as_user *u, int64_t modseq, bool *changed_r)
{
	set_field(it, "displayName", json_string(u->name), modseq, changed_r);
	set_field(it, "email1", json_string(u->email), modseq, changed_r);
	set_field(it, "private", NULL, modseq, changed_r);
}

/* Loads u's entry into *it (*found_r false when there is none). */
static int entry_load(as_store *s, at_arena *a, const char *user_id, as_item *it,
		      bool *found_r, at_error *err)
{
	const char *item_id;
	*found_r = false;
	if (s->ops->directory_entry_get(s, user_id, a, &item_id, err) < 0)
		return -1;
	if (item_id == NULL)
		return 0;
	return s->ops->item_get(s, item_id, a, it, found_r, err);
}

int as_gab_user_entry(as_store *s, at_arena *a, const as_user *u, at_error *err)
{
	as_item it = {0};
	bool found, changed = false;
	int64_t modseq;
	int rc = -1;
	at_error ve;
	if (entry_load(s, a, u->id, &it, &found, err) < 0 || s->ops->tx_modseq(s, &modseq, err) < 0)
		goto done;
	if (!found) {
		it.id = as_new_id(a);
		it.folder_id = AS_GAB_FOLDER_ID;
		it.type = contact_type()->name;
		it.created_by = u->id;
		it.fields = json_object();
		it.field_versions = json_object();
	}
	set_managed(&it, u, modseq, &changed);
	if (at_model_validate(contact_type(), it.fields, false, &ve) < 0) {
		/* the account's name or address cannot be a contact's */
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     strcmp(ve.field, "email1") == 0 ? "email" : "name",
			     "the account cannot be entered in the Global Address Book: %s",
			     ve.message);
		goto done;
	}
	if (found && !changed) {
		rc = 0;
		goto done;
	}
	if (s->ops->item_put(s, &it, !found, err) < 0)
		goto done;
	if (!found && s->ops->directory_entry_set(s, u->id, false, it.id, err) < 0)
		goto done;
	/* lists naming the entry (the user's groups' lists among them) follow */
	if (found && as_lists_contact_changed(s, a, &it, false, err) < 0)
		goto done;
	rc = 0;
done:
	as_item_clear(&it);
	return rc;
}

int as_gab_group_list(as_store *s, at_arena *a, const as_group *g, at_error *err)
{
	as_item it = {0};
	bool found = false, changed = false;
	int64_t modseq;
	int rc = -1;
	at_error ve;
	const char *item_id;
	if (strcmp(g->id, AS_GROUP_EVERYONE) == 0)
		return 0;  /* the whole book: no list of its own */
	if (s->ops->directory_entry_get(s, g->id, a, &item_id, err) < 0 ||
	    (item_id != NULL && s->ops->item_get(s, item_id, a, &it, &found, err) < 0) ||
	    s->ops->tx_modseq(s, &modseq, err) < 0)
		goto done;
	if (!found) {
		it.id = as_new_id(a);
		it.folder_id = AS_GAB_FOLDER_ID;
		it.type = at_model_distribution_list.name;
		it.created_by = AS_GAB_FOLDER_ID;
		it.fields = json_object();
		it.field_versions = json_object();
	}
	json_t *members = json_array();
	for (size_t i = 0; i < g->n_members && i < AT_LIST_MAX_MEMBERS; i++) {
		const char *entry;
		if (s->ops->directory_entry_get(s, g->members[i].id, a, &entry, err) < 0) {
			json_decref(members);
			goto done;
		}
		as_user u;
		bool ufound;
		if (s->ops->user_get_by_id(s, g->members[i].id, a, &u, &ufound, err) < 0) {
			json_decref(members);
			goto done;
		}
		if (!ufound)
			continue;
		json_t *m = json_pack("{s:s,s:s}", "name", u.name, "address", u.email);
		if (entry != NULL)
			json_object_set_new(m, "contactId", json_string(entry));
		json_array_append_new(members, m);
	}
	if (g->n_members > AT_LIST_MAX_MEMBERS)
		at_warn("gab", "group %s has %zu members: its list shows the first %d", g->name,
			g->n_members, AT_LIST_MAX_MEMBERS);
	set_field(&it, "displayName", json_string(g->name), modseq, &changed);
	set_field(&it, "members", json_array_size(members) > 0 ? members : NULL, modseq,
		  &changed);
	if (json_array_size(members) == 0)
		json_decref(members);
	if (at_model_validate(&at_model_distribution_list, it.fields, false, &ve) < 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "the list of group %s cannot be written: %s", g->name, ve.message);
		goto done;
	}
	if (found && !changed) {
		rc = 0;
		goto done;
	}
	if (s->ops->item_put(s, &it, !found, err) < 0)
		goto done;
	if (!found && s->ops->directory_entry_set(s, g->id, true, it.id, err) < 0)
		goto done;
	rc = 0;
done:
	as_item_clear(&it);
	return rc;
}

/* --- personal data -------------------------------------------------------------- */

static json_t *personal_json(const as_item *it)
{
	json_t *managed = json_array();
	for (const char *const *f = at_personal_managed_fields; *f != NULL; f++)
		json_array_append_new(managed, json_string(*f));
	return json_pack("{s:s,s:s,s:I,s:O,s:o}", "folderId", it->folder_id, "id", it->id,
			 "version", (json_int_t)it->version, "fields", it->fields,
			 "managedFields", managed);
}

/* The requesting user's entry, made first if it is missing (a write
 * transaction is then taken and committed).  Inside no transaction. */
static int personal_entry(as_ctx *ctx, bool write, as_item *it, at_error *err)
{
	as_store *s = ctx->store;
	bool found;
	if (s->ops->begin(s, write, err) < 0)
		return -1;
	if (entry_load(s, ctx->arena, ctx->user->id, it, &found, err) < 0)
		goto fail;
	if (found)
		return 0;
	if (!write) {
		s->ops->rollback(s);
		if (s->ops->begin(s, true, err) < 0)
			return -1;
	}
	at_warn("gab", "%s had no entry in the Global Address Book: made now",
		ctx->user->login);
	if (as_gab_user_entry(s, ctx->arena, ctx->user, err) < 0 ||
	    entry_load(s, ctx->arena, ctx->user->id, it, &found, err) < 0)
		goto fail;
	if (!found) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			     "the entry of the Global Address Book could not be made");
		goto fail;
	}
	if (!write && s->ops->commit(s, err) < 0)
		return -1;
	return 0;
fail:
	as_item_clear(it);
	s->ops->rollback(s);
	return -1;
}

json_t *as_personal_get(as_ctx *ctx, json_t *args, at_error *err)
{
	as_item it = {0};
	if (json_object_size(args) != 0) {
		const char *k = json_object_iter_key(json_object_iter(args));
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, k,
			     "unknown argument \"%.64s\"", k);
		return NULL;
	}
	if (personal_entry(ctx, false, &it, err) < 0)
		return NULL;
	ctx->store->ops->rollback(ctx->store);
	json_t *r = personal_json(&it);
	as_item_clear(&it);
	return r;
}

json_t *as_personal_set(as_ctx *ctx, json_t *args, at_error *err)
{
	as_store *s = ctx->store;
	json_error_t jerr;
	json_t *patch = NULL, *result = NULL;
	as_item it = {0};
	at_error ve;
	if (json_unpack_ex(args, &jerr, JSON_STRICT, "{s:o}", "fields", &patch) < 0 ||
	    !json_is_object(patch)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     "fields", "Account/setPersonalData takes {\"fields\": {...}}: %s",
			     patch == NULL ? jerr.text : "fields must be an object");
		return NULL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		if (at_personal_field_managed(k)) {
			at_error_set(err, AT_E_FORBIDDEN, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, k,
				     "%s is set by the server from your account (ask your "
				     "administrator to change it)", k);
			return NULL;
		}
	}
	/* validation may normalise values: check a copy, apply the copy */
	patch = json_deep_copy(patch);
	if (at_model_validate(contact_type(), patch, true, err) < 0)
		goto done;
	if (personal_entry(ctx, true, &it, err) < 0)
		goto done;
	int64_t modseq;
	bool changed = false;
	if (s->ops->tx_modseq(s, &modseq, err) < 0)
		goto rollback;
	json_object_foreach(patch, k, v)
		set_field(&it, k, json_is_null(v) ? NULL : json_incref(v), modseq, &changed);
	if (changed && at_model_validate(contact_type(), it.fields, false, &ve) < 0) {
		at_error_copy(err, &ve);
		goto rollback;
	}
	/* committed even without a change: the entry may have been made now */
	if ((changed && (s->ops->item_put(s, &it, false, err) < 0 ||
			 as_lists_contact_changed(s, ctx->arena, &it, false, err) < 0)) ||
	    s->ops->commit(s, err) < 0)
		goto rollback;
	if (changed)
		at_info("gab", "personal data of %s changed", ctx->user->login);
	result = personal_json(&it);
	goto done;
rollback:
	s->ops->rollback(s);
done:
	as_item_clear(&it);
	json_decref(patch);
	return result;
}

/* --- search --------------------------------------------------------------------- */

/* The code point at *p (UTF-8, valid: jansson strings are), advancing p. */
static unsigned next_cp(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned c = s[0];
	int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
	if (n > 0)
		c &= 0x3Fu >> n;
	size_t len = 1;
	for (; len <= (size_t)n && (s[len] & 0xC0) == 0x80; len++)
		c = (c << 6) | (s[len] & 0x3Fu);
	*p += len;
	return c;
}

/* Letters and digits as far as searching goes: ASCII ones, and code points
 * outside the blocks of punctuation and symbols.  The index's tokenizer
 * drops the rest; a word of them only would match everything. */
static bool searchable_cp(unsigned c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (c <= 0xBF || c == 0xD7 || c == 0xF7)
		return false;
	if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
	    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF0F) ||
	    (c >= 0xFFF0 && c <= 0xFFFF) || (c >= 0x1F000 && c <= 0x1FAFF))
		return false;
	return true;
}

int as_search_words(at_arena *a, const char *query, const char ***words_r, size_t *n_r,
		    at_error *err)
{
	size_t len = strlen(query);
	*words_r = NULL;
	*n_r = 0;
	if (at_utf8_length(query, len) > AS_SEARCH_QUERY_MAX)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    "query", "a search query is at most %d characters",
				    AS_SEARCH_QUERY_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)query[i] < 0x20 || query[i] == 0x7f)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, "query",
					    "a search query cannot hold control characters");
	const char **words = at_arena_alloc(a, sizeof(*words) * (AS_SEARCH_WORDS_MAX + 1));
	size_t n = 0;
	const char *p = query;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		const char *start = p;
		bool searchable = false;
		while (*p != '\0' && *p != ' ')
			searchable = searchable_cp(next_cp(&p)) || searchable;
		if (p == start || !searchable)
			continue;
		if (n == AS_SEARCH_WORDS_MAX)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, "query",
					    "a search query has at most %d words",
					    AS_SEARCH_WORDS_MAX);
		words[n++] = at_arena_strndup(a, start, (size_t)(p - start));
	}
	if (n == 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    "query", "a search query needs a word with a letter or a "
				    "digit");
	*words_r = words;
	*n_r = n;
	return 0;
}

struct search_walk {
	as_ctx *ctx;
	const as_folder *folder;
	at_rights rights;
	json_t *items;
	size_t limit;
	bool more;
	at_error *err;
};

static int on_match(void *p, const char *id)
{
	struct search_walk *w = p;
	as_item it = {0};
	bool found;
	if (w->ctx->store->ops->item_get(w->ctx->store, id, w->ctx->arena, &it, &found,
					 w->err) < 0)
		return -1;
	bool readable = found && strcmp(it.folder_id, w->folder->id) == 0 &&
			at_acl_may_read(&w->rights, strcmp(it.created_by, w->ctx->user->id) == 0,
					json_is_true(json_object_get(it.fields, "private")));
	int rc = 0;
	if (readable && json_array_size(w->items) == w->limit) {
		w->more = true;
		rc = 1;
	} else if (readable) {
		json_array_append_new(w->items, item_json(w->ctx, &it));
	}
	as_item_clear(&it);
	return rc;
}

json_t *as_contact_search(as_ctx *ctx, json_t *args, at_error *err)
{
	as_store *s = ctx->store;
	json_error_t jerr;
	const char *folder_id = AS_GAB_FOLDER_ID, *query = NULL;
	json_int_t limit = AS_SEARCH_LIMIT_DEFAULT;
	const char **words;
	size_t n_words;
	as_folder folder;
	json_t *result = NULL;
	struct search_walk w = {.ctx = ctx, .folder = &folder, .items = json_array(), .err = err};
	if (json_unpack_ex(args, &jerr, JSON_STRICT, "{s?s,s:s,s?I}", "folderId", &folder_id,
			   "query", &query, "limit", &limit) < 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, NULL,
			     "Contact/search: %s", jerr.text);
		goto done;
	}
	if (!at_id_valid(folder_id)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			     "folderId", "folderId must be a folder id");
		goto done;
	}
	if (limit < 1 || limit > AS_SEARCH_LIMIT_MAX) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "limit",
			     "limit must be from 1 to %d", AS_SEARCH_LIMIT_MAX);
		goto done;
	}
	w.limit = (size_t)limit;
	if (as_search_words(ctx->arena, query, &words, &n_words, err) < 0)
		goto done;
	if (s->ops->begin(s, false, err) < 0)
		goto done;
	if (as_load_folder(ctx, folder_id, &folder, &w.rights, err) < 0)
		goto rollback;
	if (folder.module != AT_MODULE_CONTACTS) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			     "folderId", "folder \"%s\" is not a contacts folder", folder.name);
		goto rollback;
	}
	if (!at_acl_may_read(&w.rights, true, false)) {
		at_error_set(err, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "folderId",
			     "you may not read the items of folder \"%s\"", folder.name);
		goto rollback;
	}
	bool truncated;
	if (s->ops->contact_search(s, folder.id, words, n_words, ctx->arena, on_match, &w,
				   &truncated, err) < 0)
		goto rollback;
	result = json_pack("{s:s,s:O,s:b}", "folderId", folder.id, "items", w.items,
			   "moreAvailable", w.more || truncated);
rollback:
	s->ops->rollback(s);
done:
	json_decref(w.items);
	return result;
}
