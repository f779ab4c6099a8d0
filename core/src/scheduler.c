#include "scheduler.h"

#include "clock.h"
#include "feed_internal.h"
#include "log.h"
#include "network.h"
#include "store_outbox.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_IN_FLIGHT = 64,
    BATCH = 128,
    MISSED_LOOKBACK = 7 * 86400, /* older than this before a start is history, not "missed" */
    STORE_RETRY_FIRST_MS = 500,
    STORE_RETRY_MAX_MS = 60000,
};

/* One (occurrence, lead time) of a live event; recipients are expanded only
 * when it falls due, so that the schedule stays small. */
typedef struct {
    int64_t due, occurrence, lead;
    uint32_t event; /* index into evs */
} entry;

typedef struct sending sending;
typedef struct unrecorded unrecorded;

struct ag_scheduler {
    uv_loop_t *loop;
    ag_store *st;
    ag_plugin_host *plugins;
    const ag_config *cfg;
    const ag_stored_event *evs;
    size_t n_evs;
    entry *entries; /* sorted by due */
    size_t n_entries;
    uv_timer_t timer;
    bool stopped;
    int64_t checked_until; /* every entry due at or before this is in the outbox */
    sending *in_flight;
    size_t n_in_flight;
    uint32_t rng;
    bool more; /* the last dispatch left due rows behind (batch full) */
    unrecorded *unrecorded;
    size_t n_unrecorded;
    uint64_t store_retry_ms; /* real wait before the next try after a store error; 0: none */
};

/* An outcome the store refused (locked, full, read-only). Its row is still
 * pending in the outbox: until the outcome is written, the row must not be
 * sent again, and the write is retried at each wake. */
struct unrecorded {
    int64_t id;
    ag_outbox_state state;
    int attempts;
    int64_t next_attempt, done_at;
    char *error;
    unrecorded *next;
};

/* A reminder handed to a channel, alive until its done() call. */
struct sending {
    agendad_reminder r;
    ag_scheduler *s; /* NULL once the scheduler is gone: the outcome is dropped */
    ag_outbox_row row;
    char id[32], *url;
    sending *next;
};

static int oom(char **err)
{
    *err = strdup("out of memory");
    return -1;
}

/* ------------------------------------------------------------ the math */

int64_t ag_sched_backoff(int attempt, int64_t initial, int64_t max, uint32_t rnd)
{
    int64_t d = initial;
    for (int i = 1; i < attempt && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    int64_t half = d / 2;
    return d - half + (half > 0 ? (int64_t)(rnd % (uint64_t)(half + 1)) : 0);
}

static bool excluded(const ag_event *ev, icaltimetype t)
{
    ag_datetime dt = ag_tz_model_local(t);
    for (size_t i = 0; i < ev->n_exdates; i++)
        if (ag_datetime_cmp(&ev->exdates[i], &dt) == 0)
            return true;
    return false;
}

static bool push(int64_t **v, size_t *n, int64_t x)
{
    int64_t *g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g)
        return false;
    g[(*n)++] = x;
    *v = g;
    return true;
}

static int series(const ag_event *ev, int64_t from, int64_t to, int64_t **out, size_t *n)
{
    ag_feed_recur r;
    if (ag_feed_recur_parse(ev, &r) < 0)
        return -1;
    icalrecur_iterator *it = icalrecur_iterator_new(r.rule, ag_tz_ical_local(&ev->start));
    if (!it)
        return -1;
    int rc = 0;
    size_t count = 0;
    for (icaltimetype t = icalrecur_iterator_next(it);
         !icaltime_is_null_time(t) && count < AG_FEED_MAX_INSTANCES;
         t = icalrecur_iterator_next(it), count++) {
        if (excluded(ev, t))
            continue;
        ag_datetime local = ag_tz_model_local(t);
        bool ok;
        int64_t at = ag_tz_to_utc(&local, ev->tzid, &ok);
        if (!ok) {
            rc = -1;
            break;
        }
        if (at > to)
            break;
        if (at >= from && !push(out, n, at)) {
            rc = -1;
            break;
        }
    }
    icalrecur_iterator_free(it);
    return rc;
}

