/* mirror.c — see mirror.h. */
#include "mirror.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "appointment.h"
#include "arena.h"
#include "blobs.h"
#include "cards.h"
#include "common.h"
#include "fields.h"
#include "ical.h"
#include "log.h"
#include "model.h"
#include "strbuf.h"
#include "task.h"
#include "tree.h"
#include "vcard.h"

#define MOD "mirror"
#define META_ROOT "mirror.root"
#define META_SCAN "mirror.lastScan"
#define META_WRITE "mirror.lastWrite"
#define TMP_PREFIX ".atrium-"
/* What a file written for an item depends on: its content, its ids (the
 * UID of the file) and, for a contact with a photo, whether the photo's
 * bytes are in the blob cache (a file written without them is written again
 * once they are there).  Compared with mirror_files.item_hash. */
#define PHOTO_ID_SQL "json_extract(i.fields, '$.photo.blobId')"
/* (the instr() spares the JSON parse of every item without a photo) */
#define HAS_PHOTO_SQL "(instr(i.fields, '\"photo\"') > 0 AND " PHOTO_ID_SQL " IS NOT NULL)"
#define ITEM_HASH_SQL                                                                    \
	"CASE WHEN NOT " HAS_PHOTO_SQL                                                   \
	" THEN ac_hash(i.type, i.fields, i.client_id, i.server_id, i.local_id)"         \
	" ELSE ac_hash(i.type, i.fields, i.client_id, i.server_id, i.local_id,"         \
	" ac_mirror_cached(" PHOTO_ID_SQL ")) END"

#define LIST_TYPE "distributionList"

/* ---- the mirror context ------------------------------------------------------- */

typedef struct mirror {
	ac_store *store;
	sqlite3 *db;
	char *root;
	int lock;
	ac_mirror_stats *st;
	FILE *report;
	bool txn;           /* the scan's store transaction is open */
	unsigned txn_n;     /* changes in it */
	char *cache;        /* the blob cache (blobs.h): photos */
	int64_t max_photo;
	/* {card UID or "urn:uuid:UID": member reference} of every contact,
	 * built when a list's file is first read; NULL until then and after
	 * the scan changed a contact */
	json_t *cards;
} mirror;

/* ---- formats: one per folder module that has a file form ---------------------- */

typedef struct mirror_format {
	at_module module;
	const char *ext;      /* file name extension, with its dot */
	/* The item types that have a file here, the folder's main one first
	 * (the one mirror_folders.type keeps); NULL-terminated. */
	const char *types[3];
	/* Appends the file of an item of type with valid fields; uid when the
	 * fields have none. */
	int (*render)(mirror *m, const struct mirror_format *f, const char *type,
		      json_t *fields, const char *uid, at_buf *out, at_error *err);
	/* The type (one of types, static) and fields (not yet validated) of a
	 * file, *line_r the line where the item starts; on error *line_r is the
	 * line of the error (0 when unknown) and err->message has no "line N: "
	 * prefix. */
	int (*parse)(mirror *m, const struct mirror_format *f, const char *data, size_t len,
		     const char **type_r, json_t **fields_r, unsigned *line_r, at_error *err);
} mirror_format;

/* "line 12: message" -> 12, message moved to the front of err->message. */
static unsigned take_line(at_error *err)
{
	unsigned line = 0;
	int used = 0;
	if (sscanf(err->message, "line %u: %n", &line, &used) == 1 && used > 0) {
		memmove(err->message, err->message + used, strlen(err->message + used) + 1);
		return line;
	}
	return 0;
}

/* A list member's contact -> "urn:uuid:UID" of its file (cards.h). */
typedef struct member_ctx {
	mirror *m;
	at_arena *a;
} member_ctx;

static const char *item_uid(const char *client_id, const char *server_id,
			    const char *local_id);
static const char *member_urn(void *ctx, const char *contact_id);
static const char *member_ref(void *ctx, const char *uri);

static int vcf_render(mirror *m, const mirror_format *f, const char *type, json_t *fields,
		      const char *uid, at_buf *out, at_error *err)
{
	(void)f;
	if (strcmp(type, LIST_TYPE) != 0) {
		/* the photo inline when its bytes are here (cards.h) */
		json_t *with = NULL;
		at_error e;
		if (ac_card_photo_inline(fields, m->cache, AT_VCARD_V30, &with, &e) > 0 &&
		    e.message[0] != '\0')
			at_warn(MOD, "a photo left out of a file: %s", e.message);
		int r = at_vcard_from_fields(with, AT_VCARD_V30, uid, out, err);
		json_decref(with);
		return r;
	}
	member_ctx c = {m, at_arena_new(0)};
	int r = at_vcard_list_from_fields(fields, AT_VCARD_V30, uid, member_urn, &c, out, err);
	at_arena_free(&c.a);
	return r;
}

/* A contact card, or a KIND:group card (Apple's X-ADDRESSBOOKSERVER-KIND
 * too): a distribution list. */
static int vcf_parse(mirror *m, const mirror_format *f, const char *data, size_t len,
		     const char **type_r, json_t **fields_r, unsigned *line_r, at_error *err)
{
	(void)f;
	at_arena *a = at_arena_new(0);
	const at_vcard *card = NULL;
	int ret = -1;
	*fields_r = NULL;
	*line_r = 0;
	*type_r = "contact";
	if (at_vcard_parse_one(data, len, a, &card, err) == 0) {
		int r;
		if (at_vcard_is_list(card)) {
			*type_r = LIST_TYPE;
			member_ctx c = {m, a};
			r = at_vcard_list_to_fields(card, member_ref, &c, fields_r, err);
		} else {
			r = at_vcard_to_fields(card, fields_r, err);
			if (r == 0 && ac_card_lift_photo(m->cache, m->max_photo, card, *fields_r,
							 err) < 0) {
				json_decref(*fields_r);
				*fields_r = NULL;
				r = -1;
			}
		}
		if (r == 0) {
			ret = 0;
			*line_r = card->line;
		}
	}
	if (ret < 0) {
		*line_r = take_line(err);
		if (*line_r == 0 && card != NULL)
			*line_r = card->line;
	}
	at_arena_free(&a);
	return ret;
}

/* One VCALENDAR per file: the item's component (with its overridden
 * instances) and the VTIMEZONEs it uses. */
static int ics_write(at_ical_item *item, at_buf *out, at_error *err)
{
	at_ical_calendar cal = {.items = item, .n_items = 1};
	return at_ical_write(&cal, out, err);
}

/* The one item of kind `kind` of a file, parsed into *cal_r (in a). */
static int ics_read(const char *data, size_t len, at_ical_kind kind, at_arena *a,
		    at_ical_calendar **cal_r, unsigned *line_r, at_error *err)
{
	static const char *const names[] = {"VEVENT", "VTODO"};
	at_ical_calendar *cal = NULL;
	unsigned line = 0;
	*line_r = 0;
	if (at_ical_parse(data, len, NULL, a, &cal, &line, err) < 0) {
		unsigned l = take_line(err);
		*line_r = line > 0 ? line : l;
		return -1;
	}
	*cal_r = cal;
	if (cal->n_items == 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "no %s in the file", names[kind]);
	if (cal->items[0].kind != kind) {
		*line_r = cal->items[0].line;
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "a %s where a %s was expected", names[cal->items[0].kind],
				    names[kind]);
	}
	if (cal->n_items > 1) {
		*line_r = cal->items[1].line;
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "a second item with another UID (a vdir file holds one "
				    "item)");
	}
	return 0;
}

/* A DTSTAMP (RFC 5545 wants one: when this file was written; reading
 * drops it) after the other properties of it. */
static void add_dtstamp(at_ical_item *it, at_arena *a)
{
	char *stamp = at_arena_alloc(a, 20);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, 20, "%Y%m%dT%H%M%SZ", &tm);
	at_ical_prop *other = at_arena_alloc(a, (it->n_other + 1) * sizeof(*other));
	if (it->n_other > 0)
		memcpy(other, it->other, it->n_other * sizeof(*other));
	memset(&other[it->n_other], 0, sizeof(*other));
	other[it->n_other].name = "DTSTAMP";
	other[it->n_other].value = stamp;
	it->other = other;
	it->n_other++;
}

/* The iCalendar forms of the model: a component kind, mapped both ways. */
typedef struct ics_form {
	const char *type;
	at_ical_kind kind;
	int (*to_ical)(json_t *fields, const char *uid, at_arena *a, at_ical_item *item_r,
		       at_error *err);
	int (*from_ical)(const at_ical_calendar *cal, const at_ical_item *item, at_arena *a,
			 json_t **fields_r, at_error *err);
} ics_form;

static int appt_from_ical(const at_ical_calendar *cal, const at_ical_item *item, at_arena *a,
			  json_t **fields_r, at_error *err)
{
	return at_appt_from_ical(at_appt_ical_new(cal, a), item, fields_r, err);
}

static const ics_form ics_forms[] = {
	{"appointment", AT_ICAL_EVENT, at_appt_to_ical, appt_from_ical},
	{"task", AT_ICAL_TODO, at_task_to_ical, at_task_from_ical},
};

static const ics_form *ics_form_of(const char *type)
{
	for (size_t i = 0; i < sizeof(ics_forms) / sizeof(ics_forms[0]); i++)
		if (strcmp(ics_forms[i].type, type) == 0)
			return &ics_forms[i];
	abort();  /* the format table names only these */
}

static int ics_render(mirror *m, const mirror_format *f, const char *type, json_t *fields,
		      const char *uid, at_buf *out, at_error *err)
{
	(void)m;
	(void)f;
	const ics_form *form = ics_form_of(type);
	at_arena *a = at_arena_new(0);
	at_ical_item item;
	int r = form->to_ical(fields, at_arena_strdup(a, uid), a, &item, err);
	if (r == 0) {
		add_dtstamp(&item, a);
		r = ics_write(&item, out, err);
	}
	at_arena_free(&a);
	return r;
}

