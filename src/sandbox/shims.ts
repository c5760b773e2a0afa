// Program shims (README, "Mediation beyond the shell"): inside bwrap, every
// program that an escalate, prompt or deny rule names is replaced by the
// wrapper in shim mode, bound read-only over it, so that whatever starts it
// (env, xargs, find -exec, make, Python's subprocess, Node's spawn, a static
// binary), the broker is asked about it, and can escalate it. The real
// program stays reachable at SANDBOX_REAL_DIR + its path (a read-only bind of
// the same host file), which the shim execs on Run.
//
// Which programs: each rule's program as the policy resolves it (a bare name
// on the trusted PATH, an absolute path as written), made canonical. Only
// where the sandbox sees that canonical path as the very same host file: a
// read-only bind at the same path (the host's /usr, a --ro-bind SRC), not the
// writable project (a shim there would stand in a tree the agent controls)
// nor a path bound elsewhere; and never a file execgate itself already
// replaces there (the shells, the bwrap stubs). A copy of a program is
// another file: rules name files, so nothing shims or matches it by content.
import { basename, posix } from 'node:path';
import { ruleTarget } from '../policy/evaluate.js';
import { isExecutableFile, realpathOrNull } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import { utf8OrNull } from '../protocol/bytes.js';
import { SANDBOX_REAL_DIR } from '../protocol/constants.js';
import { Kind, type Request } from '../protocol/messages.js';
import type { PathMap } from './path-map.js';

export interface Shim {
  /** The canonical host path, which is also its path inside the sandbox. */
  program: string;
  /** Inside the sandbox: where the real program is bound. */
  real: string;
  /** The rules naming it (ids), for messages. */
  rules: string[];
}

/** The decisions that need the broker whatever starts the program. */
const MEDIATED = new Set(['escalate', 'prompt', 'deny']);

/** The wrapper knows it is itself, not a shim, by this file name (main.c). */
const WRAPPER_NAME = 'execgate-wrapper';

/** Canonical host files named by escalate, prompt or deny rules, each with
 * the ids of the rules naming it. `writableRoots`: the session's, so that a
 * bare name resolves as the policy resolves it for that session. */
export function shimTargets(policy: Policy, writableRoots: readonly string[]): Map<string, string[]> {
  const targets = new Map<string, string[]>();
  for (const rule of policy.rules) {
    if (!MEDIATED.has(rule.decision)) continue;
    const target = ruleTarget(rule, policy, writableRoots);
    const canonical = target === null ? null : realpathOrNull(target);
    if (canonical === null || !isExecutableFile(canonical) || basename(canonical) === WRAPPER_NAME) continue;
    targets.set(canonical, [...(targets.get(canonical) ?? []), rule.id]);
  }
  return targets;
}

/** The mapping that decides what the sandbox sees at `path` (the longest
 * sandbox prefix), or null. */
function mappingAt(pathMap: PathMap, path: string) {
  return pathMap.roots().find((m) => path === m.sandbox || path.startsWith(m.sandbox === '/' ? '/' : `${m.sandbox}/`)) ?? null;
}

/** The targets the sandbox sees at their own path as the same read-only host
 * file, less those `replaced` (canonical host paths execgate binds something
 * else over). */
export function placeShims(targets: ReadonlyMap<string, readonly string[]>, pathMap: PathMap, replaced: ReadonlySet<string>): Shim[] {
  const shims: Shim[] = [];
  for (const [program, rules] of targets) {
    const m = mappingAt(pathMap, program);
    if (m === null || m.writable || m.sandbox !== m.host || replaced.has(program)) continue;
    shims.push({ program, real: posix.join(SANDBOX_REAL_DIR, program), rules: [...rules] });
  }
  return shims.sort((a, b) => (a.program < b.program ? -1 : a.program > b.program ? 1 : 0));
}

/** bwrap arguments: the real program at its new place, then the wrapper
 * over the old one. After every bind that shows the host's files. */
