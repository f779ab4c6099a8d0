/* GET /schedule/propose and GET /freebusy/members/ID.ifb: who may ask,
 * what is asked, and the computation's trip through libuv's pool.
 *
 * On the loop: the token, the query, then, when one of the places (see
 * AG_DAEMON_SCHEDULE_RUNNING) is free, a copy of the settings,
 * members and events (ag_schedule_input_new, which also loads the zones
 * the computation needs: libical builds zones lazily). In a pool thread:
 * the place's read-only store connection (the daemon's is the loop's, and
 * sqlite connections here are single-threaded), the members' calendars,
 * the answer. Back on the loop: the response, and the next waiting
 * request's turn. */
#include "daemon_schedule.h"

#include "config_network.h"
#include "log.h"
#include "metrics.h"
#include "schedule.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROPOSE_PATH "/schedule/propose"
#define FREEBUSY_PREFIX "/freebusy/members/"
#define FREEBUSY_SUFFIX ".ifb"
#define MEMBER_ID_MAX 256
#define MAX_PARAMS 16

typedef enum { JOB_PROPOSE, JOB_FREEBUSY } job_kind;

/* A read-only store connection per place, kept from one computation to the
 * next: with its page cache warm, reading 66 members x 1,000 intervals took
 * 16-24 ms instead of 21-27 on a connection opened for it (and opening one
 * costs 1 ms). Used by one thread at a time (the job's), handed over
 * through libuv's queue. */
typedef struct {
    ag_store *st;
    char *path; /* the state path it was opened on */
    bool taken;
} place;

typedef struct job {
    uv_work_t work;
    ag_daemon_schedule *owner;
    ag_http_request *req;
    job_kind kind;
    ag_schedule_query q; /* JOB_PROPOSE */
    char *member;        /* JOB_FREEBUSY */
    int64_t from, to;    /* the calendars read, UTC [from, to); a proposal's set in start() */
    int64_t now;
    char *state_path;
    char *lang;
    ag_schedule_input *in; /* made on the loop, freed in the pool */
    place *place;          /* while in the pool */
    /* the outcome, from the pool */
    int rc;
    bool store_failed; /* rc is the store's: 503, not the request's fault */
    char *body;
    size_t len;
    char *err;
    /* uv_hrtime() when it was submitted, and each phase's nanoseconds */
    uint64_t submitted, wait_ns, copy_ns, calendars_ns, compute_ns;
    struct job *next; /* in the waiting queue, or among the running */
} job;

struct ag_daemon_schedule {
    uv_loop_t *loop;
    ag_service *svc;
    int places_n; /* of places: computations at once */
    int running;  /* handed to the pool, answer not yet sent */
    job *in_pool; /* those, so that a stop can cancel the ones not started */
    place places[AG_DAEMON_SCHEDULE_RUNNING];
    job *wait_head, *wait_tail;
    int waiting;
    int waiting_freebusy; /* of waiting */
    bool stopping;
    ag_metric *seconds; /* by kind and phase */
    /* Between the loop and the pool's threads: how many jobs are inside a
     * thread now, and whether they may still start (see free). */
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int in_thread;
    bool closed;
};

/* ---- jobs ---- */

static void job_free(job *j)
{
    ag_schedule_query_free(&j->q);
    ag_schedule_input_free(j->in);
    free(j->member);
    free(j->state_path);
    free(j->lang);
    free(j->body);
    free(j->err);
    free(j);
}

static job *job_new(ag_daemon_schedule *s, ag_http_request *req, job_kind kind)
{
    const ag_settings *set = ag_service_settings(s->svc);
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    *j = (job){
        .owner = s, .req = req, .kind = kind, .now = (int64_t)time(NULL), .submitted = uv_hrtime()};
    j->work.data = j;
    j->state_path = strdup(set->state_path);
    j->lang = strdup(set->default_lang);
    if (!j->state_path || !j->lang) {
        job_free(j);
        return NULL;
    }
    return j;
}

/* ---- in a pool thread ---- */

