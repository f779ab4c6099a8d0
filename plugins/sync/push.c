/* Push: every live network event a member is invited to, written into the
 * member's CalDAV collection as "agendad-<uid>.ics", updated when it changes
 * and deleted when it is cancelled or gone. Every write is conditional on
 * what the server last said: If-None-Match: * to create, If-Match: <etag> to
 * update or delete. Only resources listed in the plugin's state (those it
 * created) are ever updated or deleted. One request at a time per member.
 *
 * A 412 on an update means someone edited the resource in the member's
 * calendar: a HEAD then learns its ETag, and the conflict is recorded once
 * per (resource, ETag). Their version stays and the network's newer one
 * waits: later pushes only ask (HEAD) whether it is still there, never
 * send the stale write again, until the admin sets network_wins (the
 * network's version is then written unconditionally) or the member deletes
 * its copy (then written afresh with If-None-Match: *). A 412 on a create
 * means a resource of that name exists that agendad did not create: a name
 * clash, recorded once and left alone; later pushes ask whether it is gone.
 * Either is reported once, then shown in the status, and the push goes on
 * with the other events. */
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

/* "ETAG\nHASH", then "\nETAG" of the member's version when a conflict
 * waits. */
static void save_res(sync_member *m, const dav_res *r)
{
    char key[600], val[1800];
    state_key(m, r->uid, key, sizeof key);
    snprintf(val, sizeof val, "%s\n%s%s%s", r->etag ? r->etag : "", r->hash ? r->hash : "",
             r->conflict ? "\n" : "", r->conflict ? r->conflict : "");
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
    free(r->conflict);
    *r = m->dav.res[--m->dav.n_res];
    save_index(m);
}

/* ------------------------------------------------------ name clashes */

static size_t clash_index(const sync_member *m, const char *uid)
{
    for (size_t i = 0; i < m->dav.n_clashes; i++)
        if (strcmp(m->dav.clashes[i], uid) == 0)
            return i;
    return SIZE_MAX;
}

static bool clash_add(sync_member *m, const char *uid)
{
    char *copy = strdup(uid);
    char **g = copy ? realloc(m->dav.clashes, (m->dav.n_clashes + 1) * sizeof *g) : NULL;
    if (!g) {
        free(copy);
        return false;
    }
    m->dav.clashes = g;
    g[m->dav.n_clashes++] = copy;
    return true;
}

static void clash_drop(sync_member *m, const char *uid)
{
    size_t i = clash_index(m, uid);
    if (i == SIZE_MAX)
        return;
    free(m->dav.clashes[i]);
    memmove(&m->dav.clashes[i], &m->dav.clashes[i + 1],
            (m->dav.n_clashes - i - 1) * sizeof *m->dav.clashes);
    m->dav.n_clashes--;
}

char *sync_push_list(const sync_member *m, bool clashes)
{
    size_t len = 1, n = clashes ? m->dav.n_clashes : m->dav.n_res;
    for (size_t i = 0; i < n; i++)
        if (clashes || m->dav.res[i].conflict)
            len += strlen(clashes ? m->dav.clashes[i] : m->dav.res[i].uid) + 1;
    if (len == 1)
        return NULL;
    char *out = calloc(1, len);
    for (size_t i = 0; out && i < n; i++) {
        if (!clashes && !m->dav.res[i].conflict)
            continue;
        if (*out)
            strcat(out, " ");
        strcat(out, clashes ? m->dav.clashes[i] : m->dav.res[i].uid);
    }
    return out;
}

static void load_clashes(sync_member *m)
{
    char key[600];
    snprintf(key, sizeof key, "%s.push_clashes", m->id);
    const char *v = m->sp->host->state_get(m->sp->self, key);
    char *list = v ? strdup(v) : NULL;
    for (char *save = NULL, *uid = list ? strtok_r(list, " ", &save) : NULL; uid;
         uid = strtok_r(NULL, " ", &save))
        clash_add(m, uid);
    free(list);
}

/* Event uids never contain a space ([A-Za-z0-9._@-]), so the index and the
 * list of clashes are space-separated lists. */
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
        const char *nl2 = nl ? strchr(nl + 1, '\n') : NULL;
        r->etag = nl && nl > val ? strndup(val, (size_t)(nl - val)) : NULL;
        r->hash = nl2 ? strndup(nl + 1, (size_t)(nl2 - nl - 1)) : nl ? strdup(nl + 1) : NULL;
        r->conflict = nl2 ? strdup(nl2 + 1) : NULL;
    }
    free(idx);
    load_clashes(m);
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
        free(m->dav.res[i].conflict);
    }
    free(m->dav.res);
    for (size_t i = 0; i < m->dav.n_clashes; i++)
        free(m->dav.clashes[i]);
    free(m->dav.clashes);
    free(m->dav.resolved);
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

