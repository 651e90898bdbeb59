/* recur.h — expansion of recurring appointments and tasks (RFC 5545).
 *
 * A series is DTSTART (a wall-clock time in an IANA zone, in UTC, floating,
 * or an all-day date), a duration, an RRULE, RDATEs, EXDATEs and overridden
 * instances (RECURRENCE-ID -> replacement start/end, or cancelled).
 * at_recur_expand() returns the occurrences that overlap a query range
 * [from, to), sorted by start, each with its UTC instants, its wall-clock
 * times and its recurrence id.
 *
 * The rule itself is iterated by libical 3 (icalrecur_iterator) in wall-clock
 * time, so a 09:00 Europe/Paris weekly meeting stays at 09:00 local across
 * daylight-saving changes; wall times become instants here, with RFC 5545
 * §3.3.5 rules for times that do not exist (spring gap: the offset before the
 * gap applies) or exist twice (autumn: the first one).  libical 3.0 gets both
 * of those wrong, which is why the conversion is done here on top of its
 * zone offsets.  Also written here and not left to libical: the syntax check
 * of at_recur_validate() (libical only says "malformed"), the refusal of
 * rules that can never produce an occurrence, and the iteration limits
 * (libical's iterator can spin for minutes inside one call on a sparse
 * sub-daily rule, and its set_start is wrong for sub-daily intervals).
 *
 * Recurrence-set semantics are those of a VEVENT: DTSTART is always an
 * occurrence even when the rule would not produce it; RDATEs add; EXDATEs
 * and EXRULEs remove (matched by instant, or by wall time for floating and
 * all-day series, and by local date when the EXDATE is a date and the series
 * is not).
 * An override whose RECURRENCE-ID matches no generated instance is still
 * returned (clients do write such moved instances).  RANGE=THISANDFUTURE is
 * not interpreted: split the series with at_recur_split() instead.
 *
 * Zones are IANA names resolved with libical's built-in zones (system
 * tzdata); "UTC" is UTC; NULL is floating.  Floating and all-day times have
 * no instant of their own: they are read in the query's floating_zone (UTC
 * when NULL).  Years 1..9999 are accepted; zone offsets past libical's
 * expansion horizon (about year 2580) are those of standard time.
 *
 * Ownership: inputs are borrowed for the duration of a call; everything
 * returned is allocated in the caller's arena (tzid pointers in results point
 * at the caller's input strings).  libical objects never escape a call and
 * are always freed before it returns.  Thread-safe as far as libical 3 is
 * (its zone cache is mutex-protected; errors are per thread). */
#ifndef AT_RECUR_H
#define AT_RECUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"

/* A wall-clock time or a date.  tzid: IANA name, "UTC", or NULL (floating;
 * always NULL for dates). */
typedef struct at_recur_time {
	int year, month, day;
	int hour, minute, second;  /* 0 for dates */
	bool is_date;
	const char *tzid;
} at_recur_time;

/* Length of one occurrence: days are nominal (wall-clock, so an all-day or
 * multi-day event keeps its dates across DST), seconds are exact. */
typedef struct at_recur_duration {
	int days;
	int64_t seconds;
} at_recur_duration;

typedef struct at_recur_rdate {
	at_recur_time start;
	bool has_end;              /* RDATE;VALUE=PERIOD: own end */
	at_recur_time end;
} at_recur_rdate;

typedef struct at_recur_override {
	at_recur_time recurrence_id;  /* the original start it replaces */
	bool cancelled;               /* true: the instance is removed */
	at_recur_time start, end;     /* replacement (unused when cancelled) */
} at_recur_override;

typedef struct at_recur_series {
	at_recur_time dtstart;        /* dtstart.tzid is the series' zone */
	at_recur_duration duration;
	const char *rrule;            /* RFC 5545 RECUR text, NULL = none */
	const at_recur_rdate *rdates;
	size_t n_rdates;
	const at_recur_time *exdates;
	size_t n_exdates;
	const at_recur_override *overrides;
	size_t n_overrides;
	const char *const *exrules;   /* RFC 2445 EXRULE (deprecated, still met) */
	size_t n_exrules;
} at_recur_series;

/* Where an occurrence comes from.  DTSTART is only named when the rule
 * does not produce it itself (an "off-rule" DTSTART). */
typedef enum at_recur_origin {
	AT_RECUR_FROM_RULE = 0,
	AT_RECUR_FROM_DTSTART,
	AT_RECUR_FROM_RDATE,
	AT_RECUR_FROM_OVERRIDE,
} at_recur_origin;

typedef struct at_recur_occurrence {
	int64_t start, end;                   /* UTC instants (seconds) */
	at_recur_time local_start, local_end; /* wall clock (override: its zone) */
	at_recur_time recurrence_id;          /* original start, series zone */
	bool overridden;
	at_recur_origin origin;
} at_recur_occurrence;

