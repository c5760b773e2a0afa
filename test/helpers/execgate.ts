// Runs the real `execgate shell` (compiled CLI, real patched bash, real
// wrapper) and collects what a user would see, plus the audit log.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot, unpatchedBashPath } from '../../src/native/paths.js';

export const cliPath = join(packageRoot, 'bin', 'execgate.js');

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  audit: Record<string, unknown>[];
}

export interface RunOptions {
  policy?: string;
  flags?: string[];
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

export function tempDir(prefix = 'eg-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const varTmpMade: string[] = [];
/** A directory under /var/tmp: outside /tmp, which the sandbox replaces, so
 * the sandbox sees it (read-only unless bound) and a policy kept there is
 * out of its reach. Removed by removeVarTmpDirs(). */
export function varTmpDir(prefix: string): string {
  mkdirSync('/var/tmp', { recursive: true });
  const dir = mkdtempSync(join('/var/tmp', prefix));
  varTmpMade.push(dir);
  return dir;
}

export function removeVarTmpDirs(): void {
  for (const d of varTmpMade.splice(0)) rmSync(d, { recursive: true, force: true });
}

function collect(cmd: string, args: string[], opts: RunOptions, onStderr?: (chunk: string) => void): Promise<Omit<RunResult, 'audit'>> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err.push(d);
      onStderr?.(d.toString());
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\nstderr: ${Buffer.concat(err).toString()}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), code, signal });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** `execgate shell -c SCRIPT` with a policy (TOML text) and an audit log. */
export async function execgateShell(script: string, opts: RunOptions = {}): Promise<RunResult> {
  const dir = tempDir('eg-run-');
  const audit = join(dir, 'audit.jsonl');
  // A shell attached to `execgate serve` has no broker options of its own.
  const attached = opts.flags?.includes('--broker') ?? false;
  const args = [cliPath, 'shell', ...(attached ? [] : ['--audit', audit])];
  if (opts.policy !== undefined && !attached) {
    writeFileSync(join(dir, 'policy.toml'), opts.policy);
    args.push('--policy', join(dir, 'policy.toml'));
  }
  args.push(...(opts.flags ?? []), '-c', script);
  const r = await collect(process.execPath, args, opts);
  const lines = existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean) : [];
  return { ...r, audit: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** The same script under unpatched bash, for comparison. */
export async function plainBash(script: string, opts: RunOptions = {}): Promise<RunResult> {
  const r = await collect(unpatchedBashPath, ['-c', script], opts);
  return { ...r, audit: [] };
}

/** A policy that sends one program (by bare name) to the given decision. */
export function rule(id: string, program: string, decision: string, extra = ''): string {
  return `[[rule]]\nid = "${id}"\nprogram = "${program}"\ndecision = "${decision}"\n${extra}\n`;
}

/** A running `execgate shell` whose prompts a test answers. Each has its own
 * XDG_RUNTIME_DIR, so `execgate approve` finds exactly this broker. */
export interface LiveShell {
  runtimeDir: string;
  policyFile: string;
  done: Promise<RunResult>;
  /** Runs `execgate approve ARGS` against this broker. */
  approve(args: string[]): Promise<RunResult>;
  /** Waits until `n` requests are pending; returns them. */
  waitPending(n: number, timeoutMs?: number): Promise<PendingJson[]>;
  /** What the broker has said on stderr so far. */
  stderr(): string;
}

export interface PendingJson {
  id: string;
  argv: string[];
  hostProgram: string;
  label: string;
  env: Record<string, string>;
  deadline: number | null;
}

export function startShell(script: string, opts: RunOptions = {}): LiveShell {
  const runtimeDir = tempDir('eg-xdg-');
  const env = { ...opts.env, XDG_RUNTIME_DIR: runtimeDir, TMUX: opts.env?.TMUX, TMUX_PANE: opts.env?.TMUX_PANE };
  const dir = tempDir('eg-live-');
  const policyFile = join(dir, 'policy.toml');
  writeFileSync(policyFile, opts.policy ?? '');
  const audit = join(dir, 'audit.jsonl');
  let stderr = '';
  const done = collect(process.execPath, [cliPath, 'shell', '--audit', audit, '--policy', policyFile, ...(opts.flags ?? []), '-c', script], { ...opts, env, timeoutMs: opts.timeoutMs ?? 60_000 }, (chunk) => (stderr += chunk)).then((r) => ({
    ...r,
    audit: existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [],
  }));
  const approve = async (args: string[]) => ({ ...(await collect(process.execPath, [cliPath, 'approve', ...args], { env })), audit: [] });
  return {
    runtimeDir,
    policyFile,
    done,
    approve,
    stderr: () => stderr,
    async waitPending(n, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await approve(['--list', '--json']);
        if (r.code === 0) {
          const list = JSON.parse(r.stdout.toString()) as PendingJson[];
          if (list.length >= n) return list;
        }
        if (Date.now() > until) throw new Error(`never saw ${n} pending requests: ${r.stdout}${r.stderr}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
  };
}
