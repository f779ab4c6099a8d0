/* The feed's output buffer. Failure is sticky so that writers can append
 * freely and check once. */
#include "feed_internal.h"

#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void ag_feed_buf_small(ag_feed_buf *b)
{
    *b = (ag_feed_buf){.data = malloc(1024), .cap = 1024};
    if (b->data)
        b->data[0] = '\0';
    else
        b->failed = true;
}

/* A 10,000-event feed is 51 MB written once, front to back, into fresh
 * memory: with 4 KiB pages that is 12,500 page faults, which on a VM cost
 * as much as formatting a sixth of the events. Transparent huge pages cut
 * them to a few dozen, but only in a buffer that stays put: growing by
 * mremap to an address of another alignment splits them again, hence the
 * reservation up front. Only the 2 MiB-aligned interior can be advised;
 * failure (THP compiled out or disabled) just leaves small pages. */
enum { HUGE_FROM = 4 << 20, HUGE_PAGE = 2 << 20 };

static void advise_huge(char *data, size_t cap)
{
    uintptr_t from = ((uintptr_t)data + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t to = ((uintptr_t)data + cap) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_HUGEPAGE);
}

void ag_feed_buf_reserve(ag_feed_buf *b, size_t cap)
{
    if (b->failed || b->data || cap == 0)
        return;
    /* Under strict overcommit a generous reservation may be refused where
     * the real size would fit: then the buffer just grows as it goes. */
    b->data = malloc(cap);
    if (!b->data)
        return;
    b->data[0] = '\0';
    b->cap = cap;
    if (cap >= HUGE_FROM)
        advise_huge(b->data, cap);
}

void ag_feed_buf_put(ag_feed_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ag_feed_buf_puts(ag_feed_buf *b, const char *s)
{
    ag_feed_buf_put(b, s, strlen(s));
}

void ag_feed_buf_take(ag_feed_buf *b, char *s)
{
    if (!s) {
        b->failed = true;
        return;
    }
    ag_feed_buf_puts(b, s);
    free(s);
}

void ag_feed_buf_prop(ag_feed_buf *b, icalproperty *p)
{
    if (!p) {
        b->failed = true;
        return;
    }
    ag_feed_buf_take(b, icalproperty_as_ical_string_r(p));
    icalproperty_free(p);
}

void ag_feed_buf_component(ag_feed_buf *b, icalcomponent *c)
{
    if (!c) {
        b->failed = true;
        return;
    }
    ag_feed_buf_take(b, icalcomponent_as_ical_string_r(c));
    icalcomponent_free(c);
}

void ag_feed_buf_time(ag_feed_buf *b, const char *name, icaltimetype t)
{
    char *v = icaltime_as_ical_string_r(t);
    if (!v) {
        b->failed = true;
        return;
    }
    ag_feed_buf_puts(b, name);
    ag_feed_buf_put(b, ":", 1);
    ag_feed_buf_puts(b, v);
    ag_feed_buf_put(b, "\r\n", 2);
    free(v);
}

/* Up to this many octets before CRLF, libical 3.0 writes a line unfolded
 * (it folds longer ones at a parameter or value boundary first). */
enum { PLAIN_LINE_MAX = 72 };

/* What libical's TEXT printer would change or drop: escaped characters,
 * controls (DEL is dropped), and malformed UTF-8 (imported text). */
static bool plain_value(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f || c == '\\' || c == ';' || c == ',')
            return false;
    }
    return ag_utf8_valid(v, n);
}

bool ag_feed_buf_plain(ag_feed_buf *b, const char *name, const char *lang, const char *value)
{
    size_t nn = strlen(name), nv = strlen(value), nl = lang ? strlen(lang) : 0;
    size_t line = nn + (lang ? sizeof ";LANGUAGE=" - 1 + nl : 0) + 1 + nv;
    if (line > PLAIN_LINE_MAX || !plain_value(value, nv))
        return false;
    ag_feed_buf_put(b, name, nn);
    if (lang) {
        ag_feed_buf_put(b, ";LANGUAGE=", sizeof ";LANGUAGE=" - 1);
        ag_feed_buf_put(b, lang, nl);
    }
    ag_feed_buf_put(b, ":", 1);
    ag_feed_buf_put(b, value, nv);
    ag_feed_buf_put(b, "\r\n", 2);
    return true;
}

static char *put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

/* Proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's
 * civil_from_days): gmtime_r locks and consults the zone on every call. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void ag_feed_buf_utc(ag_feed_buf *b, const char *name, int64_t t)
{
    int64_t days = t / 86400, secs = t % 86400, year;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int month, day;
    civil_from_days(days, &year, &month, &day);
    if (year < 0 || year > 9999) {
        ag_feed_buf_time(
            b, name, icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone()));
        return;
    }
    char v[sizeof "YYYYMMDDTHHMMSSZ\r\n"], *p = v;
    p = put_digits(p, (int)year, 4);
    p = put_digits(p, month, 2);
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, (int)(secs / 3600), 2);
    p = put_digits(p, (int)(secs / 60 % 60), 2);
    p = put_digits(p, (int)(secs % 60), 2);
    memcpy(p, "Z\r\n", 3);
    ag_feed_buf_puts(b, name);
    ag_feed_buf_put(b, ":", 1);
    ag_feed_buf_put(b, v, sizeof v - 1);
}

bool ag_feed_memo_put(ag_feed_buf *b, const char *prop, const char *value)
{
    for (size_t i = 0; b->memo && i < b->memo->n; i++) {
        const ag_feed_memo_entry *e = &b->memo->e[i];
        if (e->prop == prop && strcmp(e->value, value) == 0) {
            ag_feed_buf_puts(b, e->line);
            return true;
        }
    }
    return false;
}

void ag_feed_memo_add(ag_feed_buf *b, const char *prop, const char *value, size_t from)
{
    ag_feed_memo *m = b->memo;
    if (!m || b->failed || m->n == AG_FEED_MEMO_MAX)
        return;
    ag_feed_memo_entry e = {prop, strdup(value), strndup(b->data + from, b->len - from)};
    if (e.value && e.line) {
        m->e[m->n++] = e;
        return;
    }
    free(e.value);
    free(e.line);
}

void ag_feed_memo_free(ag_feed_memo *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].value);
        free(m->e[i].line);
    }
    m->n = 0;
}
