/* task_ical.c — tasks to and from iCalendar to-dos; see the iCalendar
 * section of task.h.  Reading and writing the text is ical.h's; custom
 * VTIMEZONEs are matched to IANA zones by appointment.h's mapping (a
 * one-time event is made of the time and read back); this file only maps
 * fields.  What has no field goes through a blank VTODO written by ical.h
 * into icalExtra, and comes back by parsing icalExtra inside a VTODO whose
 * placeholders take the places a property has once (as lib/task.c checks
 * it), so that the extra lines land among the unmapped properties again. */
#include "task.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appointment.h"
#include "model.h"
#include "strbuf.h"

#define DAY 86400LL

/* ---- small helpers -------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool utc_name(const char *z)
{
	return z != NULL && (strcmp(z, "UTC") == 0 || strcmp(z, "Etc/UTC") == 0 ||
			     strcmp(z, "GMT") == 0 || strcmp(z, "Etc/GMT") == 0);
}

/* One line of text: line breaks and tabs become spaces. */
static json_t *one_line(const char *s)
{
	char *c = strdup(s);
	if (c == NULL)
		abort();
	for (char *p = c; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	json_t *j = json_string(c);
	free(c);
	return j;
}

/* TEXT values of X- properties (kept escaped by the reader). */
static char *text_unescape(at_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = at_arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char c = s[++i];
			*o++ = (c == 'n' || c == 'N') ? '\n' : c;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static char *text_escape(at_arena *a, const char *s)
{
	at_buf b;
	at_buf_init(&b, 0);
	for (; *s; s++) {
		switch (*s) {
		case '\\': at_buf_puts(&b, "\\\\"); break;
		case ';': at_buf_puts(&b, "\\;"); break;
		case ',': at_buf_puts(&b, "\\,"); break;
		case '\n': at_buf_puts(&b, "\\n"); break;
		case '\r': break;
		default: at_buf_putc(&b, *s);
		}
	}
	char *r = at_arena_strdup(a, b.data != NULL ? b.data : "");
	at_buf_free(&b);
	return r;
}

/* A parameter value without its quotes. */
static const char *unquote(at_arena *a, const char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && memchr(v + 1, '"', n - 2) == NULL)
		return at_arena_strndup(a, v + 1, n - 2);
	return v;
}

/* A single value as a raw parameter value: quoted when it must be. */
static const char *quote(at_arena *a, const char *v)
{
	if (v[0] == '\0' || strpbrk(v, ",;:") != NULL)
		return at_arena_printf(a, "\"%s\"", v);
	return v;
}

/* The value of one of our X- parameters (RFC 6868: ^' for a double quote,
 * ^n for a line break, ^^ for ^), quoted when it must be. */
static const char *x_param(at_arena *a, const char *v)
{
	at_buf b;
	at_buf_init(&b, 0);
	for (; *v; v++) {
		if (*v == '"')
			at_buf_puts(&b, "^'");
		else if (*v == '\n')
			at_buf_puts(&b, "^n");
		else if (*v == '^')
			at_buf_puts(&b, "^^");
		else
			at_buf_putc(&b, *v);
	}
	const char *r = quote(a, b.data != NULL ? b.data : "");
	r = r == b.data ? at_arena_strdup(a, r) : r;
	at_buf_free(&b);
	return r;
}

/* One of our X- parameters as written: its value, NULL when it is not a
 * single value (a list, or quotes inside). */
static const char *x_param_value(at_arena *a, const char *raw)
{
	const char *v = unquote(a, raw);
	if (strchr(v, '"') != NULL || (v == raw && strchr(v, ',') != NULL))
		return NULL;
	char *out = at_arena_alloc(a, strlen(v) + 1), *o = out;
	for (; *v; v++) {
		if (v[0] == '^' && v[1] == '\'') {
			*o++ = '"';
			v++;
		} else if (v[0] == '^' && v[1] == 'n') {
			*o++ = '\n';
			v++;
		} else if (v[0] == '^' && v[1] == '^') {
			*o++ = '^';
			v++;
		} else {
			*o++ = *v;
		}
	}
	*o = '\0';
	return out;
}

static bool int_text(const char *s, long lo, long hi, long *out)
{
	if (s == NULL || !isdigit((unsigned char)s[0]))
		return false;
	char *end;
	long n = strtol(s, &end, 10);
	if (*end != '\0' || n < lo || n > hi || (s[0] == '0' && s[1] != '\0'))
		return false;
	*out = n;
	return true;
}

static const char *strip_mailto(const char *a)
{
	return strncasecmp(a, "mailto:", 7) == 0 ? a + 7 : a;
}

/* Is an address a URI of a scheme other than mailto ("urn:uuid:...")? */
static bool other_scheme(const char *addr)
{
	const char *c = strchr(addr, ':');
	if (c == NULL || c == addr || !isalpha((unsigned char)addr[0]))
		return false;
	for (const char *p = addr; p < c; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
			return false;
	return strncasecmp(addr, "mailto:", 7) != 0;
}

/* The address a participant (or delegator) is written with: a URI of
 * another scheme as it is, but one that looks like ours, which stays an
 * address (so no two participants the reader tells apart are written
 * with the same). */
static const char *written_address(json_t *o, at_arena *a)
{
	const char *addr = jstr(o, "address"), *type = jstr(o, "type"), *login = jstr(o, "login");
	if (addr != NULL)
		return other_scheme(addr) && strncasecmp(addr, "urn:atrium:", 11) != 0
			       ? addr : at_arena_printf(a, "mailto:%s", addr);
	return at_arena_printf(a, "urn:atrium:%s:%s", type != NULL ? type : "user",
			       login != NULL ? login : "");
}

typedef struct pvec {
	at_ical_param *v;
	size_t n, cap;
	at_arena *a;
} pvec;

static void pvec_add(pvec *p, const char *name, const char *value)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		at_ical_param *v = at_arena_alloc(p->a, cap * sizeof(*v));
		if (p->n)
			memcpy(v, p->v, p->n * sizeof(*v));
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (at_ical_param){name, value};
}

typedef struct propvec {
	at_ical_prop *v;
	size_t n, cap;
	at_arena *a;
} propvec;

static at_ical_prop *prop_add(propvec *p, const char *name, const char *value)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		at_ical_prop *v = at_arena_alloc(p->a, cap * sizeof(*v));
		if (p->n)
			memcpy(v, p->v, p->n * sizeof(*v));
		p->v = v;
		p->cap = cap;
	}
	at_ical_prop *r = &p->v[p->n++];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->value = value;
	return r;
}

/* ---- times ------------------------------------------------------------------ */

