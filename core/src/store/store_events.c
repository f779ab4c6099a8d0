/* Events in normalized tables: one row in events, ordered child rows for
 * its lists. Nothing is serialized, so a row reads the same in the sqlite3
 * shell as in the feed. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ag_store_status_names[AG_STATUS_COUNT] = {"confirmed", "tentative", "cancelled"};
static const char *const visibility_names[] = {"public", "members"};
enum { N_VISIBILITY = 2, DT_BUF = 64 };

static const char WRITE[] = "cannot save events to";
static const char READ[] = "cannot load events from";

/* A date keeps the short form so that reading it back restores is_date. */
static void dt_format(const ag_datetime *d, char buf[DT_BUF])
{
    if (d->is_date)
        snprintf(buf, DT_BUF, "%04d-%02d-%02d", d->year, d->month, d->day);
    else
        snprintf(buf, DT_BUF, "%04d-%02d-%02dT%02d:%02d:%02d", d->year, d->month, d->day, d->hour,
                 d->minute, d->second);
}

/* Reads n digits; sscanf was a tenth of loading 10,000 events. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* The two forms dt_format writes, and nothing else. */
static bool dt_parse(const char *s, ag_datetime *d)
{
    size_t len = strlen(s);
    memset(d, 0, sizeof *d);
    if ((len != 10 && len != 19) || !digits(s, 4, &d->year) || s[4] != '-' ||
        !digits(s + 5, 2, &d->month) || s[7] != '-' || !digits(s + 8, 2, &d->day))
        return false;
    if (len == 10) {
        d->is_date = true;
        return true;
    }
    return s[10] == 'T' && digits(s + 11, 2, &d->hour) && s[13] == ':' &&
           digits(s + 14, 2, &d->minute) && s[16] == ':' && digits(s + 17, 2, &d->second);
}

/* ---- writing ---- */

static int cmp_stored_uid(const void *key, const void *elem)
{
    return strcmp(key, ((const ag_stored_event *)elem)->ev.uid);
}

const ag_stored_event *ag_store_event_find(const ag_stored_event *evs, size_t n, const char *uid)
{
    return evs && n && uid ? bsearch(uid, evs, n, sizeof *evs, cmp_stored_uid) : NULL;
}

char *ag_store_column_dup(sqlite3_stmt *s, int i, bool *ok)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    char *d = v ? strdup(v) : NULL;
    if (v && !d)
        *ok = false;
    return d;
}

int ag_store_bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

/* Steps a write statement to completion; on failure reports sqlite's
 * message before the reset can clear it. */
static int run(ag_store *st, sqlite3_stmt *s, char **err)
{
    if (sqlite3_step(s) != SQLITE_DONE) {
        int rc = ag_store_fail(st, err, WRITE);
        sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    return 0;
}

/* Parameters ?1..?15 are the content columns, ?16 is now: the insert and
 * update statements share the numbering (the insert's ?17 is the event's
 * last slot number, bound by write_row). */
static int bind_content(sqlite3_stmt *s, const ag_event *e, int64_t now)
{
    char start[DT_BUF], end[DT_BUF];
    dt_format(&e->start, start);
    dt_format(&e->end, end);
    const char *v[] = {e->uid,
                       e->title.ar,
                       e->title.fr,
                       e->description.ar,
                       e->description.fr,
                       e->location.ar,
                       e->location.fr,
                       start,
                       end,
                       e->tzid,
                       e->host,
                       ag_store_status_names[e->status],
                       visibility_names[e->visibility],
                       e->rrule,
                       e->online_url};
    int rc = SQLITE_OK;
    for (size_t i = 0; i < sizeof v / sizeof v[0] && rc == SQLITE_OK; i++)
        rc = ag_store_bind_opt_text(s, (int)i + 1, v[i]);
    return rc == SQLITE_OK ? sqlite3_bind_int64(s, 16, now) : rc;
}

static int check_enums(ag_store *st, const ag_event *e, char **err)
{
    if ((unsigned)e->status >= AG_STATUS_COUNT)
        return ag_store_failf(st, err, AG_EINVAL, WRITE, "event %s has an invalid status (%d)",
                              e->uid ? e->uid : "(no uid)", (int)e->status);
    if ((unsigned)e->visibility >= N_VISIBILITY)
        return ag_store_failf(st, err, AG_EINVAL, WRITE, "event %s has an invalid visibility (%d)",
                              e->uid ? e->uid : "(no uid)", (int)e->visibility);
    return 0;
}

/* Binds ?1 uid and ?2 pos, the key of every child row. */
static sqlite3_stmt *child_stmt(ag_store *st, ag_stmt_id id, const char *uid, size_t pos)
{
    sqlite3_stmt *s = ag_store_stmt(st, id);
    if (!s || ag_store_bind_opt_text(s, 1, uid) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, (sqlite3_int64)pos) != SQLITE_OK)
        return NULL;
    return s;
}

