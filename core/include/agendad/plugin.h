/* agendad plugin ABI — the only header a plugin includes.
 *
 * A plugin is a shared object NAME.so in the configured plugin directory. It
 * exports exactly one symbol, the constant descriptor `agendad_plugin_info`
 * (define it with AGENDAD_PLUGIN_DECLARE). The host reads the descriptor's
 * first three fields — ABI major, ABI minor, descriptor size — before it
 * calls anything in the plugin: a major different from the host's, a minor
 * newer than the host's or an implausible size leaves the plugin out (logged)
 * without a single line of its code having run. Plugins must therefore not
 * have ELF constructors (__attribute__((constructor)), C++ static objects).
 * Build with -fvisibility=hidden so that nothing else is exported; under
 * strict ISO C (-std=c11) also define _POSIX_C_SOURCE=200809L, which
 * <uv.h> needs for the pthread types.
 *
 * Then the host calls info.init(self, host, &state) on the loop thread. During
 * init, and only then, the plugin registers its capabilities: HTTP routes,
 * reminder channels, event sources, change listeners. A registration at any
 * other time returns AGENDAD_ESTATE. If init returns non-zero, every
 * registration it made is dropped, fini is not called, and the daemon runs
 * on without it (its code stays mapped until shutdown, so close callbacks
 * of handles it closed before failing can still run). At shutdown info.fini(self, state) runs
 * (plugins in reverse load order); it must uv_close() every handle the plugin opened. The host lets
 * the loop run those close callbacks before unmapping the plugin.
 *
 * Versioning. Major: incompatible change (a field moved, a meaning changed).
 * Minor: entries appended to agendad_host or to a size-prefixed struct. The
 * host table starts with its size; before using an entry newer than minor 0
 * a plugin checks AGENDAD_HOST_HAS(host, entry). Future appended entries
 * (e.g. the core's asynchronous HTTP/SMTP client on the loop) come that way.
 *
 * Threads: everything here runs on the loop thread, and every host function
 * must be called from it.
 *
 * Ownership, unless a function says otherwise:
 *   - strings and handles the host returns are borrowed: never freed by the
 *     plugin; config nodes live until fini returns; store handles (events,
 *     members, slots) and the strings read from them live until the plugin's
 *     current callback returns to the loop (a reload may replace them then);
 *   - strings and structs the plugin passes in are copied by the host if it
 *     keeps them, so the plugin may free them once the call returns;
 *   - `data` pointers are the plugin's; the host only hands them back.
 *
 * Errors: functions returning int give 0 on success or a negative
 * AGENDAD_E* code; host->strerror() names it. */
#ifndef AGENDAD_PLUGIN_H
#define AGENDAD_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AGENDAD_PLUGIN_ABI_MAJOR 1
#define AGENDAD_PLUGIN_ABI_MINOR 8

#if defined(__GNUC__)
#define AGENDAD_PLUGIN_EXPORT __attribute__((visibility("default")))
#define AGENDAD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define AGENDAD_PLUGIN_EXPORT
#define AGENDAD_PRINTF(fmt, args)
#endif

/* ------------------------------------------------------------------ errors */

enum {
    AGENDAD_EINVAL = -1,  /* a bad argument (NULL, malformed path or name) */
    AGENDAD_ESTATE = -2,  /* not allowed now (registration outside init) */
    AGENDAD_EEXIST = -3,  /* already registered (route prefix, channel or source name) */
    AGENDAD_ENOMEM = -4,  /* out of memory */
    AGENDAD_ENOENT = -5,  /* no such thing (event, member, config key) */
    AGENDAD_ERANGE = -6,  /* an index out of range, or a value the host cannot represent */
    AGENDAD_EZONE = -7,   /* the event's time zone is unknown to the system tzdata */
    AGENDAD_EPLUGIN = -8, /* generic plugin failure (for init's return value) */
};

/* ------------------------------------------------------- opaque handles */

typedef struct agendad_plugin agendad_plugin;           /* the host's record of one plugin */
typedef struct agendad_config_node agendad_config_node; /* a YAML node of the plugin's section */
typedef struct agendad_event agendad_event;             /* a live event of the current snapshot */
typedef struct agendad_member agendad_member;           /* a member of the network */
typedef struct agendad_request agendad_request;         /* an HTTP request routed to a plugin */
typedef struct agendad_source agendad_source;           /* an event source registered by a plugin */
typedef struct agendad_host agendad_host;

/* ------------------------------------------------------------- descriptor */

/* Exported by the plugin as `agendad_plugin_info`; read by the host before
 * anything else. The first three fields never move in any ABI version. */
