// execgate.node: the few syscalls Node lacks (socketpair, sendmsg/recvmsg with
// SCM_RIGHTS, fd flags) and a watcher for fds net.Socket refuses. Plain fds
// go to TypeScript, which owns them (src/native/addon.ts, fd.ts).
#include "addon.h"

namespace eg {

AddonData *GetAddonData(Napi::Env env)
{
    return env.GetInstanceData<AddonData>();
}

}  // namespace eg

static Napi::Object Init(Napi::Env env, Napi::Object exports)
{
    env.SetInstanceData(new eg::AddonData());
    eg::InitSyscalls(env, exports);
    eg::InitWatcher(env, exports);
    eg::InitSeccomp(env, exports);
    eg::InitSpawn(env, exports);
    return exports;
}

NODE_API_MODULE(execgate, Init)
