/* The answer as iCalendar, built with libical: one tentative, transparent
 * VEVENT per proposed slot, in UTC, that an admin opens beside their own
 * calendar to compare; and a member's VFREEBUSY, busy time only. */
#include "schedule_internal.h"

#include "digest.h"
#include "error.h"

#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static icaltimetype utc_time(int64_t t)
{
    return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

static icalcomponent *calendar(const char *lang)
{
    bool fr = lang && strcmp(lang, "fr") == 0;
    icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(
        cal, icalproperty_new_prodid(fr ? "-//RMCTO//agendad " AGENDAD_VERSION "//FR"
                                        : "-//RMCTO//agendad " AGENDAD_VERSION "//AR"));
    icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
    icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
    return cal;
}

/* The text of cal, malloc'd by us. */
static int finish(icalcomponent *cal, char **body, size_t *len)
{
    char *s = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    *body = s ? strdup(s) : NULL;
    free(s);
    if (!*body)
        return AG_ENOMEM;
    *len = strlen(*body);
    return 0;
}

/* Same question, same start: same UID, so that a calendar app that opens
 * a second answer replaces the first one's slots rather than doubling them. */
static void slot_uid(const ag_schedule_result *r, const ag_schedule_slot *s, char *buf, size_t size)
{
    ag_schedule_text q = {0};
    for (size_t i = 0; i < r->q->n_audience; i++)
        ag_schedule_text_addf(&q, "%s,", r->q->audience[i]);
    ag_schedule_text_addf(&q, "%lld", (long long)r->q->duration);
    unsigned char h[AG_SHA256_BYTES];
    char hex[2 * AG_SHA256_BYTES + 1] = "0";
    if (!q.failed && ag_sha256(q.s, q.len, NULL, 0, h) == 0)
        ag_hex(h, 6, hex);
    free(q.s);
    char at[32];
    ag_schedule_utc_iso(s->start, at, sizeof at);
    snprintf(buf, size, "propose-%.4s%.2s%.2sT%.2s%.2s%.2sZ-%s@%s", at, at + 5, at + 8, at + 11,
             at + 14, at + 17, hex, r->in->host);
}

static icalcomponent *slot_event(const ag_schedule_result *r, size_t k, const char *lang,
                                 int64_t now)
{
    const ag_schedule_slot *s = &r->slots[k];
    bool fr = strcmp(lang, "fr") == 0;
    char uid[256], summary[128];
    slot_uid(r, s, uid, sizeof uid);
    snprintf(summary, sizeof summary,
             fr ? "Créneau proposé n° %zu : %zu/%zu libres" : "موعد مقترح رقم %zu: %zu/%zu متاحون",
             k + 1, r->n_members - s->n_busy, r->n_members);
    ag_schedule_text notes = {0};
    ag_schedule_txt_notes(&notes, r, s, lang);
    icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_property(ev, icalproperty_new_uid(uid));
    icalcomponent_add_property(ev, icalproperty_new_dtstamp(utc_time(now)));
    icalcomponent_add_property(ev, icalproperty_new_dtstart(utc_time(s->start)));
    icalcomponent_add_property(ev, icalproperty_new_dtend(utc_time(s->end)));
    icalcomponent_add_property(ev, icalproperty_new_summary(summary));
    if (!notes.failed && notes.s)
        icalcomponent_add_property(ev, icalproperty_new_description(notes.s));
    icalcomponent_add_property(ev, icalproperty_new_status(ICAL_STATUS_TENTATIVE));
    icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
    free(notes.s);
    return ev;
}

int ag_schedule_format_ics(const ag_schedule_result *r, const char *lang, int64_t now, char **body,
                           size_t *len)
{
    icalcomponent *cal = calendar(lang);
    for (size_t k = 0; k < r->n_slots; k++)
        icalcomponent_add_component(cal, slot_event(r, k, lang, now));
    return finish(cal, body, len);
}

static void add_periods(icalcomponent *fb, const ag_schedule_span *v, size_t n,
                        icalparameter_fbtype type)
{
    for (size_t i = 0; i < n; i++) {
        struct icalperiodtype p = {utc_time(v[i].start), utc_time(v[i].end),
                                   icaldurationtype_null_duration()};
        icalproperty *prop = icalproperty_new_freebusy(p);
        icalproperty_add_parameter(prop, icalparameter_new_fbtype(type));
        icalcomponent_add_property(fb, prop);
    }
}

static int freebusy_text(const ag_schedule_input *in, const char *member, int64_t from, int64_t to,
                         int64_t now, const ag_schedule_busy *busy, size_t n, char **body,
                         size_t *len)
{
    ag_schedule_span *b, *t;
    size_t nb, nt;
    if (ag_schedule_fb_periods(busy, n, &b, &nb, &t, &nt) < 0)
        return AG_ENOMEM;
    char uid[256];
    snprintf(uid, sizeof uid, "freebusy-%s@%s", member, in->host);
    icalcomponent *cal = calendar(in->lang);
    icalcomponent *fb = icalcomponent_new(ICAL_VFREEBUSY_COMPONENT);
    icalcomponent_add_property(fb, icalproperty_new_uid(uid));
    icalcomponent_add_property(fb, icalproperty_new_dtstamp(utc_time(now)));
    icalcomponent_add_property(fb, icalproperty_new_dtstart(utc_time(from)));
    icalcomponent_add_property(fb, icalproperty_new_dtend(utc_time(to)));
    add_periods(fb, b, nb, ICAL_FBTYPE_BUSY);
    add_periods(fb, t, nt, ICAL_FBTYPE_BUSYTENTATIVE);
    icalcomponent_add_component(cal, fb);
    free(b);
    free(t);
    return finish(cal, body, len);
}

int ag_schedule_freebusy(const ag_schedule_input *in, const char *member, int64_t from, int64_t to,
                         int64_t now, char **body, size_t *len, char **err)
{
    if (err)
        *err = NULL;
    *body = NULL;
    *len = 0;
    size_t m = 0;
    while (m < in->n_members && strcmp(in->members[m].id, member) != 0)
        m++;
    if (m == in->n_members) {
        if (err && asprintf(err, "no member \"%s\"", member) < 0)
            *err = NULL;
        return AG_ENOENT;
    }
    if (from >= to) {
        if (err && asprintf(err, "the free/busy window is empty") < 0)
            *err = NULL;
        return AG_EINVAL;
    }
    ag_schedule_occurrences occ;
    ag_schedule_busy *busy = NULL;
    size_t n = 0;
    bool *wanted = calloc(in->n_events ? in->n_events : 1, sizeof *wanted);
    for (size_t i = 0; wanted && i < in->n_events; i++)
        wanted[i] = ag_schedule_concerned(&in->members[m], &in->events[i].ev);
    int rc = wanted ? ag_schedule_occurrences_build(in, from, to, wanted, &occ) : AG_ENOMEM;
    free(wanted);
    if (rc == 0) {
        rc = ag_schedule_member_busy(in, &occ, m, from, to, &busy, &n);
        ag_schedule_occurrences_free(&occ);
    }
    for (size_t i = 0; i < n; i++) { /* periods within DTSTART and DTEND */
        busy[i].start = busy[i].start < from ? from : busy[i].start;
        busy[i].end = busy[i].end > to ? to : busy[i].end;
    }
    if (rc == 0)
        rc = freebusy_text(in, member, from, to, now, busy, n, body, len);
    free(busy);
    if (rc < 0 && err && asprintf(err, "cannot build the free/busy: %s", ag_strerror(rc)) < 0)
        *err = NULL;
    return rc;
}
