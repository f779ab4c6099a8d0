/* A series' rule in words, for people, in Arabic or French:
 *
 *   FREQ=MONTHLY;BYDAY=1TU;UNTIL=...  « chaque mois, le premier mardi,
 *                                       jusqu'au 7 décembre 2027 »
 *                                     « كل شهر، يوم الثلاثاء الأول، حتى 7 دجنبر 2027 »
 *
 * What is put in words: FREQ DAILY, WEEKLY, MONTHLY or YEARLY with any
 * INTERVAL; WEEKLY with BYDAY (or the first date's weekday); MONTHLY with
 * BYDAY and ordinals 1 to 5, -1 (last) and -2 (second to last), BYDAY
 * without ordinals (every such weekday: said as weekly when INTERVAL is 1),
 * BYMONTHDAY (1 to 31, or -1 alone), or none (the first date's day);
 * YEARLY on the first date's day and month, or BYMONTH (one month) with
 * BYDAY ordinals; DAILY with BYDAY and INTERVAL 1 (said as weekly). A rule
 * that ends (COUNT or UNTIL) ends the phrase with its last date left after
 * the exceptions. Anything else (BYSETPOS, BYHOUR, BYWEEKNO, BYYEARDAY, a
 * non-Gregorian RSCALE, combinations not listed) is said generically:
 * « se répète jusqu'au … » / « يتكرر حتى … ». */
#ifndef AGENDA_SERIES_WORDS_H
#define AGENDA_SERIES_WORDS_H

#include "datefmt.h"
#include "series.h"

#include <stddef.h>

/* Writes the phrase for s (which must hold at least one date) in lang
 * ("fr", else Arabic) into out, NUL-terminated, dates through df. 0, or -1
 * (out holds "") when s has no date, out is too small or ICU fails. */
int series_words(const series *s, const char *lang, datefmt *df, char *out, size_t size);

#endif
