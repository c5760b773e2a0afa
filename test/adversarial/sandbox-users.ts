// The sandbox's attack tests run twice: as root (the case the red team
// found) and as an ordinary user. Root is whoever runs the tests when that is
// uid 0; the ordinary user is uid 65534 through setpriv(1) when we are root,
// else ourselves. Each run gets its own HOME, XDG_RUNTIME_DIR and project,
// owned by the user who runs the shell, under /var/tmp (visible read-only
// inside the sandbox, unlike /tmp), and removed after the file's tests.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPath } from '../helpers/execgate.js';
import { runCollecting, type Ran } from '../helpers/run.js';

export interface SandboxUser {
  label: string;
  uid: number;
  gid: number;
  /** Why this user cannot be had here, or null. */
  skip: string | null;
  /** argv prefix that runs a program as this user. */
  prefix: string[];
}

const NOBODY = 65534;

function setprivWorks(): string | null {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(cliPath)}, require('fs').constants.R_OK)`]);
  if (r.error) return `setpriv(1) is not available (${r.error.message}): no way to run as a non-root user`;
  if (r.status !== 0) return `uid ${NOBODY} cannot run node on ${cliPath} (is the checkout readable by others?): ${r.stderr.toString().trim()}`;
  return null;
}

export function sandboxUsers(): SandboxUser[] {
  const me = process.getuid!();
  const root: SandboxUser = { label: 'root', uid: 0, gid: 0, skip: me === 0 ? null : 'the tests do not run as root', prefix: [] };
  if (me !== 0) return [root, { label: `uid ${me}`, uid: me, gid: process.getgid!(), skip: null, prefix: [] }];
  return [root, { label: `uid ${NOBODY}`, uid: NOBODY, gid: NOBODY, skip: setprivWorks(), prefix: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] }];
}

const made: string[] = [];

/** A fresh directory under /var/tmp owned by `user`, mode 0755 unless told. */
export function userDir(user: SandboxUser, prefix: string, mode = 0o755): string {
  const dir = mkdtempSync(join('/var/tmp', prefix));
  made.push(dir);
  chownSync(dir, user.uid, user.gid);
  chmodSync(dir, mode);
  return dir;
}

export function removeUserDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export type ShellRun = Ran;

export interface ShellOptions {
  /** execgate shell flags before -c. */
  flags: string[];
  cwd: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** `execgate shell FLAGS -c SCRIPT` as `user`, with their own HOME and
 * XDG_RUNTIME_DIR unless opts.env names others. */
export function shellAs(user: SandboxUser, script: string, opts: ShellOptions): Promise<ShellRun> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: userDir(user, 'eg-home-'),
    XDG_RUNTIME_DIR: userDir(user, 'eg-xdg-', 0o700),
    TMUX: undefined,
    TMUX_PANE: undefined,
    ...opts.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const argv = [...user.prefix, process.execPath, cliPath, 'shell', ...opts.flags, '-c', script];
  // A hung shell is killed and fails the test with what it said (code null).
  return runCollecting(argv[0]!, argv.slice(1), { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs ?? 30_000 });
}

/** Compiles test/adversarial/sandbox-probe.c into a directory everyone can
 * read (so it runs inside the sandbox as any user). */
export function buildProbe(): string {
  const dir = mkdtempSync('/var/tmp/eg-probe-');
  made.push(dir);
  chmodSync(dir, 0o755);
  const out = join(dir, 'probe');
  const r = spawnSync('cc', ['-O1', '-Wall', '-Werror', '-o', out, fileURLToPath(new URL('sandbox-probe.c', import.meta.url))], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc sandbox-probe.c failed: ${r.error?.message ?? r.stderr}`);
  return out;
}
