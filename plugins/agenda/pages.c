#include "pages.h"

#include "agenda_model.h"
#include "series_words.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY 86400
/* An event page lists this many of a series' next dates. */
#define UPCOMING_DATES 5

/* Slot kinds in both languages. The kinds are the core's closed list
 * (config_slots.c); the words are the agenda's vocabulary, like the
 * templates' own texts. */
static const struct {
    const char *kind, *ar, *fr;
} kind_names[] = {
    {"session", "جلسة", "Séance"},
    {"workshop", "ورشة", "Atelier"},
    {"break", "استراحة", "Pause"},
    {"meal", "وجبة", "Repas"},
    {"reception", "استقبال", "Accueil"},
    {"opening", "افتتاح", "Ouverture"},
    {"closing", "اختتام", "Clôture"},
    {"talk", "مداخلة", "Intervention"},
    {"presentation", "عرض", "Présentation"},
    {"training", "تكوين", "Formation"},
    {"other", "", ""},
};

static const char *kind_name(const char *kind, const char *lang)
{
    for (size_t i = 0; kind && i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(kind_names[i].kind, kind) == 0)
            return strcmp(lang, "fr") == 0 ? kind_names[i].fr : kind_names[i].ar;
    return NULL;
}

/* Breaks, meals and the reception pause the programme: styled apart. */
static bool is_pause(const char *kind)
{
    return kind && (strcmp(kind, "break") == 0 || strcmp(kind, "meal") == 0 ||
                    strcmp(kind, "reception") == 0);
}

bool pages_public(const pages_ctx *c, const agendad_event *ev)
{
    return c->h->event_visibility(c->self, ev) == AGENDAD_VIS_PUBLIC;
}

/* ------------------------------------------------------------- common */

/* The wall-clock time of instant t in tz, per the host's (system) tzdata;
 * an unknown zone shows UTC rather than nothing. */
static int64_t wall(const pages_ctx *c, const char *tz, int64_t t)
{
    int32_t offset = 0;
    if (c->h->utc_offset(c->self, tz, t, &offset) != 0)
        offset = 0;
    return t + offset;
}

static int32_t local_day(const pages_ctx *c, const char *tz, int64_t t)
{
    return datefmt_day(c->df, wall(c, tz, t));
}

static void put_date(const pages_ctx *c, tv *m, const char *name, const char *lang,
                     const char *tzid, const char *skeleton, int64_t t)
{
    char buf[256];
    if (datefmt_format(c->df, lang, NULL, skeleton, wall(c, tzid, t), buf, sizeof buf) == 0)
        tv_str(m, name, buf);
}

static void put_hijri(const pages_ctx *c, tv *m, const char *name, const char *lang,
                      const char *tzid, int64_t t)
{
    char buf[256];
    if (c->hijri &&
        datefmt_format(c->df, lang, c->hijri, "yMMMMd",
                       wall(c, tzid, t) + (int64_t)c->hijri_adjust * DAY, buf, sizeof buf) == 0)
        tv_str(m, name, buf);
}

/* "http://host" -> "webcal://host": calendar apps subscribe to webcal
 * links; the https (or http) one is for those that take a URL. */
static const char *host_part(const char *base)
{
    const char *rest = strstr(base, "://");
    return rest ? rest + 3 : base;
}

static void put_feed(const pages_ctx *c, tv *m, const char *id, const char *path, const char *lang)
{
    tv_str(m, "feed_id", id);
    const char *base = c->h->setting(c->self, "base_url");
    base = base ? base : "";
    tv_strf(m, "https", "%s%s?lang=%s", base, path, lang);
    tv_strf(m, "webcal", "webcal://%s%s?lang=%s", host_part(base), path, lang);
    /* Google Calendar drops cancelled events from subscribed calendars:
     * this variant keeps them, marked (the core's cancelled=visible). */
    tv_strf(m, "google", "%s%s?lang=%s&cancelled=visible", base, path, lang);
}

static void put_common(const pages_ctx *c, tv *root, const char *lang)
{
    bool fr = strcmp(lang, "fr") == 0;
    tv_str(root, "lang", lang);
    tv_str(root, "dir", fr ? "ltr" : "rtl");
    tv_bool(root, "ar", !fr);
    tv_bool(root, "fr", fr);
    tv_str(root, "other_lang", fr ? "ar" : "fr");
    tv_str(root, "network_name", c->h->network_text(c->self, "name", lang));
    tv_str(root, "network_description", c->h->network_text(c->self, "description", lang));
    tv_bool(root, "hijri_on", c->hijri != NULL);
}

