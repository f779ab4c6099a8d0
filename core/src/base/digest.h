/* The core's own hashing, randomness and comparisons: SHA-256 through
 * libgcrypt, which libsystemd already maps, so that the daemon does not map
 * libcrypto (about 1.4 MiB of RSS for relocations, 3.3 MiB once OpenSSL's
 * providers are initialised) for the few hashes it needs. Thread-safe. */
#ifndef AGENDAD_DIGEST_H
#define AGENDAD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

enum { AG_SHA256_BYTES = 32 };

/* SHA-256 of a then b (b may be NULL). 0, or AG_ECRYPTO if libgcrypt is
 * unusable. */
int ag_sha256(const void *a, size_t alen, const void *b, size_t blen,
              unsigned char out[AG_SHA256_BYTES]);
/* HMAC-SHA-256 (RFC 2104) of msg under key. 0, or AG_ECRYPTO if libgcrypt
 * is unusable. Compare MACs with ag_const_equal, never memcmp. */
int ag_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                   unsigned char out[AG_SHA256_BYTES]);
/* Lower-case hex of n bytes; out has room for 2n + 1. */
void ag_hex(const unsigned char *in, size_t n, char *out);
/* Equal, in a time that depends on n only. */
bool ag_const_equal(const void *a, const void *b, size_t n);
/* n bytes from the kernel's CSPRNG; 0, or getrandom's -errno (an AG_E*
 * code). */
int ag_random_bytes(void *buf, size_t n);

#endif
