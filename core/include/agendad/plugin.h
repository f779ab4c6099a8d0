/* agendad plugin ABI — the only header a plugin includes.
 *
 * How to read it. The sections follow a plugin author's path: the
 * descriptor and the plugin's life; the host table's basics (errors,
 * memory); logging; configuration; reading the store (events, members,
 * categories); HTTP routes; reminder channels; event sources and members'
 * calendars; change listeners; persistent state; the network client;
 * command-line renderers and commands; checks of the settings; metrics. A
 * section declares its types, then each
 * host function it offers as a function type named agendad_host_NAME,
 * documented there: the host table's entry NAME has that type. The table
 * itself, struct agendad_host at the end, keeps its entries in the order
 * they were appended, because their offsets are the ABI.
 *
 * Versions. Major: incompatible change (a field moved, a meaning changed).
 * Minor: entries appended to agendad_host, fields appended to a
 * size-prefixed struct, new types. Each of them states the minor it
 * appeared in once, next to it, as a trailing comment "since 1.N"; no other
 * place in this header names a version (tests/unit/test_abi_table.c holds
 * the same table and checks both). The host leaves out a plugin built for
 * another major or a newer minor than its own, so every entry up to the
 * plugin's minor is there. AGENDAD_HOST_HAS(host, entry) tells whether the
 * running host has an entry: a plugin that declares an older minor than
 * its header's, to run on older hosts too, checks it before calling an
 * entry newer than that minor.
 *
 * Size-prefixed structs (their first field is `size`; the descriptor's
 * third, struct_size) grow by appending fields; each says who fills the
 * size. The plugin fills it in what it
 * passes in (sizeof as it was built), and the host reads no further; the
 * host fills it in what it hands out (sizeof as the host was built), and
 * the plugin checks it before reading a field appended later than the
 * struct itself (AGENDAD_REMINDER_HAS, or the same test by hand).
 *
 * Threads: everything here runs on the loop thread, and every host function
 * must be called from it.
 *
 * Ownership. Each function says what it hands over; the words mean:
 *   - borrowed: the other side keeps ownership; use it only for as long as
 *     the function says (for store handles — events, members, slots — and
 *     the strings read from them: until the plugin's current callback
 *     returns to the loop, since a reload may replace them then);
 *   - copied: the host keeps a copy of what the plugin passed in, if it
 *     keeps anything, so the plugin may free or reuse its own once the call
 *     returns;
 *   - yours: the plugin frees it as the function says;
 *   - `self` is the handle init received, `data` pointers are the plugin's:
 *     the host only hands them back.
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
#define AGENDAD_PLUGIN_ABI_MINOR 9

#if defined(__GNUC__)
#define AGENDAD_PLUGIN_EXPORT __attribute__((visibility("default")))
#define AGENDAD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define AGENDAD_PLUGIN_EXPORT
#define AGENDAD_PRINTF(fmt, args)
#endif

/* ======================================== the descriptor and the plugin's life
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
 * Then the host calls info.init(self, host, &state) on the loop thread.
 * During init, and only then, the plugin registers its capabilities: HTTP
 * routes, reminder channels, event sources, change listeners, renderers,
 * commands, checks, metrics. A registration at any other time returns
 * AGENDAD_ESTATE. If init
 * returns non-zero, every registration it made is dropped, fini is not
 * called, and the daemon runs on without it (its code stays mapped until
 * shutdown, so close callbacks of handles it closed before failing can
 * still run). At shutdown info.fini(self, state) runs (plugins in reverse
 * load order); it must uv_close() every handle the plugin opened. The host
 * lets the loop run those close callbacks before unmapping the plugin. */

typedef struct agendad_plugin agendad_plugin; /* since 1.0; the host's record of one plugin */
typedef struct agendad_host agendad_host;     /* since 1.0; the table of host functions */

/* Exported by the plugin as `agendad_plugin_info`; read by the host before
 * anything else. The first three fields never move in any ABI version.
 * Size-prefixed: the plugin fills struct_size (AGENDAD_PLUGIN_DECLARE does). */
typedef struct {
    uint32_t abi_major;   /* since 1.0; AGENDAD_PLUGIN_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;   /* since 1.0; AGENDAD_PLUGIN_ABI_MINOR the plugin was built with */
    uint32_t struct_size; /* since 1.0; sizeof(agendad_plugin_descriptor) as the plugin knows it */
    const char *name;     /* since 1.0; for logs; static storage */
    const char *version;  /* since 1.0; the plugin's own version; static storage */
    /* Called once on the loop thread. Registrations allowed only in here.
     * *state (initially NULL) is the plugin's, handed back to fini. Return
     * 0, or non-zero to be left out (then fini is NOT called: free what you
     * allocated before returning). Ownership: self and host are borrowed
     * until fini returns. */
    int (*init)(agendad_plugin *self, const agendad_host *host, void **state); /* since 1.0 */
    /* Called once at shutdown, after a successful init. Close handles, free
     * state. May be NULL when there is nothing to release. Ownership: state
     * is the plugin's; the host forgets it. */
    void (*fini)(agendad_plugin *self, void *state); /* since 1.0 */
} agendad_plugin_descriptor;                         /* since 1.0 */

#define AGENDAD_PLUGIN_DECLARE(name_, version_, init_, fini_)                                      \
    AGENDAD_PLUGIN_EXPORT const agendad_plugin_descriptor agendad_plugin_info = {                  \
        AGENDAD_PLUGIN_ABI_MAJOR,                                                                  \
        AGENDAD_PLUGIN_ABI_MINOR,                                                                  \
        sizeof(agendad_plugin_descriptor),                                                         \
        (name_),                                                                                   \
        (version_),                                                                                \
        (init_),                                                                                   \
        (fini_)}

/* =========================================================== errors and memory
 *
 * The host table (struct agendad_host, at the end) starts with its size,
 * the host's ABI version and the daemon's loop, then the functions. */

/* True when the running host provides `member`, an entry of the host table:
 * see "Versions" above. */
#define AGENDAD_HOST_HAS(host, member)                                                             \
    ((host)->size >= offsetof(agendad_host, member) + sizeof((host)->member))

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

/* Name of an AGENDAD_E* code ("unknown error" otherwise).
 * Ownership: the text is static storage. */
typedef const char *agendad_host_strerror(int err);

/* Frees what a host function handed over as yours (reminder_ics's text).
 * Ownership: p becomes the host's again; NULL does nothing. */
typedef void agendad_host_mem_free(void *p);

/* ================================================================== logging */

enum {
    AGENDAD_LOG_ERR = 3, /* syslog priorities */
    AGENDAD_LOG_WARNING = 4,
    AGENDAD_LOG_NOTICE = 5,
    AGENDAD_LOG_INFO = 6,
    AGENDAD_LOG_DEBUG = 7,
};

/* Logs one line at a level above, prefixed with the plugin's name.
 * Ownership: fmt and its arguments are read during the call only. */
typedef void agendad_host_log(agendad_plugin *self, int level, const char *fmt, ...);

/* =============================================================== configuration
 *
 * The plugin's own section of agendad.yaml (plugins.load.NAME) as a tree of
 * YAML nodes, and the daemon's settings. */

typedef struct agendad_config_node agendad_config_node; /* since 1.0; a YAML node */

typedef enum {
    AGENDAD_CFG_SCALAR,
    AGENDAD_CFG_MAP,
    AGENDAD_CFG_SEQ,
} agendad_config_kind; /* since 1.0 */

