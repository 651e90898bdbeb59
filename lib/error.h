/* error.h — the typed error shared by library, server, connector and wire.
 *
 * Every failure that can reach a user carries: a code (a stable camelCase
 * word such as "fieldTooLong"), a scope (which part of the work it stops:
 * one item, one folder, the account, or the whole server), a retry class
 * (temporary: try again soon; wait: try again after a while or a change;
 * final: will not succeed as is), a human message, and where it applies the
 * field it is about.  Functions fill a caller-provided at_error (no
 * allocation), so errors can be produced anywhere, including out of memory
 * paths. */
#ifndef AT_ERROR_H
#define AT_ERROR_H

#include <stdbool.h>

typedef enum at_scope {
	AT_SCOPE_ITEM = 0,
	AT_SCOPE_FOLDER,
	AT_SCOPE_ACCOUNT,
	AT_SCOPE_SERVER,
} at_scope;

typedef enum at_retry {
	AT_RETRY_FINAL = 0,
	AT_RETRY_TEMPORARY,
	AT_RETRY_WAIT,
} at_retry;

#define AT_ERROR_CODE_MAX 48
#define AT_ERROR_MESSAGE_MAX 512
#define AT_ERROR_FIELD_MAX 64

typedef struct at_error {
	char code[AT_ERROR_CODE_MAX];   /* "" when no error */
	at_scope scope;
	at_retry retry;
	char message[AT_ERROR_MESSAGE_MAX];
	char field[AT_ERROR_FIELD_MAX]; /* "" when not about one field */
	int http_status;                /* suggested status when it ends a request */
	long retry_after;               /* seconds, for AT_RETRY_WAIT; 0 = unknown */
} at_error;

/* Well-known codes (the protocol document lists them all). */
#define AT_E_INVALID_ARGUMENTS "invalidArguments"
#define AT_E_FIELD_TOO_LONG "fieldTooLong"
#define AT_E_INVALID_FIELD "invalidField"
#define AT_E_UNKNOWN_FIELD "unknownField"
#define AT_E_NOT_FOUND "notFound"
#define AT_E_FORBIDDEN "forbidden"
#define AT_E_UNAUTHORIZED "unauthorized"
#define AT_E_TOO_MANY_ATTEMPTS "tooManyAttempts"
#define AT_E_CONFLICT "conflict"
#define AT_E_ITEM_DELETED "itemDeleted"
#define AT_E_CANNOT_CALCULATE "cannotCalculateChanges"
#define AT_E_INVALID_TOKEN "invalidToken"
#define AT_E_WEAK_PASSWORD "weakPassword"
#define AT_E_WRONG_PASSWORD "wrongPassword"
#define AT_E_UNKNOWN_METHOD "unknownMethod"
#define AT_E_LIMIT "limitExceeded"
#define AT_E_NOT_JSON "notJSON"
#define AT_E_NOT_REQUEST "notRequest"
#define AT_E_SERVER "serverFail"
#define AT_E_UNAVAILABLE "serverUnavailable"
#define AT_E_EXISTS "alreadyExists"
#define AT_E_LAST_ADMIN "lastAdmin"
#define AT_E_DEFAULT_FOLDER "defaultFolder"
/* an appointment's time is taken: the error object on the wire has a
 * "conflicts" list (docs/protocol.md) */
#define AT_E_APPOINTMENT_CONFLICT "appointmentConflict"

void at_error_clear(at_error *err);
bool at_error_is_set(const at_error *err);
/* Sets every part; field may be NULL.  Returns -1 so callers can write
 * "return at_error_set(...)".  http_status is derived from the code and can be
 * overridden afterwards. */
int at_error_set(at_error *err, const char *code, at_scope scope, at_retry retry,
		 const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int at_error_copy(at_error *dst, const at_error *src);
/* Error messages may quote input cut at a byte count: replaces broken UTF-8
 * sequences and control characters in the message by '?'. */
void at_error_scrub(at_error *err);

const char *at_scope_name(at_scope scope);
int at_scope_parse(const char *name, at_scope *scope_r);
const char *at_retry_name(at_retry retry);
int at_retry_parse(const char *name, at_retry *retry_r);
/* The HTTP status a code maps to when it ends a whole request. */
int at_error_http_status(const char *code);

#endif