static bool enter_thread(ag_daemon_schedule *s)
{
    pthread_mutex_lock(&s->mu);
    bool ok = !s->closed;
    if (ok)
        s->in_thread++;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void leave_thread(ag_daemon_schedule *s)
{
    pthread_mutex_lock(&s->mu);
    if (--s->in_thread == 0)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
}

static int compute(job *j)
{
    if (j->kind == JOB_PROPOSE)
        return ag_schedule_propose(j->in, &j->q, AG_SCHEDULE_JSON, j->lang, j->now, &j->body,
                                   &j->len, &j->err);
    return ag_schedule_freebusy(j->in, j->member, j->from, j->to, j->now, &j->body, &j->len,
                                &j->err);
}

static void place_close(place *p)
{
    ag_store_close(p->st);
    free(p->path);
    p->st = NULL;
    p->path = NULL;
}

/* p's connection, on path (a restart may have moved the state). */
static int place_open(place *p, const char *path, char **err)
{
    if (p->st && strcmp(p->path, path) == 0)
        return 0;
    place_close(p);
    if (!(p->path = strdup(path)))
        return AG_ENOMEM;
    const ag_store_options ro = {.readonly = true};
    int rc = ag_store_open_with(path, &ro, &p->st, err);
    if (rc < 0)
        place_close(p);
    return rc;
}

static void work(uv_work_t *w)
{
    job *j = w->data;
    if (!enter_thread(j->owner)) {
        j->rc = AG_ECANCELED;
        return;
    }
    uint64_t t0 = uv_hrtime();
    j->rc = place_open(j->place, j->state_path, &j->err);
    if (j->rc == 0)
        j->rc = ag_schedule_input_load_calendars(j->in, j->place->st, j->from, j->to, &j->err);
    j->store_failed = j->rc < 0;
    /* Opened afresh next time: the file may have been replaced, or its
     * trouble may pass. */
    if (j->store_failed)
        place_close(j->place);
    uint64_t t1 = uv_hrtime();
    if (j->rc == 0)
        j->rc = compute(j);
    j->calendars_ns = t1 - t0;
    j->compute_ns = uv_hrtime() - t1;
    /* Here rather than on the loop: freeing 66 members' intervals is work. */
    ag_schedule_input_free(j->in);
    j->in = NULL;
    leave_thread(j->owner);
}

/* ---- back on the loop ---- */

static const char *const retry_soon[] = {"Retry-After: 2", NULL};
static const char *const retry_later[] = {"Retry-After: 30", NULL};

static void answer_failure(job *j)
{
    const char *what = j->kind == JOB_PROPOSE ? "proposal" : "free/busy";
    if (j->rc == AG_ECANCELED) {
        ag_http_respond_error(j->req, 503, "agendad is stopping", retry_later);
    } else if (j->store_failed && j->rc != AG_ENOMEM) {
        ag_log(AG_LOG_ERR, "%s: %s", what, j->err ? j->err : ag_strerror(j->rc));
        ag_http_respond_error(j->req, 503, "the state database cannot be read now", retry_later);
    } else if (j->rc == AG_EINVAL || (j->rc == AG_ENOENT && j->kind == JOB_PROPOSE)) {
        ag_http_respond_error(j->req, 400, j->err ? j->err : "invalid request", NULL);
    } else if (j->rc == AG_ENOENT) {
        ag_http_respond_error(j->req, 404, "no such member", NULL);
    } else {
        ag_log(AG_LOG_ERR, "%s: %s", what, j->err ? j->err : ag_strerror(j->rc));
        ag_http_respond_error(j->req, 500, ag_strerror(j->rc), NULL);
    }
}

static void answer(job *j)
{
    if (j->rc < 0) {
        answer_failure(j);
        return;
    }
    const char *type =
        j->kind == JOB_PROPOSE ? "application/json; charset=utf-8" : "text/calendar; charset=utf-8";
    ag_http_respond(j->req, 200, type, j->body, j->len, NULL);
}

static void start_next(ag_daemon_schedule *s);

/* Where the time went: waiting for a place, the copy on the loop (which
 * holds up every other request), the calendars and the computation in a
 * pool thread. */
static void measure(ag_daemon_schedule *s, const job *j)
{
    const char *kind = j->kind == JOB_PROPOSE ? "propose" : "freebusy";
    const struct {
        const char *phase;
        uint64_t ns;
    } phases[] = {{"wait", j->wait_ns},
                  {"copy", j->copy_ns},
                  {"calendars", j->calendars_ns},
                  {"compute", j->compute_ns}};
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        const char *const v[] = {kind, phases[i].phase};
        ag_metric_observe(s->seconds, v, (double)phases[i].ns / 1e9);
    }
    ag_log(AG_LOG_DEBUG, "%s: waited %.1f ms, copy %.1f ms, calendars %.1f ms, computed %.1f ms",
           kind, (double)j->wait_ns / 1e6, (double)j->copy_ns / 1e6, (double)j->calendars_ns / 1e6,
           (double)j->compute_ns / 1e6);
}

