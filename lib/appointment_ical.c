/* appointment_ical.c — appointments to and from iCalendar events; see the
 * second half of appointment.h.  Reading and writing the text is ical.h's;
 * recurrence is recur.h's; this file only maps fields, plus the matching of
 * custom VTIMEZONEs to IANA zones (libical: the custom zone is built from
 * its definition, the candidates are libical's built-in zones). */
#include "appointment.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "model.h"
#include "strbuf.h"

#define DAY 86400LL

/* ---- custom zones --------------------------------------------------------- */

typedef struct zone_match {
	const char *tzid;   /* as written in the file */
	const char *iana;   /* NULL: no zone has its offsets */
} zone_match;

struct at_appt_ical {
	zone_match *zones;
	size_t n_zones;
};

static void comp_text(at_buf *b, const at_ical_comp *c)
{
	at_buf_printf(b, "BEGIN:%s\r\n", c->name);
	for (size_t i = 0; i < c->n_props; i++) {
		const at_ical_prop *p = &c->props[i];
		at_buf_puts(b, p->name);
		for (size_t k = 0; k < p->params.n; k++)
			at_buf_printf(b, ";%s=%s", p->params.v[k].name, p->params.v[k].value);
		at_buf_printf(b, ":%s\r\n", p->value);
	}
	for (size_t i = 0; i < c->n_subs; i++)
		comp_text(b, &c->subs[i]);
	at_buf_printf(b, "END:%s\r\n", c->name);
}

static int utc_offset(icaltimezone *z, int64_t u)
{
	struct icaltimetype tt = icaltime_null_time();
	int64_t days = u >= 0 ? u / DAY : -((-u + DAY - 1) / DAY), rem = u - days * DAY;
	at_recur_civil_from_days(days, &tt.year, &tt.month, &tt.day);
	tt.hour = (int)(rem / 3600);
	tt.minute = (int)(rem / 60 % 60);
	tt.second = (int)(rem % 60);
	tt.zone = icaltimezone_get_utc_timezone();
	int dst = 0;
	return icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dst);
}

/* Is the city of an IANA name ("Australia/Sydney" -> "sydney") in text? */
static bool names_city(const char *iana, const char *text)
{
	const char *city = strrchr(iana, '/');
	city = city != NULL ? city + 1 : iana;
	char c[64];
	size_t n = 0;
	for (; *city && n + 1 < sizeof(c); city++)
		c[n++] = *city == '_' ? ' ' : (char)tolower((unsigned char)*city);
	c[n] = '\0';
	if (n < 3)
		return false;
	char t[256];
	size_t m = 0;
	for (; *text && m + 1 < sizeof(t); text++)
		t[m++] = (char)tolower((unsigned char)*text);
	t[m] = '\0';
	return strstr(t, c) != NULL;
}

/* The IANA zone whose offsets equal the custom zone's, day by day, over
 * the two years from `year`. */
