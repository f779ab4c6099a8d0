/* Push: every live network event a member is invited to, written into the
 * member's CalDAV collection as "agendad-<uid>.ics", updated when it changes
 * and deleted when it is cancelled or gone. Every write is conditional on
 * what the server last said: If-None-Match: * to create (a resource of that
 * name that agendad did not create is left alone), If-Match: <etag> to
 * update or delete. A 412 means someone edited it in the member's calendar:
 * the conflict is recorded, and their version stays unless the admin set
 * network_wins. Only resources listed in the plugin's state (those it
 * created) are ever updated or deleted. One request at a time per member. */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void replace(char **dst, char *src)
{
    free(*dst);
    *dst = src;
}

static char *dupn(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Not a security boundary: it only tells whether the body changed. */
static char *hash_of(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    char *out = malloc(17);
    if (out)
        snprintf(out, 17, "%016llx", (unsigned long long)h);
    return out;
}

/* ------------------------------------------------------------ state */

static void state_key(const sync_member *m, const char *uid, char *buf, size_t size)
{
    snprintf(buf, size, "%s.dav.%s", m->id, uid ? uid : "index");
}

static void save_res(sync_member *m, const dav_res *r)
{
    char key[600], val[1200];
    state_key(m, r->uid, key, sizeof key);
    snprintf(val, sizeof val, "%s\n%s", r->etag ? r->etag : "", r->hash ? r->hash : "");
    m->sp->host->state_set(m->sp->self, key, val);
}

static void save_index(sync_member *m)
{
    size_t len = 1;
    for (size_t i = 0; i < m->dav.n_res; i++)
        len += strlen(m->dav.res[i].uid) + 1;
    char *idx = calloc(1, len);
    if (!idx)
        return;
    for (size_t i = 0; i < m->dav.n_res; i++) {
        if (i)
            strcat(idx, " ");
        strcat(idx, m->dav.res[i].uid);
    }
    char key[300];
    state_key(m, NULL, key, sizeof key);
    m->sp->host->state_set(m->sp->self, key, idx);
    free(idx);
}

static dav_res *res_find(sync_member *m, const char *uid)
{
    for (size_t i = 0; i < m->dav.n_res; i++)
        if (strcmp(m->dav.res[i].uid, uid) == 0)
            return &m->dav.res[i];
    return NULL;
}

static dav_res *res_add(sync_member *m, const char *uid)
{
    dav_res *g = realloc(m->dav.res, (m->dav.n_res + 1) * sizeof *g);
    if (!g)
        return NULL;
    m->dav.res = g;
    dav_res *r = &g[m->dav.n_res++];
    *r = (dav_res){.uid = strdup(uid)};
    return r;
}

static void res_drop(sync_member *m, const char *uid)
{
    dav_res *r = res_find(m, uid);
    if (!r)
        return;
    char key[600];
    state_key(m, uid, key, sizeof key);
    m->sp->host->state_set(m->sp->self, key, NULL);
    free(r->uid);
    free(r->etag);
    free(r->hash);
    *r = m->dav.res[--m->dav.n_res];
    save_index(m);
}

/* Event uids never contain a space ([A-Za-z0-9._@-]), so the index is a
 * space-separated list. */
void sync_push_load(sync_member *m)
{
    char key[600];
    state_key(m, NULL, key, sizeof key);
    const char *v = m->sp->host->state_get(m->sp->self, key);
    char *idx = v ? strdup(v) : NULL;
    for (char *save = NULL, *uid = idx ? strtok_r(idx, " ", &save) : NULL; uid;
         uid = strtok_r(NULL, " ", &save)) {
        dav_res *r = res_add(m, uid);
        state_key(m, uid, key, sizeof key);
        const char *val = r ? m->sp->host->state_get(m->sp->self, key) : NULL;
        if (!val)
            continue;
        const char *nl = strchr(val, '\n');
        r->etag = nl && nl > val ? strndup(val, (size_t)(nl - val)) : NULL;
        r->hash = nl ? strdup(nl + 1) : NULL;
    }
    free(idx);
}

static void ops_free(dav_state *d)
{
    for (size_t i = 0; i < d->n_ops; i++) {
        free(d->ops[i].uid);
        free(d->ops[i].body);
        free(d->ops[i].hash);
    }
    free(d->ops);
    d->ops = NULL;
    d->n_ops = d->next_op = 0;
}

void sync_push_free(sync_member *m)
{
    for (size_t i = 0; i < m->dav.n_res; i++) {
        free(m->dav.res[i].uid);
        free(m->dav.res[i].etag);
        free(m->dav.res[i].hash);
    }
    free(m->dav.res);
    ops_free(&m->dav);
    free(m->dav.url);
    free(m->dav.username);
    free(m->dav.password_file);
    if (m->dav.password)
        memset(m->dav.password, 0, strlen(m->dav.password));
    free(m->dav.password);
    free(m->dav.last_error);
}

/* --------------------------------------------------------- planning */

typedef struct {
    sync_member *m;
    bool failed;
} plan;

static bool op_add(dav_state *d, const char *uid, char *body, char *hash)
{
    dav_op *g = realloc(d->ops, (d->n_ops + 1) * sizeof *g);
    if (!g)
        return false;
    d->ops = g;
    d->ops[d->n_ops++] = (dav_op){strdup(uid), body, hash};
    return true;
}

static void fail_uid(sync_member *m, const char *uid, const char *why);

/* Events the member is invited to (it hosts them or is in their audience),
 * members-only ones too: the member's own calendar is private to it, and
 * event_invites keeps every other member's events out of it. */
static int plan_event(const agendad_event *ev, void *data)
{
    plan *p = data;
    sync_member *m = p->m;
    const agendad_host *h = m->sp->host;
    if (!h->event_invites(m->sp->self, ev, m->id) ||
        h->event_status(m->sp->self, ev) == AGENDAD_STATUS_CANCELLED)
        return 0;
    const char *uid = h->event_uid(m->sp->self, ev);
    const char *text;
    size_t len;
    int rc = h->event_ical(m->sp->self, ev, m->language, &text, &len);
    if (rc != 0) {
        char why[300];
        snprintf(why, sizeof why, "its iCalendar text could not be built (%s)", h->strerror(rc));
        fail_uid(m, uid, why);
        return 0;
    }
    char *hash = hash_of(text, len);
    if (!hash) {
        p->failed = true;
        return 0;
    }
    dav_res *r = res_find(m, uid);
    if (r && r->hash && strcmp(r->hash, hash) == 0) {
        free(hash);
        return 0;
    }
    char *body = strndup(text, len);
    if (!body || !op_add(&m->dav, uid, body, hash)) {
        free(body);
        free(hash);
        p->failed = true;
    }
    return 0;
}

static bool still_wanted(sync_member *m, const char *uid)
{
    const agendad_host *h = m->sp->host;
    const agendad_event *ev = h->event_find(m->sp->self, uid);
    return ev && h->event_invites(m->sp->self, ev, m->id) &&
           h->event_status(m->sp->self, ev) != AGENDAD_STATUS_CANCELLED;
}

static void plan_deletes(sync_member *m)
{
    for (size_t i = 0; i < m->dav.n_res; i++)
        if (!still_wanted(m, m->dav.res[i].uid))
            op_add(&m->dav, m->dav.res[i].uid, NULL, NULL);
}

/* --------------------------------------------------------- requests */

static void run_next(sync_member *m);

static void resource_url(const sync_member *m, const char *uid, char *buf, size_t size)
{
    const char *base = m->dav.url;
    size_t n = strlen(base);
    snprintf(buf, size, "%s%sagendad-%s.ics", base, n && base[n - 1] == '/' ? "" : "/", uid);
}

static void conflict(sync_member *m, const dav_op *op)
{
    char msg[600];
    m->dav.conflicts++;
    m->dav.trouble = true;
    snprintf(msg, sizeof msg,
             "conflict: %s was %s in the member's calendar since agendad wrote it; their version "
             "was kept (set network_wins to overwrite)",
             op->uid, op->body ? "edited" : "edited or removed");
    replace(&m->dav.last_error, strdup(msg));
    sync_log(m->sp, AGENDAD_LOG_WARNING, "%s: %s", m->id, msg);
}

static void fail_uid(sync_member *m, const char *uid, const char *why)
{
    char msg[700];
    m->dav.trouble = true;
    snprintf(msg, sizeof msg, "could not write %s into the member's calendar: %s", uid, why);
    replace(&m->dav.last_error, strdup(msg));
    sync_log(m->sp, AGENDAD_LOG_WARNING, "%s: %s", m->id, msg);
}

static void fail_op(sync_member *m, const dav_op *op, const char *why)
{
    fail_uid(m, op->uid, why);
}

static void applied(sync_member *m, const dav_op *op, const agendad_net_result *r)
{
    if (!op->body) {
        m->dav.deleted++;
        res_drop(m, op->uid);
        return;
    }
    dav_res *res = res_find(m, op->uid);
    bool created = !res;
    if (!res && !(res = res_add(m, op->uid)))
        return;
    replace(&res->etag, dupn(r->etag));
    replace(&res->hash, dupn(op->hash));
    m->dav.pushed++;
    save_res(m, res);
    if (created)
        save_index(m);
}

static bool send_op(sync_member *m, dav_op *op, bool force);

static void on_done(const agendad_net_result *r, void *data)
{
    sync_member *m = data;
    m->dav.xfer = NULL;
    if (r->outcome == AGENDAD_NET_CANCELLED)
        return;
    dav_op *op = &m->dav.ops[m->dav.next_op];
    char why[300];
    if (r->outcome != AGENDAD_NET_OK) {
        fail_op(m, op, r->error ? r->error : "the transfer failed");
    } else if (r->status == 412) {
        bool ours = res_find(m, op->uid) != NULL;
        if (ours && m->dav.network_wins && send_op(m, op, true))
            return; /* resent unconditionally; this op completes then */
        if (ours)
            conflict(m, op);
        else
            fail_op(m, op, "a resource of that name exists that agendad did not create");
    } else if (r->status == 404 && !op->body) {
        res_drop(m, op->uid); /* already gone: fine */
    } else if (r->status >= 200 && r->status < 300) {
        applied(m, op, r);
    } else {
        snprintf(why, sizeof why, "the server answered HTTP %ld", r->status);
        fail_op(m, op, why);
    }
    m->dav.next_op++;
    run_next(m);
}

static bool send_op(sync_member *m, dav_op *op, bool force)
{
    char url[2048], cond[1100];
    resource_url(m, op->uid, url, sizeof url);
    dav_res *res = res_find(m, op->uid);
    const char *headers[3] = {NULL, NULL, NULL};
    int h = 0;
    if (op->body)
        headers[h++] = "Content-Type: text/calendar; charset=utf-8";
    if (!force && res && res->etag && *res->etag) {
        snprintf(cond, sizeof cond, "If-Match: %s", res->etag);
        headers[h++] = cond;
    } else if (!force && !res) {
        headers[h++] = "If-None-Match: *";
    }
    agendad_http_fetch req = {.size = sizeof req,
                              .url = url,
                              .method = op->body ? "PUT" : "DELETE",
                              .headers = headers,
                              .body = op->body,
                              .body_len = op->body ? strlen(op->body) : 0,
                              .connect_timeout_ms = m->sp->connect_timeout_ms,
                              .total_timeout_ms = m->sp->total_timeout_ms,
                              .max_body_bytes = 1 << 20,
                              .max_redirects = -1,
                              .username = m->dav.username,
                              .password = m->dav.password,
                              .tls_insecure = m->sp->tls_insecure,
                              .ca_file = m->sp->ca_file};
    return m->sp->host->http_fetch(m->sp->self, &req, on_done, m, &m->dav.xfer) == 0;
}

static void finish(sync_member *m)
{
    if (m->dav.password)
        memset(m->dav.password, 0, strlen(m->dav.password));
    replace(&m->dav.password, NULL);
    ops_free(&m->dav);
    if (!m->dav.trouble) {
        m->dav.last_success = (int64_t)time(NULL);
        replace(&m->dav.last_error, NULL);
    }
    sync_state_save(m, true);
    if (m->dav.again) {
        m->dav.again = false;
        sync_push(m);
    }
}

static void run_next(sync_member *m)
{
    while (m->dav.next_op < m->dav.n_ops) {
        dav_op *op = &m->dav.ops[m->dav.next_op];
        if (send_op(m, op, false))
            return;
        fail_op(m, op, "cannot start the transfer");
        m->dav.next_op++;
    }
    finish(m);
}

/* The password file's first line; NULL with an error recorded. */
static char *read_password(sync_member *m)
{
    if (!m->dav.password_file)
        return strdup("");
    FILE *f = fopen(m->dav.password_file, "r");
    char line[1024];
    if (!f || !fgets(line, sizeof line, f)) {
        char msg[600];
        snprintf(msg, sizeof msg, "cannot read the CalDAV password file %s", m->dav.password_file);
        replace(&m->dav.last_error, strdup(msg));
        if (f)
            fclose(f);
        return NULL;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    char *p = strdup(line);
    memset(line, 0, sizeof line);
    return p;
}

void sync_push(sync_member *m)
{
    if (!m->dav.configured || m->stopping)
        return;
    if (m->dav.ops) {
        m->dav.again = true;
        return;
    }
    m->dav.last_attempt = (int64_t)time(NULL);
    m->dav.trouble = false;
    if (!(m->dav.password = read_password(m))) {
        sync_state_save(m, true);
        return;
    }
    plan p = {m, false};
    m->sp->host->event_foreach(m->sp->self, plan_event, &p);
    plan_deletes(m);
    if (p.failed)
        replace(&m->dav.last_error, strdup("out of memory planning the push"));
    if (m->dav.n_ops == 0) {
        finish(m);
        return;
    }
    run_next(m);
}
