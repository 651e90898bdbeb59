/* model.c — see model.h.  The field list follows the contact dialog of the
 * desktop client field for field (DESIGN §3; manual Table 6.1), including the
 * fields the old server dropped. */
#include "model.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

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

#define T(n, len, label) {n, AT_FT_TEXT, len, 0, label}
#define PHONE(n, label) {n, AT_FT_TEXT, 64, 0, label}

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
	{"birthday", AT_FT_DATE, 10, 0, "birthday (YYYY-MM-DD)"},
	{"anniversary", AT_FT_DATE, 10, 0, "anniversary (YYYY-MM-DD)"},
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
	{"vcardExtra", AT_FT_LONGTEXT, 65536, 0, "vCard properties Atrium does not map (kept verbatim)"},
	{"notes", AT_FT_LONGTEXT, 65536, 0, "notes"},
	{"categories", AT_FT_TEXT_LIST, 128, 64, "categories"},
	{"private", AT_FT_BOOL, 0, 0, "private (visible to its creator only)"},
};

#undef T
#undef PHONE

static const at_item_type item_types[] = {
	{"contact", AT_MODULE_CONTACTS, contact_fields,
	 sizeof(contact_fields) / sizeof(contact_fields[0])},
};

const at_item_type *at_model_item_type(const char *name)
{
	for (size_t i = 0; i < sizeof(item_types) / sizeof(item_types[0]); i++)
		if (strcmp(item_types[i].name, name) == 0)
			return &item_types[i];
	return NULL;
}

const at_item_type *at_model_default_type(at_module m)
{
	for (size_t i = 0; i < sizeof(item_types) / sizeof(item_types[0]); i++)
		if (item_types[i].module == m)
			return &item_types[i];
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

static int check_text(const at_field_def *f, json_t *v, bool multiline, at_error *err)
{
	if (!json_is_string(v))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    f->name, "field %s must be a string", f->name);
	const char *s = json_string_value(v);
	size_t bytes = json_string_length(v);
	if (strlen(s) != bytes || !clean_text(s, bytes, multiline))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    f->name, "field %s contains control characters", f->name);
	size_t chars = at_utf8_length(s, bytes);
	if (chars > f->max_len)
		return at_error_set(err, AT_E_FIELD_TOO_LONG, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    f->name,
				    "field %s is too long: %zu characters, the limit is %u",
				    f->name, chars, f->max_len);
	return 0;
}

int at_model_validate(const at_item_type *type, json_t *fields, bool patch,
		      at_error *err)
{
	if (!json_is_object(fields))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM,
				    AT_RETRY_FINAL, NULL, "fields must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v) {
		const at_field_def *f = at_model_field(type, key);
		if (f == NULL) {
			char shown[AT_MAX_FIELD_NAME + 1];
			snprintf(shown, sizeof(shown), "%s", key);
			return at_error_set(err, AT_E_UNKNOWN_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    shown, "unknown field \"%s\" for a %s", shown,
					    type->name);
		}
		if (json_is_null(v)) {
			if (patch)
				continue;
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    f->name, "field %s is null; leave it out instead",
					    f->name);
		}
		switch (f->type) {
		case AT_FT_TEXT:
			if (check_text(f, v, false, err) < 0)
				return -1;
			break;
		case AT_FT_LONGTEXT:
			if (check_text(f, v, true, err) < 0)
				return -1;
			break;
		case AT_FT_DATE:
			if (!json_is_string(v) || !valid_date(json_string_value(v)))
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, f->name,
						    "field %s must be a date YYYY-MM-DD", f->name);
			break;
		case AT_FT_BOOL:
			if (!json_is_boolean(v))
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, f->name,
						    "field %s must be true or false", f->name);
			break;
		case AT_FT_TEXT_LIST: {
			if (!json_is_array(v))
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, f->name,
						    "field %s must be a list of strings", f->name);
			if (json_array_size(v) > f->max_items)
				return at_error_set(err, AT_E_FIELD_TOO_LONG, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, f->name,
						    "field %s has %zu entries, the limit is %u",
						    f->name, json_array_size(v), f->max_items);
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				if (check_text(f, e, false, err) < 0)
					return -1;
			}
			break;
		}
		}
	}
	return 0;
}

static const char *ft_name(at_field_type t)
{
	switch (t) {
	case AT_FT_TEXT: return "text";
	case AT_FT_LONGTEXT: return "longtext";
	case AT_FT_DATE: return "date";
	case AT_FT_BOOL: return "boolean";
	case AT_FT_TEXT_LIST: return "textList";
	}
	return "?";
}

json_t *at_model_limits_json(void)
{
	json_t *all = json_object();
	for (size_t i = 0; i < sizeof(item_types) / sizeof(item_types[0]); i++) {
		const at_item_type *t = &item_types[i];
		json_t *fields = json_object();
		for (size_t j = 0; j < t->n_fields; j++) {
			const at_field_def *f = &t->fields[j];
			json_t *d = json_pack("{s:s}", "type", ft_name(f->type));
			if (f->type != AT_FT_BOOL && f->type != AT_FT_DATE)
				json_object_set_new(d, "maxLength", json_integer(f->max_len));
			if (f->type == AT_FT_TEXT_LIST)
				json_object_set_new(d, "maxItems", json_integer(f->max_items));
			json_object_set_new(fields, f->name, d);
		}
		json_object_set_new(all, t->name, fields);
	}
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
