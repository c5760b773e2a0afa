// Errors and argument checks shared by the addon's functions. Errors are
// shaped like Node's own: system errors carry code/errno/syscall (errno
// negative, as libuv), argument errors are TypeErrors with Node's codes.
// With NAPI_DISABLE_CPP_EXCEPTIONS, every Throw* leaves a pending exception
// and the caller returns at once.
#ifndef EXECGATE_ADDON_UTIL_H
#define EXECGATE_ADDON_UTIL_H

#include <napi.h>

#include <string>

namespace eg {

// A Node-style system error for a negative uv/errno code, e.g.
// "EAGAIN: resource temporarily unavailable, recvmsg".
Napi::Error SystemError(Napi::Env env, int negErrno, const char *syscall);
void ThrowSystemError(Napi::Env env, int negErrno, const char *syscall);

// TypeError with code ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE.
void ThrowArgType(Napi::Env env, const char *name, const char *expected, Napi::Value got);
void ThrowArgValue(Napi::Env env, const char *name, const std::string &must, Napi::Value got);
// Error with code ERR_INVALID_STATE ("Invalid state: ...").
void ThrowInvalidState(Napi::Env env, const std::string &what);

// Argument readers: return false (exception pending) when the argument is
// not what they read.
bool GetInt(Napi::Value v, const char *name, int64_t min, int64_t max, int64_t *out);
bool GetFd(Napi::Value v, const char *name, int *out);
bool GetBool(Napi::Value v, const char *name, bool *out);

}  // namespace eg

#endif
