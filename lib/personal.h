/* personal.h — personal data: the fields of a user's own entry in the
 * Global Address Book that only the server writes.
 *
 * A user's personal data is their contact in the Global Address Book
 * (DESIGN §3).  The user edits it through Account/setPersonalData (the
 * connector's "atrium personal edit"); every contact field is theirs except
 * the ones below, which the server keeps equal to the account (set by the
 * administrator): displayName (the account's display name), email1 (the
 * account's address, the one mail and invitations go to) and private (an
 * entry of the address book is never private).  Shared by the server, which
 * refuses them, and the connector, which leaves them out of its options. */
#ifndef AT_PERSONAL_H
#define AT_PERSONAL_H

#include <stdbool.h>
#include <stddef.h>

/* The server-managed contact fields, NULL-terminated. */
extern const char *const at_personal_managed_fields[];

bool at_personal_field_managed(const char *name);

#endif
