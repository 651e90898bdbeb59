/* cli_invite.c — atrium invite list|respond|proposals|accept-proposal.
 *
 * Invitations travel as ordinary appointments (docs/protocol.md,
 * "Invitations, resources and conflicts"): the server puts a copy of the
 * organizer's appointment into each invited user's calendar, marked with
 * `invitation` (the organizer's appointment and login) and `response`
 * "none".  Everything here works on the local store only, offline, like the
 * calendar commands; "atrium sync" sends the answer and brings the others'.
 *
 *   list             the copies still waiting for an answer (response none)
 *   respond          writes response, responseComment and a counter-proposal
 *                    (proposedStart/proposedEnd) on your copy; a new answer
 *                    replaces the last one, proposal included
 *   proposals        the participants of an appointment who proposed another
 *                    time (server-written on the organizer's appointment and
 *                    on every copy)
 *   accept-proposal  the organizer moves the appointment to one participant's
 *                    proposal (its start and end: the proposal's length); the
 *                    server then resets everyone's answer
 *
 * Times typed for --propose are read like the calendar's: wall times in the
 * zone of --tz (else the user's), Z or an offset for an instant; for an
 * all-day appointment, dates, END being the last day. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appointment.h"
#include "common.h"
#include "fields.h"
#include "model.h"
#include "recur.h"

#define INVITE_USAGE \
	"usage: atrium invite list [--tz ZONE] [--json]\n" \
	"       atrium invite respond ID accept|tentative|decline [--comment TEXT]\n" \
	"                             [--propose START END] [--tz ZONE]\n" \
	"       atrium invite proposals ID [--tz ZONE] [--json]\n" \
	"       atrium invite accept-proposal ID LOGIN\n" \
	"\n" \
	"list shows the invitations you have not answered.  respond answers one\n" \
	"(your copy of the organizer's appointment); --propose asks the organizer\n" \
	"for another time: START and END as for calendar add (YYYY-MM-DD HH:MM in\n" \
	"ZONE, or with Z or +HH:MM; dates for an all-day appointment, END being\n" \
	"the last day).  An answer without --propose withdraws an earlier\n" \
	"proposal.  proposals lists who proposed another time for an appointment;\n" \
	"accept-proposal (the organizer's) moves it there, which asks everyone to\n" \
	"answer again.  All of them change the local store; \"atrium sync\" sends\n" \
	"the change.  ID is the appointment's local id, its server id, or the\n" \
	"start of either (at least 4 characters).\n"

static const at_item_type *appt_type(void)
{
	return at_model_item_type("appointment");
}

/* The appointment ref names (ac_cli_find_item). */
static int get_appt(ac_cli *cli, const char *ref, ac_item **it_r, at_error *err)
{
	return ac_cli_find_item(cli, "appointment", ref, it_r, err);
}

/* "Alice Martin (alice)", "alice", "ada@example.org" */
static void person(json_t *p, char *buf, size_t size)
{
	const char *name = ac_jstr(p, "name"), *login = ac_jstr(p, "login"),
		   *addr = ac_jstr(p, "address");
	const char *id = login != NULL ? login : addr != NULL ? addr : "?";
	if (name != NULL && name[0] != '\0' && strcmp(name, id) != 0)
		snprintf(buf, size, "%s (%s)", name, id);
	else
		snprintf(buf, size, "%s", id);
}

/* Who organises a copy: its organizer, else the login of its invitation. */
static void organizer_of(json_t *fields, char *buf, size_t size)
{
	json_t *org = json_object_get(fields, "organizer");
	if (json_is_object(org)) {
		person(org, buf, size);
		return;
	}
	const char *login = ac_jstr(json_object_get(fields, "invitation"), "login");
	snprintf(buf, size, "%s", login != NULL ? login : "?");
}

