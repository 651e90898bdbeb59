/* test_mirror.c — the local files mirror without a server: the store is
 * driven directly (user commands, and item rows put the way the sync
 * engine puts the server's versions), and the vdir files by hand.
 *
 * Write: layout, metadata files, atomic files, nothing rewritten when
 * nothing changed, a server change rewritten, a removed item's file gone,
 * a renamed folder's directory renamed, a removed folder's directory gone,
 * more items than one page.  Scan: an edited file is a local edit of the
 * fields it changed (store changes to other fields stay), a new file a local
 * create, a removed file a local delete, a file that does not parse is
 * reported with its line, left untouched and not overwritten, a field
 * changed on both sides keeps the store's value as a Sync Issue, a file
 * changed after the scan is not overwritten, a missing directory deletes
 * nothing.  Appointments: .ics files both ways; a task, two events in one
 * file or an event the model refuses are reported.  Distribution lists:
 * group cards beside the contacts, members naming the UIDs of the contacts'
 * files both ways (a new list naming a new contact of the same scan too), a
 * contact's file turned into a group refused.  Photos: inline when their
 * bytes are in the blob cache, the file written again once they come,
 * a photo changed or removed in a file taken in, the missing ones
 * downloaded (not while the server is out of reach).  Enable refuses a
 * non-empty directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "blobs.h"
#include "common.h"
#include "mirror.h"
#include "store.h"

typedef struct fixture {
	char dir[64];
	char root[96];
	char path[128];
	ac_store *store;
} fixture;

static void put_folder(fixture *fx, const char *id, const char *name, const char *parent)
{
	at_error err;
	json_t *f = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:{s:s,s:s,s:s,s:s,s:b}}",
			      "id", id, "parentId", parent, "name", name, "displayName", name,
			      "module", "contacts", "type", "private", "ownerId", "u1",
			      "isDefault", parent == NULL && strcmp(name, "Contacts") == 0,
			      "version", (json_int_t)1, "rights", "folder", "subfolders",
			      "read", "all", "write", "all", "delete", "all", "admin", 1);
	assert_int_equal(ac_store_folder_put(fx->store, f, &err), 0);
	json_decref(f);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	at_error err;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/atrium-mirror-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/store.db", fx->dir);
	snprintf(fx->root, sizeof(fx->root), "%s/vdir", fx->dir);
	assert_int_equal(ac_store_open(fx->path, &fx->store, &err), 0);
	put_folder(fx, "fC", "Contacts", NULL);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_store_close(&fx->store);
	ac_remove_tree(fx->dir, &err);
	free(fx);
	return 0;
}

static char *fpath(fixture *fx, const char *rel)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s", fx->root, rel) > 0);
	return p;
}

static char *slurp(fixture *fx, const char *rel)
{
	char *p = fpath(fx, rel), *data = NULL;
	size_t len;
	at_error err;
	int r = ac_read_file(p, 1 << 20, &data, &len, &err);
	free(p);
	return r == 0 ? data : NULL;
}

/* Writes a file as an editor would.  An existing file is rewritten in
 * place (same inode), so a change of the same size is told from the
 * mirror's own write by the mtime alone: wait more than a tick of a coarse
 * file system clock (at most 10 ms) first, or both writes could carry the
 * same mtime and the edit would go unseen on such a kernel. */
static void spit(fixture *fx, const char *rel, const char *text)
{
	char *p = fpath(fx, rel);
	struct stat sb;
	if (stat(p, &sb) == 0)
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static bool exists(fixture *fx, const char *rel)
{
	struct stat sb;
	char *p = fpath(fx, rel);
	bool r = stat(p, &sb) == 0;
	free(p);
	return r;
}

static char *add(fixture *fx, const char *json)
{
	json_t *f = json_loads(json, 0, NULL);
	char id[AC_ID_SIZE];
	at_error err;
	assert_non_null(f);
	assert_int_equal(ac_store_item_add(fx->store, "fC", "contact", f, id, &err), 0);
	json_decref(f);
	return strdup(id);
}

static ac_item *get(fixture *fx, const char *id)
{
	ac_item *it = NULL;
	at_error err;
	assert_int_equal(ac_store_item_get(fx->store, id, &it, &err), 0);
	return it;
}

/* What the engine does with the server's version of an item. */
static void server_put(fixture *fx, const char *id, const char *server_id, const char *patch)
{
	ac_item *it = get(fx, id);
	at_error err;
	if (server_id != NULL)
		snprintf(it->server_id, sizeof(it->server_id), "%s", server_id);
	json_t *p = json_loads(patch, 0, NULL);
	assert_non_null(p);
	json_t *server = json_deep_copy(it->base_fields != NULL ? it->base_fields : it->fields);
	json_object_update(server, p);
	json_decref(p);
	if (it->state == AC_STATE_MODIFIED) {
		/* merged the way the engine merges: the local edits stay */
		json_t *patch2 = ac_item_patch(it);
		json_t *merged = json_deep_copy(server);
		json_object_update(merged, patch2);
		json_decref(patch2);
		json_decref(it->fields);
		it->fields = merged;
	} else {
		json_decref(it->fields);
		it->fields = json_deep_copy(server);
		it->state = AC_STATE_SYNCED;
	}
	json_decref(it->base_fields);
	it->base_fields = server;
	it->version++;
	assert_int_equal(ac_store_item_put(fx->store, it, &err), 0);
	ac_item_free(&it);
}

static void do_write(fixture *fx, ac_mirror_stats *st)
{
	at_error err;
	memset(st, 0, sizeof(*st));
	int r = ac_mirror_write(fx->store, st, NULL, &err);
	if (r < 0)
		fail_msg("write: %s", err.message);
}

/* Scans; what it reports in *report_r (may be NULL). */
static void do_scan(fixture *fx, ac_mirror_stats *st, char **report_r)
{
	at_error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&buf, &len);
	memset(st, 0, sizeof(*st));
	int r = ac_mirror_scan(fx->store, st, rep, &err);
	fclose(rep);
	if (r < 0)
		fail_msg("scan: %s", err.message);
	if (report_r != NULL)
		*report_r = buf;
	else
		free(buf);
}

