#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "raw_sql.h"

#include "error.h"
#include "store.h"
#include "tz.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Instants used as "now": all after the test events, which are in 2023. */
#define T1 INT64_C(1704067200) /* 2024-01-01T00:00Z */
#define T2 (T1 + 3600)
#define T3 (T1 + 7200)
#define DAY INT64_C(86400)
#define RETENTION (30 * DAY)

/* ---- building config values by hand (config.c is not part of this test) ---- */

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static ag_text text(const char *ar, const char *fr)
{
    return (ag_text){sdup(ar), sdup(fr)};
}

static ag_datetime at(int y, int mo, int d, int h, int mi)
{
    return (ag_datetime){y, mo, d, h, mi, 0, false};
}

static ag_datetime date(int y, int mo, int d)
{
    return (ag_datetime){y, mo, d, 0, 0, 0, true};
}

static char **strv(size_t n, const char *const *v)
{
    char **out = calloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = sdup(v[i]);
    return out;
}

static void workshop(ag_event *e)
{
    static const char *const audience[] = {"network", "region:fes-meknes", "kind:commune"};
    static const char *const cats[] = {"access-to-information", "citizen-participation"};
    memset(e, 0, sizeof *e);
    e->uid = sdup("2023-03-07-fes-meknes-cocreation-workshop");
    e->title = text("ورشة للإبداع المشترك حول الانفتاح", "Atelier de co-création sur l'ouverture");
    e->description = text("لقاء جهوي لشبكة الجماعات الترابية المنفتحة", NULL);
    e->location = text("مقر جهة فاس مكناس", "Siège de la Région Fès-Meknès");
    e->start = at(2023, 3, 7, 9, 30);
    e->end = at(2023, 3, 7, 13, 30);
    e->tzid = sdup("Africa/Casablanca");
    e->host = sdup("fes-meknes");
    e->audience = strv(3, audience);
    e->n_audience = 3;
    e->categories = strv(2, cats);
    e->n_categories = 2;
    e->reminders = calloc(3, sizeof *e->reminders);
    e->reminders[0] = 7 * DAY;
    e->reminders[1] = DAY;
    e->reminders[2] = 7200;
    e->n_reminders = 3;
    e->slots = calloc(3, sizeof *e->slots);
    e->n_slots = 3;
    e->slots[0] = (ag_slot){true,
                            at(2023, 3, 7, 9, 30),
                            at(2023, 3, 7, 10, 0),
                            text("استقبال المشاركين", "Accueil des participants"),
                            sdup("reception"),
                            NULL,
                            {0},
                            NULL};
    e->slots[1] =
        (ag_slot){false, {0}, {0}, text("كلمات افتتاحية", NULL), sdup("opening"), NULL, {0}, NULL};
    e->slots[2] = (ag_slot){true,
                            at(2023, 3, 7, 10, 0),
                            at(2023, 3, 7, 12, 0),
                            text("ورشات موضوعاتية", "Ateliers thématiques"),
                            sdup("workshop"),
                            sdup("citizen-participation"),
                            {0},
                            NULL};
}

static void forum(ag_event *e)
{
    static const char *const audience[] = {"network"};
    memset(e, 0, sizeof *e);
    e->uid = sdup("2023-05-forum");
    /* Tifinagh and characters that iCalendar escapes must survive as-is. */
    e->title = text("ⴰⵎⵓⵔⵙ ⵏ ⵓⵏⵎⵓⴳⴳⴰⵔ", "Forum; annuel, des membres\\");
    e->description = text(NULL, "Deux jours,\nà Rabat");
    e->start = date(2023, 5, 10);
    e->end = date(2023, 5, 11);
    e->tzid = sdup("Africa/Casablanca");
    e->host = sdup("rabat");
    e->audience = strv(1, audience);
    e->n_audience = 1;
    e->status = AG_STATUS_TENTATIVE;
    e->visibility = AG_VIS_MEMBERS;
}

static void training(ag_event *e)
{
    static const char *const audience[] = {"kind:region"};
    memset(e, 0, sizeof *e);
    e->uid = sdup("2023-training-monthly");
    e->title = text(NULL, "Formation à distance : données ouvertes");
    e->start = at(2023, 4, 4, 10, 0);
    e->end = at(2023, 4, 4, 12, 0);
    e->tzid = sdup("Africa/Casablanca");
    e->host = sdup("fes-meknes");
    e->audience = strv(1, audience);
    e->n_audience = 1;
    e->rrule = sdup("FREQ=MONTHLY;BYDAY=1TU;COUNT=3");
    e->exdates = calloc(1, sizeof *e->exdates);
    e->exdates[0] = at(2023, 5, 2, 10, 0);
    e->n_exdates = 1;
    e->status = AG_STATUS_CONFIRMED;
    e->visibility = AG_VIS_MEMBERS;
}

