// Shared by the mediation tests: a sandboxed `execgate shell` under the
// corpus policy (escalate printenv, deny id), a variable only the host has,
// and what the audit log says about who decided each exec.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cliPath, rule, tempDir, type RunResult } from '../helpers/execgate.js';

/** Set in the broker's environment, never in the sandbox's: printenv shows
 * it only when it ran on the host. */
export const HOST_ONLY = 'EG_HOST_ONLY';
export const HOST_VALUE = 'only-the-host-has-this';

export const corpusPolicy = rule('printenv-host', 'printenv', 'escalate') + rule('no-id', 'id', 'deny', 'reason = "id is not for this sandbox"');
/** The shim's message; its argv[0] is whatever its caller passed. */
export const ID_DENIED = /^execgate: denied: (\S*\/)?id: id is not for this sandbox$/m;

export type Files = Record<string, string | { content: string | Buffer; mode: number }>;

export function writeFiles(dir: string, files: Files): void {
  for (const [name, spec] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    const { content, mode } = typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec;
    writeFileSync(path, content);
    chmodSync(path, mode);
  }
}

export interface SandboxRun extends RunResult {
  project: string;
  /** The audit's `decision` records. */
  decisions: Record<string, unknown>[];
}

/** `script` in `execgate shell --sandbox bwrap` with the project holding
 * `files`, the corpus policy plus `extraPolicy` (`{project}` in it is
 * replaced by the project's path), and HOST_ONLY in the broker's
 * environment. */
export async function inSandbox(script: string, opts: { files?: Files; extraPolicy?: string; env?: Record<string, string>; prefix?: string[]; timeoutMs?: number } = {}): Promise<SandboxRun> {
  const project = tempDir('eg-mediation-');
  writeFiles(project, opts.files ?? {});
  const policy = (corpusPolicy + (opts.extraPolicy ?? '')).replaceAll('{project}', project);
  const r = await shell(script, { project, policy, env: { [HOST_ONLY]: HOST_VALUE, ...opts.env }, prefix: opts.prefix, timeoutMs: opts.timeoutMs });
  return { ...r, project, decisions: r.audit.filter((a) => a.event === 'decision') };
}

/** `[...prefix] node execgate shell --sandbox bwrap --project P --policy F
 * --audit A -c SCRIPT`, stdin /dev/null; what it printed and the audit. */
function shell(script: string, o: { project: string; policy: string; env: Record<string, string>; prefix?: string[]; timeoutMs?: number }): Promise<RunResult> {
  const dir = tempDir('eg-mediation-run-');
  const policyFile = join(dir, 'policy.toml');
  const audit = join(dir, 'audit.jsonl');
  writeFileSync(policyFile, o.policy);
  const argv = [...(o.prefix ?? []), process.execPath, cliPath, 'shell', '--sandbox', 'bwrap', '--project', o.project, '--policy', policyFile, '--audit', audit, '-c', script];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: o.project, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${script}\nstderr: ${Buffer.concat(err).toString()}`));
    }, o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean) : [];
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), code, signal, audit: lines.map((l) => JSON.parse(l) as Record<string, unknown>) });
    });
  });
}

/** Decisions on `program` (its sandbox path), from a shim or the backstop. */
export function decidedVia(r: SandboxRun, via: 'shim' | 'seccomp', program: string): Record<string, unknown>[] {
  return r.decisions.filter((d) => d.via === via && d.program === program);
}

/** A static binary that calls execve(2) itself, through no libc wrapper
 * (a raw system call), built with musl-gcc or cc -static. */
export function buildStaticExec(out: string): void {
  const src = `${out}.c`;
  writeFileSync(
    src,
    `#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    syscall(SYS_execve, argv[1], argv + 1, environ);
    perror(argv[1]);
    return 127;
}
`,
  );
  for (const cc of ['musl-gcc', 'cc']) {
    const r = spawnSync(cc, ['-static', '-O2', '-o', out, src]);
    if (r.status === 0) return;
  }
  throw new Error(`cannot build a static binary (musl-gcc or cc -static) from ${src}`);
}
