/* rsvp/'s routes (see rsvp_http.h): one-click answers, the host's
 * checklist, an event's tally, the transparency page. */
#include "rsvp_http.h"

#include "clock.h"
#include "config_network.h"
#include "log.h"
#include "rsvp.h"
#include "rsvp_pages.h"
#include "rsvp_tally.h"
#include "store_rsvp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool under(const char *path, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0 || !path[n] || strchr(path + n, '/'))
        return false;
    *rest = path + n;
    return true;
}

bool ag_rsvp_http_accepts_post(const char *path)
{
    const char *rest;
    return under(path, "/rsvp/", &rest) || under(path, "/attendance/", &rest);
}

/* The network's live event uid, or NULL. */
static const ag_stored_event *find_event(const ag_service *svc, const char *uid)
{
    const ag_stored_event *se = ag_store_event_find(svc->evs, svc->n_evs, uid);
    return se && !se->removed_at && !se->imported_from ? se : NULL;
}

static ag_rsvp_page_event page_event(const ag_stored_event *se, char when[32])
{
    if (!se)
        return (ag_rsvp_page_event){0};
    const ag_datetime *t = &se->ev.start;
    if (t->is_date)
        snprintf(when, 32, "%04d-%02d-%02d", t->year, t->month, t->day);
    else
        snprintf(when, 32, "%04d-%02d-%02d %02d:%02d", t->year, t->month, t->day, t->hour,
                 t->minute);
    return (ag_rsvp_page_event){.title = &se->ev.title, .when = when};
}

/* Pages that carry a capability in their URL: never cached, framed,
 * indexed, or named in a Referer. */
static void respond_page(ag_http_request *req, int status, char *html, size_t len,
                         const char *extra)
{
    if (!html) {
        ag_http_respond_error(req, 503, "out of memory", NULL);
        return;
    }
    ag_http_set_private(req);
    const char *const headers[] = {
        "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        "Referrer-Policy: no-referrer",
        "X-Frame-Options: DENY",
        "X-Robots-Tag: noindex",
        extra,
        NULL};
    ag_http_respond(req, status, "text/html; charset=utf-8", html, len, headers);
    free(html);
}

static void respond_refused(ag_http_request *req, ag_rsvp_verdict v)
{
    size_t len = 0;
    char *html = ag_rsvp_page_refused(v, &len);
    bool rate = v == AG_RSVP_RATE_LIMITED;
    respond_page(req, rate ? 429 : 403, html, len, rate ? "Retry-After: 3600" : NULL);
}

static void respond_unavailable(ag_http_request *req, const char *err)
{
    ag_log(AG_LOG_ERR, "rsvp: %s", err ? err : "the state database is not available");
    size_t len = 0;
    char *html = ag_rsvp_page_unavailable(&len);
    respond_page(req, 503, html, len, "Retry-After: 60");
}

static const char *const verdict_words[] = {
    [AG_RSVP_VALID] = "valid",
    [AG_RSVP_TAMPERED] = "tampered or malformed",
    [AG_RSVP_EXPIRED] = "expired",
    [AG_RSVP_OUTDATED] = "outdated",
    [AG_RSVP_FORM_EXPIRED] = "form expired",
    [AG_RSVP_REPLAYED] = "replayed",
    [AG_RSVP_RATE_LIMITED] = "over the rate",
};

/* ---- /rsvp/TOKEN ---- */

static void post_answer(ag_service *svc, ag_http_request *req, const char *token,
                        const ag_rsvp_link_info *info, int64_t now)
{
    ag_rsvp_verdict v;
    ag_rsvp_outcome o;
    char *err = NULL;
    if (ag_rsvp_answer(svc->store, token, ag_http_form(req, "form"), now, &v, &o, &err) < 0) {
        respond_unavailable(req, err);
        free(err);
        return;
    }
    if (v != AG_RSVP_VALID) {
        ag_log(AG_LOG_INFO, "rsvp: a confirmation for invitation %" PRId64 " refused (%s)",
               info->invitation, verdict_words[v]);
        respond_refused(req, v);
        return;
    }
    ag_log(AG_LOG_INFO, "rsvp: %s for %s by link (invitation %" PRId64 "): %s",
           ag_rsvp_partstat_name(info->answer), info->uid, info->invitation,
           o == AG_RSVP_RECORDED ? "recorded" : "stale, nothing changed");
    char when[32];
    ag_rsvp_page_event pe = page_event(find_event(svc, info->uid), when);
    size_t len = 0;
    char *html = ag_rsvp_page_answered(&pe, info->answer, o, &len);
    respond_page(req, 200, html, len, NULL);
}

