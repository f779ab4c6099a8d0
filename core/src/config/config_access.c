/* http.metrics_loopback, http.metrics_token_file and http.admin_token_file:
 * who may read /metrics and /status, and the admin's views (finding a
 * time). Tokens are read when the config loads, so that `agendad check`
 * finds an unreadable or weak token file before the daemon does. */
#include "config_internal.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MIN 16
#define TOKEN_MAX 1024

/* A relative path is taken from the directory of agendad.yaml. */
static char *resolve(const char *path, const char *yaml_file)
{
    char *out = NULL;
    if (path[0] == '/' || !yaml_file)
        return strdup(path);
    char *copy = strdup(yaml_file);
    if (copy && asprintf(&out, "%s/%s", dirname(copy), path) < 0)
        out = NULL;
    free(copy);
    return out;
}

static bool token_char_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* The file's content without surrounding whitespace (a trailing newline is
 * what editors and `systemd-creds` leave). NULL with *why on error. */
static char *read_token(const char *path, const char **why)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = strerror(errno);
        return NULL;
    }
    char buf[TOKEN_MAX + 64];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = buf + strspn(buf, " \t\r\n");
    size_t len = strlen(s);
    while (len > 0 && strchr(" \t\r\n", s[len - 1]))
        s[--len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!token_char_ok((unsigned char)s[i])) {
            *why = "the token must be printable ASCII without spaces";
            return NULL;
        }
    if (len < TOKEN_MIN || len > TOKEN_MAX) {
        *why = "the token must be 16 to 1024 characters long";
        return NULL;
    }
    return strdup(s);
}

static void load_token_file(const ag_config_node *n, const char *key, char **dest, ag_diags *d)
{
    if (!ag_config_scalar(d, n, key))
        return;
    char *path = resolve(n->scalar, n->loc.file);
    const char *why = "out of memory";
    char *token = path ? read_token(path, &why) : NULL;
    if (!token)
        ag_config_err(d, &n->loc,
                      "cannot use %s \"%s\": %s (write a random token, "
                      "e.g. `openssl rand -hex 32 > FILE`)",
                      key, path ? path : n->scalar, why);
    free(path);
    free(*dest);
    *dest = token;
}

/* Whoever may read /metrics must not thereby read members' busy times. */
static void check_tokens_differ(const ag_settings *s, const ag_config_node *admin, ag_diags *d)
{
    if (s->admin_token && s->metrics_token && strcmp(s->admin_token, s->metrics_token) == 0)
        ag_config_err(d, &admin->loc,
                      "admin_token_file holds the same token as metrics_token_file: give the "
                      "admin token its own, or whoever reads /metrics reads members' busy times");
}

void ag_config_load_http_access(ag_settings *s, const ag_config_node *http, ag_diags *d)
{
    const ag_config_node *v = ag_config_node_get(http, "metrics_loopback");
    if (v)
        ag_config_bool(d, v, "metrics_loopback", &s->metrics_loopback);
    v = ag_config_node_get(http, "metrics_token_file");
    if (v)
        load_token_file(v, "metrics_token_file", &s->metrics_token, d);
    v = ag_config_node_get(http, "admin_token_file");
    if (v) {
        load_token_file(v, "admin_token_file", &s->admin_token, d);
        check_tokens_differ(s, v, d);
    }
}
