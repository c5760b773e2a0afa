// The native launcher (build/native/execgate-launch, and the shim links to
// it) against a small fake `execgate serve` here: a unix stream socket that
// reads one Launch frame and answers one Launched frame whose one fd is the
// shell's end of a real socketpair, sent with the addon as
// src/control/raw-socket.ts does. The program Launched names is the real
// patched bash, which reports what it got: fd 87, its arguments, its
// environment. The broker's own handling of Launch is not tested here.
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { chmodSync, copyFileSync, fstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/native/addon.js';
import { launcherPath, packageRoot, patchedBashPath, protoPath, shimDir } from '../../src/native/paths.js';
import { FrameReader, encodeFrame } from '../../src/protocol/frame.js';

const addon = loadAddon();
const proto = protobuf.loadSync(protoPath);
const Launch = proto.lookupType('execgate.v1.Launch');
const Launched = proto.lookupType('execgate.v1.Launched');
const binExecgate = join(packageRoot, 'bin', 'execgate');

/* eslint-disable @typescript-eslint/no-explicit-any */
interface LaunchSeen {
  label: string;
  sandbox: string;
  cwd: string;
  project: string;
  bind: string[];
  roBind: string[];
  noNetwork: boolean;
  passEnv: string[];
  env: string[];
}

function launchSeen(payload: Buffer): LaunchSeen {
  const m = Launch.decode(payload) as any;
  const s = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();
  return {
    label: m.label ?? '',
    sandbox: m.sandbox ?? '',
    cwd: s(m.cwd),
    project: s(m.project),
    bind: (m.bind ?? []).map(s),
    roBind: (m.roBind ?? []).map(s),
    noNetwork: !!m.noNetwork,
    passEnv: (m.passEnv ?? []).map(s),
    env: (m.env ?? []).map(s),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** What the fake broker answers: a Launched (protobufjs object form) and the
 * fds to send with it, or raw frame bytes. */
type Answer = { launched: Record<string, unknown>; fds: number[] } | { raw: Buffer; fds?: number[] };

interface FakeServe {
  path: string;
  launches: LaunchSeen[];
  /** The first byte of each frame received. */
  firstBytes: number[];
  close(): Promise<void>;
}

/** One connection, one Launch, one answer; the connection stays open until
 * the launcher closes it (it must, before it execs). */
async function fakeServe(path: string, answer: (l: LaunchSeen) => Answer): Promise<FakeServe> {
  const launches: LaunchSeen[] = [];
  const firstBytes: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const reader = new FrameReader(64 << 20);
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk, []);
      const frame = reader.next();
      if (!frame) return;
      firstBytes.push(frame.payload[0] ?? -1);
      const seen = launchSeen(frame.payload);
      launches.push(seen);
      const a = answer(seen);
      const bytes = 'raw' in a ? a.raw : encodeFrame(Launched.encode(Launched.fromObject(a.launched)).finish());
      const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
      const sent = addon.send(fd, bytes, a.fds ?? []);
      expect(sent).toBe(bytes.length);
      for (const f of a.fds ?? []) addon.close(f);
      if ('raw' in a && a.raw.length < 4) socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    launches,
    firstBytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Ran {
  code: number | null;
  pid: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string; stdio?: StdioOptions; argv0?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd ?? dir, env: opts.env ?? baseEnv, stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'], argv0: opts.argv0 });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin!.on('error', () => {}); // the program may end without reading it
    child.stdin!.end(opts.stdin ?? '');
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, pid: child.pid!, stdout, stderr }));
  });
}

let dir = '';
let brokerPath = '';
const baseEnv: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', LANG: 'C', KEEP: 'kept', SECRET: 'hunter2', REPLACED: 'old' };
// bin/execgate finds the build under test as src/native/paths.ts does
for (const name of ['EXECGATE_NATIVE_DIR', 'EXECGATE_BUILD_DIR']) if (process.env[name]) baseEnv[name] = process.env[name];

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'eg-launch-')));
  brokerPath = join(dir, 'control.sock');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A session socketpair: the test keeps `mine`, Launched carries `theirs`. */
