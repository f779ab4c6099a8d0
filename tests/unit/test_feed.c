#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "feed.h"
#include "tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- fixture: a small network, built by hand ---------------------------- */

#define WORKSHOP "2023-03-07-fes-meknes-cocreation-workshop"
#define RAMADAN "2026-03-01-ramadan-training"
#define FORUM "2026-05-12-open-data-forum"
#define MONTHLY "2026-06-02-monthly-transparency-call"
#define WEEKLY "2026-07-01-weekly-digital-clinic"
#define REMOVED "2026-04-10-removed-consultation"
#define MEMBERS "2026-10-15-members-assembly"
#define RABAT "2026-11-03-rabat-budget-hearing"
#define Y2027 "2027-02-10-digital-workshop"

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static ag_text txt(const char *ar, const char *fr)
{
    return (ag_text){dup(ar), dup(fr)};
}

static char **strv(size_t *n, const char *a, const char *b)
{
    char **v = calloc(2, sizeof *v);
    *n = 0;
    if (a)
        v[(*n)++] = strdup(a);
    if (b)
        v[(*n)++] = strdup(b);
    return v;
}

static ag_datetime at(int y, int mo, int d, int h, int mi)
{
    return (ag_datetime){y, mo, d, h, mi, 0, false};
}

static ag_datetime day(int y, int mo, int d)
{
    return (ag_datetime){y, mo, d, 0, 0, 0, true};
}

static ag_slot timed_slot(ag_datetime s, ag_datetime e, const char *ar, const char *fr,
                          const char *kind, const char *axis)
{
    return (ag_slot){true, s, e, txt(ar, fr), dup(kind), dup(axis), {0}, NULL};
}

static ag_slot untimed_slot(const char *ar, const char *fr, const char *kind)
{
    return (ag_slot){.timed = false, .title = txt(ar, fr), .kind = dup(kind)};
}

static ag_stored_event stored(const char *uid, ag_datetime s, ag_datetime e, const char *ar,
                              const char *fr)
{
    ag_stored_event se = {0};
    se.ev.uid = strdup(uid);
    se.ev.title = txt(ar, fr);
    se.ev.start = s;
    se.ev.end = e;
    se.ev.tzid = strdup("Africa/Casablanca");
    se.ev.host = strdup("fes-meknes");
    se.ev.audience = strv(&se.ev.n_audience, "network", NULL);
    se.ev.categories = strv(&se.ev.n_categories, NULL, NULL);
    se.created = utc(2023, 2, 1, 9, 0);
    se.last_modified = utc(2023, 2, 20, 14, 5);
    se.sequence = 2;
    return se;
}

static void add_slots(ag_event *ev, size_t n, const ag_slot *slots)
{
    ev->slots = malloc(n * sizeof *slots);
    memcpy(ev->slots, slots, n * sizeof *slots);
    ev->n_slots = n;
}

static ag_stored_event workshop(void)
{
    ag_stored_event se = stored(WORKSHOP, at(2023, 3, 7, 9, 30), at(2023, 3, 7, 13, 30),
                                "ورشة الإعداد المشترك لبرنامج عمل الانفتاح جهة فاس مكناس",
                                "Atelier de co-création du programme d'action ouvert");
    ag_event *ev = &se.ev;
    ev->description = txt("ورشة للإعداد المشترك لبرنامج الجهة المنفتحة، بمشاركة أعضاء الهيئات "
                          "الاستشارية المحدثة لدى مجلس الجهة",
                          NULL);
    ev->location = txt("مقر مجلس الجهة، فاس", "Siège du Conseil régional, Fès");
    free(ev->categories);
    ev->categories = strv(&ev->n_categories, "access-to-information", "transparency");
    const ag_slot slots[] = {
        timed_slot(at(2023, 3, 7, 9, 30), at(2023, 3, 7, 10, 0), "استقبال المشاركين",
                   "Accueil des participants", "reception", NULL),
        untimed_slot("كلمات افتتاحية: السيد نائب رئيس مجلس الجهة", "Mots d'ouverture", "opening"),
        timed_slot(at(2023, 3, 7, 10, 0), at(2023, 3, 7, 10, 30),
                   "عرض حول الشبكة المغربية للجماعات الترابية المنفتحة", NULL, "presentation",
                   NULL),
        untimed_slot("تقديم المحاور الأولى لبرنامج الانفتاح", NULL, "presentation"),
        timed_slot(at(2023, 3, 7, 11, 10), at(2023, 3, 7, 11, 40),
                   "ورشة عمل حول المحور الأول: الولوج إلى المعلومة", NULL, "workshop",
                   "access-to-information"),
        timed_slot(at(2023, 3, 7, 12, 10), at(2023, 3, 7, 12, 30), "استراحة شاي", "Pause thé",
                   "break", NULL),
        timed_slot(at(2023, 3, 7, 12, 30), at(2023, 3, 7, 13, 0),
                   "ورشة عمل حول المحور الثالث: المشاركة المواطنة", NULL, "workshop",
                   "citizen-participation"),
    };
    add_slots(ev, sizeof slots / sizeof *slots, slots);
    return se;
}

static ag_stored_event monthly(void)
{
    ag_stored_event se = stored(MONTHLY, at(2026, 6, 2, 10, 0), at(2026, 6, 2, 11, 0),
                                "اجتماع شهري حول الشفافية", "Réunion mensuelle transparence");
    se.ev.rrule = strdup("FREQ=MONTHLY;BYDAY=1TU;COUNT=12");
    se.ev.exdates = malloc(sizeof *se.ev.exdates);
    se.ev.exdates[0] = at(2027, 1, 5, 10, 0);
    se.ev.n_exdates = 1;
    const ag_slot slots[] = {
        timed_slot(at(2026, 6, 2, 10, 15), at(2026, 6, 2, 10, 45), "جولة", "Tour de table",
                   "session", NULL),
    };
    add_slots(&se.ev, 1, slots);
    return se;
}

typedef struct {
    ag_config cfg;
    ag_stored_event evs[9];
    size_t n;
} fixture;

static void add_member(ag_config *cfg, const char *id, ag_member_kind kind, const char *region,
                       const char *ar, const char *fr)
{
    ag_member *m = &cfg->members[cfg->n_members++];
    memset(m, 0, sizeof *m);
    m->id = strdup(id);
    m->kind = kind;
    m->region = dup(region);
    m->name = txt(ar, fr);
}

static void add_category(ag_config *cfg, const char *id, const char *ar, const char *fr)
{
    ag_category *c = &cfg->categories[cfg->n_categories++];
    memset(c, 0, sizeof *c);
    c->id = strdup(id);
    c->name = txt(ar, fr);
    c->axis = true;
}

