#include "plugin_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *po_opt(const agendad_host *h, agendad_plugin *self, const char *key)
{
    const agendad_config_node *n = h->config_get(h->config(self), key);
    return n ? h->config_scalar(n) : NULL;
}

bool po_opt_bool(const agendad_host *h, agendad_plugin *self, const char *key, bool def)
{
    const char *v = po_opt(h, self, key);
    return v ? strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 : def;
}

static char *first_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0'; /* editors add a final newline */
    return strdup(buf);
}

int po_read_secret(const agendad_host *h, agendad_plugin *self, const char *file_key,
                   const char *cred_key, const char *what, char **out)
{
    const char *file = po_opt(h, self, file_key);
    const char *cred = po_opt(h, self, cred_key);
    char path[4096];
    *out = NULL;
    if (!file && cred) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (!dir) {
            h->log(self, AGENDAD_LOG_ERR,
                   "%s is set but CREDENTIALS_DIRECTORY is not (run under systemd with "
                   "LoadCredential=)",
                   cred_key);
            return -1;
        }
        snprintf(path, sizeof path, "%s/%s", dir, cred);
        file = path;
    }
    if (!file)
        return 0;
    *out = first_line(file);
    if (!*out) {
        h->log(self, AGENDAD_LOG_ERR, "cannot read the %s from %s", what, file);
        return -1;
    }
    return 0;
}