int ag_sched_occurrences(const ag_event *ev, int64_t from, int64_t to, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (ev->rrule && series(ev, from, to, out, n) == 0)
        return 0;
    if (ev->rrule) {
        free(*out);
        *out = NULL;
        *n = 0;
        return -1;
    }
    bool ok;
    int64_t at = ag_tz_to_utc(&ev->start, ev->tzid, &ok);
    if (!ok)
        return -1;
    if (at >= from && at <= to && !push(out, n, at))
        return -1;
    return 0;
}

char *ag_sched_fingerprint(const ag_stored_event *se)
{
    const ag_event *e = &se->ev;
    char *fp = NULL;
    char s[32], t[32];
    snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02d%s", e->start.year, e->start.month,
             e->start.day, e->start.hour, e->start.minute, e->start.second,
             e->start.is_date ? "D" : "");
    snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d%s", e->end.year, e->end.month, e->end.day,
             e->end.hour, e->end.minute, e->end.second, e->end.is_date ? "D" : "");
    if (asprintf(&fp, "%s|%s|%s|%s|%s|%s|%d", s, t, e->tzid, e->rrule ? e->rrule : "",
                 e->location.ar ? e->location.ar : "", e->location.fr ? e->location.fr : "",
                 (int)e->status) < 0)
        return NULL;
    return fp;
}

/* ------------------------------------------------------------ recipients */

typedef struct {
    const char *member, *address;
} recipient;

static bool add_recipient(recipient **v, size_t *n, const char *member, const char *address)
{
    recipient *g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g)
        return false;
    g[(*n)++] = (recipient){member, address};
    *v = g;
    return true;
}

/* Each contact address of each member concerned by the event (audience and
 * host), then the event's extra addresses. Borrowed from cfg. */
static size_t recipients_of(const ag_config *cfg, const ag_event *cev, recipient **out)
{
    recipient *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_members; i++) {
        const ag_member *m = &cfg->members[i];
        if (!ag_network_member_concerned(cfg, cev, m->id))
            continue;
        for (size_t j = 0; j < m->n_emails; j++)
            add_recipient(&v, &n, m->id, m->emails[j]);
    }
    for (size_t i = 0; i < cev->n_reminder_extra; i++)
        add_recipient(&v, &n, NULL, cev->reminder_extra[i]);
    *out = v;
    return n;
}

static void channels_of(const ag_config *cfg, const ag_event *cev, char *const **ch, size_t *n)
{
    if (cev && cev->n_reminder_channels) {
        *ch = cev->reminder_channels;
        *n = cev->n_reminder_channels;
    } else {
        *ch = cfg->settings.reminders.channels;
        *n = cfg->settings.reminders.n_channels;
    }
}

/* ------------------------------------------------------------ the outbox */

static const ag_reminder_settings *settings(const ag_scheduler *s)
{
    return &s->cfg->settings.reminders;
}

/* Every (channel, recipient) row of one kind for one occurrence. */
static int queue_all(ag_scheduler *s, const ag_event *cev, ag_outbox_kind kind, int64_t occurrence,
                     int64_t lead, int seq, int64_t due, ag_outbox_state state, int64_t now,
                     char **err)
{
    recipient *rcpt;
    size_t n_rcpt = recipients_of(s->cfg, cev, &rcpt);
    char *const *ch;
    size_t n_ch;
    channels_of(s->cfg, cev, &ch, &n_ch);
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < n_ch; c++)
        for (size_t i = 0; rc == 0 && i < n_rcpt; i++) {
            ag_outbox_row row = {.kind = kind,
                                 .uid = cev->uid,
                                 .occurrence = occurrence,
                                 .lead = lead,
                                 .channel = ch[c],
                                 .member = (char *)rcpt[i].member,
                                 .address = (char *)rcpt[i].address,
                                 .seq = seq,
                                 .due = due,
                                 .state = state,
                                 .next_attempt = due > now ? due : now};
            bool added;
            rc = ag_outbox_insert(s->st, &row, now, &added, err);
            if (rc == 0 && added && state == AG_OUT_MISSED)
                ag_log(AG_LOG_WARNING,
                       "reminder missed: %s %s %lld s before %lld for %s was due at %lld, "
                       "beyond the grace period",
                       ch[c], cev->uid, (long long)lead, (long long)occurrence,
                       rcpt[i].address ? rcpt[i].address : rcpt[i].member, (long long)due);
        }
    free(rcpt);
    return rc;
}

