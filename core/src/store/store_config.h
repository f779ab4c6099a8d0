/* Schema step 5 and what store_config.c offers: what the config says
 * beside the events rows, so that a restart with unchanged config files can
 * take its events from the store instead of parsing them. The reminder
 * routes (channels, extra addresses) are config only, never published, so
 * they are not part of an event's row (changing them moves no SEQUENCE);
 * the config's fingerprint is in meta. */
#ifndef AGENDAD_STORE_CONFIG_H
#define AGENDAD_STORE_CONFIG_H

#include "store.h"

#define AG_STORE_CONFIG_SCHEMA                                                                     \
    "CREATE TABLE event_routes ("                                                                  \
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"                                \
    "  kind TEXT NOT NULL CHECK (kind IN ('channel', 'extra')),"                                   \
    "  pos INTEGER NOT NULL,"                                                                      \
    "  value TEXT NOT NULL,"                                                                       \
    "  PRIMARY KEY (uid, kind, pos)"                                                               \
    ") WITHOUT ROWID;"

/* Inside the reconcile's transaction: the reminder routes of cfg's events
 * and cfg->fingerprint (none kept when NULL). */
int ag_store_save_config_state(ag_store *st, const ag_config *cfg, char **err);

/* When the last reconcile recorded `fingerprint`, in one read transaction:
 * every stored event (as ag_store_load_events gives them) in *rows, and in
 * *cfg_evs the config's events as that reconcile saw them: the live rows'
 * uid, host and audience (pointing into *rows) with their reminder routes
 * (owned; ag_store_config_events_free). 1 when it matched, 0 when not
 * (nothing returned), or a negative AG_E* code with *err. */
int ag_store_load_reconciled(ag_store *st, const char *fingerprint, ag_stored_event **rows,
                             size_t *n, ag_event **cfg_evs, size_t *n_cfg, char **err);
void ag_store_config_events_free(ag_event *evs, size_t n);

/* Whether a reconcile at `now` would purge one of rows (see
 * ag_store_reconcile): then it has to run, whatever the fingerprint. */
bool ag_store_purge_due(const ag_stored_event *rows, size_t n, int64_t now, int64_t retention);

#endif
