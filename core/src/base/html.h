/* Text written into the core's own HTML pages (/status.html, the rsvp
 * pages): every string that comes from the config or a request goes
 * through here, so that a member's name cannot open a tag. */
#ifndef AGENDAD_HTML_H
#define AGENDAD_HTML_H

#include <stdio.h>

/* Writes s (NULL: nothing) to f with & < > " ' escaped: safe in element
 * text and in a quoted attribute value. */
void ag_html_text(FILE *f, const char *s);

#endif
