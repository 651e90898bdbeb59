/* cli_freebusy.c — atrium freebusy: when people are busy, as a grid per day
 * like the client's scheduling view, or as the server's intervals in JSON.
 * Resources (rooms, equipment) are asked and shown like people, their rows
 * marked "(resource)" (the server's entries of type "resource").
 *
 * Online: free/busy is the server's (Calendar/getFreeBusy), computed from
 * every calendar of each person, including what this device has not
 * synced.  Days and slots are those of the user's zone (--tz, else $TZ or
 * the system's), which is also the zone the server reads all-day and
 * floating appointments in. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "engine.h"
#include "model.h"
#include "recur.h"

#define FREEBUSY_USAGE \
	"usage: atrium freebusy LOGIN|RESOURCE... --from T --to T [--tz ZONE] [--details]\n" \
	"                       [--json]\n" \
	"\n" \
	"Shows when each person or resource (a room, equipment: named like a login)\n" \
	"is busy, from the server, as one line per person and day in half-hour\n" \
	"slots:\n" \
	"  .  free     t  tentative     #  busy     O  out of office\n" \
	"T is a date (--to: that whole day included) or a local time\n" \
	"YYYY-MM-DDTHH:MM in ZONE.  --details also lists the appointments you may\n" \
	"read (never the private ones of others).  --json prints the server's\n" \
	"intervals.\n"

#define SLOTS_PER_DAY 48
#define MAX_PRINCIPALS 100
#define MAX_DAYS 366

enum { L_FREE = 0, L_TENTATIVE, L_BUSY, L_OOF };

static int level_of(const char *show_as)
{
	if (show_as == NULL)
		return L_BUSY;
	if (strcmp(show_as, "tentative") == 0)
		return L_TENTATIVE;
	if (strcmp(show_as, "outOfOffice") == 0)
		return L_OOF;
	return L_BUSY;
}

static int64_t wire_instant(const char *wire)
{
	at_recur_time t;
	int64_t u = 0;
	at_error ignored;
	if (wire != NULL && at_model_datetime_parse(wire, &t) == 0)
		at_recur_to_utc(&t, NULL, &u, &ignored);
	return u;
}

/* A bound typed by the user as a UTC instant; a date --to means the end of
 * that day. */
static int bound(const char *s, const char *zone, bool upper, int64_t *u_r, at_error *err)
{
	at_recur_time t;
	if (ac_user_time_parse(s, &t) < 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    upper ? "to" : "from",
				    "--%s \"%s\" is not a date or a time (YYYY-MM-DD or "
				    "YYYY-MM-DDTHH:MM)", upper ? "to" : "from", s);
	if (t.is_date) {
		if (upper) {
			int64_t d = at_recur_days_from_civil(t.year, t.month, t.day) + 1;
			at_recur_civil_from_days(d, &t.year, &t.month, &t.day);
		}
		t.is_date = false;
		t.hour = t.minute = t.second = 0;
		t.tzid = zone;
	} else if (t.tzid == NULL) {
		t.tzid = zone;
	}
	return at_recur_to_utc(&t, NULL, u_r, err);
}

/* The row label: the principal, "(resource)" after a resource's name. */
static void row_label(json_t *e, char *buf, size_t size)
{
	const char *who = json_string_value(json_object_get(e, "principal"));
	const char *type = json_string_value(json_object_get(e, "type"));
	snprintf(buf, size, "%s%s", who != NULL ? who : "?",
		 type != NULL && strcmp(type, "resource") == 0 ? " (resource)" : "");
}

static void print_grid(json_t *entries, int64_t from, int64_t to, const char *zone)
{
	static const char marks[] = {'.', 't', '#', 'O'};
	at_error err;
	at_recur_time first, last;
	if (at_recur_from_utc(from, zone, &first, &err) < 0 ||
	    at_recur_from_utc(to - 1, zone, &last, &err) < 0)
		return;
	int64_t d0 = at_recur_days_from_civil(first.year, first.month, first.day);
	int64_t d1 = at_recur_days_from_civil(last.year, last.month, last.day);
	size_t width = 10;
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		char label[128];
		row_label(e, label, sizeof(label));
		size_t n = strlen(label);
		if (n > width)
			width = n;
	}
	if (width > 36)
		width = 36;
	for (int64_t d = d0; d <= d1; d++) {
		at_recur_time day = {.tzid = zone};
		at_recur_civil_from_days(d, &day.year, &day.month, &day.day);
		int64_t edges[SLOTS_PER_DAY + 1];
		for (int k = 0; k <= SLOTS_PER_DAY; k++) {
			at_recur_time w = day;
			if (k == SLOTS_PER_DAY) {
				at_recur_civil_from_days(d + 1, &w.year, &w.month, &w.day);
			} else {
				w.hour = k / 2;
				w.minute = (k % 2) * 30;
			}
			if (at_recur_to_utc(&w, NULL, &edges[k], &err) < 0)
				return;
		}
		printf("%04d-%02d-%02d%*s", day.year, day.month, day.day, (int)(width - 9), "");
		for (int h = 0; h < 24; h++)
			printf("%02d", h);
		putchar('\n');
		json_array_foreach(entries, i, e) {
			char who[128];
			json_t *busy = json_object_get(e, "busy");
			if (busy == NULL)
				continue;
			row_label(e, who, sizeof(who));
			printf("%-*.*s ", (int)width, (int)width, who);
			for (int k = 0; k < SLOTS_PER_DAY; k++) {
				int64_t s = edges[k], t = edges[k + 1];
				if (t <= s || t <= from || s >= to) {
					putchar(' ');
					continue;
				}
				int level = L_FREE;
				size_t j;
				json_t *b;
				json_array_foreach(busy, j, b) {
					int64_t bs = wire_instant(ac_jstr(b, "start"));
					int64_t be = wire_instant(ac_jstr(b, "end"));
					int l = level_of(ac_jstr(b, "showAs"));
					if (bs < t && be > s && l > level)
						level = l;
				}
				putchar(marks[level]);
			}
			putchar('\n');
		}
	}
}

