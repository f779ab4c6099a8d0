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

/* One run of agendad-ical-import. */
typedef struct {
    uv_poll_t exit_watch; /* on pidfd: readable when the process has exited */
    int pidfd;            /* -1 until started; closed with exit_watch */
    uv_pipe_t in, out, err;
    uv_timer_t deadline;
    uv_write_t write;
    uv_buf_t body;
    sync_buf out_buf, err_buf;
    int open_handles; /* closed when 0: then the result is judged */
    bool exited, timed_out;
    int64_t exit_status;
    int term_signal;
    char spawn_error[300];
    /* judged over several loop turns (pull.c): */
    bool outcome_read;
    char verdict[512];     /* the error, "" when the output is good */
    struct json_t *parsed; /* the output, an array of events, parsed a part per turn */
    size_t parse_pos;      /* in out_buf: where the next event starts */
    bool storing;          /* the host has the events (ABI 1.7): on_stored ends the pull */
    size_t n_events;
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
    bool stopping;       /* fini ran: sp is gone, only close callbacks remain */
    uv_timer_t timer;
    agendad_xfer *xfer;
    sync_child *child;
    struct sync_member *next_judged;            /* in sync_plugin's judge queue */
    struct sync_member *next_parse;             /* in sync_plugin's parser queue */
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
    dav_state dav;
    uv_timer_t dav_timer;
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
     * number of CPUs): the others wait here with their downloaded feed.
     * Forking dozens at once (start, reload) starved the loop. */
    int max_parsers, n_parsers;
    struct sync_member *parse_head, *parse_tail;
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

/* pull.c */
void sync_pull(sync_member *m);
/* Stops a member's transfer or child, and drops a result not judged yet
 * (fini). */
void sync_pull_abort(sync_member *m);

/* sync.c: the outcome of a pull; error NULL on success. changed: the store
 * was written. */
void sync_pull_done(sync_member *m, const char *error, bool changed);

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
