/* fd passing over AF_UNIX sockets (SCM_RIGHTS), shared by the wrapper and the
 * addon. Plain C, no allocation, no global state. Every function returns a
 * negative errno on failure and never leaves an fd it received open unless it
 * handed it to the caller. */
#ifndef EXECGATE_FDPASS_H
#define EXECGATE_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most fds one message may carry; the protocol needs 3 (stdio). */
#define EG_MAX_FDS 8

/* Sends buf with nfds fds attached to its first byte. On a stream socket the
 * whole buffer is written (the fds ride on the first sendmsg). MSG_NOSIGNAL:
 * a vanished peer is EPIPE, never a SIGPIPE. EINTR is retried.
 * Returns 0 or -errno (-EINVAL if nfds > EG_MAX_FDS). */
int eg_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/* One recvmsg into buf. Received fds are close-on-exec. At most max_fds are
 * stored in fds and counted in *nfds; any further ones, and all of them when
 * the kernel truncated the control data, are closed and *excess is set to the
 * number closed (callers treat excess > 0 as a protocol error).
 * Returns the byte count (0 = orderly EOF) or -errno (EINTR is retried;
 * EAGAIN is returned as is for non-blocking sockets). */
ssize_t eg_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds,
                    size_t *nfds, size_t *excess);

/* The one-syscall forms of the two above, for callers that must not block
 * or loop (the addon, on Node's main thread). flags are added to the
 * sendmsg/recvmsg flags (MSG_NOSIGNAL resp. MSG_CMSG_CLOEXEC are always
 * set), e.g. MSG_DONTWAIT. EINTR is retried.
 * eg_sendmsg_fds: exactly one sendmsg; returns the bytes sent (fewer than len
 * is possible on a stream socket; the fds went with them) or -errno.
 * eg_recvmsg_fds: as eg_recv_fds; if msg_flags is not NULL it receives the
 * kernel's msg_flags (MSG_TRUNC: a seqpacket/datagram message was longer than
 * len and its tail is lost). */
ssize_t eg_sendmsg_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
                       int flags);
ssize_t eg_recvmsg_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds,
                       size_t *nfds, size_t *excess, int flags, int *msg_flags);

/* Writes/reads exactly len bytes (stream sockets), retrying EINTR and short
 * transfers. Return 0, -errno, or for eg_read_all -ECONNRESET on early EOF. */
int eg_write_all(int fd, const void *buf, size_t len);
int eg_read_all(int fd, void *buf, size_t len);

/* Our own fds (the sockets we make) stay off 0-2 when some of those were
 * closed, so that nothing (our messages on stderr, the stdio passed on
 * Escalate) mistakes them for a standard stream: fd itself when above 2,
 * else a close-on-exec duplicate at 3 or above (fd is closed). Returns the
 * fd, or -errno (fd left open). */
int eg_off_stdio(int fd);

#ifdef __cplusplus
}
#endif

#endif
