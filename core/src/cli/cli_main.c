/* The agendad command line: run, check, export, list, token, reminders,
 * propose, attendance, rsvp-key, and the plugins' commands. */
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "service_export.h"
#include "log.h"
#include "config_network.h"
#include "cli_attendance.h"
#include "cli_check.h"
#include "cli_command.h"
#include "cli_error.h"
#include "cli_propose.h"
#include "cli_mailin.h"
#include "cli_reminders.h"
#include "cli_render.h"
#include "i18n.h"
#include "service.h"
#include "store.h"
#include "tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The commands as typed (never translated) and what each does, one line of
 * the help per line of the text. */
static const struct {
    const char *synopsis, *text;
} commands[] = {
    {"run     --config DIR [--listen ADDR:PORT] [--state PATH] [--plugin-dir DIR]",
     N_("Serve the feeds; reload on SIGHUP and when a config file changes;\n"
        "stop cleanly on SIGTERM.")},
    {"check   --config DIR [--plugin-dir DIR]",
     N_("Validate the configuration, and through the plugins it loads their\n"
        "settings; print every error as file:line:col.")},
    {"export  --config DIR --out DIR [--state PATH]",
     N_("Write every feed as files, byte-identical to what HTTP serves.")},
    {"list    --config DIR [--state PATH]",
     N_("List the events the store knows, with SEQUENCE and status.")},
    {"token   --config DIR [--state PATH] MEMBER [--revoke]",
     N_("Create (or rotate) the secret token of MEMBER's feed, which shows\n"
        "members-only events; print its subscribe URL. --revoke deletes it.")},
    {"reminders --config DIR [--state PATH] [STATE] [--retry ID]",
     N_("List the reminder outbox (STATE: pending, sent, failed, missed,\n"
        "dropped or all); --retry puts a failed or missed reminder back.")},
    {"propose --config DIR [--state PATH] --audience SEL[,SEL...] --duration DUR\n"
     "          --from DATE --to DATE [--count N] [--step DUR] [--format txt|json|ics]\n"
     "          [--lang ar|fr]",
     N_("Propose meeting slots when the members SEL names are free: no network\n"
        "event, nothing in their own calendars, no holiday, within their\n"
        "working hours.")},
    {"mail-in --config DIR < MESSAGE",
     N_("Hand one email (a reply to an invitation) to the running daemon, for\n"
        "an MTA alias or .forward. Exit 0: recorded or dropped; 65: malformed\n"
        "(bounce); 75: the daemon cannot take it now (retry).")},
    {"attendance --config DIR [--state PATH] UID [--occurrence DATE]\n"
     "          [--present ID[,ID...]] [--absent ID[,ID...]] | [--link]",
     N_("Record who attended the event (member ids, or invited addresses);\n"
        "--link prints the host's checklist link; alone, print the tally.")},
    {"rsvp-key --config DIR [--state PATH] rotate [--grace DURATION] | list",
     N_("Sign invitations' links and reply addresses with a new key; the\n"
        "previous ones verify for DURATION more (default 60d; 0: no more).")},
    {"NAME    --config DIR [--state PATH] [--plugin-dir DIR] [ARG] [--format F]\n"
     "          [--lang ar|fr]",
     N_("A command a configured plugin provides; its README and the\n"
        "admin's manual (admin.md) list them.")},
};

