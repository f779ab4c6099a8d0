/* What a request carries: headers, the decoded target, query parameters. */
#include "http_internal.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- growable strings ---- */

int ag_sbuf_add(ag_sbuf *b, const char *s, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *n = realloc(b->s, cap);
        if (!n)
            return -1;
        b->s = n;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, len);
    b->len += len;
    b->s[b->len] = '\0';
    return 0;
}

int ag_sbuf_addf(ag_sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return ag_sbuf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = ag_sbuf_add(b, big, (size_t)n);
    free(big);
    return rc;
}

void ag_sbuf_free(ag_sbuf *b)
{
    free(b->s);
    *b = (ag_sbuf){0};
}

char *ag_sbuf_take(ag_sbuf *b)
{
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
    ag_sbuf_free(&req->url);
    ag_sbuf_free(&req->field);
    ag_sbuf_free(&req->value);
    free_pairs(req->headers, req->nheaders);
    free_pairs(req->params, req->nparams);
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
        return -1;
    memcpy(n + a, ", ", 2);
    memcpy(n + a + 2, value, b + 1);
    h->value = n;
    return 0;
}

int ag_http_request_add_header(ag_http_request *req)
{
    char *name = ag_sbuf_take(&req->field);
    char *value = ag_sbuf_take(&req->value);
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
            return -1;
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
    char *tmp = strndup(s, n);
    if (!tmp)
        return NULL;
    if (form)
        for (char *p = tmp; *p; p++)
            if (*p == '+')
                *p = ' ';
    int olen = 0;
    char *c = curl_easy_unescape(NULL, tmp, 0, &olen);
    free(tmp);
    if (!c)
        return NULL;
    char *out = malloc((size_t)olen + 1);
    if (out) {
        memcpy(out, c, (size_t)olen + 1);
        *len = (size_t)olen;
    }
    curl_free(c);
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
        return -1;
    }
    req->params = v;
    req->params[req->nparams++] = (ag_http_pair){name, value};
    return 0;
}

static int parse_query(ag_http_request *req)
{
    for (const char *p = req->query; *p;) {
        size_t n = strcspn(p, "&");
        if (n > 0 && add_param(req, p, n) != 0)
            return -1;
        p += n;
        if (*p == '&')
            p++;
    }
    return 0;
}

/* Origin-form targets get a dummy authority so that curl's URL API, which
 * wants absolute URLs, can split them. PATH_AS_IS keeps "..", which curl
 * would otherwise resolve, so that we can refuse it. */
static CURLU *split_target(const char *target)
{
    bool origin = target[0] == '/';
    if (!origin && strncasecmp(target, "http://", 7) != 0 &&
        strncasecmp(target, "https://", 8) != 0)
        return NULL;
    ag_sbuf full = {0};
    if ((origin && ag_sbuf_add(&full, "http://localhost", 16) != 0) ||
        ag_sbuf_add(&full, target, strlen(target)) != 0) {
        ag_sbuf_free(&full);
        return NULL;
    }
    CURLU *u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, full.s, CURLU_PATH_AS_IS) != CURLUE_OK) {
        curl_url_cleanup(u);
        u = NULL;
    }
    ag_sbuf_free(&full);
    return u;
}

static int take_path_and_query(ag_http_request *req, CURLU *u)
{
    char *raw = NULL, *query = NULL;
    int status = 400;
    size_t len = 0;
    if (curl_url_get(u, CURLUPART_PATH, &raw, 0) != CURLUE_OK)
        goto out;
    req->path = decode(raw, strlen(raw), false, &len);
    if (!req->path || memchr(req->path, '\0', len) || has_dotdot_segment(req->path))
        goto out;
    CURLUcode rc = curl_url_get(u, CURLUPART_QUERY, &query, 0);
    req->query = strdup(rc == CURLUE_OK && query ? query : "");
    if (!req->query)
        goto out;
    status = parse_query(req) == 0 ? 0 : 500;
out:
    curl_free(raw);
    curl_free(query);
    return status;
}

int ag_http_request_parse_target(ag_http_request *req)
{
    CURLU *u = split_target(req->url.s ? req->url.s : "");
    if (!u)
        return 400;
    int status = take_path_and_query(req, u);
    curl_url_cleanup(u);
    return status;
}

/* ---- accessors ---- */

bool ag_http_is_head(const ag_http_request *req)
{
    return req->method == HTTP_HEAD;
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
