// The broker's Spawner and HostProcess against the real execgate-spawn: a
// command checked whole before anything starts, the server restarted after it
// died, a lost supervisor reported as SIGKILL, a hundred commands at once
// with nothing left behind, and a pinned directory and program identity that
// a swap after the decision cannot change.
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { constants } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pinDirectory, programIdentity } from '../../src/exec/pin.js';
import { SpawnSpecError, type HostCommand } from '../../src/exec/spawn-spec.js';
import { Spawner } from '../../src/exec/spawner.js';
import { loadAddon } from '../../src/native/addon.js';
import { Fd } from '../../src/native/fd.js';

const addon = loadAddon();
const b = (s: string) => Buffer.from(s, 'latin1');
const sh = programIdentity('/bin/sh');
const temp = () => realpathSync(mkdtempSync(join(tmpdir(), 'eg-spawner-')));
const { SIGKILL, SIGTERM, SIGTSTP, SIGCONT } = constants.signals;

function shell(script: string, over: Partial<HostCommand> = {}): HostCommand {
  return { file: '/bin/sh', identity: sh, argv: [b('sh'), b('-c'), b(script)], env: [], tty: null, closed: [], ...over };
}

/** stdin /dev/null (or the fd given), stdout and stderr one file. */
function stdio(out: string, stdin?: Fd): [Fd, Fd, Fd] {
  const o = new Fd(openSync(out, 'w'));
  return [stdin ?? new Fd(openSync('/dev/null', 'r')), o, new Fd(openSync(out, 'a'))];
}

const spawners: Spawner[] = [];
afterEach(async () => {
  await Promise.all(spawners.splice(0).map((s) => s.close()));
});
function spawner(): Spawner {
  const s = new Spawner();
  spawners.push(s);
  return s;
}

/** Starts cmd in dir (pinned now); the caller's fds are closed at once, as
 * the broker does. Returns the process and its output file. */
