/* acl.h — folder rights and the one place that decides access.
 *
 * A right set is the manual's four rights plus the admin flag (DESIGN §3,
 * manual Table 5.1).  The nine named levels are presets of these; any other
 * combination is "custom".  at_acl_effective() computes what a user may do in
 * a folder from the folder's owner and its grants; the at_acl_may_*()
 * predicates answer every access question the server asks.  Nothing else in
 * the tree re-implements a permission check. */
#ifndef AT_ACL_H
#define AT_ACL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum at_folder_right {
	AT_FR_NONE = 0,
	AT_FR_SEE,
	AT_FR_CREATE,      /* see + create objects */
	AT_FR_SUBFOLDERS,  /* see + create objects + create subfolders */
} at_folder_right;

typedef enum at_obj_right {
	AT_OR_NONE = 0,
	AT_OR_OWN,
	AT_OR_ALL,
} at_obj_right;

typedef struct at_rights {
	at_folder_right folder;
	at_obj_right read, write, del;
	bool admin;
} at_rights;

typedef enum at_level {
	AT_LEVEL_NONE = 0,
	AT_LEVEL_CONTRIBUTOR,
	AT_LEVEL_REVIEWER,
	AT_LEVEL_NONEDITING_AUTHOR,
	AT_LEVEL_AUTHOR,
	AT_LEVEL_PUBLISHING_AUTHOR,
	AT_LEVEL_EDITOR,
	AT_LEVEL_PUBLISHING_EDITOR,
	AT_LEVEL_OWNER,
	AT_LEVEL_CUSTOM,
} at_level;

at_rights at_level_rights(at_level level);
/* AT_LEVEL_CUSTOM when the rights match no preset. */
at_level at_rights_level(const at_rights *r);
const char *at_level_name(at_level level);

json_t *at_rights_to_json(const at_rights *r);
int at_rights_from_json(json_t *o, at_rights *r_r);

/* A grant on a folder: to a user, or to a group the user is a member of. */
typedef struct at_grant {
	const char *principal_id;
	bool is_group;
	at_rights rights;
} at_grant;

/* Effective rights of user_id on a folder owned by owner_id (NULL for public
 * folders).  member_of: ids of the groups the user belongs to.  The owner of a
 * private folder holds Owner rights; otherwise the strongest matching grant
 * wins, right by right. */
at_rights at_acl_effective(const char *user_id, const char *owner_id,
			   const at_grant *grants, size_t n_grants,
			   const char *const *member_of, size_t n_groups);

bool at_acl_may_see(const at_rights *r);
bool at_acl_may_create(const at_rights *r);
bool at_acl_may_create_subfolder(const at_rights *r);
/* own: the item was created by the asking user. private_item: the item is
 * flagged private (visible only to its creator, whatever the rights). */
bool at_acl_may_read(const at_rights *r, bool own, bool private_item);
bool at_acl_may_write(const at_rights *r, bool own, bool private_item);
bool at_acl_may_delete(const at_rights *r, bool own, bool private_item);
bool at_acl_may_admin(const at_rights *r);
/* Renaming, moving and deleting a folder, like changing its permissions,
 * are for its admins (a private folder's owner is always one). */
bool at_acl_may_manage_folder(const at_rights *r);

#endif
