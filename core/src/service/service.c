#include "service.h"

#include "service_imports.h"
#include "log.h"
#include "metrics.h"
#include "config_network.h"
#include "store_config.h"
#include "tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AG_CACHE_ENTRIES 4096
/* Room for a 10,000-event network feed (about 51 MB) and the smaller
 * member and category feeds beside it. */
#define AG_CACHE_BYTES ((size_t)96 << 20)
#define DAY 86400

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* "host:port" or "[v6]:port". 0, AG_EINVAL or AG_ENOMEM. */
static int split_listen(const char *s, char **host, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return AG_EINVAL;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || end == colon + 1)
        return AG_EINVAL;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    *host = strndup(h, hl);
    *port = (int)p;
    return *host ? 0 : AG_ENOMEM;
}

/* false, with *dst as it was, when memory runs out. */
static bool replace_str(char **dst, const char *src)
{
    char *copy = strdup(src);
    if (!copy)
        return false;
    free(*dst);
    *dst = copy;
    return true;
}

/* A base_url that only named the configured listen address follows --listen,
 * so that a second instance prints and links its own URLs; a public URL
 * (behind a proxy) stays. */
static bool follow_listen(ag_settings *s, char *host, int port)
{
    char old[300];
    bool v6 = strchr(s->listen_host, ':') != NULL;
    snprintf(old, sizeof old, v6 ? "http://[%s]:%d" : "http://%s:%d", s->listen_host,
             s->listen_port);
    bool derived = strcmp(s->base_url, old) == 0;
    free(s->listen_host);
    s->listen_host = host;
    s->listen_port = port;
    if (!derived)
        return true;
    v6 = strchr(host, ':') != NULL;
    char url[300];
    snprintf(url, sizeof url, v6 ? "http://[%s]:%d" : "http://%s:%d", host, port);
    return replace_str(&s->base_url, url);
}

/* A setting the command line gave and memory could not take would leave
 * the config's own value in force without a word. */
static int apply_overrides(ag_config *cfg, const ag_overrides *ov, ag_diags *diags)
{
    ag_settings *s = &cfg->settings;
    bool ok = true;
    if (ov->listen) {
        char *host;
        int port;
        int rc = split_listen(ov->listen, &host, &port);
        if (rc == AG_EINVAL) {
            ag_diags_add(diags, NULL, 0, 0, "--listen \"%s\" is not ADDRESS:PORT", ov->listen);
            return rc;
        }
        ok = rc == 0 && follow_listen(s, host, port);
    }
    if (ok && ov->state_path)
        ok = replace_str(&s->state_path, ov->state_path);
    if (ok && ov->plugin_dir)
        ok = replace_str(&s->plugin_dir, ov->plugin_dir);
    if (!ok) {
        ag_diags_add(diags, NULL, 0, 0, "out of memory while applying the command line's settings");
        return AG_ENOMEM;
    }
    return 0;
}

/* Settings, categories and members; the events only when the base files
 * have errors, since a full load then reports the event files' errors as
 * well, all in one run (and succeeds if the files were fixed meanwhile). */
static int load_config(const ag_service *svc, ag_config **out, bool *with_events, ag_diags *diags)
{
    *with_events = false;
    size_t before = ag_diags_count(diags);
    int rc = ag_config_load_base(svc->config_dir, out, diags);
    if (rc < 0) {
        ag_diags_truncate(diags, before);
        if ((rc = ag_config_load(svc->config_dir, out, diags)) < 0)
            return rc;
        *with_events = true;
    }
    if ((rc = apply_overrides(*out, &svc->overrides, diags)) < 0) {
        ag_config_free(*out);
        *out = NULL;
        return rc;
    }
    return 0;
}

/* The feed builder takes one uid-sorted array: both sorted lists merged,
 * by value (the pointers stay owned by evs and imports). */