static void put_categories(const pages_ctx *c, tv *m, const agendad_event *ev, const char *lang)
{
    const agendad_host *h = c->h;
    tv_bool(m, "has_categories", h->event_category_count(c->self, ev) > 0);
    for (size_t i = 0; i < h->event_category_count(c->self, ev); i++) {
        const char *id = h->event_category(c->self, ev, i);
        tv *cat = tv_add(m, "categories");
        tv_str(cat, "id", id);
        tv_str(cat, "name", h->category_name(c->self, id, lang));
        tv_bool(cat, "axis", h->category_is_axis(c->self, id));
    }
}

static void put_status(const pages_ctx *c, tv *m, const agendad_event *ev)
{
    agendad_status st = c->h->event_status(c->self, ev);
    tv_bool(m, "cancelled", st == AGENDAD_STATUS_CANCELLED);
    tv_bool(m, "tentative", st == AGENDAD_STATUS_TENTATIVE);
}

/* One stretch of time: a day (or a range of days), the hours when timed,
 * the Hijri date when enabled. Optional values are set false when absent,
 * so that a list item never shows its page's. */
static void put_span(const pages_ctx *c, tv *m, const char *lang, const char *tz, bool all_day,
                     int64_t start, int64_t end)
{
    int64_t last = all_day ? end - 1 : end; /* an all-day end is the next midnight */
    put_date(c, m, "date", lang, tz, "yMMMMEEEEd", start);
    tv_bool(m, "hijri", false);
    put_hijri(c, m, "hijri", lang, tz, start);
    tv_bool(m, "end_date", false);
    tv_bool(m, "end_hijri", false);
    if (local_day(c, tz, start) != local_day(c, tz, last)) {
        put_date(c, m, "end_date", lang, tz, "yMMMMEEEEd", last);
        put_hijri(c, m, "end_hijri", lang, tz, last);
    }
    tv_bool(m, "all_day", all_day);
    if (!all_day) {
        put_date(c, m, "start_time", lang, tz, "HHmm", start);
        put_date(c, m, "end_time", lang, tz, "HHmm", end);
    }
}

/* ------------------------------------------------------------- series */

typedef struct {
    const pages_ctx *c;
    const char *tzid;
} zone;

static int32_t zone_offset(int64_t t, void *data)
{
    const zone *z = data;
    int32_t offset = 0;
    if (z->c->h->utc_offset(z->c->self, z->tzid, t, &offset) != 0)
        offset = 0; /* as wall(): UTC rather than nothing */
    return offset;
}

/* The dates of ev when it is a series, read from the event as the feeds
 * publish it (event_ical) and walked here: the ABI gives no other way to
 * them. False for a one-off event, or when the host cannot hand the event
 * out (the command line's host has no event_ical): the page then shows
 * the series by its first date and its end, as before. */
static bool load_series(const pages_ctx *c, const agendad_event *ev, series *s)
{
    const agendad_host *h = c->h;
    agendad_when w, span;
    const char *text;
    size_t len;
    memset(s, 0, sizeof *s);
    if (h->event_when(c->self, ev, &w) != 0 || h->event_span(c->self, ev, &span) != 0 ||
        (span.start == w.start && span.end == w.end))
        return false;
    if (!AGENDAD_HOST_HAS(h, event_ical) || !h->event_ical ||
        h->event_ical(c->self, ev, "fr", &text, &len) != 0)
        return false;
    zone z = {c, w.tzid};
    if (series_parse(s, text, len, zone_offset, &z) != 0 || s->n == 0) {
        series_free(s);
        return false;
    }
    return true;
}

/* The date a series is shown at: the next one not over at now, else its
 * last. */
static size_t shown_date(const series *s, int64_t now)
{
    size_t next = series_next(s, now);
    return next < s->n ? next : s->n - 1;
}

/* When the event is shown: a one-off event's dates, or the given date of a
 * series (s, when not NULL) with its rule in words. */
