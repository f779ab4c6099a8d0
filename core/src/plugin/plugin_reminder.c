/* The reminder entries of the plugin host table. */
#include "plugin_net.h"

#include <stdlib.h>
#include <string.h>

/* Removed events stay in the snapshot until purged, which is what a
 * cancellation notice needs: event_find only sees live ones. */
const agendad_event *ag_plugin_api_reminder_event(agendad_plugin *self, const agendad_reminder *r)
{
    if (!self || !r || !r->event_uid)
        return NULL;
    const ag_plugin_services *svc = ag_plugin_host_services(ag_plugin_owner(self));
    size_t n = 0;
    const ag_stored_event *evs = svc->events ? svc->events(svc->data, &n) : NULL;
    const ag_stored_event *se = ag_store_event_find(evs, n, r->event_uid);
    return (const agendad_event *)se;
}

static bool kind_is(const agendad_reminder *r, const char *kind)
{
    return AGENDAD_REMINDER_HAS(r, kind) && r->kind && strcmp(r->kind, kind) == 0;
}

/* An invitation's: the network's name as the ORGANIZER's CN, the member's
 * as the ATTENDEE's (an extra address has none), in r's language. */
static int invitation_ics(const ag_plugin_services *svc, const agendad_reminder *r,
                          const char *lang, char **out, size_t *len)
{
    if (!AGENDAD_REMINDER_HAS(r, rsvp_decline_url) || !r->organizer || !r->address)
        return AGENDAD_EINVAL;
    if (!svc->event_itip)
        return AGENDAD_ESTATE;
    const ag_config *cfg = svc->config ? svc->config(svc->data) : NULL;
    const ag_member *m = NULL;
    for (size_t i = 0; cfg && r->recipient && i < cfg->n_members; i++)
        if (strcmp(cfg->members[i].id, r->recipient) == 0)
            m = &cfg->members[i];
    ag_plugin_itip it = {
        .cancel = kind_is(r, "invite-cancel"),
        .sequence = r->sequence,
        .organizer = r->organizer,
        .organizer_cn = cfg ? ag_text_get(&cfg->settings.network_name, lang) : NULL,
        .attendee = r->address,
        .attendee_cn = m ? ag_text_get(&m->name, lang) : NULL,
    };
    return svc->event_itip(svc->data, r->event_uid, lang, &it, out, len) < 0 ? AGENDAD_ENOENT : 0;
}

int ag_plugin_api_reminder_ics(agendad_plugin *self, const agendad_reminder *r, char **out,
                               size_t *len)
{
    if (!self || !r || !r->event_uid || !out || !len)
        return AGENDAD_EINVAL;
    const ag_plugin_services *svc = ag_plugin_host_services(ag_plugin_owner(self));
    const char *lang = r->language ? r->language : "ar";
    if (kind_is(r, "invite") || kind_is(r, "invite-cancel"))
        return invitation_ics(svc, r, lang, out, len);
    if (!svc->event_ics)
        return AGENDAD_ESTATE;
    bool cancel = kind_is(r, "cancel");
    return svc->event_ics(svc->data, r->event_uid, lang, cancel, out, len) < 0 ? AGENDAD_ENOENT : 0;
}