static int merge_feed_events(ag_service *svc)
{
    size_t n = svc->n_evs + svc->n_imports;
    /* Reused: after each member's pull the merge is redone, and a new
     * array each time (tens of MB with many imported events) is paid for
     * in page faults. feed_evs holds shallow copies only. */
    ag_stored_event *all = realloc(svc->feed_evs, (n ? n : 1) * sizeof *all);
    if (!all)
        return AG_ENOMEM;
    svc->feed_evs = all;
    svc->cap[1] = n;
    svc->arrays_version++;
    size_t i = 0, j = 0, k = 0;
    while (i < svc->n_evs || j < svc->n_imports) {
        bool take_ev = j == svc->n_imports ||
                       (i < svc->n_evs && strcmp(svc->evs[i].ev.uid, svc->imports[j].ev.uid) < 0);
        all[k++] = take_ev ? svc->evs[i++] : svc->imports[j++];
    }
    svc->n_feed_evs = n;
    return 0;
}

/* Without memory for the merge, feeds show no event rather than a stale
 * merge that points into freed ones: said in the log, since every feed
 * then publishes nothing. */
static int remerge(ag_service *svc)
{
    int rc = merge_feed_events(svc);
    if (rc == 0)
        return 0;
    free(svc->feed_evs);
    svc->feed_evs = NULL;
    svc->n_feed_evs = 0;
    svc->arrays_version++;
    ag_log(AG_LOG_ERR, "out of memory merging the events: feeds show none until the next change");
    return rc;
}

static void published_changed(ag_service *svc)
{
    svc->last_modified = 0;
    for (size_t i = 0; i < svc->n_feed_evs; i++)
        if (svc->feed_evs[i].last_modified > svc->last_modified)
            svc->last_modified = svc->feed_evs[i].last_modified;
    ag_service_invalidate(svc);
}

static void set_events(ag_service *svc, ag_stored_event *evs, size_t n)
{
    ag_store_events_free(svc->evs, svc->n_evs);
    svc->evs = evs;
    svc->n_evs = n;
    svc->have_events = true;
    remerge(svc);
    published_changed(svc);
}

/* Reads the imported events from the store; the previous ones stay on error. */
static int load_imports(ag_service *svc, char **err)
{
    ag_import_row *rows;
    size_t n;
    int rc = ag_store_load_imports(svc->store, &rows, &n, err);
    if (rc < 0)
        return rc;
    ag_stored_event *evs;
    rc = ag_service_import_rows_to_events(rows, n, &evs);
    ag_store_import_rows_free(rows, n);
    if (rc < 0) {
        *err = strdup("out of memory loading imported events");
        return rc;
    }
    ag_store_events_free(svc->imports, svc->n_imports);
    svc->imports = evs;
    svc->n_imports = n;
    svc->cap[0] = n;
    svc->arrays_version++;
    return 0;
}

static const char *kind_key(ag_feed_kind k);

/* NULL on out of memory (asprintf leaves its pointer undefined then). */
static char *key_prefix(ag_feed_kind kind, const char *key, const char *sep)
{
    char *out = NULL;
    return asprintf(&out, "%s|%s%s", kind_key(kind), key, sep) < 0 ? NULL : out;
}

/* Prefixes of the cache keys (see cache_key) that a change of member's
 * imported events reaches; NULL entries on out of memory. */
static size_t import_prefixes(const ag_config *cfg, const char *member, bool network,
                              const bool *categories, char **out)
{
    size_t n = 0;
    out[n++] = key_prefix(AG_FEED_MEMBER, member, "|");
    out[n++] = key_prefix(AG_FEED_EVENT, member, ":");
    if (network)
        out[n++] = key_prefix(AG_FEED_NETWORK, "", "");
    for (size_t i = 0; i < cfg->n_categories; i++)
        if (categories[i])
            out[n++] = key_prefix(AG_FEED_CATEGORY, cfg->categories[i].id, "|");
    return n;
}

/* Drops the cached feeds that replacing member's run old by fresh changes,
 * and only those: the others keep their bytes and ETags (a pull of one
 * member no longer makes the next client of every feed pay a rebuild). */
