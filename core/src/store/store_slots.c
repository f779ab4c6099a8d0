/* Agenda items keep their identity when the admin edits the agenda: which
 * stored item each of the config's items is, and what each item's row
 * becomes. Reads and writes no database; store_reconcile.c writes the plan.
 *
 * Matching, in four stages; each stage takes the config's items in agenda
 * order and gives each the first stored item that fits and is still free,
 * the live ones in agenda order, then the removed ones (so that an item
 * added again under a removed one's title or id comes back as it):
 *   1. the same id (an item with an id is only ever matched by it);
 *   2. the same title, in either language, and the same start (or both
 *      untimed): equal titles pair by time before any pair by order;
 *   3. the same title in either language;
 *   4. the same start time (a retitled item).
 * Stages 2 to 4 only take stored items without an id; an item of the config
 * with an id may take one (the id is then recorded: giving an agenda an ids
 * keeps the UIDs it has). An item matched by nothing is new: "<uid>/<id>",
 * or "<uid>/slot-<n>" with n above every number the event ever gave. A
 * stored item matched by nothing is removed: kept and published CANCELLED,
 * then purged like a removed event.
 *
 * An item's SEQUENCE and LAST-MODIFIED move only when its own VEVENT
 * changes: its content, its STATUS, or what it shows of its event
 * (ag_slot_context_equal). Its place in the agenda is not in its VEVENT. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One stored item, live or removed. */
typedef struct {
    const ag_slot *slot;
    const ag_slot_state *state;
} stored_item;

typedef struct {
    const ag_stored_event *se; /* NULL for a new event */
    const ag_event *e;
    stored_item *old;
    size_t n_old, n_live;
    size_t *match; /* per config item: index in old, or NONE */
    bool *taken;   /* per stored item */
} matcher;

enum { NONE = (size_t)-1 };

static bool same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool same_title(const ag_slot *a, const ag_slot *b)
{
    return same_text(a->title.ar, b->title.ar) || same_text(a->title.fr, b->title.fr);
}

static bool same_start(const ag_slot *a, const ag_slot *b)
{
    return a->timed && b->timed && a->start.is_date == b->start.is_date &&
           ag_datetime_cmp(&a->start, &b->start) == 0;
}

static bool fits(int stage, const ag_slot *stored, const ag_slot *config)
{
    switch (stage) {
    case 1:
        return stored->id && config->id && strcmp(stored->id, config->id) == 0;
    case 2:
        return !stored->id && same_title(stored, config) &&
               ((!stored->timed && !config->timed) || same_start(stored, config));
    case 3:
        return !stored->id && same_title(stored, config);
    default:
        return !stored->id && same_start(stored, config);
    }
}

static void match_stage(matcher *m, int stage)
{
    for (size_t j = 0; j < m->e->n_slots; j++) {
        if (m->match[j] != NONE || (stage == 1 && !m->e->slots[j].id))
            continue;
        for (size_t i = 0; i < m->n_old; i++) {
            if (!m->taken[i] && fits(stage, m->old[i].slot, &m->e->slots[j])) {
                m->match[j] = i;
                m->taken[i] = true;
                break;
            }
        }
    }
}

/* The STATUS an item is published with. */
static ag_status status_of(const ag_event *ev, bool event_removed, bool item_removed)
{
    return event_removed || item_removed ? AG_STATUS_CANCELLED : ev->status;
}

/* Whether the item's VEVENT reads the same before (a, in event ea) and
 * after (b, in eb). */
static bool same_vevent(const ag_event *ea, ag_status sa, const ag_slot *a, const ag_event *eb,
                        ag_status sb, const ag_slot *b)
{
    return sa == sb && ag_slot_equal(a, b) && ag_slot_context_equal(ea, eb);
}

/* The common reload: the stored agenda is the config's, item for item,
 * nothing removed, and the event shows its items as before. Matching would
 * pair each with itself and change nothing. */
static bool unchanged(const ag_stored_event *se, const ag_event *e)
{
    if (!se || se->removed_at != 0 || se->n_removed_slots != 0 || se->ev.n_slots != e->n_slots ||
        (e->n_slots > 0 && !se->slot_states) || se->ev.status != e->status ||
        !ag_slot_context_equal(&se->ev, e))
        return false;
    for (size_t i = 0; i < e->n_slots; i++)
        if (!ag_slot_equal(&se->ev.slots[i], &e->slots[i]) ||
            !ag_str_eq(se->ev.slots[i].id, e->slots[i].id))
            return false;
    return true;
}

static bool uid_used(const matcher *m, const ag_slot_plan *p, const char *uid)
{
    for (size_t i = 0; i < m->n_old; i++)
        if (strcmp(m->old[i].state->uid, uid) == 0)
            return true;
    for (size_t i = 0; i < p->n_uids; i++)
        if (strcmp(p->uids[i], uid) == 0)
            return true;
    return false;
}

/* A UID no stored item has (the config's loader keeps ids off the
 * "slot-<n>" form, and the store does not rely on it). */
static char *fresh_uid(const matcher *m, ag_slot_plan *p, const ag_slot *sl)
{
    char *uid = NULL;
    if (sl->id) {
        if (asprintf(&uid, "%s/%s", m->e->uid, sl->id) < 0)
            return NULL;
        if (!uid_used(m, p, uid))
            return uid;
        free(uid);
    }
    for (;;) {
        if (asprintf(&uid, "%s/slot-%d", m->e->uid, ++p->last_number) < 0)
            return NULL;
        if (!uid_used(m, p, uid))
            return uid;
        free(uid);
    }
}