static const char *match_zone(const at_ical_comp *vtz, const char *tzid, int year,
			      at_arena *arena)
{
	at_buf b;
	at_buf_init(&b, 1u << 20);
	comp_text(&b, vtz);
	icalcomponent *comp = b.overflow ? NULL : icalparser_parse_string(b.data);
	at_buf_free(&b);
	if (comp == NULL || icalcomponent_isa(comp) != ICAL_VTIMEZONE_COMPONENT) {
		if (comp != NULL)
			icalcomponent_free(comp);
		icalerror_clear_errno();
		return NULL;
	}
	icaltimezone *custom = icaltimezone_new();
	if (custom == NULL || !icaltimezone_set_component(custom, comp)) {
		icalcomponent_free(comp);
		if (custom != NULL)
			icaltimezone_free(custom, 1);
		icalerror_clear_errno();
		return NULL;
	}
	if (year < 1970 || year > 2500)
		year = 2020;
	int64_t first = at_recur_days_from_civil(year, 1, 1) * DAY + 12 * 3600;
	enum { N_DAYS = 731, N_QUICK = 8 };
	int off[N_DAYS];
	for (int d = 0; d < N_DAYS; d++)
		off[d] = utc_offset(custom, first + d * DAY);
	icaltimezone_free(custom, 1);

	char best[128] = "", name[128];
	icalarray *all = icaltimezone_get_builtin_timezones();
	for (size_t i = 0; all != NULL && i < all->num_elements; i++) {
		icaltimezone *z = icalarray_element_at(all, i);
		/* a copy: libical replaces the string when it loads the zone */
		const char *loc = icaltimezone_get_location(z);
		if (loc == NULL || strlen(loc) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%s", loc);
		if (!at_recur_zone_known(name))
			continue;
		bool same = true;
		/* a few days first, then every day */
		for (int q = 0; q < N_QUICK && same; q++) {
			int d = q * (N_DAYS / N_QUICK);
			same = utc_offset(z, first + d * DAY) == off[d];
		}
		for (int d = 0; d < N_DAYS && same; d++)
			same = utc_offset(z, first + d * DAY) == off[d];
		if (!same)
			continue;
		if (best[0] == '\0' || (names_city(name, tzid) && !names_city(best, tzid)))
			snprintf(best, sizeof(best), "%s", name);
	}
	icalerror_clear_errno();
	return best[0] != '\0' ? at_arena_strdup(arena, best) : NULL;
}

/* The first year a VTIMEZONE's observances cover with their rules: the
 * latest DTSTART of its observances (later years repeat it). */
static int zone_year(const at_ical_comp *vtz)
{
	int year = 0;
	for (size_t i = 0; i < vtz->n_subs; i++)
		for (size_t k = 0; k < vtz->subs[i].n_props; k++) {
			const at_ical_prop *p = &vtz->subs[i].props[k];
			at_recur_time t;
			if (strcasecmp(p->name, "DTSTART") == 0 &&
			    at_recur_time_parse(p->value, &t) == 0 && t.year > year)
				year = t.year;
		}
	return year;
}

/* Does some event time use this custom zone with an instant (ical.h built
 * it, so it is a definition libical handles)? */
static bool zone_used(const at_ical_calendar *cal, const char *tzid)
{
	for (size_t i = 0; i < cal->n_items; i++) {
		const at_ical_item *it = &cal->items[i];
		if (it->dtstart.custom_zone && it->dtstart.has_utc && it->dtstart.tzid != NULL &&
		    strcmp(it->dtstart.tzid, tzid) == 0)
			return true;
	}
	return false;
}

at_appt_ical *at_appt_ical_new(const at_ical_calendar *cal, at_arena *arena)
{
	at_appt_ical *ctx = at_arena_alloc(arena, sizeof(*ctx));
	ctx->zones = at_arena_alloc(arena, (cal->n_zones + 1) * sizeof(*ctx->zones));
	for (size_t i = 0; i < cal->n_zones && i < 32; i++) {
		const at_ical_zone *z = &cal->zones[i];
		if (z->iana != NULL || z->vtimezone == NULL || z->tzid == NULL ||
		    !zone_used(cal, z->tzid))
			continue;
		zone_match *m = &ctx->zones[ctx->n_zones++];
		m->tzid = z->tzid;
		m->iana = match_zone(z->vtimezone, z->tzid, zone_year(z->vtimezone), arena);
	}
	return ctx;
}

static const char *custom_iana(const at_appt_ical *ctx, const char *tzid)
{
	for (size_t i = 0; ctx != NULL && tzid != NULL && i < ctx->n_zones; i++)
		if (strcmp(ctx->zones[i].tzid, tzid) == 0)
			return ctx->zones[i].iana;
	return NULL;
}

/* ---- times ------------------------------------------------------------------ */

static bool utc_name(const char *z)
{
	return z != NULL && (strcmp(z, "UTC") == 0 || strcmp(z, "Etc/UTC") == 0 ||
			     strcmp(z, "GMT") == 0 || strcmp(z, "Etc/GMT") == 0);
}

/* How the series' times are written on the wire. */
typedef struct master {
	at_appt_kind kind;
	const char *zone;        /* zoned: IANA zone of the rule, NULL = UTC */
	int tod;                 /* time of day of the start, in the zone */
	int64_t dur;             /* seconds (days for all-day) */
} master;

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

/* The instant of a time, if it has one or its wall can be read in zone. */
static bool instant_of(const at_ical_time *t, const char *zone, int64_t *u)
{
	at_error ignored;
	if (t->has_utc) {
		*u = t->utc;
		return true;
	}
	at_recur_time w = t->t;
	w.tzid = zone != NULL ? zone : "UTC";
	if (w.is_date) {
		w.is_date = false;
		w.hour = w.minute = w.second = 0;
	}
	return at_recur_to_utc(&w, NULL, u, &ignored) == 0;
}

/* A time of the series (start, recurrence ids, rdates, exdates) in the
 * series' form.  dates_ok: a date stays a date in a timed series. */
static bool conv_time(const master *m, const at_ical_time *t, bool dates_ok,
		      char out[AT_DATETIME_SIZE])
{
	if (m->kind == AT_APPT_DATES) {
		wire_wall(t->t, true, out);
		return true;
	}
	if (t->t.is_date && dates_ok) {
		wire_wall(t->t, true, out);
		return true;
	}
	at_recur_time w = t->t;
	if (t->t.is_date) {  /* a date in a timed series: at the series' time */
		w.is_date = false;
		w.hour = m->tod / 3600;
		w.minute = m->tod / 60 % 60;
		w.second = m->tod % 60;
		w.tzid = NULL;
		at_ical_time x = {.set = true, .t = w};
		return conv_time(m, &x, false, out);
	}
	if (m->kind == AT_APPT_FLOATING) {
		int64_t u;
		if (t->has_utc && instant_of(t, NULL, &u)) {
			at_error ignored;
			if (at_recur_from_utc(u, NULL, &w, &ignored) < 0)
				return false;
		}
		wire_wall(w, false, out);
		return true;
	}
	int64_t u;
	if (!instant_of(t, m->zone, &u))
		return false;
	wire_instant(u, out);
	return true;
}

static int64_t wire_secs(const char *wire, const char *zone)
{
	at_recur_time t;
	int64_t u = 0;
	at_error ignored;
	if (at_model_datetime_parse(wire, &t) == 0) {
		if (t.is_date) {
			t.is_date = false;
		}
		if (t.tzid == NULL)
			t.tzid = zone;
		at_recur_to_utc(&t, NULL, &u, &ignored);
	}
	return u;
}

/* start (wire) + dur, in the series' form */
static void add_dur(const master *m, const char *start, int64_t dur, char out[AT_DATETIME_SIZE])
{
	at_recur_time t;
	at_error ignored;
	if (at_model_datetime_parse(start, &t) < 0) {
		snprintf(out, AT_DATETIME_SIZE, "%s", start);
		return;
	}
	if (m->kind == AT_APPT_DATES) {
		int64_t d = at_recur_days_from_civil(t.year, t.month, t.day) + dur;
		at_recur_civil_from_days(d, &t.year, &t.month, &t.day);
		at_model_datetime_format(&t, out);
		return;
	}
	int64_t u = wire_secs(start, "UTC") + dur;
	if (at_recur_from_utc(u, NULL, &t, &ignored) < 0)
		return;
	t.tzid = m->kind == AT_APPT_ZONED ? "UTC" : NULL;
	at_model_datetime_format(&t, out);
}

/* Start, end and the series' form of an event (master or instance). */
static void event_times(const at_appt_ical *ctx, const at_ical_item *ev, master *m,
			char start[AT_DATETIME_SIZE], char end[AT_DATETIME_SIZE])
{
	const at_ical_time *s = &ev->dtstart;
	memset(m, 0, sizeof(*m));
	if (s->t.is_date) {
		m->kind = AT_APPT_DATES;
	} else if (s->has_utc) {
		m->kind = AT_APPT_ZONED;
		if (s->t.tzid != NULL && !utc_name(s->t.tzid))
			m->zone = s->t.tzid;
		else if (s->custom_zone)
			m->zone = custom_iana(ctx, s->tzid);
	} else {
		m->kind = AT_APPT_FLOATING;
	}
	conv_time(m, s, false, start);
	if (m->kind != AT_APPT_DATES) {
		at_recur_time w = s->t;
		if (m->kind == AT_APPT_ZONED) {
			at_error ignored;
			at_recur_from_utc(s->utc, m->zone, &w, &ignored);
		}
		m->tod = w.hour * 3600 + w.minute * 60 + w.second;
	}
	/* the length: DTEND, else DURATION, else a day or nothing */
	const at_ical_time *e = &ev->dtend;
	int64_t dur = -1;
	if (m->kind == AT_APPT_DATES) {
		int64_t sd = at_recur_days_from_civil(s->t.year, s->t.month, s->t.day);
		if (e->set && e->t.is_date)
			dur = at_recur_days_from_civil(e->t.year, e->t.month, e->t.day) - sd;
		else if (ev->has_duration && !ev->duration_negative)
			dur = ev->duration.days + ev->duration.seconds / DAY;
		if (dur < 1)
			dur = 1;
	} else {
		char ew[AT_DATETIME_SIZE];
		if (e->set && !e->t.is_date && conv_time(m, e, false, ew))
			dur = wire_secs(ew, "UTC") - wire_secs(start, "UTC");
		else if (ev->has_duration && !ev->duration_negative)
			dur = ev->duration.days * DAY + ev->duration.seconds;
		if (dur < 0)
			dur = 0;
	}
	m->dur = dur;
	add_dur(m, start, dur, end);
}

/* ---- parameters and text ---------------------------------------------------- */

static void params_text(at_buf *b, const at_ical_params *ps, const char *skip1,
			const char *skip2)
{
	for (size_t i = 0; i < ps->n; i++) {
		if ((skip1 && strcasecmp(ps->v[i].name, skip1) == 0) ||
		    (skip2 && strcasecmp(ps->v[i].name, skip2) == 0))
			continue;
		at_buf_printf(b, ";%s=%s", ps->v[i].name, ps->v[i].value);
	}
}

/* ";A=B;C=\"x;y\"" -> params (in arena) */
static at_ical_params params_parse(const char *s, at_arena *arena)
{
	at_ical_params ps = {0};
	size_t cap = 0;
	for (const char *p = s; p && *p; p++)
		cap += *p == ';';
	ps.v = at_arena_alloc(arena, (cap + 1) * sizeof(*ps.v));
	const char *p = s;
	while (p != NULL && *p == ';') {
		p++;
		const char *eq = strchr(p, '=');
		if (eq == NULL)
			break;
		const char *v = eq + 1, *q = v;
		bool quoted = false;
		while (*q && (quoted || *q != ';')) {
			if (*q == '"')
				quoted = !quoted;
			q++;
		}
		ps.v[ps.n].name = at_arena_strndup(arena, p, (size_t)(eq - p));
		ps.v[ps.n].value = at_arena_strndup(arena, v, (size_t)(q - v));
		ps.n++;
		p = q;
	}
	return ps;
}

static const char *param_get(const at_ical_params *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcasecmp(ps->v[i].name, name) == 0)
			return ps->v[i].value;
	return NULL;
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

static void set_text(json_t *f, const char *name, const at_ical_text *t, bool multi)
{
	if (t->value == NULL)
		return;
	json_t *v = multi ? json_string(t->value) : one_line(t->value);
	if (v != NULL)
		json_object_set_new(f, name, v);
}

/* ---- participants ------------------------------------------------------------- */

static const struct { const char *ical, *wire; } partstats[] = {
	{"NEEDS-ACTION", "none"}, {"ACCEPTED", "accepted"}, {"DECLINED", "declined"},
	{"TENTATIVE", "tentative"},
}, roles[] = {
	{"REQ-PARTICIPANT", "required"}, {"OPT-PARTICIPANT", "optional"}, {"CHAIR", "chair"},
	{"NON-PARTICIPANT", "nonParticipant"},
};

static const char *map_to(const char *v, bool to_wire, const void *table, size_t n)
{
	const struct { const char *ical, *wire; } *t = table;
	for (size_t i = 0; v != NULL && i < n; i++)
		if (strcasecmp(v, to_wire ? t[i].ical : t[i].wire) == 0)
			return to_wire ? t[i].wire : t[i].ical;
	return NULL;
}

static const char *strip_mailto(const char *a)
{
	return strncasecmp(a, "mailto:", 7) == 0 ? a + 7 : a;
}

/* ";NAME=value", quoted when the value must be (it was unquoted by the
 * reader, so it holds no '"'). */
static void put_param(at_buf *b, const char *name, const char *value)
{
	bool quote = value[0] == '\0' || strpbrk(value, ",;:") != NULL;
	at_buf_printf(b, quote ? ";%s=\"%s\"" : ";%s=%s", name, value);
}

/* An attendee (or, organizer=true, the organizer) as an object; NULL when
 * it has no address. */
static json_t *person(const at_ical_attendee *a, bool organizer)
{
	if (a->address == NULL || strip_mailto(a->address)[0] == '\0')
		return NULL;
	json_t *o = json_object();
	at_buf extra;
	at_buf_init(&extra, 0);
	const char *type = param_get(&a->extra, "X-ATRIUM-TYPE");
	const char *login = param_get(&a->extra, "X-ATRIUM-LOGIN");
	bool internal = type != NULL && login != NULL && !organizer &&
			(strcmp(type, "user") == 0 || strcmp(type, "group") == 0 ||
			 strcmp(type, "resource") == 0);
	if (organizer && login != NULL)
		json_object_set_new(o, "login", json_string(login));
	if (!organizer)
		json_object_set_new(o, "type", json_string(internal ? type : "external"));
	if (internal)
		json_object_set_new(o, "login", json_string(login));
	if (!internal || strncmp(a->address, "urn:atrium:", 11) != 0)
		json_object_set_new(o, "address", one_line(strip_mailto(a->address)));
	if (a->cn != NULL)
		json_object_set_new(o, "name", one_line(a->cn));
	const char *ps = map_to(a->partstat, true, partstats, 4);
	const char *role = map_to(a->role, true, roles, 4);
	if (!organizer && ps != NULL)
		json_object_set_new(o, "status", json_string(ps));
	else if (a->partstat != NULL)
		put_param(&extra, "PARTSTAT", a->partstat);
	if (!organizer && role != NULL)
		json_object_set_new(o, "role", json_string(role));
	else if (a->role != NULL)
		put_param(&extra, "ROLE", a->role);
	if (!organizer && a->rsvp != NULL &&
	    (strcasecmp(a->rsvp, "TRUE") == 0 || strcasecmp(a->rsvp, "FALSE") == 0))
		json_object_set_new(o, "rsvp", json_boolean(strcasecmp(a->rsvp, "TRUE") == 0));
	else if (a->rsvp != NULL)
		put_param(&extra, "RSVP", a->rsvp);
	if (!organizer && a->comment != NULL)
		json_object_set_new(o, "comment", one_line(a->comment));
	else if (a->comment != NULL)
		put_param(&extra, "X-RESPONSE-COMMENT", a->comment);
	/* the CUTYPE the writer gives an internal participant's type is not kept */
	const char *dflt = !internal ? NULL
			   : strcmp(type, "group") == 0 ? "GROUP"
			   : strcmp(type, "resource") == 0 ? "RESOURCE" : "INDIVIDUAL";
	if (a->cutype != NULL && !(dflt != NULL && strcasecmp(a->cutype, dflt) == 0))
		put_param(&extra, "CUTYPE", a->cutype);
	params_text(&extra, &a->extra, "X-ATRIUM-TYPE", "X-ATRIUM-LOGIN");
	if (extra.len > 0)
		json_object_set_new(o, "icalParams", json_string(extra.data));
	at_buf_free(&extra);
	return o;
}

/* The attendees that make participants; rejected[i] marks the others (no
 * address, or someone named twice: the first one counts), which are kept
 * in icalExtra. */
static json_t *participants(const at_ical_item *ev, bool *rejected)
{
	json_t *list = json_array();
	for (size_t i = 0; i < ev->n_attendees; i++) {
		json_t *p = person(&ev->attendees[i], false);
		rejected[i] = p == NULL;
		if (p == NULL)
			continue;
		bool dup = false;
		size_t k;
		json_t *q;
		const char *pa = json_string_value(json_object_get(p, "address"));
		const char *pl = json_string_value(json_object_get(p, "login"));
		const char *pt = json_string_value(json_object_get(p, "type"));
		json_array_foreach(list, k, q) {
			const char *qa = json_string_value(json_object_get(q, "address"));
			const char *ql = json_string_value(json_object_get(q, "login"));
			const char *qt = json_string_value(json_object_get(q, "type"));
			dup |= (pa && qa && strcasecmp(pa, qa) == 0) ||
			       (pl && ql && strcmp(pl, ql) == 0 && strcmp(pt, qt) == 0);
		}
		rejected[i] = dup;
		if (dup)
			json_decref(p);
		else
			json_array_append_new(list, p);
	}
	return list;
}

/* ---- the fields of one event ----------------------------------------------------- */

static bool reminder_alarm(const at_ical_alarm *al)
{
	if (al->action == NULL || strcasecmp(al->action, "DISPLAY") != 0 || !al->trigger_set ||
	    al->trigger_absolute || al->related_end || al->trigger_seconds > 0 ||
	    al->trigger_seconds < -525600LL * 60 || al->trigger_extra.n > 0 || al->n_subs > 0)
		return false;
	for (size_t i = 0; i < al->n_other; i++)
		if (strcasecmp(al->other[i].name, "DESCRIPTION") != 0 || al->n_other > 1)
			return false;
	return true;
}

static const char *const show_as[][2] = {
	{"FREE", "free"}, {"TENTATIVE", "tentative"}, {"BUSY", "busy"}, {"OOF", "outOfOffice"},
};

/* The unmapped parts of an event as content lines (LF between lines). */
static void extra_text(at_buf *out, const at_ical_item *ev, size_t reminder, bool standalone,
		       const bool *rejected, bool organizer_rejected)
{
	at_arena *a = at_arena_new(0);
	at_ical_item d = {0};
	d.kind = AT_ICAL_EVENT;
	/* STATUS, PRIORITY and unknown CLASS and TRANSP first, as plain lines
	 * (the writer's order): read back, they stay plain lines, and a second
	 * CLASS of the file after one the fields took stays where it was */
	at_ical_prop *other = at_arena_alloc(a, (ev->n_other + 5) * sizeof(*other));
	if (ev->status != NULL)
		other[d.n_other++] = (at_ical_prop){.name = "STATUS", .value = ev->status};
	if (ev->has_priority)
		other[d.n_other++] = (at_ical_prop){.name = "PRIORITY",
						    .value = at_arena_printf(a, "%d", ev->priority)};
	if (ev->klass != NULL && strcasecmp(ev->klass, "PUBLIC") != 0 &&
	    strcasecmp(ev->klass, "PRIVATE") != 0 && strcasecmp(ev->klass, "CONFIDENTIAL") != 0)
		other[d.n_other++] = (at_ical_prop){.name = "CLASS", .value = ev->klass};
	if (ev->transp != NULL && strcasecmp(ev->transp, "OPAQUE") != 0 &&
	    strcasecmp(ev->transp, "TRANSPARENT") != 0)
		other[d.n_other++] = (at_ical_prop){.name = "TRANSP", .value = ev->transp};
	for (size_t i = 0; i < ev->n_other; i++) {
		const char *n = ev->other[i].name;
		/* DTSTAMP is the writer's; a second DURATION (the writer puts out
		 * DTEND) would be read back as the first */
		if (strcasecmp(n, "DTSTAMP") == 0 || strcasecmp(n, "X-MICROSOFT-CDO-BUSYSTATUS") == 0 ||
		    strcasecmp(n, "X-ATRIUM-LABEL") == 0 ||
		    (strcasecmp(n, "DURATION") == 0 && ev->other[i].params.n == 0))
			continue;
		other[d.n_other++] = ev->other[i];
	}
	d.other = other;
	d.subs = ev->subs;
	d.n_subs = ev->n_subs;
	d.alarms = at_arena_alloc(a, (ev->n_alarms + 1) * sizeof(*d.alarms));
	for (size_t i = 0; i < ev->n_alarms; i++)
		if (i != reminder)
			d.alarms[d.n_alarms++] = ev->alarms[i];
	d.attendees = at_arena_alloc(a, (ev->n_attendees + 1) * sizeof(*d.attendees));
	for (size_t i = 0; i < ev->n_attendees; i++)
		if (rejected[i])
			d.attendees[d.n_attendees++] = ev->attendees[i];
	if (organizer_rejected) {
		d.has_organizer = true;
		d.organizer = ev->organizer;
	}
	if (standalone) {
		/* an instance whose series the file lacks stays one, with what
		 * else it says about recurrence */
		d.recurrence_id = ev->recurrence_id;
		d.this_and_future = ev->this_and_future;
		d.rdates = ev->rdates;
		d.n_rdates = ev->n_rdates;
		d.exdates = ev->exdates;
		d.n_exdates = ev->n_exdates;
	}
	d.exrules = ev->exrules;
	d.n_exrules = ev->n_exrules;
	if (ev->n_rrules > (standalone ? 0 : 1)) {
		d.rrules = ev->rrules + (standalone ? 0 : 1);
		d.n_rrules = ev->n_rrules - (standalone ? 0 : 1);
	}
	at_ical_item_lines(&d, out);
	at_arena_free(&a);
}

/* The fields an event and an instance share: text, people, labels,
 * reminder, extras. */
static void common_fields(const at_ical_item *ev, json_t *f, bool standalone)
{
	set_text(f, "subject", &ev->summary, false);
	set_text(f, "location", &ev->location, false);
	set_text(f, "notes", &ev->description, true);
	if (ev->n_categories > 0) {
		json_t *c = json_array();
		for (size_t i = 0; i < ev->n_categories; i++)
			if (ev->categories[i][0] != '\0')
				json_array_append_new(c, one_line(ev->categories[i]));
		json_object_set_new(f, "categories", c);
	}
	if (ev->klass != NULL) {
		if (strcasecmp(ev->klass, "PRIVATE") == 0 || strcasecmp(ev->klass, "CONFIDENTIAL") == 0)
			json_object_set_new(f, "private", json_true());
		else if (strcasecmp(ev->klass, "PUBLIC") == 0)
			json_object_set_new(f, "private", json_false());
	}
	const char *busy = NULL;
	for (size_t i = 0; i < ev->n_other; i++) {
		const at_ical_prop *p = &ev->other[i];
		if (strcasecmp(p->name, "X-MICROSOFT-CDO-BUSYSTATUS") == 0) {
			for (size_t k = 0; k < 4; k++)
				if (strcasecmp(p->value, show_as[k][0]) == 0)
					busy = show_as[k][1];
		} else if (strcasecmp(p->name, "X-ATRIUM-LABEL") == 0) {
			json_object_set_new(f, "label", json_string(p->value));
		}
	}
	if (busy == NULL && ev->transp != NULL)
		busy = strcasecmp(ev->transp, "TRANSPARENT") == 0 ? "free"
		       : strcasecmp(ev->transp, "OPAQUE") == 0 ? "busy" : NULL;
	if (busy != NULL)
		json_object_set_new(f, "showAs", json_string(busy));
	bool organizer_rejected = false;
	if (ev->has_organizer) {
		json_t *o = person(&ev->organizer, true);
		if (o != NULL)
			json_object_set_new(f, "organizer", o);
		organizer_rejected = o == NULL;
	}
	bool *rejected = calloc(ev->n_attendees + 1, sizeof(bool));
	if (rejected == NULL)
		abort();
	json_t *p = participants(ev, rejected);
	if (json_array_size(p) > 0)
		json_object_set_new(f, "participants", p);
	else
		json_decref(p);
	size_t reminder = SIZE_MAX;
	for (size_t i = 0; i < ev->n_alarms && reminder == SIZE_MAX; i++)
		if (reminder_alarm(&ev->alarms[i]))
			reminder = i;
	if (reminder != SIZE_MAX)
		json_object_set_new(f, "reminderMinutes",
				    json_integer(-ev->alarms[reminder].trigger_seconds / 60));
	if (ev->has_sequence)
		json_object_set_new(f, "sequence", json_integer(ev->sequence));
	at_buf extra;
	at_buf_init(&extra, 0);
	extra_text(&extra, ev, reminder, standalone, rejected, organizer_rejected);
	free(rejected);
	if (extra.len > 0)
		json_object_set_new(f, "icalExtra", json_string(extra.data));
	at_buf_free(&extra);
}

static void list_add(json_t *f, const char *name, const char *value)
{
	json_t *l = json_object_get(f, name);
	if (l == NULL) {
		l = json_array();
		json_object_set_new(f, name, l);
	}
	size_t i;
	json_t *v;
	json_array_foreach(l, i, v) {
		if (strcmp(json_string_value(v), value) == 0)
			return;
	}
	json_array_append_new(l, json_string(value));
}

static const char *const override_keys[] = {
	"subject", "location", "label", "reminderMinutes", "showAs", "notes", "categories",
	"participants", "icalExtra",
};

int at_appt_from_ical(at_appt_ical *ctx, const at_ical_item *ev, json_t **fields_r,
		      at_error *err)
{
	*fields_r = NULL;
	if (ev->kind != AT_ICAL_EVENT)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "icalendar", "line %u: a task (VTODO), not an event", ev->line);
	if (!ev->dtstart.set)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "start", "line %u: the event has no DTSTART", ev->line);
	json_t *f = json_object();
	master m;
	char start[AT_DATETIME_SIZE], end[AT_DATETIME_SIZE], buf[AT_DATETIME_SIZE];
	event_times(ctx, ev, &m, start, end);
	json_object_set_new(f, "start", json_string(start));
	json_object_set_new(f, "end", json_string(end));
	if (m.kind == AT_APPT_DATES)
		json_object_set_new(f, "allDay", json_true());
	if (m.kind == AT_APPT_ZONED && m.zone != NULL)
		json_object_set_new(f, "timeZone", json_string(m.zone));
	if (ev->uid != NULL)
		json_object_set_new(f, "uid", one_line(ev->uid));
	/* an instance without its series is an appointment of its own (its
	 * RECURRENCE-ID kept in icalExtra) */
	common_fields(ev, f, ev->recurrence_id.set);
	if (ev->recurrence_id.set) {
		*fields_r = f;
		return 0;
	}
	if (ev->n_rrules > 0)
		json_object_set_new(f, "rrule", json_string(ev->rrules[0]));
	for (size_t i = 0; i < ev->n_rdates; i++)
		if (conv_time(&m, &ev->rdates[i].start, false, buf))
			list_add(f, "rdates", buf);
	bool recurs = ev->n_rrules > 0 || json_object_get(f, "rdates") != NULL;
	for (size_t i = 0; recurs && i < ev->n_exdates; i++)
		if (conv_time(&m, &ev->exdates[i], true, buf))
			list_add(f, "exdates", buf);
	json_t *ovs = json_array();
	for (size_t i = 0; recurs && i < ev->n_overrides; i++) {
		const at_ical_item *o = &ev->overrides[i];
		char rid[AT_DATETIME_SIZE];
		if (!conv_time(&m, &o->recurrence_id, false, rid))
			continue;
		if (o->status != NULL && strcasecmp(o->status, "CANCELLED") == 0) {
			list_add(f, "exdates", rid);
			continue;
		}
		bool dup = false;
		size_t k;
		json_t *q;
		json_array_foreach(ovs, k, q) {
			dup |= strcmp(json_string_value(json_object_get(q, "recurrenceId")), rid) == 0;
		}
		if (dup)
			continue;
		json_t *of = json_object(), *ov = json_pack("{s:s}", "recurrenceId", rid);
		common_fields(o, of, false);
		for (size_t n = 0; n < sizeof(override_keys) / sizeof(override_keys[0]); n++) {
			json_t *v = json_object_get(of, override_keys[n]);
			if (v != NULL && !json_equal(v, json_object_get(f, override_keys[n])))
				json_object_set(ov, override_keys[n], v);
		}
		if (o->dtstart.set) {
			master om;
			char os[AT_DATETIME_SIZE], oe[AT_DATETIME_SIZE], dflt[AT_DATETIME_SIZE];
			event_times(ctx, o, &om, os, oe);
			/* in the series' form (an instance may be written otherwise) */
			if (conv_time(&m, &o->dtstart, false, os)) {
				add_dur(&m, os, om.kind == m.kind ? om.dur : m.dur, oe);
				if (strcmp(os, rid) != 0)
					json_object_set_new(ov, "start", json_string(os));
				add_dur(&m, os, m.dur, dflt);
				if (strcmp(oe, dflt) != 0)
					json_object_set_new(ov, "end", json_string(oe));
			}
		}
		json_decref(of);
		/* kept even when nothing differs: the file has the instance (and
		 * an instance off the rule is an occurrence of its own) */
		json_array_append_new(ovs, ov);
	}
	if (json_array_size(ovs) > 0)
		json_object_set_new(f, "overrides", ovs);
	else
		json_decref(ovs);
	*fields_r = f;
	return 0;
}

