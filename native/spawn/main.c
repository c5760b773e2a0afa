/* execgate-spawn: the host end of every escalation, one server per broker.
 *
 * Node can pass only UTF-8 strings as argv and environment, a command from
 * the sandbox may carry any bytes, and starting a helper per escalation
 * costs a Node child spawn each time. So the broker starts this server once
 * (lazily, at its first escalation) and hands it each approved command; the
 * server forks a supervisor per command, which runs it from the exact bytes
 * (supervise.c: the command's process is forked ahead of its spec).
 *
 * THE PROTOCOL (src/exec/spawn-protocol.ts is the other side; this comment
 * and that module are the one description):
 *
 * Start. The broker runs `execgate-spawn` with no arguments, in a session of
 * its own, with fd 3 its end of an AF_UNIX SOCK_SEQPACKET socketpair (the
 * server socket), 0 and 1 /dev/null, 2 the broker's stderr, an empty
 * environment. Any other fd it finds open it closes first.
 *
 * Server socket, broker -> server, one message per command: the 4 bytes
 * "EGC1" and, by SCM_RIGHTS, exactly one fd: the supervisor's end of a fresh
 * AF_UNIX SOCK_STREAM socketpair, the command's control channel. The server
 * forks a supervisor for it, closes its copy, reaps supervisors as they end
 * (never waiting on one), and exits when the broker's end closes;
 * supervisors then keep running until their commands end. A malformed
 * message is a broker bug: its fds are closed (the broker sees its control
 * channel end without a report) and a line goes to stderr. Why the spec is
 * not in this message: a seqpacket message is capped by the socket buffer
 * (~208 KiB) and argv + env may be megabytes; a 4-byte message is never
 * refused for size, can wait in a queue without the broker holding
 * anybody's fds, and a large spec goes straight to its own supervisor
 * instead of queueing in front of every other session's.
 *
 * Server socket, server -> broker: "EGR1" and exactly one fd: the broker's
 * end of the control channel of a spare, a supervisor forked ahead of time
 * that waits for a spec on it. The broker may send a command's spec (below)
 * on it instead of making a channel and sending "EGC1": no fork and no hop
 * through the server stand between the broker and the command's start. The
 * server keeps one spare out at a time: when one has started its command
 * (or its channel closed unused) it forks the next. A spare is a
 * supervisor like any other, and is not the server's to end: once its
 * channel is with the broker, only the broker's closing it (unused) ends
 * it. When the broker's
 * socket has no room, the spare goes (its channel closed) and no other is
 * made until the broker sends a command. Nothing else goes from the server
 * to the broker on this socket.
 *
 * Control channel, broker -> supervisor: first the spec, with 4 fds by
 * SCM_RIGHTS on its first byte: the pinned working directory (an
 * O_DIRECTORY fd, entered with fchdir, never a path), then the caller's
 * stdin, stdout and stderr. The spec is a 4-byte big-endian length, then
 * NUL-terminated strings: "EGS2", file (absolute), dev, ino (decimal: the
 * identity the program file had when approved), tty ("" or "ROWS COLS": the
 * caller's stdin is a terminal, the command gets a pty of that size), closed
 * (which of fds 0-2 the command gets closed, as digits), argc, argv...,
 * envc, env.... Then lines:
 *   "K SIG"        signal the command's process group
 *   "W ROWS COLS"  the caller's window size (pty only)
 *   "I 0"          stop reading the caller's terminal: the command is being
 *                  stopped and the caller's shell takes the terminal back.
 *                  Reading resumes when the command continues, which the
 *                  supervisor sees itself (there is no "I 1").
 * End of file: the broker is gone; the command's group gets SIGHUP, as on a
 * closed terminal.
 *
 * Control channel, supervisor -> broker, lines:
 *   "P PID"        the command has its spec and is about to exec: PID is
 *                  its pid and process group
 *   "S SIG"        the command stopped (on SIG); the caller's job stops too
 *   "X CODE SIG"   the command ended: exit status CODE (SIG 0), or killed
 *                  by SIG (CODE 0). The last line; the supervisor exits.
 * A command that cannot start (bad spec, no pty, the working directory
 * cannot be entered, the program file changed since it was approved, exec
 * failed) gets one line "execgate: ..." on its stderr and "X 126 0" ("X 127
 * 0" when the program does not exist), as from a shell. End of file without
 * "X" means the supervisor died (killed): the broker kills the group "P"
 * named with SIGKILL and reports the command killed by SIGKILL. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "closefds.h"
#include "fdpass.h"
#include "spawn.h"

#define SERVER_FD 3
#define COMMAND_MAGIC "EGC1"
#define COMMAND_FDS 1

static void complain(const char *what, const char *detail)
{
    dprintf(2, "execgate-spawn: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

static void close_all(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

/* One command: a supervisor of its own, forked with nothing of ours. */
static void start_supervisor(int sock, int sfd, int ctl)
{
    pid_t pid = fork();
    if (pid == 0) {
        close(sock);
        close(sfd);
        supervisor_main(ctl, -1);
    }
    if (pid < 0) {
        /* The broker hears it as a command that could not start. */
        int err = errno;
        complain("fork", strerror(err));
        dprintf(ctl, "X 126 0\n");
    }
    close(ctl);
}

