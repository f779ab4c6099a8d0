#include "plugin_host.h"

#include "config_network.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *prefix;
    size_t len;
    agendad_route_fn fn;
    void *data;
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

/* Growable arrays of registrations, one set per plugin so that a plugin
 * whose init fails takes exactly its own registrations with it. */
struct agendad_plugin {
    ag_plugin_host *host;
    char *name;
    uv_lib_t lib;
    agendad_plugin_descriptor info;
    void *state;
    bool in_init;
    char *state_value;       /* the last state_get answer, borrowed by the plugin */
    ag_config_node *section; /* deep copy: lives as long as the plugin */
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
};

struct agendad_request {
    ag_plugin_host *host;
    ag_http_request *http;
};

/* ------------------------------------------------------------- helpers */

__attribute__((format(printf, 3, 0))) static void
host_logv(const ag_plugin_host *h, ag_log_level level, const char *fmt, va_list ap)
{
    if (h->svc.logv)
        h->svc.logv(level, fmt, ap);
    else
        ag_logv(level, fmt, ap);
}

__attribute__((format(printf, 3, 4))) static void host_log(const ag_plugin_host *h,
                                                           ag_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    host_logv(h, level, fmt, ap);
    va_end(ap);
}

static char *dup_str(const char *s)
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
static bool grow(void **v, size_t n, size_t sz)
{
    void *p = realloc(*v, (n + 1) * sz);
    if (!p)
        return false;
    *v = p;
    return true;
}

/* ------------------------------------------------------- config copies */

static void cfg_free(ag_config_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            free(n->keys[i]);
        if (n->items)
            cfg_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->scalar);
    free(n->loc.file);
    free(n);
}

static ag_config_node *cfg_copy(const ag_config_node *src);

static bool cfg_copy_children(ag_config_node *dst, const ag_config_node *src)
{
    if (src->n == 0)
        return true;
    dst->items = calloc(src->n, sizeof *dst->items);
    if (src->kind == AG_CFG_MAP)
        dst->keys = calloc(src->n, sizeof *dst->keys);
    if (!dst->items || (src->kind == AG_CFG_MAP && !dst->keys))
        return false;
    dst->n = src->n;
    for (size_t i = 0; i < src->n; i++) {
        dst->items[i] = cfg_copy(src->items[i]);
        if (!dst->items[i])
            return false;
        if (src->kind == AG_CFG_MAP && !(dst->keys[i] = dup_str(src->keys[i])))
            return false;
    }
    return true;
}

/* Copies the section so that a config reload, which frees the old tree,
 * cannot pull it from under a plugin that kept node pointers. */
static ag_config_node *cfg_copy(const ag_config_node *src)
{
    ag_config_node *dst = calloc(1, sizeof *dst);
    if (!dst)
        return NULL;
    dst->kind = src->kind;
    dst->loc.line = src->loc.line;
    dst->loc.col = src->loc.col;
    bool ok = (!src->scalar || (dst->scalar = dup_str(src->scalar))) &&
              (!src->loc.file || (dst->loc.file = dup_str(src->loc.file))) &&
              cfg_copy_children(dst, src);
    if (!ok) {
        cfg_free(dst);
        return NULL;
    }
    return dst;
}

static ag_config_node *cfg_empty_map(void)
{
    ag_config_node *n = calloc(1, sizeof *n);
    if (n)
        n->kind = AG_CFG_MAP;
    return n;
}

static const ag_config_node *cfg_node(const agendad_config_node *n)
{
    return (const ag_config_node *)n;
}

static const agendad_config_node *cfg_handle(const ag_config_node *n)
{
    return (const agendad_config_node *)n;
}

/* ------------------------------------------------- host table: general */

static const char *api_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case AGENDAD_EINVAL:
        return "invalid argument";
    case AGENDAD_ESTATE:
        return "not allowed outside init";
    case AGENDAD_EEXIST:
        return "already registered";
    case AGENDAD_ENOMEM:
        return "out of memory";
    case AGENDAD_ENOENT:
        return "not found";
    case AGENDAD_ERANGE:
        return "out of range";
    case AGENDAD_EZONE:
        return "unknown time zone";
    case AGENDAD_EPLUGIN:
        return "plugin failure";
    default:
        return "unknown error";
    }
}

AGENDAD_PRINTF(3, 4) static void api_log(agendad_plugin *self, int level, const char *fmt, ...)
{
    if (!self || !fmt)
        return;
    if (level < AGENDAD_LOG_ERR)
        level = AGENDAD_LOG_ERR;
    if (level > AGENDAD_LOG_DEBUG)
        level = AGENDAD_LOG_DEBUG;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    host_log(self->host, (ag_log_level)level, "plugin %s: %s", self->name, msg);
}

/* --------------------------------------------------- host table: config */

static const agendad_config_node *api_config(agendad_plugin *self)
{
    return self ? cfg_handle(self->section) : NULL;
}

static const agendad_config_node *api_config_get(const agendad_config_node *node, const char *key)
{
    const ag_config_node *n = cfg_node(node);
    if (!n || !key || n->kind != AG_CFG_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->keys[i], key) == 0)
            return cfg_handle(n->items[i]);
    return NULL;
}

static agendad_config_kind api_config_kind(const agendad_config_node *node)
{
    switch (node ? cfg_node(node)->kind : AG_CFG_SCALAR) {
    case AG_CFG_MAP:
        return AGENDAD_CFG_MAP;
    case AG_CFG_SEQ:
        return AGENDAD_CFG_SEQ;
    default:
        return AGENDAD_CFG_SCALAR;
    }
}

static const char *api_config_scalar(const agendad_config_node *node)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind == AG_CFG_SCALAR ? n->scalar : NULL;
}

static size_t api_config_len(const agendad_config_node *node)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind != AG_CFG_SCALAR ? n->n : 0;
}

static const agendad_config_node *api_config_item(const agendad_config_node *node, size_t i)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind != AG_CFG_SCALAR && i < n->n ? cfg_handle(n->items[i]) : NULL;
}

static const char *api_config_key(const agendad_config_node *node, size_t i)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind == AG_CFG_MAP && i < n->n ? n->keys[i] : NULL;
}

static void api_config_location(const agendad_config_node *node, const char **file, int *line,
                                int *col)
{
    const ag_config_node *n = cfg_node(node);
    if (file)
        *file = n ? n->loc.file : NULL;
    if (line)
        *line = n ? n->loc.line : 0;
    if (col)
        *col = n ? n->loc.col : 0;
}

/* ---------------------------------------------------- host table: store */

