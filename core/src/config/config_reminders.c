/* agendad.yaml `reminders:`: when reminders are sent, retried or given up,
 * and which channels events use by default. */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400

bool ag_config_reminder_defaults(ag_reminder_settings *r)
{
    r->grace = 3600;
    r->horizon = 60 * (int64_t)DAY;
    r->check_interval = 60;
    r->retry_attempts = 8;
    r->retry_initial = 60;
    r->retry_max = 6 * 3600;
    r->channels = calloc(1, sizeof *r->channels);
    if (r->channels && (r->channels[0] = strdup("email")))
        r->n_channels = 1;
    return r->n_channels == 1;
}

void ag_config_reminder_settings_free(ag_reminder_settings *r)
{
    ag_config_free_strv(r->channels, r->n_channels);
    r->channels = NULL;
    r->n_channels = 0;
}

/* A duration within [min, max] seconds. */
static void load_span(ag_diags *d, const ag_config_node *n, const char *what, int64_t min,
                      int64_t max, int64_t *out)
{
    int64_t v;
    if (!n || !ag_config_duration(d, n, what, &v))
        return;
    if (v < min || v > max) {
        ag_config_err(d, &n->loc, "%s \"%s\" is out of range (from %llds to %llds)",
                      ag_i18n_what(what), n->scalar, (long long)min, (long long)max);
        return;
    }
    *out = v;
}

static void load_retry(ag_reminder_settings *r, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"attempts", "initial", "max", NULL};
    if (!ag_config_check_keys(d, n, keys, "reminders.retry"))
        return;
    long attempts;
    const ag_config_node *v = ag_config_node_get(n, "attempts");
    if (v && ag_config_int(d, v, "reminders.retry.attempts", 1, 100, &attempts))
        r->retry_attempts = (int)attempts;
    load_span(d, ag_config_node_get(n, "initial"), "reminders.retry.initial", 1, DAY,
              &r->retry_initial);
    load_span(d, ag_config_node_get(n, "max"), "reminders.retry.max", 1, 7 * (int64_t)DAY,
              &r->retry_max);
    if (r->retry_max < r->retry_initial)
        ag_config_err(d, &n->loc, "reminders.retry.max must not be shorter than initial");
}

void ag_config_load_reminders(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"grace", "horizon",  "check_interval",
                                       "retry", "channels", NULL};
    ag_reminder_settings *r = &s->reminders;
    if (!ag_config_check_keys(d, n, keys, "reminders"))
        return;
    load_span(d, ag_config_node_get(n, "grace"), "reminders.grace", 0, 7 * (int64_t)DAY, &r->grace);
    load_span(d, ag_config_node_get(n, "horizon"), "reminders.horizon", DAY, 366 * (int64_t)DAY,
              &r->horizon);
    load_span(d, ag_config_node_get(n, "check_interval"), "reminders.check_interval", 1, 3600,
              &r->check_interval);
    const ag_config_node *v = ag_config_node_get(n, "retry");
    if (v)
        load_retry(r, v, d);
    char **channels;
    size_t n_channels;
    v = ag_config_node_get(n, "channels");
    if (v && ag_config_string_list(d, v, "reminders.channels", &channels, &n_channels)) {
        ag_config_reminder_settings_free(r);
        r->channels = channels;
        r->n_channels = n_channels;
    }
}
