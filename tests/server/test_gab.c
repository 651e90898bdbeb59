/* test_gab.c — the Global Address Book, personal data and contact search:
 * the folder every user sees (reviewer through "everyone", no admin, not
 * writable by anyone through Item/sync or Folder/set), the entries of
 * users made with them, personal data and its server-managed fields, a
 * change reaching another user's Item/sync, Contact/search with and
 * without diacritics, by name, e-mail, company and phone, its limit, FTS5
 * syntax taken as text, access (private items of others), the index kept
 * in step with item writes, the query limits, and the migration of a
 * version 4 database. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fts5_query.h"
#include "gab.h"
#include "groups.h"
#include "server_fixture.h"

#define GAB AS_GAB_FOLDER_ID

/* --- helpers ------------------------------------------------------------------------ */

static json_t *call_ok(fx *f, const as_user *u, const char *method, json_t *args)
{
	at_error err;
	json_t *r = fx_call(f, u, NULL, method, args, &err);
	if (r == NULL)
		fail_msg("%s: %s: %s (field %s)", method, err.code, err.message, err.field);
	return r;
}

static void call_fails(fx *f, const as_user *u, const char *method, json_t *args,
		       const char *code, const char *field)
{
	at_error err;
	json_t *r = fx_call(f, u, NULL, method, args, &err);
	if (r != NULL) {
		char *text = json_dumps(r, 0);
		fail_msg("%s succeeded: %s", method, text);
	}
	check(strcmp(err.code, code) == 0, "%s: %s instead of %s (%s)", method, err.code, code,
	      err.message);
	if (field != NULL)
		check(strcmp(err.field, field) == 0, "%s: field %s instead of %s", method,
		      err.field, field);
}

/* A user without Argon2id (the store does not check the hash), with the
 * entry as_account_create makes. */
static const as_user *quick_user(fx *f, const char *login, const char *name,
				 const char *email)
{
	at_error err;
	as_user *u = at_arena_alloc(f->arena, sizeof(*u));
	u->id = as_new_id(f->arena);
	u->login = at_arena_strdup(f->arena, login);
	u->name = at_arena_strdup(f->arena, name);
	u->email = at_arena_strdup(f->arena, email);
	u->pw_hash = "$argon2id$fake";
	u->created = 1700000000;
	as_store *s = f->store;
	if (s->ops->begin(s, true, &err) < 0 || s->ops->user_add(s, u, &err) < 0 ||
	    as_gab_user_entry(s, f->arena, u, &err) < 0 || s->ops->commit(s, &err) < 0)
		fail_msg("quick_user %s: %s", login, err.message);
	return u;
}

static json_t *search_args(const char *query, int limit, const char *folder)
{
	json_t *a = json_pack("{s:s}", "query", query);
	if (limit > 0)
		json_object_set_new(a, "limit", json_integer(limit));
	if (folder != NULL)
		json_object_set_new(a, "folderId", json_string(folder));
	return a;
}

static json_t *search(fx *f, const as_user *u, const char *query, int limit,
		      const char *folder)
{
	return call_ok(f, u, "Contact/search", search_args(query, limit, folder));
}

/* Display names (or first names) of a search's items, in order, joined by
 * "|" (fixture arena). */
static const char *names_of(fx *f, json_t *r)
{
	char *out = at_arena_strdup(f->arena, "");
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(r, "items"), i, it) {
		json_t *fields = json_object_get(it, "fields");
		json_t *n = json_object_get(fields, "displayName");
		if (n == NULL)
			n = json_object_get(fields, "firstName");
		out = at_arena_printf(f->arena, "%s%s%s", out, i ? "|" : "",
				      json_is_string(n) ? json_string_value(n) : "?");
	}
	return out;
}

static void expect_names(fx *f, const as_user *u, const char *query, const char *folder,
			 const char *want)
{
	json_t *r = search(f, u, query, 0, folder);
	const char *got = names_of(f, r);
	check(strcmp(got, want) == 0, "search \"%s\": got \"%s\", want \"%s\"", query, got, want);
	json_decref(r);
}

/* The item of a user's entry, seen through Item/get (new reference). */
static json_t *entry_of(fx *f, const as_user *viewer, const as_user *u)
{
	json_t *r = call_ok(f, u, "Account/getPersonalData", json_object());
	json_t *it = fx_get(f, viewer, GAB, fx_str(r, "id"));
	json_decref(r);
	check(it != NULL, "no entry for %s", u->login);
	return it;
}

static json_t *find_by_id(json_t *list, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
			return v;
	return NULL;
}

/* --- the folder --------------------------------------------------------------------- */

