/* cli_calendar.c — atrium calendar list|show|add|edit|delete.
 *
 * Like the contacts commands, all of them work on the local store only
 * (offline); "atrium sync" sends the changes.  Listing expands recurring
 * series into occurrences offline, through lib/appointment.h and
 * lib/recur.h, the same code the server validates with, so a rule the
 * server would refuse is refused here first (unless
 * ATRIUM_SKIP_LOCAL_VALIDATION=1, for tests of the server's own refusal).
 *
 * Times typed by the user ("2024-03-19 09:00", "2024-03-19T09:00") are wall
 * times in the zone of --tz, else the user's zone: $TZ when it names an
 * IANA zone, else the system's (/etc/timezone, /etc/localtime), else UTC.
 * A time with Z or an offset is an instant.  A date alone makes an all-day
 * appointment, whose --end is its last day (the stored end is the day
 * after, as in iCalendar).  Listings show times in the same zone.
 *
 * Exceptions: --occurrence WHEN changes or deletes one occurrence (an
 * override or an exdate of the series); --this-and-following WHEN splits
 * the series there (lib/appointment.h's at_appt_split: the old series ends
 * before WHEN, a new item carries the rest, and the options apply to it).
 * WHEN is a date (the occurrence that day) or a local time. */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "appointment.h"
#include "common.h"
#include "fields.h"
#include "model.h"

#define CALENDAR_USAGE \
	"usage: atrium calendar list --from DATE --to DATE [--folder PATH] [--tz ZONE] [--json]\n" \
	"       atrium calendar show ID [--tz ZONE] [--json]\n" \
	"       atrium calendar add [--folder PATH] --subject S --start T [--end T] [OPTIONS]\n" \
	"       atrium calendar edit ID [--occurrence WHEN | --this-and-following WHEN]\n" \
	"                               OPTIONS   (OPTION '' removes a value)\n" \
	"       atrium calendar delete ID [--occurrence WHEN]\n" \
	"\n" \
	"options of add and edit:\n" \
	"  --subject S  --location L  --notes N  --categories A,B\n" \
	"  --start T  --end T       YYYY-MM-DD[ HH:MM[:SS]] in the zone of --tz (or\n" \
	"                           with Z or +HH:MM); a date alone: all-day, --end\n" \
	"                           being the last day; --end defaults to one hour\n" \
	"                           (one day) later, or keeps the length on edit\n" \
	"  --tz ZONE                IANA time zone (default: yours: $TZ or the system's)\n" \
	"  --all-day / --no-all-day\n" \
	"  --rrule RULE             RFC 5545 rule: FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10,\n" \
	"                           every work day: " AT_RECUR_WORKDAYS "\n" \
	"  --participant P          repeatable: LOGIN, ADDRESS@DOMAIN, group:NAME,\n" \
	"                           resource:NAME (edit: replaces the list)\n" \
	"  --resource NAME          repeatable: a room or equipment to book (the\n" \
	"                           same as --participant resource:NAME; on edit, the\n" \
	"                           two together are the new list)\n" \
	"  --ignore-conflicts       write it even when a person is busy then (the\n" \
	"                           server's appointmentConflict); never books a\n" \
	"                           resource that is taken.  Goes with this change\n" \
	"                           only; alone on edit, sends a refused change again\n" \
	"  --show-as free|tentative|busy|away   --reminder MINUTES\n" \
	"  --label none|important|business|personal|vacation|must-attend|\n" \
	"          travel-required|needs-preparation|birthday|anniversary|phone-call\n" \
	"  --private / --no-private   --uid UID\n" \
	"\n" \
	"ID is the appointment's local id (or its server id).  The default folder\n" \
	"is your Calendar; PATH names another one (Calendar/Team, \"Alice Martin –\n" \
	"Calendar\", Public/Events, or a folder id).  list shows each occurrence\n" \
	"between --from and --to (dates: both days included).  WHEN is a date (the\n" \
	"occurrence that day) or a local time YYYY-MM-DDTHH:MM.\n"

#define DAY 86400LL
#define OPT_UNSET INT_MIN

static const at_item_type *appt_type(void)
{
	return at_model_item_type("appointment");
}

/* --- typed times ---------------------------------------------------------------- */

static int64_t instant_of(const char *wire, const char *zone)
{
	at_recur_time t;
	int64_t u = 0;
	at_error ignored;
	if (at_model_datetime_parse(wire, &t) == 0)
		at_recur_to_utc(&t, zone, &u, &ignored);
	return u;
}

/* "2024-03-19 09:00" for an instant in zone; dates as they are (the end
 * of an all-day appointment: its last day). */
static void show_time(const char *wire, const char *zone, bool end_of_all_day, char *buf,
		      size_t size)
{
	at_recur_time t;
	if (end_of_all_day && at_model_datetime_parse(wire, &t) == 0 && t.is_date) {
		/* the last day, not the day after */
		int64_t d = at_recur_days_from_civil(t.year, t.month, t.day) - 1;
		at_recur_civil_from_days(d, &t.year, &t.month, &t.day);
		snprintf(buf, size, "%04d-%02d-%02d", t.year, t.month, t.day);
		return;
	}
	ac_user_time_show(wire, zone, buf, size);
}

