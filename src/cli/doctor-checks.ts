// What `execgate shell --sandbox bwrap` needs, checked for real (bwrap is
// started, the patched bash is run, the wrapper's ELF headers are read), each
// check one line: what was found, and for a failure what to do.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlRoot } from '../control/paths.js';
import { cliPath, patchedBashPath, sandboxBinDir, spawnHelperPath, wrapperPath } from '../native/paths.js';
import { PolicyError, loadPolicyFile } from '../policy/load.js';
import { findOnPath } from '../policy/resolve.js';
import { checkBwrap, bwrapFailureFix, tryBwrap, usernsSwitches } from '../sandbox/bwrap-check.js';
import { currentCaller, sandboxIdentity } from '../sandbox/identity.js';
import { elfLinking } from './doctor-elf.js';
import { policyFileFor, userPolicyPath } from '../policy/policy-file.js';

export interface Check {
  ok: boolean;
  /** What was found; for a failure, also what to do. One line. */
  line: string;
}

/** A check's own probe must never hang the doctor. */
const PROBE_TIMEOUT_MS = 10_000;

const REBUILD_NATIVE = 'run `npm run build:native` (static with musl: `sudo apt-get install musl-tools` first)';

export function bwrapChecks(env: NodeJS.ProcessEnv = process.env): Check[] {
  const found = checkBwrap(env.PATH ?? '');
  const out: Check[] = [];
  if (!found.ok) out.push({ ok: false, line: `bubblewrap: ${found.problem}` });
  else out.push({ ok: true, line: `bubblewrap: ${found.path}, with --disable-userns` });
  const root = process.getuid!() === 0;
  const switches = usernsSwitches(root);
  for (const s of switches) out.push(s.blocks ? { ok: false, line: `${s.name} = ${s.value}: ${s.fix}` } : { ok: true, line: `${s.name} = ${s.value}` });
  if (found.ok) {
    const who = sandboxIdentity(currentCaller(), null, '/');
    const started = tryBwrap(found.path, who.uid, who.gid);
    if (started.ok) out.push({ ok: true, line: `sandbox: bwrap starts one (own user namespace, uid ${who.uid} inside, no capabilities, no nested user namespaces)` });
    else {
      const fix = bwrapFailureFix(started.stderr, switches);
      out.push({ ok: false, line: `sandbox: bwrap cannot start one: ${started.stderr.split('\n')[0]}${fix ? `: ${fix}` : ''}` });
    }
  }
  return out;
}

/** Starts a real `execgate shell --sandbox bwrap -c true` (built-in policy,
 * its own audit log) and reads what its session said of the seccomp
 * backstop: on, or off and why (then programs started without the shell
 * that no rule names are not mediated; shims still are). */
