/* Loading a config directory: which files, in which order, and the checks
 * that span files (duplicate uids). Paths in messages are the directory as
 * given joined with the file name, so that the admin can open them. */
#include "config_internal.h"

#include "arena.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *join_path(const char *dir, const char *name)
{
    size_t len = strlen(dir);
    bool slash = len > 0 && dir[len - 1] == '/';
    char *p = malloc(len + strlen(name) + 2);
    if (p)
        sprintf(p, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

/* Editors leave backups and lock files next to the real ones. */
static bool is_event_file(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.' || name[n - 1] == '~' || name[0] == '#')
        return false;
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Paths of the event files in name order; NULL-terminated (NULL when there
 * are none, or after a diagnostic). */
static char **event_files(const char *events_dir, ag_diags *d)
{
    DIR *dir = opendir(events_dir);
    if (!dir) {
        if (errno != ENOENT)
            ag_diags_add(d, events_dir, 0, 0, "cannot read this directory: %s", strerror(errno));
        return NULL;
    }
    char **paths = NULL;
    size_t n = 0;
    bool oom = false;
    struct dirent *e;
    while (!oom && (e = readdir(dir))) {
        if (!is_event_file(e->d_name))
            continue;
        char *p = join_path(events_dir, e->d_name);
        if (p && !is_regular(p)) {
            free(p);
            continue;
        }
        char **grown = p ? realloc(paths, (n + 2) * sizeof *paths) : NULL;
        if (!grown) {
            free(p);
            oom = true;
            break;
        }
        paths = grown;
        paths[n++] = p;
        paths[n] = NULL;
    }
    closedir(dir);
    if (oom) {
        /* A file left out would be its events silently gone. */
        ag_diags_add(d, events_dir, 0, 0, "out of memory while reading this directory");
        for (size_t i = 0; i < n; i++)
            free(paths[i]);
        free(paths);
        return NULL;
    }
    if (paths)
        qsort(paths, n, sizeof *paths, cmp_str);
    return paths;
}

static ag_config_node *read_required(ag_config *cfg, const char *name, const char *why, ag_diags *d)
{
    char *path = join_path(cfg->dir, name);
    ag_config_node *root = NULL;
    struct stat st;
    if (!path)
        ag_diags_add(d, cfg->dir, 0, 0, "out of memory while reading %s", name);
    else if (stat(path, &st) != 0 && errno == ENOENT)
        ag_diags_add(d, path, 0, 0, "this file is missing: the config directory needs a %s %s",
                     name, _(why));
    else
        root = ag_config_read_file_hashed(path, d, &cfg->hash, name);
    free(path);
    return root;
}

/* The name a file is summed under: relative to the config directory
 * ("events/x.yaml"), so that the same files given by another path match. */
static const char *event_name(const ag_config *cfg, const char *path)
{
    const char *rel = path + strlen(cfg->dir);
    return *rel == '/' ? rel + 1 : rel;
}

static void load_events(ag_config *cfg, ag_diags *d)
{
    char *events_dir = join_path(cfg->dir, "events");
    if (!events_dir)
        ag_diags_add(d, cfg->dir, 0, 0, "out of memory while reading events/");
    char **files = events_dir ? event_files(events_dir, d) : NULL;
    for (size_t i = 0; files && files[i]; i++) {
        ag_config_node *root =
            ag_config_read_file_hashed(files[i], d, &cfg->hash, event_name(cfg, files[i]));
        if (root)
            ag_config_load_event_list(cfg, root, d);
        ag_config_node_free(root);
        free(files[i]);
    }
    free(files);
    free(events_dir);
}

char *ag_config_fingerprint(const ag_config *cfg)
{
    ag_config_hash h = cfg->hash;
    ag_diags scratch = {0};
    char *events_dir = join_path(cfg->dir, "events");
    char **files = events_dir ? event_files(events_dir, &scratch) : NULL;
    bool ok = events_dir && ag_diags_count(&scratch) == 0;
    for (size_t i = 0; files && files[i]; i++) {
        ok = ok && ag_config_hash_file(&h, files[i], event_name(cfg, files[i]));
        free(files[i]);
    }
    free(files);
    free(events_dir);
    ag_diags_free(&scratch);
    return ok ? ag_config_hash_string(&h) : NULL;
}

typedef struct {
    const char *uid;
    const ag_loc *loc;
} uid_at;

static int cmp_int(int a, int b)
{
    return (a > b) - (a < b);
}

/* By uid, then in the order the admin wrote them: files are read in the
 * order of their paths, each from the top. */
static int cmp_uid_at(const void *a, const void *b)
{
    const uid_at *x = a, *y = b;
    int c = strcmp(x->uid, y->uid);
    if (!c)
        c = strcmp(x->loc->file ? x->loc->file : "", y->loc->file ? y->loc->file : "");
    if (!c)
        c = cmp_int(x->loc->line, y->loc->line);
    return c ? c : cmp_int(x->loc->col, y->loc->col);
}

/* The uids of the events loaded and of those left out for errors of their
 * own: a uid two events share is reported either way, at every use after
 * the first. */
static void check_unique_uids(const ag_config *cfg, ag_diags *d)
{
    size_t n_rejected = ag_config_rejected_ids(cfg, AG_REJECTED_EVENT, NULL, NULL);
    size_t n = cfg->n_events + n_rejected;
    uid_at *v = malloc((n + 1) * sizeof *v);
    const char **ids = malloc((n_rejected + 1) * sizeof *ids);
    const ag_loc **locs = malloc((n_rejected + 1) * sizeof *locs);
    if (!v || !ids || !locs) {
        ag_diags_add(d, cfg->dir, 0, 0, "out of memory while checking that event uids differ");
        free(v);
        free(ids);
        free(locs);
        return;
    }
    for (size_t i = 0; i < cfg->n_events; i++)
        v[i] = (uid_at){cfg->events[i].uid, &cfg->events[i].loc};
    ag_config_rejected_ids(cfg, AG_REJECTED_EVENT, ids, locs);
    for (size_t i = 0; i < n_rejected; i++)
        v[cfg->n_events + i] = (uid_at){ids[i], locs[i]};
    qsort(v, n, sizeof *v, cmp_uid_at);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (strcmp(v[i].uid, v[first].uid) != 0) {
            first = i;
            continue;
        }
        const ag_loc *f = v[first].loc;
        ag_config_err(d, v[i].loc, "uid \"%s\" is already used by %s:%d:%d", v[i].uid, f->file,
                      f->line, f->col);
    }
    free(v);
    free(ids);
    free(locs);
}

static int cmp_event_uid(const void *a, const void *b)
{
    return strcmp(((const ag_event *)a)->uid, ((const ag_event *)b)->uid);
}

static void load_base(ag_config *cfg, ag_diags *d)
{
    /* TRANSLATORS: this and "listing the network's members" end "this
     * file is missing: the config directory needs a %s %s", after the
     * file's name. */
    cfg->root =
        read_required(cfg, "agendad.yaml", N_("with the daemon's settings and categories"), d);
    ag_config_node empty = {.kind = AG_CFG_MAP};
    const ag_config_node *root = cfg->root ? cfg->root : &empty;
    /* A file that could not be read leaves what refers to its entries
     * unjudged: every reference would only repeat its error. */
    ag_loc here = {cfg->dir, 0, 0};
    ag_config_load_settings(cfg, root, d);
    if (cfg->root)
        ag_config_load_categories(cfg, root, d);
    else
        ag_config_reject_all(cfg, AG_REJECTED_CATEGORY, &here, d);
    ag_config_node *members =
        read_required(cfg, "members.yaml", N_("listing the network's members"), d);
    if (members)
        ag_config_load_members(cfg, members, d);
    else
        ag_config_reject_all(cfg, AG_REJECTED_MEMBER, &here, d);
    cfg->members_root = members;
}

static ag_config *config_new(const char *dir, ag_diags *diags)
{
    ag_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->dir = strdup(dir))) {
        free(cfg);
        ag_diags_add(diags, dir, 0, 0, "out of memory loading the configuration");
        return NULL;
    }
    ag_config_hash_init(&cfg->hash);
    return cfg;
}