static void put_when(const pages_ctx *c, tv *m, const agendad_event *ev, const char *lang,
                     const series *s, size_t shown)
{
    agendad_when w, span;
    if (c->h->event_when(c->self, ev, &w) != 0)
        return;
    const char *tz = w.tzid;
    if (s) {
        w.start = s->dates[shown].start;
        w.end = s->dates[shown].end;
    }
    put_span(c, m, lang, tz, w.all_day, w.start, w.end);
    tv_str(m, "timezone", tz);
    tv_strf(m, "start_iso", "%lld", (long long)w.start);
    if (s) {
        char words[512];
        tv_bool(m, "recurring", true);
        put_date(c, m, "series_end", lang, tz, "yMMMMd", s->dates[s->n - 1].end - 1);
        if (series_words(s, lang, c->df, words, sizeof words) == 0)
            tv_str(m, "rule", words);
    } else if (c->h->event_span(c->self, ev, &span) == 0 && span.end != w.end) {
        tv_bool(m, "recurring", true);
        put_date(c, m, "series_end", lang, tz, "yMMMMd", span.end - 1);
    }
}

static void put_summary(const pages_ctx *c, tv *m, const agendad_event *ev, const char *lang,
                        const series *s, size_t shown)
{
    const agendad_host *h = c->h;
    const char *uid = h->event_uid(c->self, ev);
    tv_str(m, "uid", uid);
    tv_strf(m, "url", "/events/%s?lang=%s", uid, lang);
    tv_str(m, "title", h->event_text(c->self, ev, AGENDAD_TEXT_TITLE, lang));
    tv_str(m, "location", h->event_text(c->self, ev, AGENDAD_TEXT_LOCATION, lang));
    const agendad_member *host = h->member_find(c->self, h->event_host_member(c->self, ev));
    if (host)
        tv_str(m, "host", h->member_name(c->self, host, lang));
    put_status(c, m, ev);
    put_when(c, m, ev, lang, s, shown);
    put_categories(c, m, ev, lang);
}

/* -------------------------------------------------------------- index */

typedef struct {
    const agendad_event *ev;
    int64_t start, end; /* the date shown: a series' next one, else its last */
    int64_t over;       /* when the event's last date ends */
    bool is_series;
    series s;
    size_t shown;
} listed;

typedef struct {
    const pages_ctx *c;
    int64_t now;
    listed *items;
    size_t n, cap;
    bool failed;
} collect;

static int collect_one(const agendad_event *ev, void *data)
{
    collect *col = data;
    agendad_when span;
    if (!pages_public(col->c, ev) || col->c->h->event_span(col->c->self, ev, &span) != 0)
        return 0;
    if (col->n == col->cap) {
        size_t cap = col->cap ? col->cap * 2 : 16;
        listed *grown = realloc(col->items, cap * sizeof *grown);
        if (!grown) {
            col->failed = true;
            return 1;
        }
        col->items = grown;
        col->cap = cap;
    }
    listed *it = &col->items[col->n++];
    *it = (listed){.ev = ev, .start = span.start, .end = span.end, .over = span.end};
    it->is_series = load_series(col->c, ev, &it->s);
    if (it->is_series) {
        it->shown = shown_date(&it->s, col->now);
        it->start = it->s.dates[it->shown].start;
        it->end = it->s.dates[it->shown].end;
        it->over = it->s.dates[it->s.n - 1].end;
    }
    return 0;
}

