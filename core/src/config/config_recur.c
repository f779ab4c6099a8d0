/* recurrence: of an event. libical checks the RRULE; we bound it, because
 * libical iterates without any cap and feeds must stay finite and small. */
#include "config_internal.h"
#include "recur.h"
#include "tz.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

static bool has_date_filter(const struct icalrecurrencetype *r)
{
    return r->by_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
           r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
           r->by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
           r->by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX ||
           r->by_month[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

/* Sub-daily rules with date filters make libical step through every hour,
 * minute or second until far in the future when the filters match nothing:
 * seconds of CPU per check. Events never need them. Each problem is
 * reported; UNTIL is compared with the start only when the start is known. */
static bool check_shape(const ag_event *ev, const struct icalrecurrencetype *r,
                        const ag_config_node *n, ag_diags *d)
{
    bool ok = true;
    if (r->count == 0 && icaltime_is_null_time(r->until)) {
        ag_config_err(d, &n->loc, "the recurrence rule has no end: add COUNT=… or UNTIL=…");
        ok = false;
    }
    if (r->freq < ICAL_DAILY_RECURRENCE && has_date_filter(r)) {
        ag_config_err(d, &n->loc,
                      "a recurrence more frequent than daily cannot also use BYDAY, "
                      "BYMONTHDAY, BYYEARDAY, BYWEEKNO or BYMONTH");
        ok = false;
    }
    if (ag_config_dt_known(&ev->start) && !icaltime_is_null_time(r->until) &&
        r->until.is_date != ev->start.is_date) {
        if (ev->start.is_date)
            ag_config_err(d, &n->loc, "UNTIL must be a date (YYYYMMDD), like the event's start");
        else
            ag_config_err(d, &n->loc,
                          "UNTIL must be a date-time (YYYYMMDDTHHMMSS), like the event's start");
        ok = false;
    }
    return ok;
}

static bool past_limit(struct icaltimetype t, struct icaltimetype limit)
{
    return icaltime_compare_date_only(t, limit) > 0;
}

/* Walks the instances from the start, as a feed would, within the bounds. */
static void check_expansion(const ag_event *ev, struct icalrecurrencetype r,
                            const ag_config_node *n, ag_diags *d)
{
    struct icaltimetype start = ag_tz_ical_local(&ev->start), limit = start, t;
    limit.year += AG_RECUR_MAX_YEARS;
    ag_recur w;
    if (ag_recur_begin(&w, r, start, AG_RECUR_MAX_INSTANCES) < 0) {
        ag_config_err(d, &n->loc,
                      "the recurrence rule \"%s\" cannot produce any date: check its "
                      "BY… parts against FREQ",
                      n->scalar);
        icalerror_clear_errno();
        return;
    }
    bool late = false;
    while (!late && ag_recur_next(&w, &t))
        late = past_limit(t, limit);
    if (w.capped)
        ag_config_err(d, &n->loc,
                      "the recurrence rule gives more than %d dates: lower COUNT "
                      "or give an earlier UNTIL",
                      AG_RECUR_MAX_INSTANCES);
    else if (late)
        ag_config_err(d, &n->loc,
                      "the recurrence rule goes on after %04d-%02d-%02d, more than "
                      "%d years after the start: lower COUNT or give an earlier UNTIL",
                      limit.year, limit.month, limit.day, AG_RECUR_MAX_YEARS);
    ag_recur_end(&w);
}

static void load_rule(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_scalar(d, n, N_("the recurrence rule")))
        return;
    const char *s = n->scalar;
    if (strncmp(s, "RRULE:", 6) == 0)
        s += 6;
    icalerror_clear_errno();
    struct icalrecurrencetype r = icalrecurrencetype_from_string(s);
    if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
        icalerror_clear_errno();
        ag_config_err(d, &n->loc,
                      "\"%s\" is not a valid recurrence rule: write an RFC 5545 RRULE "
                      "such as FREQ=WEEKLY;BYDAY=TU;COUNT=10",
                      n->scalar);
        return;
    }
    /* The dates are walked from the start, and only from a rule whose shape
     * is right: an unbounded or too frequent rule would only be reported
     * again as too long. */
    if (!check_shape(ev, &r, n, d) || !ag_config_dt_known(&ev->start))
        return;
    size_t before = ag_diags_count(d);
    check_expansion(ev, r, n, d);
    if (ag_diags_count(d) == before && !(ev->rrule = strdup(s)))
        ag_config_oom(d, &n->loc, N_("the recurrence rule"));
}

static void load_exdates(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_seq(d, n, "except"))
        return;
    ev->exdates = calloc(n->n + 1, sizeof *ev->exdates);
    if (!ev->exdates)
        ag_config_oom(d, &n->loc, N_("the exceptions"));
    for (size_t i = 0; ev->exdates && i < n->n; i++) {
        ag_datetime t;
        if (!ag_config_datetime(d, n->items[i], N_("exception date"), &t))
            continue;
        if (ag_config_dt_known(&ev->start) && t.is_date != ev->start.is_date && ev->start.is_date)
            ag_config_err(d, &n->items[i]->loc,
                          "an exception must be a date, like the event's start");
        else if (ag_config_dt_known(&ev->start) && t.is_date != ev->start.is_date)
            ag_config_err(d, &n->items[i]->loc,
                          "an exception must be a date-time, like the event's start");
        else
            ev->exdates[ev->n_exdates++] = t;
    }
}

void ag_config_load_recurrence(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"rule", "except", NULL};
    if (!ag_config_check_keys(d, n, keys, "recurrence") && n->kind != AG_CFG_MAP)
        return;
    const ag_config_node *rule = ag_config_require(d, n, "rule", "recurrence");
    if (rule)
        load_rule(ev, rule, d);
    const ag_config_node *except = ag_config_node_get(n, "except");
    if (except)
        load_exdates(ev, except, d);
}
