// Where the build puts what execgate runs. One place, so that the CLI, the
// tests and the benchmark agree. All paths are absolute.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the directory holding package.json (from src/ or dist/). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const buildDir = process.env.EXECGATE_BUILD_DIR
  ? resolve(process.env.EXECGATE_BUILD_DIR)
  : join(packageRoot, 'build');

/** cmake-js output: the addon and the wrapper. */
export const nativeDir = process.env.EXECGATE_NATIVE_DIR
  ? resolve(process.env.EXECGATE_NATIVE_DIR)
  : join(buildDir, 'native');
export const addonPath = join(nativeDir, 'execgate.node');
export const wrapperPath = join(nativeDir, 'execgate-wrapper');

/** scripts/build-bash.sh installs the patched shell here (and, for tests and
 * the benchmark, an unpatched build of the same source beside it). */
export const patchedBashPath = join(buildDir, 'bash', 'bin', 'bash');
export const unpatchedBashPath = join(buildDir, 'bash-unpatched', 'bin', 'bash');

export const protoPath = join(packageRoot, 'src', 'protocol', 'execgate.proto');

export function missingArtifacts(): string[] {
  return [addonPath, wrapperPath, spawnHelperPath, patchedBashPath].filter((p) => !existsSync(p));
}

/** Host-side helper that execs an escalated command from exact bytes. */
export const spawnHelperPath = join(nativeDir, 'execgate-spawn');

/** Holds only `execgate` (the wrapper, as the in-sandbox client): first on
 * the sandboxed shell's PATH. */
export const sandboxBinDir = join(nativeDir, 'sandbox-bin');

/** This very CLI (node + bin/execgate.js), for what runs it again (the tmux popup). */
export const cliPath = join(packageRoot, 'bin', 'execgate.js');

/** The native launcher: `execgate shell --broker SOCK` without Node
 * (bin/execgate hands it that command), and the shell shim. */
export const launcherPath = join(nativeDir, 'execgate-launch');

/** Holds `bash` and `sh`, links to the launcher: a harness's $SHELL or
 * $CLAUDE_CODE_SHELL points here to get shells attached to `execgate serve`. */
export const shimDir = join(nativeDir, 'shim');
