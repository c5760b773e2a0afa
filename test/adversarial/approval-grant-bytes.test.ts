// Red-team finding 9: a "this session" answer was keyed on the display text
// of argv, and U+0085 (bytes c2 85) and the invalid byte 0x85 both displayed
// as `\x85`: one answer covered a byte string the human never saw. A grant
// now covers exactly the bytes approved, and the two display differently.
import { describe, expect, it } from 'vitest';
import { rule, startShell, type LiveShell, type PendingJson } from '../helpers/execgate.js';

const policy = `approval_timeout = "30s"\n${rule('ask-sh', 'sh', 'prompt')}`;

/** The next pending request, or null if the shell finished without one. */
async function nextPendingOrDone(live: LiveShell): Promise<PendingJson | null> {
  let finished = false;
  void live.done.then(() => (finished = true), () => (finished = true));
  for (;;) {
    const r = await live.approve(['--list', '--json']);
    if (r.code === 0) {
      const list = JSON.parse(r.stdout.toString()) as PendingJson[];
      if (list.length > 0) return list[0]!;
    }
    if (finished) return null;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('session grants cover bytes, not their display', () => {
  for (const [first, second, name] of [
    [`$'\\xc2\\x85'`, `$'\\x85'`, 'U+0085 then the raw byte 0x85'],
    [`$'\\x85'`, `$'\\xc2\\x85'`, 'the raw byte 0x85 then U+0085'],
  ] as const) {
    it(`a "session" answer for ${name} does not cover the other`, async () => {
      const live = startShell(`sh -c 'echo "ran $#"' x ${first}; sh -c 'echo "ran $#"' x ${second}; echo "second status $?"`, { policy });
      const [p1] = await live.waitPending(1);
      expect((await live.approve(['--answer', p1!.id, 'session'])).code).toBe(0);
      const p2 = await nextPendingOrDone(live);
      // Before the fix there was no second prompt: the grant covered it.
      expect(p2).not.toBeNull();
      // And the human can tell the two apart.
      expect(p2!.argv[4]).not.toBe(p1!.argv[4]);
      expect([p1!.argv[4], p2!.argv[4]].sort()).toEqual(['\\u{85}', '\\x85']);
      await live.approve(['--answer', p2!.id, 'deny']);
      const r = await live.done;
      expect(r.stdout.toString()).toBe('ran 1\nsecond status 126\n');
      expect(r.audit.filter((a) => a.event === 'completion').map((a) => a.decided_by)).toEqual(['human:terminal', 'human:terminal']);
    });
  }

  it('a "session" answer does not cover the same argv in another directory, or with another crossing variable', async () => {
    const live = startShell(`sh -c 'echo same'; (cd / && sh -c 'echo same'); echo "cwd $?"; LANG=xx sh -c 'echo same'; echo "env $?"; sh -c 'echo same'`, { policy });
    const [p1] = await live.waitPending(1);
    await live.approve(['--answer', p1!.id, 'session']);
    for (let i = 0; i < 2; i++) {
      const p = await nextPendingOrDone(live);
      expect(p).not.toBeNull();
      expect(p!.argv).toEqual(p1!.argv);
      await live.approve(['--answer', p!.id, 'deny']);
    }
    const r = await live.done;
    expect(r.stdout.toString()).toBe('same\ncwd 126\nenv 126\nsame\n');
    expect(r.audit.filter((a) => a.event === 'completion').map((a) => a.decided_by)).toEqual(['human:terminal', 'human:terminal', 'human:terminal', 'session-grant']);
  });
});
