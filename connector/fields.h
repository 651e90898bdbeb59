/* fields.h — arithmetic on item field sets.
 *
 * An item's content is a JSON object of wire fields (only the set ones).
 * The connector keeps two of them per item: the local current state and the
 * last state the server acknowledged (the base).  This module computes the
 * patch between them (what an update sends), applies a patch, and merges a
 * server state into a locally modified item (three-way, field by field).
 *
 * Ownership: functions returning json_t * return a new reference owned by
 * the caller; arguments are borrowed and never modified unless stated. */
#ifndef AC_FIELDS_H
#define AC_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

#include "protocol.h"

/* The patch turning base into current: every field whose value differs, and
 * null for every field of base that current lacks.  base NULL means an empty
 * base.  An empty object when both are equal. */
json_t *ac_fields_patch(json_t *base, json_t *current);

/* Applies patch to fields in place: null removes a field, anything else
 * replaces it. */
void ac_fields_apply(json_t *fields, json_t *patch);

/* Three-way merge of a server state into a local one that was derived from
 * base (NULL: empty).  Fields the local side did not change take the server
 * value; fields only the local side changed keep the local value; fields
 * both sides changed to different values follow policy (server: the server
 * value wins; client: the local one).  The losing values of such fields go
 * into *lost_r (an object, null for "was not set"), or *lost_r is NULL when
 * nothing was lost.  lost_r may be NULL. */
json_t *ac_fields_merge(json_t *base, json_t *local, json_t *server, at_policy policy,
			json_t **lost_r);

#endif
