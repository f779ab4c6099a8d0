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

/* Each address that is text is checked, even when another is not. False
 * when the list could not be read. */
static bool load_emails(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    bool ok = ag_config_string_list(d, n, "emails", &m->emails, &m->n_emails);
    for (size_t i = 0; n->kind == AG_CFG_SEQ && i < n->n; i++) {
        const ag_config_node *e = n->items[i];
        if (ag_config_is_text(e) && !valid_email(e->scalar))
            ag_config_err(d, &e->loc, "\"%s\" is not an email address", e->scalar);
    }
    return ok;
}

static void load_feed_url(ag_member *m, const ag_config_node *n, ag_diags *d)
{
    if (ag_config_string(d, n, "feed_url", &m->feed_url))
        ag_config_http_url(d, n, "feed_url", m->feed_url);
}

/* Whether an item before the i-th of list is the text name. */
static bool has_channel(const ag_config_node *list, size_t i, const char *name)
{
    for (size_t j = 0; j < i; j++)
        if (ag_config_is_text(list->items[j]) && strcmp(list->items[j]->scalar, name) == 0)
            return true;
    return false;
}

/* A member's name in messages: its id as written (who), or "this member"
 * when it has none that is text. */
#define WHO_FMT "%s%s%s"
#define WHO_ARGS(who) (who) ? "member \"" : "this member", (who) ? (who) : "", (who) ? "\"" : ""

/* Channel names are what plugins register, so only their form is checked
 * here; what a channel needs of the member (an address...) is for the
 * plugin that registers it to check (plugin.h, "checks of the settings"). */
