// Watcher: readiness of one fd on Node's own event loop, for what net.Socket
// refuses (SOCK_SEQPACKET) or must not own (fds that TS owns).
//
//   new Watcher(fd, onEvent)   onEvent({ readable, writable, hangup, error })
//   start(readable, writable)  (re)arm; start(false, false) watches hangup only
//   stop()  close()  unref()  ref()   fd  active  closed
//
// How: every watcher of one event loop is an entry in one epoll set of ours,
// and libuv polls that set's fd (one uv_poll for the loop). Making a
// watcher is one epoll_ctl, starting or stopping one another, closing one
// another (the kernel's answers also tell a closed or reused fd); a uv_poll
// per fd cost eight system calls to make (libuv's own check, O_NONBLOCK set
// and put back, our fstats) and a loop turn to close, and the broker makes
// two per escalation.
//
// Rules kept here:
//  * The watcher never closes, reads or writes the fd, and leaves its
//    O_NONBLOCK flag alone.
//  * hangup (the peer closed, or shut down its writing side) is permanent
//    once seen: it is true in that event and every later one, and the
//    watcher stops asking the kernel for it, so a hung-up fd nobody reads
//    does not spin the loop. A watcher with nothing else to watch stops.
//  * error (a negative errno: the socket's pending SO_ERROR, e.g. ECONNRESET;
//    EBADF if the fd is gone) stops the watcher; start() again to resume.
//  * start() with what is already being polled for changes nothing (it
//    costs no system call): owners may re-arm after every event.
//  * A started watcher keeps the process alive, unless unref() said it
//    must not (the loop may end while it polls); ref() undoes that.
//  * While polling, the watcher keeps itself (and so its callback) alive;
//    stopped or closed, it can be collected, which takes it out of the set.
//    close() is safe from inside onEvent; a closed watcher never keeps the
//    process alive; at environment teardown (exit, worker end) the set is
//    closed by an async cleanup hook so the loop can close.
//  * A watcher must be closed before its fd (FdWatcher sees to it): an fd
//    closed while its file lives on elsewhere stays in the kernel's set.
//  * onEvent runs through a callback scope whose async resource is the
//    watcher, like Node's own handles: microtasks and nextTicks run after it,
//    AsyncLocalStorage sees the store of where the watcher was made, and an
//    exception it throws goes to 'uncaughtException'.
#include "addon.h"
#include "util.h"

#include <uv.h>

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <unordered_map>

