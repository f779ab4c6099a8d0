/* The ATTENDEEs and VALARMs of an imported event, published only in its
 * member's own feed opened with the member's token, and only while the
 * admin has sync.private_data set for that member. The token-less member
 * feed, category and network feeds, single-event pages and `agendad export`
 * (whose files a CDN may serve to anyone) never carry them: the e-mail
 * addresses are the member's staff's, and the member asked for them to be
 * republished to itself, not to the public. */
#include "feed_internal.h"

#include "config_network.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

bool ag_feed_shows_private(const ag_config *cfg, const ag_stored_event *sev, const ag_feed_query *q)
{
    if (!sev->imported_from || q->kind != AG_FEED_MEMBER || !q->members_only || !q->key ||
        strcmp(q->key, sev->imported_from) != 0)
        return false;
    const ag_member *m = ag_config_member(cfg, sev->imported_from);
    return m && m->sync.private_data;
}

/* libical 3.0.16 writes a parameter value with a '"' or a control character
 * as is, which would break the line for every reader: such bytes become
 * spaces (RFC 6868's ^-escapes are not understood by most apps). */
static char *param_text(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        if (*p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return out;
}

static void add_param(icalproperty *p, icalparameter_kind kind, const char *value)
{
    if (!value || !*value)
        return;
    char *v = param_text(value);
    icalparameter *par = v ? icalparameter_new_from_value_string(kind, v) : NULL;
    if (par)
        icalproperty_add_parameter(p, par);
    free(v);
}

static void add_attendee(ag_feed_buf *b, const ag_attendee *a)
{
    icalproperty *p = icalproperty_new_attendee(a->address);
    add_param(p, ICAL_CN_PARAMETER, a->cn);
    add_param(p, ICAL_PARTSTAT_PARAMETER, a->partstat);
    add_param(p, ICAL_ROLE_PARAMETER, a->role);
    ag_feed_buf_prop(b, p);
}

static icalproperty *trigger_of(const ag_alarm *a)
{
    struct icaltriggertype tr;
    memset(&tr, 0, sizeof tr);
    tr.time = icaltime_null_time();
    if (a->related == AG_TRIGGER_ABSOLUTE) {
        tr.time =
            icaltime_from_timet_with_zone((time_t)a->trigger, 0, icaltimezone_get_utc_timezone());
        return icalproperty_new_trigger(tr);
    }
    /* libical durations are ints: a lead time beyond 68 years is no alarm. */
    if (a->trigger < INT_MIN || a->trigger > INT_MAX)
        return NULL;
    tr.duration = icaldurationtype_from_int((int)a->trigger);
    icalproperty *p = icalproperty_new_trigger(tr);
    if (a->related == AG_TRIGGER_END)
        icalproperty_add_parameter(p, icalparameter_new_related(ICAL_RELATED_END));
    return p;
}

/* DISPLAY needs a DESCRIPTION (RFC 5545 3.6.6): the event's title stands in
 * when the source gave none. */
static void add_alarm(ag_feed_buf *b, const ag_alarm *a, const char *title)
{
    icalproperty_action action =
        strcmp(a->action, "AUDIO") == 0 ? ICAL_ACTION_AUDIO : ICAL_ACTION_DISPLAY;
    icalproperty *trigger = trigger_of(a);
    if (!trigger)
        return;
    icalcomponent *c = icalcomponent_new(ICAL_VALARM_COMPONENT);
    icalcomponent_add_property(c, icalproperty_new_action(action));
    icalcomponent_add_property(c, trigger);
    const char *desc = a->description && *a->description ? a->description : title;
    if (desc && *desc)
        icalcomponent_add_property(c, icalproperty_new_description(desc));
    if (a->summary && *a->summary)
        icalcomponent_add_property(c, icalproperty_new_summary(a->summary));
    ag_feed_buf_component(b, c);
}

void ag_feed_add_private(ag_feed_buf *b, const ag_stored_event *sev, const char *title, bool alarms)
{
    for (size_t i = 0; i < sev->priv.n_attendees; i++)
        add_attendee(b, &sev->priv.attendees[i]);
    for (size_t i = 0; alarms && i < sev->priv.n_alarms; i++)
        add_alarm(b, &sev->priv.alarms[i], title ? title : sev->ev.uid);
}
