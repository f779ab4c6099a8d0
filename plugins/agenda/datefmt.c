#include "datefmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/udat.h>
#include <unicode/udatpg.h>
#include <unicode/ustring.h>

#define MAX_GENERATORS 8
#define USTR 128

/* Pattern generators are slow to open (they load the locale's data):
 * keep one per locale for the plugin's life. */
typedef struct {
    char locale[96];
    UDateTimePatternGenerator *gen;
} generator;

struct datefmt {
    generator gens[MAX_GENERATORS];
    size_t n;
};

datefmt *datefmt_new(void)
{
    return calloc(1, sizeof(datefmt));
}

void datefmt_free(datefmt *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        udatpg_close(f->gens[i].gen);
    free(f);
}

int datefmt_hijri_valid(const char *calendar)
{
    static const char *const known[] = {"islamic-umalqura", "islamic-civil", "islamic-tbla",
                                        "islamic"};
    for (size_t i = 0; calendar && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(calendar, known[i]) == 0)
            return 1;
    return 0;
}

static UDateTimePatternGenerator *generator_for(datefmt *f, const char *locale)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->gens[i].locale, locale) == 0)
            return f->gens[i].gen;
    UErrorCode st = U_ZERO_ERROR;
    UDateTimePatternGenerator *gen = udatpg_open(locale, &st);
    if (U_FAILURE(st))
        return NULL;
    if (f->n == MAX_GENERATORS) {
        udatpg_close(f->gens[0].gen);
        memmove(&f->gens[0], &f->gens[1], (MAX_GENERATORS - 1) * sizeof f->gens[0]);
        f->n--;
    }
    snprintf(f->gens[f->n].locale, sizeof f->gens[f->n].locale, "%s", locale);
    f->gens[f->n++].gen = gen;
    return gen;
}

static bool to_uchars(const char *s, UChar *out, int32_t cap, int32_t *len)
{
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(out, cap, len, s, -1, &st);
    return U_SUCCESS(st) && st != U_STRING_NOT_TERMINATED_WARNING;
}

static int format_pattern(const char *locale, const UChar *pattern, int32_t plen, int64_t wall,
                          char *out, size_t size)
{
    static const UChar utc[] = {'U', 'T', 'C', 0};
    UChar result[256];
    int32_t rlen, olen;
    UErrorCode st = U_ZERO_ERROR;
    UDateFormat *df = udat_open(UDAT_PATTERN, UDAT_PATTERN, locale, utc, 3, pattern, plen, &st);
    if (U_FAILURE(st))
        return -1;
    rlen = udat_format(df, (UDate)wall * 1000.0, result, 256, NULL, &st);
    udat_close(df);
    if (U_FAILURE(st) || rlen >= 256)
        return -1;
    u_strToUTF8(out, (int32_t)size, &olen, result, rlen, &st);
    if (U_FAILURE(st) || (size_t)olen >= size) {
        if (size)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

int datefmt_format(datefmt *f, const char *lang, const char *calendar, const char *skeleton,
                   int64_t wall, char *out, size_t size)
{
    char locale[96];
    snprintf(locale, sizeof locale, "%s_MA@calendar=%s", strcmp(lang, "fr") == 0 ? "fr" : "ar",
             calendar ? calendar : "gregorian");
    UDateTimePatternGenerator *gen = generator_for(f, locale);
    UChar skel[USTR], pattern[USTR];
    int32_t slen;
    if (size)
        out[0] = '\0';
    if (!gen || !to_uchars(skeleton, skel, USTR, &slen))
        return -1;
    UErrorCode st = U_ZERO_ERROR;
    int32_t plen = udatpg_getBestPattern(gen, skel, slen, pattern, USTR, &st);
    if (U_FAILURE(st) || plen >= USTR)
        return -1;
    return format_pattern(locale, pattern, plen, wall, out, size);
}

int32_t datefmt_day(datefmt *f, int64_t wall)
{
    (void)f;
    static const UChar pattern[] = {'y', 'y', 'y', 'y', 'M', 'M', 'd', 'd', 0};
    char buf[16];
    if (format_pattern("en_US_POSIX@calendar=gregorian", pattern, 8, wall, buf, sizeof buf) != 0)
        return 0;
    return (int32_t)strtol(buf, NULL, 10);
}
