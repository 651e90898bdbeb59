/* fuzz_task.c — libFuzzer target for the VTODO mapping of tasks (task.h,
 * iCalendar section) and the model's validation of task fields.
 *
 * Input: an .ics text, or a JSON object of task fields (first byte '{').
 * Every to-do of an .ics that maps to valid fields must survive fields ->
 * iCalendar -> fields unchanged (icalExtra included: the mapping's own).
 * Valid fields from JSON must export, and the file must read back to the
 * same fields but icalExtra (a client's icalExtra may hold lines that
 * have fields).  A refusal must carry a code.  Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "error.h"
#include "ical.h"
#include "model.h"
#include "strbuf.h"
#include "task.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const at_item_type *task(void)
{
	return at_model_item_type("task");
}

static void invariant(bool ok, const char *what, json_t *fields, const char *text)
{
	if (ok)
		return;
	char *t = fields ? json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	fprintf(stderr, "fuzz_task: %s\n%s\n%s\n", what, t ? t : "", text ? text : "");
	free(t);
	abort();
}

/* fields -> iCalendar -> fields */
static void round_trip(json_t *f, bool loose)
{
	at_arena *a = at_arena_new(0);
	at_ical_item todo;
	at_error err;
	f = json_deep_copy(f);
	if (loose)
		json_object_del(f, "icalExtra");
	invariant(at_task_to_ical(f, "fuzz-uid", a, &todo, &err) == 0, "valid fields do not export",
		  f, err.message);
	at_ical_calendar cal = {.items = &todo, .n_items = 1};
	at_buf out;
	at_buf_init(&out, 0);
	invariant(at_ical_write(&cal, &out, &err) == 0, "export does not write", f, NULL);
	at_ical_calendar *back;
	unsigned line;
	invariant(at_ical_parse(out.data, out.len, NULL, a, &back, &line, &err) == 0,
		  "export does not parse", f, out.data);
	invariant(back->n_items == 1 && back->items[0].kind == AT_ICAL_TODO,
		  "export has another number of to-dos", f, out.data);
	json_t *g = NULL;
	invariant(at_task_from_ical(back, &back->items[0], a, &g, &err) == 0,
		  "export does not map", f, out.data);
	invariant(at_model_validate(task(), g, false, &err) == 0, "export maps to invalid fields",
		  g, err.message);
	json_t *want = json_deep_copy(f);
	if (json_object_get(want, "uid") == NULL)
		json_object_set_new(want, "uid", json_string("fuzz-uid"));
	if (loose)
		json_object_del(g, "icalExtra");
	if (!json_equal(want, g)) {
		char *x = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(stderr, "fuzz_task: round trip gave %s\n", x);
		free(x);
		invariant(false, "round trip changed the fields", want, out.data);
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
	if (at_model_validate(task(), f, false, &err) < 0) {
		invariant(at_error_is_set(&err), "validation failed silently", f, NULL);
		return;
	}
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
		for (size_t i = 0, n = 0; i < cal->n_items && n < 8; i++) {
			json_t *f = NULL;
			at_error_clear(&err);
			int rc = at_task_from_ical(cal, &cal->items[i], arena, &f, &err);
			if (cal->items[i].kind != AT_ICAL_TODO) {
				invariant(rc < 0 && at_error_is_set(&err) && f == NULL,
					  "an event mapped as a task", f, NULL);
				continue;
			}
			n++;
			invariant(rc == 0 && f != NULL, "a to-do did not map", NULL, err.message);
			exercise(f, false);
			json_decref(f);
		}
	} else {
		invariant(at_error_is_set(&err), "parse failed silently", NULL, NULL);
	}
	at_arena_free(&arena);
	return 0;
}
