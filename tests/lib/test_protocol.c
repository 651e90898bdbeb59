/* test_protocol.c — sync tokens, the request envelope, the Item/sync request
 * codec (every error path names the member), ids and policies. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "protocol.h"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		fail_msg("bad JSON in test: %s: %s", jerr.text, text);
	return j;
}

/* --- tokens --------------------------------------------------------------- */

static void test_token_round_trip(void **state)
{
	(void)state;
	char id64[AT_MAX_ID_LEN + 1];
	memset(id64, 'f', AT_MAX_ID_LEN);
	id64[AT_MAX_ID_LEN] = '\0';
	static const struct { int64_t modseq; const char *id, *text; } table[] = {
		{0, "", "1-0-"},
		{5, "", "1-5-"},
		{42, "abc", "1-42-abc"},
		{7, "0123456789abcdef01234567", "1-7-0123456789abcdef01234567"},
		{INT64_MAX, "a.b_c:d-e", "1-9223372036854775807-a.b_c:d-e"},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_token t = {.modseq = table[i].modseq}, back;
		snprintf(t.last_id, sizeof(t.last_id), "%s", table[i].id);
		char buf[AT_TOKEN_MAX];
		at_token_format(&t, buf);
		assert_string_equal(buf, table[i].text);
		at_error err;
		at_error_clear(&err);
		check(at_token_parse(buf, &back, &err) == 0, "%s refused: %s", buf, err.message);
		assert_int_equal(back.modseq, table[i].modseq);
		assert_string_equal(back.last_id, table[i].id);
		assert_false(at_error_is_set(&err));
	}
	/* the longest token: maximal modseq and a 64-character id */
	at_token t = {.modseq = INT64_MAX}, back;
	memcpy(t.last_id, id64, sizeof(id64));
	char buf[AT_TOKEN_MAX];
	at_token_format(&t, buf);
	assert_int_equal(at_token_parse(buf, &back, NULL), 0);
	assert_string_equal(back.last_id, id64);
}

static void expect_bad_token(const char *s)
{
	at_token t;
	at_error err;
	at_error_clear(&err);
	int rc = at_token_parse(s, &t, &err);
	check(rc == -1, "token \"%s\" accepted (modseq %" PRId64 ", id \"%s\")",
	      s ? s : "(null)", t.modseq, t.last_id);
	check(strcmp(err.code, AT_E_INVALID_TOKEN) == 0, "\"%s\": code %s", s, err.code);
	check(strcmp(err.field, "sinceToken") == 0, "\"%s\": field %s", s, err.field);
	check(t.modseq == 0 && t.last_id[0] == '\0', "\"%s\": output not cleared", s);
}

static void test_token_rejects_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "1", "1-", "1--", "2-5-", "0-5-", "x-5-", "1-5", "1-x-", "1--5-",
		"1-5-bad id", "1-5-\xc3\xa9", "1-5-a/b", "1-99999999999999999999-",
		"abc", "1_5_", "1-5-a b",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		expect_bad_token(bad[i]);
	/* '-' may appear in the id part: only the first two dashes separate */
	at_token t;
	assert_int_equal(at_token_parse("1-5-a-", &t, NULL), 0);
	assert_int_equal(t.modseq, 5);
	assert_string_equal(t.last_id, "a-");
	expect_bad_token(NULL);
	/* a 65-character id */
	char s[AT_TOKEN_MAX + 40];
	snprintf(s, sizeof(s), "1-5-");
	memset(s + 4, 'a', AT_MAX_ID_LEN + 1);
	s[4 + AT_MAX_ID_LEN + 1] = '\0';
	expect_bad_token(s);
	/* longer than AT_TOKEN_MAX */
	char l[AT_TOKEN_MAX + 10];
	memset(l, '1', sizeof(l) - 1);
	l[0] = '1';
	l[1] = '-';
	l[sizeof(l) - 2] = '-';
	l[sizeof(l) - 1] = '\0';
	expect_bad_token(l);
}

/* The server only issues "1-DIGITS-ID"; a sign or blanks in the number are
 * not a token it issued (strtoll alone accepts them). */
static void test_token_rejects_non_digit_modseq(void **state)
{
	(void)state;
	static const char *const bad[] = {"1-+5-", "1- 5-", "1--0-", "1-\t7-", "1-+0-abc"};
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		expect_bad_token(bad[i]);
}

/* --- envelope ------------------------------------------------------------- */

