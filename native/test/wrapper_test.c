/* The real, built wrapper against a fake broker written here: it forks the
 * wrapper with EXECGATE_SOCKET set, takes the connection it sends, checks the
 * Request and answers it, and watches what the wrapper then does.
 *
 *   wrapper_test [WRAPPER [PROBE]]   (defaults from the build) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "codec.h"
#include "fdpass.h"
#include "protocol.h"
#include "util.h"

#ifndef EG_WRAPPER
#define EG_WRAPPER "build/native/execgate-wrapper"
#endif
#ifndef EG_PROBE
#define EG_PROBE "build/native/eg_probe"
#endif

static const char *wrapper = EG_WRAPPER;
static const char *probe = EG_PROBE;
static char tmpdir[PATH_MAX];  /* the wrapper's cwd */
static char linkdir[PATH_MAX]; /* holds "execgate", a symlink to the wrapper */

/* The fd number the session socket has in the wrapper. */
#define SESSION_FD 10

/* ---- fake broker: wire helpers ------------------------------------------ */

/* A ToBroker message, as far as the tests look. */
struct tb {
    uint32_t which; /* 1 request, 2 stdio, 3 signal, 4 resize */
    uint32_t kind, pid, signo, rows, cols;
    int tty, has_winsize, stdio_follows;
    eg_bytes file, cwd;
    eg_bytes *list; /* request.argv or stdio.env */
    size_t nlist;
};

static int parse_winsize(eg_bytes b, struct tb *t)
{
    eg_reader r = { b.p, b.p + b.n };
    eg_field f;
    const char *err;
    int rc;
    t->has_winsize = 1;
    while ((rc = eg_next_field(&r, &f, &err)) > 0) {
        if (f.num == 1) t->rows = (uint32_t)f.v;
        if (f.num == 2) t->cols = (uint32_t)f.v;
    }
    return rc;
}

/* The body of one ToBroker member (which: its field number). */
static int parse_body(uint32_t which, eg_bytes body, struct tb *t)
{
    t->which = which;
    eg_reader r = { body.p, body.p + body.n };
    eg_field f;
    const char *err;
    size_t cap = 0;
    int rc;
    while ((rc = eg_next_field(&r, &f, &err)) > 0) {
        if (t->which == 1) {
            if (f.num == 1) t->kind = (uint32_t)f.v;
            if (f.num == 2) t->file = f.b;
            if (f.num == 4) t->cwd = f.b;
            if (f.num == 5) t->pid = (uint32_t)f.v;
            if (f.num == 6) t->stdio_follows = f.v != 0;
        } else if (t->which == 2) {
            if (f.num == 2) t->tty = f.v != 0;
            if (f.num == 3 && parse_winsize(f.b, t) < 0)
                return -1;
        } else if (t->which == 3) {
            if (f.num == 1) t->signo = (uint32_t)f.v;
        } else if (t->which == 4) {
            if (f.num == 1 && parse_winsize(f.b, t) < 0)
                return -1;
        }
        if ((t->which == 1 && f.num == 3) || (t->which == 2 && f.num == 1)) {
            if (t->nlist == cap)
                t->list = realloc(t->list, (cap = cap ? 2 * cap : 64) * sizeof(*t->list));
            t->list[t->nlist++] = f.b;
        }
    }
    return rc;
}

static int parse_tb(const uint8_t *p, size_t n, struct tb *t)
{
    memset(t, 0, sizeof(*t));
    /* exactly one field, a message: what the wrapper's encoder writes */
    eg_reader top = { p, p + n };
    eg_field f;
    const char *err;
    if (eg_next_field(&top, &f, &err) != 1 || f.wt != EG_WT_LEN || top.p != top.end)
        return -1;
    return parse_body(f.num, f.b, t);
}

static int list_is(const struct tb *t, const char *const *want)
{
    size_t i = 0;
    for (; want[i]; i++)
        if (i >= t->nlist || t->list[i].n != strlen(want[i]) || memcmp(t->list[i].p, want[i], t->list[i].n))
            return 0;
    return i == t->nlist;
}

static int bytes_is(eg_bytes b, const char *s)
{
    return b.n == strlen(s) && (b.n == 0 || memcmp(b.p, s, b.n) == 0);
}

/* Takes the connection the wrapper offers on the session socket: "EXG1"
 * and one fd. -1 if nothing came within the time. */
static int accept_conn(int session, int timeout_ms)
{
    struct pollfd p = { .fd = session, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) != 1)
        return -1;
    char buf[16];
    int fds[EG_MAX_FDS];
    size_t nfds, excess;
    ssize_t n = eg_recv_fds(session, buf, sizeof(buf), fds, EG_MAX_FDS, &nfds, &excess);
    if (n != 4 || memcmp(buf, "EXG1", 4) != 0 || nfds != 1 || excess != 0) {
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        return -1;
    }
    struct timeval tv = { .tv_sec = 20 };
    setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fds[0];
}

/* ---- fake broker: the session's directory -------------------------------- */

/* A session directory as the broker makes one: `sock` listening, and the
 * run table when a test writes one. */
struct session_dir {
    char dir[PATH_MAX + 64];
    char env[PATH_MAX + 128]; /* "EXECGATE_SESSION=dir" */
    int listener;
};

