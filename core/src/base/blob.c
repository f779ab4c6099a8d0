#include "blob.h"

#include "digest.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* 128 bits of SHA-256 are plenty to tell feed versions apart and keep the
 * header short. */
#define ETAG_HEX_CHARS 32

struct ag_blob {
    int refs;
    char *data;
    size_t len;
    char *content_type;
    char etag[ETAG_HEX_CHARS + 3];
    int64_t last_modified;
    char *gz; /* made on first ag_blob_gzip(); the blob is otherwise immutable */
    size_t gz_len;
    int gz_failed;
};

static int compute_etag(ag_blob *b, const char *salt)
{
    unsigned char md[AG_SHA256_BYTES];
    int rc = ag_sha256(b->data, b->len, salt, salt ? strlen(salt) : 0, md);
    if (rc < 0)
        return rc;
    b->etag[0] = '"';
    ag_hex(md, ETAG_HEX_CHARS / 2, b->etag + 1);
    b->etag[ETAG_HEX_CHARS + 1] = '"';
    b->etag[ETAG_HEX_CHARS + 2] = '\0';
    return 0;
}

ag_blob *ag_blob_new(const char *content_type, char *data, size_t len, int64_t last_modified,
                     const char *etag_salt)
{
    ag_blob *b = calloc(1, sizeof *b);
    if (!b) {
        free(data);
        return NULL;
    }
    b->refs = 1;
    /* An empty body still needs a valid pointer for writes and hashing. */
    b->data = data ? data : calloc(1, 1);
    b->len = data ? len : 0;
    b->content_type = strdup(content_type ? content_type : "application/octet-stream");
    b->last_modified = last_modified;
    if (!b->data || !b->content_type || compute_etag(b, etag_salt) != 0) {
        ag_blob_unref(b);
        return NULL;
    }
    return b;
}

ag_blob *ag_blob_ref(ag_blob *b)
{
    if (b)
        b->refs++;
    return b;
}

void ag_blob_unref(ag_blob *b)
{
    if (!b || --b->refs > 0)
        return;
    free(b->data);
    free(b->content_type);
    free(b->gz);
    free(b);
}

const char *ag_blob_data(const ag_blob *b)
{
    return b->data;
}

size_t ag_blob_len(const ag_blob *b)
{
    return b->len;
}

const char *ag_blob_content_type(const ag_blob *b)
{
    return b->content_type;
}

const char *ag_blob_etag(const ag_blob *b)
{
    return b->etag;
}

int64_t ag_blob_last_modified(const ag_blob *b)
{
    return b->last_modified;
}

static char *gzip_bytes(const char *in, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16 selects the gzip wrapper (RFC 1952), not zlib's. */
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, len);
    char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    /* deflateBound guarantees one Z_FINISH call suffices; the size checks refuse
     * lengths that zlib's 32-bit counters would have truncated. */
    int rc = out && len == zs.avail_in && cap == zs.avail_out ? deflate(&zs, Z_FINISH) : Z_ERRNO;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_len = zs.total_out;
    return out;
}

void ag_blob_identity_only(ag_blob *b)
{
    b->gz_failed = 1;
}

const char *ag_blob_gzip(ag_blob *b, size_t *len)
{
    if (!b->gz && !b->gz_failed) {
        b->gz = gzip_bytes(b->data, b->len, &b->gz_len);
        b->gz_failed = b->gz == NULL;
    }
    if (b->gz && len)
        *len = b->gz_len;
    return b->gz;
}