static int by_start(const void *a, const void *b)
{
    const listed *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static int by_start_desc(const void *a, const void *b)
{
    return by_start(b, a);
}

/* Events still to come (or going on), each at the date it is shown at; or
 * those that are over, newest first. A series is listed once, at its next
 * date, and among past events at its last once every date is over. The
 * list changes when the earliest shown date not yet over ends. */
static void put_events(const pages_ctx *c, tv *root, pages_request *r)
{
    collect col = {.c = c, .now = r->now};
    c->h->event_foreach(c->self, collect_one, &col);
    if (col.failed)
        tv_fail(root); /* a page missing events must not be served */
    else
        qsort(col.items, col.n, sizeof *col.items, r->past ? by_start_desc : by_start);
    bool any = false;
    for (size_t i = 0; i < col.n; i++) {
        listed *it = &col.items[i];
        if (it->end > r->now && it->end < r->expires)
            r->expires = it->end;
        if (!col.failed && (it->over <= r->now) == r->past) {
            put_summary(c, tv_add(root, "events"), it->ev, r->lang, it->is_series ? &it->s : NULL,
                        it->shown);
            any = true;
        }
        if (it->is_series)
            series_free(&it->s);
    }
    tv_bool(root, "has_events", any);
    free(col.items);
}

static void put_subscriptions(const pages_ctx *c, tv *root, const char *lang)
{
    const agendad_host *h = c->h;
    char path[512];
    put_feed(c, tv_add(root, "network_feed"), "network", "/feeds/network.ics", lang);
    for (size_t i = 0; i < h->category_count(c->self); i++) {
        const char *id = h->category_id(c->self, i);
        tv *cat = tv_add(root, h->category_is_axis(c->self, id) ? "axes" : "types");
        tv_str(cat, "id", id);
        tv_str(cat, "name", h->category_name(c->self, id, lang));
        snprintf(path, sizeof path, "/feeds/categories/%s.ics", id);
        put_feed(c, cat, id, path, lang);
    }
    for (size_t i = 0; i < h->member_count(c->self); i++) {
        const agendad_member *m = h->member_at(c->self, i);
        const char *id = h->member_id(c->self, m);
        tv *mv = tv_add(root, "members");
        tv_str(mv, "id", id);
        tv_str(mv, "name", h->member_name(c->self, m, lang));
        agendad_member_kind k = h->member_kind(c->self, m);
        tv_bool(mv, "region", k == AGENDAD_MEMBER_REGION);
        tv_bool(mv, "province", k == AGENDAD_MEMBER_PROVINCE);
        tv_bool(mv, "commune", k == AGENDAD_MEMBER_COMMUNE);
        snprintf(path, sizeof path, "/feeds/members/%s.ics", id);
        put_feed(c, mv, id, path, lang);
    }
}

tv *pages_index_for(const pages_ctx *c, pages_request *r)
{
    const char *lang = r->lang;
    bool past = r->past;
    r->expires = INT64_MAX;
    tv *root = tv_new();
    if (!root)
        return NULL;
    put_common(c, root, lang);
    tv_bool(root, "past", past);
    tv_strf(root, "switch_url", "/?lang=%s%s", strcmp(lang, "fr") == 0 ? "ar" : "fr",
            past ? "&past=1" : "");
    tv_strf(root, "past_url", "/?lang=%s&past=1", lang);
    tv_strf(root, "upcoming_url", "/?lang=%s", lang);
    put_events(c, root, r);
    put_subscriptions(c, root, lang);
    return root;
}

tv *pages_index(const pages_ctx *c, const char *lang, bool past, int64_t now)
{
    pages_request r = {.lang = lang, .now = now, .past = past};
    return pages_index_for(c, &r);
}

/* -------------------------------------------------------------- event */

static void put_row(const pages_ctx *c, tv *row, const agendad_event *ev, size_t i,
                    const agendad_slot *s, const char *lang, const char *tz)
{
    const agendad_host *h = c->h;
    tv_str(row, "title", h->event_slot_title(c->self, ev, i, lang));
    tv_str(row, "kind", s->kind);
    tv_str(row, "kind_name", kind_name(s->kind, lang));
    tv_bool(row, "pause", is_pause(s->kind));
    tv_bool(row, "timed", s->timed);
    if (s->timed) {
        put_date(c, row, "start", lang, tz, "HHmm", s->start);
        put_date(c, row, "end", lang, tz, "HHmm", s->end);
    }
    if (s->axis) {
        tv_str(row, "axis", s->axis);
        tv_str(row, "axis_name", h->category_name(c->self, s->axis, lang));
    }
}

static void put_agenda_rows(const pages_ctx *c, tv *root, const agendad_event *ev, const char *lang,
                            const char *tz, int64_t first, agendad_slot *slots, size_t n)
{
    agenda_item *items = calloc(n, sizeof *items);
    agenda_row *rows = calloc(n, sizeof *rows);
    if (!items || !rows) {
        free(items);
        free(rows);
        return;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = (agenda_item){.timed = slots[i].timed,
                                 .start = slots[i].start,
                                 .day = slots[i].timed ? local_day(c, tz, slots[i].start) : 0};
    agenda_order(items, n, local_day(c, tz, first), rows);
    tv_bool(root, "multi_day", agenda_day_count(rows, n) > 1);
    tv *day = NULL;
    for (size_t r = 0; r < n; r++) {
        size_t i = rows[r].item;
        if (rows[r].new_day) {
            day = tv_add(root, "days");
            int64_t at = slots[i].timed ? slots[i].start : first;
            put_date(c, day, "day", lang, tz, "yMMMMEEEEd", at);
            put_hijri(c, day, "day_hijri", lang, tz, at);
        }
        put_row(c, tv_add(day, "rows"), ev, i, &slots[i], lang, tz);
    }
    free(items);
    free(rows);
}

static void put_agenda(const pages_ctx *c, tv *root, const agendad_event *ev, const char *lang)
{
    const agendad_host *h = c->h;
    agendad_when w;
    size_t n = h->event_slot_count(c->self, ev);
    if (n == 0 || h->event_when(c->self, ev, &w) != 0)
        return;
    agendad_slot *slots = calloc(n, sizeof *slots);
    if (!slots)
        return;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += h->event_slot(c->self, ev, i, &slots[i]) == 0;
    if (ok == n) {
        tv_bool(root, "has_agenda", true);
        put_agenda_rows(c, root, ev, lang, w.tzid, w.start, slots, n);
    }
    free(slots);
}

/* The CONFERENCE of the first VEVENT of an iCalendar text (len bytes),
 * when it is an http(s) URL (the only links the page makes): malloc'd, or
 * NULL. */
static char *conference_of(const char *text, size_t len)
{
    char *copy = strndup(text, len);
    icalcomponent *root = copy ? icalparser_parse_string(copy) : NULL;
    free(copy);
    icalcomponent *ev = root && icalcomponent_isa(root) != ICAL_VEVENT_COMPONENT
                            ? icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT)
                            : root;
    icalproperty *p = ev ? icalcomponent_get_first_property(ev, ICAL_CONFERENCE_PROPERTY) : NULL;
    const char *v = p ? icalproperty_get_conference(p) : NULL;
    char *url = NULL;
    if (v && (strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0))
        url = strdup(v);
    if (root)
        icalcomponent_free(root);
    icalerror_clear_errno();
    return url;
}

/* An online meeting's link (the event's online_url), for the page's "join"
 * button. Read from the event as the feeds publish it, where it is the
 * CONFERENCE: the ABI has no entry for it. Left unset without a link, or
 * where the host cannot hand the event out. */
static void put_online(const pages_ctx *c, tv *root, const agendad_event *ev)
{
    const agendad_host *h = c->h;
    const char *text;
    size_t len;
    if (!AGENDAD_HOST_HAS(h, event_ical) || !h->event_ical ||
        h->event_ical(c->self, ev, "fr", &text, &len) != 0)
        return;
    char *url = conference_of(text, len);
    tv_str(root, "online_url", url);
    free(url);
}

static const char *x_param(icalproperty *p, const char *name)
{
    for (icalparameter *x = icalproperty_get_first_parameter(p, ICAL_X_PARAMETER); x;
         x = icalproperty_get_next_parameter(p, ICAL_X_PARAMETER))
        if (strcmp(icalparameter_get_xname(x), name) == 0)
            return icalparameter_get_xvalue(x);
    return NULL;
}

/* One document (an ATTACH with an http(s) URL) into the page's list: its
 * title (LABEL, else the URL), its kind (X-AGENDAD-KIND). */
static void put_document(tv *root, icalproperty *p)
{
    static const char *const kinds[] = {"agenda", "minutes", "presentation", "report"};
    icalattach *a = icalproperty_get_attach(p);
    const char *url = a && icalattach_get_is_url(a) ? icalattach_get_url(a) : NULL;
    if (!url || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return;
    icalparameter *label = icalproperty_get_first_parameter(p, ICAL_LABEL_PARAMETER);
    const char *kind = x_param(p, "X-AGENDAD-KIND");
    tv *d = tv_add(root, "documents");
    tv_str(d, "url", url);
    tv_str(d, "title", label ? icalparameter_get_label(label) : url);
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "kind_%s", kinds[i]);
        bool is = kind && strcmp(kind, kinds[i]) == 0;
        tv_bool(d, key, is);
        known = known || is;
    }
    tv_bool(d, "kind_other", !known);
    tv_bool(root, "has_documents", true);
}

