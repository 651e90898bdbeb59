/* appointment.c — see appointment.h. */
#include "appointment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "protocol.h"

#define DAY 86400LL

static int bad(at_error *err, const char *field, const char *fmt, const char *detail)
{
	return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field, fmt,
			    field, detail);
}

static at_appt_kind kind_of(const at_recur_time *t)
{
	return t->is_date ? AT_APPT_DATES : t->tzid != NULL ? AT_APPT_ZONED : AT_APPT_FLOATING;
}

static const char *kind_text(at_appt_kind k)
{
	return k == AT_APPT_DATES ? "dates (an all-day appointment)"
	       : k == AT_APPT_ZONED ? "UTC times (YYYY-MM-DDTHH:MM:SSZ)"
				    : "floating local times (YYYY-MM-DDTHH:MM:SS)";
}

static int parse_at(json_t *v, const char *field, at_recur_time *t, at_error *err)
{
	if (!json_is_string(v) || at_model_datetime_parse(json_string_value(v), t) < 0)
		return bad(err, field, "%s: %s is not a date or time", "");
	return 0;
}

/* A wire time of the appointment's kind into the series' wall clock.
 * dates_ok: a date is also accepted for a timed series (exdates). */
static int to_series(const at_appt *a, json_t *v, const char *field, bool dates_ok,
		     at_recur_time *out, at_error *err)
{
	at_recur_time t;
	if (parse_at(v, field, &t, err) < 0)
		return -1;
	at_appt_kind k = kind_of(&t);
	if (k != a->kind && !(dates_ok && k == AT_APPT_DATES))
		return bad(err, field, "%s must be %s, like start", kind_text(a->kind));
	if (k == AT_APPT_ZONED) {
		int64_t u;
		if (at_recur_to_utc(&t, NULL, &u, err) < 0 ||
		    at_recur_from_utc(u, a->zone, out, err) < 0)
			return -1;
		return 0;
	}
	*out = t;
	return 0;
}

/* A wall time of the series (tzid = zone for zoned ones) in wire form. */
static void wire_of(const at_appt *a, const at_recur_time *t, char buf[AT_DATETIME_SIZE])
{
	if (a->kind == AT_APPT_ZONED && !t->is_date) {
		int64_t u;
		at_recur_time z;
		at_error ignored;
		if (at_recur_to_utc(t, NULL, &u, &ignored) == 0 &&
		    at_recur_from_utc(u, NULL, &z, &ignored) == 0) {
			z.tzid = "UTC";
			at_model_datetime_format(&z, buf);
			return;
		}
	}
	at_recur_time f = *t;
	f.tzid = NULL;
	at_model_datetime_format(&f, buf);
}

static void wire_of_instant(int64_t u, char buf[AT_DATETIME_SIZE])
{
	at_recur_time z;
	at_error ignored;
	if (at_recur_from_utc(u, NULL, &z, &ignored) < 0)
		memset(&z, 0, sizeof(z));
	z.tzid = "UTC";
	at_model_datetime_format(&z, buf);
}

/* start + the series' duration, on the series' clock. */
static int add_duration(const at_appt *a, const at_recur_time *start, at_recur_time *end_r,
			at_error *err)
{
	if (a->kind == AT_APPT_DATES) {
		*end_r = at_recur_from_wall(at_recur_wall_secs(start) + a->series.duration.days * DAY,
					    true, NULL);
		return 0;
	}
	if (a->kind == AT_APPT_FLOATING) {
		*end_r = at_recur_from_wall(at_recur_wall_secs(start) + a->series.duration.seconds,
					    false, NULL);
		return 0;
	}
	int64_t u;
	if (at_recur_to_utc(start, NULL, &u, err) < 0)
		return -1;
	return at_recur_from_utc(u + a->series.duration.seconds, a->zone, end_r, err);
}

/* -1, 0, 1: a before, equal to, after b (both on the series' clock; a zoned
 * series compares instants, as its walls may repeat in autumn). */
static int series_cmp(const at_appt *a, const at_recur_time *x, const at_recur_time *y)
{
	if (a->kind == AT_APPT_ZONED && !x->is_date && !y->is_date) {
		int64_t u = 0, v = 0;
		at_error ignored;
		at_recur_to_utc(x, NULL, &u, &ignored);
		at_recur_to_utc(y, NULL, &v, &ignored);
		return u < v ? -1 : u > v;
	}
	return at_recur_time_cmp(x, y);
}

