/* acl.c — see acl.h. */
#include "acl.h"

#include <string.h>

static const at_rights presets[] = {
	[AT_LEVEL_NONE] = {AT_FR_NONE, AT_OR_NONE, AT_OR_NONE, AT_OR_NONE, false},
	[AT_LEVEL_CONTRIBUTOR] = {AT_FR_CREATE, AT_OR_NONE, AT_OR_NONE, AT_OR_NONE, false},
	[AT_LEVEL_REVIEWER] = {AT_FR_SEE, AT_OR_ALL, AT_OR_NONE, AT_OR_NONE, false},
	[AT_LEVEL_NONEDITING_AUTHOR] = {AT_FR_CREATE, AT_OR_ALL, AT_OR_NONE, AT_OR_NONE, false},
	[AT_LEVEL_AUTHOR] = {AT_FR_CREATE, AT_OR_ALL, AT_OR_OWN, AT_OR_OWN, false},
	[AT_LEVEL_PUBLISHING_AUTHOR] = {AT_FR_SUBFOLDERS, AT_OR_ALL, AT_OR_OWN, AT_OR_OWN, false},
	[AT_LEVEL_EDITOR] = {AT_FR_CREATE, AT_OR_ALL, AT_OR_ALL, AT_OR_ALL, false},
	[AT_LEVEL_PUBLISHING_EDITOR] = {AT_FR_SUBFOLDERS, AT_OR_ALL, AT_OR_ALL, AT_OR_ALL, false},
	[AT_LEVEL_OWNER] = {AT_FR_SUBFOLDERS, AT_OR_ALL, AT_OR_ALL, AT_OR_ALL, true},
};

static const char *const level_names[] = {
	"none", "contributor", "reviewer", "nonediting-author", "author",
	"publishing-author", "editor", "publishing-editor", "owner", "custom",
};

at_rights at_level_rights(at_level level)
{
	if ((unsigned)level > AT_LEVEL_OWNER)
		level = AT_LEVEL_NONE;
	return presets[level];
}

at_level at_rights_level(const at_rights *r)
{
	for (unsigned i = 0; i <= AT_LEVEL_OWNER; i++) {
		const at_rights *p = &presets[i];
		if (p->folder == r->folder && p->read == r->read && p->write == r->write &&
		    p->del == r->del && p->admin == r->admin)
			return (at_level)i;
	}
	return AT_LEVEL_CUSTOM;
}

const char *at_level_name(at_level level)
{
	return (unsigned)level <= AT_LEVEL_CUSTOM ? level_names[level] : "custom";
}

static const char *const fr_names[] = {"none", "see", "create", "subfolders"};
static const char *const or_names[] = {"none", "own", "all"};

json_t *at_rights_to_json(const at_rights *r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:b}", "folder", fr_names[r->folder],
			 "read", or_names[r->read], "write", or_names[r->write],
			 "delete", or_names[r->del], "admin", r->admin);
}

static int parse_word(json_t *v, const char *const *names, int n)
{
	if (!json_is_string(v))
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(json_string_value(v), names[i]) == 0)
			return i;
	return -1;
}

int at_rights_from_json(json_t *o, at_rights *r_r)
{
	int f = parse_word(json_object_get(o, "folder"), fr_names, 4);
	int rd = parse_word(json_object_get(o, "read"), or_names, 3);
	int wr = parse_word(json_object_get(o, "write"), or_names, 3);
	int dl = parse_word(json_object_get(o, "delete"), or_names, 3);
	json_t *ad = json_object_get(o, "admin");
	if (f < 0 || rd < 0 || wr < 0 || dl < 0 || !json_is_boolean(ad))
		return -1;
	r_r->folder = (at_folder_right)f;
	r_r->read = (at_obj_right)rd;
	r_r->write = (at_obj_right)wr;
	r_r->del = (at_obj_right)dl;
	r_r->admin = json_is_true(ad);
	return 0;
}

static void widen(at_rights *acc, const at_rights *g)
{
	if (g->folder > acc->folder) acc->folder = g->folder;
	if (g->read > acc->read) acc->read = g->read;
	if (g->write > acc->write) acc->write = g->write;
	if (g->del > acc->del) acc->del = g->del;
	acc->admin = acc->admin || g->admin;
}

at_rights at_acl_effective(const char *user_id, const char *owner_id,
			   const at_grant *grants, size_t n_grants,
			   const char *const *member_of, size_t n_groups)
{
	if (owner_id != NULL && user_id != NULL && strcmp(owner_id, user_id) == 0)
		return presets[AT_LEVEL_OWNER];
	at_rights acc = presets[AT_LEVEL_NONE];
	for (size_t i = 0; i < n_grants; i++) {
		const at_grant *g = &grants[i];
		bool applies = false;
		if (!g->is_group)
			applies = user_id != NULL && strcmp(g->principal_id, user_id) == 0;
		else
			for (size_t j = 0; j < n_groups && !applies; j++)
				applies = strcmp(g->principal_id, member_of[j]) == 0;
		if (applies)
			widen(&acc, &g->rights);
	}
	return acc;
}

bool at_acl_may_see(const at_rights *r) { return r->folder >= AT_FR_SEE || r->admin; }
bool at_acl_may_create(const at_rights *r) { return r->folder >= AT_FR_CREATE; }
bool at_acl_may_create_subfolder(const at_rights *r) { return r->folder >= AT_FR_SUBFOLDERS; }
bool at_acl_may_admin(const at_rights *r) { return r->admin; }
bool at_acl_may_manage_folder(const at_rights *r) { return r->admin; }

static bool allowed(at_obj_right right, bool own, bool private_item)
{
	if (private_item && !own)
		return false;
	return right == AT_OR_ALL || (right == AT_OR_OWN && own);
}

bool at_acl_may_read(const at_rights *r, bool own, bool private_item)
{
	return allowed(r->read, own, private_item);
}

bool at_acl_may_write(const at_rights *r, bool own, bool private_item)
{
	return allowed(r->write, own, private_item);
}

bool at_acl_may_delete(const at_rights *r, bool own, bool private_item)
{
	return allowed(r->del, own, private_item);
}