static void load_all_events(ag_config *cfg, ag_diags *d)
{
    load_events(cfg, d);
    check_unique_uids(cfg, d);
    if (cfg->events)
        qsort(cfg->events, cfg->n_events, sizeof *cfg->events, cmp_event_uid);
}

int ag_config_load_base(const char *dir, ag_config **out, ag_diags *diags)
{
    ag_config *cfg = *out = config_new(dir, diags);
    if (!cfg)
        return AG_ENOMEM;
    size_t before = ag_diags_count(diags);
    load_base(cfg, diags);
    if (ag_diags_count(diags) != before) {
        ag_config_free(cfg);
        *out = NULL;
        return AG_ECONFIG;
    }
    return 0;
}

int ag_config_load_events(ag_config *cfg, ag_diags *diags)
{
    size_t before = ag_diags_count(diags);
    load_all_events(cfg, diags);
    if (ag_diags_count(diags) != before)
        return AG_ECONFIG;
    /* Without it (out of memory) the store just keeps no fingerprint. */
    cfg->fingerprint = ag_config_hash_string(&cfg->hash);
    return 0;
}

/* Every file is read even after an error, so that all errors come out in
 * one run. */
int ag_config_load(const char *dir, ag_config **out, ag_diags *diags)
{
    ag_config *cfg = *out = config_new(dir, diags);
    if (!cfg)
        return AG_ENOMEM;
    size_t before = ag_diags_count(diags);
    load_base(cfg, diags);
    load_all_events(cfg, diags);
    if (ag_diags_count(diags) != before) {
        ag_config_free(cfg);
        *out = NULL;
        return AG_ECONFIG;
    }
    cfg->fingerprint = ag_config_hash_string(&cfg->hash);
    return 0;
}