static void member(ag_member *m, const char *id, ag_member_kind kind, const char *ar,
                   const char *fr)
{
    memset(m, 0, sizeof *m);
    m->id = sdup(id);
    m->kind = kind;
    m->name = text(ar, fr);
    m->region = kind == AG_MEMBER_REGION ? NULL : sdup("fes-meknes");
}

enum { N_EVENTS = 3, CAP_EVENTS = 8 };

/* Events sorted by uid, as the config loader gives them; room for extras. */
static ag_config *make_config(void)
{
    ag_config *cfg = calloc(1, sizeof *cfg);
    cfg->settings.retention = RETENTION;
    cfg->members = calloc(2, sizeof *cfg->members);
    member(&cfg->members[0], "fes-meknes", AG_MEMBER_REGION, "جهة فاس مكناس", "Région Fès-Meknès");
    member(&cfg->members[1], "fes", AG_MEMBER_COMMUNE, "جماعة فاس", "Commune de Fès");
    cfg->n_members = 2;
    cfg->events = calloc(CAP_EVENTS, sizeof *cfg->events);
    workshop(&cfg->events[0]);
    forum(&cfg->events[1]);
    training(&cfg->events[2]);
    cfg->n_events = N_EVENTS;
    return cfg;
}

/* Frees every event slot ever filled, including ones hidden by n_events. */
static void free_config(ag_config *cfg)
{
    for (size_t i = 0; i < CAP_EVENTS; i++)
        ag_event_free(&cfg->events[i]);
    free(cfg->events);
    for (size_t i = 0; i < cfg->n_members; i++)
        ag_member_free(&cfg->members[i]);
    free(cfg->members);
    free(cfg);
}

/* ---- fixture: a fresh database in its own directory ---- */

typedef struct {
    char dir[64];
    char path[128];
    ag_store *st;
    ag_config *cfg;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/agendad-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/agendad.db", f->dir);
    char *err = NULL;
    if (ag_store_open(f->path, &f->st, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(err);
        return -1;
    }
    f->cfg = make_config();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    free_config(f->cfg);
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return ag_tz_init();
}

static int group_teardown(void **state)
{
    (void)state;
    ag_tz_shutdown();
    return 0;
}

/* ---- helpers ---- */

static ag_reconcile_stats reconcile_ok(fx *f, int64_t now)
{
    ag_reconcile_stats s;
    char *err = NULL;
    int rc = ag_store_reconcile(f->st, f->cfg, now, &s, &err);
    if (rc != 0)
        fprintf(stderr, "reconcile: %s\n", err);
    assert_int_equal(rc, 0);
    assert_null(err);
    return s;
}

typedef struct {
    ag_stored_event *v;
    size_t n;
} loaded;

static loaded load(ag_store *st)
{
    loaded l = {0};
    char *err = NULL;
    int rc = ag_store_load_events(st, &l.v, &l.n, &err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    assert_int_equal(rc, 0);
    return l;
}

static const ag_stored_event *find(const loaded *l, const char *uid)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].ev.uid, uid) == 0)
            return &l->v[i];
    return NULL;
}

static int64_t watched_version(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Every loaded event equals the config's and carries the expected times. */
static void assert_state(fx *f, const loaded *l, int64_t created, int64_t modified, int sequence)
{
    assert_int_equal(l->n, f->cfg->n_events);
    for (size_t i = 0; i < l->n; i++) {
        assert_true(ag_event_equal(&l->v[i].ev, &f->cfg->events[i]));
        assert_int_equal(l->v[i].sequence, sequence);
        assert_int_equal(l->v[i].created, created);
        assert_int_equal(l->v[i].last_modified, modified);
        assert_int_equal(l->v[i].removed_at, 0);
    }
}

/* ---- tests ---- */

static void fresh_database_is_migrated_and_in_wal_mode(void **state)
{
    fx *f = *state;
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RAW_SQL_SCHEMA_VERSION);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"),
                     1);
    assert_int_equal(raw_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(ag_store_generation(f->st), 0);
    size_t live = 9, removed = 9;
    assert_int_equal(ag_store_event_count(f->st, &live, &removed, NULL), 0);
    assert_int_equal(live, 0);
    assert_int_equal(removed, 0);
}

