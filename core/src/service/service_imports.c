#include "service_imports.h"

#include "feed.h"

#include "digest.h"
#include "config_network.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Long enough for any real uid (Outlook's are ~100 bytes), short enough
 * for a URL segment and a file name in `agendad export`. */
#define MAX_ESCAPED_UID 200

static bool plain_uid_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
}

static char *hashed_uid(const char *member, const char *source_uid)
{
    unsigned char md[AG_SHA256_BYTES];
    if (ag_sha256(source_uid, strlen(source_uid), NULL, 0, md) != 0)
        return NULL;
    char hex[2 * AG_SHA256_BYTES + 1];
    ag_hex(md, sizeof md, hex);
    char *out = NULL;
    return asprintf(&out, "%s:sha256-%s", member, hex) < 0 ? NULL : out;
}

char *ag_service_import_uid(const char *member, const char *source_uid)
{
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)source_uid; *p; p++)
        len += plain_uid_char(*p) ? 1 : 3;
    if (len > MAX_ESCAPED_UID)
        return hashed_uid(member, source_uid);
    size_t ml = strlen(member);
    char *out = malloc(ml + 1 + len + 1);
    if (!out)
        return NULL;
    char *w = out + ml + 1;
    memcpy(out, member, ml);
    out[ml] = ':';
    /* By hand rather than sprintf per byte: a pull converts every uid of
     * the member's feed on the loop. */
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)source_uid; *p; p++) {
        if (plain_uid_char(*p)) {
            *w++ = (char)*p;
            continue;
        }
        *w++ = '~';
        *w++ = hex[*p >> 4];
        *w++ = hex[*p & 15];
    }
    *w = '\0';
    return out;
}

static bool names_category(const ag_category *c, const char *name)
{
    return strcasecmp(c->id, name) == 0 || (c->name.ar && strcmp(c->name.ar, name) == 0) ||
           (c->name.fr && strcasecmp(c->name.fr, name) == 0);
}

static bool category_named(const agendad_source_event *ev, const ag_category *c)
{
    for (size_t i = 0; i < ev->n_categories; i++)
        if (ev->categories[i] && names_category(c, ev->categories[i]))
            return true;
    return false;
}

/* Configured ids joined by spaces (ids never contain one). */
static char *match_categories(const ag_config *cfg, const agendad_source_event *ev)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < cfg->n_categories; i++)
        if (category_named(ev, &cfg->categories[i]))
            fprintf(f, "%s%s", ftell(f) > 0 ? " " : "", cfg->categories[i].id);
    fclose(f);
    return out;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool dup_text(ag_text *t, const char *ar, const char *fr)
{
    t->ar = dup_or_null(ar);
    t->fr = dup_or_null(fr);
    return (!ar || t->ar) && (!fr || t->fr);
}

static ag_status status_from_source(agendad_status s)
{
    switch (s) {
    case AGENDAD_STATUS_TENTATIVE:
        return AG_STATUS_TENTATIVE;
    case AGENDAD_STATUS_CANCELLED:
        return AG_STATUS_CANCELLED;
    default:
        return AG_STATUS_CONFIRMED;
    }
}

static bool covers(const agendad_source_event *ev, size_t end)
{
    return ev->size >= end;
}

static bool valid_related(agendad_trigger t)
{
    return t == AGENDAD_TRIGGER_START || t == AGENDAD_TRIGGER_END || t == AGENDAD_TRIGGER_ABSOLUTE;
}

