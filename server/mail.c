/* mail.c — the transactional mail outbox and its SMTP sender thread (see
 * mail.h): message building (RFC 5322 headers, RFC 2047 encoded words,
 * quoted-printable bodies, RFC 6047 calendar parts) and delivery through
 * libcurl's SMTP client. */
#include "mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "log.h"
#include "protocol.h"
#include "strbuf.h"

#define MAIL_LINE_SOFT 78          /* header lines are folded beyond this */
#define MAIL_QP_LINE 76            /* quoted-printable line length (RFC 2045) */
#define MAIL_EWORD_BYTES 45        /* bytes of text per encoded word (60 base64) */
#define MAIL_RETRY_FIRST 2         /* seconds before the first retry */
#define MAIL_RETRY_MAX 3600
#define MAIL_GIVE_UP_AGE (3 * 24 * 3600)
#define MAIL_MESSAGE_MAX (4 * 1024 * 1024)

/* Settings, written once by as_mail_configure() before any thread runs. */
static struct {
	bool on;
	char url[512];
	char user[256];
	char password[1024];
	char from[320];
} mail_conf;

static void default_from(char *buf, size_t size)
{
	char host[256];
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, size, "atrium@%s", host);
}

static int read_password(const char *path, char *buf, size_t size, at_error *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "smtp_password_file", "cannot read %s: %s", path,
				    strerror(errno));
	int rc = 0;
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && !feof(f))
		rc = at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				  "smtp_password_file", "the password in %s is too long", path);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (rc == 0 && n == 0)
		rc = at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				  "smtp_password_file", "%s holds no password", path);
	fclose(f);
	return rc;
}

int as_mail_configure(const as_config *cfg, at_error *err)
{
	memset(&mail_conf, 0, sizeof(mail_conf));
	if (cfg->mail_from[0] != '\0')
		snprintf(mail_conf.from, sizeof(mail_conf.from), "%s", cfg->mail_from);
	else
		default_from(mail_conf.from, sizeof(mail_conf.from));
	if (cfg->smtp_url[0] == '\0') {
		at_info("mail", "mail is off (no smtp_url)");
		return 0;
	}
	snprintf(mail_conf.url, sizeof(mail_conf.url), "%s", cfg->smtp_url);
	snprintf(mail_conf.user, sizeof(mail_conf.user), "%s", cfg->smtp_user);
	if (cfg->smtp_password_file[0] != '\0' &&
	    read_password(cfg->smtp_password_file, mail_conf.password, sizeof(mail_conf.password),
			  err) < 0) {
		sodium_memzero(&mail_conf, sizeof(mail_conf));
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
				    "cannot initialise libcurl");
	mail_conf.on = true;
	at_info("mail", "mail is on: %s as %s%s%s", mail_conf.url, mail_conf.from,
		mail_conf.user[0] != '\0' ? ", login " : "", mail_conf.user);
	return 0;
}

bool as_mail_enabled(void)
{
	return mail_conf.on;
}

/* --- building messages ------------------------------------------------------ */

static bool is_ascii_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 127)
			return false;
	return true;
}

/* Header values: no C0 control characters except tab, no DEL. */
static int check_header_value(const char *v, size_t max, const char *field, at_error *err)
{
	size_t n = strlen(v);
	if (n > max)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
				    "%s is longer than %zu bytes", field, max);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, field,
					    "%s must not contain line breaks or control characters",
					    field);
	}
	return 0;
}

/* A plain ASCII addr-spec: local@domain without spaces, brackets, quotes or
 * controls. */
static int check_address(const char *v, const char *field, at_error *err)
{
	if (check_header_value(v, 320, field, err) < 0)
		return -1;
	const char *at = strrchr(v, '@');
	bool ok = at != NULL && at != v && at[1] != '\0';
	for (const char *p = v; ok && *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127 ||
		    strchr("<>()[]\\,;:\"", *p) != NULL)
			ok = false;
	if (!ok)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
				    "%s is not a mail address (local@domain)", field);
	return 0;
}

