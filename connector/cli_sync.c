/* cli_sync.c — atrium sync, atrium status, atrium password.
 *
 * sync runs the engine once over HTTP for the profile, with a progress bar
 * on a terminal, one sync at a time per profile (a lock file).  status
 * reports what needs the user's attention: pending changes, folder errors
 * and every item the server refused, with field and message (for an
 * appointmentConflict, who is busy or which resource is booked, when).  password
 * changes the account's password on the server and in the profile. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "blobs.h"
#include "common.h"
#include "daemon.h"
#include "engine.h"
#include "mirror.h"
#include "options.h"
#include "password.h"
#include "progress.h"

#define SYNC_USAGE \
	"usage: atrium sync [--daemon] [--window N] [--policy server|client]\n" \
	"\n" \
	"Sends the local changes and brings the server's, once; with --daemon,\n" \
	"keeps doing so until SIGTERM or Ctrl-C: at once when the server pushes a\n" \
	"change, else every poll-interval (atrium options), backing off while the\n" \
	"server cannot be reached.\n" \
	"  --window N        server changes per folder and round (1-512, default 50)\n" \
	"  --policy P        who wins a conflict on the same field: server (default)\n" \
	"                    or client; the losing version is kept as a sync issue\n" \
	"Defaults come from `atrium options` (window, conflict, folders).  With a\n" \
	"local files mirror (atrium mirror), the files' changes are taken in before\n" \
	"each sync and the files written after it; the daemon also syncs as soon as\n" \
	"a file changes.\n"

#define STATUS_USAGE "usage: atrium status [--json]\n"

#define PASSWORD_USAGE \
	"usage: atrium password [--old-stdin]\n" \
	"\n" \
	"Changes the account's password.  Asks for the old password and the new one\n" \
	"twice on the terminal; with --old-stdin reads two lines from standard\n" \
	"input: the old password, then the new one.\n"

/* --- sync ------------------------------------------------------------------- */

static int lock_profile(ac_cli *cli, int *fd_r, at_error *err)
{
	char *path = ac_profile_path(cli->profile, "sync.lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	*fd_r = -1;
	if (fd < 0) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ACCOUNT, AT_RETRY_WAIT, NULL,
				    "another sync of profile %s is running",
				    cli->profile->name);
	}
	*fd_r = fd;
	return 0;
}

static volatile sig_atomic_t stop_requested;
/* Ends the daemon's wait (and its push stream): a stop, or a local change
 * seen by the mirror's watcher. */
static volatile sig_atomic_t wake_requested;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
	wake_requested = 1;
}

/* --- the local files mirror around a sync (mirror.h) ------------------------- */

static void print_mirror(const char *what, const ac_mirror_stats *st, bool stamp)
{
	char text[512];
	ac_mirror_stats_text(st, text, sizeof(text));
	if (text[0] == '\0')
		return;
	if (stamp) {
		char now[AC_TIME_SIZE];
		ac_now_iso(now);
		printf("%s ", now);
	}
	printf("mirror %s: %s\n", what, text);
	fflush(stdout);
}

/* Takes in the changes made to the mirror's files: local changes the sync
 * sends.  A failure is reported; the sync goes on. */
static void mirror_before(ac_cli *cli, bool stamp)
{
	ac_mirror_stats st = {0};
	at_error err;
	at_error_clear(&err);
	if (ac_mirror_scan(cli->store, &st, stderr, &err) < 0)
		fprintf(stderr, "atrium: the local files mirror was not scanned: %s\n",
			err.message);
	print_mirror("scanned", &st, stamp);
}

/* Writes the store's changes into the files; online: first downloads the
 * photos the files lack (mirror.h). */
static void mirror_after(ac_cli *cli, ac_mirror_watch *w, bool online, bool stamp)
{
	ac_mirror_stats st = {0};
	at_error err;
	at_error_clear(&err);
	if (online && cli->transport.blob_fetch != NULL &&
	    ac_mirror_fetch_photos(cli->store, cli->transport.blob_fetch,
				   cli->transport.blob_ctx, NULL, &err) < 0) {
		fprintf(stderr, "atrium: photos for the local files mirror were not "
			"downloaded: %s\n", err.message);
		at_error_clear(&err);
	}
	if (ac_mirror_watch_write(w, cli->store, &st, stderr, &err) < 0)
		fprintf(stderr, "atrium: the local files mirror was not written: %s\n",
			err.message);
	st.folders = 0;
	print_mirror("written", &st, stamp);
}

