/* The spec of one command, read from its control channel (main.c documents
 * the format; src/exec/spawn-spec.ts writes it and has already refused
 * anything malformed, so failures here are bugs, reported as such). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"
#include "spawn.h"

/* Above what the broker sends (src/protocol/limits.ts: 8 MiB, 2^20 strings
 * per vector): a sanity cap, not the policy. */
#define MAX_SPEC (16u * 1024 * 1024)
#define MAX_STRINGS (1u << 20)

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

static int take_number(char **p, char *end, unsigned long long max, unsigned long long *out)
{
    char *s = take(p, end);
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *stop;
    errno = 0;
    *out = strtoull(s, &stop, 10);
    return *stop != '\0' || errno == ERANGE || *out > max ? -1 : 0;
}

static char **take_vector(char **p, char *end)
{
    unsigned long long n;
    if (take_number(p, end, MAX_STRINGS, &n) < 0)
        return NULL;
    char **v = calloc((size_t)n + 1, sizeof(char *));
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = take(p, end))) {
            free(v);
            return NULL;
        }
    return v;
}

static int parse(char *p, char *end, struct spawn_spec *spec, const char **why)
{
    char *magic = take(&p, end);
    if (!magic || strcmp(magic, "EGS2") != 0) {
        *why = "spawn spec has the wrong version";
        return -1;
    }
    char *file = take(&p, end);
    if (!file || *file != '/') {
        *why = "spawn spec has no absolute program path";
        return -1;
    }
    unsigned long long dev, ino;
    if (take_number(&p, end, UINT64_MAX, &dev) < 0 || take_number(&p, end, UINT64_MAX, &ino) < 0) {
        *why = "spawn spec has a bad file identity";
        return -1;
    }
    char *tty = take(&p, end);
    char *closed = take(&p, end);
    if (!tty || !closed) {
        *why = "spawn spec truncated";
        return -1;
    }
    unsigned rows = 0, cols = 0;
    char extra;
    if (*tty && (sscanf(tty, "%5u %5u%c", &rows, &cols, &extra) != 2 || rows == 0 || cols == 0 ||
                 rows > 0xffff || cols > 0xffff)) {
        *why = "spawn spec has a bad terminal size";
        return -1;
    }
    int closed_mask = 0;
    for (const char *c = closed; *c; c++) {
        if (*c < '0' || *c > '2') {
            *why = "spawn spec has a bad closed-fd list";
            return -1;
        }
        closed_mask |= 1 << (*c - '0');
    }
    char **argv = take_vector(&p, end);
    char **envp = argv ? take_vector(&p, end) : NULL;
    if (!argv || !argv[0] || !envp || p != end) {
        free(argv);
        free(envp);
        *why = "spawn spec has a bad argv or environment";
        return -1;
    }
    *spec = (struct spawn_spec){
        .file = file, .dev = dev, .ino = ino,
        .rows = (unsigned short)rows, .cols = (unsigned short)cols,
        .closed_mask = closed_mask, .argv = argv, .envp = envp,
    };
    return 0;
}

int read_spec(int ctl, int fds[SPEC_FDS], struct spawn_spec *spec, const char **why)
{
    /* The fds ride on the first byte: the first read brings them. */
    unsigned char head[4];
    size_t nfds = 0, excess = 0;
    ssize_t n = eg_recv_fds(ctl, head, sizeof(head), fds, SPEC_FDS, &nfds, &excess);
    if (n == 0 && nfds == 0)
        return -3;
    if (n <= 0 || nfds != SPEC_FDS || excess > 0) {
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        *why = n <= 0 ? "no spawn spec (the broker is gone)" : "spawn spec without its 4 fds";
        return -2;
    }
    if ((size_t)n < sizeof(head) && eg_read_all(ctl, head + n, sizeof(head) - (size_t)n) < 0) {
        *why = "spawn spec truncated";
        return -1;
    }
    uint32_t len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (len == 0 || len > MAX_SPEC) {
        *why = "spawn spec has a bad length";
        return -1;
    }
    char *body = malloc(len);
    if (!body || eg_read_all(ctl, body, len) < 0) {
        free(body);
        *why = "spawn spec truncated";
        return -1;
    }
    if (parse(body, body + len, spec, why) < 0) {
        free(body);
        return -1;
    }
    return 0;
}
