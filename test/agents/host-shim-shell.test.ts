// The shell shim as harnesses start it, against a real `execgate serve`: the
// ways a harness probes and starts its shell (`bash --version`, login shells
// by flag and by name, bash found on PATH), and what crosses from the
// harness's environment and working directory into the session's shell.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shimDir } from '../../src/native/paths.js';
import { tempDir } from '../helpers/execgate.js';
import { serve, type Served } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';
import { runCollecting, type Ran } from '../helpers/run.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
});

function shim(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; argv0?: string }): Promise<Ran> {
  return runCollecting(join(shimDir, 'bash'), args, opts);
}

describe('the shim attached to serve --sandbox bwrap', () => {
  async function setup() {
    const project = tempDir('eg-shim-project-');
    served = await serve('', { flags: ['--sandbox', 'bwrap', '--project', project] });
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, EXECGATE_BROKER: served.socket, ANTHROPIC_API_KEY: 'sk-host-only' };
    return { project, env, s: served };
  }

  it('answers bash --version, as a harness probing its shell asks it', async () => {
    const { project, env } = await setup();
    const r = await shim(['--version'], { cwd: project, env });
    expect(r.stdout).toMatch(/^GNU bash, version 5\./);
    expect(r.code).toBe(0);
  });

  it('starts login shells by flag and by name, with execgate first on PATH', async () => {
    const { project, env } = await setup();
    const report = 'shopt -q login_shell && echo login || echo plain; echo "${PATH%%:*}"';
    for (const [args, argv0] of [[['-lc', report]], [['-c', '-l', report]], [['-c', report], '-bash']] as [string[], string?][]) {
      const r = await shim(args, { cwd: project, env, argv0 });
      expect(r.stdout, `${argv0 ?? 'bash'} ${args.join(' ')}`).toBe('login\n/.execgate/bin\n');
    }
    const plain = await shim(['-c', report], { cwd: project, env });
    expect(plain.stdout).toBe('plain\n/.execgate/bin\n');
  });

  it('with its directory first on the harness PATH (how Gemini CLI finds bash), a bash inside is the sandbox\'s own', async () => {
    const { project, env } = await setup();
    const r = await shim(['-c', 'bash -c "echo nested \\$\\$"; echo "$PATH"'], { cwd: project, env: { ...env, PATH: `${shimDir}:${env.PATH}` } });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/^nested \d+$/);
    expect(r.stdout).not.toContain(shimDir);
    expect(r.code).toBe(0);
  });

  it('keeps the harness\'s secrets out, starts in its working directory inside the project, else in the project', async () => {
    const { project, env, s } = await setup();
    const sub = join(project, 'sub');
    mkdirSync(sub);
    const report = 'echo "key=${ANTHROPIC_API_KEY-unset} broker=${EXECGATE_BROKER-unset} cwd=$PWD"';
    expect((await shim(['-c', report], { cwd: sub, env })).stdout).toBe(`key=unset broker=unset cwd=${sub}\n`);
    expect((await shim(['-c', report], { cwd: '/', env })).stdout).toBe(`key=unset broker=unset cwd=${project}\n`);
    // one session a shell, each ended with it
    await waitFor(() => s.records().filter((a) => a.event === 'session-end').length === 2, { what: 'two sessions to end' });
    expect(s.records().filter((a) => a.event === 'session-start')).toHaveLength(2);
  });
});

describe('the shim attached to serve --sandbox none', () => {
  it('hands the shell the harness\'s whole environment but the broker\'s name', async () => {
    const project = tempDir('eg-shim-project-');
    served = await serve('', { flags: ['--sandbox', 'none'] });
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, EXECGATE_BROKER: served.socket, EXECGATE_LABEL: 'h', ANTHROPIC_API_KEY: 'sk-host-only' };
    const r = await shim(['-c', 'echo "key=${ANTHROPIC_API_KEY-unset} broker=${EXECGATE_BROKER-unset} label=${EXECGATE_LABEL-unset} cwd=$PWD"'], { cwd: project, env });
    expect(r.stdout).toBe(`key=sk-host-only broker=unset label=unset cwd=${project}\n`);
    expect(r.code).toBe(0);
  });
});
