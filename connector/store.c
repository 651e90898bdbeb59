/* store.c — see store.h. */
#include "store.h"
#include "faults.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "log.h"

#define N_CACHED 48

struct ac_store {
	sqlite3 *db;
	char *path;
	int depth;     /* nesting of ac_store_begin() */
	bool failed;   /* an inner level rolled back */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[N_CACHED];
};

static const char *const state_names[] = {"synced", "created", "modified", "deleted"};

static const char schema_v1[] =
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL);"
	"CREATE TABLE folders ("
	"  id TEXT PRIMARY KEY,"
	"  json TEXT NOT NULL,"
	"  token TEXT,"
	"  more INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT);"
	"CREATE TABLE items ("
	"  local_id TEXT PRIMARY KEY,"
	"  server_id TEXT UNIQUE,"
	"  client_id TEXT,"
	"  folder_id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  version INTEGER NOT NULL DEFAULT 0,"
	"  fields TEXT NOT NULL,"
	"  base_fields TEXT,"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('synced', 'created', 'modified', 'deleted')),"
	"  error TEXT,"
	"  error_retry INTEGER NOT NULL DEFAULT 0,"
	"  error_run INTEGER NOT NULL DEFAULT 0,"
	"  rev INTEGER NOT NULL DEFAULT 0,"
	"  sent INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX items_folder ON items (folder_id, state);"
	"CREATE INDEX items_client ON items (client_id);"
	"CREATE TABLE sync_issues ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  local_id TEXT,"
	"  server_id TEXT,"
	"  folder_id TEXT,"
	"  type TEXT,"
	"  fields TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  detail TEXT,"
	"  created TEXT NOT NULL);";

/* Version 2: the bookkeeping of the local files mirror (mirror.h owns these
 * tables): one row per mirrored folder (its directory) and one per file
 * (the item it holds and what was last written or read there). */
static const char schema_v2[] =
	"CREATE TABLE mirror_folders ("
	"  folder_id TEXT PRIMARY KEY,"
	"  dir TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  last_scan TEXT);"
	"CREATE TABLE mirror_files ("
	"  folder_id TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  local_id TEXT,"
	"  item_hash TEXT,"
	"  mtime_ns INTEGER NOT NULL DEFAULT 0,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  ino INTEGER NOT NULL DEFAULT 0,"
	"  file_hash TEXT NOT NULL DEFAULT '',"
	"  base TEXT,"
	"  error TEXT,"
	"  error_line INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (folder_id, name));"
	"CREATE INDEX mirror_files_item ON mirror_files (local_id);";

/* Version 3: an item's pending change may go with ignoreConflicts
 * (ac_item.ignore_conflicts). */
static const char schema_v3[] =
	"ALTER TABLE items ADD COLUMN ignore_conflicts INTEGER NOT NULL DEFAULT 0;";

#define ITEM_COLS "local_id, server_id, client_id, folder_id, type, version, fields, " \
	"base_fields, state, error, error_retry, error_run, rev, sent, ignore_conflicts"

static int db_error(ac_store *s, at_error *err, const char *what)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_TEMPORARY, NULL,
			    "local store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* A prepared statement for a SQL text (a string literal: cached by address),
 * reset and ready for binding. */
static sqlite3_stmt *stmt(ac_store *s, const char *sql, at_error *err)
{
	size_t i;
	for (i = 0; i < N_CACHED && s->cache[i].sql != NULL; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].st);
			sqlite3_clear_bindings(s->cache[i].st);
			return s->cache[i].st;
		}
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(s, err, "prepare");
		return NULL;
	}
	if (i < N_CACHED) {
		s->cache[i].sql = sql;
		s->cache[i].st = st;
	} else {
		/* cache full: should not happen, the SQL texts are a fixed set */
		at_warn("store", "statement cache full");
		s->cache[N_CACHED - 1].sql = NULL;
		sqlite3_finalize(s->cache[N_CACHED - 1].st);
		s->cache[N_CACHED - 1].sql = sql;
		s->cache[N_CACHED - 1].st = st;
	}
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Binds the compact JSON text of v (NULL for NULL). */
static void bind_json(sqlite3_stmt *st, int i, json_t *v)
{
	if (v == NULL) {
		sqlite3_bind_null(st, i);
		return;
	}
	char *text = ac_json_dump(v);
	sqlite3_bind_text(st, i, text, -1, free);
}

