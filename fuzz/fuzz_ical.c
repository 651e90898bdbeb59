/* fuzz_ical.c — libFuzzer target for the iCalendar parser, writer and the
 * recurrence expansion behind it.
 *
 * Input: an .ics text.  A text that parses must write back to a text that
 * parses to the same structure (at_ical_dump), and every item's series is
 * expanded over one year with small limits; an error must carry a code and
 * a line.  Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "error.h"
#include "ical.h"
#include "recur.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *text_of(const at_buf *b)
{
	return b->data ? b->data : "";
}

static void expand_items(const at_ical_calendar *cal, at_arena *arena)
{
	at_recur_limits lim = {.max_occurrences = 200, .max_iterations = 2000};
	for (size_t i = 0; i < cal->n_items && i < 8; i++) {
		const at_ical_item *it = &cal->items[i];
		at_recur_series s;
		at_error err;
		if (at_ical_item_series(it, arena, &s, &err) < 0)
			continue;
		int64_t from;
		at_recur_time t = s.dtstart;
		if (at_recur_to_utc(&t, NULL, &from, &err) < 0)
			continue;
		at_recur_occurrence *occ;
		size_t n;
		if (at_recur_expand(&s, from - 86400, from + 366 * 86400LL, "Europe/Paris", &lim,
				    arena, &occ, &n, &err) == 0) {
			if (n > lim.max_occurrences)
				abort();
			for (size_t k = 1; k < n; k++)
				if (occ[k].start < occ[k - 1].start)
					abort();
		} else if (err.code[0] == '\0') {
			abort();
		}
		at_recur_check(&s, &lim, &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	at_ical_limits lim = {.max_bytes = 65536, .max_line = 16384, .max_components = 500,
			      .max_properties = 5000};
	at_arena *arena = at_arena_new(0);
	at_ical_calendar *cal, *cal2;
	unsigned line = 0;
	at_error err;
	at_error_clear(&err);
	if (at_ical_parse((const char *)data, size, &lim, arena, &cal, &line, &err) < 0) {
		if (err.code[0] == '\0' || line == 0 || strncmp(err.message, "line ", 5) != 0) {
			fprintf(stderr, "fuzz_ical: error without code or line: %s\n", err.message);
			abort();
		}
		at_arena_free(&arena);
		return 0;
	}
	at_buf w, d1, d2;
	at_buf_init(&w, 0);
	at_buf_init(&d1, 0);
	at_buf_init(&d2, 0);
	if (at_ical_write(cal, &w, &err) < 0)
		abort();
	/* The writer's output may hold more lines than the input limits. */
	if (at_ical_parse(text_of(&w), w.len, NULL, arena, &cal2, &line, &err) < 0) {
		fprintf(stderr, "fuzz_ical: written text does not parse: %s\n%s\n", err.message,
			text_of(&w));
		abort();
	}
	at_ical_dump(cal, &d1);
	at_ical_dump(cal2, &d2);
	if (strcmp(text_of(&d1), text_of(&d2)) != 0) {
		fprintf(stderr, "fuzz_ical: round trip changed the structure\n--- before\n%s"
				"--- after\n%s", text_of(&d1), text_of(&d2));
		abort();
	}
	expand_items(cal, arena);
	at_buf_free(&w);
	at_buf_free(&d1);
	at_buf_free(&d2);
	at_arena_free(&arena);
	return 0;
}
