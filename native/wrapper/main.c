/*
 * execgate-wrapper: the patched shell runs
 *
 *     execve($EXEC_WRAPPER, [wrapper, path, argv0, argv1, ...], envp)
 *
 * for every exec, and this asks the broker, over the session socket (inherited
 * as $EXECGATE_SOCKET, or reached at $EXECGATE_SESSION/sock), whether to run
 * path here, have the broker run it on the host with our stdio, or refuse;
 * or, when the broker's run table says no rule can match path, runs it here
 * without asking. Installed as `execgate` inside the sandbox it is also the
 * client for `execgate run CMD...` and `execgate notify EVENT`. Inside bwrap
 * it is also the sandbox's init (`--execgate-init`: install the seccomp
 * backstop, hand its listener to the session, exec the shell), and, bound
 * over a program a rule names, that program's shim: it asks the broker about
 * the program it stands for, whoever started it.
 *
 * The agent controls our argv, environment, fds and files, and may stand in
 * for the broker: nothing we are given is trusted. Nothing runs on the host
 * unless the broker said so; nothing runs here unless a Decision{RUN} arrived
 * intact or a run table allowed it (which can only make things run here,
 * where the agent could run them anyway); every failure exits 126 with one
 * line on stderr.
 *
 * It is on the path of every `ls` the agent runs, so the Run path is a handful
 * of system calls: no stdio, no locale, no allocation for ordinary argv, and
 * the signal dispositions and mask the shell gave us are never touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "backstop.h"
#include "closefds.h"
#include "codec.h"
#include "fdpass.h"
#include "mcp_supervisor.h"
#include "protocol.h"
#include "say.h"

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#include <stdnoreturn.h>
#else
#define noreturn
#endif

extern char **environ;

/* Frame caps from execgate.proto. */
#define TO_BROKER_MAX (4u << 20)
/* The largest Stdio sent ahead of the broker's SendStdio (every variable we
 * have): an environment over it is sent the old way, only the variables the
 * broker names, so that a huge one is not copied to the broker per exec. */
#define STDIO_AHEAD_MAX (256u << 10)
#define TO_WRAPPER_MAX (64u << 10)

/* Ordinary requests are encoded here instead of in a malloc'd buffer. */
static uint8_t small_frame[16384];

/* The connection to the broker and what has been read from it. Zero
 * initialised, so that it lives in .bss: untouched pages cost nothing. */
static struct {
    int fd;
    size_t have; /* bytes in buf */
    size_t used; /* of which the frames already handed out */
    uint8_t buf[4 + TO_WRAPPER_MAX];
} conn;

static noreturn void fail(const char *what, const char *why)
{
    eg_die(126, what, why);
}

static noreturn void protocol_error(const char *what)
{
    fail("protocol error", what);
}

/* A terminating signal we passed on to the host command (SIGHUP, SIGTERM,
 * SIGINT, SIGQUIT), or 0. If the broker then goes away before an Exit comes
 * (the session ended: the shell exited and the kernel hung up on us), we die
 * of that signal, quietly, as an unwrapped command would have. */
static volatile int fatal_forwarded;

static noreturn void die_of(int sig);

static noreturn void lost(void)
{
    if (fatal_forwarded)
        die_of(fatal_forwarded);
    fail("lost connection to the broker", NULL);
}

static noreturn void denied(const char *argv0, eg_bytes reason)
{
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_str(&s, "denied: ");
    eg_say_cstr(&s, argv0);
    eg_say_str(&s, ": ");
    eg_say_esc(&s, reason.p, reason.n);
    eg_say_end(&s);
    exit(126);
}