/* Steps a statement expecting no row. */
static int exec_stmt(ac_store *s, sqlite3_stmt *st, at_error *err)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(s, err, "write");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static int exec_sql(ac_store *s, const char *sql, at_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_TEMPORARY, NULL,
			     "local store %s: %s", s->path, msg != NULL ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static json_t *column_json(sqlite3_stmt *st, int col)
{
	const char *text = (const char *)sqlite3_column_text(st, col);
	if (text == NULL)
		return NULL;
	size_t len = (size_t)sqlite3_column_bytes(st, col);
	if (len > AC_STORE_JSON_MAX)
		return NULL;
	return json_loadb(text, len, JSON_DECODE_ANY, NULL);
}

static void column_copy(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const char *text = (const char *)sqlite3_column_text(st, col);
	snprintf(buf, size, "%s", text != NULL ? text : "");
}

static int migrate(ac_store *s, at_error *err)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_error(s, err, "read schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == AC_STORE_SCHEMA_VERSION)
		return 0;
	if (version > AC_STORE_SCHEMA_VERSION)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "local store %s has schema version %d, newer than this "
				    "program's %d", s->path, version,
				    AC_STORE_SCHEMA_VERSION);
	if (exec_sql(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	/* re-read under the lock: another process may have migrated meanwhile */
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		exec_sql(s, "ROLLBACK", err);
		return db_error(s, err, "read schema version");
	}
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (version == 0 && exec_sql(s, schema_v1, err) < 0)
		goto fail;
	if (version < 2 && exec_sql(s, schema_v2, err) < 0)
		goto fail;
	if (version < 3 && exec_sql(s, schema_v3, err) < 0)
		goto fail;
	/* later versions: if (version < 3) ALTER ...; */
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", AC_STORE_SCHEMA_VERSION);
	if (exec_sql(s, pragma, err) < 0)
		goto fail;
	return exec_sql(s, "COMMIT", err);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

void ac_store_hash_hex(const void *data, size_t len, char hex_r[AC_STORE_HASH_SIZE])
{
	unsigned char h[16];
	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	sodium_bin2hex(hex_r, AC_STORE_HASH_SIZE, h, sizeof(h));
}

/* SQL ac_hash(v, ...): ac_store_hash_hex() of the arguments' text, each
 * preceded by its length (NULL: -1), so ("ab", "c") and ("a", "bc") differ. */
static void sql_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	crypto_generichash_state st;
	unsigned char h[16];
	char hex[AC_STORE_HASH_SIZE];
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (int i = 0; i < argc; i++) {
		const unsigned char *t = sqlite3_value_text(argv[i]);
		long long n = t != NULL ? sqlite3_value_bytes(argv[i]) : -1;
		crypto_generichash_update(&st, (const unsigned char *)&n, sizeof(n));
		if (t != NULL)
			crypto_generichash_update(&st, t, (unsigned long long)n);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	sqlite3_result_text(ctx, hex, -1, SQLITE_TRANSIENT);
}

struct sqlite3 *ac_store_db(ac_store *s)
{
	return s->db;
}

int ac_store_open(const char *path, ac_store **store_r, at_error *err)
{
	int ret = -1;
	ac_store *s = calloc(1, sizeof(*s));
	*store_r = NULL;
	if (s == NULL)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "out of memory");
	s->path = strdup(path);
	if (s->path == NULL) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
			     "out of memory");
		goto done;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_error(s, err, "open");
		goto done;
	}
	sqlite3_busy_timeout(s->db, 30000);
	sqlite3_extended_result_codes(s->db, 1);
	if (exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		     " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;", err) < 0)
		goto done;
	if (sqlite3_create_function(s->db, "ac_hash", -1,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				    sql_hash, NULL, NULL) != SQLITE_OK) {
		db_error(s, err, "register ac_hash");
		goto done;
	}
	if (migrate(s, err) < 0)
		goto done;
	*store_r = s;
	s = NULL;
	ret = 0;
done:
	ac_store_close(&s);
	return ret;
}

