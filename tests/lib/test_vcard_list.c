/* test_vcard_list.c — distribution lists: the model's checks of the
 * distributionList type, and their vCard mapping both ways (4.0 KIND:group
 * with MEMBER, 3.0 with Apple's X-ADDRESSBOOKSERVER-* form): plain and
 * referenced members, which address of a contact, unresolved and repeated
 * members kept verbatim, round trips through both versions, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "arena.h"
#include "model.h"
#include "vcard.h"

static at_arena *arena;

static int setup(void **state)
{
	(void)state;
	arena = at_arena_new(0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	at_arena_free(&arena);
	return 0;
}

/* uid <-> contact id of a tiny address book */
static const char *const book[][2] = {
	{"urn:uuid:11111111-aaaa-4bbb-8ccc-000000000001", "c0ffee000000000000000001"},
	{"urn:uuid:11111111-aaaa-4bbb-8ccc-000000000002", "c0ffee000000000000000002"},
};

static const char *resolve(void *ctx, const char *uri)
{
	(void)ctx;
	for (size_t i = 0; i < N_ELEMS(book); i++)
		if (strcmp(book[i][0], uri) == 0)
			return book[i][1];
	return NULL;
}

static const char *uid_of(void *ctx, const char *id)
{
	(void)ctx;
	for (size_t i = 0; i < N_ELEMS(book); i++)
		if (strcmp(book[i][1], id) == 0)
			return book[i][0];
	return NULL;
}

static json_t *read_list(const char *text)
{
	const at_vcard *card;
	at_error err;
	json_t *fields;
	at_error_clear(&err);
	if (at_vcard_parse_one(text, strlen(text), arena, &card, &err) < 0)
		fail_msg("parse: %s", err.message);
	if (at_vcard_list_to_fields(card, resolve, NULL, &fields, &err) < 0)
		fail_msg("map: %s", err.message);
	return fields;
}

static void assert_json(json_t *got, const char *want_text)
{
	json_error_t jerr;
	json_t *want = json_loads(want_text, 0, &jerr);
	if (want == NULL)
		fail_msg("bad expected JSON: %s", jerr.text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		char *w = json_dumps(want, JSON_SORT_KEYS);
		fail_msg("got  %s\nwant %s", g, w);
	}
	json_decref(want);
}

static void test_model_checks(void **state)
{
	(void)state;
	const at_item_type *t = &at_model_distribution_list;
	static const struct {
		const char *fields, *field; /* field NULL: valid */
	} cases[] = {
		{"{\"displayName\":\"Team\"}", NULL},
		{"{\"displayName\":\"Team\",\"members\":[{\"address\":\"a@x.org\",\"name\":\"A\"},"
		 "{\"contactId\":\"c0ffee000000000000000001\",\"addressField\":\"email2\"}]}", NULL},
		{"{\"members\":[]}", "displayName"},
		{"{\"displayName\":\"T\",\"members\":[{\"name\":\"nobody\"}]}", "members[0]"},
		{"{\"displayName\":\"T\",\"members\":[{\"address\":\"a@x.org\","
		 "\"addressField\":\"email1\"}]}", "members[0]"},
		{"{\"displayName\":\"T\",\"members\":[{\"contactId\":\"bad id!\"}]}", "members[0]"},
		{"{\"displayName\":\"T\",\"members\":[{\"contactId\":\"c1\","
		 "\"addressField\":\"email4\"}]}", "members[0].addressField"},
		{"{\"displayName\":\"T\",\"members\":[{\"address\":\"A@x.org\"},"
		 "{\"address\":\"a@X.org\"}]}", "members"},
		{"{\"displayName\":\"T\",\"members\":[{\"contactId\":\"c1\"},"
		 "{\"contactId\":\"c1\",\"addressField\":\"email1\"}]}", "members"},
		{"{\"displayName\":\"T\",\"members\":[{\"contactId\":\"c1\"},"
		 "{\"contactId\":\"c1\",\"addressField\":\"email2\"}]}", NULL},
		{"{\"displayName\":\"T\",\"phoneBusiness\":\"1\"}", "phoneBusiness"},
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *f = json_loads(cases[i].fields, 0, NULL);
		at_error err;
		at_error_clear(&err);
		int rc = at_model_validate(t, f, false, &err);
		if (cases[i].field == NULL)
			check(rc == 0, "case %zu refused: %s", i, err.message);
		else
			check(rc < 0 && strcmp(err.field, cases[i].field) == 0,
			      "case %zu: want field %s, got rc %d field '%s' (%s)", i, cases[i].field,
			      rc, err.field, err.message);
		json_decref(f);
	}
	/* over the member limit */
	json_t *f = json_pack("{s:s,s:[]}", "displayName", "Big", "members");
	for (int i = 0; i <= AT_LIST_MAX_MEMBERS; i++) {
		char a[64];
		snprintf(a, sizeof(a), "m%d@example.org", i);
		json_array_append_new(json_object_get(f, "members"), json_pack("{s:s}", "address", a));
	}
	at_error err;
	at_error_clear(&err);
	assert_int_equal(at_model_validate(t, f, false, &err), -1);
	assert_string_equal(err.field, "members");
	assert_non_null(strstr(err.message, "1000"));
	json_decref(f);
}

