/* What `agendad mail-in` and the daemon say on the mail-in socket. The
 * client sends one frame, then reads one line:
 *
 *   AGENDAD-MAIL-IN 1\n
 *   Length: N\n                      the message's size in bytes
 *   Recipient: local+TAG@domain\n    optional: the envelope recipient
 *   \n
 *   N bytes of RFC 5322 message
 *
 *   OK words\n | DATAERR words\n | TEMPFAIL words\n
 *
 * OK: recorded or dropped (exit 0); DATAERR: malformed, the MTA bounces it
 * (EX_DATAERR, 65); TEMPFAIL: not now, the MTA keeps it and retries
 * (EX_TEMPFAIL, 75). The words are for the MTA's log or bounce and never
 * hold an address. */
#ifndef AGENDAD_MAILIN_PROTO_H
#define AGENDAD_MAILIN_PROTO_H

#include "mailin.h"

#include <stddef.h>

#define AG_MAILIN_MAGIC "AGENDAD-MAIL-IN 1"
/* A frame's head (the lines before the message) is at most this long. */
#define AG_MAILIN_MAX_HEAD 2048

/* The head for a message of len bytes, with the envelope recipient rcpt
 * (NULL: none; one that does not fit a header line is left out). Written
 * to buf; its length, or AG_ERANGE when size is too small. */
int ag_mailin_head_write(char *buf, size_t size, size_t len, const char *rcpt);

/* Reads a head from the n bytes at buf: 0 while the blank line has not
 * come (and n < AG_MAILIN_MAX_HEAD); the head's length once it has, with
 * *len and *rcpt (malloc'd or NULL) set; AG_EINVAL when it is no head of
 * ours, AG_ERANGE when Length is above AG_MAILIN_MAX_MESSAGE, AG_ENOMEM. */
int ag_mailin_head_read(const char *buf, size_t n, size_t *len, char **rcpt);

/* The line's first word for a verdict: "OK", "DATAERR" or "TEMPFAIL". */
const char *ag_mailin_verdict_word(ag_mailin_verdict v);

/* The sysexits code a verdict line asks for: 0, 65 or 75 (75 for anything
 * that is no verdict line). */
int ag_mailin_exit_code(const char *line);

#endif
