/* Which feeds an event imported from a member's calendar belongs in, by
 * what the admin allowed for that member (members.yaml `sync:`). */
#include "feed.h"

#include "config_network.h"

#include <string.h>

static bool in_list(char *const *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], id) == 0)
            return true;
    return false;
}

/* A feed asks this for each of tens of thousands of imported events, which
 * come in runs of one member (uid order): the last answer is checked first.
 * An index, not a pointer, so that a config replaced since can never be
 * read through it; per thread, so that builders on other threads (export)
 * do not share it. */
static const ag_member *member_of(const ag_config *cfg, const char *id)
{
    static _Thread_local size_t last;
    if (last < cfg->n_members && strcmp(cfg->members[last].id, id) == 0)
        return &cfg->members[last];
    const ag_member *m = ag_config_member(cfg, id);
    if (m)
        last = (size_t)(m - cfg->members);
    return m;
}

bool ag_feed_imported_in_network(const ag_config *cfg, const ag_stored_event *sev)
{
    const ag_member *m = member_of(cfg, sev->imported_from);
    if (!m)
        return false;
    if (m->sync.network)
        return true;
    for (size_t i = 0; i < sev->ev.n_categories; i++)
        if (in_list(m->sync.network_categories, m->sync.n_network_categories,
                    sev->ev.categories[i]))
            return true;
    return false;
}

bool ag_feed_imported_in_category(const ag_config *cfg, const ag_stored_event *sev, const char *id)
{
    const ag_member *m = member_of(cfg, sev->imported_from);
    if (!m)
        return false;
    return ag_config_event_in_category(&sev->ev, id) ||
           in_list(m->sync.categories, m->sync.n_categories, id);
}
