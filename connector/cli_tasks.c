/* cli_tasks.c — atrium tasks list|show|add|edit|done|delete, and atrium task
 * delegate|withdraw|respond.
 *
 * Like the other item commands these work on the local store only
 * (offline); "atrium sync" sends the changes, and the server does the rest
 * (task.h, DESIGN §5): it keeps status, % complete and date completed
 * coherent, writes the next occurrence of a series when one is completed,
 * and makes the assignees' copies of a delegated task.  The connector never
 * makes a next occurrence itself: it arrives by sync.  So that the local
 * view is coherent before a sync, every change is passed through
 * at_task_normalize() here too, and checked with the server's rules
 * (at_model_validate; skipped with ATRIUM_SKIP_LOCAL_VALIDATION=1).
 *
 * Options of add and edit are the model's fields in kebab-case (common.h:
 * --subject, --due, --total-work-minutes, --billing-information...) plus a
 * few shorter ones: --percent, --category (repeatable), --tz, --every-workday
 * and --regenerate 1w (at_task_regenerate_parse).  Dates are typed as in
 * the calendar commands: a date stays a date; a time without a zone is read
 * in --tz (else the user's zone) and stored as a UTC instant, the task
 * taking that zone as its timeZone.
 *
 * Delegation is a change of the task's participants, sent by the next
 * sync like any other: "task delegate" adds assignees (users, @groups,
 * external addresses), "task withdraw" removes them; "task respond" writes
 * the answer on an assignee's copy (a task with a delegator).
 *
 * IDs: a task's local id, its server id, or a prefix of either (at least
 * four characters) naming one task; listings show the first eight
 * characters of the local id. */
#include "cli.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common.h"
#include "fields.h"
#include "model.h"
#include "task.h"
#include "tree.h"

#define TASKS_USAGE \
	"usage: atrium tasks list [--folder PATH] [--status STATUS|open] [--tz ZONE] [--json]\n" \
	"       atrium tasks show ID [--tz ZONE] [--json]\n" \
	"       atrium tasks add --subject S [OPTIONS] [--folder PATH]\n" \
	"       atrium tasks edit ID OPTIONS       (OPTION '' removes a value)\n" \
	"       atrium tasks done ID\n" \
	"       atrium tasks delete ID\n" \
	"       atrium task delegate|withdraw|respond ...   (atrium task --help)\n" \
	"\n" \
	"options of add and edit:\n" \
	"  --subject S  --notes T  --category C (repeatable)  --private / --no-private\n" \
	"  --start DATE  --due DATE  --reminder TIME  --date-completed DATE\n" \
	"                        YYYY-MM-DD, or YYYY-MM-DD HH:MM in the zone of --tz\n" \
	"                        (default: yours: $TZ or the system's), or with Z\n" \
	"  --tz ZONE             IANA time zone of the task's times and rule\n" \
	"  --status notStarted|inProgress|completed|waiting|deferred\n" \
	"  --percent N           % complete, 0-100\n" \
	"  --priority low|normal|high\n" \
	"  --rrule RULE          RFC 5545 rule: FREQ=WEEKLY;BYDAY=FR;COUNT=10\n" \
	"  --every-workday       the rule " AT_RECUR_WORKDAYS "\n" \
	"  --regenerate N        a new task N after each completion: 2d, 1w, 3m, 1y\n" \
	"  --total-work-minutes N  --actual-work-minutes N  --companies T\n" \
	"  --mileage T  --billing-information T  --contacts A,B  --uid UID\n" \
	"\n" \
	"Status, % complete and date completed follow each other (completed is\n" \
	"100 %).  Completing a task of a series (done) leaves it completed; the\n" \
	"server makes the next one, which the next sync brings.  list shows every\n" \
	"task of your synced task folders, by due date; --status open leaves out\n" \
	"completed ones.  ID is a task's local id, server id, or a prefix of one.\n"

#define TASK_USAGE \
	"usage: atrium task delegate ID ASSIGNEE...\n" \
	"       atrium task withdraw ID [ASSIGNEE...]\n" \
	"       atrium task respond ID accept|tentative|decline [--comment TEXT]\n" \
	"\n" \
	"ASSIGNEE is a LOGIN, @GROUP (the server gives each member a copy) or an\n" \
	"e-mail ADDRESS (notified by mail only).  The server puts a copy of the\n" \
	"task into each assignee's Tasks folder at the next sync; withdraw removes\n" \
	"the assignees named (all of them when none is) and their copies.  respond\n" \
	"answers on your copy of a task delegated to you; your status and % complete\n" \
	"(atrium tasks edit) flow back to the one who delegated it.\n"

#define SHORT_ID 8
#define NO_DUE INT64_MAX

static const at_item_type *task_type(void)
{
	return &at_model_task;
}

/* --- finding a task ---------------------------------------------------------------- */