static size_t array_size(json_t *fields, const char *name, const char *field, bool *ok,
			 at_error *err)
{
	json_t *v = json_object_get(fields, name);
	if (v == NULL)
		return 0;
	if (!json_is_array(v)) {
		*ok = false;
		bad(err, field, "%s must be a list%s", "");
		return 0;
	}
	return json_array_size(v);
}

int at_appt_load(json_t *fields, at_arena *arena, at_appt *a, at_error *err)
{
	char field[AT_ERROR_FIELD_MAX];
	memset(a, 0, sizeof(*a));
	json_t *js = json_object_get(fields, "start"), *je = json_object_get(fields, "end");
	if (js == NULL)
		return bad(err, "start", "field %s is required (the start)%s", "");
	if (je == NULL)
		return bad(err, "end", "field %s is required (the end)%s", "");
	if (parse_at(js, "start", &a->start, err) < 0 || parse_at(je, "end", &a->end, err) < 0)
		return -1;
	a->kind = kind_of(&a->start);
	if (kind_of(&a->end) != a->kind)
		return bad(err, "end", "%s must be %s, like start", kind_text(a->kind));
	json_t *tz = json_object_get(fields, "timeZone");
	if (tz != NULL) {
		if (a->kind != AT_APPT_ZONED)
			return bad(err, "timeZone", "%s: %s have no time zone",
				   a->kind == AT_APPT_DATES ? "all-day appointments"
							    : "floating times");
		if (!json_is_string(tz) || !at_recur_zone_known(json_string_value(tz)))
			return bad(err, "timeZone", "%s: unknown time zone%s", "");
		a->zone = json_string_value(tz);
	} else if (a->kind == AT_APPT_ZONED) {
		a->zone = "UTC";
	}
	json_t *ad = json_object_get(fields, "allDay");
	if (json_is_true(ad) && a->kind != AT_APPT_DATES)
		return bad(err, "allDay", "%s: an all-day appointment starts and ends with "
			   "dates (YYYY-MM-DD)%s", "");
	if (a->kind == AT_APPT_DATES && !json_is_true(ad))
		return bad(err, "allDay", "%s: an appointment with dates as start and end is "
			   "all-day: set allDay%s", "");

	at_recur_series *s = &a->series;
	if (a->kind == AT_APPT_DATES) {
		int64_t days = (at_recur_wall_secs(&a->end) - at_recur_wall_secs(&a->start)) / DAY;
		if (days < 1)
			return bad(err, "end", "%s must be after start (for an all-day "
				   "appointment: the day after its last day)%s", "");
		s->dtstart = a->start;
		s->duration.days = (int)days;
	} else if (a->kind == AT_APPT_FLOATING) {
		int64_t d = at_recur_wall_secs(&a->end) - at_recur_wall_secs(&a->start);
		if (d < 0)
			return bad(err, "end", "%s is before start%s", "");
		s->dtstart = a->start;
		s->duration.seconds = d;
	} else {
		int64_t u, v;
		if (at_recur_to_utc(&a->start, NULL, &u, err) < 0 ||
		    at_recur_to_utc(&a->end, NULL, &v, err) < 0)
			return -1;
		if (v < u)
			return bad(err, "end", "%s is before start%s", "");
		if (at_recur_from_utc(u, a->zone, &s->dtstart, err) < 0)
			return -1;
		s->duration.seconds = v - u;
	}

	json_t *rr = json_object_get(fields, "rrule");
	if (rr != NULL) {
		if (!json_is_string(rr))
			return bad(err, "rrule", "%s must be a string%s", "");
		s->rrule = json_string_value(rr);
	}
	bool ok = true;
	size_t n_rd = array_size(fields, "rdates", "rdates", &ok, err);
	size_t n_ex = array_size(fields, "exdates", "exdates", &ok, err);
	size_t n_ov = array_size(fields, "overrides", "overrides", &ok, err);
	if (!ok)
		return -1;
	a->recurring = s->rrule != NULL || n_rd > 0;
	if (!a->recurring && (n_ex > 0 || n_ov > 0))
		return bad(err, n_ex > 0 ? "exdates" : "overrides",
			   "%s: the appointment does not recur (it has no rrule)%s", "");
	if (n_rd > 0) {
		at_recur_rdate *rd = at_arena_alloc(arena, n_rd * sizeof(*rd));
		json_t *arr = json_object_get(fields, "rdates");
		for (size_t i = 0; i < n_rd; i++) {
			snprintf(field, sizeof(field), "rdates[%zu]", i);
			if (to_series(a, json_array_get(arr, i), field, false, &rd[i].start, err) < 0)
				return -1;
		}
		s->rdates = rd;
		s->n_rdates = n_rd;
	}
	if (n_ex > 0) {
		at_recur_time *ex = at_arena_alloc(arena, n_ex * sizeof(*ex));
		json_t *arr = json_object_get(fields, "exdates");
		for (size_t i = 0; i < n_ex; i++) {
			snprintf(field, sizeof(field), "exdates[%zu]", i);
			if (to_series(a, json_array_get(arr, i), field, true, &ex[i], err) < 0)
				return -1;
		}
		s->exdates = ex;
		s->n_exdates = n_ex;
	}
	if (n_ov > 0) {
		at_recur_override *ov = at_arena_alloc(arena, n_ov * sizeof(*ov));
		a->override_objs = at_arena_alloc(arena, n_ov * sizeof(json_t *));
		json_t *arr = json_object_get(fields, "overrides");
		for (size_t i = 0; i < n_ov; i++) {
			json_t *o = json_array_get(arr, i);
			if (!json_is_object(o)) {
				snprintf(field, sizeof(field), "overrides[%zu]", i);
				return bad(err, field, "%s must be an object%s", "");
			}
			a->override_objs[i] = o;
			json_t *v = json_object_get(o, "recurrenceId");
			snprintf(field, sizeof(field), "overrides[%zu].recurrenceId", i);
			if (v == NULL)
				return bad(err, field, "%s is required%s", "");
			if (to_series(a, v, field, false, &ov[i].recurrence_id, err) < 0)
				return -1;
			for (size_t j = 0; j < i; j++)
				if (series_cmp(a, &ov[j].recurrence_id, &ov[i].recurrence_id) == 0)
					return bad(err, field, "%s: two overrides of one "
						   "occurrence%s", "");
			ov[i].start = ov[i].recurrence_id;
			if ((v = json_object_get(o, "start")) != NULL) {
				snprintf(field, sizeof(field), "overrides[%zu].start", i);
				if (to_series(a, v, field, false, &ov[i].start, err) < 0)
					return -1;
			}
			if ((v = json_object_get(o, "end")) != NULL) {
				snprintf(field, sizeof(field), "overrides[%zu].end", i);
				if (to_series(a, v, field, false, &ov[i].end, err) < 0)
					return -1;
				int c = series_cmp(a, &ov[i].end, &ov[i].start);
				if (c < 0 || (c == 0 && a->kind == AT_APPT_DATES))
					return bad(err, field, "%s is not after the occurrence's "
						   "start%s", "");
			} else if (add_duration(a, &ov[i].start, &ov[i].end, err) < 0) {
				return -1;
			}
		}
		s->overrides = ov;
		s->n_overrides = n_ov;
	}
	return 0;
}

