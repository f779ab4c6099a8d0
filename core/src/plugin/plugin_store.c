/* Host-table entries that read the store's current snapshot: events,
 * members, categories, settings, time zones. */
#include "plugin_host.h"

#include "config_network.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ag_stored_event *ag_plugin_stored(const agendad_event *ev)
{
    return (const ag_stored_event *)ev;
}

static const agendad_event *event_handle(const ag_stored_event *se)
{
    return (const agendad_event *)se;
}

static const ag_stored_event *snapshot(const agendad_plugin *self, size_t *n)
{
    const ag_plugin_services *svc = &self->host->svc;
    *n = 0;
    if (self->host->checking)
        return NULL; /* a check reads a configuration, not its events */
    const ag_stored_event *evs = svc->events ? svc->events(svc->data, n) : NULL;
    if (!evs)
        *n = 0;
    return evs;
}

static int api_event_foreach(agendad_plugin *self, int (*fn)(const agendad_event *, void *),
                             void *data)
{
    if (!self || !fn)
        return AGENDAD_EINVAL;
    size_t n;
    const ag_stored_event *evs = snapshot(self, &n);
    for (size_t i = 0; i < n; i++) {
        if (evs[i].removed_at != 0)
            continue;
        int rc = fn(event_handle(&evs[i]), data);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static size_t api_event_count(agendad_plugin *self)
{
    if (!self)
        return 0;
    size_t n, live = 0;
    const ag_stored_event *evs = snapshot(self, &n);
    for (size_t i = 0; i < n; i++)
        live += evs[i].removed_at == 0;
    return live;
}

static const agendad_event *api_event_find(agendad_plugin *self, const char *uid)
{
    if (!self || !uid)
        return NULL;
    size_t n;
    const ag_stored_event *evs = snapshot(self, &n);
    const ag_stored_event *se = ag_store_event_find(evs, n, uid);
    return se && se->removed_at == 0 ? event_handle(se) : NULL;
}

static const char *api_event_uid(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? ag_plugin_stored(ev)->ev.uid : NULL;
}

/* The ABI's language rule, fixed here rather than borrowed from the model so
 * that plugins see the same fallback whatever the core does elsewhere. */
static const char *text_in(const ag_text *t, const char *lang)
{
    bool fr = lang && strcmp(lang, "fr") == 0;
    const char *first = fr ? t->fr : t->ar;
    return first ? first : (fr ? t->ar : t->fr);
}

static const char *api_event_text(agendad_plugin *self, const agendad_event *ev,
                                  agendad_text_field field, const char *lang)
{
    (void)self;
    if (!ev)
        return NULL;
    const ag_event *e = &ag_plugin_stored(ev)->ev;
    switch (field) {
    case AGENDAD_TEXT_TITLE:
        return text_in(&e->title, lang);
    case AGENDAD_TEXT_DESCRIPTION:
        return text_in(&e->description, lang);
    case AGENDAD_TEXT_LOCATION:
        return text_in(&e->location, lang);
    }
    return NULL;
}

static ag_datetime next_day(const ag_datetime *d)
{
    /* The all-day end is inclusive: the event is over at the next midnight. */
    ag_datetime out = *d;
    ag_datetime_add_days(&out, 1);
    return out;
}

static int to_utc(const agendad_plugin *self, const ag_datetime *local, const char *tzid,
                  int64_t *out)
{
    const ag_plugin_services *svc = &self->host->svc;
    bool ok = false;
    if (!svc->to_utc || !tzid)
        return AGENDAD_EZONE;
    *out = svc->to_utc(local, tzid, &ok);
    return ok ? 0 : AGENDAD_EZONE;
}

static int api_event_when(agendad_plugin *self, const agendad_event *ev, agendad_when *out)
{
    if (!self || !ev || !out)
        return AGENDAD_EINVAL;
    const ag_event *e = &ag_plugin_stored(ev)->ev;
    ag_datetime end = e->start.is_date ? next_day(&e->end) : e->end;
    agendad_when w = {.all_day = e->start.is_date, .tzid = e->tzid};
    int rc = to_utc(self, &e->start, e->tzid, &w.start);
    if (rc == 0)
        rc = to_utc(self, &end, e->tzid, &w.end);
    if (rc == 0)
        *out = w;
    return rc;
}

static agendad_status api_event_status(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    switch (ev ? ag_plugin_stored(ev)->ev.status : AG_STATUS_CONFIRMED) {
    case AG_STATUS_TENTATIVE:
        return AGENDAD_STATUS_TENTATIVE;
    case AG_STATUS_CANCELLED:
        return AGENDAD_STATUS_CANCELLED;
    default:
        return AGENDAD_STATUS_CONFIRMED;
    }
}

static agendad_visibility api_event_visibility(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev && ag_plugin_stored(ev)->ev.visibility == AG_VIS_MEMBERS ? AGENDAD_VIS_MEMBERS
                                                                       : AGENDAD_VIS_PUBLIC;
}

static const char *api_event_host_member(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? ag_plugin_stored(ev)->ev.host : NULL;
}

static size_t api_event_category_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? ag_plugin_stored(ev)->ev.n_categories : 0;
}

static const char *api_event_category(agendad_plugin *self, const agendad_event *ev, size_t i)
{
    (void)self;
    return ev && i < ag_plugin_stored(ev)->ev.n_categories ? ag_plugin_stored(ev)->ev.categories[i]
                                                           : NULL;
}

static size_t api_event_slot_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? ag_plugin_stored(ev)->ev.n_slots : 0;
}

