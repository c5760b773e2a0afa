// The patched bash (patches/bash-exec-wrapper.patch), run for real: every
// exec goes through $EXEC_WRAPPER with the right path and argv, what the user
// sees does not change, and without EXEC_WRAPPER it is the unpatched shell.
// Each check compares with the unpatched build of the same source.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elfLinking } from '../../src/cli/doctor-elf.js';
import { RUN_TABLE_NAME } from '../../src/protocol/constants.js';
import { encodeRunTable } from '../../src/protocol/run-table.js';
import {
  type BashResult,
  LogWrapper,
  ShellLink,
  compileFixture,
  makeBinDir,
  patchedBashPath,
  requireBashBuilds,
  runBash,
  systemProgram,
  tempDir,
  unpatchedBashPath,
} from '../helpers/bash.js';

let work: string; // cwd of every run: holds the test scripts
let bin: string; // myecho -> echo, ...: names whose resolved path the tests know
let PATH: string;
let passthrough: string;
let shell: ShellLink; // the shell under test, by one name: see ShellLink
const prog: Record<string, string> = {};

beforeAll(() => {
  requireBashBuilds();
  passthrough = compileFixture('passthrough-wrapper');
  compileFixture('log-wrapper');
  work = tempDir('eg-patched-bash-');
  for (const name of ['echo', 'cat', 'printf', 'env', 'true', 'false', 'sh', 'sort']) {
    prog[name] = systemProgram(name);
  }
  bin = makeBinDir(join(work, 'bin'), {
    myecho: prog.echo!,
    mycat: prog.cat!,
    myprintf: prog.printf!,
    myenv: prog.env!,
    mytrue: prog.true!,
    myfalse: prog.false!,
    mysh: prog.sh!,
    mysort: prog.sort!,
  });
  PATH = `${bin}:/usr/bin:/bin`;
  shell = new ShellLink(join(work, 'shell'));

  // Scripts bash runs itself after ENOEXEC: no "#!", an empty file, "#!" alone.
  script(
    'noshebang',
    [
      'echo "args=$# [$*] zero=$0 shlvl=$SHLVL notexp=${NOTEXP-unset} exp=${EXP-unset} bashpid-is-parent=$(( BASHPID == ${PARENT:-0} ))"',
      'for f in myfunc expfunc; do if type "$f" >/dev/null 2>&1; then echo "$f visible"; else echo "$f not visible"; fi; done',
      'myecho inside "$1"',
      'nosuchcommand-xyz',
      'echo "source=${BASH_SOURCE[*]} lineno=$LINENO funcname=${FUNCNAME[*]-}"',
      'exit 7',
      '',
    ].join('\n'),
  );
  script('empty', '');
  script('hashbang-blank', '#!  \t\nmyecho "ran by bash: $0"\n');
  script('shebang', `#!${prog.sh}\nmyecho "sh script: $0 $*"\n`);
  script('notexec', 'myecho never\n', 0o644);
  mkdirSync(join(work, 'adir'));
  symlinkSync(prog.echo!, join(work, 'rel-echo'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function script(name: string, body: string, mode = 0o755): string {
  const p = join(work, name);
  writeFileSync(p, body);
  chmodSync(p, mode);
  return p;
}

/** Runs BODY with one build (through the shell link) in the test directory, test bin first on PATH. */
function run(build: string, body: string, env: Record<string, string | undefined> = {}): BashResult {
  return runBash(shell.as(build), body, { cwd: work, env: { PATH, ...env } });
}

const text = (b: Buffer): string => b.toString('latin1'); // byte-exact, readable diffs

/** Same stdout (bytes), stderr and status as the unpatched shell. */
function expectSameAsUnpatched(patched: BashResult, unpatched: BashResult): void {
  expect(text(patched.stdout)).toBe(text(unpatched.stdout));
  expect(text(patched.stderr)).toBe(text(unpatched.stderr));
  expect(patched.status).toBe(unpatched.status);
  expect(patched.signal).toBe(unpatched.signal);
}

// Scripts that exercise every way bash execs a program, and the ways an exec
// fails. Nothing in them depends on pids or timing, so the unpatched shell's
// output is the expected output. $BASH is the running shell (nested shells of
// the same build).
const corpus: Record<string, string> = {
  simple: 'myecho hello world; /bin/echo absolute; ./rel-echo relative; echo builtin',
  status: 'myfalse; echo "false=$?"; mytrue; echo "true=$?"; mysh -c "exit 42"; echo "sh=$?"',
  pipeline: 'myecho a b c | mycat | mycat; echo "pipestatus=${PIPESTATUS[*]}"; myfalse | mytrue; echo "${PIPESTATUS[*]}"',
  substitutions: 'x=$(myecho cs); echo "[$x]"; mycat <(myecho procsub); (myecho subshell; exit 3); echo "sub=$?"; { myecho group; } | mycat',
  background: 'myecho bg > bg.out & wait $!; echo "bg=$?"; mycat bg.out',
  exec: '(exec -a NAME mysh -c \'echo "$0"\'); (exec -c myenv); echo "env-cleared=$?"; (exec -l mysh -c \'echo "$0"\'); (exec -la NAME mysh -c \'echo "$0"\')',
  command: 'command myecho via-command; command -p cat </dev/null; echo "p=$?"; command -v myecho',
  hash: 'hash -p "$(command -v myecho)" fake; fake via-hash; hash -r; myecho rehashed; hash',
  functions: 'f() { myecho "f:$*"; g; }; g() { mycat <<< "g here"; }; f 1 2',
  traps: 'trap "myecho on-exit" EXIT; trap "myecho on-usr1" USR1; kill -USR1 $$; trap "myecho on-err" ERR; myfalse; myecho end',
  nested: '"$BASH" -c \'myecho nested "$0"; exit 4\' inner; echo "nested=$?"; mysh -c "myecho in-sh"',
  errors: '/nonexistent/cmd; echo "st=$?"; ./adir; echo "st=$?"; ./notexec; echo "st=$?"; nosuchcmd; echo "st=$?"; (exec /nonexistent/x); echo "st=$?"; (exec ./notexec); echo "st=$?"; (exec ./adir); echo "st=$?"',
  noshebang: 'PARENT=$BASHPID; NOTEXP=hidden; export EXP=shown; myfunc() { :; }; expfunc() { :; }; export -f expfunc; ./noshebang a b; echo "st=$?"; (exec ./noshebang c); echo "st=$?"; ./noshebang d | mycat; x=$(./noshebang e); echo "st=$? x=$x"; ./empty; echo "empty=$?"; ./hashbang-blank x; echo "blank=$?"',
  shebang: './shebang one two; echo "st=$?"',
  environment: 'export FOO=bar; myenv | mysort',
  bytes: "myprintf '%s|' $'\\xff\\xfe' $'a\\x80b' $'\\xc3\\x28' '' end",
  'set -e': 'set -e; mytrue; myfalse; echo not-reached',
  signal: 'mysh -c "kill -TERM \\$\\$"; echo "st=$?"',
  coproc: 'coproc myecho from-coproc; read -r line <&"${COPROC[0]}"; wait; echo "[$line]"',
  // One argument over the kernel's 128 KiB limit: E2BIG with or without a wrapper.
  'argument too long': 'mytrue "$(printf "%0140000d" 0)"; echo "st=$?"; (exec mytrue "$(printf "%0140000d" 0)"); echo "st=$?"',
};

describe.each([
  ['EXEC_WRAPPER unset', (): Record<string, string | undefined> => ({ EXEC_WRAPPER: undefined })],
  ['EXEC_WRAPPER empty', (): Record<string, string | undefined> => ({ EXEC_WRAPPER: '' })],
  ['the pass-through wrapper', (): Record<string, string | undefined> => ({ EXEC_WRAPPER: passthrough })],
])('patched bash with %s behaves exactly like unpatched bash', (_name, envFor) => {
  it.each(Object.keys(corpus))('%s', (key) => {
    // Both shells get the same environment; unpatched bash ignores EXEC_WRAPPER.
    const env = envFor();
    const u = run(unpatchedBashPath, corpus[key]!, env);
    const p = run(patchedBashPath, corpus[key]!, env);
    expectSameAsUnpatched(p, u);
  });
});

describe('the log wrapper sees every exec', () => {
  let log: LogWrapper;
  beforeAll(() => {
    log = new LogWrapper();
  });
  afterAll(() => log.dispose());

  /** Runs BODY in the patched shell under the log wrapper, and the same in unpatched bash. */
  function logged(body: string): { p: BashResult; u: BashResult } {
    log.clear();
    const env = { EXEC_WRAPPER: log.path };
    const u = run(unpatchedBashPath, body, env);
    expect(log.records()).toEqual([]); // the unpatched shell never calls it
    const p = run(patchedBashPath, body, env);
    return { p, u };
  }
  const argvs = (): string[][] => log.text().map((r) => r.argv);

  it.each(Object.keys(corpus))('output and status of %s are unchanged', (key) => {
    const { p, u } = logged(corpus[key]!);
    expectSameAsUnpatched(p, u);
  });

  it('simple commands by PATH lookup, absolute and relative path: exact path and argv', () => {
    const { p } = logged('myecho hello world; /bin/echo absolute; ./rel-echo relative "two words"');
    expect(p.status).toBe(0);
    expect(log.text().map((r) => [r.path, r.argv])).toEqual([
      [join(bin, 'myecho'), ['myecho', 'hello', 'world']],
      ['/bin/echo', ['/bin/echo', 'absolute']],
      ['./rel-echo', ['./rel-echo', 'relative', 'two words']],
    ]);
    for (const r of log.text()) expect(r.cwd).toBe(work);
  });

  it('hashed commands: the hashed path, with the name as typed in argv[0]', () => {
    const { p } = logged(`hash -p ${prog.echo} fake; fake via-hash; myecho a; myecho b`);
    expect(p.status).toBe(0);
    expect(log.text().map((r) => [r.path, r.argv])).toEqual([
      [prog.echo, ['fake', 'via-hash']],
      [join(bin, 'myecho'), ['myecho', 'a']],
      [join(bin, 'myecho'), ['myecho', 'b']],
    ]);
  });

  it('pipelines, subshells, $(...), <(...), groups and background jobs', () => {
    const { p } = logged(
      'myecho p1 | mycat | mycat; (myecho subshell); x=$(myecho cs); mycat <(myecho procsub); { myecho group; } | mycat; myecho bg & wait',
    );
    expect(p.status).toBe(0);
    const seen = argvs().map((a) => a.join(' ').replace(/\/dev\/fd\/\d+/, '/dev/fd/N'));
    expect(seen.sort()).toEqual(
      [
        'myecho p1',
        'mycat',
        'mycat',
        'myecho subshell',
        'myecho cs',
        'mycat /dev/fd/N',
        'myecho procsub',
        'myecho group',
        'mycat',
        'myecho bg',
      ].sort(),
    );
    // Each pipeline member is its own process.
    const pids = log.text().map((r) => r.pid);
    expect(new Set(pids).size).toBe(pids.length);
  });

  it('exec replaces the shell with the wrapper: same pid', () => {
    const { p } = logged('echo $$; exec myecho replaced');
    const [shellPid, out] = p.stdout.toString().split('\n');
    expect(out).toBe('replaced');
    expect(log.text()).toMatchObject([{ pid: Number(shellPid), argv: ['myecho', 'replaced'] }]);
  });

  it('exec -a NAME keeps NAME as argv[0]; -l prefixes a dash; the path is the resolved one', () => {
    const { p, u } = logged(
      `(exec -a NAME mysh -c 'echo "$0"'); (exec -l mysh -c 'echo "$0"'); (exec -l -a NAME mysh -c 'echo "$0"')`,
    );
    expectSameAsUnpatched(p, u);
    expect(p.stdout.toString()).toBe('NAME\n-mysh\n-NAME\n');
    expect(log.text().map((r) => [r.path, r.argv[0]])).toEqual([
      [join(bin, 'mysh'), 'NAME'],
      [join(bin, 'mysh'), '-mysh'],
      [join(bin, 'mysh'), '-NAME'],
    ]);
  });

  it('exec -c still goes through the wrapper, with an empty environment', () => {
    const { p } = logged('(exec -c myenv); echo "st=$?"');
    expect(p.stdout.toString()).toBe('st=0\n');
    expect(log.text()).toMatchObject([{ envc: 0, path: join(bin, 'myenv'), argv: ['myenv'] }]);
  });

  it('without -c the command gets the environment bash would give it', () => {
    const { p, u } = logged('export FOO=bar; myenv');
    expectSameAsUnpatched(p, u);
    const lines = p.stdout.toString().trim().split('\n');
    expect(lines).toContain('FOO=bar');
    expect(lines).toContain(`EXEC_WRAPPER=${log.path}`);
    expect(log.text()[0]!.envc).toBe(lines.length);
  });

  it('command and command -p', () => {
    const resolved = run(unpatchedBashPath, 'command -pv cat').stdout.toString().trim();
    expect(resolved).toMatch(/^\/.*\/cat$/);
    const { p } = logged('command myecho via-command; command -p cat </dev/null');
    expect(p.status).toBe(0);
    expect(log.text().map((r) => [r.path, r.argv])).toEqual([
      [join(bin, 'myecho'), ['myecho', 'via-command']],
      [resolved, ['cat']],
    ]);
  });

  it('commands run from functions and traps', () => {
    const { p } = logged(
      'f() { myecho "in f" "$@"; }; f a b; trap "myecho on-exit" EXIT; trap "myecho on-usr1" USR1; kill -USR1 $$; myecho last',
    );
    expect(p.stdout.toString()).toBe('in f a b\non-usr1\nlast\non-exit\n');
    expect(argvs()).toEqual([['myecho', 'in f', 'a', 'b'], ['myecho', 'on-usr1'], ['myecho', 'last'], ['myecho', 'on-exit']]);
  });

  it('nested shells inherit EXEC_WRAPPER and wrap their own commands', () => {
    const { p } = logged('"$BASH" -c "myecho nested"');
    expect(p.stdout.toString()).toBe('nested\n');
    const recs = log.text();
    expect(recs.map((r) => [r.path, r.argv])).toEqual([
      [shell.path, [shell.path, '-c', 'myecho nested']],
      [join(bin, 'myecho'), ['myecho', 'nested']],
    ]);
  });

  it('EXEC_WRAPPER is read from the shell variable: set, local, unset inside the script', () => {
    log.clear();
    const r = run(
      patchedBashPath,
      `myecho before; EXEC_WRAPPER=${log.path}; myecho shell-variable; f() { local EXEC_WRAPPER=; myecho local-empty; }; f; unset EXEC_WRAPPER; myecho after`,
      { EXEC_WRAPPER: undefined },
    );
    expect(r.stdout.toString()).toBe('before\nshell-variable\nlocal-empty\nafter\n');
    expect(argvs()).toEqual([['myecho', 'shell-variable']]);
  });

  it('arguments arrive byte for byte: non-UTF-8, empty, newlines', () => {
    const { p, u } = logged("myprintf '%s|' $'\\xff\\xfe' $'a\\x80b' $'\\xc3\\x28' '' $'line1\\nline2' end");
    expectSameAsUnpatched(p, u);
    const expected = [
      Buffer.from('%s|'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0x61, 0x80, 0x62]),
      Buffer.from([0xc3, 0x28]),
      Buffer.alloc(0),
      Buffer.from('line1\nline2'),
      Buffer.from('end'),
    ];
    const [rec] = log.records();
    expect(rec!.argv.slice(1).map((b) => b.toString('hex'))).toEqual(expected.map((b) => b.toString('hex')));
    expect(p.stdout.toString('hex')).toBe(Buffer.concat(expected.slice(1).flatMap((b) => [b, Buffer.from('|')])).toString('hex'));
  });

  it('a non-UTF-8 directory in the path arrives byte for byte', () => {
    const dirName = Buffer.concat([Buffer.from(join(work, 'bin-')), Buffer.from([0xff, 0xfe])]);
    mkdirSync(dirName, { recursive: true });
    symlinkSync(prog.echo!, Buffer.concat([dirName, Buffer.from('/odd-echo')]));
    const { p } = logged("PATH=\"$PWD/bin-\"$'\\xff\\xfe':$PATH; odd-echo found");
    expect(p.stdout.toString()).toBe('found\n');
    const [rec] = log.records();
    expect(rec!.path.toString('hex')).toBe(Buffer.concat([dirName, Buffer.from('/odd-echo')]).toString('hex'));
  });

  it('a long argv (100000 arguments) arrives whole', () => {
    const { p } = logged('mytrue {1..100000}; echo "st=$?"');
    expect(p.stdout.toString()).toBe('st=0\n');
    const [rec] = log.text();
    expect(rec!.argv.length).toBe(100_001);
    expect(rec!.argv[100_000]).toBe('100000');
    expect(rec!.argv[1]).toBe('1');
  });

  it('scripts with #! and ELF programs go to the wrapper', () => {
    const { p } = logged('./shebang x y; mytrue');
    expect(p.stdout.toString()).toBe('sh script: ./shebang x y\n');
    expect(log.text().map((r) => [r.path, r.argv])).toEqual([
      ['./shebang', ['./shebang', 'x', 'y']],
      // The commands inside the sh script run under the host's sh, not ours.
      [join(bin, 'mytrue'), ['mytrue']],
    ]);
  });
});

describe('scripts without #! (bash runs them itself after ENOEXEC)', () => {
  let log: LogWrapper;
  beforeAll(() => {
    log = new LogWrapper();
  });
  afterAll(() => log.dispose());

  it('run exactly as in unpatched bash, never reach the wrapper, and their commands do', () => {
    const body = corpus.noshebang!;
    const env = { EXEC_WRAPPER: log.path };
    const u = run(unpatchedBashPath, body, env);
    const p = run(patchedBashPath, body, env);
    expectSameAsUnpatched(p, u);
    // The script really ran (its exit status and output are there), as a
    // script shell: exported functions and variables only ...
    expect(p.stdout.toString()).toContain('st=7');
    expect(p.stdout.toString()).toContain('myfunc not visible\nexpfunc visible\n');
    expect(p.stdout.toString()).toContain('notexp=unset exp=shown');
    expect(p.stdout.toString()).toContain('ran by bash: ./hashbang-blank');
    const paths = log.text().map((r) => r.path);
    // ... but not through the wrapper ...
    expect(paths.filter((x) => /noshebang|empty|hashbang-blank/.test(x))).toEqual([]);
    // ... which saw every command inside each run (a, c, d, e, and the blank-#! script).
    expect(
      log
        .text()
        .map((r) => r.argv.join(' '))
        .filter((a) => a.startsWith('myecho'))
        .sort(),
    ).toEqual(['myecho inside a', 'myecho inside c', 'myecho inside d', 'myecho inside e', 'myecho ran by bash: ./hashbang-blank'].sort());
  });

  it('failing execs (missing, directory, not executable) are reported by bash, not the wrapper', () => {
    log.clear();
    const body = corpus.errors!;
    const env = { EXEC_WRAPPER: log.path };
    const u = run(unpatchedBashPath, body, env);
    const p = run(patchedBashPath, body, env);
    expectSameAsUnpatched(p, u);
    expect(p.stderr.toString()).toContain('./notexec: Permission denied');
    expect(log.records()).toEqual([]);
  });
});

describe('a wrapper that cannot be executed', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('eg-badwrap-');
    writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\n');
    chmodSync(join(dir, 'not-executable'), 0o644);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { what: 'missing', wrapper: (): string => join(dir, 'missing'), status: 127, error: 'No such file or directory' },
    { what: 'not executable', wrapper: (): string => join(dir, 'not-executable'), status: 126, error: 'Permission denied' },
    { what: 'a directory', wrapper: (): string => dir, status: 126, error: 'Permission denied' },
  ];

  it.each(cases)('$what: status $status and a message naming the wrapper and the command', (c) => {
    const r = run(patchedBashPath, 'mytrue; echo "st=$?"', { EXEC_WRAPPER: c.wrapper() });
    expect(r.stdout.toString()).toBe(`st=${c.status}\n`);
    expect(r.stderr.toString()).toBe(
      `bash: line 1: ${c.wrapper()}: cannot execute wrapper for ${join(bin, 'mytrue')}: ${c.error}\n`,
    );
  });

  it.each(cases)('$what, from the exec builtin: the same single message, the shell exits with $status', (c) => {
    const r = run(patchedBashPath, 'exec mytrue; echo not-reached', { EXEC_WRAPPER: c.wrapper() });
    expect(r.status).toBe(c.status);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr.toString()).toBe(
      `bash: line 1: ${c.wrapper()}: cannot execute wrapper for ${join(bin, 'mytrue')}: ${c.error}\n`,
    );
  });

  it('an interactive-style shell survives a failed exec (execfail) and keeps working', () => {
    const w = join(dir, 'missing');
    const r = run(patchedBashPath, `shopt -s execfail; exec mytrue; echo "st=$?"; EXEC_WRAPPER=; mytrue && echo ok`, {
      EXEC_WRAPPER: w,
    });
    expect(r.stdout.toString()).toBe('st=127\nok\n');
  });
});

