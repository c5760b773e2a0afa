// The spec a supervisor reads: its exact bytes, and every way a command is
// refused before anything starts.
import { describe, expect, it } from 'vitest';
import { SpawnSpecError, encodeSpawnSpec, type HostCommand } from '../../../src/exec/spawn-spec.js';
import { MAX_SPAWN_SPEC_BYTES, MAX_SPAWN_STRING_BYTES, MAX_SPAWN_STRINGS } from '../../../src/protocol/limits.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function command(over: Partial<HostCommand> = {}): HostCommand {
  return {
    file: '/usr/bin/git',
    identity: { dev: 2049n, ino: 131077n },
    argv: [b('git'), b('push')],
    env: [b('TERM=xterm')],
    tty: null,
    closed: [],
    ...over,
  };
}

/** The strings after the length prefix, split at their NULs. */
function fields(spec: Buffer): Buffer[] {
  expect(spec.readUInt32BE(0)).toBe(spec.length - 4);
  const body = spec.subarray(4);
  expect(body[body.length - 1]).toBe(0);
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const nul = body.indexOf(0, at);
    out.push(body.subarray(at, nul));
    at = nul + 1;
  }
  return out;
}

describe('encodeSpawnSpec', () => {
  it('writes the length, then "EGS2", file, dev, ino, tty, closed, argv and env as NUL-terminated strings', () => {
    const spec = encodeSpawnSpec(command({ tty: { rows: 40, cols: 120 }, closed: [1, 2] }));
    expect(fields(spec).map((f) => f.toString('latin1'))).toEqual([
      'EGS2', '/usr/bin/git', '2049', '131077', '40 120', '12', '2', 'git', 'push', '1', 'TERM=xterm',
    ]);
  });

  it('keeps argv and env bytes exactly, non-UTF-8 included, and 64-bit identities in full', () => {
    const odd = Buffer.from([0xff, 0xfe, 0x0a, 0x20]);
    const big = (1n << 64n) - 1n;
    const spec = encodeSpawnSpec(command({ argv: [b('x'), odd, b('')], env: [], identity: { dev: big, ino: 0n } }));
    const f = fields(spec);
    expect(f[2]!.toString()).toBe('18446744073709551615');
    expect(f[3]!.toString()).toBe('0');
    expect(f[4]!.length).toBe(0);
    expect(f.slice(6, 10)).toEqual([b('3'), b('x'), odd, b('')]);
    expect(f[10]!.toString()).toBe('0');
  });

  it.each<[string, Partial<HostCommand>, RegExp]>([
    ['a NUL in argv', { argv: [b('sh'), b('-c'), b('echo a\0b')] }, /argv\[2\] contains a NUL byte/],
    ['a NUL in env', { env: [b('A=1'), b('B=x\0y')] }, /env\[1\] contains a NUL byte/],
    ['a NUL in the program path', { file: '/usr/bin/gi\0t' }, /program path contains a NUL byte/],
    ['a relative program path', { file: 'bin/git' }, /not absolute/],
    ['an empty argv', { argv: [] }, /argv is empty/],
    ['an argument longer than execve takes', { argv: [b('x'), Buffer.alloc(MAX_SPAWN_STRING_BYTES + 1, 0x61)] }, /argv\[1\] is 131072 bytes/],
    ['too many arguments', { argv: new Array<Buffer>(MAX_SPAWN_STRINGS + 1).fill(b('')) }, /argv has 1048577 entries/],
    ['a terminal of 0 rows', { tty: { rows: 0, cols: 80 } }, /terminal rows 0/],
    ['a terminal too wide', { tty: { rows: 24, cols: 70000 } }, /terminal columns 70000/],
    ['a fractional size', { tty: { rows: 24.5, cols: 80 } }, /terminal rows 24.5/],
    ['a closed fd that is not stdio', { closed: [3] }, /closed fd 3/],
    ['a closed fd twice', { closed: [1, 1] }, /repeat/],
    ['a negative inode', { identity: { dev: 1n, ino: -1n } }, /inode -1/],
    ['a device over 64 bits', { identity: { dev: 1n << 64n, ino: 1n } }, /device/],
  ])('refuses %s with a SpawnSpecError', (_what, over, message) => {
    const err = (() => {
      try {
        encodeSpawnSpec(command(over));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(SpawnSpecError);
    expect((err as SpawnSpecError).code).toBe('ERR_EXECGATE_SPAWN_SPEC');
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a spec over the total cap, and takes one just under it', () => {
    const arg = Buffer.alloc(MAX_SPAWN_STRING_BYTES, 0x61);
    const count = Math.floor(MAX_SPAWN_SPEC_BYTES / (arg.length + 1));
    expect(() => encodeSpawnSpec(command({ argv: new Array<Buffer>(count + 1).fill(arg) }))).toThrow(/over the 8388608 allowed/);
    const spec = encodeSpawnSpec(command({ argv: new Array<Buffer>(count - 1).fill(arg) }));
    expect(spec.length).toBeLessThanOrEqual(MAX_SPAWN_SPEC_BYTES + 4);
  });
});