/* The event's documents, read from the event as the feeds publish them
 * (ATTACH): the ABI has no entry for them. */
static void put_documents(const pages_ctx *c, tv *root, const agendad_event *ev, const char *lang)
{
    const agendad_host *h = c->h;
    const char *text;
    size_t len;
    if (!AGENDAD_HOST_HAS(h, event_ical) || !h->event_ical ||
        h->event_ical(c->self, ev, lang, &text, &len) != 0)
        return;
    char *copy = strndup(text, len);
    icalcomponent *cal = copy ? icalparser_parse_string(copy) : NULL;
    free(copy);
    icalcomponent *e = cal && icalcomponent_isa(cal) != ICAL_VEVENT_COMPONENT
                           ? icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT)
                           : cal;
    for (icalproperty *p = e ? icalcomponent_get_first_property(e, ICAL_ATTACH_PROPERTY) : NULL; p;
         p = icalcomponent_get_next_property(e, ICAL_ATTACH_PROPERTY))
        put_document(root, p);
    if (cal)
        icalcomponent_free(cal);
    icalerror_clear_errno();
}

static void put_selector(const pages_ctx *c, tv *a, const char *sel, const char *lang)
{
    const agendad_host *h = c->h;
    if (strcmp(sel, "network") == 0) {
        tv_bool(a, "network", true);
    } else if (strncmp(sel, "region:", 7) == 0) {
        const agendad_member *m = h->member_find(c->self, sel + 7);
        tv_str(a, "region", m ? h->member_name(c->self, m, lang) : sel + 7);
    } else if (strncmp(sel, "kind:", 5) == 0) {
        tv_bool(a, "kind_region", strcmp(sel + 5, "region") == 0);
        tv_bool(a, "kind_province", strcmp(sel + 5, "province") == 0);
        tv_bool(a, "kind_commune", strcmp(sel + 5, "commune") == 0);
    } else {
        const agendad_member *m = h->member_find(c->self, sel);
        tv_str(a, "member", m ? h->member_name(c->self, m, lang) : sel);
    }
}

