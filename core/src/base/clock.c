#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { FILE_POLL_MS = 50 };

static struct {
    bool ready, fake;
    const char *file;
    int64_t start; /* fake time at the anchor */
    double rate;   /* fake seconds per real second */
    double anchor; /* real monotonic seconds when read */
} clk;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ag_clock_init(void)
{
    if (clk.ready)
        return;
    clk.ready = true;
    const char *on = getenv("AGENDAD_TEST_CLOCK");
    if (!on || strcmp(on, "1") != 0)
        return;
    clk.fake = true;
    clk.file = getenv("AGENDAD_CLOCK_FILE");
    const char *now = getenv("AGENDAD_FAKE_NOW");
    const char *rate = getenv("AGENDAD_CLOCK_RATE");
    clk.start = now ? strtoll(now, NULL, 10) : (int64_t)time(NULL);
    clk.rate = rate ? strtod(rate, NULL) : 1.0;
    if (clk.rate <= 0)
        clk.rate = 1.0;
    clk.anchor = mono();
}

/* The last value written wins; a half-written file reads as the previous
 * value rather than 0, so that time never runs backwards by accident. */
static int64_t read_file(void)
{
    static int64_t last;
    FILE *f = fopen(clk.file, "r");
    long long v;
    if (f && fscanf(f, "%lld", &v) == 1)
        last = v;
    if (f)
        fclose(f);
    return last;
}

int64_t ag_clock_now(void)
{
    ag_clock_init();
    if (!clk.fake)
        return (int64_t)time(NULL);
    if (clk.file)
        return read_file();
    return clk.start + (int64_t)((mono() - clk.anchor) * clk.rate);
}

double ag_clock_now_precise(void)
{
    ag_clock_init();
    if (clk.fake && clk.file)
        return (double)read_file();
    if (clk.fake)
        return (double)clk.start + (mono() - clk.anchor) * clk.rate;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t ag_clock_ms_until(int64_t at)
{
    ag_clock_init();
    double left = (double)at - ag_clock_now_precise();
    if (left <= 0)
        return 0;
    if (clk.fake && clk.file)
        return FILE_POLL_MS;
    double ms = left * 1000.0 / (clk.fake ? clk.rate : 1.0);
    return ms > 1e9 ? (uint64_t)1e9 : (uint64_t)ms + 1;
}

bool ag_clock_fake_anchor(int64_t *fake, double *at)
{
    ag_clock_init();
    if (!clk.fake || clk.file)
        return false;
    *fake = clk.start;
    *at = clk.anchor;
    return true;
}

bool ag_clock_is_fake(void)
{
    ag_clock_init();
    return clk.fake;
}

uint64_t ag_clock_real_ms(int64_t seconds)
{
    ag_clock_init();
    if (seconds <= 0)
        return 0;
    if (clk.fake && clk.file)
        return FILE_POLL_MS;
    double ms = (double)seconds * 1000.0 / (clk.fake ? clk.rate : 1.0);
    return ms > 1e9 ? (uint64_t)1e9 : (uint64_t)ms + 1;
}
