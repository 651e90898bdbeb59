/* cli_folders.c — atrium folders, atrium folder create|rename|move|delete|
 * permissions|grant|revoke, and the --folder PATH of the item commands.
 *
 * "atrium folders" shows the tree of the local store (as of the last sync):
 * the private, shared and public branches, each folder's module, the user's
 * rights and the number of items the store holds.  The folder commands act
 * online: they bring the tree up to date (Folder/sync), send one change
 * (Folder/set, Folder/getPermissions or Folder/setPermissions) and sync the
 * tree again, so that the change is in the local store when they return.
 * Folder paths are those of tree.h. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acl.h"
#include "common.h"
#include "engine.h"
#include "model.h"
#include "protocol.h"
#include "tree.h"

#define FOLDERS_USAGE \
	"usage: atrium folders [--json]\n" \
	"\n" \
	"The folder tree as of the last sync: your private folders, folders\n" \
	"others share with you (\"Owner – Folder\") and public folders, with each\n" \
	"folder's module, your rights and the number of items held locally.\n"

#define FOLDER_USAGE \
	"usage: atrium folder create PATH [--module contacts|calendar|tasks] [--public]\n" \
	"       atrium folder rename PATH NEWNAME\n" \
	"       atrium folder move PATH NEWPARENT\n" \
	"       atrium folder delete PATH [--yes]\n" \
	"       atrium folder permissions PATH [--json]\n" \
	"       atrium folder grant PATH LOGIN|@GROUP LEVEL\n" \
	"       atrium folder revoke PATH LOGIN|@GROUP\n" \
	"\n" \
	"These commands work online: each sends its change to the server at once\n" \
	"and then brings the local folder tree up to date.\n" \
	"\n" \
	"PATH names a folder by the names from the top of its branch, separated\n" \
	"by \"/\": Contacts/Clients (your own folders), \"Alice Martin – Contacts\"\n" \
	"(a folder shared with you; \" - \" may be typed for \" – \"), Public/Projects\n" \
	"(public folders).  \"\\/\" is a slash inside a name.  A folder id works too.\n" \
	"\n" \
	"create makes the folder named by the last part of PATH inside the folder\n" \
	"the rest of PATH names: Contacts/Clients/Europe.  A single name is made at\n" \
	"the top of your tree, Public/NAME (or NAME --public) at the top of the\n" \
	"public tree.  A subfolder takes its parent's module; --module is needed at\n" \
	"the top.  move takes a PATH as NEWPARENT, or / for the top of your tree\n" \
	"(Public for the top of the public tree).  delete removes the folder with\n" \
	"its subfolders and items, for every user; it asks for confirmation on a\n" \
	"terminal, and off a terminal it needs --yes.\n" \
	"\n" \
	"LEVEL is none, contributor, reviewer, nonediting-author, author,\n" \
	"publishing-author, editor, publishing-editor, owner, a number 0-8 in that\n" \
	"order, or custom:folder=none|see|create|subfolders,read=none|own|all,\n" \
	"write=none|own|all,delete=none|own|all,admin=yes|no (parts left out are\n" \
	"none/no).\n"

/* --- the tree -------------------------------------------------------------------- */

typedef struct tree_view {
	ac_folder_list list;
	ac_tree tree;
} tree_view;

static void view_free(tree_view *tv)
{
	ac_tree_free(&tv->tree);
	ac_folder_list_free(&tv->list);
}

static int view_load(ac_cli *cli, tree_view *tv, at_error *err)
{
	memset(tv, 0, sizeof(*tv));
	if (ac_store_folders(cli->store, &tv->list, err) < 0)
		return -1;
	if (ac_tree_build(&tv->list, &tv->tree, err) < 0) {
		ac_folder_list_free(&tv->list);
		return -1;
	}
	return 0;
}

