// The tmux channel with a real tmux: a broker in the human's tmux opens a
// popup for each prompt, takes one key, and marks the window.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath, rule } from '../helpers/execgate.js';
import { NestedTmux } from '../helpers/tmux.js';

let t: NestedTmux;
beforeEach(() => {
  t = new NestedTmux();
  t.start();
});
afterEach(() => t.stop());

/** Starts `execgate shell -c SCRIPT` in the human's pane; output goes to a file. */
function shell(script: string, policy: string): { out: string; policyFile: string; finished: () => boolean } {
  const policyFile = join(t.dir, 'policy.toml');
  writeFileSync(policyFile, policy);
  const out = join(t.dir, 'out.txt');
  const scriptFile = join(t.dir, 'script.sh');
  writeFileSync(scriptFile, `${script}\n`);
  t.run(`clear; node ${cliPath} shell --policy ${policyFile} ${scriptFile} >${out} 2>&1; echo done >${out}.done`);
  return { out, policyFile, finished: () => existsSync(`${out}.done`) };
}

const prompt = (timeout = '60s') => `approval_timeout = "${timeout}"\n${rule('ask-sh', 'sh', 'prompt')}`;

describe('tmux popup', () => {
  it('"y" approves once: the popup closes, the command runs, the window mark goes', () => {
    const s = shell(`sh -c 'echo approved ran'; echo "status $?"`, prompt());
    const screen = t.waitScreen(/\[y\] once/);
    expect(screen).toContain("argv     sh -c 'echo approved ran'");
    expect(screen).toMatch(/times out in (1:00|0:5\d)/);
    expect(t.windowName()).toMatch(/❓$/);
    t.keys('y');
    t.waitFor(s.finished, 'the shell to finish');
    expect(readFileSync(s.out, 'utf8')).toContain('approved ran\nstatus 0\n');
    expect(t.windowName()).not.toContain('❓');
  });

  it('"n" denies, with a typed reason the wrapper prints', () => {
    const s = shell(`sh -c 'echo should not run'; echo "status $?"`, prompt());
    t.waitScreen(/\[y\] once/);
    t.keys('n');
    t.waitScreen(/deny reason/);
    t.literal('not now');
    t.keys('Enter');
    t.waitFor(s.finished, 'the shell to finish');
    const out = readFileSync(s.out, 'utf8');
    expect(out).toContain('execgate: denied: sh: not now');
    expect(out).toContain('status 126');
    expect(out).not.toContain('should not run');
  });

  it('"s" approves for the session; "a" writes an always rule', () => {
    const s = shell(`sh -c 'echo one'; sh -c 'echo one'; sh -c 'echo two'; sh -c 'echo two'`, prompt());
    t.waitScreen(/echo one/);
    t.keys('s');
    t.waitScreen(/echo two/);
    t.keys('a');
    t.waitFor(s.finished, 'the shell to finish');
    const lines = readFileSync(s.out, 'utf8').split('\n').filter((l) => !l.startsWith('execgate: '));
    expect(lines.slice(0, 4)).toEqual(['one', 'one', 'two', 'two']);
    expect(readFileSync(s.policyFile, 'utf8')).toMatch(/program = "sh"\nargs = \["-c", "echo two"\]\ndecision = "escalate"/);
  });

  it('two prompts at once, answered in reverse order with tab', () => {
    const s = shell(`sh -c 'echo A' & sleep 0.3; sh -c 'echo B' & wait`, prompt());
    t.waitScreen(/approval needed \(1 of 2\)/);
    t.keys('Tab');
    t.waitScreen(/\(2 of 2\)[\s\S]*echo B/);
    t.keys('n', 'Enter');
    t.waitScreen(/\(1 of 1\)[\s\S]*echo A/);
    t.keys('y');
    t.waitFor(s.finished, 'the shell to finish');
    const out = readFileSync(s.out, 'utf8');
    expect(out).toContain('A\n');
    expect(out).toContain('execgate: denied: sh: denied by a human');
    expect(out).not.toMatch(/^B$/m);
  });

  it('shows hostile arguments escaped, never painting over the prompt', () => {
    const s = shell(`sh -c $'printf x\\e[2J\\e[H\\e]2;pwned\\a\\nOWNED' "$(printf '%*s' 100000 '' | tr ' ' A)"`, prompt());
    const screen = t.waitScreen(/\[y\] once/);
    expect(screen).toContain('\\e[2J\\e[H\\e]2;pwned\\x07\\nOWNED');
    // Rows of the popup joined (its borders and the continuation indent
    // removed): the prompt wraps where the width says, even inside a word.
    expect(screen.replace(/ *│\n *│ */g, '')).toContain('[99860 more chars]');
    expect(screen).toContain('program  /usr/bin/dash');
    t.keys('n', 'Enter');
    t.waitFor(s.finished, 'the shell to finish');
  });

  it('times out as configured, and says so', () => {
    const s = shell(`sh -c 'echo late'; echo "status $?"`, prompt('2s'));
    t.waitScreen(/times out in 0:0[12]/);
    t.waitFor(s.finished, 'the shell to finish');
    const out = readFileSync(s.out, 'utf8');
    expect(out).toContain('execgate: denied: sh: no answer before the time-out');
    expect(t.screen()).not.toContain('[y] once');
  });
});

describe('execgate notify', () => {
  it('drives the window markers from inside the shell, ignoring unknown events', () => {
    const go = join(t.dir, 'go');
    const s = shell(`execgate notify session-start; execgate notify busy; touch ${go}.1; while [ ! -e ${go} ]; do sleep 0.05; done;
      execgate notify idle; execgate notify no-such-event; echo "unknown $?"; touch ${go}.2; while [ ! -e ${go}.3 ]; do sleep 0.05; done; execgate notify session-exit`, '');
    t.waitFor(() => existsSync(`${go}.1`), 'busy');
    t.waitFor(() => /^🤖 .* ⏳$/.test(t.windowName()), 'the busy marker');
    writeFileSync(go, '');
    t.waitFor(() => existsSync(`${go}.2`), 'idle');
    t.waitFor(() => /^🤖 .* ✋$/.test(t.windowName()), 'the idle marker');
    writeFileSync(`${go}.3`, '');
    t.waitFor(s.finished, 'the shell to finish');
    expect(readFileSync(s.out, 'utf8')).toContain('unknown 0');
    expect(t.windowName()).not.toMatch(/🤖|⏳|✋/);
  });
});
