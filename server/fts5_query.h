/* fts5_query.h — the SQLite FTS5 query of a contact search (store_sqlite.c).
 *
 * User words never reach FTS5 as syntax: each becomes a quoted string (its
 * double quotes doubled), so AND, OR, NOT, NEAR, parentheses, column
 * filters, ^ and * typed by a user are plain text, searched for like any
 * other word.  Each string is a prefix query restricted to the text columns
 * of the index, and the words are joined by FTS5's implicit AND.  A word
 * that the tokenizer turns into nothing (only punctuation) then matches
 * everything instead of nothing: callers pass words that hold a letter or a
 * digit.  The folder is a phrase on the folder column, so FTS5 intersects it
 * with the words instead of filtering rows afterwards. */
#ifndef AS_FTS5_QUERY_H
#define AS_FTS5_QUERY_H

#include <stddef.h>

#include "arena.h"

/* The columns of the index (the schema of store_sqlite.c). */
#define AS_FTS5_TEXT_COLUMNS "{name email company phone}"

/* folder:"FOLDER" {name email company phone}:"WORD"* ... (arena string). */
const char *as_fts5_query(at_arena *a, const char *folder_id, const char *const *words,
			  size_t n_words);

#endif
