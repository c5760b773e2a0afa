/* native/common/fdpass.c on real sockets: payload and fds round trips on
 * stream and seqpacket sockets, too many fds (closed and counted), errors,
 * EINTR, and no fd left behind. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fdpass.h"
#include "util.h"

static int same_file(int a, int b)
{
    struct stat x, y;
    return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int cloexec(int fd)
{
    int f = fcntl(fd, F_GETFD);
    return f >= 0 && (f & FD_CLOEXEC);
}

static void pair(int type, int sv[2])
{
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("socketpair");
        exit(2);
    }
}

/* Three different kinds of fd to pass: a pipe end, /dev/null, a memfd. */
static void three(int fds[3], int *extra)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        exit(2);
    fds[0] = p[0];
    *extra = p[1];
    fds[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
    fds[2] = memfd_create("fdpass", MFD_CLOEXEC);
}

static void test_round_trip(int type)
{
    int sv[2], fds[3], extra;
    pair(type, sv);
    three(fds, &extra);
    CHECK_EQ(eg_send_fds(sv[0], "hello", 5, fds, 3), 0);
    char buf[64];
    int got[EG_MAX_FDS];
    size_t n = 99, excess = 99;
    CHECK_EQ(eg_recv_fds(sv[1], buf, sizeof(buf), got, EG_MAX_FDS, &n, &excess), 5);
    CHECK_MEM(buf, 5, "hello", 5);
    CHECK_EQ(n, 3);
    CHECK_EQ(excess, 0);
    for (size_t i = 0; i < n && i < 3; i++) {
        CHECK(got[i] != fds[i]);
        CHECK(same_file(got[i], fds[i]));
        CHECK(cloexec(got[i]));
        close(got[i]);
    }
    /* data without fds afterwards: none reported */
    CHECK_EQ(eg_send_fds(sv[0], "x", 1, NULL, 0), 0);
    CHECK_EQ(eg_recv_fds(sv[1], buf, sizeof(buf), got, EG_MAX_FDS, &n, &excess), 1);
    CHECK_EQ(n, 0);
    CHECK_EQ(excess, 0);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    close(extra);
    close(sv[0]);
    close(sv[1]);
}

/* The session hello: exactly what the wrapper sends. */
static void test_hello(void)
{
    int sv[2], conn[2];
    pair(SOCK_SEQPACKET, sv);
    pair(SOCK_STREAM, conn);
    CHECK_EQ(eg_send_fds(sv[0], "EXG1", 4, &conn[1], 1), 0);
    close(conn[1]);
    char buf[16];
    int got[EG_MAX_FDS];
    size_t n, excess;
    CHECK_EQ(eg_recv_fds(sv[1], buf, sizeof(buf), got, EG_MAX_FDS, &n, &excess), 4);
    CHECK_EQ(n, 1);
    CHECK_EQ(excess, 0);
    /* it is the other end of conn */
    CHECK_EQ(write(conn[0], "ping", 4), 4);
    char r[4];
    CHECK_EQ(eg_read_all(got[0], r, 4), 0);
    CHECK_MEM(r, 4, "ping", 4);
    close(got[0]);
    close(conn[0]);
    close(sv[0]);
    close(sv[1]);
}

/* A payload far beyond the socket buffer, with fds on its first byte: the
 * sender blocks until a reader (a child here) takes it all. */
static void test_large_payload(void)
{
    int sv[2], fds[3], extra;
    pair(SOCK_STREAM, sv);
    three(fds, &extra);
    size_t len = 3u << 20;
    uint8_t *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 13));
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        uint8_t *in = malloc(len);
        int got[EG_MAX_FDS];
        size_t n, excess;
        ssize_t r = eg_recv_fds(sv[1], in, 1000, got, EG_MAX_FDS, &n, &excess);
        if (r <= 0 || n != 3 || excess != 0)
            _exit(1);
        if (eg_read_all(sv[1], in + r, len - (size_t)r) != 0)
            _exit(2);
        if (memcmp(in, data, len) != 0)
            _exit(3);
        for (int i = 0; i < 3; i++)
            if (!same_file(got[i], fds[i]))
                _exit(4);
        char b;
        if (read(sv[1], &b, 1) != 0) /* nothing more */
            _exit(5);
        _exit(0);
    }
    close(sv[1]);
    CHECK_EQ(eg_send_fds(sv[0], data, len, fds, 3), 0);
    close(sv[0]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    free(data);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    close(extra);
}

/* More fds than the receiver takes: the rest are closed and counted. */
static void test_too_many(void)
{
    int before = count_fds();
    int sv[2];
    pair(SOCK_SEQPACKET, sv);
    int fds[EG_MAX_FDS];
    for (int i = 0; i < EG_MAX_FDS; i++)
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK_EQ(eg_send_fds(sv[0], "m", 1, fds, EG_MAX_FDS), 0);
    for (int i = 0; i < EG_MAX_FDS; i++)
        close(fds[i]);
    int mid = count_fds();
    char buf[8];
    int got[3];
    size_t n, excess;
    CHECK_EQ(eg_recv_fds(sv[1], buf, sizeof(buf), got, 3, &n, &excess), 1);
    CHECK_EQ(n, 3);
    CHECK_EQ(excess, EG_MAX_FDS - 3);
    CHECK_EQ(count_fds(), mid + 3); /* only the three kept are open */
    for (size_t i = 0; i < n; i++)
        close(got[i]);
    close(sv[0]);
    close(sv[1]);
    CHECK_EQ(count_fds(), before);
}

