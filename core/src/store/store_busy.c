/* Members' busy time (schema step 9): intervals only, never what the
 * member was busy with. A replace is one transaction, so that a proposal
 * reads a member's previous calendar or its new one, never half of each. */
#include "config_network.h"
#include "store_internal.h"
#include "store_migration_busy.h"

#include <stdlib.h>
#include <string.h>

enum { B_DELETE, B_INSERT, B_SOURCE, B_LOAD, B_SOURCES, B_FORGET_ALL, B_FORGET_SRC, B_READ_BY };

/* Prepared once per connection and kept with it. */
static sqlite3_stmt *stmt(ag_store *st, int id)
{
    static const char *const sql[] = {
        [B_DELETE] = "DELETE FROM busy_intervals WHERE member = ?1 AND source = ?2",
        [B_INSERT] = "INSERT INTO busy_intervals (member, source, start, end, tentative) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
        [B_SOURCE] = "INSERT OR REPLACE INTO busy_sources (member, source, read_at, window_from, "
                     "window_to) VALUES (?1, ?2, ?3, ?4, ?5)",
        [B_LOAD] = AG_STORE_BUSY_LOAD_SQL,
        [B_SOURCES] = "SELECT source, read_at, window_from, window_to FROM busy_sources WHERE "
                      "member = ?1 ORDER BY source",
        [B_FORGET_ALL] = "DELETE FROM busy_intervals WHERE member = ?1",
        [B_FORGET_SRC] = "DELETE FROM busy_sources WHERE member = ?1 AND (?2 IS NULL OR "
                         "source = ?2)",
        [B_READ_BY] = "SELECT member, source FROM busy_sources UNION SELECT DISTINCT member, "
                      "source FROM busy_intervals",
    };
    return ag_store_cached(st, &st->busy_stmts[id], sql[id]);
}

static int run(ag_store *st, sqlite3_stmt *s, char **err, const char *what)
{
    if (!s || sqlite3_step(s) != SQLITE_DONE) {
        int rc = ag_store_fail(st, err, what);
        if (s)
            sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    return 0;
}

static int insert_all(ag_store *st, const char *member, const char *source,
                      const ag_busy_interval *iv, size_t n, char **err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s = stmt(st, B_INSERT);
        if (s && (sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC) != SQLITE_OK ||
                  sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC) != SQLITE_OK ||
                  sqlite3_bind_int64(s, 3, iv[i].start) != SQLITE_OK ||
                  sqlite3_bind_int64(s, 4, iv[i].end) != SQLITE_OK ||
                  sqlite3_bind_int(s, 5, iv[i].tentative) != SQLITE_OK))
            s = NULL;
        int rc = run(st, s, err, "cannot save busy time to");
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int replace_locked(ag_store *st, const char *member, const char *source, int64_t from,
                          int64_t to, const ag_busy_interval *iv, size_t n, int64_t now, char **err)
{
    sqlite3_stmt *s = stmt(st, B_DELETE);
    if (s && (sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC) != SQLITE_OK ||
              sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC) != SQLITE_OK))
        s = NULL;
    int rc = run(st, s, err, "cannot replace busy time in");
    if (rc == 0)
        rc = insert_all(st, member, source, iv, n, err);
    if (rc < 0)
        return rc;
    s = stmt(st, B_SOURCE);
    if (s &&
        (sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_int64(s, 3, now) != SQLITE_OK ||
         sqlite3_bind_int64(s, 4, from) != SQLITE_OK || sqlite3_bind_int64(s, 5, to) != SQLITE_OK))
        s = NULL;
    return run(st, s, err, "cannot record a calendar read in");
}

int ag_store_busy_replace(ag_store *st, const char *member, const char *source, int64_t from,
                          int64_t to, const ag_busy_interval *iv, size_t n, int64_t now, char **err)
{
    if (err)
        *err = NULL;
    if (from >= to)
        return ag_store_failf(st, err, AG_EINVAL, "cannot save busy time to",
                              "window [%lld, %lld) is empty", (long long)from, (long long)to);
    for (size_t i = 0; i < n; i++)
        if (iv[i].start >= iv[i].end)
            return ag_store_failf(st, err, AG_EINVAL, "cannot save busy time to",
                                  "interval %zu of %s ends before it starts", i, member);
    if (ag_store_exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot save busy time to");
    int rc = replace_locked(st, member, source, from, to, iv, n, now, err);
    if (rc == 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK)
        rc = ag_store_fail(st, err, "cannot save busy time to");
    if (rc < 0)
        ag_store_rollback(st);
    return rc;
}

static int grow(ag_busy_interval **v, size_t *cap, size_t n)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 64;
    ag_busy_interval *p = realloc(*v, c * sizeof *p);
    if (!p)
        return AG_ENOMEM;
    *v = p;
    *cap = c;
    return 0;
}