void ac_store_close(ac_store **store)
{
	ac_store *s = store != NULL ? *store : NULL;
	if (s == NULL)
		return;
	for (size_t i = 0; i < N_CACHED; i++)
		if (s->cache[i].st != NULL)
			sqlite3_finalize(s->cache[i].st);
	if (s->db != NULL) {
		if (s->depth > 0)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	free(s->path);
	free(s);
	*store = NULL;
}

int ac_store_begin(ac_store *s, at_error *err)
{
	if (s->depth == 0) {
		if (exec_sql(s, "BEGIN IMMEDIATE", err) < 0)
			return -1;
		s->failed = false;
	}
	s->depth++;
	return 0;
}

int ac_store_commit(ac_store *s, at_error *err)
{
	if (s->depth <= 0)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "local store: commit without a transaction");
	if (--s->depth > 0)
		return 0;
	if (s->failed) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_TEMPORARY,
				    NULL, "local store: the transaction was rolled back");
	}
	if (exec_sql(s, "COMMIT", err) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	ac_fault_point("store commit");
	return 0;
}

void ac_store_rollback(ac_store *s)
{
	if (s->depth <= 0)
		return;
	if (--s->depth > 0) {
		s->failed = true;
		return;
	}
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int ac_store_meta_get(ac_store *s, const char *key, char **value_r, at_error *err)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	*value_r = NULL;
	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value_r = strdup((const char *)sqlite3_column_text(st, 0));
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return db_error(s, err, "read");
	}
	sqlite3_reset(st);
	return 0;
}

int ac_store_meta_set(ac_store *s, const char *key, const char *value, at_error *err)
{
	static const char del[] = "DELETE FROM meta WHERE key = ?";
	static const char put[] = "INSERT INTO meta (key, value) VALUES (?, ?)"
				  " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *st = stmt(s, value == NULL ? del : put, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	if (value != NULL)
		bind_text(st, 2, value);
	return exec_stmt(s, st, err);
}

/* --- folders ---------------------------------------------------------------- */

void ac_folder_list_free(ac_folder_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		json_decref(list->v[i].json);
		json_decref(list->v[i].error);
		free(list->v[i].token);
	}
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

int ac_store_folders(ac_store *s, ac_folder_list *list_r, at_error *err)
{
	static const char sql[] = "SELECT id, json, token, more, error FROM folders ORDER BY id";
	sqlite3_stmt *st = stmt(s, sql, err);
	size_t cap = 0;
	int rc;
	memset(list_r, 0, sizeof(*list_r));
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (list_r->n == cap) {
			cap = cap ? cap * 2 : 16;
			ac_folder *v = realloc(list_r->v, cap * sizeof(*v));
			if (v == NULL)
				abort();
			list_r->v = v;
		}
		ac_folder *f = &list_r->v[list_r->n];
		memset(f, 0, sizeof(*f));
		column_copy(st, 0, f->id, sizeof(f->id));
		f->json = column_json(st, 1);
		if (!json_is_object(f->json)) {
			json_decref(f->json);
			f->json = json_pack("{s:s}", "id", f->id);
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			f->token = strdup((const char *)sqlite3_column_text(st, 2));
		f->more = sqlite3_column_int(st, 3) != 0;
		f->error = column_json(st, 4);
		list_r->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		ac_folder_list_free(list_r);
		return db_error(s, err, "read folders");
	}
	return 0;
}

int ac_store_folder_put(ac_store *s, json_t *folder, at_error *err)
{
	static const char sql[] = "INSERT INTO folders (id, json) VALUES (?, ?)"
				  " ON CONFLICT (id) DO UPDATE SET json = excluded.json";
	const char *id = ac_jstr(folder, "id");
	if (id == NULL || !at_id_valid(id))
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, "id",
				    "the server sent a folder without a valid id");
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	bind_json(st, 2, folder);
	return exec_stmt(s, st, err);
}

int ac_store_folder_remove(ac_store *s, const char *id, at_error *err)
{
	static const char del_items[] = "DELETE FROM items WHERE folder_id = ?";
	static const char del_folder[] = "DELETE FROM folders WHERE id = ?";
	ac_item_list items = {0};
	int ret = -1;
	if (ac_store_begin(s, err) < 0)
		return -1;
	if (ac_store_items(s, id, &items, err) < 0)
		goto done;
	for (size_t i = 0; i < items.n; i++) {
		ac_item *it = items.v[i];
		if (it->state == AC_STATE_SYNCED)
			continue;
		json_t *detail = json_pack("{s:s}", "state", ac_item_state_name(it->state));
		int r = ac_store_issue_add(s, it, it->fields, "folderRemoved", detail, err);
		json_decref(detail);
		if (r < 0)
			goto done;
	}
	sqlite3_stmt *st = stmt(s, del_items, err);
	if (st == NULL)
		goto done;
	bind_text(st, 1, id);
	if (exec_stmt(s, st, err) < 0)
		goto done;
	if ((st = stmt(s, del_folder, err)) == NULL)
		goto done;
	bind_text(st, 1, id);
	if (exec_stmt(s, st, err) < 0)
		goto done;
	ret = 0;
done:
	ac_item_list_free(&items);
	if (ret < 0) {
		ac_store_rollback(s);
		return -1;
	}
	return ac_store_commit(s, err);
}

