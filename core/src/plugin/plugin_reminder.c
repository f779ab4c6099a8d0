/* The reminder entries of the plugin host table. */
#include "plugin_net.h"

#include <stdlib.h>
#include <string.h>

static int cmp_uid(const void *key, const void *elem)
{
    return strcmp(key, ((const ag_stored_event *)elem)->ev.uid);
}

/* Removed events stay in the snapshot until purged, which is what a
 * cancellation notice needs: event_find only sees live ones. */
const agendad_event *ag_plugin_api_reminder_event(agendad_plugin *self, const agendad_reminder *r)
{
    if (!self || !r || !r->event_uid)
        return NULL;
    const ag_plugin_services *svc = ag_plugin_host_services(ag_plugin_owner(self));
    size_t n = 0;
    const ag_stored_event *evs = svc->events ? svc->events(svc->data, &n) : NULL;
    const ag_stored_event *se =
        evs && n ? bsearch(r->event_uid, evs, n, sizeof *evs, cmp_uid) : NULL;
    return (const agendad_event *)se;
}

int ag_plugin_api_reminder_ics(agendad_plugin *self, const agendad_reminder *r, char **out,
                               size_t *len)
{
    if (!self || !r || !r->event_uid || !out || !len)
        return AGENDAD_EINVAL;
    const ag_plugin_services *svc = ag_plugin_host_services(ag_plugin_owner(self));
    if (!svc->event_ics)
        return AGENDAD_ESTATE;
    bool cancel = AGENDAD_REMINDER_HAS(r, kind) && r->kind && strcmp(r->kind, "cancel") == 0;
    const char *lang = r->language ? r->language : "ar";
    return svc->event_ics(svc->data, r->event_uid, lang, cancel, out, len) < 0 ? AGENDAD_ENOENT : 0;
}
