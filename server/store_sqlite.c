/* store_sqlite.c — the SQLite backend of store.h (the default: one file,
 * zero configuration).  WAL journal with synchronous=FULL so an acknowledged
 * write survives kill -9 and power loss; every statement is prepared once per
 * connection and cached.  One connection per thread: a connection is not
 * shared between threads. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "fts5_query.h"
#include "log.h"

#define SCHEMA_VERSION 12

enum stmt_id {
	S_BEGIN_READ, S_BEGIN_WRITE, S_COMMIT, S_ROLLBACK,
	S_MODSEQ_BUMP, S_MODSEQ_GET, S_HORIZON_GET, S_HORIZON_SET,
	S_USER_ADD, S_USER_BY_LOGIN, S_USER_BY_ID, S_USER_LIST, S_USER_SET_PW,
	S_TOKEN_ADD, S_TOKEN_GET, S_TOKEN_DEL, S_TOKEN_DEL_USER,
	S_FAIL_GET, S_FAIL_SET, S_FAIL_DEL,
	S_FOLDER_ADD, S_FOLDER_GET, S_FOLDER_OWNED, S_FOLDER_REMOVED,
	S_ITEM_GET, S_ITEM_INSERT, S_ITEM_UPDATE, S_ITEM_DELETE, S_TOMB_ADD, S_TOMB_CLEAR,
	S_CLIENT_ADD, S_CLIENT_GET, S_CHANGES, S_ITEM_LIST,
	S_TOMB_MAXPURGE, S_TOMB_PURGE, S_FOLDER_TOMB_PURGE, S_ACCESS_TOMB_PURGE,
	S_FOLDER_TOUCH, S_GROUP_ADD, S_GROUP_BY_NAME, S_GROUP_BY_ID, S_GROUP_LIST,
	S_GROUP_MEMBERS, S_MEMBER_ADD, S_GROUPS_OF_USER,
	S_GRANTS_GET, S_GRANT_SET, S_GRANT_DEL, S_FOLDERS_GRANTED,
	S_ACCESS_TOMB_ADD, S_ACCESS_REMOVED,
	S_FOLDER_CHILDREN, S_FOLDER_TOPS, S_FOLDER_UPDATE, S_FOLDER_TOMB_ADD,
	S_FOLDER_ITEMS_DEL, S_FOLDER_ITEM_TOMBS_DEL, S_FOLDER_GRANTS_DEL, S_FOLDER_DEL,
	S_FCLIENT_ADD, S_FCLIENT_GET,
	S_DIR_GET, S_DIR_SET, S_CONTACT_SEARCH,
	S_MAIL_ADD, S_MAIL_NEXT, S_MAIL_SENT, S_MAIL_FAILED, S_MAIL_PURGE, S_ALARMS_DUE, S_ALARM_SENT,
	S_LISTS_OF,
	S_BLOB_ADD, S_BLOB_UPLOAD_ADD, S_BLOB_GET, S_BLOB_UPLOADED, S_BLOB_REFS,
	S_BLOB_TOUCH, S_BLOB_UNREF, S_BLOB_DEL, S_BLOB_UPLOADS_DEL,
	S_APPTS_IN_RANGE,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN_READ] = "BEGIN",
	[S_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_MODSEQ_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'modseq' RETURNING value",
	[S_MODSEQ_GET] = "SELECT value FROM meta WHERE key = 'modseq'",
	[S_HORIZON_GET] = "SELECT value FROM meta WHERE key = 'horizon'",
	[S_HORIZON_SET] = "UPDATE meta SET value = max(value, ?1) WHERE key = 'horizon'",
	[S_USER_ADD] = "INSERT INTO users(id, login, name, email, pw_hash, created, kind,"
		       " resource_type) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
	[S_USER_BY_LOGIN] = "SELECT id, login, name, email, pw_hash, created, kind, resource_type"
			    " FROM users WHERE login = ?1",
	[S_USER_BY_ID] = "SELECT id, login, name, email, pw_hash, created, kind, resource_type"
			 " FROM users WHERE id = ?1",
	[S_USER_LIST] = "SELECT id, login, name, email, pw_hash, created, kind, resource_type"
			" FROM users ORDER BY login",
	[S_USER_SET_PW] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1",
	[S_TOKEN_ADD] = "INSERT INTO tokens(hash, user_id, expires) VALUES (?1,?2,?3)",
	[S_TOKEN_GET] = "SELECT user_id, expires FROM tokens WHERE hash = ?1",
	[S_TOKEN_DEL] = "DELETE FROM tokens WHERE hash = ?1",
	[S_TOKEN_DEL_USER] = "DELETE FROM tokens WHERE user_id = ?1 AND hash IS NOT ?2",
	[S_FAIL_GET] = "SELECT count, last FROM login_failures WHERE login = ?1",
	[S_FAIL_SET] = "INSERT INTO login_failures(login, count, last) VALUES (?1,?2,?3) "
		       "ON CONFLICT(login) DO UPDATE SET count = excluded.count, last = excluded.last",
	[S_FAIL_DEL] = "DELETE FROM login_failures WHERE login = ?1",
	[S_FOLDER_ADD] = "INSERT INTO folders(id, parent_id, owner_id, name, module, type, is_default,"
			 " version, created_version) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8)",
	[S_FOLDER_GET] = "SELECT id, parent_id, owner_id, name, module, type, is_default, version,"
			 " created_version FROM folders WHERE id = ?1",
	[S_FOLDER_OWNED] = "SELECT id, parent_id, owner_id, name, module, type, is_default, version,"
			   " created_version FROM folders WHERE owner_id = ?1 AND version > ?2"
			   " ORDER BY created_version, id",
	[S_FOLDER_REMOVED] = "SELECT id, modseq FROM folder_tombstones WHERE owner_id = ?1 AND modseq > ?2",
	[S_ITEM_GET] = "SELECT id, folder_id, type, created_by, client_id, version, created_version,"
		       " fields, field_versions FROM items WHERE id = ?1",
	[S_ITEM_INSERT] = "INSERT INTO items(id, folder_id, type, created_by, client_id, version,"
			  " created_version, fields, field_versions) VALUES (?1,?2,?3,?4,?5,?6,?6,?7,?8)",
	[S_ITEM_UPDATE] = "UPDATE items SET folder_id = ?2, type = ?3, version = ?4, fields = ?5,"
			  " field_versions = ?6 WHERE id = ?1",
	[S_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1",
	[S_TOMB_ADD] = "INSERT INTO tombstones(item_id, folder_id, modseq, deleted_at) VALUES (?1,?2,?3,?4)"
		       " ON CONFLICT(folder_id, item_id) DO UPDATE SET modseq = excluded.modseq,"
		       " deleted_at = excluded.deleted_at",
	[S_TOMB_CLEAR] = "DELETE FROM tombstones WHERE folder_id = ?1 AND item_id = ?2",
	[S_CLIENT_ADD] = "INSERT OR IGNORE INTO client_ids(user_id, client_id, item_id) VALUES (?1,?2,?3)",
	[S_CLIENT_GET] = "SELECT item_id FROM client_ids WHERE user_id = ?1 AND client_id = ?2",
	[S_CHANGES] = "SELECT id, version, 0 FROM items WHERE folder_id = ?1 AND"
		      " (version > ?2 OR (version = ?2 AND id > ?3))"
		      " UNION ALL "
		      "SELECT item_id, modseq, 1 FROM tombstones WHERE folder_id = ?1 AND"
		      " (modseq > ?2 OR (modseq = ?2 AND item_id > ?3))"
		      " ORDER BY 2, 1 LIMIT ?4",
	[S_ITEM_LIST] = "SELECT id, version FROM items WHERE folder_id = ?1 ORDER BY id",
	[S_TOMB_MAXPURGE] = "SELECT max(m) FROM (SELECT max(modseq) AS m FROM tombstones"
			   " WHERE deleted_at <= ?1 UNION ALL SELECT max(modseq)"
			   " FROM folder_tombstones WHERE deleted_at <= ?1)",
	[S_TOMB_PURGE] = "DELETE FROM tombstones WHERE deleted_at <= ?1",
	[S_FOLDER_TOMB_PURGE] = "DELETE FROM folder_tombstones WHERE modseq <= ?1",
	[S_ACCESS_TOMB_PURGE] = "DELETE FROM folder_access_tombstones WHERE modseq <= ?1",
	[S_FOLDER_TOUCH] = "UPDATE folders SET version = ?2 WHERE id = ?1",
	[S_GROUP_ADD] = "INSERT INTO groups(id, name) VALUES (?1,?2)",
	[S_GROUP_BY_NAME] = "SELECT id, name FROM groups WHERE name = ?1",
	[S_GROUP_BY_ID] = "SELECT id, name FROM groups WHERE id = ?1",
	[S_GROUP_LIST] = "SELECT id, name FROM groups ORDER BY name",
	[S_GROUP_MEMBERS] = "SELECT u.id, u.login, u.name FROM group_members m"
			    " JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1"
			    " UNION SELECT id, login, name FROM users WHERE ?1 = 'everyone'"
			    " AND kind = 'user'"
			    " ORDER BY 2",
	[S_MEMBER_ADD] = "INSERT INTO group_members(group_id, user_id, version) VALUES (?1,?2,?3)",
	[S_GROUPS_OF_USER] = "SELECT group_id FROM group_members WHERE user_id = ?1"
			     " UNION SELECT 'everyone' ORDER BY 1",
	[S_GRANTS_GET] = "SELECT g.principal_id, g.is_group, g.folder_right, g.read, g.write, g.del,"
			 " g.admin FROM folder_grants g"
			 " LEFT JOIN users u ON g.is_group = 0 AND u.id = g.principal_id"
			 " LEFT JOIN groups r ON g.is_group = 1 AND r.id = g.principal_id"
			 " WHERE g.folder_id = ?1"
			 " ORDER BY g.is_group, coalesce(u.login, r.name), g.principal_id",
	[S_GRANT_SET] = "INSERT INTO folder_grants(folder_id, principal_id, is_group, folder_right,"
			" read, write, del, admin, created_version) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"
			" ON CONFLICT(folder_id, principal_id) DO UPDATE SET"
			" folder_right = excluded.folder_right, read = excluded.read,"
			" write = excluded.write, del = excluded.del, admin = excluded.admin",
	[S_GRANT_DEL] = "DELETE FROM folder_grants WHERE folder_id = ?1 AND principal_id = ?2",
	[S_FOLDERS_GRANTED] =
		"WITH mine(folder_id, since) AS ("
		" SELECT folder_id, created_version FROM folder_grants"
		"  WHERE principal_id = ?1 AND is_group = 0"
		" UNION ALL"
		" SELECT g.folder_id, max(g.created_version, m.version) FROM group_members m"
		"  JOIN folder_grants g ON g.principal_id = m.group_id AND g.is_group = 1"
		"  WHERE m.user_id = ?1"
		" UNION ALL"
		" SELECT folder_id, created_version FROM folder_grants"
		"  WHERE principal_id = 'everyone' AND is_group = 1)"
		" SELECT f.id, f.parent_id, f.owner_id, f.name, f.module, f.type, f.is_default,"
		" f.version, f.created_version, min(mine.since) FROM mine"
		" JOIN folders f ON f.id = mine.folder_id WHERE f.owner_id IS NOT ?1"
		" GROUP BY f.id ORDER BY f.created_version, f.id",
	[S_ACCESS_TOMB_ADD] = "INSERT INTO folder_access_tombstones(user_id, folder_id, modseq)"
			      " VALUES (?1,?2,?3) ON CONFLICT(user_id, folder_id)"
			      " DO UPDATE SET modseq = excluded.modseq",
	[S_ACCESS_REMOVED] = "SELECT folder_id, modseq FROM folder_access_tombstones"
			     " WHERE user_id = ?1 AND modseq > ?2 ORDER BY modseq, folder_id",
	[S_FOLDER_CHILDREN] = "SELECT id, parent_id, owner_id, name, module, type, is_default,"
			      " version, created_version FROM folders WHERE parent_id = ?1"
			      " ORDER BY name, id",
	[S_FOLDER_TOPS] = "SELECT id, parent_id, owner_id, name, module, type, is_default,"
			  " version, created_version FROM folders"
			  " WHERE parent_id IS NULL AND owner_id IS ?1 ORDER BY name, id",
	[S_FOLDER_UPDATE] = "UPDATE folders SET name = ?2, parent_id = ?3, version = ?4"
			    " WHERE id = ?1",
	[S_FOLDER_TOMB_ADD] = "INSERT INTO folder_tombstones(id, owner_id, modseq, deleted_at)"
			      " SELECT id, owner_id, ?2, ?3 FROM folders WHERE id = ?1"
			      " ON CONFLICT(id) DO UPDATE SET modseq = excluded.modseq,"
			      " deleted_at = excluded.deleted_at",
	[S_FOLDER_ITEMS_DEL] = "DELETE FROM items WHERE folder_id = ?1",
	[S_FOLDER_ITEM_TOMBS_DEL] = "DELETE FROM tombstones WHERE folder_id = ?1",
	[S_FOLDER_GRANTS_DEL] = "DELETE FROM folder_grants WHERE folder_id = ?1",
	[S_FOLDER_DEL] = "DELETE FROM folders WHERE id = ?1",
	[S_FCLIENT_ADD] = "INSERT OR IGNORE INTO folder_client_ids(user_id, client_id, folder_id)"
			  " VALUES (?1,?2,?3)",
	[S_FCLIENT_GET] = "SELECT folder_id FROM folder_client_ids WHERE user_id = ?1"
			  " AND client_id = ?2",
	[S_DIR_GET] = "SELECT item_id FROM directory_entries WHERE principal_id = ?1",
	[S_DIR_SET] = "INSERT INTO directory_entries(principal_id, is_group, item_id)"
		      " VALUES (?1,?2,?3) ON CONFLICT(principal_id) DO UPDATE SET"
		      " is_group = excluded.is_group, item_id = excluded.item_id",
	/* best first: bm25 weighs names above e-mail, company and phone (the
	 * folder column only selects); equal scores by name.  bm25 costs a few
	 * microseconds a row: only the first ?2 matches are ranked */
	[S_CONTACT_SEARCH] = "SELECT d.item_id FROM (SELECT rowid AS docid, name,"
			     " bm25(contact_fts, 0.0, 4.0, 2.0, 1.0, 1.0) AS score"
			     " FROM contact_fts WHERE contact_fts MATCH ?1 LIMIT ?2) m"
			     " JOIN search_docs d ON d.docid = m.docid"
			     " ORDER BY m.score, m.name, d.item_id",
	[S_MAIL_ADD] = "INSERT INTO mail_queue(created, rcpt, message, attempts, next_attempt)"
		       " VALUES (?1,?2,?3,0,?1)",
	[S_MAIL_NEXT] = "SELECT id, created, rcpt, message, attempts FROM mail_queue"
			" WHERE sent_at IS NULL AND next_attempt <= ?1"
			" ORDER BY created, id LIMIT 1",
	[S_MAIL_SENT] = "UPDATE mail_queue SET sent_at = ?2, next_attempt = NULL,"
			" last_error = NULL WHERE id = ?1",
	[S_MAIL_FAILED] = "UPDATE mail_queue SET attempts = attempts + 1, next_attempt = ?2,"
			  " last_error = ?3 WHERE id = ?1",
	[S_MAIL_PURGE] = "DELETE FROM mail_queue WHERE sent_at <= ?1"
			 " OR (sent_at IS NULL AND next_attempt IS NULL AND created <= ?1)",
	[S_LISTS_OF] = "SELECT list_id FROM list_refs WHERE contact_id = ? ORDER BY list_id",
	[S_BLOB_ADD] = "INSERT OR IGNORE INTO blobs(id, size, type, created, uploaded_by)"
		       " VALUES (?1,?2,?3,?4,?5)",
	[S_BLOB_UPLOAD_ADD] = "INSERT OR IGNORE INTO blob_uploads(blob_id, user_id) VALUES (?1,?2)",
	[S_BLOB_GET] = "SELECT id, size, type, created, uploaded_by FROM blobs WHERE id = ?1",
	[S_BLOB_UPLOADED] = "SELECT 1 FROM blob_uploads WHERE blob_id = ?1 AND user_id = ?2",
	[S_BLOB_TOUCH] = "UPDATE blobs SET touched = ?2 WHERE id = ?1",
	[S_BLOB_UNREF] = "SELECT id FROM blobs b WHERE coalesce(b.touched, b.created) <= ?1"
			 " AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.id)"
			 " ORDER BY id LIMIT ?2",
	[S_BLOB_DEL] = "DELETE FROM blobs WHERE id = ?1",
	[S_BLOB_UPLOADS_DEL] = "DELETE FROM blob_uploads WHERE blob_id = ?1",
	[S_APPTS_IN_RANGE] = "SELECT item_id FROM appt_spans WHERE folder_id = ?1"
			     " AND (start_at IS NULL OR end_at IS NULL"
			     " OR (start_at < ?3 AND end_at > ?2)) ORDER BY item_id",
	[S_BLOB_REFS] = "SELECT item_id FROM blob_refs WHERE blob_id = ?1 ORDER BY item_id LIMIT ?2",
	[S_ALARMS_DUE] = "SELECT item_id, 'reminder', remind_at FROM task_alarms a"
			 " WHERE open AND remind_at <= ?1 AND NOT EXISTS (SELECT 1 FROM alarms_sent s"
			 "  WHERE s.item_id = a.item_id AND s.kind = 'reminder' AND s.at = a.remind_at)"
			 " UNION ALL "
			 "SELECT item_id, 'overdue', due_at FROM task_alarms a"
			 " WHERE open AND due_at <= ?1 AND NOT EXISTS (SELECT 1 FROM alarms_sent s"
			 "  WHERE s.item_id = a.item_id AND s.kind = 'overdue' AND s.at = a.due_at)"
			 " ORDER BY 3, 1, 2",
	[S_ALARM_SENT] = "INSERT OR IGNORE INTO alarms_sent(item_id, kind, at) VALUES (?1,?2,?3)",
};