static void invalidate_import(ag_service *svc, const char *member, const ag_stored_event *old,
                              size_t n_old, const ag_stored_event *fresh, size_t n_fresh)
{
    const ag_config *cfg = svc->cfg;
    bool network = false;
    bool *cats = calloc(cfg->n_categories + 1, sizeof *cats);
    char **prefixes = calloc(cfg->n_categories + 3, sizeof *prefixes);
    if (!cats || !prefixes) {
        ag_service_invalidate(svc);
    } else if (ag_service_imports_touched(cfg, old, n_old, fresh, n_fresh, &network, cats)) {
        size_t n = import_prefixes(cfg, member, network, cats, prefixes);
        bool ok = true;
        for (size_t i = 0; i < n; i++)
            ok = ok && prefixes[i];
        if (ok)
            ag_service_cache_drop_prefixes(svc->cache, (const char *const *)prefixes, n);
        else
            ag_service_invalidate(svc);
        for (size_t i = 0; i < n; i++)
            free(prefixes[i]);
    }
    free(cats);
    free(prefixes);
}

/* The in-place splices realloc to the exact size when they grow. */
static void note_size(size_t *cap, size_t before, size_t after)
{
    if (after > before)
        *cap = after;
}

/* The feeds' view takes the member's new run (at lo in imports, n long)
 * in place of [vlo, vhi), as imports did; a failed move falls back to a
 * full merge. */
static int publish_member_run(ag_service *svc, size_t lo, size_t n, size_t vlo, size_t vhi)
{
    size_t before = svc->n_feed_evs;
    if (ag_service_imports_splice_view(&svc->feed_evs, &svc->n_feed_evs, vlo, vhi,
                                       svc->imports + lo, n) == 0) {
        note_size(&svc->cap[1], before, svc->n_feed_evs);
        return 0;
    }
    return remerge(svc);
}

static void raise_last_modified(ag_service *svc, const ag_stored_event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (evs[i].last_modified > svc->last_modified)
            svc->last_modified = evs[i].last_modified;
}

int ag_service_import_store(ag_service *svc, const char *source, const char *member,
                            const ag_import_row *rows, size_t n, int64_t now, int *written,
                            char **err)
{
    *written = 0;
    if (!svc->store) {
        *err = strdup("the state database is not open");
        return AG_ESTORE;
    }
    return ag_store_import_replace(svc->store, source, member, rows, n, now,
                                   svc->cfg->settings.retention, written, err);
}

int ag_service_import_publish(ag_service *svc, const char *member, ag_stored_event *evs, size_t n,
                              char **err)
{
    /* Both runs are found while the old events' uids are still there. */
    size_t lo, hi, vlo, vhi;
    if (!ag_service_imports_member_run(svc->imports, svc->n_imports, member, &lo, &hi) ||
        !ag_service_imports_member_run(svc->feed_evs, svc->n_feed_evs, member, &vlo, &vhi)) {
        ag_store_events_free(evs, n);
        *err = strdup("out of memory publishing imported events");
        return AG_ENOMEM;
    }
    invalidate_import(svc, member, svc->imports + lo, hi - lo, evs, n);
    raise_last_modified(svc, evs, n);
    svc->arrays_version++;
    size_t before = svc->n_imports;
    int rc = ag_service_imports_splice(&svc->imports, &svc->n_imports, member, evs, n);
    if (rc < 0) {
        *err = strdup("out of memory publishing imported events");
        return rc;
    }
    note_size(&svc->cap[0], before, svc->n_imports);
    if ((rc = publish_member_run(svc, lo, n, vlo, vhi)) == 0)
        return 0;
    ag_service_invalidate(svc);
    *err = strdup("out of memory merging imported events");
    return rc;
}

void ag_service_publish_abort(ag_import_publish *p)
{
    free(p->imports.dst);
    free(p->view.dst);
    if (p->evs)
        ag_store_events_free(p->evs, p->n);
    free(p->member);
    memset(p, 0, sizeof *p);
}

/* Events an in-place splice of member's run moves in v. */
static size_t moved_in_place(const ag_stored_event *v, size_t n_v, const char *member, size_t n)
{
    size_t lo, hi;
    if (!ag_service_imports_member_run(v, n_v, member, &lo, &hi))
        return SIZE_MAX;
    return hi - lo == n ? 0 : n_v - hi;
}