static void enable(fixture *fx)
{
	ac_mirror_stats st;
	at_error err;
	memset(&st, 0, sizeof(st));
	if (ac_mirror_enable(fx->store, fx->root, &st, NULL, &err) < 0)
		fail_msg("enable: %s", err.message);
}

static char *file_of(fixture *fx, const char *id)
{
	char *rel;
	assert_true(asprintf(&rel, "contacts/Contacts/%s.vcf", id) > 0);
	return rel;
}

static size_t count_files(fixture *fx, const char *reldir, const char *ext)
{
	char *p = fpath(fx, reldir);
	DIR *d = opendir(p);
	size_t n = 0;
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > strlen(ext) && strcmp(de->d_name + l - strlen(ext), ext) == 0)
			n++;
	}
	closedir(d);
	free(p);
	return n;
}

/* ---- write ------------------------------------------------------------------------- */

static void test_write_layout(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	char *root = NULL;
	char *ada = add(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\","
			"\"email1\":\"ada@example.org\"}");
	put_folder(fx, "fK", "Clients", "fC");
	enable(fx);
	assert_int_equal(ac_mirror_root(fx->store, &root, &err), 0);
	assert_non_null(root);
	free(root);

	char *rel = file_of(fx, ada);
	char *vcf = slurp(fx, rel);
	assert_non_null(vcf);
	assert_non_null(strstr(vcf, "BEGIN:VCARD\r\nVERSION:3.0\r\n"));
	assert_non_null(strstr(vcf, "N:Lovelace;Ada;;;\r\n"));
	assert_non_null(strstr(vcf, "EMAIL;TYPE=internet,pref:ada@example.org\r\n"));
	char uid[64];
	snprintf(uid, sizeof(uid), "UID:%s\r\n", ada);  /* its clientId */
	assert_non_null(strstr(vcf, uid));
	free(vcf);
	char *dn = slurp(fx, "contacts/Contacts/displayname");
	assert_string_equal(dn, "Contacts");
	free(dn);
	char *color = slurp(fx, "contacts/Contacts/color");
	assert_int_equal(color[0], '#');
	assert_int_equal(strlen(color), 7);
	free(color);
	/* the subfolder: flat, its path joined by "." */
	dn = slurp(fx, "contacts/Contacts.Clients/displayname");
	assert_string_equal(dn, "Clients");
	free(dn);
	assert_int_equal(count_files(fx, "contacts/Contacts", ".tmp"), 0);

	/* nothing changed: nothing written */
	do_write(fx, &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.removed, 0);
	assert_int_equal(st.folders, 2);

	/* the server's change is rendered again; the user's colour stays */
	spit(fx, "contacts/Contacts/color", "#123456");
	server_put(fx, ada, "s1", "{\"jobTitle\":\"Countess\"}");
	do_write(fx, &st);
	assert_int_equal(st.written, 1);
	vcf = slurp(fx, rel);
	assert_non_null(strstr(vcf, "TITLE:Countess\r\n"));
	free(vcf);
	color = slurp(fx, "contacts/Contacts/color");
	assert_string_equal(color, "#123456");
	free(color);

	/* the item is gone (deleted on the server): so is its file */
	assert_int_equal(ac_store_item_remove(fx->store, ada, &err), 0);
	do_write(fx, &st);
	assert_int_equal(st.removed, 1);
	assert_false(exists(fx, rel));
	free(rel);
	free(ada);
}

