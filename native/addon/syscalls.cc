// The syscalls Node lacks, one JS call = one syscall (plus an fcntl read where
// a flag is changed). Everything here is non-blocking: send and recv always
// pass MSG_DONTWAIT, whatever the fd's O_NONBLOCK flag says.
#include "addon.h"
#include "util.h"

#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace eg {
namespace {

// socketpair('seqpacket' | 'stream') -> [fd, fd]: AF_UNIX, both ends
// close-on-exec and blocking.
Napi::Value SocketPair(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    Napi::Value arg = info[0];
    if (!arg.IsString()) {
        ThrowArgType(env, "type", "of type string", arg);
        return Napi::Value();
    }
    std::string kind = arg.As<Napi::String>().Utf8Value();
    int type;
    if (kind == "seqpacket")
        type = SOCK_SEQPACKET;
    else if (kind == "stream")
        type = SOCK_STREAM;
    else {
        ThrowArgValue(env, "type", "must be 'seqpacket' or 'stream'", arg);
        return Napi::Value();
    }
    int sv[2];
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0) {
        ThrowSystemError(env, -errno, "socketpair");
        return Napi::Value();
    }
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::Number::New(env, sv[0]));
    pair.Set(1u, Napi::Number::New(env, sv[1]));
    if (env.IsExceptionPending()) {
        close(sv[0]);
        close(sv[1]);
        return Napi::Value();
    }
    return pair;
}

// close(fd). EINTR counts as closed: on Linux the fd is gone either way, and
// retrying could close an fd someone else just got.
Napi::Value Close(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int fd;
    if (!GetFd(info[0], "fd", &fd))
        return Napi::Value();
    if (close(fd) < 0 && errno != EINTR) {
        ThrowSystemError(env, -errno, "close");
        return Napi::Value();
    }
    return env.Undefined();
}

// send(fd, data, fds?) -> bytes sent. One sendmsg with
// MSG_NOSIGNAL | MSG_DONTWAIT; the fds ride on the first byte.
Napi::Value Send(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int fd;
    if (!GetFd(info[0], "fd", &fd))
        return Napi::Value();
    Napi::Value dataArg = info[1];
    if (!dataArg.IsTypedArray() || dataArg.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        ThrowArgType(env, "data", "an instance of Uint8Array or Buffer", dataArg);
        return Napi::Value();
    }
    Napi::Uint8Array data = dataArg.As<Napi::Uint8Array>();

    int fds[EG_MAX_FDS];
    size_t nfds = 0;
    Napi::Value fdsArg = info[2];
    if (!fdsArg.IsUndefined()) {
        if (!fdsArg.IsArray()) {
            ThrowArgType(env, "fds", "an instance of Array", fdsArg);
            return Napi::Value();
        }
        Napi::Array arr = fdsArg.As<Napi::Array>();
        if (arr.Length() > EG_MAX_FDS) {
            ThrowArgValue(env, "fds", "must hold at most " + std::to_string(EG_MAX_FDS) + " fds", fdsArg);
            return Napi::Value();
        }
        nfds = arr.Length();
        for (uint32_t i = 0; i < nfds; i++) {
            Napi::Value el = arr.Get(i);
            std::string name = "fds[" + std::to_string(i) + "]";
            if (el.IsEmpty() || !GetFd(el, name.c_str(), &fds[i]))
                return Napi::Value();
        }
        if (nfds > 0 && data.ByteLength() == 0) {
            ThrowArgValue(env, "data", "must not be empty when fds are sent (they ride on its first byte)",
                          dataArg);
            return Napi::Value();
        }
    }
    ssize_t n = eg_sendmsg_fds(fd, data.Data(), data.ByteLength(), fds, nfds, MSG_DONTWAIT);
    if (n < 0) {
        ThrowSystemError(env, static_cast<int>(n), "sendmsg");
        return Napi::Value();
    }
    return Napi::Number::New(env, static_cast<double>(n));
}

