/* Loading plugins, checking their ABI before any of their code runs, init
 * and fini, and what the daemon asks the host (see plugin_host.h). */
#include "plugin_host.h"

#include "config_network.h"
#include "error.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 0))) void
ag_plugin_logv(const ag_plugin_host *h, ag_log_level level, const char *fmt, va_list ap)
{
    if (h->svc.logv)
        h->svc.logv(level, fmt, ap);
    else
        ag_logv(level, fmt, ap);
}

__attribute__((format(printf, 3, 4))) void ag_plugin_log(const ag_plugin_host *h,
                                                         ag_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ag_plugin_logv(h, level, fmt, ap);
    va_end(ap);
}

char *ag_plugin_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s) + 1;
    char *d = malloc(len);
    if (d)
        memcpy(d, s, len);
    return d;
}

/* Grows *v (of element size sz) to hold one more than n; false on ENOMEM. */
bool ag_plugin_grow(void **v, size_t n, size_t sz)
{
    void *p = realloc(*v, (n + 1) * sz);
    if (!p)
        return false;
    *v = p;
    return true;
}

ag_plugin_host *ag_plugin_owner(agendad_plugin *p)
{
    return p ? p->host : NULL;
}

struct ag_net_lazy *ag_plugin_host_net(const ag_plugin_host *h)
{
    return h->svc.net;
}

const char *ag_plugin_name(const agendad_plugin *p)
{
    return p->name;
}

bool ag_plugin_in_init(const agendad_plugin *p)
{
    return p->in_init;
}

struct ag_metrics *ag_plugin_metrics(const agendad_plugin *p)
{
    return p && p->host ? p->host->svc.metrics : NULL;
}

bool ag_plugin_host_finished(const ag_plugin_host *h)
{
    return h->finished;
}

const ag_plugin_services *ag_plugin_host_services(const ag_plugin_host *h)
{
    return &h->svc;
}

const ag_config *ag_plugin_host_config(const ag_plugin_host *h)
{
    if (h->checking)
        return h->checking;
    return h->svc.config ? h->svc.config(h->svc.data) : NULL;
}

static void drop_registrations(agendad_plugin *p)
{
    free(p->checks);
    p->checks = NULL;
    p->n_checks = 0;
    for (size_t i = 0; i < p->n_routes; i++)
        free(p->routes[i].prefix);
    for (size_t i = 0; i < p->n_channels; i++) {
        free(p->channels[i]->name);
        free(p->channels[i]);
    }
    for (size_t i = 0; i < p->n_sources; i++) {
        ag_plugin_source_events_free(p->sources[i]->events, p->sources[i]->n_events);
        free(p->sources[i]->name);
        free(p->sources[i]);
    }
    for (size_t i = 0; i < p->n_renderers; i++)
        free(p->renderers[i].name);
    free(p->renderers);
    p->renderers = NULL;
    p->n_renderers = 0;
    for (size_t i = 0; i < p->n_commands; i++)
        free(p->commands[i].name);
    free(p->commands);
    p->commands = NULL;
    p->n_commands = 0;
    free(p->routes);
    free(p->channels);
    free(p->sources);
    free(p->listeners);
    p->routes = NULL;
    p->channels = NULL;
    p->sources = NULL;
    p->listeners = NULL;
    p->n_routes = p->n_channels = p->n_sources = p->n_listeners = 0;
}

static void plugin_free(agendad_plugin *p)
{
    drop_registrations(p);
    ag_plugin_config_free(p->section);
    free(p->state_value);
    free(p->init_error);
    free(p->entry.file);
    free(p->name);
    free(p);
}

