/* A local wall-clock date-time: what admins write and the store keeps.
 * Instants are computed from it only by tz, with a zone name. */
#ifndef AGENDAD_DATETIME_H
#define AGENDAD_DATETIME_H

#include <stdbool.h>

/* Local wall-clock date-time (is_date: a whole day, hour/minute/second 0). */
typedef struct {
    int year, month, day;
    int hour, minute, second;
    bool is_date;
} ag_datetime;

/* <0, 0, >0 like strcmp, comparing the wall-clock fields. */
int ag_datetime_cmp(const ag_datetime *a, const ag_datetime *b);

/* Moves a local date-time by whole days (month and year rollover included);
 * the time of day is kept. */
void ag_datetime_add_days(ag_datetime *dt, int days);

#endif