function session(): { mine: number; theirs: number; ino: number } {
  const [mine, theirs] = addon.socketpair('seqpacket');
  return { mine, theirs, ino: fstatSync(theirs).ino };
}

/** What the bash that Launched names reports: its pid, $0 $@, a few
 * variables, fd 87's inode and its open fds; it says "ping" on fd 87. */
const REPORT = [
  'printf "ping from %s" "$$" >&87',
  'echo "pid $$"',
  'echo "args $0|$*"',
  'echo "env ${EXECGATE_SOCKET-unset}|${KEEP-unset}|${SECRET-unset}|${REPLACED-unset}|${NEW-unset}"',
  'echo "fd87 $(stat -L -c %i /proc/$$/fd/87)"',
  // a subshell, not $(...), whose pipe would be one more fd of the shell's
  '(cd /proc/$$/fd && echo "fds" *)',
].join('\n');

function okAnswer(s: { theirs: number }, extra: Record<string, unknown> = {}): Answer {
  return {
    launched: {
      sessionId: 's-1',
      file: Buffer.from(patchedBashPath),
      argv: ['bash', '--norc', '--noprofile'].map((a) => Buffer.from(a)),
      setEnv: ['EXECGATE_SOCKET=87', 'NEW=new value', 'REPLACED=new'].map((a) => Buffer.from(a)),
      unsetEnv: ['SECRET'].map((a) => Buffer.from(a)),
      ...extra,
    },
    fds: [s.theirs],
  };
}

/** The fds a child of this process has without being given any more than
 * stdio (what the test runner leaves inheritable), as the shell lists them. */
function inheritedFds(): number[] {
  const r = spawnSync(patchedBashPath, ['--norc', '--noprofile', '-c', '(cd /proc/$$/fd && echo *)'], { encoding: 'utf8' });
  return r.stdout.trim().split(' ').map(Number);
}

function recvPing(fd: number): string {
  const r = addon.recv(fd, 4096, 0);
  return r ? r.data.toString() : '(nothing)';
}