namespace eg {
namespace {

class Watcher;

// A registration the kernel holds but that reports nothing: EPOLLONESHOT
// with no events (ERR and HUP, which epoll_ctl always adds, report at most
// once before the entry disables itself again).
constexpr uint32_t kDisarmed = EPOLLONESHOT;

// The epoll set of one event loop. Entries carry (generation << 32 | fd), so
// an event for a watcher closed (or an fd watched anew) since epoll_wait
// returned it is recognised as stale and dropped.
struct PollSet {
    uv_poll_t poll;  // on epfd
    int epfd = -1;
    uv_loop_t *loop = nullptr;
    napi_async_cleanup_hook_handle hook = nullptr;
    std::unordered_map<int, Watcher *> byFd;
    uint32_t nextGen = 1;
    int refs = 0;  // started watchers not unref()d: the loop lives while > 0
    bool closing = false;
};

// One set per loop (the main thread's, each worker's).
std::mutex gSetsLock;
std::map<uv_loop_t *, PollSet *> gSets;

void OnSetReadable(uv_poll_t *p, int status, int events);
void SetCleanupHook(napi_async_cleanup_hook_handle, void *arg);

// The loop's set, made when the addon loads (or by the first watcher, if
// that failed); null (errno set) if it cannot be.
PollSet *SetFor(napi_env env, uv_loop_t *loop)
{
    {
        std::lock_guard<std::mutex> lock(gSetsLock);
        auto it = gSets.find(loop);
        if (it != gSets.end())
            return it->second;
    }
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return nullptr;
    PollSet *set = new PollSet();
    set->epfd = epfd;
    set->loop = loop;
    int r = uv_poll_init(loop, &set->poll, epfd);
    if (r == 0)
        r = uv_poll_start(&set->poll, UV_READABLE, OnSetReadable);
    if (r < 0) {
        close(epfd);
        delete set;
        errno = -r;
        return nullptr;
    }
    set->poll.data = set;
    uv_unref(reinterpret_cast<uv_handle_t *>(&set->poll));
    napi_add_async_cleanup_hook(env, SetCleanupHook, set, &set->hook);
    std::lock_guard<std::mutex> lock(gSetsLock);
    gSets[loop] = set;
    return set;
}

void AddRef(PollSet *set, int delta)
{
    int before = set->refs;
    set->refs += delta;
    if (before == 0 && set->refs > 0)
        uv_ref(reinterpret_cast<uv_handle_t *>(&set->poll));
    else if (before > 0 && set->refs == 0)
        uv_unref(reinterpret_cast<uv_handle_t *>(&set->poll));
}

class Watcher : public Napi::ObjectWrap<Watcher> {
public:
    static Napi::Function Define(Napi::Env env)
    {
        return DefineClass(env, "Watcher",
                           {
                               InstanceMethod<&Watcher::Start>("start"),
                               InstanceMethod<&Watcher::Stop>("stop"),
                               InstanceMethod<&Watcher::Close>("close"),
                               InstanceMethod<&Watcher::UnrefLoop>("unref"),
                               InstanceMethod<&Watcher::RefLoop>("ref"),
                               InstanceAccessor<&Watcher::GetFd>("fd"),
                               InstanceAccessor<&Watcher::GetActive>("active"),
                               InstanceAccessor<&Watcher::GetClosed>("closed"),
                           });
    }

