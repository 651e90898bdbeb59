/* tree.c — see tree.h. */
#include "tree.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

#define PUBLIC_ROOT "Public"
#define EN_DASH "\xe2\x80\x93"

const char *ac_branch_name(ac_branch b)
{
	return b == AC_BRANCH_SHARED ? "shared" : b == AC_BRANCH_PUBLIC ? "public" : "private";
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		abort();
	return p;
}

/* --- paths ------------------------------------------------------------------ */

void ac_path_free(char **labels, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
}

int ac_path_parse(const char *path, char ***labels_r, size_t *n_r, at_error *err)
{
	size_t len = strlen(path), n = 0;
	char **labels = xcalloc(len + 1, sizeof(*labels));
	char *cur = xcalloc(len + 1, 1);
	size_t k = 0;
	const char *p = path;
	*labels_r = NULL;
	*n_r = 0;
	if (*p == '/')
		p++;
	if (*p == '\0')
		goto bad;
	for (;; p++) {
		if (*p == '\\') {
			if (p[1] != '/' && p[1] != '\\')
				goto bad;
			cur[k++] = *++p;
			continue;
		}
		if (*p == '/' || *p == '\0') {
			if (k == 0)
				goto bad;
			cur[k] = '\0';
			labels[n++] = xstrdup(cur);
			k = 0;
			if (*p == '\0')
				break;
			continue;
		}
		cur[k++] = *p;
	}
	free(cur);
	*labels_r = labels;
	*n_r = n;
	return 0;
bad:
	free(cur);
	ac_path_free(labels, n);
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "path",
			    "\"%.200s\" is not a folder path: names separated by \"/\" "
			    "(\"\\/\" for a slash inside a name, \"\\\\\" for a backslash)", path);
}

