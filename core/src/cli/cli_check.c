#include "cli_check.h"

#include "daemon_plugins.h"
#include "log.h"
#include "plugin_host.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct {
    const ag_config *cfg;
    ag_diags *diags;
} check_ctx;

static const ag_config *ctx_config(void *data)
{
    return ((const check_ctx *)data)->cfg;
}

static void on_left_out(void *data, const ag_plugin_conf *conf, const char *why)
{
    check_ctx *c = data;
    ag_diags_add(c->diags, conf->loc.file, conf->loc.line, conf->loc.col,
                 "plugin \"%s\" would be left out: %s", conf->name, why);
}

/* The plugins' log lines (and the host's about them) are the daemon's
 * business: `check` reports through its diagnostics, so they show only
 * with -v. The host's logv has no data pointer; a command line runs one
 * check. */
static bool show_log;

__attribute__((format(printf, 2, 0))) static void check_logv(ag_log_level level, const char *fmt,
                                                             va_list ap)
{
    if (show_log)
        ag_logv(level, fmt, ap);
}

size_t ag_cli_check_plugins(const ag_config *cfg, const ag_overrides *ov, bool verbose,
                            ag_diags *diags)
{
    const ag_settings *s = &cfg->settings;
    if (s->n_plugins == 0)
        return 0;
    size_t before = ag_diags_count(diags);
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        ag_diags_add(diags, NULL, 0, 0, "cannot load the plugins to check their settings");
        return ag_diags_count(diags) - before;
    }
    check_ctx c = {.cfg = cfg, .diags = diags};
    ag_plugin_services ps = {0};
    ag_daemon_plugin_services(&ps);
    ps.config = ctx_config;
    ps.data = &c;
    ps.logv = check_logv;
    ps.command_line = true;
    ps.left_out = on_left_out;
    show_log = verbose;
    const char *dir = ov->plugin_dir ? ov->plugin_dir : s->plugin_dir;
    ag_plugin_host *plugins = NULL;
    if (ag_plugins_load(&loop, dir, s->plugins, s->n_plugins, &ps, &plugins) < 0)
        ag_diags_add(diags, NULL, 0, 0, "out of memory while loading the plugins");
    else
        ag_plugins_check(plugins, cfg, diags);
    ag_plugins_fini(plugins);
    uv_run(&loop, UV_RUN_DEFAULT); /* plugins' close callbacks */
    ag_plugins_free(plugins);
    uv_loop_close(&loop);
    return ag_diags_count(diags) - before;
}
