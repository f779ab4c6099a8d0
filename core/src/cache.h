/* Built feeds, keyed by a canonical request key (path + normalized options),
 * valid for one store generation and one tzdata version. Bounded (LRU), so
 * that endless option variants cannot grow memory without limit. */
#ifndef AGENDAD_CACHE_H
#define AGENDAD_CACHE_H

#include "blob.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ag_cache ag_cache;

ag_cache *ag_cache_new(size_t max_entries);
void ag_cache_free(ag_cache *c);
/* A new reference to the cached blob for key at generation gen, or NULL
 * (absent, or cached under another generation: then it is dropped). */
ag_blob *ag_cache_get(ag_cache *c, const char *key, int64_t gen);
/* Stores a new reference to b (the caller keeps its own). */
void ag_cache_put(ag_cache *c, const char *key, int64_t gen, ag_blob *b);
void ag_cache_clear(ag_cache *c);
/* Drops the entries whose key starts with one of the n prefixes: a store
 * change that touches some feeds only (one member's import) leaves the
 * others' bytes, and so their ETags, in place. Returns how many went. */
size_t ag_cache_drop_prefixes(ag_cache *c, const char *const *prefixes, size_t n);
size_t ag_cache_size(const ag_cache *c);

#endif
