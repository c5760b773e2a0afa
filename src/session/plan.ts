// Turns a Request from the sandbox into a Plan: what would run on the host
// (program, cwd), which rule decided, and the decision. The plan is made
// once; what a human is shown and what runs are both read from it.
import { isAbsolute, posix } from 'node:path';
import { Kind, type Request } from '../protocol/messages.js';
import { displayBytes, utf8OrNull } from '../protocol/bytes.js';
import { evaluate, mentionsProgram } from '../policy/evaluate.js';
import { executableIdentity, realpathOrNull } from '../policy/resolve.js';
import { needsGitPin } from '../policy/builtin-git.js';
import { pinGitRepository } from '../policy/git-repository.js';
import { takesProjectCode } from '../policy/project-code.js';
import { findTrusted } from '../policy/trusted-path.js';
import { pinDirectory, type PinnedDirectory } from '../exec/pin.js';
import type { FileIdentity } from '../exec/spawn-spec.js';
import type { Fd } from '../native/fd.js';
import type { Decision, Evaluation, Policy, Rule } from '../policy/types.js';
import type { PathMap } from '../sandbox/path-map.js';

export interface Plan {
  id: string;
  request: Request;
  explicit: boolean;
  /** For display and audit: escaped text, computed on first use (the Run
   * path of an unaudited session never needs it). */
  readonly file: string;
  readonly argv: string[];
  readonly cwd: string;
  decision: Decision;
  reason: string;
  rule: Rule | null;
  matched: Rule[];
  decidedBy: string;
  /** Set when the decision is escalate or prompt: `program` is what runs
   * (canonical), `named` the host path as the request named it. */
  host: { program: string; named: string; cwd: string } | null;
  /** Variables set last in the host command's environment (a pinned
   * GIT_DIR/GIT_WORK_TREE), or null. */
  setEnv: ReadonlyMap<string, string> | null;
  /** Why the host program runs code from files the agent can write (git
   * hooks, npm scripts...), for prompts; null when it is not known to. */
  projectCode: string | null;
  /** For escalate and prompt: the working directory, opened when decided
   * (the command enters it by this handle), and the program file's identity
   * (checked right before exec). The plan owns the fd: whoever made the plan
   * closes it (closePlan) when the exec is over. */
  pin: { cwd: Fd; identity: FileIdentity } | null;
}

/** Releases what a plan holds (its pinned working directory). */
export function closePlan(plan: Plan | null): void {
  plan?.pin?.cwd.close();
}

/** Where a session's shell lives, as the plan needs it. */
export interface Confinement {
  /** Sandbox paths to host paths. */
  pathMap: PathMap;
  /** Host paths the sandbox can write; empty when nothing is contained
   * (--sandbox none), where every check against them is moot. */
  writableRoots: readonly string[];
  /** The project directory on the host, or null. */
  project: string | null;
  /** Host paths bound read-only inside a writable root (the project's .git). */
  readOnly: readonly string[];
}

/** A plan whose escaped forms of the request's bytes are made once, and
 * only when asked (the Run path of an unaudited session never asks). */
class LazyPlan implements Plan {
  #file?: string;
  #argv?: string[];
  #cwd?: string;
  decision!: Decision;
  reason!: string;
  rule!: Rule | null;
  matched!: Rule[];
  decidedBy!: string;
  host!: Plan['host'];
  setEnv: Plan['setEnv'] = null;
  projectCode: Plan['projectCode'] = null;
  pin: Plan['pin'] = null;

  constructor(
    readonly id: string,
    readonly request: Request,
    readonly explicit: boolean,
    fields: Omit<Plan, 'id' | 'request' | 'explicit' | 'file' | 'argv' | 'cwd' | 'setEnv' | 'projectCode' | 'pin'> & Partial<Pick<Plan, 'setEnv' | 'projectCode' | 'pin'>>,
  ) {
    Object.assign(this, fields);
  }

