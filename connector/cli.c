/* cli.c — see cli.h.  Global options, dispatch, and the profile command. */
#include "cli.h"

#include <errno.h>

#include <fcntl.h>
#include "faults.h"
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "blobs.h"
#include "log.h"

#define MAIN_USAGE \
	"usage: atrium [--home DIR] [--profile NAME] [--log-level LEVEL] COMMAND ...\n" \
	"\n" \
	"commands:\n" \
	"  profile add NAME --server URL --user LOGIN --password-stdin\n" \
	"  profile list [--json]\n" \
	"  profile remove NAME\n" \
	"  profile use NAME\n" \
	"  sync [--window N] [--policy server|client]\n" \
	"  status [--json]\n" \
	"  folders [--json]                     the folder tree (as of the last sync)\n" \
	"  folder create|rename|move|delete|permissions|grant|revoke ...\n" \
	"                                       online changes (folder --help)\n" \
	"  contacts list [--folder PATH] [--json]\n" \
	"  contacts show ID [--json]\n" \
	"  contacts add [--folder PATH] --FIELD VALUE...   (contacts add --help)\n" \
	"  contacts edit ID --FIELD VALUE...    (--FIELD '' removes the field)\n" \
	"  contacts edit ID --photo FILE        a JPEG, PNG or GIF (--photo '' removes it)\n" \
	"  contacts delete ID\n" \
	"  import vcf FILE... [--folder PATH]   vCards as new contacts\n" \
	"  export vcf DIR|FILE [--folder PATH] [--version 3.0|4.0]\n" \
	"  calendar list --from DATE --to DATE [--folder PATH] [--json]\n" \
	"  calendar show ID [--json]\n" \
	"  calendar add --subject S --start T [--end T] [OPTIONS]   (calendar --help)\n" \
	"  calendar edit ID [--occurrence WHEN|--this-and-following WHEN] OPTIONS\n" \
	"  calendar delete ID [--occurrence WHEN]\n" \
	"  invite list [--json]                 invitations waiting for your answer\n" \
	"  invite respond ID accept|tentative|decline [--comment TEXT]\n" \
	"                 [--propose START END]\n" \
	"  invite proposals ID [--json]         who proposed another time\n" \
	"  invite accept-proposal ID LOGIN      move it to LOGIN's proposal\n" \
	"  tasks list [--folder PATH] [--status S|open] [--json]\n" \
	"  tasks show ID [--json]\n" \
	"  tasks add --subject S [--due DATE] [OPTIONS]   (tasks --help)\n" \
	"  tasks edit ID OPTIONS | tasks done ID | tasks delete ID\n" \
	"  task delegate ID LOGIN|@GROUP...     assign a task (copies at the next sync)\n" \
	"  task withdraw ID [LOGIN|@GROUP...]\n" \
	"  task respond ID accept|tentative|decline [--comment TEXT]\n" \
	"  import ics FILE... [--folder PATH] [--tasks-folder PATH]   events and to-dos\n" \
	"  export ics FILE [--folder PATH]      a calendar or tasks folder\n" \
	"  gab search WORDS... [--limit N] [--json]   the Global Address Book (online)\n" \
	"  freebusy LOGIN... --from T --to T [--tz ZONE] [--details] [--json]   (online)\n" \
	"  move ID --to PATH                    an item (a whole series) to another folder\n" \
	"  attach ID FILE [--name NAME]         attach a file to a contact, appointment or task\n" \
	"  attachments ID [--json]              the attachments of an item\n" \
	"  attachments get ID NAME|BLOBID [--out FILE]   download on demand, then copy\n" \
	"  attachments remove ID NAME\n" \
	"  personal show [--json] | personal edit --FIELD VALUE...   your entry (online)\n" \
	"  password [--old-stdin]\n" \
	"  options [show] [--json] | options set KEY VALUE   (options --help)\n" \
	"  conflicts list|show ID|restore ID|discard ID   (the Sync Issues)\n" \
	"  mirror enable DIR|disable|status [--json]|scan   vdir files (mirror --help)\n" \
	"  debug bundle FILE\n" \
	"\n" \
	"global options:\n" \
	"  --home DIR         home directory (default $ATRIUM_HOME, else\n" \
	"                     $XDG_DATA_HOME/atrium or ~/.local/share/atrium)\n" \
	"  --profile NAME     use this profile instead of the current one\n" \
	"  --log-level LEVEL  log to stderr at LEVEL: error, warn, info, debug or\n" \
	"                     trace (also $ATRIUM_LOG_LEVEL); without it the log\n" \
	"                     goes to the profile's log file (atrium options)\n" \
	"\n" \
	"Contacts are changed offline in the local store; \"atrium sync\" sends\n" \
	"the changes and brings the server's.  ID is a contact's local id (or its\n" \
	"server id).  PATH names a folder: Contacts/Clients, \"Alice Martin –\n" \
	"Contacts\", Public/Projects, or its id (atrium folder --help).\n"

