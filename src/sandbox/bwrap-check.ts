// Whether bubblewrap is here, new enough, and can start an unprivileged
// sandbox on this kernel; and when not, what to do about it. `execgate shell
// --sandbox bwrap` checks presence and version at every start (a missing
// feature is an error, never a weaker sandbox); `execgate doctor` also
// starts one and reads the kernel's user-namespace switches.
import { childProcess } from '../runtime/lazy-builtins.js';
import { readFileSync } from 'node:fs';
import { findOnPath } from '../policy/resolve.js';
import { isolationArgs } from './bwrap.js';

export const INSTALL_BWRAP = '`sudo apt-get install bubblewrap` (Debian/Ubuntu) or `sudo dnf install bubblewrap`';

/** A probe of bwrap must never hang a start. */
const PROBE_TIMEOUT_MS = 10_000;

export type BwrapCheck = { ok: true; path: string } | { ok: false; problem: string };

/** What checkBwrap found, per PATH: a serve launching many sandboxes asks
 * `bwrap --help` once, not once per launch (it blocks the broker's loop). A
 * bwrap that went away meanwhile fails the launch itself, clearly enough. */
const checked = new Map<string, BwrapCheck>();

/** bwrap on PATH with --disable-userns (bubblewrap 0.8.0 or later). */
export function checkBwrap(pathVar = process.env.PATH ?? ''): BwrapCheck {
  let result = checked.get(pathVar);
  if (!result || !result.ok) {
    result = checkBwrapNow(pathVar);
    checked.set(pathVar, result);
  }
  return result;
}

function checkBwrapNow(pathVar: string): BwrapCheck {
  const path = findOnPath('bwrap', pathVar);
  if (path === null) return { ok: false, problem: `--sandbox bwrap needs bubblewrap, which is not installed: ${INSTALL_BWRAP}` };
  const help = childProcess().spawnSync(path, ['--help'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (help.error) return { ok: false, problem: `cannot run ${path}: ${help.error.message}` };
  if (!`${help.stdout}${help.stderr}`.includes('--disable-userns')) {
    const version = childProcess().spawnSync(path, ['--version'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS }).stdout?.trim() || 'of unknown version';
    return {
      ok: false,
      problem: `${path} (${version}) is too old: --sandbox bwrap needs --disable-userns (bubblewrap 0.8.0 or later), so that nothing in the sandbox can make a user namespace of its own; upgrade bubblewrap (Debian 12 and Ubuntu 24.04 have 0.8.0)`,
    };
  }
  return { ok: true, path };
}

/** Starts `bwrap <isolation> ... true` as the sandbox would be started. */
export function tryBwrap(path: string, uid: number, gid: number): { ok: true } | { ok: false; stderr: string } {
  const r = childProcess().spawnSync(path, [...isolationArgs(uid, gid), '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--', 'true'], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
  });
  if (r.status === 0) return { ok: true };
  return { ok: false, stderr: (r.error?.message ?? r.stderr ?? '').trim() || `exit status ${String(r.status)}` };
}

export interface UsernsSwitch {
  /** e.g. kernel.apparmor_restrict_unprivileged_userns */
  name: string;
  value: string | null;
  /** Whether this value stops an ordinary user's sandbox (root's, for
   * max_user_namespaces), and the fix. */
  blocks: boolean;
  fix: string;
}

function sysctl(name: string): string | null {
  try {
    return readFileSync(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8').trim();
  } catch {
    return null;
  }
}

export const APPARMOR_FIX =
  'Ubuntu 24.04 lets only programs with an AppArmor profile make user namespaces: give bwrap one (write /etc/apparmor.d/bwrap with `abi <abi/4.0>, include <tunables/global> profile bwrap /usr/bin/bwrap flags=(unconfined) { userns, }` and run `sudo apparmor_parser -r /etc/apparmor.d/bwrap`), or allow them for all programs: `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`';

/** The kernel switches that decide whether an unprivileged user namespace
 * can be made. Missing files mean the kernel has no such switch. */
export function usernsSwitches(root: boolean): UsernsSwitch[] {
  const out: UsernsSwitch[] = [];
  const max = sysctl('user.max_user_namespaces');
  if (max !== null) out.push({ name: 'user.max_user_namespaces', value: max, blocks: max === '0', fix: 'allow user namespaces: `sudo sysctl -w user.max_user_namespaces=10000` (and set it in /etc/sysctl.d/ to keep it)' });
  const clone = sysctl('kernel.unprivileged_userns_clone');
  if (clone !== null) out.push({ name: 'kernel.unprivileged_userns_clone', value: clone, blocks: !root && clone === '0', fix: 'allow unprivileged user namespaces: `sudo sysctl -w kernel.unprivileged_userns_clone=1` (and set it in /etc/sysctl.d/ to keep it)' });
  const apparmor = sysctl('kernel.apparmor_restrict_unprivileged_userns');
  if (apparmor !== null) out.push({ name: 'kernel.apparmor_restrict_unprivileged_userns', value: apparmor, blocks: !root && apparmor === '1', fix: APPARMOR_FIX });
  return out;
}

/** What a failed bwrap start most likely needs, from its message and the
 * kernel's switches; null if nothing known explains it. */
export function bwrapFailureFix(stderr: string, switches: UsernsSwitch[]): string | null {
  const blocking = switches.find((s) => s.blocks && s.value !== null);
  if (blocking) return `${blocking.name} = ${blocking.value}: ${blocking.fix}`;
  // AppArmor's denial reads like this even where the sysctl is not readable.
  if (/setting up uid map: Permission denied|loopback: Failed RTM_NEWADDR: Operation not permitted/.test(stderr)) return APPARMOR_FIX;
  if (/No space left on device/.test(stderr)) return switches.find((s) => s.name === 'user.max_user_namespaces')?.fix ?? null;
  return null;
}
