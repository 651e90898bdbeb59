/* fuzz_token.c — libFuzzer target for sync token parsing.
 *
 * Input: the sinceToken string (a NUL-terminated copy of the bytes).  A token
 * that parses must format back to a token that parses to the same position. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	at_token t;
	at_error err;
	at_error_clear(&err);
	if (at_token_parse(s, &t, &err) == 0) {
		char buf[AT_TOKEN_MAX];
		at_token_format(&t, buf);
		at_token back;
		if (at_token_parse(buf, &back, NULL) != 0 || back.modseq != t.modseq ||
		    strcmp(back.last_id, t.last_id) != 0) {
			fprintf(stderr, "fuzz_token: \"%s\" -> \"%s\" does not round trip\n", s, buf);
			abort();
		}
		if (t.modseq < 0 || strlen(t.last_id) > AT_MAX_ID_LEN)
			abort();
	} else if (strcmp(err.code, AT_E_INVALID_TOKEN) != 0) {
		abort();
	}
	free(s);
	return 0;
}
