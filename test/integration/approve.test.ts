// Prompts answered from a second terminal: the real broker, its control
// socket, and `execgate approve --list/--answer` as a separate process.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rule, startShell, tempDir } from '../helpers/execgate.js';
import { waitFor } from '../helpers/wait.js';

const prompt = (extra = '') => `approval_timeout = "30s"\n${rule('ask-sh', 'sh', 'prompt')}${extra}`;
const waitFile = (f: string) => waitFor(() => existsSync(f), { what: f });

describe('execgate approve', () => {
  it('answers two waiting prompts in reverse order, each on its own', async () => {
    const live = startShell(`sh -c 'echo first ran' & sh -c 'echo second ran' & wait`, { policy: prompt() });
    const pending = await live.waitPending(2);
    const first = pending.find((p) => p.argv[2] === 'echo first ran')!;
    const second = pending.find((p) => p.argv[2] === 'echo second ran')!;
    expect((await live.approve(['--answer', second.id, 'deny', '--reason', 'not this one'])).code).toBe(0);
    const again = await live.approve(['--answer', second.id, 'once']);
    expect(again.code).toBe(1);
    expect(again.stdout.toString()).toContain('no pending request');
    expect((await live.approve(['--answer', first.id, 'once'])).code).toBe(0);
    const r = await live.done;
    expect(r.stdout.toString()).toBe('first ran\n');
    expect(r.stderr).toContain('execgate: denied: sh: not this one');
    const completions = r.audit.filter((a) => a.event === 'completion');
    expect(completions.map((c) => [c.outcome, c.decided_by]).sort()).toEqual([['denied', 'human:terminal'], ['exited', 'human:terminal']]);
  });

  it('"session" approves the same program and argv again without asking, nothing else', async () => {
    const live = startShell(`sh -c 'echo a'; sh -c 'echo a'; sh -c 'echo b'; echo "b status $?"`, { policy: prompt() });
    const [p1] = await live.waitPending(1);
    await live.approve(['--answer', p1!.id, 'session']);
    const [p3] = await live.waitPending(1);
    expect(p3!.argv).toEqual(['sh', '-c', 'echo b']);
    await live.approve(['--answer', p3!.id, 'deny']);
    const r = await live.done;
    expect(r.stdout.toString()).toBe('a\na\nb status 126\n');
    expect(r.audit.filter((a) => a.event === 'completion').map((a) => a.decided_by)).toEqual(['human:terminal', 'session-grant', 'human:terminal']);
  });

  it('"always" writes a rule to the policy file and the reload applies it', async () => {
    const live = startShell(`sh -c 'echo x'; sh -c 'echo x'`, { policy: prompt() });
    const [p] = await live.waitPending(1);
    const answered = await live.approve(['--answer', p!.id, 'always']);
    expect(answered.stdout.toString()).toMatch(/wrote rule:[\s\S]*program = "sh"[\s\S]*args = \["-c", "echo x"\]/);
    const r = await live.done;
    expect(r.stdout.toString()).toBe('x\nx\n');
    expect(readFileSync(live.policyFile, 'utf8')).toContain('decision = "escalate"');
    const decisions = r.audit.filter((a) => a.event === 'decision').map((a) => a.decided_by);
    expect(decisions[0]).toBe('rule:ask-sh');
    expect(decisions[1]).toMatch(/^rule:approved-/);
  });

  it('picks up a policy file rewritten while the broker runs; a broken edit keeps the last good one', async () => {
    const dir = tempDir();
    const script = `sh -c 'echo one'; echo "one $?"; touch ${dir}/first; while [ ! -e ${dir}/go ]; do sleep 0.05; done; sh -c 'echo two'; echo "two $?"`;
    const live = startShell(script, { policy: rule('no-sh', 'sh', 'deny') });
    await waitFile(join(dir, 'first'));
    writeFileSync(live.policyFile, 'this is not = = toml');
    await waitFor(() => live.stderr().includes('policy not reloaded'), { what: 'the broken edit to be refused' });
    writeFileSync(live.policyFile, rule('sh-host', 'sh', 'escalate'));
    await waitFor(() => live.stderr().includes('policy reloaded from'), { what: 'the good edit to be loaded' });
    writeFileSync(join(dir, 'go'), '');
    const r = await live.done;
    expect(r.stdout.toString()).toBe('one 126\ntwo\ntwo 0\n');
    expect(r.stderr).toMatch(/policy not reloaded, keeping the last good one: .*policy\.toml:1: invalid TOML/);
    expect(r.stderr).toContain('policy reloaded from');
  });

  it('--list shows hostile arguments escaped, never raw, and in full, one per line', async () => {
    const live = startShell(`sh -c $'printf pwned\\e[2J\\e]0;title\\a\\nnext' "$(printf '%*s' 100000 '' | tr ' ' A)" $'\\u200b\\u202e'`, { policy: prompt() });
    const [p] = await live.waitPending(1);
    const listed = (await live.approve(['--list'])).stdout.toString();
    expect(listed).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u200b\u202e]/);
    expect(listed).toContain("  argv[1]  -c\n  argv[2]  'printf pwned\\e[2J\\e]0;title\\x07\\nnext'\n");
    expect(listed).toContain(`  argv[3]  ${'A'.repeat(100_000)}\n`);
    expect(listed).toContain("  argv[4]  '\\u{200b}\\u{202e}'\n");
    expect(listed).not.toContain('more chars');
    await live.approve(['--answer', p!.id, 'deny']);
    await live.done;
  });

  it('says clearly when no broker is running', async () => {
    const live = startShell('true');
    await live.done;
    const r = await live.approve(['--list']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no running execgate broker found');
  });
});