export function backstopCheck(env: NodeJS.ProcessEnv = process.env): Check {
  const dir = mkdtempSync(join(tmpdir(), 'execgate-doctor-'));
  try {
    // The project apart from the policy and the audit: execgate refuses a
    // policy file the sandbox could write.
    const project = join(dir, 'project');
    mkdirSync(project);
    const audit = join(dir, 'audit.jsonl');
    const policy = join(dir, 'policy.toml');
    writeFileSync(policy, '');
    const r = spawnSync(process.execPath, [cliPath, 'shell', '--sandbox', 'bwrap', '--project', project, '--policy', policy, '--audit', audit, '-c', 'true'], {
      cwd: project,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PROBE_TIMEOUT_MS,
    });
    const lines = existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
    const said = lines.find((l) => l.event === 'backstop');
    if (r.status !== 0 || !said) return { ok: false, line: `seccomp backstop: a sandboxed shell did not start (${(r.stderr || r.error?.message || `status ${r.status}`).trim().split('\n')[0]})` };
    if (said.state === 'on') return { ok: true, line: 'seccomp backstop: on (every exec in the sandbox reaches the broker)' };
    return {
      ok: false,
      line: `seccomp backstop: off: ${String(said.what)}: programs started without the shell that no rule names are not mediated (shims still are); it needs Linux 5.5 or later with seccomp user notification, and no outer seccomp profile that forbids seccomp()`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function echoProgram(env: NodeJS.ProcessEnv): string | null {
  return findOnPath('echo', env.PATH ?? '') ?? ['/usr/bin/echo', '/bin/echo'].find((p) => existsSync(p)) ?? null;
}

/** The patched bash execs $EXEC_WRAPPER in place of every program: with
 * echo as the "wrapper", running `ECHO probe` prints the wrapper's argv. */
export function patchedBashCheck(env: NodeJS.ProcessEnv = process.env): Check {
  if (!existsSync(patchedBashPath)) return { ok: false, line: `patched bash: ${patchedBashPath} is missing: run \`npm run build:bash\`` };
  const echo = echoProgram(env);
  if (echo === null) return { ok: false, line: 'patched bash: no echo program to test it with (coreutils missing?)' };
  // --norc: Debian's bash reads ~/.bashrc when its stdin looks like ssh's (a socket).
  const r = spawnSync(patchedBashPath, ['--norc', '--noprofile', '-c', `${echo} execgate-doctor`], {
    encoding: 'utf8',
    env: { PATH: env.PATH ?? '/usr/bin:/bin', EXEC_WRAPPER: echo },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: PROBE_TIMEOUT_MS,
  });
  if (r.error) return { ok: false, line: `patched bash: cannot run ${patchedBashPath}: ${r.error.message}: run \`npm run build:bash\`` };
  if (r.stdout !== `${echo} ${echo} execgate-doctor\n`) return { ok: false, line: `patched bash: ${patchedBashPath} does not honour EXEC_WRAPPER (it is not the patched bash): run \`npm run build:bash\`` };
  return { ok: true, line: `patched bash: ${patchedBashPath}, honours EXEC_WRAPPER` };
}

export function nativeChecks(): Check[] {
  const out: Check[] = [];
  if (!existsSync(wrapperPath)) out.push({ ok: false, line: `wrapper: ${wrapperPath} is missing: ${REBUILD_NATIVE}` });
  else {
    let linking;
    try {
      linking = elfLinking(wrapperPath);
    } catch (err) {
      linking = { elf: false as const, why: (err as Error).message };
    }
    if (!linking.elf) out.push({ ok: false, line: `wrapper: ${wrapperPath} is ${linking.why}: ${REBUILD_NATIVE}` });
    else if (linking.interpreter !== null) out.push({ ok: false, line: `wrapper: ${wrapperPath} is dynamically linked (interpreter ${linking.interpreter}); it must be static to run the same in every sandbox: ${REBUILD_NATIVE}` });
    else out.push({ ok: true, line: `wrapper: ${wrapperPath}, static` });
  }
  out.push(executable('spawn helper', spawnHelperPath));
  out.push(executable('sandbox client', `${sandboxBinDir}/execgate`));
  return out;
}

function executable(what: string, path: string): Check {
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.X_OK);
    return { ok: true, line: `${what}: ${path}` };
  } catch {
    return { ok: false, line: `${what}: ${path} is missing or not executable: ${REBUILD_NATIVE}` };
  }
}

export function tmuxCheck(env: NodeJS.ProcessEnv = process.env): Check {
  if (!env.TMUX) return { ok: true, line: 'tmux: not inside tmux ($TMUX unset): prompts go to `execgate approve` and --web' };
  const socket = env.TMUX.split(',')[0]!;
  const r = spawnSync('tmux', ['-S', socket, 'display-message', '-p', '#{session_name}'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, env });
  if (r.error) return { ok: false, line: `tmux: $TMUX is set but tmux cannot be run (${r.error.message}): \`sudo apt-get install tmux\`, or unset TMUX` };
  if (r.status !== 0) return { ok: false, line: `tmux: the server at ${socket} does not answer (${r.stderr.trim()}): start execgate in a live tmux session, or unset TMUX` };
  return { ok: true, line: `tmux: session ${r.stdout.trim()} at ${socket}: prompts pop up there` };
}

export function policyCheck(flag: string | undefined): Check {
  const file = policyFileFor(flag);
  if (file === null) return { ok: true, line: `policy: the built-in one (everything runs in the sandbox); write ${userPolicyPath()} or pass --policy to escalate anything` };
  try {
    const p = loadPolicyFile(file);
    return { ok: true, line: `policy: ${file}, ${p.rules.length} rule${p.rules.length === 1 ? '' : 's'}` };
  } catch (err) {
    const why = err instanceof PolicyError ? err.message : `${file}: ${(err as Error).message}`;
    return { ok: false, line: `policy: ${why}: fix the file (\`execgate policy check ${file}\`)` };
  }
}

/** The broker puts its control socket in a 0700 directory of ours under
 * $XDG_RUNTIME_DIR (else the temp directory). */
export function controlDirCheck(env: NodeJS.ProcessEnv = process.env): Check {
  const base = env.XDG_RUNTIME_DIR || tmpdir();
  const named = env.XDG_RUNTIME_DIR ? `XDG_RUNTIME_DIR=${base}` : `the temp directory ${base}`;
  try {
    if (!statSync(base).isDirectory()) return { ok: false, line: `control directory: ${named} is not a directory: unset XDG_RUNTIME_DIR or point it at yours (mode 0700)` };
    accessSync(base, constants.W_OK | constants.X_OK);
  } catch (err) {
    return { ok: false, line: `control directory: ${named} is not usable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): unset XDG_RUNTIME_DIR or point it at a directory of yours (mode 0700)` };
  }
  const root = controlRoot();
  let st;
  try {
    st = lstatSync(root);
  } catch {
    return { ok: true, line: `control directory: ${root} (made on first use, 0700)` };
  }
  if (!st.isDirectory() || st.uid !== process.getuid!()) return { ok: false, line: `control directory: ${root} is not a directory owned by you (a link, or someone else's): remove it` };
  return { ok: true, line: `control directory: ${root}, yours${(st.mode & 0o077) !== 0 ? ' (its mode is tightened to 0700 on use)' : ', 0700'}` };
}

export function allChecks(policyFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): Check[] {
  const bwrap = bwrapChecks(env);
  const native = nativeChecks();
  // The backstop needs a sandbox that starts: checked only when it can.
  const canStart = [...bwrap, ...native].every((c) => c.ok);
  return [...bwrap, patchedBashCheck(env), ...native, ...(canStart ? [backstopCheck(env)] : []), tmuxCheck(env), policyCheck(policyFlag), controlDirCheck(env)];
}