describe("the session's run table (execgate's fast path, read by bash itself)", () => {
  let log: LogWrapper;
  let session: string;
  beforeAll(() => {
    log = new LogWrapper();
    session = tempDir('eg-session-');
  });
  afterAll(() => log.dispose());

  /** Runs BODY under the log wrapper with $EXECGATE_SESSION holding TABLE
   * (null: no table file); the argv of each exec the wrapper saw. */
  function withTable(table: Buffer | null, body: string): { p: BashResult; seen: string[][] } {
    rmSync(join(session, RUN_TABLE_NAME), { force: true });
    if (table) writeFileSync(join(session, RUN_TABLE_NAME), table);
    log.clear();
    const p = run(patchedBashPath, body, { EXEC_WRAPPER: log.path, EXECGATE_SESSION: session });
    return { p, seen: log.text().map((r) => r.argv) };
  }
  const table = (t: { localRun?: boolean; record?: boolean; names?: string[] }) =>
    encodeRunTable({ generation: 1, localRun: t.localRun ?? true, record: t.record ?? false, names: (t.names ?? []).map((n) => Buffer.from(n)) });
  const body = 'myecho one; mycat /dev/null; /bin/echo two; exit 3';

  it('runs a program the table does not name itself: the wrapper sees only the named ones, output and status unchanged', () => {
    const u = run(unpatchedBashPath, body);
    const { p, seen } = withTable(table({ names: ['mycat', 'git'] }), body);
    expectSameAsUnpatched(p, u);
    expect(seen).toEqual([['mycat', '/dev/null']]);
  });

  it('leaves every exec to the wrapper when the table asks for records (an audit log), says no local run, or is not there', () => {
    for (const t of [table({ record: true }), table({ localRun: false }), null]) {
      expect(withTable(t, body).seen).toEqual([['myecho', 'one'], ['mycat', '/dev/null'], ['/bin/echo', 'two']]);
    }
  });

  it('leaves every exec to the wrapper for a table it cannot read whole: a bad magic, an unknown flag, a count past the end, trailing bytes, too big', () => {
    const good = table({ names: ['git'] });
    const unknownFlag = Buffer.from(good);
    unknownFlag.writeUInt32LE(1 | 4, 8);
    const overCount = Buffer.from(good);
    overCount.writeUInt32LE(2, 12);
    const bad = [Buffer.concat([Buffer.from('EGT0'), good.subarray(4)]), unknownFlag, overCount, Buffer.concat([good, Buffer.from([0])]), Buffer.concat([good, Buffer.alloc(64 * 1024)])];
    for (const t of bad) expect(withTable(t, 'myecho x').seen).toEqual([['myecho', 'x']]);
    expect(withTable(good, 'myecho x').seen).toEqual([]);
  });

  it('is not held up by a FIFO the agent put where the table goes: it reads nothing and leaves the exec to the wrapper', () => {
    rmSync(join(session, RUN_TABLE_NAME), { force: true });
    expect(spawnSync('mkfifo', [join(session, RUN_TABLE_NAME)]).status).toBe(0);
    log.clear();
    const p = run(patchedBashPath, 'myecho x', { EXEC_WRAPPER: log.path, EXECGATE_SESSION: session });
    expect(p.stdout.toString()).toBe('x\n');
    expect(log.text().map((r) => r.argv)).toEqual([['myecho', 'x']]);
    rmSync(join(session, RUN_TABLE_NAME), { force: true });
  });

  it('reports a failed exec in its own words, as unpatched bash does', () => {
    const script = `${join(work, 'notexec')}; echo "st $?"; ./adir; echo "st $?"`;
    const u = run(unpatchedBashPath, script);
    const { p, seen } = withTable(table({}), script);
    expectSameAsUnpatched(p, u);
    expect(seen).toEqual([]);
  });
});

