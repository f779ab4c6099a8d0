/* The config of issue 14: events' invitations, publish_attendance and
 * documents, and agendad.yaml's invitations: and documents: sections. Each
 * error names file:line:col and what would be right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "error.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char base[PATH_MAX];
    char cwd[PATH_MAX];
    ag_config *cfg;
    ag_diags diags;
} fixture;

static const char AGENDAD_YAML[] = "categories:\n"
                                   "  - id: training\n"
                                   "    name: {fr: \"Formation\"}\n";

static const char INVITATIONS_YAML[] = "invitations:\n"
                                       "  organizer: RSVP@Reseau.Example\n"
                                       "  retention: 400d\n"
                                       "  mail_socket: /run/x/mail.sock\n"
                                       "  mail_group: agendad-mail\n"
                                       "documents:\n"
                                       "  minutes_due: 10d\n";

static const char MEMBERS_YAML[] = "members:\n"
                                   "  - id: fes\n"
                                   "    kind: region\n"
                                   "    name: {fr: \"Fès\"}\n"
                                   "    emails: [contact@example.org]\n";

/* Lines 1-5; tests append keys at line 6. */
#define EVENT_HEAD                                                                                 \
    "uid: e1\n"                                                                                    \
    "title: {fr: \"Atelier\"}\n"                                                                   \
    "start: 2026-03-07T09:30\n"                                                                    \
    "end: 2026-03-07T13:30\n"                                                                      \
    "host: fes\n"

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->base, sizeof fx->base, "/tmp/agendad-config-inv-XXXXXX");
    if (!mkdtemp(fx->base) || !getcwd(fx->cwd, sizeof fx->cwd) || chdir(fx->base) != 0)
        return -1;
    mkdir("config", 0700);
    mkdir("config/events", 0700);
    mkdir("config/documents", 0700);
    mkdir("config/documents/2026", 0700);
    put("config/documents/2026/cr.pdf", "%PDF-1.4 minutes\n");
    put("config/documents/page.html", "<script>alert(1)</script>\n");
    put("outside.pdf", "%PDF-1.4 secret\n");
    assert_int_equal(symlink("../../outside.pdf", "config/documents/link.pdf"), 0);
    put("config/agendad.yaml", AGENDAD_YAML);
    put("config/members.yaml", MEMBERS_YAML);
    *state = fx;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    ag_config_free(fx->cfg);
    ag_diags_free(&fx->diags);
    if (chdir(fx->cwd) != 0)
        return -1;
    nftw(fx->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static int load_with(fixture *fx, const char *settings, const char *event)
{
    char *yaml = NULL;
    assert_true(asprintf(&yaml, "%s%s", AGENDAD_YAML, settings) > 0);
    put("config/agendad.yaml", yaml);
    free(yaml);
    put("config/events/e.yaml", event);
    ag_config_free(fx->cfg);
    fx->cfg = NULL;
    ag_diags_truncate(&fx->diags, 0);
    return ag_config_load("config", &fx->cfg, &fx->diags);
}

static bool has_diag(const ag_diags *d, const char *where, const char *part)
{
    char buf[PATH_MAX + 32];
    for (size_t i = 0; i < d->n; i++) {
        const ag_diag *g = &d->v[i];
        snprintf(buf, sizeof buf, "%s:%d:%d", g->file ? g->file : "", g->line, g->col);
        if (strcmp(buf, where) == 0 && strstr(g->msg, part))
            return true;
    }
    return false;
}

/* The load fails with exactly one diagnostic, at where, saying part. */
static void expect_one(fixture *fx, const char *settings, const char *event, const char *where,
                       const char *part)
{
    assert_int_equal(load_with(fx, settings, event), AG_ECONFIG);
    if (fx->diags.n != 1 || !has_diag(&fx->diags, where, part)) {
        ag_diags_print(&fx->diags, stderr);
        fail_msg("expected one diagnostic %s: ...%s...", where, part);
    }
}

static void defaults(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_with(fx, "", EVENT_HEAD), 0);
    const ag_settings *s = &fx->cfg->settings;
    assert_null(s->invitations_organizer);
    assert_int_equal(s->invitations_retention, 395 * 86400);
    assert_int_equal(s->minutes_due, 15 * 86400);
    assert_string_equal(s->mail_socket, "/run/agendad/mail-in.sock");
    assert_null(s->mail_group); /* the daemon's own group */
    const ag_event *e = &fx->cfg->events[0];
    assert_false(e->invitations);
    assert_false(e->publish_attendance);
    assert_int_equal(e->n_documents, 0);
}

