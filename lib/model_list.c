/* model_list.c — the distribution list item type of the model (model.h):
 * a named list of e-mail recipients kept in contacts folders (DESIGN §3;
 * the manual's §2.2 "Contacts and Distribution Lists").
 *
 * A member is either a reference to a contact — contactId (the contact's
 * server id) and which of its three addresses (addressField, email1 when
 * absent) — or a plain recipient: name and address.  A client may name a
 * contact it created but has not seen acknowledged as "#" and the contact's
 * clientId; the server replaces it by the contact's id when it stores the
 * list, so stored lists hold server ids only.  A referenced member
 * also carries the contact's name and address as last known: the server
 * writes them when the list is stored and whenever the contact changes, so
 * that a list can be expanded without reading its contacts and keeps the
 * last known address when the contact is deleted (the reference is then
 * dropped and the member stays as a plain recipient).
 *
 * The Global Address Book holds one list per group, written by the server
 * only (gab.h); its members reference the members' entries there. */
#include "model.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "protocol.h"

static const char *const address_values[] = {"email1", "email2", "email3", NULL};

#define F(n, ty, len, items, lbl, ...) \
	{.name = n, .type = ty, .max_len = len, .max_items = items, .label = lbl, __VA_ARGS__}
#define TEXT(n, len, label) F(n, AT_FT_TEXT, len, 0, label)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int check_member(const at_field_def *f, json_t *o, const char *path, at_error *err)
{
	(void)f;
	bool ref = json_object_get(o, "contactId") != NULL;
	if (!ref && json_string_length(json_object_get(o, "address")) == 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "%s needs a contactId or an address", path);
	if (!ref && json_object_get(o, "addressField") != NULL)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "%s: addressField names an address of a referenced contact: "
				    "give contactId too", path);
	const char *cid = json_string_value(json_object_get(o, "contactId"));
	if (ref && !at_id_valid(cid[0] == '#' ? cid + 1 : cid))
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, path,
				    "%s.contactId is neither an item id nor # and a client id",
				    path);
	return 0;
}

static const at_field_def member_members[] = {
	TEXT("contactId", AT_MAX_ID_LEN, "the referenced contact (server id)"),
	F("addressField", AT_FT_ENUM, 0, 0, "which address of the contact: email1, email2, email3",
	 .values = address_values),
	TEXT("name", 256, "display name (of the contact, as last known)"),
	TEXT("address", 320, "e-mail address (of the contact, as last known)"),
};

static const at_field_def list_fields[] = {
	F("displayName", AT_FT_TEXT, 256, 0, "name of the list", .flags = AT_FF_REQUIRED),
	F("members", AT_FT_OBJECT_LIST, 0, AT_LIST_MAX_MEMBERS, "members",
	 .members = member_members, .n_members = N(member_members), .check = check_member),
	F("notes", AT_FT_LONGTEXT, 65536, 0, "notes"),
	F("categories", AT_FT_TEXT_LIST, 128, 64, "categories"),
	F("private", AT_FT_BOOL, 0, 0, "private (visible to its creator only)"),
	F("vcardExtra", AT_FT_LONGTEXT, 65536, 0,
	 "vCard properties Atrium does not map (kept verbatim)"),
};

/* No recipient twice: the same contact address, or the same plain address
 * (ignoring case). */
static int check_list(const at_item_type *type, json_t *fields, bool patch, at_error *err)
{
	(void)type;
	(void)patch;
	json_t *list = json_object_get(fields, "members");
	size_t n = json_array_size(list);
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_array_get(list, i);
		const char *ca = json_string_value(json_object_get(a, "contactId"));
		const char *fa = json_string_value(json_object_get(a, "addressField"));
		const char *aa = json_string_value(json_object_get(a, "address"));
		for (size_t j = 0; j < i; j++) {
			json_t *b = json_array_get(list, j);
			const char *cb = json_string_value(json_object_get(b, "contactId"));
			const char *fb = json_string_value(json_object_get(b, "addressField"));
			const char *ab = json_string_value(json_object_get(b, "address"));
			bool same;
			if (ca != NULL || cb != NULL)
				same = ca != NULL && cb != NULL && strcmp(ca, cb) == 0 &&
				       strcmp(fa ? fa : "email1", fb ? fb : "email1") == 0;
			else
				same = aa != NULL && ab != NULL && strcasecmp(aa, ab) == 0;
			if (same)
				return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						    AT_RETRY_FINAL, "members",
						    "members[%zu] is already members[%zu]", i, j);
		}
	}
	return 0;
}

static void list_title(json_t *fields, char *buf, size_t size)
{
	const char *s = json_string_value(json_object_get(fields, "displayName"));
	snprintf(buf, size, "%s", s != NULL && *s != '\0' ? s : "(no name)");
}

const at_item_type at_model_distribution_list = {
	"distributionList", AT_MODULE_CONTACTS, list_fields, N(list_fields), check_list,
	list_title,
};
