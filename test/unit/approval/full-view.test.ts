import { describe, expect, it } from 'vitest';
import { FullView } from '../../../src/approval/full-view.js';
import { textWidth, wrapLine, wrapLines } from '../../../src/approval/wrap.js';

describe('wrap', () => {
  it('cuts lines into rows no wider than the screen, counting non-ASCII as wide', () => {
    const rows = wrapLine('abcdefghij'.repeat(5), 3, 20, 4);
    expect(rows.map((r) => r.text)).toEqual(['abcdefghijabcdefghij', '    abcdefghijabcdef', '    ghijabcdefghij']);
    expect(rows.map((r) => [r.line, r.start, r.end])).toEqual([[3, 0, 20], [3, 20, 36], [3, 36, 50]]);
    for (const r of wrapLine('日本語🤖é'.repeat(20), 0, 15, 0)) expect(textWidth(r.text)).toBeLessThanOrEqual(15);
    // An astral character is never split.
    expect(wrapLine('🤖🤖🤖', 0, 3, 0).map((r) => r.text)).toEqual(['🤖', '🤖', '🤖']);
    expect(wrapLine('', 0, 10, 2)).toEqual([{ text: '', line: 0, start: 0, end: 0 }]);
  });

  it('keeps every character: rows put together give the line back', () => {
    const line = 'x'.repeat(1000) + 'é'.repeat(100);
    expect(wrapLine(line, 0, 37, 5).map((r) => line.slice(r.start, r.end)).join('')).toBe(line);
  });
});

describe('FullView', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);

  it('pages through, and is read in full only when every row was on screen', () => {
    const v = new FullView(lines, 80, 10);
    expect(v.page()).toMatchObject({ first: 1, last: 10, total: 100 });
    expect(v.readInFull).toBe(false);
    for (let i = 0; i < 8; i++) v.nextPage();
    expect(v.readInFull).toBe(false);
    v.nextPage();
    expect(v.page()).toMatchObject({ first: 91, last: 100 });
    expect(v.readInFull).toBe(true);
    v.home();
    expect(v.readInFull).toBe(true); // stays read
  });

  it('jumping to the end, or paging back from it, does not count the middle', () => {
    const v = new FullView(lines, 80, 10);
    v.end();
    expect(v.page()).toMatchObject({ first: 91, last: 100 });
    expect(v.readInFull).toBe(false);
    for (let i = 0; i < 9; i++) v.previousPage();
    expect(v.readInFull).toBe(false); // back at the top, going up never counts
    v.scroll(5);
    expect(v.readInFull).toBe(false);
    for (let i = 0; i < 10; i++) v.nextPage();
    expect(v.readInFull).toBe(true);
  });

  it('a request that fits on one screen is read as soon as it is shown', () => {
    expect(new FullView(['a', 'b'], 80, 10).readInFull).toBe(true);
  });

  it('a resize re-wraps and keeps what was read and where the page starts', () => {
    const long = ['head', 'x'.repeat(400), 'tail'];
    const v = new FullView(long, 40, 4);
    expect(v.total).toBe(wrapLines(long, 40, 11).length);
    expect(v.total).toBeGreaterThan(8);
    v.nextPage(); // rows 5-8 seen as well
    const before = v.page().rows[0]!;
    v.resize(20, 4); // too narrow for the indent: 1 + 20 + 1 rows
    expect(v.total).toBe(22);
    expect(v.page().rows[0]!.start).toBeLessThanOrEqual(before.start);
    expect(v.readInFull).toBe(false);
    // What was read before the resize still counts: paging on reaches the end.
    let pages = 0;
    while (!v.readInFull && pages++ < 10) v.nextPage();
    expect(v.readInFull).toBe(true);
  });
});