static const char *const schema_v1[] = {
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
	"INSERT INTO meta(key, value) VALUES ('modseq', 0), ('horizon', 0)",
	"CREATE TABLE users(id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	" email TEXT NOT NULL, pw_hash TEXT NOT NULL, created INTEGER NOT NULL)",
	"CREATE TABLE tokens(hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires INTEGER NOT NULL)",
	"CREATE INDEX tokens_user ON tokens(user_id)",
	"CREATE TABLE login_failures(login TEXT PRIMARY KEY, count INTEGER NOT NULL,"
	" last INTEGER NOT NULL)",
	"CREATE TABLE folders(id TEXT PRIMARY KEY, parent_id TEXT, owner_id TEXT, name TEXT NOT NULL,"
	" module TEXT NOT NULL, type TEXT NOT NULL, is_default INTEGER NOT NULL,"
	" version INTEGER NOT NULL, created_version INTEGER NOT NULL)",
	"CREATE INDEX folders_owner ON folders(owner_id, version)",
	"CREATE TABLE folder_tombstones(id TEXT PRIMARY KEY, owner_id TEXT, modseq INTEGER NOT NULL,"
	" deleted_at INTEGER NOT NULL)",
	"CREATE TABLE items(id TEXT PRIMARY KEY, folder_id TEXT NOT NULL, type TEXT NOT NULL,"
	" created_by TEXT NOT NULL, client_id TEXT, version INTEGER NOT NULL,"
	" created_version INTEGER NOT NULL, fields TEXT NOT NULL, field_versions TEXT NOT NULL)",
	"CREATE INDEX items_folder_version ON items(folder_id, version, id)",
	"CREATE TABLE client_ids(user_id TEXT NOT NULL, client_id TEXT NOT NULL,"
	" item_id TEXT NOT NULL, PRIMARY KEY(user_id, client_id)) WITHOUT ROWID",
	"CREATE TABLE tombstones(item_id TEXT NOT NULL, folder_id TEXT NOT NULL,"
	" modseq INTEGER NOT NULL, deleted_at INTEGER NOT NULL, PRIMARY KEY(folder_id, item_id))",
	"CREATE INDEX tombstones_folder ON tombstones(folder_id, modseq, item_id)",
	"CREATE INDEX tombstones_time ON tombstones(deleted_at)",
	NULL,
};

/* Groups, folder grants and access tombstones.  Beyond the rights, a grant
 * keeps created_version (the modseq it was first written at) and a
 * membership its version (the modseq it was made at): Folder/sync tells
 * from them when a user's access to a folder began. */
static const char *const schema_v2[] = {
	"CREATE TABLE groups(id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL)",
	"CREATE TABLE group_members(group_id TEXT NOT NULL, user_id TEXT NOT NULL,"
	" version INTEGER NOT NULL, PRIMARY KEY(group_id, user_id)) WITHOUT ROWID",
	"CREATE INDEX group_members_user ON group_members(user_id)",
	"CREATE TABLE folder_grants(folder_id TEXT NOT NULL, principal_id TEXT NOT NULL,"
	" is_group INTEGER NOT NULL, folder_right INTEGER NOT NULL, read INTEGER NOT NULL,"
	" write INTEGER NOT NULL, del INTEGER NOT NULL, admin INTEGER NOT NULL,"
	" created_version INTEGER NOT NULL, PRIMARY KEY(folder_id, principal_id)) WITHOUT ROWID",
	"CREATE INDEX folder_grants_principal ON folder_grants(principal_id)",
	"CREATE TABLE folder_access_tombstones(user_id TEXT NOT NULL, folder_id TEXT NOT NULL,"
	" modseq INTEGER NOT NULL, PRIMARY KEY(user_id, folder_id)) WITHOUT ROWID",
	NULL,
};

/* The folder tree: children by parent, and the client ids of folder creates
 * (Folder/set creates are idempotent like item creates). */
