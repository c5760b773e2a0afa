// The real wrapper binary against a broker in this very process: no shell
// in between, so each test sees exactly one exec's request and decision.
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveAll } from '../../src/approval/types.js';
import type { Audit, AuditRecord } from '../../src/audit/audit-log.js';
import type { Fd } from '../../src/native/fd.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wrapperPath } from '../../src/native/paths.js';
import { parsePolicy } from '../../src/policy/load.js';
import { PathMap } from '../../src/sandbox/path-map.js';
import { Broker } from '../../src/session/broker.js';
import type { Session } from '../../src/session/session.js';

const records: AuditRecord[] = [];
const audit: Audit = { enabled: true, backlogBytes: 0, write: (r) => void records.push(r), close: async () => {} };
let broker: Broker;
let session: Session;
let shellEnd: Fd;

function setup(policyText: string) {
  const policy = parsePolicy(policyText, 'test.toml');
  broker = new Broker({ policy: () => policy, audit, approver: approveAll, dir: mkdtempSync(join(tmpdir(), 'eg-broker-')) });
  session = broker.openSession({ label: 'unit', pathMap: PathMap.identity() });
  shellEnd = session.takeShellEnd();
}

beforeEach(() => {
  records.length = 0;
});
afterEach(async () => {
  shellEnd.close();
  await broker.close();
});

/** Runs the wrapper as the patched shell would for `argv`, session at fd 3. */
function wrap(argv: string[], input = ''): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(wrapperPath, [argv[0]!, ...argv], { stdio: ['pipe', 'pipe', 'pipe', shellEnd.fd], env: { EXECGATE_SOCKET: '3', PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin!.end(input);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('wrapper against an in-process broker', () => {
  it('Run: execs the program in place, with its argv, and the broker recorded it', async () => {
    setup('');
    const r = await wrap(['/bin/echo', 'hello', 'world']);
    expect(r).toMatchObject({ code: 0, stdout: 'hello world\n' });
    expect(records.find((x) => x.event === 'decision')).toMatchObject({ program: '/bin/echo', argv: ['/bin/echo', 'hello', 'world'], decision: 'run' });
  });

  it('Deny: one line naming the command and the reason, status 126', async () => {
    setup('[[rule]]\nid = "no"\nprogram = "echo"\ndecision = "deny"\nreason = "not here"\n');
    const r = await wrap(['/bin/echo', 'x']);
    expect(r.code).toBe(126);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('execgate: denied: /bin/echo: not here\n');
  });

  it('Escalate: runs on the host with our stdin and stdout, exit code and signal faithful', async () => {
    setup('[[rule]]\nid = "sh"\nprogram = "sh"\ndecision = "escalate"\n');
    expect(await wrap(['/bin/sh', '-c', 'tr a-z A-Z; exit 7'], 'piped\n')).toMatchObject({ code: 7, stdout: 'PIPED\n' });
    expect(await wrap(['/bin/sh', '-c', 'kill -TERM $$'])).toMatchObject({ code: null, signal: 'SIGTERM' });
    const completions = records.filter((x) => x.event === 'completion');
    expect(completions.map((c) => [c.exit_code, c.signal])).toEqual([[7, null], [null, 'SIGTERM']]);
  });

  it('fails closed when the session socket is not there', async () => {
    setup('');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(wrapperPath, ['/bin/echo', '/bin/echo', 'x'], { env: { EXECGATE_SOCKET: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(126);
    expect(r.stderr).toBe('execgate: cannot reach the session: fd 3 is not open and EXECGATE_SESSION is not set\n');
  });
});