typedef struct {
    uint32_t abi_major;   /* AGENDAD_PLUGIN_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;   /* AGENDAD_PLUGIN_ABI_MINOR the plugin was built with */
    uint32_t struct_size; /* sizeof(agendad_plugin_descriptor) the plugin was built with */
    const char *name;     /* for logs; static storage */
    const char *version;  /* the plugin's own version; static storage */
    /* Called once on the loop thread. Registrations allowed only in here.
     * *state (initially NULL) is the plugin's, handed back to fini. host is
     * valid until fini returns. Return 0, or non-zero to be left out (then
     * fini is NOT called: free what you allocated before returning). */
    int (*init)(agendad_plugin *self, const agendad_host *host, void **state);
    /* Called once at shutdown, after a successful init. Close handles, free
     * state. May be NULL when there is nothing to release. */
    void (*fini)(agendad_plugin *self, void *state);
} agendad_plugin_descriptor;

#define AGENDAD_PLUGIN_DECLARE(name_, version_, init_, fini_)                                      \
    AGENDAD_PLUGIN_EXPORT const agendad_plugin_descriptor agendad_plugin_info = {                  \
        AGENDAD_PLUGIN_ABI_MAJOR,                                                                  \
        AGENDAD_PLUGIN_ABI_MINOR,                                                                  \
        sizeof(agendad_plugin_descriptor),                                                         \
        (name_),                                                                                   \
        (version_),                                                                                \
        (init_),                                                                                   \
        (fini_)}

/* ---------------------------------------------------------------- logging */

enum {
    AGENDAD_LOG_ERR = 3, /* syslog priorities */
    AGENDAD_LOG_WARNING = 4,
    AGENDAD_LOG_NOTICE = 5,
    AGENDAD_LOG_INFO = 6,
    AGENDAD_LOG_DEBUG = 7,
};

/* ------------------------------------------------------------ store types */

typedef enum {
    AGENDAD_TEXT_TITLE,
    AGENDAD_TEXT_DESCRIPTION,
    AGENDAD_TEXT_LOCATION,
} agendad_text_field;

typedef enum {
    AGENDAD_STATUS_CONFIRMED,
    AGENDAD_STATUS_TENTATIVE,
    AGENDAD_STATUS_CANCELLED,
} agendad_status;

typedef enum { AGENDAD_VIS_PUBLIC, AGENDAD_VIS_MEMBERS } agendad_visibility;

typedef enum {
    AGENDAD_MEMBER_REGION,
    AGENDAD_MEMBER_PROVINCE,
    AGENDAD_MEMBER_COMMUNE,
} agendad_member_kind;

typedef enum {
    AGENDAD_CFG_SCALAR,
    AGENDAD_CFG_MAP,
    AGENDAD_CFG_SEQ,
} agendad_config_kind;

/* When an event or slot happens. start and end are UTC instants (Unix
 * seconds) computed from the system tzdata at the time of the call; end is
 * exclusive (an all-day event ends at the local midnight after its last
 * day). tzid is the IANA zone the admin wrote times in, borrowed like the
 * event. Filled by value; never grows (a new need gets a new function). */
typedef struct {
    int64_t start;
    int64_t end;
    bool all_day;
    const char *tzid;
} agendad_when;

/* One agenda slot of an event. Untimed slots (timed false) have no instants
 * and are shown in sequence. Strings borrowed like the event. */
typedef struct {
    bool timed;
    int64_t start, end; /* UTC instants when timed, else 0 */
    const char *kind;   /* session, workshop, break, ... */
    const char *axis;   /* category id, or NULL */
} agendad_slot;

/* ------------------------------------------------------------------- HTTP */

/* Runs on the loop for each GET or HEAD whose path falls under the prefix.
 * The handler, or anything later on the loop, must call exactly one
 * host->respond* for req; req and the strings read from it stay valid until
 * then. For HEAD the host sends headers only. */
typedef void (*agendad_route_fn)(agendad_request *req, void *data);

/* -------------------------------------------------------------- reminders */

typedef enum {
    AGENDAD_DELIVERED = 0,
    AGENDAD_FAILED_TEMPORARY = 1, /* the scheduler will retry later */
    AGENDAD_FAILED_PERMANENT = 2, /* no retry (bad address, refused recipient) */
} agendad_delivery;

typedef struct agendad_reminder agendad_reminder;

/* Filled by the host's scheduler; the channel reads it. Owned by the host:
 * it and its strings stay valid until the channel calls done(). */
