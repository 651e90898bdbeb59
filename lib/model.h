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
} at_field_type;

typedef struct at_field_def {
	const char *name;    /* wire name, camelCase */
	at_field_type type;
	unsigned max_len;    /* characters for text; per entry for lists */
	unsigned max_items;  /* lists only */
	const char *label;   /* short human description */
} at_field_def;

typedef struct at_item_type {
	const char *name;    /* "contact" */
	at_module module;
	const at_field_def *fields;
	size_t n_fields;
} at_item_type;

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
 * "remove this field").  On error fills err (scope item, retry final, field
 * set) and returns -1.  Unknown fields are refused (unknownField) rather than
 * dropped. */
int at_model_validate(const at_item_type *type, json_t *fields, bool patch,
		      at_error *err);

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