/* The plugin's section: a map, empty when none was given.
 * Ownership: borrowed; every node of the section lives until fini returns. */
typedef const agendad_config_node *agendad_host_config(agendad_plugin *self);

/* Map lookup; NULL when node is not a map or lacks key.
 * Ownership: key borrowed for the call; the node returned lives until fini. */
typedef const agendad_config_node *agendad_host_config_get(const agendad_config_node *node,
                                                           const char *key);

/* Scalar, map or sequence. Ownership: values only. */
typedef agendad_config_kind agendad_host_config_kind(const agendad_config_node *node);

/* Text of a scalar; NULL for maps and sequences.
 * Ownership: borrowed; lives until fini returns. */
typedef const char *agendad_host_config_scalar(const agendad_config_node *node);

/* Number of entries of a map or items of a sequence; 0 for a scalar.
 * Ownership: values only. */
typedef size_t agendad_host_config_len(const agendad_config_node *node);

/* i-th item of a sequence or value of a map; NULL when out of range.
 * Ownership: borrowed; lives until fini returns. */
typedef const agendad_config_node *agendad_host_config_item(const agendad_config_node *node,
                                                            size_t i);

/* i-th key of a map; NULL when out of range or not a map.
 * Ownership: borrowed; lives until fini returns. */
typedef const char *agendad_host_config_key(const agendad_config_node *node, size_t i);

/* Where the node was written, for "file:line:col: message" errors. Any out
 * pointer may be NULL; *file may be set to NULL when unknown.
 * Ownership: *file is borrowed and lives as long as the node: until fini
 * returns for the plugin's section, like the member for member_config's. */
typedef void agendad_host_config_location(const agendad_config_node *node, const char **file,
                                          int *line, int *col);

/* A daemon setting after command-line overrides, or NULL for an unknown
 * key: "base_url" (no trailing slash), "language" (default "ar"/"fr"),
 * "timezone" (default zone), "config_dir", "tzdata" (its version),
 * "invitations.organizer" (the network's mailbox; NULL when not set; a
 * host older than the invitations knows no such key).
 * Ownership: key borrowed for the call; the value is borrowed until the
 * current callback returns (a reload may change it). */
typedef const char *agendad_host_setting(agendad_plugin *self, const char *key);

/* ================================================================= store reads
 *
 * The current snapshot of the store: live events, members, categories and
 * the network's own texts. Handles and the strings read from them are
 * borrowed until the plugin's current callback returns to the loop. */

typedef struct agendad_event agendad_event;   /* since 1.0; a live event of the current snapshot */
typedef struct agendad_member agendad_member; /* since 1.0; a member of the network */

typedef enum {
    AGENDAD_TEXT_TITLE,
    AGENDAD_TEXT_DESCRIPTION,
    AGENDAD_TEXT_LOCATION,
} agendad_text_field; /* since 1.0 */

typedef enum {
    AGENDAD_STATUS_CONFIRMED,
    AGENDAD_STATUS_TENTATIVE,
    AGENDAD_STATUS_CANCELLED,
} agendad_status; /* since 1.0 */

typedef enum { AGENDAD_VIS_PUBLIC, AGENDAD_VIS_MEMBERS } agendad_visibility; /* since 1.0 */

typedef enum {
    AGENDAD_MEMBER_REGION,
    AGENDAD_MEMBER_PROVINCE,
    AGENDAD_MEMBER_COMMUNE,
} agendad_member_kind; /* since 1.0 */

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
} agendad_when; /* since 1.0 */

/* One agenda slot of an event. Untimed slots (timed false) have no instants
 * and are shown in sequence. Strings borrowed like the event. */
typedef struct {
    bool timed;
    int64_t start, end; /* UTC instants when timed, else 0 */
    const char *kind;   /* session, workshop, break, ... */
    const char *axis;   /* category id, or NULL */
} agendad_slot;         /* since 1.0 */

/* --- events */

/* Calls fn for each live event in uid order until fn returns non-zero;
 * returns that value, or 0. Ownership: each ev is borrowed like
 * event_find's; data is the plugin's. */
typedef int agendad_host_event_foreach(agendad_plugin *self,
                                       int (*fn)(const agendad_event *ev, void *data), void *data);

/* Number of live events. Ownership: values only. */
typedef size_t agendad_host_event_count(agendad_plugin *self);

/* The live event with that uid; NULL when there is none.
 * Ownership: uid borrowed for the call; the handle is borrowed until the
 * current callback returns. */
typedef const agendad_event *agendad_host_event_find(agendad_plugin *self, const char *uid);

/* The event's uid. Ownership: borrowed like the event. */
typedef const char *agendad_host_event_uid(agendad_plugin *self, const agendad_event *ev);

/* Text in lang ("ar" or "fr"), else in the other language, else NULL.
 * Ownership: borrowed like the event. */
typedef const char *agendad_host_event_text(agendad_plugin *self, const agendad_event *ev,
                                            agendad_text_field field, const char *lang);

/* Fills *out; AGENDAD_EZONE when tzdata does not know the event's zone.
 * Ownership: *out is the plugin's; out->tzid is borrowed like the event. */
typedef int agendad_host_event_when(agendad_plugin *self, const agendad_event *ev,
                                    agendad_when *out);

/* Instants spanning a series: start of the first instance, end of the
 * last (for a one-off event, event_when's). AGENDAD_EZONE as event_when;
 * AGENDAD_ERANGE when every instance is excluded.
 * Ownership: as event_when. */
typedef int agendad_host_event_span(agendad_plugin *self, const agendad_event *ev,
                                    agendad_when *out);

/* Confirmed, tentative or cancelled. Ownership: values only. */
typedef agendad_status agendad_host_event_status(agendad_plugin *self, const agendad_event *ev);

/* Public, or members only. Ownership: values only. */
typedef agendad_visibility agendad_host_event_visibility(agendad_plugin *self,
                                                         const agendad_event *ev);

/* Member id of the host of the event. Ownership: borrowed like the event. */
typedef const char *agendad_host_event_host_member(agendad_plugin *self, const agendad_event *ev);

/* Number of the event's categories. Ownership: values only. */
typedef size_t agendad_host_event_category_count(agendad_plugin *self, const agendad_event *ev);

/* Category id; NULL when out of range. Ownership: borrowed like the event. */
typedef const char *agendad_host_event_category(agendad_plugin *self, const agendad_event *ev,
                                                size_t i);

/* Number of the event's agenda slots. Ownership: values only. */
typedef size_t agendad_host_event_slot_count(agendad_plugin *self, const agendad_event *ev);

/* Fills *out for the i-th agenda slot, in the admin's order.
 * Ownership: *out is the plugin's; its strings are borrowed like the event. */
typedef int agendad_host_event_slot(agendad_plugin *self, const agendad_event *ev, size_t i,
                                    agendad_slot *out);

/* Slot title in lang with the same fallback as event_text.
 * Ownership: borrowed like the event. */
typedef const char *agendad_host_event_slot_title(agendad_plugin *self, const agendad_event *ev,
                                                  size_t i, const char *lang);

/* Number of entries of the audience as the admin wrote it.
 * Ownership: values only. */
typedef size_t agendad_host_event_audience_count(agendad_plugin *self, const agendad_event *ev);

/* The i-th audience entry as the admin wrote it: a member id or one of the
 * selectors "network", "region:<id>", "kind:<region|province|commune>";
 * NULL out of range. Ownership: borrowed like the event. */
