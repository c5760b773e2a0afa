import { describe, expect, it } from 'vitest';
import { GlobError, compileArgs, toLatin1 } from '../../../src/policy/glob.js';

const m = (globs: string[], args: string[]) => compileArgs(globs)(args.map(toLatin1));

describe('token globs', () => {
  it('matches tokens exactly, with * ? and classes inside a token', () => {
    expect(m(['push', 'origin', 'main'], ['push', 'origin', 'main'])).toBe(true);
    expect(m(['push', 'origin', 'main'], ['push', 'origin'])).toBe(false);
    expect(m(['push', 'origin', 'feat/*'], ['push', 'origin', 'feat/x/y'])).toBe(true);
    expect(m(['-?'], ['-v'])).toBe(true);
    expect(m(['-?'], ['-vv'])).toBe(false);
    expect(m(['[abc]'], ['b'])).toBe(true);
    expect(m(['[!abc]'], ['b'])).toBe(false);
    expect(m(['a\\*'], ['a*'])).toBe(true);
    expect(m(['a\\*'], ['ab'])).toBe(false);
  });
  it('treats ** as any number of further tokens, anywhere', () => {
    expect(m(['push', '**'], ['push'])).toBe(true);
    expect(m(['push', '**'], ['push', '--force', 'origin'])).toBe(true);
    expect(m(['**', '--force', '**'], ['push', '--force', 'origin'])).toBe(true);
    expect(m(['**', '--force', '**'], ['push', 'origin'])).toBe(false);
    expect(m([], [])).toBe(true);
    expect(m([], ['x'])).toBe(false);
  });
  it('does not treat regex metacharacters specially', () => {
    expect(m(['a.c'], ['abc'])).toBe(false);
    expect(m(['(x)'], ['(x)'])).toBe(true);
  });
  it('matches non-UTF-8 bytes exactly and UTF-8 patterns by their bytes', () => {
    expect(compileArgs(['é'])([Buffer.from('é').toString('latin1')])).toBe(true);
    expect(compileArgs(['*'])([Buffer.from([0xff]).toString('latin1')])).toBe(true);
    expect(compileArgs(['?'])([Buffer.from('é').toString('latin1')])).toBe(false); // two bytes
  });
  it('reports malformed globs', () => {
    expect(() => compileArgs(['[abc'])).toThrow(GlobError);
    expect(() => compileArgs(['abc\\'])).toThrow(GlobError);
  });
});