int at_appt_check(json_t *fields, at_error *err)
{
	at_arena *arena = at_arena_new(0);
	at_appt a;
	int rc = -1;
	if (at_appt_load(fields, arena, &a, err) < 0)
		goto done;
	if ((a.recurring || a.series.n_overrides > 0) && at_recur_check(&a.series, NULL, err) < 0)
		goto done;
	rc = 0;
done:
	at_arena_free(&arena);
	return rc;
}

int at_appt_expand(const at_appt *a, int64_t from, int64_t to, const char *floating_zone,
		   const at_recur_limits *limits, at_arena *arena,
		   at_appt_occurrence **occ_r, size_t *n_r, at_error *err)
{
	at_recur_occurrence *occ;
	size_t n;
	*occ_r = NULL;
	*n_r = 0;
	if (at_recur_expand(&a->series, from, to, floating_zone, limits, arena, &occ, &n,
			    err) < 0)
		return -1;
	at_appt_occurrence *out = at_arena_alloc(arena, (n ? n : 1) * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i].occ = occ[i];
		if (!occ[i].overridden)
			continue;
		for (size_t j = 0; j < a->series.n_overrides; j++)
			if (at_recur_time_cmp(&a->series.overrides[j].recurrence_id,
					      &occ[i].recurrence_id) == 0 &&
			    series_cmp(a, &a->series.overrides[j].recurrence_id,
				       &occ[i].recurrence_id) == 0) {
				out[i].override = a->override_objs[j];
				break;
			}
	}
	*occ_r = out;
	*n_r = n;
	return 0;
}

