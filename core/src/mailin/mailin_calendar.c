/* The iMIP REPLY itself (RFC 5546 §3.2.3): one VCALENDAR, METHOD:REPLY,
 * a VEVENT with UID, DTSTAMP, SEQUENCE and the answering ATTENDEE with
 * its PARTSTAT. Clients send more (the whole event back, VTIMEZONEs, an
 * occurrence's override): only the series' VEVENT is read. */
#include "mailin_internal.h"

#include "error.h"

#include <ctype.h>
#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ag_mailin_address_norm(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    while (isspace((unsigned char)*s) || *s == '"')
        s++;
    if (strncasecmp(s, "mailto:", 7) == 0)
        s += 7;
    size_t n = strlen(s);
    while (n > 0 && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '"'))
        n--;
    if (n == 0)
        return 0;
    if (!(*out = strndup(s, n)))
        return AG_ENOMEM;
    for (char *p = *out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

static ag_mailin_partstat partstat_of(icalproperty *att)
{
    icalparameter *p = icalproperty_get_first_parameter(att, ICAL_PARTSTAT_PARAMETER);
    switch (p ? icalparameter_get_partstat(p) : ICAL_PARTSTAT_NONE) {
    case ICAL_PARTSTAT_ACCEPTED:
        return AG_MAILIN_ACCEPTED;
    case ICAL_PARTSTAT_TENTATIVE:
        return AG_MAILIN_TENTATIVE;
    case ICAL_PARTSTAT_DECLINED:
        return AG_MAILIN_DECLINED;
    case ICAL_PARTSTAT_DELEGATED:
        return AG_MAILIN_DELEGATED;
    default:
        return AG_MAILIN_NO_ANSWER;
    }
}

/* DELEGATED-TO and -FROM hold a list of quoted cal-addresses; the first
 * names the delegate (or delegator) well enough for our use. */
static int delegation(icalproperty *att, icalparameter_kind kind, char **out)
{
    *out = NULL;
    icalparameter *p = icalproperty_get_first_parameter(att, kind);
    const char *v = !p                                   ? NULL
                    : kind == ICAL_DELEGATEDTO_PARAMETER ? icalparameter_get_delegatedto(p)
                                                         : icalparameter_get_delegatedfrom(p);
    if (!v)
        return 0;
    char *first = strndup(v, strcspn(v, ","));
    int rc = first ? ag_mailin_address_norm(first, out) : AG_ENOMEM;
    free(first);
    return rc;
}

static int add_attendee(ag_mailin_reply *r, icalproperty *att)
{
    char *address;
    if (ag_mailin_address_norm(icalproperty_get_attendee(att), &address) < 0)
        return AG_ENOMEM;
    if (!address)
        return 0; /* an empty ATTENDEE answers for nobody */
    ag_mailin_attendee *more = realloc(r->attendees, (r->n_attendees + 1) * sizeof *more);
    if (!more) {
        free(address);
        return AG_ENOMEM;
    }
    r->attendees = more;
    ag_mailin_attendee *a = &r->attendees[r->n_attendees++];
    *a = (ag_mailin_attendee){.address = address, .partstat = partstat_of(att)};
    if (delegation(att, ICAL_DELEGATEDTO_PARAMETER, &a->delegated_to) < 0 ||
        delegation(att, ICAL_DELEGATEDFROM_PARAMETER, &a->delegated_from) < 0)
        return AG_ENOMEM;
    return 0;
}

/* The series' VEVENT: the one without RECURRENCE-ID. An answer for one
 * occurrence only has none; *only_occurrences says so. */
static icalcomponent *series_event(icalcomponent *cal, bool *only_occurrences)
{
    *only_occurrences = false;
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        if (!icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY))
            return ev;
        *only_occurrences = true;
    }
    return NULL;
}

static int64_t unix_time(struct icaltimetype t)
{
    if (!t.zone || t.zone == icaltimezone_get_utc_timezone())
        return (int64_t)icaltime_as_timet(t);
    return (int64_t)icaltime_as_timet_with_zone(t, t.zone);
}

/* A VEVENT of a REPLY into r; AG_MAILIN_CAL_MALFORMED with r->why when a
 * property RFC 5546 requires is missing. */
