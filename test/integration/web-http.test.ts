// The web page's rules at the HTTP level, against a real broker with real
// shells waiting: the token, the Host and Origin checks, no state change by
// GET, the body cap, the URL file, and the JSON API and event stream.
import { request } from 'node:http';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { ApprovalQueue } from '../../src/approval/queue.js';
import type { Policy } from '../../src/policy/types.js';
import { startWeb, WebStartError } from '../../src/web/server.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/runtime.js';
import { rule, startShell, tempDir } from '../helpers/execgate.js';
import { sessionShell, tokenOf, waitUrlFile, webRuntime } from '../helpers/web.js';

const askSh = `approval_timeout = "60s"\n${rule('ask-sh', 'sh', 'prompt', 'reason = "shells on the host need a human"')}`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so that Host, Origin and the rest are exactly as given. */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const length: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...length, ...headers }, setHost: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let rt: Runtime | null = null;
afterEach(async () => {
  await rt?.close();
  rt = null;
});

async function start(policy = askSh) {
  const w = await webRuntime(policy);
  rt = w.runtime;
  const port = new URL(w.url).port;
  const token = tokenOf(w.url);
  const bearer = { authorization: `Bearer ${token}` };
  const pending = async () => JSON.parse((await raw(+port, 'GET', '/api/pending', bearer)).body) as { pending: { id: string; label: string; argv: string[]; env: Record<string, string>; hostProgram: string; onTimeout: string }[]; recent: Record<string, unknown>[] };
  const waitPending = async (n: number) => {
    for (let i = 0; i < 400; i++) {
      const p = await pending();
      if (p.pending.length >= n) return p.pending;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never saw ${n} pending requests`);
  };
  const decide = (body: unknown, headers: Record<string, string> = {}) =>
    raw(+port, 'POST', '/api/decide', { ...bearer, 'content-type': 'application/json', ...headers }, JSON.stringify(body));
  return { ...w, port: +port, token, bearer, pending, waitPending, decide };
}

describe('web page: who may talk to it', () => {
  it('writes its URL, with a fresh 256-bit token, to a 0600 file; listens on 127.0.0.1 only; removes the file on close', async () => {
    const a = await start();
    const file = a.runtime.web!.urlFile;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${a.url}\n`);
    expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(32);
    // Reachable on loopback, not on the machine's other addresses.
    const others = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address);
    for (const ip of others) {
      await expect(new Promise((resolve, reject) => connect(a.port, ip).once('connect', resolve).once('error', reject))).rejects.toThrow();
    }
    const b = await webRuntime(askSh);
    expect(tokenOf(b.url)).not.toBe(a.token);
    await b.runtime.close();
    expect(existsSync(b.runtime.web!.urlFile)).toBe(false);
  });

  it('refuses everything without the token, and a wrong one', async () => {
    const { port } = await start();
    for (const path of ['/', '/assets/app.js', '/assets/style.css', '/api/pending', '/api/events', '/nope']) {
      expect((await raw(port, 'GET', path)).status, path).toBe(401);
      expect((await raw(port, 'GET', path, { authorization: 'Bearer wrong' })).status, path).toBe(401);
      expect((await raw(port, 'GET', path, { cookie: `execgate_${port}=wrong` })).status, path).toBe(401);
    }
    expect((await raw(port, 'GET', '/?token=wrong')).status).toBe(403);
    expect((await raw(port, 'POST', '/api/decide', { 'content-type': 'application/json' }, '{"id":"x","approve":true}')).status).toBe(401);
  });

  it('swaps ?token= for an HttpOnly SameSite=Strict cookie and redirects to a URL without it; accepts it nowhere else in a URL', async () => {
    const { port, token } = await start();
    const boot = await raw(port, 'GET', `/?token=${token}`);
    expect(boot.status).toBe(303);
    expect(boot.headers.location).toBe('/');
    const cookie = String(boot.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^execgate_${port}=${token}; `));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    const page = await raw(port, 'GET', '/', { cookie: `execgate_${port}=${token}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect((await raw(port, 'GET', '/api/pending', { cookie: `execgate_${port}=${token}` })).status).toBe(200);
    // The API takes the token as a bearer or the cookie, not in its URL.
    expect((await raw(port, 'GET', `/api/pending?token=${token}`)).status).toBe(401);
    expect((await raw(port, 'GET', `/api/events?token=${token}`)).status).toBe(401);
  });

  it('serves a strict Content-Security-Policy, only its own assets, no inline script or style', async () => {
    const { port, bearer } = await start();
    const page = await raw(port, 'GET', '/', bearer);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    // Every script has a src on this server; no inline handlers or styles.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/)/);
    expect(page.body).not.toMatch(/\son[a-z]+=|style=/i);
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const [path, type] of [['/assets/app.js', 'text/javascript'], ['/assets/style.css', 'text/css'], ['/assets/icon.svg', 'image/svg+xml']] as const) {
      const r = await raw(port, 'GET', path, bearer);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toContain(type);
      expect(r.body, path).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
    expect((await raw(port, 'GET', '/assets/..%2Fserver.ts', bearer)).status).toBe(404);
    expect((await raw(port, 'GET', '/assets/index.html', bearer)).status).toBe(404);
    // innerHTML is never used: text goes in as text.
    expect((await raw(port, 'GET', '/assets/app.js', bearer)).body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });

  it('answers only to Host 127.0.0.1:PORT or localhost:PORT (DNS rebinding)', async () => {
    const { port, bearer } = await start();
    expect((await raw(port, 'GET', '/api/pending', { ...bearer, host: `localhost:${port}` })).status).toBe(200);
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `127.0.0.1`, `[::1]:${port}`]) {
      expect((await raw(port, 'GET', '/api/pending', { ...bearer, host })).status, host).toBe(403);
      expect((await raw(port, 'GET', '/', { ...bearer, host })).status, host).toBe(403);
    }
  });

  it('refuses a foreign Origin or a cross-site fetch, for reads and for decisions; the request stays pending', async () => {
    const s = await start();
    const shell = sessionShell(s.runtime, 'origin', `sh -c 'echo ran'; echo "status $?"`);
    const [p] = await s.waitPending(1);
    for (const origin of ['http://evil.example', `http://127.0.0.1:${s.port + 1}`, 'null', `https://127.0.0.1:${s.port}`]) {
      expect((await s.decide({ id: p!.id, approve: true, scope: 'once' }, { origin })).status, origin).toBe(403);
      expect((await raw(s.port, 'GET', '/api/pending', { ...s.bearer, origin })).status, origin).toBe(403);
    }
    expect((await s.decide({ id: p!.id, approve: true }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await s.decide({ id: p!.id, approve: true }, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await s.pending()).pending.map((x) => x.id)).toEqual([p!.id]);
    // Its own origin (as a browser sends it) is fine.
    const ok = await s.decide({ id: p!.id, approve: true, scope: 'once' }, { origin: `http://127.0.0.1:${s.port}`, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true });
    expect((await shell.done).stdout).toBe('ran\nstatus 0\n');
  });

  it('changes nothing by GET (or any method but POST); wants JSON; caps the body', async () => {
    const s = await start();
    const shell = sessionShell(s.runtime, 'methods', `sh -c 'echo ran'; echo "status $?"`);
    const [p] = await s.waitPending(1);
    const get = await raw(s.port, 'GET', `/api/decide?id=${encodeURIComponent(p!.id)}&approve=true&scope=once`, s.bearer);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      expect((await raw(s.port, method, '/api/decide', { ...s.bearer, 'content-type': 'application/json' }, JSON.stringify({ id: p!.id, approve: true }))).status, method).toBe(405);
    }
    expect((await raw(s.port, 'POST', '/api/pending', s.bearer)).status).toBe(405);
    expect((await raw(s.port, 'POST', '/', s.bearer)).status).toBe(405);
    // A form post (text/plain, urlencoded) is not a decision.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expect((await raw(s.port, 'POST', '/api/decide', { ...s.bearer, 'content-type': type }, JSON.stringify({ id: p!.id, approve: true }))).status, type).toBe(415);
    }
    const big = JSON.stringify({ id: p!.id, approve: false, reason: 'x'.repeat(20_000) });
    expect((await raw(s.port, 'POST', '/api/decide', { ...s.bearer, 'content-type': 'application/json' }, big)).status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/api/decide', headers: { ...s.bearer, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(1024));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await raw(s.port, 'POST', '/api/decide', { ...s.bearer, 'content-type': 'application/json' }, '{not json')).status).toBe(400);
    for (const bad of [[], 'x', { id: p!.id }, { id: p!.id, approve: 'yes' }, { id: p!.id, approve: true, scope: 'forever' }, { id: 5, approve: true }, { id: p!.id, approve: false, reason: 5 }]) {
      expect((await s.decide(bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await s.pending()).pending).toHaveLength(1);
    const unknown = await s.decide({ id: 'no-such-id', approve: true });
    expect(unknown.status).toBe(409);
    expect(JSON.parse(unknown.body).error).toContain('no pending request');
    expect((await s.decide({ id: p!.id, approve: false, reason: 'not via GET' })).status).toBe(200);
    const r = await shell.done;
    expect(r.stderr).toContain('execgate: denied: sh: not via GET');
    expect(r.stdout).toBe('status 126\n');
  });
});

describe('web page start', () => {
  it('a busy port is a clear error, and leaves nothing registered', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const queue = new ApprovalQueue({ timeoutDecision: () => 'deny', writeAlways: () => '' });
    const events = { onCompletion: () => () => {}, policy: { timeoutDecision: 'deny' } as Policy };
    const urlFile = join(tempDir('eg-web-'), 'web-url');
    await expect(startWeb(queue, events, { port, urlFile })).rejects.toThrow(new WebStartError(`web page: port ${port} on 127.0.0.1 is already in use (choose another with --web-port, or 0 for any)`));
    expect(queue.channelNames).toEqual([]);
    expect(existsSync(urlFile)).toBe(false);
    busy.close();
  });
});

describe('web JSON API', () => {
  it('lists a waiting request with everything a human decides on; a decision runs it; recent decisions say how it ended', async () => {
    const s = await start(`approval_timeout = "60s"\n${rule('ask-sh', 'sh', 'prompt', 'reason = "shells on the host need a human"')}`);
    const shell = sessionShell(s.runtime, 'api-test', `sh -c 'echo "api ran in $PWD"; exit 7'; echo "status $?"`, '/tmp');
    const [p] = await s.waitPending(1);
    expect(p).toMatchObject({
      label: 'api-test',
      argv: ['sh', '-c', 'echo "api ran in $PWD"; exit 7'],
      hostProgram: expect.stringMatching(/\/(dash|bash|sh)$/),
      cwd: '/tmp',
      hostCwd: '/tmp',
      ruleId: 'ask-sh',
      reason: 'shells on the host need a human',
      onTimeout: 'deny',
      explicit: false,
      folded: false,
      grantKey: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((p as unknown as { deadline: number }).deadline).toBeGreaterThan(Date.now());
    const res = await s.decide({ id: p!.id, approve: true, scope: 'once' });
    expect(res.status).toBe(200);
    const r = await shell.done;
    expect(r.stdout).toBe('api ran in /tmp\nstatus 7\n');
    const after = await s.pending();
    expect(after.pending).toEqual([]);
    expect(after.recent[0]).toMatchObject({ id: p!.id, label: 'api-test', decidedBy: 'human:web', scope: 'once', state: 'exited', exitCode: 7, signal: null });
  });

  it('streams a snapshot, then requests, resolutions (saying who answered) and completions', async () => {
    const s = await start();
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${s.port}/api/events`, { headers: s.bearer, signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events: { event: string; data: Record<string, unknown> }[] = [];
    let buf = '';
    const reader = res.body!.getReader();
    const next = async (event: string) => {
      for (;;) {
        const found = events.find((e) => e.event === event);
        if (found) {
          events.splice(events.indexOf(found), 1);
          return found.data;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buf += Buffer.from(value).toString();
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (ev) events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    };
    expect(await next('snapshot')).toMatchObject({ pending: [], recent: [] });
    const shell = sessionShell(s.runtime, 'stream', `sh -c 'echo streamed'`);
    const req = await next('request');
    expect(req).toMatchObject({ label: 'stream', argv: ['sh', '-c', 'echo streamed'] });
    // Answered elsewhere (a terminal): the page is told who.
    expect(s.runtime.queue.answer(req.id as string, { approve: true, scope: 'once' }, 'terminal')).toEqual({ ok: true });
    expect(await next('resolved')).toMatchObject({ id: req.id, outcome: 'approved', scope: 'once', by: 'human:terminal' });
    expect((await shell.done).stdout).toBe('streamed\n');
    let done = await next('recent');
    if (done.state === 'running') done = await next('recent');
    expect(done).toMatchObject({ id: req.id, state: 'exited', exitCode: 0, decidedBy: 'human:terminal' });
    ac.abort();
  });
});

describe('the token stays out of the sandbox', () => {
  it('execgate shell --web: not in the environment, not on the terminal the agent reads', async () => {
    const live = startShell(`sh -c 'echo asked'; env; echo "status $?"`, { policy: askSh, flags: ['--web'] });
    const { file, url } = await waitUrlFile(live.runtimeDir);
    const token = tokenOf(url);
    const [p] = await live.waitPending(1);
    await live.approve(['--answer', p!.id, 'once']);
    const r = await live.done;
    expect(r.stdout.toString()).toContain('asked\n');
    expect(r.stdout.toString()).not.toContain(token);
    expect(r.stderr).not.toContain(token);
    expect(r.stderr).not.toContain('http://');
    expect(r.stderr).toContain(`approval page: open the URL written in ${file}`);
  });

  it('with --sandbox bwrap the URL file is not even there', async () => {
    const project = tempDir('eg-proj-');
    const live = startShell(`while [ ! -e ${project}/go ]; do sleep 0.05; done; cat "$(cat ${project}/where)"; echo "cat status $?"`, { flags: ['--web', '--sandbox', 'bwrap', '--project', project], cwd: project });
    const { file, url } = await waitUrlFile(live.runtimeDir);
    writeFileSync(`${project}/where`, file);
    writeFileSync(`${project}/go`, '');
    const r = await live.done;
    expect(existsSync(file)).toBe(false); // gone with its broker; it was there while the shell ran
    expect(r.stdout.toString()).toMatch(/cat status [1-9]/);
    expect(r.stderr).toMatch(/cat: .*web-url: No such file or directory/);
    expect(r.stdout.toString()).not.toContain(tokenOf(url));
  });
});
