import { describe, expect, it } from 'vitest';
import { REDACTED, redactArgv } from '../../../src/audit/redact.js';

describe('redactArgv', () => {
  it('redacts values of secret-looking flags and assignments', () => {
    expect(redactArgv(['curl', '--token', 'abc', '-H', 'x'])).toEqual(['curl', '--token', REDACTED, '-H', 'x']);
    expect(redactArgv(['x', '--password=hunter2'])).toEqual(['x', `--password=${REDACTED}`]);
    expect(redactArgv(['env', 'API_KEY=123', 'NAME=bob'])).toEqual(['env', `API_KEY=${REDACTED}`, 'NAME=bob']);
  });
  it('redacts known token formats and URL passwords', () => {
    expect(redactArgv(['gh', 'ghp_abcdefghijklmnopqrstuvwxyz0123'])).toEqual(['gh', REDACTED]);
    expect(redactArgv(['aws', 'AKIAABCDEFGHIJKLMNOP'])).toEqual(['aws', REDACTED]);
    expect(redactArgv(['git', 'clone', 'https://bob:s3cret@example.com/r.git'])).toEqual(['git', 'clone', `https://bob:${REDACTED}@example.com/r.git`]);
  });
  it('leaves ordinary arguments alone', () => {
    expect(redactArgv(['git', 'push', 'origin', 'main', '--force'])).toEqual(['git', 'push', 'origin', 'main', '--force']);
  });
});
