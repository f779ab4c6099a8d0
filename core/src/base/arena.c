#include "arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES (64u << 10)

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct ag_arena {
    chunk *head;
};

ag_arena *ag_arena_new(void)
{
    return calloc(1, sizeof(ag_arena));
}

static chunk *chunk_new(size_t cap)
{
    chunk *c = malloc(sizeof *c + cap);
    if (c) {
        c->used = 0;
        c->cap = cap;
    }
    return c;
}

void *ag_arena_alloc(ag_arena *a, size_t size)
{
    size_t need = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    if (need < size)
        return NULL;
    chunk *c = a->head;
    if (!c || c->cap - c->used < need) {
        /* An oversized request gets a chunk of its own behind the current
         * one, so that the current one's free space is not wasted. */
        bool own = need > CHUNK_BYTES / 4;
        c = chunk_new(own ? need : CHUNK_BYTES);
        if (!c)
            return NULL;
        if (own && a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    return memset(p, 0, size);
}

char *ag_arena_strndup(ag_arena *a, const char *s, size_t n)
{
    char *d = ag_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void ag_arena_free(ag_arena *a)
{
    if (!a)
        return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}
