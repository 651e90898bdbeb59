/* reminders.h — task reminder mail and overdue notices.
 *
 * A thread of atriumd (its own store connection) looks at the task alarms
 * of the store (store.h: task_alarms_due) once at start and then every
 * `reminder_interval` seconds, with "now" from as_clock_now() (clock.h).
 * For every open task whose `reminder` has come it mails a reminder
 * ("Reminder: SUBJECT"), and for every open task whose `due` has passed an
 * overdue notice ("Overdue: SUBJECT") — each once per task and value: a
 * reminder moved to a new time is sent again when that time comes, a
 * restart repeats nothing, and alarms that fell while the server was down
 * are sent at start.  Floating times and dates are read in UTC; a due date
 * is overdue from the end of that day.
 *
 * The recipient is the owner of the folder holding the task (for a public
 * folder: the task's creator), at the e-mail address of their account.
 * An alarm whose recipient has no address (or no longer exists) is logged
 * and counted as dealt with.  The mail is queued (mail.h) and the alarm
 * recorded in one write transaction, so a crash neither repeats nor loses
 * one.
 *
 * With mail off (no smtp_url) nothing is looked at: alarms stay pending
 * and are sent once mail is turned on (so turning mail on late sends the
 * reminders and notices of every open task whose time has passed).
 *
 * Ownership: the thread object belongs to the caller of
 * as_reminders_start() and is freed by as_reminders_stop(). */
#ifndef AS_REMINDERS_H
#define AS_REMINDERS_H

#include <stdint.h>

#include "error.h"
#include "mail.h"
#include "store.h"

/* At most this many alarms are handled by one scan; the rest wait for the
 * next (a scan that reaches it starts the next one at once). */
#define AS_REMINDERS_SCAN_MAX 500

/* One scan at `now` on store s (outside any transaction): queues the mail
 * of every alarm due and records it, one write transaction per alarm.
 * *queued_r (may be NULL) gets the number of messages queued, *handled_r
 * (may be NULL) the number of alarms dealt with (queued or skipped).
 * Does nothing when mail is off. */
int as_reminders_scan(as_store *s, int64_t now, unsigned *queued_r, unsigned *handled_r,
		      at_error *err);

/* The thread: scans at start and every interval seconds (>= 1), pokes
 * sender (may be NULL) after a scan that queued mail.  Opens its own store
 * in data_dir. */
typedef struct as_reminders as_reminders;
as_reminders *as_reminders_start(const char *data_dir, unsigned interval,
				 as_mail_sender *sender, at_error *err);
/* Wakes the thread, waits for it to finish its current alarm, frees it;
 * accepts NULL. */
void as_reminders_stop(as_reminders **r);

#endif
