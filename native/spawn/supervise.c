/* The escalated command, supervised.
 *
 * It runs as our child in a process group of its own: we tell the broker
 * its pid ("P PID", so that signals reach its group) and when it stops
 * ("S SIG", so the wrapper stops too), on the control fd (the spec socket,
 * kept open: its end of file means the broker is gone, and the command's
 * group is then hung up). We exit the way the command did.
 *
 * When the caller's stdin is a terminal (the agent's, raw while the command
 * runs), the command gets a new pty as its controlling terminal, on exactly
 * those of fds 0-2 that were terminals, and we relay bytes between the
 * caller's terminal and the pty's master; "W ROWS COLS" lines from the
 * broker follow the caller's window size. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "spawn.h"

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                poll(&pfd, 1, -1);
                continue;
            }
            return; /* the other side is gone: drop the bytes */
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Leaves the way the command did: its code, or death by its signal (no
 * core file of ours), so the broker reports exactly what happened. */
static void exit_like(int status)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit none = { 0, 0 };
        setrlimit(RLIMIT_CORE, &none);
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* Applies complete lines from the broker: "W ROWS COLS" (window size),
 * "I 0" / "I 1" (stop / resume reading the caller's terminal: the command
 * is being stopped, and the caller's shell reads it now). */
static void control_lines(char *buf, size_t *len, int master, int *paused)
{
    char *nl;
    while ((nl = memchr(buf, '\n', *len)) != NULL) {
        *nl = '\0';
        unsigned rows, cols;
        int on;
        if (sscanf(buf, "I %d", &on) == 1)
            *paused = !on;
        else if (sscanf(buf, "W %u %u", &rows, &cols) == 2 && rows <= 0xffff && cols <= 0xffff) {
            struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
            ioctl(master, TIOCSWINSZ, &ws);
        }
        size_t used = (size_t)(nl - buf) + 1;
        memmove(buf, nl + 1, *len - used);
        *len -= used;
    }
    if (*len == 63) /* a line longer than any we send: drop it */
        *len = 0;
}

int supervise(const char *file, char **argv, char **envp, const char *cwd,
              unsigned short rows, unsigned short cols, int closed_mask, int ctl)
{
    int tty = rows > 0 && cols > 0;
    int master = -1;
    const char *slave_name = NULL;
    if (tty) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
            die(126, "cannot open a pseudo-terminal", strerror(errno));
        slave_name = ptsname(master);
        if (!slave_name)
            die(126, "cannot name the pseudo-terminal", strerror(errno));
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        ioctl(master, TIOCSWINSZ, &ws);
    }

    int is_tty[3];
    for (int i = 0; i < 3; i++)
        is_tty[i] = tty && isatty(i);
    /* Where the pty's output goes: the caller's terminal. */
    int out = is_tty[1] ? 1 : is_tty[2] ? 2 : 0;

    pid_t pid = fork();
    if (pid < 0)
        die(126, "fork", strerror(errno));
    if (pid == 0) {
        if (tty) {
            /* A session of its own, with the pty as controlling terminal. */
            setsid();
            int slave = open(slave_name, O_RDWR);
            if (slave < 0)
                die(126, "cannot open the pseudo-terminal", strerror(errno));
            ioctl(slave, TIOCSCTTY, 0);
            /* \n -> \r\n happens once, on the caller's own terminal. */
            struct termios t;
            if (tcgetattr(slave, &t) == 0) {
                t.c_oflag &= (tcflag_t)~ONLCR;
                tcsetattr(slave, TCSANOW, &t);
            }
            for (int i = 0; i < 3; i++)
                if (is_tty[i])
                    dup2(slave, i);
            if (slave > 2)
                close(slave);
        } else {
            /* A group of its own in our session: signalled as one, and (its
             * parent being in the session) not orphaned, so stops work. */
            setpgid(0, 0);
        }
        close(ctl);
        /* As the caller had them: writing to a closed stdout is EBADF,
         * not a silent success into /dev/null. */
        for (int i = 0; i < 3; i++)
            if (closed_mask & (1 << i))
                close(i);
        reset_signals();
        if (chdir(cwd) < 0)
            die(126, cwd, strerror(errno));
        execve(file, argv, envp);
        int err = errno;
        dprintf(2, "execgate: %s: %s\n", file, strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }

    dprintf(ctl, "P %d\n", (int)pid);
    signal(SIGPIPE, SIG_IGN);
    /* The command's stops and exits wake the loop at once. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

    char buf[16384];
    char line[64];
    size_t line_len = 0;
    int in_open = is_tty[0], ctl_open = 1, master_open = tty, exited = 0, status = 0, paused = 0;
    for (;;) {
        struct pollfd pfd[4];
        int n = 0, mi = -1, ii = -1, ci = -1;
        if (master_open) { mi = n; pfd[n++] = (struct pollfd){ .fd = master, .events = POLLIN }; }
        /* While the command is stopped the caller's shell owns the terminal:
         * its keys are not ours to take. */
        if (in_open && !paused) { ii = n; pfd[n++] = (struct pollfd){ .fd = 0, .events = POLLIN }; }
        if (ctl_open) { ci = n; pfd[n++] = (struct pollfd){ .fd = ctl, .events = POLLIN }; }
        if (sfd >= 0) pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
        /* Once the command has exited, only drain what it left. */
        int ready = poll(pfd, (nfds_t)n, exited ? 0 : 100);
        if (ready < 0 && errno != EINTR)
            break;
        if (mi >= 0 && pfd[mi].revents) {
            ssize_t got = read(master, buf, sizeof(buf));
            if (got > 0)
                write_all(out, buf, (size_t)got);
            else if (got == 0 || errno != EINTR)
                master_open = 0; /* EIO: no process holds the pty any more */
        }
        if (ii >= 0 && pfd[ii].revents) {
            ssize_t got = read(0, buf, sizeof(buf));
            if (got > 0)
                write_all(master, buf, (size_t)got);
            else if (got == 0 || (errno != EINTR && errno != EAGAIN))
                in_open = 0;
        }
        if (ci >= 0 && pfd[ci].revents) {
            ssize_t got = read(ctl, line + line_len, sizeof(line) - 1 - line_len);
            if (got > 0) {
                line_len += (size_t)got;
                control_lines(line, &line_len, master, &paused);
            } else if (got == 0 || errno != EINTR) {
                /* The broker is gone: hang up on the command, as a closed
                 * terminal would. */
                ctl_open = 0;
                kill(-pid, SIGHUP);
            }
        }
        if (sfd >= 0) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                ;
        }
        int st;
        while (!exited && waitpid(pid, &st, WNOHANG | WUNTRACED | WCONTINUED) == pid) {
            if (WIFSTOPPED(st)) {
                /* A stop signal: the caller's shell must see its job stop
                 * too (the broker tells the wrapper), and gets its terminal. */
                paused = 1;
                dprintf(ctl, "S %d\n", WSTOPSIG(st));
            } else if (WIFCONTINUED(st)) {
                paused = 0;
            } else {
                status = st;
                exited = 1;
            }
        }
        if (exited && (ready == 0 || !master_open))
            break;
        if (!exited && !master_open && tty) {
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            exited = 1;
            break;
        }
    }
    exit_like(status);
    return 0;
}
