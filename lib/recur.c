/* recur.c — see recur.h. */
#include "recur.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#define FIELD "rrule"
#define DAY 86400LL

/* ---- civil calendar ----------------------------------------------------- */

/* Days from 1970-01-01; proleptic Gregorian, eras of 400 years. */
int64_t at_recur_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t mp = (m + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void at_recur_civil_from_days(int64_t z, int *y_r, int *m_r, int *d_r)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(yoe + era * 400 + (m <= 2));
	*m_r = m;
	*d_r = d;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

int64_t at_recur_wall_secs(const at_recur_time *t)
{
	return at_recur_days_from_civil(t->year, t->month, t->day) * DAY +
	       t->hour * 3600 + t->minute * 60 + t->second;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

at_recur_time at_recur_from_wall(int64_t w, bool is_date, const char *tzid)
{
	at_recur_time t = {0};
	int64_t days = floor_div(w, DAY), rem = w - days * DAY;
	at_recur_civil_from_days(days, &t.year, &t.month, &t.day);
	t.is_date = is_date;
	if (!is_date) {
		t.hour = (int)(rem / 3600);
		t.minute = (int)(rem / 60 % 60);
		t.second = (int)(rem % 60);
		t.tzid = tzid;
	}
	return t;
}

int at_recur_time_cmp(const at_recur_time *a, const at_recur_time *b)
{
	int64_t wa = at_recur_wall_secs(a), wb = at_recur_wall_secs(b);
	if (wa != wb)
		return wa < wb ? -1 : 1;
	if (a->is_date != b->is_date)
		return a->is_date ? -1 : 1;
	return 0;
}

void at_recur_time_format(const at_recur_time *t, char buf[17])
{
	unsigned y = t->year < 0 ? 0 : t->year > 9999 ? 9999 : (unsigned)t->year;
	unsigned mo = (unsigned)t->month % 100, d = (unsigned)t->day % 100;
	unsigned h = (unsigned)t->hour % 100, mi = (unsigned)t->minute % 100;
	unsigned s = (unsigned)t->second % 100;
	if (t->is_date)
		snprintf(buf, 17, "%04u%02u%02u", y, mo, d);
	else
		snprintf(buf, 17, "%04u%02u%02uT%02u%02u%02u%s", y, mo, d, h, mi, s,
			 t->tzid != NULL && strcmp(t->tzid, "UTC") == 0 ? "Z" : "");
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int at_recur_time_parse(const char *s, at_recur_time *t_r)
{
	at_recur_time t = {0};
	size_t n = strlen(s);
	if ((n != 8 && n != 15 && n != 16) || !digits(s, 8))
		return -1;
	t.year = num(s, 4);
	t.month = num(s + 4, 2);
	t.day = num(s + 6, 2);
	if (n == 8) {
		t.is_date = true;
	} else {
		if (s[8] != 'T' || !digits(s + 9, 6) || (n == 16 && s[15] != 'Z'))
			return -1;
		t.hour = num(s + 9, 2);
		t.minute = num(s + 11, 2);
		t.second = num(s + 13, 2);
		if (n == 16)
			t.tzid = "UTC";
	}
	if (t.month < 1 || t.month > 12 || t.day < 1 || t.year < 1 ||
	    t.day > month_days(t.year, t.month) || t.hour > 23 || t.minute > 59 ||
	    t.second > 60)
		return -1;
	*t_r = t;
	return 0;
}


static int scrub(at_error *err, int rc)
{
	if (err != NULL)
		at_error_scrub(err);
	return rc;
}

/* ---- libical setup and zones ------------------------------------------- */

static pthread_once_t ical_once = PTHREAD_ONCE_INIT;

static void ical_init(void)
{
	/* Never abort the process on a libical error. */
	icalerror_set_errors_are_fatal(0);
}

static bool is_utc_name(const char *tzid)
{
	return strcmp(tzid, "UTC") == 0 || strcmp(tzid, "Etc/UTC") == 0 ||
	       strcmp(tzid, "GMT") == 0 || strcmp(tzid, "Etc/GMT") == 0 ||
	       strcmp(tzid, "Z") == 0;
}

/* libical 3.0 loads an unknown name as a path under /usr/share/zoneinfo,
 * so only names shaped like IANA zones are ever handed to it. */
static bool zone_name_ok(const char *tzid)
{
	size_t n = strlen(tzid);
	if (n == 0 || n > 64 || tzid[0] == '/' || tzid[n - 1] == '/' ||
	    strstr(tzid, "..") != NULL || strstr(tzid, "//") != NULL)
		return false;
	if (!isalpha((unsigned char)tzid[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tzid[i];
		if (!isalnum(c) && c != '/' && c != '_' && c != '-' && c != '+')
			return false;
	}
	return true;
}

/* NULL for floating and for unknown zones (check with at_recur_zone_known). */
static icaltimezone *zone_get(const char *tzid)
{
	pthread_once(&ical_once, ical_init);
	if (tzid == NULL)
		return NULL;
	if (is_utc_name(tzid))
		return icaltimezone_get_utc_timezone();
	if (!zone_name_ok(tzid))
		return NULL;
	return icaltimezone_get_builtin_timezone(tzid);
}

bool at_recur_zone_known(const char *tzid)
{
	return tzid != NULL && zone_get(tzid) != NULL;
}

/* Offset (seconds east of UTC) in effect at a UTC instant. */
static int offset_at(icaltimezone *zone, int64_t utc)
{
	if (zone == NULL || zone == icaltimezone_get_utc_timezone())
		return 0;
	struct icaltimetype tt = icaltime_null_time();
	int64_t days = floor_div(utc, DAY), rem = utc - days * DAY;
	at_recur_civil_from_days(days, &tt.year, &tt.month, &tt.day);
	if (tt.year < 1 || tt.year > 9999)
		return 0;
	tt.hour = (int)(rem / 3600);
	tt.minute = (int)(rem / 60 % 60);
	tt.second = (int)(rem % 60);
	tt.zone = icaltimezone_get_utc_timezone();
	int is_daylight = 0;
	return icaltimezone_get_utc_offset_of_utc_time(zone, &tt, &is_daylight);
}

/* RFC 5545 §3.3.5: a wall time in a gap takes the offset from before the
 * gap; one that occurs twice is the first. */
static int64_t wall_to_utc(icaltimezone *zone, int64_t w)
{
	if (zone == NULL)
		return w;
	int early = offset_at(zone, w - DAY), late = offset_at(zone, w + DAY);
	int64_t u1 = w - early, u2 = w - late;
	bool ok1 = offset_at(zone, u1) == early, ok2 = offset_at(zone, u2) == late;
	if (ok1 && ok2)
		return u1 < u2 ? u1 : u2;
	if (ok2)
		return u2;
	return u1;
}

static int64_t utc_to_wall(icaltimezone *zone, int64_t u)
{
	return u + offset_at(zone, u);
}

int at_recur_time_check(const at_recur_time *t, const char *field, at_error *err)
{
	char buf[17];
	if (t->year < 1 || t->year > 9999 || t->month < 1 || t->month > 12 ||
	    t->day < 1 || t->day > month_days(t->year, t->month) ||
	    (!t->is_date && (t->hour < 0 || t->hour > 23 || t->minute < 0 ||
			     t->minute > 59 || t->second < 0 || t->second > 59)) ||
	    (t->is_date && (t->hour != 0 || t->minute != 0 || t->second != 0))) {
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    field, "%s: %04d-%02d-%02d %02d:%02d:%02d is not a valid %s",
				    field, t->year, t->month, t->day, t->hour, t->minute,
				    t->second, t->is_date ? "date" : "date and time");
	}
	if (t->tzid != NULL && t->is_date) {
		at_recur_time_format(t, buf);
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    field, "%s: the date %s cannot have a time zone", field, buf);
	}
	if (t->tzid != NULL && !at_recur_zone_known(t->tzid))
		return scrub(err, at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					       AT_RETRY_FINAL, field,
					       "%s: unknown time zone \"%.64s\"", field, t->tzid));
	return 0;
}

int at_recur_to_utc(const at_recur_time *t, const char *floating_zone,
		    int64_t *utc_r, at_error *err)
{
	if (at_recur_time_check(t, "time", err) < 0)
		return -1;
	const char *tzid = t->tzid != NULL ? t->tzid : floating_zone;
	icaltimezone *zone = zone_get(tzid);
	if (tzid != NULL && zone == NULL)
		return scrub(err, at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					       AT_RETRY_FINAL, "timeZone",
					       "unknown time zone \"%.64s\"", tzid));
	*utc_r = wall_to_utc(zone, at_recur_wall_secs(t));
	return 0;
}

int at_recur_from_utc(int64_t utc, const char *tzid, at_recur_time *t_r, at_error *err)
{
	icaltimezone *zone = zone_get(tzid);
	if (tzid != NULL && zone == NULL)
		return scrub(err, at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					       AT_RETRY_FINAL, "timeZone",
					       "unknown time zone \"%.64s\"", tzid));
	if (utc < -62135596800LL || utc > 253402300799LL)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "time", "instant out of the years 1 to 9999");
	*t_r = at_recur_from_wall(utc_to_wall(zone, utc), false, tzid);
	return 0;
}

