/* agendad-ical-import: the child process the sync plugin parses a member's
 * feed in. It limits its own memory and CPU time before it reads a byte of
 * the feed, reads the feed on stdin, and writes the events as JSON on
 * stdout (exit 0), or one line in plain words on stderr (exit 3). Anything
 * else — a signal, a limit hit, another exit code — means the parse failed
 * and the plugin keeps the member's last good copy. */
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

typedef struct {
    si_limits lim;
    long mem_mb, cpu_s;
    size_t max_bytes;
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
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        long v = ch == 'z' || ch == 'p' ? 0 : num(optarg);
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
    options o = {.lim = {0, INT64_MAX, 1000, 100000, 100000, "UTC", false},
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
    json_t *events = si_import(text, &o.lim, &err);
    free(text);
    if (!events) {
        fprintf(stderr, "%s\n", err ? err : "import failed");
        free(err);
        return 3;
    }
    int rc = json_dumpf(events, stdout, JSON_COMPACT) == 0 && fflush(stdout) == 0 ? 0 : 3;
    json_decref(events);
    return rc;
}
