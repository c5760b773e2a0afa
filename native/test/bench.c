/* What the wrapper costs per exec: N runs of PROGRAM through the wrapper,
 * against a broker in C here that always answers Run (reading the whole
 * request first, as the real one does), versus N runs of PROGRAM alone.
 * Both spawned the same way (posix_spawn), one at a time.
 *
 *   eg_bench [--table run|record] WRAPPER [N [PROGRAM [ARG...]]]
 *                                           (default: 1000 /bin/true)
 *
 * --table: a run table in $EXECGATE_SESSION lets PROGRAM run without asking
 * (execgate.proto, "Run table"); with "record" the wrapper sends its "EXR1"
 * record, which the broker here reads before the next exec. */
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"

extern char **environ;

#define SESSION_FD 100

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static pid_t spawn(char *const argv[], char *const envp[], int session)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (session >= 0)
        posix_spawn_file_actions_adddup2(&fa, session, SESSION_FD);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "posix_spawn %s: %s\n", argv[0], strerror(rc));
        exit(2);
    }
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "child failed: status %d\n", st);
        exit(2);
    }
}

enum { TABLE_NONE, TABLE_RUN, TABLE_RECORD };
static int table_mode = TABLE_NONE;

/* One exec through the wrapper, answered Run (or, with a table, let run and
 * its record read). session[1] is the wrapper's. */
static void broker_once(const int session[2], char *const argv[], char *const envp[])
{
    static uint8_t *buf;
    if (!buf)
        buf = malloc((4u << 20) + 4);
    pid_t pid = spawn(argv, envp, session[1]);
    if (table_mode == TABLE_RUN) {
        reap(pid);
        return;
    }
    if (table_mode == TABLE_RECORD) {
        ssize_t n = recv(session[0], buf, 65536, 0);
        if (n < 4 || memcmp(buf, "EXR1", 4) != 0) {
            fprintf(stderr, "no record from the wrapper\n");
            exit(2);
        }
        reap(pid);
        return;
    }
    char hello[8];
    int fd;
    size_t nfds, excess;
    if (eg_recv_fds(session[0], hello, sizeof(hello), &fd, 1, &nfds, &excess) != 4 || nfds != 1) {
        fprintf(stderr, "no connection from the wrapper\n");
        exit(2);
    }
    uint8_t hdr[4];
    if (eg_read_all(fd, hdr, 4) < 0)
        exit(2);
    size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
    if (len > (4u << 20) || eg_read_all(fd, buf, len) < 0)
        exit(2);
    static const uint8_t run[] = { 0, 0, 0, 4, 0x0a, 0x02, 0x08, 0x01 };
    if (eg_write_all(fd, run, sizeof(run)) < 0)
        exit(2);
    close(fd);
    reap(pid);
}

/* A session directory holding a run table that lists only programs the
 * bench does not run: "EGT1" | generation | flags | count | names. */
static char table_dir[] = "/tmp/eg-bench-XXXXXX", table_path[64];

static void remove_table_dir(void)
{
    unlink(table_path);
    rmdir(table_dir);
}

static char *make_table_dir(int record)
{
    static char env[64];
    if (!mkdtemp(table_dir))
        return NULL;
    atexit(remove_table_dir);
    static const uint8_t table[] = { 'E', 'G', 'T', '1', 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,
                                     3, 'g', 'i', 't', 4, 'm', 'a', 'k', 'e' };
    uint8_t copy[sizeof(table)];
    memcpy(copy, table, sizeof(table));
    if (record)
        copy[8] |= 2;
    snprintf(table_path, sizeof(table_path), "%s/table", table_dir);
    FILE *f = fopen(table_path, "wb");
    if (!f || fwrite(copy, 1, sizeof(copy), f) != sizeof(copy) || fclose(f) != 0)
        return NULL;
    snprintf(env, sizeof(env), "EXECGATE_SESSION=%s", table_dir);
    return env;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--table") == 0) {
        table_mode = strcmp(argv[2], "run") == 0 ? TABLE_RUN : strcmp(argv[2], "record") == 0 ? TABLE_RECORD : -1;
        argv += 2;
        argc -= 2;
    }
    if (argc < 2 || table_mode < 0 || (argc > 2 && strtol(argv[2], NULL, 10) < 1)) {
        fprintf(stderr, "usage: eg_bench [--table run|record] WRAPPER [N [PROGRAM [ARG...]]]\n");
        return 2;
    }
    const char *wrapper = argv[1];
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
    char *deflt[] = { "/bin/true", NULL };
    char **prog = argc > 3 ? argv + 3 : deflt;
    int progc = 0;
    while (prog[progc])
        progc++;

    /* plain: PROGRAM ARG... */
    /* wrapped: WRAPPER PROGRAM basename ARG... (as the patched shell calls it) */
    char **plain = calloc((size_t)progc + 1, sizeof(char *));
    char **wrapped = calloc((size_t)progc + 3, sizeof(char *));
    memcpy(plain, prog, (size_t)progc * sizeof(char *));
    wrapped[0] = (char *)wrapper;
    wrapped[1] = prog[0];
    const char *slash = strrchr(prog[0], '/');
    wrapped[2] = (char *)(slash ? slash + 1 : prog[0]);
    memcpy(wrapped + 3, prog + 1, (size_t)(progc - 1) * sizeof(char *));

    size_t envc = 0;
    while (environ[envc])
        envc++;
    char **envp = calloc(envc + 3, sizeof(char *));
    memcpy(envp, environ, envc * sizeof(char *));
    char sockvar[32];
    snprintf(sockvar, sizeof(sockvar), "EXECGATE_SOCKET=%d", SESSION_FD);
    envp[envc] = sockvar;
    if (table_mode != TABLE_NONE && !(envp[envc + 1] = make_table_dir(table_mode == TABLE_RECORD))) {
        perror("eg_bench: run table");
        return 2;
    }

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return 2;
    if (sv[1] == SESSION_FD)
        return 2; /* dup2 onto itself would keep it close-on-exec */

    /* warm up both (page cache, dynamic loader) */
    for (int i = 0; i < 20; i++) {
        reap(spawn(plain, environ, -1));
        broker_once(sv, wrapped, envp);
    }
    /* Interleaved, each exec timed on its own: the machine's other load
     * hits both alike, and the medians shrug off its spikes. */
    double *tp = calloc((size_t)n, sizeof(double)), *tw = calloc((size_t)n, sizeof(double));
    double sum_p = 0, sum_w = 0;
    for (long i = 0; i < n; i++) {
        double t0 = now();
        reap(spawn(plain, environ, -1));
        double t1 = now();
        broker_once(sv, wrapped, envp);
        double t2 = now();
        sum_p += tp[i] = t1 - t0;
        sum_w += tw[i] = t2 - t1;
    }
    qsort(tp, (size_t)n, sizeof(double), cmp);
    qsort(tw, (size_t)n, sizeof(double), cmp);
    double mp = tp[n / 2], mw = tw[n / 2];
    static const char *const modes[] = { "", " (run table)", " (run table, records)" };
    printf("%ld x %s%s: plain %.0f us/exec (median %.0f), through the wrapper %.0f us/exec (median %.0f); "
           "ratio %.2f (medians %.2f), %.0f us added\n",
           n, prog[0], modes[table_mode], sum_p / (double)n * 1e6, mp * 1e6, sum_w / (double)n * 1e6, mw * 1e6, sum_w / sum_p,
           mw / mp, (mw - mp) * 1e6);
    free(tp);
    free(tw);
    free(plain);
    free(wrapped);
    free(envp);
    return 0;
}
