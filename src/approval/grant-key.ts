// What a "this session" answer covers: the exact bytes of what would run,
// never their display (two byte strings can be shown alike; a grant must not
// cover the one the human did not see). The host program, every argv byte,
// the host working directory and the environment that crosses from the
// sandbox (names and value bytes) are encoded without ambiguity (each field
// tagged and length-prefixed, the environment sorted by name) and hashed, so
// the key is short whatever the request's size.
// node:crypto is loaded on the first grant (runtime/lazy-builtins.ts).
import { nodeCrypto } from '../runtime/lazy-builtins.js';

export interface GrantSubject {
  /** The host program that would run (absolute, canonical). */
  hostProgram: string;
  /** Every argument, argv[0] included, as sent. */
  argv: readonly Uint8Array[];
  hostCwd: string;
  /** The variables that cross from the sandbox. */
  env: ReadonlyMap<string, Uint8Array>;
}

const VERSION = 'execgate-grant-v1';

/** A SHA-256 hex digest: equal only for the same program, argv, cwd and
 * crossing environment, byte for byte. */
export function grantKey(subject: GrantSubject): string {
  const hash = nodeCrypto().createHash('sha256');
  const field = (tag: string, bytes: Uint8Array) => {
    const head = Buffer.alloc(tag.length + 8);
    head.write(tag, 0, 'latin1');
    head.writeBigUInt64BE(BigInt(bytes.length), tag.length);
    hash.update(head);
    hash.update(bytes);
  };
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  field('V', utf8(VERSION));
  field('P', utf8(subject.hostProgram));
  field('C', utf8(subject.hostCwd));
  field('n', utf8(String(subject.argv.length)));
  for (const arg of subject.argv) field('A', arg);
  // Names compared as bytes: the order the wrapper sent them in does not matter.
  const env = [...subject.env].map(([name, value]) => [utf8(name), value] as const).sort(([a], [b]) => Buffer.compare(a, b));
  field('m', utf8(String(env.length)));
  for (const [name, value] of env) {
    field('K', name);
    field('E', value);
  }
  return hash.digest('hex');
}
