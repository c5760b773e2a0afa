import { mkdtempSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyStore, type ReloadEvent } from '../../../src/policy/store.js';

const rule = (decision: string) => `[[rule]]\nid = "r"\nprogram = "git"\ndecision = "${decision}"\n`;
const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(cond()).toBe(true);
};

describe('PolicyStore', () => {
  it('reloads on change, keeps the last good policy on a broken edit, and follows editors that rename', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-store-'));
    const f = join(dir, 'policy.toml');
    writeFileSync(f, rule('deny'));
    const events: ReloadEvent[] = [];
    const store = new PolicyStore(f, f, (e) => events.push(e));
    store.watch();
    expect(store.current.rules[0]!.decision).toBe('deny');

    writeFileSync(f, rule('escalate'));
    await waitFor(() => store.current.rules[0]!.decision === 'escalate');

    writeFileSync(f, rule('sometimes'));
    await waitFor(() => events.some((e) => !e.ok));
    expect(store.current.rules[0]!.decision).toBe('escalate');
    expect(events.find((e) => !e.ok)).toMatchObject({ error: expect.stringContaining(':4: rule "r": decision must be') });

    writeFileSync(join(dir, 'tmp'), rule('prompt'));
    renameSync(join(dir, 'tmp'), f);
    await waitFor(() => store.current.rules[0]!.decision === 'prompt');
    store.close();
  });

  it('adopts its write path when the first rule is written to a new file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-store-'));
    const f = join(dir, 'policy.toml');
    const store = new PolicyStore(null, f);
    expect(store.path).toBeNull();
    writeFileSync(f, rule('escalate'));
    expect(store.adoptWritePath()).toMatchObject({ ok: true });
    expect(store.path).toBe(f);
    expect(store.current.rules).toHaveLength(1);
    store.close();
  });
});

describe('PolicyStore reload validation (finding 5)', () => {
  it('refuses a reload the injected validator objects to, keeping the last good policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-store-'));
    const f = join(dir, 'policy.toml');
    writeFileSync(f, rule('deny'));
    const events: ReloadEvent[] = [];
    let problems: string[] = [];
    const store = new PolicyStore(f, f, (e) => events.push(e), { validate: () => problems });
    store.watch();
    problems = ['the policy file is writable from the sandbox'];
    writeFileSync(f, rule('escalate'));
    await waitFor(() => events.length > 0);
    expect(store.current.rules[0]!.decision).toBe('deny');
    expect(events[0]).toMatchObject({ ok: false, error: expect.stringContaining('writable from the sandbox') });
    expect(store.adoptWritePath()).toMatchObject({ ok: false });
    expect(store.current.rules[0]!.decision).toBe('deny');
    store.close();
  });
});