void at_appt_occurrence_times(const at_appt *a, const at_appt_occurrence *o,
			      char rid[AT_DATETIME_SIZE], char start[AT_DATETIME_SIZE],
			      char end[AT_DATETIME_SIZE])
{
	wire_of(a, &o->occ.recurrence_id, rid);
	if (a->kind == AT_APPT_ZONED) {
		wire_of_instant(o->occ.start, start);
		wire_of_instant(o->occ.end, end);
	} else {
		at_recur_time s = o->occ.local_start, e = o->occ.local_end;
		s.tzid = e.tzid = NULL;
		at_model_datetime_format(&s, start);
		at_model_datetime_format(&e, end);
	}
}

json_t *at_appt_occurrence_fields(json_t *fields, const at_appt *a,
				  const at_appt_occurrence *o)
{
	char rid[AT_DATETIME_SIZE], start[AT_DATETIME_SIZE], end[AT_DATETIME_SIZE];
	json_t *f = json_deep_copy(fields);
	json_object_del(f, "rrule");
	json_object_del(f, "rdates");
	json_object_del(f, "exdates");
	json_object_del(f, "overrides");
	if (o->override != NULL) {
		const char *k;
		json_t *v;
		json_object_foreach(o->override, k, v) {
			if (strcmp(k, "recurrenceId") != 0)
				json_object_set_new(f, k, json_deep_copy(v));
		}
	}
	at_appt_occurrence_times(a, o, rid, start, end);
	json_object_set_new(f, "start", json_string(start));
	json_object_set_new(f, "end", json_string(end));
	if (a->recurring)
		json_object_set_new(f, "recurrenceId", json_string(rid));
	return f;
}

/* ---- finding an occurrence ---------------------------------------------- */

/* The local date of a series time (zoned: in zone). */
static int64_t local_day(const at_appt *a, const at_recur_time *t, const char *zone)
{
	if (a->kind == AT_APPT_ZONED && !t->is_date) {
		int64_t u;
		at_recur_time l;
		at_error ignored;
		if (at_recur_to_utc(t, NULL, &u, &ignored) == 0 &&
		    at_recur_from_utc(u, zone, &l, &ignored) == 0)
			return at_recur_days_from_civil(l.year, l.month, l.day);
	}
	return at_recur_days_from_civil(t->year, t->month, t->day);
}

/* The occurrences near day d (a day number) or near the instant/wall t. */
static int near(const at_appt *a, int64_t from, int64_t to, const char *zone,
		at_arena *arena, at_appt_occurrence **occ_r, size_t *n_r, at_error *err)
{
	int64_t span = a->series.duration.days * DAY + a->series.duration.seconds + 2 * DAY;
	return at_appt_expand(a, from - span, to + 2 * DAY, zone, NULL, arena, occ_r, n_r, err);
}

static void add_found(at_arena *arena, const char **found, size_t *n, const char *rid)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(found[i], rid) == 0)
			return;
	found[(*n)++] = at_arena_strdup(arena, rid);
}