/* Who is invited: the audience as written, and, unless it is the whole
 * network, the members it reaches (the feeds' own rule). */
static void put_invited(const pages_ctx *c, tv *root, const agendad_event *ev, const char *lang)
{
    const agendad_host *h = c->h;
    bool whole = false;
    for (size_t i = 0; i < h->event_audience_count(c->self, ev); i++) {
        const char *sel = h->event_audience(c->self, ev, i);
        whole = whole || strcmp(sel, "network") == 0;
        put_selector(c, tv_add(root, "audience"), sel, lang);
    }
    if (whole)
        return;
    bool any = false;
    for (size_t i = 0; i < h->member_count(c->self); i++) {
        const agendad_member *m = h->member_at(c->self, i);
        if (h->event_invites(c->self, ev, h->member_id(c->self, m))) {
            tv_str(tv_add(root, "invited"), "name", h->member_name(c->self, m, lang));
            any = true;
        }
    }
    tv_bool(root, "has_invited", any);
}

#if AGENDAD_PLUGIN_ABI_MINOR >= 9
typedef struct {
    const pages_ctx *c;
    tv *root;
    const char *lang;
} attendance_ctx;

static int put_member_attendance(const agendad_attendance *a, void *data)
{
    attendance_ctx *x = data;
    bool fr = strcmp(x->lang, "fr") == 0;
    static const char *const replies[][2] = {
        [AGENDAD_REPLY_NONE] = {"لم يرد", "Sans réponse"},
        [AGENDAD_REPLY_ACCEPTED] = {"قبل الدعوة", "A accepté"},
        [AGENDAD_REPLY_TENTATIVE] = {"ربما", "Peut-être"},
        [AGENDAD_REPLY_DECLINED] = {"اعتذر", "A décliné"},
    };
    static const char *const reply_ids[] = {"none", "accepted", "tentative", "declined"};
    const agendad_member *m = x->c->h->member_find(x->c->self, a->member);
    tv *row = tv_add(x->root, "attendance");
    tv_str(row, "id", a->member);
    tv_str(row, "name", m ? x->c->h->member_name(x->c->self, m, x->lang) : a->member);
    tv_str(row, "invited", a->invited ? (fr ? "Oui" : "نعم") : (fr ? "Non" : "لا"));
    unsigned r = (unsigned)a->reply < 4 ? (unsigned)a->reply : 0;
    bool answered = a->reply != AGENDAD_REPLY_NONE || a->invited;
    tv_str(row, "reply", reply_ids[r]);
    tv_str(row, "reply_name", answered ? replies[r][fr] : "—");
    tv_str(row, "attended", a->attended == 1 ? "present" : a->attended == 0 ? "absent" : "none");
    tv_str(row, "attended_name",
           a->attended == 1   ? (fr ? "Présent" : "حاضر")
           : a->attended == 0 ? (fr ? "Absent" : "غائب")
                              : "—");
    return 0;
}
#endif

