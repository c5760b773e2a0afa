// The web approval channel: a page on 127.0.0.1 that lists waiting requests
// live (Server-Sent Events) and answers them, and the small JSON API it is
// built on. Everything is behind a secret token made at start; the URL with
// it is written to a 0600 file in the broker's private directory (and printed
// by `execgate serve`), never put where the sandbox can see it.
//
// Who may talk to it:
//   - Host must be 127.0.0.1:PORT or localhost:PORT (no DNS rebinding);
//   - an Origin header, when present, must be this server's own origin, and
//     browsers' fetch metadata must not say cross-site for anything but the
//     first navigation;
//   - the token: `Authorization: Bearer TOKEN`, or the HttpOnly
//     SameSite=Strict cookie that `/?token=TOKEN` sets (the only place the
//     token is accepted in a URL, and it is redirected away at once);
//   - state changes only by POST with a JSON body of at most 16 KiB.
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { unlinkSync, readFileSync } from 'node:fs';
import { publishFile } from '../runtime/publish-file.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAnswer } from '../approval/answer.js';
import type { ApprovalQueue } from '../approval/queue.js';
import type { HumanAnswer } from '../approval/types.js';
import type { Broker } from '../session/broker.js';
import { loadAssets, type Asset } from './assets.js';
import { WebHub, type BrokerEvents, type HubEvent } from './hub.js';
import { WebStartError } from './errors.js';
import {
  CONTENT_SECURITY_POLICY,
  bearerToken,
  cookieName,
  fetchSiteAllowed,
  hostAllowed,
  newToken,
  originAllowed,
  tokenMatches,
} from './security.js';

export interface WebOptions {
  /** TCP port on 127.0.0.1; 0 or undefined = any free port. */
  port?: number;
  /** Where the URL with its token is written (mode 0600). */
  urlFile: string;
}

export interface WebChannel {
  url: string;
  urlFile: string;
  /** The port the page listens on (127.0.0.1). */
  port?: number;
  /** Ends every open event stream, cleanly; pages reconnect by themselves
   * and get the whole state again. (The first step of close.) */
  disconnectClients?(): Promise<void>;
  close(): Promise<void>;
}

/** The page could not start (port taken, URL file not writable): a message
 * for the human, which the CLI prints as one line. */
export { WebStartError };

export const MAX_BODY = 16 * 1024;
/** Live event streams at once (tabs, front ends); more are refused. */
export const MAX_STREAMS = 32;
const KEEPALIVE_MS = 15_000;
const RETRY_MS = 2_000;

interface AppContext {
  hub: WebHub;
  token: string;
  port: () => number;
  assets: Map<string, Asset>;
  /** Open event streams: ending one lets it flush and finish. */
  streams: Map<() => void, Promise<void>>;
}

type Env = { Variables: { authed: boolean } };

function refuse(c: Context, status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 503, error: string, allow?: string) {
  if (allow) c.header('Allow', allow);
  if (c.req.path.startsWith('/api/')) return c.json({ ok: false, error }, status);
  return c.text(`execgate: ${error}\n`, status);
}