/* A VCALENDAR with one item of the folder's kind (VEVENT, VTODO). */
static int ics_parse(mirror *m, const mirror_format *f, const char *data, size_t len,
		     const char **type_r, json_t **fields_r, unsigned *line_r, at_error *err)
{
	(void)m;
	const ics_form *form = ics_form_of(f->types[0]);
	at_arena *a = at_arena_new(0);
	at_ical_calendar *cal = NULL;
	*type_r = form->type;
	*fields_r = NULL;
	int r = ics_read(data, len, form->kind, a, &cal, line_r, err);
	if (r == 0)
		*line_r = cal->items[0].line;
	if (r == 0 && form->from_ical(cal, &cal->items[0], a, fields_r, err) < 0) {
		r = -1;
		*line_r = take_line(err);
		if (*line_r == 0)
			*line_r = cal->items[0].line;
	}
	at_arena_free(&a);
	return r;
}

/* The file forms, one per module.  A folder whose module has no entry (or
 * whose main item type the model does not have) gets no directory. */
static const mirror_format formats[] = {
	{AT_MODULE_CONTACTS, ".vcf", {"contact", LIST_TYPE, NULL}, vcf_render, vcf_parse},
	{AT_MODULE_CALENDAR, ".ics", {"appointment", NULL}, ics_render, ics_parse},
	{AT_MODULE_TASKS, ".ics", {"task", NULL}, ics_render, ics_parse},
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

static const mirror_format *format_of_module(const char *module)
{
	at_module m;
	if (module == NULL || at_module_parse(module, &m) < 0)
		return NULL;
	for (size_t i = 0; i < N_FORMATS; i++)
		if (formats[i].module == m && at_model_item_type(formats[i].types[0]) != NULL)
			return &formats[i];
	return NULL;
}

static bool format_has(const mirror_format *f, const char *type)
{
	for (size_t t = 0; f->types[t] != NULL; t++)
		if (strcmp(f->types[t], type) == 0)
			return true;
	return false;
}

/* The format an item type has its file in, or NULL. */
static const mirror_format *format_of_type(const char *type)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		if (format_has(&formats[i], type))
			return &formats[i];
	return NULL;
}

/* The format of a folder by its main type (mirror_folders.type), or NULL. */
static const mirror_format *format_of_folder(const char *type)
{
	for (size_t i = 0; type != NULL && i < N_FORMATS; i++)
		if (strcmp(formats[i].types[0], type) == 0)
			return &formats[i];
	return NULL;
}

/* SQL ac_mirror_has(folder_type, item_type): whether items of item_type
 * have a file in a folder of folder_type. */
static void sql_mirror_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const mirror_format *f = format_of_folder((const char *)sqlite3_value_text(argv[0]));
	const char *type = (const char *)sqlite3_value_text(argv[1]);
	sqlite3_result_int(ctx, f != NULL && type != NULL && format_has(f, type));
}

/* SQL ac_mirror_cached(blob_id): 1 when the blob cache (the function's
 * user data) holds the blob, else 0. */
static void sql_mirror_cached(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *cache = sqlite3_user_data(ctx);
	const char *id = (const char *)sqlite3_value_text(argv[0]);
	sqlite3_result_int(ctx, cache != NULL && id != NULL && ac_blob_cached(cache, id));
}

static bool has_known_ext(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < N_FORMATS; i++) {
		size_t e = strlen(formats[i].ext);
		if (n > e && strcmp(name + n - e, formats[i].ext) == 0)
			return true;
	}
	return false;
}

/* The type and fields of a file: parsed and valid for the model. */
static int parse_valid(mirror *m, const mirror_format *f, const char *data, size_t len,
		       const char **type_r, json_t **fields_r, unsigned *line_r, at_error *err)
{
	if (f->parse(m, f, data, len, type_r, fields_r, line_r, err) < 0)
		return -1;
	if (at_model_validate(at_model_item_type(*type_r), *fields_r, false, err) < 0) {
		json_decref(*fields_r);
		*fields_r = NULL;
		unsigned l = take_line(err);
		if (l > 0)
			*line_r = l;  /* else the line where the item starts */
		return -1;
	}
	return 0;
}

/* ---- field hashes --------------------------------------------------------------- */

/* {field: hash of its value} of a field set: what the file held, field by
 * field, so that an edit is computed against it. */
static json_t *field_hashes(json_t *fields)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char hex[AC_STORE_HASH_SIZE];
		if (text == NULL)
			abort();
		ac_store_hash_hex(text, strlen(text), hex);
		free(text);
		hex[16] = '\0';
		json_object_set_new(o, k, json_string(hex));
	}
	return o;
}

/* Renders the file of an item of type into out, and *hashes_r: the field
 * hashes of that file as it reads back (fields that do not survive the file
 * form drop out, as they would when the file is read).  -1 with err set
 * when the item has no file form. */
static int render_file(mirror *m, const mirror_format *f, const char *type, json_t *fields,
		       const char *uid, at_buf *out, json_t **hashes_r, at_error *err)
{
	json_t *back = NULL;
	const char *back_type;
	unsigned line;
	at_error e;
	*hashes_r = NULL;
	if (f->render(m, f, type, fields, uid, out, err) < 0)
		return -1;
	if (parse_valid(m, f, out->data, out->len, &back_type, &back, &line, &e) == 0 &&
	    strcmp(back_type, type) == 0) {
		*hashes_r = field_hashes(back);
	} else {
		at_warn(MOD, "a %s does not read back from its own file: %s", type,
			back == NULL ? e.message : "another kind of item");
		*hashes_r = field_hashes(fields);
	}
	json_decref(back);
	return 0;
}

/* The field hashes of an item's file (render_file), or of its fields when it
 * has no file form. */
static json_t *rendered_hashes(mirror *m, const mirror_format *f, const char *type,
			       json_t *fields, const char *uid)
{
	at_buf out;
	at_error e;
	json_t *h = NULL;
	at_buf_init(&out, 0);
	if (render_file(m, f, type, fields, uid, &out, &h, &e) < 0) {
		at_warn(MOD, "a %s has no file form: %s", type, e.message);
		h = field_hashes(fields);
	}
	at_buf_free(&out);
	return h;
}

static const char *item_uid(const char *client_id, const char *server_id,
			    const char *local_id)
{
	if (client_id != NULL && client_id[0] != '\0')
		return client_id;
	if (server_id != NULL && server_id[0] != '\0')
		return server_id;
	return local_id;
}


/* ---- distribution list members (cards.h) ----------------------------------------- */

static const char *member_urn(void *ctx, const char *contact_id)
{
	member_ctx *c = ctx;
	ac_item *it = ac_card_member_contact(c->m->store, contact_id);
	const char *urn = NULL;
	if (it != NULL)
		urn = ac_card_member_urn(it, item_uid(it->client_id, it->server_id, it->local_id),
					 c->a);
	ac_item_free(&it);
	return urn;
}

/* The contacts by the UIDs their files have (their own, else their client
 * id or server id), and by server id.  Only ids and vcardExtra are read:
 * memory grows with the number of contacts, not their size. */
static json_t *card_index(mirror *m)
{
	static const char sql[] =
		"SELECT local_id, client_id, server_id, json_extract(fields, '$.vcardExtra')"
		" FROM items WHERE type = 'contact' AND state != 'deleted' ORDER BY rowid";
	json_t *idx = json_object();
	at_arena *a = at_arena_new(0);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK) {
		at_warn(MOD, "cannot read the contacts: %s", sqlite3_errmsg(m->db));
		goto done;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		ac_item it;
		memset(&it, 0, sizeof(it));
		snprintf(it.local_id, sizeof(it.local_id), "%s", sqlite3_column_text(st, 0));
		const char *cid = (const char *)sqlite3_column_text(st, 1),
			   *sid = (const char *)sqlite3_column_text(st, 2);
		snprintf(it.client_id, sizeof(it.client_id), "%s", cid != NULL ? cid : "");
		snprintf(it.server_id, sizeof(it.server_id), "%s", sid != NULL ? sid : "");
		const char *ref = ac_card_ref(&it, a);
		const char *own = ac_card_extra_uid((const char *)sqlite3_column_text(st, 3), a);
		/* the first contact of a UID keeps it */
		if (it.server_id[0] != '\0' && json_object_get(idx, it.server_id) == NULL)
			ac_card_index_put(idx, it.server_id, ref, a);
		const char *uid = own != NULL ? own
					      : item_uid(it.client_id, it.server_id, it.local_id);
		if (json_object_get(idx, uid) == NULL)
			ac_card_index_put(idx, uid, ref, a);
	}
done:
	sqlite3_finalize(st);
	at_arena_free(&a);
	return idx;
}

static const char *member_ref(void *ctx, const char *uri)
{
	member_ctx *c = ctx;
	if (c->m->cards == NULL)
		c->m->cards = card_index(c->m);
	return json_string_value(json_object_get(c->m->cards, uri));
}

/* The scan writes only when a file changed: its transaction is opened on
 * the first change and committed every AC_MIRROR_PAGE changes. */
static int txn_touch(mirror *m, at_error *err)
{
	if (!m->txn) {
		if (ac_store_begin(m->store, err) < 0)
			return -1;
		m->txn = true;
		m->txn_n = 0;
	}
	m->txn_n++;
	return 0;
}

static int txn_end(mirror *m, bool force, bool ok, at_error *err)
{
	if (!m->txn || (!force && ok && m->txn_n < AC_MIRROR_PAGE))
		return ok ? 0 : -1;
	m->txn = false;
	if (!ok) {
		ac_store_rollback(m->store);
		return -1;
	}
	return ac_store_commit(m->store, err);
}

static int db_fail(mirror *m, at_error *err, const char *what)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_TEMPORARY, NULL,
			    "local store: mirror %s: %s", what, sqlite3_errmsg(m->db));
}

static int io_fail(at_error *err, const char *what, const char *path)
{
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_TEMPORARY, NULL,
			    "mirror: cannot %s %s: %s", what, path, strerror(errno));
}

static sqlite3_stmt *prep(mirror *m, const char *sql, at_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(m, err, "prepare");
		return NULL;
	}
	return st;
}

static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Runs a statement with its bindings, expecting no row; finalizes it. */
static int run(mirror *m, sqlite3_stmt *st, at_error *err)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(m, err, "write");
	return 0;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	char *d = t != NULL ? strdup(t) : NULL;
	if (t != NULL && d == NULL)
		abort();
	return d;
}