int ac_store_folder_set_sync(ac_store *s, const char *id, const char *token, bool more,
			     at_error *err)
{
	static const char sql[] = "UPDATE folders SET token = ?, more = ? WHERE id = ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, token);
	sqlite3_bind_int(st, 2, more ? 1 : 0);
	bind_text(st, 3, id);
	return exec_stmt(s, st, err);
}

int ac_store_folder_set_error(ac_store *s, const char *id, json_t *error, at_error *err)
{
	static const char sql[] = "UPDATE folders SET error = ? WHERE id = ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	bind_json(st, 1, error);
	bind_text(st, 2, id);
	return exec_stmt(s, st, err);
}

int ac_store_default_folder(ac_store *s, at_module m, char id_r[AC_ID_SIZE],
			    at_error *err)
{
	ac_folder_list list;
	id_r[0] = '\0';
	if (ac_store_folders(s, &list, err) < 0)
		return -1;
	for (size_t i = 0; i < list.n; i++) {
		json_t *f = list.v[i].json;
		const char *mod = ac_jstr(f, "module"), *type = ac_jstr(f, "type");
		if (json_is_true(json_object_get(f, "isDefault")) && mod != NULL &&
		    strcmp(mod, at_module_name(m)) == 0 && type != NULL &&
		    strcmp(type, "private") == 0) {
			snprintf(id_r, AC_ID_SIZE, "%s", list.v[i].id);
			break;
		}
	}
	ac_folder_list_free(&list);
	return 0;
}

int ac_store_find_folder(ac_store *s, const char *id_or_name, char id_r[AC_ID_SIZE],
			 at_error *err)
{
	ac_folder_list list;
	size_t matches = 0;
	id_r[0] = '\0';
	if (ac_store_folders(s, &list, err) < 0)
		return -1;
	for (size_t i = 0; i < list.n; i++) {
		if (strcmp(list.v[i].id, id_or_name) == 0) {
			snprintf(id_r, AC_ID_SIZE, "%s", list.v[i].id);
			matches = 1;
			goto found;
		}
	}
	for (size_t i = 0; i < list.n; i++) {
		const char *name = ac_jstr(list.v[i].json, "name");
		const char *dn = ac_jstr(list.v[i].json, "displayName");
		if ((name != NULL && strcmp(name, id_or_name) == 0) ||
		    (dn != NULL && strcmp(dn, id_or_name) == 0)) {
			if (matches++ == 0)
				snprintf(id_r, AC_ID_SIZE, "%s", list.v[i].id);
		}
	}
found:
	ac_folder_list_free(&list);
	if (matches == 0)
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_FOLDER, AT_RETRY_FINAL,
				    "folder", "no folder \"%.100s\" (run \"atrium sync\" to "
				    "learn the folder tree)", id_or_name);
	if (matches > 1) {
		id_r[0] = '\0';
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_FOLDER,
				    AT_RETRY_FINAL, "folder", "several folders are named "
				    "\"%.100s\": give the folder id", id_or_name);
	}
	return 0;
}

int ac_store_assign_default_folder(ac_store *s, const char *id, at_error *err)
{
	static const char sql[] = "UPDATE items SET folder_id = ? WHERE folder_id = ''";
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	return exec_stmt(s, st, err);
}

int ac_store_assign_unfiled(ac_store *s, const char *type, const char *id, at_error *err)
{
	static const char sql[] = "UPDATE items SET folder_id = ? WHERE folder_id = '' AND type = ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	bind_text(st, 2, type);
	return exec_stmt(s, st, err);
}

/* --- items ------------------------------------------------------------------ */

ac_item *ac_item_new(void)
{
	ac_item *it = calloc(1, sizeof(*it));
	if (it == NULL)
		abort();
	snprintf(it->type, sizeof(it->type), "contact");
	it->fields = json_object();
	return it;
}

