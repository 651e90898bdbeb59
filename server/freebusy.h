/* freebusy.h — free/busy: when people are busy, for the scheduling view
 * (docs/protocol.md §6, Calendar/getFreeBusy; the manual's §2.2 calendar).
 *
 * For each principal asked (a login) the answer is the merged busy time of
 * every calendar folder the principal owns over [from, to): appointments
 * and their recurrences expanded (lib/appointment.h, so overrides and
 * deleted occurrences count as in the calendar itself), each moment
 * labelled with the strongest show-as of the appointments then
 * (outOfOffice > busy > tentative; an appointment without showAs is busy),
 * appointments shown as free left out.  Adjacent or overlapping stretches
 * of the same show-as are one interval.  Floating and all-day appointments
 * are read in the request's timeZone (UTC when none).
 *
 * Resources (rooms, equipment) answer like users, with type "resource".
 * An invitation copy counts as its attendee answered it: declined is free,
 * unanswered or tentative at most tentative.
 *
 * Free/busy is organisation-wide, as in Exchange: every user may ask it of
 * every user, and it tells times and show-as only.  With "details", the
 * single appointments behind it come too, but only those the asking user
 * could read anyway (rights on the folder, and private ones only to their
 * creator): subject and location of the others never leave the server.
 *
 * Limits: AS_FREEBUSY_MAX_PRINCIPALS principals, a range of at most
 * AS_FREEBUSY_MAX_DAYS days, and AS_FREEBUSY_MAX_OCCURRENCES occurrences
 * per principal (an answer that would need more is limitExceeded, asking
 * for a shorter range). */
#ifndef AS_FREEBUSY_H
#define AS_FREEBUSY_H

#include <jansson.h>

#include "error.h"
#include "sync.h"

#define AS_FREEBUSY_MAX_PRINCIPALS 100
#define AS_FREEBUSY_MAX_DAYS 366
#define AS_FREEBUSY_MAX_OCCURRENCES 10000  /* per principal and query */

json_t *as_calendar_freebusy(as_ctx *ctx, json_t *args, at_error *err);

/* One busy occurrence of a principal (as_freebusy_busy). */
typedef struct as_busy {
	int64_t start, end;        /* UTC seconds */
	const char *show_as;       /* "tentative", "busy" or "outOfOffice" */
	const char *item_id, *folder_id;
	const char *subject;       /* NULL unless ctx->user may read the appointment */
} as_busy;

/* The busy occurrences (not merged) of u's calendars overlapping
 * [from, to), as free/busy counts them, leaving out the appointment
 * exclude_id (may be NULL) and its invitation copies: what a new booking
 * of that appointment would collide with (invitations.h).  Runs in the
 * caller's transaction; the array lives in ctx->arena.  limitExceeded
 * past AS_FREEBUSY_MAX_OCCURRENCES occurrences. */
int as_freebusy_busy(as_ctx *ctx, const as_user *u, int64_t from, int64_t to,
		     const char *zone, const char *exclude_id, as_busy **busy_r, size_t *n_r,
		     at_error *err);

#endif
