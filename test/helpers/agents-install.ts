// The published agent CLIs the agents tests drive, installed once from the
// npm registry into ~/.cache/execgate/agents/<name>@<version>/ and reused.
// An install goes to a scratch directory first and is renamed into place
// only once its binaries answer --version, so a directory that exists is a
// complete install; a lock directory keeps two test runs from installing
// the same package at once.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AgentPackage {
  /** Short name: the cache directory is `<name>@<version>`. */
  name: 'claude-code' | 'codex' | 'gemini-cli';
  spec: string;
  /** Pinned exactly: a new release changes prompts, tools and flags. */
  version: string;
  /** The command's name in node_modules/.bin. */
  bin: string;
  /** Files, relative to node_modules, that must exist: the linux-x64
   * platform binary each package ships as an optional dependency. */
  platformFiles: string[];
}

export const AGENT_PACKAGES = {
  'claude-code': {
    name: 'claude-code',
    spec: '@anthropic-ai/claude-code',
    version: '2.1.332',
    bin: 'claude',
    platformFiles: ['@anthropic-ai/claude-code-linux-x64/claude'],
  },
  codex: {
    name: 'codex',
    spec: '@openai/codex',
    version: '0.171.0',
    bin: 'codex',
    platformFiles: ['@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex'],
  },
  'gemini-cli': {
    name: 'gemini-cli',
    spec: '@google/gemini-cli',
    version: '0.61.0',
    bin: 'gemini',
    // The shell tool runs commands on a pty when node-pty loads, else with
    // child_process: the prebuilt linux-x64 pty decides which.
    platformFiles: ['@lydell/node-pty-linux-x64/pty.node'],
  },
} as const satisfies Record<string, AgentPackage>;

export type AgentName = keyof typeof AGENT_PACKAGES;

/** Fixed at load, before any test points HOME at a fake one. */
export const agentsCacheRoot = process.env.EXECGATE_AGENTS_CACHE ?? join(homedir(), '.cache', 'execgate', 'agents');

export function installDir(pkg: AgentPackage, root = agentsCacheRoot): string {
  return join(root, `${pkg.name}@${pkg.version}`);
}

export function binPath(pkg: AgentPackage): string {
  return join(installDir(pkg), 'node_modules', '.bin', pkg.bin);
}

export interface InstallRecord {
  spec: string;
  version: string;
  /** Wall-clock seconds the npm install took (0 when it came from the cache). */
  seconds: number;
  bytes: number;
  installedAt: string;
}

const RECORD = 'execgate-install.json';

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? String(err.message) : '') });
    });
  });
}

function diskBytes(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st || e.isSymbolicLink()) continue;
      if (st.isDirectory()) walk(p);
      else {
        const id = `${st.dev}:${st.ino}`; // the packages hard-link their binaries
        if (!seen.has(id)) total += st.blocks * 512;
        seen.add(id);
      }
    }
  };
  walk(dir);
  return total;
}

/** Says why an install is not usable, or null. */
async function checkInstall(pkg: AgentPackage, dir: string): Promise<string | null> {
  for (const f of pkg.platformFiles) {
    if (!existsSync(join(dir, 'node_modules', f))) return `the linux-x64 platform file ${f} is missing (optional dependencies skipped?)`;
  }
  const bin = join(dir, 'node_modules', '.bin', pkg.bin);
  const r = await run(bin, ['--version'], { cwd: dir, timeoutMs: 60_000 });
  if (r.code !== 0 || !r.stdout.includes(pkg.version)) return `\`${bin} --version\` printed ${JSON.stringify(r.stdout.trim())} (status ${r.code}): ${r.stderr.trim().slice(-400)}`;
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Holds `lock` (a directory, made atomically) while fn runs. A lock whose
 * holder died is taken over. Returns null, without running fn, once isDone
 * says another holder did the work. */
export async function withLock<T>(lock: string, fn: () => Promise<T>, isDone: () => boolean): Promise<T | null> {
  const until = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isDone()) return null;
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // being made or removed right now: look again
    }
    if (Number.isInteger(holder) && !pidAlive(holder)) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > until) throw new Error(`waited 15 minutes for ${lock} (held by pid ${holder}); remove it if no install is running`);
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return isDone() ? null : await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface InstallOptions {
  log?: (line: string) => void;
  /** The cache directory (default agentsCacheRoot). */
  root?: string;
  /** npm's environment (default this process's): npm_config_* apply. */
  env?: NodeJS.ProcessEnv;
}

/** Installs the package unless the cache holds it; returns what it cost. */
export async function ensureInstalled(pkg: AgentPackage, opts: InstallOptions = {}): Promise<InstallRecord> {
  const { log = () => {}, root = agentsCacheRoot, env } = opts;
  const dir = installDir(pkg, root);
  const record = join(dir, RECORD);
  const cached = (): InstallRecord | null => (existsSync(record) ? ({ ...(JSON.parse(readFileSync(record, 'utf8')) as InstallRecord), seconds: 0 }) : null);
  const hit = cached();
  if (hit) return hit;
  mkdirSync(root, { recursive: true });
  const made = await withLock(`${dir}.lock`, async () => {
    const scratch = `${dir}.partial-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    log(`installing ${pkg.spec}@${pkg.version} into ${dir} ...`);
    const started = Date.now();
    const npm = await run('npm', ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--no-save', '--no-package-lock', '--include=optional', '--loglevel=warn', `${pkg.spec}@${pkg.version}`], { env, timeoutMs: 10 * 60_000 });
    const seconds = (Date.now() - started) / 1000;
    if (npm.code !== 0) {
      rmSync(scratch, { recursive: true, force: true });
      const unreachable = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network|socket hang up/i.test(npm.stderr);
      throw new Error(
        `${unreachable ? 'the npm registry is unreachable: ' : ''}\`npm install ${pkg.spec}@${pkg.version}\` failed (status ${npm.code}). ` +
          `The agents tests install each CLI once into ${root} and then run offline.\n${npm.stderr.trim().slice(-1500)}`,
      );
    }
    const broken = await checkInstall(pkg, scratch);
    if (broken) {
      rmSync(scratch, { recursive: true, force: true });
      throw new Error(`${pkg.spec}@${pkg.version} installed but is not runnable here: ${broken}`);
    }
    const rec: InstallRecord = { spec: pkg.spec, version: pkg.version, seconds, bytes: diskBytes(scratch), installedAt: new Date().toISOString() };
    writeFileSync(join(scratch, RECORD), `${JSON.stringify(rec, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
    log(`installed ${pkg.spec}@${pkg.version}: ${seconds.toFixed(1)} s, ${(rec.bytes / 2 ** 20).toFixed(0)} MiB`);
    return rec;
  }, () => existsSync(record));
  return made ?? cached()!;
}
