/* main.c — the atriumd command line: serve, and the admin subcommands for
 * users, groups and the deletion history. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "auth.h"
#include "blobs.h"
#include "clock.h"
#include "config.h"
#include "folders.h"
#include "groups.h"
#include "http.h"
#include "log.h"
#include "mail.h"
#include "reminders.h"
#include "store.h"
#include "tls.h"

static const char usage[] =
	"usage: atriumd COMMAND [options]\n"
	"\n"
	"commands:\n"
	"  serve --data DIR --listen HOST:PORT [--config FILE] [--log-level LEVEL]\n"
	"        [--tls-cert FILE --tls-key FILE] [--clock-file FILE]\n"
	"        run the server in the foreground until SIGTERM or SIGINT; with a\n"
	"        certificate and key (PEM) it serves https and prints the public key\n"
	"        pin that `atrium profile add --pin` takes for a self-signed server;\n"
	"        --clock-file (tests only) reads the time from FILE (UTC seconds or\n"
	"        YYYY-MM-DDTHH:MM:SSZ) at every use instead of the system clock\n"
	"  user add LOGIN --name NAME --email ADDR --data DIR --password-stdin\n"
	"  user list --data DIR\n"
	"  user passwd LOGIN --data DIR --password-stdin\n"
	"  group add NAME --data DIR\n"
	"  group member add GROUP LOGIN --data DIR\n"
	"  group list --data DIR\n"
	"  resource add NAME --email ADDR [--kind room|equipment] [--name TEXT] --data DIR\n"
	"        a room or equipment: a calendar people book by inviting it; it\n"
	"        cannot log in\n"
	"  resource list --data DIR\n"
	"  tombstones purge --data DIR --older-than SECONDS\n"
	"  blobs collect --data DIR --older-than SECONDS\n"
	"        forget deletions older than SECONDS (clients holding older sync\n"
	"        tokens then reconcile their folders)\n"
	"\n"
	"LEVEL is error, warn, info, debug or trace.\n";

struct opts {
	const char *data, *listen, *config, *name, *email, *log_level, *older_than;
	const char *tls_cert, *tls_key, *clock_file, *kind;
	bool password_stdin;
	const char *positional[6];
	int n_positional;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (strcmp(a, "--data") == 0) slot = &o->data;
		else if (strcmp(a, "--listen") == 0) slot = &o->listen;
		else if (strcmp(a, "--config") == 0) slot = &o->config;
		else if (strcmp(a, "--name") == 0) slot = &o->name;
		else if (strcmp(a, "--email") == 0) slot = &o->email;
		else if (strcmp(a, "--log-level") == 0) slot = &o->log_level;
		else if (strcmp(a, "--older-than") == 0) slot = &o->older_than;
		else if (strcmp(a, "--tls-cert") == 0) slot = &o->tls_cert;
		else if (strcmp(a, "--tls-key") == 0) slot = &o->tls_key;
		else if (strcmp(a, "--clock-file") == 0) slot = &o->clock_file;
		else if (strcmp(a, "--kind") == 0) slot = &o->kind;
		else if (strcmp(a, "--password-stdin") == 0) {
			o->password_stdin = true;
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else if (a[0] == '-') {
			fprintf(stderr, "atriumd: unknown option %s\n", a);
			return -1;
		} else {
			if (o->n_positional == 6) {
				fprintf(stderr, "atriumd: too many arguments\n");
				return -1;
			}
			o->positional[o->n_positional++] = a;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "atriumd: %s needs a value\n", a);
			return -1;
		}
		*slot = argv[++i];
	}
	return 0;
}

static int read_password(char *buf, size_t size)
{
	if (fgets(buf, (int)size, stdin) == NULL) {
		fprintf(stderr, "atriumd: no password on standard input\n");
		return -1;
	}
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(stdin)) {
		fprintf(stderr, "atriumd: the password is too long\n");
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

static as_store *open_store(const struct opts *o)
{
	at_error err;
	if (o->data == NULL) {
		fprintf(stderr, "atriumd: --data DIR is required\n");
		return NULL;
	}
	as_store *s = as_store_open_sqlite(o->data, &err);
	if (s == NULL)
		fprintf(stderr, "atriumd: %s\n", err.message);
	return s;
}

/* --- admin subcommands -------------------------------------------------------
 *
 * Each works on an open store (--data DIR) with an arena, prints its result
 * on stdout, and on failure fills err; run_admin() does the rest: usage
 * checks, the password on stdin, opening and closing, the error line. */

typedef int admin_fn(const struct opts *o, as_store *s, at_arena *a, const char *pw,
		     at_error *err);

