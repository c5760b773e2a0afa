// Escalated commands in a real terminal (a tmux pane): they get a pty of
// their own, sized like the caller's, with raw relay, Ctrl-C, Ctrl-Z/fg,
// prompts that read /dev/tty, full-screen programs and editors; the caller's
// terminal modes come back however the command ends.
import { execFileSync } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath, tempDir } from '../helpers/execgate.js';
import { TmuxPane } from '../helpers/tmux.js';
import { pgrep, waitUntil } from '../helpers/wait.js';

const policy = ['bash', 'sleep', 'less', 'git']
  .map((p) => `[[rule]]\nid = "${p}-host"\nprogram = "${p}"\ndecision = "escalate"\n`)
  .join('');

let pane: TmuxPane;
let prompt: RegExp;
beforeEach(() => {
  pane = new TmuxPane();
  writeFileSync(join(pane.dir, 'policy.toml'), policy);
  pane.start(`node ${cliPath} shell --policy ${join(pane.dir, 'policy.toml')} -- --norc --noprofile`, { PS1: 'EG$ ', GIT_EDITOR: 'vi', EG_HOME_MARK: '1' });
  prompt = /^EG\$/m;
  pane.waitScreen(prompt);
  pane.line('clear');
});
afterEach(() => pane.stop());

const run = (cmd: string, until: RegExp) => {
  pane.line(cmd);
  return pane.waitScreen(until);
};

/** A fresh, empty prompt line: the shell is reading again (type only then,
 * as a human would; keys typed earlier go to whatever still runs). */
const backAtPrompt = () => pane.waitScreen(/^EG\$$/m);

/** The state letter (R, S, T...) of the one process running `pattern`. */
function stateOf(pattern: string): string {
  const pid = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n')[0]!;
  return execFileSync('ps', ['-o', 'stat=', '-p', pid], { encoding: 'utf8' }).trim();
}

describe('escalated commands on a terminal', () => {
  it('get a pty of their own, sized like the caller\'s, following resizes', () => {
    expect(run(`bash -c 'tty; stty size'`, /^\d+ \d+$/m)).toMatch(/^\/dev\/pts\/\d+\n40 120$/m);
    // The host command waits for a line: resized while it runs, it reads its
    // pty's new size after.
    pane.line(`bash -c 'echo waiting; read line; stty size'`);
    pane.waitScreen(/^waiting$/m);
    pane.resize(90, 25);
    // The new size reaches the host pty on its own path (tmux applies it, the
    // wrapper gets SIGWINCH and tells the broker), while Enter goes the
    // terminal's way: type it once the host pty has the size, as a human
    // would after seeing the window redrawn.
    const host = pgrep('^bash -c echo waiting; read line; stty size$');
    expect(host).toHaveLength(1);
    const hostTty = readlinkSync(`/proc/${host[0]}/fd/0`);
    waitUntil(() => execFileSync('stty', ['-F', hostTty, 'size'], { encoding: 'utf8' }).trim() === '25 90', 'the host pty to take the new size');
    pane.line('');
    expect(pane.waitScreen(/^25 90$/m)).toMatch(/^25 90$/m);
  });

  it('read a password from /dev/tty without echo, like sudo', () => {
    // As sudo does: echo off on /dev/tty first, then the prompt.
    pane.line(`bash -c 'stty -echo < /dev/tty; printf "Pass""word: " > /dev/tty; read p < /dev/tty; stty echo < /dev/tty; echo; echo "got \${#p} chars"'; echo "status $?"`);
    // (Spelled apart in the command line, so that only the prompt matches.)
    pane.waitScreen(/^Password:/m);
    pane.line('hunter22');
    const screen = pane.waitScreen(/status 0/);
    expect(screen).toContain('got 8 chars');
    expect(screen).not.toContain('hunter22');
  });

  it('Ctrl-C ends the host command, the shell sees 130, nothing is left behind', () => {
    pane.line(`sleep 4242; echo "never"`);
    // It must be running on the host before Ctrl-C, or the test proves nothing.
    waitUntil(() => pgrep('^sleep 4242$').length === 1, 'the host command to start');
    pane.keys('C-c');
    backAtPrompt();
    const screen = run('echo "status $?"', /status \d+/);
    expect(screen).toContain('status 130');
    expect(screen).not.toMatch(/^never$/m);
    expect(() => execFileSync('pgrep', ['-f', 'sleep 4242'])).toThrow();
  });

  it('Ctrl-Z stops the job on both sides; fg resumes it', () => {
    pane.line('sleep 4343');
    waitUntil(() => pgrep('^sleep 4343$').length === 1, 'the host command to start');
    pane.keys('C-z');
    pane.waitScreen(/Stopped\s+sleep 4343/);
    waitUntil(() => /^T/.test(stateOf('^sleep 4343$')), 'the host command to stop');
    pane.line('fg');
    waitUntil(() => /^S/.test(stateOf('^sleep 4343$')), 'the host command to run again');
    pane.keys('C-c');
    backAtPrompt();
    expect(run('echo "after fg: $?"', /after fg: \d+/)).toContain('after fg: 130');
  });

  it('run full-screen programs (less) and restore the terminal modes after', () => {
    const file = join(tempDir(), 'page.txt');
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => `line ${i + 1}`).join('\n'));
    pane.line(`less ${file}`);
    pane.waitScreen(/^line 39$/m);
    pane.keys('G');
    pane.waitScreen(/^line 200$/m);
    pane.keys('q');
    // Type only once the shell reads again: keys sent while less is still
    // exiting go to its pty and are lost, as for a human.
    backAtPrompt();
    const screen = run(`echo "modes: $(stty -a | grep -oE -- '-?icanon|-?echo ' | tr '\\n' ' ')"`, /^modes: /m);
    expect(screen).toMatch(/^modes: icanon echo/m);
  });

  it('let git commit open an editor on the host', () => {
    const repo = tempDir();
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, 'f'), 'x\n');
    execFileSync('git', ['-C', repo, 'add', 'f']);
    pane.line(`git -C ${repo} -c user.name=t -c user.email=t@e commit -q; echo "commit status $?"`);
    pane.waitScreen(/^~/m);
    pane.type('ifrom the editor');
    pane.keys('Escape');
    pane.line(':wq');
    pane.waitScreen(/commit status 0/);
    expect(execFileSync('git', ['-C', repo, 'log', '--format=%s'], { encoding: 'utf8' })).toBe('from the editor\n');
  });
});