static void wire_instant(int64_t u, char out[AT_DATETIME_SIZE])
{
	at_recur_time t;
	at_error ignored;
	if (at_recur_from_utc(u, NULL, &t, &ignored) < 0)
		memset(&t, 0, sizeof(t));
	t.tzid = "UTC";
	at_model_datetime_format(&t, out);
}

static void wire_wall(at_recur_time t, bool is_date, char out[AT_DATETIME_SIZE])
{
	t.tzid = NULL;
	t.is_date = is_date;
	if (is_date)
		t.hour = t.minute = t.second = 0;
	at_model_datetime_format(&t, out);
}

/* A wall time plus days and seconds (civil arithmetic, no zone). */
static at_recur_time wall_add(at_recur_time t, int64_t days, int64_t secs)
{
	int64_t s = (at_recur_days_from_civil(t.year, t.month, t.day) + days) * DAY +
		    t.hour * 3600 + t.minute * 60 + t.second + secs;
	int64_t d = s >= 0 ? s / DAY : -((-s + DAY - 1) / DAY), rem = s - d * DAY;
	at_recur_civil_from_days(d, &t.year, &t.month, &t.day);
	t.hour = (int)(rem / 3600);
	t.minute = (int)(rem / 60 % 60);
	t.second = (int)(rem % 60);
	return t;
}

/* The IANA zone a custom VTIMEZONE of cal matches (appointment.h's
 * matching, through a one-time event at that time), NULL when none. */
static const char *custom_zone(const at_ical_calendar *cal, const at_ical_time *t, at_arena *a)
{
	if (cal == NULL || !t->custom_zone || !t->has_utc || t->tzid == NULL)
		return NULL;
	at_ical_item ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = AT_ICAL_EVENT;
	ev.dtstart = *t;
	ev.dtstart.extra = (at_ical_params){0};
	at_ical_calendar one = {.items = &ev, .n_items = 1, .zones = cal->zones,
				.n_zones = cal->n_zones};
	at_appt_ical *ctx = at_appt_ical_new(&one, a);
	json_t *f = NULL;
	at_error ignored;
	const char *zone = NULL;
	if (at_appt_from_ical(ctx, &ev, &f, &ignored) == 0 && jstr(f, "timeZone") != NULL)
		zone = at_arena_strdup(a, jstr(f, "timeZone"));
	json_decref(f);
	return zone;
}

/* An iCalendar time in wire form: dates stay dates, times with an instant
 * become UTC instants (*zone_r their zone, if not UTC), others floating. */
static void wire_time(const at_ical_calendar *cal, const at_ical_time *t, at_arena *a,
		      char out[AT_DATETIME_SIZE], const char **zone_r)
{
	*zone_r = NULL;
	if (t->t.is_date) {
		wire_wall(t->t, true, out);
	} else if (t->has_utc) {
		wire_instant(t->utc, out);
		if (t->t.tzid != NULL && !utc_name(t->t.tzid))
			*zone_r = t->t.tzid;
		else if (t->custom_zone)
			*zone_r = custom_zone(cal, t, a);
	} else {
		wire_wall(t->t, false, out);
	}
}

/* wire time + days + seconds, in the same form (instants counted in zone:
 * days are nominal); false when the result would not be the same kind. */
static bool wire_add(const char *wire, const char *zone, int64_t days, int64_t secs,
		     char out[AT_DATETIME_SIZE])
{
	at_recur_time t;
	at_error ignored;
	if (at_model_datetime_parse(wire, &t) < 0)
		return false;
	if (t.is_date) {
		if (secs % DAY != 0)
			return false;
		t = wall_add(t, days + secs / DAY, 0);
		at_model_datetime_format(&t, out);
		return true;
	}
	if (t.tzid == NULL) {
		t = wall_add(t, days, secs);
		at_model_datetime_format(&t, out);
		return true;
	}
	int64_t u;
	at_recur_time w;
	if (at_recur_to_utc(&t, NULL, &u, &ignored) < 0 ||
	    at_recur_from_utc(u, zone, &w, &ignored) < 0)
		return false;
	w = wall_add(w, days, 0);
	w.tzid = zone;
	if (at_recur_to_utc(&w, NULL, &u, &ignored) < 0)
		return false;
	wire_instant(u + secs, out);
	return true;
}

/* A wire time as an iCalendar time: instants in zone (NULL: UTC). */
static int ical_time(const char *wire, const char *zone, const char *field, at_ical_time *t_r,
		     at_error *err)
{
	at_recur_time r;
	at_error ignored;
	memset(t_r, 0, sizeof(*t_r));
	if (wire == NULL)
		return 0;
	if (at_model_datetime_parse(wire, &r) < 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
				    "%s: \"%.40s\" is not a date or time", field, wire);
	if (r.tzid != NULL && zone != NULL && !utc_name(zone)) {
		int64_t u;
		if (at_recur_to_utc(&r, NULL, &u, &ignored) < 0 ||
		    at_recur_from_utc(u, zone, &r, &ignored) < 0)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "timeZone", "timeZone: \"%.64s\" is not a known zone",
					    zone);
	} else if (r.tzid != NULL) {
		r.tzid = "UTC";
	}
	t_r->set = true;
	t_r->t = r;
	return 0;
}

/* ---- status, priority, answers -------------------------------------------------- */

static const struct { const char *ical, *wire; } partstats[] = {
	{"NEEDS-ACTION", "none"}, {"ACCEPTED", "accepted"}, {"DECLINED", "declined"},
	{"TENTATIVE", "tentative"},
};

static const char *partstat_wire(const char *v)
{
	for (size_t i = 0; v != NULL && i < 4; i++)
		if (strcasecmp(v, partstats[i].ical) == 0)
			return partstats[i].wire;
	return NULL;
}

static const char *partstat_ical(const char *v)
{
	for (size_t i = 0; v != NULL && i < 4; i++)
		if (strcmp(v, partstats[i].wire) == 0)
			return partstats[i].ical;
	return NULL;
}

static const char *const task_statuses[] = {"notStarted", "inProgress", "completed", "waiting",
					    "deferred", NULL};

static bool is_task_status(const char *v)
{
	for (size_t i = 0; v != NULL && task_statuses[i] != NULL; i++)
		if (strcmp(v, task_statuses[i]) == 0)
			return true;
	return false;
}

/* PRIORITY number -> field value (NULL: none) */
static const char *priority_wire(int p)
{
	return p >= 1 && p <= 4 ? "high" : p == 5 ? "normal" : p >= 6 && p <= 9 ? "low" : NULL;
}

static int priority_ical(const char *wire)
{
	return strcmp(wire, "high") == 0 ? 1 : strcmp(wire, "normal") == 0 ? 5 : 9;
}