typedef struct daemon_ctx {
	ac_cli *cli;
	ac_mirror_watch *watch;
} daemon_ctx;

static void daemon_before(void *arg)
{
	daemon_ctx *d = arg;
	mirror_before(d->cli, true);
}

static void daemon_after(void *arg)
{
	daemon_ctx *d = arg;
	char *root = NULL;
	at_error err;
	/* the mirror may have been enabled or disabled since the daemon started */
	if (ac_mirror_root(d->cli->store, &root, &err) == 0 && root == NULL)
		ac_mirror_watch_stop(&d->watch);
	else if (d->watch == NULL &&
		 ac_mirror_watch_start(d->cli->store, &wake_requested, &d->watch, &err) < 0)
		at_warn("daemon", "the mirror's files are not watched: %s", err.message);
	free(root);
	mirror_after(d->cli, d->watch, true, true);
}

static void print_stats(const ac_sync_stats *stats)
{
	printf("synced: %u folders, %" PRIu64 " received, %" PRIu64 " sent, %" PRIu64
	       " errors, %" PRIu64 " issues, %u folder errors, %u rounds, %u requests\n",
	       stats->folders, stats->received, stats->sent, stats->errors, stats->issues,
	       stats->folder_errors, stats->rounds, stats->requests);
}

static void daemon_report(void *arg, const ac_sync_stats *stats, const at_error *failure)
{
	char now[AC_TIME_SIZE];
	ac_now_iso(now);
	printf("%s ", now);
	if (failure != NULL)
		printf("sync failed: %s\n", failure->message);
	else
		print_stats(stats);
	fflush(stdout);
}

static int run_daemon(ac_cli *cli, const ac_engine_options *engine, long poll_interval)
{
	at_error err;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	daemon_ctx ctx = {cli, NULL};
	ac_daemon_options d = {
		.engine = *engine, .poll_interval = poll_interval, .stop = &stop_requested,
		.report = daemon_report, .report_arg = cli,
		.before_sync = daemon_before, .after_sync = daemon_after, .hook_arg = &ctx,
		.wake = &wake_requested,
	};
	at_error_clear(&err);
	ac_http_set_stop(cli->http, &wake_requested);
	int r = ac_daemon_run(cli->store, &cli->transport, &d, &err);
	ac_mirror_watch_stop(&ctx.watch);
	if (r < 0)
		return ac_cli_fail(&err);
	return AC_EXIT_OK;
}