static void test_write_folders_follow_tree(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	put_folder(fx, "fK", "Clients", "fC");
	enable(fx);
	json_t *f = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:I}", "id", "fK", "parentId",
			      "fC", "name", "Customers", "displayName", "Customers", "module",
			      "contacts", "type", "private", "ownerId", "u1", "isDefault", 0,
			      "version", (json_int_t)2);
	assert_int_equal(ac_store_folder_put(fx->store, f, &err), 0);
	json_decref(f);
	spit(fx, "contacts/Contacts.Clients/hand.vcf",
	     "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hand Made\r\nN:Made;Hand;;;\r\n"
	     "UID:hand-1\r\nEND:VCARD\r\n");
	do_write(fx, &st);
	assert_false(exists(fx, "contacts/Contacts.Clients"));
	char *dn = slurp(fx, "contacts/Contacts.Customers/displayname");
	assert_string_equal(dn, "Customers");
	free(dn);
	/* the file moved with its directory and is taken in from there */
	assert_true(exists(fx, "contacts/Contacts.Customers/hand.vcf"));
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created, 1);

	/* a folder removed from the store: its directory goes, except files
	 * changed since the mirror last saw them */
	ac_item_list items;
	assert_int_equal(ac_store_items(fx->store, "fK", &items, &err), 0);
	assert_int_equal(items.n, 1);
	ac_item_list_free(&items);
	assert_int_equal(ac_store_folder_remove(fx->store, "fK", &err), 0);
	do_write(fx, &st);
	assert_false(exists(fx, "contacts/Contacts.Customers"));
	assert_true(exists(fx, "contacts/Contacts"));
}

static void test_many_items_paged(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	enum { N = AC_MIRROR_PAGE * 2 + 7 };
	for (int i = 0; i < N; i++) {
		char json[128];
		snprintf(json, sizeof(json), "{\"firstName\":\"P%d\",\"lastName\":\"Person\"}", i);
		free(add(fx, json));
	}
	enable(fx);
	assert_int_equal(count_files(fx, "contacts/Contacts", ".vcf"), N);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created + st.modified + st.deleted + st.bad, 0);
	do_write(fx, &st);
	assert_int_equal(st.written, 0);
}

/* ---- scan -------------------------------------------------------------------------- */

static void test_scan_edit_create_delete(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	char *ada = add(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}");
	char *bob = add(fx, "{\"firstName\":\"Bob\",\"lastName\":\"Builder\"}");
	server_put(fx, ada, "s1", "{}");
	server_put(fx, bob, "s2", "{}");
	enable(fx);
	char *ada_rel = file_of(fx, ada), *bob_rel = file_of(fx, bob);

	/* nothing changed */
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created + st.modified + st.deleted + st.bad, 0);

	/* an edit by hand: the changed field only */
	char *vcf = slurp(fx, ada_rel);
	char *pos = strstr(vcf, "END:VCARD");
	assert_non_null(pos);
	char edited[2048];
	snprintf(edited, sizeof(edited), "%.*sTITLE:Countess\r\nEND:VCARD\r\n",
		 (int)(pos - vcf), vcf);
	free(vcf);
	spit(fx, ada_rel, edited);
	/* a new file, as khard writes one */
	spit(fx, "contacts/Contacts/new-one.vcf",
	     "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:new-one\r\nFN:Grace Hopper\r\n"
	     "N:Hopper;Grace;;;\r\nTEL;TYPE=cell:+1 202 555 0101\r\nEND:VCARD\r\n");
	/* a removed file */
	char *p = fpath(fx, bob_rel);
	assert_int_equal(unlink(p), 0);
	free(p);
	/* files that are not items are not looked at */
	spit(fx, "contacts/Contacts/notes.txt", "hello");
	spit(fx, "contacts/Contacts/.hidden.vcf", "junk");

	do_scan(fx, &st, NULL);
	assert_int_equal(st.modified, 1);
	assert_int_equal(st.created, 1);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(st.bad, 0);

	ac_item *it = get(fx, ada);
	assert_int_equal(it->state, AC_STATE_MODIFIED);
	json_t *patch = ac_item_patch(it);
	/* only the title (and the file's UID, which the item did not hold) */
	assert_string_equal(ac_jstr(patch, "jobTitle"), "Countess");
	assert_null(json_object_get(patch, "firstName"));
	json_decref(patch);
	ac_item_free(&it);
	it = get(fx, bob);
	assert_int_equal(it->state, AC_STATE_DELETED);
	ac_item_free(&it);
	ac_item_list items;
	at_error err;
	assert_int_equal(ac_store_items(fx->store, "fC", &items, &err), 0);
	bool found = false;
	for (size_t i = 0; i < items.n; i++) {
		if (items.v[i]->state == AC_STATE_CREATED) {
			assert_string_equal(ac_jstr(items.v[i]->fields, "lastName"), "Hopper");
			assert_string_equal(ac_jstr(items.v[i]->fields, "phoneMobile"),
					    "+1 202 555 0101");
			found = true;
		}
	}
	ac_item_list_free(&items);
	assert_true(found);

	/* the files show the items as they are: nothing to write, nothing new
	 * on the next scan */
	do_write(fx, &st);
	assert_int_equal(st.written, 0);
	assert_true(exists(fx, "contacts/Contacts/new-one.vcf"));
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created + st.modified + st.deleted + st.bad, 0);
	/* a touch without a change is no edit */
	p = fpath(fx, ada_rel);
	assert_int_equal(utimensat(AT_FDCWD, p, NULL, 0), 0);
	free(p);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.modified, 0);
	free(ada_rel);
	free(bob_rel);
	free(ada);
	free(bob);
}

