/* model.c — see model.h.  The field list follows the contact dialog of the
 * desktop client field for field (DESIGN §3; manual Table 6.1), including the
 * fields the old server dropped. */
#include "model.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "blob.h"

static const char *const module_names[AT_MODULE_COUNT] = {
	"contacts", "calendar", "tasks", "mail",
};
static const char *const folder_type_names[] = {"private", "public", "shared"};

const char *at_module_name(at_module m)
{
	return (unsigned)m < AT_MODULE_COUNT ? module_names[m] : "?";
}

int at_module_parse(const char *name, at_module *m_r)
{
	for (unsigned i = 0; i < AT_MODULE_COUNT; i++)
		if (strcmp(name, module_names[i]) == 0) {
			*m_r = (at_module)i;
			return 0;
		}
	return -1;
}

const char *at_folder_type_name(at_folder_type t)
{
	return (unsigned)t <= AT_FOLDER_SHARED ? folder_type_names[t] : "?";
}

int at_folder_type_parse(const char *name, at_folder_type *t_r)
{
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(name, folder_type_names[i]) == 0) {
			*t_r = (at_folder_type)i;
			return 0;
		}
	return -1;
}

/* designated, so that the members of other field types stay zero */
#define F(n, ty, len, items, lbl) \
	{.name = n, .type = ty, .max_len = len, .max_items = items, .label = lbl}
#define T(n, len, label) F(n, AT_FT_TEXT, len, 0, label)
#define PHONE(n, label) F(n, AT_FT_TEXT, 64, 0, label)

static const at_field_def contact_fields[] = {
	T("title", 64, "title (Mr., Dr., ...)"),
	T("firstName", 128, "first name"),
	T("middleName", 128, "middle name"),
	T("lastName", 128, "last name"),
	T("suffix", 64, "suffix (Jr., III, ...)"),
	T("displayName", 256, "display name (file as)"),
	T("nickname", 128, "nickname"),
	T("jobTitle", 128, "job title"),
	T("company", 256, "company"),
	T("department", 128, "department"),
	T("office", 128, "office"),
	T("profession", 128, "profession"),
	T("managerName", 128, "manager's name"),
	T("assistantName", 128, "assistant's name"),
	T("spouseName", 128, "spouse's name"),
	F("birthday", AT_FT_DATE, 10, 0, "birthday (YYYY-MM-DD)"),
	F("anniversary", AT_FT_DATE, 10, 0, "anniversary (YYYY-MM-DD)"),
	PHONE("phoneBusiness", "business phone"),
	PHONE("phoneBusiness2", "business phone 2"),
	PHONE("phoneBusinessFax", "business fax"),
	PHONE("phoneMobile", "mobile phone"),
	PHONE("phoneHome", "home phone"),
	PHONE("phoneHome2", "home phone 2"),
	PHONE("phoneHomeFax", "home fax"),
	PHONE("phoneCar", "car phone"),
	PHONE("phoneCompany", "company main phone"),
	PHONE("phoneOther", "other phone"),
	PHONE("phoneOtherFax", "other fax"),
	PHONE("phonePager", "pager"),
	PHONE("phoneTelex", "telex"),
	PHONE("phoneTtyTdd", "TTY/TDD phone"),
	PHONE("phoneAssistant", "assistant's phone"),
	PHONE("phoneCallback", "callback phone"),
	PHONE("phoneIsdn", "ISDN"),
	PHONE("phonePrimary", "primary phone"),
	PHONE("phoneRadio", "radio phone"),
	T("businessStreet", 512, "business street"),
	T("businessCity", 128, "business city"),
	T("businessState", 128, "business state/province"),
	T("businessPostalCode", 32, "business ZIP/postal code"),
	T("businessCountry", 128, "business country/region"),
	T("homeStreet", 512, "home street"),
	T("homeCity", 128, "home city"),
	T("homeState", 128, "home state/province"),
	T("homePostalCode", 32, "home ZIP/postal code"),
	T("homeCountry", 128, "home country/region"),
	T("otherStreet", 512, "other street"),
	T("otherCity", 128, "other city"),
	T("otherState", 128, "other state/province"),
	T("otherPostalCode", 32, "other ZIP/postal code"),
	T("otherCountry", 128, "other country/region"),
	T("email1", 320, "e-mail"),
	T("email1Name", 256, "e-mail display name"),
	T("email2", 320, "e-mail 2"),
	T("email2Name", 256, "e-mail 2 display name"),
	T("email3", 320, "e-mail 3"),
	T("email3Name", 256, "e-mail 3 display name"),
	T("webPage", 2048, "web page address"),
	T("imAddress", 320, "IM address"),
	{.name = "vcardExtra", .type = AT_FT_LONGTEXT, .max_len = 65536, .label = "vCard properties Atrium does not map (kept verbatim)"},
	F("notes", AT_FT_LONGTEXT, 65536, 0, "notes"),
	F("categories", AT_FT_TEXT_LIST, 128, 64, "categories"),
	F("private", AT_FT_BOOL, 0, 0, "private (visible to its creator only)"),
	AT_BLOB_PHOTO_FIELD,
	AT_BLOB_ATTACHMENTS_FIELD,
};