typedef const char *agendad_host_event_audience(agendad_plugin *self, const agendad_event *ev,
                                                size_t i);

/* True when the member hosts the event or is in its audience, directly or
 * through a selector: the feeds' own rule.
 * Ownership: member_id borrowed for the call. */
typedef bool agendad_host_event_invites(agendad_plugin *self, const agendad_event *ev,
                                        const char *member_id);

/* The event alone as an iCalendar object, as /events/UID.ics?slots=0
 * serves it (one UID, its VTIMEZONE when needed), in lang. Members-only
 * events too, marked CLASS:PRIVATE, though /events/UID.ics answers 404 for
 * them: the plugin holds the event already (event_foreach, event_find and
 * event_text give it every field), so the plugin decides who reads it.
 * Give the text to members the event concerns (event_invites), in a place
 * private to each, such as the member's own calendar; check
 * event_visibility before putting it where anyone else may read it.
 * Ownership: *text (*len bytes) is borrowed until this plugin's next call
 * of event_ical or state_get, and at most until the current callback
 * returns: copy it to keep it. */
typedef int agendad_host_event_ical(agendad_plugin *self, const agendad_event *ev, const char *lang,
                                    const char **text, size_t *len);

/* A member's answer to an event's invitation, as it counts: only replies
 * that came back through the signed reply address or a signed link. */
typedef enum {
    AGENDAD_REPLY_NONE = 0, /* invited, no answer (or none since the last re-invitation) */
    AGENDAD_REPLY_ACCEPTED = 1,
    AGENDAD_REPLY_TENTATIVE = 2,
    AGENDAD_REPLY_DECLINED = 3,
} agendad_reply; /* since 1.9 */

/* One member of an event that publishes attendance (publish_attendance:
 * true). Size-prefixed: the host fills size. Member ids only: the host
 * gives no address and no person's name. */
typedef struct {
    size_t size;         /* since 1.9 */
    const char *member;  /* since 1.9; member id (host->member_find for its name) */
    bool invited;        /* since 1.9; the event concerns it (event_invites) */
    agendad_reply reply; /* since 1.9 */
    int attended;        /* since 1.9; 1 present, 0 absent, -1 not recorded */
} agendad_attendance;    /* since 1.9 */

/* Calls fn for each member the event concerns or that answered or was
 * marked, in member id order, until fn returns non-zero; returns that
 * value, or 0. For a series, attendance is the latest occurrence's that
 * has any. AGENDAD_ENOENT, fn never called, when the event does not
 * publish attendance (or the host keeps no state).
 * Ownership: a and its strings are borrowed for the call of fn; data is
 * the plugin's. */
typedef int agendad_host_event_attendance(agendad_plugin *self, const agendad_event *ev,
                                          int (*fn)(const agendad_attendance *a, void *data),
                                          void *data);

/* --- members */

/* The member with that id; NULL when unknown.
 * Ownership: id borrowed for the call; the handle is borrowed until the
 * current callback returns. */
typedef const agendad_member *agendad_host_member_find(agendad_plugin *self, const char *id);

/* Number of members. Ownership: values only. */
typedef size_t agendad_host_member_count(agendad_plugin *self);

/* The i-th member in the admin's order; NULL out of range.
 * Ownership: borrowed like member_find's. */
typedef const agendad_member *agendad_host_member_at(agendad_plugin *self, size_t i);

/* Calls fn for each member in members.yaml order until fn returns non-zero;
 * returns that value, or 0. Ownership: each m is borrowed like
 * member_find's; data is the plugin's. */
typedef int agendad_host_member_foreach(agendad_plugin *self,
                                        int (*fn)(const agendad_member *m, void *data), void *data);

/* The member's id. Ownership: borrowed like the member. */
typedef const char *agendad_host_member_id(agendad_plugin *self, const agendad_member *m);

/* The member's name in lang, with event_text's fallback.
 * Ownership: borrowed like the member. */
typedef const char *agendad_host_member_name(agendad_plugin *self, const agendad_member *m,
                                             const char *lang);

/* Preferred language "ar"/"fr", or NULL when the admin gave none.
 * Ownership: borrowed like the member. */
typedef const char *agendad_host_member_language(agendad_plugin *self, const agendad_member *m);

/* Region, province or commune. Ownership: values only. */
typedef agendad_member_kind agendad_host_member_kind(agendad_plugin *self, const agendad_member *m);

/* Id of the member's region; NULL for a region.
 * Ownership: borrowed like the member. */
typedef const char *agendad_host_member_region(agendad_plugin *self, const agendad_member *m);

/* Number of the member's e-mail addresses. Ownership: values only. */
typedef size_t agendad_host_member_email_count(agendad_plugin *self, const agendad_member *m);

/* The i-th e-mail address; NULL out of range.
 * Ownership: borrowed like the member. */
typedef const char *agendad_host_member_email(agendad_plugin *self, const agendad_member *m,
                                              size_t i);

/* The member's entry in members.yaml as the admin wrote it (a map, read
 * with config_get and the other config entries), for what the host has no
 * entry of its own for, and for the place to name in a check_error; NULL
 * when the host does not know it.
 * Ownership: the node and everything read from it are borrowed like the
 * member. */
typedef const agendad_config_node *agendad_host_member_config(agendad_plugin *self,
                                                              const agendad_member *m);

/* --- categories, the network, time */

/* Number of categories. Ownership: values only. */
typedef size_t agendad_host_category_count(agendad_plugin *self);

/* The i-th category id in the admin's order; NULL out of range.
 * Ownership: borrowed until the current callback returns. */
typedef const char *agendad_host_category_id(agendad_plugin *self, size_t i);

/* Name in lang (fallback as event_text); NULL for an unknown id.
 * Ownership: id borrowed for the call; the name is borrowed until the
 * current callback returns. */
typedef const char *agendad_host_category_name(agendad_plugin *self, const char *id,
                                               const char *lang);

/* True for one of the network's openness axes; false for an unknown id.
 * Ownership: id borrowed for the call. */
typedef bool agendad_host_category_is_axis(agendad_plugin *self, const char *id);

/* The network's "name" or "description" in lang, with event_text's
 * fallback; NULL when neither language is given.
 * Ownership: borrowed until the current callback returns. */
typedef const char *agendad_host_network_text(agendad_plugin *self, const char *field,
                                              const char *lang);

/* A number that changes whenever anything the store queries, settings,
 * categories or members answer may have changed (reload, tzdata upgrade):
 * a plugin's cache is valid while it stays the same.
 * Ownership: values only. */
typedef uint64_t agendad_host_store_generation(agendad_plugin *self);

/* The UTC offset (seconds) in force in tzid at instant t, from the system
 * tzdata, so that local times shown to people agree with the feeds (a
 * library's own zone tables may be older). AGENDAD_EZONE for an unknown
 * zone. Ownership: tzid borrowed for the call; *offset is the plugin's. */
typedef int agendad_host_utc_offset(agendad_plugin *self, const char *tzid, int64_t t,
                                    int32_t *offset);

/* ============================================================== HTTP routes */

typedef struct agendad_request agendad_request; /* since 1.0; an HTTP request routed to a plugin */

/* Runs on the loop for each GET or HEAD whose path falls under the prefix.
 * The handler, or anything later on the loop, must call exactly one
 * host->respond* for req. For HEAD the host sends headers only.
 * Ownership: req and the strings read from it are borrowed until that
 * response; data is the plugin's. */