static const struct {
    const char *option, *text;
} options[] = {
    {"-c, --config DIR", N_("configuration directory (agendad.yaml, members.yaml, events/)")},
    {"-l, --listen ADDR:PORT", N_("overrides `listen` of agendad.yaml")},
    {"-s, --state PATH", N_("overrides `state` of agendad.yaml (the sqlite database)")},
    {"-p, --plugin-dir DIR", N_("overrides `plugins.directory` of agendad.yaml")},
    {"-o, --out DIR", N_("export destination")},
    {"-r, --revoke", N_("with token: delete the member's token")},
    {"-R, --retry ID", N_("with reminders: send reminder ID again")},
    {"-f, --format F", N_("with propose or a plugin command: output format\n(default txt)")},
    {"-L, --lang ar|fr", N_("with propose or a plugin command: language")},
    {"    --audience SEL", N_("with propose: member ids, region:ID, kind:KIND, network")},
    {"    --duration DUR", N_("with propose: the meeting's length (30m, 2h, 1h30m)")},
    {"    --from DATE", N_("with propose: first day (YYYY-MM-DD, the network's zone)")},
    {"    --to DATE", N_("with propose: last day, included (at most 366 days)")},
    {"    --count N", N_("with propose: how many slots (default 10)")},
    {"    --step DUR", N_("with propose: between candidate starts (default 30m)")},
    {"    --occurrence DATE", N_("with attendance: the occurrence of a series (YYYY-MM-DD)")},
    {"    --present IDS", N_("with attendance: who was there (comma-separated)")},
    {"    --absent IDS", N_("with attendance: who was not")},
    {"    --link", N_("with attendance: print the host's checklist link")},
    {"    --grace DURATION", N_("with rsvp-key rotate: how long the old keys still verify")},
    {"-v, --verbose", N_("log debug messages")},
    {"-h, --help", N_("this text")},
    {"-V, --version", N_("print the version")},
};

/* Each line of text, indented. */
static void put_indented(FILE *out, const char *text, const char *indent)
{
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        fprintf(out, "%s%.*s\n", indent, (int)len, line);
        line += len + (line[len] == '\n');
    }
}

static void usage(FILE *out)
{
    fprintf(out, "%s\n\n%s\n", _("Usage: agendad COMMAND [OPTIONS]"), _("Commands:"));
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %s\n", commands[i].synopsis);
        put_indented(out, _(commands[i].text), "          ");
    }
    fprintf(out, "\n%s\n", _("Options:"));
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        const char *text = _(options[i].text);
        size_t len = strcspn(text, "\n");
        fprintf(out, "  %-22s %.*s\n", options[i].option, (int)len, text);
        if (text[len])
            put_indented(out, text + len + 1, "                         ");
    }
    fprintf(out, "\n%s",
            _("Signals (run): SIGHUP reloads; SIGTERM and SIGINT stop after the requests and\n"
              "reminder deliveries in flight (10 s at most). Every config key, the HTTP\n"
              "endpoints (/metrics, /status) and the systemd integration are described in\n"
              "agendad(8).\n"));
}

typedef struct {
    const char *command;
    const char *config_dir;
    const char *out_dir;
    const char *member;
    bool revoke;
    const char *retry;
    const char *format;
    const char *lang;
    bool verbose;
    ag_attendance_args attendance;
    const char *grace;
    ag_overrides ov;
    ag_propose_args propose;
} ag_cli;

/* propose's options have no short form. */
enum { OPT_AUDIENCE = 256, OPT_DURATION, OPT_FROM, OPT_TO, OPT_COUNT, OPT_STEP };

/* Kept in order, repeats included, for the query's parser to judge. */
static int add_propose_option(ag_cli *cli, int c, const char *value)
{
    static const char *const names[] = {"audience", "duration", "from", "to", "count", "step"};
    ag_propose_args *p = &cli->propose;
    if (p->n == AG_CLI_PROPOSE_MAX_OPTIONS) {
        ag_cli_error(stderr, NULL, "%s", _("too many options\n"));
        return AG_EINVAL;
    }
    p->names[p->n] = names[c - OPT_AUDIENCE];
    p->values[p->n++] = value;
    return 0;
}
/* Long options without a short form. */
enum { OPT_OCCURRENCE = 1000, OPT_PRESENT, OPT_ABSENT, OPT_LINK, OPT_GRACE };

