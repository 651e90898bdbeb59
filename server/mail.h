/* mail.h — outgoing mail: notices of delegated tasks and their answers,
 * task reminders and overdue notices (and invitations, later), through an
 * SMTP submission server configured in atriumd.
 *
 * Mail is a transactional outbox.  as_mail_enqueue() writes the message
 * into the store's mail queue inside the caller's write transaction, so a
 * message exists exactly when the change that caused it was committed; a
 * sender thread (its own store connection) delivers queued messages with
 * libcurl's SMTP client (smtp:// or smtps://, STARTTLS when the server
 * offers it, AUTH when a user is configured) and marks each one sent.
 * Delivery is retried with back-off on temporary failures (connection
 * refused, 4xx) and given up on permanent ones (5xx), each logged with the
 * queue id.  A crash between the server's acceptance and the mark can send
 * a message twice; nothing is ever lost.
 *
 * Without `smtp_url` configured, mail is off: as_mail_enqueue() stores
 * nothing and returns 0, and the server logs once at start that mail is
 * off.  Everything that would have mailed works the same otherwise.
 *
 * Messages are RFC 5322 text/plain UTF-8 (quoted-printable), or
 * multipart/alternative with a text/calendar part (RFC 6047) when `ical`
 * is given.  Headers are built here; callers give plain strings (no line
 * breaks in to, to_name or subject: they are refused with invalidArguments).
 *
 * Ownership: arguments are borrowed for the call. */
#ifndef AS_MAIL_H
#define AS_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "store.h"

typedef struct as_mail_msg {
	const char *to;          /* addr-spec */
	const char *to_name;     /* display name, may be NULL */
	const char *subject;
	const char *text;        /* the plain-text body */
	const char *ical;        /* a text/calendar body, or NULL */
	const char *ical_method; /* its METHOD (REQUEST, CANCEL, REPLY) */
} as_mail_msg;

/* Reads the mail settings of the configuration (smtp_url, smtp_user,
 * smtp_password_file, mail_from) once at start; logs "mail is off" when
 * there is no smtp_url. */
int as_mail_configure(const as_config *cfg, at_error *err);
bool as_mail_enabled(void);

/* Queues one message in the caller's write transaction (no-op when mail is
 * off).  The message is built (and checked: invalidArguments naming the
 * field) whether mail is on or off, so callers see the same errors. */
int as_mail_enqueue(as_store *s, const as_mail_msg *m, at_error *err);

/* Limits of a message (bytes). */
#define AS_MAIL_SUBJECT_MAX 900
#define AS_MAIL_TEXT_MAX (1024 * 1024)
#define AS_MAIL_ICAL_MAX (1024 * 1024)

/* Builds the message as_mail_enqueue() queues: RFC 5322 headers (From:
 * "Atrium <from>", To with the display name, Subject, Date of `date` (UTC
 * seconds), Message-ID, MIME-Version; display name and subject as RFC 2047
 * encoded words when they are not plain ASCII, long headers folded) and a
 * quoted-printable UTF-8 body, or multipart/alternative with text/plain and
 * text/calendar; method=M; charset=UTF-8 (RFC 6047) when m->ical is set.
 * Lines end in CRLF.  *msg_r is a NUL-terminated heap string the caller
 * frees; *len_r its length.  Refuses (invalidArguments, field "to",
 * "toName", "subject", "ical" or "icalMethod") line breaks and control
 * characters in header values, a `to` that is not a plain ASCII addr-spec,
 * and values over the limits. */
int as_mail_format(const as_mail_msg *m, const char *from, int64_t date, char **msg_r,
		   size_t *len_r, at_error *err);

/* The sender thread (opens its own store in data_dir); as_mail_stop()
 * wakes it, waits for it and frees it.  as_mail_poke() makes it look at
 * the queue now (called after a commit that queued mail; m NULL: the
 * sender that is running, if any).  Without a poke it looks every second.
 * Retries wait 2, 4, 8 ... seconds (at most an hour) by the system clock;
 * a message still undelivered three days after it was queued is given
 * up. */
typedef struct as_mail_sender as_mail_sender;
as_mail_sender *as_mail_start(const char *data_dir, at_error *err);
void as_mail_poke(as_mail_sender *m);
void as_mail_stop(as_mail_sender **m);

/* Forgets, in its own write transaction, the messages sent before
 * `before` (UTC seconds) and those given up that were queued before it
 * (the serve loop's hourly housekeeping, with the tombstone retention).
 * *purged_r (may be NULL) gets their number. */
int as_mail_purge(as_store *s, int64_t before, int64_t *purged_r, at_error *err);

#endif