typedef void (*agendad_route_fn)(agendad_request *req, void *data); /* since 1.0 */

/* Registers fn for the paths under path_prefix (during init only, else
 * AGENDAD_ESTATE). The prefix is matched on whole segments: "/plugins/x"
 * serves "/plugins/x" and "/plugins/x/...". The longest matching prefix
 * wins. It starts with "/", has no trailing "/", no empty, "." or ".."
 * segment. "/" alone is special: it serves the front page "/" only, never
 * other paths. Any prefix is allowed except the core's reserved ones
 * ("/feeds", "/healthz", ... : AGENDAD_EEXIST); the core's own routes
 * always win, so a plugin registering "/events" serves "/events/UID" while
 * the core keeps "/events/UID.ics". A host that lacks store_generation
 * (AGENDAD_HOST_HAS) accepts only prefixes under "/plugins/".
 * Ownership: path_prefix copied; the route lives until fini. */
typedef int agendad_host_register_route(agendad_plugin *self, const char *path_prefix,
                                        agendad_route_fn fn, void *data);

/* "GET" or "HEAD"; "POST" on a route registered with register_route_post.
 * Ownership: borrowed like req. */
typedef const char *agendad_host_request_method(const agendad_request *req);

/* Percent-decoded path without the query. Ownership: borrowed like req. */
typedef const char *agendad_host_request_path(const agendad_request *req);

/* Raw query string without '?', or "". Bytes RFC 3986 does not allow there
 * ("{", "|", raw UTF-8...) come percent-encoded.
 * Ownership: borrowed like req. */
typedef const char *agendad_host_request_query_string(const agendad_request *req);

/* Decoded value of the first parameter name, or NULL.
 * Ownership: name borrowed for the call; the value borrowed like req. */
typedef const char *agendad_host_request_query(const agendad_request *req, const char *name);

/* Header value by case-insensitive name, or NULL.
 * Ownership: name borrowed for the call; the value borrowed like req. */
typedef const char *agendad_host_request_header(const agendad_request *req, const char *name);

/* Sends the response and ends req (it must not be used afterwards).
 * headers: NULL-terminated "Name: value" lines, or NULL.
 * Ownership: content_type, body (len bytes) and headers are copied. */
typedef void agendad_host_respond(agendad_request *req, int status, const char *content_type,
                                  const char *body, size_t len, const char *const *headers);

/* Short text/plain error response; ends req like respond.
 * Ownership: detail copied. */
typedef void agendad_host_respond_error(agendad_request *req, int status, const char *detail);

/* Responds 200 like the feeds do: a strong ETag over the bytes and the
 * tzdata version, Last-Modified (Unix seconds; 0: now), conditional GET
 * (304), gzip when accepted, HEAD, Cache-Control max-age (negative:
 * no-cache); req ends. Cache the bytes per store_generation so that an
 * unchanged page keeps its ETag.
 * Ownership: content_type and body (len bytes) are copied. */
typedef void agendad_host_respond_cached(agendad_request *req, const char *content_type,
                                         const char *body, size_t len, int64_t last_modified,
                                         int max_age);

/* Registers fn like register_route, for GET, HEAD and POST (during init
 * only, else AGENDAD_ESTATE; the same prefixes allowed and refused). A
 * POST reaches fn only as an HTML form: Content-Type
 * application/x-www-form-urlencoded (the host answers 415 to any other)
 * and a body of 4 KiB at most (413 beyond); read its fields with
 * request_form. Every other route, the core's and register_route's,
 * answers 405 to a POST. A form changes something: check a token of the
 * plugin's own in it (CSRF), and answer with a page, not a cached one.
 * Ownership: path_prefix copied; the route lives until fini. */
typedef int agendad_host_register_route_post(agendad_plugin *self, const char *path_prefix,
                                             agendad_route_fn fn, void *data);

/* Decoded value of the first field name of a POST's form ("+" read as a
 * space), or NULL: no such field, or the request is no POST.
 * Ownership: name borrowed for the call; the value borrowed like req. */
typedef const char *agendad_host_request_form(const agendad_request *req, const char *name);

/* ======================================================== reminder channels */

typedef enum {
    AGENDAD_DELIVERED = 0,
    AGENDAD_FAILED_TEMPORARY = 1, /* the scheduler will retry later */
    AGENDAD_FAILED_PERMANENT = 2, /* no retry (bad address, refused recipient) */
} agendad_delivery;               /* since 1.0 */

typedef struct agendad_reminder agendad_reminder; /* since 1.0 */

/* What the host's scheduler hands a channel to send. Size-prefixed: the
 * host fills size; check it (AGENDAD_REMINDER_HAS) before reading a field
 * later than host_data. Owned by the host: it and its strings stay valid
 * until the channel calls done(). */
struct agendad_reminder {
    size_t size;           /* since 1.0 */
    const char *event_uid; /* since 1.0; find the event with host->event_find */
    int64_t occurrence;    /* since 1.0; UTC instant of the occurrence reminded of */
    int64_t lead_time;     /* since 1.0; seconds before occurrence this reminder is for */
    const char *recipient; /* since 1.0; member id (host->member_find for emails, name) */
    const char *language;  /* since 1.0; "ar" or "fr": the recipient's, else the default */
    /* The channel calls done exactly once per send, before send returns or
     * later on the loop, with the outcome; error is a short text for the
     * log and the outbox (copied; NULL when delivered). */
    void (*done)(agendad_reminder *r, agendad_delivery outcome, const char *error); /* since 1.0 */
    void *host_data;       /* since 1.0; the host's; the channel leaves it alone */
    const char *kind;      /* since 1.4; "reminder"; "cancel": the event is off (send a
                              CANCEL); "change": its time or place changed (send the update);
                              "invite": an invitation that asks for a reply (iMIP REQUEST,
                              reminder_ics gives it; only to the channel named "email");
                              "invite-cancel": that invitation withdrawn (iMIP CANCEL);
                              "minutes": to the event's host, whose minutes are missing
                              (occurrence: its last one; lead_time 0). A channel that does
                              not know a kind still delivers it as a notice. */
    const char *address;   /* since 1.4; the contact address to write to; NULL for a member
                              without one. One reminder per address: never group recipients. */
    bool both_languages;   /* since 1.4; the recipient's language is unknown: write ar and fr */
    int sequence;          /* since 1.4; the event's SEQUENCE */
    const char *event_url; /* since 1.4; the event's page (its .ics on this daemon) */
    const char *id;        /* since 1.4; stable id of this send, the same on a retry (dedup key
                              for the receiver: Message-ID, webhook delivery id) */
    /* An invitation's ("invite", "invite-cancel"): the mailbox the mail comes
     * from and replies go back to, with the invitation's signed tag
     * ("rsvp+TAG@network.example"; its ORGANIZER), and for an "invite" the
     * one-click links that accept, say maybe or decline; NULL otherwise. */
    const char *organizer;          /* since 1.9 */
    const char *rsvp_accept_url;    /* since 1.9 */
    const char *rsvp_tentative_url; /* since 1.9 */
    const char *rsvp_decline_url;   /* since 1.9 */
};

#define AGENDAD_REMINDER_HAS(r, member)                                                            \
    ((r)->size >= offsetof(agendad_reminder, member) + sizeof((r)->member))

