/* The config directory, parsed with libyaml and validated strictly:
 *
 *   DIR/agendad.yaml     daemon settings, categories, plugin sections
 *   DIR/members.yaml     the network's members
 *   DIR/events/NAME.yaml events, one or more per file (read in name order)
 *
 * The schema is documented in doc/admin.md ("Configuration"); that section is
 * the contract. Every error names file:line:col and says in plain words what
 * is wrong and what would be right. Loading never touches the store. */
#ifndef AGENDAD_CONFIG_H
#define AGENDAD_CONFIG_H

#include "diag.h"
#include "model.h"

/* A generic YAML node, kept for plugin sections so that each plugin reads
 * its own settings (with locations for its error messages). */
typedef enum { AG_CFG_SCALAR, AG_CFG_MAP, AG_CFG_SEQ } ag_cfg_kind;
typedef struct ag_config_node ag_config_node;
struct ag_config_node {
    ag_cfg_kind kind;
    char *scalar;           /* AG_CFG_SCALAR: the value text */
    char **keys;            /* AG_CFG_MAP: n keys, with values in items */
    ag_config_node **items; /* AG_CFG_MAP values / AG_CFG_SEQ elements */
    ag_loc *key_locs;       /* AG_CFG_MAP: where each key is written (errors name the key) */
    size_t n;
    ag_loc loc;
    /* Set on the root of a tree read from a file: every node, string and
     * location of that tree lives in it, and goes with the root. */
    struct ag_arena *arena;
};
/* Frees a tree from its root: a file's tree at once (its arena), a copy
 * node by node. Never call it on a node inside a file's tree. */
void ag_config_node_free(ag_config_node *n);
/* Map lookup; NULL if n is not a map or has no such key. Borrowed. */
const ag_config_node *ag_config_node_get(const ag_config_node *n, const char *key);
/* Deep copy (locations included); NULL on allocation failure. */
ag_config_node *ag_config_node_copy(const ag_config_node *n);

typedef struct {
    char *name;              /* file name without ".so" under plugin_dir */
    ag_config_node *section; /* its settings (a map; empty map when none given) */
    ag_loc loc;
} ag_plugin_conf;

/* agendad.yaml `reminders:` (doc/admin.md "Reminders"). Durations in seconds. */
typedef struct {
    int64_t grace;          /* due this long ago at most and still sent; default 1h */
    int64_t horizon;        /* occurrences of a series reminded this far ahead; default 60d */
    int64_t check_interval; /* wake at least this often to re-read the clock; default 60s */
    int retry_attempts;     /* sends before a reminder is parked as failed; default 8 */
    int64_t retry_initial;  /* first backoff, doubled each time; default 1m */
    int64_t retry_max;      /* backoff cap; default 6h */
    char **channels;        /* default channels of events; default ["email"] */
    size_t n_channels;
} ag_reminder_settings;

/* A day of agendad.yaml `holidays:`: added to the days off that finding a
 * time knows (Morocco's public holidays), or taken off them. */
typedef struct {
    ag_datetime date; /* is_date */
    bool remove;      /* a holiday of the built-in list that is worked */
    ag_text name;     /* an added day's name (empty for a removed one) */
    ag_loc loc;
} ag_holiday;

/* agendad.yaml `scheduling:` and `holidays:` (doc/admin.md "Finding a
 * time"). */
typedef struct {
    ag_work_hours hours; /* default Mon-Fri 08:30-16:30, in Ramadan 09:00-15:00 */
    /* ICU calendar of the Hijri dates (religious holidays, Ramadan), or
     * NULL when off; default "islamic-umalqura". */
    char *hijri;
    int hijri_adjust; /* days added before a Hijri date is read; -2..2, default -1 */
    ag_holiday *holidays;
    size_t n_holidays;
} ag_schedule_settings;

typedef struct {
    char *listen_host;    /* default "127.0.0.1" */
    int listen_port;      /* default 8080 */
    char *state_path;     /* default "/var/lib/agendad/agendad.db" */
    char *base_url;       /* default "http://<listen>" ; no trailing slash */
    char *default_tz;     /* default "Africa/Casablanca" */
    char *default_lang;   /* "ar" or "fr"; default "ar" */
    ag_text network_name; /* calendar name of the network feed */
    ag_text network_description;
    /* Feed date window: each bound is either absolute (a local date) or
     * relative to now (days). Events wholly outside are left out. */
    bool window_from_is_date, window_to_is_date;
    ag_datetime window_from_date, window_to_date;
    int64_t window_from_rel, window_to_rel; /* seconds relative to now (signed) */
    int64_t refresh_interval; /* seconds; REFRESH-INTERVAL / X-PUBLISHED-TTL; default 3600 */
    int64_t retention; /* seconds a removed event's row is kept after it passed; default 30 days */
    /* HTTP limits */
    int max_connections;         /* default 16384 */
    int max_pending_per_address; /* without a complete request yet; default 256; 0: no limit */
    int max_header_bytes;        /* default 16384 */
    int max_requests_per_conn;   /* default 1000 */
    int max_requests_per_sec;    /* per connection; default 1000; 0: no limit */
    int64_t header_timeout_ms;   /* default 10000 */
    int64_t idle_timeout_ms;     /* default 60000 */
    char *plugin_dir;            /* default AGENDAD_PLUGIN_DIR */
    /* /metrics and /status: loopback peers allowed (default true), and
     * anyone with this bearer token (read from http.metrics_token_file;
     * NULL when not configured). */
    bool metrics_loopback;
    char *metrics_token;
    /* The admin's views (GET /schedule/propose, any member's free/busy):
     * whoever sends this bearer token, from any address (loopback is not
     * enough: behind a reverse proxy every client is local). Read from
     * http.admin_token_file; NULL when not configured (those views are
     * then refused to everyone). */
    char *admin_token;
    ag_plugin_conf *plugins; /* plugins to load, in file order */
    size_t n_plugins;
    ag_reminder_settings reminders;
    ag_schedule_settings scheduling;
    /* agendad.yaml `invitations:` (doc/admin.md "Invitations"). */
    char *invitations_organizer;   /* the network's mailbox "local@domain"; NULL: not set
                                      (then no event may ask for invitations) */
    int64_t invitations_retention; /* seconds replies and attendance are kept; default 395d */
    char *mail_socket;             /* the daemon's socket for `agendad mail-in`; default
                                      "/run/agendad/mail-in.sock" */
    char *mail_group;              /* the group that may write to it; NULL: the daemon's */
    /* agendad.yaml `documents:`: how long after an event its minutes are
     * due before its host is reminded; default 15d. */
    int64_t minutes_due;
} ag_settings;

