/* What a request carries: headers, the decoded target, query parameters. */
#include "http_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uriparser/Uri.h>

/* ---- growable strings ---- */

int ag_http_sbuf_add(ag_sbuf *b, const char *s, size_t len)
{
    if (b->failed)
        return AG_ENOMEM;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *n = realloc(b->s, cap);
        if (!n) {
            b->failed = true;
            return AG_ENOMEM;
        }
        b->s = n;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, len);
    b->len += len;
    b->s[b->len] = '\0';
    return 0;
}

int ag_http_sbuf_addf(ag_sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return AG_EINVAL;
    }
    if ((size_t)n < sizeof small)
        return ag_http_sbuf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = true;
        return AG_ENOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = ag_http_sbuf_add(b, big, (size_t)n);
    free(big);
    return rc;
}

void ag_http_sbuf_free(ag_sbuf *b)
{
    free(b->s);
    *b = (ag_sbuf){0};
}

char *ag_http_sbuf_take(ag_sbuf *b)
{
    if (b->failed) {
        ag_http_sbuf_free(b);
        return NULL;
    }
    char *s = b->s ? b->s : strdup("");
    *b = (ag_sbuf){0};
    return s;
}

/* ---- request lifetime ---- */

ag_http_request *ag_http_request_new(ag_http_server *s, ag_http_conn *c)
{
    ag_http_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->srv = s;
    req->conn = c;
    req->http_major = 1;
    memcpy(req->peer, c->peer, sizeof req->peer);
    return req;
}

static void free_pairs(ag_http_pair *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
}

void ag_http_request_free(ag_http_request *req)
{
    if (!req)
        return;
    ag_http_sbuf_free(&req->url);
    ag_http_sbuf_free(&req->field);
    ag_http_sbuf_free(&req->value);
    free_pairs(req->headers, req->nheaders);
    free_pairs(req->params, req->nparams);
    ag_http_sbuf_free(&req->body);
    free_pairs(req->form, req->nform);
    free(req->path);
    free(req->query);
    free(req);
}

/* Repeated fields are joined with ", " (RFC 9110 5.3), so that a list such
 * as If-None-Match may arrive over several lines. */
static int join_header(ag_http_pair *h, const char *value)
{
    size_t a = strlen(h->value), b = strlen(value);
    char *n = realloc(h->value, a + b + 3);
    if (!n)
        return AG_ENOMEM;
    memcpy(n + a, ", ", 2);
    memcpy(n + a + 2, value, b + 1);
    h->value = n;
    return 0;
}

int ag_http_request_add_header(ag_http_request *req)
{
    char *name = ag_http_sbuf_take(&req->field);
    char *value = ag_http_sbuf_take(&req->value);
    if (!name || !value) {
        free(name);
        free(value);
        return AG_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            rc = join_header(&req->headers[i], value);
            free(name);
            free(value);
            return rc;
        }
    }
    if (req->nheaders == req->cap_headers) {
        size_t cap = req->cap_headers ? req->cap_headers * 2 : 8;
        ag_http_pair *n = realloc(req->headers, cap * sizeof *n);
        if (!n) {
            free(name);
            free(value);
            return AG_ENOMEM;
        }
        req->headers = n;
        req->cap_headers = cap;
    }
    req->headers[req->nheaders++] = (ag_http_pair){name, value};
    return 0;
}

/* ---- target ---- */

/* Percent-decodes s (and '+' as space when form is set). *len gets the
 * decoded length, which tells an embedded NUL apart from the end. */
static char *decode(const char *s, size_t n, bool form, size_t *len)
{
    char *out = strndup(s, n);
    if (!out)
        return NULL;
    const char *end = uriUnescapeInPlaceExA(out, form ? URI_TRUE : URI_FALSE, URI_BR_DONT_TOUCH);
    *len = (size_t)(end - out);
    return out;
}

static bool has_dotdot_segment(const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        if (*p == '/')
            p++;
    }
    return false;
}

