/* cli_mirror.c — atrium mirror: the local files mirror (mirror.h).
 *
 *   atrium mirror enable DIR      mirror every contacts/calendar/tasks folder
 *   atrium mirror disable         stop (the files stay)
 *   atrium mirror status [--json] per folder: directory, files, last scan and
 *                                 the files that do not parse
 *   atrium mirror scan            take in the files' changes now (offline);
 *                                 exit status 1 while a file does not parse
 *
 * Everything here is local: `atrium sync` (and the daemon) scans before and
 * writes after every sync; commands that change the store (contacts,
 * calendar, import, conflicts, folder, personal) write the mirror before
 * they return (ac_cli_mirror_after).  A file that does not parse is reported
 * on stderr as PATH:LINE: message, and kept in `mirror status` until it
 * parses. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "mirror.h"

#define MIRROR_USAGE \
	"usage: atrium mirror enable DIR\n" \
	"       atrium mirror disable\n" \
	"       atrium mirror status [--json]\n" \
	"       atrium mirror scan\n" \
	"\n" \
	"Keeps every synced contacts, calendar and tasks folder as vdir\n" \
	"directories under DIR (DIR/contacts/Contacts/*.vcf, DIR/calendar/\n" \
	"Calendar/*.ics, with displayname and color files), for khard, khal,\n" \
	"todoman or an editor.  Files are written after every sync and every\n" \
	"local change; edits, new files and deleted files are taken in before\n" \
	"every sync (and by \"mirror scan\") as local changes, which the sync\n" \
	"sends.  A file that does not parse is reported and left as it is.\n" \
	"DIR must be new or empty.  \"mirror disable\" leaves the files.\n"

static void print_stats(const char *what, const ac_mirror_stats *st)
{
	char text[512];
	ac_mirror_stats_text(st, text, sizeof(text));
	printf("mirror %s: %u folder%s%s%s\n", what, st->folders, st->folders == 1 ? "" : "s",
	       text[0] ? ", " : "", text);
}

static int mirror_enable(ac_cli *cli, const char *dir)
{
	ac_mirror_stats st = {0};
	at_error err;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 ||
	    ac_mirror_enable(cli->store, dir, &st, stderr, &err) < 0)
		return ac_cli_fail(&err);
	char *root = NULL;
	ac_mirror_root(cli->store, &root, &err);
	printf("mirror enabled at %s\n", root != NULL ? root : dir);
	free(root);
	print_stats("written", &st);
	return AC_EXIT_OK;
}

static int mirror_disable(ac_cli *cli)
{
	at_error err;
	char *root = NULL;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || ac_mirror_root(cli->store, &root, &err) < 0)
		return ac_cli_fail(&err);
	if (root == NULL) {
		puts("the mirror is not enabled");
		return AC_EXIT_OK;
	}
	if (ac_mirror_disable(cli->store, &err) < 0) {
		free(root);
		return ac_cli_fail(&err);
	}
	printf("mirror disabled; the files in %s were left as they are\n", root);
	free(root);
	return AC_EXIT_OK;
}

static int mirror_scan(ac_cli *cli)
{
	ac_mirror_stats scan = {0}, write = {0};
	at_error err;
	char *root = NULL;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || ac_mirror_root(cli->store, &root, &err) < 0)
		return ac_cli_fail(&err);
	if (root == NULL) {
		fputs("atrium: the mirror is not enabled (atrium mirror enable DIR)\n", stderr);
		return AC_EXIT_ERROR;
	}
	free(root);
	if (ac_mirror_scan(cli->store, &scan, stderr, &err) < 0 ||
	    ac_mirror_write(cli->store, &write, stderr, &err) < 0)
		return ac_cli_fail(&err);
	scan.folders = write.folders;
	scan.written = write.written;
	scan.removed = write.removed;
	scan.kept = write.kept;
	print_stats("scanned", &scan);
	/* exit status 1 while any file does not parse (reported or not now) */
	json_t *st = NULL;
	size_t bad = 0, i;
	json_t *f;
	if (ac_mirror_status(cli->store, &st, &err) < 0)
		return ac_cli_fail(&err);
	json_array_foreach(json_object_get(st, "folders"), i, f)
		bad += json_array_size(json_object_get(f, "unparsed"));
	json_decref(st);
	if (bad > 0)
		fprintf(stderr, "atrium: %zu file%s of the mirror do%s not parse (atrium mirror "
			"status)\n", bad, bad == 1 ? "" : "s", bad == 1 ? "es" : "");
	return bad > 0 ? AC_EXIT_ERROR : AC_EXIT_OK;
}

