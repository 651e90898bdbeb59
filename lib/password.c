/* password.c — see password.h.  A small rule set rather than a dictionary
 * library: length and character classes, plus the patterns that make long
 * passwords guessable (a repeated character, a keyboard or digit run, the
 * login itself, the most common passwords). */
#include "password.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const common[] = {
	"password", "passwort", "motdepasse", "123456", "12345678", "123456789",
	"1234567890", "qwerty", "qwertz", "azerty", "letmein", "welcome", "admin",
	"iloveyou", "monkey", "dragon", "sunshine", "princess", "football",
	"abc123", "trustno1", "changeme", "secret",
};

const char *at_strength_name(at_strength s)
{
	switch (s) {
	case AT_STRENGTH_WEAK: return "weak";
	case AT_STRENGTH_FAIR: return "fair";
	case AT_STRENGTH_STRONG: return "strong";
	}
	return "weak";
}

static void say(char *reason, size_t size, const char *text)
{
	if (reason != NULL && size > 0)
		snprintf(reason, size, "%s", text);
}

static int is_run(const char *p)
{
	/* "abcd", "4321", "1111": every step the same (+1, -1 or 0) */
	size_t n = strlen(p);
	if (n < 4)
		return 0;
	int step = p[1] - p[0];
	if (step < -1 || step > 1)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] - p[i - 1] != step)
			return 0;
	return 1;
}

at_strength at_password_strength(const char *password, const char *login,
				 char *reason, size_t reason_size)
{
	size_t len = strlen(password);
	if (len < 8) {
		say(reason, reason_size, "shorter than 8 characters");
		return AT_STRENGTH_WEAK;
	}
	char lower[AT_PASSWORD_MAX + 1];
	size_t n = len < AT_PASSWORD_MAX ? len : AT_PASSWORD_MAX;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)password[i]);
	lower[n] = '\0';
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		size_t cl = strlen(common[i]);
		/* the common word plus at most two decorations */
		if (strstr(lower, common[i]) != NULL && len <= cl + 2) {
			say(reason, reason_size, "a commonly used password");
			return AT_STRENGTH_WEAK;
		}
	}
	if (login != NULL && strlen(login) >= 3 && strcasestr(password, login) != NULL &&
	    len <= strlen(login) + 4) {
		say(reason, reason_size, "too close to the login name");
		return AT_STRENGTH_WEAK;
	}
	if (is_run(lower)) {
		say(reason, reason_size, "a run of the same or consecutive characters");
		return AT_STRENGTH_WEAK;
	}
	int lo = 0, up = 0, dg = 0, ot = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)password[i];
		if (islower(c)) lo = 1;
		else if (isupper(c)) up = 1;
		else if (isdigit(c)) dg = 1;
		else ot = 1;
	}
	int classes = lo + up + dg + ot;
	if ((len >= 12 && classes >= 3) || (len >= 16 && classes >= 2) || len >= 24) {
		say(reason, reason_size, "long and varied");
		return AT_STRENGTH_STRONG;
	}
	if (classes >= 2) {
		say(reason, reason_size, "use 12 or more characters of three kinds for a strong password");
		return AT_STRENGTH_FAIR;
	}
	say(reason, reason_size, "only one kind of character; add digits, capitals or symbols");
	return AT_STRENGTH_WEAK;
}