static const char *const schema_v3[] = {
	"CREATE INDEX folders_parent ON folders(parent_id, name)",
	"CREATE TABLE folder_client_ids(user_id TEXT NOT NULL, client_id TEXT NOT NULL,"
	" folder_id TEXT NOT NULL, PRIMARY KEY(user_id, client_id)) WITHOUT ROWID",
	NULL,
};

/* Migrations: index i upgrades from version i to i+1. */
/* v4: the built-in group of every user (AS_GROUP_EVERYONE); its members
 * are implicit, never rows of group_members */
static const char *const schema_v4[] = {
	"INSERT OR IGNORE INTO groups(id, name) VALUES ('everyone', 'everyone')",
	NULL,
};

/* v5: contact search and the Global Address Book (gab.h).
 *
 * contact_fts is an FTS5 index of every contact item (name, e-mail, company
 * and phone fields; unicode61 folds case and, with remove_diacritics 2,
 * accents: "muller" finds "Müller").  Its rowid is a docid of search_docs,
 * an INTEGER PRIMARY KEY (stable across VACUUM, unlike the rowid of items).
 * Triggers on items keep it in step with every write, whoever makes it
 * (item_put, item_delete, folder_delete).  The phone column holds each
 * number as written and again with its separators removed, so that
 * "+49 30 1234", "30 1234" and "49301234" all find +49 (30) 1234-56.
 *
 * The Global Address Book is a public contacts folder without an owner,
 * with a reviewer grant to "everyone" and no admin (so nobody can change its
 * permissions, rename or delete it, and nobody can write its items), and
 * an entry per user made from the account; directory_entries maps each
 * principal to its entry. */
#define FTS_F(r, f) "ifnull(json_extract(" r "fields, '$." f "'), '')"
#define FTS_SP " || ' ' || "
#define FTS_NAME(r) \
	FTS_F(r, "displayName") FTS_SP FTS_F(r, "firstName") FTS_SP FTS_F(r, "middleName") \
	FTS_SP FTS_F(r, "lastName") FTS_SP FTS_F(r, "nickname")
#define FTS_EMAIL(r) FTS_F(r, "email1") FTS_SP FTS_F(r, "email2") FTS_SP FTS_F(r, "email3")
#define FTS_COMPANY(r) FTS_F(r, "company") FTS_SP FTS_F(r, "department")
#define FTS_PHONES(r, sep) \
	FTS_F(r, "phoneBusiness") sep FTS_F(r, "phoneBusiness2") sep \
	FTS_F(r, "phoneBusinessFax") sep FTS_F(r, "phoneMobile") sep FTS_F(r, "phoneHome") sep \
	FTS_F(r, "phoneHome2") sep FTS_F(r, "phoneHomeFax") sep FTS_F(r, "phoneCar") sep \
	FTS_F(r, "phoneCompany") sep FTS_F(r, "phoneOther") sep FTS_F(r, "phoneOtherFax") sep \
	FTS_F(r, "phonePager") sep FTS_F(r, "phoneTelex") sep FTS_F(r, "phoneTtyTdd") sep \
	FTS_F(r, "phoneAssistant") sep FTS_F(r, "phoneCallback") sep FTS_F(r, "phoneIsdn") sep \
	FTS_F(r, "phonePrimary") sep FTS_F(r, "phoneRadio")
#define FTS_DIGITS(x) \
	"replace(replace(replace(replace(replace(replace(replace(" x ", ' ', ''), '-', ''),"\
	" '(', ''), ')', ''), '.', ''), '/', ''), '+', '')"
#define FTS_PHONE(r) FTS_PHONES(r, FTS_SP) FTS_SP FTS_DIGITS(FTS_PHONES(r, " || ',' || "))
#define FTS_ROW(r) FTS_NAME(r) ", " FTS_EMAIL(r) ", " FTS_COMPANY(r) ", " FTS_PHONE(r)

static const char *const schema_v5[] = {
	"CREATE TABLE search_docs(docid INTEGER PRIMARY KEY, item_id TEXT UNIQUE NOT NULL)",
	"CREATE VIRTUAL TABLE contact_fts USING fts5(folder, name, email, company, phone,"
	" tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')",
	/* the contacts there are already */
	"INSERT INTO search_docs(item_id) SELECT id FROM items WHERE type = 'contact'",
	"INSERT INTO contact_fts(rowid, folder, name, email, company, phone)"
	" SELECT d.docid, i.folder_id, " FTS_ROW("i.") " FROM items i"
	" JOIN search_docs d ON d.item_id = i.id",
	"CREATE TRIGGER items_search_insert AFTER INSERT ON items WHEN new.type = 'contact'"
	" BEGIN"
	" INSERT INTO search_docs(item_id) VALUES (new.id);"
	" INSERT INTO contact_fts(rowid, folder, name, email, company, phone)"
	"  SELECT docid, new.folder_id, " FTS_ROW("new.") " FROM search_docs"
	"  WHERE item_id = new.id;"
	" END",
	"CREATE TRIGGER items_search_delete AFTER DELETE ON items WHEN old.type = 'contact'"
	" BEGIN"
	" DELETE FROM contact_fts WHERE rowid = (SELECT docid FROM search_docs"
	"  WHERE item_id = old.id);"
	" DELETE FROM search_docs WHERE item_id = old.id;"
	" END",
	"CREATE TRIGGER items_search_update AFTER UPDATE ON items"
	" WHEN old.type = 'contact' OR new.type = 'contact'"
	" BEGIN"
	" DELETE FROM contact_fts WHERE rowid = (SELECT docid FROM search_docs"
	"  WHERE item_id = old.id);"
	" DELETE FROM search_docs WHERE item_id = old.id AND new.type IS NOT 'contact';"
	" INSERT OR IGNORE INTO search_docs(item_id) SELECT new.id WHERE new.type = 'contact';"
	" INSERT INTO contact_fts(rowid, folder, name, email, company, phone)"
	"  SELECT docid, new.folder_id, " FTS_ROW("new.") " FROM search_docs"
	"  WHERE new.type = 'contact' AND item_id = new.id;"
	" END",
	"CREATE TABLE directory_entries(principal_id TEXT PRIMARY KEY,"
	" is_group INTEGER NOT NULL, item_id TEXT NOT NULL) WITHOUT ROWID",
	/* the folder, its grant (reviewer: see, read all) and the users' entries,
	 * at a new modseq so that every client learns of them */
	"UPDATE meta SET value = value + 1 WHERE key = 'modseq'",
	"INSERT INTO folders(id, parent_id, owner_id, name, module, type, is_default, version,"
	" created_version) SELECT '" AS_GAB_FOLDER_ID "', NULL, NULL, '" AS_GAB_FOLDER_NAME "',"
	" 'contacts', 'public', 0, value, value FROM meta WHERE key = 'modseq'",
	"INSERT INTO folder_grants(folder_id, principal_id, is_group, folder_right, read, write,"
	" del, admin, created_version) SELECT '" AS_GAB_FOLDER_ID "', '" AS_GROUP_EVERYONE "', 1,"
	" 1, 2, 0, 0, 0, value FROM meta WHERE key = 'modseq'",
	"INSERT INTO items(id, folder_id, type, created_by, client_id, version, created_version,"
	" fields, field_versions) SELECT lower(hex(randomblob(12))), '" AS_GAB_FOLDER_ID "',"
	" 'contact', u.id, NULL, m.value, m.value,"
	" json_object('displayName', u.name, 'email1', u.email),"
	" json_object('displayName', m.value, 'email1', m.value)"
	" FROM users u, meta m WHERE m.key = 'modseq' ORDER BY u.login",
	"INSERT INTO directory_entries(principal_id, is_group, item_id)"
	" SELECT created_by, 0, id FROM items WHERE folder_id = '" AS_GAB_FOLDER_ID "'",
	NULL,
};


/* v6: the mail outbox (mail.h) and task alarms (reminders.h).
 *
 * mail_queue holds every queued message until it is sent (sent_at) or given
 * up (next_attempt NULL and sent_at NULL); last_error tells why the last
 * attempt failed.
 *
 * task_alarms indexes every task item: its folder, when its reminder falls
 * (remind_at), when it becomes overdue (due_at) and whether it is open
 * (status other than completed).  Triggers on items keep it in step with
 * every write, whoever makes it (item_put, item_delete, folder_delete), like
 * the search index of v5.  The stored values are wire DATETIMEs (model.h):
 * strftime reads the instant ("...Z"), and floating times and dates as UTC;
 * a due date is overdue from the end of that day.  alarms_sent records each
 * alarm dealt with, for the value it was sent for. */
#define TA_TIME(v) "CAST(strftime('%s', " v ") AS INTEGER)"
#define TA_REMIND(r) TA_TIME("json_extract(" r "fields, '$.reminder')")
#define TA_DUE(r) \
	"CASE WHEN length(json_extract(" r "fields, '$.due')) = 10" \
	" THEN CAST(strftime('%s', json_extract(" r "fields, '$.due'), '+1 day') AS INTEGER)" \
	" ELSE " TA_TIME("json_extract(" r "fields, '$.due')") " END"
#define TA_OPEN(r) "(ifnull(json_extract(" r "fields, '$.status'), '') IS NOT 'completed')"
#define TA_ROW(r) r "id, " r "folder_id, " TA_REMIND(r) ", " TA_DUE(r) ", " TA_OPEN(r)

static const char *const schema_v6[] = {
	"CREATE TABLE mail_queue(id INTEGER PRIMARY KEY, created INTEGER NOT NULL,"
	" rcpt TEXT NOT NULL, message BLOB NOT NULL, attempts INTEGER NOT NULL,"
	" next_attempt INTEGER, sent_at INTEGER, last_error TEXT)",
	"CREATE INDEX mail_queue_due ON mail_queue(next_attempt) WHERE sent_at IS NULL",
	"CREATE TABLE task_alarms(item_id TEXT PRIMARY KEY, folder_id TEXT NOT NULL,"
	" remind_at INTEGER, due_at INTEGER, open INTEGER NOT NULL)",
	"CREATE INDEX task_alarms_remind ON task_alarms(remind_at) WHERE open",
	"CREATE INDEX task_alarms_due ON task_alarms(due_at) WHERE open",
	"CREATE TABLE alarms_sent(item_id TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,"
	" PRIMARY KEY(item_id, kind, at)) WITHOUT ROWID",
	/* the tasks there are already */
	"INSERT INTO task_alarms(item_id, folder_id, remind_at, due_at, open)"
	" SELECT " TA_ROW("i.") " FROM items i WHERE i.type = 'task'",
	"CREATE TRIGGER items_alarms_insert AFTER INSERT ON items WHEN new.type = 'task'"
	" BEGIN"
	" INSERT OR REPLACE INTO task_alarms(item_id, folder_id, remind_at, due_at, open)"
	"  VALUES (" TA_ROW("new.") ");"
	" END",
	"CREATE TRIGGER items_alarms_update AFTER UPDATE ON items"
	" WHEN old.type = 'task' OR new.type = 'task'"
	" BEGIN"
	" DELETE FROM task_alarms WHERE item_id = old.id AND new.type IS NOT 'task';"
	" INSERT OR REPLACE INTO task_alarms(item_id, folder_id, remind_at, due_at, open)"
	"  SELECT " TA_ROW("new.") " WHERE new.type = 'task';"
	" END",
	"CREATE TRIGGER items_alarms_delete AFTER DELETE ON items WHEN old.type = 'task'"
	" BEGIN"
	" DELETE FROM task_alarms WHERE item_id = old.id;"
	" DELETE FROM alarms_sent WHERE item_id = old.id;"
	" END",
	NULL,
};

