import { describe, expect, it } from 'vitest';
import { displayBytes, utf8OrNull } from '../../../src/protocol/bytes.js';

describe('displayBytes', () => {
  it('keeps valid UTF-8 and escapes control characters', () => {
    expect(displayBytes(Buffer.from('héllo wörld'))).toBe('héllo wörld');
    expect(displayBytes(Buffer.from('a\x1b[2Jb\nc\r\t'))).toBe('a\\e[2Jb\\nc\\r\\t');
    expect(displayBytes(Buffer.from('\u202eevil'))).toBe('\\u{202e}evil');
  });
  it('escapes invalid bytes and backslashes so the escape is unambiguous', () => {
    expect(displayBytes(Buffer.from([0x61, 0xff, 0x62, 0xc3]))).toBe('a\\xffb\\xc3');
    expect(displayBytes(Buffer.from('a\\xff'))).toBe('a\\\\xff');
    expect(displayBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // surrogate
  });
  it('utf8OrNull is strict', () => {
    expect(utf8OrNull(Buffer.from('/usr/bin'))).toBe('/usr/bin');
    expect(utf8OrNull(Buffer.from([0x2f, 0xff]))).toBeNull();
    expect(utf8OrNull(Buffer.from('a\0b'))).toBeNull();
  });
});