int ac_cli_find_folder(ac_cli *cli, const char *ref, char id_r[AC_ID_SIZE], at_error *err)
{
	tree_view tv;
	int index;
	id_r[0] = '\0';
	if (view_load(cli, &tv, err) < 0)
		return -1;
	int ret = ac_tree_find(&tv.tree, ref, &index, err);
	if (ret == 0)
		snprintf(id_r, AC_ID_SIZE, "%s", tv.tree.v[index].id);
	view_free(&tv);
	return ret;
}

static const char *const folder_words[] = {"none", "see", "create", "subfolders"};
static const char *const obj_words[] = {"none", "own", "all"};

/* A level name, or custom:folder=..,read=..,write=..,delete=..,admin=.. */
static void rights_text(json_t *rights, char *buf, size_t size)
{
	at_rights r;
	if (!json_is_object(rights) || at_rights_from_json(rights, &r) < 0) {
		snprintf(buf, size, "?");
		return;
	}
	at_level level = at_rights_level(&r);
	if (level != AT_LEVEL_CUSTOM) {
		snprintf(buf, size, "%s", at_level_name(level));
		return;
	}
	snprintf(buf, size, "custom:folder=%s,read=%s,write=%s,delete=%s,admin=%s",
		 folder_words[r.folder], obj_words[r.read], obj_words[r.write], obj_words[r.del],
		 r.admin ? "yes" : "no");
}

static int count_items(ac_cli *cli, const char *folder_id, int64_t *n_r, at_error *err)
{
	ac_item_list items = {0};
	*n_r = 0;
	if (ac_store_items(cli->store, folder_id, &items, err) < 0)
		return -1;
	for (size_t i = 0; i < items.n; i++)
		if (items.v[i]->state != AC_STATE_DELETED)
			(*n_r)++;
	ac_item_list_free(&items);
	return 0;
}

static void pad(size_t width, size_t used)
{
	for (size_t i = used; i < width; i++)
		putchar(' ');
}

static int folders_list(ac_cli *cli, bool json, at_error *err)
{
	tree_view tv;
	int ret = -1;
	if (view_load(cli, &tv, err) < 0)
		return -1;
	int64_t *counts = calloc(tv.tree.n ? tv.tree.n : 1, sizeof(*counts));
	if (counts == NULL)
		abort();
	for (size_t i = 0; i < tv.tree.n; i++)
		if (count_items(cli, tv.tree.v[i].id, &counts[i], err) < 0)
			goto done;
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < tv.tree.n; i++) {
			const ac_tree_node *n = &tv.tree.v[i];
			char level[160];
			json_t *rights = json_object_get(n->json, "rights");
			rights_text(rights, level, sizeof(level));
			json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:I}", "id", n->id,
					      "path", n->path, "branch", ac_branch_name(n->branch),
					      "label", n->label, "depth", n->depth, "level", level,
					      "items", (json_int_t)counts[i]);
			static const char *const copied[] = {"name", "displayName", "module", "type",
							     "parentId", "ownerId", "isDefault",
							     "rights"};
			for (size_t k = 0; k < sizeof(copied) / sizeof(copied[0]); k++) {
				json_t *v = json_object_get(n->json, copied[k]);
				json_object_set(o, copied[k], v != NULL ? v : json_null());
			}
			json_array_append_new(arr, o);
		}
		ac_print_json(arr);
		json_decref(arr);
		ret = 0;
		goto done;
	}
	size_t width = 0, level_width = 5;
	for (size_t i = 0; i < tv.tree.n; i++) {
		const ac_tree_node *n = &tv.tree.v[i];
		size_t w = 2 * (size_t)(n->depth + 1) + at_utf8_length(n->label, strlen(n->label));
		char level[160];
		rights_text(json_object_get(n->json, "rights"), level, sizeof(level));
		if (w > width)
			width = w;
		if (strlen(level) > level_width)
			level_width = strlen(level);
	}
	static const char *const headings[] = {"Private folders", "Shared with you",
					       "Public folders"};
	for (int b = AC_BRANCH_PRIVATE; b <= AC_BRANCH_PUBLIC; b++) {
		puts(headings[b]);
		bool any = false;
		for (size_t i = 0; i < tv.tree.n; i++) {
			const ac_tree_node *n = &tv.tree.v[i];
			if ((int)n->branch != b)
				continue;
			any = true;
			char level[160];
			rights_text(json_object_get(n->json, "rights"), level, sizeof(level));
			const char *module = ac_jstr(n->json, "module");
			size_t indent = 2 * (size_t)(n->depth + 1);
			pad(indent, 0);
			fputs(n->label, stdout);
			pad(width + 2, indent + at_utf8_length(n->label, strlen(n->label)));
			/* the default folders of the user (another user's are just
			 * shared folders here) */
			bool mine_default = n->branch == AC_BRANCH_PRIVATE &&
					    json_is_true(json_object_get(n->json, "isDefault"));
			printf("%-9s %-*s %5lld item%s%s\n", module ? module : "?",
			       (int)level_width, level, (long long)counts[i],
			       counts[i] == 1 ? "" : "s", mine_default ? "  (default)" : "");
		}
		if (!any)
			puts("  (none)");
	}
	ret = 0;
