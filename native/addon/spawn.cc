// Starting a child without node:child_process, for the shell `execgate shell`
// starts: loading child_process costs every start-up a few ms (it brings net
// and stream along), and Node forks its whole 50 MB process for each child
// where vfork copies no page tables. The child gets exactly the fds it is
// given, by number: every other one is closed in the child before exec.
#include "addon.h"
#include "closefds.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace eg {
namespace {

// Strings of a JS array of strings (NUL-free: they become C strings).
bool GetStrings(Napi::Value v, const char *name, std::vector<std::string> *out)
{
    Napi::Env env = v.Env();
    if (!v.IsArray()) {
        ThrowArgType(env, name, "an array", v);
        return false;
    }
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
        Napi::Value s = a.Get(i);
        if (!s.IsString()) {
            ThrowArgType(env, name, "an array of strings", v);
            return false;
        }
        std::string str = s.As<Napi::String>().Utf8Value();
        if (str.find('\0') != std::string::npos) {
            ThrowArgValue(env, name, "must not contain NUL bytes", v);
            return false;
        }
        out->push_back(std::move(str));
    }
    return true;
}

std::vector<char *> CStrings(std::vector<std::string> &v)
{
    std::vector<char *> p;
    for (auto &s : v)
        p.push_back(s.data());
    p.push_back(nullptr);
    return p;
}

// The kernel's struct sigaction: glibc's sigaction() refuses its own
// internal signals (32, 33), which an exec'd program must not inherit
// ignored (glibc's posix_spawn leaves them so).
struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};
constexpr int kMaxSignal = 64;

// vfork, then in the child: every signal back to its default, the fds into
// place, the mask cleared, execve. All signals stay blocked from before the
// vfork until the child's handlers are reset: a handler of ours must never
// run in the child, which shares our memory. The child's execve error comes
// back through our memory too (vfork suspends us until it execs or exits).
// The pid, or -errno with *syscall naming what failed.
pid_t SpawnChild(const char *file, char *const *argv, char *const *envp, const std::vector<int> &fds, int top,
                 bool new_session, const char **syscall_name)
{
    uint64_t all = ~uint64_t{0}, old = 0, none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(all));
    volatile int child_errno = 0;
    const int *map = fds.data();
    const int n = static_cast<int>(fds.size());
    pid_t pid = vfork();
    if (pid == 0) {
        KernelSigaction dfl = { SIG_DFL, 0, nullptr, 0 };
        for (int sig = 1; sig <= kMaxSignal; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(uint64_t));
        // Two steps, so that no source is overwritten before it is copied
        // (3 -> 5 and 5 -> 3): each source first above every fd named, then
        // into place. dup2 to another number also clears close-on-exec,
        // which an fd passed as itself (0 -> 0) needs.
        int err = 0;
        // (A fresh child leads no group, so setsid cannot fail with EPERM.)
        if (new_session && setsid() < 0)
            err = errno;
        for (int i = 0; i < n && !err; i++)
            if (map[i] >= 0 && dup2(map[i], top + 1 + i) < 0)
                err = errno;
        for (int i = 0; i < n && !err; i++) {
            if (map[i] < 0) {
                close(i);
            } else if (dup2(top + 1 + i, i) < 0) {
                err = errno;
            } else {
                close(top + 1 + i);
            }
        }
        // And nothing above them: ours are close-on-exec, but not an fd
        // this process inherited open (Node marks only its lowest so), which
        // would otherwise reach the shell, and through bwrap the sandbox.
        // (vfork shares memory, not the fd table: this is the child's.)
        if (!err)
            eg_close_fds(n, -1);
        if (!err) {
            syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof(none));
            execve(file, argv, envp);
            err = errno;
        }
        child_errno = err;
        _exit(127);
    }
    int vfork_errno = errno;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, sizeof(old));
    *syscall_name = "vfork";
    if (pid < 0)
        return -vfork_errno;
    *syscall_name = "execve";
    if (child_errno != 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        return -child_errno;
    }
    return pid;
}

