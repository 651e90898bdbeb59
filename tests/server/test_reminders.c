/* test_reminders.c — task alarms: the store's index of task items (reminder
 * and overdue times from the wire DATETIMEs, open or completed, kept in
 * step by item writes, deletions, folder deletions and the v6 migration)
 * and the reminder scan (one mail per task and value, to the right
 * person, nothing while mail is off). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_fixture.h"

#include "clock.h"
#include "config.h"
#include "mail.h"
#include "reminders.h"

#define OPS(f) ((f)->store->ops)

/* 2026-03-01T09:00:00Z and friends */
#define T_0301_0900 1772355600LL
#define T_0303_1700 1772557200LL
#define T_0304_0000 1772582400LL
#define DAY 86400LL

static void ok(int rc, const at_error *err, const char *what)
{
	if (rc < 0)
		fail_msg("%s: %s: %s", what, err->code, err->message);
}

static void begin(fx *f, bool write)
{
	at_error err;
	ok(OPS(f)->begin(f->store, write, &err), &err, "begin");
}

static void commit(fx *f)
{
	at_error err;
	ok(OPS(f)->commit(f->store, &err), &err, "commit");
}

/* Writes a task (fields: a JSON text) in its own transaction. */
static void put_task(fx *f, const char *id, const char *folder, const char *user,
		     const char *fields, bool insert)
{
	at_error err;
	json_error_t jerr;
	as_item it = {.id = id, .folder_id = folder, .type = "task", .created_by = user,
		      .fields = json_loads(fields, 0, &jerr), .field_versions = json_object()};
	check(it.fields != NULL, "bad JSON: %s", jerr.text);
	begin(f, true);
	ok(OPS(f)->item_put(f->store, &it, insert, &err), &err, "item_put");
	commit(f);
	as_item_clear(&it);
}

struct alarms {
	size_t n;
	char list[32][64];   /* "ITEM kind AT" */
};

static int on_alarm(void *ctx, const char *item_id, const char *kind, int64_t at)
{
	struct alarms *al = ctx;
	if (al->n >= 32)
		return -1;
	snprintf(al->list[al->n++], 64, "%s %s %lld", item_id, kind, (long long)at);
	return 0;
}

/* The alarms due at now, joined by ", ". */
static char *due(fx *f, int64_t now)
{
	static char out[2048];
	struct alarms al = {0};
	at_error err;
	begin(f, false);
	ok(OPS(f)->task_alarms_due(f->store, now, on_alarm, &al, &err), &err, "alarms");
	OPS(f)->rollback(f->store);
	out[0] = '\0';
	for (size_t i = 0; i < al.n; i++) {
		if (i > 0)
			strcat(out, ", ");
		strcat(out, al.list[i]);
	}
	return out;
}

static void mark(fx *f, const char *id, const char *kind, int64_t at)
{
	at_error err;
	begin(f, true);
	ok(OPS(f)->alarm_mark_sent(f->store, id, kind, at, &err), &err, "mark");
	commit(f);
}

static int64_t count_rows(fx *f, const char *sql)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* --- the index -------------------------------------------------------------- */