static void new_events_get_sequence_zero_and_now(void **state)
{
    fx *f = *state;
    ag_reconcile_stats s = reconcile_ok(f, T1);
    assert_int_equal(s.added, 3);
    assert_int_equal(s.changed + s.unchanged + s.removed + s.restored + s.purged, 0);
    loaded l = load(f->st);
    assert_state(f, &l, T1, T1, 0);
    ag_store_events_free(l.v, l.n);
    assert_int_equal(ag_store_generation(f->st), 1);
}

static void same_config_later_changes_nothing(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    /* data_version moves when another connection commits a change: it must
     * stay put, since not even an identical rewrite may happen. */
    sqlite3 *watch = NULL;
    assert_int_equal(sqlite3_open(f->path, &watch), SQLITE_OK);
    int64_t before = watched_version(watch);
    ag_reconcile_stats s = reconcile_ok(f, T2);
    assert_int_equal(watched_version(watch), before);
    sqlite3_close(watch);
    assert_int_equal(s.unchanged, 3);
    assert_int_equal(s.added + s.changed + s.removed + s.restored + s.purged, 0);
    loaded l = load(f->st);
    assert_state(f, &l, T1, T1, 0);
    ag_store_events_free(l.v, l.n);
    assert_int_equal(ag_store_generation(f->st), 1);
}

static void slot_title_change_bumps_only_that_event(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    ag_slot *slot = &f->cfg->events[0].slots[1];
    free(slot->title.fr);
    slot->title.fr = sdup("Allocutions d'ouverture");
    ag_reconcile_stats s = reconcile_ok(f, T2);
    assert_int_equal(s.changed, 1);
    assert_int_equal(s.unchanged, 2);
    loaded l = load(f->st);
    const ag_stored_event *w = find(&l, f->cfg->events[0].uid);
    assert_true(ag_event_equal(&w->ev, &f->cfg->events[0]));
    assert_string_equal(w->ev.slots[1].title.fr, "Allocutions d'ouverture");
    assert_int_equal(w->sequence, 1);
    assert_int_equal(w->created, T1);
    assert_int_equal(w->last_modified, T2);
    for (size_t i = 1; i < N_EVENTS; i++) {
        const ag_stored_event *o = find(&l, f->cfg->events[i].uid);
        assert_int_equal(o->sequence, 0);
        assert_int_equal(o->last_modified, T1);
    }
    ag_store_events_free(l.v, l.n);
    assert_int_equal(ag_store_generation(f->st), 2);
}

static void removed_event_is_kept_then_restored(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    const char *uid = f->cfg->events[2].uid;
    f->cfg->n_events = 2;
    ag_reconcile_stats s = reconcile_ok(f, T2);
    assert_int_equal(s.removed, 1);
    assert_int_equal(s.unchanged, 2);
    loaded l = load(f->st);
    assert_int_equal(l.n, 3);
    const ag_stored_event *r = find(&l, uid);
    assert_int_equal(r->removed_at, T2);
    assert_int_equal(r->sequence, 1);
    assert_int_equal(r->last_modified, T2);
    assert_true(ag_event_equal(&r->ev, &f->cfg->events[2])); /* content kept for CANCELLED */
    ag_store_events_free(l.v, l.n);
    size_t live, removed;
    assert_int_equal(ag_store_event_count(f->st, &live, &removed, NULL), 0);
    assert_int_equal(live, 2);
    assert_int_equal(removed, 1);
    /* A second reload without it must not bump it again. */
    s = reconcile_ok(f, T2 + 60);
    assert_int_equal(s.removed + s.purged, 0);

    f->cfg->n_events = 3;
    s = reconcile_ok(f, T3);
    assert_int_equal(s.restored, 1);
    l = load(f->st);
    r = find(&l, uid);
    assert_int_equal(r->removed_at, 0);
    assert_int_equal(r->sequence, 2);
    assert_int_equal(r->created, T1);
    assert_int_equal(r->last_modified, T3);
    ag_store_events_free(l.v, l.n);
    assert_int_equal(ag_store_generation(f->st), 3);
}