static void test_scan_bad_file(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	char *ada = add(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}");
	server_put(fx, ada, "s1", "{}");
	enable(fx);
	char *rel = file_of(fx, ada);
	const char *broken = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nTEL;=work:1\r\nEND:VCARD\r\n";
	spit(fx, rel, broken);
	spit(fx, "contacts/Contacts/other.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\n");
	char *rep = NULL;
	do_scan(fx, &st, &rep);
	assert_int_equal(st.bad, 2);
	assert_int_equal(st.modified + st.created + st.deleted, 0);
	/* reported as PATH:LINE: message */
	assert_non_null(strstr(rep, ".vcf:4: TEL: parameter without a name"));
	free(rep);
	ac_item *it = get(fx, ada);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	assert_string_equal(ac_jstr(it->fields, "firstName"), "Ada");
	ac_item_free(&it);

	/* in the status, with the parser's line and message */
	json_t *status = NULL;
	assert_int_equal(ac_mirror_status(fx->store, &status, &err), 0);
	json_t *folders = json_object_get(status, "folders");
	assert_int_equal(json_array_size(folders), 1);
	json_t *bad = json_object_get(json_array_get(folders, 0), "unparsed");
	assert_int_equal(json_array_size(bad), 2);
	bool seen = false;
	for (size_t i = 0; i < 2; i++) {
		json_t *b = json_array_get(bad, i);
		if (strstr(ac_jstr(b, "file"), ada) != NULL) {
			assert_int_equal(json_integer_value(json_object_get(b, "line")), 4);
			assert_string_equal(ac_jstr(b, "message"), "TEL: parameter without a name");
			seen = true;
		}
	}
	assert_true(seen);
	json_decref(status);

	/* reported once per change, not on every scan */
	do_scan(fx, &st, &rep);
	assert_int_equal(st.bad, 0);
	assert_string_equal(rep, "");
	free(rep);

	/* a server change does not overwrite the broken file */
	server_put(fx, ada, NULL, "{\"company\":\"Engines\"}");
	do_write(fx, &st);
	assert_int_equal(st.written, 0);
	char *now = slurp(fx, rel);
	assert_string_equal(now, broken);
	free(now);

	/* fixed: the file's change is applied on top of the server's */
	spit(fx, rel, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nN:Lovelace;Ada;;;\r\n"
	     "NICKNAME:Enchantress\r\nEND:VCARD\r\n");
	do_scan(fx, &st, NULL);
	assert_int_equal(st.modified, 1);
	it = get(fx, ada);
	assert_string_equal(ac_jstr(it->fields, "nickname"), "Enchantress");
	assert_string_equal(ac_jstr(it->fields, "company"), "Engines");
	ac_item_free(&it);
	assert_int_equal(ac_mirror_status(fx->store, &status, &err), 0);
	bad = json_object_get(json_array_get(json_object_get(status, "folders"), 0), "unparsed");
	assert_int_equal(json_array_size(bad), 1);  /* other.vcf still */
	json_decref(status);
	/* and the file is rendered again with the merged item */
	do_write(fx, &st);
	assert_int_equal(st.written, 1);
	now = slurp(fx, rel);
	assert_non_null(strstr(now, "ORG:Engines"));
	assert_non_null(strstr(now, "NICKNAME:Enchantress"));
	free(now);
	free(rel);
	free(ada);
}

static void test_scan_conflicts(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	char *ada = add(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\","
			"\"jobTitle\":\"Countess\"}");
	server_put(fx, ada, "s1", "{}");
	enable(fx);
	char *rel = file_of(fx, ada);

	/* the file is edited while a sync brings the server's change: the
	 * write after the sync leaves the file alone */
	char *vcf = slurp(fx, rel);
	char *t = strstr(vcf, "TITLE:Countess");
	assert_non_null(t);
	char edited[2048];
	snprintf(edited, sizeof(edited), "%.*sTITLE:Queen%sNICKNAME:Enchantress\r\nEND:VCARD\r\n",
		 (int)(t - vcf), vcf, "\r\n");
	free(vcf);
	spit(fx, rel, edited);
	server_put(fx, ada, NULL, "{\"jobTitle\":\"Duchess\",\"company\":\"Engines\"}");
	do_write(fx, &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.kept, 1);
	vcf = slurp(fx, rel);
	assert_string_equal(vcf, edited);
	free(vcf);

	/* the scan: the file's fields win, the store's title is a sync issue,
	 * the store's other change (company) stays */
	char *rep = NULL;
	do_scan(fx, &st, &rep);
	assert_int_equal(st.modified, 1);
	assert_int_equal(st.conflicts, 1);
	assert_non_null(strstr(rep, "sync issue"));
	free(rep);
	ac_item *it = get(fx, ada);
	assert_string_equal(ac_jstr(it->fields, "jobTitle"), "Queen");
	assert_string_equal(ac_jstr(it->fields, "nickname"), "Enchantress");
	assert_string_equal(ac_jstr(it->fields, "company"), "Engines");
	ac_item_free(&it);
	json_t *issues = NULL;
	assert_int_equal(ac_store_issues(fx->store, &issues, &err), 0);
	assert_int_equal(json_array_size(issues), 1);
	json_t *issue = json_array_get(issues, 0);
	assert_string_equal(ac_jstr(issue, "reason"), "conflict");
	assert_string_equal(ac_jstr(json_object_get(issue, "fields"), "jobTitle"), "Duchess");
	assert_string_equal(ac_jstr(json_object_get(issue, "detail"), "source"), "mirror");
	json_decref(issues);
	/* the file gets the merged item */
	do_write(fx, &st);
	assert_int_equal(st.written, 1);
	vcf = slurp(fx, rel);
	assert_non_null(strstr(vcf, "ORG:Engines"));
	assert_non_null(strstr(vcf, "TITLE:Queen"));
	free(vcf);
	free(rel);
	free(ada);
}

