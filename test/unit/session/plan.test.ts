// makePlan against a real directory tree and a path map: which host file a
// request names, where it would run, and what decides.
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../src/policy/load.js';
import { Kind, type Request } from '../../../src/protocol/messages.js';
import { PathMap } from '../../../src/sandbox/path-map.js';
import { makePlan, type Confinement } from '../../../src/session/plan.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'eg-plan-')));
const host = join(root, 'host-project');
mkdirSync(join(host, 'sub'), { recursive: true });
mkdirSync(join(host, 'bin'));
const tool = join(host, 'bin', 'tool');
writeFileSync(tool, '#!/bin/sh\n');
chmodSync(tool, 0o755);
symlinkSync(tool, join(host, 'bin', 'tool-link'));
// The sandbox sees the project at /work; the host's /usr/bin as itself.
const pathMap = new PathMap([
  { sandbox: '/work', host, writable: true },
  { sandbox: '/usr', host: '/usr', writable: false },
]);
const map: Confinement = { pathMap, writableRoots: [host], project: host, readOnly: [] };

function req(file: string, argv: string[], cwd: string | Buffer = '/work/sub', kind: Kind = Kind.EXEC): Request {
  const a = argv.map((x) => Buffer.from(x));
  return { kind, file: Buffer.from(file), argv: a, cwd: Buffer.isBuffer(cwd) ? cwd : Buffer.from(cwd), pid: 1, argc: a.length };
}

const policy = parsePolicy(
  `[[rule]]
id = "tool"
program = "${tool}"
decision = "escalate"

[[rule]]
id = "env"
program = "/usr/bin/env"
decision = "prompt"

[[rule]]
id = "no-rm"
program = "rm"
decision = "deny"
reason = "not here"
`,
  'test.toml',
);

describe('makePlan', () => {
  it('decides a program no rule names by the default, without resolving anything', () => {
    const p = makePlan('s.1', req('/nowhere/ls', ['ls']), policy, map);
    expect(p).toMatchObject({ decision: 'run', decidedBy: 'default', host: null });
  });

  it('maps the program and the working directory to the host and keeps the canonical program', () => {
    const p = makePlan('s.1', req('/work/bin/tool', ['tool', 'x']), policy, map);
    expect(p).toMatchObject({ decision: 'escalate', decidedBy: 'rule:tool', host: { program: tool, named: tool, cwd: join(host, 'sub') } });
  });

  it('a relative program path is taken from the working directory', () => {
    const p = makePlan('s.1', req('../bin/tool', ['tool']), policy, map);
    expect(p.host?.program).toBe(tool);
  });

  it('reached through a symlink of another name, the program does not match a rule for its target', () => {
    const p = makePlan('s.1', req('/work/bin/tool-link', ['tool-link']), policy, map);
    expect(p.decision).toBe('run');
  });

  it('refuses an escalation whose working directory is outside every mapped root, or missing, or not UTF-8', () => {
    expect(makePlan('s.1', req('/work/bin/tool', ['tool'], '/tmp'), policy, map)).toMatchObject({ decision: 'deny', decidedBy: 'error', reason: 'working directory /tmp is outside every path shared with the host' });
    expect(makePlan('s.1', req('/work/bin/tool', ['tool'], '/work/gone'), policy, map)).toMatchObject({ decision: 'deny', reason: `working directory ${join(host, 'gone')} does not exist on the host` });
    expect(makePlan('s.1', req('/work/bin/tool', ['tool'], '/work/bin/tool'), policy, map)).toMatchObject({ decision: 'deny', reason: `working directory ${tool} is not a directory on the host` });
    expect(makePlan('s.1', req('/work/bin/tool', ['tool'], Buffer.from([0x2f, 0xff])), policy, map).reason).toMatch(/not valid UTF-8/);
    expect(makePlan('s.1', req('/work/bin/tool', ['tool'], ''), policy, map).reason).toMatch(/unknown \(was it deleted\?\)/);
  });

  it('refuses a program that does not exist on the host, or lies outside the map', () => {
    const policyAll = parsePolicy('default = "escalate"\n', 'all.toml');
    expect(makePlan('s.1', req('/work/bin/nothing', ['nothing']), policyAll, map).reason).toBe(`${join(host, 'bin', 'nothing')}: no such executable on the host`);
    expect(makePlan('s.1', req('/opt/x/y', ['y']), policyAll, map).reason).toBe('/opt/x/y is outside every path shared with the host');
  });

  it('a deny rule needs no host resolution of the cwd; its reason is given', () => {
    const p = makePlan('s.1', req('/usr/bin/rm', ['rm', '-rf', '/'], '/tmp'), policy, map);
    expect(p).toMatchObject({ decision: 'deny', reason: 'not here', decidedBy: 'rule:no-rm' });
  });

  it('`execgate run NAME` names a host program by its bare name; never "run"', () => {
    const p = makePlan('s.1', req('env', ['env'], '/work', Kind.RUN), policy, map);
    expect(p).toMatchObject({ explicit: true, decision: 'prompt', host: { program: realpathSync('/usr/bin/env') } });
  });

  it('shows the request\'s bytes escaped, made only when asked', () => {
    const p = makePlan('s.1', req('/work/bin/tool', ['tool', 'a\u001b[2Jb']), policy, map);
    expect(p.argv).toEqual(['tool', 'a\\e[2Jb']);
  });
});
