/* Attendance: marks recorded from the command line or the host's
 * checklist, and the checklist's signed link,
 *
 *   <uid in base64url>.<YYYY-MM-DD>.<expires>.<key>.<mac>
 *
 * mac: HMAC over ("host", uid, date, expires), 128 bits in base64url. */
#include "rsvp_tally.h"

#include "clock.h"
#include "config_network.h"
#include "i18n.h"
#include "rsvp_internal.h"
#include "store_rsvp.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAC_BYTES = 16, MAC_CHARS = 22, UID_MAX = 255 };

static const char what[] = "cannot record attendance";

/* What the admin asked for is not possible (a mistyped member, a date the
 * event does not have): said in the admin's language, as one sentence.
 * Other failures are the daemon's, and reach its log in English. */
static int refuse(char **err, const char *why)
{
    /* TRANSLATORS: %s is the reason, one of the messages that follow
     * (event … has no occurrence on …, no member …). */
    if (err && asprintf(err, _("cannot record attendance: %s"), why) < 0)
        *err = NULL;
    return AG_EINVAL;
}

/* The occurrence of ev on date (NULL: a one-off event's only one). */
static int find_occurrence(const ag_event *ev, const char *date, ag_rsvp_occurrence *out,
                           char **err)
{
    ag_rsvp_occurrence *v = NULL;
    size_t n = 0;
    int rc = ag_rsvp_occurrences(ev, &v, &n);
    char msg[512];
    if (rc < 0) {
        snprintf(msg, sizeof msg, "event %s: its occurrences cannot be computed (%s)", ev->uid,
                 ag_strerror(rc));
        return ag_rsvp_fail(err, rc, what, msg);
    }
    rc = AG_EINVAL;
    if (!date && n == 1) {
        *out = v[0];
        rc = 0;
    }
    for (size_t i = 0; date && rc < 0 && i < n; i++)
        if (strcmp(v[i].date, date) == 0) {
            *out = v[i];
            rc = 0;
        }
    if (rc < 0 && !date && n)
        snprintf(msg, sizeof msg,
                 _("event %s is a series: name the occurrence by its date (--occurrence "
                   "YYYY-MM-DD; its first is %s)"),
                 ev->uid, v[0].date);
    else if (rc < 0 && !date)
        snprintf(msg, sizeof msg,
                 _("event %s is a series: name the occurrence by its date (--occurrence "
                   "YYYY-MM-DD; its first is none)"),
                 ev->uid);
    else if (rc < 0)
        snprintf(msg, sizeof msg, _("event %s has no occurrence on %s"), ev->uid, date);
    free(v);
    return rc < 0 ? refuse(err, msg) : 0;
}

/* One mark from an id: a member's, or an address invited to the event
 * (which the message does not repeat: addresses stay out of output). */
static int mark_of(ag_store *st, const ag_config *cfg, const char *uid, const char *id, size_t i,
                   bool present, ag_store_attendance_mark *m, char **owned, char **err)
{
    char msg[512];
    *m = (ag_store_attendance_mark){.member = id, .address = "", .present = present};
    if (!strchr(id, '@')) {
        if (ag_config_member(cfg, id))
            return 0;
        snprintf(msg, sizeof msg, _("no member \"%.64s\" in members.yaml"), id);
        return refuse(err, msg);
    }
    ag_invitation iv = {0};
    bool found = false;
    int rc = ag_store_invitation_find(st, uid, id, &iv, &found, err);
    if (rc == 0 && !found) {
        /* TRANSLATORS: --%s is the option as typed (--present or
         * --absent), the last %s the event's uid. */
        snprintf(msg, sizeof msg, _("address number %zu of --%s was not invited to %s"), i + 1,
                 present ? "present" : "absent", uid);
        rc = refuse(err, msg);
    }
    if (rc == 0) {
        owned[0] = iv.member ? strdup(iv.member) : strdup("");
        owned[1] = strdup(iv.address);
        m->member = owned[0];
        m->address = owned[1];
        if (!owned[0] || !owned[1])
            rc = ag_rsvp_fail(err, AG_ENOMEM, what, "out of memory");
    }
    ag_invitation_clear(&iv);
    return rc;
}

static bool same_mark(const ag_store_attendance_mark *a, const ag_store_attendance_mark *b)
{
    return strcmp(a->member, b->member) == 0 && strcmp(a->address, b->address) == 0;
}

int ag_rsvp_attendance_record(ag_store *st, const ag_config *cfg, const ag_event *ev,
                              const char *date, const char *const *present, size_t n_present,
                              const char *const *absent, size_t n_absent, const char *via,
                              int64_t now, char **err)
{
    if (err)
        *err = NULL;
    ag_rsvp_occurrence occ;
    int rc = find_occurrence(ev, date, &occ, err);
    if (rc < 0)
        return rc;
    size_t n = n_present + n_absent;
    ag_store_attendance_mark *marks = calloc(n ? n : 1, sizeof *marks);
    char **owned = calloc(2 * (n ? n : 1), sizeof *owned);
    if (!marks || !owned)
        rc = ag_rsvp_fail(err, AG_ENOMEM, what, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bool p = i < n_present;
        rc = mark_of(st, cfg, ev->uid, p ? present[i] : absent[i - n_present],
                     p ? i : i - n_present, p, &marks[i], &owned[2 * i], err);
        for (size_t j = 0; rc == 0 && j < i; j++)
            if (same_mark(&marks[i], &marks[j]) && marks[i].present != marks[j].present)
                rc = refuse(err, _("the same member or address is both present and absent"));
    }
    if (rc == 0)
        rc =
            ag_store_rsvp_attendance_set(st, ev->uid, occ.date, occ.start, marks, n, via, now, err);
    for (size_t i = 0; owned && i < 2 * n; i++)
        free(owned[i]);
    free(owned);
    free(marks);
    return rc;
}

