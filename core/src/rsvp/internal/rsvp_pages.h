/* The HTML pages of rsvp/'s routes: small, bilingual (Arabic right to
 * left, then French), escaped, with no address and no person's name: an
 * event's title and date, member names, words. Each returns a malloc'd
 * page (*len bytes), or NULL when memory ran out. */
#ifndef AGENDAD_RSVP_PAGES_H
#define AGENDAD_RSVP_PAGES_H

#include "config.h"
#include "rsvp.h"
#include "rsvp_tally.h"

#include <stddef.h>

/* What the confirmation page says about the event. */
typedef struct {
    const ag_text *title; /* NULL: the event is gone from the config */
    const char *when;     /* "YYYY-MM-DD HH:MM" local, or NULL */
} ag_rsvp_page_event;

/* GET /rsvp/TOKEN: the answer to confirm, and the button that posts the
 * form with its token. */
char *ag_rsvp_page_confirm(const ag_rsvp_page_event *ev, ag_rsvp_partstat answer,
                           const char *form_token, size_t *len);
/* After the POST: what was recorded (outcome AG_RSVP_RECORDED), or that
 * it changed nothing (AG_RSVP_STALE). */
char *ag_rsvp_page_answered(const ag_rsvp_page_event *ev, ag_rsvp_partstat answer,
                            ag_rsvp_outcome outcome, size_t *len);
/* Why a link or a form is refused (verdict other than VALID), in plain
 * words. */
char *ag_rsvp_page_refused(ag_rsvp_verdict verdict, size_t *len);
/* A page for a failure of ours (the store): try again later. */
char *ag_rsvp_page_unavailable(size_t *len);

/* One line of the host's checklist. */
typedef struct {
    const ag_member *member;
    bool checked;
} ag_rsvp_check_row;

/* GET /attendance/TOKEN: the members the event concerns, present ones
 * checked, and the button that posts them. */
char *ag_rsvp_page_checklist(const ag_rsvp_page_event *ev, const char *date,
                             const ag_rsvp_check_row *rows, size_t n, const char *form_token,
                             size_t *len);
/* After the checklist's POST: how many were marked present and absent. */
char *ag_rsvp_page_checklist_saved(const ag_rsvp_page_event *ev, const char *date, int present,
                                   int absent, size_t *len);

/* GET /transparency. */
char *ag_rsvp_page_transparency(const ag_config *cfg, const ag_rsvp_transparency *t, size_t *len);

#endif
