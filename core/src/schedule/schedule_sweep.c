/* Interval sweeps: one sort, O(n log n), then one pass, O(n). */
#include "schedule_internal.h"

#include "error.h"

#include <stdlib.h>

static int cmp_span(const void *a, const void *b)
{
    const ag_schedule_span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

size_t ag_schedule_merge(ag_schedule_span *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_span);
    return ag_schedule_merge_sorted(v, n);
}

size_t ag_schedule_merge_sorted(ag_schedule_span *v, size_t n)
{
    if (n < 2)
        return n;
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (v[i].start <= v[out].end) {
            if (v[i].end > v[out].end)
                v[out].end = v[i].end;
        } else {
            v[++out] = v[i];
        }
    }
    return out + 1;
}

static int cmp_busy(const void *a, const void *b)
{
    const ag_schedule_busy *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

void ag_schedule_busy_sort(ag_schedule_busy *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_busy);
}

void ag_schedule_busy_union(const ag_schedule_busy *a, size_t na, const ag_schedule_busy *b,
                            size_t nb, ag_schedule_busy *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na || j < nb)
        out[k++] = j == nb || (i < na && cmp_busy(&a[i], &b[j]) <= 0) ? a[i++] : b[j++];
}

/* The spans of v whose tentative flag is `tentative`, merged. */
static int split(const ag_schedule_busy *v, size_t n, bool tentative, ag_schedule_span **out,
                 size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += v[i].tentative == tentative;
    if (!k)
        return 0;
    if (!(*out = malloc(k * sizeof **out)))
        return AG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (v[i].tentative == tentative)
            (*out)[(*n_out)++] = (ag_schedule_span){v[i].start, v[i].end};
    *n_out = ag_schedule_merge(*out, *n_out);
    return 0;
}

/* *t becomes t minus b (both sorted and disjoint). A span of b can split
 * one of t in two, so the result takes a new array of |t| + |b| spans. */
static int subtract(ag_schedule_span **t, size_t *nt, const ag_schedule_span *b, size_t nb)
{
    if (!*nt || !nb)
        return 0;
    ag_schedule_span *out = malloc((*nt + nb) * sizeof *out);
    if (!out)
        return AG_ENOMEM;
    size_t n = 0, j = 0;
    for (size_t i = 0; i < *nt; i++) {
        int64_t s = (*t)[i].start, e = (*t)[i].end;
        while (j < nb && b[j].end <= s)
            j++;
        for (size_t k = j; k < nb && b[k].start < e && s < e; k++) {
            if (b[k].start > s)
                out[n++] = (ag_schedule_span){s, b[k].start};
            if (b[k].end > s)
                s = b[k].end;
        }
        if (s < e)
            out[n++] = (ag_schedule_span){s, e};
    }
    free(*t);
    *t = out;
    *nt = n;
    return 0;
}

int ag_schedule_fb_periods(const ag_schedule_busy *v, size_t n, ag_schedule_span **busy,
                           size_t *n_busy, ag_schedule_span **tentative, size_t *n_tentative)
{
    *tentative = NULL;
    *n_tentative = 0;
    int rc = split(v, n, false, busy, n_busy);
    if (rc == 0)
        rc = split(v, n, true, tentative, n_tentative);
    if (rc == 0)
        rc = subtract(tentative, n_tentative, *busy, *n_busy);
    if (rc < 0) {
        free(*busy);
        free(*tentative);
        *busy = *tentative = NULL;
        *n_busy = *n_tentative = 0;
    }
    return rc;
}
