#include "config_network.h"

#include <stdlib.h>
#include <string.h>

const ag_member *ag_config_member(const ag_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_members; i++)
        if (strcmp(cfg->members[i].id, id) == 0)
            return &cfg->members[i];
    return NULL;
}

const ag_category *ag_config_category(const ag_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_categories; i++)
        if (strcmp(cfg->categories[i].id, id) == 0)
            return &cfg->categories[i];
    return NULL;
}

static int cmp_event_uid(const void *key, const void *elem)
{
    return strcmp(key, ((const ag_event *)elem)->uid);
}

const ag_event *ag_config_event(const ag_config *cfg, const char *uid)
{
    /* config.h promises events sorted by uid. */
    return bsearch(uid, cfg->events, cfg->n_events, sizeof *cfg->events, cmp_event_uid);
}

static const char *kind_name(ag_member_kind k)
{
    switch (k) {
    case AG_MEMBER_REGION:
        return "region";
    case AG_MEMBER_PROVINCE:
        return "province";
    default:
        return "commune";
    }
}

static bool selector_matches(const char *sel, const ag_member *m)
{
    if (strcmp(sel, "network") == 0 || strcmp(sel, m->id) == 0)
        return true;
    if (strncmp(sel, "region:", 7) == 0) {
        const char *region = m->kind == AG_MEMBER_REGION ? m->id : m->region;
        return region && strcmp(sel + 7, region) == 0;
    }
    if (strncmp(sel, "kind:", 5) == 0)
        return strcmp(sel + 5, kind_name(m->kind)) == 0;
    return false;
}

bool ag_config_member_concerned(const ag_config *cfg, const ag_event *ev, const char *member_id)
{
    const ag_member *m = ag_config_member(cfg, member_id);
    if (!m)
        return false;
    if (ev->host && strcmp(ev->host, member_id) == 0)
        return true;
    for (size_t i = 0; i < ev->n_audience; i++)
        if (selector_matches(ev->audience[i], m))
            return true;
    return false;
}

bool ag_config_event_in_category(const ag_event *ev, const char *category_id)
{
    for (size_t i = 0; i < ev->n_categories; i++)
        if (strcmp(ev->categories[i], category_id) == 0)
            return true;
    for (size_t i = 0; i < ev->n_slots; i++)
        if (ev->slots[i].axis && strcmp(ev->slots[i].axis, category_id) == 0)
            return true;
    return false;
}

bool ag_config_selector_valid(const ag_config *cfg, const char *sel)
{
    if (strcmp(sel, "network") == 0)
        return true;
    if (strncmp(sel, "region:", 7) == 0) {
        const ag_member *r = ag_config_member(cfg, sel + 7);
        return r && r->kind == AG_MEMBER_REGION;
    }
    if (strncmp(sel, "kind:", 5) == 0)
        return strcmp(sel + 5, "region") == 0 || strcmp(sel + 5, "province") == 0 ||
               strcmp(sel + 5, "commune") == 0;
    return ag_config_member(cfg, sel) != NULL;
}
