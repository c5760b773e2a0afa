// `execgate doctor` on this machine (all good) and with each failure made
// real: no bwrap on PATH, an invalid policy file, a dynamically linked
// wrapper, a dead tmux server.
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeDir } from '../../src/native/paths.js';
import { cliPath } from '../helpers/execgate.js';
import { buildNoSeccomp } from '../helpers/no-seccomp.js';

const made: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'eg-doctor-'));
  made.push(d);
  return d;
}
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function doctor(args: string[] = [], env: Record<string, string | undefined> = {}, prefix: string[] = []): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  const full: Record<string, string | undefined> = { ...process.env, TMUX: undefined, TMUX_PANE: undefined, XDG_RUNTIME_DIR: dir(), XDG_CONFIG_HOME: dir(), ...env };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = [...prefix, process.execPath];
    const child = spawn(cmd, [...pre, cliPath, 'doctor', ...args], { env: full, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines: out.trimEnd().split('\n'), code, stderr: err }));
  });
}

const failed = (lines: string[]) => lines.filter((l) => l.startsWith('✗'));

describe('execgate doctor', () => {
  it('passes every check on a machine that has everything', async () => {
    const r = await doctor();
    expect(failed(r.lines)).toEqual([]);
    expect(r.code).toBe(0);
    for (const what of ['bubblewrap:', 'sandbox: bwrap starts one', 'patched bash:', 'wrapper:', 'spawn helper:', 'sandbox client:', 'seccomp backstop: on', 'tmux:', 'policy:', 'control directory:']) {
      expect(r.lines.some((l) => l.startsWith(`✓ ${what}`)), what).toBe(true);
    }
    expect(r.lines.at(-1)).toBe('all checks passed');
  });

  it('says when the sandbox has no seccomp backstop and what that leaves', async () => {
    // The whole of doctor under a filter that refuses seccomp(2), as a
    // container's profile may: the sandbox still starts, without the backstop.
    const r = await doctor([], {}, [buildNoSeccomp()]);
    const bad = failed(r.lines);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^✗ seccomp backstop: off: .*Operation not permitted.*: programs started without the shell that no rule names are not mediated \(shims still are\)/);
    expect(r.code).toBe(1);
  });

  it('says how to install bwrap when PATH has none', async () => {
    const r = await doctor([], { PATH: '/nonexistent' });
    expect(failed(r.lines)).toEqual(['✗ bubblewrap: --sandbox bwrap needs bubblewrap, which is not installed: `sudo apt-get install bubblewrap` (Debian/Ubuntu) or `sudo dnf install bubblewrap`']);
    expect(r.lines.at(-1)).toBe('1 check failed');
    expect(r.code).toBe(1);
  });

  it('names the line of an invalid policy file and how to check it', async () => {
    const policy = join(dir(), 'policy.toml');
    writeFileSync(policy, '[[rule]]\nid = "x"\nprogram = "git"\ndecision = "maybe"\n');
    const r = await doctor(['--policy', policy]);
    const bad = failed(r.lines);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(new RegExp(`^✗ policy: ${policy}(:\\d+)?: .*decision.*: fix the file \\(\`execgate policy check ${policy}\`\\)$`));
    expect(r.code).toBe(1);
  });

  it('refuses a dynamically linked wrapper', async () => {
    const native = dir();
    cpSync(nativeDir, native, { recursive: true, verbatimSymlinks: true });
    copyFileSync('/usr/bin/true', join(native, 'execgate-wrapper'));
    const r = await doctor([], { EXECGATE_NATIVE_DIR: native });
    const bad = failed(r.lines);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(new RegExp(`^✗ wrapper: ${native}/execgate-wrapper is dynamically linked \\(interpreter /.*ld-.*\\); it must be static to run the same in every sandbox: run \`npm run build:native\``));
    expect(r.code).toBe(1);
  });

  it('says when $TMUX names a server that does not answer', async () => {
    const r = await doctor([], { TMUX: `${dir()}/no-server,1,0`, TMUX_PANE: '%0' });
    const bad = failed(r.lines);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^✗ tmux: (the server at .*\/no-server does not answer \(.*\): start execgate in a live tmux session, or unset TMUX|\$TMUX is set but tmux cannot be run)/);
    expect(r.code).toBe(1);
  });

  it('takes no arguments', async () => {
    const r = await doctor(['extra']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('execgate: execgate doctor takes no arguments, not extra');
  });
});