static const char *const units[][2] = {
	{"D", "day"}, {"W", "week"}, {"M", "month"}, {"Y", "year"},
};

/* "2W" -> {"every":2,"unit":"week"}; NULL when it is not one. */
static json_t *regenerate_parse(const char *s)
{
	size_t n = strlen(s);
	long every;
	if (n < 2 || n > 4)
		return NULL;
	char num[4];
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	if (!int_text(num, 1, 999, &every))
		return NULL;
	for (size_t i = 0; i < 4; i++)
		if (toupper((unsigned char)s[n - 1]) == units[i][0][0])
			return json_pack("{s:I,s:s}", "every", (json_int_t)every, "unit",
					 units[i][1]);
	return NULL;
}

static const char *regenerate_text(json_t *r, at_arena *a)
{
	json_t *every = json_object_get(r, "every");
	const char *unit = jstr(r, "unit");
	for (size_t i = 0; json_is_integer(every) && unit != NULL && i < 4; i++)
		if (strcmp(unit, units[i][1]) == 0)
			return at_arena_printf(a, "%lld%s", (long long)json_integer_value(every),
					       units[i][0]);
	return NULL;
}

/* ---- people ---------------------------------------------------------------------- */

/* Names of the properties that carry the parameters of an attendee or the
 * organizer that have no field (in icalExtra; the value is the address as
 * written).  Not written into files. */
#define ATTENDEE_PARAMS "X-ATRIUM-ATTENDEE"
#define ORGANIZER_PARAMS "X-ATRIUM-ORGANIZER"

typedef struct importer {
	const at_ical_calendar *cal;
	const at_ical_item *it;
	at_arena *a;
	json_t *f;
	propvec hints;   /* STATUS, PRIORITY, CLASS, TRANSP without a field */
	propvec params;  /* ATTENDEE_PARAMS, ORGANIZER_PARAMS lines */
} importer;

/* The parameters of an attendee without a field, into *left. */
static void leftover(const at_ical_attendee *at, bool keep_partstat, const char *skip_cutype,
		     pvec *left, at_arena *a)
{
	if (at->cutype != NULL && !(skip_cutype != NULL && strcasecmp(at->cutype, skip_cutype) == 0))
		pvec_add(left, "CUTYPE", quote(a, at->cutype));
	if (at->role != NULL)
		pvec_add(left, "ROLE", quote(a, at->role));
	if (keep_partstat && at->partstat != NULL)
		pvec_add(left, "PARTSTAT", quote(a, at->partstat));
	if (at->rsvp != NULL)
		pvec_add(left, "RSVP", quote(a, at->rsvp));
}

static bool is_param(const at_ical_param *p, const char *name)
{
	return strcasecmp(p->name, name) == 0;
}

static void params_line(importer *im, const char *name, json_t *o, pvec *left)
{
	if (left->n == 0)
		return;
	at_ical_prop *p = prop_add(&im->params, name, written_address(o, im->a));
	p->params.v = left->v;
	p->params.n = left->n;
}

/* An attendee as a participant; NULL when it has no address. */
static json_t *participant(importer *im, const at_ical_attendee *at)
{
	at_arena *a = im->a;
	if (at->address == NULL || strip_mailto(at->address)[0] == '\0')
		return NULL;
	const char *type = NULL, *login = NULL;
	size_t type_at = SIZE_MAX, login_at = SIZE_MAX;  /* the first of each */
	for (size_t i = 0; i < at->extra.n; i++) {
		const char *v = x_param_value(a, at->extra.v[i].value);
		if (is_param(&at->extra.v[i], "X-ATRIUM-TYPE") && type == NULL && v != NULL) {
			type = v;
			type_at = i;
		} else if (is_param(&at->extra.v[i], "X-ATRIUM-LOGIN") && login == NULL && v != NULL) {
			login = v;
			login_at = i;
		}
	}
	bool internal = type != NULL && login != NULL && login[0] != '\0' &&
			(strcmp(type, "user") == 0 || strcmp(type, "group") == 0);
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(internal ? type : "external"));
	if (internal)
		json_object_set_new(o, "login", json_string(login));
	if (!internal || strncmp(at->address, "urn:atrium:", 11) != 0)
		json_object_set_new(o, "address", one_line(strip_mailto(at->address)));
	if (at->cn != NULL)
		json_object_set_new(o, "name", one_line(at->cn));
	const char *ps = partstat_wire(at->partstat);
	if (ps != NULL)
		json_object_set_new(o, "status", json_string(ps));
	if (at->comment != NULL)
		json_object_set_new(o, "comment", one_line(at->comment));
	pvec left = {.a = a};
	leftover(at, ps == NULL, internal && strcmp(type, "group") == 0 ? "GROUP" : NULL, &left,
		 a);
	for (size_t i = 0; i < at->extra.n; i++) {
		const at_ical_param *p = &at->extra.v[i];
		const char *v = x_param_value(a, p->value);
		long n;
		if (internal && (i == type_at || i == login_at))
			continue;
		if (v == NULL)
			pvec_add(&left, p->name, p->value);
		else if (is_param(p, "X-ATRIUM-TASK-ID") && v[0] != '\0' &&
		    json_object_get(o, "taskId") == NULL)
			json_object_set_new(o, "taskId", json_string(v));
		else if (is_param(p, "X-ATRIUM-TASK-STATUS") && is_task_status(v) &&
			 json_object_get(o, "taskStatus") == NULL)
			json_object_set_new(o, "taskStatus", json_string(v));
		else if (is_param(p, "X-ATRIUM-PERCENT-COMPLETE") && int_text(v, 0, 100, &n) &&
			 json_object_get(o, "percentComplete") == NULL)
			json_object_set_new(o, "percentComplete", json_integer(n));
		else
			pvec_add(&left, p->name, p->value);
	}
	params_line(im, ATTENDEE_PARAMS, o, &left);
	return o;
}

/* The participants; rejected[i] marks the attendees without one (no
 * address, or named twice: the first one counts). */
static void participants(importer *im, bool *rejected)
{
	const at_ical_item *it = im->it;
	json_t *list = json_array();
	for (size_t i = 0; i < it->n_attendees; i++) {
		size_t mark = im->params.n;
		json_t *p = participant(im, &it->attendees[i]);
		rejected[i] = p == NULL;
		if (p == NULL)
			continue;
		bool dup = false;
		size_t k;
		json_t *q;
		const char *pa = jstr(p, "address"), *pl = jstr(p, "login"), *pt = jstr(p, "type");
		json_array_foreach(list, k, q) {
			const char *qa = jstr(q, "address"), *ql = jstr(q, "login");
			const char *qt = jstr(q, "type");
			dup |= (pa && qa && strcasecmp(pa, qa) == 0) ||
			       (pl && ql && strcmp(pl, ql) == 0 && strcmp(pt, qt) == 0);
		}
		rejected[i] = dup;
		if (dup) {
			json_decref(p);
			im->params.n = mark;  /* its parameters stay on its line */
		} else {
			json_array_append_new(list, p);
		}
	}
	if (json_array_size(list) > 0)
		json_object_set_new(im->f, "participants", list);
	else
		json_decref(list);
}