char *ac_path_escape(const char *label)
{
	size_t n = 0;
	for (const char *p = label; *p != '\0'; p++)
		n += (*p == '/' || *p == '\\') ? 2 : 1;
	char *out = xcalloc(n + 1, 1), *o = out;
	for (const char *p = label; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* --- building ------------------------------------------------------------------ */

typedef struct raw {
	const char *id, *parent_id, *label;
	json_t *json;
	ac_branch branch;
	int parent;
	bool placed;
} raw;

static int cmp_label(const raw *a, const raw *b)
{
	if (a->branch != b->branch)
		return (int)a->branch - (int)b->branch;
	int c = strcasecmp(a->label, b->label);
	if (c == 0)
		c = strcmp(a->label, b->label);
	return c != 0 ? c : strcmp(a->id, b->id);
}

/* Children of parent (-1: roots) in label order, appended to order. */
static void place(raw *r, size_t n, int parent, int depth, int *order, size_t *n_order,
		  int *depths)
{
	for (;;) {
		int best = -1;
		for (size_t i = 0; i < n; i++)
			if (!r[i].placed && r[i].parent == parent &&
			    (best < 0 || cmp_label(&r[i], &r[best]) < 0))
				best = (int)i;
		if (best < 0)
			return;
		r[best].placed = true;
		depths[*n_order] = depth;
		order[(*n_order)++] = best;
		place(r, n, best, depth + 1, order, n_order, depths);
	}
}

int ac_tree_build(const ac_folder_list *folders, ac_tree *tree_r, at_error *err)
{
	size_t n = folders->n;
	raw *r = xcalloc(n, sizeof(*r));
	(void)err;
	for (size_t i = 0; i < n; i++) {
		json_t *j = folders->v[i].json;
		const char *type = ac_jstr(j, "type");
		r[i].id = folders->v[i].id;
		r[i].json = j;
		r[i].parent_id = ac_jstr(j, "parentId");
		r[i].branch = type != NULL && strcmp(type, "shared") == 0 ? AC_BRANCH_SHARED
			    : type != NULL && strcmp(type, "public") == 0 ? AC_BRANCH_PUBLIC
			    : AC_BRANCH_PRIVATE;
		r[i].parent = -1;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; r[i].parent_id != NULL && k < n; k++)
			if (k != i && strcmp(r[k].id, r[i].parent_id) == 0 &&
			    r[k].branch == r[i].branch)
				r[i].parent = (int)k;
	}
	/* a damaged tree (a parent cycle) must not hide folders: a folder whose
	 * chain of parents does not end within n steps becomes a root */
	for (size_t i = 0; i < n; i++) {
		int p = r[i].parent;
		size_t steps = 0;
		while (p >= 0 && steps <= n) {
			p = r[p].parent;
			steps++;
		}
		if (steps > n)
			r[i].parent = -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = ac_jstr(r[i].json, "name");
		const char *display = ac_jstr(r[i].json, "displayName");
		if (name == NULL)
			name = r[i].id;
		r[i].label = r[i].branch == AC_BRANCH_SHARED && r[i].parent < 0 && display != NULL
			   ? display : name;
	}
	int *order = xcalloc(n, sizeof(int)), *depths = xcalloc(n, sizeof(int));
	int *index_of = xcalloc(n, sizeof(int));
	size_t n_order = 0;
	place(r, n, -1, 0, order, &n_order, depths);
	/* whatever a cycle left unplaced: as roots */
	for (size_t i = 0; i < n; i++)
		if (!r[i].placed) {
			r[i].parent = -1;
			place(r, n, -1, 0, order, &n_order, depths);
		}
	ac_tree_node *v = xcalloc(n, sizeof(*v));
	for (size_t k = 0; k < n_order; k++)
		index_of[order[k]] = (int)k;
	for (size_t k = 0; k < n_order; k++) {
		raw *x = &r[order[k]];
		ac_tree_node *node = &v[k];
		node->id = x->id;
		node->json = x->json;
		node->branch = x->branch;
		node->label = x->label;
		node->parent = x->parent >= 0 ? index_of[x->parent] : -1;
		node->depth = depths[k];
		char *esc = ac_path_escape(x->label);
		if (node->parent >= 0) {
			const char *pp = v[node->parent].path;
			node->path = xcalloc(strlen(pp) + strlen(esc) + 2, 1);
			strcpy(node->path, pp);
			strcat(node->path, "/");
			strcat(node->path, esc);
			free(esc);
		} else if (x->branch == AC_BRANCH_PUBLIC) {
			node->path = xcalloc(strlen(esc) + sizeof(PUBLIC_ROOT) + 1, 1);
			strcpy(node->path, PUBLIC_ROOT "/");
			strcat(node->path, esc);
			free(esc);
		} else {
			node->path = esc;
		}
	}
	free(order);
	free(depths);
	free(index_of);
	free(r);
	tree_r->v = v;
	tree_r->n = n_order;
	return 0;
}

void ac_tree_free(ac_tree *tree)
{
	if (tree == NULL)
		return;
	for (size_t i = 0; i < tree->n; i++)
		free(tree->v[i].path);
	free(tree->v);
	tree->v = NULL;
	tree->n = 0;
}

/* --- finding ----------------------------------------------------------------------- */

/* typed with every " - " read as " – " (malloc'ed) */
static char *dash_normalised(const char *typed)
{
	size_t n = strlen(typed);
	char *out = xcalloc(n * 2 + 1, 1), *o = out;
	for (const char *p = typed; *p != '\0'; p++) {
		if (p[0] == ' ' && p[1] == '-' && p[2] == ' ') {
			memcpy(o, " " EN_DASH " ", 5);
			o += 5;
			p += 2;
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static bool label_matches(const ac_tree_node *node, const char *typed)
{
	if (strcmp(node->label, typed) == 0)
		return true;
	if (node->branch != AC_BRANCH_SHARED || node->parent >= 0)
		return false;
	char *norm = dash_normalised(typed);
	bool eq = strcmp(node->label, norm) == 0;
	free(norm);
	return eq;
}

static int ambiguous(const ac_tree *t, const int *hits, size_t n_hits, const char *ref,
		     at_error *err)
{
	char ids[256] = "";
	for (size_t i = 0; i < n_hits && strlen(ids) + AC_ID_SIZE + 3 < sizeof(ids); i++) {
		if (i > 0)
			strcat(ids, ", ");
		strcat(ids, t->v[hits[i]].id);
	}
	return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
			    "folder", "\"%.100s\" names several folders (%s): give the folder id",
			    ref, ids);
}

/* Nodes the labels lead to, into hits (room for t->n). */
static size_t walk(const ac_tree *t, char **labels, size_t n, int *hits)
{
	size_t n_hits = 0, first = 0;
	bool public_branch = strcmp(labels[0], PUBLIC_ROOT) == 0;
	if (public_branch)
		first = 1;
	if (first >= n)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		const ac_tree_node *node = &t->v[i];
		if (node->parent >= 0 || (node->branch == AC_BRANCH_PUBLIC) != public_branch)
			continue;
		if (label_matches(node, labels[first]))
			hits[n_hits++] = (int)i;
	}
	for (size_t l = first + 1; l < n && n_hits > 0; l++) {
		size_t next = 0;
		int *found = xcalloc(t->n, sizeof(int));
		for (size_t i = 0; i < t->n; i++) {
			for (size_t h = 0; h < n_hits; h++)
				if (t->v[i].parent == hits[h] && strcmp(t->v[i].label, labels[l]) == 0)
					found[next++] = (int)i;
		}
		memcpy(hits, found, next * sizeof(int));
		free(found);
		n_hits = next;
	}
	return n_hits;
}

static int find_labels(const ac_tree *t, char **labels, size_t n, const char *ref,
		       bool plain_name_ok, int *index_r, at_error *err)
{
	int *hits = xcalloc(t->n, sizeof(int));
	size_t n_hits = walk(t, labels, n, hits);
	int ret;
	if (n_hits == 0 && plain_name_ok && n == 1) {
		/* the older --folder NAME: a name or display name anywhere */
		for (size_t i = 0; i < t->n; i++) {
			const char *name = ac_jstr(t->v[i].json, "name");
			const char *dn = ac_jstr(t->v[i].json, "displayName");
			if ((name != NULL && strcmp(name, labels[0]) == 0) ||
			    (dn != NULL && strcmp(dn, labels[0]) == 0))
				hits[n_hits++] = (int)i;
		}
	}
	if (n_hits == 1) {
		*index_r = hits[0];
		ret = 0;
	} else if (n_hits > 1) {
		ret = ambiguous(t, hits, n_hits, ref, err);
	} else if (n == 1 && strcmp(labels[0], PUBLIC_ROOT) == 0) {
		ret = at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "folder",
				   "\"Public\" is the top of the public folders, not a folder: "
				   "name one below it (Public/NAME)");
	} else {
		ret = at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_FOLDER, AT_RETRY_FINAL, "folder",
				   "no folder \"%.200s\" (see \"atrium folders\"; run \"atrium "
				   "sync\" to learn the folder tree)", ref);
	}
	free(hits);
	return ret;
}

