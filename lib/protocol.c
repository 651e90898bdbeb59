/* protocol.c — see protocol.h. */
#include "protocol.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *at_error_to_json(const at_error *err)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "type", err->code,
			      "scope", at_scope_name(err->scope),
			      "retry", at_retry_name(err->retry),
			      "message", err->message);
	if (err->field[0] != '\0')
		json_object_set_new(o, "field", json_string(err->field));
	if (err->retry_after > 0)
		json_object_set_new(o, "retryAfter", json_integer(err->retry_after));
	return o;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

void at_error_from_json(json_t *obj, at_error *err_r)
{
	at_error_clear(err_r);
	const char *type = jstr(obj, "type");
	const char *msg = jstr(obj, "message");
	const char *field = jstr(obj, "field");
	const char *scope = jstr(obj, "scope");
	const char *retry = jstr(obj, "retry");
	at_scope sc = AT_SCOPE_SERVER;
	at_retry rt = AT_RETRY_FINAL;
	if (scope != NULL)
		at_scope_parse(scope, &sc);
	if (retry != NULL)
		at_retry_parse(retry, &rt);
	at_error_set(err_r, type != NULL ? type : AT_E_SERVER, sc, rt, field, "%s",
		     msg != NULL ? msg : "(no message)");
	json_t *ra = json_object_get(obj, "retryAfter");
	if (json_is_integer(ra))
		err_r->retry_after = (long)json_integer_value(ra);
}

void at_token_format(const at_token *tok, char buf[AT_TOKEN_MAX])
{
	snprintf(buf, AT_TOKEN_MAX, "1-%" PRId64 "-%s", tok->modseq, tok->last_id);
}

int at_token_parse(const char *s, at_token *tok_r, at_error *err)
{
	memset(tok_r, 0, sizeof(*tok_r));
	if (s == NULL || strncmp(s, "1-", 2) != 0 || strlen(s) >= AT_TOKEN_MAX ||
	    !isdigit((unsigned char)s[2]))
		goto bad;
	char *end;
	errno = 0;
	long long m = strtoll(s + 2, &end, 10);
	if (end == s + 2 || *end != '-' || m < 0 || errno != 0)
		goto bad;
	const char *id = end + 1;
	if (*id != '\0' && !at_id_valid(id))
		goto bad;
	tok_r->modseq = m;
	snprintf(tok_r->last_id, sizeof(tok_r->last_id), "%s", id);
	return 0;
bad:
	return at_error_set(err, AT_E_INVALID_TOKEN, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			    "sinceToken", "sinceToken is not a token this server issued");
}

const char *at_policy_name(at_policy p)
{
	return p == AT_POLICY_CLIENT ? "client" : "server";
}

int at_policy_parse(const char *s, at_policy *p_r)
{
	if (strcmp(s, "server") == 0)
		*p_r = AT_POLICY_SERVER;
	else if (strcmp(s, "client") == 0)
		*p_r = AT_POLICY_CLIENT;
	else
		return -1;
	return 0;
}

bool at_id_valid(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p != '\0'; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return n >= 1 && n <= AT_MAX_ID_LEN;
}

void at_random_hex(char *buf, size_t nbytes)
{
	unsigned char raw[64];
	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	randombytes_buf(raw, nbytes);
	sodium_bin2hex(buf, nbytes * 2 + 1, raw, nbytes);
}

static int bad_arg(at_error *err, const char *member, const char *what)
{
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			    member, "%s: %s", member, what);
}

