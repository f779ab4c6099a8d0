/* The command line's own errors: "agendad COMMAND: message", the message in
 * the admin's language and the "agendad COMMAND" prefix kept left to right
 * in a right-to-left one (ag_i18n_ltr). */
#ifndef AGENDAD_CLI_ERROR_H
#define AGENDAD_CLI_ERROR_H

#include <stdio.h>

/* Writes "agendad: " (command NULL) or "agendad COMMAND: ", then fmt, which
 * the caller has translated (_("...\n")): the newline is the caller's. */
void ag_cli_error(FILE *err, const char *command, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
