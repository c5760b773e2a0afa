// Token globs: `*` any run of bytes, `?` one byte, `[...]` a class, `\x` a
// literal x. A whole token `**` matches any number of further tokens; a rule's
// `star_args` may restrict which tokens a `**` can stand for.
// Strings here are latin1 (one char per byte), so matching is byte-exact.
//
// Matching is bounded, never backtracking: the request is the agent's, and a
// shared broker must not stall on it. One token glob is matched segment by
// segment (text between `*`s), each segment at its leftmost place, which is
// O(glob x argument). An argument list is matched by dynamic programming over
// rule parts x arguments, O(parts x arguments) glob tests.

export class GlobError extends Error {
  override name = 'GlobError';
}

/** Counts matcher steps, for tests that check the bound. */
export interface Meter {
  steps: number;
}

/** One byte position of a glob: a literal, `?`, or a class. */
type Atom = { kind: 'char'; c: number } | { kind: 'any' } | { kind: 'class'; negate: boolean; ranges: number[] };

/** The text between two `*`s: atoms matched one byte each. */
type Segment = Atom[] & { literal?: string };

/** A token glob as the segments between its `*`s. `starred` false: no `*`,
 * one segment that must match the whole argument. */
interface TokenGlob {
  segments: Segment[];
  starred: boolean;
  /** Sum of segment lengths: the shortest argument that can match. */
  minLength: number;
}

function parseToken(glob: string): TokenGlob {
  // Split on unescaped `*`: [head, middle..., tail]; no star, one segment.
  const segments: Segment[] = [[]];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    const seg = segments[segments.length - 1]!;
    if (c === '*') segments.push([]);
    else if (c === '?') seg.push({ kind: 'any' });
    else if (c === '\\') {
      i++;
      if (i >= glob.length) throw new GlobError(`trailing backslash in "${glob}"`);
      seg.push({ kind: 'char', c: glob.charCodeAt(i) });
    } else if (c === '[') {
      const parsed = parseClass(glob, i);
      seg.push(parsed.atom);
      i = parsed.end;
    } else seg.push({ kind: 'char', c: glob.charCodeAt(i) });
  }
  // All-literal segments are searched with the native indexOf.
  for (const seg of segments) {
    if (!seg.some((a) => a.kind !== 'char')) seg.literal = seg.map((a) => String.fromCharCode((a as { c: number }).c)).join('');
  }
  const minLength = segments.reduce((n, s) => n + s.length, 0);
  return { segments, starred: segments.length > 1, minLength };
}

/** `[abc]`, `[!a-z]`, `[^x]`; a `]` first in the class is literal, so is a
 * backslash. */
function parseClass(glob: string, open: number): { atom: Atom; end: number } {
  let i = open + 1;
  let negate = false;
  if (glob[i] === '!' || glob[i] === '^') {
    negate = true;
    i++;
  }
  const bodyStart = i;
  const end = glob.indexOf(']', bodyStart + 1);
  if (end < 0) throw new GlobError(`unclosed [ in "${glob}"`);
  const body = glob.slice(bodyStart, end);
  const ranges: number[] = [];
  for (let k = 0; k < body.length; k++) {
    const lo = body.charCodeAt(k);
    if (body[k + 1] === '-' && k + 2 < body.length) {
      const hi = body.charCodeAt(k + 2);
      if (hi < lo) throw new GlobError(`bad range ${body.slice(k, k + 3)} in "${glob}"`);
      ranges.push(lo, hi);
      k += 2;
    } else ranges.push(lo, lo);
  }
  return { atom: { kind: 'class', negate, ranges }, end };
}

function atomMatches(a: Atom, c: number): boolean {
  if (a.kind === 'any') return true;
  if (a.kind === 'char') return a.c === c;
  let inside = false;
  for (let k = 0; k < a.ranges.length; k += 2) {
    if (c >= a.ranges[k]! && c <= a.ranges[k + 1]!) {
      inside = true;
      break;
    }
  }
  return inside !== a.negate;
}

