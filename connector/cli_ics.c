/* cli_ics.c — atrium import ics / atrium export ics.
 *
 *   atrium import ics FILE... [--folder PATH] [--tasks-folder PATH]
 *   atrium export ics FILE [--folder PATH]
 *
 * Both work on the local store only, like the calendar and tasks commands:
 * an import makes local creates (sent by the next "atrium sync"), an export
 * writes what the store holds.  Reading and writing iCalendar is
 * lib/ical.h's, the mapping to appointment fields lib/appointment.h's, to
 * task fields lib/task.h's; what has no field travels in icalExtra and
 * comes out again on export.
 *
 * Import: when a file is not iCalendar, nothing of any FILE is imported
 * and the error is shown with its line (FILE:LINE: message).  Otherwise
 * each event (with its changed instances) becomes one appointment of the
 * calendar folder (--folder, else your Calendar) and each to-do one task
 * of the tasks folder (--tasks-folder, else your Tasks); a folder of the
 * other module is refused.  An item that cannot be one (a value over a
 * field's limit, a rule that never occurs) is reported as FILE:LINE:
 * message and skipped, and so are journal entries and other components.
 * An item whose UID an item of the same type in the folder already has
 * replaces that item's fields, so importing a file twice makes no
 * duplicates.  Tasks are made coherent (status, % complete, date
 * completed) as the server will.  One transaction for all the files.
 * Exit status 0 when every item was imported, 1 otherwise.
 *
 * Export: every appointment of a calendar folder, or every task of a tasks
 * folder (--folder; default your Calendar), into FILE (replaced
 * atomically), with a VTIMEZONE for each zone used. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appointment.h"
#include "common.h"
#include "fields.h"
#include "ical.h"
#include "model.h"
#include "task.h"

#define IMPORT_USAGE \
	"usage: atrium import ics FILE... [--folder PATH] [--tasks-folder PATH]\n" \
	"\n" \
	"Adds each event of the iCalendar files as an appointment of the local\n" \
	"store (--folder: a calendar folder, default your Calendar folder) and\n" \
	"each to-do as a task (--tasks-folder: a tasks folder, default your\n" \
	"Tasks folder); \"atrium sync\" sends them.  An item whose UID is\n" \
	"already in the folder replaces that item.  Items that cannot be imported\n" \
	"are listed as FILE:LINE: reason and skipped; a file that is not\n" \
	"iCalendar stops the import (nothing is imported).  Properties without a\n" \
	"field are kept and exported again.\n"

#define EXPORT_USAGE \
	"usage: atrium export ics FILE [--folder PATH]\n" \
	"\n" \
	"Writes the appointments of a calendar folder (default: your Calendar\n" \
	"folder) into one iCalendar file, with their recurrences, changed and\n" \
	"deleted occurrences, participants, reminders and time zones; or, when\n" \
	"PATH is a tasks folder, its tasks as to-dos (VTODO).\n"

/* The module of a folder of the store ("" when unknown). */
static int folder_module(ac_cli *cli, const char *id, char *module, size_t size, at_error *err)
{
	ac_folder_list list;
	module[0] = '\0';
	if (ac_store_folders(cli->store, &list, err) < 0)
		return -1;
	for (size_t i = 0; i < list.n; i++)
		if (strcmp(list.v[i].id, id) == 0 && ac_jstr(list.v[i].json, "module") != NULL)
			snprintf(module, size, "%s", ac_jstr(list.v[i].json, "module"));
	ac_folder_list_free(&list);
	return 0;
}

/* The folder PATH names (refused unless its module is one of want[]), or
 * the default folder of want[0] when path is NULL.  *module_r (may be
 * NULL) gets its module. */
static int item_folder(ac_cli *cli, const char *path, const char *option, const at_module *want,
		       size_t n_want, char id_r[AC_ID_SIZE], at_module *module_r, at_error *err)
{
	char module[32];
	if (module_r != NULL)
		*module_r = want[0];
	if (path == NULL)
		return ac_store_default_folder(cli->store, want[0], id_r, err);
	if (ac_cli_find_folder(cli, path, id_r, err) < 0 ||
	    folder_module(cli, id_r, module, sizeof(module), err) < 0)
		return -1;
	for (size_t i = 0; i < n_want; i++)
		if (strcmp(module, at_module_name(want[i])) == 0) {
			if (module_r != NULL)
				*module_r = want[i];
			return 0;
		}
	const char *hint = n_want > 1 ? "a calendar or tasks folder"
			   : want[0] == AT_MODULE_TASKS
			   ? "to-dos go into a tasks folder (events: --folder)"
			   : "events go into a calendar folder (to-dos: --tasks-folder)";
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "folder",
			    "%s \"%.200s\" is a%s %s folder: %s", option, path,
			    module[0] == 'a' || module[0] == 'e' ? "n" : "",
			    module[0] != '\0' ? module : "unknown", hint);
}