/* The organizer as the delegator; false when it has no address. */
static bool delegator(importer *im)
{
	const at_ical_attendee *o = &im->it->organizer;
	at_arena *a = im->a;
	if (o->address == NULL || strip_mailto(o->address)[0] == '\0')
		return false;
	json_t *d = json_object();
	pvec left = {.a = a};
	leftover(o, true, NULL, &left, a);
	if (o->comment != NULL)
		pvec_add(&left, "X-RESPONSE-COMMENT", quote(a, o->comment));
	for (size_t i = 0; i < o->extra.n; i++) {
		const at_ical_param *p = &o->extra.v[i];
		const char *v = x_param_value(a, p->value);
		if (v == NULL)
			pvec_add(&left, p->name, p->value);
		else if (is_param(p, "X-ATRIUM-LOGIN") && v[0] != '\0' && !json_object_get(d, "login"))
			json_object_set_new(d, "login", json_string(v));
		else if (is_param(p, "X-ATRIUM-TASK-ID") && v[0] != '\0' &&
			 !json_object_get(d, "taskId"))
			json_object_set_new(d, "taskId", json_string(v));
		else
			pvec_add(&left, p->name, p->value);
	}
	if (strncmp(o->address, "urn:atrium:", 11) != 0)
		json_object_set_new(d, "address", one_line(strip_mailto(o->address)));
	if (o->cn != NULL)
		json_object_set_new(d, "name", one_line(o->cn));
	params_line(im, ORGANIZER_PARAMS, d, &left);
	json_object_set_new(im->f, "delegator", d);
	return true;
}

/* ---- the reminder ------------------------------------------------------------------ */

/* A trigger parameter the mapping may drop: an explicit VALUE=DURATION or
 * RELATED=START of a relative trigger. */
static bool plain_trigger_params(const at_ical_alarm *al)
{
	for (size_t i = 0; i < al->trigger_extra.n; i++) {
		const at_ical_param *p = &al->trigger_extra.v[i];
		if (al->trigger_absolute ||
		    !((is_param(p, "VALUE") && strcasecmp(p->value, "DURATION") == 0) ||
		      (is_param(p, "RELATED") && strcasecmp(p->value, "START") == 0)))
			return false;
	}
	return true;
}

/* Is the absolute trigger of al a date reminder (see write_reminder())? */
static bool date_trigger(const at_ical_alarm *al)
{
	const at_ical_time *t = &al->trigger_at;
	return al->trigger_absolute && al->trigger_extra.n == 1 &&
	       is_param(&al->trigger_extra.v[0], "X-ATRIUM-DATE") &&
	       strcasecmp(al->trigger_extra.v[0].value, "TRUE") == 0 && t->t.tzid == NULL &&
	       t->tzid == NULL && t->t.hour == 0 && t->t.minute == 0 && t->t.second == 0;
}

/* The reminder of an alarm, into out; false when the alarm is not one. */
static bool reminder_of(const at_ical_alarm *al, const char *start, const char *due,
			const char *zone, char out[AT_DATETIME_SIZE])
{
	if (al->action == NULL || strcasecmp(al->action, "DISPLAY") != 0 || !al->trigger_set ||
	    al->n_subs > 0 || al->n_other > 1 ||
	    (al->n_other == 1 && strcasecmp(al->other[0].name, "DESCRIPTION") != 0))
		return false;
	if (al->trigger_absolute) {
		const at_ical_time *t = &al->trigger_at;
		if (date_trigger(al)) {
			wire_wall(t->t, true, out);
			return true;
		}
		if (al->trigger_extra.n > 0 || t->t.is_date)
			return false;
		if (t->has_utc)
			wire_instant(t->utc, out);
		else if (t->tzid == NULL)
			wire_wall(t->t, false, out);
		else
			return false;
		return true;
	}
	if (!plain_trigger_params(al))
		return false;
	const char *anchor = al->related_end ? due : start;
	if (anchor == NULL)
		return false;
	at_recur_time t;
	if (at_model_datetime_parse(anchor, &t) < 0)
		return false;
	if (t.is_date) {  /* from the day's midnight, a floating time */
		t.is_date = false;
		t = wall_add(t, 0, al->trigger_seconds);
		at_model_datetime_format(&t, out);
		return true;
	}
	return wire_add(anchor, zone, 0, al->trigger_seconds, out);
}

/* ---- the unmapped rest -------------------------------------------------------------- */

/* Placeholders: they take the places a property has once, so that the
 * extra ones land among the unmapped properties again (the same wrapper
 * as lib/task.c's check of icalExtra). */
static const char extra_head[] =
    "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:-\r\n"
    "DTSTART:20000101T000000Z\r\nDUE:20000101T000000Z\r\nDURATION:PT0S\r\n"
    "RECURRENCE-ID:20000101T000000Z\r\nSUMMARY:-\r\nLOCATION:-\r\n"
    "DESCRIPTION:-\r\nSEQUENCE:0\r\nORGANIZER:mailto:-\r\nSTATUS:-\r\n"
    "PRIORITY:0\r\nCLASS:-\r\nPERCENT-COMPLETE:0\r\nCOMPLETED:20000101T000000Z\r\n";

/* icalExtra parsed back (NULL when empty or not iCalendar). */
static const at_ical_item *extra_parse(const char *extra, at_arena *a)
{
	if (extra == NULL || extra[0] == '\0')
		return NULL;
	at_buf b;
	at_buf_init(&b, 0);
	at_buf_puts(&b, extra_head);
	for (const char *p = extra; *p; p++) {
		if (*p == '\n')
			at_buf_puts(&b, "\r\n");
		else if (*p != '\r')
			at_buf_putc(&b, *p);
	}
	at_buf_puts(&b, "\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");
	at_ical_calendar *cal;
	at_error ignored;
	unsigned line;
	const at_ical_item *it = NULL;
	if (!b.overflow && at_ical_parse(b.data, b.len, NULL, a, &cal, &line, &ignored) == 0 &&
	    cal->n_items == 1 && cal->items[0].kind == AT_ICAL_TODO)
		it = &cal->items[0];
	at_buf_free(&b);
	return it;
}

/* ---- iCalendar -> fields ------------------------------------------------------------ */

