/* The order in which an agenda is read, independent of any output format.
 *
 * The admin writes the agenda in order; timed items carry their times and
 * untimed ones ("opening words") sit where they happen, between the timed
 * ones, as in the network's press kits. Reading order is therefore: every
 * timed item by start time (ties in the admin's order), each followed by
 * the untimed items the admin wrote right after it; untimed items written
 * before any timed one come first. A multi-day agenda is cut into days: an
 * item belongs to the local day of its start, an untimed item to the day of
 * the timed item it follows (the first day when it follows none). */
#ifndef AGENDA_MODEL_H
#define AGENDA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    bool timed;
    int64_t start; /* UTC instant when timed */
    int32_t day;   /* timed: local day of start (any monotonic day number) */
} agenda_item;

typedef struct {
    size_t item;  /* index into the admin's list */
    int32_t day;  /* the day it is shown under */
    bool new_day; /* the first row of its day */
} agenda_row;

/* Fills rows[0..n) (caller-allocated, n entries) in reading order.
 * first_day: the event's first local day, for leading untimed items. */
void agenda_order(const agenda_item *items, size_t n, int32_t first_day, agenda_row *rows);

/* Number of distinct days among rows (after agenda_order). */
size_t agenda_day_count(const agenda_row *rows, size_t n);

#endif
