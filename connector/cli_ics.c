/* cli_ics.c — atrium import ics / atrium export ics.
 *
 *   atrium import ics FILE [--folder PATH]
 *   atrium export ics FILE [--folder PATH]
 *
 * Both work on the local store only, like the calendar commands: an import
 * makes local creates (sent by the next "atrium sync"), an export writes
 * what the store holds.  Reading and writing iCalendar is lib/ical.h's, the
 * mapping to appointment fields lib/appointment.h's; what has no field
 * travels in icalExtra and comes out again on export.
 *
 * Import: a file that is not iCalendar is refused whole, with the line of
 * the error (FILE:LINE: message), and nothing is imported.  Otherwise each
 * event (with its changed instances) becomes one appointment; an event that
 * cannot be one (a value over a field's limit, a rule that never occurs)
 * is reported as FILE:LINE: message and skipped, and so are tasks and
 * journal entries (not imported yet).  An event whose UID an appointment of
 * the folder already has replaces that appointment's fields, so importing
 * a file twice makes no duplicates.  One transaction for the whole file.
 * Exit status 0 when every event was imported, 1 otherwise.
 *
 * Export: every appointment of the folder into FILE (replaced atomically),
 * with a VTIMEZONE for each zone used. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appointment.h"
#include "common.h"
#include "fields.h"
#include "ical.h"
#include "model.h"

#define IMPORT_USAGE \
	"usage: atrium import ics FILE [--folder PATH]\n" \
	"\n" \
	"Adds each event of the iCalendar file as an appointment of the local\n" \
	"store (default: your Calendar folder); \"atrium sync\" sends them.  An\n" \
	"event whose UID is already in the folder replaces that appointment.\n" \
	"Events that cannot be imported are listed as FILE:LINE: reason and\n" \
	"skipped.  Properties without an appointment field are kept and exported\n" \
	"again.\n"

#define EXPORT_USAGE \
	"usage: atrium export ics FILE [--folder PATH]\n" \
	"\n" \
	"Writes the appointments of a folder (default: your Calendar folder) into\n" \
	"one iCalendar file, with their recurrences, changed and deleted\n" \
	"occurrences, participants, reminders and time zones.\n"

static int calendar_folder(ac_cli *cli, const char *folder, char id_r[AC_ID_SIZE],
			   at_error *err)
{
	if (folder != NULL)
		return ac_cli_find_folder(cli, folder, id_r, err);
	return ac_store_default_folder(cli->store, AT_MODULE_CALENDAR, id_r, err);
}

/* FILE [--folder PATH] after "import ics" / "export ics". */
static int parse_args(int argc, char **argv, const char *usage, const char **file_r,
		      const char **folder_r)
{
	const char *v;
	int r;
	*file_r = *folder_r = NULL;
	for (int i = 2; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			*folder_r = v;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return ac_cli_usage("%s ics: unknown option %s", argv[0], argv[i]);
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

/* The appointments of a folder (and, for the default folder, those made
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

/* The appointment of the folder an event replaces: the same UID (and,
 * for an instance without its series, the same RECURRENCE-ID). */
static const ac_item *same_event(const ac_item_list *a, const ac_item_list *b, json_t *fields)
{
	const char *uid = ac_jstr(fields, "uid");
	size_t rl, il;
	const char *r = rid_line(fields, &rl);
	for (size_t k = 0; uid != NULL && k < a->n + b->n; k++) {
		const ac_item *it = k < a->n ? a->v[k] : b->v[k - a->n];
		const char *u = ac_jstr(it->fields, "uid");
		if (it->state == AC_STATE_DELETED || strcmp(it->type, "appointment") != 0 ||
		    u == NULL || strcmp(u, uid) != 0)
			continue;
		const char *i = rid_line(it->fields, &il);
		if ((r == NULL && i == NULL) || (r != NULL && i != NULL && rl == il &&
						 memcmp(r, i, rl) == 0))
			return it;
	}
	return NULL;
}

int ac_cmd_import_ics(ac_cli *cli, int argc, char **argv)
{
	const char *file, *folder;
	char folder_id[AC_ID_SIZE] = "", local_id[AC_ID_SIZE];
	char *data = NULL;
	size_t len;
	at_arena *arena = NULL;
	at_ical_calendar *cal;
	ac_item_list items = {0}, unfiled = {0};
	size_t imported = 0, replaced = 0, skipped = 0, events = 0;
	unsigned line = 0;
	at_error err;
	int ret = parse_args(argc, argv, IMPORT_USAGE, &file, &folder);
	if (ret >= 0)
		return ret;
	ret = AC_EXIT_ERROR;
	at_error_clear(&err);
	if (ac_read_file(file, 8u << 20, &data, &len, &err) < 0)
		return ac_cli_fail(&err);
	arena = at_arena_new(0);
	if (at_ical_parse(data, len, NULL, arena, &cal, &line, &err) < 0) {
		const char *msg = err.message;
		if (line > 0 && strncmp(msg, "line ", 5) == 0 && strstr(msg, ": ") != NULL)
			msg = strstr(msg, ": ") + 2;
		if (line > 0)
			fprintf(stderr, "%s:%u: %s\n", file, line, msg);
		else
			fprintf(stderr, "%s: %s\n", file, msg);
		fprintf(stderr, "atrium: nothing was imported\n");
		goto done;
	}
	if (ac_cli_open_store(cli, &err) < 0 || calendar_folder(cli, folder, folder_id, &err) < 0 ||
	    folder_items(cli, folder, folder_id, &items, &unfiled, &err) < 0 ||
	    ac_store_begin(cli->store, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	at_appt_ical *ctx = at_appt_ical_new(cal, arena);
	for (size_t i = 0; i < cal->n_items; i++) {
		const at_ical_item *ev = &cal->items[i];
		json_t *fields = NULL;
		events++;
		at_error_clear(&err);
		if (ev->kind != AT_ICAL_EVENT) {
			fprintf(stderr, "%s:%u: a task (VTODO): tasks are not imported yet\n", file,
				ev->line);
			skipped++;
			continue;
		}
		if (at_appt_from_ical(ctx, ev, &fields, &err) < 0 ||
		    at_model_validate(at_model_item_type("appointment"), fields, false, &err) < 0) {
			const char *msg = err.message;
			if (strncmp(msg, "line ", 5) == 0 && strstr(msg, ": ") != NULL)
				msg = strstr(msg, ": ") + 2;
			bool named = err.field[0] == '\0' || strstr(msg, err.field) != NULL;
			fprintf(stderr, "%s:%u: %s%s%s\n", file, ev->line, named ? "" : err.field,
				named ? "" : ": ", msg);
			json_decref(fields);
			skipped++;
			continue;
		}
		if (ac_jstr(fields, "uid") == NULL) {
			/* an event without UID gets one, so that it exports and
			 * imports again as the same appointment */
			char a[AC_ID_SIZE], b[AC_ID_SIZE], uid[2 * AC_ID_SIZE + 8];
			ac_random_id(a);
			ac_random_id(b);
			snprintf(uid, sizeof(uid), "%s%s@atrium", a, b);
			json_object_set_new(fields, "uid", json_string(uid));
		}
		const ac_item *old = same_event(&items, &unfiled, fields);
		int rc;
		if (old != NULL) {
			json_t *patch = ac_fields_patch(old->fields, fields);
			rc = json_object_size(patch) == 0 ? 0
			     : ac_store_item_edit(cli->store, old->local_id, patch, &err);
			json_decref(patch);
			replaced++;
		} else {
			rc = ac_store_item_add(cli->store, folder_id, "appointment", fields, local_id,
					       &err);
			imported++;
		}
		json_decref(fields);
		if (rc < 0) {
			ac_store_rollback(cli->store);
			fprintf(stderr, "atrium: nothing was imported: %s\n", err.message);
			goto done;
		}
	}
	for (size_t i = 0; i < cal->n_others; i++) {
		fprintf(stderr, "%s:%u: a %s: not imported\n", file, cal->others[i].line,
			cal->others[i].name);
		skipped++;
		events++;
	}
	if (ac_store_commit(cli->store, &err) < 0) {
		fprintf(stderr, "atrium: nothing was imported: %s\n", err.message);
		goto done;
	}
	printf("imported %zu appointment%s, replaced %zu, skipped %zu of %zu\n", imported,
	       imported == 1 ? "" : "s", replaced, skipped, events);
	ret = skipped > 0 ? AC_EXIT_ERROR : AC_EXIT_OK;
done:
	ac_item_list_free(&items);
	ac_item_list_free(&unfiled);
	at_arena_free(&arena);
	free(data);
	return ret;
}

int ac_cmd_export_ics(ac_cli *cli, int argc, char **argv)
{
	const char *file, *folder;
	char folder_id[AC_ID_SIZE] = "";
	ac_item_list items = {0}, unfiled = {0};
	at_arena *arena = NULL;
	at_buf out;
	size_t n = 0, failed = 0;
	at_error err;
	int ret = parse_args(argc, argv, EXPORT_USAGE, &file, &folder);
	if (ret >= 0)
		return ret;
	ret = AC_EXIT_ERROR;
	at_buf_init(&out, 0);
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || calendar_folder(cli, folder, folder_id, &err) < 0 ||
	    folder_items(cli, folder, folder_id, &items, &unfiled, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	arena = at_arena_new(0);
	at_ical_item *evs = at_arena_alloc(arena, (items.n + unfiled.n + 1) * sizeof(*evs));
	for (size_t k = 0; k < items.n + unfiled.n; k++) {
		const ac_item *it = k < items.n ? items.v[k] : unfiled.v[k - items.n];
		if (it->state == AC_STATE_DELETED || strcmp(it->type, "appointment") != 0)
			continue;
		const char *id = it->server_id[0] != '\0' ? it->server_id : it->local_id;
		at_error_clear(&err);
		if (at_appt_to_ical(it->fields, at_arena_strdup(arena, id), arena, &evs[n], &err) < 0) {
			fprintf(stderr, "atrium: appointment %s: %s\n", it->local_id, err.message);
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
	printf("exported %zu appointment%s to %s\n", n, n == 1 ? "" : "s", file);
	ret = failed > 0 ? AC_EXIT_ERROR : AC_EXIT_OK;
done:
	at_buf_free(&out);
	at_arena_free(&arena);
	ac_item_list_free(&items);
	ac_item_list_free(&unfiled);
	return ret;
}
