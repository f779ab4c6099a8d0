/* Value formats of the schema: dates, times, durations, ids; and the typo
 * suggestions that make messages actionable. */
#include "config_internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *const ag_config_slot_kinds[] = {
    "session", "workshop", "break",        "meal",     "reception", "opening",
    "closing", "talk",     "presentation", "training", "other",     NULL,
};

/* Exactly n ASCII digits. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : dim[m - 1];
}

int ag_config_parse_clock(const char *s, int *h, int *m, int *sec)
{
    *sec = 0;
    if (!digits(s, 2, h) || s[2] != ':' || !digits(s + 3, 2, m))
        return AG_EINVAL;
    if (s[5] == ':' && !digits(s + 6, 2, sec))
        return AG_EINVAL;
    const char *rest = s[5] == ':' ? s + 8 : s + 5;
    if (*rest)
        return AG_EINVAL;
    return *h <= 23 && *m <= 59 && *sec <= 59 ? 0 : 1;
}

static bool is_zone(const char *s)
{
    if ((s[0] == 'Z' || s[0] == 'z') && !s[1])
        return true;
    return (s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1]);
}

/* HH:MM[:SS] then nothing, or a zone designator that we refuse on purpose. */
static ag_dt_result parse_time_part(const char *s, ag_datetime *out)
{
    size_t len = strspn(s, "0123456789:");
    char clock[16];
    if (len >= sizeof clock)
        return AG_DT_SYNTAX;
    memcpy(clock, s, len);
    clock[len] = '\0';
    int r = ag_config_parse_clock(clock, &out->hour, &out->minute, &out->second);
    if (r < 0)
        return AG_DT_SYNTAX;
    if (s[len] && !is_zone(s + len))
        return AG_DT_SYNTAX;
    if (s[len])
        return AG_DT_HAS_ZONE;
    return r ? AG_DT_BAD_TIME : AG_DT_OK;
}

ag_dt_result ag_config_parse_datetime(const char *s, ag_datetime *out)
{
    ag_datetime t = {0};
    if (!digits(s, 4, &t.year) || s[4] != '-' || !digits(s + 5, 2, &t.month) || s[7] != '-' ||
        !digits(s + 8, 2, &t.day))
        return AG_DT_SYNTAX;
    t.is_date = s[10] == '\0';
    if (!t.is_date && s[10] != 'T' && s[10] != ' ')
        return AG_DT_SYNTAX;
    ag_dt_result r = t.is_date ? AG_DT_OK : parse_time_part(s + 11, &t);
    if (r == AG_DT_SYNTAX)
        return r;
    if (t.year < 1 || t.month < 1 || t.month > 12 || t.day < 1 ||
        t.day > days_in_month(t.year, t.month))
        return AG_DT_BAD_DATE;
    if (r == AG_DT_OK)
        *out = t;
    return r;
}

int ag_config_datetime_parse(const char *s, ag_datetime *out)
{
    return ag_config_parse_datetime(s, out) == AG_DT_OK ? 0 : AG_EINVAL;
}

static int64_t unit_seconds(char u)
{
    switch (u) {
    case 'w':
        return 7 * 86400;
    case 'd':
        return 86400;
    case 'h':
        return 3600;
    case 'm':
        return 60;
    case 's':
        return 1;
    default:
        return 0;
    }
}

/* Units must come largest first, each once ("1d12h", not "12h1d"). */
int ag_config_duration_parse(const char *s, int64_t *seconds)
{
    int64_t total = 0, last_unit = INT64_MAX;
    if (!*s)
        return AG_EINVAL;
    while (*s) {
        int64_t v = 0;
        size_t n = strspn(s, "0123456789");
        if (n == 0 || n > 9)
            return AG_EINVAL;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (s[i] - '0');
        int64_t unit = unit_seconds(s[n]);
        if (!unit || unit >= last_unit)
            return AG_EINVAL;
        total += v * unit;
        last_unit = unit;
        s += n + 1;
    }
    *seconds = total;
    return 0;
}

bool ag_config_valid_id(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(s);
}

bool ag_config_valid_uid(const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-";
    return *s && strspn(s, ok) == strlen(s);
}

#define SUGGEST_MAX 64

/* How many edits a typo of a word of len bytes may hold. */
static size_t suggest_limit(size_t len)
{
    return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Levenshtein distance over bytes: good enough for ASCII ids and keys. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[SUGGEST_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            row[j] = min3(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]));
            diag = up;
        }
    }
    return row[lb];
}

