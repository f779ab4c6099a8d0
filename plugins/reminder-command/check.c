#include "check.h"

#include "plugin_i18n.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* What uv_spawn would meet: no such file, not a file, not executable (for
 * the user `agendad check` runs as, the daemon's under systemd). */
static const char *why_not_runnable(const char *program)
{
    struct stat st;
    if (stat(program, &st) != 0)
        return strerror(errno);
    if (!S_ISREG(st.st_mode))
        return P_("not a file");
    if (access(program, X_OK) != 0)
        return strerror(errno);
    return NULL;
}

void command_check(agendad_check *c, const agendad_host *h, agendad_plugin *self, int max_args)
{
    const agendad_config_node *section = h->config(self);
    const agendad_config_node *n = h->config_get(section, "program");
    const char *program = n ? h->config_scalar(n) : NULL;
    const char *why = NULL;
    if (!program || program[0] != '/')
        h->check_error(c, n, "%s", P_("program must be an absolute path"));
    else if ((why = why_not_runnable(program)))
        h->check_error(c, n, P_("cannot run %s: %s"), program, why);
    const agendad_config_node *args = h->config_get(section, "args");
    if (args && h->config_len(args) > (size_t)max_args)
        h->check_error(c, args, P_("at most %d args"), max_args);
}
#endif