static int insert_texts(ag_store *st, ag_stmt_id id, const char *uid, char *const *v, size_t n,
                        char **err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s = child_stmt(st, id, uid, i);
        if (!s || ag_store_bind_opt_text(s, 3, v[i]) != SQLITE_OK)
            return ag_store_fail(st, err, WRITE);
        int rc = run(st, s, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int insert_exdates(ag_store *st, const ag_event *e, char **err)
{
    for (size_t i = 0; i < e->n_exdates; i++) {
        char at[DT_BUF];
        dt_format(&e->exdates[i], at);
        sqlite3_stmt *s = child_stmt(st, Q_INS_EXDATE, e->uid, i);
        if (!s || ag_store_bind_opt_text(s, 3, at) != SQLITE_OK)
            return ag_store_fail(st, err, WRITE);
        int rc = run(st, s, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int insert_reminders(ag_store *st, const ag_event *e, char **err)
{
    for (size_t i = 0; i < e->n_reminders; i++) {
        sqlite3_stmt *s = child_stmt(st, Q_INS_REMINDER, e->uid, i);
        if (!s || sqlite3_bind_int64(s, 3, e->reminders[i]) != SQLITE_OK)
            return ag_store_fail(st, err, WRITE);
        int rc = run(st, s, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Parameters ?3..?15 of Q_INS_SLOT: the item's content, then its state. */
static int bind_slot(sqlite3_stmt *s, const ag_slot *sl, const ag_slot_state *state)
{
    char start[DT_BUF], end[DT_BUF];
    dt_format(&sl->start, start);
    dt_format(&sl->end, end);
    /* An untimed slot's times mean nothing (equality ignores them). */
    const char *v[] = {sl->timed ? start : NULL,
                       sl->timed ? end : NULL,
                       sl->title.ar,
                       sl->title.fr,
                       sl->kind,
                       sl->axis,
                       state->uid,
                       sl->id};
    int rc = sqlite3_bind_int(s, 3, sl->timed ? 1 : 0);
    for (size_t i = 0; i < sizeof v / sizeof v[0] && rc == SQLITE_OK; i++)
        rc = ag_store_bind_opt_text(s, (int)i + 4, v[i]);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 12, state->sequence);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 13, state->created);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 14, state->last_modified);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 15, state->removed_at);
    return rc;
}

static int delete_rows(ag_store *st, ag_stmt_id id, const char *uid, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, id);
    if (!s || ag_store_bind_opt_text(s, 1, uid) != SQLITE_OK)
        return ag_store_fail(st, err, WRITE);
    return run(st, s, err);
}

int ag_store_write_slots(ag_store *st, const char *uid, const ag_slot_row *rows, size_t n,
                         bool replace, char **err)
{
    int rc = replace ? delete_rows(st, Q_DEL_SLOTS, uid, err) : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_stmt *s = child_stmt(st, Q_INS_SLOT, uid, i);
        if (!s || bind_slot(s, rows[i].slot, rows[i].state) != SQLITE_OK)
            return ag_store_fail(st, err, WRITE);
        rc = run(st, s, err);
    }
    return rc;
}

int ag_store_set_slot_number(ag_store *st, const char *uid, int last_number, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, Q_EV_SLOT_NUMBER);
    if (!s || ag_store_bind_opt_text(s, 1, uid) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, last_number) != SQLITE_OK)
        return ag_store_fail(st, err, WRITE);
    return run(st, s, err);
}

