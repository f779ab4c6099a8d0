/* members.yaml `sync:` — what the admin allows for a member's own calendar:
 * how often its feed is pulled, where its events may appear beyond its own
 * feed, and the CalDAV collection the network's events are pushed into. */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uriparser/Uri.h>

#define DEFAULT_INTERVAL 3600
#define MIN_INTERVAL 1
#define MAX_INTERVAL (7 * 86400)

static void load_category_list(const ag_config *cfg, const ag_config_node *n, const char *what,
                               char ***out, size_t *n_out, ag_diags *d)
{
    if (!ag_config_string_list(d, n, what, out, n_out) && n->kind != AG_CFG_SEQ)
        return;
    for (size_t i = 0; i < n->n; i++) /* each that is text, even when another is not */
        if (ag_config_is_text(n->items[i]))
            ag_config_check_category(cfg, n->items[i], d);
}

static void load_interval(ag_member_sync *s, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_duration(d, n, "interval", &s->interval))
        return;
    if (s->interval < MIN_INTERVAL || s->interval > MAX_INTERVAL)
        ag_config_err(d, &n->loc, "interval must be between 1s and 7d");
}

static bool http_scheme(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* RFC 3986 syntax, and a host; NULL if the URL has both. */
static const char *url_problem(const char *url, char *buf, size_t size)
{
    UriUriA u;
    const char *err = NULL;
    if (uriParseSingleUriA(&u, url, &err) != URI_SUCCESS) {
        /* TRANSLATORS: this, the next and "no host": why a URL is not
         * valid, inserted as "%s \"%s\" is not a valid URL (%s)". */
        if (!err || !*err)
            return _("incomplete");
        snprintf(buf, size, _("unexpected character at offset %d"), (int)(err - url));
        return buf;
    }
    bool host = u.hostText.first != u.hostText.afterLast || u.hostData.ip4 || u.hostData.ip6;
    uriFreeUriMembersA(&u);
    return host ? NULL : _("no host");
}

/* The scheme is checked on the text first, with its own message: the
 * admin should write what is fetched. */
bool ag_config_http_url(ag_diags *d, const ag_config_node *n, const char *what, const char *url)
{
    if (!http_scheme(url)) {
        ag_config_err(d, &n->loc, "%s \"%s\" must start with http:// or https://",
                      ag_i18n_what(what), url);
        return false;
    }
    char buf[64];
    const char *why = url_problem(url, buf, sizeof buf);
    if (why)
        ag_config_err(d, &n->loc, "%s \"%s\" is not a valid URL (%s)", ag_i18n_what(what), url,
                      why);
    return why == NULL;
}

static void load_caldav(ag_member_sync *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"url", "username", "password_file", "network_wins", NULL};
    if (!ag_config_check_keys(d, n, keys, "caldav") && n->kind != AG_CFG_MAP)
        return;
    const ag_config_node *url = ag_config_require(d, n, "url", "caldav");
    if (url && ag_config_string(d, url, "caldav url", &s->caldav_url))
        ag_config_http_url(d, url, "caldav url", s->caldav_url);
    const ag_config_node *v;
    if ((v = ag_config_node_get(n, "username")))
        ag_config_string(d, v, "caldav username", &s->caldav_username);
    if ((v = ag_config_node_get(n, "password_file")))
        ag_config_string(d, v, "caldav password_file", &s->caldav_password_file);
    if ((v = ag_config_node_get(n, "network_wins")))
        ag_config_bool(d, v, "network_wins", &s->network_wins);
    /* Basic auth needs both: a password alone would be sent with an empty
     * user name, which servers reject with a 401 that reads like a wrong
     * password. Only a missing key is reported here: a bad value already
     * was. */
    bool has_user = ag_config_node_get(n, "username"),
         has_pw = ag_config_node_get(n, "password_file");
    if (has_user && !has_pw)
        ag_config_err(d, &n->loc, "caldav has a username but no password_file");
    if (has_pw && !has_user)
        ag_config_err(d, &n->loc, "caldav has a password_file but no username");
}

void ag_config_load_member_sync(const ag_config *cfg, ag_member *m, const ag_config_node *n,
                                ag_diags *d)
{
    static const char *const keys[] = {
        "interval", "network", "network_categories", "categories", "caldav", "private_data", NULL};
    ag_member_sync *s = &m->sync;
    s->interval = DEFAULT_INTERVAL;
    if (!n)
        return;
    if (!ag_config_check_keys(d, n, keys, "sync") && n->kind != AG_CFG_MAP)
        return;
    const ag_config_node *v;
    if ((v = ag_config_node_get(n, "interval")))
        load_interval(s, v, d);
    if ((v = ag_config_node_get(n, "network")))
        ag_config_bool(d, v, "network", &s->network);
    if ((v = ag_config_node_get(n, "network_categories")))
        load_category_list(cfg, v, "network_categories", &s->network_categories,
                           &s->n_network_categories, d);
    if ((v = ag_config_node_get(n, "categories")))
        load_category_list(cfg, v, "categories", &s->categories, &s->n_categories, d);
    if ((v = ag_config_node_get(n, "private_data")))
        ag_config_bool(d, v, "private_data", &s->private_data);
    if ((v = ag_config_node_get(n, "caldav")))
        load_caldav(s, v, d);
}