// scripts/build-bash.sh links the patched bash static-pie (unless
// EXECGATE_BASH_STATIC=0): a static glibc must not load the NSS modules
// nsswitch.conf names (libnss_systemd crashed it on `~name`).
describe.skipIf(process.env.EXECGATE_BASH_STATIC === '0')('the patched bash, linked static-pie', () => {
  const names = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':')[0]!)
      .sort();

  it('asks for no dynamic loader', () => {
    expect(elfLinking(patchedBashPath)).toEqual({ elf: true, interpreter: null });
  });

  it('looks users and groups up in /etc/passwd and /etc/group, and an unknown ~name stays as typed', () => {
    const home = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('root:'))!.split(':')[5];
    const out = (body: string) => {
      const p = run(patchedBashPath, body);
      expect(p.status).toBe(0);
      return p.stdout.toString();
    };
    expect(out('echo ~root ~no-such-user-eg')).toBe(`${home} ~no-such-user-eg\n`);
    expect(out('compgen -u').split('\n').filter(Boolean).sort()).toEqual(names('/etc/passwd'));
    expect(out('compgen -g').split('\n').filter(Boolean).sort()).toEqual(names('/etc/group'));
  });

  it('says dynamic loading is not available for `enable -f`', () => {
    const p = run(patchedBashPath, 'enable -f /nonexistent/eg.so eg; echo "st=$?"');
    expect(p.stderr.toString()).toMatch(/enable: dynamic loading not available/);
    expect(p.stdout.toString()).toBe('st=2\n');
  });
});
