/* task.c — see task.h. */
#include "task.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ical.h"
#include "model.h"
#include "recur.h"
#include "strbuf.h"

#define DAY 86400LL

const char *const at_task_server_fields[] = {"delegator", NULL};

/* Members of a participant only the server writes. */
static const char *const participant_server_members[] = {"taskId", "taskStatus",
							  "percentComplete", NULL};

/* ---- small helpers ------------------------------------------------------ */

static int invalid(at_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int invalid(at_error *err, const char *field, const char *fmt, ...)
{
	char msg[AT_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field, "%s", msg);
	at_error_scrub(err);
	return -1;
}

/* A string member, NULL when absent, null or not a string. */
static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The zone the task's instants and rule are read in. */
static const char *zone_of(json_t *fields)
{
	const char *z = jstr(fields, "timeZone");
	return z != NULL && z[0] != '\0' && at_recur_zone_known(z) ? z : "UTC";
}

typedef enum kind { K_DATE, K_INSTANT, K_FLOATING } kind;

static kind kind_of(const at_recur_time *t)
{
	return t->is_date ? K_DATE : t->tzid != NULL ? K_INSTANT : K_FLOATING;
}

/* Parses the DATETIME member `name` of obj into *t. */
static int time_of(json_t *obj, const char *name, at_recur_time *t, at_error *err)
{
	const char *s = jstr(obj, name);
	if (s == NULL || at_model_datetime_parse(s, t) < 0)
		return invalid(err, name, "%s is not a date or time", name);
	return 0;
}

/* Seconds of a wall-clock time on a naive timeline (no zone). */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* A wire time as wall clock: instants in zone, the others as they are. */
static int wall_of(const at_recur_time *t, const char *zone, at_recur_time *w_r, at_error *err)
{
	if (kind_of(t) != K_INSTANT) {
		*w_r = *t;
		return 0;
	}
	int64_t u;
	if (at_recur_to_utc(t, NULL, &u, err) < 0 || at_recur_from_utc(u, zone, w_r, err) < 0)
		return -1;
	return 0;
}

static bool participant_same(json_t *a, json_t *b)
{
	const char *ta = jstr(a, "type"), *tb = jstr(b, "type");
	const char *la = jstr(a, "login"), *lb = jstr(b, "login");
	if (la != NULL && lb != NULL && la[0] != '\0' && ta != NULL && tb != NULL &&
	    strcmp(ta, tb) == 0 && strcmp(la, lb) == 0)
		return true;
	const char *aa = jstr(a, "address"), *ab = jstr(b, "address");
	return aa != NULL && ab != NULL && aa[0] != '\0' && strcasecmp(aa, ab) == 0;
}

/* ---- at_task_check ------------------------------------------------------ */

/* start not after due.  Mixed kinds compare their dates (an instant's in
 * the task's zone). */
static int check_order(json_t *fields, at_error *err)
{
	at_recur_time s, d;
	if (time_of(fields, "start", &s, err) < 0 || time_of(fields, "due", &d, err) < 0)
		return -1;
	kind ks = kind_of(&s), kd = kind_of(&d);
	bool after;
	if (ks == kd) {
		after = at_recur_time_cmp(&s, &d) > 0;  /* instants: both UTC */
	} else {
		const char *zone = zone_of(fields);
		at_recur_time ws, wd;
		if (wall_of(&s, zone, &ws, err) < 0 || wall_of(&d, zone, &wd, err) < 0)
			return -1;
		after = at_recur_days_from_civil(ws.year, ws.month, ws.day) >
			at_recur_days_from_civil(wd.year, wd.month, wd.day);
	}
	if (after)
		return invalid(err, "due", "due (%s) is before start (%s)", jstr(fields, "due"),
			       jstr(fields, "start"));
	return 0;
}

/* The anchor of a rule (due, else start): its wire time and its wall clock
 * in the task's zone.  NULL name when there is none. */
typedef struct anchor {
	const char *name;
	at_recur_time t;     /* as stored */
	at_recur_time wall;  /* instants: wall clock in zone (tzid = zone) */
	int64_t utc;         /* instant; dates and floating read in UTC */
} anchor;

static int anchor_of(json_t *fields, const char *zone, anchor *a, at_error *err)
{
	memset(a, 0, sizeof(*a));
	a->name = jstr(fields, "due") != NULL ? "due" : jstr(fields, "start") != NULL ? "start"
										      : NULL;
	if (a->name == NULL)
		return 0;
	if (time_of(fields, a->name, &a->t, err) < 0 || wall_of(&a->t, zone, &a->wall, err) < 0 ||
	    at_recur_to_utc(&a->wall, NULL, &a->utc, err) < 0)
		return -1;
	return 0;
}

static void series_of(const anchor *a, const char *rrule, at_recur_series *s)
{
	memset(s, 0, sizeof(*s));
	s->dtstart = a->wall;
	s->rrule = rrule;
}

/* Lines of the wrapper put before icalExtra, and the wrapper: placeholders
 * take the places a property has once, so that what icalExtra holds is
 * checked as the extra properties of a VTODO. */
static const char extra_head[] =
    "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:-\r\n"
    "DTSTART:20000101T000000Z\r\nDUE:20000101T000000Z\r\nDURATION:PT0S\r\n"
    "RECURRENCE-ID:20000101T000000Z\r\nSUMMARY:-\r\nLOCATION:-\r\n"
    "DESCRIPTION:-\r\nSEQUENCE:0\r\nORGANIZER:mailto:-\r\nSTATUS:-\r\n"
    "PRIORITY:0\r\nCLASS:-\r\nPERCENT-COMPLETE:0\r\nCOMPLETED:20000101T000000Z\r\n";

static int check_ical_extra(const char *extra, at_error *err)
{
	if (extra == NULL || extra[0] == '\0')
		return 0;
	unsigned head_lines = 0;
	for (const char *p = extra_head; *p; p++)
		head_lines += *p == '\n';
	at_arena *arena = at_arena_new(0);
	at_buf b;
	at_buf_init(&b, 0);
	int rc = -1;
	at_buf_puts(&b, extra_head);
	for (const char *p = extra; *p; p++) {
		if (*p == '\n')
			at_buf_puts(&b, "\r\n");
		else if (*p != '\r')
			at_buf_putc(&b, *p);
	}
	at_buf_puts(&b, "\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");
	at_ical_calendar *cal;
	at_error e;
	unsigned line = 0;
	if (at_ical_parse(b.data, b.len, NULL, arena, &cal, &line, &e) < 0) {
		const char *msg = strncmp(e.message, "line ", 5) == 0 && strstr(e.message, ": ")
				  ? strstr(e.message, ": ") + 2 : e.message;
		invalid(err, "icalExtra", "icalExtra, line %u: %s",
			line > head_lines ? line - head_lines : 1, msg);
		goto done;
	}
	if (cal->n_items != 1 || cal->items[0].kind != AT_ICAL_TODO || cal->n_others > 0 ||
	    cal->n_zones > 0) {
		invalid(err, "icalExtra", "icalExtra holds properties of one task (VTODO), not "
			"components of a calendar");
		goto done;
	}
	rc = 0;
done:
	at_buf_free(&b);
	at_arena_free(&arena);
	return rc;
}

int at_task_check(json_t *fields, bool patch, at_error *err)
{
	if (!json_is_object(fields))
		return invalid(err, NULL, "a task is a JSON object of fields");
	if (jstr(fields, "start") != NULL && jstr(fields, "due") != NULL &&
	    check_order(fields, err) < 0)
		return -1;
	const char *rrule = jstr(fields, "rrule");
	json_t *regen = json_object_get(fields, "regenerate");
	bool has_regen = json_is_object(regen);
	if (rrule != NULL && has_regen)
		return invalid(err, "regenerate", "a task repeats either by rrule or by "
			       "regenerate, not both");
	if (rrule != NULL && at_recur_validate(rrule, err) < 0)
		return -1;
	if (!patch && (rrule != NULL || has_regen)) {
		const char *rule_field = rrule != NULL ? "rrule" : "regenerate";
		anchor a;
		if (anchor_of(fields, zone_of(fields), &a, err) < 0)
			return -1;
		if (a.name == NULL)
			return invalid(err, rule_field, "%s: a repeating task needs a due or a "
				       "start date", rule_field);
		if (rrule != NULL) {
			at_recur_series s;
			series_of(&a, rrule, &s);
			if (at_recur_check(&s, NULL, err) < 0)
				return -1;
		}
	}
	json_t *ps = json_object_get(fields, "participants");
	if (json_is_array(ps)) {
		size_t n = json_array_size(ps);
		for (size_t j = 1; j < n; j++) {
			json_t *pj = json_array_get(ps, j);
			for (size_t i = 0; i < j; i++) {
				if (!participant_same(json_array_get(ps, i), pj))
					continue;
				char path[48];
				snprintf(path, sizeof(path), "participants[%zu]", j);
				return invalid(err, path, "%s is the same assignee as "
					       "participants[%zu]", path, i);
			}
		}
	}
	if (check_ical_extra(jstr(fields, "icalExtra"), err) < 0)
		return -1;
	return 0;
}

/* ---- coherence ---------------------------------------------------------- */

enum { ST_NOT_STARTED, ST_IN_PROGRESS, ST_COMPLETED, ST_WAITING, ST_DEFERRED };
static const char *const status_names[] = {"notStarted", "inProgress", "completed",
					    "waiting", "deferred"};

static void note_changed(json_t *changed, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(changed, i, v) {
		if (strcmp(json_string_value(v), name) == 0)
			return;
	}
	json_array_append_new(changed, json_string(name));
}

/* Sets fields[name] = v (stolen; NULL removes), noting a change. */
static void put(json_t *fields, const char *name, json_t *v, json_t *changed)
{
	json_t *old = json_object_get(fields, name);
	if (v == NULL) {
		if (old != NULL) {
			json_object_del(fields, name);
			note_changed(changed, name);
		}
		return;
	}
	if (old != NULL && json_equal(old, v)) {
		json_decref(v);
		return;
	}
	json_object_set_new(fields, name, v);
	note_changed(changed, name);
}

static json_t *utc_text(int64_t now)
{
	at_recur_time t;
	at_error ignored;
	if (at_recur_from_utc(now, "UTC", &t, &ignored) < 0)
		return NULL;
	char buf[AT_DATETIME_SIZE];
	at_model_datetime_format(&t, buf);
	return json_string(buf);
}

int at_task_normalize(json_t *fields, json_t *sent, int64_t now, json_t **changed_r,
		      at_error *err)
{
	json_t *changed = json_array();
	int rc = -1;
	if (changed_r != NULL)
		*changed_r = NULL;
	if (!json_is_object(fields)) {
		invalid(err, NULL, "a task is a JSON object of fields");
		goto done;
	}
	if (sent == NULL)
		sent = fields;

	/* what is stored now (absent and null: notStarted, 0, none) */
	json_t *sv = json_object_get(fields, "status");
	int st = ST_NOT_STARTED;
	if (sv != NULL && !json_is_null(sv)) {
		const char *s = json_string_value(sv);
		for (st = 0; st < 5 && (s == NULL || strcmp(s, status_names[st]) != 0); st++)
			;
		if (st == 5) {
			invalid(err, "status", "status must be notStarted, inProgress, completed, "
				"waiting or deferred");
			goto done;
		}
	}
	json_t *pv = json_object_get(fields, "percentComplete");
	json_int_t pc = 0;
	if (pv != NULL && !json_is_null(pv)) {
		pc = json_is_integer(pv) ? json_integer_value(pv) : -1;
		if (pc < 0 || pc > 100) {
			invalid(err, "percentComplete", "percentComplete must be an integer from 0 "
				"to 100");
			goto done;
		}
	}
	json_t *dv = json_object_get(fields, "dateCompleted");
	bool has_date = json_is_string(dv);
	if (dv != NULL && !json_is_null(dv) && !has_date) {
		invalid(err, "dateCompleted", "dateCompleted is not a date or time");
		goto done;
	}

	bool s_sent = json_object_get(sent, "status") != NULL;
	bool p_sent = json_object_get(sent, "percentComplete") != NULL;
	bool d_sent = json_object_get(sent, "dateCompleted") != NULL;
	if (!s_sent && !p_sent && !d_sent)
		s_sent = true;  /* nothing sent: the status decides */

	if (s_sent) {
		/* the status rules below */
	} else if (p_sent) {
		if (pc == 100)
			st = ST_COMPLETED;
		else if (pc > 0 && (st == ST_NOT_STARTED || st == ST_COMPLETED))
			st = ST_IN_PROGRESS;
		else if (pc == 0 && (st == ST_IN_PROGRESS || st == ST_COMPLETED))
			st = ST_NOT_STARTED;
	} else if (has_date) {
		st = ST_COMPLETED;
	} else if (st == ST_COMPLETED) {
		/* dateCompleted removed: reopened */
		if (pc > 0 && pc < 100) {
			st = ST_IN_PROGRESS;
		} else {
			st = ST_NOT_STARTED;
			pc = 0;
		}
	}
	/* the status rules */
	bool need_date = false;
	if (st == ST_COMPLETED) {
		pc = 100;
		need_date = true;
	} else {
		has_date = false;
		if (st == ST_NOT_STARTED || pc == 100)
			pc = 0;
	}

	bool had_status = sv != NULL && !json_is_null(sv);
	if (had_status || st != ST_NOT_STARTED)
		put(fields, "status", json_string(status_names[st]), changed);
	else if (sv != NULL)
		json_object_del(fields, "status");  /* a null left by a merge */
	bool had_pc = pv != NULL && !json_is_null(pv);
	if (had_pc || pc != 0)
		put(fields, "percentComplete", json_integer(pc), changed);
	else if (pv != NULL)
		json_object_del(fields, "percentComplete");
	if (need_date && !has_date) {
		json_t *t = utc_text(now);
		if (t == NULL) {
			invalid(err, "dateCompleted", "the current time is out of range");
			goto done;
		}
		put(fields, "dateCompleted", t, changed);
	} else if (!need_date) {
		put(fields, "dateCompleted", NULL, changed);
	}
	rc = 0;
done:
	if (rc == 0 && changed_r != NULL) {
		*changed_r = changed;
		changed = NULL;
	}
	json_decref(changed);
	return rc;
}

bool at_task_is_completed(json_t *fields)
{
	const char *s = jstr(fields, "status");
	return s != NULL && strcmp(s, "completed") == 0;
}

bool at_task_is_series(json_t *fields)
{
	return jstr(fields, "rrule") != NULL || json_is_object(json_object_get(fields, "regenerate"));
}

/* ---- the next occurrence ------------------------------------------------ */

/* The rule's COUNT (0 when it has none). */
static long rule_count(const char *rule)
{
	for (const char *p = rule; *p;) {
		if (strncasecmp(p, "COUNT=", 6) == 0)
			return strtol(p + 6, NULL, 10);
		const char *semi = strchr(p, ';');
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	return 0;
}

/* The rule with COUNT reduced by one, in arena. */
static char *rule_count_down(const char *rule, at_arena *arena)
{
	at_buf b;
	at_buf_init(&b, 0);
	for (const char *p = rule; *p;) {
		const char *semi = strchr(p, ';');
		size_t n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		if (n > 0) {
			if (b.len > 0)
				at_buf_putc(&b, ';');
			if (strncasecmp(p, "COUNT=", 6) == 0)
				at_buf_printf(&b, "COUNT=%ld", strtol(p + 6, NULL, 10) - 1);
			else
				at_buf_append(&b, p, n);
		}
		p += n;
		if (*p == ';')
			p++;
	}
	char *out = at_arena_strdup(arena, b.data != NULL ? b.data : "");
	at_buf_free(&b);
	return out;
}

/* The first occurrence of the series strictly after the anchor, searched
 * over a growing window (so that a frequent rule never makes more than a
 * few thousand occurrences in one query, and a rare one is still found).
 * *found_r false: the rule has ended. */
static int rule_next(const at_recur_series *s, int64_t after, at_arena *arena,
		     at_recur_time *wall_r, bool *found_r, at_error *err)
{
	/* the end of the year 9999, recur.h's last second */
	const int64_t horizon = at_recur_days_from_civil(10000, 1, 1) * DAY - 1;
	*found_r = false;
	if (after + 1 >= horizon)
		return 0;
	for (int64_t window = 3600;; window *= 8) {
		int64_t from = after + 1;
		int64_t to = window >= horizon - from ? horizon : from + window;
		at_recur_occurrence *occ;
		size_t n;
		at_arena_reset(arena);
		if (at_recur_expand(s, from, to, NULL, NULL, arena, &occ, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (occ[i].start > after) {
				*wall_r = occ[i].local_start;
				*found_r = true;
				return 0;
			}
		}
		if (to >= horizon)
			return 0;
	}
}

static int days_in_month(int y, int m)
{
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	return (int)(at_recur_days_from_civil(ny, nm, 1) - at_recur_days_from_civil(y, m, 1));
}

/* The date y-m-d plus every units ("day", "week", "month", "year"); month
 * and year steps clamp the day to the end of the month. */
static void date_add(int *y, int *m, int *d, long every, const char *unit)
{
	if (strcmp(unit, "day") == 0 || strcmp(unit, "week") == 0) {
		int64_t days = at_recur_days_from_civil(*y, *m, *d) +
			       (unit[0] == 'w' ? 7 * every : every);
		at_recur_civil_from_days(days, y, m, d);
		return;
	}
	long months = (long)*y * 12 + (*m - 1) + (unit[0] == 'm' ? every : 12 * every);
	*y = (int)(months / 12);
	*m = (int)(months % 12) + 1;
	int last = days_in_month(*y, *m);
	if (*d > last)
		*d = last;
}

/* Moves the DATETIME member `name` by shift seconds of wall clock (instants
 * in zone, so that their local time stays across daylight-saving changes;
 * dates by whole days, rounded down). */
static int shift_member(json_t *obj, const char *name, int64_t shift, const char *zone,
			at_error *err)
{
	if (jstr(obj, name) == NULL)
		return 0;
	at_recur_time t, w;
	if (time_of(obj, name, &t, err) < 0 || wall_of(&t, zone, &w, err) < 0)
		return -1;
	kind k = kind_of(&t);
	int64_t ws = at_recur_wall_secs(&w) + shift;
	if (k == K_DATE)
		ws = floor_div(ws, DAY) * DAY;
	at_recur_time out = at_recur_from_wall(ws, k == K_DATE, k == K_INSTANT ? zone : NULL);
	if (out.year < 1 || out.year > 9999)
		return invalid(err, name, "%s of the next occurrence would be after the year "
			       "9999", name);
	if (k == K_INSTANT) {
		int64_t u;
		if (at_recur_to_utc(&out, NULL, &u, err) < 0 ||
		    at_recur_from_utc(u, "UTC", &out, err) < 0)
			return -1;
	}
	char buf[AT_DATETIME_SIZE];
	at_model_datetime_format(&out, buf);
	json_object_set_new(obj, name, json_string(buf));
	return 0;
}

/* What the next occurrence does not carry over. */
static void reset_next(json_t *next)
{
	static const char *const dropped[] = {"dateCompleted", "uid", "sequence", "response",
					      "responseComment", "delegator"};
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		json_object_del(next, dropped[i]);
	json_object_set_new(next, "status", json_string("notStarted"));
	json_object_set_new(next, "percentComplete", json_integer(0));
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(next, "participants"), i, p) {
		if (!json_is_object(p))
			continue;
		for (const char *const *m = participant_server_members; *m; m++)
			json_object_del(p, *m);
		json_object_del(p, "comment");
		if (json_object_get(p, "status") != NULL)
			json_object_set_new(p, "status", json_string("none"));
	}
}

int at_task_next(json_t *fields, int64_t now, json_t **next_r, at_error *err)
{
	*next_r = NULL;
	json_t *next = NULL;
	json_t *new_due = NULL;  /* regenerate without an anchor: a due date */
	at_arena *arena = NULL;
	int rc = -1;
	if (!json_is_object(fields)) {
		invalid(err, NULL, "a task is a JSON object of fields");
		goto done;
	}
	const char *rrule = jstr(fields, "rrule");
	json_t *regen = json_object_get(fields, "regenerate");
	if (!json_is_object(regen))
		regen = NULL;
	if (rrule == NULL && regen == NULL) {
		rc = 0;  /* not a series */
		goto done;
	}
	arena = at_arena_new(0);
	const char *zone = zone_of(fields);
	anchor a;
	if (anchor_of(fields, zone, &a, err) < 0)
		goto done;
	bool ended = false;
	int64_t shift = 0;
	const char *new_rule = NULL;
	if (rrule != NULL) {
		long count = rule_count(rrule);
		if (a.name == NULL || (count > 0 && count <= 1)) {
			ended = true;
		} else {
			at_recur_series s;
			series_of(&a, rrule, &s);
			at_recur_time w;
			bool found;
			if (rule_next(&s, a.utc, arena, &w, &found, err) < 0)
				goto done;
			ended = !found;
			if (found)
				shift = at_recur_wall_secs(&w) - at_recur_wall_secs(&a.wall);
			new_rule = count > 0 ? rule_count_down(rrule, arena) : rrule;
		}
	} else {
		json_t *ev = json_object_get(regen, "every");
		const char *unit = jstr(regen, "unit");
		json_int_t every = json_is_integer(ev) ? json_integer_value(ev) : 0;
		if (every < 1 || every > 999 || unit == NULL ||
		    (strcmp(unit, "day") != 0 && strcmp(unit, "week") != 0 &&
		     strcmp(unit, "month") != 0 && strcmp(unit, "year") != 0)) {
			invalid(err, "regenerate", "regenerate needs every (1 to 999) and unit (day, "
				"week, month or year)");
			goto done;
		}
		/* the completion date, in the task's zone */
		at_recur_time c;
		if (jstr(fields, "dateCompleted") != NULL) {
			at_recur_time t;
			if (time_of(fields, "dateCompleted", &t, err) < 0 ||
			    wall_of(&t, zone, &c, err) < 0)
				goto done;
		} else if (at_recur_from_utc(now, zone, &c, err) < 0) {
			goto done;
		}
		int y = c.year, m = c.month, d = c.day;
		date_add(&y, &m, &d, (long)every, unit);
		if (y > 9999) {
			invalid(err, "regenerate", "the next occurrence would be after the year "
				"9999");
			goto done;
		}
		int64_t day_secs = at_recur_days_from_civil(y, m, d) * DAY;
		if (a.name != NULL) {
			int64_t tod = a.wall.is_date ? 0
				      : a.wall.hour * 3600 + a.wall.minute * 60 + a.wall.second;
			shift = day_secs + tod - at_recur_wall_secs(&a.wall);
		} else {
			at_recur_time t = at_recur_from_wall(day_secs, true, NULL);
			char buf[AT_DATETIME_SIZE];
			at_model_datetime_format(&t, buf);
			new_due = json_string(buf);
		}
	}
	if (!ended) {
		next = json_deep_copy(fields);
		if (next == NULL) {
			at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
				     "out of memory");
			goto done;
		}
		if (shift_member(next, "due", shift, zone, err) < 0 ||
		    shift_member(next, "start", shift, zone, err) < 0 ||
		    shift_member(next, "reminder", shift, zone, err) < 0)
			goto done;
		if (new_due != NULL) {
			json_object_set_new(next, "due", new_due);
			new_due = NULL;
		}
		if (new_rule != NULL)
			json_object_set_new(next, "rrule", json_string(new_rule));
		reset_next(next);
	}
	json_object_del(fields, "rrule");
	json_object_del(fields, "regenerate");
	*next_r = next;
	next = NULL;
	rc = 0;
done:
	json_decref(new_due);
	json_decref(next);
	at_arena_free(&arena);
	return rc;
}

/* ---- server fields ------------------------------------------------------ */

void at_task_strip_server_fields(json_t *sent, json_t *stored)
{
	if (!json_is_object(sent))
		return;
	for (const char *const *f = at_task_server_fields; *f; f++)
		json_object_del(sent, *f);
	json_t *ps = json_object_get(sent, "participants");
	json_t *old = json_object_get(stored, "participants");
	size_t i;
	json_t *p;
	json_array_foreach(ps, i, p) {
		if (!json_is_object(p))
			continue;
		for (const char *const *m = participant_server_members; *m; m++)
			json_object_del(p, *m);
		size_t k;
		json_t *q;
		json_array_foreach(old, k, q) {
			if (!json_is_object(q) || !participant_same(p, q))
				continue;
			for (const char *const *m = participant_server_members; *m; m++) {
				json_t *v = json_object_get(q, *m);
				if (v != NULL)
					json_object_set(p, *m, v);
			}
			break;
		}
	}
}

/* ---- regenerate text ---------------------------------------------------- */

#define REGEN_TEXT_MAX 32

json_t *at_task_regenerate_parse(const char *text, at_error *err)
{
	static const struct {
		const char *word;
		const char *unit;
	} words[] = {
	    {"d", "day"},     {"day", "day"},     {"days", "day"},
	    {"w", "week"},    {"week", "week"},   {"weeks", "week"},
	    {"m", "month"},   {"month", "month"}, {"months", "month"},
	    {"y", "year"},    {"year", "year"},   {"years", "year"},
	};
	if (text == NULL)
		text = "";
	const char *p = text;
	long n = 0;
	int digits = 0;
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9') {
		if (n < 100000)
			n = n * 10 + (*p - '0');
		digits++;
		p++;
	}
	while (*p == ' ')
		p++;
	const char *w = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	size_t wlen = (size_t)(p - w);
	while (*p == ' ')
		p++;
	const char *unit = NULL;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && digits > 0 && *p == '\0'; i++)
		if (strlen(words[i].word) == wlen && strncasecmp(w, words[i].word, wlen) == 0)
			unit = words[i].unit;
	if (unit == NULL || strlen(text) > REGEN_TEXT_MAX) {
		invalid(err, "regenerate", "regenerate: \"%.40s\" is not a number of days, weeks, "
			"months or years (like 1w, 2d, 3m, 1y or 10 days)", text);
		return NULL;
	}
	if (n < 1 || n > 999) {
		invalid(err, "regenerate", "regenerate: \"%.40s\": the number must be from 1 to "
			"999", text);
		return NULL;
	}
	return json_pack("{s:I,s:s}", "every", (json_int_t)n, "unit", unit);
}

void at_task_regenerate_format(json_t *regenerate, char *buf, size_t size)
{
	if (size == 0)
		return;
	buf[0] = '\0';
	json_t *ev = json_object_get(regenerate, "every");
	const char *unit = jstr(regenerate, "unit");
	if (!json_is_integer(ev) || unit == NULL)
		return;
	char c = strcmp(unit, "day") == 0 ? 'd' : strcmp(unit, "week") == 0 ? 'w'
					     : strcmp(unit, "month") == 0 ? 'm'
					     : strcmp(unit, "year") == 0 ? 'y' : '\0';
	if (c != '\0')
		snprintf(buf, size, "%lld%c", (long long)json_integer_value(ev), c);
}