static noreturn void too_large(const char *what, size_t n)
{
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_str(&s, what);
    eg_say_str(&s, " too large: ");
    eg_say_num(&s, n);
    eg_say_str(&s, " bytes (limit 4 MiB)");
    eg_say_end(&s);
    exit(126);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int off_stdio(int fd)
{
    int moved = eg_off_stdio(fd);
    if (moved < 0)
        fail("fcntl", strerror(-moved));
    return moved;
}

/* ---- the session -----------------------------------------------------------
 * Two ways in (execgate.proto, "Transport"): the inherited fd $EXECGATE_SOCKET
 * (87), or, when an agent harness closed it, a connection to the session's
 * own socket $EXECGATE_SESSION/sock. Either is whatever the agent left us,
 * and the broker knows the session by which socket was reached, never by
 * anything we say: a socket elsewhere only reaches some other broker. The fd
 * stays inheritable, so that a shell we exec on Run reaches the broker too.
 * `exec -c` hands us an empty environment: then fd 87 is used, if it is the
 * kind of socket a session is. */

enum { NOT_SEQPACKET = -1, NOT_A_NUMBER = -2 };

static struct {
    int looked;
    int fd;      /* the session socket, or -1 */
    int by_path; /* fd is our own connection to $EXECGATE_SESSION/sock */
    /* why not, for the one line that says so */
    const char *fd_var; /* $EXECGATE_SOCKET, NULL if unset */
    int fd_tried;
    int fd_err;         /* errno, NOT_SEQPACKET or NOT_A_NUMBER */
    const char *dir;    /* $EXECGATE_SESSION, NULL if unset or empty */
    int path_err;       /* errno */
    int shim;           /* we are a shim: the sandbox's session directory is known */
} session;

/* $EXECGATE_SOCKET's fd: canonical decimal only (no sign, space, leading
 * zero or overflow), or -1. */
static int fd_number(const char *v)
{
    long long fd = 0;
    const char *p = v;
    do {
        if (*p < '0' || *p > '9' || (p > v && v[0] == '0') || fd > INT_MAX)
            return -1;
        fd = fd * 10 + (*p - '0');
    } while (*++p);
    return fd > INT_MAX ? -1 : (int)fd;
}

/* Connects to DIR/sock; -1 with session.path_err set. A path that does not
 * fit sun_path is an error, never cut short to some other path. */
static int connect_session_path(const char *dir)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(dir);
    if (n + 1 + sizeof(EG_SESSION_SOCKET_NAME) > sizeof(sa.sun_path)) {
        session.path_err = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa.sun_path, dir, n);
    sa.sun_path[n] = '/';
    memcpy(sa.sun_path + n + 1, EG_SESSION_SOCKET_NAME, sizeof(EG_SESSION_SOCKET_NAME));
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        session.path_err = errno;
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
        session.path_err = errno;
        close(fd);
        return -1;
    }
    return off_stdio(fd);
}

/* The session socket, or -1 (session says why). Looked for once; on the fd
 * path that is one getsockopt. */