static void test_folder_for_everyone(void **state)
{
	fx *f = *state;
	json_t *r = call_ok(f, f->alice, "Folder/sync", json_object());
	json_t *gab = find_by_id(json_object_get(r, "created"), GAB);
	check(gab != NULL, "no Global Address Book in Folder/sync");
	assert_string_equal(fx_str(gab, "name"), "Global Address Book");
	assert_string_equal(fx_str(gab, "displayName"), "Global Address Book");
	assert_string_equal(fx_str(gab, "type"), "public");
	assert_string_equal(fx_str(gab, "module"), "contacts");
	assert_true(json_is_null(json_object_get(gab, "ownerId")));
	assert_true(json_is_null(json_object_get(gab, "parentId")));
	assert_true(json_is_false(json_object_get(gab, "isDefault")));
	json_t *reviewer = json_pack("{s:s,s:s,s:s,s:s,s:b}", "folder", "see", "read", "all",
				     "write", "none", "delete", "none", "admin", 0);
	assert_true(json_equal(json_object_get(gab, "rights"), reviewer));
	json_decref(reviewer);
	json_decref(r);

	/* one grant: everyone, reviewer */
	r = call_ok(f, f->bob, "Folder/getPermissions", json_pack("{s:s}", "folderId", GAB));
	json_t *entries = json_object_get(r, "entries");
	assert_int_equal(json_array_size(entries), 1);
	json_t *e = json_array_get(entries, 0);
	assert_string_equal(fx_str(e, "level"), "reviewer");
	assert_string_equal(fx_str(json_object_get(e, "principal"), "name"), "everyone");
	json_decref(r);

	/* nobody is its admin: permissions, rename, move, delete are refused */
	call_fails(f, f->alice, "Folder/setPermissions",
		   json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", GAB, "set", "principal",
			     "type", "user", "login", "alice", "level", "owner"),
		   "forbidden", NULL);
	r = call_ok(f, f->alice, "Folder/set",
		    json_pack("{s:[{s:s,s:s}],s:[{s:s}]}", "update", "id", GAB, "name", "Mine",
			      "delete", "id", GAB));
	json_t *results = json_object_get(r, "results");
	for (size_t i = 0; i < 2; i++) {
		json_t *res = json_array_get(results, i);
		assert_string_equal(fx_str(res, "status"), "error");
		assert_string_equal(fx_str(json_object_get(res, "error"), "type"), "forbidden");
	}
	json_decref(r);
	/* nor can anyone make a folder inside it */
	r = call_ok(f, f->alice, "Folder/set",
		    json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "create", "clientId", "c1", "parentId",
			      GAB, "name", "Sub", "module", "contacts"));
	assert_string_equal(fx_str(json_array_get(json_object_get(r, "results"), 0), "status"),
			    "error");
	json_decref(r);
}

static void test_entries_of_users(void **state)
{
	fx *f = *state;
	json_t *r = fx_sync(f, f->bob, GAB, NULL, 0, NULL, NULL, NULL);
	json_t *up = json_object_get(json_object_get(r, "changes"), "upserted");
	assert_int_equal(json_array_size(up), 2);
	const as_user *users[] = {f->alice, f->bob};
	for (size_t i = 0; i < 2; i++) {
		json_t *it = NULL, *v;
		size_t k;
		json_array_foreach(up, k, v)
			if (strcmp(fx_str(v, "createdBy"), users[i]->id) == 0)
				it = v;
		check(it != NULL, "no entry created by %s", users[i]->login);
		assert_string_equal(fx_str(it, "type"), "contact");
		json_t *fields = json_object_get(it, "fields");
		assert_string_equal(fx_str(fields, "displayName"), users[i]->name);
		assert_string_equal(fx_str(fields, "email1"), users[i]->email);
		assert_int_equal(json_object_size(fields), 2);
		assert_null(json_object_get(it, "clientId"));
	}
	char *token = strdup(fx_str(r, "newToken"));
	json_decref(r);

	/* a new user appears in everyone's next sync, made with the account */
	const as_user *carol;
	at_error err;
	at_error_clear(&err);
	assert_int_equal(as_account_create(f->store, f->arena, "carol", "Carol Jones",
					   "carol@example.org", "Carol-Passphrase-31", &carol,
					   &err), 0);
	r = fx_sync(f, f->bob, GAB, token, 0, NULL, NULL, NULL);
	up = json_object_get(json_object_get(r, "changes"), "upserted");
	assert_int_equal(json_array_size(up), 1);
	json_t *it = json_array_get(up, 0);
	assert_string_equal(fx_str(it, "createdBy"), carol->id);
	assert_string_equal(fx_str(json_object_get(it, "fields"), "displayName"), "Carol Jones");
	/* in the transaction that made her folders */
	const char *cf = fx_default_folder(f, carol, AT_MODULE_CONTACTS);
	json_t *fs = call_ok(f, carol, "Folder/sync", json_object());
	assert_int_equal(fx_int(find_by_id(json_object_get(fs, "created"), cf), "version"),
			 fx_int(it, "version"));
	/* she sees the book too, and finds herself */
	assert_non_null(find_by_id(json_object_get(fs, "created"), GAB));
	expect_names(f, carol, "carol", NULL, "Carol Jones");
	json_decref(fs);
	json_decref(r);
	free(token);
}

