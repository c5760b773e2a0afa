// The wrapper as execgate mcp's supervisor (native/wrapper/mcp_supervisor.c),
// driven over its real FIFOs and pipes as src/mcp/shell-host.ts drives it,
// with a stand-in for the call's bash that writes down what it was given.
// test/integration/mcp.test.ts runs it with the real bash and prelude.
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, readSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { wrapperPath } from '../../src/native/paths.js';
import { MCP_SUPERVISOR_ARG } from '../../src/protocol/constants.js';
import { processAlive } from '../helpers/mcp.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'eg-mcpsup-'));
/** Every supervisor started: one a failed test left running is killed. */
const started: ChildProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Reads its line as the prelude does, writes down its pid, process group,
// environment and arguments, then ends as the line's word says.
const fakeBash = join(dir, 'fake-bash');
writeFileSync(
  fakeBash,
  `#!/bin/sh
IFS=' ' read -r id arg bg || exit 0
read -r _ _ _ _ pgid _ </proc/$$/stat
{
  echo "pid=$$"
  echo "pgid=$pgid"
  echo "parent=$EXECGATE_MCP_PARENT"
  echo "dir=$EXECGATE_MCP_DIR"
  echo "wrapper=$EXECGATE_MCP_WRAPPER"
  echo "env=$BASH_ENV"
  echo "exec_wrapper=\${EXEC_WRAPPER-unset}"
  echo "args=$1|$2"
  echo "line=$id $arg $bg"
} >"$EXECGATE_MCP_DIR/$id.rec"
case $arg in exit*) exit "\${arg#exit}" ;; term) kill -TERM $$ ;; esac
exit 0
`,
);
chmodSync(fakeBash, 0o755);

/** <fcntl.h>'s (fs.constants has none). */
const O_ACCMODE = 3;

const fifoNames = ['go0', 'go1', 'go2', 'ev'];

/** A supervisor on FIFOs of its own, in a directory of its own, driven as
 * shell-host.ts drives it. `via`: a program that execs it (argv before it). */
class Supervised {
  readonly dir = mkdtempSync(join(dir, 'io-'));
  readonly go: number[];
  readonly events: number;
  readonly sup: ChildProcess;
  stderr = '';
  private readonly lines: string[] = [];
  private partial = '';