#undef F
#undef T
#undef PHONE

static const at_item_type item_types[] = {
	{.name = "contact", .module = AT_MODULE_CONTACTS, .fields = contact_fields,
	 .n_fields = sizeof(contact_fields) / sizeof(contact_fields[0])},
};

/* Every item type, those of this file and those of files of their own. */
static const at_item_type *const all_types[] = {
	&item_types[0],
	&at_model_appointment,
	&at_model_task,
	&at_model_distribution_list,
};
#define N_TYPES (sizeof(all_types) / sizeof(all_types[0]))

const at_item_type *at_model_item_type(const char *name)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (strcmp(all_types[i]->name, name) == 0)
			return all_types[i];
	return NULL;
}

const at_item_type *at_model_default_type(at_module m)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (all_types[i]->module == m)
			return all_types[i];
	return NULL;
}

const at_field_def *at_model_field(const at_item_type *type, const char *name)
{
	for (size_t i = 0; i < type->n_fields; i++)
		if (strcmp(type->fields[i].name, name) == 0)
			return &type->fields[i];
	return NULL;
}

size_t at_utf8_length(const char *s, size_t bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static bool valid_date(const char *s)
{
	int y, m, d;
	char tail;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return false;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

/* Refuses C0 control characters (and DEL); long text may hold \t \n \r. */
static bool clean_text(const char *s, size_t len, bool multiline)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f)
			return false;
		if (c < 0x20) {
			if (multiline && (c == '\t' || c == '\n' || c == '\r'))
				continue;
			return false;
		}
	}
	return true;
}

/* path: the field's name, or its place inside an object ("participants[2].name") */
static int check_text(const at_field_def *f, const char *path, json_t *v, bool multiline,
		      at_error *err)
{
	if (!json_is_string(v))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    path, "field %s must be a string", path);
	const char *s = json_string_value(v);
	size_t bytes = json_string_length(v);
	if (strlen(s) != bytes || !clean_text(s, bytes, multiline))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    path, "field %s contains control characters", path);
	size_t chars = at_utf8_length(s, bytes);
	if (chars > f->max_len)
		return at_error_set(err, AT_E_FIELD_TOO_LONG, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    path,
				    "field %s is too long: %zu characters, the limit is %u",
				    path, chars, f->max_len);
	return 0;
}

/* ---- DATETIME ------------------------------------------------------------ */

static bool dt_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int dt_num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int at_model_datetime_parse(const char *s, at_recur_time *t_r)
{
	at_recur_time t = {0};
	at_error ignored;
	size_t n = strlen(s);
	if (n < 10 || !valid_date((char[11]){s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
					     s[8], s[9], '\0'}))
		return -1;
	t.year = dt_num(s, 4);
	t.month = dt_num(s + 5, 2);
	t.day = dt_num(s + 8, 2);
	if (n == 10) {
		t.is_date = true;
		*t_r = t;
		return 0;
	}
	/* "THH:MM:SS" then nothing, "Z", or "+HH:MM" / "-HH:MM" */
	if (n < 19 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
	    !dt_digits(s + 11, 2) || !dt_digits(s + 14, 2) || !dt_digits(s + 17, 2))
		return -1;
	t.hour = dt_num(s + 11, 2);
	t.minute = dt_num(s + 14, 2);
	t.second = dt_num(s + 17, 2);
	if (t.hour > 23 || t.minute > 59 || t.second > 59)
		return -1;
	const char *z = s + 19;
	if (*z == '\0') {
		*t_r = t;
		return 0;
	}
	int offset = 0;
	if ((z[0] == 'Z' || z[0] == 'z') && z[1] == '\0') {
		offset = 0;
	} else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':' &&
		   dt_digits(z + 1, 2) && dt_digits(z + 4, 2)) {
		int oh = dt_num(z + 1, 2), om = dt_num(z + 4, 2);
		if (oh > 23 || om > 59)
			return -1;
		offset = (oh * 60 + om) * 60 * (z[0] == '-' ? -1 : 1);
	} else {
		return -1;
	}
	t.tzid = "UTC";
	if (offset != 0) {
		int64_t w = at_recur_days_from_civil(t.year, t.month, t.day) * 86400 +
			    t.hour * 3600 + t.minute * 60 + t.second - offset;
		if (at_recur_from_utc(w, NULL, &t, &ignored) < 0)
			return -1;
		t.tzid = "UTC";
	}
	*t_r = t;
	return 0;
}

