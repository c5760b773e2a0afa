#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room for EG_MAX_FDS plus as many again, so that a peer sending too many
 * fds is seen (and its fds closed) rather than silently truncated. */
#define CMSG_ROOM CMSG_SPACE(sizeof(int) * EG_MAX_FDS * 2)

/* musl's CMSG_NXTHDR mixes signed and unsigned arithmetic inside the macro,
 * which -Wsign-conversion reports at every use: keep the one use here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
static struct cmsghdr *next_cmsg(struct msghdr *msg, struct cmsghdr *c)
{
    return CMSG_NXTHDR(msg, c);
}
#pragma GCC diagnostic pop

int eg_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
    ssize_t n = eg_sendmsg_fds(sock, buf, len, fds, nfds, 0);
    if (n < 0)
        return (int)n;
    /* The fds went with the first byte; the rest is plain data. */
    return eg_write_all(sock, (const char *)buf + n, len - (size_t)n);
}

ssize_t eg_sendmsg_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
                       int flags)
{
    if (nfds > EG_MAX_FDS || (len == 0 && nfds > 0))
        return -EINVAL;

    union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(int) * EG_MAX_FDS)]; } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        msg.msg_control = control.bytes;
        /* socklen_t under musl, size_t under glibc; the value is tiny either way. */
        msg.msg_controllen = (socklen_t)CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = (socklen_t)CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }

    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL | flags);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

ssize_t eg_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds,
                    size_t *nfds, size_t *excess)
{
    return eg_recvmsg_fds(sock, buf, len, fds, max_fds, nfds, excess, 0, NULL);
}

ssize_t eg_recvmsg_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds,
                       size_t *nfds, size_t *excess, int flags, int *msg_flags)
{
    union { struct cmsghdr align; char bytes[CMSG_ROOM]; } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.bytes, .msg_controllen = sizeof(control.bytes),
    };
    *nfds = 0;
    *excess = 0;

    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (msg_flags)
        *msg_flags = msg.msg_flags;

    int truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = next_cmsg(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *data = CMSG_DATA(c);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, data + i * sizeof(int), sizeof(int));
            if (!truncated && *nfds < max_fds) {
                fds[(*nfds)++] = fd;
            } else {
                close(fd);
                (*excess)++;
            }
        }
    }
    if (truncated) {
        /* Some fds never arrived: what did arrive is not the whole message. */
        for (size_t i = 0; i < *nfds; i++)
            close(fds[i]);
        *excess += *nfds + 1;
        *nfds = 0;
    }
    return n;
}

int eg_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK)
            n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int eg_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -ECONNRESET;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int eg_off_stdio(int fd)
{
    if (fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return -errno;
    close(fd);
    return moved;
}