static void unlink_running(ag_daemon_schedule *s, job *j)
{
    for (job **p = &s->in_pool; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    s->running--;
}

static void after_work(uv_work_t *w, int status)
{
    job *j = w->data;
    ag_daemon_schedule *s = j->owner;
    unlink_running(s, j);
    j->place->taken = false;
    if (status == UV_ECANCELED)
        j->rc = AG_ECANCELED;
    else
        measure(s, j);
    answer(j);
    job_free(j);
    start_next(s);
}

/* The copy of what the computation reads, then the pool. Nobody is left to
 * read an answer to a client that has gone: 499 (nginx's "client closed
 * request") is what the metrics count for it. */
static void start(ag_daemon_schedule *s, job *j)
{
    if (ag_http_client_gone(j->req)) {
        ag_http_respond(j->req, 499, NULL, NULL, 0, NULL);
        job_free(j);
        return;
    }
    char *err = NULL;
    const ag_service *svc = s->svc;
    uint64_t t0 = uv_hrtime();
    j->wait_ns = t0 - j->submitted;
    int rc = ag_schedule_input_new(svc->cfg, svc->evs, svc->n_evs, &j->in, &err);
    j->copy_ns = uv_hrtime() - t0;
    if (rc == 0 && j->kind == JOB_PROPOSE)
        ag_schedule_query_window(j->in, &j->q, &j->from, &j->to);
    /* One is free: running counts the places taken. */
    for (int i = 0; i < s->places_n && !j->place; i++)
        if (!s->places[i].taken)
            j->place = &s->places[i];
    if (rc == 0)
        rc = uv_queue_work(s->loop, &j->work, work, after_work);
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "cannot start a computation of busy time: %s",
               err ? err : ag_strerror(rc));
        ag_http_respond_error(j->req, 500, ag_strerror(rc), NULL);
        free(err);
        job_free(j);
        return;
    }
    j->place->taken = true;
    j->next = s->in_pool;
    s->in_pool = j;
    s->running++;
}

static void start_next(ag_daemon_schedule *s)
{
    while (s->wait_head && s->running < s->places_n && !s->stopping) {
        job *j = s->wait_head;
        s->wait_head = j->next;
        if (!s->wait_head)
            s->wait_tail = NULL;
        s->waiting--;
        s->waiting_freebusy -= j->kind == JOB_FREEBUSY;
        start(s, j);
    }
}

/* Whether j may wait: members' calendar apps polling their free/busy
 * must not take every place in the queue from the admin. */
static bool room_to_wait(const ag_daemon_schedule *s, const job *j)
{
    return s->waiting < AG_DAEMON_SCHEDULE_WAITING &&
           (j->kind != JOB_FREEBUSY || s->waiting_freebusy < AG_DAEMON_SCHEDULE_WAITING_FREEBUSY);
}

/* Starts j, or queues it, or refuses it when too many wait. */
static void submit(ag_daemon_schedule *s, job *j)
{
    if (s->stopping) {
        ag_http_respond_error(j->req, 503, "agendad is stopping", retry_later);
        job_free(j);
    } else if (s->running < s->places_n && !s->wait_head) {
        start(s, j);
    } else if (room_to_wait(s, j)) {
        if (s->wait_tail)
            s->wait_tail->next = j;
        else
            s->wait_head = j;
        s->wait_tail = j;
        s->waiting++;
        s->waiting_freebusy += j->kind == JOB_FREEBUSY;
    } else {
        ag_http_respond_error(j->req, 503,
                              "too many computations of busy time at once; "
                              "try again shortly",
                              retry_soon);
        job_free(j);
    }
}

