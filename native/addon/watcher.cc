// Watcher: readiness of one fd on Node's own event loop (uv_poll), for what
// net.Socket refuses (SOCK_SEQPACKET) or must not own (fds that TS owns).
//
//   new Watcher(fd, onEvent)   onEvent({ readable, writable, hangup, error })
//   start(readable, writable)  (re)arm; start(false, false) watches hangup only
//   stop()  close()  unref()  ref()   fd  active  closed
//
// Rules kept here:
//  * The watcher never closes, reads or writes the fd, and leaves its
//    O_NONBLOCK flag as it found it (libuv sets it; we put it back).
//  * hangup (the peer closed, or shut down its writing side) is permanent
//    once seen: it is true in that event and every later one, and the
//    watcher stops asking the kernel for it, so a hung-up fd nobody reads
//    does not spin the loop. A watcher with nothing else to watch stops.
//  * error (a negative errno: the socket's pending SO_ERROR, e.g. ECONNRESET;
//    EBADF if the fd is gone) stops the watcher; start() again to resume.
//  * start() with what is already being polled for changes nothing (it
//    costs no system call): owners may re-arm after every event.
//  * A started watcher keeps the process alive, unless unref() said it
//    must not (uv_unref: the loop may end while it polls); ref() undoes
//    that (uv_ref).
//  * While polling, the watcher keeps itself (and so its callback) alive;
//    stopped or closed, it can be collected, which closes the uv handle.
//    close() is safe from inside onEvent; a closed watcher never keeps the
//    process alive; at environment teardown (exit, worker end) open handles
//    are closed by an async cleanup hook so the loop can close.
//  * onEvent runs through a callback scope whose async resource is the
//    watcher, like Node's own handles: microtasks and nextTicks run after it,
//    AsyncLocalStorage sees the store of where the watcher was made, and an
//    exception it throws goes to 'uncaughtException'.
#include "addon.h"
#include "util.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <mutex>
#include <set>
#include <utility>

