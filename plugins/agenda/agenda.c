/* agenda: the network's public web pages and printable agendas.
 *
 *   GET /                               upcoming events, subscribe links
 *   GET /?past=1                        past events
 *   GET /events/UID                     an event and its agenda (prints on A4)
 *   GET /events/UID/agenda.md, .txt     the agenda as Markdown / plain text
 *   agendad agenda UID --format html|md|txt [--lang ar|fr]
 *
 *   GET /events/UID?past=1              a series' past dates
 *
 * Every page takes ?lang=ar|fr; without it the browser's Accept-Language
 * (else the daemon's default language) picks one and the request is
 * redirected, so that each URL names one language and caches as one.
 * Pages are built from templates (templates.h), kept per store generation
 * (and, for those that split dates at "now", until the next date ends) and
 * served with the core's ETag/304/gzip. The core keeps /feeds/... and
 * /events/UID.ics: its routes come first. */
#include "pages.h"
#include "plugin_i18n.h"
#include "templates.h"

#include <agendad/plugin.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_MAX_AGE 60
#define CACHE_MAX 64

typedef struct {
    char *key;
    char *body;
    size_t len;
    int64_t built;
    int64_t expires; /* rebuilt from then on (INT64_MAX: not before a reload) */
} cached;

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
    pages_ctx pages;
    char *hijri;
    const char *templates_dir; /* the admin's overrides; NULL: none */
    templates tpl;
    uint64_t generation;
    cached cache[CACHE_MAX];
    size_t n_cached;
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    agendad_check *check; /* while `agendad check` runs ours: config errors go there */
#endif
} agenda;

/* ------------------------------------------------------------- config */

/* In the admin's language, in a check as in the log: a config error. */
__attribute__((format(printf, 3, 4))) static void
config_error(agenda *a, const agendad_config_node *n, const char *fmt, ...)
{
    const char *file;
    int line, col;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, P_(fmt), ap);
    va_end(ap);
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    if (a->check) {
        a->host->check_error(a->check, n, "%s", msg);
        return;
    }
#endif
    a->host->config_location(n, &file, &line, &col);
    a->host->log(a->self, AGENDAD_LOG_ERR, "%s:%d:%d: %s", file ? file : "agendad.yaml", line, col,
                 msg);
}

static int read_hijri(agenda *a, const agendad_config_node *n)
{
    const char *v = a->host->config_scalar(n);
    if (v && strcmp(v, "off") == 0)
        return 0;
    if (!datefmt_hijri_valid(v)) {
        config_error(a, n,
                     PN_("hijri must be off, islamic-umalqura, islamic-civil, islamic-tbla or "
                         "islamic"));
        return -1;
    }
    a->hijri = strdup(v);
    return a->hijri ? 0 : -1;
}

static int read_adjust(agenda *a, const agendad_config_node *n)
{
    const char *v = a->host->config_scalar(n);
    char *end = NULL;
    long days = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || days < -2 || days > 2) {
        config_error(a, n, PN_("hijri_adjust must be a whole number of days from -2 to 2"));
        return -1;
    }
    a->pages.hijri_adjust = (int)days;
    return 0;
}

static int read_templates(agenda *a, const agendad_config_node *n)
{
    a->templates_dir = a->host->config_scalar(n);
    if (!a->templates_dir || !*a->templates_dir) {
        config_error(a, n, PN_("templates must be a directory, like templates: templates"));
        return -1;
    }
    return 0;
}

static int read_config(agenda *a)
{
    const agendad_host *h = a->host;
    const agendad_config_node *section = h->config(a->self);
    for (size_t i = 0; i < h->config_len(section); i++) {
        const char *key = h->config_key(section, i);
        const agendad_config_node *v = h->config_item(section, i);
        int rc;
        if (strcmp(key, "hijri") == 0)
            rc = read_hijri(a, v);
        else if (strcmp(key, "hijri_adjust") == 0)
            rc = read_adjust(a, v);
        else if (strcmp(key, "templates") == 0)
            rc = read_templates(a, v);
        else {
            config_error(a, v,
                         PN_("unknown key \"%s\" (the agenda plugin knows hijri, hijri_adjust, "
                             "templates)"),
                         key);
            rc = -1;
        }
        if (rc != 0)
            return -1;
    }
    if (!h->config_get(section, "templates"))
        a->templates_dir = "templates";
    a->pages.hijri = a->hijri;
    return 0;
}

/* -------------------------------------------------------------- cache */