static int api_event_slot(agendad_plugin *self, const agendad_event *ev, size_t i,
                          agendad_slot *out)
{
    if (!self || !ev || !out)
        return AGENDAD_EINVAL;
    const ag_event *e = &ag_plugin_stored(ev)->ev;
    if (i >= e->n_slots)
        return AGENDAD_ERANGE;
    const ag_slot *s = &e->slots[i];
    agendad_slot r = {.timed = s->timed, .kind = s->kind, .axis = s->axis};
    int rc = 0;
    if (s->timed) {
        rc = to_utc(self, &s->start, e->tzid, &r.start);
        if (rc == 0)
            rc = to_utc(self, &s->end, e->tzid, &r.end);
    }
    if (rc == 0)
        *out = r;
    return rc;
}

static const char *api_event_slot_title(agendad_plugin *self, const agendad_event *ev, size_t i,
                                        const char *lang)
{
    (void)self;
    if (!ev || i >= ag_plugin_stored(ev)->ev.n_slots)
        return NULL;
    return text_in(&ag_plugin_stored(ev)->ev.slots[i].title, lang);
}

const ag_member *ag_plugin_member(const agendad_member *m)
{
    return (const ag_member *)m;
}

static const agendad_member *api_member_find(agendad_plugin *self, const char *id)
{
    if (!self || !id)
        return NULL;
    const ag_config *cfg = ag_plugin_host_config(self->host);
    for (size_t i = 0; cfg && i < cfg->n_members; i++)
        if (strcmp(cfg->members[i].id, id) == 0)
            return (const agendad_member *)&cfg->members[i];
    return NULL;
}

static const char *api_member_id(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? ag_plugin_member(m)->id : NULL;
}

static const char *api_member_name(agendad_plugin *self, const agendad_member *m, const char *lang)
{
    (void)self;
    return m ? text_in(&ag_plugin_member(m)->name, lang) : NULL;
}

static const char *api_member_language(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? ag_plugin_member(m)->language : NULL;
}

static agendad_member_kind api_member_kind(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    switch (m ? ag_plugin_member(m)->kind : AG_MEMBER_REGION) {
    case AG_MEMBER_PROVINCE:
        return AGENDAD_MEMBER_PROVINCE;
    case AG_MEMBER_COMMUNE:
        return AGENDAD_MEMBER_COMMUNE;
    default:
        return AGENDAD_MEMBER_REGION;
    }
}