int at_envelope_decode(json_t *body, at_arena *arena, at_envelope *env_r,
		       at_error *err)
{
	memset(env_r, 0, sizeof(*env_r));
	if (!json_is_object(body))
		return at_error_set(err, AT_E_NOT_REQUEST, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    NULL, "the request body must be a JSON object");
	json_t *using = json_object_get(body, "using");
	json_t *calls = json_object_get(body, "methodCalls");
	if (!json_is_array(using))
		return at_error_set(err, AT_E_NOT_REQUEST, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "using", "\"using\" must be a list of capabilities");
	bool core = false;
	size_t i;
	json_t *v;
	json_array_foreach(using, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), AT_CAPABILITY_CORE) == 0)
			core = true;
	}
	if (!core)
		return at_error_set(err, AT_E_NOT_REQUEST, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "using", "\"using\" must include \"%s\"",
				    AT_CAPABILITY_CORE);
	if (!json_is_array(calls))
		return at_error_set(err, AT_E_NOT_REQUEST, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "methodCalls", "\"methodCalls\" must be a list");
	size_t n = json_array_size(calls);
	if (n > AT_MAX_CALLS_IN_REQUEST)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "methodCalls", "%zu method calls, the limit is %d", n,
				    AT_MAX_CALLS_IN_REQUEST);
	env_r->calls = at_arena_alloc(arena, sizeof(at_call) * (n ? n : 1));
	json_array_foreach(calls, i, v) {
		json_t *name = json_array_get(v, 0), *args = json_array_get(v, 1),
		       *cid = json_array_get(v, 2);
		if (!json_is_array(v) || json_array_size(v) != 3 || !json_is_string(name) ||
		    !json_is_object(args) || !json_is_string(cid) ||
		    json_string_length(cid) > AT_MAX_CALL_ID ||
		    json_string_length(name) > 64)
			return at_error_set(err, AT_E_NOT_REQUEST, AT_SCOPE_SERVER,
					    AT_RETRY_FINAL, "methodCalls",
					    "method call %zu must be [name, {arguments}, callId]"
					    " (callId at most %d characters)", i, AT_MAX_CALL_ID);
		env_r->calls[i].name = json_string_value(name);
		env_r->calls[i].args = args;
		env_r->calls[i].call_id = json_string_value(cid);
	}
	env_r->n_calls = n;
	return 0;
}

static int decode_change(json_t *c, at_change_kind kind, at_change *out, at_error *err)
{
	char member[64];
	static const char *const names[] = {"create", "update", "delete"};
	snprintf(member, sizeof(member), "changes.%s", names[kind]);
	if (!json_is_object(c))
		return bad_arg(err, member, "each change must be an object");
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	const char *k;
	json_t *v;
	json_object_foreach(c, k, v) {
		bool ok = false;
		if (kind == AT_CHANGE_CREATE)
			ok = strcmp(k, "clientId") == 0 || strcmp(k, "fields") == 0 ||
			     strcmp(k, "type") == 0 || strcmp(k, "ignoreConflicts") == 0;
		else if (kind == AT_CHANGE_UPDATE)
			ok = strcmp(k, "id") == 0 || strcmp(k, "baseVersion") == 0 ||
			     strcmp(k, "fields") == 0 || strcmp(k, "ignoreConflicts") == 0;
		else
			ok = strcmp(k, "id") == 0 || strcmp(k, "baseVersion") == 0;
		if (!ok)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, member,
					    "%s: unknown member \"%.64s\"", member, k);
	}
	if (kind == AT_CHANGE_CREATE) {
		const char *cid = jstr(c, "clientId");
		if (cid == NULL || !at_id_valid(cid))
			return bad_arg(err, member,
				       "clientId must be 1-64 characters of A-Z a-z 0-9 . _ : -");
		out->client_id = cid;
		json_t *t = json_object_get(c, "type");
		if (t != NULL && (!json_is_string(t) || at_model_item_type(json_string_value(t)) == NULL))
			return bad_arg(err, member, "type is not a known item type");
		out->type = t != NULL ? json_string_value(t) : NULL;
	} else {
		const char *id = jstr(c, "id");
		json_t *bv = json_object_get(c, "baseVersion");
		if (id == NULL || !at_id_valid(id))
			return bad_arg(err, member, "id must be an item id");
		if (!json_is_integer(bv) || json_integer_value(bv) < 0)
			return bad_arg(err, member, "baseVersion must be a non-negative integer");
		out->id = id;
		out->base_version = json_integer_value(bv);
	}
	if (kind != AT_CHANGE_DELETE) {
		json_t *f = json_object_get(c, "fields");
		if (!json_is_object(f))
			return bad_arg(err, member, "fields must be an object");
		out->fields = f;
		json_t *ic = json_object_get(c, "ignoreConflicts");
		if (ic != NULL && !json_is_boolean(ic))
			return bad_arg(err, member, "ignoreConflicts must be true or false");
		out->ignore_conflicts = json_is_true(ic);
	}
	return 0;
}