static void test_alarm_times(void **state)
{
	fx *f = *state;
	const char *tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	const char *u = f->alice->id;
	/* a: UTC reminder, due DATE: overdue from the end of that day */
	put_task(f, "a", tasks, u, "{\"subject\":\"A\",\"reminder\":\"2026-03-01T09:00:00Z\","
		 "\"due\":\"2026-03-03\",\"status\":\"inProgress\"}", true);
	/* b: floating reminder (read in UTC), due instant */
	put_task(f, "b", tasks, u, "{\"subject\":\"B\",\"reminder\":\"2026-03-01T09:00:00\","
		 "\"due\":\"2026-03-03T17:00:00Z\"}", true);
	/* c: completed; d: neither reminder nor due; e: a date reminder */
	put_task(f, "c", tasks, u, "{\"subject\":\"C\",\"reminder\":\"2026-03-01T09:00:00Z\","
		 "\"due\":\"2026-03-03\",\"status\":\"completed\",\"percentComplete\":100}", true);
	put_task(f, "d", tasks, u, "{\"subject\":\"D\",\"notes\":\"n\"}", true);
	put_task(f, "e", tasks, u, "{\"subject\":\"E\",\"reminder\":\"2026-03-02\"}", true);

	long long r = T_0301_0900, e = T_0301_0900 - 9 * 3600 + DAY;
	char want[512];
	assert_string_equal(due(f, r - 1), "");
	snprintf(want, sizeof(want), "a reminder %lld, b reminder %lld", r, r);
	assert_string_equal(due(f, r), want);
	snprintf(want, sizeof(want), "a reminder %lld, b reminder %lld, e reminder %lld", r, r, e);
	assert_string_equal(due(f, T_0303_1700 - 1), want);
	snprintf(want, sizeof(want), "a reminder %lld, b reminder %lld, e reminder %lld,"
		 " b overdue %lld", r, r, e, T_0303_1700);
	assert_string_equal(due(f, T_0303_1700), want);
	/* the due date is overdue only when that day is over */
	assert_string_equal(due(f, T_0304_0000 - 1), want);
	snprintf(want, sizeof(want), "a reminder %lld, b reminder %lld, e reminder %lld,"
		 " b overdue %lld, a overdue %lld", r, r, e, T_0303_1700, T_0304_0000);
	assert_string_equal(due(f, T_0304_0000), want);
	/* c (completed) and d (no times) never come */
	assert_null(strstr(due(f, T_0304_0000 + 365 * DAY), "c "));
	assert_null(strstr(due(f, T_0304_0000 + 365 * DAY), "d "));
}

static void test_index_follows_writes(void **state)
{
	fx *f = *state;
	const char *tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	const char *u = f->alice->id;
	put_task(f, "a", tasks, u, "{\"subject\":\"A\",\"reminder\":\"2026-03-01T09:00:00Z\"}",
		 true);
	char want[256];
	snprintf(want, sizeof(want), "a reminder %lld", T_0301_0900);
	assert_string_equal(due(f, T_0301_0900 + 10), want);
	/* dealt with: not due again for that value */
	mark(f, "a", AS_ALARM_REMINDER, T_0301_0900);
	mark(f, "a", AS_ALARM_REMINDER, T_0301_0900);   /* idempotent */
	assert_string_equal(due(f, T_0301_0900 + 10), "");
	/* moved to a new time: due again once that comes */
	put_task(f, "a", tasks, u, "{\"subject\":\"A\",\"reminder\":\"2026-03-02T09:00:00Z\"}",
		 false);
	assert_string_equal(due(f, T_0301_0900 + DAY - 1), "");
	snprintf(want, sizeof(want), "a reminder %lld", T_0301_0900 + DAY);
	assert_string_equal(due(f, T_0301_0900 + DAY), want);
	/* completed: nothing; reopened: due again */
	put_task(f, "a", tasks, u, "{\"subject\":\"A\",\"reminder\":\"2026-03-02T09:00:00Z\","
		 "\"status\":\"completed\"}", false);
	assert_string_equal(due(f, T_0301_0900 + 5 * DAY), "");
	put_task(f, "a", tasks, u, "{\"subject\":\"A\",\"reminder\":\"2026-03-02T09:00:00Z\","
		 "\"status\":\"waiting\"}", false);
	assert_string_equal(due(f, T_0301_0900 + 5 * DAY), want);
	/* the reminder removed: nothing */
	put_task(f, "a", tasks, u, "{\"subject\":\"A\"}", false);
	assert_string_equal(due(f, T_0301_0900 + 5 * DAY), "");
	assert_int_equal(count_rows(f, "SELECT count(*) FROM task_alarms"), 1);
	/* contacts are not indexed */
	at_error err;
	as_item c = {.id = "k", .folder_id = f->alice_contacts, .type = "contact",
		     .created_by = u, .fields = json_pack("{s:s}", "firstName", "K"),
		     .field_versions = json_object()};
	begin(f, true);
	ok(OPS(f)->item_put(f->store, &c, true, &err), &err, "contact");
	commit(f);
	as_item_clear(&c);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM task_alarms"), 1);

	/* deleting the task drops its alarms and their records */
	put_task(f, "a", tasks, u, "{\"subject\":\"A\",\"reminder\":\"2026-03-01T09:00:00Z\"}",
		 false);
	mark(f, "a", AS_ALARM_REMINDER, T_0301_0900);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM alarms_sent"), 1);
	begin(f, true);
	ok(OPS(f)->item_delete(f->store, "a", tasks, &err), &err, "delete");
	commit(f);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM task_alarms"), 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM alarms_sent"), 0);

	/* deleting a folder drops the alarms of its tasks */
	as_folder fo = {.id = "f2", .owner_id = u, .name = "Projects",
			.module = AT_MODULE_TASKS, .type = AT_FOLDER_PRIVATE};
	begin(f, true);
	ok(OPS(f)->folder_add(f->store, &fo, &err), &err, "folder_add");
	commit(f);
	put_task(f, "p", "f2", u, "{\"subject\":\"P\",\"due\":\"2026-03-03\"}", true);
	put_task(f, "q", tasks, u, "{\"subject\":\"Q\",\"due\":\"2026-03-03\"}", true);
	snprintf(want, sizeof(want), "p overdue %lld, q overdue %lld", T_0304_0000, T_0304_0000);
	assert_string_equal(due(f, T_0304_0000), want);
	begin(f, true);
	ok(OPS(f)->folder_delete(f->store, "f2", &err), &err, "folder_delete");
	commit(f);
	snprintf(want, sizeof(want), "q overdue %lld", T_0304_0000);
	assert_string_equal(due(f, T_0304_0000), want);
	/* a move to another folder follows */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM task_alarms WHERE folder_id = 'f2'"),
			 0);
}