static int purge(as_store *s, int64_t older_than, int64_t *purged_r, at_error *err)
{
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->purge_tombstones(s, (int64_t)time(NULL) - older_than, purged_r, err) < 0 ||
	    s->ops->commit(s, err) < 0) {
		s->ops->rollback(s);
		return -1;
	}
	return 0;
}

static int user_add(const struct opts *o, as_store *s, at_arena *a, const char *pw,
		    at_error *err)
{
	const as_user *u;
	if (as_account_create(s, a, o->positional[2], o->name, o->email, pw, &u, err) < 0)
		return -1;
	printf("added user %s (%s) with id %s\n", u->login, u->name, u->id);
	return 0;
}

static int print_user(void *ctx, const as_user *u)
{
	if (u->kind != NULL && strcmp(u->kind, AS_KIND_RESOURCE) == 0)
		return 0;  /* resource list shows those */
	printf("%-20s %-30s %-30s %s\n", u->login, u->name, u->email, u->id);
	return 0;
}

static int user_list(const struct opts *o, as_store *s, at_arena *a, const char *pw,
		     at_error *err)
{
	printf("%-20s %-30s %-30s %s\n", "LOGIN", "NAME", "EMAIL", "ID");
	int rc = s->ops->begin(s, false, err) < 0 ? -1
		 : s->ops->user_list(s, a, print_user, NULL, err);
	s->ops->rollback(s);
	return rc;
}

static int user_passwd(const struct opts *o, as_store *s, at_arena *a, const char *pw,
		       at_error *err)
{
	if (as_auth_set_password(s, a, o->positional[2], pw, err) < 0)
		return -1;
	printf("password of %s changed\n", o->positional[2]);
	return 0;
}

static int group_add(const struct opts *o, as_store *s, at_arena *a, const char *pw,
		     at_error *err)
{
	const as_group *g;
	if (as_group_create(s, a, o->positional[2], &g, err) < 0)
		return -1;
	printf("added group %s with id %s\n", g->name, g->id);
	return 0;
}

static int group_member_add(const struct opts *o, as_store *s, at_arena *a, const char *pw,
			    at_error *err)
{
	if (as_group_add_member(s, a, o->positional[3], o->positional[4], err) < 0)
		return -1;
	printf("added %s to group %s\n", o->positional[4], o->positional[3]);
	return 0;
}

static int print_group(void *ctx, const as_group *g)
{
	printf("%-20s", g->name);
	if (strcmp(g->id, AS_GROUP_EVERYONE) == 0) {
		printf(" (every user)\n");
		return 0;
	}
	for (size_t i = 0; i < g->n_members; i++)
		printf(" %s", g->members[i].login);
	printf("\n");
	return 0;
}

static int group_list(const struct opts *o, as_store *s, at_arena *a, const char *pw,
		      at_error *err)
{
	printf("%-20s %s\n", "GROUP", "MEMBERS");
	int rc = s->ops->begin(s, false, err) < 0 ? -1
		 : s->ops->group_list(s, a, print_group, NULL, err);
	s->ops->rollback(s);
	return rc;
}

static int resource_add(const struct opts *o, as_store *s, at_arena *a, const char *pw,
			at_error *err)
{
	const as_user *u;
	const char *login = o->positional[2];
	if (as_resource_create(s, a, login, o->name != NULL ? o->name : login, o->email,
			       o->kind, &u, err) < 0)
		return -1;
	printf("added resource %s (%s, %s) with id %s\n", u->login, u->resource_type, u->email,
	       u->id);
	return 0;
}

static int print_resource(void *ctx, const as_user *u)
{
	if (u->kind != NULL && strcmp(u->kind, AS_KIND_RESOURCE) == 0)
		printf("%-20s %-10s %-30s %-30s %s\n", u->login,
		       u->resource_type != NULL ? u->resource_type : "-", u->name, u->email, u->id);
	return 0;
}

static int resource_list(const struct opts *o, as_store *s, at_arena *a, const char *pw,
			 at_error *err)
{
	printf("%-20s %-10s %-30s %-30s %s\n", "NAME", "KIND", "DISPLAY NAME", "EMAIL", "ID");
	int rc = s->ops->begin(s, false, err) < 0 ? -1
		 : s->ops->user_list(s, a, print_resource, NULL, err);
	s->ops->rollback(s);
	return rc;
}

static int tombstones_purge(const struct opts *o, as_store *s, at_arena *a, const char *pw,
			    at_error *err)
{
	int64_t purged;
	if (purge(s, strtoll(o->older_than, NULL, 10), &purged, err) < 0)
		return -1;
	printf("purged %lld tombstones\n", (long long)purged);
	return 0;
}

