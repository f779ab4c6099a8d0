/* What the sync plugin knows of each member, for people: the status route
 * (GET /plugins/sync/status, JSON), the state kept in the store (keys
 * "<member>.<field>") and the command `agendad sync status`, which prints
 * that state as the daemon last saved it. */
#include "sync.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *get(sync_member *m, const char *field)
{
    char key[300];
    snprintf(key, sizeof key, "%s.%s", m->id, field);
    return m->sp->host->state_get(m->sp->self, key);
}

/* A member's state saved as one batch: one transaction, one fsync, where a
 * key at a time cost one each (five after every changed pull). */
#define STATE_KEYS 32

typedef struct {
    sync_member *m;
    char keys[STATE_KEYS][300];
    char nums[STATE_KEYS][32];
    const char *k[STATE_KEYS], *v[STATE_KEYS];
    size_t n;
} state_batch;

static void set(state_batch *b, const char *field, const char *value)
{
    if (b->n == STATE_KEYS)
        return;
    snprintf(b->keys[b->n], sizeof b->keys[b->n], "%s.%s", b->m->id, field);
    b->k[b->n] = b->keys[b->n];
    b->v[b->n++] = value;
}

static void flush(state_batch *b)
{
    const agendad_host *h = b->m->sp->host;
    if (AGENDAD_HOST_HAS(h, state_set_many)) {
        h->state_set_many(b->m->sp->self, b->k, b->v, b->n);
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        h->state_set(b->m->sp->self, b->k[i], b->v[i]);
}

static char *dup_get(sync_member *m, const char *field)
{
    const char *v = get(m, field);
    return v ? strdup(v) : NULL;
}

static int64_t num_get(sync_member *m, const char *field)
{
    const char *v = get(m, field);
    return v ? strtoll(v, NULL, 10) : 0;
}

void sync_state_load(sync_member *m)
{
    m->etag = dup_get(m, "etag");
    m->last_modified = dup_get(m, "last_modified");
    m->copy_private = num_get(m, "private_data") != 0;
    m->last_error = dup_get(m, "last_error");
    m->last_attempt = num_get(m, "last_attempt");
    m->last_success = num_get(m, "last_success");
    m->events = (long)num_get(m, "events");
    m->failures = (int)num_get(m, "failures");
    m->dav.pushed = (long)num_get(m, "push_pushed");
    m->dav.deleted = (long)num_get(m, "push_deleted");
    m->dav.conflicts = (long)num_get(m, "push_conflicts");
    m->dav.last_error = dup_get(m, "push_last_error");
    m->dav.resolved = dup_get(m, "push_resolved");
    m->dav.last_attempt = num_get(m, "push_last_attempt");
    m->dav.last_success = num_get(m, "push_last_success");
    m->busy_at = num_get(m, "busy_at");
    m->dav_busy.last_attempt = num_get(m, "caldav_busy_last_attempt");
    m->dav_busy.last_success = num_get(m, "caldav_busy_last_success");
    m->dav_busy.no_freebusy_at = num_get(m, "caldav_no_freebusy_at");
    m->dav_busy.last_error = dup_get(m, "caldav_busy_last_error");
    const char *method = get(m, "caldav_busy_method");
    m->dav_busy.method = !method                                  ? NULL
                         : strcmp(method, "free-busy-query") == 0 ? "free-busy-query"
                                                                  : "calendar-query";
}

static void set_num(state_batch *b, const char *field, int64_t v)
{
    if (b->n == STATE_KEYS)
        return;
    snprintf(b->nums[b->n], sizeof b->nums[b->n], "%lld", (long long)v);
    set(b, field, b->nums[b->n]);
}

void sync_state_save(sync_member *m, bool full)
{
    state_batch b = {.m = m};
    char *waiting = NULL, *clashes = NULL;
    set(&b, "etag", m->etag);
    set(&b, "last_modified", m->last_modified);
    set(&b, "private_data", m->copy_private ? "1" : "0");
    set(&b, "last_error", m->last_error);
    set_num(&b, "events", m->events);
    set_num(&b, "failures", m->failures);
    if (m->url)
        set(&b, "feed_url", m->url);
    if (m->dav.configured) {
        set_num(&b, "push_pushed", m->dav.pushed);
        set_num(&b, "push_deleted", m->dav.deleted);
        set_num(&b, "push_conflicts", m->dav.conflicts);
        set(&b, "push_last_error", m->dav.last_error);
        set(&b, "push_waiting", waiting = sync_push_list(m, false));
        set(&b, "push_clashes", clashes = sync_push_list(m, true));
        set(&b, "push_resolved", m->dav.resolved);
    }
    if (m->busy_at || m->sp->busy)
        set_num(&b, "busy_at", m->busy_at);
    if (m->dav.configured && m->sp->busy) {
        set(&b, "caldav_busy_method", m->dav_busy.method);
        set(&b, "caldav_busy_last_error", m->dav_busy.last_error);
        set_num(&b, "caldav_no_freebusy_at", m->dav_busy.no_freebusy_at);
    }
    if (full && m->dav.configured) {
        set_num(&b, "push_last_attempt", m->dav.last_attempt);
        set_num(&b, "push_last_success", m->dav.last_success);
    }
    if (full && m->dav.configured && m->sp->busy) {
        set_num(&b, "caldav_busy_last_attempt", m->dav_busy.last_attempt);
        set_num(&b, "caldav_busy_last_success", m->dav_busy.last_success);
    }
    if (full) {
        set_num(&b, "last_attempt", m->last_attempt);
        set_num(&b, "last_success", m->last_success);
    }
    flush(&b);
    free(waiting);
    free(clashes);
}

static json_t *time_or_null(int64_t t)
{
    if (t <= 0)
        return json_null();
    char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

static json_t *member_json(const sync_member *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "member", json_string(m->id));
    json_object_set_new(o, "feed_url", m->url ? json_string(m->url) : json_null());
    json_object_set_new(o, "configured", json_boolean(m->configured));
    json_object_set_new(o, "last_attempt", time_or_null(m->last_attempt));
    json_object_set_new(o, "last_success", time_or_null(m->last_success));
    json_object_set_new(o, "next_pull", time_or_null(m->configured ? m->next_pull : 0));
    json_object_set_new(o, "events", json_integer(m->events));
    json_object_set_new(o, "failures", json_integer(m->failures));
    json_object_set_new(o, "last_error", m->last_error ? json_string(m->last_error) : json_null());
    json_object_set_new(o, "pulls_that_changed_events", json_integer(m->writes));
    json_object_set_new(o, "not_modified", json_integer(m->not_modified));
    json_object_set_new(o, "busy", json_boolean(m->xfer || m->child || m->fetch_waiting));
    if (m->dav.configured) {
        json_t *p = json_object();
        json_object_set_new(p, "collection", json_string(m->dav.url));
        json_object_set_new(p, "last_attempt", time_or_null(m->dav.last_attempt));
        json_object_set_new(p, "last_success", time_or_null(m->dav.last_success));
        json_object_set_new(p, "resources", json_integer((json_int_t)m->dav.n_res));
        json_object_set_new(p, "pushed", json_integer(m->dav.pushed));
        json_object_set_new(p, "deleted", json_integer(m->dav.deleted));
        json_object_set_new(p, "conflicts", json_integer(m->dav.conflicts));
        json_t *waiting = json_array(), *clashes = json_array();
        for (size_t i = 0; i < m->dav.n_res; i++)
            if (m->dav.res[i].conflict)
                json_array_append_new(waiting, json_string(m->dav.res[i].uid));
        for (size_t i = 0; i < m->dav.n_clashes; i++)
            json_array_append_new(clashes, json_string(m->dav.clashes[i]));
        json_object_set_new(p, "waiting", waiting);
        json_object_set_new(p, "clashes", clashes);
        json_object_set_new(p, "resolved",
                            m->dav.resolved ? json_string(m->dav.resolved) : json_null());
        json_object_set_new(p, "busy", json_boolean(m->dav.ops != NULL));
        json_object_set_new(p, "last_error",
                            m->dav.last_error ? json_string(m->dav.last_error) : json_null());
        json_object_set_new(o, "push", p);
    }
    if (m->dav.configured && m->sp->busy) {
        /* When and how the collection was read as busy time: never the
         * times themselves, which are the member's private business. */
        const dav_busy *b = &m->dav_busy;
        json_t *r = json_object();
        json_object_set_new(r, "last_attempt", time_or_null(b->last_attempt));
        json_object_set_new(r, "last_success", time_or_null(b->last_success));
        json_object_set_new(r, "method", b->method ? json_string(b->method) : json_null());
        json_object_set_new(r, "unreadable_resources", json_integer(b->unreadable));
        json_object_set_new(r, "busy", json_boolean(b->xfer || b->proc));
        json_object_set_new(r, "last_error",
                            b->last_error ? json_string(b->last_error) : json_null());
        json_object_set_new(o, "caldav_read", r);
    }
    return o;
}

void sync_status_route(agendad_request *req, void *data)
{
    sync_plugin *sp = data;
    const agendad_host *h = sp->host;
    if (strcmp(h->request_path(req), "/plugins/sync/status") != 0) {
        h->respond_error(req, 404, "try /plugins/sync/status");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < sp->n_members; i++)
        json_array_append_new(arr, member_json(sp->members[i]));
    json_t *root = json_pack("{s:o}", "members", arr);
    char *body = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    if (!body) {
        h->respond_error(req, 500, "out of memory");
        return;
    }
    const char *headers[] = {"Cache-Control: no-store", NULL};
    h->respond(req, 200, "application/json", body, strlen(body), headers);
    free(body);
}

/* ------------------------------------------------ agendad sync status */

/* `agendad sync status` is a command (ABI 1.8). Built against an older
 * header (the ABI test builds every plugin against the frozen 1.7 one),
 * the plugin runs without it. */
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* A copy of the member's state field, or NULL: state_get's answer lasts
 * only until the next call. */
static char *field(sync_plugin *sp, const char *member, const char *name)
{
    char key[300];
    snprintf(key, sizeof key, "%s.%s", member, name);
    const char *v = sp->host->state_get(sp->self, key);
    return v ? strdup(v) : NULL;
}

static void print_time(FILE *out, const char *label, const char *value)
{
    long long t = value ? strtoll(value, NULL, 10) : 0;
    if (t <= 0) {
        fprintf(out, "  %-13s never\n", label);
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[40];
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(out, "  %-13s %s\n", label, buf);
}

/* A space-separated list of uids, printed comma-separated. */
static void print_uids(FILE *out, const char *list)
{
    for (const char *p = list; *p; p++) {
        if (*p == ' ')
            fputs(", ", out);
        else
            fputc(*p, out);
    }
}

/* Lines only when there is something to say: what waits on a member's
 * edit, names held by the member's own resources, and how the last of
 * these ended. */
static void print_waits(FILE *out, const char *waiting, const char *clashes, const char *resolved)
{
    if (waiting && *waiting) {
        fprintf(out, "  %-13s ", "waiting:");
        print_uids(out, waiting);
        fputs(" (edited in the member's calendar: the network's newer version waits until "
              "network_wins is set or the member deletes its copy)\n",
              out);
    }
    if (clashes && *clashes) {
        fprintf(out, "  %-13s ", "name clash:");
        print_uids(out, clashes);
        if (strchr(clashes, ' '))
            fputs(" (agendad-UID.ics of each exists in the member's calendar and agendad did "
                  "not create it: left alone)\n",
                  out);
        else
            fprintf(out,
                    " (agendad-%s.ics exists in the member's calendar and agendad did not "
                    "create it: left alone)\n",
                    clashes);
    }
    if (resolved && *resolved)
        fprintf(out, "  %-13s %s\n", "resolved:", resolved);
}

/* How the CalDAV collection was last read as busy time, when it was. */
static void print_busy_read(sync_plugin *sp, const char *id, FILE *out)
{
    char *attempt = field(sp, id, "caldav_busy_last_attempt");
    char *success = field(sp, id, "caldav_busy_last_success");
    char *method = field(sp, id, "caldav_busy_method");
    char *error = field(sp, id, "caldav_busy_last_error");
    if (attempt) {
        print_time(out, "busy read:", attempt);
        print_time(out, "read success:", success);
        if (method)
            fprintf(out, "  %-13s %s\n", "read with:", method);
        fprintf(out, "  %-13s %s\n", "read error:", error ? error : "none");
    }
    free(attempt);
    free(success);
    free(method);
    free(error);
}

static void print_push(sync_plugin *sp, const char *id, FILE *out)
{
    static const char *const names[] = {"push_last_attempt", "push_last_success", "push_pushed",
                                        "push_deleted",      "push_conflicts",    "push_last_error",
                                        "push_waiting",      "push_clashes",      "push_resolved"};
    enum { N = sizeof names / sizeof names[0] };
    char *v[N];
    for (size_t i = 0; i < N; i++)
        v[i] = field(sp, id, names[i]);
    print_time(out, "last push:", v[0]);
    print_time(out, "push success:", v[1]);
    fprintf(out, "  %-13s %s written, %s deleted, %s conflicts\n", "pushed:", v[2] ? v[2] : "0",
            v[3] ? v[3] : "0", v[4] ? v[4] : "0");
    fprintf(out, "  %-13s %s\n", "push error:", v[5] ? v[5] : "none");
    print_waits(out, v[6], v[7], v[8]);
    for (size_t i = 0; i < N; i++)
        free(v[i]);
}

typedef struct {
    sync_plugin *sp;
    FILE *out;
    int n; /* members printed */
} status_walk;

/* One block per member that syncs: a feed to pull or a collection to push
 * into. */
static int print_member(const agendad_member *am, void *data)
{
    status_walk *w = data;
    const agendad_host *h = w->sp->host;
    agendad_member_sync s = {.size = sizeof s};
    if (h->member_sync(w->sp->self, am, &s) != 0 || (!s.feed_url && !s.caldav_url))
        return 0;
    const char *id = h->member_id(w->sp->self, am);
    FILE *out = w->out;
    if (w->n++)
        fputc('\n', out);
    fprintf(out, "%s\n", id);
    if (s.feed_url)
        fprintf(out, "  %-13s %s\n", "pulls", s.feed_url);
    if (s.caldav_url)
        fprintf(out, "  %-13s %s\n", "pushes to", s.caldav_url);
    char *attempt = field(w->sp, id, "last_attempt");
    char *success = field(w->sp, id, "last_success");
    char *events = field(w->sp, id, "events");
    char *error = field(w->sp, id, "last_error");
    print_time(out, "last attempt:", attempt);
    print_time(out, "last success:", success);
    fprintf(out, "  %-13s %s events\n", "imported:", events ? events : "0");
    fprintf(out, "  %-13s %s\n", "last error:", error ? error : "none");
    if (s.caldav_url) {
        print_push(w->sp, id, out);
        print_busy_read(w->sp, id, out);
    }
    free(attempt);
    free(success);
    free(events);
    free(error);
    return 0;
}

int sync_status_command(const agendad_command_request *r, void *data)
{
    if (r->argc < 1 || strcmp(r->argv[0], "status") != 0) {
        fprintf(r->err, "agendad sync: the only subcommand is \"status\"\n");
        return 2;
    }
    if (r->state_error) {
        fprintf(r->err, "agendad sync status: %s\n", r->state_error);
        return 1;
    }
    status_walk w = {.sp = data, .out = r->out};
    w.sp->host->member_foreach(w.sp->self, print_member, &w);
    if (w.n == 0)
        fprintf(r->out, "no member has a feed_url or a caldav collection in members.yaml\n");
    return 0;
}
#endif
