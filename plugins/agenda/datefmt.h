/* Dates and times for people, through ICU: the locale's own words and order
 * (ar_MA: "الثلاثاء 7 مارس 2023", fr_MA: "mardi 7 mars 2023"), in the event's
 * time zone as the system's ICU knows it, and optionally in a Hijri
 * calendar (ICU's islamic-umalqura, islamic-civil, islamic-tbla or islamic)
 * as Moroccan official documents add it. */
#ifndef AGENDA_DATEFMT_H
#define AGENDA_DATEFMT_H

#include <stddef.h>
#include <stdint.h>

typedef struct datefmt datefmt;

datefmt *datefmt_new(void);
void datefmt_free(datefmt *f);

/* Formats a wall-clock time with an ICU skeleton ("yMMMMEEEEd", "HHmm"...)
 * for lang "ar"/"fr"; calendar NULL means Gregorian. wall is the local time
 * written as seconds since 1970-01-01T00:00 (instant + UTC offset): zone
 * rules come from the system tzdata through the host, never from ICU's
 * own tables, which lag behind Morocco's decrees. Writes NUL-terminated
 * UTF-8 into out; 0, or -1 (out holds "") when ICU fails or out is too
 * small: never half a letter. */
int datefmt_format(datefmt *f, const char *lang, const char *calendar, const char *skeleton,
                   int64_t wall, char *out, size_t size);

/* The calendar day of a wall-clock time as YYYYMMDD (monotonic), or 0 when
 * ICU fails. */
int32_t datefmt_day(datefmt *f, int64_t wall);

/* True when calendar names a Hijri calendar this module accepts. */
int datefmt_hijri_valid(const char *calendar);

#endif