ac_item *ac_item_copy(const ac_item *item)
{
	ac_item *it = ac_item_new();
	json_decref(it->fields);
	*it = *item;
	it->fields = json_deep_copy(item->fields);
	it->base_fields = item->base_fields ? json_deep_copy(item->base_fields) : NULL;
	it->error = item->error ? json_deep_copy(item->error) : NULL;
	return it;
}

void ac_item_free(ac_item **item)
{
	ac_item *it = item != NULL ? *item : NULL;
	if (it == NULL)
		return;
	json_decref(it->fields);
	json_decref(it->base_fields);
	json_decref(it->error);
	free(it);
	*item = NULL;
}

void ac_item_list_free(ac_item_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		ac_item_free(&list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

const char *ac_item_state_name(ac_item_state state)
{
	return (unsigned)state <= AC_STATE_DELETED ? state_names[state] : "?";
}

static ac_item_state parse_state(const char *s)
{
	for (unsigned i = 0; i <= AC_STATE_DELETED; i++)
		if (s != NULL && strcmp(s, state_names[i]) == 0)
			return (ac_item_state)i;
	return AC_STATE_MODIFIED;
}

json_t *ac_item_patch(const ac_item *item)
{
	return ac_fields_patch(item->base_fields, item->fields);
}

json_t *ac_item_to_json(const ac_item *item)
{
	json_t *o = json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:I,s:O,s:O?}",
			 "id", item->local_id,
			 "serverId", item->server_id[0] ? item->server_id : NULL,
			 "folderId", item->folder_id[0] ? item->folder_id : NULL,
			 "type", item->type,
			 "state", ac_item_state_name(item->state),
			 "version", (json_int_t)item->version,
			 "fields", item->fields,
			 "error", item->error);
	if (item->ignore_conflicts && item->state != AC_STATE_SYNCED)
		json_object_set_new(o, "ignoreConflicts", json_true());
	return o;
}

static ac_item *row_item(sqlite3_stmt *st)
{
	ac_item *it = ac_item_new();
	column_copy(st, 0, it->local_id, sizeof(it->local_id));
	column_copy(st, 1, it->server_id, sizeof(it->server_id));
	column_copy(st, 2, it->client_id, sizeof(it->client_id));
	column_copy(st, 3, it->folder_id, sizeof(it->folder_id));
	column_copy(st, 4, it->type, sizeof(it->type));
	it->version = sqlite3_column_int64(st, 5);
	json_t *f = column_json(st, 6);
	if (json_is_object(f)) {
		json_decref(it->fields);
		it->fields = f;
	} else {
		json_decref(f);
		at_warn("store", "item %s: stored fields are damaged", it->local_id);
	}
	it->base_fields = column_json(st, 7);
	if (it->base_fields != NULL && !json_is_object(it->base_fields)) {
		json_decref(it->base_fields);
		it->base_fields = NULL;
	}
	it->state = parse_state((const char *)sqlite3_column_text(st, 8));
	it->error = column_json(st, 9);
	it->error_retry = sqlite3_column_int(st, 10) != 0;
	it->error_run = sqlite3_column_int64(st, 11);
	it->rev = sqlite3_column_int64(st, 12);
	it->sent = sqlite3_column_int(st, 13) != 0;
	it->ignore_conflicts = sqlite3_column_int(st, 14) != 0;
	return it;
}

/* Runs a bound SELECT of ITEM_COLS into list_r. */
static int collect(ac_store *s, sqlite3_stmt *st, ac_item_list *list_r, at_error *err)
{
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (list_r->n == cap) {
			cap = cap ? cap * 2 : 16;
			ac_item **v = realloc(list_r->v, cap * sizeof(*v));
			if (v == NULL)
				abort();
			list_r->v = v;
		}
		list_r->v[list_r->n++] = row_item(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		ac_item_list_free(list_r);
		return db_error(s, err, "read items");
	}
	return 0;
}

/* The first item of a bound SELECT, or NULL. */
static int collect_one(ac_store *s, sqlite3_stmt *st, ac_item **item_r, at_error *err)
{
	ac_item_list list = {0};
	*item_r = NULL;
	if (collect(s, st, &list, err) < 0)
		return -1;
	if (list.n > 0) {
		*item_r = list.v[0];
		list.v[0] = NULL;
	}
	ac_item_list_free(&list);
	return 0;
}