/* Hands a reminder to the channel, which ends it with r->done.
 * Ownership: r is borrowed until done is called; data is the plugin's. */
typedef void (*agendad_channel_fn)(agendad_reminder *r, void *data); /* since 1.0 */

/* Registers a channel (during init only, else AGENDAD_ESTATE): name is
 * what events' reminder settings refer to, e.g. "email".
 * Ownership: name copied; the channel lives until fini. */
typedef int agendad_host_register_channel(agendad_plugin *self, const char *name,
                                          agendad_channel_fn fn, void *data);

/* The event r is about, also when it was removed from the config (for a
 * cancellation notice); NULL once purged.
 * Ownership: borrowed like event_find's. */
typedef const agendad_event *agendad_host_reminder_event(agendad_plugin *self,
                                                         const agendad_reminder *r);

/* The event as an iCalendar object for r's recipient, built by the core's
 * feed builder: METHOD:CANCEL for a cancellation, else METHOD:PUBLISH. For
 * an invitation (kind "invite"): METHOD:REQUEST with ORGANIZER r->organizer
 * (CN the network's name) and one ATTENDEE, r->address (CN the member's
 * name, ROLE=REQ-PARTICIPANT, PARTSTAT=NEEDS-ACTION, RSVP=TRUE); for
 * "invite-cancel" METHOD:CANCEL with the same ORGANIZER and ATTENDEE.
 * Ownership: *out (*len bytes, NUL-terminated) is yours: free it with
 * mem_free. */
typedef int agendad_host_reminder_ics(agendad_plugin *self, const agendad_reminder *r, char **out,
                                      size_t *len);

/* ===================================== event sources and members' calendars */

typedef struct agendad_source agendad_source; /* since 1.0; an event source of a plugin */

/* An ATTENDEE of an imported event, as the source wrote it. The host
 * publishes it only where the admin allowed the member's private data
 * (members.yaml sync.private_data). */
typedef struct {
    const char *address;   /* required: the cal-address, usually "mailto:..." */
    const char *cn;        /* CN parameter, or NULL */
    const char *partstat;  /* PARTSTAT parameter as written ("ACCEPTED"...), or NULL */
    const char *role;      /* ROLE parameter as written ("REQ-PARTICIPANT"...), or NULL */
} agendad_source_attendee; /* since 1.6 */

typedef enum {
    AGENDAD_TRIGGER_START = 0,    /* seconds from the event's start (negative: before) */
    AGENDAD_TRIGGER_END = 1,      /* seconds from the event's end */
    AGENDAD_TRIGGER_ABSOLUTE = 2, /* a UTC instant */
} agendad_trigger;                /* since 1.6 */

/* A VALARM of an imported event; same publication rule as attendees. */
typedef struct {
    const char *action; /* required: "DISPLAY" or "AUDIO" */
    agendad_trigger related;
    int64_t trigger;
    const char *description; /* or NULL */
    const char *summary;     /* or NULL */
} agendad_source_alarm;      /* since 1.6 */

/* One event a source submits (e.g. from a member's own calendar feed).
 * Size-prefixed: the plugin fills size; fields its size does not cover
 * read as zero (a confirmed event without categories, attendees or
 * alarms). Strings are copied by the host during submit. */
typedef struct {
    size_t size;                   /* since 1.0 */
    const char *uid;               /* since 1.0; required; unique within this source */
    const char *title_ar;          /* since 1.0; at least one title required */
    const char *title_fr;          /* since 1.0 */
    const char *description_ar;    /* since 1.0; optional */
    const char *description_fr;    /* since 1.0; optional */
    const char *location_ar;       /* since 1.0; optional */
    const char *location_fr;       /* since 1.0; optional */
    int64_t start;                 /* since 1.0; UTC instant */
    int64_t end;                   /* since 1.0; UTC instant, exclusive, end >= start */
    bool all_day;                  /* since 1.0 */
    const char *tzid;              /* since 1.0; the zone the source gave, or NULL */
    const char *member;            /* since 1.0; id of the member it belongs to, or NULL */
    agendad_status status;         /* since 1.3 */
    const char *const *categories; /* since 1.3; names as the source wrote them; the host keeps
                                      those naming a configured category (id or name) */
    size_t n_categories;           /* since 1.3 */
    /* Give attendees and alarms only when the member's sync settings have
     * private_data set. */
    const agendad_source_attendee *attendees; /* since 1.6 */
    size_t n_attendees;                       /* since 1.6 */
    const agendad_source_alarm *alarms;       /* since 1.6 */
    size_t n_alarms;                          /* since 1.6 */
} agendad_source_event;                       /* since 1.0 */

/* What the admin configured for syncing one member (members.yaml,
 * `feed_url` and `sync:`), filled by member_sync. Size-prefixed, both ways:
 * the plugin sets size to the sizeof it was built with before the call;
 * the host fills that much at most and sets size to what it filled.
 * Strings borrowed like the member. */
typedef struct {
    size_t size;            /* since 1.3 */
    const char *feed_url;   /* since 1.3; the member's own .ics feed to pull, or NULL */
    int64_t interval;       /* since 1.3; seconds between pulls */
    const char *caldav_url; /* since 1.3; the member's CalDAV collection to push into, or NULL */
    const char *caldav_username;      /* since 1.3 */
    const char *caldav_password_file; /* since 1.3; absolute path of the file with the password */
    bool network_wins;                /* since 1.3; overwrite edits made in the member's calendar */
    bool private_data; /* since 1.3; republish ATTENDEE e-mails and VALARMs of imported events */
} agendad_member_sync; /* since 1.3 */

/* Registers a source (during init only, else AGENDAD_ESTATE).
 * Ownership: name copied; *out receives the source's handle, borrowed until
 * fini. */
typedef int agendad_host_register_source(agendad_plugin *self, const char *name,
                                         agendad_source **out);

/* At any time after registration: replaces the source's previous batch as
 * a whole (a full sync, not a diff). On error nothing changes.
 * Ownership: events and their strings are copied. */
typedef int agendad_host_source_submit(agendad_source *src, const agendad_source_event *events,
                                       size_t n);

/* Fills *out with the member's sync settings (see agendad_member_sync for
 * its size). Ownership: *out is the plugin's; its strings are borrowed like
 * the member. */
typedef int agendad_host_member_sync(agendad_plugin *self, const agendad_member *m,
                                     agendad_member_sync *out);

/* Replaces the events of one member in the source, persistently: the host
 * stores them (uids namespaced by member), publishes them in that member's
 * feed and, where the admin allows it, in the network and category feeds,
 * and keeps them across restarts. An unchanged batch writes nothing. Each
 * event's member field is ignored. On error nothing changes.
 * Ownership: member, events and their strings are copied. */
typedef int agendad_host_source_submit_member(agendad_source *src, const char *member,
                                              const agendad_source_event *events, size_t n);

/* source_submit_member spread over loop turns: the events are checked and
 * copied before it returns, then stored (one transaction), read back and
 * published a step per turn, so that feeds are served while a member's
 * thousands of events go in. Batches are handled one at a time, in the
 * order submitted. done(rc, data) runs once, on the loop, never during
 * this call: rc 0 when the batch is in the store and the feeds (or changed
 * nothing), else AGENDAD_EPLUGIN (the daemon's log says why; the feeds keep
 * the last good copy). It never runs once the plugin's fini has begun.
 * Returns 0 (queued), or an error as source_submit_member's (done will not
 * run). Ownership: member, events and their strings are copied before the
 * call returns; data is the plugin's. */
