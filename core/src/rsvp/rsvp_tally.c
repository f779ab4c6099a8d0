/* One event's tally: who it concerns, their counted answers, attendance
 * at one occurrence; as JSON and CSV for /events/UID/attendance.*. */
#include "rsvp_tally.h"

#include "config_network.h"
#include "rsvp_internal.h"
#include "store_rsvp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ag_rsvp_member_row *v;
    size_t n, cap;
    /* Per row, while counting: a mark for the member as a whole (-1:
     * none), and whether any of its addresses was marked present, absent. */
    int *whole;
    bool *addr_present, *addr_absent;
} rows;

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].member);
    free(r->v);
    free(r->whole);
    free(r->addr_present);
    free(r->addr_absent);
    *r = (rows){0};
}

static bool rows_grow(rows *r)
{
    size_t c = r->cap ? 2 * r->cap : 32;
    ag_rsvp_member_row *v = realloc(r->v, c * sizeof *v);
    if (v)
        r->v = v;
    int *w = v ? realloc(r->whole, c * sizeof *w) : NULL;
    if (w)
        r->whole = w;
    bool *p = w ? realloc(r->addr_present, c * sizeof *p) : NULL;
    if (p)
        r->addr_present = p;
    bool *a = p ? realloc(r->addr_absent, c * sizeof *a) : NULL;
    if (a)
        r->addr_absent = a;
    if (!a)
        return false;
    r->cap = c;
    return true;
}

/* The row of member, added when missing; NULL when memory ran out. */
static ag_rsvp_member_row *row_of(rows *r, const char *member, size_t *at)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].member, member) == 0) {
            *at = i;
            return &r->v[i];
        }
    if (r->n == r->cap && !rows_grow(r))
        return NULL;
    char *id = strdup(member);
    if (!id)
        return NULL;
    *at = r->n;
    r->whole[r->n] = -1;
    r->addr_present[r->n] = r->addr_absent[r->n] = false;
    r->v[r->n] = (ag_rsvp_member_row){.member = id, .reply = AG_RSVP_REPLY_NONE, .attended = -1};
    return &r->v[r->n++];
}

static int rank(ag_rsvp_reply r)
{
    static const int ranks[] = {[AG_RSVP_REPLY_NONE] = 0,
                                [AG_RSVP_REPLY_DECLINED] = 1,
                                [AG_RSVP_REPLY_TENTATIVE] = 2,
                                [AG_RSVP_REPLY_ACCEPTED] = 3};
    return ranks[r];
}

static ag_rsvp_reply reply_of(const char *partstat)
{
    ag_rsvp_partstat p;
    if (!partstat || !ag_rsvp_partstat_parse(partstat, &p))
        return AG_RSVP_REPLY_NONE;
    switch (p) {
    case AG_RSVP_ACCEPTED:
        return AG_RSVP_REPLY_ACCEPTED;
    case AG_RSVP_DECLINED:
        return AG_RSVP_REPLY_DECLINED;
    default:
        return AG_RSVP_REPLY_TENTATIVE;
    }
}

static int add_concerned(rows *r, const ag_config *cfg, const ag_event *ev)
{
    for (size_t i = 0; i < cfg->n_members; i++) {
        if (!ag_config_member_concerned(cfg, ev, cfg->members[i].id))
            continue;
        size_t at;
        ag_rsvp_member_row *row = row_of(r, cfg->members[i].id, &at);
        if (!row)
            return AG_ENOMEM;
        row->invited = true;
    }
    return 0;
}

static int add_answers(rows *r, ag_store *st, const char *uid, char **err)
{
    ag_store_rsvp_answer *a = NULL;
    size_t n = 0;
    int rc = ag_store_rsvp_answers(st, uid, &a, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!a[i].member || a[i].cancelled)
            continue;
        size_t at;
        ag_rsvp_member_row *row = row_of(r, a[i].member, &at);
        if (!row) {
            rc = ag_rsvp_fail(err, AG_ENOMEM, "cannot count the answers", "out of memory");
            break;
        }
        ag_rsvp_reply got = reply_of(a[i].partstat);
        if (rank(got) > rank(row->reply))
            row->reply = got;
    }
    ag_store_rsvp_answers_free(a, n);
    return rc;
}

static int add_marks(rows *r, ag_store *st, const char *uid, const char *occurrence, char **chosen,
                     char **err)
{
    ag_store_attendance *m = NULL;
    size_t n = 0;
    int rc = ag_store_rsvp_attendance_of(st, uid, &m, &n, err);
    /* Sorted by occurrence: the last is the latest. */
    const char *occ = occurrence ? occurrence : n ? m[n - 1].occurrence : NULL;
    for (size_t i = 0; rc == 0 && occ && i < n; i++) {
        if (strcmp(m[i].occurrence, occ) != 0 || !m[i].member[0])
            continue;
        size_t at;
        if (!row_of(r, m[i].member, &at)) {
            rc = ag_rsvp_fail(err, AG_ENOMEM, "cannot count attendance", "out of memory");
            break;
        }
        if (!m[i].address[0])
            r->whole[at] = m[i].present;
        else if (m[i].present)
            r->addr_present[at] = true;
        else
            r->addr_absent[at] = true;
    }
    if (rc == 0 && occ && !(*chosen = strdup(occ)))
        rc = ag_rsvp_fail(err, AG_ENOMEM, "cannot count attendance", "out of memory");
    ag_store_rsvp_attendance_free(m, n);
    return rc;
}

