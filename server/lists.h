/* lists.h — what atriumd does when a distribution list or a contact is
 * written: a list's members that reference contacts carry those contacts'
 * names and addresses, and follow them (DESIGN §3; docs/protocol.md,
 * "Distribution list fields").
 *
 * Hooks of the write path (hooks.h):
 *   - distributionList before_write: each member with contactId must name
 *     a contact the writer may read (a "#clientId" reference is first
 *     resolved to the contact the writer created with that client id, so
 *     a list and its new contacts can travel in one request); the member's
 *     name and address become the contact's current ones (the display name,
 *     else the title; the address named by addressField, email1 by
 *     default).  Anything else is refused naming members[i].contactId.
 *   - contact after_write: when the name or an address changed, every list
 *     referencing the contact (the store's index) is rewritten with the new
 *     values, at the same modseq;
 *   - contact after_delete: every list referencing it keeps the member as
 *     a plain recipient with the last known name and address.
 * The Global Address Book's entries change outside Item/sync (gab.c): it
 * calls as_lists_contact_changed() itself. */
#ifndef AS_LISTS_H
#define AS_LISTS_H

#include "hooks.h"

extern const as_item_hooks as_list_hooks;
extern const as_item_hooks as_contact_hooks;

/* Inside a write transaction: brings the lists referencing contact (its
 * new state; deleted: the member becomes plain) in line. */
int as_lists_contact_changed(as_store *s, at_arena *a, const as_item *contact, bool deleted,
			     at_error *err);

#endif
