/* Building responses: status line and common headers, conditional GET,
 * content coding, and handing the bytes to the connection. */
#include "http_internal.h"

#include "log.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ALLOW_METHODS "GET, HEAD, OPTIONS"

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

/* IMF-fixdate (RFC 9110 5.6.7), spelled out so that the process locale
 * cannot translate day or month names. */
static void http_date(int64_t t, char out[40])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        tt = 0;
        gmtime_r(&tt, &tm);
    }
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The three HTTP-date forms a recipient must accept (RFC 9110 5.6.7):
 * IMF-fixdate, RFC 850, asctime; -1 for anything else. Names are read in
 * the C locale, whatever the process's. */
static time_t parse_http_date(const char *s)
{
    static const char *const forms[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                        "%a %b %e %H:%M:%S %Y"};
    static locale_t c_locale;
    if (!c_locale && !(c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0)))
        return (time_t)-1;
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct tm tm = {0};
        const char *end = strptime_l(s, forms[i], &tm, c_locale);
        if (end && end[strspn(end, " \t")] == '\0')
            return timegm(&tm);
    }
    return (time_t)-1;
}

/* The same few instants (now, a feed's last change) are formatted on every
 * response: formatting was the largest user-space cost of a 304. One entry
 * per caller; the loop is the only thread that responds. */
typedef struct {
    int64_t t;
    char s[40];
} date_memo;

static const char *http_date_memo(date_memo *m, int64_t t)
{
    if (m->s[0] == '\0' || m->t != t) {
        http_date(t, m->s);
        m->t = t;
    }
    return m->s;
}

#define ADD_LIT(b, lit) ag_http_sbuf_add((b), (lit), sizeof(lit) - 1)

static void add_str(ag_sbuf *b, const char *s)
{
    ag_http_sbuf_add(b, s, strlen(s));
}

/* Decimal without stdio: the two printf calls of every response were a
 * twentieth of the loop's CPU when serving 304s. */
static void add_uint(ag_sbuf *b, unsigned long long v)
{
    char d[24];
    size_t i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ag_http_sbuf_add(b, d + i, sizeof d - i);
}

bool ag_http_response_keeps_alive(const ag_http_request *req)
{
    return req->conn && req->keep_alive && !req->conn->close_after && !req->srv->shutting_down;
}

typedef struct {
    int status;
    const char *content_type;
    size_t content_length;
    bool send_length; /* 204 must not have Content-Length (RFC 9110 8.6) */
    bool cors;
    const char *extra; /* preformatted "Name: value\r\n" lines */
    const char *body;  /* NULL: no body (HEAD, 204, 304) */
    char *owned_body;
    ag_blob *blob; /* reference kept while body points into it */
    bool failed;   /* memory ran out for a part: nothing to send */
} response;

static char *build_head(const ag_http_request *req, const response *r, bool keep, size_t *len)
{
    static date_memo now;
    ag_sbuf h = {0};
    ADD_LIT(&h, "HTTP/1.1 ");
    add_uint(&h, (unsigned)r->status);
    ADD_LIT(&h, " ");
    add_str(&h, reason(r->status));
    ADD_LIT(&h, "\r\nServer: agendad/" AGENDAD_VERSION "\r\nDate: ");
    add_str(&h, http_date_memo(&now, (int64_t)time(NULL)));
    ADD_LIT(&h, "\r\n");
    if (r->content_type) {
        ADD_LIT(&h, "Content-Type: ");
        add_str(&h, r->content_type);
        ADD_LIT(&h, "\r\n");
    }
    if (r->send_length) {
        ADD_LIT(&h, "Content-Length: ");
        add_uint(&h, r->content_length);
        ADD_LIT(&h, "\r\n");
    }
    if (!keep)
        ADD_LIT(&h, "Connection: close\r\n");
    else if (req->http_major == 1 && req->http_minor == 0)
        ADD_LIT(&h, "Connection: keep-alive\r\n");
    if (r->cors)
        ADD_LIT(&h, "Access-Control-Allow-Origin: *\r\n");
    if (r->extra)
        add_str(&h, r->extra);
    int rc = ADD_LIT(&h, "\r\n");
    *len = h.len;
    if (rc != 0) {
        ag_http_sbuf_free(&h);
        return NULL;
    }
    return ag_http_sbuf_take(&h);
}

/* Every ag_http_respond* ends here: req is freed, the bytes go to the
 * connection, or nowhere when the client has left meanwhile. */
