/* ABI 1.9 from a plugin's side: a route that takes POST (register_route_post)
 * and reads the form (request_form), a route that does not, and an
 * event's attendance (event_attendance).
 *
 *   /plugins/forms          GET: "GET"; POST: "POST a=<a> b=<b>"
 *   /plugins/forms/plain    GET only (a POST there is the host's 405)
 *   /plugins/forms/att/UID  one line per member: "id invited reply attended",
 *                           or the error's name */
#include <agendad/plugin.h>

#include <stdio.h>
#include <string.h>

static const agendad_host *host;
static agendad_plugin *me;
static char report[256];

static void forms(agendad_request *req, void *data)
{
    (void)data;
    char body[1024];
    const char *method = host->request_method(req);
    int len;
    if (strcmp(method, "POST") == 0) {
        const char *a = host->request_form(req, "a"), *b = host->request_form(req, "b");
        len = snprintf(body, sizeof body, "POST a=%s b=%s", a ? a : "(none)", b ? b : "(none)");
    } else {
        len = snprintf(body, sizeof body, "%s form=%s %s", method,
                       host->request_form(req, "a") ? "yes" : "none", report);
    }
    host->respond(req, 200, "text/plain; charset=utf-8", body, (size_t)len, NULL);
}

static void plain(agendad_request *req, void *data)
{
    (void)data;
    host->respond(req, 200, "text/plain", "plain", 5, NULL);
}

typedef struct {
    char buf[2048];
    size_t len;
} lines;

static int one(const agendad_attendance *a, void *data)
{
    lines *l = data;
    static const char *const replies[] = {"none", "accepted", "tentative", "declined"};
    int n = snprintf(l->buf + l->len, sizeof l->buf - l->len, "%s %d %s %d\n", a->member,
                     a->invited, replies[a->reply], a->attended);
    if (n > 0 && (size_t)n < sizeof l->buf - l->len)
        l->len += (size_t)n;
    return 0;
}

static void attendance(agendad_request *req, void *data)
{
    (void)data;
    const char *uid = host->request_path(req) + strlen("/plugins/forms/att/");
    const agendad_event *ev = host->event_find(me, uid);
    if (!ev) {
        host->respond_error(req, 404, "no such event");
        return;
    }
    lines l = {.len = 0};
    int rc = host->event_attendance(me, ev, one, &l);
    if (rc < 0)
        l.len = (size_t)snprintf(l.buf, sizeof l.buf, "%s\n", host->strerror(rc));
    host->respond(req, 200, "text/plain; charset=utf-8", l.buf, l.len, NULL);
}

static int forms_init(agendad_plugin *self, const agendad_host *h, void **state)
{
    (void)state;
    host = h;
    me = self;
    if (!AGENDAD_HOST_HAS(h, event_attendance))
        return AGENDAD_EPLUGIN;
    /* The core's prefixes stay the core's, for forms too. */
    snprintf(report, sizeof report, "feeds:%s",
             h->strerror(h->register_route_post(self, "/feeds", forms, NULL)));
    int rc = h->register_route_post(self, "/plugins/forms", forms, NULL);
    if (rc == 0)
        rc = h->register_route(self, "/plugins/forms/plain", plain, NULL);
    if (rc == 0)
        rc = h->register_route(self, "/plugins/forms/att", attendance, NULL);
    return rc;
}

AGENDAD_PLUGIN_DECLARE("forms", "1.0", forms_init, NULL);
