/* cli_gab.c — atrium gab search, atrium personal show|edit.
 *
 * Both work online: the Global Address Book is searched on the server
 * (Contact/search), and personal data is read and changed there
 * (Account/getPersonalData, Account/setPersonalData), so that a change is
 * in every user's address book at their next sync.  The Global Address Book
 * itself also syncs like any folder ("Public/Global Address Book"), for
 * offline use.  personal edit takes the field options of "contacts add"
 * except the fields the server sets from the account (personal.h). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "engine.h"
#include "model.h"
#include "personal.h"

#define GAB_USAGE \
	"usage: atrium gab search WORDS... [--limit N] [--json]\n" \
	"\n" \
	"Searches the Global Address Book on the server: every word must begin a\n" \
	"word of a person's name, e-mail address, company or phone number; case\n" \
	"and accents do not matter (\"muller\" finds \"Müller\").  Prints name,\n" \
	"e-mail, company and phone, best match first; at most N (default 20,\n" \
	"at most 100).  --json prints the items as the server sends them.\n"

#define PERSONAL_USAGE \
	"usage: atrium personal show [--json]\n" \
	"       atrium personal edit --FIELD VALUE...   (--FIELD '' removes it)\n" \
	"\n" \
	"Your personal data: your entry in the Global Address Book, which every\n" \
	"user sees.  edit takes the field options of \"atrium contacts add\"\n" \
	"(business, private and additional data) except those set from your\n" \
	"account by the administrator:"

/* The first phone number set, most useful first. */
static const char *first_phone(json_t *fields)
{
	static const char *const order[] = {
		"phoneBusiness", "phoneMobile", "phonePrimary", "phoneCompany",
		"phoneBusiness2", "phoneHome", "phoneHome2", "phoneOther", "phoneCar",
		"phoneAssistant", "phoneCallback", "phoneIsdn", "phoneRadio", "phonePager",
		"phoneTelex", "phoneTtyTdd", "phoneBusinessFax", "phoneHomeFax",
		"phoneOtherFax", NULL,
	};
	for (const char *const *p = order; *p != NULL; p++)
		if (ac_jstr(fields, *p) != NULL)
			return ac_jstr(fields, *p);
	return NULL;
}

static int gab_search(ac_cli *cli, int argc, char **argv)
{
	bool json = false;
	long limit = 0;
	const char *v;
	char query[2048] = "";
	size_t qlen = 0;
	at_error err;
	int r;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(GAB_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--limit", &v)) != 0) {
			char *end;
			if (r < 0)
				return AC_EXIT_USAGE;
			limit = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || limit < 1 || limit > 100)
				return ac_cli_usage("--limit takes a number from 1 to 100");
		} else if (strncmp(argv[i], "--", 2) == 0) {
			return ac_cli_usage("gab search: unknown option %s", argv[i]);
		} else {
			size_t n = strlen(argv[i]);
			if (qlen + n + 2 > sizeof(query))
				return ac_cli_usage("gab search: the words are too long");
			if (qlen > 0)
				query[qlen++] = ' ';
			memcpy(query + qlen, argv[i], n + 1);
			qlen += n;
		}
	}
	if (qlen == 0)
		return ac_cli_usage("gab search needs WORDS to search for");
	json_t *args = json_pack("{s:s}", "query", query), *res = NULL;
	if (args == NULL)
		return ac_cli_usage("gab search: the words are not valid UTF-8");
	if (limit > 0)
		json_object_set_new(args, "limit", json_integer(limit));
	at_error_clear(&err);
	if (ac_cli_open_transport(cli, &err) < 0 ||
	    ac_engine_call(&cli->transport, "Contact/search", args, &res, &err) < 0) {
		json_decref(args);
		return ac_cli_fail(&err);
	}
	json_decref(args);
	json_t *items = json_object_get(res, "items");
	if (json) {
		ac_print_json(items);
	} else {
		const at_item_type *t = at_model_item_type("contact");
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			json_t *f = json_object_get(it, "fields");
			char title[256];
			const char *email = ac_jstr(f, "email1"), *company = ac_jstr(f, "company"),
				   *phone = first_phone(f);
			at_model_item_title(t, f, title, sizeof(title));
			printf("%s\t%s\t%s\t%s\n", title, email ? email : "", company ? company : "",
			       phone ? phone : "");
		}
		if (json_array_size(items) == 0)
			fprintf(stderr, "atrium: nobody in the Global Address Book matches\n");
	}
	if (json_is_true(json_object_get(res, "moreAvailable")))
		fprintf(stderr, "atrium: more entries match: give more words or a larger "
			"--limit\n");
	json_decref(res);
	return AC_EXIT_OK;
}

