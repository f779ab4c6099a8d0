/* Reading the state without leaving a trace: the immutable open of a
 * database no other connection has open, the check that it stayed so, and
 * a prefix of the meta table read in one statement. For commands that only
 * read next to (or without) a running daemon. */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool exists(const char *path, const char *suffix)
{
    char side[4096];
    int len = snprintf(side, sizeof side, "%s%s", path, suffix);
    if (len < 0 || (size_t)len >= sizeof side)
        return true; /* cannot tell: assume another connection */
    struct stat sb;
    return stat(side, &sb) == 0 || errno != ENOENT;
}

/* RFC 3986 unreserved characters and "/" as they are; the rest (and "?",
 * "#", "%", which a URI would read) percent-encoded. */
static bool plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}

char *ag_store_immutable_uri(const char *path, struct stat *seen)
{
    if (strcmp(path, ":memory:") == 0 || exists(path, "-wal") || exists(path, "-journal") ||
        stat(path, seen) != 0 || !S_ISREG(seen->st_mode))
        return NULL;
    static const char tail[] = "?mode=ro&immutable=1";
    /* "file://" then an absolute path: an empty authority, so that a path
     * starting with "//" is not read as one. */
    size_t size = strlen("file://") + 3 * strlen(path) + sizeof tail;
    char *uri = malloc(size);
    if (!uri)
        return NULL;
    char *o = uri + sprintf(uri, "%s", path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        o += plain(*c) ? sprintf(o, "%c", *c) : sprintf(o, "%%%02X", *c);
    memcpy(o, tail, sizeof tail);
    return uri;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

bool ag_store_unchanged(ag_store *st)
{
    if (!st->immutable)
        return true;
    struct stat now;
    return !exists(st->path, "-wal") && !exists(st->path, "-journal") &&
           stat(st->path, &now) == 0 && same_file(&st->seen, &now);
}

void ag_store_meta_list_free(char **keys, char **values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(keys[i]);
        free(values[i]);
    }
    free(keys);
    free(values);
}

static bool append(char ***keys, char ***values, size_t *n, const char *k, const char *v)
{
    char **nk = realloc(*keys, (*n + 1) * sizeof *nk);
    if (nk)
        *keys = nk;
    char **nv = realloc(*values, (*n + 1) * sizeof *nv);
    if (nv)
        *values = nv;
    if (!nk || !nv)
        return false;
    char *kc = strdup(k), *vc = strdup(v ? v : "");
    if (!kc || !vc) {
        free(kc);
        free(vc);
        return false;
    }
    (*keys)[*n] = kc;
    (*values)[(*n)++] = vc;
    return true;
}

int ag_store_meta_list(ag_store *st, const char *prefix, char ***keys, char ***values, size_t *n,
                       char **err)
{
    *keys = *values = NULL;
    *n = 0;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 "
                                "ORDER BY key",
                                -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
    bool oom = false;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0);
        if (!append(keys, values, n, k ? k : "", (const char *)sqlite3_column_text(s, 1))) {
            oom = true;
            break;
        }
        rc = SQLITE_OK;
    }
    if (oom || rc != SQLITE_DONE) {
        if (oom)
            rc = ag_store_failf(st, err, AG_ENOMEM, "cannot read meta from", "out of memory");
        else
            rc = ag_store_fail(st, err, "cannot read meta from");
        sqlite3_finalize(s);
        ag_store_meta_list_free(*keys, *values, *n);
        *keys = *values = NULL;
        *n = 0;
        return rc;
    }
    sqlite3_finalize(s);
    return 0;
}
