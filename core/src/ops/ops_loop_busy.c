#include "ops_loop_busy.h"

/* A prepare callback runs once per turn, right before the poll: the time
 * since the previous one, less what the poll itself slept, is the turn's
 * work (timers, I/O callbacks, checks, closes). */
static void on_prepare(uv_prepare_t *h)
{
    ag_loop_busy *lb = h->data;
    uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(h->loop);
    uint64_t busy_ns = (now - lb->last_ns) - (idle - lb->last_idle_ns);
    lb->last_ns = now;
    lb->last_idle_ns = idle;
    double busy = (double)busy_ns / 1e9;
    ag_metric_observe(lb->turns, NULL, busy);
    if (busy > lb->longest) {
        lb->longest = busy;
        ag_metric_set(lb->max, NULL, busy);
    }
}

int ag_ops_loop_busy_start(ag_loop_busy *lb, uv_loop_t *loop, ag_metrics *m)
{
    static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};
    lb->turns = ag_metrics_histogram(m, "agendad_loop_busy_seconds",
                                     "Work done in one event-loop turn, between two polls.", NULL,
                                     bounds, sizeof bounds / sizeof bounds[0]);
    lb->max = ag_metrics_gauge(m, "agendad_loop_busy_max_seconds",
                               "The longest event-loop turn since the start.", NULL);
    lb->longest = 0;
    lb->last_ns = uv_hrtime();
    lb->last_idle_ns = uv_metrics_idle_time(loop);
    int rc = uv_prepare_init(loop, &lb->prepare);
    if (rc < 0)
        return rc;
    lb->prepare.data = lb;
    rc = uv_prepare_start(&lb->prepare, on_prepare);
    /* A measurement never keeps the loop alive. */
    uv_unref((uv_handle_t *)&lb->prepare);
    return rc;
}
