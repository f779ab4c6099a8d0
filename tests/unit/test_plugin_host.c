#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ fake HTTP */

/* http.h leaves the request opaque; the test completes it with just what
 * the plugin host reads and what a plugin's response writes. */
struct ag_http_request {
    const char *path;
    const char *query_string;
    bool head;
    bool post;
    const char *form; /* a POST's body, "a=b&c=d" */
    int status;
    char *content_type;
    char *body;
    size_t len;
    int responses;
};

static bool fake_is_head(const ag_http_request *req)
{
    return req->head;
}

static bool fake_is_post(const ag_http_request *req)
{
    return req->post;
}

static const char *fake_path(const ag_http_request *req)
{
    return req->path;
}

static const char *fake_query_string(const ag_http_request *req)
{
    return req->query_string ? req->query_string : "";
}

/* Enough of a query parser for "a=b&c=d" without escapes. Values stay
 * valid for the next few calls, as a request's do. */
static const char *fake_query(const ag_http_request *req, const char *name)
{
    static char values[4][256];
    static unsigned next;
    char *value = values[next++ % 4];
    size_t nlen = strlen(name);
    for (const char *p = fake_query_string(req); *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            snprintf(value, sizeof values[0], "%.*s", (int)(len - nlen - 1), p + nlen + 1);
            return value;
        }
        p += len + (end != NULL);
    }
    return NULL;
}

static const char *fake_form(const ag_http_request *req, const char *name)
{
    ag_http_request q = {.query_string = req->form};
    return fake_query(&q, name);
}