static void session_dir_open(struct session_dir *d, const char *name)
{
    snprintf(d->dir, sizeof(d->dir), "%s/%s", tmpdir, name);
    snprintf(d->env, sizeof(d->env), "EXECGATE_SESSION=%s", d->dir);
    CHECK(mkdir(d->dir, 0700) == 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char path[sizeof(d->dir) + 8];
    snprintf(path, sizeof(path), "%s/sock", d->dir);
    CHECK(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1 < sizeof(sa.sun_path) ? strlen(path) + 1 : sizeof(sa.sun_path) - 1);
    d->listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    CHECK(bind(d->listener, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CHECK(listen(d->listener, 16) == 0);
}

static void session_dir_close(struct session_dir *d)
{
    char path[sizeof(d->dir) + 8];
    close(d->listener);
    snprintf(path, sizeof(path), "%s/sock", d->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/table", d->dir);
    unlink(path);
    CHECK(rmdir(d->dir) == 0);
}

/* A connection the wrapper made to the session's path, -1 if none came
 * within the time. */
static int accept_path(struct session_dir *d, int timeout_ms)
{
    struct pollfd p = { .fd = d->listener, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) != 1)
        return -1;
    int s = accept4(d->listener, NULL, NULL, SOCK_CLOEXEC);
    struct timeval tv = { .tv_sec = 20 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return s;
}

/* Reads one frame (malloc'd body) and the fds that came with its first byte. */
static uint8_t *recv_frame(int c, size_t *len, int *fds, size_t *nfds)
{
    uint8_t hdr[4];
    size_t nf = 0, excess = 0;
    int dummy[EG_MAX_FDS];
    ssize_t n = eg_recv_fds(c, hdr, 4, fds ? fds : dummy, EG_MAX_FDS, &nf, &excess);
    if (!fds)
        for (size_t i = 0; i < nf; i++)
            close(dummy[i]);
    if (nfds)
        *nfds = nf;
    if (n <= 0 || excess)
        return NULL;
    if (n < 4 && eg_read_all(c, hdr + n, 4 - (size_t)n) < 0)
        return NULL;
    *len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
    uint8_t *body = malloc(*len + 1);
    if (eg_read_all(c, body, *len) < 0) {
        free(body);
        return NULL;
    }
    return body;
}

static int recv_tb(int c, struct tb *t, uint8_t **keep, int *fds, size_t *nfds)
{
    memset(t, 0, sizeof(*t));
    if (nfds)
        *nfds = 0;
    size_t len;
    *keep = recv_frame(c, &len, fds, nfds);
    if (!*keep)
        return -1;
    return parse_tb(*keep, len, t);
}

static void send_raw(int c, const void *p, size_t n)
{
    CHECK_EQ(eg_write_all(c, p, n), 0);
}

static void send_frame(int c, const uint8_t *body, size_t n)
{
    uint8_t hdr[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    uint8_t *all = malloc(n + 4);
    memcpy(all, hdr, 4);
    if (n)
        memcpy(all + 4, body, n);
    send_raw(c, all, n + 4);
    free(all);
}

/* ToWrapper builders: each returns the message length in out. */
static size_t tw_decision(uint8_t *out, int action, const char *reason)
{
    uint8_t inner[4096], *p = inner;
    if (action)
        p = eg_put_varint(eg_put_tag(p, 1, EG_WT_VARINT), (uint64_t)(int64_t)action);
    if (reason && *reason)
        p = eg_put_bytes(p, 2, reason, strlen(reason));
    return (size_t)(eg_put_bytes(out, 1, inner, (size_t)(p - inner)) - out);
}

static size_t tw_send_stdio(uint8_t *out, const char *const *allow)
{
    uint8_t inner[4096], *p = inner;
    for (size_t i = 0; allow && allow[i]; i++)
        p = eg_put_bytes(p, 1, allow[i], strlen(allow[i]));
    return (size_t)(eg_put_bytes(out, 2, inner, (size_t)(p - inner)) - out);
}

static size_t tw_exit(uint8_t *out, int32_t code, uint32_t sig)
{
    uint8_t inner[64], *p = inner;
    if (code)
        p = eg_put_varint(eg_put_tag(p, 1, EG_WT_VARINT), (uint64_t)(int64_t)code);
    if (sig)
        p = eg_put_varint(eg_put_tag(p, 2, EG_WT_VARINT), sig);
    return (size_t)(eg_put_bytes(out, 3, inner, (size_t)(p - inner)) - out);
}

static void reply_decision(int c, int action, const char *reason)
{
    uint8_t buf[8192];
    send_frame(c, buf, tw_decision(buf, action, reason));
}

static void reply_exit(int c, int32_t code, uint32_t sig)
{
    uint8_t buf[64];
    send_frame(c, buf, tw_exit(buf, code, sig));
}

/* ---- the wrapper as a child --------------------------------------------- */

struct opts {
    char **env;            /* extra entries, NULL-terminated; may be NULL */
    const char *socket;    /* EXECGATE_SOCKET value; NULL: SESSION_FD; "-": unset */
    int stdin_fd;          /* to dup to 0 (-1: /dev/null) */
    int closed[3];         /* close fd 0/1/2 instead */
    int ignore_sigint;     /* as a shell does for a background job */
    rlim_t stack;          /* raise RLIMIT_STACK (bigger argv) */
    int core;              /* allow core dumps (RLIMIT_CORE unlimited) */
    int no_session;        /* do not pass the session socket at all */
    int extra_fd;          /* another fd to put at SESSION_FD instead */
    int broker_gone;       /* the broker's end of the session is closed */
    int fill_session;      /* the session socket full: a send without waiting fails */
    int fd87;              /* an fd to put at 87 as well (0: none) */
    int no_seccomp;        /* seccomp(2) fails with EPERM, as under an outer profile */
};

struct child {
    pid_t pid;
    int session; /* broker end */
    int out, err;
    int status;
    char *outs, *errs; /* after finish() */
};

static char **child_env(const struct opts *o)
{
    static char *env[64];
    static char sock[32];
    size_t n = 0;
    env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
    env[n++] = "EG_MARKER=unchanged \x01 bytes\xff";
    if (!o->socket)
        snprintf(sock, sizeof(sock), "EXECGATE_SOCKET=%d", SESSION_FD);
    else if (strcmp(o->socket, "-") != 0)
        snprintf(sock, sizeof(sock), "EXECGATE_SOCKET=%s", o->socket);
    if (!o->socket || strcmp(o->socket, "-") != 0)
        env[n++] = sock;
    for (size_t i = 0; o->env && o->env[i] && n < 62; i++)
        env[n++] = o->env[i];
    env[n] = NULL;
    return env;
}

static struct child start(char *const argv[], const struct opts *o)
{
    static const struct opts none = { .stdin_fd = -1 };
    if (!o)
        o = &none;
    struct child ch = { .session = -1 };
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("socketpair");
        exit(2);
    }
    ch.session = sv[0];
    if (o->fill_session) {
        /* datagrams nobody reads, until the wrapper's end has no room left */
        static const char filler[256];
        while (send(sv[1], filler, sizeof(filler), MSG_DONTWAIT) == (ssize_t)sizeof(filler))
            ;
        CHECK(errno == EAGAIN);
    }
    if (o->broker_gone) {
        close(sv[0]);
        ch.session = -1;
    }
    ch.out = memfd_create("out", MFD_CLOEXEC);
    ch.err = memfd_create("err", MFD_CLOEXEC);
    char **env = child_env(o);

    ch.pid = fork();
    if (ch.pid == 0) {
        /* The state a shell would hand over: chosen below, nothing inherited. */
        sigset_t set;
        sigemptyset(&set);
        for (int s = 1; s < NSIG; s++)
            signal(s, SIG_DFL);
        signal(SIGUSR1, SIG_IGN);  /* must stay ignored on Run */
        if (o->ignore_sigint)
            signal(SIGINT, SIG_IGN);
        sigaddset(&set, SIGUSR2);  /* must stay blocked on Run */
        sigprocmask(SIG_SETMASK, &set, NULL);
        if (o->stack) {
            struct rlimit rl = { o->stack, o->stack };
            setrlimit(RLIMIT_STACK, &rl);
        }
        if (o->core) {
            struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
            setrlimit(RLIMIT_CORE, &rl);
        }
        if (chdir(tmpdir) < 0)
            _exit(90);
        /* Only what a shell would pass: whatever the test runner left open
         * must not reach the wrapper (the probe counts fds). */
        close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
        int in = o->stdin_fd >= 0 ? o->stdin_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
        int target = o->extra_fd ? o->extra_fd : sv[1];
        if (dup2(in, 0) < 0 || dup2(ch.out, 1) < 0 || dup2(ch.err, 2) < 0)
            _exit(91);
        if (!o->no_session) {
            if (target == SESSION_FD)
                fcntl(SESSION_FD, F_SETFD, 0);
            else if (dup2(target, SESSION_FD) < 0)
                _exit(92);
        }
        if (o->fd87 && dup2(o->fd87, 87) < 0)
            _exit(94);
        for (int i = 0; i < 3; i++)
            if (o->closed[i])
                close(i);
        if (o->no_seccomp) {
            struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                _exit(95);
        }
        execve(wrapper, argv, env);
        _exit(93);
    }
    close(sv[1]);
    return ch;
}

static char *slurp(int fd)
{
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0)
        size = 0;
    char *s = malloc((size_t)size + 1);
    ssize_t n = pread(fd, s, (size_t)size, 0);
    s[n > 0 ? n : 0] = '\0';
    return s;
}

/* Waits (at most 20 s) for the wrapper to end; fills status and output. */
static void finish(struct child *ch)
{
    int waited = 0;
    for (;;) {
        pid_t r = waitpid(ch->pid, &ch->status, WNOHANG);
        if (r == ch->pid)
            break;
        if (waited++ > 20000) {
            fprintf(stderr, "wrapper %d did not end: killed\n", (int)ch->pid);
            kill(ch->pid, SIGKILL);
            waitpid(ch->pid, &ch->status, 0);
            CHECK(!"the wrapper hung");
            break;
        }
        usleep(1000);
    }
    ch->outs = slurp(ch->out);
    ch->errs = slurp(ch->err);
    close(ch->out);
    close(ch->err);
    if (ch->session >= 0)
        close(ch->session);
}

static void release(struct child *ch)
{
    free(ch->outs);
    free(ch->errs);
}

static int exit_code(const struct child *ch)
{
    return WIFEXITED(ch->status) ? WEXITSTATUS(ch->status) : -WTERMSIG(ch->status);
}

/* A wrapper run that must end before contacting the broker. */
static struct child run_alone(char *const argv[], const struct opts *o)
{
    struct child ch = start(argv, o);
    finish(&ch);
    return ch;
}

/* Blocks until the wrapper has blocked sig (it is then reading signals from
 * its signalfd); 0 on success. */
static int wait_blocked(pid_t pid, int sig)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    for (int tries = 0; tries < 5000; tries++) {
        FILE *f = fopen(path, "r");
        unsigned long long mask = 0;
        while (f && fgets(line, sizeof(line), f))
            if (!strncmp(line, "SigBlk:", 7))
                mask = strtoull(line + 8, NULL, 16);
        if (f)
            fclose(f);
        if (mask & (1ull << (sig - 1)))
            return 0;
        usleep(1000);
    }
    return -1;
}

/* Blocks until the process is blocked in system call nr (as
 * /proc/PID/syscall shows); 0 on success. */
static int wait_syscall(pid_t pid, long nr)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
    for (int tries = 0; tries < 5000; tries++) {
        FILE *f = fopen(path, "r");
        long got = -1;
        if (f && fgets(line, sizeof(line), f) && line[0] >= '0' && line[0] <= '9')
            got = strtol(line, NULL, 10);
        if (f)
            fclose(f);
        if (got == nr)
            return 0;
        usleep(1000);
    }
    return -1;
}

/* ---- tests -------------------------------------------------------------- */

static char *W(void) { return (char *)wrapper; }

/* SigIgn bits of signals 32 and 33, as this process got them. */
static unsigned long long inherited_ignored;

static void read_inherited_ignored(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "SigIgn:", 7))
            inherited_ignored = strtoull(line + 8, NULL, 16) & (3ull << 31);
    if (f)
        fclose(f);
}

static void test_no_socket(void)
{
    char *argv[] = { W(), "/bin/true", "true", NULL };
    struct opts o = { .socket = "-", .stdin_fd = -1 };
    struct child ch = run_alone(argv, &o);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK(strcmp(ch.errs, "execgate: cannot reach the session: fd 87 is not open and EXECGATE_SESSION "
                          "is not set (run inside an execgate session)\n") == 0);
    CHECK_HAS(ch.errs, "fd 87 is not open and EXECGATE_SESSION is not set");
    release(&ch);
}

static void test_bad_socket(void)
{
    static const char *const numbers[] = { "", "abc", "-1", "+10", " 10", "10 ", "010", "1e1",
                                            "2147483648", "99999999999999999999", "0x0a", NULL };
    for (size_t i = 0; numbers[i]; i++) {
        char *argv[] = { W(), "/bin/true", "true", NULL };
        struct opts o = { .socket = numbers[i], .stdin_fd = -1 };
        struct child ch = run_alone(argv, &o);
        CHECK_EQ(exit_code(&ch), 126);
        CHECK_HAS(ch.errs, "not a file descriptor number");
        release(&ch);
    }
    /* a number, but closed */
    char *argv[] = { W(), "/bin/true", "true", NULL };
    struct opts o = { .socket = "500", .stdin_fd = -1 };
    struct child ch = run_alone(argv, &o);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "execgate: cannot reach the session: fd 500 is not open and EXECGATE_SESSION is not set\n");
    release(&ch);
    /* a pipe: not a socket */
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    o = (struct opts){ .stdin_fd = -1, .extra_fd = p[0] };
    ch = run_alone(argv, &o);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "cannot reach the session: fd 10 is not a socket and ");
    close(p[0]);
    close(p[1]);
    release(&ch);
    /* a stream socket: not the session */
    int s[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0);
    o = (struct opts){ .stdin_fd = -1, .extra_fd = s[0] };
    ch = run_alone(argv, &o);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "not a SOCK_SEQPACKET socket");
    close(s[0]);
    close(s[1]);
    release(&ch);
    /* an escape in the value is shown escaped */
    o = (struct opts){ .socket = "1\x1b[2J", .stdin_fd = -1 };
    ch = run_alone(argv, &o);
    CHECK_HAS(ch.errs, "EXECGATE_SOCKET=1\\x1b[2J: not a file descriptor number");
    release(&ch);
}

static void test_usage(void)
{
    char *argv[] = { W(), "/bin/true", NULL };
    struct child ch = run_alone(argv, NULL);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "execgate: usage");
    CHECK(accept_conn(ch.session, 0) < 0);
    release(&ch);
    char *argv0[] = { W(), NULL };
    ch = run_alone(argv0, NULL);
    CHECK_EQ(exit_code(&ch), 126);
    release(&ch);
}