static void test_scan_missing_dir_deletes_nothing(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	char *ada = add(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}");
	server_put(fx, ada, "s1", "{}");
	enable(fx);
	char *p = fpath(fx, "contacts/Contacts");
	assert_int_equal(ac_remove_tree(p, &err), 0);
	free(p);
	char *rep = NULL;
	do_scan(fx, &st, &rep);
	assert_int_equal(st.deleted, 0);
	assert_non_null(strstr(rep, "is missing"));
	free(rep);
	ac_item *it = get(fx, ada);
	assert_int_equal(it->state, AC_STATE_SYNCED);
	ac_item_free(&it);
	do_write(fx, &st);
	assert_int_equal(st.written, 1);
	char *rel = file_of(fx, ada);
	assert_true(exists(fx, rel));
	free(rel);

	/* the whole root */
	assert_int_equal(ac_remove_tree(fx->root, &err), 0);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.deleted, 0);
	do_write(fx, &st);
	assert_int_equal(st.written, 1);
	free(ada);
}

static void test_calendar_files(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	json_t *f = json_pack("{s:s,s:n,s:s,s:s,s:s,s:s,s:s,s:b,s:I}", "id", "fE", "parentId",
			      "name", "Calendar", "displayName", "Calendar", "module", "calendar",
			      "type", "private", "ownerId", "u1", "isDefault", 1,
			      "version", (json_int_t)1);
	assert_int_equal(ac_store_folder_put(fx->store, f, &err), 0);
	json_decref(f);
	json_t *fields = json_pack("{s:s,s:s,s:s,s:s}", "subject", "Design review",
				   "start", "2030-03-04T09:00:00Z", "end", "2030-03-04T10:00:00Z",
				   "timeZone", "Europe/Paris");
	char id[AC_ID_SIZE];
	assert_int_equal(ac_store_item_add(fx->store, "fE", "appointment", fields, id, &err), 0);
	json_decref(fields);
	enable(fx);
	char rel[128];
	snprintf(rel, sizeof(rel), "calendar/Calendar/%s.ics", id);
	char *ics = slurp(fx, rel);
	assert_non_null(ics);
	assert_non_null(strstr(ics, "BEGIN:VEVENT\r\n"));
	assert_non_null(strstr(ics, "DTSTART;TZID=Europe/Paris:20300304T100000\r\n"));
	assert_non_null(strstr(ics, "SUMMARY:Design review\r\n"));
	assert_non_null(strstr(ics, "DTSTAMP:"));
	assert_non_null(strstr(ics, "BEGIN:VTIMEZONE\r\n"));

	/* edited by hand: the subject and an hour later */
	char *edited = strdup(ics);
	char *p = strstr(edited, "SUMMARY:Design review");
	memcpy(p, "SUMMARY:Design party ", 21);
	p = strstr(edited, "DTEND;TZID=Europe/Paris:20300304T110000");
	memcpy(p, "DTEND;TZID=Europe/Paris:20300304T113000", 39);
	spit(fx, rel, edited);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.modified, 1);
	ac_item *it = get(fx, id);
	assert_string_equal(ac_jstr(it->fields, "subject"), "Design party ");
	assert_string_equal(ac_jstr(it->fields, "end"), "2030-03-04T10:30:00Z");
	assert_string_equal(ac_jstr(it->fields, "start"), "2030-03-04T09:00:00Z");
	ac_item_free(&it);
	free(edited);

	/* a task, two events, a subject over its limit: reported, not taken */
	spit(fx, "calendar/Calendar/todo.ics",
	     "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t1\r\n"
	     "SUMMARY:Task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");
	spit(fx, "calendar/Calendar/two.ics",
	     "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
	     "BEGIN:VEVENT\r\nUID:e1\r\nDTSTART:20300101T090000Z\r\nSUMMARY:A\r\nEND:VEVENT\r\n"
	     "BEGIN:VEVENT\r\nUID:e2\r\nDTSTART:20300101T090000Z\r\nSUMMARY:B\r\nEND:VEVENT\r\n"
	     "END:VCALENDAR\r\n");
	char longer[1024];
	snprintf(longer, sizeof(longer), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
		 "BEGIN:VEVENT\r\nUID:e3\r\nDTSTART:20300101T090000Z\r\n"
		 "SUMMARY:%0300d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 7);
	spit(fx, "calendar/Calendar/long.ics", longer);
	char *rep = NULL;
	do_scan(fx, &st, &rep);
	assert_int_equal(st.bad, 3);
	assert_int_equal(st.created, 0);
	assert_non_null(strstr(rep, "todo.ics:4: a VTODO where a VEVENT was expected"));
	assert_non_null(strstr(rep, "two.ics:9: a second item"));
	assert_non_null(strstr(rep, "long.ics:4: field subject is too long"));
	free(rep);
	free(ics);
}

