/* A small metrics registry rendered in the Prometheus text format (0.0.4)
 * on /metrics. Modules register their families once (at start) and update
 * them from the loop thread; nothing here locks.
 *
 * A family has a name, a help line, a type and up to AG_METRIC_MAX_LABELS
 * label names; each distinct tuple of label values is one series, created
 * on first update. Label values must come from a bounded set (a route
 * template, a status code, a channel name, a member id) — never a raw URL
 * or anything a client chooses: a family refuses series beyond
 * AG_METRIC_MAX_SERIES (counted in agendad_metrics_dropped_series_total).
 *
 * Adding metrics from another module (reminders, sync): keep the ag_metric
 * pointers returned by ag_metrics_counter/gauge/histogram in the module,
 * registered with the daemon's registry (ag_daemon hands it to modules it
 * creates), and update them where the thing happens. Plugins will reach the
 * same registry through host-table entries that wrap these functions (to be
 * appended to agendad/plugin.h when a plugin first needs it); names then
 * get the prefix agendad_plugin_NAME_. */
#ifndef AGENDAD_METRICS_H
#define AGENDAD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AG_METRIC_MAX_LABELS 4
#define AG_METRIC_MAX_SERIES 512
#define AG_METRIC_MAX_BUCKETS 16

typedef struct ag_metrics ag_metrics;
typedef struct ag_metric ag_metric;

ag_metrics *ag_metrics_new(void);
/* NULL is accepted. Every ag_metric of the registry goes with it. */
void ag_metrics_free(ag_metrics *m);

/* Registration. name: [a-zA-Z_:][a-zA-Z0-9_:]* (counters end in _total by
 * convention); labels: NULL-terminated names, or NULL for none. Registering
 * a name twice returns the existing family when its type and labels match.
 * Returns NULL on a bad name, too many labels, a clash or out of memory;
 * every update function accepts a NULL family and does nothing, so that a
 * failed registration costs a metric, never a crash. Strings are copied. */
ag_metric *ag_metrics_counter(ag_metrics *m, const char *name, const char *help,
                              const char *const *labels);
ag_metric *ag_metrics_gauge(ag_metrics *m, const char *name, const char *help,
                            const char *const *labels);
/* bounds: n ascending upper bounds (+Inf is implicit), n <= AG_METRIC_MAX_BUCKETS. */
ag_metric *ag_metrics_histogram(ag_metrics *m, const char *name, const char *help,
                                const char *const *labels, const double *bounds, size_t n);

/* Updates. values: one per label name, in order (NULL when the family has
 * no labels). Counters only go up: a negative v is ignored. */
void ag_metric_add(ag_metric *f, const char *const *values, double v);
void ag_metric_set(ag_metric *f, const char *const *values, double v);
void ag_metric_observe(ag_metric *f, const char *const *values, double v);

/* The current value of a counter or gauge series (0 when it does not exist
 * yet); for a histogram, the count of observations. For /status and tests. */
double ag_metric_value(const ag_metric *f, const char *const *values);

/* One series as /status shows it: labels as "name=value" pairs, the
 * counter or gauge value, or for a histogram its count and sum. */
typedef struct {
    const char *family, *help;
    const char *const *label_names; /* n_labels entries */
    const char *const *label_values;
    size_t n_labels;
    bool histogram;
    double value;   /* counter, gauge: the value; histogram: the sum */
    uint64_t count; /* histogram: observations */
} ag_metric_sample;

/* Calls fn for every series of every family, in registration order. */
void ag_metrics_foreach(const ag_metrics *m, void (*fn)(const ag_metric_sample *s, void *data),
                        void *data);

/* The whole registry in the text exposition format; malloc'd, caller frees.
 * NULL when out of memory. */
char *ag_metrics_render(const ag_metrics *m, size_t *len);

#endif