/* Parses the probe's report into lines, checking one kind. */
static int report_count(const char *report, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = report; p && *p;) {
        if (!strncmp(p, prefix, len))
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

static void test_run(void)
{
    char *argv[] = { W(), (char *)probe, "probe-argv0", "", "two words", "\xff\xfe\x1b[0m", NULL };
    struct child ch = start(argv, NULL);
    int c = accept_conn(ch.session, 10000);
    CHECK(c >= 0);
    struct tb t;
    uint8_t *keep;
    CHECK_EQ(recv_tb(c, &t, &keep, NULL, NULL), 0);
    CHECK_EQ(t.which, 1);
    CHECK_EQ(t.kind, EG_KIND_EXEC);
    CHECK(bytes_is(t.file, probe));
    static const char *const want[] = { "probe-argv0", "", "two words", "\xff\xfe\x1b[0m", NULL };
    CHECK(list_is(&t, want));
    char real[PATH_MAX];
    CHECK(realpath(tmpdir, real) != NULL);
    CHECK(bytes_is(t.cwd, real));
    CHECK_EQ(t.pid, ch.pid);
    CHECK_EQ(t.stdio_follows, 1);
    reply_decision(c, EG_ACTION_RUN, NULL);
    free(t.list);
    free(keep);
    /* the stdio it sent ahead (a Run drops it), then, our end being
     * close-on-exec, EOF once the program runs */
    int fds[EG_MAX_FDS];
    size_t nfds = 0;
    CHECK_EQ(recv_tb(c, &t, &keep, fds, &nfds), 0);
    CHECK_EQ(t.which, 2);
    CHECK_EQ(nfds, 3);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    free(t.list);
    free(keep);
    char b;
    CHECK_EQ(read(c, &b, 1), 0);
    close(c);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 0);
    CHECK_EQ(ch.errs[0], '\0');
    /* it really ran, with our argv, environment, signal state and fds */
    CHECK_HAS(ch.outs, "arg 70726f62652d6172677630\n");
    CHECK_HAS(ch.outs, "\narg \n");
    CHECK_HAS(ch.outs, "arg 74776f20776f726473\n");
    CHECK_HAS(ch.outs, "arg fffe1b5b306d\n");
    CHECK_EQ(report_count(ch.outs, "arg "), 4);
    /* SIGUSR1 (10) ignored and nothing else, SIGPIPE included; SIGUSR2 (12)
     * blocked and nothing else. (Plus, ignored, whatever of the libc's own
     * signals 32 and 33 we inherited: signal() cannot reset those.) */
    char sigign[64];
    snprintf(sigign, sizeof(sigign), "sigign %016llx\n", (1ull << (SIGUSR1 - 1)) | inherited_ignored);
    CHECK_HAS(ch.outs, sigign);
    CHECK_HAS(ch.outs, "sigblk 0000000000000800\n");
    CHECK_HAS(ch.outs, "env EG_MARKER=unchanged \x01 bytes\xff\n");
    CHECK_HAS(ch.outs, "env PATH=/usr/local/bin:/usr/bin:/bin\n");
    CHECK_HAS(ch.outs, "env EXECGATE_SOCKET=10\n");
    CHECK_EQ(report_count(ch.outs, "env "), 3);
    /* 0-2 and the session, still inheritable; not the connection */
    CHECK_HAS(ch.outs, "fd 0\nfd 1\nfd 2\nfd 10\n");
    CHECK_EQ(report_count(ch.outs, "fd "), 4);
    release(&ch);
}

/* On Run the wrapper is gone: the status is the program's. */
static void test_run_status(void)
{
    char *env[] = { "PROBE_EXIT=42", NULL };
    struct opts o = { .env = env, .stdin_fd = -1 };
    char *argv[] = { W(), (char *)probe, "probe", NULL };
    struct child ch = start(argv, &o);
    int c = accept_conn(ch.session, 10000);
    CHECK(c >= 0);
    free(recv_frame(c, &(size_t){ 0 }, NULL, NULL));
    reply_decision(c, EG_ACTION_RUN, NULL);
    close(c);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 42);
    release(&ch);
}

static struct child run_with(char *const argv[], const struct opts *o, int action, const char *reason)
{
    struct child ch = start(argv, o);
    int c = accept_conn(ch.session, 10000);
    CHECK(c >= 0);
    size_t len;
    free(recv_frame(c, &len, NULL, NULL));
    reply_decision(c, action, reason);
    close(c);
    finish(&ch);
    return ch;
}

static void test_exec_errors(void)
{
    char *argv[] = { W(), "/nonexistent/prog", "prog", NULL };
    struct child ch = run_with(argv, NULL, EG_ACTION_RUN, NULL);
    CHECK_EQ(exit_code(&ch), 127);
    CHECK_HAS(ch.errs, "execgate: /nonexistent/prog: No such file or directory\n");
    release(&ch);

    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/not-executable", tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0 && write(fd, "#!/bin/sh\n", 10) == 10);
    close(fd);
    char *argv2[] = { W(), path, "x", NULL };
    ch = run_with(argv2, NULL, EG_ACTION_RUN, NULL);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, ": Permission denied\n");
    release(&ch);

    snprintf(path, sizeof(path), "%s/garbage", tmpdir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    CHECK(fd >= 0 && write(fd, "\x7f" "ELF garbage", 12) == 12);
    close(fd);
    char *argv3[] = { W(), path, "garbage", NULL };
    ch = run_with(argv3, NULL, EG_ACTION_RUN, NULL);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "/garbage: cannot execute binary file: Exec format error\n");
    release(&ch);

    /* the path is agent-controlled: escaped */
    char *argv4[] = { W(), "/nonexistent/\x1b]0;title\x07", "x", NULL };
    ch = run_with(argv4, NULL, EG_ACTION_RUN, NULL);
    CHECK_EQ(exit_code(&ch), 127);
    CHECK_HAS(ch.errs, "execgate: /nonexistent/\\x1b]0;title\\x07: No such file");
    release(&ch);
}

static void test_deny(void)
{
    char *argv[] = { W(), (char *)probe, "ls\x1b[2J", "-l", NULL };
    struct child ch = run_with(argv, NULL, EG_ACTION_DENY, "no\nway \x1b[31m\xc2\x9b");
    CHECK_EQ(exit_code(&ch), 126);
    CHECK(strcmp(ch.errs, "execgate: denied: ls\\x1b[2J: no\\nway \\x1b[31m\\xc2\\x9b\n") == 0);
    if (strcmp(ch.errs, "execgate: denied: ls\\x1b[2J: no\\nway \\x1b[31m\\xc2\\x9b\n") != 0)
        fprintf(stderr, "got: %s\n", ch.errs);
    CHECK_EQ(ch.outs[0], '\0'); /* the probe never ran */
    release(&ch);
    /* an empty reason */
    char *argv2[] = { W(), "/bin/true", "true", NULL };
    ch = run_with(argv2, NULL, EG_ACTION_DENY, NULL);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK(strcmp(ch.errs, "execgate: denied: true: \n") == 0);
    release(&ch);
}

/* Environment entries, together over the wrapper's limit for sending its
 * stdio ahead (STDIO_AHEAD_MAX, 256 KiB; one string may not pass 128 KiB):
 * with them the wrapper waits for SendStdio and sends only the variables
 * named. i: 0..2. */
static char *huge_entry(int i)
{
    static char *e[3];
    if (!e[i]) {
        size_t n = 100 << 10;
        e[i] = malloc(n + 1);
        snprintf(e[i], n, "HUGE%d=", i);
        memset(e[i] + 6, 'h', n - 6);
        e[i][n] = '\0';
    }
    return e[i];
}

/* Escalate up to the ESCALATE decision; returns the connection. The stdio
 * is taken as the wrapper sends it: ahead, right behind the request
 * (*ahead set), or after a SendStdio naming allow. */
