#include "cli_command.h"

#include "error.h"
#include "i18n.h"

#include "config.h"
#include "daemon_plugins.h"
#include "log.h"
#include "plugin_host.h"
#include "store.h"
#include "tz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the plugins may read: the config and their state (every key under
 * AG_PLUGIN_STATE_PREFIX, sorted), read once before they are loaded. */
typedef struct {
    const ag_config *cfg;
    char **keys, **values;
    size_t n;
    char *state_error; /* why the state could not be read, or NULL */
} command_ctx;

static const ag_config *ctx_config(void *data)
{
    return ((const command_ctx *)data)->cfg;
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp(key, *(char *const *)elem);
}

static int ctx_state_get(void *data, const char *key, char **value)
{
    const command_ctx *c = data;
    char **k = c->n ? bsearch(key, c->keys, c->n, sizeof *c->keys, cmp_key) : NULL;
    *value = NULL;
    if (k && !(*value = strdup(c->values[k - c->keys])))
        return AG_ENOMEM;
    return 0;
}

/* A daemon that opens the database while it is read as an immutable file
 * makes that read unreliable (ag_store_unchanged): it is read again, then
 * through the daemon's -wal. */
static void read_state(command_ctx *c, const char *path)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        ag_store_options opt = {.readonly = true, .untouched = true};
        ag_store *st = NULL;
        char *err = NULL;
        if (ag_store_open_with(path, &opt, &st, &err) < 0) {
            c->state_error = err ? err : strdup(_("cannot open the state"));
            return;
        }
        int rc = ag_store_meta_list(st, AG_PLUGIN_STATE_PREFIX, &c->keys, &c->values, &c->n, &err);
        bool stable = ag_store_unchanged(st);
        ag_store_close(st);
        if (rc < 0) {
            c->state_error = err ? err : strdup(_("cannot read the state"));
            return;
        }
        if (stable)
            return;
        ag_store_meta_list_free(c->keys, c->values, c->n);
        c->keys = c->values = NULL;
        c->n = 0;
    }
    c->state_error = strdup(_("the state database kept changing while it was read; try again"));
}

/* The plugins' log lines are the daemon's business: a command reports to
 * its user on stderr itself, so they show only with -v, and only once a
 * plugin is known to provide the command (else the renderer's run logs its
 * own). Held until then. The host's logv has no data pointer: a command
 * line runs one command, so one list. */
typedef struct {
    ag_log_level level;
    char *text;
} held_line;

static held_line *held;
static size_t n_held;
static int log_mode; /* 0: hold; 1: show (-v); 2: drop */

__attribute__((format(printf, 2, 0))) static void hold_logv(ag_log_level level, const char *fmt,
                                                            va_list ap)
{
    if (log_mode == 1)
        ag_logv(level, fmt, ap);
    if (log_mode != 0)
        return;
    char *text = NULL;
    held_line *more = realloc(held, (n_held + 1) * sizeof *held);
    if (!more || vasprintf(&text, fmt, ap) < 0) {
        if (more)
            held = more;
        return;
    }
    held = more;
    held[n_held++] = (held_line){level, text};
}

/* Shows (or drops) what was held, and what comes from now on likewise. */
static void release_held(bool show)
{
    for (size_t i = 0; i < n_held; i++) {
        if (show)
            ag_log(held[i].level, "%s", held[i].text);
        free(held[i].text);
    }
    free(held);
    held = NULL;
    n_held = 0;
    log_mode = show ? 1 : 2;
}

static bool valid_plugin_name(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

/* The configured plugins, and the one named like the command when the
 * config does not load it but the plugin directory has it: its commands
 * work also where the daemon does not run it. */
static ag_plugin_conf *plugin_list(const ag_settings *s, const char *dir, const char *name,
                                   size_t *n)
{
    ag_plugin_conf *confs = calloc(s->n_plugins + 1, sizeof *confs);
    if (!confs)
        return NULL;
    bool listed = false;
    for (size_t i = 0; i < s->n_plugins; i++) {
        confs[i] = s->plugins[i];
        listed = listed || strcmp(s->plugins[i].name, name) == 0;
    }
    *n = s->n_plugins;
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s.so", dir, name);
    if (!listed && valid_plugin_name(name) && len > 0 && (size_t)len < sizeof path &&
        access(path, R_OK) == 0)
        confs[(*n)++] = (ag_plugin_conf){.name = (char *)name};
    return confs;
}

static int run_command(ag_plugin_host *plugins, const ag_command_args *a, const command_ctx *c,
                       bool *found)
{
    const char *argv[] = {a->arg, NULL};
    agendad_command_request r = {.size = sizeof r,
                                 .argv = argv,
                                 .argc = a->arg ? 1 : 0,
                                 .format = a->format,
                                 .lang = a->lang,
                                 .out = stdout,
                                 .err = stderr,
                                 .state_error = c->state_error};
    int rc = ag_plugins_command(plugins, a->name, &r, found);
    fflush(stdout);
    return rc < 0 || rc > 255 ? 1 : rc;
}

static int load_and_run(const ag_config *cfg, const ag_overrides *ov, const ag_command_args *a,
                        command_ctx *c, bool *found)
{
    const ag_settings *s = &cfg->settings;
    read_state(c, ov->state_path ? ov->state_path : s->state_path);
    const char *dir = ov->plugin_dir ? ov->plugin_dir : s->plugin_dir;
    size_t n = 0;
    ag_plugin_conf *confs = plugin_list(s, dir, a->name, &n);
    uv_loop_t loop;
    if (!confs || uv_loop_init(&loop) != 0) {
        free(confs);
        return 1;
    }
    ag_plugin_services ps = {0};
    ag_daemon_plugin_services(&ps);
    ps.config = ctx_config;
    ps.state_get = ctx_state_get;
    ps.data = c;
    ps.logv = hold_logv;
    ps.command_line = true;
    ag_plugin_host *plugins = NULL;
    int rc = 1;
    if (ag_plugins_load(&loop, dir, confs, n, &ps, &plugins) == 0 &&
        ag_plugins_has_command(plugins, a->name)) {
        release_held(a->verbose);
        rc = run_command(plugins, a, c, found);
    }
    ag_plugins_fini(plugins);
    uv_run(&loop, UV_RUN_DEFAULT); /* plugins' close callbacks */
    ag_plugins_free(plugins);
    uv_loop_close(&loop);
    free(confs);
    release_held(false);
    return rc;
}

int ag_cli_command(const char *config_dir, const ag_overrides *ov, const ag_command_args *a,
                   bool *handled)
{
    *handled = false;
    ag_tz_init();
    ag_config *cfg = NULL;
    ag_diags diags = {0};
    int rc = 1;
    if (ag_config_load(config_dir, &cfg, &diags) < 0) {
        /* Without a config there is no knowing which plugins run: every
         * command stops here, as `check` would. */
        ag_diags_print(&diags, stderr);
        *handled = true;
    } else {
        command_ctx c = {.cfg = cfg};
        rc = load_and_run(cfg, ov, a, &c, handled);
        ag_store_meta_list_free(c.keys, c.values, c.n);
        free(c.state_error);
        ag_config_free(cfg);
    }
    ag_diags_free(&diags);
    ag_tz_shutdown();
    return rc;
}