static void check_channels(const ag_config_node *list, ag_diags *d)
{
    for (size_t i = 0; i < list->n; i++) {
        if (!ag_config_is_text(list->items[i]))
            continue; /* each that is text, even when another is not */
        const char *c = list->items[i]->scalar;
        const ag_loc *at = &list->items[i]->loc;
        if (!ag_config_valid_id(c))
            ag_config_err(d, at, "\"%s\" is not a channel name (lowercase letters, digits, -)", c);
        else if (has_channel(list, i, c))
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
    if (!list)
        return;
    if (ag_config_string_list(d, list, "reminder channels", &m->reminder_channels,
                              &m->n_reminder_channels))
        m->has_reminder_channels = true;
    else if (list->kind != AG_CFG_SEQ)
        return;
    check_channels(list, d);
}

/* Where the member sits: a region has no region; others need one. kind is
 * -1 when it could not be read: then only the values' own form is checked. */
static void load_place(ag_member *m, int kind, const char *who, const ag_config_node *n,
                       ag_diags *d)
{
    const ag_config_node *region = ag_config_node_get(n, "region");
    const ag_config_node *province = ag_config_node_get(n, "province");
    if (kind == AG_MEMBER_REGION && region)
        ag_config_err(d, &region->loc, "a region is not part of another region: remove \"region\"");
    else if (kind > AG_MEMBER_REGION && !region)
        ag_config_err(d, &n->loc, WHO_FMT " has no \"region\", which a %s needs", WHO_ARGS(who),
                      member_kinds[kind]);
    else if (region)
        ag_config_id(d, region, "region id", &m->region);
    if (province && kind >= 0 && kind != AG_MEMBER_COMMUNE)
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

/* Every key is checked, whatever the others: a bad id or kind hides none
 * of the entry's other errors. *kind: the member's kind, or -1 when it
 * could not be read. False when the entry has errors of its own. */
static bool load_member(const ag_config *cfg, ag_member *m, int *kind, const ag_config_node *n,
                        ag_diags *d)
{
    static const char *const keys[] = {"id",       "kind",   "name",     "region", "province",
                                       "language", "emails", "feed_url", "sync",   "reminders",
                                       "timezone", "hours",  NULL};
    size_t before = ag_diags_count(d);
    *kind = -1;
    if (!ag_config_check_keys(d, n, keys, "member") && n->kind != AG_CFG_MAP)
        return false;
    const ag_config_node *id = ag_config_require(d, n, "id", "this member");
    const ag_config_node *k = ag_config_require(d, n, "kind", "this member");
    const ag_config_node *name = ag_config_require(d, n, "name", "this member");
    if (id)
        ag_config_id(d, id, "member id", &m->id);
    if (k && ag_config_choice(d, k, "member kind", member_kinds, kind))
        m->kind = (ag_member_kind)*kind;
    if (name)
        ag_config_text(d, name, "the member's name", &m->name);
    const char *who = id && ag_config_is_text(id) ? id->scalar : NULL;
    load_place(m, *kind, who, n, d);
    load_optional(m, n, d);
    ag_config_load_member_sync(cfg, m, ag_config_node_get(n, "sync"), d);
    ag_config_load_member_schedule(cfg, m, n, d);
    m->loc = ag_config_loc_copy(d, &n->loc);
    return ag_diags_count(d) == before;
}

/* The id an entry of a list is written with, when it is a valid id. */
static const char *entry_id(const ag_config_node *n)
{
    const ag_config_node *id = ag_config_node_get(n, "id");
    return id && ag_config_is_text(id) && ag_config_valid_id(id->scalar) ? id->scalar : NULL;
}

/* Reports the i-th entry of list for each earlier one with its id (ids:
 * each entry's entry_id), whether either has errors of its own or not. */
static void check_unique(const ag_config_node *list, const char *const *ids, size_t i,
                         const char *what, ag_diags *d)
{
    for (size_t j = 0; ids[i] && j < i; j++) {
        const ag_loc *o = &list->items[j]->loc;
        if (ids[j] && strcmp(ids[j], ids[i]) == 0)
            ag_config_err(d, &ag_config_node_get(list->items[i], "id")->loc,
                          "%s id \"%s\" is already used by %s:%d:%d", what, ids[i], o->file,
                          o->line, o->col);
    }
}

/* One entry of members.yaml while the list loads: kept, errors or not, so
 * that the checks across entries see every id and kind that could be read. */
typedef struct {
    ag_member m;
    const ag_config_node *n;
    int kind; /* an ag_member_kind, or -1 when it could not be read */
    bool ok;  /* no error of its own */
} member_entry;

/* A member's region: an entry with that id, whose kind is region. One whose
 * kind could not be read is not judged. */
static void check_region(const member_entry *all, const char *const *ids, size_t n,
                         const member_entry *e, ag_diags *d)
{
    const ag_config_node *r = ag_config_node_get(e->n, "region");
    const member_entry *region = NULL;
    for (size_t i = 0; !region && i < n; i++)
        if (ids[i] && strcmp(ids[i], e->m.region) == 0)
            region = &all[i];
    if (region && region->kind >= 0 && region->kind != AG_MEMBER_REGION) {
        ag_config_err(d, &r->loc, "\"%s\" is a %s, not a region", e->m.region,
                      member_kinds[region->kind]);
    } else if (!region) {
        const char **regions = calloc(n + 1, sizeof *regions);
        for (size_t i = 0; regions && i < n; i++)
            if (all[i].kind == AG_MEMBER_REGION)
                regions[i] = ids[i];
        ag_config_unknown_ref(d, r, "region", regions, regions ? n : 0);
        free(regions);
    }
}

/* The members without errors of their own go to cfg->members; the others
 * are recorded as rejected, so that what refers to them is not reported
 * again. */
static void load_list(ag_config *cfg, const ag_config_node *list, ag_diags *d)
{
    member_entry *all = calloc(list->n + 1, sizeof *all);
    const char **ids = calloc(list->n + 1, sizeof *ids);
    /* Each loaded member's entry, for the plugins' checks (member_config). */
    const ag_config_node **src = calloc(list->n + 1, sizeof *src);
    cfg->members = calloc(list->n + 1, sizeof *cfg->members);
    if (!all || !ids || !src || !cfg->members) {
        ag_config_oom(d, &list->loc, "the members");
        ag_config_reject_all(cfg, AG_REJECTED_MEMBER, &list->loc, d);
        free(all);
        free(ids);
        free(src);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        member_entry *e = &all[i];
        e->n = list->items[i];
        ids[i] = entry_id(e->n);
        e->ok = load_member(cfg, &e->m, &e->kind, e->n, d);
        check_unique(list, ids, i, "member", d);
    }
    for (size_t i = 0; i < list->n; i++)
        if (all[i].m.region)
            check_region(all, ids, list->n, &all[i], d);
    for (size_t i = 0; i < list->n; i++) {
        member_entry *e = &all[i];
        if (e->ok) {
            src[cfg->n_members] = e->n;
            cfg->members[cfg->n_members++] = e->m;
            continue;
        }
        if (ids[i])
            ag_config_reject(cfg, AG_REJECTED_MEMBER, ids[i], e->kind, &e->n->loc, d);
        ag_member_free(&e->m);
    }
    free(all);
    free(ids);
    cfg->member_nodes = src; /* nodes of cfg->members_root */
}

void ag_config_load_members(ag_config *cfg, const ag_config_node *root, ag_diags *d)
{
    static const char *const keys[] = {"members", NULL};
    const ag_config_node *list = NULL;
    if (ag_config_check_keys(d, root, keys, "members.yaml") || root->kind == AG_CFG_MAP)
        list = ag_config_require(d, root, "members", "members.yaml");
    if (list && ag_config_seq(d, list, "members"))
        load_list(cfg, list, d);
    else /* no list of members: references to them are not judged */
        ag_config_reject_all(cfg, AG_REJECTED_MEMBER, &root->loc, d);
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

/* As members: those with errors of their own are recorded as rejected. */
void ag_config_load_categories(ag_config *cfg, const ag_config_node *root, ag_diags *d)
{
    const ag_config_node *list = NULL;
    if (root->kind == AG_CFG_MAP)
        list = ag_config_require(d, root, "categories", "agendad.yaml");
    if (!list || !ag_config_seq(d, list, "categories")) {
        /* no list of categories: references to them are not judged */
        ag_config_reject_all(cfg, AG_REJECTED_CATEGORY, &root->loc, d);
        return;
    }
    const char **ids = calloc(list->n + 1, sizeof *ids);
    cfg->categories = calloc(list->n + 1, sizeof *cfg->categories);
    if (!ids || !cfg->categories) {
        ag_config_oom(d, &list->loc, "the categories");
        ag_config_reject_all(cfg, AG_REJECTED_CATEGORY, &list->loc, d);
        free(ids);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        ag_category *c = &cfg->categories[cfg->n_categories];
        ids[i] = entry_id(list->items[i]);
        bool ok = load_category(c, list->items[i], d);
        check_unique(list, ids, i, "category", d);
        if (ok) {
            cfg->n_categories++;
            continue;
        }
        if (ids[i])
            ag_config_reject(cfg, AG_REJECTED_CATEGORY, ids[i], -1, &list->items[i]->loc, d);
        ag_category_free(c);
    }
    free(ids);
}
