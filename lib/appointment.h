/* appointment.h — an appointment item's fields as a recurring series, its
 * occurrences, and the edits of one occurrence or of "this and following".
 *
 * The fields are those of the model (model_appointment.c; the protocol
 * document's appointment table).  One item holds a whole series: start and
 * end of its first occurrence, rrule, rdates, exdates, and overrides, each
 * override being {recurrenceId, the fields that differ for that occurrence}.
 * Times are wire DATETIMEs (model.h): a zoned appointment has UTC instants
 * and a timeZone (none means UTC) in which its rule runs, so that a 09:00
 * Europe/Paris meeting stays at 09:00 across daylight-saving changes; a
 * floating one has local times and no zone; an all-day one has dates (end
 * is exclusive: the day after the last day).  A recurrence id (exdates, the
 * overrides' recurrenceId) is the original start of the occurrence, in the
 * same form as start; exdates may also be dates for a timed series (the
 * occurrence of that local day).
 *
 * Recurrence itself is lib/recur.h's: this module only translates fields to
 * an at_recur_series and back, so the server's validation, the connector's
 * offline listing and the iCalendar mapping all expand the same way.
 *
 * Ownership: json_t * arguments are borrowed (the edit functions change
 * `fields` in place); returned json_t * are new references owned by the
 * caller; everything else returned lives in the caller's arena.  json_t *
 * inside returned structs are borrowed from `fields`. */
#ifndef AT_APPOINTMENT_H
#define AT_APPOINTMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "ical.h"
#include "recur.h"

/* The kind of an appointment's times. */
typedef enum at_appt_kind {
	AT_APPT_ZONED = 0,  /* UTC instants (with timeZone, or in UTC) */
	AT_APPT_FLOATING,   /* local times without a zone */
	AT_APPT_DATES,      /* all-day */
} at_appt_kind;

typedef struct at_appt {
	at_appt_kind kind;
	const char *zone;          /* zoned: timeZone or "UTC"; else NULL */
	at_recur_time start, end;  /* as stored (instants have tzid "UTC") */
	at_recur_series series;    /* dtstart in `zone` */
	bool recurring;            /* rrule or rdates */
	json_t **override_objs;    /* series.overrides[i] comes from this object */
} at_appt;

/* Reads the fields into *a (the fields must hold start and end of one kind;
 * everything is checked again here, so a bad value is an error, never a
 * crash).  field names the offending field. */
int at_appt_load(json_t *fields, at_arena *arena, at_appt *a, at_error *err);

/* The whole-item checks of the model: kinds of start/end and of the
 * recurrence ids, allDay, timeZone, end after start, unique recurrence ids,
 * and the rule against the start (at_recur_check). */
int at_appt_check(json_t *fields, at_error *err);

typedef struct at_appt_occurrence {
	at_recur_occurrence occ;
	json_t *override;          /* the override object, or NULL */
} at_appt_occurrence;

/* Occurrences of a loaded appointment overlapping [from, to) (UTC
 * instants), floating and all-day ones read in floating_zone (NULL: UTC),
 * sorted by start.  Limits as in at_recur_expand(). */
int at_appt_expand(const at_appt *a, int64_t from, int64_t to, const char *floating_zone,
		   const at_recur_limits *limits, at_arena *arena,
		   at_appt_occurrence **occ_r, size_t *n_r, at_error *err);

/* The wire form of an occurrence's recurrence id, start and end. */
void at_appt_occurrence_times(const at_appt *a, const at_appt_occurrence *o,
			      char rid[21], char start[21], char end[21]);

/* The fields of one occurrence: the series' fields without rrule, rdates,
 * exdates and overrides, with the override's fields, and start, end and
 * recurrenceId of the occurrence (recurrenceId only for a recurring one). */
json_t *at_appt_occurrence_fields(json_t *fields, const at_appt *a,
				  const at_appt_occurrence *o);

/* The occurrence `when` names, as its recurrence id in wire form (rid_r, 21
 * bytes).  when: a wire DATETIME equal to a recurrence id or to the current
 * start of an occurrence; a local time "YYYY-MM-DDTHH:MM[:SS]" in zone; or a
 * date, naming the one occurrence whose original (else current) start falls
 * on that day in zone (floating and all-day series: their own days).
 * notFound when no occurrence matches, invalidArguments when a date matches
 * several (give the time then). */
