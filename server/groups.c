/* groups.c — see groups.h. */
#include "groups.h"

#include <string.h>

#include "gab.h"

bool as_group_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > AS_GROUP_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

int as_group_create(as_store *s, at_arena *a, const char *name, const as_group **group_r,
		    at_error *err)
{
	if (!as_group_name_valid(name))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL,
				    "name", "a group name is 1-%d characters of a-z 0-9 . _ -",
				    AS_GROUP_NAME_MAX);
	as_group *g = at_arena_alloc(a, sizeof(*g));
	g->id = as_new_id(a);
	g->name = at_arena_strdup(a, name);
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->group_add(s, g, err) < 0 || as_gab_group_list(s, a, g, err) < 0 ||
	    s->ops->commit(s, err) < 0) {
		s->ops->rollback(s);
		return -1;
	}
	if (group_r != NULL)
		*group_r = g;
	return 0;
}

int as_group_add_member(as_store *s, at_arena *a, const char *group_name, const char *login,
			at_error *err)
{
	as_group g;
	as_user u;
	bool found;
	if (s->ops->begin(s, true, err) < 0)
		return -1;
	if (s->ops->group_get_by_name(s, group_name, a, &g, &found, err) < 0)
		goto fail;
	if (!found) {
		at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "group",
			     "no group named \"%s\"", group_name);
		goto fail;
	}
	if (s->ops->user_get_by_login(s, login, a, &u, &found, err) < 0)
		goto fail;
	if (!found) {
		at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "login",
			     "no user with login \"%s\"", login);
		goto fail;
	}
	if (s->ops->group_member_add(s, g.id, u.id, err) < 0) {
		if (strcmp(err->code, AT_E_EXISTS) == 0)
			at_error_set(err, AT_E_EXISTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "login",
				     "%s is a member of group %s already", login, group_name);
		goto fail;
	}
	/* the group's list in the Global Address Book follows */
	if (s->ops->group_get_by_id(s, g.id, a, &g, &found, err) < 0 ||
	    (found && as_gab_group_list(s, a, &g, err) < 0))
		goto fail;
	if (s->ops->commit(s, err) < 0)
		goto fail;
	return 0;
fail:
	s->ops->rollback(s);
	return -1;
}