static int reach_session(void)
{
    if (session.looked)
        return session.fd;
    session.looked = 1;
    session.fd = -1;
    session.fd_var = getenv(EG_ENV_SESSION_FD);
    session.fd_tried = session.fd_var ? fd_number(session.fd_var) : EG_SESSION_FD;
    if (session.fd_tried < 0) {
        /* a broken value is an error, not a reason to look elsewhere */
        session.fd_err = NOT_A_NUMBER;
        return -1;
    }
    int type;
    socklen_t len = sizeof(type);
    if (getsockopt(session.fd_tried, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        session.fd_err = errno;
    else if (type != SOCK_SEQPACKET)
        session.fd_err = NOT_SEQPACKET;
    else
        return session.fd = session.fd_tried;

    session.dir = getenv(EG_ENV_SESSION_DIR);
    if (session.dir && !*session.dir)
        session.dir = NULL;
    /* A shim exists only inside bwrap, where the session directory is
     * always here: its caller may have cleared the environment and closed
     * every fd (Python's subprocess with env={}). Never the wrapper's
     * fallback: with --sandbox none that path would be the host's. */
    if (!session.dir && session.shim)
        session.dir = EG_SANDBOX_SESSION_DIR;
    if (session.dir) {
        session.fd = connect_session_path(session.dir);
        session.by_path = session.fd >= 0;
    }
    return session.fd;
}

/* The session socket, or exit 126 with one line naming both ways tried. */
static int session_or_fail(void)
{
    int fd = reach_session();
    if (fd >= 0)
        return fd;
    struct eg_say s;
    eg_say_begin(&s, 2);
    if (session.fd_err == NOT_A_NUMBER) {
        eg_say_str(&s, EG_ENV_SESSION_FD "=");
        eg_say_cstr(&s, session.fd_var);
        eg_say_str(&s, ": not a file descriptor number");
        eg_say_end(&s);
        exit(126);
    }
    eg_say_str(&s, "cannot reach the session: fd ");
    eg_say_num(&s, (uint64_t)session.fd_tried);
    if (session.fd_err == EBADF)
        eg_say_str(&s, " is not open");
    else if (session.fd_err == ENOTSOCK)
        eg_say_str(&s, " is not a socket");
    else if (session.fd_err == NOT_SEQPACKET)
        eg_say_str(&s, " is not a SOCK_SEQPACKET socket");
    else {
        eg_say_str(&s, ": ");
        eg_say_str(&s, strerror(session.fd_err));
    }
    eg_say_str(&s, " and ");
    if (session.dir) {
        eg_say_cstr(&s, session.dir);
        eg_say_str(&s, "/" EG_SESSION_SOCKET_NAME ": ");
        eg_say_str(&s, strerror(session.path_err));
    } else {
        eg_say_str(&s, EG_ENV_SESSION_DIR " is not set");
        if (!session.fd_var)
            eg_say_str(&s, " (run inside an execgate session)");
    }
    eg_say_end(&s);
    exit(126);
}

/* One connection per exec: a fresh socketpair, one end handed to the broker
 * over the session socket. Our end is close-on-exec, so on Run the broker
 * sees EOF the moment the program starts.
 *
 * The request goes in before the broker has the connection, as far as the
 * socket buffer takes it without blocking, so that the broker usually finds
 * all of it at once; a larger rest follows while the broker reads. Returns 0,
 * or -1 if the request could not be written (the broker hung up). */
static int connect_broker(int session_fd, const uint8_t *frame, size_t len)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        fail("socketpair", strerror(errno));
    conn.fd = off_stdio(sv[0]);

    ssize_t early = send(conn.fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (early < 0)
        early = 0;

    static const char hello[] = EG_HELLO_CONNECTION;
    int rc = eg_send_fds(session_fd, hello, sizeof(hello) - 1, &sv[1], 1);
    close(sv[1]);
    /* A connection we made to the session's path served this one hello. */
    if (session.by_path)
        close(session_fd);
    if (rc < 0)
        fail("cannot reach the broker", strerror(-rc));

    return eg_write_all(conn.fd, frame + early, len - (size_t)early) == 0 ? 0 : -1;
}

/* Hands out the next complete frame already in conn.buf, if any. A frame is
 * a view into the buffer, valid until the next call. */
static int next_frame(struct eg_to_wrapper *m)
{
    if (conn.used > 0) {
        memmove(conn.buf, conn.buf + conn.used, conn.have - conn.used);
        conn.have -= conn.used;
        conn.used = 0;
    }
    if (conn.have < 4)
        return 0;
    uint32_t len = (uint32_t)conn.buf[0] << 24 | (uint32_t)conn.buf[1] << 16 |
                   (uint32_t)conn.buf[2] << 8 | conn.buf[3];
    if (len > TO_WRAPPER_MAX)
        protocol_error("reply frame over 64 KiB");
    if (conn.have - 4 < len)
        return 0;
    const char *err = NULL;
    if (eg_decode_to_wrapper(conn.buf + 4, len, m, &err) < 0)
        protocol_error(err);
    conn.used = 4 + (size_t)len;
    return 1;
}

/* One read from the broker. Plain read(2): any fds a broken broker attached
 * are discarded by the kernel, never installed here. */
static void fill(void)
{
    ssize_t n;
    do
        n = read(conn.fd, conn.buf + conn.have, sizeof(conn.buf) - conn.have);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        lost();
    conn.have += (size_t)n;
}

static void read_frame(struct eg_to_wrapper *m)
{
    while (!next_frame(m))
        fill();
}

/* Sends one frame; fds (if any) ride on its first byte. */
static int send_frame(uint8_t *frame, size_t len, const int *fds, size_t nfds)
{
    put_be32(frame, (uint32_t)(len - 4));
    if (nfds > 0)
        return eg_send_fds(conn.fd, frame, len, fds, nfds);
    return eg_write_all(conn.fd, frame, len);
}

/* Execs file (our own Run) with the exec cookie, so that the seccomp
 * backstop does not ask about it again; `search`: look file up on PATH
 * (`execgate run`), where the backstop does ask. */
static noreturn void run(const char *file, char *const *argv, int search)
{
    if (search)
        execvp(file, argv);
    else
        eg_execve_cookie(file, argv, environ);
    int e = errno;
    /* bash is gone (we replaced it): say what it would have said, with its
     * status (patches/README.md, "What a wrapper must do"). */
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_cstr(&s, file);
    eg_say_str(&s, ": ");
    char head[256];
    ssize_t n = 0;
    int fd = e == ENOEXEC || e == ENOENT ? -1 : open(file, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, head, sizeof(head) - 1);
        close(fd);
    }
    if (e == ENOEXEC)
        eg_say_str(&s, "cannot execute binary file: Exec format error");
    else if (e == ENOENT && access(file, F_OK) == 0)
        /* the file exists: its interpreter or loader does not */
        eg_say_str(&s, "cannot execute: required file not found");
    else if (n > 2 && head[0] == '#' && head[1] == '!') {
        head[n] = '\0';
        char *interp = head + 2;
        while (*interp == ' ' || *interp == '\t')
            interp++;
        interp[strcspn(interp, " \t\r\n")] = '\0';
        eg_say_cstr(&s, interp);
        eg_say_str(&s, ": bad interpreter: ");
        eg_say_str(&s, strerror(e));
    } else
        eg_say_str(&s, strerror(e));
    eg_say_end(&s);
    exit(e == ENOENT ? 127 : 126);
}

static int window_size(struct eg_winsize *ws)
{
    struct winsize w;
    if (ioctl(0, TIOCGWINSZ, &w) < 0)
        return -1;
    ws->rows = w.ws_row;
    ws->cols = w.ws_col;
    return 0;
}

/* While a command runs on a host pty, our terminal's input is raw: every
 * byte, Ctrl-C included, goes to the host's pty, whose line discipline then
 * acts as ours would have. The modes we found are put back however we
 * end: exit (atexit), a signal death or a stop (explicitly). */
static struct termios saved_tio;
static int tio_saved, tio_raw;

static void term_restore(void)
{
    if (tio_raw) {
        tcsetattr(0, TCSADRAIN, &saved_tio);
        tio_raw = 0;
    }
}

static void term_raw(void)
{
    if (!tio_saved) {
        if (tcgetattr(0, &saved_tio) < 0)
            return;
        tio_saved = 1;
        atexit(term_restore);
    }
    struct termios raw = saved_tio;
    cfmakeraw(&raw);
    /* Output keeps its processing (\n -> \r\n...): the host's pty has it
     * turned off, so every byte is translated once, here, as it would be
     * without escalation; and other writers to this terminal (background
     * jobs) are not affected at all. */
    raw.c_oflag = saved_tio.c_oflag;
    /* Except Ctrl-Z: the host command leads its own session, and the kernel
     * discards a terminal's stop signals to such an (orphaned) group. So the
     * suspend key stays ours: it stops us, the broker stops the host group
     * with SIGSTOP, and the shell's job control works as without escalation.
     * Ctrl-C and Ctrl-\ stay plain bytes for the host's pty to act on. */
    raw.c_lflag |= ISIG;
    raw.c_cc[VINTR] = _POSIX_VDISABLE;
    raw.c_cc[VQUIT] = _POSIX_VDISABLE;
    if (tcsetattr(0, TCSADRAIN, &raw) == 0)
        tio_raw = 1;
}

/* A Stdio frame, encoded, its length prefix still to be written. */
struct stdio_frame {
    uint8_t *bytes;
    size_t len;
};

/* Stdio: our environment and, when sent, our fds 0-2 themselves. With
 * allow NULL it goes ahead of any SendStdio (Request.stdio_follows), before
 * the broker named any variable: then it carries every variable (the broker
 * keeps only those that may cross: its filter is the decision either way),
 * and nothing is built (-1) when that would be over cap. */
static int build_stdio(const eg_bytes *allow, size_t cap, struct stdio_frame *out)
{
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    char **env = malloc((n + 1) * sizeof(*env));
    if (!env)
        fail("out of memory", NULL);
    size_t k = 0;
    for (char **e = environ; *e; e++) {
        size_t pos = 0;
        eg_bytes pattern;
        if (!allow) {
            env[k++] = *e;
            continue;
        }
        while (eg_next_allow(*allow, &pos, &pattern)) {
            if (eg_env_match(*e, pattern)) {
                env[k++] = *e;
                break;
            }
        }
    }

    struct eg_winsize ws;
    struct eg_stdio st = { .env = env, .nenv = k, .tty = isatty(0) };
    for (int i = 0; i < 3; i++)
        if (fcntl(i, F_GETFD) < 0)
            st.closed |= 1u << i;
    if (st.tty && window_size(&ws) == 0)
        st.winsize = &ws;
    size_t size = eg_stdio_size(&st);
    if (size > cap) {
        free(env);
        if (!allow)
            return -1;
        too_large("environment", size);
    }
    out->bytes = malloc(4 + size);
    if (!out->bytes)
        fail("out of memory", NULL);
    out->len = 4 + eg_encode_stdio(out->bytes + 4, &st);
    free(env);
    return 0;
}

/* Sends a built Stdio with our fds 0-2, and frees it: 0, or -1 when the
 * broker is gone. */
static int send_stdio(struct stdio_frame *f)
{
    /* A closed standard fd is passed as /dev/null opened the same way, so
     * that the message still carries exactly three fds; Stdio.closed tells
     * the broker, which closes it again for the host command. */
    int fds[3], closed[3];
    for (int i = 0; i < 3; i++)
        closed[i] = fcntl(i, F_GETFD) < 0;
    for (int i = 0; i < 3; i++) {
        fds[i] = i;
        if (closed[i] && (fds[i] = open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC)) < 0)
            fail("/dev/null", strerror(errno));
    }
    int rc = send_frame(f->bytes, f->len, fds, 3);
    for (int i = 0; i < 3; i++)
        if (closed[i])
            close(fds[i]);
    free(f->bytes);
    f->bytes = NULL;
    return rc < 0 ? -1 : 0;
}