static const ag_stored_event *stored(const agendad_event *ev)
{
    return (const ag_stored_event *)ev;
}

static const agendad_event *event_handle(const ag_stored_event *se)
{
    return (const agendad_event *)se;
}

static const ag_stored_event *snapshot(const agendad_plugin *self, size_t *n)
{
    const ag_plugin_services *svc = &self->host->svc;
    *n = 0;
    const ag_stored_event *evs = svc->events ? svc->events(svc->data, n) : NULL;
    if (!evs)
        *n = 0;
    return evs;
}

static int api_event_foreach(agendad_plugin *self, int (*fn)(const agendad_event *, void *),
                             void *data)
{
    if (!self || !fn)
        return AGENDAD_EINVAL;
    size_t n;
    const ag_stored_event *evs = snapshot(self, &n);
    for (size_t i = 0; i < n; i++) {
        if (evs[i].removed_at != 0)
            continue;
        int rc = fn(event_handle(&evs[i]), data);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static size_t api_event_count(agendad_plugin *self)
{
    if (!self)
        return 0;
    size_t n, live = 0;
    const ag_stored_event *evs = snapshot(self, &n);
    for (size_t i = 0; i < n; i++)
        live += evs[i].removed_at == 0;
    return live;
}

static int cmp_uid(const void *key, const void *elem)
{
    return strcmp(key, ((const ag_stored_event *)elem)->ev.uid);
}

static const agendad_event *api_event_find(agendad_plugin *self, const char *uid)
{
    if (!self || !uid)
        return NULL;
    size_t n;
    const ag_stored_event *evs = snapshot(self, &n);
    const ag_stored_event *se = n ? bsearch(uid, evs, n, sizeof *evs, cmp_uid) : NULL;
    return se && se->removed_at == 0 ? event_handle(se) : NULL;
}

static const char *api_event_uid(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? stored(ev)->ev.uid : NULL;
}

/* The ABI's language rule, fixed here rather than borrowed from the model so
 * that plugins see the same fallback whatever the core does elsewhere. */
static const char *text_in(const ag_text *t, const char *lang)
{
    bool fr = lang && strcmp(lang, "fr") == 0;
    const char *first = fr ? t->fr : t->ar;
    return first ? first : (fr ? t->ar : t->fr);
}

static const char *api_event_text(agendad_plugin *self, const agendad_event *ev,
                                  agendad_text_field field, const char *lang)
{
    (void)self;
    if (!ev)
        return NULL;
    const ag_event *e = &stored(ev)->ev;
    switch (field) {
    case AGENDAD_TEXT_TITLE:
        return text_in(&e->title, lang);
    case AGENDAD_TEXT_DESCRIPTION:
        return text_in(&e->description, lang);
    case AGENDAD_TEXT_LOCATION:
        return text_in(&e->location, lang);
    }
    return NULL;
}

static ag_datetime next_day(const ag_datetime *d)
{
    /* The all-day end is inclusive: the event is over at the next midnight. */
    ag_datetime out = *d;
    ag_datetime_add_days(&out, 1);
    return out;
}

static int to_utc(const agendad_plugin *self, const ag_datetime *local, const char *tzid,
                  int64_t *out)
{
    const ag_plugin_services *svc = &self->host->svc;
    bool ok = false;
    if (!svc->to_utc || !tzid)
        return AGENDAD_EZONE;
    *out = svc->to_utc(local, tzid, &ok);
    return ok ? 0 : AGENDAD_EZONE;
}

static int api_event_when(agendad_plugin *self, const agendad_event *ev, agendad_when *out)
{
    if (!self || !ev || !out)
        return AGENDAD_EINVAL;
    const ag_event *e = &stored(ev)->ev;
    ag_datetime end = e->start.is_date ? next_day(&e->end) : e->end;
    agendad_when w = {.all_day = e->start.is_date, .tzid = e->tzid};
    int rc = to_utc(self, &e->start, e->tzid, &w.start);
    if (rc == 0)
        rc = to_utc(self, &end, e->tzid, &w.end);
    if (rc == 0)
        *out = w;
    return rc;
}

static agendad_status api_event_status(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    switch (ev ? stored(ev)->ev.status : AG_STATUS_CONFIRMED) {
    case AG_STATUS_TENTATIVE:
        return AGENDAD_STATUS_TENTATIVE;
    case AG_STATUS_CANCELLED:
        return AGENDAD_STATUS_CANCELLED;
    default:
        return AGENDAD_STATUS_CONFIRMED;
    }
}

static agendad_visibility api_event_visibility(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev && stored(ev)->ev.visibility == AG_VIS_MEMBERS ? AGENDAD_VIS_MEMBERS
                                                             : AGENDAD_VIS_PUBLIC;
}

static const char *api_event_host_member(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? stored(ev)->ev.host : NULL;
}

static size_t api_event_category_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? stored(ev)->ev.n_categories : 0;
}

static const char *api_event_category(agendad_plugin *self, const agendad_event *ev, size_t i)
{
    (void)self;
    return ev && i < stored(ev)->ev.n_categories ? stored(ev)->ev.categories[i] : NULL;
}

static size_t api_event_slot_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? stored(ev)->ev.n_slots : 0;
}

static int api_event_slot(agendad_plugin *self, const agendad_event *ev, size_t i,
                          agendad_slot *out)
{
    if (!self || !ev || !out)
        return AGENDAD_EINVAL;
    const ag_event *e = &stored(ev)->ev;
    if (i >= e->n_slots)
        return AGENDAD_ERANGE;
    const ag_slot *s = &e->slots[i];
    agendad_slot r = {.timed = s->timed, .kind = s->kind, .axis = s->axis};
    int rc = 0;
    if (s->timed) {
        rc = to_utc(self, &s->start, e->tzid, &r.start);
        if (rc == 0)
            rc = to_utc(self, &s->end, e->tzid, &r.end);
    }
    if (rc == 0)
        *out = r;
    return rc;
}

static const char *api_event_slot_title(agendad_plugin *self, const agendad_event *ev, size_t i,
                                        const char *lang)
{
    (void)self;
    if (!ev || i >= stored(ev)->ev.n_slots)
        return NULL;
    return text_in(&stored(ev)->ev.slots[i].title, lang);
}

/* --------------------------------------------------- host table: members */

static const ag_member *member(const agendad_member *m)
{
    return (const ag_member *)m;
}

