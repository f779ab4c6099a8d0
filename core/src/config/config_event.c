/* Event files (events/NAME.yaml): one event mapping or a list of them per file. Members and
 * categories are loaded before, so that references can be checked here. */
#include "config_internal.h"
#include "config_network.h"
#include "tz.h"

#include <stdlib.h>
#include <string.h>

/* The members' ids (those left out for errors of their own too), and
 * "network" when with_network; *n set to their count. */
static const char **member_ids(const ag_config *cfg, bool with_network, size_t *n)
{
    size_t n_rejected = ag_config_rejected_ids(cfg, AG_REJECTED_MEMBER, NULL, NULL);
    const char **ids = calloc(cfg->n_members + n_rejected + 2, sizeof *ids);
    *n = 0;
    if (!ids)
        return NULL;
    for (size_t i = 0; i < cfg->n_members; i++)
        ids[(*n)++] = cfg->members[i].id;
    *n += ag_config_rejected_ids(cfg, AG_REJECTED_MEMBER, ids + *n, NULL);
    if (with_network)
        ids[(*n)++] = "network";
    return ids;
}

static void unknown_member(const ag_config *cfg, const ag_config_node *n, bool with_network,
                           ag_diags *d)
{
    size_t n_ids;
    const char **ids = member_ids(cfg, with_network, &n_ids);
    ag_config_unknown_ref(d, n, "member", ids, n_ids);
    free(ids);
}

/* A member left out for errors of its own is known all the same: a
 * reference to it only waits for that member's fix. */
static bool known_member(const ag_config *cfg, const char *id)
{
    return ag_config_member(cfg, id) || ag_config_rejected_find(cfg, AG_REJECTED_MEMBER, id, NULL);
}

static void load_host(const ag_config *cfg, ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_string(d, n, "host", &ev->host))
        return;
    if (!known_member(cfg, ev->host))
        unknown_member(cfg, n, false, d);
}

/* Whether sel names a member left out for errors of its own, by its id or
 * as region:ID (then judged only when the member's kind could be read). */
static bool rejected_selector(const ag_config *cfg, const char *sel)
{
    int kind;
    if (strncmp(sel, "region:", 7) == 0)
        return ag_config_rejected_find(cfg, AG_REJECTED_MEMBER, sel + 7, &kind) &&
               (kind < 0 || kind == AG_MEMBER_REGION);
    return strncmp(sel, "kind:", 5) != 0 &&
           ag_config_rejected_find(cfg, AG_REJECTED_MEMBER, sel, NULL);
}

static void bad_selector(const ag_config *cfg, const ag_config_node *n, ag_diags *d)
{
    const char *sel = n->scalar;
    if (rejected_selector(cfg, sel))
        return;
    if (strncmp(sel, "kind:", 5) == 0) {
        ag_config_err(d, &n->loc,
                      "\"%s\" is not a valid audience: after \"kind:\" write region, "
                      "province or commune",
                      sel);
    } else if (strncmp(sel, "region:", 7) == 0 && known_member(cfg, sel + 7)) {
        ag_config_err(d, &n->loc, "\"%s\" is not a valid audience: \"%s\" is not a region", sel,
                      sel + 7);
    } else if (strncmp(sel, "region:", 7) == 0) {
        ag_config_err(d, &n->loc, "\"%s\" is not a valid audience: there is no region \"%s\"", sel,
                      sel + 7);
    } else {
        unknown_member(cfg, n, true, d);
    }
}

/* Each item that is text is checked, even when another is not. */
static void load_audience(const ag_config *cfg, ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_string_list(d, n, "audience", &ev->audience, &ev->n_audience) &&
        n->kind != AG_CFG_SEQ)
        return;
    for (size_t i = 0; i < n->n; i++)
        if (ag_config_is_text(n->items[i]) && !ag_config_selector_valid(cfg, n->items[i]->scalar))
            bad_selector(cfg, n->items[i], d);
}

/* A typo of an id is suggested as for members; failing that, the category
 * whose id or name holds the word written ("formation" for training,
 * named Formations; "participation" for citizen-participation). */