static int escalate_as(struct child *ch, const char *const *allow, struct tb *stdio, uint8_t **keep, int fds[3], int *ahead)
{
    int c = accept_conn(ch->session, 10000);
    CHECK(c >= 0);
    if (c < 0)
        return -1;
    struct tb rq;
    uint8_t *rq_keep;
    CHECK_EQ(recv_tb(c, &rq, &rq_keep, NULL, NULL), 0);
    CHECK_EQ(rq.which, 1);
    *ahead = rq.stdio_follows;
    free(rq.list);
    free(rq_keep);
    uint8_t buf[4096];
    if (!*ahead)
        send_frame(c, buf, tw_send_stdio(buf, allow));
    int got[EG_MAX_FDS];
    size_t nfds = 0;
    CHECK_EQ(recv_tb(c, stdio, keep, got, &nfds), 0);
    CHECK_EQ(stdio->which, 2);
    CHECK_EQ(nfds, 3);
    for (size_t i = 0; i < nfds; i++) {
        CHECK(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
        if (i < 3)
            fds[i] = got[i];
        else
            close(got[i]);
    }
    return c;
}

static int escalate(struct child *ch, const char *const *allow, struct tb *stdio, uint8_t **keep, int fds[3])
{
    int ahead;
    return escalate_as(ch, allow, stdio, keep, fds, &ahead);
}

static void close3(int fds[3])
{
    for (int i = 0; i < 3; i++)
        close(fds[i]);
}

/* escalate() for tests that need nothing of the stdio: it is taken and let
 * go, and the connection returned. */
static int escalate_plain(struct child *ch)
{
    struct tb st;
    uint8_t *keep;
    int fds[3] = { -1, -1, -1 };
    int c = escalate(ch, NULL, &st, &keep, fds);
    close3(fds);
    free(st.list);
    free(keep);
    return c;
}

static void test_escalate_code(void)
{
  for (int huge = 0; huge < 2; huge++) {
    /* huge: an environment too big to send ahead, so the wrapper waits for
     * SendStdio and sends only what it names; else everything, ahead. */
    char *env[] = { "TERM=xterm-256color", "TERMINFO=/x", "LC_ALL=C.UTF-8", "LANG=en",
                    "LC_CTYPE=fr", "SECRET=hunter2", "LC_=empty", NULL, NULL, NULL, NULL };
    for (int i = 0; huge && i < 3; i++)
        env[7 + i] = huge_entry(i);
    struct opts o = { .env = env, .stdin_fd = -1 };
    char *argv[] = { W(), "/usr/bin/make", "make", "-j4", NULL };
    struct child ch = start(argv, &o);
    static const char *const allow[] = { "TERM", "LC_*", "NOPE", NULL };
    struct tb st;
    uint8_t *keep;
    int fds[3] = { -1, -1, -1 };
    int ahead;
    int c = escalate_as(&ch, allow, &st, &keep, fds, &ahead);
    CHECK_EQ(ahead, !huge);
    /* exactly the allowed names, in environ's order; ahead, every one */
    static const char *const want[] = { "TERM=xterm-256color", "LC_ALL=C.UTF-8", "LC_CTYPE=fr", "LC_=empty", NULL };
    if (huge)
        CHECK(list_is(&st, want));
    else {
        for (size_t i = 0; i < 7; i++) {
            int found = 0;
            for (size_t j = 0; j < st.nlist; j++)
                found |= st.list[j].n == strlen(env[i]) && memcmp(st.list[j].p, env[i], st.list[j].n) == 0;
            CHECK(found);
        }
    }
    CHECK_EQ(st.tty, 0);
    CHECK_EQ(st.has_winsize, 0);
    /* the fds are the wrapper's own stdio */
    struct stat a, b;
    CHECK(fstat(fds[1], &a) == 0 && fstat(ch.out, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    CHECK(fstat(fds[2], &a) == 0 && fstat(ch.err, &b) == 0 && a.st_ino == b.st_ino);
    CHECK(fstat(fds[0], &a) == 0 && S_ISCHR(a.st_mode) && a.st_rdev == makedev(1, 3));
    CHECK_EQ(write(fds[1], "from the host\n", 14), 14);
    close3(fds);
    free(st.list);
    free(keep);
    reply_decision(c, EG_ACTION_ESCALATE, NULL);
    reply_exit(c, 7, 0);
    finish(&ch);
    close(c);
    CHECK_EQ(exit_code(&ch), 7);
    CHECK(strcmp(ch.outs, "from the host\n") == 0);
    CHECK_EQ(ch.errs[0], '\0');
    release(&ch);
  }
}

/* Exit{code, signal} → the wrapper's own status: code & 255, or death by the
 * signal (no core file), or 128+n when the signal would not end it. */
static void test_escalate_exits(void)
{
    static const struct {
        int32_t code;
        uint32_t sig;
        int want; /* exit code, or -signal */
        int core;
    } t[] = {
        { 0, 0, 0, 0 },
        { 1, 0, 1, 0 },
        { 255, 0, 255, 0 },
        { 256 + 3, 0, 3, 0 },
        { -1, 0, 255, 0 },
        { 5, SIGTERM, -SIGTERM, 0 },
        { 0, SIGKILL, -SIGKILL, 0 },
        { 0, SIGINT, -SIGINT, 0 },   /* SIGINT is forwarded, yet the re-raise must work */
        { 0, SIGQUIT, -SIGQUIT, 1 }, /* dumps core by default: not here */
        { 0, SIGSEGV, -SIGSEGV, 1 },
        { 0, SIGPIPE, -SIGPIPE, 0 },
        { 0, SIGUSR2, -SIGUSR2, 0 }, /* blocked by the "shell": unblocked to die */
        { 0, SIGUSR1, -SIGUSR1, 0 }, /* ignored by the "shell": default restored */
        { 0, SIGCHLD, 128 + SIGCHLD, 0 }, /* ignored by default */
        { 0, SIGSTOP, 128 + SIGSTOP, 0 }, /* would stop, not end */
        { 0, SIGTSTP, 128 + SIGTSTP, 0 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct opts o = { .stdin_fd = -1, .core = t[i].core };
        char *argv[] = { W(), "/bin/x", "x", NULL };
        struct child ch = start(argv, &o);
        int c = escalate_plain(&ch);
        reply_decision(c, EG_ACTION_ESCALATE, NULL);
        reply_exit(c, t[i].code, t[i].sig);
        finish(&ch);
        close(c);
        int got = exit_code(&ch);
        if (got != t[i].want)
            fprintf(stderr, "Exit{%d, %u}: wrapper status %d\n", t[i].code, t[i].sig, got);
        CHECK_EQ(got, t[i].want);
        if (WIFSIGNALED(ch.status))
            CHECK(!WCOREDUMP(ch.status));
        release(&ch);
    }
    char core[PATH_MAX + 8];
    snprintf(core, sizeof(core), "%s/core", tmpdir);
    CHECK(access(core, F_OK) != 0);
}

static int next_signal(int c, struct tb *t)
{
    uint8_t *keep;
    int rc = recv_tb(c, t, &keep, NULL, NULL);
    free(keep);
    return rc;
}

static void test_forward(void)
{
    char *argv[] = { W(), "/bin/x", "x", NULL };
    struct child ch = start(argv, NULL);
    int c = escalate_plain(&ch);
    reply_decision(c, EG_ACTION_ESCALATE, NULL);
    CHECK_EQ(wait_blocked(ch.pid, SIGINT), 0);
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGINT };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        kill(ch.pid, sigs[i]);
        struct tb t;
        CHECK_EQ(next_signal(c, &t), 0);
        CHECK_EQ(t.which, 3);
        CHECK_EQ(t.signo, sigs[i]);
    }
    /* not a terminal: SIGWINCH sends nothing, SIGUSR1 (ignored) nothing */
    kill(ch.pid, SIGWINCH);
    kill(ch.pid, SIGTERM);
    struct tb t;
    CHECK_EQ(next_signal(c, &t), 0);
    CHECK_EQ(t.which, 3);
    CHECK_EQ(t.signo, SIGTERM);
    reply_exit(c, 0, 0);
    finish(&ch);
    close(c);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);
}

/* A signal the shell ignored (SIGINT, for a background job) is not forwarded. */
static void test_forward_ignored(void)
{
    struct opts o = { .stdin_fd = -1, .ignore_sigint = 1 };
    char *argv[] = { W(), "/bin/x", "x", NULL };
    struct child ch = start(argv, &o);
    int c = escalate_plain(&ch);
    reply_decision(c, EG_ACTION_ESCALATE, NULL);
    CHECK_EQ(wait_blocked(ch.pid, SIGTERM), 0);
    kill(ch.pid, SIGINT);
    struct pollfd p = { .fd = c, .events = POLLIN };
    CHECK_EQ(poll(&p, 1, 300), 0); /* nothing comes */
    kill(ch.pid, SIGHUP);
    struct tb t;
    CHECK_EQ(next_signal(c, &t), 0);
    CHECK_EQ(t.signo, SIGHUP);
    CHECK_EQ(poll(&p, 1, 100), 0);
    reply_exit(c, 0, 0);
    finish(&ch);
    close(c);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);
}

static void test_tty(void)
{
    int master, slave;
    struct winsize ws = { .ws_row = 33, .ws_col = 111 };
    CHECK(openpty(&master, &slave, NULL, NULL, &ws) == 0);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    char *env[] = { "TERM=vt100", NULL };
    struct opts o = { .stdin_fd = slave, .env = env };
    char *argv[] = { W(), "/usr/bin/vi", "vi", NULL };
    struct child ch = start(argv, &o);
    static const char *const allow[] = { "*", NULL };
    struct tb st;
    uint8_t *keep;
    int fds[3] = { -1, -1, -1 };
    int c = escalate(&ch, allow, &st, &keep, fds);
    CHECK_EQ(st.tty, 1);
    CHECK_EQ(st.has_winsize, 1);
    CHECK_EQ(st.rows, 33);
    CHECK_EQ(st.cols, 111);
    CHECK_EQ(st.nlist, 4); /* "*": the whole environment */
    close3(fds);
    free(st.list);
    free(keep);
    reply_decision(c, EG_ACTION_ESCALATE, NULL);
    CHECK_EQ(wait_blocked(ch.pid, SIGWINCH), 0);
    ws.ws_row = 40;
    ws.ws_col = 120;
    ioctl(master, TIOCSWINSZ, &ws);
    kill(ch.pid, SIGWINCH);
    struct tb t;
    CHECK_EQ(next_signal(c, &t), 0);
    CHECK_EQ(t.which, 4);
    CHECK_EQ(t.has_winsize, 1);
    CHECK_EQ(t.rows, 40);
    CHECK_EQ(t.cols, 120);
    reply_exit(c, 0, 0);
    finish(&ch);
    close(c);
    close(master);
    close(slave);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);
}