static char *path_join(const char *a, const char *b)
{
	char *p;
	if (asprintf(&p, "%s/%s", a, b) < 0)
		abort();
	return p;
}

static void report(mirror *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(mirror *m, const char *fmt, ...)
{
	va_list ap;
	char line[1200];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	at_warn(MOD, "%s", strncmp(line, "mirror: ", 8) == 0 ? line + 8 : line);
	if (m->report != NULL) {
		fprintf(m->report, "%s\n", line);
		fflush(m->report);
	}
}

static int open_mirror(ac_store *store, mirror *m, ac_mirror_stats *st, FILE *rep,
		       at_error *err)
{
	memset(m, 0, sizeof(*m));
	m->store = store;
	m->db = ac_store_db(store);
	m->lock = -1;
	m->st = st;
	m->report = rep;
	if (ac_store_meta_get(store, META_ROOT, &m->root, err) < 0)
		return -1;
	if (m->root == NULL)
		return 0;  /* the mirror is off: nothing more to hold */
	/* the blob cache of the profile whose store this is */
	const char *db_file = sqlite3_db_filename(m->db, "main");
	const char *slash = db_file != NULL ? strrchr(db_file, '/') : NULL;
	if (slash != NULL) {
		char *dir = strndup(db_file, (size_t)(slash - db_file));
		if (dir == NULL)
			abort();
		m->cache = ac_blob_cache_dir(dir);
		free(dir);
	}
	ac_blob_limits lim;
	ac_blob_limits_get(store, &lim);
	m->max_photo = lim.max_photo;
	char *cache_copy = m->cache != NULL ? strdup(m->cache) : NULL;
	if (sqlite3_create_function(m->db, "ac_mirror_has", 2,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_mirror_has,
				    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(m->db, "ac_mirror_cached", 1, SQLITE_UTF8, cache_copy,
				       sql_mirror_cached, NULL, NULL, free) != SQLITE_OK) {
		db_fail(m, err, "register the mirror's SQL functions");
		free(m->root);
		free(m->cache);
		m->root = m->cache = NULL;
		return -1;
	}
	return 0;
}

static int lock_mirror(mirror *m, at_error *err)
{
	if (ac_mkdir_p(m->root, 0700, err) < 0)
		return -1;
	char *path = path_join(m->root, AC_MIRROR_LOCK);
	m->lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (m->lock < 0) {
		io_fail(err, "open", path);
		free(path);
		return -1;
	}
	free(path);
	while (flock(m->lock, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(m->lock);
			m->lock = -1;
			return io_fail(err, "lock", m->root);
		}
	}
	return 0;
}

static void close_mirror(mirror *m)
{
	if (m->lock >= 0)
		close(m->lock);  /* releases the lock */
	m->lock = -1;
	free(m->root);
	m->root = NULL;
	json_decref(m->cards);
	m->cards = NULL;
	free(m->cache);
	m->cache = NULL;
}

static int set_meta_now(mirror *m, const char *key, at_error *err)
{
	char now[AC_TIME_SIZE];
	ac_now_iso(now);
	return ac_store_meta_set(m->store, key, now, err);
}

/* ---- one mirrored file's bookkeeping -------------------------------------------- */

typedef struct file_row {
	bool found;
	char *local_id;    /* NULL: not tied to an item */
	char *item_hash;
	int64_t mtime_ns, size, ino;
	char *file_hash;
	char *base;        /* JSON {field: hash} */
	char *error;
	int error_line;
} file_row;

static void file_row_free(file_row *r)
{
	free(r->local_id);
	free(r->item_hash);
	free(r->file_hash);
	free(r->base);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static int64_t mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* Whether the file is as the bookkeeping last saw it. */
static bool same_stat(const file_row *r, const struct stat *sb)
{
	return r->mtime_ns == mtime_ns(sb) && r->size == (int64_t)sb->st_size &&
	       r->ino == (int64_t)sb->st_ino;
}

static int row_get(mirror *m, const char *folder_id, const char *name, file_row *r,
		   at_error *err)
{
	static const char sql[] =
		"SELECT local_id, item_hash, mtime_ns, size, ino, file_hash, base, error,"
		" error_line FROM mirror_files WHERE folder_id = ?1 AND name = ?2";
	memset(r, 0, sizeof(*r));
	sqlite3_stmt *st = prep(m, sql, err);
	if (st == NULL)
		return -1;
	bind_str(st, 1, folder_id);
	bind_str(st, 2, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->found = true;
		r->local_id = col_dup(st, 0);
		r->item_hash = col_dup(st, 1);
		r->mtime_ns = sqlite3_column_int64(st, 2);
		r->size = sqlite3_column_int64(st, 3);
		r->ino = sqlite3_column_int64(st, 4);
		r->file_hash = col_dup(st, 5);
		r->base = col_dup(st, 6);
		r->error = col_dup(st, 7);
		r->error_line = sqlite3_column_int(st, 8);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(m, err, "read");
	return 0;
}

/* Inserts or replaces a file's row.  item_hash_of: when not NULL, the row's
 * item_hash becomes the current hash of that item (the file shows it as it
 * is); otherwise item_hash is NULL (the next write renders the item). */
static int row_put(mirror *m, const char *folder_id, const char *name,
		   const char *local_id, const struct stat *sb, const char *file_hash,
		   json_t *base, const char *error, unsigned error_line,
		   const char *item_hash_of, const char *item_hash, at_error *err)
{
	static const char sql[] =
		"INSERT INTO mirror_files (folder_id, name, local_id, item_hash, mtime_ns,"
		" size, ino, file_hash, base, error, error_line) VALUES (?1, ?2, ?3,"
		" coalesce(?12, (SELECT " ITEM_HASH_SQL " FROM items i WHERE i.local_id = ?4)),"
		" ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
		" ON CONFLICT (folder_id, name) DO UPDATE SET local_id = excluded.local_id,"
		" item_hash = excluded.item_hash, mtime_ns = excluded.mtime_ns,"
		" size = excluded.size, ino = excluded.ino, file_hash = excluded.file_hash,"
		" base = excluded.base, error = excluded.error, error_line = excluded.error_line";
	sqlite3_stmt *st = prep(m, sql, err);
	if (st == NULL)
		return -1;
	char *base_text = base != NULL ? ac_json_dump(base) : NULL;
	bind_str(st, 1, folder_id);
	bind_str(st, 2, name);
	bind_str(st, 3, local_id);
	bind_str(st, 4, item_hash_of);
	sqlite3_bind_int64(st, 5, mtime_ns(sb));
	sqlite3_bind_int64(st, 6, (sqlite3_int64)sb->st_size);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)sb->st_ino);
	bind_str(st, 8, file_hash);
	bind_str(st, 9, base_text);
	bind_str(st, 10, error);
	sqlite3_bind_int(st, 11, (int)error_line);
	bind_str(st, 12, item_hash);
	free(base_text);
	return run(m, st, err);
}

/* A bad file: the new stat, hash and error; the rest of its row stays. */
static int row_put_error(mirror *m, const char *folder_id, const char *name,
			 const file_row *old, const struct stat *sb, const char *file_hash,
			 const char *error, unsigned line, at_error *err)
{
	json_t *base = old->base != NULL ? json_loads(old->base, 0, NULL) : NULL;
	int r = row_put(m, folder_id, name, old->local_id, sb, file_hash, base, error, line,
			NULL, old->item_hash != NULL ? old->item_hash : "", err);
	json_decref(base);
	return r;
}

static int row_delete(mirror *m, const char *folder_id, const char *name, at_error *err)
{
	sqlite3_stmt *st = prep(m, "DELETE FROM mirror_files WHERE folder_id = ?1 AND name = ?2",
				err);
	if (st == NULL)
		return -1;
	bind_str(st, 1, folder_id);
	bind_str(st, 2, name);
	return run(m, st, err);
}

/* The file stays, no longer tied to its item: once changed it is a new item. */
static int row_unlink_item(mirror *m, const char *folder_id, const char *name,
			   at_error *err)
{
	sqlite3_stmt *st = prep(m, "UPDATE mirror_files SET local_id = NULL, item_hash = NULL"
				" WHERE folder_id = ?1 AND name = ?2", err);
	if (st == NULL)
		return -1;
	bind_str(st, 1, folder_id);
	bind_str(st, 2, name);
	return run(m, st, err);
}

static int forget_folder(mirror *m, const char *folder_id, at_error *err)
{
	sqlite3_stmt *st = prep(m, "DELETE FROM mirror_files WHERE folder_id = ?1", err);
	if (st == NULL)
		return -1;
	bind_str(st, 1, folder_id);
	if (run(m, st, err) < 0)
		return -1;
	if ((st = prep(m, "DELETE FROM mirror_folders WHERE folder_id = ?1", err)) == NULL)
		return -1;
	bind_str(st, 1, folder_id);
	return run(m, st, err);
}

/* ---- file system helpers ---------------------------------------------------------- */

static void hash_hex(const void *data, size_t len, char hex[AC_STORE_HASH_SIZE])
{
	ac_store_hash_hex(data, len, hex);
}

/* Reads a regular file of at most max bytes through dirfd. */
static int read_at(int dirfd, const char *name, char **data_r, size_t *len_r,
		   struct stat *sb, at_error *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	*data_r = NULL;
	*len_r = 0;
	if (fd < 0)
		return io_fail(err, "open", name);
	if (fstat(fd, sb) < 0) {
		close(fd);
		return io_fail(err, "stat", name);
	}
	if (sb->st_size > (off_t)AC_MIRROR_MAX_FILE) {
		close(fd);
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "the file is larger than %u bytes", AC_MIRROR_MAX_FILE);
	}
	size_t cap = (size_t)sb->st_size + 1, len = 0;
	char *data = malloc(cap + 1);
	if (data == NULL)
		abort();
	for (;;) {
		if (len == cap) {
			if (cap > AC_MIRROR_MAX_FILE) {
				free(data);
				close(fd);
				return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL,
						    NULL, "the file is larger than %u bytes",
						    AC_MIRROR_MAX_FILE);
			}
			cap *= 2;
			char *d = realloc(data, cap + 1);
			if (d == NULL)
				abort();
			data = d;
		}
		ssize_t n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(data);
			close(fd);
			return io_fail(err, "read", name);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	data[len] = '\0';
	*data_r = data;
	*len_r = len;
	return 0;
}

/* Replaces path with data when its content differs (metadata files). */
static int put_small_file(const char *path, const char *data, at_error *err)
{
	char *old = NULL;
	size_t len;
	at_error ignored;
	if (ac_read_file(path, 65536, &old, &len, &ignored) == 0 && len == strlen(data) &&
	    memcmp(old, data, len) == 0) {
		free(old);
		return 0;
	}
	free(old);
	return ac_write_file_atomic(path, data, strlen(data), 0600, err);
}

/* ---- folder directories ----------------------------------------------------------- */

/* Appends a label made safe as (part of) a file name. */
static void safe_label(at_buf *b, const char *label)
{
	size_t start = b->len;
	for (const unsigned char *p = (const unsigned char *)label; *p != '\0'; p++) {
		unsigned char c = *p;
		if (c < 0x20 || c == 0x7f || c == '/')
			c = '_';
		if (b->len == start && c == '.')
			c = '_';
		at_buf_putc(b, (char)c);
	}
	if (b->len == start)
		at_buf_putc(b, '_');
}

/* "contacts/Contacts.Clients" for a folder of the tree. */
static char *folder_dir_name(const ac_tree_node *node, const char *module)
{
	char **labels = NULL;
	size_t n = 0;
	at_error ignored;
	at_buf b;
	at_buf_init(&b, 0);
	at_buf_printf(&b, "%s/", module);
	if (ac_path_parse(node->path, &labels, &n, &ignored) == 0 && n > 0) {
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				at_buf_putc(&b, '.');
			safe_label(&b, labels[i]);
		}
		ac_path_free(labels, n);
	} else {
		safe_label(&b, node->label);
	}
	/* keep names well under NAME_MAX, cutting at a UTF-8 boundary */
	size_t max = strlen(module) + 1 + 200;
	if (b.len > max) {
		size_t cut = max;
		while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
			cut--;
		at_buf_truncate(&b, cut);
	}
	return at_buf_detach(&b, NULL);
}