/* ---- rule syntax -------------------------------------------------------- */

enum { P_SECOND, P_MINUTE, P_HOUR, P_DAY, P_MONTHDAY, P_YEARDAY, P_WEEKNO,
       P_MONTH, P_SETPOS, P_COUNT_BY };

static const struct by_def {
	const char *name;
	int lo, hi;         /* value range (negative allowed when lo < 0) */
	unsigned max_items; /* what libical's arrays hold */
} by_defs[P_COUNT_BY] = {
	[P_SECOND] = {"BYSECOND", 0, 60, ICAL_BY_SECOND_SIZE - 1},
	[P_MINUTE] = {"BYMINUTE", 0, 59, ICAL_BY_MINUTE_SIZE - 1},
	[P_HOUR] = {"BYHOUR", 0, 23, ICAL_BY_HOUR_SIZE - 1},
	[P_DAY] = {"BYDAY", 0, 0, ICAL_BY_YEARDAY_SIZE - 1},
	[P_MONTHDAY] = {"BYMONTHDAY", -31, 31, ICAL_BY_MONTHDAY_SIZE - 1},
	[P_YEARDAY] = {"BYYEARDAY", -366, 366, ICAL_BY_YEARDAY_SIZE - 1},
	[P_WEEKNO] = {"BYWEEKNO", -53, 53, ICAL_BY_WEEKNO_SIZE - 2},
	[P_MONTH] = {"BYMONTH", 1, 12, ICAL_BY_MONTH_SIZE - 2},
	[P_SETPOS] = {"BYSETPOS", -366, 366, ICAL_BY_SETPOS_SIZE - 1},
};

static const char *const freq_names[] = {
	"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
};
static const char *const wday_names[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};

#define MAX_BY_VALUES 400

/* A rule as written, checked part by part. */
typedef struct rule {
	int freq;               /* index into freq_names */
	long count;             /* 0 = none */
	int interval;
	bool has_until;
	at_recur_time until;
	int wkst;               /* 0 = SU .. 6 = SA; 1 (MO) by default */
	int n[P_COUNT_BY];
	short v[P_COUNT_BY][MAX_BY_VALUES]; /* BYDAY: ordinal * 8 + weekday */
	char libical[AT_RECUR_MAX_RULE_LEN + 1]; /* what is handed to libical */
} rule;

static int rule_err(at_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int rule_err(at_error *err, const char *fmt, ...)
{
	char msg[AT_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return scrub(err, at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				       FIELD, "rrule: %s", msg));
}

static int parse_int(const char *s, size_t n, long lo, long hi, long *v_r)
{
	size_t i = 0;
	bool neg = false;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n || n - i > 9 || !digits(s + i, n - i))
		return -1;
	long v = 0;
	for (; i < n; i++)
		v = v * 10 + (s[i] - '0');
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return -1;
	*v_r = v;
	return 0;
}

static int wday_parse(const char *s, size_t n)
{
	if (n != 2)
		return -1;
	for (int i = 0; i < 7; i++)
		if (strncasecmp(s, wday_names[i], 2) == 0)
			return i;
	return -1;
}