int ag_store_busy_load(ag_store *st, const char *member, int64_t from, int64_t to,
                       ag_busy_interval **out, size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    if (err)
        *err = NULL;
    sqlite3_stmt *s = stmt(st, B_LOAD);
    if (!s || sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, from) != SQLITE_OK || sqlite3_bind_int64(s, 3, to) != SQLITE_OK)
        return run(st, NULL, err, "cannot read busy time from");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (grow(out, &cap, *n) < 0) {
            sqlite3_reset(s);
            free(*out);
            *out = NULL;
            *n = 0;
            return ag_store_failf(st, err, AG_ENOMEM, "cannot read busy time from",
                                  "out of memory");
        }
        (*out)[(*n)++] = (ag_busy_interval){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                            sqlite3_column_int(s, 2) != 0};
    }
    if (rc != SQLITE_DONE) {
        rc = ag_store_fail(st, err, "cannot read busy time from");
        sqlite3_reset(s);
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    sqlite3_reset(s);
    return 0;
}

void ag_store_busy_sources_free(ag_busy_source *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].source);
    free(v);
}

static int add_source(sqlite3_stmt *s, ag_busy_source **out, size_t *n)
{
    ag_busy_source *p = realloc(*out, (*n + 1) * sizeof *p);
    if (!p)
        return AG_ENOMEM;
    *out = p;
    const char *name = (const char *)sqlite3_column_text(s, 0);
    p[*n] = (ag_busy_source){name ? strdup(name) : NULL, sqlite3_column_int64(s, 1),
                             sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3)};
    if (!p[*n].source)
        return AG_ENOMEM;
    (*n)++;
    return 0;
}

int ag_store_busy_sources(ag_store *st, const char *member, ag_busy_source **out, size_t *n,
                          char **err)
{
    *out = NULL;
    *n = 0;
    if (err)
        *err = NULL;
    sqlite3_stmt *s = stmt(st, B_SOURCES);
    if (!s || sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC) != SQLITE_OK)
        return run(st, NULL, err, "cannot read calendar reads from");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (add_source(s, out, n) < 0) {
            rc = AG_ENOMEM;
            break;
        }
    if (rc != SQLITE_DONE) {
        rc = rc == AG_ENOMEM
                 ? ag_store_failf(st, err, rc, "cannot read calendar reads from", "out of memory")
                 : ag_store_fail(st, err, "cannot read calendar reads from");
        ag_store_busy_sources_free(*out, *n);
        *out = NULL;
        *n = 0;
    } else {
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

int ag_store_busy_forget(ag_store *st, const char *member, const char *source, char **err)
{
    if (err)
        *err = NULL;
    sqlite3_stmt *s = stmt(st, source ? B_DELETE : B_FORGET_ALL);
    if (s && (sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC) != SQLITE_OK ||
              (source && sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC) != SQLITE_OK)))
        s = NULL;
    int rc = run(st, s, err, "cannot forget busy time in");
    if (rc < 0)
        return rc;
    s = stmt(st, B_FORGET_SRC);
    if (s && (sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC) != SQLITE_OK ||
              ag_store_bind_opt_text(s, 2, source) != SQLITE_OK))
        s = NULL;
    return run(st, s, err, "cannot forget calendar reads in");
}

/* Whether cfg still has member read by source: the member is configured,
 * with the calendar that source reads ("feed": feed_url; "caldav":
 * sync.caldav). A source of another name is left to whoever wrote it. */
static bool still_read(const ag_config *cfg, const char *member, const char *source)
{
    const ag_member *m = ag_config_member(cfg, member);
    if (!m)
        return false;
    if (strcmp(source, "feed") == 0)
        return m->feed_url != NULL;
    if (strcmp(source, "caldav") == 0)
        return m->sync.caldav_url != NULL;
    return true;
}

typedef struct {
    char **member, **source;
    size_t n;
} read_pairs;

static void pairs_free(read_pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->member[i]);
        free(p->source[i]);
    }
    free(p->member);
    free(p->source);
}

static int pairs_add(read_pairs *p, const char *member, const char *source)
{
    char **m = realloc(p->member, (p->n + 1) * sizeof *m);
    if (m)
        p->member = m;
    char **s = m ? realloc(p->source, (p->n + 1) * sizeof *s) : NULL;
    if (s)
        p->source = s;
    char *mc = s && member ? strdup(member) : NULL, *sc = mc && source ? strdup(source) : NULL;
    if (!sc) {
        free(mc);
        return AG_ENOMEM;
    }
    p->member[p->n] = mc;
    p->source[p->n++] = sc;
    return 0;
}

/* The (member, source) pairs that hold busy time, read before any is
 * deleted. */
static int read_by(ag_store *st, read_pairs *p, char **err)
{
    sqlite3_stmt *s = stmt(st, B_READ_BY);
    if (!s)
        return run(st, NULL, err, "cannot read busy time from");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (pairs_add(p, (const char *)sqlite3_column_text(s, 0),
                      (const char *)sqlite3_column_text(s, 1)) < 0) {
            sqlite3_reset(s);
            return ag_store_failf(st, err, AG_ENOMEM, "cannot read busy time from",
                                  "out of memory");
        }
    if (rc != SQLITE_DONE) {
        rc = ag_store_fail(st, err, "cannot read busy time from");
        sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    return 0;
}

int ag_store_busy_forget_unconfigured(ag_store *st, const ag_config *cfg, char **err)
{
    read_pairs p = {0};
    int rc = read_by(st, &p, err);
    for (size_t i = 0; rc == 0 && i < p.n; i++)
        if (!still_read(cfg, p.member[i], p.source[i]))
            rc = ag_store_busy_forget(st, p.member[i], p.source[i], err);
    pairs_free(&p);
    return rc;
}