int ag_store_cancel_slots(ag_store *st, const char *uid, int64_t now, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, Q_CANCEL_SLOTS);
    if (!s || ag_store_bind_opt_text(s, 1, uid) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, now) != SQLITE_OK)
        return ag_store_fail(st, err, WRITE);
    int rc = run(st, s, err);
    return rc < 0 ? rc : sqlite3_changes(st->db);
}

static int insert_documents(ag_store *st, const ag_event *e, char **err)
{
    for (size_t i = 0; i < e->n_documents; i++) {
        const ag_document *d = &e->documents[i];
        if ((unsigned)d->kind >= AG_DOC_KIND_COUNT)
            return ag_store_failf(st, err, AG_EINVAL, WRITE,
                                  "event %s has a document of an invalid kind (%d)", e->uid,
                                  (int)d->kind);
        char published[DT_BUF];
        dt_format(&d->published, published);
        const char *v[] = {d->title.ar, d->title.fr, ag_document_kind_names[d->kind],
                           published,   d->url,      d->file};
        sqlite3_stmt *s = child_stmt(st, Q_INS_DOCUMENT, e->uid, i);
        int brc = s ? SQLITE_OK : SQLITE_ERROR;
        for (size_t k = 0; k < sizeof v / sizeof v[0] && brc == SQLITE_OK; k++)
            brc = ag_store_bind_opt_text(s, (int)k + 3, v[k]);
        if (brc != SQLITE_OK)
            return ag_store_fail(st, err, WRITE);
        int rc = run(st, s, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ag_store_write_event_flags(ag_store *st, const ag_event *e, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, Q_EV_FLAGS);
    if (!s || ag_store_bind_opt_text(s, 1, e->uid) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, e->invitations) != SQLITE_OK ||
        sqlite3_bind_int(s, 3, e->publish_attendance) != SQLITE_OK)
        return ag_store_fail(st, err, WRITE);
    return run(st, s, err);
}

static int insert_children(ag_store *st, const ag_event *e, char **err)
{
    int rc;
    if ((rc = insert_texts(st, Q_INS_AUDIENCE, e->uid, e->audience, e->n_audience, err)) < 0 ||
        (rc = insert_texts(st, Q_INS_CATEGORY, e->uid, e->categories, e->n_categories, err)) < 0 ||
        (rc = insert_exdates(st, e, err)) < 0 || (rc = insert_reminders(st, e, err)) < 0 ||
        (rc = insert_documents(st, e, err)) < 0)
        return rc;
    /* Only when set: a row's default is off, and most events ask for neither. */
    if (e->invitations || e->publish_attendance)
        return ag_store_write_event_flags(st, e, err);
    return 0;
}

static int delete_children(ag_store *st, const char *uid, char **err)
{
    static const ag_stmt_id ids[] = {Q_DEL_AUDIENCE, Q_DEL_CATEGORIES, Q_DEL_EXDATES,
                                     Q_DEL_REMINDERS, Q_DEL_DOCUMENTS};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        int rc = delete_rows(st, ids[i], uid, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* last_slot_number: -1 for Q_EV_UPDATE, which leaves it. */
static int write_row(ag_store *st, ag_stmt_id id, const ag_event *e, int64_t now,
                     int last_slot_number, char **err)
{
    int rc = check_enums(st, e, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *s = ag_store_stmt(st, id);
    if (!s || bind_content(s, e, now) != SQLITE_OK ||
        (last_slot_number >= 0 && sqlite3_bind_int(s, 17, last_slot_number) != SQLITE_OK))
        return ag_store_fail(st, err, WRITE);
    return run(st, s, err);
}

int ag_store_insert_event(ag_store *st, const ag_event *e, int last_slot_number, int64_t now,
                          char **err)
{
    int rc = write_row(st, Q_EV_INSERT, e, now, last_slot_number, err);
    return rc < 0 ? rc : insert_children(st, e, err);
}

int ag_store_replace_event(ag_store *st, const ag_event *e, int64_t now, char **err)
{
    int rc = write_row(st, Q_EV_UPDATE, e, now, -1, err);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(st->db) != 1)
        return ag_store_failf(st, err, AG_ESTORE, WRITE, "event %s vanished during the update",
                              e->uid);
    if ((rc = delete_children(st, e->uid, err)) < 0)
        return rc;
    if ((rc = insert_children(st, e, err)) < 0)
        return rc;
    /* insert_children writes the flags only when set. */
    return e->invitations || e->publish_attendance ? 0 : ag_store_write_event_flags(st, e, err);
}

/* ---- reading ---- */

/* A column as a malloc'd string (NULL for SQL NULL); *ok false on OOM. */
static char *col_str(sqlite3_stmt *s, int i, bool *ok)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return NULL;
    const char *t = (const char *)sqlite3_column_text(s, i);
    char *d = t ? strdup(t) : NULL;
    if (!d)
        *ok = false;
    return d;
}

static int col_enum(sqlite3_stmt *s, int i, const char *const *names, int n)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    for (int k = 0; t && k < n; k++)
        if (strcmp(t, names[k]) == 0)
            return k;
    return -1;
}

/* v (of elem-sized items, cap of them) with room for at least n + 1: v
 * itself, or a larger copy; NULL on OOM with v untouched. */
static void *grow(void *v, size_t *cap, size_t n, size_t elem)
{
    if (v && n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(v, ncap * elem);
    if (p)
        *cap = ncap;
    return p;
}

/* Finishes a SELECT loop: reports a step error or OOM, and resets so that
 * the statement does not pin a read snapshot. */
static int end_select(ag_store *st, sqlite3_stmt *s, int rc, bool ok, char **err)
{
    int ret = 0;
    if (rc != SQLITE_DONE)
        ret = ag_store_fail(st, err, READ);
    else if (!ok)
        ret = ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    sqlite3_reset(s);
    return ret;
}

/* Child rows are read table by table, each in one pass ordered by (uid,
 * pos) and merged with the events (ordered by uid, the same BINARY order as
 * strcmp's): five queries instead of five per event, which took most of a
 * restart's loading. An adder appends one row (column 0 the uid) to its
 * event; *cap is the capacity of that event's list so far. */
typedef int (*child_adder)(ag_store *st, sqlite3_stmt *s, ag_event *e, size_t *cap, char **err);

static int add_text(char ***v, size_t *n, size_t *cap, sqlite3_stmt *s, bool *ok)
{
    char **g = grow(*v, cap, *n, sizeof **v);
    if (!g)
        return *ok = false, AG_ENOMEM;
    *v = g;
    g[*n] = col_str(s, 1, ok);
    if (!*ok)
        return AG_ENOMEM;
    (*n)++;
    return 0;
}

static int add_audience(ag_store *st, sqlite3_stmt *s, ag_event *e, size_t *cap, char **err)
{
    bool ok = true;
    if (add_text(&e->audience, &e->n_audience, cap, s, &ok) == 0)
        return 0;
    return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
}

static int add_category(ag_store *st, sqlite3_stmt *s, ag_event *e, size_t *cap, char **err)
{
    bool ok = true;
    if (add_text(&e->categories, &e->n_categories, cap, s, &ok) == 0)
        return 0;
    return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
}

static int add_exdate(ag_store *st, sqlite3_stmt *s, ag_event *e, size_t *cap, char **err)
{
    ag_datetime *v = grow(e->exdates, cap, e->n_exdates, sizeof *v);
    if (!v)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    e->exdates = v;
    const char *t = (const char *)sqlite3_column_text(s, 1);
    if (!t || !dt_parse(t, &e->exdates[e->n_exdates]))
        return ag_store_failf(st, err, AG_ECORRUPT, READ, "event %s has a malformed exdate \"%s\"",
                              e->uid, t ? t : "");
    e->n_exdates++;
    return 0;
}

static int add_reminder(ag_store *st, sqlite3_stmt *s, ag_event *e, size_t *cap, char **err)
{
    int64_t *v = grow(e->reminders, cap, e->n_reminders, sizeof *v);
    if (!v)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    e->reminders = v;
    e->reminders[e->n_reminders++] = sqlite3_column_int64(s, 1);
    return 0;
}

/* A Q_EV_DOCUMENTS row: uid, title_ar, title_fr, kind, published, url, file. */
static int add_document(ag_store *st, sqlite3_stmt *s, ag_event *e, size_t *cap, char **err)
{
    ag_document *v = grow(e->documents, cap, e->n_documents, sizeof *v);
    if (!v)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    e->documents = v;
    ag_document *d = &v[e->n_documents++];
    memset(d, 0, sizeof *d);
    bool ok = true;
    d->title = (ag_text){col_str(s, 1, &ok), col_str(s, 2, &ok)};
    d->url = col_str(s, 5, &ok);
    d->file = col_str(s, 6, &ok);
    if (!ok)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    int kind = col_enum(s, 3, ag_document_kind_names, AG_DOC_KIND_COUNT);
    const char *published = (const char *)sqlite3_column_text(s, 4);
    if (kind < 0 || !published || !dt_parse(published, &d->published) || !d->published.is_date ||
        !d->url == !d->file)
        return ag_store_failf(st, err, AG_ECORRUPT, READ, "event %s has a malformed document",
                              e->uid);
    d->kind = (ag_document_kind)kind;
    return 0;
}

/* Fills one slot from a Q_EV_SLOTS row; false on OOM or a bad time. */
static bool read_slot(sqlite3_stmt *s, ag_slot *sl, bool *ok)
{
    memset(sl, 0, sizeof *sl);
    sl->timed = sqlite3_column_int(s, 1) != 0;
    sl->title.ar = col_str(s, 4, ok);
    sl->title.fr = col_str(s, 5, ok);
    sl->kind = col_str(s, 6, ok);
    sl->axis = col_str(s, 7, ok);
    sl->id = col_str(s, 9, ok);
    if (!sl->timed)
        return *ok;
    const char *a = (const char *)sqlite3_column_text(s, 2);
    const char *b = (const char *)sqlite3_column_text(s, 3);
    return *ok && a && b && dt_parse(a, &sl->start) && dt_parse(b, &sl->end);
}

static void read_slot_state(sqlite3_stmt *s, ag_slot_state *state, bool *ok)
{
    state->uid = col_str(s, 8, ok);
    state->sequence = sqlite3_column_int(s, 10);
    state->created = sqlite3_column_int64(s, 11);
    state->last_modified = sqlite3_column_int64(s, 12);
    state->removed_at = sqlite3_column_int64(s, 13);
}

/* Appends a Q_EV_SLOTS row to se: to its agenda (ev.slots and slot_states,
 * cap[0] and cap[1] of them) while live, else to its removed items (cap[2]). */
static int add_slot(ag_store *st, sqlite3_stmt *s, ag_stored_event *se, size_t cap[3], char **err)
{
    ag_event *e = &se->ev;
    ag_slot *sl;
    ag_slot_state *state;
    if (sqlite3_column_int64(s, 13) == 0) {
        ag_slot *v = grow(e->slots, &cap[0], e->n_slots, sizeof *v);
        if (v)
            e->slots = v;
        ag_slot_state *w = v ? grow(se->slot_states, &cap[1], e->n_slots, sizeof *w) : NULL;
        if (!v || !w)
            return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
        se->slot_states = w;
        sl = &e->slots[e->n_slots];
        state = &se->slot_states[e->n_slots++];
    } else {
        ag_removed_slot *v = grow(se->removed_slots, &cap[2], se->n_removed_slots, sizeof *v);
        if (!v)
            return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
        se->removed_slots = v;
        sl = &v[se->n_removed_slots].slot;
        state = &v[se->n_removed_slots++].state;
    }
    /* Counted before the checks so that freeing the event frees them. */
    memset(state, 0, sizeof *state);
    bool ok = true;
    bool good = read_slot(s, sl, &ok);
    read_slot_state(s, state, &ok);
    if (!ok)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    if (!good || !state->uid)
        return ag_store_failf(st, err, AG_ECORRUPT, READ, "event %s has a malformed slot", e->uid);
    return 0;
}

/* The event a child row belongs to, moving *i forward; NULL for a row of
 * no event (the schema's cascade leaves none). */
static ag_event *owner(ag_stored_event *evs, size_t n, size_t *i, const char *uid)
{
    while (*i < n && strcmp(evs[*i].ev.uid, uid) < 0)
        (*i)++;
    return *i < n && strcmp(evs[*i].ev.uid, uid) == 0 ? &evs[*i].ev : NULL;
}

static int load_child_table(ag_store *st, ag_stmt_id id, ag_stored_event *evs, size_t n,
                            child_adder add, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, id);
    if (!s)
        return ag_store_fail(st, err, READ);
    size_t i = 0, cap = 0;
    ag_event *last = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *uid = (const char *)sqlite3_column_text(s, 0);
        ag_event *e = uid ? owner(evs, n, &i, uid) : NULL;
        if (!e)
            continue;
        if (e != last)
            cap = 0;
        last = e;
        int fail = add(st, s, e, &cap, err);
        if (fail < 0) {
            sqlite3_reset(s);
            return fail;
        }
    }
    return end_select(st, s, rc, true, err);
}