bool ag_service_publish_is_small(const ag_service *svc, const char *member, size_t n)
{
    size_t a = moved_in_place(svc->imports, svc->n_imports, member, n);
    size_t b = moved_in_place(svc->feed_evs, svc->n_feed_evs, member, n);
    return a <= AG_PUBLISH_CHUNK && b <= AG_PUBLISH_CHUNK - a;
}

int ag_service_publish_begin(ag_service *svc, ag_import_publish *p, const char *member,
                             ag_stored_event *evs, size_t n, char **err)
{
    memset(p, 0, sizeof *p);
    p->evs = evs;
    p->n = n;
    p->version = svc->arrays_version;
    p->member = strdup(member);
    if (p->member &&
        ag_service_run_copy_start(&p->imports, svc->imports, svc->n_imports, member, evs, n,
                                  &svc->spare[0]) == 0 &&
        ag_service_run_copy_start(&p->view, svc->feed_evs, svc->n_feed_evs, member, evs, n,
                                  &svc->spare[1]) == 0)
        return 0;
    ag_service_publish_abort(p);
    *err = strdup("out of memory publishing imported events");
    return AG_ENOMEM;
}

bool ag_service_publish_step(ag_service *svc, ag_import_publish *p)
{
    if (svc->arrays_version != p->version)
        return true; /* end() falls back */
    size_t left = AG_PUBLISH_CHUNK, before = p->imports.done;
    if (!ag_service_run_copy_step(&p->imports, left))
        return false;
    left -= p->imports.done - before;
    return ag_service_run_copy_step(&p->view, left);
}

/* The array that was replaced becomes the next copy's. */
static void keep_spare(ag_event_buf *spare, ag_stored_event *v, size_t cap)
{
    free(spare->v);
    *spare = (ag_event_buf){v, v ? cap : 0};
}

/* The copies replace the arrays; the old run's events go. */
static void install_copies(ag_service *svc, ag_import_publish *p)
{
    ag_service_imports_free_contents(svc->imports + p->imports.lo, p->imports.hi - p->imports.lo);
    keep_spare(&svc->spare[0], svc->imports, svc->cap[0]);
    svc->imports = p->imports.dst;
    svc->n_imports = p->imports.n_dst;
    svc->cap[0] = p->imports.cap;
    keep_spare(&svc->spare[1], svc->feed_evs, svc->cap[1]);
    svc->feed_evs = p->view.dst;
    svc->n_feed_evs = p->view.n_dst;
    svc->cap[1] = p->view.cap;
    svc->arrays_version++;
    free(p->evs); /* its events now live in imports */
    p->imports.dst = p->view.dst = NULL;
    p->evs = NULL;
}

int ag_service_publish_end(ag_service *svc, ag_import_publish *p, char **err)
{
    bool complete = p->imports.done == p->imports.n_dst && p->view.done == p->view.n_dst;
    if (svc->arrays_version != p->version || !complete) {
        ag_stored_event *evs = p->evs;
        size_t n = p->n;
        char *member = p->member;
        p->evs = NULL;
        p->member = NULL;
        ag_service_publish_abort(p);
        int rc = ag_service_import_publish(svc, member, evs, n, err);
        free(member);
        return rc;
    }
    const ag_stored_event *old = svc->imports + p->imports.lo;
    invalidate_import(svc, p->member, old, p->imports.hi - p->imports.lo, p->evs, p->n);
    raise_last_modified(svc, p->evs, p->n);
    install_copies(svc, p);
    ag_service_publish_abort(p);
    return 0;
}

int ag_service_import(ag_service *svc, const char *source, const char *member,
                      const ag_import_row *rows, size_t n, int64_t now, int *written, char **err)
{
    int count = 0;
    if (written)
        *written = 0;
    int rc = ag_service_import_store(svc, source, member, rows, n, now, &count, err);
    if (rc < 0)
        return rc;
    if (written)
        *written = count;
    if (count == 0)
        return 0;
    ag_import_row *stored;
    size_t n_stored;
    if ((rc = ag_store_load_member_imports(svc->store, member, &stored, &n_stored, err)) < 0)
        return rc;
    ag_stored_event *evs;
    rc = ag_service_import_rows_to_events(stored, n_stored, &evs);
    ag_store_import_rows_free(stored, n_stored);
    if (rc < 0) {
        *err = strdup("out of memory loading imported events");
        return rc;
    }
    return ag_service_import_publish(svc, member, evs, n_stored, err);
}