static int parse_args(int argc, char **argv, ag_cli *cli)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"state", required_argument, NULL, 's'},
        {"plugin-dir", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"revoke", no_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"format", required_argument, NULL, 'f'},
        {"lang", required_argument, NULL, 'L'},
        {"retry", required_argument, NULL, 'R'},
        {"audience", required_argument, NULL, OPT_AUDIENCE},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"count", required_argument, NULL, OPT_COUNT},
        {"step", required_argument, NULL, OPT_STEP},
        {"occurrence", required_argument, NULL, OPT_OCCURRENCE},
        {"present", required_argument, NULL, OPT_PRESENT},
        {"absent", required_argument, NULL, OPT_ABSENT},
        {"link", no_argument, NULL, OPT_LINK},
        {"grace", required_argument, NULL, OPT_GRACE},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:l:s:p:o:rvhVf:L:R:", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli->config_dir = optarg;
            break;
        case 'l':
            cli->ov.listen = optarg;
            break;
        case 's':
            cli->ov.state_path = optarg;
            break;
        case 'p':
            cli->ov.plugin_dir = optarg;
            break;
        case 'o':
            cli->out_dir = optarg;
            break;
        case 'r':
            cli->revoke = true;
            break;
        case 'R':
            cli->retry = optarg;
            break;
        case 'f':
            cli->format = optarg;
            break;
        case 'L':
            cli->lang = optarg;
            break;
        case OPT_OCCURRENCE:
            cli->attendance.occurrence = optarg;
            break;
        case OPT_PRESENT:
            cli->attendance.present = optarg;
            break;
        case OPT_ABSENT:
            cli->attendance.absent = optarg;
            break;
        case OPT_LINK:
            cli->attendance.link = true;
            break;
        case OPT_GRACE:
            cli->grace = optarg;
            break;
        case 'v':
            ag_log_set_level(AG_LOG_DEBUG);
            cli->verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("agendad %s\n", AGENDAD_VERSION);
            exit(0);
        case OPT_AUDIENCE:
        case OPT_DURATION:
        case OPT_FROM:
        case OPT_TO:
        case OPT_COUNT:
        case OPT_STEP:
            if (add_propose_option(cli, c, optarg) < 0)
                return AG_EINVAL;
            break;
        default:
            return AG_EINVAL;
        }
    }
    if (optind < argc)
        cli->command = argv[optind++];
    if (optind < argc)
        cli->member = argv[optind++];
    if (optind < argc) {
        ag_cli_error(stderr, NULL, _("unexpected argument \"%s\"\n"), argv[optind]);
        return AG_EINVAL;
    }
    return 0;
}

/* The config as the daemon loads it; then the plugins it loads check their
 * settings, also when an event file has errors (they read settings and
 * members only), so that every error comes out in one run. */
static int load_checked(const ag_cli *cli, ag_config **cfg, ag_diags *diags)
{
    int rc = ag_config_load_base(cli->config_dir, cfg, diags);
    if (rc < 0) {
        /* The whole load lists the event files' errors as well. */
        ag_diags_truncate(diags, 0);
        return ag_config_load(cli->config_dir, cfg, diags);
    }
    rc = ag_config_load_events(*cfg, diags);
    if (ag_cli_check_plugins(*cfg, &cli->ov, cli->verbose, diags) > 0 && rc == 0)
        rc = AG_ECONFIG;
    if (rc < 0) {
        ag_config_free(*cfg);
        *cfg = NULL;
    }
    return rc;
}

static int cmd_check(const ag_cli *cli)
{
    ag_tz_init();
    ag_config *cfg = NULL;
    ag_diags diags = {0};
    int rc = load_checked(cli, &cfg, &diags);
    char dir[4096 + 8];
    ag_i18n_ltr(dir, sizeof dir, cli->config_dir);
    if (rc < 0) {
        size_t n = ag_diags_count(&diags);
        ag_diags_print(&diags, stderr);
        fprintf(stderr, "%s: ", dir);
        fprintf(stderr,
                ngettext("%zu error; the running daemon keeps its last good configuration\n",
                         "%zu errors; the running daemon keeps its last good configuration\n", n),
                n);
    } else {
        printf("%s: ", dir);
        printf(_("OK: %zu members, %zu categories, %zu events\n"), cfg->n_members,
               cfg->n_categories, cfg->n_events);
        ag_config_free(cfg);
    }
    ag_diags_free(&diags);
    ag_tz_shutdown();
    return rc < 0 ? 1 : 0;
}

