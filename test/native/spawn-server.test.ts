// execgate-spawn driven directly over its sockets, as the protocol in
// native/spawn/main.c says: one "EGC1" message per command carrying the
// supervisor's end of a control channel; the spec and the fds on that
// channel; P/S/X reports back, K lines in.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pinDirectory, programIdentity } from '../../src/exec/pin.js';
import { encodeSpawnSpec, type HostCommand } from '../../src/exec/spawn-spec.js';
import { loadAddon } from '../../src/native/addon.js';
import { Fd } from '../../src/native/fd.js';
import { spawnHelperPath } from '../../src/native/paths.js';
import { waitFor } from '../helpers/wait.js';
import { FdWatcher } from '../../src/native/watcher.js';

const addon = loadAddon();
const b = (s: string) => Buffer.from(s, 'latin1');
const sh = programIdentity('/bin/sh');
const temp = () => realpathSync(mkdtempSync(join(tmpdir(), 'eg-spawn-')));

function pair(type: 'seqpacket' | 'stream'): [Fd, Fd] {
  return addon.socketpair(type).map((n) => new Fd(n)) as [Fd, Fd];
}

interface Server {
  child: ChildProcess;
  sock: Fd;
  stderr: () => string;
  exited: Promise<number | null>;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.sock.close();
    s.child.kill('SIGKILL');
  }
});

/** The server, started as the broker does, or by `via` (a command line
 * that ends by exec'ing its last argument, the server). */
function startServer(via: string[] = []): Server {
  const [sock, theirs] = pair('seqpacket');
  const [file, ...args] = [...via, spawnHelperPath];
  const child = spawn(file!, args, { stdio: ['ignore', 'ignore', 'pipe', theirs.fd], detached: true, env: {} });
  theirs.close();
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const server = { child, sock, stderr: () => err, exited };
  servers.push(server);
  return server;
}

/** Everything a control channel says until its end. */
function reports(ctl: Fd): { lines: Promise<string[]>; next: (prefix: string) => Promise<string> } {
  let text = '';
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const line = text.split('\n').find((l) => l.startsWith(w.prefix));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  const lines = new Promise<string[]>((resolve) => {
    const w = new FdWatcher(ctl, () => {
      for (;;) {
        let r;
        try {
          r = addon.recv(ctl.fd, 4096, 0);
        } catch {
          r = { data: Buffer.alloc(0) };
        }
        if (r === null) return;
        if (r.data.length === 0) {
          w.close();
          return resolve(text.split('\n').filter(Boolean));
        }
        text += r.data.toString('latin1');
        check();
      }
    });
    w.start(true, false);
  });
  const next = (prefix: string) =>
    new Promise<string>((resolve) => {
      waiters.push({ prefix, resolve });
      check();
    });
  return { lines, next };
}

interface Started {
  ctl: Fd;
  out: string;
  lines: Promise<string[]>;
  next: (prefix: string) => Promise<string>;
}

/** Sends one command: the spec and fds on a fresh control channel, its other
 * end to the server. stdout and stderr go to files (or the given fds). */
function run(server: Server, cmd: HostCommand, opts: { cwd?: string; stdin?: number; split?: boolean } = {}): Started {
  const dir = temp();
  const out = join(dir, 'out');
  const stdin = opts.stdin ?? openSync('/dev/null', 'r');
  const stdout = openSync(out, 'w');
  const cwd = pinDirectory(opts.cwd ?? dir).fd;
  const [ctl, theirs] = pair('stream');
  const spec = encodeSpawnSpec(cmd);
  const fds = [cwd.fd, stdin, stdout, stdout];
  if (opts.split) {
    // The fds on a first byte of their own, the rest after.
    expect(addon.send(ctl.fd, spec.subarray(0, 1), fds)).toBe(1);
    expect(addon.send(ctl.fd, spec.subarray(1))).toBe(spec.length - 1);
  } else {
    expect(addon.send(ctl.fd, spec, fds)).toBe(spec.length);
  }
  addon.send(server.sock.fd, b('EGC1'), [theirs.fd]);
  theirs.close();
  cwd.close();
  closeSync(stdout);
  if (opts.stdin === undefined) closeSync(stdin);
  return { ctl, out, ...reports(ctl) };
}

function shell(script: string, over: Partial<HostCommand> = {}): HostCommand {
  return { file: '/bin/sh', identity: sh, argv: [b('sh'), b('-c'), b(script)], env: [], tty: null, closed: [], ...over };
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) return false;
  return true;
}

/** Polls until the process is gone (or a zombie nobody of ours reaps). */
async function gone(pid: number, ms = 5000): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
    if (!existsSync(`/proc/${pid}`)) return true;
    try {
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return true;
    } catch {
      return true;
    }
  }
  return false;
}

