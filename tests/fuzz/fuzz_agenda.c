/* libFuzzer target: the agenda plugin's renderer (plugins/agenda: pages.c,
 * datefmt.c, templates.c, tmpl.c, agenda_model.c) behind a host of its own
 * that serves one event made from the input. Every page the plugin serves
 * for an event is rendered with the built-in templates: event.html,
 * agenda.md, agenda.txt and the front page, in Arabic or (lang=fr) French.
 *
 * Input: lines "key=value" (a "\n" in a value is a line break):
 *   uid title title_ar title_fr description[_ar|_fr] location[_ar|_fr]
 *   tz start end (Unix seconds) all_day status host hijri now past lang
 *   category=ID, audience=SELECTOR (repeated)
 *   slot=START,END,KIND,AXIS,TITLE (minutes from the event's start; START
 *        "-" for an untimed slot; repeated)
 * Instants are clamped to what the host can hand out (years 1900..2200),
 * so that a report is the renderer's fault, not the harness's. */
#include "datefmt.h"
#include "pages.h"
#include "templates.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_SLOTS = 64, MAX_LIST = 16, DAY = 86400 };
#define MIN_T (-2208988800LL) /* 1900-01-01 */
#define MAX_T 7258118400LL    /* 2200-01-01 */

typedef struct {
    const char *title, *kind, *axis;
    agendad_slot s;
} slot;

struct agendad_event {
    const char *uid, *tz, *host;
    const char *text[3][2]; /* AGENDAD_TEXT_* x {ar, fr} */
    int64_t start, end;
    bool all_day;
    agendad_status status;
    const char *categories[MAX_LIST], *audience[MAX_LIST];
    size_t n_categories, n_audience, n_slots;
    slot slots[MAX_SLOTS];
};

struct agendad_member {
    const char *id, *name_ar, *name_fr;
    agendad_member_kind kind;
};

static const agendad_member members[] = {
    {"fes-meknes", "جهة فاس مكناس", "Région Fès-Meknès", AGENDAD_MEMBER_REGION},
    {"taounate", "إقليم تاونات", "Province de Taounate", AGENDAD_MEMBER_PROVINCE},
    {"chefchaouen", "جماعة شفشاون", "Commune de Chefchaouen", AGENDAD_MEMBER_COMMUNE},
};
enum { N_MEMBERS = sizeof members / sizeof members[0] };

static const struct {
    const char *id, *ar, *fr;
    bool axis;
} categories[] = {
    {"digitalisation", "الرقمنة", "Digitalisation", true},
    {"access-to-information", "الحق في الحصول على المعلومات", "Accès à l'information", true},
    {"training", "تكوين", "Formation", false},
};
enum { N_CATEGORIES = sizeof categories / sizeof categories[0] };

static int64_t clamp(long long v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static bool is_fr(const char *lang)
{
    return strcmp(lang, "fr") == 0;
}

/* ------------------------------------------------------------ the host */

static const char *ev_uid(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev->uid;
}

static const char *ev_text(agendad_plugin *self, const agendad_event *ev, agendad_text_field f,
                           const char *lang)
{
    (void)self;
    return ev->text[f][is_fr(lang)];
}

static int ev_when(agendad_plugin *self, const agendad_event *ev, agendad_when *out)
{
    (void)self;
    *out = (agendad_when){ev->start, ev->end, ev->all_day, ev->tz};
    return 0;
}

static agendad_status ev_status(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev->status;
}

static agendad_visibility ev_visibility(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    (void)ev;
    return AGENDAD_VIS_PUBLIC;
}

static const char *ev_host(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev->host;
}

static size_t ev_category_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev->n_categories;
}

static const char *ev_category(agendad_plugin *self, const agendad_event *ev, size_t i)
{
    (void)self;
    return i < ev->n_categories ? ev->categories[i] : NULL;
}

static size_t ev_slot_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev->n_slots;
}

static int ev_slot(agendad_plugin *self, const agendad_event *ev, size_t i, agendad_slot *out)
{
    (void)self;
    if (i >= ev->n_slots)
        return -1;
    *out = ev->slots[i].s;
    return 0;
}

static const char *ev_slot_title(agendad_plugin *self, const agendad_event *ev, size_t i,
                                 const char *lang)
{
    (void)self;
    (void)lang;
    return i < ev->n_slots ? ev->slots[i].title : NULL;
}

static size_t ev_audience_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev->n_audience;
}

static const char *ev_audience(agendad_plugin *self, const agendad_event *ev, size_t i)
{
    (void)self;
    return i < ev->n_audience ? ev->audience[i] : NULL;
}

static bool ev_invites(agendad_plugin *self, const agendad_event *ev, const char *member)
{
    (void)self;
    for (size_t i = 0; i < ev->n_audience; i++)
        if (strcmp(ev->audience[i], member) == 0)
            return true;
    return ev->host && strcmp(ev->host, member) == 0;
}

static const agendad_member *member_find(agendad_plugin *self, const char *id)
{
    (void)self;
    for (size_t i = 0; id && i < N_MEMBERS; i++)
        if (strcmp(members[i].id, id) == 0)
            return &members[i];
    return NULL;
}