/* Logs "plugin NAME: WHY; left out" and tells the services why. */
__attribute__((format(printf, 3, 4))) static void left_out(ag_plugin_host *h, agendad_plugin *p,
                                                           const char *fmt, ...)
{
    char why[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ag_plugin_log(h, AG_LOG_ERR, "plugin %s: %s; left out", p->name, why);
    if (h->svc.left_out)
        h->svc.left_out(h->svc.data, p->conf, why);
}

/* A file name, not a path: "../x" or "a/b" would load from elsewhere. */
static bool valid_name(const char *name)
{
    if (!name || !*name)
        return false;
    for (const char *c = name; *c; c++)
        if (!(('a' <= *c && *c <= 'z') || ('A' <= *c && *c <= 'Z') || ('0' <= *c && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.') ||
            (c[0] == '.' && c[1] == '.'))
            return false;
    return true;
}

static int open_lib(ag_plugin_host *h, const char *dir, agendad_plugin *p)
{
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s.so", dir, p->name);
    if (len < 0 || (size_t)len >= sizeof path) {
        left_out(h, p, "path too long under %s", dir);
        return AG_ERANGE;
    }
    if (uv_dlopen(path, &p->lib) != 0) {
        left_out(h, p, "cannot load %s: %s", path, uv_dlerror(&p->lib));
        uv_dlclose(&p->lib); /* frees libuv's error message */
        return AG_ENOENT;
    }
    return 0;
}

/* The three leading fields are the only ones read before the ABI is known
 * to match; then the descriptor is copied up to the plugin's own size. */
static int check_abi(ag_plugin_host *h, agendad_plugin *p)
{
    void *sym = NULL;
    if (uv_dlsym(&p->lib, "agendad_plugin_info", &sym) != 0 || !sym) {
        left_out(h, p, "no agendad_plugin_info symbol (%s)", uv_dlerror(&p->lib));
        return AG_EPLUGIN;
    }
    uint32_t head[3];
    memcpy(head, sym, sizeof head);
    if (head[0] != AGENDAD_PLUGIN_ABI_MAJOR || head[1] > AGENDAD_PLUGIN_ABI_MINOR) {
        left_out(h, p, "built for plugin ABI %u.%u, host has %d.%d", head[0], head[1],
                 AGENDAD_PLUGIN_ABI_MAJOR, AGENDAD_PLUGIN_ABI_MINOR);
        return AG_EPLUGIN;
    }
    /* From ABI 1.0's descriptor (the first: nothing valid is smaller) up to
     * this host's; a later minor may only append. */
    const size_t min_size = offsetof(agendad_plugin_descriptor, fini) + sizeof p->info.fini;
    if (head[2] < min_size || head[2] > sizeof(agendad_plugin_descriptor)) {
        left_out(h, p, "descriptor size %u, expected %zu", head[2],
                 sizeof(agendad_plugin_descriptor));
        return AG_EPLUGIN;
    }
    memcpy(&p->info, sym, head[2]);
    if (!p->info.init) {
        left_out(h, p, "descriptor has no init");
        return AG_EPLUGIN;
    }
    return 0;
}

static int run_init(ag_plugin_host *h, agendad_plugin *p)
{
    p->in_init = true;
    int rc = p->info.init(p, &h->table, &p->state);
    p->in_init = false;
    if (rc != 0) {
        const char *what = rc < 0 ? ag_plugin_strerror(rc) : "plugin error";
        ag_plugin_log(h, AG_LOG_ERR, "plugin %s: init failed (%d: %s); left out", p->name, rc,
                      what);
        /* The services are told what the plugin itself said last. */
        char why[2048];
        snprintf(why, sizeof why, "init failed (%d: %s)%s%s", rc, what, p->init_error ? ": " : "",
                 p->init_error ? p->init_error : "");
        if (h->svc.left_out)
            h->svc.left_out(h->svc.data, p->conf, why);
        return AG_EPLUGIN;
    }
    ag_plugin_log(h, AG_LOG_INFO,
                  "plugin %s: loaded %s %s (%zu routes, %zu channels, %zu sources, "
                  "%zu listeners, %zu renderers)",
                  p->name, p->info.name ? p->info.name : "?",
                  p->info.version ? p->info.version : "?", p->n_routes, p->n_channels, p->n_sources,
                  p->n_listeners, p->n_renderers);
    return 0;
}

static agendad_plugin *plugin_new(ag_plugin_host *h, const ag_plugin_conf *conf)
{
    agendad_plugin *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->host = h;
    p->conf = conf;
    p->name = ag_plugin_strdup(conf->name);
    p->section =
        conf->section ? ag_plugin_config_copy(conf->section) : ag_plugin_config_empty_map();
    p->entry = (ag_loc){
        .file = ag_plugin_strdup(conf->loc.file), .line = conf->loc.line, .col = conf->loc.col};
    if (!p->name || !p->section || (conf->loc.file && !p->entry.file)) {
        plugin_free(p);
        return NULL;
    }
    return p;
}

/* 0: running; 1: left out (logged); AG_ENOMEM. */
static int load_one(ag_plugin_host *h, const char *dir, const ag_plugin_conf *conf)
{
    if (!valid_name(conf->name)) {
        ag_plugin_log(h, AG_LOG_ERR, "%s:%d:%d: plugin name \"%s\" is not a file name; left out",
                      conf->loc.file ? conf->loc.file : "config", conf->loc.line, conf->loc.col,
                      conf->name ? conf->name : "");
        if (h->svc.left_out)
            h->svc.left_out(h->svc.data, conf, "its name is not a file name");
        return 1;
    }
    agendad_plugin *p = plugin_new(h, conf);
    if (!p || !ag_plugin_grow((void **)&h->plugins, h->n_plugins, sizeof p) ||
        !ag_plugin_grow((void **)&h->failed_libs, h->n_failed_libs, sizeof(uv_lib_t))) {
        if (p)
            plugin_free(p);
        return AG_ENOMEM;
    }
    if (open_lib(h, dir, p) < 0) {
        plugin_free(p);
        return 1;
    }
    if (check_abi(h, p) < 0) {
        uv_dlclose(&p->lib);
        plugin_free(p);
        return 1;
    }
    if (run_init(h, p) < 0) {
        h->failed_libs[h->n_failed_libs++] = p->lib;
        plugin_free(p);
        return 1;
    }
    p->conf = NULL; /* the caller's, valid during the load only */
    h->plugins[h->n_plugins++] = p;
    return 0;
}

int ag_plugins_load(uv_loop_t *loop, const char *dir, const ag_plugin_conf *confs, size_t n,
                    const ag_plugin_services *svc, ag_plugin_host **out)
{
    *out = NULL;
    ag_plugin_host *h = calloc(1, sizeof *h);
    if (!h)
        return AG_ENOMEM;
    h->loop = loop;
    h->svc = *svc;
    ag_plugin_table_fill(&h->table);
    h->table.loop = loop;
    for (size_t i = 0; i < n; i++) {
        if (load_one(h, dir, &confs[i]) < 0) {
            ag_plugin_log(h, AG_LOG_ERR, "plugins: out of memory");
            ag_plugins_free(h);
            return AG_ENOMEM;
        }
    }
    *out = h;
    return 0;
}

size_t ag_plugins_count(const ag_plugin_host *h)
{
    return h ? h->n_plugins : 0;
}

const char *ag_plugins_name(const ag_plugin_host *h, size_t i)
{
    return h && i < h->n_plugins ? h->plugins[i]->name : NULL;
}

bool ag_plugins_loaded(const ag_plugin_host *h, const char *name)
{
    for (size_t i = 0; name && i < ag_plugins_count(h); i++)
        if (strcmp(h->plugins[i]->name, name) == 0)
            return true;
    return false;
}

static bool prefix_covers(const route *r, const char *path)
{
    if (r->len == 1) /* "/": the front page only, never a catch-all */
        return strcmp(path, "/") == 0;
    return strncmp(path, r->prefix, r->len) == 0 && (path[r->len] == '\0' || path[r->len] == '/');
}

static const route *route_for(const ag_plugin_host *h, const char *path)
{
    const route *best = NULL;
    for (size_t i = 0; path && i < ag_plugins_count(h); i++)
        for (size_t j = 0; j < h->plugins[i]->n_routes; j++) {
            const route *r = &h->plugins[i]->routes[j];
            if (prefix_covers(r, path) && (!best || r->len > best->len))
                best = r;
        }
    return best;
}

bool ag_plugins_has_route(const ag_plugin_host *h, const char *path)
{
    return route_for(h, path) != NULL;
}

bool ag_plugins_accepts_post(const ag_plugin_host *h, const char *path)
{
    const route *r = route_for(h, path);
    return r && r->post;
}

bool ag_plugins_dispatch(ag_plugin_host *h, ag_http_request *req)
{
    if (!h)
        return false;
    const route *r = route_for(h, h->svc.path(req));
    if (!r)
        return false;
    agendad_request *preq = malloc(sizeof *preq);
    if (!preq) {
        h->svc.respond_error(req, 503, "out of memory", NULL);
        return true;
    }
    *preq = (agendad_request){.host = h, .http = req};
    r->fn(preq, r->data);
    return true;
}

int ag_plugins_render(ag_plugin_host *h, const char *name, const agendad_render_request *r,
                      FILE *out, bool *found)
{
    *found = false;
    for (size_t i = 0; name && i < ag_plugins_count(h); i++)
        for (size_t j = 0; j < h->plugins[i]->n_renderers; j++) {
            const renderer *rd = &h->plugins[i]->renderers[j];
            if (strcmp(rd->name, name) == 0) {
                *found = true;
                return rd->fn(r, out, rd->data);
            }
        }
    return AGENDAD_ENOENT;
}

bool ag_plugins_has_command(const ag_plugin_host *h, const char *name)
{
    for (size_t i = 0; name && i < ag_plugins_count(h); i++)
        for (size_t j = 0; j < h->plugins[i]->n_commands; j++)
            if (strcmp(h->plugins[i]->commands[j].name, name) == 0)
                return true;
    return false;
}

int ag_plugins_command(ag_plugin_host *h, const char *name, const agendad_command_request *r,
                       bool *found)
{
    *found = false;
    for (size_t i = 0; name && i < ag_plugins_count(h); i++)
        for (size_t j = 0; j < h->plugins[i]->n_commands; j++) {
            const command *c = &h->plugins[i]->commands[j];
            if (strcmp(c->name, name) == 0) {
                *found = true;
                return c->fn(r, c->data);
            }
        }
    return 2;
}

const ag_plugin_channel *ag_plugins_channel(const ag_plugin_host *h, const char *name)
{
    for (size_t i = 0; name && i < ag_plugins_count(h); i++)
        for (size_t j = 0; j < h->plugins[i]->n_channels; j++)
            if (strcmp(h->plugins[i]->channels[j]->name, name) == 0)
                return h->plugins[i]->channels[j];
    return NULL;
}

size_t ag_plugins_channel_count(const ag_plugin_host *h)
{
    size_t n = 0;
    for (size_t i = 0; i < ag_plugins_count(h); i++)
        n += h->plugins[i]->n_channels;
    return n;
}

const char *ag_plugins_channel_name(const ag_plugin_host *h, size_t k)
{
    for (size_t i = 0; i < ag_plugins_count(h); i++) {
        if (k < h->plugins[i]->n_channels)
            return h->plugins[i]->channels[k]->name;
        k -= h->plugins[i]->n_channels;
    }
    return NULL;
}

void ag_plugins_channel_send(const ag_plugin_channel *ch, agendad_reminder *r)
{
    ch->fn(r, ch->data);
}

void ag_plugins_notify(ag_plugin_host *h, const ag_reconcile_stats *stats, const char *const *uids,
                       size_t n_uids)
{
    agendad_changes c = {.size = sizeof c,
                         .added = stats->added,
                         .changed = stats->changed,
                         .unchanged = stats->unchanged,
                         .removed = stats->removed,
                         .restored = stats->restored,
                         .uids = uids,
                         .n_uids = uids ? n_uids : 0};
    for (size_t i = 0; i < ag_plugins_count(h); i++)
        for (size_t j = 0; j < h->plugins[i]->n_listeners; j++)
            h->plugins[i]->listeners[j].fn(&c, h->plugins[i]->listeners[j].data);
}

static const agendad_source *source_at(const ag_plugin_host *h, size_t k)
{
    for (size_t i = 0; i < ag_plugins_count(h); i++) {
        if (k < h->plugins[i]->n_sources)
            return h->plugins[i]->sources[k];
        k -= h->plugins[i]->n_sources;
    }
    return NULL;
}

size_t ag_plugins_source_count(const ag_plugin_host *h)
{
    size_t n = 0;
    for (size_t i = 0; i < ag_plugins_count(h); i++)
        n += h->plugins[i]->n_sources;
    return n;
}

const char *ag_plugins_source_name(const ag_plugin_host *h, size_t i)
{
    const agendad_source *s = source_at(h, i);
    return s ? s->name : NULL;
}

const agendad_source_event *ag_plugins_source_events(const ag_plugin_host *h, size_t i, size_t *n)
{
    const agendad_source *s = source_at(h, i);
    *n = s ? s->n_events : 0;
    return s ? s->events : NULL;
}

void ag_plugins_fini(ag_plugin_host *h)
{
    if (!h || h->finished)
        return;
    h->finished = true;
    for (size_t i = h->n_plugins; i-- > 0;) {
        agendad_plugin *p = h->plugins[i];
        if (p->info.fini)
            p->info.fini(p, p->state);
        p->state = NULL;
        drop_registrations(p);
    }
}

void ag_plugins_free(ag_plugin_host *h)
{
    if (!h)
        return;
    ag_plugins_fini(h);
    for (size_t i = h->n_plugins; i-- > 0;) {
        uv_dlclose(&h->plugins[i]->lib);
        plugin_free(h->plugins[i]);
    }
    for (size_t i = 0; i < h->n_failed_libs; i++)
        uv_dlclose(&h->failed_libs[i]);
    free(h->plugins);
    free(h->failed_libs);
    free(h);
}
