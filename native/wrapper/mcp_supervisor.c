/*
 * execgate mcp: the supervisor of the shell tool (src/mcp/shell-host.ts).
 *
 * One sandboxed shell lives as long as the MCP session; this is its root. It
 * reads one request per line from execgate and runs each tool call in a fresh
 * bash of its own, in a process group of its own, so that a call is
 * intercepted exactly as `execgate shell -c COMMAND` is, and a time-out can
 * end all of it (execgate kills that group itself, from outside). Calls run
 * one at a time.
 *
 * A bash takes about a millisecond to start, most of a call's cost, so the
 * bashes of the next calls are started ahead: spares, each of which runs its
 * BASH_ENV (the prelude, src/mcp/bash/prelude.bash) up to reading its call
 * from a FIFO of its own. Its command is then run by `-c 'builtin eval --
 * "$BASH_EXECUTION_STRING"'`, the prelude having set that variable to the
 * call's command as `bash -c COMMAND` would have. Two spares wait at a time
 * (one is not always ready when calls come back to back), on two of three
 * FIFOs that take turns: a new spare gets the FIFO of the call before this
 * one, whose spare is done reading it (that call has ended), never one
 * another spare may still read.
 *
 * This was a bash script. In C it costs a quarter of that or less per call
 * (a fork of a small process instead of bash's, nothing to interpret): on
 * two cores calls back to back are bound by CPU, and the difference was
 * about a tenth of a call's. Its execs carry the cookie, so the seccomp
 * backstop does not ask the broker about every spare (starting a call's
 * bash is execgate's doing, as init's exec of the shell is, not an exec of
 * the agent's to decide on: the prelude sets the wrapper again before
 * anything of the call runs).
 *
 * execgate writes a call's line to its FIFO itself and tells us after (the
 * FIFOs take turns in the same order on both sides), and the call's EXIT
 * trap tells execgate it ended: neither waits for us. We only keep the
 * spares, give a call whose spare died before taking it to a fresh bash,
 * report each call's process group, and report how a call ended that did
 * not get to its trap.
 *
 * Requests (stdin):  run ID login|plain     call ID's line is in the next
 *                                           FIFO: report its spare, wait
 *                    bg ID login|plain      start call ID in a fresh bash,
 *                                           its stdin the FIFO ID.stdin
 * Events (stdout):   ready PID              our pid (as seen here)
 *                    started ID PGID
 *                    exited ID STATUS       (as bash's $?: 128+N when signal
 *                                           N ended it; the call's trap says
 *                                           it first)
 * A call's line:     "ID login|plain [bg]"  on its bash's stdin
 * DIR is the I/O directory as seen here, BASH the shell, PRELUDE its
 * BASH_ENV, GO0-GO2 the names of the three FIFOs there, EVENTS that of the
 * events' (our stdout, which a call's trap opens again by /proc). execgate
 * made them and holds them open; it removes the names once we are ready.
 *
 * Everything here is in the sandbox, where the agent could do all of it
 * itself: nothing we are given is trusted, and nothing we do decides
 * anything about the host.
 */
#include "mcp_supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backstop.h"
#include "protocol.h"
#include "say.h"

extern char **environ;

/* A request or a call's line: an id of 12 hex digits and a word. Anything
 * longer is not execgate's, and is dropped. */
#define LINE_CAP 256

static const char eval_command[] = "builtin eval -- \"$BASH_EXECUTION_STRING\"";

/* How every call's bash is started. */
static char *call_argv[4];
static char **call_env;
static int null_fd;

/* The FIFOs, and the spare waiting on each (0: none yet, -1: it could not
 * be started). A spare reaped before its turn (the agent killed it) keeps
 * its status until then. */
static int go[3];
static struct {
    pid_t pid;
    int reaped;
    int status;
} spare[3];

/* A line built in place; `over` once something did not fit (no stdio in
 * this binary: the wrapper's Run path is a handful of system calls). */
struct text {
    size_t n;
    int over;
    char b[PATH_MAX];
};

