/* Agenda items in the store (store_slots.c, schema step 7): each keeps its
 * UID through edits of the agenda, and its SEQUENCE and LAST-MODIFIED move
 * only when its own VEVENT changes (issue 15, items 2 and 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "raw_sql.h"

#include "error.h"
#include "store.h"
#include "store_config.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T1 INT64_C(1677067200) /* 2023-02-22T12:00Z, before the workshop */
#define T2 (T1 + 3600)
#define T3 (T1 + 7200)
#define T4 (T1 + 10800)
#define DAY INT64_C(86400)
#define RETENTION (30 * DAY)
#define EVENT_END INT64_C(1678192200) /* 2023-03-07T13:30 in Casablanca (UTC+1) */
#define WORKSHOP "2023-03-07-fes-meknes-cocreation-workshop"
#define W(suffix) WORKSHOP "/" suffix

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static ag_datetime at(int h, int mi)
{
    return (ag_datetime){2023, 3, 7, h, mi, 0, false};
}

static ag_slot timed(int h, int mi, int h2, int mi2, const char *ar, const char *fr)
{
    return (ag_slot){.timed = true,
                     .start = at(h, mi),
                     .end = at(h2, mi2),
                     .title = {sdup(ar), sdup(fr)},
                     .kind = sdup("session")};
}

static ag_slot untimed(const char *ar, const char *fr)
{
    return (ag_slot){.title = {sdup(ar), sdup(fr)}, .kind = sdup("opening")};
}

/* The workshop's agenda as the sample has it, shortened: 1 to 6. */
static void workshop(ag_event *e)
{
    memset(e, 0, sizeof *e);
    e->uid = sdup(WORKSHOP);
    e->title = (ag_text){sdup("ورشة"), sdup("Atelier de co-création")};
    e->location = (ag_text){sdup("فاس"), sdup("Fès")};
    e->start = at(9, 30);
    e->end = at(13, 30);
    e->tzid = sdup("Africa/Casablanca");
    e->host = sdup("fes-meknes");
    e->slots = calloc(16, sizeof *e->slots);
    e->slots[0] = timed(9, 30, 10, 0, "استقبال المشاركين", "Accueil des participants");
    e->slots[1] = untimed("كلمات افتتاحية", "Mots d'ouverture");
    e->slots[2] = timed(10, 0, 10, 30, "عرض حول الشبكة", "Présentation du Réseau");
    e->slots[3] = timed(11, 10, 11, 40, "المحور الأول", "Atelier sur l'axe 1");
    e->slots[4] = timed(11, 40, 12, 10, "المحور الثاني", "Atelier sur l'axe 2");
    e->slots[5] = timed(12, 10, 12, 30, "استراحة شاي", "Pause thé");
    e->n_slots = 6;
}

typedef struct {
    char dir[64];
    char path[128];
    ag_store *st;
    ag_config cfg;
    ag_event ev;
    ag_stored_event *v; /* the last load */
    size_t n;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/agendad-slots-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/agendad.db", f->dir);
    if (ag_store_open(f->path, &f->st, NULL) != 0)
        return -1;
    workshop(&f->ev);
    f->cfg.events = &f->ev;
    f->cfg.n_events = 1;
    f->cfg.settings.retention = RETENTION;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_store_events_free(f->v, f->n);
    ag_store_close(f->st);
    ag_event_free(&f->ev);
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
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

static ag_reconcile_stats reconcile(fx *f, int64_t now)
{
    ag_reconcile_stats s;
    char *err = NULL;
    int rc = ag_store_reconcile(f->st, &f->cfg, now, &s, &err);
    if (rc != 0)
        fail_msg("reconcile: %s", err);
    return s;
}

/* The stored workshop, freshly loaded. */
static const ag_stored_event *load(fx *f)
{
    ag_store_events_free(f->v, f->n);
    char *err = NULL;
    if (ag_store_load_events(f->st, &f->v, &f->n, &err) != 0)
        fail_msg("load: %s", err);
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].ev.uid, WORKSHOP) == 0)
            return &f->v[i];
    fail_msg("no workshop");
    return NULL;
}

/* The state of the item published as uid, live or removed; *slot its content. */
static const ag_slot_state *item(const ag_stored_event *se, const char *uid, const ag_slot **slot)
{
    for (size_t i = 0; i < se->ev.n_slots; i++)
        if (strcmp(se->slot_states[i].uid, uid) == 0) {
            if (slot)
                *slot = &se->ev.slots[i];
            return &se->slot_states[i];
        }
    for (size_t i = 0; i < se->n_removed_slots; i++)
        if (strcmp(se->removed_slots[i].state.uid, uid) == 0) {
            if (slot)
                *slot = &se->removed_slots[i].slot;
            return &se->removed_slots[i].state;
        }
    fail_msg("no item %s", uid);
    return NULL;
}