/* FILE... [--folder PATH] [--tasks-folder PATH] after "import ics" (files
 * NULL: "export ics", one FILE into *file_r, no --tasks-folder). */
static int parse_args(int argc, char **argv, const char *usage, const char **file_r,
		      const char ***files_r, size_t *n_files_r, const char **folder_r,
		      const char **tasks_folder_r)
{
	const char *v;
	int r;
	size_t n = 0;
	*file_r = *folder_r = *tasks_folder_r = NULL;
	if (files_r != NULL) {
		*files_r = calloc((size_t)argc + 1, sizeof(char *));
		if (*files_r == NULL)
			abort();
		*n_files_r = 0;
	}
	for (int i = 2; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			*folder_r = v;
		} else if (files_r != NULL &&
			   (r = ac_cli_option(argc, argv, &i, "--tasks-folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			*tasks_folder_r = v;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return ac_cli_usage("%s ics: unknown option %s", argv[0], argv[i]);
		} else if (files_r != NULL) {
			(*files_r)[n++] = argv[i];
			*n_files_r = n;
			*file_r = argv[i];
		} else if (*file_r == NULL) {
			*file_r = argv[i];
		} else {
			return ac_cli_usage("%s ics: one FILE only", argv[0]);
		}
	}
	if (*file_r == NULL)
		return ac_cli_usage("%s ics needs a FILE", argv[0]);
	return -1;
}

/* The items of a folder (and, for the default folder, those made
 * before the first sync), not deleted. */
static int folder_items(ac_cli *cli, const char *folder, const char *folder_id,
			ac_item_list *items, ac_item_list *unfiled, at_error *err)
{
	if (ac_store_items(cli->store, folder_id, items, err) < 0)
		return -1;
	if (folder == NULL && folder_id[0] != '\0' &&
	    ac_store_items(cli->store, "", unfiled, err) < 0)
		return -1;
	return 0;
}

/* The RECURRENCE-ID line of an instance imported without its series
 * (kept in icalExtra), as a pointer and length; NULL for others. */
static const char *rid_line(json_t *fields, size_t *len_r)
{
	const char *x = ac_jstr(fields, "icalExtra");
	*len_r = 0;
	for (const char *p = x; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "RECURRENCE-ID", 13) == 0 && (p[13] == ':' || p[13] == ';')) {
			const char *e = strchr(p, '\n');
			*len_r = e ? (size_t)(e - p) : strlen(p);
			return p;
		}
	return NULL;
}

/* The item of type `type` an imported item replaces: the same UID (and,
 * for an instance without its series, the same RECURRENCE-ID). */
static const ac_item *same_item(const ac_item_list *a, const ac_item_list *b, const char *type,
				json_t *fields)
{
	const char *uid = ac_jstr(fields, "uid");
	size_t rl, il;
	const char *r = rid_line(fields, &rl);
	for (size_t k = 0; uid != NULL && k < a->n + b->n; k++) {
		const ac_item *it = k < a->n ? a->v[k] : b->v[k - a->n];
		const char *u = ac_jstr(it->fields, "uid");
		if (it->state == AC_STATE_DELETED || strcmp(it->type, type) != 0 ||
		    u == NULL || strcmp(u, uid) != 0)
			continue;
		const char *i = rid_line(it->fields, &il);
		if ((r == NULL && i == NULL) || (r != NULL && i != NULL && rl == il &&
						 memcmp(r, i, rl) == 0))
			return it;
	}
	return NULL;
}

/* "line N: message" -> message (the line is given as FILE:N). */
static const char *without_line(const char *msg)
{
	if (strncmp(msg, "line ", 5) == 0 && strstr(msg, ": ") != NULL)
		return strstr(msg, ": ") + 2;
	return msg;
}

typedef struct import_target {
	const char *type;          /* "appointment", "task" */
	char folder_id[AC_ID_SIZE];
	ac_item_list items, unfiled;
	size_t imported, replaced;
} import_target;

/* One item of a file into the store (inside the import's transaction):
 * 1 when skipped (reported), 0 when stored, -1 on a store error. */