static void settings_and_event_fields(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_with(fx, INVITATIONS_YAML,
                               EVENT_HEAD "invitations: true\n"
                                          "publish_attendance: true\n"
                                          "documents:\n"
                                          "  - title: {ar: \"محضر\", fr: \"Compte rendu\"}\n"
                                          "    kind: minutes\n"
                                          "    published: 2026-03-20\n"
                                          "    file: 2026/cr.pdf\n"
                                          "  - title: {fr: \"Ordre du jour\"}\n"
                                          "    kind: agenda\n"
                                          "    published: 2026-03-01\n"
                                          "    url: \"https://fes.example.org/odj.pdf\"\n"),
                     0);
    const ag_settings *s = &fx->cfg->settings;
    assert_string_equal(s->invitations_organizer, "rsvp@reseau.example");
    assert_int_equal(s->invitations_retention, 400 * 86400);
    assert_int_equal(s->minutes_due, 10 * 86400);
    assert_string_equal(s->mail_socket, "/run/x/mail.sock");
    assert_string_equal(s->mail_group, "agendad-mail");
    const ag_event *e = &fx->cfg->events[0];
    assert_true(e->invitations);
    assert_true(e->publish_attendance);
    assert_int_equal(e->n_documents, 2);
    assert_int_equal(e->documents[0].kind, AG_DOC_MINUTES);
    assert_string_equal(e->documents[0].file, "2026/cr.pdf");
    assert_null(e->documents[0].url);
    assert_string_equal(e->documents[0].title.ar, "محضر");
    assert_true(e->documents[0].published.is_date);
    assert_int_equal(e->documents[0].published.day, 20);
    assert_int_equal(e->documents[1].kind, AG_DOC_AGENDA);
    assert_string_equal(e->documents[1].url, "https://fes.example.org/odj.pdf");
    assert_int_equal(ag_event_document_count(e, AG_DOC_MINUTES), 1);
}

static void invitations_need_an_organizer(void **state)
{
    expect_one(*state, "", EVENT_HEAD "invitations: true\n", "config/events/e.yaml:6:14",
               "invitations: true needs the network's mailbox: set invitations.organizer");
}

