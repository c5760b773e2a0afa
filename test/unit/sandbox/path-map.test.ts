import { describe, expect, it } from 'vitest';
import { PathMap } from '../../../src/sandbox/path-map.js';

describe('PathMap', () => {
  it('maps through the longest matching root', () => {
    const m = new PathMap([
      { sandbox: '/work', host: '/home/me/proj', writable: true },
      { sandbox: '/work/cache', host: '/var/cache/x', writable: false },
    ]);
    expect(m.toHost('/work')).toBe('/home/me/proj');
    expect(m.toHost('/work/src/a.c')).toBe('/home/me/proj/src/a.c');
    expect(m.toHost('/work/cache/z')).toBe('/var/cache/x/z');
    expect(m.toHost('/workshop')).toBeNull();
    expect(m.toHost('/etc')).toBeNull();
    expect(m.toHost('relative')).toBeNull();
  });
  it('normalises .. so it cannot climb out of a root', () => {
    const m = new PathMap([{ sandbox: '/work', host: '/home/me/proj', writable: true }]);
    expect(m.toHost('/work/../etc/passwd')).toBeNull();
    expect(m.toHost('/work/a/../b')).toBe('/home/me/proj/b');
  });
  it('keeps which roots are writable', () => {
    const m = new PathMap([
      { sandbox: '/work', host: '/home/me/proj', writable: true },
      { sandbox: '/work/.git', host: '/home/me/proj/.git', writable: false },
      { sandbox: '/data', host: '/home/me/proj', writable: true },
      { sandbox: '/usr', host: '/usr', writable: false },
    ]);
    expect(m.writableRoots()).toEqual(['/home/me/proj']);
    expect(m.roots().find((r) => r.sandbox === '/work/.git')?.writable).toBe(false);
  });
  it('identity maps everything, all of it writable (nothing is contained)', () => {
    expect(PathMap.identity().toHost('/usr/bin/git')).toBe('/usr/bin/git');
    expect(PathMap.identity().writableRoots()).toEqual(['/']);
  });
});
