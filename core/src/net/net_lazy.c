#include "net_lazy.h"

#include "error.h"
#include "log.h"
#include "net_module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AGENDAD_NET_MODULE_RELDIR
#error "AGENDAD_NET_MODULE_RELDIR: the module's directory relative to the executable's"
#endif

struct ag_net_lazy {
    uv_loop_t *loop;
    ag_net *net; /* once the module is loaded and the first transfer asked for it */
};

/* Process-wide: a module loads once, and a failure is reported once. */
static const ag_net_module *module;
static bool load_failed;

/* dir/rel/file into out, or "" if it does not fit. */
static void join(char *out, size_t size, const char *dir, const char *rel, const char *file)
{
    int n = snprintf(out, size, "%s/%s%s%s", dir, rel, *rel ? "/" : "", file);
    if (n < 0 || (size_t)n >= size)
        out[0] = '\0';
}

/* Where the module is looked for, in order; "" where the executable's path
 * is unknown. */
static void module_paths(char *installed, char *beside, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
    installed[0] = beside[0] = '\0';
    if (!slash)
        return;
    *slash = '\0';
    join(installed, size, exe, AGENDAD_NET_MODULE_RELDIR, AG_NET_MODULE_FILE);
    join(beside, size, exe, "", AG_NET_MODULE_FILE);
}

/* The table of the module at path, or NULL with why in the log. */
static const ag_net_module *open_module(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        ag_log(AG_LOG_ERR, "network module not loaded: %s", dlerror());
        return NULL;
    }
    const ag_net_module *m = dlsym(h, AG_NET_MODULE_SYMBOL);
    if (!m || m->version != AG_NET_MODULE_VERSION || m->size != sizeof *m) {
        ag_log(AG_LOG_ERR,
               "network module not loaded: %s is not this agendad's (reinstall agendad)", path);
        dlclose(h);
        return NULL;
    }
    m->set_log(ag_logv);
    ag_log(AG_LOG_INFO, "network module loaded from %s", path);
    return m;
}

static const ag_net_module *load_module(void)
{
    if (module || load_failed)
        return module;
    char installed[PATH_MAX], beside[PATH_MAX];
    module_paths(installed, beside, sizeof installed);
    struct stat st;
    const char *path = stat(installed, &st) == 0 ? installed
                       : stat(beside, &st) == 0  ? beside
                                                 : NULL;
    if (path)
        module = open_module(path);
    else
        ag_log(AG_LOG_ERR,
               "network module not found: neither %s nor %s exists (reinstall agendad); "
               "plugins cannot fetch or send",
               installed[0] ? installed : "(executable's path unknown)",
               beside[0] ? beside : "(executable's path unknown)");
    load_failed = !module;
    return module;
}

int ag_net_lazy_new(uv_loop_t *loop, ag_net_lazy **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return AG_ENOMEM;
    (*out)->loop = loop;
    return 0;
}

void ag_net_lazy_free(ag_net_lazy *l)
{
    if (!l)
        return;
    if (l->net)
        module->destroy(l->net);
    free(l);
}

/* The client, created on first use. */
static ag_net *client(ag_net_lazy *l, int *rc)
{
    *rc = 0;
    if (l->net)
        return l->net;
    if (!load_module()) {
        *rc = AG_ENOENT;
        return NULL;
    }
    /* The codes are errno values, and the line has always given libc's
     * words for them. */
    if ((*rc = module->create(l->loop, &l->net)) < 0)
        ag_log(AG_LOG_ERR, "network client not started (%s): this transfer fails",
               ag_err_errno(-*rc));
    return l->net;
}

/* What both transfer kinds do first: no handle yet, and the client (loaded
 * now if this is the first transfer), or NULL with *rc set. */
static ag_net *begin(ag_net_lazy *l, ag_net_xfer **out_handle, int *rc)
{
    *rc = AG_EINVAL;
    if (out_handle)
        *out_handle = NULL;
    return l ? client(l, rc) : NULL;
}

int ag_net_lazy_http(ag_net_lazy *l, const ag_net_http_req *req, ag_net_done_fn done, void *data,
                     ag_net_xfer **out_handle)
{
    int rc;
    ag_net *n = begin(l, out_handle, &rc);
    return n ? module->http(n, req, done, data, out_handle) : rc;
}

int ag_net_lazy_smtp(ag_net_lazy *l, const ag_net_smtp_req *req, ag_net_done_fn done, void *data,
                     ag_net_xfer **out_handle)
{
    int rc;
    ag_net *n = begin(l, out_handle, &rc);
    return n ? module->smtp(n, req, done, data, out_handle) : rc;
}

void ag_net_lazy_cancel(ag_net_xfer *x)
{
    /* A transfer exists only once the module does. */
    if (x && module)
        module->cancel(x);
}