describe('execgate-spawn, over its sockets', () => {
  it('runs a command from the exact spec in the pinned directory, and reports P then X', async () => {
    const server = startServer();
    const cwd = temp();
    const c = run(server, shell('printf "%s|" "$0" "$@" "$FOO"; pwd', { argv: [b('sh'), b('-c'), b('printf "%s|" "$0" "$@" "$FOO"; pwd'), b('zero'), Buffer.from([0xff, 0x20])], env: [b('FOO=bar')] }), { cwd });
    const lines = await c.lines;
    expect(lines).toEqual([expect.stringMatching(/^P \d+$/), 'X 0 0']);
    expect(readFileSync(c.out)).toEqual(Buffer.concat([b('zero|'), Buffer.from([0xff, 0x20]), b(`|bar|${cwd}\n`)]));
  });

  it('reports exit codes and deaths by signal', async () => {
    const server = startServer();
    const runs = [run(server, shell('exit 7')), run(server, shell('kill -TERM $$')), run(server, shell('exit 0'))];
    const ends = await Promise.all(runs.map(async (r) => (await r.lines).at(-1)));
    expect(ends).toEqual(['X 7 0', 'X 0 15', 'X 0 0']);
  });

  it('starts commands with no signal ignored or blocked, whatever the server\'s parent left it', async () => {
    // SIGINT ignored and SIGUSR1 blocked survive exec into the server.
    const server = startServer(['python3', '-c', 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1]); os.execv(sys.argv[1], sys.argv[1:])']);
    const c = run(server, shell('grep -E "^Sig(Ign|Blk)" /proc/self/status'));
    expect((await c.lines).at(-1)).toBe('X 0 0');
    const masks = Object.fromEntries(readFileSync(c.out, 'utf8').trim().split('\n').map((l) => l.split(':\t')).map(([k, v]) => [k, BigInt(`0x${v}`)]));
    expect(masks.SigBlk).toBe(0n);
    // Signals 32 and 33 are glibc's own (SIGCANCEL, SIGSETXID): its
    // sigaction refuses them, so a program can neither set nor reset them,
    // and what started the suite may leave them ignored (Bazel's test runner
    // does). Every other signal must be at its default.
    const glibcOwn = (1n << 31n) | (1n << 32n);
    expect(masks.SigIgn! & ~glibcOwn).toBe(0n);
  });

  it('takes the spec in pieces, the fds on its first byte', async () => {
    const server = startServer();
    const c = run(server, shell('echo pieces'), { split: true });
    expect((await c.lines).at(-1)).toBe('X 0 0');
    expect(readFileSync(c.out, 'utf8')).toBe('pieces\n');
  });

  it('refuses a program file that is not the one approved (126), or is missing (127), as a shell would', async () => {
    const server = startServer();
    const swapped = run(server, shell('echo ran', { identity: { dev: sh.dev, ino: sh.ino + 1n } }));
    const missing = run(server, { ...shell(''), file: '/nonexistent/prog' });
    // Checked in the forked child right before execve: P comes first.
    expect(await swapped.lines).toEqual([expect.stringMatching(/^P \d+$/), 'X 126 0']);
    expect(readFileSync(swapped.out, 'utf8')).toBe('execgate: /bin/sh changed since it was approved\n');
    expect((await missing.lines).at(-1)).toBe('X 127 0');
    expect(readFileSync(missing.out, 'utf8')).toMatch(/^execgate: \/nonexistent\/prog: No such file or directory\n$/);
  });

  it('signals the whole process group on "K SIG"', async () => {
    const server = startServer();
    const n = `${Date.now() % 100000}${Math.floor(Math.random() * 1000)}`;
    const c = run(server, shell(`sleep 4${n} & sleep 5${n}`));
    const pid = Number((await c.next('P ')).slice(2));
    // Wait for both sleeps to be in the group before signalling it.
    for (let until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
      if (spawnSync('pgrep', ['-g', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n').length >= 3) break;
    }
    addon.send(c.ctl.fd, b('K 9\n'));
    expect((await c.lines).at(-1)).toBe('X 0 9');
    // The group was signalled at once; the background sleep, whose parent
    // is not the supervisor, dies when the kernel next runs it (late, on a
    // loaded machine: CI once saw it still there).
    await waitFor(() => spawnSync('pgrep', ['-f', `sleep [45]${n}`]).status === 1, { what: 'both sleeps of the group to be gone' });
  });

  it('hangs the command up when the broker end of its channel closes', async () => {
    const server = startServer();
    const c = run(server, shell('exec sleep 1000'));
    const pid = Number((await c.next('P ')).slice(2));
    c.ctl.close();
    expect(await gone(pid)).toBe(true);
  });

  it('drops a malformed message, says so on stderr, and keeps serving', async () => {
    const server = startServer();
    const [junk, other] = pair('stream');
    addon.send(server.sock.fd, b('JUNK'), [other.fd]);
    other.close();
    // The channel it carried is closed with nothing said on it.
    expect(await reports(junk).lines).toEqual([]);
    expect(await until(() => server.stderr().includes('malformed message from the broker (dropped)'))).toBe(true);
    const c = run(server, shell('exit 3'));
    expect((await c.lines).at(-1)).toBe('X 3 0');
  });

  it('exits when the broker closes its socket; a running command still ends and reports', async () => {
    const server = startServer();
    const [stdin, feed] = pair('stream');
    const c = run(server, shell('read line; exit 5'), { stdin: stdin.fd });
    stdin.close();
    await c.next('P ');
    server.sock.close();
    expect(await server.exited).toBe(0);
    addon.send(feed.fd, b('go\n'));
    feed.close();
    expect((await c.lines).at(-1)).toBe('X 5 0');
  });

  it('refuses to run without the broker socket on fd 3', () => {
    const r = spawnSync(spawnHelperPath, [], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('fd 3 is not the broker');
  });
});
