#include "agenda_model.h"

#include <stdint.h>
#include <stdlib.h>

/* A timed item and the untimed items that follow it in the admin's list. */
typedef struct {
    size_t lead;  /* index of the timed item; SIZE_MAX for the leading group */
    size_t first; /* first index of the group */
    size_t count;
    int64_t start; /* of the lead */
} group;

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->lead == SIZE_MAX || y->lead == SIZE_MAX)
        return (x->lead != SIZE_MAX) - (y->lead != SIZE_MAX);
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    /* Ties keep the admin's order: qsort is not stable on its own. */
    return x->first < y->first ? -1 : x->first > y->first;
}

static size_t make_groups(const agenda_item *items, size_t n, group *groups)
{
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].timed || ng == 0)
            groups[ng++] =
                (group){.lead = items[i].timed ? i : SIZE_MAX, .first = i, .start = items[i].start};
        groups[ng - 1].count++;
    }
    return ng;
}

void agenda_order(const agenda_item *items, size_t n, int32_t first_day, agenda_row *rows)
{
    if (n == 0)
        return;
    group *groups = malloc(n * sizeof *groups);
    if (!groups) {
        /* Out of memory: the admin's order is still a faithful reading. */
        for (size_t i = 0; i < n; i++)
            rows[i] = (agenda_row){.item = i, .day = first_day, .new_day = i == 0};
        return;
    }
    size_t ng = make_groups(items, n, groups);
    qsort(groups, ng, sizeof *groups, cmp_group);
    size_t r = 0;
    for (size_t g = 0; g < ng; g++) {
        int32_t day = groups[g].lead == SIZE_MAX ? first_day : items[groups[g].lead].day;
        for (size_t k = 0; k < groups[g].count; k++, r++) {
            rows[r] = (agenda_row){.item = groups[g].first + k, .day = day};
            rows[r].new_day = r == 0 || rows[r - 1].day != day;
        }
    }
    free(groups);
}

size_t agenda_day_count(const agenda_row *rows, size_t n)
{
    size_t days = 0;
    for (size_t i = 0; i < n; i++)
        days += rows[i].new_day;
    return days;
}