static const char *const palette[] = {
	"#3465a4", "#4e9a06", "#c4a000", "#ce5c00", "#75507b", "#cc0000",
	"#06989a", "#8f5902", "#204a87", "#5c3566",
};

static int write_folder_meta(mirror *m, const char *dir, json_t *folder, at_error *err)
{
	const char *dn = ac_jstr(folder, "displayName");
	if (dn == NULL || dn[0] == '\0')
		dn = ac_jstr(folder, "name");
	char *path = path_join(dir, "displayname");
	int r = put_small_file(path, dn != NULL ? dn : "", err);
	free(path);
	if (r < 0)
		return -1;
	path = path_join(dir, "color");
	struct stat sb;
	if (stat(path, &sb) < 0 && errno == ENOENT) {
		/* a colour of the folder's own, else one picked from its id; a
		 * colour the user set later is theirs */
		const char *color = ac_jstr(folder, "color");
		if (color == NULL) {
			unsigned h = 5381;
			for (const char *p = ac_jstr(folder, "id"); p != NULL && *p; p++)
				h = h * 33 + (unsigned char)*p;
			color = palette[h % (sizeof(palette) / sizeof(palette[0]))];
		}
		r = ac_write_file_atomic(path, color, strlen(color), 0600, err);
	}
	free(path);
	return r;
}

static bool dir_taken(mirror *m, const char *dir, const char *folder_id, bool *err_r)
{
	sqlite3_stmt *st = NULL;
	at_error e;
	*err_r = false;
	if ((st = prep(m, "SELECT 1 FROM mirror_folders WHERE dir = ?1 AND folder_id != ?2",
		       &e)) == NULL) {
		*err_r = true;
		return true;
	}
	bind_str(st, 1, dir);
	bind_str(st, 2, folder_id);
	bool taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return taken;
}

/* Removes the files of a folder that are as the mirror wrote them, its
 * metadata files and its directory when nothing else is left in it. */
static int remove_folder(mirror *m, const char *folder_id, const char *dir, at_error *err)
{
	char *path = path_join(m->root, dir);
	sqlite3_stmt *st = prep(m, "SELECT name, mtime_ns, size, ino, error FROM mirror_files"
				" WHERE folder_id = ?1", err);
	if (st == NULL) {
		free(path);
		return -1;
	}
	bind_str(st, 1, folder_id);
	size_t left = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		file_row r = {0};
		const char *name = (const char *)sqlite3_column_text(st, 0);
		r.mtime_ns = sqlite3_column_int64(st, 1);
		r.size = sqlite3_column_int64(st, 2);
		r.ino = sqlite3_column_int64(st, 3);
		bool bad = sqlite3_column_type(st, 4) != SQLITE_NULL;
		char *file = path_join(path, name);
		struct stat sb;
		if (!bad && lstat(file, &sb) == 0 && same_stat(&r, &sb)) {
			if (unlink(file) == 0 && m->st != NULL)
				m->st->removed++;
		} else if (lstat(file, &sb) == 0) {
			left++;
		}
		free(file);
	}
	sqlite3_finalize(st);
	static const char *const meta[] = {"displayname", "color"};
	for (size_t i = 0; i < 2; i++) {
		char *file = path_join(path, meta[i]);
		unlink(file);
		free(file);
	}
	if (rmdir(path) < 0 && errno != ENOENT)
		report(m, "mirror: %s is no longer synced (the folder is gone); %zu changed "
		       "file%s and anything else in it were left there", path, left,
		       left == 1 ? "" : "s");
	free(path);
	return forget_folder(m, folder_id, err);
}

typedef struct mirrored {
	char id[AC_ID_SIZE];
} mirrored;

/* Brings the folder directories in line with the store's folder tree. */
static int sync_folders(mirror *m, at_error *err)
{
	ac_folder_list folders = {0};
	ac_tree tree = {0};
	mirrored *keep = NULL;
	size_t n_keep = 0;
	int ret = -1;

	if (ac_store_folders(m->store, &folders, err) < 0 ||
	    ac_tree_build(&folders, &tree, err) < 0)
		goto done;
	keep = calloc(tree.n + 1, sizeof(*keep));
	if (keep == NULL)
		abort();
	for (size_t i = 0; i < tree.n; i++) {
		const ac_tree_node *node = &tree.v[i];
		const char *module = ac_jstr(node->json, "module");
		const mirror_format *f = format_of_module(module);
		if (f == NULL)
			continue;
		snprintf(keep[n_keep++].id, AC_ID_SIZE, "%s", node->id);
		char *want = folder_dir_name(node, module), *have = NULL, *dir = NULL;
		sqlite3_stmt *st = prep(m, "SELECT dir FROM mirror_folders WHERE folder_id = ?1",
					err);
		if (st == NULL) {
			free(want);
			goto done;
		}
		bind_str(st, 1, node->id);
		if (sqlite3_step(st) == SQLITE_ROW)
			have = col_dup(st, 0);
		sqlite3_finalize(st);
		if (have != NULL && strcmp(have, want) == 0) {
			dir = have;
			have = NULL;
		} else {
			/* a new or renamed folder: its name, unless another folder or a
			 * directory the mirror does not know is in the way */
			for (int attempt = 0; attempt < 3 && dir == NULL; attempt++) {
				char *cand;
				if (attempt == 0)
					cand = strdup(want);
				else if (asprintf(&cand, "%s~%.*s", want, attempt == 1 ? 8 : 64,
						  node->id) < 0)
					cand = NULL;
				if (cand == NULL)
					abort();
				bool dberr;
				char *full = path_join(m->root, cand);
				struct stat sb;
				bool in_way = dir_taken(m, cand, node->id, &dberr) ||
					      (lstat(full, &sb) == 0 &&
					       (have == NULL || strcmp(have, cand) != 0));
				free(full);
				if (dberr) {
					free(cand);
					free(want);
					free(have);
					db_fail(m, err, "read");
					goto done;
				}
				if (!in_way)
					dir = cand;
				else
					free(cand);
			}
			if (dir == NULL) {
				report(m, "mirror: no directory for folder %s (%s is taken)",
				       node->id, want);
				free(want);
				free(have);
				continue;
			}
			if (have != NULL) {
				char *from = path_join(m->root, have), *to = path_join(m->root, dir);
				if (rename(from, to) < 0 && errno != ENOENT) {
					report(m, "mirror: cannot rename %s to %s: %s", from, to,
					       strerror(errno));
					free(dir);
					dir = have;
					have = NULL;
				}
				free(from);
				free(to);
			}
			st = prep(m, "INSERT INTO mirror_folders (folder_id, dir, type)"
				  " VALUES (?1, ?2, ?3) ON CONFLICT (folder_id) DO UPDATE"
				  " SET dir = excluded.dir, type = excluded.type", err);
			if (st == NULL) {
				free(want);
				free(have);
				free(dir);
				goto done;
			}
			bind_str(st, 1, node->id);
			bind_str(st, 2, dir);
			bind_str(st, 3, f->types[0]);
			if (run(m, st, err) < 0) {
				free(want);
				free(have);
				free(dir);
				goto done;
			}
		}
		free(want);
		free(have);
		char *full = path_join(m->root, dir);
		free(dir);
		int r = ac_mkdir_p(full, 0700, err);
		if (r == 0)
			r = write_folder_meta(m, full, node->json, err);
		free(full);
		if (r < 0)
			goto done;
		if (m->st != NULL)
			m->st->folders++;
	}
	/* folders that are gone, or no longer mirrored */
	for (;;) {
		sqlite3_stmt *st = prep(m, "SELECT folder_id, dir FROM mirror_folders"
					" ORDER BY folder_id", err);
		if (st == NULL)
			goto done;
		char *gone = NULL, *gone_dir = NULL;
		while (gone == NULL && sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			bool kept = false;
			for (size_t i = 0; i < n_keep && !kept; i++)
				kept = strcmp(keep[i].id, id) == 0;
			if (!kept) {
				gone = col_dup(st, 0);
				gone_dir = col_dup(st, 1);
			}
		}
		sqlite3_finalize(st);
		if (gone == NULL)
			break;
		int r = remove_folder(m, gone, gone_dir, err);
		free(gone);
		free(gone_dir);
		if (r < 0)
			goto done;
	}
	ret = 0;
done:
	free(keep);
	ac_tree_free(&tree);
	ac_folder_list_free(&folders);
	return ret;
}