/* ---- who may ask ---- */

/* The admin's token, from any address. Sends the refusal itself and
 * returns false when req may not see the admin's views. */
static bool admin_allowed(ag_daemon_schedule *s, ag_http_request *req)
{
    const char *token = ag_service_settings(s->svc)->admin_token;
    ag_http_bearer b = ag_http_bearer_check(req, token);
    if (b == AG_HTTP_BEARER_OK)
        return true;
    if (!token) {
        ag_http_respond_error(req, 403, "no admin token is configured (http.admin_token_file)",
                              NULL);
    } else if (b == AG_HTTP_BEARER_MISSING) {
        const char *const h[] = {"WWW-Authenticate: Bearer realm=\"agendad\"", NULL};
        ag_http_respond_error(req, 401, "the admin's bearer token is required", h);
    } else {
        ag_http_respond_error(req, 403, "this token is not the admin's", NULL);
    }
    return false;
}

/* The admin's token, or member's own feed token in ?token=. */
static bool member_allowed(ag_daemon_schedule *s, ag_http_request *req, const char *member)
{
    const ag_settings *set = ag_service_settings(s->svc);
    if (ag_http_bearer_check(req, set->admin_token) == AG_HTTP_BEARER_OK)
        return true;
    const char *token = ag_http_query(req, "token");
    bool valid = false;
    char *err = NULL;
    if (token && s->svc->store &&
        ag_store_token_check(s->svc->store, member, token, &valid, &err) < 0) {
        ag_log(AG_LOG_ERR, "token check for %s: %s", member, err ? err : "?");
        free(err);
        ag_http_respond_error(req, 503, "the token store is not available", retry_later);
        return false;
    }
    if (!valid)
        ag_http_respond_error(req, 403,
                              "a valid token is required: the member's own, or the admin's", NULL);
    return valid;
}

/* Nothing is read before the store has answered once. */
static bool ready(ag_daemon_schedule *s, ag_http_request *req)
{
    if (s->svc->have_events && s->svc->store)
        return true;
    ag_http_respond_error(req, 503, "the event store is not available yet", retry_later);
    return false;
}

/* ---- what is asked ---- */

static void serve_propose(ag_daemon_schedule *s, ag_http_request *req)
{
    if (!admin_allowed(s, req) || !ready(s, req))
        return;
    size_t n = ag_http_query_count(req);
    if (n > MAX_PARAMS) {
        ag_http_respond_error(req, 400, "too many options", NULL);
        return;
    }
    const char *names[MAX_PARAMS], *values[MAX_PARAMS];
    for (size_t i = 0; i < n; i++) {
        names[i] = ag_http_query_name(req, i);
        values[i] = ag_http_query_value(req, i);
    }
    job *j = job_new(s, req, JOB_PROPOSE);
    if (!j) {
        ag_http_respond_error(req, 500, "out of memory", NULL);
        return;
    }
    char *err = NULL;
    int rc = ag_schedule_query_parse(names, values, n, &j->q, &err);
    if (rc < 0) {
        ag_http_respond_error(req, rc == AG_ENOMEM ? 500 : 400, err ? err : ag_strerror(rc), NULL);
        free(err);
        job_free(j);
        return;
    }
    submit(s, j);
}

/* "/freebusy/members/ID.ifb" → ID; false for another path. */
static bool freebusy_member(const char *path, char *id, size_t size)
{
    size_t pl = strlen(FREEBUSY_PREFIX), sl = strlen(FREEBUSY_SUFFIX);
    if (strncmp(path, FREEBUSY_PREFIX, pl) != 0)
        return false;
    const char *key = path + pl;
    size_t n = strlen(key);
    if (n <= sl || n - sl >= size || strcmp(key + n - sl, FREEBUSY_SUFFIX) != 0)
        return false;
    memcpy(id, key, n - sl);
    id[n - sl] = '\0';
    return strchr(id, '/') == NULL;
}

