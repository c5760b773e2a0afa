// The two halves of the seccomp backstop against each other, without a
// broker: the real wrapper in init mode installs the filter and hands the
// listener over on "fd 87"; the addon's SeccompListener answers what the run
// table lets run on its own thread and queues the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon, type SeccompListener } from '../../src/native/addon.js';
import { Fd } from '../../src/native/fd.js';
import { wrapperPath } from '../../src/native/paths.js';
import { HELLO_SECCOMP, INIT_ARG, SESSION_FD } from '../../src/protocol/constants.js';
import { encodeRunTable } from '../../src/protocol/run-table.js';
import { isSeccompListener } from '../../src/session/seccomp.js';
import { waitFor } from '../helpers/wait.js';

const addon = loadAddon();
const children: ChildProcess[] = [];
const fds: Fd[] = [];
afterEach(() => {
  children.splice(0).forEach((c) => c.kill('SIGKILL'));
  fds.splice(0).forEach((f) => f.close());
});

interface Started {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  listener: Fd;
}

/** The wrapper's init, running `sh -c script` under the filter. */
async function init(script: string): Promise<Started> {
  const [mine, theirs] = addon.socketpair('seqpacket');
  const session = new Fd(mine);
  fds.push(session);
  const stdio: (string | number)[] = ['ignore', 'pipe', 'pipe', ...Array<string>(SESSION_FD - 3).fill('ignore'), theirs];
  const child = spawn(wrapperPath, [INIT_ARG, '/bin/sh', '-c', script], { env: { EXEC_WRAPPER: wrapperPath, PATH: '/usr/bin:/bin' }, stdio: stdio as never });
  addon.close(theirs);
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let got = addon.recv(session.fd, 512, 2);
  await waitFor(() => (got ??= addon.recv(session.fd, 512, 2)) !== null, { what: 'the init to send its listener' });
  expect(got!.data).toEqual(HELLO_SECCOMP);
  expect(got!.fds).toHaveLength(1);
  const listener = new Fd(got!.fds[0]!);
  fds.push(listener);
  return { child, out: () => out, exited, listener };
}

function listen(l: Fd, table: Buffer): { native: SeccompListener; ready: () => number } {
  let calls = 0;
  const native = new addon.SeccompListener(l.fd, table, () => calls++, limits);
  l.attach(native);
  return { native, ready: () => calls };
}

const limits = { maxArgvBytes: 64 * 1024, maxArgvCount: 256, maxPending: 16, maxRecords: 16 };
const table = (names: string[], record = false) => encodeRunTable({ generation: 1, localRun: true, record, names });

