// The web approval page in a real browser (Debian's Chromium, headless, via
// playwright-core) against real brokers and real sandboxed shells: what a
// human sees, what a click does, and that hostile requests stay text.
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, execgateShell, rule, startShell, tempDir } from '../helpers/execgate.js';
import { launchBrowser, screenshot, type Browser } from '../helpers/browser.js';
import { originOf, serveWeb, sessionShell, waitUrlFile, webRuntime, type Served } from '../helpers/web.js';
import { spawnSync } from 'node:child_process';

const askSh = (timeout = '5m') =>
  `approval_timeout = "${timeout}"\n${rule('ask-sh', 'sh', 'prompt', 'reason = "shell scripts on the host need a human"')}${rule('echo-host', 'echo', 'escalate')}`;

let browser: Browser;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  // No CSP violation, script error or failed asset in any test (a test that
  // takes the broker away clears the network errors it causes itself).
  const errors = browser.errors.splice(0);
  expect(errors).toEqual([]);
});

async function open(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  cleanups.push(() => page.close());
  await page.goto(url);
  await page.locator('#status[data-state="live"]').waitFor();
  return page;
}

async function serve(policy: string, extra: string[] = []): Promise<Served> {
  const s = await serveWeb(policy, extra);
  cleanups.push(() => s.stop());
  return s;
}

const card = (page: Page, text: string) => page.locator('li.request', { hasText: text });
const waitTitle = (page: Page, prefix: string) => page.waitForFunction((p) => document.title.startsWith(p), prefix);
const armed = async (page: Page, text: string) => {
  await card(page, text).locator('xpath=self::*[@data-armed]').waitFor();
};

