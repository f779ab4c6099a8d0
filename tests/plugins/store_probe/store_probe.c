/* GET /plugins/probe?uid=U&member=M: every store accessor's answer for
 * event U and member M, one per line, so that a test can compare the host's
 * view of the snapshot with what it put there. */
#include <agendad/plugin.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
} probe;

static probe the_probe;

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

static void dump_when(const probe *p, FILE *out, const agendad_event *ev)
{
    agendad_when w;
    int rc = p->host->event_when(p->self, ev, &w);
    if (rc != 0)
        fprintf(out, "when: %s\n", p->host->strerror(rc));
    else
        fprintf(out, "when: %" PRId64 " %" PRId64 " %s %s\n", w.start, w.end,
                w.all_day ? "all-day" : "timed", w.tzid);
}

static void dump_slots(const probe *p, FILE *out, const agendad_event *ev)
{
    const agendad_host *h = p->host;
    for (size_t i = 0; i < h->event_slot_count(p->self, ev); i++) {
        agendad_slot s;
        if (h->event_slot(p->self, ev, i, &s) != 0)
            continue;
        fprintf(out, "slot %zu: %s %" PRId64 " %" PRId64 " %s %s %s\n", i,
                s.timed ? "timed" : "untimed", s.start, s.end, or_null(s.kind), or_null(s.axis),
                or_null(h->event_slot_title(p->self, ev, i, "fr")));
    }
    agendad_slot s;
    fprintf(out, "slot out of range: %s\n",
            h->strerror(h->event_slot(p->self, ev, h->event_slot_count(p->self, ev), &s)));
}

static void dump_event(const probe *p, FILE *out, const agendad_event *ev)
{
    const agendad_host *h = p->host;
    fprintf(out, "uid: %s\n", h->event_uid(p->self, ev));
    fprintf(out, "title: %s | %s\n", or_null(h->event_text(p->self, ev, AGENDAD_TEXT_TITLE, "ar")),
            or_null(h->event_text(p->self, ev, AGENDAD_TEXT_TITLE, "fr")));
    fprintf(out, "description(ar): %s\n",
            or_null(h->event_text(p->self, ev, AGENDAD_TEXT_DESCRIPTION, "ar")));
    fprintf(out, "location(fr): %s\n",
            or_null(h->event_text(p->self, ev, AGENDAD_TEXT_LOCATION, "fr")));
    dump_when(p, out, ev);
    fprintf(out, "status: %d visibility: %d host: %s\n", (int)h->event_status(p->self, ev),
            (int)h->event_visibility(p->self, ev), or_null(h->event_host_member(p->self, ev)));
    fprintf(out, "categories:");
    for (size_t i = 0; i < h->event_category_count(p->self, ev); i++)
        fprintf(out, " %s", h->event_category(p->self, ev, i));
    fprintf(out, "\n");
    dump_slots(p, out, ev);
}

static void dump_member(const probe *p, FILE *out, const agendad_member *m)
{
    const agendad_host *h = p->host;
    fprintf(out, "member: %s kind %d region %s lang %s\n", h->member_id(p->self, m),
            (int)h->member_kind(p->self, m), or_null(h->member_region(p->self, m)),
            or_null(h->member_language(p->self, m)));
    fprintf(out, "member name: %s | %s\n", or_null(h->member_name(p->self, m, "ar")),
            or_null(h->member_name(p->self, m, "fr")));
    fprintf(out, "emails:");
    for (size_t i = 0; i < h->member_email_count(p->self, m); i++)
        fprintf(out, " %s", h->member_email(p->self, m, i));
    fprintf(out, "\n");
}

static void probe_route(agendad_request *req, void *data)
{
    probe *p = data;
    const agendad_host *h = p->host;
    char *body = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&body, &len);
    if (!out) {
        h->respond_error(req, 503, "out of memory");
        return;
    }
    fprintf(out, "count: %zu\n", h->event_count(p->self));
    const char *uid = h->request_query(req, "uid");
    const agendad_event *ev = uid ? h->event_find(p->self, uid) : NULL;
    if (ev)
        dump_event(p, out, ev);
    else
        fprintf(out, "no event %s\n", or_null(uid));
    const char *id = h->request_query(req, "member");
    const agendad_member *m = id ? h->member_find(p->self, id) : NULL;
    if (m)
        dump_member(p, out, m);
    else
        fprintf(out, "no member %s\n", or_null(id));
    fclose(out);
    h->respond(req, 200, "text/plain", body, len, NULL);
    free(body);
}

static int probe_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    (void)state;
    the_probe.host = host;
    the_probe.self = self;
    return host->register_route(self, "/plugins/probe", probe_route, &the_probe);
}

AGENDAD_PLUGIN_DECLARE("store_probe", "0", probe_init, NULL);
