import { describe, expect, it } from 'vitest';
import { MAX_RUN_TABLE_BYTES } from '../../../src/protocol/limits.js';
import { decodeRunTable, encodeRunTable, type RunTable } from '../../../src/protocol/run-table.js';

const table = (t: Partial<RunTable>): RunTable => ({ generation: 1, localRun: true, record: false, names: [], ...t });
const names = (t: RunTable | null) => t?.names.map((n) => Buffer.from(n).toString('latin1'));

describe('encodeRunTable', () => {
  it('writes the layout of execgate.proto, little-endian', () => {
    const bin = encodeRunTable(table({ generation: 0x01020304, record: true, names: ['git', Buffer.from([0xff, 0x2f])] }));
    expect(bin.toString('hex')).toBe(
      [
        '45475431', // "EGT1"
        '04030201', // generation
        '03000000', // LOCAL_RUN | RECORD
        '02000000', // count
        '03676974', // 3 "git"
        '02ff2f', // 2 bytes, not UTF-8, a '/' (which no file name holds: matches nothing)
      ].join(''),
    );
  });

  it('writes strings as UTF-8 and decodes back what it wrote', () => {
    const t = table({ generation: 0xffffffff, localRun: false, record: true, names: ['café', 'x'.repeat(255), 'git'] });
    const back = decodeRunTable(encodeRunTable(t));
    expect(back).toEqual({ ...t, names: [Buffer.from('café'), Buffer.from('x'.repeat(255)), Buffer.from('git')] });
  });

  it('an empty table with LOCAL_RUN lets everything run', () => {
    const bin = encodeRunTable(table({}));
    expect(bin.length).toBe(16);
    expect(decodeRunTable(bin)).toEqual(table({}));
  });

  it.each([
    ['a name over 255 bytes', ['git', 'n'.repeat(256)]],
    ['a UTF-8 name over 255 bytes', ['é'.repeat(128)]],
    ['an empty name', ['git', '']],
  ])('%s: a table that asks for everything', (_what, list) => {
    const back = decodeRunTable(encodeRunTable(table({ record: true, names: list })));
    expect(back).toEqual({ generation: 1, localRun: false, record: true, names: [] });
  });

  it('a table at the cap is written; one byte over asks for everything', () => {
    // 255 names of 255 bytes and one of 239: 16 + 255 * 256 + 240 = 65536
    const at = [...Array.from({ length: 255 }, () => 'a'.repeat(255)), 'b'.repeat(239)];
    const full = encodeRunTable(table({ names: at }));
    expect(full.length).toBe(MAX_RUN_TABLE_BYTES);
    expect(decodeRunTable(full)!.names.length).toBe(256);
    const over = encodeRunTable(table({ names: [...at.slice(0, -1), 'b'.repeat(240)] }));
    expect(over.length).toBe(16);
    expect(decodeRunTable(over)).toEqual({ generation: 1, localRun: false, record: false, names: [] });
  });

  it.each([-1, 1.5, 2 ** 32, Number.NaN])('refuses generation %s', (generation) => {
    expect(() => encodeRunTable(table({ generation }))).toThrow(RangeError);
  });
});

describe('decodeRunTable', () => {
  const header = (flags: number, count: number) => {
    const b = Buffer.alloc(16);
    b.write('EGT1', 'latin1');
    b.writeUInt32LE(9, 4);
    b.writeUInt32LE(flags, 8);
    b.writeUInt32LE(count, 12);
    return b;
  };
  const name = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);

  it('reads a table the broker wrote', () => {
    const t = decodeRunTable(Buffer.concat([header(1, 2), name('git'), name('make')]));
    expect(t).toMatchObject({ generation: 9, localRun: true, record: false });
    expect(names(t)).toEqual(['git', 'make']);
  });

  // The same refusals as the wrapper (native/test/wrapper_test.c, "run table").
  it.each([
    ['empty', Buffer.alloc(0)],
    ['a short header', header(1, 0).subarray(0, 15)],
    ['another magic', Buffer.concat([Buffer.from('EGT2'), header(1, 0).subarray(4)])],
    ['an unknown flag', header(5, 0)],
    ['a count that overruns', header(1, 1)],
    ['a huge count', Buffer.concat([header(1, 0xffffffff), name('ls')])],
    ['an empty name', Buffer.concat([header(1, 1), Buffer.from([0])])],
    ['a name that overruns', Buffer.concat([header(1, 1), Buffer.from([5, 0x61, 0x62])])],
    ['a trailing byte', Buffer.concat([header(1, 0), Buffer.from('x')])],
    ['more names than the count', Buffer.concat([header(1, 1), name('ls'), name('cp')])],
    ['over 64 KiB', Buffer.concat([header(1, 0), Buffer.alloc(MAX_RUN_TABLE_BYTES - 15)])],
  ])('refuses %s', (_what, bin) => {
    expect(decodeRunTable(bin)).toBeNull();
  });

  it('reads from a view into a larger buffer', () => {
    const all = Buffer.concat([Buffer.from('junk'), header(3, 1), name('gh'), Buffer.from('more junk')]);
    const view = new Uint8Array(all.buffer, all.byteOffset + 4, 16 + 3);
    expect(names(decodeRunTable(view))).toEqual(['gh']);
  });
});
