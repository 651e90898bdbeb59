/* cli_contacts.c — atrium contacts list|show|add|edit|delete.
 *
 * All of them work on the local store only (offline); "atrium sync" sends
 * the changes.  Field options are the kebab-case of the protocol's field
 * names, taken from the model table, so every field of a contact has one:
 * --first-name, --phone-tty-tdd, --business-postal-code, ...  Values are
 * checked locally with the same limits as the server (at_model_validate)
 * unless ATRIUM_SKIP_LOCAL_VALIDATION=1 (for tests of the server's own
 * refusal). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blob.h"
#include "common.h"
#include "model.h"

#define CONTACTS_USAGE \
	"usage: atrium contacts list [--folder PATH] [--json]\n" \
	"       atrium contacts show ID [--json]\n" \
	"       atrium contacts add [--folder PATH] --FIELD VALUE...\n" \
	"       atrium contacts edit ID --FIELD VALUE...   (--FIELD '' removes it)\n" \
	"       atrium contacts edit ID --photo FILE       (a JPEG, PNG or GIF; '' removes it)\n" \
	"       atrium contacts delete ID\n" \
	"\n" \
	"ID is the contact's local id (or its server id).  The default folder is\n" \
	"the user's own Contacts folder; PATH names another one (Contacts/Clients,\n" \
	"\"Alice Martin – Contacts\", Public/Projects, or a folder id: see atrium\n" \
	"folder --help).  \"atrium contacts add --help\" lists the fields.\n"

static const at_item_type *contact_type(void)
{
	return at_model_item_type("contact");
}

static void print_fields_help(FILE *out, bool edit)
{
	const at_item_type *t = contact_type();
	char kebab[AT_MAX_FIELD_NAME * 2];
	char opt[AT_MAX_FIELD_NAME * 5];
	if (edit)
		fputs("usage: atrium contacts edit ID --FIELD VALUE...\n"
		      "(--FIELD '' removes the field)\n", out);
	else
		fputs("usage: atrium contacts add [--folder PATH] --FIELD VALUE...\n"
		      "(prints the new contact's local id)\n", out);
	fputs("\nfields:\n", out);
	for (size_t i = 0; i < t->n_fields; i++) {
		const at_field_def *f = &t->fields[i];
		at_model_kebab(f->name, kebab, sizeof(kebab));
		switch (f->type) {
		case AT_FT_BOOL:
			snprintf(opt, sizeof(opt), "--%s / --no-%s", kebab, kebab);
			fprintf(out, "  %-36s %s\n", opt, f->label);
			break;
		case AT_FT_DATE:
			snprintf(opt, sizeof(opt), "--%s YYYY-MM-DD", kebab);
			fprintf(out, "  %-36s %s\n", opt, f->label);
			break;
		case AT_FT_TEXT_LIST:
			snprintf(opt, sizeof(opt), "--%s A,B,...", kebab);
			fprintf(out, "  %-36s %s (at most %u entries of %u characters)\n",
				opt, f->label, f->max_items, f->max_len);
			break;
		case AT_FT_TEXT:
		case AT_FT_LONGTEXT:
			snprintf(opt, sizeof(opt), "--%s VALUE", kebab);
			fprintf(out, "  %-36s %s (at most %u characters)\n", opt, f->label,
				f->max_len);
			break;
		case AT_FT_OBJECT:  /* photo: a file (blob.h) */
			snprintf(opt, sizeof(opt), "--%s FILE", kebab);
			fprintf(out, "  %-36s %s, at most %lld bytes%s\n", opt, f->label,
				(long long)AT_PHOTO_MAX_BYTES, edit ? " ('' removes it)" : "");
			break;
		case AT_FT_OBJECT_LIST:  /* attachments: atrium attach */
			snprintf(opt, sizeof(opt), "--%s (atrium attach)", kebab);
			fprintf(out, "  %-36s %s; added with atrium attach ID FILE\n", opt,
				f->label);
			break;
		default:
			break;  /* no contact field has the other types */
		}
	}
}

static int bad_value(const char *opt, const char *what)
{
	return ac_cli_usage("%s: %s", opt, what);
}

/* Parses --FIELD VALUE options into fields (null for removals when edit).
 * --folder goes to *folder_r when folder_r is not NULL.  Returns an exit
 * status, or -1 to go on. */
