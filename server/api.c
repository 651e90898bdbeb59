/* api.c — see api.h. */
#include "api.h"

#include <string.h>
#include <time.h>

#include "auth.h"
#include "blob.h"
#include "folders.h"
#include "freebusy.h"
#include "gab.h"
#include "log.h"
#include "model.h"
#include "move.h"
#include "perms.h"
#include "protocol.h"

typedef json_t *method_fn(as_ctx *ctx, json_t *args, at_error *err);

static json_t *change_password(as_ctx *ctx, json_t *args, at_error *err);

static const struct method {
	const char *name;
	method_fn *fn;
} methods[] = {
	{"Folder/sync", as_folder_sync},
	{"Folder/set", as_folder_set},
	{"Item/sync", as_item_sync},
	{"Item/list", as_item_list},
	{"Item/get", as_item_get},
	{"Item/move", as_item_move},
	{"Folder/getPermissions", as_folder_get_permissions},
	{"Folder/setPermissions", as_folder_set_permissions},
	{"Account/changePassword", change_password},
	{"Account/getPersonalData", as_personal_get},
	{"Account/setPersonalData", as_personal_set},
	{"Contact/search", as_contact_search},
	{"Calendar/getFreeBusy", as_calendar_freebusy},
};

#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

json_t *as_api_login(as_store *s, at_arena *a, json_t *body, int64_t now, at_error *err)
{
	json_error_t jerr;
	const char *login = NULL, *password = NULL, *device = NULL;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s,s:s,s?s}", "login", &login,
			   "password", &password, "device", &device) < 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
			     NULL, "login request: %s", jerr.text);
		err->http_status = 400;
		return NULL;
	}
	as_user u;
	const char *token;
	int64_t expires;
	if (as_auth_login(s, a, login, password, now, &u, &token, &expires, err) < 0)
		return NULL;
	char stamp[32];
	time_t t = (time_t)expires;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	at_info("auth", "login of \"%s\"%s%s", login, device ? " from " : "", device ? device : "");
	return json_pack("{s:s,s:s,s:s}", "token", token, "userId", u.id, "expiresAt", stamp);
}

json_t *as_api_session(as_ctx *ctx)
{
	json_t *names = json_array();
	for (size_t i = 0; i < N_METHODS; i++)
		json_array_append_new(names, json_string(methods[i].name));
	json_t *session = json_pack("{s:{s:s,s:s,s:s,s:s},s:s,s:s,s:s,"
			 "s:{s:{s:o,s:[ss]}},"
			 "s:{s:i,s:i,s:i,s:i,s:i,s:o}}",
			 "user", "id", ctx->user->id, "login", ctx->user->login,
			 "name", ctx->user->name, "email", ctx->user->email,
			 "apiUrl", "/api", "pushUrl", "/api/push", "serverVersion", AS_SERVER_VERSION,
			 "capabilities", AT_CAPABILITY_CORE, "methods", names,
			 "conflictPolicies", "server", "client",
			 "limits", "maxCallsInRequest", AT_MAX_CALLS_IN_REQUEST,
			 "maxRequestBytes", (int)AT_MAX_REQUEST_BYTES,
			 "maxChangesInSync", AT_MAX_CHANGES_IN_SYNC,
			 "defaultWindow", AT_DEFAULT_WINDOW, "maxWindow", AT_MAX_WINDOW,
			 "fields", at_model_limits_json());
	/* blobs (blobs.h): POST /api/blob, GET and HEAD /api/blob/ID */
	json_t *limits = json_object_get(session, "limits");
	json_object_set_new(session, "blobUrl", json_string("/api/blob"));
	json_object_set_new(limits, "maxBlobBytes", json_integer(AT_BLOB_MAX_BYTES));
	json_object_set_new(limits, "maxPhotoBytes", json_integer(AT_PHOTO_MAX_BYTES));
	json_object_set_new(limits, "maxAttachmentBytesPerItem",
			    json_integer(AT_ATTACHMENT_MAX_BYTES_PER_ITEM));
	return session;
}

static json_t *change_password(as_ctx *ctx, json_t *args, at_error *err)
{
	json_error_t jerr;
	const char *old_pw, *new_pw, *strength;
	if (json_unpack_ex(args, &jerr, JSON_STRICT, "{s:s,s:s}", "oldPassword", &old_pw,
			   "newPassword", &new_pw) < 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "Account/changePassword: %s", jerr.text);
		return NULL;
	}
	if (as_auth_change_password(ctx->store, ctx->arena, ctx->user, old_pw, new_pw,
				    ctx->token_hash, &strength, err) < 0)
		return NULL;
	return json_pack("{s:s}", "strength", strength);
}

json_t *as_api_batch(as_ctx *ctx, json_t *body, at_error *err)
{
	at_envelope env;
	if (at_envelope_decode(body, ctx->arena, &env, err) < 0)
		return NULL;
	json_t *responses = json_array();
	for (size_t i = 0; i < env.n_calls; i++) {
		const at_call *call = &env.calls[i];
		const struct method *m = NULL;
		for (size_t j = 0; j < N_METHODS && m == NULL; j++)
			if (strcmp(methods[j].name, call->name) == 0)
				m = &methods[j];
		at_error e;
		at_error_clear(&e);
		json_t *result = NULL;
		if (m == NULL)
			at_error_set(&e, AT_E_UNKNOWN_METHOD, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
				     "unknown method \"%.64s\"", call->name);
		else
			result = m->fn(ctx, call->args, &e);
		if (result == NULL) {
			if (!at_error_is_set(&e))
				at_error_set(&e, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
					     NULL, "%s failed", call->name);
			at_debug("api", "%s for %s: %s: %s", call->name, ctx->user->login,
				 e.code, e.message);
			json_array_append_new(responses, json_pack("[s,o,s]", "error",
								   at_error_to_json(&e),
								   call->call_id));
		} else {
			json_array_append_new(responses, json_pack("[s,o,s]", call->name, result,
								   call->call_id));
		}
	}
	return json_pack("{s:o}", "methodResponses", responses);
}