describe('the init and the listener', () => {
  it('hands over a seccomp listener, first thing, and execs the shell through it unasked', async () => {
    const s = await init('echo shell-ran');
    expect(isSeccompListener(s.listener)).toBe(true);
    const { native } = listen(s.listener, table([]));
    expect(await s.exited).toBe(0);
    expect(s.out()).toBe('shell-ran\n');
    expect(native.take()).toBeNull();
  });

  it('lets what the run table allows run from its own thread, with no JS', async () => {
    const s = await init('/bin/true && /usr/bin/printf "%s\\n" ran');
    const { native, ready } = listen(s.listener, table(['id']));
    expect(await s.exited).toBe(0);
    expect(s.out()).toBe('ran\n');
    expect(native.take()).toBeNull();
    // only the end of the sandbox was worth a call
    await waitFor(() => native.ended, { what: 'the listener to see the sandbox gone' });
    expect(ready()).toBeLessThanOrEqual(1);
  });

  it('queues what the table names; JS reads argv and cwd, and its errno is what the exec gets', async () => {
    const s = await init('cd /usr && /bin/true one two; echo "st=$?"');
    const { native, ready } = listen(s.listener, table(['true']));
    await waitFor(() => ready() > 0, { what: 'the exec of true to be queued' });
    const n = native.take()!;
    expect(n).toMatchObject({ syscall: 'execve', path: Buffer.from('/bin/true'), base: null, emptyPath: false, pathError: null });
    // the shell's child, in our pid namespace
    expect(n.pid).toBeGreaterThan(s.child.pid!);
    const ctx = native.readContext(n, 64 * 1024, 256)!;
    expect(ctx.argv.map(String)).toEqual(['/bin/true', 'one', 'two']);
    expect(String(ctx.cwd)).toBe('/usr');
    expect(ctx.argvComplete).toBe(true);
    expect(native.respond(n.id, constants.errno.EACCES)).toBe(true);
    expect(native.respond(n.id, 0)).toBe(false);
    expect(await s.exited).toBe(0);
    expect(s.out()).toMatch(/Permission denied\nst=126\n$/);
  });

  it('names a relative exec by its directory, and fexecve by the file behind the descriptor', async () => {
    const s = await init(`cd /usr/bin && python3 -c 'import os; os.execv("./true", ["true"])' && python3 -c 'import os; fd = os.open("/usr/bin/true", os.O_RDONLY); os.execve(fd, ["true"], {})'; echo "st=$?"`);
    const { native } = listen(s.listener, table(['true']));
    const seen: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      let n = native.take();
      await waitFor(() => (n ??= native.take()) !== null, { what: `exec ${i + 1}` });
      seen.push({ syscall: n!.syscall, path: String(n!.path), base: String(n!.base), emptyPath: n!.emptyPath });
      native.respond(n!.id, 0);
    }
    expect(seen).toEqual([
      { syscall: 'execve', path: './true', base: '/usr/bin', emptyPath: false },
      { syscall: 'execveat', path: '', base: '/usr/bin/true', emptyPath: true },
    ]);
    expect(await s.exited).toBe(0);
  });

  it('records the runs it let through when the table says RECORD, with argv', async () => {
    const s = await init('/bin/true a b; /bin/true c');
    const { native } = listen(s.listener, table(['id'], true));
    expect(await s.exited).toBe(0);
    const records: string[][] = [];
    await waitFor(
      () => {
        for (let r = native.takeRecord(); r !== null; r = native.takeRecord()) records.push(r.argv.map(String));
        return records.length >= 2;
      },
      { what: 'two records' },
    );
    expect(records).toEqual([
      ['/bin/true', 'a', 'b'],
      ['/bin/true', 'c'],
    ]);
    expect(native.takeDropped()).toBe(0);
  });

  it('records beyond its queue are dropped and counted, never waited for', async () => {
    const s = await init('/bin/true 1; /bin/true 2; /bin/true 3');
    let calls = 0;
    const native = new addon.SeccompListener(s.listener.fd, table(['id'], true), () => calls++, { ...limits, maxRecords: 1 });
    s.listener.attach(native);
    expect(await s.exited).toBe(0);
    await waitFor(() => native.ended, { what: 'the sandbox to be gone' });
    expect(native.takeRecord()!.argv.map(String)).toEqual(['/bin/true', '1']);
    expect(native.takeRecord()).toBeNull();
    expect(native.takeDropped()).toBe(2);
    expect(native.takeDropped()).toBe(0);
  });

  it('a table that does not parse lets nothing run without JS', async () => {
    const s = await init('/bin/true');
    const { native, ready } = listen(s.listener, Buffer.from('not a table'));
    await waitFor(() => ready() > 0, { what: 'the exec to be queued' });
    const n = native.take()!;
    expect(String(n.path)).toBe('/bin/true');
    native.respond(n.id, 0);
    expect(await s.exited).toBe(0);
  });

  it('errors look like Node\'s, and a closed listener says so', async () => {
    const s = await init('/bin/true');
    const { native } = listen(s.listener, table([]));
    expect(() => native.respond(1 as unknown as bigint, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => native.respond(1n, 5000)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new addon.SeccompListener(-1, table([]), () => {}, limits)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new addon.SeccompListener(s.listener.fd, 'table' as unknown as Buffer, () => {}, limits)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new addon.SeccompListener(s.listener.fd, table([]), () => {}, { ...limits, maxPending: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    await s.exited;
    // (after the exec: a table that does not parse lets nothing run unasked)
    expect(native.setTable(Buffer.from('EGT1'))).toBe(false);
    s.listener.close(); // closes the listener first
    expect(native.closed).toBe(true);
    expect(() => native.take()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });
});