int ac_store_item_by_server_id(ac_store *s, const char *server_id, ac_item **item_r,
			       at_error *err)
{
	static const char sql[] = "SELECT " ITEM_COLS " FROM items WHERE server_id = ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	*item_r = NULL;
	if (st == NULL)
		return -1;
	bind_text(st, 1, server_id);
	return collect_one(s, st, item_r, err);
}

int ac_store_item_by_client_id(ac_store *s, const char *client_id, ac_item **item_r,
			       at_error *err)
{
	static const char sql[] = "SELECT " ITEM_COLS " FROM items"
				  " WHERE client_id = ? AND server_id IS NULL";
	sqlite3_stmt *st = stmt(s, sql, err);
	*item_r = NULL;
	if (st == NULL)
		return -1;
	bind_text(st, 1, client_id);
	return collect_one(s, st, item_r, err);
}

int ac_store_item_get(ac_store *s, const char *ref, ac_item **item_r, at_error *err)
{
	static const char sql[] = "SELECT " ITEM_COLS " FROM items WHERE local_id = ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	*item_r = NULL;
	if (st == NULL)
		return -1;
	bind_text(st, 1, ref);
	if (collect_one(s, st, item_r, err) < 0)
		return -1;
	if (*item_r == NULL && ac_store_item_by_server_id(s, ref, item_r, err) < 0)
		return -1;
	if (*item_r == NULL)
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "id",
				    "no item \"%.80s\" in the local store", ref);
	return 0;
}

int ac_store_items(ac_store *s, const char *folder_id, ac_item_list *list_r,
		   at_error *err)
{
	static const char all[] = "SELECT " ITEM_COLS " FROM items ORDER BY rowid";
	static const char one[] = "SELECT " ITEM_COLS " FROM items WHERE folder_id = ?"
				  " ORDER BY rowid";
	sqlite3_stmt *st = stmt(s, folder_id == NULL ? all : one, err);
	memset(list_r, 0, sizeof(*list_r));
	if (st == NULL)
		return -1;
	if (folder_id != NULL)
		bind_text(st, 1, folder_id);
	return collect(s, st, list_r, err);
}

int ac_store_pending(ac_store *s, const char *folder_id, int64_t run, size_t limit,
		     ac_item_list *list_r, at_error *err)
{
	static const char sql[] =
		"SELECT " ITEM_COLS " FROM items WHERE folder_id = ? AND state != 'synced'"
		" AND (error IS NULL OR (error_retry != 0 AND error_run < ?))"
		" ORDER BY rowid LIMIT ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	memset(list_r, 0, sizeof(*list_r));
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	sqlite3_bind_int64(st, 2, run);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	return collect(s, st, list_r, err);
}

int ac_store_pending_count(ac_store *s, int64_t *n_r, at_error *err)
{
	static const char sql[] = "SELECT count(*) FROM items WHERE state != 'synced'";
	sqlite3_stmt *st = stmt(s, sql, err);
	*n_r = 0;
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int ac_store_item_put(ac_store *s, const ac_item *it, at_error *err)
{
	static const char sql[] =
		"INSERT INTO items (" ITEM_COLS ") VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
		" ON CONFLICT (local_id) DO UPDATE SET server_id = ?2, client_id = ?3,"
		"  folder_id = ?4, type = ?5, version = ?6, fields = ?7, base_fields = ?8,"
		"  state = ?9, error = ?10, error_retry = ?11, error_run = ?12, rev = ?13,"
		"  sent = ?14, ignore_conflicts = ?15";
	if (it->local_id[0] == '\0' || !json_is_object(it->fields))
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "local store: refusing to store an item without id or "
				    "fields");
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, it->local_id);
	bind_text(st, 2, it->server_id[0] ? it->server_id : NULL);
	bind_text(st, 3, it->client_id[0] ? it->client_id : NULL);
	bind_text(st, 4, it->folder_id);
	bind_text(st, 5, it->type);
	sqlite3_bind_int64(st, 6, it->version);
	bind_json(st, 7, it->fields);
	bind_json(st, 8, it->base_fields);
	bind_text(st, 9, ac_item_state_name(it->state));
	bind_json(st, 10, it->error);
	sqlite3_bind_int(st, 11, it->error_retry ? 1 : 0);
	sqlite3_bind_int64(st, 12, it->error_run);
	sqlite3_bind_int64(st, 13, it->rev);
	sqlite3_bind_int(st, 14, it->sent ? 1 : 0);
	/* the flag goes with a pending change: a synced item has none */
	sqlite3_bind_int(st, 15, it->ignore_conflicts && it->state != AC_STATE_SYNCED ? 1 : 0);
	return exec_stmt(s, st, err);
}