#undef TA_ROW
#undef TA_OPEN
#undef TA_DUE
#undef TA_REMIND
#undef TA_TIME

/* v7: which distribution lists reference which contacts (lists.h), kept by
 * triggers on items like the indexes of v5 and v6: one row per member with
 * a contactId. */
#define LR_ROWS(r) \
	"SELECT json_extract(m.value, '$.contactId'), " r "id" \
	" FROM json_each(" r "fields, '$.members') m" \
	" WHERE json_extract(m.value, '$.contactId') IS NOT NULL"

static const char *const schema_v7[] = {
	"CREATE TABLE list_refs(contact_id TEXT NOT NULL, list_id TEXT NOT NULL,"
	" PRIMARY KEY(contact_id, list_id)) WITHOUT ROWID",
	"CREATE INDEX list_refs_list ON list_refs(list_id)",
	"INSERT OR IGNORE INTO list_refs(contact_id, list_id)"
	" SELECT json_extract(m.value, '$.contactId'), i.id"
	" FROM items i, json_each(i.fields, '$.members') m"
	" WHERE i.type = 'distributionList' AND json_extract(m.value, '$.contactId') IS NOT NULL",
	"CREATE TRIGGER items_lists_insert AFTER INSERT ON items"
	" WHEN new.type = 'distributionList'"
	" BEGIN"
	" INSERT OR IGNORE INTO list_refs(contact_id, list_id) " LR_ROWS("new.") ";"
	" END",
	"CREATE TRIGGER items_lists_update AFTER UPDATE ON items"
	" WHEN old.type = 'distributionList' OR new.type = 'distributionList'"
	" BEGIN"
	" DELETE FROM list_refs WHERE list_id = old.id;"
	" INSERT OR IGNORE INTO list_refs(contact_id, list_id) " LR_ROWS("new.")
	"  AND new.type = 'distributionList';"
	" END",
	"CREATE TRIGGER items_lists_delete AFTER DELETE ON items"
	" WHEN old.type = 'distributionList'"
	" BEGIN"
	" DELETE FROM list_refs WHERE list_id = old.id;"
	" END",
	NULL,
};

#undef LR_ROWS

/* v8: resources and invitations.  A principal is a user or a resource
 * (a room or equipment: it has a calendar, takes bookings and cannot log
 * in); invitations themselves are items (server/invitations.c). */
static const char *const schema_v8[] = {
	"ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'user'",
	"ALTER TABLE users ADD COLUMN resource_type TEXT",
	NULL,
};

/* v9: the blob store's metadata (blobs.h): the blobs, who uploaded each
 * (an upload of content already there is recorded too: it proves the
 * uploader has the bytes), and which items reference which blobs, kept by
 * triggers on items like the indexes of v5 to v7 (photo.blobId and
 * attachments[].blobId of any item type). */
#define BR_ROWS(r) \
	"SELECT json_extract(" r "fields, '$.photo.blobId'), " r "id" \
	" WHERE json_extract(" r "fields, '$.photo.blobId') IS NOT NULL" \
	" UNION SELECT json_extract(a.value, '$.blobId'), " r "id" \
	" FROM json_each(" r "fields, '$.attachments') a" \
	" WHERE json_extract(a.value, '$.blobId') IS NOT NULL"
#define BR_HAS(r) \
	"(json_extract(" r "fields, '$.photo') IS NOT NULL" \
	" OR json_extract(" r "fields, '$.attachments') IS NOT NULL)"

static const char *const schema_v9[] = {
	"CREATE TABLE blobs(id TEXT PRIMARY KEY, size INTEGER NOT NULL, type TEXT NOT NULL,"
	" created INTEGER NOT NULL, uploaded_by TEXT NOT NULL) WITHOUT ROWID",
	"CREATE TABLE blob_uploads(blob_id TEXT NOT NULL, user_id TEXT NOT NULL,"
	" PRIMARY KEY(blob_id, user_id)) WITHOUT ROWID",
	"CREATE TABLE blob_refs(blob_id TEXT NOT NULL, item_id TEXT NOT NULL,"
	" PRIMARY KEY(blob_id, item_id)) WITHOUT ROWID",
	"CREATE INDEX blob_refs_item ON blob_refs(item_id)",
	"INSERT OR IGNORE INTO blob_refs(blob_id, item_id)"
	" SELECT json_extract(i.fields, '$.photo.blobId'), i.id FROM items i"
	" WHERE json_extract(i.fields, '$.photo.blobId') IS NOT NULL"
	" UNION SELECT json_extract(a.value, '$.blobId'), i.id"
	" FROM items i, json_each(i.fields, '$.attachments') a"
	" WHERE json_extract(a.value, '$.blobId') IS NOT NULL",
	"CREATE TRIGGER items_blobs_insert AFTER INSERT ON items WHEN " BR_HAS("new.")
	" BEGIN"
	" INSERT OR IGNORE INTO blob_refs(blob_id, item_id) " BR_ROWS("new.") ";"
	" END",
	"CREATE TRIGGER items_blobs_update AFTER UPDATE ON items"
	" WHEN " BR_HAS("old.") " OR " BR_HAS("new.")
	" BEGIN"
	" DELETE FROM blob_refs WHERE item_id = old.id;"
	" INSERT OR IGNORE INTO blob_refs(blob_id, item_id) " BR_ROWS("new.") ";"
	" END",
	"CREATE TRIGGER items_blobs_delete AFTER DELETE ON items WHEN " BR_HAS("old.")
	" BEGIN"
	" DELETE FROM blob_refs WHERE item_id = old.id;"
	" END",
	NULL,
};

#undef BR_HAS
#undef BR_ROWS

/* v10: distribution lists are found by Contact/search too (by their name:
 * the other columns stay empty), so the triggers of v5 index both types. */
#define FTS_TYPES(r) r "type IN ('contact', 'distributionList')"

static const char *const schema_v10[] = {
	"DROP TRIGGER IF EXISTS items_search_insert",
	"DROP TRIGGER IF EXISTS items_search_delete",
	"DROP TRIGGER IF EXISTS items_search_update",
	/* the lists there are already */
	"INSERT OR IGNORE INTO search_docs(item_id) SELECT id FROM items"
	" WHERE type = 'distributionList'",
	"INSERT INTO contact_fts(rowid, folder, name, email, company, phone)"
	" SELECT d.docid, i.folder_id, " FTS_ROW("i.") " FROM items i"
	" JOIN search_docs d ON d.item_id = i.id WHERE i.type = 'distributionList'",
	"CREATE TRIGGER items_search_insert AFTER INSERT ON items WHEN " FTS_TYPES("new.")
	" BEGIN"
	" INSERT INTO search_docs(item_id) VALUES (new.id);"
	" INSERT INTO contact_fts(rowid, folder, name, email, company, phone)"
	"  SELECT docid, new.folder_id, " FTS_ROW("new.") " FROM search_docs"
	"  WHERE item_id = new.id;"
	" END",
	"CREATE TRIGGER items_search_delete AFTER DELETE ON items WHEN " FTS_TYPES("old.")
	" BEGIN"
	" DELETE FROM contact_fts WHERE rowid = (SELECT docid FROM search_docs"
	"  WHERE item_id = old.id);"
	" DELETE FROM search_docs WHERE item_id = old.id;"
	" END",
	"CREATE TRIGGER items_search_update AFTER UPDATE ON items"
	" WHEN " FTS_TYPES("old.") " OR " FTS_TYPES("new.")
	" BEGIN"
	" DELETE FROM contact_fts WHERE rowid = (SELECT docid FROM search_docs"
	"  WHERE item_id = old.id);"
	" DELETE FROM search_docs WHERE item_id = old.id AND NOT " FTS_TYPES("new.") ";"
	" INSERT OR IGNORE INTO search_docs(item_id) SELECT new.id WHERE " FTS_TYPES("new.") ";"
	" INSERT INTO contact_fts(rowid, folder, name, email, company, phone)"
	"  SELECT docid, new.folder_id, " FTS_ROW("new.") " FROM search_docs"
	"  WHERE " FTS_TYPES("new.") " AND item_id = new.id;"
	" END",
	NULL,
};

#undef FTS_TYPES
#undef FTS_ROW
#undef FTS_PHONE
#undef FTS_DIGITS
#undef FTS_PHONES
#undef FTS_COMPANY
#undef FTS_EMAIL
#undef FTS_NAME
#undef FTS_SP
#undef FTS_F

/* v11: when a blob was last asked for or uploaded again, so that garbage
 * collection never takes one a client is about to reference. */
static const char *const schema_v11[] = {
	"ALTER TABLE blobs ADD COLUMN touched INTEGER",
	NULL,
};

/* v12: when each appointment can be busy (free/busy and conflict checks
 * read only those that may overlap a range).  A single appointment is
 * indexed by its start and end as instants (floating times and dates read
 * as UTC), widened by two days so that any zone they are read in stays
 * inside; a recurring one (rrule or rdates), or one whose times do not
 * parse, has NULLs: always a candidate.  Kept by triggers on items like the
 * other indexes. */
#define AS_TIME(v) "CAST(strftime('%s', " v ") AS INTEGER)"
#define AS_RECURS(r) \
	"(json_extract(" r "fields, '$.rrule') IS NOT NULL" \
	" OR json_extract(" r "fields, '$.rdates') IS NOT NULL)"
#define AS_ROW(r) \
	r "id, " r "folder_id," \
	" CASE WHEN " AS_RECURS(r) " THEN NULL" \
	" ELSE " AS_TIME("json_extract(" r "fields, '$.start')") " - 172800 END," \
	" CASE WHEN " AS_RECURS(r) " THEN NULL" \
	" ELSE " AS_TIME("json_extract(" r "fields, '$.end')") " + 172800 END"

static const char *const schema_v12[] = {
	"CREATE TABLE appt_spans(item_id TEXT PRIMARY KEY, folder_id TEXT NOT NULL,"
	" start_at INTEGER, end_at INTEGER) WITHOUT ROWID",
	"CREATE INDEX appt_spans_folder ON appt_spans(folder_id, start_at)",
	"INSERT INTO appt_spans(item_id, folder_id, start_at, end_at)"
	" SELECT " AS_ROW("i.") " FROM items i WHERE i.type = 'appointment'",
	"CREATE TRIGGER items_spans_insert AFTER INSERT ON items WHEN new.type = 'appointment'"
	" BEGIN"
	" INSERT OR REPLACE INTO appt_spans(item_id, folder_id, start_at, end_at)"
	"  VALUES (" AS_ROW("new.") ");"
	" END",
	"CREATE TRIGGER items_spans_update AFTER UPDATE ON items"
	" WHEN old.type = 'appointment' OR new.type = 'appointment'"
	" BEGIN"
	" DELETE FROM appt_spans WHERE item_id = old.id AND new.type IS NOT 'appointment';"
	" INSERT OR REPLACE INTO appt_spans(item_id, folder_id, start_at, end_at)"
	"  SELECT " AS_ROW("new.") " WHERE new.type = 'appointment';"
	" END",
	"CREATE TRIGGER items_spans_delete AFTER DELETE ON items WHEN old.type = 'appointment'"
	" BEGIN"
	" DELETE FROM appt_spans WHERE item_id = old.id;"
	" END",
	NULL,
};

