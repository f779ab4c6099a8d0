/* A member's imported set written as a new generation over several short
 * transactions, then made current in one (see
 * store_migration_generations.h). Comparing with the stored set first
 * means that an unchanged feed writes nothing (no new SEQUENCE, no fsync,
 * feeds' ETags hold), and that an event gone from the source is published
 * as CANCELLED until it passes, as the network's own removed events are.
 *
 * The old set's rows are deleted afterwards, a chunk per call, and at the
 * next start for whatever a kill -9 left: an interrupted new generation
 * that never became current, or an old one half deleted. */
#include "store_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ag_import_write {
    char *source, *member;
    int64_t gen, prev;  /* the generation written; the current one when prepared (0: none) */
    ag_import_row *old; /* the stored set, owned */
    size_t n_old;
    ag_import_row *rows; /* the new set, shallow: strings owned by old or the caller's batch */
    size_t n, done;
};

void ag_store_import_write_free(ag_import_write *w)
{
    if (!w)
        return;
    ag_store_import_rows_free(w->old, w->n_old);
    free(w->rows);
    free(w->source);
    free(w->member);
    free(w);
}

const ag_import_row *ag_store_import_write_rows(const ag_import_write *w, size_t *n)
{
    *n = w->n;
    return w->rows;
}

const char *ag_store_import_write_member(const ag_import_write *w)
{
    return w->member;
}

int64_t ag_store_import_write_gen(const ag_import_write *w)
{
    return w->gen;
}

static bool same_content(const ag_import_row *a, const ag_import_row *b)
{
    return ag_text_eq(&a->title, &b->title) && ag_text_eq(&a->description, &b->description) &&
           ag_text_eq(&a->location, &b->location) && a->start == b->start && a->end == b->end &&
           a->all_day == b->all_day && a->status == b->status &&
           ag_str_eq(a->categories ? a->categories : "", b->categories ? b->categories : "") &&
           ag_private_eq(&a->priv, &b->priv);
}

static int cmp_row_ptr(const void *a, const void *b)
{
    const ag_import_row *const *x = a, *const *y = b;
    return strcmp((*x)->uid, (*y)->uid);
}

static int sorted_unique(const ag_import_row *rows, size_t n, const ag_import_row ***out,
                         ag_store *st, char **err)
{
    const ag_import_row **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return ag_store_failf(st, err, AG_ENOMEM, "cannot store imported events in",
                              "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = &rows[i];
    qsort(v, n, sizeof *v, cmp_row_ptr);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i - 1]->uid, v[i]->uid) == 0) {
            int rc = ag_store_failf(st, err, AG_EINVAL, "cannot store imported events in",
                                    "uid %s appears twice in one batch", v[i]->uid);
            free(v);
            return rc;
        }
    *out = v;
    return 0;
}

/* --------------------------------------------------- the comparison */

typedef struct {
    int64_t now, retention;
    int written;
} merge_ctx;

/* A row of the batch, new (old NULL) or changed: SEQUENCE+1 and
 * LAST-MODIFIED now, CREATED kept. */
static ag_import_row fresh_row(const ag_import_row *in, const ag_import_row *old, merge_ctx *m)
{
    ag_import_row r = *in;
    r.sequence = old ? old->sequence + 1 : 0;
    r.created = old ? old->created : m->now;
    r.last_modified = m->now;
    r.removed_at = 0;
    m->written++;
    return r;
}

/* A stored row the batch lacks: marked removed, kept as it is, or (false)
 * dropped once it and its removal are past retention. */
static bool kept_row(const ag_import_row *old, merge_ctx *m, ag_import_row *out)
{
    *out = *old;
    if (old->removed_at == 0) {
        out->removed_at = m->now;
        out->sequence++;
        out->last_modified = m->now;
        m->written++;
        return true;
    }
    if (old->end + m->retention < m->now && old->removed_at + m->retention < m->now) {
        m->written++;
        return false;
    }
    return true;
}