#define PROFILE_USAGE \
	"usage: atrium profile add NAME --server URL --user LOGIN --password-stdin\n" \
	"                          [--pin sha256//BASE64] [--ca FILE]\n" \
	"       atrium profile list [--json]\n" \
	"       atrium profile remove NAME\n" \
	"       atrium profile use NAME\n" \
	"\n" \
	"A profile is one account on one server, with its own local store.  The\n" \
	"first profile added becomes the current one.  --password-stdin reads the\n" \
	"password from the first line of standard input.  An https server is\n" \
	"verified against the system's CAs, or --ca FILE; a self-signed server is\n" \
	"trusted by pinning its public key with --pin (atriumd prints the pin of\n" \
	"its key when it starts with TLS).\n"

int ac_cli_fail(const at_error *err)
{
	fprintf(stderr, "atrium: %s\n", err->message[0] ? err->message : err->code);
	return AC_EXIT_ERROR;
}

int ac_cli_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("atrium: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(strstr(fmt, "--help") != NULL ? "\n" : " (see atrium --help)\n", stderr);
	return AC_EXIT_USAGE;
}

bool ac_cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 ||
	       strcmp(arg, "help") == 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s[0] != '\0' && strncmp(s, prefix, strlen(prefix)) == 0;
}

int ac_cli_find_item(ac_cli *cli, const char *type, const char *ref, ac_item **it_r,
		     at_error *err)
{
	const char *noun = type;
	ac_item_list all = {0};
	*it_r = NULL;
	if (ac_cli_open_store(cli, err) < 0)
		return -1;
	at_error_clear(err);
	if (ac_store_item_get(cli->store, ref, it_r, err) < 0) {
		if (strcmp(err->code, AT_E_NOT_FOUND) != 0)
			return -1;
		if (strlen(ref) < AC_CLI_MIN_PREFIX)
			return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "id",
					    "no %s \"%.80s\" (give at least %d characters of "
					    "its id)", noun, ref, AC_CLI_MIN_PREFIX);
		if (ac_store_items(cli->store, NULL, &all, err) < 0)
			return -1;
		size_t found = 0;
		for (size_t i = 0; i < all.n; i++) {
			ac_item *it = all.v[i];
			if (strcmp(it->type, type) != 0 || it->state == AC_STATE_DELETED ||
			    !(has_prefix(it->local_id, ref) || has_prefix(it->server_id, ref)))
				continue;
			if (found++ == 0)
				*it_r = ac_item_copy(it);
		}
		ac_item_list_free(&all);
		if (found != 1) {
			ac_item_free(it_r);
			if (found == 0)
				return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, "id",
						    "no %s \"%.80s\" in the local store", noun, ref);
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, "id", "\"%.80s\" names %zu %ss: give "
					    "more of the id", ref, found, noun);
		}
	}
	if (strcmp((*it_r)->type, type) != 0) {
		ac_item_free(it_r);
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "id",
				    "%.80s is not a%s %s", ref, strchr("aeiou", noun[0]) ? "n" : "",
				    noun);
	}
	if ((*it_r)->state == AC_STATE_DELETED) {
		ac_item_free(it_r);
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "id",
				    "%s %.80s has been deleted (the delete is not synced yet)",
				    noun, ref);
	}
	return 0;
}

int ac_cli_subcommand(ac_cli *cli, int argc, char **argv, const char *what, const char *usage,
		      const ac_subcommand *table, size_t n)
{
	if (argc < 2 || ac_cli_is_help(argv[1])) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], table[i].name) == 0)
			return table[i].fn(cli, argc - 2, argv + 2);
	return ac_cli_usage("unknown %s command \"%s\"", what, argv[1]);
}

int ac_cli_option(int argc, char **argv, int *i, const char *name, const char **value_r)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*value_r = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		ac_cli_usage("%s needs a value", name);
		return -1;
	}
	*value_r = argv[++*i];
	return 1;
}