static void serve_freebusy(ag_daemon_schedule *s, ag_http_request *req, const char *member)
{
    if (!ready(s, req) || !member_allowed(s, req, member))
        return;
    if (!ag_config_member(s->svc->cfg, member)) {
        ag_http_respond_error(req, 404, "no such member", NULL);
        return;
    }
    job *j = job_new(s, req, JOB_FREEBUSY);
    if (j && !(j->member = strdup(member))) {
        job_free(j);
        j = NULL;
    }
    if (!j) {
        ag_http_respond_error(req, 500, "out of memory", NULL);
        return;
    }
    ag_feed_query window = {0};
    ag_service_default_window(s->svc, j->now, &window);
    j->from = window.from;
    j->to = window.to;
    submit(s, j);
}

bool ag_daemon_schedule_dispatch(ag_daemon_schedule *s, ag_http_request *req)
{
    const char *path = ag_http_path(req);
    char member[MEMBER_ID_MAX];
    if (strcmp(path, PROPOSE_PATH) == 0) {
        ag_http_set_route(req, PROPOSE_PATH);
        ag_http_set_private(req);
        serve_propose(s, req);
        return true;
    }
    if (freebusy_member(path, member, sizeof member)) {
        ag_http_set_route(req, FREEBUSY_PREFIX "{id}" FREEBUSY_SUFFIX);
        ag_http_set_private(req);
        serve_freebusy(s, req, member);
        return true;
    }
    return false;
}

/* ---- lifetime ---- */

int ag_daemon_schedule_new(uv_loop_t *loop, ag_service *svc, ag_daemon_schedule **out)
{
    ag_daemon_schedule *s = calloc(1, sizeof *s);
    if (!s)
        return AG_ENOMEM;
    static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    const char *const labels[] = {"kind", "phase", NULL};
    unsigned half = uv_available_parallelism() / 2;
    s->places_n = half < 1                            ? 1
                  : half > AG_DAEMON_SCHEDULE_RUNNING ? AG_DAEMON_SCHEDULE_RUNNING
                                                      : (int)half;
    s->loop = loop;
    s->svc = svc;
    s->seconds = ag_metrics_histogram(
        svc->metrics, "agendad_schedule_seconds",
        "Proposals and free/busy answers: time waiting for a place, copying on the loop, "
        "reading calendars and computing in a pool thread.",
        labels, bounds, sizeof bounds / sizeof bounds[0]);
    ag_log(AG_LOG_INFO, "proposals and free/busy: %d computed at a time, %d more may wait",
           s->places_n, AG_DAEMON_SCHEDULE_WAITING);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->idle, NULL);
    *out = s;
    return 0;
}

bool ag_daemon_schedule_busy(const ag_daemon_schedule *s)
{
    return s && s->running > 0;
}

void ag_daemon_schedule_stop(ag_daemon_schedule *s)
{
    if (!s)
        return;
    s->stopping = true;
    while (s->wait_head) {
        job *j = s->wait_head;
        s->wait_head = j->next;
        ag_http_respond_error(j->req, 503, "agendad is stopping", retry_later);
        job_free(j);
    }
    s->wait_tail = NULL;
    s->waiting = s->waiting_freebusy = 0;
    /* Those still queued in the pool answer 503 from after_work; the ones
     * a thread is computing finish. */
    for (job *j = s->in_pool; j; j = j->next)
        uv_cancel((uv_req_t *)&j->work);
}

void ag_daemon_schedule_free(ag_daemon_schedule *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->closed = true;
    while (s->in_thread > 0)
        pthread_cond_wait(&s->idle, &s->mu);
    pthread_mutex_unlock(&s->mu);
    /* A forced stop left jobs in the pool: a thread may still take one and
     * look at s (to find it closed), so s stays, as the HTTP server does. */
    if (s->running > 0)
        return;
    for (size_t i = 0; i < AG_DAEMON_SCHEDULE_RUNNING; i++)
        place_close(&s->places[i]);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->idle);
    free(s);
}
