/* model.h — the data model: folder modules, item types and their fields.
 *
 * One table per item type lists every field with its wire name (camelCase,
 * as in the sync protocol), its value type and its limit.  Everything that
 * checks or describes item content goes through these tables: validation of
 * incoming items and patches (server and connector), the limits published in
 * the session object, the connector's --field options (kebab-case of the
 * wire name), and the documentation.  Input over a limit is refused with
 * fieldTooLong naming the field and the limit; it is never truncated.
 *
 * The tables are static; nothing here allocates except at_model_limits_json()
 * (a new jansson reference owned by the caller). */
#ifndef AT_MODEL_H
#define AT_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "recur.h"

typedef enum at_module {
	AT_MODULE_CONTACTS = 0,
	AT_MODULE_CALENDAR,
	AT_MODULE_TASKS,
	AT_MODULE_MAIL,
	AT_MODULE_COUNT
} at_module;

typedef enum at_folder_type {
	AT_FOLDER_PRIVATE = 0,
	AT_FOLDER_PUBLIC,
	AT_FOLDER_SHARED,
} at_folder_type;

const char *at_module_name(at_module m);
int at_module_parse(const char *name, at_module *m_r);
const char *at_folder_type_name(at_folder_type t);
int at_folder_type_parse(const char *name, at_folder_type *t_r);

typedef enum at_field_type {
	AT_FT_TEXT,       /* JSON string, max_len characters (code points) */
	AT_FT_LONGTEXT,   /* like TEXT but may contain newlines and tabs */
	AT_FT_DATE,       /* JSON string "YYYY-MM-DD" */
	AT_FT_BOOL,       /* JSON true/false */
	AT_FT_TEXT_LIST,  /* JSON array of up to max_items strings of max_len */
	AT_FT_DATETIME,   /* JSON string: "YYYY-MM-DDTHH:MM:SSZ" (a UTC instant),
			   * "YYYY-MM-DDTHH:MM:SS" (a floating local time) or
			   * "YYYY-MM-DD" (a date).  RFC 3339 input with an offset
			   * ("...T09:00:00+01:00") is accepted and stored as the UTC
			   * instant: validation rewrites the value in place. */
	AT_FT_DATETIME_LIST, /* JSON array of up to max_items DATETIME */
	AT_FT_ENUM,       /* JSON string, one of values[] */
	AT_FT_INT,        /* JSON integer in [min, max] */
	AT_FT_ZONE,       /* JSON string: an IANA time zone libical knows, or "UTC" */
	AT_FT_OBJECT,     /* JSON object whose members are described by members[] */
	AT_FT_OBJECT_LIST, /* JSON array of up to max_items such objects */
} at_field_type;

/* flags of a field or member */
#define AT_FF_REQUIRED 1u  /* must be present in a whole item (or object); a
			    * patch may change it but not remove it */

struct at_field_def;
/* A check of one whole object (AT_FT_OBJECT, each of an AT_FT_OBJECT_LIST),
 * after its members were checked one by one; path names it in errors
 * ("participants[2]"). */
typedef int at_object_check_fn(const struct at_field_def *f, json_t *obj, const char *path,
			       at_error *err);

typedef struct at_field_def {
	const char *name;    /* wire name, camelCase */
	at_field_type type;
	unsigned max_len;    /* characters for text and zones; per entry for lists */
	unsigned max_items;  /* lists only */
	const char *label;   /* short human description */
	/* the members below are used by the types that name them */
	const char *const *values;      /* ENUM: NULL-terminated list */
	long long min, max;             /* INT */
	const struct at_field_def *members; /* OBJECT, OBJECT_LIST */
	size_t n_members;
	unsigned flags;                 /* AT_FF_* */
	at_object_check_fn *check;      /* OBJECT, OBJECT_LIST; may be NULL */
} at_field_def;

struct at_item_type;
/* Checks across the fields of an item type (end after start, ...), called by
 * at_model_validate() after every field passed its own check.  For a patch
 * only what the patch holds can be checked: whoever merges a patch into a
 * stored item validates the result as a whole item. */
typedef int at_item_check_fn(const struct at_item_type *type, json_t *fields, bool patch,
			     at_error *err);

typedef struct at_item_type {
	const char *name;    /* "contact" */
	at_module module;
	const at_field_def *fields;
	size_t n_fields;
	at_item_check_fn *check;  /* may be NULL */
	/* the one-line title of at_model_item_title(); NULL: "(name)" */
	void (*title)(json_t *fields, char *buf, size_t size);
} at_item_type;

/* Item types defined in files of their own (model_appointment.c,
 * model_task.c, model_list.c). */
extern const at_item_type at_model_appointment;
extern const at_item_type at_model_task;
extern const at_item_type at_model_distribution_list;
#define AT_LIST_MAX_MEMBERS 1000  /* members of a distribution list */

/* Upper bounds shared by all item types. */
#define AT_MAX_FIELD_NAME 64
#define AT_MAX_ID_LEN 64          /* server ids and client ids */
#define AT_MAX_FOLDER_NAME 255

const at_item_type *at_model_item_type(const char *name);
/* The item type stored in folders of a module by default ("contact" for
 * contacts); NULL for modules without one yet. */
const at_item_type *at_model_default_type(at_module m);
const at_field_def *at_model_field(const at_item_type *type, const char *name);

/* Checks a JSON object of fields.  patch=true: values may be null (meaning
 * "remove this field"), except for required fields.  On error fills err
 * (scope item, retry final, field set: the wire name, or a path such as
 * "participants[2].status" inside objects) and returns -1.  Unknown fields
 * are refused (unknownField) rather than dropped.  DATETIME values given
 * with an offset are rewritten in place as UTC instants; nothing else is
 * changed. */
int at_model_validate(const at_item_type *type, json_t *fields, bool patch,
		      at_error *err);

/* DATETIME values (see AT_FT_DATETIME).  Parses the wire form or an RFC 3339
 * time with an offset (converted to UTC) into *t_r: t_r->tzid is "UTC" for
 * an instant, NULL for a floating time or a date (t_r->is_date).  -1 for
 * anything else, including fractions of seconds and second 60. */
#define AT_DATETIME_SIZE 21  /* "YYYY-MM-DDTHH:MM:SSZ" and its NUL */
int at_model_datetime_parse(const char *s, at_recur_time *t_r);
/* The wire form of a date, a floating time, or a time whose tzid is "UTC". */
void at_model_datetime_format(const at_recur_time *t, char buf[AT_DATETIME_SIZE]);

/* Number of Unicode code points in a UTF-8 string (jansson strings are valid
 * UTF-8). */
size_t at_utf8_length(const char *s, size_t bytes);

/* {"contact": {"firstName": {"type":"text","maxLength":128}, ...}, ...} */
json_t *at_model_limits_json(void);

/* "phoneBusinessFax" -> "phone-business-fax" (buf of size AT_MAX_FIELD_NAME*2) */
void at_model_kebab(const char *camel, char *buf, size_t size);
/* Inverse lookup: kebab-case option name to field, NULL if none. */
const at_field_def *at_model_field_by_kebab(const at_item_type *type, const char *kebab);

/* A one-line title for listings ("Last, First (Company)"); writes into buf. */
void at_model_item_title(const at_item_type *type, json_t *fields, char *buf, size_t size);

#endif