static void make_config(ag_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->settings.base_url = strdup("https://agenda.rmcto.ma");
    cfg->settings.default_tz = strdup("Africa/Casablanca");
    cfg->settings.default_lang = strdup("ar");
    cfg->settings.network_name = txt("الشبكة المغربية للجماعات الترابية المنفتحة",
                                     "Réseau marocain des collectivités territoriales ouvertes, "
                                     "RMCTO; agenda");
    cfg->settings.network_description =
        txt("فضاء للحوار ولتبادل التجارب", "Espace de dialogue et d'échange d'expériences");
    cfg->settings.refresh_interval = 3600;
    cfg->members = calloc(4, sizeof *cfg->members);
    add_member(cfg, "fes-meknes", AG_MEMBER_REGION, NULL, "جهة فاس مكناس", "Région Fès-Meknès");
    add_member(cfg, "fes", AG_MEMBER_COMMUNE, "fes-meknes", "جماعة فاس", "Commune de Fès");
    add_member(cfg, "rabat-sale-kenitra", AG_MEMBER_REGION, NULL, "جهة الرباط سلا القنيطرة",
               "Région Rabat-Salé-Kénitra");
    add_member(cfg, "rabat", AG_MEMBER_COMMUNE, "rabat-sale-kenitra", "جماعة الرباط",
               "Commune de Rabat");
    cfg->categories = calloc(4, sizeof *cfg->categories);
    add_category(cfg, "access-to-information", "الولوج إلى المعلومة", "Accès à l'information");
    add_category(cfg, "transparency", "الشفافية والمساءلة", "Transparence, redevabilité");
    add_category(cfg, "citizen-participation", "المشاركة المواطنة", "Participation citoyenne");
    add_category(cfg, "digitalisation", "الرقمنة", "Digitalisation");
}

static void free_config(ag_config *cfg)
{
    free(cfg->settings.base_url);
    free(cfg->settings.default_tz);
    free(cfg->settings.default_lang);
    ag_text_free(&cfg->settings.network_name);
    ag_text_free(&cfg->settings.network_description);
    for (size_t i = 0; i < cfg->n_members; i++)
        ag_member_free(&cfg->members[i]);
    free(cfg->members);
    for (size_t i = 0; i < cfg->n_categories; i++)
        ag_category_free(&cfg->categories[i]);
    free(cfg->categories);
}

/* Events in uid order, as the store returns them. */
static void make_events(fixture *f)
{
    f->n = 0;
    f->evs[f->n++] = workshop();

    ag_stored_event ramadan =
        stored(RAMADAN, at(2026, 3, 1, 9, 30), at(2026, 3, 1, 11, 0),
               "تكوين عن بعد, حول مبادئ الانفتاح; الجزء الأول\nالسطر الثاني", NULL);
    ramadan.ev.location = txt(NULL, "En ligne");
    f->evs[f->n++] = ramadan;

    ag_stored_event removed = stored(REMOVED, at(2026, 4, 10, 10, 0), at(2026, 4, 10, 12, 0),
                                     "استشارة عمومية", "Consultation publique");
    removed.removed_at = utc(2026, 3, 20, 8, 0);
    removed.sequence = 3;
    removed.last_modified = removed.removed_at;
    f->evs[f->n++] = removed;

    ag_stored_event forum = stored(FORUM, day(2026, 5, 12), day(2026, 5, 14),
                                   "منتدى البيانات المفتوحة", "Forum des données ouvertes");
    free(forum.ev.categories);
    forum.ev.categories = strv(&forum.ev.n_categories, "digitalisation", NULL);
    f->evs[f->n++] = forum;

    f->evs[f->n++] = monthly();

    ag_stored_event weekly = stored(WEEKLY, at(2026, 7, 1, 15, 0), at(2026, 7, 1, 16, 0),
                                    "عيادة رقمية", "Clinique numérique");
    weekly.ev.rrule = strdup("FREQ=WEEKLY;BYDAY=WE;UNTIL=20260729");
    weekly.ev.status = AG_STATUS_TENTATIVE;
    f->evs[f->n++] = weekly;

    ag_stored_event members = stored(MEMBERS, at(2026, 10, 15, 9, 0), at(2026, 10, 15, 17, 0),
                                     "الجمع العام للأعضاء", "Assemblée des membres");
    members.ev.visibility = AG_VIS_MEMBERS;
    f->evs[f->n++] = members;

    ag_stored_event rabat = stored(RABAT, at(2026, 11, 3, 10, 0), at(2026, 11, 3, 12, 0),
                                   "جلسة الميزانية", "Audience budgétaire");
    free(rabat.ev.host);
    rabat.ev.host = strdup("rabat-sale-kenitra");
    free(rabat.ev.audience[0]);
    rabat.ev.audience[0] = strdup("region:rabat-sale-kenitra");
    f->evs[f->n++] = rabat;

    f->evs[f->n++] = stored(Y2027, at(2027, 2, 10, 9, 30), at(2027, 2, 10, 12, 0), "ورشة الرقمنة",
                            "Atelier digitalisation");
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    make_config(&f->cfg);
    make_events(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->n; i++)
        ag_event_free(&f->evs[i].ev);
    free_config(&f->cfg);
    free(f);
    return 0;
}

static ag_feed_query query(ag_feed_kind kind, const char *key, const char *lang)
{
    return (ag_feed_query){.kind = kind, .key = key, .lang = lang, .slots = true};
}

#define NOW utc(2026, 3, 1, 0, 0)

static char *build(fixture *f, const ag_feed_query *q, int64_t now)
{
    char *out = NULL, *err = NULL;
    size_t len = 0;
    int rc = ag_feed_build(&f->cfg, f->evs, f->n, q, now, &out, &len, &err);
    if (rc != 0)
        fail_msg("ag_feed_build: %d %s", rc, err ? err : "");
    assert_int_equal(strlen(out), len);
    return out;
}

/* ---- reading the output back ------------------------------------------- */