/* ---- distribution lists ---------------------------------------------------------- */

/* The item of a folder whose field key has value, or NULL (caller frees). */
static ac_item *find_item(fixture *fx, const char *type, const char *key, const char *value)
{
	ac_item_list items;
	at_error err;
	ac_item *found = NULL;
	assert_int_equal(ac_store_items(fx->store, "fC", &items, &err), 0);
	for (size_t i = 0; i < items.n && found == NULL; i++) {
		const char *v = ac_jstr(items.v[i]->fields, key);
		if (strcmp(items.v[i]->type, type) == 0 && v != NULL && strcmp(v, value) == 0)
			found = get(fx, items.v[i]->local_id);
	}
	ac_item_list_free(&items);
	return found;
}

static void test_lists(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	char *ada = add(fx, "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\","
			    "\"email1\":\"ada@example.org\"}");
	char *charles = add(fx, "{\"firstName\":\"Charles\",\"lastName\":\"Babbage\","
				"\"email1\":\"cb@example.org\"}");
	server_put(fx, ada, "s-ada", "{}");
	server_put(fx, charles, "s-charles", "{}");
	json_t *lf = json_loads("{\"displayName\":\"Engine team\",\"members\":["
				"{\"contactId\":\"s-ada\",\"name\":\"Ada Lovelace\","
				"\"address\":\"ada@example.org\"},"
				"{\"name\":\"Luigi\",\"address\":\"luigi@example.org\"}]}",
				0, NULL);
	char team[AC_ID_SIZE];
	assert_int_equal(ac_store_item_add(fx->store, "fC", "distributionList", lf, team, &err),
			 0);
	json_decref(lf);
	server_put(fx, team, "s-team", "{}");
	enable(fx);

	/* the list is a group card beside the contacts; its contact member names
	 * the UID of Ada's file */
	assert_int_equal(count_files(fx, "contacts/Contacts", ".vcf"), 3);
	char *team_rel = file_of(fx, team);
	char *vcf = slurp(fx, team_rel);
	assert_non_null(vcf);
	assert_non_null(strstr(vcf, "X-ADDRESSBOOKSERVER-KIND:group"));
	assert_non_null(strstr(vcf, "FN:Engine team"));
	char want[128];
	snprintf(want, sizeof(want), ":urn:uuid:%s\r\n", ada);
	assert_non_null(strstr(vcf, want));
	assert_non_null(strstr(vcf, "mailto:luigi@example.org"));
	char *ada_rel = file_of(fx, ada);
	char *ada_vcf = slurp(fx, ada_rel);
	snprintf(want, sizeof(want), "UID:%s\r\n", ada);
	assert_non_null(strstr(ada_vcf, want));
	free(ada_vcf);
	free(ada_rel);

	/* nothing changed: nothing taken in */
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created + st.modified + st.deleted + st.bad, 0);

	/* by hand: Charles joins the team; a new contact and a new list naming
	 * her, written together (the list is read after the contact, whatever
	 * order the directory lists them in) */
	char *pos = strstr(vcf, "END:VCARD");
	char edited[4096];
	snprintf(edited, sizeof(edited),
		 "%.*sX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:%s\r\nEND:VCARD\r\n",
		 (int)(pos - vcf), vcf, charles);
	spit(fx, team_rel, edited);
	spit(fx, "contacts/Contacts/a-club.vcf",
	     "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nUID:club-1\r\nFN:Navy club\r\n"
	     "MEMBER:urn:uuid:grace-1\r\nMEMBER:urn:uuid:nobody-known\r\nEND:VCARD\r\n");
	spit(fx, "contacts/Contacts/z-grace.vcf",
	     "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:grace-1\r\nFN:Grace Hopper\r\n"
	     "N:Hopper;Grace;;;\r\nEMAIL:grace@navy.example\r\nEND:VCARD\r\n");
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created, 2);
	assert_int_equal(st.modified, 1);
	assert_int_equal(st.bad, 0);

	ac_item *it = get(fx, team);
	assert_string_equal(it->type, "distributionList");
	json_t *members = json_object_get(it->fields, "members");
	assert_int_equal(json_array_size(members), 3);
	assert_string_equal(ac_jstr(json_array_get(members, 0), "contactId"), "s-ada");
	assert_string_equal(ac_jstr(json_array_get(members, 1), "address"), "luigi@example.org");
	assert_null(json_object_get(json_array_get(members, 1), "contactId"));
	assert_string_equal(ac_jstr(json_array_get(members, 2), "contactId"), "s-charles");
	ac_item_free(&it);
	ac_item *grace = find_item(fx, "contact", "lastName", "Hopper");
	ac_item *club = find_item(fx, "distributionList", "displayName", "Navy club");
	assert_non_null(grace);
	assert_non_null(club);
	members = json_object_get(club->fields, "members");
	assert_int_equal(json_array_size(members), 1);
	snprintf(want, sizeof(want), "#%s", grace->client_id);
	assert_string_equal(ac_jstr(json_array_get(members, 0), "contactId"), want);
	/* a member naming no known contact is kept as it was written */
	assert_non_null(strstr(ac_jstr(club->fields, "vcardExtra"), "nobody-known"));
	ac_item_free(&club);

	/* the files show the items: nothing to write, nothing new */
	do_write(fx, &st);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created + st.modified + st.deleted + st.bad, 0);

	/* a contact's file turned into a group card: refused, nothing changed */
	char *charles_rel = file_of(fx, charles);
	spit(fx, charles_rel,
	     "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Babbage fans\r\nEND:VCARD\r\n");
	char *report = NULL;
	do_scan(fx, &st, &report);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.modified + st.created + st.deleted, 0);
	assert_non_null(strstr(report, "cannot change its kind"));
	free(report);
	it = get(fx, charles);
	assert_string_equal(it->type, "contact");
	assert_string_equal(ac_jstr(it->fields, "lastName"), "Babbage");
	ac_item_free(&it);

	/* a removed list file is a local delete of the list only */
	char *p = fpath(fx, team_rel);
	assert_int_equal(unlink(p), 0);
	free(p);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.deleted, 1);
	it = get(fx, team);
	assert_int_equal(it->state, AC_STATE_DELETED);
	ac_item_free(&it);
	it = get(fx, ada);
	assert_int_not_equal(it->state, AC_STATE_DELETED);
	ac_item_free(&it);
	ac_item_free(&grace);
	free(vcf);
	free(team_rel);
	free(charles_rel);
	free(ada);
	free(charles);
}

