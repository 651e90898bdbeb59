/* test_password.c — password strength rating: weak (short, common,
 * login-based, runs, one kind of character), fair, strong. */
#include <string.h>

#include "testutil.h"

#include "password.h"

static const struct {
	const char *password, *login;
	at_strength want;
	const char *reason_has;  /* a word the reason must contain, or NULL */
} table[] = {
	/* short */
	{"", NULL, AT_STRENGTH_WEAK, "8"},
	{"Ab1!", NULL, AT_STRENGTH_WEAK, "8"},
	{"Xy7#kQ2", NULL, AT_STRENGTH_WEAK, "8"},  /* 7 characters, four kinds */
	/* common passwords, also lightly decorated and in other cases */
	{"password", NULL, AT_STRENGTH_WEAK, "common"},
	{"Password1", NULL, AT_STRENGTH_WEAK, "common"},
	{"PASSWORD!!", NULL, AT_STRENGTH_WEAK, "common"},
	{"qwerty12", NULL, AT_STRENGTH_WEAK, "common"},
	{"letmein!", NULL, AT_STRENGTH_WEAK, "common"},
	{"12345678", NULL, AT_STRENGTH_WEAK, "common"},
	{"1trustno1", NULL, AT_STRENGTH_WEAK, "common"},
	/* based on the login */
	{"alice2024", "alice", AT_STRENGTH_WEAK, "login"},
	{"ALICE2024", "alice", AT_STRENGTH_WEAK, "login"},
	{"1234alice", "alice", AT_STRENGTH_WEAK, "login"},
	/* runs of the same or consecutive characters */
	{"aaaaaaaa", NULL, AT_STRENGTH_WEAK, "run"},
	{"abcdefghij", NULL, AT_STRENGTH_WEAK, "run"},
	{"ABCDEFGH", NULL, AT_STRENGTH_WEAK, "run"},
	{"98765432", NULL, AT_STRENGTH_WEAK, "run"},
	{"zzzzzzzzzzzzzzzz", NULL, AT_STRENGTH_WEAK, "run"},
	/* one kind of character only */
	{"lowercaseonly", NULL, AT_STRENGTH_WEAK, "kind"},
	{"53829174", NULL, AT_STRENGTH_WEAK, "kind"},
	/* fair: two or more kinds, not long enough to be strong */
	{"sunflower7", NULL, AT_STRENGTH_FAIR, NULL},
	{"Tr0ub4dor", NULL, AT_STRENGTH_FAIR, NULL},
	{"abcdefgh1", NULL, AT_STRENGTH_FAIR, NULL},       /* no longer a pure run */
	{"alice!2024x", "alice", AT_STRENGTH_FAIR, NULL},  /* login plus enough else */
	{"al12345xyz", "al", AT_STRENGTH_FAIR, NULL},      /* logins under 3 ignored */
	/* strong */
	{"my-password-is-long", NULL, AT_STRENGTH_STRONG, NULL},  /* a common word and more */
	{"Tr0ub4dor&3xyz", NULL, AT_STRENGTH_STRONG, NULL},
	{"Zebra-Lamp-42", NULL, AT_STRENGTH_STRONG, NULL},
	{"sixteenchars1234", NULL, AT_STRENGTH_STRONG, NULL},
	{"correcthorsebatterystaple", NULL, AT_STRENGTH_STRONG, NULL},  /* 25, one kind */
	{"Alice-Secret:2024", "alice", AT_STRENGTH_STRONG, NULL},
};

static void test_table(void **state)
{
	(void)state;
	static const char *const names[] = {"weak", "fair", "strong"};
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		char reason[160];
		memset(reason, 0, sizeof(reason));
		at_strength got = at_password_strength(table[i].password, table[i].login, reason,
						       sizeof(reason));
		check(got == table[i].want, "\"%s\" (login %s): %s, expected %s (%s)",
		      table[i].password, table[i].login ? table[i].login : "-", names[got],
		      names[table[i].want], reason);
		check(reason[0] != '\0', "\"%s\": no reason given", table[i].password);
		if (table[i].reason_has != NULL)
			check(strstr(reason, table[i].reason_has) != NULL,
			      "\"%s\": reason \"%s\" lacks \"%s\"", table[i].password, reason,
			      table[i].reason_has);
		/* the same answer without a reason buffer */
		check(at_password_strength(table[i].password, table[i].login, NULL, 0) == got,
		      "\"%s\": rating depends on the reason buffer", table[i].password);
	}
}

static void test_reason_buffer_bounded(void **state)
{
	(void)state;
	char tiny[6];
	memset(tiny, '#', sizeof(tiny));
	assert_int_equal(at_password_strength("short", NULL, tiny, 4), AT_STRENGTH_WEAK);
	assert_true(strlen(tiny) < 4);
	assert_int_equal(tiny[4], '#');
	assert_int_equal(tiny[5], '#');
}

static void test_very_long_passwords(void **state)
{
	(void)state;
	char pw[AT_PASSWORD_MAX + 200];
	for (size_t i = 0; i < sizeof(pw) - 1; i++)
		pw[i] = (char)('a' + (i * 7) % 26);
	pw[sizeof(pw) - 1] = '\0';
	assert_int_equal(at_password_strength(pw, "alice", NULL, 0), AT_STRENGTH_STRONG);
	memset(pw, 'x', sizeof(pw) - 1);
	assert_int_equal(at_password_strength(pw, NULL, NULL, 0), AT_STRENGTH_WEAK);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(at_strength_name(AT_STRENGTH_WEAK), "weak");
	assert_string_equal(at_strength_name(AT_STRENGTH_FAIR), "fair");
	assert_string_equal(at_strength_name(AT_STRENGTH_STRONG), "strong");
	assert_string_equal(at_strength_name((at_strength)9), "weak");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reason_buffer_bounded),
		cmocka_unit_test(test_very_long_passwords),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("password", tests, NULL, NULL);
}
