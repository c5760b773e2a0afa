/* The supervisor of one escalated command (main.c documents the protocol).
 *
 * The command runs as our child in a process group of its own: we tell the
 * broker its pid ("P PID"), when it stops ("S SIG") and how it ended ("X
 * CODE SIG"), and signal its group when the broker asks ("K SIG"). The end of
 * file on the control channel means the broker is gone: the command's group
 * is then hung up. Stops and exits come through a signalfd, so the loop
 * never waits on the command and always hears the broker.
 *
 * The command's process is forked before the spec comes (a spare is forked
 * while the server is idle): it reads the spec itself and execs, so that no
 * fork and no wake-up of ours stand between the broker's decision and the
 * command. Until it has the spec the channel is its to read; then it tells
 * us on a private link how it runs ("G", or "T" with a pty's master and the
 * caller's stdio), and we take the channel over. The link ends at its exec
 * (close-on-exec), or when it dies before.
 *
 * When the caller's stdin is a terminal (the agent's, raw while the command
 * runs), the command gets a new pty as its controlling terminal, on exactly
 * those of fds 0-2 that were terminals, and we relay bytes between the
 * caller's terminal and the pty's master; "W ROWS COLS" lines follow the
 * caller's window size.
 *
 * What runs is what was approved: the working directory is entered through
 * the fd the broker opened at decision time (fchdir, never a path), and the
 * program file's device and inode are checked against the approved ones
 * immediately before execve. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fdpass.h"
#include "spawn.h"

void reset_signals(void)
{
    /* exec keeps ignored signals ignored and blocked ones blocked: with
     * SIGPIPE ignored (Node's habit), `yes | head -1` on the host would
     * never end. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The supervisor cannot go on: one line on stderr (the broker's), and the
 * broker hears it as a command that could not start. */