static void test_not_editable(void **state)
{
	fx *f = *state;
	json_t *alice_entry = entry_of(f, f->bob, f->alice);
	const char *id = fx_str(alice_entry, "id");
	int64_t version = fx_int(alice_entry, "version");
	struct {
		const as_user *who;
		json_t *changes;
	} tries[] = {
		{f->bob, fx_create("b-1", json_pack("{s:s}", "displayName", "Intruder"))},
		{f->bob, fx_update(id, version, json_pack("{s:s}", "company", "Bob Corp"))},
		{f->bob, fx_delete(id, version)},
		/* not even the user herself: only through her personal data */
		{f->alice, fx_update(id, version, json_pack("{s:s}", "company", "Alice Corp"))},
		{f->alice, fx_delete(id, version)},
		{f->alice, fx_create("a-1", json_pack("{s:s}", "displayName", "Second Alice"))},
	};
	for (size_t i = 0; i < N_ELEMS(tries); i++) {
		json_t *r = fx_sync(f, tries[i].who, GAB, NULL, 0, NULL, tries[i].changes, NULL);
		json_t *res = fx_result(r, 0);
		check(strcmp(fx_str(res, "status"), "error") == 0, "try %zu was applied", i);
		assert_string_equal(fx_str(json_object_get(res, "error"), "type"), "forbidden");
		assert_string_equal(fx_str(json_object_get(res, "error"), "scope"), "item");
		json_decref(r);
	}
	/* nothing changed */
	json_t *now = entry_of(f, f->bob, f->alice);
	assert_true(json_equal(now, alice_entry));
	assert_int_equal(fx_count(f, f->bob, GAB), 2);
	json_decref(now);
	json_decref(alice_entry);
}

/* --- personal data -------------------------------------------------------------------- */

