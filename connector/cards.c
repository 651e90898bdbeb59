/* cards.c — see cards.h. */
#include "cards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "blob.h"
#include "blobs.h"
#include "common.h"
#include "strbuf.h"
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

int ac_card_lift_photo(const char *cache, int64_t max_photo, const at_vcard *card,
		       json_t *fields, at_error *err)
{
	if (cache == NULL || card->photo == NULL || card->photo_len == 0)
		return 0;
	const char *type = at_image_sniff(card->photo, card->photo_len, NULL, NULL);
	if (type == NULL || (int64_t)card->photo_len > max_photo)
		return 0;
	const char *raw = NULL;
	for (size_t i = 0; i < card->n_props && raw == NULL; i++)
		if (strcmp(card->props[i].name, "PHOTO") == 0 && card->props[i].bin != NULL)
			raw = card->props[i].raw;
	const char *extra = json_string_value(json_object_get(fields, AT_VCARD_EXTRA_FIELD));
	if (raw == NULL || extra == NULL)
		return 0;
	/* vcardExtra without that line (lines joined by CRLF) */
	size_t rlen = strlen(raw);
	const char *p = extra, *hit = NULL;
	while (*p != '\0' && hit == NULL) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len == rlen && memcmp(p, raw, rlen) == 0)
			hit = p;
		else
			p = eol != NULL ? eol + 2 : p + len;
	}
	if (hit == NULL)
		return 0;
	char id[AT_BLOB_ID_SIZE];
	at_blob_id_of(card->photo, card->photo_len, id);
	if (!ac_blob_cached(cache, id) &&
	    ac_blob_import_bytes(cache, card->photo, card->photo_len, id, NULL, err) < 0)
		return -1;
	at_buf rest;
	at_buf_init(&rest, 0);
	at_buf_append(&rest, extra, (size_t)(hit - extra));
	const char *after = hit + rlen;
	if (strncmp(after, "\r\n", 2) == 0)
		after += 2;
	else if (rest.len >= 2)
		at_buf_truncate(&rest, rest.len - 2);  /* the last line: drop its separator */
	at_buf_puts(&rest, after);
	if (rest.len > 0)
		json_object_set_new(fields, AT_VCARD_EXTRA_FIELD,
				    json_stringn(rest.data, rest.len));
	else
		json_object_del(fields, AT_VCARD_EXTRA_FIELD);
	at_buf_free(&rest);
	json_object_set_new(fields, "photo",
			    json_pack("{s:s,s:s,s:I}", "blobId", id, "type", type, "size",
				      (json_int_t)card->photo_len));
	return 0;
}

int ac_card_photo_inline(json_t *fields, const char *cache, at_vcard_version version,
			 json_t **fields_r, at_error *err)
{
	json_t *out = json_deep_copy(fields);
	json_t *photo = json_object_get(out, "photo");
	const char *id = ac_jstr(photo, "blobId"), *type = ac_jstr(photo, "type");
	unsigned char *data = NULL;
	size_t len = 0;
	int ret = 0;
	at_error_clear(err);
	if (id == NULL || type == NULL || strchr(type, '/') == NULL)
		goto done;
	ret = 1;
	if (cache == NULL || !ac_blob_cached(cache, id) ||
	    ac_blob_read(cache, id, AT_VCARD_MAX_BINARY, &data, &len, err) < 0)
		goto done;
	size_t b64 = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *text = malloc(b64);
	if (text == NULL)
		abort();
	sodium_bin2base64(text, b64, data, len, sodium_base64_VARIANT_ORIGINAL);
	const char *sub = strchr(type, '/') + 1;
	const char *extra = ac_jstr(out, AT_VCARD_EXTRA_FIELD);
	char *line = NULL;
	int n = version == AT_VCARD_V40
			? asprintf(&line, "%s%sPHOTO:data:%s;base64,%s", extra ? extra : "",
				   extra ? "\r\n" : "", type, text)
			: asprintf(&line, "%s%sPHOTO;ENCODING=b;TYPE=%s:%s", extra ? extra : "",
				   extra ? "\r\n" : "",
				   strcmp(sub, "jpeg") == 0  ? "JPEG"
				   : strcmp(sub, "png") == 0 ? "PNG"
							     : "GIF",
				   text);
	if (n < 0)
		abort();
	json_object_set_new(out, AT_VCARD_EXTRA_FIELD, json_string(line));
	free(line);
	free(text);
	ret = 0;
done:
	json_object_del(out, "photo");
	free(data);
	*fields_r = out;
	return ret;
}
