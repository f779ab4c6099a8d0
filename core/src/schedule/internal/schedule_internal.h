/* Shared by the schedule_*.c files only. Times are UTC seconds, spans
 * half-open [start, end); days are numbered from 1970-01-01 (day 0), so
 * that a date is one integer and a window of days an array. */
#ifndef AGENDAD_SCHEDULE_INTERNAL_H
#define AGENDAD_SCHEDULE_INTERNAL_H

#include "model_series.h"
#include "schedule.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AG_SCHEDULE_DAY 86400

typedef struct {
    int64_t start, end;
} ag_schedule_span;

/* Text in both languages, borrowed (the built-in holidays' names are
 * static; the admin's are the input's). */
typedef struct {
    const char *ar, *fr;
} ag_schedule_name;

/* A time a member is busy, and why. */
typedef struct {
    int64_t start, end;
    int32_t ev; /* index of the network event in the input, or -1: its own calendar */
    bool tentative;
} ag_schedule_busy;

typedef struct {
    char *id;
    ag_member_kind kind;
    char *region; /* its region's id; its own for a region */
    ag_text name;
    char *tzid; /* its zone: its own or the network's */
    ag_work_hours hours;
    ag_schedule_span *reads; /* the windows its calendar's sources last read */
    size_t n_reads;
    ag_busy_interval *cal; /* its own calendar over the loaded window, by start then end */
    size_t n_cal;
} ag_schedule_member;

typedef struct {
    ag_event ev; /* a deep copy */
    ag_series series;
    bool recurs;
} ag_schedule_event;

struct ag_schedule_input {
    char *tzid; /* the network's zone */
    char *lang; /* the network's language */
    char *host; /* of base_url, for the UIDs of what is built */
    ag_work_hours hours;
    char *hijri; /* ICU calendar, or NULL: no Hijri dates */
    int hijri_adjust;
    ag_holiday *holidays; /* the admin's additions and removals */
    size_t n_holidays;
    ag_schedule_member *members; /* in members.yaml's order */
    size_t n_members;
    ag_schedule_event *events;
    size_t n_events;
    int64_t cal_from, cal_to; /* the window the calendars were loaded over */
};

/* schedule_days.c: dates as day numbers (proleptic Gregorian). */
int64_t ag_schedule_day_of(int year, int month, int day);
void ag_schedule_date_of(int64_t day, int *year, int *month, int *mday);
/* 0 Monday ... 6 Sunday, as ag_hours' bits. */
int ag_schedule_weekday(int64_t day);
ag_datetime ag_schedule_datetime(int64_t day, int minute);
/* The local date (day number) and minute of day of instant t in tzid. */
int64_t ag_schedule_local_day(int64_t t, const char *tzid, int *minute);
/* The instant of a local day and minute in tzid (gaps and overlaps as
 * libical resolves them). */
int64_t ag_schedule_instant(int64_t day, int minute, const char *tzid);
/* The same for a wall-clock time in seconds from 1970-01-01T00:00. */
int64_t ag_schedule_wall_instant(int64_t wall, const char *tzid);

/* schedule_holidays.c: what each day of a window is, in Morocco. */
typedef struct {
    ag_schedule_name holiday; /* .ar and .fr NULL: not a holiday */
    bool probable;            /* next to a religious holiday the calendar computes */
    bool ramadan;             /* in the Hijri month 9 */
} ag_schedule_day;

typedef struct {
    int64_t first; /* day number of days[0] */
    size_t n;
    ag_schedule_day *days;
} ag_schedule_calendar;

/* Days [first, first + n). 0, AG_ENOMEM, or AG_EINVAL with *err when ICU
 * does not open the Hijri calendar. */
int ag_schedule_calendar_build(const ag_schedule_input *in, int64_t first, size_t n,
                               ag_schedule_calendar *out, char **err);
void ag_schedule_calendar_free(ag_schedule_calendar *c);
/* NULL outside the calendar. */
const ag_schedule_day *ag_schedule_day_at(const ag_schedule_calendar *c, int64_t day);
bool ag_schedule_is_holiday(const ag_schedule_day *d);

/* schedule_query.c: what ag_schedule_query_parse checks of the values
 * together (to after from, the window's length), for a query built by
 * hand too. 0 or AG_EINVAL with *err. */
int ag_schedule_query_check(const ag_schedule_query *q, char **err);

/* schedule_hours.c: when a member (a zone and its hours) can meet. */
typedef struct {
    const char *tzid;
    const ag_work_hours *hours;
    ag_schedule_span *open; /* working time on working days that are no holiday */
    size_t n_open;
    ag_schedule_span *off; /* its local holidays, whole days */
    const ag_schedule_day **off_day;
    size_t n_off;
} ag_schedule_week;

/* Over the local days of cal (all of them: callers build it a day wider
 * than they look at on each side). 0 or AG_ENOMEM. */
int ag_schedule_week_build(const ag_schedule_calendar *cal, const char *tzid,
                           const ag_work_hours *hours, ag_schedule_week *out);
void ag_schedule_week_free(ag_schedule_week *w);

/* schedule_sweep.c */
/* Sorts v by start and merges overlapping or touching spans, in place;
 * the new count. */