/* Walks both uid-sorted lists like a merge into w->rows. */
static void merge(ag_import_write *w, const ag_import_row **in, size_t n_in, merge_ctx *m)
{
    size_t i = 0, j = 0;
    const ag_import_row *old = w->old;
    while (i < n_in || j < w->n_old) {
        int c = i == n_in ? 1 : j == w->n_old ? -1 : strcmp(in[i]->uid, old[j].uid);
        ag_import_row r;
        if (c < 0) {
            r = fresh_row(in[i++], NULL, m);
        } else if (c > 0) {
            if (!kept_row(&old[j++], m, &r))
                continue;
        } else {
            bool same = old[j].removed_at == 0 && same_content(in[i], &old[j]);
            r = same ? old[j] : fresh_row(in[i], &old[j], m);
            i++;
            j++;
        }
        r.member = w->member;
        w->rows[w->n++] = r;
    }
}

/* 0, or the code of sqlite's error (its message is the connection's). */
static int read_gen(ag_store *st, const char *sql, const char *member, int64_t *gen)
{
    sqlite3_stmt *s = NULL;
    *gen = 0;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return ag_store_code(rc);
    sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *gen = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ag_store_code(rc);
}

static const char current_sql[] = "SELECT gen FROM import_current WHERE member = ?1";

/* The stored set and the generation numbers, from one snapshot. The new
 * generation is above every one the member has rows of, also one that an
 * interrupted import left. */