static void serve_link(ag_service *svc, ag_http_request *req, const char *token)
{
    ag_http_set_route(req, "/rsvp/{token}");
    if (!svc->store) {
        respond_unavailable(req, NULL);
        return;
    }
    int64_t now = ag_clock_now();
    ag_rsvp_link_info info;
    ag_rsvp_verdict v;
    char *err = NULL;
    if (ag_rsvp_link_check(svc->store, token, now, &info, &v, &err) < 0) {
        respond_unavailable(req, err);
        free(err);
        return;
    }
    if (v != AG_RSVP_VALID) {
        ag_log(AG_LOG_INFO, "rsvp: a one-click link refused (%s)", verdict_words[v]);
        respond_refused(req, v);
        return;
    }
    if (ag_http_is_post(req)) {
        post_answer(svc, req, token, &info, now);
        ag_rsvp_link_info_clear(&info);
        return;
    }
    /* A GET records nothing: mail scanners open every link. */
    char *form = NULL;
    if (ag_rsvp_form_token(svc->store, token, now, &form, &err) < 0) {
        respond_unavailable(req, err);
        free(err);
    } else {
        char when[32];
        ag_rsvp_page_event pe = page_event(find_event(svc, info.uid), when);
        size_t len = 0;
        char *html = ag_rsvp_page_confirm(&pe, info.answer, form, &len);
        respond_page(req, 200, html, len, NULL);
    }
    free(form);
    ag_rsvp_link_info_clear(&info);
}

/* ---- /attendance/TOKEN ---- */

typedef struct {
    const ag_member **v;
    size_t n;
} members;

static members concerned(const ag_config *cfg, const ag_event *ev)
{
    members m = {calloc(cfg->n_members ? cfg->n_members : 1, sizeof *m.v), 0};
    for (size_t i = 0; m.v && i < cfg->n_members; i++)
        if (ag_config_member_concerned(cfg, ev, cfg->members[i].id))
            m.v[m.n++] = &cfg->members[i];
    return m;
}

static void show_checklist(ag_service *svc, ag_http_request *req, const char *token,
                           const ag_stored_event *se, const char *date, const members *m,
                           int64_t now)
{
    ag_rsvp_tally t = {0};
    char *err = NULL, *form = NULL;
    ag_rsvp_check_row *rows = calloc(m->n ? m->n : 1, sizeof *rows);
    int rc = rows ? ag_rsvp_tally_event(svc->store, svc->cfg, &se->ev, date, &t, &err) : AG_ENOMEM;
    if (rc == 0)
        rc = ag_rsvp_form_token(svc->store, token, now, &form, &err);
    if (rc < 0) {
        respond_unavailable(req, err ? err : "out of memory");
    } else {
        /* Checked: marked present before (the page corrects a list). */
        for (size_t i = 0; i < m->n; i++) {
            rows[i].member = m->v[i];
            for (size_t j = 0; j < t.n; j++)
                if (strcmp(t.rows[j].member, m->v[i]->id) == 0)
                    rows[i].checked = t.rows[j].attended == 1;
        }
        char when[32];
        ag_rsvp_page_event pe = page_event(se, when);
        size_t len = 0;
        char *html = ag_rsvp_page_checklist(&pe, date, rows, m->n, form, &len);
        respond_page(req, 200, html, len, NULL);
    }
    ag_rsvp_tally_free(&t);
    free(err);
    free(rows);
    free(form);
}

/* The POST's form spent, then who is checked marked present, the
 * others absent. */
static void save_checklist(ag_service *svc, ag_http_request *req, const char *token,
                           const ag_stored_event *se, const char *date, const members *m,
                           int64_t now)
{
    ag_rsvp_verdict v;
    char *nonce = NULL, *err = NULL;
    bool replayed = false;
    int rc =
        ag_rsvp_form_check(svc->store, token, ag_http_form(req, "form"), now, &nonce, &v, &err);
    if (rc == 0 && v == AG_RSVP_VALID)
        rc = ag_store_rsvp_nonce_use(svc->store, nonce, now, &replayed, &err);
    free(nonce);
    if (rc == 0 && v == AG_RSVP_VALID && replayed)
        v = AG_RSVP_REPLAYED;
    const char **present = calloc(m->n ? m->n : 1, sizeof *present);
    const char **absent = calloc(m->n ? m->n : 1, sizeof *absent);
    size_t np = 0, na = 0;
    for (size_t i = 0; present && absent && i < m->n; i++) {
        char field[160];
        snprintf(field, sizeof field, "m.%s", m->v[i]->id);
        const char *on = ag_http_form(req, field);
        if (on && strcmp(on, "1") == 0)
            present[np++] = m->v[i]->id;
        else
            absent[na++] = m->v[i]->id;
    }
    if (rc == 0 && v == AG_RSVP_VALID && (!present || !absent))
        rc = AG_ENOMEM;
    if (rc == 0 && v == AG_RSVP_VALID)
        rc = ag_rsvp_attendance_record(svc->store, svc->cfg, &se->ev, date, present, np, absent, na,
                                       "link", now, &err);
    free(present);
    free(absent);
    if (rc == AG_EINVAL) {
        v = AG_RSVP_OUTDATED; /* the date is no longer one of the event's */
        rc = 0;
    }
    if (rc < 0)
        respond_unavailable(req, err ? err : "out of memory");
    else if (v != AG_RSVP_VALID)
        respond_refused(req, v);
    else {
        ag_log(AG_LOG_INFO,
               "rsvp: attendance of %s on %s by the host's link: %zu present, %zu "
               "absent",
               se->ev.uid, date, np, na);
        char when[32];
        ag_rsvp_page_event pe = page_event(se, when);
        size_t len = 0;
        char *html = ag_rsvp_page_checklist_saved(&pe, date, (int)np, (int)na, &len);
        respond_page(req, 200, html, len, NULL);
    }
    free(err);
}