size_t ag_schedule_merge(ag_schedule_span *v, size_t n);
/* The same for spans already sorted by start: one pass, O(n). */
size_t ag_schedule_merge_sorted(ag_schedule_span *v, size_t n);
/* Sorts busy intervals by start, then end. */
void ag_schedule_busy_sort(ag_schedule_busy *v, size_t n);
/* a and b (each sorted so) into out (room for na + nb), sorted so. */
void ag_schedule_busy_union(const ag_schedule_busy *a, size_t na, const ag_schedule_busy *b,
                            size_t nb, ag_schedule_busy *out);
/* Free/busy periods from busy intervals: busy (some confirmed interval)
 * and tentative (covered by tentative ones only), each merged and sorted.
 * Malloc'd (NULL when empty). 0 or AG_ENOMEM. */
int ag_schedule_fb_periods(const ag_schedule_busy *v, size_t n, ag_schedule_span **busy,
                           size_t *n_busy, ag_schedule_span **tentative, size_t *n_tentative);

/* schedule_busy.c: what a member is busy with over [from, to). */
typedef struct {
    int32_t ev;
    bool all_day;
    int64_t start, end;  /* timed: the instants */
    int64_t day, n_days; /* all-day: the first local date and how many */
} ag_schedule_occurrence;

typedef struct {
    ag_schedule_occurrence *v; /* grouped by event, in the input's order */
    size_t n;
    size_t *first; /* per event: index of its first occurrence (n_events + 1 entries) */
} ag_schedule_occurrences;

/* Every occurrence of every network event that may touch [from, to)
 * (all-day ones a day wider, as members' zones differ); only of the
 * events wanted[i] says (NULL: all), the others having none. 0 or
 * AG_ENOMEM. */
int ag_schedule_occurrences_build(const ag_schedule_input *in, int64_t from, int64_t to,
                                  const bool *wanted, ag_schedule_occurrences *out);
void ag_schedule_occurrences_free(ag_schedule_occurrences *o);
/* Whether the network event concerns the member: its host, or in its
 * audience directly or through a selector. */
bool ag_schedule_concerned(const ag_schedule_member *m, const ag_event *ev);
/* Whether sel selects m ("network", its id, "region:R", "kind:K"). */
bool ag_schedule_selects(const char *sel, const ag_schedule_member *m);
/* The member's busy intervals touching [from, to): its network events'
 * occurrences and its own calendar, sorted. *out malloc'd (NULL when
 * none). 0 or AG_ENOMEM. */
int ag_schedule_member_busy(const ag_schedule_input *in, const ag_schedule_occurrences *occ,
                            size_t member, int64_t from, int64_t to, ag_schedule_busy **out,
                            size_t *n);

/* schedule_propose.c: the answer before it is formatted. */
typedef enum {
    AG_SCHEDULE_WHY_HOLIDAY,
    AG_SCHEDULE_WHY_HOURS,
    AG_SCHEDULE_WHY_EVENT,
    AG_SCHEDULE_WHY_CALENDAR,
} ag_schedule_why_kind;

typedef struct {
    size_t member; /* index in the input */
    ag_schedule_why_kind why;
    bool tentative;           /* event or calendar: only tentative busy time there */
    int32_t ev;               /* event: its index in the input */
    ag_schedule_name holiday; /* holiday: its name */
} ag_schedule_why;

typedef struct {
    int64_t start, end;
    bool probable_holiday;
    ag_schedule_why *busy; /* into the result's whys */
    size_t n_busy;
} ag_schedule_slot;

typedef struct {
    const ag_schedule_input *in;
    const ag_schedule_query *q;
    int64_t from, to; /* the window's instants */
    size_t *members;  /* the audience's, in members.yaml's order */
    size_t n_members;
    ag_schedule_slot *slots; /* in the order proposed */
    size_t n_slots;
    ag_schedule_why *whys;
    size_t n_whys;
} ag_schedule_result;

void ag_schedule_result_free(ag_schedule_result *r);
/* Whether the member's calendar is unknown over [from, to): loaded over
 * less, or read by no source over all of it. */
bool ag_schedule_unknown(const ag_schedule_input *in, size_t member, int64_t from, int64_t to);

/* schedule_format.c: growable text and the formats. */
typedef struct {
    char *s;
    size_t len, cap;
    bool failed; /* out of memory at some point: the text is incomplete */
} ag_schedule_text;

void ag_schedule_text_add(ag_schedule_text *t, const char *s);
void ag_schedule_text_addf(ag_schedule_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "2027-01-12T09:00" for instant t in tzid. */
void ag_schedule_local_iso(int64_t t, const char *tzid, char *buf, size_t size);
/* "2027-01-12T09:00:00Z". */
void ag_schedule_utc_iso(int64_t t, char *buf, size_t size);
/* A slot's free count, probable holiday and reasons, as lines of text in
 * lang (the txt table's, for an ics DESCRIPTION). */
void ag_schedule_txt_notes(ag_schedule_text *t, const ag_schedule_result *r,
                           const ag_schedule_slot *s, const char *lang);
int ag_schedule_format_txt(const ag_schedule_result *r, const char *lang, char **body, size_t *len);
int ag_schedule_format_json(const ag_schedule_result *r, char **body, size_t *len);
int ag_schedule_format_ics(const ag_schedule_result *r, const char *lang, int64_t now, char **body,
                           size_t *len);

#endif