static int blobs_collect(const struct opts *o, as_store *s, at_arena *a, const char *pw,
			 at_error *err)
{
	int64_t collected;
	if (as_blobs_collect(s, o->data, (int64_t)time(NULL) - strtoll(o->older_than, NULL, 10),
			     &collected, err) < 0)
		return -1;
	printf("removed %lld unreferenced blobs\n", (long long)collected);
	return 0;
}

static bool valid_seconds(const char *v)
{
	char *end;
	return v != NULL && *v != '\0' && strtoll(v, &end, 10) >= 0 && *end == '\0';
}

enum { NEEDS_PASSWORD = 1, NEEDS_NAME_EMAIL = 2, NEEDS_SECONDS = 4, NEEDS_EMAIL = 8 };

static const struct admin {
	const char *words[3];      /* the words naming it (NULL-terminated) */
	int n_positional;          /* words plus its own arguments */
	int needs;
	const char *usage;
	admin_fn *run;
} admins[] = {
	{{"user", "add"}, 3, NEEDS_PASSWORD | NEEDS_NAME_EMAIL,
	 "user add LOGIN --name NAME --email ADDR --data DIR --password-stdin", user_add},
	{{"user", "list"}, 2, 0, "user list --data DIR", user_list},
	{{"user", "passwd"}, 3, NEEDS_PASSWORD,
	 "user passwd LOGIN --data DIR --password-stdin", user_passwd},
	{{"group", "add"}, 3, 0, "group add NAME --data DIR", group_add},
	{{"group", "member", "add"}, 5, 0, "group member add GROUP LOGIN --data DIR",
	 group_member_add},
	{{"group", "list"}, 2, 0, "group list --data DIR", group_list},
	{{"resource", "add"}, 3, NEEDS_EMAIL,
	 "resource add NAME --email ADDR [--kind room|equipment] [--name TEXT] --data DIR",
	 resource_add},
	{{"resource", "list"}, 2, 0, "resource list --data DIR", resource_list},
	{{"tombstones", "purge"}, 2, NEEDS_SECONDS,
	 "tombstones purge --data DIR --older-than SECONDS", tombstones_purge},
	{{"blobs", "collect"}, 2, NEEDS_SECONDS,
	 "blobs collect --data DIR --older-than SECONDS", blobs_collect},
};

static const struct admin *find_admin(const struct opts *o)
{
	for (size_t i = 0; i < sizeof(admins) / sizeof(admins[0]); i++) {
		const struct admin *ad = &admins[i];
		int w = 0;
		while (w < 3 && ad->words[w] != NULL && w < o->n_positional &&
		       strcmp(ad->words[w], o->positional[w]) == 0)
			w++;
		if (w == 3 || ad->words[w] == NULL)
			return ad;
	}
	return NULL;
}

static int run_admin(const struct admin *ad, const struct opts *o)
{
	char pw[1100] = "";
	at_error err;
	int rc = 1;
	at_arena *a = NULL;
	as_store *s = NULL;
	if (o->n_positional != ad->n_positional || o->data == NULL ||
	    ((ad->needs & NEEDS_PASSWORD) && !o->password_stdin) ||
	    ((ad->needs & NEEDS_NAME_EMAIL) && (o->name == NULL || o->email == NULL)) ||
	    ((ad->needs & NEEDS_EMAIL) && o->email == NULL) ||
	    ((ad->needs & NEEDS_SECONDS) && !valid_seconds(o->older_than))) {
		fprintf(stderr, "usage: atriumd %s\n", ad->usage);
		return 2;
	}
	if ((ad->needs & NEEDS_PASSWORD) && read_password(pw, sizeof(pw)) < 0)
		goto done;
	if ((s = open_store(o)) == NULL)
		goto done;
	a = at_arena_new(0);
	at_error_clear(&err);
	if (ad->run(o, s, a, pw, &err) < 0) {
		fprintf(stderr, "atriumd: %s\n", err.message);
		goto done;
	}
	rc = 0;
done:
	sodium_memzero(pw, sizeof(pw));
	as_store_close(&s);
	at_arena_free(&a);
	return rc;
}

