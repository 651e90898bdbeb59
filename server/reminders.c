/* reminders.c — task reminder mail and overdue notices (see reminders.h). */
#include "reminders.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "clock.h"
#include "log.h"
#include "strbuf.h"

#define NOTES_EXCERPT_MAX 500     /* bytes of the notes quoted in a mail */

typedef bool stop_fn(void *ctx);

/* The first alarm task_alarms_due reports. */
struct alarm {
	at_arena *a;
	const char *item_id;
	const char *kind;
	int64_t at;
	bool found;
};

static int first_alarm(void *ctx, const char *item_id, const char *kind, int64_t at)
{
	struct alarm *al = ctx;
	al->item_id = at_arena_strdup(al->a, item_id);
	al->kind = at_arena_strdup(al->a, kind);
	al->at = at;
	al->found = true;
	return 1;
}

static const char *field_str(json_t *fields, const char *name)
{
	const char *v = json_string_value(json_object_get(fields, name));
	return v != NULL ? v : "";
}

/* A wire DATETIME for people: "2026-01-05", "2026-01-05 09:00 UTC" or,
 * floating, "2026-01-05 09:00". */
static const char *human_time(at_arena *a, const char *v)
{
	size_t n = strlen(v);
	if (n == 20 && v[19] == 'Z')
		return at_arena_printf(a, "%.10s %.5s UTC", v, v + 11);
	if (n == 19)
		return at_arena_printf(a, "%.10s %.5s", v, v + 11);
	return v;
}

