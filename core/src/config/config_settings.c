/* agendad.yaml: daemon settings. Defaults are set first so that every key
 * is optional (categories aside, which config_catalog.c reads). */
#include "config_internal.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* false when memory ran out for one of them. */
static bool set_defaults(ag_settings *s)
{
    s->listen_host = strdup("127.0.0.1");
    s->listen_port = 8080;
    s->state_path = strdup("/var/lib/agendad/agendad.db");
    s->default_tz = strdup("Africa/Casablanca");
    s->default_lang = strdup("ar");
    s->network_name.ar = strdup("الشبكة المغربية للجماعات الترابية المنفتحة");
    s->network_name.fr = strdup("Réseau marocain des collectivités territoriales ouvertes");
    s->window_from_rel = -365 * (int64_t)DAY;
    s->window_to_rel = 730 * (int64_t)DAY;
    s->refresh_interval = 3600;
    s->retention = 30 * (int64_t)DAY;
    s->max_connections = 16384;
    s->max_pending_per_address = 256;
    s->max_header_bytes = 16384;
    s->max_requests_per_conn = 1000;
    s->max_requests_per_sec = 1000;
    s->header_timeout_ms = 10000;
    s->idle_timeout_ms = 60000;
    s->metrics_loopback = true;
    s->plugin_dir = strdup(AGENDAD_PLUGIN_DIR);
    bool ok = ag_config_reminder_defaults(&s->reminders);
    ok = ag_config_invitation_defaults(s) && ok;
    return ok && s->listen_host && s->state_path && s->default_tz && s->default_lang &&
           s->network_name.ar && s->network_name.fr && s->plugin_dir;
}

static void replace(char **dst, char *value)
{
    free(*dst);
    *dst = value;
}

static bool parse_port(const char *s, int *port)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 5 || s[n])
        return false;
    *port = atoi(s);
    return *port <= 65535;
}

/* "host:port" or "[v6]:port"; host returned without brackets (NULL when
 * memory ran out). */
static bool split_listen(const char *s, char **host, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return false;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return false;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || !parse_port(colon + 1, port))
        return false;
    *host = strndup(h, hlen);
    return true;
}

static void load_listen(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    char *host;
    int port;
    if (!ag_config_scalar(d, n, "listen"))
        return;
    if (!split_listen(n->scalar, &host, &port)) {
        ag_config_err(d, &n->loc,
                      "\"%s\" is not a valid listen address: write host:port with a port from 0 "
                      "to 65535, e.g. 127.0.0.1:8080 or [::1]:8080",
                      n->scalar);
        return;
    }
    if (!host) {
        ag_config_oom(d, &n->loc, "listen");
        return;
    }
    replace(&s->listen_host, host);
    s->listen_port = port;
}

/* at: where a missing base_url would have been written (agendad.yaml). */
static void load_base_url(ag_settings *s, const ag_config_node *n, const ag_loc *at, ag_diags *d)
{
    if (!n) {
        if (!s->listen_host)
            return; /* out of memory, reported with the defaults */
        bool v6 = strchr(s->listen_host, ':') != NULL;
        char buf[512];
        snprintf(buf, sizeof buf, "http://%s%s%s:%d", v6 ? "[" : "", s->listen_host, v6 ? "]" : "",
                 s->listen_port);
        if (!(s->base_url = strdup(buf)))
            ag_config_oom(d, at, "base_url");
        return;
    }
    if (!ag_config_scalar(d, n, "base_url"))
        return;
    if (strncmp(n->scalar, "http://", 7) != 0 && strncmp(n->scalar, "https://", 8) != 0) {
        ag_config_err(d, &n->loc, "base_url \"%s\" must start with http:// or https://", n->scalar);
        return;
    }
    if (!(s->base_url = strdup(n->scalar)))
        ag_config_oom(d, &n->loc, "base_url");
    size_t len = s->base_url ? strlen(s->base_url) : 0;
    while (len > 0 && s->base_url[len - 1] == '/')
        s->base_url[--len] = '\0';
}

static void load_timezone(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_scalar(d, n, "timezone"))
        return;
    if (!ag_tz_known(n->scalar)) {
        ag_config_err(d, &n->loc,
                      "unknown time zone \"%s\" (expected a name like Africa/Casablanca)",
                      n->scalar);
        return;
    }
    char *tz = strdup(n->scalar);
    if (!tz)
        ag_config_oom(d, &n->loc, "timezone");
    else
        replace(&s->default_tz, tz);
}

static void load_language(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const langs[] = {"ar", "fr", NULL};
    int i;
    char *lang = NULL;
    if (ag_config_choice(d, n, "language", langs, &i) && !(lang = strdup(langs[i])))
        ag_config_oom(d, &n->loc, "language");
    else if (lang)
        replace(&s->default_lang, lang);
}

static void load_network(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"name", "description", NULL};
    ag_config_check_keys(d, n, keys, "network");
    const ag_config_node *v = ag_config_node_get(n, "name");
    ag_text t = {0};
    if (v && ag_config_text(d, v, "the network's name", &t)) {
        ag_text_free(&s->network_name);
        s->network_name = t;
    }
    v = ag_config_node_get(n, "description");
    if (v)
        ag_config_text(d, v, "the network's description", &s->network_description);
}

typedef void (*section_loader)(ag_settings *s, const ag_config_node *n, ag_diags *d);

void ag_config_load_settings(ag_config *cfg, const ag_config_node *root, ag_diags *d)
{
    static const char *const keys[] = {
        "listen", "state",      "base_url", "timezone",  "language",    "network",   "feeds",
        "http",   "categories", "plugins",  "reminders", "invitations", "documents", NULL};
    static const struct {
        const char *key;
        section_loader load;
    } sections[] = {
        {"listen", load_listen},
        {"timezone", load_timezone},
        {"language", load_language},
        {"network", load_network},
        {"feeds", ag_config_load_feeds},
        {"http", ag_config_load_http},
        {"plugins", ag_config_load_plugins},
        {"reminders", ag_config_load_reminders},
        {"invitations", ag_config_load_invitations},
        {"documents", ag_config_load_documents},
    };
    ag_settings *s = &cfg->settings;
    if (!set_defaults(s))
        ag_config_oom(d, &root->loc, "the default settings");
    ag_config_check_keys(d, root, keys, "agendad.yaml");
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        const ag_config_node *n = ag_config_node_get(root, sections[i].key);
        if (n)
            sections[i].load(s, n, d);
    }
    const ag_config_node *state = ag_config_node_get(root, "state");
    char *path = NULL;
    if (state && ag_config_string(d, state, "state", &path))
        replace(&s->state_path, path);
    load_base_url(s, ag_config_node_get(root, "base_url"), &root->loc, d);
}