static void purge_after_retention(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    f->cfg->n_events = 1; /* the forum and the monthly training go */
    ag_reconcile_stats s = reconcile_ok(f, T2);
    assert_int_equal(s.removed, 2);
    int64_t gen = ag_store_generation(f->st);
    /* Both ended in 2023, but were removed at T2: kept for retention. */
    s = reconcile_ok(f, T2 + RETENTION);
    assert_int_equal(s.purged, 0);
    assert_int_equal(ag_store_generation(f->st), gen);
    s = reconcile_ok(f, T2 + RETENTION + 1);
    assert_int_equal(s.purged, 2);
    assert_int_equal(ag_store_generation(f->st), gen + 1);
    loaded l = load(f->st);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].ev.uid, f->cfg->events[0].uid);
    ag_store_events_free(l.v, l.n);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM event_exdates"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM event_audience"), 3);
}

/* A recurring event's last occurrence, not its first, decides the purge. */
static void recurring_events_purge_after_last_occurrence(void **state)
{
    fx *f = *state;
    ag_event *counted = &f->cfg->events[3], *until = &f->cfg->events[4];
    training(counted);
    free(counted->uid);
    counted->uid = sdup("zz-counted");
    free(counted->rrule);
    counted->rrule = sdup("FREQ=YEARLY;COUNT=10"); /* last: 2032-04-04 */
    training(until);
    free(until->uid);
    until->uid = sdup("zz-until");
    free(until->rrule);
    until->rrule = sdup("FREQ=WEEKLY;UNTIL=20300101T000000Z");
    f->cfg->n_events = 5;
    reconcile_ok(f, T1);
    f->cfg->n_events = 3;
    assert_int_equal(reconcile_ok(f, T2).removed, 2);

    /* Margins of hours: the 2032 offset depends on the tzdata in use. */
    int64_t y2030 = INT64_C(1893456000), y2032_end = INT64_C(1964685600) + 2 * 3600;
    ag_reconcile_stats s = reconcile_ok(f, y2030 + RETENTION - DAY);
    assert_int_equal(s.purged, 0);
    s = reconcile_ok(f, y2030 + RETENTION + 8 * DAY);
    assert_int_equal(s.purged, 1);
    s = reconcile_ok(f, y2032_end + RETENTION - 3 * 3600);
    assert_int_equal(s.purged, 0);
    s = reconcile_ok(f, y2032_end + RETENTION + 3 * 3600);
    assert_int_equal(s.purged, 1);
    size_t live, removed;
    assert_int_equal(ag_store_event_count(f->st, &live, &removed, NULL), 0);
    assert_int_equal(live, 3);
    assert_int_equal(removed, 0);
}

static void close_and_reopen_keeps_everything(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    f->cfg->n_events = 2;
    reconcile_ok(f, T2);
    assert_int_equal(ag_store_meta_set(f->st, "tzdata", "2026f", NULL), 0);
    loaded before = load(f->st);
    int64_t gen = ag_store_generation(f->st);
    ag_store_close(f->st);
    char *err = NULL;
    assert_int_equal(ag_store_open(f->path, &f->st, &err), 0);
    loaded after = load(f->st);
    assert_int_equal(after.n, before.n);
    for (size_t i = 0; i < after.n; i++) {
        assert_true(ag_event_equal(&after.v[i].ev, &before.v[i].ev));
        assert_int_equal(after.v[i].sequence, before.v[i].sequence);
        assert_int_equal(after.v[i].created, before.v[i].created);
        assert_int_equal(after.v[i].last_modified, before.v[i].last_modified);
        assert_int_equal(after.v[i].removed_at, before.v[i].removed_at);
    }
    ag_store_events_free(before.v, before.n);
    ag_store_events_free(after.v, after.n);
    assert_int_equal(ag_store_generation(f->st), gen);
    char *v = NULL;
    assert_int_equal(ag_store_meta_get(f->st, "tzdata", &v, NULL), 0);
    assert_string_equal(v, "2026f");
    free(v);
}

/* An online meeting's link is published content: setting, changing and
 * dropping it each raise SEQUENCE and LAST-MODIFIED of that event only. */
