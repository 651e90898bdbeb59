/* cli_conflicts.c — atrium conflicts: the Sync Issues folder.
 *
 * When a sync has to choose between two versions of an item, the losing one
 * is kept as a sync issue (engine.h).  These commands list and show them,
 * discard one, or restore one: re-apply the losing version as a new local
 * change, which the next sync sends.  What "re-apply" means follows from
 * why the version lost:
 *
 *   conflict        the losing field values are applied as an edit (or, if
 *                   the item is gone, a new item holds them)
 *   deleteRefused   the local delete is made again
 *   deletedOnServer, deleteConflict, duplicate, folderRemoved
 *                   the item is created again from the kept fields, in its
 *                   folder if that still exists, else the default folder */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "model.h"

#define CONFLICTS_USAGE \
	"usage: atrium conflicts list [--json]\n" \
	"       atrium conflicts show ID [--json]\n" \
	"       atrium conflicts restore ID\n" \
	"       atrium conflicts discard ID\n" \
	"\n" \
	"The Sync Issues: versions that lost a conflict.  restore applies the\n" \
	"kept version again as a local change (sent by the next sync); discard\n" \
	"forgets it.\n"

static void title_of(json_t *issue, char *buf, size_t size)
{
	const at_item_type *t = at_model_item_type(ac_jstr(issue, "type") ? ac_jstr(issue, "type")
							     : "contact");
	if (t == NULL)
		t = at_model_item_type("contact");
	at_model_item_title(t, json_object_get(issue, "fields"), buf, size);
}

static int find_issue(ac_cli *cli, const char *ref, json_t **list_r, json_t **issue_r,
		      at_error *err)
{
	char *end;
	long long id = strtoll(ref, &end, 10);
	*issue_r = NULL;
	if (ac_store_issues(cli->store, list_r, err) < 0)
		return -1;
	size_t i;
	json_t *v;
	json_array_foreach(*list_r, i, v) {
		if (*end == '\0' && json_integer_value(json_object_get(v, "id")) == id) {
			*issue_r = v;
			return 0;
		}
	}
	return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			    "no sync issue %s (see `atrium conflicts list`)", ref);
}

static int list_issues(ac_cli *cli, bool json, at_error *err)
{
	json_t *list;
	if (ac_store_issues(cli->store, &list, err) < 0)
		return -1;
	if (json) {
		ac_print_json(list);
	} else if (json_array_size(list) == 0) {
		puts("no sync issues");
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v) {
			char title[256];
			title_of(v, title, sizeof(title));
			printf("%lld\t%s\t%s\t%s\n",
			       (long long)json_integer_value(json_object_get(v, "id")),
			       ac_jstr(v, "time"), ac_jstr(v, "reason"), title);
		}
	}
	json_decref(list);
	return 0;
}

static int show_issue(ac_cli *cli, const char *ref, bool json, at_error *err)
{
	json_t *list, *issue;
	if (find_issue(cli, ref, &list, &issue, err) < 0) {
		json_decref(list);
		return -1;
	}
	if (json) {
		ac_print_json(issue);
	} else {
		char title[256];
		title_of(issue, title, sizeof(title));
		printf("issue %lld: %s\n", (long long)json_integer_value(json_object_get(issue, "id")),
		       title);
		printf("  reason:  %s\n  time:    %s\n  item:    %s\n", ac_jstr(issue, "reason"),
		       ac_jstr(issue, "time"), ac_jstr(issue, "itemId") ? ac_jstr(issue, "itemId") : "-");
		puts("  kept version:");
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(issue, "fields"), k, v) {
			char *text = json_is_string(v) ? strdup(json_string_value(v))
							: json_dumps(v, JSON_ENCODE_ANY);
			printf("    %-20s %s\n", k, text ? text : "?");
			free(text);
		}
	}
	json_decref(list);
	return 0;
}