int ac_cli_read_line(FILE *in, char *buf, size_t size)
{
	if (fgets(buf, (int)size, in) == NULL)
		return -1;
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	} else if (!feof(in)) {
		/* longer than the buffer: refuse rather than cut */
		sodium_memzero(buf, size);
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* --- opening ---------------------------------------------------------------- */

/* Applies the profile's log options (see cli.h). */
static int open_log(ac_cli *cli, at_error *err)
{
	ac_options opts;
	if (cli->log_level_given)
		return 0;
	if (ac_options_load(cli->profile, &opts, err) < 0)
		return -1;
	int fd = open(opts.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	cli->log = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (cli->log == NULL) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "log-file",
			     "cannot open the log file %s: %s", opts.log_file, strerror(errno));
		if (fd >= 0)
			close(fd);
		ac_options_free(&opts);
		return -1;
	}
	at_log_set_file(cli->log);
	at_log_set_level(opts.log_level);
	ac_options_free(&opts);
	return 0;
}

int ac_cli_open_profile(ac_cli *cli, at_error *err)
{
	if (cli->profile != NULL)
		return 0;
	if (ac_profile_open(cli->home, cli->profile_name, &cli->profile, err) < 0)
		return -1;
	return open_log(cli, err);
}

int ac_cli_open_store(ac_cli *cli, at_error *err)
{
	if (cli->store != NULL)
		return 0;
	if (ac_cli_open_profile(cli, err) < 0)
		return -1;
	char *path = ac_profile_path(cli->profile, "store.db");
	int ret = ac_store_open(path, &cli->store, err);
	free(path);
	return ret;
}

static int keep_token(void *arg, const char *token, at_error *err)
{
	return ac_profile_set_token(arg, token, err);
}

int ac_cli_open_transport(ac_cli *cli, at_error *err)
{
	char host[64] = "";
	char device[128];
	if (cli->http != NULL)
		return 0;
	if (ac_cli_open_profile(cli, err) < 0)
		return -1;
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(device, sizeof(device), "atrium on %.40s (profile %.64s)",
		 host[0] ? host : "unknown host", cli->profile->name);
	ac_options opts;
	if (ac_options_load(cli->profile, &opts, err) < 0)
		return -1;
	long timeout = opts.timeout;
	ac_options_free(&opts);
	ac_http_config cfg = {
		.timeout = timeout,
		.connect_timeout = timeout < AC_HTTP_CONNECT_TIMEOUT ? timeout : 0,
		.server = cli->profile->server,
		.login = cli->profile->user,
		.password = cli->profile->password,
		.token = cli->profile->token,
		.device = device,
		.pin = cli->profile->pin,
		.ca_file = cli->profile->ca_file,
		.on_token = keep_token,
		.on_token_arg = cli->profile,
	};
	char *blob_dir = ac_blob_cache_dir(cli->profile->dir);
	cfg.blob_dir = blob_dir;
	int made = ac_http_new(&cfg, &cli->http, err);
	free(blob_dir);
	if (made < 0)
		return -1;
	cli->transport = ac_http_transport(cli->http);
	ac_faults_wrap(&cli->transport);
	return 0;
}

void ac_cli_close(ac_cli *cli)
{
	ac_http_free(&cli->http);
	ac_store_close(&cli->store);
	ac_profile_free(&cli->profile);
	if (cli->log != NULL) {
		at_log_set_file(NULL);
		fclose(cli->log);
		cli->log = NULL;
	}
	free(cli->home);
	cli->home = NULL;
}

/* --- profile ----------------------------------------------------------------- */

