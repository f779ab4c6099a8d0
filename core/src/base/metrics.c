#include "metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } metric_kind;

typedef struct series series;
struct series {
    char *values[AG_METRIC_MAX_LABELS];
    double value; /* counter, gauge; histogram: sum */
    uint64_t count;
    uint64_t buckets[AG_METRIC_MAX_BUCKETS]; /* non-cumulative; rendered cumulative */
    series *next;
};

struct ag_metric {
    ag_metrics *reg;
    char *name, *help;
    metric_kind kind;
    char *labels[AG_METRIC_MAX_LABELS];
    size_t n_labels;
    double bounds[AG_METRIC_MAX_BUCKETS];
    size_t n_bounds;
    series *first, *last; /* in creation order, so that output is stable */
    size_t n_series;
    ag_metric *next;
};

struct ag_metrics {
    ag_metric *first, *last;
    ag_metric *dropped; /* series refused by AG_METRIC_MAX_SERIES */
};

static bool valid_name(const char *s, bool colon_ok)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                  (*s >= '0' && *s <= '9') || *s == '_' || (colon_ok && *s == ':');
        if (!ok)
            return false;
    }
    return true;
}

static void series_free(series *s)
{
    for (size_t i = 0; i < AG_METRIC_MAX_LABELS; i++)
        free(s->values[i]);
    free(s);
}

static void family_free(ag_metric *f)
{
    for (series *s = f->first, *next; s; s = next) {
        next = s->next;
        series_free(s);
    }
    for (size_t i = 0; i < f->n_labels; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f);
}

static ag_metric *find_family(const ag_metrics *m, const char *name)
{
    for (ag_metric *f = m->first; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static size_t count_labels(const char *const *labels)
{
    size_t n = 0;
    while (labels && labels[n])
        n++;
    return n;
}

/* Same type and label names: a second registration shares the family. */
static bool same_shape(const ag_metric *f, metric_kind kind, const char *const *labels)
{
    if (f->kind != kind || f->n_labels != count_labels(labels))
        return false;
    for (size_t i = 0; i < f->n_labels; i++)
        if (strcmp(f->labels[i], labels[i]) != 0)
            return false;
    return true;
}

static ag_metric *new_family(const char *name, const char *help, metric_kind kind,
                             const char *const *labels, size_t n_labels)
{
    ag_metric *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->kind = kind;
    bool ok = f->name && f->help;
    for (size_t i = 0; i < n_labels; i++, f->n_labels++)
        ok = (f->labels[i] = strdup(labels[i])) != NULL && ok;
    if (!ok) {
        family_free(f);
        return NULL;
    }
    return f;
}

static ag_metric *registration(ag_metrics *m, const char *name, const char *help, metric_kind kind,
                               const char *const *labels)
{
    size_t n = count_labels(labels);
    if (!m || !valid_name(name, true) || n > AG_METRIC_MAX_LABELS)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!valid_name(labels[i], false) || strncmp(labels[i], "__", 2) == 0 ||
            (kind == KIND_HISTOGRAM && strcmp(labels[i], "le") == 0))
            return NULL;
    ag_metric *f = find_family(m, name);
    if (f)
        return same_shape(f, kind, labels) ? f : NULL;
    f = new_family(name, help, kind, labels, n);
    if (!f)
        return NULL;
    f->reg = m;
    if (m->last)
        m->last->next = f;
    else
        m->first = f;
    m->last = f;
    return f;
}

ag_metrics *ag_metrics_new(void)
{
    ag_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->dropped = registration(m, "agendad_metrics_dropped_series_total",
                              "Updates refused because a family reached its series limit.",
                              KIND_COUNTER, NULL);
    return m;
}

void ag_metrics_free(ag_metrics *m)
{
    if (!m)
        return;
    for (ag_metric *f = m->first, *next; f; f = next) {
        next = f->next;
        family_free(f);
    }
    free(m);
}

ag_metric *ag_metrics_counter(ag_metrics *m, const char *name, const char *help,
                              const char *const *labels)
{
    return registration(m, name, help, KIND_COUNTER, labels);
}

ag_metric *ag_metrics_gauge(ag_metrics *m, const char *name, const char *help,
                            const char *const *labels)
{
    return registration(m, name, help, KIND_GAUGE, labels);
}

static bool ascending(const double *b, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (!(b[i] > b[i - 1]))
            return false;
    return true;
}

ag_metric *ag_metrics_histogram(ag_metrics *m, const char *name, const char *help,
                                const char *const *labels, const double *bounds, size_t n)
{
    if (!bounds || n == 0 || n > AG_METRIC_MAX_BUCKETS || !ascending(bounds, n))
        return NULL;
    ag_metric *f = registration(m, name, help, KIND_HISTOGRAM, labels);
    if (f && f->n_bounds == 0) {
        memcpy(f->bounds, bounds, n * sizeof *bounds);
        f->n_bounds = n;
    }
    return f;
}

static bool values_match(const ag_metric *f, const series *s, const char *const *values)
{
    for (size_t i = 0; i < f->n_labels; i++)
        if (strcmp(s->values[i], values && values[i] ? values[i] : "") != 0)
            return false;
    return true;
}

static series *find_series(const ag_metric *f, const char *const *values)
{
    for (series *s = f->first; s; s = s->next)
        if (values_match(f, s, values))
            return s;
    return NULL;
}

static series *new_series(ag_metric *f, const char *const *values)
{
    series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    for (size_t i = 0; i < f->n_labels; i++) {
        s->values[i] = strdup(values && values[i] ? values[i] : "");
        if (!s->values[i]) {
            series_free(s);
            return NULL;
        }
    }
    if (f->last)
        f->last->next = s;
    else
        f->first = s;
    f->last = s;
    f->n_series++;
    return s;
}

static series *get_series(ag_metric *f, const char *const *values)
{
    series *s = find_series(f, values);
    if (s)
        return s;
    if (f->n_series >= AG_METRIC_MAX_SERIES) {
        if (f != f->reg->dropped)
            ag_metric_add(f->reg->dropped, NULL, 1);
        return NULL;
    }
    return new_series(f, values);
}

void ag_metric_add(ag_metric *f, const char *const *values, double v)
{
    if (!f || f->kind == KIND_HISTOGRAM || (f->kind == KIND_COUNTER && !(v >= 0)))
        return;
    series *s = get_series(f, values);
    if (s)
        s->value += v;
}

void ag_metric_set(ag_metric *f, const char *const *values, double v)
{
    if (!f || f->kind != KIND_GAUGE)
        return;
    series *s = get_series(f, values);
    if (s)
        s->value = v;
}

void ag_metric_observe(ag_metric *f, const char *const *values, double v)
{
    if (!f || f->kind != KIND_HISTOGRAM)
        return;
    series *s = get_series(f, values);
    if (!s)
        return;
    s->count++;
    s->value += v;
    for (size_t i = 0; i < f->n_bounds; i++)
        if (v <= f->bounds[i]) {
            s->buckets[i]++;
            break;
        }
}

double ag_metric_value(const ag_metric *f, const char *const *values)
{
    const series *s = f ? find_series(f, values) : NULL;
    if (!s)
        return 0;
    return f->kind == KIND_HISTOGRAM ? (double)s->count : s->value;
}

/* ---- the text format ---- */

/* Whole numbers (counts, bytes) exactly; fractions short, as a person
 * would write a bucket bound (0.1, not 0.10000000000000001). */
static void put_number(FILE *out, double v)
{
    if (v == (double)(long long)v && v > -9007199254740992.0 && v < 9007199254740992.0)
        fprintf(out, "%lld", (long long)v);
    else
        fprintf(out, "%.15g", v);
}

/* Label values escape \, " and newline; help text escapes \ and newline. */
static void put_escaped(FILE *out, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (quote && *s == '"')
            fputs("\\\"", out);
        else
            fputc(*s, out);
    }
}