static int parse_by(rule *r, int which, const char *val, size_t len, bool rscale,
		    at_error *err)
{
	const struct by_def *d = &by_defs[which];
	const char *p = val, *end = val + len;
	if (len == 0)
		return rule_err(err, "%s has no value", d->name);
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = (size_t)((comma ? comma : end) - p);
		long v;
		short code;
		/* Spaces around values are not RFC 5545, but Exchange writes
		 * "BYDAY=MO, TU". */
		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (which == P_MONTH && rscale) {
			/* RFC 7529: months up to 13, "5L" for a leap month */
			bool leap = n > 1 && (p[n - 1] == 'L' || p[n - 1] == 'l');
			if (parse_int(p, leap ? n - 1 : n, 1, 13, &v) < 0)
				return rule_err(err, "BYMONTH value \"%.*s\" is out of range "
						"(1..13, optionally with L)", (int)(n > 40 ? 40 : n), p);
			code = (short)(leap ? v + 100 : v);
		} else if (which == P_DAY) {
			int wd = n >= 2 ? wday_parse(p + n - 2, 2) : -1;
			long ord = 0;
			if (wd < 0 || (n > 2 && (parse_int(p, n - 2, -53, 53, &ord) < 0 || ord == 0)))
				return rule_err(err, "BYDAY value \"%.*s\" is not a weekday "
						"(SU..SA, optionally with an ordinal -53..53)",
						(int)(n > 40 ? 40 : n), p);
			code = (short)(ord * 8 + (ord < 0 ? -wd : wd));
		} else {
			if (parse_int(p, n, d->lo, d->hi, &v) < 0 || (d->lo < 0 && v == 0))
				return rule_err(err, "%s value \"%.*s\" is out of range (%s%d..%d)",
						d->name, (int)(n > 40 ? 40 : n), p,
						d->lo < 0 ? "+/-1.." : "", d->lo < 0 ? -d->lo : d->lo,
						d->hi);
			code = (short)v;
		}
		bool dup = false;
		for (int i = 0; i < r->n[which]; i++)
			dup |= r->v[which][i] == code;
		if (!dup) {
			if ((unsigned)r->n[which] >= d->max_items)
				return rule_err(err, "%s has more than %u values", d->name,
						d->max_items);
			r->v[which][r->n[which]++] = code;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

static void append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len >= size - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Rebuilds the rule for libical: duplicates dropped, x-name parts left out
 * (libical refuses them; they carry no recurrence meaning). */
static void rule_to_libical(rule *r, const char *rscale, const char *skip)
{
	char *b = r->libical;
	size_t sz = sizeof(r->libical);
	b[0] = '\0';
	if (rscale != NULL)
		append(b, sz, "RSCALE=%s;", rscale);
	append(b, sz, "FREQ=%s", freq_names[r->freq]);
	if (r->has_until) {
		char t[17];
		at_recur_time_format(&r->until, t);
		append(b, sz, ";UNTIL=%s", t);
	}
	if (r->count)
		append(b, sz, ";COUNT=%ld", r->count);
	if (r->interval != 1)
		append(b, sz, ";INTERVAL=%d", r->interval);
	for (int w = 0; w < P_COUNT_BY; w++) {
		if (r->n[w] == 0)
			continue;
		append(b, sz, ";%s=", by_defs[w].name);
		for (int i = 0; i < r->n[w]; i++) {
			short c = r->v[w][i];
			if (w == P_DAY) {
				int ord = c / 8, wd = c % 8;
				if (wd < 0)
					wd = -wd;
				if (ord)
					append(b, sz, "%s%d%s", i ? "," : "", ord, wday_names[wd]);
				else
					append(b, sz, "%s%s", i ? "," : "", wday_names[wd]);
			} else if (w == P_MONTH && c > 100) {
				append(b, sz, "%s%dL", i ? "," : "", c - 100);
			} else {
				append(b, sz, "%s%d", i ? "," : "", c);
			}
		}
	}
	if (r->wkst != 1)
		append(b, sz, ";WKST=%s", wday_names[r->wkst]);
	if (skip != NULL)
		append(b, sz, ";SKIP=%s", skip);
}

static bool matches_date(const rule *r, int y, int m, int d, int yday, int wday);

/* Is there any date at all that the date-level parts allow?  Checked over
 * the 14 kinds of year (leap or not, 7 first weekdays).  Conservative: BYDAY
 * ordinals count as their weekday, BYWEEKNO is left to the iteration. */
static bool some_date_matches(const rule *r)
{
	static const int years[14] = {2017, 2018, 2019, 2014, 2015, 2021, 2022,
				      2024, 2008, 2020, 2032, 2016, 2028, 2012};
	for (int k = 0; k < 14; k++) {
		int y = years[k], yday = 0;
		for (int m = 1; m <= 12; m++)
			for (int d = 1; d <= month_days(y, m); d++) {
				yday++;
				int64_t days = at_recur_days_from_civil(y, m, d);
				int wday = (int)((days % 7 + 7 + 4) % 7); /* 1970-01-01: TH */
				if (matches_date(r, y, m, d, yday, wday))
					return true;
			}
	}
	return false;
}

static bool in_list(const rule *r, int which, int v)
{
	for (int i = 0; i < r->n[which]; i++)
		if (r->v[which][i] == v)
			return true;
	return false;
}

static bool matches_date(const rule *r, int y, int m, int d, int yday, int wday)
{
	int ylen = is_leap(y) ? 366 : 365, mlen = month_days(y, m);
	if (r->n[P_MONTH] && !in_list(r, P_MONTH, m))
		return false;
	if (r->n[P_MONTHDAY] && !in_list(r, P_MONTHDAY, d) &&
	    !in_list(r, P_MONTHDAY, d - mlen - 1))
		return false;
	if (r->n[P_YEARDAY] && !in_list(r, P_YEARDAY, yday) &&
	    !in_list(r, P_YEARDAY, yday - ylen - 1))
		return false;
	if (r->n[P_DAY]) {
		bool any = false;
		for (int i = 0; i < r->n[P_DAY] && !any; i++) {
			int wd = r->v[P_DAY][i] % 8;
			any = (wd < 0 ? -wd : wd) == wday;
		}
		if (!any)
			return false;
	}
	return true;
}

static void describe_date_parts(const rule *r, char *buf, size_t size)
{
	static const int parts[] = {P_MONTH, P_WEEKNO, P_YEARDAY, P_MONTHDAY, P_DAY};
	buf[0] = '\0';
	/* From the normalized text, keep only the date-level parts. */
	const char *p = r->libical;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			const char *name = by_defs[parts[i]].name;
			size_t nl = strlen(name);
			if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
				append(buf, size, "%s%.*s", buf[0] ? ";" : "", (int)n, p);
				break;
			}
		}
		p += n;
		if (*p == ';')
			p++;
	}
}