static void online_url_change_raises_sequence(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    const char *const urls[] = {"https://meet.example.org/forum", "https://meet.example.org/other",
                                NULL};
    for (int k = 0; k < 3; k++) {
        ag_event *fo = &f->cfg->events[1];
        free(fo->online_url);
        fo->online_url = urls[k] ? sdup(urls[k]) : NULL;
        ag_reconcile_stats s = reconcile_ok(f, T2 + k);
        assert_int_equal(s.changed, 1);
        assert_int_equal(s.unchanged, 2);
        loaded l = load(f->st);
        const ag_stored_event *got = find(&l, fo->uid);
        assert_true(ag_event_equal(&got->ev, fo));
        if (urls[k])
            assert_string_equal(got->ev.online_url, urls[k]);
        else
            assert_null(got->ev.online_url);
        assert_int_equal(got->sequence, k + 1);
        assert_int_equal(got->last_modified, T2 + k);
        assert_int_equal(find(&l, f->cfg->events[0].uid)->sequence, 0);
        ag_store_events_free(l.v, l.n);
    }
    assert_int_equal(reconcile_ok(f, T2 + 5).unchanged, 3);
}

/* A database of schema 6 (before online_url and the items' own state)
 * opens at today's version with its events whole, and the same config then changes
 * nothing. */
static void schema_6_database_gains_online_url(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    ag_store_close(f->st);
    f->st = NULL;
    raw_exec(f->path,
             RAW_SQL_UNDO_RSVP RAW_SQL_UNDO_INVITATIONS RAW_SQL_UNDO_BUSY RAW_SQL_UNDO_SLOT_IDENTITY
             "ALTER TABLE events DROP COLUMN online_url; PRAGMA user_version = 6;");
    char *err = NULL;
    assert_int_equal(ag_store_open(f->path, &f->st, &err), 0);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RAW_SQL_SCHEMA_VERSION);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events WHERE online_url IS NULL"),
                     N_EVENTS);
    ag_reconcile_stats s = reconcile_ok(f, T2);
    assert_int_equal(s.unchanged, N_EVENTS);
    loaded l = load(f->st);
    assert_state(f, &l, T1, T1, 0);
    ag_store_events_free(l.v, l.n);
}

/* Every field of every kind of event comes back equal, in uid order, with
 * no location (it is not stored). */
static void every_field_round_trips(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    loaded l = load(f->st);
    assert_int_equal(l.n, N_EVENTS);
    for (size_t i = 0; i < l.n; i++) {
        const ag_event *e = &l.v[i].ev;
        assert_true(ag_event_equal(e, &f->cfg->events[i]));
        assert_null(e->loc.file);
        for (size_t k = 0; k < e->n_slots; k++)
            assert_null(e->slots[k].loc.file);
    }
    const ag_event *w = &l.v[0].ev, *fo = &l.v[1].ev, *t = &l.v[2].ev;
    assert_string_equal(w->title.ar, "ورشة للإبداع المشترك حول الانفتاح");
    assert_null(w->description.fr);
    assert_false(w->slots[1].timed);
    assert_null(w->slots[1].title.fr);
    assert_string_equal(w->slots[2].axis, "citizen-participation");
    assert_int_equal(w->reminders[0], 7 * DAY);
    assert_true(fo->start.is_date);
    assert_true(fo->end.is_date);
    assert_int_equal(fo->end.day, 11);
    assert_int_equal(fo->status, AG_STATUS_TENTATIVE);
    assert_int_equal(fo->visibility, AG_VIS_MEMBERS);
    assert_string_equal(fo->description.fr, "Deux jours,\nà Rabat");
    assert_string_equal(t->rrule, "FREQ=MONTHLY;BYDAY=1TU;COUNT=3");
    assert_int_equal(t->n_exdates, 1);
    assert_false(t->exdates[0].is_date);
    assert_int_equal(t->exdates[0].month, 5);
    /* An empty string is not a missing text. */
    ag_store_events_free(l.v, l.n);
    free(f->cfg->events[1].title.ar);
    f->cfg->events[1].title.ar = sdup("");
    assert_int_equal(reconcile_ok(f, T2).changed, 1);
    l = load(f->st);
    assert_non_null(l.v[1].ev.title.ar);
    assert_string_equal(l.v[1].ev.title.ar, "");
    ag_store_events_free(l.v, l.n);
}

/* Checks the store still holds exactly what the reconcile at T1 wrote. */
static void assert_unchanged_since_t1(fx *f, ag_store *st, const ag_config *orig)
{
    loaded l = load(st);
    assert_int_equal(l.n, orig->n_events);
    for (size_t i = 0; i < l.n; i++) {
        assert_true(ag_event_equal(&l.v[i].ev, &orig->events[i]));
        assert_int_equal(l.v[i].sequence, 0);
        assert_int_equal(l.v[i].last_modified, T1);
    }
    ag_store_events_free(l.v, l.n);
    (void)f;
}

