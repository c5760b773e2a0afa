// The addon's pieces: plain syscalls (syscalls.cc), the fd watcher
// (watcher.cc), the seccomp backstop's listener calls (seccomp.cc) and
// starting a child (spawn.cc), registered by module.cc.
#ifndef EXECGATE_ADDON_ADDON_H
#define EXECGATE_ADDON_ADDON_H

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace eg {

// recv(): maxBytes is capped here (the protocol's largest frame is 4 MiB).
constexpr int64_t kMaxRecvBytes = 8 * 1024 * 1024;
// recv() reads up to this many bytes into a per-environment scratch buffer
// and copies out what arrived; bigger reads go into a buffer sized by what the
// socket holds (SIOCINQ), copied out too.
constexpr size_t kScratchBytes = 64 * 1024;

// Per-environment (main thread, each worker) state.
struct AddonData {
    std::unique_ptr<uint8_t[]> scratch;  // kScratchBytes, allocated on first use
};

AddonData *GetAddonData(Napi::Env env);

void InitSyscalls(Napi::Env env, Napi::Object exports);
void InitWatcher(Napi::Env env, Napi::Object exports);
void InitSeccomp(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);

}  // namespace eg

#endif
