import { describe, expect, it } from 'vitest';
import { UsageError, parseArgs } from '../../../src/cli/args.js';

const spec = { '--policy': 'string', '-c': 'string', '--x': 'boolean', '--bind': 'strings' } as const;

describe('parseArgs', () => {
  it('stops at the first positional and at --', () => {
    expect(parseArgs(['--x', 'script.sh', '--policy', 'p'], spec)).toEqual({ flags: { '--x': true }, rest: ['script.sh', '--policy', 'p'] });
    expect(parseArgs(['--policy=p', '--', '--x'], spec)).toEqual({ flags: { '--policy': 'p' }, rest: ['--x'] });
    expect(parseArgs(['-c', 'ls -l', 'name', 'a'], spec)).toEqual({ flags: { '-c': 'ls -l' }, rest: ['name', 'a'] });
  });
  it('collects repeated list flags', () => {
    expect(parseArgs(['--bind', 'a', '--bind=b'], spec).flags['--bind']).toEqual(['a', 'b']);
  });
  it('refuses unknown flags and missing values', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--policy'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs(['--x=1'], spec)).toThrow(/takes no value/);
  });
});
