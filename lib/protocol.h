/* protocol.h — the JSON codec of the sync protocol (docs/protocol.md).
 *
 * Shared by the server and the connector so that both sides read and write
 * the same shapes: the request envelope, sync tokens, typed errors on the
 * wire, and the Item/sync request (both directions: the server decodes what
 * the connector encodes).  Decoders take outside input: they check every
 * type and limit and fail with invalidArguments naming the member.
 *
 * Ownership: decoded structs borrow strings and json_t values from the
 * jansson document they were decoded from (keep it alive), and arrays are
 * allocated from the given arena.  Encoders return new jansson references
 * owned by the caller. */
#ifndef AT_PROTOCOL_H
#define AT_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "model.h"

#define AT_CAPABILITY_CORE "atrium:core"
#define AT_MAX_CALLS_IN_REQUEST 64
#define AT_MAX_REQUEST_BYTES (16u * 1024 * 1024)
#define AT_MAX_CHANGES_IN_SYNC 1024
#define AT_DEFAULT_WINDOW 50
#define AT_MAX_WINDOW 512
#define AT_MAX_CALL_ID 64
#define AT_TOKEN_MAX 128

/* --- typed errors on the wire ------------------------------------------ */

/* {"type": code, "scope": ..., "retry": ..., "message": ..., "field"?,
 *  "retryAfter"?} */
json_t *at_error_to_json(const at_error *err);
/* Reads a wire error; unknown scope/retry words fall back to server/final. */
void at_error_from_json(json_t *obj, at_error *err_r);

/* --- sync tokens ----------------------------------------------------------
 * A token names a position in the server's change order: every change with
 * (modseq, id) <= (modseq, last_id) has been seen.  last_id empty means every
 * change with modseq <= modseq. */
typedef struct at_token {
	int64_t modseq;
	char last_id[AT_MAX_ID_LEN + 1];
} at_token;

void at_token_format(const at_token *tok, char buf[AT_TOKEN_MAX]);
int at_token_parse(const char *s, at_token *tok_r, at_error *err);

/* --- conflict policy ------------------------------------------------------ */
typedef enum at_policy { AT_POLICY_SERVER = 0, AT_POLICY_CLIENT } at_policy;
const char *at_policy_name(at_policy p);
int at_policy_parse(const char *s, at_policy *p_r);

/* --- request envelope ----------------------------------------------------- */
typedef struct at_call {
	const char *name;
	json_t *args;       /* object */
	const char *call_id;
} at_call;

typedef struct at_envelope {
	at_call *calls;
	size_t n_calls;
} at_envelope;

/* body: {"using": [...], "methodCalls": [[name, {args}, callId], ...]} */
int at_envelope_decode(json_t *body, at_arena *arena, at_envelope *env_r,
		       at_error *err);

/* --- Item/sync ------------------------------------------------------------ */
typedef enum at_change_kind {
	AT_CHANGE_CREATE = 0,
	AT_CHANGE_UPDATE,
	AT_CHANGE_DELETE,
} at_change_kind;

typedef struct at_change {
	at_change_kind kind;
	const char *client_id; /* create */
	const char *type;      /* create: item type, default for the module */
	const char *id;        /* update, delete */
	int64_t base_version;  /* update, delete */
	json_t *fields;        /* create: all fields; update: the patch */
	bool ignore_conflicts; /* create, update: "ignoreConflicts": write an
				* appointment even when a person is busy */
} at_change;

typedef struct at_item_sync_req {
	const char *folder_id;
	const char *since_token;   /* NULL: from the beginning */
	unsigned window;
	at_policy policy;
	at_change *changes;        /* creates, updates, deletes in that order */
	size_t n_changes;
} at_item_sync_req;

int at_item_sync_req_decode(json_t *args, at_arena *arena, at_item_sync_req *req_r,
			    at_error *err);
json_t *at_item_sync_req_encode(const at_item_sync_req *req);

/* --- helpers --------------------------------------------------------------- */
/* Checks an id supplied by a client: 1..AT_MAX_ID_LEN characters of
 * [A-Za-z0-9._:-]. */
bool at_id_valid(const char *s);
/* Sorts a JSON array in place with qsort(); cmp gets two json_t *const *. */
void at_json_array_sort(json_t *arr, int (*cmp)(const void *, const void *));
/* Fills buf (2*nbytes+1) with random hex (libsodium). */
void at_random_hex(char *buf, size_t nbytes);

#endif
