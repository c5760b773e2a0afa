// Bytes from the sandbox, turned into text for humans and logs without ever
// letting them act on a terminal: invalid UTF-8 and control characters are
// shown as escapes, so a request cannot paint over a prompt.

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode, or null if the bytes are not valid UTF-8 (or hold NUL). */
export function utf8OrNull(b: Uint8Array): string | null {
  if (b.includes(0)) return null;
  try {
    return decoder.decode(b);
  } catch {
    return null;
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  const named: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r', 27: '\\e' };
  if (named[code]) return named[code]!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Text safe to print: valid UTF-8 kept, control characters and bidi
 * overrides escaped, invalid bytes as \xNN, backslashes doubled. */
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
  return s.replace(/\\/g, '\\\\').replace(CONTROL, escapeChar);
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
