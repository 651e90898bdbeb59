/* cards.h — contacts as vCards: the UID a contact's card carries, the
 * references of distribution-list members, and the photo as a PHOTO line.
 *
 * A list member that is a contact names it by reference (lib/model_list.c):
 * the contact's server id, or "#" and its client id while the server has
 * not acknowledged it.  In a vCard the member is "urn:uuid:UID", UID being
 * the one the contact's own card carries.  The vCard import and export
 * (cli_vcf.c) and the local files mirror (mirror.c) translate between the
 * two with these helpers; each passes the UID its cards get when the
 * contact has none of its own (the export its server id, the mirror its
 * client id).  Strings returned are allocated from the arena given. */
#ifndef AC_CARDS_H
#define AC_CARDS_H

#include <jansson.h>

#include <stdint.h>

#include "arena.h"
#include "store.h"
#include "vcard.h"

/* The UID a contact's fields carry (the UID line of vcardExtra), or NULL. */
const char *ac_card_fields_uid(json_t *fields, at_arena *a);
/* The same from the text of vcardExtra (NULL: none). */
const char *ac_card_extra_uid(const char *extra, at_arena *a);

/* The reference a list member makes to the local item it: its server id, or
 * "#" and its client id. */
const char *ac_card_ref(const ac_item *it, at_arena *a);

/* uids[UID] = ref, and uids["urn:uuid:UID"] = ref too (the form MEMBER
 * lines use).  Nothing for an empty or NULL uid. */
void ac_card_index_put(json_t *uids, const char *uid, const char *ref, at_arena *a);

/* The live contact a member reference names (server id, or "#" and client
 * id), or NULL when this device has none.  The caller frees it. */
ac_item *ac_card_member_contact(ac_store *store, const char *ref);

/* The URN a MEMBER line names a contact with: its card's UID (own_uid when
 * its fields carry none) as "urn:uuid:UID", or the UID as it is when it
 * already is a URN. */
const char *ac_card_member_urn(const ac_item *contact, const char *own_uid, at_arena *a);

/* ---- photos -------------------------------------------------------------- */

/* A contact's photo is a blob (blobs.h) and its field {blobId, type, size};
 * lib/vcard.h maps no PHOTO (bytes are no JSON field).  These put it into
 * and take it out of a card's vcardExtra, as an inline PHOTO line. */

/* The first PHOTO of card, when it is inline and its bytes are a JPEG, PNG
 * or GIF of at most max_photo bytes, becomes the photo field of fields
 * (fields of at_vcard_to_fields(card)): the bytes go into the blob cache at
 * cache (unless they are there already) and the PHOTO line leaves
 * vcardExtra.  Any other PHOTO (a URI, a second one, bytes that are no such
 * image) stays in vcardExtra verbatim.  -1 only when the cache cannot be
 * written. */
int ac_card_lift_photo(const char *cache, int64_t max_photo, const at_vcard *card,
		       json_t *fields, at_error *err);

/* *fields_r: a copy of fields to write a card with — without the photo
 * field, its photo (read from the cache) an inline PHOTO line at the end of
 * vcardExtra in the form of version (3.0: ENCODING=b;TYPE=JPEG; 4.0: a
 * data: URI).  Returns 0, or 1 when the photo was left out: not in the
 * cache (err cleared), or unreadable there (err says why). */
int ac_card_photo_inline(json_t *fields, const char *cache, at_vcard_version version,
			 json_t **fields_r, at_error *err);

#endif