/* For error cases and counts only: the document is freed on return, so the
 * strings the envelope borrows are gone. */
static int decode_env(const char *text, at_envelope *env, at_arena *a, at_error *err)
{
	json_t *j = parse(text);
	at_error_clear(err);
	int rc = at_envelope_decode(j, a, env, err);
	json_decref(j);
	return rc;
}

static void test_envelope_ok(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(0);
	json_t *j = parse("{\"using\":[\"other\",\"atrium:core\"],\"methodCalls\":["
			  "[\"Folder/sync\",{},\"0\"],"
			  "[\"Item/sync\",{\"folderId\":\"f1\"},\"c-1\"]]}");
	at_envelope env;
	at_error err;
	assert_int_equal(at_envelope_decode(j, a, &env, &err), 0);
	assert_int_equal(env.n_calls, 2);
	assert_string_equal(env.calls[0].name, "Folder/sync");
	assert_string_equal(env.calls[0].call_id, "0");
	assert_int_equal(json_object_size(env.calls[0].args), 0);
	assert_string_equal(env.calls[1].name, "Item/sync");
	assert_string_equal(env.calls[1].call_id, "c-1");
	assert_string_equal(json_string_value(json_object_get(env.calls[1].args, "folderId")),
			    "f1");
	json_decref(j);

	/* no calls at all is a valid (empty) request */
	assert_int_equal(decode_env("{\"using\":[\"atrium:core\"],\"methodCalls\":[]}", &env, a,
				    &err), 0);
	assert_int_equal(env.n_calls, 0);
	at_arena_free(&a);
}

static void test_envelope_call_limit(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(0);
	for (int n = AT_MAX_CALLS_IN_REQUEST; n <= AT_MAX_CALLS_IN_REQUEST + 1; n++) {
		json_t *calls = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(calls, json_pack("[s,{},s]", "Folder/sync", "x"));
		json_t *body = json_pack("{s:[s],s:o}", "using", "atrium:core", "methodCalls",
					 calls);
		at_envelope env;
		at_error err;
		at_error_clear(&err);
		int rc = at_envelope_decode(body, a, &env, &err);
		json_decref(body);
		if (n <= AT_MAX_CALLS_IN_REQUEST) {
			check(rc == 0 && env.n_calls == (size_t)n, "%d calls refused: %s", n,
			      err.message);
		} else {
			check(rc == -1, "%d calls accepted", n);
			assert_string_equal(err.code, AT_E_LIMIT);
			assert_string_equal(err.field, "methodCalls");
			assert_int_equal(err.http_status, 413);
		}
	}
	at_arena_free(&a);
}

static void test_envelope_malformed(void **state)
{
	(void)state;
	char long_id[200], long_name[200];
	snprintf(long_id, sizeof(long_id),
		 "{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"Folder/sync\",{},\"%065d\"]]}", 0);
	snprintf(long_name, sizeof(long_name),
		 "{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"%065d\",{},\"0\"]]}", 0);
	const struct { const char *json, *code, *field; } table[] = {
		{"[]", "notRequest", ""},
		{"\"text\"", "notRequest", ""},
		{"{}", "notRequest", "using"},
		{"{\"methodCalls\":[]}", "notRequest", "using"},
		{"{\"using\":\"atrium:core\",\"methodCalls\":[]}", "notRequest", "using"},
		{"{\"using\":[],\"methodCalls\":[]}", "notRequest", "using"},
		{"{\"using\":[\"atrium:other\",1],\"methodCalls\":[]}", "notRequest", "using"},
		{"{\"using\":[\"atrium:core\"]}", "notRequest", "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":{}}", "notRequest", "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[\"Folder/sync\"]}", "notRequest",
		 "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"Folder/sync\",{}]]}",
		 "notRequest", "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"Folder/sync\",{},\"0\",1]]}",
		 "notRequest", "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[[1,{},\"0\"]]}", "notRequest",
		 "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"Folder/sync\",[],\"0\"]]}",
		 "notRequest", "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"Folder/sync\",null,\"0\"]]}",
		 "notRequest", "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"Folder/sync\",{},0]]}",
		 "notRequest", "methodCalls"},
		{"{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"A\",{},\"0\"],[\"B\",{},null]]}",
		 "notRequest", "methodCalls"},
		{long_id, "notRequest", "methodCalls"},
		{long_name, "notRequest", "methodCalls"},
	};
	at_arena *a = at_arena_new(0);
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_envelope env;
		at_error err;
		int rc = decode_env(table[i].json, &env, a, &err);
		check(rc == -1, "case %zu accepted: %s", i, table[i].json);
		check(strcmp(err.code, table[i].code) == 0, "case %zu: code %s", i, err.code);
		check(strcmp(err.field, table[i].field) == 0, "case %zu: field \"%s\"", i,
		      err.field);
		check(err.http_status == 400, "case %zu: status %d", i, err.http_status);
	}
	/* a 64-character callId is still fine */
	char ok[200];
	snprintf(ok, sizeof(ok),
		 "{\"using\":[\"atrium:core\"],\"methodCalls\":[[\"Folder/sync\",{},\"%064d\"]]}", 0);
	at_envelope env;
	at_error err;
	json_t *j = parse(ok);  /* kept alive: the envelope borrows from it */
	assert_int_equal(at_envelope_decode(j, a, &env, &err), 0);
	assert_int_equal(strlen(env.calls[0].call_id), 64);
	json_decref(j);
	at_arena_free(&a);
}

