/* Feed generation benchmark: loads a config directory into a fresh store
 * (timed as "reconcile"), then builds the network feed from the store —
 * loading the events and building the iCalendar text — and reports the best
 * CPU time of a few runs, so that a busy shared machine distorts less.
 * The heap is never trimmed, so that every size's later runs reuse the
 * memory its first run faulted in: glibc otherwise keeps at most 64 MiB of
 * free heap, which warmed the runs of 10,000 events (48 MB of events) but
 * not those of 100,000 (480 MB), and skewed the growth ratio by the cost of
 * 120,000 page faults. The feed buffers themselves are fresh memory at
 * every size, as in the daemon (mmap'ed, being above 128 KiB).
 *
 *   bench_feed CONFIG_DIR STATE_PATH RUNS
 * prints: events=N vevents=M bytes=B reconcile_s=… load_s=… build_s=… */
#include "feed.h"
#include "service.h"
#include "tz.h"

#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_feed CONFIG_DIR STATE_PATH RUNS\n");
        return 2;
    }
    int runs = atoi(argv[3]);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    ag_tz_init();
    ag_service svc;
    ag_overrides ov = {.state_path = argv[2]};
    ag_diags diags = {0};
    char *err = NULL;
    double t0 = cpu_now();
    if (ag_service_open(&svc, argv[1], &ov, &diags, &err) != 0) {
        ag_diags_print(&diags, stderr);
        fprintf(stderr, "%s\n", err ? err : "config errors");
        return 1;
    }
    double reconcile = cpu_now() - t0, best_load = 1e9, best_build = 1e9;
    int64_t now = (int64_t)time(NULL);
    ag_feed_query q = {.kind = AG_FEED_NETWORK, .lang = "ar", .slots = true};
    ag_service_default_window(&svc, now, &q);
    char *out = NULL;
    size_t len = 0, nev = 0;
    for (int r = 0; r < runs; r++) {
        ag_stored_event *evs;
        size_t n;
        t0 = cpu_now();
        if (ag_store_load_events(svc.store, &evs, &n, &err) != 0)
            return 1;
        double t1 = cpu_now();
        free(out);
        if (ag_feed_build(svc.cfg, evs, n, &q, now, &out, &len, &err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double t2 = cpu_now();
        best_load = t1 - t0 < best_load ? t1 - t0 : best_load;
        best_build = t2 - t1 < best_build ? t2 - t1 : best_build;
        nev = n;
        ag_store_events_free(evs, n);
    }
    printf("events=%zu vevents=%zu bytes=%zu reconcile_s=%.4f load_s=%.4f build_s=%.4f\n", nev,
           count(out, "BEGIN:VEVENT"), len, reconcile, best_load, best_build);
    free(out);
    ag_service_close(&svc);
    ag_tz_shutdown();
    return 0;
}