static const agendad_member *api_member_find(agendad_plugin *self, const char *id)
{
    if (!self || !id)
        return NULL;
    const ag_plugin_services *svc = &self->host->svc;
    const ag_config *cfg = svc->config ? svc->config(svc->data) : NULL;
    for (size_t i = 0; cfg && i < cfg->n_members; i++)
        if (strcmp(cfg->members[i].id, id) == 0)
            return (const agendad_member *)&cfg->members[i];
    return NULL;
}

static const char *api_member_id(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? member(m)->id : NULL;
}

static const char *api_member_name(agendad_plugin *self, const agendad_member *m, const char *lang)
{
    (void)self;
    return m ? text_in(&member(m)->name, lang) : NULL;
}

static const char *api_member_language(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? member(m)->language : NULL;
}

static agendad_member_kind api_member_kind(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    switch (m ? member(m)->kind : AG_MEMBER_REGION) {
    case AG_MEMBER_PROVINCE:
        return AGENDAD_MEMBER_PROVINCE;
    case AG_MEMBER_COMMUNE:
        return AGENDAD_MEMBER_COMMUNE;
    default:
        return AGENDAD_MEMBER_REGION;
    }
}

static const char *api_member_region(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? member(m)->region : NULL;
}

static size_t api_member_email_count(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? member(m)->n_emails : 0;
}

static const char *api_member_email(agendad_plugin *self, const agendad_member *m, size_t i)
{
    (void)self;
    return m && i < member(m)->n_emails ? member(m)->emails[i] : NULL;
}

/* ---------------------------------------------- host table: registration */

static int may_register(const agendad_plugin *self)
{
    if (!self)
        return AGENDAD_EINVAL;
    return self->in_init ? 0 : AGENDAD_ESTATE;
}

static bool route_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *prefix)
{
    for (size_t i = 0; i < h->n_plugins; i++)
        for (size_t j = 0; j < h->plugins[i]->n_routes; j++)
            if (strcmp(h->plugins[i]->routes[j].prefix, prefix) == 0)
                return true;
    for (size_t j = 0; j < self->n_routes; j++)
        if (strcmp(self->routes[j].prefix, prefix) == 0)
            return true;
    return false;
}

/* Whole segments only: no empty, "." or ".." segment and no trailing "/",
 * so that segment matching is unambiguous and a prefix cannot smuggle a
 * path the core normalizes differently. "/" alone is the front page. */
static bool well_formed_prefix(const char *p)
{
    if (p[0] != '/')
        return false;
    if (p[1] == '\0')
        return true;
    for (const char *seg = p + 1;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!end)
            return true;
        seg = end + 1;
    }
}

/* The core's URL space (feeds, health...) stays out of plugins' reach. */
static bool reserved_prefix(const ag_plugin_host *h, const char *p)
{
    for (const char *const *r = h->svc.reserved_prefixes; r && *r; r++) {
        size_t len = strlen(*r);
        if (strncmp(p, *r, len) == 0 && (p[len] == '\0' || p[len] == '/'))
            return true;
    }
    return false;
}

static int api_register_route(agendad_plugin *self, const char *path_prefix, agendad_route_fn fn,
                              void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!path_prefix || !fn || !well_formed_prefix(path_prefix))
        return AGENDAD_EINVAL;
    if (reserved_prefix(self->host, path_prefix) || route_taken(self->host, self, path_prefix))
        return AGENDAD_EEXIST;
    route r = {.prefix = dup_str(path_prefix), .len = strlen(path_prefix), .fn = fn, .data = data};
    if (!r.prefix || !grow((void **)&self->routes, self->n_routes, sizeof r)) {
        free(r.prefix);
        return AGENDAD_ENOMEM;
    }
    self->routes[self->n_routes++] = r;
    return 0;
}

static bool channel_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *name)
{
    const ag_plugin_channel *ch = ag_plugins_channel(h, name);
    for (size_t j = 0; !ch && j < self->n_channels; j++)
        if (strcmp(self->channels[j]->name, name) == 0)
            ch = self->channels[j];
    return ch != NULL;
}

static int api_register_channel(agendad_plugin *self, const char *name, agendad_channel_fn fn,
                                void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !fn)
        return AGENDAD_EINVAL;
    if (channel_taken(self->host, self, name))
        return AGENDAD_EEXIST;
    ag_plugin_channel *ch = calloc(1, sizeof *ch);
    if (!ch || !(ch->name = dup_str(name)) ||
        !grow((void **)&self->channels, self->n_channels, sizeof ch)) {
        if (ch)
            free(ch->name);
        free(ch);
        return AGENDAD_ENOMEM;
    }
    ch->fn = fn;
    ch->data = data;
    self->channels[self->n_channels++] = ch;
    return 0;
}

static bool source_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *name)
{
    for (size_t i = 0; i < ag_plugins_source_count(h); i++)
        if (strcmp(ag_plugins_source_name(h, i), name) == 0)
            return true;
    for (size_t j = 0; j < self->n_sources; j++)
        if (strcmp(self->sources[j]->name, name) == 0)
            return true;
    return false;
}

static int api_register_source(agendad_plugin *self, const char *name, agendad_source **out)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !out)
        return AGENDAD_EINVAL;
    if (source_taken(self->host, self, name))
        return AGENDAD_EEXIST;
    agendad_source *src = calloc(1, sizeof *src);
    if (!src || !(src->name = dup_str(name)) ||
        !grow((void **)&self->sources, self->n_sources, sizeof src)) {
        if (src)
            free(src->name);
        free(src);
        return AGENDAD_ENOMEM;
    }
    src->plugin = self;
    self->sources[self->n_sources++] = src;
    *out = src;
    return 0;
}

static int api_register_listener(agendad_plugin *self, agendad_listener_fn fn, void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!fn)
        return AGENDAD_EINVAL;
    if (!grow((void **)&self->listeners, self->n_listeners, sizeof(listener)))
        return AGENDAD_ENOMEM;
    self->listeners[self->n_listeners++] = (listener){fn, data};
    return 0;
}

/* ----------------------------------------------------- host table: sources */

static void source_event_free(agendad_source_event *e)
{
    free((char *)e->uid);
    free((char *)e->title_ar);
    free((char *)e->title_fr);
    free((char *)e->description_ar);
    free((char *)e->description_fr);
    free((char *)e->location_ar);
    free((char *)e->location_fr);
    free((char *)e->tzid);
    free((char *)e->member);
    for (size_t i = 0; i < e->n_categories; i++)
        free((char *)e->categories[i]);
    free((void *)e->categories);
    for (size_t i = 0; i < e->n_attendees; i++) {
        const agendad_source_attendee *a = &e->attendees[i];
        free((char *)a->address);
        free((char *)a->cn);
        free((char *)a->partstat);
        free((char *)a->role);
    }
    free((void *)e->attendees);
    for (size_t i = 0; i < e->n_alarms; i++) {
        free((char *)e->alarms[i].action);
        free((char *)e->alarms[i].description);
        free((char *)e->alarms[i].summary);
    }
    free((void *)e->alarms);
}

