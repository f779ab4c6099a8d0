#include "reminders_ics.h"

#include "error.h"

#include <libical/ical.h>
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