static void test_read_v4(void **state)
{
	(void)state;
	json_t *f = read_list("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Project Team\r\n"
			      "MEMBER;X-CN=\"Ann Lee\":mailto:ann@example.org\r\n"
			      "MEMBER:urn:uuid:11111111-aaaa-4bbb-8ccc-000000000001\r\n"
			      "MEMBER;X-ATRIUM-ADDRESS=email3:urn:uuid:11111111-aaaa-4bbb-8ccc-"
			      "000000000002\r\n"
			      "MEMBER:urn:uuid:99999999-0000-4000-8000-000000000000\r\n"
			      "MEMBER:mailto:ann@example.org\r\n"
			      "NOTE:weekly\\nreport\r\nCATEGORIES:Work,Projects\r\n"
			      "UID:urn:uuid:list-1\r\nX-PRIVATE:TRUE\r\nEND:VCARD\r\n");
	assert_json(f, "{\"displayName\":\"Project Team\",\"members\":["
		       "{\"address\":\"ann@example.org\",\"name\":\"Ann Lee\"},"
		       "{\"contactId\":\"c0ffee000000000000000001\"},"
		       "{\"contactId\":\"c0ffee000000000000000002\",\"addressField\":\"email3\"}],"
		       "\"notes\":\"weekly\\nreport\",\"categories\":[\"Work\",\"Projects\"],"
		       "\"private\":true,\"vcardExtra\":"
		       "\"MEMBER:urn:uuid:99999999-0000-4000-8000-000000000000\\r\\n"
		       "MEMBER:mailto:ann@example.org\\r\\nUID:urn:uuid:list-1\"}");
	json_decref(f);
}

static void test_read_apple_v3(void **state)
{
	(void)state;
	json_t *f = read_list("BEGIN:VCARD\nVERSION:3.0\nN:Friends;;;;\nFN:Friends\n"
			      "X-ADDRESSBOOKSERVER-KIND:group\n"
			      "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:11111111-aaaa-4bbb-8ccc-"
			      "000000000002\nREV:2024-01-01T00:00:00Z\nEND:VCARD\n");
	assert_json(f, "{\"displayName\":\"Friends\",\"members\":["
		       "{\"contactId\":\"c0ffee000000000000000002\"}],"
		       "\"vcardExtra\":\"REV:2024-01-01T00:00:00Z\"}");
	json_decref(f);
	/* an N that is not the derived one is kept */
	f = read_list("BEGIN:VCARD\nVERSION:3.0\nN:Other;;;;\nFN:Friends\n"
		      "X-ADDRESSBOOKSERVER-KIND:group\nEND:VCARD\n");
	assert_json(f, "{\"displayName\":\"Friends\",\"vcardExtra\":\"N:Other;;;;\"}");
	json_decref(f);
}

