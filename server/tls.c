/* tls.c — see tls.h. */
#include "tls.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_pem(const char *path, at_error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL, "tls",
			     "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(AS_TLS_MAX_PEM + 1);
	if (buf == NULL)
		abort();
	size_t n = fread(buf, 1, AS_TLS_MAX_PEM + 1, f);
	fclose(f);
	if (n > AS_TLS_MAX_PEM) {
		free(buf);
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL, "tls",
			     "%s is larger than %d bytes", path, AS_TLS_MAX_PEM);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* pin = "sha256//" + base64(SHA-256(DER SubjectPublicKeyInfo)) */
static int compute_pin(const char *cert_pem, char pin[AS_TLS_PIN_MAX], at_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t pem = {(unsigned char *)cert_pem, (unsigned)strlen(cert_pem)};
	gnutls_datum_t der = {NULL, 0};
	int rc = -1, g;
	if ((g = gnutls_x509_crt_init(&crt)) < 0 ||
	    (g = gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (g = gnutls_pubkey_init(&key)) < 0 ||
	    (g = gnutls_pubkey_import_x509(key, crt, 0)) < 0 ||
	    (g = gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der)) < 0) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL, "tls",
			     "the TLS certificate does not parse: %s", gnutls_strerror(g));
		goto done;
	}
	unsigned char hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, der.data, der.size);
	memcpy(pin, "sha256//", 8);
	sodium_bin2base64(pin + 8, AS_TLS_PIN_MAX - 8, hash, sizeof(hash),
			  sodium_base64_VARIANT_ORIGINAL);
	rc = 0;
done:
	gnutls_free(der.data);
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

static int check_key(const char *key_pem, at_error *err)
{
	gnutls_x509_privkey_t k = NULL;
	gnutls_datum_t pem = {(unsigned char *)key_pem, (unsigned)strlen(key_pem)};
	int g = gnutls_x509_privkey_init(&k);
	if (g >= 0)
		g = gnutls_x509_privkey_import(k, &pem, GNUTLS_X509_FMT_PEM);
	if (k != NULL)
		gnutls_x509_privkey_deinit(k);
	if (g < 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    "tls", "the TLS key does not parse (PEM, unencrypted): %s",
				    gnutls_strerror(g));
	return 0;
}

int as_tls_load(const char *cert_file, const char *key_file, as_tls *tls_r, at_error *err)
{
	memset(tls_r, 0, sizeof(*tls_r));
	if ((tls_r->cert_pem = read_pem(cert_file, err)) == NULL ||
	    (tls_r->key_pem = read_pem(key_file, err)) == NULL ||
	    compute_pin(tls_r->cert_pem, tls_r->pin, err) < 0 ||
	    check_key(tls_r->key_pem, err) < 0) {
		as_tls_clear(tls_r);
		return -1;
	}
	return 0;
}

void as_tls_clear(as_tls *tls)
{
	if (tls->key_pem != NULL)
		sodium_memzero(tls->key_pem, strlen(tls->key_pem));
	free(tls->cert_pem);
	free(tls->key_pem);
	memset(tls, 0, sizeof(*tls));
}
