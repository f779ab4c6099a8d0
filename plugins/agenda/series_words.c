#include "series_words.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DAY 86400
#define MAX_ITEMS 31

/* ------------------------------------------------------------ the text */

typedef struct {
    char *p;
    size_t size, len;
    bool failed;
} text;

__attribute__((format(printf, 2, 3))) static void put(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->size - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->size - t->len)
        t->failed = true;
    else
        t->len += (size_t)n;
}

/* Between the items of a list: "a, b et c" / "a وb وc". */
static void put_sep(text *t, bool fr, size_t i, size_t n)
{
    if (i == 0)
        return;
    if (!fr)
        put(t, " و");
    else
        put(t, i == n - 1 ? " et " : ", ");
}

/* ----------------------------------------------------- the rule's parts */

typedef struct {
    int weekday;  /* libical's: 1 Sunday .. 7 Saturday */
    int position; /* 0: every one; 1..5; -1 last; -2 second to last */
} day_item;

typedef struct {
    icalrecurrencetype_frequency freq;
    int interval;
    day_item days[MAX_ITEMS];
    size_t n_days;
    bool any_position, all_positions;
    int month_days[MAX_ITEMS];
    size_t n_month_days;
    int months[MAX_ITEMS];
    size_t n_months;
    bool other; /* a part this module does not put in words */
} parts;

static size_t list_len(const short *list, size_t cap)
{
    size_t n = 0;
    while (n < cap && list[n] != ICAL_RECURRENCE_ARRAY_MAX)
        n++;
    return n;
}

static bool position_known(int pos)
{
    return (pos >= 0 && pos <= 5) || pos == -1 || pos == -2;
}

static void read_parts(const series *s, parts *p)
{
    const struct icalrecurrencetype *r = &s->rule;
    memset(p, 0, sizeof *p);
    p->freq = r->freq;
    p->interval = r->interval > 0 ? r->interval : 1;
    p->other = s->other_calendar || r->freq < ICAL_DAILY_RECURRENCE ||
               r->freq > ICAL_YEARLY_RECURRENCE || list_len(r->by_second, ICAL_BY_SECOND_SIZE) ||
               list_len(r->by_minute, ICAL_BY_MINUTE_SIZE) ||
               list_len(r->by_hour, ICAL_BY_HOUR_SIZE) ||
               list_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
               list_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE) ||
               list_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE);
    size_t n = list_len(r->by_day, ICAL_BY_DAY_SIZE);
    p->all_positions = n > 0;
    for (size_t i = 0; i < n; i++) {
        day_item d = {(int)icalrecurrencetype_day_day_of_week(r->by_day[i]),
                      icalrecurrencetype_day_position(r->by_day[i])};
        if (i == MAX_ITEMS || d.weekday < 1 || d.weekday > 7 || !position_known(d.position)) {
            p->other = true;
            break;
        }
        p->days[p->n_days++] = d;
        p->any_position = p->any_position || d.position != 0;
        p->all_positions = p->all_positions && d.position != 0;
    }
    n = list_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
    for (size_t i = 0; i < n && !p->other; i++) {
        int d = r->by_month_day[i];
        if (i == MAX_ITEMS || d == 0 || d > 31 || (d < 0 && (d != -1 || n > 1)))
            p->other = true;
        else
            p->month_days[p->n_month_days++] = d;
    }
    n = list_len(r->by_month, ICAL_BY_MONTH_SIZE);
    for (size_t i = 0; i < n && !p->other; i++) {
        int m = icalrecurrencetype_month_month(r->by_month[i]);
        if (i == MAX_ITEMS || m < 1 || m > 12 || icalrecurrencetype_month_is_leap(r->by_month[i]))
            p->other = true;
        else
            p->months[p->n_months++] = m;
    }
}

/* libical's weekday (1 Sunday .. 7 Saturday) of a wall-clock time. */
static int weekday_of(int64_t wall)
{
    int64_t days = (wall >= 0 ? wall : wall - (DAY - 1)) / DAY;
    return (int)(((days + 4) % 7 + 7) % 7) + 1; /* 1970-01-01 was a Thursday */
}

/* ----------------------------------------------------------- the words */

static const char *const fr_weekdays[] = {"",         "dimanche", "lundi",    "mardi",
                                          "mercredi", "jeudi",    "vendredi", "samedi"};