static void change_first_slot(ag_config *cfg)
{
    ag_slot *slot = &cfg->events[0].slots[0];
    free(slot->title.ar);
    slot->title.ar = sdup("تسجيل المشاركين");
}

/* Tests run as root, which chmod 0444 does not stop: a read-only open gives
 * the same failure a read-only file gives the daemon. */
static void failed_reconcile_on_readonly_database_changes_nothing(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    ag_store_close(f->st);
    f->st = NULL;
    ag_config *orig = make_config();
    change_first_slot(f->cfg);
    f->cfg->n_events = 2;

    ag_store *ro = NULL;
    char *err = NULL;
    ag_store_options opt = {.readonly = true};
    assert_int_equal(ag_store_open_with(f->path, &opt, &ro, &err), 0);
    ag_reconcile_stats s = {.added = 42};
    assert_int_equal(ag_store_reconcile(ro, f->cfg, T2, &s, &err), AG_ESTORE);
    assert_non_null(err);
    char want[256];
    snprintf(want, sizeof want, "cannot save events to %s: attempt to write a readonly database",
             f->path);
    assert_string_equal(err, want);
    free(err);
    assert_int_equal(s.added, 0);
    assert_int_equal(ag_store_generation(ro), 1);
    assert_unchanged_since_t1(f, ro, orig);
    err = NULL;
    assert_int_equal(ag_store_token_create(ro, "fes", &(char *){NULL}, &err), AG_ESTORE);
    assert_non_null(strstr(err, "readonly"));
    free(err);
    ag_store_close(ro);

    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
    assert_unchanged_since_t1(f, f->st, orig);
    free_config(orig);
}

/* Another connection (a second daemon, a backup tool) holds the write lock
 * longer than the busy timeout. */
static void failed_reconcile_on_locked_database_changes_nothing(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    ag_store_close(f->st);
    ag_store_options opt = {.busy_timeout_ms = 50};
    assert_int_equal(ag_store_open_with(f->path, &opt, &f->st, NULL), 0);
    ag_config *orig = make_config();
    change_first_slot(f->cfg);

    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    char *err = NULL;
    assert_int_equal(ag_store_reconcile(f->st, f->cfg, T2, NULL, &err), AG_EBUSY);
    char want[256];
    snprintf(want, sizeof want, "cannot save events to %s: database is locked", f->path);
    assert_string_equal(err, want);
    free(err);
    /* Readers are not blocked by a writer in WAL mode. */
    assert_unchanged_since_t1(f, f->st, orig);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_int_equal(reconcile_ok(f, T2).changed, 1);
    free_config(orig);
}

/* A failure after some rows were written (here a constraint on the last
 * event) rolls back the earlier ones too. */
static void failure_mid_transaction_rolls_everything_back(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    ag_config *orig = make_config();
    change_first_slot(f->cfg);
    f->cfg->n_events = 2; /* would remove the training */
    ag_event *bad = &f->cfg->events[2];
    ag_event_free(bad);
    forum(bad);
    free(bad->uid);
    bad->uid = sdup("zz-no-zone");
    free(bad->tzid);
    bad->tzid = NULL;
    f->cfg->n_events = 3;
    f->cfg->events[1].n_audience = 0; /* a child-row change too */
    char *err = NULL;
    assert_int_equal(ag_store_reconcile(f->st, f->cfg, T2, NULL, &err), AG_ESTORE);
    assert_non_null(strstr(err, "cannot save events to"));
    assert_non_null(strstr(err, "NOT NULL constraint failed: events.tzid"));
    free(err);
    f->cfg->events[1].n_audience = 1;
    assert_unchanged_since_t1(f, f->st, orig);
    assert_int_equal(ag_store_generation(f->st), 1);
    free_config(orig);
}

/* A row edited by hand into nonsense is reported, not half-loaded. */
static void malformed_rows_are_reported(void **state)
{
    fx *f = *state;
    reconcile_ok(f, T1);
    raw_exec(f->path, "UPDATE event_exdates SET at_local = '2023-05-xx'");
    ag_stored_event *v = NULL;
    size_t n = 9;
    char *err = NULL;
    assert_int_equal(ag_store_load_events(f->st, &v, &n, &err), AG_ECORRUPT);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_non_null(
        strstr(err, "event 2023-training-monthly has a malformed exdate \"2023-05-xx\""));
    free(err);
    raw_exec(f->path,
             "DELETE FROM event_exdates;"
             "UPDATE events SET start_local = '2023-03-07 09:30:00' WHERE uid LIKE '%forum'");
    err = NULL;
    assert_int_equal(ag_store_reconcile(f->st, f->cfg, T2, NULL, &err), AG_ECORRUPT);
    assert_non_null(strstr(err, "cannot load events from"));
    assert_non_null(strstr(err, "event 2023-05-forum has a malformed row"));
    free(err);
}