/* A v5 database with tasks in it: the migration indexes them. */
static void test_migration_indexes_tasks(void **state)
{
	fx *f = *state;
	const char *tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	put_task(f, "old1", tasks, f->alice->id,
		 "{\"subject\":\"Old\",\"reminder\":\"2026-03-01T09:00:00Z\",\"due\":\"2026-03-03\"}",
		 true);
	put_task(f, "old2", tasks, f->alice->id,
		 "{\"subject\":\"Done\",\"due\":\"2026-03-03\",\"status\":\"completed\"}", true);
	as_store_close(&f->store);
	char path[512];
	snprintf(path, sizeof(path), "%s/atrium.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, FX_UNDO_SCHEMA_V6, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx_reopen(f);
	assert_int_equal(count_rows(f, "PRAGMA user_version"), 12);
	char want[256];
	snprintf(want, sizeof(want), "old1 reminder %lld, old1 overdue %lld", T_0301_0900,
		 T_0304_0000);
	assert_string_equal(due(f, T_0304_0000), want);
	assert_int_equal(count_rows(f, "SELECT open FROM task_alarms WHERE item_id = 'old2'"), 0);
	/* and the triggers are back */
	put_task(f, "new", tasks, f->alice->id, "{\"subject\":\"N\",\"due\":\"2026-03-02\"}", true);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM task_alarms"), 3);
}

/* --- the scan ------------------------------------------------------------- */

static void mail_on(bool on)
{
	as_config c;
	as_config_defaults(&c);
	if (on)
		snprintf(c.smtp_url, sizeof(c.smtp_url), "smtp://127.0.0.1:1");
	snprintf(c.mail_from, sizeof(c.mail_from), "atrium@example.org");
	at_error err;
	ok(as_mail_configure(&c, &err), &err, "as_mail_configure");
}

static void scan(fx *f, int64_t now, unsigned want_queued, unsigned want_handled)
{
	unsigned queued = 99, handled = 99;
	at_error err;
	at_error_clear(&err);
	ok(as_reminders_scan(f->store, now, &queued, &handled, &err), &err, "scan");
	check(queued == want_queued && handled == want_handled,
	      "scan at %lld: %u queued, %u handled; expected %u, %u", (long long)now, queued,
	      handled, want_queued, want_handled);
}

struct sent {
	int n;
	char rcpt[8][128];
	char *msg[8];
};

/* Takes every queued message off the queue. */
static void take(fx *f, struct sent *s)
{
	at_error err;
	at_arena *a = at_arena_new(0);
	s->n = 0;
	begin(f, true);
	for (;;) {
		bool found;
		as_mail_row row;
		ok(OPS(f)->mail_next_due(f->store, INT64_MAX / 2, a, &row, &found, &err), &err,
		   "next");
		if (!found)
			break;
		assert_true(s->n < 8);
		snprintf(s->rcpt[s->n], sizeof(s->rcpt[0]), "%s", row.rcpt);
		s->msg[s->n] = strdup(row.message);
		s->n++;
		ok(OPS(f)->mail_mark_sent(f->store, row.id, 1, &err), &err, "sent");
	}
	commit(f);
	at_arena_free(&a);
}

static void sent_free(struct sent *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->msg[i]);
	s->n = 0;
}

