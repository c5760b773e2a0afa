// Findings 4b and 7: what the escalated command's environment must not get.
import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossingEnv, hostEnv } from '../../../src/exec/host-env.js';

const entries = (...e: string[]) => e.map((x) => Buffer.from(x));

describe('host environment attacks', () => {
  it('env_allow = ["GIT_*"] does not let program-naming git variables cross', () => {
    const crossing = crossingEnv(
      entries('GIT_EXTERNAL_DIFF=/proj/evil', 'GIT_SSH=/proj/evil', 'GIT_ASKPASS=/proj/evil', 'GIT_EDITOR=/proj/evil', 'GIT_PAGER=/proj/evil', 'GIT_AUTHOR_NAME=Agent'),
      ['GIT_*'],
    );
    expect([...crossing.keys()]).toEqual(['GIT_AUTHOR_NAME']);
  });

  it('the escalated command does not see PATH entries the sandbox can write', () => {
    const project = realpathSync(mkdtempSync(join(tmpdir(), 'eg-proj-')));
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    const env = hostEnv(new Map(), { writableRoots: [project], base: { PATH: `${project}/node_modules/.bin:/usr/bin:.:/bin` } });
    expect(env.map(String)).toContain('PATH=/usr/bin:/bin');
  });
});
