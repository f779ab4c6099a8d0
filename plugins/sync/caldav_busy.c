/* A member's CalDAV server's answers turned into busy time, in the
 * agendad-ical-import child like the feeds: a free-busy-query answer (a
 * VFREEBUSY, read with libical) or a calendar-query one (a WebDAV
 * multistatus, read with expat, each resource's calendar-data with the
 * feed's own walk). */
#include "caldav_busy.h"

#include <expat.h>
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ free/busy */

static int64_t fb_instant(icaltimetype t, const si_limits *lim)
{
    icaltimezone *z = icaltime_is_utc(t) ? icaltimezone_get_utc_timezone()
                                         : icaltimezone_get_builtin_timezone(lim->default_tzid);
    t.zone = NULL;
    return (int64_t)icaltime_as_timet_with_zone(t, z ? z : icaltimezone_get_utc_timezone());
}

/* One FREEBUSY period; FREE ones and those outside the window are left out. */
static bool fb_period(icalproperty *p, const si_limits *lim, json_t *busy)
{
    icalparameter *ft = icalproperty_get_first_parameter(p, ICAL_FBTYPE_PARAMETER);
    icalparameter_fbtype type = ft ? icalparameter_get_fbtype(ft) : ICAL_FBTYPE_BUSY;
    if (type == ICAL_FBTYPE_FREE)
        return true;
    struct icalperiodtype per = icalproperty_get_freebusy(p);
    if (icaltime_is_null_time(per.start))
        return true;
    int64_t start = fb_instant(per.start, lim);
    int64_t end = icaltime_is_null_time(per.end) ? start + icaldurationtype_as_int(per.duration)
                                                 : fb_instant(per.end, lim);
    if (end <= start || end <= lim->from || start >= lim->to)
        return true;
    json_t *iv =
        json_pack("[I,I,i]", (json_int_t)start, (json_int_t)end, type == ICAL_FBTYPE_BUSYTENTATIVE);
    return iv && json_array_append_new(busy, iv) == 0;
}

int si_freebusy(const char *text, const si_limits *lim, json_t *busy, char **err)
{
    *err = NULL;
    /* A multistatus or an error page is not given to libical, which would
     * only complain about it on stderr. */
    if (!strstr(text, "BEGIN:VCALENDAR"))
        return 0;
    icalcomponent *root = icalparser_parse_string(text);
    icalcomponent *fb = NULL;
    if (root && icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT &&
        icalcomponent_count_errors(root) == 0)
        fb = icalcomponent_get_first_component(root, ICAL_VFREEBUSY_COMPONENT);
    bool ok = true;
    size_t n = 0;
    for (icalcomponent *c = fb; ok && c;
         c = icalcomponent_get_next_component(root, ICAL_VFREEBUSY_COMPONENT))
        for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_FREEBUSY_PROPERTY); ok && p;
             p = icalcomponent_get_next_property(c, ICAL_FREEBUSY_PROPERTY)) {
            ok = fb_period(p, lim, busy);
            size_t max = lim->max_busy ? lim->max_busy : lim->max_events;
            if (ok && ++n > max) {
                if (asprintf(err, "more than %zu busy periods", max) < 0)
                    *err = NULL;
                ok = false;
            }
        }
    if (root)
        icalcomponent_free(root);
    if (!ok) {
        if (!*err)
            *err = strdup("out of memory");
        return -1;
    }
    return fb != NULL;
}

/* ------------------------------------------------------------ subtraction */

typedef struct {
    int64_t start, end;
    int tentative;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

static span *spans_of(json_t *arr, size_t *n)
{
    *n = json_array_size(arr);
    span *v = malloc((*n ? *n : 1) * sizeof *v);
    for (size_t i = 0; v && i < *n; i++) {
        json_t *x = json_array_get(arr, i);
        v[i] = (span){json_integer_value(json_array_get(x, 0)),
                      json_integer_value(json_array_get(x, 1)),
                      (int)json_integer_value(json_array_get(x, 2))};
    }
    return v;
}

/* Sorted, overlapping and touching ones joined: *n becomes the count. */
static void merge(span *v, size_t *n)
{
    qsort(v, *n, sizeof *v, cmp_span);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (k && v[i].start <= v[k - 1].end) {
            if (v[i].end > v[k - 1].end)
                v[k - 1].end = v[i].end;
        } else {
            v[k++] = v[i];
        }
    }
    *n = k;
}

