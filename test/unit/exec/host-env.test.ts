import { describe, expect, it } from 'vitest';
import { DEFAULT_ENV_ALLOW, crossingEnv, hostEnv, nameAllowed } from '../../../src/exec/host-env.js';

const entries = (...e: (string | Buffer)[]) => e.map((x) => (typeof x === 'string' ? Buffer.from(x) : x));

describe('host environment', () => {
  it('lets only allowlisted variables cross, and never the dangerous ones', () => {
    const crossing = crossingEnv(
      entries('TERM=xterm', 'LC_ALL=C', 'LD_PRELOAD=/tmp/evil.so', 'BASH_ENV=/tmp/x', 'PATH=/tmp', 'SECRET=1', 'HOME=/sandbox', 'GIT_SSH_COMMAND=evil'),
      [...DEFAULT_ENV_ALLOW, 'LD_*', 'PATH', 'GIT_*', 'HOME'],
    );
    expect([...crossing.keys()].sort()).toEqual(['LC_ALL', 'TERM']);
  });

  it('ignores malformed entries and keeps values byte for byte', () => {
    const value = Buffer.from([0x66, 0xff, 0x3d]);
    const crossing = crossingEnv(entries('=x', 'noequals', '1BAD=x', Buffer.concat([Buffer.from('LANG='), value]), 'TERM=a\0b'), DEFAULT_ENV_ALLOW);
    expect([...crossing.keys()]).toEqual(['LANG']);
    expect(crossing.get('LANG')!.equals(value)).toBe(true);
  });

  it('builds the host env from the broker env, crossing values winning, without execgate variables', () => {
    const env = hostEnv(new Map([['TERM', Buffer.from('dumb')]]), { TERM: 'xterm', HOME: '/root', EXEC_WRAPPER: '/w', EXECGATE_SOCKET: '87' });
    expect(env.map(String).sort()).toEqual(['HOME=/root', 'TERM=dumb']);
  });

  it('matches NAME* prefixes', () => {
    expect(nameAllowed('LC_CTYPE', ['LC_*'])).toBe(true);
    expect(nameAllowed('LCX', ['LC_*'])).toBe(false);
    expect(nameAllowed('LD_LIBRARY_PATH', ['*'])).toBe(false);
  });
});