static void put(struct text *t, const char *s)
{
    size_t l = strlen(s);
    if (l >= sizeof(t->b) - t->n) {
        t->over = 1;
        return;
    }
    memcpy(t->b + t->n, s, l + 1);
    t->n += l;
}

/* Every number said here is a pid, an fd or an exit status: none is
 * negative (a pid that is not one is never said). */
static void put_num(struct text *t, unsigned long v)
{
    char d[24];
    size_t i = sizeof(d);
    d[--i] = '\0';
    do
        d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    put(t, d + i);
}

/* An event: "WORD [ID] N". */
static void say_event(const char *word, const char *id, unsigned long n)
{
    struct text t = { 0 };
    put(&t, word);
    put(&t, " ");
    if (id) {
        put(&t, id);
        put(&t, " ");
    }
    put_num(&t, n);
    put(&t, "\n");
    if (!t.over) {
        ssize_t w = write(1, t.b, t.n);
        (void)w;
    }
}

/* As bash's $?. */
static int status_of(int wstatus)
{
    return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
}

/* A call's bash, its stdin `in`, in a process group of its own; its pid, or
 * -1. The group is set on both sides, so that it exists before either goes
 * on (a time-out's kill, the child's exec). */
static pid_t start_bash(int in)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setpgid(0, 0) != 0 || dup2(in, 0) < 0 || dup2(null_fd, 1) < 0)
            _exit(126);
        eg_execve_cookie(call_argv[0], call_argv, call_env);
        _exit(errno == ENOENT ? 127 : 126);
    }
    if (pid > 0)
        (void)setpgid(pid, pid);
    return pid;
}

/* A call's bash whose line is `line` (no FIFO: a pipe that holds it). */
static pid_t start_bash_with(const char *line)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    size_t n = strlen(line);
    ssize_t w = write(p[1], line, n);
    close(p[1]);
    pid_t pid = w == (ssize_t)n ? start_bash(p[0]) : -1;
    close(p[0]);
    return pid;
}

/* A spare on FIFO i. Its stdin is the FIFO opened again, for reading only:
 * a copy of our descriptor would make it a writer too, and it would never
 * see the FIFO's end when execgate closes it after we are gone. */
static void start_spare(int i)
{
    struct text path = { 0 };
    put(&path, "/proc/self/fd/");
    put_num(&path, (unsigned long)go[i]);
    int in = open(path.b, O_RDONLY | O_CLOEXEC);
    spare[i].pid = in < 0 ? -1 : start_bash(in);
    spare[i].reaped = 0;
    if (in >= 0)
        close(in);
}

/* Reaps one child (waiting for one if `block`); a spare's status is kept.
 * Returns its pid, 0 (none ended yet) or -1 (none left). */
static pid_t reap_one(int block, int *wstatus)
{
    pid_t pid;
    do
        pid = waitpid(-1, wstatus, block ? 0 : WNOHANG);
    while (pid < 0 && errno == EINTR);
    for (int i = 0; pid > 0 && i < 3; i++) {
        if (spare[i].pid == pid) {
            spare[i].reaped = 1;
            spare[i].status = *wstatus;
        }
    }
    return pid;
}

/* Waits for call bash `pid` to end (a stopped one has not: a time-out kills
 * it); bash's $? for it. Background calls and spares that end meanwhile are
 * reaped too, so that none stays a zombie. */
static int wait_end(pid_t pid, int slot)
{
    int ws = 0;
    if (slot >= 0 && spare[slot].reaped)
        return status_of(spare[slot].status);
    for (;;) {
        pid_t got = reap_one(1, &ws);
        if (got == pid)
            return status_of(ws);
        if (got < 0)
            return 128 + 9; /* not ours to wait for: it is gone */
    }
}

/* Up to a newline, what is waiting in FIFO fd now, without blocking (the
 * FIFO is also the spares' stdin, so it stays blocking): its length, or -1
 * when nothing is waiting. The newline is not kept. */