static void cache_clear(agenda *a)
{
    for (size_t i = 0; i < a->n_cached; i++) {
        free(a->cache[i].key);
        free(a->cache[i].body);
    }
    a->n_cached = 0;
}

/* Pages are valid for one store generation: a reload drops them all. */
static void cache_sync(agenda *a)
{
    uint64_t gen = a->host->store_generation(a->self);
    if (gen != a->generation) {
        cache_clear(a);
        a->generation = gen;
    }
}

/* A page that splits dates at "now" holds until its earliest date not yet
 * over ends; a clock set back also rebuilds it. */
static const cached *cache_get(agenda *a, const char *key, int64_t now)
{
    cache_sync(a);
    for (size_t i = 0; i < a->n_cached; i++)
        if (strcmp(a->cache[i].key, key) == 0 && now < a->cache[i].expires &&
            now >= a->cache[i].built)
            return &a->cache[i];
    return NULL;
}

static const cached *cache_put(agenda *a, const char *key, char *body, size_t len, int64_t now,
                               int64_t expires)
{
    for (size_t i = 0; i < a->n_cached; i++)
        if (strcmp(a->cache[i].key, key) == 0) {
            free(a->cache[i].body);
            a->cache[i].body = body;
            a->cache[i].len = len;
            a->cache[i].built = now;
            a->cache[i].expires = expires;
            return &a->cache[i];
        }
    if (a->n_cached == CACHE_MAX)
        cache_clear(a); /* a burst of variants: start over rather than track use */
    char *k = strdup(key);
    if (!k) {
        free(body);
        return NULL;
    }
    a->cache[a->n_cached] = (cached){k, body, len, now, expires};
    return &a->cache[a->n_cached++];
}

/* ------------------------------------------------------------ rendering */