namespace eg {
namespace {

class Watcher;

// The uv handle lives apart from the Watcher: it must outlive it until
// libuv's close callback, and may be closed by the teardown hook first.
struct PollHandle {
    uv_poll_t poll;
    Watcher *owner = nullptr;
    napi_async_cleanup_hook_handle hook = nullptr;
    uv_loop_t *loop = nullptr;
    int fd = -1;
    bool closing = false;
};

// libuv allows one poll handle per fd and loop; a second one would silently
// never fire. Which (loop, fd) pairs have an open watcher:
std::mutex gWatchedLock;
std::set<std::pair<uv_loop_t *, int>> gWatched;

bool Register(uv_loop_t *loop, int fd)
{
    std::lock_guard<std::mutex> lock(gWatchedLock);
    return gWatched.emplace(loop, fd).second;
}

void Unregister(uv_loop_t *loop, int fd)
{
    std::lock_guard<std::mutex> lock(gWatchedLock);
    gWatched.erase({loop, fd});
}

void OnClosed(uv_handle_t *h);

// Starts closing the uv handle; the PollHandle is freed in OnClosed.
void BeginClose(PollHandle *ph)
{
    if (ph->closing)
        return;
    ph->closing = true;
    Unregister(ph->loop, ph->fd);
    uv_close(reinterpret_cast<uv_handle_t *>(&ph->poll), OnClosed);
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
        struct stat st;
        if (fstat(fd, &st) < 0) {
            ThrowSystemError(env, -errno, "fstat");
            return;
        }
        uv_loop_t *loop = nullptr;
        if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
            ThrowInvalidState(env, "no event loop");
            return;
        }
        if (!Register(loop, fd)) {
            ThrowSystemError(env, UV_EEXIST, "uv_poll_init");
            return;
        }
        int flags = fcntl(fd, F_GETFL);
        PollHandle *ph = new PollHandle();
        ph->loop = loop;
        ph->fd = fd;
        int r = uv_poll_init(loop, &ph->poll, fd);
        if (r < 0) {
            delete ph;
            Unregister(loop, fd);
            ThrowSystemError(env, r, "uv_poll_init");
            return;
        }
        // uv_poll_init made the fd O_NONBLOCK. The file description may be
        // shared (with the sandbox, say), and nothing here needs it: put back
        // what it was.
        if (flags >= 0 && !(flags & O_NONBLOCK))
            fcntl(fd, F_SETFL, flags);
        ph->poll.data = ph;
        ph->owner = this;
        handle_ = ph;
        fd_ = fd;
        dev_ = st.st_dev;
        ino_ = st.st_ino;
        napi_add_async_cleanup_hook(env, CleanupHook, ph, &ph->hook);

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
        if (handle_) {
            handle_->owner = nullptr;
            BeginClose(handle_);
            handle_ = nullptr;
        }
        if (asyncContext_)
            napi_async_destroy(Env(), asyncContext_);
    }

private:
    bool Closed() const { return !handle_ || handle_->closing; }

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
    }

    // (Re)starts polling for what is wanted, or stops when that is nothing.
    int Arm()
    {
        int mask = (wantReadable_ ? UV_READABLE : 0) | (wantWritable_ ? UV_WRITABLE : 0) |
                   (hangup_ ? 0 : UV_DISCONNECT);
        if (mask == 0) {
            uv_poll_stop(&handle_->poll);
            SetActive(false);
            return 0;
        }
        int r = uv_poll_start(&handle_->poll, mask, OnPollCb);
        if (r < 0) {
            uv_poll_stop(&handle_->poll);
            SetActive(false);
            return r;
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
        // Already polling for exactly this: nothing to change, in the kernel
        // or in libuv (restarting costs an fstat and two epoll_ctl, and
        // owners re-arm after every event).
        if (active_ && readable == wantReadable_ && writable == wantWritable_)
            return env.Undefined();
        // libuv aborts the process if epoll_ctl fails on a closed fd, so the
        // fd is checked here: still open, and still the file we were given
        // (not a new one that took over the number).
        struct stat st;
        if (fstat(fd_, &st) < 0) {
            ThrowSystemError(env, -errno, "uv_poll_start");
            return Napi::Value();
        }
        if (st.st_dev != dev_ || st.st_ino != ino_) {
            ThrowInvalidState(env, "fd " + std::to_string(fd_) +
                                       " was closed and its number reused; close a watcher before its fd");
            return Napi::Value();
        }
        wantReadable_ = readable;
        wantWritable_ = writable;
        int r = Arm();
        if (r < 0) {
            ThrowSystemError(env, r, "uv_poll_start");
            return Napi::Value();
        }
        return env.Undefined();
    }

    Napi::Value Stop(const Napi::CallbackInfo &info)
    {
        if (!Closed()) {
            uv_poll_stop(&handle_->poll);
            SetActive(false);
        }
        return info.Env().Undefined();
    }

    Napi::Value Close(const Napi::CallbackInfo &info)
    {
        if (!Closed()) {
            SetActive(false);
            BeginClose(handle_);
        }
        return info.Env().Undefined();
    }

    Napi::Value UnrefLoop(const Napi::CallbackInfo &info)
    {
        if (!Closed())
            uv_unref(reinterpret_cast<uv_handle_t *>(&handle_->poll));
        return info.Env().Undefined();
    }

    Napi::Value RefLoop(const Napi::CallbackInfo &info)
    {
        if (!Closed())
            uv_ref(reinterpret_cast<uv_handle_t *>(&handle_->poll));
        return info.Env().Undefined();
    }

    Napi::Value GetFd(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), fd_); }
    Napi::Value GetActive(const Napi::CallbackInfo &info)
    {
        return Napi::Boolean::New(info.Env(), !Closed() && active_);
    }
    Napi::Value GetClosed(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), Closed()); }

    // After POLLERR (libuv reports it as UV_EBADF and stops the handle): the
    // real error, and whether there is still something to read.
    int PendingError(int status, bool *readable)
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
            return soerr ? -soerr : status;  // reading SO_ERROR clears it: no repeat
        if (errno == ENOTSOCK)
            return UV_EPIPE;  // a pipe's write end whose readers are gone
        return status;
    }

    void OnPoll(int status, int events)
    {
        bool readable = (events & UV_READABLE) != 0;
        bool writable = (events & UV_WRITABLE) != 0;
        int error = 0;
        bool stopped = false;  // by this event: drop the self reference below
        if (events & UV_DISCONNECT)
            hangup_ = true;
        if (status < 0) {
            error = PendingError(status, &readable);
            uv_poll_stop(&handle_->poll);  // libuv stopped it already; make it so for us
            stopped = true;
        } else if (events & UV_DISCONNECT) {
            // Level-triggered, and for good: stop asking for it.
            int mask = (wantReadable_ ? UV_READABLE : 0) | (wantWritable_ ? UV_WRITABLE : 0);
            int r = mask ? uv_poll_start(&handle_->poll, mask, OnPollCb) : 0;
            if (r < 0)
                error = r;
            if (!mask || r < 0) {
                uv_poll_stop(&handle_->poll);
                stopped = true;
            }
        }
        readable = readable && wantReadable_;
        writable = writable && wantWritable_;

        // Raw Node-API from here on: while the environment shuts down (a
        // worker terminating, process exit), libuv still runs this callback
        // but JS may not run, calls fail with napi_pending_exception and no
        // exception pending, and node-addon-api would turn that into a fatal
        // error. Then we stop polling and leave; the cleanup hook closes us.
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
            } else {
                uv_poll_stop(&handle_->poll);  // shutting down: no JS any more
                active_ = false;
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

    static void OnPollCb(uv_poll_t *p, int status, int events)
    {
        PollHandle *ph = static_cast<PollHandle *>(p->data);
        if (ph->closing || !ph->owner)
            return;
        ph->owner->OnPoll(status, events);
    }

    // Environment teardown: close the handle so the loop can be closed; Node
    // runs the loop until OnClosed removes the hook.
    static void CleanupHook(napi_async_cleanup_hook_handle, void *arg)
    {
        PollHandle *ph = static_cast<PollHandle *>(arg);
        if (ph->owner)
            ph->owner->active_ = false;
        BeginClose(ph);
    }

    friend void OnClosed(uv_handle_t *h);

    PollHandle *handle_ = nullptr;
    int fd_ = -1;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
    bool wantReadable_ = false;
    bool wantWritable_ = false;
    bool active_ = false;
    bool selfRef_ = false;
    bool hangup_ = false;
    Napi::FunctionReference callback_;
    napi_async_context asyncContext_ = nullptr;
};

void OnClosed(uv_handle_t *h)
{
    PollHandle *ph = static_cast<PollHandle *>(h->data);
    if (ph->owner)
        ph->owner->handle_ = nullptr;
    if (ph->hook)
        napi_remove_async_cleanup_hook(ph->hook);
    delete ph;
}

}  // namespace

void InitWatcher(Napi::Env env, Napi::Object exports)
{
    exports.Set("Watcher", Watcher::Define(env));
}

}  // namespace eg
