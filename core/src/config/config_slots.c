/* The agenda of an event: items in the admin's order, timed or not. Timed
 * items must fit in their event and must not overlap each other; an item's
 * `id:` is unique within its event. */
#include "config_internal.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The event as a half-open span of wall-clock time; an all-day event runs
 * from its first midnight to the midnight after its (inclusive) last day. */
static void event_span(const ag_event *ev, ag_datetime *from, ag_datetime *to)
{
    *from = ev->start;
    *to = ev->end;
    from->is_date = to->is_date = false;
    if (ev->start.is_date)
        ag_datetime_add_days(to, 1);
}

static bool same_day(const ag_datetime *a, const ag_datetime *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day;
}

/* "09:30–10:00" when both on the event's first day, else full date-times. */
static void format_span(const ag_datetime *day, const ag_datetime *a, const ag_datetime *b,
                        char *buf, size_t size)
{
    char sa[32], sb[32];
    ag_config_format_dt(a, sa, sizeof sa);
    ag_config_format_dt(b, sb, sizeof sb);
    bool short_a = same_day(a, day) && same_day(b, day);
    bool short_b = same_day(a, b);
    snprintf(buf, size, "%s–%s", short_a ? sa + 11 : sa, short_b ? sb + 11 : sb);
}

static void format_event(const ag_event *ev, char *buf, size_t size)
{
    char a[32], b[32];
    ag_config_format_dt(&ev->start, a, sizeof a);
    ag_config_format_dt(&ev->end, b, sizeof b);
    if (ev->start.is_date && same_day(&ev->start, &ev->end))
        snprintf(buf, size, _("%s, all day"), a);
    else if (ev->start.is_date)
        snprintf(buf, size, _("%s to %s, all day"), a, b);
    else
        snprintf(buf, size, "%s–%s", a, same_day(&ev->start, &ev->end) ? b + 11 : b);
}

static const char *slot_name(const ag_slot *s)
{
    const char *t = ag_text_get(&s->title, "fr");
    return t ? t : _("(untitled)");
}

/* "HH:MM" on the event's first day, or a full date-time. */
static bool slot_time(const ag_event *ev, const ag_config_node *n, const char *what,
                      ag_datetime *out, ag_diags *d)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    ag_datetime t = ev->start;
    t.is_date = false;
    int r = ag_config_parse_clock(n->scalar, &t.hour, &t.minute, &t.second);
    if (r > 0) {
        ag_config_err(d, &n->loc, "\"%s\" is not a real time of day", n->scalar);
        return false;
    }
    if (r < 0 && !ag_config_datetime(d, n, what, &t))
        return false;
    if (t.is_date) {
        ag_config_err(d, &n->loc, "an agenda time is HH:MM or a full date-time, not a date alone");
        return false;
    }
    *out = t;
    return true;
}

static void check_inside(const ag_event *ev, const ag_slot *s, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_dt_known(&ev->end))
        return; /* the event's span is unknown: its own error says why */
    ag_datetime from, to;
    event_span(ev, &from, &to);
    if (ag_datetime_cmp(&s->start, &from) >= 0 && ag_datetime_cmp(&s->end, &to) <= 0)
        return;
    char span[96], evspan[96];
    format_span(&from, &s->start, &s->end, span, sizeof span);
    format_event(ev, evspan, sizeof evspan);
    ag_config_err(d, &n->loc, "agenda item \"%s\" (%s) is outside its event (%s)", slot_name(s),
                  span, evspan);
}

static bool load_slot_times(const ag_event *ev, ag_slot *s, const ag_config_node *n, ag_diags *d)
{
    const ag_config_node *start = ag_config_node_get(n, "start");
    const ag_config_node *end = ag_config_node_get(n, "end");
    if (!start && !end)
        return true;
    if (!start) {
        ag_config_err(d, &end->loc,
                      "this agenda item has an end but no start: give both start and end, or "
                      "neither for an untimed item");
        return false;
    }
    if (!end) {
        ag_config_err(d, &start->loc,
                      "this agenda item has a start but no end: give both start and end, or "
                      "neither for an untimed item");
        return false;
    }
    bool start_ok = slot_time(ev, start, "start", &s->start, d);
    bool end_ok = slot_time(ev, end, "end", &s->end, d);
    if (!start_ok || !end_ok)
        return false;
    /* With the event's start unknown, "HH:MM" has no day: it is compared
     * only with another "HH:MM". */
    if (ag_config_dt_known(&s->start) != ag_config_dt_known(&s->end))
        return true;
    if (ag_datetime_cmp(&s->end, &s->start) <= 0) {
        char span[96];
        format_span(&ev->start, &s->start, &s->end, span, sizeof span);
        ag_config_err(d, &end->loc, "agenda item \"%s\" (%s) ends before it starts", slot_name(s),
                      span);
        return false;
    }
    s->timed = true; /* and so compared with the others */
    check_inside(ev, s, n, d);
    return true;
}