static const char *const ar_weekdays[] = {"",         "الأحد",  "الاثنين", "الثلاثاء",
                                          "الأربعاء", "الخميس", "الجمعة",  "السبت"};

/* With its article: "le premier", "l'avant-dernier". */
static const char *fr_ordinal(int pos)
{
    static const char *const n[] = {
        "", "le premier", "le deuxième", "le troisième", "le quatrième", "le cinquième"};
    return pos == -1 ? "le dernier" : pos == -2 ? "l'avant-dernier" : n[pos];
}

static const char *ar_ordinal(int pos)
{
    static const char *const n[] = {"", "الأول", "الثاني", "الثالث", "الرابع", "الخامس"};
    return pos == -1 ? "الأخير" : pos == -2 ? "ما قبل الأخير" : n[pos];
}

/* "chaque mois", "toutes les 2 semaines"; "كل شهر"، "كل أسبوعين". Arabic
 * counts: dual for 2, plural from 3 to 10, singular from 11. */
static void put_every(text *t, bool fr, icalrecurrencetype_frequency freq, int n)
{
    static const struct {
        const char *fr_one, *fr_all, *fr_unit, *ar_one, *ar_two, *ar_few, *ar_many;
    } unit[] = {
        {"chaque jour", "tous les", "jours", "كل يوم", "كل يومين", "أيام", "يوما"},
        {"chaque semaine", "toutes les", "semaines", "كل أسبوع", "كل أسبوعين", "أسابيع", "أسبوعا"},
        {"chaque mois", "tous les", "mois", "كل شهر", "كل شهرين", "أشهر", "شهرا"},
        {"chaque année", "tous les", "ans", "كل سنة", "كل سنتين", "سنوات", "سنة"},
    };
    int u = (int)freq - ICAL_DAILY_RECURRENCE;
    if (fr && n == 1)
        put(t, "%s", unit[u].fr_one);
    else if (fr)
        put(t, "%s %d %s", unit[u].fr_all, n, unit[u].fr_unit);
    else if (n <= 2)
        put(t, "%s", n == 1 ? unit[u].ar_one : unit[u].ar_two);
    else
        put(t, "كل %d %s", n, n <= 10 ? unit[u].ar_few : unit[u].ar_many);
}

/* "le lundi et le jeudi"; "يومي الاثنين والخميس". */
static void put_weekdays(text *t, bool fr, const day_item *days, size_t n)
{
    if (!fr)
        put(t, n == 1 ? "يوم " : n == 2 ? "يومي " : "أيام ");
    for (size_t i = 0; i < n; i++) {
        put_sep(t, fr, i, n);
        put(t, "%s%s", fr ? "le " : "", (fr ? fr_weekdays : ar_weekdays)[days[i].weekday]);
    }
}

/* "le premier mardi et le dernier jeudi"; "يوم الثلاثاء الأول ويوم الخميس
 * الأخير". */
static void put_nth_weekdays(text *t, bool fr, const day_item *days, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put_sep(t, fr, i, n);
        if (fr)
            put(t, "%s %s", fr_ordinal(days[i].position), fr_weekdays[days[i].weekday]);
        else
            put(t, "يوم %s %s", ar_weekdays[days[i].weekday], ar_ordinal(days[i].position));
    }
}

/* "le 1er et le 15", "le dernier jour du mois"; "في اليوم 6 من الشهر". */
static void put_month_days(text *t, bool fr, const int *days, size_t n)
{
    if (days[0] == -1) {
        put(t, fr ? "le dernier jour du mois" : "في آخر يوم من الشهر");
        return;
    }
    if (!fr)
        put(t, n == 1 ? "في اليوم " : "في الأيام ");
    for (size_t i = 0; i < n; i++) {
        put_sep(t, fr, i, n);
        if (fr)
            put(t, "le %d%s", days[i], days[i] == 1 ? "er" : "");
        else
            put(t, "%d", days[i]);
    }
    if (!fr)
        put(t, " من الشهر");
}

static void put_date(text *t, datefmt *df, const char *lang, const char *skeleton, int64_t wall)
{
    char buf[128];
    if (datefmt_format(df, lang, NULL, skeleton, wall, buf, sizeof buf) != 0)
        t->failed = true;
    else
        put(t, "%s", buf);
}

