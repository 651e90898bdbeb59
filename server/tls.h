/* tls.h — atriumd's TLS material: loading the certificate and key, and the
 * public key pin clients use to trust a self-signed server.
 *
 * libmicrohttpd serves TLS through GnuTLS from PEM strings in memory; this
 * module reads them (with a size limit), checks that they parse, and
 * computes the pin in curl's form "sha256//BASE64" (SHA-256 of the DER
 * SubjectPublicKeyInfo), which `atrium profile add --pin` takes.
 * Ownership: as_tls_load() fills heap strings the caller frees with
 * as_tls_clear(). */
#ifndef AS_TLS_H
#define AS_TLS_H

#include "error.h"

#define AS_TLS_MAX_PEM (1024 * 1024)
#define AS_TLS_PIN_MAX 64

typedef struct as_tls {
	char *cert_pem;
	char *key_pem;
	char pin[AS_TLS_PIN_MAX];
} as_tls;

int as_tls_load(const char *cert_file, const char *key_file, as_tls *tls_r, at_error *err);
void as_tls_clear(as_tls *tls);

#endif
