/* The sync plugin's shared state: one record per member that publishes its
 * own feed, pulled on the loop (sync.c schedules, pull.c fetches and parses
 * in a child process, status.c reports). */
#ifndef AGENDAD_SYNC_H
#define AGENDAD_SYNC_H

#include <agendad/plugin.h>

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct sync_plugin sync_plugin;

typedef struct {
    char *data;
    size_t len, cap, max;
    bool overflow;
} sync_buf;

/* One run of agendad-ical-import (proc.c). */
#define SYNC_PROC_ARGS 24
typedef struct sync_proc {
    sync_plugin *sp;
    uv_poll_t exit_watch; /* on pidfd: readable when the process has exited */
    int pidfd;            /* -1 until started; closed with exit_watch */
    uv_pipe_t in, out, err;
    uv_timer_t deadline;
    uv_write_t write;
    uv_buf_t body; /* stdin, taken over */
    sync_buf out_buf, err_buf;
    int open_handles; /* closed when 0: then the owner is told */
    bool started, exited, timed_out;
    bool waiting;  /* in sp's queue for a parser slot */
    bool detached; /* fini ran: sp is gone */
    int64_t exit_status;
    int term_signal;
    char spawn_error[300];
    char *argv[SYNC_PROC_ARGS];
    char args[SYNC_PROC_ARGS][128];
    int argc;
    struct sync_proc *next_waiting;
    void (*closed)(struct sync_proc *p); /* every handle closed: judge, free */
    void *owner;
} sync_proc;

/* A busy interval as the helper prints it; agendad_busy_interval's fields
 * (ABI 1.9), for a plugin also built against older headers. */
typedef struct {
    int64_t start, end;
    bool tentative;
} sync_interval;

/* One pull's parse: its run and its output, judged over several loop turns
 * (pull.c). */
typedef struct {
    sync_proc proc;
    bool outcome_read;
    char verdict[512];     /* the error, "" when the output is good */
    struct json_t *top;    /* the output object but its events */
    struct json_t *parsed; /* its events, parsed a part per turn */
    size_t parse_pos;      /* in the output: where the next token starts */
    int parse_state;       /* pull.c's P_* */
    bool saw_events;       /* the output has its "events" */
    bool storing;          /* the host has the events (ABI 1.7): on_stored ends the pull */
    size_t n_events;
    int64_t from, to; /* the window of the busy time the parser read */
    sync_interval *busy;
    size_t n_busy;
} sync_child;

/* A resource the plugin created in the member's CalDAV collection. */
typedef struct {
    char *uid;
    char *etag;     /* as the server last returned it */
    char *hash;     /* of the body we last wrote */
    char *conflict; /* the ETag of the member's edit the network's newer version waits on
                       ("" when the server gave none); NULL: none waits */
} dav_res;

/* The request an op sends next (push.c). */
typedef enum {
    DAV_WRITE,  /* PUT or DELETE, conditional on what the server last said */
    DAV_PROBE,  /* HEAD: what is under that name now */
    DAV_CREATE, /* PUT with If-None-Match: * (the name is free again) */
    DAV_FORCE,  /* PUT or DELETE without condition (network_wins) */
} dav_step;

typedef struct {
    char *uid;
    char *body; /* NULL: delete */
    char *hash;
    dav_step step;
    bool refused; /* a write of this op got 412 already */
} dav_op;

typedef struct {
    char *url; /* collection, ending in '/' */
    char *username;
    char *password_file;
    bool network_wins;
    bool configured;
    dav_res *res;
    size_t n_res;
    dav_op *ops;
    size_t n_ops, next_op;
    char *password; /* read from its file for one push; never logged */
    agendad_xfer *xfer;
    bool again;   /* a change came during a push: push once more */
    bool trouble; /* this push met a conflict or a failure */
    int64_t last_attempt, last_success;
    long pushed, deleted, conflicts; /* conflicts: once per (resource, member's ETag) */
    char *last_error;
    char **clashes; /* uids whose name a resource agendad did not create holds */
    size_t n_clashes;
    char *resolved; /* how the last conflict or clash ended, for people */
} dav_state;

