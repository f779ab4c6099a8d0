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

/* What a document of an event is (events.yaml `documents:` `kind`). */
typedef enum {
    AG_DOC_AGENDA,
    AG_DOC_MINUTES,
    AG_DOC_PRESENTATION,
    AG_DOC_REPORT,
    AG_DOC_OTHER
} ag_document_kind;
enum { AG_DOC_KIND_COUNT = 5 };

/* A document of an event: published as ATTACH in its VEVENT. Exactly one
 * of url and file is set. */
typedef struct {
    ag_text title; /* ar/fr */
    ag_document_kind kind;
    ag_datetime published; /* a date (is_date) */
    char *url;             /* absolute http(s) URL, or NULL */
    char *file;            /* path under <config>/documents/ (no "..", regular file), or NULL */
    ag_loc loc;
} ag_document;

/* "agenda", "minutes", ... by kind; NULL-terminated, in enum order. */
extern const char *const ag_document_kind_names[];

/* The Content-Type a document file is served with, from its extension
 * (case-insensitive): pdf, odt, ods, odp, docx, xlsx, pptx, csv, txt, png,
 * jpg, jpeg. NULL for any other: HTML or SVG served from the daemon's own
 * origin could run scripts there, so the list is closed. Borrowed. */
const char *ag_document_content_type(const char *file);
/* The extensions ag_document_content_type knows, for messages: ".pdf, .odt, ...". */
extern const char ag_document_extensions[];
/* Where the daemon serves a file document: base_url + "/documents/" + uid +
 * "/" + file, each byte outside RFC 3986's unreserved set and '/'
 * percent-encoded. malloc'd; NULL on out of memory. */
char *ag_document_url(const char *base_url, const char *uid, const char *file);

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
    /* Send iMIP invitations (events.yaml `invitations: true`) and publish
     * who answered and attended (`publish_attendance: true`). Stored with
     * the event but not published: changing them moves no SEQUENCE and
     * ag_event_equal ignores them (ag_event_flags_equal compares them). */
    bool invitations;
    bool publish_attendance;
    /* Published (ATTACH): they move SEQUENCE like any content. */
    ag_document *documents;
    size_t n_documents;
} ag_event;

void ag_text_free(ag_text *t);
/* Both NULL, or both set and equal. */
bool ag_str_eq(const char *a, const char *b);
bool ag_text_eq(const ag_text *a, const ag_text *b);
void ag_member_free(ag_member *m);
void ag_category_free(ag_category *c);
void ag_event_free(ag_event *e); /* frees the contents, not e itself */
void ag_slot_free(ag_slot *s);   /* the same for one agenda item */
void ag_document_free(ag_document *d);
bool ag_document_equal(const ag_document *a, const ag_document *b); /* all but loc */
/* Whether the stored-only flags (invitations, publish_attendance) agree. */
bool ag_event_flags_equal(const ag_event *a, const ag_event *b);
/* The event's documents of that kind. */
size_t ag_event_document_count(const ag_event *e, ag_document_kind kind);
/* Deep copy; returns 0, or AG_ENOMEM (dst left empty). */
int ag_event_copy(ag_event *dst, const ag_event *src);
/* True when a and b publish the same content (every field but loc, the
 * agenda items' ids and the stored-only flags invitations and
 * publish_attendance). This is what decides whether the event's SEQUENCE and
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
