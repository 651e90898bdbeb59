/* fuzz_redact.c — libFuzzer target for at_log_redact.
 *
 * Input: two bytes choosing the destination size (0 up to a little more than
 * the redacted text can need), then the text.  The destination is allocated
 * at exactly that size so the sanitizer sees any write past it; the result
 * must be NUL-terminated inside it and, given room, a prefix-compatible
 * version of the unbounded redaction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 65536)
		return 0;
	size_t text_len = size - 2;
	char *src = malloc(text_len + 1);
	memcpy(src, data + 2, text_len);
	src[text_len] = '\0';
	/* a redaction grows a secret to "***" at most by a few bytes per
	 * secret; 4x + 32 is always enough for the full output */
	size_t full_size = 4 * text_len + 32;
	char *full = malloc(full_size);
	at_log_redact(src, full, full_size);
	size_t full_len = strlen(full);
	if (full_len + 1 >= full_size) {
		fprintf(stderr, "fuzz_redact: output filled a 4x buffer\n");
		abort();
	}
	size_t dstsize = ((size_t)data[0] << 8 | data[1]) % (full_len + 8);
	char *dst = malloc(dstsize ? dstsize : 1);
	at_log_redact(src, dst, dstsize);
	if (dstsize > 0) {
		size_t len = strnlen(dst, dstsize);
		if (len == dstsize)
			abort();  /* not terminated inside dst */
		size_t want = full_len < dstsize - 1 ? full_len : dstsize - 1;
		if (len != want || memcmp(dst, full, len) != 0) {
			fprintf(stderr, "fuzz_redact: bounded output is not a prefix\n");
			abort();
		}
	}
	free(dst);
	free(full);
	free(src);
	return 0;
}
