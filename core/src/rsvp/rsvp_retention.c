/* Retention of replies, attendance and invitations (rsvp_retention.h). */
#include "rsvp_retention.h"

#include "rsvp.h"
#include "rsvp_internal.h"
#include "rsvp_tally.h"
#include "store_rsvp.h"

#include <stdlib.h>
#include <string.h>

/* Whether event uid (maybe purged already) last ended before `before`. */
static bool ended_before(const ag_stored_event *evs, size_t n, const char *uid, int64_t before)
{
    const ag_stored_event *se = ag_store_event_find(evs, n, uid);
    if (!se)
        return true;
    ag_rsvp_occurrence *occ = NULL;
    size_t k = 0;
    if (ag_rsvp_occurrences(&se->ev, &occ, &k) < 0)
        return false; /* keep what cannot be dated */
    bool ended = k == 0 || occ[k - 1].end < before;
    free(occ);
    return ended;
}

int ag_rsvp_retention_step(ag_store *st, const ag_config *cfg, const ag_stored_event *evs, size_t n,
                           int64_t now, bool *more, int *deleted, char **err)
{
    *more = false;
    *deleted = 0;
    if (err)
        *err = NULL;
    int64_t before = now - cfg->settings.invitations_retention;
    char **uids = NULL;
    size_t n_uids = 0, kept = 0;
    int rc = ag_store_rsvp_invited_uids(st, &uids, &n_uids, err);
    if (rc < 0)
        return rc;
    /* Keep in uids only the events whose invitations may go. */
    for (size_t i = 0; i < n_uids; i++) {
        if (ended_before(evs, n, uids[i], before))
            uids[kept++] = uids[i];
        else
            free(uids[i]);
    }
    rc =
        ag_store_rsvp_purge(st, before, now - AG_RSVP_FORM_TTL - 60, now, (const char *const *)uids,
                            kept, AG_RSVP_RETENTION_BATCH, deleted, err);
    for (size_t i = 0; i < kept; i++)
        free(uids[i]);
    free(uids);
    *more = rc == 0 && *deleted >= AG_RSVP_RETENTION_BATCH;
    return rc;
}