/* The same walk for the agenda items, which go to two lists. */
static int load_slots(ag_store *st, ag_stored_event *evs, size_t n, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, Q_EV_SLOTS);
    if (!s)
        return ag_store_fail(st, err, READ);
    size_t i = 0, cap[3] = {0};
    ag_event *last = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *uid = (const char *)sqlite3_column_text(s, 0);
        ag_event *e = uid ? owner(evs, n, &i, uid) : NULL;
        if (!e)
            continue;
        if (e != last)
            cap[0] = cap[1] = cap[2] = 0;
        last = e;
        int fail = add_slot(st, s, &evs[i], cap, err);
        if (fail < 0) {
            sqlite3_reset(s);
            return fail;
        }
    }
    return end_select(st, s, rc, true, err);
}

static int load_children(ag_store *st, ag_stored_event *evs, size_t n, char **err)
{
    int rc;
    if ((rc = load_child_table(st, Q_EV_AUDIENCE, evs, n, add_audience, err)) < 0 ||
        (rc = load_child_table(st, Q_EV_CATEGORIES, evs, n, add_category, err)) < 0 ||
        (rc = load_child_table(st, Q_EV_EXDATES, evs, n, add_exdate, err)) < 0 ||
        (rc = load_child_table(st, Q_EV_REMINDERS, evs, n, add_reminder, err)) < 0 ||
        (rc = load_child_table(st, Q_EV_DOCUMENTS, evs, n, add_document, err)) < 0 ||
        (rc = load_slots(st, evs, n, err)) < 0)
        return rc;
    return 0;
}