/* Replies that are not the protocol: 126, "protocol error", nothing run. */
static void test_protocol_errors(void)
{
    enum { FIRST, AFTER_STDIO, AFTER_ESCALATE };
    /* huge: the wrapper's environment too big to send ahead, so that it
     * waits for SendStdio (the cases about what may come before or after
     * the stdio exchange that a SendStdio starts). */
    struct {
        const char *what;
        int when;
        uint8_t frame[64];
        size_t n; /* 0: build below */
        int huge;
    } t[] = {
        { "garbage", FIRST, { 0, 0, 0, 2, 0xff, 0xff }, 6, 0 },
        { "frame over 64 KiB", FIRST, { 0, 1, 0, 1 }, 4, 0 },
        { "huge frame", FIRST, { 0xff, 0xff, 0xff, 0xff }, 4, 0 },
        { "empty message", FIRST, { 0, 0, 0, 0 }, 4, 0 },
        { "unspecified action", FIRST, { 0, 0, 0, 2, 0x0a, 0x00 }, 6, 0 },
        { "unknown action", FIRST, { 0, 0, 0, 4, 0x0a, 0x02, 0x08, 0x09 }, 8, 0 },
        { "negative action", FIRST, { 0, 0, 0, 13, 0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 17, 0 },
        { "escalate first", FIRST, { 0, 0, 0, 4, 0x0a, 0x02, 0x08, 0x02 }, 8, 1 },
        { "send stdio after stdio went ahead", FIRST, { 0, 0, 0, 2, 0x12, 0x00 }, 6, 0 },
        { "exit first", FIRST, { 0, 0, 0, 4, 0x1a, 0x02, 0x08, 0x00 }, 8, 0 },
        { "group", FIRST, { 0, 0, 0, 2, 0x0b, 0x0c }, 6, 0 },
        { "run after stdio", AFTER_STDIO, { 0, 0, 0, 4, 0x0a, 0x02, 0x08, 0x01 }, 8, 1 },
        { "stdio twice", AFTER_STDIO, { 0, 0, 0, 2, 0x12, 0x00 }, 6, 1 },
        { "exit before escalate", AFTER_STDIO, { 0, 0, 0, 2, 0x1a, 0x00 }, 6, 1 },
        { "exit before escalate, stdio ahead", AFTER_STDIO, { 0, 0, 0, 2, 0x1a, 0x00 }, 6, 0 },
        { "decision after escalate", AFTER_ESCALATE, { 0, 0, 0, 4, 0x0a, 0x02, 0x08, 0x03 }, 8, 0 },
        { "garbage after escalate", AFTER_ESCALATE, { 0, 0, 0, 1, 0x80 }, 5, 0 },
        { "bad signal number", AFTER_ESCALATE, { 0, 0, 0, 4, 0x1a, 0x02, 0x10, 0x63 }, 8, 0 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *argv[] = { W(), (char *)probe, "probe", NULL };
        char *env[] = { huge_entry(0), huge_entry(1), huge_entry(2), NULL };
        struct opts o = { .env = t[i].huge ? env : NULL, .stdin_fd = -1 };
        struct child ch = start(argv, &o);
        int c;
        if (t[i].when == FIRST) {
            c = accept_conn(ch.session, 10000);
            size_t len;
            free(recv_frame(c, &len, NULL, NULL));
        } else {
            c = escalate_plain(&ch);
            if (t[i].when == AFTER_ESCALATE)
                reply_decision(c, EG_ACTION_ESCALATE, NULL);
        }
        send_raw(c, t[i].frame, t[i].n);
        finish(&ch);
        close(c);
        if (exit_code(&ch) != 126 || !strstr(ch.errs, "execgate: protocol error: "))
            fprintf(stderr, "case \"%s\": status %d, stderr %s\n", t[i].what, exit_code(&ch), ch.errs);
        CHECK_EQ(exit_code(&ch), 126);
        CHECK_HAS(ch.errs, "execgate: protocol error: ");
        CHECK_EQ(ch.outs[0], '\0');
        release(&ch);
    }
}

/* The broker goes away: 126, "lost connection", nothing run. */
static void test_lost(void)
{
    for (int when = 0; when < 4; when++) {
        char *argv[] = { W(), (char *)probe, "probe", NULL };
        struct child ch = start(argv, NULL);
        int c;
        if (when < 2) {
            c = accept_conn(ch.session, 10000);
            size_t len;
            free(recv_frame(c, &len, NULL, NULL));
            if (when == 1) /* half a frame */
                send_raw(c, "\0\0\0\x04\x0a\x02", 6);
        } else {
            c = escalate_plain(&ch);
            if (when == 3)
                reply_decision(c, EG_ACTION_ESCALATE, NULL);
        }
        close(c);
        finish(&ch);
        CHECK_EQ(exit_code(&ch), 126);
        CHECK_HAS(ch.errs, "execgate: lost connection to the broker\n");
        CHECK_EQ(ch.outs[0], '\0');
        release(&ch);
    }
    /* the session socket's far end is closed: nobody to hand the connection to */
    char *argv[] = { W(), (char *)probe, "probe", NULL };
    struct opts o = { .stdin_fd = -1, .broker_gone = 1 };
    struct child ch = start(argv, &o);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "execgate: cannot reach the broker: ");
    release(&ch);
}

/* Frames that arrive together are all used. */
static void test_frames_together(void)
{
    char *argv[] = { W(), "/bin/x", "x", NULL };
    struct child ch = start(argv, NULL);
    int c = escalate_plain(&ch);
    uint8_t a[64], b[64], both[136];
    size_t na = tw_decision(a, EG_ACTION_ESCALATE, NULL), nb = tw_exit(b, 5, 0);
    both[0] = both[1] = both[2] = 0;
    both[3] = (uint8_t)na;
    memcpy(both + 4, a, na);
    both[4 + na] = both[5 + na] = both[6 + na] = 0;
    both[7 + na] = (uint8_t)nb;
    memcpy(both + 8 + na, b, nb);
    send_raw(c, both, 8 + na + nb);
    finish(&ch);
    close(c);
    CHECK_EQ(exit_code(&ch), 5);
    release(&ch);
}

/* argv of n entries "%07zu" (8 bytes each with the NUL). */
static char **numbered_argv(const char *file, size_t n, size_t width)
{
    char **argv = calloc(n + 3, sizeof(char *));
    argv[0] = W();
    argv[1] = (char *)file;
    char *mem = malloc(n * (width + 1));
    for (size_t i = 0; i < n; i++) {
        argv[2 + i] = mem + i * (width + 1);
        snprintf(argv[2 + i], width + 1, "%0*zu", (int)width, i);
    }
    return argv;
}

/* Large argv within execve's default limits (a quarter of the 8 MiB stack for
 * strings and pointers together), both ways round: many short arguments
 * (`echo $(seq 1 100000)`) and 1.5 MB in longer ones. The broker reads while
 * the wrapper writes; the program then runs with all of it. */
static void test_large_argv(void)
{
    static const struct {
        size_t n, width;
    } shapes[] = { { 100000, 6 }, { 15000, 99 } };
    for (size_t s = 0; s < 2; s++) {
        size_t n = shapes[s].n;
        char **argv = numbered_argv("/bin/true", n, shapes[s].width);
        struct child ch = start(argv, NULL);
        int c = accept_conn(ch.session, 10000);
        CHECK(c >= 0);
        struct tb t;
        uint8_t *keep;
        CHECK_EQ(recv_tb(c, &t, &keep, NULL, NULL), 0);
        CHECK_EQ(t.nlist, n);
        int ok = t.nlist == n;
        for (size_t i = 0; ok && i < n; i++)
            ok = t.list[i].n == shapes[s].width && memcmp(t.list[i].p, argv[2 + i], shapes[s].width) == 0;
        CHECK(ok);
        reply_decision(c, EG_ACTION_RUN, NULL);
        close(c);
        finish(&ch);
        CHECK_EQ(exit_code(&ch), 0);
        CHECK_EQ(ch.errs[0], '\0');
        free(t.list);
        free(keep);
        free(argv[2]);
        free(argv);
        release(&ch);
    }
}

/* A request above 4 MiB is refused before anything is sent; one just below
 * goes through whole. */
static void test_size_cap(void)
{
    size_t n = 38; /* 38 x 120000 bytes: 4.56 MB */
    char **argv = numbered_argv("/bin/true", n, 120000 - 1);
    struct opts o = { .stdin_fd = -1, .stack = (rlim_t)256 << 20 };
    struct child ch = start(argv, &o);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "execgate: request too large: ");
    CHECK_HAS(ch.errs, " bytes (limit 4 MiB)\n");
    unsigned long long said = 0;
    const char *p = strstr(ch.errs, "too large: ");
    if (p)
        said = strtoull(p + 11, NULL, 10);
    CHECK(said > 4194304 && said < 4700000);
    release(&ch);
    free(argv[2]);
    free(argv);

    /* 4194304 minus the cwd, file, argv0 and the framing: 34 x 123000 + a
     * last argument that brings the message to exactly the cap */
    char real[PATH_MAX];
    CHECK(realpath(tmpdir, real) != NULL);
    n = 35;
    argv = numbered_argv("/bin/true", n, 123000 - 1);
    struct eg_request rq = { .file = { (const uint8_t *)"/bin/true", 9 }, .argv = argv + 2, .argc = n,
                             .cwd = { (const uint8_t *)real, strlen(real) } };
    /* The pid is not known yet: its field takes 2 to 5 bytes (pid_max is at
     * most 2^22). Aim 5 below the cap: the request ends 0 to 3 below it. */
    size_t target = 4194304 - 5, size = eg_request_size(&rq);
    size_t last = strlen(argv[2 + n - 1]);
    while (size != target && last > 0) {
        /* a length varint may shrink by a byte on the way: go again */
        last -= size > target ? size - target : 0;
        argv[2 + n - 1][last] = '\0';
        size_t now = eg_request_size(&rq);
        if (now == size)
            break;
        size = now;
    }
    CHECK(size <= target && size >= target - 2);
    struct child ok = start(argv, &o);
    int c = accept_conn(ok.session, 10000);
    CHECK(c >= 0);
    struct tb t;
    uint8_t *keep;
    CHECK_EQ(recv_tb(c, &t, &keep, NULL, NULL), 0);
    CHECK_EQ(t.nlist, n);
    reply_decision(c, EG_ACTION_DENY, "fine, but no");
    close(c);
    finish(&ok);
    CHECK_EQ(exit_code(&ok), 126);
    CHECK_HAS(ok.errs, "denied: ");
    free(t.list);
    free(keep);
    free(argv[2]);
    free(argv);
    release(&ok);
}

/* The broker refuses after reading part of a large request and hangs up:
 * the Deny still reaches the user. */
static void test_deny_midway(void)
{
    char **argv = numbered_argv("/bin/true", 30000, 99);
    struct opts o = { .stdin_fd = -1, .stack = (rlim_t)64 << 20 };
    struct child ch = start(argv, &o);
    int c = accept_conn(ch.session, 10000);
    CHECK(c >= 0);
    uint8_t some[1000];
    CHECK_EQ(eg_read_all(c, some, sizeof(some)), 0);
    reply_decision(c, EG_ACTION_DENY, "too long for me");
    close(c);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "execgate: denied: ");
    CHECK_HAS(ch.errs, ": too long for me\n");
    release(&ch);

    /* The same with Run: the request never arrived whole, so a Run cannot
     * be meant for it. Nothing runs. */
    argv[1] = (char *)probe;
    ch = start(argv, &o);
    c = accept_conn(ch.session, 10000);
    CHECK(c >= 0);
    CHECK_EQ(eg_read_all(c, some, sizeof(some)), 0);
    reply_decision(c, EG_ACTION_RUN, NULL);
    close(c);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "execgate: lost connection to the broker\n");
    CHECK_EQ(ch.outs[0], '\0');
    free(argv[2]);
    free(argv);
    release(&ch);
}

static void test_closed_stdio(void)
{
    /* Escalate with 0 and 1 closed: /dev/null in their place, same modes */
    struct opts o = { .stdin_fd = -1, .closed = { 1, 1, 0 } };
    char *argv[] = { W(), "/bin/x", "x", NULL };
    struct child ch = start(argv, &o);
    struct tb st;
    uint8_t *keep;
    int fds[3] = { -1, -1, -1 };
    int c = escalate(&ch, NULL, &st, &keep, fds);
    struct stat s;
    for (int i = 0; i < 2; i++) {
        CHECK(fstat(fds[i], &s) == 0 && S_ISCHR(s.st_mode) && s.st_rdev == makedev(1, 3));
        CHECK_EQ(fcntl(fds[i], F_GETFL) & O_ACCMODE, i == 0 ? O_RDONLY : O_WRONLY);
    }
    struct stat e;
    CHECK(fstat(fds[2], &s) == 0 && fstat(ch.err, &e) == 0 && s.st_ino == e.st_ino);
    close3(fds);
    free(st.list);
    free(keep);
    reply_decision(c, EG_ACTION_ESCALATE, NULL);
    reply_exit(c, 0, 0);
    finish(&ch);
    close(c);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);

    /* all three closed and denied: the message goes nowhere, in particular
     * not into the connection */
    struct opts all = { .stdin_fd = -1, .closed = { 1, 1, 1 } };
    ch = start(argv, &all);
    c = accept_conn(ch.session, 10000);
    size_t len;
    free(recv_frame(c, &len, NULL, NULL));
    reply_decision(c, EG_ACTION_DENY, "no");
    /* the stdio sent ahead: three /dev/null (every one closed), then the
     * end of the connection, and nothing else in it */
    int got[EG_MAX_FDS];
    size_t nfds = 0;
    free(recv_frame(c, &len, got, &nfds));
    CHECK_EQ(nfds, 3);
    for (size_t i = 0; i < nfds; i++) {
        CHECK(fstat(got[i], &s) == 0 && S_ISCHR(s.st_mode) && s.st_rdev == makedev(1, 3));
        close(got[i]);
    }
    char b;
    CHECK_EQ(read(c, &b, 1), 0);
    close(c);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 126);
    release(&ch);

    /* all three closed and run: they stay closed, the connection is not
     * left in their place */
    char out[PATH_MAX + 32];
    snprintf(out, sizeof(out), "PROBE_OUT=%s/probe.out", tmpdir);
    char *env[] = { out, NULL };
    struct opts run = { .stdin_fd = -1, .closed = { 1, 1, 1 }, .env = env };
    char *argv2[] = { W(), (char *)probe, "probe", NULL };
    ch = run_with(argv2, &run, EG_ACTION_RUN, NULL);
    CHECK_EQ(exit_code(&ch), 0);
    size_t n;
    char *report = (char *)read_file(out + 10, &n);
    CHECK(report != NULL);
    CHECK_HAS(report, "fd 10\n");
    CHECK_EQ(report_count(report, "fd "), 1);
    free(report);
    release(&ch);
}