typedef int agendad_host_source_submit_member_async(agendad_source *src, const char *member,
                                                    const agendad_source_event *events, size_t n,
                                                    void (*done)(int rc, void *data), void *data);

/* ========================================================= change listeners */

/* What the last reload changed. Size-prefixed: the host fills size. */
typedef struct {
    size_t size;             /* since 1.0 */
    int added;               /* since 1.0 */
    int changed;             /* since 1.0 */
    int unchanged;           /* since 1.0 */
    int removed;             /* since 1.0 */
    int restored;            /* since 1.0 */
    const char *const *uids; /* since 1.0; uids added, changed, removed or restored */
    size_t n_uids;           /* since 1.0 */
} agendad_changes;           /* since 1.0 */

/* Runs on the loop after each reload that the store reconciled.
 * Ownership: changes and its uids are borrowed for the call. */
typedef void (*agendad_listener_fn)(const agendad_changes *changes, void *data); /* since 1.0 */

/* Registers a listener (during init only, else AGENDAD_ESTATE).
 * Ownership: the listener lives until fini; data is the plugin's. */
typedef int agendad_host_register_listener(agendad_plugin *self, agendad_listener_fn fn,
                                           void *data);

/* ============================================================ persistent state
 *
 * Small key/value state of the plugin in the daemon's state database
 * (validators, status), kept across restarts. */

/* The value of key, or NULL.
 * Ownership: key borrowed for the call; the value is borrowed until this
 * plugin's next call of state_get or event_ical, and at most until the
 * current callback returns: copy it to keep it. */
typedef const char *agendad_host_state_get(agendad_plugin *self, const char *key);

/* Sets key to value; value NULL deletes it. An unchanged value is not
 * written. Ownership: key and value are copied. */
typedef int agendad_host_state_set(agendad_plugin *self, const char *key, const char *value);

/* state_set for n keys at once, in one transaction: one fsync for what
 * would otherwise cost one per key (values[i] NULL deletes; unchanged ones
 * are not written). On error nothing changed.
 * Ownership: keys and values are copied. */
typedef int agendad_host_state_set_many(agendad_plugin *self, const char *const *keys,
                                        const char *const *values, size_t n);

/* ============================================================== network client
 *
 * The core's asynchronous HTTP(S) and SMTP client, so that no plugin blocks
 * the loop or wires curl to it on its own: HTTP runs on the daemon's loop
 * (libcurl multi-socket), SMTP on a core thread (libcurl 7.88 would block the
 * loop waiting for the server's reply to the message); callbacks always run
 * on the loop. */

typedef struct agendad_xfer agendad_xfer; /* since 1.1; a transfer in flight */

typedef enum {
    AGENDAD_NET_OK = 0,        /* the exchange completed: any HTTP status, or SMTP accepted */
    AGENDAD_NET_FAILED = 1,    /* transport or protocol failure, see error */
    AGENDAD_NET_CANCELLED = 2, /* xfer_cancel, or the daemon is stopping */
} agendad_net_outcome;         /* since 1.1 */

/* The end of a transfer. Size-prefixed: the host fills size. Everything is
 * borrowed for the duration of the callback only. */
typedef struct {
    size_t size;                 /* since 1.1 */
    agendad_net_outcome outcome; /* since 1.1 */
    long status;       /* since 1.1; HTTP status of the last response, or last SMTP reply code;
                          0 if none */
    const char *error; /* since 1.1; plain words when outcome != AGENDAD_NET_OK, else NULL */
    const char *body;  /* since 1.1; response body, NUL-terminated; "" if none */
    size_t body_len;   /* since 1.1 */
    const char *etag;  /* since 1.1; headers of the last response (after redirects); NULL if
                          absent */
    const char *last_modified; /* since 1.1 */
    const char *content_type;  /* since 1.1 */
    long elapsed_ms;           /* since 1.1 */
} agendad_net_result;          /* since 1.1 */

/* Runs exactly once per accepted transfer, later, on the loop — never from
 * inside the call that submitted it. Not called once the plugin's fini has
 * run (the host drops it). Ownership: r and all it points to are borrowed
 * for the call; data is the plugin's. */
typedef void (*agendad_net_done_fn)(const agendad_net_result *r, void *data); /* since 1.1 */

/* An HTTP request. Size-prefixed: the plugin fills size. Zero means the
 * default for every numeric field: connect timeout 10 s, total 60 s, body
 * limit 16 MiB, 5 redirects (negative: do not follow). */
typedef struct {
    size_t size;                /* since 1.1 */
    const char *url;            /* since 1.1; http:// or https:// */
    const char *method;         /* since 1.1; NULL: GET, or POST when body is set */
    const char *const *headers; /* since 1.1; "Name: value", NULL-terminated; may be NULL */
    const char *body;           /* since 1.1; may contain NUL bytes */
    size_t body_len;            /* since 1.1 */
    long connect_timeout_ms;    /* since 1.1 */
    long total_timeout_ms;      /* since 1.1 */
    size_t max_body_bytes;      /* since 1.1 */
    int max_redirects;          /* since 1.1 */
    const char *username;       /* since 1.1; basic auth; never logged */
    const char *password;       /* since 1.1 */
    bool tls_insecure;          /* since 1.1; skip certificate checks: lab setups only */
    const char *ca_file;        /* since 1.1; PEM bundle replacing the system's CAs */
} agendad_http_fetch;           /* since 1.1 */

/* A message to send. Size-prefixed: the plugin fills size. */
typedef struct {
    size_t size;             /* since 1.1 */
    const char *url;         /* since 1.1; smtp://host:port or smtps://host:port */
    bool starttls;           /* since 1.1; require STARTTLS on smtp:// (never fall back to clear) */
    const char *username;    /* since 1.1; AUTH; never logged */
    const char *password;    /* since 1.1 */
    const char *from;        /* since 1.1; envelope sender */
    const char *const *rcpt; /* since 1.1; envelope recipients, NULL-terminated, at least one */
    const char *message;     /* since 1.1; complete RFC 5322 message with CRLF line ends */
    size_t message_len;      /* since 1.1 */
    long connect_timeout_ms; /* since 1.1 */
    long timeout_ms;         /* since 1.1 */
    bool tls_insecure;       /* since 1.1 */
    const char *ca_file;     /* since 1.1 */
} agendad_smtp_message;      /* since 1.1 */

/* Starts an HTTP request. Returns 0 and done runs once later, or a negative
 * AGENDAD_E* code and done never runs.
 * Ownership: req and everything it points to are copied; *out (out may be
 * NULL) receives a handle borrowed until done starts; data is the
 * plugin's. */
typedef int agendad_host_http_fetch(agendad_plugin *self, const agendad_http_fetch *req,
                                    agendad_net_done_fn done, void *data, agendad_xfer **out);

/* Sends a message over SMTP; returns and calls done as http_fetch.
 * Ownership: as http_fetch (msg and everything it points to are copied). */
typedef int agendad_host_smtp_send(agendad_plugin *self, const agendad_smtp_message *msg,
                                   agendad_net_done_fn done, void *data, agendad_xfer **out);

/* Cancels a transfer: done still runs once, later, with
 * AGENDAD_NET_CANCELLED (or with the real result if the transfer had
 * already finished). Ownership: x stays the host's. */
typedef void agendad_host_xfer_cancel(agendad_xfer *x);