static void duplicate_uid_is_refused(void **state)
{
    fx *f = *state;
    forum(&f->cfg->events[3]);
    f->cfg->n_events = 4;
    char *err = NULL;
    assert_int_equal(ag_store_reconcile(f->st, f->cfg, T1, NULL, &err), AG_EINVAL);
    assert_non_null(strstr(err, "config defines event 2023-05-forum twice"));
    free(err);
    size_t live = 9;
    assert_int_equal(ag_store_event_count(f->st, &live, NULL, NULL), 0);
    assert_int_equal(live, 0);
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static bool token_ok(ag_store *st, const char *member, const char *token)
{
    bool valid = true;
    char *err = NULL;
    assert_int_equal(ag_store_token_check(st, member, token, &valid, &err), 0);
    assert_null(err);
    return valid;
}

static void tokens_create_check_rotate_revoke(void **state)
{
    fx *f = *state;
    char *t1 = NULL, *t2 = NULL, *other = NULL;
    assert_false(token_ok(f->st, "fes", "anything"));
    assert_int_equal(ag_store_token_create(f->st, "fes", &t1, NULL), 0);
    assert_int_equal(strlen(t1), 43); /* 32 bytes, base64url, no padding */
    assert_int_equal(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     43);
    assert_true(token_ok(f->st, "fes", t1));
    assert_false(token_ok(f->st, "fes", "wrong"));
    assert_false(token_ok(f->st, "fes-meknes", t1));
    assert_int_equal(ag_store_token_create(f->st, "fes-meknes", &other, NULL), 0);
    assert_string_not_equal(other, t1);

    /* Only the hash is in the database. */
    char hex[65];
    sha256_hex(t1, hex);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT sha256 FROM tokens WHERE member = 'fes'", -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), hex);
    assert_string_not_equal((const char *)sqlite3_column_text(s, 0), t1);
    sqlite3_finalize(s);
    sqlite3_close(db);
    char like[128];
    snprintf(like, sizeof like, "SELECT count(*) FROM tokens WHERE instr(sha256, '%s') > 0", t1);
    assert_int_equal(raw_int(f->path, like), 0);

    assert_int_equal(ag_store_token_create(f->st, "fes", &t2, NULL), 0);
    assert_false(token_ok(f->st, "fes", t1));
    assert_true(token_ok(f->st, "fes", t2));
    assert_true(token_ok(f->st, "fes-meknes", other));
    assert_int_equal(ag_store_token_revoke(f->st, "fes", NULL), 0);
    assert_false(token_ok(f->st, "fes", t2));
    assert_true(token_ok(f->st, "fes-meknes", other));

    ag_store_close(f->st);
    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
    assert_true(token_ok(f->st, "fes-meknes", other));
    free(t1);
    free(t2);
    free(other);
}

static void meta_get_set(void **state)
{
    fx *f = *state;
    char *v = (char *)"x";
    assert_int_equal(ag_store_meta_get(f->st, "missing", &v, NULL), 0);
    assert_null(v);
    assert_int_equal(ag_store_meta_set(f->st, "tzdata", "2026c", NULL), 0);
    assert_int_equal(ag_store_meta_set(f->st, "tzdata", "2026f", NULL), 0);
    assert_int_equal(ag_store_meta_get(f->st, "tzdata", &v, NULL), 0);
    assert_string_equal(v, "2026f");
    free(v);
}

static void newer_schema_is_refused(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    f->st = NULL;
    raw_exec(f->path, "PRAGMA user_version = 99");
    char *err = NULL;
    ag_store *st = (ag_store *)&err; /* any non-NULL: must come back NULL */
    assert_int_equal(ag_store_open(f->path, &st, &err), AG_ESTORE);
    assert_null(st);
    char want[96];
    snprintf(want, sizeof want, "schema version 99 is newer than this agendad knows (%d)",
             RAW_SQL_SCHEMA_VERSION);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, f->path));
    free(err);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 99);
}