#undef AS_ROW
#undef AS_RECURS
#undef AS_TIME

static const char *const *const migrations[] = {schema_v1, schema_v2, schema_v3, schema_v4,
						schema_v5, schema_v6, schema_v7, schema_v8,
						schema_v9, schema_v10, schema_v11, schema_v12};

typedef struct sq_store {
	as_store base;
	sqlite3 *db;
	sqlite3_stmt *stmts[S_COUNT];
	int64_t tx_modseq;     /* 0 until the first write of a write transaction */
	bool in_tx;
} sq_store;

static int db_fail(sq_store *s, at_error *err, const char *what)
{
	at_error_log("store", "%s: %s", what, sqlite3_errmsg(s->db));
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			    "storage failure (%s): %s", what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(sq_store *s, enum stmt_id id, at_error *err)
{
	if (s->stmts[id] == NULL) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmts[id], NULL) != SQLITE_OK) {
			db_fail(s, err, "prepare");
			return NULL;
		}
	}
	sqlite3_reset(s->stmts[id]);
	sqlite3_clear_bindings(s->stmts[id]);
	return s->stmts[id];
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static const char *col_text(sqlite3_stmt *st, int i, at_arena *a)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t == NULL ? NULL : at_arena_strdup(a, (const char *)t);
}

/* Runs a statement that returns no rows. */
static int exec_done(sq_store *s, sqlite3_stmt *st, at_error *err, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(s, err, what);
	return 0;
}

/* Steps through the rows of a bound statement, calling row(st, ctx) for
 * each; stops at the first row() < 0.  The statement is reset after. */
typedef int row_fn(sqlite3_stmt *st, void *ctx);

static int each_row(sq_store *s, sqlite3_stmt *st, row_fn *row, void *ctx, at_error *err,
		    const char *what)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row(st, ctx) < 0) {
			sqlite3_reset(st);
			return -1;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(s, err, what);
}

/* Rows of (id, version[, removed]) handed to an as_change_cb. */
struct change_rows {
	at_arena *a;
	as_change_cb *cb;
	void *ctx;
	bool removed;   /* value when the row has no third column */
};

static int change_row(sqlite3_stmt *st, void *p)
{
	struct change_rows *c = p;
	as_change ch = {col_text(st, 0, c->a), sqlite3_column_int64(st, 1),
			sqlite3_column_count(st) > 2 ? sqlite3_column_int(st, 2) != 0
						     : c->removed};
	return c->cb(c->ctx, &ch);
}

static int sq_begin(as_store *base, bool write, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, write ? S_BEGIN_WRITE : S_BEGIN_READ, err);
	if (st == NULL || exec_done(s, st, err, "begin") < 0)
		return -1;
	s->in_tx = true;
	s->tx_modseq = 0;
	return 0;
}

static int sq_commit(as_store *base, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_COMMIT, err);
	if (st == NULL || exec_done(s, st, err, "commit") < 0) {
		sqlite3_stmt *rb = stmt(s, S_ROLLBACK, NULL);
		if (rb != NULL)
			exec_done(s, rb, NULL, "rollback");
		s->in_tx = false;
		return -1;
	}
	s->in_tx = false;
	s->tx_modseq = 0;
	return 0;
}

static void sq_rollback(as_store *base)
{
	sq_store *s = (sq_store *)base;
	if (!s->in_tx)
		return;
	sqlite3_stmt *st = stmt(s, S_ROLLBACK, NULL);
	if (st != NULL)
		exec_done(s, st, NULL, "rollback");
	s->in_tx = false;
	s->tx_modseq = 0;
}

static int get_int(sq_store *s, enum stmt_id id, int64_t *v_r, at_error *err)
{
	sqlite3_stmt *st = stmt(s, id, err);
	if (st == NULL)
		return -1;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(s, err, "read counter");
	}
	*v_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int sq_tx_modseq(as_store *base, int64_t *modseq_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	if (s->tx_modseq == 0 && get_int(s, S_MODSEQ_BUMP, &s->tx_modseq, err) < 0)
		return -1;
	*modseq_r = s->tx_modseq;
	return 0;
}

static int sq_current_modseq(as_store *base, int64_t *modseq_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	if (s->tx_modseq != 0) {
		*modseq_r = s->tx_modseq;
		return 0;
	}
	return get_int(s, S_MODSEQ_GET, modseq_r, err);
}

static int sq_horizon(as_store *base, int64_t *horizon_r, at_error *err)
{
	return get_int((sq_store *)base, S_HORIZON_GET, horizon_r, err);
}

/* --- users --------------------------------------------------------------- */

static void read_user(sqlite3_stmt *st, at_arena *a, as_user *u)
{
	u->id = col_text(st, 0, a);
	u->login = col_text(st, 1, a);
	u->name = col_text(st, 2, a);
	u->email = col_text(st, 3, a);
	u->pw_hash = col_text(st, 4, a);
	u->created = sqlite3_column_int64(st, 5);
	u->kind = col_text(st, 6, a);
	u->resource_type = col_text(st, 7, a);
}

static int sq_user_add(as_store *base, const as_user *u, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_USER_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, u->id);
	bind_text(st, 2, u->login);
	bind_text(st, 3, u->name);
	bind_text(st, 4, u->email);
	bind_text(st, 5, u->pw_hash);
	sqlite3_bind_int64(st, 6, u->created);
	bind_text(st, 7, u->kind != NULL ? u->kind : AS_KIND_USER);
	bind_text(st, 8, u->resource_type);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return at_error_set(err, AT_E_EXISTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "login",
				    "a user with login \"%s\" already exists", u->login);
	if (rc != SQLITE_DONE)
		return db_fail(s, err, "add user");
	return 0;
}

static int user_get(sq_store *s, enum stmt_id id, const char *key, at_arena *a,
		    as_user *u_r, bool *found_r, at_error *err)
{
	sqlite3_stmt *st = stmt(s, id, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	int rc = sqlite3_step(st);
	*found_r = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		read_user(st, a, u_r);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read user");
	return 0;
}

static int sq_user_get_by_login(as_store *base, const char *login, at_arena *a,
				as_user *u_r, bool *found_r, at_error *err)
{
	return user_get((sq_store *)base, S_USER_BY_LOGIN, login, a, u_r, found_r, err);
}

static int sq_user_get_by_id(as_store *base, const char *id, at_arena *a,
			     as_user *u_r, bool *found_r, at_error *err)
{
	return user_get((sq_store *)base, S_USER_BY_ID, id, a, u_r, found_r, err);
}

struct user_rows {
	at_arena *a;
	as_user_cb *cb;
	void *ctx;
};

static int user_row(sqlite3_stmt *st, void *p)
{
	struct user_rows *u = p;
	as_user user;
	read_user(st, u->a, &user);
	return u->cb(u->ctx, &user);
}

static int sq_user_list(as_store *base, at_arena *a, as_user_cb *cb, void *ctx,
			at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_USER_LIST, err);
	struct user_rows rows = {a, cb, ctx};
	return st == NULL ? -1 : each_row(s, st, user_row, &rows, err, "list users");
}

static int sq_user_set_password(as_store *base, const char *id, const char *pw_hash,
				at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_USER_SET_PW, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	bind_text(st, 2, pw_hash);
	return exec_done(s, st, err, "set password");
}

/* --- tokens and throttling ------------------------------------------------ */

static int sq_token_add(as_store *base, const char *hash, const char *user_id,
			int64_t expires, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_TOKEN_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash);
	bind_text(st, 2, user_id);
	sqlite3_bind_int64(st, 3, expires);
	return exec_done(s, st, err, "add token");
}

static int sq_token_lookup(as_store *base, const char *hash, at_arena *a,
			   const char **user_id_r, int64_t *expires_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_TOKEN_GET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash);
	int rc = sqlite3_step(st);
	*user_id_r = NULL;
	if (rc == SQLITE_ROW) {
		*user_id_r = col_text(st, 0, a);
		*expires_r = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read token");
	return 0;
}

static int sq_token_delete(as_store *base, const char *hash, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_TOKEN_DEL, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash);
	return exec_done(s, st, err, "delete token");
}

static int sq_token_delete_user(as_store *base, const char *user_id, const char *keep_hash,
				at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_TOKEN_DEL_USER, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	bind_text(st, 2, keep_hash);
	return exec_done(s, st, err, "delete tokens");
}

static int sq_login_failures_get(as_store *base, const char *login, int *count_r,
				 int64_t *last_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_FAIL_GET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, login);
	int rc = sqlite3_step(st);
	*count_r = 0;
	*last_r = 0;
	if (rc == SQLITE_ROW) {
		*count_r = sqlite3_column_int(st, 0);
		*last_r = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read login failures");
	return 0;
}

static int sq_login_failures_set(as_store *base, const char *login, int count,
				 int64_t last, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, count == 0 ? S_FAIL_DEL : S_FAIL_SET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, login);
	if (count != 0) {
		sqlite3_bind_int(st, 2, count);
		sqlite3_bind_int64(st, 3, last);
	}
	return exec_done(s, st, err, "write login failures");
}

/* --- folders --------------------------------------------------------------- */

static void read_folder(sqlite3_stmt *st, at_arena *a, as_folder *f)
{
	f->id = col_text(st, 0, a);
	f->parent_id = col_text(st, 1, a);
	f->owner_id = col_text(st, 2, a);
	f->name = col_text(st, 3, a);
	at_module_parse((const char *)sqlite3_column_text(st, 4), &f->module);
	at_folder_type_parse((const char *)sqlite3_column_text(st, 5), &f->type);
	f->is_default = sqlite3_column_int(st, 6) != 0;
	f->version = sqlite3_column_int64(st, 7);
	f->created_version = sqlite3_column_int64(st, 8);
	f->granted_version = sqlite3_column_count(st) > 9 ? sqlite3_column_int64(st, 9) : 0;
}

static int sq_folder_add(as_store *base, as_folder *f, at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_FOLDER_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, f->id);
	bind_text(st, 2, f->parent_id);
	bind_text(st, 3, f->owner_id);
	bind_text(st, 4, f->name);
	bind_text(st, 5, at_module_name(f->module));
	bind_text(st, 6, at_folder_type_name(f->type));
	sqlite3_bind_int(st, 7, f->is_default);
	sqlite3_bind_int64(st, 8, modseq);
	if (exec_done(s, st, err, "add folder") < 0)
		return -1;
	f->version = f->created_version = modseq;
	return 0;
}