static void forward(int signo)
{
    uint8_t frame[4 + EG_SMALL_MAX];
    size_t n;
    if (signo == SIGWINCH) {
        struct eg_winsize ws;
        if (window_size(&ws) < 0)
            return;
        n = eg_encode_resize(frame + 4, &ws);
    } else
        n = eg_encode_signal(frame + 4, (uint32_t)signo);
    /* A failure shows up as EOF on the next read. */
    (void)send_frame(frame, 4 + n, NULL, 0);
}

/* Ends the way the host command ended. */
static noreturn void finish(const struct eg_to_wrapper *m)
{
    if (m->signal == 0)
        exit((int)((uint32_t)m->code & 255));
    if (m->signal >= NSIG)
        protocol_error("Exit.signal is not a signal number");
    die_of((int)m->signal);
}

/* Dies of `sig` with its default action (no core file of ours); exits
 * 128+sig if that leaves us alive. */
static noreturn void die_of(int sig)
{
    term_restore();
    sigset_t one;
    /* Stop signals would stop us rather than end us; sigaddset refuses the
     * libc's internal ones: for those the exit status says it. */
    if (sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU &&
        sigemptyset(&one) == 0 && sigaddset(&one, sig) == 0) {
        /* The host may dump core; the wrapper must not leave one here. */
        struct rlimit none = { 0, 0 };
        setrlimit(RLIMIT_CORE, &none);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, NULL);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
    }
    /* still alive: a signal whose default is to be ignored */
    exit(128 + sig);
}