// spawn(file, argv, env, fds[, { newSession }]) -> pid. file: an absolute
// path (no PATH search); argv: argv[0] first; env: "NAME=value" strings;
// fds[i]: the fd of ours the child gets as its fd i, or -1 for none
// (closed); newSession: the child leads a session of its own (setsid, as
// child_process's `detached`: no terminal's signals reach it). Every signal
// at its default disposition and none blocked in the child, as exec after a
// plain fork would not leave them (Node ignores SIGPIPE). Throws the
// errno of whatever failed (syscall "execve": ENOENT, EACCES...; "vfork").
Napi::Value Spawn(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    if (!info[0].IsString()) {
        ThrowArgType(env, "file", "of type string", info[0]);
        return Napi::Value();
    }
    std::string file = info[0].As<Napi::String>().Utf8Value();
    if (file.empty() || file[0] != '/' || file.find('\0') != std::string::npos) {
        ThrowArgValue(env, "file", "must be an absolute path", info[0]);
        return Napi::Value();
    }
    std::vector<std::string> argv, envp;
    if (!GetStrings(info[1], "argv", &argv) || !GetStrings(info[2], "env", &envp))
        return Napi::Value();
    if (argv.empty()) {
        ThrowArgValue(env, "argv", "must hold argv[0] at least", info[1]);
        return Napi::Value();
    }
    if (!info[3].IsArray()) {
        ThrowArgType(env, "fds", "an array", info[3]);
        return Napi::Value();
    }
    Napi::Array fdArray = info[3].As<Napi::Array>();
    if (fdArray.Length() > 1024) {
        ThrowArgValue(env, "fds", "must have at most 1024 entries", info[3]);
        return Napi::Value();
    }
    std::vector<int> fds;
    int top = 2;
    for (uint32_t i = 0; i < fdArray.Length(); i++) {
        // No fd is above the kernel's fs.nr_open ceiling (2^30 less a few),
        // and top + 1 + i (the first step's numbers) must not overflow.
        int64_t fd;
        if (!GetInt(fdArray.Get(i), "fds[i]", -1, (1 << 30) - 1, &fd))
            return Napi::Value();
        fds.push_back(static_cast<int>(fd));
        top = std::max(top, std::max(static_cast<int>(i), static_cast<int>(fd)));
    }

    bool new_session = false;
    if (info.Length() > 4 && !info[4].IsUndefined()) {
        if (!info[4].IsObject()) {
            ThrowArgType(env, "options", "an object", info[4]);
            return Napi::Value();
        }
        Napi::Value v = info[4].As<Napi::Object>().Get("newSession");
        if (!v.IsUndefined() && !v.IsBoolean()) {
            ThrowArgType(env, "options.newSession", "a boolean", v);
            return Napi::Value();
        }
        new_session = v.IsBoolean() && v.As<Napi::Boolean>().Value();
    }

    std::vector<char *> cargv = CStrings(argv), cenv = CStrings(envp);
    const char *failed = "";
    pid_t pid = SpawnChild(file.c_str(), cargv.data(), cenv.data(), fds, top, new_session, &failed);
    if (pid < 0) {
        ThrowSystemError(env, pid, failed);
        return Napi::Value();
    }
    return Napi::Number::New(env, pid);
}

// waitPid(pid) -> null while it runs, else { code, signal } (one of them
// null), once: the child is reaped. One waitpid(WNOHANG).
Napi::Value WaitPid(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    int64_t pid;
    if (!GetInt(info[0], "pid", 1, 0x7fffffff, &pid))
        return Napi::Value();
    int status;
    pid_t got;
    do
        got = waitpid(static_cast<pid_t>(pid), &status, WNOHANG);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        ThrowSystemError(env, -errno, "waitpid");
        return Napi::Value();
    }
    if (got == 0)
        return env.Null();
    Napi::Object r = Napi::Object::New(env);
    r.Set("code", WIFEXITED(status) ? Napi::Number::New(env, WEXITSTATUS(status)) : env.Null());
    r.Set("signal", WIFSIGNALED(status) ? Napi::Number::New(env, WTERMSIG(status)) : env.Null());
    return r;
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports)
{
    exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
    exports.Set("waitPid", Napi::Function::New(env, WaitPid, "waitPid"));
}

}  // namespace eg