static int sq_folder_get(as_store *base, const char *id, at_arena *a, as_folder *f_r,
			 bool *found_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_FOLDER_GET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	int rc = sqlite3_step(st);
	*found_r = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		read_folder(st, a, f_r);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read folder");
	return 0;
}

struct folder_rows {
	at_arena *a;
	as_folder_cb *cb;
	void *ctx;
};

static int folder_row(sqlite3_stmt *st, void *p)
{
	struct folder_rows *f = p;
	as_folder folder;
	read_folder(st, f->a, &folder);
	return f->cb(f->ctx, &folder);
}

static int sq_folder_list_owned(as_store *base, const char *owner_id, int64_t since,
				at_arena *a, as_folder_cb *cb, void *ctx, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_FOLDER_OWNED, err);
	struct folder_rows rows = {a, cb, ctx};
	if (st == NULL)
		return -1;
	bind_text(st, 1, owner_id);
	sqlite3_bind_int64(st, 2, since);
	return each_row(s, st, folder_row, &rows, err, "list folders");
}

static int sq_folder_removed_since(as_store *base, const char *owner_id, int64_t since,
				   at_arena *a, as_change_cb *cb, void *ctx, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_FOLDER_REMOVED, err);
	struct change_rows rows = {a, cb, ctx, true};
	if (st == NULL)
		return -1;
	bind_text(st, 1, owner_id);
	sqlite3_bind_int64(st, 2, since);
	return each_row(s, st, change_row, &rows, err, "list removed folders");
}

static int sq_folder_touch(as_store *base, const char *folder_id, at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_FOLDER_TOUCH, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	sqlite3_bind_int64(st, 2, modseq);
	return exec_done(s, st, err, "touch folder");
}

static int sq_folder_children(as_store *base, const char *parent_id, const char *owner_id,
			      at_arena *a, as_folder_cb *cb, void *ctx, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, parent_id != NULL ? S_FOLDER_CHILDREN : S_FOLDER_TOPS, err);
	struct folder_rows rows = {a, cb, ctx};
	if (st == NULL)
		return -1;
	bind_text(st, 1, parent_id != NULL ? parent_id : owner_id);
	return each_row(s, st, folder_row, &rows, err, "list child folders");
}

static int sq_folder_update(as_store *base, as_folder *f, at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_FOLDER_UPDATE, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, f->id);
	bind_text(st, 2, f->name);
	bind_text(st, 3, f->parent_id);
	sqlite3_bind_int64(st, 4, modseq);
	if (exec_done(s, st, err, "update folder") < 0)
		return -1;
	f->version = modseq;
	return 0;
}

static int sq_folder_delete(as_store *base, const char *folder_id, at_error *err)
{
	static const enum stmt_id steps[] = {S_FOLDER_ITEMS_DEL, S_FOLDER_ITEM_TOMBS_DEL,
					     S_FOLDER_GRANTS_DEL, S_FOLDER_DEL};
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	/* the tombstone first: it copies the owner from the folder's row */
	sqlite3_stmt *st = stmt(s, S_FOLDER_TOMB_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	sqlite3_bind_int64(st, 2, modseq);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	if (exec_done(s, st, err, "add folder tombstone") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if ((st = stmt(s, steps[i], err)) == NULL)
			return -1;
		bind_text(st, 1, folder_id);
		if (exec_done(s, st, err, "delete folder") < 0)
			return -1;
	}
	return 0;
}

static int sq_folder_client_id_add(as_store *base, const char *user_id, const char *client_id,
				   const char *folder_id, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_FCLIENT_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	bind_text(st, 2, client_id);
	bind_text(st, 3, folder_id);
	return exec_done(s, st, err, "record folder client id");
}

static int sq_folder_client_id_lookup(as_store *base, const char *user_id,
				      const char *client_id, at_arena *a,
				      const char **folder_id_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_FCLIENT_GET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	bind_text(st, 2, client_id);
	int rc = sqlite3_step(st);
	*folder_id_r = rc == SQLITE_ROW ? col_text(st, 0, a) : NULL;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read folder client id");
	return 0;
}

static int sq_folders_granted_to(as_store *base, const char *user_id, at_arena *a,
				 as_folder_cb *cb, void *ctx, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_FOLDERS_GRANTED, err);
	struct folder_rows rows = {a, cb, ctx};
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	return each_row(s, st, folder_row, &rows, err, "list granted folders");
}

/* --- groups ---------------------------------------------------------------- */

/* A growing array in an arena: returns the slot for one more element. */
static void *arena_push(at_arena *a, void **base, size_t *n, size_t *cap, size_t elem)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *nb = at_arena_alloc(a, ncap * elem);
		if (*n > 0)
			memcpy(nb, *base, *n * elem);
		*base = nb;
		*cap = ncap;
	}
	return (char *)*base + (*n)++ * elem;
}

struct member_rows {
	at_arena *a;
	as_user *v;
	size_t n, cap;
};

static int member_row(sqlite3_stmt *st, void *p)
{
	struct member_rows *m = p;
	as_user *u = arena_push(m->a, (void **)&m->v, &m->n, &m->cap, sizeof(*u));
	u->id = col_text(st, 0, m->a);
	u->login = col_text(st, 1, m->a);
	u->name = col_text(st, 2, m->a);
	return 0;
}

static int group_members(sq_store *s, as_group *g, at_arena *a, at_error *err)
{
	sqlite3_stmt *st = stmt(s, S_GROUP_MEMBERS, err);
	struct member_rows rows = {a, NULL, 0, 0};
	if (st == NULL)
		return -1;
	bind_text(st, 1, g->id);
	if (each_row(s, st, member_row, &rows, err, "list group members") < 0)
		return -1;
	g->members = rows.v;
	g->n_members = rows.n;
	return 0;
}

static int sq_group_add(as_store *base, const as_group *g, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_GROUP_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, g->id);
	bind_text(st, 2, g->name);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return at_error_set(err, AT_E_EXISTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "name",
				    "a group named \"%s\" already exists", g->name);
	if (rc != SQLITE_DONE)
		return db_fail(s, err, "add group");
	return 0;
}

static int group_get(sq_store *s, enum stmt_id id, const char *key, at_arena *a,
		     as_group *g_r, bool *found_r, at_error *err)
{
	sqlite3_stmt *st = stmt(s, id, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	int rc = sqlite3_step(st);
	*found_r = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW) {
		memset(g_r, 0, sizeof(*g_r));
		g_r->id = col_text(st, 0, a);
		g_r->name = col_text(st, 1, a);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read group");
	return *found_r ? group_members(s, g_r, a, err) : 0;
}

static int sq_group_get_by_name(as_store *base, const char *name, at_arena *a,
				as_group *g_r, bool *found_r, at_error *err)
{
	return group_get((sq_store *)base, S_GROUP_BY_NAME, name, a, g_r, found_r, err);
}

static int sq_group_get_by_id(as_store *base, const char *id, at_arena *a,
			      as_group *g_r, bool *found_r, at_error *err)
{
	return group_get((sq_store *)base, S_GROUP_BY_ID, id, a, g_r, found_r, err);
}

struct group_rows {
	at_arena *a;
	as_group *v;
	size_t n, cap;
};

static int group_row(sqlite3_stmt *st, void *p)
{
	struct group_rows *g = p;
	as_group *gr = arena_push(g->a, (void **)&g->v, &g->n, &g->cap, sizeof(*gr));
	memset(gr, 0, sizeof(*gr));
	gr->id = col_text(st, 0, g->a);
	gr->name = col_text(st, 1, g->a);
	return 0;
}

static int sq_group_list(as_store *base, at_arena *a, as_group_cb *cb, void *ctx,
			 at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_GROUP_LIST, err);
	struct group_rows rows = {a, NULL, 0, 0};
	/* all groups first: the members query reuses the connection */
	if (st == NULL || each_row(s, st, group_row, &rows, err, "list groups") < 0)
		return -1;
	for (size_t i = 0; i < rows.n; i++) {
		if (group_members(s, &rows.v[i], a, err) < 0)
			return -1;
		if (cb(ctx, &rows.v[i]) < 0)
			return -1;
	}
	return 0;
}

static int sq_group_member_add(as_store *base, const char *group_id, const char *user_id,
			       at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (strcmp(group_id, AS_GROUP_EVERYONE) == 0)
		return at_error_set(err, AT_E_EXISTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "every user is a member of the group \"everyone\" already");
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_MEMBER_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, group_id);
	bind_text(st, 2, user_id);
	sqlite3_bind_int64(st, 3, modseq);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return at_error_set(err, AT_E_EXISTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "the user is a member of the group already");
	if (rc != SQLITE_DONE)
		return db_fail(s, err, "add group member");
	return 0;
}

struct id_rows {
	at_arena *a;
	const char **v;
	size_t n, cap;
};

static int id_row(sqlite3_stmt *st, void *p)
{
	struct id_rows *r = p;
	const char **slot = arena_push(r->a, (void **)&r->v, &r->n, &r->cap, sizeof(*slot));
	*slot = col_text(st, 0, r->a);
	return 0;
}

/* The first column of every row of a bound statement, as an arena array
 * of strings (NULL and 0 for none). */
static int id_list(sq_store *s, sqlite3_stmt *st, at_arena *a, const char ***ids_r,
		   size_t *n_r, at_error *err, const char *what)
{
	struct id_rows rows = {a, NULL, 0, 0};
	*ids_r = NULL;
	*n_r = 0;
	if (each_row(s, st, id_row, &rows, err, what) < 0)
		return -1;
	*ids_r = rows.v;
	*n_r = rows.n;
	return 0;
}

static int sq_groups_of_user(as_store *base, const char *user_id, at_arena *a,
			     const char ***ids_r, size_t *n_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_GROUPS_OF_USER, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	return id_list(s, st, a, ids_r, n_r, err, "list groups of user");
}

/* --- grants ---------------------------------------------------------------- */

struct grant_rows {
	at_arena *a;
	at_grant *v;
	size_t n, cap;
};

static int grant_row(sqlite3_stmt *st, void *p)
{
	struct grant_rows *r = p;
	at_grant *g = arena_push(r->a, (void **)&r->v, &r->n, &r->cap, sizeof(*g));
	g->principal_id = col_text(st, 0, r->a);
	g->is_group = sqlite3_column_int(st, 1) != 0;
	int fr = sqlite3_column_int(st, 2), rd = sqlite3_column_int(st, 3),
	    wr = sqlite3_column_int(st, 4), dl = sqlite3_column_int(st, 5);
	/* clamp: a damaged row never grants more than the strongest right */
	g->rights.folder = (at_folder_right)(fr < 0 ? 0 : fr > AT_FR_SUBFOLDERS ? AT_FR_SUBFOLDERS : fr);
	g->rights.read = (at_obj_right)(rd < 0 ? 0 : rd > AT_OR_ALL ? AT_OR_ALL : rd);
	g->rights.write = (at_obj_right)(wr < 0 ? 0 : wr > AT_OR_ALL ? AT_OR_ALL : wr);
	g->rights.del = (at_obj_right)(dl < 0 ? 0 : dl > AT_OR_ALL ? AT_OR_ALL : dl);
	g->rights.admin = sqlite3_column_int(st, 6) != 0;
	return 0;
}