/* The command runs on the host: pass on what the terminal sends us until the
 * broker says how it ended. A signal the shell told us to ignore (say SIGINT
 * for a background job) stays ignored and is not forwarded. Signals are read
 * from a signalfd, so no handler ever runs. */
/* Stops us with `sig` (the host command stopped, or we were told to stop)
 * so the shell's job control sees the job stop; returns when continued. */
static void stop_self(int sig)
{
    term_restore();
    if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
        sig = SIGSTOP;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, &old);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    /* continued */
    sigprocmask(SIG_BLOCK, &one, NULL);
    sigaction(sig, &old, NULL);
}

static noreturn void wait_exit(int tty)
{
    static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP, SIGCONT };
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
        struct sigaction old;
        if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaddset(&set, forwarded[i]);
    }
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        fail("sigprocmask", strerror(errno));
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        fail("signalfd", strerror(errno));

    if (tty)
        term_raw();

    struct eg_to_wrapper m;
    for (;;) {
        /* a frame may have come with the Decision */
        while (next_frame(&m)) {
            if (m.which == EG_MSG_STOP) {
                stop_self((int)m.signal);
                if (tty)
                    term_raw();
                forward(SIGCONT);
                continue;
            }
            if (m.which != EG_MSG_EXIT)
                protocol_error("expected Exit after ESCALATE");
            finish(&m);
        }
        struct pollfd p[2] = { { .fd = conn.fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fail("poll", strerror(errno));
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si[8];
            ssize_t n = read(sfd, si, sizeof(si));
            for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(si[0]); i++) {
                int sig = (int)si[i].ssi_signo;
                forward(sig);
                if (sig == SIGHUP || sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
                    fatal_forwarded = sig;
                /* Ctrl-Z (or kill -TSTP) reached us rather than the host's
                 * pty: the host group was told, now we stop as asked. */
                if (sig == SIGTSTP)
                    stop_self(SIGTSTP);
                else if (sig == SIGCONT && tty)
                    term_raw();
            }
        }
        if (p[0].revents)
            fill();
    }
}

/* The file name: the bytes after the last '/'. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- the run table -----------------------------------------------------------
 * The broker publishes, in the session directory, the file names of the
 * programs its rules can match (execgate.proto, "Run table"); any other
 * program may run here without asking, which saves the round trip on the
 * path of every `ls`. A table decides nothing about the host (Escalate
 * always asks), so a forged one only makes things run here, where the agent
 * could run them anyway. Anything we do not understand means: ask.
 *
 * Read whole on every exec: open, one read, close; no stat, no mmap. One
 * read is enough for a regular file, and a short one cannot pass for a
 * table that lists fewer names: its count would overrun, and we would ask.
 * Static, so that untouched pages cost nothing; one byte over the cap, to
 * see a table that is too big. */
static uint8_t table[EG_MAX_RUN_TABLE_BYTES + 1];

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The table's flags if it lets `file` run here without asking, else -1. */
static int run_table_allows(const char *file)
{
    const char *dir = getenv(EG_ENV_SESSION_DIR);
    if (!dir || !*dir)
        return -1;
    char path[PATH_MAX];
    size_t n = strlen(dir);
    if (n + 1 + sizeof(EG_RUN_TABLE_NAME) > sizeof(path))
        return -1;
    memcpy(path, dir, n);
    path[n] = '/';
    memcpy(path + n + 1, EG_RUN_TABLE_NAME, sizeof(EG_RUN_TABLE_NAME));
    /* O_NONBLOCK: a FIFO planted there reads as empty instead of hanging us.
     * No O_CLOEXEC (musl adds an fcntl for it): closed below, and nothing
     * forks or execs before that. */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    ssize_t got = read(fd, table, sizeof(table));
    close(fd);
    if (got < 16 || (size_t)got > EG_MAX_RUN_TABLE_BYTES)
        return -1;

    /* "EGT1" | generation | flags | count | count x (u8 length, name) */
    if (memcmp(table, EG_RUN_TABLE_MAGIC, 4) != 0)
        return -1;
    const uint8_t *p = table + 16, *end = table + got;
    uint32_t flags = get_le32(table + 8), count = get_le32(table + 12);
    /* a flag we do not know may restrict what runs: ask */
    if (flags & ~(uint32_t)(EG_RUN_TABLE_LOCAL_RUN | EG_RUN_TABLE_RECORD))
        return -1;
    if (!(flags & EG_RUN_TABLE_LOCAL_RUN))
        return -1;
    const char *name = base_name(file);
    size_t name_len = strlen(name);
    for (uint32_t i = 0; i < count; i++) {
        if (p == end)
            return -1;
        size_t len = *p++;
        if (len == 0 || len > (size_t)(end - p))
            return -1;
        if (len == name_len && memcmp(p, name, len) == 0)
            return -1; /* a rule may match it: ask */
        p += len;
    }
    return p == end ? (int)flags : -1;
}