typedef struct at_recur_limits {
	unsigned max_occurrences;  /* per query (0 = AT_RECUR_MAX_OCCURRENCES) */
	unsigned max_iterations;   /* per rule and query (0 = default) */
} at_recur_limits;

#define AT_RECUR_MAX_OCCURRENCES 10000
#define AT_RECUR_MAX_ITERATIONS 100000
#define AT_RECUR_MAX_RULE_LEN 1024

/* The rule for "every work day". */
#define AT_RECUR_WORKDAYS "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"

/* Checks RRULE text: syntax (names, values and their ranges, each part once,
 * COUNT and UNTIL not together), the RFC 5545 combinations (BYWEEKNO only
 * with YEARLY, ...) and rules that can never produce an occurrence (BYMONTH=2
 * with BYMONTHDAY=30).  The error (invalidField, field "rrule") names the
 * part that is wrong.  A trailing ";" is tolerated (seen from Google). */
int at_recur_validate(const char *rrule, at_error *err);

/* Checks a whole series: times, zones, the rule against DTSTART (UNTIL of
 * the right kind, and that the rule produces at least one occurrence within
 * max_iterations steps from DTSTART). */
int at_recur_check(const at_recur_series *s, const at_recur_limits *limits,
		   at_error *err);

/* Occurrences overlapping [from, to) (UTC instants; an occurrence of zero
 * length counts when from <= start < to), sorted by start then recurrence
 * id.  More than max_occurrences -> limitExceeded naming the limit; a rule
 * that needs more than max_iterations steps for this range -> limitExceeded;
 * a rule that never produces an occurrence -> invalidField. */
int at_recur_expand(const at_recur_series *s, int64_t from, int64_t to,
		    const char *floating_zone, const at_recur_limits *limits,
		    at_arena *arena, at_recur_occurrence **occ_r, size_t *n_r,
		    at_error *err);

/* "This and following": the series is cut at the instance whose recurrence
 * id is `at` (a rule instance, not an RDATE).  old_rrule_r: the rule for the
 * old series, ending just before `at` (COUNT replaced by UNTIL: one second
 * before in UTC for zoned series, floating for floating ones, the day before
 * for all-day ones); NULL when no instance is left before `at`.
 * new_start_r: DTSTART of the new series (`at`, in the series zone).
 * new_rrule_r: the rule of the new series (COUNT reduced by the instances
 * before `at` when the original had COUNT).  EXDATEs, RDATEs and overrides
 * are the caller's to divide: those before `at` stay with the old series. */
int at_recur_split(const at_recur_series *s, const at_recur_time *at,
		   const at_recur_limits *limits, at_arena *arena,
		   char **old_rrule_r, at_recur_time *new_start_r,
		   char **new_rrule_r, at_error *err);

/* ---- time helpers shared with the iCalendar module ---------------------- */

/* 0 when the time is a valid calendar date/time (second 60 is refused) and
 * its zone is known; -1 with invalidField otherwise. */
int at_recur_time_check(const at_recur_time *t, const char *field, at_error *err);
/* Wall time -> UTC instant in its own zone (floating_zone for floating
 * times and dates; UTC when NULL).  Gap and overlap rules as above. */
int at_recur_to_utc(const at_recur_time *t, const char *floating_zone,
		    int64_t *utc_r, at_error *err);
/* UTC instant -> wall time in zone tzid (NULL = UTC; result tzid = tzid). */
int at_recur_from_utc(int64_t utc, const char *tzid, at_recur_time *t_r,
		      at_error *err);
/* Is tzid a zone libical knows (IANA name or "UTC")? */
bool at_recur_zone_known(const char *tzid);
/* Days since 1970-01-01 of a civil date, and back. */
int64_t at_recur_days_from_civil(int y, int m, int d);
void at_recur_civil_from_days(int64_t days, int *y_r, int *m_r, int *d_r);
/* Wall-clock seconds of t: its fields read as if they were UTC (its zone
 * ignored), and back: the time of wall-clock seconds w, a date when is_date
 * (tzid borrowed, left NULL for a date). */
int64_t at_recur_wall_secs(const at_recur_time *t);
at_recur_time at_recur_from_wall(int64_t w, bool is_date, const char *tzid);
/* "20240307T090000", "20240307T090000Z", "20240307"; buf of 17 bytes. */
void at_recur_time_format(const at_recur_time *t, char buf[17]);
/* Parses those three forms; tzid is set to "UTC" for a trailing Z, else
 * left NULL.  Returns -1 on anything else. */
int at_recur_time_parse(const char *s, at_recur_time *t_r);
/* -1, 0, 1 comparing wall-clock fields only (dates sort before times of the
 * same day). */
int at_recur_time_cmp(const at_recur_time *a, const at_recur_time *b);

#endif
