/* The entries a load left out for errors of their own, by the id they were
 * written with: what refers to one is not reported again ("unknown member"
 * for a member whose email is wrong would only repeat that error), and a
 * uid an event with errors shares with another is still reported. The
 * list is only filled when the load fails, and goes with the config. */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    ag_rejected_kind what;
    char *id;
    int member_kind; /* members: an ag_member_kind, or -1 when it could not be read */
    ag_loc loc;      /* events: where the event is written */
} entry;

struct ag_config_rejected {
    entry *v;
    size_t n, cap;
    bool all[AG_REJECTED_EVENT + 1]; /* the whole list of that kind could not be read */
};

static ag_config_rejected *rejected(ag_config *cfg, const ag_loc *loc, ag_diags *d)
{
    if (!cfg->rejected && !(cfg->rejected = calloc(1, sizeof *cfg->rejected)))
        ag_config_oom(d, loc, N_("this entry"));
    return cfg->rejected;
}

void ag_config_reject_all(ag_config *cfg, ag_rejected_kind what, const ag_loc *loc, ag_diags *d)
{
    ag_config_rejected *r = rejected(cfg, loc, d);
    if (r)
        r->all[what] = true;
}

void ag_config_reject(ag_config *cfg, ag_rejected_kind what, const char *id, int member_kind,
                      const ag_loc *loc, ag_diags *d)
{
    ag_config_rejected *r = rejected(cfg, loc, d);
    if (!r)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        entry *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            ag_config_oom(d, loc, N_("this entry"));
            return;
        }
        r->v = v;
        r->cap = cap;
    }
    entry *e = &r->v[r->n];
    *e = (entry){.what = what, .member_kind = member_kind};
    e->id = strdup(id);
    if (what == AG_REJECTED_EVENT)
        e->loc = ag_config_loc_copy(d, loc);
    if (!e->id) {
        ag_config_oom(d, loc, N_("this entry"));
        free(e->loc.file);
        return;
    }
    r->n++;
}

bool ag_config_rejected_find(const ag_config *cfg, ag_rejected_kind what, const char *id,
                             int *member_kind)
{
    const ag_config_rejected *r = cfg->rejected;
    if (r && r->all[what]) {
        if (member_kind)
            *member_kind = -1;
        return true;
    }
    for (size_t i = 0; r && i < r->n; i++) {
        if (r->v[i].what == what && strcmp(r->v[i].id, id) == 0) {
            if (member_kind)
                *member_kind = r->v[i].member_kind;
            return true;
        }
    }
    return false;
}

size_t ag_config_rejected_ids(const ag_config *cfg, ag_rejected_kind what, const char **ids,
                              const ag_loc **locs)
{
    const ag_config_rejected *r = cfg->rejected;
    size_t n = 0;
    for (size_t i = 0; r && i < r->n; i++) {
        if (r->v[i].what != what)
            continue;
        if (ids)
            ids[n] = r->v[i].id;
        if (locs)
            locs[n] = &r->v[i].loc;
        n++;
    }
    return n;
}

void ag_config_rejected_free(ag_config_rejected *r)
{
    for (size_t i = 0; r && i < r->n; i++) {
        free(r->v[i].id);
        free(r->v[i].loc.file);
    }
    if (r)
        free(r->v);
    free(r);
}