/* Renders values with t into a malloc'd buffer; NULL on failure. */
static char *render(const tmpl *t, tv *values, size_t *len)
{
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    if (!out) {
        tv_free(values);
        return NULL;
    }
    int rc = tmpl_render(t, values, out);
    tv_free(values);
    if (fclose(out) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

typedef enum { PAGE_HTML, PAGE_MD, PAGE_TXT } page_format;

static const tmpl *event_template(const agenda *a, page_format f)
{
    return f == PAGE_MD ? a->tpl.agenda_md : f == PAGE_TXT ? a->tpl.agenda_txt : a->tpl.event;
}

static char *render_event(agenda *a, const agendad_event *ev, page_format f, pages_request *r,
                          size_t *len)
{
    tv *values = pages_event_for(&a->pages, ev, r);
    return values ? render(event_template(a, f), values, len) : NULL;
}

/* ----------------------------------------------------------------- HTTP */

static bool lang_ok(const char *lang)
{
    return lang && (strcmp(lang, "ar") == 0 || strcmp(lang, "fr") == 0);
}

/* past= is absent, 0 or 1. */
static bool past_ok(const char *past)
{
    return !past || strcmp(past, "0") == 0 || strcmp(past, "1") == 0;
}

/* The preferred of ar and fr in an Accept-Language header ("fr-MA,fr;q=0.9,
 * ar;q=0.8"), by quality then order; NULL when it names neither. */
static const char *accept_language(const char *header)
{
    const char *best = NULL;
    double best_q = 0;
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        const char *lang = strncmp(p, "ar", 2) == 0 ? "ar" : strncmp(p, "fr", 2) == 0 ? "fr" : NULL;
        bool whole = len >= 2 && strchr("-_; ,", p[2] ? p[2] : ',') != NULL;
        const char *q = memchr(p, ';', len) ? strstr(p, "q=") : NULL;
        double qv = q && q < p + len ? strtod(q + 2, NULL) : 1.0;
        if (lang && whole && qv > best_q) {
            best = lang;
            best_q = qv;
        }
        p += len;
    }
    return best;
}

/* Sends the visitor to the same page with ?lang= added. */
static void redirect_to_language(agenda *a, agendad_request *req, const char *path)
{
    const agendad_host *h = a->host;
    const char *lang = accept_language(h->request_header(req, "Accept-Language"));
    if (!lang)
        lang = h->setting(a->self, "language");
    const char *past = h->request_query(req, "past");
    char location[1024];
    snprintf(location, sizeof location, "Location: %s?lang=%s%s", path, lang_ok(lang) ? lang : "ar",
             past && strcmp(past, "1") == 0 ? "&past=1" : "");
    const char *const headers[] = {location, "Vary: Accept-Language", "Cache-Control: no-cache",
                                   NULL};
    static const char body[] = "See the page in your language.\n";
    h->respond(req, 302, "text/plain; charset=utf-8", body, sizeof body - 1, headers);
}

static void send_page(agenda *a, agendad_request *req, const cached *page, const char *type)
{
    if (!page) {
        a->host->respond_error(req, 503, "the page could not be built");
        return;
    }
    a->host->respond_cached(req, type, page->body, page->len, page->built, PAGE_MAX_AGE);
}

static void serve_index(agendad_request *req, void *data)
{
    agenda *a = data;
    const agendad_host *h = a->host;
    const char *lang = h->request_query(req, "lang");
    if (!lang) {
        redirect_to_language(a, req, "/");
        return;
    }
    const char *past_q = h->request_query(req, "past");
    if (!lang_ok(lang) || !past_ok(past_q)) {
        h->respond_error(req, 400, "lang must be ar or fr, past 0 or 1");
        return;
    }
    pages_request r = {.lang = lang, .now = (int64_t)time(NULL), .past = past_q && *past_q == '1'};
    char key[64];
    snprintf(key, sizeof key, "index %s %d", lang, r.past);
    const cached *page = cache_get(a, key, r.now);
    if (!page) {
        size_t len = 0;
        tv *values = pages_index_for(&a->pages, &r);
        char *body = values ? render(a->tpl.index, values, &len) : NULL;
        page = body ? cache_put(a, key, body, len, r.now, r.expires) : NULL;
    }
    send_page(a, req, page, "text/html; charset=utf-8");
}

/* "/events/UID", "/events/UID/agenda.md", "/events/UID/agenda.txt" */
static bool parse_event_path(const char *path, char *uid, size_t size, page_format *f)
{
    const char *p = path + strlen("/events/");
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if (len == 0 || len >= size)
        return false;
    if (!slash)
        *f = PAGE_HTML;
    else if (strcmp(slash, "/agenda.md") == 0)
        *f = PAGE_MD;
    else if (strcmp(slash, "/agenda.txt") == 0)
        *f = PAGE_TXT;
    else
        return false;
    memcpy(uid, p, len);
    uid[len] = '\0';
    return true;
}

static const char *const content_types[] = {
    "text/html; charset=utf-8", "text/markdown; charset=utf-8", "text/plain; charset=utf-8"};

static void serve_event(agendad_request *req, void *data)
{
    agenda *a = data;
    const agendad_host *h = a->host;
    const char *path = h->request_path(req);
    char uid[256];
    page_format f;
    const agendad_event *ev = NULL;
    if (strncmp(path, "/events/", 8) == 0 && parse_event_path(path, uid, sizeof uid, &f))
        ev = h->event_find(a->self, uid);
    if (!ev || !pages_public(&a->pages, ev)) {
        h->respond_error(req, 404, "no such event");
        return;
    }
    const char *lang = h->request_query(req, "lang");
    if (!lang) {
        redirect_to_language(a, req, path);
        return;
    }
    const char *past_q = h->request_query(req, "past");
    if (!lang_ok(lang) || !past_ok(past_q)) {
        h->respond_error(req, 400, "lang must be ar or fr, past 0 or 1");
        return;
    }
    pages_request r = {.lang = lang, .now = (int64_t)time(NULL), .past = past_q && *past_q == '1'};
    char key[320];
    snprintf(key, sizeof key, "event %s %s %d %d", uid, lang, (int)f, r.past);
    const cached *page = cache_get(a, key, r.now);
    if (!page) {
        size_t len = 0;
        char *body = render_event(a, ev, f, &r, &len);
        page = body ? cache_put(a, key, body, len, r.now, r.expires) : NULL;
    }
    send_page(a, req, page, content_types[f]);
}

/* ------------------------------------------------------ command line */

static int render_command(const agendad_render_request *r, FILE *out, void *data)
{
    agenda *a = data;
    static const char *const names[] = {"html", "md", "txt"};
    page_format f = PAGE_HTML;
    while (f <= PAGE_TXT && strcmp(r->format, names[f]) != 0)
        f++;
    if (f > PAGE_TXT) {
        a->host->log(a->self, AGENDAD_LOG_ERR, "format must be html, md or txt, not \"%s\"",
                     r->format);
        return AGENDAD_EINVAL;
    }
    const char *lang = r->lang ? r->lang : a->host->setting(a->self, "language");
    if (!lang_ok(lang)) {
        a->host->log(a->self, AGENDAD_LOG_ERR, "lang must be ar or fr");
        return AGENDAD_EINVAL;
    }
    const agendad_event *ev = r->key ? a->host->event_find(a->self, r->key) : NULL;
    if (!ev)
        return AGENDAD_ENOENT;
    size_t len = 0;
    pages_request req = {.lang = lang, .now = (int64_t)time(NULL)};
    char *body = render_event(a, ev, f, &req, &len);
    if (!body)
        return AGENDAD_ENOMEM;
    fwrite(body, 1, len, out);
    free(body);
    return 0;
}

/* --------------------------------------------------------------- setup */

static void load_templates(agenda *a)
{
    char err[512];
    templates fresh;
    const char *config_dir = a->host->setting(a->self, "config_dir");
    if (templates_load(&fresh, config_dir, a->templates_dir, err, sizeof err) != 0) {
        a->host->log(a->self, AGENDAD_LOG_ERR, "%s; keeping the previous templates", err);
        return;
    }
    templates_free(&a->tpl);
    a->tpl = fresh;
}

/* A reload may come with edited templates: read them again (and the store
 * generation drops the pages built with the old ones). */
static void on_reload(const agendad_changes *changes, void *data)
{
    (void)changes;
    agenda *a = data;
    load_templates(a);
    cache_clear(a);
}

static int register_all(agenda *a)
{
    const agendad_host *h = a->host;
    int rc = h->register_route(a->self, "/", serve_index, a);
    if (rc == 0)
        rc = h->register_route(a->self, "/events", serve_event, a);
    if (rc == 0)
        rc = h->register_renderer(a->self, "agenda", render_command, a);
    if (rc == 0)
        rc = h->register_listener(a->self, on_reload, a);
    if (rc != 0)
        h->log(a->self, AGENDAD_LOG_ERR, "registration failed: %s", h->strerror(rc));
    return rc;
}

static void agenda_free(agenda *a)
{
    cache_clear(a);
    templates_free(&a->tpl);
    datefmt_free(a->pages.df);
    free(a->hijri);
    free(a);
}

static int start(agenda *a)
{
    if (read_config(a) != 0)
        return -1;
    char err[512];
    const char *config_dir = a->host->setting(a->self, "config_dir");
    if (templates_load(&a->tpl, config_dir, a->templates_dir, err, sizeof err) != 0) {
        a->host->log(a->self, AGENDAD_LOG_ERR, "%s", err);
        return -1;
    }
    return register_all(a);
}

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* `agendad check` (ABI 1.8): what start() refuses, the settings and the
 * admin's templates, reported where they are written. */
static void check_settings(agendad_check *c, void *data)
{
    agenda *a = data;
    free(a->hijri);
    a->hijri = NULL;
    a->check = c;
    int rc = read_config(a);
    a->check = NULL;
    char err[512];
    templates tpl = {0};
    const char *config_dir = a->host->setting(a->self, "config_dir");
    if (rc == 0 && templates_load(&tpl, config_dir, a->templates_dir, err, sizeof err) != 0)
        a->host->check_error(c, a->host->config_get(a->host->config(a->self), "templates"), "%s",
                             err);
    templates_free(&tpl);
}
#endif

static int agenda_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    if (!AGENDAD_HOST_HAS(host, register_renderer) || !AGENDAD_HOST_HAS(host, utc_offset)) {
        host->log(self, AGENDAD_LOG_ERR, "needs plugin ABI 1.2 (this host has %u.%u)",
                  host->abi_major, host->abi_minor);
        return AGENDAD_EPLUGIN;
    }
    agenda *a = calloc(1, sizeof *a);
    if (!a)
        return AGENDAD_ENOMEM;
    a->host = host;
    a->self = self;
    a->pages = (pages_ctx){.h = host, .self = self, .df = datefmt_new()};
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    if (AGENDAD_HOST_HAS(host, register_check) && host->command_line(self)) {
        /* The command line: the check tells what start() refuses. */
        if (!a->pages.df || host->register_check(self, check_settings, a) != 0) {
            agenda_free(a);
            return AGENDAD_EPLUGIN;
        }
        *state = a;
        return 0;
    }
#endif
    if (!a->pages.df || start(a) != 0) {
        agenda_free(a);
        return AGENDAD_EPLUGIN;
    }
    a->generation = host->store_generation(self);
    *state = a;
    return 0;
}

static void agenda_fini(agendad_plugin *self, void *state)
{
    (void)self;
    agenda_free(state);
}

AGENDAD_PLUGIN_DECLARE("agenda", "1.0.0", agenda_init, agenda_fini);
