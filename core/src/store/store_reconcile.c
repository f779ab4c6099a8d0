/* Brings the store in line with the config in one write transaction, and
 * purges removed events once they are long past. */
#include "store_config.h"
#include "store_internal.h"
#include "recur.h"
#include "tz.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

static const char WRITE[] = "cannot save events to";

/* Iterating a COUNT rule beyond this is not worth it for a purge decision:
 * such an event is simply kept. The config validator bounds rules anyway. */

/* The instant an end datetime stands for: an all-day end is the INCLUSIVE
 * last day, so the event is over at the next local midnight. */
static bool end_instant(const ag_datetime *end, const char *tzid, int64_t *out)
{
    ag_datetime e = *end;
    if (e.is_date) {
        ag_datetime_add_days(&e, 1);
    }
    bool ok;
    *out = ag_tz_to_utc(&e, tzid, &ok);
    return ok;
}

/* Upper bound of the last occurrence's start from UNTIL (a date UNTIL
 * admits an occurrence anywhere on that day). Exceptions are ignored: the
 * bound only has to be late enough, never early. */
static bool until_instant(icaltimetype until, const char *tzid, int64_t *out)
{
    if (icaltime_is_utc(until)) {
        *out = (int64_t)icaltime_as_timet(until);
        return true;
    }
    ag_datetime u = ag_tz_model_local(until);
    return end_instant(&u, tzid, out);
}

/* Start of the last of COUNT occurrences, iterated in local wall-clock time
 * as the feed's clients do. */
static bool last_counted_start(struct icalrecurrencetype r, const ag_event *e, int64_t *out)
{
    ag_recur w;
    if (ag_recur_begin(&w, r, ag_tz_ical_local(&e->start), AG_RECUR_MAX_INSTANCES) < 0)
        return false;
    icaltimetype last = icaltime_null_time(), t;
    while (ag_recur_next(&w, &t))
        last = t;
    bool capped = w.capped;
    ag_recur_end(&w);
    if (capped || icaltime_is_null_time(last))
        return false;
    ag_datetime d = ag_tz_model_local(last);
    d.is_date = e->start.is_date;
    bool ok;
    *out = ag_tz_to_utc(&d, e->tzid, &ok);
    return ok;
}

/* When e's last occurrence ends (Unix seconds); false when that cannot be
 * known (unknown zone, unbounded or unreadable rule): such rows are kept. */
static bool last_end(const ag_event *e, int64_t *out)
{
    int64_t start, end;
    bool ok;
    start = ag_tz_to_utc(&e->start, e->tzid, &ok);
    if (!ok || !end_instant(&e->end, e->tzid, &end))
        return false;
    if (!e->rrule) {
        *out = end;
        return true;
    }
    struct icalrecurrencetype r = icalrecurrencetype_from_string(e->rrule);
    int64_t last_start;
    if (r.freq == ICAL_NO_RECURRENCE)
        return false;
    if (!icaltime_is_null_time(r.until)) {
        if (!until_instant(r.until, e->tzid, &last_start))
            return false;
    } else if (r.count <= 0 || !last_counted_start(r, e, &last_start)) {
        return false;
    }
    *out = last_start + (end - start);
    return true;
}

/* A removed row is kept for `retention` after both its last occurrence and
 * its removal, so that subscribers see the CANCELLED for at least that long
 * even when an admin deletes a file of long-past events. An agenda item's
 * row goes by its event's last occurrence. */
bool ag_store_removed_due(const ag_event *e, int64_t removed_at, int64_t now, int64_t retention)
{
    int64_t end;
    if (removed_at == 0 || !last_end(e, &end))
        return false;
    int64_t since = end > removed_at ? end : removed_at;
    return now - since > (retention > 0 ? retention : 0);
}

static bool purgeable(const ag_stored_event *se, int64_t now, int64_t retention)
{
    return ag_store_removed_due(&se->ev, se->removed_at, now, retention);
}

/* A live event's removed items go when a reconcile rewrites its agenda,
 * which a reconcile does when one of them is due. */
static bool slot_purge_due(const ag_stored_event *se, int64_t now, int64_t retention)
{
    for (size_t k = 0; se->removed_at == 0 && k < se->n_removed_slots; k++)
        if (ag_store_removed_due(&se->ev, se->removed_slots[k].state.removed_at, now, retention))
            return true;
    return false;
}

bool ag_store_purge_due(const ag_stored_event *rows, size_t n, int64_t now, int64_t retention)
{
    for (size_t i = 0; i < n; i++)
        if (purgeable(&rows[i], now, retention) || slot_purge_due(&rows[i], now, retention))
            return true;
    return false;
}