int ac_store_item_remove(ac_store *s, const char *local_id, at_error *err)
{
	static const char sql[] = "DELETE FROM items WHERE local_id = ?";
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, local_id);
	return exec_stmt(s, st, err);
}

/* --- user commands ------------------------------------------------------------ */

int ac_store_item_add(ac_store *s, const char *folder_id, const char *type,
		      json_t *fields, char local_id_r[AC_ID_SIZE], at_error *err)
{
	ac_item *it = ac_item_new();
	int ret = -1;
	local_id_r[0] = '\0';
	if (!json_is_object(fields) || strlen(type) >= AC_TYPE_SIZE ||
	    strlen(folder_id) >= AC_ID_SIZE) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "bad item");
		goto done;
	}
	ac_random_id(it->local_id);
	snprintf(it->client_id, sizeof(it->client_id), "%s", it->local_id);
	snprintf(it->folder_id, sizeof(it->folder_id), "%s", folder_id);
	snprintf(it->type, sizeof(it->type), "%s", type);
	json_decref(it->fields);
	it->fields = json_deep_copy(fields);
	it->state = AC_STATE_CREATED;
	it->rev = 1;
	if (ac_store_begin(s, err) < 0)
		goto done;
	if (ac_store_item_put(s, it, err) < 0) {
		ac_store_rollback(s);
		goto done;
	}
	if (ac_store_commit(s, err) < 0)
		goto done;
	snprintf(local_id_r, AC_ID_SIZE, "%s", it->local_id);
	ret = 0;
done:
	ac_item_free(&it);
	return ret;
}

static void clear_error(ac_item *it)
{
	json_decref(it->error);
	it->error = NULL;
	it->error_retry = false;
	it->error_run = 0;
}

int ac_store_item_edit(ac_store *s, const char *ref, json_t *patch, at_error *err)
{
	ac_item *it = NULL;
	int ret = -1;
	if (ac_store_begin(s, err) < 0)
		return -1;
	if (ac_store_item_get(s, ref, &it, err) < 0)
		goto done;
	if (it->state == AC_STATE_DELETED) {
		at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "id",
			     "item %s has been deleted (the delete is not synced yet)",
			     it->local_id);
		goto done;
	}
	ac_fields_apply(it->fields, patch);
	if (it->state != AC_STATE_CREATED)
		it->state = ac_json_eq(it->fields, it->base_fields) ? AC_STATE_SYNCED
								      : AC_STATE_MODIFIED;
	clear_error(it);
	it->rev++;
	if (ac_store_item_put(s, it, err) < 0)
		goto done;
	ret = 0;
done:
	ac_item_free(&it);
	if (ret < 0) {
		ac_store_rollback(s);
		return -1;
	}
	return ac_store_commit(s, err);
}

int ac_store_item_delete(ac_store *s, const char *ref, at_error *err)
{
	ac_item *it = NULL;
	int ret = -1;
	if (ac_store_begin(s, err) < 0)
		return -1;
	if (ac_store_item_get(s, ref, &it, err) < 0)
		goto done;
	if (it->state == AC_STATE_DELETED) {
		at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "id",
			     "item %s is already deleted", it->local_id);
		goto done;
	}
	if (it->server_id[0] == '\0' && !it->sent) {
		/* never left this machine: nothing to tell the server */
		ret = ac_store_item_remove(s, it->local_id, err);
		goto done;
	}
	it->state = AC_STATE_DELETED;
	clear_error(it);
	it->rev++;
	ret = ac_store_item_put(s, it, err);
done:
	ac_item_free(&it);
	if (ret < 0) {
		ac_store_rollback(s);
		return -1;
	}
	return ac_store_commit(s, err);
}