/* ---- write ------------------------------------------------------------------------- */

/* Files of items that are gone from their folder (deleted, moved, of
 * another type now): removed when the mirror wrote them as they are. */
static int write_gone(mirror *m, at_error *err)
{
	static const char sql[] =
		"SELECT m.rowid, m.folder_id, m.name, m.mtime_ns, m.size, m.ino,"
		" m.error IS NOT NULL, f.dir FROM mirror_files m"
		" JOIN mirror_folders f ON f.folder_id = m.folder_id"
		" WHERE m.rowid > ?1 AND m.local_id IS NOT NULL AND NOT EXISTS"
		" (SELECT 1 FROM items i WHERE i.local_id = m.local_id AND"
		"  i.folder_id = m.folder_id AND ac_mirror_has(f.type, i.type) AND"
		"  i.state != 'deleted')"
		" ORDER BY m.rowid LIMIT ?2";
	int64_t after = 0;
	for (;;) {
		struct gone {
			char *folder_id, *name, *dir;
			file_row r;
			bool bad;
		} page[AC_MIRROR_PAGE];
		size_t n = 0;
		sqlite3_stmt *st = prep(m, sql, err);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int(st, 2, AC_MIRROR_PAGE);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct gone *g = &page[n++];
			memset(g, 0, sizeof(*g));
			after = sqlite3_column_int64(st, 0);
			g->folder_id = col_dup(st, 1);
			g->name = col_dup(st, 2);
			g->r.mtime_ns = sqlite3_column_int64(st, 3);
			g->r.size = sqlite3_column_int64(st, 4);
			g->r.ino = sqlite3_column_int64(st, 5);
			g->bad = sqlite3_column_int(st, 6) != 0;
			g->dir = col_dup(st, 7);
		}
		sqlite3_finalize(st);
		int ret = rc == SQLITE_DONE ? 0 : db_fail(m, err, "read");
		if (ret == 0 && n > 0)
			ret = ac_store_begin(m->store, err);
		for (size_t i = 0; i < n && ret == 0; i++) {
			struct gone *g = &page[i];
			char *dir = path_join(m->root, g->dir);
			char *file = path_join(dir, g->name);
			struct stat sb;
			if (g->bad) {
				/* someone's broken edit: left as it is */
				ret = row_unlink_item(m, g->folder_id, g->name, err);
			} else if (lstat(file, &sb) < 0) {
				ret = row_delete(m, g->folder_id, g->name, err);
			} else if (same_stat(&g->r, &sb)) {
				if (unlink(file) < 0 && errno != ENOENT) {
					ret = io_fail(err, "remove", file);
				} else {
					ret = row_delete(m, g->folder_id, g->name, err);
					if (m->st != NULL)
						m->st->removed++;
				}
			} else {
				/* changed since: the next scan makes it a new item */
				ret = row_unlink_item(m, g->folder_id, g->name, err);
				if (m->st != NULL)
					m->st->kept++;
			}
			free(file);
			free(dir);
		}
		if (n > 0) {
			if (ret == 0)
				ret = ac_store_commit(m->store, err);
			else
				ac_store_rollback(m->store);
		}
		for (size_t i = 0; i < n; i++) {
			free(page[i].folder_id);
			free(page[i].name);
			free(page[i].dir);
		}
		if (ret < 0)
			return -1;
		if (n < AC_MIRROR_PAGE)
			return 0;
	}
}

typedef struct pending_write {
	char *folder_id, *dir, *name, *tmp, *local_id, *item_hash, *file_hash;
	bool had_row;
	file_row r;        /* stat of the file when it had a row */
	json_t *base;
	struct stat sb;    /* of the written file */
	bool ready;
} pending_write;

static void pending_free(pending_write *p)
{
	if (p->tmp != NULL && p->ready)
		unlink(p->tmp);
	free(p->folder_id);
	free(p->dir);
	free(p->name);
	free(p->tmp);
	free(p->local_id);
	free(p->item_hash);
	free(p->file_hash);
	json_decref(p->base);
	memset(p, 0, sizeof(*p));
}

/* A name for a new item's file: NAME.ext from its uid, unused in the
 * directory and in the bookkeeping. */
static char *new_file_name(mirror *m, const char *folder_id, const char *dir,
			   const char *uid, const char *ext)
{
	at_buf b;
	at_buf_init(&b, 0);
	for (const char *p = uid; *p != '\0' && b.len < 100; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			  (c == '.' && b.len > 0);
		at_buf_putc(&b, ok ? c : '_');
	}
	if (b.len == 0)
		at_buf_putc(&b, '_');
	char *stem = at_buf_detach(&b, NULL);
	for (unsigned n = 1;; n++) {
		char *name;
		if ((n == 1 ? asprintf(&name, "%s%s", stem, ext)
			    : asprintf(&name, "%s-%u%s", stem, n, ext)) < 0)
			abort();
		file_row r;
		at_error e;
		struct stat sb;
		char *full = path_join(dir, name);
		bool used = lstat(full, &sb) == 0 ||
			    (row_get(m, folder_id, name, &r, &e) == 0 && r.found);
		file_row_free(&r);
		free(full);
		if (!used) {
			free(stem);
			return name;
		}
		free(name);
	}
}

/* Renders an item into a temporary file of its directory. */
static int prepare_write(mirror *m, pending_write *p, const mirror_format *f, const char *type,
			 json_t *fields, const char *uid, at_error *err)
{
	at_buf out;
	at_error e;
	int ret = -1, fd = -1;
	at_buf_init(&out, 0);
	if (render_file(m, f, type, fields, uid, &out, &p->base, &e) < 0) {
		report(m, "mirror: item %s cannot be written as a file: %s", p->local_id,
		       e.message);
		ret = 1;
		goto done;
	}
	char hex[AC_STORE_HASH_SIZE];
	hash_hex(out.data, out.len, hex);
	p->file_hash = strdup(hex);
	if (asprintf(&p->tmp, "%s/" TMP_PREFIX "XXXXXX.tmp", p->dir) < 0)
		abort();
	fd = mkstemps(p->tmp, 4);
	if (fd < 0) {
		io_fail(err, "create a file in", p->dir);
		free(p->tmp);
		p->tmp = NULL;
		goto done;
	}
	p->ready = true;
	fchmod(fd, 0600);
	for (size_t off = 0; off < out.len;) {
		ssize_t w = write(fd, out.data + off, out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			io_fail(err, "write", p->tmp);
			goto done;
		}
		off += (size_t)w;
	}
	if (fstat(fd, &p->sb) < 0) {
		io_fail(err, "stat", p->tmp);
		goto done;
	}
	ret = 0;
done:
	if (fd >= 0)
		close(fd);
	at_buf_free(&out);
	return ret;
}

/* Items new or changed since their file was written. */
static int write_changed(mirror *m, at_error *err)
{
	static const char sql[] =
		"SELECT i.rowid, i.local_id, i.folder_id, i.client_id, i.server_id, i.type,"
		" i.fields, " ITEM_HASH_SQL ", m.name, m.mtime_ns, m.size, m.ino,"
		" m.error IS NOT NULL, f.dir"
		" FROM items i CROSS JOIN mirror_folders f"
		" LEFT JOIN mirror_files m ON m.folder_id = i.folder_id AND m.local_id = i.local_id"
		" WHERE f.folder_id = i.folder_id AND ac_mirror_has(f.type, i.type) AND i.rowid > ?1"
		" AND i.state != 'deleted' AND (m.name IS NULL OR m.item_hash IS NULL OR"
		" m.item_hash != " ITEM_HASH_SQL ")"
		" ORDER BY i.rowid LIMIT ?2";
	int64_t after = 0;
	for (;;) {
		pending_write page[AC_MIRROR_PAGE];
		size_t n = 0;
		int ret = 0, rc;
		memset(page, 0, sizeof(page));
		sqlite3_stmt *st = prep(m, sql, err);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int(st, 2, AC_MIRROR_PAGE);
		size_t rows = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			rows++;
			after = sqlite3_column_int64(st, 0);
			pending_write *p = &page[n];
			const char *type = (const char *)sqlite3_column_text(st, 5);
			const mirror_format *f = format_of_type(type);
			if (f == NULL)
				continue;
			p->local_id = col_dup(st, 1);
			p->folder_id = col_dup(st, 2);
			p->item_hash = col_dup(st, 7);
			p->dir = path_join(m->root, (const char *)sqlite3_column_text(st, 13));
			p->had_row = sqlite3_column_type(st, 8) != SQLITE_NULL;
			if (p->had_row) {
				p->name = col_dup(st, 8);
				p->r.mtime_ns = sqlite3_column_int64(st, 9);
				p->r.size = sqlite3_column_int64(st, 10);
				p->r.ino = sqlite3_column_int64(st, 11);
				struct stat sb;
				char *file = path_join(p->dir, p->name);
				bool changed = sqlite3_column_int(st, 12) != 0 ||
					       lstat(file, &sb) < 0 || !same_stat(&p->r, &sb);
				free(file);
				if (changed) {
					/* someone else's change (or a bad file): the scan
					 * takes it in first */
					if (m->st != NULL)
						m->st->kept++;
					pending_free(p);
					continue;
				}
			}
			const char *text = (const char *)sqlite3_column_text(st, 6);
			json_t *fields = text != NULL ? json_loads(text, 0, NULL) : NULL;
			const char *uid = item_uid((const char *)sqlite3_column_text(st, 3),
						   (const char *)sqlite3_column_text(st, 4),
						   p->local_id);
			if (!p->had_row)
				p->name = new_file_name(m, p->folder_id, p->dir, uid, f->ext);
			int r = json_is_object(fields) ? prepare_write(m, p, f, type, fields, uid, err) : 1;
			json_decref(fields);
			if (r < 0) {
				ret = -1;
				pending_free(p);
				break;
			}
			if (r > 0) {
				pending_free(p);
				continue;
			}
			n++;
		}
		sqlite3_finalize(st);
		if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
			ret = db_fail(m, err, "read");
		/* one sync of the page's data, then the renames */
		if (ret == 0 && n > 0) {
			int fd = open(page[0].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0) {
				syncfs(fd);
				close(fd);
			}
		}
		const char *synced_dir = NULL;
		if (ret == 0 && n > 0)
			ret = ac_store_begin(m->store, err);
		for (size_t i = 0; i < n && ret == 0; i++) {
			pending_write *p = &page[i];
			char *file = path_join(p->dir, p->name);
			struct stat sb;
			bool in_way = p->had_row ? (lstat(file, &sb) < 0 || !same_stat(&p->r, &sb))
						 : lstat(file, &sb) == 0;
			if (in_way) {
				if (m->st != NULL)
					m->st->kept++;
			} else if (rename(p->tmp, file) < 0) {
				ret = io_fail(err, "rename a file to", file);
			} else {
				p->ready = false;
				if (synced_dir == NULL || strcmp(synced_dir, p->dir) != 0) {
					int fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
					if (fd >= 0) {
						fsync(fd);
						close(fd);
					}
					synced_dir = p->dir;
				}
				ret = row_put(m, p->folder_id, p->name, p->local_id, &p->sb,
					      p->file_hash, p->base, NULL, 0, NULL, p->item_hash, err);
				if (m->st != NULL)
					m->st->written++;
			}
			free(file);
		}
		if (n > 0) {
			if (ret == 0)
				ret = ac_store_commit(m->store, err);
			else
				ac_store_rollback(m->store);
		}
		for (size_t i = 0; i < n; i++)
			pending_free(&page[i]);
		if (ret < 0)
			return -1;
		if (rows < AC_MIRROR_PAGE)
			return 0;
	}
}

