/* rsvp/'s part of the URL space, served by the core:
 *
 *   GET/POST /rsvp/TOKEN         one-click answer: a GET shows what is about
 *                                to be recorded and a button; only the POST
 *                                (with the page's form token) records it
 *   GET/POST /attendance/TOKEN   the host's checklist of who attended
 *   GET /events/UID/attendance.json, .csv
 *                                the tally of an event that publishes
 *                                attendance (publish_attendance: true, and
 *                                public); any other: 404, unless the admin
 *                                token (http.admin_token_file) is sent
 *   GET /transparency, /transparency.csv
 *                                the network's figures of the last 12 months
 *
 * A refused link or form gets 403 and a page that says why; nothing is
 * written on a GET. Pages carry no address and no person's name, and are
 * never cached or framed. */
#ifndef AGENDAD_RSVP_HTTP_H
#define AGENDAD_RSVP_HTTP_H

#include "agendad/plugin.h"
#include "http.h"
#include "service.h"

#include <stdbool.h>

/* Whether POST is read on path (an ag_http_post_fn's question). */
bool ag_rsvp_http_accepts_post(const char *path);
/* Whether path is one of the GET routes served here (/events/UID/attendance.*,
 * /transparency...), which take no POST whoever else would. */
bool ag_rsvp_http_owns(const char *path);
/* Answers req when its path is one of rsvp's (true), else leaves it
 * (false). */
bool ag_rsvp_http_handle(ag_service *svc, ag_http_request *req);

/* The host table's event_attendance for event uid (see plugin.h): fn for
 * each member, or AG_ENOENT when the event does not publish attendance. */
int ag_rsvp_event_attendance(ag_service *svc, const char *uid,
                             int (*fn)(const agendad_attendance *a, void *data), void *data);

#endif