/* --- Item/sync request ---------------------------------------------------- */

static void test_sync_req_defaults_and_full(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(0);
	at_item_sync_req req;
	at_error err;
	json_t *j = parse("{\"folderId\":\"f1\"}");
	assert_int_equal(at_item_sync_req_decode(j, a, &req, &err), 0);
	assert_string_equal(req.folder_id, "f1");
	assert_null(req.since_token);
	assert_int_equal(req.window, AT_DEFAULT_WINDOW);
	assert_int_equal(req.policy, AT_POLICY_SERVER);
	assert_int_equal(req.n_changes, 0);
	json_decref(j);

	j = parse("{\"folderId\":\"f1\",\"sinceToken\":null,\"windowSize\":512,"
		  "\"conflictPolicy\":\"client\",\"changes\":null}");
	assert_int_equal(at_item_sync_req_decode(j, a, &req, &err), 0);
	assert_null(req.since_token);
	assert_int_equal(req.window, 512);
	assert_int_equal(req.policy, AT_POLICY_CLIENT);
	json_decref(j);

	j = parse("{\"folderId\":\"f1\",\"sinceToken\":\"1-4-\",\"windowSize\":1,"
		  "\"changes\":{\"delete\":[{\"id\":\"i2\",\"baseVersion\":3}],"
		  "\"create\":[{\"clientId\":\"c1\",\"type\":\"contact\",\"fields\":{\"firstName\":\"A\"}}],"
		  "\"update\":[{\"id\":\"i1\",\"baseVersion\":0,\"fields\":{\"lastName\":null}}]}}");
	assert_int_equal(at_item_sync_req_decode(j, a, &req, &err), 0);
	assert_string_equal(req.since_token, "1-4-");
	assert_int_equal(req.window, 1);
	assert_int_equal(req.n_changes, 3);
	/* creates, then updates, then deletes, whatever the member order */
	assert_int_equal(req.changes[0].kind, AT_CHANGE_CREATE);
	assert_string_equal(req.changes[0].client_id, "c1");
	assert_string_equal(req.changes[0].type, "contact");
	assert_string_equal(json_string_value(json_object_get(req.changes[0].fields,
							      "firstName")), "A");
	assert_int_equal(req.changes[1].kind, AT_CHANGE_UPDATE);
	assert_string_equal(req.changes[1].id, "i1");
	assert_int_equal(req.changes[1].base_version, 0);
	assert_true(json_is_null(json_object_get(req.changes[1].fields, "lastName")));
	assert_int_equal(req.changes[2].kind, AT_CHANGE_DELETE);
	assert_string_equal(req.changes[2].id, "i2");
	assert_int_equal(req.changes[2].base_version, 3);
	assert_null(req.changes[2].fields);
	json_decref(j);
	at_arena_free(&a);
}