/* Length of the UTF-8 sequence starting with byte c (1 for stray bytes). */
static size_t utf8_seq_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Appends RFC 2047 "B" encoded words for s, each at most 75 characters and
 * never splitting a UTF-8 character, separated by folding (CRLF SP).
 * *col is the current line's length, updated. */
static void put_encoded_words(at_buf *b, const char *s, size_t *col)
{
	size_t n = strlen(s), i = 0;
	bool first = true;
	while (i < n || first) {
		/* the first word fits the rest of the line (headers names are
		 * short: there is room for a few characters at least), the next
		 * ones a line of their own */
		size_t max = MAIL_EWORD_BYTES;
		if (first && *col + 12 + 8 <= MAIL_LINE_SOFT &&
		    (MAIL_LINE_SOFT - *col - 12) / 4 * 3 < max)
			max = (MAIL_LINE_SOFT - *col - 12) / 4 * 3;
		size_t take = 0;
		while (i + take < n) {
			size_t l = utf8_seq_len((unsigned char)s[i + take]);
			if (i + take + l > n)
				l = n - i - take;
			if (take + l > max && take > 0)
				break;
			take += l;
		}
		char b64[sodium_base64_ENCODED_LEN(MAIL_EWORD_BYTES,
						   sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + i, take,
				  sodium_base64_VARIANT_ORIGINAL);
		size_t wlen = strlen(b64) + 12;
		if (!first) {
			at_buf_puts(b, "\r\n ");
			*col = 1;
		}
		at_buf_printf(b, "=?UTF-8?B?%s?=", b64);
		*col += wlen;
		i += take;
		first = false;
	}
}

/* Appends plain ASCII text folded at spaces beyond MAIL_LINE_SOFT. */
static void put_folded(at_buf *b, const char *s, size_t *col)
{
	const char *p = s;
	while (*p != '\0') {
		/* a word: leading blanks and the non-blanks after them */
		const char *q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		while (*q != '\0' && *q != ' ' && *q != '\t')
			q++;
		size_t len = (size_t)(q - p);
		if (*col + len > MAIL_LINE_SOFT && (*p == ' ' || *p == '\t') && *col > 10) {
			at_buf_puts(b, "\r\n");
			*col = 0;
		}
		at_buf_append(b, p, len);
		*col += len;
		p = q;
	}
}

/* A phrase (display name or subject): RFC 2047 when it is not plain ASCII
 * or could be mistaken for encoded words; quoted: as a quoted-string. */
static void put_phrase(at_buf *b, const char *s, bool quoted, size_t *col)
{
	if (!is_ascii_text(s) || strstr(s, "=?") != NULL) {
		put_encoded_words(b, s, col);
		return;
	}
	if (!quoted) {
		put_folded(b, s, col);
		return;
	}
	at_buf_putc(b, '"');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			at_buf_putc(b, '\\');
		at_buf_putc(b, *p);
	}
	at_buf_putc(b, '"');
	*col += strlen(s) + 2;
}

/* Quoted-printable (RFC 2045 §6.7) of text with its line breaks (LF, CRLF
 * or CR) made CRLF: lines of at most 76 characters with soft breaks,
 * trailing blanks encoded, and a '.' or "From " starting a line encoded
 * so that no transport alters it. */
static void put_qp(at_buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\r' || c == '\n') {
			if (c == '\r' && p[1] == '\n')
				p++;
			at_buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		bool at_eol = p[1] == '\0' || p[1] == '\r' || p[1] == '\n';
		bool literal = (c >= 33 && c <= 126 && c != '=') ||
			       ((c == ' ' || c == '\t') && !at_eol);
		if (col == 0 && (c == '.' || (c == 'F' && strncmp(p, "From ", 5) == 0)))
			literal = false;
		size_t w = literal ? 1 : 3;
		/* room for the token and, unless the line ends after it, a '=' */
		if (col + w > MAIL_QP_LINE - (at_eol ? 0 : 1)) {
			at_buf_puts(b, "=\r\n");
			col = 0;
			if (c == '.' || (c == 'F' && strncmp(p, "From ", 5) == 0))
				literal = false, w = 3;
		}
		if (literal) {
			at_buf_putc(b, (char)c);
		} else {
			char enc[3] = {'=', hex[c >> 4], hex[c & 15]};
			at_buf_append(b, enc, 3);
		}
		col += w;
	}
	if (b->len < 2 || memcmp(b->data + b->len - 2, "\r\n", 2) != 0)
		at_buf_puts(b, "\r\n");
}

