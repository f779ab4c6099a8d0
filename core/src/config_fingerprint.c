/* What a config directory's events depend on, summed up in one string: the
 * names and bytes of every file the loader reads, the agendad that parses
 * them and the tzdata that checks their zones. The store keeps the string
 * of its last reconcile; while it is unchanged, a restart neither parses
 * the event files again nor reconciles them (see service.c). */
#include "config_internal.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void ag_cfg_hash_init(ag_config_hash *h)
{
    h->crc = crc32_z(0, NULL, 0);
    h->adler = adler32_z(0, NULL, 0);
    h->bytes = 0;
    h->files = 0;
}

static void feed(ag_config_hash *h, const void *p, size_t n)
{
    h->crc = crc32_z(h->crc, p, n);
    h->adler = adler32_z(h->adler, p, n);
}

void ag_cfg_hash_add(ag_config_hash *h, const char *name, const unsigned char *buf, size_t len)
{
    /* Name and length first: moving bytes from one file to the next, or
     * renaming a file, changes the sum. */
    char head[32];
    int n = snprintf(head, sizeof head, "%zu:", len);
    feed(h, name, strlen(name) + 1);
    feed(h, head, (size_t)n);
    feed(h, buf, len);
    h->bytes += len;
    h->files++;
}

char *ag_cfg_hash_string(const ag_config_hash *h)
{
    char *s = NULL;
    /* CRC-32 and Adler-32 together: 64 bits against an accidental match,
     * at memory speed over megabytes of events. */
    if (asprintf(&s, "1 agendad %s tzdata %s files %u bytes %llu crc32 %08lx adler32 %08lx",
                 AGENDAD_VERSION, ag_tz_version(), h->files, h->bytes, h->crc, h->adler) < 0)
        return NULL;
    return s;
}
