/* tree.h — the user's folder tree as the connector shows it, and folder
 * paths.
 *
 * The tree is built from the folders of the local store (the server's folder
 * objects as of the last sync), in three branches: private (the user's own
 * folders), shared (other users' folders granted to the user) and public.
 * A folder whose parent is not in the tree (a shared or public subfolder
 * whose parent the user cannot see) is a root of its branch.  A shared root
 * is labelled with the server's displayName, "Owner Name – Folder"; every
 * other folder with its name.
 *
 * A PATH names a folder by the labels from the root of its branch down,
 * separated by "/":
 *
 *   Contacts/Clients              a private folder: from the top of your tree
 *   Alice Martin – Contacts/Team  a shared one: the root's label, then names
 *   Public/Projects/Alpha         a public one: "Public", then names
 *
 * Inside a label "\/" stands for "/" and "\\" for "\".  A leading "/" is
 * ignored.  In a shared root's label " - " may be typed for " – ".  The first
 * label "Public" always means the public branch (a private top-level folder
 * named Public is reached by its id).  A folder id is accepted wherever a
 * PATH is, and so is the plain name of a folder when exactly one folder has
 * it (the older --folder NAME).
 *
 * Ownership: a tree owns its nodes and paths; node json is borrowed from the
 * folder list it was built from, which must outlive it. */
#ifndef AC_TREE_H
#define AC_TREE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "store.h"

typedef enum ac_branch {
	AC_BRANCH_PRIVATE = 0,
	AC_BRANCH_SHARED,
	AC_BRANCH_PUBLIC,
} ac_branch;

typedef struct ac_tree_node {
	const char *id;
	json_t *json;       /* the server's folder object (borrowed) */
	ac_branch branch;
	const char *label;  /* name, or displayName for a shared root */
	int parent;         /* index in the tree, -1 for a root */
	int depth;          /* 0 for a root */
	char *path;         /* full PATH, labels escaped */
} ac_tree_node;

typedef struct ac_tree {
	ac_tree_node *v;    /* display order: by branch, then depth first by label */
	size_t n;
} ac_tree;

const char *ac_branch_name(ac_branch b);   /* "private", "shared", "public" */

int ac_tree_build(const ac_folder_list *folders, ac_tree *tree_r, at_error *err);
void ac_tree_free(ac_tree *tree);

/* Splits a PATH into its labels (escapes resolved; malloc'ed array of
 * malloc'ed strings, free with ac_path_free).  invalidArguments for an
 * empty PATH, an empty label or a dangling backslash. */
int ac_path_parse(const char *path, char ***labels_r, size_t *n_r, at_error *err);
void ac_path_free(char **labels, size_t n);
/* Escapes "/" and "\" of a label; malloc'ed. */
char *ac_path_escape(const char *label);

/* The index of the folder ref (an id or a PATH) names; notFound when none
 * does, invalidArguments when several do. */
int ac_tree_find(const ac_tree *tree, const char *ref, int *index_r, at_error *err);

/* Where a new folder PATH goes: *parent_r the index of its parent, or -1
 * for the top of the private tree (*public_r false) or of the public tree
 * ("Public/NAME": *public_r true); *name_r its name (malloc'ed). */
int ac_tree_locate_new(const ac_tree *tree, const char *path, int *parent_r, bool *public_r,
		       char **name_r, at_error *err);

#endif