static const ag_event *config_event(const ag_scheduler *s, const char *uid)
{
    return ag_network_event(s->cfg, uid);
}

/* Entries due in (lower, now] go to the outbox, pending or missed. */
static int enqueue_due(ag_scheduler *s, int64_t now, char **err)
{
    int64_t grace = settings(s)->grace;
    int64_t lower = s->checked_until < now - grace ? s->checked_until : now - grace;
    size_t lo = 0, hi = s->n_entries;
    while (lo < hi) { /* first entry due after lower */
        size_t mid = lo + (hi - lo) / 2;
        if (s->entries[mid].due <= lower)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < s->n_entries && s->entries[i].due <= now; i++) {
        const entry *e = &s->entries[i];
        const ag_event *cev = config_event(s, s->evs[e->event].ev.uid);
        if (!cev)
            continue;
        ag_outbox_state state = e->due >= now - grace ? AG_OUT_PENDING : AG_OUT_MISSED;
        if (queue_all(s, cev, AG_OUT_REMINDER, e->occurrence, e->lead, 0, e->due, state, now, err) <
            0)
            return -1;
    }
    return 0;
}

static int save_checked(ag_scheduler *s, int64_t now, char **err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)now);
    return ag_store_meta_set(s->st, "reminders_checked_until", buf, err);
}

static int load_checked(ag_scheduler *s, int64_t now)
{
    char *v = NULL;
    char *err = NULL;
    if (ag_store_meta_get(s->st, "reminders_checked_until", &v, &err) < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s", err);
        free(err);
        return -1;
    }
    /* A first start remembers nothing as missed; a long stop only the
     * last week, so that old history never floods the log. */
    int64_t at = v ? strtoll(v, NULL, 10) : now;
    s->checked_until = at < now - MISSED_LOOKBACK ? now - MISSED_LOOKBACK : at;
    free(v);
    return 0;
}

/* ------------------------------------------------------------ sending */

static void wake_soon(ag_scheduler *s);

static bool in_flight(const ag_scheduler *s, int64_t id)
{
    for (const sending *x = s->in_flight; x; x = x->next)
        if (x->row.id == id)
            return true;
    return false;
}

static void unlink_sending(ag_scheduler *s, sending *x)
{
    for (sending **p = &s->in_flight; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            s->n_in_flight--;
            return;
        }
}

static void sending_free(sending *x)
{
    free(x->row.uid);
    free(x->row.channel);
    free(x->row.member);
    free(x->row.address);
    free(x->row.last_error);
    free(x->url);
    free(x);
}

static bool is_unrecorded(const ag_scheduler *s, int64_t id)
{
    for (const unrecorded *u = s->unrecorded; u; u = u->next)
        if (u->id == id)
            return true;
    return false;
}

static void keep_unrecorded(ag_scheduler *s, const unrecorded *outcome, const char *error)
{
    unrecorded *u = malloc(sizeof *u);
    if (!u)
        return; /* the row stays pending: sent again rather than lost */
    *u = *outcome;
    u->error = error ? strdup(error) : NULL;
    u->next = s->unrecorded;
    s->unrecorded = u;
    s->n_unrecorded++;
}

static void unrecorded_free(unrecorded *u)
{
    free(u->error);
    free(u);
}

/* Writes the outcomes the store refused earlier; false while some remain. */
static bool flush_unrecorded(ag_scheduler *s, char **err)
{
    for (unrecorded **p = &s->unrecorded; *p;) {
        unrecorded *u = *p;
        if (ag_outbox_update(s->st, u->id, u->state, u->attempts, u->next_attempt, u->error,
                             u->done_at, err) < 0)
            return false;
        *p = u->next;
        unrecorded_free(u);
        s->n_unrecorded--;
    }
    return true;
}

