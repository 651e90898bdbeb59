/* test_tasks.c — the task hooks of the write path (tasks.h) through
 * as_item_sync, mail off: the next occurrence of a series comes back to the
 * writer as a server change (its own write does not) and is never made
 * twice; delegating to oneself makes no copy; a deleted copy declines and
 * a reset of the answer makes a new one; a copy whose original went with
 * its folder stays a plain task that can still be answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_fixture.h"

/* The one result of a one-change Item/sync; fails unless ok.  *answer_r
 * (may be NULL) gets the whole answer (new reference). */
static json_t *sync1(fx *f, const as_user *u, const char *folder, const char *since,
		     json_t *changes, json_t **answer_r)
{
	json_t *r = fx_sync(f, u, folder, since, 512, NULL, changes, NULL);
	json_t *res = fx_result(r, 0);
	check(strcmp(fx_str(res, "status"), "ok") == 0, "write failed: %s", json_dumps(res, 0));
	json_t *item = json_incref(json_object_get(res, "item"));
	if (answer_r != NULL)
		*answer_r = r;
	else
		json_decref(r);
	return item;
}

static json_t *fields_of(json_t *item)
{
	return json_object_get(item, "fields");
}

/* participants[0] of an item. */
static json_t *first_participant(json_t *item)
{
	return json_array_get(json_object_get(fields_of(item), "participants"), 0);
}

static const char *token_of(fx *f, const as_user *u, const char *folder)
{
	json_t *r = fx_sync(f, u, folder, NULL, 512, NULL, NULL, NULL);
	const char *t = at_arena_strdup(f->arena, fx_str(r, "newToken"));
	json_decref(r);
	return t;
}

static void test_next_comes_back_to_the_writer(void **state)
{
	fx *f = *state;
	const char *tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	json_t *item = sync1(f, f->alice, tasks, NULL,
			     fx_create("s1", json_pack("{s:s,s:s,s:s}", "subject", "Daily",
						       "due", "2026-03-02", "rrule",
						       "FREQ=DAILY")), NULL);
	const char *since = token_of(f, f->alice, tasks);
	json_t *answer;
	json_t *done = sync1(f, f->alice, tasks, since,
			     fx_update(fx_str(item, "id"), fx_int(item, "version"),
				       json_pack("{s:s}", "status", "completed")), &answer);
	assert_null(json_object_get(fields_of(done), "rrule"));
	json_t *up = json_object_get(json_object_get(answer, "changes"), "upserted");
	assert_int_equal(json_array_size(up), 1);
	json_t *next = json_array_get(up, 0);
	assert_string_not_equal(fx_str(next, "id"), fx_str(item, "id"));
	assert_string_equal(fx_str(fields_of(next), "due"), "2026-03-03");
	assert_string_equal(fx_str(fields_of(next), "rrule"), "FREQ=DAILY");
	char cid[64];
	snprintf(cid, sizeof(cid), "atrium-next:%s", fx_str(item, "id"));
	assert_string_equal(fx_str(next, "clientId"), cid);
	/* same version as the completed one: one transaction */
	assert_int_equal(fx_int(next, "version"), fx_int(done, "version"));
	/* completing it again from the old version: nothing new */
	json_decref(fx_sync(f, f->alice, tasks, NULL, 0, NULL,
			    fx_update(fx_str(item, "id"), fx_int(item, "version"),
				      json_pack("{s:i}", "percentComplete", 100)), NULL));
	assert_int_equal(fx_count(f, f->alice, tasks), 2);
	json_decref(answer);
	json_decref(done);
	json_decref(item);
}

static void test_self_assignment_makes_no_copy(void **state)
{
	fx *f = *state;
	const char *tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	json_t *item = sync1(f, f->alice, tasks, NULL,
			     fx_create("me", json_pack("{s:s,s:[{s:s,s:s}]}", "subject", "Mine",
						       "participants", "type", "user",
						       "login", "alice")), NULL);
	assert_null(json_object_get(first_participant(item), "taskId"));
	assert_int_equal(fx_count(f, f->alice, tasks), 1);
	json_decref(item);
}

