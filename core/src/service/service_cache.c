#include "service_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key;
    int64_t gen;
    ag_blob *blob;
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* LRU list: head is most recent */
} entry;

struct ag_cache {
    size_t max, count;
    size_t max_bytes, bytes; /* body bytes held; max_bytes 0: no bound */
    size_t nbuckets;         /* power of two */
    entry **buckets;
    entry *head, *tail;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

ag_cache *ag_service_cache_new(size_t max_entries)
{
    ag_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->max = max_entries;
    c->nbuckets = 16;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    return c;
}

static entry **bucket_of(ag_cache *c, const char *key)
{
    return &c->buckets[hash_key(key) & (c->nbuckets - 1)];
}

static entry **find_slot(ag_cache *c, const char *key)
{
    entry **pp = bucket_of(c, key);
    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->hnext;
    return pp;
}

static void lru_unlink(ag_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(ag_cache *c, entry *e)
{
    e->next = c->head;
    e->prev = NULL;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void remove_entry(ag_cache *c, entry *e)
{
    entry **pp = find_slot(c, e->key);
    *pp = e->hnext;
    lru_unlink(c, e);
    c->bytes -= ag_blob_len(e->blob);
    ag_blob_unref(e->blob);
    free(e->key);
    free(e);
    c->count--;
}

/* Doubling keeps chains short; on allocation failure the table just stays
 * smaller, which is slower but still correct. */
static void maybe_grow(ag_cache *c)
{
    if (c->count < c->nbuckets)
        return;
    size_t n = c->nbuckets * 2;
    entry **nb = calloc(n, sizeof *nb);
    if (!nb)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        entry *e = c->buckets[i];
        while (e) {
            entry *next = e->hnext;
            entry **b = &nb[hash_key(e->key) & (n - 1)];
            e->hnext = *b;
            *b = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = nb;
    c->nbuckets = n;
}

/* The entry just stored always stays, even alone over the byte bound: a
 * feed bigger than the bound is still built once per generation, not at
 * every request. */
static void evict(ag_cache *c)
{
    while (c->count > c->max || (c->max_bytes && c->bytes > c->max_bytes && c->tail != c->head))
        remove_entry(c, c->tail);
}

void ag_service_cache_set_max_bytes(ag_cache *c, size_t max_bytes)
{
    c->max_bytes = max_bytes;
    evict(c);
}

size_t ag_service_cache_bytes(const ag_cache *c)
{
    return c->bytes;
}

ag_blob *ag_service_cache_get(ag_cache *c, const char *key, int64_t gen)
{
    entry *e = *find_slot(c, key);
    if (!e)
        return NULL;
    if (e->gen != gen) {
        remove_entry(c, e);
        return NULL;
    }
    lru_unlink(c, e);
    lru_push_front(c, e);
    return ag_blob_ref(e->blob);
}

void ag_service_cache_put(ag_cache *c, const char *key, int64_t gen, ag_blob *b)
{
    if (c->max == 0 || !b)
        return;
    entry *e = *find_slot(c, key);
    if (e) {
        ag_blob_ref(b);
        c->bytes += ag_blob_len(b) - ag_blob_len(e->blob);
        ag_blob_unref(e->blob);
        e->blob = b;
        e->gen = gen;
        lru_unlink(c, e);
        lru_push_front(c, e);
        evict(c);
        return;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return;
    }
    e->gen = gen;
    e->blob = ag_blob_ref(b);
    entry **slot = bucket_of(c, key);
    e->hnext = *slot;
    *slot = e;
    lru_push_front(c, e);
    c->count++;
    c->bytes += ag_blob_len(b);
    evict(c);
    maybe_grow(c);
}

void ag_service_cache_clear(ag_cache *c)
{
    while (c->head)
        remove_entry(c, c->head);
}

static bool has_prefix(const char *key, const char *const *prefixes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(key, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

size_t ag_service_cache_drop_prefixes(ag_cache *c, const char *const *prefixes, size_t n)
{
    size_t dropped = 0;
    for (entry *e = c->head, *next; e; e = next) {
        next = e->next;
        if (has_prefix(e->key, prefixes, n)) {
            remove_entry(c, e);
            dropped++;
        }
    }
    return dropped;
}

void ag_service_cache_free(ag_cache *c)
{
    if (!c)
        return;
    ag_service_cache_clear(c);
    free(c->buckets);
    free(c);
}

size_t ag_service_cache_size(const ag_cache *c)
{
    return c->count;
}