static const char *status_name(const char *status)
{
	static const struct { const char *wire, *name; } names[] = {
		{"notStarted", "Not started"}, {"inProgress", "In progress"},
		{"completed", "Completed"}, {"waiting", "Waiting on someone else"},
		{"deferred", "Deferred"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(status, names[i].wire) == 0)
			return names[i].name;
	return "Not started";
}

/* The text of a reminder or overdue notice. */
static char *alarm_text(at_arena *a, const struct alarm *al, const as_item *it,
			const as_folder *folder, const char *subject)
{
	at_buf b;
	at_buf_init(&b, 0);
	json_t *f = it->fields;
	const char *due = field_str(f, "due"), *start = field_str(f, "start");
	const char *reminder = field_str(f, "reminder");
	if (strcmp(al->kind, AS_ALARM_OVERDUE) == 0)
		at_buf_printf(&b, "Your task \"%s\" is overdue: it was due %s and is not "
				  "completed.\n\n", subject, human_time(a, due));
	else
		at_buf_printf(&b, "Reminder of your task \"%s\".\n\n", subject);
	at_buf_printf(&b, "Task:        %s\n", subject);
	at_buf_printf(&b, "Folder:      %s\n", folder->name);
	if (*start != '\0')
		at_buf_printf(&b, "Start:       %s\n", human_time(a, start));
	at_buf_printf(&b, "Due:         %s\n", *due != '\0' ? human_time(a, due) : "none");
	if (*reminder != '\0' && strcmp(al->kind, AS_ALARM_REMINDER) == 0)
		at_buf_printf(&b, "Reminder:    %s\n", human_time(a, reminder));
	at_buf_printf(&b, "Status:      %s\n", status_name(field_str(f, "status")));
	json_t *pc = json_object_get(f, "percentComplete");
	at_buf_printf(&b, "%% complete:  %lld%%\n",
		      json_is_integer(pc) ? (long long)json_integer_value(pc) : 0LL);
	const char *notes = field_str(f, "notes");
	if (*notes != '\0') {
		size_t n = strlen(notes);
		bool cut = n > NOTES_EXCERPT_MAX;
		if (cut) {
			n = NOTES_EXCERPT_MAX;
			/* not inside a UTF-8 character */
			while (n > 0 && ((unsigned char)notes[n] & 0xc0) == 0x80)
				n--;
		}
		at_buf_puts(&b, "\nNotes:\n");
		at_buf_append(&b, notes, n);
		at_buf_puts(&b, cut ? " …\n" : "\n");
	}
	at_buf_puts(&b, "\n-- \nSent by Atrium.\n");
	char *text = at_arena_strdup(a, b.data != NULL ? b.data : "");
	at_buf_free(&b);
	return text;
}

/* Queues the mail of one alarm, in the caller's write transaction.  An
 * alarm that cannot be mailed (task or recipient gone, no address, an
 * address mail cannot use) is logged and skipped: *queued_r false.
 * -1 only when the store fails. */
static int alarm_mail(as_store *s, at_arena *a, const struct alarm *al, bool *queued_r,
		      at_error *err)
{
	as_item it = {0};
	as_folder folder;
	as_user u;
	bool found = false;
	int rc = -1;
	*queued_r = false;
	if (s->ops->item_get(s, al->item_id, a, &it, &found, err) < 0)
		goto done;
	if (!found) {
		rc = 0;
		goto done;
	}
	if (s->ops->folder_get(s, it.folder_id, a, &folder, &found, err) < 0)
		goto done;
	if (!found) {
		rc = 0;
		goto done;
	}
	const char *user_id = folder.type == AT_FOLDER_PUBLIC || folder.owner_id == NULL
			      ? it.created_by : folder.owner_id;
	if (s->ops->user_get_by_id(s, user_id, a, &u, &found, err) < 0)
		goto done;
	if (!found || u.email == NULL || u.email[0] == '\0') {
		at_info("reminders", "%s of task %s not mailed: %s", al->kind, al->item_id,
			found ? "the recipient has no e-mail address" : "no recipient");
		rc = 0;
		goto done;
	}
	const char *subject = field_str(it.fields, "subject");
	if (*subject == '\0')
		subject = "(no subject)";
	bool overdue = strcmp(al->kind, AS_ALARM_OVERDUE) == 0;
	as_mail_msg m = {
		.to = u.email,
		.to_name = u.name,
		.subject = at_arena_printf(a, "%s: %s", overdue ? "Overdue" : "Reminder", subject),
		.text = alarm_text(a, al, &it, &folder, subject),
	};
	at_error merr;
	at_error_clear(&merr);
	if (as_mail_enqueue(s, &m, &merr) < 0) {
		if (strcmp(merr.code, AT_E_INVALID_ARGUMENTS) != 0) {
			at_error_copy(err, &merr);
			goto done;
		}
		at_warn("reminders", "%s of task %s for %s not mailed: %s", al->kind, al->item_id,
			u.login, merr.message);
		rc = 0;
		goto done;
	}
	*queued_r = true;
	at_info("reminders", "%s of task %s (%lld) queued for %s <%s>", al->kind, al->item_id,
		(long long)al->at, u.login, u.email);
	rc = 0;
done:
	as_item_clear(&it);
	return rc;
}

static int scan(as_store *s, int64_t now, stop_fn *stop, void *stop_ctx, unsigned *queued_r,
		unsigned *handled_r, at_error *err)
{
	unsigned queued = 0, handled = 0;
	int rc = -1;
	at_arena *a = at_arena_new(0);
	if (!as_mail_enabled()) {
		rc = 0;
		goto done;
	}
	/* usually nothing is due: find that out without the write lock */
	struct alarm peek = {.a = a};
	if (s->ops->begin(s, false, err) < 0)
		goto done;
	if (s->ops->task_alarms_due(s, now, first_alarm, &peek, err) < 0)
		goto fail;
	s->ops->rollback(s);
	if (!peek.found) {
		rc = 0;
		goto done;
	}
	while (handled < AS_REMINDERS_SCAN_MAX && (stop == NULL || !stop(stop_ctx))) {
		at_arena_reset(a);
		struct alarm al = {.a = a};
		bool q = false;
		/* the alarm is looked up again in the write transaction that
		 * records it: a task completed or changed meanwhile is seen */
		if (s->ops->begin(s, true, err) < 0)
			goto done;
		if (s->ops->task_alarms_due(s, now, first_alarm, &al, err) < 0)
			goto fail;
		if (!al.found) {
			s->ops->rollback(s);
			break;
		}
		if (alarm_mail(s, a, &al, &q, err) < 0 ||
		    s->ops->alarm_mark_sent(s, al.item_id, al.kind, al.at, err) < 0 ||
		    s->ops->commit(s, err) < 0)
			goto fail;
		handled++;
		queued += q;
	}
	rc = 0;
	goto done;
fail:
	s->ops->rollback(s);
done:
	if (queued_r != NULL)
		*queued_r = queued;
	if (handled_r != NULL)
		*handled_r = handled;
	at_arena_free(&a);
	return rc;
}

int as_reminders_scan(as_store *s, int64_t now, unsigned *queued_r, unsigned *handled_r,
		      at_error *err)
{
	return scan(s, now, NULL, NULL, queued_r, handled_r, err);
}

/* --- the thread ------------------------------------------------------------- */

struct as_reminders {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	unsigned interval;
	as_store *store;
	as_mail_sender *sender;
};

static bool stopping(void *p)
{
	as_reminders *r = p;
	pthread_mutex_lock(&r->lock);
	bool stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return stop;
}

static void *reminders_main(void *p)
{
	as_reminders *r = p;
	for (;;) {
		unsigned queued = 0, handled = 0;
		at_error err;
		at_error_clear(&err);
		int64_t now = as_clock_now();
		if (scan(r->store, now, stopping, r, &queued, &handled, &err) < 0)
			at_warn("reminders", "reminder scan failed: %s", err.message);
		if (queued > 0)
			as_mail_poke(r->sender);
		if (handled > 0)
			at_debug("reminders", "scan at %lld: %u alarms, %u mails queued",
				 (long long)now, handled, queued);
		pthread_mutex_lock(&r->lock);
		/* a full scan leaves more to do: go on at once */
		if (!r->stop && handled < AS_REMINDERS_SCAN_MAX) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += r->interval;
			while (!r->stop && pthread_cond_timedwait(&r->cond, &r->lock, &ts) == 0)
				;
		}
		bool stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			break;
	}
	return NULL;
}

as_reminders *as_reminders_start(const char *data_dir, unsigned interval,
				 as_mail_sender *sender, at_error *err)
{
	as_reminders *r = calloc(1, sizeof(*r));
	if (r == NULL)
		abort();
	r->interval = interval > 0 ? interval : 1;
	r->sender = sender;
	if ((r->store = as_store_open_sqlite(data_dir, err)) == NULL) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (pthread_create(&r->thread, NULL, reminders_main, r) != 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "cannot start the reminder thread");
		as_store_close(&r->store);
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	at_info("reminders", "task reminders: every %u s", r->interval);
	return r;
}

void as_reminders_stop(as_reminders **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	as_reminders *r = *rp;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	as_store_close(&r->store);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*rp = NULL;
}
