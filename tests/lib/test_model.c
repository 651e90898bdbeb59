/* test_model.c — the contact field table against docs/protocol.md §5, field
 * validation (limits in code points, control characters, dates, lists,
 * unknown fields, null in patches), kebab names and the published limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "model.h"

/* The contact table of docs/protocol.md, written out independently of
 * lib/model.c so that a change of either is noticed. */
static const struct expected_field {
	const char *name;
	at_field_type type;
	unsigned max;        /* characters; per entry for lists */
	unsigned max_items;  /* lists */
} expected[] = {
	{"title", AT_FT_TEXT, 64, 0},
	{"firstName", AT_FT_TEXT, 128, 0},
	{"middleName", AT_FT_TEXT, 128, 0},
	{"lastName", AT_FT_TEXT, 128, 0},
	{"suffix", AT_FT_TEXT, 64, 0},
	{"displayName", AT_FT_TEXT, 256, 0},
	{"nickname", AT_FT_TEXT, 128, 0},
	{"jobTitle", AT_FT_TEXT, 128, 0},
	{"company", AT_FT_TEXT, 256, 0},
	{"department", AT_FT_TEXT, 128, 0},
	{"office", AT_FT_TEXT, 128, 0},
	{"profession", AT_FT_TEXT, 128, 0},
	{"managerName", AT_FT_TEXT, 128, 0},
	{"assistantName", AT_FT_TEXT, 128, 0},
	{"spouseName", AT_FT_TEXT, 128, 0},
	{"birthday", AT_FT_DATE, 0, 0},
	{"anniversary", AT_FT_DATE, 0, 0},
	{"businessStreet", AT_FT_TEXT, 512, 0},
	{"businessCity", AT_FT_TEXT, 128, 0},
	{"businessState", AT_FT_TEXT, 128, 0},
	{"businessPostalCode", AT_FT_TEXT, 32, 0},
	{"businessCountry", AT_FT_TEXT, 128, 0},
	{"homeStreet", AT_FT_TEXT, 512, 0},
	{"homeCity", AT_FT_TEXT, 128, 0},
	{"homeState", AT_FT_TEXT, 128, 0},
	{"homePostalCode", AT_FT_TEXT, 32, 0},
	{"homeCountry", AT_FT_TEXT, 128, 0},
	{"otherStreet", AT_FT_TEXT, 512, 0},
	{"otherCity", AT_FT_TEXT, 128, 0},
	{"otherState", AT_FT_TEXT, 128, 0},
	{"otherPostalCode", AT_FT_TEXT, 32, 0},
	{"otherCountry", AT_FT_TEXT, 128, 0},
	{"vcardExtra", AT_FT_LONGTEXT, 65536, 0},
	{"notes", AT_FT_LONGTEXT, 65536, 0},
	{"private", AT_FT_BOOL, 0, 0},
	{"phoneBusiness", AT_FT_TEXT, 64, 0},
	{"phoneBusiness2", AT_FT_TEXT, 64, 0},
	{"phoneBusinessFax", AT_FT_TEXT, 64, 0},
	{"phoneMobile", AT_FT_TEXT, 64, 0},
	{"phoneHome", AT_FT_TEXT, 64, 0},
	{"phoneHome2", AT_FT_TEXT, 64, 0},
	{"phoneHomeFax", AT_FT_TEXT, 64, 0},
	{"phoneCar", AT_FT_TEXT, 64, 0},
	{"phoneCompany", AT_FT_TEXT, 64, 0},
	{"phoneOther", AT_FT_TEXT, 64, 0},
	{"phoneOtherFax", AT_FT_TEXT, 64, 0},
	{"phonePager", AT_FT_TEXT, 64, 0},
	{"phoneTelex", AT_FT_TEXT, 64, 0},
	{"phoneTtyTdd", AT_FT_TEXT, 64, 0},
	{"phoneAssistant", AT_FT_TEXT, 64, 0},
	{"phoneCallback", AT_FT_TEXT, 64, 0},
	{"phoneIsdn", AT_FT_TEXT, 64, 0},
	{"phonePrimary", AT_FT_TEXT, 64, 0},
	{"phoneRadio", AT_FT_TEXT, 64, 0},
	{"email1", AT_FT_TEXT, 320, 0},
	{"email2", AT_FT_TEXT, 320, 0},
	{"email3", AT_FT_TEXT, 320, 0},
	{"email1Name", AT_FT_TEXT, 256, 0},
	{"email2Name", AT_FT_TEXT, 256, 0},
	{"email3Name", AT_FT_TEXT, 256, 0},
	{"webPage", AT_FT_TEXT, 2048, 0},
	{"imAddress", AT_FT_TEXT, 320, 0},
	{"categories", AT_FT_TEXT_LIST, 128, 64},
};