struct agendad_reminder {
    size_t size;           /* sizeof as the host knows it: fields may be appended */
    const char *event_uid; /* find the event with host->event_find */
    int64_t occurrence;    /* UTC instant of the occurrence reminded of */
    int64_t lead_time;     /* seconds before occurrence this reminder is for */
    const char *recipient; /* member id (host->member_find for emails, name) */
    const char *language;  /* "ar" or "fr": the recipient's, else the default */
    /* The channel calls done exactly once per send, before send returns or
     * later on the loop, with the outcome; error is a short text for the
     * log and the outbox (copied; NULL when delivered). */
    void (*done)(agendad_reminder *r, agendad_delivery outcome, const char *error);
    void *host_data; /* the host's; the channel leaves it alone */
    /* --- ABI 1.4: check r->size (AGENDAD_REMINDER_HAS) before reading. */
    const char *kind;      /* "reminder"; "cancel": the event is off (send a CANCEL);
                              "change": its time or place changed (send the update) */
    const char *address;   /* the contact address to write to; NULL for a member without one.
                              One reminder per address: never group recipients. */
    bool both_languages;   /* the recipient's language is unknown: write ar and fr */
    int sequence;          /* the event's SEQUENCE */
    const char *event_url; /* the event's page (its .ics on this daemon) */
    const char *id;        /* stable id of this send, the same on a retry (dedup key for
                              the receiver: Message-ID, webhook delivery id) */
};

#define AGENDAD_REMINDER_HAS(r, member)                                                            \
    ((r)->size >= offsetof(agendad_reminder, member) + sizeof((r)->member))

/* Hands a reminder to the channel. See agendad_reminder for ownership. */
typedef void (*agendad_channel_fn)(agendad_reminder *r, void *data);

/* ---------------------------------------------------------- event sources */

/* ABI 1.6 (sync private data): an ATTENDEE of an imported event, as the
 * source wrote it. The host publishes it only where the admin allowed the
 * member's private data (members.yaml sync.private_data). */
typedef struct {
    const char *address;  /* required: the cal-address, usually "mailto:..." */
    const char *cn;       /* CN parameter, or NULL */
    const char *partstat; /* PARTSTAT parameter as written ("ACCEPTED"...), or NULL */
    const char *role;     /* ROLE parameter as written ("REQ-PARTICIPANT"...), or NULL */
} agendad_source_attendee;

typedef enum {
    AGENDAD_TRIGGER_START = 0,    /* seconds from the event's start (negative: before) */
    AGENDAD_TRIGGER_END = 1,      /* seconds from the event's end */
    AGENDAD_TRIGGER_ABSOLUTE = 2, /* a UTC instant */
} agendad_trigger;

/* ABI 1.6: a VALARM of an imported event; same publication rule. */
typedef struct {
    const char *action; /* required: "DISPLAY" or "AUDIO" */
    agendad_trigger related;
    int64_t trigger;
    const char *description; /* or NULL */
    const char *summary;     /* or NULL */
} agendad_source_alarm;

/* One event a source submits (e.g. from a member's own calendar feed).
 * Strings are copied by the host during submit. */
typedef struct {
    size_t size;                     /* sizeof(agendad_source_event) as the plugin knows it */
    const char *uid;                 /* required; unique within this source */
    const char *title_ar, *title_fr; /* at least one required */
    const char *description_ar, *description_fr; /* optional */
    const char *location_ar, *location_fr;       /* optional */
    int64_t start, end;                          /* UTC instants, end exclusive, end >= start */
    bool all_day;
    const char *tzid;   /* the zone the source gave, or NULL */
    const char *member; /* id of the member the event belongs to, or NULL */
    /* ABI 1.2 (sync): appended; a 1.1 plugin's events read as confirmed,
     * without categories. */
    agendad_status status;
    const char *const *categories; /* names as the source wrote them; the host keeps those
                                      naming a configured category (id or name) */
    size_t n_categories;
    /* ABI 1.6: appended; an older plugin's events carry none. Give them only
     * when the member's sync settings have private_data set. */
    const agendad_source_attendee *attendees;
    size_t n_attendees;
    const agendad_source_alarm *alarms;
    size_t n_alarms;
} agendad_source_event;

/* ABI 1.2 (sync): what the admin configured for syncing one member
 * (members.yaml, `feed_url` and `sync:`). Strings borrowed like the member. */
typedef struct {
    size_t size;            /* sizeof as the host knows it */
    const char *feed_url;   /* the member's own .ics feed to pull, or NULL */
    int64_t interval;       /* seconds between pulls */
    const char *caldav_url; /* the member's CalDAV collection to push into, or NULL */
    const char *caldav_username;
    const char *caldav_password_file; /* absolute path of the file holding the password */
    bool network_wins;                /* overwrite edits made in the member's calendar */
    bool private_data; /* republish ATTENDEE e-mails and VALARMs of imported events */
} agendad_member_sync;

/* ---------------------------------------------------- change notifications */

/* What the last reload changed. Borrowed for the duration of the call. */
typedef struct {
    size_t size; /* sizeof as the host knows it */
    int added, changed, unchanged, removed, restored;
    const char *const *uids; /* uids added, changed, removed or restored */
    size_t n_uids;
} agendad_changes;