/* The UIDs of the agenda, in its order, joined by spaces (suffixes only). */
static char *agenda_uids(const ag_stored_event *se)
{
    static char buf[1024];
    buf[0] = '\0';
    for (size_t i = 0; i < se->ev.n_slots; i++) {
        const char *u = se->slot_states[i].uid + strlen(WORKSHOP) + 1;
        strcat(buf, i ? " " : "");
        strcat(buf, u);
    }
    return buf;
}

static void assert_item(const ag_stored_event *se, const char *uid, int sequence,
                        int64_t last_modified, int64_t removed_at)
{
    const ag_slot_state *s = item(se, uid, NULL);
    if (s->sequence != sequence || s->last_modified != last_modified || s->removed_at != removed_at)
        fail_msg("%s: sequence %d, last_modified %lld, removed_at %lld; want %d, %lld, %lld", uid,
                 s->sequence, (long long)s->last_modified, (long long)s->removed_at, sequence,
                 (long long)last_modified, (long long)removed_at);
}

static void set_title(ag_slot *s, const char *ar, const char *fr)
{
    ag_text_free(&s->title);
    s->title = (ag_text){sdup(ar), sdup(fr)};
}

/* Moves ev->slots[from] to place to, the others keeping their order. */
static void move_slot(ag_event *ev, size_t from, size_t to)
{
    ag_slot s = ev->slots[from];
    if (from < to)
        memmove(&ev->slots[from], &ev->slots[from + 1], (to - from) * sizeof s);
    else
        memmove(&ev->slots[to + 1], &ev->slots[to], (from - to) * sizeof s);
    ev->slots[to] = s;
}

static void delete_slot(ag_event *ev, size_t i)
{
    ag_slot_free(&ev->slots[i]);
    memmove(&ev->slots[i], &ev->slots[i + 1], (ev->n_slots - i - 1) * sizeof *ev->slots);
    ev->n_slots--;
}

static void insert_slot(ag_event *ev, size_t at_, ag_slot s)
{
    memmove(&ev->slots[at_ + 1], &ev->slots[at_], (ev->n_slots - at_) * sizeof s);
    ev->slots[at_] = s;
    ev->n_slots++;
}

/* ---- tests ---- */

static void new_event_numbers_its_items_by_place(void **state)
{
    fx *f = *state;
    ag_reconcile_stats s = reconcile(f, T1);
    assert_int_equal(s.added, 1);
    assert_int_equal(s.slots_written, 6);
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-6");
    assert_int_equal(se->last_slot_number, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(se->slot_states[i].sequence, 0);
        assert_int_equal(se->slot_states[i].created, T1);
        assert_int_equal(se->slot_states[i].last_modified, T1);
    }
    /* Nothing changed: nothing written, not even the items. */
    int64_t gen = ag_store_generation(f->st);
    s = reconcile(f, T2);
    assert_int_equal(s.unchanged, 1);
    assert_int_equal(s.slots_written, 0);
    assert_int_equal(ag_store_generation(f->st), gen);
}

/* Issue 15 item 2: the renamed item moves, its event moves (its
 * description lists the agenda), the other items stay as they were. */
static void renaming_an_item_moves_only_that_item(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    set_title(&f->ev.slots[5], "استراحة قهوة", "Pause café");
    ag_reconcile_stats s = reconcile(f, T2);
    assert_int_equal(s.changed, 1);
    assert_int_equal(s.slots_written, 1);
    const ag_stored_event *se = load(f);
    assert_int_equal(se->sequence, 1);
    assert_int_equal(se->last_modified, T2);
    assert_item(se, W("slot-6"), 1, T2, 0);
    for (int n = 1; n <= 5; n++) {
        char uid[128];
        snprintf(uid, sizeof uid, W("slot-%d"), n);
        assert_item(se, uid, 0, T1, 0);
    }
}

static void insert_at_the_top(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    f->ev.start = at(9, 0);
    insert_slot(&f->ev, 0, timed(9, 0, 9, 30, "قهوة الترحيب", "Café de bienvenue"));
    reconcile(f, T2);
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-7 slot-1 slot-2 slot-3 slot-4 slot-5 slot-6");
    assert_int_equal(se->last_slot_number, 7);
    assert_item(se, W("slot-7"), 0, T2, 0);
    assert_int_equal(item(se, W("slot-7"), NULL)->created, T2);
    for (int n = 1; n <= 6; n++) {
        char uid[128];
        snprintf(uid, sizeof uid, W("slot-%d"), n);
        assert_item(se, uid, 0, T1, 0);
    }
}