/* ---- the event of fields ----------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A wire time as an event time: instants in zone (NULL: UTC). */
static at_ical_time ical_time(const char *wire, const char *zone)
{
	at_ical_time t = {0};
	at_recur_time r;
	at_error ignored;
	if (wire == NULL || at_model_datetime_parse(wire, &r) < 0)
		return t;
	t.set = true;
	if (r.tzid != NULL && zone != NULL && !utc_name(zone)) {
		int64_t u;
		at_recur_to_utc(&r, NULL, &u, &ignored);
		at_recur_from_utc(u, zone, &r, &ignored);
	}
	t.t = r;
	return t;
}

/* Is an address a URI of a scheme other than mailto ("urn:uuid:...")?
 * Those are kept whole; anything else is the part after "mailto:". */
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

static at_ical_attendee attendee_of(json_t *o, bool organizer, at_arena *a)
{
	at_ical_attendee at = {0};
	const char *type = jstr(o, "type"), *login = jstr(o, "login"), *addr = jstr(o, "address");
	const char *params = jstr(o, "icalParams");
	at_ical_params extra = params != NULL ? params_parse(params, a) : (at_ical_params){0};
	/* CUTYPE, ROLE, PARTSTAT, RSVP kept in icalParams go to their places */
	at_ical_params rest = {at_arena_alloc(a, (extra.n + 2) * sizeof(at_ical_param)), 0};
	for (size_t i = 0; i < extra.n; i++) {
		const char *n = extra.v[i].name, *v = extra.v[i].value;
		if (strpbrk(v, ",\"") != NULL || v[0] == '\0')
			rest.v[rest.n++] = extra.v[i];  /* a list: as it was written */
		else if (strcasecmp(n, "CUTYPE") == 0)
			at.cutype = v;
		else if (strcasecmp(n, "ROLE") == 0)
			at.role = v;
		else if (strcasecmp(n, "PARTSTAT") == 0)
			at.partstat = v;
		else if (strcasecmp(n, "RSVP") == 0)
			at.rsvp = v;
		else
			rest.v[rest.n++] = extra.v[i];
	}
	bool internal = !organizer && type != NULL && strcmp(type, "external") != 0 && login != NULL;
	if (internal) {
		rest.v[rest.n++] = (at_ical_param){"X-ATRIUM-TYPE", type};
		rest.v[rest.n++] = (at_ical_param){"X-ATRIUM-LOGIN", login};
		if (at.cutype == NULL)
			at.cutype = strcmp(type, "group") == 0 ? "GROUP"
				    : strcmp(type, "resource") == 0 ? "RESOURCE" : "INDIVIDUAL";
	}
	at.extra = rest;
	if (addr != NULL)
		at.address = other_scheme(addr) ? addr : at_arena_printf(a, "mailto:%s", addr);
	else
		at.address = at_arena_printf(a, "urn:atrium:%s:%s", type ? type : "user",
					     login ? login : "");
	at.cn = jstr(o, "name");
	const char *ps = map_to(jstr(o, "status"), false, partstats, 4);
	if (ps != NULL)
		at.partstat = ps;
	const char *role = map_to(jstr(o, "role"), false, roles, 4);
	if (role != NULL)
		at.role = role;
	json_t *rsvp = json_object_get(o, "rsvp");
	if (json_is_boolean(rsvp))
		at.rsvp = json_is_true(rsvp) ? "TRUE" : "FALSE";
	at.comment = jstr(o, "comment");
	return at;
}

