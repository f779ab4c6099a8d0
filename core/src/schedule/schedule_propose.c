/* The walk: candidate starts every `step` of each day's wall clock in the
 * network's zone; for each, how many members cannot come (out of hours,
 * a holiday, busy), by one pointer per member into its sorted working
 * spans and one into its merged busy spans, both only moving forward, so
 * that the walk costs candidates x members and allocates nothing per
 * candidate. Then the order (everyone free, probable holidays after, then
 * near-misses by fewest busy members) and the reasons of those proposed. */
#include "schedule_internal.h"

#include "error.h"
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One audience member during the walk. */
typedef struct {
    size_t member;                /* index in the input */
    const ag_schedule_week *week; /* its working time (shared by equal zones and hours) */
    ag_schedule_busy *busy;       /* raw, sorted by start */
    int64_t *max_end;             /* max_end[k]: the latest end of busy[0..k] */
    size_t n_busy;
    ag_schedule_span *merged; /* busy, merged */
    size_t n_merged;
    size_t i, j; /* the walk's pointers into week->open and merged */
} walker;

typedef struct {
    const ag_schedule_input *in;
    const ag_schedule_query *q;
    ag_schedule_result *r;
    ag_schedule_calendar cal;
    ag_schedule_occurrences occ;
    ag_schedule_week *weeks;
    size_t n_weeks;
    walker *w;
    /* Candidates, by start */
    int64_t *start;
    uint16_t *n_out; /* members who cannot come */
    bool *probable;
    size_t n_cand;
} proposal;

__attribute__((format(printf, 3, 4))) static int fail(char **err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(err, fmt, ap) < 0)
            *err = NULL;
        va_end(ap);
    }
    return code;
}

/* --- the audience --- */

static bool selector_known(const ag_schedule_input *in, const char *sel)
{
    if (strcmp(sel, "network") == 0)
        return true;
    if (strncmp(sel, "kind:", 5) == 0)
        return strcmp(sel + 5, "region") == 0 || strcmp(sel + 5, "province") == 0 ||
               strcmp(sel + 5, "commune") == 0;
    for (size_t i = 0; i < in->n_members; i++) {
        const ag_schedule_member *m = &in->members[i];
        if (strncmp(sel, "region:", 7) == 0
                ? m->kind == AG_MEMBER_REGION && strcmp(sel + 7, m->id) == 0
                : strcmp(sel, m->id) == 0)
            return true;
    }
    return false;
}

static int resolve_audience(proposal *p, char **err)
{
    const ag_schedule_input *in = p->in;
    ag_schedule_result *r = p->r;
    if (!(r->members = malloc((in->n_members ? in->n_members : 1) * sizeof *r->members)))
        return fail(err, AG_ENOMEM, "out of memory");
    for (size_t s = 0; s < p->q->n_audience; s++) {
        const char *sel = p->q->audience[s];
        bool any = false;
        for (size_t i = 0; !any && i < in->n_members; i++)
            any = ag_schedule_selects(sel, &in->members[i]);
        if (!selector_known(in, sel))
            return fail(err, AG_ENOENT, _("unknown member or selector \"%s\""), sel);
        if (!any)
            return fail(err, AG_ENOENT, _("selector \"%s\" names no member"), sel);
    }
    for (size_t i = 0; i < in->n_members; i++) {
        bool in_audience = false;
        for (size_t s = 0; !in_audience && s < p->q->n_audience; s++)
            in_audience = ag_schedule_selects(p->q->audience[s], &in->members[i]);
        if (in_audience)
            r->members[r->n_members++] = i;
    }
    return 0;
}

/* --- each member's working time and busy time --- */

static const ag_schedule_week *week_for(proposal *p, const ag_schedule_member *m)
{
    for (size_t k = 0; k < p->n_weeks; k++)
        if (strcmp(p->weeks[k].tzid, m->tzid) == 0 &&
            memcmp(p->weeks[k].hours, &m->hours, sizeof m->hours) == 0)
            return &p->weeks[k];
    ag_schedule_week *w = &p->weeks[p->n_weeks];
    if (ag_schedule_week_build(&p->cal, m->tzid, &m->hours, w) < 0)
        return NULL;
    p->n_weeks++;
    return w;
}