/* "slot-<digits>" is how the store names items that have no id: an id of
 * that form could be taken for another item's. */
static bool numbered_form(const char *id)
{
    static const char prefix[] = "slot-";
    const char *p = id + sizeof prefix - 1;
    return strncmp(id, prefix, sizeof prefix - 1) == 0 && *p &&
           strspn(p, "0123456789") == strlen(p);
}

static void load_slot_id(ag_slot *s, const ag_config_node *v, ag_diags *d)
{
    if (!ag_config_id(d, v, N_("agenda item id"), &s->id) || !numbered_form(s->id))
        return;
    ag_config_err(d, &v->loc,
                  "\"%s\" is not a valid agenda item id: slot-<number> names the items "
                  "that have no id",
                  s->id);
}

static bool load_slot(const ag_config *cfg, const ag_event *ev, ag_slot *s, const ag_config_node *n,
                      ag_diags *d)
{
    static const char *const keys[] = {"id", "start", "end", "title", "kind", "axis", NULL};
    size_t before = ag_diags_count(d);
    if (!ag_config_check_keys(d, n, keys, N_("agenda item")) && n->kind != AG_CFG_MAP)
        return false;
    s->loc = ag_config_loc_copy(d, &n->loc);
    const ag_config_node *v = ag_config_require(d, n, "title", N_("this agenda item"));
    if (v)
        ag_config_text(d, v, N_("the agenda item's title"), &s->title);
    int k = 0;
    v = ag_config_node_get(n, "kind");
    if ((!v || ag_config_choice(d, v, N_("agenda item kind"), ag_config_slot_kinds, &k)) &&
        !(s->kind = strdup(v ? ag_config_slot_kinds[k] : "other")))
        ag_config_oom(d, &n->loc, N_("this agenda item"));
    if ((v = ag_config_node_get(n, "axis")) && ag_config_string(d, v, "axis", &s->axis))
        ag_config_check_category(cfg, v, d);
    if ((v = ag_config_node_get(n, "id")))
        load_slot_id(s, v, d);
    load_slot_times(ev, s, n, d);
    return ag_diags_count(d) == before;
}

static void slot_free(ag_slot *s)
{
    ag_text_free(&s->title);
    free(s->kind);
    free(s->axis);
    free(s->loc.file);
    free(s->id);
    memset(s, 0, sizeof *s);
}

static bool overlap(const ag_slot *a, const ag_slot *b)
{
    return a->timed && b->timed && ag_config_dt_known(&a->start) == ag_config_dt_known(&b->start) &&
           ag_datetime_cmp(&a->start, &b->end) < 0 && ag_datetime_cmp(&b->start, &a->end) < 0;
}

static void check_overlaps(const ag_event *ev, ag_diags *d)
{
    for (size_t j = 1; j < ev->n_slots; j++) {
        const ag_slot *b = &ev->slots[j];
        for (size_t i = 0; i < j; i++) {
            const ag_slot *a = &ev->slots[i];
            if (!overlap(a, b))
                continue;
            char sa[96], sb[96];
            format_span(&ev->start, &a->start, &a->end, sa, sizeof sa);
            format_span(&ev->start, &b->start, &b->end, sb, sizeof sb);
            ag_config_err(d, &b->loc, "agenda item \"%s\" (%s) overlaps \"%s\" (%s) at line %d",
                          slot_name(b), sb, slot_name(a), sa, a->loc.line);
            break;
        }
    }
}

static void check_ids(const ag_event *ev, ag_diags *d)
{
    for (size_t j = 1; j < ev->n_slots; j++) {
        const ag_slot *b = &ev->slots[j];
        for (size_t i = 0; b->id && i < j; i++) {
            const ag_slot *a = &ev->slots[i];
            if (!a->id || strcmp(a->id, b->id) != 0)
                continue;
            ag_config_err(d, &b->loc, "agenda item id \"%s\" is already given to \"%s\" at line %d",
                          b->id, slot_name(a), a->loc.line);
            break;
        }
    }
}

void ag_config_load_slots(const ag_config *cfg, ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_seq(d, n, "agenda"))
        return;
    ev->slots = calloc(n->n + 1, sizeof *ev->slots);
    if (!ev->slots)
        ag_config_oom(d, &n->loc, N_("the agenda"));
    for (size_t i = 0; ev->slots && i < n->n; i++) {
        ag_slot *s = &ev->slots[ev->n_slots];
        /* An item with errors of its own is kept while its times are
         * right, so that an overlap with it is reported too (the event is
         * then rejected with its items). */
        if (load_slot(cfg, ev, s, n->items[i], d) || s->timed)
            ev->n_slots++;
        else
            slot_free(s);
    }
    check_overlaps(ev, d);
    check_ids(ev, d);
}