static const char *member_id(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m->id;
}

static const char *member_name(agendad_plugin *self, const agendad_member *m, const char *lang)
{
    (void)self;
    return is_fr(lang) ? m->name_fr : m->name_ar;
}

static agendad_member_kind member_kind(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m->kind;
}

static size_t member_count(agendad_plugin *self)
{
    (void)self;
    return N_MEMBERS;
}

static const agendad_member *member_at(agendad_plugin *self, size_t i)
{
    (void)self;
    return i < N_MEMBERS ? &members[i] : NULL;
}

static const char *setting(agendad_plugin *self, const char *key)
{
    (void)self;
    return strcmp(key, "base_url") == 0 ? "https://agenda.rmcto.ma" : NULL;
}

static const char *network_text(agendad_plugin *self, const char *field, const char *lang)
{
    (void)self;
    if (strcmp(field, "name") == 0)
        return is_fr(lang) ? "Réseau marocain des collectivités territoriales ouvertes"
                           : "الشبكة المغربية للجماعات الترابية المنفتحة";
    return NULL;
}

static size_t category_count(agendad_plugin *self)
{
    (void)self;
    return N_CATEGORIES;
}

static const char *category_id(agendad_plugin *self, size_t i)
{
    (void)self;
    return i < N_CATEGORIES ? categories[i].id : NULL;
}

static const char *category_name(agendad_plugin *self, const char *id, const char *lang)
{
    (void)self;
    for (size_t i = 0; id && i < N_CATEGORIES; i++)
        if (strcmp(categories[i].id, id) == 0)
            return is_fr(lang) ? categories[i].fr : categories[i].ar;
    return NULL;
}

static bool category_is_axis(agendad_plugin *self, const char *id)
{
    (void)self;
    for (size_t i = 0; id && i < N_CATEGORIES; i++)
        if (strcmp(categories[i].id, id) == 0)
            return categories[i].axis;
    return false;
}

/* Morocco's zone by its 2026 rules (UTC+1, then UTC+0 from 2026-09-20, no
 * Ramadan switch: the renderer only needs plausible offsets), UTC, and an
 * unknown zone as the host reports it. */
static int utc_offset(agendad_plugin *self, const char *tz, int64_t t, int32_t *offset)
{
    (void)self;
    if (tz && strcmp(tz, "Africa/Casablanca") == 0) {
        *offset = t < 1789869600 ? 3600 : 0;
        return 0;
    }
    if (tz && strcmp(tz, "UTC") == 0) {
        *offset = 0;
        return 0;
    }
    return -1;
}

static const agendad_event *the_event;

static int event_foreach(agendad_plugin *self, int (*fn)(const agendad_event *ev, void *data),
                         void *data)
{
    (void)self;
    return fn(the_event, data);
}

static const agendad_host host = {
    .size = sizeof(agendad_host),
    .event_foreach = event_foreach,
    .event_uid = ev_uid,
    .event_text = ev_text,
    .event_when = ev_when,
    .event_status = ev_status,
    .event_visibility = ev_visibility,
    .event_host_member = ev_host,
    .event_category_count = ev_category_count,
    .event_category = ev_category,
    .event_slot_count = ev_slot_count,
    .event_slot = ev_slot,
    .event_slot_title = ev_slot_title,
    .member_find = member_find,
    .member_id = member_id,
    .member_name = member_name,
    .member_kind = member_kind,
    .setting = setting,
    .network_text = network_text,
    .category_count = category_count,
    .category_id = category_id,
    .category_name = category_name,
    .category_is_axis = category_is_axis,
    .member_count = member_count,
    .member_at = member_at,
    .event_audience_count = ev_audience_count,
    .event_audience = ev_audience,
    .event_invites = ev_invites,
    .event_span = ev_when,
    .utc_offset = utc_offset,
};

/* ------------------------------------------------------------ the input */

/* In place: "\n" (backslash, n) becomes a line break. */
static char *unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return s;
}

static void set_text(agendad_event *ev, agendad_text_field f, const char *suffix, const char *v)
{
    if (!*suffix || strcmp(suffix, "_ar") == 0)
        ev->text[f][0] = v;
    if (!*suffix || strcmp(suffix, "_fr") == 0)
        ev->text[f][1] = v;
}

/* "START,END,KIND,AXIS,TITLE"; missing parts are absent. */
static void add_slot(agendad_event *ev, char *v)
{
    if (ev->n_slots == MAX_SLOTS)
        return;
    slot *s = &ev->slots[ev->n_slots++];
    char *parts[5] = {0};
    for (int i = 0; i < 5 && v; i++) {
        parts[i] = v;
        v = i < 4 ? strchr(v, ',') : NULL;
        if (v)
            *v++ = '\0';
    }
    s->s.timed = parts[0] && parts[0][0] != '-' && parts[0][0] != '\0';
    if (s->s.timed) {
        int64_t span = 60LL * 24 * 60; /* minutes in 60 days */
        int64_t from = clamp(strtoll(parts[0], NULL, 10), -span, span);
        int64_t to = parts[1] ? clamp(strtoll(parts[1], NULL, 10), from, span) : from;
        s->s.start = clamp(ev->start + from * 60, MIN_T, MAX_T);
        s->s.end = clamp(ev->start + to * 60, s->s.start, MAX_T);
    }
    s->s.kind = s->kind = parts[2] && *parts[2] ? parts[2] : NULL;
    s->s.axis = s->axis = parts[3] && *parts[3] ? parts[3] : NULL;
    s->title = parts[4];
}

