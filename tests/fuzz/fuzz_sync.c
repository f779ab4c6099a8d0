/* libFuzzer target: the sync plugin's own import of a member's feed
 * (plugins/sync/ical_import.c, si_import), which the agendad-ical-import
 * child runs on every pull. Same input format as the ical target. */
#include "ical_import.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* 2025-01-01 .. 2028-01-01, fixed so that a crash replays on any day;
     * small caps keep each input fast. */
    si_limits lim = {.from = 1735689600,
                     .to = 1830297600,
                     .max_instances = 500,
                     .max_iterations = 2000,
                     .max_events = 1000,
                     .default_tzid = "Africa/Casablanca"};
    char *err = NULL;
    json_t *events = si_import(text, &lim, &err);
    json_decref(events);
    free(err);
    free(text);
    return 0;
}