/* Who was invited, answered and attended, for an event that publishes
 * it (member names only): replies change at any time, so such a page is
 * rebuilt within a minute. */
static void put_attendance(const pages_ctx *c, tv *root, const agendad_event *ev, pages_request *r)
{
#if AGENDAD_PLUGIN_ABI_MINOR >= 9
    if (!AGENDAD_HOST_HAS(c->h, event_attendance) || !c->h->event_attendance)
        return;
    attendance_ctx x = {c, root, r->lang};
    if (c->h->event_attendance(c->self, ev, put_member_attendance, &x) != 0)
        return;
    tv_bool(root, "has_attendance", true);
    if (r->expires > r->now + 60)
        r->expires = r->now + 60;
#else
    (void)c;
    (void)root;
    (void)ev;
    (void)r;
#endif
}

/* A series' dates on its page: the next few, or (past) every one that is
 * over, newest first. */
static void put_dates(const pages_ctx *c, tv *root, const agendad_event *ev, const series *s,
                      size_t next, const pages_request *r)
{
    agendad_when w;
    if (c->h->event_when(c->self, ev, &w) != 0)
        return;
    const char *uid = c->h->event_uid(c->self, ev);
    size_t upcoming = s->n - next;
    size_t shown = r->past ? next : upcoming < UPCOMING_DATES ? upcoming : UPCOMING_DATES;
    for (size_t k = 0; k < shown; k++) {
        const series_date *d = &s->dates[r->past ? next - 1 - k : next + k];
        put_span(c, tv_add(root, "dates"), r->lang, w.tzid, s->all_day, d->start, d->end);
    }
    tv_bool(root, "has_dates", shown > 0);
    tv_bool(root, "has_past_dates", next > 0);
    tv_bool(root, "more_dates", !r->past && upcoming > shown);
    tv_strf(root, "past_dates_url", "/events/%s?lang=%s&past=1", uid, r->lang);
    tv_strf(root, "upcoming_dates_url", "/events/%s?lang=%s", uid, r->lang);
}

tv *pages_event_for(const pages_ctx *c, const agendad_event *ev, pages_request *r)
{
    const char *lang = r->lang;
    r->expires = INT64_MAX;
    tv *root = tv_new();
    if (!root)
        return NULL;
    const char *uid = c->h->event_uid(c->self, ev);
    series s;
    bool is_series = load_series(c, ev, &s);
    size_t next = is_series ? series_next(&s, r->now) : 0;
    put_common(c, root, lang);
    tv_bool(root, "past", r->past);
    put_summary(c, root, ev, lang, is_series ? &s : NULL, is_series ? shown_date(&s, r->now) : 0);
    if (is_series) {
        put_dates(c, root, ev, &s, next, r);
        if (next < s.n)
            r->expires = s.dates[next].end;
        series_free(&s);
    }
    tv_str(root, "description", c->h->event_text(c->self, ev, AGENDAD_TEXT_DESCRIPTION, lang));
    tv_strf(root, "switch_url", "/events/%s?lang=%s%s", uid, strcmp(lang, "fr") == 0 ? "ar" : "fr",
            r->past ? "&past=1" : "");
    tv_strf(root, "index_url", "/?lang=%s", lang);
    tv_strf(root, "ics_url", "/events/%s.ics?lang=%s", uid, lang);
    tv_strf(root, "md_url", "/events/%s/agenda.md?lang=%s", uid, lang);
    tv_strf(root, "txt_url", "/events/%s/agenda.txt?lang=%s", uid, lang);
    char path[512];
    snprintf(path, sizeof path, "/events/%s.ics", uid);
    put_feed(c, tv_add(root, "event_feed"), "event", path, lang);
    put_online(c, root, ev);
    put_agenda(c, root, ev, lang);
    put_documents(c, root, ev, lang);
    put_invited(c, root, ev, lang);
    put_attendance(c, root, ev, r);
    return root;
}

tv *pages_event(const pages_ctx *c, const agendad_event *ev, const char *lang)
{
    pages_request r = {.lang = lang, .now = (int64_t)time(NULL)};
    return pages_event_for(c, ev, &r);
}