static const agendad_status statuses[] = {AGENDAD_STATUS_CONFIRMED, AGENDAD_STATUS_TENTATIVE,
                                          AGENDAD_STATUS_CANCELLED};

typedef struct {
    const char *hijri, *lang;
    int64_t now;
    bool past;
} options;

static void set_field(agendad_event *ev, options *o, const char *key, char *v)
{
    static const char *const texts[] = {"title", "description", "location"};
    for (int f = 0; f < 3; f++) {
        size_t n = strlen(texts[f]);
        if (strncmp(key, texts[f], n) == 0)
            set_text(ev, (agendad_text_field)f, key + n, v);
    }
    if (strcmp(key, "uid") == 0)
        ev->uid = v;
    else if (strcmp(key, "tz") == 0)
        ev->tz = v;
    else if (strcmp(key, "host") == 0)
        ev->host = v;
    else if (strcmp(key, "start") == 0)
        ev->start = clamp(strtoll(v, NULL, 10), MIN_T, MAX_T);
    else if (strcmp(key, "end") == 0)
        ev->end = clamp(strtoll(v, NULL, 10), MIN_T, MAX_T);
    else if (strcmp(key, "all_day") == 0)
        ev->all_day = *v == '1';
    else if (strcmp(key, "status") == 0)
        ev->status = statuses[strtoul(v, NULL, 10) % 3];
    else if (strcmp(key, "hijri") == 0)
        o->hijri = datefmt_hijri_valid(v) ? v : NULL;
    else if (strcmp(key, "now") == 0)
        o->now = clamp(strtoll(v, NULL, 10), MIN_T, MAX_T);
    else if (strcmp(key, "past") == 0)
        o->past = *v == '1';
    else if (strcmp(key, "lang") == 0)
        o->lang = strcmp(v, "fr") == 0 ? "fr" : "ar";
    else if (strcmp(key, "category") == 0 && ev->n_categories < MAX_LIST)
        ev->categories[ev->n_categories++] = v;
    else if (strcmp(key, "audience") == 0 && ev->n_audience < MAX_LIST)
        ev->audience[ev->n_audience++] = v;
    else if (strcmp(key, "slot") == 0)
        add_slot(ev, v);
}

/* Slots are read after start, whatever the order of the lines. */
static void parse(char *text, agendad_event *ev, options *o)
{
    *ev = (agendad_event){.uid = "fuzz", .tz = "Africa/Casablanca", .start = 1678179600};
    ev->end = ev->start + 3600;
    *o = (options){.now = 1678100000, .lang = "ar"};
    char *slots[MAX_SLOTS];
    size_t n_slots = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *v = unescape(eq + 1);
        if (strcmp(line, "slot") == 0) {
            if (n_slots < MAX_SLOTS)
                slots[n_slots++] = v;
        } else {
            set_field(ev, o, line, v);
        }
    }
    if (ev->end < ev->start)
        ev->end = ev->start;
    if (ev->end - ev->start > 400 * DAY)
        ev->end = ev->start + 400 * DAY;
    for (size_t i = 0; i < n_slots; i++)
        add_slot(ev, slots[i]);
}

/* ------------------------------------------------------------ rendering */

static datefmt *df;
static templates tpl;

/* Values always become text: no input may open a tag of its own. */
static void render(const tmpl *t, const tv *values, bool html)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return;
    tmpl_render(t, values, out);
    fclose(out);
    if (html && buf && strstr(buf, "<x-fuzz"))
        abort();
    if (buf && getenv("FUZZ_AGENDA_PRINT")) /* to see what a seed renders */
        fwrite(buf, 1, len, stdout);
    free(buf);
}

static void init_once(void)
{
    if (df)
        return;
    char err[512];
    df = datefmt_new();
    if (!df || templates_load(&tpl, "/nonexistent", NULL, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_agenda: cannot set up: %s\n", df ? err : "no ICU formatter");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    agendad_event ev;
    options o;
    parse(text, &ev, &o);
    the_event = &ev;
    pages_ctx c = {.h = &host, .df = df, .hijri = o.hijri};
    /* The values of a page are built once (ICU dates are most of the cost)
     * and rendered by each template that shows them, as the plugin does. */
    tv *values = pages_event(&c, &ev, o.lang);
    if (values) {
        render(tpl.event, values, true);
        render(tpl.agenda_md, values, false);
        render(tpl.agenda_txt, values, false);
        tv_free(values);
    }
    if ((values = pages_index(&c, o.lang, o.past, o.now))) {
        render(tpl.index, values, true);
        tv_free(values);
    }
    free(text);
    return 0;
}