static int prepare_busy(walker *w)
{
    if (!w->n_busy)
        return 0;
    w->merged = malloc(w->n_busy * sizeof *w->merged);
    w->max_end = malloc(w->n_busy * sizeof *w->max_end);
    if (!w->merged || !w->max_end)
        return AG_ENOMEM;
    for (size_t k = 0; k < w->n_busy; k++) {
        w->merged[k] = (ag_schedule_span){w->busy[k].start, w->busy[k].end};
        int64_t prev = k ? w->max_end[k - 1] : w->busy[k].end;
        w->max_end[k] = w->busy[k].end > prev ? w->busy[k].end : prev;
    }
    w->n_merged = ag_schedule_merge_sorted(w->merged, w->n_busy);
    return 0;
}

static int prepare_members(proposal *p)
{
    size_t n = p->r->n_members;
    p->weeks = calloc(n ? n : 1, sizeof *p->weeks);
    p->w = calloc(n ? n : 1, sizeof *p->w);
    if (!p->weeks || !p->w)
        return AG_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        walker *w = &p->w[k];
        w->member = p->r->members[k];
        w->week = week_for(p, &p->in->members[w->member]);
        if (!w->week ||
            ag_schedule_member_busy(p->in, &p->occ, w->member, p->r->from, p->r->to, &w->busy,
                                    &w->n_busy) < 0 ||
            prepare_busy(w) < 0)
            return AG_ENOMEM;
    }
    return 0;
}

/* --- the candidates --- */

static int64_t day_of(const ag_datetime *d)
{
    return ag_schedule_day_of(d->year, d->month, d->day);
}

static void add_day_candidates(proposal *p, int64_t day)
{
    const char *tz = p->in->tzid;
    int64_t t0 = ag_schedule_instant(day, 0, tz);
    bool uniform = ag_schedule_instant(day + 1, 0, tz) - t0 == AG_SCHEDULE_DAY;
    const ag_schedule_day *d = ag_schedule_day_at(&p->cal, day);
    int step = (int)(p->q->step / 60);
    for (int minute = 0; minute < 24 * 60; minute += step) {
        int64_t s = uniform ? t0 + minute * 60 : ag_schedule_instant(day, minute, tz);
        /* A day whose clock goes back repeats an hour: each instant once. */
        if (s < p->r->from || s + p->q->duration > p->r->to ||
            (p->n_cand && s <= p->start[p->n_cand - 1]))
            continue;
        p->start[p->n_cand] = s;
        p->probable[p->n_cand++] = d && d->probable;
    }
}

static int make_candidates(proposal *p)
{
    int64_t first = day_of(&p->q->from), last = day_of(&p->q->to);
    size_t per_day = (size_t)((24 * 60 * 60 + p->q->step - 1) / p->q->step);
    size_t room = (size_t)(last - first + 1) * per_day;
    p->start = malloc(room * sizeof *p->start);
    p->n_out = calloc(room, sizeof *p->n_out);
    p->probable = malloc(room * sizeof *p->probable);
    if (!p->start || !p->n_out || !p->probable)
        return AG_ENOMEM;
    for (int64_t day = first; day <= last; day++)
        add_day_candidates(p, day);
    return 0;
}

/* Whether w's member cannot come to [s, e); moves its pointers. */
static bool out_of(walker *w, int64_t s, int64_t e)
{
    const ag_schedule_span *open = w->week->open;
    size_t n_open = w->week->n_open;
    while (w->i < n_open && open[w->i].end < e)
        w->i++;
    if (w->i == n_open || open[w->i].start > s)
        return true;
    while (w->j < w->n_merged && w->merged[w->j].end <= s)
        w->j++;
    return w->j < w->n_merged && w->merged[w->j].start < e;
}

static void count_out(proposal *p)
{
    for (size_t c = 0; c < p->n_cand; c++) {
        int64_t s = p->start[c], e = s + p->q->duration;
        uint16_t n = 0;
        for (size_t k = 0; k < p->r->n_members; k++)
            n += out_of(&p->w[k], s, e);
        p->n_out[c] = n;
    }
}

/* --- the order, and no two proposals overlapping --- */

/* 0: everyone free; 1: everyone free on a probable holiday; 1 + n: n
 * cannot come; -1: nobody can, which is no proposal. */
static long rank_of(const proposal *p, size_t c)
{
    if (!p->n_out[c])
        return p->probable[c];
    return p->n_out[c] < p->r->n_members ? 1 + (long)p->n_out[c] : -1;
}

