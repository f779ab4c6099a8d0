/* Counting what came back: per event, who was invited, who answered what
 * and who attended; attendance recorded (by the command line or the
 * host's checklist link); the network's transparency figures. Member ids
 * only: nothing here hands out an address or a person's name. Only
 * replies that came back signed (the reply address's tag, a link) count.
 * Errors as in rsvp.h. */
#ifndef AGENDAD_RSVP_TALLY_H
#define AGENDAD_RSVP_TALLY_H

#include "config.h"
#include "rsvp.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- occurrences ---- */

typedef struct {
    char date[11];      /* "YYYY-MM-DD": its local start date, which names it */
    int64_t start, end; /* UTC instants */
} ag_rsvp_occurrence;

/* Every occurrence of ev (one for a one-off event; a series walked under
 * the network's cap, its exceptions left out), in order. *out malloc'd
 * (NULL when none). AG_EZONE for a zone tzdata lacks, AG_EINVAL for a
 * rule that does not expand. */
int ag_rsvp_occurrences(const ag_event *ev, ag_rsvp_occurrence **out, size_t *n);

/* ---- one event ---- */

typedef enum {
    AG_RSVP_REPLY_NONE,
    AG_RSVP_REPLY_ACCEPTED,
    AG_RSVP_REPLY_TENTATIVE, /* DELEGATED counts here: someone else may come */
    AG_RSVP_REPLY_DECLINED,
} ag_rsvp_reply;

typedef struct {
    char *member;
    bool invited;        /* the event concerns it (its host, or its audience) */
    ag_rsvp_reply reply; /* its contacts' answers: any accepted, else tentative, else declined */
    int attended;        /* 1 present, 0 absent, -1 not recorded */
} ag_rsvp_member_row;

typedef struct {
    char *uid;
    char *occurrence;         /* the occurrence attendance is of; NULL when none recorded */
    ag_rsvp_member_row *rows; /* by member id */
    size_t n;
} ag_rsvp_tally;

/* The tally of ev: every member it concerns, answered or was marked.
 * occurrence: the one to count attendance of ("YYYY-MM-DD"); NULL: the
 * latest that has marks. */
int ag_rsvp_tally_event(ag_store *st, const ag_config *cfg, const ag_event *ev,
                        const char *occurrence, ag_rsvp_tally *out, char **err);
void ag_rsvp_tally_free(ag_rsvp_tally *t);

/* The tally as /events/UID/attendance.json: {"uid", "occurrence",
 * "invited", "accepted", "tentative", "declined", "no_answer", "attended",
 * "absent"}, each a sorted array of member ids. *out malloc'd. */
int ag_rsvp_tally_json(const ag_rsvp_tally *t, char **out, size_t *len);
/* The same as CSV (RFC 4180, CRLF), one row per member:
 * member,invited,reply,attended with reply one of accepted, tentative,
 * declined, no_answer ("" when not invited and no answer) and attended
 * one of present, absent, "" (not recorded). */
int ag_rsvp_tally_csv(const ag_rsvp_tally *t, char **out, size_t *len);

/* ---- attendance ---- */

/* Marks who was present and absent at the occurrence of se on date
 * (NULL: a one-off event's only one; a series needs it). Each id is a
 * member's, or an address invited to the event (then marked with its
 * member, per address). via: "cli" (the command line) or "link". AG_EINVAL with *err
 * saying what (an unknown member, a date that is no occurrence, an id in
 * both lists). */
int ag_rsvp_attendance_record(ag_store *st, const ag_config *cfg, const ag_event *ev,
                              const char *date, const char *const *present, size_t n_present,
                              const char *const *absent, size_t n_absent, const char *via,
                              int64_t now, char **err);

/* How long a host's checklist link stays valid after its occurrence
 * ended: time to fill it in after the meeting. */
#define AG_RSVP_HOST_LINK_DAYS 30

/* The host's checklist link for the occurrence of event uid on date:
 * base_url + "/attendance/TOKEN", signed, valid until expires. *url
 * malloc'd. */
int ag_rsvp_host_link(ag_store *st, const char *base_url, const char *uid, const char *date,
                      int64_t expires, char **url, char **err);
/* What a checklist token is worth at now; *uid and *date (malloc'd) when
 * AG_RSVP_VALID. */
int ag_rsvp_host_link_check(ag_store *st, const char *token, int64_t now, char **uid, char **date,
                            ag_rsvp_verdict *verdict, char **err);

/* ---- transparency ---- */

typedef struct {
    char *member;
    int invited; /* events held in the window, with invitations, that concerned it */
    int replies; /* of those, answered (a counted answer) */
    int marked;  /* occurrences held in the window with its attendance recorded */
    int present; /* of those, present */
} ag_rsvp_member_stats;

typedef struct {
    char *axis;  /* category id (axis: true) */
    int held;    /* public events in the axis that ended in the window (a series: its
                    last occurrence) */
    int due;     /* of those, whose minutes were due by now (or are published) */
    int on_time; /* of those, with minutes published within documents.minutes_due of
                    the end */
} ag_rsvp_axis_stats;

typedef struct {
    int64_t from, to;              /* the window: the last 12 months (365 days) before to */
    ag_rsvp_member_stats *members; /* in members.yaml order */
    size_t n_members;
    ag_rsvp_axis_stats *axes; /* in the config's order */
    size_t n_axes;
} ag_rsvp_transparency;

/* The figures over the 365 days before now, from the network's live
 * events evs[0..n) (imported ones, removed and cancelled ones are not
 * held). */
int ag_rsvp_transparency_compute(ag_store *st, const ag_config *cfg, const ag_stored_event *evs,
                                 size_t n, int64_t now, ag_rsvp_transparency *out, char **err);
void ag_rsvp_transparency_free(ag_rsvp_transparency *t);
/* As /transparency.csv: kind,id,invited,replies,marked,present,
 * attendance_rate,held,minutes_due,minutes_on_time,minutes_share; one
 * "member" row per member, then one "axis" row per axis, the other kind's
 * cells empty; rates as percentages with one decimal, empty when there
 * is nothing to divide by. */
int ag_rsvp_transparency_csv(const ag_rsvp_transparency *t, char **out, size_t *len);

#endif
