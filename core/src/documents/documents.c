/* Serving the events' document files (see documents.h). */
#include "documents.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "/documents/"
#define MAX_AGE 300
#define MAX_FILE_BYTES (32 << 20) /* what the config accepts (config_documents.c) */
#define MAX_CACHED_BYTES (96 << 20)
#define MAX_CACHED 64

/* A file as it was read, while it stays the same on disk. */
typedef struct {
    char *path; /* under the documents folder, as the event lists it */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    ag_blob *blob;
} cached;

struct ag_documents {
    ag_service *svc;
    cached v[MAX_CACHED];
    size_t n, bytes;
};

ag_documents *ag_documents_new(ag_service *svc)
{
    ag_documents *d = calloc(1, sizeof *d);
    if (d)
        d->svc = svc;
    return d;
}

static void drop(ag_documents *d, size_t i)
{
    d->bytes -= ag_blob_len(d->v[i].blob);
    ag_blob_unref(d->v[i].blob);
    free(d->v[i].path);
    memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof d->v[0]);
    d->n--;
}

void ag_documents_free(ag_documents *d)
{
    if (!d)
        return;
    while (d->n)
        drop(d, d->n - 1);
    free(d);
}

/* The stored event's document file that the request names, or NULL. A
 * members-only event's files are not served (the config refuses them). */
static const ag_document *find(const ag_service *svc, const char *uid, const char *file)
{
    const ag_stored_event *se = ag_store_event_find(svc->evs, svc->n_evs, uid);
    if (!se || se->ev.visibility != AG_VIS_PUBLIC)
        return NULL;
    for (size_t i = 0; i < se->ev.n_documents; i++)
        if (se->ev.documents[i].file && strcmp(se->ev.documents[i].file, file) == 0)
            return &se->ev.documents[i];
    return NULL;
}

static bool same_file(const cached *c, const struct stat *sb)
{
    return c->dev == sb->st_dev && c->ino == sb->st_ino && c->size == sb->st_size &&
           c->mtime.tv_sec == sb->st_mtim.tv_sec && c->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

/* Whether path, once links are resolved, is inside root. */
static bool inside(const char *root, const char *path)
{
    char *r = realpath(root, NULL), *p = realpath(path, NULL);
    size_t n = r ? strlen(r) : 0;
    bool ok = r && p && strncmp(p, r, n) == 0 && p[n] == '/';
    free(r);
    free(p);
    return ok;
}

/* The whole file, from its descriptor; NULL on a short read or too large. */
static char *read_all(int fd, size_t size)
{
    char *buf = malloc(size ? size : 1);
    size_t got = 0;
    while (buf && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

/* A new blob of the file (what fd reads, sb its stat), kept in the cache. */
static ag_blob *load(ag_documents *d, const ag_document *doc, int fd, const struct stat *sb)
{
    if (sb->st_size > MAX_FILE_BYTES)
        return NULL;
    char *data = read_all(fd, (size_t)sb->st_size);
    ag_blob *b = data ? ag_blob_new(ag_document_content_type(doc->file), data, (size_t)sb->st_size,
                                    sb->st_mtim.tv_sec, NULL)
                      : NULL;
    if (!b)
        return NULL;
    ag_blob_identity_only(b);
    char *path = strdup(doc->file);
    if (!path)
        return b; /* served, not kept */
    while (d->n && (d->n == MAX_CACHED || d->bytes + ag_blob_len(b) > MAX_CACHED_BYTES))
        drop(d, 0);
    d->v[d->n++] = (cached){path, sb->st_dev, sb->st_ino, sb->st_size, sb->st_mtim, ag_blob_ref(b)};
    d->bytes += ag_blob_len(b);
    return b;
}

/* The blob of doc's file as it is now, or NULL with *status the answer. */
static ag_blob *blob_of(ag_documents *d, const ag_document *doc, int *status)
{
    const char *dir = d->svc->cfg ? d->svc->cfg->dir : d->svc->config_dir;
    char *root = NULL, *path = NULL;
    ag_blob *b = NULL;
    *status = 500;
    if (asprintf(&root, "%s/documents", dir) < 0 || asprintf(&path, "%s/%s", root, doc->file) < 0) {
        root = path = NULL;
        goto out;
    }
    *status = 404;
    if (!inside(root, path))
        goto out;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        goto out;
    }
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->v[i].path, doc->file) != 0)
            continue;
        if (same_file(&d->v[i], &sb)) {
            b = ag_blob_ref(d->v[i].blob);
            break;
        }
        drop(d, i);
        break;
    }
    if (!b && !(b = load(d, doc, fd, &sb)))
        *status = 500;
    close(fd);
out:
    if (!b && *status == 500)
        ag_log(AG_LOG_ERR, "document %s: cannot be read", doc->file);
    free(root);
    free(path);
    return b;
}

bool ag_documents_dispatch(ag_documents *d, ag_http_request *req)
{
    const char *path = ag_http_path(req);
    if (strncmp(path, PREFIX, sizeof PREFIX - 1) != 0)
        return false;
    ag_http_set_route(req, "/documents/{uid}/{path}");
    const char *rest = path + sizeof PREFIX - 1;
    const char *slash = strchr(rest, '/');
    char uid[256];
    const ag_document *doc = NULL;
    if (slash && slash > rest && (size_t)(slash - rest) < sizeof uid) {
        memcpy(uid, rest, (size_t)(slash - rest));
        uid[slash - rest] = '\0';
        doc = find(d->svc, uid, slash + 1);
    }
    int status = 404;
    ag_blob *b = doc ? blob_of(d, doc, &status) : NULL;
    if (!b) {
        ag_http_respond_error(
            req, status, status == 404 ? "no such document" : "the document cannot be read", NULL);
        return true;
    }
    ag_http_respond_blob(req, b, MAX_AGE);
    ag_blob_unref(b);
    return true;
}
