/* Host-table entries for a plugin's persistent state (namespaced keys in
 * the store's meta) and an event's iCalendar text. */
#include "plugin_host.h"

#include "config_network.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (svc->event_ical(svc->data, ag_plugin_stored(ev)->ev.uid,
                        lang && strcmp(lang, "fr") == 0 ? "fr" : "ar", &out, len) < 0)
        return AGENDAD_ENOENT;
    free(self->state_value);
    self->state_value = out; /* same lifetime rule as state_get's answer */
    *text = out;
    return 0;
}

/* This file's entries of the host table. */
void ag_plugin_table_state(agendad_host *t)
{
    t->state_get = api_state_get;
    t->state_set = api_state_set;
    t->event_ical = api_event_ical;
    t->state_set_many = api_state_set_many;
}
