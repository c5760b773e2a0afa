// Token globs: `*` any run of bytes, `?` one byte, `[...]` a class, `\x` a
// literal x. A whole token `**` matches any number of further tokens.
// Strings here are latin1 (one char per byte), so matching is byte-exact.

export class GlobError extends Error {
  override name = 'GlobError';
}

function tokenToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^]*';
    else if (c === '?') re += '[^]';
    else if (c === '\\') {
      i++;
      if (i >= glob.length) throw new GlobError(`trailing backslash in "${glob}"`);
      re += escape(glob[i]!);
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new GlobError(`unclosed [ in "${glob}"`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Compiles a list of token globs into a matcher over argument lists. */
export function compileArgs(globs: string[]): (args: string[]) => boolean {
  const parts = globs.map((g) => (g === '**' ? null : tokenToRegex(toLatin1(g))));
  const match = (pi: number, ai: number, args: string[]): boolean => {
    if (pi === parts.length) return ai === args.length;
    const part = parts[pi]!;
    if (part === null) {
      for (let k = ai; k <= args.length; k++) if (match(pi + 1, k, args)) return true;
      return false;
    }
    return ai < args.length && part.test(args[ai]!) && match(pi + 1, ai + 1, args);
  };
  return (args) => match(0, 0, args);
}

/** A policy string (UTF-8 text) as latin1: the same bytes, one char each. */
export function toLatin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** True when the glob matches exactly one string: no unescaped * ? [ and
 * not the ** token. */
export function isLiteralGlob(glob: string): boolean {
  if (glob === '**') return false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return false;
  }
  return true;
}