int ac_tree_find(const ac_tree *t, const char *ref, int *index_r, at_error *err)
{
	char **labels;
	size_t n;
	*index_r = -1;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].id, ref) == 0) {
			*index_r = (int)i;
			return 0;
		}
	if (ac_path_parse(ref, &labels, &n, err) < 0)
		return -1;
	int ret = find_labels(t, labels, n, ref, strchr(ref, '/') == NULL, index_r, err);
	ac_path_free(labels, n);
	return ret;
}

int ac_tree_locate_new(const ac_tree *t, const char *path, int *parent_r, bool *public_r,
		       char **name_r, at_error *err)
{
	char **labels;
	size_t n;
	int ret = 0;
	*parent_r = -1;
	*public_r = false;
	*name_r = NULL;
	if (ac_path_parse(path, &labels, &n, err) < 0)
		return -1;
	bool public_top = strcmp(labels[0], PUBLIC_ROOT) == 0;
	if (n == 1 && public_top) {
		ret = at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				   "path", "\"Public\" is the top of the public folders: give "
				   "Public/NAME");
	} else if (n == 1) {
		*name_r = xstrdup(labels[0]);
	} else if (n == 2 && public_top) {
		*public_r = true;
		*name_r = xstrdup(labels[1]);
	} else {
		/* the parent's path, for messages */
		size_t len = 1;
		for (size_t i = 0; i + 1 < n; i++)
			len += strlen(labels[i]) * 2 + 1;
		char *parent = xcalloc(len, 1);
		for (size_t i = 0; i + 1 < n; i++) {
			char *esc = ac_path_escape(labels[i]);
			if (i > 0)
				strcat(parent, "/");
			strcat(parent, esc);
			free(esc);
		}
		ret = find_labels(t, labels, n - 1, parent, false, parent_r, err);
		free(parent);
		if (ret == 0)
			*name_r = xstrdup(labels[n - 1]);
	}
	ac_path_free(labels, n);
	return ret;
}