/* Lines the wrapper of extra_item() puts before icalExtra. */
#define EXTRA_HEAD_LINES 16

/* icalExtra parsed back into a blank event (NULL when there is none, or
 * when it is not iCalendar: err, if not NULL, says why). */
static const at_ical_item *extra_parse(const char *extra, at_arena *arena, at_error *err)
{
	if (extra == NULL || extra[0] == '\0')
		return NULL;
	at_buf b;
	at_buf_init(&b, 0);
	/* Placeholders take the places a property has once (the first one
	 * counts), so that the extra ones land among the unmapped properties
	 * again, as they did in the file. */
	at_buf_puts(&b, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:-\r\n"
		    "DTSTART:20000101T000000Z\r\nDTEND:20000101T000000Z\r\nDURATION:PT0S\r\n"
		    "RECURRENCE-ID:20000101T000000Z\r\nSUMMARY:-\r\nLOCATION:-\r\n"
		    "DESCRIPTION:-\r\nSEQUENCE:0\r\nORGANIZER:mailto:-\r\nSTATUS:-\r\n"
		    "PRIORITY:0\r\nCLASS:-\r\nTRANSP:-\r\n");
	for (const char *p = extra; *p; p++) {
		if (*p == '\n')
			at_buf_puts(&b, "\r\n");
		else if (*p != '\r')
			at_buf_putc(&b, *p);
	}
	at_buf_puts(&b, "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
	at_ical_calendar *cal;
	at_error e;
	unsigned line = 0;
	const at_ical_item *it = NULL;
	if (at_ical_parse(b.data, b.len, NULL, arena, &cal, &line, &e) < 0) {
		const char *msg = strncmp(e.message, "line ", 5) == 0 && strstr(e.message, ": ")
				  ? strstr(e.message, ": ") + 2 : e.message;
		if (err != NULL)
			at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				     "icalExtra", "icalExtra, line %u: %s",
				     line > EXTRA_HEAD_LINES ? line - EXTRA_HEAD_LINES : 1, msg);
	} else if (cal->n_items != 1 || cal->n_others > 0 || cal->n_zones > 0) {
		if (err != NULL)
			at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				     "icalExtra", "icalExtra holds properties of one event, not "
				     "components of a calendar");
	} else {
		it = &cal->items[0];
	}
	at_buf_free(&b);
	return it;
}

