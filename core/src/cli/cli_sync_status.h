/* `agendad sync status`: what the sync plugin last recorded in the store for
 * each member that syncs (a feed to pull or a CalDAV collection to push
 * into), in plain words. Reads only. */
#ifndef AGENDAD_CLI_SYNC_STATUS_H
#define AGENDAD_CLI_SYNC_STATUS_H

#include "config.h"
#include "store.h"

#include <stdio.h>

/* Prints one block per syncing member; returns how many. */
int ag_cli_sync_status_print(const ag_config *cfg, ag_store *st, FILE *out);

#endif