/* Every way a request can be wrong, with the member the error must name. */
static void test_sync_req_errors_name_the_member(void **state)
{
	(void)state;
	static const struct { const char *json, *code, *field; } table[] = {
		{"{}", "invalidArguments", "folderId"},
		{"{\"folderId\":5}", "invalidArguments", "folderId"},
		{"{\"folderId\":\"\"}", "invalidArguments", "folderId"},
		{"{\"folderId\":\"bad id\"}", "invalidArguments", "folderId"},
		{"{\"folderId\":\"f\",\"sinceToken\":5}", "invalidArguments", "sinceToken"},
		{"{\"folderId\":\"f\",\"sinceToken\":[]}", "invalidArguments", "sinceToken"},
		{"{\"folderId\":\"f\",\"windowSize\":0}", "invalidArguments", "windowSize"},
		{"{\"folderId\":\"f\",\"windowSize\":513}", "invalidArguments", "windowSize"},
		{"{\"folderId\":\"f\",\"windowSize\":-1}", "invalidArguments", "windowSize"},
		{"{\"folderId\":\"f\",\"windowSize\":\"5\"}", "invalidArguments", "windowSize"},
		{"{\"folderId\":\"f\",\"windowSize\":5.0}", "invalidArguments", "windowSize"},
		{"{\"folderId\":\"f\",\"conflictPolicy\":\"both\"}", "invalidArguments",
		 "conflictPolicy"},
		{"{\"folderId\":\"f\",\"conflictPolicy\":1}", "invalidArguments", "conflictPolicy"},
		{"{\"folderId\":\"f\",\"changes\":[]}", "invalidArguments", "changes"},
		{"{\"folderId\":\"f\",\"changes\":{\"upsert\":[]}}", "invalidArguments", "changes"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":{}}}", "invalidArguments", "changes"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[1]}}", "invalidArguments",
		 "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[{\"fields\":{}}]}}",
		 "invalidArguments", "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[{\"clientId\":\"a b\",\"fields\":{}}]}}",
		 "invalidArguments", "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[{\"clientId\":\"c\"}]}}",
		 "invalidArguments", "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[{\"clientId\":\"c\",\"fields\":[]}]}}",
		 "invalidArguments", "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[{\"clientId\":\"c\",\"fields\":{},"
		 "\"type\":\"spaceship\"}]}}", "invalidArguments", "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[{\"clientId\":\"c\",\"fields\":{},"
		 "\"type\":null}]}}", "invalidArguments", "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"create\":[{\"clientId\":\"c\",\"fields\":{},"
		 "\"id\":\"x\"}]}}", "invalidArguments", "changes.create"},
		{"{\"folderId\":\"f\",\"changes\":{\"update\":[{\"baseVersion\":1,\"fields\":{}}]}}",
		 "invalidArguments", "changes.update"},
		{"{\"folderId\":\"f\",\"changes\":{\"update\":[{\"id\":\"i\",\"fields\":{}}]}}",
		 "invalidArguments", "changes.update"},
		{"{\"folderId\":\"f\",\"changes\":{\"update\":[{\"id\":\"i\",\"baseVersion\":-1,"
		 "\"fields\":{}}]}}", "invalidArguments", "changes.update"},
		{"{\"folderId\":\"f\",\"changes\":{\"update\":[{\"id\":\"i\",\"baseVersion\":\"3\","
		 "\"fields\":{}}]}}", "invalidArguments", "changes.update"},
		{"{\"folderId\":\"f\",\"changes\":{\"update\":[{\"id\":\"i\",\"baseVersion\":1}]}}",
		 "invalidArguments", "changes.update"},
		{"{\"folderId\":\"f\",\"changes\":{\"update\":[{\"id\":\"i\",\"baseVersion\":1,"
		 "\"fields\":{},\"clientId\":\"c\"}]}}", "invalidArguments", "changes.update"},
		{"{\"folderId\":\"f\",\"changes\":{\"delete\":[{\"id\":\"i\"}]}}",
		 "invalidArguments", "changes.delete"},
		{"{\"folderId\":\"f\",\"changes\":{\"delete\":[{\"id\":\"i\",\"baseVersion\":1,"
		 "\"fields\":{}}]}}", "invalidArguments", "changes.delete"},
		{"{\"folderId\":\"f\",\"changes\":{\"delete\":[{\"id\":7,\"baseVersion\":1}]}}",
		 "invalidArguments", "changes.delete"},
	};
	at_arena *a = at_arena_new(0);
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		json_t *j = parse(table[i].json);
		at_item_sync_req req;
		at_error err;
		at_error_clear(&err);
		int rc = at_item_sync_req_decode(j, a, &req, &err);
		json_decref(j);
		check(rc == -1, "case %zu accepted: %s", i, table[i].json);
		check(strcmp(err.code, table[i].code) == 0, "case %zu: code %s", i, err.code);
		check(strcmp(err.field, table[i].field) == 0,
		      "case %zu: error names field \"%s\", expected \"%s\" (%s)", i, err.field,
		      table[i].field, table[i].json);
		check(err.message[0] != '\0', "case %zu: empty message", i);
	}
	at_arena_free(&a);
}