static int profile_add(ac_cli *cli, int argc, char **argv)
{
	const char *name = NULL, *server = NULL, *user = NULL, *pin = NULL, *ca = NULL, *v;
	bool from_stdin = false, made_current = false;
	char password[1026];
	at_error err;
	int r;

	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(PROFILE_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--server", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			server = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--user", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			user = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--pin", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			pin = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--ca", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			ca = v;
		} else if (strcmp(argv[i], "--password-stdin") == 0) {
			from_stdin = true;
		} else if (argv[i][0] == '-') {
			return ac_cli_usage("profile add: unknown option %s", argv[i]);
		} else if (name == NULL) {
			name = argv[i];
		} else {
			return ac_cli_usage("profile add: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (name == NULL || server == NULL || user == NULL)
		return ac_cli_usage("profile add needs NAME, --server URL and --user LOGIN");
	if (pin != NULL && !ac_pin_valid(pin))
		return ac_cli_usage("--pin takes sha256//BASE64, the SHA-256 of the server's "
				    "public key");
	if (!from_stdin)
		return ac_cli_usage("profile add needs --password-stdin (the password is "
				    "read from standard input, never from the command line)");
	if (ac_cli_read_line(stdin, password, sizeof(password)) < 0) {
		fputs("atrium: profile add: no password on standard input (one line, at "
		      "most 1024 bytes)\n", stderr);
		return AC_EXIT_ERROR;
	}
	if (password[0] == '\0') {
		fputs("atrium: profile add: the password is empty\n", stderr);
		return AC_EXIT_ERROR;
	}
	at_error_clear(&err);
	r = ac_profile_add(cli->home, name, server, user, password, &made_current, &err);
	sodium_memzero(password, sizeof(password));
	if (r == 0 && (pin != NULL || ca != NULL) &&
	    ac_profile_set_tls(cli->home, name, pin, ca, &err) < 0) {
		at_error ignored;
		ac_profile_remove(cli->home, name, &ignored);
		r = -1;
	}
	if (r < 0)
		return ac_cli_fail(&err);
	printf("profile %s added%s\n", name, made_current ? " (current)" : "");
	return AC_EXIT_OK;
}

static int profile_list(ac_cli *cli, int argc, char **argv)
{
	bool json = false;
	json_t *list = NULL;
	at_error err;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (ac_cli_is_help(argv[i])) {
			fputs(PROFILE_USAGE, stdout);
			return AC_EXIT_OK;
		} else
			return ac_cli_usage("profile list: unexpected argument \"%s\"", argv[i]);
	}
	at_error_clear(&err);
	if (ac_profile_list(cli->home, &list, &err) < 0)
		return ac_cli_fail(&err);
	if (json) {
		ac_print_json(list);
	} else {
		size_t i;
		json_t *p;
		json_array_foreach(list, i, p) {
			printf("%s %s\t%s\t%s\n",
			       json_is_true(json_object_get(p, "current")) ? "*" : " ",
			       ac_jstr(p, "name"),
			       ac_jstr(p, "user") ? ac_jstr(p, "user") : "?",
			       ac_jstr(p, "server") ? ac_jstr(p, "server") : "?");
		}
	}
	json_decref(list);
	return AC_EXIT_OK;
}

static int profile_name_cmd(ac_cli *cli, int argc, char **argv, bool remove)
{
	const char *name = NULL;
	at_error err;
	for (int i = 0; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(PROFILE_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (argv[i][0] == '-' || name != NULL)
			return ac_cli_usage("profile %s: unexpected argument \"%s\"",
					    remove ? "remove" : "use", argv[i]);
		name = argv[i];
	}
	if (name == NULL)
		return ac_cli_usage("profile %s needs a NAME", remove ? "remove" : "use");
	at_error_clear(&err);
	if ((remove ? ac_profile_remove(cli->home, name, &err)
		    : ac_profile_use(cli->home, name, &err)) < 0)
		return ac_cli_fail(&err);
	if (remove)
		printf("profile %s removed\n", name);
	else
		printf("current profile: %s\n", name);
	return AC_EXIT_OK;
}

int ac_cmd_profile(ac_cli *cli, int argc, char **argv)
{
	if (argc < 2 || ac_cli_is_help(argv[1])) {
		fputs(PROFILE_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "add") == 0)
		return profile_add(cli, argc - 2, argv + 2);
	if (strcmp(sub, "list") == 0)
		return profile_list(cli, argc - 2, argv + 2);
	if (strcmp(sub, "remove") == 0)
		return profile_name_cmd(cli, argc - 2, argv + 2, true);
	if (strcmp(sub, "use") == 0)
		return profile_name_cmd(cli, argc - 2, argv + 2, false);
	return ac_cli_usage("unknown profile command \"%s\"", sub);
}

/* --- main ---------------------------------------------------------------------- */

int ac_cli_main(int argc, char **argv)
{
	ac_cli cli;
	const char *home = NULL, *v, *level = getenv("ATRIUM_LOG_LEVEL");
	at_error err;
	int i, r, ret;

	memset(&cli, 0, sizeof(cli));
	/* everything we create (store, WAL, lock) is the user's alone */
	umask(077);
	at_log_set_level(AT_LOG_WARN);
	if (sodium_init() < 0) {
		fputs("atrium: cannot initialise libsodium\n", stderr);
		return AC_EXIT_ERROR;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(MAIN_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			puts("atrium 0.1.0");
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--home", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			home = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--profile", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (!ac_profile_name_valid(v))
				return ac_cli_usage("invalid profile name \"%s\"", v);
			cli.profile_name = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--log-level", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			level = v;
		} else {
			return ac_cli_usage("unknown option %s", argv[i]);
		}
	}
	if (level != NULL && level[0] != '\0') {
		at_log_level l;
		if (at_log_level_parse(level, &l) < 0)
			return ac_cli_usage("unknown log level \"%s\"", level);
		at_log_set_level(l);
		cli.log_level_given = true;
	}
	if (i >= argc) {
		fputs(MAIN_USAGE, stderr);
		return AC_EXIT_USAGE;
	}
	at_error_clear(&err);
	if (ac_home_resolve(home, &cli.home, &err) < 0)
		return ac_cli_fail(&err);

	const char *cmd = argv[i];
	int cargc = argc - i;
	char **cargv = argv + i;
	if (strcmp(cmd, "help") == 0) {
		fputs(MAIN_USAGE, stdout);
		ret = AC_EXIT_OK;
	} else if (strcmp(cmd, "profile") == 0) {
		ret = ac_cmd_profile(&cli, cargc, cargv);
	} else if (strcmp(cmd, "contacts") == 0) {
		ret = ac_cmd_contacts(&cli, cargc, cargv);
	} else if (strcmp(cmd, "sync") == 0) {
		ret = ac_cmd_sync(&cli, cargc, cargv);
	} else if (strcmp(cmd, "status") == 0) {
		ret = ac_cmd_status(&cli, cargc, cargv);
	} else if (strcmp(cmd, "password") == 0) {
		ret = ac_cmd_password(&cli, cargc, cargv);
	} else if (strcmp(cmd, "options") == 0) {
		ret = ac_cmd_options(&cli, cargc, cargv);
	} else if (strcmp(cmd, "conflicts") == 0) {
		ret = ac_cmd_conflicts(&cli, cargc, cargv);
	} else if (strcmp(cmd, "calendar") == 0) {
		ret = ac_cmd_calendar(&cli, cargc, cargv);
	} else if (strcmp(cmd, "invite") == 0) {
		ret = ac_cmd_invite(&cli, cargc, cargv);
	} else if (strcmp(cmd, "tasks") == 0) {
		ret = ac_cmd_tasks(&cli, cargc, cargv);
	} else if (strcmp(cmd, "task") == 0) {
		ret = ac_cmd_task(&cli, cargc, cargv);
	} else if (strcmp(cmd, "import") == 0) {
		ret = cargc > 1 && strcmp(cargv[1], "ics") == 0 ? ac_cmd_import_ics(&cli, cargc, cargv)
								 : ac_cmd_import(&cli, cargc, cargv);
	} else if (strcmp(cmd, "export") == 0) {
		ret = cargc > 1 && strcmp(cargv[1], "ics") == 0 ? ac_cmd_export_ics(&cli, cargc, cargv)
								 : ac_cmd_export(&cli, cargc, cargv);
	} else if (strcmp(cmd, "gab") == 0) {
		ret = ac_cmd_gab(&cli, cargc, cargv);
	} else if (strcmp(cmd, "freebusy") == 0) {
		ret = ac_cmd_freebusy(&cli, cargc, cargv);
	} else if (strcmp(cmd, "move") == 0) {
		ret = ac_cmd_move(&cli, cargc, cargv);
	} else if (strcmp(cmd, "personal") == 0) {
		ret = ac_cmd_personal(&cli, cargc, cargv);
	} else if (strcmp(cmd, "folders") == 0) {
		ret = ac_cmd_folders(&cli, cargc, cargv);
	} else if (strcmp(cmd, "folder") == 0) {
		ret = ac_cmd_folder(&cli, cargc, cargv);
	} else if (strcmp(cmd, "debug") == 0) {
		ret = ac_cmd_debug(&cli, cargc, cargv);
	} else if (strcmp(cmd, "mirror") == 0) {
		ret = ac_cmd_mirror(&cli, cargc, cargv);
	} else if (strcmp(cmd, "attach") == 0) {
		ret = ac_cmd_attach(&cli, cargc, cargv);
	} else if (strcmp(cmd, "attachments") == 0) {
		ret = ac_cmd_attachments(&cli, cargc, cargv);
	} else {
		ret = ac_cli_usage("unknown command \"%s\"", cmd);
	}
	if (ret != AC_EXIT_USAGE)
		ac_cli_mirror_after(&cli, cmd);
	ac_cli_close(&cli);
	return ret;
}
