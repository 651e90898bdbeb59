/* common.h — small helpers shared by the connector's modules.
 *
 * Time stamps, random local ids, JSON member accessors and the file
 * primitives the home directory needs (create a directory tree with a mode,
 * read a bounded file, replace a file atomically and durably).  Nothing here
 * keeps state.  Strings returned through _r parameters are malloc'ed and owned
 * by the caller. */
#ifndef AC_COMMON_H
#define AC_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "model.h"

/* Room for an id of the protocol (AT_MAX_ID_LEN) and its NUL. */
#define AC_ID_SIZE (AT_MAX_ID_LEN + 1)
/* Local ids are 16 hex digits: 64 random bits, also used as clientId. */
#define AC_LOCAL_ID_BYTES 8
#define AC_TIME_SIZE 32

/* "2026-11-21T12:00:00Z" (UTC). */
void ac_now_iso(char buf[AC_TIME_SIZE]);
/* A new random local id / client id. */
void ac_random_id(char buf[AC_ID_SIZE]);

/* The string value of o[key], or NULL when absent or not a string. */
const char *ac_jstr(json_t *o, const char *key);
/* json_equal() that accepts NULL (NULL equals only NULL). */
bool ac_json_eq(json_t *a, json_t *b);
/* Parses a JSON text of at most max bytes; NULL with err set when it is not
 * JSON.  Duplicate keys are refused. */
json_t *ac_json_parse(const char *text, size_t len, at_error *err);
/* Compact JSON text (malloc'ed); aborts on out of memory. */
char *ac_json_dump(json_t *v);

/* mkdir -p with the given mode for every directory it creates. */
int ac_mkdir_p(const char *path, mode_t mode, at_error *err);
/* Reads a whole file of at most max bytes (NUL-terminated copy in *data_r).
 * A missing file is notFound. */
int ac_read_file(const char *path, size_t max, char **data_r, size_t *len_r,
		 at_error *err);
/* Writes data to path through a temporary file created with O_EXCL and the
 * final mode (never visible with wider permissions), fsync()ed and renamed
 * over path; the directory is fsync()ed too. */
int ac_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 at_error *err);
/* rm -r; a missing path is not an error. */
int ac_remove_tree(const char *path, at_error *err);

/* --- values typed on the command line ---------------------------------------
 * Shared by the item commands (cli_*.c).  A field's option is "--" and the
 * kebab-case of its wire name (model.h): --first-name, --total-work-minutes. */

/* ATRIUM_SKIP_LOCAL_VALIDATION=1: commands skip their local check with the
 * server's rules (for tests of the server's own refusal). */
bool ac_skip_local_validation(void);
/* "A, B,,C" -> ["A","B","C"] (blanks around entries and empty entries
 * dropped); NULL when the text is not UTF-8. */
json_t *ac_split_list(const char *text);
/* Whether argv[*i] is the option of a field of t given as text (any type
 * but OBJECT and OBJECT_LIST): 0 when not; 1 with *f_r the field and
 * *text_r its value: what follows "=", else the next argument (consumed),
 * "true" for a boolean --NAME and "false" for --no-NAME; -1 with err (field
 * set) when the value is missing.  *text_r is borrowed from argv. */
int ac_field_option(const at_item_type *t, int argc, char **argv, int *i,
		    const at_field_def **f_r, const char **text_r, at_error *err);
/* The JSON value of a typed text for field f: a list split by
 * ac_split_list(), an integer, a boolean (true/false, yes/no, 1/0), a string
 * otherwise (dates and times as typed: see ac_user_time_parse()).  An empty
 * text (or list) is json null ("remove") when patch, else *value_r is NULL
 * ("not set").  -1 with err naming the field when the text is not a value
 * of the type.  *value_r is a new reference. */
int ac_field_value(const at_field_def *f, const char *text, bool patch, json_t **value_r,
		   at_error *err);

/* The user's time zone: given when not NULL, else $TZ when it names a zone
 * libical knows, else the system's (/etc/timezone, /etc/localtime), else
 * "UTC".  May point to static storage (one thread). */
const char *ac_user_zone(const char *given);
/* A time typed by the user: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or
 * "YYYY-MM-DDTHH:MM[:SS]", with Z or an offset or not.  *t_r: a date, an
 * instant (tzid "UTC") or a wall time (tzid NULL, to be read in the user's
 * zone).  -1 when it is none of these. */
int ac_user_time_parse(const char *s, at_recur_time *t_r);
/* A typed time as a wire DATETIME: wall times are read in zone and become
 * UTC instants; dates and instants stay what they are. */
int ac_user_time_wire(const at_recur_time *t, const char *zone, char out[AT_DATETIME_SIZE],
		      at_error *err);
/* A wire DATETIME for people: "2024-03-19 09:00" (an instant in zone; a
 * floating time as it is), a date as it is, anything else unchanged. */
void ac_user_time_show(const char *wire, const char *zone, char *buf, size_t size);
/* One "LABEL  VALUE" line of a show command on stdout: text (continuation
 * lines indented), yes/no, numbers, lists joined by ", ", other JSON
 * compact. */
void ac_print_value(const char *label, json_t *v);
/* v as indented JSON and a line break on stdout (the --json outputs). */
void ac_print_json(json_t *v);
struct ac_item;
/* The lines of a show command about the item's sync state: server id,
 * folder (folder: how to name it; NULL: its id), state, version and the
 * server's error for it. */
void ac_print_item_state(const struct ac_item *it, const char *folder);
/* The fields that t (NULL: none) does not know, a newer server's, as
 * ac_print_value() lines. */
void ac_print_unknown_fields(const at_item_type *t, json_t *fields);

/* The participant status an answer on the command line gives ("accept" or
 * "accepted", "tentative", "decline" or "declined"): "accepted",
 * "tentative", "declined"; NULL for anything else (answer may be NULL). */
const char *ac_answer_status(const char *answer);

#endif
