/* members.yaml, and the categories of agendad.yaml: the things events refer
 * to by id. */
#include "config_internal.h"
#include "config_network.h"

#include <stdlib.h>
#include <string.h>

static const char *const member_kinds[] = {"region", "province", "commune", NULL};

static bool valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t<>,");
}

static void load_emails(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_string_list(d, n, "emails", &m->emails, &m->n_emails))
        return;
    for (size_t i = 0; i < m->n_emails; i++)
        if (!valid_email(m->emails[i]))
            ag_config_err(d, &n->items[i]->loc, "\"%s\" is not an email address", m->emails[i]);
}

static void load_feed_url(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    if (ag_config_string(d, n, "feed_url", &m->feed_url))
        ag_config_http_url(d, n, "feed_url", m->feed_url);
}

static bool has_channel(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], name) == 0)
            return true;
    return false;
}

/* Channel names are what plugins register, so only their form is checked
 * here; what a channel needs of the member (an address...) is for the
 * plugin that registers it to check (plugin.h, "checks of the settings"). */
static void check_channels(const ag_member *m, const ag_config_node *list, ag_diags *d)
{
    for (size_t i = 0; i < m->n_reminder_channels; i++) {
        const char *c = m->reminder_channels[i];
        const ag_loc *at = &list->items[i]->loc;
        if (!ag_config_valid_id(c))
            ag_config_err(d, at, "\"%s\" is not a channel name (lowercase letters, digits, -)", c);
        else if (has_channel(m->reminder_channels, i, c))
            ag_config_err(d, at, "channel \"%s\" is listed twice", c);
    }
}

/* members.yaml `reminders: {channels: [...]}`: which channels reach the
 * member, whatever the event says. */
static void load_member_reminders(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"channels", NULL};
    if (!ag_config_check_keys(d, n, keys, "member reminders") && n->kind != AG_CFG_MAP)
        return;
    const ag_config_node *list = ag_config_require(d, n, "channels", "member reminders");
    if (!list || !ag_config_string_list(d, list, "reminder channels", &m->reminder_channels,
                                        &m->n_reminder_channels))
        return;
    m->has_reminder_channels = true;
    check_channels(m, list, d);
}

/* Where the member sits: a region has no region; others need one. */
static void load_place(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    const ag_config_node *region = ag_config_node_get(n, "region");
    const ag_config_node *province = ag_config_node_get(n, "province");
    if (m->kind == AG_MEMBER_REGION && region)
        ag_config_err(d, &region->loc, "a region is not part of another region: remove \"region\"");
    else if (m->kind != AG_MEMBER_REGION && !region)
        ag_config_err(d, &n->loc, "member \"%s\" has no \"region\", which a %s needs", m->id,
                      member_kinds[m->kind]);
    else if (region)
        ag_config_id(d, region, "region id", &m->region);
    if (province && m->kind != AG_MEMBER_COMMUNE)
        ag_config_err(d, &province->loc, "only a commune has a \"province\"");
    else if (province)
        ag_config_text(d, province, "province", &m->province);
}

static void load_optional(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    static const char *const langs[] = {"ar", "fr", NULL};
    const ag_config_node *v = ag_config_node_get(n, "language");
    int i;
    if (v && ag_config_choice(d, v, "language", langs, &i) && !(m->language = strdup(langs[i])))
        ag_config_oom(d, &v->loc, "language");
    if ((v = ag_config_node_get(n, "emails")))
        load_emails(m, v, d);
    if ((v = ag_config_node_get(n, "feed_url")))
        load_feed_url(m, v, d);
    if ((v = ag_config_node_get(n, "reminders")))
        load_member_reminders(m, v, d);
}

static bool load_member(const ag_config *cfg, ag_member *m, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"id",       "kind",      "name",   "region",
                                       "province", "language",  "emails", "feed_url",
                                       "sync",     "reminders", NULL};
    size_t before = ag_diags_count(d);
    if (!ag_config_check_keys(d, n, keys, "member") && n->kind != AG_CFG_MAP)
        return false;
    const ag_config_node *id = ag_config_require(d, n, "id", "this member");
    const ag_config_node *kind = ag_config_require(d, n, "kind", "this member");
    const ag_config_node *name = ag_config_require(d, n, "name", "this member");
    int k;
    if (!id || !ag_config_id(d, id, "member id", &m->id) || !kind ||
        !ag_config_choice(d, kind, "member kind", member_kinds, &k))
        return false;
    m->kind = (ag_member_kind)k;
    if (name)
        ag_config_text(d, name, "the member's name", &m->name);
    load_place(m, n, d);
    load_optional(m, n, d);
    ag_config_load_member_sync(cfg, m, ag_config_node_get(n, "sync"), d);
    m->loc = ag_config_loc_copy(d, &n->loc);
    return ag_diags_count(d) == before;
}

