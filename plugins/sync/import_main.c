/* agendad-ical-import: the child process the sync plugin parses a member's
 * calendar in. It limits its own memory and CPU time before it reads a byte
 * of input, reads it on stdin, and writes one JSON object on stdout (exit
 * 0), or one line in plain words on stderr (exit 3). Anything else — a
 * signal, a limit hit, another exit code — means the parse failed and the
 * plugin keeps the member's last good copy.
 *
 * The output, "format" 2 (the plugin refuses any other; an older helper
 * printed a bare array of events):
 *   a feed (default): {"format": 2, "events": [...], "busy": [...]}, as
 *     si_import gives them (ical_import.h);
 *   --caldav freebusy: {"format": 2, "busy": [...]} from a free-busy-query
 *     answer, the network's events taken out, or {"format": 2,
 *     "unsupported": true} when it holds no VFREEBUSY;
 *   --caldav query: {"format": 2, "busy": [...], "unreadable": N,
 *     "first_unreadable": "HREF: why"?} from a calendar-query answer.
 * In the --caldav modes stdin holds parts, each "<length in bytes>\n"
 * followed by that many bytes: the server's answer; the names of the
 * resources agendad wrote there, one a line ("agendad-UID.ics"); the uids
 * of the network's events the member is invited to, one a line; then each
 * of those events as an iCalendar object (for freebusy). */
#include "caldav_busy.h"
#include "ical_import.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The lowest priority: a parser only needs to finish before its wall-clock
 * deadline, which is generous. */
#define PARSER_NICE 10

/* AddressSanitizer reserves terabytes of address space for its shadow
 * memory, so an RLIMIT_AS makes it abort at start. In sanitizer builds (the
 * test suite's) the CPU limit and the plugin's deadline remain. */
#if defined(__SANITIZE_ADDRESS__)
#define LIMIT_ADDRESS_SPACE 0
#else
#define LIMIT_ADDRESS_SPACE 1
#endif

#define OUTPUT_FORMAT 2

typedef struct {
    si_limits lim;
    long mem_mb, cpu_s;
    size_t max_bytes;
    const char *caldav; /* NULL: a feed; "freebusy" or "query" */
} options;

static int limit(int what, rlim_t v)
{
    struct rlimit r = {v, v};
    return setrlimit(what, &r);
}