/* ---- the host's checklist link ---- */

static int host_mac(const ag_store_rsvp_key *k, const char *uid, const char *date, int64_t expires,
                    char out[MAC_CHARS + 1])
{
    char exp[24];
    snprintf(exp, sizeof exp, "%" PRId64, expires);
    const char *parts[] = {"host", uid, date, exp};
    unsigned char mac[AG_SHA256_BYTES];
    int rc = ag_rsvp_mac(k, parts, 4, mac);
    if (rc == 0)
        ag_rsvp_b64url(mac, MAC_BYTES, out);
    return rc;
}

int ag_rsvp_host_link(ag_store *st, const char *base_url, const char *uid, const char *date,
                      int64_t expires, char **url, char **err)
{
    static const char hwhat[] = "cannot make a checklist link";
    *url = NULL;
    if (err)
        *err = NULL;
    size_t ulen = strlen(uid);
    if (ulen > UID_MAX || strlen(date) != 10)
        return ag_rsvp_fail(err, AG_EINVAL, hwhat, "the uid or the date is malformed");
    char u64[4 * (UID_MAX + 2) / 3 + 1], mac[MAC_CHARS + 1];
    ag_rsvp_b64url((const unsigned char *)uid, ulen, u64);
    ag_store_rsvp_key k;
    int rc = ag_rsvp_signing_key(st, ag_clock_now(), &k, err);
    if (rc < 0)
        return rc;
    rc = host_mac(&k, uid, date, expires, mac);
    if (rc == 0 && asprintf(url, "%s/attendance/%s.%s.%" PRId64 ".%" PRId64 ".%s",
                            base_url ? base_url : "", u64, date, expires, k.id, mac) < 0) {
        *url = NULL;
        rc = AG_ENOMEM;
    }
    explicit_bzero(&k, sizeof k);
    return rc < 0 ? ag_rsvp_fail(err, rc, hwhat, ag_strerror(rc)) : 0;
}

typedef struct {
    char uid[UID_MAX + 2];
    char date[11];
    int64_t expires, kid;
    char mac[MAC_CHARS + 1];
} parsed_host;

static bool parse_host(const char *token, parsed_host *p)
{
    const char *f[5];
    size_t len[5];
    const char *s = token;
    for (size_t i = 0; i < 5; i++) {
        const char *dot = strchr(s, '.');
        if ((dot != NULL) != (i < 4))
            return false;
        f[i] = s;
        len[i] = dot ? (size_t)(dot - s) : strlen(s);
        s = dot ? dot + 1 : s;
    }
    size_t ulen = 0;
    unsigned char uid[UID_MAX + 4];
    if (len[0] > 4 * (UID_MAX + 2) / 3 || !ag_rsvp_b64url_decode(f[0], len[0], uid, &ulen) ||
        ulen == 0 || ulen > UID_MAX || memchr(uid, '\0', ulen) || len[1] != 10 ||
        !ag_rsvp_parse_int(f[2], len[2], &p->expires) ||
        !ag_rsvp_parse_int(f[3], len[3], &p->kid) || len[4] != MAC_CHARS)
        return false;
    memcpy(p->uid, uid, ulen + 1);
    memcpy(p->date, f[1], 10);
    p->date[10] = '\0';
    memcpy(p->mac, f[4], MAC_CHARS);
    p->mac[MAC_CHARS] = '\0';
    return true;
}

int ag_rsvp_host_link_check(ag_store *st, const char *token, int64_t now, char **uid, char **date,
                            ag_rsvp_verdict *verdict, char **err)
{
    *uid = *date = NULL;
    *verdict = AG_RSVP_TAMPERED;
    if (err)
        *err = NULL;
    parsed_host p;
    if (!token || strlen(token) > 512 || !parse_host(token, &p))
        return 0;
    ag_store_rsvp_key k;
    bool found = false;
    int rc = ag_store_rsvp_key_get(st, p.kid, &k, &found, err);
    if (rc < 0 || !found)
        return rc;
    char want[MAC_CHARS + 1];
    rc = host_mac(&k, p.uid, p.date, p.expires, want);
    bool retired = k.retired != 0 && now >= k.retired;
    explicit_bzero(&k, sizeof k);
    if (rc < 0)
        return ag_rsvp_fail(err, rc, "cannot check a checklist link", ag_strerror(rc));
    if (!ag_const_equal(want, p.mac, MAC_CHARS))
        return 0;
    if (retired || now >= p.expires) {
        *verdict = AG_RSVP_EXPIRED;
        return 0;
    }
    *uid = strdup(p.uid);
    *date = strdup(p.date);
    if (!*uid || !*date) {
        free(*uid);
        free(*date);
        *uid = *date = NULL;
        return ag_rsvp_fail(err, AG_ENOMEM, "cannot check a checklist link", "out of memory");
    }
    *verdict = AG_RSVP_VALID;
    return 0;
}