int ac_cmd_sync(ac_cli *cli, int argc, char **argv)
{
	ac_engine_options opts;
	ac_options saved = {0};
	ac_sync_stats stats;
	at_error err;
	const char *v, *window = NULL, *policy = NULL;
	bool daemon = false;
	int r, lock = -1, ret = AC_EXIT_ERROR;
	ac_progress *progress = NULL;

	for (int i = 1; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(SYNC_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--daemon") == 0) {
			daemon = true;
		} else if ((r = ac_cli_option(argc, argv, &i, "--window", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			window = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--policy", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			policy = v;
		} else {
			return ac_cli_usage("sync: unexpected argument \"%s\"", argv[i]);
		}
	}
	at_error_clear(&err);
	/* the profile's options are the defaults; flags override them */
	if (ac_cli_open_profile(cli, &err) < 0 || ac_options_load(cli->profile, &saved, &err) < 0)
		return ac_cli_fail(&err);
	memset(&opts, 0, sizeof(opts));
	opts.window = saved.window;
	opts.policy = saved.conflict;
	opts.folders = saved.folders;
	opts.n_folders = saved.n_folders;
	if (window != NULL) {
		char *end;
		errno = 0;
		long w = strtol(window, &end, 10);
		if (*window == '\0' || *end != '\0' || errno != 0 || w < 1 || w > AT_MAX_WINDOW) {
			ret = ac_cli_usage("--window must be a number from 1 to %d", AT_MAX_WINDOW);
			goto done;
		}
		opts.window = (unsigned)w;
	}
	if (policy != NULL && at_policy_parse(policy, &opts.policy) < 0) {
		ret = ac_cli_usage("--policy must be server or client");
		goto done;
	}
	if (ac_cli_open_store(cli, &err) < 0 || lock_profile(cli, &lock, &err) < 0 ||
	    ac_cli_open_transport(cli, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (daemon) {
		ret = run_daemon(cli, &opts, saved.poll_interval);
		goto done;
	}
	mirror_before(cli, false);
	progress = ac_progress_new(stderr, "sync");
	opts.progress = ac_progress_cb;
	opts.progress_arg = progress;
	r = ac_engine_sync(cli->store, &cli->transport, &opts, &stats, &err);
	ac_progress_free(&progress);
	mirror_after(cli, NULL, r == 0, false);
	if (r < 0) {
		fprintf(stderr, "atrium: sync failed: %s\n",
			err.message[0] ? err.message : err.code);
		goto done;
	}
	print_stats(&stats);
	/* cached files nothing references any more (downloadable again) */
	char *cache = ac_blob_cache_dir(cli->profile->dir);
	size_t pruned;
	at_error pe;
	at_error_clear(&pe);
	if (ac_blob_cache_prune(cache, cli->store, AC_BLOB_CACHE_KEEP_SECONDS, &pruned, &pe) < 0)
		at_warn("sync", "blob cache not pruned: %s", pe.message);
	free(cache);
	if (stats.errors > 0 || stats.folder_errors > 0)
		fputs("atrium: some changes were refused; see \"atrium status\"\n", stderr);
	if (stats.issues > 0)
		fprintf(stderr, "atrium: %" PRIu64 " conflicting versions were kept as "
			"sync issues\n", stats.issues);
	ret = AC_EXIT_OK;
done:
	if (lock >= 0)
		close(lock);
	ac_options_free(&saved);
	return ret;
}

/* --- status ------------------------------------------------------------------- */

/* An error of status; an appointmentConflict keeps its "conflicts" (who
 * is busy or which resource is booked, and when). */
static json_t *error_entry(const char *scope, const char *item_id, const char *title,
			   const char *folder_id, json_t *error)
{
	json_t *conflicts = json_object_get(error, "conflicts");
	return json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:O*}",
			 "scope", scope, "itemId", item_id, "title", title,
			 "folderId", folder_id, "type", ac_jstr(error, "type"),
			 "field", ac_jstr(error, "field"),
			 "message", ac_jstr(error, "message"),
			 "conflicts", json_is_array(conflicts) ? conflicts : NULL);
}

/* One line per conflict, times in the user's zone:
 *     bob (person): busy 2024-03-19 09:00 – 10:00 "Weekly review"
 *     room-1 (resource): booked 2024-03-19 09:00 – 10:00
 * and for people a hint how to write the appointment all the same. */
static void print_conflicts(const char *item_id, json_t *conflicts)
{
	const char *zone = ac_user_zone(NULL);
	bool people = false, resources = false;
	size_t i;
	json_t *c;
	json_array_foreach(conflicts, i, c) {
		char a[64], b[64];
		const char *subject = ac_jstr(c, "subject"), *show = ac_jstr(c, "showAs");
		const char *type = ac_jstr(c, "type");
		bool resource = type != NULL && strcmp(type, "resource") == 0;
		people = people || !resource;
		resources = resources || resource;
		ac_user_time_show(ac_jstr(c, "start") ? ac_jstr(c, "start") : "?", zone, a,
				  sizeof(a));
		ac_user_time_show(ac_jstr(c, "end") ? ac_jstr(c, "end") : "?", zone, b, sizeof(b));
		printf("    %s (%s): %s %s – %s%s%s%s\n",
		       ac_jstr(c, "principal") ? ac_jstr(c, "principal") : "?",
		       resource ? "resource" : "person",
		       resource ? "booked" : show == NULL ? "busy"
		       : strcmp(show, "outOfOffice") == 0 ? "out of office" : show,
		       a, b, subject != NULL ? " \"" : "", subject != NULL ? subject : "",
		       subject != NULL ? "\"" : "");
	}
	if (resources)
		printf("    (a booked resource is never double-booked: choose another time "
		       "or resource)\n");
	else if (people && item_id != NULL)
		printf("    (to keep the time all the same: atrium calendar edit %s "
		       "--ignore-conflicts)\n", item_id);
}

static int collect_status(ac_cli *cli, json_t **status_r, at_error *err)
{
	ac_folder_list folders = {0};
	ac_item_list items = {0};
	char *last_sync = NULL, *last_error = NULL, *conn = NULL, *conn_since = NULL;
	int64_t pending = 0, issues = 0;
	int ret = -1;

	*status_r = NULL;
	if (ac_store_meta_get(cli->store, "lastSync", &last_sync, err) < 0 ||
	    ac_store_meta_get(cli->store, "lastError", &last_error, err) < 0 ||
	    ac_store_meta_get(cli->store, "connection", &conn, err) < 0 ||
	    ac_store_meta_get(cli->store, "connectionSince", &conn_since, err) < 0 ||
	    ac_store_pending_count(cli->store, &pending, err) < 0 ||
	    ac_store_issue_count(cli->store, &issues, err) < 0 ||
	    ac_store_folders(cli->store, &folders, err) < 0 ||
	    ac_store_items(cli->store, NULL, &items, err) < 0)
		goto done;
	json_t *errors = json_array();
	for (size_t i = 0; i < folders.n; i++) {
		ac_folder *f = &folders.v[i];
		if (f->error == NULL)
			continue;
		const char *name = ac_jstr(f->json, "displayName");
		if (name == NULL)
			name = ac_jstr(f->json, "name");
		json_array_append_new(errors, error_entry("folder", NULL, name, f->id,
							  f->error));
	}
	for (size_t i = 0; i < items.n; i++) {
		ac_item *it = items.v[i];
		if (it->error == NULL)
			continue;
		char title[256] = "";
		const at_item_type *t = at_model_item_type(it->type);
		if (t != NULL)
			at_model_item_title(t, it->fields, title, sizeof(title));
		json_array_append_new(errors, error_entry("item", it->local_id, title,
							  it->folder_id, it->error));
	}
	json_t *lerr = NULL;
	if (last_error != NULL) {
		at_error ignored;
		lerr = ac_json_parse(last_error, strlen(last_error), &ignored);
	}
	*status_r = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:I,s:I,s:o?,s:o}",
			      "profile", cli->profile->name,
			      "server", cli->profile->server,
			      "user", cli->profile->user,
			      "connection", conn != NULL ? conn : "unknown",
			      "connectionSince", conn_since,
			      "lastSync", last_sync,
			      "pending", (json_int_t)pending,
			      "syncIssues", (json_int_t)issues,
			      "lastError", lerr,
			      "errors", errors);
	ret = 0;
done:
	free(last_sync);
	free(last_error);
	free(conn);
	free(conn_since);
	ac_folder_list_free(&folders);
	ac_item_list_free(&items);
	return ret;
}