static int sq_grants_get(as_store *base, const char *folder_id, at_arena *a,
			 at_grant **grants_r, size_t *n_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_GRANTS_GET, err);
	struct grant_rows rows = {a, NULL, 0, 0};
	*grants_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	if (each_row(s, st, grant_row, &rows, err, "read grants") < 0)
		return -1;
	*grants_r = rows.v;
	*n_r = rows.n;
	return 0;
}

static int sq_grant_set(as_store *base, const char *folder_id, const char *principal_id,
			bool is_group, const at_rights *r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_GRANT_SET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	bind_text(st, 2, principal_id);
	sqlite3_bind_int(st, 3, is_group);
	sqlite3_bind_int(st, 4, (int)r->folder);
	sqlite3_bind_int(st, 5, (int)r->read);
	sqlite3_bind_int(st, 6, (int)r->write);
	sqlite3_bind_int(st, 7, (int)r->del);
	sqlite3_bind_int(st, 8, r->admin);
	sqlite3_bind_int64(st, 9, modseq);
	return exec_done(s, st, err, "set grant");
}

static int sq_grant_remove(as_store *base, const char *folder_id, const char *principal_id,
			   bool *removed_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_GRANT_DEL, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	bind_text(st, 2, principal_id);
	if (exec_done(s, st, err, "remove grant") < 0)
		return -1;
	if (removed_r != NULL)
		*removed_r = sqlite3_changes(s->db) > 0;
	return 0;
}

static int sq_access_tombstone_add(as_store *base, const char *user_id, const char *folder_id,
				   at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_ACCESS_TOMB_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	bind_text(st, 2, folder_id);
	sqlite3_bind_int64(st, 3, modseq);
	return exec_done(s, st, err, "add access tombstone");
}

static int sq_access_removed_since(as_store *base, const char *user_id, int64_t since,
				   at_arena *a, as_change_cb *cb, void *ctx, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_ACCESS_REMOVED, err);
	struct change_rows rows = {a, cb, ctx, true};
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	sqlite3_bind_int64(st, 2, since);
	return each_row(s, st, change_row, &rows, err, "list access tombstones");
}

/* --- items ----------------------------------------------------------------- */

void as_item_clear(as_item *item)
{
	json_decref(item->fields);
	json_decref(item->field_versions);
	memset(item, 0, sizeof(*item));
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	json_t *v = t != NULL ? json_loads(t, 0, NULL) : NULL;
	return v != NULL ? v : json_object();
}

static int sq_item_get(as_store *base, const char *id, at_arena *a, as_item *item_r,
		       bool *found_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_ITEM_GET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	int rc = sqlite3_step(st);
	*found_r = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW) {
		item_r->id = col_text(st, 0, a);
		item_r->folder_id = col_text(st, 1, a);
		item_r->type = col_text(st, 2, a);
		item_r->created_by = col_text(st, 3, a);
		item_r->client_id = col_text(st, 4, a);
		item_r->version = sqlite3_column_int64(st, 5);
		item_r->created_version = sqlite3_column_int64(st, 6);
		item_r->fields = col_json(st, 7);
		item_r->field_versions = col_json(st, 8);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read item");
	return 0;
}

static int sq_client_id_lookup(as_store *base, const char *user_id, const char *client_id,
			       at_arena *a, const char **item_id_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_CLIENT_GET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, user_id);
	bind_text(st, 2, client_id);
	int rc = sqlite3_step(st);
	*item_id_r = rc == SQLITE_ROW ? col_text(st, 0, a) : NULL;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read client id");
	return 0;
}

static int sq_item_put(as_store *base, as_item *item, bool insert, at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	int rc = -1;
	char *fields = NULL, *versions = NULL;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		goto done;
	fields = json_dumps(item->fields, JSON_COMPACT);
	versions = json_dumps(item->field_versions, JSON_COMPACT);
	if (fields == NULL || versions == NULL) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_TEMPORARY, NULL,
			     "cannot encode item");
		goto done;
	}
	sqlite3_stmt *st = stmt(s, insert ? S_ITEM_INSERT : S_ITEM_UPDATE, err);
	if (st == NULL)
		goto done;
	bind_text(st, 1, item->id);
	if (insert) {
		bind_text(st, 2, item->folder_id);
		bind_text(st, 3, item->type);
		bind_text(st, 4, item->created_by);
		bind_text(st, 5, item->client_id);
		sqlite3_bind_int64(st, 6, modseq);
		bind_text(st, 7, fields);
		bind_text(st, 8, versions);
	} else {
		bind_text(st, 2, item->folder_id);
		bind_text(st, 3, item->type);
		sqlite3_bind_int64(st, 4, modseq);
		bind_text(st, 5, fields);
		bind_text(st, 6, versions);
	}
	if (exec_done(s, st, err, insert ? "insert item" : "update item") < 0)
		goto done;
	if (insert) {
		item->created_version = modseq;
		/* an item coming (back) into a folder is no longer removed there */
		st = stmt(s, S_TOMB_CLEAR, err);
		if (st == NULL)
			goto done;
		bind_text(st, 1, item->folder_id);
		bind_text(st, 2, item->id);
		if (exec_done(s, st, err, "clear tombstone") < 0)
			goto done;
		if (item->client_id != NULL) {
			st = stmt(s, S_CLIENT_ADD, err);
			if (st == NULL)
				goto done;
			bind_text(st, 1, item->created_by);
			bind_text(st, 2, item->client_id);
			bind_text(st, 3, item->id);
			if (exec_done(s, st, err, "record client id") < 0)
				goto done;
		}
	}
	item->version = modseq;
	rc = 0;
done:
	free(fields);
	free(versions);
	return rc;
}

static int sq_item_delete(as_store *base, const char *id, const char *folder_id,
			  at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_ITEM_DELETE, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	if (exec_done(s, st, err, "delete item") < 0)
		return -1;
	st = stmt(s, S_TOMB_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	bind_text(st, 2, folder_id);
	sqlite3_bind_int64(st, 3, modseq);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	return exec_done(s, st, err, "add tombstone");
}

static int sq_item_move(as_store *base, as_item *item, const char *folder_id, at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t modseq;
	const char *from = item->folder_id;
	if (sq_tx_modseq(base, &modseq, err) < 0)
		return -1;
	sqlite3_stmt *st = stmt(s, S_TOMB_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, item->id);
	bind_text(st, 2, from);
	sqlite3_bind_int64(st, 3, modseq);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	if (exec_done(s, st, err, "add tombstone") < 0)
		return -1;
	st = stmt(s, S_TOMB_CLEAR, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	bind_text(st, 2, item->id);
	if (exec_done(s, st, err, "clear tombstone") < 0)
		return -1;
	item->folder_id = folder_id;
	return sq_item_put(base, item, false, err);
}

static int sq_changes(as_store *base, const char *folder_id, const at_token *since,
		      unsigned limit, at_arena *a, as_change_cb *cb, void *ctx,
		      at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_CHANGES, err);
	struct change_rows rows = {a, cb, ctx, false};
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	sqlite3_bind_int64(st, 2, since->modseq);
	/* no last id: nothing of modseq itself is after the token ("\x7f" sorts
	 * after every id) */
	bind_text(st, 3, since->last_id[0] != '\0' ? since->last_id : "\x7f");
	sqlite3_bind_int(st, 4, (int)limit);
	return each_row(s, st, change_row, &rows, err, "list changes");
}

static int sq_item_list(as_store *base, const char *folder_id, at_arena *a,
			as_change_cb *cb, void *ctx, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_ITEM_LIST, err);
	struct change_rows rows = {a, cb, ctx, false};
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	return each_row(s, st, change_row, &rows, err, "list items");
}

/* The horizon becomes the newest modseq among the item and folder
 * tombstones deleted at or before `before`; then every folder and access
 * tombstone at or below the horizon goes too: no token the server still
 * answers is old enough to need it. */
