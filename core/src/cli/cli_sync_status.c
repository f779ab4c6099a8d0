#include "cli_sync_status.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The sync plugin's keys, as the host namespaces plugin state. */
static char *field(ag_store *st, const char *member, const char *name)
{
    char key[300];
    snprintf(key, sizeof key, "plugin.sync.%s.%s", member, name);
    char *v = NULL;
    if (ag_store_meta_get(st, key, &v, NULL) < 0)
        return NULL;
    return v;
}

static void print_time(FILE *out, const char *label, const char *value)
{
    long long t = value ? strtoll(value, NULL, 10) : 0;
    if (t <= 0) {
        fprintf(out, "  %-13s never\n", label);
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[40];
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(out, "  %-13s %s\n", label, buf);
}

static void print_push(const ag_member *m, ag_store *st, FILE *out)
{
    static const char *const names[] = {"push_last_attempt", "push_last_success",
                                        "push_pushed",       "push_deleted",
                                        "push_conflicts",    "push_last_error"};
    char *v[6];
    for (size_t i = 0; i < 6; i++)
        v[i] = field(st, m->id, names[i]);
    print_time(out, "last push:", v[0]);
    print_time(out, "push success:", v[1]);
    fprintf(out, "  %-13s %s written, %s deleted, %s conflicts\n", "pushed:", v[2] ? v[2] : "0",
            v[3] ? v[3] : "0", v[4] ? v[4] : "0");
    fprintf(out, "  %-13s %s\n", "push error:", v[5] ? v[5] : "none");
    for (size_t i = 0; i < 6; i++)
        free(v[i]);
}

static void print_member(const ag_member *m, ag_store *st, FILE *out)
{
    fprintf(out, "%s\n", m->id);
    if (m->feed_url)
        fprintf(out, "  %-13s %s\n", "pulls", m->feed_url);
    if (m->sync.caldav_url)
        fprintf(out, "  %-13s %s\n", "pushes to", m->sync.caldav_url);
    char *attempt = field(st, m->id, "last_attempt");
    char *success = field(st, m->id, "last_success");
    char *events = field(st, m->id, "events");
    char *error = field(st, m->id, "last_error");
    print_time(out, "last attempt:", attempt);
    print_time(out, "last success:", success);
    fprintf(out, "  %-13s %s events\n", "imported:", events ? events : "0");
    fprintf(out, "  %-13s %s\n", "last error:", error ? error : "none");
    if (m->sync.caldav_url)
        print_push(m, st, out);
    free(attempt);
    free(success);
    free(events);
    free(error);
}

int ag_cli_sync_status_print(const ag_config *cfg, ag_store *st, FILE *out)
{
    int n = 0;
    for (size_t i = 0; i < cfg->n_members; i++) {
        const ag_member *m = &cfg->members[i];
        if (!m->feed_url && !m->sync.caldav_url)
            continue;
        if (n++)
            fputc('\n', out);
        print_member(m, st, out);
    }
    if (n == 0)
        fprintf(out, "no member has a feed_url or a caldav collection in members.yaml\n");
    return n;
}
