/* cli.h — the atrium command line: global options, dispatch, shared helpers.
 *
 *   atrium [--home DIR] [--profile NAME] [--log-level LEVEL] COMMAND ...
 *
 * Commands: profile (cli.c), contacts (cli_contacts.c), sync, status,
 * password (cli_sync.c), options and debug (cli_options.c), conflicts
 * (cli_conflicts.c), folders and folder (cli_folders.c), calendar
 * (cli_calendar.c), invite (cli_invite.c), tasks and task (cli_tasks.c), import/export ics
 * (cli_ics.c), mirror (cli_mirror.c),
 * gab and personal (cli_gab.c).  Logging: with --log-level (or $ATRIUM_LOG_LEVEL) log
 * lines go to stderr at that level; otherwise, once a profile is open, to
 * the profile's log file at the level of its options.  Exit status: 0 success, 1 error (message on
 * stderr), 2 usage error.  Everything a command needs (home, profile, store,
 * transport) is opened on demand through an ac_cli and closed by
 * ac_cli_close().
 *
 * Ownership: the ac_cli owns what it opened; commands borrow it. */
#ifndef AC_CLI_H
#define AC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "profile.h"
#include "store.h"
#include "transport.h"

#define AC_EXIT_OK 0
#define AC_EXIT_ERROR 1
#define AC_EXIT_USAGE 2

typedef struct ac_cli {
	char *home;                /* resolved home directory */
	const char *profile_name;  /* --profile, or NULL for the current one */
	ac_profile *profile;
	ac_store *store;
	ac_http *http;
	ac_transport transport;
	bool log_level_given;      /* --log-level or $ATRIUM_LOG_LEVEL: log to stderr */
	FILE *log;                 /* the profile's log file once a profile is open */
} ac_cli;

/* The whole program; returns the exit status. */
int ac_cli_main(int argc, char **argv);

/* Opening what commands need (each opens what it depends on). */
int ac_cli_open_profile(ac_cli *cli, at_error *err);
int ac_cli_open_store(ac_cli *cli, at_error *err);
int ac_cli_open_transport(ac_cli *cli, at_error *err);
void ac_cli_close(ac_cli *cli);

/* Prints "atrium: MESSAGE" for err and returns AC_EXIT_ERROR. */
int ac_cli_fail(const at_error *err);
/* Prints "atrium: MESSAGE" and a hint to --help; returns AC_EXIT_USAGE. */
int ac_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool ac_cli_is_help(const char *arg);
/* The item of type `type` ("task", "appointment") that ref names: a
 * local or server id, or a unique prefix of one (at least
 * AC_CLI_MIN_PREFIX characters).  Opens the store.  notFound for none, a
 * deleted one or one of another type, invalidArguments when a prefix
 * names several; *it_r is owned by the caller. */
#define AC_CLI_MIN_PREFIX 4
int ac_cli_find_item(ac_cli *cli, const char *type, const char *ref, ac_item **it_r,
		     at_error *err);
/* One subcommand of a command: fn gets the arguments after its name. */
typedef struct ac_subcommand {
	const char *name;
	int (*fn)(ac_cli *cli, int argc, char **argv);
} ac_subcommand;
/* Runs the subcommand argv[1] of command `what` (argv[0]) from table (n
 * entries): without one, the usage on stderr and AC_EXIT_USAGE; a help
 * word, the usage on stdout; an unknown one, a usage error naming it. */
int ac_cli_subcommand(ac_cli *cli, int argc, char **argv, const char *what, const char *usage,
		      const ac_subcommand *table, size_t n);
/* If argv[*i] is --name or --name=VALUE: 1, with the value (the next
 * argument for --name, consumed) in *value_r, or -1 after a usage message
 * when the value is missing.  0 when argv[*i] is another argument. */
int ac_cli_option(int argc, char **argv, int *i, const char *name, const char **value_r);
/* Reads one line (without its line break) of at most size-1 bytes; -1 at
 * end of input or when the line is longer. */
