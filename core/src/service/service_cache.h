/* Built feeds, keyed by a canonical request key (path + normalized options),
 * valid for one store generation and one tzdata version. Bounded (LRU) in
 * entries and in bytes, so that endless option variants cannot grow memory
 * without limit: 4,096 entries of a 5 MB network feed's variants were 20 GB. */
#ifndef AGENDAD_SERVICE_CACHE_H
#define AGENDAD_SERVICE_CACHE_H

#include "blob.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ag_cache ag_cache;

ag_cache *ag_service_cache_new(size_t max_entries);
/* Bounds the bodies held (sum of lengths; gzip copies, made later on demand,
 * are about a tenth more): least recently used entries go first, but the
 * most recent one stays whatever its size. 0: no bound (the default). */
void ag_service_cache_set_max_bytes(ag_cache *c, size_t max_bytes);
size_t ag_service_cache_bytes(const ag_cache *c);
void ag_service_cache_free(ag_cache *c);
/* A new reference to the cached blob for key at generation gen, or NULL
 * (absent, or cached under another generation: then it is dropped). */
ag_blob *ag_service_cache_get(ag_cache *c, const char *key, int64_t gen);
/* Stores a new reference to b (the caller keeps its own). */
void ag_service_cache_put(ag_cache *c, const char *key, int64_t gen, ag_blob *b);
void ag_service_cache_clear(ag_cache *c);
/* Drops the entries whose key starts with one of the n prefixes: a store
 * change that touches some feeds only (one member's import) leaves the
 * others' bytes, and so their ETags, in place. Returns how many went. */
size_t ag_service_cache_drop_prefixes(ag_cache *c, const char *const *prefixes, size_t n);
size_t ag_service_cache_size(const ag_cache *c);

#endif
