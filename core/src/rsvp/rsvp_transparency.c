/* The network's transparency figures over the last 12 months: per member,
 * from the events that publish attendance (an event that did not opt in
 * counts for nobody); per axis, from the public events, how many were held
 * and how many had their minutes within documents.minutes_due of their
 * end. */
#include "rsvp_tally.h"

#include "config_network.h"
#include "rsvp_internal.h"
#include "store_rsvp.h"
#include "tz.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW (365 * (int64_t)86400)

typedef struct {
    ag_rsvp_transparency *t;
    const ag_config *cfg;
    ag_store_rsvp_answer *answers;
    size_t n_answers;
    ag_store_attendance *marks;
    size_t n_marks;
    int64_t now;
} ctx;

static int member_index(const ag_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_members; i++)
        if (strcmp(cfg->members[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* The first row of uid in rows sorted by uid (each of size sz, its uid
 * at offset off); n when none. */
static size_t first_of(const void *rows, size_t n, size_t sz, size_t off, const char *uid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *u = *(char *const *)((const char *)rows + mid * sz + off);
        if (strcmp(u, uid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool answered(const ctx *c, const char *uid, const char *member)
{
    for (size_t i = first_of(c->answers, c->n_answers, sizeof *c->answers,
                             offsetof(ag_store_rsvp_answer, uid), uid);
         i < c->n_answers && strcmp(c->answers[i].uid, uid) == 0; i++)
        if (c->answers[i].member && strcmp(c->answers[i].member, member) == 0 &&
            c->answers[i].partstat && !c->answers[i].cancelled)
            return true;
    return false;
}

/* Marks of uid whose occurrence started in the window, one per
 * (occurrence, member): the member's own mark, else any of its addresses
 * present. Rows come sorted by occurrence, member, then address ("" first). */
static void count_marks(ctx *c, const char *uid)
{
    size_t i =
        first_of(c->marks, c->n_marks, sizeof *c->marks, offsetof(ag_store_attendance, uid), uid);
    while (i < c->n_marks && strcmp(c->marks[i].uid, uid) == 0) {
        size_t j = i;
        bool present = false;
        while (j < c->n_marks && strcmp(c->marks[j].uid, uid) == 0 &&
               strcmp(c->marks[j].occurrence, c->marks[i].occurrence) == 0 &&
               strcmp(c->marks[j].member, c->marks[i].member) == 0) {
            present |= c->marks[j].present && (j == i || c->marks[i].address[0]);
            j++;
        }
        const ag_store_attendance *m = &c->marks[i];
        int k = m->member[0] ? member_index(c->cfg, m->member) : -1;
        if (k >= 0 && m->at >= c->t->from && m->at < c->t->to) {
            c->t->members[k].marked++;
            c->t->members[k].present += present;
        }
        i = j;
    }
}

static void count_invited(ctx *c, const ag_event *ev)
{
    for (size_t i = 0; i < c->cfg->n_members; i++) {
        const char *id = c->cfg->members[i].id;
        if (!ag_config_member_concerned(c->cfg, ev, id))
            continue;
        c->t->members[i].invited++;
        c->t->members[i].replies += answered(c, ev->uid, id);
    }
}

/* Minutes published by minutes_due after the event's end count as on
 * time (the date's midnight in the event's zone). */
static bool minutes_on_time(const ag_event *ev, int64_t deadline)
{
    for (size_t i = 0; i < ev->n_documents; i++) {
        const ag_document *d = &ev->documents[i];
        if (d->kind != AG_DOC_MINUTES)
            continue;
        bool ok = true;
        ag_datetime day = d->published;
        day.is_date = true;
        int64_t at = ag_tz_to_utc(&day, ev->tzid, &ok);
        if (ok && at <= deadline)
            return true;
    }
    return false;
}

/* A series is one event here, as for the minutes reminder: held once its
 * last occurrence ended, its minutes due after that. */
static void count_axes(ctx *c, const ag_event *ev, const ag_rsvp_occurrence *occ, size_t n)
{
    int64_t end = n ? occ[n - 1].end : 0;
    if (!n || end <= c->t->from || end > c->t->to)
        return;
    int64_t deadline = end + c->cfg->settings.minutes_due;
    bool on_time = minutes_on_time(ev, deadline);
    size_t k = 0;
    for (size_t a = 0; a < c->cfg->n_categories; a++) {
        const ag_category *cat = &c->cfg->categories[a];
        if (!cat->axis)
            continue;
        ag_rsvp_axis_stats *s = &c->t->axes[k++];
        if (!ag_config_event_in_category(ev, cat->id))
            continue;
        s->held++;
        s->due += on_time || deadline <= c->now;
        s->on_time += on_time;
    }
}

static bool held_in_window(const ctx *c, const ag_rsvp_occurrence *occ, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (occ[i].end > c->t->from && occ[i].end <= c->t->to)
            return true;
    return false;
}

static void count_event(ctx *c, const ag_stored_event *se)
{
    const ag_event *ev = &se->ev;
    if (se->imported_from || se->removed_at || ev->status == AG_STATUS_CANCELLED)
        return;
    ag_rsvp_occurrence *occ = NULL;
    size_t n = 0;
    if (ag_rsvp_occurrences(ev, &occ, &n) < 0)
        return; /* a zone tzdata lacks: the feeds say so already */
    if (ev->publish_attendance) {
        if (ev->invitations && held_in_window(c, occ, n))
            count_invited(c, ev);
        count_marks(c, ev->uid);
    }
    if (ev->visibility == AG_VIS_PUBLIC)
        count_axes(c, ev, occ, n);
    free(occ);
}

static int setup(ag_rsvp_transparency *t, const ag_config *cfg)
{
    t->members = calloc(cfg->n_members ? cfg->n_members : 1, sizeof *t->members);
    size_t axes = 0;
    for (size_t i = 0; i < cfg->n_categories; i++)
        axes += cfg->categories[i].axis;
    t->axes = calloc(axes ? axes : 1, sizeof *t->axes);
    if (!t->members || !t->axes)
        return AG_ENOMEM;
    for (size_t i = 0; i < cfg->n_members; i++, t->n_members++)
        if (!(t->members[i].member = strdup(cfg->members[i].id)))
            return AG_ENOMEM;
    for (size_t i = 0; i < cfg->n_categories; i++)
        if (cfg->categories[i].axis && !(t->axes[t->n_axes++].axis = strdup(cfg->categories[i].id)))
            return AG_ENOMEM;
    return 0;
}

int ag_rsvp_transparency_compute(ag_store *st, const ag_config *cfg, const ag_stored_event *evs,
                                 size_t n, int64_t now, ag_rsvp_transparency *out, char **err)
{
    *out = (ag_rsvp_transparency){.from = now - WINDOW, .to = now};
    if (err)
        *err = NULL;
    ctx c = {.t = out, .cfg = cfg, .now = now};
    int rc = setup(out, cfg);
    if (rc < 0)
        rc = ag_rsvp_fail(err, rc, "cannot count the transparency figures", "out of memory");
    if (rc == 0)
        rc = ag_store_rsvp_answers(st, NULL, &c.answers, &c.n_answers, err);
    if (rc == 0)
        rc = ag_store_rsvp_attendance_of(st, NULL, &c.marks, &c.n_marks, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        count_event(&c, &evs[i]);
    ag_store_rsvp_answers_free(c.answers, c.n_answers);
    ag_store_rsvp_attendance_free(c.marks, c.n_marks);
    if (rc < 0)
        ag_rsvp_transparency_free(out);
    return rc;
}

void ag_rsvp_transparency_free(ag_rsvp_transparency *t)
{
    for (size_t i = 0; i < t->n_members; i++)
        free(t->members[i].member);
    for (size_t i = 0; i < t->n_axes; i++)
        free(t->axes[i].axis);
    free(t->members);
    free(t->axes);
    *t = (ag_rsvp_transparency){0};
}

/* "12.5", or "" when there is nothing to divide by. */
static void percent(char out[16], int num, int den)
{
    if (den <= 0)
        out[0] = '\0';
    else
        snprintf(out, 16, "%.1f", 100.0 * num / den);
}

int ag_rsvp_transparency_csv(const ag_rsvp_transparency *t, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    if (!f)
        return AG_ENOMEM;
    fputs("kind,id,invited,replies,marked,present,attendance_rate,held,minutes_due,"
          "minutes_on_time,minutes_share\r\n",
          f);
    char p[16];
    for (size_t i = 0; i < t->n_members; i++) {
        const ag_rsvp_member_stats *m = &t->members[i];
        percent(p, m->present, m->marked);
        fprintf(f, "member,%s,%d,%d,%d,%d,%s,,,,\r\n", m->member, m->invited, m->replies, m->marked,
                m->present, p);
    }
    for (size_t i = 0; i < t->n_axes; i++) {
        const ag_rsvp_axis_stats *a = &t->axes[i];
        percent(p, a->on_time, a->due);
        fprintf(f, "axis,%s,,,,,,%d,%d,%d,%s\r\n", a->axis, a->held, a->due, a->on_time, p);
    }
    return fclose(f) == 0 ? 0 : AG_ENOMEM;
}