int ac_cmd_gab(ac_cli *cli, int argc, char **argv)
{
	if (argc < 2 || ac_cli_is_help(argv[1])) {
		fputs(GAB_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	if (strcmp(argv[1], "search") == 0)
		return gab_search(cli, argc - 2, argv + 2);
	return ac_cli_usage("unknown gab command \"%s\"", argv[1]);
}

/* --- personal -------------------------------------------------------------------- */

static void personal_help(FILE *out)
{
	const at_item_type *t = at_model_item_type("contact");
	char kebab[AT_MAX_FIELD_NAME * 2], opt[AT_MAX_FIELD_NAME * 5];
	fputs(PERSONAL_USAGE, out);
	for (const char *const *m = at_personal_managed_fields; *m != NULL; m++) {
		at_model_kebab(*m, kebab, sizeof(kebab));
		fprintf(out, "%s --%s", m == at_personal_managed_fields ? "" : ",", kebab);
	}
	fputs(".\n\nfields:\n", out);
	for (size_t i = 0; i < t->n_fields; i++) {
		const at_field_def *f = &t->fields[i];
		if (at_personal_field_managed(f->name))
			continue;
		at_model_kebab(f->name, kebab, sizeof(kebab));
		snprintf(opt, sizeof(opt), "--%s%s", kebab,
			 f->type == AT_FT_DATE ? " YYYY-MM-DD" :
			 f->type == AT_FT_TEXT_LIST ? " A,B,..." : " VALUE");
		fprintf(out, "  %-36s %s\n", opt, f->label);
	}
}

static void print_value(const char *label, json_t *v)
{
	printf("%-24s ", label);
	if (json_is_string(v)) {
		for (const char *p = json_string_value(v); *p != '\0'; p++) {
			putchar(*p);
			if (*p == '\n' && p[1] != '\0')
				printf("%-24s ", "");
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			printf("%s%s", i ? ", " : "", json_is_string(e) ? json_string_value(e) : "?");
	} else {
		char *text = ac_json_dump(v);
		fputs(text, stdout);
		free(text);
	}
	putchar('\n');
}

static void print_personal(json_t *res)
{
	const at_item_type *t = at_model_item_type("contact");
	json_t *fields = json_object_get(res, "fields");
	for (size_t i = 0; i < t->n_fields; i++) {
		json_t *v = json_object_get(fields, t->fields[i].name);
		if (v != NULL)
			print_value(t->fields[i].label, v);
	}
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v)
		if (at_model_field(t, k) == NULL)
			print_value(k, v);
}

static int personal_call(ac_cli *cli, const char *method, json_t *args, bool json)
{
	json_t *res = NULL;
	at_error err;
	at_error_clear(&err);
	if (ac_cli_open_transport(cli, &err) < 0 ||
	    ac_engine_call(&cli->transport, method, args, &res, &err) < 0) {
		json_decref(args);
		if (err.field[0] != '\0' && at_personal_field_managed(err.field)) {
			char kebab[AT_MAX_FIELD_NAME * 2];
			at_model_kebab(err.field, kebab, sizeof(kebab));
			fprintf(stderr, "atrium: --%s: %s\n", kebab, err.message);
			return AC_EXIT_ERROR;
		}
		return ac_cli_fail(&err);
	}
	json_decref(args);
	if (json)
		ac_print_json(res);
	else
		print_personal(res);
	json_decref(res);
	return AC_EXIT_OK;
}

static int personal_show(ac_cli *cli, int argc, char **argv)
{
	bool json = false;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			personal_help(stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return ac_cli_usage("personal show: unexpected argument \"%s\"", argv[i]);
	}
	return personal_call(cli, "Account/getPersonalData", json_object(), json);
}

static int personal_edit(ac_cli *cli, int argc, char **argv)
{
	char kebab[AT_MAX_FIELD_NAME * 2];
	for (int i = 0; i < argc; i++)
		if (ac_cli_is_help(argv[i])) {
			personal_help(stdout);
			return AC_EXIT_OK;
		}
	/* the server's fields: refused here with the option's name */
	for (int i = 0; i < argc; i++) {
		for (const char *const *m = at_personal_managed_fields; *m != NULL; m++) {
			at_model_kebab(*m, kebab, sizeof(kebab));
			size_t n = strlen(kebab);
			const char *a = argv[i];
			if (strncmp(a, "--", 2) != 0)
				continue;
			a += strncmp(a, "--no-", 5) == 0 ? 5 : 2;
			if (strncmp(a, kebab, n) == 0 && (a[n] == '\0' || a[n] == '='))
				return ac_cli_usage("--%s is set from your account by the "
						    "administrator (see atrium personal --help)",
						    kebab);
		}
	}
	json_t *patch = json_object();
	int ret = ac_cli_contact_fields(argc, argv, true, patch);
	if (ret >= 0) {
		json_decref(patch);
		return ret;
	}
	if (json_object_size(patch) == 0) {
		json_decref(patch);
		return ac_cli_usage("personal edit needs at least one --FIELD VALUE");
	}
	return personal_call(cli, "Account/setPersonalData",
			     json_pack("{s:o}", "fields", patch), false);
}

int ac_cmd_personal(ac_cli *cli, int argc, char **argv)
{
	if (argc < 2 || ac_cli_is_help(argv[1])) {
		personal_help(argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	if (strcmp(argv[1], "show") == 0)
		return personal_show(cli, argc - 2, argv + 2);
	if (strcmp(argv[1], "edit") == 0)
		return personal_edit(cli, argc - 2, argv + 2);
	return ac_cli_usage("unknown personal command \"%s\"", argv[1]);
}
