/* ical.h — iCalendar (RFC 5545) import and export for appointments and tasks.
 *
 * at_ical_parse() turns an .ics text into a neutral structure: the calendar's
 * VEVENTs and VTODOs with the fields Atrium models (summary, location,
 * description, start/end/due/duration with their zones, all-day, RRULE,
 * RDATE, EXDATE, overridden instances grouped with their master by UID,
 * organizer and attendees with PARTSTAT/ROLE/CN/comment, categories, class,
 * transparency, priority, status, percent complete, completed, alarms,
 * sequence, UID), and everything else kept verbatim: unknown properties,
 * parameters the model does not use, unknown components, and properties whose
 * value does not fit the model (a second SUMMARY, PRIORITY:high).
 * at_ical_write() writes the structure back, with a VTIMEZONE for every zone
 * used, so that parse -> write -> parse gives the same structure
 * (at_ical_dump() prints it canonically, which is how that is tested).
 *
 * Time zones.  A TZID that is an IANA name (also behind a
 * "/freeassociation.sourceforge.net/"-style prefix, or named by the
 * VTIMEZONE's X-LIC-LOCATION) maps to that zone; the most common Windows
 * names ("W. Europe Standard Time") map through a small table written for
 * this module from the public CLDR correspondence (not a copy of it; unknown
 * Windows names stay custom).  Any other TZID with a VTIMEZONE is a custom
 * zone: its definition is used for instants and written back verbatim.  A
 * TZID with neither is kept as written, without an instant.  Floating times
 * stay floating; dates stay dates.  Written VTIMEZONEs of IANA zones come
 * from the system's tzdata through libical, truncated to the years used, with
 * the plain IANA name as TZID.
 *
 * Why the lexer is written here rather than libical's icalparser: libical's
 * parser has no input limits, no line numbers, turns syntax errors into
 * X-LIC-ERROR properties inside the tree, splits and re-serializes
 * properties, and loses the names of unknown components; the content-line
 * syntax (RFC 5545 §3.1) is small.  Everything with real semantics stays with
 * libical: zones and their offsets, VTIMEZONE definitions, recurrence rules
 * (through recur.h).
 *
 * Limits (at_ical_limits, all part of the API): input size, unfolded line
 * length, components, properties, parameters per property, nesting depth.
 * Bad input gives invalidArguments (field "icalendar"), a limit
 * limitExceeded; the message starts with "line N: " and *line_r gets N.
 * Text must be UTF-8 without NUL or control characters other than TAB.
 *
 * Ownership: everything parsed lives in the caller's arena (strings
 * included); libical objects are created and freed inside each call. */
#ifndef AT_ICAL_H
#define AT_ICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "recur.h"
#include "strbuf.h"

typedef struct at_ical_limits {
	size_t max_bytes;        /* whole input (0 = 8 MiB) */
	size_t max_line;         /* one unfolded content line (0 = 1 MiB) */
	unsigned max_components; /* BEGIN lines (0 = 10,000) */
	unsigned max_properties; /* content lines (0 = 200,000) */
	unsigned max_params;     /* parameters on one property (0 = 64) */
	unsigned max_depth;      /* component nesting (0 = 8) */
} at_ical_limits;

/* A parameter kept as written: value with its quotes and commas. */
typedef struct at_ical_param {
	const char *name;
	const char *value;
} at_ical_param;

typedef struct at_ical_params {
	at_ical_param *v;
	size_t n;
} at_ical_params;

/* A property kept verbatim (value escaped as in the file). */
typedef struct at_ical_prop {
	const char *name;
	at_ical_params params;
	const char *value;
	unsigned line;          /* first physical line, from 1 */
} at_ical_prop;

/* A component kept verbatim. */
typedef struct at_ical_comp {
	const char *name;
	at_ical_prop *props;
	size_t n_props;
	struct at_ical_comp *subs;
	size_t n_subs;
	unsigned line;
} at_ical_comp;

/* A date or date-time.  t.tzid is the IANA zone (or "UTC") when known, NULL
 * for floating times, dates, and zones that are not IANA.  tzid is the TZID
 * parameter as written (NULL without one).  Floating: !t.tzid && !tzid. */
typedef struct at_ical_time {
	bool set;
	at_recur_time t;
	const char *tzid;
	bool custom_zone;       /* tzid names a VTIMEZONE of the input */
	bool has_utc;           /* utc is known (zoned or UTC times) */
	int64_t utc;
	at_ical_params extra;   /* parameters besides VALUE and TZID */
} at_ical_time;

typedef struct at_ical_text {
	const char *value;      /* unescaped; NULL = absent */
	at_ical_params extra;   /* LANGUAGE, ALTREP, X-... as written */
} at_ical_text;

typedef struct at_ical_attendee {
	const char *address;    /* "mailto:ada@example.org", as written */
	const char *cn;         /* unquoted */
	const char *partstat;   /* NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, ... */
	const char *role;       /* CHAIR, REQ-PARTICIPANT, OPT-PARTICIPANT, ... */
	const char *cutype;     /* INDIVIDUAL, GROUP, RESOURCE, ROOM, ... */
	const char *rsvp;       /* TRUE / FALSE as written */
	const char *comment;    /* X-RESPONSE-COMMENT, unquoted */
	at_ical_params extra;
} at_ical_attendee;

