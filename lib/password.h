/* password.h — password strength rating, shared by server and connector.
 *
 * The server refuses weak new passwords; the connector shows the rating
 * while the user types (manual §4.3.4).  The rating is deterministic and
 * explains itself: weak passwords come with a reason the user can act on. */
#ifndef AT_PASSWORD_H
#define AT_PASSWORD_H

#include <stddef.h>

typedef enum at_strength {
	AT_STRENGTH_WEAK = 0,
	AT_STRENGTH_FAIR,
	AT_STRENGTH_STRONG,
} at_strength;

#define AT_PASSWORD_MAX 1024  /* bytes; longer input is refused before hashing */

/* login may be NULL.  reason (may be NULL) receives a short explanation. */
at_strength at_password_strength(const char *password, const char *login,
				 char *reason, size_t reason_size);
const char *at_strength_name(at_strength s);

#endif
