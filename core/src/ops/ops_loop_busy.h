/* How long each loop turn keeps the loop from polling: the time a feed
 * request that arrives during the turn waits before it is even read. One
 * histogram and the longest turn on /metrics, so that work that blocks the
 * loop (a member's import, a large feed build) shows up as what it costs
 * every client, not only as total CPU. */
#ifndef AGENDAD_OPS_LOOP_BUSY_H
#define AGENDAD_OPS_LOOP_BUSY_H

#include "metrics.h"

#include <stdint.h>
#include <uv.h>

typedef struct {
    uv_prepare_t prepare;
    uint64_t last_ns, last_idle_ns; /* at the previous turn's prepare */
    double longest;
    ag_metric *turns, *max;
} ag_loop_busy;

/* The loop must have been configured with UV_METRICS_IDLE_TIME before it
 * ran. Registers agendad_loop_busy_seconds (histogram) and
 * agendad_loop_busy_max_seconds (gauge) in m. 0, or libuv's code (an AG_E*
 * code). */
int ag_ops_loop_busy_start(ag_loop_busy *lb, uv_loop_t *loop, ag_metrics *m);

#endif
