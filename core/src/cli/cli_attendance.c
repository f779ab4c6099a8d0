#include "cli_attendance.h"

#include "cli_error.h"
#include "clock.h"
#include "error.h"
#include "i18n.h"
#include "rsvp.h"
#include "rsvp_tally.h"
#include "store_rsvp.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "a,b,,c" into its non-empty items (pointers into *copy, which the caller
 * frees). */
static const char **split_ids(const char *s, char **copy, size_t *n)
{
    *n = 0;
    *copy = strdup(s ? s : "");
    const char **v = calloc(strlen(s ? s : "") / 2 + 2, sizeof *v);
    if (!*copy || !v) {
        free(v);
        return NULL;
    }
    for (char *save = NULL, *t = strtok_r(*copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        v[(*n)++] = t;
    return v;
}

static int record(ag_service *svc, const ag_stored_event *se, const ag_attendance_args *a,
                  FILE *out, FILE *err)
{
    char *pc = NULL, *ac = NULL, *msg = NULL;
    size_t np = 0, na = 0;
    const char **p = split_ids(a->present, &pc, &np), **ab = split_ids(a->absent, &ac, &na);
    int rc = p && ab ? ag_rsvp_attendance_record(svc->store, svc->cfg, &se->ev, a->occurrence, p,
                                                 np, ab, na, "cli", ag_clock_now(), &msg)
                     : AG_ENOMEM;
    if (rc < 0)
        ag_cli_error(err, "attendance", "%s\n", msg ? msg : ag_strerror(rc));
    else
        fprintf(out, _("attendance of %s recorded: %zu present, %zu absent\n"), se->ev.uid, np, na);
    free(msg);
    free(p);
    free(ab);
    free(pc);
    free(ac);
    return rc < 0 ? 1 : 0;
}

/* The occurrence a link is for: the one named, else the latest that has
 * started (the meeting just held), else the first. */
static int pick(const ag_event *ev, const char *date, ag_rsvp_occurrence *o, FILE *err)
{
    ag_rsvp_occurrence *v = NULL;
    size_t n = 0;
    int rc = ag_rsvp_occurrences(ev, &v, &n);
    if (rc < 0 || n == 0) {
        ag_cli_error(err, "attendance", _("event %s has no occurrence to record\n"), ev->uid);
        free(v);
        return 1;
    }
    int64_t now = ag_clock_now();
    size_t at = 0;
    bool found = !date;
    for (size_t i = 0; i < n; i++) {
        if (date && strcmp(v[i].date, date) == 0) {
            at = i;
            found = true;
        } else if (!date && v[i].start <= now) {
            at = i;
        }
    }
    if (!found)
        ag_cli_error(err, "attendance", _("event %s has no occurrence on %s\n"), ev->uid, date);
    else
        *o = v[at];
    free(v);
    return found ? 0 : 1;
}

static int print_link(ag_service *svc, const ag_stored_event *se, const ag_attendance_args *a,
                      FILE *out, FILE *err)
{
    ag_rsvp_occurrence o;
    if (pick(&se->ev, a->occurrence, &o, err) != 0)
        return 1;
    int64_t now = ag_clock_now(), from = o.end > now ? o.end : now;
    char *url = NULL, *msg = NULL;
    int rc = ag_rsvp_host_link(svc->store, ag_service_settings(svc)->base_url, se->ev.uid, o.date,
                               from + AG_RSVP_HOST_LINK_DAYS * 86400, &url, &msg);
    if (rc < 0)
        ag_cli_error(err, "attendance", "%s\n", msg ? msg : ag_strerror(rc));
    else
        fprintf(out, "%s\n", url);
    free(url);
    free(msg);
    return rc < 0 ? 1 : 0;
}

static int print_tally(ag_service *svc, const ag_stored_event *se, const ag_attendance_args *a,
                       FILE *out, FILE *err)
{
    ag_rsvp_tally t;
    char *msg = NULL, *csv = NULL;
    size_t len = 0;
    int rc = ag_rsvp_tally_event(svc->store, svc->cfg, &se->ev, a->occurrence, &t, &msg);
    if (rc == 0) {
        rc = ag_rsvp_tally_csv(&t, &csv, &len);
        ag_rsvp_tally_free(&t);
    }
    if (rc < 0)
        ag_cli_error(err, "attendance", "%s\n", msg ? msg : ag_strerror(rc));
    else
        fwrite(csv, 1, len, out);
    free(csv);
    free(msg);
    return rc < 0 ? 1 : 0;
}

int ag_cli_attendance(ag_service *svc, const ag_attendance_args *a, FILE *out, FILE *err)
{
    if (!a->uid) {
        ag_cli_error(err, "attendance", "%s",
                     _("name the event, e.g. agendad attendance --config DIR UID --present "
                       "fes,taza\n"));
        return 2;
    }
    if ((a->present || a->absent) && a->link) {
        ag_cli_error(err, "attendance", "%s",
                     _("--link prints the checklist link; mark attendance with --present and "
                       "--absent in another command\n"));
        return 2;
    }
    const ag_stored_event *se = ag_store_event_find(svc->evs, svc->n_evs, a->uid);
    if (!se || se->removed_at) {
        ag_cli_error(err, "attendance", _("no event \"%s\" in the configuration\n"), a->uid);
        return 1;
    }
    if (a->link)
        return print_link(svc, se, a, out, err);
    if (a->present || a->absent)
        return record(svc, se, a, out, err);
    return print_tally(svc, se, a, out, err);
}

static void utc(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%MZ", &tm);
}

static int list_keys(ag_service *svc, FILE *out, FILE *err)
{
    ag_store_rsvp_key *k = NULL;
    size_t n = 0;
    char *msg = NULL;
    if (ag_store_rsvp_keys(svc->store, &k, &n, &msg) < 0) {
        ag_cli_error(err, "rsvp-key", "%s\n", msg ? msg : _("cannot read the keys"));
        free(msg);
        return 1;
    }
    int64_t now = ag_clock_now();
    fprintf(out, "%-4s %-17s %s\n", "ID", "CREATED", "STATE");
    for (size_t i = 0; i < n; i++) {
        char created[32], retired[32];
        utc(k[i].created, created, sizeof created);
        utc(k[i].retired, retired, sizeof retired);
        if (k[i].retired == 0)
            fprintf(out, "%-4" PRId64 " %-17s %s\n", k[i].id, created,
                    i + 1 == n ? "signs" : "verifies");
        else
            fprintf(out, "%-4" PRId64 " %-17s %s %s\n", k[i].id, created,
                    now < k[i].retired ? "verifies until" : "retired", retired);
    }
    explicit_bzero(k, n * sizeof *k);
    free(k);
    return 0;
}

int ag_cli_rsvp_key(ag_service *svc, const char *action, const char *grace, FILE *out, FILE *err)
{
    if (action && strcmp(action, "list") == 0)
        return list_keys(svc, out, err);
    if (!action || strcmp(action, "rotate") != 0) {
        ag_cli_error(err, "rsvp-key", "%s",
                     _("say rotate or list, e.g. agendad rsvp-key --config DIR rotate\n"));
        return 2;
    }
    int64_t g = AG_RSVP_KEY_GRACE;
    if (grace && strcmp(grace, "0") != 0 && ag_config_duration_parse(grace, &g) < 0) {
        ag_cli_error(err, "rsvp-key", "%s",
                     _("--grace must be a duration such as 30d or 12h, or 0\n"));
        return 2;
    }
    if (grace && strcmp(grace, "0") == 0)
        g = 0;
    int64_t id = 0;
    char *msg = NULL;
    if (ag_rsvp_key_rotate(svc->store, ag_clock_now(), g, &id, &msg) < 0) {
        ag_cli_error(err, "rsvp-key", "%s\n", msg ? msg : _("cannot rotate the keys"));
        free(msg);
        return 1;
    }
    if (g)
        fprintf(out,
                _("key %lld signs from now on; the previous keys verify for the grace period\n"),
                (long long)id);
    else
        fprintf(out, _("key %lld signs from now on; the previous keys verify no longer\n"),
                (long long)id);
    return 0;
}