/* {a="x",b="y"[,le="…"]}, or nothing for a series without labels. */
static void put_labels(FILE *out, const ag_metric *f, const series *s, const char *le)
{
    if (f->n_labels == 0 && !le)
        return;
    fputc('{', out);
    for (size_t i = 0; i < f->n_labels; i++) {
        fprintf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
        put_escaped(out, s->values[i], true);
        fputc('"', out);
    }
    if (le)
        fprintf(out, "%sle=\"%s\"", f->n_labels ? "," : "", le);
    fputc('}', out);
}

static void put_histogram(FILE *out, const ag_metric *f, const series *s)
{
    uint64_t cumulative = 0;
    char le[40];
    for (size_t i = 0; i < f->n_bounds; i++) {
        cumulative += s->buckets[i];
        snprintf(le, sizeof le, "%.15g", f->bounds[i]);
        fprintf(out, "%s_bucket", f->name);
        put_labels(out, f, s, le);
        fprintf(out, " %llu\n", (unsigned long long)cumulative);
    }
    fprintf(out, "%s_bucket", f->name);
    put_labels(out, f, s, "+Inf");
    fprintf(out, " %llu\n%s_sum", (unsigned long long)s->count, f->name);
    put_labels(out, f, s, NULL);
    fputc(' ', out);
    put_number(out, s->value);
    fprintf(out, "\n%s_count", f->name);
    put_labels(out, f, s, NULL);
    fprintf(out, " %llu\n", (unsigned long long)s->count);
}

static void put_family(FILE *out, const ag_metric *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    fprintf(out, "# HELP %s ", f->name);
    put_escaped(out, f->help, false);
    fprintf(out, "\n# TYPE %s %s\n", f->name, types[f->kind]);
    /* A family without labels shows 0 before its first update, so that
     * rate() and alerts see it from the start. */
    if (!f->first && f->n_labels == 0 && f->kind != KIND_HISTOGRAM)
        fprintf(out, "%s 0\n", f->name);
    for (const series *s = f->first; s; s = s->next) {
        if (f->kind == KIND_HISTOGRAM) {
            put_histogram(out, f, s);
            continue;
        }
        fputs(f->name, out);
        put_labels(out, f, s, NULL);
        fputc(' ', out);
        put_number(out, s->value);
        fputc('\n', out);
    }
}

char *ag_metrics_render(const ag_metrics *m, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&text, &n);
    if (!out)
        return NULL;
    for (const ag_metric *f = m ? m->first : NULL; f; f = f->next)
        put_family(out, f);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    if (len)
        *len = n;
    return text;
}

void ag_metrics_foreach(const ag_metrics *m, void (*fn)(const ag_metric_sample *s, void *data),
                        void *data)
{
    for (const ag_metric *f = m ? m->first : NULL; f; f = f->next)
        for (const series *x = f->first; x; x = x->next) {
            ag_metric_sample s = {
                .family = f->name,
                .help = f->help,
                .label_names = (const char *const *)f->labels,
                .label_values = (const char *const *)x->values,
                .n_labels = f->n_labels,
                .histogram = f->kind == KIND_HISTOGRAM,
                .value = x->value,
                .count = x->count,
            };
            fn(&s, data);
        }
}