static void delete_in_the_middle(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    delete_slot(&f->ev, 3);
    ag_reconcile_stats s = reconcile(f, T2);
    assert_int_equal(s.changed, 1);
    assert_int_equal(s.slots_written, 3); /* removed, and two moved up */
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-5 slot-6");
    assert_int_equal(se->n_removed_slots, 1);
    const ag_slot *gone;
    assert_item(se, W("slot-4"), 1, T2, T2);
    item(se, W("slot-4"), &gone);
    assert_string_equal(gone->title.fr, "Atelier sur l'axe 1"); /* kept to be cancelled */
    assert_item(se, W("slot-5"), 0, T1, 0);

    /* Kept as it is by later reloads; a new item gets a new number. */
    s = reconcile(f, T3);
    assert_int_equal(s.slots_written, 0);
    f->ev.end = at(14, 30);
    insert_slot(&f->ev, 5, timed(13, 30, 14, 30, "غداء", "Déjeuner"));
    reconcile(f, T3);
    se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-5 slot-6 slot-7");
    assert_item(se, W("slot-4"), 1, T2, T2);

    /* Put back: the same item again, no longer removed. */
    insert_slot(&f->ev, 3, timed(11, 10, 11, 40, "المحور الأول", "Atelier sur l'axe 1"));
    s = reconcile(f, T4);
    se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-6 slot-7");
    assert_item(se, W("slot-4"), 2, T4, 0);
    assert_int_equal(se->n_removed_slots, 0);
}

static void swap_two_items(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    ag_slot *a = &f->ev.slots[3], *b = &f->ev.slots[4];
    ag_datetime s = a->start, e = a->end;
    a->start = b->start;
    a->end = b->end;
    b->start = s;
    b->end = e;
    move_slot(&f->ev, 4, 3);
    reconcile(f, T2);
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-5 slot-4 slot-6");
    const ag_slot *axis1;
    assert_item(se, W("slot-4"), 1, T2, 0);
    item(se, W("slot-4"), &axis1);
    assert_string_equal(axis1->title.fr, "Atelier sur l'axe 1");
    assert_int_equal(axis1->start.hour, 11);
    assert_int_equal(axis1->start.minute, 40);
    assert_item(se, W("slot-5"), 1, T2, 0);
    assert_item(se, W("slot-6"), 0, T1, 0);

    /* Only the order changes: no item's VEVENT does (their place is not in
     * them), but the rows follow it. */
    move_slot(&f->ev, 0, 5);
    ag_reconcile_stats st = reconcile(f, T3);
    assert_true(st.slots_written > 0);
    se = load(f);
    assert_string_equal(agenda_uids(se), "slot-2 slot-3 slot-5 slot-4 slot-6 slot-1");
    assert_item(se, W("slot-1"), 0, T1, 0);
    assert_item(se, W("slot-4"), 1, T2, 0);
}

static void retitle_and_move_one_item(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    ag_slot *pause = &f->ev.slots[5];
    /* Retitled in one language only: still its title in the other. */
    set_title(pause, "استراحة شاي", "Pause-thé");
    reconcile(f, T2);
    assert_item(load(f), W("slot-6"), 1, T2, 0);
    /* Retitled in both: known by its time. */
    set_title(pause, "استراحة قهوة", "Pause café");
    reconcile(f, T3);
    assert_item(load(f), W("slot-6"), 2, T3, 0);
    /* Moved in the day and in the list: known by its title. */
    pause->start = at(10, 30);
    pause->end = at(10, 50);
    move_slot(&f->ev, 5, 3);
    reconcile(f, T4);
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-6 slot-4 slot-5");
    assert_item(se, W("slot-6"), 3, T4, 0);
    assert_item(se, W("slot-4"), 0, T1, 0);
}

/* With neither its title nor its time, an item without an id is another
 * item: the old one is cancelled, the new one gets a new number. With an
 * id, it stays itself. */