typedef struct ag_config_rejected ag_config_rejected;

/* Running checksum of the files read (config_fingerprint.c). */
typedef struct {
    unsigned long crc, adler;
    unsigned long long bytes;
    unsigned files;
} ag_config_hash;

typedef struct {
    char *dir; /* the config directory as given */
    ag_settings settings;
    ag_member *members;
    size_t n_members;
    ag_category *categories;
    size_t n_categories;
    ag_event *events; /* sorted by uid; see ag_config_shed_events */
    size_t n_events;
    struct ag_arena *event_arena; /* owns events once shed; NULL before */
    ag_config_node *root;         /* agendad.yaml as a tree (for plugins needing more) */
    ag_config_node *members_root; /* members.yaml as a tree */
    /* Each member's entry in it, as members[i] was read from: what a
     * plugin reads of a member beyond the model (n_members of them). */
    const ag_config_node **member_nodes;
    ag_config_hash hash; /* of the files parsed so far */
    /* Of every file the events came from, once they are loaded (see
     * ag_config_fingerprint); NULL before, or when they were not parsed. */
    char *fingerprint;
    /* While loading: the members, categories and events left out for errors
     * of their own (config_rejected.c), so that what refers to them is not
     * reported again. Empty after a load that succeeds. */
    ag_config_rejected *rejected;
} ag_config;

/* Parses and validates DIR. Returns 0 and *out on success; on any error
 * returns a negative AG_E* code (AG_ECONFIG: the config has errors; out of
 * memory is one of them), leaves *out NULL and fills diags (all errors
 * found, not only the first). */
int ag_config_load(const char *dir, ag_config **out, ag_diags *diags);
/* ag_config_load in two steps, so that a daemon can skip the second when
 * its store already holds what the event files say. The first reads
 * agendad.yaml and members.yaml (settings, categories, members), the second
 * the event files (checks, sorts, and sets cfg->fingerprint from the bytes
 * it parsed). Same errors and return values as ag_config_load; after a
 * failed second step cfg is only fit for ag_config_free. */
int ag_config_load_base(const char *dir, ag_config **out, ag_diags *diags);
int ag_config_load_events(ag_config *cfg, ag_diags *diags);
/* The fingerprint ag_config_load_events would set, computed from the files
 * as they are now (read and summed, not parsed). NULL when a file cannot be
 * read or on out of memory: then parse them. */
char *ag_config_fingerprint(const ag_config *cfg);
/* Takes the events of a base-only cfg from elsewhere (the store, when the
 * fingerprints match) as ag_config_shed_events would have left them:
 * uid, host, audience and reminder routes copied from evs (sorted by uid).
 * 0, or AG_ENOMEM with cfg unchanged. */
int ag_config_adopt_events(ag_config *cfg, const ag_event *evs, size_t n);
void ag_config_free(ag_config *cfg);
/* The entry of members.yaml member m (of cfg's members) was read from;
 * NULL for a member that is not cfg's. Borrowed like cfg. */
const ag_config_node *ag_config_member_node(const ag_config *cfg, const ag_member *m);
/* Once the store holds the config's events, the service keeps its own copy
 * of each (what feeds are built from); a second full copy here doubled the
 * daemon's memory. This drops every event field but the uid (events stay
 * sorted by uid) and what the reminder scheduler looks up: host, audience,
 * reminder channels and extra addresses (the last two are config only). */
void ag_config_shed_events(ag_config *cfg);

/* Agenda slot kinds, as listed in doc/admin.md; NULL-terminated. */
extern const char *const ag_config_slot_kinds[];

/* Durations "90s", "30m", "2h", "1d", "1w", combinable ("1d12h"). 0, or
 * AG_EINVAL. */
int ag_config_duration_parse(const char *s, int64_t *seconds);
/* "YYYY-MM-DD" (is_date) or "YYYY-MM-DDTHH:MM[:SS]" (also with a space);
 * checks the calendar (no Feb 30). 0, or AG_EINVAL. */
int ag_config_datetime_parse(const char *s, ag_datetime *out);

#endif
