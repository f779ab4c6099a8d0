/* `agendad propose`: slots when the members an audience names are free,
 * from the config (the admin's truth: members, hours, holidays, network
 * events) and, when the state database exists, the members' own busy time
 * it holds, read without writing it (not even the -wal and -shm files a
 * reader makes). */
#ifndef AGENDAD_CLI_PROPOSE_H
#define AGENDAD_CLI_PROPOSE_H

#include "service.h"

#include <stdio.h>

#define AG_CLI_PROPOSE_MAX_OPTIONS 16

typedef struct {
    /* The query's options in the order given (audience, duration, from, to,
     * count, step), repeats included: they are refused. */
    const char *names[AG_CLI_PROPOSE_MAX_OPTIONS];
    const char *values[AG_CLI_PROPOSE_MAX_OPTIONS];
    size_t n;
    const char *format; /* txt, json or ics; NULL: txt */
    const char *lang;   /* ar or fr; NULL: the network's */
} ag_propose_args;

/* Prints the answer to out, a one-line error to err. Returns the exit
 * code: 0; 2 for a malformed option; 1 for an unknown member or selector,
 * a config with errors or a state that cannot be read. */
int ag_cli_propose(const char *config_dir, const ag_overrides *ov, const ag_propose_args *a,
                   FILE *out, FILE *err);

#endif