static int sq_purge_tombstones(as_store *base, int64_t before, int64_t *purged_r,
			       at_error *err)
{
	sq_store *s = (sq_store *)base;
	int64_t horizon;
	*purged_r = 0;
	sqlite3_stmt *st = stmt(s, S_TOMB_MAXPURGE, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	int rc = sqlite3_step(st);
	bool any = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	int64_t max = any ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return db_fail(s, err, "scan tombstones");
	if (any) {
		if ((st = stmt(s, S_HORIZON_SET, err)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, max);
		if (exec_done(s, st, err, "raise horizon") < 0)
			return -1;
		if ((st = stmt(s, S_TOMB_PURGE, err)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, before);
		if (exec_done(s, st, err, "purge tombstones") < 0)
			return -1;
		*purged_r += sqlite3_changes(s->db);
	}
	if (get_int(s, S_HORIZON_GET, &horizon, err) < 0)
		return -1;
	if ((st = stmt(s, S_FOLDER_TOMB_PURGE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, horizon);
	if (exec_done(s, st, err, "purge folder tombstones") < 0)
		return -1;
	*purged_r += sqlite3_changes(s->db);
	if ((st = stmt(s, S_ACCESS_TOMB_PURGE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, horizon);
	if (exec_done(s, st, err, "purge access tombstones") < 0)
		return -1;
	*purged_r += sqlite3_changes(s->db);
	return 0;
}

/* --- directory entries and contact search ------------------------------------ */

static int sq_directory_entry_get(as_store *base, const char *principal_id, at_arena *a,
				  const char **item_id_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_DIR_GET, err);
	*item_id_r = NULL;
	if (st == NULL)
		return -1;
	bind_text(st, 1, principal_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*item_id_r = col_text(st, 0, a);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read directory entry");
	return 0;
}

static int sq_directory_entry_set(as_store *base, const char *principal_id, bool is_group,
				  const char *item_id, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_DIR_SET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, principal_id);
	sqlite3_bind_int(st, 2, is_group);
	bind_text(st, 3, item_id);
	return exec_done(s, st, err, "write directory entry");
}

static int sq_contact_search(as_store *base, const char *folder_id, const char *const *words,
			     size_t n_words, at_arena *a, as_id_cb *cb, void *ctx,
			     bool *truncated_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_CONTACT_SEARCH, err);
	*truncated_r = false;
	if (st == NULL)
		return -1;
	/* the MATCH text is a bound value built from quoted words: see
	 * fts5_query.h */
	bind_text(st, 1, as_fts5_query(a, folder_id, words, n_words));
	sqlite3_bind_int(st, 2, AS_SEARCH_RANKED_MAX);
	int rc, stop = 0, rows = 0;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		stop = cb(ctx, (const char *)sqlite3_column_text(st, 0));
	}
	*truncated_r = stop == 0 && rows == AS_SEARCH_RANKED_MAX;
	sqlite3_reset(st);
	if (stop < 0)
		return -1;
	if (stop == 0 && rc != SQLITE_DONE)
		return db_fail(s, err, "search contacts");
	return 0;
}

/* --- mail outbox and task alarms ---------------------------------------------- */

static int sq_mail_enqueue(as_store *base, const char *rcpt, const char *message, size_t len,
			   int64_t now, int64_t *id_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_MAIL_ADD, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, rcpt);
	sqlite3_bind_blob64(st, 3, message, len, SQLITE_STATIC);
	if (exec_done(s, st, err, "queue mail") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int sq_mail_next_due(as_store *base, int64_t now, at_arena *a, as_mail_row *row_r,
			    bool *found_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_MAIL_NEXT, err);
	*found_r = false;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found_r = true;
		row_r->id = sqlite3_column_int64(st, 0);
		row_r->created = sqlite3_column_int64(st, 1);
		row_r->rcpt = col_text(st, 2, a);
		const void *blob = sqlite3_column_blob(st, 3);
		int n = sqlite3_column_bytes(st, 3);
		char *m = at_arena_alloc(a, (size_t)n + 1);
		if (n > 0)
			memcpy(m, blob, (size_t)n);
		m[n] = '\0';
		row_r->message = m;
		row_r->len = (size_t)n;
		row_r->attempts = sqlite3_column_int(st, 4);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read mail queue");
	return 0;
}

static int sq_mail_mark_sent(as_store *base, int64_t id, int64_t now, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_MAIL_SENT, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	return exec_done(s, st, err, "mark mail sent");
}

static int sq_mail_mark_failed(as_store *base, int64_t id, int64_t retry_at, const char *error,
			       at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_MAIL_FAILED, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (retry_at > 0)
		sqlite3_bind_int64(st, 2, retry_at);
	else
		sqlite3_bind_null(st, 2);
	bind_text(st, 3, error);
	return exec_done(s, st, err, "mark mail failed");
}

static int sq_mail_purge(as_store *base, int64_t before, int64_t *purged_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_MAIL_PURGE, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	if (exec_done(s, st, err, "purge the mail queue") < 0)
		return -1;
	if (purged_r != NULL)
		*purged_r = sqlite3_changes(s->db);
	return 0;
}

static int sq_task_alarms_due(as_store *base, int64_t now, as_alarm_cb *cb, void *ctx,
			      at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_ALARMS_DUE, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int rc, stop = 0;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = cb(ctx, (const char *)sqlite3_column_text(st, 0),
			  (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
	if (stop < 0)
		return -1;
	if (stop == 0 && rc != SQLITE_DONE)
		return db_fail(s, err, "list task alarms");
	return 0;
}

static int sq_alarm_mark_sent(as_store *base, const char *item_id, const char *kind,
			      int64_t at, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_ALARM_SENT, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, item_id);
	bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, at);
	return exec_done(s, st, err, "record task alarm");
}

static int sq_lists_referencing(as_store *base, const char *contact_id, at_arena *a,
				const char ***ids_r, size_t *n_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_LISTS_OF, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, contact_id);
	return id_list(s, st, a, ids_r, n_r, err, "list the lists of a contact");
}

static int sq_blob_add(as_store *base, const as_blob *b, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_BLOB_ADD, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, b->id);
	sqlite3_bind_int64(st, 2, b->size);
	bind_text(st, 3, b->type);
	sqlite3_bind_int64(st, 4, b->created);
	bind_text(st, 5, b->uploaded_by);
	if (exec_done(s, st, err, "record blob") < 0)
		return -1;
	if ((st = stmt(s, S_BLOB_UPLOAD_ADD, err)) == NULL)
		return -1;
	bind_text(st, 1, b->id);
	bind_text(st, 2, b->uploaded_by);
	return exec_done(s, st, err, "record blob upload");
}

static int sq_blob_get(as_store *base, const char *blob_id, at_arena *a, as_blob *b_r,
		       bool *found_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_BLOB_GET, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, blob_id);
	int rc = sqlite3_step(st);
	*found_r = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW) {
		b_r->id = col_text(st, 0, a);
		b_r->size = sqlite3_column_int64(st, 1);
		b_r->type = col_text(st, 2, a);
		b_r->created = sqlite3_column_int64(st, 3);
		b_r->uploaded_by = col_text(st, 4, a);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read blob");
	return 0;
}

static int sq_blob_uploaded(as_store *base, const char *blob_id, const char *user_id,
			    bool *yes_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_BLOB_UPLOADED, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, blob_id);
	bind_text(st, 2, user_id);
	int rc = sqlite3_step(st);
	*yes_r = rc == SQLITE_ROW;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read blob uploads");
	return 0;
}

static int sq_blob_referencing(as_store *base, const char *blob_id, size_t max, at_arena *a,
			       const char ***ids_r, size_t *n_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_BLOB_REFS, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, blob_id);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	return id_list(s, st, a, ids_r, n_r, err, "list the items of a blob");
}

static int sq_appointments_in_range(as_store *base, const char *folder_id, int64_t from,
				    int64_t to, at_arena *a, const char ***ids_r, size_t *n_r,
				    at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_APPTS_IN_RANGE, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, folder_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	return id_list(s, st, a, ids_r, n_r, err, "list appointments of a range");
}

static int sq_blob_touch(as_store *base, const char *blob_id, int64_t now, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_BLOB_TOUCH, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, blob_id);
	sqlite3_bind_int64(st, 2, now);
	return exec_done(s, st, err, "touch blob");
}

static int sq_blobs_unreferenced(as_store *base, int64_t before, size_t max, at_arena *a,
				 const char ***ids_r, size_t *n_r, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_BLOB_UNREF, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return id_list(s, st, a, ids_r, n_r, err, "list unreferenced blobs");
}

static int sq_blob_delete(as_store *base, const char *blob_id, at_error *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = stmt(s, S_BLOB_UPLOADS_DEL, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, blob_id);
	if (exec_done(s, st, err, "forget blob uploads") < 0)
		return -1;
	st = stmt(s, S_BLOB_DEL, err);
	if (st == NULL)
		return -1;
	bind_text(st, 1, blob_id);
	return exec_done(s, st, err, "forget blob");
}

static void sq_close(as_store *base)
{
	sq_store *s = (sq_store *)base;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close(s->db);
	free(s);
}

static const as_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.tx_modseq = sq_tx_modseq,
	.current_modseq = sq_current_modseq,
	.horizon = sq_horizon,
	.user_add = sq_user_add,
	.user_get_by_login = sq_user_get_by_login,
	.user_get_by_id = sq_user_get_by_id,
	.user_list = sq_user_list,
	.user_set_password = sq_user_set_password,
	.token_add = sq_token_add,
	.token_lookup = sq_token_lookup,
	.token_delete = sq_token_delete,
	.token_delete_user = sq_token_delete_user,
	.login_failures_get = sq_login_failures_get,
	.login_failures_set = sq_login_failures_set,
	.folder_add = sq_folder_add,
	.folder_get = sq_folder_get,
	.folder_list_owned = sq_folder_list_owned,
	.folder_removed_since = sq_folder_removed_since,
	.folder_touch = sq_folder_touch,
	.folder_children = sq_folder_children,
	.folder_update = sq_folder_update,
	.folder_delete = sq_folder_delete,
	.folder_client_id_add = sq_folder_client_id_add,
	.folder_client_id_lookup = sq_folder_client_id_lookup,
	.group_add = sq_group_add,
	.group_get_by_name = sq_group_get_by_name,
	.group_get_by_id = sq_group_get_by_id,
	.group_list = sq_group_list,
	.group_member_add = sq_group_member_add,
	.groups_of_user = sq_groups_of_user,
	.grants_get = sq_grants_get,
	.grant_set = sq_grant_set,
	.grant_remove = sq_grant_remove,
	.folders_granted_to = sq_folders_granted_to,
	.access_tombstone_add = sq_access_tombstone_add,
	.access_removed_since = sq_access_removed_since,
	.item_get = sq_item_get,
	.client_id_lookup = sq_client_id_lookup,
	.item_put = sq_item_put,
	.item_delete = sq_item_delete,
	.item_move = sq_item_move,
	.changes = sq_changes,
	.item_list = sq_item_list,
	.purge_tombstones = sq_purge_tombstones,
	.directory_entry_get = sq_directory_entry_get,
	.directory_entry_set = sq_directory_entry_set,
	.contact_search = sq_contact_search,
	.mail_enqueue = sq_mail_enqueue,
	.mail_next_due = sq_mail_next_due,
	.mail_mark_sent = sq_mail_mark_sent,
	.mail_mark_failed = sq_mail_mark_failed,
	.mail_purge = sq_mail_purge,
	.task_alarms_due = sq_task_alarms_due,
	.lists_referencing = sq_lists_referencing,
	.blob_add = sq_blob_add,
	.blob_get = sq_blob_get,
	.blob_uploaded = sq_blob_uploaded,
	.blob_referencing = sq_blob_referencing,
	.appointments_in_range = sq_appointments_in_range,
	.blob_touch = sq_blob_touch,
	.blobs_unreferenced = sq_blobs_unreferenced,
	.blob_delete = sq_blob_delete,
	.alarm_mark_sent = sq_alarm_mark_sent,
};

static int exec_sql(sq_store *s, const char *sql, at_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "database setup failed (%s): %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int migrate(sq_store *s, at_error *err)
{
	int version = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "read schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SCHEMA_VERSION)
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
				    "the database has schema version %d, newer than this "
				    "server's %d", version, SCHEMA_VERSION);
	while (version < SCHEMA_VERSION) {
		if (exec_sql(s, "BEGIN IMMEDIATE", err) < 0)
			return -1;
		for (const char *const *q = migrations[version]; *q != NULL; q++)
			if (exec_sql(s, *q, err) < 0) {
				exec_sql(s, "ROLLBACK", NULL);
				return -1;
			}
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (exec_sql(s, sql, err) < 0 || exec_sql(s, "COMMIT", err) < 0) {
			exec_sql(s, "ROLLBACK", NULL);
			return -1;
		}
		version++;
		at_info("store", "database schema migrated to version %d", version);
	}
	return 0;
}

as_store *as_store_open_sqlite(const char *dir, at_error *err)
{
	char path[4096];
	sq_store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	s->base.ops = &sqlite_ops;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "cannot create data directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/atrium.db", dir);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		at_error_set(err, AT_E_SERVER, AT_SCOPE_SERVER, AT_RETRY_FINAL, NULL,
			     "cannot open database %s: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if (exec_sql(s, "PRAGMA journal_mode=WAL", err) < 0 ||
	    exec_sql(s, "PRAGMA synchronous=FULL", err) < 0 ||
	    exec_sql(s, "PRAGMA foreign_keys=ON", err) < 0 ||
	    migrate(s, err) < 0)
		goto fail;
	return &s->base;
fail:
	sq_close(&s->base);
	return NULL;
}

void as_store_close(as_store **s)
{
	if (s == NULL || *s == NULL)
		return;
	(*s)->ops->close(*s);
	*s = NULL;
}

const char *as_new_id(at_arena *a)
{
	char *buf = at_arena_alloc(a, AS_ID_HEX_BYTES * 2 + 1);
	at_random_hex(buf, AS_ID_HEX_BYTES);
	return buf;
}
