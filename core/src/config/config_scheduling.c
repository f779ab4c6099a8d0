/* What finding a time reads of the config: agendad.yaml `scheduling:`
 * (working hours, the Hijri calendar) and `holidays:`, and a member's
 * `timezone` and `hours` in members.yaml. The holidays themselves are
 * computed where proposals are (schedule/): here only their form. */
#include "config_internal.h"
#include "tz.h"

#include <stdlib.h>
#include <string.h>

#define ALL_WEEKDAYS 0x1fu /* Monday to Friday */

static const char *const weekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
static const char *const hijri_calendars[] = {"off",          "islamic-umalqura", "islamic-civil",
                                              "islamic-tbla", "islamic",          NULL};

bool ag_config_scheduling_defaults(ag_schedule_settings *s)
{
    s->hours.usual = (ag_hours){ALL_WEEKDAYS, 8 * 60 + 30, 16 * 60 + 30};
    s->hours.ramadan = (ag_hours){ALL_WEEKDAYS, 9 * 60, 15 * 60};
    /* Morocco's months start by sighting, most years a day after the Umm
     * al-Qura tables (doc/admin.md, "Holidays"). */
    s->hijri_adjust = -1;
    s->hijri = strdup("islamic-umalqura");
    return s->hijri != NULL;
}

void ag_config_scheduling_free(ag_schedule_settings *s)
{
    free(s->hijri);
    for (size_t i = 0; i < s->n_holidays; i++) {
        ag_text_free(&s->holidays[i].name);
        free(s->holidays[i].loc.file);
    }
    free(s->holidays);
    memset(s, 0, sizeof *s);
}

/* Each day that is text is checked, even when another is not. */
static bool load_days(const ag_config_node *n, unsigned *days, ag_diags *d)
{
    if (!ag_config_seq(d, n, "days"))
        return false;
    unsigned seen = 0;
    bool ok = true;
    for (size_t i = 0; i < n->n; i++) {
        int day;
        if (!ag_config_choice(d, n->items[i], N_("day of the week"), weekdays, &day)) {
            ok = false;
        } else if (seen & (1u << day)) {
            ag_config_err(d, &n->items[i]->loc, "\"%s\" is listed twice", weekdays[day]);
            ok = false;
        } else {
            seen |= 1u << day;
        }
    }
    if (ok && !seen) {
        ag_config_err(d, &n->loc, "days needs at least one day (mon, tue, ... sun)");
        ok = false;
    }
    if (ok)
        *days = seen;
    return ok;
}

static bool load_clock(const ag_config_node *n, const char *what, int *minutes, ag_diags *d)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    int h, m, s;
    int rc = ag_config_parse_clock(n->scalar, &h, &m, &s);
    if (rc == 0 && s == 0) {
        *minutes = h * 60 + m;
        return true;
    }
    ag_config_err(d, &n->loc, "\"%s\" is not a valid %s: write a time of day HH:MM, e.g. 08:30",
                  n->scalar, what);
    return false;
}

/* The end of a week's hours is not after its start: one sentence for each
 * kind of hours, so that a translation need not build it from pieces. */
static void end_before_start(const ag_config_node *n, const ag_hours *h, bool ramadan, ag_diags *d)
{
    const ag_config_node *at = ag_config_node_get(n, "end");
    const ag_loc *loc = at ? &at->loc : &n->loc;
    int eh = h->end / 60, em = h->end % 60, sh = h->start / 60, sm = h->start % 60;
    if (ramadan)
        ag_config_err(d, loc,
                      "Ramadan hours end at %02d:%02d, which is not after their start at %02d:%02d",
                      eh, em, sh, sm);
    else
        ag_config_err(d, loc,
                      "working hours end at %02d:%02d, which is not after their start at %02d:%02d",
                      eh, em, sh, sm);
}

/* The keys of one week's hours given in n, over what *h holds already. */
static bool load_week(const ag_config_node *n, ag_hours *h, bool ramadan, ag_diags *d)
{
    const ag_config_node *v;
    bool ok = true;
    if ((v = ag_config_node_get(n, "days")))
        ok = load_days(v, &h->days, d) && ok;
    if ((v = ag_config_node_get(n, "start")))
        ok = load_clock(v, "start", &h->start, d) && ok;
    if ((v = ag_config_node_get(n, "end")))
        ok = load_clock(v, "end", &h->end, d) && ok;
    if (ok && h->start >= h->end) {
        end_before_start(n, h, ramadan, d);
        ok = false;
    }
    return ok;
}

/* `ramadan:` a map of days, start and end over base (days: those of the
 * usual week unless given), or false: the usual hours all year. */
static void load_ramadan(const ag_config_node *n, ag_work_hours *w, const ag_hours *base,
                         ag_diags *d)
{
    static const char *const keys[] = {"days", "start", "end", NULL};
    if (n->kind == AG_CFG_SCALAR) {
        bool on;
        if (!ag_config_bool(d, n, "ramadan", &on))
            return;
        if (on)
            ag_config_err(d, &n->loc,
                          "ramadan: write false (the same hours all year), or the hours as a "
                          "mapping with days, start and end");
        else
            w->ramadan = w->usual;
        return;
    }
    if (!ag_config_check_keys(d, n, keys, "ramadan"))
        return;
    ag_hours h = *base;
    h.days = w->usual.days;
    if (load_week(n, &h, true, d))
        w->ramadan = h;
}