static int rule_parse(const char *text, rule *r, at_error *err)
{
	memset(r, 0, sizeof(*r));
	r->freq = -1;
	r->interval = 1;
	r->wkst = 1;
	if (text == NULL || text[0] == '\0')
		return rule_err(err, "the rule is empty");
	size_t len = strlen(text);
	if (len > AT_RECUR_MAX_RULE_LEN)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, FIELD,
				    "rrule: longer than %d characters (limit maxRuleLength)",
				    AT_RECUR_MAX_RULE_LEN);
	char rscale[32] = "", skip[16] = "";
	bool has_rscale = false;
	for (const char *q = text; (q = strcasestr(q, "RSCALE=")) != NULL; q++)
		if (q == text || q[-1] == ';')
			has_rscale = true;
	unsigned seen = 0; /* bit per named part, to refuse repeats */
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t n = (size_t)((semi ? semi : end) - p);
		if (n == 0) {
			if (semi != NULL && semi + 1 == end)
				break; /* one trailing ';' */
			return rule_err(err, "empty rule part");
		}
		const char *eq = memchr(p, '=', n);
		if (eq == NULL)
			return rule_err(err, "rule part \"%.*s\" has no \"=\"",
					(int)(n > 40 ? 40 : n), p);
		size_t nl = (size_t)(eq - p), vl = n - nl - 1;
		const char *val = eq + 1;
		static const char *const names[] = {
			"FREQ", "UNTIL", "COUNT", "INTERVAL", "WKST", "RSCALE", "SKIP",
			"BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY",
			"BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS"};
		int idx = -1;
		for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
			if (strlen(names[i]) == nl && strncasecmp(p, names[i], nl) == 0)
				idx = i;
		if (idx < 0) {
			if (nl > 2 && strncasecmp(p, "X-", 2) == 0)
				goto next; /* extension part: kept in the text, ignored */
			return rule_err(err, "unknown rule part \"%.*s\"",
					(int)(nl > 40 ? 40 : nl), p);
		}
		if (seen & (1u << idx))
			return rule_err(err, "%s appears more than once", names[idx]);
		seen |= 1u << idx;
		long v;
		switch (idx) {
		case 0:
			for (int i = 0; i < 7; i++)
				if (strlen(freq_names[i]) == vl &&
				    strncasecmp(val, freq_names[i], vl) == 0)
					r->freq = i;
			if (r->freq < 0)
				return rule_err(err, "FREQ \"%.*s\" is not one of SECONDLY, "
						"MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY",
						(int)(vl > 40 ? 40 : vl), val);
			break;
		case 1: {
			char buf[20];
			if (vl >= sizeof(buf))
				return rule_err(err, "UNTIL \"%.*s\" is not a date or date-time",
						(int)(vl > 40 ? 40 : vl), val);
			memcpy(buf, val, vl);
			buf[vl] = '\0';
			if (at_recur_time_parse(buf, &r->until) < 0 || r->until.second > 59)
				return rule_err(err, "UNTIL \"%s\" is not a date or date-time", buf);
			r->has_until = true;
			break;
		}
		case 2:
			if (parse_int(val, vl, 1, INT_MAX, &v) < 0 || val[0] == '+' || val[0] == '-')
				return rule_err(err, "COUNT \"%.*s\" is not a whole number of at least 1",
						(int)(vl > 40 ? 40 : vl), val);
			r->count = v;
			break;
		case 3:
			if (parse_int(val, vl, 1, 10000, &v) < 0 || val[0] == '+' || val[0] == '-')
				return rule_err(err, "INTERVAL \"%.*s\" is not a whole number from 1 to 10000",
						(int)(vl > 40 ? 40 : vl), val);
			r->interval = (int)v;
			break;
		case 4:
			if ((r->wkst = wday_parse(val, vl)) < 0)
				return rule_err(err, "WKST \"%.*s\" is not a weekday (SU..SA)",
						(int)(vl > 40 ? 40 : vl), val);
			break;
		case 5:
			if (vl == 0 || vl >= sizeof(rscale))
				return rule_err(err, "RSCALE has a bad value");
			for (size_t i = 0; i < vl; i++)
				if (!isalnum((unsigned char)val[i]) && val[i] != '-')
					return rule_err(err, "RSCALE has a bad value");
			memcpy(rscale, val, vl);
			rscale[vl] = '\0';
			break;
		case 6:
			if ((vl == 4 && strncasecmp(val, "OMIT", 4) == 0) ||
			    (vl == 8 && strncasecmp(val, "BACKWARD", 8) == 0) ||
			    (vl == 7 && strncasecmp(val, "FORWARD", 7) == 0)) {
				memcpy(skip, val, vl);
				skip[vl] = '\0';
			} else {
				return rule_err(err, "SKIP must be OMIT, BACKWARD or FORWARD");
			}
			break;
		default:
			if (parse_by(r, idx - 7, val, vl, has_rscale, err) < 0)
				return -1;
		}
	next:
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	if (r->freq < 0)
		return rule_err(err, "FREQ is missing");
	if (r->count && r->has_until)
		return rule_err(err, "COUNT and UNTIL cannot both be given");
	if (skip[0] && !rscale[0])
		return rule_err(err, "SKIP needs RSCALE");
	int f = r->freq;
	const char *fn = freq_names[f];
	if (r->n[P_WEEKNO] && f != ICAL_YEARLY_RECURRENCE)
		return rule_err(err, "BYWEEKNO is only allowed with FREQ=YEARLY, not %s", fn);
	if (r->n[P_YEARDAY] && (f == ICAL_DAILY_RECURRENCE || f == ICAL_WEEKLY_RECURRENCE ||
				f == ICAL_MONTHLY_RECURRENCE))
		return rule_err(err, "BYYEARDAY is not allowed with FREQ=%s", fn);
	if (r->n[P_MONTHDAY] && f == ICAL_WEEKLY_RECURRENCE)
		return rule_err(err, "BYMONTHDAY is not allowed with FREQ=WEEKLY");
	if (r->n[P_SETPOS]) {
		bool other = false;
		for (int w = 0; w < P_SETPOS; w++)
			other |= r->n[w] > 0;
		if (!other)
			return rule_err(err, "BYSETPOS needs another BYxxx part");
	}
	for (int i = 0; i < r->n[P_DAY]; i++) {
		int ord = r->v[P_DAY][i] / 8;
		if (ord == 0)
			continue;
		if (f != ICAL_MONTHLY_RECURRENCE && f != ICAL_YEARLY_RECURRENCE)
			return rule_err(err, "BYDAY with an ordinal (like 1MO) needs FREQ=MONTHLY "
					"or YEARLY, not %s", fn);
		if (f == ICAL_YEARLY_RECURRENCE && r->n[P_WEEKNO])
			return rule_err(err, "BYDAY with an ordinal cannot be used with BYWEEKNO");
		if (f == ICAL_MONTHLY_RECURRENCE && (ord > 5 || ord < -5))
			return rule_err(err, "BYDAY ordinal %d is beyond the 5 weeks of a month", ord);
	}
	rule_to_libical(r, rscale[0] ? rscale : NULL, skip[0] ? skip : NULL);
	if (!rscale[0] && !some_date_matches(r)) {
		char parts[256];
		describe_date_parts(r, parts, sizeof(parts));
		return rule_err(err, "the rule produces no occurrence (no date matches %s)", parts);
	}
	/* Last, libical must agree. */
	pthread_once(&ical_once, ical_init);
	icalerror_clear_errno();
	struct icalrecurrencetype lr = icalrecurrencetype_from_string(r->libical);
	free(lr.rscale); /* libical 3.0 hands the RSCALE copy to the caller */
	if (lr.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
		icalerror_clear_errno();
		return rule_err(err, "the recurrence engine does not accept \"%s\"", r->libical);
	}
	return 0;
}