/* RFC 5545 3.1: CRLF + one space or tab continues the previous line. */
static char *unfold(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (s[0] == '\r' && s[1] == '\n' && (s[2] == ' ' || s[2] == '\t')) {
            s += 2;
            continue;
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

/* The unfolded text of the component that has "UID:uid", or NULL. */
static char *component(const char *ics, const char *uid)
{
    char *u = unfold(ics);
    char needle[512];
    snprintf(needle, sizeof needle, "\r\nUID:%s\r\n", uid);
    char *hit = strstr(u, needle);
    char *res = NULL;
    if (hit) {
        char *begin = hit;
        while (begin > u && strncmp(begin, "\r\nBEGIN:VEVENT", 14) != 0)
            begin--;
        char *end = strstr(hit, "\r\nEND:VEVENT");
        res = strndup(begin + 2, (size_t)(end - begin));
    }
    free(u);
    return res;
}

/* The value part of the first line starting with prefix (like "DTSTART"). */
static char *line(const char *comp, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = comp; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL)
        if (strncmp(p, prefix, n) == 0 && (p[n] == ':' || p[n] == ';'))
            return strndup(p, strcspn(p, "\r\n"));
    return NULL;
}

static void assert_prop(const char *ics, const char *uid, const char *prefix, const char *want)
{
    char *c = component(ics, uid);
    if (!c)
        fail_msg("no component %s", uid);
    char *l = line(c, prefix);
    if (!l || strcmp(l, want) != 0)
        fail_msg("%s: want %s, got %s", uid, want, l ? l : "(none)");
    free(l);
    free(c);
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Lines equal to want; a plain loop, since sanitizers check the whole
 * haystack on every strstr and make counting in 40 MB quadratic. */
static size_t count_lines(const char *s, const char *want)
{
    size_t n = 0, wlen = strlen(want);
    for (const char *line = s; *line;) {
        const char *eol = line;
        while (*eol && *eol != '\n')
            eol++;
        if ((size_t)(eol - line) == wlen + 1 && memcmp(line, want, wlen) == 0)
            n++;
        line = *eol ? eol + 1 : eol;
    }
    return n;
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* Every physical line ≤ 75 octets, CRLF-terminated, and every folded
 * piece whole UTF-8 (libical must not cut a character in two). */
static void assert_well_folded(const char *ics)
{
    const char *p = ics;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        size_t len = (size_t)(eol - p);
        if (len > 75)
            fail_msg("line of %zu octets: %.*s", len, (int)len, p);
        const char *body = (*p == ' ') ? p + 1 : p;
        assert_true(valid_utf8((const unsigned char *)body, (size_t)(eol - body)));
        p = eol + 2;
    }
    char *u = unfold(ics);
    assert_true(valid_utf8((const unsigned char *)u, strlen(u)));
    free(u);
}

/* Saves the feed for tests/integration/test_feed_parsers.py, which points
 * AGENDAD_FEED_SAMPLES at a directory of its own. */
static void save_sample(const char *name, const char *ics)
{
    const char *dir = getenv("AGENDAD_FEED_SAMPLES");
    const char *build_dir = getenv("AGENDAD_BUILD_DIR");
    char dflt[1024];
    if (!dir && build_dir) {
        snprintf(dflt, sizeof dflt, "%s/tests/feed-samples", build_dir);
        dir = dflt;
    }
    if (!dir)
        return;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", dir, strerror(errno));
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.ics", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(ics, f);
    fclose(f);
}

/* ---- tests --------------------------------------------------------------- */

static void one_off_times_are_utc(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    char *ics = build(f, &q, NOW);
    /* 2023: UTC+1 outside Ramadan; 2026-03-01: Ramadan, UTC+0; 2027: after
     * the permanent switch to UTC+0 (tzdata 2026c+). */
    assert_prop(ics, WORKSHOP, "DTSTART", "DTSTART:20230307T083000Z");
    assert_prop(ics, WORKSHOP, "DTEND", "DTEND:20230307T123000Z");
    assert_prop(ics, WORKSHOP "/slot-1", "DTSTART", "DTSTART:20230307T083000Z");
    assert_prop(ics, WORKSHOP "/slot-1", "DTEND", "DTEND:20230307T090000Z");
    assert_prop(ics, RAMADAN, "DTSTART", "DTSTART:20260301T093000Z");
    assert_prop(ics, Y2027, "DTSTART", "DTSTART:20270210T093000Z");
    assert_prop(ics, Y2027, "DTEND", "DTEND:20270210T120000Z");
    save_sample("network-ar", ics);
    free(ics);
}

static void all_day_end_is_exclusive(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "fr");
    char *ics = build(f, &q, NOW);
    assert_prop(ics, FORUM, "DTSTART", "DTSTART;VALUE=DATE:20260512");
    assert_prop(ics, FORUM, "DTEND", "DTEND;VALUE=DATE:20260515");
    save_sample("network-fr", ics);
    free(ics);
}

static void series_keep_local_time_and_one_vtimezone(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "fr");
    char *ics = build(f, &q, NOW);
    assert_prop(ics, MONTHLY, "DTSTART", "DTSTART;TZID=Africa/Casablanca:20260602T100000");
    assert_prop(ics, MONTHLY, "DTEND", "DTEND;TZID=Africa/Casablanca:20260602T110000");
    assert_prop(ics, MONTHLY, "RRULE", "RRULE:FREQ=MONTHLY;COUNT=12;BYDAY=1TU");
    assert_prop(ics, MONTHLY, "EXDATE", "EXDATE;TZID=Africa/Casablanca:20270105T100000");
    /* A local UNTIL date becomes the UTC end of that day (RFC 5545 3.3.10). */
    assert_prop(ics, WEEKLY, "RRULE", "RRULE:FREQ=WEEKLY;UNTIL=20260729T225959Z;BYDAY=WE");
    assert_prop(ics, WEEKLY, "STATUS", "STATUS:TENTATIVE");
    /* The series' slot follows it, moved by its offset. */
    assert_prop(ics, MONTHLY "/slot-1", "DTSTART",
                "DTSTART;TZID=Africa/Casablanca:20260602T101500");
    assert_prop(ics, MONTHLY "/slot-1", "RRULE", "RRULE:FREQ=MONTHLY;COUNT=12;BYDAY=1TU");
    assert_prop(ics, MONTHLY "/slot-1", "EXDATE", "EXDATE;TZID=Africa/Casablanca:20270105T101500");
    assert_int_equal(count(ics, "BEGIN:VTIMEZONE"), 1);
    assert_int_equal(count(ics, "\r\nTZID:Africa/Casablanca\r\n"), 1);
    assert_null(strstr(ics, "freeassociation"));
    /* The zone must show the 2026-09-20 change that falls inside the series. */
    assert_non_null(strstr(ics, "TZOFFSETFROM:+0100"));
    free(ics);
}

static void all_day_series_use_dates(void **state)
{
    fixture *f = *state;
    ag_event *forum = NULL;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->evs[i].ev.uid, FORUM) == 0)
            forum = &f->evs[i].ev;
    forum->rrule = strdup("FREQ=YEARLY;UNTIL=20280512T235959Z");
    forum->exdates = malloc(sizeof *forum->exdates);
    forum->exdates[0] = day(2027, 5, 12);
    forum->n_exdates = 1;
    const ag_slot slots[] = {timed_slot(at(2026, 5, 12, 9, 0), at(2026, 5, 12, 10, 0), "افتتاح",
                                        "Ouverture", "opening", NULL)};
    add_slots(forum, 1, slots);
    ag_feed_query q = query(AG_FEED_CATEGORY, "digitalisation", "fr");
    char *ics = build(f, &q, NOW);
    assert_prop(ics, FORUM, "DTSTART", "DTSTART;VALUE=DATE:20260512");
    assert_prop(ics, FORUM, "DTEND", "DTEND;VALUE=DATE:20260515");
    assert_prop(ics, FORUM, "RRULE", "RRULE:FREQ=YEARLY;UNTIL=20280512");
    assert_prop(ics, FORUM, "EXDATE", "EXDATE;VALUE=DATE:20270512");
    /* Its slot is timed: local time with the zone, UNTIL in UTC. */
    assert_prop(ics, FORUM "/slot-1", "DTSTART", "DTSTART;TZID=Africa/Casablanca:20260512T090000");
    assert_prop(ics, FORUM "/slot-1", "RRULE", "RRULE:FREQ=YEARLY;UNTIL=20280513T085959Z");
    assert_prop(ics, FORUM "/slot-1", "EXDATE", "EXDATE;TZID=Africa/Casablanca:20270512T090000");
    assert_int_equal(count(ics, "BEGIN:VTIMEZONE"), 1);
    free(ics);
}