export function shimBindArgs(shims: readonly Shim[], wrapper: string): string[] {
  return shims.flatMap((s) => ['--ro-bind', s.program, s.real, '--ro-bind', wrapper, s.program]);
}

/** Programs `policy` would shim in a sandbox with this path map that the
 * session has no shim for (it started under an older policy): shims are
 * bound when the sandbox starts, so those run unasked when started without
 * the shell (the seccomp backstop still sees them, but never escalates). */
export function missingShims(policy: Policy, pathMap: PathMap, writableRoots: readonly string[], replaced: ReadonlySet<string>, have: ReadonlySet<string>): Shim[] {
  return placeShims(shimTargets(policy, writableRoots), pathMap, replaced).filter((s) => !have.has(s.program));
}

/** What a shim's request names, as the policy compares names. The shim knows
 * only its own path (`file`: the canonical program, the same path inside and
 * on the host); its caller may have reached it under another name through a
 * symlink (`python3` for /usr/bin/python3.11), which argv[0] usually says.
 * That name is used when it reaches the same file: as a path (`./python3`,
 * `/usr/bin/python3`), or, for a bare name, beside the program or on the
 * trusted PATH. The program that runs is the same file either way; only
 * which rules apply follows the name, as it does for the shell's wrapper,
 * which asks by the path exec'd. Returns a sandbox path. */
export function shimNamedPath(file: string, argv0: string | null, opts: { cwd: string | null; toHost: (sandboxPath: string) => string | null; findNamed: (name: string) => string | null }): string {
  if (argv0 === null || argv0 === '' || basename(argv0) === basename(file)) return file;
  const reaches = (sandboxPath: string | null): sandboxPath is string => {
    const host = sandboxPath === null ? null : opts.toHost(sandboxPath);
    return host !== null && realpathOrNull(host) === file;
  };
  let candidates: (string | null)[];
  if (argv0.includes('/')) {
    candidates = [posix.isAbsolute(argv0) ? argv0 : opts.cwd !== null && posix.isAbsolute(opts.cwd) ? posix.join(opts.cwd, argv0) : null];
  } else {
    // A host path from the trusted PATH names the same place inside only
    // where that directory is bound at its own path: `reaches` checks it.
    candidates = [posix.join(posix.dirname(file), argv0), opts.findNamed(argv0)];
  }
  const named = candidates.find(reaches);
  return named === undefined ? file : posix.normalize(named);
}

/** The shimmed program whose real file `file` (a sandbox path) names
 * directly, `/.execgate/real/usr/bin/id` for /usr/bin/id, or null: such an
 * exec is asked about as the program itself, so that a rule about it applies
 * whichever of its two paths is used. */
export function programBehindShim(file: string, shims: ReadonlySet<string>): string | null {
  if (!file.startsWith(`${SANDBOX_REAL_DIR}/`)) return null;
  const program = posix.normalize(file.slice(SANDBOX_REAL_DIR.length));
  return shims.has(program) ? program : null;
}

/** What a request names once this sandbox's shims are seen through: a
 * shim's request by the name its caller used, when that reaches the same
 * file (shimNamedPath); an exec of a shimmed program's real file by the
 * program (programBehindShim). `findNamed`: a bare name on the session's
 * trusted PATH. Anything else is returned as it is. */
export function throughShims(req: Request, shims: ReadonlySet<string>, pathMap: PathMap, findNamed: (name: string) => string | null): Request {
  const file = shims.size === 0 ? null : utf8OrNull(req.file);
  if (file === null) return req;
  const as = (named: string): Request => ({ kind: req.kind, file: Buffer.from(named), argv: req.argv, argc: req.argc, cwd: req.cwd, pid: req.pid });
  const program = req.kind === Kind.EXEC ? programBehindShim(file, shims) : null;
  if (program !== null) return as(program);
  if (req.kind !== Kind.SHIM || req.argc === 0) return req;
  const named = shimNamedPath(file, utf8OrNull(req.argv[0]!), { cwd: utf8OrNull(req.cwd), toHost: (p) => pathMap.toHost(p), findNamed });
  return named === file ? req : as(named);
}