int at_recur_validate(const char *rrule, at_error *err)
{
	rule *r = malloc(sizeof(*r));
	if (r == NULL)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
				    NULL, "out of memory");
	int rc = rule_parse(rrule, r, err);
	free(r);
	return rc;
}

/* ---- series ------------------------------------------------------------- */

typedef struct series {
	const at_recur_series *s;
	const char *tzid;        /* series zone name (NULL: floating or dates) */
	icaltimezone *zone;      /* series zone; NULL when floating or dates */
	icaltimezone *czone;     /* zone that turns wall times into instants */
	bool is_date;
	int64_t d_wall;          /* DTSTART, wall seconds */
	bool has_rule;
	struct rule_iter *ri;    /* the RRULE; NULL without one */
	struct rule_iter *ex;    /* the EXRULEs */
	size_t n_ex;
	unsigned max_iter, max_occ;
} series;

/* One rule prepared for iteration against the series' DTSTART. */
typedef struct rule_iter {
	rule r;
	struct icalrecurrencetype lr;
	bool has_until;
	int64_t until_wall;
} rule_iter;

static const int64_t freq_unit[] = {1, 60, 3600, DAY, 7 * DAY, 31 * DAY, 366 * DAY};

static void series_close(series *c)
{
	if (c->ri != NULL)
		free(c->ri->lr.rscale);
	for (size_t i = 0; c->ex != NULL && i < c->n_ex; i++)
		free(c->ex[i].lr.rscale);
	free(c->ri);
	free(c->ex);
	c->ri = c->ex = NULL;
}

static int oom(at_error *err)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			    "out of memory");
}

static int rule_open(series *c, rule_iter *ri, const char *text, at_error *err)
{
	if (rule_parse(text, &ri->r, err) < 0)
		return -1;
	ri->lr = icalrecurrencetype_from_string(ri->r.libical);
	ri->lr.until = icaltime_null_time();
	if (ri->r.has_until) {
		/* UNTIL is read in the series' terms (RFC 5545 wants UTC for a
		 * zoned DTSTART and a date for a date; both are often broken). */
		const at_recur_time *u = &ri->r.until;
		int64_t w = at_recur_wall_secs(u);
		if (c->is_date)
			w = floor_div(u->tzid != NULL && c->czone != NULL
					      ? utc_to_wall(c->czone, w) : w, DAY) * DAY;
		else if (u->is_date)
			w += DAY - 1;
		else if (u->tzid != NULL && c->zone != NULL)
			w = utc_to_wall(c->zone, w);
		ri->has_until = true;
		ri->until_wall = w;
	}
	return 0;
}

static int series_open(series *c, const at_recur_series *s, const char *floating_zone,
		       const at_recur_limits *limits, at_error *err)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->max_iter = limits && limits->max_iterations ? limits->max_iterations
						       : AT_RECUR_MAX_ITERATIONS;
	c->max_occ = limits && limits->max_occurrences ? limits->max_occurrences
						       : AT_RECUR_MAX_OCCURRENCES;
	if (at_recur_time_check(&s->dtstart, "dtstart", err) < 0)
		return -1;
	c->is_date = s->dtstart.is_date;
	c->tzid = c->is_date ? NULL : s->dtstart.tzid;
	c->zone = zone_get(c->tzid);
	if (floating_zone != NULL && zone_get(floating_zone) == NULL)
		return scrub(err, at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM,
					       AT_RETRY_FINAL, "timeZone",
					       "unknown time zone \"%.64s\"", floating_zone));
	c->czone = c->zone != NULL ? c->zone : zone_get(floating_zone);
	c->d_wall = at_recur_wall_secs(&s->dtstart);
	if (s->duration.days < 0 || s->duration.seconds < 0 ||
	    s->duration.days > 3660 || s->duration.seconds > 3660 * DAY)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "duration", "duration must be from 0 to 3660 days");
	for (size_t i = 0; i < s->n_rdates; i++)
		if (at_recur_time_check(&s->rdates[i].start, "rdate", err) < 0 ||
		    (s->rdates[i].has_end && at_recur_time_check(&s->rdates[i].end, "rdate", err) < 0))
			return -1;
	for (size_t i = 0; i < s->n_exdates; i++)
		if (at_recur_time_check(&s->exdates[i], "exdate", err) < 0)
			return -1;
	for (size_t i = 0; i < s->n_overrides; i++) {
		const at_recur_override *o = &s->overrides[i];
		if (at_recur_time_check(&o->recurrence_id, "recurrenceId", err) < 0)
			return -1;
		if (!o->cancelled && (at_recur_time_check(&o->start, "start", err) < 0 ||
				      at_recur_time_check(&o->end, "end", err) < 0))
			return -1;
	}
	if (s->n_exrules > 16)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, "exrule",
				    "more than 16 EXRULEs (limit maxExrules)");
	if (s->rrule != NULL) {
		c->ri = calloc(1, sizeof(*c->ri));
		if (c->ri == NULL || rule_open(c, c->ri, s->rrule, err) < 0)
			return c->ri == NULL ? oom(err) : -1;
		c->has_rule = true;
	}
	if (s->n_exrules > 0) {
		c->ex = calloc(s->n_exrules, sizeof(*c->ex));
		if (c->ex == NULL)
			return oom(err);
		for (size_t i = 0; i < s->n_exrules; i++) {
			c->n_ex = i + 1;
			if (rule_open(c, &c->ex[i], s->exrules[i], err) < 0)
				return -1;
		}
	}
	return 0;
}

static struct icaltimetype ical_from_wall(int64_t w, bool is_date)
{
	struct icaltimetype t = icaltime_null_time();
	at_recur_time a = at_recur_from_wall(w, is_date, NULL);
	t.year = a.year;
	t.month = a.month;
	t.day = a.day;
	t.hour = a.hour;
	t.minute = a.minute;
	t.second = a.second;
	t.is_date = is_date;
	return t;
}

static int64_t wall_from_ical(const struct icaltimetype *t)
{
	return at_recur_days_from_civil(t->year, t->month, t->day) * DAY +
	       (t->is_date ? 0 : t->hour * 3600 + t->minute * 60 + t->second);
}

