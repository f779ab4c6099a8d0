/* `agendad mail-in --config DIR`: one message on stdin, from an MTA's
 * alias or a .forward, handed to the running daemon on its mail-in socket
 * (invitations.mail_socket); the exit status tells the MTA what to do:
 * 0 recorded or dropped, 65 (EX_DATAERR) bounce it, 75 (EX_TEMPFAIL) keep
 * it and retry. It never opens the state database: MTAs run it as an
 * unprivileged user, granted the socket alone. */
#ifndef AGENDAD_CLI_MAILIN_H
#define AGENDAD_CLI_MAILIN_H

#include <stdio.h>

/* Waits this long for the daemon's verdict. */
#define AG_CLI_MAILIN_TIMEOUT_S 60

/* Reads the message from in; what went wrong to err. Returns the exit
 * status. */
int ag_cli_mailin(const char *config_dir, FILE *in, FILE *err);

#endif
