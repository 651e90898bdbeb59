/* fuzz_appointment.c — libFuzzer target for appointments: the model's
 * validation of appointment fields, appointment.h's series, expansion and
 * occurrence edits, and the iCalendar mapping.
 *
 * Input: a JSON object of appointment fields (first byte '{'), or an .ics
 * text.  Fields that validate must load, expand within small limits in
 * start order, survive fields -> iCalendar -> fields unchanged, and stay
 * valid after deleting or changing their first occurrence.  Every event of
 * an .ics that maps to valid fields must do the same.  A refusal must carry
 * a code.  Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "appointment.h"
#include "arena.h"
#include "error.h"
#include "ical.h"
#include "model.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const at_item_type *appt(void)
{
	return at_model_item_type("appointment");
}

static void invariant(bool ok, const char *what, json_t *fields)
{
	if (ok)
		return;
	char *t = fields ? json_dumps(fields, JSON_COMPACT) : NULL;
	fprintf(stderr, "fuzz_appointment: %s\n%s\n", what, t ? t : "");
	free(t);
	abort();
}

/* Every occurrence's fields over a year and a bit from the start; null
 * when the expansion stops at a limit. */
static json_t *occurrences(json_t *f)
{
	at_arena *a = at_arena_new(0);
	at_appt ap;
	at_appt_occurrence *occ;
	size_t n;
	at_error err;
	int64_t from = 0;
	json_t *list = json_array();
	at_recur_limits lim = {.max_occurrences = 200, .max_iterations = 2000};
	if (at_appt_load(f, a, &ap, &err) < 0 ||
	    at_recur_to_utc(&ap.series.dtstart, "UTC", &from, &err) < 0 ||
	    at_appt_expand(&ap, from - 86400, from + 400 * 86400LL, "UTC", &lim, a, &occ, &n,
			   &err) < 0) {
		json_decref(list);
		list = json_null();
	} else {
		for (size_t i = 0; i < n; i++) {
			json_t *o = at_appt_occurrence_fields(f, &ap, &occ[i]);
			json_object_del(o, "uid");
			json_array_append_new(list, o);
		}
	}
	at_arena_free(&a);
	return list;
}

/* fields -> iCalendar -> fields */
static void round_trip(json_t *f, bool loose)
{
	at_arena *a = at_arena_new(0);
	at_ical_item ev;
	at_error err;
	f = json_deep_copy(f);
	if (loose) {
		/* icalExtra written by a client may hold lines that have fields
		 * (an ATTENDEE, STATUS:CANCELLED): those are not promised to come
		 * back as they were; the mapping's own icalExtra is (.ics input) */
		json_object_del(f, "icalExtra");
		size_t i;
		json_t *o;
		json_array_foreach(json_object_get(f, "overrides"), i, o)
			json_object_del(o, "icalExtra");
	}
	invariant(at_appt_to_ical(f, "fuzz-uid", a, &ev, &err) == 0, "valid fields do not export",
		  f);
	at_ical_calendar cal = {.items = &ev, .n_items = 1};
	at_buf out;
	at_buf_init(&out, 0);
	invariant(at_ical_write(&cal, &out, &err) == 0, "export does not write", f);
	at_ical_calendar *back;
	unsigned line;
	invariant(at_ical_parse(out.data, out.len, NULL, a, &back, &line, &err) == 0,
		  "export does not parse", f);
	invariant(back->n_items == 1, "export has another number of events", f);
	at_appt_ical *ctx = at_appt_ical_new(back, a);
	json_t *g = NULL;
	invariant(at_appt_from_ical(ctx, &back->items[0], &g, &err) == 0, "export does not map",
		  f);
	json_t *want = json_deep_copy(f);
	if (json_object_get(want, "uid") == NULL)
		json_object_set_new(want, "uid", json_string("fuzz-uid"));
	if (loose) {
		/* fields from a client may say one thing twice (an override equal
		 * to the series): the occurrences must be the same */
		json_t *x = occurrences(want), *y = occurrences(g);
		json_decref(want);
		json_decref(g);
		want = x;
		g = y;
	}
	if (!json_equal(want, g)) {
		char *x = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(stderr, "fuzz_appointment: round trip gave %s\n%s\n", x, out.data);
		free(x);
		invariant(false, "round trip changed the fields", want);
	}
	json_decref(want);
	json_decref(g);
	at_buf_free(&out);
	at_arena_free(&a);
	json_decref(f);
}

static void exercise(json_t *f, bool loose)
{
	at_error err;
	at_error_clear(&err);
	if (at_model_validate(appt(), f, false, &err) < 0) {
		invariant(at_error_is_set(&err), "validation failed silently", f);
		return;
	}
	at_arena *a = at_arena_new(0);
	at_appt ap;
	invariant(at_appt_load(f, a, &ap, &err) == 0, "valid fields do not load", f);
	at_recur_limits lim = {.max_occurrences = 200, .max_iterations = 2000};
	at_appt_occurrence *occ;
	size_t n;
	int64_t from = 0;
	at_recur_to_utc(&ap.series.dtstart, "Europe/Paris", &from, &err);
	if (at_appt_expand(&ap, from - 86400, from + 400 * 86400LL, "Europe/Paris", &lim, a, &occ,
			   &n, &err) == 0) {
		for (size_t k = 1; k < n; k++)
			invariant(occ[k].occ.start >= occ[k - 1].occ.start, "occurrences out of order",
				  f);
		if (n > 0 && ap.recurring) {
			char rid[21], s[21], e[21];
			at_appt_occurrence_times(&ap, &occ[0], rid, s, e);
			json_t *g = json_deep_copy(f);
			if (at_appt_exclude(g, rid, &err) == 0)
				at_model_validate(appt(), g, false, &err);
			json_decref(g);
			g = json_deep_copy(f);
			json_t *patch = json_pack("{s:s}", "subject", "changed");
			if (at_appt_override(g, rid, patch, &err) == 0)
				invariant(at_model_validate(appt(), g, false, &err) == 0,
					  "an override made the fields invalid", g);
			json_decref(patch);
			json_decref(g);
		}
	} else {
		invariant(at_error_is_set(&err), "expansion failed silently", f);
	}
	at_arena_free(&a);
	round_trip(f, loose);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	if (size > 0 && data[0] == '{') {
		json_error_t je;
		json_t *f = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
		if (json_is_object(f))
			exercise(f, true);
		json_decref(f);
		return 0;
	}
	at_ical_limits lim = {.max_bytes = 65536, .max_line = 16384, .max_components = 200,
			      .max_properties = 2000};
	at_arena *arena = at_arena_new(0);
	at_ical_calendar *cal;
	unsigned line;
	at_error err;
	if (at_ical_parse((const char *)data, size, &lim, arena, &cal, &line, &err) == 0) {
		at_appt_ical *ctx = at_appt_ical_new(cal, arena);
		for (size_t i = 0; i < cal->n_items && i < 8; i++) {
			json_t *f = NULL;
			at_error_clear(&err);
			if (at_appt_from_ical(ctx, &cal->items[i], &f, &err) == 0)
				exercise(f, false);
			else
				invariant(at_error_is_set(&err), "mapping failed silently", NULL);
			json_decref(f);
		}
	}
	at_arena_free(&arena);
	return 0;
}
