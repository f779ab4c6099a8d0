/* Slimming the config's events once the store holds them. Each event's
 * fields are dozens of small allocations; freeing most of them in place
 * would leave the few kept ones scattered through every page, and no page
 * could go back to the system. The kept fields are copied into one arena
 * first, so that the old allocations are freed whole. */
#include "arena.h"
#include "config.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

static char *arena_str(ag_arena *a, const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = ag_arena_strndup(a, s, strlen(s));
    *ok = *ok && d;
    return d;
}

static char **arena_strv(ag_arena *a, char *const *v, size_t n, bool *ok)
{
    if (!n)
        return NULL;
    char **d = ag_arena_alloc(a, n * sizeof *d);
    if (!d) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = arena_str(a, v[i], ok);
    return d;
}

static ag_event slim_copy(ag_arena *a, const ag_event *e, bool *ok)
{
    return (ag_event){
        .uid = arena_str(a, e->uid, ok),
        .host = arena_str(a, e->host, ok),
        .audience = arena_strv(a, e->audience, e->n_audience, ok),
        .n_audience = e->n_audience,
        .reminder_channels = arena_strv(a, e->reminder_channels, e->n_reminder_channels, ok),
        .n_reminder_channels = e->n_reminder_channels,
        .reminder_extra = arena_strv(a, e->reminder_extra, e->n_reminder_extra, ok),
        .n_reminder_extra = e->n_reminder_extra,
    };
}

/* All or nothing: without memory for the copies the events stay whole,
 * which costs memory but loses nothing. */
void ag_config_shed_events(ag_config *cfg)
{
    if (cfg->event_arena || !cfg->n_events)
        return;
    ag_arena *a = ag_arena_new();
    ag_event *slim = a ? ag_arena_alloc(a, cfg->n_events * sizeof *slim) : NULL;
    bool ok = slim != NULL;
    for (size_t i = 0; ok && i < cfg->n_events; i++)
        slim[i] = slim_copy(a, &cfg->events[i], &ok);
    if (!ok) {
        ag_arena_free(a);
        return;
    }
    for (size_t i = 0; i < cfg->n_events; i++)
        ag_event_free(&cfg->events[i]);
    free(cfg->events);
    cfg->events = slim;
    cfg->event_arena = a;
}

int ag_config_adopt_events(ag_config *cfg, const ag_event *evs, size_t n)
{
    if (!n)
        return 0;
    ag_arena *a = ag_arena_new();
    ag_event *slim = a ? ag_arena_alloc(a, n * sizeof *slim) : NULL;
    bool ok = slim != NULL;
    for (size_t i = 0; ok && i < n; i++)
        slim[i] = slim_copy(a, &evs[i], &ok);
    if (!ok) {
        ag_arena_free(a);
        return AG_ENOMEM;
    }
    cfg->events = slim;
    cfg->n_events = n;
    cfg->event_arena = a;
    return 0;
}