static const char *api_member_region(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? ag_plugin_member(m)->region : NULL;
}

static size_t api_member_email_count(agendad_plugin *self, const agendad_member *m)
{
    (void)self;
    return m ? ag_plugin_member(m)->n_emails : 0;
}

static const char *api_member_email(agendad_plugin *self, const agendad_member *m, size_t i)
{
    (void)self;
    return m && i < ag_plugin_member(m)->n_emails ? ag_plugin_member(m)->emails[i] : NULL;
}

static const ag_config *current_config(const agendad_plugin *self)
{
    return ag_plugin_host_config(self->host);
}

static const agendad_config_node *api_member_config(agendad_plugin *self, const agendad_member *m)
{
    const ag_config *cfg = self && m ? current_config(self) : NULL;
    return (const agendad_config_node *)ag_config_member_node(cfg, ag_plugin_member(m));
}

static uint64_t api_store_generation(agendad_plugin *self)
{
    const ag_plugin_services *svc = self ? &self->host->svc : NULL;
    return svc && svc->generation ? (uint64_t)svc->generation(svc->data) : 0;
}

static const char *api_setting(agendad_plugin *self, const char *key)
{
    const ag_config *cfg = self && key ? current_config(self) : NULL;
    if (!cfg)
        return NULL;
    if (strcmp(key, "tzdata") == 0)
        return self->host->svc.tz_version ? self->host->svc.tz_version() : NULL;
    const struct {
        const char *key, *value;
    } table[] = {
        {"base_url", cfg->settings.base_url},
        {"language", cfg->settings.default_lang},
        {"timezone", cfg->settings.default_tz},
        {"config_dir", cfg->dir},
        {"invitations.organizer", cfg->settings.invitations_organizer},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(key, table[i].key) == 0)
            return table[i].value;
    return NULL;
}

static const char *api_network_text(agendad_plugin *self, const char *field, const char *lang)
{
    const ag_config *cfg = self && field ? current_config(self) : NULL;
    if (!cfg)
        return NULL;
    if (strcmp(field, "name") == 0)
        return text_in(&cfg->settings.network_name, lang);
    if (strcmp(field, "description") == 0)
        return text_in(&cfg->settings.network_description, lang);
    return NULL;
}

static size_t api_category_count(agendad_plugin *self)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg ? cfg->n_categories : 0;
}

static const char *api_category_id(agendad_plugin *self, size_t i)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg && i < cfg->n_categories ? cfg->categories[i].id : NULL;
}

static const ag_category *category_by_id(agendad_plugin *self, const char *id)
{
    const ag_config *cfg = self && id ? current_config(self) : NULL;
    for (size_t i = 0; cfg && i < cfg->n_categories; i++)
        if (strcmp(cfg->categories[i].id, id) == 0)
            return &cfg->categories[i];
    return NULL;
}

static const char *api_category_name(agendad_plugin *self, const char *id, const char *lang)
{
    const ag_category *c = category_by_id(self, id);
    return c ? text_in(&c->name, lang) : NULL;
}

static bool api_category_is_axis(agendad_plugin *self, const char *id)
{
    const ag_category *c = category_by_id(self, id);
    return c && c->axis;
}

static size_t api_member_count(agendad_plugin *self)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg ? cfg->n_members : 0;
}

static const agendad_member *api_member_at(agendad_plugin *self, size_t i)
{
    const ag_config *cfg = self ? current_config(self) : NULL;
    return cfg && i < cfg->n_members ? (const agendad_member *)&cfg->members[i] : NULL;
}

static size_t api_event_audience_count(agendad_plugin *self, const agendad_event *ev)
{
    (void)self;
    return ev ? ag_plugin_stored(ev)->ev.n_audience : 0;
}