static void slots_are_children(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    char *ics = build(f, &q, NOW);
    /* 5 timed slots of 7 items: the untimed ones live in DESCRIPTION only. */
    assert_int_equal(count(ics, "UID:" WORKSHOP "/slot-"), 5);
    assert_null(strstr(ics, "UID:" WORKSHOP "/slot-2\r\n"));
    assert_prop(ics, WORKSHOP "/slot-3", "RELATED-TO", "RELATED-TO;RELTYPE=PARENT:" WORKSHOP);
    assert_prop(ics, WORKSHOP "/slot-3", "SEQUENCE", "SEQUENCE:2");
    assert_prop(ics, WORKSHOP "/slot-3", "DTSTAMP", "DTSTAMP:20230220T140500Z");
    assert_prop(ics, WORKSHOP "/slot-5", "CATEGORIES", "CATEGORIES:الولوج إلى المعلومة");
    char *c = component(ics, WORKSHOP);
    char *d = line(c, "DESCRIPTION");
    assert_non_null(strstr(d, "\\n\\nجدول الأعمال:\\n09:30–10:00 استقبال المشاركين\\n• كلمات"));
    assert_non_null(strstr(d, "\\n12:10–12:30 استراحة شاي"));
    free(d);
    free(c);
    q.slots = false;
    char *noslots = build(f, &q, NOW);
    assert_null(strstr(noslots, "/slot-"));
    free(noslots);
    free(ics);
}

static void stamps_come_from_the_store(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    char *ics = build(f, &q, NOW);
    assert_prop(ics, WORKSHOP, "DTSTAMP", "DTSTAMP:20230220T140500Z");
    assert_prop(ics, WORKSHOP, "LAST-MODIFIED", "LAST-MODIFIED:20230220T140500Z");
    assert_prop(ics, WORKSHOP, "CREATED", "CREATED:20230201T090000Z");
    assert_prop(ics, WORKSHOP, "SEQUENCE", "SEQUENCE:2");
    assert_prop(ics, WORKSHOP, "URL", "URL:https://agenda.rmcto.ma/events/" WORKSHOP);
    assert_prop(ics, WORKSHOP, "STATUS", "STATUS:CONFIRMED");
    assert_prop(ics, WORKSHOP, "CLASS", "CLASS:PUBLIC");
    assert_prop(ics, WORKSHOP, "X-AGENDAD-HOST", "X-AGENDAD-HOST:fes-meknes");
    assert_null(strstr(ics, "METHOD:"));
    free(ics);
}

static void calendar_properties(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "fr");
    char *ics = build(f, &q, NOW);
    char *u = unfold(ics);
    assert_int_equal(strncmp(u, "BEGIN:VCALENDAR\r\n", 17), 0);
    assert_non_null(strstr(u, "\r\nVERSION:2.0\r\n"));
    assert_non_null(strstr(u, "\r\nPRODID:-//RMCTO//agendad " AGENDAD_VERSION "//FR\r\n"));
    assert_non_null(strstr(u, "\r\nCALSCALE:GREGORIAN\r\n"));
    assert_non_null(strstr(u,
                           "\r\nNAME;LANGUAGE=fr:Réseau marocain des collectivités territoriales "
                           "ouvertes\\, RMCTO\\; agenda\r\n"));
    /* libical 3.0.16 leaves X- values unescaped: no bare ',' or ';' there. */
    assert_non_null(strstr(u, "\r\nX-WR-CALNAME:Réseau marocain des collectivités territoriales "
                              "ouvertes RMCTO agenda\r\n"));
    assert_non_null(strstr(u, "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
    assert_non_null(strstr(u, "\r\nX-PUBLISHED-TTL:PT1H\r\n"));
    assert_non_null(strstr(u, "\r\nX-WR-TIMEZONE:Africa/Casablanca\r\n"));
    assert_non_null(strstr(u, "\r\nDESCRIPTION;LANGUAGE=fr:Espace de dialogue"));
    assert_non_null(strstr(u, "\r\nX-WR-CALDESC:Espace de dialogue"));
    free(u);
    free(ics);
}

static void language_follows_the_text(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "fr");
    char *ics = build(f, &q, NOW);
    assert_prop(ics, WORKSHOP, "SUMMARY",
                "SUMMARY;LANGUAGE=fr:Atelier de co-création du programme d'action ouvert");
    assert_prop(ics, WORKSHOP, "LOCATION", "LOCATION;LANGUAGE=fr:Siège du Conseil régional\\, Fès");
    /* No French title: the Arabic one, said to be Arabic; text escaped. */
    assert_prop(ics, RAMADAN, "SUMMARY",
                "SUMMARY;LANGUAGE=ar:تكوين عن بعد\\, حول مبادئ الانفتاح\\; الجزء "
                "الأول\\nالسطر الثاني");
    assert_prop(ics, RAMADAN, "LOCATION", "LOCATION;LANGUAGE=fr:En ligne");
    assert_prop(ics, WORKSHOP, "CATEGORIES", "CATEGORIES:Accès à l'information");
    char *c = component(ics, WORKSHOP);
    char *d = line(c, "DESCRIPTION");
    assert_int_equal(strncmp(d, "DESCRIPTION;LANGUAGE=ar:", 24), 0);
    assert_non_null(strstr(d, "Programme :\\n09:30–10:00 Accueil des participants"));
    free(d);
    free(c);
    free(ics);
}

static void event_feed_escapes_text(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_EVENT, RAMADAN, "ar");
    char *ics = build(f, &q, NOW);
    char *u = unfold(ics);
    assert_non_null(strstr(u, "بعد\\, حول مبادئ الانفتاح\\; الجزء الأول\\nالسطر"));
    assert_null(strstr(u, "UID:" WORKSHOP));
    free(u);
    free(ics);
}

static void alarms_on_events_only(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_EVENT, WORKSHOP, "ar");
    assert_int_equal(ag_feed_parse_alarms("1d,30m", &q), 0);
    assert_int_equal(q.n_alarms, 2);
    char *ics = build(f, &q, NOW);
    assert_int_equal(count(ics, "BEGIN:VALARM"), 2);
    assert_non_null(strstr(ics, "TRIGGER:-P1D\r\n"));
    assert_non_null(strstr(ics, "TRIGGER:-PT30M\r\n"));
    assert_non_null(strstr(ics, "ACTION:DISPLAY\r\n"));
    char *slot = component(ics, WORKSHOP "/slot-1");
    assert_null(strstr(slot, "VALARM"));
    free(slot);
    free(ics);
    q.n_alarms = 0;
    ics = build(f, &q, NOW);
    assert_null(strstr(ics, "VALARM"));
    free(ics);
}