static void test_client(void)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/execgate", linkdir);

    /* notify */
    for (int action = EG_ACTION_RUN; action <= EG_ACTION_DENY; action += 2) {
        char *argv[] = { path, "notify", "busy", NULL };
        struct child ch = start(argv, NULL);
        int c = accept_conn(ch.session, 10000);
        CHECK(c >= 0);
        struct tb t;
        uint8_t *keep;
        CHECK_EQ(recv_tb(c, &t, &keep, NULL, NULL), 0);
        CHECK_EQ(t.which, 1);
        CHECK_EQ(t.kind, EG_KIND_NOTIFY);
        static const char *const want[] = { "notify", "busy", NULL };
        CHECK(list_is(&t, want));
        CHECK_EQ(t.file.n, 0);
        CHECK_EQ(t.pid, ch.pid);
        free(t.list);
        free(keep);
        reply_decision(c, action, "not now");
        close(c);
        finish(&ch);
        if (action == EG_ACTION_RUN) {
            CHECK_EQ(exit_code(&ch), 0);
            CHECK_EQ(ch.errs[0], '\0');
        } else {
            CHECK_EQ(exit_code(&ch), 126);
            CHECK(strcmp(ch.errs, "execgate: denied: notify: not now\n") == 0);
        }
        release(&ch);
    }
    /* notify never escalates */
    {
        char *argv[] = { path, "notify", "idle", NULL };
        struct child ch = start(argv, NULL);
        int c = accept_conn(ch.session, 10000);
        size_t len;
        free(recv_frame(c, &len, NULL, NULL));
        uint8_t buf[64];
        send_frame(c, buf, tw_send_stdio(buf, NULL));
        finish(&ch);
        close(c);
        CHECK_EQ(exit_code(&ch), 126);
        CHECK_HAS(ch.errs, "protocol error");
        release(&ch);
    }

    /* run: a request of kind RUN; if the broker says Run, the command runs
     * here, found on PATH */
    {
        char *argv[] = { path, "run", "true", "--an", "arg", NULL };
        struct child ch = start(argv, NULL);
        int c = accept_conn(ch.session, 10000);
        CHECK(c >= 0);
        struct tb t;
        uint8_t *keep;
        CHECK_EQ(recv_tb(c, &t, &keep, NULL, NULL), 0);
        CHECK_EQ(t.kind, EG_KIND_RUN);
        CHECK(bytes_is(t.file, "true"));
        static const char *const want[] = { "true", "--an", "arg", NULL };
        CHECK(list_is(&t, want));
        char real[PATH_MAX];
        CHECK(realpath(tmpdir, real) != NULL);
        CHECK(bytes_is(t.cwd, real));
        free(t.list);
        free(keep);
        reply_decision(c, EG_ACTION_RUN, NULL);
        close(c);
        finish(&ch);
        CHECK_EQ(exit_code(&ch), 0);
        release(&ch);
    }
    /* run, escalated */
    {
        char *argv[] = { path, "run", "git", "push", NULL };
        struct child ch = start(argv, NULL);
        int c = escalate_plain(&ch);
        reply_decision(c, EG_ACTION_ESCALATE, NULL);
        reply_exit(c, 3, 0);
        finish(&ch);
        close(c);
        CHECK_EQ(exit_code(&ch), 3);
        release(&ch);
    }

    /* anything else: usage, exit 2, no connection */
    char *bad[][5] = {
        { path, NULL },
        { path, "foo", NULL },
        { path, "run", NULL },
        { path, "notify", NULL },
        { path, "notify", "a", "b", NULL },
        { path, "--help", NULL },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct child ch = start(bad[i], NULL);
        finish(&ch);
        CHECK_EQ(exit_code(&ch), 2);
        CHECK_HAS(ch.errs, "usage: execgate run CMD");
        release(&ch);
    }
}

/* The session's second way in: when the inherited fd is gone (agent
 * harnesses close inherited fds) or is not a SOCK_SEQPACKET socket, the
 * wrapper connects to $EXECGATE_SESSION/sock and uses that connection as it
 * would the fd; when both fail it says why, both ways. */
static void test_session_path(void)
{
    struct session_dir d;
    session_dir_open(&d, "session");
    char *env[] = { d.env, NULL };
    char *argv[] = { W(), (char *)probe, "probe", NULL };
    int p[2], st[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st) == 0);
    /* the fd closed; open but a pipe; a stream socket; EXECGATE_SOCKET unset
     * and fd 87 closed; unset, and fd 87 a pipe */
    struct opts ways[] = {
        { .env = env, .stdin_fd = -1, .no_session = 1 },
        { .env = env, .stdin_fd = -1, .extra_fd = p[0] },
        { .env = env, .stdin_fd = -1, .extra_fd = st[0] },
        { .env = env, .stdin_fd = -1, .socket = "-" },
        { .env = env, .stdin_fd = -1, .socket = "-", .no_session = 1, .fd87 = p[0] },
    };
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        struct child ch = start(argv, &ways[i]);
        int peer = accept_path(&d, 10000);
        CHECK(peer >= 0);
        int c = accept_conn(peer, 10000);
        CHECK(c >= 0);
        struct tb t;
        uint8_t *keep;
        CHECK_EQ(recv_tb(c, &t, &keep, NULL, NULL), 0);
        CHECK_EQ(t.which, 1);
        CHECK_EQ(t.kind, EG_KIND_EXEC);
        CHECK(bytes_is(t.file, probe));
        CHECK_EQ(t.pid, ch.pid);
        /* one hello per connection to the path: then the wrapper closes it */
        char b;
        CHECK_EQ(recv(peer, &b, 1, 0), 0);
        reply_decision(c, EG_ACTION_RUN, NULL);
        close(c);
        close(peer);
        free(t.list);
        free(keep);
        finish(&ch);
        CHECK_EQ(exit_code(&ch), 0);
        CHECK_EQ(ch.errs[0], '\0');
        /* the program got neither our connection to the path nor the
         * connection to the broker; an fd at 10 that was not the session
         * is the program's as before */
        CHECK_HAS(ch.outs, "fd 0\nfd 1\nfd 2\n");
        CHECK_EQ(report_count(ch.outs, "fd "), ways[i].no_session && !ways[i].fd87 ? 3 : 4);
        if (ways[i].fd87)
            CHECK_HAS(ch.outs, "fd 87\n");
        release(&ch);
    }
    close(p[0]);
    close(p[1]);
    close(st[0]);
    close(st[1]);

    /* Both ways open: the fd, and nothing touches the path. */
    struct opts both = { .env = env, .stdin_fd = -1 };
    struct child ch = run_with(argv, &both, EG_ACTION_RUN, NULL);
    CHECK_EQ(exit_code(&ch), 0);
    CHECK(accept_path(&d, 0) < 0);
    release(&ch);

    /* Escalate through the path: the same connection, the same protocol. */
    struct opts gone = { .env = env, .stdin_fd = -1, .no_session = 1 };
    char *make[] = { W(), "/usr/bin/make", "make", NULL };
    ch = start(make, &gone);
    int peer = accept_path(&d, 10000);
    int c = accept_conn(peer, 10000);
    CHECK(c >= 0);
    size_t len;
    free(recv_frame(c, &len, NULL, NULL));
    /* the stdio comes ahead, right behind the request */
    int fds[EG_MAX_FDS];
    size_t nfds = 0;
    free(recv_frame(c, &len, fds, &nfds));
    CHECK_EQ(nfds, 3);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    reply_decision(c, EG_ACTION_ESCALATE, NULL);
    reply_exit(c, 9, 0);
    finish(&ch);
    close(c);
    close(peer);
    CHECK_EQ(exit_code(&ch), 9);
    release(&ch);

    /* Neither way: one line naming both, 126, nothing run. */
    char plain[PATH_MAX + 32], plain_env[PATH_MAX + 64], want[2 * PATH_MAX];
    snprintf(plain, sizeof(plain), "%s/plain", tmpdir);
    CHECK(mkdir(plain, 0700) == 0);
    snprintf(plain_env, sizeof(plain_env), "%s/sock", plain);
    int fd = open(plain_env, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    close(fd);
    snprintf(plain_env, sizeof(plain_env), "EXECGATE_SESSION=%s", plain);
    char long_env[300] = "EXECGATE_SESSION=/";
    memset(long_env + 18, 'x', 120);
    long_env[138] = '\0';
    static const char *const missing[] = { "EXECGATE_SESSION=/nonexistent/\x1b[2J", NULL };
    struct {
        char *env;
        const char *socket;
        const char *line;
    } fails[] = {
        /* a regular file where the socket should be */
        { plain_env, NULL, NULL },
        { (char *)missing[0], NULL,
          "execgate: cannot reach the session: fd 10 is not open and /nonexistent/\\x1b[2J/sock: No such file or directory\n" },
        { (char *)missing[0], "-",
          "execgate: cannot reach the session: fd 87 is not open and /nonexistent/\\x1b[2J/sock: No such file or directory\n" },
        /* longer than sun_path: an error, not a shorter path */
        { long_env, NULL, NULL },
        /* empty: as if unset */
        { "EXECGATE_SESSION=", NULL, "execgate: cannot reach the session: fd 10 is not open and EXECGATE_SESSION is not set\n" },
    };
    snprintf(want, sizeof(want), "execgate: cannot reach the session: fd 10 is not open and %s/sock: Connection refused\n", plain);
    fails[0].line = want;
    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        char *e[] = { fails[i].env, NULL };
        struct opts o = { .env = e, .stdin_fd = -1, .no_session = 1, .socket = fails[i].socket };
        ch = run_alone(argv, &o);
        CHECK_EQ(exit_code(&ch), 126);
        CHECK_EQ(ch.outs[0], '\0');
        if (fails[i].line) {
            CHECK(strcmp(ch.errs, fails[i].line) == 0);
            if (strcmp(ch.errs, fails[i].line) != 0)
                fprintf(stderr, "got: %s", ch.errs);
        } else {
            CHECK_HAS(ch.errs, "execgate: cannot reach the session: fd 10 is not open and /xxxxxxxxxx");
            CHECK_HAS(ch.errs, "/sock: ");
            CHECK_HAS(ch.errs, "name too long\n"); /* glibc: "File name", musl: "Filename" */
        }
        release(&ch);
    }
    snprintf(plain_env, sizeof(plain_env), "%s/sock", plain);
    unlink(plain_env);
    rmdir(plain);
    session_dir_close(&d);
}

/* ---- the run table ------------------------------------------------------- */

