// The seccomp backstop, the broker's half (execgate.proto, "Seccomp
// backstop"): the listener a sandbox's init hands over holds every exec that
// did not go through execgate, each process blocked until we answer.
//
//   new SeccompListener(fd, table, onReady, limits)
//   setTable(table)          the run table (execgate.proto, "Run table")
//   take()                   the next exec for JS to decide, or null
//   takeRecord()             the next fast-path run to audit, or null
//   takeDropped()            records dropped since the last call (a count)
//   readContext(n, maxBytes, maxCount)   argv and cwd of a taken exec
//   respond(id, errno)       continue (0) or fail with errno; false if gone
//   close()                  stops the thread; never closes fd
//   ended / failure          the sandbox is gone / the thread's error
//
// One thread per listener receives (SECCOMP_IOCTL_NOTIF_RECV) and reads the
// program path from the blocked process. Most execs are of programs no rule
// names, which the run table lets run: the thread answers those itself
// (continue), so the common exec costs no trip through Node's event loop;
// with the table's RECORD flag it first reads argv and cwd for an audit
// record, queued (bounded: overflow is counted) for JS. Every other exec is
// queued for JS, which decides by the whole policy and responds. onReady is
// called (through a thread-safe function, coalesced) when there is something
// to take, or when the thread ended.
//
// Before an exec goes to JS, and after JS reads more of it,
// SECCOMP_IOCTL_NOTIF_ID_VALID: what was read belongs to the process that
// still waits, not to one that took its pid. (The thread's own answers need
// none: see Run.)
// Everything read is the agent's and racy: another thread of the process may
// rewrite the path after we read it and before the kernel does (the exec then
// runs what the kernel reads). So a Run or Deny here is a convenience inside
// the sandbox, like the wrapper's; it never escalates.
//
// The pid in a notification is in the broker's pid namespace (the kernel
// translates it for the reader), which is where process_vm_readv and /proc
// look it up.
#include "addon.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace eg {
namespace {

constexpr size_t kPage = 4096;
// A path longer than this the kernel refuses itself (ENAMETOOLONG).
constexpr size_t kMaxPath = PATH_MAX;
// The most a caller may ask for (the limits themselves, with their reasons,
// are src/protocol/limits.ts's): execve's own limit for argv and envp
// together is a quarter of the stack limit (2 MiB by default).
constexpr int64_t kMaxArgvBytes = 4 * 1024 * 1024;
constexpr int64_t kMaxArgvCount = 1024 * 1024;
constexpr int64_t kMaxQueue = 64 * 1024;
// The run table: as the wrapper reads it (protocol.h).
constexpr size_t kMaxTable = 64 * 1024;
constexpr uint32_t kTableLocalRun = 1, kTableRecord = 2;

// ---- reading the blocked process ------------------------------------------

// Reads len bytes at addr of pid, never across a page boundary in one call
// (a read that runs into an unmapped page would fail whole). Returns the
// bytes read (fewer at an unreadable page) or -errno if none.
ssize_t ReadRemote(pid_t pid, uint64_t addr, void *out, size_t len)
{
    size_t got = 0;
    while (got < len) {
        uint64_t at = addr + got;
        size_t chunk = kPage - static_cast<size_t>(at % kPage);
        if (chunk > len - got)
            chunk = len - got;
        struct iovec local = {static_cast<char *>(out) + got, chunk};
        struct iovec remote = {reinterpret_cast<void *>(static_cast<uintptr_t>(at)), chunk};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0)
            return got > 0 ? static_cast<ssize_t>(got) : (n < 0 ? -errno : -EFAULT);
        got += static_cast<size_t>(n);
        if (static_cast<size_t>(n) < chunk)
            break;
    }
    return static_cast<ssize_t>(got);
}