static void alarm_lists_are_checked(void **state)
{
    (void)state;
    ag_feed_query q = {0};
    assert_int_equal(ag_feed_parse_alarms("", &q), 0);
    assert_int_equal(q.n_alarms, 0);
    assert_int_equal(ag_feed_parse_alarms("1d12h", &q), 0);
    assert_int_equal(q.alarms[0], 129600);
    const char *bad[] = {
        "1x", "0m", "1d,", ",1d", "1d,,2h", "-1h", "400d", "1,2,3", "1m,2m,3m,4m,5m,6m,7m,8m,9m"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (ag_feed_parse_alarms(bad[i], &q) != AG_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(q.n_alarms, 1);
}

static void window_leaves_out_what_is_outside(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    q.from = utc(2026, 1, 1, 0, 0);
    q.to = utc(2026, 12, 31, 0, 0);
    char *ics = build(f, &q, NOW);
    assert_null(strstr(ics, WORKSHOP));
    assert_null(strstr(ics, Y2027));
    assert_non_null(strstr(ics, "UID:" RAMADAN "\r\n"));
    free(ics);
    /* A series stays as long as one instance is inside. */
    q.from = utc(2027, 5, 1, 0, 0);
    q.to = utc(2027, 6, 1, 0, 0);
    ics = build(f, &q, NOW);
    assert_non_null(strstr(ics, "UID:" MONTHLY "\r\n"));
    assert_null(strstr(ics, "UID:" WEEKLY "\r\n"));
    free(ics);
    /* An event feed names its event: no window applies. */
    q = query(AG_FEED_EVENT, WORKSHOP, "ar");
    q.from = utc(2026, 1, 1, 0, 0);
    q.to = utc(2026, 12, 31, 0, 0);
    ics = build(f, &q, NOW);
    assert_non_null(strstr(ics, "UID:" WORKSHOP "\r\n"));
    free(ics);
}

static void removed_event_cancelled_until_over(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    char *ics = build(f, &q, utc(2026, 4, 10, 9, 0));
    assert_prop(ics, REMOVED, "STATUS", "STATUS:CANCELLED");
    assert_prop(ics, REMOVED, "SEQUENCE", "SEQUENCE:3");
    free(ics);
    ics = build(f, &q, utc(2026, 4, 10, 12, 0));
    assert_null(strstr(ics, REMOVED));
    free(ics);
}

/* cancelled=visible: Google Calendar drops STATUS:CANCELLED events from
 * subscribed calendars, so there a cancelled event and its items are
 * published confirmed and free, their titles saying they are off in the
 * feed's language. Without the option nothing changes. */
static void cancelled_visible_for_google(void **state)
{
    fixture *f = *state;
    f->evs[0].ev.status = AG_STATUS_CANCELLED;
    const int64_t now = utc(2026, 4, 10, 9, 0); /* the removed event is not over */
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "fr");
    assert_int_equal(ag_feed_parse_alarms("1d", &q), 0);
    char *plain = build(f, &q, now);
    assert_prop(plain, WORKSHOP, "STATUS", "STATUS:CANCELLED");
    assert_prop(plain, WORKSHOP "/slot-1", "STATUS", "STATUS:CANCELLED");
    assert_prop(plain, REMOVED, "STATUS", "STATUS:CANCELLED");
    assert_prop(plain, WORKSHOP, "SUMMARY",
                "SUMMARY;LANGUAGE=fr:Atelier de co-création du programme d'action ouvert");
    assert_prop(plain, REMOVED, "SUMMARY", "SUMMARY;LANGUAGE=fr:Consultation publique");
    assert_null(strstr(plain, "TRANSP"));
    assert_null(strstr(plain, "Annulé"));

    q.cancelled_visible = true;
    char *ics = build(f, &q, now);
    assert_well_folded(ics);
    assert_prop(ics, WORKSHOP, "STATUS", "STATUS:CONFIRMED");
    assert_prop(ics, WORKSHOP, "TRANSP", "TRANSP:TRANSPARENT");
    assert_prop(ics, WORKSHOP, "SUMMARY",
                "SUMMARY;LANGUAGE=fr:[Annulé] Atelier de co-création du programme d'action "
                "ouvert");
    assert_prop(ics, WORKSHOP "/slot-1", "STATUS", "STATUS:CONFIRMED");
    assert_prop(ics, WORKSHOP "/slot-1", "TRANSP", "TRANSP:TRANSPARENT");
    assert_prop(ics, WORKSHOP "/slot-1", "SUMMARY",
                "SUMMARY;LANGUAGE=fr:[Annulé] Accueil des participants");
    /* A title in the other language only still says it in the feed's. */
    assert_prop(ics, WORKSHOP "/slot-3", "SUMMARY",
                "SUMMARY;LANGUAGE=ar:[Annulé] عرض حول الشبكة المغربية للجماعات الترابية "
                "المنفتحة");
    assert_prop(ics, REMOVED, "STATUS", "STATUS:CONFIRMED");
    assert_prop(ics, REMOVED, "TRANSP", "TRANSP:TRANSPARENT");
    assert_prop(ics, REMOVED, "SUMMARY", "SUMMARY;LANGUAGE=fr:[Annulé] Consultation publique");
    assert_prop(ics, REMOVED, "SEQUENCE", "SEQUENCE:3");
    /* 1 event, its 5 timed items and the removed event; nothing else. */
    assert_int_equal(count(ics, "\r\nTRANSP:TRANSPARENT\r\n"), 7);
    assert_int_equal(count(ics, "[Annulé]"), 7);
    assert_prop(ics, RAMADAN, "STATUS", "STATUS:CONFIRMED");
    assert_prop(ics, WEEKLY, "STATUS", "STATUS:TENTATIVE");
    assert_prop(ics, FORUM, "SUMMARY", "SUMMARY;LANGUAGE=fr:Forum des données ouvertes");
    /* A cancelled event reminds no one, shown or not. */
    char *ws = component(ics, WORKSHOP);
    assert_null(strstr(ws, "VALARM"));
    free(ws);
    char *forum = component(ics, FORUM);
    assert_non_null(strstr(forum, "BEGIN:VALARM"));
    free(forum);
    free(ics);

    q.lang = "ar";
    ics = build(f, &q, now);
    assert_prop(ics, REMOVED, "SUMMARY", "SUMMARY;LANGUAGE=ar:[ملغى] استشارة عمومية");
    assert_prop(ics, WORKSHOP "/slot-1", "SUMMARY", "SUMMARY;LANGUAGE=ar:[ملغى] استقبال المشاركين");
    assert_int_equal(count(ics, "[ملغى]"), 7);
    free(ics);
    free(plain);
}

/* An online meeting's link is the URL (instead of the event's page), the
 * RFC 7986 CONFERENCE, and the first line of DESCRIPTION, on the event and
 * on its items. */
static void online_url_goes_out_three_ways(void **state)
{
    fixture *f = *state;
    f->evs[0].ev.online_url = strdup("https://meet.example.org/fes-openness");
    f->evs[1].ev.online_url =
        strdup("https://visio.example.org/b/rmcto-ramadan-training?pwd=a,b;c&lang=ar#join-now");
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    char *ics = build(f, &q, NOW);
    assert_well_folded(ics);
    assert_prop(ics, WORKSHOP, "URL", "URL:https://meet.example.org/fes-openness");
    assert_prop(ics, WORKSHOP, "CONFERENCE",
                "CONFERENCE;VALUE=URI:https://meet.example.org/fes-openness");
    char *c = component(ics, WORKSHOP);
    char *d = line(c, "DESCRIPTION");
    const char want[] = "DESCRIPTION;LANGUAGE=ar:https://meet.example.org/fes-openness\\n\\n"
                        "ورشة للإعداد المشترك";
    if (strncmp(d, want, strlen(want)) != 0)
        fail_msg("got %s", d);
    assert_non_null(strstr(d, "\\n\\nجدول الأعمال:\\n09:30–10:00 استقبال المشاركين"));
    free(d);
    free(c);
    assert_prop(ics, WORKSHOP "/slot-1", "URL", "URL:https://meet.example.org/fes-openness");
    assert_prop(ics, WORKSHOP "/slot-1", "CONFERENCE",
                "CONFERENCE;VALUE=URI:https://meet.example.org/fes-openness");
    assert_prop(ics, WORKSHOP "/slot-1", "DESCRIPTION",
                "DESCRIPTION;LANGUAGE=ar:https://meet.example.org/fes-openness\\n\\n"
                "ورشة الإعداد المشترك لبرنامج عمل الانفتاح جهة فاس مكناس");
    /* A URI is written as is; in text, ',' and ';' are escaped. No
     * description of its own: the link alone. */
    assert_prop(
        ics, RAMADAN, "URL",
        "URL:https://visio.example.org/b/rmcto-ramadan-training?pwd=a,b;c&lang=ar#join-now");
    assert_prop(ics, RAMADAN, "CONFERENCE",
                "CONFERENCE;VALUE=URI:https://visio.example.org/b/rmcto-ramadan-training?pwd=a,b;"
                "c&lang=ar#join-now");
    assert_prop(ics, RAMADAN, "DESCRIPTION",
                "DESCRIPTION;LANGUAGE=ar:https://visio.example.org/b/"
                "rmcto-ramadan-training?pwd=a\\,b\\;c&lang=ar#join-now");
    /* Without a link, the event's page, and nothing else. */
    assert_prop(ics, FORUM, "URL", "URL:https://agenda.rmcto.ma/events/" FORUM);
    c = component(ics, FORUM);
    assert_null(strstr(c, "CONFERENCE"));
    assert_null(line(c, "DESCRIPTION"));
    free(c);
    assert_int_equal(count(ics, "CONFERENCE;VALUE=URI:"), 7); /* 1 + 5 items, 1 */
    free(ics);
}

static void members_only_needs_the_token(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    char *ics = build(f, &q, NOW);
    assert_null(strstr(ics, MEMBERS));
    free(ics);
    q.members_only = true;
    ics = build(f, &q, NOW);
    assert_prop(ics, MEMBERS, "CLASS", "CLASS:PRIVATE");
    free(ics);

    ag_feed_query e = query(AG_FEED_EVENT, MEMBERS, "ar");
    char *out = NULL, *err = NULL;
    size_t len;
    assert_int_equal(ag_feed_build(&f->cfg, f->evs, f->n, &e, NOW, &out, &len, &err),
                     AG_FEED_NOT_FOUND);
    assert_null(out);
    free(err);
}

static void member_and_category_selection(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_MEMBER, "fes", "ar");
    char *ics = build(f, &q, NOW);
    assert_non_null(strstr(ics, "UID:" WORKSHOP "\r\n"));
    assert_null(strstr(ics, RABAT));
    assert_null(strstr(ics, MEMBERS)); /* no token */
    assert_non_null(strstr(ics, "NAME;LANGUAGE=ar:جماعة فاس\r\n"));
    free(ics);
    q.key = "rabat";
    q.members_only = true;
    ics = build(f, &q, NOW);
    assert_non_null(strstr(ics, "UID:" RABAT "\r\n"));
    assert_non_null(strstr(ics, "UID:" MEMBERS "\r\n"));
    free(ics);

    /* The workshop is in citizen-participation through one slot's axis. */
    q = query(AG_FEED_CATEGORY, "citizen-participation", "fr");
    ics = build(f, &q, NOW);
    assert_non_null(strstr(ics, "UID:" WORKSHOP "\r\n"));
    assert_null(strstr(ics, "UID:" FORUM "\r\n"));
    assert_non_null(strstr(ics, "NAME;LANGUAGE=fr:Participation citoyenne\r\n"));
    free(ics);
}