/* Reading a member's CalDAV collection as busy time (busy.c). */
typedef struct {
    agendad_xfer *xfer;
    sync_proc *proc;
    char *password;        /* for one read; never logged */
    bool asked_freebusy;   /* this read asked free-busy-query first */
    bool parsing_freebusy; /* the helper reads a free-busy-query answer (else a query's) */
    long freebusy_status;
    int64_t from, to;
    int64_t last_attempt, last_success;
    /* When the server last answered free-busy-query without a VFREEBUSY and
     * calendar-query did the read instead: free-busy-query is asked again
     * a day later (0: ask it). */
    int64_t no_freebusy_at;
    const char *method; /* of the last good read: "free-busy-query" or "calendar-query" */
    long unreadable;    /* resources of the last good read that could not be read */
    char *last_error;
} dav_busy;

typedef struct sync_member {
    sync_plugin *sp;
    char *id;
    char *url;
    char *language; /* the member's preferred language, for texts of its events */
    int64_t interval;
    bool private_data;   /* as configured now */
    bool pulled_private; /* private_data of the pull in flight */
    bool copy_private;   /* private_data the stored copy was parsed with (persisted) */
    bool configured;     /* still in members.yaml with a feed_url */
    char *day_tz;        /* where the member's days begin: all-day busy time */
    bool stopping;       /* fini ran: sp is gone, only close callbacks remain */
    uv_timer_t timer;
    agendad_xfer *xfer;
    sync_child *child;
    struct sync_member *next_judged;            /* in sync_plugin's judge queue */
    struct sync_member *next_fetch;             /* in sync_plugin's download queue */
    bool fetch_waiting;                         /* in it */
    char *pending_etag, *pending_last_modified; /* of the response being parsed */
    /* status */
    int64_t last_attempt, last_success, next_pull;
    long events;
    int failures;
    char *last_error;
    char *etag, *last_modified;
    int64_t writes; /* pulls that changed the store */
    int64_t not_modified;
    int64_t busy_at; /* when the busy time of the feed's stored copy was stored; 0: never */
    dav_state dav;
    uv_timer_t dav_timer;
    dav_busy dav_busy;
    uv_timer_t busy_timer;
    int open_timers; /* at fini: freed when 0 and no child remains */
} sync_member;

struct sync_plugin {
    const agendad_host *host;
    agendad_plugin *self;
    agendad_source *source;
    sync_member **members;
    size_t n_members;
    /* settings (agendad.yaml plugins.load.sync) */
    const char *helper;
    char *helper_path; /* helper when found beside sync.so or from it (sync.c) */
    const char *default_tz;
    const char *ca_file;
    bool tls_insecure;
    long connect_timeout_ms, total_timeout_ms;
    size_t max_bytes;
    int max_redirects;
    long parser_memory_mb, parser_cpu_s;
    long max_events;
    int64_t max_backoff;
    int64_t window_past, window_future;
    bool stopping;
    int open_handles;      /* timers still closing */
    agendad_metric *pulls; /* by member and result; NULL on hosts before ABI 1.5 */
    /* Members whose parser has exited, judged (and their events stored) one
     * per loop iteration, so that feeds are served between two members'
     * imports even when every parser finishes at once (start, reload). */
    struct sync_member *judge_head, *judge_tail;
    /* At most max_parsers children at once (setting `parsers`, default the
     * number of CPUs): the others wait here with their input (a downloaded
     * feed, a CalDAV answer). Forking dozens at once (start, reload)
     * starved the loop. */
    int max_parsers, n_parsers;
    struct sync_proc *parse_head, *parse_tail;
    /* The host stores busy time (ABI 1.9): the feed's is stored with its
     * events, CalDAV collections are read. */
    bool busy;
    /* At most SYNC_MAX_DOWNLOADS transfers at once: the others wait here
     * for a slot. Feeds served fast (a LAN, loopback) all arrive in the
     * same loop turn, whose callbacks (curl reading, each body copied)
     * kept the loop from serving for 20-45 ms with 66 members, ~22 ms with
     * 8 slots, ~12 ms with 4; the parsers, not the downloads, set the pace
     * of a first pull from such servers. */
    int n_downloads;
    struct sync_member *fetch_head, *fetch_tail;
};

#define SYNC_MAX_DOWNLOADS 4
/* A feed is downloaded in full at least this often (no If-None-Match), so
 * that the window of its busy time moves on with the days. */
