/* The services the plugin host calls the core through, filled in by the
 * daemon, which alone knows every module: tz, HTTP, feeds, the URL space. */
#ifndef AGENDAD_DAEMON_PLUGINS_H
#define AGENDAD_DAEMON_PLUGINS_H

#include "plugin_host.h"
#include "service.h"

/* Fills the entries backed by the core modules (tz, http, log, feeds); the
 * caller still sets events, config, data and source_changed. */
void ag_daemon_plugin_services(ag_plugin_services *s);

/* Serves a plugin's page the way feeds are served (http.h's blob response:
 * ETag salted with the tzdata version, 304, gzip, HEAD). */
void ag_daemon_respond_cached(ag_http_request *req, const char *content_type, const char *body,
                              size_t len, int64_t last_modified, int max_age);

/* The event uid as the feeds publish it, without its agenda items, in lang,
 * for the host's event_ical (the daemon's and the command line's alike).
 * *out malloc'd. 0, or a negative AG_E* code. */
int ag_daemon_event_ical(const ag_service *svc, const char *uid, const char *lang, char **out,
                         size_t *len);

#endif