/* =================================================== command-line renderers */

/* What the command line (`agendad NAME KEY --format F --lang L`) asks a
 * renderer for. Size-prefixed: the host fills size. Strings borrowed for
 * the call. */
typedef struct {
    size_t size;          /* since 1.2 */
    const char *key;      /* since 1.2; what to render, e.g. an event uid */
    const char *format;   /* since 1.2; e.g. "html", "md", "txt"; never NULL */
    const char *lang;     /* since 1.2; "ar" or "fr", or NULL: the renderer's default */
} agendad_render_request; /* since 1.2 */

/* Writes the rendering to out and returns 0; AGENDAD_ENOENT when key names
 * nothing, AGENDAD_EINVAL for a format it does not know (after logging why).
 * Runs on the loop thread, with the store queries available, but no HTTP
 * server may be running (the command line has none).
 * Ownership: r and out are borrowed for the call; data is the plugin's. */
typedef int (*agendad_render_fn)(const agendad_render_request *r, FILE *out,
                                 void *data); /* since 1.2 */

/* Registers a renderer the command line runs as `agendad NAME KEY` (during
 * init only, else AGENDAD_ESTATE).
 * Ownership: name copied; the renderer lives until fini. */
typedef int agendad_host_register_renderer(agendad_plugin *self, const char *name,
                                           agendad_render_fn fn, void *data);

/* ====================================================== command-line commands
 *
 * A plugin's own command of the command line, `agendad NAME [ARG] --config
 * DIR [--state PATH] [--format F] [--lang L]` (`agendad NAME status`, say).
 * Unlike a renderer, a command writes its own
 * output and usage errors and chooses the exit status, and it runs on a
 * command line that only reads. */

/* What the command line hands a command. Size-prefixed: the host fills
 * size (check it before reading a field appended later). Everything is
 * borrowed for the call. */
typedef struct {
    size_t size;             /* since 1.8 */
    const char *const *argv; /* since 1.8; the words after NAME, options removed */
    int argc;                /* since 1.8; how many (the command line passes at most one) */
    const char *format;      /* since 1.8; --format, or NULL */
    const char *lang;        /* since 1.8; --lang, or NULL */
    FILE *out;               /* since 1.8; standard output */
    FILE *err;               /* since 1.8; standard error: usage and failures */
    /* NULL when the plugin's state was read; else why it could not be (the
     * state database is missing, older or newer than this agendad...), in
     * words for the admin: a command that needs its state prints it and
     * fails. state_get then answers NULL. */
    const char *state_error; /* since 1.8 */
} agendad_command_request;   /* since 1.8 */

/* Runs the command and returns the process's exit status: 0, 1 when it
 * failed, 2 for bad usage; it writes to r->out and r->err itself. Runs on
 * the loop thread of a command line that serves nothing and only reads:
 * the config (members, settings, the plugin's section) is there, the
 * events are not (event_count is 0); state_get answers from the plugin's
 * state as the store held it when the command line started (read without
 * migrating, reconciling or writing the database); state_set,
 * state_set_many, the sources' submits and the network client fail with
 * AGENDAD_ESTATE. host->log lines show only with -v: tell the user on
 * r->err.
 * Ownership: r is borrowed for the call; data is the plugin's. */
typedef int (*agendad_command_fn)(const agendad_command_request *r, void *data); /* since 1.8 */

/* Registers `agendad NAME ...`. During init only, else AGENDAD_ESTATE;
 * AGENDAD_EEXIST when a plugin already registered a command by that name.
 * The command line's own commands (run, check, export, list, token,
 * reminders, attendance, rsvp-key) never reach a plugin; a command wins
 * over a renderer of the same name. Allowed in the daemon too, which never runs one.
 * Ownership: name copied; the command lives until fini. */
typedef int agendad_host_register_command(agendad_plugin *self, const char *name,
                                          agendad_command_fn fn, void *data);

/* True when the command line loaded the plugin to run a command, or
 * `agendad check` to check the settings, rather than the daemon to serve:
 * register the commands and checks and start nothing (no timers, transfers
 * or child processes), since fini follows the command or the checks.
 * Besides the configured plugins, the command line loads the plugin named
 * like the command from the plugin directory, with an empty section, when
 * the configuration does not load it.
 * Ownership: nothing is handed over. */
typedef bool agendad_host_command_line(agendad_plugin *self);

/* ===================================================== checks of the settings
 *
 * `agendad check` loads the configured plugins the way the command line
 * does (command_line is true), runs every check they registered, lists
 * what the checks report with the core's own errors, as
 * "file:line:col: error: message", and fails when there is any. A plugin
 * that cannot be loaded at all, or whose init fails, is reported there too,
 * at its entry under plugins.load. So a plugin should not refuse its
 * settings in init when command_line is true: it registers its check and
 * starts nothing, and the check reports what init would refuse (a file it
 * cannot read, a program that is missing, a key it does not know) where
 * the admin wrote it, before the daemon leaves the plugin out.
 *
 * The daemon runs the checks of the plugins it runs at start and at every
 * reload, on the configuration being loaded: what they report keeps the
 * daemon from starting, or the reload from being applied (the previous
 * configuration keeps serving), logged like the core's errors. There
 * (command_line false) a check need not look again at what the running
 * plugin already holds, since its section is the one it started with. */

typedef struct agendad_check agendad_check; /* since 1.8; one run of a plugin's check */

/* Reads the configuration being checked and reports each problem with
 * check_error. The store reads answer from that configuration (on a
 * reload, the new one): settings, members with member_config, categories;
 * the events are not part of it (event_count is 0). The plugin's own
 * section is config's, the one it was loaded with. Files and programs the
 * settings name may be looked at. A check that cannot finish (out of
 * memory) reports that too.
 * Ownership: c is borrowed for the call; data is the plugin's. */
typedef void (*agendad_check_fn)(agendad_check *c, void *data); /* since 1.8 */

/* Registers a check (during init only, else AGENDAD_ESTATE); a plugin may
 * register several, run in that order.
 * Ownership: the check lives until fini; data is the plugin's. */
typedef int agendad_host_register_check(agendad_plugin *self, agendad_check_fn fn, void *data);

/* Reports one error of the configuration, at where the node at was
 * written: a node of the plugin's section, of a member's entry
 * (member_config), or NULL for the plugin's own entry under plugins.load.
 * The message is the part after "error: ", in words for the admin who
 * edits the file.
 * Ownership: at, fmt and its arguments are read during the call only. */
typedef void agendad_host_check_error(agendad_check *c, const agendad_config_node *at,
                                      const char *fmt, ...);

/* ===================================================================== metrics
 *
 * Metric families a plugin publishes on the daemon's /metrics. */

typedef struct agendad_metric agendad_metric; /* since 1.5; a family a plugin registered */

typedef enum {
    AGENDAD_METRIC_COUNTER = 0, /* only goes up */
    AGENDAD_METRIC_GAUGE = 1,   /* set to any value */
} agendad_metric_kind;          /* since 1.5 */

/* During init only (else NULL). The family is published as
 * agendad_plugin_<plugin name>_<name> (name: [a-z0-9_]+; counters end in
 * _total by convention); labels: NULL-terminated label names (at most 4)
 * or NULL. Label values must come from a bounded set (member ids, channel
 * names), never from what a client sends. NULL on a bad name, a clash, or
 * when the daemon keeps no metrics: updating a NULL family does nothing.
 * Ownership: name, help and labels are copied; the family is the host's,
 * borrowed until fini. */