static int read_event(icalcomponent *ev, ag_mailin_reply *r, ag_mailin_cal *kind)
{
    const char *uid = icalcomponent_get_uid(ev);
    icalproperty *stamp = icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY);
    icalproperty *seq = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
    *kind = AG_MAILIN_CAL_MALFORMED;
    if (!uid || !*uid) {
        r->why = "the REPLY has no UID";
        return 0;
    }
    if (!stamp || icaltime_is_null_time(icalproperty_get_dtstamp(stamp))) {
        r->why = "the REPLY has no DTSTAMP";
        return 0;
    }
    if (seq && icalproperty_get_sequence(seq) < 0) {
        r->why = "the REPLY has a negative SEQUENCE";
        return 0;
    }
    if (!(r->uid = strdup(uid)))
        return AG_ENOMEM;
    r->sequence = seq ? icalproperty_get_sequence(seq) : 0;
    r->dtstamp = unix_time(icalproperty_get_dtstamp(stamp));
    for (icalproperty *att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); att;
         att = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY))
        if (add_attendee(r, att) < 0)
            return AG_ENOMEM;
    if (r->n_attendees == 0) {
        r->why = "the REPLY has no ATTENDEE";
        return 0;
    }
    *kind = AG_MAILIN_CAL_REPLY;
    return 0;
}

/* The calendar's METHOD, or the MIME part's method= when it has none. */
static icalproperty_method method_of(icalcomponent *cal, const char *declared)
{
    icalproperty *m = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY);
    if (m)
        return icalproperty_get_method(m);
    return declared ? icalenum_string_to_method(declared) : ICAL_METHOD_NONE;
}

static bool has_answer(const ag_mailin_reply *r)
{
    for (size_t i = 0; i < r->n_attendees; i++)
        if (r->attendees[i].partstat != AG_MAILIN_NO_ANSWER)
            return true;
    return false;
}

/* Some clients send the invitation back as it came, METHOD:REQUEST, with
 * only the ATTENDEE's PARTSTAT changed: an answer too. A REQUEST without
 * an answer (a forwarded invitation) is none, and is never bounced. */
static int read_echoed_request(icalcomponent *ev, ag_mailin_reply *r, ag_mailin_cal *kind)
{
    int rc = read_event(ev, r, kind);
    if (rc == 0 && (*kind != AG_MAILIN_CAL_REPLY || !has_answer(r))) {
        *kind = AG_MAILIN_CAL_OTHER;
        r->why = "a REQUEST (an invitation, not an answer)";
    }
    return rc;
}

static int read_calendar(icalcomponent *cal, const char *declared_method, ag_mailin_reply *r,
                         ag_mailin_cal *kind)
{
    *kind = AG_MAILIN_CAL_MALFORMED;
    if (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT) {
        r->why = "the calendar is not one VCALENDAR";
        return 0;
    }
    if (icalcomponent_count_errors(cal) > 0) {
        r->why = "the calendar is malformed";
        return 0;
    }
    icalproperty_method method = method_of(cal, declared_method);
    if (method != ICAL_METHOD_REPLY && method != ICAL_METHOD_REQUEST) {
        *kind = AG_MAILIN_CAL_OTHER;
        r->why = "a calendar that is neither a REPLY nor a REQUEST";
        return 0;
    }
    bool only_occurrences;
    icalcomponent *ev = series_event(cal, &only_occurrences);
    if (!ev) {
        *kind = only_occurrences || method == ICAL_METHOD_REQUEST ? AG_MAILIN_CAL_OTHER
                                                                  : AG_MAILIN_CAL_MALFORMED;
        r->why = only_occurrences ? "an answer for single occurrences, not for the series"
                                  : "the calendar has no VEVENT";
        return 0;
    }
    if (method == ICAL_METHOD_REQUEST)
        return read_echoed_request(ev, r, kind);
    return read_event(ev, r, kind);
}

int ag_mailin_calendar_read(const char *text, const char *declared_method, ag_mailin_reply *r,
                            ag_mailin_cal *kind)
{
    icalcomponent *cal = icalparser_parse_string(text);
    int rc = 0;
    if (!cal) {
        *kind = AG_MAILIN_CAL_MALFORMED;
        r->why = "the calendar cannot be parsed";
    } else {
        rc = read_calendar(cal, declared_method, r, kind);
        icalcomponent_free(cal);
    }
    icalerror_clear_errno();
    return rc;
}
