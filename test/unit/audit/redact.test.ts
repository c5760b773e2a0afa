import { describe, expect, it } from 'vitest';
import { REDACTED, redactArgv, redactText } from '../../../src/audit/redact.js';

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

describe('redactText', () => {
  it('redacts tokens, headers, assignments, JSON fields, URL passwords and key blocks, and counts them', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    const input = [
      'token ghp_abcdefghijklmnopqrstuvwxyz0123 here',
      'Authorization: Bearer abc.def',
      'GITHUB_TOKEN=xyz123',
      "export DB_PASSWORD='p w'",
      '{"api_key": "k-123", "name": "bob"}',
      'remote https://bob:s3cret@example.com/r.git',
      key,
      'after the key',
    ].join('\n');
    const { text, count } = redactText(input);
    expect(text.split('\n')).toEqual([
      `token ${REDACTED} here`,
      `Authorization: ${REDACTED}`,
      `GITHUB_TOKEN=${REDACTED}`,
      `export DB_PASSWORD=${REDACTED}`,
      `{"api_key": "${REDACTED}", "name": "bob"}`,
      `remote https://bob:${REDACTED}@example.com/r.git`,
      REDACTED,
      'after the key',
    ]);
    expect(count).toBe(7);
  });

  it('redacts a bare TOKEN= or PASSWORD= too', () => {
    expect(redactText('TOKEN=abc password=x')).toEqual({ text: `TOKEN=${REDACTED} password=${REDACTED}`, count: 2 });
  });

  it('counts a value once even when two rules see it', () => {
    expect(redactText('GH_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123')).toEqual({ text: `GH_TOKEN=${REDACTED}`, count: 1 });
  });

  it('leaves ordinary output alone', () => {
    const text = 'total 8\n-rw-r--r-- 1 bob bob 12 token.txt\nAuthorization required\nPASSWORD_MIN_LENGTH is 8\nhttps://example.com/a:b';
    expect(redactText(text)).toEqual({ text, count: 0 });
  });

  it('redacts a private key cut off by truncation to the end', () => {
    expect(redactText('x\n-----BEGIN RSA PRIVATE KEY-----\nMIIE')).toEqual({ text: `x\n${REDACTED}`, count: 1 });
  });
});