/* --- options of add and edit ---------------------------------------------------- */

typedef struct appt_opts {
	json_t *set;              /* plain fields (null: remove) */
	const char *start, *end;  /* as typed */
	const char *tz;
	int all_day;              /* OPT_UNSET, 0, 1 */
	json_t *participants;     /* NULL: not given */
	const char *folder;
	const char *occurrence, *following;
	bool ignore_conflicts;    /* --ignore-conflicts */
} appt_opts;

static void opts_free(appt_opts *o)
{
	json_decref(o->set);
	json_decref(o->participants);
}

/* "must-attend" -> "mustAttend" */
static void camel(const char *kebab, char *buf, size_t size)
{
	size_t o = 0;
	for (const char *p = kebab; *p && o + 1 < size; p++) {
		if (*p == '-' && p[1] != '\0') {
			p++;
			buf[o++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

static json_t *participant(const char *p)
{
	static const char *const kinds[] = {"user", "group", "resource", "external"};
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(kinds[i]);
		if (strncmp(p, kinds[i], n) == 0 && p[n] == ':' && p[n + 1] != '\0')
			return i == 3 ? json_pack("{s:s,s:s}", "type", "external", "address", p + n + 1)
				      : json_pack("{s:s,s:s}", "type", kinds[i], "login", p + n + 1);
	}
	if (strchr(p, '@') != NULL)
		return json_pack("{s:s,s:s}", "type", "external", "address", p);
	return json_pack("{s:s,s:s}", "type", "user", "login", p);
}

/* Options with a plain field behind them: option name, field. */
static const struct plain_opt {
	const char *opt, *field;
} plain_opts[] = {
	{"--subject", "subject"},   {"--location", "location"}, {"--notes", "notes"},
	{"--categories", "categories"}, {"--rrule", "rrule"},   {"--show-as", "showAs"},
	{"--label", "label"},       {"--reminder", "reminderMinutes"}, {"--uid", "uid"},
};

/* Parses argv into o; returns an exit status, or -1 to go on. */
static int parse_opts(int argc, char **argv, bool edit, appt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->set = json_object();
	o->all_day = OPT_UNSET;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
		int r;
		if (ac_cli_is_help(a)) {
			fputs(CALENDAR_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(a, "--all-day") == 0 || strcmp(a, "--no-all-day") == 0) {
			o->all_day = a[2] == 'a';
			continue;
		}
		if (strcmp(a, "--private") == 0 || strcmp(a, "--no-private") == 0) {
			json_object_set_new(o->set, "private", json_boolean(a[2] == 'p'));
			continue;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--start", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			o->start = v;
			continue;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--end", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			o->end = v;
			continue;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (!at_recur_zone_known(v))
				return ac_cli_usage("--tz: unknown time zone \"%s\" (give an IANA "
						    "name such as Europe/Paris)", v);
			o->tz = v;
			continue;
		}
		if (!edit && (r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			o->folder = v;
			continue;
		}
		if (edit && (r = ac_cli_option(argc, argv, &i, "--occurrence", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			o->occurrence = v;
			continue;
		}
		if (edit && (r = ac_cli_option(argc, argv, &i, "--this-and-following", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			o->following = v;
			continue;
		}
		if (strcmp(a, "--ignore-conflicts") == 0) {
			o->ignore_conflicts = true;
			continue;
		}
		bool resource = false;
		if ((r = ac_cli_option(argc, argv, &i, "--participant", &v)) != 0 ||
		    (resource = (r = ac_cli_option(argc, argv, &i, "--resource", &v)) != 0)) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (o->participants == NULL)
				o->participants = json_array();
			if (resource && v[0] == '\0')
				return ac_cli_usage("--resource needs the resource's NAME");
			if (v[0] != '\0') {
				json_t *p = resource ? json_pack("{s:s,s:s}", "type", "resource",
								 "login", v)
						     : participant(v);
				if (p == NULL)
					return ac_cli_usage("%s: \"%s\" is not valid UTF-8",
							    resource ? "--resource" : "--participant", v);
				json_array_append_new(o->participants, p);
			}
			continue;
		}
		bool found = false;
		for (size_t k = 0; k < sizeof(plain_opts) / sizeof(plain_opts[0]) && !found; k++) {
			const struct plain_opt *po = &plain_opts[k];
			if ((r = ac_cli_option(argc, argv, &i, po->opt, &v)) == 0)
				continue;
			found = true;
			if (r < 0)
				return AC_EXIT_USAGE;
			json_t *value;
			if (v[0] == '\0') {
				if (!edit)
					continue;
				value = json_null();
			} else if (strcmp(po->field, "categories") == 0) {
				value = ac_split_list(v);
			} else if (strcmp(po->field, "reminderMinutes") == 0) {
				char *end;
				long m = strtol(v, &end, 10);
				if (*end != '\0' || end == v)
					return ac_cli_usage("--reminder takes a number of minutes");
				value = json_integer(m);
			} else if (strcmp(po->field, "showAs") == 0) {
				char c[32];
				camel(strcmp(v, "away") == 0 ? "out-of-office" : v, c, sizeof(c));
				value = json_string(c);
			} else if (strcmp(po->field, "label") == 0) {
				char c[32];
				camel(v, c, sizeof(c));
				value = json_string(c);
			} else {
				value = json_string(v);
			}
			if (value == NULL)
				return ac_cli_usage("%s: the value is not valid UTF-8", po->opt);
			json_object_set_new(o->set, po->field, value);
		}
		if (!found)
			return ac_cli_usage("calendar %s: unknown option or argument \"%s\"",
					    edit ? "edit" : "add", a);
	}
	if (o->occurrence != NULL && o->following != NULL)
		return ac_cli_usage("give --occurrence or --this-and-following, not both");
	return -1;
}

/* The option a field comes from, for messages. */
static const char *option_of(const char *field)
{
	static char buf[AT_MAX_FIELD_NAME * 2 + 3];
	static const struct {
		const char *field, *opt;
	} special[] = {
		{"reminderMinutes", "--reminder"}, {"timeZone", "--tz"}, {"participants", "--participant"},
		{"allDay", "--all-day"},
	};
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strncmp(field, special[i].field, strlen(special[i].field)) == 0)
			return special[i].opt;
	char kebab[AT_MAX_FIELD_NAME * 2];
	at_model_kebab(field, kebab, sizeof(kebab));
	snprintf(buf, sizeof(buf), "--%s", kebab);
	return buf;
}

static int report(const at_error *err)
{
	if (err->field[0] != '\0')
		fprintf(stderr, "atrium: %s: %s\n", option_of(err->field), err->message);
	else
		fprintf(stderr, "atrium: %s\n", err->message);
	return AC_EXIT_ERROR;
}

/* Whole-item check with the server's rules. */
static int validate(json_t *fields)
{
	at_error err;
	if (ac_skip_local_validation())
		return 0;
	at_error_clear(&err);
	if (at_model_validate(appt_type(), fields, false, &err) == 0)
		return 0;
	report(&err);
	return -1;
}

/* Applies the time options of o to fields (a whole series or a copy of one
 * occurrence's fields).  old: whether fields already hold times (edit). */
static int apply_times(const appt_opts *o, json_t *fields, bool old, at_error *err)
{
	/* typed times are read in --tz or the user's zone; the appointment
	 * keeps its own zone (its rule runs there) unless --tz changes it */
	const char *zone = ac_user_zone(o->tz);
	const char *keep = o->tz != NULL ? o->tz
			   : old && ac_jstr(fields, "timeZone") != NULL ? ac_jstr(fields, "timeZone")
			   : zone;
	at_recur_time s = {0}, e = {0}, os = {0}, oe = {0};
	bool have_old = old && at_model_datetime_parse(ac_jstr(fields, "start") ?
						       ac_jstr(fields, "start") : "", &os) == 0 &&
			at_model_datetime_parse(ac_jstr(fields, "end") ?
						ac_jstr(fields, "end") : "", &oe) == 0;
	char ws[AT_DATETIME_SIZE], we[AT_DATETIME_SIZE];
	if (o->start == NULL && o->end == NULL && o->all_day == OPT_UNSET) {
		if (o->tz != NULL && have_old && !os.is_date && os.tzid != NULL)
			json_object_set_new(fields, "timeZone", json_string(o->tz));
		return 0;
	}
	if (o->start != NULL && ac_user_time_parse(o->start, &s) < 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, "start",
				    "\"%s\" is not a date (YYYY-MM-DD) or a time "
				    "(YYYY-MM-DD HH:MM)", o->start);
	if (o->end != NULL && ac_user_time_parse(o->end, &e) < 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, "end",
				    "\"%s\" is not a date (YYYY-MM-DD) or a time "
				    "(YYYY-MM-DD HH:MM)", o->end);
	bool all_day = o->all_day != OPT_UNSET ? o->all_day == 1
		       : o->start != NULL ? s.is_date
		       : have_old && os.is_date;
	if (all_day) {
		/* dates: typed, or the local days of the old times */
		if (o->start == NULL) {
			if (!have_old)
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, "start", "give the first day");
			s = os;
			if (!s.is_date && s.tzid != NULL) {
				int64_t u;
				if (at_recur_to_utc(&s, NULL, &u, err) < 0 ||
				    at_recur_from_utc(u, zone, &s, err) < 0)
					return -1;
			}
			s.is_date = true;
			s.hour = s.minute = s.second = 0;
			s.tzid = NULL;
		}
		if (!s.is_date)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "start", "an all-day appointment starts on a date "
					    "(YYYY-MM-DD)");
		int64_t first = at_recur_days_from_civil(s.year, s.month, s.day), last;
		if (o->end != NULL) {
			if (!e.is_date)
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, "end", "an all-day appointment "
						    "ends on a date (its last day, YYYY-MM-DD)");
			last = at_recur_days_from_civil(e.year, e.month, e.day);
		} else if (have_old && os.is_date && oe.is_date) {
			last = first + at_recur_days_from_civil(oe.year, oe.month, oe.day) -
			       at_recur_days_from_civil(os.year, os.month, os.day) - 1;
		} else {
			last = first;
		}
		if (last < first)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "end", "the last day is before the first");
		e = s;
		at_recur_civil_from_days(last + 1, &e.year, &e.month, &e.day);
		at_model_datetime_format(&s, ws);
		at_model_datetime_format(&e, we);
		json_object_set_new(fields, "allDay", json_true());
		json_object_del(fields, "timeZone");
	} else {
		if (o->start == NULL && (!have_old || os.is_date))
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "start", "give the start time (YYYY-MM-DD HH:MM)");
		if (o->start != NULL && s.is_date)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "start", "give a time with the date, or --all-day");
		if (o->end != NULL && e.is_date)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "end", "give a time with the date");
		bool floating = have_old && os.tzid == NULL && o->start == NULL;
		if (o->start != NULL) {
			if (ac_user_time_wire(&s, zone, ws, err) < 0)
				return -1;
		} else {
			at_model_datetime_format(&os, ws);
		}
		if (o->end != NULL) {
			if (floating) {
				e.tzid = NULL;
				at_model_datetime_format(&e, we);
			} else if (ac_user_time_wire(&e, zone, we, err) < 0) {
				return -1;
			}
		} else {
			/* keep the length (edit), else one hour */
			int64_t len = 3600;
			if (have_old && !os.is_date)
				len = instant_of(ac_jstr(fields, "end"), "UTC") -
				      instant_of(ac_jstr(fields, "start"), "UTC");
			at_recur_time x;
			at_model_datetime_parse(ws, &x);
			int64_t u;
			if (at_recur_to_utc(&x, "UTC", &u, err) < 0 ||
			    at_recur_from_utc(u + len, NULL, &x, err) < 0)
				return -1;
			x.tzid = floating ? NULL : "UTC";
			at_model_datetime_format(&x, we);
		}
		json_object_del(fields, "allDay");
		if (!floating)
			json_object_set_new(fields, "timeZone", json_string(keep));
	}
	json_object_set_new(fields, "start", json_string(ws));
	json_object_set_new(fields, "end", json_string(we));
	return 0;
}

