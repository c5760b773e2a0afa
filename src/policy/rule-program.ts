// What an "always" rule names as its program. The human was shown the
// canonical host file (symlinks resolved); the rule must name exactly that
// file, never the path the agent asked by: `PROJECT/bin/myid -> /usr/bin/id`
// approved "always" must not become a rule for PROJECT/bin/myid, which the
// agent then swaps for a script. A bare name only when the trusted PATH
// resolves that name to exactly the canonical file (the rule then reads as
// people write them), else the canonical absolute path; and no rule at all
// for a file the sandbox can change.
import { basename } from 'node:path';
import { realpathOrNull } from './resolve.js';
import { findTrusted } from './trusted-path.js';
import type { Policy } from './types.js';
import { sandboxCanChange } from './writable.js';

/** Why "always" cannot be answered for this program, or null: a rule would
 * follow whatever the agent later puts at a path it can write. Channels may
 * show it before the human answers. */
export function alwaysRefusal(canonical: string, writableRoots: readonly string[]): string | null {
  const hit = sandboxCanChange(canonical, writableRoots);
  if (hit === null) return null;
  return `"always" is refused for ${canonical}: the sandbox can write ${hit.root}, so a rule naming it would run whatever the agent puts there later; answer once or for this session`;
}

export type RuleProgram = { ok: true; program: string } | { ok: false; why: string };

/** The `program` of an "always" rule for the canonical file that was shown.
 * `named`: the host path the request named; its file name is tried first as
 * the bare name (`python3` rather than `python3.11`), then the canonical
 * file's own name. */
export function programForRule(canonical: string, policy: Policy, writableRoots: readonly string[], named?: string): RuleProgram {
  const refusal = alwaysRefusal(canonical, writableRoots);
  if (refusal !== null) return { ok: false, why: refusal };
  if (realpathOrNull(canonical) !== canonical) return { ok: false, why: `${canonical} is no longer the file that was shown` };
  const names = [...new Set([named === undefined ? null : basename(named), basename(canonical)])].filter((n): n is string => n !== null && n !== '');
  for (const name of names) {
    const found = findTrusted(name, policy, writableRoots);
    if (found !== null && realpathOrNull(found) === canonical) return { ok: true, program: name };
  }
  return { ok: true, program: canonical };
}
