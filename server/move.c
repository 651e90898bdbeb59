/* move.c — see move.h. */
#include "move.h"

#include <string.h>

#include "acl.h"
#include "log.h"
#include "protocol.h"

static json_t *item_error(const char *id, const char *code, const char *fmt, const char *name)
{
	at_error e;
	at_error_set(&e, code, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL, fmt, name);
	return json_pack("{s:s,s:s,s:o}", "id", id, "status", "error", "error",
			 at_error_to_json(&e));
}

json_t *as_item_move(as_ctx *ctx, json_t *args, at_error *err)
{
	as_store *s = ctx->store;
	json_error_t jerr;
	json_t *ids = NULL, *results = NULL, *result = NULL;
	const char *from_id, *to_id;
	as_folder from, to;
	at_rights from_rights, to_rights;
	if (json_unpack_ex(args, &jerr, JSON_STRICT, "{s:s,s:s,s:o}", "fromFolderId", &from_id,
			   "toFolderId", &to_id, "ids", &ids) < 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, NULL,
			     "Item/move: %s", jerr.text);
		return NULL;
	}
	if (!at_id_valid(from_id) || !at_id_valid(to_id)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			     at_id_valid(from_id) ? "toFolderId" : "fromFolderId",
			     "%s must be a folder id", at_id_valid(from_id) ? "toFolderId"
									: "fromFolderId");
		return NULL;
	}
	size_t n = json_array_size(ids);
	if (!json_is_array(ids) || n == 0 || n > AS_MOVE_MAX_IDS) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "ids",
			     "ids must be a list of 1 to %d item ids", AS_MOVE_MAX_IDS);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!at_id_valid(json_string_value(json_array_get(ids, i)))) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				     "ids", "ids[%zu] is not an item id", i);
			return NULL;
		}
	if (strcmp(from_id, to_id) == 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			     "toFolderId", "the items are in that folder already");
		return NULL;
	}
	if (s->ops->begin(s, true, err) < 0)
		return NULL;
	if (as_load_folder(ctx, from_id, &from, &from_rights, err) < 0 ||
	    as_load_folder(ctx, to_id, &to, &to_rights, err) < 0)
		goto rollback;
	if (from.module != to.module) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			     "toFolderId", "folder \"%s\" holds %s, not %s", to.name,
			     at_module_name(to.module), at_module_name(from.module));
		goto rollback;
	}
	if (!at_acl_may_create(&to_rights)) {
		at_error_set(err, AT_E_FORBIDDEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "toFolderId",
			     "you may not create items in folder \"%s\"", to.name);
		goto rollback;
	}
	results = json_array();
	size_t moved = 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		as_item it = {0};
		bool found;
		if (s->ops->item_get(s, id, ctx->arena, &it, &found, err) < 0)
			goto rollback;
		bool own = found && strcmp(it.created_by, ctx->user->id) == 0;
		bool priv = found && json_is_true(json_object_get(it.fields, "private"));
		if (!found || strcmp(it.folder_id, from.id) != 0 ||
		    !at_acl_may_read(&from_rights, own, priv)) {
			json_array_append_new(results, item_error(id, AT_E_NOT_FOUND,
								  "no such item in folder \"%s\"",
								  from.name));
		} else if (!at_acl_may_delete(&from_rights, own, priv)) {
			json_array_append_new(results,
					      item_error(id, AT_E_FORBIDDEN,
							 "you may not take this item out of folder "
							 "\"%s\"", from.name));
		} else {
			if (s->ops->item_move(s, &it, to.id, err) < 0) {
				as_item_clear(&it);
				goto rollback;
			}
			json_array_append_new(results,
					      json_pack("{s:s,s:s,s:I}", "id", id, "status", "ok",
							"version", (json_int_t)it.version));
			moved++;
		}
		as_item_clear(&it);
	}
	if (s->ops->commit(s, err) < 0)
		goto rollback;
	if (moved > 0)
		at_info("sync", "%s moved %zu item%s from \"%s\" to \"%s\"", ctx->user->login, moved,
			moved == 1 ? "" : "s", from.name, to.name);
	result = json_pack("{s:s,s:s,s:O}", "fromFolderId", from.id, "toFolderId", to.id,
			   "results", results);
	json_decref(results);
	return result;
rollback:
	s->ops->rollback(s);
	json_decref(results);
	return NULL;
}