static int import_item(ac_cli *cli, const char *file, const at_ical_calendar *cal,
		       const at_ical_item *item, at_appt_ical *ctx, at_arena *arena,
		       import_target *t, at_error *err)
{
	json_t *fields = NULL;
	char local_id[AC_ID_SIZE];
	bool task = item->kind == AT_ICAL_TODO;
	int rc;
	at_error_clear(err);
	rc = task ? at_task_from_ical(cal, item, arena, &fields, err)
		  : at_appt_from_ical(ctx, item, &fields, err);
	if (rc == 0)
		rc = at_model_validate(at_model_item_type(t->type), fields, false, err);
	if (rc == 0 && task)
		rc = at_task_normalize(fields, NULL, (int64_t)time(NULL), NULL, err);
	if (rc < 0) {
		const char *msg = without_line(err->message);
		bool named = err->field[0] == '\0' || strstr(msg, err->field) != NULL;
		fprintf(stderr, "%s:%u: %s%s%s\n", file, item->line, named ? "" : err->field,
			named ? "" : ": ", msg);
		json_decref(fields);
		return 1;
	}
	if (ac_jstr(fields, "uid") == NULL) {
		/* an item without UID gets one, so that it exports and imports
		 * again as the same item */
		char a[AC_ID_SIZE], b[AC_ID_SIZE], uid[2 * AC_ID_SIZE + 8];
		ac_random_id(a);
		ac_random_id(b);
		snprintf(uid, sizeof(uid), "%s%s@atrium", a, b);
		json_object_set_new(fields, "uid", json_string(uid));
	}
	const ac_item *old = same_item(&t->items, &t->unfiled, t->type, fields);
	if (old != NULL) {
		json_t *patch = ac_fields_patch(old->fields, fields);
		rc = json_object_size(patch) == 0 ? 0
		     : ac_store_item_edit(cli->store, old->local_id, patch, err);
		json_decref(patch);
		t->replaced++;
	} else {
		rc = ac_store_item_add(cli->store, t->folder_id, t->type, fields, local_id, err);
		t->imported++;
	}
	json_decref(fields);
	return rc < 0 ? -1 : 0;
}