/* The record of a run the table allowed: "EXR1" + the Request (the message
 * itself, not inside a ToBroker), one datagram on the session socket, sent
 * without waiting for room or for anything back. 0 if it went; -1 if it is
 * too big, there is no session, or the socket is full (the broker is behind):
 * the caller then asks the broker instead, so that no run goes unrecorded
 * and a busy broker slows the agent down rather than losing records. */
static uint8_t record[EG_MAX_RUN_RECORD];

static int send_record(const struct eg_request *rq)
{
    size_t size = 4 + eg_request_body_size(rq);
    if (size > sizeof(record))
        return -1;
    int fd = reach_session();
    if (fd < 0)
        return -1;
    memcpy(record, EG_HELLO_RECORD, 4);
    eg_encode_request_body(record + 4, rq);
    /* A connection of our own to the session's path is close-on-exec: the
     * exec that follows closes it, after the record is queued. */
    return send(fd, record, size, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)size ? 0 : -1;
}

static noreturn void usage_client(void)
{
    static const char text[] = "usage: execgate run CMD [ARG...]\n"
                               "       execgate notify EVENT\n";
    ssize_t w = write(2, text, sizeof(text) - 1);
    (void)w;
    exit(2);
}

/* ---- what we are -------------------------------------------------------
 * The same binary serves five ways, told apart by how it was started:
 *   WRAPPER  bash's EXEC_WRAPPER: argv = [wrapper, PATH, ARGV0, ARG...]
 *   CLIENT   `execgate run|notify ...` (argv[0]'s file name is "execgate")
 *   INIT     bwrap's first program: [wrapper, --execgate-init, SHELL, ARG...]
 *            (or --execgate-init-plain: no backstop)
 *   MCP      execgate mcp's supervisor: [wrapper, --execgate-mcp-supervisor,
 *            ...] (mcp_supervisor.h)
 *   SHIM     bound over a program a rule names (/usr/bin/git): argv is that
 *            program's, argv[0] whatever its caller chose
 * A shim is known by /proc/self/exe: the path it is bound at, whose file name
 * is not "execgate-wrapper". That costs a readlink, so it is read only when
 * argv[0] is none of our own names: never on the path of bash's execs
 * (argv[0] is then $EXEC_WRAPPER), but for `exec -c`, whose empty
 * environment has no EXEC_WRAPPER. */
enum mode { WRAPPER, CLIENT, INIT, INIT_PLAIN, MCP_SUPERVISOR, SHIM };

/* The program a shim stands for (its own path), and where the real one is. */
static char shim_self[PATH_MAX];
static char shim_real[sizeof(EG_SANDBOX_REAL_DIR) + PATH_MAX];

static enum mode mode_of(int argc, char **argv)
{
    const char *named = getenv(EG_ENV_EXEC_WRAPPER);
    int ours = argc > 0 && named && strcmp(argv[0], named) == 0;
    if (!ours && argc > 0 && strcmp(base_name(argv[0]), "execgate") == 0)
        return CLIENT;
    if (!ours) {
        ssize_t n = readlink("/proc/self/exe", shim_self, sizeof(shim_self) - 1);
        if (n > 0 && (size_t)n < sizeof(shim_self) - 1) {
            shim_self[n] = '\0';
            if (strcmp(base_name(shim_self), "execgate-wrapper") != 0) {
                memcpy(shim_real, EG_SANDBOX_REAL_DIR, sizeof(EG_SANDBOX_REAL_DIR) - 1);
                memcpy(shim_real + sizeof(EG_SANDBOX_REAL_DIR) - 1, shim_self, (size_t)n + 1);
                return SHIM;
            }
        }
    }
    if (argc >= 2 && strcmp(argv[1], EG_INIT_ARG) == 0)
        return INIT;
    if (argc >= 2 && strcmp(argv[1], EG_MCP_SUPERVISOR_ARG) == 0)
        return MCP_SUPERVISOR;
    return argc >= 2 && strcmp(argv[1], EG_INIT_PLAIN_ARG) == 0 ? INIT_PLAIN : WRAPPER;
}

/* ---- a shimmed program the broker let run ---------------------------------
 * Under --sandbox bwrap, a program a rule names is this very binary bound
 * over it (a shim). When the broker has just answered Run for it, the shim
 * would only ask the same question again, a second round trip and a second
 * exec: run the real file kept beside it instead, as the shim would. Either
 * way it runs in the sandbox; Run decides nothing about the host. */
static char past_shim[sizeof(EG_SANDBOX_REAL_DIR) + PATH_MAX];

static const char *real_behind_shim(const char *file)
{
    struct stat self, st;
    char canon[PATH_MAX];
    if (stat("/proc/self/exe", &self) != 0 || stat(file, &st) != 0)
        return file;
    if (st.st_dev != self.st_dev || st.st_ino != self.st_ino || !realpath(file, canon))
        return file;
    size_t n = strlen(canon);
    memcpy(past_shim, EG_SANDBOX_REAL_DIR, sizeof(EG_SANDBOX_REAL_DIR) - 1);
    memcpy(past_shim + sizeof(EG_SANDBOX_REAL_DIR) - 1, canon, n + 1);
    /* none beside it (the wrapper under another name): the shim's own message */
    return access(past_shim, X_OK) == 0 ? past_shim : file;
}

