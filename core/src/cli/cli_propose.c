#include "cli_propose.h"

#include "cli_error.h"
#include "config.h"
#include "error.h"
#include "i18n.h"
#include "schedule.h"
#include "store.h"
#include "tz.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int parse_format(const char *s, ag_schedule_format *fmt)
{
    static const char *const names[] = {"txt", "json", "ics"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s ? s : "txt", names[i]) == 0) {
            *fmt = (ag_schedule_format)i;
            return 0;
        }
    return AG_EINVAL;
}

/* The config's events as the store would give them: borrowed, live. */
static ag_stored_event *config_events(const ag_config *cfg)
{
    ag_stored_event *evs = calloc(cfg->n_events ? cfg->n_events : 1, sizeof *evs);
    for (size_t i = 0; evs && i < cfg->n_events; i++)
        evs[i].ev = cfg->events[i];
    return evs;
}

/* A daemon that opens the database while it is read as an immutable file
 * makes that read unreliable (ag_store_unchanged): read again. */
static int read_calendars(ag_schedule_input *in, const char *path, int64_t from, int64_t to,
                          char **err)
{
    struct stat sb;
    if (stat(path, &sb) < 0)
        return 0; /* no state yet: every member's calendar is unknown */
    for (int attempt = 0; attempt < 3; attempt++) {
        ag_store_options opt = {.readonly = true, .untouched = true};
        ag_store *st = NULL;
        int rc = ag_store_open_with(path, &opt, &st, err);
        if (rc < 0)
            return rc;
        rc = ag_schedule_input_load_calendars(in, st, from, to, err);
        bool stable = ag_store_unchanged(st);
        ag_store_close(st);
        if (rc < 0 || stable)
            return rc;
    }
    *err = strdup(_("the state database kept changing while it was read; try again"));
    return AG_EBUSY;
}

static int load_input(const char *config_dir, const ag_overrides *ov, const ag_schedule_query *q,
                      ag_schedule_input **in, FILE *errf)
{
    ag_config *cfg = NULL;
    ag_diags diags = {0};
    char *err = NULL;
    int rc = ag_config_load(config_dir, &cfg, &diags);
    if (rc < 0) {
        ag_diags_print(&diags, errf);
        ag_cli_error(errf, "propose", _("%s: the configuration has errors\n"), config_dir);
        ag_diags_free(&diags);
        return rc;
    }
    ag_diags_free(&diags);
    ag_stored_event *evs = config_events(cfg);
    rc = evs ? ag_schedule_input_new(cfg, evs, cfg->n_events, in, &err) : AG_ENOMEM;
    free(evs);
    if (rc == 0) {
        int64_t from, to;
        ag_schedule_query_window(*in, q, &from, &to);
        rc = read_calendars(*in, ov->state_path ? ov->state_path : cfg->settings.state_path, from,
                            to, &err);
    }
    if (rc < 0)
        ag_cli_error(errf, "propose", "%s\n", err ? err : ag_strerror(rc));
    free(err);
    ag_config_free(cfg);
    return rc;
}

static int answer(const ag_schedule_input *in, const ag_schedule_query *q, ag_schedule_format fmt,
                  const char *lang, FILE *out, FILE *errf)
{
    char *body = NULL, *err = NULL;
    size_t len = 0;
    int rc = ag_schedule_propose(in, q, fmt, lang, (int64_t)time(NULL), &body, &len, &err);
    if (rc < 0)
        ag_cli_error(errf, "propose", "%s\n", err ? err : ag_strerror(rc));
    else
        fwrite(body, 1, len, out);
    free(body);
    free(err);
    return rc == 0 ? 0 : rc == AG_EINVAL ? 2 : 1;
}

int ag_cli_propose(const char *config_dir, const ag_overrides *ov, const ag_propose_args *a,
                   FILE *out, FILE *errf)
{
    ag_schedule_format fmt;
    if (parse_format(a->format, &fmt) < 0) {
        ag_cli_error(errf, "propose", _("--format must be txt, json or ics, not \"%s\"\n"),
                     a->format);
        return 2;
    }
    if (a->lang && strcmp(a->lang, "ar") != 0 && strcmp(a->lang, "fr") != 0) {
        ag_cli_error(errf, "propose", _("--lang must be ar or fr, not \"%s\"\n"), a->lang);
        return 2;
    }
    ag_schedule_query q;
    char *err = NULL;
    int rc = ag_schedule_query_parse(a->names, a->values, a->n, &q, &err);
    if (rc < 0) {
        ag_cli_error(errf, "propose", "%s\n", err ? err : ag_strerror(rc));
        free(err);
        ag_schedule_query_free(&q);
        return rc == AG_EINVAL ? 2 : 1;
    }
    ag_tz_init();
    ag_schedule_input *in = NULL;
    int code =
        load_input(config_dir, ov, &q, &in, errf) < 0 ? 1 : answer(in, &q, fmt, a->lang, out, errf);
    ag_schedule_input_free(in);
    ag_schedule_query_free(&q);
    ag_tz_shutdown();
    return code;
}
