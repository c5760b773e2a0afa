# Generated from native/sources.json and native/flags.txt by
# `node scripts/check-build-drift.mjs --write`: edit those, then run it.
# `node scripts/check-build-drift.mjs` (CI) fails when this file is stale.

# native/flags.txt: every target, every build.
WARNINGS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wformat=2",
    "-Wundef",
    "-Wconversion",
    "-Wsign-conversion",
    "-Wpointer-arith",
    "-Wvla",
    "-Wmissing-declarations",
    "-Wno-unused-parameter",
]

# fdpass
FDPASS_SRCS = [
    "native/common/fdpass.c",
]
FDPASS_DEFINES = [
    "_GNU_SOURCE",
]

# codec
CODEC_SRCS = [
    "native/common/codec.c",
]
CODEC_DEFINES = [
    "_GNU_SOURCE",
]

# say
SAY_SRCS = [
    "native/common/say.c",
]
SAY_DEFINES = [
    "_GNU_SOURCE",
]

# closefds
CLOSEFDS_SRCS = [
    "native/common/closefds.c",
]
CLOSEFDS_DEFINES = [
    "_GNU_SOURCE",
]

# addon (uses fdpass, closefds: deps in BUILD.bazel)
ADDON_SRCS = [
    "native/addon/module.cc",
    "native/addon/seccomp.cc",
    "native/addon/spawn.cc",
    "native/addon/syscalls.cc",
    "native/addon/util.cc",
    "native/addon/watcher.cc",
]
ADDON_DEFINES = [
    "NAPI_VERSION=8",
    "NAPI_DISABLE_CPP_EXCEPTIONS",
    "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
]

# wrapper (uses fdpass, codec, say, closefds: deps in BUILD.bazel)
WRAPPER_SRCS = [
    "native/wrapper/main.c",
    "native/wrapper/backstop.c",
    "native/wrapper/mcp_supervisor.c",
]
WRAPPER_DEFINES = [
    "_GNU_SOURCE",
]

# launch (uses fdpass, codec, say: deps in BUILD.bazel)
LAUNCH_SRCS = [
    "native/launch/main.c",
    "native/launch/messages.c",
]
LAUNCH_DEFINES = [
    "_GNU_SOURCE",
]

# spawn (uses fdpass, closefds: deps in BUILD.bazel)
SPAWN_SRCS = [
    "native/spawn/main.c",
    "native/spawn/spec.c",
    "native/spawn/supervise.c",
]
SPAWN_DEFINES = [
    "_GNU_SOURCE",
]