function segmentAt(seg: Segment, s: string, at: number, meter: Meter | undefined): boolean {
  for (let k = 0; k < seg.length; k++) {
    if (meter) meter.steps++;
    if (!atomMatches(seg[k]!, s.charCodeAt(at + k))) return false;
  }
  return true;
}

function tokenMatches(g: TokenGlob, s: string, meter?: Meter): boolean {
  if (meter) meter.steps++;
  if (!g.starred) return s.length === g.minLength && segmentAt(g.segments[0]!, s, 0, meter);
  if (s.length < g.minLength) return false;
  const segs = g.segments;
  const head = segs[0]!;
  const tail = segs[segs.length - 1]!;
  if (!segmentAt(head, s, 0, meter)) return false;
  const tailAt = s.length - tail.length;
  if (!segmentAt(tail, s, tailAt, meter)) return false;
  // Middle segments, each at its leftmost place: placing one further right
  // never helps the ones after it.
  let pos = head.length;
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k]!;
    let found = -1;
    if (seg.literal !== undefined) {
      const at = s.indexOf(seg.literal, pos);
      found = at >= 0 && at + seg.length <= tailAt ? at : -1;
      // indexOf reads up to the match (or the end), each byte about once
      // per segment byte: count that, so the bound stays checkable.
      if (meter) meter.steps += ((found < 0 ? s.length : at) - pos + 1) * Math.max(1, seg.length);
    } else {
      for (let at = pos; at + seg.length <= tailAt; at++) {
        if (segmentAt(seg, s, at, meter)) {
          found = at;
          break;
        }
      }
    }
    if (found < 0) return false;
    pos = found + seg.length;
  }
  return true;
}

export type ArgsMatcher = (args: string[], meter?: Meter) => boolean;

/** Compiles a list of token globs into a matcher over argument lists.
 * `starArgs`, when given: each argument a `**` stands for must match one of
 * these globs (a whitelist; `**` alone stands for anything). */
export function compileArgs(globs: string[], starArgs?: string[]): ArgsMatcher {
  const parts = globs.map((g) => (g === '**' ? null : parseToken(toLatin1(g))));
  const allowed = starArgs?.map((g) => parseToken(toLatin1(g))) ?? null;
  const hasStar = parts.includes(null);

  if (!hasStar) {
    return (args, meter) => args.length === parts.length && parts.every((p, i) => tokenMatches(p!, args[i]!, meter));
  }
  return (args, meter) => {
    const n = args.length;
    // starOk[a]: may args[a] be absorbed by a `**`? 0 unknown, 1 yes, 2 no.
    const starOk = allowed ? new Uint8Array(n) : null;
    const absorbable = (a: number): boolean => {
      if (!starOk) return true;
      if (starOk[a] === 0) starOk[a] = allowed!.some((g) => tokenMatches(g, args[a]!, meter)) ? 1 : 2;
      return starOk[a] === 1;
    };
    // next[a]: do parts[p+1..] match args[a..]? Filled from the last part.
    let next = new Uint8Array(n + 1);
    next[n] = 1;
    for (let p = parts.length - 1; p >= 0; p--) {
      const part = parts[p] as TokenGlob | null;
      const cur = new Uint8Array(n + 1);
      if (part === null) {
        cur[n] = next[n]!;
        for (let a = n - 1; a >= 0; a--) {
          if (meter) meter.steps++;
          cur[a] = next[a] || (cur[a + 1] && absorbable(a)) ? 1 : 0;
        }
      } else {
        for (let a = n - 1; a >= 0; a--) {
          if (meter) meter.steps++;
          cur[a] = next[a + 1] && tokenMatches(part, args[a]!, meter) ? 1 : 0;
        }
      }
      next = cur;
    }
    return next[0] === 1;
  };
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
