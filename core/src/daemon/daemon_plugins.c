/* The plugin host's view of the core (see daemon_plugins.h). */
#include "daemon_plugins.h"

#include "config_network.h"
#include "daemon_routes.h"
#include "feed.h"
#include "tz.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Serves a plugin's page the way feeds are served (http.h's blob response:
 * ETag salted with the tzdata version, 304, gzip, HEAD). */
void ag_daemon_respond_cached(ag_http_request *req, const char *content_type, const char *body,
                              size_t len, int64_t last_modified, int max_age)
{
    char *copy = malloc(len ? len : 1);
    ag_blob *b = NULL;
    if (copy) {
        memcpy(copy, body, len);
        b = ag_blob_new(content_type, copy, len, last_modified, ag_tz_version());
    }
    if (!b) {
        ag_http_respond_error(req, 503, "out of memory", NULL);
        return;
    }
    ag_http_respond_blob(req, b, max_age);
    ag_blob_unref(b);
}

void ag_daemon_plugin_services(ag_plugin_services *s)
{
    s->to_utc = ag_tz_to_utc;
    s->is_head = ag_http_is_head;
    s->is_post = ag_http_is_post;
    s->form = ag_http_form;
    s->path = ag_http_path;
    s->query_string = ag_http_query_string;
    s->query = ag_http_query;
    s->header = ag_http_header;
    s->respond = ag_http_respond;
    s->respond_error = ag_http_respond_error;
    s->logv = ag_logv;
    s->tz_version = ag_tz_version;
    s->utc_offset = ag_tz_utc_offset;
    s->member_concerned = ag_config_member_concerned;
    s->series_span = ag_feed_series_span;
    s->respond_cached = ag_daemon_respond_cached;
    s->reserved_prefixes = ag_daemon_routes_reserved;
}

int ag_daemon_event_ical(const ag_service *svc, const char *uid, const char *lang, char **out,
                         size_t *len)
{
    /* Members-only events too: the plugin asked for this event by uid and
     * decides who gets it (plugin.h, event_ical). */
    ag_feed_query q = {
        .kind = AG_FEED_EVENT, .key = uid, .lang = lang, .slots = false, .members_only = true};
    return ag_feed_build(svc->cfg, svc->evs, svc->n_evs, &q, (int64_t)time(NULL), out, len, NULL);
}
