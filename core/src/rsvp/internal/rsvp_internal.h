/* Shared by the rsvp_*.c files: keys, MACs and the encodings of what is
 * signed. Not part of rsvp's contract. */
#ifndef AGENDAD_RSVP_INTERNAL_H
#define AGENDAD_RSVP_INTERNAL_H

#include "digest.h"
#include "error.h"
#include "store_rsvp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The signing key, made on first use. */
int ag_rsvp_signing_key(ag_store *st, int64_t now, ag_store_rsvp_key *k, char **err);
/* Key kid if it still verifies at now (not retired, or retired later
 * than now): *usable false otherwise, unknown keys included. */
int ag_rsvp_verifying_key(ag_store *st, int64_t kid, int64_t now, ag_store_rsvp_key *k,
                          bool *usable, char **err);

/* HMAC-SHA-256 of parts[0..n), each followed by a NUL (parts hold none,
 * so that no two lists give the same bytes) under k. 0 or AG_ECRYPTO /
 * AG_ENOMEM. */
int ag_rsvp_mac(const ag_store_rsvp_key *k, const char *const *parts, size_t n,
                unsigned char out[AG_SHA256_BYTES]);

/* base64url without padding of in[0..n): 4 characters per 3 bytes (a last
 * 1 or 2 give 2 or 3); out has room for them and a NUL. */
void ag_rsvp_b64url(const unsigned char *in, size_t n, char *out);
/* Decodes n characters of base64url without padding into out (room for
 * 3n/4 + 1 bytes, NUL-terminated); false for any other character or
 * length. *len: bytes decoded. */
bool ag_rsvp_b64url_decode(const char *in, size_t n, unsigned char *out, size_t *len);
/* Lowercase base32 (RFC 4648 alphabet) of in[0..n) without padding, out
 * has room for ceil(8n/5) + 1. */
void ag_rsvp_b32(const unsigned char *in, size_t n, char *out);

/* A whole decimal number in s[0..len) (no sign, at most 18 digits). */
bool ag_rsvp_parse_int(const char *s, size_t len, int64_t *out);

/* *err = "what: detail" (when err); returns code. */
int ag_rsvp_fail(char **err, int code, const char *what, const char *detail);

#endif
