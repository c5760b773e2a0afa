import { describe, expect, it } from 'vitest';
import { bearerToken, cookieName, fetchSiteAllowed, hostAllowed, newToken, originAllowed, tokenMatches } from '../../../src/web/security.js';
import { parseDecision } from '../../../src/web/server.js';

describe('web security rules', () => {
  it('makes a new 32-byte base64url token each time', () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(newToken()).not.toBe(a);
  });

  it('matches the token exactly, whatever the candidate', () => {
    const t = newToken();
    expect(tokenMatches(t, t)).toBe(true);
    for (const bad of [undefined, null, '', t.slice(0, -1), `${t}x`, t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase(), 'x'.repeat(10_000)]) {
      expect(tokenMatches(t, bad)).toBe(false);
    }
  });

  it('reads a bearer token and nothing else', () => {
    expect(bearerToken('Bearer abc_-9')).toBe('abc_-9');
    expect(bearerToken('bearer abc')).toBeNull();
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('answers only to loopback Host names on its own port', () => {
    expect(hostAllowed('127.0.0.1:8080', 8080)).toBe(true);
    expect(hostAllowed('localhost:8080', 8080)).toBe(true);
    expect(hostAllowed('LOCALHOST:8080', 8080)).toBe(true);
    for (const h of ['127.0.0.1', 'localhost', '127.0.0.1:8081', 'evil.example:8080', 'localhost.evil.example:8080', '[::1]:8080', '0.0.0.0:8080', undefined]) {
      expect(hostAllowed(h, 8080), String(h)).toBe(false);
    }
  });

  it('takes an Origin only when it is absent or this very origin', () => {
    expect(originAllowed(undefined, '127.0.0.1:8080')).toBe(true);
    expect(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(originAllowed('http://localhost:8080', 'localhost:8080')).toBe(true);
    for (const o of ['http://localhost:8080', 'https://127.0.0.1:8080', 'http://127.0.0.1:8081', 'null', 'http://evil.example', '']) {
      expect(originAllowed(o, '127.0.0.1:8080'), o).toBe(false);
    }
  });

  it('refuses cross-site fetch metadata; the cookie name carries the port', () => {
    expect([undefined, 'same-origin', 'none'].map(fetchSiteAllowed)).toEqual([true, true, true]);
    expect(['same-site', 'cross-site'].map(fetchSiteAllowed)).toEqual([false, false]);
    expect(cookieName(4242)).toBe('execgate_4242');
  });
});

describe('POST /api/decide bodies', () => {
  it('accepts approvals with a scope (once by default) and denials with an optional reason', () => {
    expect(parseDecision({ id: 'a.1', approve: true })).toEqual({ id: 'a.1', answer: { approve: true, scope: 'once' } });
    expect(parseDecision({ id: 'a.1', approve: true, scope: 'always' })).toEqual({ id: 'a.1', answer: { approve: true, scope: 'always' } });
    expect(parseDecision({ id: 'a.1', approve: false })).toEqual({ id: 'a.1', answer: { approve: false, reason: undefined } });
    expect(parseDecision({ id: 'a.1', approve: false, reason: '  no\x1b[2J\nway  ' })).toEqual({ id: 'a.1', answer: { approve: false, reason: 'no [2J way' } });
    expect(parseDecision({ id: 'a.1', approve: false, reason: 'x'.repeat(2000) })).toMatchObject({ answer: { reason: 'x'.repeat(500) } });
  });

  it('refuses anything else', () => {
    for (const bad of [null, [], 'x', {}, { id: '', approve: true }, { id: 'x'.repeat(201), approve: true }, { id: 'a', approve: 1 }, { id: 'a', approve: true, scope: 'forever' }, { id: 'a', approve: false, reason: {} }]) {
      expect(parseDecision(bad), JSON.stringify(bad)).toHaveProperty('error');
    }
  });
});
