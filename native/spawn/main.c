/* execgate-spawn: the last step of an escalation, on the host.
 *
 * Node can pass only UTF-8 strings as argv and environment, and a command
 * from the sandbox may carry any bytes. So the broker starts this helper
 * (through execa, with the wrapper's stdio already on fds 0-2) and sends it the
 * exact bytes on fd 3: a 4-byte big-endian length, then NUL-terminated
 * strings: "EGS1", file, cwd, tty ("" or "ROWS COLS"), closed (which of
 * fds 0-2 the command gets closed, as digits), argc, argv..., envc, env...
 * It resets what a Node parent leaves behind (ignored SIGPIPE, blocked
 * signals), changes directory and execs. Any failure is one line on stderr
 * and status 126 (127 if the program does not exist), like a shell.
 *
 * The command runs as our child in a process group of its own (supervise.c),
 * so that its stops are seen and reported, not only its end. With a tty
 * size, the caller's stdin is a terminal: the command then gets a
 * pseudo-terminal of its own, on exactly those of fds 0-2 that are
 * terminals, so redirected output stays byte-exact. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define SPEC_FD 3
#define MAX_SPEC (16u * 1024 * 1024)
#define MAX_STRINGS (1u << 20)

void reset_signals(void)
{
    /* A Node parent ignores SIGPIPE; exec keeps ignored signals ignored, and
     * `yes | head -1` on the host would then never end. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void die(int status, const char *what, const char *detail)
{
    dprintf(2, "execgate: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    _exit(status);
}

static int read_full(int fd, char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Next NUL-terminated string in [*p, end), or NULL if none. */
static char *take(char **p, char *end)
{
    char *s = *p;
    char *nul = memchr(s, '\0', (size_t)(end - s));
    if (!nul)
        return NULL;
    *p = nul + 1;
    return s;
}

static char **take_vector(char **p, char *end, const char *what)
{
    char *count = take(p, end);
    if (!count)
        die(126, "spawn spec truncated at", what);
    char *stop;
    unsigned long n = strtoul(count, &stop, 10);
    if (*count == '\0' || *stop != '\0' || n > MAX_STRINGS)
        die(126, "spawn spec has a bad count for", what);
    char **v = calloc(n + 1, sizeof(char *));
    if (!v)
        die(126, "out of memory", NULL);
    for (unsigned long i = 0; i < n; i++)
        if (!(v[i] = take(p, end)))
            die(126, "spawn spec truncated in", what);
    return v;
}

int main(void)
{
    unsigned char head[4];
    if (read_full(SPEC_FD, (char *)head, sizeof(head)) < 0)
        die(126, "no spawn spec on fd 3", NULL);
    uint32_t len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (len == 0 || len > MAX_SPEC)
        die(126, "spawn spec has a bad length", NULL);
    char *spec = malloc(len);
    if (!spec || read_full(SPEC_FD, spec, len) < 0)
        die(126, "spawn spec truncated", NULL);

    char *p = spec, *end = spec + len;
    char *magic = take(&p, end);
    if (!magic || strcmp(magic, "EGS1") != 0)
        die(126, "spawn spec has the wrong version", NULL);
    char *file = take(&p, end);
    char *cwd = take(&p, end);
    char *tty = take(&p, end);
    char *closed = take(&p, end);
    if (!file || !cwd || !tty || !closed || !*file)
        die(126, "spawn spec truncated", NULL);
    char **argv = take_vector(&p, end, "argv");
    char **envp = take_vector(&p, end, "env");
    if (p != end)
        die(126, "spawn spec has trailing bytes", NULL);

    unsigned rows = 0, cols = 0;
    if (*tty && (sscanf(tty, "%u %u", &rows, &cols) != 2 || rows == 0 || cols == 0 || rows > 0xffff || cols > 0xffff))
        die(126, "spawn spec has a bad terminal size", tty);
    int closed_mask = 0;
    for (const char *c = closed; *c; c++) {
        if (*c < '0' || *c > '2')
            die(126, "spawn spec has a bad closed-fd list", closed);
        closed_mask |= 1 << (*c - '0');
    }
    return supervise(file, argv, envp, cwd, (unsigned short)rows, (unsigned short)cols, closed_mask, SPEC_FD);
}