void CloseAll(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

// recv(fd, maxBytes, maxFds) -> { data, fds, excess, truncated } | null.
// One recvmsg with MSG_CMSG_CLOEXEC | MSG_DONTWAIT; null on EAGAIN.
Napi::Value Recv(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int fd;
    int64_t maxBytes, maxFds;
    if (!GetFd(info[0], "fd", &fd) || !GetInt(info[1], "maxBytes", 1, kMaxRecvBytes, &maxBytes) ||
        !GetInt(info[2], "maxFds", 0, EG_MAX_FDS, &maxFds))
        return Napi::Value();

    // Big reads: size the buffer by what is queued. For a unix socket
    // SIOCINQ counts every queued byte (all queued messages on seqpacket), so
    // it is never less than the next message and shrinking to it truncates
    // nothing. When nothing is queued yet (EOF, EAGAIN, or a race) the full
    // maxBytes is allocated; malloc'd memory nobody touched costs no RSS.
    size_t want = static_cast<size_t>(maxBytes);
    if (want > kScratchBytes) {
        int avail = 0;
        if (ioctl(fd, SIOCINQ, &avail) == 0 && avail > 0 && static_cast<size_t>(avail) < want)
            want = static_cast<size_t>(avail);
    }
    uint8_t *buf;
    bool scratch = want <= kScratchBytes;
    if (scratch) {
        AddonData *data = GetAddonData(env);
        if (!data->scratch)
            data->scratch.reset(new uint8_t[kScratchBytes]);
        buf = data->scratch.get();
    } else {
        buf = static_cast<uint8_t *>(malloc(want));
        if (!buf) {
            ThrowSystemError(env, -ENOMEM, "recvmsg");
            return Napi::Value();
        }
    }

    int fds[EG_MAX_FDS];
    size_t nfds = 0, excess = 0;
    int msgFlags = 0;
    ssize_t n = eg_recvmsg_fds(fd, buf, want, fds, static_cast<size_t>(maxFds), &nfds, &excess,
                               MSG_DONTWAIT, &msgFlags);
    if (n < 0) {
        if (!scratch)
            free(buf);
        if (n == -EAGAIN || n == -EWOULDBLOCK)
            return env.Null();
        ThrowSystemError(env, static_cast<int>(n), "recvmsg");
        return Napi::Value();
    }

    // Always a copy: big reads are rare (a request of megabytes), and a
    // copy costs far less than the exec that sent it.
    size_t len = static_cast<size_t>(n);
    Napi::Value dataValue = Napi::Buffer<uint8_t>::Copy(env, buf, len);
    if (!scratch)
        free(buf);

    Napi::Object result = Napi::Object::New(env);
    Napi::Array fdArray = Napi::Array::New(env, nfds);
    for (size_t i = 0; i < nfds; i++)
        fdArray.Set(static_cast<uint32_t>(i), Napi::Number::New(env, fds[i]));
    result.Set("data", dataValue);
    result.Set("fds", fdArray);
    result.Set("excess", Napi::Number::New(env, static_cast<double>(excess)));
    result.Set("truncated", Napi::Boolean::New(env, (msgFlags & MSG_TRUNC) != 0));
    if (env.IsExceptionPending()) {
        // The fds never reached JS: they would have no owner.
        CloseAll(fds, nfds);
        return Napi::Value();
    }
    return result;
}

// socketType(fd): what the fd is, for checking what a peer sent.
Napi::Value SocketType(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int fd;
    if (!GetFd(info[0], "fd", &fd))
        return Napi::Value();
    // One system call (every exec connection is checked): SO_TYPE fails
    // with ENOTSOCK on anything but a socket.
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        if (errno == ENOTSOCK)
            return Napi::String::New(env, "not-a-socket");
        ThrowSystemError(env, -errno, "getsockopt");
        return Napi::Value();
    }
    switch (type) {
    case SOCK_STREAM:
        return Napi::String::New(env, "stream");
    case SOCK_SEQPACKET:
        return Napi::String::New(env, "seqpacket");
    case SOCK_DGRAM:
        return Napi::String::New(env, "dgram");
    default:
        return Napi::String::New(env, "other");
    }
}


// The socket type argument of listen/connect: 'stream' | 'seqpacket'.
bool GetSocketType(Napi::Value arg, int *type)
{
    Napi::Env env = arg.Env();
    if (!arg.IsString()) {
        ThrowArgType(env, "type", "of type string", arg);
        return false;
    }
    std::string kind = arg.As<Napi::String>().Utf8Value();
    if (kind == "seqpacket")
        *type = SOCK_SEQPACKET;
    else if (kind == "stream")
        *type = SOCK_STREAM;
    else {
        ThrowArgValue(env, "type", "must be 'seqpacket' or 'stream'", arg);
        return false;
    }
    return true;
}

// A unix socket address for path; false (ENAMETOOLONG pending) when the
// path does not fit sun_path: never truncated into another name.
bool UnixAddress(Napi::Env env, Napi::Value arg, const char *syscall, struct sockaddr_un *addr)
{
    if (!arg.IsString()) {
        ThrowArgType(env, "path", "of type string", arg);
        return false;
    }
    std::string path = arg.As<Napi::String>().Utf8Value();
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr->sun_path) || path.find('\0') != std::string::npos) {
        ThrowSystemError(env, path.empty() ? -ENOENT : -ENAMETOOLONG, syscall);
        return false;
    }
    memcpy(addr->sun_path, path.data(), path.size());
    return true;
}

