/* fuzz_vcard.c — libFuzzer target for the vCard reader, writer and mapping.
 *
 * Input: a .vcf file.  Every card the reader accepts is mapped to contact
 * fields; whatever maps must be written in 3.0 and in 4.0, each output must
 * read back as exactly one good card, and that card must map to the same
 * fields (the round trip the importer and exporter rely on).  Distribution
 * lists (KIND:group) go the same way through the list mapping, members
 * "urn:uuid:ID" standing for the contact ID.  Error entries must carry a
 * code and a message that starts with "line N: ". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "error.h"
#include "model.h"
#include "protocol.h"
#include "vcard.h"

/* Far below AT_VCARD_MAX_INPUT: big inputs only slow the fuzzer down. */
#define FUZZ_MAX_INPUT (256u * 1024)

static void invariant(int ok, const char *what, const char *detail)
{
	if (!ok) {
		fprintf(stderr, "fuzz_vcard: invariant broken: %s\n%s\n", what,
			detail != NULL ? detail : "");
		abort();
	}
}

/* Writes fields in version v (uid as the writer's UID) and reads the card
 * back; returns the fields read (NULL when only_parse). */
static json_t *write_read(json_t *fields, at_vcard_version v, const char *uid, at_arena *a,
			  at_buf *out)
{
	at_error err;
	at_error_clear(&err);
	at_buf_truncate(out, 0);
	invariant(at_vcard_from_fields(fields, v, uid, out, &err) == 0,
		  "mapped fields cannot be written", err.message);
	const at_vcard *card;
	invariant(at_vcard_parse_one(out->data, out->len, a, &card, &err) == 0,
		  "written card does not read back", err.message);
	json_t *again;
	invariant(at_vcard_to_fields(card, &again, &err) == 0,
		  "written card does not map back", err.message);
	return again;
}

static void round_trip(json_t *fields, at_vcard_version v, at_arena *a)
{
	at_buf out;
	at_buf_init(&out, 0);
	json_t *again = write_read(fields, v, NULL, a, &out);
	if (!json_equal(fields, again)) {
		char *x = json_dumps(fields, JSON_SORT_KEYS);
		char *y = json_dumps(again, JSON_SORT_KEYS);
		fprintf(stderr, "before: %s\nafter:  %s\ncard:\n%s\n", x, y, out.data);
		free(x);
		free(y);
		invariant(0, "fields change through write and read", NULL);
	}
	json_decref(again);
	/* with a UID from the caller (used when vcardExtra has none) */
	json_decref(write_read(fields, v, "fuzz-uid", a, &out));
	at_buf_free(&out);
}

/* "urn:uuid:ID" <-> contact ID, for every ID the model takes */
static const char *resolve(void *ctx, const char *uri)
{
	(void)ctx;
	return strncmp(uri, "urn:uuid:", 9) == 0 && at_id_valid(uri + 9) ? uri + 9 : NULL;
}

static const char *uid_of(void *ctx, const char *id)
{
	at_arena *a = ctx;
	return at_arena_printf(a, "urn:uuid:%s", id);
}

static void list_round_trip(json_t *fields, at_vcard_version v, at_arena *a)
{
	at_buf out;
	at_error err;
	const at_vcard *card;
	json_t *again;
	at_buf_init(&out, 0);
	at_error_clear(&err);
	invariant(at_vcard_list_from_fields(fields, v, NULL, uid_of, a, &out, &err) == 0,
		  "mapped list cannot be written", err.message);
	invariant(at_vcard_parse_one(out.data, out.len, a, &card, &err) == 0,
		  "written list does not read back", err.message);
	invariant(at_vcard_list_to_fields(card, resolve, a, &again, &err) == 0,
		  "written list does not map back", err.message);
	if (!json_equal(fields, again)) {
		char *x = json_dumps(fields, JSON_SORT_KEYS);
		char *y = json_dumps(again, JSON_SORT_KEYS);
		fprintf(stderr, "before: %s\nafter:  %s\ncard:\n%s\n", x, y, out.data);
		free(x);
		free(y);
		invariant(0, "list fields change through write and read", NULL);
	}
	json_decref(again);
	at_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	at_arena *a = at_arena_new(0);
	at_vcard_list list;
	at_error err;
	at_error_clear(&err);
	if (at_vcard_parse((const char *)data, size, a, &list, &err) < 0) {
		invariant(err.code[0] != '\0', "whole-input error without a code", NULL);
		at_arena_free(&a);
		return 0;
	}
	size_t errors = 0;
	for (size_t i = 0; i < list.n_cards; i++) {
		const at_vcard *c = &list.cards[i];
		if (c->error_code != NULL) {
			errors++;
			invariant(strncmp(c->error_message, "line ", 5) == 0,
				  "error message without its line", c->error_message);
			continue;
		}
		json_t *fields;
		if (at_vcard_is_list(c)) {
			if (at_vcard_list_to_fields(c, resolve, a, &fields, &err) < 0) {
				invariant(strncmp(err.message, "line ", 5) == 0,
					  "list mapping error without its line", err.message);
				continue;
			}
			list_round_trip(fields, AT_VCARD_V30, a);
			list_round_trip(fields, AT_VCARD_V40, a);
			json_decref(fields);
			continue;
		}
		if (at_vcard_to_fields(c, &fields, &err) < 0) {
			invariant(strncmp(err.message, "line ", 5) == 0,
				  "mapping error without its line", err.message);
			continue;
		}
		invariant(at_model_validate(at_model_item_type("contact"), fields, false, &err) == 0,
			  "mapped fields are not valid", err.message);
		round_trip(fields, AT_VCARD_V30, a);
		round_trip(fields, AT_VCARD_V40, a);
		json_decref(fields);
	}
	invariant(errors == list.n_errors, "n_errors is wrong", NULL);
	at_arena_free(&a);
	return 0;
}