/* Candidates by rank then start (a counting sort: ranks are few). */
static size_t *order(const proposal *p, size_t *n)
{
    size_t ranks = p->r->n_members + 2;
    size_t *pos = calloc(ranks + 1, sizeof *pos);
    size_t *out = malloc((p->n_cand ? p->n_cand : 1) * sizeof *out);
    if (!pos || !out) {
        free(pos);
        free(out);
        return NULL;
    }
    for (size_t c = 0; c < p->n_cand; c++)
        if (rank_of(p, c) >= 0)
            pos[rank_of(p, c) + 1]++;
    for (size_t k = 1; k <= ranks; k++)
        pos[k] += pos[k - 1];
    *n = pos[ranks];
    for (size_t c = 0; c < p->n_cand; c++)
        if (rank_of(p, c) >= 0)
            out[pos[rank_of(p, c)]++] = c;
    free(pos);
    return out;
}

/* taken: starts of the slots proposed so far, sorted; equal lengths, so
 * only the neighbours of s can overlap it. */
static bool overlaps(const int64_t *taken, size_t n, int64_t s, int64_t length, size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (taken[mid] < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return (lo > 0 && taken[lo - 1] + length > s) || (lo < n && taken[lo] < s + length);
}

static int choose(proposal *p, size_t **chosen, size_t *n_chosen)
{
    size_t n_order = 0, want = (size_t)p->q->count;
    size_t *ord = order(p, &n_order);
    int64_t *taken = malloc(want * sizeof *taken);
    *chosen = malloc(want * sizeof **chosen);
    *n_chosen = 0;
    if (!ord || !taken || !*chosen) {
        free(ord);
        free(taken);
        return AG_ENOMEM;
    }
    for (size_t k = 0; k < n_order && *n_chosen < want; k++) {
        int64_t s = p->start[ord[k]];
        size_t at;
        if (overlaps(taken, *n_chosen, s, p->q->duration, &at))
            continue;
        memmove(taken + at + 1, taken + at, (*n_chosen - at) * sizeof *taken);
        taken[at] = s;
        (*chosen)[(*n_chosen)++] = ord[k];
    }
    free(ord);
    free(taken);
    return 0;
}

/* --- why each member who cannot come cannot --- */

/* The first span of v (sorted, disjoint) that ends after s. */
static size_t first_after(const ag_schedule_span *v, size_t n, int64_t s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].end <= s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The busy interval that best says why: confirmed before tentative, a
 * network event before the member's own calendar. NULL when none. */
static const ag_schedule_busy *busy_reason(const walker *w, int64_t s, int64_t e)
{
    size_t lo = 0, hi = w->n_busy;
    while (lo < hi) { /* the first interval starting at or after e */
        size_t mid = (lo + hi) / 2;
        if (w->busy[mid].start < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    const ag_schedule_busy *best = NULL;
    for (size_t k = lo; k-- > 0 && w->max_end[k] > s;) {
        const ag_schedule_busy *b = &w->busy[k];
        if (b->end <= s)
            continue;
        int score = (!b->tentative) * 2 + (b->ev >= 0);
        int best_score = best ? (!best->tentative) * 2 + (best->ev >= 0) : -1;
        if (score > best_score)
            best = b;
    }
    return best;
}

static bool why_not(const walker *w, int64_t s, int64_t e, ag_schedule_why *why)
{
    const ag_schedule_week *wk = w->week;
    *why = (ag_schedule_why){.member = w->member, .ev = -1};
    size_t k = first_after(wk->off, wk->n_off, s);
    if (k < wk->n_off && wk->off[k].start < e) {
        why->why = AG_SCHEDULE_WHY_HOLIDAY;
        why->holiday = wk->off_day[k]->holiday;
        return true;
    }
    k = first_after(wk->open, wk->n_open, s);
    if (k == wk->n_open || wk->open[k].start > s || wk->open[k].end < e) {
        why->why = AG_SCHEDULE_WHY_HOURS;
        return true;
    }
    const ag_schedule_busy *b = busy_reason(w, s, e);
    if (!b)
        return false;
    why->why = b->ev >= 0 ? AG_SCHEDULE_WHY_EVENT : AG_SCHEDULE_WHY_CALENDAR;
    why->tentative = b->tentative;
    why->ev = b->ev;
    return true;
}

static int explain(proposal *p, const size_t *chosen, size_t n)
{
    ag_schedule_result *r = p->r;
    r->slots = calloc(n ? n : 1, sizeof *r->slots);
    size_t room = n * r->n_members;
    r->whys = malloc((room ? room : 1) * sizeof *r->whys);
    if (!r->slots || !r->whys)
        return AG_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        ag_schedule_slot *sl = &r->slots[r->n_slots++];
        int64_t s = p->start[chosen[k]], e = s + p->q->duration;
        *sl = (ag_schedule_slot){s, e, p->probable[chosen[k]], r->whys + r->n_whys, 0};
        for (size_t m = 0; m < r->n_members; m++)
            if (why_not(&p->w[m], s, e, &r->whys[r->n_whys]))
                r->n_whys++, sl->n_busy++;
    }
    return 0;
}

/* Only the events that concern someone of the audience are walked. */
static int occurrences(proposal *p)
{
    const ag_schedule_input *in = p->in;
    bool *wanted = calloc(in->n_events ? in->n_events : 1, sizeof *wanted);
    if (!wanted)
        return AG_ENOMEM;
    for (size_t i = 0; i < in->n_events; i++)
        for (size_t k = 0; !wanted[i] && k < p->r->n_members; k++)
            wanted[i] = ag_schedule_concerned(&in->members[p->r->members[k]], &in->events[i].ev);
    int rc = ag_schedule_occurrences_build(in, p->r->from, p->r->to, wanted, &p->occ);
    free(wanted);
    return rc;
}

/* --- the whole --- */

static void proposal_free(proposal *p)
{
    for (size_t k = 0; p->w && k < p->r->n_members; k++) {
        free(p->w[k].busy);
        free(p->w[k].max_end);
        free(p->w[k].merged);
    }
    free(p->w);
    for (size_t k = 0; k < p->n_weeks; k++)
        ag_schedule_week_free(&p->weeks[k]);
    free(p->weeks);
    ag_schedule_calendar_free(&p->cal);
    ag_schedule_occurrences_free(&p->occ);
    free(p->start);
    free(p->n_out);
    free(p->probable);
}

static int compute(proposal *p, char **err)
{
    int64_t first = day_of(&p->q->from), last = day_of(&p->q->to);
    int rc = resolve_audience(p, err);
    if (rc < 0)
        return rc;
    /* Local days of every zone around the window's. */
    rc = ag_schedule_calendar_build(p->in, first - 2, (size_t)(last - first + 5), &p->cal, err);
    if (rc == 0)
        rc = occurrences(p);
    if (rc == 0)
        rc = prepare_members(p);
    if (rc == 0)
        rc = make_candidates(p);
    if (rc < 0)
        return rc == AG_ENOMEM ? fail(err, rc, "out of memory") : rc;
    count_out(p);
    size_t *chosen = NULL, n_chosen = 0;
    rc = choose(p, &chosen, &n_chosen);
    if (rc == 0)
        rc = explain(p, chosen, n_chosen);
    free(chosen);
    return rc < 0 ? fail(err, rc, "out of memory") : 0;
}

void ag_schedule_result_free(ag_schedule_result *r)
{
    free(r->members);
    free(r->slots);
    free(r->whys);
    *r = (ag_schedule_result){0};
}

static int format(const ag_schedule_result *r, ag_schedule_format fmt, const char *lang,
                  int64_t now, char **body, size_t *len, char **err)
{
    int rc;
    if (fmt == AG_SCHEDULE_JSON)
        rc = ag_schedule_format_json(r, body, len);
    else if (fmt == AG_SCHEDULE_ICS)
        rc = ag_schedule_format_ics(r, lang, now, body, len);
    else
        rc = ag_schedule_format_txt(r, lang, body, len);
    return rc < 0 ? fail(err, rc, "cannot write the answer: %s", ag_strerror(rc)) : 0;
}

int ag_schedule_propose(const ag_schedule_input *in, const ag_schedule_query *q,
                        ag_schedule_format fmt, const char *lang, int64_t now, char **body,
                        size_t *len, char **err)
{
    if (err)
        *err = NULL;
    *body = NULL;
    *len = 0;
    int rc = ag_schedule_query_check(q, err);
    if (rc < 0)
        return rc;
    ag_schedule_result r = {.in = in, .q = q};
    ag_schedule_query_window(in, q, &r.from, &r.to);
    proposal p = {.in = in, .q = q, .r = &r};
    rc = compute(&p, err);
    proposal_free(&p);
    if (rc == 0)
        rc = format(&r, fmt, lang ? lang : in->lang, now, body, len, err);
    ag_schedule_result_free(&r);
    return rc;
}
