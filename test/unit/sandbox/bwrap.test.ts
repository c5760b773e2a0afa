import { describe, expect, it } from 'vitest';
import { homedir } from 'node:os';
import { bwrapLaunch, parseBind, sandboxEnv } from '../../../src/sandbox/bwrap.js';
import { PathMap } from '../../../src/sandbox/path-map.js';

const launch = () =>
  bwrapLaunch({
    project: '/work',
    binds: [{ src: '/srv', dest: '/data' }],
    roBinds: [],
    network: false,
    patchedBash: '/p/bash',
    wrapper: '/p/wrapper',
    sandboxBin: '/p/bin',
    sessionFd: 87,
    bashArgs: ['-c', 'x'],
    cwd: '/work',
    env: { PATH: '/root/.cargo/bin:/usr/bin:relative:/bin', GITHUB_TOKEN: 't', TERM: 'xterm', LC_ALL: 'C', LD_PRELOAD: 'x' },
    hide: [],
  });

describe('bwrap launch', () => {
  it('maps bound host paths to themselves and nothing private', () => {
    const map = new PathMap(launch().pathMap);
    expect(map.toHost('/usr/bin/git')).toBe('/usr/bin/git');
    expect(map.toHost('/work/src')).toBe('/work/src');
    expect(map.toHost('/data/x')).toBe('/srv/x');
    expect(map.toHost('/tmp/x')).toBeNull();
    expect(map.toHost(`${homedir()}/.ssh/id_rsa`)).toBeNull();
    expect(map.toHost('/run/docker.sock')).toBeNull();
  });

  it('replaces /tmp, /run and the homes, cuts the network on request, clears the environment', () => {
    const { args } = launch();
    const s = args.join(' ');
    expect(s).toContain('--tmpfs /tmp');
    expect(s).toContain('--tmpfs /run');
    expect(s).toContain(`--tmpfs ${homedir()}`);
    expect(s).toContain('--unshare-net');
    expect(s).toContain('--unshare-pid');
    expect(s).toContain('--die-with-parent');
    expect(s).toContain('--clearenv');
    expect(s).toContain('--ro-bind /p/bash /usr/bin/bash');
    expect(s).toContain('--setenv EXECGATE_SOCKET 87');
    expect(s).not.toContain('GITHUB_TOKEN');
    expect(s).not.toContain('LD_PRELOAD');
  });

  it('keeps only harmless variables and a PATH without hidden directories', () => {
    const env = sandboxEnv({ PATH: '/root/.cargo/bin:/usr/bin:relative:/tmp/x:/bin', TERM: 'xterm', AWS_SECRET_ACCESS_KEY: 's' }, '/root', '/.execgate/execgate-wrapper', 87);
    expect(env.PATH).toBe('/.execgate/bin:/usr/bin:/bin');
    expect(env.TERM).toBe('xterm');
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(env.EXEC_WRAPPER).toBe('/.execgate/execgate-wrapper');
  });

  it('parses bind specs', () => {
    expect(parseBind('/usr:/u')).toEqual({ src: '/usr', dest: '/u' });
    expect(() => parseBind('/nonexistent-eg')).toThrow(/does not exist/);
    expect(() => parseBind('/usr:relative')).toThrow(/absolute/);
  });
});