static void test_personal_data(void **state)
{
	fx *f = *state;
	json_t *r = call_ok(f, f->alice, "Account/getPersonalData", json_object());
	assert_string_equal(fx_str(r, "folderId"), GAB);
	json_t *fields = json_object_get(r, "fields");
	assert_string_equal(fx_str(fields, "displayName"), "Alice Liddell");
	assert_string_equal(fx_str(fields, "email1"), "alice@example.org");
	json_t *managed = json_pack("[sss]", "displayName", "email1", "private");
	assert_true(json_equal(json_object_get(r, "managedFields"), managed));
	json_decref(managed);
	int64_t v0 = fx_int(r, "version");
	json_decref(r);
	json_t *b0 = fx_sync(f, f->bob, GAB, NULL, 0, NULL, NULL, NULL);
	char *bob_token = strdup(fx_str(b0, "newToken"));
	json_decref(b0);

	/* business, private and additional data */
	r = call_ok(f, f->alice, "Account/setPersonalData",
		    json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:[s]}}", "fields", "company", "Wonderland Ltd",
			      "jobTitle", "Explorer", "phoneBusiness", "+44 20 7946 0000",
			      "homeCity", "Oxford", "birthday", "1852-05-04", "categories",
			      "Staff"));
	fields = json_object_get(r, "fields");
	assert_string_equal(fx_str(fields, "company"), "Wonderland Ltd");
	assert_string_equal(fx_str(fields, "displayName"), "Alice Liddell");
	int64_t v1 = fx_int(r, "version");
	assert_true(v1 > v0);
	json_decref(r);

	/* it reaches bob's next sync of the book */
	json_t *b1 = fx_sync(f, f->bob, GAB, bob_token, 0, NULL, NULL, NULL);
	json_t *up = json_object_get(json_object_get(b1, "changes"), "upserted");
	assert_int_equal(json_array_size(up), 1);
	json_t *seen = json_object_get(json_array_get(up, 0), "fields");
	assert_string_equal(fx_str(seen, "company"), "Wonderland Ltd");
	assert_string_equal(fx_str(seen, "homeCity"), "Oxford");
	assert_int_equal(fx_int(json_array_get(up, 0), "version"), v1);
	free(bob_token);
	bob_token = strdup(fx_str(b1, "newToken"));
	json_decref(b1);

	/* null removes; a patch that changes nothing keeps the version */
	r = call_ok(f, f->alice, "Account/setPersonalData",
		    json_pack("{s:{s:n}}", "fields", "homeCity"));
	assert_null(json_object_get(json_object_get(r, "fields"), "homeCity"));
	int64_t v2 = fx_int(r, "version");
	json_decref(r);
	r = call_ok(f, f->alice, "Account/setPersonalData",
		    json_pack("{s:{s:s}}", "fields", "company", "Wonderland Ltd"));
	assert_int_equal(fx_int(r, "version"), v2);
	json_decref(r);
	r = call_ok(f, f->alice, "Account/setPersonalData", json_pack("{s:{}}", "fields"));
	assert_int_equal(fx_int(r, "version"), v2);
	json_decref(r);

	/* the server's fields, and the model's checks */
	call_fails(f, f->alice, "Account/setPersonalData",
		   json_pack("{s:{s:s}}", "fields", "displayName", "Queen"), "forbidden",
		   "displayName");
	call_fails(f, f->alice, "Account/setPersonalData",
		   json_pack("{s:{s:s}}", "fields", "email1", "q@example.org"), "forbidden",
		   "email1");
	call_fails(f, f->alice, "Account/setPersonalData",
		   json_pack("{s:{s:b}}", "fields", "private", 1), "forbidden", "private");
	call_fails(f, f->alice, "Account/setPersonalData",
		   json_pack("{s:{s:s}}", "fields", "shoeSize", "5"), "unknownField", "shoeSize");
	char longer[300];
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	call_fails(f, f->alice, "Account/setPersonalData",
		   json_pack("{s:{s:s}}", "fields", "company", longer), "fieldTooLong", "company");
	call_fails(f, f->alice, "Account/setPersonalData",
		   json_pack("{s:{s:s}}", "fields", "birthday", "1852-02-30"), "invalidField",
		   "birthday");
	call_fails(f, f->alice, "Account/setPersonalData", json_object(), "invalidArguments",
		   "fields");
	call_fails(f, f->alice, "Account/setPersonalData",
		   json_pack("{s:{},s:b}", "fields", "extra", 1), "invalidArguments", NULL);
	call_fails(f, f->alice, "Account/getPersonalData", json_pack("{s:b}", "x", 1),
		   "invalidArguments", "x");
	/* none of the refusals reached bob */
	b1 = fx_sync(f, f->bob, GAB, bob_token, 0, NULL, NULL, NULL);
	up = json_object_get(json_object_get(b1, "changes"), "upserted");
	assert_int_equal(json_array_size(up), 1);  /* the removal of homeCity only */
	assert_int_equal(fx_int(json_array_get(up, 0), "version"), v2);
	json_decref(b1);
	free(bob_token);

	/* bob's data is his own */
	r = call_ok(f, f->bob, "Account/getPersonalData", json_object());
	assert_null(json_object_get(json_object_get(r, "fields"), "company"));
	json_decref(r);
}

static void test_missing_entry_is_made(void **state)
{
	fx *f = *state;
	json_t *r = call_ok(f, f->alice, "Account/getPersonalData", json_object());
	char *old_id = strdup(fx_str(r, "id"));
	json_decref(r);
	/* a damaged database: alice's entry gone */
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *sql = sqlite3_mprintf("DELETE FROM items WHERE id = %Q;"
				    " DELETE FROM directory_entries WHERE item_id = %Q", old_id,
				    old_id);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
	assert_int_equal(fx_count(f, f->bob, GAB), 1);
	/* the next use of her personal data makes it again, from the account */
	r = call_ok(f, f->alice, "Account/getPersonalData", json_object());
	assert_string_not_equal(fx_str(r, "id"), old_id);
	assert_string_equal(fx_str(json_object_get(r, "fields"), "displayName"), "Alice Liddell");
	json_decref(r);
	assert_int_equal(fx_count(f, f->bob, GAB), 2);
	expect_names(f, f->bob, "liddell", NULL, "Alice Liddell");
	free(old_id);
}

/* --- search ------------------------------------------------------------------------------ */