static long num(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *end || v < 0 ? -1 : v;
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"max-instances", required_argument, NULL, 'i'},
        {"max-iterations", required_argument, NULL, 'I'},
        {"max-events", required_argument, NULL, 'e'},
        {"max-bytes", required_argument, NULL, 'b'},
        {"tz", required_argument, NULL, 'z'},
        {"private", no_argument, NULL, 'p'},
        {"mem-mb", required_argument, NULL, 'm'},
        {"cpu-s", required_argument, NULL, 'c'},
        {"day-tz", required_argument, NULL, 'd'},
        {"busy-from", required_argument, NULL, 'B'},
        {"max-busy", required_argument, NULL, 'M'},
        {"caldav", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        long v = ch == 'z' || ch == 'p' || ch == 'd' || ch == 'C' ? 0 : num(optarg);
        if (v < 0)
            return -1;
        switch (ch) {
        case 'f':
            o->lim.from = v;
            break;
        case 't':
            o->lim.to = v;
            break;
        case 'i':
            o->lim.max_instances = (size_t)v;
            break;
        case 'I':
            o->lim.max_iterations = (size_t)v;
            break;
        case 'e':
            o->lim.max_events = (size_t)v;
            break;
        case 'b':
            o->max_bytes = (size_t)v;
            break;
        case 'z':
            o->lim.default_tzid = optarg;
            break;
        case 'p':
            o->lim.private_data = true;
            break;
        case 'm':
            o->mem_mb = v;
            break;
        case 'c':
            o->cpu_s = v;
            break;
        case 'd':
            o->lim.day_tzid = optarg;
            break;
        case 'B':
            o->lim.busy_from = v;
            break;
        case 'M':
            o->lim.max_busy = (size_t)v;
            break;
        case 'C':
            if (strcmp(optarg, "freebusy") != 0 && strcmp(optarg, "query") != 0)
                return -1;
            o->caldav = optarg;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

static char *read_all(FILE *f, size_t max, size_t *len)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    *len = 0;
    while (buf) {
        if (*len + 1 >= cap) {
            char *g = realloc(buf, cap * 2);
            if (!g)
                break;
            buf = g;
            cap *= 2;
        }
        size_t n = fread(buf + *len, 1, cap - *len - 1, f);
        if (n == 0)
            break;
        *len += n;
        if (*len > max) {
            free(buf);
            return NULL;
        }
    }
    if (buf)
        buf[*len] = '\0';
    return buf;
}

/* ------------------------------------------------------------ --caldav */

typedef struct {
    char **v; /* each NUL-terminated */
    size_t n;
} parts;

static void parts_free(parts *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

/* stdin's parts; false when they are not "<length>\n<bytes>" to the end. */
static bool split_parts(const char *in, size_t len, parts *p)
{
    size_t at = 0;
    while (at < len) {
        char *end;
        unsigned long long n = strtoull(in + at, &end, 10);
        if (end == in + at || *end != '\n' || n > len - (size_t)(end + 1 - in))
            return false;
        char **g = realloc(p->v, (p->n + 1) * sizeof *g);
        char *part = g ? malloc((size_t)n + 1) : NULL;
        if (g)
            p->v = g;
        if (!part)
            return false;
        memcpy(part, end + 1, (size_t)n);
        part[n] = '\0';
        p->v[p->n++] = part;
        at = (size_t)(end + 1 - in) + (size_t)n;
    }
    return p->n >= 3;
}

/* The lines of a part, in place: NULL-free pointers into it. */
static const char **lines(char *text, size_t *n)
{
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == '\n';
    const char **v = calloc(cap, sizeof *v);
    *n = 0;
    for (char *save = NULL, *l = v ? strtok_r(text, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save))
        v[(*n)++] = l;
    return v;
}

/* The network's events the member's collection holds as agendad pushed
 * them, as busy time to take out of the server's free/busy. */
static json_t *network_busy(const parts *p, const options *o, char **err)
{
    si_limits lim = o->lim;
    lim.n_skip_uids = 0;
    json_t *minus = json_array();
    for (size_t i = 3; minus && i < p->n; i++)
        if (!si_busy(p->v[i], &lim, minus, err)) {
            json_decref(minus);
            return NULL;
        }
    return minus;
}

static json_t *freebusy(const parts *p, const options *o, char **err)
{
    json_t *busy = json_array();
    int found = busy ? si_freebusy(p->v[0], &o->lim, busy, err) : -1;
    json_t *minus = found == 1 ? network_busy(p, o, err) : NULL;
    json_t *out = NULL;
    if (found == 0)
        out = json_pack("{s:b}", "unsupported", 1);
    else if (minus)
        out = json_pack("{s:o}", "busy", si_busy_subtract(busy, minus));
    json_decref(busy);
    json_decref(minus);
    return out;
}

static json_t *query(const parts *p, options *o, char **err)
{
    size_t n_names, n_uids, unreadable;
    const char **names = lines(p->v[1], &n_names), **uids = lines(p->v[2], &n_uids);
    json_t *busy = names && uids ? json_array() : NULL;
    o->lim.skip_uids = uids;
    o->lim.n_skip_uids = n_uids;
    char *first = NULL;
    json_t *out = NULL;
    if (busy && si_multistatus(p->v[0], strlen(p->v[0]), &o->lim, names, n_names, busy, &unreadable,
                               &first, err)) {
        out = json_pack("{s:O,s:I}", "busy", busy, "unreadable", (json_int_t)unreadable);
        if (out && first)
            json_object_set_new(out, "first_unreadable", json_string(first));
    }
    free(first);
    json_decref(busy);
    free(names);
    free(uids);
    return out;
}

static json_t *caldav(const char *in, size_t len, options *o, char **err)
{
    parts p = {0};
    json_t *out = NULL;
    if (!split_parts(in, len, &p))
        *err = strdup("agendad-ical-import: --caldav input is not as the sync plugin writes it");
    else
        out = strcmp(o->caldav, "freebusy") == 0 ? freebusy(&p, o, err) : query(&p, o, err);
    parts_free(&p);
    return out;
}

/* The test suite proves that a parser crash costs one pull only: it sets
 * this variable, and a feed carrying its value crashes the child. */
static void crash_on_marker(const char *text)
{
    const char *marker = getenv("AGENDAD_IMPORT_CRASH_MARKER");
    if (marker && *marker && strstr(text, marker)) {
        /* A real crash even under AddressSanitizer, whose own SIGSEGV
         * handler would otherwise turn it into exit status 1. */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
}

int main(int argc, char **argv)
{
    options o = {.lim = {.from = 0,
                         .to = INT64_MAX,
                         .max_instances = 1000,
                         .max_iterations = 100000,
                         .max_events = 100000,
                         .default_tzid = "UTC"},
                 .mem_mb = 512,
                 .cpu_s = 10,
                 .max_bytes = 64u << 20};
    if (parse_args(argc, argv, &o) < 0) {
        fputs("agendad-ical-import: bad arguments\n", stderr);
        return 2;
    }
    if ((LIMIT_ADDRESS_SPACE && limit(RLIMIT_AS, (rlim_t)o.mem_mb << 20) < 0) ||
        limit(RLIMIT_CPU, (rlim_t)o.cpu_s) < 0 || limit(RLIMIT_CORE, 0) < 0) {
        perror("agendad-ical-import: setrlimit");
        return 2;
    }
    /* Background work: when every member is pulled at once (start, reload)
     * dozens of parsers run together, and the daemon's loop (feeds,
     * reminders) must still get the CPU first. Failing to lower it changes
     * nothing else. */
    (void)setpriority(PRIO_PROCESS, 0, PARSER_NICE);
    size_t len;
    char *text = read_all(stdin, o.max_bytes, &len);
    if (!text) {
        fputs("the feed is larger than the import limit\n", stderr);
        return 3;
    }
    crash_on_marker(text);
    char *err = NULL;
    json_t *out = o.caldav ? caldav(text, len, &o, &err) : si_import(text, &o.lim, &err);
    free(text);
    if (out && json_object_set_new(out, "format", json_integer(OUTPUT_FORMAT)) < 0) {
        json_decref(out);
        out = NULL;
    }
    if (!out) {
        fprintf(stderr, "%s\n", err ? err : "out of memory");
        free(err);
        return 3;
    }
    int rc = json_dumpf(out, stdout, JSON_COMPACT) == 0 && fflush(stdout) == 0 ? 0 : 3;
    json_decref(out);
    return rc;
}