enum {
	X_STATUS, X_TIMEZONE, X_TOTAL, X_ACTUAL, X_COMPANIES, X_MILEAGE, X_BILLING, X_REGENERATE,
	X_RESPONSE, X_RESPONSE_COMMENT, X_N
};
static const char *const x_names[X_N] = {
	"X-ATRIUM-STATUS", "X-ATRIUM-TIMEZONE", "X-ATRIUM-TOTAL-WORK", "X-ATRIUM-ACTUAL-WORK",
	"X-ATRIUM-COMPANIES", "X-ATRIUM-MILEAGE", "X-ATRIUM-BILLING", "X-ATRIUM-REGENERATE",
	"X-ATRIUM-RESPONSE", "X-ATRIUM-RESPONSE-COMMENT",
};
#define X_CONTACT "X-ATRIUM-CONTACT"

/* The X-ATRIUM- properties of the fields: each (but contacts) taken once,
 * when its value fits; taken[i] marks the properties used. */
static void x_props(importer *im, bool *taken, const char **xstatus_r, const char **xzone_r)
{
	const at_ical_item *it = im->it;
	json_t *f = im->f, *contacts = json_array();
	bool seen[X_N] = {false};
	*xstatus_r = *xzone_r = NULL;
	for (size_t i = 0; i < it->n_other; i++) {
		const at_ical_prop *p = &it->other[i];
		const char *v = p->value;
		long n;
		if (p->params.n > 0)
			continue;
		if (strcasecmp(p->name, X_CONTACT) == 0) {
			char *c = text_unescape(im->a, v);
			if (c[0] != '\0') {
				json_array_append_new(contacts, one_line(c));
				taken[i] = true;
			}
			continue;
		}
		int k = 0;
		while (k < X_N && strcasecmp(p->name, x_names[k]) != 0)
			k++;
		if (k == X_N || seen[k])
			continue;
		bool ok = true;
		switch (k) {
		case X_STATUS:
			ok = strcasecmp(v, "WAITING") == 0 || strcasecmp(v, "DEFERRED") == 0;
			if (ok)
				*xstatus_r = v;
			break;
		case X_TIMEZONE:
			ok = at_recur_zone_known(v);
			if (ok)
				*xzone_r = v;
			break;
		case X_TOTAL:
		case X_ACTUAL:
			ok = int_text(v, 0, INT_MAX, &n);
			if (ok)
				json_object_set_new(f, k == X_TOTAL ? "totalWorkMinutes"
								    : "actualWorkMinutes",
						    json_integer(n));
			break;
		case X_COMPANIES:
		case X_MILEAGE:
		case X_BILLING: {
			static const char *const names[] = {"companies", "mileage",
							    "billingInformation"};
			json_object_set_new(f, names[k - X_COMPANIES],
					    one_line(text_unescape(im->a, v)));
			break;
		}
		case X_REGENERATE: {
			json_t *r = regenerate_parse(v);
			ok = r != NULL;
			if (ok)
				json_object_set_new(f, "regenerate", r);
			break;
		}
		case X_RESPONSE: {
			const char *w = partstat_wire(v);
			ok = w != NULL;
			if (ok)
				json_object_set_new(f, "response", json_string(w));
			break;
		}
		case X_RESPONSE_COMMENT:
			json_object_set_new(f, "responseComment",
					    one_line(text_unescape(im->a, v)));
			break;
		}
		if (ok)
			seen[k] = taken[i] = true;
	}
	if (json_array_size(contacts) > 0)
		json_object_set_new(f, "contacts", contacts);
	else
		json_decref(contacts);
}

static void hint(importer *im, const char *name, const char *value)
{
	prop_add(&im->hints, name, value);
}

static void set_text(json_t *f, const char *name, const char *v, bool multi)
{
	if (v != NULL)
		json_object_set_new(f, name, multi ? json_string(v) : one_line(v));
}