    explicit Watcher(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Watcher>(info)
    {
        Napi::Env env = info.Env();
        int fd;
        if (!eg::GetFd(info[0], "fd", &fd))
            return;
        Napi::Value cb = info[1];
        if (!cb.IsFunction()) {
            ThrowArgType(env, "onEvent", "of type function", cb);
            return;
        }
        uv_loop_t *loop = nullptr;
        if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
            ThrowInvalidState(env, "no event loop");
            return;
        }
        PollSet *set = SetFor(env, loop);
        if (!set) {
            ThrowSystemError(env, -errno, "epoll_create1");
            return;
        }
        // One entry per fd in a set (epoll refuses a second one anyway).
        if (set->byFd.count(fd)) {
            ThrowSystemError(env, -EEXIST, "epoll_ctl");
            return;
        }
        uint32_t gen = set->nextGen++;
        struct epoll_event ev = {};
        ev.events = kDisarmed;
        ev.data.u64 = (static_cast<uint64_t>(gen) << 32) | static_cast<uint32_t>(fd);
        // Also the check that the fd is open and that epoll can watch it at
        // all (EPERM: a regular file).
        if (epoll_ctl(set->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            ThrowSystemError(env, -errno, "epoll_ctl");
            return;
        }
        set->byFd[fd] = this;
        set_ = set;
        gen_ = gen;
        fd_ = fd;

        // The JS object owns the callback (so a cycle through it is
        // collectable); we keep only a weak reference for the call.
        Napi::Function fn = cb.As<Napi::Function>();
        info.This().As<Napi::Object>().DefineProperty(
            Napi::PropertyDescriptor::Value("onEvent", fn, napi_default));
        callback_ = Napi::Persistent(fn);
        callback_.Unref();
        // The watcher itself is the async resource, like Node's handles. Node
        // holds a given resource weakly (an AsyncLocalStorage store lives on
        // it): it is alive whenever events come, as we hold it while polling.
        napi_async_init(env, info.This(), Napi::String::New(env, "execgate.Watcher"), &asyncContext_);
    }

    ~Watcher() override
    {
        // Collected, or the environment is going away: the JS reference
        // counts must not be touched here.
        Leave();
        if (asyncContext_)
            napi_async_destroy(Env(), asyncContext_);
    }

    // The event epoll reported for us (OnSetReadable found us by fd and
    // generation).
    void OnEvent(uint32_t events);

    // The set is closing (environment teardown): we are out of it.
    void Detach()
    {
        counted_ = false;  // the set goes whole: no count to keep
        active_ = false;
        set_ = nullptr;
    }

    uint32_t gen() const { return gen_; }

private:
    bool Closed() const { return set_ == nullptr; }

    // Out of the set for good (close(), collection).
    void Leave()
    {
        if (!set_)
            return;
        Count(false);
        epoll_ctl(set_->epfd, EPOLL_CTL_DEL, fd_, nullptr);
        auto it = set_->byFd.find(fd_);
        if (it != set_->byFd.end() && it->second == this)
            set_->byFd.erase(it);
        set_ = nullptr;
        active_ = false;
    }

    // Whether we keep the loop alive: started and not unref()d.
    void Count(bool on)
    {
        if (on == counted_ || !set_)
            return;
        counted_ = on;
        AddRef(set_, on ? 1 : -1);
    }

    // While polling, hold our own JS object (and through it the callback).
    void SetActive(bool on)
    {
        active_ = on;
        if (on && !selfRef_) {
            Ref();
            selfRef_ = true;
        } else if (!on && selfRef_) {
            selfRef_ = false;
            Unref();
        }
        Count(active_ && loopRef_);
    }

    // The entry asks the kernel for `mask` (level-triggered), or nothing.
    // When it cannot be changed (EBADF, ENOENT: the fd was closed, or its
    // number names another file) this fd has no entry of ours any more:
    // armed_ says so, so that the next start() asks the kernel again (and
    // reports it) instead of believing an entry that is gone.
    int Set(uint32_t mask)
    {
        struct epoll_event ev = {};
        ev.events = mask ? mask : kDisarmed;
        ev.data.u64 = (static_cast<uint64_t>(gen_) << 32) | static_cast<uint32_t>(fd_);
        if (epoll_ctl(set_->epfd, EPOLL_CTL_MOD, fd_, &ev) < 0) {
            armed_ = 0;
            return -errno;
        }
        armed_ = mask;
        return 0;
    }

    uint32_t Wanted() const
    {
        return (wantReadable_ ? EPOLLIN : 0u) | (wantWritable_ ? EPOLLOUT : 0u) | (hangup_ ? 0u : EPOLLRDHUP);
    }

    // (Re)starts polling for what is wanted, or stops when that is nothing.
    int Arm()
    {
        uint32_t mask = Wanted();
        if (mask == 0) {
            if (armed_)
                Set(0);
            SetActive(false);
            return 0;
        }
        if (mask != armed_) {
            int r = Set(mask);
            if (r < 0) {
                SetActive(false);
                return r;
            }
        }
        SetActive(true);
        return 0;
    }

    Napi::Value Start(const Napi::CallbackInfo &info)
    {
        Napi::Env env = info.Env();
        bool readable, writable;
        if (!GetBool(info[0], "readable", &readable) || !GetBool(info[1], "writable", &writable))
            return Napi::Value();
        if (Closed()) {
            ThrowInvalidState(env, "the watcher is closed");
            return Napi::Value();
        }
        // Already polling for exactly this: nothing to change.
        if (active_ && readable == wantReadable_ && writable == wantWritable_)
            return env.Undefined();
        wantReadable_ = readable;
        wantWritable_ = writable;
        int r = Arm();
        // The kernel keys an entry on the fd and its file: EBADF, the fd was
        // closed; ENOENT, its number now names another file (ours is gone
        // from the set, or lives on elsewhere).
        if (r == -ENOENT) {
            ThrowInvalidState(env, "fd " + std::to_string(fd_) +
                                       " was closed and its number reused; close a watcher before its fd");
            return Napi::Value();
        }
        if (r < 0) {
            ThrowSystemError(env, r, "epoll_ctl");
            return Napi::Value();
        }
        return env.Undefined();
    }

    Napi::Value Stop(const Napi::CallbackInfo &info)
    {
        if (!Closed()) {
            if (armed_)
                Set(0);
            SetActive(false);
        }
        return info.Env().Undefined();
    }

    Napi::Value Close(const Napi::CallbackInfo &info)
    {
        if (!Closed()) {
            SetActive(false);
            Leave();
        }
        return info.Env().Undefined();
    }

    Napi::Value UnrefLoop(const Napi::CallbackInfo &info)
    {
        loopRef_ = false;
        Count(false);
        return info.Env().Undefined();
    }

    Napi::Value RefLoop(const Napi::CallbackInfo &info)
    {
        loopRef_ = true;
        Count(active_ && !Closed());
        return info.Env().Undefined();
    }

    Napi::Value GetFd(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), fd_); }
    Napi::Value GetActive(const Napi::CallbackInfo &info)
    {
        return Napi::Boolean::New(info.Env(), !Closed() && active_);
    }
    Napi::Value GetClosed(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), Closed()); }

    // After EPOLLERR: the real error, and whether there is still something
    // to read.
    int PendingError(bool *readable)
    {
        struct pollfd pfd = {fd_, POLLIN | POLLRDHUP, 0};
        if (poll(&pfd, 1, 0) == 1) {
            if (pfd.revents & POLLNVAL)
                return UV_EBADF;
            if (pfd.revents & (POLLHUP | POLLRDHUP))
                hangup_ = true;
            *readable = (pfd.revents & POLLIN) != 0;
        }
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0)
            return soerr ? -soerr : UV_EBADF;  // reading SO_ERROR clears it: no repeat
        if (errno == ENOTSOCK)
            return UV_EPIPE;  // a pipe's write end whose readers are gone
        return UV_EBADF;
    }

    PollSet *set_ = nullptr;
    uint32_t gen_ = 0;
    uint32_t armed_ = 0;  // what the entry asks the kernel for (0: nothing)
    int fd_ = -1;
    bool wantReadable_ = false;
    bool wantWritable_ = false;
    bool active_ = false;
    bool selfRef_ = false;
    bool loopRef_ = true;
    bool counted_ = false;
    bool hangup_ = false;
    Napi::FunctionReference callback_;
    napi_async_context asyncContext_ = nullptr;
};