static void missing_directory_is_a_clear_error(void **state)
{
    (void)state;
    ag_store *st = NULL;
    char *err = NULL;
    assert_int_equal(ag_store_open("/nonexistent-agendad-dir/state/agendad.db", &st, &err),
                     AG_ENOENT);
    assert_null(st);
    assert_string_equal(err, "cannot open state database /nonexistent-agendad-dir/state/"
                             "agendad.db: directory /nonexistent-agendad-dir/state: No such "
                             "file or directory");
    free(err);
}

static bool side_file(const fx *f, const char *suffix)
{
    char p[160];
    snprintf(p, sizeof p, "%s%s", f->path, suffix);
    return access(p, F_OK) == 0;
}

static ag_store *open_untouched(const fx *f)
{
    ag_store_options opt = {.readonly = true, .untouched = true};
    ag_store *st = NULL;
    char *err = NULL;
    int rc = ag_store_open_with(f->path, &opt, &st, &err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    return st;
}

/* With no connection open (no -wal beside the file), an untouched read
 * creates no file, and sees a prefix of meta in one sorted snapshot. */
static void untouched_read_leaves_no_file(void **state)
{
    fx *f = *state;
    assert_int_equal(ag_store_meta_set(f->st, "plugin.b.x", "2", NULL), 0);
    assert_int_equal(ag_store_meta_set(f->st, "plugin.a.y", "1", NULL), 0);
    assert_int_equal(ag_store_meta_set(f->st, "pluginx", "no", NULL), 0);
    ag_store_close(f->st);
    f->st = NULL;
    assert_false(side_file(f, "-wal"));
    struct stat before, after;
    assert_int_equal(stat(f->path, &before), 0);

    ag_store *st = open_untouched(f);
    char **keys = NULL, **values = NULL;
    size_t n = 0;
    assert_int_equal(ag_store_meta_list(st, "plugin.", &keys, &values, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0], "plugin.a.y");
    assert_string_equal(values[0], "1");
    assert_string_equal(keys[1], "plugin.b.x");
    ag_store_meta_list_free(keys, values, n);
    assert_true(ag_store_unchanged(st));
    char *err = NULL;
    assert_int_equal(ag_store_meta_set(st, "x", "y", &err), AG_ESTORE); /* read-only */
    free(err);
    ag_store_close(st);

    assert_false(side_file(f, "-wal"));
    assert_false(side_file(f, "-shm"));
    assert_int_equal(stat(f->path, &after), 0);
    assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    assert_int_equal(before.st_size, after.st_size);
}

/* A writer coming while the file is read as immutable is noticed; next to
 * an open connection the read is an ordinary read-only one. */
static void untouched_read_notices_a_writer(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    f->st = NULL;
    ag_store *st = open_untouched(f);
    ag_store *writer = NULL;
    assert_int_equal(ag_store_open(f->path, &writer, NULL), 0);
    assert_false(ag_store_unchanged(st));
    ag_store_close(st);

    assert_true(side_file(f, "-wal"));
    assert_int_equal(ag_store_meta_set(writer, "plugin.a.y", "3", NULL), 0);
    st = open_untouched(f);
    char *v = NULL;
    assert_int_equal(ag_store_meta_get(st, "plugin.a.y", &v, NULL), 0);
    assert_string_equal(v, "3");
    free(v);
    assert_true(ag_store_unchanged(st));
    ag_store_close(st);
    ag_store_close(writer);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(fresh_database_is_migrated_and_in_wal_mode),
        T(new_events_get_sequence_zero_and_now),
        T(same_config_later_changes_nothing),
        T(slot_title_change_bumps_only_that_event),
        T(removed_event_is_kept_then_restored),
        T(purge_after_retention),
        T(recurring_events_purge_after_last_occurrence),
        T(close_and_reopen_keeps_everything),
        T(every_field_round_trips),
        T(online_url_change_raises_sequence),
        T(schema_6_database_gains_online_url),
        T(failed_reconcile_on_readonly_database_changes_nothing),
        T(failed_reconcile_on_locked_database_changes_nothing),
        T(failure_mid_transaction_rolls_everything_back),
        T(malformed_rows_are_reported),
        T(duplicate_uid_is_refused),
        T(tokens_create_check_rotate_revoke),
        T(meta_get_set),
        T(newer_schema_is_refused),
        T(missing_directory_is_a_clear_error),
        T(untouched_read_leaves_no_file),
        T(untouched_read_notices_a_writer),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