static void unknown_keys_are_not_found(void **state)
{
    fixture *f = *state;
    const ag_feed_query qs[] = {query(AG_FEED_MEMBER, "casablanca", "ar"),
                                query(AG_FEED_CATEGORY, "sports", "ar"),
                                query(AG_FEED_EVENT, "no-such-event", "ar")};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
        char *out = NULL, *err = NULL;
        size_t len;
        assert_int_equal(ag_feed_build(&f->cfg, f->evs, f->n, &qs[i], NOW, &out, &len, &err),
                         AG_FEED_NOT_FOUND);
        assert_non_null(err);
        free(err);
    }
}

static void empty_feed_is_a_calendar(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_CATEGORY, "digitalisation", "ar");
    q.from = utc(2030, 1, 1, 0, 0);
    q.to = utc(2031, 1, 1, 0, 0);
    char *ics = build(f, &q, NOW);
    assert_null(strstr(ics, "BEGIN:VEVENT"));
    assert_int_equal(count(ics, "BEGIN:VTIMEZONE"), 1);
    assert_non_null(strstr(ics, "END:VCALENDAR\r\n"));
    assert_well_folded(ics);
    save_sample("empty", ics);
    free(ics);
}

static void output_is_deterministic(void **state)
{
    fixture *f = *state;
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    q.members_only = true;
    ag_feed_parse_alarms("2h", &q);
    char *a = build(f, &q, NOW);
    char *b = build(f, &q, NOW);
    assert_string_equal(a, b);
    /* Input order does not matter either. */
    for (size_t i = 0; i < f->n / 2; i++) {
        ag_stored_event t = f->evs[i];
        f->evs[i] = f->evs[f->n - 1 - i];
        f->evs[f->n - 1 - i] = t;
    }
    char *c = build(f, &q, NOW);
    assert_string_equal(a, c);
    free(a);
    free(b);
    free(c);
}

static void lines_are_folded_on_characters(void **state)
{
    fixture *f = *state;
    const char *langs[] = {"ar", "fr"};
    for (size_t i = 0; i < 2; i++) {
        ag_feed_query q = query(AG_FEED_NETWORK, NULL, langs[i]);
        q.members_only = true;
        char *ics = build(f, &q, NOW);
        assert_well_folded(ics);
        /* Arabic summaries are long enough to be folded at least once. */
        assert_true(count(ics, "\r\n ") > 0);
        free(ics);
    }
    ag_feed_query q = query(AG_FEED_MEMBER, "fes-meknes", "ar");
    q.members_only = true;
    ag_feed_parse_alarms("1d,15m", &q);
    char *ics = build(f, &q, NOW);
    save_sample("member-fes-meknes-ar-alarms", ics);
    free(ics);
}

