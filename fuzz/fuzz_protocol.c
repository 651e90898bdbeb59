/* fuzz_protocol.c — libFuzzer target for the sync protocol decoders.
 *
 * Input: a request body.  Parsed as the server does (jansson, duplicate keys
 * refused, size capped at the request limit), then the envelope is decoded;
 * every call whose arguments are an object goes through the Item/sync
 * request decoder, and every change that carries fields through contact
 * validation (patch rules for updates).  A request that decodes must also
 * survive encode -> decode unchanged in shape: the connector encodes what the
 * server decodes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "error.h"
#include "model.h"
#include "protocol.h"

/* Smaller than AT_MAX_REQUEST_BYTES: big inputs only slow the fuzzer down
 * without reaching new code. */
#define FUZZ_MAX_INPUT (1u << 20)

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_protocol: invariant broken: %s\n", what);
		abort();
	}
}

static void check_round_trip(const at_item_sync_req *req, at_arena *a)
{
	json_t *enc = at_item_sync_req_encode(req);
	invariant(enc != NULL, "encode returned NULL");
	at_item_sync_req back;
	at_error err;
	at_error_clear(&err);
	int rc = at_item_sync_req_decode(enc, a, &back, &err);
	if (rc != 0)
		fprintf(stderr, "re-decode: %s: %s\n", err.code, err.message);
	invariant(rc == 0, "a decoded request does not decode after encoding");
	invariant(back.n_changes == req->n_changes, "change count differs");
	invariant(back.window == req->window, "window differs");
	invariant(back.policy == req->policy, "policy differs");
	invariant(strcmp(back.folder_id, req->folder_id) == 0, "folderId differs");
	invariant((back.since_token == NULL) == (req->since_token == NULL) &&
		  (back.since_token == NULL || strcmp(back.since_token, req->since_token) == 0),
		  "sinceToken differs");
	for (size_t i = 0; i < req->n_changes; i++) {
		const at_change *x = &req->changes[i], *y = &back.changes[i];
		invariant(x->kind == y->kind, "change kind differs");
		invariant(x->base_version == y->base_version, "baseVersion differs");
		invariant(x->fields == NULL ? y->fields == NULL : json_equal(x->fields, y->fields),
			  "fields differ");
	}
	json_decref(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	json_error_t jerr;
	json_t *body = json_loadb((const char *)data, size,
				  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (body == NULL)
		return 0;
	at_arena *a = at_arena_new(0);
	const at_item_type *contact = at_model_item_type("contact");
	at_envelope env;
	at_error err;
	at_error_clear(&err);
	if (at_envelope_decode(body, a, &env, &err) == 0) {
		invariant(env.n_calls <= AT_MAX_CALLS_IN_REQUEST, "too many calls accepted");
		for (size_t i = 0; i < env.n_calls; i++) {
			const at_call *call = &env.calls[i];
			invariant(call->name != NULL && call->call_id != NULL, "call without name/id");
			if (!json_is_object(call->args))
				continue;
			at_item_sync_req req;
			at_error_clear(&err);
			if (at_item_sync_req_decode(call->args, a, &req, &err) < 0) {
				invariant(at_error_is_set(&err), "decoder failed without an error");
				json_decref(at_error_to_json(&err));
				continue;
			}
			invariant(req.window >= 1 && req.window <= AT_MAX_WINDOW, "window range");
			invariant(req.n_changes <= AT_MAX_CHANGES_IN_SYNC, "too many changes");
			for (size_t k = 0; k < req.n_changes; k++) {
				const at_change *c = &req.changes[k];
				if (c->fields == NULL)
					continue;
				at_error verr;
				at_error_clear(&verr);
				if (at_model_validate(contact, c->fields, c->kind == AT_CHANGE_UPDATE,
						      &verr) < 0) {
					invariant(at_error_is_set(&verr), "validate failed silently");
					json_decref(at_error_to_json(&verr));
				}
			}
			check_round_trip(&req, a);
		}
	} else {
		invariant(at_error_is_set(&err), "envelope refused without an error");
		json_decref(at_error_to_json(&err));
	}
	at_arena_free(&a);
	json_decref(body);
	return 0;
}
