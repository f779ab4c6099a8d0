#include "check.h"

#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8

#ifndef AGENDAD_SYNC_HELPER
#define AGENDAD_SYNC_HELPER "/usr/libexec/agendad/agendad-ical-import"
#endif

/* The parser sync would run, and the node that names it (NULL: the
 * default). The same choice as read_settings' in sync.c, repeated here:
 * when sync.c finds the helper in more places (beside sync.so in a build
 * tree), call its lookup here instead. */
static const char *helper_path(sync_plugin *sp, const agendad_config_node **at)
{
    const agendad_host *h = sp->host;
    *at = h->config_get(h->config(sp->self), "helper");
    const char *v = *at ? h->config_scalar(*at) : NULL;
    return v ? v : AGENDAD_SYNC_HELPER;
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
                      : !S_ISREG(st.st_mode)      ? "not a file"
                      : access(helper, X_OK) != 0 ? strerror(errno)
                                                  : NULL;
    if (why)
        h->check_error(c, at, "cannot start the calendar parser %s: %s%s", helper, why,
                       at ? "" : " (set \"helper\" to agendad-ical-import's path)");
}

#endif