void Watcher::OnEvent(uint32_t events)
{
    // Stopped since (or a disarmed entry's one report of ERR or HUP).
    if (!active_ || !armed_)
        return;
    // ERR or HUP alone: reported as what is watched, as libuv does.
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & (EPOLLIN | EPOLLOUT)))
        events |= armed_ & (EPOLLIN | EPOLLOUT);
    bool readable = (events & EPOLLIN) != 0;
    bool writable = (events & EPOLLOUT) != 0;
    int error = 0;
    bool stopped = false;  // by this event: drop the self reference below
    bool hungUp = (events & (EPOLLHUP | EPOLLRDHUP)) != 0 && !hangup_;
    if (hungUp)
        hangup_ = true;
    if (events & EPOLLERR) {
        error = PendingError(&readable);
        Set(0);
        stopped = true;
    } else if (hungUp) {
        // Level-triggered, and for good: stop asking for it.
        uint32_t mask = Wanted();
        int r = mask ? Set(mask) : 0;
        if (r < 0)
            error = r;
        if (!mask || r < 0) {
            Set(0);
            stopped = true;
        }
    }
    readable = readable && wantReadable_;
    writable = writable && wantWritable_;

    // Raw Node-API from here on: while the environment shuts down (a
    // worker terminating, process exit), JS may not run, calls fail with
    // napi_pending_exception and no exception pending, and node-addon-api
    // would turn that into a fatal error. Then we stop polling and leave;
    // the cleanup hook closes the set.
    napi_env env = Env();
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok)
        return;
    napi_ref selfRef = static_cast<const Napi::Reference<Napi::Object> &>(*this);
    napi_value self = nullptr, fn = nullptr, ev = nullptr, v;
    bool ok = napi_get_reference_value(env, selfRef, &self) == napi_ok && self &&
              napi_get_reference_value(env, callback_, &fn) == napi_ok && fn &&
              napi_create_object(env, &ev) == napi_ok;
    ok = ok && napi_get_boolean(env, readable, &v) == napi_ok && napi_set_named_property(env, ev, "readable", v) == napi_ok;
    ok = ok && napi_get_boolean(env, writable, &v) == napi_ok && napi_set_named_property(env, ev, "writable", v) == napi_ok;
    ok = ok && napi_get_boolean(env, hangup_, &v) == napi_ok && napi_set_named_property(env, ev, "hangup", v) == napi_ok;
    ok = ok && napi_create_int32(env, error, &v) == napi_ok && napi_set_named_property(env, ev, "error", v) == napi_ok;
    // All state is settled before JS runs: it may start, stop or close
    // us. `self` (a local) keeps the object alive through the call even
    // when the self reference goes here.
    if (stopped)
        SetActive(false);
    if (!ok) {
        bool pending = false;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
            napi_value exc;
            napi_get_and_clear_last_exception(env, &exc);
            napi_fatal_exception(env, exc);
        } else if (set_) {
            Set(0);  // shutting down: no JS any more
            active_ = false;
            Count(false);
        }
        napi_close_handle_scope(env, scope);
        return;
    }
    napi_value result;
    if (napi_make_callback(env, asyncContext_, self, fn, 1, &ev, &result) != napi_ok) {
        bool pending = false;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
            // Like any Node callback: to 'uncaughtException'.
            napi_value exc;
            napi_get_and_clear_last_exception(env, &exc);
            napi_fatal_exception(env, exc);
        }
    }
    napi_close_handle_scope(env, scope);
}