static int cmp_uid(const void *a, const void *b)
{
    const ag_event *x = *(const ag_event *const *)a, *y = *(const ag_event *const *)b;
    return strcmp(x->uid, y->uid);
}

/* Config events by uid, whatever order the caller gave; a duplicate or a
 * missing uid would make one event overwrite another, so it is refused.
 * NULL with *rc set on failure. */
static const ag_event **sorted_config(ag_store *st, const ag_config *cfg, int *rc, char **err)
{
    const ag_event **v = calloc(cfg->n_events ? cfg->n_events : 1, sizeof *v);
    if (!v) {
        *rc = ag_store_failf(st, err, AG_ENOMEM, WRITE, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_events; i++) {
        if (!cfg->events[i].uid) {
            free(v);
            *rc = ag_store_failf(st, err, AG_EINVAL, WRITE, "config event #%zu has no uid", i + 1);
            return NULL;
        }
        v[i] = &cfg->events[i];
    }
    qsort(v, cfg->n_events, sizeof *v, cmp_uid);
    for (size_t i = 1; i < cfg->n_events; i++) {
        if (strcmp(v[i - 1]->uid, v[i]->uid) == 0) {
            *rc = ag_store_failf(st, err, AG_EINVAL, WRITE, "config defines event %s twice",
                                 v[i]->uid);
            free(v);
            return NULL;
        }
    }
    return v;
}

static ag_stored_event *find_stored(ag_stored_event *evs, size_t n, const char *uid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(evs[mid].ev.uid, uid);
        if (c == 0)
            return &evs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The state of one reconcile run: the stored rows as they were when the
 * transaction began, and which of them config still defines. */
typedef struct {
    ag_store *st;
    int64_t now;
    int64_t retention;
    ag_stored_event *stored;
    size_t n_stored;
    bool *in_config; /* parallel to stored */
    ag_reconcile_stats stats;
} run_state;

static int write_event(run_state *rs, const ag_stored_event *se, const ag_event *e,
                       const ag_slot_plan *plan, char **err)
{
    if (!se) {
        rs->stats.added++;
        return ag_store_insert_event(rs->st, e, plan->last_number, rs->now, err);
    }
    if (se->removed_at != 0) {
        rs->stats.restored++;
        return ag_store_replace_event(rs->st, e, rs->now, err);
    }
    /* Untouched, not even rewritten: feeds stay byte-identical. The
     * stored-only flags are written apart, moving no SEQUENCE. */
    if (ag_event_equal(&se->ev, e)) {
        rs->stats.unchanged++;
        if (ag_event_flags_equal(&se->ev, e))
            return 0;
        rs->stats.flagged++;
        return ag_store_write_event_flags(rs->st, e, err);
    }
    rs->stats.changed++;
    return ag_store_replace_event(rs->st, e, rs->now, err);
}

/* The event's agenda items, rewritten only when one of them changed. */
static int write_slots(run_state *rs, const ag_stored_event *se, const ag_event *e,
                       const ag_slot_plan *plan, char **err)
{
    if (plan->written == 0)
        return 0;
    rs->stats.slots_written += plan->written;
    int rc = ag_store_write_slots(rs->st, e->uid, plan->rows, plan->n, se != NULL, err);
    if (rc == 0 && se && plan->last_number != se->last_slot_number)
        rc = ag_store_set_slot_number(rs->st, e->uid, plan->last_number, err);
    return rc;
}

static int apply_one(run_state *rs, const ag_event *e, char **err)
{
    ag_stored_event *se = find_stored(rs->stored, rs->n_stored, e->uid);
    if (se)
        rs->in_config[se - rs->stored] = true;
    ag_slot_plan plan;
    if (ag_store_slots_plan(se, e, rs->now, rs->retention, &plan) < 0)
        return ag_store_failf(rs->st, err, AG_ENOMEM, WRITE, "out of memory");
    int rc = write_event(rs, se, e, &plan, err);
    if (rc == 0)
        rc = write_slots(rs, se, e, &plan, err);
    ag_store_slots_plan_free(&plan);
    return rc;
}

static int by_uid(run_state *rs, ag_stmt_id id, const char *uid, int64_t now, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(rs->st, id);
    if (!s || sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        (id == Q_EV_REMOVE && sqlite3_bind_int64(s, 2, now) != SQLITE_OK))
        return ag_store_fail(rs->st, err, WRITE);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : ag_store_fail(rs->st, err, WRITE);
    sqlite3_reset(s);
    return rc;
}

/* Rows config no longer defines: live ones are marked removed, removed ones
 * are deleted once past retention. */
static int sweep(run_state *rs, int64_t retention, char **err)
{
    for (size_t i = 0; i < rs->n_stored; i++) {
        const ag_stored_event *se = &rs->stored[i];
        if (rs->in_config[i])
            continue;
        int rc = 0;
        if (se->removed_at == 0) {
            /* Its live items are cancelled with it: their STATUS changes. */
            rs->stats.removed++;
            rc = by_uid(rs, Q_EV_REMOVE, se->ev.uid, rs->now, err);
            if (rc == 0 && (rc = ag_store_cancel_slots(rs->st, se->ev.uid, rs->now, err)) > 0) {
                rs->stats.slots_written += rc;
                rc = 0;
            }
        } else if (purgeable(se, rs->now, retention)) {
            rs->stats.purged++;
            rc = by_uid(rs, Q_EV_DELETE, se->ev.uid, 0, err);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool changed(const ag_reconcile_stats *s)
{
    return s->added + s->changed + s->removed + s->restored + s->purged + s->slots_written +
               s->flagged >
           0;
}

/* Everything between BEGIN and COMMIT; the caller rolls back on failure. */
static int reconcile_locked(run_state *rs, const ag_config *cfg, const ag_event **sorted,
                            int64_t *generation, char **err)
{
    int rc = ag_store_load_locked(rs->st, &rs->stored, &rs->n_stored, err);
    if (rc < 0)
        return rc;
    rs->in_config = calloc(rs->n_stored ? rs->n_stored : 1, sizeof *rs->in_config);
    if (!rs->in_config)
        return ag_store_failf(rs->st, err, AG_ENOMEM, WRITE, "out of memory");
    for (size_t i = 0; i < cfg->n_events; i++)
        if ((rc = apply_one(rs, sorted[i], err)) < 0)
            return rc;
    if ((rc = sweep(rs, rs->retention, err)) < 0 ||
        (rc = ag_store_save_config_state(rs->st, cfg, err)) < 0)
        return rc;
    if (!changed(&rs->stats))
        return 0;
    /* Read inside the transaction: another writer may have moved it. */
    char *value = NULL;
    if ((rc = ag_store_meta_get(rs->st, "generation", &value, err)) < 0)
        return rc;
    *generation = (value ? strtoll(value, NULL, 10) : 0) + 1;
    free(value);
    return ag_store_write_generation(rs->st, *generation, err);
}

/* On success, *loaded (when given) gets the rows read at the start when
 * nothing changed: they are the store as it stands, and reading them again
 * cost as much as reconciling 10,000 events. */
static int reconcile(ag_store *st, const ag_config *cfg, int64_t now, ag_reconcile_stats *stats,
                     ag_stored_event **loaded, size_t *n_loaded, char **err)
{
    if (err)
        *err = NULL;
    if (stats)
        memset(stats, 0, sizeof *stats);
    int rc = 0;
    const ag_event **sorted = sorted_config(st, cfg, &rc, err);
    if (!sorted)
        return rc;
    run_state rs = {.st = st, .now = now, .retention = cfg->settings.retention};
    int64_t generation = st->generation;
    if (ag_store_exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        rc = ag_store_fail(st, err, WRITE);
    else if ((rc = reconcile_locked(&rs, cfg, sorted, &generation, err)) < 0)
        ag_store_rollback(st);
    else if (ag_store_exec(st, "COMMIT") != SQLITE_OK) {
        rc = ag_store_fail(st, err, WRITE);
        ag_store_rollback(st);
    } else
        rc = 0;
    if (rc == 0) {
        st->generation = generation;
        if (stats)
            *stats = rs.stats;
        if (loaded && !changed(&rs.stats)) {
            *loaded = rs.stored;
            *n_loaded = rs.n_stored;
            rs.stored = NULL;
            rs.n_stored = 0;
        }
    }
    ag_store_events_free(rs.stored, rs.n_stored);
    free(rs.in_config);
    free(sorted);
    return rc;
}

int ag_store_reconcile(ag_store *st, const ag_config *cfg, int64_t now, ag_reconcile_stats *stats,
                       char **err)
{
    return reconcile(st, cfg, now, stats, NULL, NULL, err);
}

int ag_store_reconcile_load(ag_store *st, const ag_config *cfg, int64_t now,
                            ag_reconcile_stats *stats, ag_stored_event **out, size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    int rc = reconcile(st, cfg, now, stats, out, n, err);
    if (rc < 0)
        return rc;
    if (*out)
        return 0;
    return ag_store_load_events(st, out, n, err);
}
