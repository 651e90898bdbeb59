/* personal.c — see personal.h. */
#include "personal.h"

#include <string.h>

const char *const at_personal_managed_fields[] = {"displayName", "email1", "private", NULL};

bool at_personal_field_managed(const char *name)
{
	for (const char *const *f = at_personal_managed_fields; *f != NULL; f++)
		if (strcmp(*f, name) == 0)
			return true;
	return false;
}
