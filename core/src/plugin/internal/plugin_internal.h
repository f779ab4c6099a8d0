/* What the plugin host's parts tell each other: the structures behind the
 * ABI's opaque handles, and the helpers and table pieces each file offers.
 * Internal to plugin/. The files, by concern (the order of plugin.h's
 * sections):
 *   plugin_host.c      loading, the ABI check, init and fini, dispatch
 *   plugin_table.c     the host table, filled concern by concern
 *   plugin_config.c    the plugin's config section
 *   plugin_store.c     reads of the store: events, members, categories
 *   plugin_http.c      routes' requests and responses
 *   plugin_register.c  registrations: routes, channels, sources,
 *                      listeners, renderers, commands
 *   plugin_check.c     checks of the settings: registered, reported, run
 *   plugin_sources.c   event sources and members' calendars
 *   plugin_state.c     a plugin's persistent state
 *   plugin_net.c       the network client
 *   plugin_reminder.c  reminders
 *   plugin_metrics.c   metrics */
#ifndef AGENDAD_PLUGIN_INTERNAL_H
#define AGENDAD_PLUGIN_INTERNAL_H

#include "agendad/plugin.h"
#include "plugin_host.h"

#include <stdarg.h>
#include <stdbool.h>

typedef struct ag_plugin_host ag_plugin_host;
struct ag_net_lazy;
struct ag_metrics;

typedef struct {
    char *prefix;
    size_t len;
    agendad_route_fn fn;
    void *data;
    bool post; /* register_route_post: forms are posted to it */
} route;

struct ag_plugin_channel {
    char *name;
    agendad_channel_fn fn;
    void *data;
};

struct agendad_source {
    agendad_plugin *plugin;
    char *name;
    agendad_source_event *events; /* the last batch, deep copies */
    size_t n_events;
};

typedef struct {
    agendad_listener_fn fn;
    void *data;
} listener;

typedef struct {
    char *name;
    agendad_render_fn fn;
    void *data;
} renderer;

typedef struct {
    char *name;
    agendad_command_fn fn;
    void *data;
} command;

typedef struct {
    agendad_check_fn fn;
    void *data;
} check;

/* One run of one check: where its errors go. */
struct agendad_check {
    agendad_plugin *plugin;
    ag_diags *diags;
};

/* Growable arrays of registrations, one set per plugin so that a plugin
 * whose init fails takes exactly its own registrations with it. */
struct agendad_plugin {
    ag_plugin_host *host;
    char *name;
    uv_lib_t lib;
    agendad_plugin_descriptor info;
    void *state;
    bool in_init;
    char *init_error;           /* the last error it logged during init, for left_out */
    const ag_plugin_conf *conf; /* during the load only: the caller's entry */
    ag_loc entry;               /* where its plugins.load entry is (file owned) */
    char *state_value;          /* the last state_get answer, borrowed by the plugin */
    ag_config_node *section;    /* deep copy: lives as long as the plugin */
    route *routes;
    size_t n_routes;
    ag_plugin_channel **channels;
    size_t n_channels;
    agendad_source **sources;
    size_t n_sources;
    listener *listeners;
    size_t n_listeners;
    renderer *renderers;
    size_t n_renderers;
    command *commands;
    size_t n_commands;
    check *checks;
    size_t n_checks;
};

struct ag_plugin_host {
    uv_loop_t *loop;
    ag_plugin_services svc;
    agendad_host table;
    agendad_plugin **plugins; /* running, in load order */
    size_t n_plugins;
    /* Plugins whose init failed stay mapped until ag_plugins_free: a handle
     * they closed before failing may still have its close callback queued,
     * and that callback is their code. */
    uv_lib_t *failed_libs;
    size_t n_failed_libs;
    bool finished;
    /* While ag_plugins_check runs: the configuration being checked, which
     * the store reads answer from (and no events). */
    const ag_config *checking;
};

struct agendad_request {
    ag_plugin_host *host;
    ag_http_request *http;
};

/* plugin_host.c */
__attribute__((format(printf, 3, 0))) void
ag_plugin_logv(const ag_plugin_host *h, ag_log_level level, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4))) void ag_plugin_log(const ag_plugin_host *h,
                                                         ag_log_level level, const char *fmt, ...);
/* A copy of s (NULL for NULL); NULL when out of memory. */
char *ag_plugin_strdup(const char *s);
/* Grows *v (of element size sz) to hold one more than n; false on ENOMEM. */
bool ag_plugin_grow(void **v, size_t n, size_t sz);

/* plugin_config.c */
void ag_plugin_config_free(ag_config_node *n);
ag_config_node *ag_plugin_config_copy(const ag_config_node *src);
ag_config_node *ag_plugin_config_empty_map(void);

/* plugin_store.c: the store's objects behind the ABI's handles. */
const ag_stored_event *ag_plugin_stored(const agendad_event *ev);
const ag_member *ag_plugin_member(const agendad_member *m);

/* plugin_sources.c */
void ag_plugin_source_events_free(agendad_source_event *evs, size_t n);

/* plugin_table.c: the host table, each concern's entries set by its own
 * file. */
const char *ag_plugin_strerror(int err);
void ag_plugin_table_fill(agendad_host *t);
void ag_plugin_table_config(agendad_host *t);
void ag_plugin_table_store(agendad_host *t);
void ag_plugin_table_http(agendad_host *t);
void ag_plugin_table_register(agendad_host *t);
void ag_plugin_table_sources(agendad_host *t);
void ag_plugin_table_state(agendad_host *t);
void ag_plugin_table_check(agendad_host *t);

/* Provided by plugin_host.c. */
ag_plugin_host *ag_plugin_owner(agendad_plugin *p);
const char *ag_plugin_name(const agendad_plugin *p);
bool ag_plugin_in_init(const agendad_plugin *p);
struct ag_net_lazy *ag_plugin_host_net(const ag_plugin_host *h);
struct ag_metrics *ag_plugin_metrics(const agendad_plugin *p);
bool ag_plugin_host_finished(const ag_plugin_host *h);
const ag_plugin_services *ag_plugin_host_services(const ag_plugin_host *h);
/* The configuration the store reads answer from: the one being checked
 * while checks run, else the services' current one; NULL when none. */
const ag_config *ag_plugin_host_config(const ag_plugin_host *h);

/* plugin_reminder.c: the reminder entries. */
const agendad_event *ag_plugin_api_reminder_event(agendad_plugin *self, const agendad_reminder *r);
int ag_plugin_api_reminder_ics(agendad_plugin *self, const agendad_reminder *r, char **out,
                               size_t *len);

/* plugin_metrics.c: the metrics entries. */
agendad_metric *ag_plugin_api_metric_register(agendad_plugin *self, agendad_metric_kind kind,
                                              const char *name, const char *help,
                                              const char *const *labels);
void ag_plugin_api_metric_add(agendad_metric *m, const char *const *values, double v);
void ag_plugin_api_metric_set(agendad_metric *m, const char *const *values, double v);

#endif