done:
	free(counts);
	view_free(&tv);
	return ret;
}

int ac_cmd_folders(ac_cli *cli, int argc, char **argv)
{
	bool json = false;
	at_error err;
	for (int i = 1; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(FOLDERS_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return ac_cli_usage("folders: unexpected argument \"%s\"", argv[i]);
	}
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || folders_list(cli, json, &err) < 0)
		return ac_cli_fail(&err);
	return AC_EXIT_OK;
}

/* --- online helpers ------------------------------------------------------------------ */

/* Store and transport open, the tree brought up to date. */
static int go_online(ac_cli *cli, at_error *err)
{
	if (ac_cli_open_store(cli, err) < 0 || ac_cli_open_transport(cli, err) < 0)
		return -1;
	return ac_engine_sync_folders(cli->store, &cli->transport, err);
}

/* Resolves ref after the tree was refreshed: id, path and the server's
 * folder object (new reference). */
static int resolve(ac_cli *cli, const char *ref, char id_r[AC_ID_SIZE], char **path_r,
		   json_t **json_r, at_error *err)
{
	tree_view tv;
	int index;
	if (view_load(cli, &tv, err) < 0)
		return -1;
	int ret = ac_tree_find(&tv.tree, ref, &index, err);
	if (ret == 0) {
		snprintf(id_r, AC_ID_SIZE, "%s", tv.tree.v[index].id);
		if (path_r != NULL)
			*path_r = strdup(tv.tree.v[index].path);
		if (json_r != NULL)
			*json_r = json_incref(tv.tree.v[index].json);
	}
	view_free(&tv);
	return ret;
}

/* The current path of a folder id (malloc'ed; the id if it is not known). */
static char *path_of(ac_cli *cli, const char *id)
{
	tree_view tv;
	at_error err;
	char *path = NULL;
	if (view_load(cli, &tv, &err) == 0) {
		for (size_t i = 0; i < tv.tree.n && path == NULL; i++)
			if (strcmp(tv.tree.v[i].id, id) == 0)
				path = strdup(tv.tree.v[i].path);
		view_free(&tv);
	}
	return path != NULL ? path : strdup(id);
}

/* One Folder/set entry; its result (new reference) when it succeeded. */
static int folder_set(ac_cli *cli, json_t *args, json_t **result_r, at_error *err)
{
	json_t *res = NULL;
	*result_r = NULL;
	if (ac_engine_call(&cli->transport, "Folder/set", args, &res, err) < 0)
		return -1;
	json_t *r = json_array_get(json_object_get(res, "results"), 0);
	const char *status = ac_jstr(r, "status");
	if (status == NULL) {
		json_decref(res);
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
				    "the server's answer to Folder/set has no result");
	}
	if (strcmp(status, "ok") != 0) {
		at_error_from_json(json_object_get(r, "error"), err);
		json_decref(res);
		return -1;
	}
	*result_r = json_incref(r);
	json_decref(res);
	return 0;
}

/* --- create, rename, move, delete ----------------------------------------------------- */