/* A mark for the member as a whole wins over its addresses'. */
static void settle_attendance(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        r->v[i].attended = r->whole[i] >= 0     ? r->whole[i]
                           : r->addr_present[i] ? 1
                           : r->addr_absent[i]  ? 0
                                                : -1;
}

static int by_member(const void *a, const void *b)
{
    return strcmp(((const ag_rsvp_member_row *)a)->member, ((const ag_rsvp_member_row *)b)->member);
}

int ag_rsvp_tally_event(ag_store *st, const ag_config *cfg, const ag_event *ev,
                        const char *occurrence, ag_rsvp_tally *out, char **err)
{
    *out = (ag_rsvp_tally){0};
    if (err)
        *err = NULL;
    rows r = {0};
    char *chosen = NULL;
    int rc = add_concerned(&r, cfg, ev);
    if (rc < 0)
        rc = ag_rsvp_fail(err, rc, "cannot count the answers", "out of memory");
    if (rc == 0)
        rc = add_answers(&r, st, ev->uid, err);
    if (rc == 0)
        rc = add_marks(&r, st, ev->uid, occurrence, &chosen, err);
    if (rc == 0 && !(out->uid = strdup(ev->uid)))
        rc = ag_rsvp_fail(err, AG_ENOMEM, "cannot count the answers", "out of memory");
    if (rc < 0) {
        rows_free(&r);
        free(chosen);
        free(out->uid);
        *out = (ag_rsvp_tally){0};
        return rc;
    }
    settle_attendance(&r);
    qsort(r.v, r.n, sizeof *r.v, by_member);
    out->occurrence = chosen;
    out->rows = r.v;
    out->n = r.n;
    free(r.whole);
    free(r.addr_present);
    free(r.addr_absent);
    return 0;
}

void ag_rsvp_tally_free(ag_rsvp_tally *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].member);
    free(t->rows);
    free(t->uid);
    free(t->occurrence);
    *t = (ag_rsvp_tally){0};
}

/* ---- JSON and CSV ---- */

/* A JSON string: ids and dates are plain, but escape anyway. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

typedef bool (*row_test)(const ag_rsvp_member_row *r);

static bool is_invited(const ag_rsvp_member_row *r)
{
    return r->invited;
}
static bool is_accepted(const ag_rsvp_member_row *r)
{
    return r->reply == AG_RSVP_REPLY_ACCEPTED;
}
static bool is_tentative(const ag_rsvp_member_row *r)
{
    return r->reply == AG_RSVP_REPLY_TENTATIVE;
}
static bool is_declined(const ag_rsvp_member_row *r)
{
    return r->reply == AG_RSVP_REPLY_DECLINED;
}
static bool is_no_answer(const ag_rsvp_member_row *r)
{
    return r->invited && r->reply == AG_RSVP_REPLY_NONE;
}
static bool is_present(const ag_rsvp_member_row *r)
{
    return r->attended == 1;
}
static bool is_absent(const ag_rsvp_member_row *r)
{
    return r->attended == 0;
}

static const struct {
    const char *key;
    row_test test;
} lists[] = {
    {"invited", is_invited},   {"accepted", is_accepted},   {"tentative", is_tentative},
    {"declined", is_declined}, {"no_answer", is_no_answer}, {"attended", is_present},
    {"absent", is_absent},
};

int ag_rsvp_tally_json(const ag_rsvp_tally *t, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    if (!f)
        return AG_ENOMEM;
    fputs("{\"uid\": ", f);
    json_string(f, t->uid);
    fputs(", \"occurrence\": ", f);
    if (t->occurrence)
        json_string(f, t->occurrence);
    else
        fputs("null", f);
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        fprintf(f, ", \"%s\": [", lists[k].key);
        bool first = true;
        for (size_t i = 0; i < t->n; i++)
            if (lists[k].test(&t->rows[i])) {
                fputs(first ? "" : ", ", f);
                json_string(f, t->rows[i].member);
                first = false;
            }
        fputc(']', f);
    }
    fputs("}\n", f);
    return fclose(f) == 0 ? 0 : AG_ENOMEM;
}

static const char *reply_word(const ag_rsvp_member_row *r)
{
    switch (r->reply) {
    case AG_RSVP_REPLY_ACCEPTED:
        return "accepted";
    case AG_RSVP_REPLY_TENTATIVE:
        return "tentative";
    case AG_RSVP_REPLY_DECLINED:
        return "declined";
    default:
        return r->invited ? "no_answer" : "";
    }
}

int ag_rsvp_tally_csv(const ag_rsvp_tally *t, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    if (!f)
        return AG_ENOMEM;
    /* Member ids are [a-z0-9-]: no cell needs quoting. */
    fputs("member,invited,reply,attended\r\n", f);
    for (size_t i = 0; i < t->n; i++) {
        const ag_rsvp_member_row *r = &t->rows[i];
        fprintf(f, "%s,%s,%s,%s\r\n", r->member, r->invited ? "yes" : "no", reply_word(r),
                r->attended == 1   ? "present"
                : r->attended == 0 ? "absent"
                                   : "");
    }
    return fclose(f) == 0 ? 0 : AG_ENOMEM;
}
