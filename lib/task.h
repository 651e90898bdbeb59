/* task.h — the rules of a task item beyond its single fields: the coherence
 * of status, % complete and date completed, task series (a recurrence rule,
 * or "regenerate N units after completion") and what completing one of
 * them makes, and which fields only the server writes (delegation).
 *
 * The fields are those of the model (model_task.c; the protocol document's
 * task table).  Dates and times are wire DATETIMEs (model.h): a date, a UTC
 * instant (its rule runs in timeZone, UTC when none) or a floating time.
 * The rule of a series is anchored on due (on start when there is no due);
 * start, due and reminder keep their distances from it in every occurrence.
 *
 * Coherence (Outlook's rules, whichever field the client sent):
 *   - status completed            -> percentComplete 100, dateCompleted set
 *                                    (the one sent, else the stored one,
 *                                    else now)
 *   - percentComplete 100         -> status completed, dateCompleted set
 *   - dateCompleted set           -> status completed, percentComplete 100
 *   - status other than completed -> dateCompleted removed; notStarted sets
 *                                    percentComplete 0; a percentComplete of
 *                                    100 becomes 0
 *   - percentComplete 1..99       -> status inProgress when it was
 *                                    notStarted or completed
 *   - percentComplete 0           -> status notStarted when it was
 *                                    inProgress or completed
 *   - dateCompleted removed       -> on a completed task, like reopening:
 *                                    status inProgress when
 *                                    percentComplete is 1..99, else
 *                                    notStarted with percentComplete 0
 *                                    (on another task nothing to do)
 * When several of the three are sent, status decides, then percentComplete,
 * then dateCompleted; what was not sent follows; when none of them was
 * sent, status decides.  An absent status is notStarted, an absent
 * percentComplete 0 (neither is written when it stays so).
 *
 * Ownership: json_t * arguments are borrowed (functions named so change
 * them in place); returned json_t * are new references owned by the
 * caller. */
#ifndef AT_TASK_H
#define AT_TASK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* The model's check across fields (at_item_check_fn of model_task.c):
 * start not after due (same kind of value: dates with dates), not both
 * rrule and regenerate, the rule valid and producing an occurrence from
 * its anchor, a rule needs start or due, assignees unique (same login and
 * type, or same address ignoring case; the error names the later one,
 * "participants[3]"), icalExtra iCalendar properties of one VTODO.  A
 * patch is checked only for what it holds (a rule's anchor and its
 * occurrences only in a whole item).  Errors: invalidField naming the
 * field ("due" when start is after it). */
int at_task_check(json_t *fields, bool patch, at_error *err);

/* Makes status, percentComplete and dateCompleted of `fields` (the whole
 * item after a patch was merged, or a new item) coherent by the rules
 * above.  sent: the fields the client sent (the patch, or the whole new
 * item) — which of the three it holds decides; NULL: treat fields as sent.
 * now: UTC seconds, used when dateCompleted has to be made up (it is then
 * written as a UTC instant).  *changed_r (may be NULL) gets the names of
 * the fields this changed, as a new JSON array. */
int at_task_normalize(json_t *fields, json_t *sent, int64_t now, json_t **changed_r,
		      at_error *err);

/* Is the task completed (status completed)? */
bool at_task_is_completed(json_t *fields);

/* Does the task have a rule (rrule or regenerate)? */
bool at_task_is_series(json_t *fields);

/* Completing an occurrence of a series.  fields: the completed task (its
 * dateCompleted set; normalize first); now: UTC seconds (when
 * dateCompleted is missing).  *next_r gets the fields of the next
 * occurrence as a new object, or NULL when the series has ended (COUNT or
 * UNTIL reached):
 *   - rrule: the first occurrence of the rule strictly after the current
 *     anchor (in timeZone; the anchor itself counts as an occurrence, as
 *     DTSTART does); COUNT is reduced by one (a rule whose COUNT reaches 0
 *     has ended); a rule that needs more than recur.h's iteration limit to
 *     get there is limitExceeded;
 *   - regenerate: due (or start) = the completion date (in timeZone, UTC
 *     when none; a date for date tasks, the anchor's wall-clock time kept
 *     for timed ones) plus every * unit;
 * start, due and reminder keep their distances from the anchor, counted in
 * wall-clock time in timeZone (dates stay dates, rounded down to whole
 * days; instants stay instants; floating stays floating); a time past the
 * year 9999 is invalidField.  The next occurrence has status notStarted,
 * percentComplete 0; dateCompleted, uid, sequence, response,
 * responseComment, delegator and the participants' server fields are not
 * carried (participants are kept, their answers reset: status none, no
 * comment); everything else is copied, the rule included (COUNT reduced).
 * `fields` itself loses rrule and regenerate (also when the series has
 * ended): it stays behind as the completed occurrence.  On error `fields`
 * is left as it was.  Not a series: *next_r NULL, nothing changed. */
