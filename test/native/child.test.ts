// Child (src/exec/child.ts) and the addon's spawn/waitPid under it: real
// processes, real fds.
import { mkdtempSync, openSync, readFileSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Child } from '../../src/exec/child.js';
import { isSystemError, loadAddon } from '../../src/native/addon.js';

const addon = loadAddon();
const dir = mkdtempSync(join(tmpdir(), 'eg-child-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SH = '/bin/sh';
let n = 0;
/** A file the child writes to, as its fd 1; its text once the child ended. */
function output(): { fd: number; text: () => string } {
  const file = join(dir, `out-${n++}`);
  writeFileSync(file, '');
  const fd = openSync(file, 'w');
  return { fd, text: () => readFileSync(file, 'utf8') };
}

describe('Child', () => {
  it('runs file with argv (argv[0] its own) and exactly the environment given, and reports its exit code', async () => {
    const out = output();
    const script = 'echo "$(tr "\\0" "\\n" < /proc/$$/cmdline | head -n1)|$0|$FOO|${HOME-unset}|${GONE-unset}"; exit 3';
    const child = new Child(SH, ['my-name', '-c', script, 'arg1'], { env: { PATH: '/usr/bin:/bin', FOO: 'bar', GONE: undefined }, fds: [-1, out.fd, 2] });
    closeSync(out.fd);
    expect(await child.exited).toEqual({ code: 3, signal: null });
    expect(out.text()).toBe('my-name|arg1|bar|unset|unset\n');
  });

  it('puts each fd where it is told, swaps included, and closes the ones it is not given', async () => {
    const a = output();
    const b = output();
    // Our a at its 5 and our b at its 4 where a.fd and b.fd may be 4 and 5
    // themselves; its fd 3 closed even if ours is open.
    const fds = [-1, -1, 2, -1, b.fd, a.fd];
    const child = new Child(SH, ['sh', '-c', 'echo to-five >&5; echo to-four >&4; if (: >&3) 2>/dev/null; then echo open >&5; fi'], { env: {}, fds });
    closeSync(a.fd);
    closeSync(b.fd);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(a.text()).toBe('to-five\n');
    expect(b.text()).toBe('to-four\n');
  });

  it('starts the child with every signal at its default (Node ignores SIGPIPE) and none blocked', async () => {
    const out = output();
    const child = new Child(SH, ['sh', '-c', 'grep -E "^Sig(Blk|Ign):" /proc/self/status'], { env: { PATH: '/usr/bin:/bin' }, fds: [-1, out.fd, 2] });
    closeSync(out.fd);
    await child.exited;
    expect(out.text()).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it('leads a session of its own when asked (newSession), and stays in ours otherwise', async () => {
    // pid, process group and session of the shell itself, from its stat
    // (counted from the last ')').
    const script = 'read -r s < /proc/$$/stat; set -- ${s##*) }; echo "$$ $3 $4"';
    const ids = async (newSession?: boolean) => {
      const out = output();
      const child = new Child(SH, ['sh', '-c', script], { env: {}, fds: [-1, out.fd, 2], newSession });
      closeSync(out.fd);
      expect(await child.exited).toEqual({ code: 0, signal: null });
      return out.text().trim().split(' ').map(Number);
    };
    const [pid, pgrp, sid] = await ids(true);
    expect([pgrp, sid]).toEqual([pid, pid]);
    const ours = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[3]);
    const [, , sidDefault] = await ids();
    expect(sidDefault).toBe(ours);
    expect(() => addon.spawn(SH, ['sh'], [], [], 'yes' as never)).toThrow(/options/);
    expect(() => addon.spawn(SH, ['sh'], [], [], { newSession: 1 } as never)).toThrow(/newSession/);
  });

  it('reports the signal that killed it, and kill() after the end sends nothing', async () => {
    const child = new Child(SH, ['sh', '-c', 'kill -TERM $$'], { env: {}, fds: [-1, -1, 2] });
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(() => child.kill('SIGKILL')).not.toThrow();
  });

  it('is killed by kill()', async () => {
    const child = new Child(SH, ['sh', '-c', 'exec sleep 1000'], { env: { PATH: '/usr/bin:/bin' }, fds: [-1, -1, 2] });
    child.kill('SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('throws when the program cannot start, with nothing left to reap', () => {
    let err: unknown;
    try {
      new Child(join(dir, 'missing'), ['missing'], { env: {}, fds: [] });
    } catch (e) {
      err = e;
    }
    expect(isSystemError(err, 'ENOENT')).toBe(true);
    expect((err as NodeJS.ErrnoException).syscall).toBe('execve');
  });

  it('refuses a relative file and strings with NUL bytes before starting anything', () => {
    expect(() => addon.spawn('sh', ['sh'], [], [])).toThrow(/absolute path/);
    expect(() => addon.spawn(SH, ['sh', 'a\0b'], [], [])).toThrow(/NUL/);
    expect(() => addon.spawn(SH, [], [], [])).toThrow(/argv\[0\]/);
    // No real fd is that high, and the two-step placement would overflow.
    expect(() => addon.spawn(SH, ['sh'], [], [0x7fffffff])).toThrow(/fds\[i\]/);
  });
});
