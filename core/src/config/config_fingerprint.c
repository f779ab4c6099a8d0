/* What a config directory's events depend on, summed up in one string: the
 * names and bytes of every file the loader reads, the agendad build that
 * parses them and the tzdata that checks their zones. The store keeps the string
 * of its last reconcile; while it is unchanged, a restart neither parses
 * the event files again nor reconciles them (see service.c). */
#include "config_internal.h"
#include "digest.h"
#include "tz.h"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void ag_config_hash_init(ag_config_hash *h)
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

void ag_config_hash_add(ag_config_hash *h, const char *name, const unsigned char *buf, size_t len)
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

/* The GNU build ID among a PT_NOTE segment's notes (padded to align), as
 * hex into out (41 bytes). */
static bool note_build_id(const char *p, size_t size, size_t align, char *out)
{
    size_t off = 0;
    while (off + sizeof(ElfW(Nhdr)) <= size) {
        const ElfW(Nhdr) *n = (const void *)(p + off);
        size_t name = (n->n_namesz + align - 1) & ~(align - 1);
        size_t desc = (n->n_descsz + align - 1) & ~(align - 1);
        if (name > size || desc > size || off + sizeof *n + name + desc > size)
            return false;
        const unsigned char *d = (const unsigned char *)(n + 1) + name;
        if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(n + 1, "GNU", 4) == 0 &&
            n->n_descsz > 0 && n->n_descsz <= 20) {
            ag_hex(d, n->n_descsz, out);
            return true;
        }
        off += sizeof *n + name + desc;
    }
    return false;
}

static int main_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE && note_build_id((const char *)(info->dlpi_addr + ph->p_vaddr),
                                                   ph->p_memsz, ph->p_align == 8 ? 8 : 4, data))
            break;
    }
    return 1; /* the first object is the executable */
}

char *ag_config_hash_string(const ag_config_hash *h)
{
    /* The build, not only the version: a rebuild that parses events
     * differently (a fix, a merged branch) must reconcile them again. */
    char build[41] = "none";
    dl_iterate_phdr(main_build_id, build);
    char *s = NULL;
    /* CRC-32 and Adler-32 together: 64 bits against an accidental match,
     * at memory speed over megabytes of events. */
    if (asprintf(&s,
                 "1 agendad %s build %s tzdata %s files %u bytes %llu crc32 %08lx adler32 %08lx",
                 AGENDAD_VERSION, build, ag_tz_version(), h->files, h->bytes, h->crc, h->adler) < 0)
        return NULL;
    return s;
}