typedef void (*agendad_listener_fn)(const agendad_changes *changes, void *data);

/* ------------------------------------------- network client (ABI 1.1) */

/* The core's asynchronous HTTP(S) and SMTP client, so that no plugin blocks
 * the loop or wires curl to it on its own: HTTP runs on the daemon's loop
 * (libcurl multi-socket), SMTP on a core thread (libcurl 7.88 would block the
 * loop waiting for the server's reply to the message); callbacks always run
 * on the loop. Check AGENDAD_HOST_HAS(host, http_fetch) first. */
typedef struct agendad_xfer agendad_xfer;

typedef enum {
    AGENDAD_NET_OK = 0,        /* the exchange completed: any HTTP status, or SMTP accepted */
    AGENDAD_NET_FAILED = 1,    /* transport or protocol failure, see error */
    AGENDAD_NET_CANCELLED = 2, /* xfer_cancel, or the daemon is stopping */
} agendad_net_outcome;

/* Everything is borrowed for the duration of the callback only. */
typedef struct {
    size_t size; /* sizeof as the host knows it */
    agendad_net_outcome outcome;
    long status;       /* HTTP status of the last response, or last SMTP reply code; 0 if none */
    const char *error; /* plain words when outcome != AGENDAD_NET_OK, else NULL */
    const char *body;  /* response body, NUL-terminated; "" if none */
    size_t body_len;
    const char *etag; /* headers of the last response (after redirects); NULL if absent */
    const char *last_modified;
    const char *content_type;
    long elapsed_ms;
} agendad_net_result;

/* Runs exactly once per accepted transfer, later, on the loop — never from
 * inside the call that submitted it. Not called once the plugin's fini has
 * run (the host drops it). */
typedef void (*agendad_net_done_fn)(const agendad_net_result *r, void *data);

/* Zero means the default for every numeric field: connect timeout 10 s,
 * total 60 s, body limit 16 MiB, 5 redirects (negative: do not follow). */
typedef struct {
    size_t size;                /* sizeof(agendad_http_fetch) as the plugin knows it */
    const char *url;            /* http:// or https:// */
    const char *method;         /* NULL: GET, or POST when body is set */
    const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
    const char *body;           /* may contain NUL bytes */
    size_t body_len;
    long connect_timeout_ms;
    long total_timeout_ms;
    size_t max_body_bytes;
    int max_redirects;
    const char *username; /* basic auth; never logged */
    const char *password;
    bool tls_insecure;   /* skip certificate checks: lab setups only */
    const char *ca_file; /* PEM bundle replacing the system's CAs */
} agendad_http_fetch;

typedef struct {
    size_t size;          /* sizeof(agendad_smtp_message) as the plugin knows it */
    const char *url;      /* smtp://host:port or smtps://host:port */
    bool starttls;        /* require STARTTLS on smtp:// (never fall back to clear text) */
    const char *username; /* AUTH; never logged */
    const char *password;
    const char *from;        /* envelope sender */
    const char *const *rcpt; /* envelope recipients, NULL-terminated, at least one */
    const char *message;     /* complete RFC 5322 message with CRLF line ends */
    size_t message_len;
    long connect_timeout_ms;
    long timeout_ms;
    bool tls_insecure;
    const char *ca_file;
} agendad_smtp_message;
/* -------------------------------------------------- renderers (ABI 1.2) */

/* What the command line (`agendad NAME KEY --format F --lang L`) asks a
 * renderer for. Strings borrowed for the call. */
typedef struct {
    size_t size;        /* sizeof as the host knows it: fields may be appended */
    const char *key;    /* what to render, e.g. an event uid */
    const char *format; /* e.g. "html", "md", "txt"; never NULL */
    const char *lang;   /* "ar" or "fr", or NULL: the renderer's default */
} agendad_render_request;

/* Writes the rendering to out and returns 0; AGENDAD_ENOENT when key names
 * nothing, AGENDAD_EINVAL for a format it does not know (after logging why).
 * Runs on the loop thread, with the store queries available, but no HTTP
 * server may be running (the command line has none). */
typedef int (*agendad_render_fn)(const agendad_render_request *r, FILE *out, void *data);

/* -------------------------------------------------- metrics (ABI 1.5) */

/* A metric family a plugin registered; owned by the host, valid until fini. */
typedef struct agendad_metric agendad_metric;

typedef enum {
    AGENDAD_METRIC_COUNTER = 0, /* only goes up */
    AGENDAD_METRIC_GAUGE = 1,   /* set to any value */
} agendad_metric_kind;

/* ------------------------------------------------- commands (ABI 1.8) */