static const char *api_event_audience(agendad_plugin *self, const agendad_event *ev, size_t i)
{
    (void)self;
    return ev && i < ag_plugin_stored(ev)->ev.n_audience ? ag_plugin_stored(ev)->ev.audience[i]
                                                         : NULL;
}

static bool api_event_invites(agendad_plugin *self, const agendad_event *ev, const char *member_id)
{
    const ag_config *cfg = self && ev && member_id ? current_config(self) : NULL;
    if (!cfg || !self->host->svc.member_concerned)
        return false;
    return self->host->svc.member_concerned(cfg, &ag_plugin_stored(ev)->ev, member_id);
}

static int api_event_span(agendad_plugin *self, const agendad_event *ev, agendad_when *out)
{
    if (!self || !ev || !out)
        return AGENDAD_EINVAL;
    const ag_event *e = &ag_plugin_stored(ev)->ev;
    if (!e->rrule || !self->host->svc.series_span)
        return api_event_when(self, ev, out);
    agendad_when w = {.all_day = e->start.is_date, .tzid = e->tzid};
    int rc = self->host->svc.series_span(e, &w.start, &w.end);
    if (rc < 0)
        return AGENDAD_EZONE;
    if (rc > 0)
        return AGENDAD_ERANGE;
    *out = w;
    return 0;
}

static int api_utc_offset(agendad_plugin *self, const char *tzid, int64_t t, int32_t *offset)
{
    if (!self || !tzid || !offset)
        return AGENDAD_EINVAL;
    bool ok = false;
    int32_t off = self->host->svc.utc_offset ? self->host->svc.utc_offset(t, tzid, &ok) : 0;
    if (!ok)
        return AGENDAD_EZONE;
    *offset = off;
    return 0;
}

/* Who answered and attended: the daemon knows (rsvp/), the host passes
 * the question on. */
static int api_event_attendance(agendad_plugin *self, const agendad_event *ev,
                                int (*fn)(const agendad_attendance *a, void *data), void *data)
{
    if (!self || !ev || !fn)
        return AGENDAD_EINVAL;
    const ag_plugin_services *svc = &self->host->svc;
    if (!svc->event_attendance)
        return AGENDAD_ENOENT;
    int rc = svc->event_attendance(svc->data, ag_plugin_stored(ev)->ev.uid, fn, data);
    return rc < 0 ? ag_err_to_abi(rc) : rc;
}

/* This file's entries of the host table. */
void ag_plugin_table_store(agendad_host *t)
{
    t->event_foreach = api_event_foreach;
    t->event_count = api_event_count;
    t->event_find = api_event_find;
    t->event_uid = api_event_uid;
    t->event_text = api_event_text;
    t->event_when = api_event_when;
    t->event_status = api_event_status;
    t->event_visibility = api_event_visibility;
    t->event_host_member = api_event_host_member;
    t->event_category_count = api_event_category_count;
    t->event_category = api_event_category;
    t->event_slot_count = api_event_slot_count;
    t->event_slot = api_event_slot;
    t->event_slot_title = api_event_slot_title;
    t->member_find = api_member_find;
    t->member_id = api_member_id;
    t->member_name = api_member_name;
    t->member_language = api_member_language;
    t->member_kind = api_member_kind;
    t->member_region = api_member_region;
    t->member_email_count = api_member_email_count;
    t->member_email = api_member_email;
    t->member_config = api_member_config;
    t->store_generation = api_store_generation;
    t->setting = api_setting;
    t->network_text = api_network_text;
    t->category_count = api_category_count;
    t->category_id = api_category_id;
    t->category_name = api_category_name;
    t->category_is_axis = api_category_is_axis;
    t->member_count = api_member_count;
    t->member_at = api_member_at;
    t->event_audience_count = api_event_audience_count;
    t->event_audience = api_event_audience;
    t->event_invites = api_event_invites;
    t->event_span = api_event_span;
    t->event_attendance = api_event_attendance;
    t->utc_offset = api_utc_offset;
}
