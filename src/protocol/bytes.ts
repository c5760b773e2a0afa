// Bytes from the sandbox, turned into text for humans and logs without ever
// letting them act on a terminal or pass for other bytes: invalid UTF-8,
// control, invisible and bidi characters are shown as escapes, so a request
// cannot paint over a prompt, and two byte strings never display alike.

// Made on first use: a TextDecoder costs a start-up ~0.5 ms (a profile of
// `execgate shell -c true`), and a shell that escalates nothing never needs it.
let decoder: TextDecoder | undefined;

/** Strict UTF-8 decode, or null if the bytes are not valid UTF-8 (or hold NUL). */
export function utf8OrNull(b: Uint8Array): string | null {
  if (b.includes(0)) return null;
  try {
    return (decoder ??= new TextDecoder('utf-8', { fatal: true })).decode(b);
  } catch {
    return null;
  }
}

/** Code points shown as escapes. Each class is one way for two different
 * byte strings to look alike on a screen, or for text to act on it:
 * - Cc: C0 and C1 controls and DEL act on terminals;
 * - Cf: format characters are invisible or reorder text: zero-width
 *   (U+200B-200D), bidi marks and controls (U+200E/200F, U+061C,
 *   U+202A-202E, U+2066-2069), word joiner and invisible operators
 *   (U+2060-2064), U+FEFF, the soft hyphen U+00AD, U+180E, tag characters;
 * - Zl, Zp and every space but U+0020: they break lines or pass for a space;
 * - Cs (lone surrogates, reachable only from JS strings), Co and Cn (private
 *   use, unassigned): no agreed glyph, often none;
 * - invisible characters Unicode files as letters or marks: U+034F, the
 *   Hangul fillers U+115F, U+1160, U+3164, U+FFA0, U+17B4, U+17B5, the
 *   Mongolian variation selectors U+180B-180F, U+2800 (blank braille),
 *   variation selectors U+FE00-FE0F and U+E0100-E01EF, and the whole tag
 *   block U+E0000-E007F. */
const ESCAPED =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/gu;

const NAMED: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r', 27: '\\e' };

/** `\xNN` is kept for what is one byte either way (ASCII controls, and
 * invalid bytes, which are always >= 0x80); every escaped code point from
 * U+0080 on is `\u{...}`, so U+0085 (bytes c2 85) never looks like the
 * invalid byte 0x85. */
function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  return NAMED[code] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
}

/** Text safe to print, and one display per byte string: valid UTF-8 kept
 * but for the characters above (escaped), invalid bytes as \xNN,
 * backslashes doubled. */
export function displayBytes(b: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    // Decode the longest valid run, escape the byte that stops it.
    let j = i;
    while (j < b.length) {
      const n = utf8Length(b, j);
      if (n === 0) break;
      j += n;
    }
    if (j > i) out += displayText(Buffer.from(b.buffer, b.byteOffset + i, j - i).toString('utf8'));
    if (j < b.length) {
      out += `\\x${b[j]!.toString(16).padStart(2, '0')}`;
      j++;
    }
    i = j;
  }
  return out;
}

export function displayText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(ESCAPED, escapeChar);
}

/** Length of the valid UTF-8 sequence at i, or 0 if none starts there. */
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  if (n === 3 && ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f))) return 0;
  if (n === 4 && ((c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f))) return 0;
  return n;
}