void at_model_datetime_format(const at_recur_time *t, char buf[AT_DATETIME_SIZE])
{
	unsigned y = t->year < 0 ? 0 : t->year > 9999 ? 9999 : (unsigned)t->year;
	unsigned mo = (unsigned)t->month % 100, d = (unsigned)t->day % 100;
	unsigned h = (unsigned)t->hour % 100, mi = (unsigned)t->minute % 100;
	unsigned sec = (unsigned)t->second % 100;
	if (t->is_date)
		snprintf(buf, AT_DATETIME_SIZE, "%04u-%02u-%02u", y, mo, d);
	else
		snprintf(buf, AT_DATETIME_SIZE, "%04u-%02u-%02uT%02u:%02u:%02u%s", y, mo, d, h,
			 mi, sec, t->tzid != NULL ? "Z" : "");
}

/* Checks a DATETIME held at *slot (an object member or array entry) and
 * rewrites it to its wire form when it came with an offset. */
static int check_datetime(const char *path, json_t *v, json_t *parent, const char *key,
			  size_t index, at_error *err)
{
	at_recur_time t;
	if (!json_is_string(v) || at_model_datetime_parse(json_string_value(v), &t) < 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    path,
				    "field %s must be a date YYYY-MM-DD, a local time "
				    "YYYY-MM-DDTHH:MM:SS or a UTC time YYYY-MM-DDTHH:MM:SSZ "
				    "(an offset such as +01:00 is converted to UTC)", path);
	char norm[AT_DATETIME_SIZE];
	at_model_datetime_format(&t, norm);
	if (strcmp(norm, json_string_value(v)) != 0) {
		if (key != NULL)
			json_object_set_new(parent, key, json_string(norm));
		else
			json_array_set_new(parent, index, json_string(norm));
	}
	return 0;
}

/* ---- one value of any type ---------------------------------------------- */

/* Room for the path of a member ("overrides[12].participants[3].comment"),
 * longer than an error's field: at_error_set() cuts what does not fit. */
#define AT_PATH_MAX 256

static int check_object(const at_field_def *f, const char *path, json_t *obj, at_error *err);

/* v sits in parent under key (objects) or at index (arrays): a DATETIME may
 * be rewritten there. */
