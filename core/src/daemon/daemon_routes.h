/* The daemon's URL space: feeds, health, and the routes plugins register.
 * Maps each GET/HEAD request to a feed query on the service. */
#ifndef AGENDAD_DAEMON_ROUTES_H
#define AGENDAD_DAEMON_ROUTES_H

#include "http.h"
#include "service.h"

/* Optional dispatcher for routes that plugins registered: returns true when
 * it took the request (and will respond). */
typedef bool (*ag_routes_extra_fn)(ag_http_request *req, void *data);

struct ag_ops;
struct ag_documents;

/* Optional: whether plugins' routes take POST on path. */
typedef bool (*ag_routes_post_fn)(const char *path, void *data);

typedef struct {
    ag_service *svc;
    struct ag_ops *status;          /* /metrics and /status when set (status.h) */
    struct ag_documents *documents; /* /documents/ when set (documents.h) */
    ag_routes_extra_fn extra;
    ag_routes_post_fn extra_post;
    void *extra_data;
} ag_routes;

/* Path prefixes served by the core alone (NULL-terminated): plugins may
 * not register them or anything under them. */
extern const char *const ag_daemon_routes_reserved[];

/* An ag_http_handler_fn; data is an ag_routes. */
void ag_daemon_routes_handle(ag_http_request *req, void *data);
/* An ag_http_post_fn; data is an ag_routes: the core's forms (rsvp/'s
 * pages), else a plugin's route registered for POST, never a path the
 * core serves otherwise (feeds, health, status, an event's tally). */
bool ag_daemon_routes_accepts_post(const char *path, void *data);

/* Parses a feed URL path ("/feeds/network.ics", "/feeds/members/ID.ics",
 * "/feeds/categories/ID.ics", "/events/UID.ics") into q->kind and q->key
 * (key written into keybuf). false when path is no feed. */
bool ag_daemon_routes_parse_feed_path(const char *path, ag_feed_query *q, char *keybuf,
                                      size_t size);

#endif