/* More fds than the receiver's control buffer holds (16): the kernel
 * truncates, and then none of them is handed out. */
static void test_truncated(void)
{
    int before = count_fds();
    int sv[2];
    pair(SOCK_SEQPACKET, sv);
    enum { N = 40 };
    int fds[N];
    for (int i = 0; i < N; i++)
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * N)];
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = { .iov_base = "t", .iov_len = 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                          .msg_controllen = sizeof(control.bytes) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * N);
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    CHECK_EQ(sendmsg(sv[0], &msg, 0), 1);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    char buf[8];
    int got[EG_MAX_FDS];
    size_t n, excess;
    CHECK_EQ(eg_recv_fds(sv[1], buf, sizeof(buf), got, EG_MAX_FDS, &n, &excess), 1);
    CHECK_EQ(n, 0);
    CHECK(excess > 0);
    close(sv[0]);
    close(sv[1]);
    CHECK_EQ(count_fds(), before);
}

static void test_errors(void)
{
    int sv[2], fds[EG_MAX_FDS + 1];
    pair(SOCK_STREAM, sv);
    for (int i = 0; i <= EG_MAX_FDS; i++)
        fds[i] = 0;
    CHECK_EQ(eg_send_fds(sv[0], "x", 1, fds, EG_MAX_FDS + 1), -EINVAL);
    CHECK_EQ(eg_send_fds(sv[0], "", 0, fds, 1), -EINVAL);
    char buf[8];
    CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1); /* nothing was sent */
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(eg_send_fds(-1, "x", 1, NULL, 0), -EBADF);
    int got[EG_MAX_FDS];
    size_t n, excess;
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK_EQ(eg_recv_fds(p[0], buf, sizeof(buf), got, EG_MAX_FDS, &n, &excess), -ENOTSOCK);
    /* a pipe is written with write(2) */
    CHECK_EQ(eg_write_all(p[1], "pipe", 4), 0);
    CHECK_EQ(eg_read_all(p[0], buf, 4), 0);
    CHECK_MEM(buf, 4, "pipe", 4);
    close(p[0]);
    close(p[1]);

    /* orderly EOF */
    close(sv[0]);
    CHECK_EQ(eg_recv_fds(sv[1], buf, sizeof(buf), got, EG_MAX_FDS, &n, &excess), 0);
    CHECK_EQ(n, 0);
    CHECK_EQ(eg_read_all(sv[1], buf, 1), -ECONNRESET);
    /* a vanished peer is EPIPE, never SIGPIPE (which is at its default
     * here: it would kill the test) */
    CHECK_EQ(eg_write_all(sv[1], "x", 1), -EPIPE);
    CHECK_EQ(eg_send_fds(sv[1], "x", 1, NULL, 0), -EPIPE);
    close(sv[1]);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* A signal with a handler (no SA_RESTART) interrupts the blocking call;
 * the helpers carry on. */
static void test_eintr(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(300000);
        int null = open("/dev/null", O_RDONLY);
        _exit(eg_send_fds(sv[1], "late", 4, &null, 1) == 0 ? 0 : 1);
    }
    struct itimerval it = { .it_value = { .tv_usec = 50000 }, .it_interval = { .tv_usec = 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[8];
    int got[EG_MAX_FDS];
    size_t n, excess;
    CHECK_EQ(eg_recv_fds(sv[0], buf, sizeof(buf), got, EG_MAX_FDS, &n, &excess), 4);
    CHECK_EQ(n, 1);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    for (size_t i = 0; i < n; i++)
        close(got[i]);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(sv[0]);
    close(sv[1]);
}

/* With 0 closed, a socket made then lands on 0: it moves to 3 or above,
 * close-on-exec, and 0 is free again; one above 2 stays as it is. */
static void test_off_stdio(void)
{
    int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
    CHECK(saved >= 3);
    close(0);
    int sv[2];
    pair(SOCK_STREAM, sv);
    CHECK_EQ(sv[0], 0);
    int moved = eg_off_stdio(sv[0]);
    CHECK(moved > 2);
    CHECK(cloexec(moved));
    CHECK(fcntl(0, F_GETFD) < 0 && errno == EBADF);
    CHECK_EQ(eg_off_stdio(sv[1]), sv[1]);
    close(moved);
    close(sv[1]);
    CHECK_EQ(dup2(saved, 0), 0);
    close(saved);
}

int main(void)
{
    signal(SIGPIPE, SIG_DFL);
    int before = count_fds();
    test_round_trip(SOCK_STREAM);
    test_round_trip(SOCK_SEQPACKET);
    test_hello();
    test_large_payload();
    test_too_many();
    test_truncated();
    test_errors();
    test_eintr();
    test_off_stdio();
    CHECK_EQ(count_fds(), before);
    return eg_summary();
}