int at_task_next(json_t *fields, int64_t now, json_t **next_r, at_error *err);

/* Fields (and participant members) a client may not set or change: the
 * server writes them (delegation).  The list names the fields
 * ("delegator"); the participants' members taskId, taskStatus and
 * percentComplete are server-written too.  at_task_strip_server_fields()
 * removes them from what a client sent (a patch or a new item), keeping a
 * client's copy of stored values harmless: for participants it restores
 * each server member from `stored` (the stored fields, NULL for a new
 * item) by matching login and type or address; a removal (null) stays. */
extern const char *const at_task_server_fields[];  /* NULL-terminated */
void at_task_strip_server_fields(json_t *sent, json_t *stored);

/* "1w", "2d", "3m", "1y" (also "10 days", "1 week") -> {"every":1,"unit":
 * "week"}; NULL with err naming the text when it is not one. */
json_t *at_task_regenerate_parse(const char *text, at_error *err);
/* The reverse, into buf: "1w". */
void at_task_regenerate_format(json_t *regenerate, char *buf, size_t size);

/* ---- iCalendar (task_ical.c) ---- */

#include "arena.h"
#include "ical.h"

/* The mapping between the VTODOs of ical.h and task fields: SUMMARY
 * subject, DESCRIPTION notes, DTSTART start, DUE due (or DTSTART +
 * DURATION), their zone timeZone (an IANA TZID kept, a custom VTIMEZONE
 * matched as appointment.h does; dates stay dates, floating times
 * floating), STATUS status (NEEDS-ACTION notStarted, IN-PROCESS
 * inProgress, COMPLETED completed; waiting and deferred, which RFC 5545
 * lacks, are written IN-PROCESS / NEEDS-ACTION with X-ATRIUM-STATUS:
 * WAITING / DEFERRED and read back only beside that STATUS), PRIORITY
 * priority (1-4 high, 5 normal, 6-9 low, 0 none; written 1, 5, 9),
 * PERCENT-COMPLETE percentComplete, COMPLETED dateCompleted, the first
 * DISPLAY alarm reminder (an absolute trigger, or a relative one counted
 * from DUE (RELATED=END) or DTSTART; written back absolute), CATEGORIES,
 * CLASS private, RRULE rrule, UID, SEQUENCE, ATTENDEE participants
 * (PARTSTAT status, CN name, mailto: address, X-RESPONSE-COMMENT comment,
 * X-ATRIUM-TYPE/X-ATRIUM-LOGIN params for users and groups, X-ATRIUM-TASK-
 * ID/-TASK-STATUS/-PERCENT-COMPLETE params for the server's members),
 * ORGANIZER delegator (CN, address, X-ATRIUM-LOGIN, X-ATRIUM-TASK-ID).
 * Fields iCalendar lacks are X- properties: X-ATRIUM-TOTAL-WORK and
 * X-ATRIUM-ACTUAL-WORK (minutes), X-ATRIUM-COMPANIES, X-ATRIUM-MILEAGE,
 * X-ATRIUM-BILLING, X-ATRIUM-CONTACT (one per contact), X-ATRIUM-
 * REGENERATE ("2W": every and D, W, M or Y), X-ATRIUM-RESPONSE (PARTSTAT
 * words), X-ATRIUM-RESPONSE-COMMENT, and X-ATRIUM-TIMEZONE (timeZone when
 * no time carries a zone: dates, or times another client rewrote in UTC).
 * Everything else (other properties and alarms, unknown
 * components, LOCATION, EXDATE/RDATE/EXRULE, a second RRULE, STATUS
 * CANCELLED, the exact PRIORITY number, CLASS:CONFIDENTIAL, attendee
 * parameters without a field) is kept verbatim in icalExtra and written
 * back.  Not kept: DTSTAMP (the writer of a file stamps it), a second
 * STATUS, PRIORITY, CLASS or DURATION (had once), and instances of a recurring
 * to-do (RECURRENCE-ID beside their master): a task series is one item.  Round trip: from_ical(to_ical(f)) == f for
 * fields from_ical made; to_ical(from_ical(x)) keeps what x says. */

/* The fields of a VTODO of cal (cal: for its custom VTIMEZONEs).  Temporary
 * data in arena; *fields_r is a new object that still has to pass
 * at_model_validate() (where limits are enforced).  An item that is not a
 * VTODO is invalidArguments "line N: ...". */
int at_task_from_ical(const at_ical_calendar *cal, const at_ical_item *todo, at_arena *arena,
		      json_t **fields_r, at_error *err);

/* The VTODO of valid fields, for at_ical_write(); uid when fields have
 * none.  Everything lives in arena (strings may be borrowed from fields,
 * which must outlive the item).  invalidField naming the field for a
 * value that does not parse. */
int at_task_to_ical(json_t *fields, const char *uid, at_arena *arena, at_ical_item *todo_r,
		    at_error *err);

#endif