static int folder_create(ac_cli *cli, int argc, char **argv)
{
	const char *path = NULL, *module = NULL, *v;
	bool public_flag = false;
	at_error err;
	int r;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(FOLDER_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--module", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			module = v;
		} else if (strcmp(argv[i], "--public") == 0) {
			public_flag = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return ac_cli_usage("folder create: unknown option %s", argv[i]);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return ac_cli_usage("folder create: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (path == NULL)
		return ac_cli_usage("folder create needs a PATH");
	at_module m;
	if (module != NULL && (at_module_parse(module, &m) < 0 || m == AT_MODULE_MAIL))
		return ac_cli_usage("--module is contacts, calendar or tasks, not \"%s\"", module);
	at_error_clear(&err);
	if (go_online(cli, &err) < 0)
		return ac_cli_fail(&err);
	tree_view tv;
	int parent;
	bool public_top;
	char *name = NULL;
	if (view_load(cli, &tv, &err) < 0)
		return ac_cli_fail(&err);
	if (ac_tree_locate_new(&tv.tree, path, &parent, &public_top, &name, &err) < 0) {
		view_free(&tv);
		return ac_cli_fail(&err);
	}
	char cid[AC_ID_SIZE];
	ac_random_id(cid);
	json_t *entry = json_pack("{s:s,s:s}", "name", name, "clientId", cid);
	int ret = AC_EXIT_ERROR;
	if (parent >= 0) {
		const ac_tree_node *p = &tv.tree.v[parent];
		if (public_flag && p->branch != AC_BRANCH_PUBLIC) {
			ret = ac_cli_usage("--public: \"%s\" is not a public folder; a subfolder "
					   "is public when its parent is", p->path);
			goto done;
		}
		json_object_set_new(entry, "parentId", json_string(p->id));
		if (module == NULL)
			module = ac_jstr(p->json, "module");
	} else {
		json_object_set_new(entry, "parentId", json_null());
		json_object_set_new(entry, "public", json_boolean(public_top || public_flag));
		if (module == NULL) {
			ret = ac_cli_usage("folder create: a folder at the top of a tree needs "
					   "--module contacts|calendar|tasks");
			goto done;
		}
	}
	json_object_set_new(entry, "module", json_string(module ? module : "contacts"));
	json_t *args = json_pack("{s:[O]}", "create", entry), *res;
	r = folder_set(cli, args, &res, &err);
	json_decref(args);
	if (r < 0 || ac_engine_sync_folders(cli->store, &cli->transport, &err) < 0) {
		json_decref(res);
		ret = ac_cli_fail(&err);
		goto done;
	}
	const char *id = ac_jstr(res, "id");
	char *now = path_of(cli, id ? id : "");
	printf("created folder %s (%s)\n", now, id ? id : "?");
	free(now);
	json_decref(res);
	ret = AC_EXIT_OK;
done:
	json_decref(entry);
	free(name);
	view_free(&tv);
	return ret;
}

/* rename (NEWNAME) or move (NEWPARENT) */
static int folder_update(ac_cli *cli, int argc, char **argv, bool move)
{
	const char *what = move ? "move" : "rename";
	at_error err;
	char id[AC_ID_SIZE], parent_id[AC_ID_SIZE];
	json_t *folder = NULL;
	for (int i = 0; i < argc; i++)
		if (ac_cli_is_help(argv[i])) {
			fputs(FOLDER_USAGE, stdout);
			return AC_EXIT_OK;
		}
	if (argc != 2)
		return ac_cli_usage("folder %s needs PATH and %s", what,
				    move ? "NEWPARENT" : "NEWNAME");
	at_error_clear(&err);
	if (go_online(cli, &err) < 0 || resolve(cli, argv[0], id, NULL, &folder, &err) < 0)
		return ac_cli_fail(&err);
	json_t *entry = json_pack("{s:s}", "id", id);
	if (!move) {
		json_object_set_new(entry, "name", json_string(argv[1]));
	} else if (strcmp(argv[1], "/") == 0 || strcmp(argv[1], "Public") == 0 ||
		   strcmp(argv[1], "/Public") == 0) {
		const char *type = ac_jstr(folder, "type");
		bool is_public = type != NULL && strcmp(type, "public") == 0;
		if ((strcmp(argv[1], "/") != 0) != is_public) {
			json_decref(entry);
			json_decref(folder);
			return ac_cli_usage("folder move: %s folders move within their own tree "
					    "(give %s for its top)", is_public ? "public" :
					    "private and shared", is_public ? "Public" : "/");
		}
		json_object_set_new(entry, "parentId", json_null());
	} else {
		if (resolve(cli, argv[1], parent_id, NULL, NULL, &err) < 0) {
			json_decref(entry);
			json_decref(folder);
			return ac_cli_fail(&err);
		}
		json_object_set_new(entry, "parentId", json_string(parent_id));
	}
	json_decref(folder);
	json_t *args = json_pack("{s:[o]}", "update", entry), *res;
	int r = folder_set(cli, args, &res, &err);
	json_decref(args);
	json_decref(res);
	if (r < 0 || ac_engine_sync_folders(cli->store, &cli->transport, &err) < 0)
		return ac_cli_fail(&err);
	char *now = path_of(cli, id);
	printf("%s folder: now %s\n", move ? "moved" : "renamed", now);
	free(now);
	return AC_EXIT_OK;
}

/* Subfolders and items (as held locally) of folder index i. */
static void subtree_counts(ac_cli *cli, const ac_tree *t, int index, size_t *folders_r,
			   int64_t *items_r)
{
	at_error err;
	*folders_r = 0;
	*items_r = 0;
	for (size_t i = 0; i < t->n; i++) {
		bool inside = false;
		for (int p = (int)i; p >= 0 && !inside; p = t->v[p].parent)
			inside = p == index;
		if (!inside)
			continue;
		int64_t n;
		if ((int)i != index)
			(*folders_r)++;
		if (count_items(cli, t->v[i].id, &n, &err) == 0)
			*items_r += n;
	}
}

static int folder_delete(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL;
	bool yes = false;
	at_error err;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(FOLDER_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0)
			yes = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return ac_cli_usage("folder delete: unknown option %s", argv[i]);
		else if (ref == NULL)
			ref = argv[i];
		else
			return ac_cli_usage("folder delete: unexpected argument \"%s\"", argv[i]);
	}
	if (ref == NULL)
		return ac_cli_usage("folder delete needs a PATH");
	if (!yes && !isatty(STDIN_FILENO))
		return ac_cli_usage("folder delete: standard input is not a terminal; confirm "
				    "with --yes");
	at_error_clear(&err);
	if (go_online(cli, &err) < 0)
		return ac_cli_fail(&err);
	tree_view tv;
	int index;
	if (view_load(cli, &tv, &err) < 0)
		return ac_cli_fail(&err);
	if (ac_tree_find(&tv.tree, ref, &index, &err) < 0) {
		view_free(&tv);
		return ac_cli_fail(&err);
	}
	char id[AC_ID_SIZE];
	char *path = strdup(tv.tree.v[index].path);
	snprintf(id, sizeof(id), "%s", tv.tree.v[index].id);
	size_t subfolders;
	int64_t items;
	subtree_counts(cli, &tv.tree, index, &subfolders, &items);
	view_free(&tv);
	if (!yes) {
		char answer[16];
		fprintf(stderr, "Delete folder \"%s\" with %zu subfolder%s and %lld item%s, "
			"for every user? [y/N] ", path, subfolders, subfolders == 1 ? "" : "s",
			(long long)items, items == 1 ? "" : "s");
		fflush(stderr);
		if (ac_cli_read_line(stdin, answer, sizeof(answer)) < 0 ||
		    (strcasecmp(answer, "y") != 0 && strcasecmp(answer, "yes") != 0)) {
			fputs("atrium: nothing deleted\n", stderr);
			free(path);
			return AC_EXIT_ERROR;
		}
	}
	json_t *args = json_pack("{s:[{s:s}]}", "delete", "id", id), *res;
	int r = folder_set(cli, args, &res, &err);
	json_decref(args);
	size_t removed = json_array_size(json_object_get(res, "removed"));
	json_decref(res);
	if (r < 0 || ac_engine_sync_folders(cli->store, &cli->transport, &err) < 0) {
		free(path);
		return ac_cli_fail(&err);
	}
	printf("deleted folder %s (%zu folder%s)\n", path, removed, removed == 1 ? "" : "s");
	free(path);
	return AC_EXIT_OK;
}

/* --- permissions --------------------------------------------------------------------- */

static json_t *principal_of(const char *who)
{
	if (who[0] == '@')
		return json_pack("{s:s,s:s}", "type", "group", "name", who + 1);
	return json_pack("{s:s,s:s}", "type", "user", "login", who);
}

static int word_index(const char *s, size_t n, const char *const *words, int count)
{
	for (int i = 0; i < count; i++)
		if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
			return i;
	return -1;
}

/* LEVEL -> {"level": name} or {"rights": {...}} members, added to entry.
 * 0, or AC_EXIT_USAGE after a message. */
static int parse_level(const char *s, json_t *entry)
{
	static const char *const yes_no[] = {"no", "yes", "false", "true"};
	if (s[0] >= '0' && s[0] <= '8' && s[1] == '\0') {
		json_object_set_new(entry, "level", json_string(at_level_name((at_level)(s[0] - '0'))));
		return 0;
	}
	for (int l = AT_LEVEL_NONE; l <= AT_LEVEL_OWNER; l++)
		if (strcasecmp(s, at_level_name((at_level)l)) == 0) {
			json_object_set_new(entry, "level", json_string(at_level_name((at_level)l)));
			return 0;
		}
	if (strncasecmp(s, "custom:", 7) != 0)
		return ac_cli_usage("unknown LEVEL \"%s\" (see atrium folder --help)", s);
	at_rights r = at_level_rights(AT_LEVEL_NONE);
	bool seen[5] = {false};
	const char *p = s + 7;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (eq == NULL)
			return ac_cli_usage("LEVEL %s: \"%.*s\" is not KEY=VALUE", s, (int)n, p);
		static const char *const keys[] = {"folder", "read", "write", "delete", "admin"};
		int key = word_index(p, (size_t)(eq - p), keys, 5);
		const char *val = eq + 1;
		size_t vn = n - (size_t)(eq - p) - 1;
		int w = key == 0 ? word_index(val, vn, folder_words, 4)
		      : key == 4 ? word_index(val, vn, yes_no, 4)
		      : key > 0 ? word_index(val, vn, obj_words, 3) : -1;
		if (key < 0 || w < 0 || seen[key])
			return ac_cli_usage("LEVEL %s: bad part \"%.*s\" (folder=none|see|create|"
					    "subfolders, read|write|delete=none|own|all, "
					    "admin=yes|no, each once)", s, (int)n, p);
		seen[key] = true;
		switch (key) {
		case 0: r.folder = (at_folder_right)w; break;
		case 1: r.read = (at_obj_right)w; break;
		case 2: r.write = (at_obj_right)w; break;
		case 3: r.del = (at_obj_right)w; break;
		default: r.admin = w % 2 == 1; break;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	json_object_set_new(entry, "rights", at_rights_to_json(&r));
	return 0;
}

static void print_entries(json_t *entries)
{
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		json_t *p = json_object_get(e, "principal");
		const char *type = ac_jstr(p, "type");
		bool group = type != NULL && strcmp(type, "group") == 0;
		char who[80], level[160];
		snprintf(who, sizeof(who), "%s%s", group ? "@" : "",
			 ac_jstr(p, group ? "name" : "login") ? ac_jstr(p, group ? "name" : "login")
							      : "?");
		rights_text(json_object_get(e, "rights"), level, sizeof(level));
		const char *display = ac_jstr(p, "displayName");
		printf("%-24s ", who);
		fputs(display ? display : "", stdout);
		pad(24, display ? at_utf8_length(display, strlen(display)) : 0);
		printf(" %s\n", level);
	}
}

static int folder_permissions(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL;
	bool json = false;
	at_error err;
	char id[AC_ID_SIZE];
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(FOLDER_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (ref == NULL && argv[i][0] != '-')
			ref = argv[i];
		else
			return ac_cli_usage("folder permissions: unexpected argument \"%s\"",
					    argv[i]);
	}
	if (ref == NULL)
		return ac_cli_usage("folder permissions needs a PATH");
	at_error_clear(&err);
	json_t *res = NULL, *args;
	if (go_online(cli, &err) < 0 || resolve(cli, ref, id, NULL, NULL, &err) < 0)
		return ac_cli_fail(&err);
	args = json_pack("{s:s}", "folderId", id);
	int r = ac_engine_call(&cli->transport, "Folder/getPermissions", args, &res, &err);
	json_decref(args);
	if (r < 0)
		return ac_cli_fail(&err);
	json_t *entries = json_object_get(res, "entries");
	if (json) {
		ac_print_json(entries);
	} else {
		print_entries(entries);
	}
	json_decref(res);
	return AC_EXIT_OK;
}

/* grant (level given) or revoke (level NULL) */
static int folder_grant(ac_cli *cli, int argc, char **argv, bool grant)
{
	at_error err;
	char id[AC_ID_SIZE];
	for (int i = 0; i < argc; i++)
		if (ac_cli_is_help(argv[i])) {
			fputs(FOLDER_USAGE, stdout);
			return AC_EXIT_OK;
		}
	if (argc != (grant ? 3 : 2))
		return ac_cli_usage(grant ? "folder grant needs PATH, LOGIN|@GROUP and LEVEL"
				    : "folder revoke needs PATH and LOGIN|@GROUP");
	const char *who = argv[1];
	if (who[0] == '\0' || strcmp(who, "@") == 0)
		return ac_cli_usage("give a LOGIN or @GROUP, not \"%s\"", who);
	json_t *change = NULL;
	if (grant) {
		change = json_pack("{s:o}", "principal", principal_of(who));
		if (parse_level(argv[2], change) != 0) {
			json_decref(change);
			return AC_EXIT_USAGE;
		}
	}
	at_error_clear(&err);
	if (go_online(cli, &err) < 0 || resolve(cli, argv[0], id, NULL, NULL, &err) < 0) {
		json_decref(change);
		return ac_cli_fail(&err);
	}
	json_t *args = grant ? json_pack("{s:s,s:[o]}", "folderId", id, "set", change)
			     : json_pack("{s:s,s:[o]}", "folderId", id, "remove",
					 principal_of(who));
	json_t *res = NULL;
	int r = ac_engine_call(&cli->transport, "Folder/setPermissions", args, &res, &err);
	json_decref(args);
	if (r < 0 || ac_engine_sync_folders(cli->store, &cli->transport, &err) < 0) {
		json_decref(res);
		return ac_cli_fail(&err);
	}
	print_entries(json_object_get(res, "entries"));
	json_decref(res);
	return AC_EXIT_OK;
}

static int folder_rename(ac_cli *cli, int argc, char **argv)
{
	return folder_update(cli, argc, argv, false);
}

static int folder_move(ac_cli *cli, int argc, char **argv)
{
	return folder_update(cli, argc, argv, true);
}

static int folder_grant_cmd(ac_cli *cli, int argc, char **argv)
{
	return folder_grant(cli, argc, argv, true);
}

static int folder_revoke(ac_cli *cli, int argc, char **argv)
{
	return folder_grant(cli, argc, argv, false);
}

int ac_cmd_folder(ac_cli *cli, int argc, char **argv)
{
	static const ac_subcommand subs[] = {
		{"create", folder_create},
		{"rename", folder_rename},
		{"move", folder_move},
		{"delete", folder_delete},
		{"permissions", folder_permissions},
		{"grant", folder_grant_cmd},
		{"revoke", folder_revoke},
	};
	return ac_cli_subcommand(cli, argc, argv, "folder", FOLDER_USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