int at_task_from_ical(const at_ical_calendar *cal, const at_ical_item *it, at_arena *a,
		      json_t **fields_r, at_error *err)
{
	*fields_r = NULL;
	if (it->kind != AT_ICAL_TODO)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "icalendar", "line %u: an event (VEVENT), not a task",
				    it->line);
	importer im = {.cal = cal, .it = it, .a = a, .f = json_object()};
	im.hints.a = im.params.a = a;
	json_t *f = im.f;
	bool *taken = at_arena_alloc(a, (it->n_other + 1) * sizeof(bool));
	bool *rejected = at_arena_alloc(a, (it->n_attendees + 1) * sizeof(bool));
	memset(taken, 0, (it->n_other + 1) * sizeof(bool));

	if (it->uid != NULL)
		json_object_set_new(f, "uid", one_line(it->uid));
	set_text(f, "subject", it->summary.value, false);
	set_text(f, "notes", it->description.value, true);

	/* start, due (DTSTART + DURATION without DUE), their zone */
	char start[AT_DATETIME_SIZE], due[AT_DATETIME_SIZE], buf[AT_DATETIME_SIZE];
	const char *zs = NULL, *zd = NULL, *xstatus, *xzone;
	bool has_start = it->dtstart.set, has_due = it->due.set, duration_used = false;
	if (has_start)
		wire_time(cal, &it->dtstart, a, start, &zs);
	if (has_due)
		wire_time(cal, &it->due, a, due, &zd);
	const char *zone = zd != NULL ? zd : zs;
	if (!has_due && has_start && it->has_duration && !it->duration_negative &&
	    wire_add(start, zone, it->duration.days, it->duration.seconds, due))
		has_due = duration_used = true;
	if (has_start)
		json_object_set_new(f, "start", json_string(start));
	if (has_due)
		json_object_set_new(f, "due", json_string(due));
	x_props(&im, taken, &xstatus, &xzone);
	if (zone == NULL)
		zone = xzone;
	if (zone != NULL)
		json_object_set_new(f, "timeZone", json_string(zone));

	/* status (waiting and deferred: beside the STATUS written for them) */
	const char *st = NULL;
	if (it->status != NULL) {
		if (strcasecmp(it->status, "NEEDS-ACTION") == 0)
			st = xstatus && strcasecmp(xstatus, "DEFERRED") == 0 ? "deferred"
									     : "notStarted";
		else if (strcasecmp(it->status, "IN-PROCESS") == 0)
			st = xstatus && strcasecmp(xstatus, "WAITING") == 0 ? "waiting"
									    : "inProgress";
		else if (strcasecmp(it->status, "COMPLETED") == 0)
			st = "completed";
		else
			hint(&im, "STATUS", it->status);
	}
	if (st != NULL)
		json_object_set_new(f, "status", json_string(st));
	if (it->has_priority) {
		const char *p = priority_wire(it->priority);
		if (p != NULL)
			json_object_set_new(f, "priority", json_string(p));
		if (p == NULL || priority_ical(p) != it->priority)
			hint(&im, "PRIORITY", at_arena_printf(a, "%d", it->priority));
	}
	if (it->klass != NULL) {
		if (strcasecmp(it->klass, "PRIVATE") == 0 || strcasecmp(it->klass, "CONFIDENTIAL") == 0)
			json_object_set_new(f, "private", json_true());
		else if (strcasecmp(it->klass, "PUBLIC") == 0)
			json_object_set_new(f, "private", json_false());
		if (strcasecmp(it->klass, "PRIVATE") != 0 && strcasecmp(it->klass, "PUBLIC") != 0)
			hint(&im, "CLASS", it->klass);
	}
	if (it->transp != NULL)
		hint(&im, "TRANSP", it->transp);
	if (it->has_percent)
		json_object_set_new(f, "percentComplete", json_integer(it->percent_complete));
	if (it->completed.set) {
		const char *ignored;
		wire_time(NULL, &it->completed, a, buf, &ignored);
		json_object_set_new(f, "dateCompleted", json_string(buf));
	}
	if (it->n_categories > 0) {
		json_t *c = json_array();
		for (size_t i = 0; i < it->n_categories; i++)
			if (it->categories[i][0] != '\0')
				json_array_append_new(c, one_line(it->categories[i]));
		json_object_set_new(f, "categories", c);
	}
	if (it->n_rrules > 0 && !it->recurrence_id.set)
		json_object_set_new(f, "rrule", json_string(it->rrules[0]));
	if (it->has_sequence)
		json_object_set_new(f, "sequence", json_integer(it->sequence));

	/* people */
	bool organizer_rejected = it->has_organizer && !delegator(&im);
	participants(&im, rejected);

	/* the reminder: the first DISPLAY alarm that is one */
	size_t reminder = SIZE_MAX;
	for (size_t i = 0; i < it->n_alarms && reminder == SIZE_MAX; i++)
		if (reminder_of(&it->alarms[i], jstr(f, "start"), jstr(f, "due"), zone, buf))
			reminder = i;
	if (reminder != SIZE_MAX)
		json_object_set_new(f, "reminder", json_string(buf));

	/* the rest, as a blank VTODO written into icalExtra */
	at_ical_item d;
	memset(&d, 0, sizeof(d));
	d.kind = AT_ICAL_TODO;
	propvec other = {.a = a};
	for (size_t i = 0; i < im.hints.n; i++)
		*prop_add(&other, NULL, NULL) = im.hints.v[i];
	/* STATUS, PRIORITY, CLASS and DURATION are had once (RFC 5545): a
	 * second one is dropped, so that icalExtra's line of each is the one
	 * that has no field (see at_task_to_ical()) */
	bool once[4] = {it->status != NULL, it->has_priority, it->klass != NULL,
			it->has_duration};
	static const char *const once_names[4] = {"STATUS", "PRIORITY", "CLASS", "DURATION"};
	for (size_t i = 0; i < it->n_other; i++) {
		const char *n = it->other[i].name;
		if (taken[i] || strcasecmp(n, "DTSTAMP") == 0 || strcasecmp(n, ATTENDEE_PARAMS) == 0 ||
		    strcasecmp(n, ORGANIZER_PARAMS) == 0 || strcasecmp(n, "X-ATRIUM-STATUS") == 0)
			continue;
		bool dup = false;
		for (size_t k = 0; k < 4; k++)
			if (strcasecmp(n, once_names[k]) == 0) {
				dup = once[k];
				once[k] = true;
			}
		if (!dup)
			*prop_add(&other, NULL, NULL) = it->other[i];
	}
	for (size_t i = 0; i < im.params.n; i++)
		*prop_add(&other, NULL, NULL) = im.params.v[i];
	d.other = other.v;
	d.n_other = other.n;
	d.location = it->location;
	if (it->has_duration && !duration_used) {
		d.has_duration = true;
		d.duration = it->duration;
		d.duration_negative = it->duration_negative;
	}
	size_t first_rule = it->recurrence_id.set ? 0 : 1;
	if (it->n_rrules > first_rule) {
		d.rrules = it->rrules + first_rule;
		d.n_rrules = it->n_rrules - first_rule;
	}
	d.exrules = it->exrules;
	d.n_exrules = it->n_exrules;
	d.rdates = it->rdates;
	d.n_rdates = it->n_rdates;
	d.exdates = it->exdates;
	d.n_exdates = it->n_exdates;
	d.recurrence_id = it->recurrence_id;
	d.this_and_future = it->this_and_future;
	d.subs = it->subs;
	d.n_subs = it->n_subs;
	d.alarms = at_arena_alloc(a, (it->n_alarms + 1) * sizeof(*d.alarms));
	for (size_t i = 0; i < it->n_alarms; i++)
		if (i != reminder)
			d.alarms[d.n_alarms++] = it->alarms[i];
	d.attendees = at_arena_alloc(a, (it->n_attendees + 1) * sizeof(*d.attendees));
	for (size_t i = 0; i < it->n_attendees; i++)
		if (rejected[i])
			d.attendees[d.n_attendees++] = it->attendees[i];
	if (organizer_rejected) {
		d.has_organizer = true;
		d.organizer = it->organizer;
	}
	at_buf extra;
	at_buf_init(&extra, 0);
	at_ical_item_lines(&d, &extra);
	if (extra.len > 0)
		json_object_set_new(f, "icalExtra", json_string(extra.data));
	at_buf_free(&extra);
	*fields_r = f;
	return 0;
}

/* ---- fields -> iCalendar ------------------------------------------------------------ */

/* The parameter line (ATTENDEE_PARAMS, ORGANIZER_PARAMS) of an address in
 * icalExtra, NULL when none. */
static const at_ical_prop *params_of(const at_ical_item *x, const char *name, const char *addr)
{
	for (size_t i = 0; x != NULL && i < x->n_other; i++)
		if (strcasecmp(x->other[i].name, name) == 0 && strcmp(x->other[i].value, addr) == 0)
			return &x->other[i];
	return NULL;
}

/* Puts the parameters of a parameter line on an attendee: CUTYPE, ROLE,
 * PARTSTAT, RSVP, X-RESPONSE-COMMENT (single values) in their places
 * (dropped when the fields gave one: the reader would refuse a second),
 * the others after the attendee's own X- parameters, already in extra. */
