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

#endif
