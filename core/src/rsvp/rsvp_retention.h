/* What is kept about replies and attendance, and for how long: replies,
 * attendance and invitations go invitations.retention (default 13
 * months, so that the 12-month transparency figures hold) after they were
 * received, held, or their event last ended; used form tokens once no form
 * they could stop is valid; retired keys once they verify nothing. */
#ifndef AGENDAD_RSVP_RETENTION_H
#define AGENDAD_RSVP_RETENTION_H

#include "config.h"
#include "store.h"

#include <stdint.h>

/* Rows deleted per table per step at most: a step is one short
 * transaction on the loop. */
#define AG_RSVP_RETENTION_BATCH 500

/* One step of retention at now. evs[0..n): the stored events (sorted by
 * uid), to tell which invitations' events ended more than retention ago
 * (or were purged). *more true when a step found a full batch: run
 * another soon. 0, or a negative AG_E* code with *err. */
int ag_rsvp_retention_step(ag_store *st, const ag_config *cfg, const ag_stored_event *evs, size_t n,
                           int64_t now, bool *more, int *deleted, char **err);

#endif