static const at_ical_item *extra_item(const char *extra, at_arena *arena)
{
	return extra_parse(extra, arena, NULL);
}

int at_appt_ical_extra_check(const char *extra, at_error *err)
{
	at_arena *a = at_arena_new(0);
	at_error_clear(err);
	const at_ical_item *it = extra_parse(extra, a, err);
	int rc = it != NULL || extra == NULL || extra[0] == '\0' ? 0 : -1;
	at_arena_free(&a);
	return rc;
}

static void add_prop(at_ical_item *ev, const char *name, const char *value, at_arena *a)
{
	at_ical_prop *v = at_arena_alloc(a, (ev->n_other + 1) * sizeof(*v));
	if (ev->n_other > 0)
		memcpy(v, ev->other, ev->n_other * sizeof(*v));
	v[ev->n_other++] = (at_ical_prop){.name = name, .value = value};
	ev->other = v;
}

/* Everything an event and an instance share, from fields f. */
static void fill_common(at_ical_item *ev, json_t *f, at_arena *a)
{
	if (jstr(f, "subject"))
		ev->summary.value = jstr(f, "subject");
	if (jstr(f, "location"))
		ev->location.value = jstr(f, "location");
	if (jstr(f, "notes"))
		ev->description.value = jstr(f, "notes");
	json_t *cats = json_object_get(f, "categories");
	if (json_array_size(cats) > 0) {
		ev->categories = at_arena_alloc(a, json_array_size(cats) * sizeof(char *));
		size_t i;
		json_t *c;
		json_array_foreach(cats, i, c) {
			ev->categories[ev->n_categories++] = json_string_value(c);
		}
	}
	json_t *priv = json_object_get(f, "private");
	if (json_is_boolean(priv))
		ev->klass = json_is_true(priv) ? "PRIVATE" : "PUBLIC";
	const char *sa = jstr(f, "showAs");
	if (sa != NULL) {
		ev->transp = strcmp(sa, "free") == 0 ? "TRANSPARENT" : "OPAQUE";
		for (size_t k = 0; k < 4; k++)
			if (strcmp(sa, show_as[k][1]) == 0 &&
			    (strcmp(sa, "tentative") == 0 || strcmp(sa, "outOfOffice") == 0))
				add_prop(ev, "X-MICROSOFT-CDO-BUSYSTATUS", show_as[k][0], a);
	}
	if (jstr(f, "label"))
		add_prop(ev, "X-ATRIUM-LABEL", jstr(f, "label"), a);
	json_t *org = json_object_get(f, "organizer");
	if (json_is_object(org)) {
		ev->has_organizer = true;
		ev->organizer = attendee_of(org, true, a);
	}
	json_t *ps = json_object_get(f, "participants");
	if (json_array_size(ps) > 0) {
		ev->attendees = at_arena_alloc(a, json_array_size(ps) * sizeof(*ev->attendees));
		size_t i;
		json_t *p;
		json_array_foreach(ps, i, p) {
			ev->attendees[ev->n_attendees++] = attendee_of(p, false, a);
		}
	}
	json_t *seq = json_object_get(f, "sequence");
	if (json_is_integer(seq)) {
		ev->has_sequence = true;
		ev->sequence = (int)json_integer_value(seq);
	}
	const at_ical_item *x = extra_item(jstr(f, "icalExtra"), a);
	size_t n_alarms = (x ? x->n_alarms : 0) + 1;
	ev->alarms = at_arena_alloc(a, n_alarms * sizeof(*ev->alarms));
	json_t *rem = json_object_get(f, "reminderMinutes");
	if (json_is_integer(rem)) {
		at_ical_alarm *al = &ev->alarms[ev->n_alarms++];
		al->action = "DISPLAY";
		al->trigger_set = true;
		al->trigger_seconds = -60 * (int64_t)json_integer_value(rem);
		al->trigger_minutes = -(int)json_integer_value(rem);
		al->other = at_arena_alloc(a, sizeof(*al->other));
		al->other[0] = (at_ical_prop){.name = "DESCRIPTION", .value = "Reminder"};
		al->n_other = 1;
	}
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n_alarms; i++)
		ev->alarms[ev->n_alarms++] = x->alarms[i];
	for (size_t i = 0; i < x->n_other; i++) {
		add_prop(ev, x->other[i].name, x->other[i].value, a);
		ev->other[ev->n_other - 1].params = x->other[i].params;
	}
	ev->subs = x->subs;
	ev->n_subs = x->n_subs;
	ev->exrules = x->exrules;
	ev->n_exrules = x->n_exrules;
	/* attendees without a field (no address, named twice), after those
	 * with one; an organizer without one is among x's plain lines (the
	 * placeholder took its place) */
	if (x->n_attendees > 0) {
		at_ical_attendee *v = at_arena_alloc(a, (ev->n_attendees + x->n_attendees) *
							    sizeof(*v));
		if (ev->n_attendees > 0)
			memcpy(v, ev->attendees, ev->n_attendees * sizeof(*v));
		memcpy(v + ev->n_attendees, x->attendees, x->n_attendees * sizeof(*v));
		ev->attendees = v;
		ev->n_attendees += x->n_attendees;
	}
	if (ev->n_rdates == 0) {  /* those of an instance without its series */
		ev->rdates = x->rdates;
		ev->n_rdates = x->n_rdates;
	}
	if (ev->n_exdates == 0) {
		ev->exdates = x->exdates;
		ev->n_exdates = x->n_exdates;
	}
	if (x->n_rrules > 0) {
		const char **r = at_arena_alloc(a, (ev->n_rrules + x->n_rrules) * sizeof(*r));
		for (size_t i = 0; i < ev->n_rrules; i++)
			r[i] = ev->rrules[i];
		for (size_t i = 0; i < x->n_rrules; i++)
			r[ev->n_rrules + i] = x->rrules[i];
		ev->rrules = r;
		ev->n_rrules += x->n_rrules;
	}
}