static const at_item_type *contact(void)
{
	const at_item_type *t = at_model_item_type("contact");
	assert_non_null(t);
	return t;
}

/* A JSON string of n copies of unit (a UTF-8 sequence). */
static json_t *repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit);
	char *s = malloc(ul * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* Validates {name: value} (value stolen); returns rc and fills err. */
static int validate1(const char *name, json_t *value, bool patch, at_error *err)
{
	json_t *o = json_object();
	json_object_set_new(o, name, value);
	at_error_clear(err);
	int rc = at_model_validate(contact(), o, patch, err);
	json_decref(o);
	return rc;
}

static void test_table_matches_protocol(void **state)
{
	(void)state;
	const at_item_type *t = contact();
	assert_string_equal(t->name, "contact");
	assert_int_equal(t->module, AT_MODULE_CONTACTS);
	assert_ptr_equal(at_model_default_type(AT_MODULE_CONTACTS), t);
	assert_null(at_model_item_type("spaceship"));
	/* and photo and attachments, the blob fields (lib/blob.h, test_blob.c) */
	check(t->n_fields == N_ELEMS(expected) + 2, "model has %zu contact fields, protocol %zu",
	      t->n_fields, N_ELEMS(expected) + 2);
	assert_int_equal(at_model_field(t, "photo")->type, AT_FT_OBJECT);
	assert_int_equal(at_model_field(t, "attachments")->type, AT_FT_OBJECT_LIST);
	assert_int_equal(at_model_field(t, "attachments")->max_items, 32);
	for (size_t i = 0; i < N_ELEMS(expected); i++) {
		const at_field_def *f = at_model_field(t, expected[i].name);
		check(f != NULL, "field %s missing from the model", expected[i].name);
		check(f->type == expected[i].type, "%s: type %d", f->name, (int)f->type);
		if (f->type != AT_FT_DATE && f->type != AT_FT_BOOL)
			check(f->max_len == expected[i].max, "%s: limit %u, protocol says %u",
			      f->name, f->max_len, expected[i].max);
		if (f->type == AT_FT_TEXT_LIST)
			check(f->max_items == expected[i].max_items, "%s: %u items", f->name,
			      f->max_items);
		check(f->label != NULL && f->label[0] != '\0', "%s: no label", f->name);
	}
	assert_null(at_model_field(t, "FirstName"));
}

/* Every text field at its exact limit is accepted, one more is refused with
 * fieldTooLong naming the field and the limit; in ASCII and in 2-byte and
 * 4-byte characters (limits count code points). */
static void test_every_text_field_limit(void **state)
{
	(void)state;
	static const char *const units[] = {"a", "\xc3\xa9" /* é */,
					    "\xf0\x9f\x98\x80" /* U+1F600 */};
	const at_item_type *t = contact();
	for (size_t i = 0; i < t->n_fields; i++) {
		const at_field_def *f = &t->fields[i];
		if (f->type != AT_FT_TEXT && f->type != AT_FT_LONGTEXT)
			continue;
		for (size_t u = 0; u < N_ELEMS(units); u++) {
			at_error err;
			int rc = validate1(f->name, repeat(units[u], f->max_len), false, &err);
			check(rc == 0, "%s: %u x \"%s\" refused: %s", f->name, f->max_len,
			      units[u], err.message);
			rc = validate1(f->name, repeat(units[u], f->max_len + 1), false, &err);
			check(rc == -1, "%s: %u+1 x \"%s\" accepted", f->name, f->max_len, units[u]);
			check(strcmp(err.code, AT_E_FIELD_TOO_LONG) == 0, "%s: code %s", f->name,
			      err.code);
			check(strcmp(err.field, f->name) == 0, "%s: err.field %s", f->name, err.field);
			check(err.scope == AT_SCOPE_ITEM && err.retry == AT_RETRY_FINAL,
			      "%s: scope/retry", f->name);
			char limit[16];
			snprintf(limit, sizeof(limit), "%u", f->max_len);
			check(strstr(err.message, limit) != NULL, "%s: message lacks limit %s: %s",
			      f->name, limit, err.message);
			/* the same in a patch */
			rc = validate1(f->name, repeat(units[u], f->max_len + 1), true, &err);
			check(rc == -1 && strcmp(err.code, AT_E_FIELD_TOO_LONG) == 0,
			      "%s: patch over the limit accepted", f->name);
		}
	}
}

static void test_code_points_not_bytes(void **state)
{
	(void)state;
	at_error err;
	/* 128 "é" are 256 bytes but 128 characters: fine for firstName */
	assert_int_equal(validate1("firstName", repeat("\xc3\xa9", 128), false, &err), 0);
	assert_int_equal(validate1("firstName", repeat("\xc3\xa9", 129), false, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	assert_non_null(strstr(err.message, "129"));
	/* mixed widths: 60 ASCII + 60 CJK + 8 emoji = 128 characters */
	char buf[1024] = "";
	for (int i = 0; i < 60; i++) strcat(buf, "a");
	for (int i = 0; i < 60; i++) strcat(buf, "\xe6\x97\xa5");
	for (int i = 0; i < 8; i++) strcat(buf, "\xf0\x9f\x98\x80");
	assert_int_equal(at_utf8_length(buf, strlen(buf)), 128);
	assert_int_equal(validate1("lastName", json_string(buf), false, &err), 0);
	strcat(buf, "b");
	assert_int_equal(validate1("lastName", json_string(buf), false, &err), -1);
	assert_string_equal(err.field, "lastName");

	assert_int_equal(at_utf8_length("", 0), 0);
	assert_int_equal(at_utf8_length("\xc3\xa9t\xc3\xa9", 5), 3);
}

static void test_control_characters(void **state)
{
	(void)state;
	static const struct { const char *field, *value; int ok; } table[] = {
		{"firstName", "Ada", 1},
		{"firstName", "A\tda", 0},
		{"firstName", "A\nda", 0},
		{"firstName", "A\rda", 0},
		{"firstName", "A\x01" "da", 0},
		{"firstName", "A\x1f" "da", 0},
		{"firstName", "A\x7f" "da", 0},
		{"businessStreet", "1 Main St\nSuite 2", 0},
		{"notes", "line 1\nline 2\r\n\tindented", 1},
		{"notes", "bell\x07", 0},
		{"notes", "escape\x1b[0m", 0},
		{"notes", "del\x7f", 0},
		{"email1", "ada@example.org", 1},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_error err;
		int rc = validate1(table[i].field, json_string(table[i].value), false, &err);
		if (table[i].ok) {
			check(rc == 0, "case %zu (%s) refused: %s", i, table[i].field, err.message);
		} else {
			check(rc == -1, "case %zu (%s) accepted", i, table[i].field);
			check(strcmp(err.code, AT_E_INVALID_FIELD) == 0, "case %zu: code %s", i,
			      err.code);
			check(strcmp(err.field, table[i].field) == 0, "case %zu: field %s", i,
			      err.field);
		}
	}
	/* an embedded NUL (possible in a jansson string built with a length) */
	at_error err;
	assert_int_equal(validate1("firstName", json_stringn("A\0B", 3), false, &err), -1);
	assert_string_equal(err.code, "invalidField");
	/* categories entries are one-line text too */
	assert_int_equal(validate1("categories", json_pack("[s]", "a\nb"), false, &err), -1);
	assert_string_equal(err.field, "categories");
}

static void test_dates(void **state)
{
	(void)state;
	static const struct { const char *value; int ok; } table[] = {
		{"2024-02-29", 1},  /* leap year */
		{"2000-02-29", 1},  /* divisible by 400 */
		{"2023-02-29", 0},
		{"1900-02-29", 0},  /* divisible by 100, not 400 */
		{"2100-02-29", 0},
		{"2023-02-28", 1},
		{"1970-01-01", 1},
		{"0001-01-01", 1},
		{"9999-12-31", 1},
		{"0000-01-01", 0},
		{"2024-04-30", 1},
		{"2024-04-31", 0},
		{"2024-06-31", 0},
		{"2024-09-31", 0},
		{"2024-11-31", 0},
		{"2024-01-31", 1},
		{"2024-00-10", 0},
		{"2024-13-01", 0},
		{"2024-01-00", 0},
		{"2024-01-32", 0},
		{"2024-1-01", 0},
		{"24-01-01", 0},
		{"20240101", 0},
		{"2024/01/01", 0},
		{"2024-01-01T00:00:00Z", 0},
		{" 2024-01-01", 0},
		{"2024-01-0a", 0},
		{"+024-01-01", 0},
		{"2024-+1-01", 0},
		{"", 0},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		at_error err;
		int rc = validate1("birthday", json_string(table[i].value), false, &err);
		check((rc == 0) == (table[i].ok == 1), "birthday \"%s\": rc %d (%s)",
		      table[i].value, rc, err.message);
		if (rc < 0)
			check(strcmp(err.code, "invalidField") == 0 &&
			      strcmp(err.field, "birthday") == 0, "\"%s\": code %s field %s",
			      table[i].value, err.code, err.field);
	}
	at_error err;
	assert_int_equal(validate1("anniversary", json_integer(20240101), false, &err), -1);
	assert_string_equal(err.field, "anniversary");
	assert_int_equal(validate1("anniversary", json_string("2012-12-12"), false, &err), 0);
}

static void test_bool_and_types(void **state)
{
	(void)state;
	at_error err;
	assert_int_equal(validate1("private", json_true(), false, &err), 0);
	assert_int_equal(validate1("private", json_false(), false, &err), 0);
	assert_int_equal(validate1("private", json_string("true"), false, &err), -1);
	assert_string_equal(err.code, "invalidField");
	assert_string_equal(err.field, "private");
	assert_int_equal(validate1("private", json_integer(1), false, &err), -1);
	assert_int_equal(validate1("firstName", json_integer(5), false, &err), -1);
	assert_string_equal(err.code, "invalidField");
	assert_string_equal(err.field, "firstName");
	assert_int_equal(validate1("notes", json_pack("[s]", "x"), false, &err), -1);
	assert_int_equal(validate1("categories", json_string("work"), false, &err), -1);
	assert_string_equal(err.field, "categories");

	json_t *arr = json_array();
	at_error_clear(&err);
	assert_int_equal(at_model_validate(contact(), arr, false, &err), -1);
	assert_string_equal(err.code, "invalidArguments");
	json_decref(arr);
	json_t *empty = json_object();
	assert_int_equal(at_model_validate(contact(), empty, false, &err), 0);
	json_decref(empty);
}

static void test_categories_limits(void **state)
{
	(void)state;
	at_error err;
	json_t *list = json_array();
	for (int i = 0; i < 64; i++)
		json_array_append_new(list, json_sprintf("cat%d", i));
	json_incref(list);
	assert_int_equal(validate1("categories", list, false, &err), 0);
	json_array_append_new(list, json_string("one too many"));
	assert_int_equal(validate1("categories", list, false, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	assert_string_equal(err.field, "categories");
	assert_non_null(strstr(err.message, "64"));

	assert_int_equal(validate1("categories", json_array(), false, &err), 0);
	json_t *entry_ok = json_array();
	json_array_append_new(entry_ok, repeat("\xc3\xa9", 128));
	assert_int_equal(validate1("categories", entry_ok, false, &err), 0);
	json_t *entry_long = json_array();
	json_array_append_new(entry_long, json_string("fine"));
	json_array_append_new(entry_long, repeat("x", 129));
	assert_int_equal(validate1("categories", entry_long, false, &err), -1);
	assert_string_equal(err.code, "fieldTooLong");
	assert_string_equal(err.field, "categories");
	assert_non_null(strstr(err.message, "128"));
	assert_int_equal(validate1("categories", json_pack("[s,i]", "a", 3), false, &err), -1);
	assert_string_equal(err.code, "invalidField");
}

static void test_unknown_field(void **state)
{
	(void)state;
	at_error err;
	json_t *o = json_pack("{s:s,s:s}", "firstName", "Ada", "fistName", "typo");
	assert_int_equal(at_model_validate(contact(), o, false, &err), -1);
	assert_string_equal(err.code, "unknownField");
	assert_string_equal(err.field, "fistName");
	assert_non_null(strstr(err.message, "fistName"));
	/* also in patches, also with a null value */
	json_object_set_new(o, "fistName", json_null());
	assert_int_equal(at_model_validate(contact(), o, true, &err), -1);
	assert_string_equal(err.code, "unknownField");
	json_decref(o);
	/* a very long unknown name is shown truncated, without overflow */
	char name[300];
	memset(name, 'k', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(validate1(name, json_string("v"), false, &err), -1);
	assert_string_equal(err.code, "unknownField");
	assert_int_equal(strncmp(err.field, name, strlen(err.field)), 0);
	assert_true(strlen(err.field) > 0 && strlen(err.field) < AT_ERROR_FIELD_MAX);
}

static void test_null_only_in_patches(void **state)
{
	(void)state;
	const at_item_type *t = contact();
	for (size_t i = 0; i < t->n_fields; i++) {
		at_error err;
		int rc = validate1(t->fields[i].name, json_null(), false, &err);
		check(rc == -1 && strcmp(err.code, "invalidField") == 0 &&
		      strcmp(err.field, t->fields[i].name) == 0,
		      "%s: null accepted in a full item", t->fields[i].name);
		rc = validate1(t->fields[i].name, json_null(), true, &err);
		check(rc == 0, "%s: null refused in a patch: %s", t->fields[i].name, err.message);
	}
}

static void test_kebab_round_trip(void **state)
{
	(void)state;
	const at_item_type *t = contact();
	for (size_t i = 0; i < t->n_fields; i++) {
		char kebab[AT_MAX_FIELD_NAME * 2];
		at_model_kebab(t->fields[i].name, kebab, sizeof(kebab));
		for (const char *p = kebab; *p; p++)
			check(!(*p >= 'A' && *p <= 'Z'), "%s -> %s has capitals", t->fields[i].name,
			      kebab);
		const at_field_def *back = at_model_field_by_kebab(t, kebab);
		check(back == &t->fields[i], "%s -> %s -> %s", t->fields[i].name, kebab,
		      back ? back->name : "(none)");
	}
	static const struct { const char *camel, *kebab; } table[] = {
		{"phoneBusinessFax", "phone-business-fax"},
		{"email1Name", "email1-name"},
		{"phoneTtyTdd", "phone-tty-tdd"},
		{"firstName", "first-name"},
		{"notes", "notes"},
	};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		char kebab[AT_MAX_FIELD_NAME * 2];
		at_model_kebab(table[i].camel, kebab, sizeof(kebab));
		assert_string_equal(kebab, table[i].kebab);
	}
	assert_null(at_model_field_by_kebab(t, "firstName"));
	assert_null(at_model_field_by_kebab(t, "first-nam"));
	assert_null(at_model_field_by_kebab(t, ""));
	/* a tiny buffer is still terminated */
	char tiny[4];
	at_model_kebab("phoneBusinessFax", tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
}

static void test_limits_json(void **state)
{
	(void)state;
	json_t *all = at_model_limits_json();
	assert_non_null(all);
	json_t *c = json_object_get(all, "contact");
	assert_true(json_is_object(c));
	assert_int_equal(json_object_size(c), N_ELEMS(expected) + 2);  /* + photo, attachments */
	static const char *const type_names[] = {"text", "longtext", "date", "boolean",
						 "textList"};
	for (size_t i = 0; i < N_ELEMS(expected); i++) {
		const struct expected_field *e = &expected[i];
		json_t *d = json_object_get(c, e->name);
		check(json_is_object(d), "limits lack %s", e->name);
		check(strcmp(json_string_value(json_object_get(d, "type")),
			     type_names[e->type]) == 0, "%s: type %s", e->name,
		      json_string_value(json_object_get(d, "type")));
		json_t *ml = json_object_get(d, "maxLength");
		json_t *mi = json_object_get(d, "maxItems");
		if (e->type == AT_FT_DATE || e->type == AT_FT_BOOL) {
			check(ml == NULL, "%s: maxLength on a %s", e->name, type_names[e->type]);
		} else {
			check(json_is_integer(ml) && json_integer_value(ml) == (json_int_t)e->max,
			      "%s: maxLength %lld, expected %u", e->name,
			      (long long)json_integer_value(ml), e->max);
		}
		if (e->type == AT_FT_TEXT_LIST)
			check(json_integer_value(mi) == (json_int_t)e->max_items, "%s: maxItems",
			      e->name);
		else
			check(mi == NULL, "%s: maxItems on a non-list", e->name);
	}
	json_decref(all);
}

static void test_names_and_title(void **state)
{
	(void)state;
	static const char *const modules[] = {"contacts", "calendar", "tasks", "mail"};
	for (int i = 0; i < AT_MODULE_COUNT; i++) {
		at_module m;
		assert_string_equal(at_module_name((at_module)i), modules[i]);
		assert_int_equal(at_module_parse(modules[i], &m), 0);
		assert_int_equal(m, i);
	}
	at_module m;
	assert_int_equal(at_module_parse("Contacts", &m), -1);
	static const char *const types[] = {"private", "public", "shared"};
	for (int i = 0; i < 3; i++) {
		at_folder_type ft;
		assert_string_equal(at_folder_type_name((at_folder_type)i), types[i]);
		assert_int_equal(at_folder_type_parse(types[i], &ft), 0);
		assert_int_equal(ft, i);
	}
	at_folder_type ft;
	assert_int_equal(at_folder_type_parse("secret", &ft), -1);

	static const struct { const char *json, *title; } titles[] = {
		{"{\"displayName\":\"Dr. Ada\",\"firstName\":\"Ada\"}", "Dr. Ada"},
		{"{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}", "Lovelace, Ada"},
		{"{\"firstName\":\"Ada\"}", "Ada"},
		{"{\"company\":\"Analytical Engines\"}", "Analytical Engines"},
		{"{\"email1\":\"ada@example.org\"}", "ada@example.org"},
		{"{\"firstName\":\"\"}", "(no name)"},
	};
	for (size_t i = 0; i < N_ELEMS(titles); i++) {
		json_t *f = json_loads(titles[i].json, 0, NULL);
		char buf[64];
		at_model_item_title(contact(), f, buf, sizeof(buf));
		json_decref(f);
		assert_string_equal(buf, titles[i].title);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_protocol),
		cmocka_unit_test(test_every_text_field_limit),
		cmocka_unit_test(test_code_points_not_bytes),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_bool_and_types),
		cmocka_unit_test(test_categories_limits),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_null_only_in_patches),
		cmocka_unit_test(test_kebab_round_trip),
		cmocka_unit_test(test_limits_json),
		cmocka_unit_test(test_names_and_title),
	};
	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
