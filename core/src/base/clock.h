/* The scheduler's idea of "now". Normally the system's wall clock. Tests
 * drive time without sleeping: only when AGENDAD_TEST_CLOCK=1 is set in the
 * environment, the clock reads AGENDAD_CLOCK_FILE (a file holding one Unix
 * time, rewritten by the test to move time), else starts at AGENDAD_FAKE_NOW
 * and advances AGENDAD_CLOCK_RATE (default 1) fake seconds per real second.
 * Without AGENDAD_TEST_CLOCK those variables are ignored, so that a stray
 * variable can never shift a production daemon's reminders. */
#ifndef AGENDAD_CLOCK_H
#define AGENDAD_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Reads the environment once; later calls change nothing. */
void ag_clock_init(void);
/* Unix seconds. */
int64_t ag_clock_now(void);
/* Unix time with its fraction: a timer armed from whole seconds would wake
 * up to a second late. */
double ag_clock_now_precise(void);
/* Real milliseconds until the clock shows the instant at (0 when past),
 * rounded up so that a wake never comes before it. */
uint64_t ag_clock_ms_until(int64_t at);
/* The test clock's start: fake Unix time `fake` at CLOCK_MONOTONIC `mono`
 * seconds (benchmarks turn due times into real instants with it). False
 * without a test clock or with a file clock. */
bool ag_clock_fake_anchor(int64_t *fake, double *mono);
/* True when a test clock is in use. */
bool ag_clock_is_fake(void);
/* Real milliseconds until the clock shows `seconds` more; a file clock only
 * moves when the test rewrites it, so it is polled every 50 ms. */
uint64_t ag_clock_real_ms(int64_t seconds);

#endif