static void test_search_diacritics(void **state)
{
	fx *f = *state;
	const as_user *j = quick_user(f, "jmueller", "J\u00fcrgen M\u00fcller",
				      "j.mueller@corp.invalid");
	quick_user(f, "jmiller", "James Miller", "jm@corp.invalid");
	const char *jm = "J\u00fcrgen M\u00fcller";
	expect_names(f, f->alice, "muller", NULL, jm);
	expect_names(f, f->alice, "jurgen", NULL, jm);
	expect_names(f, f->alice, "M\u00dcLL", NULL, jm);
	expect_names(f, f->alice, "M\u00fcller", NULL, jm);
	expect_names(f, f->alice, "J\u00dcRG m\u00fc", NULL, jm);
	expect_names(f, f->alice, "jurgen miller", NULL, "");
	expect_names(f, f->alice, "mil", NULL, "James Miller");
	expect_names(f, f->alice, "nobody", NULL, "");
	/* e-mail, company, phone (set through personal data) */
	json_t *r = call_ok(f, j, "Account/setPersonalData",
			    json_pack("{s:{s:s,s:s,s:s,s:s}}", "fields", "company",
				      "\u00c4rzte & Partner GmbH", "department", "Radiologie",
				      "phoneBusiness", "+49 (30) 1234-5678",
				      "phoneMobile", "0171 555 0100"));
	json_decref(r);
	expect_names(f, f->bob, "j.mueller@corp", NULL, jm);
	expect_names(f, f->bob, "mueller", NULL, jm);
	expect_names(f, f->bob, "arzte", NULL, jm);
	expect_names(f, f->bob, "\u00c4RZTE partner", NULL, jm);
	expect_names(f, f->bob, "radio", NULL, jm);
	expect_names(f, f->bob, "+49 30 1234", NULL, jm);
	expect_names(f, f->bob, "1234-5678", NULL, jm);
	expect_names(f, f->bob, "4930123456", NULL, jm);
	expect_names(f, f->bob, "0171555", NULL, jm);
	expect_names(f, f->bob, "0171 555", NULL, jm);
	expect_names(f, f->bob, "5678", NULL, jm);
	/* several words: all of them, in any field */
	expect_names(f, f->bob, "muller arzte 4930", NULL, jm);
	expect_names(f, f->bob, "miller arzte", NULL, "");
	/* the answer holds the items themselves */
	r = search(f, f->bob, "muller", 0, NULL);
	json_t *it = json_array_get(json_object_get(r, "items"), 0);
	assert_string_equal(fx_str(it, "folderId"), GAB);
	assert_string_equal(fx_str(it, "createdBy"), j->id);
	assert_string_equal(fx_str(json_object_get(it, "fields"), "phoneMobile"), "0171 555 0100");
	assert_string_equal(fx_str(r, "folderId"), GAB);
	assert_true(json_is_false(json_object_get(r, "moreAvailable")));
	json_decref(r);
}

static void test_search_limit(void **state)
{
	fx *f = *state;
	char login[32], name[64], email[64];
	for (int i = 0; i < 30; i++) {
		snprintf(login, sizeof(login), "tester%02d", i);
		snprintf(name, sizeof(name), "Tester Number%02d", i);
		snprintf(email, sizeof(email), "t%02d@corp.invalid", i);
		quick_user(f, login, name, email);
	}
	json_t *r = search(f, f->alice, "tester", 0, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "items")), AS_SEARCH_LIMIT_DEFAULT);
	assert_true(json_is_true(json_object_get(r, "moreAvailable")));
	json_decref(r);
	r = search(f, f->alice, "tester", 7, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 7);
	assert_true(json_is_true(json_object_get(r, "moreAvailable")));
	json_decref(r);
	r = search(f, f->alice, "tester", 30, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 30);
	assert_true(json_is_false(json_object_get(r, "moreAvailable")));
	json_decref(r);
	r = search(f, f->alice, "tester", 100, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 30);
	json_decref(r);
	/* equal matches come by name */
	r = search(f, f->alice, "number0", 3, NULL);
	assert_string_equal(names_of(f, r), "Tester Number00|Tester Number01|Tester Number02");
	json_decref(r);
	call_fails(f, f->alice, "Contact/search", search_args("tester", 101, NULL),
		   "invalidArguments", "limit");
	call_fails(f, f->alice, "Contact/search",
		   json_pack("{s:s,s:i}", "query", "tester", "limit", 0), "invalidArguments",
		   "limit");
}

