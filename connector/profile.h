/* profile.h — the connector's home directory and its profiles.
 *
 * Layout (every directory 0700, every file 0600):
 *
 *   HOME/current                      name of the current profile
 *   HOME/profiles/NAME/profile.json   {"name","server","user","created",
 *                                      "pin"?, "caFile"?}
 *   HOME/profiles/NAME/secret         {"password", "token"?}: the password
 *                                     and, once logged in, the bearer token
 *   HOME/profiles/NAME/store.db       the local offline store (store.h)
 *   HOME/profiles/NAME/sync.lock      held while a sync runs
 *
 * HOME is --home, else $ATRIUM_HOME, else $XDG_DATA_HOME/atrium, else
 * ~/.local/share/atrium.  Profiles (users, servers) live side by side and
 * share nothing.  Files are replaced atomically through a temporary file
 * created with its final mode, so the secret is never readable by others,
 * not even for a moment.
 *
 * Ownership: ac_profile_open() returns a profile owned by the caller, freed
 * with ac_profile_free() (which wipes the secrets from memory).  Strings
 * returned through _r parameters are malloc'ed and owned by the caller. */
#ifndef AC_PROFILE_H
#define AC_PROFILE_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

#define AC_PROFILE_NAME_MAX 64
#define AC_SERVER_URL_MAX 2048
#define AC_LOGIN_MAX 64

typedef struct ac_profile {
	char name[AC_PROFILE_NAME_MAX + 1];
	char *home;
	char *dir;       /* HOME/profiles/NAME */
	char *server;    /* base URL, no trailing slash */
	char *user;      /* login name */
	char *created;   /* ISO time */
	char *password;  /* from the secret file */
	char *token;     /* bearer token, NULL until logged in */
	char *pin;       /* "sha256//BASE64" public key pin(s), or NULL */
	char *ca_file;   /* CA bundle to verify the server with, or NULL */
} ac_profile;

/* Picks HOME from opt_home (may be NULL) and the environment. */
int ac_home_resolve(const char *opt_home, char **home_r, at_error *err);
/* Creates HOME and HOME/profiles (0700) if missing. */
int ac_home_prepare(const char *home, at_error *err);

/* [A-Za-z0-9._-]{1,64}, not "." nor "..". */
bool ac_profile_name_valid(const char *name);
/* http:// or https://, printable, at most AC_SERVER_URL_MAX. */
bool ac_server_url_valid(const char *url);

/* Creates the profile; the first profile (or any when no current profile
 * exists) becomes current, reported through made_current_r (may be NULL).
 * Nothing is checked over the network. */
int ac_profile_add(const char *home, const char *name, const char *server,
		   const char *user, const char *password, bool *made_current_r,
		   at_error *err);
/* How the profile trusts an https server: pin (curl's "sha256//BASE64" form,
 * several joined by ';') trusts exactly that public key, as for a
 * self-signed server; ca_file verifies the certificate against that bundle.
 * Either may be NULL.  Checks the forms; stores them in profile.json. */
int ac_profile_set_tls(const char *home, const char *name, const char *pin,
		       const char *ca_file, at_error *err);
bool ac_pin_valid(const char *pin);
/* Removes the profile's directory; clears "current" when it was current. */
int ac_profile_remove(const char *home, const char *name, at_error *err);
int ac_profile_use(const char *home, const char *name, at_error *err);
/* The current profile's name (buffer of AC_PROFILE_NAME_MAX + 1); notFound
 * when there is none. */
int ac_profile_current(const char *home, char *name_r, at_error *err);
/* [{"name","server","user","created","current"}...] sorted by name. */
int ac_profile_list(const char *home, json_t **list_r, at_error *err);

/* Opens profile name, or the current one when name is NULL. */
int ac_profile_open(const char *home, const char *name, ac_profile **profile_r,
		    at_error *err);
void ac_profile_free(ac_profile **profile);
/* "DIR/file" (malloc'ed). */
char *ac_profile_path(const ac_profile *profile, const char *file);
/* Replace the token (NULL: forget it) or the password and write the secret
 * file. */
int ac_profile_set_token(ac_profile *profile, const char *token, at_error *err);
int ac_profile_set_password(ac_profile *profile, const char *password, at_error *err);

#endif