int at_appt_find(json_t *fields, const char *when, const char *zone, char *rid_r,
		 at_error *err);

/* Removes one occurrence: its recurrence id joins exdates, and an override
 * of it is dropped. */
int at_appt_exclude(json_t *fields, const char *rid, at_error *err);

/* Changes one occurrence: patch (fields of an override: start, end, subject,
 * location, label, reminderMinutes, showAs, notes, categories, participants,
 * icalExtra; null returns a field to the series' value) is merged into the
 * override of rid, made when there is none; an override left with no field
 * is dropped.  Other fields are invalidField ("cannot differ for one
 * occurrence"). */
int at_appt_override(json_t *fields, const char *rid, json_t *patch, at_error *err);

/* After the series' times or rule changed: drops the exdates and overrides
 * whose recurrence id is no longer an occurrence of the series (as Outlook
 * drops its exceptions when the pattern changes).  *dropped_r (may be
 * NULL) gets their number. */
int at_appt_prune(json_t *fields, size_t *dropped_r, at_error *err);

/* "This and following": cuts the series at the occurrence rid.  fields keep
 * the occurrences before rid (the rule ends before it; exdates, rdates and
 * overrides before it stay); *new_r gets the fields of a new series from
 * rid on (the same fields, start/end of that occurrence, the rest of the
 * rule, the later exdates, rdates and overrides, uid new_uid, no sequence).
 * When rid is the first occurrence nothing is cut and *new_r is NULL: the
 * edit applies to the whole series. */
int at_appt_split(json_t *fields, const char *rid, const char *new_uid, json_t **new_r,
		  at_error *err);

/* ---- iCalendar (appointment_ical.c) ------------------------------------ */

/* The mapping between the VEVENTs of ical.h and appointment fields:
 * SUMMARY subject, LOCATION location, DESCRIPTION notes, DTSTART/DTEND
 * (or DURATION) start/end/timeZone/allDay, RRULE rrule, RDATE rdates,
 * EXDATE exdates, instances with RECURRENCE-ID overrides (only what differs
 * from the series; STATUS:CANCELLED ones become exdates), ORGANIZER,
 * ATTENDEE participants (PARTSTAT status, ROLE role, RSVP, CN name,
 * X-RESPONSE-COMMENT comment, other parameters in icalParams), CATEGORIES,
 * CLASS private, TRANSP and X-MICROSOFT-CDO-BUSYSTATUS showAs,
 * X-ATRIUM-LABEL label, the first DISPLAY alarm before the start
 * reminderMinutes, SEQUENCE, UID.  Everything else (other properties and
 * alarms, unknown components, STATUS, PRIORITY, EXRULE, a second RRULE) is
 * kept verbatim in icalExtra and written back on export.  DTSTAMP is not
 * kept: the writer of a file stamps it.  Text of one line (subject,
 * location) gets spaces for line breaks.
 *
 * Zones: an IANA zone is kept; a custom VTIMEZONE (a Windows display name
 * such as "Canberra, Melbourne, Sydney") is matched to the IANA zone with
 * the same offsets in the years it is used, preferring one whose city the
 * TZID names, so that its series expand in the right zone (no match: the
 * instants are kept and the rule runs in UTC); a TZID without a
 * definition gives floating times.  Floating times stay floating, dates
 * dates.  Round trip: from_ical(to_ical(from_ical(e))) == from_ical(e). */
typedef struct at_appt_ical at_appt_ical;

/* The zone matches of one parsed calendar, computed once for its events
 * (in arena; libical objects are freed before it returns). */
at_appt_ical *at_appt_ical_new(const at_ical_calendar *cal, at_arena *arena);

/* The fields of an event (a VEVENT with its overrides).  *fields_r is a new
 * object; it still has to pass at_model_validate(), which is where limits
 * are enforced. */
int at_appt_from_ical(at_appt_ical *ctx, const at_ical_item *ev, json_t **fields_r,
		      at_error *err);

/* Is icalExtra text iCalendar properties (and components) of one event?
 * Its lines are LF-separated and unfolded.  The model's check. */
int at_appt_ical_extra_check(const char *extra, at_error *err);

/* The VEVENT (with its overrides) of valid fields, for at_ical_write(); uid
 * when fields have none.  Everything lives in arena. */
int at_appt_to_ical(json_t *fields, const char *uid, at_arena *arena, at_ical_item *ev_r,
		    at_error *err);

#endif