// A NUL-terminated string at addr, at most max bytes before the NUL: 0,
// -EFAULT (unreadable, as execve would say), -E2BIG (longer than max).
int ReadString(pid_t pid, uint64_t addr, size_t max, std::string *out)
{
    out->clear();
    char buf[kPage];
    for (;;) {
        size_t want = kPage - static_cast<size_t>((addr + out->size()) % kPage);
        ssize_t n = ReadRemote(pid, addr + out->size(), buf, want);
        if (n < 0)
            return -EFAULT;
        const char *nul = static_cast<const char *>(memchr(buf, '\0', static_cast<size_t>(n)));
        size_t take = nul ? static_cast<size_t>(nul - buf) : static_cast<size_t>(n);
        if (out->size() + take > max)
            return -E2BIG;
        out->append(buf, take);
        if (nul)
            return 0;
        if (static_cast<size_t>(n) < want)
            return -EFAULT;
    }
}

// readlink of /proc/PID/<what> (cwd, fd/N): the path as the sandbox sees it.
bool ProcLink(pid_t pid, const std::string &what, std::string *out)
{
    std::string link = "/proc/" + std::to_string(pid) + "/" + what;
    char buf[kMaxPath];
    ssize_t n = readlink(link.c_str(), buf, sizeof(buf));
    if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf))
        return false;
    out->assign(buf, static_cast<size_t>(n));
    return true;
}

std::string ErrName(int negErrno)
{
    char name[64];
    uv_err_name_r(negErrno, name, sizeof(name));
    return name;
}

// argv at argvAddr within maxBytes (counted as execve counts: each string's
// bytes, its NUL and its pointer) and maxCount strings; false if cut short
// or unreadable.
bool ReadArgv(pid_t pid, uint64_t argvAddr, size_t maxBytes, size_t maxCount, std::vector<std::string> *argv)
{
    if (argvAddr == 0)
        return true;  // NULL argv is an empty one to the kernel
    size_t used = 0;
    uint64_t ptrs[kPage / sizeof(uint64_t)];
    for (uint64_t i = 0;;) {
        size_t want = sizeof(ptrs) - static_cast<size_t>((argvAddr + i * 8) % kPage);
        ssize_t got = ReadRemote(pid, argvAddr + i * 8, ptrs, want);
        if (got < 8)
            return false;
        for (size_t k = 0; k < static_cast<size_t>(got) / 8; k++, i++) {
            if (ptrs[k] == 0)
                return true;
            std::string s;
            if (argv->size() >= maxCount || used + 9 > maxBytes || ReadString(pid, ptrs[k], maxBytes - used - 9, &s) < 0)
                return false;
            used += s.size() + 9;
            argv->push_back(std::move(s));
        }
    }
}

// One exec as read from the process.
struct Exec {
    uint64_t id = 0;
    pid_t pid = 0;
    int nr = 0;  // __NR_execve, __NR_execveat, or what else the filter sent
    bool exec = false;
    uint64_t argvAddr = 0;
    bool pathOk = false;
    std::string pathError;
    std::string path;
    bool hasBase = false;
    std::string base;  // the directory a relative path starts from; with emptyPath, the file
    bool emptyPath = false;
    // Read for records only:
    std::vector<std::string> argv;
    bool argvComplete = false;
    bool hasCwd = false;
    std::string cwd;
};

// What the exec names: its path, and the directory a relative one starts from.
void ReadPath(const struct seccomp_notif &n, Exec *e)
{
    e->id = n.id;
    e->pid = static_cast<pid_t>(n.pid);
    e->nr = n.data.nr;
    e->exec = n.data.arch == AUDIT_ARCH_X86_64 && (n.data.nr == __NR_execve || n.data.nr == __NR_execveat);
    if (!e->exec)
        return;
    bool at = n.data.nr == __NR_execveat;
    e->argvAddr = at ? n.data.args[2] : n.data.args[1];
    int rc = ReadString(e->pid, at ? n.data.args[1] : n.data.args[0], kMaxPath - 1, &e->path);
    if (rc < 0) {
        e->pathError = ErrName(rc == -E2BIG ? -ENAMETOOLONG : rc);
        return;
    }
    e->pathOk = true;
    int dirfd = at ? static_cast<int>(n.data.args[0]) : AT_FDCWD;
    e->emptyPath = at && e->path.empty() && (n.data.args[4] & static_cast<uint64_t>(AT_EMPTY_PATH)) != 0;
    if (e->path.empty() ? e->emptyPath : e->path[0] != '/')
        e->hasBase = dirfd == AT_FDCWD ? ProcLink(e->pid, "cwd", &e->base)
                                       : ProcLink(e->pid, "fd/" + std::to_string(dirfd), &e->base);
}