static int check_value(const at_field_def *f, const char *path, json_t *v, json_t *parent,
		       const char *key, size_t index, at_error *err)
{
	char sub[AT_PATH_MAX + 24];
	switch (f->type) {
	case AT_FT_TEXT:
		return check_text(f, path, v, false, err);
	case AT_FT_LONGTEXT:
		return check_text(f, path, v, true, err);
	case AT_FT_DATE:
		if (!json_is_string(v) || !valid_date(json_string_value(v)))
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, path,
					    "field %s must be a date YYYY-MM-DD", path);
		return 0;
	case AT_FT_BOOL:
		if (!json_is_boolean(v))
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, path,
					    "field %s must be true or false", path);
		return 0;
	case AT_FT_DATETIME:
		return check_datetime(path, v, parent, key, index, err);
	case AT_FT_ENUM:
		if (json_is_string(v))
			for (const char *const *e = f->values; *e != NULL; e++)
				if (strcmp(*e, json_string_value(v)) == 0)
					return 0;
		{
			char list[256] = "";
			size_t o = 0;
			for (const char *const *e = f->values; *e != NULL && o < sizeof(list); e++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
						      e == f->values ? "" : ", ", *e);
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, path,
					    "field %s must be one of %s", path, list);
		}
	case AT_FT_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, path,
					    "field %s must be a whole number from %lld to %lld",
					    path, f->min, f->max);
		return 0;
	case AT_FT_ZONE:
		if (check_text(f, path, v, false, err) < 0)
			return -1;
		if (!at_recur_zone_known(json_string_value(v)))
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, path,
					    "field %s: unknown time zone \"%.64s\" (give an IANA "
					    "name such as Europe/Paris)", path,
					    json_string_value(v));
		return 0;
	case AT_FT_OBJECT:
		return check_object(f, path, v, err);
	case AT_FT_TEXT_LIST:
	case AT_FT_DATETIME_LIST:
	case AT_FT_OBJECT_LIST: {
		static const char *const what[] = {
			[AT_FT_TEXT_LIST] = "strings", [AT_FT_DATETIME_LIST] = "dates or times",
			[AT_FT_OBJECT_LIST] = "objects"};
		if (!json_is_array(v))
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, path,
					    "field %s must be a list of %s", path, what[f->type]);
		if (json_array_size(v) > f->max_items)
			return at_error_set(err, AT_E_FIELD_TOO_LONG, AT_SCOPE_ITEM,
					    AT_RETRY_FINAL, path,
					    "field %s has %zu entries, the limit is %u",
					    path, json_array_size(v), f->max_items);
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			/* a text list names the list, as it always did */
			if (f->type == AT_FT_TEXT_LIST)
				snprintf(sub, sizeof(sub), "%s", path);
			else
				snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			int rc = f->type == AT_FT_TEXT_LIST ? check_text(f, sub, e, false, err)
				 : f->type == AT_FT_DATETIME_LIST
				     ? check_datetime(sub, e, v, NULL, i, err)
				     : check_object(f, sub, e, err);
			if (rc < 0)
				return -1;
		}
		return 0;
	}
	}
	return at_error_set(err, AT_E_SERVER, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
			    "field %s has an unknown type", path);
}

/* Checks the members of fields (an item's fields or an object) against defs.
 * patch: null removes a member (not a required one). */
static int check_members(const at_field_def *defs, size_t n_defs, const char *prefix,
			 const char *what, json_t *fields, bool patch, at_error *err)
{
	char path[AT_PATH_MAX];
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v) {
		const at_field_def *f = NULL;
		for (size_t i = 0; i < n_defs && f == NULL; i++)
			if (strcmp(defs[i].name, key) == 0)
				f = &defs[i];
		snprintf(path, sizeof(path), "%s%s%.*s", prefix, prefix[0] ? "." : "",
			 AT_MAX_FIELD_NAME, key);
		if (f == NULL)
			return at_error_set(err, AT_E_UNKNOWN_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    path, "unknown field \"%s\" for %s", path, what);
		if (json_is_null(v)) {
			if (patch && !(f->flags & AT_FF_REQUIRED))
				continue;
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    path, patch ? "field %s is required: it cannot be "
					    "removed" : "field %s is null; leave it out instead",
					    path);
		}
		if (check_value(f, path, v, fields, key, 0, err) < 0)
			return -1;
	}
	if (!patch)
		for (size_t i = 0; i < n_defs; i++)
			if ((defs[i].flags & AT_FF_REQUIRED) &&
			    json_object_get(fields, defs[i].name) == NULL) {
				snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "",
					 defs[i].name);
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, path,
						    "field %s is required (%s)", path, defs[i].label);
			}
	return 0;
}

static int check_object(const at_field_def *f, const char *path, json_t *obj, at_error *err)
{
	if (!json_is_object(obj))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "field %s must be an object", path);
	if (check_members(f->members, f->n_members, path, path, obj, false, err) < 0)
		return -1;
	return f->check != NULL ? f->check(f, obj, path, err) : 0;
}

int at_model_validate(const at_item_type *type, json_t *fields, bool patch,
		      at_error *err)
{
	if (!json_is_object(fields))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM,
				    AT_RETRY_FINAL, NULL, "fields must be a JSON object");
	char what[AT_MAX_FIELD_NAME + 8];
	snprintf(what, sizeof(what), "a %s", type->name);
	if (check_members(type->fields, type->n_fields, "", what, fields, patch, err) < 0)
		return -1;
	return type->check != NULL ? type->check(type, fields, patch, err) : 0;
}

