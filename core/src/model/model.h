/* The network as the admin describes it: members, categories, events and
 * their agenda slots. Plain data, owned by whoever built it (the config
 * parser, or the store when it loads a snapshot); freed with the functions
 * below. Times are local wall-clock times plus a zone name: instants are only
 * computed (by tz) when a feed or a reminder is built. */
#ifndef AGENDAD_MODEL_H
#define AGENDAD_MODEL_H

#include "datetime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Text in the network's two languages; either may be NULL (missing). */
typedef struct {
    char *ar;
    char *fr;
} ag_text;

/* "ar" or "fr"; anything else is treated as "ar" falls back to "fr". Returns
 * the text in lang, else in the other language, else NULL. Borrowed. */
const char *ag_text_get(const ag_text *t, const char *lang);

/* Where something was written in the config, for error messages. */
typedef struct {
    char *file;    /* owned copy of the file's path as given; NULL when not from a file */
    int line, col; /* 1-based */
} ag_loc;

typedef enum { AG_MEMBER_REGION, AG_MEMBER_PROVINCE, AG_MEMBER_COMMUNE } ag_member_kind;

/* What the admin allows for a member's own calendar (members.yaml `sync:`). */
typedef struct {
    int64_t interval;          /* seconds between pulls of feed_url; default 3600 */
    bool network;              /* every imported event also goes into the network feed */
    char **network_categories; /* ...or only those in one of these categories (ids) */
    size_t n_network_categories;
    char **categories; /* category ids given to every imported event */
    size_t n_categories;
    bool private_data;          /* republish ATTENDEE e-mails and VALARMs */
    char *caldav_url;           /* push network events into this CalDAV collection */
    char *caldav_username;      /* may be NULL */
    char *caldav_password_file; /* as written; relative: $CREDENTIALS_DIRECTORY or config dir */
    bool network_wins;          /* overwrite edits made in the member's calendar */
} ag_member_sync;

/* Working hours on some days of the week, as wall-clock times in the zone
 * of whoever works them. */
typedef struct {
    unsigned days;  /* bit 0 Monday ... bit 6 Sunday; never empty */
    int start, end; /* minutes from local midnight, start < end */
} ag_hours;

/* A week's working hours, outside Ramadan and during it (the Hijri month
 * 9), which the public administration shortens. */
typedef struct {
    ag_hours usual, ramadan;
} ag_work_hours;

typedef struct {
    char *id; /* URL-safe: [a-z0-9-]+ */
    ag_member_kind kind;
    ag_text name;
    char *region;     /* id of a region member; NULL for regions */
    ag_text province; /* commune: name of its prefecture/province (may be empty) */
    char *language;   /* preferred "ar" or "fr"; NULL when unknown */
    char **emails;    /* contacts (for reminder plugins); may be empty */
    size_t n_emails;
    char *feed_url; /* the member's own public .ics feed, for a source to pull; or NULL */
    /* Channels that reach this member (members.yaml `reminders.channels`),
     * used instead of the event's for its contacts. Config only, like the
     * event's channels. has_: given at all (an empty list opts out). */
    char **reminder_channels;
    size_t n_reminder_channels;
    bool has_reminder_channels;
    ag_member_sync sync;
    ag_loc loc;
    /* Where and when it works, for finding a time (members.yaml `timezone`
     * and `hours`). Not published. timezone: NULL for the network's zone;
     * hours: the network's, with what the member overrides applied. */
    char *timezone;
    ag_work_hours hours;
} ag_member;

typedef struct {
    char *id; /* URL-safe: [a-z0-9-]+ */
    ag_text name;
    bool axis; /* one of the network's openness axes */
    ag_loc loc;
} ag_category;

typedef enum { AG_STATUS_CONFIRMED, AG_STATUS_TENTATIVE, AG_STATUS_CANCELLED } ag_status;
typedef enum { AG_VIS_PUBLIC, AG_VIS_MEMBERS } ag_visibility;

typedef struct {
    bool timed;        /* false: an untimed item, shown in sequence */
    ag_datetime start; /* full local date-time in the event's zone when timed */
    ag_datetime end;
    ag_text title;
    char *kind; /* session, workshop, break, ... (see config.h) */
    char *axis; /* category id or NULL */
    ag_loc loc;
    /* The admin's name for the item (`id:` of an agenda item in events/, [a-z0-9-]+), by
     * which the store knows it whatever else changes; NULL when none. Not
     * published and not compared by ag_event_equal: giving an item an id
     * moves no SEQUENCE. Last, so that positional initializers stay valid. */
    char *id;
} ag_slot;

typedef struct {
    char *uid; /* stable; [A-Za-z0-9._@-]+ */
    ag_text title, description, location;
    ag_datetime start; /* is_date for all-day events */
    ag_datetime end;   /* timed: exclusive end; all-day: INCLUSIVE last day */
    char *tzid;        /* IANA zone name, always set (default applied) */
    char *host;        /* member id */
    char **audience;   /* selectors: member id, "network", "region:<id>",
                          "kind:<region|province|commune>" */
    size_t n_audience;
    char **categories; /* category ids */
    size_t n_categories;
    ag_status status;
    ag_visibility visibility;
    char *rrule;          /* RFC 5545 RRULE value (no "RRULE:"), bounded; NULL if one-off */
    char *online_url;     /* an online meeting's absolute http(s) URL; NULL if none */
    ag_datetime *exdates; /* local date-times (EXDATE), same form as start */
    size_t n_exdates;
    int64_t *reminders; /* lead times in seconds, > 0 */
    size_t n_reminders;
    /* Who gets the reminders (config only: not stored, not published, so
     * that changing them moves no SEQUENCE). Channel names; empty: the
     * `reminders.channels` of agendad.yaml. Extra addresses besides the
     * audience's contacts. */
    char **reminder_channels;
    size_t n_reminder_channels;
    char **reminder_extra;
    size_t n_reminder_extra;
    ag_slot *slots; /* agenda, in the admin's order */
    size_t n_slots;
    ag_loc loc; /* where the event's mapping starts */
} ag_event;

void ag_text_free(ag_text *t);
/* Both NULL, or both set and equal. */
bool ag_str_eq(const char *a, const char *b);
bool ag_text_eq(const ag_text *a, const ag_text *b);
void ag_member_free(ag_member *m);
void ag_category_free(ag_category *c);
void ag_event_free(ag_event *e); /* frees the contents, not e itself */
void ag_slot_free(ag_slot *s);   /* the same for one agenda item */
/* Deep copy; returns 0, or AG_ENOMEM (dst left empty). */
int ag_event_copy(ag_event *dst, const ag_event *src);
/* True when a and b publish the same content (every field but loc and the
 * agenda items' ids). This is what decides whether the event's SEQUENCE and
 * LAST-MODIFIED move on a reload. */
bool ag_event_equal(const ag_event *a, const ag_event *b);

/* The same for one agenda item published as its own VEVENT: its own fields
 * (timed, times, title, kind, axis) and what it takes from its event (title,
 * location, visibility, zone, and for a series its rule, exceptions and
 * start). Status is not compared: the caller knows whether either side is
 * cancelled or removed. */
bool ag_slot_equal(const ag_slot *a, const ag_slot *b);
bool ag_slot_context_equal(const ag_event *a, const ag_event *b);

#endif