int at_appt_find(json_t *fields, const char *when, const char *zone, char *rid_r,
		 at_error *err)
{
	at_arena *arena = at_arena_new(0);
	at_appt a;
	at_appt_occurrence *occ;
	size_t n;
	at_recur_time t;
	char buf[AT_DATETIME_SIZE + 4];
	int rc = -1;
	if (at_appt_load(fields, arena, &a, err) < 0)
		goto done;
	if (zone == NULL)
		zone = "UTC";
	/* "YYYY-MM-DDTHH:MM" gets its seconds */
	if (strlen(when) == 16 && (when[10] == 'T' || when[10] == ' ')) {
		snprintf(buf, sizeof(buf), "%.10sT%s:00", when, when + 11);
		when = buf;
	}
	if (at_model_datetime_parse(when, &t) < 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
			     "occurrence", "\"%.40s\" is not a date (YYYY-MM-DD) or a time "
			     "(YYYY-MM-DDTHH:MM)", when);
		goto done;
	}
	const char **found = NULL;
	size_t matches = 0;
	char rid[AT_DATETIME_SIZE], st[AT_DATETIME_SIZE], en[AT_DATETIME_SIZE];
	if (t.is_date) {
		int64_t day = at_recur_days_from_civil(t.year, t.month, t.day);
		at_recur_time midnight = t;
		midnight.is_date = false;
		midnight.tzid = zone;
		int64_t from;
		if (at_recur_to_utc(&midnight, NULL, &from, err) < 0 ||
		    near(&a, from, from + DAY, zone, arena, &occ, &n, err) < 0)
			goto done;
		found = at_arena_alloc(arena, (n + a.series.n_overrides + 1) * sizeof(*found));
		/* by original day first (moved overrides included), then by current day */
		for (int pass = 0; pass < 2 && matches == 0; pass++) {
			for (size_t i = 0; i < n; i++) {
				int64_t d;
				if (pass == 0) {
					d = local_day(&a, &occ[i].occ.recurrence_id, zone);
				} else if (a.kind == AT_APPT_ZONED) {
					at_recur_time l;
					if (at_recur_from_utc(occ[i].occ.start, zone, &l, err) < 0)
						goto done;
					d = at_recur_days_from_civil(l.year, l.month, l.day);
				} else {
					const at_recur_time *l = &occ[i].occ.local_start;
					d = at_recur_days_from_civil(l->year, l->month, l->day);
				}
				if (d != day)
					continue;
				at_appt_occurrence_times(&a, &occ[i], rid, st, en);
				add_found(arena, found, &matches, rid);
			}
			for (size_t j = 0; pass == 0 && j < a.series.n_overrides; j++) {
				const at_recur_time *x = &a.series.overrides[j].recurrence_id;
				if (local_day(&a, x, zone) != day)
					continue;
				wire_of(&a, x, rid);
				add_found(arena, found, &matches, rid);
			}
		}
	} else {
		int64_t u;
		if (a.kind == AT_APPT_ZONED && t.tzid == NULL)
			t.tzid = zone;  /* a local time in the user's zone */
		if (a.kind != AT_APPT_ZONED)
			t.tzid = NULL;
		if (at_recur_to_utc(&t, zone, &u, err) < 0 ||
		    near(&a, u - DAY, u + DAY, zone, arena, &occ, &n, err) < 0)
			goto done;
		found = at_arena_alloc(arena, (n + 1) * sizeof(*found));
		for (int pass = 0; pass < 2 && matches == 0; pass++)
			for (size_t i = 0; i < n; i++) {
				int64_t x;
				if (pass == 0 &&
				    at_recur_to_utc(&occ[i].occ.recurrence_id, zone, &x, err) < 0)
					goto done;
				if (pass == 1)
					x = occ[i].occ.start;
				if (x != u)
					continue;
				at_appt_occurrence_times(&a, &occ[i], rid, st, en);
				add_found(arena, found, &matches, rid);
			}
	}
	if (matches == 0) {
		at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "occurrence",
			     "the appointment has no occurrence at %.40s", when);
		goto done;
	}
	if (matches > 1) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
			     "occurrence", "the appointment has several occurrences on %.40s: "
			     "give the time too (YYYY-MM-DDTHH:MM)", when);
		goto done;
	}
	snprintf(rid_r, AT_DATETIME_SIZE, "%s", found[0]);
	rc = 0;
done:
	at_arena_free(&arena);
	return rc;
}

/* ---- edits -------------------------------------------------------------- */

/* rid in wire form (normalised), or -1. */
static int norm_rid(const char *rid, char out[AT_DATETIME_SIZE], at_error *err)
{
	at_recur_time t;
	if (at_model_datetime_parse(rid, &t) < 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "recurrenceId", "\"%.40s\" is not a recurrence id", rid);
	at_model_datetime_format(&t, out);
	return 0;
}

