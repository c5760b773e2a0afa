// Red-team finding 10 on the web page: a folded argument can be expanded, and
// "This session" / "Always" stay disabled (buttons and keys) until every
// folded part of the request was expanded; "Run once" and "Deny" do not wait.
// The JSON API says which requests are folded.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execgateShell, rule } from '../helpers/execgate.js';
import { launchBrowser, screenshot, type Browser } from '../helpers/browser.js';
import { serveWeb, tokenOf, originOf, type Served } from '../helpers/web.js';

const policy = `approval_timeout = "2m"\n${rule('ask-sh', 'sh', 'prompt')}`;
const hiding = `: ${'A'.repeat(3000)}; echo HIDDEN-PAYLOAD; : ${'B'.repeat(3000)}`;

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
  expect(browser.errors.splice(0)).toEqual([]);
});

async function setup(): Promise<{ s: Served; page: Page }> {
  const s = await serveWeb(policy);
  cleanups.push(() => s.stop());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  cleanups.push(() => page.close());
  await page.goto(s.url);
  await page.locator('#status[data-state="live"]').waitFor();
  return { s, page };
}

const pendingJson = async (s: Served) =>
  ((await (await fetch(`${originOf(s.url)}/api/pending`, { headers: { Authorization: `Bearer ${tokenOf(s.url)}` } })).json()) as { pending: { argv: string[]; folded: boolean }[] }).pending;

describe('folded requests on the web page', () => {
  it('session and always wait until every folded argument was expanded', async () => {
    const { s, page } = await setup();
    const shell = execgateShell(`sh -c '${hiding}'; sh -c '${hiding}'; echo "status $?"`, { flags: ['--broker', s.socket, '--label', 'folder'] });
    const req = page.locator('li.request', { hasText: 'folder' });
    await req.locator('xpath=self::*[@data-armed]').waitFor();
    expect(await req.locator('.argv').innerText()).not.toContain('HIDDEN-PAYLOAD');
    expect(await pendingJson(s)).toMatchObject([{ folded: true }]);

    const session = req.locator('button[data-action="session"]');
    const always = req.locator('button[data-action="always"]');
    expect(await session.isDisabled()).toBe(true);
    expect(await always.isDisabled()).toBe(true);
    expect(await req.locator('button[data-action="once"]').isDisabled()).toBe(false);
    expect(await req.locator('[data-role=fold-hint]').isVisible()).toBe(true);
    await page.mouse.move(0, 0);
    await screenshot(page, 'web-folded');
    // The keyboard does not get around it, and the page says why.
    await page.keyboard.press('s');
    await req.locator('[data-role=status]', { hasText: 'Expand every folded part' }).waitFor();
    await page.keyboard.press('a');
    expect(await pendingJson(s)).toHaveLength(1);

    await req.locator('.argv button.fold').click();
    expect(await req.locator('.argv').innerText()).toContain('HIDDEN-PAYLOAD');
    expect(await session.isDisabled()).toBe(false);
    expect(await req.locator('[data-role=fold-hint]').isVisible()).toBe(false);
    await session.click();
    const r = await shell;
    expect(r.stdout.toString()).toBe('HIDDEN-PAYLOAD\nHIDDEN-PAYLOAD\nstatus 0\n');
  });

  it('a request with more arguments than the page shows counts as folded until they are shown', async () => {
    const { s, page } = await setup();
    const shell = execgateShell(`sh -c 'echo "$#"' many $(seq 1 300); echo "status $?"`, { flags: ['--broker', s.socket, '--label', 'many'] });
    const req = page.locator('li.request', { hasText: 'many' });
    await req.locator('xpath=self::*[@data-armed]').waitFor();
    expect(await pendingJson(s)).toMatchObject([{ folded: true }]);
    expect(await req.locator('button[data-action="session"]').isDisabled()).toBe(true);
    await req.locator('.argv button.fold', { hasText: 'more arguments' }).click();
    expect(await req.locator('button[data-action="session"]').isDisabled()).toBe(false);
    await req.locator('button[data-action="session"]').click();
    expect((await shell).stdout.toString()).toBe('300\nstatus 0\n');
  });

  it('a short request is not folded: every answer is there at once', async () => {
    const { s, page } = await setup();
    const shell = execgateShell(`sh -c 'echo short'`, { flags: ['--broker', s.socket, '--label', 'short'] });
    const req = page.locator('li.request', { hasText: 'short' });
    await req.locator('xpath=self::*[@data-armed]').waitFor();
    expect(await pendingJson(s)).toMatchObject([{ folded: false }]);
    expect(await req.locator('button[data-action="session"]').isDisabled()).toBe(false);
    await req.locator('button[data-action="session"]').click();
    expect((await shell).stdout.toString()).toBe('short\n');
  });
});