static int do_write(mirror *m, at_error *err)
{
	if (sync_folders(m, err) < 0 || write_gone(m, err) < 0 || write_changed(m, err) < 0)
		return -1;
	return set_meta_now(m, META_WRITE, err);
}

int ac_mirror_write(ac_store *store, ac_mirror_stats *st, FILE *rep, at_error *err)
{
	mirror m;
	int ret = -1;
	if (open_mirror(store, &m, st, rep, err) < 0)
		return -1;
	if (m.root == NULL)
		return 0;
	if (lock_mirror(&m, err) == 0)
		ret = do_write(&m, err);
	close_mirror(&m);
	return ret;
}

/* ---- scan -------------------------------------------------------------------------- */

typedef struct scan_folder {
	char *id, *dir, *path;
	const mirror_format *f;
	int dirfd;
	bool scanned;
	/* 0: files of the folder's main type (contacts) only; 1: the others
	 * (lists, whose members name contacts that may be new in this scan) */
	int pass;
} scan_folder;

/* A live item of the folder, or NULL. */
static ac_item *folder_item(mirror *m, const scan_folder *sf, const char *local_id,
			    at_error *err, int *rc)
{
	ac_item *it = NULL;
	at_error e;
	*rc = 0;
	if (local_id == NULL)
		return NULL;
	if (ac_store_item_get(m->store, local_id, &it, &e) < 0) {
		if (strcmp(e.code, AT_E_NOT_FOUND) != 0) {
			*err = e;
			*rc = -1;
		}
		return NULL;
	}
	if (strcmp(it->folder_id, sf->id) != 0 || !format_has(sf->f, it->type) ||
	    it->state == AC_STATE_DELETED)
		ac_item_free(&it);
	return it;
}

/* The edit a changed file makes: fields whose value in the file differs
 * from what the file held before (base).  *lost_r: the store's values of
 * those fields when the store changed them too (NULL when none). */
static json_t *file_patch(mirror *m, const mirror_format *f, ac_item *it, json_t *fields,
			  json_t *fh, json_t *base, json_t **lost_r)
{
	json_t *patch = json_object(), *lost = NULL, *rh = NULL;
	json_t *keys = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(fh, k, v)
		json_object_set(keys, k, json_true());
	json_object_foreach(base, k, v)
		json_object_set(keys, k, json_true());
	json_object_foreach(keys, k, v) {
		json_t *fv = json_object_get(fh, k), *bv = json_object_get(base, k);
		if (ac_json_eq(fv, bv))
			continue;
		json_t *value = json_object_get(fields, k);
		json_object_set(patch, k, value != NULL ? value : json_null());
		if (rh == NULL)
			rh = rendered_hashes(m, f, it->type, it->fields,
					     item_uid(it->client_id, it->server_id, it->local_id));
		json_t *iv = json_object_get(rh, k);
		if (!ac_json_eq(iv, bv) && !ac_json_eq(iv, fv)) {
			if (lost == NULL)
				lost = json_object();
			json_t *mine = json_object_get(it->fields, k);
			json_object_set(lost, k, mine != NULL ? mine : json_null());
		}
	}
	json_decref(keys);
	json_decref(rh);
	*lost_r = lost;
	return patch;
}

/* A new or changed file (its hash differs from the bookkeeping's). */
static int take_file(mirror *m, const scan_folder *sf, const char *name, const file_row *row,
		     const char *data, size_t len, const struct stat *sb, const char *hash,
		     at_error *err)
{
	json_t *fields = NULL, *fh = NULL, *base = NULL, *patch = NULL, *lost = NULL;
	ac_item *it = NULL;
	const char *type = NULL;
	unsigned line = 0;
	at_error perr;
	char local_id[AC_ID_SIZE] = "";
	int ret = -1, rc;

	at_error_clear(&perr);
	if (parse_valid(m, sf->f, data, len, &type, &fields, &line, &perr) < 0)
		goto bad;
	if (sf->pass == 0 && strcmp(type, sf->f->types[0]) != 0) {
		ret = 0;  /* a list: the second pass, after the new contacts */
		goto done;
	}
	it = folder_item(m, sf, row->local_id, err, &rc);
	if (rc < 0)
		goto done;
	if (it != NULL && strcmp(it->type, type) != 0) {
		at_error_set(&perr, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "the file now holds a %s but its item is a %s, and an item "
			     "cannot change its kind (write the %s into a new file)",
			     type, it->type, type);
		line = 0;
		goto bad;
	}
	fh = field_hashes(fields);
	if (it == NULL) {
		if (ac_store_item_add(m->store, sf->id, type, fields, local_id, err) < 0)
			goto done;
		json_decref(m->cards);  /* a new contact: lists may name it */
		m->cards = NULL;
		at_info(MOD, "%s/%s: new item %s", sf->path, name, local_id);
		if (m->st != NULL)
			m->st->created++;
	} else {
		snprintf(local_id, sizeof(local_id), "%s", it->local_id);
		base = row->base != NULL ? json_loads(row->base, 0, NULL) : NULL;
		if (!json_is_object(base)) {
			json_decref(base);
			base = rendered_hashes(m, sf->f, it->type, it->fields,
					       item_uid(it->client_id, it->server_id,
							it->local_id));
		}
		patch = file_patch(m, sf->f, it, fields, fh, base, &lost);
		if (json_object_size(patch) > 0) {
			if (lost != NULL) {
				json_t *names = json_array();
				const char *k;
				json_t *v;
				json_object_foreach(lost, k, v)
					json_array_append_new(names, json_string(k));
				char *file = path_join(sf->path, name);
				json_t *detail = json_pack("{s:s,s:s,s:o}", "source", "mirror",
							   "file", file, "fields", names);
				free(file);
				rc = ac_store_issue_add(m->store, it, lost, "conflict", detail, err);
				json_decref(detail);
				if (rc < 0)
					goto done;
				report(m, "%s/%s: fields changed both in the file and in the store; "
				       "the file's values were taken, the others kept as a sync "
				       "issue (atrium conflicts list)", sf->path, name);
				if (m->st != NULL)
					m->st->conflicts++;
			}
			if (ac_store_item_edit(m->store, local_id, patch, err) < 0)
				goto done;
			json_decref(m->cards);  /* its UID may have changed */
			m->cards = NULL;
			at_info(MOD, "%s/%s: item %s edited", sf->path, name, local_id);
			if (m->st != NULL)
				m->st->modified++;
		}
	}
	/* does the file show the item as it now is?  Otherwise the next write
	 * renders it (a merged edit, a UID the file lacked) */
	ac_item_free(&it);
	if (ac_store_item_get(m->store, local_id, &it, err) < 0)
		goto done;
	json_t *now = rendered_hashes(m, sf->f, it->type, it->fields,
				      item_uid(it->client_id, it->server_id, it->local_id));
	bool current = json_equal(now, fh);
	json_decref(now);
	ret = row_put(m, sf->id, name, local_id, sb, hash, fh, NULL, 0,
		      current ? local_id : NULL, NULL, err);
	goto done;
bad:
	if (line > 0)
		report(m, "%s/%s:%u: %s", sf->path, name, line, perr.message);
	else
		report(m, "%s/%s: %s", sf->path, name, perr.message);
	if (m->st != NULL)
		m->st->bad++;
	ret = row_put_error(m, sf->id, name, row, sb, hash, perr.message, line, err);
done:
	ac_item_free(&it);
	json_decref(fields);
	json_decref(fh);
	json_decref(base);
	json_decref(patch);
	json_decref(lost);
	return ret;
}

