import { describe, expect, it } from 'vitest';
import { passEnv, passEnvRefusal } from '../../../src/sandbox/pass-env.js';

describe('--pass-env', () => {
  it('passes what the human names, with the launcher\'s value, and reports unset names', () => {
    expect(passEnv(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GIT_AUTHOR_NAME'], { ANTHROPIC_API_KEY: 'k', GIT_AUTHOR_NAME: 'A' })).toEqual({
      values: { ANTHROPIC_API_KEY: 'k', GIT_AUTHOR_NAME: 'A' },
      unset: ['OPENAI_API_KEY'],
    });
  });

  it('refuses what execgate sets, what breaks the interception or loads code, and channels out', () => {
    for (const name of ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'BASH_ENV', 'ENV', 'PATH', 'EXEC_WRAPPER', 'EXECGATE_SOCKET', 'EXECGATE_SESSION', 'HOME', 'SHELL', 'USER', 'SSH_AUTH_SOCK', 'TMUX', 'XDG_RUNTIME_DIR', 'BASH_FUNC_ls%%', 'SHELLOPTS', 'DISPLAY']) {
      expect(passEnvRefusal(name), name).not.toBeNull();
    }
    expect(() => passEnv(['TERM', 'LD_PRELOAD'], { LD_PRELOAD: '/x.so' })).toThrow(/^--pass-env LD_PRELOAD: refused: it changes what the dynamic loader/);
    expect(() => passEnv(['A=B'], {})).toThrow(/not a variable name/);
  });
});
