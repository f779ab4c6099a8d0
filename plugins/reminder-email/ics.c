#include "ics.h"

#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* other's text when it says something first's does not. */
static const char *own(const char *other, const char *first)
{
    return other && other[0] && (!first || strcmp(other, first) != 0) ? other : NULL;
}

static bool prepend(icalcomponent *ev, const char *title, const char *desc)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY);
    const char *old = p ? icalproperty_get_description(p) : NULL;
    char *text = NULL;
    if (asprintf(&text, "%s%s%s%s%s", title ? title : "", title && desc ? "\n" : "",
                 desc ? desc : "", old && old[0] ? "\n\n" : "", old ? old : "") < 0)
        return false;
    if (p) {
        icalproperty_set_description(p, text);
        icalproperty_remove_parameter_by_kind(p, ICAL_LANGUAGE_PARAMETER);
    } else {
        icalcomponent_add_property(ev, icalproperty_new_description(text));
    }
    free(text);
    return true;
}

char *rem_ics_both_languages(const char *ics, const rem_lang_text *first,
                             const rem_lang_text *other, size_t *len)
{
    const char *title = own(other->title, first->title);
    const char *desc = own(other->description, first->description);
    if (!title && !desc) {
        char *out = strdup(ics);
        if (out)
            *len = strlen(out);
        return out;
    }
    icalcomponent *cal = icalparser_parse_string(ics);
    if (!cal)
        return NULL;
    bool ok = true;
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
         ok && ev; ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
        ok = prepend(ev, title, desc);
    char *text = ok ? icalcomponent_as_ical_string_r(cal) : NULL;
    icalcomponent_free(cal);
    char *out = text ? strdup(text) : NULL;
    if (text)
        icalmemory_free_buffer(text);
    if (out)
        *len = strlen(out);
    return out;
}