static int read_stored(ag_store *st, ag_import_write *w, char **err)
{
    if (ag_store_exec(st, "BEGIN") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read imported events from");
    int64_t top = 0;
    int rc = ag_store_select_member_imports(st, w->member, &w->old, &w->n_old, err);
    if (rc == 0 &&
        (read_gen(st, current_sql, w->member, &w->prev) < 0 ||
         read_gen(st, "SELECT max(gen) FROM import_rows WHERE member = ?1", w->member, &top) < 0))
        rc = ag_store_fail(st, err, "cannot read imported events from");
    ag_store_rollback(st);
    w->gen = (top > w->prev ? top : w->prev) + 1;
    return rc;
}

static ag_import_write *write_new(const char *source, const char *member)
{
    ag_import_write *w = calloc(1, sizeof *w);
    if (w && (!(w->source = strdup(source)) || !(w->member = strdup(member)))) {
        ag_store_import_write_free(w);
        return NULL;
    }
    return w;
}

int ag_store_import_write_prepare(ag_store *st, const char *source, const char *member,
                                  const ag_import_row *rows, size_t n, int64_t now,
                                  int64_t retention, ag_import_write **out, int *written,
                                  char **err)
{
    *out = NULL;
    *written = 0;
    const ag_import_row **in = NULL; /* -O3 cannot see that failure returns early */
    int rc = sorted_unique(rows, n, &in, st, err);
    if (rc < 0)
        return rc;
    ag_import_write *w = write_new(source, member);
    rc = w ? read_stored(st, w, err)
           : ag_store_failf(st, err, AG_ENOMEM, "cannot store imported events in", "out of memory");
    if (rc == 0 && !(w->rows = calloc(n + w->n_old + 1, sizeof *w->rows)))
        rc = ag_store_failf(st, err, AG_ENOMEM, "cannot store imported events in", "out of memory");
    merge_ctx m = {now, retention, 0};
    if (rc == 0)
        merge(w, in, n, &m);
    free(in);
    if (rc < 0 || m.written == 0) {
        ag_store_import_write_free(w);
        return rc;
    }
    *written = m.written;
    *out = w;
    return 0;
}

/* ------------------------------------------------------ the writes */

/* As ag_store_bind_opt_text without the copy: every row is bound and
 * stepped at once, while the write's rows hold the strings, and a member's
 * first pull binds some 600,000 of them. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_key(sqlite3_stmt *s, const ag_import_write *w, const char *uid)
{
    sqlite3_bind_text(s, 1, w->member, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, w->gen);
    sqlite3_bind_text(s, 3, uid, -1, SQLITE_STATIC);
}

static int insert_attendees(ag_store *st, const ag_import_write *w, const ag_import_row *r)
{
    for (size_t i = 0; i < r->priv.n_attendees; i++) {
        const ag_attendee *a = &r->priv.attendees[i];
        sqlite3_stmt *s = ag_store_cached(
            st, &st->import_stmts[1],
            "INSERT INTO import_attendees (member, gen, uid, pos, address, cn, partstat, role) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        if (!s)
            return AG_ESTORE;
        bind_key(s, w, r->uid);
        sqlite3_bind_int64(s, 4, (int64_t)i);
        bind_text(s, 5, a->address);
        bind_text(s, 6, a->cn);
        bind_text(s, 7, a->partstat);
        bind_text(s, 8, a->role);
        if (sqlite3_step(s) != SQLITE_DONE)
            return AG_ESTORE;
    }
    return 0;
}

static int insert_alarms(ag_store *st, const ag_import_write *w, const ag_import_row *r)
{
    for (size_t i = 0; i < r->priv.n_alarms; i++) {
        const ag_alarm *a = &r->priv.alarms[i];
        sqlite3_stmt *s = ag_store_cached(
            st, &st->import_stmts[2],
            "INSERT INTO import_alarms (member, gen, uid, pos, action, related, trigger_at, "
            "description, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        if (!s)
            return AG_ESTORE;
        bind_key(s, w, r->uid);
        sqlite3_bind_int64(s, 4, (int64_t)i);
        bind_text(s, 5, a->action);
        sqlite3_bind_int(s, 6, (int)a->related);
        sqlite3_bind_int64(s, 7, a->trigger);
        bind_text(s, 8, a->description);
        bind_text(s, 9, a->summary);
        if (sqlite3_step(s) != SQLITE_DONE)
            return AG_ESTORE;
    }
    return 0;
}

static void bind_content(sqlite3_stmt *s, const ag_import_row *r)
{
    bind_text(s, 5, r->title.ar);
    bind_text(s, 6, r->title.fr);
    bind_text(s, 7, r->description.ar);
    bind_text(s, 8, r->description.fr);
    bind_text(s, 9, r->location.ar);
    bind_text(s, 10, r->location.fr);
    sqlite3_bind_int64(s, 11, r->start);
    sqlite3_bind_int64(s, 12, r->end);
    sqlite3_bind_int(s, 13, r->all_day);
    bind_text(s, 14, ag_store_status_names[r->status]);
    bind_text(s, 15, r->categories ? r->categories : "");
    sqlite3_bind_int(s, 16, r->sequence);
    sqlite3_bind_int64(s, 17, r->created);
    sqlite3_bind_int64(s, 18, r->last_modified);
    sqlite3_bind_int64(s, 19, r->removed_at);
}

static int insert_row(ag_store *st, const ag_import_write *w, const ag_import_row *r)
{
    sqlite3_stmt *s =
        ag_store_cached(st, &st->import_stmts[0],
                        "INSERT INTO import_rows (member, gen, uid, source, title_ar, title_fr, "
                        "description_ar, description_fr, location_ar, location_fr, start_utc, "
                        "end_utc, all_day, status, categories, sequence, created, last_modified, "
                        "removed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                        "?13, ?14, ?15, ?16, ?17, ?18, ?19)");
    if (!s)
        return AG_ESTORE;
    bind_key(s, w, r->uid);
    bind_text(s, 4, w->source);
    bind_content(s, r);
    if (sqlite3_step(s) != SQLITE_DONE)
        return AG_ESTORE;
    int rc = insert_attendees(st, w, r);
    return rc < 0 ? rc : insert_alarms(st, w, r);
}

/* The connection's synchronous level, or -1 when it cannot be read. */
static int synchronous_level(ag_store *st)
{
    sqlite3_stmt *s = NULL;
    int level = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA synchronous", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        level = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return level;
}

static void set_synchronous(ag_store *st, int level)
{
    char sql[40];
    snprintf(sql, sizeof sql, "PRAGMA synchronous = %d", level);
    ag_store_exec(st, sql);
}

typedef int (*locked_fn)(ag_store *st, void *arg, char **err);

/* fn in one write transaction, committed without an fsync of its own (WAL,
 * synchronous NORMAL): the commit stays atomic, also across kill -9, and
 * the next commit with the usual level (the source's validators, saved
 * once the batch is stored) makes it durable with everything before it in
 * the log. A power cut in between loses the batch and keeps the old
 * validators: the next pull brings it again. The fsync cost 10-50 ms of
 * the loop per member's pull. */
static int in_transaction(ag_store *st, locked_fn fn, void *arg, char **err)
{
    int level = synchronous_level(st);
    if (level > 1)
        set_synchronous(st, 1);
    int rc = 0;
    if (ag_store_exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        rc = ag_store_fail(st, err, "cannot store imported events in");
    else if ((rc = fn(st, arg, err)) >= 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK)
        rc = ag_store_fail(st, err, "cannot commit imported events to");
    if (rc < 0)
        ag_store_rollback(st);
    if (level > 1)
        set_synchronous(st, level);
    return rc;
}

typedef struct {
    ag_import_write *w;
    size_t max;
} chunk;

static int insert_chunk(ag_store *st, void *arg, char **err)
{
    chunk *c = arg;
    ag_import_write *w = c->w;
    size_t end = w->n - w->done > c->max ? w->done + c->max : w->n;
    for (size_t i = w->done; i < end; i++)
        if (insert_row(st, w, &w->rows[i]) < 0)
            return ag_store_fail(st, err, "cannot store imported events in");
    w->done = end;
    return 0;
}

int ag_store_import_write_step(ag_store *st, ag_import_write *w, size_t max, char **err)
{
    if (w->done == w->n)
        return 1;
    size_t before = w->done;
    chunk c = {w, max ? max : 1};
    int rc = in_transaction(st, insert_chunk, &c, err);
    if (rc < 0) {
        w->done = before;
        return rc;
    }
    return w->done == w->n ? 1 : 0;
}

/* The new generation's rows: all there, unless another process deleted
 * some meanwhile (two daemons on one database). */
static int count_gen(ag_store *st, const ag_import_write *w, int64_t *n)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(
        st->db, "SELECT count(*) FROM import_rows WHERE member = ?1 AND gen = ?2", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return ag_store_code(rc);
    sqlite3_bind_text(s, 1, w->member, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, w->gen);
    rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : ag_store_code(rc);
}

static int flip_locked(ag_store *st, void *arg, char **err)
{
    ag_import_write *w = arg;
    int64_t current = 0, n = 0;
    if (read_gen(st, current_sql, w->member, &current) < 0 || count_gen(st, w, &n) < 0)
        return ag_store_fail(st, err, "cannot store imported events in");
    if (current != w->prev || n != (int64_t)w->n)
        return ag_store_failf(st, err, AG_ESTORE, "cannot store imported events in",
                              "the events of %s changed meanwhile", w->member);
    sqlite3_stmt *s = ag_store_cached(st, &st->import_stmts[3],
                                      "INSERT INTO import_current (member, gen) VALUES (?1, ?2) "
                                      "ON CONFLICT (member) DO UPDATE SET gen = excluded.gen");
    if (!s)
        return ag_store_fail(st, err, "cannot store imported events in");
    sqlite3_bind_text(s, 1, w->member, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, w->gen);
    if (sqlite3_step(s) != SQLITE_DONE)
        return ag_store_fail(st, err, "cannot store imported events in");
    return 0;
}

int ag_store_import_write_commit(ag_store *st, ag_import_write *w, char **err)
{
    if (w->done != w->n)
        return ag_store_failf(st, err, AG_EINVAL, "cannot store imported events in",
                              "%zu of %zu rows written", w->done, w->n);
    return in_transaction(st, flip_locked, w, err);
}

/* ---------------------------------------------- deleting old sets */

/* For each table: the rows of one member below (0) and above (1) the kept
 * generation, max at a time: two ranges of the clustered key. */
static const char *const sweep_sql[3][2] = {
#define SWEEP(table, key, op)                                                                      \
    "DELETE FROM " table " WHERE (" key ") IN (SELECT " key " FROM " table                         \
    " WHERE member = ?1 AND gen " op " ?2 LIMIT ?3)"
    {SWEEP("import_attendees", "member, gen, uid, pos", "<"),
     SWEEP("import_attendees", "member, gen, uid, pos", ">")},
    {SWEEP("import_alarms", "member, gen, uid, pos", "<"),
     SWEEP("import_alarms", "member, gen, uid, pos", ">")},
    {SWEEP("import_rows", "member, gen, uid", "<"), SWEEP("import_rows", "member, gen, uid", ">")},
#undef SWEEP
};

typedef struct {
    const char *member;
    int64_t keep;
    int max, deleted;
} sweep_ctx;

static int sweep_locked(ag_store *st, void *arg, char **err)
{
    sweep_ctx *c = arg;
    for (int t = 0; t < 3 && c->deleted < c->max; t++)
        for (int side = 0; side < 2 && c->deleted < c->max; side++) {
            sqlite3_stmt *s =
                ag_store_cached(st, &st->import_stmts[4 + t * 2 + side], sweep_sql[t][side]);
            if (!s)
                return ag_store_fail(st, err, "cannot delete old imported events from");
            sqlite3_bind_text(s, 1, c->member, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, c->keep);
            sqlite3_bind_int(s, 3, c->max - c->deleted);
            if (sqlite3_step(s) != SQLITE_DONE)
                return ag_store_fail(st, err, "cannot delete old imported events from");
            c->deleted += sqlite3_changes(st->db);
        }
    return 0;
}

int ag_store_import_sweep_step(ag_store *st, const char *member, int64_t keep, size_t max,
                               char **err)
{
    sweep_ctx c = {member, keep, max > INT32_MAX ? INT32_MAX : max ? (int)max : 1, 0};
    int rc = in_transaction(st, sweep_locked, &c, err);
    return rc < 0 ? rc : c.deleted;
}

int ag_store_import_replace(ag_store *st, const char *source, const char *member,
                            const ag_import_row *rows, size_t n, int64_t now, int64_t retention,
                            int *written, char **err)
{
    int count = 0;
    if (written)
        *written = 0;
    ag_import_write *w = NULL;
    int rc =
        ag_store_import_write_prepare(st, source, member, rows, n, now, retention, &w, &count, err);
    if (rc < 0)
        return rc;
    if (!w)
        return 0;
    rc = ag_store_import_write_step(st, w, SIZE_MAX, err);
    if (rc >= 0)
        rc = ag_store_import_write_commit(st, w, err);
    /* What is left of the old set goes at the next import or start. */
    if (rc == 0)
        while (ag_store_import_sweep_step(st, member, w->gen, 1000, NULL) > 0)
            ;
    ag_store_import_write_free(w);
    if (rc == 0 && written)
        *written = count;
    return rc;
}

/* ------------------------------------------------- at start-up */

/* The next (member, gen) of table after the given one: one index seek
 * rather than a scan of every row. 1 found, 0 none, or a negative AG_E*
 * code. */
static int next_pair(sqlite3_stmt *s, char **member, int64_t *gen)
{
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, *member ? *member : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, *member ? *gen : INT64_MIN);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : ag_store_code(rc);
    free(*member);
    *member = strdup((const char *)sqlite3_column_text(s, 0));
    *gen = sqlite3_column_int64(s, 1);
    return *member ? 1 : AG_ENOMEM;
}

static int delete_pair(ag_store *st, const char *table, const char *member, int64_t gen)
{
    char *sql = sqlite3_mprintf("DELETE FROM %s WHERE member = ?1 AND gen = ?2", table);
    sqlite3_stmt *s = NULL;
    int rc = sql ? sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, gen);
        rc = sqlite3_step(s);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : ag_store_code(rc);
}

