/* The question, from the command line's options or a query string: the
 * same names and the same one-line answers to what is malformed. */
#include "schedule_internal.h"

#include "error.h"
#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names_known[] = {"audience", "duration", "from", "to", "count", "step"};
enum { Q_AUDIENCE, Q_DURATION, Q_FROM, Q_TO, Q_COUNT, Q_STEP, Q_N };

__attribute__((format(printf, 3, 4))) static int fail(char **err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(err, fmt, ap) < 0)
            *err = NULL;
        va_end(ap);
    }
    return code;
}

static int name_index(const char *name)
{
    for (int i = 0; i < Q_N; i++)
        if (strcmp(name, names_known[i]) == 0)
            return i;
    return -1;
}

/* "fes,meknes,region:oriental": each selector non-empty; its meaning is
 * judged against the network later. */
static int parse_audience(const char *v, ag_schedule_query *q, char **err)
{
    const char *p = v;
    do {
        size_t len = strcspn(p, ",");
        if (len == 0)
            return fail(err, AG_EINVAL,
                        _("audience \"%s\" has an empty selector: separate member ids and "
                          "selectors with single commas"),
                        v);
        char **more = realloc(q->audience, (q->n_audience + 1) * sizeof *more);
        if (!more)
            return fail(err, AG_ENOMEM, "out of memory");
        q->audience = more;
        if (!(more[q->n_audience] = strndup(p, len)))
            return fail(err, AG_ENOMEM, "out of memory");
        q->n_audience++;
        p += len;
    } while (*p++ == ',');
    return 0;
}

/* A positive whole number of minutes, at most a day. */
static int parse_minutes(const char *name, const char *v, int64_t *out, char **err)
{
    int64_t s;
    /* TRANSLATORS: here and in the next three, the first %s is the
     * parameter as typed (duration or step: --duration, --step on the
     * command line), never translated. */
    if (ag_config_duration_parse(v, &s) < 0)
        return fail(
            err, AG_EINVAL,
            _("%s \"%s\" is not a duration: write a number and a unit, e.g. 30m, 2h, 1h30m"), name,
            v);
    if (s <= 0)
        return fail(err, AG_EINVAL, _("%s \"%s\" must be longer than zero"), name, v);
    if (s % 60)
        return fail(err, AG_EINVAL, _("%s \"%s\" must be whole minutes"), name, v);
    if (s > AG_SCHEDULE_DAY)
        return fail(err, AG_EINVAL, _("%s \"%s\" is longer than a day"), name, v);
    *out = s;
    return 0;
}

static int parse_date(const char *name, const char *v, ag_datetime *out, char **err)
{
    if (ag_config_datetime_parse(v, out) < 0 || !out->is_date)
        return fail(err, AG_EINVAL, _("%s \"%s\" is not a date: write YYYY-MM-DD"), name, v);
    return 0;
}

static int parse_count(const char *v, int *out, char **err)
{
    char *end;
    long n = strspn(v, "0123456789") == strlen(v) && *v ? strtol(v, &end, 10) : -1;
    if (n < 1 || n > AG_SCHEDULE_MAX_COUNT)
        return fail(err, AG_EINVAL, _("count \"%s\" must be a whole number from 1 to %d"), v,
                    AG_SCHEDULE_MAX_COUNT);
    *out = (int)n;
    return 0;
}

static int parse_one(int which, const char *v, ag_schedule_query *q, char **err)
{
    switch (which) {
    case Q_AUDIENCE:
        return parse_audience(v, q, err);
    case Q_DURATION:
        return parse_minutes("duration", v, &q->duration, err);
    case Q_FROM:
        return parse_date("from", v, &q->from, err);
    case Q_TO:
        return parse_date("to", v, &q->to, err);
    case Q_COUNT:
        return parse_count(v, &q->count, err);
    default:
        return parse_minutes("step", v, &q->step, err);
    }
}

static int64_t day_of(const ag_datetime *d)
{
    return ag_schedule_day_of(d->year, d->month, d->day);
}

int ag_schedule_query_check(const ag_schedule_query *q, char **err)
{
    if (!q->n_audience)
        return fail(err, AG_EINVAL, _("audience names no member"));
    if (q->duration <= 0)
        return fail(err, AG_EINVAL, _("duration must be longer than zero"));
    if (q->step <= 0 || q->count < 1 || q->count > AG_SCHEDULE_MAX_COUNT)
        return fail(err, AG_EINVAL, _("step and count must be positive"));
    int64_t days = day_of(&q->to) - day_of(&q->from) + 1;
    /* TRANSLATORS: "to" and "from" are the parameters as typed (--to,
     * --from on the command line), never translated. */
    if (days < 1)
        return fail(err, AG_EINVAL, _("to %04d-%02d-%02d is before from %04d-%02d-%02d"),
                    q->to.year, q->to.month, q->to.day, q->from.year, q->from.month, q->from.day);
    if (days > AG_SCHEDULE_MAX_DAYS)
        return fail(err, AG_EINVAL,
                    _("the window from %04d-%02d-%02d to %04d-%02d-%02d is %lld "
                      "days: at most %d"),
                    q->from.year, q->from.month, q->from.day, q->to.year, q->to.month, q->to.day,
                    (long long)days, AG_SCHEDULE_MAX_DAYS);
    return 0;
}

static int parse_all(const char *const *names, const char *const *values, size_t n,
                     ag_schedule_query *q, char **err)
{
    bool seen[Q_N] = {false};
    for (size_t i = 0; i < n; i++) {
        int which = name_index(names[i]);
        if (which < 0)
            return fail(err, AG_EINVAL,
                        _("unknown parameter \"%s\" (expected audience, duration, from, to, count, "
                          "step)"),
                        names[i]);
        /* TRANSLATORS: here and in "%s is required", %s is the parameter
         * as typed (audience, duration, from, to, count or step). */
        if (seen[which])
            return fail(err, AG_EINVAL, _("%s is given twice"), names[i]);
        seen[which] = true;
        int rc = parse_one(which, values[i] ? values[i] : "", q, err);
        if (rc < 0)
            return rc;
    }
    for (int i = Q_AUDIENCE; i <= Q_TO; i++)
        if (!seen[i])
            return fail(err, AG_EINVAL, _("%s is required"), names_known[i]);
    return ag_schedule_query_check(q, err);
}

int ag_schedule_query_parse(const char *const *names, const char *const *values, size_t n,
                            ag_schedule_query *out, char **err)
{
    if (err)
        *err = NULL;
    *out = (ag_schedule_query){.count = 10, .step = 1800};
    return parse_all(names, values, n, out, err);
}

void ag_schedule_query_free(ag_schedule_query *q)
{
    for (size_t i = 0; i < q->n_audience; i++)
        free(q->audience[i]);
    free(q->audience);
    q->audience = NULL;
    q->n_audience = 0;
}

void ag_schedule_query_window(const ag_schedule_input *in, const ag_schedule_query *q,
                              int64_t *from, int64_t *to)
{
    *from = ag_schedule_instant(day_of(&q->from), 0, in->tzid);
    *to = ag_schedule_instant(day_of(&q->to) + 1, 0, in->tzid);
}