/* Creates a new local item holding the kept fields (nulls dropped). */
static int recreate(ac_cli *cli, json_t *issue, at_error *err)
{
	const char *type_name = ac_jstr(issue, "type") ? ac_jstr(issue, "type") : "contact";
	const at_item_type *type = at_model_item_type(type_name);
	char folder[AC_ID_SIZE] = "";
	if (type == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "this connector cannot restore items of type %s", type_name);
	json_t *fields = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(issue, "fields"), k, v)
		if (!json_is_null(v))
			json_object_set(fields, k, v);
	int rc = -1;
	at_error ignored;
	const char *fid = ac_jstr(issue, "folderId");
	if (fid == NULL || ac_store_find_folder(cli->store, fid, folder, &ignored) < 0) {
		if (ac_store_default_folder(cli->store, type->module, folder, err) < 0)
			goto done;
	}
	char local_id[AC_ID_SIZE];
	if (at_model_validate(type, fields, false, err) < 0 ||
	    ac_store_item_add(cli->store, folder, type->name, fields, local_id, err) < 0)
		goto done;
	printf("restored as new item %s\n", local_id);
	rc = 0;
done:
	json_decref(fields);
	return rc;
}

static int restore_issue(ac_cli *cli, const char *ref, at_error *err)
{
	json_t *list, *issue;
	ac_item *item = NULL;
	int rc = -1;
	if (find_issue(cli, ref, &list, &issue, err) < 0)
		goto done;
	const char *reason = ac_jstr(issue, "reason");
	const char *item_id = ac_jstr(issue, "itemId");
	at_error lookup;
	if (item_id != NULL && ac_store_item_get(cli->store, item_id, &item, &lookup) < 0)
		item = NULL;  /* gone locally */
	if (strcmp(reason, "conflict") == 0 && item != NULL) {
		const at_item_type *t = at_model_item_type(item->type);
		json_t *patch = json_object_get(issue, "fields");
		if (t == NULL || at_model_validate(t, patch, true, err) < 0 ||
		    ac_store_item_edit(cli->store, item->local_id, patch, err) < 0)
			goto done;
		printf("re-applied the kept fields to item %s\n", item->local_id);
	} else if (strcmp(reason, "deleteRefused") == 0) {
		if (item != NULL) {
			if (ac_store_item_delete(cli->store, item->local_id, err) < 0)
				goto done;
			printf("deleted item %s again\n", item->local_id);
		} else {
			puts("the item is already gone");
		}
	} else if (recreate(cli, issue, err) < 0) {
		goto done;
	}
	if (ac_store_issue_remove(cli->store, json_integer_value(json_object_get(issue, "id")),
				  err) < 0)
		goto done;
	rc = 0;
done:
	ac_item_free(&item);
	json_decref(list);
	return rc;
}

int ac_cmd_conflicts(ac_cli *cli, int argc, char **argv)
{
	at_error err;
	bool json = false;
	const char *sub = argc >= 2 ? argv[1] : "list";
	const char *ref = NULL;
	at_error_clear(&err);
	if (ac_cli_is_help(sub)) {
		fputs(CONFLICTS_USAGE, stdout);
		return AC_EXIT_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (ref == NULL)
			ref = argv[i];
		else
			return ac_cli_usage("conflicts: unexpected argument \"%s\"", argv[i]);
	}
	bool needs_ref = strcmp(sub, "list") != 0;
	if (needs_ref != (ref != NULL))
		return ac_cli_usage(needs_ref ? "conflicts %s: which issue? (an ID from "
				    "`atrium conflicts list`)" : "conflicts %s takes no ID", sub);
	if (ac_cli_open_store(cli, &err) < 0)
		return ac_cli_fail(&err);
	int rc;
	if (strcmp(sub, "list") == 0)
		rc = list_issues(cli, json, &err);
	else if (strcmp(sub, "show") == 0)
		rc = show_issue(cli, ref, json, &err);
	else if (strcmp(sub, "restore") == 0)
		rc = restore_issue(cli, ref, &err);
	else if (strcmp(sub, "discard") == 0) {
		char *end;
		long long id = strtoll(ref, &end, 10);
		rc = *end != '\0' ? at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL,
						 NULL, "no sync issue %s", ref)
				  : ac_store_issue_remove(cli->store, id, &err);
		if (rc == 0)
			printf("discarded sync issue %s\n", ref);
	} else
		return ac_cli_usage("conflicts: unknown subcommand \"%s\"", sub);
	return rc < 0 ? ac_cli_fail(&err) : AC_EXIT_OK;
}