int ac_cmd_import_ics(ac_cli *cli, int argc, char **argv)
{
	const char *file, *folder, *tasks_folder, **files = NULL;
	size_t n_files = 0;
	char **data = NULL;
	size_t *len = NULL;
	at_arena *arena = NULL;
	at_ical_calendar **cals = NULL;
	import_target ev = {.type = "appointment"}, todo = {.type = "task"};
	size_t skipped = 0, items = 0, n_tasks = 0;
	unsigned line = 0;
	at_error err;
	int ret = parse_args(argc, argv, IMPORT_USAGE, &file, &files, &n_files, &folder,
			     &tasks_folder);
	if (ret >= 0)
		goto done;
	ret = AC_EXIT_ERROR;
	at_error_clear(&err);
	data = calloc(n_files + 1, sizeof(*data));
	len = calloc(n_files + 1, sizeof(*len));
	cals = calloc(n_files + 1, sizeof(*cals));
	if (data == NULL || len == NULL || cals == NULL)
		abort();
	arena = at_arena_new(0);
	/* every file first: one that is not iCalendar stops everything */
	for (size_t f = 0; f < n_files; f++) {
		if (ac_read_file(files[f], 8u << 20, &data[f], &len[f], &err) < 0) {
			ret = ac_cli_fail(&err);
			fprintf(stderr, "atrium: nothing was imported\n");
			goto done;
		}
		if (at_ical_parse(data[f], len[f], NULL, arena, &cals[f], &line, &err) < 0) {
			if (line > 0)
				fprintf(stderr, "%s:%u: %s\n", files[f], line,
					without_line(err.message));
			else
				fprintf(stderr, "%s: %s\n", files[f], err.message);
			fprintf(stderr, "atrium: nothing was imported\n");
			goto done;
		}
		for (size_t i = 0; i < cals[f]->n_items; i++)
			n_tasks += cals[f]->items[i].kind == AT_ICAL_TODO;
	}
	static const at_module calendar[] = {AT_MODULE_CALENDAR}, tasks[] = {AT_MODULE_TASKS};
	if (ac_cli_open_store(cli, &err) < 0 ||
	    item_folder(cli, folder, "--folder", calendar, 1, ev.folder_id, NULL, &err) < 0 ||
	    item_folder(cli, tasks_folder, "--tasks-folder", tasks, 1, todo.folder_id, NULL,
			&err) < 0 ||
	    folder_items(cli, folder, ev.folder_id, &ev.items, &ev.unfiled, &err) < 0 ||
	    folder_items(cli, tasks_folder, todo.folder_id, &todo.items, &todo.unfiled, &err) < 0 ||
	    ac_store_begin(cli->store, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	for (size_t f = 0; f < n_files; f++) {
		const at_ical_calendar *cal = cals[f];
		at_appt_ical *ctx = at_appt_ical_new(cal, arena);
		for (size_t i = 0; i < cal->n_items; i++) {
			const at_ical_item *it = &cal->items[i];
			items++;
			int rc = import_item(cli, files[f], cal, it, ctx, arena,
					     it->kind == AT_ICAL_TODO ? &todo : &ev, &err);
			if (rc < 0) {
				ac_store_rollback(cli->store);
				fprintf(stderr, "atrium: nothing was imported: %s\n", err.message);
				goto done;
			}
			skipped += (size_t)rc;
		}
		for (size_t i = 0; i < cal->n_others; i++) {
			fprintf(stderr, "%s:%u: a %s: not imported\n", files[f], cal->others[i].line,
				cal->others[i].name);
			skipped++;
			items++;
		}
	}
	if (ac_store_commit(cli->store, &err) < 0) {
		fprintf(stderr, "atrium: nothing was imported: %s\n", err.message);
		goto done;
	}
	printf("imported %zu appointment%s", ev.imported, ev.imported == 1 ? "" : "s");
	if (n_tasks > 0)
		printf(" and %zu task%s", todo.imported, todo.imported == 1 ? "" : "s");
	printf(", replaced %zu, skipped %zu of %zu\n", ev.replaced + todo.replaced, skipped,
	       items);
	ret = skipped > 0 ? AC_EXIT_ERROR : AC_EXIT_OK;
done:
	ac_item_list_free(&ev.items);
	ac_item_list_free(&ev.unfiled);
	ac_item_list_free(&todo.items);
	ac_item_list_free(&todo.unfiled);
	at_arena_free(&arena);
	for (size_t f = 0; data != NULL && f < n_files; f++)
		free(data[f]);
	free(data);
	free(len);
	free(cals);
	free(files);
	return ret;
}

int ac_cmd_export_ics(ac_cli *cli, int argc, char **argv)
{
	const char *file, *folder, *unused;
	char folder_id[AC_ID_SIZE] = "";
	ac_item_list items = {0}, unfiled = {0};
	at_arena *arena = NULL;
	at_buf out;
	size_t n = 0, failed = 0;
	at_module module;
	at_error err;
	int ret = parse_args(argc, argv, EXPORT_USAGE, &file, NULL, NULL, &folder, &unused);
	if (ret >= 0)
		return ret;
	ret = AC_EXIT_ERROR;
	at_buf_init(&out, 0);
	at_error_clear(&err);
	static const at_module modules[] = {AT_MODULE_CALENDAR, AT_MODULE_TASKS};
	if (ac_cli_open_store(cli, &err) < 0 ||
	    item_folder(cli, folder, "--folder", modules, 2, folder_id, &module, &err) < 0 ||
	    folder_items(cli, folder, folder_id, &items, &unfiled, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	bool tasks = module == AT_MODULE_TASKS;
	const char *type = tasks ? "task" : "appointment";
	arena = at_arena_new(0);
	at_ical_item *evs = at_arena_alloc(arena, (items.n + unfiled.n + 1) * sizeof(*evs));
	for (size_t k = 0; k < items.n + unfiled.n; k++) {
		const ac_item *it = k < items.n ? items.v[k] : unfiled.v[k - items.n];
		if (it->state == AC_STATE_DELETED || strcmp(it->type, type) != 0)
			continue;
		const char *id = it->server_id[0] != '\0' ? it->server_id : it->local_id;
		at_error_clear(&err);
		int rc = tasks ? at_task_to_ical(it->fields, at_arena_strdup(arena, id), arena,
						 &evs[n], &err)
			       : at_appt_to_ical(it->fields, at_arena_strdup(arena, id), arena,
						 &evs[n], &err);
		if (rc < 0) {
			fprintf(stderr, "atrium: %s %s: %s\n", type, it->local_id, err.message);
			failed++;
			continue;
		}
		n++;
	}
	at_ical_calendar cal = {.items = evs, .n_items = n};
	if (at_ical_write(&cal, &out, &err) < 0 ||
	    ac_write_file_atomic(file, out.data, out.len, 0600, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	printf("exported %zu %s%s to %s\n", n, type, n == 1 ? "" : "s", file);
	ret = failed > 0 ? AC_EXIT_ERROR : AC_EXIT_OK;
done:
	at_buf_free(&out);
	at_arena_free(&arena);
	ac_item_list_free(&items);
	ac_item_list_free(&unfiled);
	return ret;
}