static void retitled_and_moved_at_once(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    ag_slot *pause = &f->ev.slots[5];
    set_title(pause, "استراحة", "Pause");
    pause->start = at(10, 30);
    pause->end = at(10, 50);
    reconcile(f, T2);
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-7");
    assert_item(se, W("slot-6"), 1, T2, T2);

    /* Giving ids changes nothing anyone sees: no SEQUENCE, not even the
     * event's; the rows record them. */
    f->ev.slots[5].id = sdup("pause");
    f->ev.slots[0].id = sdup("reception");
    ag_reconcile_stats s = reconcile(f, T3);
    assert_int_equal(s.unchanged, 1);
    assert_int_equal(s.slots_written, 2);
    se = load(f);
    assert_int_equal(se->sequence, 1);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-7");
    assert_string_equal(se->ev.slots[5].id, "pause");
    assert_item(se, W("slot-7"), 0, T2, 0);
    assert_item(se, W("slot-1"), 0, T1, 0);

    set_title(&f->ev.slots[5], "استراحة طويلة", "Longue pause");
    f->ev.slots[5].start = at(12, 10);
    f->ev.slots[5].end = at(12, 30);
    reconcile(f, T4);
    se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-7");
    assert_item(se, W("slot-7"), 1, T4, 0);
}

static void ids_name_new_items_and_only_match_themselves(void **state)
{
    fx *f = *state;
    ag_slot talk = timed(10, 30, 11, 0, NULL, "Les données ouvertes");
    talk.id = sdup("open-data");
    insert_slot(&f->ev, 3, talk);
    reconcile(f, T1);
    const ag_stored_event *se = load(f);
    /* Items born with an id are published under it and take no number. */
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 open-data slot-4 slot-5 slot-6");
    assert_int_equal(se->last_slot_number, 6);

    /* Another id is another item, even with the same title and time; and a
     * stored item with an id is not taken by title by an item without. */
    free(f->ev.slots[3].id);
    f->ev.slots[3].id = sdup("open-data-2");
    ag_slot copy = timed(13, 0, 13, 30, NULL, "Les données ouvertes");
    insert_slot(&f->ev, 7, copy);
    f->ev.end = at(13, 30);
    reconcile(f, T2);
    se = load(f);
    assert_string_equal(agenda_uids(se),
                        "slot-1 slot-2 slot-3 open-data-2 slot-4 slot-5 slot-6 slot-7");
    assert_item(se, W("open-data"), 1, T2, T2);

    /* The first id again: the removed item comes back. */
    free(f->ev.slots[7].id);
    f->ev.slots[7].id = sdup("open-data");
    reconcile(f, T3);
    se = load(f);
    assert_string_equal(agenda_uids(se),
                        "slot-1 slot-2 slot-3 open-data-2 slot-4 slot-5 slot-6 open-data");
    assert_item(se, W("open-data"), 2, T3, 0);
    assert_int_equal(se->n_removed_slots, 1); /* slot-7 */
}

/* Equal titles pair by time first, then in agenda order. */
static void equal_titles_pair_by_time_then_order(void **state)
{
    fx *f = *state;
    f->ev.end = at(16, 0);
    insert_slot(&f->ev, 6, timed(15, 0, 15, 20, "استراحة شاي", "Pause thé"));
    reconcile(f, T1); /* pauses: slot-6 at 12:10, slot-7 at 15:00 */
    /* The afternoon one listed first now: each still its own. */
    move_slot(&f->ev, 6, 5);
    ag_reconcile_stats s = reconcile(f, T2);
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-7 slot-6");
    assert_item(se, W("slot-6"), 0, T1, 0);
    assert_item(se, W("slot-7"), 0, T1, 0);
    assert_int_equal(s.slots_written, 2); /* places only */
    /* Both moved: they pair in agenda order. */
    f->ev.slots[5].start = at(15, 20);
    f->ev.slots[5].end = at(15, 40);
    f->ev.slots[6].start = at(12, 30);
    f->ev.slots[6].end = at(12, 50);
    delete_slot(&f->ev, 4);
    reconcile(f, T3);
    se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-7 slot-6");
}

/* What an item shows of its event moves its SEQUENCE; what it does not,
 * not. The event's removal cancels its items, its return restores them. */
