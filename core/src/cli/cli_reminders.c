#include "cli_reminders.h"

#include "error.h"

#include "cli_error.h"
#include "i18n.h"

#include "clock.h"
#include "store_outbox.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse_filter(const char *s, ag_outbox_state *out)
{
    *out = AG_OUT_ANY_;
    if (!s || strcmp(s, "all") == 0)
        return 0;
    for (int i = 0; i < AG_OUT_ANY_; i++)
        if (strcmp(s, ag_store_outbox_state_name((ag_outbox_state)i)) == 0) {
            *out = (ag_outbox_state)i;
            return 0;
        }
    return AG_EINVAL;
}

static void utc(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%MZ", &tm);
}

static void print_row(FILE *out, const ag_outbox_row *r)
{
    char occ[32], due[32];
    utc(r->occurrence, occ, sizeof occ);
    utc(r->due, due, sizeof due);
    fprintf(out, "%-6lld %-8s %-8s %-8s %-32s %-17s %-8lld %-17s %-36s %-3d %s\n", (long long)r->id,
            ag_store_outbox_state_name(r->state), ag_store_outbox_kind_name(r->kind), r->channel,
            r->uid, occ, (long long)r->lead, due,
            r->address  ? r->address
            : r->member ? r->member
                        : "-",
            r->attempts, r->last_error ? r->last_error : "");
}

static int list(ag_service *svc, ag_outbox_state st, FILE *out, FILE *err)
{
    ag_outbox_row *rows;
    size_t n;
    char *msg = NULL;
    if (ag_store_outbox_list(svc->store, st, &rows, &n, &msg) < 0) {
        ag_cli_error(err, "reminders", "%s\n", msg);
        free(msg);
        return 1;
    }
    fprintf(out, "%-6s %-8s %-8s %-8s %-32s %-17s %-8s %-17s %-36s %-3s %s\n", "ID", "STATE",
            "KIND", "CHANNEL", "EVENT", "OCCURRENCE", "LEAD(s)", "DUE", "RECIPIENT", "TRY",
            "LAST ERROR");
    for (size_t i = 0; i < n; i++)
        print_row(out, &rows[i]);
    ag_store_outbox_rows_free(rows, n);
    return 0;
}

static int retry(ag_service *svc, const char *id_text, FILE *out, FILE *err)
{
    char *end;
    long long id = strtoll(id_text, &end, 10);
    if (*end || end == id_text) {
        ag_cli_error(err, "reminders", "%s", _("--retry takes a reminder ID (first column)\n"));
        return 2;
    }
    bool found = false;
    char *msg = NULL;
    if (ag_store_outbox_retry(svc->store, id, 0, &found, &msg) < 0) {
        ag_cli_error(err, "reminders", "%s\n", msg);
        free(msg);
        return 1;
    }
    if (!found) {
        ag_cli_error(err, "reminders", _("no failed or missed reminder with ID %lld\n"), id);
        return 1;
    }
    /* The running daemon picks it up at its next wake (check_interval). */
    fprintf(out, _("reminder %lld is pending again\n"), id);
    return 0;
}

int ag_cli_reminders(ag_service *svc, const char *filter, const char *retry_id, FILE *out,
                     FILE *err)
{
    if (retry_id)
        return retry(svc, retry_id, out, err);
    ag_outbox_state st;
    if (parse_filter(filter, &st) < 0) {
        ag_cli_error(err, "reminders",
                     _("\"%s\" is not a state: write pending, sent, failed, missed, dropped or "
                       "all\n"),
                     filter);
        return 2;
    }
    return list(svc, st, out, err);
}
