#include "check.h"

#include "plugin_i18n.h"
#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8

/* The parser sync would run (its own lookup, sync.c), and the node that
 * names it (NULL: found by the lookup). */
static const char *helper_path(sync_plugin *sp, const agendad_config_node **at)
{
    const agendad_host *h = sp->host;
    *at = h->config_get(h->config(sp->self), "helper");
    if (!sp->helper)
        sync_find_helper(sp);
    return sp->helper;
}

static int pulls(const agendad_member *m, void *data)
{
    sync_plugin *sp = data;
    agendad_member_sync s = {.size = sizeof s};
    return sp->host->member_sync(sp->self, m, &s) == 0 && s.feed_url ? 1 : 0;
}

void sync_check(agendad_check *c, void *data)
{
    sync_plugin *sp = data;
    const agendad_host *h = sp->host;
    if (!h->member_foreach(sp->self, pulls, sp))
        return; /* no member's feed: the parser never runs */
    const agendad_config_node *at;
    const char *helper = helper_path(sp, &at);
    struct stat st;
    const char *why = stat(helper, &st) != 0      ? strerror(errno)
                      : !S_ISREG(st.st_mode)      ? P_("not a file")
                      : access(helper, X_OK) != 0 ? strerror(errno)
                                                  : NULL;
    if (why && at)
        h->check_error(c, at, P_("cannot start the calendar parser %s: %s"), helper, why);
    else if (why)
        h->check_error(c, at,
                       P_("cannot start the calendar parser %s: %s (set \"helper\" to "
                          "agendad-ical-import's path)"),
                       helper, why);
}

#endif
