/* invitations.h — what atriumd does when an appointment is written through
 * Item/sync: invitations of participants (their copies, their answers
 * flowing back), bookings of resources (rooms, equipment), conflicts with
 * the busy time of the people and resources invited, and the mail that
 * goes with it (notices to users, iMIP to external addresses).
 * docs/protocol.md, "Invitations, resources and conflicts", is the
 * contract; this header says how it is built.  The bookkeeping of copies
 * it shares with task delegation is copies.h's.
 *
 * The organizer's appointment is an appointment without `invitation` whose
 * `organizer` is absent (the server sets it to the writer) or names a user
 * by `login`.  One whose organizer is only an address (an invitation
 * received from outside, imported from a file) is left alone: no copies,
 * no mail, no conflict check.
 *
 * The hooks (hooks.h; the table in sync.c):
 *   - filter_sent: `invitation` and the participants' appointmentId,
 *     proposedStart, proposedEnd (and status/comment of user and resource
 *     participants) are the server's: taken from the stored item, never from
 *     the client;
 *   - before_write: on a copy, only the attendee's own fields may change
 *     (AS_INVITE_ATTENDEE_FIELDS; invalidField otherwise).  On the
 *     organizer's appointment: organizer and uid set when absent, groups
 *     expanded, users and resources checked, a reschedule (times or rule
 *     changed) resets every answer and increments sequence, and on a
 *     create or reschedule the people (organizer included) and resources
 *     are checked for conflicts against their free/busy time
 *     (freebusy.h, as_freebusy_busy) over the first year of the series:
 *     appointmentConflict with a "conflicts" list (error_extra); the
 *     change's ignoreConflicts waives it for people, never for resources;
 *   - after_write: every user and resource participant gets a copy in its
 *     default calendar (client id "atrium-invite:<organizer's item>:<user
 *     id>", made once), removed ones lose theirs, changes reach every copy;
 *     on a copy, the attendee's answer reaches the organizer's participant
 *     entry and every other copy's participants; mail is queued;
 *   - after_delete: deleting the organizer's appointment deletes its copies
 *     (cancel); deleting a copy declines.
 * Writes to other items are not part of the caller's echo suppression:
 * their owners get them by their next Item/sync (and push). */
#ifndef AS_INVITATIONS_H
#define AS_INVITATIONS_H

#include "hooks.h"

/* Client ids of the copies the server makes (reserved in sync.c). */
#define AS_INVITE_CID_PREFIX "atrium-invite:"
/* At most this many conflicts are listed in one error (the message counts
 * them all). */
#define AS_INVITE_MAX_CONFLICTS 100
/* How far into a series conflicts are looked for (days from its start). */
#define AS_INVITE_CONFLICT_DAYS 366

extern const as_item_hooks as_appointment_hooks;

#endif