static void source_events_free(agendad_source_event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        source_event_free(&evs[i]);
    free(evs);
}

/* Copies a string field; false only when s was set and could not be. */
static bool copy_field(const char **dst, const char *s)
{
    *dst = dup_str(s);
    return !s || *dst;
}

static bool copy_strv(agendad_source_event *dst, const char *const *v, size_t n)
{
    if (n == 0)
        return true;
    const char **copy = calloc(n, sizeof *copy);
    if (!copy)
        return false;
    dst->categories = copy;
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || !(copy[i] = dup_str(v[i])))
            return false;
        dst->n_categories = i + 1;
    }
    return true;
}

static bool copy_attendees(agendad_source_event *dst, const agendad_source_attendee *v, size_t n)
{
    if (n == 0)
        return true;
    agendad_source_attendee *copy = calloc(n, sizeof *copy);
    if (!copy)
        return false;
    dst->attendees = copy;
    for (size_t i = 0; i < n; i++) {
        dst->n_attendees = i + 1;
        if (!copy_field(&copy[i].address, v[i].address) || !copy_field(&copy[i].cn, v[i].cn) ||
            !copy_field(&copy[i].partstat, v[i].partstat) || !copy_field(&copy[i].role, v[i].role))
            return false;
    }
    return true;
}

static bool copy_alarms(agendad_source_event *dst, const agendad_source_alarm *v, size_t n)
{
    if (n == 0)
        return true;
    agendad_source_alarm *copy = calloc(n, sizeof *copy);
    if (!copy)
        return false;
    dst->alarms = copy;
    for (size_t i = 0; i < n; i++) {
        dst->n_alarms = i + 1;
        copy[i].related = v[i].related;
        copy[i].trigger = v[i].trigger;
        if (!copy_field(&copy[i].action, v[i].action) ||
            !copy_field(&copy[i].description, v[i].description) ||
            !copy_field(&copy[i].summary, v[i].summary))
            return false;
    }
    return true;
}

/* Private data is checked before anything is copied, so that a bad entry
 * rejects the batch instead of storing half an event. */
static bool private_valid(const agendad_source_event *in)
{
    if ((in->n_attendees && !in->attendees) || (in->n_alarms && !in->alarms))
        return false;
    for (size_t i = 0; i < in->n_attendees; i++)
        if (!in->attendees[i].address || !*in->attendees[i].address)
            return false;
    for (size_t i = 0; i < in->n_alarms; i++)
        if (!in->alarms[i].action || (unsigned)in->alarms[i].related > AGENDAD_TRIGGER_ABSOLUTE)
            return false;
    return true;
}

/* Reads the plugin's struct up to its own size: fields appended in a later
 * minor read as zero for a plugin built against an older one. */
static int source_event_copy(agendad_source_event *dst, const agendad_source_event *src)
{
    agendad_source_event in = {0};
    if (!src || src->size < offsetof(agendad_source_event, member) + sizeof src->member)
        return AGENDAD_EINVAL;
    memcpy(&in, src, src->size < sizeof in ? src->size : sizeof in);
    if (!in.uid || !*in.uid || (!in.title_ar && !in.title_fr) || in.end < in.start)
        return AGENDAD_EINVAL;
    *dst = (agendad_source_event){.size = sizeof *dst,
                                  .start = in.start,
                                  .end = in.end,
                                  .all_day = in.all_day,
                                  .status = in.status};
    if ((in.n_categories && !in.categories) || !private_valid(&in))
        return AGENDAD_EINVAL;
    bool ok = copy_field(&dst->uid, in.uid) && copy_field(&dst->title_ar, in.title_ar) &&
              copy_field(&dst->title_fr, in.title_fr) &&
              copy_field(&dst->description_ar, in.description_ar) &&
              copy_field(&dst->description_fr, in.description_fr) &&
              copy_field(&dst->location_ar, in.location_ar) &&
              copy_field(&dst->location_fr, in.location_fr) && copy_field(&dst->tzid, in.tzid) &&
              copy_field(&dst->member, in.member) &&
              copy_strv(dst, in.categories, in.n_categories) &&
              copy_attendees(dst, in.attendees, in.n_attendees) &&
              copy_alarms(dst, in.alarms, in.n_alarms);
    if (!ok) {
        source_event_free(dst);
        return AGENDAD_ENOMEM;
    }
    return 0;
}

static int api_source_submit(agendad_source *src, const agendad_source_event *events, size_t n)
{
    if (!src || (n && !events))
        return AGENDAD_EINVAL;
    agendad_source_event *copy = n ? calloc(n, sizeof *copy) : NULL;
    if (n && !copy)
        return AGENDAD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = source_event_copy(&copy[i], &events[i]);
        if (rc != 0) {
            source_events_free(copy, i);
            return rc;
        }
    }
    source_events_free(src->events, src->n_events);
    src->events = copy;
    src->n_events = n;
    const ag_plugin_services *svc = &src->plugin->host->svc;
    if (svc->source_changed)
        svc->source_changed(svc->data, src->name);
    return 0;
}

/* ----------------------------------------- host table: sync (ABI 1.2) */

/* The checks and the copy both entries make; 0 with *out (n events), or an
 * AGENDAD_E* code. */
static int copy_member_batch(agendad_source *src, const char *member,
                             const agendad_source_event *events, size_t n,
                             agendad_source_event **out)
{
    if (!src || !member || (n && !events))
        return AGENDAD_EINVAL;
    const ag_plugin_services *svc = &src->plugin->host->svc;
    if (!svc->config || !ag_config_member(svc->config(svc->data), member))
        return AGENDAD_ENOENT;
    agendad_source_event *copy = n ? calloc(n, sizeof *copy) : NULL;
    if (n && !copy)
        return AGENDAD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = source_event_copy(&copy[i], &events[i]);
        if (rc != 0) {
            source_events_free(copy, i);
            return rc;
        }
    }
    *out = copy;
    return 0;
}

static void log_not_stored(agendad_source *src, const char *member, const char *err)
{
    host_log(src->plugin->host, AG_LOG_ERR, "plugin %s: events of %s not stored: %s",
             src->plugin->name, member, err ? err : "failed");
}