static void bad_settings(void **state)
{
    static const struct {
        const char *yaml, *where, *part;
    } bad[] = {
        {"invitations:\n  organizer: \"RMCTO <rsvp@reseau.example>\"\n", "config/agendad.yaml:5:14",
         "write a bare address"},
        {"invitations:\n  organizer: rsvp+x@reseau.example\n", "config/agendad.yaml:5:14",
         "may not hold a +"},
        {"invitations:\n  organizer: rsvp@localhost\n", "config/agendad.yaml:5:14", "needs a dot"},
        {"invitations:\n  retention: 2h\n", "config/agendad.yaml:5:14",
         "invitations.retention \"2h\" is out of range (from 1 to 3660 days)"},
        {"invitations:\n  mail_socket: run/mail.sock\n", "config/agendad.yaml:5:16",
         "must be an absolute path"},
        {"invitations:\n  mail_group: \"mail group\"\n", "config/agendad.yaml:5:15",
         "invitations.mail_group \"mail group\" is no group name"},
        {"invitations:\n  mail_group: -mail\n", "config/agendad.yaml:5:15",
         "not starting with '-'"},
        {"invitations:\n  mail_group: [mail]\n", "config/agendad.yaml:5:15", "mail_group"},
        {"invitations:\n  organiser: rsvp@reseau.example\n", "config/agendad.yaml:5:3",
         "unknown key \"organiser\" in invitations (did you mean \"organizer\"?"},
        {"documents:\n  minutes_due: 0s\n", "config/agendad.yaml:5:16",
         "documents.minutes_due \"0s\" is out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_one(*state, bad[i].yaml, EVENT_HEAD, bad[i].where, bad[i].part);
}

#define DOC(kind, source)                                                                          \
    EVENT_HEAD "documents:\n"                                                                      \
               "  - title: {fr: \"Doc\"}\n"                                                        \
               "    kind: " kind "\n"                                                              \
               "    published: 2026-03-20\n" source

static void bad_documents(void **state)
{
    static const struct {
        const char *yaml, *where, *part;
    } bad[] = {
        {DOC("minutes", "    url: \"https://a.example/x.pdf\"\n    file: 2026/cr.pdf\n"),
         "config/events/e.yaml:11:11",
         "either url: (a link) or file: (under documents/), not both"},
        {DOC("minutes", ""), "config/events/e.yaml:7:5", "needs url: (a link) or file:"},
        {DOC("minutes", "    file: ../outside.pdf\n"), "config/events/e.yaml:10:11",
         "no empty part, \".\" or \"..\""},
        {DOC("minutes", "    file: 2026/../2026/cr.pdf\n"), "config/events/e.yaml:10:11",
         "no empty part"},
        {DOC("minutes", "    file: /etc/passwd.txt\n"), "config/events/e.yaml:10:11",
         "relative to the documents/ folder"},
        {DOC("minutes", "    file: 2026/missing.pdf\n"), "config/events/e.yaml:10:11",
         "No such file or directory"},
        {DOC("minutes", "    file: page.html\n"), "config/events/e.yaml:10:11",
         "not of a type the daemon serves: use one of .pdf"},
        {DOC("minutes", "    file: link.pdf\n"), "config/events/e.yaml:10:11",
         "leads out of the documents/ folder"},
        {DOC("minute", "    url: \"https://a.example/x.pdf\"\n"), "config/events/e.yaml:8:11",
         "\"minute\" is not a valid document kind (did you mean \"minutes\"?"},
        {DOC("minutes", "    url: \"ftp://a.example/x.pdf\"\n"), "config/events/e.yaml:10:10",
         "must start with http:// or https://"},
        {EVENT_HEAD "documents:\n  - title: {fr: D}\n    kind: other\n    published: "
                    "2026-03-20T10:00\n    url: \"https://a.example/\"\n",
         "config/events/e.yaml:9:16", "without a time"},
        {EVENT_HEAD "visibility: members\ndocuments:\n  - title: {fr: D}\n    kind: other\n"
                    "    published: 2026-03-20\n    file: 2026/cr.pdf\n",
         "config/events/e.yaml:11:11", "this event is for members only"},
        {EVENT_HEAD "documents:\n  - title: {fr: D}\n    kind: other\n    published: "
                    "2026-03-20\n    file: 2026\n",
         "config/events/e.yaml:10:11", "is not of a type"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_one(*state, "", bad[i].yaml, bad[i].where, bad[i].part);
}

/* A directory named like a document is refused for what it is. */
static void document_directory(void **state)
{
    mkdir("config/documents/dir.pdf", 0700);
    expect_one(*state, "", DOC("report", "    file: dir.pdf\n"), "config/events/e.yaml:10:11",
               "is not a regular file");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(defaults),
        T(settings_and_event_fields),
        T(invitations_need_an_organizer),
        T(bad_settings),
        T(bad_documents),
        T(document_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