static void print_details(json_t *entries, const char *zone)
{
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		json_t *items = json_object_get(e, "items");
		size_t j;
		json_t *it;
		json_array_foreach(items, j, it) {
			char a[64], b[64];
			ac_user_time_show(ac_jstr(it, "start"), zone, a, sizeof(a));
			ac_user_time_show(ac_jstr(it, "end"), zone, b, sizeof(b));
			const char *subj = ac_jstr(it, "subject"), *loc = ac_jstr(it, "location");
			printf("%s\t%s – %s\t%s\t%s%s%s\n",
			       json_string_value(json_object_get(e, "principal")), a, b,
			       ac_jstr(it, "showAs"), subj ? subj : "(no subject)",
			       loc ? " @ " : "", loc ? loc : "");
		}
	}
}

int ac_cmd_freebusy(ac_cli *cli, int argc, char **argv)
{
	const char *from_s = NULL, *to_s = NULL, *tz = NULL, *v;
	bool json = false, details = false;
	json_t *principals = json_array(), *args = NULL, *res = NULL;
	at_error err;
	int r, ret = AC_EXIT_USAGE;
	at_error_clear(&err);
	for (int i = 1; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(FREEBUSY_USAGE, stdout);
			ret = AC_EXIT_OK;
			goto done;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--details") == 0) {
			details = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--from", &v)) != 0) {
			if (r < 0)
				goto done;
			from_s = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--to", &v)) != 0) {
			if (r < 0)
				goto done;
			to_s = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0)
				goto done;
			tz = v;
		} else if (strncmp(argv[i], "--", 2) == 0) {
			ac_cli_usage("freebusy: unknown option %s", argv[i]);
			goto done;
		} else if (json_array_size(principals) >= MAX_PRINCIPALS) {
			ac_cli_usage("freebusy: at most %d people at once", MAX_PRINCIPALS);
			goto done;
		} else {
			json_array_append_new(principals, json_string(argv[i]));
		}
	}
	if (json_array_size(principals) == 0 || from_s == NULL || to_s == NULL) {
		ac_cli_usage("freebusy needs LOGIN... (people or resources), --from and --to");
		goto done;
	}
	if (tz != NULL && !at_recur_zone_known(tz)) {
		ac_cli_usage("--tz: unknown time zone \"%s\"", tz);
		goto done;
	}
	const char *zone = ac_user_zone(tz);
	int64_t from, to;
	if (bound(from_s, zone, false, &from, &err) < 0 || bound(to_s, zone, true, &to, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (to <= from || to - from > (int64_t)MAX_DAYS * 86400) {
		ac_cli_usage("freebusy: --to must be after --from, at most %d days later", MAX_DAYS);
		goto done;
	}
	char fb[AT_DATETIME_SIZE], tb[AT_DATETIME_SIZE];
	at_recur_time t;
	at_recur_from_utc(from, NULL, &t, &err);
	t.tzid = "UTC";
	at_model_datetime_format(&t, fb);
	at_recur_from_utc(to, NULL, &t, &err);
	t.tzid = "UTC";
	at_model_datetime_format(&t, tb);
	args = json_pack("{s:O,s:s,s:s,s:s,s:b}", "principals", principals, "from", fb, "to", tb,
			 "timeZone", zone, "details", details);
	if (ac_cli_open_transport(cli, &err) < 0 ||
	    ac_engine_call(&cli->transport, "Calendar/getFreeBusy", args, &res, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	json_t *entries = json_object_get(res, "freeBusy");
	ret = AC_EXIT_OK;
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		json_t *eo = json_object_get(e, "error");
		if (eo != NULL) {
			fprintf(stderr, "atrium: %s\n", ac_jstr(eo, "message"));
			ret = AC_EXIT_ERROR;
		}
	}
	if (json) {
		ac_print_json(entries);
	} else {
		print_grid(entries, from, to, zone);
		if (details)
			print_details(entries, zone);
	}
done:
	json_decref(principals);
	json_decref(args);
	json_decref(res);
	return ret;
}
