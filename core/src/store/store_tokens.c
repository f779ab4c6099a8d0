/* Member feed tokens. Only a SHA-256 of each token is stored, so a copy of
 * the database (a backup, a leaked file) gives no working feed URL. A plain
 * hash suffices: the token is 256 random bits, not a password to stretch. */
#include "store_internal.h"

#include "digest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TOKEN_BYTES = 32, HASH_HEX = 2 * 32 };

/* base64url without padding (RFC 4648 §5): safe in a URL path or query
 * without escaping. Each 3 bytes give 4 characters, a last 1 or 2 give 2
 * or 3. */
static char *encode_token(const unsigned char *raw, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        size_t left = n - i < 3 ? n - i : 3;
        unsigned long v = (unsigned long)raw[i] << 16 | (left > 1 ? raw[i + 1] << 8 : 0) |
                          (left > 2 ? raw[i + 2] : 0);
        for (size_t k = 0; k <= left; k++)
            *o++ = alphabet[(v >> (18 - 6 * k)) & 63];
    }
    *o = '\0';
    return out;
}

static int hash_hex(const char *token, char out[HASH_HEX + 1])
{
    unsigned char md[AG_SHA256_BYTES];
    int rc = ag_sha256(token, strlen(token), NULL, 0, md);
    if (rc < 0)
        return rc;
    ag_hex(md, sizeof md, out);
    return 0;
}

static int new_token(ag_store *st, char **token, char hash[HASH_HEX + 1], char **err)
{
    unsigned char raw[TOKEN_BYTES];
    int rc = ag_random_bytes(raw, sizeof raw);
    if (rc < 0)
        return ag_store_failf(st, err, rc, "cannot create token in",
                              "no random bytes available from the system");
    *token = encode_token(raw, sizeof raw);
    explicit_bzero(raw, sizeof raw);
    rc = *token ? hash_hex(*token, hash) : AG_ENOMEM;
    if (rc < 0) {
        free(*token);
        *token = NULL;
        return ag_store_failf(st, err, rc, "cannot create token in", "out of memory");
    }
    return 0;
}

int ag_store_token_create(ag_store *st, const char *member, char **token, char **err)
{
    *token = NULL;
    if (err)
        *err = NULL;
    char hash[HASH_HEX + 1];
    char *t = NULL;
    int rc = new_token(st, &t, hash, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *s = ag_store_stmt(st, Q_TOKEN_SET);
    if (!s || sqlite3_bind_text(s, 1, member, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_text(s, 2, hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        rc = ag_store_fail(st, err, "cannot save token to");
        if (s)
            sqlite3_reset(s);
        free(t);
        return rc;
    }
    sqlite3_reset(s);
    *token = t;
    return 0;
}

int ag_store_token_check(ag_store *st, const char *member, const char *token, bool *valid,
                         char **err)
{
    *valid = false;
    if (err)
        *err = NULL;
    char given[HASH_HEX + 1];
    int rc = hash_hex(token, given);
    if (rc < 0)
        return ag_store_failf(st, err, rc, "cannot check token in", "SHA-256 unavailable");
    sqlite3_stmt *s = ag_store_stmt(st, Q_TOKEN_GET);
    if (!s || sqlite3_bind_text(s, 1, member, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return ag_store_fail(st, err, "cannot check token in");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *stored = (const char *)sqlite3_column_text(s, 0);
        /* Constant time, so response timing does not reveal how much of a
         * guessed hash matched. */
        *valid = stored && strlen(stored) == HASH_HEX && ag_const_equal(stored, given, HASH_HEX);
        rc = SQLITE_DONE;
    }
    rc = rc == SQLITE_DONE ? 0 : ag_store_fail(st, err, "cannot check token in");
    sqlite3_reset(s);
    return rc;
}

int ag_store_token_revoke(ag_store *st, const char *member, char **err)
{
    if (err)
        *err = NULL;
    sqlite3_stmt *s = ag_store_stmt(st, Q_TOKEN_DEL);
    if (!s || sqlite3_bind_text(s, 1, member, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        int rc = ag_store_fail(st, err, "cannot revoke token in");
        if (s)
            sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    return 0;
}
