// Lines out of bytes that arrive in pieces: the spawn supervisor's reports
// (a line too long is a broken peer) and the MCP supervisor's events (one
// too long is not ours, and dropped).
import { describe, expect, it } from 'vitest';
import { MAX_REPORT_LINE } from '../../../src/exec/spawn-protocol.js';
import { LineReader } from '../../../src/runtime/line-reader.js';

describe('LineReader', () => {
  it('splits lines however the bytes arrive, and refuses an endless one', () => {
    const r = new LineReader(MAX_REPORT_LINE, 'throw');
    expect(r.push(Buffer.from('P 1'))).toEqual([]);
    expect(r.push(Buffer.from('2\nS 19\nX 0'))).toEqual(['P 12', 'S 19']);
    expect(r.push(Buffer.from(' 15\n'))).toEqual(['X 0 15']);
    expect(() => new LineReader(MAX_REPORT_LINE, 'throw').push(Buffer.alloc(MAX_REPORT_LINE + 1, 0x41))).toThrow(/over 64 bytes/);
  });

  it('drops an endless line when told to, keeping the lines before it and going on after it', () => {
    const r = new LineReader(8, 'drop');
    expect(r.push(Buffer.from('ok\nxxxxxxxxx'))).toEqual(['ok']);
    expect(r.push(Buffer.from('yy\nnext\n'))).toEqual(['yy', 'next']);
    // At the limit it is kept.
    expect(r.push(Buffer.from('12345678'))).toEqual([]);
    expect(r.push(Buffer.from('\n'))).toEqual(['12345678']);
  });
});