static int api_source_submit_member(agendad_source *src, const char *member,
                                    const agendad_source_event *events, size_t n)
{
    if (src && !src->plugin->host->svc.source_import)
        return AGENDAD_ESTATE;
    agendad_source_event *copy = NULL;
    int rc = copy_member_batch(src, member, events, n, &copy);
    if (rc != 0)
        return rc;
    const ag_plugin_services *svc = &src->plugin->host->svc;
    char *err = NULL;
    rc = svc->source_import(svc->data, src->name, member, copy, n, &err);
    if (rc < 0)
        log_not_stored(src, member, err);
    free(err);
    source_events_free(copy, n);
    return rc < 0 ? AGENDAD_EPLUGIN : 0;
}

/* What an asynchronous batch needs to report to its plugin. */
typedef struct {
    agendad_source *src;
    char *member;
    void (*done)(int rc, void *data);
    void *data;
} async_batch;

static void on_batch_done(int rc, const char *err, void *ctx)
{
    async_batch *b = ctx;
    /* Cancelled: the daemon is stopping and the plugin's fini comes next,
     * from which on done never runs (plugin.h). */
    if (rc != AG_SOURCE_IMPORT_CANCELLED) {
        if (rc < 0)
            log_not_stored(b->src, b->member, err);
        b->done(rc < 0 ? AGENDAD_EPLUGIN : 0, b->data);
    }
    free(b->member);
    free(b);
}

static int api_source_submit_member_async(agendad_source *src, const char *member,
                                          const agendad_source_event *events, size_t n,
                                          void (*done)(int rc, void *data), void *data)
{
    if (src && !src->plugin->host->svc.source_import_async)
        return AGENDAD_ESTATE;
    if (!done)
        return AGENDAD_EINVAL;
    agendad_source_event *copy = NULL;
    int rc = copy_member_batch(src, member, events, n, &copy);
    if (rc != 0)
        return rc;
    const ag_plugin_services *svc = &src->plugin->host->svc;
    async_batch *b = calloc(1, sizeof *b);
    char *err = NULL;
    if (!b || !(b->member = strdup(member))) {
        rc = AGENDAD_ENOMEM;
    } else {
        *b = (async_batch){src, b->member, done, data};
        if (svc->source_import_async(svc->data, src->name, member, copy, n, on_batch_done, b,
                                     &err) < 0) {
            log_not_stored(src, member, err);
            rc = AGENDAD_EPLUGIN;
        }
    }
    if (rc != 0 && b) {
        free(b->member);
        free(b);
    }
    free(err);
    source_events_free(copy, n);
    return rc;
}

static int api_member_foreach(agendad_plugin *self, int (*fn)(const agendad_member *m, void *data),
                              void *data)
{
    if (!self || !fn || !self->host->svc.config)
        return AGENDAD_EINVAL;
    const ag_config *cfg = self->host->svc.config(self->host->svc.data);
    for (size_t i = 0; cfg && i < cfg->n_members; i++) {
        int rc = fn((const agendad_member *)&cfg->members[i], data);
        if (rc)
            return rc;
    }
    return 0;
}

/* systemd hands credentials over in $CREDENTIALS_DIRECTORY; elsewhere a
 * relative name is beside the config. Borrowed: a static buffer, valid until
 * the next call (the loop thread is the only caller). */
static const char *password_path(const ag_config *cfg, const char *file)
{
    static char path[4096];
    if (!file)
        return NULL;
    if (file[0] == '/')
        return file;
    const char *creds = getenv("CREDENTIALS_DIRECTORY");
    snprintf(path, sizeof path, "%s/%s", creds && *creds ? creds : cfg->dir, file);
    return path;
}

static int api_member_sync(agendad_plugin *self, const agendad_member *m, agendad_member_sync *out)
{
    if (!self || !m || !out || out->size < offsetof(agendad_member_sync, private_data) + 1)
        return AGENDAD_EINVAL;
    const ag_member *mm = member(m);
    const ag_config *cfg = self->host->svc.config(self->host->svc.data);
    agendad_member_sync s = {
        .size = sizeof s,
        .feed_url = mm->feed_url,
        .interval = mm->sync.interval,
        .caldav_url = mm->sync.caldav_url,
        .caldav_username = mm->sync.caldav_username,
        .caldav_password_file = password_path(cfg, mm->sync.caldav_password_file),
        .network_wins = mm->sync.network_wins,
        .private_data = mm->sync.private_data,
    };
    size_t size = out->size < sizeof s ? out->size : sizeof s;
    memcpy(out, &s, size);
    out->size = size;
    return 0;
}

static char *state_key(const agendad_plugin *self, const char *key)
{
    char *k = NULL;
    return asprintf(&k, AG_PLUGIN_STATE_PREFIX "%s.%s", self->name, key) < 0 ? NULL : k;
}

static const char *api_state_get(agendad_plugin *self, const char *key)
{
    if (!self || !key || !self->host->svc.state_get)
        return NULL;
    char *k = state_key(self, key);
    char *value = NULL;
    if (k && self->host->svc.state_get(self->host->svc.data, k, &value) < 0)
        value = NULL;
    free(k);
    free(self->state_value);
    self->state_value = value;
    return value;
}

static int api_state_set(agendad_plugin *self, const char *key, const char *value)
{
    if (!self || !key || !*key)
        return AGENDAD_EINVAL;
    const ag_plugin_services *svc = &self->host->svc;
    if (!svc->state_set || !svc->state_get)
        return AGENDAD_ESTATE;
    char *k = state_key(self, key);
    if (!k)
        return AGENDAD_ENOMEM;
    char *old = NULL;
    int rc = svc->state_get(svc->data, k, &old);
    /* An unchanged value is not written: a quiet plugin costs no fsync. */
    bool same = rc == 0 && ((!old && !value) || (old && value && strcmp(old, value) == 0));
    if (!same)
        rc = svc->state_set(svc->data, k, value);
    free(old);
    free(k);
    return rc < 0 ? AGENDAD_EPLUGIN : 0;
}

/* Whether key (namespaced) already holds value. */
static bool state_same(const ag_plugin_services *svc, const char *key, const char *value)
{
    char *old = NULL;
    bool same = svc->state_get(svc->data, key, &old) == 0 &&
                ((!old && !value) || (old && value && strcmp(old, value) == 0));
    free(old);
    return same;
}