/* DIR/table, written as the broker does (a new file renamed over the old). */
static void write_table_bytes(const char *dir, const void *p, size_t n)
{
    char tmp[PATH_MAX + 64], path[PATH_MAX + 64];
    snprintf(tmp, sizeof(tmp), "%s/table.new", dir);
    snprintf(path, sizeof(path), "%s/table", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
    close(fd);
    CHECK(rename(tmp, path) == 0);
}

static uint8_t *put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

/* "EGT1" | generation | flags | count | (u8 length, name)...; into out,
 * returns the size. */
static size_t table_of(uint8_t *out, uint32_t flags, const char *const *names)
{
    uint32_t count = 0;
    while (names && names[count])
        count++;
    uint8_t *p = out;
    memcpy(p, "EGT1", 4);
    p = put_le32(put_le32(put_le32(p + 4, 7), flags), count);
    for (uint32_t i = 0; i < count; i++) {
        size_t len = strlen(names[i]);
        *p++ = (uint8_t)len;
        memcpy(p, names[i], len);
        p += len;
    }
    return (size_t)(p - out);
}

static void write_table(const char *dir, uint32_t flags, const char *const *names)
{
    uint8_t buf[4096];
    write_table_bytes(dir, buf, table_of(buf, flags, names));
}

/* The next datagram a wrapper that has ended left on the session socket:
 * malloc'd, or NULL at the end (nothing more will come). fds are closed and
 * counted in *nfds. */
static uint8_t *next_datagram(int s, size_t *n, size_t *nfds)
{
    uint8_t buf[65536];
    int fds[EG_MAX_FDS];
    size_t excess;
    ssize_t got = eg_recvmsg_fds(s, buf, sizeof(buf), fds, EG_MAX_FDS, nfds, &excess, MSG_DONTWAIT, NULL);
    for (size_t i = 0; got >= 0 && i < *nfds; i++)
        close(fds[i]);
    if (got <= 0)
        return NULL;
    uint8_t *copy = malloc((size_t)got);
    memcpy(copy, buf, (size_t)got);
    *n = (size_t)got;
    return copy;
}

/* An "EXR1" record of the probe's run: the Request itself, kind EXEC, with
 * the file, argv, cwd and pid of the exec. */
static void check_record(const uint8_t *rec, size_t n, pid_t pid, const char *const *argv)
{
    CHECK(n > 4 && memcmp(rec, "EXR1", 4) == 0);
    struct tb t;
    memset(&t, 0, sizeof(t));
    eg_bytes body = { rec + 4, n - 4 };
    CHECK_EQ(parse_body(1, body, &t), 0);
    CHECK_EQ(t.kind, EG_KIND_EXEC);
    CHECK(bytes_is(t.file, probe));
    CHECK(list_is(&t, argv));
    char real[PATH_MAX];
    CHECK(realpath(tmpdir, real) != NULL);
    CHECK(bytes_is(t.cwd, real));
    CHECK_EQ(t.pid, pid);
    free(t.list);
}

/* An exec that must take the round trip: the connection comes, Run. */
static void expect_round_trip(char *const argv[], const struct opts *o, const char *what)
{
    struct child ch = start(argv, o);
    int c = accept_conn(ch.session, 10000);
    if (c < 0)
        fprintf(stderr, "%s: no connection\n", what);
    CHECK(c >= 0);
    size_t len;
    free(recv_frame(c, &len, NULL, NULL));
    reply_decision(c, EG_ACTION_RUN, NULL);
    close(c);
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);
}

/* An exec that must run without asking: no connection; *record gets the
 * record that came, if any. */
static struct child expect_local(char *const argv[], const struct opts *o, uint8_t **record, size_t *n)
{
    struct child ch = start(argv, o);
    int s = dup(ch.session);
    finish(&ch);
    size_t nfds = 0;
    *record = next_datagram(s, n, &nfds);
    CHECK_EQ(nfds, 0);
    size_t more_n, more_fds = 0;
    uint8_t *more = next_datagram(s, &more_n, &more_fds);
    CHECK(more == NULL); /* one record, no connection */
    free(more);
    close(s);
    return ch;
}

static void test_run_table(void)
{
    enum { LOCAL_RUN = 1, RECORD = 2 };
    struct session_dir d;
    session_dir_open(&d, "table");
    char *env[] = { d.env, NULL };
    struct opts o = { .env = env, .stdin_fd = -1 };
    /* argv[0] a name the probe's file never has (Bazel names it "probe",
     * CMake "eg_probe"): the table lists it, and the file's name decides */
    char *argv[] = { W(), (char *)probe, "the-probe", "an arg", NULL };
    static const char *const probe_argv[] = { "the-probe", "an arg", NULL };
    const char *probe_name = strrchr(probe, '/') + 1;
    static const char *const others[] = { "git", "make", "the-probe", NULL };
    const char *const with_probe[] = { "git", probe_name, "make", NULL };
    uint8_t *rec;
    size_t n;

    /* Not listed, LOCAL_RUN: runs here, nothing sent. */
    write_table(d.dir, LOCAL_RUN, others);
    struct child ch = expect_local(argv, &o, &rec, &n);
    CHECK(rec == NULL);
    CHECK_EQ(exit_code(&ch), 0);
    CHECK_EQ(ch.errs[0], '\0');
    CHECK_HAS(ch.outs, "arg 616e20617267\n");
    /* the table's fd is gone; the session is still there for nested shells */
    CHECK_HAS(ch.outs, "fd 0\nfd 1\nfd 2\nfd 10\n");
    CHECK_EQ(report_count(ch.outs, "fd "), 4);
    CHECK(accept_path(&d, 0) < 0);
    release(&ch);
    free(rec);

    /* Listed: the broker is asked. */
    write_table(d.dir, LOCAL_RUN | RECORD, with_probe);
    expect_round_trip(argv, &o, "listed");

    /* RECORD: one "EXR1" record, no reply awaited, the program runs. */
    write_table(d.dir, LOCAL_RUN | RECORD, others);
    ch = expect_local(argv, &o, &rec, &n);
    CHECK(rec != NULL);
    if (rec)
        check_record(rec, n, ch.pid, probe_argv);
    CHECK_EQ(exit_code(&ch), 0);
    CHECK_HAS(ch.outs, "arg 616e20617267\n");
    release(&ch);
    free(rec);

    /* RECORD through the session's path, the fd gone. */
    struct opts gone = { .env = env, .stdin_fd = -1, .no_session = 1 };
    ch = start(argv, &gone);
    int peer = accept_path(&d, 10000);
    CHECK(peer >= 0);
    finish(&ch);
    size_t nfds = 0;
    rec = next_datagram(peer, &n, &nfds);
    CHECK(rec != NULL);
    if (rec)
        check_record(rec, n, ch.pid, probe_argv);
    free(rec);
    CHECK(next_datagram(peer, &n, &nfds) == NULL);
    close(peer);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);

    /* RECORD, and no session at all: the record cannot go, so the wrapper
     * asks, and that fails closed. Without RECORD nothing is needed. */
    char nosock[PATH_MAX + 64], nosock_env[PATH_MAX + 128];
    snprintf(nosock, sizeof(nosock), "%s/nosock", tmpdir);
    CHECK(mkdir(nosock, 0700) == 0);
    snprintf(nosock_env, sizeof(nosock_env), "EXECGATE_SESSION=%s", nosock);
    char *nosock_envs[] = { nosock_env, NULL };
    struct opts none = { .env = nosock_envs, .stdin_fd = -1, .no_session = 1 };
    write_table(nosock, LOCAL_RUN | RECORD, others);
    ch = run_alone(argv, &none);
    CHECK_EQ(exit_code(&ch), 126);
    CHECK_HAS(ch.errs, "execgate: cannot reach the session: fd 10 is not open and ");
    CHECK_EQ(ch.outs[0], '\0');
    release(&ch);
    write_table(nosock, LOCAL_RUN, others);
    ch = run_alone(argv, &none);
    CHECK_EQ(exit_code(&ch), 0);
    CHECK_HAS(ch.outs, "arg 616e20617267\n");
    release(&ch);

    /* A record over MAX_RUN_RECORD: asked instead. */
    char **big = numbered_argv(probe, 40, 999);
    write_table(d.dir, LOCAL_RUN | RECORD, others);
    expect_round_trip(big, &o, "big record");
    /* ... and without RECORD the size does not matter */
    write_table(d.dir, LOCAL_RUN, others);
    ch = expect_local(big, &o, &rec, &n);
    CHECK(rec == NULL);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);
    free(big[2]);
    free(big);

    /* The session socket full (the broker is behind): no record, the
     * round trip instead, whose hello waits for room. */
    write_table(d.dir, LOCAL_RUN | RECORD, others);
    struct opts full = { .env = env, .stdin_fd = -1, .fill_session = 1 };
    ch = start(argv, &full);
    /* Nothing is read until the wrapper waits to send its hello: the
     * record, had it been tried later, would find room. */
    CHECK_EQ(wait_syscall(ch.pid, SYS_sendmsg), 0);
    int c = -1, records = 0, fillers = 0;
    for (;;) {
        struct pollfd p = { .fd = ch.session, .events = POLLIN };
        if (poll(&p, 1, 10000) != 1)
            break;
        uint8_t buf[65536];
        int fds[EG_MAX_FDS];
        size_t nf, excess;
        ssize_t got = eg_recv_fds(ch.session, buf, sizeof(buf), fds, EG_MAX_FDS, &nf, &excess);
        if (got == 256 && nf == 0) {
            fillers++;
            continue;
        }
        if (got > 4 && memcmp(buf, "EXR1", 4) == 0)
            records++;
        if (got == 4 && memcmp(buf, "EXG1", 4) == 0 && nf == 1) {
            c = fds[0];
            break;
        }
        for (size_t i = 0; i < nf; i++)
            close(fds[i]);
        if (got <= 0)
            break;
    }
    CHECK(fillers > 0);
    CHECK_EQ(records, 0);
    CHECK(c >= 0);
    if (c >= 0) {
        size_t len;
        free(recv_frame(c, &len, NULL, NULL));
        reply_decision(c, EG_ACTION_RUN, NULL);
        close(c);
    }
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);

    /* Never for `execgate run` (it asks for the host) or notify. */
    char link[PATH_MAX + 16];
    snprintf(link, sizeof(link), "%s/execgate", linkdir);
    write_table(d.dir, LOCAL_RUN, others);
    char *run_argv[] = { link, "run", "true", NULL };
    expect_round_trip(run_argv, &o, "execgate run");
    char *notify_argv[] = { link, "notify", "busy", NULL };
    expect_round_trip(notify_argv, &o, "execgate notify");

    /* Tables that are not what the broker writes: asked, every time. */
    static const struct {
        const char *what;
        size_t n;
        uint8_t b[48];
    } bad[] = {
        { "empty", 0, { 0 } },
        { "short header", 15, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 } },
        { "bad magic", 16, { 'E', 'G', 'T', '2', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 } },
        { "unknown flag", 16, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 } },
        { "LOCAL_RUN off", 16, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0 } },
        { "count overruns", 16, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 } },
        { "huge count", 19, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 2, 'l', 's' } },
        { "empty name", 17, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0 } },
        { "name overruns", 19, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 'a', 'b' } },
        { "trailing byte", 17, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'x' } },
        { "count 1, two names", 22, { 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 'l', 's', 2, 'c', 'p' } },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_table_bytes(d.dir, bad[i].b, bad[i].n);
        expect_round_trip(argv, &o, bad[i].what);
    }
    /* the smallest valid table, for contrast: runs */
    write_table_bytes(d.dir, (const uint8_t[]){ 'E', 'G', 'T', '1', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, 16);
    ch = expect_local(argv, &o, &rec, &n);
    CHECK_EQ(exit_code(&ch), 0);
    release(&ch);
    free(rec);

    /* 64 KiB exactly is a table; a byte more is not. 255 names of 255
     * bytes and one of 239 make 65536 bytes with the header. */
    uint8_t *huge = malloc(EG_MAX_RUN_TABLE_BYTES + 2);
    for (int extra = 0; extra <= 1; extra++) {
        uint8_t *p = huge;
        memcpy(p, "EGT1", 4);
        p = put_le32(put_le32(put_le32(p + 4, 1), LOCAL_RUN), 256);
        for (int k = 0; k < 256; k++) {
            size_t len = k < 255 ? 255 : (size_t)(239 + extra);
            *p++ = (uint8_t)len;
            memset(p, 'a', len);
            p += len;
        }
        CHECK_EQ(p - huge, EG_MAX_RUN_TABLE_BYTES + extra);
        write_table_bytes(d.dir, huge, (size_t)(p - huge));
        if (extra) {
            expect_round_trip(argv, &o, "over 64 KiB");
        } else {
            ch = expect_local(argv, &o, &rec, &n);
            CHECK_EQ(exit_code(&ch), 0);
            release(&ch);
            free(rec);
        }
    }
    free(huge);

    /* Not a file: a FIFO (no hang) and a directory. */
    char table_path[sizeof(d.dir) + 16];
    snprintf(table_path, sizeof(table_path), "%s/table", d.dir);
    unlink(table_path);
    CHECK(mkfifo(table_path, 0600) == 0);
    expect_round_trip(argv, &o, "fifo");
    unlink(table_path);
    CHECK(mkdir(table_path, 0700) == 0);
    expect_round_trip(argv, &o, "directory");
    rmdir(table_path);
    /* and none at all */
    expect_round_trip(argv, &o, "no table");

    snprintf(table_path, sizeof(table_path), "%s/table", nosock);
    unlink(table_path);
    rmdir(nosock);
    session_dir_close(&d);
}

