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

/* What a page is asked for, and until when its values hold. */
typedef struct {
    const char *lang; /* "ar" or "fr" */
    int64_t now;      /* splits what is to come from what is over */
    bool past;        /* the front page's past events; an event page's past dates */
    int64_t expires;  /* set by the page: the instant its values change with the
                         time alone (a date ends), INT64_MAX when they never do */
} pages_request;

/* The front page: upcoming events (past ones when past), each series once
 * at its next date with its rule in words, subscribe links. */
tv *pages_index_for(const pages_ctx *c, pages_request *r);

/* One event's page and its agenda (also the Markdown and text renderings);
 * a series' page lists its next dates, or (past) its past ones. */
tv *pages_event_for(const pages_ctx *c, const agendad_event *ev, pages_request *r);

/* The same for a caller that needs no expiry: pages_index at now,
 * pages_event at the current time, with the next dates. */
tv *pages_index(const pages_ctx *c, const char *lang, bool past, int64_t now);
tv *pages_event(const pages_ctx *c, const agendad_event *ev, const char *lang);

#endif