  constructor(via: string[] = []) {
    execFileSync('mkfifo', fifoNames.map((f) => join(this.dir, f)));
    // Held open read-write, as execgate holds them: opening never blocks,
    // and the spares see their FIFO's end only when these close.
    const fds = fifoNames.map((f) => openSync(join(this.dir, f), constants.O_RDWR | (f === 'ev' ? constants.O_NONBLOCK : 0)));
    this.go = fds.slice(0, 3);
    this.events = fds[3]!;
    const args = [MCP_SUPERVISOR_ARG, this.dir, fakeBash, '/the/prelude', ...fifoNames];
    this.sup = spawn(via[0] ?? wrapperPath, [...via.slice(1), ...(via.length ? [wrapperPath] : []), ...args], {
      env: { PATH: '/usr/bin:/bin', EXEC_WRAPPER: '/sandbox/execgate-wrapper', BASH_ENV: '/not/this', EXECGATE_MCP_DIR: '/nor/this' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    this.sup.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    started.push(this.sup);
  }

  private readEvents(): void {
    const buf = Buffer.alloc(4096);
    for (;;) {
      let n = 0;
      try {
        n = readSync(this.events, buf);
      } catch {
        return; // EAGAIN
      }
      const parts = (this.partial + buf.subarray(0, n).toString()).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    }
  }

  async nextEvent(): Promise<string> {
    await waitFor(() => (this.readEvents(), this.lines.length > 0), { what: 'an event from the supervisor' });
    return this.lines.shift()!;
  }

  /** Its children now: pid, and what their stdin is. */
  children(): { pid: number; stdin: string | null }[] {
    return readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .flatMap((p) => {
        try {
          const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
          if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== this.sup.pid) return [];
          let stdin: string | null = null;
          try {
            stdin = readlinkSync(`/proc/${p}/fd/0`);
          } catch {
            // a zombie has no fds
          }
          return [{ pid: Number(p), stdin }];
        } catch {
          return [];
        }
      });
  }

  sparesOn(fifo: string) {
    return this.children().filter((c) => c.stdin === join(this.dir, fifo));
  }

  /** What the stand-in wrote down, a line each. */
  record(id: string): Record<string, string> {
    const text = readFileSync(join(this.dir, `${id}.rec`), 'utf8');
    return Object.fromEntries(text.split('\n').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  }

  /** One call as shell-host.ts makes it: its line to the next FIFO, then the request. */
  async call(fifo: number, id: string, arg: string): Promise<{ started: number[]; status: number }> {
    writeSync(this.go[fifo]!, `${id} ${arg}\n`);
    this.sup.stdin!.write(`run ${id} ${arg}\n`);
    const started: number[] = [];
    for (;;) {
      const m = /^(started|exited) (\w+) (\d+)$/.exec(await this.nextEvent());
      expect(m?.[2]).toBe(id);
      if (m![1] === 'exited') return { started, status: Number(m![3]) };
      started.push(Number(m![3]));
    }
  }

  /** Its stdin closed, it ends; then its spares, when their FIFOs do. */
  async end(): Promise<number | null> {
    const spares = this.children().map((c) => c.pid);
    this.sup.stdin!.end();
    const code = await new Promise<number | null>((res) => (this.sup.exitCode !== null ? res(this.sup.exitCode) : this.sup.once('exit', (c) => res(c))));
    this.go.forEach((fd) => closeSync(fd));
    await waitFor(() => spares.every((p) => !processAlive(p)), { what: 'the spares to see their FIFOs end' });
    closeSync(this.events);
    return code;
  }
}

it('starts the calls\' bashes ahead, in groups of their own, and reports how each ended', async () => {
  const t = new Supervised();
  expect(await t.nextEvent()).toBe(`ready ${t.sup.pid}`);

  // Two spares wait, on go0 and go1, each reading its FIFO only.
  await waitFor(() => t.sparesOn('go0').length === 1 && t.sparesOn('go1').length === 1, { what: 'two spares' });
  for (const c of t.children()) expect(parseInt(readFileSync(`/proc/${c.pid}/fdinfo/0`, 'latin1').match(/^flags:\s+([0-7]+)/m)![1]!, 8) & O_ACCMODE).toBe(constants.O_RDONLY);

  const first = await t.call(0, 'aaaaaaaaaaa1', 'plain');
  expect(first.status).toBe(0);
  const r = t.record('aaaaaaaaaaa1');
  expect(first.started).toEqual([Number(r.pid)]);
  expect(r).toEqual({
    pid: r.pid,
    pgid: r.pid,
    parent: String(t.sup.pid),
    dir: t.dir,
    wrapper: '/sandbox/execgate-wrapper',
    env: '/the/prelude',
    exec_wrapper: 'unset',
    args: '-c|builtin eval -- "$BASH_EXECUTION_STRING"',
    line: 'aaaaaaaaaaa1 plain ',
  });

  // The FIFOs take turns; an exit status and a signal come back as bash's $?.
  expect((await t.call(1, 'bbbbbbbbbbb2', 'exit7')).status).toBe(7);
  expect((await t.call(2, 'ccccccccccc3', 'term')).status).toBe(128 + 15);
  // What is not a request of execgate's is dropped, up to its newline.
  t.sup.stdin!.write(`${'x'.repeat(300)}\nrun onlyid\nrun a b c d\n`);
  expect((await t.call(0, 'ddddddddddd4', 'plain')).status).toBe(0);

  // A background call: its line says so, and nobody waits for it.
  t.sup.stdin!.write('bg eeeeeeeeeee5 plain\n');
  const bg = /^started eeeeeeeeeee5 (\d+)$/.exec(await t.nextEvent());
  expect(bg).not.toBeNull();
  await waitFor(() => existsSync(join(t.dir, 'eeeeeeeeeee5.rec')), { what: 'the background call' });
  expect(t.record('eeeeeeeeeee5')).toMatchObject({ pid: bg![1], line: 'eeeeeeeeeee5 plain bg' });

  // A spare killed before its call: the call goes to a fresh bash.
  await waitFor(() => t.sparesOn('go1').length === 1, { what: 'the spare on go1' });
  const victim = t.sparesOn('go1')[0]!.pid;
  process.kill(victim, 'SIGKILL');
  await waitFor(() => !processAlive(victim), { what: 'the killed spare to end' });
  const again = await t.call(1, 'fffffffffff6', 'plain');
  expect(again.status).toBe(0);
  expect(again.started).toEqual([victim, Number(t.record('fffffffffff6').pid)]);

  await waitFor(() => t.children().filter((c) => c.stdin !== null).length === 2, { what: 'two spares again' });
  expect(await t.end()).toBe(0);
  expect(t.stderr).toBe('');
});

it('waits for its calls even when whoever started it ignored SIGCHLD', async () => {
  // (Ignored, the kernel reaps children itself and a wait returns only once
  // all have ended, the spares too: the first call never ended.) An exec
  // keeps an ignored signal ignored (dash's `trap '' CHLD` does not ignore it).
  const ignoring = ['/usr/bin/python3', '-c', 'import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])'];
  // What the supervisor starts with, shown on grep (SIGCHLD is 17).
  const sigIgn = execFileSync(ignoring[0]!, [...ignoring.slice(1), '/bin/grep', '^SigIgn', '/proc/self/status'], { encoding: 'utf8' });
  expect((BigInt(`0x${sigIgn.split(/\s+/)[1]}`) >> 16n) & 1n).toBe(1n);
  const t = new Supervised(ignoring);
  expect(await t.nextEvent()).toMatch(/^ready \d+$/);
  expect((await t.call(0, 'aaaaaaaaaaa1', 'exit7')).status).toBe(7);
  expect(await t.end()).toBe(0);
});

it('works when started with its stdout and stderr closed (a FIFO would have landed there)', async () => {
  const t = new Supervised(['/bin/sh', '-c', 'exec "$@" >&- 2>&-', 'sh']);
  expect(await t.nextEvent()).toMatch(/^ready \d+$/);
  expect((await t.call(0, 'aaaaaaaaaaa1', 'exit3')).status).toBe(3);
  expect(await t.end()).toBe(0);
});

it('says how it is used, and fails closed on FIFOs it cannot open', () => {
  const usage = spawnSyncText([MCP_SUPERVISOR_ARG, dir]);
  expect(usage).toEqual({ status: 2, stderr: 'execgate: usage: execgate-wrapper --execgate-mcp-supervisor DIR BASH PRELUDE GO0 GO1 GO2 EVENTS (run by execgate mcp)\n' });
  const missing = spawnSyncText([MCP_SUPERVISOR_ARG, dir, fakeBash, '/p', 'nope0', 'nope1', 'nope2', 'nope3']);
  expect(missing).toEqual({ status: 126, stderr: 'execgate: mcp supervisor: cannot open its FIFO: No such file or directory\n' });
  const escaping = spawnSyncText([MCP_SUPERVISOR_ARG, dir, fakeBash, '/p', '../go0', 'go1', 'go2', 'ev']);
  expect(escaping.status).toBe(126);
});

function spawnSyncText(args: string[]): { status: number | null; stderr: string } {
  try {
    execFileSync(wrapperPath, args, { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
    return { status: 0, stderr: '' };
  } catch (e) {
    const err = e as { status: number | null; stderr: Buffer };
    return { status: err.status, stderr: err.stderr.toString() };
  }
}
