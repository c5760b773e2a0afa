// Red-team finding 10: the terminal channels fold arguments over 160
// characters with no way to see the middle, and a `sh -c` payload hidden
// there was approved for the session. Now `v` shows the whole request, paged,
// and "session"/"always" are refused (the UI says why) on a folded request
// until the human has read it to the end. Driven through the real UIs: the
// tmux popup, `execgate approve` in a terminal, and `execgate serve`'s own
// terminal, with keys sent by tmux.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, execgateShell, rule, startShell, tempDir } from '../helpers/execgate.js';
import { NestedTmux, TmuxPane } from '../helpers/tmux.js';

const policy = `approval_timeout = "2m"\n${rule('ask-sh', 'sh', 'prompt')}`;
const PAYLOAD = 'echo HIDDEN-PAYLOAD;';
/** An argument whose both ends look harmless; the payload is in the middle,
 * repeated so that some copy is never split across two rows of a page. */
const hiding = `: ${'A'.repeat(3000)}; ${PAYLOAD.repeat(20)} : ${'B'.repeat(3000)}`;
const script = `sh -c '${hiding}'; sh -c '${hiding}'; echo "status $?"`;

const REFUSED = /read the whole request first: press \[v\]/;
const PAGE = /whole request .*rows (\d+)-(\d+) of (\d+)/;

interface Screen {
  screen(): string;
  /** With trailing spaces, where the helper can. */
  screenExact?(): string;
  keys(...k: string[]): void;
  waitScreen(re: RegExp): string;
}

/** The argument at `argv[i]` as the pages showed it, row by row: nothing
 * may be missing between rows or at their ends. */
function argumentAsShown(pages: string[], i: number): string {
  const rows = new Map<number, string>();
  for (const page of pages) {
    const lines = page.split('\n');
    const [, first, last] = PAGE.exec(lines[0]!)!.map(Number);
    for (let r = first!; r <= last!; r++) rows.set(r, lines[1 + r - first!]!);
  }
  const ordered = [...rows.keys()].sort((a, b) => a - b).map((r) => rows.get(r)!);
  const start = ordered.findIndex((l) => l.startsWith(`  argv[${i}]  `));
  const parts = [ordered[start]!.slice(11)];
  for (const l of ordered.slice(start + 1)) {
    if (!l.startsWith(' '.repeat(11))) break;
    parts.push(l.slice(11));
  }
  return parts.join('');
}

/** Pages through the full view with the space bar, as a human reads it, until
 * it says it was read in full; returns every page seen. */
function readToTheEnd(s: Screen): string[] {
  const pages: string[] = [];
  let screen = s.waitScreen(PAGE);
  for (let i = 0; i < 200; i++) {
    pages.push(s.screenExact?.() ?? screen);
    if (/read in full/.test(screen)) return pages;
    const [, , last] = PAGE.exec(screen)!;
    s.keys('Space');
    screen = s.waitScreen(new RegExp(`rows \\d+-(?!${last} )\\d+ of`));
  }
  throw new Error('never reached the end of the full view');
}

/** The common flow: refused, viewed, then approved for the session. */
function refuseViewApprove(s: Screen, policyFile: string | null): void {
  const summary = s.waitScreen(/\[y\] once/);
  expect(summary).toContain('AAAA');
  expect(summary).not.toContain('HIDDEN-PAYLOAD');
  const policyBefore = policyFile ? readFileSync(policyFile, 'utf8') : '';
  s.keys('s');
  s.waitScreen(REFUSED);
  s.keys('a');
  s.waitScreen(REFUSED);
  expect(s.screen()).toMatch(/\[y\] once/); // still waiting
  if (policyFile) expect(readFileSync(policyFile, 'utf8')).toBe(policyBefore);
  s.keys('v');
  const pages = readToTheEnd(s);
  expect(pages.length).toBeGreaterThan(1);
  expect(pages.join('\n')).toContain('HIDDEN-PAYLOAD');
  if (s.screenExact) expect(argumentAsShown(pages, 2)).toBe(`'${hiding}'`);
  s.keys('q');
  s.waitScreen(/\[s\] this session/);
  s.keys('s');
}

describe('folded requests in the terminal channels', () => {
  let cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0).reverse()) c();
  });

  it('tmux popup: "s" is refused until the whole request was read with "v"', () => {
    const t = new NestedTmux();
    t.start();
    cleanup.push(() => t.stop());
    const policyFile = join(t.dir, 'policy.toml');
    writeFileSync(policyFile, policy);
    const out = join(t.dir, 'out.txt');
    writeFileSync(join(t.dir, 'script.sh'), `${script}\n`);
    t.run(`clear; node ${cliPath} shell --policy ${policyFile} ${join(t.dir, 'script.sh')} >${out} 2>&1; echo done >${out}.done`);
    refuseViewApprove(t, policyFile);
    t.waitFor(() => existsSync(`${out}.done`), 'the shell to finish');
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => !l.startsWith('execgate: '));
    expect(lines.filter((l) => l === 'HIDDEN-PAYLOAD')).toHaveLength(40);
    expect(lines).toContain('status 0');
  });

  it('execgate approve in a terminal: the same', async () => {
    const live = startShell(script, { policy });
    await live.waitPending(1);
    const pane = new TmuxPane();
    cleanup.push(() => pane.stop());
    pane.start(`node ${cliPath} approve`, { XDG_RUNTIME_DIR: live.runtimeDir }, { cols: 100, rows: 30 });
    refuseViewApprove(pane, live.policyFile);
    const r = await live.done;
    expect(r.stdout.toString().split('\n').filter((l) => l === 'HIDDEN-PAYLOAD')).toHaveLength(40);
    expect(r.audit.filter((a) => a.event === 'completion').map((a) => a.decided_by)).toEqual(['human:terminal', 'session-grant']);
  });

  it("execgate serve's own terminal: the same", async () => {
    const dir = tempDir('eg-serve-');
    writeFileSync(join(dir, 'policy.toml'), policy);
    const sockFile = join(dir, 'socket-path');
    const pane = new TmuxPane();
    cleanup.push(() => pane.stop());
    pane.start(`node ${cliPath} serve --policy ${join(dir, 'policy.toml')} --write-socket-path-to ${sockFile}`, { XDG_RUNTIME_DIR: tempDir('eg-xdg-') }, { cols: 120, rows: 35 });
    pane.waitScreen(/no pending requests/);
    const socket = readFileSync(sockFile, 'utf8').trim();
    const shell = execgateShell(script, { flags: ['--broker', socket] });
    refuseViewApprove(pane, join(dir, 'policy.toml'));
    const r = await shell;
    expect(r.stdout.toString().split('\n').filter((l) => l === 'HIDDEN-PAYLOAD')).toHaveLength(40);
    expect(r.stdout.toString()).toContain('status 0');
  });
});
