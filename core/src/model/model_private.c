#include "model_private.h"

#include "error.h"
#include "model.h"

#include <stdlib.h>
#include <string.h>

static void attendee_free(ag_attendee *a)
{
    free(a->address);
    free(a->cn);
    free(a->partstat);
    free(a->role);
}

static void alarm_free(ag_alarm *a)
{
    free(a->action);
    free(a->description);
    free(a->summary);
}

void ag_private_free(ag_private *p)
{
    for (size_t i = 0; i < p->n_attendees; i++)
        attendee_free(&p->attendees[i]);
    for (size_t i = 0; i < p->n_alarms; i++)
        alarm_free(&p->alarms[i]);
    free(p->attendees);
    free(p->alarms);
    memset(p, 0, sizeof *p);
}

/* NULL stays NULL; false only when s was set and could not be copied. */
static bool dup_opt(char **dst, const char *s)
{
    *dst = s ? strdup(s) : NULL;
    return !s || *dst;
}

int ag_private_add_attendee(ag_private *p, const char *address, const char *cn,
                            const char *partstat, const char *role)
{
    if (!address)
        return AG_EINVAL;
    ag_attendee *g = realloc(p->attendees, (p->n_attendees + 1) * sizeof *g);
    if (!g)
        return AG_ENOMEM;
    p->attendees = g;
    ag_attendee a = {0};
    if (!dup_opt(&a.address, address) || !dup_opt(&a.cn, cn) || !dup_opt(&a.partstat, partstat) ||
        !dup_opt(&a.role, role)) {
        attendee_free(&a);
        return AG_ENOMEM;
    }
    p->attendees[p->n_attendees++] = a;
    return 0;
}

int ag_private_add_alarm(ag_private *p, const char *action, ag_trigger_kind related,
                         int64_t trigger, const char *description, const char *summary)
{
    if (!action)
        return AG_EINVAL;
    ag_alarm *g = realloc(p->alarms, (p->n_alarms + 1) * sizeof *g);
    if (!g)
        return AG_ENOMEM;
    p->alarms = g;
    ag_alarm a = {.related = related, .trigger = trigger};
    if (!dup_opt(&a.action, action) || !dup_opt(&a.description, description) ||
        !dup_opt(&a.summary, summary)) {
        alarm_free(&a);
        return AG_ENOMEM;
    }
    p->alarms[p->n_alarms++] = a;
    return 0;
}

int ag_private_copy(ag_private *dst, const ag_private *src)
{
    memset(dst, 0, sizeof *dst);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < src->n_attendees; i++) {
        const ag_attendee *a = &src->attendees[i];
        rc = ag_private_add_attendee(dst, a->address, a->cn, a->partstat, a->role);
    }
    for (size_t i = 0; rc == 0 && i < src->n_alarms; i++) {
        const ag_alarm *a = &src->alarms[i];
        rc = ag_private_add_alarm(dst, a->action, a->related, a->trigger, a->description,
                                  a->summary);
    }
    if (rc < 0)
        ag_private_free(dst);
    return rc;
}

static bool attendee_eq(const ag_attendee *a, const ag_attendee *b)
{
    return ag_str_eq(a->address, b->address) && ag_str_eq(a->cn, b->cn) &&
           ag_str_eq(a->partstat, b->partstat) && ag_str_eq(a->role, b->role);
}

static bool alarm_eq(const ag_alarm *a, const ag_alarm *b)
{
    return ag_str_eq(a->action, b->action) && a->related == b->related &&
           a->trigger == b->trigger && ag_str_eq(a->description, b->description) &&
           ag_str_eq(a->summary, b->summary);
}

bool ag_private_eq(const ag_private *a, const ag_private *b)
{
    if (a->n_attendees != b->n_attendees || a->n_alarms != b->n_alarms)
        return false;
    for (size_t i = 0; i < a->n_attendees; i++)
        if (!attendee_eq(&a->attendees[i], &b->attendees[i]))
            return false;
    for (size_t i = 0; i < a->n_alarms; i++)
        if (!alarm_eq(&a->alarms[i], &b->alarms[i]))
            return false;
    return true;
}
