/* One reminder as an RFC 5322 message, built by GMime: UTF-8 headers
 * encoded per RFC 2047, multipart/mixed of a multipart/alternative (text,
 * HTML) and the .ics as text/calendar with its METHOD. CRLF line ends, as
 * SMTP wants them.
 *
 * An invitation (iMIP, RFC 6047) takes the structure Outlook, Gmail,
 * Thunderbird and Apple Mail read as one, Gmail's own: multipart/mixed of
 * a multipart/alternative (text/plain, text/html, then text/calendar;
 * method=REQUEST or CANCEL, the part those apps turn into buttons) and the
 * same calendar attached as application/ics; name=invite.ics, for the
 * apps that only import attachments; and the header Content-Class:
 * urn:content-classes:calendarmessage, which Outlook looks for. */
#ifndef REMINDER_EMAIL_MAIL_H
#define REMINDER_EMAIL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *from;       /* "Name <addr>" or "addr" */
    const char *from_name;  /* when set, from is a bare address and this its display name */
    const char *reply_to;   /* one address, or NULL */
    const char *to;         /* one address */
    const char *subject;    /* UTF-8 */
    const char *message_id; /* without <> */
    int64_t date;           /* Unix seconds */
    const char *text, *html;
    const char *ics; /* may be NULL */
    size_t ics_len;
    bool cancel;     /* METHOD:CANCEL */
    bool invitation; /* iMIP: METHOD:REQUEST (or CANCEL), the structure above */
} rem_mail;

/* Once per process, before rem_mail_build; rem_mail_shutdown at the end. */
void rem_mail_init(void);
void rem_mail_shutdown(void);
/* The message, malloc'd (free), *len bytes. NULL on a bad address. */
char *rem_mail_build(const rem_mail *m, size_t *len);

#endif