static void put_date(at_buf *b, int64_t date)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)date;
	struct tm tm;
	gmtime_r(&t, &tm);
	at_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
		      tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		      tm.tm_sec);
}

int as_mail_format(const as_mail_msg *m, const char *from, int64_t date, char **msg_r,
		   size_t *len_r, at_error *err)
{
	at_buf b;
	int rc = -1;
	at_buf_init(&b, MAIL_MESSAGE_MAX);
	*msg_r = NULL;
	*len_r = 0;
	const char *subject = m->subject != NULL ? m->subject : "";
	if (m->to == NULL) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "to",
			     "a message needs a recipient");
		goto done;
	}
	if (check_address(m->to, "to", err) < 0 ||
	    check_address(from, "from", err) < 0 ||
	    (m->to_name != NULL && check_header_value(m->to_name, 256, "toName", err) < 0) ||
	    check_header_value(subject, AS_MAIL_SUBJECT_MAX, "subject", err) < 0)
		goto done;
	const char *text = m->text != NULL ? m->text : "";
	if (strlen(text) > AS_MAIL_TEXT_MAX) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "text",
			     "the text of a message is limited to %d bytes", AS_MAIL_TEXT_MAX);
		goto done;
	}
	const char *method = m->ical_method != NULL ? m->ical_method : "PUBLISH";
	if (m->ical != NULL) {
		if (strlen(m->ical) > AS_MAIL_ICAL_MAX) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "ical",
				     "the calendar part is limited to %d bytes", AS_MAIL_ICAL_MAX);
			goto done;
		}
		bool ok = *method != '\0' && strlen(method) <= 32;
		for (const char *p = method; ok && *p != '\0'; p++)
			ok = (*p >= 'A' && *p <= 'Z') || *p == '-';
		if (!ok) {
			at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				     "icalMethod", "icalMethod must be an iTIP method such as "
				     "REQUEST, REPLY or CANCEL");
			goto done;
		}
	}

	char id[33];
	at_random_hex(id, 16);
	const char *domain = strrchr(from, '@') + 1;
	size_t col;
	at_buf_printf(&b, "From: Atrium <%s>\r\n", from);
	at_buf_puts(&b, "To: ");
	col = 4;
	if (m->to_name != NULL && m->to_name[0] != '\0') {
		put_phrase(&b, m->to_name, true, &col);
		if (col + strlen(m->to) + 3 > MAIL_LINE_SOFT) {
			at_buf_puts(&b, "\r\n");
			col = 0;
		}
		at_buf_printf(&b, " <%s>\r\n", m->to);
	} else {
		at_buf_printf(&b, "%s\r\n", m->to);
	}
	at_buf_puts(&b, "Subject: ");
	col = 9;
	put_phrase(&b, subject, false, &col);
	at_buf_puts(&b, "\r\n");
	put_date(&b, date);
	at_buf_printf(&b, "Message-ID: <%s@%s>\r\n", id, domain);
	at_buf_puts(&b, "MIME-Version: 1.0\r\n");
	if (m->ical == NULL) {
		at_buf_puts(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
				"Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		put_qp(&b, text);
	} else {
		/* "=_" never occurs in quoted-printable text: a safe boundary */
		at_buf_printf(&b, "Content-Type: multipart/alternative; boundary=\"=_%s\"\r\n\r\n"
				  "This is a message in MIME format.\r\n\r\n", id);
		at_buf_printf(&b, "--=_%s\r\n"
				  "Content-Type: text/plain; charset=UTF-8\r\n"
				  "Content-Transfer-Encoding: quoted-printable\r\n\r\n", id);
		put_qp(&b, text);
		at_buf_printf(&b, "--=_%s\r\n"
				  "Content-Type: text/calendar; method=%s; charset=UTF-8\r\n"
				  "Content-Transfer-Encoding: quoted-printable\r\n\r\n", id, method);
		put_qp(&b, m->ical);
		at_buf_printf(&b, "--=_%s--\r\n", id);
	}
	if (b.overflow) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "text",
			     "the message is longer than %d bytes", MAIL_MESSAGE_MAX);
		goto done;
	}
	*msg_r = at_buf_detach(&b, len_r);
	rc = 0;
