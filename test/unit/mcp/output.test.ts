import { describe, expect, it } from 'vitest';
import type { HostRequest } from '../../../src/mcp/call-record.js';
import { describeRequests, shapeResult, shapeStream } from '../../../src/mcp/output.js';
import type { CallResult } from '../../../src/mcp/shell-host.js';

const captured = (s: string | Buffer) => ({ head: Buffer.from(s), tail: Buffer.alloc(0), total: Buffer.from(s).length });

describe('shapeStream', () => {
  it('shows short output whole', () => {
    expect(shapeStream(captured('hello\n'), true)).toEqual({ text: 'hello\n', cut: 0, redactions: 0 });
  });

  it('marks the cut with its size, and drops characters the cut split', () => {
    const head = Buffer.concat([Buffer.from('ab'), Buffer.from('é').subarray(0, 1)]);
    const tail = Buffer.concat([Buffer.from('€').subarray(1), Buffer.from('yz')]);
    const r = shapeStream({ head, tail, total: 1000 }, true);
    expect(r.text).toBe('ab\n[... execgate cut 993 bytes here: 1000 bytes in all, the first 3 and the last 4 are shown ...]\nyz');
    expect(r.cut).toBe(993);
  });

  it('keeps a whole multibyte character at either end', () => {
    const r = shapeStream({ head: Buffer.from('aé'), tail: Buffer.from('€b'), total: 100 }, false);
    expect(r.text.startsWith('aé\n')).toBe(true);
    expect(r.text.endsWith('\n€b')).toBe(true);
  });

  it('redacts head and tail and counts both, or neither', () => {
    const s = { head: Buffer.from('TOKEN=abc\n'), tail: Buffer.from('PASSWORD=x\n'), total: 50 };
    expect(shapeStream(s, true).redactions).toBe(2);
    expect(shapeStream(s, false)).toMatchObject({ redactions: 0 });
    expect(shapeStream(s, false).text).toContain('TOKEN=abc');
  });
});

const req = (over: Partial<HostRequest>): HostRequest => ({ id: 'a.1', argv: ['git', 'push'], hostProgram: '/usr/bin/git', decision: 'escalate', ruleId: 'r', reason: '', decidedBy: 'rule:r', notes: [], ...over });

describe('describeRequests', () => {
  it('says which rule denied and why, and that retrying will not help', () => {
    expect(describeRequests([req({ decision: 'deny', ruleId: 'no-push', reason: 'pushes need a human' })])).toEqual([
      'denied: git push: rule "no-push" says: pushes need a human. Retrying the same command will be denied again; do something else or ask the user.',
    ]);
  });

  it('says how escalations and prompts ended, with notes', () => {
    expect(
      describeRequests([
        req({ outcome: { kind: 'exited', exitCode: 0, signal: null, by: 'rule:r' } }),
        req({ decision: 'prompt', outcome: { kind: 'exited', exitCode: 1, signal: null, by: 'human:web' }, notes: ['the approval dialog was withdrawn: human:web answered first'] }),
        req({ decision: 'prompt', outcome: { kind: 'denied', by: 'timeout', reason: 'no answer before the time-out' } }),
        req({ decision: 'prompt', argv: ['a', 'b c'] }),
        req({ ruleId: null, decidedBy: 'default', outcome: { kind: 'exited', exitCode: null, signal: 'SIGTERM', by: 'default' } }),
      ]),
    ).toEqual([
      'ran on the host (rule "r"): git push: exit code 0',
      'asked a human (rule "r"): git push: approved by human:web, exit code 1 (the approval dialog was withdrawn: human:web answered first)',
      'asked a human (rule "r"): git push: refused by timeout: no answer before the time-out',
      "asked a human (rule \"r\"): a 'b c': no answer before the call ended",
      'ran on the host (the default decision): git push: killed by SIGTERM',
    ]);
  });

  it('lists at most 20 and counts the rest', () => {
    const lines = describeRequests(Array.from({ length: 25 }, (_, i) => req({ id: `x.${i}`, decision: 'deny', reason: 'no' })));
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe('... and 5 more host requests (see the audit log)');
  });
});

describe('shapeResult', () => {
  const base: CallResult = { end: { kind: 'exited', code: 0 }, durationMs: 1234, stdout: captured('out\n'), stderr: captured(''), state: 'carried', cwd: '/p', restarted: false };

  it('heads the text with the status, time and directory; an exit status is a result, not a tool error', () => {
    const ok = shapeResult(base, [], { redact: true });
    expect(ok).toEqual({ text: 'Exit code 0 · 1.23 s · working directory /p\n--- stdout\nout', isError: false, redactions: 0, cut: 0 });
    const failed = shapeResult({ ...base, end: { kind: 'exited', code: 2 }, stdout: captured('') }, [], { redact: true });
    expect(failed.isError).toBe(false);
    expect(failed.text).toBe('Exit code 2 · 1.23 s · working directory /p\n--- stdout: (empty)');
  });

  it('says when a call timed out, the shell was restarted, or the state could not be carried', () => {
    const timedOut = shapeResult({ ...base, end: { kind: 'timed-out', afterMs: 500 }, restarted: true, state: 'too-big' }, [], { redact: true });
    expect(timedOut.isError).toBe(true);
    const t = timedOut.text;
    expect(t.split('\n').slice(0, 4)).toEqual([
      'Timed out after 500 ms · 1.23 s · working directory /p',
      '(the sandboxed shell had ended, so it was started again: background jobs and its /tmp are gone)',
      '(the exported variables were too big to carry to the next call: it starts from the state before this one)',
      '(the command was killed: it timed out after 500 ms; its process group and the host commands it started were ended)',
    ]);
  });
});