/* Reconciles cfg into the store and loads the result; on failure the store
 * rolled back and nothing published changes. */
static int sync_store(ag_service *svc, ag_config *cfg, int64_t now, ag_reconcile_stats *stats,
                      char **err)
{
    ag_reconcile_stats local;
    ag_stored_event *evs;
    size_t n;
    int rc = ag_store_reconcile_load(svc->store, cfg, now, stats ? stats : &local, &evs, &n, err);
    if (rc < 0)
        return rc;
    /* Imported rows change only through ag_service_import, which keeps
     * svc->imports current, and a reconcile never touches them: read once
     * (imports stays NULL until a load succeeds), not at every reload. */
    if (!svc->imports && (rc = load_imports(svc, err)) < 0) {
        ag_store_events_free(evs, n);
        return rc;
    }
    set_events(svc, evs, n);
    ag_config_shed_events(cfg);
    return 0;
}

/* Events from the store, neither parsed nor reconciled, when it already
 * holds what cfg's event files say: its last reconcile recorded the same
 * fingerprint (the files' bytes, agendad, tzdata) and no removed row is due
 * for purging, so a reconcile would change nothing. A restart with 10,000
 * events then costs reading their rows, not seconds of YAML. False (also on
 * any error here, which the full path meets and reports again): do the
 * full load. */
static bool take_reconciled(ag_service *svc, ag_config *cfg, int64_t now, ag_reconcile_stats *stats)
{
    char *fp = ag_config_fingerprint(cfg), *err = NULL;
    ag_stored_event *rows;
    ag_event *live;
    size_t n, n_live;
    int rc = fp ? ag_store_load_reconciled(svc->store, fp, &rows, &n, &live, &n_live, &err) : 0;
    free(fp);
    free(err);
    err = NULL;
    if (rc != 1)
        return false;
    bool ok = !ag_store_purge_due(rows, n, now, cfg->settings.retention) &&
              (svc->imports || load_imports(svc, &err) == 0) &&
              ag_config_adopt_events(cfg, live, n_live) == 0;
    ag_store_config_events_free(live, n_live);
    free(err);
    if (!ok) {
        ag_store_events_free(rows, n);
        return false;
    }
    if (stats) {
        memset(stats, 0, sizeof *stats);
        stats->unchanged = (int)n_live;
    }
    ag_log(AG_LOG_INFO,
           "events: %zu taken from the state database (event files unchanged since its last "
           "reconcile)",
           n_live);
    set_events(svc, rows, n);
    return true;
}

/* 0; AG_ECONFIG with diags (*result AG_RELOAD_CONFIG_ERROR); or the
 * store's code with *err (AG_RELOAD_STORE_ERROR). */
static int sync_config(ag_service *svc, ag_config *cfg, bool with_events, int64_t now,
                       ag_reconcile_stats *stats, ag_diags *diags, char **err,
                       ag_reload_result *result)
{
    *result = AG_RELOAD_OK;
    svc->events_reused = !with_events && take_reconciled(svc, cfg, now, stats);
    if (svc->events_reused)
        return 0;
    int rc;
    if (!with_events && (rc = ag_config_load_events(cfg, diags)) < 0) {
        *result = AG_RELOAD_CONFIG_ERROR;
        return rc;
    }
    if ((rc = sync_store(svc, cfg, now, stats, err)) < 0)
        *result = AG_RELOAD_STORE_ERROR;
    return rc;
}