/* The changed ones of n keys, namespaced, into k and v (n slots each). */
static size_t state_changes(agendad_plugin *self, const char *const *keys,
                            const char *const *values, size_t n, char **k, const char **v)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char *key = state_key(self, keys[i]);
        if (key && state_same(&self->host->svc, key, values[i])) {
            free(key);
            continue;
        }
        k[m] = key;
        v[m++] = values[i];
    }
    return m;
}

static int api_state_set_many(agendad_plugin *self, const char *const *keys,
                              const char *const *values, size_t n)
{
    if (!self || (n && (!keys || !values)))
        return AGENDAD_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!keys[i] || !*keys[i])
            return AGENDAD_EINVAL;
    const ag_plugin_services *svc = &self->host->svc;
    if (!svc->state_set_many || !svc->state_get)
        return AGENDAD_ESTATE;
    char **k = calloc(n ? n : 1, sizeof *k);
    const char **v = calloc(n ? n : 1, sizeof *v);
    int rc = k && v ? 0 : AGENDAD_ENOMEM;
    size_t m = rc ? 0 : state_changes(self, keys, values, n, k, v);
    for (size_t i = 0; rc == 0 && i < m; i++)
        if (!k[i])
            rc = AGENDAD_ENOMEM;
    /* Nothing changed: no transaction, no fsync. */
    if (rc == 0 && m && svc->state_set_many(svc->data, (const char *const *)k, v, m) < 0)
        rc = AGENDAD_EPLUGIN;
    for (size_t i = 0; i < m; i++)
        free(k[i]);
    free(k);
    free(v);
    return rc;
}

static int api_event_ical(agendad_plugin *self, const agendad_event *ev, const char *lang,
                          const char **text, size_t *len)
{
    if (!self || !ev || !text || !len)
        return AGENDAD_EINVAL;
    const ag_plugin_services *svc = &self->host->svc;
    if (!svc->event_ical)
        return AGENDAD_ESTATE;
    char *out = NULL;
    if (svc->event_ical(svc->data, stored(ev)->ev.uid,
                        lang && strcmp(lang, "fr") == 0 ? "fr" : "ar", &out, len) < 0)
        return AGENDAD_ENOENT;
    free(self->state_value);
    self->state_value = out; /* same lifetime rule as state_get's answer */
    *text = out;
    return 0;
}

/* ------------------------------------------------------ host table: HTTP */

static const char *api_request_method(const agendad_request *req)
{
    return req->host->svc.is_head(req->http) ? "HEAD" : "GET";
}

static const char *api_request_path(const agendad_request *req)
{
    return req->host->svc.path(req->http);
}

static const char *api_request_query_string(const agendad_request *req)
{
    return req->host->svc.query_string(req->http);
}

static const char *api_request_query(const agendad_request *req, const char *name)
{
    return name ? req->host->svc.query(req->http, name) : NULL;
}

static const char *api_request_header(const agendad_request *req, const char *name)
{
    return name ? req->host->svc.header(req->http, name) : NULL;
}

static void api_respond(agendad_request *req, int status, const char *content_type,
                        const char *body, size_t len, const char *const *headers)
{
    req->host->svc.respond(req->http, status, content_type, body ? body : "", body ? len : 0,
                           headers);
    free(req);
}

static void api_respond_error(agendad_request *req, int status, const char *detail)
{
    req->host->svc.respond_error(req->http, status, detail, NULL);
    free(req);
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

/* ------------------------------------------------ host table: ABI 1.2 */

static const ag_config *current_config(const agendad_plugin *self)
{
    const ag_plugin_services *svc = &self->host->svc;
    return svc->config ? svc->config(svc->data) : NULL;
}

static uint64_t api_store_generation(agendad_plugin *self)
{
    const ag_plugin_services *svc = self ? &self->host->svc : NULL;
    return svc && svc->generation ? (uint64_t)svc->generation(svc->data) : 0;
}

static const char *api_setting(agendad_plugin *self, const char *key)
{
    const ag_config *cfg = self && key ? current_config(self) : NULL;
    if (!cfg)
        return NULL;
    if (strcmp(key, "tzdata") == 0)
        return self->host->svc.tz_version ? self->host->svc.tz_version() : NULL;
    const struct {
        const char *key, *value;
    } table[] = {
        {"base_url", cfg->settings.base_url},
        {"language", cfg->settings.default_lang},
        {"timezone", cfg->settings.default_tz},
        {"config_dir", cfg->dir},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(key, table[i].key) == 0)
            return table[i].value;
    return NULL;
}

static const char *api_network_text(agendad_plugin *self, const char *field, const char *lang)
{
    const ag_config *cfg = self && field ? current_config(self) : NULL;
    if (!cfg)
        return NULL;
    if (strcmp(field, "name") == 0)
        return text_in(&cfg->settings.network_name, lang);
    if (strcmp(field, "description") == 0)
        return text_in(&cfg->settings.network_description, lang);
    return NULL;
}

static size_t api_category_count(agendad_plugin *self)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg ? cfg->n_categories : 0;
}

static const char *api_category_id(agendad_plugin *self, size_t i)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg && i < cfg->n_categories ? cfg->categories[i].id : NULL;
}

static const ag_category *category_by_id(agendad_plugin *self, const char *id)
{
    const ag_config *cfg = self && id ? current_config(self) : NULL;
    for (size_t i = 0; cfg && i < cfg->n_categories; i++)
        if (strcmp(cfg->categories[i].id, id) == 0)
            return &cfg->categories[i];
    return NULL;
}

static const char *api_category_name(agendad_plugin *self, const char *id, const char *lang)
{
    const ag_category *c = category_by_id(self, id);
    return c ? text_in(&c->name, lang) : NULL;
}

static bool api_category_is_axis(agendad_plugin *self, const char *id)
{
    const ag_category *c = category_by_id(self, id);
    return c && c->axis;
}

static size_t api_member_count(agendad_plugin *self)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg ? cfg->n_members : 0;
}

static const agendad_member *api_member_at(agendad_plugin *self, size_t i)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg && i < cfg->n_members ? (const agendad_member *)&cfg->members[i] : NULL;
}

static size_t api_event_audience_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? stored(ev)->ev.n_audience : 0;
}

static const char *api_event_audience(agendad_plugin *self, const agendad_event *ev, size_t i)
{
    (void)self;
    return ev && i < stored(ev)->ev.n_audience ? stored(ev)->ev.audience[i] : NULL;
}

static bool api_event_invites(agendad_plugin *self, const agendad_event *ev, const char *member_id)
{
    const ag_config *cfg = self && ev && member_id ? current_config(self) : NULL;
    if (!cfg || !self->host->svc.member_concerned)
        return false;
    return self->host->svc.member_concerned(cfg, &stored(ev)->ev, member_id);
}