done:
	at_buf_free(&b);
	return rc;
}

int as_mail_enqueue(as_store *s, const as_mail_msg *m, at_error *err)
{
	char *msg = NULL;
	size_t len;
	int64_t id;
	const char *from = mail_conf.from;
	char fallback[320];
	if (from[0] == '\0') {
		default_from(fallback, sizeof(fallback));
		from = fallback;
	}
	at_error_clear(err);
	if (as_mail_format(m, from, (int64_t)time(NULL), &msg, &len, err) < 0)
		return -1;
	int rc = 0;
	if (mail_conf.on) {
		rc = s->ops->mail_enqueue(s, m->to, msg, len, (int64_t)time(NULL), &id, err);
		if (rc == 0)
			at_debug("mail", "queued mail %lld to %s", (long long)id, m->to);
	}
	free(msg);
	return rc;
}

/* --- the sender thread ------------------------------------------------------ */

struct as_mail_sender {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, poked;
	as_store *store;
};

static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
static as_mail_sender *running;

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t upload_read(char *buf, size_t size, size_t nitems, void *p)
{
	struct upload *u = p;
	size_t n = size * nitems;
	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return n;
}

static bool sender_stopping(as_mail_sender *m);

/* libcurl's progress callback: a shutdown aborts the exchange (the
 * message stays queued and is tried again after the next start). */
static int deliver_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			    curl_off_t ulnow)
{
	return sender_stopping(p) ? 1 : 0;
}

/* One delivery attempt.  Returns 0 when accepted; else *permanent_r tells
 * whether the SMTP server refused for good (5xx), and why in why (size n). */
static int deliver(as_mail_sender *m, const as_mail_row *row, bool *permanent_r, char *why,
		   size_t n)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char from[340], rcpt[340];
	struct upload up = {row->message, row->len, 0};
	struct curl_slist *rcpts = NULL;
	int rc = -1;
	*permanent_r = false;
	CURL *c = curl_easy_init();
	if (c == NULL) {
		snprintf(why, n, "cannot create a libcurl handle");
		return -1;
	}
	snprintf(from, sizeof(from), "<%s>", mail_conf.from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", row->rcpt);
	rcpts = curl_slist_append(NULL, rcpt);
	curl_easy_setopt(c, CURLOPT_URL, mail_conf.url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, deliver_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, m);
	if (mail_conf.user[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, mail_conf.user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, mail_conf.password);
	}
	CURLcode res = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (res == CURLE_OK) {
		rc = 0;
	} else if (res == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(why, n, "interrupted by the server's shutdown");
	} else {
		*permanent_r = code >= 500 && code <= 599;
		if (code > 0)
			snprintf(why, n, "SMTP %ld: %s", code, errbuf[0] ? errbuf : curl_easy_strerror(res));
		else
			snprintf(why, n, "%s", errbuf[0] ? errbuf : curl_easy_strerror(res));
	}
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	return rc;
}

static bool sender_stopping(as_mail_sender *m)
{
	pthread_mutex_lock(&m->lock);
	bool stop = m->stop;
	pthread_mutex_unlock(&m->lock);
	return stop;
}