static const char *suggest_category(const ag_config *cfg, const char *word)
{
    size_t n = cfg->n_categories;
    const char **texts = calloc(3 * n + 1, sizeof *texts);
    if (!texts)
        return NULL; /* no hint; the error itself is reported */
    for (size_t i = 0; i < n; i++)
        texts[i] = cfg->categories[i].id;
    const char *guess = ag_config_suggest(word, texts, n);
    for (size_t i = 0; !guess && i < n; i++) {
        texts[3 * i] = cfg->categories[i].id;
        texts[3 * i + 1] = cfg->categories[i].name.fr;
        texts[3 * i + 2] = cfg->categories[i].name.ar;
    }
    long k = guess ? -1 : ag_config_suggest_word(word, texts, 3 * n);
    if (k >= 0)
        guess = cfg->categories[k / 3].id;
    free(texts);
    return guess;
}

void ag_config_check_category(const ag_config *cfg, const ag_config_node *n, ag_diags *d)
{
    if (ag_config_category(cfg, n->scalar) ||
        ag_config_rejected_find(cfg, AG_REJECTED_CATEGORY, n->scalar, NULL))
        return;
    ag_config_unknown_guess(d, n, "category", suggest_category(cfg, n->scalar));
}

static void load_categories(const ag_config *cfg, ag_event *ev, const ag_config_node *n,
                            ag_diags *d)
{
    if (!ag_config_string_list(d, n, "categories", &ev->categories, &ev->n_categories) &&
        n->kind != AG_CFG_SEQ)
        return;
    for (size_t i = 0; i < n->n; i++)
        if (ag_config_is_text(n->items[i]))
            ag_config_check_category(cfg, n->items[i], d);
}

static void load_lead_times(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_seq(d, n, "reminders"))
        return;
    /* Too many, and yet each is checked: its own error is another one. */
    if (n->n > AG_CFG_MAX_REMINDERS)
        ag_config_err(d, &n->loc, "an event has at most %d reminders, not %zu",
                      AG_CFG_MAX_REMINDERS, n->n);
    ev->reminders = calloc(n->n + 1, sizeof *ev->reminders);
    if (!ev->reminders)
        ag_config_oom(d, &n->loc, "these reminders");
    for (size_t i = 0; ev->reminders && i < n->n; i++) {
        int64_t v;
        if (!ag_config_duration(d, n->items[i], "a reminder", &v))
            continue;
        if (v <= 0)
            ag_config_err(d, &n->items[i]->loc,
                          "a reminder must come some time before the event, "
                          "not 0");
        else
            ev->reminders[ev->n_reminders++] = v;
    }
}

/* Every item that is text, even when another is not. */
static void check_extra(const ag_config_node *n, ag_diags *d)
{
    for (size_t i = 0; n->kind == AG_CFG_SEQ && i < n->n; i++) {
        if (!ag_config_is_text(n->items[i]))
            continue;
        const char *a = n->items[i]->scalar;
        const char *at = strchr(a, '@');
        if (!at || at == a || !at[1] || strchr(at + 1, '@') || strpbrk(a, " \t\r\n<>,;\""))
            ag_config_err(d, &n->items[i]->loc,
                          "\"%s\" is not an email address (write name@example.org)", a);
    }
}

/* Either a list of lead times (the channels of agendad.yaml, the audience's
 * contacts), or a map: before (the lead times), channels, extra. */
static void load_reminders(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"before", "channels", "extra", NULL};
    if (n->kind != AG_CFG_MAP) {
        load_lead_times(ev, n, d);
        return;
    }
    ag_config_check_keys(d, n, keys, "reminders");
    const ag_config_node *v = ag_config_require(d, n, "before", "reminders");
    if (v)
        load_lead_times(ev, v, d);
    if ((v = ag_config_node_get(n, "channels")))
        ag_config_string_list(d, v, "reminder channels", &ev->reminder_channels,
                              &ev->n_reminder_channels);
    if ((v = ag_config_node_get(n, "extra"))) {
        ag_config_string_list(d, v, "extra reminder addresses", &ev->reminder_extra,
                              &ev->n_reminder_extra);
        check_extra(v, d);
    }
}