static void record(ag_scheduler *s, const ag_outbox_row *row, agendad_delivery outcome,
                   const char *error)
{
    int64_t now = ag_clock_now();
    const ag_reminder_settings *rs = settings(s);
    int attempts = row->attempts + 1;
    ag_outbox_state state = AG_OUT_SENT;
    int64_t next = 0;
    if (outcome == AGENDAD_FAILED_PERMANENT ||
        (outcome == AGENDAD_FAILED_TEMPORARY && attempts >= rs->retry_attempts)) {
        state = AG_OUT_FAILED;
    } else if (outcome == AGENDAD_FAILED_TEMPORARY) {
        state = AG_OUT_PENDING;
        s->rng = s->rng * 1103515245u + 12345u;
        next = now + ag_sched_backoff(attempts, rs->retry_initial, rs->retry_max, s->rng >> 8);
    }
    char *err = NULL;
    int64_t done_at = state == AG_OUT_PENDING ? 0 : now;
    if (ag_outbox_update(s->st, row->id, state, attempts, next, error, done_at, &err) < 0) {
        ag_log(AG_LOG_ERR,
               "reminders: %s; the outcome is kept in memory and written when the store "
               "allows (sent again if the daemon stops first)",
               err);
        free(err);
        keep_unrecorded(s, &(unrecorded){row->id, state, attempts, next, done_at, NULL, NULL},
                        error);
    }
    const char *who = row->address ? row->address : row->member;
    if (state == AG_OUT_SENT)
        ag_log(AG_LOG_INFO, "%s %s of %s sent to %s", row->channel, ag_outbox_kind_name(row->kind),
               row->uid, who);
    else
        ag_log(state == AG_OUT_FAILED ? AG_LOG_ERR : AG_LOG_WARNING,
               "%s %s of %s to %s %s (attempt %d): %s", row->channel,
               ag_outbox_kind_name(row->kind), row->uid, who,
               state == AG_OUT_FAILED ? "failed for good" : "failed, will retry", attempts,
               error ? error : "no reason given");
}

static void on_done(agendad_reminder *r, agendad_delivery outcome, const char *error)
{
    sending *x = r->host_data;
    ag_scheduler *s = x->s;
    if (s) {
        unlink_sending(s, x);
        record(s, &x->row, outcome, error);
        wake_soon(s);
    }
    sending_free(x);
}

static const char *language_of(const ag_scheduler *s, const char *member, bool *both)
{
    const ag_member *m = member ? ag_network_member(s->cfg, member) : NULL;
    *both = !m || !m->language;
    return m && m->language ? m->language : s->cfg->settings.default_lang;
}

static void fill_reminder(ag_scheduler *s, sending *x)
{
    ag_outbox_row *row = &x->row;
    snprintf(x->id, sizeof x->id, "%lld", (long long)row->id);
    if (asprintf(&x->url, "%s/events/%s.ics", s->cfg->settings.base_url, row->uid) < 0)
        x->url = NULL;
    agendad_reminder *r = &x->r;
    r->size = sizeof *r;
    r->event_uid = row->uid;
    r->occurrence = row->occurrence;
    r->lead_time = row->lead;
    r->recipient = row->member;
    r->language = language_of(s, row->member, &r->both_languages);
    r->done = on_done;
    r->host_data = x;
    r->kind = ag_outbox_kind_name(row->kind);
    r->address = row->address;
    r->sequence = row->seq;
    r->event_url = x->url;
    r->id = x->id;
}

/* Never attempted and already past the grace period: the daemon was down
 * when it was due (or crashed right after queueing it). */
static bool stale(const ag_scheduler *s, const ag_outbox_row *row, int64_t now)
{
    return row->kind == AG_OUT_REMINDER && row->attempts == 0 &&
           now - row->due > settings(s)->grace;
}