  get file(): string {
    return (this.#file ??= displayBytes(this.request.file));
  }

  get argv(): string[] {
    return (this.#argv ??= this.request.argv.map(displayBytes));
  }

  get cwd(): string {
    return (this.#cwd ??= displayBytes(this.request.cwd));
  }
}

type Resolved = { ok: true; path: string } | { ok: false; why: string };

/** Bytes for a deny reason: the wrapper escapes what it prints, so reasons
 * are plain text (invalid UTF-8 shown as U+FFFD), never pre-escaped. */
function text(b: Buffer): string {
  return b.toString('utf8');
}

/** The host file a request names, through the session's path map: `path` as
 * named (rules compare names), `real` its canonical path (what will run),
 * `identity` the file's (what is checked before exec, if it is approved). */
export function resolveHostProgram(
  req: Request,
  pathMap: PathMap,
  findNamed: (name: string) => string | null,
): { ok: true; path: string; real: string; identity: FileIdentity } | { ok: false; why: string } {
  const file = utf8OrNull(req.file);
  if (file === null || file === '') return { ok: false, why: 'the program path is empty or not valid UTF-8' };
  let hostPath: string | null;
  if (!file.includes('/')) {
    // Only `execgate run NAME` sends a bare name: it means the host's NAME,
    // found on the trusted PATH (never the broker's inherited one).
    hostPath = req.kind === Kind.RUN ? findNamed(file) : null;
    if (hostPath === null) return { ok: false, why: `${text(req.file)}: not found on the host PATH` };
  } else {
    const cwd = utf8OrNull(req.cwd);
    let abs = file;
    if (!isAbsolute(file)) {
      if (cwd === null || !isAbsolute(cwd)) return { ok: false, why: 'relative program path with no usable working directory' };
      abs = posix.join(cwd, file);
    }
    hostPath = pathMap.toHost(abs);
    if (hostPath === null) return { ok: false, why: `${text(req.file)} is outside every path shared with the host` };
  }
  const real = realpathOrNull(hostPath);
  const identity = real === null ? null : executableIdentity(real);
  if (real === null || identity === null) {
    return { ok: false, why: `${hostPath}: no such executable on the host` };
  }
  return { ok: true, path: hostPath, real, identity };
}

/** The host path for the request's cwd, or why there is none (whether a
 * directory is there is found when it is pinned: pinCwd). */
export function resolveHostCwd(req: Request, pathMap: PathMap): Resolved {
  const cwd = utf8OrNull(req.cwd);
  if (req.cwd.length === 0) return { ok: false, why: 'the working directory is unknown (was it deleted?)' };
  if (cwd === null) return { ok: false, why: `working directory ${text(req.cwd)} is not valid UTF-8, so it cannot be named on the host` };
  if (!isAbsolute(cwd)) return { ok: false, why: `working directory ${cwd} is not an absolute path` };
  const host = pathMap.toHost(cwd);
  if (host === null) return { ok: false, why: `working directory ${cwd} is outside every path shared with the host` };
  return { ok: true, path: host };
}

/** The request's working directory opened (pinDirectory), or why it cannot
 * be: opening it is the check that it is a directory. */
function pinCwd(host: string): { ok: true; dir: PinnedDirectory } | { ok: false; why: string } {
  try {
    return { ok: true, dir: pinDirectory(host) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, why: `working directory ${host} does not exist on the host` };
    if (code === 'ENOTDIR') return { ok: false, why: `working directory ${host} is not a directory on the host` };
    return { ok: false, why: `cannot pin what would run: ${(err as Error).message}` };
  }
}

function decidedBy(ev: Evaluation): string {
  return ev.rule ? `rule:${ev.rule.id}` : 'default';
}

/** The file name of the program a request names (latin1: one char per
 * byte), as rules and the run table compare names. */
export function programName(req: Request): string {
  return req.file.subarray(req.file.lastIndexOf(0x2f) + 1).toString('latin1');
}

export function makePlan(id: string, req: Request, policy: Policy, where: Confinement): Plan {
  const { pathMap, writableRoots } = where;
  const explicit = req.kind === Kind.RUN;
  const name = programName(req);
  const plan = (fields: ConstructorParameters<typeof LazyPlan>[3]): Plan => new LazyPlan(id, req, explicit, fields);

  // The Run path: nothing names this program and the default keeps it in the
  // sandbox. No disk access, no host resolution, no escaping.
  if (!explicit && policy.default === 'run' && !mentionsProgram(policy, name)) {
    return plan({ decision: 'run', reason: 'default', rule: null, matched: [], decidedBy: 'default', host: null });
  }

  const program = resolveHostProgram(req, pathMap, (n) => findTrusted(n, policy, writableRoots));
  const args = req.argv.slice(1).map((a) => a.toString('latin1'));
  const ev = evaluate(policy, program.ok ? { hostProgram: program.path, hostReal: program.real, args, explicit, writableRoots } : { hostProgram: null, args, explicit, writableRoots });
  const evaluated = { decision: ev.decision, reason: ev.reason, rule: ev.rule, matched: ev.matched, decidedBy: decidedBy(ev), host: null };
  if (ev.decision !== 'escalate' && ev.decision !== 'prompt') return plan(evaluated);

  const cwd = resolveHostCwd(req, pathMap);
  const refusal = !program.ok ? program.why : !cwd.ok ? cwd.why : null;
  if (refusal !== null) return plan({ ...evaluated, decision: 'deny', reason: refusal, decidedBy: 'error' });
  if (req.argv.length === 0) return plan({ ...evaluated, decision: 'deny', reason: 'empty argv', decidedBy: 'error' });
  const resolved = program as { path: string; real: string; identity: FileIdentity };
  // Pinned now, not when it runs (possibly after a human thought for
  // minutes): the directory is opened and shown as where its handle really
  // points, which must be inside what the sandbox was given; the program's
  // identity (taken as it was resolved) is checked again right before exec.
  const hostCwd = (cwd as { path: string }).path;
  const opened = pinCwd(hostCwd);
  if (!opened.ok) return plan({ ...evaluated, decision: 'deny', reason: opened.why, decidedBy: 'error' });
  const cwdReal = opened.dir.realPath;
  if (!pathMap.coversHost(cwdReal)) {
    opened.dir.fd.close();
    return plan({ ...evaluated, decision: 'deny', reason: `working directory ${hostCwd} is ${cwdReal} on the host, outside every path shared with the sandbox`, decidedBy: 'error' });
  }
  const pin = { cwd: opened.dir.fd, identity: resolved.identity };
  const host = { program: resolved.real, named: resolved.path, cwd: cwdReal };
  const projectCode = takesProjectCode(host.program, host.named);
  // A built-in git rule escalates without a human only with git pinned to
  // the project's own repository, which the sandbox cannot change; where it
  // cannot be pinned, a human is asked instead.
  if (needsGitPin(ev.rule)) {
    const git = where.project === null ? { ok: false as const, why: 'the session has no project' } : pinGitRepository({ project: where.project, hostCwd: host.cwd, writableRoots, readOnly: where.readOnly });
    if (!git.ok) return plan({ ...evaluated, host, projectCode, pin, decision: 'prompt', reason: `${ev.reason} (asking: ${git.why})` });
    return plan({ ...evaluated, host, projectCode, pin, setEnv: git.env });
  }
  return plan({ ...evaluated, host, projectCode, pin });
}
