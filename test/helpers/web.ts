// Brokers with the web page on, for tests: `execgate serve --web` as a real
// process (shells attach with --broker), and the URL file that
// `execgate shell --web` writes into its private directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { SESSION_FD } from '../../src/protocol/constants.js';
import { patchedBashPath, sandboxBinDir, wrapperPath } from '../../src/native/paths.js';
import { PathMap } from '../../src/sandbox/path-map.js';
import { cliPath, tempDir } from './execgate.js';

export interface Served {
  url: string;
  socket: string;
  runtimeDir: string;
  policyFile: string;
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  audit: () => Record<string, unknown>[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, get: () => T | null | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `execgate serve --web` with a policy; resolves once the URL is printed. */
export async function serveWeb(policy: string, extra: string[] = []): Promise<Served> {
  const runtimeDir = tempDir('eg-xdg-');
  const dir = tempDir('eg-serve-');
  const policyFile = join(dir, 'policy.toml');
  writeFileSync(policyFile, policy);
  const auditFile = join(dir, 'audit.jsonl');
  const sockFile = join(dir, 'socket-path');
  const proc = spawn(process.execPath, [cliPath, 'serve', '--web', '--no-prompt', '--policy', policyFile, '--audit', auditFile, '--write-socket-path-to', sockFile, ...extra], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, TMUX: undefined, TMUX_PANE: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = await until(`the URL from execgate serve (stderr: ${err})`, () => /approval page: (http:\/\/\S+)/.exec(err)?.[1]);
  const socket = await until('the socket path', () => (existsSync(sockFile) ? readFileSync(sockFile, 'utf8').trim() || null : null));
  return {
    url,
    socket,
    runtimeDir,
    policyFile,
    proc,
    stdout: () => out,
    stderr: () => err,
    audit: () => (existsSync(auditFile) ? readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** The web-url files under a runtime dir (one per broker that has a page). */
export function webUrlFiles(runtimeDir: string): string[] {
  const root = join(runtimeDir, `execgate-${process.getuid!()}`);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => n.startsWith('broker-'))
    .map((n) => join(root, n, 'web-url'))
    .filter((f) => existsSync(f));
}

/** Waits for the broker under `runtimeDir` to write its URL file. */
export async function waitUrlFile(runtimeDir: string): Promise<{ file: string; url: string }> {
  const file = await until('the web-url file', () => webUrlFiles(runtimeDir)[0]);
  const url = await until('a URL in the file', () => readFileSync(file, 'utf8').trim() || null);
  return { file, url };
}

/** The token part of a page URL. */
export const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
export const originOf = (url: string) => new URL(url).origin;

/** A patched bash on a session of an in-process broker (what `execgate
 * shell` does, without a sandbox): the session socket inherited at fd 87. */
export interface SessionShell {
  done: Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }>;
}

export function sessionShell(runtime: Runtime, label: string, script: string, cwd?: string): SessionShell {
  const session = runtime.broker.openSession({ label, pathMap: PathMap.identity() });
  const fd = session.takeShellEnd();
  const stdio: ('pipe' | 'ignore' | number)[] = ['ignore', 'pipe', 'pipe'];
  while (stdio.length < SESSION_FD) stdio.push('ignore');
  stdio.push(fd.fd);
  const child = spawn(patchedBashPath, ['-c', script], {
    stdio,
    cwd,
    env: { ...process.env, EXEC_WRAPPER: wrapperPath, EXECGATE_SOCKET: String(SESSION_FD), PATH: `${sandboxBinDir}:${process.env.PATH ?? '/usr/bin:/bin'}` },
  });
  fd.close();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`session shell "${label}" did not finish: ${stdout}${stderr}`));
    }, 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal });
    });
  });
  return { done };
}

/** A broker in this process with the web page on, its own private dir. */
export async function webRuntime(policy: string, port?: number): Promise<{ runtime: Runtime; url: string; log: string[] }> {
  const dir = tempDir('eg-webrt-');
  const policyFile = join(dir, 'policy.toml');
  writeFileSync(policyFile, policy);
  process.env.XDG_RUNTIME_DIR = tempDir('eg-xdg-');
  const log: string[] = [];
  const runtime = await startRuntime({ policyFile, log: (l) => log.push(l), web: { port, printUrl: false } });
  const url = readFileSync(runtime.web!.urlFile, 'utf8').trim();
  return { runtime, url, log };
}