/* Called with each rule instance in [from_wall, to_wall]; returns 1 to stop,
 * -1 on error (err set), 0 to go on. */
typedef int walk_fn(series *c, int64_t w, void *arg, at_error *err);

typedef struct walk_result {
	unsigned produced;  /* rule instances seen, skipped ones included */
	bool bounded;       /* stopped by the iteration bound, not by the rule */
} walk_result;

static int walk(series *c, rule_iter *ri, int64_t from_wall, int64_t to_wall,
		walk_fn *fn, void *arg, walk_result *res, at_error *err)
{
	memset(res, 0, sizeof(*res));
	if (ri == NULL || to_wall < c->d_wall || to_wall < from_wall)
		return 0;
	struct icalrecurrencetype lr = ri->lr;
	int64_t start = c->d_wall;
	int64_t period = freq_unit[ri->r.freq] * ri->r.interval;
	bool counted = ri->r.count > 0;
	bool use_set_start = false;
	if (!counted && from_wall > c->d_wall) {
		if (ri->r.freq < ICAL_DAILY_RECURRENCE) {
			/* libical's set_start is wrong for sub-daily intervals:
			 * move DTSTART by whole periods instead, one spare. */
			int64_t k = (from_wall - c->d_wall) / period - 1;
			if (k > 0)
				start = c->d_wall + k * period;
		} else {
			use_set_start = true;
		}
	}
	/* Stop libical from walking for ever: the rule's UNTIL, the end of
	 * the range, and for DAILY and finer a bound of max_iter periods. */
	int64_t stop = to_wall;
	if (ri->has_until && ri->until_wall < stop)
		stop = ri->until_wall;
	if (from_wall > stop)
		return 0;
	int64_t bound = INT64_MAX;
	if (ri->r.freq <= ICAL_DAILY_RECURRENCE) {
		int64_t base = use_set_start ? from_wall : start;
		bound = base + (int64_t)c->max_iter * period;
	}
	bool by_bound = bound < stop;
	lr.until = ical_from_wall(by_bound ? bound : stop, c->is_date);
	if (c->is_date)
		lr.until.is_date = 1;
	struct icaltimetype dt = ical_from_wall(start, c->is_date);
	icalerror_clear_errno();
	icalrecur_iterator *it = icalrecur_iterator_new(lr, dt);
	if (it == NULL) {
		icalerror_clear_errno();
		return rule_err(err, "no occurrence of the rule can be found from DTSTART "
				"(the recurrence engine refuses it)");
	}
	if (use_set_start && !icalrecur_iterator_set_start(it, ical_from_wall(from_wall, c->is_date))) {
		icalrecur_iterator_free(it);
		it = icalrecur_iterator_new(lr, dt);
		if (it == NULL)
			return rule_err(err, "the recurrence engine refuses this rule");
	}
	int rc = 0;
	unsigned iterations = 0;
	for (;;) {
		if (++iterations > c->max_iter) {
			rc = at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, FIELD,
					  "rrule: the range needs more than %u iterations of the "
					  "rule (limit maxIterations)", c->max_iter);
			break;
		}
		struct icaltimetype t = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(t)) {
			if (by_bound && !(counted && res->produced >= (unsigned long)ri->r.count))
				res->bounded = true;
			break;
		}
		int64_t w = wall_from_ical(&t);
		res->produced++;
		if (w > to_wall)
			break;
		if (w < from_wall)
			continue;
		rc = fn(c, w, arg, err);
		if (rc != 0)
			break;
	}
	icalrecur_iterator_free(it);
	icalerror_clear_errno();
	return rc < 0 ? -1 : 0;
}

/* Matching key of a time against the series: an instant for zoned series,
 * wall seconds otherwise.  Times without a zone in a zoned series are read
 * in the series zone. */
static int64_t key_of_wall(const series *c, int64_t w)
{
	return c->zone != NULL ? wall_to_utc(c->zone, w) : w;
}

static int64_t key_of(const series *c, const at_recur_time *t)
{
	int64_t w = at_recur_wall_secs(t);
	if (c->zone == NULL)
		return w;
	if (t->tzid == NULL)
		return wall_to_utc(c->zone, w);
	return wall_to_utc(zone_get(t->tzid), w);
}

/* A time as wall seconds of the series. */
static int64_t series_wall_of(const series *c, const at_recur_time *t)
{
	int64_t w = at_recur_wall_secs(t);
	if (c->zone != NULL && t->tzid != NULL && !t->is_date)
		return utc_to_wall(c->zone, wall_to_utc(zone_get(t->tzid), w));
	if (c->is_date && !t->is_date)
		return floor_div(w, DAY) * DAY;
	return w;
}

typedef struct cand {
	int64_t w;       /* wall start in the series */
	int64_t key;
	at_recur_origin origin;       /* RULE, DTSTART or RDATE */
	const at_recur_rdate *rdate;  /* when it comes from an RDATE */
} cand;

typedef struct cand_list {
	cand *v;
	size_t n, cap;
	size_t max;
} cand_list;

static int cand_add(cand_list *l, const series *c, int64_t w, at_recur_origin origin,
		    const at_recur_rdate *rd, at_error *err)
{
	if (l->n >= l->max)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, FIELD,
				    "more than %u occurrences in the range (limit maxOccurrences)",
				    c->max_occ);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		cand *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
					    NULL, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (cand){w, key_of_wall(c, w), origin, rd};
	return 0;
}

typedef struct expand_ctx {
	cand_list *list;
	int64_t from, to;      /* UTC query range */
	int64_t dur;
} expand_ctx;

static int64_t inst_start(const series *c, int64_t w)
{
	return wall_to_utc(c->czone, w);
}

static int64_t inst_end(const series *c, int64_t w)
{
	return wall_to_utc(c->czone, w + c->s->duration.days * DAY) + c->s->duration.seconds;
}

static bool overlaps(int64_t s, int64_t e, int64_t from, int64_t to)
{
	return s < to && (e > from || (e == s && s >= from));
}