/* Opens config + store as the daemon would (reconciling), for offline
 * commands. Prints what went wrong. */
static int open_offline(const ag_cli *cli, ag_service *svc)
{
    ag_tz_init();
    ag_diags diags = {0};
    char *err = NULL;
    int rc = ag_service_open(svc, cli->config_dir, &cli->ov, &diags, &err);
    if (rc < 0) {
        ag_diags_print(&diags, stderr);
        if (err)
            ag_cli_error(stderr, NULL, "%s\n", err);
        ag_service_close(svc);
        ag_tz_shutdown();
    }
    ag_diags_free(&diags);
    free(err);
    return rc;
}

static void close_offline(ag_service *svc)
{
    ag_service_close(svc);
    ag_tz_shutdown();
}

static int cmd_export(const ag_cli *cli)
{
    if (!cli->out_dir) {
        ag_cli_error(stderr, "export", "%s", _("--out DIR is required\n"));
        return 2;
    }
    ag_service svc;
    if (open_offline(cli, &svc) < 0)
        return 1;
    char *err = NULL;
    int n = ag_service_export(&svc, cli->out_dir, (int64_t)time(NULL), &err);
    if (n < 0) {
        ag_cli_error(stderr, "export", "%s\n", err ? err : _("failed"));
    } else {
        printf(ngettext("exported %d feed to %s\n", "exported %d feeds to %s\n", (unsigned long)n),
               n, cli->out_dir);
    }
    free(err);
    close_offline(&svc);
    return n < 0 ? 1 : 0;
}

static void format_local(const ag_datetime *t, char *buf, size_t size)
{
    if (t->is_date)
        snprintf(buf, size, "%04d-%02d-%02d", t->year, t->month, t->day);
    else
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d", t->year, t->month, t->day, t->hour,
                 t->minute);
}

static const char *status_name(const ag_stored_event *e)
{
    if (e->removed_at)
        return "removed";
    static const char *const names[] = {"confirmed", "tentative", "cancelled"};
    return names[e->ev.status];
}

static int cmd_list(const ag_cli *cli)
{
    ag_service svc;
    if (open_offline(cli, &svc) < 0)
        return 1;
    printf("%-48s %-17s %-18s %-10s %s\n", "UID", "START", "ZONE", "STATUS", "SEQUENCE");
    for (size_t i = 0; i < svc.n_evs; i++) {
        const ag_stored_event *e = &svc.evs[i];
        char start[32];
        format_local(&e->ev.start, start, sizeof start);
        printf("%-48s %-17s %-18s %-10s %d\n", e->ev.uid, start, e->ev.tzid, status_name(e),
               e->sequence);
    }
    close_offline(&svc);
    return 0;
}

static int cmd_token(const ag_cli *cli)
{
    if (!cli->member) {
        ag_cli_error(stderr, "token", "%s",
                     _("name the member, e.g. agendad token --config DIR fes\n"));
        return 2;
    }
    ag_service svc;
    if (open_offline(cli, &svc) < 0)
        return 1;
    int rc = 1;
    char *err = NULL, *token = NULL;
    if (!ag_config_member(svc.cfg, cli->member)) {
        ag_cli_error(stderr, "token", _("no member \"%s\" in members.yaml\n"), cli->member);
    } else if (cli->revoke ? ag_store_token_revoke(svc.store, cli->member, &err)
                           : ag_store_token_create(svc.store, cli->member, &token, &err)) {
        ag_cli_error(stderr, "token", "%s\n", err ? err : _("failed"));
    } else {
        rc = 0;
        if (token)
            printf("%s/feeds/members/%s.ics?token=%s\n", ag_service_settings(&svc)->base_url,
                   cli->member, token);
        else
            printf(_("token of %s revoked\n"), cli->member);
    }
    free(err);
    free(token);
    close_offline(&svc);
    return rc;
}