static int add_source_alarms(ag_private *dst, const agendad_source_event *ev)
{
    if (ev->n_alarms && !ev->alarms)
        return AG_EINVAL;
    for (size_t i = 0; i < ev->n_alarms; i++) {
        const agendad_source_alarm *a = &ev->alarms[i];
        if (!a->action || !valid_related(a->related))
            return AG_EINVAL;
        int rc = ag_private_add_alarm(dst, a->action, (ag_trigger_kind)a->related, a->trigger,
                                      a->description, a->summary);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int add_source_attendees(ag_private *dst, const agendad_source_event *ev)
{
    if (ev->n_attendees && !ev->attendees)
        return AG_EINVAL;
    for (size_t i = 0; i < ev->n_attendees; i++) {
        const agendad_source_attendee *a = &ev->attendees[i];
        if (!a->address || !*a->address)
            return AG_EINVAL;
        int rc = ag_private_add_attendee(dst, a->address, a->cn, a->partstat, a->role);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Reads only what ev->size covers; an attendee without an address or an
 * alarm without an action makes it AG_EINVAL (the host checked already). */
static int private_from_source(ag_private *dst, const agendad_source_event *ev)
{
    memset(dst, 0, sizeof *dst);
    if (!covers(ev, offsetof(agendad_source_event, n_alarms) + sizeof ev->n_alarms))
        return 0;
    int rc = add_source_attendees(dst, ev);
    if (rc == 0)
        rc = add_source_alarms(dst, ev);
    if (rc < 0)
        ag_private_free(dst);
    return rc;
}

int ag_service_import_row_from_source(const ag_config *cfg, const char *member,
                                      const agendad_source_event *ev, ag_import_row *out)
{
    memset(out, 0, sizeof *out);
    out->start = ev->start;
    out->end = ev->end;
    out->all_day = ev->all_day;
    out->status = status_from_source(ev->status);
    out->uid = ag_service_import_uid(member, ev->uid);
    out->member = strdup(member);
    out->categories = match_categories(cfg, ev);
    int rc = out->uid && out->member && out->categories ? private_from_source(&out->priv, ev)
                                                        : AG_ENOMEM;
    if (rc == 0 && !(dup_text(&out->title, ev->title_ar, ev->title_fr) &&
                     dup_text(&out->description, ev->description_ar, ev->description_fr) &&
                     dup_text(&out->location, ev->location_ar, ev->location_fr)))
        rc = AG_ENOMEM;
    if (rc == 0)
        return 0;
    free(out->uid);
    free(out->member);
    free(out->categories);
    ag_text_free(&out->title);
    ag_text_free(&out->description);
    ag_text_free(&out->location);
    ag_private_free(&out->priv);
    memset(out, 0, sizeof *out);
    return rc;
}

static ag_datetime utc_wall(int64_t t, bool is_date)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    ag_datetime dt = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0, is_date};
    if (!is_date) {
        dt.hour = tm.tm_hour;
        dt.minute = tm.tm_min;
        dt.second = tm.tm_sec;
    }
    return dt;
}

static int split_ids(const char *s, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s || !*s)
        return 0;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ' ';
    *out = calloc(cap, sizeof **out);
    if (!*out)
        return AG_ENOMEM;
    for (const char *p = s; *p;) {
        size_t len = strcspn(p, " ");
        if (len && !((*out)[(*n)++] = strndup(p, len)))
            return AG_ENOMEM;
        p += len + (p[len] == ' ');
    }
    return 0;
}

/* The model's all-day end is the inclusive last day. */
static void set_times(ag_event *ev, const ag_import_row *r)
{
    ev->start = utc_wall(r->start, r->all_day);
    int64_t end = r->all_day && r->end > r->start ? r->end - 86400 : r->end;
    ev->end = utc_wall(end, r->all_day);
}

static int row_to_event(const ag_import_row *r, ag_stored_event *out)
{
    ag_event *ev = &out->ev;
    set_times(ev, r);
    ev->status = r->status;
    ev->visibility = AG_VIS_PUBLIC;
    out->sequence = r->sequence;
    out->created = r->created;
    out->last_modified = r->last_modified;
    out->removed_at = r->removed_at;
    ev->uid = strdup(r->uid);
    ev->tzid = strdup("UTC");
    ev->host = strdup(r->member);
    out->imported_from = strdup(r->member);
    bool ok = ev->uid && ev->tzid && ev->host && out->imported_from &&
              dup_text(&ev->title, r->title.ar, r->title.fr) &&
              dup_text(&ev->description, r->description.ar, r->description.fr) &&
              dup_text(&ev->location, r->location.ar, r->location.fr) &&
              split_ids(r->categories, &ev->categories, &ev->n_categories) == 0 &&
              ag_private_copy(&out->priv, &r->priv) == 0;
    return ok ? 0 : AG_ENOMEM;
}

int ag_service_import_rows_convert(const ag_import_row *rows, size_t n, ag_stored_event *out)
{
    for (size_t i = 0; i < n; i++) {
        int rc = row_to_event(&rows[i], &out[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ag_service_import_rows_to_events(const ag_import_row *rows, size_t n, ag_stored_event **out)
{
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return AG_ENOMEM;
    int rc = ag_service_import_rows_convert(rows, n, *out);
    if (rc == 0)
        return 0;
    ag_store_events_free(*out, n);
    *out = NULL;
    return rc;
}

/* First index whose uid is >= prefix: a uid that is not prefixed but
 * sorts at or after prefix sorts after every prefixed one. */
static size_t lower_bound(const ag_stored_event *v, size_t n, const char *prefix)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].ev.uid, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool ag_service_imports_member_run(const ag_stored_event *all, size_t n, const char *member,
                                   size_t *lo, size_t *hi)
{
    char *prefix = NULL;
    if (asprintf(&prefix, "%s:", member) < 0)
        return false;
    size_t plen = strlen(prefix);
    *lo = *hi = lower_bound(all, n, prefix);
    while (*hi < n && strncmp(all[*hi].ev.uid, prefix, plen) == 0)
        (*hi)++;
    free(prefix);
    return true;
}

/* Room for the run [lo, hi) of *all to become n_fresh long; nothing
 * moves yet, so that a failure leaves *all as it was. */
static int reserve_run(ag_stored_event **all, size_t n_all, size_t lo, size_t hi, size_t n_fresh)
{
    size_t n = n_all - (hi - lo) + n_fresh;
    ag_stored_event *v = n > n_all ? realloc(*all, n * sizeof *v) : *all;
    if (!v)
        return AG_ENOMEM;
    *all = v;
    return 0;
}

/* Moves the tail behind [lo, hi) to lo + n_fresh and copies fresh in. */
static void replace_run(ag_stored_event *all, size_t *n_all, size_t lo, size_t hi,
                        const ag_stored_event *fresh, size_t n_fresh)
{
    if (hi != lo + n_fresh) /* a pull that kept its count moves nothing */
        memmove(all + lo + n_fresh, all + hi, (*n_all - hi) * sizeof *all);
    memcpy(all + lo, fresh, n_fresh * sizeof *all);
    *n_all = *n_all - (hi - lo) + n_fresh;
}

int ag_service_imports_splice_view(ag_stored_event **view, size_t *n_view, size_t lo, size_t hi,
                                   const ag_stored_event *fresh, size_t n_fresh)
{
    int rc = reserve_run(view, *n_view, lo, hi, n_fresh);
    if (rc < 0)
        return rc;
    replace_run(*view, n_view, lo, hi, fresh, n_fresh);
    return 0;
}

void ag_service_imports_free_contents(ag_stored_event *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ag_event_free(&v[i].ev);
        free(v[i].imported_from);
        ag_private_free(&v[i].priv);
    }
}

int ag_service_run_copy_start(ag_run_copy *c, const ag_stored_event *src, size_t n_src,
                              const char *member, const ag_stored_event *fresh, size_t n_fresh,
                              ag_event_buf *spare)
{
    memset(c, 0, sizeof *c);
    if (!ag_service_imports_member_run(src, n_src, member, &c->lo, &c->hi))
        return AG_ENOMEM;
    c->src = src;
    c->n_src = n_src;
    c->fresh = fresh;
    c->n_fresh = n_fresh;
    c->n_dst = n_src - (c->hi - c->lo) + n_fresh;
    if (spare->cap < c->n_dst) {
        free(spare->v);
        spare->cap = c->n_dst + c->n_dst / 4 + 1024;
        spare->v = malloc(spare->cap * sizeof *spare->v);
        if (!spare->v) {
            spare->cap = 0;
            return AG_ENOMEM;
        }
    }
    c->dst = spare->v;
    c->cap = spare->cap;
    *spare = (ag_event_buf){NULL, 0};
    return 0;
}

/* Where dst[i] comes from, and how many after it come from the same place. */
static const ag_stored_event *copy_source(const ag_run_copy *c, size_t i, size_t *run)
{
    size_t end_fresh = c->lo + c->n_fresh;
    if (i < c->lo) {
        *run = c->lo - i;
        return c->src + i;
    }
    if (i < end_fresh) {
        *run = end_fresh - i;
        return c->fresh + (i - c->lo);
    }
    *run = c->n_dst - i;
    return c->src + c->hi + (i - end_fresh);
}

bool ag_service_run_copy_step(ag_run_copy *c, size_t max)
{
    while (max > 0 && c->done < c->n_dst) {
        size_t run;
        const ag_stored_event *from = copy_source(c, c->done, &run);
        if (run > max)
            run = max;
        memcpy(c->dst + c->done, from, run * sizeof *from);
        c->done += run;
        max -= run;
    }
    return c->done == c->n_dst;
}

/* In place (realloc, memmove): a fresh 20 MB array per pull cost more in
 * page faults than the copy itself. */
int ag_service_imports_splice(ag_stored_event **all, size_t *n_all, const char *member,
                              ag_stored_event *fresh, size_t n_fresh)
{
    size_t lo, hi;
    if (!ag_service_imports_member_run(*all, *n_all, member, &lo, &hi)) {
        ag_store_events_free(fresh, n_fresh);
        return AG_ENOMEM;
    }
    if (reserve_run(all, *n_all, lo, hi, n_fresh) < 0) {
        ag_store_events_free(fresh, n_fresh);
        return AG_ENOMEM;
    }
    ag_stored_event *v = *all;
    ag_service_imports_free_contents(v + lo, hi - lo);
    replace_run(v, n_all, lo, hi, fresh, n_fresh);
    free(fresh);
    return 0;
}

/* Every write of a row moves one of these (SEQUENCE goes up with each). */
static bool same_version(const ag_stored_event *a, const ag_stored_event *b)
{
    return a->sequence == b->sequence && a->last_modified == b->last_modified &&
           a->removed_at == b->removed_at;
}

static void touch(const ag_config *cfg, const ag_stored_event *sev, bool *network, bool *categories)
{
    if (!*network && ag_feed_imported_in_network(cfg, sev))
        *network = true;
    for (size_t i = 0; i < cfg->n_categories; i++)
        if (!categories[i] && ag_feed_imported_in_category(cfg, sev, cfg->categories[i].id))
            categories[i] = true;
}

bool ag_service_imports_touched(const ag_config *cfg, const ag_stored_event *old, size_t n_old,
                                const ag_stored_event *fresh, size_t n_fresh, bool *network,
                                bool *categories)
{
    size_t i = 0, j = 0;
    bool any = false;
    while (i < n_old || j < n_fresh) {
        int c = i == n_old ? 1 : j == n_fresh ? -1 : strcmp(old[i].ev.uid, fresh[j].ev.uid);
        if (c == 0 && same_version(&old[i], &fresh[j])) {
            i++;
            j++;
            continue;
        }
        any = true;
        if (c <= 0)
            touch(cfg, &old[i++], network, categories);
        if (c >= 0)
            touch(cfg, &fresh[j++], network, categories);
    }
    return any;
}