/* Items with the state the store keeps for each (store_slots.c): their own
 * UID and version, and those the agenda no longer has as CANCELLED until
 * the event has passed. */
static void items_have_their_own_uid_and_version(void **state)
{
    fixture *f = *state;
    ag_stored_event *se = &f->evs[f->n - 1];
    assert_string_equal(se->ev.uid, Y2027);
    const ag_slot slots[] = {
        timed_slot(at(2027, 2, 10, 9, 30), at(2027, 2, 10, 10, 0), "استقبال", "Accueil",
                   "reception", NULL),
        timed_slot(at(2027, 2, 10, 10, 0), at(2027, 2, 10, 11, 0), "البيانات المفتوحة",
                   "Données ouvertes", "workshop", "digitalisation"),
    };
    add_slots(&se->ev, 2, slots);
    ag_slot_state states[] = {
        {strdup(Y2027 "/slot-1"), se->sequence, se->created, se->last_modified, 0},
        {strdup(Y2027 "/open-data"), 0, utc(2026, 12, 1, 8, 0), utc(2026, 12, 1, 8, 0), 0},
    };
    ag_removed_slot removed = {
        timed_slot(at(2027, 2, 10, 11, 0), at(2027, 2, 10, 11, 30), "استراحة", "Pause", "break",
                   NULL),
        {strdup(Y2027 "/slot-2"), 3, se->created, utc(2026, 12, 2, 9, 0), utc(2026, 12, 2, 9, 0)}};
    se->slot_states = states;
    se->removed_slots = &removed;
    se->n_removed_slots = 1;

    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "fr");
    char *ics = build(f, &q, utc(2027, 2, 10, 10, 0));
    assert_prop(ics, Y2027 "/slot-1", "SEQUENCE", "SEQUENCE:2");
    assert_prop(ics, Y2027 "/slot-1", "DTSTAMP", "DTSTAMP:20230220T140500Z");
    assert_prop(ics, Y2027 "/open-data", "DTSTAMP", "DTSTAMP:20261201T080000Z");
    assert_prop(ics, Y2027 "/open-data", "CREATED", "CREATED:20261201T080000Z");
    assert_prop(ics, Y2027 "/open-data", "LAST-MODIFIED", "LAST-MODIFIED:20261201T080000Z");
    assert_prop(ics, Y2027 "/open-data", "SEQUENCE", "SEQUENCE:0");
    assert_prop(ics, Y2027 "/open-data", "STATUS", "STATUS:CONFIRMED");
    assert_prop(ics, Y2027 "/open-data", "RELATED-TO", "RELATED-TO;RELTYPE=PARENT:" Y2027);
    assert_prop(ics, Y2027 "/open-data", "URL", "URL:https://agenda.rmcto.ma/events/" Y2027);
    assert_prop(ics, Y2027 "/slot-2", "STATUS", "STATUS:CANCELLED");
    assert_prop(ics, Y2027 "/slot-2", "SEQUENCE", "SEQUENCE:3");
    assert_prop(ics, Y2027 "/slot-2", "DTSTAMP", "DTSTAMP:20261202T090000Z");
    assert_prop(ics, Y2027 "/slot-2", "SUMMARY", "SUMMARY;LANGUAGE=fr:Pause");
    assert_prop(ics, Y2027, "STATUS", "STATUS:CONFIRMED");
    char *c = component(ics, Y2027);
    char *d = line(c, "DESCRIPTION");
    assert_non_null(strstr(d, "Données ouvertes"));
    assert_null(strstr(d, "Pause")); /* the agenda as it is */
    free(d);
    free(c);
    free(ics);
    /* Once the event is over (12:00 in Casablanca, UTC+0 or +1), the
     * removed item leaves the feed; the event and its agenda stay. */
    ics = build(f, &q, utc(2027, 2, 10, 12, 30));
    assert_null(strstr(ics, "UID:" Y2027 "/slot-2\r\n"));
    assert_non_null(strstr(ics, "UID:" Y2027 "/open-data\r\n"));
    free(ics);
    /* A cancelled event cancels its items. */
    se->ev.status = AG_STATUS_CANCELLED;
    ics = build(f, &q, utc(2027, 2, 10, 10, 0));
    assert_prop(ics, Y2027 "/open-data", "STATUS", "STATUS:CANCELLED");
    assert_prop(ics, Y2027 "/slot-1", "STATUS", "STATUS:CANCELLED");
    free(ics);

    for (size_t i = 0; i < 2; i++)
        free(states[i].uid);
    ag_slot_free(&removed.slot);
    free(removed.state.uid);
    se->slot_states = NULL;
    se->removed_slots = NULL;
    se->n_removed_slots = 0;
}

/* Issue 15 item 2: an item's SEQUENCE moves when, and only when, its own
 * VEVENT changes. The store decides with ag_slot_equal and
 * ag_slot_context_equal (besides STATUS): here each change of an event or
 * of its item is published, in both languages, and the item's bytes must
 * differ exactly when those say "not equal". */
typedef struct {
    const char *what;
    void (*apply)(ag_event *ev);
    bool shows;
} item_change;

static void set_str(char **s, const char *v)
{
    free(*s);
    *s = dup(v);
}

static void ch_title_fr(ag_event *ev)
{
    set_str(&ev->title.fr, "Réunion mensuelle");
}
static void ch_title_ar(ag_event *ev)
{
    set_str(&ev->title.ar, "اجتماع");
}
static void ch_description(ag_event *ev)
{
    set_str(&ev->description.fr, "Ordre du jour en ligne");
}
static void ch_location(ag_event *ev)
{
    set_str(&ev->location.fr, "En ligne");
}
static void ch_end(ag_event *ev)
{
    ev->end.hour = 12;
}
static void ch_start(ag_event *ev)
{
    ev->start.minute = 30;
}
static void ch_categories(ag_event *ev)
{
    free(ev->categories[0]);
    ev->categories[0] = dup("digitalisation");
    ev->n_categories = 1;
}
static void ch_host(ag_event *ev)
{
    set_str(&ev->host, "fes");
}
static void ch_visibility(ag_event *ev)
{
    ev->visibility = AG_VIS_MEMBERS;
}
static void ch_rule(ag_event *ev)
{
    set_str(&ev->rrule, "FREQ=MONTHLY;BYDAY=1TU;COUNT=6");
}
static void ch_exdate(ag_event *ev)
{
    ev->exdates[0].month = 2;
    ev->exdates[0].day = 2;
}
static void ch_zone(ag_event *ev)
{
    set_str(&ev->tzid, "Europe/Paris");
}
static void ch_slot_title(ag_event *ev)
{
    set_str(&ev->slots[0].title.fr, "Tour de table des membres");
}
static void ch_slot_kind(ag_event *ev)
{
    set_str(&ev->slots[0].kind, "talk");
}
static void ch_slot_axis(ag_event *ev)
{
    set_str(&ev->slots[0].axis, "transparency");
}
static void ch_slot_end(ag_event *ev)
{
    ev->slots[0].end.minute = 50;
}
static void ch_slot_start(ag_event *ev)
{
    ev->slots[0].start.minute = 20;
}
static void ch_slot_id(ag_event *ev)
{
    set_str(&ev->slots[0].id, "tour");
}