static void apply_params(at_ical_attendee *at, const at_ical_prop *line, pvec *extra,
			 at_arena *a)
{
	for (size_t i = 0; line != NULL && i < line->params.n; i++) {
		const at_ical_param *p = &line->params.v[i];
		const char *v = p->value;
		bool single = v[0] != '\0' && strchr(v, ',') == NULL;
		const char *u = single ? unquote(a, v) : NULL;
		static const char *const names[] = {"CUTYPE", "ROLE", "PARTSTAT", "RSVP",
						    "X-RESPONSE-COMMENT", "CN"};
		const char **dst[] = {&at->cutype, &at->role, &at->partstat, &at->rsvp,
				      &at->comment, &at->cn};
		size_t k = 0;
		while (k < 6 && !is_param(p, names[k]))
			k++;
		if (k < 6 && *dst[k] != NULL)
			continue;
		if (k < 5 && single)
			*dst[k] = u;
		else
			pvec_add(extra, p->name, p->value);
	}
}

static at_ical_attendee attendee_of(json_t *o, const at_ical_item *x, at_arena *a)
{
	at_ical_attendee at;
	memset(&at, 0, sizeof(at));
	const char *type = jstr(o, "type"), *login = jstr(o, "login");
	bool internal = type != NULL && strcmp(type, "external") != 0 && login != NULL;
	at.address = written_address(o, a);
	at.cn = jstr(o, "name");
	at.partstat = partstat_ical(jstr(o, "status"));
	at.comment = jstr(o, "comment");
	if (internal && strcmp(type, "group") == 0)
		at.cutype = "GROUP";
	pvec extra = {.a = a};
	if (internal) {
		pvec_add(&extra, "X-ATRIUM-TYPE", x_param(a, type));
		pvec_add(&extra, "X-ATRIUM-LOGIN", x_param(a, login));
	}
	json_t *pc = json_object_get(o, "percentComplete");
	if (jstr(o, "taskId") != NULL)
		pvec_add(&extra, "X-ATRIUM-TASK-ID", x_param(a, jstr(o, "taskId")));
	if (jstr(o, "taskStatus") != NULL)
		pvec_add(&extra, "X-ATRIUM-TASK-STATUS", x_param(a, jstr(o, "taskStatus")));
	if (json_is_integer(pc))
		pvec_add(&extra, "X-ATRIUM-PERCENT-COMPLETE",
			 at_arena_printf(a, "%lld", (long long)json_integer_value(pc)));
	apply_params(&at, params_of(x, ATTENDEE_PARAMS, at.address), &extra, a);
	at.extra.v = extra.v;
	at.extra.n = extra.n;
	return at;
}

static at_ical_attendee organizer_of(json_t *d, const at_ical_item *x, at_arena *a)
{
	at_ical_attendee at;
	memset(&at, 0, sizeof(at));
	const char *login = jstr(d, "login");
	at.address = written_address(d, a);
	at.cn = jstr(d, "name");
	pvec extra = {.a = a};
	if (login != NULL)
		pvec_add(&extra, "X-ATRIUM-LOGIN", x_param(a, login));
	if (jstr(d, "taskId") != NULL)
		pvec_add(&extra, "X-ATRIUM-TASK-ID", x_param(a, jstr(d, "taskId")));
	apply_params(&at, params_of(x, ORGANIZER_PARAMS, at.address), &extra, a);
	at.extra.v = extra.v;
	at.extra.n = extra.n;
	return at;
}

/* The reminder as a DISPLAY alarm with an absolute trigger.  A date (no
 * trigger is a date) is its midnight, floating, marked X-ATRIUM-DATE. */
static int write_reminder(const char *wire, at_ical_alarm *al, at_arena *a, at_error *err)
{
	memset(al, 0, sizeof(*al));
	if (ical_time(wire, NULL, "reminder", &al->trigger_at, err) < 0)
		return -1;
	al->action = "DISPLAY";
	al->trigger_set = al->trigger_absolute = true;
	if (al->trigger_at.t.is_date) {
		al->trigger_at.t.is_date = false;
		al->trigger_extra.v = at_arena_alloc(a, sizeof(at_ical_param));
		al->trigger_extra.v[0] = (at_ical_param){"X-ATRIUM-DATE", "TRUE"};
		al->trigger_extra.n = 1;
	}
	al->other = at_arena_alloc(a, sizeof(*al->other));
	al->other[0] = (at_ical_prop){.name = "DESCRIPTION", .value = "Reminder"};
	al->n_other = 1;
	return 0;
}