static void dispatch_row(ag_scheduler *s, ag_outbox_row *row, int64_t now)
{
    char *err = NULL;
    if (stale(s, row, now)) {
        ag_log(AG_LOG_WARNING,
               "%s reminder of %s to %s missed: due at %lld, beyond the grace "
               "period",
               row->channel, row->uid, row->address ? row->address : row->member,
               (long long)row->due);
        if (ag_outbox_update(s->st, row->id, AG_OUT_MISSED, 0, 0, "due while stopped", now, &err))
            ag_log(AG_LOG_ERR, "reminders: %s", err);
        free(err);
        return;
    }
    const ag_plugin_channel *ch = ag_plugins_channel(s->plugins, row->channel);
    if (!ch) {
        record(s, row, AGENDAD_FAILED_PERMANENT, "no plugin provides this channel");
        return;
    }
    sending *x = calloc(1, sizeof *x);
    if (!x)
        return;
    x->s = s;
    x->row = *row;
    memset(row, 0, sizeof *row); /* x owns the strings now */
    fill_reminder(s, x);
    x->next = s->in_flight;
    s->in_flight = x;
    s->n_in_flight++;
    ag_plugins_channel_send(ch, &x->r);
}

static void dispatch(ag_scheduler *s, int64_t now)
{
    if (s->n_in_flight >= MAX_IN_FLIGHT)
        return;
    ag_outbox_row *rows;
    size_t n;
    char *err = NULL;
    /* Rows held back (in flight, or sent with the outcome unrecorded) are
     * still pending in the store: read past them. */
    size_t limit = BATCH + s->n_in_flight + s->n_unrecorded;
    if (ag_outbox_due(s->st, now, limit, &rows, &n, &err) < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s", err);
        free(err);
        return;
    }
    s->more = n >= limit;
    for (size_t i = 0; i < n && !s->stopped && s->n_in_flight < MAX_IN_FLIGHT; i++)
        if (!in_flight(s, rows[i].id) && !is_unrecorded(s, rows[i].id))
            dispatch_row(s, &rows[i], now);
    ag_outbox_rows_free(rows, n);
}

/* ------------------------------------------------------------ the timer */

static void on_timer(uv_timer_t *t);

static void arm(ag_scheduler *s, int64_t now)
{
    if (s->stopped)
        return;
    int64_t next = now + settings(s)->check_interval;
    size_t lo = 0, hi = s->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->entries[mid].due <= now)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_entries && s->entries[lo].due < next)
        next = s->entries[lo].due;
    int64_t retry;
    bool found;
    char *err = NULL;
    if (ag_outbox_next(s->st, &retry, &found, &err) < 0) {
        free(err);
    } else if (found && retry > now && retry < next) {
        next = retry;
    } else if (s->more && s->n_in_flight < MAX_IN_FLIGHT) {
        next = now; /* more due than one batch took */
    }
    uint64_t ms = ag_clock_real_ms(next - now);
    if (s->store_retry_ms && s->store_retry_ms < ms)
        ms = s->store_retry_ms;
    uv_timer_start(&s->timer, on_timer, ms, 0);
}

/* Due entries into the outbox with the mark, in one transaction; the mark
 * in memory moves only once committed, so that a refused write is queued
 * again (or recorded as missed) at the next try rather than skipped. */
static int enqueue(ag_scheduler *s, int64_t now, char **err)
{
    if (ag_outbox_begin(s->st, err) < 0)
        return -1;
    if (enqueue_due(s, now, err) < 0 || save_checked(s, now, err) < 0) {
        ag_outbox_rollback(s->st);
        return -1;
    }
    if (ag_outbox_commit(s->st, err) < 0)
        return -1;
    s->checked_until = now;
    return 0;
}

/* A store that refuses writes (locked by another process, disk full,
 * read-only) is tried again soon, each wait twice the last: nothing due is
 * sent before its row is written, and nothing written is lost. */
static void note_store(ag_scheduler *s, bool ok, char *err)
{
    if (ok) {
        s->store_retry_ms = 0;
        return;
    }
    s->store_retry_ms = s->store_retry_ms ? s->store_retry_ms * 2 : STORE_RETRY_FIRST_MS;
    if (s->store_retry_ms > STORE_RETRY_MAX_MS)
        s->store_retry_ms = STORE_RETRY_MAX_MS;
    if (err)
        ag_log(AG_LOG_ERR, "reminders: %s; trying again in %.1f s", err,
               (double)s->store_retry_ms / 1000);
    free(err);
}