int ag_service_open(ag_service *svc, const char *config_dir, const ag_overrides *ov,
                    ag_diags *diags, char **err)
{
    memset(svc, 0, sizeof *svc);
    svc->config_dir = strdup(config_dir);
    svc->overrides.listen = dup_or_null(ov->listen);
    svc->overrides.state_path = dup_or_null(ov->state_path);
    svc->overrides.plugin_dir = dup_or_null(ov->plugin_dir);
    if (!svc->config_dir || (ov->listen && !svc->overrides.listen) ||
        (ov->state_path && !svc->overrides.state_path) ||
        (ov->plugin_dir && !svc->overrides.plugin_dir)) {
        *err = strdup("out of memory");
        return AG_ENOMEM;
    }
    svc->cache = ag_service_cache_new(AG_CACHE_ENTRIES);
    if (svc->cache)
        ag_service_cache_set_max_bytes(svc->cache, AG_CACHE_BYTES);
    bool with_events;
    int rc = load_config(svc, &svc->cfg, &with_events, diags);
    if (rc < 0)
        return rc;
    if ((rc = ag_store_open(svc->cfg->settings.state_path, &svc->store, err)) < 0)
        return rc;
    ag_reload_result result;
    return sync_config(svc, svc->cfg, with_events, (int64_t)time(NULL), NULL, diags, err, &result);
}

void ag_service_set_busy_timeout(ag_service *svc, int ms)
{
    svc->busy_timeout_ms = ms;
    if (svc->store)
        ag_store_set_busy_timeout(svc->store, ms);
}

void ag_service_close(ag_service *svc)
{
    ag_store_events_free(svc->evs, svc->n_evs);
    ag_store_events_free(svc->imports, svc->n_imports);
    free(svc->feed_evs);
    free(svc->spare[0].v);
    free(svc->spare[1].v);
    if (svc->store)
        ag_store_close(svc->store);
    if (svc->cfg)
        ag_config_free(svc->cfg);
    if (svc->cache)
        ag_service_cache_free(svc->cache);
    free(svc->config_dir);
    free((char *)svc->overrides.listen);
    free((char *)svc->overrides.state_path);
    free((char *)svc->overrides.plugin_dir);
    memset(svc, 0, sizeof *svc);
}

/* svc->check on cfg; false when it found errors: then they are in diags,
 * after the event files' own, as `agendad check` lists them. */
static bool passes_check(ag_service *svc, ag_config *cfg, bool with_events, ag_diags *diags)
{
    ag_diags found = {0};
    if (!svc->check || svc->check(svc->check_data, cfg, &found) == 0) {
        ag_diags_free(&found);
        return true;
    }
    if (!with_events)
        ag_config_load_events(cfg, diags);
    for (size_t i = 0; i < found.n; i++)
        ag_diags_add_text(diags, found.v[i].file, found.v[i].line, found.v[i].col, found.v[i].msg);
    diags->lost += found.lost;
    ag_diags_free(&found);
    return false;
}

ag_reload_result ag_service_reload(ag_service *svc, int64_t now, ag_reconcile_stats *stats,
                                   ag_diags *diags, char **err)
{
    ag_config *cfg;
    bool with_events;
    if (load_config(svc, &cfg, &with_events, diags) < 0)
        return AG_RELOAD_CONFIG_ERROR;
    if (!passes_check(svc, cfg, with_events, diags)) {
        ag_config_free(cfg);
        return AG_RELOAD_CONFIG_ERROR;
    }
    if (!svc->store) {
        if (ag_store_open(cfg->settings.state_path, &svc->store, err) < 0) {
            svc->store = NULL;
            ag_config_free(cfg);
            return AG_RELOAD_STORE_ERROR;
        }
        if (svc->busy_timeout_ms)
            ag_store_set_busy_timeout(svc->store, svc->busy_timeout_ms);
    }
    ag_reload_result r;
    sync_config(svc, cfg, with_events, now, stats, diags, err, &r);
    if (r != AG_RELOAD_OK) {
        ag_config_free(cfg);
        return r;
    }
    ag_config_free(svc->cfg);
    svc->cfg = cfg;
    return AG_RELOAD_OK;
}

void ag_service_invalidate(ag_service *svc)
{
    svc->generation++;
    ag_service_cache_clear(svc->cache);
}

const ag_settings *ag_service_settings(const ag_service *svc)
{
    return &svc->cfg->settings;
}