/* ---- init: the seccomp backstop ----------------------------------------
 * bwrap runs us first, as `--execgate-init SHELL ARG...`: install the
 * backstop (backstop.h), hand its listener to the session as "EXN1" + the fd
 * on the session socket (fd 87, before anything else is sent there), close
 * our copy, and exec the shell in our place (with the cookie: the filter
 * lets it through). When the kernel or the sandbox refuses, the session is
 * told why instead ("EXN1" + the reason, no fd) and says so itself, once; the
 * sandbox then runs with shims only. `--execgate-init-plain` (the backstop
 * turned off) skips all that. Either way, every fd but the stdio and the
 * session is closed before the shell starts: whatever started the sandbox
 * (a harness through the shell shim, an MCP server) may have inherited fds
 * that are open and not close-on-exec, and bwrap passes every one on. Only
 * its own reaper closes them; the shell, and so the agent, would have them.
 * Nothing of the agent runs before this. */
#define MAX_INIT_REASON 400

static void hand_over_backstop(int listener, const char *why, int err)
{
    char msg[4 + MAX_INIT_REASON];
    size_t n = 4;
    memcpy(msg, EG_HELLO_SECCOMP, 4);
    if (listener < 0) {
        const char *parts[3] = { why, err ? ": " : NULL, err ? strerror(err) : NULL };
        for (size_t i = 0; i < 3; i++) {
            size_t len = parts[i] ? strlen(parts[i]) : 0;
            if (len > sizeof(msg) - n)
                len = sizeof(msg) - n;
            memcpy(msg + n, parts[i] ? parts[i] : "", len);
            n += len;
        }
    }
    int fd = reach_session();
    int rc = fd < 0 ? -ENOTCONN : eg_send_fds(fd, msg, n, &listener, listener < 0 ? 0 : 1);
    if (listener >= 0)
        close(listener);
    if (rc == 0)
        return;
    /* The session cannot say it: we do (every exec will fail anyway). */
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_str(&s, "cannot hand the seccomp backstop to the session: ");
    eg_say_str(&s, strerror(-rc));
    eg_say_end(&s);
}

static noreturn void init_sandbox(int argc, char **argv, int backstop)
{
    if (argc < 3)
        fail("usage", "execgate-wrapper " EG_INIT_ARG " PROGRAM [ARG...] (run by bwrap)");
    if (backstop) {
        const char *why = NULL;
        int err = 0;
        int listener = eg_backstop_install(&why, &err);
        hand_over_backstop(listener, why, err);
    }
    int keep = reach_session();
    if (keep > 2) {
        eg_close_fds(3, keep - 1);
        eg_close_fds(keep + 1, -1);
    } else {
        eg_close_fds(3, -1);
    }
    run(argv[2], argv + 2, 0);
}