/* A wire time for people; the end of an all-day stretch as its last day. */
static void show_time(const char *wire, const char *zone, bool end, char *buf, size_t size)
{
	at_recur_time t;
	if (wire == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	if (end && at_model_datetime_parse(wire, &t) == 0 && t.is_date) {
		int64_t d = at_recur_days_from_civil(t.year, t.month, t.day) - 1;
		at_recur_civil_from_days(d, &t.year, &t.month, &t.day);
		snprintf(buf, size, "%04d-%02d-%02d", t.year, t.month, t.day);
		return;
	}
	ac_user_time_show(wire, zone, buf, size);
}

static int64_t instant_of(const char *wire, const char *zone)
{
	at_recur_time t;
	int64_t u = 0;
	at_error ignored;
	if (wire != NULL && at_model_datetime_parse(wire, &t) == 0)
		at_recur_to_utc(&t, zone, &u, &ignored);
	return u;
}

static bool is_invitation(const ac_item *it)
{
	return json_is_object(json_object_get(it->fields, "invitation"));
}

static const char *response_of(json_t *fields)
{
	const char *r = ac_jstr(fields, "response");
	return r != NULL ? r : "none";
}

/* The whole item checked with the server's rules; a message when not. */
static int validate(json_t *fields)
{
	at_error err;
	if (ac_skip_local_validation())
		return 0;
	at_error_clear(&err);
	if (at_model_validate(appt_type(), fields, false, &err) == 0)
		return 0;
	fprintf(stderr, "atrium: %s\n", err.message);
	return -1;
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

static int parse_zone(const char *v, const char **tz_r)
{
	if (!at_recur_zone_known(v))
		return ac_cli_usage("--tz: unknown time zone \"%s\" (give an IANA name such "
				    "as Europe/Paris)", v);
	*tz_r = v;
	return 0;
}

/* --- list ------------------------------------------------------------------- */

typedef struct row {
	int64_t start;
	const ac_item *item;
} row;

static int cmp_row(const void *x, const void *y)
{
	const row *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return strcmp(a->item->local_id, b->item->local_id);
}

static int invite_list(ac_cli *cli, int argc, char **argv)
{
	const char *tz = NULL, *v;
	bool json = false;
	ac_item_list items = {0};
	row *rows = NULL;
	size_t n = 0;
	at_error err;
	int r;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0 || parse_zone(v, &tz) != 0)
				return AC_EXIT_USAGE;
		} else {
			return ac_cli_usage("invite list: unexpected argument \"%s\"", argv[i]);
		}
	}
	const char *zone = ac_user_zone(tz);
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || ac_store_items(cli->store, NULL, &items, &err) < 0)
		return ac_cli_fail(&err);
	rows = calloc(items.n ? items.n : 1, sizeof(*rows));
	if (rows == NULL)
		abort();
	for (size_t i = 0; i < items.n; i++) {
		const ac_item *it = items.v[i];
		if (strcmp(it->type, "appointment") != 0 || it->state == AC_STATE_DELETED ||
		    !is_invitation(it) || strcmp(response_of(it->fields), "none") != 0)
			continue;
		rows[n].item = it;
		rows[n].start = instant_of(ac_jstr(it->fields, "start"), zone);
		n++;
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	json_t *arr = json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		const ac_item *it = rows[i].item;
		json_t *f = it->fields;
		char ls[64], le[64], org[400], title[256];
		bool all_day = json_is_true(json_object_get(f, "allDay"));
		show_time(ac_jstr(f, "start"), zone, false, ls, sizeof(ls));
		show_time(ac_jstr(f, "end"), zone, true, le, sizeof(le));
		organizer_of(f, org, sizeof(org));
		at_model_item_title(appt_type(), f, title, sizeof(title));
		if (json) {
			json_array_append_new(arr, json_pack(
				"{s:s,s:s?,s:s?,s:s,s:O?,s:O?,s:O?,s:s,s:s,s:b,s:O?,s:O?,s:O?,s:O}",
				"id", it->local_id,
				"serverId", it->server_id[0] ? it->server_id : NULL,
				"folderId", it->folder_id[0] ? it->folder_id : NULL,
				"state", ac_item_state_name(it->state),
				"subject", json_object_get(f, "subject"),
				"start", json_object_get(f, "start"),
				"end", json_object_get(f, "end"),
				"localStart", ls, "localEnd", le, "allDay", all_day,
				"organizer", json_object_get(f, "organizer"),
				"invitation", json_object_get(f, "invitation"),
				"rrule", json_object_get(f, "rrule"),
				"fields", f));
		} else {
			const char *loc = ac_jstr(f, "location");
			printf("%s\t%s – %s\t%s%s\tfrom %s%s%s\n", it->local_id, ls, le, title,
			       json_object_get(f, "rrule") != NULL ? " (series)" : "", org,
			       loc != NULL ? "\t@ " : "", loc != NULL ? loc : "");
		}
	}
	if (json)
		ac_print_json(arr);
	json_decref(arr);
	free(rows);
	ac_item_list_free(&items);
	return AC_EXIT_OK;
}

