// Where brokers put their control sockets: a directory only this user can
// enter (0700, owned by us, checked), one subdirectory per broker. Never
// mounted into a sandbox, never named in a sandbox's environment.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function controlRoot(): string {
  const base = process.env.XDG_RUNTIME_DIR || tmpdir();
  return join(base, `execgate-${process.getuid?.() ?? 0}`);
}

/** Creates (or checks) the private root and a fresh directory for one broker. */
export function makeBrokerDir(root = controlRoot()): string {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const st = lstatSync(root);
  if (!st.isDirectory() || st.uid !== process.getuid?.()) {
    throw new Error(`${root} is not a directory owned by this user: refusing to put a control socket there`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(root, 0o700);
  return mkdtempSync(join(root, `broker-${process.pid}-`));
}

/** Control sockets of brokers that may be running, newest first. */
export function candidateSockets(root = controlRoot()): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('broker-'))
    .map((n) => join(root, n, 'control.sock'))
    .map((p) => {
      try {
        return { p, t: lstatSync(p).mtimeMs };
      } catch {
        return null;
      }
    })
    .filter((x): x is { p: string; t: number } => x !== null)
    .sort((a, b) => b.t - a.t)
    .map((x) => x.p);
}
