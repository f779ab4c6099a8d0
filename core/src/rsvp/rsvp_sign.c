/* Keys and MACs: what every signed thing of rsvp/ (reply tags, links, form
 * tokens) is signed with. */
#include "rsvp.h"
#include "rsvp_internal.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ag_rsvp_fail(char **err, int code, const char *what, const char *detail)
{
    if (err && asprintf(err, "%s: %s", what, detail) < 0)
        *err = NULL;
    return code;
}

int ag_rsvp_signing_key(ag_store *st, int64_t now, ag_store_rsvp_key *k, char **err)
{
    unsigned char fresh[AG_STORE_RSVP_KEY_BYTES];
    int rc = ag_random_bytes(fresh, sizeof fresh);
    if (rc < 0)
        return ag_rsvp_fail(err, rc, "cannot make an rsvp key",
                            "no random bytes available from the system");
    rc = ag_store_rsvp_key_current(st, fresh, now, k, err);
    explicit_bzero(fresh, sizeof fresh);
    return rc;
}

int ag_rsvp_verifying_key(ag_store *st, int64_t kid, int64_t now, ag_store_rsvp_key *k,
                          bool *usable, char **err)
{
    bool found = false;
    int rc = ag_store_rsvp_key_get(st, kid, k, &found, err);
    *usable = rc == 0 && found && (k->retired == 0 || now < k->retired);
    return rc;
}

int ag_rsvp_key_rotate(ag_store *st, int64_t now, int64_t grace, int64_t *id, char **err)
{
    unsigned char fresh[AG_STORE_RSVP_KEY_BYTES];
    int rc = ag_random_bytes(fresh, sizeof fresh);
    if (rc < 0)
        return ag_rsvp_fail(err, rc, "cannot make an rsvp key",
                            "no random bytes available from the system");
    rc = ag_store_rsvp_key_rotate(st, fresh, now, now + (grace > 0 ? grace : 0), id, err);
    explicit_bzero(fresh, sizeof fresh);
    return rc;
}

int ag_rsvp_mac(const ag_store_rsvp_key *k, const char *const *parts, size_t n,
                unsigned char out[AG_SHA256_BYTES])
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(parts[i]) + 1;
    char *msg = malloc(len ? len : 1), *p = msg;
    if (!msg)
        return AG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(parts[i]) + 1;
        memcpy(p, parts[i], l);
        p += l;
    }
    int rc = ag_hmac_sha256(k->key, sizeof k->key, msg, len, out);
    free(msg);
    return rc;
}

void ag_rsvp_b64url(const unsigned char *in, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *o = out;
    for (size_t i = 0; i < n; i += 3) {
        size_t left = n - i < 3 ? n - i : 3;
        unsigned long v = (unsigned long)in[i] << 16 | (left > 1 ? in[i + 1] << 8 : 0) |
                          (left > 2 ? in[i + 2] : 0);
        for (size_t k = 0; k <= left; k++)
            *o++ = alphabet[(v >> (18 - 6 * k)) & 63];
    }
    *o = '\0';
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

bool ag_rsvp_b64url_decode(const char *in, size_t n, unsigned char *out, size_t *len)
{
    if (n % 4 == 1)
        return false;
    unsigned long buf = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(in[i]);
        if (v < 0)
            return false;
        buf = (buf << 6 | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            out[o++] = (unsigned char)(buf >> (bits - 8));
            bits -= 8;
        }
    }
    out[o] = '\0';
    *len = o;
    return true;
}

void ag_rsvp_b32(const unsigned char *in, size_t n, char *out)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned buf = 0;
    int bits = 0;
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8 | in[i]) & 0xffff;
        bits += 8;
        while (bits >= 5) {
            *o++ = alphabet[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        *o++ = alphabet[(buf << (5 - bits)) & 31];
    *o = '\0';
}

bool ag_rsvp_parse_int(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

void ag_rsvp_address_hash(ag_store *st, const char *address, char out[17])
{
    ag_store_rsvp_key k;
    unsigned char mac[AG_SHA256_BYTES];
    char *lower = strdup(address ? address : "");
    for (char *p = lower; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *parts[] = {"address", lower};
    if (!lower || ag_rsvp_signing_key(st, ag_clock_now(), &k, NULL) < 0 ||
        ag_rsvp_mac(&k, parts, 2, mac) < 0) {
        memset(out, '?', 16);
        out[16] = '\0';
    } else {
        ag_hex(mac, 8, out);
    }
    free(lower);
    explicit_bzero(&k, sizeof k);
}