/* ---- photos ------------------------------------------------------------------------ */

/* A 13-byte GIF w x w pixels: the smallest image the photo sniffing takes. */
static void gif(unsigned char out[13], unsigned char w)
{
	memcpy(out, "GIF89a", 6);
	unsigned char rest[7] = {w, 0, w, 0, 0, 0, 0};
	memcpy(out + 6, rest, 7);
}

static char *cache_dir(fixture *fx)
{
	char *c;
	assert_true(asprintf(&c, "%s/blobs", fx->dir) > 0);
	return c;
}

static void cache_gif(fixture *fx, unsigned char w, char id_r[AT_BLOB_ID_SIZE])
{
	unsigned char g[13];
	at_error err;
	gif(g, w);
	char *cache = cache_dir(fx);
	assert_int_equal(ac_blob_import_bytes(cache, g, sizeof(g), id_r, NULL, &err), 0);
	free(cache);
}

static char *add_with_photo(fixture *fx, const char *last, unsigned char w,
			    char id_r[AT_BLOB_ID_SIZE])
{
	unsigned char g[13];
	gif(g, w);
	at_blob_id_of(g, sizeof(g), id_r);
	char json[300];
	snprintf(json, sizeof(json),
		 "{\"lastName\":\"%s\",\"photo\":{\"blobId\":\"%s\",\"type\":\"image/gif\","
		 "\"size\":13}}", last, id_r);
	return add(fx, json);
}

typedef struct fetch_log {
	fixture *fx;
	int calls;
	bool offline;
} fetch_log;

/* The transport's blob_fetch: the photo 4 comes down (or the server is out
 * of reach). */
static int fake_fetch(void *ctx, const char *id, at_error *err)
{
	fetch_log *l = ctx;
	char want[AT_BLOB_ID_SIZE];
	l->calls++;
	if (l->offline)
		return at_error_set(err, AT_E_UNAVAILABLE, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY,
				    NULL, "connection refused");
	cache_gif(l->fx, 4, want);
	assert_string_equal(id, want);
	return 0;
}

