/* One reminder as an RFC 5322 message, built by GMime: UTF-8 headers
 * encoded per RFC 2047, multipart/mixed of a multipart/alternative (text,
 * HTML) and the .ics as text/calendar with its METHOD. CRLF line ends, as
 * SMTP wants them. */
#ifndef REMINDER_EMAIL_MAIL_H
#define REMINDER_EMAIL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *from;       /* "Name <addr>" or "addr" */
    const char *to;         /* one address */
    const char *subject;    /* UTF-8 */
    const char *message_id; /* without <> */
    int64_t date;           /* Unix seconds */
    const char *text, *html;
    const char *ics; /* may be NULL */
    size_t ics_len;
    bool cancel; /* METHOD:CANCEL */
} rem_mail;

/* Once per process, before rem_mail_build; rem_mail_shutdown at the end. */
void rem_mail_init(void);
void rem_mail_shutdown(void);
/* The message, malloc'd (free), *len bytes. NULL on a bad address. */
char *rem_mail_build(const rem_mail *m, size_t *len);

#endif