/* A meeting you make or give participants is yours to organise (the
 * server then invites and mails, outsiders included); an imported event
 * keeps its own organizer, and an invitation you received is not yours. */
static void name_organizer(ac_cli *cli, json_t *fields)
{
	if (json_array_size(json_object_get(fields, "participants")) > 0 &&
	    json_object_get(fields, "organizer") == NULL &&
	    json_object_get(fields, "invitation") == NULL && cli->profile != NULL &&
	    cli->profile->user != NULL)
		json_object_set_new(fields, "organizer",
				    json_pack("{s:s}", "login", cli->profile->user));
}

/* Applies the non-time options (o->set, participants) to fields. */
static void apply_plain(const appt_opts *o, json_t *fields)
{
	ac_fields_apply(fields, o->set);
	if (o->participants != NULL) {
		if (json_array_size(o->participants) > 0)
			json_object_set(fields, "participants", o->participants);
		else
			json_object_del(fields, "participants");
	}
	/* without a rule, the exceptions of one have no meaning */
	if (json_object_get(fields, "rrule") == NULL && json_object_get(fields, "rdates") == NULL) {
		json_object_del(fields, "exdates");
		json_object_del(fields, "overrides");
	}
}

static int calendar_folder(ac_cli *cli, const char *folder, char id_r[AC_ID_SIZE],
			   at_error *err)
{
	if (folder != NULL)
		return ac_cli_find_folder(cli, folder, id_r, err);
	return ac_store_default_folder(cli->store, AT_MODULE_CALENDAR, id_r, err);
}

