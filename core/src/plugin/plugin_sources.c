/* Host-table entries of event sources: batches submitted by a plugin, and
 * members' own calendars. */
#include "plugin_host.h"

#include "config_network.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void ag_plugin_source_events_free(agendad_source_event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        source_event_free(&evs[i]);
    free(evs);
}

/* Copies a string field; false only when s was set and could not be. */
static bool copy_field(const char **dst, const char *s)
{
    *dst = ag_plugin_strdup(s);
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
        if (!v[i] || !(copy[i] = ag_plugin_strdup(v[i])))
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
            ag_plugin_source_events_free(copy, i);
            return rc;
        }
    }
    ag_plugin_source_events_free(src->events, src->n_events);
    src->events = copy;
    src->n_events = n;
    const ag_plugin_services *svc = &src->plugin->host->svc;
    if (svc->source_changed)
        svc->source_changed(svc->data, src->name);
    return 0;
}

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
            ag_plugin_source_events_free(copy, i);
            return rc;
        }
    }
    *out = copy;
    return 0;
}

static void log_not_stored(agendad_source *src, const char *member, const char *err)
{
    ag_plugin_log(src->plugin->host, AG_LOG_ERR, "plugin %s: events of %s not stored: %s",
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
    ag_plugin_source_events_free(copy, n);
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
    ag_plugin_source_events_free(copy, n);
    return rc;
}

/* The calendars busy time comes from, and whether member has each
 * configured. */
static bool calendar_configured(const ag_member *m, const char *calendar)
{
    if (strcmp(calendar, "feed") == 0)
        return m->feed_url != NULL;
    return strcmp(calendar, "caldav") == 0 && m->sync.caldav_url != NULL;
}

static int api_source_busy_replace(agendad_source *src, const char *member, const char *calendar,
                                   int64_t from, int64_t to, const agendad_busy_interval *iv,
                                   size_t n)
{
    if (!src || !member || !calendar || from >= to || (n && !iv) ||
        (strcmp(calendar, "feed") != 0 && strcmp(calendar, "caldav") != 0))
        return AGENDAD_EINVAL;
    const ag_plugin_services *svc = &src->plugin->host->svc;
    if (!svc->busy_replace)
        return AGENDAD_ESTATE;
    const ag_member *m = svc->config ? ag_config_member(svc->config(svc->data), member) : NULL;
    if (!m || !calendar_configured(m, calendar))
        return AGENDAD_ENOENT;
    ag_busy_interval *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return AGENDAD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (iv[i].end <= iv[i].start) {
            free(copy);
            return AGENDAD_EINVAL;
        }
        copy[i] = (ag_busy_interval){iv[i].start, iv[i].end, iv[i].tentative};
    }
    char *err = NULL;
    int rc = svc->busy_replace(svc->data, member, calendar, from, to, copy, n, &err);
    if (rc < 0)
        ag_plugin_log(src->plugin->host, AG_LOG_ERR,
                      "plugin %s: busy time of %s (%s) not stored: %s", src->plugin->name, member,
                      calendar, err ? err : "failed");
    free(err);
    free(copy);
    return rc < 0 ? AGENDAD_EPLUGIN : 0;
}

static int api_member_foreach(agendad_plugin *self, int (*fn)(const agendad_member *m, void *data),
                              void *data)
{
    if (!self || !fn)
        return AGENDAD_EINVAL;
    const ag_config *cfg = ag_plugin_host_config(self->host);
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
    snprintf(path, sizeof path, "%s/%s", creds && *creds ? creds : cfg ? cfg->dir : ".", file);
    return path;
}

static int api_member_sync(agendad_plugin *self, const agendad_member *m, agendad_member_sync *out)
{
    if (!self || !m || !out || out->size < offsetof(agendad_member_sync, private_data) + 1)
        return AGENDAD_EINVAL;
    const ag_member *mm = ag_plugin_member(m);
    const ag_config *cfg = ag_plugin_host_config(self->host);
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

/* This file's entries of the host table. */
void ag_plugin_table_sources(agendad_host *t)
{
    t->source_submit = api_source_submit;
    t->member_foreach = api_member_foreach;
    t->member_sync = api_member_sync;
    t->source_submit_member = api_source_submit_member;
    t->source_submit_member_async = api_source_submit_member_async;
    t->source_busy_replace = api_source_busy_replace;
}
