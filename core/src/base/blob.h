/* An immutable, reference-counted HTTP body with its validators: the bytes,
 * a gzip copy (made on first use), a strong ETag and Last-Modified. A feed is
 * built once into a blob; every response holds a reference, so a reload can
 * swap the cache while in-flight responses finish on the old bytes. */
#ifndef AGENDAD_BLOB_H
#define AGENDAD_BLOB_H

#include <stddef.h>
#include <stdint.h>

typedef struct ag_blob ag_blob;

/* Takes ownership of data (malloc'd). etag_salt (may be NULL) is mixed into
 * the ETag — the tzdata version goes there, so that a tzdata upgrade changes
 * every ETag even where bytes would not. content_type is copied.
 * last_modified: Unix seconds. Returns a blob with one reference, or NULL. */
ag_blob *ag_blob_new(const char *content_type, char *data, size_t len, int64_t last_modified,
                     const char *etag_salt);
ag_blob *ag_blob_ref(ag_blob *b);
void ag_blob_unref(ag_blob *b);

const char *ag_blob_data(const ag_blob *b);
size_t ag_blob_len(const ag_blob *b);
const char *ag_blob_content_type(const ag_blob *b);
const char *ag_blob_etag(const ag_blob *b); /* quoted: "\"…\"" */
int64_t ag_blob_last_modified(const ag_blob *b);
/* The gzip encoding (RFC 1952), computed once; NULL on failure, or when
 * the blob is identity only. Borrowed. */
const char *ag_blob_gzip(ag_blob *b, size_t *len);
/* The blob is always sent as it is: its bytes are compressed already (a
 * PDF, an image) or too large to deflate on the loop. Call before it is
 * shared. */
void ag_blob_identity_only(ag_blob *b);

#endif