static void load_zone(const ag_config *cfg, ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (!n) {
        if (!(ev->tzid = strdup(cfg->settings.default_tz)))
            ag_config_oom(d, &ev->loc, "this event's time zone");
    } else if (ag_config_string(d, n, "timezone", &ev->tzid) && !ag_tz_known(ev->tzid)) {
        ag_config_err(d, &n->loc,
                      "unknown time zone \"%s\" (expected a name like Africa/Casablanca)",
                      ev->tzid);
    }
}

static void end_before_start(const ag_event *ev, const ag_config_node *end, ag_diags *d)
{
    char s[32], e[32];
    ag_config_format_dt(&ev->start, s, sizeof s);
    ag_config_format_dt(&ev->end, e, sizeof e);
    if (ag_datetime_cmp(&ev->end, &ev->start) == 0)
        ag_config_err(d, &end->loc, "the event ends when it starts (%s): give a later end", s);
    else
        ag_config_err(d, &end->loc, "the event ends (%s) before it starts (%s)", e, s);
}

/* All-day: end is the last day, inclusive, and defaults to the start day.
 * Timed: end is required and exclusive. Start and end are each read on
 * their own, so that a bad start does not hide a bad end; how they relate
 * is judged when both could be read. What is not usable is left zero (see
 * ag_config_dt_known). */
static void load_times(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    static const ag_datetime unknown = {0};
    const ag_config_node *start = ag_config_require(d, n, "start", "this event");
    const ag_config_node *end = ag_config_node_get(n, "end");
    bool start_ok = start && ag_config_datetime(d, start, "start", &ev->start);
    bool end_ok = end && ag_config_datetime(d, end, "end", &ev->end);
    if (!start_ok) {
        ev->end = unknown;
        return;
    }
    if (!end && ev->start.is_date) {
        ev->end = ev->start;
        return;
    }
    if (!end) {
        ag_config_err(d, &start->loc,
                      "this event has a start time but no \"end\": add one, or "
                      "give start as a date for an all-day event");
        return;
    }
    if (!end_ok)
        return;
    if (ev->end.is_date != ev->start.is_date) {
        ag_config_err(d, &end->loc,
                      "start and end must both be dates (all-day event) or both be "
                      "date-times");
        ev->end = unknown;
        return;
    }
    int c = ag_datetime_cmp(&ev->end, &ev->start);
    if (c < 0 || (c == 0 && !ev->start.is_date)) {
        end_before_start(ev, end, d);
        ev->end = unknown;
    }
}

static void load_flags(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    static const char *const statuses[] = {"confirmed", "tentative", "cancelled", NULL};
    static const char *const visibilities[] = {"public", "members", NULL};
    const ag_config_node *v = ag_config_node_get(n, "status");
    int i;
    if (v && ag_config_choice(d, v, "status", statuses, &i))
        ev->status = (ag_status)i;
    v = ag_config_node_get(n, "visibility");
    if (v && ag_config_choice(d, v, "visibility", visibilities, &i))
        ev->visibility = (ag_visibility)i;
}

static void load_texts(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    const ag_config_node *v = ag_config_require(d, n, "title", "this event");
    if (v)
        ag_config_text(d, v, "the event's title", &ev->title);
    if ((v = ag_config_node_get(n, "description")))
        ag_config_text(d, v, "the event's description", &ev->description);
    if ((v = ag_config_node_get(n, "location")))
        ag_config_text(d, v, "the event's location", &ev->location);
}

/* An online meeting's link, published as URL, CONFERENCE and in the
 * description: only what a calendar app can open. */
static void load_online_url(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    if (ag_config_string(d, n, "online_url", &ev->online_url))
        ag_config_http_url(d, n, "online_url", ev->online_url);
}

/* invitations: true needs the network's mailbox, which invitations come
 * from and replies go back to. */