static ssize_t read_waiting(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
        return -1;
    while (n < cap - 1) {
        if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
            break;
        char c;
        if (read(fd, &c, 1) != 1 || c == '\n')
            break;
        buf[n++] = c;
    }
    buf[n] = '\0';
    return (ssize_t)n;
}

/* "run ID ARG": the call's line is in FIFO *k, whose spare takes it. */
static void run_call(int *k, const char *id, const char *arg)
{
    int g = *k;
    pid_t pid = spare[g].pid;
    if (pid > 0)
        say_event("started", id, (unsigned long)pid);
    start_spare((g + 2) % 3);
    *k = (g + 1) % 3;
    int s = pid > 0 ? wait_end(pid, g) : 126;
    spare[g].pid = 0;
    /* A spare killed (by the agent) before it took the call never ran it:
     * the call's line is still in its FIFO, which no other bash reads until
     * the next call is taken, so it is read here and the call given to a
     * fresh bash. Only a reaped spare can be told from a slow one (a SIGKILL
     * takes effect late on a loaded machine), and one that died with the
     * kill pending may have taken the line's first bytes with it: what is
     * left of the line is the end of this call's. (A later call's line there
     * means this call's bash had read its own: it goes back.) A spare that
     * could not be started is given its line the same way. */
    char left[LINE_CAP];
    ssize_t n = s > 128 || pid <= 0 ? read_waiting(go[g], left, sizeof(left)) : -1;
    if (n > 0) {
        struct text want = { 0 };
        put(&want, id);
        put(&want, " ");
        put(&want, arg);
        if (!want.over && (size_t)n <= want.n && memcmp(want.b + want.n - (size_t)n, left, (size_t)n) == 0) {
            put(&want, "\n");
            pid = start_bash_with(want.b);
            if (pid > 0)
                say_event("started", id, (unsigned long)pid);
            s = pid > 0 ? wait_end(pid, -1) : 126;
        } else {
            left[n] = '\n';
            ssize_t wr = write(go[g], left, (size_t)n + 1);
            (void)wr;
        }
    }
    say_event("exited", id, (unsigned long)s);
}

/* "bg ID ARG": a call nobody waits for (process_start); its line says so. */
static void start_background(const char *id, const char *arg)
{
    struct text line = { 0 };
    put(&line, id);
    put(&line, " ");
    put(&line, arg);
    put(&line, " bg\n");
    pid_t pid = line.over ? -1 : start_bash_with(line.b);
    if (pid > 0)
        say_event("started", id, (unsigned long)pid);
    else
        say_event("exited", id, 126);
}

/* The call bashes' environment: ours without the wrapper (execgate's start
 * of a bash is not an exec of the agent's: the prelude sets it again), and
 * what the prelude needs. */
static char **call_environment(const char *dir, const char *prelude)
{
    static const char *const ours[] = { "EXECGATE_MCP_PARENT=", "EXECGATE_MCP_DIR=", "EXECGATE_MCP_WRAPPER=", "BASH_ENV=", EG_ENV_EXEC_WRAPPER "=" };
    const char *wrapper = getenv(EG_ENV_EXEC_WRAPPER);
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 5, sizeof(*env));
    if (!env)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int mine = 0;
        for (size_t o = 0; o < sizeof(ours) / sizeof(ours[0]); o++)
            mine |= strncmp(environ[i], ours[o], strlen(ours[o])) == 0;
        if (!mine)
            env[j++] = environ[i];
    }
    struct text pid = { 0 };
    put_num(&pid, (unsigned long)getpid());
    const char *add[4][2] = { { "EXECGATE_MCP_PARENT=", pid.b }, { "EXECGATE_MCP_DIR=", dir }, { "EXECGATE_MCP_WRAPPER=", wrapper ? wrapper : "" }, { "BASH_ENV=", prelude } };
    for (size_t a = 0; a < 4; a++) {
        size_t l0 = strlen(add[a][0]), l1 = strlen(add[a][1]);
        char *v = malloc(l0 + l1 + 1);
        if (!v)
            return NULL;
        memcpy(v, add[a][0], l0);
        memcpy(v + l0, add[a][1], l1 + 1);
        env[j++] = v;
    }
    env[j] = NULL;
    return env;
}