/* What the command line hands a command: `agendad NAME [ARG] --config DIR
 * [--state PATH] [--format F] [--lang L]`. Filled by the host, which sets
 * size (fields may be appended: check it before reading a later one);
 * everything borrowed for the call. */
typedef struct {
    size_t size;             /* sizeof as the host knows it */
    const char *const *argv; /* the words after NAME, options removed */
    int argc;                /* how many (the command line passes at most one) */
    const char *format;      /* --format, or NULL */
    const char *lang;        /* --lang, or NULL */
    FILE *out;               /* standard output */
    FILE *err;               /* standard error, for the command's own usage and failures */
    /* NULL when the plugin's state was read; else why it could not be (the
     * state database is missing, older or newer than this agendad...), in
     * words for the admin: a command that needs its state prints it and
     * fails. state_get then answers NULL. */
    const char *state_error;
} agendad_command_request;

/* Runs the command and returns the process's exit status: 0, 1 when it
 * failed, 2 for bad usage; it writes to r->out and r->err itself. Runs on
 * the loop thread of a command line that serves nothing and only reads:
 * the config (members, settings, the plugin's section) is there, the
 * events are not (event_count is 0); state_get answers from the plugin's
 * state as the store held it when the command line started (read without
 * migrating, reconciling or writing the database); state_set,
 * state_set_many, the sources' submits and the network client fail with
 * AGENDAD_ESTATE. host->log lines show only with -v: tell the user on
 * r->err. */
typedef int (*agendad_command_fn)(const agendad_command_request *r, void *data);

/* --------------------------------------------------------- the host table */

struct agendad_host {
    size_t size; /* sizeof(agendad_host) of the running host */
    uint32_t abi_major, abi_minor;
    uv_loop_t *loop; /* the daemon's only loop; borrowed */

    /* Name of an AGENDAD_E* code ("unknown error" otherwise); static storage. */
    const char *(*strerror)(int err);
    /* Logs one line, prefixed with the plugin's name. */
    void (*log)(agendad_plugin *self, int level, const char *fmt, ...) AGENDAD_PRINTF(3, 4);

    /* --- config: the plugin's own section (a map, empty when none given).
     * Nodes are borrowed and live until fini returns. */
    const agendad_config_node *(*config)(agendad_plugin *self);
    /* Map lookup; NULL when node is not a map or lacks key. */
    const agendad_config_node *(*config_get)(const agendad_config_node *node, const char *key);
    agendad_config_kind (*config_kind)(const agendad_config_node *node);
    /* Text of a scalar; NULL for maps and sequences. */
    const char *(*config_scalar)(const agendad_config_node *node);
    /* Number of entries of a map or items of a sequence; 0 for a scalar. */
    size_t (*config_len)(const agendad_config_node *node);
    /* i-th item of a sequence or value of a map; NULL when out of range. */
    const agendad_config_node *(*config_item)(const agendad_config_node *node, size_t i);
    /* i-th key of a map; NULL when out of range or not a map. */
    const char *(*config_key)(const agendad_config_node *node, size_t i);
    /* Where the node was written, for "file:line:col: message" errors. Any
     * out pointer may be NULL; *file may be set to NULL when unknown. */
    void (*config_location)(const agendad_config_node *node, const char **file, int *line,
                            int *col);

    /* --- store queries: the current snapshot, live events only. Handles and
     * strings are valid until the current callback returns to the loop. */
    /* Calls fn for each live event in uid order until fn returns non-zero;
     * returns that value, or 0. */
    int (*event_foreach)(agendad_plugin *self, int (*fn)(const agendad_event *ev, void *data),
                         void *data);
    size_t (*event_count)(agendad_plugin *self);
    /* NULL when no live event has that uid. */
    const agendad_event *(*event_find)(agendad_plugin *self, const char *uid);
    const char *(*event_uid)(agendad_plugin *self, const agendad_event *ev);
    /* Text in lang ("ar" or "fr"), else in the other language, else NULL. */
    const char *(*event_text)(agendad_plugin *self, const agendad_event *ev,
                              agendad_text_field field, const char *lang);
    /* Fills *out; AGENDAD_EZONE when tzdata does not know the event's zone. */
    int (*event_when)(agendad_plugin *self, const agendad_event *ev, agendad_when *out);
    agendad_status (*event_status)(agendad_plugin *self, const agendad_event *ev);
    agendad_visibility (*event_visibility)(agendad_plugin *self, const agendad_event *ev);
    /* Member id of the host of the event. */
    const char *(*event_host_member)(agendad_plugin *self, const agendad_event *ev);
    size_t (*event_category_count)(agendad_plugin *self, const agendad_event *ev);
    /* Category id; NULL when out of range. */
    const char *(*event_category)(agendad_plugin *self, const agendad_event *ev, size_t i);
    size_t (*event_slot_count)(agendad_plugin *self, const agendad_event *ev);
    /* Fills *out for the i-th agenda slot, in the admin's order. */
    int (*event_slot)(agendad_plugin *self, const agendad_event *ev, size_t i, agendad_slot *out);
    /* Slot title in lang with the same fallback as event_text. */
    const char *(*event_slot_title)(agendad_plugin *self, const agendad_event *ev, size_t i,
                                    const char *lang);

