/* libFuzzer target: a member's iCalendar feed through the import path the
 * sync plugin uses (libical parse, error count, bounded expansion). */
#include "ical_import.h"
#include "tz.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return ag_tz_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ag_ical_limits lim;
    /* 2026-01-01: fixed, so that a crash replays on any day. */
    ag_ical_limits_default(&lim, 1767225600);
    /* Small caps keep each input fast; the caps themselves are what is tested. */
    lim.max_steps = 2000;
    lim.max_events = 500;
    ag_ical_result r;
    if (ag_ical_import((const char *)data, size, &lim, &r, NULL) == 0)
        ag_ical_result_free(&r);
    return 0;
}