static void the_event_moves_its_items_only_through_what_they_show(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    ag_text_free(&f->ev.description);
    f->ev.description = (ag_text){NULL, sdup("Une description")};
    f->ev.end = at(14, 0);
    reconcile(f, T2);
    const ag_stored_event *se = load(f);
    assert_int_equal(se->sequence, 1);
    assert_item(se, W("slot-1"), 0, T1, 0);

    free(f->ev.title.fr);
    f->ev.title.fr = sdup("Atelier régional"); /* each item's DESCRIPTION */
    reconcile(f, T3);
    se = load(f);
    for (size_t i = 0; i < se->ev.n_slots; i++) {
        assert_int_equal(se->slot_states[i].sequence, 1);
        assert_int_equal(se->slot_states[i].last_modified, T3);
    }

    f->cfg.n_events = 0;
    ag_reconcile_stats s = reconcile(f, T4);
    assert_int_equal(s.removed, 1);
    assert_int_equal(s.slots_written, 6);
    se = load(f);
    assert_int_equal(se->removed_at, T4);
    assert_item(se, W("slot-1"), 2, T4, 0); /* CANCELLED with its event */

    f->cfg.n_events = 1;
    s = reconcile(f, T4 + 60);
    assert_int_equal(s.restored, 1);
    se = load(f);
    assert_item(se, W("slot-1"), 3, T4 + 60, 0);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-6");
}

/* A removed item goes `retention` after its event has passed, and its
 * number is never given again. */
static void removed_items_are_purged_and_their_numbers_stay_used(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    delete_slot(&f->ev, 5);
    reconcile(f, T2);
    ag_reconcile_stats s = reconcile(f, EVENT_END + DAY);
    assert_int_equal(s.slots_written, 0);
    const ag_stored_event *se = load(f);
    assert_int_equal(se->n_removed_slots, 1);
    assert_false(ag_store_purge_due(f->v, f->n, EVENT_END + RETENTION, RETENTION));
    assert_true(ag_store_purge_due(f->v, f->n, EVENT_END + RETENTION + 1, RETENTION));
    s = reconcile(f, EVENT_END + RETENTION);
    assert_int_equal(s.slots_written, 0);
    int64_t ended = EVENT_END + RETENTION + 1;
    s = reconcile(f, ended);
    assert_int_equal(s.slots_written, 1);
    assert_int_equal(s.unchanged, 1);
    se = load(f);
    assert_int_equal(se->n_removed_slots, 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM event_slots"), 5);

    f->ev.slots[5] = timed(12, 10, 12, 30, "استراحة", "Pause");
    f->ev.n_slots = 6;
    reconcile(f, ended + DAY);
    se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-7");
}

/* Schema step 8 on a database of step 7: each item keeps the UID it was
 * published under (its place) and its event's version, which it published
 * with; a removed event's items stay cancelled with it. */
static void migration_keeps_what_subscribers_have(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    ag_store_close(f->st);
    f->st = NULL;
    raw_exec(f->path,
             RAW_SQL_UNDO_RSVP RAW_SQL_UNDO_INVITATIONS RAW_SQL_UNDO_BUSY RAW_SQL_UNDO_SLOT_IDENTITY
             "UPDATE events SET sequence = 4, created = 100, last_modified = 200;"
             "PRAGMA user_version = 7;");
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 7);
    char *err = NULL;
    if (ag_store_open(f->path, &f->st, &err) != 0)
        fail_msg("open: %s", err);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RAW_SQL_SCHEMA_VERSION);
    const ag_stored_event *se = load(f);
    assert_string_equal(agenda_uids(se), "slot-1 slot-2 slot-3 slot-4 slot-5 slot-6");
    assert_int_equal(se->last_slot_number, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(se->slot_states[i].sequence, 4);
        assert_int_equal(se->slot_states[i].created, 100);
        assert_int_equal(se->slot_states[i].last_modified, 200);
    }
    /* The first reconcile after it, with the files unchanged: nothing. */
    int64_t gen = ag_store_generation(f->st);
    ag_reconcile_stats s = reconcile(f, T2);
    assert_int_equal(s.slots_written + s.changed, 0);
    assert_int_equal(ag_store_generation(f->st), gen);
    /* An item inserted at the top then is numbered after the others. */
    f->ev.start = at(9, 0);
    insert_slot(&f->ev, 0, timed(9, 0, 9, 30, NULL, "Café"));
    reconcile(f, T3);
    se = load(f);
    assert_string_equal(agenda_uids(se), "slot-7 slot-1 slot-2 slot-3 slot-4 slot-5 slot-6");
    assert_item(se, W("slot-1"), 4, 200, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(new_event_numbers_its_items_by_place),
        T(renaming_an_item_moves_only_that_item),
        T(insert_at_the_top),
        T(delete_in_the_middle),
        T(swap_two_items),
        T(retitle_and_move_one_item),
        T(retitled_and_moved_at_once),
        T(ids_name_new_items_and_only_match_themselves),
        T(equal_titles_pair_by_time_then_order),
        T(the_event_moves_its_items_only_through_what_they_show),
        T(removed_items_are_purged_and_their_numbers_stay_used),
        T(migration_keeps_what_subscribers_have),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