static int add_param(ag_http_request *req, const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    size_t nlen = eq ? (size_t)(eq - s) : n;
    size_t dummy;
    char *name = decode(s, nlen, true, &dummy);
    char *value = decode(eq ? eq + 1 : "", eq ? n - nlen - 1 : 0, true, &dummy);
    ag_http_pair *v = realloc(req->params, (req->nparams + 1) * sizeof *v);
    if (!name || !value || !v) {
        free(name);
        free(value);
        if (v)
            req->params = v;
        return AG_ENOMEM;
    }
    req->params = v;
    req->params[req->nparams++] = (ag_http_pair){name, value};
    return 0;
}

static int parse_query(ag_http_request *req)
{
    for (const char *p = req->query; *p;) {
        size_t n = strcspn(p, "&");
        int rc = n > 0 ? add_param(req, p, n) : 0;
        if (rc < 0)
            return rc;
        p += n;
        if (*p == '&')
            p++;
    }
    return 0;
}

/* Bytes RFC 3986 allows as they are in a path, query or fragment. */
static bool uri_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~:/?#@!$&'()*+,;=", c));
}

static bool hex_digit(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Clients send bytes RFC 3986 does not allow: browsers leave "|", "[", "^"
 * in paths and "{", "}" in queries, others raw UTF-8 or a stray "%". They
 * are escaped before parsing, so that the URI parser takes what HTTP
 * clients send and decoding gives the same bytes back (out->failed tells
 * when memory ran out). */
static void add_escaped(ag_sbuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p && !out->failed; p++) {
        bool keep = uri_byte(*p) || (*p == '%' && hex_digit(p[1]) && hex_digit(p[2]));
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        ag_http_sbuf_add(out, keep ? (const char *)p : enc, keep ? 1 : 3);
    }
}

/* Origin-form targets get a dummy authority so that the URI parser sees
 * one grammar for both forms; an absolute-form's authority is kept as it
 * is, the rest escaped. The parser does not normalize: ".." stays in the
 * path, so that we can refuse it. 0; AG_EINVAL for a target that is not
 * one; AG_ENOMEM. */
static int split_target(const char *target, UriUriA *u, ag_sbuf *full)
{
    size_t scheme = strncasecmp(target, "http://", 7) == 0    ? 7
                    : strncasecmp(target, "https://", 8) == 0 ? 8
                                                              : 0;
    if (target[0] != '/' && !scheme)
        return AG_EINVAL;
    size_t authority = scheme ? scheme + strcspn(target + scheme, "/?#") : 0;
    if (!scheme)
        ag_http_sbuf_add(full, "http://localhost", 16);
    ag_http_sbuf_add(full, target, authority);
    add_escaped(full, target + authority);
    if (full->failed)
        return AG_ENOMEM;
    const char *err = NULL;
    return uriParseSingleUriA(u, full->s, &err) == URI_SUCCESS ? 0 : AG_EINVAL;
}

/* The raw path: "/" and each segment. The parser points empty segments
 * at a shared "", so they are rebuilt rather than sliced from the target. */
static int raw_path(const UriUriA *u, ag_sbuf *out)
{
    if (!u->pathHead)
        return ag_http_sbuf_add(out, "/", 1);
    for (const UriPathSegmentA *seg = u->pathHead; seg; seg = seg->next) {
        size_t n = (size_t)(seg->text.afterLast - seg->text.first);
        ag_http_sbuf_add(out, "/", 1);
        if (n)
            ag_http_sbuf_add(out, seg->text.first, n);
    }
    return out->failed ? AG_ENOMEM : 0;
}

