/* groups.h — groups of users: creation and membership (the admin commands
 * of main.c), on top of the store.
 *
 * A group name is 1-AS_GROUP_NAME_MAX characters of a-z 0-9 . _ - (like a
 * login), unique among groups.  A group carries no rights of its own: a
 * folder grant to a group applies to each of its members (acl.h).  Adding
 * a member is a write at a new modseq, so that the folders granted to the
 * group appear in the new member's Folder/sync. */
#ifndef AS_GROUPS_H
#define AS_GROUPS_H

#include "arena.h"
#include "error.h"
#include "store.h"

#define AS_GROUP_NAME_MAX 64

bool as_group_name_valid(const char *name);

/* Creates a group (own transaction); *group_r (may be NULL) lives in a.
 * invalidArguments for a bad name, alreadyExists for a taken one. */
int as_group_create(as_store *s, at_arena *a, const char *name, const as_group **group_r,
		    at_error *err);

/* Adds the user with login to the group named group_name (own transaction).
 * notFound (field "group" or "login") names what does not exist;
 * alreadyExists when the user is a member already. */
int as_group_add_member(as_store *s, at_arena *a, const char *group_name, const char *login,
			at_error *err);

#endif
