/* What the agenda's pages show, as template values (tmpl.h): the host's
 * store queries turned into texts in one language, dates formatted by ICU,
 * agenda rows in reading order (agenda_model.h). No markup here: the
 * templates decide how it looks. */
#ifndef AGENDA_PAGES_H
#define AGENDA_PAGES_H

#include "datefmt.h"
#include "tmpl.h"

#include <agendad/plugin.h>

typedef struct {
    const agendad_host *h;
    agendad_plugin *self;
    datefmt *df;
    const char *hijri; /* ICU calendar name, or NULL: Gregorian only */
    int hijri_adjust;  /* days added before the Hijri date is formatted */
} pages_ctx;

/* True when the public pages may show ev (members-only events are only in
 * their members' token feeds). */
bool pages_public(const pages_ctx *c, const agendad_event *ev);

/* The front page: upcoming events (past ones when past), subscribe links.
 * self_query: the page's own query without lang, for the language switch. */
tv *pages_index(const pages_ctx *c, const char *lang, bool past, int64_t now);

/* One event's page and its agenda (also the Markdown and text renderings). */
tv *pages_event(const pages_ctx *c, const agendad_event *ev, const char *lang);

#endif