/* Fills se from a Q_EV_ALL row (columns in EV_COLS order, then sequence,
 * created, last_modified, removed_at). */
static int read_event_row(ag_store *st, sqlite3_stmt *s, ag_stored_event *se, char **err)
{
    bool ok = true;
    ag_event *e = &se->ev;
    e->uid = col_str(s, 0, &ok);
    e->title = (ag_text){col_str(s, 1, &ok), col_str(s, 2, &ok)};
    e->description = (ag_text){col_str(s, 3, &ok), col_str(s, 4, &ok)};
    e->location = (ag_text){col_str(s, 5, &ok), col_str(s, 6, &ok)};
    e->tzid = col_str(s, 9, &ok);
    e->host = col_str(s, 10, &ok);
    e->rrule = col_str(s, 13, &ok);
    e->online_url = col_str(s, 14, &ok);
    if (!ok || !e->uid)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    const char *start = (const char *)sqlite3_column_text(s, 7);
    const char *end = (const char *)sqlite3_column_text(s, 8);
    int status = col_enum(s, 11, ag_store_status_names, AG_STATUS_COUNT);
    int vis = col_enum(s, 12, visibility_names, N_VISIBILITY);
    if (!start || !end || !dt_parse(start, &e->start) || !dt_parse(end, &e->end) || status < 0 ||
        vis < 0)
        return ag_store_failf(st, err, AG_ECORRUPT, READ, "event %s has a malformed row", e->uid);
    e->status = (ag_status)status;
    e->visibility = (ag_visibility)vis;
    se->sequence = sqlite3_column_int(s, 15);
    se->created = sqlite3_column_int64(s, 16);
    se->last_modified = sqlite3_column_int64(s, 17);
    se->removed_at = sqlite3_column_int64(s, 18);
    se->last_slot_number = sqlite3_column_int(s, 19);
    e->invitations = sqlite3_column_int(s, 20) != 0;
    e->publish_attendance = sqlite3_column_int(s, 21) != 0;
    return 0;
}