int ac_cmd_status(ac_cli *cli, int argc, char **argv)
{
	bool json = false;
	json_t *st = NULL;
	at_error err;
	for (int i = 1; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(STATUS_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return ac_cli_usage("status: unexpected argument \"%s\"", argv[i]);
	}
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || collect_status(cli, &st, &err) < 0)
		return ac_cli_fail(&err);
	if (json) {
		ac_print_json(st);
		json_decref(st);
		return AC_EXIT_OK;
	}
	const char *last = ac_jstr(st, "lastSync");
	json_t *lerr = json_object_get(st, "lastError");
	json_t *errors = json_object_get(st, "errors");
	printf("profile: %s\n", ac_jstr(st, "profile"));
	printf("server: %s\n", ac_jstr(st, "server"));
	printf("user: %s\n", ac_jstr(st, "user"));
	const char *since = ac_jstr(st, "connectionSince");
	printf("connection: %s%s%s\n", ac_jstr(st, "connection"), since ? " since " : "",
	       since ? since : "");
	printf("last sync: %s\n", last != NULL ? last : "never");
	printf("pending: %" JSON_INTEGER_FORMAT "\n",
	       json_integer_value(json_object_get(st, "pending")));
	printf("sync issues: %" JSON_INTEGER_FORMAT "\n",
	       json_integer_value(json_object_get(st, "syncIssues")));
	if (json_is_object(lerr))
		printf("last sync attempt failed (%s): %s\n", ac_jstr(lerr, "time") ?
		       ac_jstr(lerr, "time") : "?", ac_jstr(lerr, "message"));
	printf("errors: %zu\n", json_array_size(errors));
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		const char *field = ac_jstr(e, "field");
		if (strcmp(ac_jstr(e, "scope"), "folder") == 0)
			printf("  folder %s (%s): %s: %s\n", ac_jstr(e, "folderId"),
			       ac_jstr(e, "title") ? ac_jstr(e, "title") : "?",
			       ac_jstr(e, "type"), ac_jstr(e, "message"));
		else
			printf("  item %s \"%s\": %s%s%s: %s\n", ac_jstr(e, "itemId"),
			       ac_jstr(e, "title"), ac_jstr(e, "type"),
			       field ? " on " : "", field ? field : "",
			       ac_jstr(e, "message"));
		print_conflicts(ac_jstr(e, "itemId"), json_object_get(e, "conflicts"));
	}
	json_decref(st);
	return AC_EXIT_OK;
}