static bool put(json_t *out, int64_t start, int64_t end, int tentative)
{
    json_t *iv = json_pack("[I,I,i]", (json_int_t)start, (json_int_t)end, tentative);
    return iv && json_array_append_new(out, iv) == 0;
}

/* What of b lies outside every m (sorted, merged): first, the index of
 * the first m that may reach b. */
static bool cut(span b, const span *m, size_t nm, size_t first, json_t *out)
{
    int64_t at = b.start;
    for (size_t j = first; j < nm && m[j].start < b.end; j++) {
        if (m[j].end <= at)
            continue;
        if (m[j].start > at && !put(out, at, m[j].start, b.tentative))
            return false;
        at = m[j].end;
        if (at >= b.end)
            return true;
    }
    return at >= b.end || put(out, at, b.end, b.tentative);
}

json_t *si_busy_subtract(json_t *busy, json_t *minus)
{
    size_t nb, nm;
    span *b = spans_of(busy, &nb), *m = spans_of(minus, &nm);
    json_t *out = b && m ? json_array() : NULL;
    if (out) {
        merge(m, &nm);
        qsort(b, nb, sizeof *b, cmp_span);
        size_t first = 0;
        for (size_t i = 0; out && i < nb; i++) {
            while (first < nm && m[first].end <= b[i].start)
                first++;
            if (!cut(b[i], m, nm, first, out)) {
                json_decref(out);
                out = NULL;
            }
        }
    }
    free(b);
    free(m);
    return out;
}

/* ------------------------------------------------------------ multistatus */

#define DAV_NS "DAV:"
#define CALDAV_NS "urn:ietf:params:xml:ns:caldav"
/* expat joins a name to its namespace with this separator. */
#define NS_SEP '|'

typedef struct {
    XML_Parser parser;
    const si_limits *lim;
    const char *const *skip_names;
    size_t n_skip_names;
    json_t *busy;
    size_t depth;
    bool root_seen, is_multistatus;
    bool in_response, in_href, in_data;
    char *href, *data;
    size_t href_len, data_len;
    size_t *unreadable;
    char **first_error;
    char *err;
} ms_ctx;

static void ms_fail(ms_ctx *c, const char *why)
{
    if (!c->err)
        c->err = strdup(why);
    XML_StopParser(c->parser, XML_FALSE);
}

static bool is(const char *name, const char *ns, const char *local)
{
    size_t n = strlen(ns);
    return strncmp(name, ns, n) == 0 && name[n] == NS_SEP && strcmp(name + n + 1, local) == 0;
}

static bool append(char **buf, size_t *len, const char *s, size_t n)
{
    char *g = realloc(*buf, *len + n + 1);
    if (!g)
        return false;
    memcpy(g + *len, s, n);
    *len += n;
    g[*len] = '\0';
    *buf = g;
    return true;
}

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    ms_ctx *c = data;
    (void)attrs;
    if (c->depth++ == 0) {
        c->root_seen = true;
        c->is_multistatus = is(name, DAV_NS, "multistatus");
        if (!c->is_multistatus)
            ms_fail(c, "the server's answer is not a WebDAV multistatus");
        return;
    }
    if (c->depth == 2 && is(name, DAV_NS, "response"))
        c->in_response = true;
    else if (c->in_response && c->depth == 3 && is(name, DAV_NS, "href"))
        c->in_href = true;
    else if (c->in_response && is(name, CALDAV_NS, "calendar-data"))
        c->in_data = true;
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
    ms_ctx *c = data;
    bool ok = true;
    if (c->in_href)
        ok = append(&c->href, &c->href_len, s, (size_t)len);
    else if (c->in_data)
        ok = append(&c->data, &c->data_len, s, (size_t)len);
    if (!ok)
        ms_fail(c, "out of memory");
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* The last segment of an href, percent-decoded in place. */
static const char *resource_name(char *href)
{
    size_t n = strlen(href);
    while (n && href[n - 1] == '/')
        href[--n] = '\0';
    char *name = strrchr(href, '/');
    name = name ? name + 1 : href;
    char *w = name;
    for (const char *r = name; *r; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return name;
}

static bool skipped_name(const ms_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->n_skip_names; i++)
        if (strcmp(c->skip_names[i], name) == 0)
            return true;
    return false;
}