static void test_photos(void **state)
{
	fixture *fx = *state;
	ac_mirror_stats st;
	at_error err;
	char id1[AT_BLOB_ID_SIZE], id2[AT_BLOB_ID_SIZE], id3[AT_BLOB_ID_SIZE],
		id4[AT_BLOB_ID_SIZE], got[AT_BLOB_ID_SIZE];
	char *ada = add_with_photo(fx, "Lovelace", 1, id1);
	char *bob = add_with_photo(fx, "Builder", 2, id2);
	server_put(fx, ada, "s1", "{}");
	server_put(fx, bob, "s2", "{}");
	cache_gif(fx, 1, got);
	assert_string_equal(got, id1);
	enable(fx);

	/* Ada's photo is in the cache: inline in her file; Bob's is not */
	char *ada_rel = file_of(fx, ada), *bob_rel = file_of(fx, bob);
	char *vcf = slurp(fx, ada_rel);
	assert_non_null(strstr(vcf, "PHOTO;ENCODING=b;TYPE=GIF:R0lGODlhAQABAAAAAA==\r\n"));
	free(vcf);
	vcf = slurp(fx, bob_rel);
	assert_null(strstr(vcf, "PHOTO"));
	free(vcf);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created + st.modified + st.deleted + st.bad, 0);

	/* Bob's photo comes into the cache: his file is written again with it */
	cache_gif(fx, 2, got);
	do_write(fx, &st);
	assert_int_equal(st.written, 1);
	vcf = slurp(fx, bob_rel);
	assert_non_null(strstr(vcf, "PHOTO;ENCODING=b;TYPE=GIF:R0lGODlhAgACAAAAAA==\r\n"));
	free(vcf);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.created + st.modified + st.deleted + st.bad, 0);

	/* another photo put into Ada's file, and Bob's photo line removed */
	vcf = slurp(fx, ada_rel);
	char *pos = strstr(vcf, "R0lGODlhAQABAAAAAA==");
	memcpy(pos, "R0lGODlhAwADAAAAAA==", 20);
	spit(fx, ada_rel, vcf);
	free(vcf);
	vcf = slurp(fx, bob_rel);
	pos = strstr(vcf, "PHOTO;");
	char *eol = strstr(pos, "\r\n");
	memmove(pos, eol + 2, strlen(eol + 2) + 1);
	spit(fx, bob_rel, vcf);
	free(vcf);
	do_scan(fx, &st, NULL);
	assert_int_equal(st.modified, 2);
	assert_int_equal(st.bad, 0);
	unsigned char g3[13];
	gif(g3, 3);
	at_blob_id_of(g3, sizeof(g3), id3);
	ac_item *it = get(fx, ada);
	json_t *photo = json_object_get(it->fields, "photo");
	assert_string_equal(ac_jstr(photo, "blobId"), id3);
	assert_string_equal(ac_jstr(photo, "type"), "image/gif");
	/* its bytes are in the cache, for the sync to upload; no PHOTO left
	 * in vcardExtra */
	char *cache = cache_dir(fx);
	assert_true(ac_blob_cached(cache, id3));
	assert_null(strstr(ac_jstr(it->fields, "vcardExtra") ? ac_jstr(it->fields, "vcardExtra")
							      : "",
			   "PHOTO"));
	ac_item_free(&it);
	it = get(fx, bob);
	assert_null(json_object_get(it->fields, "photo"));
	ac_item_free(&it);

	/* photos missing from the cache are downloaded for the files: none
	 * while the server is out of reach, then the one missing */
	char *cy = add_with_photo(fx, "Cyrus", 4, id4);
	server_put(fx, cy, "s3", "{}");
	fetch_log log = {fx, 0, true};
	size_t fetched = 9;
	assert_int_equal(ac_mirror_fetch_photos(fx->store, fake_fetch, &log, &fetched, &err), 0);
	assert_int_equal(fetched, 0);
	assert_int_equal(log.calls, 1);
	assert_false(ac_blob_cached(cache, id4));
	log.offline = false;
	assert_int_equal(ac_mirror_fetch_photos(fx->store, fake_fetch, &log, &fetched, &err), 0);
	assert_int_equal(fetched, 1);
	assert_true(ac_blob_cached(cache, id4));
	/* nothing more to fetch */
	assert_int_equal(ac_mirror_fetch_photos(fx->store, fake_fetch, &log, &fetched, &err), 0);
	assert_int_equal(fetched, 0);
	assert_int_equal(log.calls, 2);
	do_write(fx, &st);
	char *cy_rel = file_of(fx, cy);
	vcf = slurp(fx, cy_rel);
	assert_non_null(strstr(vcf, "PHOTO;ENCODING=b;TYPE=GIF:R0lGODlhBAAEAAAAAA==\r\n"));
	free(vcf);
	free(cy_rel);
	free(cy);
	free(cache);
	free(ada_rel);
	free(bob_rel);
	free(ada);
	free(bob);
}

static void test_enable_disable(void **state)
{
	fixture *fx = *state;
	at_error err;
	ac_mirror_stats st;
	char *root = NULL;
	/* off: scan and write do nothing */
	do_scan(fx, &st, NULL);
	do_write(fx, &st);
	assert_false(exists(fx, ""));
	/* a directory with files in it is refused */
	assert_int_equal(ac_mkdir_p(fx->root, 0700, &err), 0);
	spit(fx, "x.vcf", "BEGIN:VCARD\r\n");
	memset(&st, 0, sizeof(st));
	assert_int_equal(ac_mirror_enable(fx->store, fx->root, &st, NULL, &err), -1);
	assert_non_null(strstr(err.message, "not empty"));
	assert_int_equal(ac_mirror_root(fx->store, &root, &err), 0);
	assert_null(root);
	char *p = fpath(fx, "x.vcf");
	unlink(p);
	free(p);
	enable(fx);
	/* on at another directory: refused */
	assert_int_equal(ac_mirror_enable(fx->store, fx->dir, &st, NULL, &err), -1);
	assert_int_equal(ac_mirror_disable(fx->store, &err), 0);
	assert_int_equal(ac_mirror_root(fx->store, &root, &err), 0);
	assert_null(root);
	json_t *status = NULL;
	assert_int_equal(ac_mirror_status(fx->store, &status, &err), 0);
	assert_false(json_is_true(json_object_get(status, "enabled")));
	json_decref(status);
	/* the files stay */
	assert_true(exists(fx, "contacts/Contacts/displayname"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_folders_follow_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_items_paged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_edit_create_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_bad_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_missing_dir_deletes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_calendar_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_photos, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_disable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
