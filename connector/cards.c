/* cards.c — see cards.h. */
#include "cards.h"

#include <string.h>
#include <strings.h>

#include "common.h"
#include "vcard.h"

const char *ac_card_fields_uid(json_t *fields, at_arena *a)
{
	return ac_card_extra_uid(ac_jstr(fields, AT_VCARD_EXTRA_FIELD), a);
}

const char *ac_card_extra_uid(const char *extra, at_arena *a)
{
	for (const char *p = extra; p != NULL && *p != '\0';) {
		if (strncasecmp(p, "UID:", 4) == 0) {
			size_t n = strcspn(p + 4, "\r\n");
			return at_vcard_unescape(at_arena_strndup(a, p + 4, n), a);
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

const char *ac_card_ref(const ac_item *it, at_arena *a)
{
	if (it->server_id[0] != '\0')
		return at_arena_strdup(a, it->server_id);
	return at_arena_printf(a, "#%s", it->client_id[0] ? it->client_id : it->local_id);
}

void ac_card_index_put(json_t *uids, const char *uid, const char *ref, at_arena *a)
{
	if (uid == NULL || uid[0] == '\0')
		return;
	json_object_set_new(uids, uid, json_string(ref));
	if (strncasecmp(uid, "urn:uuid:", 9) != 0)
		json_object_set_new(uids, at_arena_printf(a, "urn:uuid:%s", uid),
				    json_string(ref));
}

ac_item *ac_card_member_contact(ac_store *store, const char *ref)
{
	ac_item *it = NULL;
	at_error e;
	at_error_clear(&e);
	if (ref[0] == '#')
		(void)ac_store_item_get(store, ref + 1, &it, &e);
	else
		(void)ac_store_item_by_server_id(store, ref, &it, &e);
	if (it != NULL && (it->state == AC_STATE_DELETED || strcmp(it->type, "contact") != 0))
		ac_item_free(&it);
	return it;
}

const char *ac_card_member_urn(const ac_item *contact, const char *own_uid, at_arena *a)
{
	const char *uid = ac_card_fields_uid(contact->fields, a);
	if (uid == NULL)
		uid = own_uid;
	if (strncasecmp(uid, "urn:", 4) == 0)
		return at_arena_strdup(a, uid);
	return at_arena_printf(a, "urn:uuid:%s", uid);
}