static int parse_field_options(int argc, char **argv, bool edit, json_t *fields,
			       const char **folder_r)
{
	const at_item_type *t = contact_type();
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *v;
		int r;
		if (ac_cli_is_help(arg)) {
			print_fields_help(stdout, edit);
			return AC_EXIT_OK;
		}
		if (folder_r != NULL &&
		    (r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			*folder_r = v;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0)
			return ac_cli_usage("unexpected argument \"%s\"", arg);
		char name[AT_MAX_FIELD_NAME * 2];
		const char *eq = strchr(arg, '=');
		size_t n = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (n == 0 || n >= sizeof(name))
			return ac_cli_usage("unknown option %s", arg);
		memcpy(name, arg + 2, n);
		name[n] = '\0';
		const at_field_def *f = at_model_field_by_kebab(t, name);
		if (f == NULL && strncmp(name, "no-", 3) == 0 && eq == NULL) {
			const at_field_def *b = at_model_field_by_kebab(t, name + 3);
			if (b != NULL && b->type == AT_FT_BOOL) {
				json_object_set_new(fields, b->name, json_false());
				continue;
			}
		}
		if (f == NULL)
			return ac_cli_usage("unknown field option --%s (see atrium contacts "
					    "add --help)", name);
		if (f->type == AT_FT_BOOL) {
			json_t *b = json_true();
			if (eq != NULL) {
				const char *bv = eq + 1;
				if (strcasecmp(bv, "true") == 0 || strcasecmp(bv, "yes") == 0 ||
				    strcmp(bv, "1") == 0)
					b = json_true();
				else if (strcasecmp(bv, "false") == 0 ||
					 strcasecmp(bv, "no") == 0 || strcmp(bv, "0") == 0)
					b = json_false();
				else if (bv[0] == '\0' && edit)
					b = json_null();
				else
					return bad_value(arg, "give true or false");
			}
			json_object_set_new(fields, f->name, b);
			continue;
		}
		if (eq != NULL) {
			v = eq + 1;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return ac_cli_usage("--%s needs a value", name);
		}
		json_t *value;
		if (v[0] == '\0') {
			if (!edit)
				continue;  /* an empty field is simply not set */
			value = json_null();
		} else if (f->type == AT_FT_TEXT_LIST) {
			value = ac_split_list(v);
		} else {
			value = json_string(v);
		}
		if (value == NULL)
			return bad_value(arg, "the value is not valid UTF-8");
		if (json_is_array(value) && json_array_size(value) == 0) {
			json_decref(value);
			value = edit ? json_null() : NULL;
			if (value == NULL)
				continue;
		}
		json_object_set_new(fields, f->name, value);
	}
	return -1;
}

/* Local check with the server's limits, naming the option. */
static int validate(json_t *fields, bool patch)
{
	at_error err;
	char kebab[AT_MAX_FIELD_NAME * 2];
	if (ac_skip_local_validation())
		return 0;
	at_error_clear(&err);
	if (at_model_validate(contact_type(), fields, patch, &err) == 0)
		return 0;
	if (err.field[0] != '\0') {
		at_model_kebab(err.field, kebab, sizeof(kebab));
		fprintf(stderr, "atrium: --%s: %s\n", kebab, err.message);
	} else {
		fprintf(stderr, "atrium: %s\n", err.message);
	}
	return -1;
}

/* --photo FILE out of argv (the other arguments into *rest_r, malloc'ed).
 * Returns an exit status, or -1 to go on. */
static int take_photo(int argc, char **argv, char ***rest_r, int *n_rest_r,
		      const char **photo_r)
{
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int n = 0;
	if (rest == NULL)
		abort();
	for (int i = 0; i < argc; i++) {
		const char *v;
		int r = ac_cli_option(argc, argv, &i, "--photo", &v);
		if (r < 0) {
			free(rest);
			return AC_EXIT_USAGE;
		}
		if (r > 0)
			*photo_r = v;
		else
			rest[n++] = argv[i];
	}
	*rest_r = rest;
	*n_rest_r = n;
	return -1;
}

/* The photo field from --photo FILE: the file checked by content and
 * limit and copied into the blob cache (cli_attach.c); '' removes it in an
 * edit.  Returns an exit status, or -1 to go on. */
