#include "service_export.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* From errno: its message, and its code. */
static int set_err(char **err, const char *what, const char *path)
{
    int code = -errno;
    if (err && asprintf(err, "cannot %s %s: %s", what, path, ag_err_errno(errno)) < 0)
        *err = NULL;
    return code;
}

/* A truncated path would name another file (or create a stray directory):
 * refuse it instead. */
static int join(char *buf, size_t size, char **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int join(char *buf, size_t size, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < size)
        return 0;
    errno = ENAMETOOLONG;
    return set_err(err, "use the path", buf);
}

static int make_dir(const char *path, char **err)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    return set_err(err, "create directory", path);
}

/* Readers (nginx) never see a half-written file: write aside, then rename. */
static int write_atomic(const char *path, const char *data, size_t len, char **err)
{
    char tmp[4200];
    int rc = join(tmp, sizeof tmp, err, "%s.tmp", path);
    if (rc < 0)
        return rc;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return set_err(err, "write", tmp);
    bool ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return set_err(err, "write", path);
    }
    return 0;
}

/* One run: where files go, and the nginx ETag map being written. */
typedef struct {
    ag_service *svc;
    const char *root;
    FILE *map;
    int64_t now;
} exporter;

/* The file's mtime is the feed's Last-Modified, so that a web server
 * serving the file sends the daemon's Last-Modified and answers
 * If-Modified-Since alike. */
static int set_mtime(const char *path, int64_t t, char **err)
{
    struct timespec times[2] = {{.tv_sec = (time_t)t}, {.tv_sec = (time_t)t}};
    if (utimensat(AT_FDCWD, path, times, 0) < 0)
        return set_err(err, "date", path);
    return 0;
}

/* 0 written, 1 no such feed (skipped), or a negative AG_E* code. */
static int export_one(exporter *x, const char *path, ag_feed_query *q, char **err)
{
    q->lang = ag_service_settings(x->svc)->default_lang;
    q->slots = true;
    ag_service_default_window(x->svc, x->now, q);
    int status;
    char *why = NULL;
    ag_blob *b = ag_service_feed(x->svc, q, x->now, &status, &why);
    if (!b && status == 404) {
        free(why);
        return 1;
    }
    if (!b) {
        *err = why;
        return AG_EFEED;
    }
    int rc = write_atomic(path, ag_blob_data(b), ag_blob_len(b), err);
    if (rc == 0)
        rc = set_mtime(path, ag_blob_last_modified(b), err);
    /* nginx sends this ETag instead of its own mtime-size tag (doc/operations.md,
     * "Serving large audiences"). Paths hold only id and uid characters:
     * no quoting needed. */
    if (rc == 0)
        fprintf(x->map, "%s '%s';\n", path + strlen(x->root), ag_blob_etag(b));
    ag_blob_unref(b);
    return rc;
}

static int export_kind(exporter *x, const char *dir, ag_feed_kind kind, const char *key, char **err)
{
    char path[4096];
    int rc = join(path, sizeof path, err, "%s/%s.ics", dir, key);
    if (rc < 0)
        return rc;
    ag_feed_query q = {.kind = kind, .key = kind == AG_FEED_NETWORK ? NULL : key};
    return export_one(x, path, &q, err);
}

static int make_tree(const char *out, char **err)
{
    static const char *const subdirs[] = {"", "/feeds", "/feeds/members", "/feeds/categories",
                                          "/events"};
    char path[4096];
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        int rc;
        if ((rc = join(path, sizeof path, err, "%s%s", out, subdirs[i])) < 0 ||
            (rc = make_dir(path, err)) < 0)
            return rc;
    }
    return 0;
}

static int export_all(exporter *x, char **err)
{
    const ag_config *cfg = x->svc->cfg;
    char dir[4096];
    int written = 0, rc;
    if ((rc = join(dir, sizeof dir, err, "%s/feeds", x->root)) < 0 ||
        (rc = export_kind(x, dir, AG_FEED_NETWORK, "network", err)) < 0)
        return rc;
    written++;
    if ((rc = join(dir, sizeof dir, err, "%s/feeds/members", x->root)) < 0)
        return rc;
    for (size_t i = 0; i < cfg->n_members; i++, written++)
        if ((rc = export_kind(x, dir, AG_FEED_MEMBER, cfg->members[i].id, err)) < 0)
            return rc;
    if ((rc = join(dir, sizeof dir, err, "%s/feeds/categories", x->root)) < 0)
        return rc;
    for (size_t i = 0; i < cfg->n_categories; i++, written++)
        if ((rc = export_kind(x, dir, AG_FEED_CATEGORY, cfg->categories[i].id, err)) < 0)
            return rc;
    if ((rc = join(dir, sizeof dir, err, "%s/events", x->root)) < 0)
        return rc;
    for (size_t i = 0; i < x->svc->n_evs; i++) {
        rc = export_kind(x, dir, AG_FEED_EVENT, x->svc->evs[i].ev.uid, err);
        if (rc == 1)
            continue; /* members-only or over: HTTP answers 404 too */
        if (rc < 0)
            return rc;
        written++;
    }
    return written;
}

/* The map is replaced like the feeds, after them: nginx reloaded meanwhile
 * reads either the old map or the new one, never half of one. */
int ag_service_export(ag_service *svc, const char *out_dir, int64_t now, char **err)
{
    int rc = make_tree(out_dir, err);
    if (rc < 0)
        return rc;
    exporter x = {.svc = svc, .root = out_dir, .now = now};
    char *map_text = NULL;
    size_t map_len = 0;
    x.map = open_memstream(&map_text, &map_len);
    if (!x.map)
        return set_err(err, "buffer", "etags.map");
    int written = export_all(&x, err);
    bool map_ok = fclose(x.map) == 0;
    if (written >= 0 && !map_ok)
        written = set_err(err, "buffer", "etags.map");
    if (written >= 0) {
        char path[4200];
        if ((rc = join(path, sizeof path, err, "%s/etags.map", out_dir)) < 0 ||
            (rc = write_atomic(path, map_text, map_len, err)) < 0)
            written = rc;
    }
    free(map_text);
    return written;
}
