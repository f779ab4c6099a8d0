/* The .ics of a mail written in both languages. iCalendar allows one
 * SUMMARY: the host's .ics has it in the first language of the mail (the
 * network's default, for a recipient whose language is unknown), and the
 * other language's title and description go at the top of DESCRIPTION. */
#ifndef REMINDER_EMAIL_ICS_H
#define REMINDER_EMAIL_ICS_H

#include "reminder_text.h"

#include <stddef.h>

/* ics (NUL-terminated) with, on every VEVENT, other's title and
 * description and a blank line before its DESCRIPTION (which loses its
 * LANGUAGE parameter: the text is in both). A text of other that is
 * missing, or the same as first's (the host's fallback to the other
 * language), is left out. malloc'd, *len bytes; NULL when ics does not
 * parse or memory ran out (send ics as it is). */
char *rem_ics_both_languages(const char *ics, const rem_lang_text *first,
                             const rem_lang_text *other, size_t *len);

#endif