static bool same_time(json_t *v, const char *rid)
{
	at_recur_time t;
	char buf[AT_DATETIME_SIZE];
	if (!json_is_string(v) || at_model_datetime_parse(json_string_value(v), &t) < 0)
		return false;
	at_model_datetime_format(&t, buf);
	return strcmp(buf, rid) == 0;
}

static int override_index(json_t *fields, const char *rid)
{
	json_t *arr = json_object_get(fields, "overrides");
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o) {
		if (same_time(json_object_get(o, "recurrenceId"), rid))
			return (int)i;
	}
	return -1;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(json_string_value(*(json_t *const *)x),
		      json_string_value(*(json_t *const *)y));
}

/* Sorts a list of wire times (same kind: text order is time order). */
static void sort_times(json_t *arr)
{
	at_json_array_sort(arr, cmp_str);
}

int at_appt_exclude(json_t *fields, const char *rid, at_error *err)
{
	char r[AT_DATETIME_SIZE];
	if (norm_rid(rid, r, err) < 0)
		return -1;
	json_t *ex = json_object_get(fields, "exdates");
	if (!json_is_array(ex)) {
		ex = json_array();
		json_object_set_new(fields, "exdates", ex);
	}
	bool present = false;
	size_t i;
	json_t *v;
	json_array_foreach(ex, i, v) {
		present = present || same_time(v, r);
	}
	if (!present) {
		json_array_append_new(ex, json_string(r));
		sort_times(ex);
	}
	int k = override_index(fields, r);
	if (k >= 0) {
		json_t *ov = json_object_get(fields, "overrides");
		json_array_remove(ov, (size_t)k);
		if (json_array_size(ov) == 0)
			json_object_del(fields, "overrides");
	}
	return 0;
}

int at_appt_override(json_t *fields, const char *rid, json_t *patch, at_error *err)
{
	char r[AT_DATETIME_SIZE];
	if (norm_rid(rid, r, err) < 0)
		return -1;
	const at_field_def *od = at_model_field(&at_model_appointment, "overrides");
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		bool allowed = strcmp(k, "recurrenceId") != 0;
		bool known = false;
		for (size_t i = 0; allowed && i < od->n_members && !known; i++)
			known = strcmp(od->members[i].name, k) == 0;
		if (!known)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    k, "field %.64s cannot differ for one occurrence: "
					    "change the whole series", k);
	}
	json_t *ov = json_object_get(fields, "overrides");
	if (!json_is_array(ov)) {
		ov = json_array();
		json_object_set_new(fields, "overrides", ov);
	}
	int idx = override_index(fields, r);
	json_t *o;
	if (idx < 0) {
		o = json_pack("{s:s}", "recurrenceId", r);
		json_array_append_new(ov, o);
		idx = (int)json_array_size(ov) - 1;
	} else {
		o = json_array_get(ov, (size_t)idx);
	}
	json_object_foreach(patch, k, v) {
		if (json_is_null(v))
			json_object_del(o, k);
		else
			json_object_set_new(o, k, json_deep_copy(v));
	}
	if (json_object_size(o) == 1)
		json_array_remove(ov, (size_t)idx);
	if (json_array_size(ov) == 0)
		json_object_del(fields, "overrides");
	return 0;
}

int at_appt_prune(json_t *fields, size_t *dropped_r, at_error *err)
{
	size_t dropped = 0;
	json_t *plain = json_deep_copy(fields);
	json_object_del(plain, "exdates");
	json_object_del(plain, "overrides");
	static const char *const lists[] = {"exdates", "overrides"};
	/* a date in a timed series names a day of the series' zone */
	json_t *tz = json_object_get(fields, "timeZone");
	const char *zone = json_is_string(tz) ? json_string_value(tz) : "UTC";
	for (int l = 0; l < 2; l++) {
		json_t *arr = json_object_get(fields, lists[l]);
		if (!json_is_array(arr))
			continue;
		json_t *keep = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v) {
			json_t *rid = l == 0 ? v : json_object_get(v, "recurrenceId");
			char found[AT_DATETIME_SIZE];
			at_error e;
			if (json_is_string(rid) &&
			    at_appt_find(plain, json_string_value(rid), zone, found, &e) == 0)
				json_array_append(keep, v);
			else if (json_is_string(rid) && strcmp(e.code, AT_E_INVALID_ARGUMENTS) == 0 &&
				 strlen(json_string_value(rid)) == 10)
				json_array_append(keep, v);  /* a day with several: keep */
			else
				dropped++;
		}
		if (json_array_size(keep) > 0)
			json_object_set_new(fields, lists[l], keep);
		else {
			json_object_del(fields, lists[l]);
			json_decref(keep);
		}
	}
	json_decref(plain);
	if (dropped_r != NULL)
		*dropped_r = dropped;
	(void)err;
	return 0;
}