/* --- respond ---------------------------------------------------------------- */

/* START and END of --propose as wire times of the kind of the appointment's
 * start: dates (END the last day, stored as the day after), floating wall
 * times, or UTC instants. */
static int proposal_times(json_t *fields, const char *start, const char *end, const char *zone,
			  char s_r[AT_DATETIME_SIZE], char e_r[AT_DATETIME_SIZE], at_error *err)
{
	at_recur_time kind, s, e;
	if (at_model_datetime_parse(ac_jstr(fields, "start") ? ac_jstr(fields, "start") : "",
				    &kind) < 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, "start",
				    "the appointment has no valid start");
	if (ac_user_time_parse(start, &s) < 0 || ac_user_time_parse(end, &e) < 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "proposedStart", "--propose: \"%s\" is not a date (YYYY-MM-DD) "
				    "or a time (YYYY-MM-DD HH:MM)",
				    ac_user_time_parse(start, &s) < 0 ? start : end);
	if (kind.is_date) {
		if (!s.is_date || !e.is_date)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "proposedStart", "--propose: the appointment lasts whole "
					    "days: give the first and the last day (YYYY-MM-DD)");
		int64_t first = at_recur_days_from_civil(s.year, s.month, s.day);
		int64_t last = at_recur_days_from_civil(e.year, e.month, e.day);
		if (last < first)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    "proposedEnd", "--propose: the last day is before the "
					    "first");
		at_recur_civil_from_days(last + 1, &e.year, &e.month, &e.day);
		at_model_datetime_format(&s, s_r);
		at_model_datetime_format(&e, e_r);
		return 0;
	}
	if (s.is_date || e.is_date)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "proposedStart", "--propose: give times (YYYY-MM-DD HH:MM), "
				    "not dates");
	if (kind.tzid == NULL) {
		/* a floating appointment: wall times wherever one is */
		if (s.tzid != NULL || e.tzid != NULL)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, "proposedStart", "--propose: the "
					    "appointment has a floating time: give local times "
					    "without Z or an offset");
		at_model_datetime_format(&s, s_r);
		at_model_datetime_format(&e, e_r);
	} else if (ac_user_time_wire(&s, zone, s_r, err) < 0 ||
		   ac_user_time_wire(&e, zone, e_r, err) < 0) {
		return -1;
	}
	if (instant_of(e_r, "UTC") <= instant_of(s_r, "UTC"))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "proposedEnd", "--propose: the end must be after the start");
	return 0;
}