/* An unknown argument is also an invalid argument, and the protocol says
 * `field` names it (docs/protocol.md §2): the client must learn which one. */
static void test_sync_req_unknown_argument_is_named(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"{\"folderId\":\"f\",\"bogus\":1}", "bogus"},
		{"{\"window\":5,\"folderId\":\"f\"}", "window"},
	};
	int rc[N_ELEMS(cases)];
	at_error err[N_ELEMS(cases)];
	at_arena *a = at_arena_new(0);
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *j = parse(cases[i][0]);
		at_item_sync_req req;
		at_error_clear(&err[i]);
		rc[i] = at_item_sync_req_decode(j, a, &req, &err[i]);
		json_decref(j);
	}
	at_arena_free(&a);  /* before asserting: a failure must not also leak */
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		check(rc[i] == -1, "%s accepted", cases[i][0]);
		check(strcmp(err[i].code, "invalidArguments") == 0, "code %s", err[i].code);
		check(strstr(err[i].message, cases[i][1]) != NULL, "message %s", err[i].message);
		check(strcmp(err[i].field, cases[i][1]) == 0,
		      "unknown argument \"%s\": error field is \"%s\"", cases[i][1], err[i].field);
	}
}

static json_t *n_deletes(size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s,s:i}", "id", "i", "baseVersion", 1));
	return json_pack("{s:s,s:{s:o}}", "folderId", "f", "changes", "delete", list);
}

static void test_sync_req_change_limit(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(0);
	at_item_sync_req req;
	at_error err;
	json_t *j = n_deletes(AT_MAX_CHANGES_IN_SYNC);
	assert_int_equal(at_item_sync_req_decode(j, a, &req, &err), 0);
	assert_int_equal(req.n_changes, AT_MAX_CHANGES_IN_SYNC);
	json_decref(j);
	j = n_deletes(AT_MAX_CHANGES_IN_SYNC + 1);
	at_error_clear(&err);
	assert_int_equal(at_item_sync_req_decode(j, a, &req, &err), -1);
	assert_string_equal(err.code, AT_E_LIMIT);
	assert_string_equal(err.field, "changes");
	json_decref(j);
	at_arena_free(&a);
}

static void test_sync_req_encode_decode_round_trip(void **state)
{
	(void)state;
	at_arena *a = at_arena_new(0);
	json_t *f1 = parse("{\"firstName\":\"Ada\",\"categories\":[\"a\",\"b\"]}");
	json_t *f2 = parse("{\"lastName\":\"L\\u00f6we\",\"private\":true}");
	json_t *p1 = parse("{\"company\":null}");
	json_t *p2 = parse("{\"notes\":\"line\\nline\"}");
	/* given out of kind order: the encoder groups, decoding gives
	 * creates, updates, deletes in their original relative order */
	at_change in[] = {
		{.kind = AT_CHANGE_UPDATE, .id = "item-1", .base_version = 7, .fields = p1},
		{.kind = AT_CHANGE_CREATE, .client_id = "c-1", .fields = f1},
		{.kind = AT_CHANGE_DELETE, .id = "item-3", .base_version = 9},
		{.kind = AT_CHANGE_CREATE, .client_id = "c-2", .type = "contact", .fields = f2},
		{.kind = AT_CHANGE_UPDATE, .id = "item-2", .base_version = 0, .fields = p2},
	};
	at_item_sync_req req = {.folder_id = "folder-9", .since_token = "1-12-abc",
				.window = 77, .policy = AT_POLICY_CLIENT,
				.changes = in, .n_changes = N_ELEMS(in)};
	json_t *enc = at_item_sync_req_encode(&req);
	assert_non_null(enc);
	/* through text, as on the wire */
	char *text = json_dumps(enc, JSON_COMPACT);
	json_decref(enc);
	json_t *wire = parse(text);
	free(text);
	at_item_sync_req back;
	at_error err;
	at_error_clear(&err);
	check(at_item_sync_req_decode(wire, a, &back, &err) == 0, "decode: %s", err.message);
	assert_string_equal(back.folder_id, "folder-9");
	assert_string_equal(back.since_token, "1-12-abc");
	assert_int_equal(back.window, 77);
	assert_int_equal(back.policy, AT_POLICY_CLIENT);
	assert_int_equal(back.n_changes, 5);
	const at_change *want[] = {&in[1], &in[3], &in[0], &in[4], &in[2]};
	for (size_t i = 0; i < 5; i++) {
		const at_change *g = &back.changes[i], *w = want[i];
		check(g->kind == w->kind, "change %zu: kind %d", i, (int)g->kind);
		if (w->kind == AT_CHANGE_CREATE) {
			assert_string_equal(g->client_id, w->client_id);
			if (w->type != NULL)
				assert_string_equal(g->type, w->type);
			else
				assert_null(g->type);
		} else {
			assert_string_equal(g->id, w->id);
			assert_int_equal(g->base_version, w->base_version);
		}
		if (w->kind == AT_CHANGE_DELETE)
			assert_null(g->fields);
		else
			check(json_equal(g->fields, w->fields), "change %zu: fields differ", i);
	}
	json_decref(wire);

	/* no token, no changes */
	at_item_sync_req empty = {.folder_id = "f", .window = AT_DEFAULT_WINDOW};
	enc = at_item_sync_req_encode(&empty);
	assert_true(json_is_null(json_object_get(enc, "sinceToken")));
	assert_null(json_object_get(enc, "changes"));
	assert_int_equal(at_item_sync_req_decode(enc, a, &back, &err), 0);
	assert_null(back.since_token);
	assert_int_equal(back.n_changes, 0);
	assert_int_equal(back.policy, AT_POLICY_SERVER);
	json_decref(enc);

	json_decref(f1);
	json_decref(f2);
	json_decref(p1);
	json_decref(p2);
	at_arena_free(&a);
}

