#include "recur.h"

#include <string.h>

int ag_recur_begin(ag_recur *w, struct icalrecurrencetype rule, icaltimetype dtstart, size_t max)
{
    memset(w, 0, sizeof *w);
    w->max = max;
    w->it = icalrecur_iterator_new(rule, dtstart);
    return w->it ? 0 : -1;
}

bool ag_recur_next(ag_recur *w, icaltimetype *t)
{
    if (!w->it || w->capped)
        return false;
    icaltimetype next = icalrecur_iterator_next(w->it);
    if (icaltime_is_null_time(next))
        return false;
    if (w->given == w->max) {
        w->capped = true;
        return false;
    }
    w->given++;
    *t = next;
    return true;
}

void ag_recur_end(ag_recur *w)
{
    if (w->it)
        icalrecur_iterator_free(w->it);
    w->it = NULL;
}