void ReadContext(Exec *e, size_t maxBytes, size_t maxCount)
{
    e->argvComplete = ReadArgv(e->pid, e->argvAddr, maxBytes, maxCount, &e->argv);
    e->hasCwd = ProcLink(e->pid, "cwd", &e->cwd);
}

// The program's file name, as the run table lists names: the bytes after the
// last '/' of the path exec'd (for fexecve, of the file it names).
bool FileName(const Exec &e, std::string *name)
{
    const std::string *p = e.emptyPath ? (e.hasBase ? &e.base : nullptr) : (e.pathOk ? &e.path : nullptr);
    if (!p)
        return false;
    size_t slash = p->rfind('/');
    *name = slash == std::string::npos ? *p : p->substr(slash + 1);
    return true;
}

// Is notification `id` still waiting (its process alive and blocked)? 1, 0
// (gone), or -errno.
int StillWaiting(int fd, uint64_t id)
{
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0)
        return 1;
    return errno == ENOENT ? 0 : -errno;
}

// 1 answered, 0 gone (its process killed: ENOENT) or answered already
// (EINPROGRESS, until the process has taken the first answer), -errno.
int Answer(int fd, uint64_t id, int err)
{
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof(resp));
    resp.id = id;
    if (err == 0)
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    else
        resp.error = -err;
    int rc;
    do
        rc = ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return 1;
    return errno == ENOENT || errno == EINPROGRESS ? 0 : -errno;
}

// ---- the listener thread ---------------------------------------------------

// Shared by the JS object and its thread; each holds a reference.
struct Shared {
    int fd = -1;
    int wake = -1;  // eventfd: the thread stops when it is readable
    size_t maxArgvBytes = 0, maxArgvCount = 0;
    // Execs waiting for JS at once (beyond: the thread stops receiving, the
    // rest wait in the kernel); records waiting (beyond: dropped, counted).
    size_t maxPending = 0, maxRecords = 0;
    napi_threadsafe_function tsfn = nullptr;

    std::mutex mu;
    std::condition_variable room;  // pending has room again, or stop
    std::deque<Exec> pending;
    std::deque<Exec> records;
    uint64_t dropped = 0;
    bool kicked = false;  // a call of onReady is on its way
    bool stop = false;
    bool ended = false;   // the thread has returned
    int error = 0;        // -errno that ended it, or 0
    const char *errorCall = nullptr;
    // The run table
    bool localRun = false, record = false;
    std::unordered_set<std::string> names;
};

// Reads a run table (execgate.proto, "Run table") into s, as the wrapper
// does; a table that does not parse lets nothing run without JS. With mu held.
bool SetTableLocked(Shared *s, const uint8_t *p, size_t n)
{
    auto le32 = [](const uint8_t *q) {
        return static_cast<uint32_t>(q[0]) | static_cast<uint32_t>(q[1]) << 8 | static_cast<uint32_t>(q[2]) << 16 |
               static_cast<uint32_t>(q[3]) << 24;
    };
    std::unordered_set<std::string> names;
    bool ok = n >= 16 && n <= kMaxTable && memcmp(p, "EGT1", 4) == 0;
    uint32_t flags = ok ? le32(p + 8) : 0;
    ok = ok && (flags & ~(kTableLocalRun | kTableRecord)) == 0;
    size_t at = 16;
    for (uint32_t i = 0, count = ok ? le32(p + 12) : 0; ok && i < count; i++) {
        size_t len = at < n ? p[at++] : 0;
        ok = len > 0 && len <= n - at;
        if (ok)
            names.emplace(reinterpret_cast<const char *>(p + at), len);
        at += len;
    }
    ok = ok && at == n;
    s->localRun = ok && (flags & kTableLocalRun);
    s->record = ok && (flags & kTableRecord);
    s->names = ok ? std::move(names) : std::unordered_set<std::string>();
    return ok;
}