static int api_event_span(agendad_plugin *self, const agendad_event *ev, agendad_when *out)
{
    if (!self || !ev || !out)
        return AGENDAD_EINVAL;
    const ag_event *e = &stored(ev)->ev;
    if (!e->rrule || !self->host->svc.series_span)
        return api_event_when(self, ev, out);
    agendad_when w = {.all_day = e->start.is_date, .tzid = e->tzid};
    int rc = self->host->svc.series_span(e, &w.start, &w.end);
    if (rc < 0)
        return AGENDAD_EZONE;
    if (rc > 0)
        return AGENDAD_ERANGE;
    *out = w;
    return 0;
}

static void api_respond_cached(agendad_request *req, const char *content_type, const char *body,
                               size_t len, int64_t last_modified, int max_age)
{
    const ag_plugin_services *svc = &req->host->svc;
    if (svc->respond_cached)
        svc->respond_cached(req->http, content_type ? content_type : "application/octet-stream",
                            body ? body : "", body ? len : 0, last_modified, max_age);
    else
        svc->respond(req->http, 200, content_type, body ? body : "", body ? len : 0, NULL);
    free(req);
}

static int api_utc_offset(agendad_plugin *self, const char *tzid, int64_t t, int32_t *offset)
{
    if (!self || !tzid || !offset)
        return AGENDAD_EINVAL;
    bool ok = false;
    int32_t off = self->host->svc.utc_offset ? self->host->svc.utc_offset(t, tzid, &ok) : 0;
    if (!ok)
        return AGENDAD_EZONE;
    *offset = off;
    return 0;
}

static bool renderer_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *name)
{
    for (size_t i = 0; i < h->n_plugins; i++)
        for (size_t j = 0; j < h->plugins[i]->n_renderers; j++)
            if (strcmp(h->plugins[i]->renderers[j].name, name) == 0)
                return true;
    for (size_t j = 0; j < self->n_renderers; j++)
        if (strcmp(self->renderers[j].name, name) == 0)
            return true;
    return false;
}

static int api_register_renderer(agendad_plugin *self, const char *name, agendad_render_fn fn,
                                 void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !fn)
        return AGENDAD_EINVAL;
    if (renderer_taken(self->host, self, name))
        return AGENDAD_EEXIST;
    renderer r = {.name = dup_str(name), .fn = fn, .data = data};
    if (!r.name || !grow((void **)&self->renderers, self->n_renderers, sizeof r)) {
        free(r.name);
        return AGENDAD_ENOMEM;
    }
    self->renderers[self->n_renderers++] = r;
    return 0;
}

/* ---------------------------------------- host table: commands (ABI 1.8) */

static bool command_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *name)
{
    for (size_t i = 0; i < h->n_plugins; i++)
        for (size_t j = 0; j < h->plugins[i]->n_commands; j++)
            if (strcmp(h->plugins[i]->commands[j].name, name) == 0)
                return true;
    for (size_t j = 0; j < self->n_commands; j++)
        if (strcmp(self->commands[j].name, name) == 0)
            return true;
    return false;
}

static int api_register_command(agendad_plugin *self, const char *name, agendad_command_fn fn,
                                void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !fn)
        return AGENDAD_EINVAL;
    if (command_taken(self->host, self, name))
        return AGENDAD_EEXIST;
    command c = {.name = dup_str(name), .fn = fn, .data = data};
    if (!c.name || !grow((void **)&self->commands, self->n_commands, sizeof c)) {
        free(c.name);
        return AGENDAD_ENOMEM;
    }
    self->commands[self->n_commands++] = c;
    return 0;
}

static bool api_command_line(agendad_plugin *self)
{
    return self && self->host->svc.command_line;
}

static const agendad_host host_table_template = {
    .size = sizeof(agendad_host),
    .abi_major = AGENDAD_PLUGIN_ABI_MAJOR,
    .abi_minor = AGENDAD_PLUGIN_ABI_MINOR,
    .http_fetch = ag_plugin_api_http_fetch,
    .smtp_send = ag_plugin_api_smtp_send,
    .xfer_cancel = ag_plugin_api_xfer_cancel,
    .reminder_event = ag_plugin_api_reminder_event,
    .reminder_ics = ag_plugin_api_reminder_ics,
    .mem_free = free,
    .metric_register = ag_plugin_api_metric_register,
    .metric_add = ag_plugin_api_metric_add,
    .metric_set = ag_plugin_api_metric_set,
    .strerror = api_strerror,
    .log = api_log,
    .config = api_config,
    .config_get = api_config_get,
    .config_kind = api_config_kind,
    .config_scalar = api_config_scalar,
    .config_len = api_config_len,
    .config_item = api_config_item,
    .config_key = api_config_key,
    .config_location = api_config_location,
    .event_foreach = api_event_foreach,
    .event_count = api_event_count,
    .event_find = api_event_find,
    .event_uid = api_event_uid,
    .event_text = api_event_text,
    .event_when = api_event_when,
    .event_status = api_event_status,
    .event_visibility = api_event_visibility,
    .event_host_member = api_event_host_member,
    .event_category_count = api_event_category_count,
    .event_category = api_event_category,
    .event_slot_count = api_event_slot_count,
    .event_slot = api_event_slot,
    .event_slot_title = api_event_slot_title,
    .member_find = api_member_find,
    .member_id = api_member_id,
    .member_name = api_member_name,
    .member_language = api_member_language,
    .member_kind = api_member_kind,
    .member_region = api_member_region,
    .member_email_count = api_member_email_count,
    .member_email = api_member_email,
    .register_route = api_register_route,
    .register_channel = api_register_channel,
    .register_source = api_register_source,
    .register_listener = api_register_listener,
    .source_submit = api_source_submit,
    .request_method = api_request_method,
    .request_path = api_request_path,
    .request_query_string = api_request_query_string,
    .request_query = api_request_query,
    .request_header = api_request_header,
    .respond = api_respond,
    .respond_error = api_respond_error,
    .store_generation = api_store_generation,
    .setting = api_setting,
    .network_text = api_network_text,
    .category_count = api_category_count,
    .category_id = api_category_id,
    .category_name = api_category_name,
    .category_is_axis = api_category_is_axis,
    .member_count = api_member_count,
    .member_at = api_member_at,
    .event_audience_count = api_event_audience_count,
    .event_audience = api_event_audience,
    .event_invites = api_event_invites,
    .event_span = api_event_span,
    .respond_cached = api_respond_cached,
    .utc_offset = api_utc_offset,
    .register_renderer = api_register_renderer,
    .member_foreach = api_member_foreach,
    .member_sync = api_member_sync,
    .source_submit_member = api_source_submit_member,
    .state_get = api_state_get,
    .state_set = api_state_set,
    .event_ical = api_event_ical,
    .source_submit_member_async = api_source_submit_member_async,
    .state_set_many = api_state_set_many,
    .register_command = api_register_command,
    .command_line = api_command_line,
};

