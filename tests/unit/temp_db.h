/* A state database of a test's own under /tmp: a fresh unique name, and
 * the file removed afterwards with the WAL files sqlite leaves beside it.
 * Include after cmocka.h. */
#ifndef AGENDAD_TEST_TEMP_DB_H
#define AGENDAD_TEST_TEMP_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* path (size bytes) receives "/tmp/agendad-<tag>-XXXXXX" made unique; no
 * file is left there, so that the store creates the database. */
static inline void temp_db_name(char *path, size_t size, const char *tag)
{
    snprintf(path, size, "/tmp/agendad-%s-XXXXXX", tag);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
}

static inline void temp_db_remove(const char *path)
{
    char aux[256];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

#endif