static void test_declined_then_sent_again(void **state)
{
	fx *f = *state;
	const char *tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	const char *bob_tasks = fx_default_folder(f, f->bob, AT_MODULE_TASKS);
	json_t *item = sync1(f, f->alice, tasks, NULL,
			     fx_create("d1", json_pack("{s:s,s:[{s:s,s:s}]}", "subject", "Call",
						       "participants", "type", "user",
						       "login", "bob")), NULL);
	const char *copy_id = at_arena_strdup(f->arena,
					      fx_str(first_participant(item), "taskId"));
	json_t *copy = fx_get(f, f->bob, bob_tasks, copy_id);
	assert_non_null(copy);
	json_t *r = fx_sync(f, f->bob, bob_tasks, NULL, 0, NULL,
			    fx_delete(copy_id, fx_int(copy, "version")), NULL);
	assert_string_equal(fx_str(fx_result(r, 0), "status"), "ok");
	json_decref(r);
	json_decref(copy);
	/* the delegator sees the decline */
	const char *id = at_arena_strdup(f->arena, fx_str(item, "id"));
	json_decref(item);
	item = fx_get(f, f->alice, tasks, id);
	assert_non_null(item);
	json_t *p = first_participant(item);
	assert_string_equal(fx_str(p, "status"), "declined");
	assert_null(json_object_get(p, "taskId"));
	assert_int_equal(fx_count(f, f->bob, bob_tasks), 0);
	/* setting the answer back to none sends it again: a new copy */
	json_t *parts = json_deep_copy(json_object_get(fields_of(item), "participants"));
	json_object_set_new(json_array_get(parts, 0), "status", json_string("none"));
	json_t *again = sync1(f, f->alice, tasks, NULL,
			      fx_update(fx_str(item, "id"), fx_int(item, "version"),
					json_pack("{s:o}", "participants", parts)), NULL);
	const char *new_id = fx_str(first_participant(again), "taskId");
	assert_non_null(new_id);
	assert_string_not_equal(new_id, copy_id);
	assert_int_equal(fx_count(f, f->bob, bob_tasks), 1);
	json_decref(again);
	json_decref(item);
}

static void test_copy_outlives_a_deleted_folder(void **state)
{
	fx *f = *state;
	at_error err;
	json_t *res = fx_call(f, f->alice, NULL, "Folder/set",
			      json_pack("{s:[{s:s,s:n,s:s,s:s}]}", "create", "clientId", "p",
					"parentId", "name", "Projects", "module", "tasks"),
			      &err);
	assert_non_null(res);
	json_t *r0 = json_array_get(json_object_get(res, "results"), 0);
	const char *projects = at_arena_strdup(
		f->arena, fx_str(json_object_get(r0, "folder"), "id"));
	json_decref(res);
	const char *bob_tasks = fx_default_folder(f, f->bob, AT_MODULE_TASKS);
	json_t *item = sync1(f, f->alice, projects, NULL,
			     fx_create("g1", json_pack("{s:s,s:[{s:s,s:s}]}", "subject", "Gone",
						       "participants", "type", "user",
						       "login", "bob")), NULL);
	const char *copy_id = fx_str(first_participant(item), "taskId");
	res = fx_call(f, f->alice, NULL, "Folder/set",
		      json_pack("{s:[{s:s}]}", "delete", "id", projects), &err);
	assert_non_null(res);
	json_decref(res);
	json_t *copy = fx_get(f, f->bob, bob_tasks, copy_id);
	assert_non_null(copy);
	json_t *answered = sync1(f, f->bob, bob_tasks, NULL,
				 fx_update(copy_id, fx_int(copy, "version"),
					   json_pack("{s:s,s:s}", "response", "accepted",
						     "status", "inProgress")), NULL);
	assert_string_equal(fx_str(fields_of(answered), "response"), "accepted");
	assert_int_equal(fx_count(f, f->bob, bob_tasks), 1);
	json_decref(answered);
	json_decref(copy);
	json_decref(item);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_users, fx_teardown)
		T(test_next_comes_back_to_the_writer),
		T(test_self_assignment_makes_no_copy),
		T(test_declined_then_sent_again),
		T(test_copy_outlives_a_deleted_folder),
#undef T
	};
	return cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
}