static void test_search_syntax_is_text(void **state)
{
	fx *f = *state;
	quick_user(f, "anders", "Anders Ornstein", "a@corp.invalid");
	quick_user(f, "nelly", "Nelly Nearing", "n@corp.invalid");
	quick_user(f, "quote", "Jo \"Quote\" Smith", "q@corp.invalid");
	/* operators are words like any other */
	expect_names(f, f->alice, "AND", NULL, "Anders Ornstein");
	/* (names weigh more than e-mail addresses: alice@example.org next) */
	expect_names(f, f->alice, "OR", NULL, "Anders Ornstein|Alice Liddell|Bob Builder");
	expect_names(f, f->alice, "NOT", NULL, "");
	expect_names(f, f->alice, "NEAR", NULL, "Nelly Nearing");
	expect_names(f, f->alice, "NEAR(nelly anders)", NULL, "");
	expect_names(f, f->alice, "anders OR nelly", NULL, "");
	expect_names(f, f->alice, "-anders", NULL, "Anders Ornstein");
	expect_names(f, f->alice, "NOT anders", NULL, "");
	expect_names(f, f->alice, "anders*", NULL, "Anders Ornstein");
	expect_names(f, f->alice, "\"anders\"", NULL, "Anders Ornstein");
	expect_names(f, f->alice, "\"anders", NULL, "Anders Ornstein");
	expect_names(f, f->alice, "\"Quote\"", NULL, "Jo \"Quote\" Smith");
	expect_names(f, f->alice, "jo\"quote", NULL, "Jo \"Quote\" Smith");
	expect_names(f, f->alice, "(anders)", NULL, "Anders Ornstein");
	expect_names(f, f->alice, "^anders", NULL, "Anders Ornstein");
	expect_names(f, f->alice, "anders + nelly", NULL, "");
	/* column filters are text: "name anders" as a phrase */
	expect_names(f, f->alice, "name:anders", NULL, "");
	expect_names(f, f->alice, "{email}:a", NULL, "");
	expect_names(f, f->alice, "folder:gab", NULL, "");
	/* a word without letters or digits is left out; none at all is refused */
	expect_names(f, f->alice, "anders - * \"\" ()", NULL, "Anders Ornstein");
	expect_names(f, f->alice, "nelly \u2013", NULL, "Nelly Nearing");
	static const char *const empty[] = {"*", "\"", "\"\"", "( )", "-", "   ", "\u2013 \u2026",
					    "NEAR(* *)"};
	for (size_t i = 0; i < N_ELEMS(empty); i++) {
		if (strcmp(empty[i], "NEAR(* *)") == 0)
			continue;  /* NEAR is a word */
		call_fails(f, f->alice, "Contact/search", search_args(empty[i], 0, NULL),
			   "invalidArguments", "query");
	}
}