int ag_store_load_locked(ag_store *st, ag_stored_event **out, size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = ag_store_stmt(st, Q_EV_ALL);
    if (!s)
        return ag_store_fail(st, err, READ);
    ag_stored_event *evs = NULL;
    size_t count = 0, cap = 0;
    int rc, ret;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ag_stored_event *v = grow(evs, &cap, count, sizeof *v);
        if (!v) {
            ret = end_select(st, s, SQLITE_DONE, false, err);
            goto fail;
        }
        evs = v;
        ag_stored_event *se = &evs[count++];
        memset(se, 0, sizeof *se);
        if ((ret = read_event_row(st, s, se, err)) < 0) {
            sqlite3_reset(s);
            goto fail;
        }
    }
    if ((ret = end_select(st, s, rc, true, err)) < 0 ||
        (ret = load_children(st, evs, count, err)) < 0)
        goto fail;
    *out = evs;
    *n = count;
    return 0;
fail:
    ag_store_events_free(evs, count);
    return ret;
}

/* One read transaction, so that the events and their child rows come from
 * the same snapshot even while another connection writes. */
int ag_store_load_events(ag_store *st, ag_stored_event **out, size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    if (err)
        *err = NULL;
    if (ag_store_exec(st, "BEGIN") != SQLITE_OK)
        return ag_store_fail(st, err, READ);
    int rc = ag_store_load_locked(st, out, n, err);
    if (rc == 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK) {
        rc = ag_store_fail(st, err, READ);
        ag_store_events_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    ag_store_rollback(st);
    return rc;
}

void ag_store_events_free(ag_stored_event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ag_stored_event *se = &evs[i];
        for (size_t k = 0; se->slot_states && k < se->ev.n_slots; k++)
            free(se->slot_states[k].uid);
        free(se->slot_states);
        for (size_t k = 0; k < se->n_removed_slots; k++) {
            ag_slot_free(&se->removed_slots[k].slot);
            free(se->removed_slots[k].state.uid);
        }
        free(se->removed_slots);
        ag_event_free(&se->ev);
        free(se->imported_from);
        ag_private_free(&se->priv);
    }
    free(evs);
}