static void send_response(ag_http_request *req, response *r)
{
    ag_http_conn *c = req->conn;
    ag_http_server *s = req->srv;
    bool keep = ag_http_response_keeps_alive(req);
    if (s->observer)
        s->observer(req->route ? req->route : "unrouted", r->status,
                    r->body ? r->content_length : 0, s->observer_data);
    size_t head_len = 0;
    char *head = c && !r->failed ? build_head(req, r, keep, &head_len) : NULL;
    /* An answer with a header or its body missing would be taken for the
     * real one: the client sees the connection close instead. */
    if (c && !head)
        ag_log(AG_LOG_ERR, "out of memory answering %s: connection closed",
               req->path ? req->path : "a request");
    ag_http_request_free(req);
    if (!c) {
        free(r->owned_body);
        ag_blob_unref(r->blob);
        s->orphans--;
        ag_http_server_maybe_done(s);
        return;
    }
    if (!keep)
        c->close_after = true;
    if (!head) {
        free(r->owned_body);
        ag_blob_unref(r->blob);
        ag_http_conn_close(c);
        return;
    }
    ag_http_conn_write(c, head, head_len, r->body, r->body ? r->content_length : 0, r->owned_body,
                       r->blob);
}

/* Caller-supplied lines are trusted but must not split the header block.
 * true when they name a Cache-Control. */
static bool add_extra_lines(ag_sbuf *b, const char *const *lines, bool *has_acao)
{
    bool cache_control = false;
    for (; lines && *lines; lines++) {
        if (strpbrk(*lines, "\r\n"))
            continue;
        if (strncasecmp(*lines, "Access-Control-Allow-Origin:", 28) == 0)
            *has_acao = true;
        if (strncasecmp(*lines, "Cache-Control:", 14) == 0)
            cache_control = true;
        ag_http_sbuf_addf(b, "%s\r\n", *lines);
    }
    return cache_control;
}

void ag_http_respond(ag_http_request *req, int status, const char *content_type, const char *body,
                     size_t len, const char *const *extra_headers)
{
    bool bodyless = status == 204 || status == 304 || status < 200;
    ag_sbuf extra = {0};
    bool has_acao = false;
    bool cache_control = add_extra_lines(&extra, extra_headers, &has_acao);
    if (req->private_answer && !cache_control)
        ADD_LIT(&extra, "Cache-Control: no-store\r\n");
    response r = {
        .status = status,
        .content_type = bodyless ? NULL : content_type,
        .content_length = bodyless ? 0 : len,
        .send_length = status != 204 && status >= 200,
        .cors = !has_acao && !req->private_answer,
        .extra = extra.s,
        .failed = extra.failed,
    };
    if (!bodyless && !ag_http_is_head(req) && len > 0) {
        r.owned_body = malloc(len);
        if (r.owned_body) {
            memcpy(r.owned_body, body, len);
            r.body = r.owned_body;
        } else {
            r.failed = true;
        }
    }
    send_response(req, &r);
    ag_http_sbuf_free(&extra);
}

void ag_http_respond_error(ag_http_request *req, int status, const char *detail,
                           const char *const *extra_headers)
{
    ag_sbuf body = {0};
    ag_http_sbuf_addf(&body, "%d %s\n", status, reason(status));
    if (detail)
        ag_http_sbuf_addf(&body, "%s\n", detail);
    if (body.failed) {
        response r = {.status = status, .failed = true};
        send_response(req, &r);
    } else {
        ag_http_respond(req, status, "text/plain; charset=utf-8", body.s, body.len, extra_headers);
    }
    ag_http_sbuf_free(&body);
}

void ag_http_respond_options(ag_http_request *req)
{
    static const char *const headers[] = {
        "Allow: " ALLOW_METHODS,
        "Access-Control-Allow-Origin: *",
        "Access-Control-Allow-Methods: " ALLOW_METHODS,
        "Access-Control-Allow-Headers: If-None-Match, If-Modified-Since",
        "Access-Control-Max-Age: 86400",
        NULL,
    };
    ag_http_respond(req, 204, NULL, NULL, 0, headers);
}

void ag_http_respond_not_allowed(ag_http_request *req)
{
    static const char *const headers[] = {"Allow: " ALLOW_METHODS, NULL};
    ag_http_respond_error(req, 405, NULL, headers);
}

/* ---- blobs: content coding and validators ---- */

static bool q_is_zero(const char *q)
{
    q += strspn(q, " \t");
    if (*q != '0')
        return false;
    for (q++; *q && *q != ',' && *q != ';' && *q != ' ' && *q != '\t'; q++)
        if (*q != '0' && *q != '.')
            return false;
    return true;
}

/* Accept-Encoding (RFC 9110 12.5.3): gzip unless its qvalue is 0, or "*"
 * with a non-zero qvalue when gzip is not named. */