static void load_participation(const ag_config *cfg, ag_event *ev, const ag_config_node *n,
                               ag_diags *d)
{
    const ag_config_node *v = ag_config_node_get(n, "invitations");
    if (v && ag_config_bool(d, v, "invitations", &ev->invitations) && ev->invitations &&
        !cfg->settings.invitations_organizer)
        ag_config_err(d, &v->loc,
                      "invitations: true needs the network's mailbox: set invitations.organizer "
                      "in agendad.yaml (for instance organizer: rsvp@network.example)");
    if ((v = ag_config_node_get(n, "publish_attendance")))
        ag_config_bool(d, v, "publish_attendance", &ev->publish_attendance);
}

static bool load_uid(ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    const ag_config_node *v = ag_config_require(d, n, "uid", "this event");
    if (!v || !ag_config_string(d, v, "uid", &ev->uid))
        return false;
    if (ag_config_valid_uid(ev->uid))
        return true;
    ag_config_err(d, &v->loc, "uid \"%s\" may only use letters A-Z a-z, digits and . _ @ -",
                  ev->uid);
    return false;
}

static void load_refs(const ag_config *cfg, ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    const ag_config_node *v = ag_config_require(d, n, "host", "this event");
    if (v)
        load_host(cfg, ev, v, d);
    if ((v = ag_config_node_get(n, "audience")))
        load_audience(cfg, ev, v, d);
    if ((v = ag_config_node_get(n, "categories")))
        load_categories(cfg, ev, v, d);
}

static bool load_event(const ag_config *cfg, ag_event *ev, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {
        "uid",        "title",     "description", "location",   "start",       "end",
        "timezone",   "host",      "audience",    "categories", "status",      "visibility",
        "recurrence", "reminders", "agenda",      "online_url", "invitations", "publish_attendance",
        "documents",  NULL};
    size_t before = ag_diags_count(d);
    if (!ag_config_check_keys(d, n, keys, "event") && n->kind != AG_CFG_MAP)
        return false;
    ev->loc = ag_config_loc_copy(d, &n->loc);
    load_uid(ev, n, d);
    load_texts(ev, n, d);
    load_zone(cfg, ev, ag_config_node_get(n, "timezone"), d);
    load_times(ev, n, d);
    load_refs(cfg, ev, n, d);
    load_flags(ev, n, d);
    const ag_config_node *v = ag_config_node_get(n, "online_url");
    if (v)
        load_online_url(ev, v, d);
    if ((v = ag_config_node_get(n, "reminders")))
        load_reminders(ev, v, d);
    /* Both are read whatever the times: they judge against the times only
     * what could be read (ag_config_dt_known). */
    if ((v = ag_config_node_get(n, "recurrence")))
        ag_config_load_recurrence(ev, v, d);
    if ((v = ag_config_node_get(n, "agenda")))
        ag_config_load_slots(cfg, ev, v, d);
    load_participation(cfg, ev, n, d);
    /* After the flags: a members-only event's files are refused. */
    if ((v = ag_config_node_get(n, "documents")))
        ag_config_load_event_documents(cfg, ev, v, d);
    return ag_diags_count(d) == before;
}

static void append_event(ag_config *cfg, const ag_config_node *n, ag_diags *d)
{
    ag_event ev = {0};
    if (!load_event(cfg, &ev, n, d)) {
        /* Its uid still counts: another event with it is reported. */
        if (ev.uid && ag_config_valid_uid(ev.uid))
            ag_config_reject(cfg, AG_REJECTED_EVENT, ev.uid, -1, &n->loc, d);
        ag_event_free(&ev);
        return;
    }
    ag_event *v = realloc(cfg->events, (cfg->n_events + 1) * sizeof *v);
    if (!v) {
        ag_config_oom(d, &n->loc, "this event");
        ag_event_free(&ev);
        return;
    }
    cfg->events = v;
    cfg->events[cfg->n_events++] = ev;
}

void ag_config_load_event_list(ag_config *cfg, const ag_config_node *root, ag_diags *d)
{
    if (ag_config_is_null(root))
        return;
    if (root->kind == AG_CFG_MAP) {
        append_event(cfg, root, d);
    } else if (root->kind == AG_CFG_SEQ) {
        for (size_t i = 0; i < root->n; i++)
            append_event(cfg, root->items[i], d);
    } else {
        ag_config_err(d, &root->loc,
                      "expected an event (uid: …, title: …) or a list of events, "
                      "found a single value");
    }
}