int main(int argc, char **argv)
{
    static char notify_word[] = "notify";
    char *notify_argv[3] = { notify_word, NULL, NULL };
    struct eg_request rq;
    memset(&rq, 0, sizeof(rq));

    /* What to ask about, and what to exec on Run. */
    enum mode mode = mode_of(argc, argv);
    if (mode == INIT || mode == INIT_PLAIN)
        init_sandbox(argc, argv, mode == INIT);
    if (mode == MCP_SUPERVISOR)
        return eg_mcp_supervise(argc, argv);
    if (mode == CLIENT && argc >= 3 && strcmp(argv[1], "run") == 0) {
        rq.kind = EG_KIND_RUN;
        rq.argv = argv + 2;
        rq.argc = (size_t)argc - 2;
    } else if (mode == CLIENT && argc == 3 && strcmp(argv[1], "notify") == 0) {
        rq.kind = EG_KIND_NOTIFY;
        notify_argv[1] = argv[2];
        rq.argv = notify_argv;
        rq.argc = 2;
    } else if (mode == CLIENT) {
        usage_client();
    } else if (mode == SHIM) {
        /* argv as our caller gave it, argv[0] included; asked about as the
         * program we stand for; run as the real one (never by the table).
         * A copy of a shim (`cp /usr/bin/git x` copies the wrapper) stands
         * for nothing: it has no real program beside it. */
        if (access(shim_real, F_OK) != 0)
            fail(shim_self, "a copy of execgate's program shim, not the program: copy the real one from " EG_SANDBOX_REAL_DIR);
        session.shim = 1;
        rq.kind = EG_KIND_SHIM;
        rq.file.p = (const uint8_t *)shim_self;
        rq.file.n = strlen(shim_self);
        rq.argv = argv;
        rq.argc = (size_t)argc;
    } else if (argc >= 3) {
        rq.kind = EG_KIND_EXEC;
        rq.file.p = (const uint8_t *)argv[1];
        rq.file.n = strlen(argv[1]);
        rq.argv = argv + 2;
        rq.argc = (size_t)argc - 2;
    } else {
        fail("usage", "execgate-wrapper PATH ARGV0 [ARG...] (run by the patched shell for every exec)");
    }
    const char *file = rq.kind == EG_KIND_EXEC ? argv[1] : rq.kind == EG_KIND_SHIM ? shim_real : argv[2];
    if (rq.kind == EG_KIND_RUN) {
        rq.file.p = (const uint8_t *)file;
        rq.file.n = strlen(file);
    }

    /* An exec the run table lets run here: no connection, no reply. Never
     * `execgate run` (it asks for the host), notify, or a shim. */
    int table_flags = rq.kind == EG_KIND_EXEC ? run_table_allows(file) : -1;
    if (table_flags >= 0 && !(table_flags & EG_RUN_TABLE_RECORD))
        run(file, rq.argv, 0);

    /* A cwd too long or deleted is sent empty; the broker decides. */
    static char cwd[PATH_MAX];
    if (rq.kind != EG_KIND_NOTIFY && getcwd(cwd, sizeof(cwd))) {
        rq.cwd.p = (const uint8_t *)cwd;
        rq.cwd.n = strlen(cwd);
    }
    rq.pid = (uint32_t)getpid();

    /* Allowed, with a record for the audit log: if the record cannot go,
     * ask the broker after all. */
    if (table_flags >= 0 && send_record(&rq) == 0)
        run(file, rq.argv, 0);

    int session_fd = session_or_fail();

    /* Our stdio goes with the request unless the environment is huge: a
     * host command needs it, and waiting for SendStdio is a round trip per
     * escalation. A notification needs none. */
    struct stdio_frame ahead = { NULL, 0 };
    rq.stdio_follows = rq.kind != EG_KIND_NOTIFY && build_stdio(NULL, STDIO_AHEAD_MAX, &ahead) == 0;

    /* Refused before anything is sent, so the broker never sees half of it. */
    size_t size = eg_request_size(&rq);
    if (size > TO_BROKER_MAX)
        too_large("request", size);
    uint8_t *frame = small_frame;
    if (4 + size > sizeof(small_frame) && !(frame = malloc(4 + size)))
        fail("out of memory", NULL);
    eg_encode_request(frame + 4, &rq);

    put_be32(frame, (uint32_t)size);
    /* The broker may refuse before reading everything and hang up: then its
     * Deny is still worth showing, but nothing else is believed. */
    int sent = connect_broker(session_fd, frame, 4 + size) == 0;
    /* The broker decides on the request alone: a Run or Deny it sent
     * before our stdio arrived (and hung up) is still its answer. */
    if (sent && rq.stdio_follows && send_stdio(&ahead) < 0)
        rq.stdio_follows = 0; /* not sent: so no ESCALATE can be believed */

    struct eg_to_wrapper m;
    read_frame(&m);
    if (!sent && !(m.which == EG_MSG_DECISION && m.action == EG_ACTION_DENY))
        lost();

    const char *argv0 = rq.argc > 0 ? rq.argv[0] : file;
    if (m.which == EG_MSG_DECISION) {
        switch (m.action) {
        case EG_ACTION_RUN:
            if (rq.kind == EG_KIND_NOTIFY)
                exit(0);
            /* `execgate run ls` that the broker lets run here: ls from PATH */
            run(rq.kind == EG_KIND_EXEC ? real_behind_shim(file) : file, rq.argv, rq.kind == EG_KIND_RUN);
        case EG_ACTION_DENY:
            denied(argv0, m.reason);
        case EG_ACTION_ESCALATE:
            if (!rq.stdio_follows)
                protocol_error("ESCALATE before stdio was sent");
            wait_exit(isatty(0));
        case EG_ACTION_UNSPECIFIED:
            protocol_error("Decision without an action");
        default:
            protocol_error("unknown action in Decision");
        }
    }
    if (m.which == EG_MSG_EXIT || m.which == EG_MSG_STOP)
        protocol_error("Exit or Stop before a Decision");
    if (m.which != EG_MSG_SEND_STDIO)
        protocol_error("empty message");
    if (rq.kind == EG_KIND_NOTIFY)
        protocol_error("SendStdio for a notification");
    if (rq.stdio_follows)
        protocol_error("SendStdio after our stdio was sent");

    if (frame != small_frame)
        free(frame);
    struct stdio_frame named;
    build_stdio(&m.send_stdio, TO_BROKER_MAX, &named);
    if (send_stdio(&named) < 0)
        lost();

    read_frame(&m);
    if (m.which != EG_MSG_DECISION)
        protocol_error("expected a Decision after Stdio");
    if (m.action == EG_ACTION_DENY)
        denied(argv0, m.reason);
    if (m.action != EG_ACTION_ESCALATE)
        protocol_error("expected ESCALATE or DENY after Stdio");
    /* The broker runs the command on a pty exactly when our stdin is a
     * terminal (Stdio.tty): then our terminal goes raw. */
    wait_exit(isatty(0));
}