/* Moves the entries of list `name` at or after `at` (series clock) from
 * fields to nf; conv gives each entry's series time. */
static void divide(const at_appt *a, json_t *fields, json_t *nf, const char *name,
		   const at_recur_time *times, const at_recur_time *at)
{
	json_t *src = json_object_get(fields, name);
	if (!json_is_array(src))
		return;
	json_t *keep = json_array(), *move = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(src, i, v) {
		const at_recur_time *t = &times[i];
		bool later;
		if (t->is_date && !at->is_date)
			later = at_recur_days_from_civil(t->year, t->month, t->day) >=
				local_day(a, at, a->zone);
		else
			later = series_cmp(a, t, at) >= 0;
		json_array_append(later ? move : keep, v);
	}
	if (json_array_size(keep) > 0)
		json_object_set_new(fields, name, keep);
	else {
		json_object_del(fields, name);
		json_decref(keep);
	}
	if (json_array_size(move) > 0)
		json_object_set_new(nf, name, move);
	else {
		json_object_del(nf, name);
		json_decref(move);
	}
}

int at_appt_split(json_t *fields, const char *rid, const char *new_uid, json_t **new_r,
		  at_error *err)
{
	at_arena *arena = at_arena_new(0);
	at_appt a;
	at_recur_time at, new_start, new_end;
	char *old_rrule, *new_rrule;
	char r[AT_DATETIME_SIZE], buf[AT_DATETIME_SIZE];
	json_t *nf = NULL;
	int rc = -1;
	*new_r = NULL;
	if (norm_rid(rid, r, err) < 0 || at_appt_load(fields, arena, &a, err) < 0)
		goto done;
	if (a.series.rrule == NULL) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "rrule",
			     "the appointment has no rule: \"this and following\" needs a "
			     "recurring series");
		goto done;
	}
	json_t *rv = json_string(r);
	int trc = to_series(&a, rv, "recurrenceId", false, &at, err);
	json_decref(rv);
	if (trc < 0 ||
	    at_recur_split(&a.series, &at, NULL, arena, &old_rrule, &new_start, &new_rrule,
			   err) < 0)
		goto done;
	if (old_rrule == NULL) {
		rc = 0;  /* the first occurrence: the whole series */
		goto done;
	}
	nf = json_deep_copy(fields);
	json_object_del(nf, "sequence");
	if (new_uid != NULL)
		json_object_set_new(nf, "uid", json_string(new_uid));
	else
		json_object_del(nf, "uid");
	if (add_duration(&a, &new_start, &new_end, err) < 0)
		goto done;
	wire_of(&a, &new_start, buf);
	json_object_set_new(nf, "start", json_string(buf));
	wire_of(&a, &new_end, buf);
	json_object_set_new(nf, "end", json_string(buf));
	json_object_set_new(nf, "rrule", json_string(new_rrule));
	json_object_set_new(fields, "rrule", json_string(old_rrule));
	at_recur_time *rd = at_arena_alloc(arena, (a.series.n_rdates + 1) * sizeof(*rd));
	for (size_t i = 0; i < a.series.n_rdates; i++)
		rd[i] = a.series.rdates[i].start;
	at_recur_time *ovt = at_arena_alloc(arena, (a.series.n_overrides + 1) * sizeof(*ovt));
	for (size_t i = 0; i < a.series.n_overrides; i++)
		ovt[i] = a.series.overrides[i].recurrence_id;
	divide(&a, fields, nf, "exdates", a.series.exdates, &at);
	divide(&a, fields, nf, "rdates", rd, &at);
	divide(&a, fields, nf, "overrides", ovt, &at);
	*new_r = nf;
	nf = NULL;
	rc = 0;
done:
	json_decref(nf);
	at_arena_free(&arena);
	return rc;
}