static void run(ag_scheduler *s)
{
    if (s->stopped || !s->cfg)
        return;
    int64_t now = ag_clock_now();
    char *err = NULL;
    bool ok = flush_unrecorded(s, &err) && enqueue(s, now, &err) == 0;
    note_store(s, ok, err);
    dispatch(s, now);
    arm(s, now);
}

static void on_timer(uv_timer_t *t)
{
    run(t->data);
}

static void wake_soon(ag_scheduler *s)
{
    if (!s->stopped)
        uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* ------------------------------------------------------------ rebuild */

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->due > y->due) - (x->due < y->due);
}

static int64_t max_lead(const ag_event *ev)
{
    int64_t m = 0;
    for (size_t i = 0; i < ev->n_reminders; i++)
        if (ev->reminders[i] > m)
            m = ev->reminders[i];
    return m;
}

static bool add_entries(entry **v, size_t *n, size_t *cap, const ag_event *ev, uint32_t idx,
                        const int64_t *occ, size_t n_occ)
{
    for (size_t i = 0; i < n_occ; i++)
        for (size_t j = 0; j < ev->n_reminders; j++) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 1024;
                entry *g = realloc(*v, *cap * sizeof *g);
                if (!g)
                    return false;
                *v = g;
            }
            (*v)[(*n)++] = (entry){occ[i] - ev->reminders[j], occ[i], ev->reminders[j], idx};
        }
    return true;
}

static bool active(const ag_stored_event *se)
{
    return se->removed_at == 0 && se->ev.status != AG_STATUS_CANCELLED;
}

/* The event is off: pending reminders go, and whoever was reminded of an
 * occurrence still to come hears that it is cancelled. */