static void serve_checklist(ag_service *svc, ag_http_request *req, const char *token)
{
    ag_http_set_route(req, "/attendance/{token}");
    if (!svc->store || !svc->cfg) {
        respond_unavailable(req, NULL);
        return;
    }
    int64_t now = ag_clock_now();
    char *uid = NULL, *date = NULL, *err = NULL;
    ag_rsvp_verdict v;
    if (ag_rsvp_host_link_check(svc->store, token, now, &uid, &date, &v, &err) < 0) {
        respond_unavailable(req, err);
        free(err);
        return;
    }
    const ag_stored_event *se = v == AG_RSVP_VALID ? find_event(svc, uid) : NULL;
    if (v == AG_RSVP_VALID && !se)
        v = AG_RSVP_EXPIRED; /* the event is gone */
    if (v != AG_RSVP_VALID) {
        ag_log(AG_LOG_INFO, "rsvp: a checklist link refused (%s)", verdict_words[v]);
        respond_refused(req, v);
    } else {
        members m = concerned(svc->cfg, &se->ev);
        if (!m.v)
            respond_unavailable(req, "out of memory");
        else if (ag_http_is_post(req))
            save_checklist(svc, req, token, se, date, &m, now);
        else
            show_checklist(svc, req, token, se, date, &m, now);
        free(m.v);
    }
    free(uid);
    free(date);
}

/* ---- /events/UID/attendance.json, .csv ---- */

static bool tally_path(const char *path, char *uid, size_t size, bool *csv)
{
    static const char prefix[] = "/events/";
    if (strncmp(path, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *u = path + sizeof prefix - 1, *slash = strchr(u, '/');
    if (!slash || slash == u || (size_t)(slash - u) >= size)
        return false;
    if (strcmp(slash, "/attendance.json") == 0)
        *csv = false;
    else if (strcmp(slash, "/attendance.csv") == 0)
        *csv = true;
    else
        return false;
    memcpy(uid, u, (size_t)(slash - u));
    uid[slash - u] = '\0';
    return true;
}

/* Public when the event publishes attendance and is public; else the
 * admin's (a private answer). false when req was answered (refused). */
static bool may_read_tally(ag_service *svc, ag_http_request *req, const ag_stored_event *se,
                           bool *public)
{
    *public = se && se->ev.publish_attendance && se->ev.visibility == AG_VIS_PUBLIC;
    if (*public)
        return true;
    ag_http_bearer b = ag_http_bearer_check(req, ag_service_settings(svc)->admin_token);
    if (b == AG_HTTP_BEARER_OK) {
        ag_http_set_private(req);
        return true;
    }
    ag_http_set_private(req);
    if (b == AG_HTTP_BEARER_WRONG)
        ag_http_respond_error(req, 403, "the admin token is not valid", NULL);
    else
        ag_http_respond_error(req, 404, "no published attendance for this event", NULL);
    return false;
}

static void serve_tally(ag_service *svc, ag_http_request *req, const char *uid, bool csv)
{
    ag_http_set_route(req, csv ? "/events/{uid}/attendance.csv" : "/events/{uid}/attendance.json");
    const ag_stored_event *se = find_event(svc, uid);
    bool public = false;
    if (!may_read_tally(svc, req, se, &public))
        return;
    if (!se) {
        ag_http_respond_error(req, 404, "no such event", NULL);
        return;
    }
    if (!svc->store) {
        const char *const retry[] = {"Retry-After: 60", NULL};
        ag_http_respond_error(req, 503, "the state database is not available", retry);
        return;
    }
    const char *occ = ag_http_query(req, "occurrence");
    if (occ && strlen(occ) != 10) {
        ag_http_respond_error(req, 400, "occurrence must be a date such as 2026-01-31", NULL);
        return;
    }
    ag_rsvp_tally t;
    char *err = NULL, *body = NULL;
    size_t len = 0;
    int rc = ag_rsvp_tally_event(svc->store, svc->cfg, &se->ev, occ, &t, &err);
    if (rc == 0) {
        rc = csv ? ag_rsvp_tally_csv(&t, &body, &len) : ag_rsvp_tally_json(&t, &body, &len);
        ag_rsvp_tally_free(&t);
    }
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "rsvp: %s", err ? err : ag_strerror(rc));
        ag_http_respond_error(req, 503, "the tally is not available", NULL);
    } else {
        /* Answers change at any time: revalidate (a private one is not
         * kept at all). */
        const char *const headers[] = {"Cache-Control: no-cache", NULL};
        ag_http_respond(req, 200, csv ? "text/csv; charset=utf-8" : "application/json", body, len,
                        public ? headers : NULL);
    }
    free(err);
    free(body);
}