/* Deletes table's rows of every generation that is not its member's
 * current one; *deleted counts the generations. 0 or a negative AG_E*
 * code (sqlite's message is the connection's). */
static int sweep_table(ag_store *st, const char *table, int *deleted)
{
    char *sql = sqlite3_mprintf("SELECT member, gen FROM %s WHERE (member, gen) > (?1, ?2) "
                                "ORDER BY member, gen LIMIT 1",
                                table);
    sqlite3_stmt *s = NULL;
    int rc = sql ? sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return ag_store_code(rc);
    char *member = NULL;
    int64_t gen = 0, current = 0;
    while ((rc = next_pair(s, &member, &gen)) > 0) {
        if ((rc = read_gen(st, current_sql, member, &current)) < 0)
            break;
        if (gen == current)
            continue;
        if ((rc = delete_pair(st, table, member, gen)) < 0)
            break;
        (*deleted)++;
    }
    free(member);
    sqlite3_finalize(s);
    return rc;
}

static int sweep_all_locked(ag_store *st, void *arg, char **err)
{
    static const char *const tables[] = {"import_attendees", "import_alarms", "import_rows"};
    for (size_t i = 0; i < 3; i++) {
        int rc = sweep_table(st, tables[i], arg);
        if (rc == AG_ENOMEM)
            return ag_store_failf(st, err, rc, "cannot delete old imported events from",
                                  "out of memory");
        if (rc < 0)
            return ag_store_fail(st, err, "cannot delete old imported events from");
    }
    return 0;
}

int ag_store_import_sweep_all(ag_store *st, int *deleted, char **err)
{
    int n = 0;
    int rc = in_transaction(st, sweep_all_locked, &n, err);
    if (deleted)
        *deleted = rc == 0 ? n : 0;
    return rc;
}