    /* Members; NULL when unknown. */
    const agendad_member *(*member_find)(agendad_plugin *self, const char *id);
    const char *(*member_id)(agendad_plugin *self, const agendad_member *m);
    const char *(*member_name)(agendad_plugin *self, const agendad_member *m, const char *lang);
    /* Preferred language "ar"/"fr", or NULL when the admin gave none. */
    const char *(*member_language)(agendad_plugin *self, const agendad_member *m);
    agendad_member_kind (*member_kind)(agendad_plugin *self, const agendad_member *m);
    /* Id of the member's region; NULL for a region. */
    const char *(*member_region)(agendad_plugin *self, const agendad_member *m);
    size_t (*member_email_count)(agendad_plugin *self, const agendad_member *m);
    const char *(*member_email)(agendad_plugin *self, const agendad_member *m, size_t i);

    /* --- registration: during init only, else AGENDAD_ESTATE. What is
     * registered lives until fini; data is handed back to the callback. */
    /* path_prefix (copied) is matched on whole segments: "/plugins/x"
     * serves "/plugins/x" and "/plugins/x/...". The longest matching prefix
     * wins. It starts with "/", has no trailing "/", no empty, "." or ".."
     * segment. "/" alone is special: it serves the front page "/" only,
     * never other paths. Since ABI 1.2 any prefix is allowed except the
     * core's reserved ones ("/feeds", "/healthz", ... : AGENDAD_EEXIST);
     * the core's own routes always win, so a plugin registering "/events"
     * serves "/events/UID" while the core keeps "/events/UID.ics". Under
     * ABI 1.0 and 1.1 hosts a prefix must start with "/plugins/". */
    int (*register_route)(agendad_plugin *self, const char *path_prefix, agendad_route_fn fn,
                          void *data);
    /* name (copied) is what events' reminder settings refer to, e.g. "email". */
    int (*register_channel)(agendad_plugin *self, const char *name, agendad_channel_fn fn,
                            void *data);
    /* *out receives the source's handle, valid until fini; name is copied. */
    int (*register_source)(agendad_plugin *self, const char *name, agendad_source **out);
    /* fn runs on the loop after each reload that the store reconciled. */
    int (*register_listener)(agendad_plugin *self, agendad_listener_fn fn, void *data);

    /* --- event sources: at any time after registration. A batch replaces
     * the source's previous batch as a whole (a full sync, not a diff). The
     * host copies what it keeps; on error nothing changes. */
    int (*source_submit)(agendad_source *src, const agendad_source_event *events, size_t n);

    /* --- HTTP requests (see agendad_route_fn). Strings are borrowed until
     * the response is sent. */
    const char *(*request_method)(const agendad_request *req); /* "GET" or "HEAD" */
    /* Percent-decoded path without the query. */
    const char *(*request_path)(const agendad_request *req);
    /* Raw query string without '?', or "". Bytes RFC 3986 does not allow
     * there ("{", "|", raw UTF-8...) come percent-encoded. */
    const char *(*request_query_string)(const agendad_request *req);
    /* Decoded value of the first parameter name, or NULL. */
    const char *(*request_query)(const agendad_request *req, const char *name);
    /* Header value by case-insensitive name, or NULL. */
    const char *(*request_header)(const agendad_request *req, const char *name);
    /* Sends the response and ends req (it must not be used afterwards).
     * body (len bytes) and headers (NULL-terminated "Name: value" lines, or
     * NULL) are copied. */
    void (*respond)(agendad_request *req, int status, const char *content_type, const char *body,
                    size_t len, const char *const *headers);
    /* Short text/plain error response; ends req like respond. */
    void (*respond_error)(agendad_request *req, int status, const char *detail);

    /* --- ABI 1.1: network client (see agendad_http_fetch). Everything req
     * points to is copied. Returns 0 and done runs once later, or a negative
     * AGENDAD_E* code and done never runs. *out (may be NULL) receives a
     * handle valid until done starts. */
    int (*http_fetch)(agendad_plugin *self, const agendad_http_fetch *req, agendad_net_done_fn done,
                      void *data, agendad_xfer **out);
    int (*smtp_send)(agendad_plugin *self, const agendad_smtp_message *msg,
                     agendad_net_done_fn done, void *data, agendad_xfer **out);
    /* done still runs once, later, with AGENDAD_NET_CANCELLED (or with the
     * real result if the transfer had already finished). */
    void (*xfer_cancel)(agendad_xfer *x);
    /* ---- ABI 1.2: check AGENDAD_HOST_HAS(host, entry) before using these. */