static void test_round_trips(void **state)
{
	(void)state;
	const char *fields_text =
		"{\"displayName\":\"Board; members, all\",\"members\":["
		"{\"address\":\"x@example.org\",\"name\":\"Dr. \\\"X\\\", Esq.\"},"
		"{\"contactId\":\"c0ffee000000000000000001\",\"name\":\"Bob\"},"
		"{\"contactId\":\"c0ffee000000000000000002\",\"addressField\":\"email2\"}],"
		"\"notes\":\"line 1\\nline 2\",\"categories\":[\"A,B\",\"C\"],\"private\":false,"
		"\"vcardExtra\":\"X-CUSTOM;TYPE=a:kept\\r\\nUID:list-2\"}";
	json_t *fields = json_loads(fields_text, 0, NULL);
	assert_non_null(fields);
	at_vcard_version versions[] = {AT_VCARD_V40, AT_VCARD_V30};
	for (size_t v = 0; v < N_ELEMS(versions); v++) {
		at_buf out;
		at_error err;
		at_buf_init(&out, 0);
		at_error_clear(&err);
		if (at_vcard_list_from_fields(fields, versions[v], "ignored-uid", uid_of, NULL, &out,
					      &err) < 0)
			fail_msg("write %d: %s", versions[v], err.message);
		const char *text = at_arena_strdup(arena, out.data);
		check(strstr(text, versions[v] == AT_VCARD_V40 ? "KIND:group\r\n"
								: "X-ADDRESSBOOKSERVER-KIND:group\r\n"),
		      "kind missing in\n%s", text);
		check(strstr(text, "ignored-uid") == NULL, "UID written twice:\n%s", text);
		json_t *back = read_list(text);
		if (!json_equal(back, fields))
			fail_msg("version %d round trip changed the fields:\n%s\n%s", versions[v],
				 json_dumps(back, JSON_SORT_KEYS), text);
		json_decref(back);
		at_buf_free(&out);
	}
	/* a reference the writer cannot name goes out as its last known address */
	json_t *f2 = json_loads("{\"displayName\":\"L\",\"members\":[{\"contactId\":\"gone\","
				"\"address\":\"old@example.org\",\"name\":\"Old\"},"
				"{\"contactId\":\"gone2\"}]}", 0, NULL);
	at_buf out;
	at_error err;
	at_buf_init(&out, 0);
	at_error_clear(&err);
	assert_int_equal(at_vcard_list_from_fields(f2, AT_VCARD_V40, NULL, uid_of, NULL, &out,
						   &err), 0);
	assert_non_null(strstr(out.data, "MEMBER;X-CN=Old:mailto:old@example.org\r\n"));
	assert_null(strstr(out.data, "gone2"));
	at_buf_free(&out);
	json_decref(f2);
	json_decref(fields);
}

static void test_errors(void **state)
{
	(void)state;
	const at_vcard *card;
	at_error err;
	json_t *f;
	const char *nameless = "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:\r\n"
			       "MEMBER:mailto:a@example.org\r\nEND:VCARD\r\n";
	at_error_clear(&err);
	assert_int_equal(at_vcard_parse_one(nameless, strlen(nameless), arena, &card, &err), 0);
	assert_int_equal(at_vcard_list_to_fields(card, resolve, NULL, &f, &err), -1);
	assert_string_equal(err.field, "displayName");
	assert_non_null(strstr(err.message, "line 1"));
	const char *person = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEND:VCARD\r\n";
	assert_int_equal(at_vcard_parse_one(person, strlen(person), arena, &card, &err), 0);
	assert_int_equal(at_vcard_list_to_fields(card, resolve, NULL, &f, &err), -1);
	assert_non_null(strstr(err.message, "not a distribution list"));
	/* a contact's mapping refuses a list, naming its line */
	const char *list = "\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:T\r\nEND:VCARD\r\n";
	assert_int_equal(at_vcard_parse_one(list, strlen(list), arena, &card, &err), 0);
	assert_int_equal(at_vcard_to_fields(card, &f, &err), -1);
	assert_non_null(strstr(err.message, "line 2"));
	/* the writer refuses what is not a list */
	json_t *bad = json_pack("{s:s}", "firstName", "Ann");
	at_buf out;
	at_buf_init(&out, 0);
	assert_int_equal(at_vcard_list_from_fields(bad, AT_VCARD_V40, NULL, NULL, NULL, &out, &err),
			 -1);
	assert_int_equal(out.len, 0);
	json_decref(bad);
	at_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_checks),
		cmocka_unit_test_setup_teardown(test_read_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_apple_v3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
