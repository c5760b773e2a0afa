import { describe, expect, it } from 'vitest';
import { displayBytes, displayText, utf8OrNull } from '../../../src/protocol/bytes.js';

/** The display read back into bytes: the inverse that must exist for the
 * display to be unambiguous. */
function undisplay(s: string): Buffer {
  const out: Buffer[] = [];
  const re = /\\\\|\\[tnre]|\\x([0-9a-f]{2})|\\u\{([0-9a-f]+)\}|[^\\]/gsu;
  let at = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== at) throw new Error(`unparsable display at ${at}: ${s}`);
    at += m[0].length;
    const named: Record<string, string> = { '\\\\': '\\', '\\t': '\t', '\\n': '\n', '\\r': '\r', '\\e': '\x1b' };
    if (named[m[0]] !== undefined) out.push(Buffer.from(named[m[0]]!));
    else if (m[1] !== undefined) out.push(Buffer.from([parseInt(m[1], 16)]));
    else if (m[2] !== undefined) out.push(Buffer.from(String.fromCodePoint(parseInt(m[2], 16))));
    else out.push(Buffer.from(m[0]));
  }
  if (at !== s.length) throw new Error(`unparsable display at ${at}: ${s}`);
  return Buffer.concat(out);
}

const cp = (n: number) => String.fromCodePoint(n);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('displayBytes', () => {
  it('keeps valid UTF-8 and escapes control characters', () => {
    expect(displayBytes(Buffer.from('héllo wörld 日本 🤖 ÿ'))).toBe('héllo wörld 日本 🤖 ÿ');
    expect(displayBytes(Buffer.from('a\x1b[2Jb\nc\r\t'))).toBe('a\\e[2Jb\\nc\\r\\t');
    expect(displayBytes(Buffer.from('\x00\x01\x7f'))).toBe('\\x00\\x01\\x7f');
    expect(displayBytes(Buffer.from('\u202eevil'))).toBe('\\u{202e}evil');
  });

  it('escapes invalid bytes and backslashes so the escape is unambiguous', () => {
    expect(displayBytes(Buffer.from([0x61, 0xff, 0x62, 0xc3]))).toBe('a\\xffb\\xc3');
    expect(displayBytes(Buffer.from('a\\xff'))).toBe('a\\\\xff');
    expect(displayBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // surrogate
  });

  it('a C1 control never looks like an invalid byte (U+0085 is not 0x85)', () => {
    expect(displayBytes(Buffer.from([0xc2, 0x85]))).toBe('\\u{85}');
    expect(displayBytes(Buffer.from([0x85]))).toBe('\\x85');
    for (const c of range(0x80, 0x9f)) {
      expect(displayBytes(Buffer.from(cp(c)))).toBe(`\\u{${c.toString(16)}}`);
      expect(displayBytes(Buffer.from([c]))).toBe(`\\x${c.toString(16)}`);
    }
  });

  const classes: [string, number[]][] = [
    ['zero-width and bidi marks', range(0x200b, 0x200f)],
    ['word joiner and invisible operators', range(0x2060, 0x2064)],
    ['byte order mark', [0xfeff]],
    ['soft hyphen', [0x00ad]],
    ['combining grapheme joiner', [0x034f]],
    ['Arabic letter mark', [0x061c]],
    ['Hangul fillers', [0x115f, 0x1160, 0x3164, 0xffa0]],
    ['Khmer inherent vowels', [0x17b4, 0x17b5]],
    ['Mongolian vowel separator and variation selectors', [0x180b, 0x180c, 0x180d, 0x180e, 0x180f]],
    ['tag characters', [0xe0000, 0xe0001, 0xe0020, 0xe0041, 0xe007f]],
    ['variation selectors', [...range(0xfe00, 0xfe0f), 0xe0100, 0xe0150, 0xe01ef]],
    ['bidi embeddings, overrides and isolates', [...range(0x202a, 0x202e), ...range(0x2066, 0x2069)]],
    ['line and paragraph separators', [0x2028, 0x2029]],
    ['spaces that are not U+0020', [0x00a0, 0x1680, ...range(0x2000, 0x200a), 0x202f, 0x205f, 0x3000]],
    ['blank braille', [0x2800]],
    ['private use and unassigned', [0xe000, 0xf8ff, 0xfffe, 0xffff, 0x10ffff]],
  ];
  for (const [name, codes] of classes) {
    it(`escapes ${name}`, () => {
      for (const c of codes) expect(displayBytes(Buffer.from(`a${cp(c)}b`))).toBe(`a\\u{${c.toString(16)}}b`);
    });
  }

  it('escapes lone surrogates in JS strings', () => {
    expect(displayText('a\ud800b')).toBe('a\\u{d800}b');
  });

  it('is one-to-one: every display reads back to exactly its bytes', () => {
    const interesting = [[0xc2, 0x85], [0x85], [0xe2, 0x80, 0x8b], [0x5c], [0x5c, 0x78], [0x1b], [0xff], [0xf0, 0x9f], [0xe2, 0x80], [0x61], [0x20], [0xc3, 0xa9]];
    let seed = 1;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const parts: number[] = [];
      for (let k = rand(8); k >= 0; k--) parts.push(...(rand(3) === 0 ? [rand(256)] : interesting[rand(interesting.length)]!));
      const bytes = Buffer.from(parts);
      const shown = displayBytes(bytes);
      expect(undisplay(shown).equals(bytes)).toBe(true);
      const before = seen.get(shown);
      if (before !== undefined) expect(before).toBe(bytes.toString('hex'));
      seen.set(shown, bytes.toString('hex'));
    }
  });

  it('utf8OrNull is strict', () => {
    expect(utf8OrNull(Buffer.from('/usr/bin'))).toBe('/usr/bin');
    expect(utf8OrNull(Buffer.from([0x2f, 0xff]))).toBeNull();
    expect(utf8OrNull(Buffer.from('a\0b'))).toBeNull();
  });
});