/* --- helpers -------------------------------------------------------------- */

static void test_ids_and_policies(void **state)
{
	(void)state;
	char id64[AT_MAX_ID_LEN + 2];
	memset(id64, 'Z', sizeof(id64));
	id64[AT_MAX_ID_LEN] = '\0';
	assert_true(at_id_valid(id64));
	id64[AT_MAX_ID_LEN] = 'Z';
	id64[AT_MAX_ID_LEN + 1] = '\0';
	assert_false(at_id_valid(id64));
	static const struct { const char *id; bool ok; } table[] = {
		{"a", true}, {"A-z_0.9:x", true}, {"0123456789abcdef01234567", true},
		{"", false}, {"a b", false}, {"a/b", false}, {"a\"b", false},
		{"\xc3\xa9", false}, {"a\n", false}, {"a+b", false},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++)
		check(at_id_valid(table[i].id) == table[i].ok, "id \"%s\"", table[i].id);

	at_policy p = AT_POLICY_CLIENT;
	assert_int_equal(at_policy_parse("server", &p), 0);
	assert_int_equal(p, AT_POLICY_SERVER);
	assert_int_equal(at_policy_parse("client", &p), 0);
	assert_int_equal(p, AT_POLICY_CLIENT);
	assert_int_equal(at_policy_parse("Server", &p), -1);
	assert_int_equal(at_policy_parse("", &p), -1);
	assert_string_equal(at_policy_name(AT_POLICY_SERVER), "server");
	assert_string_equal(at_policy_name(AT_POLICY_CLIENT), "client");

	char h1[2 * 12 + 1], h2[2 * 12 + 1];
	at_random_hex(h1, 12);
	at_random_hex(h2, 12);
	assert_int_equal(strlen(h1), 24);
	assert_int_equal(strspn(h1, "0123456789abcdef"), 24);
	assert_string_not_equal(h1, h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_round_trip),
		cmocka_unit_test(test_token_rejects_malformed),
		cmocka_unit_test(test_token_rejects_non_digit_modseq),
		cmocka_unit_test(test_envelope_ok),
		cmocka_unit_test(test_envelope_call_limit),
		cmocka_unit_test(test_envelope_malformed),
		cmocka_unit_test(test_sync_req_defaults_and_full),
		cmocka_unit_test(test_sync_req_errors_name_the_member),
		cmocka_unit_test(test_sync_req_unknown_argument_is_named),
		cmocka_unit_test(test_sync_req_change_limit),
		cmocka_unit_test(test_sync_req_encode_decode_round_trip),
		cmocka_unit_test(test_ids_and_policies),
	};
	return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}