static void check_unique_member(const ag_config *cfg, const ag_config_node *n, ag_diags *d)
{
    const ag_member *m = &cfg->members[cfg->n_members];
    for (size_t i = 0; i < cfg->n_members; i++) {
        const ag_member *o = &cfg->members[i];
        if (strcmp(o->id, m->id) == 0)
            ag_config_err(d, &ag_config_node_get(n, "id")->loc,
                          "member id \"%s\" is already used by %s:%d:%d", m->id, o->loc.file,
                          o->loc.line, o->loc.col);
    }
}

static void check_region(const ag_config *cfg, const ag_member *m, const ag_config_node *n,
                         ag_diags *d)
{
    const ag_config_node *r = ag_config_node_get(n, "region");
    const ag_member *region = ag_config_member(cfg, m->region);
    if (region && region->kind != AG_MEMBER_REGION) {
        ag_config_err(d, &r->loc, "\"%s\" is a %s, not a region", m->region,
                      member_kinds[region->kind]);
    } else if (!region) {
        const char **ids = calloc(cfg->n_members + 1, sizeof *ids);
        for (size_t i = 0; ids && i < cfg->n_members; i++)
            if (cfg->members[i].kind == AG_MEMBER_REGION)
                ids[i] = cfg->members[i].id;
        ag_config_unknown_ref(d, r, "region", ids, ids ? cfg->n_members : 0);
        free(ids);
    }
}

static void load_list(ag_config *cfg, const ag_config_node *list, ag_diags *d)
{
    const ag_config_node **src = calloc(list->n + 1, sizeof *src);
    cfg->members = calloc(list->n + 1, sizeof *cfg->members);
    if (!src || !cfg->members) {
        ag_config_oom(d, &list->loc, "the members");
        free(src);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        ag_member *m = &cfg->members[cfg->n_members];
        bool ok = load_member(cfg, m, list->items[i], d);
        if (ok)
            check_unique_member(cfg, list->items[i], d);
        if (ok)
            src[cfg->n_members++] = list->items[i];
        else
            ag_member_free(m);
    }
    for (size_t i = 0; i < cfg->n_members; i++)
        if (cfg->members[i].region)
            check_region(cfg, &cfg->members[i], src[i], d);
    cfg->member_nodes = src; /* nodes of cfg->members_root */
}

void ag_config_load_members(ag_config *cfg, const ag_config_node *root, ag_diags *d)
{
    static const char *const keys[] = {"members", NULL};
    if (!ag_config_check_keys(d, root, keys, "members.yaml") && root->kind != AG_CFG_MAP)
        return;
    const ag_config_node *list = ag_config_require(d, root, "members", "members.yaml");
    if (list && ag_config_seq(d, list, "members"))
        load_list(cfg, list, d);
}

static bool load_category(ag_category *c, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"id", "name", "axis", NULL};
    size_t before = ag_diags_count(d);
    if (!ag_config_check_keys(d, n, keys, "category") && n->kind != AG_CFG_MAP)
        return false;
    const ag_config_node *id = ag_config_require(d, n, "id", "this category");
    const ag_config_node *name = ag_config_require(d, n, "name", "this category");
    const ag_config_node *axis = ag_config_node_get(n, "axis");
    if (id)
        ag_config_id(d, id, "category id", &c->id);
    if (name)
        ag_config_text(d, name, "the category's name", &c->name);
    if (axis)
        ag_config_bool(d, axis, "axis", &c->axis);
    c->loc = ag_config_loc_copy(d, &n->loc);
    return ag_diags_count(d) == before;
}

static void check_unique_category(const ag_config *cfg, const ag_config_node *n, ag_diags *d)
{
    const ag_category *c = &cfg->categories[cfg->n_categories];
    for (size_t i = 0; i < cfg->n_categories; i++) {
        const ag_category *o = &cfg->categories[i];
        if (strcmp(o->id, c->id) == 0)
            ag_config_err(d, &ag_config_node_get(n, "id")->loc,
                          "category id \"%s\" is already used by %s:%d:%d", c->id, o->loc.file,
                          o->loc.line, o->loc.col);
    }
}

void ag_config_load_categories(ag_config *cfg, const ag_config_node *root, ag_diags *d)
{
    if (root->kind != AG_CFG_MAP)
        return;
    const ag_config_node *list = ag_config_require(d, root, "categories", "agendad.yaml");
    if (!list || !ag_config_seq(d, list, "categories"))
        return;
    cfg->categories = calloc(list->n + 1, sizeof *cfg->categories);
    if (!cfg->categories)
        ag_config_oom(d, &list->loc, "the categories");
    for (size_t i = 0; cfg->categories && i < list->n; i++) {
        ag_category *c = &cfg->categories[cfg->n_categories];
        bool ok = load_category(c, list->items[i], d);
        if (ok)
            check_unique_category(cfg, list->items[i], d);
        if (ok)
            cfg->n_categories++;
        else
            ag_category_free(c);
    }
}
