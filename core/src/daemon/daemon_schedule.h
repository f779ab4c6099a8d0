/* The admin's views of members' busy time (issue #13): GET /schedule/propose
 * (meeting slots, for the admin token) and GET /freebusy/members/ID.ifb (a
 * member's busy time, for its feed token or the admin's). Each answer is
 * computed in libuv's thread pool on a store connection of its own, from a
 * copy of the configuration and events made on the loop when its turn
 * comes: feeds are served meanwhile, and a reload does not change what a
 * computation reads. */
#ifndef AGENDAD_DAEMON_SCHEDULE_H
#define AGENDAD_DAEMON_SCHEDULE_H

#include "http.h"
#include "service.h"

#include <stdbool.h>
#include <uv.h>

/* Computations in the pool at once: half the CPUs the process may run on,
 * 1 or 2, so that the loop keeps a CPU of its own for feeds (two
 * computations on a machine of two CPUs took half the loop's time), and
 * libuv's pool (4 threads) keeps threads for the network client's SMTP
 * transfers. */
#define AG_DAEMON_SCHEDULE_RUNNING 2
/* Requests waiting on the loop for their turn; beyond, 503. A waiting
 * request holds its query only (its copy is made when it starts). */
#define AG_DAEMON_SCHEDULE_WAITING 32
/* Of those, free/busy requests (calendar apps polling): the rest of the
 * queue stays the admin's. */
#define AG_DAEMON_SCHEDULE_WAITING_FREEBUSY 8

typedef struct ag_daemon_schedule ag_daemon_schedule;

/* svc is borrowed and must outlive *out. 0, or AG_ENOMEM. */
int ag_daemon_schedule_new(uv_loop_t *loop, ag_service *svc, ag_daemon_schedule **out);
/* Takes req (true) when its path is one of the two routes, and answers it,
 * at once or from a later loop turn; false: another route's. */
bool ag_daemon_schedule_dispatch(ag_daemon_schedule *s, ag_http_request *req);
/* Whether a computation may be running in the pool: libical's zones must
 * not be freed meanwhile (a tzdata refresh waits until it is not). */
bool ag_daemon_schedule_busy(const ag_daemon_schedule *s);
/* On stop: waiting requests and new ones get 503, and so do computations
 * queued in the pool that no thread has started; those running finish and
 * answer (the HTTP server's shutdown waits for them). */
void ag_daemon_schedule_stop(ag_daemon_schedule *s);
/* Once the loop has run out. After a forced stop (the loop left with
 * requests in flight) it waits for any computation still in a thread, so
 * that what it reads (zones) is not freed under it, and keeps s (a thread
 * may yet look at it). */
void ag_daemon_schedule_free(ag_daemon_schedule *s);

#endif
