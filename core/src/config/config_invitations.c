/* agendad.yaml `invitations:` and `documents:`: the network's own facts for
 * invitations (its mailbox, how long replies are kept, the socket
 * `agendad mail-in` hands mail to and its group) and when an event's
 * minutes are due. */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400

bool ag_config_invitation_defaults(ag_settings *s)
{
    s->invitations_retention = 395 * (int64_t)DAY;
    s->minutes_due = 15 * (int64_t)DAY;
    s->mail_socket = strdup("/run/agendad/mail-in.sock");
    return s->mail_socket != NULL;
}

/* A bare mailbox: replies come back to local+TAG@domain, so the local part
 * may not hold a '+' of its own, and no display name or angle brackets. */
static bool mailbox_ok(const char *a, const char **why)
{
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@') || strpbrk(a, " \t\r\n<>,;\"()[]\\:")) {
        *why = _("write a bare address such as rsvp@network.example, without a name or <>");
        return false;
    }
    if (memchr(a, '+', (size_t)(at - a))) {
        *why = _("replies come back to the address with +TAG added before the @: its own "
                 "part before the @ may not hold a +");
        return false;
    }
    if (!strchr(at + 1, '.')) {
        *why = _("the domain after the @ needs a dot (network.example)");
        return false;
    }
    return true;
}

static void load_organizer(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    char *v = NULL;
    const char *why;
    if (!ag_config_string(d, n, "invitations.organizer", &v))
        return;
    if (!mailbox_ok(v, &why)) {
        ag_config_err(d, &n->loc, "invitations.organizer \"%s\" is not usable: %s", v, why);
        free(v);
        return;
    }
    for (char *p = v; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    free(s->invitations_organizer);
    s->invitations_organizer = v;
}

static void load_socket(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    char *v = NULL;
    if (!ag_config_string(d, n, "invitations.mail_socket", &v))
        return;
    if (v[0] != '/' || strlen(v) >= 108) {
        ag_config_err(d, &n->loc,
                      "invitations.mail_socket \"%s\" must be an absolute path of at most 107 "
                      "bytes (a unix socket's limit)",
                      v);
        free(v);
        return;
    }
    free(s->mail_socket);
    s->mail_socket = v;
}

/* A group name as useradd(8) takes it: the socket's group is looked up
 * when the daemon starts (the machine that checks may not have it). */
static void load_group(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    char *v = NULL;
    if (!ag_config_string(d, n, "invitations.mail_group", &v))
        return;
    size_t len = strlen(v);
    if (len == 0 || len > 32 || v[0] == '-' ||
        strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len) {
        ag_config_err(d, &n->loc,
                      "invitations.mail_group \"%s\" is no group name: lowercase letters, digits, "
                      "'_' and '-', at most 32, not starting with '-'",
                      v);
        free(v);
        return;
    }
    free(s->mail_group);
    s->mail_group = v;
}

/* A duration from min to max seconds. */
static void load_days(const ag_config_node *n, const char *what, int64_t min, int64_t max,
                      int64_t *out, ag_diags *d)
{
    int64_t v;
    if (!n || !ag_config_duration(d, n, what, &v))
        return;
    if (v < min || v > max) {
        ag_config_err(d, &n->loc, "%s \"%s\" is out of range (from %lld to %lld days)", what,
                      n->scalar, (long long)(min / DAY), (long long)(max / DAY));
        return;
    }
    *out = v;
}

void ag_config_load_invitations(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"organizer", "retention", "mail_socket", "mail_group", NULL};
    if (!ag_config_check_keys(d, n, keys, "invitations"))
        return;
    const ag_config_node *v = ag_config_node_get(n, "organizer");
    if (v)
        load_organizer(s, v, d);
    load_days(ag_config_node_get(n, "retention"), "invitations.retention", DAY, 3660 * (int64_t)DAY,
              &s->invitations_retention, d);
    if ((v = ag_config_node_get(n, "mail_socket")))
        load_socket(s, v, d);
    if ((v = ag_config_node_get(n, "mail_group")))
        load_group(s, v, d);
}

void ag_config_load_documents(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"minutes_due", NULL};
    if (!ag_config_check_keys(d, n, keys, "documents"))
        return;
    load_days(ag_config_node_get(n, "minutes_due"), "documents.minutes_due", DAY,
              366 * (int64_t)DAY, &s->minutes_due, d);
}