// libuv saw the set readable: take what is ready and hand each event to its
// watcher. A callback may close, stop or start any watcher (this one or
// another), or make new ones: each event's watcher is looked up afresh.
void OnSetReadable(uv_poll_t *p, int status, int)
{
    PollSet *set = static_cast<PollSet *>(p->data);
    if (status < 0 || set->closing)
        return;
    struct epoll_event evs[64];
    int n = epoll_wait(set->epfd, evs, 64, 0);
    for (int i = 0; i < n && !set->closing; i++) {
        int fd = static_cast<int>(evs[i].data.u64 & 0xffffffffu);
        uint32_t gen = static_cast<uint32_t>(evs[i].data.u64 >> 32);
        auto it = set->byFd.find(fd);
        if (it == set->byFd.end() || it->second->gen() != gen)
            continue;  // closed (or watched anew) since
        it->second->OnEvent(evs[i].events);
    }
}

void OnSetClosed(uv_handle_t *h)
{
    PollSet *set = static_cast<PollSet *>(h->data);
    close(set->epfd);
    if (set->hook)
        napi_remove_async_cleanup_hook(set->hook);
    delete set;
}

// Environment teardown: the set's handle closes so the loop can be closed
// (Node runs the loop until OnSetClosed removes the hook); its watchers are
// closed with it.
void SetCleanupHook(napi_async_cleanup_hook_handle, void *arg)
{
    PollSet *set = static_cast<PollSet *>(arg);
    set->closing = true;
    for (auto &entry : set->byFd)
        entry.second->Detach();
    set->byFd.clear();
    {
        std::lock_guard<std::mutex> lock(gSetsLock);
        gSets.erase(set->loop);
    }
    uv_close(reinterpret_cast<uv_handle_t *>(&set->poll), OnSetClosed);
}

}  // namespace

void InitWatcher(Napi::Env env, Napi::Object exports)
{
    exports.Set("Watcher", Watcher::Define(env));
    // The loop's set is made with the addon, not by its first watcher: one
    // fd, held for the environment's life from the start (a failure here is
    // reported by the first watcher, which tries again).
    uv_loop_t *loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) == napi_ok && loop)
        SetFor(env, loop);
}

}  // namespace eg
