#include "plugin_check.h"

#include "plugin_i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool po_command_line(const agendad_host *h, agendad_plugin *self)
{
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    return AGENDAD_HOST_HAS(h, command_line) && h->command_line(self);
#else
    (void)h;
    (void)self;
    return false;
#endif
}

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
int po_register_check(const agendad_host *h, agendad_plugin *self, agendad_check_fn fn, void *data)
{
    return AGENDAD_HOST_HAS(h, register_check) ? h->register_check(self, fn, data) : 0;
}

/* The secret's first character, or EOF; -1 with errno when it cannot be
 * read (a directory opens, then fails to read). */
static int first_char(const char *path, int *ch)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    *ch = fgetc(f);
    int e = ferror(f) ? errno : 0;
    fclose(f);
    errno = e;
    return e ? -1 : 0;
}

/* The same resolution as po_read_secret's: the file, else the credential
 * in $CREDENTIALS_DIRECTORY. */
int po_check_secret(const agendad_host *h, agendad_plugin *self, agendad_check *c,
                    const char *file_key, const char *cred_key, const char *what, bool *empty,
                    const agendad_config_node **at)
{
    const agendad_config_node *section = h->config(self);
    const agendad_config_node *file_n = h->config_get(section, file_key);
    const agendad_config_node *cred_n = h->config_get(section, cred_key);
    const char *file = file_n ? h->config_scalar(file_n) : NULL;
    const char *cred = cred_n ? h->config_scalar(cred_n) : NULL;
    const agendad_config_node *where = file ? file_n : cred ? cred_n : NULL;
    char path[4096];
    if (at)
        *at = where;
    if (!file && cred) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (!dir) {
            h->check_error(c, cred_n,
                           P_("%s is set but CREDENTIALS_DIRECTORY is not (run under systemd with "
                              "LoadCredential=)"),
                           cred_key);
            return -1;
        }
        snprintf(path, sizeof path, "%s/%s", dir, cred);
        file = path;
    }
    if (!file)
        return 0;
    int ch = EOF;
    if (first_char(file, &ch) < 0) {
        h->check_error(c, where, P_("cannot read the %s from %s: %s"), P_(what), file,
                       strerror(errno));
        return -1;
    }
    *empty = ch == EOF || ch == '\n' || ch == '\r';
    return 1;
}
#endif