static const char *ft_name(at_field_type t)
{
	switch (t) {
	case AT_FT_TEXT: return "text";
	case AT_FT_LONGTEXT: return "longtext";
	case AT_FT_DATE: return "date";
	case AT_FT_BOOL: return "boolean";
	case AT_FT_TEXT_LIST: return "textList";
	case AT_FT_DATETIME: return "datetime";
	case AT_FT_DATETIME_LIST: return "datetimeList";
	case AT_FT_ENUM: return "enum";
	case AT_FT_INT: return "integer";
	case AT_FT_ZONE: return "timeZone";
	case AT_FT_OBJECT: return "object";
	case AT_FT_OBJECT_LIST: return "objectList";
	}
	return "?";
}

static json_t *limits_of(const at_field_def *defs, size_t n)
{
	json_t *fields = json_object();
	for (size_t j = 0; j < n; j++) {
		const at_field_def *f = &defs[j];
		json_t *d = json_pack("{s:s}", "type", ft_name(f->type));
		switch (f->type) {
		case AT_FT_TEXT:
		case AT_FT_LONGTEXT:
		case AT_FT_ZONE:
			json_object_set_new(d, "maxLength", json_integer(f->max_len));
			break;
		case AT_FT_TEXT_LIST:
			json_object_set_new(d, "maxLength", json_integer(f->max_len));
			json_object_set_new(d, "maxItems", json_integer(f->max_items));
			break;
		case AT_FT_DATETIME_LIST:
			json_object_set_new(d, "maxItems", json_integer(f->max_items));
			break;
		case AT_FT_ENUM: {
			json_t *vals = json_array();
			for (const char *const *e = f->values; *e != NULL; e++)
				json_array_append_new(vals, json_string(*e));
			json_object_set_new(d, "values", vals);
			break;
		}
		case AT_FT_INT:
			json_object_set_new(d, "minimum", json_integer(f->min));
			json_object_set_new(d, "maximum", json_integer(f->max));
			break;
		case AT_FT_OBJECT_LIST:
			json_object_set_new(d, "maxItems", json_integer(f->max_items));
			/* fall through */
		case AT_FT_OBJECT:
			json_object_set_new(d, "members", limits_of(f->members, f->n_members));
			break;
		case AT_FT_DATE:
		case AT_FT_BOOL:
		case AT_FT_DATETIME:
			break;
		}
		if (f->flags & AT_FF_REQUIRED)
			json_object_set_new(d, "required", json_true());
		json_object_set_new(fields, f->name, d);
	}
	return fields;
}

json_t *at_model_limits_json(void)
{
	json_t *all = json_object();
	for (size_t i = 0; i < N_TYPES; i++)
		json_object_set_new(all, all_types[i]->name,
				    limits_of(all_types[i]->fields, all_types[i]->n_fields));
	return all;
}

void at_model_kebab(const char *camel, char *buf, size_t size)
{
	size_t o = 0;
	for (const char *p = camel; *p != '\0' && o + 2 < size; p++) {
		if (isupper((unsigned char)*p)) {
			buf[o++] = '-';
			buf[o++] = (char)tolower((unsigned char)*p);
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

const at_field_def *at_model_field_by_kebab(const at_item_type *type, const char *kebab)
{
	char buf[AT_MAX_FIELD_NAME * 2];
	for (size_t i = 0; i < type->n_fields; i++) {
		at_model_kebab(type->fields[i].name, buf, sizeof(buf));
		if (strcmp(buf, kebab) == 0)
			return &type->fields[i];
	}
	return NULL;
}

static const char *str_field(json_t *fields, const char *name)
{
	json_t *v = json_object_get(fields, name);
	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

void at_model_item_title(const at_item_type *type, json_t *fields, char *buf, size_t size)
{
	buf[0] = '\0';
	if (type->title != NULL) {
		type->title(fields, buf, size);
		return;
	}
	if (strcmp(type->name, "contact") == 0) {
		const char *dn = str_field(fields, "displayName");
		const char *first = str_field(fields, "firstName");
		const char *last = str_field(fields, "lastName");
		const char *company = str_field(fields, "company");
		const char *email = str_field(fields, "email1");
		if (dn != NULL)
			snprintf(buf, size, "%s", dn);
		else if (last != NULL && first != NULL)
			snprintf(buf, size, "%s, %s", last, first);
		else if (last != NULL || first != NULL)
			snprintf(buf, size, "%s", last != NULL ? last : first);
		else if (company != NULL)
			snprintf(buf, size, "%s", company);
		else if (email != NULL)
			snprintf(buf, size, "%s", email);
		else
			snprintf(buf, size, "(no name)");
		return;
	}
	snprintf(buf, size, "(%s)", type->name);
}