#define SYNC_BUSY_REFRESH 86400
/* Busy time is read from this many seconds back: an event going on now. */
#define SYNC_BUSY_PAST 86400
/* A calendar may hold this many busy intervals per `max_events`: private
 * series, which are no events, are busy time too. */
#define SYNC_BUSY_PER_EVENT 4

void sync_log(sync_plugin *sp, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sync.c */
void sync_member_free(sync_member *m);

/* spawn.c: a process started without fork(), its stdin/stdout/stderr on
 * pipes; the fds are the daemon's ends, close-on-exec. */
typedef struct {
    int pidfd, in, out, err;
} sync_spawned;
/* argv[0] is the program's path. 0 or an errno; nothing is left open or
 * running on failure. */
int sync_spawn(char **argv, sync_spawned *out);
/* After pidfd turned readable: 0 (reaped), EAGAIN (not yet) or an errno. */
int sync_reap(int pidfd, int64_t *exit_status, int *term_signal);
int sync_kill(int pidfd, int sig);
/* For a child that cannot be watched: it must not outlive the call. */
void sync_kill_reap(int pidfd);

/* proc.c: agendad-ical-import runs. init takes input (malloc'd, len
 * bytes) over; max_output bounds what stdout may hold. */
void sync_proc_init(sync_proc *p, sync_plugin *sp, char *input, size_t len, size_t max_output,
                    void (*closed)(sync_proc *p), void *owner);
void sync_proc_arg(sync_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Starts it when a parser slot is free, else later; closed runs once every
 * handle is closed (also when the process could not start). */
void sync_proc_queue(sync_proc *p);
/* Not started yet, or every handle closed: nothing of it is open. */
bool sync_proc_idle(const sync_proc *p);
/* At fini (sp goes): a running process is killed, and closed still runs
 * once its handles are closed, without touching sp. */
void sync_proc_detach(sync_proc *p);
/* How it ended, in plain words (into buf); NULL when it exited 0 with all
 * its output read. */
const char *sync_proc_verdict(sync_proc *p, char *buf, size_t size);
void sync_proc_free(sync_proc *p);

/* pull.c */
void sync_pull(sync_member *m);
/* Stops a member's transfer or child, and drops a result not judged yet
 * (fini). */
void sync_pull_abort(sync_member *m);

/* sync.c: the outcome of a pull; error NULL on success. changed: the store
 * was written. */
void sync_pull_done(sync_member *m, const char *error, bool changed);

/* busy.c: stores a calendar's busy time (calendar "feed" or "caldav");
 * 0 or the host's AGENDAD_E* code. */
int sync_busy_store(sync_member *m, const char *calendar, int64_t from, int64_t to,
                    const sync_interval *iv, size_t n);
/* busy.c: reads the member's CalDAV collection as busy time (at most once
 * per interval: busy_timer); abort at fini. */
void sync_busy_read(sync_member *m);
void sync_busy_abort(sync_member *m);
void sync_busy_free(sync_member *m);
/* The network's events m is invited to, not cancelled: fn per event. */
void sync_invited_events(sync_member *m,
                         void (*fn)(sync_member *m, const agendad_event *ev, void *data),
                         void *data);
/* Frees m once its timers are closed and no child of it remains (fini). */
void sync_member_maybe_free(sync_member *m);

/* push.c: writes the network's events the member is invited to into its
 * CalDAV collection. */
void sync_push(sync_member *m);
void sync_push_load(sync_member *m);
void sync_push_free(sync_member *m);
/* The uids whose network version waits on a member's edit (clashes false),
 * or whose name a foreign resource holds (true), space-separated; NULL when
 * none. Caller frees. */
char *sync_push_list(const sync_member *m, bool clashes);

/* status.c */
void sync_status_route(agendad_request *req, void *data);
void sync_state_load(sync_member *m);
/* Persists the member's status; times only when full (a 304 writes nothing). */
void sync_state_save(sync_member *m, bool full);
/* `agendad sync status` (ABI 1.8 command "sync"; data: the sync_plugin):
 * per member that syncs, what the daemon last saved of its pulls and
 * pushes. Reads only. */
/* Sets sp->helper: the `helper` setting, else agendad-ical-import beside
 * sync.so, else the installed one (sync.c). */
void sync_find_helper(sync_plugin *sp);

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
int sync_status_command(const agendad_command_request *r, void *data);
#endif

#endif
