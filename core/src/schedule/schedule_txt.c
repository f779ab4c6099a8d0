/* The answer for a person, in Arabic or French: a table of slots in the
 * network's wall clock, and under each near-miss who cannot come and why.
 * Columns are padded by characters, not bytes, so that Arabic lines up. */
#include "schedule_internal.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *title, *member, *members, *window_from, *window_to, *zone, *unknown, *none;
    const char *col[5];
    const char *weekday[7];
    const char *probable, *event, *tentative, *calendar, *holiday, *hours;
} words;

static const words fr = {
    "Créneaux pour",
    "membre",
    "membres",
    "du",
    "au",
    "heure de",
    "Calendrier jamais lu, compté libre :",
    "Aucun créneau : personne ne peut venir pendant cette période.",
    {"n°", "jour", "date", "heure", "libres"},
    {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"},
    "jour férié probable",
    "événement",
    "provisoire",
    "son calendrier",
    "jour férié",
    "hors des heures de travail",
};

static const words ar = {
    "مواعيد مقترحة لـ",
    "عضو",
    "أعضاء",
    "من",
    "إلى",
    "بتوقيت",
    "تقويم لم يُقرأ قط، يُعدّ متاحا:",
    "لا يوجد أي موعد: لا أحد يستطيع الحضور في هذه الفترة.",
    {"رقم", "اليوم", "التاريخ", "الساعة", "المتاحون"},
    {"الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"},
    "عطلة محتملة",
    "نشاط",
    "غير مؤكد",
    "تقويمه الخاص",
    "عطلة",
    "خارج أوقات العمل",
};

/* Characters, not bytes: UTF-8 continuation bytes are not counted. */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void cell(ag_schedule_text *t, const char *s, size_t w)
{
    ag_schedule_text_add(t, s);
    for (size_t n = width(s); n < w; n++)
        ag_schedule_text_add(t, " ");
    ag_schedule_text_add(t, "  ");
}

static size_t widest(const char *const *v, size_t n, size_t at_least)
{
    for (size_t i = 0; i < n; i++)
        if (width(v[i]) > at_least)
            at_least = width(v[i]);
    return at_least;
}

static const char *text_in(const char *ar_s, const char *fr_s, const char *lang)
{
    bool in_fr = strcmp(lang, "fr") == 0;
    const char *s = in_fr ? fr_s : ar_s;
    return s ? s : in_fr ? ar_s : fr_s;
}

static void duration(ag_schedule_text *t, int64_t seconds, const words *w)
{
    long long min = seconds / 60;
    if (w != &fr)
        ag_schedule_text_addf(t, "%lld دقيقة", min);
    else if (min < 60)
        ag_schedule_text_addf(t, "%lld min", min);
    else if (min % 60 == 0)
        ag_schedule_text_addf(t, "%lld h", min / 60);
    else
        ag_schedule_text_addf(t, "%lld h %lld min", min / 60, min % 60);
}

static void header(ag_schedule_text *t, const ag_schedule_result *r, const words *w)
{
    const ag_schedule_query *q = r->q;
    const char *comma = w == &fr ? ", " : "، ";
    ag_schedule_text_addf(t, "%s ", w->title);
    for (size_t i = 0; i < q->n_audience; i++)
        ag_schedule_text_addf(t, "%s%s", i ? comma : "", q->audience[i]);
    ag_schedule_text_addf(t, " — %zu %s%s", r->n_members,
                          r->n_members == 1 ? w->member : w->members, comma);
    duration(t, q->duration, w);
    ag_schedule_text_addf(t, "%s%s %04d-%02d-%02d %s %04d-%02d-%02d (%s %s)\n", comma,
                          w->window_from, q->from.year, q->from.month, q->from.day, w->window_to,
                          q->to.year, q->to.month, q->to.day, w->zone, r->in->tzid);
}

static void unknown_line(ag_schedule_text *t, const ag_schedule_result *r, const words *w)
{
    bool any = false;
    for (size_t k = 0; k < r->n_members; k++) {
        size_t m = r->members[k];
        if (!ag_schedule_unknown(r->in, m, r->from, r->to))
            continue;
        ag_schedule_text_addf(t, "%s %s", any ? (w == &fr ? "," : "،") : w->unknown,
                              r->in->members[m].id);
        any = true;
    }
    if (any)
        ag_schedule_text_add(t, "\n");
}

/* French sets a space before a colon; Arabic does not. */
static const char *colon(const words *w)
{
    return w == &fr ? " : " : ": ";
}

static void reason(ag_schedule_text *t, const ag_schedule_result *r, const ag_schedule_why *y,
                   const words *w, const char *lang, const char *indent)
{
    const ag_schedule_member *m = &r->in->members[y->member];
    const char *name = text_in(m->name.ar, m->name.fr, lang);
    ag_schedule_text_addf(t, "%s- %s (%s)%s", indent, name ? name : m->id, m->id, colon(w));
    if (y->why == AG_SCHEDULE_WHY_HOLIDAY) {
        const char *h = text_in(y->holiday.ar, y->holiday.fr, lang);
        ag_schedule_text_addf(t, "%s%s%s", w->holiday, h ? colon(w) : "", h ? h : "");
    } else if (y->why == AG_SCHEDULE_WHY_HOURS) {
        ag_schedule_text_add(t, w->hours);
    } else if (y->why == AG_SCHEDULE_WHY_EVENT) {
        const ag_event *ev = &r->in->events[y->ev].ev;
        const char *title = text_in(ev->title.ar, ev->title.fr, lang);
        ag_schedule_text_addf(t, "%s %s", w->event, ev->uid);
        if (title)
            ag_schedule_text_addf(t, w == &fr ? " « %s »" : " «%s»", title);
    } else {
        ag_schedule_text_add(t, w->calendar);
    }
    if (y->tentative)
        ag_schedule_text_addf(t, " (%s)", w->tentative);
    ag_schedule_text_add(t, "\n");
}

static void row(ag_schedule_text *t, const ag_schedule_result *r, size_t k, const size_t *cols,
                const words *w, const char *lang)
{
    const ag_schedule_slot *s = &r->slots[k];
    char num[24], date[16], hours[32], free_[48], a[32], b[32];
    ag_schedule_local_iso(s->start, r->in->tzid, a, sizeof a);
    ag_schedule_local_iso(s->end, r->in->tzid, b, sizeof b);
    snprintf(num, sizeof num, "%zu", k + 1);
    snprintf(date, sizeof date, "%.10s", a);
    snprintf(hours, sizeof hours, "%.5s–%.5s", a + 11, b + 11);
    snprintf(free_, sizeof free_, "%zu/%zu", r->n_members - s->n_busy, r->n_members);
    int y, mo, d;
    sscanf(date, "%d-%d-%d", &y, &mo, &d);
    cell(t, num, cols[0]);
    cell(t, w->weekday[ag_schedule_weekday(ag_schedule_day_of(y, mo, d))], cols[1]);
    cell(t, date, cols[2]);
    cell(t, hours, cols[3]);
    ag_schedule_text_add(t, free_);
    if (s->probable_holiday)
        ag_schedule_text_addf(t, "  %s", w->probable);
    ag_schedule_text_add(t, "\n");
    for (size_t i = 0; i < s->n_busy; i++)
        reason(t, r, &s->busy[i], w, lang, "      ");
}

void ag_schedule_txt_notes(ag_schedule_text *t, const ag_schedule_result *r,
                           const ag_schedule_slot *s, const char *lang)
{
    const words *w = strcmp(lang, "fr") == 0 ? &fr : &ar;
    ag_schedule_text_addf(t, "%s%s%zu/%zu\n", w->col[4], colon(w), r->n_members - s->n_busy,
                          r->n_members);
    if (s->probable_holiday)
        ag_schedule_text_addf(t, "%s\n", w->probable);
    for (size_t i = 0; i < s->n_busy; i++)
        reason(t, r, &s->busy[i], w, lang, "");
}

static void table(ag_schedule_text *t, const ag_schedule_result *r, const words *w,
                  const char *lang)
{
    char last[24]; /* a size_t in decimal: 20 digits at most */
    snprintf(last, sizeof last, "%zu", r->n_slots);
    size_t cols[4] = {widest(&w->col[0], 1, width(last)), widest(w->weekday, 7, width(w->col[1])),
                      widest(&w->col[2], 1, 10), widest(&w->col[3], 1, 11)};
    for (size_t c = 0; c < 4; c++)
        cell(t, w->col[c], cols[c]);
    ag_schedule_text_addf(t, "%s\n", w->col[4]);
    for (size_t k = 0; k < r->n_slots; k++)
        row(t, r, k, cols, w, lang);
}

int ag_schedule_format_txt(const ag_schedule_result *r, const char *lang, char **body, size_t *len)
{
    const words *w = strcmp(lang, "fr") == 0 ? &fr : &ar;
    ag_schedule_text t = {0};
    header(&t, r, w);
    unknown_line(&t, r, w);
    ag_schedule_text_add(&t, "\n");
    if (r->n_slots)
        table(&t, r, w, lang);
    else
        ag_schedule_text_addf(&t, "%s\n", w->none);
    if (t.failed) {
        free(t.s);
        return AG_ENOMEM;
    }
    *body = t.s;
    *len = t.len;
    return 0;
}