function buildApp(ctx: AppContext): Hono<Env> {
  const app = new Hono<Env>();

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: CONTENT_SECURITY_POLICY,
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
      // Plain HTTP on loopback: HSTS would mean nothing here.
      strictTransportSecurity: false,
    }),
  );

  // Who is asking, before anything else.
  app.use('*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    const host = c.req.header('host');
    if (!hostAllowed(host, ctx.port())) return refuse(c, 403, 'wrong Host: this page answers only to 127.0.0.1 and localhost');
    if (!originAllowed(c.req.header('origin'), host!)) return refuse(c, 403, 'requests from other origins are refused');
    const site = c.req.header('sec-fetch-site');
    // A link from elsewhere may open the page (the token is the key), but
    // nothing else may come from another site.
    const navigation = c.req.method === 'GET' && c.req.path === '/' && c.req.header('sec-fetch-mode') === 'navigate';
    if (!navigation && !fetchSiteAllowed(site)) return refuse(c, 403, 'cross-site requests are refused');
    const bearer = bearerToken(c.req.header('authorization'));
    c.set('authed', bearer !== null ? tokenMatches(ctx.token, bearer) : tokenMatches(ctx.token, getCookie(c, cookieName(ctx.port()))));
    await next();
  });

  const methods = (path: string, allow: string) =>
    app.on(['PUT', 'PATCH', 'DELETE', 'OPTIONS', ...(allow === 'POST' ? ['GET', 'HEAD'] : ['POST'])], path, (c) => refuse(c, 405, `${c.req.method} is not allowed here (${allow} only)`, allow));

  // The page. `/?token=...` swaps the token for a cookie and leaves the URL.
  app.get('/', (c) => {
    const offered = c.req.query('token');
    if (offered !== undefined) {
      if (!tokenMatches(ctx.token, offered)) return refuse(c, 403, 'this link has a wrong or old token (did execgate restart? open the new URL)');
      setCookie(c, cookieName(ctx.port()), ctx.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      if (fetchSiteAllowed(c.req.header('sec-fetch-site'))) return c.redirect('/', 303);
      // Opened from another site: a Strict cookie would not be sent on a
      // redirect in the same navigation; a refresh is a new, same-site one.
      return c.html('<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>execgate</title><p><a href="/">Continue to execgate</a></p>');
    }
    if (!c.get('authed')) return refuse(c, 401, 'this page needs its secret link: open the URL execgate printed (or wrote to its web-url file)');
    return asset(c, 'index.html');
  });
  methods('/', 'GET');

  app.get('/assets/:name', (c) => {
    if (!c.get('authed')) return refuse(c, 401, 'missing or wrong token');
    const name = c.req.param('name');
    return name === 'index.html' ? refuse(c, 404, 'not found') : asset(c, name);
  });

  function asset(c: Context, name: string) {
    const a = ctx.assets.get(name);
    if (!a) return refuse(c, 404, 'not found');
    c.header('Content-Type', a.type);
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200);
  }

  // The API: the token by bearer or cookie, never in the URL.
  app.use('/api/*', async (c, next) => {
    if (!c.get('authed')) return refuse(c, 401, 'missing or wrong token (send Authorization: Bearer TOKEN)');
    await next();
  });

  app.get('/api/pending', (c) => c.json({ pending: ctx.hub.pending(), recent: ctx.hub.recent(), serverTime: Date.now() }));
  methods('/api/pending', 'GET');

  app.post(
    '/api/decide',
    bodyLimit({ maxSize: MAX_BODY, onError: (c) => refuse(c, 413, `the body is larger than ${MAX_BODY} bytes`) }),
    async (c) => {
      if (!/^application\/json(\s*;.*)?$/i.test(c.req.header('content-type') ?? '')) return refuse(c, 415, 'send JSON (Content-Type: application/json)');
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return refuse(c, 400, 'the body is not valid JSON');
      }
      const parsed = parseDecision(body);
      if ('error' in parsed) return refuse(c, 400, parsed.error);
      const result = ctx.hub.answer(parsed.id, parsed.answer);
      if (result.ok) return c.json({ ok: true, ...(result.ruleText ? { ruleText: result.ruleText } : {}) });
      return refuse(c, result.error.startsWith('no pending request') ? 409 : 422, result.error);
    },
  );
  methods('/api/decide', 'POST');

  app.get('/api/events', (c) => {
    if (ctx.streams.size >= MAX_STREAMS) return refuse(c, 503, 'too many open event streams');
    return streamSSE(c, (stream) => feed(stream, ctx));
  });
  methods('/api/events', 'GET');

  app.notFound((c) => (c.get('authed') ? refuse(c, 404, 'not found') : refuse(c, 401, 'missing or wrong token')));
  app.onError((err, c) => {
    process.emitWarning(`execgate: web: ${err.message}`);
    return c.json({ ok: false, error: 'internal error' }, 500);
  });
  return app;
}

