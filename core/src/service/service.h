/* What the daemon publishes at this moment: the last good config, the store,
 * the events loaded from it, and the cache of feeds built from them. HTTP
 * routes and `agendad export` both get their bytes here, so that files and
 * responses are identical. */
#ifndef AGENDAD_SERVICE_H
#define AGENDAD_SERVICE_H

#include "blob.h"
#include "service_cache.h"
#include "config.h"
#include "feed.h"
#include "service_imports.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *listen;     /* "host:port" overriding agendad.yaml, or NULL */
    const char *state_path; /* overriding agendad.yaml, or NULL */
    const char *plugin_dir; /* overriding agendad.yaml, or NULL */
} ag_overrides;

typedef struct {
    char *config_dir;
    ag_overrides overrides; /* strings owned */
    ag_config *cfg;         /* last good config; NULL before the first */
    ag_store *store;        /* NULL when it could not be opened */
    ag_stored_event *evs;   /* loaded after the last successful reconcile */
    size_t n_evs;
    ag_stored_event *imports; /* events imported from members' calendars (sync) */
    size_t n_imports;
    ag_stored_event *feed_evs; /* evs and imports merged in uid order: shallow copies */
    size_t n_feed_evs;
    bool have_events;        /* false until the store answered once: then 503 */
    bool events_reused;      /* the last open or reload took them from the store: the
                                event files had not changed since its last reconcile */
    int64_t generation;      /* bumps whenever evs or cfg change */
    int64_t last_modified;   /* newest last_modified among evs */
    uint64_t arrays_version; /* bumps whenever imports or feed_evs is replaced or moved */
    /* [0]: imports, [1]: feed_evs. cap: a lower bound of the array's
     * capacity; spare: the array a stepwise publication copies into. */
    size_t cap[2];
    ag_event_buf spare[2];
    ag_cache *cache;
    struct ag_metrics *metrics; /* feed builds are measured when set (the daemon's) */
    int busy_timeout_ms;        /* store lock wait once set; 0: the store's default */
    /* Optional: checks of a reloaded config beyond its own (the plugins'),
     * run once it loaded without errors and before anything is applied;
     * returns how many errors it added to diags, which make the reload a
     * config error. */
    size_t (*check)(void *data, const ag_config *cfg, ag_diags *diags);
    void *check_data;
} ag_service;

/* Loads config_dir, opens the store, reconciles, loads events. 0 on success;
 * a negative AG_E* code with diags (AG_ECONFIG: config errors) or *err
 * (store errors, out of memory). */
int ag_service_open(ag_service *svc, const char *config_dir, const ag_overrides *ov,
                    ag_diags *diags, char **err);
void ag_service_close(ag_service *svc);

/* From now on, the store's statements wait at most ms for another
 * process's lock (see ag_store_set_busy_timeout), a reopened store too. */
void ag_service_set_busy_timeout(ag_service *svc, int ms);

typedef enum {
    AG_RELOAD_OK,
    AG_RELOAD_CONFIG_ERROR, /* diags filled; the previous config stays */
    AG_RELOAD_STORE_ERROR,  /* *err filled; the previous config stays */
} ag_reload_result;

/* Re-reads the config directory and reconciles it into the store in one
 * transaction. On any error nothing published changes. */
ag_reload_result ag_service_reload(ag_service *svc, int64_t now, ag_reconcile_stats *stats,
                                   ag_diags *diags, char **err);

/* Replaces the events member's calendar gave (through source), rows as
 * ag_store_import_replace takes them. When something was written, feeds are
 * rebuilt. *written (may be NULL): rows written. 0, or a negative AG_E* code
 * with *err. */
int ag_service_import(ag_service *svc, const char *source, const char *member,
                      const ag_import_row *rows, size_t n, int64_t now, int *written, char **err);

/* ag_service_import in steps, so that the loop serves requests between
 * them (see import_queue.h): the store write alone (one transaction; *written
 * rows, 0 when the batch changed nothing), then, once the member's stored
 * rows were read back and made events, their publication in one go: evs
 * (n events sorted by uid, taken over) replace the member's events in the
 * feeds, and only the cached feeds they change are dropped. 0, or a negative
 * AG_E* code with *err (publish: nothing published changed, unless merging
 * failed). */
int ag_service_import_store(ag_service *svc, const char *source, const char *member,
                            const ag_import_row *rows, size_t n, int64_t now, int *written,
                            char **err);
int ag_service_import_publish(ag_service *svc, const char *member, ag_stored_event *evs, size_t n,
                              char **err);

/* ag_service_import_publish a part per loop turn, for a large network: the
 * member's new run goes into copies of imports and feed_evs made
 * AG_PUBLISH_CHUNK events per step while feeds keep reading the old
 * arrays, then the copies replace them in one turn. Should something else
 * replace those arrays meanwhile (a reload's merge), end() falls back to
 * the in-place way. */
typedef struct {
    char *member;
    ag_stored_event *evs; /* taken over */
    size_t n;
    ag_run_copy imports, view;
    uint64_t version;
} ag_import_publish;

#define AG_PUBLISH_CHUNK 2048

/* Whether publishing n events of member in place moves at most
 * AG_PUBLISH_CHUNK events (its run keeps its size, or few events follow
 * it): then ag_service_import_publish costs less than the copies. */
bool ag_service_publish_is_small(const ag_service *svc, const char *member, size_t n);
/* Takes evs over (freed on failure). 0, or AG_ENOMEM with *err. */
int ag_service_publish_begin(ag_service *svc, ag_import_publish *p, const char *member,
                             ag_stored_event *evs, size_t n, char **err);
/* Copies up to AG_PUBLISH_CHUNK more events; true when end() may run. */
bool ag_service_publish_step(ag_service *svc, ag_import_publish *p);
/* Publishes (as ag_service_import_publish) and empties p. 0, or a negative
 * AG_E* code with *err. */
int ag_service_publish_end(ag_service *svc, ag_import_publish *p, char **err);
/* Drops p's copies and events, publishing nothing. */
void ag_service_publish_abort(ag_import_publish *p);

/* A feed as a blob (new reference; caller unrefs), built or from the cache.
 * key: the canonical cache key (see ag_service_feed_key). Returns NULL with
 * *status 404 (unknown member, category or event) or 503 (store never
 * answered) or 500, and *err. */
ag_blob *ag_service_feed(ag_service *svc, const ag_feed_query *q, int64_t now, int *status,
                         char **err);

/* Fills q's window from the settings (relative bounds resolved against now,
 * rounded to whole UTC days so that the cache key changes once a day). */
void ag_service_default_window(const ag_service *svc, int64_t now, ag_feed_query *q);

/* Drops every cached feed (e.g. after a tzdata upgrade: same store, new
 * instants and ETags). */
void ag_service_invalidate(ag_service *svc);

/* The effective settings after command-line overrides. */
const ag_settings *ag_service_settings(const ag_service *svc);

#endif
