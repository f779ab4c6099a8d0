/* The plugin host: loads the configured plugins (DIR/NAME.so) with
 * uv_dlopen, checks their ABI descriptor before running any of their code,
 * gives each its config section and the host table of agendad/plugin.h, and
 * keeps what they register (routes, reminder channels, event sources, change
 * listeners) for the daemon to use. A plugin that is missing, built for
 * another ABI or whose init fails is logged and left out; loading goes on.
 *
 * The host uses the config's, the store's and HTTP's data types, but calls
 * the rest of the daemon only through ag_plugin_services, which the daemon
 * fills (daemon_plugins.h): it links neither tz, nor feeds, nor the URL
 * space. */
#ifndef AGENDAD_PLUGIN_HOST_H
#define AGENDAD_PLUGIN_HOST_H

#include "agendad/plugin.h"
#include "blob.h"
#include "config.h"
#include "datetime.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "store.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* An invitation as reminder_ics builds it (RFC 5546): ORGANIZER and the
 * one ATTENDEE it goes to, each with its CN (NULL: none), and the SEQUENCE
 * it carries (the invitation's). */
typedef struct {
    bool cancel; /* METHOD:CANCEL (STATUS:CANCELLED), else METHOD:REQUEST */
    int sequence;
    const char *organizer, *organizer_cn; /* a bare address */
    const char *attendee, *attendee_cn;
} ag_plugin_itip;

typedef struct ag_plugin_host ag_plugin_host;

/* Where plugins' state lives in the store's meta table: a plugin's key K is
 * stored as AG_PLUGIN_STATE_PREFIX "<plugin name>.K". */
#define AG_PLUGIN_STATE_PREFIX "plugin."
typedef struct ag_plugin_channel ag_plugin_channel;

/* source_import_async's done rc when the daemon stopped before the batch
 * was done. */
#define AG_SOURCE_IMPORT_CANCELLED AG_ECANCELED

typedef struct {
    /* The current snapshot, read on every plugin query so that a reload is
     * seen at once. events: every stored event (live and removed) sorted by
     * uid, as ag_store_load_events gives them; config: the loaded config
     * (members). Both borrowed; they must stay valid while a plugin callback
     * runs, i.e. replace them only between loop callbacks. */
    const ag_stored_event *(*events)(void *data, size_t *n);
    const ag_config *(*config)(void *data);
    void *data;
    /* ag_tz_to_utc. */
    int64_t (*to_utc)(const ag_datetime *local, const char *tzid, bool *ok);
    /* The http.h request functions plugins' requests map onto. */
    bool (*is_head)(const ag_http_request *req);
    bool (*is_post)(const ag_http_request *req);                       /* NULL: never */
    const char *(*form)(const ag_http_request *req, const char *name); /* NULL: none */
    const char *(*path)(const ag_http_request *req);
    const char *(*query_string)(const ag_http_request *req);
    const char *(*query)(const ag_http_request *req, const char *name);
    const char *(*header)(const ag_http_request *req, const char *name);
    void (*respond)(ag_http_request *req, int status, const char *content_type, const char *body,
                    size_t len, const char *const *extra_headers);
    void (*respond_error)(ag_http_request *req, int status, const char *detail,
                          const char *const *extra_headers);
    /* Where log lines go; ag_logv when NULL. */
    void (*logv)(ag_log_level level, const char *fmt, va_list ap);
    /* Optional: told after a source replaced its batch (e.g. to rebuild the
     * member feeds); name borrowed for the call. */
    void (*source_changed)(void *data, const char *source_name);
    /* For members' calendars, each optional (NULL: the plugin's call fails with
     * AGENDAD_ESTATE). source_import stores one member's batch (see
     * source_submit_member in plugin.h); 0, or a negative AG_E* code with
     * *err (malloc'd).
     * state_get sets *value (malloc'd) or NULL when absent; state_set with
     * value NULL deletes. Keys are already namespaced by plugin. */
    int (*source_import)(void *data, const char *source, const char *member,
                         const agendad_source_event *evs, size_t n, char **err);
    /* The same over later loop turns. 0 when queued: done(rc, err,
     * ctx) then runs once on the loop (err borrowed, NULL when rc is 0),
     * with rc AG_SOURCE_IMPORT_CANCELLED if the daemon stops first (free
     * ctx, call no plugin: their fini is next); a negative AG_E* code with
     * *err when not queued (done will not run). */
    int (*source_import_async)(void *data, const char *source, const char *member,
                               const agendad_source_event *evs, size_t n,
                               void (*done)(int rc, const char *err, void *ctx), void *ctx,
                               char **err);
    int (*state_get)(void *data, const char *key, char **value);
    int (*state_set)(void *data, const char *key, const char *value);
    /* n keys (values[i] NULL deletes) in one transaction. */
    int (*state_set_many)(void *data, const char *const *keys, const char *const *values, size_t n);
    /* The event feed of uid without slots, in lang; *out malloc'd. 0, or a
     * negative AG_E* code. */
    int (*event_ical)(void *data, const char *uid, const char *lang, char **out, size_t *len);
    /* The network client plugins use; NULL: their requests fail
     * with AGENDAD_ESTATE. Borrowed; free it only after ag_plugins_fini. */
    struct ag_net_lazy *net;
    /* reminder_ics: the event uid as an .ics in lang, with METHOD
     * PUBLISH or CANCEL; *out malloc'd. NULL: AGENDAD_ESTATE. */
    int (*event_ics)(void *data, const char *uid, const char *lang, bool cancel, char **out,
                     size_t *len);
    /* reminder_ics for an invitation: the event uid in lang as an iTIP
     * REQUEST (or CANCEL) from it->organizer to it->attendee; *out malloc'd.
     * NULL: AGENDAD_ESTATE. */
    int (*event_itip)(void *data, const char *uid, const char *lang, const ag_plugin_itip *it,
                      char **out, size_t *len);

    /* For the pages' entries; any may be NULL (the entry then answers as
     * for an empty daemon). */
    /* The service's generation: bumps when events or config change. */
    int64_t (*generation)(void *data);
    /* ag_tz_utc_offset. */
    int32_t (*utc_offset)(int64_t t, const char *tzid, bool *ok);
    /* ag_tz_version. */
    const char *(*tz_version)(void);
    /* ag_config_member_concerned. */
    bool (*member_concerned)(const ag_config *cfg, const ag_event *ev, const char *member_id);
    /* ag_feed_series_span: 0, 1 (every instance excluded), or a negative AG_E*
     * code (unknown zone, a rule that does not parse). */
    int (*series_span)(const ag_event *ev, int64_t *first_start, int64_t *last_end);
    /* A cacheable 200, served the way feeds are (the daemon's
     * ag_daemon_respond_cached). */
    void (*respond_cached)(ag_http_request *req, const char *content_type, const char *body,
                           size_t len, int64_t last_modified, int max_age);
    /* Route prefixes the core keeps for itself (NULL-terminated; may be
     * NULL): plugins cannot register them or anything under them. */
    const char *const *reserved_prefixes;
    /* The registry plugins' metrics join; NULL: none kept. */
    struct ag_metrics *metrics;
    /* The command line loaded the plugins to run a command (what
     * host->command_line answers). */
    bool command_line;
    /* Optional (NULL: the entry answers AGENDAD_ENOENT): fn for each
     * member of event uid as event_attendance gives them, when the event
     * publishes attendance; AG_ENOENT when it does not; fn's non-zero, or
     * 0. */
    int (*event_attendance)(void *data, const char *uid,
                            int (*fn)(const agendad_attendance *a, void *fn_data), void *fn_data);
    /* Optional: told of each plugin left out at load (besides the log
     * line), for `agendad check`: conf is the caller's entry, why says it
     * in words (the log's, and for a failed init what the plugin logged
     * last at error level); both borrowed for the call. */
    void (*left_out)(void *data, const ag_plugin_conf *conf, const char *why);
} ag_plugin_services;

/* Loads confs[0..n) in order from dir. svc is copied. Plugins that cannot be
 * loaded are logged and skipped: the result is still 0. Returns AG_ENOMEM only
 * when memory runs out (nothing loaded then). Call on the loop thread. */
int ag_plugins_load(uv_loop_t *loop, const char *dir, const ag_plugin_conf *confs, size_t n,
                    const ag_plugin_services *svc, ag_plugin_host **out);

/* Plugins running, in load order; name as configured, borrowed. */
size_t ag_plugins_count(const ag_plugin_host *h);
const char *ag_plugins_name(const ag_plugin_host *h, size_t i);
bool ag_plugins_loaded(const ag_plugin_host *h, const char *name);

/* Every function below accepts a NULL host (no plugins configured). */

/* True when a plugin route covers path. */
bool ag_plugins_has_route(const ag_plugin_host *h, const char *path);
/* True when the plugin route that covers path (the longest prefix) takes
 * POST (register_route_post). */
bool ag_plugins_accepts_post(const ag_plugin_host *h, const char *path);
/* Hands req to the plugin whose route covers its path (longest prefix);
 * false, with req untouched, when none does. Once true, the plugin owns the
 * response (the host answers 503 itself when out of memory). */
bool ag_plugins_dispatch(ag_plugin_host *h, ag_http_request *req);

/* Runs the renderer registered under name (see agendad_render_fn): its
 * result, or AGENDAD_ENOENT with *found false when no plugin registered
 * one by that name. */
int ag_plugins_render(ag_plugin_host *h, const char *name, const agendad_render_request *r,
                      FILE *out, bool *found);

/* True when a plugin registered a command by that name. */
bool ag_plugins_has_command(const ag_plugin_host *h, const char *name);
/* Runs the command registered under name (see agendad_command_fn): its
 * exit status, or 2 with *found false when no plugin registered a command
 * by that name. */
int ag_plugins_command(ag_plugin_host *h, const char *name, const agendad_command_request *r,
                       bool *found);

/* Runs every check the plugins registered (agendad_check_fn) on cfg, the
 * configuration being checked: while they run, the store reads answer from
 * cfg (settings, members, categories; no events). What they report goes to
 * diags at the locations they name (a plugin's plugins.load entry when
 * they name none). Returns how many they reported. */
size_t ag_plugins_check(ag_plugin_host *h, const ag_config *cfg, ag_diags *diags);

/* A reminder channel by name, or NULL. Borrowed until ag_plugins_fini. */
const ag_plugin_channel *ag_plugins_channel(const ag_plugin_host *h, const char *name);
size_t ag_plugins_channel_count(const ag_plugin_host *h);
const char *ag_plugins_channel_name(const ag_plugin_host *h, size_t i);
/* Gives r to the channel. The caller fills r (size = sizeof, done set) and
 * keeps it and its strings alive until r->done has been called. */
void ag_plugins_channel_send(const ag_plugin_channel *ch, agendad_reminder *r);

/* Tells every listener what a reload changed. uids (borrowed for the call):
 * the events added, changed, removed or restored. */
void ag_plugins_notify(ag_plugin_host *h, const ag_reconcile_stats *stats, const char *const *uids,
                       size_t n_uids);

/* Event sources and the last batch each submitted. The registry only keeps
 * the batches: merging them into the store is the daemon's job. Events and
 * their strings are owned by the host, valid until the next submit of the
 * same source or ag_plugins_fini; their size is sizeof(agendad_source_event). */
size_t ag_plugins_source_count(const ag_plugin_host *h);
const char *ag_plugins_source_name(const ag_plugin_host *h, size_t i);
const agendad_source_event *ag_plugins_source_events(const ag_plugin_host *h, size_t i, size_t *n);

/* Shutdown in two steps, because plugins close their loop handles in fini
 * and the close callbacks are plugin code: ag_plugins_fini calls every fini
 * in reverse load order and drops all registrations; the daemon then runs
 * the loop until those handles are closed; ag_plugins_free unmaps the
 * plugins and frees the host (it calls ag_plugins_fini if not done yet).
 * NULL is accepted. */
void ag_plugins_fini(ag_plugin_host *h);
void ag_plugins_free(ag_plugin_host *h);

#endif