int ac_cli_read_line(FILE *in, char *buf, size_t size);
/* The folder a --folder argument names: an id or a PATH of tree.h, in the
 * tree of the local store (which must be open). */
int ac_cli_find_folder(ac_cli *cli, const char *ref, char id_r[AC_ID_SIZE], at_error *err);

/* The contact --FIELD VALUE options of "contacts add/edit" (cli_contacts.c)
 * into fields, checked with the server's limits; patch: '' removes a field
 * (null).  Returns an exit status (after a message), or -1 to go on.  The
 * caller handles --help. */
int ac_cli_contact_fields(int argc, char **argv, bool patch, json_t *fields);

/* Commands: argv[0] is the command's name. */
int ac_cmd_profile(ac_cli *cli, int argc, char **argv);
int ac_cmd_contacts(ac_cli *cli, int argc, char **argv);
int ac_cmd_sync(ac_cli *cli, int argc, char **argv);
int ac_cmd_status(ac_cli *cli, int argc, char **argv);
int ac_cmd_password(ac_cli *cli, int argc, char **argv);
int ac_cmd_options(ac_cli *cli, int argc, char **argv);
int ac_cmd_debug(ac_cli *cli, int argc, char **argv);
int ac_cmd_conflicts(ac_cli *cli, int argc, char **argv);
/* import vcf / export vcf (cli_vcf.c) */
int ac_cmd_import(ac_cli *cli, int argc, char **argv);
int ac_cmd_export(ac_cli *cli, int argc, char **argv);
int ac_cmd_folders(ac_cli *cli, int argc, char **argv);
int ac_cmd_folder(ac_cli *cli, int argc, char **argv);
/* calendar list|show|add|edit|delete (cli_calendar.c) */
int ac_cmd_calendar(ac_cli *cli, int argc, char **argv);
/* invite list|respond|proposals|accept-proposal (cli_invite.c) */
int ac_cmd_invite(ac_cli *cli, int argc, char **argv);
/* tasks list|show|add|edit|done|delete and task delegate|withdraw|respond
 * (cli_tasks.c) */
int ac_cmd_tasks(ac_cli *cli, int argc, char **argv);
int ac_cmd_task(ac_cli *cli, int argc, char **argv);
/* import ics / export ics (cli_ics.c) */
int ac_cmd_import_ics(ac_cli *cli, int argc, char **argv);
int ac_cmd_export_ics(ac_cli *cli, int argc, char **argv);
/* gab search (online Global Address Book search) and personal show|edit
 * (cli_gab.c) */
int ac_cmd_gab(ac_cli *cli, int argc, char **argv);
/* move ID --to PATH (cli_move.c) */
int ac_cmd_move(ac_cli *cli, int argc, char **argv);
/* freebusy (online free/busy grid, cli_freebusy.c) */
int ac_cmd_freebusy(ac_cli *cli, int argc, char **argv);
int ac_cmd_personal(ac_cli *cli, int argc, char **argv);
/* attach ID FILE and attachments ID | get | remove (cli_attach.c): files
 * of contacts, appointments and tasks, through the local blob cache
 * (blobs.h) */
int ac_cmd_attach(ac_cli *cli, int argc, char **argv);
int ac_cmd_attachments(ac_cli *cli, int argc, char **argv);
/* The contact's photo from a file (cli_attach.c): checked by content and
 * against the photo limit, copied into the blob cache; *photo_r is the new
 * field value (a new reference).  Returns an exit status after a message,
 * or -1 to go on. */
int ac_cli_photo_field(ac_cli *cli, const char *file, json_t **photo_r);
/* mirror enable|disable|status|scan (cli_mirror.c) */
int ac_cmd_mirror(ac_cli *cli, int argc, char **argv);
/* After command cmd: when it may have changed the store (and opened it),
 * brings the local files mirror up to date; problems go to stderr. */
void ac_cli_mirror_after(ac_cli *cli, const char *cmd);

#endif
