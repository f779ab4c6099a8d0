/* Starting and reaping a parser process without fork(). libuv 1.44's
 * uv_spawn forks: in a daemon holding ~100 MB that copies the page tables
 * on the loop thread (~4.5 ms of CPU per parser), only for the child to
 * unmap it all at exec. glibc's posix_spawn uses clone(CLONE_VM |
 * CLONE_VFORK): its cost does not grow with the parent. The exit is watched
 * through a pidfd, which the loop can poll and which names this child only
 * (no pid reuse race); libuv's SIGCHLD handler waits for its own processes'
 * pids only, so it leaves this one to us. */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void close_pair(int p[2])
{
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
}

/* The child gets the end of each pipe it uses as its fd 0, 1 and 2; dup2
 * clears O_CLOEXEC on the copy (glibc clears it too when the end already is
 * that fd, a daemon started with 0-2 closed), so no other fd of the daemon
 * leaks into it. */
static int stdio_actions(posix_spawn_file_actions_t *fa, int pipes[3][2])
{
    int rc = posix_spawn_file_actions_init(fa);
    if (rc)
        return rc;
    for (int fd = 0; fd < 3 && !rc; fd++)
        rc = posix_spawn_file_actions_adddup2(fa, pipes[fd][fd == 0 ? 0 : 1], fd);
    if (rc)
        posix_spawn_file_actions_destroy(fa);
    return rc;
}

/* As uv_spawn did: default dispositions (an ignored SIGPIPE would survive
 * exec) and no blocked signal. */
static int signal_attrs(posix_spawnattr_t *at)
{
    sigset_t def, none;
    sigfillset(&def);
    sigdelset(&def, SIGKILL);
    sigdelset(&def, SIGSTOP);
    sigemptyset(&none);
    int rc = posix_spawnattr_init(at);
    if (rc)
        return rc;
    rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(at, &def);
    if (!rc)
        rc = posix_spawnattr_setsigmask(at, &none);
    if (rc)
        posix_spawnattr_destroy(at);
    return rc;
}

static int make_pipes(int pipes[3][2])
{
    for (int i = 0; i < 3; i++)
        pipes[i][0] = pipes[i][1] = -1;
    for (int i = 0; i < 3; i++)
        if (pipe2(pipes[i], O_CLOEXEC) < 0)
            return errno;
    return 0;
}

static int start(char **argv, int pipes[3][2], pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int rc = stdio_actions(&fa, pipes);
    if (rc)
        return rc;
    rc = signal_attrs(&at);
    if (!rc) {
        extern char **environ;
        rc = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
        posix_spawnattr_destroy(&at);
    }
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* No way to watch it: it must not outlive this call unreaped. */
static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int sync_spawn(char **argv, sync_spawned *out)
{
    int pipes[3][2];
    pid_t pid;
    int rc = make_pipes(pipes);
    if (!rc)
        rc = start(argv, pipes, &pid);
    int pidfd = rc ? -1 : pidfd_open(pid, 0);
    if (!rc && pidfd < 0) {
        rc = errno;
        kill_and_reap(pid);
    }
    if (rc) {
        for (int i = 0; i < 3; i++)
            close_pair(pipes[i]);
        return rc;
    }
    close(pipes[0][0]);
    close(pipes[1][1]);
    close(pipes[2][1]);
    *out =
        (sync_spawned){.pidfd = pidfd, .in = pipes[0][1], .out = pipes[1][0], .err = pipes[2][0]};
    return 0;
}

int sync_reap(int pidfd, int64_t *exit_status, int *term_signal)
{
    siginfo_t si = {0};
    int rc;
    while ((rc = waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG)) < 0 && errno == EINTR)
        ;
    if (rc < 0)
        return errno;
    if (si.si_pid == 0)
        return EAGAIN;
    *exit_status = si.si_code == CLD_EXITED ? si.si_status : 0;
    *term_signal = si.si_code == CLD_EXITED ? 0 : si.si_status;
    return 0;
}

void sync_kill_reap(int pidfd)
{
    siginfo_t si;
    sync_kill(pidfd, SIGKILL);
    while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
        ;
}

int sync_kill(int pidfd, int sig)
{
    return pidfd_send_signal(pidfd, sig, NULL, 0) < 0 ? errno : 0;
}