static void new_uid(char buf[AC_ID_SIZE * 2 + 16])
{
	char a[AC_ID_SIZE], b[AC_ID_SIZE];
	ac_random_id(a);
	ac_random_id(b);
	snprintf(buf, AC_ID_SIZE * 2 + 16, "%s%s@atrium", a, b);
}

static int calendar_add(ac_cli *cli, int argc, char **argv)
{
	appt_opts o;
	json_t *fields = json_object();
	char folder_id[AC_ID_SIZE] = "", local_id[AC_ID_SIZE], uid[AC_ID_SIZE * 2 + 16];
	at_error err;
	int ret = parse_opts(argc, argv, false, &o);
	if (ret >= 0)
		goto done;
	ret = AC_EXIT_ERROR;
	if (o.start == NULL) {
		ret = ac_cli_usage("calendar add needs --start");
		goto done;
	}
	at_error_clear(&err);
	if (apply_times(&o, fields, false, &err) < 0) {
		ret = report(&err);
		goto done;
	}
	apply_plain(&o, fields);
	if (json_object_get(fields, "uid") == NULL) {
		new_uid(uid);
		json_object_set_new(fields, "uid", json_string(uid));
	}
	if (validate(fields) < 0)
		goto done;
	if (ac_cli_open_store(cli, &err) < 0 || calendar_folder(cli, o.folder, folder_id, &err) < 0)
	{
		ret = ac_cli_fail(&err);
		goto done;
	}
	name_organizer(cli, fields);
	if (ac_store_begin(cli->store, &err) < 0 ||
	    ac_store_item_add(cli->store, folder_id, "appointment", fields, local_id, &err) < 0 ||
	    (o.ignore_conflicts &&
	     ac_store_item_ignore_conflicts(cli->store, local_id, &err) < 0)) {
		ac_store_rollback(cli->store);
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (ac_store_commit(cli->store, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	printf("%s\n", local_id);
	ret = AC_EXIT_OK;
done:
	opts_free(&o);
	json_decref(fields);
	return ret;
}

/* The appointment ref names: an id or a unique prefix (ac_cli_find_item). */
static int get_appt(ac_cli *cli, const char *ref, ac_item **it_r, at_error *err)
{
	return ac_cli_find_item(cli, "appointment", ref, it_r, err);
}

/* Stores fields as the item's new state (the patch from its current one). */
static int store_fields(ac_cli *cli, const ac_item *it, json_t *fields, at_error *err)
{
	json_t *patch = ac_fields_patch(it->fields, fields);
	int rc = json_object_size(patch) == 0 ? 0
		 : ac_store_item_edit(cli->store, it->local_id, patch, err);
	json_decref(patch);
	return rc;
}

/* The override patch of --occurrence: the options as occurrence fields. */
static int occurrence_patch(const appt_opts *o, json_t *fields, const char *rid,
			    json_t **patch_r, at_error *err)
{
	*patch_r = NULL;
	if (o->all_day != OPT_UNSET)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "allDay", "cannot differ for one occurrence");
	if (o->tz != NULL && o->start == NULL && o->end == NULL)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "timeZone", "cannot differ for one occurrence");
	json_t *patch = json_deep_copy(o->set);
	if (o->participants != NULL)
		json_object_set(patch, "participants", o->participants);
	if (o->start != NULL || o->end != NULL) {
		/* the occurrence's current times, then the options on them */
		at_arena *arena = at_arena_new(0);
		at_appt a;
		at_appt_occurrence *occ;
		size_t n;
		int64_t u = instant_of(rid, ac_user_zone(o->tz));
		json_t *tmp = NULL;
		int rc = at_appt_load(fields, arena, &a, err);
		if (rc == 0)
			rc = at_appt_expand(&a, u - 2 * DAY, u + 2 * DAY, ac_user_zone(o->tz), NULL,
					    arena, &occ, &n, err);
		for (size_t i = 0; rc == 0 && i < n && tmp == NULL; i++) {
			json_t *of = at_appt_occurrence_fields(fields, &a, &occ[i]);
			if (strcmp(ac_jstr(of, "recurrenceId") ? ac_jstr(of, "recurrenceId") : "",
				   rid) == 0)
				tmp = of;
			else
				json_decref(of);
		}
		at_arena_free(&arena);
		if (rc == 0 && tmp == NULL) {
			/* moved far away: start from the override's own times */
			tmp = json_pack("{s:s,s:s}", "start", rid, "end", rid);
		}
		if (rc == 0 && tmp != NULL) {
			appt_opts t = *o;
			t.all_day = OPT_UNSET;
			rc = apply_times(&t, tmp, true, err);
			if (rc == 0) {
				json_object_set(patch, "start", json_object_get(tmp, "start"));
				json_object_set(patch, "end", json_object_get(tmp, "end"));
			}
		}
		json_decref(tmp);
		if (rc < 0) {
			json_decref(patch);
			return -1;
		}
	}
	*patch_r = patch;
	return 0;
}

static int calendar_edit(ac_cli *cli, int argc, char **argv)
{
	appt_opts o;
	ac_item *it = NULL;
	json_t *fields = NULL, *nf = NULL, *patch = NULL;
	char rid[AT_DATETIME_SIZE], uid[AC_ID_SIZE * 2 + 16], local_id[AC_ID_SIZE];
	at_error err;
	int ret;
	memset(&o, 0, sizeof(o));
	if (argc < 1 || ac_cli_is_help(argv[0])) {
		fputs(CALENDAR_USAGE, argc < 1 ? stderr : stdout);
		return argc < 1 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	const char *ref = argv[0];
	ret = parse_opts(argc - 1, argv + 1, true, &o);
	if (ret >= 0)
		goto done;
	ret = AC_EXIT_ERROR;
	if (json_object_size(o.set) == 0 && o.start == NULL && o.end == NULL && o.tz == NULL &&
	    o.all_day == OPT_UNSET && o.participants == NULL && !o.ignore_conflicts) {
		ret = ac_cli_usage("calendar edit needs at least one option to change");
		goto done;
	}
	at_error_clear(&err);
	if (get_appt(cli, ref, &it, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	fields = json_deep_copy(it->fields);
	const char *when = o.occurrence != NULL ? o.occurrence : o.following;
	if (when != NULL && at_appt_find(fields, when, ac_user_zone(o.tz), rid, &err) < 0) {
		ret = report(&err);
		goto done;
	}
	if (o.occurrence != NULL) {
		if (occurrence_patch(&o, fields, rid, &patch, &err) < 0 ||
		    at_appt_override(fields, rid, patch, &err) < 0) {
			ret = report(&err);
			goto done;
		}
	} else {
		json_t *target = fields;
		if (o.following != NULL) {
			new_uid(uid);
			if (at_appt_split(fields, rid, uid, &nf, &err) < 0) {
				ret = report(&err);
				goto done;
			}
			if (nf != NULL)
				target = nf;
		}
		if (apply_times(&o, target, true, &err) < 0) {
			ret = report(&err);
			goto done;
		}
		apply_plain(&o, target);
		if (o.participants != NULL)
			name_organizer(cli, target);
		/* a new time or rule: exceptions that no longer fall on an
		 * occurrence go, as in Outlook */
		size_t dropped = 0;
		if ((o.start != NULL || o.end != NULL || o.tz != NULL || o.all_day != OPT_UNSET ||
		     json_object_get(o.set, "rrule") != NULL) &&
		    at_appt_prune(target, &dropped, &err) == 0 && dropped > 0)
			fprintf(stderr, "atrium: %zu changed or deleted occurrence%s no longer "
				"in the series: dropped\n", dropped, dropped == 1 ? " is" : "s are");
	}
	if (validate(fields) < 0 || (nf != NULL && validate(nf) < 0))
		goto done;
	if (ac_store_begin(cli->store, &err) < 0 || store_fields(cli, it, fields, &err) < 0 ||
	    (nf != NULL && ac_store_item_add(cli->store, it->folder_id, "appointment", nf,
					     local_id, &err) < 0) ||
	    (o.ignore_conflicts &&
	     (ac_store_item_ignore_conflicts(cli->store, it->local_id, &err) < 0 ||
	      (nf != NULL &&
	       ac_store_item_ignore_conflicts(cli->store, local_id, &err) < 0)))) {
		ac_store_rollback(cli->store);
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (ac_store_commit(cli->store, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (nf != NULL)
		printf("%s\n", local_id);  /* the new series */
	ret = AC_EXIT_OK;
done:
	opts_free(&o);
	json_decref(fields);
	json_decref(nf);
	json_decref(patch);
	ac_item_free(&it);
	return ret;
}

static int calendar_delete(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *occurrence = NULL, *tz = NULL, *v;
	ac_item *it = NULL;
	json_t *fields = NULL;
	char rid[AT_DATETIME_SIZE];
	at_error err;
	int ret = AC_EXIT_ERROR, r;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(CALENDAR_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--occurrence", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			occurrence = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			tz = v;
		} else if (argv[i][0] != '-' && ref == NULL) {
			ref = argv[i];
		} else {
			return ac_cli_usage("calendar delete: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (ref == NULL)
		return ac_cli_usage("calendar delete needs an ID");
	at_error_clear(&err);
	if (get_appt(cli, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	if (occurrence == NULL) {
		ret = ac_store_item_delete(cli->store, it->local_id, &err) < 0 ? ac_cli_fail(&err)
									      : AC_EXIT_OK;
		goto done;
	}
	fields = json_deep_copy(it->fields);
	if (at_appt_find(fields, occurrence, ac_user_zone(tz), rid, &err) < 0 ||
	    at_appt_exclude(fields, rid, &err) < 0) {
		ret = report(&err);
		goto done;
	}
	if (validate(fields) < 0)
		goto done;
	if (store_fields(cli, it, fields, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	ret = AC_EXIT_OK;
done:
	json_decref(fields);
	ac_item_free(&it);
	return ret;
}

/* --- list and show --------------------------------------------------------------- */

typedef struct row {
	int64_t start;
	char rid[AT_DATETIME_SIZE];
	json_t *fields;    /* the occurrence's fields */
	const ac_item *item;
} row;

static int cmp_row(const void *x, const void *y)
{
	const row *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	int c = strcmp(a->item->local_id, b->item->local_id);
	return c != 0 ? c : strcmp(a->rid, b->rid);
}

static const char *marker(const ac_item *it, char *buf, size_t size)
{
	if (it->error != NULL) {
		const char *field = ac_jstr(it->error, "field");
		snprintf(buf, size, "[error: %s%s%s]", ac_jstr(it->error, "type") ?
			 ac_jstr(it->error, "type") : "?", field ? " " : "", field ? field : "");
		return buf;
	}
	if (it->state != AC_STATE_SYNCED) {
		snprintf(buf, size, "[pending %s]", ac_item_state_name(it->state));
		return buf;
	}
	return "";
}

/* --from/--to: a date (in zone; --to includes its day) or a time. */
static int range_bound(const char *s, const char *zone, bool upper, int64_t *u_r)
{
	at_recur_time t;
	at_error err;
	if (ac_user_time_parse(s, &t) < 0)
		return -1;
	if (t.is_date) {
		if (upper) {
			int64_t d = at_recur_days_from_civil(t.year, t.month, t.day) + 1;
			at_recur_civil_from_days(d, &t.year, &t.month, &t.day);
		}
		t.is_date = false;
		t.tzid = zone;
	} else if (t.tzid == NULL) {
		t.tzid = zone;
	}
	return at_recur_to_utc(&t, NULL, u_r, &err);
}

static int calendar_list(ac_cli *cli, int argc, char **argv)
{
	const char *folder = NULL, *from_s = NULL, *to_s = NULL, *tz = NULL, *v;
	bool json = false;
	char folder_id[AC_ID_SIZE] = "";
	ac_item_list items = {0}, unfiled = {0};
	row *rows = NULL;
	size_t n_rows = 0, cap = 0;
	at_arena *arena = NULL;
	at_error err;
	int ret = AC_EXIT_ERROR, r;

	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(CALENDAR_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if ((r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			folder = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--from", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			from_s = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--to", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			to_s = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (!at_recur_zone_known(v))
				return ac_cli_usage("--tz: unknown time zone \"%s\"", v);
			tz = v;
		} else {
			return ac_cli_usage("calendar list: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (from_s == NULL || to_s == NULL)
		return ac_cli_usage("calendar list needs --from DATE and --to DATE");
	const char *zone = ac_user_zone(tz);
	int64_t from, to;
	if (range_bound(from_s, zone, false, &from) < 0)
		return ac_cli_usage("--from: \"%s\" is not a date (YYYY-MM-DD)", from_s);
	if (range_bound(to_s, zone, true, &to) < 0)
		return ac_cli_usage("--to: \"%s\" is not a date (YYYY-MM-DD)", to_s);
	if (to <= from)
		return ac_cli_usage("--to is before --from");
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || calendar_folder(cli, folder, folder_id, &err) < 0)
		return ac_cli_fail(&err);
	if (ac_store_items(cli->store, folder_id, &items, &err) < 0 ||
	    (folder == NULL && folder_id[0] != '\0' &&
	     ac_store_items(cli->store, "", &unfiled, &err) < 0)) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	arena = at_arena_new(0);
	size_t problems = 0;
	for (size_t k = 0; k < items.n + unfiled.n; k++) {
		const ac_item *it = k < items.n ? items.v[k] : unfiled.v[k - items.n];
		if (it->state == AC_STATE_DELETED || strcmp(it->type, "appointment") != 0)
			continue;
		at_appt a;
		at_appt_occurrence *occ;
		size_t n;
		at_error_clear(&err);
		if (at_appt_load(it->fields, arena, &a, &err) < 0 ||
		    at_appt_expand(&a, from, to, zone, NULL, arena, &occ, &n, &err) < 0) {
			fprintf(stderr, "atrium: appointment %s: %s\n", it->local_id, err.message);
			problems++;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (n_rows == cap) {
				cap = cap ? cap * 2 : 64;
				rows = realloc(rows, cap * sizeof(*rows));
				if (rows == NULL)
					abort();
			}
			row *w = &rows[n_rows++];
			char s[AT_DATETIME_SIZE], e[AT_DATETIME_SIZE];
			at_appt_occurrence_times(&a, &occ[i], w->rid, s, e);
			w->start = occ[i].occ.start;
			w->fields = at_appt_occurrence_fields(it->fields, &a, &occ[i]);
			w->item = it;
		}
	}
	if (n_rows > 1)
		qsort(rows, n_rows, sizeof(*rows), cmp_row);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n_rows; i++) {
			const row *w = &rows[i];
			char ls[40], le[40];
			bool all_day = json_is_true(json_object_get(w->fields, "allDay"));
			show_time(ac_jstr(w->fields, "start"), zone, false, ls, sizeof(ls));
			show_time(ac_jstr(w->fields, "end"), zone, all_day, le, sizeof(le));
			json_t *o = json_pack("{s:s,s:s?,s:s?,s:s,s:O?,s:O,s:O,s:s,s:s,s:b,s:O?,s:O}",
					      "id", w->item->local_id,
					      "serverId", w->item->server_id[0] ? w->item->server_id : NULL,
					      "folderId", w->item->folder_id[0] ? w->item->folder_id : NULL,
					      "state", ac_item_state_name(w->item->state),
					      "recurrenceId", json_object_get(w->fields, "recurrenceId"),
					      "start", json_object_get(w->fields, "start"),
					      "end", json_object_get(w->fields, "end"),
					      "localStart", ls, "localEnd", le, "allDay", all_day,
					      "subject", json_object_get(w->fields, "subject"),
					      "fields", w->fields);
			json_array_append_new(arr, o);
		}
		ac_print_json(arr);
		json_decref(arr);
	} else {
		char mark[160];
		for (size_t i = 0; i < n_rows; i++) {
			const row *w = &rows[i];
			char ls[40], le[40], title[256];
			bool all_day = json_is_true(json_object_get(w->fields, "allDay"));
			show_time(ac_jstr(w->fields, "start"), zone, false, ls, sizeof(ls));
			show_time(ac_jstr(w->fields, "end"), zone, all_day, le, sizeof(le));
			at_model_item_title(appt_type(), w->fields, title, sizeof(title));
			printf("%s\t%s\t%s\t%s%s\t%s\n", w->item->local_id, ls, le, title,
			       json_object_get(w->fields, "recurrenceId") ? " (series)" : "",
			       marker(w->item, mark, sizeof(mark)));
		}
	}
	ret = problems > 0 ? AC_EXIT_ERROR : AC_EXIT_OK;
done:
	for (size_t i = 0; i < n_rows; i++)
		json_decref(rows[i].fields);
	free(rows);
	at_arena_free(&arena);
	ac_item_list_free(&items);
	ac_item_list_free(&unfiled);
	return ret;
}

/* One line per participant: who, the answer, the comment, a proposal:
 *   participants   Bob Dupont (bob): declined "dentist", proposes
 *                  2024-03-20 14:00 – 2024-03-20 15:00 */
static void print_participants(json_t *list, const char *zone)
{
	size_t i;
	json_t *p;
	json_array_foreach(list, i, p) {
		const char *name = ac_jstr(p, "name"), *login = ac_jstr(p, "login"),
			   *addr = ac_jstr(p, "address"), *type = ac_jstr(p, "type");
		const char *id = login != NULL ? login : addr != NULL ? addr : "?";
		const char *status = ac_jstr(p, "status"), *comment = ac_jstr(p, "comment");
		printf("%-24s ", i == 0 ? "participants" : "");
		if (name != NULL && strcmp(name, id) != 0)
			printf("%s (%s)", name, id);
		else
			printf("%s", id);
		if (type != NULL && strcmp(type, "user") != 0 && strcmp(type, "external") != 0)
			printf(" [%s]", type);
		printf(": %s", status != NULL ? status : "none");
		if (comment != NULL)
			printf(" \"%s\"", comment);
		const char *ps = ac_jstr(p, "proposedStart"), *pe = ac_jstr(p, "proposedEnd");
		if (ps != NULL && pe != NULL) {
			char a[40], b[40];
			show_time(ps, zone, false, a, sizeof(a));
			show_time(pe, zone, true, b, sizeof(b));
			printf(", proposes %s – %s", a, b);
		}
		putchar('\n');
	}
}

static int calendar_show(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *tz = NULL, *v;
	bool json = false;
	ac_item *it = NULL;
	at_error err;
	int r;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(CALENDAR_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			tz = v;
		} else if (argv[i][0] != '-' && ref == NULL)
			ref = argv[i];
		else
			return ac_cli_usage("calendar show: unexpected argument \"%s\"", argv[i]);
	}
	if (ref == NULL)
		return ac_cli_usage("calendar show needs an ID");
	at_error_clear(&err);
	if (get_appt(cli, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	if (json) {
		json_t *o = ac_item_to_json(it);
		ac_print_json(o);
		json_decref(o);
		ac_item_free(&it);
		return AC_EXIT_OK;
	}
	const at_item_type *t = appt_type();
	const char *zone = ac_user_zone(tz);
	char title[256], ls[40], le[40];
	at_model_item_title(t, it->fields, title, sizeof(title));
	bool all_day = json_is_true(json_object_get(it->fields, "allDay"));
	show_time(ac_jstr(it->fields, "start") ? ac_jstr(it->fields, "start") : "", zone, false,
		  ls, sizeof(ls));
	show_time(ac_jstr(it->fields, "end") ? ac_jstr(it->fields, "end") : "", zone, all_day,
		  le, sizeof(le));
	printf("%-24s %s\n", "id", it->local_id);
	printf("%-24s %s\n", "title", title);
	printf("%-24s %s – %s%s (%s)\n", "when", ls, le, all_day ? ", all day" : "", zone);
	ac_print_item_state(it, NULL);
	for (size_t i = 0; i < t->n_fields; i++) {
		json_t *fv = json_object_get(it->fields, t->fields[i].name);
		if (fv != NULL && strcmp(t->fields[i].name, "participants") == 0 &&
		    json_is_array(fv))
			print_participants(fv, zone);
		else if (fv != NULL)
			ac_print_value(t->fields[i].label, fv);
	}
	ac_print_unknown_fields(t, it->fields);
	if (it->ignore_conflicts && it->state != AC_STATE_SYNCED)
		printf("%-24s %s\n", "ignore conflicts", "yes (with the change waiting to be sent)");
	ac_item_free(&it);
	return AC_EXIT_OK;
}

int ac_cmd_calendar(ac_cli *cli, int argc, char **argv)
{
	static const ac_subcommand subs[] = {
		{"list", calendar_list},
		{"show", calendar_show},
		{"add", calendar_add},
		{"edit", calendar_edit},
		{"delete", calendar_delete},
	};
	return ac_cli_subcommand(cli, argc, argv, "calendar", CALENDAR_USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
