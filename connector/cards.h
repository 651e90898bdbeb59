/* cards.h — contacts as vCards: the UID a contact's card carries and the
 * references of distribution-list members.
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

#include "arena.h"
#include "store.h"

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

#endif