/* The task ref names (ac_cli_find_item). */
static int get_task(ac_cli *cli, const char *ref, ac_item **it_r, at_error *err)
{
	return ac_cli_find_item(cli, "task", ref, it_r, err);
}

/* --- checking and storing ------------------------------------------------------------ */

/* The option a field (or a path inside one) comes from, for messages. */
static void option_of(const char *field, char *buf, size_t size)
{
	static const struct {
		const char *field, *opt;
	} special[] = {
		{"percentComplete", "--percent"}, {"timeZone", "--tz"},
		{"categories", "--category"},     {"participants", "assignees"},
		{"delegator", "delegator"},       {"responseComment", "--comment"},
		{"response", "the answer"},
	};
	char name[AT_MAX_FIELD_NAME + 1];
	size_t n = strcspn(field, ".[");
	snprintf(name, sizeof(name), "%.*s", (int)(n < AT_MAX_FIELD_NAME ? n : AT_MAX_FIELD_NAME),
		 field);
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strcmp(name, special[i].field) == 0) {
			snprintf(buf, size, "%s", special[i].opt);
			return;
		}
	char kebab[AT_MAX_FIELD_NAME * 2];
	at_model_kebab(name, kebab, sizeof(kebab));
	snprintf(buf, size, "--%s", kebab);
}

/* "atrium: --OPTION: MESSAGE"; returns AC_EXIT_ERROR. */
static int report(const at_error *err)
{
	char opt[AT_MAX_FIELD_NAME * 2 + 3];
	if (err->field[0] != '\0' && strcmp(err->field, "id") != 0) {
		option_of(err->field, opt, sizeof(opt));
		fprintf(stderr, "atrium: %s: %s\n", opt, err->message[0] ? err->message : err->code);
		return AC_EXIT_ERROR;
	}
	return ac_cli_fail(err);
}

/* Checks the whole task with the server's rules; an exit status, or -1 to
 * go on. */
static int check(json_t *fields)
{
	at_error err;
	at_error_clear(&err);
	if (ac_skip_local_validation())
		return -1;
	if (at_model_validate(task_type(), fields, false, &err) < 0)
		return report(&err);
	return -1;
}

/* Makes the task coherent (sent: what the user changed, NULL: all of it),
 * then check(). */
static int settle(json_t *fields, json_t *sent)
{
	at_error err;
	at_error_clear(&err);
	if (at_task_normalize(fields, sent, (int64_t)time(NULL), NULL, &err) < 0)
		return report(&err);
	return check(fields);
}

/* Stores fields as the task's new state (the patch from its current one). */
static int store_fields(ac_cli *cli, const ac_item *it, json_t *fields)
{
	at_error err;
	at_error_clear(&err);
	json_t *patch = ac_fields_patch(it->fields, fields);
	int rc = json_object_size(patch) == 0 ? 0
		 : ac_store_item_edit(cli->store, it->local_id, patch, &err);
	json_decref(patch);
	return rc < 0 ? ac_cli_fail(&err) : AC_EXIT_OK;
}

/* --- options of add and edit ------------------------------------------------------------ */

typedef struct task_opts {
	json_t *set;         /* fields given (null: remove) */
	json_t *categories;  /* --category values, NULL when none */
	json_t *times;       /* DATETIME fields as typed: {field: text} */
	const char *tz;
	const char *folder;
	int rules;           /* how many of --rrule, --every-workday, --regenerate */
} task_opts;

static void opts_free(task_opts *o)
{
	json_decref(o->set);
	json_decref(o->categories);
	json_decref(o->times);
}

/* Fields the options do not reach: the server writes them, or the task
 * command changes them. */
static bool managed_elsewhere(const char *field)
{
	for (size_t i = 0; at_task_server_fields[i] != NULL; i++)
		if (strcmp(at_task_server_fields[i], field) == 0)
			return true;
	return strcmp(field, "participants") == 0 || strcmp(field, "delegator") == 0 ||
	       strcmp(field, "response") == 0 || strcmp(field, "responseComment") == 0;
}

static int set_value(task_opts *o, const at_field_def *f, const char *text, bool edit)
{
	json_t *v;
	at_error err;
	at_error_clear(&err);
	if (f->type == AT_FT_DATETIME && text[0] != '\0') {
		json_object_set_new(o->times, f->name, json_string(text));
		return -1;
	}
	if (ac_field_value(f, text, edit, &v, &err) < 0) {
		char opt[AT_MAX_FIELD_NAME * 2 + 3];
		option_of(f->name, opt, sizeof(opt));
		return ac_cli_usage("%s: %s", opt, err.message);
	}
	if (f->type == AT_FT_DATETIME)
		json_object_del(o->times, f->name);
	if (v != NULL)
		json_object_set_new(o->set, f->name, v);
	return -1;
}

