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
  it('matches * segments at their leftmost place, with classes and ranges', () => {
    expect(m(['*a*b*c'], ['xxaxbxxc'])).toBe(true);
    expect(m(['*a*b*c'], ['xxcxbxa'])).toBe(false);
    expect(m(['a*a'], ['a'])).toBe(false);
    expect(m(['a*a'], ['aa'])).toBe(true);
    expect(m(['[a-c]x'], ['bx'])).toBe(true);
    expect(m(['[a-c]x'], ['dx'])).toBe(false);
    expect(m(['[]a]'], [']'])).toBe(true);
    expect(m(['[!-]*'], ['-F'])).toBe(false);
    expect(m(['[!-]*'], ['file'])).toBe(true);
    expect(m(['[!-]*'], [''])).toBe(false);
    expect(m(['**'], [])).toBe(true);
  });
  it('restricts what ** stands for with star_args', () => {
    const only = (args: string[]) => compileArgs(['commit', '**', '-m*', '**'], ['-a', '-m*', '--', '[!-]*'])(args.map(toLatin1));
    expect(only(['commit', '-m', 'msg'])).toBe(true);
    expect(only(['commit', '-a', '-m', 'msg', '--', 'file'])).toBe(true);
    expect(only(['commit', '-mmsg'])).toBe(true);
    expect(only(['commit', '-F', '/etc/passwd', '-m', 'x'])).toBe(false);
    expect(only(['commit', '-m', 'x', '--file=/etc/passwd'])).toBe(false);
    expect(only(['commit', 'a'])).toBe(false);
  });
});
