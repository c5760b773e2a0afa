// `execgate shell` end to end: the real patched bash, the real wrapper, the
// real broker, real fds over SCM_RIGHTS. --sandbox none: "host" and
// "sandbox" are one machine, so escalation is told apart by what only the
// host side has: the broker's environment, and the audit log.
import { copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execgateShell, plainBash, rule, tempDir } from '../helpers/execgate.js';

const escalateSh = rule('sh-host', 'sh', 'escalate');
// Set in the broker's environment only; the shell unsets it first thing.
const HOSTONLY = { EG_TEST_HOSTONLY: 'from-the-host' };
const showHostOnly = `unset EG_TEST_HOSTONLY; sh -c 'echo "\${EG_TEST_HOSTONLY-unset}"'`;

describe('execgate shell: run, escalate, deny', () => {
  it('runs everything in the sandbox by default, output and status unchanged', async () => {
    const script = `echo builtin; /bin/echo external; ls -d / ; sh -c 'exit 3'; echo "status $?"`;
    const [r, plain] = await Promise.all([execgateShell(script), plainBash(script)]);
    expect(r.stdout.toString()).toBe(plain.stdout.toString());
    expect(r.stdout.toString()).toBe('builtin\nexternal\n/\nstatus 3\n');
    expect(r.code).toBe(0);
    const decisions = r.audit.filter((a) => a.event === 'decision');
    expect(decisions.map((d) => d.program)).toEqual(['/bin/echo', expect.stringMatching(/\/ls$/), expect.stringMatching(/\/sh$/)]);
    // Decided by the wrapper from the run table (no rule names them), and
    // audited from its one-way records.
    expect(decisions.every((d) => d.decision === 'run' && d.decided_by === 'fast-path')).toBe(true);
  });

  it('escalates to the host: the host environment, not the sandbox one', async () => {
    const ran = await execgateShell(showHostOnly, { env: HOSTONLY });
    expect(ran.stdout.toString()).toBe('unset\n');
    const esc = await execgateShell(showHostOnly, { env: HOSTONLY, policy: escalateSh });
    expect(esc.stdout.toString()).toBe('from-the-host\n');
    const completion = esc.audit.find((a) => a.event === 'completion');
    expect(completion).toMatchObject({ decided_by: 'rule:sh-host', outcome: 'exited', exit_code: 0 });
  });

  it.each([0, 1, 7, 255])('carries exit status %i back from the host', async (code) => {
    const r = await execgateShell(`sh -c 'exit ${code}'; echo "status $?"`, { policy: escalateSh });
    expect(r.stdout.toString()).toBe(`status ${code}\n`);
  });

  it('re-raises a host signal death so the shell sees what the host saw', async () => {
    const script = `sh -c 'kill -TERM $$'; echo "status $?"; sh -c 'kill -KILL $$'; echo "status $?"`;
    const [esc, plain] = await Promise.all([execgateShell(script, { policy: escalateSh }), plainBash(script)]);
    expect(esc.stdout.toString()).toBe('status 143\nstatus 137\n');
    expect(esc.stdout.toString()).toBe(plain.stdout.toString());
    expect(esc.audit.filter((a) => a.event === 'completion').map((a) => a.signal)).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('gives escalated commands the caller\'s stdin, stdout and stderr', async () => {
    const r = await execgateShell(`printf 'a\\nb\\nc\\n' | sh -c 'wc -l; echo to-stderr >&2' 2>err.txt; cat err.txt`, {
      policy: escalateSh,
      cwd: tempDir(),
    });
    expect(r.stdout.toString().replace(/ +/g, '')).toBe('3\nto-stderr\n');
  });

  it('reads stdin from the shell\'s own stdin when escalated', async () => {
    const r = await execgateShell(`sh -c 'cat'`, { policy: escalateSh, input: 'piped in\n' });
    expect(r.stdout.toString()).toBe('piped in\n');
  });

  it('denies with the rule\'s reason and status 126', async () => {
    const r = await execgateShell(`sh -c 'echo ran'; echo "status $?"`, { policy: rule('no-sh', 'sh', 'deny', 'reason = "not today"') });
    expect(r.stdout.toString()).toBe('status 126\n');
    expect(r.stderr).toContain('execgate: denied: sh: not today');
  });

  it('denies unanswered prompts at the time-out, approves them with --dangerously-approve-all', async () => {
    const policy = `approval_timeout = "1s"\n${rule('ask-sh', 'sh', 'prompt')}`;
    const denied = await execgateShell(`sh -c 'echo ran'; echo "status $?"`, { policy, env: { TMUX: undefined } });
    expect(denied.stdout.toString()).toBe('status 126\n');
    expect(denied.stderr).toContain('run `execgate approve` in another terminal');
    expect(denied.stderr).toContain('execgate: denied: sh: no answer before the time-out');
    expect(denied.audit.find((a) => a.event === 'completion')).toMatchObject({ decided_by: 'timeout', outcome: 'denied' });
    const approved = await execgateShell(showHostOnly, { policy, env: HOSTONLY, flags: ['--dangerously-approve-all'] });
    expect(approved.stdout.toString()).toBe('from-the-host\n');
    expect(approved.audit.find((a) => a.event === 'completion')).toMatchObject({ decided_by: 'flag:dangerously-approve-all' });
  });
});

describe('execgate shell: what crosses to the host', () => {
  it('never forwards LD_*, BASH_ENV or PATH; forwards allowlisted TERM and LC_*', async () => {
    const script = `export LD_EG_TEST=1 BASH_ENV=/nonexistent TERM=eg-term LC_EG_TEST=yes EG_OTHER=1 PATH="/sandbox/bin:$PATH";
      env | grep -E '^(LD_EG_TEST|BASH_ENV|TERM|LC_EG_TEST|EG_OTHER|PATH)=' | sort`;
    const r = await execgateShell(script, { policy: rule('env-host', 'env', 'escalate'), env: { BASH_ENV: undefined, TERM: 'host-term' } });
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines).toContain('TERM=eg-term');
    expect(lines).toContain('LC_EG_TEST=yes');
    expect(lines.some((l) => l.startsWith('LD_EG_TEST') || l.startsWith('BASH_ENV') || l.startsWith('EG_OTHER'))).toBe(false);
    expect(lines.find((l) => l.startsWith('PATH='))).not.toContain('/sandbox/bin');
  });

  it('a workspace copy named like a ruled program runs in the sandbox', async () => {
    const dir = tempDir();
    copyFileSync('/bin/sh', join(dir, 'sh'));
    chmodSync(join(dir, 'sh'), 0o755);
    const r = await execgateShell(`unset EG_TEST_HOSTONLY; ./sh -c 'echo "\${EG_TEST_HOSTONLY-unset}"'; PATH=.:$PATH sh -c 'echo "\${EG_TEST_HOSTONLY-unset}"'`, {
      cwd: dir,
      env: HOSTONLY,
      policy: escalateSh,
    });
    expect(r.stdout.toString()).toBe('unset\nunset\n');
    const d = r.audit.filter((a) => a.event === 'decision');
    expect(d.map((x) => [x.decision, x.decided_by])).toEqual([['run', 'default'], ['run', 'default']]);
  });

  it('carries non-UTF-8 argv byte for byte on Run and on Escalate', async () => {
    const script = `/usr/bin/printf '%s' $'\\xff\\xfe\\x80abc' | od -An -tx1`;
    const run = await execgateShell(script);
    const esc = await execgateShell(script, { policy: rule('printf-host', 'printf', 'escalate') });
    expect(run.stdout.toString().trim()).toBe('ff fe 80 61 62 63');
    expect(esc.stdout.toString().trim()).toBe('ff fe 80 61 62 63');
    expect(esc.audit.find((a) => a.event === 'completion')).toMatchObject({ decided_by: 'rule:printf-host' });
  });

  it('passes a 600 kB argv on Run and on Escalate', async () => {
    const script = `/bin/echo $(seq 1 100000) | wc -c`;
    const plain = await plainBash(script);
    const run = await execgateShell(script);
    const esc = await execgateShell(script, { policy: rule('echo-host', 'echo', 'escalate') });
    expect(plain.stdout.toString().trim()).toBe('588895');
    expect(run.stdout.toString()).toBe(plain.stdout.toString());
    expect(esc.stdout.toString()).toBe(plain.stdout.toString());
    expect(esc.audit.find((a) => a.event === 'completion')).toMatchObject({ exit_code: 0 });
  });

  it('runs escalated commands in the mapped working directory', async () => {
    const dir = tempDir();
    const r = await execgateShell(`cd ${dir} && sh -c pwd`, { policy: escalateSh });
    expect(r.stdout.toString()).toBe(`${dir}\n`);
  });

  it('writes the audit log with mode 0600 and redacts secrets', async () => {
    const r = await execgateShell(`/bin/echo --token hunter2 >/dev/null`);
    const d = r.audit.find((a) => a.event === 'decision');
    expect(d?.argv).toEqual(['/bin/echo', '--token', '[redacted]']);
    expect(r.audit[0]).toMatchObject({ event: 'session-start' });
    expect(r.audit.at(-1)).toMatchObject({ event: 'session-end' });
  });
});