const char *ag_config_suggest(const char *word, const char *const *cands, size_t n)
{
    size_t lw = strlen(word);
    if (lw > SUGGEST_MAX)
        return NULL;
    size_t limit = suggest_limit(lw), best_d = limit + 1;
    const char *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i] || strlen(cands[i]) > SUGGEST_MAX)
            continue;
        size_t dist = edit_distance(word, cands[i]);
        if (dist < best_d) {
            best_d = dist;
            best = cands[i];
        }
    }
    return best;
}

/* s in lowercase with French letters' accents dropped, each run of other
 * characters (spaces, punctuation) as one '-', none at either end; bytes of
 * other scripts (Arabic) are kept as they are. Cut to size. */
static void fold(const char *s, char *out, size_t size)
{
    /* U+00C0 to U+00FF, written C3 80 to C3 BF in UTF-8 */
    static const char latin1[] = "aaaaaaaceeeeiiiidnooooo-ouuuuy-saaaaaaaceeeeiiiidnooooo-ouuuuy-y";
    size_t n = 0;
    bool sep = false;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 2 < size; p++) {
        char c;
        if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF)
            c = latin1[*++p - 0x80];
        else if (*p < 0x80)
            c = isalnum(*p) ? (char)tolower(*p) : '-';
        else
            c = (char)*p;
        if (c == '-') {
            sep = n > 0;
            continue;
        }
        if (sep)
            out[n++] = '-';
        sep = false;
        out[n++] = c;
    }
    out[n] = '\0';
}

#define FOLD_MAX 256
#define WORD_MIN 4

/* The words of folded s, of WORD_MIN bytes or more (at most max); s is cut
 * into them. Their count. */
static size_t words(char *s, char **out, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *w = strtok_r(s, "-", &save); w && n < max; w = strtok_r(NULL, "-", &save))
        if (strlen(w) >= WORD_MIN && strlen(w) <= SUGGEST_MAX)
            out[n++] = w;
    return n;
}

/* How far w is from t (both folded), as ag_config_suggest judges a typo:
 * whole to whole, or a word of one to a word of the other. SIZE_MAX when
 * nothing is close enough. Both are cut into their words. */
static size_t word_distance(char *w, char *t)
{
    size_t best = SIZE_MAX;
    if (strlen(w) <= SUGGEST_MAX && strlen(t) <= SUGGEST_MAX) {
        size_t dist = edit_distance(w, t);
        if (dist <= suggest_limit(strlen(w)))
            best = dist;
    }
    char *ww[FOLD_MAX / WORD_MIN], *tw[FOLD_MAX / WORD_MIN];
    char whole[FOLD_MAX];
    snprintf(whole, sizeof whole, "%s", w);
    size_t nw = words(w, ww + 1, sizeof ww / sizeof *ww - 1),
           nt = words(t, tw, sizeof tw / sizeof *tw);
    ww[0] = whole; /* the whole of w against each word of t too */
    for (size_t i = 0; i <= nw; i++) {
        if (strlen(ww[i]) < WORD_MIN || strlen(ww[i]) > SUGGEST_MAX)
            continue;
        for (size_t j = 0; j < nt; j++) {
            size_t dist = edit_distance(ww[i], tw[j]);
            if (dist <= suggest_limit(strlen(ww[i])) && dist < best)
                best = dist;
        }
    }
    return best;
}

long ag_config_suggest_word(const char *word, const char *const *texts, size_t n)
{
    char w[FOLD_MAX], t[FOLD_MAX];
    size_t best_d = SIZE_MAX;
    long best = -1;
    fold(word, w, sizeof w);
    if (strlen(w) < WORD_MIN)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!texts[i])
            continue;
        fold(word, w, sizeof w);
        fold(texts[i], t, sizeof t);
        size_t dist = word_distance(w, t);
        if (dist < best_d) {
            best_d = dist;
            best = (long)i;
        }
    }
    return best;
}

void ag_config_format_dt(const ag_datetime *t, char *buf, size_t size)
{
    if (t->is_date)
        snprintf(buf, size, "%04d-%02d-%02d", t->year, t->month, t->day);
    else if (t->second)
        snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", t->year, t->month, t->day, t->hour,
                 t->minute, t->second);
    else
        snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", t->year, t->month, t->day, t->hour,
                 t->minute);
}
