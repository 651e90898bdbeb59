/* cli_move.c — atrium move ID --to PATH: an item (a contact, a whole
 * recurring series, a task) to another folder of the same kind.
 *
 * Online for items the server knows (Item/move keeps their id, so
 * references to them and other devices' copies follow); the local copy
 * takes the new folder at once, and the next sync brings nothing twice
 * (the old folder's removal of the id is ignored for an item that is
 * elsewhere already).  An item created offline and never synced just
 * changes folder locally: it is created in the new one. */
#include "cli.h"

#include <string.h>

#include "common.h"
#include "engine.h"
#include "model.h"

#define MOVE_USAGE \
	"usage: atrium move ID --to PATH\n" \
	"\n" \
	"Moves a contact, an appointment (with all its occurrences) or a task\n" \
	"to another folder of the same kind (PATH as in \"atrium folders\").\n" \
	"Online, unless the item was never synced.\n"

/* The module of local folder id, -1 when unknown. */
static int folder_module(ac_cli *cli, const char *id, const char **name_r, at_error *err)
{
	ac_folder_list list = {0};
	int module = -1;
	if (ac_store_folders(cli->store, &list, err) < 0)
		return -2;
	for (size_t i = 0; i < list.n; i++) {
		if (strcmp(list.v[i].id, id) != 0)
			continue;
		at_module m;
		const char *mod = ac_jstr(list.v[i].json, "module");
		if (mod != NULL && at_module_parse(mod, &m) == 0)
			module = (int)m;
		if (name_r != NULL) {
			static char name[AT_MAX_FOLDER_NAME + 1];
			const char *n = ac_jstr(list.v[i].json, "name");
			snprintf(name, sizeof(name), "%s", n != NULL ? n : id);
			*name_r = name;
		}
	}
	ac_folder_list_free(&list);
	return module;
}

int ac_cmd_move(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *path = NULL, *v;
	char to_id[AC_ID_SIZE];
	ac_item *it = NULL;
	json_t *args = NULL, *res = NULL;
	at_error err;
	int ret = AC_EXIT_USAGE, r;
	at_error_clear(&err);
	for (int i = 1; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(MOVE_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--to", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			path = v;
		} else if (argv[i][0] == '-' || ref != NULL) {
			return ac_cli_usage("move: unexpected argument \"%s\"", argv[i]);
		} else {
			ref = argv[i];
		}
	}
	if (ref == NULL || path == NULL)
		return ac_cli_usage("move needs an ID and --to PATH");
	if (ac_cli_open_store(cli, &err) < 0 || ac_store_item_get(cli->store, ref, &it, &err) < 0 ||
	    ac_cli_find_folder(cli, path, to_id, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (it->state == AC_STATE_DELETED) {
		at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "item %s is deleted", ref);
		ret = ac_cli_fail(&err);
		goto done;
	}
	const at_item_type *type = at_model_item_type(it->type);
	const char *to_name = path;
	int to_module = folder_module(cli, to_id, &to_name, &err);
	if (to_module == -2) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (type == NULL || to_module != (int)type->module) {
		at_error_set(&err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "to",
			     "folder \"%s\" cannot hold a %s", path, it->type);
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (strcmp(it->folder_id, to_id) == 0) {
		printf("already in %s\n", to_name);
		ret = AC_EXIT_OK;
		goto done;
	}
	if (it->server_id[0] != '\0') {
		args = json_pack("{s:s,s:s,s:[s]}", "fromFolderId", it->folder_id, "toFolderId",
				 to_id, "ids", it->server_id);
		if (ac_cli_open_transport(cli, &err) < 0 ||
		    ac_engine_call(&cli->transport, "Item/move", args, &res, &err) < 0) {
			ret = ac_cli_fail(&err);
			goto done;
		}
		json_t *r0 = json_array_get(json_object_get(res, "results"), 0);
		if (r0 == NULL || strcmp(ac_jstr(r0, "status") ? ac_jstr(r0, "status") : "", "ok") != 0) {
			json_t *e = json_object_get(r0, "error");
			at_error_set(&err, ac_jstr(e, "type") ? ac_jstr(e, "type") : AT_E_SERVER,
				     AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL, "the server did not move it: %s",
				     ac_jstr(e, "message") ? ac_jstr(e, "message") : "no answer");
			ret = ac_cli_fail(&err);
			goto done;
		}
		json_t *ver = json_object_get(r0, "version");
		if (json_is_integer(ver))
			it->version = json_integer_value(ver);
	}
	snprintf(it->folder_id, sizeof(it->folder_id), "%s", to_id);
	if (ac_store_begin(cli->store, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (ac_store_item_put(cli->store, it, &err) < 0 || ac_store_commit(cli->store, &err) < 0) {
		/* the server has moved it: the next sync brings it here anyway */
		ac_store_rollback(cli->store);
		ret = ac_cli_fail(&err);
		goto done;
	}
	char title[256];
	at_model_item_title(type, it->fields, title, sizeof(title));
	printf("moved %s to %s\n", title, to_name);
	ret = AC_EXIT_OK;
done:
	json_decref(args);
	json_decref(res);
	ac_item_free(&it);
	return ret;
}