    /* A number that changes whenever anything the store queries, settings,
     * categories or members answer may have changed (reload, tzdata
     * upgrade): a plugin's cache is valid while it stays the same. */
    uint64_t (*store_generation)(agendad_plugin *self);
    /* A daemon setting after command-line overrides, or NULL for an unknown
     * key: "base_url" (no trailing slash), "language" (default "ar"/"fr"),
     * "timezone" (default zone), "config_dir", "tzdata" (its version). */
    const char *(*setting)(agendad_plugin *self, const char *key);
    /* The network's "name" or "description" in lang, with event_text's
     * fallback; NULL when neither language is given. */
    const char *(*network_text)(agendad_plugin *self, const char *field, const char *lang);
    /* Categories in the admin's order. */
    size_t (*category_count)(agendad_plugin *self);
    const char *(*category_id)(agendad_plugin *self, size_t i); /* NULL out of range */
    /* Name in lang (fallback as event_text); NULL for an unknown id. */
    const char *(*category_name)(agendad_plugin *self, const char *id, const char *lang);
    /* One of the network's openness axes; false for an unknown id. */
    bool (*category_is_axis)(agendad_plugin *self, const char *id);
    /* Members in the admin's order. */
    size_t (*member_count)(agendad_plugin *self);
    const agendad_member *(*member_at)(agendad_plugin *self, size_t i); /* NULL out of range */
    /* The audience as the admin wrote it: member ids and the selectors
     * "network", "region:<id>", "kind:<region|province|commune>". */
    size_t (*event_audience_count)(agendad_plugin *self, const agendad_event *ev);
    const char *(*event_audience)(agendad_plugin *self, const agendad_event *ev, size_t i);
    /* True when the member hosts the event or is in its audience, directly
     * or through a selector: the feeds' own rule. */
    bool (*event_invites)(agendad_plugin *self, const agendad_event *ev, const char *member_id);
    /* Instants spanning a series: start of the first instance, end of the
     * last (for a one-off event, event_when's). AGENDAD_EZONE as event_when;
     * AGENDAD_ERANGE when every instance is excluded. */
    int (*event_span)(agendad_plugin *self, const agendad_event *ev, agendad_when *out);
    /* Responds 200 like the feeds do: a strong ETag over the bytes and the
     * tzdata version, Last-Modified (Unix seconds; 0: now), conditional GET
     * (304), gzip when accepted, HEAD, Cache-Control max-age (negative:
     * no-cache). body is copied; req ends. Cache the bytes per
     * store_generation so that an unchanged page keeps its ETag. */
    void (*respond_cached)(agendad_request *req, const char *content_type, const char *body,
                           size_t len, int64_t last_modified, int max_age);
    /* The UTC offset (seconds) in force in tzid at instant t, from the
     * system tzdata, so that local times shown to people agree with the
     * feeds (a library's own zone tables may be older). AGENDAD_EZONE for
     * an unknown zone. */
    int (*utc_offset)(agendad_plugin *self, const char *tzid, int64_t t, int32_t *offset);
    /* Registers a renderer the command line runs as `agendad NAME KEY`
     * (name copied; during init only, else AGENDAD_ESTATE). */
    int (*register_renderer)(agendad_plugin *self, const char *name, agendad_render_fn fn,
                             void *data);

    /* --- ABI 1.3 (sync): members' calendars. Check
     * AGENDAD_HOST_HAS(host, source_submit_member) first. */
    /* Calls fn for each member in members.yaml order until fn returns non-zero;
     * returns that value, or 0. */
    int (*member_foreach)(agendad_plugin *self, int (*fn)(const agendad_member *m, void *data),
                          void *data);
    /* Fills *out (out->size set by the caller) with the member's sync settings. */
    int (*member_sync)(agendad_plugin *self, const agendad_member *m, agendad_member_sync *out);
    /* Replaces the events of one member in the source, persistently: the host
     * stores them (uids namespaced by member), publishes them in that member's
     * feed and, where the admin allows it, in the network and category feeds,
     * and keeps them across restarts. An unchanged batch writes nothing. Each
     * event's member field is ignored. On error nothing changes. */
    int (*source_submit_member)(agendad_source *src, const char *member,
                                const agendad_source_event *events, size_t n);
    /* Small persistent key/value state of the plugin (validators, status).
     * get: the value, borrowed until the current callback returns, or NULL.
     * set: value NULL deletes. Keys and values are copied. */
    const char *(*state_get)(agendad_plugin *self, const char *key);
    int (*state_set)(agendad_plugin *self, const char *key, const char *value);
    /* The event alone as an iCalendar object, as /events/UID.ics?slots=0
     * serves it (one UID, its VTIMEZONE when needed): *text is borrowed
     * until the current callback returns. */
    int (*event_ical)(agendad_plugin *self, const agendad_event *ev, const char *lang,
                      const char **text, size_t *len);