describe('web approval page in Chromium', () => {
  it('a command in a sandboxed shell waits; the page shows it; a click approves it; the output and status reach the shell', async () => {
    const project = tempDir('eg-proj-');
    const go = join(project, 'go');
    const live = startShell(`sh -c 'echo "ran on the host in $PWD"; exit 3'; echo "status $?"; while [ ! -e ${go} ]; do sleep 0.05; done`, {
      policy: askSh(),
      flags: ['--web', '--sandbox', 'bwrap', '--project', project, '--label', 'agent-1'],
      cwd: project,
    });
    cleanups.push(async () => {
      writeFileSync(go, '');
      await live.done.catch(() => {});
    });
    const { url } = await waitUrlFile(live.runtimeDir);
    const page = await open(url);
    // The token went into a cookie; the address bar no longer holds it.
    expect(page.url()).toBe(`${originOf(url)}/`);

    const req = card(page, 'agent-1');
    await req.waitFor();
    await waitTitle(page, '(1) 1 request waiting');
    expect(await req.locator('.label').textContent()).toBe('agent-1');
    expect(await req.locator('.argv').textContent()).toBe(`sh -c echo "ran on the host in $PWD"; exit 3`);
    expect(await req.locator('.argv .arg').allTextContents()).toEqual(['sh', '-c', 'echo "ran on the host in $PWD"; exit 3']);
    const details = await req.locator('.details').innerText();
    expect(details).toMatch(/Program\s+\/\S*(dash|bash|sh)\b/);
    expect(details).toContain(project);
    expect(details).toMatch(/Rule\s+ask-sh — shell scripts on the host need a human/);
    expect(await req.locator('.countdown').innerText()).toMatch(/^[45]:\d\d\s+then denied$/);
    expect(await page.locator('#pending-count').textContent()).toBe('1');

    await req.locator('button[data-action="once"]').click();
    await req.waitFor({ state: 'detached' });
    await page.locator('#notes .note', { hasText: 'You approved once' }).waitFor();
    const row = page.locator('#recent tbody tr', { hasText: 'echo "ran on the host' });
    await row.locator('.badge', { hasText: 'exit 3' }).waitFor();
    expect(await row.locator('td.by').innerText()).toBe('you, here');
    await waitTitle(page, 'execgate — nothing waiting');
    await page.locator('#empty').waitFor();

    await page.close(); // before the shell (and its broker) ends
    writeFileSync(go, '');
    const r = await live.done;
    expect(r.stdout.toString()).toMatch(/^ran on the host in \/\S+\nstatus 3\n$/);
    expect(r.code).toBe(0);
  });

  it('denies with a typed reason, which the shell prints; exit status 126', async () => {
    const s = await serve(askSh());
    const page = await open(s.url);
    const shell = execgateShell(`sh -c 'echo should not run'; echo "status $?"`, { flags: ['--broker', s.socket, '--label', 'denier'] });
    const req = card(page, 'denier');
    await req.locator('button[data-action="deny"]').click();
    const input = req.locator('input.reason-input');
    await input.waitFor();
    expect(await input.evaluate((el) => el === document.activeElement)).toBe(true);
    await input.fill('not on a Friday');
    await input.press('Enter');
    await req.waitFor({ state: 'detached' });
    await page.locator('#notes .note.denied', { hasText: 'You denied (“not on a Friday”)' }).waitFor();
    const row = page.locator('#recent tbody tr', { hasText: 'should not run' });
    await row.locator('.badge', { hasText: 'denied' }).waitFor();
    expect(await row.locator('.why').textContent()).toBe('not on a Friday');
    const r = await shell;
    expect(r.stdout.toString()).toBe('status 126\n');
    expect(r.stderr).toContain('execgate: denied: sh: not on a Friday');
  });

  it('two requests from two labelled sessions, answered from the keyboard; screenshots', async () => {
    const s = await serve(askSh());
    const page = await open(s.url);
    // Something that ran by rule, so that "recent decisions" has history.
    expect((await execgateShell('/usr/bin/echo warming up', { flags: ['--broker', s.socket, '--label', 'alpha'] })).stdout.toString()).toBe('warming up\n');
    await page.locator('#recent tbody tr', { hasText: 'warming up' }).locator('.badge', { hasText: 'exit 0' }).waitFor();

    const alpha = execgateShell(`sh -c 'echo alpha ran'; echo "alpha status $?"`, { flags: ['--broker', s.socket, '--label', 'alpha'] });
    await card(page, 'alpha').waitFor();
    const beta = execgateShell(`git_remote=origin; sh -c 'git push "$0" main && echo beta ran' "$git_remote"; echo "beta status $?"`, { flags: ['--broker', s.socket, '--label', 'beta'] });
    await card(page, 'beta').waitFor();
    await waitTitle(page, '(2) 2 requests waiting');
    expect(await page.locator('li.request .label').allTextContents()).toEqual(['alpha', 'beta']);
    // The first arrival has the keyboard focus.
    expect(await card(page, 'alpha').getAttribute('class')).toContain('focused');

    await armed(page, 'beta');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.mouse.move(0, 0);
    await screenshot(page, 'web-approval');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'web-approval-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // j moves to beta; n opens its reason field; Enter sends.
    await page.keyboard.press('j');
    expect(await card(page, 'beta').getAttribute('class')).toContain('focused');
    await page.keyboard.press('n');
    await card(page, 'beta').locator('input.reason-input').waitFor();
    await page.keyboard.type('wrong remote');
    await page.keyboard.press('Enter');
    await card(page, 'beta').waitFor({ state: 'detached' });
    // alpha is focused again; y approves it once.
    expect(await card(page, 'alpha').getAttribute('class')).toContain('focused');
    await armed(page, 'alpha');
    await page.keyboard.press('y');
    await card(page, 'alpha').waitFor({ state: 'detached' });
    await waitTitle(page, 'execgate — nothing waiting');

    const [a, b] = await Promise.all([alpha, beta]);
    expect(a.stdout.toString()).toBe('alpha ran\nalpha status 0\n');
    expect(b.stdout.toString()).toBe('beta status 126\n');
    expect(b.stderr).toContain('execgate: denied: sh: wrong remote');
    await page.locator('#recent tbody tr', { hasText: 'alpha ran' }).locator('.badge', { hasText: 'exit 0' }).waitFor();
    const labels = await page.locator('#recent tbody tr .label').allTextContents();
    expect(labels.slice(0, 3).sort()).toEqual(['alpha', 'alpha', 'beta']);
  });

  it('shows a hostile request as text: <script>, markup and ANSI escapes in argv, label and environment; long arguments folded', async () => {
    const s = await serve(askSh());
    const page = await open(s.url);
    const hostileLabel = '<img src=x onerror="window.__pwned=3">';
    const script = `sh -c $'printf "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>\\e[2J\\e]0;pwned\\a"' "$(printf '%*s' 5000 '' | tr ' ' A)"; echo "status $?"`;
    const shell = execgateShell(script, {
      flags: ['--broker', s.socket, '--label', hostileLabel],
      env: { TERM: 'xterm\x1b[31m<b onmouseover="window.__pwned=4">red</b>' },
    });
    const req = page.locator('li.request');
    await req.waitFor();
    expect(await req.locator('.label').textContent()).toBe(hostileLabel);
    const args = await req.locator('.argv .arg').allTextContents();
    expect(args[0]).toBe('sh');
    expect(args[2]).toBe('printf "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>\\e[2J\\e]0;pwned\\x07"');
    // The escapes are marked so they stand out.
    expect(await req.locator('.argv .esc').allTextContents()).toEqual(['\\e', '\\e', '\\x07']);
    expect(await req.locator('.env').innerText()).toContain('TERM=xterm\\e[31m<b onmouseover="window.__pwned=4">red</b>');
    // Nothing from the request became an element, and nothing ran.
    const page$ = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      imgs: document.querySelectorAll('img').length,
      inlineScripts: [...document.scripts].filter((x) => !x.src).length,
      bolds: document.querySelectorAll('li.request b, li.request script, li.request img').length,
      title: document.title,
    }));
    expect(page$).toEqual({ pwned: undefined, imgs: 1, inlineScripts: 0, bolds: 0, title: '(1) 1 request waiting — execgate' });
    // The 5000-character argument is folded, and unfolds on request.
    const long = req.locator('.argv .arg').nth(3);
    expect((await long.textContent())!.length).toBeLessThan(300);
    await page.mouse.move(0, 0);
    await screenshot(page, 'web-hostile');
    await long.locator('button.fold', { hasText: '4,860 more characters' }).click();
    expect(await long.textContent()).toBe('A'.repeat(5000));

    await armed(page, hostileLabel);
    await req.locator('button[data-action="deny"]').click();
    await req.locator('input.reason-input').press('Enter');
    const r = await shell;
    expect(r.stdout.toString()).toBe('status 126\n');
    expect(r.stderr).toContain('execgate: denied: sh: denied by a human');
    const row = page.locator('#recent tbody tr').first();
    await row.locator('.badge', { hasText: 'denied' }).waitFor();
    expect(await row.locator('.label').textContent()).toBe(hostileLabel);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('folds a request with very many arguments, and unfolds it on request', async () => {
    const s = await serve(askSh());
    const page = await open(s.url);
    const shell = execgateShell(`sh -c 'echo "$#"' many $(seq 1 1000); echo "status $?"`, { flags: ['--broker', s.socket, '--label', 'many'] });
    const req = card(page, 'many');
    await req.waitFor();
    expect(await req.locator('.argv .arg').count()).toBe(200);
    await req.locator('.argv button.fold', { hasText: '804 more arguments' }).click();
    expect(await req.locator('.argv .arg').count()).toBe(1004);
    expect(await req.locator('.argv .arg').last().textContent()).toBe('1000');
    await req.locator('button[data-action="once"]').click();
    expect((await shell).stdout.toString()).toBe('1000\nstatus 0\n');
  });

  it('a request answered elsewhere (a terminal) disappears with a note of who answered; a time-out says so', async () => {
    const s = await serve(askSh('6s'));
    const page = await open(s.url);
    const shell = execgateShell(`sh -c 'echo from the terminal'; echo "one $?"; sh -c 'echo never'; echo "two $?"`, { flags: ['--broker', s.socket, '--label', 'elsewhere'] });
    const req = card(page, 'from the terminal');
    await req.waitFor();
    const id = (await req.getAttribute('data-id'))!;
    const answered = spawnSync(process.execPath, [cliPath, 'approve', '--socket', s.socket, '--answer', id, 'session'], { encoding: 'utf8' });
    expect(answered.status).toBe(0);
    await req.waitFor({ state: 'detached' });
    const note = page.locator('#notes .note.approved', { hasText: 'Approved for this session in execgate approve (terminal)' });
    await note.waitFor();
    expect(await note.innerText()).toContain("sh -c 'echo from the terminal'");

    // The second one is left to time out: the countdown runs, then it goes.
    const second = card(page, 'echo never');
    await second.waitFor();
    await page.waitForFunction(() => /^0:0[0-3]$/.test(document.querySelector('li.request .countdown-time')?.textContent ?? ''));
    await second.waitFor({ state: 'detached' });
    await page.locator('#notes .note.timedout', { hasText: 'Timed out: denied' }).waitFor();
    const r = await shell;
    expect(r.stdout.toString()).toBe('from the terminal\none 0\ntwo 126\n');
    expect(r.stderr).toContain('no answer before the time-out');
  });

  it('shows when it is disconnected and reconnects by itself, with the state sent again', async () => {
    const { runtime, url } = await webRuntime(askSh());
    cleanups.push(() => runtime.close());
    const page = await open(url);
    // Every state the status pill goes through, as the page shows them.
    await page.evaluate(() => {
      const el = document.getElementById('status')!;
      const seen: string[] = [];
      (window as unknown as { __states: string[] }).__states = seen;
      new MutationObserver(() => seen.push(el.dataset.state!)).observe(el, { attributes: true, attributeFilter: ['data-state'] });
    });
    await runtime.web!.disconnectClients!();
    await page.waitForFunction(() => (window as unknown as { __states: string[] }).__states.includes('reconnecting'));
    await page.locator('#status[data-state="live"]').waitFor();
    expect(await page.locator('#banner').isVisible()).toBe(false);
    // And it is live for real: a new request shows up, and a click answers it.
    const shell = sessionShell(runtime, 'after-reconnect', `sh -c 'echo back'`);
    await card(page, 'after-reconnect').locator('button[data-action="once"]').click();
    expect((await shell.done).stdout).toBe('back\n');
    const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
    expect(states.slice(0, 2)).toEqual(['reconnecting', 'live']);
  });

  it('says so when the broker went away, and when its link went stale (a new broker, a new token)', async () => {
    const port = await freePort();
    const s1 = await serveWeb(askSh(), ['--web-port', String(port)]);
    const page = await open(s1.url);
    await s1.stop();
    await page.locator('#status[data-state="reconnecting"]').waitFor();
    await waitTitle(page, '⚠ disconnected');
    expect(await page.locator('#banner').innerText()).toContain('Reconnecting by itself');
    // A new broker on the same port has a new token: the page says so.
    const s2 = await serve(askSh(), ['--web-port', String(port)]);
    await page.locator('#status[data-state="unauthorized"]').waitFor();
    expect(await page.locator('#banner').innerText()).toContain('no longer valid');
    // Its new link works at once.
    await page.goto(s2.url);
    await page.locator('#status[data-state="live"]').waitFor();
    browser.errors.splice(0); // the refused and unauthorized connections above, expected
  });

  it('notifies on the desktop (when allowed), counts in the tab title, and shows the shortcuts', async () => {
    const s = await serve(askSh());
    await browser.context.grantPermissions(['notifications'], { origin: originOf(s.url) });
    cleanups.push(() => browser.context.clearPermissions());
    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    cleanups.push(() => page.close());
    await page.addInitScript(() => {
      const Real = window.Notification;
      const log: { title: string; body: string; closed: boolean }[] = [];
      (window as unknown as { __notes: typeof log }).__notes = log;
      class Recorded extends Real {
        constructor(title: string, opts?: NotificationOptions) {
          super(title, opts);
          const entry = { title, body: opts?.body ?? '', closed: false };
          log.push(entry);
          this.close = () => {
            entry.closed = true;
            Real.prototype.close.call(this);
          };
        }
      }
      window.Notification = Recorded as typeof Notification;
    });
    await page.goto(s.url);
    await page.locator('#status[data-state="live"]').waitFor();
    expect(await page.locator('#notify-state').innerText()).toBe('Desktop notifications on');

    const shell = execgateShell(`sh -c 'echo notified'`, { flags: ['--broker', s.socket, '--label', 'pinger'] });
    await card(page, 'pinger').waitFor();
    const notes = await page.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes);
    expect(notes).toEqual([{ title: 'execgate: approve a host command? (pinger)', body: "sh -c 'echo notified'", closed: false }]);

    await page.keyboard.press('?');
    expect(await page.locator('#help').isVisible()).toBe(true);
    expect(await page.locator('#help').innerText()).toContain('Approve for this session');
    await page.keyboard.press('Escape');
    expect(await page.locator('#help').isVisible()).toBe(false);

    await card(page, 'pinger').locator('button[data-action="once"]').click();
    expect((await shell).stdout.toString()).toBe('notified\n');
    await page.waitForFunction(() => (window as unknown as { __notes: { closed: boolean }[] }).__notes[0]?.closed === true);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
