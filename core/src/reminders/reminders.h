/* Reminders: which are due when, and getting each to its recipients once.
 *
 * Reminders are stored relative to the occurrence (event, lead time), never
 * as fixed instants: the schedule is rebuilt from the events at start and at
 * every reload, so a moved event moves its reminders. An occurrence's
 * instant comes from its local time and zone through tz.c at rebuild time;
 * a reminder is due `lead` real seconds before it ("1 day before" an event
 * just after a clock change is 24 real hours before, not the same wall time
 * the day before).
 *
 * One libuv timer is armed for the next instant anything is due, but never
 * longer than reminders.check_interval: each wake reads the clock (clock.h)
 * again and works from the wall clock, so a jump of the system clock is
 * seen at the next wake rather than trusting the monotonic timer.
 *
 * Due reminders go to the outbox (store_outbox.h) in one transaction with
 * the "checked until" mark, before any send; then each pending row is
 * handed to its channel. Each outcome is committed as the channel reports
 * it, without an fsync of its own (store_outbox.h). After a crash, rows
 * still pending are sent again: a reminder is sent twice only when the
 * crash fell between the remote side's acceptance and that commit. */
#ifndef AGENDAD_REMINDERS_H
#define AGENDAD_REMINDERS_H

#include "config.h"
#include "metrics.h"
#include "plugin_host.h"
#include "store.h"

#include <stdint.h>
#include <uv.h>

typedef struct ag_scheduler ag_scheduler;

/* Starts with no schedule: call ag_reminders_rebuild. All borrowed; the
 * plugin host may be NULL (every send then fails: no such channel). 0, or
 * a negative AG_E* code (the store's, logged; AG_ENOMEM). */
int ag_reminders_new(uv_loop_t *loop, ag_store *st, ag_plugin_host *plugins, ag_scheduler **out);
/* Recomputes the schedule from cfg and the stored events (both borrowed
 * until the next rebuild), drops what no longer applies, queues change and
 * cancellation notices, and rearms the timer. */
void ag_reminders_rebuild(ag_scheduler *s, const ag_config *cfg, const ag_stored_event *evs,
                          size_t n);
/* Shutdown, first step: hands nothing new to the channels and calls
 * drained(data) on the loop once every reminder in flight has reported its
 * outcome and that outcome is committed (at once when none is in flight). */
void ag_reminders_drain(ag_scheduler *s, void (*drained)(void *data), void *data);
/* The stop deadline passed: outcomes still to come are ignored, so their
 * rows stay pending and are sent again at the next start; drained is not
 * called any more. */
void ag_reminders_abandon(ag_scheduler *s);
/* Commits the outcomes still queued and stops the timer. Close callbacks
 * run on the loop; free afterwards, and after the plugins' fini (what is
 * still in flight is freed then). */
void ag_reminders_stop(ag_scheduler *s);
void ag_reminders_free(ag_scheduler *s);

/* Registers the reminder families in m (borrowed, must outlive s):
 * agendad_reminder_deliveries_total{channel,outcome},
 * agendad_reminders{state,channel} and agendad_reminder_delay_seconds. */
void ag_reminders_set_metrics(ag_scheduler *s, ag_metrics *m);
/* Sets agendad_reminders from the outbox: call before rendering. */
void ag_reminders_refresh_metrics(ag_scheduler *s);

/* Number of (occurrence, lead) entries in the schedule (benchmarks, tests). */
size_t ag_reminders_size(const ag_scheduler *s);

/* --- the math, exposed for unit tests --- */

/* Start instants of ev's occurrences in [from, to] (sorted, EXDATEs left
 * out). *out malloc'd. 0; AG_EINVAL (bad rule), AG_EZONE or AG_ENOMEM. */
int ag_reminders_occurrences(const ag_event *ev, int64_t from, int64_t to, int64_t **out,
                             size_t *n);
/* Delay before retry number `attempt` (1-based): initial doubled each time,
 * capped at max, then "equal jitter": half fixed, half drawn from rnd. */
int64_t ag_reminders_backoff(int attempt, int64_t initial, int64_t max, uint32_t rnd);
/* What decides change notices: time, place and status of ev (malloc'd). */
char *ag_reminders_fingerprint(const ag_stored_event *ev);

#endif