typedef struct at_ical_rdate {
	at_ical_time start;
	bool has_end;           /* VALUE=PERIOD */
	at_ical_time end;       /* start/duration periods are stored as an end */
} at_ical_rdate;

typedef struct at_ical_alarm {
	const char *action;       /* DISPLAY, AUDIO, EMAIL, ... (NULL if absent) */
	bool trigger_set;
	bool trigger_absolute;    /* VALUE=DATE-TIME */
	at_ical_time trigger_at;  /* absolute trigger */
	int64_t trigger_seconds;  /* relative trigger, negative = before */
	int trigger_minutes;      /* the same in minutes (rounded toward 0) */
	bool related_end;         /* RELATED=END */
	at_ical_params trigger_extra;
	at_ical_prop *other;      /* every other property, verbatim */
	size_t n_other;
	at_ical_comp *subs;
	size_t n_subs;
} at_ical_alarm;

typedef enum at_ical_kind {
	AT_ICAL_EVENT = 0,
	AT_ICAL_TODO,
} at_ical_kind;

typedef struct at_ical_item {
	at_ical_kind kind;
	unsigned line;
	const char *uid;
	at_ical_text summary, location, description;
	at_ical_time dtstart, dtend, due;
	bool all_day;                 /* DTSTART is a date */
	bool has_duration;
	at_recur_duration duration;   /* DURATION (sign in negative) */
	bool duration_negative;
	const char **rrules;          /* normally one */
	size_t n_rrules;
	const char **exrules;
	size_t n_exrules;
	at_ical_rdate *rdates;
	size_t n_rdates;
	at_ical_time *exdates;
	size_t n_exdates;
	at_ical_time recurrence_id;   /* set on an overridden instance */
	bool this_and_future;         /* RANGE=THISANDFUTURE */
	bool has_organizer;
	at_ical_attendee organizer;
	at_ical_attendee *attendees;
	size_t n_attendees;
	const char **categories;      /* unescaped, from every CATEGORIES line */
	size_t n_categories;
	const char *klass;            /* CLASS: PUBLIC, PRIVATE, CONFIDENTIAL, x */
	const char *transp;           /* OPAQUE, TRANSPARENT */
	const char *status;
	bool has_priority;
	int priority;                 /* 0..9 */
	bool has_percent;
	int percent_complete;         /* 0..100 */
	at_ical_time completed;
	bool has_sequence;
	int sequence;
	at_ical_alarm *alarms;
	size_t n_alarms;
	at_ical_prop *other;          /* unknown or unfitting properties, verbatim */
	size_t n_other;
	at_ical_comp *subs;           /* unknown subcomponents, verbatim */
	size_t n_subs;
	struct at_ical_item *overrides; /* same UID with RECURRENCE-ID */
	size_t n_overrides;
} at_ical_item;

typedef struct at_ical_zone {
	const char *tzid;       /* as written */
	const char *iana;       /* the IANA zone it maps to, NULL for custom */
	const at_ical_comp *vtimezone; /* the definition as written */
} at_ical_zone;

typedef struct at_ical_calendar {
	const char *prodid;     /* NULL: the writer puts Atrium's */
	const char *method;     /* iTIP METHOD, NULL if none */
	at_ical_prop *props;    /* other calendar properties, verbatim */
	size_t n_props;
	at_ical_item *items;    /* masters, and overrides without a master */
	size_t n_items;
	at_ical_zone *zones;    /* VTIMEZONEs of the input */
	size_t n_zones;
	at_ical_comp *others;   /* VJOURNAL, VFREEBUSY, X-..., verbatim */
	size_t n_others;
} at_ical_calendar;

#define AT_ICAL_PRODID "-//Atrium//Atrium 0.1//EN"

/* Parses text[0..len) (it need not be NUL-terminated).  Top-level
 * components without a VCALENDAR around them are accepted, and several
 * VCALENDARs are merged.  limits may be NULL.  line_r (may be NULL) gets the
 * line of an error, 0 otherwise. */
int at_ical_parse(const char *text, size_t len, const at_ical_limits *limits,
		  at_arena *arena, at_ical_calendar **cal_r, unsigned *line_r,
		  at_error *err);

/* Appends the calendar as iCalendar text (CRLF, lines folded at 75
 * octets).  Fails only when out's cap is exceeded (limitExceeded). */
int at_ical_write(const at_ical_calendar *cal, at_buf *out, at_error *err);

/* Appends the content lines of one item — what write gives between its
 * BEGIN and END (VALARMs and other subcomponents included, overridden
 * instances not) — unfolded and joined by "\n": the text form in which the
 * item mappings keep what they do not map (icalExtra). */
void at_ical_item_lines(const at_ical_item *item, at_buf *out);

/* A canonical, line-per-field description of everything in the structure
 * (tests, debugging).  Zones appear by their mapping, not their text. */
void at_ical_dump(const at_ical_calendar *cal, at_buf *out);

/* The series of an item for recur.h (borrowing the item's strings; arrays in
 * the arena).  Fails for times in zones that are not IANA. */
int at_ical_item_series(const at_ical_item *item, at_arena *arena,
			at_recur_series *s_r, at_error *err);

/* Windows zone name -> IANA name from the embedded table, NULL if unknown. */
const char *at_ical_windows_zone(const char *name);

#endif