// With mu held: make sure onReady will run.
void Kick(Shared *s)
{
    if (s->kicked || !s->tsfn)
        return;
    s->kicked = true;
    napi_call_threadsafe_function(s->tsfn, nullptr, napi_tsfn_nonblocking);
}

void Fail(Shared *s, int negErrno, const char *call)
{
    std::lock_guard<std::mutex> lock(s->mu);
    s->error = negErrno;
    s->errorCall = call;
}

void Run(std::shared_ptr<Shared> s)
{
    for (;;) {
        struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->wake, POLLIN, 0}};
        int ready = poll(p, 2, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            Fail(s.get(), -errno, "poll");
            break;
        }
        if (p[1].revents)
            break;
        if (p[0].revents & POLLNVAL) {
            Fail(s.get(), -EBADF, "poll");
            break;
        }
        if (!(p[0].revents & POLLIN)) {
            // Every process of the sandbox is gone: nothing can come any more.
            if (p[0].revents & (POLLHUP | POLLERR))
                break;
            continue;
        }
        // With one reader (this thread), what poll saw is still there, or
        // its process was killed and RECV says ENOENT: it never blocks.
        struct seccomp_notif n;
        memset(&n, 0, sizeof(n));
        if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
            if (errno == ENOENT || errno == EINTR)
                continue;
            Fail(s.get(), -errno, "ioctl(SECCOMP_IOCTL_NOTIF_RECV)");
            break;
        }
        Exec e;
        ReadPath(n, &e);

        bool fast = false, record = false;
        std::string name;
        if (e.exec && FileName(e, &name)) {
            std::lock_guard<std::mutex> lock(s->mu);
            fast = s->localRun && s->names.count(name) == 0;
            record = s->record;
        }
        if (fast) {
            // No ID_VALID here: the answer is "continue", which the kernel
            // takes only while this very process still waits on this very
            // notification, and then its pid was its own all along, so what
            // we read (for the record, queued only once answered) was its.
            if (record)
                ReadContext(&e, s->maxArgvBytes, s->maxArgvCount);
            int sent = Answer(s->fd, e.id, 0);
            if (sent < 0) {
                Fail(s.get(), sent, "ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
                break;
            }
            if (sent == 1 && record) {
                std::lock_guard<std::mutex> lock(s->mu);
                if (s->records.size() >= s->maxRecords) {
                    s->dropped++;
                } else {
                    s->records.push_back(std::move(e));
                }
                Kick(s.get());
            }
            continue;
        }

        int waiting = StillWaiting(s->fd, e.id);
        if (waiting < 0) {
            Fail(s.get(), waiting, "ioctl(SECCOMP_IOCTL_NOTIF_ID_VALID)");
            break;
        }
        if (waiting == 0)
            continue;
        std::unique_lock<std::mutex> lock(s->mu);
        s->room.wait(lock, [&] { return s->pending.size() < s->maxPending || s->stop; });
        if (s->stop)
            break;
        s->pending.push_back(std::move(e));
        Kick(s.get());
    }
    std::lock_guard<std::mutex> lock(s->mu);
    s->ended = true;
    if (!s->stop)
        Kick(s.get());
}

// Runs on the main thread for each kick: onReady().
void CallJs(napi_env env, napi_value jsCallback, void *context, void *)
{
    // Closing: Node calls us for what is still queued after the finalizer
    // freed the context (env is then NULL). Nothing to do then.
    if (!env || !jsCallback)
        return;
    auto *s = static_cast<std::shared_ptr<Shared> *>(context);
    {
        std::lock_guard<std::mutex> lock((*s)->mu);
        (*s)->kicked = false;
    }
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    if (napi_call_function(env, undefined, jsCallback, 0, nullptr, nullptr) != napi_ok) {
        // Like any Node callback: a throw goes to 'uncaughtException'.
        bool pending = false;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
            napi_value exc;
            napi_get_and_clear_last_exception(env, &exc);
            napi_fatal_exception(env, exc);
        }
    }
}

void FinalizeTsfn(napi_env, void *data, void *)
{
    delete static_cast<std::shared_ptr<Shared> *>(data);
}