static const char *fake_header(const ag_http_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

static void fake_respond(ag_http_request *req, int status, const char *content_type,
                         const char *body, size_t len, const char *const *extra)
{
    (void)extra;
    req->responses++;
    req->status = status;
    req->content_type = strdup(content_type ? content_type : "");
    req->body = strndup(body, len);
    req->len = len;
}

static void fake_respond_error(ag_http_request *req, int status, const char *detail,
                               const char *const *extra)
{
    fake_respond(req, status, "text/plain", detail, strlen(detail), extra);
}

static void fake_respond_cached(ag_http_request *req, const char *content_type, const char *body,
                                size_t len, int64_t last_modified, int max_age)
{
    char type[128];
    snprintf(type, sizeof type, "%s; cached %lld %d", content_type, (long long)last_modified,
             max_age);
    fake_respond(req, 200, type, body, len, NULL);
}

static const char *const reserved[] = {"/feeds", "/healthz", NULL};

static void request_reset(ag_http_request *req)
{
    free(req->content_type);
    free(req->body);
    memset(req, 0, sizeof *req);
}

/* ------------------------------------------------------ fake snapshot */

/* Wall-clock as UTC: tz.c is not under test here, and this keeps expected
 * instants obvious. "Nowhere/Zone" plays an unknown zone. */
static int64_t fake_to_utc(const ag_datetime *t, const char *tzid, bool *ok)
{
    *ok = strcmp(tzid, "Nowhere/Zone") != 0;
    if (!*ok)
        return -1;
    struct tm tm = {.tm_year = t->year - 1900,
                    .tm_mon = t->month - 1,
                    .tm_mday = t->day,
                    .tm_hour = t->hour,
                    .tm_min = t->minute,
                    .tm_sec = t->second};
    return (int64_t)timegm(&tm);
}

static char *cats[] = {"access-to-information", "digitalisation"};
static ag_slot slots[] = {
    {.timed = true,
     .start = {2099, 3, 7, 9, 30, 0, false},
     .end = {2099, 3, 7, 10, 0, 0, false},
     .title = {.ar = "استقبال المشاركين", .fr = "Accueil des participants"},
     .kind = "reception"},
    {.timed = false,
     .title = {.ar = "كلمات افتتاحية"},
     .kind = "opening",
     .axis = "access-to-information"},
};

static ag_stored_event events[] = {
    {.ev = {.uid = "a-2099-workshop",
            .title = {.ar = "ورشة", .fr = "Atelier"},
            .description = {.fr = "Co-création"},
            .start = {2099, 3, 7, 9, 30, 0, false},
            .end = {2099, 3, 7, 13, 30, 0, false},
            .tzid = "Africa/Casablanca",
            .host = "fes-meknes",
            .categories = cats,
            .n_categories = 2,
            .status = AG_STATUS_TENTATIVE,
            .visibility = AG_VIS_MEMBERS,
            .slots = slots,
            .n_slots = 2}},
    {.ev = {.uid = "b-removed",
            .title = {.fr = "Retiré"},
            .start = {2030, 1, 1, 0, 0, 0, true},
            .end = {2030, 1, 1, 0, 0, 0, true},
            .tzid = "Africa/Casablanca",
            .host = "fes"},
     .removed_at = 5},
    {.ev = {.uid = "c-allday",
            .title = {.ar = "يوم"},
            .start = {2099, 12, 30, 0, 0, 0, true},
            .end = {2099, 12, 31, 0, 0, 0, true},
            .tzid = "Africa/Casablanca",
            .host = "fes"}},
    {.ev = {.uid = "d-nowhere",
            .title = {.fr = "Ailleurs"},
            .start = {2032, 1, 1, 10, 0, 0, false},
            .end = {2032, 1, 1, 11, 0, 0, false},
            .tzid = "Nowhere/Zone",
            .host = "fes"}},
};

static char *fes_emails[] = {"contact@fes.example.org", "bureau@fes.example.org"};
static ag_member members[] = {
    {.id = "fes-meknes", .kind = AG_MEMBER_REGION, .name = {.fr = "Région Fès-Meknès"}},
    {.id = "fes",
     .kind = AG_MEMBER_COMMUNE,
     .name = {.ar = "فاس", .fr = "Fès"},
     .region = "fes-meknes",
     .language = "ar",
     .emails = fes_emails,
     .n_emails = 2},
};
static ag_config config = {.members = members, .n_members = 2};

static const ag_stored_event *snap_events(void *data, size_t *n)
{
    (void)data;
    *n = sizeof events / sizeof *events;
    return events;
}

static const ag_config *snap_config(void *data)
{
    (void)data;
    return &config;
}

/* ---------------------------------------------------------- log capture */

static char logbuf[65536];
static size_t loglen;

static void capture_logv(ag_log_level level, const char *fmt, va_list ap)
{
    (void)level;
    int n = vsnprintf(logbuf + loglen, sizeof logbuf - loglen, fmt, ap);
    if (n > 0)
        loglen += (size_t)n < sizeof logbuf - loglen ? (size_t)n : sizeof logbuf - loglen - 1;
    if (loglen + 1 < sizeof logbuf)
        logbuf[loglen++] = '\n';
    logbuf[loglen] = '\0';
}

static int sources_changed;

static void on_source_changed(void *data, const char *name)
{
    (void)data;
    (void)name;
    sources_changed++;
}

static int fake_attendance(void *data, const char *uid,
                           int (*fn)(const agendad_attendance *a, void *fn_data), void *fn_data);

static ag_plugin_services services(void)
{
    return (ag_plugin_services){.events = snap_events,
                                .config = snap_config,
                                .to_utc = fake_to_utc,
                                .is_head = fake_is_head,
                                .is_post = fake_is_post,
                                .form = fake_form,
                                .event_attendance = fake_attendance,
                                .path = fake_path,
                                .query_string = fake_query_string,
                                .query = fake_query,
                                .header = fake_header,
                                .respond = fake_respond,
                                .respond_error = fake_respond_error,
                                .logv = capture_logv,
                                .source_changed = on_source_changed,
                                .respond_cached = fake_respond_cached,
                                .reserved_prefixes = reserved};
}

/* Two members of "a-2099-workshop"; no other event publishes attendance. */
static int fake_attendance(void *data, const char *uid,
                           int (*fn)(const agendad_attendance *a, void *fn_data), void *fn_data)
{
    (void)data;
    if (strcmp(uid, "a-2099-workshop") != 0)
        return AG_ENOENT;
    agendad_attendance a[] = {
        {sizeof a[0], "fes", true, AGENDAD_REPLY_ACCEPTED, 1},
        {sizeof a[0], "taza", true, AGENDAD_REPLY_NONE, -1},
    };
    for (size_t i = 0; i < 2; i++) {
        int rc = fn(&a[i], fn_data);
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------- helpers */

typedef struct {
    uv_loop_t loop;
    ag_plugin_host *host;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || uv_loop_init(&f->loop) != 0)
        return -1;
    loglen = 0;
    logbuf[0] = '\0';
    sources_changed = 0;
    *state = f;
    return 0;
}

/* The documented shutdown: fini, let the loop run the close callbacks,
 * free. A loop that cannot close means a plugin left a handle open. */
static int teardown(void **state)
{
    fixture *f = *state;
    ag_plugins_fini(f->host);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ag_plugins_free(f->host);
    int rc = uv_loop_close(&f->loop);
    free(f);
    return rc == 0 ? 0 : -1;
}

static char *dir_from_env(const char *var, const char *sub)
{
    const char *base = getenv(var);
    if (!base)
        return NULL;
    size_t len = strlen(base) + strlen(sub) + 2;
    char *dir = malloc(len);
    snprintf(dir, len, "%s%s", base, sub);
    return dir;
}

static ag_config_node scalar(char *text, int line, int col)
{
    return (ag_config_node){
        .kind = AG_CFG_SCALAR, .scalar = text, .loc = {"agendad.yaml", line, col}};
}

static void load(fixture *f, const char *sub, ag_plugin_conf *confs, size_t n)
{
    char *dir = dir_from_env("AGENDAD_BUILD_DIR", sub);
    assert_non_null(dir);
    ag_plugin_services svc = services();
    assert_int_equal(ag_plugins_load(&f->loop, dir, confs, n, &svc, &f->host), 0);
    free(dir);
}

static void get(fixture *f, ag_http_request *req, const char *path, const char *query)
{
    request_reset(req);
    req->path = path;
    req->query_string = query;
    assert_true(ag_plugins_dispatch(f->host, req));
    assert_int_equal(req->responses, 1);
}

static void assert_logged(const char *text)
{
    if (!strstr(logbuf, text))
        fail_msg("log lacks \"%s\"; log was:\n%s", text, logbuf);
}

/* --------------------------------------------------------------- tests */

static void example_route_answers(void **state)
{
    fixture *f = *state;
    ag_config_node greeting = scalar("Ahlan", 42, 15);
    ag_config_node *items[] = {&greeting};
    char *keys[] = {"greeting"};
    ag_config_node section = {.kind = AG_CFG_MAP, .keys = keys, .items = items, .n = 1};
    ag_plugin_conf conf = {.name = "example", .section = &section};
    load(f, "/plugins", &conf, 1);
    assert_true(ag_plugins_loaded(f->host, "example"));
    assert_logged("plugin example: loaded example 1.0.0");

    ag_http_request req = {0};
    get(f, &req, "/plugins/example/hello", "lang=fr");
    assert_int_equal(req.status, 200);
    assert_string_equal(req.body,
                        "Ahlan\nevents: 3\nnext: 2099-03-07T09:30:00Z a-2099-workshop Atelier\n");
    get(f, &req, "/plugins/example/hello", "");
    assert_string_equal(req.body,
                        "Ahlan\nevents: 3\nnext: 2099-03-07T09:30:00Z a-2099-workshop ورشة\n");
    get(f, &req, "/plugins/example/hello", "lang=en");
    assert_int_equal(req.status, 400);
    request_reset(&req);

    /* Segment matching: a sibling name is not under the prefix. */
    assert_true(ag_plugins_has_route(f->host, "/plugins/example/hello/more"));
    assert_false(ag_plugins_has_route(f->host, "/plugins/example/hellox"));
    assert_false(ag_plugins_has_route(f->host, "/plugins/example"));
    ag_http_request other = {.path = "/feeds/network.ics"};
    assert_false(ag_plugins_dispatch(f->host, &other));
    assert_int_equal(other.responses, 0);
}

/* Stands in for the scheduler: records the channel's verdict. */
static void reminder_done(agendad_reminder *r, agendad_delivery result, const char *error)
{
    assert_null(error);
    *(int *)r->host_data = (int)result;
}

static void example_channel_and_listener(void **state)
{
    fixture *f = *state;
    ag_plugin_conf conf = {.name = "example"}; /* no section: an empty map */
    load(f, "/plugins", &conf, 1);
    assert_int_equal(ag_plugins_channel_count(f->host), 1);
    assert_string_equal(ag_plugins_channel_name(f->host, 0), "log");
    const ag_plugin_channel *ch = ag_plugins_channel(f->host, "log");
    assert_non_null(ch);
    assert_null(ag_plugins_channel(f->host, "email"));

    static int outcome = -1;
    agendad_reminder r = {.size = sizeof r,
                          .event_uid = "a-2099-workshop",
                          .occurrence = 1898494200,
                          .lead_time = 86400,
                          .recipient = "fes",
                          .language = "fr",
                          .done = reminder_done,
                          .host_data = &outcome};
    ag_plugins_channel_send(ch, &r);
    assert_int_equal(outcome, AGENDAD_DELIVERED);
    assert_logged(
        "plugin example: reminder: a-2099-workshop at 2030-02-28T07:30:00Z, 86400s ahead, "
        "to fes (fr)");

    ag_reconcile_stats st = {.added = 1, .changed = 2, .unchanged = 3};
    const char *uids[] = {"x", "y", "z"};
    ag_plugins_notify(f->host, &st, uids, 3);
    assert_logged("plugin example: reload: 1 added, 2 changed, 0 removed, 0 restored, 3 unchanged");
}

static void config_errors_carry_locations(void **state)
{
    fixture *f = *state;
    ag_config_node item = scalar("Salam", 43, 9);
    ag_config_node *seq_items[] = {&item};
    ag_config_node seq = {.kind = AG_CFG_SEQ,
                          .items = seq_items,
                          .n = 1,
                          .loc = {"/etc/agendad/agendad.yaml", 43, 7}};
    ag_config_node *items[] = {&seq};
    char *keys[] = {"greeting"};
    ag_config_node section = {.kind = AG_CFG_MAP, .keys = keys, .items = items, .n = 1};
    ag_config_node typo = scalar("x", 50, 7);
    ag_config_node *items2[] = {&typo};
    char *keys2[] = {"greting"};
    ag_config_node section2 = {.kind = AG_CFG_MAP, .keys = keys2, .items = items2, .n = 1};
    ag_plugin_conf confs[] = {{.name = "example", .section = &section},
                              {.name = "example", .section = &section2}};
    load(f, "/plugins", confs, 2);
    assert_int_equal(ag_plugins_count(f->host), 0);
    assert_logged("plugin example: /etc/agendad/agendad.yaml:43:7: greeting must be text");
    assert_logged("plugin example: agendad.yaml:50:7: unknown key \"greting\"");
    assert_logged("plugin example: init failed");
}

static void broken_plugins_are_left_out(void **state)
{
    fixture *f = *state;
    ag_plugin_conf confs[] = {
        {.name = "wrong_abi"},     {.name = "does_not_exist"},
        {.name = "failing_init"},  {.name = "../plugins/example", .loc = {"agendad.yaml", 61, 5}},
        {.name = "late_register"},
    };
    load(f, "/tests/plugins", confs, 5);
    assert_int_equal(ag_plugins_count(f->host), 1);
    assert_string_equal(ag_plugins_name(f->host, 0), "late_register");
    char want[128];
    snprintf(want, sizeof want,
             "plugin wrong_abi: built for plugin ABI %d.0, host has %d.%d; left out",
             AGENDAD_PLUGIN_ABI_MAJOR + 1, AGENDAD_PLUGIN_ABI_MAJOR, AGENDAD_PLUGIN_ABI_MINOR);
    assert_logged(want);
    assert_logged("plugin does_not_exist: cannot load ");
    assert_logged("plugin failing_init: cannot start: missing setting \"token\"");
    assert_logged("plugin failing_init: init failed (-8: plugin failure); left out");
    assert_logged("agendad.yaml:61:5: plugin name \"../plugins/example\" is not a file name");
    /* failing_init's registrations went with it. */
    assert_false(ag_plugins_has_route(f->host, "/plugins/failing"));
    assert_null(ag_plugins_channel(f->host, "failing"));
}

static void late_registration_is_refused(void **state)
{
    fixture *f = *state;
    ag_plugin_conf conf = {.name = "late_register"};
    load(f, "/tests/plugins", &conf, 1);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* its timer fires once */
    ag_reconcile_stats st = {.added = 1};
    ag_plugins_notify(f->host, &st, NULL, 0);

    ag_http_request req = {0};
    get(f, &req, "/plugins/late/status", NULL);
    assert_string_equal(req.body, "timer: -2 -2 -2 -2\nlistener: -2 -2 -2 -2\n");
    request_reset(&req);
    assert_false(ag_plugins_has_route(f->host, "/plugins/late/after"));
    assert_null(ag_plugins_channel(f->host, "late"));
    assert_logged("plugin late_register: late registration from timer: not allowed outside init");

    /* Submitting stays allowed: the listener's batch is in the registry. */
    assert_int_equal(ag_plugins_source_count(f->host), 1);
    assert_string_equal(ag_plugins_source_name(f->host, 0), "late");
    size_t n;
    const agendad_source_event *evs = ag_plugins_source_events(f->host, 0, &n);
    assert_int_equal(n, 1);
    assert_string_equal(evs[0].uid, "late-1@example.org");
    assert_string_equal(evs[0].title_fr, "Réunion importée");
    assert_null(evs[0].title_ar);
    assert_string_equal(evs[0].member, "fes");
    assert_int_equal(evs[0].end - evs[0].start, 3600);
    assert_int_equal(sources_changed, 1);
}

static void store_queries(void **state)
{
    fixture *f = *state;
    ag_plugin_conf conf = {.name = "store_probe"};
    load(f, "/tests/plugins", &conf, 1);
    ag_http_request req = {0};
    get(f, &req, "/plugins/probe", "uid=a-2099-workshop&member=fes");
    assert_string_equal(req.body,
                        "count: 3\n"
                        "uid: a-2099-workshop\n"
                        "title: ورشة | Atelier\n"
                        "description(ar): Co-création\n"
                        "location(fr): (null)\n"
                        "when: 4076559000 4076573400 timed Africa/Casablanca\n"
                        "status: 1 visibility: 1 host: fes-meknes\n"
                        "categories: access-to-information digitalisation\n"
                        "slot 0: timed 4076559000 4076560800 reception (null) "
                        "Accueil des participants\n"
                        "slot 1: untimed 0 0 opening access-to-information كلمات افتتاحية\n"
                        "slot out of range: out of range\n"
                        "member: fes kind 2 region fes-meknes lang ar\n"
                        "member name: فاس | Fès\n"
                        "emails: contact@fes.example.org bureau@fes.example.org\n");
    /* All-day: end is the midnight after the inclusive last day, across a
     * year boundary. */
    get(f, &req, "/plugins/probe", "uid=c-allday&member=fes-meknes");
    assert_non_null(strstr(req.body, "when: 4102272000 4102444800 all-day Africa/Casablanca\n"));
    assert_non_null(strstr(req.body, "title: يوم | يوم\n"));
    assert_non_null(strstr(req.body, "member: fes-meknes kind 0 region (null) lang (null)\n"));
    get(f, &req, "/plugins/probe", "uid=d-nowhere");
    assert_non_null(strstr(req.body, "when: unknown time zone\n"));
    assert_non_null(strstr(req.body, "no member (null)\n"));
    /* Removed events are not part of the current snapshot. */
    get(f, &req, "/plugins/probe", "uid=b-removed&member=nobody");
    assert_string_equal(req.body, "count: 3\nno event b-removed\nno member nobody\n");
    request_reset(&req);
}

static void duplicate_route_fails_second_init(void **state)
{
    fixture *f = *state;
    ag_plugin_conf confs[] = {{.name = "example"}, {.name = "example"}};
    load(f, "/plugins", confs, 2);
    assert_int_equal(ag_plugins_count(f->host), 1);
    assert_logged("plugin example: registration failed: already registered");
    ag_http_request req = {0};
    get(f, &req, "/plugins/example/hello", NULL);
    assert_int_equal(req.status, 200);
    request_reset(&req);
}

/* Run by tests/integration/test_plugin_outoftree.py, which builds
 * tests/outoftree/hello.c against an installed tree and sets the variable. */
static void out_of_tree_plugin_loads(void **state)
{
    fixture *f = *state;
    const char *dir = getenv("AGENDAD_OUTOFTREE_PLUGIN_DIR");
    if (!dir)
        skip();
    ag_plugin_conf conf = {.name = "hello"};
    ag_plugin_services svc = services();
    assert_int_equal(ag_plugins_load(&f->loop, dir, &conf, 1, &svc, &f->host), 0);
    assert_true(ag_plugins_loaded(f->host, "hello"));
    ag_http_request req = {0};
    get(f, &req, "/plugins/hello", NULL);
    assert_string_equal(req.body, "hello from out of tree: 3 events\n");
    request_reset(&req);
}

/* ABI 1.9: a route registered for POST takes forms, the others do not;
 * the form is read only on a POST; an event's attendance reaches the
 * plugin as the daemon gives it. */
static void forms_and_attendance(void **state)
{
    fixture *f = *state;
    /* The ABI 1.7 builds of tests/compat, which this test also runs on,
     * have no forms plugin (it needs 1.9). */
    char *dir = dir_from_env("AGENDAD_BUILD_DIR", "/tests/plugins");
    char so[4096];
    snprintf(so, sizeof so, "%s/forms.so", dir);
    free(dir);
    if (access(so, F_OK) != 0)
        skip();
    ag_plugin_conf conf = {.name = "forms"};
    load(f, "/tests/plugins", &conf, 1);
    assert_true(ag_plugins_loaded(f->host, "forms"));
    assert_true(ag_plugins_accepts_post(f->host, "/plugins/forms"));
    assert_true(ag_plugins_accepts_post(f->host, "/plugins/forms/x"));
    assert_false(ag_plugins_accepts_post(f->host, "/plugins/forms/plain"));
    assert_false(ag_plugins_accepts_post(f->host, "/plugins/formsx"));
    assert_false(ag_plugins_accepts_post(f->host, "/feeds/network.ics"));
    assert_false(ag_plugins_accepts_post(NULL, "/plugins/forms"));
    ag_http_request req = {0};
    get(f, &req, "/plugins/forms", NULL);
    assert_string_equal(req.body, "GET form=none feeds:already registered");
    request_reset(&req);
    req.path = "/plugins/forms";
    req.post = true;
    req.form = "a=1&b=two";
    assert_true(ag_plugins_dispatch(f->host, &req));
    assert_string_equal(req.body, "POST a=1 b=two");
    get(f, &req, "/plugins/forms/att/a-2099-workshop", NULL);
    assert_string_equal(req.body, "fes 1 accepted 1\ntaza 1 none -1\n");
    get(f, &req, "/plugins/forms/att/c-allday", NULL);
    assert_string_equal(req.body, "not found\n");
    request_reset(&req);
}

/* ABI 1.2: any well-formed prefix outside the core's reserved ones; "/" is
 * the front page only; renderers run by name. */
static void route_rules_and_renderers(void **state)
{
    fixture *f = *state;
    ag_plugin_conf conf = {.name = "route_rules"};
    load(f, "/tests/plugins", &conf, 1);
    assert_true(ag_plugins_loaded(f->host, "route_rules"));
    ag_http_request req = {0};
    get(f, &req, "/plugins/rules", NULL);
    assert_string_equal(req.body, "/feeds already registered\n"
                                  "/feeds/mine already registered\n"
                                  "/healthz already registered\n"
                                  "/healthz/x already registered\n"
                                  " invalid argument\n"
                                  "plugins/x invalid argument\n"
                                  "/x/ invalid argument\n"
                                  "/a//b invalid argument\n"
                                  "/a/./b invalid argument\n"
                                  "/a/../b invalid argument\n"
                                  "/.. invalid argument\n"
                                  "/ success\n"
                                  "/events success\n"
                                  "/feedsx success\n"
                                  "/plugins/rules success\n");
    get(f, &req, "/", NULL);
    assert_string_equal(req.body, "front /");
    get(f, &req, "/events/a-2099-workshop", NULL);
    assert_string_equal(req.body, "events /events/a-2099-workshop");
    get(f, &req, "/feedsx/y", NULL);
    assert_string_equal(req.body, "feedsx /feedsx/y");
    /* "/" is no catch-all: unknown paths stay the core's (404). */
    assert_false(ag_plugins_has_route(f->host, "/nothing"));
    assert_false(ag_plugins_has_route(f->host, "/feeds/network.ics"));
    assert_false(ag_plugins_has_route(f->host, "/eventsx"));
    get(f, &req, "/plugins/rules/cached", NULL);
    assert_string_equal(req.content_type, "text/html; cached 1700000000 60");
    assert_string_equal(req.body, "<p>cached</p>");
    request_reset(&req);

    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    bool found = false;
    agendad_render_request r = {
        .size = sizeof r, .key = "a-2099-workshop", .format = "txt", .lang = "fr"};
    assert_int_equal(ag_plugins_render(f->host, "rules", &r, mem, &found), 0);
    assert_true(found);
    r.format = "pdf";
    assert_int_equal(ag_plugins_render(f->host, "rules", &r, mem, &found), AGENDAD_EINVAL);
    r.format = "txt";
    r.key = "b-removed";
    assert_int_equal(ag_plugins_render(f->host, "rules", &r, mem, &found), AGENDAD_ENOENT);
    assert_true(found);
    assert_int_equal(ag_plugins_render(f->host, "nothing", &r, mem, &found), AGENDAD_ENOENT);
    assert_false(found);
    fclose(mem);
    assert_string_equal(out, "rendered a-2099-workshop in fr\n");
    free(out);
}

/* What a command reads of the state: one key, as the command line's
 * snapshot would answer it. */
static int fake_state_get(void *data, const char *key, char **value)
{
    (void)data;
    *value = strcmp(key, "plugin.commands.k") == 0 ? strdup("from the snapshot") : NULL;
    return 0;
}

/* ABI 1.8: a command runs by name with what the command line hands it; in
 * a command line, the plugin is told so and its state is read-only. */
static void commands_run_by_name(void **state)
{
    fixture *f = *state;
    char *dir = dir_from_env("AGENDAD_BUILD_DIR", "/tests/plugins");
    /* The ABI 1.7 builds of tests/compat, which this test also runs on,
     * have no commands plugin (it needs 1.8). */
    char so[4096];
    snprintf(so, sizeof so, "%s/commands.so", dir);
    if (access(so, F_OK) != 0) {
        free(dir);
        skip();
    }
    ag_plugin_services svc = services();
    svc.command_line = true;
    svc.state_get = fake_state_get;
    ag_config_node hello = scalar("bonjour", 3, 10);
    char *key = "hello";
    ag_config_node *items[] = {&hello};
    ag_config_node section = {.kind = AG_CFG_MAP, .n = 1, .keys = &key, .items = items};
    ag_plugin_conf confs[] = {{.name = "commands", .section = &section}, {.name = "abi_1_7"}};
    assert_int_equal(ag_plugins_load(&f->loop, dir, confs, 2, &svc, &f->host), 0);
    free(dir);
    assert_true(ag_plugins_loaded(f->host, "commands"));

    char *out = NULL, *err = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *o = open_memstream(&out, &out_len), *e = open_memstream(&err, &err_len);
    const char *argv[] = {"status"};
    agendad_command_request r = {
        .size = sizeof r, .argv = argv, .argc = 1, .format = "md", .out = o, .err = e};
    bool found = false;
    assert_int_equal(ag_plugins_command(f->host, "probe", &r, &found), 0);
    assert_true(found);
    r.argc = 0;
    r.state_error = "no state";
    assert_int_equal(ag_plugins_command(f->host, "probe", &r, &found), 2);
    assert_int_equal(ag_plugins_command(f->host, "nothing", &r, &found), 2);
    assert_false(found);
    fclose(o);
    fclose(e);
    assert_string_equal(out, "probed bonjour arg=status format=md lang=- command_line=1 "
                             "k=from the snapshot state_error=-\n");
    assert_string_equal(err, "probe: say what\n");
    free(out);
    free(err);
}

/* ABI 1.8: checks report at the nodes they name (a setting, a member's
 * entry) or at the plugin's entry, answered from the configuration being
 * checked, without events. */
static void checks_report_where_the_admin_wrote(void **state)
{
    fixture *f = *state;
    char *dir = dir_from_env("AGENDAD_BUILD_DIR", "/tests/plugins");
    char so[4096];
    snprintf(so, sizeof so, "%s/commands.so", dir);
    if (access(so, F_OK) != 0) {
        free(dir);
        skip();
    }
    ag_plugin_services svc = services();
    svc.command_line = true;
    ag_config_node hello = scalar("bonjour", 3, 10);
    char *key = "hello";
    ag_config_node *items[] = {&hello};
    ag_config_node section = {.kind = AG_CFG_MAP, .n = 1, .keys = &key, .items = items};
    ag_plugin_conf conf = {.name = "commands", .section = &section, .loc = {"agendad.yaml", 2, 5}};
    assert_int_equal(ag_plugins_load(&f->loop, dir, &conf, 1, &svc, &f->host), 0);
    free(dir);

    /* Another configuration than the services' (a reload's): one member,
     * with its entry in members.yaml. */
    ag_config_node id = {.kind = AG_CFG_SCALAR, .scalar = "oujda", .loc = {"members.yaml", 9, 9}};
    char *id_key = "id";
    ag_config_node *entry_items[] = {&id};
    ag_config_node entry = {.kind = AG_CFG_MAP,
                            .n = 1,
                            .keys = &id_key,
                            .items = entry_items,
                            .loc = {"members.yaml", 9, 5}};
    ag_member oujda = {.id = "oujda", .kind = AG_MEMBER_REGION, .name = {.fr = "Oujda"}};
    const ag_config_node *nodes[] = {&entry};
    ag_config checked = {.members = &oujda, .n_members = 1, .member_nodes = nodes};
    ag_diags d = {0};
    assert_int_equal(ag_plugins_check(f->host, &checked, &d), 3);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[0].file, "agendad.yaml");
    assert_int_equal(d.v[0].line, 3);
    assert_int_equal(d.v[0].col, 10);
    assert_string_equal(d.v[0].msg, "hello says bonjour");
    assert_int_equal(d.v[1].line, 2);
    assert_int_equal(d.v[1].col, 5);
    assert_string_equal(d.v[1].msg, "0 events, late registration -2");
    assert_string_equal(d.v[2].file, "members.yaml");
    assert_int_equal(d.v[2].line, 9);
    assert_int_equal(d.v[2].col, 9);
    assert_string_equal(d.v[2].msg, "member oujda seen");
    ag_diags_free(&d);
    /* The services' configuration has no members.yaml entries to name. */
    assert_null(ag_config_member_node(&config, &members[0]));
    assert_int_equal(ag_plugins_check(f->host, &config, &d), 2);
    ag_diags_free(&d);
    assert_int_equal(ag_plugins_check(NULL, &checked, &d), 0);
}

static char left_out_text[4096];

static void record_left_out(void *data, const ag_plugin_conf *conf, const char *why)
{
    (void)data;
    size_t len = strlen(left_out_text);
    snprintf(left_out_text + len, sizeof left_out_text - len, "%s:%d: %s: %s\n", conf->name,
             conf->loc.line, conf->name, why);
}

/* What `agendad check` is told of the plugins that are left out: each, by
 * its entry, and why (for a failed init, what the plugin logged last). */
static void left_out_plugins_say_why(void **state)
{
    fixture *f = *state;
    ag_plugin_conf confs[] = {
        {.name = "wrong_abi", .loc = {"agendad.yaml", 1, 5}},
        {.name = "does_not_exist", .loc = {"agendad.yaml", 2, 5}},
        {.name = "failing_init", .loc = {"agendad.yaml", 3, 5}},
        {.name = "../plugins/example", .loc = {"agendad.yaml", 4, 5}},
        {.name = "late_register", .loc = {"agendad.yaml", 5, 5}},
    };
    char *dir = dir_from_env("AGENDAD_BUILD_DIR", "/tests/plugins");
    ag_plugin_services svc = services();
    svc.left_out = record_left_out;
    left_out_text[0] = '\0';
    assert_int_equal(ag_plugins_load(&f->loop, dir, confs, 5, &svc, &f->host), 0);
    free(dir);
    char want[256];
    snprintf(want, sizeof want,
             "wrong_abi:1: wrong_abi: built for plugin ABI %d.0, host has %d.%d\n",
             AGENDAD_PLUGIN_ABI_MAJOR + 1, AGENDAD_PLUGIN_ABI_MAJOR, AGENDAD_PLUGIN_ABI_MINOR);
    assert_non_null(strstr(left_out_text, want));
    assert_non_null(strstr(left_out_text, "does_not_exist:2: does_not_exist: cannot load "));
    assert_non_null(strstr(left_out_text,
                           "failing_init:3: failing_init: init failed (-8: plugin failure): "
                           "cannot start: missing setting \"token\"\n"));
    assert_non_null(strstr(left_out_text, "../plugins/example:4: ../plugins/example: its name "
                                          "is not a file name\n"));
    assert_null(strstr(left_out_text, "late_register"));
}

/* A plugin built for ABI 1.7, before commands, loads and works on this
 * host. */
static void abi_1_7_plugin_loads(void **state)
{
    fixture *f = *state;
    ag_plugin_conf conf = {.name = "abi_1_7"};
    load(f, "/tests/plugins", &conf, 1);
    assert_true(ag_plugins_loaded(f->host, "abi_1_7"));
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    bool found = false;
    agendad_render_request r = {.size = sizeof r, .key = "x", .format = "txt"};
    assert_int_equal(ag_plugins_render(f->host, "abi17", &r, mem, &found), 0);
    fclose(mem);
    char want[64];
    snprintf(want, sizeof want, "1.7 plugin on host %d.%d: x\n", AGENDAD_PLUGIN_ABI_MAJOR,
             AGENDAD_PLUGIN_ABI_MINOR);
    assert_string_equal(out, want);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(example_route_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(example_channel_and_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(config_errors_carry_locations, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_plugins_are_left_out, setup, teardown),
        cmocka_unit_test_setup_teardown(late_registration_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(store_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_route_fails_second_init, setup, teardown),
        cmocka_unit_test_setup_teardown(out_of_tree_plugin_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(route_rules_and_renderers, setup, teardown),
        cmocka_unit_test_setup_teardown(forms_and_attendance, setup, teardown),
        cmocka_unit_test_setup_teardown(commands_run_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(abi_1_7_plugin_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_report_where_the_admin_wrote, setup, teardown),
        cmocka_unit_test_setup_teardown(left_out_plugins_say_why, setup, teardown),
    };
    const char *filter = getenv("AGENDAD_TEST_FILTER");
    if (filter)
        cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