static int cancel_event(ag_scheduler *s, const ag_stored_event *se, int64_t now, char **err)
{
    int dropped;
    if (ag_outbox_drop(s->st, se->ev.uid, NULL, 0, now, &dropped, err) < 0)
        return -1;
    ag_outbox_row *rows;
    size_t n;
    if (ag_outbox_reminded(s->st, se->ev.uid, now, &rows, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        ag_outbox_row notice = rows[i];
        notice.kind = AG_OUT_CANCEL;
        notice.lead = 0;
        notice.seq = se->sequence;
        notice.due = notice.next_attempt = now;
        notice.state = AG_OUT_PENDING;
        rc = ag_outbox_insert(s->st, &notice, now, NULL, err);
    }
    ag_outbox_rows_free(rows, n);
    if (dropped || n)
        ag_log(AG_LOG_NOTICE, "reminders of %s: event cancelled, %d pending dropped, %zu notified",
               se->ev.uid, dropped, n);
    return rc;
}

/* Time or place of a confirmed event changed: its audience hears of the
 * next occurrence's new details. Only events with reminders notify: giving
 * reminders is how an admin asks for mail about an event. */
static int change_event(ag_scheduler *s, const ag_stored_event *se, const int64_t *occ,
                        size_t n_occ, int64_t now, char **err)
{
    const ag_event *cev = config_event(s, se->ev.uid);
    if (!cev || se->ev.status != AG_STATUS_CONFIRMED || !se->ev.n_reminders)
        return 0;
    for (size_t i = 0; i < n_occ; i++)
        if (occ[i] > now) {
            ag_log(AG_LOG_NOTICE, "reminders of %s: time or place changed, notifying", se->ev.uid);
            return queue_all(s, cev, AG_OUT_CHANGE, occ[i], 0, se->sequence, now, AG_OUT_PENDING,
                             now, err);
        }
    return 0;
}

/* Compares the event with what the scheduler saw last time; queues the
 * notices that calls for and records the new fingerprint. */
static int reconcile_event(ag_scheduler *s, const ag_stored_event *se, const int64_t *occ,
                           size_t n_occ, int64_t now, char **err)
{
    char *old = NULL;
    bool was_live = false;
    char *fp = ag_sched_fingerprint(se);
    if (!fp || ag_outbox_fingerprint_get(s->st, se->ev.uid, &old, &was_live, err) < 0) {
        free(fp);
        return fp ? -1 : oom(err);
    }
    int rc = 0;
    bool live = active(se);
    if (!live && (was_live || !old)) {
        rc = cancel_event(s, se, now, err);
    } else if (live) {
        int dropped = 0;
        rc = ag_outbox_drop(s->st, se->ev.uid, occ, n_occ, now, &dropped, err);
        if (rc == 0 && old && was_live && strcmp(old, fp) != 0)
            rc = change_event(s, se, occ, n_occ, now, err);
    }
    if (rc == 0 && (!old || strcmp(old, fp) != 0 || was_live != live))
        rc = ag_outbox_fingerprint_set(s->st, se->ev.uid, fp, live, err);
    free(old);
    free(fp);
    return rc;
}

/* Occurrences relevant to reminders: from as far back as a still-pending
 * retry may reach, to the horizon plus the longest lead. */
static int event_entries(ag_scheduler *s, uint32_t idx, int64_t now, entry **v, size_t *n,
                         size_t *cap, char **err)
{
    const ag_stored_event *se = &s->evs[idx];
    int64_t lead = max_lead(&se->ev);
    int64_t *occ = NULL;
    size_t n_occ = 0;
    if (active(se) && ag_sched_occurrences(&se->ev, now - MISSED_LOOKBACK,
                                           now + settings(s)->horizon + lead, &occ, &n_occ) < 0)
        ag_log(AG_LOG_WARNING, "reminders of %s: cannot expand its occurrences", se->ev.uid);
    int rc = reconcile_event(s, se, occ, n_occ, now, err);
    if (rc == 0 && active(se) && !add_entries(v, n, cap, &se->ev, idx, occ, n_occ))
        rc = oom(err);
    free(occ);
    return rc;
}

void ag_scheduler_rebuild(ag_scheduler *s, const ag_config *cfg, const ag_stored_event *evs,
                          size_t n)
{
    s->cfg = cfg;
    s->evs = evs;
    s->n_evs = n;
    int64_t now = ag_clock_now();
    uint64_t t0 = uv_hrtime();
    entry *v = NULL;
    size_t len = 0, cap = 0;
    char *err = NULL;
    int rc = ag_outbox_begin(s->st, &err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = event_entries(s, (uint32_t)i, now, &v, &len, &cap, &err);
    if (rc == 0)
        rc = ag_outbox_commit(s->st, &err);
    else
        ag_outbox_rollback(s->st);
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s; schedule not rebuilt", err);
        free(err);
    }
    if (len)
        qsort(v, len, sizeof *v, cmp_entry);
    free(s->entries);
    s->entries = v;
    s->n_entries = len;
    ag_log(AG_LOG_INFO,
           "reminders: %zu scheduled (occurrence, lead time) pairs, rebuilt in %.1f ms", len,
           (double)(uv_hrtime() - t0) / 1e6);
    wake_soon(s);
}

/* ------------------------------------------------------------ lifecycle */

int ag_scheduler_new(uv_loop_t *loop, ag_store *st, ag_plugin_host *plugins, ag_scheduler **out)
{
    ag_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->loop = loop;
    s->st = st;
    s->plugins = plugins;
    s->rng = (uint32_t)uv_hrtime();
    if (load_checked(s, ag_clock_now()) < 0) {
        free(s);
        return -1;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    *out = s;
    return 0;
}

size_t ag_scheduler_size(const ag_scheduler *s)
{
    return s->n_entries;
}

void ag_scheduler_stop(ag_scheduler *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    uv_close((uv_handle_t *)&s->timer, NULL);
}

/* Reminders a channel still holds keep their memory until done(); their
 * rows stay pending, so the next start sends them. */
void ag_scheduler_free(ag_scheduler *s)
{
    if (!s)
        return;
    for (sending *x = s->in_flight; x; x = x->next)
        x->s = NULL;
    size_t lost = 0;
    while (s->unrecorded) {
        unrecorded *u = s->unrecorded;
        s->unrecorded = u->next;
        unrecorded_free(u);
        lost++;
    }
    if (lost)
        ag_log(AG_LOG_WARNING,
               "reminders: %zu outcomes never reached the store: those rows are still "
               "pending and are sent again at the next start",
               lost);
    free(s->entries);
    free(s);
}