/* The wrapper leaves no fd open in us (the fake broker) either. */
/* The "EXN1" datagram the init sends on the session socket: its body in
 * buf (NUL-terminated), the fd it carried or -1; -2 if none came. */
static int recv_exn1(int session, char *buf, size_t size)
{
    struct pollfd p = { .fd = session, .events = POLLIN };
    if (poll(&p, 1, 10000) != 1)
        return -2;
    int fds[EG_MAX_FDS];
    size_t nfds, excess;
    ssize_t n = eg_recv_fds(session, buf, size - 1, fds, EG_MAX_FDS, &nfds, &excess);
    if (n < 4 || memcmp(buf, EG_HELLO_SECCOMP, 4) != 0 || nfds > 1 || excess != 0)
        return -2;
    buf[n] = '\0';
    return nfds ? fds[0] : -1;
}

/* bwrap's first program: the backstop installed, its listener handed to the
 * session first thing, the program exec'd through the filter unasked (the
 * cookie: nobody answers here, so a notified exec would hang), and nothing
 * of it left open in the program. */
static void test_init(void)
{
    char *argv[] = { W(), EG_INIT_ARG, (char *)probe, "after-init", NULL };
    struct child ch = start(argv, NULL);
    char buf[512];
    int listener = recv_exn1(ch.session, buf, sizeof(buf));
    CHECK(listener >= 0);
    CHECK_EQ(strlen(buf), 4);
    char link[64], target[64] = "";
    snprintf(link, sizeof(link), "/proc/self/fd/%d", listener);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n > 0)
        target[n] = '\0';
    CHECK_MEM(target, strlen(target), "anon_inode:seccomp notify", strlen("anon_inode:seccomp notify"));
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 0);
    CHECK_EQ(ch.errs[0], '\0');
    CHECK_HAS(ch.outs, "arg 61667465722d696e6974\n");
    CHECK_HAS(ch.outs, "fd 0\nfd 1\nfd 2\nfd 10\n");
    CHECK_EQ(report_count(ch.outs, "fd "), 4);
    if (listener >= 0)
        close(listener);
    release(&ch);
}

/* Under an outer filter that refuses seccomp(2): the session is told why,
 * with no fd, and the program runs all the same; nothing on stderr (the
 * session says it). */
static void test_init_refused(void)
{
    char *argv[] = { W(), EG_INIT_ARG, (char *)probe, NULL };
    struct opts o = { .stdin_fd = -1, .no_seccomp = 1 };
    struct child ch = start(argv, &o);
    char buf[512];
    CHECK_EQ(recv_exn1(ch.session, buf, sizeof(buf)), -1);
    CHECK_MEM(buf + 4, strlen(buf + 4), "seccomp user notification is not available: Operation not permitted", strlen("seccomp user notification is not available: Operation not permitted"));
    finish(&ch);
    CHECK_EQ(exit_code(&ch), 0);
    CHECK_EQ(ch.errs[0], '\0');
    CHECK_HAS(ch.outs, "fd 0\nfd 1\nfd 2\nfd 10\n");
    release(&ch);
}

/* Whatever started the sandbox may have left fds open (bwrap passes every
 * one on): the init closes all but the stdio and the session before the
 * shell starts, with the backstop and without it (-plain: no EXN1 then). */
static void test_init_closes_inherited(void)
{
    const char *mode[] = { EG_INIT_ARG, EG_INIT_PLAIN_ARG };
    for (size_t i = 0; i < 2; i++) {
        char *argv[] = { W(), (char *)mode[i], (char *)probe, NULL };
        int stray = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(stray >= 0);
        /* At 87: not the session here (10), as it would be inside bwrap. */
        struct opts o = { .stdin_fd = -1, .fd87 = stray };
        struct child ch = start(argv, &o);
        close(stray);
        if (i == 0) {
            char buf[512];
            int listener = recv_exn1(ch.session, buf, sizeof(buf));
            CHECK(listener >= 0);
            if (listener >= 0)
                close(listener);
        }
        finish(&ch);
        CHECK_EQ(exit_code(&ch), 0);
        CHECK_EQ(ch.errs[0], '\0');
        CHECK_HAS(ch.outs, "fd 0\nfd 1\nfd 2\nfd 10\n");
        CHECK_EQ(report_count(ch.outs, "fd "), 4);
        release(&ch);
    }
}

/* A copy of the wrapper under another name is a shim for nothing (there is
 * no real program beside it): it says so, and asks nobody. */
static void test_shim_copy(void)
{
    char copy[PATH_MAX + 16];
    snprintf(copy, sizeof(copy), "%s/fakeprog", tmpdir);
    int in = open(wrapper, O_RDONLY | O_CLOEXEC), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    CHECK(in >= 0 && out >= 0);
    char chunk[65536];
    ssize_t got;
    while ((got = read(in, chunk, sizeof(chunk))) > 0)
        CHECK_EQ(write(out, chunk, (size_t)got), got);
    close(in);
    close(out);
    char *argv[] = { "fakeprog", "x", NULL };
    char *const saved = (char *)wrapper;
    wrapper = copy;
    struct child ch = run_alone(argv, NULL);
    wrapper = saved;
    CHECK_EQ(exit_code(&ch), 126);
    char want[PATH_MAX + 200];
    snprintf(want, sizeof(want), "execgate: %s: a copy of execgate's program shim, not the program: copy the real one from " EG_SANDBOX_REAL_DIR "\n", copy);
    CHECK_MEM(ch.errs, strlen(ch.errs), want, strlen(want));
    CHECK(accept_conn(ch.session, 0) < 0);
    release(&ch);
    unlink(copy);
}

static void test_no_leaks(int before)
{
    CHECK_EQ(count_fds(), before);
}

static void cleanup(void)
{
    char cmd[3 * PATH_MAX];
    if (tmpdir[0] && linkdir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", tmpdir, linkdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        wrapper = argv[1];
    if (argc > 2)
        probe = argv[2];
    char abs[PATH_MAX], pabs[PATH_MAX];
    if (!realpath(wrapper, abs) || !realpath(probe, pabs)) {
        fprintf(stderr, "wrapper_test: %s or %s not found (build them first)\n", wrapper, probe);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    wrapper = abs;
    probe = pabs;
    signal(SIGPIPE, SIG_IGN);
    alarm(600); /* a hung test ends rather than hangs */

    strcpy(tmpdir, "/tmp/eg-wrapper-test-XXXXXX");
    strcpy(linkdir, "/tmp/eg-wrapper-link-XXXXXX");
    if (!mkdtemp(tmpdir) || !mkdtemp(linkdir)) {
        perror("mkdtemp");
        return 1;
    }
    atexit(cleanup);
    char link[PATH_MAX + 16];
    snprintf(link, sizeof(link), "%s/execgate", linkdir);
    if (symlink(wrapper, link) < 0) {
        perror("symlink");
        return 1;
    }

    read_inherited_ignored();
    int fds = count_fds();
    struct { const char *name; void (*fn)(void); } tests[] = {
        { "no socket", test_no_socket },
        { "bad socket", test_bad_socket },
        { "session path", test_session_path },
        { "run table", test_run_table },
        { "usage", test_usage },
        { "run", test_run },
        { "run status", test_run_status },
        { "exec errors", test_exec_errors },
        { "deny", test_deny },
        { "escalate code", test_escalate_code },
        { "escalate exits", test_escalate_exits },
        { "forward", test_forward },
        { "forward ignored", test_forward_ignored },
        { "tty", test_tty },
        { "protocol errors", test_protocol_errors },
        { "lost", test_lost },
        { "frames together", test_frames_together },
        { "large argv", test_large_argv },
        { "size cap", test_size_cap },
        { "deny midway", test_deny_midway },
        { "closed stdio", test_closed_stdio },
        { "client", test_client },
        { "init", test_init },
        { "init refused", test_init_refused },
        { "init closes inherited fds", test_init_closes_inherited },
        { "shim copy", test_shim_copy },
    };
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        int failed = eg_failed;
        tests[i].fn();
        fprintf(stderr, "%-16s %s\n", tests[i].name, eg_failed == failed ? "ok" : "FAILED");
    }
    test_no_leaks(fds);
    return eg_summary();
}