Napi::Value Bytes(Napi::Env env, const std::string &s)
{
    return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

Napi::Value ArgvArray(Napi::Env env, const std::vector<std::string> &argv)
{
    Napi::Array arr = Napi::Array::New(env, argv.size());
    for (size_t i = 0; i < argv.size(); i++)
        arr.Set(static_cast<uint32_t>(i), Bytes(env, argv[i]));
    return arr;
}

// The fields JS sees of an exec (SeccompNotification in src/native/addon.ts).
Napi::Object ExecObject(Napi::Env env, const Exec &e)
{
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::BigInt::New(env, e.id));
    o.Set("pid", Napi::Number::New(env, e.pid));
    o.Set("syscall", e.exec ? Napi::Value(Napi::String::New(env, e.nr == __NR_execve ? "execve" : "execveat"))
                            : Napi::Value(Napi::Number::New(env, e.nr)));
    o.Set("path", e.pathOk ? Bytes(env, e.path) : env.Null());
    o.Set("pathError", e.pathOk || !e.exec ? env.Null() : Napi::Value(Napi::String::New(env, e.pathError)));
    o.Set("base", e.hasBase ? Bytes(env, e.base) : env.Null());
    o.Set("emptyPath", Napi::Boolean::New(env, e.emptyPath));
    o.Set("argvAddress", Napi::BigInt::New(env, e.argvAddr));
    return o;
}

class Listener : public Napi::ObjectWrap<Listener> {
public:
    static Napi::Function Define(Napi::Env env)
    {
        return DefineClass(env, "SeccompListener",
                           {
                               InstanceMethod<&Listener::SetTable>("setTable"),
                               InstanceMethod<&Listener::Take>("take"),
                               InstanceMethod<&Listener::TakeRecord>("takeRecord"),
                               InstanceMethod<&Listener::TakeDropped>("takeDropped"),
                               InstanceMethod<&Listener::ReadContextJs>("readContext"),
                               InstanceMethod<&Listener::Respond>("respond"),
                               InstanceMethod<&Listener::Close>("close"),
                               InstanceAccessor<&Listener::GetEnded>("ended"),
                               InstanceAccessor<&Listener::GetFailure>("failure"),
                               InstanceAccessor<&Listener::GetClosed>("closed"),
                           });
    }

    // new SeccompListener(fd, table, onReady, {maxArgvBytes, maxArgvCount,
    // maxPending, maxRecords}): the table is there before the thread
    // receives anything.
    explicit Listener(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Listener>(info)
    {
        Napi::Env env = info.Env();
        int fd;
        int64_t maxBytes, maxCount, maxPending, maxRecords;
        if (!GetFd(info[0], "fd", &fd))
            return;
        if (!info[1].IsBuffer()) {
            ThrowArgType(env, "table", "an instance of Buffer", info[1]);
            return;
        }
        if (!info[2].IsFunction()) {
            ThrowArgType(env, "onReady", "of type function", info[2]);
            return;
        }
        if (!info[3].IsObject()) {
            ThrowArgType(env, "limits", "of type object", info[3]);
            return;
        }
        Napi::Object limits = info[3].As<Napi::Object>();
        if (!GetInt(limits.Get("maxArgvBytes"), "limits.maxArgvBytes", 0, kMaxArgvBytes, &maxBytes) ||
            !GetInt(limits.Get("maxArgvCount"), "limits.maxArgvCount", 0, kMaxArgvCount, &maxCount) ||
            !GetInt(limits.Get("maxPending"), "limits.maxPending", 1, kMaxQueue, &maxPending) ||
            !GetInt(limits.Get("maxRecords"), "limits.maxRecords", 0, kMaxQueue, &maxRecords))
            return;
        if (fcntl(fd, F_GETFD) < 0) {
            ThrowSystemError(env, -errno, "fcntl");
            return;
        }
        auto s = std::make_shared<Shared>();
        s->fd = fd;
        s->maxArgvBytes = static_cast<size_t>(maxBytes);
        s->maxArgvCount = static_cast<size_t>(maxCount);
        s->maxPending = static_cast<size_t>(maxPending);
        s->maxRecords = static_cast<size_t>(maxRecords);
        Napi::Buffer<uint8_t> table = info[1].As<Napi::Buffer<uint8_t>>();
        SetTableLocked(s.get(), table.Data(), table.Length());
        s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->wake < 0) {
            ThrowSystemError(env, -errno, "eventfd");
            return;
        }
        auto *context = new std::shared_ptr<Shared>(s);
        napi_value name;
        napi_create_string_utf8(env, "execgate.SeccompListener", NAPI_AUTO_LENGTH, &name);
        napi_status st = napi_create_threadsafe_function(env, info[2], nullptr, name, 0, 1, context, FinalizeTsfn, context,
                                                         CallJs, &s->tsfn);
        if (st != napi_ok) {
            delete context;
            close(s->wake);
            ThrowInvalidState(env, "napi_create_threadsafe_function failed");
            return;
        }
        // The sessions keep the broker alive, not their listeners.
        napi_unref_threadsafe_function(env, s->tsfn);
        shared_ = s;
        thread_ = std::thread(Run, s);
        napi_add_env_cleanup_hook(env, Cleanup, this);
    }