/* Parses argv into o; an exit status, or -1 to go on. */
static int parse_opts(int argc, char **argv, bool edit, task_opts *o)
{
	const at_item_type *t = task_type();
	const char *v;
	int r;
	memset(o, 0, sizeof(*o));
	o->set = json_object();
	o->times = json_object();
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		at_error err;
		at_error_clear(&err);
		if (ac_cli_is_help(a)) {
			fputs(TASKS_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (!edit && (r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			o->folder = v;
			continue;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0 ||
		    (r = ac_cli_option(argc, argv, &i, "--time-zone", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (v[0] != '\0' && !at_recur_zone_known(v))
				return ac_cli_usage("--tz: unknown time zone \"%s\" (give an IANA "
						    "name such as Europe/Paris)", v);
			o->tz = v[0] != '\0' ? v : NULL;
			if (v[0] != '\0' || edit)
				json_object_set_new(o->set, "timeZone",
						    v[0] != '\0' ? json_string(v) : json_null());
			continue;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--percent", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if ((r = set_value(o, at_model_field(t, "percentComplete"), v, edit)) >= 0)
				return r;
			continue;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--category", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (o->categories == NULL)
				o->categories = json_array();
			if (v[0] != '\0') {
				json_t *s = json_string(v);
				if (s == NULL)
					return ac_cli_usage("--category: the value is not valid UTF-8");
				json_array_append_new(o->categories, s);
			}
			continue;
		}
		if (strcmp(a, "--every-workday") == 0) {
			json_object_set_new(o->set, "rrule", json_string(AT_RECUR_WORKDAYS));
			o->rules++;
			continue;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--regenerate", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (v[0] == '\0') {
				if (edit)
					json_object_set_new(o->set, "regenerate", json_null());
				continue;
			}
			json_t *g = at_task_regenerate_parse(v, &err);
			if (g == NULL)
				return ac_cli_usage("--regenerate: %s", err.message[0] ? err.message :
						    "give a period such as 2d, 1w, 3m or 1y");
			json_object_set_new(o->set, "regenerate", g);
			o->rules++;
			continue;
		}
		const at_field_def *f;
		r = ac_field_option(t, argc, argv, &i, &f, &v, &err);
		if (r < 0)
			return ac_cli_usage("%s", err.message);
		if (r == 0 || managed_elsewhere(f->name) || strcmp(f->name, "timeZone") == 0)
			return ac_cli_usage("tasks %s: unknown option or argument \"%s\"",
					    edit ? "edit" : "add", a);
		if (strcmp(f->name, "rrule") == 0 && v[0] != '\0')
			o->rules++;
		if ((r = set_value(o, f, v, edit)) >= 0)
			return r;
	}
	if (o->rules > 1)
		return ac_cli_usage("give one of --rrule, --every-workday and --regenerate");
	/* a rule of one kind replaces one of the other */
	if (o->rules == 1) {
		bool regen = json_is_object(json_object_get(o->set, "regenerate"));
		json_object_set_new(o->set, regen ? "rrule" : "regenerate", json_null());
	}
	if (o->categories != NULL)
		json_object_set(o->set, "categories", json_array_size(o->categories) > 0
				? o->categories : json_null());
	return -1;
}

/* Turns the typed times of o into wire values in o->set. */
static int convert_times(task_opts *o, json_t *current)
{
	const char *zone = ac_user_zone(o->tz);
	const char *name;
	json_t *text;
	bool wall = false;
	json_object_foreach(o->times, name, text) {
		at_recur_time t;
		char wire[AT_DATETIME_SIZE], opt[AT_MAX_FIELD_NAME * 2 + 3];
		at_error err;
		at_error_clear(&err);
		option_of(name, opt, sizeof(opt));
		if (ac_user_time_parse(json_string_value(text), &t) < 0)
			return ac_cli_usage("%s: \"%s\" is not a date (YYYY-MM-DD) or a time "
					    "(YYYY-MM-DD HH:MM)", opt, json_string_value(text));
		if (!t.is_date && t.tzid == NULL)
			wall = true;
		if (ac_user_time_wire(&t, zone, wire, &err) < 0) {
			fprintf(stderr, "atrium: %s: %s\n", opt, err.message);
			return AC_EXIT_ERROR;
		}
		json_object_set_new(o->set, name, json_string(wire));
	}
	/* a time typed on the user's clock: the task keeps that zone */
	if (wall && json_object_get(o->set, "timeZone") == NULL &&
	    ac_jstr(current, "timeZone") == NULL)
		json_object_set_new(o->set, "timeZone", json_string(zone));
	return -1;
}

/* The folder of a new task: PATH, else the default Tasks folder (or ""
 * before the first sync).  Refuses folders of other modules. */
static int task_folder(ac_cli *cli, const char *path, char id_r[AC_ID_SIZE], at_error *err)
{
	if (path == NULL)
		return ac_store_default_folder(cli->store, AT_MODULE_TASKS, id_r, err);
	if (ac_cli_find_folder(cli, path, id_r, err) < 0)
		return -1;
	ac_folder_list list;
	if (ac_store_folders(cli->store, &list, err) < 0)
		return -1;
	int ret = 0;
	for (size_t i = 0; i < list.n; i++) {
		const char *mod = ac_jstr(list.v[i].json, "module");
		if (strcmp(list.v[i].id, id_r) == 0 && (mod == NULL || strcmp(mod, "tasks") != 0))
			ret = at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
					   AT_RETRY_FINAL, "folder", "--folder: %s is a %s "
					   "folder, not a tasks folder", path, mod ? mod : "?");
	}
	ac_folder_list_free(&list);
	return ret;
}

static int tasks_add(ac_cli *cli, int argc, char **argv)
{
	task_opts o;
	json_t *fields = json_object();
	char folder_id[AC_ID_SIZE] = "", local_id[AC_ID_SIZE];
	at_error err;
	int ret = parse_opts(argc, argv, false, &o);
	if (ret >= 0)
		goto done;
	if (json_object_get(o.set, "subject") == NULL) {
		ret = ac_cli_usage("tasks add needs --subject");
		goto done;
	}
	if ((ret = convert_times(&o, fields)) >= 0)
		goto done;
	ac_fields_apply(fields, o.set);
	if (json_object_get(fields, "uid") == NULL) {
		/* the iCalendar UID of the task, as "calendar add" makes one */
		char a[AC_ID_SIZE], b[AC_ID_SIZE], uid[AC_ID_SIZE * 2 + 16];
		ac_random_id(a);
		ac_random_id(b);
		snprintf(uid, sizeof(uid), "%s%s@atrium", a, b);
		json_object_set_new(fields, "uid", json_string(uid));
	}
	if ((ret = settle(fields, NULL)) >= 0)
		goto done;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || task_folder(cli, o.folder, folder_id, &err) < 0 ||
	    ac_store_item_add(cli->store, folder_id, "task", fields, local_id, &err) < 0) {
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

static int tasks_edit(ac_cli *cli, int argc, char **argv)
{
	task_opts o;
	ac_item *it = NULL;
	json_t *fields = NULL;
	at_error err;
	int ret;
	memset(&o, 0, sizeof(o));
	if (argc < 1 || ac_cli_is_help(argv[0])) {
		fputs(TASKS_USAGE, argc < 1 ? stderr : stdout);
		return argc < 1 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	if ((ret = parse_opts(argc - 1, argv + 1, true, &o)) >= 0)
		goto done;
	if (json_object_size(o.set) == 0 && json_object_size(o.times) == 0) {
		ret = ac_cli_usage("tasks edit needs at least one option to change");
		goto done;
	}
	at_error_clear(&err);
	if (get_task(cli, argv[0], &it, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if ((ret = convert_times(&o, it->fields)) >= 0)
		goto done;
	fields = json_deep_copy(it->fields);
	ac_fields_apply(fields, o.set);
	if ((ret = settle(fields, o.set)) >= 0)
		goto done;
	ret = store_fields(cli, it, fields);
done:
	opts_free(&o);
	json_decref(fields);
	ac_item_free(&it);
	return ret;
}

/* tasks done ID / tasks delete ID */
static int tasks_one(ac_cli *cli, int argc, char **argv, bool done_cmd)
{
	ac_item *it = NULL;
	json_t *fields = NULL, *sent = NULL;
	at_error err;
	int ret;
	if (argc != 1 || ac_cli_is_help(argv[0])) {
		fputs(TASKS_USAGE, argc != 1 ? stderr : stdout);
		return argc != 1 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	at_error_clear(&err);
	if (get_task(cli, argv[0], &it, &err) < 0)
		return ac_cli_fail(&err);
	if (!done_cmd) {
		ret = ac_store_item_delete(cli->store, it->local_id, &err) < 0 ? ac_cli_fail(&err)
									      : AC_EXIT_OK;
		goto done;
	}
	if (at_task_is_completed(it->fields)) {
		printf("already completed\n");
		ret = AC_EXIT_OK;
		goto done;
	}
	/* the rule stays: the server sees the series completed and makes the
	 * next occurrence (a rule removed here would end the series) */
	fields = json_deep_copy(it->fields);
	sent = json_pack("{s:s}", "status", "completed");
	ac_fields_apply(fields, sent);
	if ((ret = settle(fields, sent)) >= 0)
		goto done;
	ret = store_fields(cli, it, fields);
	if (ret == AC_EXIT_OK && at_task_is_series(fields))
		printf("completed; the next task of the series comes with the next sync\n");
done:
	json_decref(fields);
	json_decref(sent);
	ac_item_free(&it);
	return ret;
}

/* --- list and show --------------------------------------------------------------------- */

typedef struct task_row {
	int64_t due;        /* UTC seconds, NO_DUE without a due date */
	char subject[256];
	ac_item *item;      /* borrowed from the lists */
} task_row;

static int cmp_row(const void *x, const void *y)
{
	const task_row *a = x, *b = y;
	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	int c = strcasecmp(a->subject, b->subject);
	return c != 0 ? c : strcmp(a->item->local_id, b->item->local_id);
}

/* A DATETIME as UTC seconds (dates and floating times in zone). */
static int64_t instant(const char *wire, const char *zone)
{
	at_recur_time t;
	at_error ignored;
	int64_t u;
	if (wire == NULL || at_model_datetime_parse(wire, &t) < 0 ||
	    at_recur_to_utc(&t, zone, &u, &ignored) < 0)
		return NO_DUE;
	return u;
}

static bool status_known(const char *s)
{
	const at_field_def *f = at_model_field(task_type(), "status");
	for (size_t i = 0; f->values[i] != NULL; i++)
		if (strcmp(f->values[i], s) == 0)
			return true;
	return false;
}

static bool status_matches(json_t *fields, const char *want)
{
	if (want == NULL)
		return true;
	if (strcmp(want, "open") == 0)
		return !at_task_is_completed(fields);
	const char *s = ac_jstr(fields, "status");
	return strcmp(s != NULL ? s : "notStarted", want) == 0;
}

/* "[series] [delegated to 2] [from alice] [pending modified]" */
static void markers(const ac_item *it, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
#define ADD(...) \
	do { \
		if (n < size) \
			n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__); \
	} while (0)
	if (at_task_is_series(it->fields))
		ADD(" [series]");
	size_t assignees = json_array_size(json_object_get(it->fields, "participants"));
	if (assignees > 0)
		ADD(" [delegated to %zu]", assignees);
	json_t *from = json_object_get(it->fields, "delegator");
	if (from != NULL)
		ADD(" [from %s]", ac_jstr(from, "login") ? ac_jstr(from, "login") : "?");
	if (it->error != NULL)
		ADD(" [error: %s%s%s]", ac_jstr(it->error, "type") ? ac_jstr(it->error, "type") : "?",
		    ac_jstr(it->error, "field") ? " " : "",
		    ac_jstr(it->error, "field") ? ac_jstr(it->error, "field") : "");
	else if (it->state != AC_STATE_SYNCED)
		ADD(" [pending %s]", ac_item_state_name(it->state));
#undef ADD
}

static int tasks_list(ac_cli *cli, int argc, char **argv)
{
	const char *folder = NULL, *status = NULL, *tz = NULL, *v;
	bool json = false;
	char folder_id[AC_ID_SIZE] = "", def[AC_ID_SIZE] = "";
	ac_folder_list folders = {0};
	ac_item_list *lists = NULL;
	size_t n_lists = 0;
	task_row *rows = NULL;
	size_t n_rows = 0, cap = 0;
	at_error err;
	int ret = AC_EXIT_ERROR, r;

	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(TASKS_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			folder = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--status", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (strcmp(v, "open") != 0 && !status_known(v))
				return ac_cli_usage("--status: give notStarted, inProgress, completed, "
						    "waiting, deferred or open");
			status = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (!at_recur_zone_known(v))
				return ac_cli_usage("--tz: unknown time zone \"%s\"", v);
			tz = v;
		} else {
			return ac_cli_usage("tasks list: unexpected argument \"%s\"", argv[i]);
		}
	}
	const char *zone = ac_user_zone(tz);
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 ||
	    ac_store_default_folder(cli->store, AT_MODULE_TASKS, def, &err) < 0 ||
	    (folder != NULL && task_folder(cli, folder, folder_id, &err) < 0) ||
	    ac_store_folders(cli->store, &folders, &err) < 0)
		return ac_cli_fail(&err);
	/* the folders to read: PATH, or every tasks folder; and the tasks made
	 * before the first sync (folder "") with the default one */
	lists = calloc(folders.n + 1, sizeof(*lists));
	if (lists == NULL)
		abort();
	for (size_t i = 0; i <= folders.n; i++) {
		const char *id = i < folders.n ? folders.v[i].id : "";
		const char *mod = i < folders.n ? ac_jstr(folders.v[i].json, "module") : "tasks";
		if (mod == NULL || strcmp(mod, "tasks") != 0)
			continue;
		if (folder != NULL && strcmp(id, folder_id) != 0 &&
		    !(id[0] == '\0' && strcmp(folder_id, def) == 0))
			continue;
		if (ac_store_items(cli->store, id, &lists[n_lists++], &err) < 0) {
			ret = ac_cli_fail(&err);
			goto done;
		}
	}
	for (size_t l = 0; l < n_lists; l++) {
		for (size_t k = 0; k < lists[l].n; k++) {
			ac_item *it = lists[l].v[k];
			if (it->state == AC_STATE_DELETED || strcmp(it->type, "task") != 0 ||
			    !status_matches(it->fields, status))
				continue;
			if (n_rows == cap) {
				cap = cap ? cap * 2 : 64;
				rows = realloc(rows, cap * sizeof(*rows));
				if (rows == NULL)
					abort();
			}
			task_row *w = &rows[n_rows++];
			w->item = it;
			w->due = instant(ac_jstr(it->fields, "due"), zone);
			at_model_item_title(task_type(), it->fields, w->subject, sizeof(w->subject));
		}
	}
	if (n_rows > 0)
		qsort(rows, n_rows, sizeof(*rows), cmp_row);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n_rows; i++)
			json_array_append_new(arr, ac_item_to_json(rows[i].item));
		ac_print_json(arr);
		json_decref(arr);
	} else {
		if (n_rows > 0)
			printf("%-8s  %-10s %4s  %-16s  %-8s  %s\n", "ID", "STATUS", "%", "DUE",
			       "PRIORITY", "SUBJECT");
		for (size_t i = 0; i < n_rows; i++) {
			json_t *f = rows[i].item->fields;
			const char *st = ac_jstr(f, "status"), *pr = ac_jstr(f, "priority");
			char due[40] = "-", mark[256];
			if (ac_jstr(f, "due") != NULL)
				ac_user_time_show(ac_jstr(f, "due"), zone, due, sizeof(due));
			markers(rows[i].item, mark, sizeof(mark));
			printf("%-8.8s  %-10s %3lld%%  %-16s  %-8s  %s%s\n", rows[i].item->local_id,
			       st != NULL ? st : "notStarted",
			       (long long)json_integer_value(json_object_get(f, "percentComplete")),
			       due, pr != NULL ? pr : "normal", rows[i].subject, mark);
		}
	}
	ret = AC_EXIT_OK;
done:
	free(rows);
	for (size_t i = 0; i < n_lists; i++)
		ac_item_list_free(&lists[i]);
	free(lists);
	ac_folder_list_free(&folders);
	return ret;
}

/* The PATH of a folder for people, else its id. */
static void folder_label(ac_cli *cli, const char *id, char *buf, size_t size)
{
	ac_folder_list list;
	ac_tree tree;
	int index;
	at_error err;
	snprintf(buf, size, "%s", id[0] ? id : "(the default Tasks folder, after the next sync)");
	if (id[0] == '\0' || ac_store_folders(cli->store, &list, &err) < 0)
		return;
	if (ac_tree_build(&list, &tree, &err) == 0) {
		if (ac_tree_find(&tree, id, &index, &err) == 0)
			snprintf(buf, size, "%s", tree.v[index].path);
		ac_tree_free(&tree);
	}
	ac_folder_list_free(&list);
}

/* Short labels of show (the model's labels spell out values). */
static const char *label_of(const at_field_def *d)
{
	static const char *const short_labels[][2] = {
		{"subject", "subject"},          {"start", "start"},
		{"due", "due"},                  {"timeZone", "time zone"},
		{"status", "status"},            {"priority", "priority"},
		{"percentComplete", "% complete"}, {"dateCompleted", "date completed"},
		{"reminder", "reminder"},        {"private", "private"},
		{"contacts", "contacts"},        {"totalWorkMinutes", "total work (minutes)"},
		{"actualWorkMinutes", "actual work (minutes)"}, {"rrule", "recurrence"},
		{"regenerate", "regenerate"},    {"response", "your answer"},
		{"responseComment", "your comment"}, {"icalExtra", "other iCalendar data"},
	};
	for (size_t i = 0; i < sizeof(short_labels) / sizeof(short_labels[0]); i++)
		if (strcmp(d->name, short_labels[i][0]) == 0)
			return short_labels[i][1];
	return d->label;
}

static void show_person(const char *label, json_t *p)
{
	const char *name = ac_jstr(p, "name"), *login = ac_jstr(p, "login");
	const char *addr = ac_jstr(p, "address"), *type = ac_jstr(p, "type");
	printf("%-24s %s%s%s%s%s%s%s\n", label, name ? name : "", name ? " " : "",
	       addr ? "<" : "", addr ? addr : "", addr ? "> " : "",
	       type != NULL && strcmp(type, "group") == 0 ? "@" : "", login ? login : "");
}

static int tasks_show(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *tz = NULL, *v;
	bool json = false;
	ac_item *it = NULL;
	at_error err;
	int r;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(TASKS_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--tz", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (!at_recur_zone_known(v))
				return ac_cli_usage("--tz: unknown time zone \"%s\"", v);
			tz = v;
		} else if (argv[i][0] != '-' && ref == NULL) {
			ref = argv[i];
		} else {
			return ac_cli_usage("tasks show: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (ref == NULL)
		return ac_cli_usage("tasks show needs an ID");
	at_error_clear(&err);
	if (get_task(cli, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	if (json) {
		json_t *o = ac_item_to_json(it);
		ac_print_json(o);
		json_decref(o);
		ac_item_free(&it);
		return AC_EXIT_OK;
	}
	const at_item_type *t = task_type();
	const char *zone = ac_user_zone(tz);
	json_t *f = it->fields;
	char title[256], where[512], buf[64];
	at_model_item_title(t, f, title, sizeof(title));
	folder_label(cli, it->folder_id, where, sizeof(where));
	printf("%-24s %s\n", "id", it->local_id);
	printf("%-24s %s\n", "title", title);
	ac_print_item_state(it, where);
	for (size_t i = 0; i < t->n_fields; i++) {
		const at_field_def *d = &t->fields[i];
		json_t *fv = json_object_get(f, d->name);
		if (fv == NULL)
			continue;
		if (d->type == AT_FT_DATETIME && json_is_string(fv)) {
			char shown[40], line[96];
			ac_user_time_show(json_string_value(fv), zone, shown, sizeof(shown));
			at_recur_time x;
			bool instant_v = at_model_datetime_parse(json_string_value(fv), &x) == 0 &&
					 !x.is_date && x.tzid != NULL;
			snprintf(line, sizeof(line), "%s%s%s%s", shown, instant_v ? " (" : "",
				 instant_v ? zone : "", instant_v ? ")" : "");
			printf("%-24s %s\n", label_of(d), line);
		} else if (strcmp(d->name, "percentComplete") == 0) {
			printf("%-24s %lld %%\n", label_of(d), (long long)json_integer_value(fv));
		} else if (strcmp(d->name, "regenerate") == 0) {
			at_task_regenerate_format(fv, buf, sizeof(buf));
			printf("%-24s every %lld %s%s after completion%s%s%s\n", label_of(d),
			       (long long)json_integer_value(json_object_get(fv, "every")),
			       ac_jstr(fv, "unit") ? ac_jstr(fv, "unit") : "?",
			       json_integer_value(json_object_get(fv, "every")) == 1 ? "" : "s",
			       buf[0] ? " (" : "", buf, buf[0] ? ")" : "");
		} else if (strcmp(d->name, "participants") == 0) {
			size_t k;
			json_t *p;
			json_array_foreach(fv, k, p) {
				char label[32];
				snprintf(label, sizeof(label), "assignee %zu", k + 1);
				show_person(label, p);
				const char *ans = ac_jstr(p, "status"), *cm = ac_jstr(p, "comment");
				const char *ts = ac_jstr(p, "taskStatus");
				json_t *pc = json_object_get(p, "percentComplete");
				printf("%-24s answer %s%s%s%s", "", ans ? ans : "none",
				       cm ? ": \"" : "", cm ? cm : "", cm ? "\"" : "");
				if (ts != NULL || pc != NULL)
					printf("; progress %s, %lld %%", ts ? ts : "?",
					       (long long)json_integer_value(pc));
				if (ac_jstr(p, "taskId") != NULL)
					printf("; copy %s", ac_jstr(p, "taskId"));
				putchar('\n');
			}
		} else if (strcmp(d->name, "delegator") == 0) {
			show_person("delegated by", fv);
		} else {
			ac_print_value(label_of(d), fv);
		}
	}
	/* fields this program's model does not know (a newer server) */
	ac_print_unknown_fields(t, f);
	ac_item_free(&it);
	return AC_EXIT_OK;
}

static int tasks_done(ac_cli *cli, int argc, char **argv)
{
	return tasks_one(cli, argc, argv, true);
}

static int tasks_delete(ac_cli *cli, int argc, char **argv)
{
	return tasks_one(cli, argc, argv, false);
}

int ac_cmd_tasks(ac_cli *cli, int argc, char **argv)
{
	static const ac_subcommand subs[] = {
		{"list", tasks_list},
		{"show", tasks_show},
		{"add", tasks_add},
		{"edit", tasks_edit},
		{"done", tasks_done},
		{"delete", tasks_delete},
	};
	return ac_cli_subcommand(cli, argc, argv, "tasks", TASKS_USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}

/* --- delegation ------------------------------------------------------------------------ */

/* LOGIN, @GROUP or ADDRESS as a participant. */
static json_t *assignee(const char *a)
{
	if (a[0] == '@' && a[1] != '\0')
		return json_pack("{s:s,s:s}", "type", "group", "login", a + 1);
	if (strchr(a, '@') != NULL)
		return json_pack("{s:s,s:s}", "type", "external", "address", a);
	return json_pack("{s:s,s:s}", "type", "user", "login", a);
}

static bool same_assignee(json_t *p, json_t *q)
{
	const char *tp = ac_jstr(p, "type"), *tq = ac_jstr(q, "type");
	if (tp == NULL || tq == NULL || strcmp(tp, tq) != 0)
		return false;
	if (strcmp(tp, "external") == 0)
		return ac_jstr(p, "address") != NULL && ac_jstr(q, "address") != NULL &&
		       strcasecmp(ac_jstr(p, "address"), ac_jstr(q, "address")) == 0;
	return ac_jstr(p, "login") != NULL && ac_jstr(q, "login") != NULL &&
	       strcmp(ac_jstr(p, "login"), ac_jstr(q, "login")) == 0;
}

static int task_delegate(ac_cli *cli, int argc, char **argv, bool withdraw)
{
	ac_item *it = NULL;
	json_t *fields = NULL, *list = NULL;
	at_error err;
	int ret;
	if (argc < (withdraw ? 1 : 2)) {
		fputs(TASK_USAGE, stderr);
		return AC_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' || argv[i][0] == '\0' || strcmp(argv[i], "@") == 0)
			return ac_cli_usage("task %s: unexpected argument \"%s\"",
					    withdraw ? "withdraw" : "delegate", argv[i]);
	at_error_clear(&err);
	if (get_task(cli, argv[0], &it, &err) < 0)
		return ac_cli_fail(&err);
	json_t *from = json_object_get(it->fields, "delegator");
	if (from != NULL) {
		fprintf(stderr, "atrium: task %s was delegated to you by %s: only they can change "
			"its assignees\n", argv[0], ac_jstr(from, "login") ? ac_jstr(from, "login")
									 : "someone else");
		ret = AC_EXIT_ERROR;
		goto done;
	}
	fields = json_deep_copy(it->fields);
	list = json_object_get(fields, "participants");
	list = json_is_array(list) ? json_incref(list) : json_array();
	if (!withdraw) {
		for (int i = 1; i < argc; i++) {
			json_t *p = assignee(argv[i]);
			if (p == NULL) {
				ret = ac_cli_usage("\"%s\" is not valid UTF-8", argv[i]);
				goto done;
			}
			bool dup = false;
			size_t k;
			json_t *q;
			json_array_foreach(list, k, q) {
				dup = dup || same_assignee(p, q);
			}
			if (dup) {
				fprintf(stderr, "atrium: %s is already an assignee\n", argv[i]);
				json_decref(p);
				continue;
			}
			json_array_append_new(list, p);
		}
	} else if (argc == 1) {
		json_array_clear(list);
	} else {
		for (int i = 1; i < argc; i++) {
			json_t *p = assignee(argv[i]);
			size_t k, removed = 0;
			for (k = json_array_size(list); p != NULL && k-- > 0;) {
				if (same_assignee(p, json_array_get(list, k))) {
					json_array_remove(list, k);
					removed++;
				}
			}
			json_decref(p);
			if (removed == 0) {
				fprintf(stderr, "atrium: %s is not an assignee of this task\n", argv[i]);
				ret = AC_EXIT_ERROR;
				goto done;
			}
		}
	}
	if (json_array_size(list) > 0)
		json_object_set(fields, "participants", list);
	else
		json_object_del(fields, "participants");
	if ((ret = check(fields)) >= 0)
		goto done;
	ret = store_fields(cli, it, fields);
done:
	json_decref(list);
	json_decref(fields);
	ac_item_free(&it);
	return ret;
}

static int task_respond(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *answer = NULL, *comment = NULL, *v;
	ac_item *it = NULL;
	json_t *fields = NULL;
	at_error err;
	int ret, r;
	for (int i = 0; i < argc; i++) {
		if ((r = ac_cli_option(argc, argv, &i, "--comment", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			comment = v;
		} else if (argv[i][0] != '-' && ref == NULL) {
			ref = argv[i];
		} else if (argv[i][0] != '-' && answer == NULL) {
			answer = argv[i];
		} else {
			return ac_cli_usage("task respond: unexpected argument \"%s\"", argv[i]);
		}
	}
	const char *response = ac_answer_status(answer);
	if (ref == NULL || response == NULL)
		return ac_cli_usage("task respond needs an ID and accept, tentative or decline");
	at_error_clear(&err);
	if (get_task(cli, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	if (json_object_get(it->fields, "delegator") == NULL) {
		fprintf(stderr, "atrium: task %s was not delegated to you (it has no delegator): "
			"there is nothing to answer\n", ref);
		ret = AC_EXIT_ERROR;
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
	if ((ret = check(fields)) >= 0)
		goto done;
	ret = store_fields(cli, it, fields);
done:
	json_decref(fields);
	ac_item_free(&it);
	return ret;
}

static int task_delegate_cmd(ac_cli *cli, int argc, char **argv)
{
	return task_delegate(cli, argc, argv, false);
}

static int task_withdraw(ac_cli *cli, int argc, char **argv)
{
	return task_delegate(cli, argc, argv, true);
}

int ac_cmd_task(ac_cli *cli, int argc, char **argv)
{
	static const ac_subcommand subs[] = {
		{"delegate", task_delegate_cmd},
		{"withdraw", task_withdraw},
		{"respond", task_respond},
	};
	for (int i = 2; i < argc; i++)
		if (ac_cli_is_help(argv[i])) {
			fputs(TASK_USAGE, stdout);
			return AC_EXIT_OK;
		}
	return ac_cli_subcommand(cli, argc, argv, "task", TASK_USAGE, subs,
				 sizeof(subs) / sizeof(subs[0]));
}
