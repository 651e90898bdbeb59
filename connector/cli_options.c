/* cli_options.c — atrium options, atrium debug bundle.
 *
 * options shows and sets the profile's settings (options.h).  debug bundle
 * packs what a bug report needs into one tarball: system and library
 * versions, the options, the profile without its secret, the folder list
 * with errors, counts of pending changes and sync issues, and the log with
 * secrets redacted.  Nothing secret goes in: the password and token are
 * never read into the bundle, and every log line passes at_log_redact(). */
#include "cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "options.h"

extern char **environ;

#define OPTIONS_USAGE \
	"usage: atrium options [show] [--json]\n" \
	"       atrium options set KEY VALUE\n" \
	"\n" \
	"Settings of the current profile:\n"

#define DEBUG_USAGE \
	"usage: atrium debug bundle FILE\n" \
	"\n" \
	"Writes FILE (.tar.gz) with what a bug report needs: versions, options,\n" \
	"the profile without its secret, folders and their errors, counts of\n" \
	"pending changes and sync issues, and the log with secrets removed.\n"

#define BUNDLE_LOG_MAX (4u * 1024 * 1024)

static void options_usage(FILE *out)
{
	fputs(OPTIONS_USAGE, out);
	for (const char *const *h = ac_option_help; *h != NULL; h++)
		fprintf(out, "  %s\n", *h);
}

int ac_cmd_options(ac_cli *cli, int argc, char **argv)
{
	at_error err;
	ac_options opts;
	bool json = false;
	at_error_clear(&err);
	if (argc >= 2 && ac_cli_is_help(argv[1])) {
		options_usage(stdout);
		return AC_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "set") == 0) {
		if (argc != 4)
			return ac_cli_usage("usage: atrium options set KEY VALUE");
		if (ac_cli_open_profile(cli, &err) < 0 ||
		    ac_options_set(cli->profile, argv[2], argv[3], &err) < 0)
			return ac_cli_fail(&err);
		printf("%s = %s\n", argv[2], argv[3]);
		return AC_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "show") != 0 || i != 1)
			return ac_cli_usage("options: unexpected argument \"%s\"", argv[i]);
	}
	if (ac_cli_open_profile(cli, &err) < 0 || ac_options_load(cli->profile, &opts, &err) < 0)
		return ac_cli_fail(&err);
	json_t *o = ac_options_to_json(&opts);
	if (json) {
		ac_print_json(o);
	} else {
		const char *k;
		json_t *v;
		printf("profile %s (%s)\n", cli->profile->name, cli->profile->dir);
		json_object_foreach(o, k, v)
			printf("  %-14s %s\n", k, json_string_value(v));
	}
	json_decref(o);
	ac_options_free(&opts);
	return AC_EXIT_OK;
}

/* --- debug bundle ----------------------------------------------------------- */

static int put_json(const char *dir, const char *name, json_t *v, at_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		abort();
	int rc = ac_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

static json_t *system_info(void)
{
	struct utsname u;
	json_t *o = json_object();
	if (uname(&u) == 0)
		json_object_set_new(o, "system", json_sprintf("%s %s %s", u.sysname, u.release,
							      u.machine));
	json_object_set_new(o, "atrium", json_string("0.1.0"));
	json_object_set_new(o, "libcurl", json_string(curl_version()));
	json_object_set_new(o, "sqlite", json_string(sqlite3_libversion()));
	json_object_set_new(o, "jansson", json_string(jansson_version_str()));
	return o;
}

/* Copies the tail of the log, line by line through the redactor. */
static int put_log(const char *dir, const char *log_path, at_error *err)
{
	char out_path[4096];
	snprintf(out_path, sizeof(out_path), "%s/atrium.log", dir);
	FILE *in = fopen(log_path, "r");
	FILE *out = fopen(out_path, "w");
	if (out == NULL) {
		if (in != NULL)
			fclose(in);
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "cannot write %s: %s", out_path, strerror(errno));
	}
	if (in == NULL) {
		fprintf(out, "(no log at %s)\n", log_path);
	} else {
		if (fseek(in, 0, SEEK_END) == 0 && ftell(in) > (long)BUNDLE_LOG_MAX) {
			fseek(in, -(long)BUNDLE_LOG_MAX, SEEK_END);
			int c;
			while ((c = fgetc(in)) != EOF && c != '\n')
				;  /* start at a whole line */
		} else {
			rewind(in);
		}
		char line[8192], clean[8192];
		while (fgets(line, sizeof(line), in) != NULL) {
			at_log_redact(line, clean, sizeof(clean));
			fputs(clean, out);
		}
		fclose(in);
	}
	return fclose(out) == 0 ? 0 : at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT,
						   AT_RETRY_FINAL, NULL, "cannot write %s",
						   out_path);
}

