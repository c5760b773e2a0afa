// Who the shell is inside the sandbox. The sandbox always runs in a user
// namespace of its own with no capabilities, and exactly one uid and gid are
// mapped: the inside ones, both standing for the caller's own uid and gid on
// the host. So files the sandbox creates belong to the caller on the host,
// and the caller's files (the project) belong to the user inside; every
// other host uid shows as the overflow uid (65534).
//
// A caller who is root gets a non-root uid inside by default: many tools
// behave differently as root (and some agents refuse to run unattended as
// root), and root inside would still be root in name only. `--sandbox-uid 0`
// asks for root inside anyway; it holds no capability either way.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/** The uid (and gid) inside when the caller is root and asks for none. */
export const DEFAULT_ROOT_SANDBOX_UID = 1000;
/** The name of the inside user when it is not the caller's own uid (and not 0). */
export const SANDBOX_USER_NAME = 'sandbox';

export interface SandboxIdentity {
  uid: number;
  gid: number;
  /** USER and LOGNAME inside. */
  name: string;
  /** Replacements for /etc/passwd and /etc/group inside, when the inside
   * uid is not the caller's (the host's files would name someone else, or
   * no one, which breaks `whoami`, `git commit` and os.userInfo()). */
  passwd: string | null;
  group: string | null;
}

export interface Caller {
  uid: number;
  gid: number;
  name: string;
}

export function currentCaller(): Caller {
  let name = 'user';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry for us: keep the placeholder
  }
  return { uid: process.getuid!(), gid: process.getgid!(), name };
}

/** Parses --sandbox-uid: a uid the kernel can map (not -1, not the overflow). */
export function parseSandboxUid(v: string): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n >= 0xffff_fffe || n === 65534) throw new Error(`--sandbox-uid must be a uid from 0 to 4294967293 other than 65534, not ${v}`);
  return n;
}

/** Root: the requested uid, else DEFAULT_ROOT_SANDBOX_UID. Anyone else:
 * the requested uid, else their own. The gid follows the uid when it is not
 * the caller's own. */
export function sandboxIdentity(caller: Caller, requested: number | null, home: string, readEtc: (file: string) => string = readEtcFile): SandboxIdentity {
  const uid = requested ?? (caller.uid === 0 ? DEFAULT_ROOT_SANDBOX_UID : caller.uid);
  if (uid === caller.uid) return { uid, gid: caller.gid, name: caller.name, passwd: null, group: null };
  const gid = uid;
  const name = uid === 0 ? 'root' : SANDBOX_USER_NAME;
  const keep = (text: string, id: number) =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .filter((line) => {
        const f = line.split(':');
        return f[0] !== name && f[2] !== String(id);
      });
  const passwd = [...keep(readEtc('/etc/passwd'), uid), `${name}:x:${uid}:${gid}:execgate sandbox:${home}:/bin/bash`].join('\n') + '\n';
  const group = [...keep(readEtc('/etc/group'), gid), `${name}:x:${gid}:`].join('\n') + '\n';
  return { uid, gid, name, passwd, group };
}

function readEtcFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