/* One directory entry. */
static int scan_entry(mirror *m, const scan_folder *sf, const char *name, at_error *err)
{
	size_t n = strlen(name), e = strlen(sf->f->ext);
	if (name[0] == '.' || n <= e || strcmp(name + n - e, sf->f->ext) != 0)
		return 0;
	struct stat sb;
	if (fstatat(sf->dirfd, name, &sb, 0) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	file_row row;
	int ret = -1;
	if (row_get(m, sf->id, name, &row, err) < 0)
		return -1;
	if (row.found && same_stat(&row, &sb)) {
		file_row_free(&row);
		return 0;
	}
	char *data = NULL;
	size_t len = 0;
	char hash[AC_STORE_HASH_SIZE];
	at_error rerr;
	at_error_clear(&rerr);
	if (read_at(sf->dirfd, name, &data, &len, &sb, &rerr) < 0) {
		if (errno == ENOENT) {  /* gone meanwhile: the next scan sees it */
			ret = 0;
			goto done;
		}
		report(m, "%s/%s: %s", sf->path, name, rerr.message);
		if (m->st != NULL)
			m->st->bad++;
		ret = txn_touch(m, err);
		if (ret == 0)
			ret = row_put_error(m, sf->id, name, &row, &sb, "", rerr.message, 0, err);
		goto done;
	}
	hash_hex(data, len, hash);
	if (row.found && row.file_hash != NULL && strcmp(row.file_hash, hash) == 0) {
		/* touched, same content: only the new stat */
		if ((ret = txn_touch(m, err)) < 0)
			goto done;
		json_t *base = row.base != NULL ? json_loads(row.base, 0, NULL) : NULL;
		ret = row_put(m, sf->id, name, row.local_id, &sb, hash, base, row.error,
			      (unsigned)row.error_line, NULL,
			      row.item_hash != NULL ? row.item_hash : "", err);
		json_decref(base);
		goto done;
	}
	ret = txn_touch(m, err);
	if (ret == 0)
		ret = take_file(m, sf, name, &row, data, len, &sb, hash, err);
done:
	free(data);
	file_row_free(&row);
	return ret;
}

/* Rows of files that are gone: local deletes. */
static int scan_removed(mirror *m, const scan_folder *sf, at_error *err)
{
	char *after = strdup("");
	for (;;) {
		char *names[AC_MIRROR_PAGE], *ids[AC_MIRROR_PAGE];
		size_t n = 0;
		sqlite3_stmt *st = prep(m, "SELECT name, local_id FROM mirror_files"
					" WHERE folder_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3",
					err);
		if (st == NULL) {
			free(after);
			return -1;
		}
		bind_str(st, 1, sf->id);
		bind_str(st, 2, after);
		sqlite3_bind_int(st, 3, AC_MIRROR_PAGE);
		while (sqlite3_step(st) == SQLITE_ROW) {
			names[n] = col_dup(st, 0);
			ids[n] = col_dup(st, 1);
			n++;
		}
		sqlite3_finalize(st);
		int ret = 0;
		if (n > 0) {
			free(after);
			after = strdup(names[n - 1]);
		}
		for (size_t i = 0; i < n && ret == 0; i++) {
			struct stat sb;
			if (fstatat(sf->dirfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
			    errno != ENOENT)
				continue;
			int rc;
			if (txn_touch(m, err) < 0) {
				ret = -1;
				break;
			}
			ac_item *it = folder_item(m, sf, ids[i], err, &rc);
			if (rc < 0) {
				ret = -1;
				break;
			}
			if (it != NULL) {
				ret = ac_store_item_delete(m->store, it->local_id, err);
				at_info(MOD, "%s/%s removed: item %s deleted", sf->path, names[i],
					it->local_id);
				if (ret == 0 && m->st != NULL)
					m->st->deleted++;
				ac_item_free(&it);
			}
			if (ret == 0)
				ret = row_delete(m, sf->id, names[i], err);
		}
		for (size_t i = 0; i < n; i++) {
			free(names[i]);
			free(ids[i]);
		}
		if (ret == 0)
			ret = txn_end(m, false, true, err);
		if (ret < 0) {
			free(after);
			return -1;
		}
		if (n < AC_MIRROR_PAGE) {
			free(after);
			return 0;
		}
	}
}

static int scan_one(mirror *m, scan_folder *sf, at_error *err)
{
	sf->path = path_join(m->root, sf->dir);
	sf->dirfd = open(sf->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sf->dirfd < 0) {
		if (errno != ENOENT)
			return io_fail(err, "open", sf->path);
		/* never taken as "every file was deleted": written again */
		report(m, "mirror: %s is missing; it is written again from the local store",
		       sf->path);
		return forget_folder(m, sf->id, err);
	}
	DIR *d = fdopendir(dup(sf->dirfd));
	if (d == NULL)
		return io_fail(err, "read", sf->path);
	int ret = 0;
	struct dirent *de;
	int passes = sf->f->types[1] != NULL ? 2 : 1;
	for (sf->pass = 0; sf->pass < passes && ret == 0; sf->pass++) {
		if (sf->pass > 0)
			rewinddir(d);
		while (ret == 0 && (de = readdir(d)) != NULL) {
			ret = scan_entry(m, sf, de->d_name, err);
			ret = txn_end(m, false, ret == 0, err);
		}
	}
	closedir(d);
	if (ret == 0)
		ret = scan_removed(m, sf, err);
	ret = txn_end(m, true, ret == 0, err);
	if (ret == 0)
		sf->scanned = true;
	return ret;
}

static int do_scan(mirror *m, at_error *err)
{
	struct stat sb;
	if (stat(m->root, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		report(m, "mirror: %s is missing; it is written again from the local store",
		       m->root);
		sqlite3_stmt *st = prep(m, "DELETE FROM mirror_files", err);
		if (st == NULL || run(m, st, err) < 0)
			return -1;
		if ((st = prep(m, "DELETE FROM mirror_folders", err)) == NULL ||
		    run(m, st, err) < 0)
			return -1;
		return 0;
	}
	/* the folder list is small: read it whole, then scan folder by folder */
	scan_folder *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = prep(m, "SELECT folder_id, dir, type FROM mirror_folders"
				" ORDER BY dir", err);
	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const mirror_format *f =
			format_of_folder((const char *)sqlite3_column_text(st, 2));
		if (f == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = realloc(v, cap * sizeof(*v));
			if (v == NULL)
				abort();
		}
		v[n] = (scan_folder){col_dup(st, 0), col_dup(st, 1), NULL, f, -1, false, 0};
		n++;
	}
	sqlite3_finalize(st);
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = scan_one(m, &v[i], err);
	/* one small transaction for the times */
	char now[AC_TIME_SIZE];
	ac_now_iso(now);
	if (ret == 0 && (ret = ac_store_begin(m->store, err)) == 0) {
		for (size_t i = 0; i < n && ret == 0; i++) {
			if (!v[i].scanned)
				continue;
			st = prep(m, "UPDATE mirror_folders SET last_scan = ?1 WHERE folder_id = ?2",
				  err);
			if (st == NULL) {
				ret = -1;
				break;
			}
			bind_str(st, 1, now);
			bind_str(st, 2, v[i].id);
			ret = run(m, st, err);
		}
		if (ret == 0)
			ret = ac_store_meta_set(m->store, META_SCAN, now, err);
		if (ret == 0)
			ret = ac_store_commit(m->store, err);
		else
			ac_store_rollback(m->store);
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].dirfd >= 0)
			close(v[i].dirfd);
		free(v[i].id);
		free(v[i].dir);
		free(v[i].path);
	}
	free(v);
	return ret;
}

int ac_mirror_scan(ac_store *store, ac_mirror_stats *st, FILE *rep, at_error *err)
{
	mirror m;
	int ret = -1;
	if (open_mirror(store, &m, st, rep, err) < 0)
		return -1;
	if (m.root == NULL)
		return 0;
	struct stat sb;
	if (stat(m.root, &sb) < 0) {
		ret = do_scan(&m, err);  /* reports it, takes no lock in a missing root */
	} else if (lock_mirror(&m, err) == 0) {
		ret = do_scan(&m, err);
	}
	close_mirror(&m);
	return ret;
}

/* ---- enable, disable, status ------------------------------------------------------ */

int ac_mirror_fetch_photos(ac_store *store,
			   int (*fetch)(void *ctx, const char *blob_id, at_error *err), void *ctx,
			   size_t *fetched_r, at_error *err)
{
	static const char sql[] =
		"SELECT DISTINCT " PHOTO_ID_SQL " AS id FROM items i"
		" JOIN mirror_folders f ON f.folder_id = i.folder_id"
		" WHERE i.type = 'contact' AND i.state != 'deleted' AND " HAS_PHOTO_SQL
		" AND " PHOTO_ID_SQL " > ?1"
		" ORDER BY id LIMIT ?2";
	mirror m;
	size_t fetched = 0;
	int ret = -1;
	if (fetched_r != NULL)
		*fetched_r = 0;
	if (open_mirror(store, &m, NULL, NULL, err) < 0)
		return -1;
	if (m.root == NULL || m.cache == NULL || fetch == NULL) {
		ret = 0;
		goto done;
	}
	char *after = strdup("");
	bool online = true, more = true;
	while (online && more) {
		char *ids[AC_MIRROR_PAGE];
		size_t n = 0;
		sqlite3_stmt *st = prep(&m, sql, err);
		if (st == NULL) {
			free(after);
			goto done;
		}
		bind_str(st, 1, after);
		sqlite3_bind_int(st, 2, AC_MIRROR_PAGE);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			ids[n++] = col_dup(st, 0);
		sqlite3_finalize(st);
		more = n == AC_MIRROR_PAGE;
		for (size_t k = 0; k < n; k++) {
			at_error e;
			at_error_clear(&e);
			if (online && !ac_blob_cached(m.cache, ids[k])) {
				if (fetch(ctx, ids[k], &e) == 0) {
					fetched++;
				} else if (e.scope == AT_SCOPE_SERVER ||
					   e.retry == AT_RETRY_TEMPORARY) {
					at_info(MOD, "photos not downloaded now: %s", e.message);
					online = false;
				} else {
					at_warn(MOD, "photo %s not downloaded: %s", ids[k], e.message);
				}
			}
			if (k + 1 == n) {
				free(after);
				after = strdup(ids[k]);
			}
			free(ids[k]);
		}
		if (rc != SQLITE_DONE) {
			free(after);
			db_fail(&m, err, "read");
			goto done;
		}
	}
	free(after);
	ret = 0;
done:
	close_mirror(&m);
	if (fetched_r != NULL)
		*fetched_r = fetched;
	return ret;
}

int ac_mirror_root(ac_store *store, char **root_r, at_error *err)
{
	return ac_store_meta_get(store, META_ROOT, root_r, err);
}

static int clear_tables(ac_store *store, at_error *err)
{
	mirror m;
	memset(&m, 0, sizeof(m));
	m.db = ac_store_db(store);
	sqlite3_stmt *st = prep(&m, "DELETE FROM mirror_files", err);
	if (st == NULL || run(&m, st, err) < 0)
		return -1;
	if ((st = prep(&m, "DELETE FROM mirror_folders", err)) == NULL || run(&m, st, err) < 0)
		return -1;
	return 0;
}