static int take_path_and_query(ag_http_request *req, const UriUriA *u)
{
    ag_sbuf raw = {0};
    size_t len = 0;
    if (raw_path(u, &raw) == 0)
        req->path = decode(raw.s, raw.len, false, &len);
    ag_http_sbuf_free(&raw);
    if (!req->path)
        return 500; /* out of memory: the request may well be fine */
    if (memchr(req->path, '\0', len) || has_dotdot_segment(req->path))
        return 400;
    const UriTextRangeA *q = &u->query;
    size_t qlen = q->first ? (size_t)(q->afterLast - q->first) : 0;
    req->query = qlen ? strndup(q->first, qlen) : strdup("");
    if (!req->query)
        return 500;
    return parse_query(req) == 0 ? 0 : 500;
}

int ag_http_request_parse_target(ag_http_request *req)
{
    if (req->target_parsed)
        return 0;
    req->target_parsed = true;
    UriUriA u;
    ag_sbuf full = {0};
    /* No URL at all is no target (and no constant "" for the compiler to
     * see split_target read past). */
    int rc = req->url.failed ? AG_ENOMEM
             : !req->url.s   ? AG_EINVAL
                             : split_target(req->url.s, &u, &full);
    int status = rc == AG_ENOMEM ? 500 : 400;
    if (rc == 0) {
        status = take_path_and_query(req, &u);
        uriFreeUriMembersA(&u);
    }
    ag_http_sbuf_free(&full);
    return status;
}

/* ---- forms ---- */

bool ag_http_request_is_form_type(const char *content_type)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (!content_type)
        return false;
    const char *t = content_type + strspn(content_type, " \t");
    if (strncasecmp(t, form, sizeof form - 1) != 0)
        return false;
    t += sizeof form - 1;
    t += strspn(t, " \t");
    return *t == '\0' || *t == ';';
}

/* "%00" anywhere would decode to a NUL that ends the C string early. */
static bool has_encoded_nul(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == '%' && s[i + 1] == '0' && s[i + 2] == '0')
            return true;
    return false;
}

int ag_http_request_parse_form(ag_http_request *req)
{
    const char *s = req->body.s ? req->body.s : "";
    size_t n = req->body.len;
    if (memchr(s, '\0', n) || has_encoded_nul(s, n))
        return 400;
    if (n == 0)
        return 0;
    UriQueryListA *list = NULL;
    int count = 0;
    if (uriDissectQueryMallocExA(&list, &count, s, s + n, URI_TRUE, URI_BR_DONT_TOUCH) !=
        URI_SUCCESS)
        return 500;
    int status = 0;
    req->form = calloc((size_t)count + 1, sizeof *req->form);
    if (!req->form)
        status = 500;
    for (UriQueryListA *q = list; status == 0 && q; q = q->next) {
        ag_http_pair *p = &req->form[req->nform++];
        p->name = strdup(q->key ? q->key : "");
        p->value = strdup(q->value ? q->value : "");
        if (!p->name || !p->value)
            status = 500;
    }
    uriFreeQueryListA(list);
    return status;
}

/* ---- accessors ---- */

bool ag_http_is_head(const ag_http_request *req)
{
    return req->method == HTTP_HEAD;
}

bool ag_http_is_post(const ag_http_request *req)
{
    return req->method == HTTP_POST && req->post_ok;
}

const char *ag_http_method(const ag_http_request *req)
{
    return req->method == HTTP_HEAD ? "HEAD" : ag_http_is_post(req) ? "POST" : "GET";
}

const char *ag_http_form(const ag_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nform; i++)
        if (strcmp(req->form[i].name, name) == 0)
            return req->form[i].value;
    return NULL;
}

const char *ag_http_path(const ag_http_request *req)
{
    return req->path ? req->path : "";
}

const char *ag_http_query_string(const ag_http_request *req)
{
    return req->query ? req->query : "";
}

const char *ag_http_query(const ag_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

const char *ag_http_header(const ag_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *ag_http_peer(const ag_http_request *req)
{
    return req->peer;
}

void ag_http_set_route(ag_http_request *req, const char *route)
{
    req->route = route;
}

void ag_http_set_private(ag_http_request *req)
{
    req->private_answer = true;
}