static int apply_photo(ac_cli *cli, const char *photo, bool edit, json_t *fields)
{
	if (photo == NULL)
		return -1;
	if (photo[0] == '\0') {
		if (!edit)
			return ac_cli_usage("--photo needs a FILE");
		json_object_set_new(fields, "photo", json_null());
		return -1;
	}
	json_t *value = NULL;
	int ret = ac_cli_photo_field(cli, photo, &value);
	if (ret < 0)
		json_object_set_new(fields, "photo", value);
	return ret;
}

static int contacts_add(ac_cli *cli, int argc, char **argv)
{
	json_t *fields = json_object();
	const char *folder = NULL;
	char folder_id[AC_ID_SIZE] = "";
	char local_id[AC_ID_SIZE];
	at_error err;
	int ret;

	const char *photo = NULL;
	char **rest = NULL;
	int n_rest = 0;
	if ((ret = take_photo(argc, argv, &rest, &n_rest, &photo)) >= 0)
		goto done;
	ret = parse_field_options(n_rest, rest, false, fields, &folder);
	free(rest);
	if (ret >= 0 || (ret = apply_photo(cli, photo, false, fields)) >= 0)
		goto done;
	ret = AC_EXIT_ERROR;
	if (json_object_size(fields) == 0) {
		ret = ac_cli_usage("contacts add needs at least one --FIELD VALUE");
		goto done;
	}
	if (validate(fields, false) < 0)
		goto done;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (folder != NULL) {
		if (ac_cli_find_folder(cli, folder, folder_id, &err) < 0) {
			ret = ac_cli_fail(&err);
			goto done;
		}
	} else if (ac_store_default_folder(cli->store, AT_MODULE_CONTACTS, folder_id,
					   &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (ac_store_item_add(cli->store, folder_id, contact_type()->name, fields, local_id,
			      &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	printf("%s\n", local_id);
	ret = AC_EXIT_OK;
done:
	json_decref(fields);
	return ret;
}

static int contacts_edit(ac_cli *cli, int argc, char **argv)
{
	json_t *patch = json_object();
	at_error err;
	int ret;

	if (argc < 1 || ac_cli_is_help(argv[0])) {
		print_fields_help(argc < 1 ? stderr : stdout, true);
		ret = argc < 1 ? AC_EXIT_USAGE : AC_EXIT_OK;
		goto done;
	}
	const char *ref = argv[0];
	const char *photo = NULL;
	char **rest = NULL;
	int n_rest = 0;
	if ((ret = take_photo(argc - 1, argv + 1, &rest, &n_rest, &photo)) >= 0)
		goto done;
	ret = parse_field_options(n_rest, rest, true, patch, NULL);
	free(rest);
	if (ret >= 0 || (ret = apply_photo(cli, photo, true, patch)) >= 0)
		goto done;
	ret = AC_EXIT_ERROR;
	if (json_object_size(patch) == 0) {
		ret = ac_cli_usage("contacts edit needs at least one --FIELD VALUE");
		goto done;
	}
	if (validate(patch, true) < 0)
		goto done;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 ||
	    ac_store_item_edit(cli->store, ref, patch, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	ret = AC_EXIT_OK;
done:
	json_decref(patch);
	return ret;
}

static int contacts_delete(ac_cli *cli, int argc, char **argv)
{
	at_error err;
	if (argc != 1 || ac_cli_is_help(argv[0])) {
		fputs(CONTACTS_USAGE, argc != 1 ? stderr : stdout);
		return argc != 1 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 ||
	    ac_store_item_delete(cli->store, argv[0], &err) < 0)
		return ac_cli_fail(&err);
	return AC_EXIT_OK;
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

typedef struct titled {
	char title[256];
	ac_item *item;
} titled;

static int cmp_titled(const void *a, const void *b)
{
	const titled *x = a, *y = b;
	int c = strcasecmp(x->title, y->title);
	return c != 0 ? c : strcmp(x->item->local_id, y->item->local_id);
}

static int contacts_list(ac_cli *cli, int argc, char **argv)
{
	const char *folder = NULL, *v;
	bool json = false;
	char folder_id[AC_ID_SIZE] = "";
	ac_item_list items = {0}, unassigned = {0};
	titled *rows = NULL;
	at_error err;
	int ret = AC_EXIT_ERROR, r;

	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(CONTACTS_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			folder = v;
		} else {
			return ac_cli_usage("contacts list: unexpected argument \"%s\"", argv[i]);
		}
	}
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0)
		return ac_cli_fail(&err);
	if (folder != NULL) {
		if (ac_cli_find_folder(cli, folder, folder_id, &err) < 0)
			return ac_cli_fail(&err);
	} else {
		if (ac_store_default_folder(cli->store, AT_MODULE_CONTACTS, folder_id, &err) < 0)
			return ac_cli_fail(&err);
		/* contacts added before the first sync belong to the default */
		if (folder_id[0] != '\0' &&
		    ac_store_items(cli->store, "", &unassigned, &err) < 0)
			return ac_cli_fail(&err);
	}
	if (ac_store_items(cli->store, folder_id, &items, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	size_t total = items.n + unassigned.n, n = 0;
	rows = calloc(total ? total : 1, sizeof(*rows));
	if (rows == NULL)
		abort();
	for (size_t k = 0; k < total; k++) {
		ac_item *it = k < items.n ? items.v[k] : unassigned.v[k - items.n];
		const at_item_type *t = at_model_item_type(it->type);
		/* folder "" holds every module's unfiled items */
		if (it->state == AC_STATE_DELETED || t == NULL || t->module != AT_MODULE_CONTACTS)
			continue;
		at_model_item_title(t, it->fields, rows[n].title, sizeof(rows[n].title));
		rows[n].item = it;
		n++;
	}
	qsort(rows, n, sizeof(*rows), cmp_titled);
	if (json) {
		json_t *arr = json_array();
		for (size_t k = 0; k < n; k++)
			json_array_append_new(arr, ac_item_to_json(rows[k].item));
		ac_print_json(arr);
		json_decref(arr);
	} else {
		char mark[160];
		for (size_t k = 0; k < n; k++) {
			const char *email = ac_jstr(rows[k].item->fields, "email1");
			printf("%s\t%s\t%s\t%s\n", rows[k].item->local_id, rows[k].title,
			       email != NULL ? email : "",
			       marker(rows[k].item, mark, sizeof(mark)));
		}
	}
	ret = AC_EXIT_OK;
done:
	free(rows);
	ac_item_list_free(&items);
	ac_item_list_free(&unassigned);
	return ret;
}

static int contacts_show(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL;
	bool json = false;
	ac_item *it = NULL;
	at_error err;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(CONTACTS_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] != '-' && ref == NULL)
			ref = argv[i];
		else
			return ac_cli_usage("contacts show: unexpected argument \"%s\"", argv[i]);
	}
	if (ref == NULL)
		return ac_cli_usage("contacts show needs an ID");
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || ac_store_item_get(cli->store, ref, &it, &err) < 0)
		return ac_cli_fail(&err);
	if (json) {
		json_t *o = ac_item_to_json(it);
		ac_print_json(o);
		json_decref(o);
		ac_item_free(&it);
		return AC_EXIT_OK;
	}
	const at_item_type *t = at_model_item_type(it->type);
	char title[256] = "";
	if (t != NULL)
		at_model_item_title(t, it->fields, title, sizeof(title));
	printf("%-24s %s\n", "id", it->local_id);
	printf("%-24s %s\n", "title", title);
	ac_print_item_state(it, NULL);
	if (t != NULL) {
		for (size_t i = 0; i < t->n_fields; i++) {
			json_t *v = json_object_get(it->fields, t->fields[i].name);
			if (v != NULL)
				ac_print_value(t->fields[i].label, v);
		}
	}
	/* fields this program's model does not know (a newer server) */
	ac_print_unknown_fields(t, it->fields);
	ac_item_free(&it);
	return AC_EXIT_OK;
}

int ac_cli_contact_fields(int argc, char **argv, bool patch, json_t *fields)
{
	int ret = parse_field_options(argc, argv, patch, fields, NULL);
	if (ret >= 0)
		return ret;
	return validate(fields, patch) < 0 ? AC_EXIT_ERROR : -1;
}

int ac_cmd_contacts(ac_cli *cli, int argc, char **argv)
{
	static const ac_subcommand subs[] = {
		{"list", contacts_list},
		{"show", contacts_show},
		{"add", contacts_add},
		{"edit", contacts_edit},
		{"delete", contacts_delete},
	};
	return ac_cli_subcommand(cli, argc, argv, "contacts", CONTACTS_USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