/* Takes body and hash over, also on failure. */
static bool op_add(dav_state *d, const char *uid, char *body, char *hash, dav_step step)
{
    char *u = strdup(uid);
    dav_op *g = u ? realloc(d->ops, (d->n_ops + 1) * sizeof *g) : NULL;
    if (!g) {
        free(u);
        free(body);
        free(hash);
        return false;
    }
    d->ops = g;
    d->ops[d->n_ops++] = (dav_op){.uid = u, .body = body, .hash = hash, .step = step};
    return true;
}

/* How a change to a resource agendad created starts: conditional on its
 * last ETag, or, while a member's edit waits, by asking what is there
 * (network_wins: written over). */
static dav_step first_step(const sync_member *m, const dav_res *r)
{
    if (!r || !r->conflict)
        return DAV_WRITE;
    return m->dav.network_wins ? DAV_FORCE : DAV_PROBE;
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
    /* A name taken by a resource of the member's: is it still there? */
    dav_step step = !r && clash_index(m, uid) != SIZE_MAX ? DAV_PROBE : first_step(m, r);
    char *body = strndup(text, len);
    if (!body || !op_add(&m->dav, uid, body, hash, step)) {
        if (!body)
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

static bool plan_deletes(sync_member *m)
{
    bool ok = true;
    for (size_t i = 0; i < m->dav.n_res; i++)
        if (!still_wanted(m, m->dav.res[i].uid))
            ok &= op_add(&m->dav, m->dav.res[i].uid, NULL, NULL, first_step(m, &m->dav.res[i]));
    /* A clash with an event no longer pushed is no longer anyone's concern. */
    for (size_t i = m->dav.n_clashes; i-- > 0;)
        if (!still_wanted(m, m->dav.clashes[i]))
            clash_drop(m, m->dav.clashes[i]);
    return ok;
}

/* --------------------------------------------------------- requests */

static void run_next(sync_member *m);

static void resource_url(const sync_member *m, const char *uid, char *buf, size_t size)
{
    const char *base = m->dav.url;
    size_t n = strlen(base);
    snprintf(buf, size, "%s%sagendad-%s.ics", base, n && base[n - 1] == '/' ? "" : "/", uid);
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

/* The member's version of r (etag: its ETag, "" when the server gives
 * none) against the network's newer one: recorded once. */
static void conflict(sync_member *m, const dav_op *op, dav_res *r, const char *etag)
{
    char msg[700];
    replace(&r->conflict, strdup(etag));
    save_res(m, r);
    m->dav.conflicts++;
    m->dav.trouble = true;
    snprintf(msg, sizeof msg,
             "conflict: %s was edited in the member's calendar since agendad wrote it; their "
             "version is kept and the network's newer %s waits until network_wins is set or the "
             "member deletes its copy",
             op->uid, op->body ? "version" : "cancellation");
    replace(&m->dav.last_error, strdup(msg));
    sync_log(m->sp, AGENDAD_LOG_WARNING, "%s: %s", m->id, msg);
}

/* A resource of that name exists that agendad did not create: recorded
 * once, then left alone. */
static void clash(sync_member *m, const dav_op *op)
{
    if (clash_index(m, op->uid) != SIZE_MAX)
        return;
    if (!clash_add(m, op->uid)) {
        fail_op(m, op, "out of memory");
        return;
    }
    fail_op(m, op,
            "a resource of that name exists that agendad did not create; it is left alone until "
            "the member removes it");
}

static void resolved(sync_member *m, const char *uid, const char *how)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s", uid, how);
    replace(&m->dav.resolved, strdup(msg));
    sync_log(m->sp, AGENDAD_LOG_NOTICE, "%s: resolved: %s", m->id, msg);
}

/* The member's copy is gone and the network no longer wants one. */
static void gone(sync_member *m, const dav_op *op)
{
    dav_res *res = res_find(m, op->uid);
    if (res && res->conflict)
        resolved(m, op->uid,
                 "the member deleted its edited copy; the network had cancelled or removed the "
                 "event");
    res_drop(m, op->uid);
}

static void applied(sync_member *m, const dav_op *op, const agendad_net_result *r)
{
    dav_res *res = res_find(m, op->uid);
    bool had_conflict = res && res->conflict;
    if (op->step == DAV_FORCE)
        resolved(m, op->uid,
                 op->body ? "network_wins: the network's version replaced the member's edit"
                          : "network_wins: the member's edited copy was deleted, as the network "
                            "cancelled or removed the event");
    else if (had_conflict)
        resolved(m, op->uid,
                 op->body ? "the member deleted its edited copy; the network's version was written"
                          : "the member's copy was deleted, as the network cancelled or removed "
                            "the event");
    else if (res && op->step == DAV_CREATE)
        sync_log(m->sp, AGENDAD_LOG_NOTICE,
                 "%s: %s had been deleted from the member's calendar; the network's newer "
                 "version was written again",
                 m->id, op->uid);
    if (!op->body) {
        m->dav.deleted++;
        res_drop(m, op->uid);
        return;
    }
    if (!res && clash_index(m, op->uid) != SIZE_MAX) {
        clash_drop(m, op->uid);
        resolved(m, op->uid,
                 "the member's own resource of that name is gone; agendad's was written");
    }
    bool created = !res;
    if (!res && !(res = res_add(m, op->uid)))
        return;
    replace(&res->etag, dupn(r->etag));
    replace(&res->hash, dupn(op->hash));
    replace(&res->conflict, NULL);
    m->dav.pushed++;
    save_res(m, res);
    if (created)
        save_index(m);
}

static bool send_op(sync_member *m, dav_op *op);

/* The op goes on with another request; false when it could not start
 * (recorded). */
static bool follow(sync_member *m, dav_op *op, dav_step step)
{
    op->step = step;
    if (send_op(m, op))
        return true;
    fail_op(m, op, "cannot start the transfer");
    return false;
}

/* The answer to a PUT or DELETE; true when the op goes on. */
static bool written(sync_member *m, dav_op *op, const agendad_net_result *r)
{
    dav_res *res = res_find(m, op->uid);
    if (r->status >= 200 && r->status < 300) {
        applied(m, op, r);
        return false;
    }
    if (r->status == 404 && !op->body) {
        gone(m, op); /* already gone: fine */
        return false;
    }
    if (r->status == 412 && op->step != DAV_FORCE) {
        if (!res) {
            clash(m, op);
            return false;
        }
        if (op->refused) {
            fail_op(m, op, "the server refused the write twice (HTTP 412)");
            return false;
        }
        op->refused = true;
        /* Someone changed it: overwrite, or learn the ETag of their version. */
        return follow(m, op, m->dav.network_wins ? DAV_FORCE : DAV_PROBE);
    }
    char why[300];
    snprintf(why, sizeof why, "the server answered HTTP %ld", r->status);
    fail_op(m, op, why);
    return false;
}

/* The answer to a HEAD: what is in the member's calendar under that name
 * now. True when the op goes on. */
static bool probed(sync_member *m, dav_op *op, const agendad_net_result *r)
{
    dav_res *res = res_find(m, op->uid);
    if (r->status == 404 || r->status == 410) {
        if (op->body) /* the member's copy or resource is gone: write ours afresh */
            return follow(m, op, DAV_CREATE);
        gone(m, op);
        return false;
    }
    if (r->status < 200 || r->status >= 300) {
        char why[300];
        snprintf(why, sizeof why, "the server answered HTTP %ld to HEAD", r->status);
        fail_op(m, op, why);
        return false;
    }
    if (!res)
        return false; /* the clash is still there: recorded already */
    const char *now = r->etag ? r->etag : "";
    if (*now && res->etag && strcmp(now, res->etag) == 0) {
        /* agendad's own version is there: nobody else's waits. */
        if (op->refused) {
            fail_op(m, op, "the server refused the write (HTTP 412) to agendad's own version");
            return false;
        }
        replace(&res->conflict, NULL);
        save_res(m, res);
        return follow(m, op, DAV_WRITE);
    }
    if (res->conflict && strcmp(res->conflict, now) == 0)
        return false; /* the member's version recorded already: the network's waits */
    conflict(m, op, res, now);
    return false;
}

static void on_done(const agendad_net_result *r, void *data)
{
    sync_member *m = data;
    m->dav.xfer = NULL;
    if (r->outcome == AGENDAD_NET_CANCELLED)
        return;
    dav_op *op = &m->dav.ops[m->dav.next_op];
    bool more = false;
    if (r->outcome != AGENDAD_NET_OK)
        fail_op(m, op, r->error ? r->error : "the transfer failed");
    else
        more = op->step == DAV_PROBE ? probed(m, op, r) : written(m, op, r);
    if (more)
        return; /* this op's next request is on its way */
    m->dav.next_op++;
    run_next(m);
}

static bool send_op(sync_member *m, dav_op *op)
{
    char url[2048], cond[1100];
    resource_url(m, op->uid, url, sizeof url);
    dav_res *res = res_find(m, op->uid);
    bool probe = op->step == DAV_PROBE;
    const char *headers[3] = {NULL, NULL, NULL};
    int h = 0;
    if (op->body && !probe)
        headers[h++] = "Content-Type: text/calendar; charset=utf-8";
    if (op->step == DAV_WRITE && res && res->etag && *res->etag) {
        snprintf(cond, sizeof cond, "If-Match: %s", res->etag);
        headers[h++] = cond;
    } else if ((op->step == DAV_WRITE && !res) || op->step == DAV_CREATE) {
        headers[h++] = "If-None-Match: *";
    }
    const char *body = probe ? NULL : op->body;
    agendad_http_fetch req = {.size = sizeof req,
                              .url = url,
                              .method = probe  ? "HEAD"
                                        : body ? "PUT"
                                               : "DELETE",
                              .headers = headers,
                              .body = body,
                              .body_len = body ? strlen(body) : 0,
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
        if (send_op(m, op))
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
    if (!plan_deletes(m))
        p.failed = true;
    if (p.failed) {
        m->dav.trouble = true;
        replace(&m->dav.last_error, strdup("out of memory planning the push"));
    }
    if (m->dav.n_ops == 0) {
        finish(m);
        return;
    }
    run_next(m);
}
