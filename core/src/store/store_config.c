/* The config's fingerprint and reminder routes (see store_config.h). */
#include "store_config.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

static const char WRITE[] = "cannot save events to", READ[] = "cannot read events from";
static const char FINGERPRINT[] = "config_fingerprint";

static int run(ag_store *st, sqlite3_stmt *s, const char *what, char **err)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : ag_store_fail(st, err, what);
    sqlite3_reset(s);
    return rc;
}

static int insert_routes(ag_store *st, sqlite3_stmt *s, const ag_event *e, const char *kind,
                         char *const *v, size_t n, char **err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_clear_bindings(s);
        if (sqlite3_bind_text(s, 1, e->uid, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_int64(s, 3, (sqlite3_int64)i) != SQLITE_OK ||
            sqlite3_bind_text(s, 4, v[i], -1, SQLITE_STATIC) != SQLITE_OK)
            return ag_store_fail(st, err, WRITE);
        int rc = run(st, s, WRITE, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int save_routes(ag_store *st, const ag_config *cfg, char **err)
{
    if (ag_store_exec(st, "DELETE FROM event_routes") != SQLITE_OK)
        return ag_store_fail(st, err, WRITE);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO event_routes (uid, kind, pos, value) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &s, NULL) != SQLITE_OK)
        return ag_store_fail(st, err, WRITE);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cfg->n_events; i++) {
        const ag_event *e = &cfg->events[i];
        rc = insert_routes(st, s, e, "channel", e->reminder_channels, e->n_reminder_channels, err);
        if (rc == 0)
            rc = insert_routes(st, s, e, "extra", e->reminder_extra, e->n_reminder_extra, err);
    }
    sqlite3_finalize(s);
    return rc;
}

int ag_store_save_config_state(ag_store *st, const ag_config *cfg, char **err)
{
    int rc = save_routes(st, cfg, err);
    if (rc < 0)
        return rc;
    return cfg->fingerprint ? ag_store_meta_set(st, FINGERPRINT, cfg->fingerprint, err)
                            : ag_store_meta_delete(st, FINGERPRINT, err);
}

static int cmp_uid(const void *key, const void *elem)
{
    return strcmp(key, ((const ag_event *)elem)->uid);
}

static bool push(char ***v, size_t *n, const char *value)
{
    char *copy = strdup(value);
    char **grown = copy ? realloc(*v, (*n + 1) * sizeof **v) : NULL;
    if (!grown) {
        free(copy);
        return false;
    }
    *v = grown;
    (*v)[(*n)++] = copy;
    return true;
}

/* Rows come ordered by (uid, kind, pos): appending keeps the admin's order. */
static int load_routes(ag_store *st, ag_event *evs, size_t n, char **err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT uid, kind, value FROM event_routes ORDER BY uid, kind, pos", -1,
                           &s, NULL) != SQLITE_OK)
        return ag_store_fail(st, err, READ);
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *uid = (const char *)sqlite3_column_text(s, 0);
        const char *kind = (const char *)sqlite3_column_text(s, 1);
        const char *value = (const char *)sqlite3_column_text(s, 2);
        ag_event *e = uid ? bsearch(uid, evs, n, sizeof *evs, cmp_uid) : NULL;
        if (!e || !kind || !value)
            continue; /* a route of no live event decides nothing */
        ok = strcmp(kind, "extra") == 0
                 ? push(&e->reminder_extra, &e->n_reminder_extra, value)
                 : push(&e->reminder_channels, &e->n_reminder_channels, value);
    }
    sqlite3_finalize(s);
    if (!ok)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    return rc == SQLITE_DONE ? 0 : ag_store_fail(st, err, READ);
}

/* The live network events, shallow over rows (which are sorted by uid). */
static ag_event *live_events(const ag_stored_event *rows, size_t n, size_t *n_live)
{
    ag_event *v = calloc(n ? n : 1, sizeof *v);
    *n_live = 0;
    for (size_t i = 0; v && i < n; i++) {
        const ag_event *r = &rows[i].ev;
        if (rows[i].removed_at != 0 || rows[i].imported_from)
            continue;
        v[(*n_live)++] = (ag_event){
            .uid = r->uid, .host = r->host, .audience = r->audience, .n_audience = r->n_audience};
    }
    return v;
}

static int load_matching(ag_store *st, const char *fingerprint, ag_stored_event **rows, size_t *n,
                         ag_event **cfg_evs, size_t *n_cfg, char **err)
{
    char *stored = NULL;
    int rc = ag_store_meta_get(st, FINGERPRINT, &stored, err);
    if (rc < 0)
        return rc;
    bool same = stored && strcmp(stored, fingerprint) == 0;
    free(stored);
    if (!same)
        return 0;
    if ((rc = ag_store_load_locked(st, rows, n, err)) < 0)
        return rc;
    *cfg_evs = live_events(*rows, *n, n_cfg);
    if (!*cfg_evs)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    rc = load_routes(st, *cfg_evs, *n_cfg, err);
    return rc < 0 ? rc : 1;
}

int ag_store_load_reconciled(ag_store *st, const char *fingerprint, ag_stored_event **rows,
                             size_t *n, ag_event **cfg_evs, size_t *n_cfg, char **err)
{
    *rows = NULL;
    *cfg_evs = NULL;
    *n = *n_cfg = 0;
    if (ag_store_exec(st, "BEGIN") != SQLITE_OK)
        return ag_store_fail(st, err, READ);
    int rc = load_matching(st, fingerprint, rows, n, cfg_evs, n_cfg, err);
    if (rc >= 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK)
        rc = ag_store_fail(st, err, READ);
    ag_store_rollback(st);
    if (rc != 1) {
        ag_store_config_events_free(*cfg_evs, *n_cfg);
        ag_store_events_free(*rows, *n);
        *rows = NULL;
        *cfg_evs = NULL;
        *n = *n_cfg = 0;
    }
    return rc;
}

void ag_store_config_events_free(ag_event *evs, size_t n)
{
    for (size_t i = 0; evs && i < n; i++) {
        for (size_t j = 0; j < evs[i].n_reminder_channels; j++)
            free(evs[i].reminder_channels[j]);
        free(evs[i].reminder_channels);
        for (size_t j = 0; j < evs[i].n_reminder_extra; j++)
            free(evs[i].reminder_extra[j]);
        free(evs[i].reminder_extra);
    }
    free(evs);
}