    ~Listener() override { Stop(); }

private:
    // The environment is going away (exit, a worker's end): the hook is
    // being run, so it is not removed.
    static void Cleanup(void *arg) { static_cast<Listener *>(arg)->Stop(false); }

    // Stops and joins the thread; the tsfn goes; fd stays open (not ours).
    void Stop(bool removeHook = true)
    {
        if (!shared_)
            return;
        std::shared_ptr<Shared> s = std::move(shared_);
        {
            std::lock_guard<std::mutex> lock(s->mu);
            s->stop = true;
        }
        s->room.notify_all();
        uint64_t one = 1;
        ssize_t w = write(s->wake, &one, sizeof(one));
        (void)w;
        if (thread_.joinable())
            thread_.join();
        close(s->wake);
        s->wake = -1;
        napi_threadsafe_function tsfn;
        {
            std::lock_guard<std::mutex> lock(s->mu);
            tsfn = s->tsfn;
            s->tsfn = nullptr;
        }
        if (tsfn)
            napi_release_threadsafe_function(tsfn, napi_tsfn_abort);
        if (removeHook)
            napi_remove_env_cleanup_hook(Env(), Cleanup, this);
    }

    bool Open(Napi::Env env)
    {
        if (shared_)
            return true;
        ThrowInvalidState(env, "the seccomp listener is closed");
        return false;
    }