static int invite_respond(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *answer = NULL, *comment = NULL, *tz = NULL, *v;
	const char *pstart = NULL, *pend = NULL;
	ac_item *it = NULL;
	json_t *fields = NULL;
	at_error err;
	int ret = AC_EXIT_ERROR, r;
	for (int i = 0; i < argc; i++) {
		if ((r = ac_cli_option(argc, argv, &i, "--comment", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			comment = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0 || parse_zone(v, &tz) != 0)
				return AC_EXIT_USAGE;
		} else if (strcmp(argv[i], "--propose") == 0) {
			if (i + 2 >= argc)
				return ac_cli_usage("--propose needs START and END");
			pstart = argv[++i];
			pend = argv[++i];
		} else if (argv[i][0] != '-' && ref == NULL) {
			ref = argv[i];
		} else if (argv[i][0] != '-' && answer == NULL) {
			answer = argv[i];
		} else {
			return ac_cli_usage("invite respond: unexpected argument \"%s\"", argv[i]);
		}
	}
	const char *response = ac_answer_status(answer);
	if (ref == NULL || response == NULL)
		return ac_cli_usage("invite respond needs an ID and accept, tentative or decline");
	at_error_clear(&err);
	if (get_appt(cli, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	if (!is_invitation(it)) {
		fprintf(stderr, "atrium: appointment %s is not an invitation (it has no "
			"organizer's appointment behind it): there is nothing to answer%s\n", ref,
			json_object_get(it->fields, "participants") != NULL
				? "; you organise it" : "");
		goto done;
	}
	fields = json_deep_copy(it->fields);
	json_object_set_new(fields, "response", json_string(response));
	if (comment != NULL && comment[0] != '\0') {
		json_t *c = json_string(comment);
		if (c == NULL) {
			ret = ac_cli_usage("--comment: the value is not valid UTF-8");
			goto done;
		}
		json_object_set_new(fields, "responseComment", c);
	} else if (comment != NULL) {
		json_object_del(fields, "responseComment");
	}
	char ps[AT_DATETIME_SIZE], pe[AT_DATETIME_SIZE];
	const char *zone = ac_user_zone(tz);
	if (pstart != NULL) {
		if (proposal_times(it->fields, pstart, pend, zone, ps, pe, &err) < 0) {
			fprintf(stderr, "atrium: %s\n", err.message);
			goto done;
		}
		json_object_set_new(fields, "proposedStart", json_string(ps));
		json_object_set_new(fields, "proposedEnd", json_string(pe));
	} else {
		/* a new answer replaces the last one, its proposal too */
		json_object_del(fields, "proposedStart");
		json_object_del(fields, "proposedEnd");
	}
	if (validate(fields) < 0)
		goto done;
	if (store_fields(cli, it, fields, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	char org[400];
	organizer_of(it->fields, org, sizeof(org));
	if (pstart != NULL) {
		char a[64], b[64];
		show_time(ps, zone, false, a, sizeof(a));
		show_time(pe, zone, true, b, sizeof(b));
		printf("%s: %s, proposing %s – %s to %s (sent by the next sync)\n", it->local_id,
		       response, a, b, org);
	} else {
		printf("%s: %s (sent to %s by the next sync)\n", it->local_id, response, org);
	}
	ret = AC_EXIT_OK;
done:
	json_decref(fields);
	ac_item_free(&it);
	return ret;
}

/* --- proposals -------------------------------------------------------------- */

static bool has_proposal(json_t *p)
{
	return json_is_string(json_object_get(p, "proposedStart")) &&
	       json_is_string(json_object_get(p, "proposedEnd"));
}

static int invite_proposals(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *tz = NULL, *v;
	bool json = false;
	ac_item *it = NULL;
	at_error err;
	int r;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0 || parse_zone(v, &tz) != 0)
				return AC_EXIT_USAGE;
		} else if (argv[i][0] != '-' && ref == NULL) {
			ref = argv[i];
		} else {
			return ac_cli_usage("invite proposals: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (ref == NULL)
		return ac_cli_usage("invite proposals needs an ID");
	at_error_clear(&err);
	if (get_appt(cli, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	const char *zone = ac_user_zone(tz);
	json_t *parts = json_object_get(it->fields, "participants");
	json_t *arr = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p) {
		if (!has_proposal(p))
			continue;
		char ls[64], le[64];
		show_time(ac_jstr(p, "proposedStart"), zone, false, ls, sizeof(ls));
		show_time(ac_jstr(p, "proposedEnd"), zone, true, le, sizeof(le));
		json_t *o = json_deep_copy(p);
		json_object_set_new(o, "localStart", json_string(ls));
		json_object_set_new(o, "localEnd", json_string(le));
		json_array_append_new(arr, o);
	}
	if (json) {
		ac_print_json(arr);
	} else if (json_array_size(arr) == 0) {
		fprintf(stderr, "atrium: nobody proposed another time for appointment %s\n", ref);
	} else {
		json_array_foreach(arr, i, p) {
			char who[400];
			const char *comment = ac_jstr(p, "comment");
			person(p, who, sizeof(who));
			printf("%s\t%s – %s\t%s%s%s\n", who, ac_jstr(p, "localStart"),
			       ac_jstr(p, "localEnd"), ac_jstr(p, "status") ? ac_jstr(p, "status")
									     : "none",
			       comment != NULL ? "\t" : "", comment != NULL ? comment : "");
		}
	}
	json_decref(arr);
	ac_item_free(&it);
	return AC_EXIT_OK;
}

/* --- accept-proposal ----------------------------------------------------------- */

static int invite_accept_proposal(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *who = NULL;
	ac_item *it = NULL;
	json_t *fields = NULL;
	at_error err;
	int ret = AC_EXIT_ERROR;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] != '-' && ref == NULL)
			ref = argv[i];
		else if (argv[i][0] != '-' && who == NULL)
			who = argv[i];
		else
			return ac_cli_usage("invite accept-proposal: unexpected argument \"%s\"",
					    argv[i]);
	}
	if (ref == NULL || who == NULL)
		return ac_cli_usage("invite accept-proposal needs an ID and the LOGIN of a "
				    "participant");
	at_error_clear(&err);
	if (get_appt(cli, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	if (is_invitation(it)) {
		char org[400];
		organizer_of(it->fields, org, sizeof(org));
		fprintf(stderr, "atrium: appointment %s is an invitation from %s: only the "
			"organizer moves it (propose a time with \"atrium invite respond ID "
			"accept --propose START END\")\n", ref, org);
		goto done;
	}
	json_t *parts = json_object_get(it->fields, "participants");
	json_t *found = NULL;
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p) {
		const char *login = ac_jstr(p, "login"), *addr = ac_jstr(p, "address");
		if ((login != NULL && strcmp(login, who) == 0) ||
		    (addr != NULL && strcasecmp(addr, who) == 0))
			found = p;
	}
	if (found == NULL) {
		fprintf(stderr, "atrium: %s is not a participant of appointment %s\n", who, ref);
		goto done;
	}
	if (!has_proposal(found)) {
		fprintf(stderr, "atrium: %s has proposed no other time for appointment %s (as "
			"of the last sync)\n", who, ref);
		goto done;
	}
	const char *ps = ac_jstr(found, "proposedStart"), *pe = ac_jstr(found, "proposedEnd");
	at_recur_time t;
	if (at_model_datetime_parse(ps, &t) < 0) {
		fprintf(stderr, "atrium: the proposal of %s is not a valid time\n", who);
		goto done;
	}
	fields = json_deep_copy(it->fields);
	json_object_set_new(fields, "start", json_string(ps));
	json_object_set_new(fields, "end", json_string(pe));
	if (t.is_date) {
		json_object_set_new(fields, "allDay", json_true());
		json_object_del(fields, "timeZone");
	} else {
		json_object_del(fields, "allDay");
	}
	/* changed occurrences that no longer fall on the series go, as on any
	 * new time (calendar edit) */
	size_t dropped = 0;
	if (at_appt_prune(fields, &dropped, &err) == 0 && dropped > 0)
		fprintf(stderr, "atrium: %zu changed or deleted occurrence%s no longer in the "
			"series: dropped\n", dropped, dropped == 1 ? " is" : "s are");
	if (validate(fields) < 0)
		goto done;
	if (store_fields(cli, it, fields, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	char a[64], b[64];
	const char *zone = ac_user_zone(NULL);
	show_time(ps, zone, false, a, sizeof(a));
	show_time(pe, zone, true, b, sizeof(b));
	printf("%s: moved to %s – %s, as %s proposed (sent by the next sync; everyone "
	       "answers again)\n", it->local_id, a, b, who);
	ret = AC_EXIT_OK;
done:
	json_decref(fields);
	ac_item_free(&it);
	return ret;
}

int ac_cmd_invite(ac_cli *cli, int argc, char **argv)
{
	static const ac_subcommand subs[] = {
		{"list", invite_list},
		{"respond", invite_respond},
		{"proposals", invite_proposals},
		{"accept-proposal", invite_accept_proposal},
	};
	for (int i = 2; i < argc; i++)
		if (ac_cli_is_help(argv[i])) {
			fputs(INVITE_USAGE, stdout);
			return AC_EXIT_OK;
		}
	return ac_cli_subcommand(cli, argc, argv, "invite", INVITE_USAGE, subs,
				 sizeof(subs) / sizeof(subs[0]));
}