/* `hours:` over base (the defaults, or the network's for a member). */
static void load_hours(const ag_config_node *n, ag_work_hours *w, const ag_work_hours *base,
                       ag_diags *d)
{
    static const char *const keys[] = {"days", "start", "end", "ramadan", NULL};
    *w = *base;
    if (!ag_config_check_keys(d, n, keys, "hours") && n->kind != AG_CFG_MAP)
        return;
    ag_hours h = base->usual;
    if (load_week(n, &h, false, d))
        w->usual = h;
    w->ramadan.days = w->usual.days;
    const ag_config_node *r = ag_config_node_get(n, "ramadan");
    if (r)
        load_ramadan(r, w, &base->ramadan, d);
}

static void load_hijri(ag_schedule_settings *s, const ag_config_node *n, ag_diags *d)
{
    int i;
    if (!ag_config_choice(d, n, N_("hijri calendar"), hijri_calendars, &i))
        return;
    free(s->hijri);
    s->hijri = NULL;
    if (i > 0 && !(s->hijri = strdup(hijri_calendars[i])))
        ag_config_oom(d, &n->loc, "hijri");
}

void ag_config_load_scheduling(ag_settings *set, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"hours", "hijri", "hijri_adjust", NULL};
    ag_schedule_settings *s = &set->scheduling;
    if (!ag_config_check_keys(d, n, keys, "scheduling") && n->kind != AG_CFG_MAP)
        return;
    const ag_config_node *v;
    if ((v = ag_config_node_get(n, "hours"))) {
        ag_work_hours base = s->hours;
        load_hours(v, &s->hours, &base, d);
    }
    if ((v = ag_config_node_get(n, "hijri")))
        load_hijri(s, v, d);
    long adjust;
    if ((v = ag_config_node_get(n, "hijri_adjust")) &&
        ag_config_int(d, v, "hijri_adjust", -2, 2, &adjust))
        s->hijri_adjust = (int)adjust;
}

static bool load_holiday_date(const ag_config_node *n, ag_datetime *date, ag_diags *d)
{
    if (!ag_config_datetime(d, n, N_("holiday date"), date))
        return false;
    if (!date->is_date) {
        ag_config_err(d, &n->loc, "a holiday is a whole day: write the date alone, YYYY-MM-DD");
        return false;
    }
    return true;
}

/* One entry: `add: DATE` with `name:`, or `remove: DATE` alone. */
static bool load_holiday(ag_holiday *h, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"add", "remove", "name", NULL};
    if (!ag_config_check_keys(d, n, keys, N_("holiday")) && n->kind != AG_CFG_MAP)
        return false;
    const ag_config_node *add = ag_config_node_get(n, "add");
    const ag_config_node *remove = ag_config_node_get(n, "remove");
    const ag_config_node *name = ag_config_node_get(n, "name");
    if (!add == !remove) {
        ag_config_err(d, &n->loc,
                      "a holiday entry has either \"add: DATE\" (with its name) or \"remove: "
                      "DATE\"");
        return false;
    }
    h->remove = remove != NULL;
    bool ok = load_holiday_date(add ? add : remove, &h->date, d);
    if (add && !name) {
        ag_config_err(d, &n->loc, "an added holiday needs its \"name\" ({ar: …, fr: …})");
        ok = false;
    } else if (remove && name) {
        ag_config_err(d, &name->loc, "a removed holiday takes no name: remove \"name\"");
        ok = false;
    } else if (name) {
        ok = ag_config_text(d, name, N_("the holiday's name"), &h->name) && ok;
    }
    h->loc = ag_config_loc_copy(d, &n->loc);
    return ok;
}

static void check_unique_day(const ag_schedule_settings *s, const ag_holiday *h, ag_diags *d)
{
    for (size_t i = 0; i < s->n_holidays; i++) {
        const ag_loc *o = &s->holidays[i].loc;
        if (ag_datetime_cmp(&s->holidays[i].date, &h->date) == 0)
            ag_config_err(d, &h->loc, "%04d-%02d-%02d is already listed at %s:%d:%d", h->date.year,
                          h->date.month, h->date.day, o->file, o->line, o->col);
    }
}

void ag_config_load_holidays(ag_settings *set, const ag_config_node *n, ag_diags *d)
{
    ag_schedule_settings *s = &set->scheduling;
    if (!ag_config_seq(d, n, "holidays") || n->n == 0)
        return;
    if (!(s->holidays = calloc(n->n, sizeof *s->holidays))) {
        ag_config_oom(d, &n->loc, "holidays");
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        ag_holiday h = {0};
        if (load_holiday(&h, n->items[i], d))
            check_unique_day(s, &h, d);
        s->holidays[s->n_holidays++] = h;
    }
}

/* members.yaml `timezone`: the zone of the member's hours and days. */
static void load_member_zone(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_scalar(d, n, "timezone"))
        return;
    if (!ag_tz_known(n->scalar)) {
        ag_config_err(d, &n->loc,
                      "unknown time zone \"%s\" (expected a name like Africa/Casablanca)",
                      n->scalar);
        return;
    }
    if (!(m->timezone = strdup(n->scalar)))
        ag_config_oom(d, &n->loc, "timezone");
}

void ag_config_load_member_schedule(const ag_config *cfg, ag_member *m, const ag_config_node *n,
                                    ag_diags *d)
{
    const ag_config_node *v;
    m->hours = cfg->settings.scheduling.hours;
    if ((v = ag_config_node_get(n, "timezone")))
        load_member_zone(m, v, d);
    if ((v = ag_config_node_get(n, "hours")))
        load_hours(v, &m->hours, &cfg->settings.scheduling.hours, d);
}