typedef agendad_metric *agendad_host_metric_register(agendad_plugin *self, agendad_metric_kind kind,
                                                     const char *name, const char *help,
                                                     const char *const *labels);

/* Adds v: counters and gauges (a counter ignores v < 0). values: one per
 * label name, in order (NULL without labels).
 * Ownership: values are copied. */
typedef void agendad_host_metric_add(agendad_metric *m, const char *const *values, double v);

/* Sets a gauge to v; values as metric_add's. Ownership: values are copied. */
typedef void agendad_host_metric_set(agendad_metric *m, const char *const *values, double v);

/* ============================================================== the host table
 *
 * What init receives. Size-prefixed: the host fills size. The entries stay
 * in the order they were appended: an entry's offset never changes. Each
 * function entry is documented at its type, agendad_host_NAME, in its
 * section above. */
struct agendad_host {
    size_t size;                                   /* since 1.0 */
    uint32_t abi_major;                            /* since 1.0 */
    uint32_t abi_minor;                            /* since 1.0 */
    uv_loop_t *loop;                               /* since 1.0; the daemon's only loop; borrowed */
    agendad_host_strerror *strerror;               /* since 1.0 */
    agendad_host_log *log AGENDAD_PRINTF(3, 4);    /* since 1.0 */
    agendad_host_config *config;                   /* since 1.0 */
    agendad_host_config_get *config_get;           /* since 1.0 */
    agendad_host_config_kind *config_kind;         /* since 1.0 */
    agendad_host_config_scalar *config_scalar;     /* since 1.0 */
    agendad_host_config_len *config_len;           /* since 1.0 */
    agendad_host_config_item *config_item;         /* since 1.0 */
    agendad_host_config_key *config_key;           /* since 1.0 */
    agendad_host_config_location *config_location; /* since 1.0 */
    agendad_host_event_foreach *event_foreach;     /* since 1.0 */
    agendad_host_event_count *event_count;         /* since 1.0 */
    agendad_host_event_find *event_find;           /* since 1.0 */
    agendad_host_event_uid *event_uid;             /* since 1.0 */
    agendad_host_event_text *event_text;           /* since 1.0 */
    agendad_host_event_when *event_when;           /* since 1.0 */
    agendad_host_event_status *event_status;       /* since 1.0 */
    agendad_host_event_visibility *event_visibility;                     /* since 1.0 */
    agendad_host_event_host_member *event_host_member;                   /* since 1.0 */
    agendad_host_event_category_count *event_category_count;             /* since 1.0 */
    agendad_host_event_category *event_category;                         /* since 1.0 */
    agendad_host_event_slot_count *event_slot_count;                     /* since 1.0 */
    agendad_host_event_slot *event_slot;                                 /* since 1.0 */
    agendad_host_event_slot_title *event_slot_title;                     /* since 1.0 */
    agendad_host_member_find *member_find;                               /* since 1.0 */
    agendad_host_member_id *member_id;                                   /* since 1.0 */
    agendad_host_member_name *member_name;                               /* since 1.0 */
    agendad_host_member_language *member_language;                       /* since 1.0 */
    agendad_host_member_kind *member_kind;                               /* since 1.0 */
    agendad_host_member_region *member_region;                           /* since 1.0 */
    agendad_host_member_email_count *member_email_count;                 /* since 1.0 */
    agendad_host_member_email *member_email;                             /* since 1.0 */
    agendad_host_register_route *register_route;                         /* since 1.0 */
    agendad_host_register_channel *register_channel;                     /* since 1.0 */
    agendad_host_register_source *register_source;                       /* since 1.0 */
    agendad_host_register_listener *register_listener;                   /* since 1.0 */
    agendad_host_source_submit *source_submit;                           /* since 1.0 */
    agendad_host_request_method *request_method;                         /* since 1.0 */
    agendad_host_request_path *request_path;                             /* since 1.0 */
    agendad_host_request_query_string *request_query_string;             /* since 1.0 */
    agendad_host_request_query *request_query;                           /* since 1.0 */
    agendad_host_request_header *request_header;                         /* since 1.0 */
    agendad_host_respond *respond;                                       /* since 1.0 */
    agendad_host_respond_error *respond_error;                           /* since 1.0 */
    agendad_host_http_fetch *http_fetch;                                 /* since 1.1 */
    agendad_host_smtp_send *smtp_send;                                   /* since 1.1 */
    agendad_host_xfer_cancel *xfer_cancel;                               /* since 1.1 */
    agendad_host_store_generation *store_generation;                     /* since 1.2 */
    agendad_host_setting *setting;                                       /* since 1.2 */
    agendad_host_network_text *network_text;                             /* since 1.2 */
    agendad_host_category_count *category_count;                         /* since 1.2 */
    agendad_host_category_id *category_id;                               /* since 1.2 */
    agendad_host_category_name *category_name;                           /* since 1.2 */
    agendad_host_category_is_axis *category_is_axis;                     /* since 1.2 */
    agendad_host_member_count *member_count;                             /* since 1.2 */
    agendad_host_member_at *member_at;                                   /* since 1.2 */
    agendad_host_event_audience_count *event_audience_count;             /* since 1.2 */
    agendad_host_event_audience *event_audience;                         /* since 1.2 */
    agendad_host_event_invites *event_invites;                           /* since 1.2 */
    agendad_host_event_span *event_span;                                 /* since 1.2 */
    agendad_host_respond_cached *respond_cached;                         /* since 1.2 */
    agendad_host_utc_offset *utc_offset;                                 /* since 1.2 */
    agendad_host_register_renderer *register_renderer;                   /* since 1.2 */
    agendad_host_member_foreach *member_foreach;                         /* since 1.3 */
    agendad_host_member_sync *member_sync;                               /* since 1.3 */
    agendad_host_source_submit_member *source_submit_member;             /* since 1.3 */
    agendad_host_state_get *state_get;                                   /* since 1.3 */
    agendad_host_state_set *state_set;                                   /* since 1.3 */
    agendad_host_event_ical *event_ical;                                 /* since 1.3 */
    agendad_host_reminder_event *reminder_event;                         /* since 1.4 */
    agendad_host_reminder_ics *reminder_ics;                             /* since 1.4 */
    agendad_host_mem_free *mem_free;                                     /* since 1.4 */
    agendad_host_metric_register *metric_register;                       /* since 1.5 */
    agendad_host_metric_add *metric_add;                                 /* since 1.5 */
    agendad_host_metric_set *metric_set;                                 /* since 1.5 */
    agendad_host_source_submit_member_async *source_submit_member_async; /* since 1.7 */
    agendad_host_state_set_many *state_set_many;                         /* since 1.7 */
    agendad_host_register_command *register_command;                     /* since 1.8 */
    agendad_host_command_line *command_line;                             /* since 1.8 */
    agendad_host_register_check *register_check;                         /* since 1.8 */
    agendad_host_check_error *check_error AGENDAD_PRINTF(3, 4);          /* since 1.8 */
    agendad_host_member_config *member_config;                           /* since 1.8 */
    agendad_host_register_route_post *register_route_post;               /* since 1.9 */
    agendad_host_request_form *request_form;                             /* since 1.9 */
    agendad_host_event_attendance *event_attendance;                     /* since 1.9 */
};

#ifdef __cplusplus
}
#endif

#endif
