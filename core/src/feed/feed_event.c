/* One event as iCalendar: its VEVENT, the VEVENTs of its timed agenda slots
 * (children through RELATED-TO, cancelling with it, each with its own UID
 * and version kept by the store) and its alarms. */
#include "feed_internal.h"

#include "config_network.h"
#include "tz.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *lang_code(const char *lang)
{
    return lang && strcmp(lang, "fr") == 0 ? "fr" : "ar";
}

static const char *other_lang(const char *lang)
{
    return strcmp(lang, "fr") == 0 ? "ar" : "fr";
}

const char *ag_feed_text(const ag_text *t, const char *lang, const char **used)
{
    lang = lang_code(lang);
    const char *want = strcmp(lang, "fr") == 0 ? t->fr : t->ar;
    const char *other = strcmp(lang, "fr") == 0 ? t->ar : t->fr;
    *used = want ? lang : other_lang(lang);
    return want ? want : other;
}

char *ag_feed_plain_text(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (; *s; s++) {
        char c = strchr(",;\r\n\t", *s) ? ' ' : *s;
        if (c == ' ' && (n == 0 || out[n - 1] == ' '))
            continue;
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return out;
}

icalproperty *ag_feed_x(const char *name, const char *value)
{
    icalproperty *p = icalproperty_new_x(value);
    icalproperty_set_x_name(p, name);
    return p;
}

static void add_text(ag_feed_buf *b, const char *name, icalproperty *(*make)(const char *),
                     const ag_text *t, const char *lang)
{
    const char *used;
    const char *s = ag_feed_text(t, lang, &used);
    if (!s || !*s || ag_feed_buf_plain(b, name, used, s))
        return;
    icalproperty *p = make(s);
    icalproperty_add_parameter(p, icalparameter_new_language(used));
    ag_feed_buf_prop(b, p);
}

/* SUMMARY; for a cancelled event shown as confirmed, after a word in the
 * feed's language saying it is off (whatever language the title falls
 * back to: it is the reader's). */
static void add_summary(ag_feed_buf *b, const ag_text *t, const ag_feed_query *q, bool cancelled)
{
    if (!cancelled) {
        add_text(b, "SUMMARY", icalproperty_new_summary, t, q->lang);
        return;
    }
    const char *used;
    const char *s = ag_feed_text(t, q->lang, &used);
    const char *mark = strcmp(lang_code(q->lang), "fr") == 0 ? "[Annulé]" : "[ملغى]";
    char *title = ag_feed_strdup_printf("%s%s%s", mark, s && *s ? " " : "", s ? s : "");
    if (!title) {
        b->failed = true;
        return;
    }
    if (!ag_feed_buf_plain(b, "SUMMARY", used, title)) {
        icalproperty *p = icalproperty_new_summary(title);
        icalproperty_add_parameter(p, icalparameter_new_language(used));
        ag_feed_buf_prop(b, p);
    }
    free(title);
}

static void add_uid(ag_feed_buf *b, const char *uid)
{
    if (!ag_feed_buf_plain(b, "UID", NULL, uid))
        ag_feed_buf_prop(b, icalproperty_new_uid(uid));
}

static icaltimetype utc_time(int64_t t)
{
    return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

static void add_local(ag_feed_buf *b, icalproperty *(*make)(icaltimetype), icaltimetype t,
                      const char *tzid)
{
    icalproperty *p = make(t);
    if (!t.is_date)
        icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
    ag_feed_buf_prop(b, p);
}

static bool same_local(const ag_datetime *a, const ag_datetime *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->is_date == b->is_date;
}

/* An agenda's slots meet end to start: the last few conversions, exact
 * (same zone, same wall-clock time), spare libical's for nearly half. */
static int64_t to_utc(ag_feed_buf *b, const ag_datetime *dt, const char *tzid)
{
    ag_feed_memo *m = b->memo;
    for (size_t i = 0; m && i < AG_FEED_TZ_RECENT; i++)
        if (m->tz[i].tzid && strcmp(m->tz[i].tzid, tzid) == 0 && same_local(&m->tz[i].local, dt))
            return m->tz[i].utc;
    bool ok;
    int64_t t = ag_tz_to_utc(dt, tzid, &ok);
    if (m) {
        m->tz[m->tz_next] = (ag_feed_tz_recent){tzid, *dt, t};
        m->tz_next = (m->tz_next + 1) % AG_FEED_TZ_RECENT;
    }
    return t;
}

static void add_utc(ag_feed_buf *b, const char *name, const ag_datetime *dt, const char *tzid)
{
    ag_feed_buf_utc(b, name, to_utc(b, dt, tzid));
}

static icalproperty_status status_of(const ag_stored_event *sev)
{
    if (sev->removed_at != 0 || sev->ev.status == AG_STATUS_CANCELLED)
        return ICAL_STATUS_CANCELLED;
    return sev->ev.status == AG_STATUS_TENTATIVE ? ICAL_STATUS_TENTATIVE : ICAL_STATUS_CONFIRMED;
}

/* With cancelled=visible, a cancelled event stays in Google Calendar, which
 * drops STATUS:CANCELLED events from subscribed calendars: it is published
 * as confirmed but free time (TRANSP), its SUMMARY saying it is off. */
static bool cancelled_shown(const ag_stored_event *sev, const ag_feed_query *q)
{
    return q->cancelled_visible && status_of(sev) == ICAL_STATUS_CANCELLED;
}

static const char STATUS[] = "STATUS", CLASS[] = "CLASS";

/* STATUS and CLASS take one of a few values: serialized once per build. */
static void add_enum(ag_feed_buf *b, const char *prop, const char *key, icalproperty *(*make)(int),
                     int value)
{
    if (ag_feed_memo_put(b, prop, key))
        return;
    size_t from = b->len;
    ag_feed_buf_prop(b, make(value));
    ag_feed_memo_add(b, prop, key, from);
}

static icalproperty *make_status(int v)
{
    return icalproperty_new_status((icalproperty_status)v);
}

static icalproperty *make_class(int v)
{
    return icalproperty_new_class((icalproperty_class)v);
}

/* The event's page; an online meeting's link instead (RFC 5545 allows one
 * URL), also as RFC 7986 CONFERENCE (libical writes VALUE=URI). */
static void add_url(ag_feed_buf *b, const ag_config *cfg, const ag_event *ev)
{
    if (ev->online_url) {
        if (!ag_feed_buf_plain(b, "URL", NULL, ev->online_url))
            ag_feed_buf_prop(b, icalproperty_new_url(ev->online_url));
        ag_feed_buf_prop(b, icalproperty_new_conference(ev->online_url));
        return;
    }
    const char *base = cfg->settings.base_url ? cfg->settings.base_url : "";
    char *url = ag_feed_strdup_printf("%s/events/%s", base, ev->uid);
    if (!url) {
        b->failed = true;
        return;
    }
    if (!ag_feed_buf_plain(b, "URL", NULL, url))
        ag_feed_buf_prop(b, icalproperty_new_url(url));
    free(url);
}

/* An event's or an item's own version: DTSTAMP, CREATED, LAST-MODIFIED,
 * SEQUENCE and STATUS; a cancellation shown (cancelled=visible) as
 * STATUS:CONFIRMED and TRANSP:TRANSPARENT. */
static void add_version(ag_feed_buf *b, int64_t created, int64_t last_modified, int sequence,
                        icalproperty_status st, bool shown)
{
    ag_feed_buf_utc(b, "DTSTAMP", last_modified);
    ag_feed_buf_utc(b, "CREATED", created);
    ag_feed_buf_utc(b, "LAST-MODIFIED", last_modified);
    char seq[24];
    snprintf(seq, sizeof seq, "%d", sequence);
    if (!ag_feed_buf_plain(b, "SEQUENCE", NULL, seq))
        ag_feed_buf_prop(b, icalproperty_new_sequence(sequence));
    if (shown)
        st = ICAL_STATUS_CONFIRMED;
    add_enum(b, STATUS,
             st == ICAL_STATUS_CANCELLED   ? "c"
             : st == ICAL_STATUS_TENTATIVE ? "t"
                                           : "k",
             make_status, (int)st);
    if (shown && !ag_feed_buf_plain(b, "TRANSP", NULL, "TRANSPARENT"))
        ag_feed_buf_prop(b, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
}

/* What an event and its slots share after their version, so that a client
 * sees them belong together. */
static void add_common(ag_feed_buf *b, const ag_config *cfg, const ag_stored_event *sev)
{
    /* PRIVATE keeps a members-only event's details hidden if a member
     * shares their calendar further. */
    bool private = sev->ev.visibility == AG_VIS_MEMBERS;
    add_enum(b, CLASS, private ? "p" : "u", make_class,
             (int)(private ? ICAL_CLASS_PRIVATE : ICAL_CLASS_PUBLIC));
    add_url(b, cfg, &sev->ev);
}

static const char CATEGORIES[] = "CATEGORIES", KIND[] = "X-AGENDAD-KIND";

static void add_category(ag_feed_buf *b, const ag_config *cfg, const char *id, const char *lang)
{
    if (ag_feed_memo_put(b, CATEGORIES, id))
        return;
    size_t from = b->len;
    const ag_category *cat = ag_config_category(cfg, id);
    const char *used;
    const char *name = cat ? ag_feed_text(&cat->name, lang, &used) : NULL;
    /* libical 3.0.16 writes CATEGORIES values unescaped, ',' separating. */
    char *plain = ag_feed_plain_text(name ? name : id);
    if (plain && *plain)
        ag_feed_buf_prop(b, icalproperty_new_categories(plain));
    free(plain);
    ag_feed_memo_add(b, CATEGORIES, id, from);
}

static void add_kind(ag_feed_buf *b, const char *kind)
{
    if (ag_feed_memo_put(b, KIND, kind))
        return;
    size_t from = b->len;
    ag_feed_buf_prop(b, ag_feed_x(KIND, kind));
    ag_feed_memo_add(b, KIND, kind, from);
}

/* The RRULE as published: UNTIL must be UTC beside a DTSTART with TZID
 * (RFC 5545 3.3.10) and a date beside an all-day DTSTART. `shift` moves it
 * with a slot that starts `shift` wall-clock seconds after its event. */
static void add_rrule(ag_feed_buf *b, const ag_event *ev, const ag_series *r, bool as_date,
                      int64_t shift)
{
    struct icalrecurrencetype rule = r->rule;
    if (r->has_until && !as_date) {
        icaltimetype u = r->until_local;
        icaltime_adjust(&u, 0, 0, 0, (int)shift);
        ag_datetime local = ag_tz_model_local(u);
        bool ok;
        rule.until = utc_time(ag_tz_to_utc(&local, ev->tzid, &ok));
    }
    ag_feed_buf_prop(b, icalproperty_new_rrule(rule));
}

static void add_exdates(ag_feed_buf *b, const ag_event *ev, bool as_date, int64_t shift)
{
    for (size_t i = 0; i < ev->n_exdates; i++) {
        icaltimetype t = ag_tz_ical_local(&ev->exdates[i]);
        if (!as_date) {
            t = ag_feed_midnight(t);
            icaltime_adjust(&t, 0, 0, 0, (int)shift);
        }
        add_local(b, icalproperty_new_exdate, t, ev->tzid);
    }
}

static void add_event_times(ag_feed_buf *b, const ag_event *ev, const ag_series *r)
{
    if (ev->start.is_date) {
        icaltimetype end = ag_tz_ical_local(&ev->end);
        icaltime_adjust(&end, 1, 0, 0, 0); /* the model's last day is inclusive */
        ag_feed_buf_prop(b, icalproperty_new_dtstart(ag_tz_ical_local(&ev->start)));
        ag_feed_buf_prop(b, icalproperty_new_dtend(end));
    } else if (r) {
        /* A series keeps local time so that each instance follows the zone's
         * rules; the VTIMEZONE tells clients what those are. */
        add_local(b, icalproperty_new_dtstart, ag_tz_ical_local(&ev->start), ev->tzid);
        add_local(b, icalproperty_new_dtend, ag_tz_ical_local(&ev->end), ev->tzid);
    } else {
        add_utc(b, "DTSTART", &ev->start, ev->tzid);
        add_utc(b, "DTEND", &ev->end, ev->tzid);
    }
    if (r) {
        add_rrule(b, ev, r, ev->start.is_date, 0);
        add_exdates(b, ev, ev->start.is_date, 0);
    }
}

static void add_alarms(ag_feed_buf *b, const ag_event *ev, const ag_feed_query *q)
{
    const char *used;
    const char *title = ag_feed_text(&ev->title, q->lang, &used);
    for (size_t i = 0; i < q->n_alarms && i < AG_FEED_MAX_ALARMS; i++) {
        /* libical durations are ints; ag_feed_parse_alarms keeps within. */
        if (q->alarms[i] <= 0 || q->alarms[i] > INT_MAX)
            continue;
        icalcomponent *a = icalcomponent_new(ICAL_VALARM_COMPONENT);
        icalcomponent_add_property(a, icalproperty_new_action(ICAL_ACTION_DISPLAY));
        struct icaltriggertype tr;
        memset(&tr, 0, sizeof tr);
        tr.time = icaltime_null_time();
        tr.duration = icaldurationtype_from_int(-(int)q->alarms[i]);
        icalcomponent_add_property(a, icalproperty_new_trigger(tr));
        icalcomponent_add_property(a, icalproperty_new_description(title ? title : ev->uid));
        ag_feed_buf_component(b, a);
    }
}

static const char *agenda_heading(const char *lang)
{
    return strcmp(lang_code(lang), "fr") == 0 ? "Programme :" : "جدول الأعمال:";
}

/* "%02d" without stdio: a slot line is written for every slot of every
 * event, and fprintf cost more than the rest of the line. */
static void put_2(ag_feed_buf *t, int v)
{
    char d[12];
    if (v < 0 || v > 99) {
        ag_feed_buf_put(t, d, (size_t)snprintf(d, sizeof d, "%02d", v));
        return;
    }
    d[0] = (char)('0' + v / 10);
    d[1] = (char)('0' + v % 10);
    ag_feed_buf_put(t, d, 2);
}

static void write_slot_line(ag_feed_buf *t, const ag_event *ev, const ag_slot *s, const char *lang)
{
    const char *used;
    const char *title = ag_feed_text(&s->title, lang, &used);
    if (!s->timed) {
        ag_feed_buf_puts(t, "\n• ");
        ag_feed_buf_puts(t, title ? title : "");
        return;
    }
    ag_feed_buf_put(t, "\n", 1);
    if (s->start.year != ev->start.year || s->start.month != ev->start.month ||
        s->start.day != ev->start.day) {
        char d[48];
        int n =
            snprintf(d, sizeof d, "%04d-%02d-%02d ", s->start.year, s->start.month, s->start.day);
        ag_feed_buf_put(t, d, (size_t)n);
    }
    put_2(t, s->start.hour);
    ag_feed_buf_put(t, ":", 1);
    put_2(t, s->start.minute);
    ag_feed_buf_puts(t, "–");
    put_2(t, s->end.hour);
    ag_feed_buf_put(t, ":", 1);
    put_2(t, s->end.minute);
    ag_feed_buf_put(t, " ", 1);
    ag_feed_buf_puts(t, title ? title : "");
}

/* DESCRIPTION from text, when there is any. */
static void add_description_text(ag_feed_buf *b, ag_feed_buf *text, const char *used)
{
    b->failed |= text->failed;
    if (!text->failed && text->len > 0) {
        icalproperty *p = icalproperty_new_description(text->data);
        icalproperty_add_parameter(p, icalparameter_new_language(used));
        ag_feed_buf_prop(b, p);
    }
    free(text->data);
}

/* An online meeting's link opens the description: most apps show neither
 * URL nor CONFERENCE, but make a link of a URL in the text. */
static void put_online_line(ag_feed_buf *text, const ag_event *ev, bool more)
{
    if (!ev->online_url)
        return;
    ag_feed_buf_puts(text, ev->online_url);
    if (more)
        ag_feed_buf_puts(text, "\n\n");
}

/* The event's description followed by its agenda, times in the event's
 * zone, untimed items in their place; an online meeting's link first. */
static void add_description(ag_feed_buf *b, const ag_event *ev, const char *lang)
{
    const char *used = lang_code(lang);
    const char *desc = ag_feed_text(&ev->description, lang, &used);
    if (!desc)
        used = lang_code(lang);
    ag_feed_buf text;
    ag_feed_buf_small(&text);
    put_online_line(&text, ev, desc || ev->n_slots > 0);
    if (desc)
        ag_feed_buf_puts(&text, desc);
    if (ev->n_slots > 0) {
        ag_feed_buf_puts(&text, desc ? "\n\n" : "");
        ag_feed_buf_puts(&text, agenda_heading(lang));
        for (size_t i = 0; i < ev->n_slots; i++)
            write_slot_line(&text, ev, &ev->slots[i], lang);
    }
    add_description_text(b, &text, used);
}

/* An event from a member's own calendar says whose it is: a machine-readable
 * mark, and CONTACT with the member's name for people. */
static void add_imported_mark(ag_feed_buf *b, const ag_config *cfg, const char *member,
                              const char *lang)
{
    ag_feed_buf_prop(b, ag_feed_x("X-AGENDAD-IMPORTED-FROM", member));
    const ag_member *m = ag_config_member(cfg, member);
    if (m)
        add_text(b, "CONTACT", icalproperty_new_contact, &m->name, lang);
}

/* A parameter value as libical writes it: within double quotes when it
 * holds ; : or , (RFC 5545 3.2), so that the quote itself, which RFC 5545
 * leaves no way to write, and control characters become spaces. malloc'd. */
static char *param_text(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        if (*p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return out;
}

/* Each document as ATTACH: a file at the daemon's own URL with its type
 * (FMTTYPE), a link as written; its title (LABEL, RFC 7986's parameter
 * for a label people read) and kind (X-AGENDAD-KIND), for pages that list
 * them. */
static void add_documents(ag_feed_buf *b, const ag_config *cfg, const ag_event *ev,
                          const char *lang)
{
    const char *base = cfg->settings.base_url ? cfg->settings.base_url : "";
    for (size_t i = 0; i < ev->n_documents && !b->failed; i++) {
        const ag_document *d = &ev->documents[i];
        char *url = d->file ? ag_document_url(base, ev->uid, d->file) : strdup(d->url);
        const char *used;
        const char *title = ag_feed_text(&d->title, lang, &used);
        char *label = title ? param_text(title) : NULL;
        icalattach *a = url ? icalattach_new_from_url(url) : NULL;
        icalproperty *p = a ? icalproperty_new_attach(a) : NULL;
        if (a)
            icalattach_unref(a);
        if (p && d->file)
            icalproperty_add_parameter(
                p, icalparameter_new_fmttype(ag_document_content_type(d->file)));
        if (p && label)
            icalproperty_add_parameter(p, icalparameter_new_label(label));
        if (p) {
            icalparameter *k = icalparameter_new_x(ag_document_kind_names[d->kind]);
            icalparameter_set_xname(k, "X-AGENDAD-KIND");
            icalproperty_add_parameter(p, k);
        }
        b->failed |= (title && !label) || !url;
        ag_feed_buf_prop(b, p);
        free(label);
        free(url);
    }
}

/* The lines an event's VEVENT and its items' share: the event's version
 * (which an item that has none of its own takes), then the common ones. */
typedef struct {
    const ag_stored_event *sev;
    icalproperty_status status;
    ag_feed_buf version, common;
} event_lines;

static void write_event(ag_feed_buf *b, const ag_config *cfg, const ag_stored_event *sev,
                        const ag_feed_query *q, const ag_series *r, const event_lines *lines)
{
    const ag_event *ev = &sev->ev;
    ag_feed_buf_puts(b, "BEGIN:VEVENT\r\n");
    add_uid(b, ev->uid);
    ag_feed_buf_put(b, lines->version.data, lines->version.len);
    ag_feed_buf_put(b, lines->common.data, lines->common.len);
    add_event_times(b, ev, r);
    add_summary(b, &ev->title, q, cancelled_shown(sev, q));
    add_description(b, ev, q->lang);
    add_text(b, "LOCATION", icalproperty_new_location, &ev->location, q->lang);
    for (size_t i = 0; i < ev->n_categories; i++)
        add_category(b, cfg, ev->categories[i], q->lang);
    if (ev->host)
        ag_feed_buf_prop(b, ag_feed_x("X-AGENDAD-HOST", ev->host));
    if (sev->imported_from)
        add_imported_mark(b, cfg, sev->imported_from, q->lang);
    add_documents(b, cfg, ev, q->lang);
    if (status_of(sev) != ICAL_STATUS_CANCELLED)
        add_alarms(b, ev, q);
    if (ag_feed_shows_private(cfg, sev, q)) {
        const char *used;
        ag_feed_add_private(b, sev, ag_feed_text(&ev->title, q->lang, &used),
                            status_of(sev) != ICAL_STATUS_CANCELLED);
    }
    ag_feed_buf_puts(b, "END:VEVENT\r\n");
}

static bool same_day(const ag_datetime *a, const ag_datetime *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day;
}

static void add_slot_times(ag_feed_buf *b, const ag_event *ev, const ag_slot *s, const ag_series *r)
{
    if (!r) {
        add_utc(b, "DTSTART", &s->start, ev->tzid);
        add_utc(b, "DTEND", &s->end, ev->tzid);
        return;
    }
    /* The slot's series is its event's, moved by the slot's wall-clock
     * offset from the event's start. */
    int64_t shift = ag_feed_wall_diff(&ev->start, &s->start);
    add_local(b, icalproperty_new_dtstart, ag_tz_ical_local(&s->start), ev->tzid);
    add_local(b, icalproperty_new_dtend, ag_tz_ical_local(&s->end), ev->tzid);
    add_rrule(b, ev, r, false, shift);
    add_exdates(b, ev, false, shift);
}

/* A slot's DESCRIPTION: the event's title, after the online meeting's
 * link when there is one. */
static void add_slot_description(ag_feed_buf *b, const ag_event *ev, const ag_feed_query *q)
{
    if (!ev->online_url) {
        add_text(b, "DESCRIPTION", icalproperty_new_description, &ev->title, q->lang);
        return;
    }
    const char *used;
    const char *title = ag_feed_text(&ev->title, q->lang, &used);
    ag_feed_buf text;
    ag_feed_buf_small(&text);
    put_online_line(&text, ev, title && *title);
    if (title)
        ag_feed_buf_puts(&text, title);
    add_description_text(b, &text, used);
}

/* What every slot of ev says alike: context (the event's title and place)
 * and the link to its parent. */
static void add_slot_shared(ag_feed_buf *b, const ag_event *ev, const ag_feed_query *q)
{
    add_slot_description(b, ev, q);
    add_text(b, "LOCATION", icalproperty_new_location, &ev->location, q->lang);
    icalproperty *rel = icalproperty_new_relatedto(ev->uid);
    icalproperty_add_parameter(rel, icalparameter_new_reltype(ICAL_RELTYPE_PARENT));
    ag_feed_buf_prop(b, rel);
}

/* "<uid>/slot-<n>" into buf without stdio (one per slot); false when it
 * does not fit. */
static bool slot_uid(char *buf, size_t size, const char *uid, size_t n)
{
    char digits[24];
    size_t nd = 0;
    do
        digits[nd++] = (char)('0' + n % 10);
    while ((n /= 10) > 0);
    size_t len = strlen(uid);
    if (len + sizeof "/slot-" + nd > size)
        return false;
    memcpy(buf, uid, len);
    memcpy(buf + len, "/slot-", sizeof "/slot-" - 1);
    len += sizeof "/slot-" - 1;
    while (nd > 0)
        buf[len++] = digits[--nd];
    buf[len] = '\0';
    return true;
}

static void write_long_uid(ag_feed_buf *b, const char *event_uid, size_t index)
{
    char *uid = ag_feed_strdup_printf("%s/slot-%zu", event_uid, index + 1);
    if (!uid) {
        b->failed = true;
        return;
    }
    add_uid(b, uid);
    free(uid);
}

/* An item's UID and version: its own when the store keeps one, else its
 * position in the agenda and its event's version. The event's bytes are
 * reused when they are the item's too, as they are until either changes.
 * Returns the item's status as the store has it. */
static icalproperty_status write_slot_head(ag_feed_buf *b, const event_lines *lines, size_t index,
                                           const ag_slot_state *state, const ag_feed_query *q)
{
    const ag_stored_event *sev = lines->sev;
    if (!state) {
        char uid[256];
        if (slot_uid(uid, sizeof uid, sev->ev.uid, index + 1))
            add_uid(b, uid);
        else
            write_long_uid(b, sev->ev.uid, index);
        ag_feed_buf_put(b, lines->version.data, lines->version.len);
        return lines->status;
    }
    add_uid(b, state->uid);
    icalproperty_status st = state->removed_at != 0 ? ICAL_STATUS_CANCELLED : lines->status;
    if (state->sequence == sev->sequence && state->created == sev->created &&
        state->last_modified == sev->last_modified && st == lines->status)
        ag_feed_buf_put(b, lines->version.data, lines->version.len);
    else
        add_version(b, state->created, state->last_modified, state->sequence, st,
                    q->cancelled_visible && st == ICAL_STATUS_CANCELLED);
    return st;
}

static void write_slot(ag_feed_buf *b, const ag_config *cfg, const ag_event *ev, const ag_slot *s,
                       size_t index, const ag_slot_state *state, const ag_feed_query *q,
                       const ag_series *r, const event_lines *lines, const ag_feed_buf *shared)
{
    ag_feed_buf_puts(b, "BEGIN:VEVENT\r\n");
    icalproperty_status st = write_slot_head(b, lines, index, state, q);
    ag_feed_buf_put(b, lines->common.data, lines->common.len);
    add_slot_times(b, ev, s, r);
    add_summary(b, &s->title, q, q->cancelled_visible && st == ICAL_STATUS_CANCELLED);
    ag_feed_buf_put(b, shared->data, shared->len);
    if (s->axis)
        add_category(b, cfg, s->axis, q->lang);
    if (s->kind)
        add_kind(b, s->kind);
    ag_feed_buf_puts(b, "END:VEVENT\r\n");
}

/* A series' slot is published only when it falls on the series' first day:
 * an RRULE like BYDAY=1TU would put a next-day slot on the wrong days. */
static bool slot_published(const ag_event *ev, const ag_slot *s)
{
    return s->timed && (!ev->rrule || same_day(&ev->start, &s->start));
}

bool ag_feed_removed_slots_shown(const ag_stored_event *sev, int64_t now)
{
    if (sev->n_removed_slots == 0)
        return false;
    ag_feed_span span;
    char *err = NULL;
    int rc = ag_feed_event_span(&sev->ev, 0, 0, &span, &err);
    free(err);
    return rc == 0 && span.last_end > now;
}

bool ag_feed_uses_tzid(const ag_stored_event *sev, const ag_feed_query *q, bool removed_slots)
{
    const ag_event *ev = &sev->ev;
    if (!ev->rrule)
        return false;
    if (!ev->start.is_date)
        return true;
    for (size_t i = 0; q->slots && i < ev->n_slots; i++)
        if (slot_published(ev, &ev->slots[i]))
            return true;
    for (size_t i = 0; q->slots && removed_slots && i < sev->n_removed_slots; i++)
        if (slot_published(ev, &sev->removed_slots[i].slot))
            return true;
    return false;
}

/* The agenda's items in its order, then, when shown, those it no longer
 * has (STATUS:CANCELLED). */
static void write_slots(ag_feed_buf *b, const ag_config *cfg, const ag_stored_event *sev,
                        const ag_feed_query *q, const ag_series *r, const event_lines *lines,
                        bool removed_slots)
{
    const ag_event *ev = &sev->ev;
    ag_feed_buf shared = {0};
    size_t n = ev->n_slots + (removed_slots ? sev->n_removed_slots : 0);
    for (size_t i = 0; i < n; i++) {
        bool live = i < ev->n_slots;
        const ag_slot *s = live ? &ev->slots[i] : &sev->removed_slots[i - ev->n_slots].slot;
        const ag_slot_state *state = !live              ? &sev->removed_slots[i - ev->n_slots].state
                                     : sev->slot_states ? &sev->slot_states[i]
                                                        : NULL;
        if (!slot_published(ev, s))
            continue;
        if (!shared.data && !shared.failed) {
            ag_feed_buf_small(&shared);
            add_slot_shared(&shared, ev, q);
        }
        if (shared.failed)
            break;
        write_slot(b, cfg, ev, s, i, state, q, r, lines, &shared);
    }
    b->failed |= shared.failed;
    free(shared.data);
}

int ag_feed_write_event(ag_feed_buf *b, const ag_config *cfg, const ag_stored_event *sev,
                        const ag_feed_query *q, bool removed_slots, char **err)
{
    const ag_event *ev = &sev->ev;
    ag_series recur;
    const ag_series *r = NULL;
    if (ev->rrule) {
        int rc = ag_series_parse(ev, &recur);
        if (rc < 0) {
            *err = ag_feed_strdup_printf("event %s: bad RRULE \"%s\"", ev->uid, ev->rrule);
            return rc;
        }
        r = &recur;
    }
    /* Serialized once, written into the event and each of its slots. */
    event_lines lines = {.sev = sev, .status = status_of(sev)};
    ag_feed_buf_small(&lines.version);
    ag_feed_buf_small(&lines.common);
    lines.version.memo = lines.common.memo = b->memo;
    add_version(&lines.version, sev->created, sev->last_modified, sev->sequence, lines.status,
                cancelled_shown(sev, q));
    add_common(&lines.common, cfg, sev);
    bool failed = lines.version.failed || lines.common.failed;
    if (!failed) {
        write_event(b, cfg, sev, q, r, &lines);
        if (q->slots)
            write_slots(b, cfg, sev, q, r, &lines, removed_slots);
    }
    b->failed |= failed;
    free(lines.version.data);
    free(lines.common.data);
    if (b->failed) {
        *err = ag_feed_strdup_printf("out of memory");
        return AG_ENOMEM;
    }
    return 0;
}