static void test_query_limits(void **state)
{
	fx *f = *state;
	char q[AS_SEARCH_QUERY_MAX + 2];
	memset(q, 'a', AS_SEARCH_QUERY_MAX);
	q[AS_SEARCH_QUERY_MAX] = '\0';
	json_t *r = search(f, f->alice, q, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
	json_decref(r);
	q[AS_SEARCH_QUERY_MAX] = 'a';
	q[AS_SEARCH_QUERY_MAX + 1] = '\0';
	call_fails(f, f->alice, "Contact/search", search_args(q, 0, NULL), "invalidArguments",
		   "query");
	/* characters, not bytes: 256 two-byte letters are fine */
	char *wide = at_arena_alloc(f->arena, AS_SEARCH_QUERY_MAX * 2 + 1);
	for (int i = 0; i < AS_SEARCH_QUERY_MAX; i++)
		memcpy(wide + 2 * i, "\u00fc", 2);
	r = search(f, f->alice, wide, 0, NULL);
	json_decref(r);
	r = search(f, f->alice, "a b c d e f g h", 0, NULL);
	json_decref(r);
	call_fails(f, f->alice, "Contact/search", search_args("a b c d e f g h i", 0, NULL),
		   "invalidArguments", "query");
	/* words without letters do not count */
	r = search(f, f->alice, "a b c d e f g h - * ( )", 0, NULL);
	json_decref(r);
	call_fails(f, f->alice, "Contact/search", search_args("alice\tliddell", 0, NULL),
		   "invalidArguments", "query");
	call_fails(f, f->alice, "Contact/search", search_args("", 0, NULL), "invalidArguments",
		   "query");
	call_fails(f, f->alice, "Contact/search", json_object(), "invalidArguments", NULL);
	call_fails(f, f->alice, "Contact/search",
		   json_pack("{s:s,s:b}", "query", "alice", "sort", 1), "invalidArguments", NULL);
	call_fails(f, f->alice, "Contact/search", json_pack("{s:i}", "query", 5),
		   "invalidArguments", NULL);
	call_fails(f, f->alice, "Contact/search", search_args("alice", 0, "no/such"),
		   "invalidArguments", "folderId");
}

static void test_search_other_folders(void **state)
{
	fx *f = *state;
	const char *ac = f->alice_contacts;
	json_t *r = fx_sync(f, f->alice, ac, NULL, 0, NULL,
			    json_pack("{s:[{s:s,s:{s:s,s:s}},{s:s,s:{s:s,s:s,s:b}},"
				      "{s:s,s:{s:s,s:s}}]}", "create",
				      "clientId", "c1", "fields", "firstName", "Zoe",
				      "company", "Zephyr Inc",
				      "clientId", "c2", "fields", "firstName", "Zelda",
				      "company", "Zephyr Inc", "private", 1,
				      "clientId", "c3", "fields", "firstName", "Yves",
				      "email1", "yves@zephyr.invalid"),
			    NULL);
	const char *zoe = fx_str(fx_result(r, 0), "id");
	int64_t zoe_v = fx_int(fx_result(r, 0), "version");
	const char *yves = fx_str(fx_result(r, 2), "id");
	int64_t yves_v = fx_int(fx_result(r, 2), "version");
	zoe = at_arena_strdup(f->arena, zoe);
	yves = at_arena_strdup(f->arena, yves);
	json_decref(r);
	/* her own folder: all three; the book has none of them */
	/* (an e-mail address weighs more than a company) */
	expect_names(f, f->alice, "zephyr", ac, "Yves|Zelda|Zoe");
	expect_names(f, f->alice, "zephyr inc", ac, "Zelda|Zoe");
	expect_names(f, f->alice, "zephyr", NULL, "");
	/* bob: not shared with him yet */
	call_fails(f, f->bob, "Contact/search", search_args("zephyr", 0, ac), "forbidden",
		   "folderId");
	/* reviewer: everything but alice's private item */
	r = call_ok(f, f->alice, "Folder/setPermissions",
		    json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", ac, "set", "principal",
			      "type", "user", "login", "bob", "level", "reviewer"));
	json_decref(r);
	expect_names(f, f->bob, "zephyr", ac, "Yves|Zoe");
	expect_names(f, f->bob, "zelda", ac, "");
	r = search(f, f->bob, "zephyr", 1, ac);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
	assert_true(json_is_true(json_object_get(r, "moreAvailable")));
	json_decref(r);
	/* contributors create but do not read: nothing to search */
	r = call_ok(f, f->alice, "Folder/setPermissions",
		    json_pack("{s:s,s:[{s:{s:s,s:s},s:s}]}", "folderId", ac, "set", "principal",
			      "type", "user", "login", "bob", "level", "contributor"));
	json_decref(r);
	call_fails(f, f->bob, "Contact/search", search_args("zephyr", 0, ac), "forbidden",
		   "folderId");

	/* the index follows updates and deletes */
	r = fx_sync(f, f->alice, ac, NULL, 0, NULL,
		    fx_update(zoe, zoe_v, json_pack("{s:s,s:n}", "lastName", "Quinn", "company")),
		    NULL);
	json_decref(r);
	expect_names(f, f->alice, "zephyr", ac, "Yves|Zelda");
	expect_names(f, f->alice, "quinn", ac, "Zoe");
	r = fx_sync(f, f->alice, ac, NULL, 0, NULL, fx_delete(yves, yves_v), NULL);
	json_decref(r);
	expect_names(f, f->alice, "yves", ac, "");
	expect_names(f, f->alice, "zephyr", ac, "Zelda");
	/* and folder deletes (a subfolder with a contact) */
	r = call_ok(f, f->alice, "Folder/set",
		    json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "create", "clientId", "fc", "parentId",
			      ac, "name", "Old", "module", "contacts"));
	const char *sub = at_arena_strdup(
		f->arena, fx_str(json_array_get(json_object_get(r, "results"), 0), "id"));
	json_decref(r);
	r = fx_sync(f, f->alice, sub, NULL, 0, NULL,
		    fx_create("c9", json_pack("{s:s}", "firstName", "Xavier")), NULL);
	json_decref(r);
	expect_names(f, f->alice, "xavier", sub, "Xavier");
	r = call_ok(f, f->alice, "Folder/set", json_pack("{s:[{s:s}]}", "delete", "id", sub));
	json_decref(r);
	sqlite3 *db;
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	/* every contact left is indexed once, nothing else */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM contact_fts),"
					    " (SELECT count(*) FROM search_docs),"
					    " (SELECT count(*) FROM items WHERE type = 'contact')",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), sqlite3_column_int(st, 2));
	assert_int_equal(sqlite3_column_int(st, 1), sqlite3_column_int(st, 2));
	assert_int_equal(sqlite3_column_int(st, 2), 2 + 2);  /* Zoe, Zelda; 2 entries */
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* only contacts folders */
	call_fails(f, f->alice, "Contact/search",
		   search_args("x", 0, fx_default_folder(f, f->alice, AT_MODULE_CALENDAR)),
		   "invalidArguments", "folderId");
	call_fails(f, f->alice, "Contact/search", search_args("x", 0, "0123456789abcdef01234567"),
		   "notFound", "folderId");
}

