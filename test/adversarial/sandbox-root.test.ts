// Red-team finding: started as root, `--sandbox bwrap` left every capability
// in the sandbox, so the agent could remount a read-only host bind writable,
// open hidden host files by handle (the broker's control socket among them)
// and make user namespaces of its own. Each attack runs through the real
// `execgate shell --sandbox bwrap -c ...`, as root and as an ordinary user.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProbe, removeUserDirs, sandboxUsers, shellAs, userDir, type SandboxUser } from './sandbox-users.js';

let probe: string;
beforeAll(() => {
  probe = buildProbe();
});
afterAll(removeUserDirs);

const bwrap = (project: string, ...more: string[]) => ['--sandbox', 'bwrap', '--project', project, ...more];

/** A host directory, read-only inside at /data, with a file to attack. */
function victim(user: SandboxUser): { dir: string; file: string } {
  const dir = userDir(user, 'eg-data-');
  const file = join(dir, 'victim');
  writeFileSync(file, 'original\n');
  chownSync(file, user.uid, user.gid);
  return { dir, file };
}

describe.each(sandboxUsers())('the sandbox started by $label holds no privilege', (user) => {
  it.skipIf(user.skip !== null)(`has no effective capability (${user.skip ?? 'runs'})`, async () => {
    const project = userDir(user, 'eg-proj-');
    const r = await shellAs(user, 'grep -E "^Cap(Eff|Prm|Amb):" /proc/self/status', { flags: bwrap(project), cwd: project });
    expect(r.stderr).not.toContain('execgate: internal error');
    expect(r.stdout).toBe('CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n');
  });

  it.skipIf(user.skip !== null)('cannot remount a read-only host bind writable and write through it', async () => {
    const project = userDir(user, 'eg-proj-');
    const { dir, file } = victim(user);
    const r = await shellAs(user, 'mount -o remount,rw,bind /data 2>/dev/null; mount -o remount,rw /data 2>/dev/null; echo pwned 2>/dev/null > /data/victim; echo "write $?"', {
      flags: bwrap(project, '--ro-bind', `${dir}:/data`),
      cwd: project,
    });
    expect(r.stdout).toBe('write 1\n');
    expect(readFileSync(file, 'utf8')).toBe('original\n');
  });

  it.skipIf(user.skip !== null)('cannot write or create files in a read-only bind', async () => {
    const project = userDir(user, 'eg-proj-');
    const { dir, file } = victim(user);
    const r = await shellAs(user, 'echo pwned 2>/dev/null > /data/victim; echo "write $?"; touch /data/new 2>/dev/null; echo "create $?"', {
      flags: bwrap(project, '--ro-bind', `${dir}:/data`),
      cwd: project,
    });
    expect(r.stdout).toBe('write 1\ncreate 1\n');
    expect(readFileSync(file, 'utf8')).toBe('original\n');
  });

  it.skipIf(user.skip !== null)('cannot open a hidden host file by its handle (open_by_handle_at)', async () => {
    const project = userDir(user, 'eg-proj-');
    // The broker's private directory, hidden inside the sandbox: the secret
    // sits where the control socket would.
    const xdg = userDir(user, 'eg-xdg-', 0o700);
    const control = join(xdg, `execgate-${user.uid}`);
    mkdirSync(control, { mode: 0o700 });
    chownSync(control, user.uid, user.gid);
    const secret = join(control, 'secret');
    writeFileSync(secret, 'the broker secret\n', { mode: 0o600 });
    chownSync(secret, user.uid, user.gid);
    const [type, hex] = execFileSync(probe, ['handle', secret], { encoding: 'utf8' }).trim().split(' ');
    // /var/tmp is bound read-only inside and lies on the secret's file system.
    const r = await shellAs(user, `${probe} open-handle /var/tmp ${type} ${hex}; echo "status $?"`, {
      flags: bwrap(project),
      cwd: project,
      env: { XDG_RUNTIME_DIR: xdg },
    });
    expect(r.stdout).not.toContain('the broker secret');
    expect(r.stdout).toBe('status 1\n');
    expect(r.stderr).toContain('open-handle: open_by_handle_at: Operation not permitted');
  });

  it.skipIf(user.skip !== null)('cannot make a user namespace of its own', async () => {
    const project = userDir(user, 'eg-proj-');
    const r = await shellAs(user, 'unshare -U true 2>/dev/null; echo "userns $?"; unshare -Ur true 2>/dev/null; echo "userns-root $?"', { flags: bwrap(project), cwd: project });
    expect(r.stdout).toMatch(/^userns [1-9]\d*\nuserns-root [1-9]\d*\n$/);
  });
});