static int open_in(const char *dir, const char *name, int flags)
{
    struct text path = { 0 };
    put(&path, dir);
    put(&path, "/");
    put(&path, name);
    if (path.over || strchr(name, '/')) {
        errno = path.over ? ENAMETOOLONG : EINVAL;
        return -1;
    }
    return open(path.b, flags | O_CLOEXEC);
}

int eg_mcp_supervise(int argc, char **argv)
{
    if (argc != 9)
        eg_die(2, "usage", "execgate-wrapper " EG_MCP_SUPERVISOR_ARG " DIR BASH PRELUDE GO0 GO1 GO2 EVENTS (run by execgate mcp)");
    const char *dir = argv[2];
    call_argv[0] = argv[3];
    call_argv[1] = (char *)"-c";
    call_argv[2] = (char *)eval_command;
    call_argv[3] = NULL;
    /* Ignored, the kernel reaps children itself, and a wait returns only
     * once every child has ended, the spares too: the first call would
     * never end. (bash, which this replaces, handled it, so its children
     * got the default too.) */
    signal(SIGCHLD, SIG_DFL);
    /* Started with any of fds 0-2 closed, a FIFO opened below would land
     * there, and the events' dup2 onto 1 would close it: /dev/null holds
     * them first. */
    int hold;
    while ((hold = open("/dev/null", O_RDWR)) >= 0 && hold <= 2) {
    }
    if (hold > 2)
        close(hold);
    call_env = call_environment(dir, argv[4]);
    if (!call_env)
        eg_die(126, "mcp supervisor", strerror(ENOMEM));
    for (int i = 0; i < 3; i++) {
        go[i] = open_in(dir, argv[5 + i], O_RDWR);
        if (go[i] < 0)
            eg_die(126, "mcp supervisor: cannot open its FIFO", strerror(errno));
    }
    int events = open_in(dir, argv[8], O_WRONLY);
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (events < 0 || null_fd < 0)
        eg_die(126, "mcp supervisor: cannot open its events", strerror(errno));
    /* Events on stdout; a call's bash starts with stderr on /dev/null (the
     * prelude puts it in the call's file), as it did under bash. */
    if (dup2(events, 1) < 0 || dup2(null_fd, 2) < 0)
        eg_die(126, "mcp supervisor", strerror(errno));
    close(events);

    /* The next call's spare waits on FIFO k, the one after on k+1; k+2 is free. */
    int k = 0;
    start_spare(0);
    start_spare(1);
    say_event("ready", NULL, (unsigned long)getpid());

    char buf[LINE_CAP];
    size_t have = 0;
    int dropping = 0;
    for (;;) {
        char *nl = memchr(buf, '\n', have);
        if (!nl) {
            if (have == sizeof(buf)) {
                have = 0; /* too long to be ours: dropped up to its newline */
                dropping = 1;
            }
            int ws;
            while (reap_one(0, &ws) > 0) {
            }
            ssize_t r;
            do
                r = read(0, buf + have, sizeof(buf) - have);
            while (r < 0 && errno == EINTR);
            if (r <= 0)
                return 0;
            have += (size_t)r;
            continue;
        }
        *nl = '\0';
        size_t used = (size_t)(nl + 1 - buf);
        char line[LINE_CAP];
        memcpy(line, buf, used);
        memmove(buf, nl + 1, have - used);
        have -= used;
        if (dropping) {
            dropping = 0;
            continue;
        }
        char *save = NULL;
        const char *verb = strtok_r(line, " ", &save);
        const char *id = strtok_r(NULL, " ", &save);
        const char *arg = strtok_r(NULL, " ", &save);
        if (!verb || !id || !arg || strtok_r(NULL, " ", &save))
            continue;
        if (strcmp(verb, "run") == 0)
            run_call(&k, id, arg);
        else if (strcmp(verb, "bg") == 0)
            start_background(id, arg);
    }
}