const ag_config_node *ag_config_member_node(const ag_config *cfg, const ag_member *m)
{
    if (!cfg || !m || !cfg->member_nodes || m < cfg->members || m >= cfg->members + cfg->n_members)
        return NULL;
    return cfg->member_nodes[m - cfg->members];
}

static void settings_free(ag_settings *s)
{
    free(s->listen_host);
    free(s->state_path);
    free(s->base_url);
    free(s->default_tz);
    free(s->default_lang);
    ag_text_free(&s->network_name);
    ag_text_free(&s->network_description);
    free(s->plugin_dir);
    free(s->metrics_token);
    free(s->admin_token);
    for (size_t i = 0; i < s->n_plugins; i++) {
        free(s->plugins[i].name);
        ag_config_node_free(s->plugins[i].section);
        free(s->plugins[i].loc.file);
    }
    free(s->plugins);
    ag_config_reminder_settings_free(&s->reminders);
    ag_config_scheduling_free(&s->scheduling);
    free(s->invitations_organizer);
    free(s->mail_socket);
    free(s->mail_group);
}

void ag_config_free(ag_config *cfg)
{
    if (!cfg)
        return;
    settings_free(&cfg->settings);
    for (size_t i = 0; i < cfg->n_members; i++)
        ag_member_free(&cfg->members[i]);
    free(cfg->members);
    free(cfg->member_nodes);
    ag_config_node_free(cfg->members_root);
    for (size_t i = 0; i < cfg->n_categories; i++)
        ag_category_free(&cfg->categories[i]);
    free(cfg->categories);
    if (cfg->event_arena)
        ag_arena_free(cfg->event_arena); /* events and all they point to */
    else {
        for (size_t i = 0; i < cfg->n_events; i++)
            ag_event_free(&cfg->events[i]);
        free(cfg->events);
    }
    ag_config_node_free(cfg->root);
    ag_config_rejected_free(cfg->rejected);
    free(cfg->fingerprint);
    free(cfg->dir);
    free(cfg);
}