/* Delivers every due message, one at a time, until none is due. */
static void deliver_due(as_mail_sender *m, at_arena *a)
{
	as_store *s = m->store;
	at_error err;
	while (!sender_stopping(m)) {
		as_mail_row row;
		bool found = false;
		at_arena_reset(a);
		at_error_clear(&err);
		int64_t now = (int64_t)time(NULL);
		if (s->ops->begin(s, false, &err) < 0 ||
		    s->ops->mail_next_due(s, now, a, &row, &found, &err) < 0) {
			s->ops->rollback(s);
			at_warn("mail", "cannot read the mail queue: %s", err.message);
			return;
		}
		s->ops->rollback(s);
		if (!found)
			return;
		char why[CURL_ERROR_SIZE + 64] = "";
		bool permanent = false;
		int ok = deliver(m, &row, &permanent, why, sizeof(why));
		now = (int64_t)time(NULL);
		int64_t retry_at = 0;
		if (ok < 0 && !permanent && now - row.created < MAIL_GIVE_UP_AGE) {
			int64_t delay = MAIL_RETRY_FIRST;
			for (int i = 0; i < row.attempts && delay < MAIL_RETRY_MAX; i++)
				delay *= 2;
			if (delay > MAIL_RETRY_MAX)
				delay = MAIL_RETRY_MAX;
			retry_at = now + delay;
		}
		if (s->ops->begin(s, true, &err) < 0 ||
		    (ok == 0 ? s->ops->mail_mark_sent(s, row.id, now, &err)
			     : s->ops->mail_mark_failed(s, row.id, retry_at, why, &err)) < 0 ||
		    s->ops->commit(s, &err) < 0) {
			s->ops->rollback(s);
			at_warn("mail", "cannot update mail %lld in the queue: %s",
				(long long)row.id, err.message);
			return;
		}
		if (ok == 0)
			at_info("mail", "mail %lld sent to %s", (long long)row.id, row.rcpt);
		else if (retry_at > 0)
			at_warn("mail", "mail %lld to %s not sent (attempt %d): %s; retrying in %llds",
				(long long)row.id, row.rcpt, row.attempts + 1, why,
				(long long)(retry_at - now));
		else
			at_warn("mail", "mail %lld to %s given up after %d attempts: %s",
				(long long)row.id, row.rcpt, row.attempts + 1, why);
	}
}

static void *sender_main(void *p)
{
	as_mail_sender *m = p;
	at_arena *a = at_arena_new(0);
	for (;;) {
		deliver_due(m, a);
		pthread_mutex_lock(&m->lock);
		if (!m->stop && !m->poked) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&m->cond, &m->lock, &ts);
		}
		m->poked = false;
		bool stop = m->stop;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			break;
	}
	at_arena_free(&a);
	return NULL;
}

as_mail_sender *as_mail_start(const char *data_dir, at_error *err)
{
	as_mail_sender *m = calloc(1, sizeof(*m));
	if (m == NULL)
		abort();
	if ((m->store = as_store_open_sqlite(data_dir, err)) == NULL) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	if (pthread_create(&m->thread, NULL, sender_main, m) != 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "cannot start the mail sender thread");
		as_store_close(&m->store);
		pthread_cond_destroy(&m->cond);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	pthread_mutex_lock(&running_lock);
	running = m;
	pthread_mutex_unlock(&running_lock);
	return m;
}

void as_mail_poke(as_mail_sender *m)
{
	pthread_mutex_lock(&running_lock);
	if (m == NULL)
		m = running;
	if (m != NULL) {
		pthread_mutex_lock(&m->lock);
		m->poked = true;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_unlock(&running_lock);
}

void as_mail_stop(as_mail_sender **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	as_mail_sender *m = *mp;
	pthread_mutex_lock(&running_lock);
	if (running == m)
		running = NULL;
	pthread_mutex_unlock(&running_lock);
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	as_store_close(&m->store);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
	*mp = NULL;
}

int as_mail_purge(as_store *s, int64_t before, int64_t *purged_r, at_error *err)
{
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->mail_purge(s, before, purged_r, err) < 0 || s->ops->commit(s, err) < 0) {
		s->ops->rollback(s);
		return -1;
	}
	return 0;
}
