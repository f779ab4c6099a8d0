/* A bump allocator for data that dies all at once: a config file's YAML
 * tree is thousands of small nodes, keys and scalars, read, converted and
 * dropped together. One free() per chunk instead of one per node, and no
 * fragmented heap left behind for the daemon's long life. */
#ifndef AGENDAD_ARENA_H
#define AGENDAD_ARENA_H

#include <stddef.h>

typedef struct ag_arena ag_arena;

ag_arena *ag_arena_new(void);
/* Zeroed, aligned for any type; NULL on allocation failure. */
void *ag_arena_alloc(ag_arena *a, size_t size);
/* A NUL-terminated copy of the first n bytes of s. */
char *ag_arena_strndup(ag_arena *a, const char *s, size_t n);
void ag_arena_free(ag_arena *a);

#endif
