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
/* True when a test clock is in use. */
bool ag_clock_is_fake(void);
/* Real milliseconds until the clock shows `seconds` more; a file clock only
 * moves when the test rewrites it, so it is polled every 50 ms. */
uint64_t ag_clock_real_ms(int64_t seconds);

#endif
