#include "util.h"

#include <uv.h>

#include <cmath>
#include <limits>

namespace eg {

Napi::Error SystemError(Napi::Env env, int negErrno, const char *syscall)
{
    // The _r forms: uv_err_name() leaks for unknown codes.
    char name[64];
    char desc[256];
    uv_err_name_r(negErrno, name, sizeof(name));
    uv_strerror_r(negErrno, desc, sizeof(desc));
    Napi::Error err = Napi::Error::New(env, std::string(name) + ": " + desc + ", " + syscall);
    err.Set("errno", Napi::Number::New(env, negErrno));
    err.Set("code", Napi::String::New(env, name));
    err.Set("syscall", Napi::String::New(env, syscall));
    return err;
}

void ThrowSystemError(Napi::Env env, int negErrno, const char *syscall)
{
    SystemError(env, negErrno, syscall).ThrowAsJavaScriptException();
}

// What Node's argument errors append: "Received type string ('x')" etc.
static std::string Describe(Napi::Value v)
{
    switch (v.Type()) {
    case napi_undefined:
        return "Received undefined";
    case napi_null:
        return "Received null";
    case napi_boolean:
        return std::string("Received type boolean (") + (v.As<Napi::Boolean>().Value() ? "true" : "false") + ")";
    case napi_number: {
        Napi::String s = v.ToString();
        return "Received type number (" + (s.IsEmpty() ? std::string("?") : s.Utf8Value()) + ")";
    }
    case napi_string: {
        std::string s = v.As<Napi::String>().Utf8Value();
        if (s.size() > 28)
            s = s.substr(0, 25) + "...";
        return "Received type string ('" + s + "')";
    }
    case napi_symbol:
        return "Received type symbol";
    case napi_bigint:
        return "Received type bigint";
    case napi_function:
        return "Received function";
    case napi_object:
        if (v.IsArray())
            return "Received an instance of Array";
        if (v.IsBuffer())
            return "Received an instance of Buffer";
        if (v.IsTypedArray())
            return "Received an instance of TypedArray";
        return "Received an instance of Object";
    default:
        return "Received type " + std::to_string(static_cast<int>(v.Type()));
    }
}

static void ThrowTypeError(Napi::Env env, const char *code, const std::string &msg)
{
    Napi::TypeError err = Napi::TypeError::New(env, msg);
    err.Set("code", Napi::String::New(env, code));
    err.ThrowAsJavaScriptException();
}

void ThrowArgType(Napi::Env env, const char *name, const char *expected, Napi::Value got)
{
    ThrowTypeError(env, "ERR_INVALID_ARG_TYPE",
                   std::string("The \"") + name + "\" argument must be " + expected + ". " + Describe(got));
}

void ThrowArgValue(Napi::Env env, const char *name, const std::string &must, Napi::Value got)
{
    // Node shows the value itself here: "Received 1.5", "Received 'tcp'".
    std::string received;
    if (got.IsNumber()) {
        Napi::String s = got.ToString();
        received = "Received " + (s.IsEmpty() ? std::string("?") : s.Utf8Value());
    } else if (got.IsString()) {
        std::string s = got.As<Napi::String>().Utf8Value();
        received = "Received '" + (s.size() > 28 ? s.substr(0, 25) + "..." : s) + "'";
    } else {
        received = Describe(got);
    }
    ThrowTypeError(env, "ERR_INVALID_ARG_VALUE", std::string("The argument '") + name + "' " + must + ". " + received);
}

void ThrowInvalidState(Napi::Env env, const std::string &what)
{
    Napi::Error err = Napi::Error::New(env, "Invalid state: " + what);
    err.Set("code", Napi::String::New(env, "ERR_INVALID_STATE"));
    err.ThrowAsJavaScriptException();
}

bool GetInt(Napi::Value v, const char *name, int64_t min, int64_t max, int64_t *out)
{
    if (!v.IsNumber()) {
        ThrowArgType(v.Env(), name, "of type number", v);
        return false;
    }
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::trunc(d) != d || d < static_cast<double>(min) ||
        d > static_cast<double>(max)) {
        ThrowArgValue(v.Env(), name,
                      "must be an integer >= " + std::to_string(min) + " and <= " + std::to_string(max), v);
        return false;
    }
    *out = static_cast<int64_t>(d);
    return true;
}

bool GetFd(Napi::Value v, const char *name, int *out)
{
    int64_t n;
    if (!GetInt(v, name, 0, std::numeric_limits<int>::max(), &n))
        return false;
    *out = static_cast<int>(n);
    return true;
}

bool GetBool(Napi::Value v, const char *name, bool *out)
{
    if (!v.IsBoolean()) {
        ThrowArgType(v.Env(), name, "of type boolean", v);
        return false;
    }
    *out = v.As<Napi::Boolean>().Value();
    return true;
}

}  // namespace eg