/* One resource: its busy time, unless agendad wrote it. One that cannot
 * be read is counted and its busy time left out: the member's other
 * resources still count. */
static void resource_done(ms_ctx *c)
{
    char *href = c->href ? c->href : strdup("");
    const char *name = href ? resource_name(href) : "";
    if (c->data && c->data_len && !skipped_name(c, name)) {
        char *why = NULL;
        if (!si_busy(c->data, c->lim, c->busy, &why)) {
            if ((*c->unreadable)++ == 0 &&
                asprintf(c->first_error, "%s: %s", c->href ? c->href : "?", why ? why : "?") < 0)
                *c->first_error = NULL;
        }
        free(why);
        if (json_array_size(c->busy) > (c->lim->max_busy ? c->lim->max_busy : c->lim->max_events))
            ms_fail(c, "more busy intervals than the import limit");
    }
    free(href);
    free(c->data);
    c->href = c->data = NULL;
    c->href_len = c->data_len = 0;
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
    ms_ctx *c = data;
    c->depth--;
    if (c->in_href && is(name, DAV_NS, "href"))
        c->in_href = false;
    else if (c->in_data && is(name, CALDAV_NS, "calendar-data"))
        c->in_data = false;
    else if (c->in_response && c->depth == 1 && is(name, DAV_NS, "response")) {
        c->in_response = false;
        resource_done(c);
    }
}

/* A multistatus needs neither a DTD nor entities of its own: either is
 * refused before expat expands anything. */
static void XMLCALL on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    ms_fail(data, "the server's answer declares a DOCTYPE");
}

static void XMLCALL on_entity(void *data, const XML_Char *name, int is_parameter,
                              const XML_Char *value, int value_length, const XML_Char *base,
                              const XML_Char *sysid, const XML_Char *pubid,
                              const XML_Char *notation)
{
    (void)name;
    (void)is_parameter;
    (void)value;
    (void)value_length;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    ms_fail(data, "the server's answer declares an entity");
}

bool si_multistatus(const char *xml, size_t len, const si_limits *lim,
                    const char *const *skip_names, size_t n_skip_names, json_t *busy,
                    size_t *unreadable, char **first_error, char **err)
{
    *err = NULL;
    *unreadable = 0;
    *first_error = NULL;
    ms_ctx c = {.lim = lim,
                .skip_names = skip_names,
                .n_skip_names = n_skip_names,
                .busy = busy,
                .unreadable = unreadable,
                .first_error = first_error};
    c.parser = XML_ParserCreateNS(NULL, NS_SEP);
    if (!c.parser) {
        *err = strdup("out of memory");
        return false;
    }
    XML_SetUserData(c.parser, &c);
    XML_SetElementHandler(c.parser, on_start, on_end);
    XML_SetCharacterDataHandler(c.parser, on_text);
    XML_SetStartDoctypeDeclHandler(c.parser, on_doctype);
    XML_SetEntityDeclHandler(c.parser, on_entity);
    bool parsed = len <= INT32_MAX && XML_Parse(c.parser, xml, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (!parsed && !c.err &&
        asprintf(&c.err, "the server's answer is not well-formed XML (line %lu: %s)",
                 (unsigned long)XML_GetCurrentLineNumber(c.parser),
                 XML_ErrorString(XML_GetErrorCode(c.parser))) < 0)
        c.err = NULL;
    if (parsed && !c.root_seen)
        c.err = strdup("the server's answer is empty");
    XML_ParserFree(c.parser);
    free(c.href);
    free(c.data);
    if (c.err || !parsed) {
        *err = c.err ? c.err : strdup("out of memory");
        return false;
    }
    return true;
}