static bool accepts_gzip(const char *ae)
{
    int gzip = -1, star = -1;
    for (const char *p = ae; p && *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, " \t;,");
        size_t elem = strcspn(p, ",");
        const char *q = NULL;
        for (const char *s = p; s < p + elem; s++)
            if ((s[0] == 'q' || s[0] == 'Q') && s[1] == '=' && s > p &&
                (s[-1] == ';' || s[-1] == ' '))
                q = s + 2;
        int ok = q && q_is_zero(q) ? 0 : 1;
        if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) ||
            (n == 6 && strncasecmp(p, "x-gzip", 6) == 0))
            gzip = ok;
        else if (n == 1 && *p == '*')
            star = ok;
        p += elem;
    }
    return gzip >= 0 ? gzip == 1 : star == 1;
}

/* The gzip variant is another representation, so it gets its own strong
 * validator: the same tag with "-gz" inside the quotes. */
static void gzip_etag(const char *etag, char *out, size_t size)
{
    size_t n = strlen(etag);
    snprintf(out, size, "%.*s-gz\"", (int)(n > 0 ? n - 1 : 0), etag);
}

static bool tag_is(const char *tag, size_t n, const char *etag)
{
    return strlen(etag) == n && memcmp(tag, etag, n) == 0;
}

/* If-None-Match uses weak comparison (RFC 9110 13.1.2): W/ is ignored. Both
 * variants' tags match, since both stand for the same bytes. */
static bool none_match_fails(const char *list, const char *etag, const char *etag_gz)
{
    for (const char *p = list; *p;) {
        p += strspn(p, " \t,");
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
        if (!end) {
            p += strcspn(p, ",");
            continue;
        }
        size_t n = (size_t)(end - p) + 1;
        if (tag_is(p, n, etag) || tag_is(p, n, etag_gz))
            return true;
        p = end + 1;
    }
    return false;
}

static bool not_modified(const ag_http_request *req, const ag_blob *b, const char *etag_gz)
{
    const char *inm = ag_http_header(req, "If-None-Match");
    if (inm)
        return none_match_fails(inm, ag_blob_etag(b), etag_gz);
    const char *ims = ag_http_header(req, "If-Modified-Since");
    if (!ims)
        return false;
    time_t since = parse_http_date(ims);
    return since != (time_t)-1 && ag_blob_last_modified(b) <= (int64_t)since;
}

static void blob_headers(ag_sbuf *h, const ag_blob *b, const char *etag, bool gz, int max_age)
{
    static date_memo lm;
    ADD_LIT(h, "ETag: ");
    add_str(h, etag);
    ADD_LIT(h, "\r\nLast-Modified: ");
    add_str(h, http_date_memo(&lm, ag_blob_last_modified(b)));
    ADD_LIT(h, "\r\n");
    if (max_age >= 0) {
        ADD_LIT(h, "Cache-Control: max-age=");
        add_uint(h, (unsigned)max_age);
        ADD_LIT(h, "\r\n");
    } else
        ADD_LIT(h, "Cache-Control: no-cache\r\n");
    ADD_LIT(h, "Vary: Accept-Encoding\r\n"
               "Access-Control-Expose-Headers: ETag, Last-Modified\r\n");
    if (gz)
        ADD_LIT(h, "Content-Encoding: gzip\r\n");
}

void ag_http_respond_blob(ag_http_request *req, ag_blob *b, int max_age)
{
    char etag_gz[64];
    gzip_etag(ag_blob_etag(b), etag_gz, sizeof etag_gz);
    size_t len = ag_blob_len(b);
    const char *body = ag_blob_data(b);
    const char *gzdata = NULL;
    if (accepts_gzip(ag_http_header(req, "Accept-Encoding")))
        gzdata = ag_blob_gzip(b, &len);
    if (gzdata)
        body = gzdata;
    else
        len = ag_blob_len(b);
    ag_sbuf extra = {0};
    blob_headers(&extra, b, gzdata ? etag_gz : ag_blob_etag(b), gzdata != NULL, max_age);
    bool fresh = not_modified(req, b, etag_gz);
    response r = {
        .status = fresh ? 304 : 200,
        .content_type = fresh ? NULL : ag_blob_content_type(b),
        /* On HEAD: the length the 200 would have had (RFC 9110 8.6). Not on
         * 304, where it is allowed too, because some clients' parsers (wrk's)
         * then wait for a body that never comes; nginx omits it as well. */
        .content_length = len,
        .send_length = !fresh,
        .cors = !req->private_answer,
        .extra = extra.s,
        .body = fresh || ag_http_is_head(req) ? NULL : body,
        .failed = extra.failed,
    };
    if (r.body)
        r.blob = ag_blob_ref(b);
    send_response(req, &r);
    ag_http_sbuf_free(&extra);
}
