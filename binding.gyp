# The native targets for node-gyp: the same as native/CMakeLists.txt (the
# cmake-js build that `npm install` runs), from the same lists: sources and
# defines from native/sources.json, warnings from native/flags.txt (read
# through native/sources.mjs). npm never runs this file itself
# (package.json: "gypfile": false).
#
#   npx node-gyp configure build --nodedir=/usr      # offline, with Node's headers in /usr/include/node
#   EXECGATE_NATIVE_DIR=build/Release npx execgate shell
#
# puts execgate.node, execgate-wrapper, execgate-spawn, sandbox-bin/execgate,
# execgate-launch and shim/{bash,sh} into build/Release. Not `node-gyp rebuild` or `node-gyp clean` in a working
# tree: they delete all of build/, cmake-js's build/native and the patched
# bash included.
{
  'targets': [
    {
      # The addon: build/Release/execgate.node.
      'target_name': 'execgate',
      'sources': ['<!@(node native/sources.mjs addon sources)'],
      'defines': ['<!@(node native/sources.mjs addon defines)'],
      'include_dirs': ['native/common'],
      # node-addon-api's headers as system headers: our warnings are for our code.
      'cflags': ['<!@(node native/sources.mjs flags)', '-isystem', '<!(node native/sources.mjs napi-include)'],
      'cflags_c': ['-std=gnu11'],
      'cflags_cc': ['-std=gnu++17'],
    },
    {
      # The host-side spawn server, static like the wrapper (it forks twice
      # per escalation, and a static process forks cheaper):
      # build/Release/execgate-spawn.
      'target_name': 'execgate-spawn',
      'type': 'none',
      'actions': [
        {
          'action_name': 'execgate_spawn',
          'inputs': [
            'native/build-static.mjs',
            'native/sources.mjs',
            'native/sources.json',
            'native/flags.txt',
            '<!@(node native/sources.mjs spawn sources)',
            '<!@(node native/sources.mjs spawn headers)',
          ],
          'outputs': ['<(PRODUCT_DIR)/execgate-spawn'],
          'action': ['node', 'native/build-static.mjs', 'spawn', '<@(_outputs)'],
        },
      ],
    },
    {
      # The wrapper, static (musl-gcc when installed, else static glibc):
      # build/Release/execgate-wrapper. gyp has no per-target compiler, so
      # an action builds it, as CMake's custom command does.
      'target_name': 'execgate-wrapper',
      'type': 'none',
      'actions': [
        {
          'action_name': 'execgate_wrapper',
          'inputs': [
            'native/build-static.mjs',
            'native/sources.mjs',
            'native/sources.json',
            'native/flags.txt',
            '<!@(node native/sources.mjs wrapper sources)',
            '<!@(node native/sources.mjs wrapper headers)',
          ],
          'outputs': ['<(PRODUCT_DIR)/execgate-wrapper'],
          'action': ['node', 'native/build-static.mjs', 'wrapper', '<@(_outputs)'],
        },
      ],
    },
    {
      # The launcher (`execgate shell --broker`, the shell shim), static like
      # the wrapper: build/Release/execgate-launch.
      'target_name': 'execgate-launch',
      'type': 'none',
      'actions': [
        {
          'action_name': 'execgate_launch',
          'inputs': [
            'native/build-static.mjs',
            'native/sources.mjs',
            'native/sources.json',
            'native/flags.txt',
            '<!@(node native/sources.mjs launch sources)',
            '<!@(node native/sources.mjs launch headers)',
          ],
          'outputs': ['<(PRODUCT_DIR)/execgate-launch'],
          'action': ['node', 'native/build-static.mjs', 'launch', '<@(_outputs)'],
        },
      ],
    },
    {
      # The shell shim: build/Release/shim/{bash,sh} -> ../execgate-launch.
      'target_name': 'shim',
      'type': 'none',
      'dependencies': ['execgate-launch'],
      'actions': [
        {
          'action_name': 'shim_bash',
          'inputs': ['<(PRODUCT_DIR)/execgate-launch'],
          'outputs': ['<(PRODUCT_DIR)/shim/bash'],
          'action': ['ln', '-sfn', '../execgate-launch', '<@(_outputs)'],
        },
        {
          'action_name': 'shim_sh',
          'inputs': ['<(PRODUCT_DIR)/execgate-launch'],
          'outputs': ['<(PRODUCT_DIR)/shim/sh'],
          'action': ['ln', '-sfn', '../execgate-launch', '<@(_outputs)'],
        },
      ],
    },
    {
      # Inside a session the wrapper doubles as `execgate` (run, notify):
      # build/Release/sandbox-bin/execgate -> ../execgate-wrapper.
      'target_name': 'sandbox-bin',
      'type': 'none',
      'dependencies': ['execgate-wrapper'],
      'actions': [
        {
          'action_name': 'sandbox_bin',
          'inputs': ['<(PRODUCT_DIR)/execgate-wrapper'],
          'outputs': ['<(PRODUCT_DIR)/sandbox-bin/execgate'],
          'action': ['ln', '-sfn', '../execgate-wrapper', '<@(_outputs)'],
        },
      ],
    },
  ],
}