static int collect(series *c, int64_t w, void *arg, at_error *err)
{
	expand_ctx *x = arg;
	if (!overlaps(inst_start(c, w), inst_end(c, w), x->from, x->to))
		return 0;
	return cand_add(x->list, c, w, AT_RECUR_FROM_RULE, NULL, err) < 0 ? -1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_cand(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	/* Same start: the rule instance first, so it wins over DTSTART and
	 * RDATEs. */
	return (int)x->origin - (int)y->origin;
}

static int cmp_occ(const void *a, const void *b)
{
	const at_recur_occurrence *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return at_recur_time_cmp(&x->recurrence_id, &y->recurrence_id);
}

static bool in_sorted(const int64_t *v, size_t n, int64_t k)
{
	return n > 0 && bsearch(&k, v, n, sizeof(*v), cmp_i64) != NULL;
}

/* Wall-clock margin around a range edge: the largest offset change near it,
 * plus an hour. */
static int64_t edge_margin(const series *c, int64_t u)
{
	int a = offset_at(c->czone, u - 2 * DAY), b = offset_at(c->czone, u + 2 * DAY);
	return (a > b ? a - b : b - a) + 3600;
}

int at_recur_expand(const at_recur_series *s, int64_t from, int64_t to,
		    const char *floating_zone, const at_recur_limits *limits,
		    at_arena *arena, at_recur_occurrence **occ_r, size_t *n_r,
		    at_error *err)
{
	series c;
	cand_list list = {0};
	int64_t *exkeys = NULL, *exdays = NULL, *exrule_keys = NULL;
	size_t n_exk = 0, n_exd = 0, n_exr = 0;
	int rc = -1;
	*occ_r = NULL;
	*n_r = 0;
	if (series_open(&c, s, floating_zone, limits, err) < 0)
		goto done;
	if (from >= to || from < -62135596800LL || to > 253402300799LL) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "the query range must be non-empty, within the years 1 to 9999");
		goto done;
	}
	list.max = (size_t)c.max_occ + s->n_exdates + s->n_overrides + s->n_rdates + 1;
	int64_t dur = s->duration.days * DAY + s->duration.seconds;
	int64_t from_wall = utc_to_wall(c.czone, from - dur) - edge_margin(&c, from - dur);
	int64_t to_wall = utc_to_wall(c.czone, to) + edge_margin(&c, to);
	expand_ctx x = {&list, from, to, dur};

	/* DTSTART, the rule, the RDATEs. */
	if (overlaps(inst_start(&c, c.d_wall), inst_end(&c, c.d_wall), from, to) &&
	    cand_add(&list, &c, c.d_wall, AT_RECUR_FROM_DTSTART, NULL, err) < 0)
		goto done;
	walk_result wr;
	if (walk(&c, c.ri, from_wall, to_wall, collect, &x, &wr, err) < 0)
		goto done;
	if (wr.bounded && wr.produced == 0 && c.d_wall >= from_wall) {
		rule_err(err, "the rule produces no occurrence within its first %u iterations "
			 "(limit maxIterations)", c.max_iter);
		goto done;
	}
	if (wr.bounded) {
		at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, FIELD,
			     "rrule: the range needs more than %u iterations of the rule "
			     "(limit maxIterations)", c.max_iter);
		goto done;
	}
	for (size_t i = 0; i < s->n_rdates; i++) {
		const at_recur_rdate *rd = &s->rdates[i];
		int64_t w = series_wall_of(&c, &rd->start);
		int64_t st = key_of(&c, &rd->start), en;
		if (c.zone == NULL)
			st = inst_start(&c, w);
		if (rd->has_end) {
			en = c.zone == NULL && rd->end.tzid == NULL
				     ? inst_start(&c, at_recur_wall_secs(&rd->end))
				     : key_of(&c, &rd->end);
		} else {
			en = inst_end(&c, w);
		}
		if (overlaps(st, en, from, to) &&
		    cand_add(&list, &c, w, AT_RECUR_FROM_RDATE, rd, err) < 0)
			goto done;
	}

	/* EXRULE instances, EXDATEs and overridden instances leave the set. */
	for (size_t i = 0; i < c.n_ex; i++) {
		cand_list exl = {.max = (size_t)c.max_iter};
		expand_ctx ex = {&exl, from, to, dur};
		if (walk(&c, &c.ex[i], from_wall, to_wall, collect, &ex, &wr, err) < 0) {
			free(exl.v);
			goto done;
		}
		int64_t *grown = realloc(exrule_keys, (n_exr + exl.n + 1) * sizeof(*grown));
		if (grown == NULL) {
			free(exl.v);
			oom(err);
			goto done;
		}
		exrule_keys = grown;
		for (size_t k = 0; k < exl.n; k++)
			exrule_keys[n_exr++] = exl.v[k].key;
		free(exl.v);
	}
	exkeys = malloc((s->n_exdates + s->n_overrides + n_exr + 1) * sizeof(*exkeys));
	exdays = malloc((s->n_exdates + 1) * sizeof(*exdays));
	if (exkeys == NULL || exdays == NULL) {
		oom(err);
		goto done;
	}
	for (size_t i = 0; i < n_exr; i++)
		exkeys[n_exk++] = exrule_keys[i];
	for (size_t i = 0; i < s->n_exdates; i++) {
		const at_recur_time *e = &s->exdates[i];
		if (e->is_date && !c.is_date)
			exdays[n_exd++] = at_recur_days_from_civil(e->year, e->month, e->day);
		else
			exkeys[n_exk++] = c.is_date ? series_wall_of(&c, e) : key_of(&c, e);
	}
	for (size_t i = 0; i < s->n_overrides; i++) {
		const at_recur_time *rid = &s->overrides[i].recurrence_id;
		exkeys[n_exk++] = c.is_date ? series_wall_of(&c, rid) : key_of(&c, rid);
	}
	qsort(exkeys, n_exk, sizeof(*exkeys), cmp_i64);
	qsort(exdays, n_exd, sizeof(*exdays), cmp_i64);
	if (list.n > 1) /* list.v is NULL when nothing was found */
		qsort(list.v, list.n, sizeof(*list.v), cmp_cand);

	size_t cap = list.n + s->n_overrides;
	at_recur_occurrence *occ = at_arena_alloc(arena, (cap ? cap : 1) * sizeof(*occ));
	size_t n = 0;
	for (size_t i = 0; i < list.n; i++) {
		const cand *k = &list.v[i];
		if (i > 0 && list.v[i - 1].key == k->key)
			continue;
		if (in_sorted(exkeys, n_exk, k->key) ||
		    in_sorted(exdays, n_exd, floor_div(k->w, DAY)))
			continue;
		at_recur_occurrence *o = &occ[n++];
		o->origin = k->origin;
		o->recurrence_id = at_recur_from_wall(k->w, c.is_date, c.tzid);
		o->local_start = o->recurrence_id;
		if (k->rdate != NULL && k->rdate->has_end) {
			o->start = c.zone == NULL ? inst_start(&c, k->w) : key_of(&c, &k->rdate->start);
			o->end = c.zone == NULL && k->rdate->end.tzid == NULL
					 ? inst_start(&c, at_recur_wall_secs(&k->rdate->end))
					 : key_of(&c, &k->rdate->end);
			o->local_end = at_recur_from_wall(series_wall_of(&c, &k->rdate->end),
						      c.is_date, c.tzid);
		} else {
			o->start = inst_start(&c, k->w);
			o->end = inst_end(&c, k->w);
			if (c.is_date || c.zone == NULL)
				o->local_end = at_recur_from_wall(k->w + dur, c.is_date, c.tzid);
			else
				o->local_end = at_recur_from_wall(utc_to_wall(c.zone, o->end),
							      false, c.tzid);
		}
	}
	for (size_t i = 0; i < s->n_overrides; i++) {
		const at_recur_override *ov = &s->overrides[i];
		if (ov->cancelled)
			continue;
		const char *fz = c.zone != NULL ? c.tzid : floating_zone;
		int64_t st, en;
		at_recur_time a = ov->start, b = ov->end;
		if (a.tzid == NULL && !a.is_date)
			a.tzid = fz;
		if (b.tzid == NULL && !b.is_date)
			b.tzid = fz;
		if (at_recur_to_utc(&a, floating_zone, &st, err) < 0 ||
		    at_recur_to_utc(&b, floating_zone, &en, err) < 0)
			goto done;
		if (en < st)
			en = st;
		if (!overlaps(st, en, from, to))
			continue;
		at_recur_occurrence *o = &occ[n++];
		o->start = st;
		o->end = en;
		o->local_start = ov->start;
		o->local_end = ov->end;
		o->recurrence_id = at_recur_from_wall(series_wall_of(&c, &ov->recurrence_id),
						  c.is_date, c.tzid);
		o->overridden = true;
		o->origin = AT_RECUR_FROM_OVERRIDE;
	}
	if (n > c.max_occ) {
		at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, FIELD,
			     "more than %u occurrences in the range (limit maxOccurrences)",
			     c.max_occ);
		goto done;
	}
	qsort(occ, n, sizeof(*occ), cmp_occ);
	*occ_r = occ;
	*n_r = n;
	rc = 0;