/* The item's VEVENTs in the ar and fr event feeds, joined (NULL parts when
 * it is not published). */
static char *item_text(fixture *f, ag_stored_event *se)
{
    char *parts[2];
    const char *langs[] = {"ar", "fr"};
    for (size_t i = 0; i < 2; i++) {
        ag_feed_query q = query(AG_FEED_EVENT, MONTHLY, langs[i]);
        q.members_only = true;
        char *out = NULL, *err = NULL;
        size_t len = 0;
        if (ag_feed_build(&f->cfg, se, 1, &q, NOW, &out, &len, &err) != 0)
            fail_msg("build: %s", err);
        parts[i] = component(out, MONTHLY "/slot-1");
        free(out);
    }
    char *joined = NULL;
    if (asprintf(&joined, "%s\n%s", parts[0] ? parts[0] : "-", parts[1] ? parts[1] : "-") < 0)
        fail();
    free(parts[0]);
    free(parts[1]);
    return joined;
}

static void an_items_sequence_follows_its_own_vevent(void **state)
{
    fixture *f = *state;
    static const item_change changes[] = {
        {"event title (fr)", ch_title_fr, true},
        {"event title (ar)", ch_title_ar, true},
        {"event description", ch_description, false},
        {"event location", ch_location, true},
        {"event end", ch_end, false},
        {"event start (the item's EXDATE follows)", ch_start, true},
        {"event categories", ch_categories, false},
        {"event host", ch_host, false},
        {"event visibility", ch_visibility, true},
        {"event rule", ch_rule, true},
        {"event exception", ch_exdate, true},
        {"event zone", ch_zone, true},
        {"item title", ch_slot_title, true},
        {"item kind", ch_slot_kind, true},
        {"item axis", ch_slot_axis, true},
        {"item end", ch_slot_end, true},
        {"item start", ch_slot_start, true},
        {"item id", ch_slot_id, false},
    };
    ag_slot_state st = {dup(MONTHLY "/slot-1"), 1, utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 0, 0), 0};
    ag_stored_event base = monthly();
    free(base.ev.categories);
    base.ev.categories = strv(&base.ev.n_categories, "transparency", NULL);
    base.slot_states = &st;
    char *before = item_text(f, &base);
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        ag_stored_event changed = monthly();
        free(changed.ev.categories);
        changed.ev.categories = strv(&changed.ev.n_categories, "transparency", NULL);
        changed.slot_states = &st;
        changes[i].apply(&changed.ev);
        char *after = item_text(f, &changed);
        bool shows = strcmp(before, after) != 0;
        bool equal = ag_slot_equal(&base.ev.slots[0], &changed.ev.slots[0]) &&
                     ag_slot_context_equal(&base.ev, &changed.ev);
        if (shows != changes[i].shows || equal == shows)
            fail_msg("%s: the item's VEVENT %s, the store calls it %s", changes[i].what,
                     shows ? "changes" : "stays", equal ? "equal" : "changed");
        free(after);
        ag_event_free(&changed.ev);
    }
    free(before);
    ag_event_free(&base.ev);
    free(st.uid);
}

/* A network-sized feed: every event and slot comes out. How fast it builds
 * is the benchmark's business (tests/bench/), never a pass/fail condition. */
static void large_feed_builds_every_event(void **state)
{
    (void)state;
    if (getenv("AGENDAD_FEED_SAMPLES"))
        skip();        /* only writing samples for the parser test */
    enum { N = 3000 }; /* large enough for any per-event bug, quick under ASan */
    ag_config cfg;
    make_config(&cfg);
    ag_stored_event *evs = calloc(N, sizeof *evs);
    for (size_t i = 0; i < N; i++) {
        char uid[64];
        snprintf(uid, sizeof uid, "bench-%05zu", i);
        int d = 1 + (int)(i % 28), mo = 1 + (int)(i / 28 % 12);
        evs[i] = stored(uid, at(2026, mo, d, 9, 0), at(2026, mo, d, 17, 0), "ورشة عمل حول الانفتاح",
                        "Atelier sur l'ouverture");
        ag_slot slots[8];
        for (int s = 0; s < 8; s++)
            slots[s] = timed_slot(at(2026, mo, d, 9 + s, 0), at(2026, mo, d, 9 + s, 45), "جلسة",
                                  "Séance", "session", NULL);
        add_slots(&evs[i].ev, 8, slots);
    }
    ag_feed_query q = query(AG_FEED_NETWORK, NULL, "ar");
    char *out = NULL, *err = NULL;
    size_t len = 0;
    assert_int_equal(ag_feed_build(&cfg, evs, N, &q, NOW, &out, &len, &err), 0);
    assert_int_equal(count_lines(out, "BEGIN:VEVENT"), N * 9);
    free(out);
    for (size_t i = 0; i < N; i++)
        ag_event_free(&evs[i].ev);
    free(evs);
    free_config(&cfg);
}

int main(void)
{
    if (ag_tz_init() != 0) {
        fprintf(stderr, "no Africa/Casablanca in the system tzdata\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_off_times_are_utc, setup, teardown),
        cmocka_unit_test_setup_teardown(all_day_end_is_exclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(series_keep_local_time_and_one_vtimezone, setup, teardown),
        cmocka_unit_test_setup_teardown(all_day_series_use_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(slots_are_children, setup, teardown),
        cmocka_unit_test_setup_teardown(stamps_come_from_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(calendar_properties, setup, teardown),
        cmocka_unit_test_setup_teardown(language_follows_the_text, setup, teardown),
        cmocka_unit_test_setup_teardown(event_feed_escapes_text, setup, teardown),
        cmocka_unit_test_setup_teardown(alarms_on_events_only, setup, teardown),
        cmocka_unit_test(alarm_lists_are_checked),
        cmocka_unit_test_setup_teardown(window_leaves_out_what_is_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(removed_event_cancelled_until_over, setup, teardown),
        cmocka_unit_test_setup_teardown(cancelled_visible_for_google, setup, teardown),
        cmocka_unit_test_setup_teardown(online_url_goes_out_three_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(members_only_needs_the_token, setup, teardown),
        cmocka_unit_test_setup_teardown(member_and_category_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_keys_are_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_feed_is_a_calendar, setup, teardown),
        cmocka_unit_test_setup_teardown(output_is_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(lines_are_folded_on_characters, setup, teardown),
        cmocka_unit_test_setup_teardown(items_have_their_own_uid_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(an_items_sequence_follows_its_own_vevent, setup, teardown),
        cmocka_unit_test(large_feed_builds_every_event),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ag_tz_shutdown();
    return rc;
}