/* --- password ------------------------------------------------------------------ */

/* Prompts on /dev/tty without echo. */
static int ask_tty(const char *prompt, char *buf, size_t size)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, quiet;
	int ret = -1;
	if (tty == NULL)
		return -1;
	fputs(prompt, tty);
	fflush(tty);
	bool restore = tcgetattr(fileno(tty), &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	ret = ac_cli_read_line(tty, buf, size);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fclose(tty);
	return ret;
}

int ac_cmd_password(ac_cli *cli, int argc, char **argv)
{
	bool from_stdin = false;
	char old_pw[AT_PASSWORD_MAX + 2], new_pw[AT_PASSWORD_MAX + 2],
	     again[AT_PASSWORD_MAX + 2];
	char reason[160];
	at_error err;
	json_t *args = NULL, *res = NULL;
	int ret = AC_EXIT_ERROR;

	for (int i = 1; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(PASSWORD_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if (strcmp(argv[i], "--old-stdin") == 0)
			from_stdin = true;
		else
			return ac_cli_usage("password: unexpected argument \"%s\"", argv[i]);
	}
	at_error_clear(&err);
	if (ac_cli_open_profile(cli, &err) < 0)
		return ac_cli_fail(&err);
	if (from_stdin) {
		if (ac_cli_read_line(stdin, old_pw, sizeof(old_pw)) < 0 ||
		    ac_cli_read_line(stdin, new_pw, sizeof(new_pw)) < 0) {
			fputs("atrium: password --old-stdin needs two lines on standard "
			      "input: the old password and the new one (at most 1024 "
			      "bytes each)\n", stderr);
			goto done;
		}
	} else {
		if (ask_tty("old password: ", old_pw, sizeof(old_pw)) < 0 ||
		    ask_tty("new password: ", new_pw, sizeof(new_pw)) < 0 ||
		    ask_tty("new password again: ", again, sizeof(again)) < 0) {
			fputs("atrium: cannot read the passwords from the terminal (use "
			      "--old-stdin in scripts)\n", stderr);
			goto done;
		}
		if (strcmp(new_pw, again) != 0) {
			fputs("atrium: the two new passwords differ; nothing changed\n", stderr);
			goto done;
		}
	}
	at_strength s = at_password_strength(new_pw, cli->profile->user, reason,
					     sizeof(reason));
	printf("strength: %s\n", at_strength_name(s));
	fflush(stdout);
	if (s == AT_STRENGTH_WEAK) {
		fprintf(stderr, "atrium: the new password is weak (%s); nothing changed\n",
			reason);
		goto done;
	}
	if (ac_cli_open_transport(cli, &err) < 0) {
		ac_cli_fail(&err);
		goto done;
	}
	args = json_pack("{s:s,s:s}", "oldPassword", old_pw, "newPassword", new_pw);
	if (ac_engine_call(&cli->transport, "Account/changePassword", args, &res, &err) < 0) {
		fprintf(stderr, "atrium: the server refused the new password: %s\n",
			err.message[0] ? err.message : err.code);
		goto done;
	}
	if (ac_profile_set_password(cli->profile, new_pw, &err) < 0) {
		fprintf(stderr, "atrium: the password was changed on the server but could "
			"not be saved in the profile: %s\n", err.message);
		goto done;
	}
	printf("password changed\n");
	ret = AC_EXIT_OK;
done:
	sodium_memzero(old_pw, sizeof(old_pw));
	sodium_memzero(new_pw, sizeof(new_pw));
	sodium_memzero(again, sizeof(again));
	if (args != NULL) {
		json_object_clear(args);
		json_decref(args);
	}
	json_decref(res);
	return ret;
}