static int cmd_reminders(const ag_cli *cli)
{
    ag_service svc;
    if (open_offline(cli, &svc) < 0)
        return 1;
    int rc = ag_cli_reminders(&svc, cli->member, cli->retry, stdout, stderr);
    close_offline(&svc);
    return rc;
}

static int cmd_propose(ag_cli *cli)
{
    if (cli->member) {
        ag_cli_error(stderr, "propose", _("unexpected argument \"%s\"\n"), cli->member);
        return 2;
    }
    cli->propose.format = cli->format;
    cli->propose.lang = cli->lang;
    return ag_cli_propose(cli->config_dir, &cli->ov, &cli->propose, stdout, stderr);
}

static int cmd_attendance(ag_cli *cli)
{
    ag_service svc;
    if (open_offline(cli, &svc) < 0)
        return 1;
    cli->attendance.uid = cli->member;
    int rc = ag_cli_attendance(&svc, &cli->attendance, stdout, stderr);
    close_offline(&svc);
    return rc;
}

static int cmd_rsvp_key(const ag_cli *cli)
{
    ag_service svc;
    if (open_offline(cli, &svc) < 0)
        return 1;
    int rc = ag_cli_rsvp_key(&svc, cli->member, cli->grace, stdout, stderr);
    close_offline(&svc);
    return rc;
}

int main(int argc, char **argv)
{
    ag_i18n_init();
    ag_cli cli = {0};
    if (parse_args(argc, argv, &cli) < 0 || !cli.command) {
        usage(stderr);
        return 2;
    }
    if (!cli.config_dir) {
        ag_cli_error(stderr, cli.command, "%s", _("--config DIR is required\n"));
        return 2;
    }
    if (cli.propose.n && strcmp(cli.command, "propose") != 0) {
        ag_cli_error(stderr, cli.command, _("--%s is an option of propose only\n"),
                     cli.propose.names[0]);
        return 2;
    }
    if (strcmp(cli.command, "run") == 0)
        return ag_daemon_run(cli.config_dir, &cli.ov);
    if (strcmp(cli.command, "check") == 0)
        return cmd_check(&cli);
    if (strcmp(cli.command, "export") == 0)
        return cmd_export(&cli);
    if (strcmp(cli.command, "list") == 0)
        return cmd_list(&cli);
    if (strcmp(cli.command, "token") == 0)
        return cmd_token(&cli);
    if (strcmp(cli.command, "reminders") == 0)
        return cmd_reminders(&cli);
    if (strcmp(cli.command, "propose") == 0)
        return cmd_propose(&cli);
    if (strcmp(cli.command, "mail-in") == 0)
        return ag_cli_mailin(cli.config_dir, stdin, stderr);
    if (strcmp(cli.command, "attendance") == 0)
        return cmd_attendance(&cli);
    if (strcmp(cli.command, "rsvp-key") == 0)
        return cmd_rsvp_key(&cli);
    /* Any other command may be a plugin's: a command, else a
     * renderer. */
    ag_command_args ca = {.name = cli.command,
                          .arg = cli.member,
                          .format = cli.format,
                          .lang = cli.lang,
                          .verbose = cli.verbose};
    bool handled = false;
    int rc = ag_cli_command(cli.config_dir, &cli.ov, &ca, &handled);
    if (handled)
        return rc;
    ag_render_args ra = {
        .name = cli.command, .key = cli.member, .format = cli.format, .lang = cli.lang};
    return ag_cli_render(cli.config_dir, &cli.ov, &ra, stdout);
}