/* The spare out with the broker: `taken` is the read end of a pipe whose
 * write end only the spare holds; it becomes readable (a byte, or the end of
 * file) once the spare's command has exec'd or is gone. -1: none out. */
static int taken = -1;
/* The broker's socket had no room for a spare: none until it sends again. */
static int spares_paused = 0;

#define SPARE_MAGIC "EGR1"

/* Forks a spare and offers its channel to the broker, unless one is out. */
static void make_spare(int sock, int sfd)
{
    if (taken >= 0 || spares_paused)
        return;
    int pair[2], pipefd[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        close_all(pair, 2);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(sock);
        close(sfd);
        close(pair[0]);
        close(pipefd[0]);
        supervisor_main(pair[1], pipefd[1]);
    }
    close(pair[1]);
    close(pipefd[1]);
    if (pid < 0) {
        close(pair[0]);
        close(pipefd[0]);
        return;
    }
    ssize_t sent = eg_sendmsg_fds(sock, SPARE_MAGIC, strlen(SPARE_MAGIC), &pair[0], 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    /* Sent or not, the broker's copy (if any) is the only one: unsent, the
     * spare sees its channel end and exits. */
    close(pair[0]);
    if (sent < 0) {
        close(pipefd[0]);
        spares_paused = 1;
        return;
    }
    taken = pipefd[0];
}

/* One message from the broker; 0 to go on, -1 when the broker is gone. */
static int take_message(int sock, int sfd)
{
    char buf[16];
    int fds[EG_MAX_FDS];
    size_t nfds, excess;
    int flags = 0;
    ssize_t n = eg_recvmsg_fds(sock, buf, sizeof(buf), fds, EG_MAX_FDS, &nfds, &excess, MSG_DONTWAIT, &flags);
    if (n == -EAGAIN)
        return 0;
    if (n <= 0) {
        close_all(fds, nfds);
        /* A broker that closed with our spare's offer unread resets the
         * socket: that is its end too. */
        if (n < 0 && n != -ECONNRESET)
            complain("reading the broker's socket", strerror((int)-n));
        return -1;
    }
    if ((size_t)n != strlen(COMMAND_MAGIC) || memcmp(buf, COMMAND_MAGIC, (size_t)n) != 0 ||
        nfds != COMMAND_FDS || excess > 0 || (flags & MSG_TRUNC)) {
        close_all(fds, nfds);
        complain("malformed message from the broker (dropped)", NULL);
        return 0;
    }
    spares_paused = 0;
    start_supervisor(sock, sfd, fds[0]);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        complain("takes no arguments (the broker starts it, with its socket on fd 3)", NULL);
        return 2;
    }
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(SERVER_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) {
        complain("fd 3 is not the broker's socket (execgate-spawn is started by the broker)", NULL);
        return 2;
    }
    /* The broker starts us with 0-3 only, but an fd its own parent left open
     * without close-on-exec (a harness's pipe, a terminal's) comes through
     * the exec all the same, and from us every supervisor and every host
     * command would have it: a command gets the stdio it was approved with
     * and nothing else. */
    eg_close_fds(SERVER_FD + 1, -1);
    /* Received fds must never land on 0-2, where a supervisor puts the
     * caller's stdio. */
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            return 2;
    fcntl(SERVER_FD, F_SETFD, FD_CLOEXEC);
    /* A clean slate for every command: nothing its parent ignored or
     * blocked (supervise.c undoes only what is changed after this). */
    reset_signals();

    /* Supervisors end on their own; reaping them must never wait. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        complain("signalfd", strerror(errno));
        return 1;
    }

    make_spare(SERVER_FD, sfd);
    for (;;) {
        struct pollfd pfd[3] = {
            { .fd = SERVER_FD, .events = POLLIN },
            { .fd = sfd, .events = POLLIN },
            { .fd = taken, .events = POLLIN }, /* -1: ignored by poll */
        };
        if (poll(pfd, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            complain("poll", strerror(errno));
            return 1;
        }
        if (pfd[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                ;
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        }
        if (pfd[2].revents) {
            /* The spare's command has exec'd, or the spare is gone: the
             * next one below. */
            close(taken);
            taken = -1;
        }
        /* POLLHUP with messages still queued: take them all first. */
        if (pfd[0].revents && take_message(SERVER_FD, sfd) < 0)
            return 0;
        make_spare(SERVER_FD, sfd);
    }
}