describe('execgate-launch shell --broker', () => {
  it('sends the Launch, puts the session at fd 87, applies the environment and appends its own arguments', async () => {
    const s = session();
    const serve = await fakeServe(brokerPath, () => okAnswer(s));
    try {
      const r = await run(launcherPath, [
        'shell', '--broker', brokerPath, '--label', 'alpha', '--sandbox=bwrap', '--project', '/work/proj',
        '--bind', '/data:/mnt', '--bind=/cache', '--ro-bind', '/etc/ssl', '--no-network',
        '--pass-env', 'AWS_PROFILE', '--pass-env=GH_TOKEN', '-c', `${REPORT}\nexit 7`, 'zero', 'one', 'two',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(7);
      expect(serve.launches).toEqual([
        {
          label: 'alpha', sandbox: 'bwrap', cwd: dir, project: '/work/proj', bind: ['/data:/mnt', '/cache'], roBind: ['/etc/ssl'],
          noNetwork: true, passEnv: ['AWS_PROFILE', 'GH_TOKEN'], env: expect.any(Array),
        },
      ]);
      expect(serve.launches[0]!.env.sort()).toEqual(Object.entries(baseEnv).map(([k, v]) => `${k}=${v}`).sort());
      expect(serve.firstBytes[0]).not.toBe(0x7b);
      // the shell took the launcher's place: same pid
      expect(r.stdout).toContain(`pid ${r.pid}\n`);
      expect(r.stdout).toContain('args zero|one two\n');
      expect(r.stdout).toContain('env 87|kept|unset|new|new value\n');
      // fd 87 is the socketpair end the broker sent, and it reaches us
      expect(r.stdout).toContain(`fd87 ${s.ino}\n`);
      expect(recvPing(s.mine)).toBe(`ping from ${r.pid}`);
      // nothing else of the launcher's (no control connection): the fds any
      // child of ours inherits, and 87
      const fds = /^fds (.*)$/m.exec(r.stdout)?.[1]?.split(' ').map(Number).sort((x, y) => x - y);
      expect(fds).toEqual([...inheritedFds(), 87].sort((x, y) => x - y));
    } finally {
      addon.close(s.mine);
      await serve.close();
    }
  });

  it.each([
    ['-- BASH-OPTIONS', ['--', '-c', 'echo "$0 $1"', 'a', 'b'], 'a b\n'],
    ['FILE ARGS', ['SCRIPT', 'x y', 'z'], 'script got x y|z\n'],
    ['flags after -c, then its positional $0', ['-c', 'echo "$0"', '--label', 'l', 'zero'], 'zero\n'],
    ['anything after the first positional', ['-c', 'echo "$0 $1 $2"', 'zero', '--broker', '--bogus'], 'zero --broker --bogus\n'],
  ])('passes the shell its own arguments: %s', async (_what, args, out) => {
    const script = join(dir, 'script.sh');
    writeFileSync(script, 'echo "script got $1|$2"\n');
    const s = session();
    const serve = await fakeServe(brokerPath, () => okAnswer(s));
    try {
      const r = await run(launcherPath, ['shell', '--broker', brokerPath, ...args.map((a) => (a === 'SCRIPT' ? script : a))]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(out);
      expect(r.code).toBe(0);
      // defaults: label "shell", serve's default sandbox, no project
      expect(serve.launches[0]).toMatchObject({ label: args.includes('--label') ? 'l' : 'shell', sandbox: '', project: '' });
    } finally {
      addon.close(s.mine);
      await serve.close();
    }
  });

  it.each([
    ['fd 87 is something else', 3, 87],
    ['the control connection lands on fd 87', 84, 87],
    ['the session arrives at fd 87 itself', 83, 86],
  ])('ends with the session at fd 87 when %s', async (_what, fill, upto) => {
    // fds 3.. up to `upto` are taken (copies of a pipe), the rest free
    const s = session();
    const serve = await fakeServe(brokerPath, () => okAnswer(s));
    const [pr, pw] = addon.socketpair('stream');
    try {
      const stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
      for (let fd = 3; fd < 3 + fill && fd <= upto; fd++) stdio.push(pr);
      if (fill === 3) {
        while (stdio.length < 87) stdio.push('ignore');
        stdio.push(pr);
      }
      const r = await run(launcherPath, ['shell', '--broker', brokerPath, '-c', REPORT], { stdio });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`fd87 ${s.ino}\n`);
      expect(recvPing(s.mine)).toBe(`ping from ${r.pid}`);
    } finally {
      for (const fd of [s.mine, pr, pw]) addon.close(fd);
      await serve.close();
    }
  });
});

describe('the shell shim', () => {
  const shimEnv = { ...baseEnv, EXECGATE_BROKER: '' };

  it.each([
    ['-lc', ['-lc', 'echo "$0"', 'x'], 'x\n'],
    ['-l -c', ['-l', '-c', 'echo "$0|$1"', 'p0', 'p1'], 'p0|p1\n'],
    ['positional $0 $1', ['-c', 'echo "[$0] [$1] [$#]"', 'sh', 'with space'], '[sh] [with space] [1]\n'],
    ['-i', ['-i', '-c', 'echo "$-" | grep -q i && echo interactive'], 'interactive\n'],
    ['a script on stdin', [], 'from stdin\n'],
  ])('passes %s through untouched', async (_what, args, out) => {
    const s = session();
    const serve = await fakeServe(brokerPath, () => okAnswer(s));
    try {
      for (const name of ['bash', 'sh']) {
        const r = await run(join(shimDir, name), args, {
          env: { ...shimEnv, EXECGATE_BROKER: brokerPath },
          stdin: 'echo from stdin\n',
        });
        // what bash -i says without a terminal
        expect(r.stderr.replace(/^bash: (cannot set terminal process group|no job control).*\n/gm, '')).toBe('');
        expect(r.stdout).toBe(out);
        expect(r.code).toBe(0);
        if (name === 'bash') {
          // a second run for `sh`: a new session socket
          addon.close(s.mine);
          const again = session();
          Object.assign(s, again);
        }
      }
      expect(serve.launches.map((l) => [l.label, l.sandbox, l.project, l.bind, l.passEnv])).toEqual([
        ['shim', '', '', [], []],
        ['shim', '', '', [], []],
      ]);
      expect(serve.launches[0]!.env).toContain(`EXECGATE_BROKER=${brokerPath}`);
    } finally {
      addon.close(s.mine);
      await serve.close();
    }
  });

  it('takes its label from EXECGATE_LABEL and ends as the shell does', async () => {
    const s = session();
    const serve = await fakeServe(brokerPath, () => okAnswer(s));
    try {
      const r = await run(join(shimDir, 'bash'), ['-c', `${REPORT}\nexit 3`], { env: { ...shimEnv, EXECGATE_BROKER: brokerPath, EXECGATE_LABEL: 'agent 1' } });
      expect(r.code).toBe(3);
      expect(serve.launches[0]!.label).toBe('agent 1');
      expect(r.stdout).toContain(`fd87 ${s.ino}\n`);
      expect(recvPing(s.mine)).toBe(`ping from ${r.pid}`);
    } finally {
      addon.close(s.mine);
      await serve.close();
    }
  });

  it('started as a login shell by name ("-bash", as tmux and su - do), asks the shell for --login', async () => {
    const s = session();
    const serve = await fakeServe(brokerPath, () => okAnswer(s));
    try {
      const script = 'shopt -q login_shell && echo login || echo not login; echo "$0|$1"';
      const r = await run(join(shimDir, 'bash'), ['-c', script, 'p0', 'p1'], { env: { ...shimEnv, EXECGATE_BROKER: brokerPath }, argv0: '-bash' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('login\np0|p1\n');
      expect(r.code).toBe(0);
      // and not otherwise
      addon.close(s.mine);
      Object.assign(s, session());
      const plain = await run(join(shimDir, 'bash'), ['-c', script, 'p0', 'p1'], { env: { ...shimEnv, EXECGATE_BROKER: brokerPath } });
      expect(plain.stdout).toBe('not login\np0|p1\n');
    } finally {
      addon.close(s.mine);
      await serve.close();
    }
  });

  it('takes its own directory off PATH, in what it sends and what the shell inherits', async () => {
    // a directory of links to the launcher under other names than the build's
    const copy = join(dir, 'my-shims');
    mkdirSync(copy, { recursive: true });
    for (const name of ['bash', 'sh']) {
      rmSync(join(copy, name), { force: true });
      symlinkSync(launcherPath, join(copy, name));
    }
    const cases: [string, string | undefined][] = [
      [`/usr/bin:${shimDir}:/bin::${copy}:rel`, '/usr/bin:/bin::rel'],
      [`${shimDir}:/usr/bin:/bin`, '/usr/bin:/bin'],
      // nothing left: unset (bash's default), not empty (the working directory)
      [`${shimDir}:${copy}`, undefined],
      // nothing of ours: untouched
      ['/usr/bin:/bin:', '/usr/bin:/bin:'],
    ];
    for (const [path, sent] of cases) {
      const s = session();
      const serve = await fakeServe(brokerPath, () => okAnswer(s));
      try {
        const r = await run(join(copy, 'sh'), ['-c', '/usr/bin/printenv PATH || echo unset'], { env: { ...shimEnv, EXECGATE_BROKER: brokerPath, PATH: path } });
        expect(r.stderr).toBe('');
        expect(serve.launches[0]!.env.filter((e) => e.startsWith('PATH='))).toEqual(sent === undefined ? [] : [`PATH=${sent}`]);
        expect(r.stdout).toBe(`${sent ?? 'unset'}\n`);
      } finally {
        addon.close(s.mine);
        await serve.close();
      }
    }
  });

  it('without EXECGATE_BROKER says how to start the broker, 126', async () => {
    const r = await run(join(shimDir, 'bash'), ['-c', 'echo ran'], { env: shimEnv });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'execgate: EXECGATE_BROKER is not set: start `execgate serve --write-socket-path-to FILE` and export EXECGATE_BROKER="$(cat FILE)" for this shell to attach to it\n',
    );
    expect(r.code).toBe(126);
  });

  it('cannot reach the broker: 126', async () => {
    const r = await run(join(shimDir, 'sh'), ['-c', 'echo ran'], { env: { ...shimEnv, EXECGATE_BROKER: join(dir, 'none.sock') } });
    expect(r.stderr).toBe(`execgate: cannot reach the broker at ${join(dir, 'none.sock')}: No such file or directory\n`);
    expect(r.code).toBe(126);
  });
});

describe('failures', () => {
  it('cannot reach the broker: one line, exit 1', async () => {
    const r = await run(launcherPath, ['shell', '--broker', join(dir, 'nobody.sock'), '-c', 'echo ran']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`execgate: cannot reach the broker at ${join(dir, 'nobody.sock')}: No such file or directory\n`);
    expect(r.code).toBe(1);
    const long = `/tmp/${'x'.repeat(120)}`;
    const t = await run(launcherPath, ['shell', '--broker', long]);
    expect(t.stderr).toMatch(/^execgate: cannot reach the broker at \/tmp\/x+: File ?name too long\n$/);
    expect(t.code).toBe(1);
  });

  it('Launched.error: printed escaped, exit 1 (126 for the shim), nothing run', async () => {
    const serve = await fakeServe(brokerPath, () => ({ launched: { error: 'no such project: /nope \u001b[2J' }, fds: [] }));
    try {
      const r = await run(launcherPath, ['shell', '--broker', brokerPath, '-c', 'echo ran']);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('execgate: no such project: /nope \\x1b[2J\n');
      expect(r.code).toBe(1);
      const shim = await run(join(shimDir, 'bash'), ['-c', 'echo ran'], { env: { ...baseEnv, EXECGATE_BROKER: brokerPath } });
      expect(shim.stderr).toBe('execgate: no such project: /nope \\x1b[2J\n');
      expect(shim.code).toBe(126);
    } finally {
      await serve.close();
    }
  });

  it.each<[string, () => Answer, RegExp]>([
    ['no fd', () => ({ launched: { file: Buffer.from(patchedBashPath), argv: [Buffer.from('bash')] }, fds: [] }), /no session socket/],
    ['two fds', () => {
      const [a, b] = addon.socketpair('seqpacket');
      return { launched: { file: Buffer.from(patchedBashPath), argv: [Buffer.from('bash')] }, fds: [a, b] };
    }, /more than one fd/],
    ['no file', () => ({ launched: { argv: [Buffer.from('bash')] }, fds: [addon.socketpair('seqpacket')[0]] }), /Launched.file is empty/],
    ['no argv', () => ({ launched: { file: Buffer.from(patchedBashPath) }, fds: [addon.socketpair('seqpacket')[0]] }), /Launched.argv is empty/],
    ['a NUL in argv', () => ({ launched: { file: Buffer.from(patchedBashPath), argv: [Buffer.from('ba\0sh')] }, fds: [addon.socketpair('seqpacket')[0]] }), /NUL byte/],
    ['set_env without =', () => ({ launched: { file: Buffer.from(patchedBashPath), argv: [Buffer.from('bash')], setEnv: [Buffer.from('JUSTNAME')] }, fds: [addon.socketpair('seqpacket')[0]] }), /set_env: not NAME=value/],
    ['an answer in JSON', () => ({ raw: encodeFrame(Buffer.from('{"ok":false,"error":"unknown op"}')) }), /in JSON: this `execgate serve` does not know Launch/],
    ['a frame over 1 MiB', () => ({ raw: Buffer.from([0, 0x10, 0, 1]) }), /a frame over 1 MiB/],
    ['garbage', () => ({ raw: encodeFrame(Buffer.from([0x1a, 0x05, 0x2f])) }), /length past the end/],
    ['no answer at all', () => ({ raw: Buffer.alloc(0) }), /closed the connection without an answer/],
  ])('a broken answer (%s): one line, exit 1, nothing run', async (_what, answer, message) => {
    const serve = await fakeServe(brokerPath, answer);
    try {
      const r = await run(launcherPath, ['shell', '--broker', brokerPath, '-c', 'echo ran']);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^execgate: [^\n]*\n$/);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(1);
    } finally {
      await serve.close();
    }
  });

  it('a program that cannot be executed: bash-style message, 127 or 126', async () => {
    const notExec = join(dir, 'not-executable');
    writeFileSync(notExec, '#!/bin/sh\n');
    chmodSync(notExec, 0o644);
    for (const [file, code, why] of [
      ['/nonexistent/bash', 127, 'No such file or directory'],
      [notExec, 126, 'Permission denied'],
    ] as const) {
      const s = session();
      const serve = await fakeServe(brokerPath, () => okAnswer(s, { file: Buffer.from(file) }));
      try {
        const r = await run(launcherPath, ['shell', '--broker', brokerPath, '-c', 'echo ran']);
        expect(r.stderr).toBe(`execgate: ${file}: ${why}\n`);
        expect(r.code).toBe(code);
      } finally {
        addon.close(s.mine);
        await serve.close();
      }
    }
  });

  it.each([
    [['--policy', 'p.toml'], '--policy belongs to the broker: give it to `execgate serve`, not to a shell attached with --broker'],
    [['--web'], '--web belongs to the broker'],
    [['--dangerously-approve-all'], '--dangerously-approve-all belongs to the broker'],
    [['--bogus'], 'unknown option --bogus'],
    [['--bogus=1'], 'unknown option --bogus'],
    [['--no-network=yes'], '--no-network takes no value'],
    [['--sandbox', 'docker'], '--sandbox must be none or bwrap, not docker'],
    [['--sandbox', 'none', '--bind', '/x'], '--bind needs --sandbox bwrap'],
    [['--label'], '--label needs a value'],
  ])('usage errors exit 2 before anything is sent: %j', async (flags, message) => {
    const serve = await fakeServe(brokerPath, () => ({ raw: Buffer.alloc(0) }));
    try {
      const r = await run(launcherPath, ['shell', '--broker', brokerPath, ...flags]);
      expect(r.stderr.split('\n')[0]).toContain(`execgate: ${message}`);
      expect(r.stderr).toContain('usage: execgate shell --broker SOCKET');
      expect(r.code).toBe(2);
      expect(serve.launches).toEqual([]);
    } finally {
      await serve.close();
    }
  });
});

/** A package as `npm install` leaves it outside a git checkout: its own
 * bin/execgate.js and launcher (links to ours), and bin/execgate made a copy
 * of the launcher by the install step (scripts/install-front.mjs). */
function installedPackage(name: string): string {
  const pkg = join(dir, name);
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  mkdirSync(join(pkg, 'build', 'native'), { recursive: true });
  symlinkSync(join(packageRoot, 'bin', 'execgate.js'), join(pkg, 'bin', 'execgate.js'));
  copyFileSync(binExecgate, join(pkg, 'bin', 'execgate'));
  symlinkSync(launcherPath, join(pkg, 'build', 'native', 'execgate-launch'));
  return pkg;
}

function installFront(pkg: string, env: NodeJS.ProcessEnv = {}) {
  const { EXECGATE_NATIVE_DIR: _n, EXECGATE_BUILD_DIR: _b, ...rest } = process.env;
  return spawnSync(process.execPath, [join(packageRoot, 'scripts', 'install-front.mjs'), '--root', pkg], { encoding: 'utf8', env: { ...rest, ...env } });
}

const isElf = (file: string) => readFileSync(file).subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'));

describe('the install step (scripts/install-front.mjs)', () => {
  it('makes bin/execgate the native launcher in an installed package', () => {
    const pkg = installedPackage('installed-once');
    const r = installFront(pkg);
    expect(r.status).toBe(0);
    expect(isElf(join(pkg, 'bin', 'execgate'))).toBe(true);
    expect(statSync(join(pkg, 'bin', 'execgate')).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(pkg, 'bin')).sort()).toEqual(['execgate', 'execgate.js']);
  });

  it('leaves the sh front of a git checkout, and one with no launcher built, as it is', () => {
    const checkout = installedPackage('checkout');
    mkdirSync(join(checkout, '.git'));
    expect(installFront(checkout).status).toBe(0);
    expect(readFileSync(join(checkout, 'bin', 'execgate'))).toEqual(readFileSync(binExecgate));
    const unbuilt = installedPackage('unbuilt');
    rmSync(join(unbuilt, 'build'), { recursive: true });
    const r = installFront(unbuilt);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('bin/execgate stays the sh front');
    expect(readFileSync(join(unbuilt, 'bin', 'execgate'))).toEqual(readFileSync(binExecgate));
  });
});

// The same choice made by either front: bin/execgate as a checkout has it
// (sh), and as `npm install` leaves it (the launcher itself).
describe.each([
  ['the sh front (a checkout)', () => packageRoot],
  ['the native front (npm install)', () => {
    const pkg = installedPackage('installed');
    expect(installFront(pkg).status).toBe(0);
    return pkg;
  }],
])('bin/execgate, %s', (_front, makePackage) => {
  let pkg = '';
  let bin = '';
  beforeAll(() => {
    pkg = makePackage();
    bin = join(pkg, 'bin', 'execgate');
  });

  it('hands `shell --broker` to the launcher (no Node), through npm\'s bin link too', async () => {
    const npm = mkdtempSync(join(dir, 'npm-'));
    mkdirSync(join(npm, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(pkg, join(npm, 'node_modules', 'execgate'));
    symlinkSync('../execgate/bin/execgate', join(npm, 'node_modules', '.bin', 'execgate'));
    mkdirSync(join(npm, 'bin'));
    mkdirSync(join(npm, 'lib', 'node_modules'), { recursive: true });
    symlinkSync(pkg, join(npm, 'lib', 'node_modules', 'execgate'));
    symlinkSync('../lib/node_modules/execgate/bin/execgate', join(npm, 'bin', 'execgate'));
    // some other link: read with readlink
    symlinkSync(bin, join(npm, 'elsewhere'));
    for (const via of [bin, join(npm, 'node_modules', '.bin', 'execgate'), join(npm, 'bin', 'execgate'), join(npm, 'elsewhere')]) {
      const s = session();
      const serve = await fakeServe(brokerPath, () => okAnswer(s));
      try {
        const r = await run(via, ['shell', '--label', 'via-bin', '--broker', brokerPath, '-c', REPORT]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(serve.launches.map((l) => l.label)).toEqual(['via-bin']);
        // one process all along: the front, the launcher, then bash
        expect(r.stdout).toContain(`pid ${r.pid}\n`);
        expect(recvPing(s.mine)).toBe(`ping from ${r.pid}`);
      } finally {
        addon.close(s.mine);
        await serve.close();
      }
    }
  });

  it('gives everything else to the Node CLI', async () => {
    const env = { ...baseEnv, PATH: `${join(process.execPath, '..')}:/usr/bin:/bin` };
    // `--label --broker`: "--broker" is the label, so this is not an attached
    // shell, and the Node CLI reports the unknown option with its own usage
    const r = await run(bin, ['shell', '--label', '--broker', '--bogus'], { env });
    expect(r.stderr).toContain('execgate: unknown option --bogus\nusage:\n  execgate shell [--sandbox none|bwrap]');
    expect(r.code).toBe(2);
    const help = await run(bin, ['--help'], { env });
    expect(help.stdout).toContain('execgate serve');
    expect(help.code).toBe(0);
    // after the first positional argument, --broker is the shell's
    const pos = await run(bin, ['shell', '--bogus2', 'file', '--broker', 'x'], { env });
    expect(pos.stderr).toContain('execgate: unknown option --bogus2\nusage:\n');
    // `--web-port=8080`: a value in the same argument; --broker after it counts
    const eq = await run(bin, ['shell', '--web-port=8080', '--broker', brokerPath, '-c', 'true'], { env });
    expect(eq.stderr).toContain('--web-port belongs to the broker');
    expect(eq.code).toBe(2);
  });

  it('runs `serve` with a small young generation, every other command with no V8 flag', async () => {
    // A stand-in node that says how it was run (a unit test of the dispatch).
    const fakeNode = mkdtempSync(join(dir, 'fake-node-'));
    writeFileSync(join(fakeNode, 'node'), '#!/bin/sh\necho "node $*"\n');
    chmodSync(join(fakeNode, 'node'), 0o755);
    const env = { ...baseEnv, PATH: `${fakeNode}:/usr/bin:/bin` };
    const serve = await run(bin, ['serve', '--policy', 'p.toml'], { env });
    expect(serve.stdout).toMatch(/^node --max-semi-space-size=4 \S*\/bin\/execgate\.js serve --policy p\.toml\n$/);
    for (const args of [['--help'], ['mcp', 'serve'], ['shell', '-c', 'true']]) {
      const r = await run(bin, args, { env });
      expect(r.stdout).toMatch(new RegExp(`^node \\S*/bin/execgate\\.js ${args.join(' ')}\\n$`));
    }
  });

  it('keeps NODE_EXTRA_CA_CERTS from Node\'s start, and gives it to the shell as it was', async () => {
    // A file that is not there: Node warns at start when it reads the
    // variable ("Ignoring extra certs"), so its silence says it did not.
    const env = { ...baseEnv, PATH: `${join(process.execPath, '..')}:/usr/bin:/bin`, NODE_EXTRA_CA_CERTS: join(dir, 'no-such-ca.pem') };
    const r = await run(bin, ['shell', '-c', 'printf "%s|%s\\n" "${NODE_EXTRA_CA_CERTS-unset}" "${EXECGATE_NODE_EXTRA_CA_CERTS-unset}"'], { env });
    expect(r.stderr).not.toMatch(/extra certs/i);
    expect(r.stdout).toBe(`${env.NODE_EXTRA_CA_CERTS}|unset\n`);
    expect(r.code).toBe(0);
    // set but empty, Node parses nothing: the variable goes on untouched
    const empty = await run(bin, ['shell', '-c', 'printf "%s|%s\\n" "${NODE_EXTRA_CA_CERTS-unset}" "${EXECGATE_NODE_EXTRA_CA_CERTS-unset}"'], { env: { ...env, NODE_EXTRA_CA_CERTS: '' } });
    expect(empty.stdout).toBe('|unset\n');
  });

  it('says so when there is no node to run', async () => {
    const r = await run(bin, ['--help'], { env: { ...baseEnv, PATH: join(dir, 'nowhere') } });
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/node/);
  });
});

describe('bin/execgate, the sh front', () => {
  it('honours EXECGATE_NATIVE_DIR and EXECGATE_BUILD_DIR', async () => {
    const native = join(dir, 'other-build', 'native');
    mkdirSync(native, { recursive: true });
    // a stand-in launcher that only says where it is (a unit test of the dispatch)
    writeFileSync(join(native, 'execgate-launch'), '#!/bin/sh\necho "launcher in $(dirname "$0"): $*"\n');
    chmodSync(join(native, 'execgate-launch'), 0o755);
    for (const env of [{ EXECGATE_NATIVE_DIR: native }, { EXECGATE_NATIVE_DIR: undefined, EXECGATE_BUILD_DIR: join(dir, 'other-build') }]) {
      const r = await run(binExecgate, ['shell', '--broker', 'S', '-c', 'x'], { env: { ...baseEnv, ...env } });
      expect(r.stdout).toBe(`launcher in ${native}: shell --broker S -c x\n`);
    }
  });
});