/* --- migration and the query text ------------------------------------------------------ */

static void test_migration_from_v4(void **state)
{
	fx *f = *state;
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL,
			    fx_create("c1", json_pack("{s:s,s:s}", "firstName", "Ren\u00e9e",
						      "phoneMobile", "06 12 34 56 78")),
			    NULL);
	json_decref(r);
	as_store_close(&f->store);
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, FX_UNDO_SCHEMA_V5, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_reopen(f);
	/* the book and both entries are back, new ids */
	assert_int_equal(fx_count(f, f->bob, GAB), 2);
	expect_names(f, f->bob, "liddell", NULL, "Alice Liddell");
	json_t *p = call_ok(f, f->bob, "Account/getPersonalData", json_object());
	assert_string_equal(fx_str(json_object_get(p, "fields"), "email1"), "bob@example.org");
	json_decref(p);
	/* contacts made before the index are found */
	expect_names(f, f->alice, "renee", f->alice_contacts, "Ren\u00e9e");
	expect_names(f, f->alice, "0612", f->alice_contacts, "Ren\u00e9e");
	/* bob's sync from scratch lists the book */
	r = call_ok(f, f->bob, "Folder/sync", json_object());
	assert_non_null(find_by_id(json_object_get(r, "created"), GAB));
	json_decref(r);
}

/* Distribution lists are found by name, in the book (a group's list) and
 * in a user's folder, also those stored before the index knew lists. */
static void test_search_lists(void **state)
{
	fx *f = *state;
	at_error err;
	const as_group *g;
	if (as_group_create(f->store, f->arena, "night-shift", &g, &err) < 0 ||
	    as_group_add_member(f->store, f->arena, "night-shift", "alice", &err) < 0)
		fail_msg("group: %s", err.message);
	expect_names(f, f->bob, "night", NULL, "night-shift");
	json_t *create = fx_create("l1", json_pack("{s:s}", "displayName", "Gartenfreunde"));
	json_object_set_new(json_array_get(json_object_get(create, "create"), 0), "type",
			    json_string("distributionList"));
	json_t *r = fx_sync(f, f->alice, f->alice_contacts, NULL, 0, NULL, create, NULL);
	json_decref(r);
	expect_names(f, f->alice, "garten", f->alice_contacts, "Gartenfreunde");
	/* a database of version 9 gets its lists indexed by the migration */
	as_store_close(&f->store);
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, FX_UNDO_SCHEMA_V10, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_reopen(f);
	expect_names(f, f->alice, "garten", f->alice_contacts, "Gartenfreunde");
	expect_names(f, f->bob, "night", NULL, "night-shift");
}

static void test_fts5_query_text(void **state)
{
	at_arena *a = at_arena_new(0);
	const char *words[] = {"m\u00fcller", "a\"b", "OR", "x:y*"};
	assert_string_equal(as_fts5_query(a, "gab", words, 4),
			    "folder : \"gab\""
			    " {name email company phone} : \"m\u00fcller\"*"
			    " {name email company phone} : \"a\"\"b\"*"
			    " {name email company phone} : \"OR\"*"
			    " {name email company phone} : \"x:y*\"*");
	assert_string_equal(as_fts5_query(a, "f1", NULL, 0), "folder : \"f1\"");
	const char **w;
	size_t n;
	at_error err;
	assert_int_equal(as_search_words(a, "  M\u00fcller  -  j\u00fcrgen * ", &w, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(w[0], "M\u00fcller");
	assert_string_equal(w[1], "j\u00fcrgen");
	assert_int_equal(as_search_words(a, "\u4e2d\u6587 \u00bf?", &w, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(as_search_words(a, "\u00bf? !", &w, &n, &err), -1);
	assert_string_equal(err.field, "query");
	at_arena_free(&a);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_users, fx_teardown)
		T(test_folder_for_everyone),
		T(test_entries_of_users),
		T(test_not_editable),
		T(test_personal_data),
		T(test_missing_entry_is_made),
		T(test_search_diacritics),
		T(test_search_limit),
		T(test_search_syntax_is_text),
		T(test_query_limits),
		T(test_search_other_folders),
		T(test_migration_from_v4),
		T(test_search_lists),
		cmocka_unit_test(test_fts5_query_text),
#undef T
	};
	return cmocka_run_group_tests_name("gab", tests, NULL, NULL);
}
