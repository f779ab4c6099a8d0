#include "reminders_ics.h"

#include "error.h"

#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ag_reminders_ics_method(const char *ics, bool cancel, char **out, size_t *len)
{
    icalcomponent *cal = icalparser_parse_string(ics);
    if (!cal)
        return AG_EINVAL;
    icalproperty *m;
    while ((m = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY))) {
        icalcomponent_remove_property(cal, m);
        icalproperty_free(m);
    }
    icalcomponent_add_property(
        cal, icalproperty_new_method(cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_PUBLISH));
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
         cancel && ev; ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
        icalcomponent_set_status(ev, ICAL_STATUS_CANCELLED);
    *out = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    if (!*out)
        return AG_ENOMEM;
    *len = strlen(*out);
    return 0;
}

/* A parameter value: no double quote (RFC 5545 has no way to write one)
 * nor control character. malloc'd. */
static char *param_text(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        if (*p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return out;
}

static icalproperty *cal_address(icalproperty *p, const char *cn)
{
    char *text = cn ? param_text(cn) : NULL;
    if (text)
        icalproperty_add_parameter(p, icalparameter_new_cn(text));
    free(text);
    return p;
}

static void set_people(icalcomponent *ev, const ag_plugin_itip *it)
{
    icalproperty *p;
    while ((p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY)) ||
           (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY))) {
        icalcomponent_remove_property(ev, p);
        icalproperty_free(p);
    }
    char *org = NULL, *att = NULL;
    if (asprintf(&org, "mailto:%s", it->organizer) < 0)
        org = NULL;
    if (asprintf(&att, "mailto:%s", it->attendee) < 0)
        att = NULL;
    if (org)
        icalcomponent_add_property(ev,
                                   cal_address(icalproperty_new_organizer(org), it->organizer_cn));
    if (att) {
        icalproperty *a = cal_address(icalproperty_new_attendee(att), it->attendee_cn);
        icalproperty_add_parameter(a, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
        if (!it->cancel) {
            icalproperty_add_parameter(a, icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
            icalproperty_add_parameter(a, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
        }
        icalcomponent_add_property(ev, a);
    }
    free(org);
    free(att);
}

int ag_reminders_itip_text(const char *ics, const ag_plugin_itip *it, char **out, size_t *len)
{
    icalcomponent *cal = icalparser_parse_string(ics);
    if (!cal)
        return AG_EINVAL;
    icalproperty *m;
    while ((m = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY))) {
        icalcomponent_remove_property(cal, m);
        icalproperty_free(m);
    }
    icalcomponent_add_property(
        cal, icalproperty_new_method(it->cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST));
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        if (it->cancel)
            icalcomponent_set_status(ev, ICAL_STATUS_CANCELLED);
        icalcomponent_set_sequence(ev, it->sequence);
        set_people(ev, it);
    }
    *out = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    if (!*out)
        return AG_ENOMEM;
    *len = strlen(*out);
    return 0;
}

int ag_reminders_ics_itip(ag_service *svc, const char *uid, const char *lang,
                          const ag_plugin_itip *it, int64_t now, char **out, size_t *len)
{
    ag_feed_query q = {
        .kind = AG_FEED_EVENT, .key = uid, .lang = lang, .slots = false, .members_only = true};
    int status = 0;
    char *err = NULL;
    ag_blob *b = ag_service_feed(svc, &q, now, &status, &err);
    free(err);
    if (!b)
        return status == 404 ? AG_ENOENT : AG_EFEED;
    char *text = strndup(ag_blob_data(b), ag_blob_len(b));
    ag_blob_unref(b);
    int rc = text ? ag_reminders_itip_text(text, it, out, len) : AG_ENOMEM;
    free(text);
    return rc;
}

int ag_reminders_ics(ag_service *svc, const char *uid, const char *lang, bool cancel, int64_t now,
                     char **out, size_t *len)
{
    ag_feed_query q = {
        .kind = AG_FEED_EVENT, .key = uid, .lang = lang, .slots = false, .members_only = true};
    int status = 0;
    char *err = NULL;
    ag_blob *b = ag_service_feed(svc, &q, now, &status, &err);
    free(err);
    if (!b)
        return status == 404 ? AG_ENOENT : AG_EFEED;
    char *text = strndup(ag_blob_data(b), ag_blob_len(b));
    ag_blob_unref(b);
    int rc = text ? ag_reminders_ics_method(text, cancel, out, len) : AG_ENOMEM;
    free(text);
    return rc;
}