    // setTable(table: Buffer): the run table's names and flags. A table that
    // does not parse lets nothing run here without JS.
    Napi::Value SetTable(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!Open(env))
            return Napi::Value();
        if (!info[0].IsBuffer()) {
            ThrowArgType(env, "table", "an instance of Buffer", info[0]);
            return Napi::Value();
        }
        Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
        std::lock_guard<std::mutex> lock(shared_->mu);
        bool ok = SetTableLocked(shared_.get(), b.Data(), b.Length());
        return Napi::Boolean::New(env, ok);
    }

    Napi::Value Take(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!Open(env))
            return Napi::Value();
        Exec e;
        {
            std::lock_guard<std::mutex> lock(shared_->mu);
            if (shared_->pending.empty())
                return env.Null();
            e = std::move(shared_->pending.front());
            shared_->pending.pop_front();
        }
        shared_->room.notify_one();
        return ExecObject(env, e);
    }

    Napi::Value TakeRecord(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!Open(env))
            return Napi::Value();
        Exec e;
        {
            std::lock_guard<std::mutex> lock(shared_->mu);
            if (shared_->records.empty())
                return env.Null();
            e = std::move(shared_->records.front());
            shared_->records.pop_front();
        }
        Napi::Object o = ExecObject(env, e);
        o.Set("argv", ArgvArray(env, e.argv));
        o.Set("argvComplete", Napi::Boolean::New(env, e.argvComplete));
        o.Set("cwd", e.hasCwd ? Bytes(env, e.cwd) : env.Null());
        return o;
    }

    Napi::Value TakeDropped(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!Open(env))
            return Napi::Value();
        std::lock_guard<std::mutex> lock(shared_->mu);
        uint64_t n = shared_->dropped;
        shared_->dropped = 0;
        return Napi::Number::New(env, static_cast<double>(n));
    }

    // readContext(n, maxBytes, maxCount) -> {argv, argvComplete, cwd} | null
    Napi::Value ReadContextJs(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!Open(env))
            return Napi::Value();
        if (!info[0].IsObject()) {
            ThrowArgType(env, "notification", "of type object", info[0]);
            return Napi::Value();
        }
        Napi::Object o = info[0].As<Napi::Object>();
        Napi::Value idv = o.Get("id"), addrv = o.Get("argvAddress"), pidv = o.Get("pid");
        if (env.IsExceptionPending())
            return Napi::Value();
        int64_t pid, maxBytes, maxCount;
        if (!idv.IsBigInt() || !addrv.IsBigInt()) {
            ThrowArgValue(env, "notification", "must come from take()", info[0]);
            return Napi::Value();
        }
        if (!GetInt(pidv, "notification.pid", 1, INT32_MAX, &pid) || !GetInt(info[1], "maxBytes", 0, kMaxArgvBytes, &maxBytes) ||
            !GetInt(info[2], "maxCount", 0, kMaxArgvCount, &maxCount))
            return Napi::Value();
        bool lossless = false;
        Exec e;
        e.id = idv.As<Napi::BigInt>().Uint64Value(&lossless);
        e.argvAddr = addrv.As<Napi::BigInt>().Uint64Value(&lossless);
        e.pid = static_cast<pid_t>(pid);
        ReadContext(&e, static_cast<size_t>(maxBytes), static_cast<size_t>(maxCount));
        int waiting = StillWaiting(shared_->fd, e.id);
        if (waiting == 0)
            return env.Null();
        if (waiting < 0) {
            ThrowSystemError(env, waiting, "ioctl(SECCOMP_IOCTL_NOTIF_ID_VALID)");
            return Napi::Value();
        }
        Napi::Object result = Napi::Object::New(env);
        result.Set("argv", ArgvArray(env, e.argv));
        result.Set("argvComplete", Napi::Boolean::New(env, e.argvComplete));
        result.Set("cwd", e.hasCwd ? Bytes(env, e.cwd) : env.Null());
        return result;
    }

    // respond(id: bigint, errno: number) -> boolean
    Napi::Value Respond(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!Open(env))
            return Napi::Value();
        if (!info[0].IsBigInt()) {
            ThrowArgType(env, "id", "of type bigint", info[0]);
            return Napi::Value();
        }
        bool lossless = false;
        uint64_t id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
        if (!lossless) {
            ThrowArgValue(env, "id", "must be a notification id (an unsigned 64-bit integer)", info[0]);
            return Napi::Value();
        }
        int64_t err;
        if (!GetInt(info[1], "errno", 0, 4095, &err))
            return Napi::Value();
        int rc = Answer(shared_->fd, id, static_cast<int>(err));
        if (rc < 0) {
            ThrowSystemError(env, rc, "ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
            return Napi::Value();
        }
        return Napi::Boolean::New(env, rc == 1);
    }

    Napi::Value Close(const Napi::CallbackInfo &info)
    {
        Stop();
        return info.Env().Undefined();
    }

    Napi::Value GetEnded(const Napi::CallbackInfo &info)
    {
        if (!shared_)
            return Napi::Boolean::New(info.Env(), true);
        std::lock_guard<std::mutex> lock(shared_->mu);
        return Napi::Boolean::New(info.Env(), shared_->ended);
    }

    Napi::Value GetFailure(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        if (!shared_)
            return env.Null();
        std::lock_guard<std::mutex> lock(shared_->mu);
        if (shared_->error == 0)
            return env.Null();
        return SystemError(env, shared_->error, shared_->errorCall).Value();
    }

    Napi::Value GetClosed(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), !shared_); }

    std::shared_ptr<Shared> shared_;
    std::thread thread_;
};

}  // namespace

void InitSeccomp(Napi::Env env, Napi::Object exports)
{
    exports.Set("SeccompListener", Listener::Define(env));
}

}  // namespace eg