/* The month's name, from a day in it. */
static void put_month(text *t, datefmt *df, const char *lang, int64_t first_wall, int month)
{
    icaltimetype y = icaltime_from_timet_with_zone((time_t)first_wall, 1, NULL);
    put_date(t, df, lang, "MMMM", series_wall(y.year, month, 15, 12, 0, 0));
}

static bool starts_with_vowel(const char *s)
{
    return strchr("aeiouAEIOU", s[0]) != NULL || strncmp(s, "août", 5) == 0;
}

/* The detail after the frequency; false when the rule is not one this
 * module puts in words. */
static bool put_detail(text *t, bool fr, const char *lang, datefmt *df, const parts *p,
                       const series *s)
{
    int64_t first = s->dates[0].wall;
    day_item own = {weekday_of(first), 0};
    switch (p->freq) {
    case ICAL_DAILY_RECURRENCE:
        return p->n_days == 0 && p->n_month_days == 0 && p->n_months == 0;
    case ICAL_WEEKLY_RECURRENCE:
        if (p->any_position || p->n_month_days || p->n_months)
            return false;
        put(t, fr ? ", " : "، ");
        if (p->n_days)
            put_weekdays(t, fr, p->days, p->n_days);
        else
            put_weekdays(t, fr, &own, 1);
        return true;
    case ICAL_MONTHLY_RECURRENCE:
        /* Weekdays without ordinals every other month are left generic. */
        if (p->n_months || (p->n_days && (p->n_month_days || !p->all_positions)))
            return false;
        put(t, fr ? ", " : "، ");
        if (p->n_days)
            put_nth_weekdays(t, fr, p->days, p->n_days);
        else if (p->n_month_days)
            put_month_days(t, fr, p->month_days, p->n_month_days);
        else {
            int day = icaltime_from_timet_with_zone((time_t)first, 0, NULL).day;
            put_month_days(t, fr, &day, 1);
        }
        return true;
    case ICAL_YEARLY_RECURRENCE:
        if (p->n_month_days)
            return false;
        if (p->n_months == 0 && p->n_days == 0) {
            put(t, fr ? ", le " : "، في ");
            put_date(t, df, lang, "MMMMd", first);
            return true;
        }
        if (p->n_months != 1 || !p->all_positions)
            return false;
        put(t, fr ? ", " : "، ");
        put_nth_weekdays(t, fr, p->days, p->n_days);
        if (fr) {
            char month[64];
            text m = {month, sizeof month, 0, false};
            put_month(&m, df, lang, first, p->months[0]);
            t->failed = t->failed || m.failed;
            put(t, starts_with_vowel(month) ? " d'%s" : " de %s", month);
        } else {
            put(t, " من ");
            put_month(t, df, lang, first, p->months[0]);
        }
        return true;
    default:
        return false;
    }
}

int series_words(const series *s, const char *lang, datefmt *df, char *out, size_t size)
{
    if (!size)
        return -1;
    out[0] = '\0';
    if (s->n == 0)
        return -1;
    bool fr = strcmp(lang, "fr") == 0;
    parts p;
    read_parts(s, &p);
    /* DAILY on some weekdays, and MONTHLY on every such weekday, are
     * weekly rules when they do not skip any period. */
    if (!p.other && p.interval == 1 && p.n_days && !p.any_position && !p.n_month_days &&
        !p.n_months && (p.freq == ICAL_DAILY_RECURRENCE || p.freq == ICAL_MONTHLY_RECURRENCE))
        p.freq = ICAL_WEEKLY_RECURRENCE;
    text t = {out, size, 0, false};
    bool worded = false;
    if (!p.other) {
        put_every(&t, fr, p.freq, p.interval);
        worded = put_detail(&t, fr, lang, df, &p, s);
    }
    if (!worded) {
        t.len = 0;
        t.failed = false;
        put(&t, fr ? "se répète" : "يتكرر");
    }
    bool ends = (s->rule.count > 0 || !icaltime_is_null_time(s->rule.until)) && !s->capped;
    if (ends) {
        put(&t, worded ? (fr ? ", jusqu'au " : "، حتى ") : (fr ? " jusqu'au " : " حتى "));
        put_date(&t, df, lang, "yMMMMd", s->dates[s->n - 1].wall);
    }
    if (t.failed) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}