function start(s: Spawner, cmd: HostCommand, dir = temp(), stdin?: Fd) {
  const out = join(temp(), 'out');
  const fds = stdio(out, stdin);
  const cwd = pinDirectory(dir).fd;
  try {
    return { proc: s.spawn(cmd, fds, cwd), out };
  } finally {
    fds.forEach((f) => f.close());
    cwd.close();
  }
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function children(): number[] {
  return readdirSync('/proc/self/task').flatMap((t) =>
    readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

/** pid's children; none once it is gone. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Fields of /proc/PID/stat after the command's name: state, ppid, pgrp,
 * session, ... (the name may hold anything: counted from the last ')'). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function parentOf(pid: number): number {
  return Number(statFields(pid)[1]);
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) return false;
  return true;
}

/** Gone, or a zombie nobody of ours reaps. */
function isGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('Spawner', () => {
  it('starts its server in a session of its own, with /dev/null, our stderr and the server socket as its fds', async () => {
    const s = spawner();
    expect(await start(s, shell('true')).proc.exited).toEqual({ code: 0, signal: 0 });
    const server = s.serverPid!;
    expect(parentOf(server)).toBe(process.pid);
    // Its own session and group: a ^C on our terminal never reaches it.
    expect(statFields(server).slice(2, 4).map(Number)).toEqual([server, server]);
    const fd = (n: number) => readlinkSync(`/proc/${server}/fd/${n}`);
    expect([fd(0), fd(1)]).toEqual(['/dev/null', '/dev/null']);
    expect(fd(2)).toBe(readlinkSync('/proc/self/fd/2'));
    expect(fd(3)).toMatch(/^socket:/);
  });

  it('runs a command with the caller\'s fds, closed by the caller at once, and reports its pid and status', async () => {
    const s = spawner();
    const { proc, out } = start(s, shell('echo "pid $$"; exit 4'));
    const pid = await proc.started;
    expect(await proc.exited).toEqual({ code: 4, signal: 0 });
    expect(proc.pid).toBe(pid);
    expect(readFileSync(out, 'utf8')).toBe(`pid ${pid}\n`);
    const killed = start(s, shell('kill -KILL $$')).proc;
    expect(await killed.exited).toEqual({ code: 128 + SIGKILL, signal: SIGKILL });
  });

  it('refuses a command it cannot encode before anything starts: no server, no fd, no process', () => {
    const s = spawner();
    const fds = openFds();
    const kids = children().length;
    expect(() => start(s, shell('echo a\0b'))).toThrow(SpawnSpecError);
    expect(() => start(s, shell('x', { argv: [] }))).toThrow(/argv is empty/);
    expect(s.serverPid).toBeNull();
    expect(openFds()).toBe(fds);
    expect(children().length).toBe(kids);
  });

  it('says why when its server cannot run, leaving no fd and no process', () => {
    const s = new Spawner({ helperPath: join(temp(), 'missing') });
    const cwd = pinDirectory('/').fd;
    const stdio = [0, 1, 2].map(() => new Fd(openSync('/dev/null', 'r+')));
    const fds = openFds();
    const kids = children().length;
    let err: unknown;
    try {
      s.spawn(shell('true'), stdio as [Fd, Fd, Fd], cwd);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'execve' });
    expect(s.serverPid).toBeNull();
    expect(openFds()).toBe(fds);
    expect(children().length).toBe(kids);
    stdio.forEach((f) => f.close());
    cwd.close();
  });

  it('refuses a closed fd of the caller\'s, leaving nothing open', () => {
    const s = spawner();
    const dead = new Fd(openSync('/dev/null', 'r'));
    dead.close();
    const cwd = pinDirectory('/').fd;
    const fds = openFds();
    expect(() => s.spawn(shell('true'), [dead, dead, dead], cwd)).toThrow(/closed/);
    expect(openFds()).toBe(fds);
    cwd.close();
  });

  it('starts a new server when the last one was killed, whether or not it has noticed yet', async () => {
    const s = spawner();
    expect(await start(s, shell('exit 1')).proc.exited).toEqual({ code: 1, signal: 0 });
    const first = s.serverPid!;
    // Killed (with the spare it offered: a spare outlives its server and
    // would take the command), and used again before its exit is seen: the
    // send fails, and the message goes to a new server.
    // The spare is the server's only child (the last command's supervisor
    // gone), with one child of its own: the command's process, forked ahead,
    // which reads the spare's channel until a spec comes. The send fails
    // only once that one is gone too (it dies with the spare,
    // PR_SET_PDEATHSIG, but not at once; until then a spec sent there is a
    // command whose supervisor was killed).
    let spare = 0;
    let ahead = 0;
    const spareOut = () => {
      const kids = childrenOf(first);
      const own = kids.length === 1 ? childrenOf(kids[0]!) : [];
      [spare, ahead] = [kids[0] ?? 0, own[0] ?? 0];
      return own.length === 1;
    };
    expect(await until(spareOut)).toBe(true);
    process.kill(first, 'SIGKILL');
    process.kill(spare, 'SIGKILL');
    expect(await until(() => [first, spare, ahead].every(isGone))).toBe(true);
    expect(await start(s, shell('exit 2')).proc.exited).toEqual({ code: 2, signal: 0 });
    const second = s.serverPid!;
    expect(second).not.toBe(first);
    // Killed, and its exit seen before the next command.
    process.kill(second, 'SIGKILL');
    expect(await until(() => s.serverPid === null)).toBe(true);
    expect(await start(s, shell('exit 3')).proc.exited).toEqual({ code: 3, signal: 0 });
    expect(s.serverPid).not.toBe(second);
  });

  it('hands a command to a supervisor the server forked ahead of time, and copes with one killed while it waited', async () => {
    const s = spawner();
    expect(await start(s, shell('exit 0')).proc.exited).toEqual({ code: 0, signal: 0 });
    const server = s.serverPid!;
    const idle = () => childrenOf(server);
    // The spare: the server's one child once the first command is over. Its
    // offer is taken off the server socket as soon as it comes, with no
    // spawn() asking: a socket left in flight there would set the kernel's
    // fd garbage collector going on every close of a unix socket.
    // A spare is the server's one child with one child of its own (the last
    // command's supervisor may still be exiting beside it).
    let spare = 0;
    const spareOut = () => {
      const kids = idle().filter((k) => childrenOf(k).length === 1);
      spare = kids[0] ?? 0;
      return kids.length === 1;
    };
    expect(await until(spareOut)).toBe(true);
    expect(await until(() => s.spareHeld)).toBe(true);
    const ahead = childrenOf(spare);
    const { proc } = start(s, shell('exec sleep 1000'));
    const pid = (await proc.started)!;
    expect(parentOf(pid)).toBe(spare);
    // The process forked ahead became the command: no fork after the spec.
    expect(ahead).toEqual([pid]);
    proc.terminate();
    await proc.exited;
    // Killed while waiting: the next command still starts (another spare,
    // or a supervisor forked for it).
    expect(await until(spareOut)).toBe(true);
    const killed = spare;
    // Its command's process, forked ahead too, waits for the spec: it goes
    // with its supervisor, and never runs a command unsupervised.
    const waiting = childrenOf(killed)[0]!;
    process.kill(killed, 'SIGKILL');
    await until(() => !idle().includes(killed));
    expect(await until(() => isGone(waiting))).toBe(true);
    expect(await start(s, shell('exit 4')).proc.exited).toEqual({ code: 4, signal: 0 });
  });

  it('lets a running command outlive its server and still report how it ended', async () => {
    const s = spawner();
    const [stdin, feed] = addon.socketpair('stream').map((n) => new Fd(n)) as [Fd, Fd];
    const { proc } = start(s, shell('read line; exit 6'), temp(), stdin);
    await proc.started;
    const server = s.serverPid!;
    process.kill(server, 'SIGKILL');
    await until(() => isGone(server));
    addon.send(feed.fd, b('go\n'));
    feed.close();
    expect(await proc.exited).toEqual({ code: 6, signal: 0 });
  });

  it('reports a command whose supervisor was killed as killed by SIGKILL, and kills it', async () => {
    const s = spawner();
    const { proc } = start(s, shell('exec sleep 1000'));
    const pid = (await proc.started)!;
    const supervisor = parentOf(pid);
    expect(parentOf(supervisor)).toBe(s.serverPid);
    process.kill(supervisor, 'SIGKILL');
    expect(await proc.exited).toEqual({ code: 128 + SIGKILL, signal: SIGKILL });
    expect(await until(() => isGone(pid))).toBe(true);
  });

  it('runs 100 commands at once, each with its own status, and leaves no fd or process behind', async () => {
    const before = { fds: openFds(), children: children().length };
    const s = new Spawner();
    const procs = Array.from({ length: 100 }, (_, i) => start(s, shell(`echo ${i}; exit ${i}`)));
    const statuses = await Promise.all(procs.map((p) => p.proc.exited));
    expect(statuses.map((st) => st.code)).toEqual(procs.map((_, i) => i));
    expect(procs.every((p, i) => readFileSync(p.out, 'utf8') === `${i}\n`)).toBe(true);
    await s.close();
    expect(s.serverPid).toBeNull();
    expect(openFds()).toBe(before.fds);
    expect(children().length).toBe(before.children);
  });

  it('queues commands while the server is not reading (its socket full) and delivers them all once it reads', async () => {
    const before = openFds();
    const s = new Spawner();
    expect(await start(s, shell('exit 0')).proc.exited).toEqual({ code: 0, signal: 0 });
    const server = s.serverPid!;
    process.kill(server, 'SIGSTOP');
    // More than the ~278 messages a seqpacket socket buffer holds.
    const procs = Array.from({ length: 400 }, (_, i) => start(s, shell(`exit ${i % 256}`)).proc);
    process.kill(server, 'SIGCONT');
    const statuses = await Promise.all(procs.map((p) => p.exited));
    expect(statuses.map((st) => st.code)).toEqual(procs.map((_, i) => i % 256));
    await s.close();
    expect(openFds()).toBe(before);
  });

  it('close() waits for every command, then ends the server; spawn() refuses after', async () => {
    const s = new Spawner();
    const [stdin, feed] = addon.socketpair('stream').map((n) => new Fd(n)) as [Fd, Fd];
    const slow = start(s, shell('read x; exit 9'), temp(), stdin).proc;
    const quick = start(s, shell('exit 0')).proc;
    await slow.started;
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    expect(() => start(s, shell('true'))).toThrow(/closed/);
    await quick.exited;
    // A turn of the event loop for close() to have finished, were it wrong.
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    expect(s.serverPid).not.toBeNull();
    addon.send(feed.fd, b('go\n'));
    feed.close();
    await closing;
    expect(await slow.exited).toEqual({ code: 9, signal: 0 });
    expect(s.serverPid).toBeNull();
  });

  it('terminates with SIGTERM, then SIGKILL after the grace for a command that ignores it', async () => {
    const s = spawner();
    const polite = start(s, shell('exec sleep 1000')).proc;
    const stubborn = start(s, shell('trap "" TERM; echo ready; while :; do sleep 0.05; done'));
    // SIGTERM only once the trap is set.
    expect(await until(() => readFileSync(stubborn.out, 'utf8') === 'ready\n')).toBe(true);
    await polite.started;
    polite.terminate(60_000);
    stubborn.proc.terminate(200);
    expect(await polite.exited).toEqual({ code: 128 + SIGTERM, signal: SIGTERM });
    expect(await stubborn.proc.exited).toEqual({ code: 128 + SIGKILL, signal: SIGKILL });
  });

  it('reports stops the command makes itself, not the ones it was asked for', async () => {
    const s = spawner();
    const stops: number[] = [];
    const { proc } = start(s, shell('kill -STOP $$; kill -STOP $$; exit 0'));
    proc.onStop = (sig) => {
      stops.push(sig);
      proc.signal(SIGCONT);
    };
    expect(await proc.exited).toEqual({ code: 0, signal: 0 });
    expect(stops).toEqual([constants.signals.SIGSTOP, constants.signals.SIGSTOP]);
    const asked = start(s, shell('exec sleep 1000')).proc;
    const seen: number[] = [];
    asked.onStop = (sig) => seen.push(sig);
    const pid = (await asked.started)!;
    asked.forward(SIGTSTP);
    expect(await until(() => /^\d+ \(.*\) T/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')))).toBe(true);
    asked.forward(SIGCONT);
    asked.forward(SIGTERM);
    expect(await asked.exited).toEqual({ code: 128 + SIGTERM, signal: SIGTERM });
    expect(seen).toEqual([]);
  });

  it('keeps closed stdio closed', async () => {
    const s = spawner();
    const { proc, out } = start(s, shell('if [ -e /proc/$$/fd/1 ]; then echo open >&2; else echo closed >&2; fi', { closed: [1] }));
    expect(await proc.exited).toEqual({ code: 0, signal: 0 });
    expect(readFileSync(out, 'utf8')).toBe('closed\n');
  });

  it('delivers a spec larger than the socket buffer whole', async () => {
    const s = spawner();
    const big = Array.from({ length: 12 }, (_, i) => Buffer.alloc(128 * 1024 - 1, 0x61 + i));
    const { proc, out } = start(s, { ...shell('for a; do printf "%s %s\\n" "${#a}" "$(printf %.1s "$a")"; done'), argv: [b('sh'), b('-c'), b('for a; do printf "%s %s\\n" "${#a}" "$(printf %.1s "$a")"; done'), b('sh'), ...big] });
    expect(await proc.exited).toEqual({ code: 0, signal: 0 });
    expect(readFileSync(out, 'utf8')).toBe(big.map((a) => `${a.length} ${String.fromCharCode(a[0]!)}\n`).join(''));
  });
});

describe('a pinned directory and program identity', () => {
  it('run the command in the directory pinned, though a symlink replaced it since', async () => {
    const s = spawner();
    const root = temp();
    mkdirSync(join(root, 'project'));
    mkdirSync(join(root, 'elsewhere'));
    const cwd = pinDirectory(join(root, 'project'));
    renameSync(join(root, 'project'), join(root, 'moved'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'project'));
    const out = join(temp(), 'out');
    const fds = stdio(out);
    const proc = s.spawn(shell('pwd -P; touch here'), fds, cwd.fd);
    fds.forEach((f) => f.close());
    cwd.fd.close();
    expect(await proc.exited).toEqual({ code: 0, signal: 0 });
    expect(readFileSync(out, 'utf8')).toBe(`${join(root, 'moved')}\n`);
    expect(existsSync(join(root, 'moved', 'here'))).toBe(true);
    expect(existsSync(join(root, 'elsewhere', 'here'))).toBe(false);
  });

  it('refuse a program file replaced since its identity was taken (126, one line)', async () => {
    const s = spawner();
    const dir = temp();
    const tool = join(dir, 'tool');
    writeFileSync(tool, '#!/bin/sh\necho original\n');
    chmodSync(tool, 0o755);
    const identity = programIdentity(tool);
    writeFileSync(join(dir, 'swap'), '#!/bin/sh\necho swapped\n');
    chmodSync(join(dir, 'swap'), 0o755);
    renameSync(join(dir, 'swap'), tool);
    const { proc, out } = start(s, { file: tool, identity, argv: [b('tool')], env: [], tty: null, closed: [] });
    expect(await proc.exited).toEqual({ code: 126, signal: 0 });
    expect(readFileSync(out, 'utf8')).toBe(`execgate: ${tool} changed since it was approved\n`);
    // The same file, identity taken now: runs.
    const again = start(s, { file: tool, identity: programIdentity(tool), argv: [b('tool')], env: [], tty: null, closed: [] });
    expect(await again.proc.exited).toEqual({ code: 0, signal: 0 });
    expect(readFileSync(again.out, 'utf8')).toBe('swapped\n');
  });
});
