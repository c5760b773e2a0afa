"""The headers the addon compiles against, as the repository @node_headers.

:node_headers: Node's own (node_api.h, js_native_api.h, uv.h), from
$npm_config_nodedir/include/node when set (as node-gyp and cmake-js read it),
else <prefix>/include/node beside the `node` on PATH (Debian's and nodesource's
nodejs, the official tarballs, nvm). :node_addon_api: node-addon-api's, from
node_modules (run `npm install` first). Both are system includes for the
targets that depend on them, so that the strict warnings apply to our code only.
"""

_BUILD = """\
cc_library(
    name = "node_headers",
    hdrs = glob(["node/*.h", "node/uv/*.h"]),
    includes = ["node"],
    visibility = ["//visibility:public"],
)

cc_library(
    name = "node_addon_api",
    hdrs = glob(["node-addon-api/*.h"]),
    includes = ["node-addon-api"],
    visibility = ["//visibility:public"],
    deps = [":node_headers"],
)
"""

def _node_include_dir(rctx):
    nodedir = rctx.os.environ.get("npm_config_nodedir", "")
    if nodedir:
        return rctx.path(nodedir + "/include/node"), "npm_config_nodedir=" + nodedir
    node = rctx.which("node")
    if not node:
        fail("@node_headers: no `node` on PATH and npm_config_nodedir is not set")
    result = rctx.execute([node, "-p", "require('path').resolve(process.execPath, '../../include/node')"])
    if result.return_code != 0:
        fail("@node_headers: %s failed: %s" % (node, result.stderr))
    return rctx.path(result.stdout.strip()), "beside %s" % node

def _node_headers_impl(rctx):
    include, why = _node_include_dir(rctx)
    for header in ["node_api.h", "uv.h"]:
        if not include.get_child(header).exists:
            fail(("@node_headers: %s not found in %s (%s). Install Node's headers " +
                  "(Debian: libnode-dev, or nodesource's nodejs) or set npm_config_nodedir " +
                  "to a directory holding include/node.") % (header, include, why))
    rctx.symlink(include, "node")

    package_json = rctx.path(Label("@//:package.json"))
    napi = package_json.dirname.get_child("node_modules").get_child("node-addon-api")
    if not napi.get_child("napi.h").exists:
        fail("@node_headers: %s/napi.h not found: run `npm install` first" % napi)
    rctx.symlink(napi, "node-addon-api")
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", _BUILD)

node_headers = repository_rule(
    implementation = _node_headers_impl,
    environ = ["npm_config_nodedir", "PATH"],
    local = True,
)