int ac_store_item_ignore_conflicts(ac_store *s, const char *ref, at_error *err)
{
	ac_item *it = NULL;
	int ret = -1;
	if (ac_store_begin(s, err) < 0)
		return -1;
	if (ac_store_item_get(s, ref, &it, err) < 0)
		goto done;
	if (it->state != AC_STATE_CREATED && it->state != AC_STATE_MODIFIED) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, "id",
			     it->state == AC_STATE_DELETED
				     ? "item %s has been deleted: there is nothing to write"
				     : "item %s has no change waiting to be sent: give the "
				       "change with the flag", it->local_id);
		goto done;
	}
	it->ignore_conflicts = true;
	clear_error(it);
	it->rev++;
	ret = ac_store_item_put(s, it, err);
done:
	ac_item_free(&it);
	if (ret < 0) {
		ac_store_rollback(s);
		return -1;
	}
	return ac_store_commit(s, err);
}

/* --- sync issues ------------------------------------------------------------ */

int ac_store_issue_add(ac_store *s, const ac_item *item, json_t *fields,
		       const char *reason, json_t *detail, at_error *err)
{
	static const char sql[] =
		"INSERT INTO sync_issues (local_id, server_id, folder_id, type, fields,"
		" reason, detail, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	char now[AC_TIME_SIZE];
	sqlite3_stmt *st = stmt(s, sql, err);
	if (st == NULL)
		return -1;
	ac_now_iso(now);
	bind_text(st, 1, item->local_id);
	bind_text(st, 2, item->server_id[0] ? item->server_id : NULL);
	bind_text(st, 3, item->folder_id);
	bind_text(st, 4, item->type);
	if (fields != NULL) {
		bind_json(st, 5, fields);
	} else {
		json_t *empty = json_object();
		bind_json(st, 5, empty);
		json_decref(empty);
	}
	bind_text(st, 6, reason);
	bind_json(st, 7, detail);
	bind_text(st, 8, now);
	return exec_stmt(s, st, err);
}

int ac_store_blob_refs(ac_store *s, json_t *set, at_error *err)
{
	/* only documents that mention a blob are parsed */
	static const char sql[] =
		"WITH docs(f) AS ("
		" SELECT fields FROM items WHERE instr(fields, '\"blobId\"') > 0"
		" UNION ALL SELECT base_fields FROM items"
		"  WHERE instr(base_fields, '\"blobId\"') > 0"
		" UNION ALL SELECT fields FROM sync_issues WHERE instr(fields, '\"blobId\"') > 0)"
		" SELECT json_extract(f, '$.photo.blobId') AS id FROM docs WHERE id IS NOT NULL"
		" UNION SELECT json_extract(a.value, '$.blobId') AS id"
		"  FROM docs, json_each(docs.f, '$.attachments') AS a WHERE id IS NOT NULL";
	sqlite3_stmt *st = stmt(s, sql, err);
	int rc;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (id != NULL)
			json_object_set_new(set, id, json_true());
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "read the blob references");
	return 0;
}

int ac_store_issues(ac_store *s, json_t **list_r, at_error *err)
{
	static const char sql[] =
		"SELECT id, local_id, server_id, folder_id, type, fields, reason, detail,"
		" created FROM sync_issues ORDER BY id";
	sqlite3_stmt *st = stmt(s, sql, err);
	int rc;
	*list_r = NULL;
	if (st == NULL)
		return -1;
	json_t *list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		static const char *const names[] = {"itemId", "serverId", "folderId", "type"};
		for (int c = 1; c <= 4; c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			json_object_set_new(o, names[c - 1], v ? json_string(v) : json_null());
		}
		json_t *f = column_json(st, 5);
		json_object_set_new(o, "fields", f ? f : json_object());
		json_object_set_new(o, "reason",
				    json_string((const char *)sqlite3_column_text(st, 6)));
		json_t *d = column_json(st, 7);
		json_object_set_new(o, "detail", d ? d : json_null());
		json_object_set_new(o, "time",
				    json_string((const char *)sqlite3_column_text(st, 8)));
		json_array_append_new(list, o);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return db_error(s, err, "read sync issues");
	}
	*list_r = list;
	return 0;
}

int ac_store_issue_remove(ac_store *s, int64_t id, at_error *err)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM sync_issues WHERE id = ?1", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "remove sync issue");
	if (sqlite3_changes(s->db) == 0)
		return at_error_set(err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "no sync issue %lld", (long long)id);
	return 0;
}

int ac_store_issue_count(ac_store *s, int64_t *n_r, at_error *err)
{
	static const char sql[] = "SELECT count(*) FROM sync_issues";
	sqlite3_stmt *st = stmt(s, sql, err);
	*n_r = 0;
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}