/* ---------------------------------------------------------------- loading */

static void drop_registrations(agendad_plugin *p)
{
    for (size_t i = 0; i < p->n_routes; i++)
        free(p->routes[i].prefix);
    for (size_t i = 0; i < p->n_channels; i++) {
        free(p->channels[i]->name);
        free(p->channels[i]);
    }
    for (size_t i = 0; i < p->n_sources; i++) {
        source_events_free(p->sources[i]->events, p->sources[i]->n_events);
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
    cfg_free(p->section);
    free(p->state_value);
    free(p->name);
    free(p);
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
        host_log(h, AG_LOG_ERR, "plugin %s: path too long under %s; left out", p->name, dir);
        return -1;
    }
    if (uv_dlopen(path, &p->lib) != 0) {
        host_log(h, AG_LOG_ERR, "plugin %s: cannot load %s: %s; left out", p->name, path,
                 uv_dlerror(&p->lib));
        uv_dlclose(&p->lib); /* frees libuv's error message */
        return -1;
    }
    return 0;
}

/* The three leading fields are the only ones read before the ABI is known
 * to match; then the descriptor is copied up to the plugin's own size. */
static int check_abi(ag_plugin_host *h, agendad_plugin *p)
{
    void *sym = NULL;
    if (uv_dlsym(&p->lib, "agendad_plugin_info", &sym) != 0 || !sym) {
        host_log(h, AG_LOG_ERR, "plugin %s: no agendad_plugin_info symbol (%s); left out", p->name,
                 uv_dlerror(&p->lib));
        return -1;
    }
    uint32_t head[3];
    memcpy(head, sym, sizeof head);
    if (head[0] != AGENDAD_PLUGIN_ABI_MAJOR || head[1] > AGENDAD_PLUGIN_ABI_MINOR) {
        host_log(h, AG_LOG_ERR, "plugin %s: built for plugin ABI %u.%u, host has %d.%d; left out",
                 p->name, head[0], head[1], AGENDAD_PLUGIN_ABI_MAJOR, AGENDAD_PLUGIN_ABI_MINOR);
        return -1;
    }
    /* From ABI 1.0's descriptor (the first: nothing valid is smaller) up to
     * this host's; a later minor may only append. */
    const size_t min_size = offsetof(agendad_plugin_descriptor, fini) + sizeof p->info.fini;
    if (head[2] < min_size || head[2] > sizeof(agendad_plugin_descriptor)) {
        host_log(h, AG_LOG_ERR, "plugin %s: descriptor size %u, expected %zu; left out", p->name,
                 head[2], sizeof(agendad_plugin_descriptor));
        return -1;
    }
    memcpy(&p->info, sym, head[2]);
    if (!p->info.init) {
        host_log(h, AG_LOG_ERR, "plugin %s: descriptor has no init; left out", p->name);
        return -1;
    }
    return 0;
}

static int run_init(ag_plugin_host *h, agendad_plugin *p)
{
    p->in_init = true;
    int rc = p->info.init(p, &h->table, &p->state);
    p->in_init = false;
    if (rc != 0) {
        host_log(h, AG_LOG_ERR, "plugin %s: init failed (%d: %s); left out", p->name, rc,
                 rc < 0 ? api_strerror(rc) : "plugin error");
        return -1;
    }
    host_log(h, AG_LOG_INFO,
             "plugin %s: loaded %s %s (%zu routes, %zu channels, %zu sources, "
             "%zu listeners, %zu renderers)",
             p->name, p->info.name ? p->info.name : "?", p->info.version ? p->info.version : "?",
             p->n_routes, p->n_channels, p->n_sources, p->n_listeners, p->n_renderers);
    return 0;
}

static agendad_plugin *plugin_new(ag_plugin_host *h, const ag_plugin_conf *conf)
{
    agendad_plugin *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->host = h;
    p->name = dup_str(conf->name);
    p->section = conf->section ? cfg_copy(conf->section) : cfg_empty_map();
    if (!p->name || !p->section) {
        plugin_free(p);
        return NULL;
    }
    return p;
}

/* 0: running; 1: left out (logged); -1: out of memory. */
static int load_one(ag_plugin_host *h, const char *dir, const ag_plugin_conf *conf)
{
    if (!valid_name(conf->name)) {
        host_log(h, AG_LOG_ERR, "%s:%d:%d: plugin name \"%s\" is not a file name; left out",
                 conf->loc.file ? conf->loc.file : "config", conf->loc.line, conf->loc.col,
                 conf->name ? conf->name : "");
        return 1;
    }
    agendad_plugin *p = plugin_new(h, conf);
    if (!p || !grow((void **)&h->plugins, h->n_plugins, sizeof p) ||
        !grow((void **)&h->failed_libs, h->n_failed_libs, sizeof(uv_lib_t))) {
        if (p)
            plugin_free(p);
        return -1;
    }
    if (open_lib(h, dir, p) != 0) {
        plugin_free(p);
        return 1;
    }
    if (check_abi(h, p) != 0) {
        uv_dlclose(&p->lib);
        plugin_free(p);
        return 1;
    }
    if (run_init(h, p) != 0) {
        h->failed_libs[h->n_failed_libs++] = p->lib;
        plugin_free(p);
        return 1;
    }
    h->plugins[h->n_plugins++] = p;
    return 0;
}

int ag_plugins_load(uv_loop_t *loop, const char *dir, const ag_plugin_conf *confs, size_t n,
                    const ag_plugin_services *svc, ag_plugin_host **out)
{
    *out = NULL;
    ag_plugin_host *h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    h->loop = loop;
    h->svc = *svc;
    h->table = host_table_template;
    h->table.loop = loop;
    for (size_t i = 0; i < n; i++) {
        if (load_one(h, dir, &confs[i]) < 0) {
            host_log(h, AG_LOG_ERR, "plugins: out of memory");
            ag_plugins_free(h);
            return -1;
        }
    }
    *out = h;
    return 0;
}

/* -------------------------------------------------------------- queries */

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

/* ------------------------------------------------------------- shutdown */

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