static int run_tar(const char *file, const char *dir, at_error *err)
{
	char *args[] = {"tar", "-czf", (char *)file, "-C", (char *)dir, ".", NULL};
	pid_t pid;
	int status;
	int rc = posix_spawnp(&pid, "tar", NULL, NULL, args, environ);
	if (rc != 0)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "cannot run tar: %s", strerror(rc));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "tar could not write %s", file);
	return 0;
}

static int bundle(ac_cli *cli, const char *file, at_error *err)
{
	ac_options opts;
	ac_folder_list folders = {0};
	char tmpl[] = "/tmp/atrium-bundle-XXXXXX";
	char *dir = NULL;
	int rc = -1;
	bool have_opts = false;
	json_t *v = NULL;
	if (ac_cli_open_store(cli, err) < 0)
		return -1;
	if (ac_options_load(cli->profile, &opts, err) < 0)
		return -1;
	have_opts = true;
	if ((dir = mkdtemp(tmpl)) == NULL) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "cannot make a temporary directory: %s", strerror(errno));
		goto done;
	}
	v = system_info();
	if (put_json(dir, "system.json", v, err) < 0)
		goto done;
	json_decref(v);
	v = ac_options_to_json(&opts);
	if (put_json(dir, "options.json", v, err) < 0)
		goto done;
	json_decref(v);
	/* the profile without its secret */
	v = json_pack("{s:s,s:s,s:s,s:s?,s:b}", "name", cli->profile->name,
		      "server", cli->profile->server, "user", cli->profile->user,
		      "created", cli->profile->created,
		      "loggedIn", cli->profile->token != NULL);
	if (put_json(dir, "profile.json", v, err) < 0)
		goto done;
	json_decref(v);
	int64_t pending = 0, issues = 0;
	char *last = NULL;
	if (ac_store_folders(cli->store, &folders, err) < 0 ||
	    ac_store_pending_count(cli->store, &pending, err) < 0 ||
	    ac_store_issue_count(cli->store, &issues, err) < 0 ||
	    ac_store_meta_get(cli->store, "lastSync", &last, err) < 0)
		goto done;
	json_t *flist = json_array();
	for (size_t i = 0; i < folders.n; i++)
		json_array_append_new(flist, json_pack("{s:O,s:b,s:O?}", "folder",
						       folders.v[i].json, "more", folders.v[i].more,
						       "error", folders.v[i].error));
	v = json_pack("{s:o,s:I,s:I,s:s?}", "folders", flist, "pending", (json_int_t)pending,
		      "syncIssues", (json_int_t)issues, "lastSync", last);
	free(last);
	if (put_json(dir, "state.json", v, err) < 0)
		goto done;
	if (put_log(dir, opts.log_file, err) < 0 || run_tar(file, dir, err) < 0)
		goto done;
	rc = 0;
done:
	json_decref(v);
	ac_folder_list_free(&folders);
	if (have_opts)
		ac_options_free(&opts);
	if (dir != NULL) {
		at_error ignored;
		ac_remove_tree(dir, &ignored);
	}
	return rc;
}

int ac_cmd_debug(ac_cli *cli, int argc, char **argv)
{
	at_error err;
	at_error_clear(&err);
	if (argc >= 2 && ac_cli_is_help(argv[1])) {
		fputs(DEBUG_USAGE, stdout);
		return AC_EXIT_OK;
	}
	if (argc != 3 || strcmp(argv[1], "bundle") != 0)
		return ac_cli_usage("usage: atrium debug bundle FILE");
	if (bundle(cli, argv[2], &err) < 0)
		return ac_cli_fail(&err);
	printf("wrote %s\n", argv[2]);
	return AC_EXIT_OK;
}