done:
	free(exrule_keys);
	free(exkeys);
	free(exdays);
	free(list.v);
	series_close(&c);
	return rc;
}

/* ---- check -------------------------------------------------------------- */

static int first_only(series *c, int64_t w, void *arg, at_error *err)
{
	*(int64_t *)arg = w;
	return 1;
}

int at_recur_check(const at_recur_series *s, const at_recur_limits *limits,
		   at_error *err)
{
	series c;
	int rc = -1;
	if (series_open(&c, s, NULL, limits, err) < 0)
		goto done;
	if (c.has_rule) {
		int64_t first = INT64_MIN;
		walk_result wr;
		int64_t horizon = at_recur_days_from_civil(9999, 12, 31) * DAY;
		if (walk(&c, c.ri, c.d_wall, horizon, first_only, &first, &wr, err) < 0)
			goto done;
		bool ended = c.ri->r.has_until || c.ri->r.count > 0;
		if (first == INT64_MIN && (wr.bounded || !ended)) {
			if (wr.bounded)
				rule_err(err, "the rule produces no occurrence within its first %u "
					 "iterations (limit maxIterations)", c.max_iter);
			else
				rule_err(err, "the rule produces no occurrence");
			goto done;
		}
	}
	rc = 0;
done:
	series_close(&c);
	return rc;
}

/* ---- split -------------------------------------------------------------- */

typedef struct split_ctx {
	int64_t at;
	unsigned before;
	bool found;
} split_ctx;

static int split_count(series *c, int64_t w, void *arg, at_error *err)
{
	split_ctx *x = arg;
	if (w < x->at) {
		x->before++;
		return 0;
	}
	x->found = w == x->at;
	return 1;
}

/* The rule text without COUNT and UNTIL (and without a trailing ';'). */
static void strip_end_parts(const char *text, char *buf, size_t size)
{
	buf[0] = '\0';
	const char *p = text;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		if (n > 0 && strncasecmp(p, "COUNT=", 6) != 0 && strncasecmp(p, "UNTIL=", 6) != 0)
			append(buf, size, "%s%.*s", buf[0] ? ";" : "", (int)n, p);
		p += n;
		if (*p == ';')
			p++;
	}
}

int at_recur_split(const at_recur_series *s, const at_recur_time *at,
		   const at_recur_limits *limits, at_arena *arena,
		   char **old_rrule_r, at_recur_time *new_start_r,
		   char **new_rrule_r, at_error *err)
{
	series c;
	int rc = -1;
	*old_rrule_r = *new_rrule_r = NULL;
	if (s->rrule == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    FIELD, "the series has no rule to split");
	if (series_open(&c, s, NULL, limits, err) < 0 ||
	    at_recur_time_check(at, "recurrenceId", err) < 0)
		goto done;
	int64_t at_w = series_wall_of(&c, at);
	split_ctx x = {at_w, 0, false};
	walk_result wr;
	if (at_w != c.d_wall &&
	    walk(&c, c.ri, c.d_wall, at_w, split_count, &x, &wr, err) < 0)
		goto done;
	char t[17];
	at_recur_time at_t = at_recur_from_wall(at_w, c.is_date, c.tzid);
	at_recur_time_format(&at_t, t);
	if (at_w != c.d_wall && !x.found) {
		at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "recurrenceId",
			     "no occurrence of the series starts at %s", t);
		goto done;
	}
	char base[AT_RECUR_MAX_RULE_LEN + 1];
	strip_end_parts(s->rrule, base, sizeof(base));
	if (at_w != c.d_wall) {
		at_recur_time until;
		if (c.is_date)
			until = at_recur_from_wall(at_w - DAY, true, NULL);
		else if (c.zone != NULL)
			until = at_recur_from_wall(wall_to_utc(c.zone, at_w) - 1, false, "UTC");
		else
			until = at_recur_from_wall(at_w - 1, false, NULL);
		char u[17];
		at_recur_time_format(&until, u);
		*old_rrule_r = at_arena_printf(arena, "%s;UNTIL=%s", base, u);
	}
	if (c.ri->r.count > 0) {
		long left = c.ri->r.count - (long)x.before;
		if (left < 1)
			left = 1;
		*new_rrule_r = at_arena_printf(arena, "%s;COUNT=%ld", base, left);
	} else if (c.ri->r.has_until) {
		char u[17];
		at_recur_time_format(&c.ri->r.until, u);
		*new_rrule_r = at_arena_printf(arena, "%s;UNTIL=%s", base, u);
	} else {
		*new_rrule_r = at_arena_strdup(arena, base);
	}
	*new_start_r = at_t;
	rc = 0;
done:
	series_close(&c);
	return rc;
}