/* ---- /transparency ---- */

static void serve_transparency(ag_service *svc, ag_http_request *req, bool csv)
{
    ag_http_set_route(req, csv ? "/transparency.csv" : "/transparency");
    if (!svc->store || !svc->cfg) {
        const char *const retry[] = {"Retry-After: 60", NULL};
        ag_http_respond_error(req, 503, "the state database is not available", retry);
        return;
    }
    ag_rsvp_transparency t;
    char *err = NULL, *body = NULL;
    size_t len = 0;
    int rc = ag_rsvp_transparency_compute(svc->store, svc->cfg, svc->evs, svc->n_evs,
                                          ag_clock_now(), &t, &err);
    if (rc == 0) {
        if (csv)
            rc = ag_rsvp_transparency_csv(&t, &body, &len);
        else if (!(body = ag_rsvp_page_transparency(svc->cfg, &t, &len)))
            rc = AG_ENOMEM;
        ag_rsvp_transparency_free(&t);
    }
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "rsvp: %s", err ? err : ag_strerror(rc));
        ag_http_respond_error(req, 503, "the figures are not available", NULL);
    } else {
        const char *const headers[] = {"Cache-Control: max-age=300", NULL};
        ag_http_respond(req, 200, csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8",
                        body, len, headers);
    }
    free(err);
    free(body);
}

bool ag_rsvp_http_owns(const char *path)
{
    char uid[256];
    bool csv;
    const char *rest;
    return under(path, "/rsvp/", &rest) || under(path, "/attendance/", &rest) ||
           tally_path(path, uid, sizeof uid, &csv) || strcmp(path, "/transparency") == 0 ||
           strcmp(path, "/transparency.csv") == 0;
}

bool ag_rsvp_http_handle(ag_service *svc, ag_http_request *req)
{
    const char *path = ag_http_path(req), *rest;
    char uid[256];
    bool csv = false;
    if (under(path, "/rsvp/", &rest))
        serve_link(svc, req, rest);
    else if (under(path, "/attendance/", &rest))
        serve_checklist(svc, req, rest);
    else if (tally_path(path, uid, sizeof uid, &csv))
        serve_tally(svc, req, uid, csv);
    else if (strcmp(path, "/transparency") == 0 || strcmp(path, "/transparency.csv") == 0)
        serve_transparency(svc, req, strcmp(path, "/transparency.csv") == 0);
    else
        return false;
    return true;
}

int ag_rsvp_event_attendance(ag_service *svc, const char *uid,
                             int (*fn)(const agendad_attendance *a, void *data), void *data)
{
    const ag_stored_event *se = find_event(svc, uid);
    if (!se || !se->ev.publish_attendance || !svc->store || !svc->cfg)
        return AG_ENOENT;
    ag_rsvp_tally t;
    char *err = NULL;
    int rc = ag_rsvp_tally_event(svc->store, svc->cfg, &se->ev, NULL, &t, &err);
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "rsvp: %s", err ? err : ag_strerror(rc));
        free(err);
        return rc;
    }
    static const agendad_reply replies[] = {
        [AG_RSVP_REPLY_NONE] = AGENDAD_REPLY_NONE,
        [AG_RSVP_REPLY_ACCEPTED] = AGENDAD_REPLY_ACCEPTED,
        [AG_RSVP_REPLY_TENTATIVE] = AGENDAD_REPLY_TENTATIVE,
        [AG_RSVP_REPLY_DECLINED] = AGENDAD_REPLY_DECLINED,
    };
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        agendad_attendance a = {.size = sizeof a,
                                .member = t.rows[i].member,
                                .invited = t.rows[i].invited,
                                .reply = replies[t.rows[i].reply],
                                .attended = t.rows[i].attended};
        rc = fn(&a, data);
    }
    ag_rsvp_tally_free(&t);
    return rc;
}