int at_task_to_ical(json_t *f, const char *uid, at_arena *a, at_ical_item *ev,
		    at_error *err)
{
	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(f))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "a task is a JSON object of fields");
	const char *zone = jstr(f, "timeZone");
	ev->kind = AT_ICAL_TODO;
	ev->uid = jstr(f, "uid") != NULL ? jstr(f, "uid") : uid;
	if (ical_time(jstr(f, "start"), zone, "start", &ev->dtstart, err) < 0 ||
	    ical_time(jstr(f, "due"), zone, "due", &ev->due, err) < 0 ||
	    ical_time(jstr(f, "dateCompleted"), NULL, "dateCompleted", &ev->completed, err) < 0)
		return -1;
	ev->all_day = ev->dtstart.set && ev->dtstart.t.is_date;
	ev->summary.value = jstr(f, "subject");
	ev->description.value = jstr(f, "notes");
	if (jstr(f, "rrule") != NULL) {
		ev->rrules = at_arena_alloc(a, sizeof(char *));
		ev->rrules[0] = jstr(f, "rrule");
		ev->n_rrules = 1;
	}
	json_t *cats = json_object_get(f, "categories");
	if (json_array_size(cats) > 0) {
		ev->categories = at_arena_alloc(a, json_array_size(cats) * sizeof(char *));
		size_t i;
		json_t *c;
		json_array_foreach(cats, i, c) {
			if (json_is_string(c))
				ev->categories[ev->n_categories++] = json_string_value(c);
		}
	}
	json_t *v = json_object_get(f, "percentComplete");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 100) {
		ev->has_percent = true;
		ev->percent_complete = (int)json_integer_value(v);
	}
	v = json_object_get(f, "sequence");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= INT_MAX) {
		ev->has_sequence = true;
		ev->sequence = (int)json_integer_value(v);
	}
	const at_ical_item *x = extra_parse(jstr(f, "icalExtra"), a);

	/* status, priority, class: the field's, with the exact value icalExtra
	 * kept for it when it still says the same; else icalExtra's line */
	propvec other = {.a = a};
	const char *st = jstr(f, "status"), *prio = jstr(f, "priority");
	json_t *priv = json_object_get(f, "private");
	if (st != NULL) {
		bool started = strcmp(st, "inProgress") == 0 || strcmp(st, "waiting") == 0;
		ev->status = strcmp(st, "completed") == 0 ? "COMPLETED"
			     : started ? "IN-PROCESS" : "NEEDS-ACTION";
		if (strcmp(st, "waiting") == 0 || strcmp(st, "deferred") == 0)
			prop_add(&other, "X-ATRIUM-STATUS", st[0] == 'w' ? "WAITING" : "DEFERRED");
	}
	if (prio != NULL) {
		ev->has_priority = true;
		ev->priority = priority_ical(prio);
	}
	if (json_is_boolean(priv))
		ev->klass = json_is_true(priv) ? "PRIVATE" : "PUBLIC";
	bool seen_status = false, seen_priority = false, seen_class = false;
	bool *used = x != NULL ? at_arena_alloc(a, (x->n_other + 1) * sizeof(bool)) : NULL;
	for (size_t i = 0; x != NULL && i < x->n_other; i++) {
		const at_ical_prop *p = &x->other[i];
		used[i] = false;
		if (p->params.n > 0 || p->value[0] == '\0')
			continue;  /* not one the reader takes: written as it is */
		if (strcasecmp(p->name, "STATUS") == 0 && !seen_status) {
			seen_status = used[i] = true;
			if (st == NULL)
				ev->status = p->value;
		} else if (strcasecmp(p->name, "PRIORITY") == 0 && !seen_priority) {
			seen_priority = used[i] = true;
			long n;
			bool num = int_text(p->value, 0, 9, &n);
			if (prio == NULL && num) {
				ev->has_priority = true;
				ev->priority = (int)n;
			} else if (prio == NULL) {
				used[i] = false;  /* not a number: written as it is */
			} else if (num && priority_wire((int)n) != NULL &&
				   strcmp(priority_wire((int)n), prio) == 0) {
				ev->priority = (int)n;
			}
		} else if (strcasecmp(p->name, "CLASS") == 0 && !seen_class) {
			seen_class = used[i] = true;
			if (!json_is_boolean(priv))
				ev->klass = p->value;
			else if (json_is_true(priv) && strcasecmp(p->value, "CONFIDENTIAL") == 0)
				ev->klass = p->value;
		}
	}

	/* X- properties; the zone also when the times carry it (clients that
	 * rewrite them in UTC keep it so) */
	if (zone != NULL)
		prop_add(&other, "X-ATRIUM-TIMEZONE", zone);
	static const char *const work[][2] = {
		{"totalWorkMinutes", "X-ATRIUM-TOTAL-WORK"},
		{"actualWorkMinutes", "X-ATRIUM-ACTUAL-WORK"},
	};
	for (size_t i = 0; i < 2; i++) {
		v = json_object_get(f, work[i][0]);
		if (json_is_integer(v))
			prop_add(&other, work[i][1],
				 at_arena_printf(a, "%lld", (long long)json_integer_value(v)));
	}
	static const char *const texts[][2] = {
		{"companies", "X-ATRIUM-COMPANIES"},
		{"mileage", "X-ATRIUM-MILEAGE"},
		{"billingInformation", "X-ATRIUM-BILLING"},
	};
	for (size_t i = 0; i < 3; i++)
		if (jstr(f, texts[i][0]) != NULL)
			prop_add(&other, texts[i][1], text_escape(a, jstr(f, texts[i][0])));
	size_t i;
	json_array_foreach(json_object_get(f, "contacts"), i, v) {
		if (json_is_string(v))
			prop_add(&other, X_CONTACT, text_escape(a, json_string_value(v)));
	}
	const char *regen = regenerate_text(json_object_get(f, "regenerate"), a);
	if (regen != NULL)
		prop_add(&other, "X-ATRIUM-REGENERATE", regen);
	if (partstat_ical(jstr(f, "response")) != NULL)
		prop_add(&other, "X-ATRIUM-RESPONSE", partstat_ical(jstr(f, "response")));
	if (jstr(f, "responseComment") != NULL)
		prop_add(&other, "X-ATRIUM-RESPONSE-COMMENT",
			 text_escape(a, jstr(f, "responseComment")));

	/* people */
	json_t *dg = json_object_get(f, "delegator");
	if (json_is_object(dg)) {
		ev->has_organizer = true;
		ev->organizer = organizer_of(dg, x, a);
	}
	json_t *ps = json_object_get(f, "participants");
	size_t n_att = json_array_size(ps) + (x != NULL ? x->n_attendees : 0);
	ev->attendees = at_arena_alloc(a, (n_att + 1) * sizeof(*ev->attendees));
	json_array_foreach(ps, i, v) {
		if (json_is_object(v))
			ev->attendees[ev->n_attendees++] = attendee_of(v, x, a);
	}

	/* the reminder, then icalExtra's alarms */
	ev->alarms = at_arena_alloc(a, ((x != NULL ? x->n_alarms : 0) + 1) * sizeof(*ev->alarms));
	if (jstr(f, "reminder") != NULL &&
	    write_reminder(jstr(f, "reminder"), &ev->alarms[ev->n_alarms++], a, err) < 0)
		return -1;
	if (x != NULL) {
		for (i = 0; i < x->n_alarms; i++)
			ev->alarms[ev->n_alarms++] = x->alarms[i];
		for (i = 0; i < x->n_other; i++) {
			const char *n = x->other[i].name;
			if (used[i] || strcasecmp(n, ATTENDEE_PARAMS) == 0 ||
			    strcasecmp(n, ORGANIZER_PARAMS) == 0 ||
			    (st != NULL && strcasecmp(n, "X-ATRIUM-STATUS") == 0))
				continue;
			*prop_add(&other, NULL, NULL) = x->other[i];
		}
		for (i = 0; i < x->n_attendees; i++)
			ev->attendees[ev->n_attendees++] = x->attendees[i];
		/* (LOCATION, DURATION, RECURRENCE-ID: among x->other, their
		 * placeholders took x's own places) */
		ev->transp = x->transp;
		ev->subs = x->subs;
		ev->n_subs = x->n_subs;
		ev->exrules = x->exrules;
		ev->n_exrules = x->n_exrules;
		ev->rdates = x->rdates;
		ev->n_rdates = x->n_rdates;
		ev->exdates = x->exdates;
		ev->n_exdates = x->n_exdates;
		if (x->n_rrules > 0) {
			const char **r = at_arena_alloc(a, (ev->n_rrules + x->n_rrules) * sizeof(*r));
			for (size_t k = 0; k < ev->n_rrules; k++)
				r[k] = ev->rrules[k];
			for (size_t k = 0; k < x->n_rrules; k++)
				r[ev->n_rrules + k] = x->rrules[k];
			ev->rrules = r;
			ev->n_rrules += x->n_rrules;
		}
	}
	ev->other = other.v;
	ev->n_other = other.n;
	return 0;
}