static void __attribute__((noreturn)) refuse(int ctl, int status, const char *what, const char *detail)
{
    dprintf(2, "execgate: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    dprintf(ctl, "X %d 0\n", status);
    _exit(0);
}

/* In the command's process, before exec: one line on stderr (the caller's
 * once the spec brought it), and the status the supervisor reports. */
static void __attribute__((noreturn)) fail(int status, const char *what, const char *detail)
{
    dprintf(2, "execgate: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    _exit(status);
}

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

/* In the command's process: becomes the command, or exits 126/127 with one
 * line. Without a pty it leads its own group already (command_main). */
static void __attribute__((noreturn)) become(const struct spawn_spec *spec, int cwd, const int is_tty[3],
                                             const char *slave_name)
{
    if (slave_name) {
        /* A session of its own, with the pty as controlling terminal. */
        setsid();
        int slave = open(slave_name, O_RDWR);
        if (slave < 0) {
            dprintf(2, "execgate: cannot open the pseudo-terminal: %s\n", strerror(errno));
            _exit(126);
        }
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
    }
    /* As the caller had them: writing to a closed stdout is EBADF, not a
     * silent success into /dev/null. */
    for (int i = 0; i < 3; i++)
        if (spec->closed_mask & (1 << i))
            close(i);
    /* The server reset every signal when it started; since then only SIGPIPE
     * was ignored and SIGCHLD blocked (caught ones revert at exec by
     * themselves): undone here, a full reset is 60 syscalls per command. */
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (fchdir(cwd) < 0) {
        dprintf(2, "execgate: cannot enter the approved working directory: %s\n", strerror(errno));
        _exit(126);
    }
    close(cwd);
    struct stat st;
    if (stat(spec->file, &st) < 0) {
        int err = errno;
        dprintf(2, "execgate: %s: %s\n", spec->file, strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }
    if ((unsigned long long)st.st_dev != spec->dev || (unsigned long long)st.st_ino != spec->ino) {
        dprintf(2, "execgate: %s changed since it was approved\n", spec->file);
        _exit(126);
    }
    /* The command's own from here: gone with us, the broker kills its
     * group (it hears the channel end without "X"). */
    prctl(PR_SET_PDEATHSIG, 0);
    execve(spec->file, spec->argv, spec->envp);
    int err = errno;
    dprintf(2, "execgate: %s: %s\n", spec->file, strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

/* The command's process: waits for the spec on ctl, tells the supervisor
 * on `link` how it runs, becomes the command. */
static void __attribute__((noreturn)) command_main(int ctl, int link)
{
    int fds[SPEC_FDS];
    struct spawn_spec spec;
    const char *why = NULL;
    int got = read_spec(ctl, fds, &spec, &why);
    if (got == -3)
        _exit(0); /* a spare closed unused: nothing to run, nothing to say */
    if (got == -2)
        fail(126, why, NULL); /* no stdio of the caller's: the broker's stderr */
    /* The caller's stdio on 0-2 (received fds are >= 3: main.c sees to it). */
    for (int i = 0; i < 3; i++) {
        dup2(fds[1 + i], i);
        close(fds[1 + i]);
    }
    int cwd = fds[SPEC_FD_CWD];
    if (got < 0)
        fail(126, why, NULL);
    /* The supervisor's to read from the word on ("K" may follow the spec). */
    close(ctl);

    if (spec.rows == 0 || spec.cols == 0) {
        /* A group of its own in our session: signalled as one, and (its
         * parent being in the session) not orphaned, so stops work. Before
         * the word, so that "K" right after "P" finds it. */
        setpgid(0, 0);
        if (eg_send_fds(link, "G", 1, NULL, 0) < 0)
            _exit(126); /* the supervisor is gone: nobody would report us */
        become(&spec, cwd, (const int[3]){ 0, 0, 0 }, NULL);
    }
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
        fail(126, "cannot open a pseudo-terminal", strerror(errno));
    const char *slave_name = ptsname(master);
    if (!slave_name)
        fail(126, "cannot name the pseudo-terminal", strerror(errno));
    struct winsize ws = { .ws_row = spec.rows, .ws_col = spec.cols };
    ioctl(master, TIOCSWINSZ, &ws);
    int is_tty[3];
    char word[4] = { 'T' };
    for (int i = 0; i < 3; i++) {
        is_tty[i] = isatty(i);
        word[1 + i] = is_tty[i] ? '1' : '0';
    }
    /* The supervisor relays between the caller's terminal and the master. */
    if (eg_send_fds(link, word, sizeof(word), (const int[4]){ master, 0, 1, 2 }, 4) < 0)
        _exit(126);
    close(master);
    become(&spec, cwd, is_tty, slave_name);
}

struct command {
    pid_t pid;
    int reaped;
    int master;
    int paused;
};

/* Signals the command's group, while it is ours to signal: before it is
 * reaped, its pid cannot name anybody else. Right after fork the child may
 * not lead its group yet: then the child itself. */
static void signal_command(const struct command *c, int sig)
{
    if (c->reaped || sig <= 0 || sig >= NSIG)
        return;
    if (kill(-c->pid, sig) < 0 && errno == ESRCH)
        kill(c->pid, sig);
}

/* Applies complete lines from the broker: "K SIG", "W ROWS COLS", "I 0". */
static void control_lines(char *buf, size_t *len, struct command *c)
{
    char *nl;
    while ((nl = memchr(buf, '\n', *len)) != NULL) {
        *nl = '\0';
        unsigned rows, cols;
        int n;
        if (sscanf(buf, "K %d", &n) == 1)
            signal_command(c, n);
        else if (sscanf(buf, "I %d", &n) == 1 && n == 0)
            c->paused = 1;
        else if (sscanf(buf, "W %u %u", &rows, &cols) == 2 && c->master >= 0 && rows <= 0xffff && cols <= 0xffff) {
            struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
            ioctl(c->master, TIOCSWINSZ, &ws);
        }
        size_t used = (size_t)(nl - buf) + 1;
        memmove(buf, nl + 1, *len - used);
        *len -= used;
    }
}

/* The command's word on the link: how it runs. 1 once it came (the
 * command is about to exec: "P" sent), 0 if none (yet). */
static int take_word(int link, struct command *c, int ctl, int is_tty[3], int *out)
{
    char word[4];
    int fds[4];
    size_t nfds = 0, excess = 0;
    ssize_t n = eg_recv_fds(link, word, sizeof(word), fds, 4, &nfds, &excess);
    if (n == 1 && word[0] == 'G' && nfds == 0) {
        /* Also here, so that "K" right after "P" finds the group. */
        setpgid(c->pid, c->pid);
    } else if (n == 4 && word[0] == 'T' && nfds == 4 && excess == 0) {
        c->master = fds[0];
        /* The caller's stdio, ours to relay (received fds are >= 3). */
        for (int i = 0; i < 3; i++) {
            dup2(fds[1 + i], i);
            close(fds[1 + i]);
            is_tty[i] = word[1 + i] == '1';
        }
        /* Where the pty's output goes: the caller's terminal. */
        *out = is_tty[1] ? 1 : is_tty[2] ? 2 : 0;
    } else {
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        return 0;
    }
    dprintf(ctl, "P %d\n", (int)c->pid);
    return 1;
}

void supervisor_main(int ctl, int done)
{
    /* A server gone is no reason to die. */
    signal(SIGPIPE, SIG_IGN);
    /* SIGCHLD blocked (the server's mask, again here) and read through a
     * signalfd made before the fork: an exit is never missed. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        refuse(ctl, 126, "signalfd", strerror(errno));
    /* Seqpacket: the word is one message, and the end of file is the exec. */
    int link[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) < 0)
        refuse(ctl, 126, "socketpair", strerror(errno));

    pid_t self = getpid();
    struct command c = { .pid = fork(), .reaped = 0, .master = -1, .paused = 0 };
    if (c.pid < 0)
        refuse(ctl, 126, "fork", strerror(errno));
    if (c.pid == 0) {
        /* Never a command without its supervisor: killed with us, it
         * closes the channel with us, and the broker's spec finds nobody
         * (until its exec: become() lifts this). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != self)
            _exit(0);
        close(sfd);
        close(link[0]);
        if (done >= 0)
            close(done);
        command_main(ctl, link[1]);
    }
    close(link[1]);

    char buf[16384];
    char line[64];
    size_t line_len = 0;
    int is_tty[3] = { 0, 0, 0 }, out = 1;
    int started = 0, link_open = 1, in_open = 0, ctl_open = 1, master_open = 0, status = 0;
    for (;;) {
        struct pollfd pfd[5];
        int n = 0, li = -1, mi = -1, ii = -1, ci = -1;
        if (link_open) { li = n; pfd[n++] = (struct pollfd){ .fd = link[0], .events = POLLIN }; }
        if (master_open) { mi = n; pfd[n++] = (struct pollfd){ .fd = c.master, .events = POLLIN }; }
        /* While the command is stopped the caller's shell owns the terminal:
         * its keys are not ours to take. */
        if (in_open && !c.paused) { ii = n; pfd[n++] = (struct pollfd){ .fd = 0, .events = POLLIN }; }
        /* Until the word the channel is the command's: it reads the spec. */
        if (ctl_open && started) { ci = n; pfd[n++] = (struct pollfd){ .fd = ctl, .events = POLLIN }; }
        pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
        /* Once the command has exited, only drain what it left. */
        int ready = poll(pfd, (nfds_t)n, c.reaped ? 0 : -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            /* Cannot happen with these fds; if it does, still report how
             * the command ends. */
            while (!c.reaped && waitpid(c.pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        /* The word before the exit: it was sent first, so a poll that sees
         * the exit sees the word too. */
        if (li >= 0 && pfd[li].revents) {
            if (!started && take_word(link[0], &c, ctl, is_tty, &out)) {
                started = 1;
                in_open = is_tty[0];
                master_open = c.master >= 0;
            } else {
                /* Exec'd, or gone: the server may fork the next spare. */
                link_open = 0;
                close(link[0]);
                if (done >= 0 && write(done, "T", 1) < 0) {
                    /* The server is gone: nothing to tell. */
                }
                if (done >= 0)
                    close(done);
                done = -1;
            }
        }
        /* Stops and exits first: once the command has stopped or ended, the
         * caller's keys are its shell's, not ours to take. */
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            ;
        int st;
        while (!c.reaped && waitpid(c.pid, &st, WNOHANG | WUNTRACED | WCONTINUED) == c.pid) {
            if (WIFSTOPPED(st)) {
                /* A stop signal: the caller's shell must see its job stop
                 * too (the broker tells the wrapper), and gets its terminal. */
                c.paused = 1;
                dprintf(ctl, "S %d\n", WSTOPSIG(st));
            } else if (WIFCONTINUED(st)) {
                c.paused = 0;
            } else {
                status = st;
                c.reaped = 1;
            }
        }
        if (mi >= 0 && pfd[mi].revents) {
            ssize_t got_bytes = read(c.master, buf, sizeof(buf));
            if (got_bytes > 0)
                write_all(out, buf, (size_t)got_bytes);
            else if (got_bytes == 0 || errno != EINTR)
                master_open = 0; /* EIO: no process holds the pty any more */
        }
        if (ii >= 0 && pfd[ii].revents && !c.paused && !c.reaped) {
            ssize_t got_bytes = read(0, buf, sizeof(buf));
            if (got_bytes > 0)
                write_all(c.master, buf, (size_t)got_bytes);
            else if (got_bytes == 0 || (errno != EINTR && errno != EAGAIN))
                in_open = 0;
        }
        if (ci >= 0 && pfd[ci].revents) {
            ssize_t got_bytes = read(ctl, line + line_len, sizeof(line) - 1 - line_len);
            if (got_bytes > 0) {
                line_len += (size_t)got_bytes;
                control_lines(line, &line_len, &c);
                if (line_len == sizeof(line) - 1) /* longer than any line we take */
                    line_len = 0;
            } else if (got_bytes == 0 || errno != EINTR) {
                /* The broker is gone: hang up on the command, as a closed
                 * terminal would. */
                ctl_open = 0;
                signal_command(&c, SIGHUP);
            }
        }
        if (c.reaped && (ready == 0 || !master_open))
            break;
    }
    if (WIFSIGNALED(status))
        dprintf(ctl, "X 0 %d\n", WTERMSIG(status));
    else
        dprintf(ctl, "X %d 0\n", WIFEXITED(status) ? WEXITSTATUS(status) : 126);
    _exit(0);
}