static int cmd_serve(const struct opts *o)
{
	as_config conf;
	at_error err;
	as_config_defaults(&conf);
	if (o->config != NULL && as_config_load(&conf, o->config, &err) < 0)
		goto fail;
	if (o->data != NULL)
		snprintf(conf.data_dir, sizeof(conf.data_dir), "%s", o->data);
	if (o->listen != NULL && as_config_parse_listen(&conf, o->listen, &err) < 0)
		goto fail;
	if (o->log_level != NULL && at_log_level_parse(o->log_level, &conf.log_level) < 0) {
		fprintf(stderr, "atriumd: unknown log level %s\n", o->log_level);
		return 2;
	}
	at_log_set_level(conf.log_level);
	if (o->clock_file != NULL)
		snprintf(conf.clock_file, sizeof(conf.clock_file), "%s", o->clock_file);
	as_clock_set_file(conf.clock_file);
	if (conf.clock_file[0] != '\0')
		at_info("server", "the clock is read from %s (tests only)", conf.clock_file);
	if (as_folders_set_public_creators(conf.public_folder_creators, &err) < 0)
		goto fail;

	/* open once in the main thread: creates and migrates the database before
	 * the first request, and serves the periodic housekeeping */
	as_store *s = as_store_open_sqlite(conf.data_dir, &err);
	if (s == NULL)
		goto fail;
	if (as_mail_configure(&conf, &err) < 0) {
		as_store_close(&s);
		goto fail;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	as_tls tls = {0};
	if (o->tls_cert != NULL)
		snprintf(conf.tls_cert, sizeof(conf.tls_cert), "%s", o->tls_cert);
	if (o->tls_key != NULL)
		snprintf(conf.tls_key, sizeof(conf.tls_key), "%s", o->tls_key);
	bool https = conf.tls_cert[0] != '\0' || conf.tls_key[0] != '\0';
	if (https && (conf.tls_cert[0] == '\0' || conf.tls_key[0] == '\0')) {
		at_error_set(&err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL, "tls",
			     "TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
		as_store_close(&s);
		goto fail;
	}
	if (https && as_tls_load(conf.tls_cert, conf.tls_key, &tls, &err) < 0) {
		as_store_close(&s);
		goto fail;
	}
	as_http_conf hc = {conf.data_dir, conf.listen_host, conf.listen_port, conf.threads,
			   tls.cert_pem, tls.key_pem};
	as_http *http = as_http_start(&hc, &err);
	if (http == NULL) {
		as_tls_clear(&tls);
		as_store_close(&s);
		goto fail;
	}
	/* mail: the sender, and the task reminders that feed it (with mail
	 * off, reminders stay pending: reminders.h) */
	as_mail_sender *sender = NULL;
	as_reminders *reminders = NULL;
	if (as_mail_enabled() &&
	    ((sender = as_mail_start(conf.data_dir, &err)) == NULL ||
	     (reminders = as_reminders_start(conf.data_dir, conf.reminder_interval, sender,
					     &err)) == NULL)) {
		as_mail_stop(&sender);
		as_http_stop(&http);
		as_tls_clear(&tls);
		as_store_close(&s);
		goto fail;
	}
	at_info("server", "atriumd listening on %s://%s:%u, data in %s", https ? "https" : "http",
		conf.listen_host, conf.listen_port, conf.data_dir);
	if (https)
		at_info("server", "TLS public key pin: %s", tls.pin);
	time_t next_purge = 0;
	for (;;) {
		struct timespec ts = {60, 0};
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			at_info("server", "signal %d: stopping", sig);
			break;
		}
		if (time(NULL) >= next_purge) {
			int64_t purged;
			if (purge(s, conf.tombstone_seconds, &purged, &err) < 0)
				at_warn("server", "tombstone purge failed: %s", err.message);
			else if (purged > 0)
				at_info("server", "forgot %lld old deletions", (long long)purged);
			/* sent mail is kept as long as deletions, for questions */
			if (as_mail_purge(s, (int64_t)time(NULL) - conf.tombstone_seconds, &purged,
					  &err) < 0)
				at_warn("server", "mail queue purge failed: %s", err.message);
			else if (purged > 0)
				at_info("server", "forgot %lld old mail messages", (long long)purged);
			if (as_blobs_collect(s, conf.data_dir,
					     (int64_t)time(NULL) - AS_BLOB_GRACE_SECONDS, &purged,
					     &err) < 0)
				at_warn("server", "blob collection failed: %s", err.message);
			else if (purged > 0)
				at_info("server", "removed %lld unreferenced blobs", (long long)purged);
			next_purge = time(NULL) + 3600;
		}
	}
	as_http_stop(&http);
	as_reminders_stop(&reminders);
	as_mail_stop(&sender);
	as_tls_clear(&tls);
	as_store_close(&s);
	at_info("server", "stopped");
	return 0;
fail:
	fprintf(stderr, "atriumd: %s\n", err.message);
	return 1;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (parse_opts(argc - 1, argv + 1, &o) < 0)
		return 2;
	if (as_auth_init() < 0) {
		fprintf(stderr, "atriumd: cannot initialise libsodium\n");
		return 1;
	}
	const char *cmd = o.n_positional > 0 ? o.positional[0] : "";
	if (strcmp(cmd, "serve") == 0 && o.n_positional == 1)
		return cmd_serve(&o);
	const struct admin *ad = find_admin(&o);
	if (ad != NULL)
		return run_admin(ad, &o);
	fputs(usage, stderr);
	return 2;
}