static void test_scan_mails_once(void **state)
{
	fx *f = *state;
	const char *tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	struct sent s;
	put_task(f, "t1", tasks, f->alice->id,
		 "{\"subject\":\"Pay rent\",\"reminder\":\"2026-03-01T09:00:00Z\","
		 "\"due\":\"2026-03-03\",\"status\":\"inProgress\",\"percentComplete\":40,"
		 "\"notes\":\"Bank transfer to the landlord\"}", true);
	put_task(f, "t2", tasks, f->alice->id,
		 "{\"subject\":\"Done already\",\"reminder\":\"2026-03-01T09:00:00Z\","
		 "\"status\":\"completed\"}", true);

	/* mail off: nothing looked at, nothing recorded */
	mail_on(false);
	scan(f, T_0304_0000, 0, 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM alarms_sent"), 0);

	mail_on(true);
	scan(f, T_0301_0900 - 1, 0, 0);
	scan(f, T_0301_0900, 1, 1);
	take(f, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.rcpt[0], "alice@example.org");
	assert_non_null(strstr(s.msg[0], "\r\nSubject: Reminder: Pay rent\r\n"));
	assert_non_null(strstr(s.msg[0], "\r\nTo: \"Alice Liddell\" <alice@example.org>\r\n"));
	assert_non_null(strstr(s.msg[0], "Folder:      Tasks"));
	assert_non_null(strstr(s.msg[0], "Due:         2026-03-03"));
	assert_non_null(strstr(s.msg[0], "Status:      In progress"));
	if (strstr(s.msg[0], "\r\n% complete:  40%\r\n") == NULL)
		fail_msg("no %% complete in:\n%s", s.msg[0]);
	assert_non_null(strstr(s.msg[0], "Bank transfer to the landlord"));
	sent_free(&s);
	/* once: a second scan, even after a reopen, sends nothing */
	scan(f, T_0301_0900 + 60, 0, 0);
	fx_reopen(f);
	scan(f, T_0303_1700, 0, 0);
	/* overdue from the end of the due day, once */
	scan(f, T_0304_0000, 1, 1);
	take(f, &s);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.msg[0], "\r\nSubject: Overdue: Pay rent\r\n"));
	assert_non_null(strstr(s.msg[0], "is overdue: it was due 2026-03-03"));
	sent_free(&s);
	scan(f, T_0304_0000 + DAY, 0, 0);
	/* a new reminder time: once more */
	put_task(f, "t1", tasks, f->alice->id,
		 "{\"subject\":\"Pay rent\",\"reminder\":\"2026-03-05T09:00:00Z\","
		 "\"due\":\"2026-03-03\"}", false);
	scan(f, T_0301_0900 + 4 * DAY - 1, 0, 0);
	scan(f, T_0301_0900 + 4 * DAY, 1, 1);
	scan(f, T_0301_0900 + 4 * DAY, 0, 0);
	take(f, &s);
	assert_int_equal(s.n, 1);
	sent_free(&s);
	mail_on(false);
}