static int mirror_status(ac_cli *cli, bool json)
{
	at_error err;
	json_t *st = NULL;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || ac_mirror_status(cli->store, &st, &err) < 0)
		return ac_cli_fail(&err);
	if (json) {
		ac_print_json(st);
		json_decref(st);
		return AC_EXIT_OK;
	}
	if (!json_is_true(json_object_get(st, "enabled"))) {
		puts("mirror: off (atrium mirror enable DIR)");
		json_decref(st);
		return AC_EXIT_OK;
	}
	const char *scan = ac_jstr(st, "lastScan"), *write = ac_jstr(st, "lastWrite");
	printf("mirror: %s\n", ac_jstr(st, "root"));
	printf("last scan: %s\nlast write: %s\n", scan ? scan : "never", write ? write : "never");
	size_t i, j;
	json_t *f, *b;
	json_array_foreach(json_object_get(st, "folders"), i, f) {
		const char *last = ac_jstr(f, "lastScan");
		json_t *bad = json_object_get(f, "unparsed");
		printf("%-9s %s\n          %" JSON_INTEGER_FORMAT " files, scanned %s%s\n",
		       ac_jstr(f, "module") ? ac_jstr(f, "module") : "?", ac_jstr(f, "path"),
		       json_integer_value(json_object_get(f, "files")), last ? last : "never",
		       json_array_size(bad) ? ", files that do not parse:" : "");
		json_array_foreach(bad, j, b) {
			json_int_t line = json_integer_value(json_object_get(b, "line"));
			if (line > 0)
				printf("            %s:%" JSON_INTEGER_FORMAT ": %s\n", ac_jstr(b, "file"),
				       line, ac_jstr(b, "message"));
			else
				printf("            %s: %s\n", ac_jstr(b, "file"), ac_jstr(b, "message"));
		}
	}
	json_decref(st);
	return AC_EXIT_OK;
}

int ac_cmd_mirror(ac_cli *cli, int argc, char **argv)
{
	if (argc < 2 || ac_cli_is_help(argv[1])) {
		fputs(MIRROR_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	const char *sub = argv[1];
	bool json = false;
	const char *arg = NULL;
	for (int i = 2; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(MIRROR_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0 && strcmp(sub, "status") == 0)
			json = true;
		else if (arg == NULL && strcmp(sub, "enable") == 0 &&
			 (argv[i][0] != '-' || argv[i][1] == '\0'))
			arg = argv[i];
		else
			return ac_cli_usage("mirror %s: unexpected argument \"%s\"", sub, argv[i]);
	}
	if (strcmp(sub, "enable") == 0) {
		if (arg == NULL)
			return ac_cli_usage("mirror enable needs a DIR");
		return mirror_enable(cli, arg);
	}
	if (strcmp(sub, "disable") == 0)
		return mirror_disable(cli);
	if (strcmp(sub, "status") == 0)
		return mirror_status(cli, json);
	if (strcmp(sub, "scan") == 0)
		return mirror_scan(cli);
	return ac_cli_usage("unknown mirror command \"%s\"", sub);
}

void ac_cli_mirror_after(ac_cli *cli, const char *cmd)
{
	static const char *const changing[] = {
		"contacts", "calendar", "tasks", "import", "conflicts", "folder", "personal",
	};
	bool changes = false;
	for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
		changes = changes || strcmp(cmd, changing[i]) == 0;
	if (!changes || cli->store == NULL)
		return;
	at_error err;
	at_error_clear(&err);
	if (ac_mirror_write(cli->store, NULL, stderr, &err) < 0)
		fprintf(stderr, "atrium: the local files mirror was not updated: %s\n",
			err.message);
}
