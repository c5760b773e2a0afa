import { describe, expect, it } from 'vitest';
import { DEFAULT_ENV_ALLOW, cleanHostPath, crossingEnv, envAllowReport, hostEnv, nameAllowed, neverCrosses, startupWarnings } from '../../../src/exec/host-env.js';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    const env = hostEnv(new Map([['TERM', Buffer.from('dumb')]]), { base: { TERM: 'xterm', HOME: '/root', EXEC_WRAPPER: '/w', EXECGATE_SOCKET: '87' } });
    expect(env.map(String).sort()).toEqual(['HOME=/root', 'LESSSECURE=1', 'TERM=dumb']);
    const forced = hostEnv(new Map([['LESSSECURE', Buffer.from('0')]]), { base: {}, set: new Map([['GIT_DIR', '/p/.git']]) });
    expect(forced.map(String).sort()).toEqual(['GIT_DIR=/p/.git', 'LESSSECURE=1']);
  });

  it('matches NAME* prefixes', () => {
    expect(nameAllowed('LC_CTYPE', ['LC_*'])).toBe(true);
    expect(nameAllowed('LCX', ['LC_*'])).toBe(false);
    expect(nameAllowed('LD_LIBRARY_PATH', ['*'])).toBe(false);
  });

  it('never lets a variable that names a program, code, config or trust anchor cross, whatever the allowlist', () => {
    for (const name of ['GIT_EXTERNAL_DIFF', 'GIT_SSH', 'GIT_ASKPASS', 'GIT_EDITOR', 'GIT_PAGER', 'GIT_TRACE', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE',
      'SSH_ASKPASS', 'SSH_ASKPASS_REQUIRE', 'SUDO_ASKPASS', 'PROMPT_COMMAND', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'PERL5LIB', 'PERL5OPT', 'PERL5DB',
      'PYTHONBREAKPOINT', 'PYTHONSTARTUP', 'PYTHONPATH', 'PYTHONHOME', 'RUBYOPT', 'NODE_OPTIONS', 'DOCKER_HOST', 'DOCKER_CONFIG', 'KUBECONFIG', 'AWS_CONFIG_FILE',
      'AWS_SHARED_CREDENTIALS_FILE', 'npm_config_script_shell', 'NPM_CONFIG_USERCONFIG', 'CARGO_HOME', 'RUSTC_WRAPPER', 'CC', 'CXX', 'MAKEFLAGS', 'BROWSER', 'TERMINFO',
      'GCONV_PATH', 'LOCPATH', 'NLSPATH', 'HOSTALIASES', 'RES_OPTIONS', 'LD_PRELOAD', 'GETCONF_DIR', 'MALLOC_TRACE', 'GLIBC_TUNABLES', 'TMPDIR', 'XDG_CONFIG_HOME',
      'HTTPS_PROXY', 'https_proxy', 'SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'OPENSSL_CONF', 'GOFLAGS', 'GOTOOLCHAIN', 'CFLAGS', 'LESSSECURE', 'HISTFILE']) {
      expect(neverCrosses(name), name).not.toBeNull();
      expect(nameAllowed(name, [name, `${name.slice(0, 2)}*`]), name).toBe(false);
    }
    for (const name of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE', 'NODE_ENV', 'AWS_PROFILE', 'TERM', 'LC_ALL']) {
      expect(neverCrosses(name), name).toBeNull();
    }
  });

  it('refuses locale and time zone values that name a file', () => {
    const crossing = crossingEnv(entries('LANG=C.UTF-8', 'LC_ALL=/proj/locale', 'LC_CTYPE=../x', 'TZ=Europe/Paris', 'LC_TIME=en_US.UTF-8'), DEFAULT_ENV_ALLOW);
    expect([...crossing.keys()].sort()).toEqual(['LANG', 'LC_TIME', 'TZ']);
    for (const tz of ['/proj/tz', ':/proj/tz', './tz', ':../../proj/tz', 'Europe/../../proj']) {
      expect(crossingEnv(entries(`TZ=${tz}`), DEFAULT_ENV_ALLOW).has('TZ'), tz).toBe(false);
    }
    expect(crossingEnv(entries('TZ=:Europe/Paris', 'TZ=UTC0'), DEFAULT_ENV_ALLOW).get('TZ')!.toString()).toBe('UTC0');
    // A refused value does not leave an earlier accepted one in place.
    expect(crossingEnv(entries('TZ=UTC', 'TZ=/x'), DEFAULT_ENV_ALLOW).has('TZ')).toBe(false);
  });

  it('cleans the broker PATH of relative entries and entries the sandbox can write', () => {
    const project = realpathSync(mkdtempSync(join(tmpdir(), 'eg-proj-')));
    const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'eg-bin-')));
    symlinkSync(join(project), join(elsewhere, 'link'));
    mkdirSync(join(project, 'bin'));
    const path = `${project}/node_modules/.bin::/usr/bin:bin:${elsewhere}/link/bin:/usr/bin:/bin`;
    expect(cleanHostPath(path, [project]).path).toBe('/usr/bin:/bin');
    expect(cleanHostPath(path, []).path).toBe(`${project}/node_modules/.bin:/usr/bin:${elsewhere}/link/bin:/bin`);
    const warnings = startupWarnings(path, [project]);
    expect(warnings).toContain(`execgate: warning: your PATH includes ${project}/node_modules/.bin, which the sandbox can write (under ${project}); escalated commands will not see it`);
    expect(warnings.some((w) => w.includes('an empty entry'))).toBe(true);
    expect(warnings.some((w) => w.includes('the relative entry "bin"'))).toBe(true);
    expect(warnings.some((w) => w.includes(`${elsewhere}/link/bin`))).toBe(true);
    expect(startupWarnings('/usr/bin:/bin', [project])).toEqual([]);
  });

  it('reports what each env_allow entry admits and what it cannot', () => {
    expect(envAllowReport('GIT_*')).toBe('GIT_*: admits only GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_AUTHOR_DATE, GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL, GIT_COMMITTER_DATE; never the rest (git runs programs and reads files they name (GIT_SSH, GIT_EXTERNAL_DIFF, GIT_EDITOR, GIT_PAGER, GIT_EXEC_PATH, GIT_CONFIG*, GIT_DIR, GIT_TRACE writes files...))');
    expect(envAllowReport('AWS_*')).toMatch(/^AWS_\*: admits AWS_\.\.\. names; never AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CA_BUNDLE, /);
    expect(envAllowReport('PYTHON*')).toMatch(/^PYTHON\*: admits nothing: PYTHON\* never crosses/);
    expect(envAllowReport('GIT_SSH')).toMatch(/^GIT_SSH: never crosses/);
    expect(envAllowReport('AWS_PROFILE')).toBe('AWS_PROFILE: admits AWS_PROFILE');
  });
});