static void add_row(ag_slot_plan *p, const ag_slot *slot, ag_slot_state state)
{
    p->states[p->n] = state;
    p->rows[p->n] = (ag_slot_row){slot, &p->states[p->n]};
    p->n++;
}

/* The config's items, in agenda order. */
static int plan_live(matcher *m, ag_slot_plan *p, int64_t now)
{
    const ag_event *old_ev = m->se ? &m->se->ev : NULL;
    bool old_removed = m->se && m->se->removed_at != 0;
    ag_status now_status = status_of(m->e, false, false);
    for (size_t j = 0; j < m->e->n_slots; j++) {
        const ag_slot *sl = &m->e->slots[j];
        size_t i = m->match[j];
        if (i == NONE) {
            char *uid = fresh_uid(m, p, sl);
            if (!uid)
                return AG_ENOMEM;
            p->uids[p->n_uids++] = uid;
            add_row(p, sl, (ag_slot_state){uid, 0, now, now, 0});
            p->written++;
            continue;
        }
        const stored_item *o = &m->old[i];
        ag_slot_state st = *o->state;
        ag_status was = status_of(old_ev, old_removed, st.removed_at != 0);
        if (!same_vevent(old_ev, was, o->slot, m->e, now_status, sl)) {
            st.sequence++;
            st.last_modified = now;
        }
        st.removed_at = 0;
        if (i != j || !ag_str_eq(o->slot->id, sl->id) || st.sequence != o->state->sequence ||
            o->state->removed_at != 0 || !ag_slot_equal(o->slot, sl))
            p->written++;
        add_row(p, sl, st);
    }
    return 0;
}

/* Stored items the config no longer has: those already removed, in their
 * order, then those it just dropped. */
static void plan_removed(matcher *m, ag_slot_plan *p, int64_t now, int64_t retention)
{
    const ag_event *old_ev = &m->se->ev;
    bool old_removed = m->se->removed_at != 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t from = pass == 0 ? m->n_live : 0, to = pass == 0 ? m->n_old : m->n_live;
        for (size_t i = from; i < to; i++) {
            if (m->taken[i])
                continue;
            const stored_item *o = &m->old[i];
            ag_slot_state st = *o->state;
            if (st.removed_at != 0 && ag_store_removed_due(m->e, st.removed_at, now, retention)) {
                p->written++; /* purged */
                continue;
            }
            ag_status was = status_of(old_ev, old_removed, st.removed_at != 0);
            if (st.removed_at == 0)
                st.removed_at = now;
            if (!same_vevent(old_ev, was, o->slot, m->e, AG_STATUS_CANCELLED, o->slot)) {
                st.sequence++;
                st.last_modified = now;
            }
            if (st.removed_at != o->state->removed_at || st.sequence != o->state->sequence)
                p->written++;
            add_row(p, o->slot, st);
        }
    }
}

static int collect_old(matcher *m)
{
    const ag_stored_event *se = m->se;
    if (!se)
        return 0;
    m->n_live = se->slot_states ? se->ev.n_slots : 0;
    m->n_old = m->n_live + se->n_removed_slots;
    m->old = calloc(m->n_old ? m->n_old : 1, sizeof *m->old);
    if (!m->old)
        return AG_ENOMEM;
    for (size_t i = 0; i < m->n_live; i++)
        m->old[i] = (stored_item){&se->ev.slots[i], &se->slot_states[i]};
    for (size_t k = 0; k < se->n_removed_slots; k++)
        m->old[m->n_live + k] =
            (stored_item){&se->removed_slots[k].slot, &se->removed_slots[k].state};
    return 0;
}

int ag_store_slots_plan(const ag_stored_event *se, const ag_event *e, int64_t now,
                        int64_t retention, ag_slot_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (se)
        plan->last_number = se->last_slot_number;
    if (unchanged(se, e) || (!se && e->n_slots == 0))
        return 0;
    matcher m = {.se = se, .e = e};
    int rc = collect_old(&m);
    size_t cap = e->n_slots + m.n_old;
    if (rc == 0) {
        m.match = malloc((e->n_slots ? e->n_slots : 1) * sizeof *m.match);
        m.taken = calloc(m.n_old ? m.n_old : 1, sizeof *m.taken);
        plan->rows = calloc(cap ? cap : 1, sizeof *plan->rows);
        plan->states = calloc(cap ? cap : 1, sizeof *plan->states);
        plan->uids = calloc(e->n_slots ? e->n_slots : 1, sizeof *plan->uids);
        if (!m.match || !m.taken || !plan->rows || !plan->states || !plan->uids)
            rc = AG_ENOMEM;
    }
    if (rc == 0) {
        for (size_t j = 0; j < e->n_slots; j++)
            m.match[j] = NONE;
        for (int stage = 1; stage <= 4; stage++)
            match_stage(&m, stage);
        rc = plan_live(&m, plan, now);
    }
    if (rc == 0 && se)
        plan_removed(&m, plan, now, retention);
    free(m.old);
    free(m.match);
    free(m.taken);
    if (rc < 0)
        ag_store_slots_plan_free(plan);
    return rc;
}

void ag_store_slots_plan_free(ag_slot_plan *plan)
{
    for (size_t i = 0; i < plan->n_uids; i++)
        free(plan->uids[i]);
    free(plan->uids);
    free(plan->rows);
    free(plan->states);
    memset(plan, 0, sizeof *plan);
}
