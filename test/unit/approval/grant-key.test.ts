import { describe, expect, it } from 'vitest';
import { grantKey, type GrantSubject } from '../../../src/approval/grant-key.js';

const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s) : Buffer.from(s));
const subject = (over: Partial<GrantSubject> = {}): GrantSubject => ({
  hostProgram: '/usr/bin/git',
  argv: [b('git'), b('push')],
  hostCwd: '/home/me/w',
  env: new Map([['TERM', b('xterm')], ['LANG', b('C.UTF-8')]]),
  ...over,
});

describe('grantKey', () => {
  it('is the same for the same bytes, and short', () => {
    expect(grantKey(subject())).toBe(grantKey(subject()));
    expect(grantKey(subject())).toMatch(/^[0-9a-f]{64}$/);
    const big = grantKey(subject({ argv: [b('x'), Buffer.alloc(4 << 20, 0x41)] }));
    expect(big).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells apart byte strings that display alike (U+0085 and the byte 0x85)', () => {
    expect(grantKey(subject({ argv: [b('sh'), b([0xc2, 0x85])] }))).not.toBe(grantKey(subject({ argv: [b('sh'), b([0x85])] })));
  });

  it('keeps argument boundaries: nothing can move between arguments', () => {
    const keys = [
      [b('git'), b('push')],
      [b('gitp'), b('ush')],
      [b('git push')],
      [b('git'), b('push'), b('')],
      [b('git'), b(''), b('push')],
    ].map((argv) => grantKey(subject({ argv })));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('covers the program, the host directory and the crossing environment', () => {
    const base = grantKey(subject());
    expect(grantKey(subject({ hostProgram: '/usr/local/bin/git' }))).not.toBe(base);
    expect(grantKey(subject({ hostCwd: '/home/me/other' }))).not.toBe(base);
    expect(grantKey(subject({ env: new Map([['TERM', b('xterm')]]) }))).not.toBe(base);
    expect(grantKey(subject({ env: new Map([['TERM', b('xterm')], ['LANG', b('C.UTF-8 ')]]) }))).not.toBe(base);
    expect(grantKey(subject({ env: new Map([['TERM', b('xterm')], ['LC_ALL', b('C.UTF-8')]]) }))).not.toBe(base);
    // A field boundary cannot move either: program/cwd, name/value.
    expect(grantKey(subject({ hostProgram: '/a', hostCwd: '/b/c' }))).not.toBe(grantKey(subject({ hostProgram: '/a/b', hostCwd: '/c' })));
    expect(grantKey(subject({ env: new Map([['AB', b('C')]]) }))).not.toBe(grantKey(subject({ env: new Map([['A', b('BC')]]) })));
    // An argument and a variable with the same bytes are not interchangeable.
    expect(grantKey(subject({ argv: [b('git'), b('TERM')], env: new Map() }))).not.toBe(grantKey(subject({ argv: [b('git')], env: new Map([['TERM', b('')]]) })));
  });

  it('does not depend on the order the variables came in', () => {
    expect(grantKey(subject({ env: new Map([['LANG', b('C.UTF-8')], ['TERM', b('xterm')]]) }))).toBe(grantKey(subject()));
  });
});
