/* gab.h — the Global Address Book, personal data, and contact search
 * (docs/protocol.md §6: Contact/search, Account/getPersonalData,
 * Account/setPersonalData).
 *
 * The Global Address Book is the public contacts folder AS_GAB_FOLDER_ID
 * ("Global Address Book"), made by the store's schema migration for new and
 * existing databases alike: owned by no user, seen by every user through a
 * reviewer grant to the group "everyone", with no admin.  So nobody can
 * change its permissions, rename, move or delete it, create items in it or
 * change or delete its items: Item/sync changes on it get forbidden, item by
 * item, whoever sends them.  Only the server writes it.
 *
 * It holds one contact per user, the user's personal data (DESIGN §3):
 * as_gab_user_entry() makes it from the account (display name, e-mail) in
 * the transaction that creates the user, and the user edits it through
 * Account/setPersonalData.  Every change is an item write at a new modseq,
 * so it reaches every user's next Item/sync of the folder (and push).  The
 * fields of personal.h are the server's: displayName and email1 follow the
 * account, private is never set; every other contact field is the user's.
 * The store's directory_entries map each user to their entry.
 *
 * It also holds one distribution list per group (DESIGN §3), named as the
 * group, whose members reference the members' entries (with their names
 * and addresses as last known): as_gab_group_list() writes it in the
 * transactions of groups.c that create a group or change its members, and
 * again when a member's entry changes, so the list follows the group.  The
 * built-in group "everyone" has none (it would be the whole book).  Lists
 * are read-only like the entries.  Photos wait for the contact photo
 * field.
 *
 * Contact/search finds contacts of one folder (the Global Address Book by
 * default, or any contacts folder the user may read) by words: each word
 * must begin a word of the name, e-mail, company or phone fields, ignoring
 * case and diacritics ("mull" finds "Müller").  Words are text, never
 * search syntax.  Results are the items themselves, best match first, as
 * access allows: private items of others never come back. */
#ifndef AS_GAB_H
#define AS_GAB_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"
#include "store.h"
#include "sync.h"

#define AS_SEARCH_QUERY_MAX 256      /* characters of a query */
#define AS_SEARCH_WORDS_MAX 8        /* words of a query */
#define AS_SEARCH_LIMIT_DEFAULT 20
#define AS_SEARCH_LIMIT_MAX 100

/* Inside a write transaction: makes user u's entry in the Global Address
 * Book, or brings its server-managed fields in line with the account. */
int as_gab_user_entry(as_store *s, at_arena *a, const as_user *u, at_error *err);
/* Inside a write transaction: makes group g's list in the Global Address
 * Book, or brings it in line with the group's members (g with its members,
 * as group_get_* fill them). */
int as_gab_group_list(as_store *s, at_arena *a, const as_group *g, at_error *err);

/* Splits a search query into its words (arena array): words are separated
 * by spaces; words without a letter or digit are left out.
 * invalidArguments (field "query") for a query that is too long, holds
 * control characters, has more than AS_SEARCH_WORDS_MAX words or none left. */
int as_search_words(at_arena *a, const char *query, const char ***words_r, size_t *n_r,
		    at_error *err);

json_t *as_contact_search(as_ctx *ctx, json_t *args, at_error *err);
json_t *as_personal_get(as_ctx *ctx, json_t *args, at_error *err);
json_t *as_personal_set(as_ctx *ctx, json_t *args, at_error *err);

#endif