export function parseDecision(body: unknown): { id: string; answer: HumanAnswer } | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'send an object: {id, approve, scope?, reason?}' };
  const b = body as Record<string, unknown>;
  if (typeof b.id !== 'string' || b.id.length === 0 || b.id.length > 200) return { error: 'id must be the id of a pending request' };
  const parsed = parseAnswer(b);
  return parsed.ok ? { id: b.id, answer: parsed.answer } : { error: parsed.error };
}

/** One event stream: a snapshot, then every change, in order. */
async function feed(stream: SSEStreamingApi, ctx: AppContext): Promise<void> {
  let chain = Promise.resolve();
  const send = (event: string, data: unknown, retry?: number) => {
    const text = JSON.stringify(data);
    chain = chain.then(() => stream.writeSSE({ event, data: text, ...(retry ? { retry } : {}) })).catch(() => stream.abort());
  };
  // Snapshot and subscription in the same tick: nothing falls between.
  send('snapshot', { pending: ctx.hub.pending(), recent: ctx.hub.recent(), serverTime: Date.now() }, RETRY_MS);
  const off = ctx.hub.subscribe((e: HubEvent) => {
    if (e.type === 'request') send('request', e.request);
    else if (e.type === 'resolved') send('resolved', e.resolution);
    else send('recent', e.entry);
  });
  const keepalive = setInterval(() => {
    chain = chain.then(() => stream.write(': keepalive\n\n')).then(() => {});
  }, KEEPALIVE_MS);
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  // Finished once ended and everything queued so far is written.
  ctx.streams.set(end, ended.then(() => chain));
  stream.onAbort(end);
  await ended;
  off();
  clearInterval(keepalive);
  await chain;
  ctx.streams.delete(end);
}

function listen(server: ServerType, port: number | undefined): Promise<number> {
  const s = server as Server;
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      s.off('listening', onListening);
      reject(new WebStartError(err.code === 'EADDRINUSE' ? `web page: port ${port} on 127.0.0.1 is already in use (choose another with --web-port, or 0 for any)` : `web page: cannot listen on 127.0.0.1:${port ?? 0}: ${err.message}`));
    };
    const onListening = () => {
      s.off('error', onError);
      resolve((s.address() as AddressInfo).port);
    };
    if (s.listening) return onListening();
    s.once('error', onError);
    s.once('listening', onListening);
  });
}

export async function startWeb(queue: ApprovalQueue, broker: Broker | BrokerEvents, opts: WebOptions): Promise<WebChannel> {
  const assets = loadAssets();
  const token = newToken();
  const hub = new WebHub(queue, broker);
  const streams = new Map<() => void, Promise<void>>();
  let port = 0;
  const app = buildApp({ hub, token, port: () => port, assets, streams });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: opts.port ?? 0, overrideGlobalObjects: false });
  try {
    port = await listen(server, opts.port);
  } catch (err) {
    hub.close();
    throw err;
  }
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  try {
    publishFile(opts.urlFile, `${url}\n`); // mode 0600: never readable by others, not even for a moment
  } catch (err) {
    hub.close();
    (server as Server).close();
    throw new WebStartError(`web page: cannot write ${opts.urlFile}: ${(err as Error).message}`);
  }

  /** Ends every event stream once what is queued is written. */
  const endStreams = async (graceMs: number) => {
    const flushed = [...streams.values()];
    for (const end of [...streams.keys()]) end();
    await Promise.race([Promise.all(flushed), new Promise((r) => setTimeout(r, graceMs).unref())]);
  };

  let closing: Promise<void> | null = null;
  return {
    url,
    urlFile: opts.urlFile,
    port,
    disconnectClients: () => endStreams(500),
    close() {
      closing ??= (async () => {
        hub.close();
        // Let the streams write what they have (a command that just ended,
        // say) and end their responses cleanly; a stuck client does not
        // hold us for long.
        await endStreams(500);
        const s = server as Server;
        const closed = new Promise<void>((r) => s.close(() => r()));
        s.closeIdleConnections();
        const force = setTimeout(() => s.closeAllConnections(), 1000).unref();
        await closed;
        clearTimeout(force);
        try {
          if (readFileSync(opts.urlFile, 'utf8').trim() === url) unlinkSync(opts.urlFile);
        } catch {}
      })();
      return closing;
    },
  };
}