// listen(path, type, backlog) -> fd: a unix socket bound at path and
// listening; close-on-exec and non-blocking (accept never waits).
Napi::Value Listen(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int type;
    int64_t backlog;
    struct sockaddr_un addr;
    if (!GetSocketType(info[1], &type) || !GetInt(info[2], "backlog", 1, 4096, &backlog) ||
        !UnixAddress(env, info[0], "bind", &addr))
        return Napi::Value();
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        ThrowSystemError(env, -errno, "socket");
        return Napi::Value();
    }
    if (bind(fd, reinterpret_cast<struct sockaddr *>(&addr), sizeof(addr)) < 0) {
        int e = errno;
        close(fd);
        ThrowSystemError(env, -e, "bind");
        return Napi::Value();
    }
    if (listen(fd, static_cast<int>(backlog)) < 0) {
        int e = errno;
        close(fd);
        ThrowSystemError(env, -e, "listen");
        return Napi::Value();
    }
    return Napi::Number::New(env, fd);
}

// accept(fd) -> fd | null: one accept4, the new socket close-on-exec (and
// blocking: every send and recv here passes MSG_DONTWAIT anyway); null when
// nothing is waiting.
Napi::Value Accept(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int fd;
    if (!GetFd(info[0], "fd", &fd))
        return Napi::Value();
    int conn;
    do
        conn = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    while (conn < 0 && errno == EINTR);
    if (conn < 0) {
        // ECONNABORTED: the peer gave up before we got to it; nothing to hand out.
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
            return env.Null();
        ThrowSystemError(env, -errno, "accept4");
        return Napi::Value();
    }
    return Napi::Number::New(env, conn);
}

// connect(path, type) -> fd: a connected unix socket, close-on-exec. Never
// waits: a listener whose backlog is full is EAGAIN.
Napi::Value Connect(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int type;
    struct sockaddr_un addr;
    if (!GetSocketType(info[1], &type) || !UnixAddress(env, info[0], "connect", &addr))
        return Napi::Value();
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        ThrowSystemError(env, -errno, "socket");
        return Napi::Value();
    }
    int rc;
    do
        rc = connect(fd, reinterpret_cast<struct sockaddr *>(&addr), sizeof(addr));
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int e = errno;
        close(fd);
        ThrowSystemError(env, -e, "connect");
        return Napi::Value();
    }
    // Blocking again, as every other socket the addon hands out.
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return Napi::Number::New(env, fd);
}

// hangup(fd) -> bool: has the peer closed (or shut down its writing side)?
// One poll(2) with no wait. On a seqpacket socket an empty message and the
// end of file both read as 0 bytes: this tells them apart.
Napi::Value Hangup(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int fd;
    if (!GetFd(info[0], "fd", &fd))
        return Napi::Value();
    struct pollfd pfd = { fd, POLLRDHUP, 0 };
    int r;
    do
        r = poll(&pfd, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        ThrowSystemError(env, -errno, "poll");
        return Napi::Value();
    }
    if (pfd.revents & POLLNVAL) {
        ThrowSystemError(env, -EBADF, "poll");
        return Napi::Value();
    }
    return Napi::Boolean::New(env, (pfd.revents & (POLLHUP | POLLRDHUP)) != 0);
}

// peerCredentials(fd) -> { pid, uid, gid }: who is on the other end of a
// unix socket (SO_PEERCRED: as of its connect(), in our pid namespace).
Napi::Value PeerCredentials(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int fd;
    if (!GetFd(info[0], "fd", &fd))
        return Napi::Value();
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        ThrowSystemError(env, -errno, "getsockopt");
        return Napi::Value();
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("pid", Napi::Number::New(env, cred.pid));
    out.Set("uid", Napi::Number::New(env, cred.uid));
    out.Set("gid", Napi::Number::New(env, cred.gid));
    return out;
}

// pidfdOpen(pid) -> fd: a pidfd (close-on-exec), readable once the process
// has exited. It names that very process: a pid reused later is another.
Napi::Value PidfdOpen(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int64_t pid;
    if (!GetInt(info[0], "pid", 1, 0x7fffffff, &pid))
        return Napi::Value();
    long fd = syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0);
    if (fd < 0) {
        ThrowSystemError(env, -errno, "pidfd_open");
        return Napi::Value();
    }
    return Napi::Number::New(env, static_cast<double>(fd));
}

}  // namespace

void InitSyscalls(Napi::Env env, Napi::Object exports)
{
    exports.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
    exports.Set("close", Napi::Function::New(env, Close, "close"));
    exports.Set("send", Napi::Function::New(env, Send, "send"));
    exports.Set("recv", Napi::Function::New(env, Recv, "recv"));
    exports.Set("socketType", Napi::Function::New(env, SocketType, "socketType"));
    exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
    exports.Set("accept", Napi::Function::New(env, Accept, "accept"));
    exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
    exports.Set("hangup", Napi::Function::New(env, Hangup, "hangup"));
    exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials, "peerCredentials"));
    exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
    exports.Set("MAX_FDS", Napi::Number::New(env, EG_MAX_FDS));
    exports.Set("MAX_RECV_BYTES", Napi::Number::New(env, static_cast<double>(kMaxRecvBytes)));
}

}  // namespace eg