static void test_scan_recipients(void **state)
{
	fx *f = *state;
	at_error err;
	struct sent s;
	mail_on(true);
	/* a public folder: the creator is told */
	as_folder pub = {.id = "pub", .name = "Team tasks", .module = AT_MODULE_TASKS,
			 .type = AT_FOLDER_PUBLIC};
	/* a user without an address */
	as_user nomail = {.id = "u-nomail", .login = "carol", .name = "Carol", .email = "",
			  .pw_hash = "$argon2id$fake", .created = 1};
	as_folder carols = {.id = "cf", .owner_id = "u-nomail", .name = "Tasks",
			    .module = AT_MODULE_TASKS, .type = AT_FOLDER_PRIVATE, .is_default = true};
	begin(f, true);
	ok(OPS(f)->folder_add(f->store, &pub, &err), &err, "public folder");
	ok(OPS(f)->user_add(f->store, &nomail, &err), &err, "user");
	ok(OPS(f)->folder_add(f->store, &carols, &err), &err, "carol's folder");
	commit(f);
	put_task(f, "pt", "pub", f->bob->id,
		 "{\"subject\":\"Team review\",\"reminder\":\"2026-03-01T09:00:00Z\"}", true);
	put_task(f, "ct", "cf", "u-nomail",
		 "{\"subject\":\"Nobody hears\",\"reminder\":\"2026-03-01T09:00:00Z\"}", true);
	/* bob's task in alice's folder (shared): alice, the owner, is told */
	const char *alice_tasks = fx_default_folder(f, f->alice, AT_MODULE_TASKS);
	put_task(f, "st", alice_tasks, f->bob->id,
		 "{\"subject\":\"Für Alice\",\"reminder\":\"2026-03-01T08:00:00Z\"}", true);
	scan(f, T_0301_0900, 2, 3);
	take(f, &s);
	assert_int_equal(s.n, 2);
	/* oldest alarm first */
	assert_string_equal(s.rcpt[0], "alice@example.org");
	assert_non_null(strstr(s.msg[0], "Subject: =?UTF-8?B?"));
	assert_string_equal(s.rcpt[1], "bob@example.org");
	assert_non_null(strstr(s.msg[1], "Subject: Reminder: Team review"));
	assert_non_null(strstr(s.msg[1], "Folder:      Team tasks"));
	sent_free(&s);
	/* carol's was dealt with (logged), not repeated */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM alarms_sent WHERE item_id = 'ct'"),
			 1);
	scan(f, T_0301_0900 + DAY, 0, 0);
	mail_on(false);
}

/* --- the clock ------------------------------------------------------------------ */

static void test_clock_file(void **state)
{
	fx *f = *state;
	int64_t sys = (int64_t)time(NULL);
	as_clock_set_file(NULL);
	check(as_clock_now() - sys < 5, "system clock");
	const char *path = fx_write_file(f, "clock", "1767225600\n");
	as_clock_set_file(path);
	assert_int_equal(as_clock_now(), 1767225600);
	/* read again at every call */
	fx_write_file(f, "clock", "2026-03-01T09:00:00Z");
	assert_int_equal(as_clock_now(), T_0301_0900);
	fx_write_file(f, "clock", "  2026-03-04T00:00:00Z \r\n");
	assert_int_equal(as_clock_now(), T_0304_0000);
	/* anything else: the system clock */
	static const char *const bad[] = {"", "soon", "2026-03-01", "2026-03-01T09:00:00",
					  "2026-13-01T09:00:00Z", "12abc", "2026-03-01T09:00:00+01:00"};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		fx_write_file(f, "clock", bad[i]);
		int64_t now = as_clock_now();
		check(now - (int64_t)time(NULL) < 5 && (int64_t)time(NULL) - now < 5,
		      "\"%s\" gave %lld", bad[i], (long long)now);
	}
	char *missing = at_arena_printf(f->arena, "%s/no-clock", f->dir);
	as_clock_set_file(missing);
	check(as_clock_now() - (int64_t)time(NULL) < 5, "missing file");
	as_clock_set_file("");
	check(as_clock_now() - (int64_t)time(NULL) < 5, "no file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alarm_times, fx_setup_users, fx_teardown),
		cmocka_unit_test_setup_teardown(test_index_follows_writes, fx_setup_users,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_migration_indexes_tasks, fx_setup_users,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_scan_mails_once, fx_setup_users, fx_teardown),
		cmocka_unit_test_setup_teardown(test_scan_recipients, fx_setup_users, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clock_file, fx_setup_empty, fx_teardown),
	};
	return cmocka_run_group_tests_name("reminders", tests, NULL, NULL);
}