int at_appt_to_ical(json_t *fields, const char *uid, at_arena *a, at_ical_item *ev,
		    at_error *err)
{
	memset(ev, 0, sizeof(*ev));
	at_appt ap;
	if (at_appt_load(fields, a, &ap, err) < 0)
		return -1;
	const char *zone = ap.kind == AT_APPT_ZONED ? ap.zone : NULL;
	ev->kind = AT_ICAL_EVENT;
	ev->uid = jstr(fields, "uid") != NULL ? jstr(fields, "uid") : uid;
	ev->dtstart = ical_time(jstr(fields, "start"), zone);
	ev->dtend = ical_time(jstr(fields, "end"), zone);
	ev->all_day = ap.kind == AT_APPT_DATES;
	if (jstr(fields, "rrule") != NULL) {
		ev->rrules = at_arena_alloc(a, sizeof(char *));
		ev->rrules[0] = jstr(fields, "rrule");
		ev->n_rrules = 1;
	}
	fill_common(ev, fields, a);
	json_t *rd = json_object_get(fields, "rdates");
	if (json_array_size(rd) > 0) {
		ev->rdates = at_arena_alloc(a, json_array_size(rd) * sizeof(*ev->rdates));
		ev->n_rdates = 0;
		size_t i;
		json_t *v;
		json_array_foreach(rd, i, v) {
			ev->rdates[ev->n_rdates++].start = ical_time(json_string_value(v), zone);
		}
	}
	json_t *ex = json_object_get(fields, "exdates");
	if (json_array_size(ex) > 0) {
		ev->exdates = at_arena_alloc(a, json_array_size(ex) * sizeof(*ev->exdates));
		ev->n_exdates = 0;
		size_t i;
		json_t *v;
		json_array_foreach(ex, i, v) {
			ev->exdates[ev->n_exdates++] = ical_time(json_string_value(v), zone);
		}
	}
	json_t *ovs = json_object_get(fields, "overrides");
	if (json_array_size(ovs) > 0) {
		ev->overrides = at_arena_alloc(a, json_array_size(ovs) * sizeof(*ev->overrides));
		for (size_t i = 0; i < ap.series.n_overrides; i++) {
			json_t *o = ap.override_objs[i];
			/* a whole instance: the series' fields with the override's over
			 * them (shared values: fields outlives the event) */
			json_t *inst = json_object();
			static const char *const series_only[] = {
				"rrule", "rdates", "exdates", "overrides", "icalExtra", "uid"};
			const char *key;
			json_t *v;
			json_object_foreach(fields, key, v) {
				bool skip = false;
				for (size_t k = 0; k < sizeof(series_only) / sizeof(series_only[0]); k++)
					skip |= strcmp(key, series_only[k]) == 0;
				if (!skip)
					json_object_set(inst, key, v);
			}
			json_object_foreach(o, key, v) {
				json_object_set(inst, key, v);
			}
			at_ical_item *oi = &ev->overrides[ev->n_overrides++];
			oi->kind = AT_ICAL_EVENT;
			oi->uid = ev->uid;
			oi->recurrence_id = ical_time(jstr(o, "recurrenceId"), zone);
			/* the instance's times, from the series' clock to wire form */
			char s[AT_DATETIME_SIZE], e[AT_DATETIME_SIZE];
			at_recur_time st = ap.series.overrides[i].start, en = ap.series.overrides[i].end;
			if (ap.kind == AT_APPT_ZONED) {
				int64_t u;
				at_error ignored;
				at_recur_to_utc(&st, NULL, &u, &ignored);
				wire_instant(u, s);
				at_recur_to_utc(&en, NULL, &u, &ignored);
				wire_instant(u, e);
			} else {
				wire_wall(st, ap.kind == AT_APPT_DATES, s);
				wire_wall(en, ap.kind == AT_APPT_DATES, e);
			}
			oi->dtstart = ical_time(s, zone);
			oi->dtend = ical_time(e, zone);
			oi->all_day = ev->all_day;
			fill_common(oi, inst, a);
			json_decref(inst);
		}
	}
	return 0;
}