    /* --- ABI 1.4: reminders. Check AGENDAD_HOST_HAS(host, mem_free) first. */
    /* The event r is about, also when it was removed from the config (for a
     * cancellation notice); NULL once purged. Valid like event_find's. */
    const agendad_event *(*reminder_event)(agendad_plugin *self, const agendad_reminder *r);
    /* The event as an iCalendar object for r's recipient, built by the core's
     * feed builder: METHOD:CANCEL for a cancellation, else METHOD:PUBLISH.
     * *out is NUL-terminated (*len bytes); free it with mem_free. */
    int (*reminder_ics)(agendad_plugin *self, const agendad_reminder *r, char **out, size_t *len);
    void (*mem_free)(void *p);

    /* --- ABI 1.5: metrics on the daemon's /metrics. Check
     * AGENDAD_HOST_HAS(host, metric_register) first. */
    /* During init only (else NULL). The family is published as
     * agendad_plugin_<plugin name>_<name> (name: [a-z0-9_]+; counters end in
     * _total by convention); labels: NULL-terminated label names (at most
     * 4) or NULL. Label values must come from a bounded set (member ids,
     * channel names), never from what a client sends. Strings are copied.
     * NULL on a bad name, a clash, or when the daemon keeps no metrics:
     * updating a NULL family does nothing. */
    agendad_metric *(*metric_register)(agendad_plugin *self, agendad_metric_kind kind,
                                       const char *name, const char *help,
                                       const char *const *labels);
    /* values: one per label name, in order (NULL without labels); copied.
     * add: counters and gauges (a counter ignores v < 0); set: gauges. */
    void (*metric_add)(agendad_metric *m, const char *const *values, double v);
    void (*metric_set)(agendad_metric *m, const char *const *values, double v);

    /* --- ABI 1.7: check AGENDAD_HOST_HAS(host, source_submit_member_async)
     * first. source_submit_member spread over loop turns: the events are
     * checked and copied before it returns (the caller's may go then), then
     * stored (one transaction), read back and published a step per turn, so
     * that feeds are served while a member's thousands of events go in.
     * Batches are handled one at a time, in the order submitted. done(rc,
     * data) runs once, on the loop, never during this call: rc 0 when the
     * batch is in the store and the feeds (or changed nothing), else
     * AGENDAD_EPLUGIN (the daemon's log says why; the feeds keep the last
     * good copy). It never runs once the plugin's fini has begun. Returns 0
     * (queued), or an error as source_submit_member's (done will not run). */
    int (*source_submit_member_async)(agendad_source *src, const char *member,
                                      const agendad_source_event *events, size_t n,
                                      void (*done)(int rc, void *data), void *data);
    /* state_set for n keys at once, in one transaction: one fsync for what
     * would otherwise cost one per key (keys and values as state_set's;
     * unchanged ones are not written). On error nothing changed. */
    int (*state_set_many)(agendad_plugin *self, const char *const *keys, const char *const *values,
                          size_t n);

    /* --- ABI 1.8: commands of the command line. Check
     * AGENDAD_HOST_HAS(host, register_command) first. */
    /* Registers `agendad NAME ...` (see agendad_command_fn); name copied.
     * During init only, else AGENDAD_ESTATE; AGENDAD_EEXIST when a plugin
     * already registered a command by that name. The command line's own
     * commands (run, check, export, list, token, reminders) never reach a
     * plugin; a command wins over a renderer of the same name. Allowed in
     * the daemon too, which never runs one. */
    int (*register_command)(agendad_plugin *self, const char *name, agendad_command_fn fn,
                            void *data);
    /* True when the command line loaded the plugin to run a command rather
     * than the daemon to serve: register the commands and start nothing (no
     * timers, transfers or child processes), since fini follows the
     * command. Besides the configured plugins, the command line loads the
     * plugin named like the command from the plugin directory, with an
     * empty section, when the configuration does not load it. */
    bool (*command_line)(agendad_plugin *self);
};

/* True when the running host provides `member` (an entry appended after the
 * first ABI minor): check before calling it. */
#define AGENDAD_HOST_HAS(host, member)                                                             \
    ((host)->size >= offsetof(agendad_host, member) + sizeof((host)->member))

#ifdef __cplusplus
}
#endif

#endif