static int64_t day_floor(int64_t t)
{
    return t >= 0 ? t - t % DAY : t - (DAY + t % DAY) % DAY;
}

static int64_t window_bound(bool is_date, const ag_datetime *date, int64_t rel, int64_t now,
                            const char *tzid)
{
    if (is_date) {
        bool ok;
        int64_t t = ag_tz_to_utc(date, tzid, &ok);
        return ok ? t : day_floor(now);
    }
    return day_floor(now + rel);
}

void ag_service_default_window(const ag_service *svc, int64_t now, ag_feed_query *q)
{
    const ag_settings *s = &svc->cfg->settings;
    q->from = window_bound(s->window_from_is_date, &s->window_from_date, s->window_from_rel, now,
                           s->default_tz);
    q->to = window_bound(s->window_to_is_date, &s->window_to_date, s->window_to_rel, now,
                         s->default_tz);
}

static const char *kind_key(ag_feed_kind k)
{
    static const char *const names[] = {"network", "member", "category", "event"};
    return names[k];
}

/* Everything that changes the bytes is in the key; now only matters through
 * the day (see default_window) and removed events leaving after they pass. */
static void cache_key(const ag_feed_query *q, int64_t now, char *buf, size_t size)
{
    int off =
        snprintf(buf, size, "%s|%s|%s|%d|%d|%d|%lld|%lld|%lld|", kind_key(q->kind),
                 q->key ? q->key : "", q->lang, q->slots, q->members_only, q->cancelled_visible,
                 (long long)q->from, (long long)q->to, (long long)day_floor(now));
    for (size_t i = 0; i < q->n_alarms && off > 0 && (size_t)off < size; i++)
        off += snprintf(buf + off, size - (size_t)off, "%lld,", (long long)q->alarms[i]);
}

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Registration returns the existing family after the first call: a lookup
 * per build (not per request) keeps the service free of metric fields. */
static void measure_build(ag_service *svc, ag_feed_kind kind, double seconds)
{
    static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    const char *const labels[] = {"kind", NULL};
    const char *const v[] = {kind_key(kind)};
    ag_metric_add(ag_metrics_counter(svc->metrics, "agendad_feed_builds_total",
                                     "Feeds built (cache misses), by kind.", labels),
                  v, 1);
    ag_metric_observe(ag_metrics_histogram(svc->metrics, "agendad_feed_build_seconds",
                                           "Time to build a feed, by kind.", labels, bounds,
                                           sizeof bounds / sizeof bounds[0]),
                      v, seconds);
}

static ag_blob *build_feed(ag_service *svc, const ag_feed_query *q, int64_t now, int *status,
                           char **err)
{
    char *text;
    size_t len;
    double t0 = monotonic_seconds();
    int rc = ag_feed_build(svc->cfg, svc->feed_evs, svc->n_feed_evs, q, now, &text, &len, err);
    if (svc->metrics)
        measure_build(svc, q->kind, monotonic_seconds() - t0);
    if (rc < 0) {
        *status = rc == AG_FEED_NOT_FOUND ? 404 : 500;
        return NULL;
    }
    ag_blob *b =
        ag_blob_new("text/calendar; charset=utf-8", text, len, svc->last_modified, ag_tz_version());
    if (!b) {
        *status = 500;
        *err = strdup("out of memory");
    }
    return b;
}

ag_blob *ag_service_feed(ag_service *svc, const ag_feed_query *q, int64_t now, int *status,
                         char **err)
{
    if (!svc->have_events || !svc->cfg) {
        *status = 503;
        *err = strdup("the event store is not available yet");
        return NULL;
    }
    char key[1024];
    cache_key(q, now, key, sizeof key);
    ag_blob *b = ag_service_cache_get(svc->cache, key, svc->generation);
    if (b && svc->metrics)
        ag_metric_add(ag_metrics_counter(svc->metrics, "agendad_feed_cache_hits_total",
                                         "Feed requests answered from the cache.", NULL),
                      NULL, 1);
    if (b)
        return b;
    b = build_feed(svc, q, now, status, err);
    if (b)
        ag_service_cache_put(svc->cache, key, svc->generation, b);
    return b;
}