int ac_mirror_enable(ac_store *store, const char *dir, ac_mirror_stats *st, FILE *rep,
		     at_error *err)
{
	char *old = NULL, resolved[PATH_MAX];
	if (ac_store_meta_get(store, META_ROOT, &old, err) < 0)
		return -1;
	if (dir == NULL || dir[0] == '\0') {
		free(old);
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
				    AT_RETRY_FINAL, "dir", "mirror enable needs a directory");
	}
	if (ac_mkdir_p(dir, 0700, err) < 0 || realpath(dir, resolved) == NULL) {
		free(old);
		if (errno != 0 && err->code[0] == '\0')
			io_fail(err, "resolve", dir);
		return -1;
	}
	if (old != NULL && strcmp(old, resolved) != 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, "dir",
			     "the mirror is already on at %s (atrium mirror disable first)",
			     old);
		free(old);
		return -1;
	}
	if (old == NULL) {
		/* files already there would become new items: start empty */
		DIR *d = opendir(resolved);
		if (d == NULL)
			return io_fail(err, "read", resolved);
		struct dirent *de;
		bool empty = true;
		while (empty && (de = readdir(d)) != NULL)
			empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
		closedir(d);
		if (!empty)
			return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ACCOUNT,
					    AT_RETRY_FINAL, "dir", "%s is not empty: the mirror "
					    "needs a new or empty directory", resolved);
		if (ac_store_begin(store, err) < 0)
			return -1;
		if (clear_tables(store, err) < 0 ||
		    ac_store_meta_set(store, META_ROOT, resolved, err) < 0 ||
		    ac_store_meta_set(store, META_SCAN, NULL, err) < 0 ||
		    ac_store_meta_set(store, META_WRITE, NULL, err) < 0) {
			ac_store_rollback(store);
			return -1;
		}
		if (ac_store_commit(store, err) < 0)
			return -1;
	}
	free(old);
	return ac_mirror_write(store, st, rep, err);
}

int ac_mirror_disable(ac_store *store, at_error *err)
{
	if (ac_store_begin(store, err) < 0)
		return -1;
	if (clear_tables(store, err) < 0 ||
	    ac_store_meta_set(store, META_ROOT, NULL, err) < 0 ||
	    ac_store_meta_set(store, META_SCAN, NULL, err) < 0 ||
	    ac_store_meta_set(store, META_WRITE, NULL, err) < 0) {
		ac_store_rollback(store);
		return -1;
	}
	return ac_store_commit(store, err);
}

int ac_mirror_status(ac_store *store, json_t **status_r, at_error *err)
{
	mirror m;
	char *scan = NULL, *write = NULL;
	ac_folder_list folders = {0};
	*status_r = NULL;
	if (open_mirror(store, &m, NULL, NULL, err) < 0)
		return -1;
	if (m.root == NULL) {
		*status_r = json_pack("{s:b,s:n,s:[]}", "enabled", 0, "root", "folders");
		return 0;
	}
	int ret = -1;
	if (ac_store_meta_get(store, META_SCAN, &scan, err) < 0 ||
	    ac_store_meta_get(store, META_WRITE, &write, err) < 0 ||
	    ac_store_folders(store, &folders, err) < 0)
		goto done;
	json_t *list = json_array();
	sqlite3_stmt *st = prep(&m, "SELECT f.folder_id, f.dir, f.last_scan,"
				" (SELECT count(*) FROM mirror_files x WHERE x.folder_id = f.folder_id)"
				" FROM mirror_folders f ORDER BY f.dir", err);
	if (st == NULL) {
		json_decref(list);
		goto done;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *dir = (const char *)sqlite3_column_text(st, 1);
		const char *last = (const char *)sqlite3_column_text(st, 2);
		json_t *fo = NULL;
		for (size_t i = 0; i < folders.n && fo == NULL; i++)
			if (strcmp(folders.v[i].id, id) == 0)
				fo = folders.v[i].json;
		char *path = path_join(m.root, dir);
		json_t *bad = json_array();
		sqlite3_stmt *b = prep(&m, "SELECT name, error, error_line FROM mirror_files"
				       " WHERE folder_id = ?1 AND error IS NOT NULL ORDER BY name"
				       " LIMIT 1000", err);
		if (b != NULL) {
			bind_str(b, 1, id);
			while (sqlite3_step(b) == SQLITE_ROW) {
				const char *name = (const char *)sqlite3_column_text(b, 0);
				char *fp = path_join(path, name);
				json_array_append_new(bad, json_pack(
					"{s:s,s:s,s:i,s:s}", "file", name, "path", fp,
					"line", sqlite3_column_int(b, 2), "message",
					(const char *)sqlite3_column_text(b, 1)));
				free(fp);
			}
			sqlite3_finalize(b);
		}
		const char *dn = fo != NULL ? ac_jstr(fo, "displayName") : NULL;
		json_array_append_new(list, json_pack(
			"{s:s,s:s?,s:s?,s:s,s:I,s:s?,s:o}", "folderId", id,
			"module", fo != NULL ? ac_jstr(fo, "module") : NULL,
			"displayName", dn, "path", path,
			"files", (json_int_t)sqlite3_column_int64(st, 3),
			"lastScan", last, "unparsed", bad));
		free(path);
	}
	sqlite3_finalize(st);
	*status_r = json_pack("{s:b,s:s,s:s?,s:s?,s:o}", "enabled", 1, "root", m.root,
			      "lastScan", scan, "lastWrite", write, "folders", list);
	ret = 0;
done:
	free(scan);
	free(write);
	ac_folder_list_free(&folders);
	close_mirror(&m);
	return ret;
}

void ac_mirror_stats_text(const ac_mirror_stats *st, char *buf, size_t size)
{
	struct {
		uint64_t n;
		const char *what;
	} parts[] = {
		{st->created, "created"}, {st->modified, "modified"}, {st->deleted, "deleted"},
		{st->bad, "not parsed"}, {st->conflicts, "conflicts"},
		{st->written, "written"}, {st->removed, "removed"},
		{st->kept, "left for the next scan"},
	};
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i].n == 0)
			continue;
		int w = snprintf(buf + o, size > o ? size - o : 0, "%s%llu %s", o ? ", " : "",
				 (unsigned long long)parts[i].n, parts[i].what);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
}

/* ---- watch ----------------------------------------------------------------------------- */

struct ac_mirror_watch {
	int fd;                 /* inotify */
	int quit[2];            /* a pipe: the thread ends when it is readable */
	pthread_t thread;
	pthread_mutex_t mu;     /* held by the mirror's own writes */
	volatile sig_atomic_t *wake;
};

/* Reads what is queued; true when someone changed an item file. */
static bool drain(ac_mirror_watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n <= 0)
			return relevant;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				relevant = true;
			else if (ev->len > 0 && ev->name[0] != '.' && has_known_ext(ev->name))
				relevant = true;
			p += sizeof(*ev) + ev->len;
		}
	}
}

static void *watch_main(void *arg)
{
	ac_mirror_watch *w = arg;
	for (;;) {
		struct pollfd p[2] = {{w->fd, POLLIN, 0}, {w->quit[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (p[1].revents != 0)
			return NULL;
		pthread_mutex_lock(&w->mu);
		bool relevant = drain(w);
		pthread_mutex_unlock(&w->mu);
		if (relevant) {
			/* let an editor finish its burst of writes */
			struct timespec ts = {0, 150 * 1000 * 1000};
			nanosleep(&ts, NULL);
			pthread_mutex_lock(&w->mu);
			drain(w);
			pthread_mutex_unlock(&w->mu);
			*w->wake = 1;
		}
	}
}

static void watch_dirs(ac_mirror_watch *w, ac_store *store)
{
	mirror m;
	at_error e;
	if (open_mirror(store, &m, NULL, NULL, &e) < 0 || m.root == NULL)
		return;
	sqlite3_stmt *st = prep(&m, "SELECT dir FROM mirror_folders", &e);
	if (st != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			char *path = path_join(m.root, (const char *)sqlite3_column_text(st, 0));
			if (inotify_add_watch(w->fd, path, IN_CLOSE_WRITE | IN_MOVED_TO |
					      IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR) < 0)
				at_debug(MOD, "cannot watch %s: %s", path, strerror(errno));
			free(path);
		}
		sqlite3_finalize(st);
	}
	close_mirror(&m);
}

int ac_mirror_watch_start(ac_store *store, volatile sig_atomic_t *wake,
			  ac_mirror_watch **w_r, at_error *err)
{
	char *root = NULL;
	*w_r = NULL;
	if (ac_mirror_root(store, &root, err) < 0)
		return -1;
	if (root == NULL)
		return 0;
	free(root);
	ac_mirror_watch *w = calloc(1, sizeof(*w));
	if (w == NULL)
		abort();
	w->wake = wake;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 || pipe2(w->quit, O_CLOEXEC) < 0) {
		io_fail(err, "watch", "the mirror");
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	watch_dirs(w, store);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		close(w->fd);
		close(w->quit[0]);
		close(w->quit[1]);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return at_error_set(err, AT_E_SERVER, AT_SCOPE_ACCOUNT, AT_RETRY_FINAL, NULL,
				    "mirror: cannot start the watcher thread");
	}
	*w_r = w;
	return 0;
}

int ac_mirror_watch_write(ac_mirror_watch *w, ac_store *store, ac_mirror_stats *st,
			  FILE *rep, at_error *err)
{
	if (w == NULL)
		return ac_mirror_write(store, st, rep, err);
	pthread_mutex_lock(&w->mu);
	int r = ac_mirror_write(store, st, rep, err);
	drain(w);  /* the events of our own writes */
	watch_dirs(w, store);
	pthread_mutex_unlock(&w->mu);
	return r;
}

void ac_mirror_watch_stop(ac_mirror_watch **wp)
{
	ac_mirror_watch *w = wp != NULL ? *wp : NULL;
	if (w == NULL)
		return;
	if (write(w->quit[1], "x", 1) < 0)
		at_debug(MOD, "cannot stop the watcher: %s", strerror(errno));
	pthread_join(w->thread, NULL);
	close(w->fd);
	close(w->quit[0]);
	close(w->quit[1]);
	pthread_mutex_destroy(&w->mu);
	free(w);
	*wp = NULL;
}