int at_item_sync_req_decode(json_t *args, at_arena *arena, at_item_sync_req *req_r,
			    at_error *err)
{
	memset(req_r, 0, sizeof(*req_r));
	req_r->window = AT_DEFAULT_WINDOW;
	const char *k;
	json_t *v;
	json_object_foreach(args, k, v) {
		if (strcmp(k, "folderId") != 0 && strcmp(k, "sinceToken") != 0 &&
		    strcmp(k, "windowSize") != 0 && strcmp(k, "conflictPolicy") != 0 &&
		    strcmp(k, "changes") != 0)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, k,
					    "unknown argument \"%.64s\"", k);
	}
	const char *fid = jstr(args, "folderId");
	if (fid == NULL || !at_id_valid(fid))
		return bad_arg(err, "folderId", "must be a folder id");
	req_r->folder_id = fid;
	json_t *tok = json_object_get(args, "sinceToken");
	if (tok != NULL && !json_is_null(tok)) {
		if (!json_is_string(tok) || json_string_length(tok) >= AT_TOKEN_MAX)
			return bad_arg(err, "sinceToken", "must be a token string or null");
		req_r->since_token = json_string_value(tok);
	}
	json_t *w = json_object_get(args, "windowSize");
	if (w != NULL) {
		if (!json_is_integer(w) || json_integer_value(w) < 1 ||
		    json_integer_value(w) > AT_MAX_WINDOW)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					    AT_RETRY_FINAL, "windowSize",
					    "windowSize must be between 1 and %d", AT_MAX_WINDOW);
		req_r->window = (unsigned)json_integer_value(w);
	}
	json_t *pol = json_object_get(args, "conflictPolicy");
	if (pol != NULL && (!json_is_string(pol) ||
			    at_policy_parse(json_string_value(pol), &req_r->policy) < 0))
		return bad_arg(err, "conflictPolicy", "must be \"server\" or \"client\"");
	json_t *ch = json_object_get(args, "changes");
	if (ch == NULL || json_is_null(ch))
		return 0;
	if (!json_is_object(ch))
		return bad_arg(err, "changes", "must be an object");
	json_t *lists[3] = {json_object_get(ch, "create"), json_object_get(ch, "update"),
			    json_object_get(ch, "delete")};
	size_t total = 0;
	json_object_foreach(ch, k, v) {
		if (strcmp(k, "create") != 0 && strcmp(k, "update") != 0 && strcmp(k, "delete") != 0)
			return bad_arg(err, "changes", "only create, update and delete lists");
		if (!json_is_array(v))
			return bad_arg(err, "changes", "create, update and delete must be lists");
		total += json_array_size(v);
	}
	if (total > AT_MAX_CHANGES_IN_SYNC)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "changes",
				    "%zu changes in one call, the limit is %d", total,
				    AT_MAX_CHANGES_IN_SYNC);
	req_r->changes = at_arena_alloc(arena, sizeof(at_change) * (total ? total : 1));
	size_t n = 0;
	for (int kind = 0; kind < 3; kind++) {
		size_t i;
		json_array_foreach(lists[kind], i, v) {
			if (decode_change(v, (at_change_kind)kind, &req_r->changes[n], err) < 0)
				return -1;
			n++;
		}
	}
	req_r->n_changes = n;
	return 0;
}

json_t *at_item_sync_req_encode(const at_item_sync_req *req)
{
	json_t *args = json_pack("{s:s,s:i,s:s}", "folderId", req->folder_id,
				 "windowSize", (int)req->window,
				 "conflictPolicy", at_policy_name(req->policy));
	json_object_set_new(args, "sinceToken",
			    req->since_token ? json_string(req->since_token) : json_null());
	if (req->n_changes > 0) {
		json_t *lists[3] = {json_array(), json_array(), json_array()};
		for (size_t i = 0; i < req->n_changes; i++) {
			const at_change *c = &req->changes[i];
			json_t *o = json_object();
			if (c->kind == AT_CHANGE_CREATE) {
				json_object_set_new(o, "clientId", json_string(c->client_id));
				if (c->type != NULL)
					json_object_set_new(o, "type", json_string(c->type));
			} else {
				json_object_set_new(o, "id", json_string(c->id));
				json_object_set_new(o, "baseVersion", json_integer(c->base_version));
			}
			if (c->kind != AT_CHANGE_DELETE)
				json_object_set(o, "fields", c->fields);
			if (c->kind != AT_CHANGE_DELETE && c->ignore_conflicts)
				json_object_set_new(o, "ignoreConflicts", json_true());
			json_array_append_new(lists[c->kind], o);
		}
		json_t *ch = json_object();
		static const char *const names[] = {"create", "update", "delete"};
		for (int k = 0; k < 3; k++) {
			if (json_array_size(lists[k]) > 0)
				json_object_set_new(ch, names[k], lists[k]);
			else
				json_decref(lists[k]);
		}
		json_object_set_new(args, "changes", ch);
	}
	return args;
}

void at_json_array_sort(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr);
	if (n < 2)
		return;
	json_t **v = malloc(n * sizeof(*v));
	if (v == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}
