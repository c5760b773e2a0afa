// attachedBroker's watch, against a control server of the test's own: a
// tool call's record is complete once caughtUp() resolves, because serve
// answers "sync" after every event it sent before; a serve that does not
// answer delays the call by MCP_WATCH_SYNC_MAX_MS at most.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CompletionEvent } from '../../../src/audit/records.js';
import { ControlServer, type ControlClient } from '../../../src/control/server.js';
import { attachedBroker, type LaunchedShell } from '../../../src/mcp/broker-link.js';
import { MCP_WATCH_SYNC_MAX_MS } from '../../../src/protocol/limits.js';

const completion: CompletionEvent = { id: 'r2', sessionId: 's1', label: 'a', hostProgram: '/usr/bin/id', argv: ['id', '-u'], decidedBy: 'rule:host-id', outcome: 'exited', exitCode: 0, signal: null, time: 2 };
const shell = { sessionId: 's1' } as LaunchedShell;

let server: ControlServer | null = null;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = null;
});

/** A serve whose watch sends `onSync`'s events, then answers sync if asked to. */
function fakeServe(onSync: (client: ControlClient) => void): ControlServer {
  return ControlServer.listen((client, message) => {
    if (message.kind !== 'json') return;
    if (message.op.op === 'watch') client.send({ type: 'watching', session: message.op.session });
    if (message.op.op === 'sync') onSync(client);
  });
}

describe('attachedBroker: watch', () => {
  it('caughtUp resolves only after the events serve sent before its answer have reached the watcher', async () => {
    // The completion leaves serve just before "synced", as one that was
    // still on its way when the call's end arrived by the shell.
    server = fakeServe((client) => {
      client.send({ type: 'completion', event: completion });
      client.send({ type: 'synced' });
    });
    const link = await attachedBroker(server.path, undefined);
    const seen: CompletionEvent[] = [];
    const watch = await link.watch(shell, { completion: (e) => seen.push(e) });
    try {
      expect(seen).toEqual([]);
      await watch.caughtUp();
      expect(seen).toEqual([completion]);
    } finally {
      watch.stop();
      await link.close();
    }
  });

  it('a serve that never answers delays the call by MCP_WATCH_SYNC_MAX_MS, no more', async () => {
    let asked!: () => void;
    const syncAsked = new Promise<void>((resolve) => (asked = resolve));
    server = fakeServe(() => asked());
    const link = await attachedBroker(server.path, undefined);
    const watch = await link.watch(shell, {});
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let done = false;
      const caught = watch.caughtUp().then(() => (done = true));
      await syncAsked;
      await vi.advanceTimersByTimeAsync(MCP_WATCH_SYNC_MAX_MS - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await caught;
      expect(done).toBe(true);
    } finally {
      watch.stop();
      await link.close();
    }
  });

  it('a connection serve has closed has nothing more to give: caughtUp resolves at once', async () => {
    server = fakeServe(() => {});
    const link = await attachedBroker(server.path, undefined);
    const watch = await link.watch(shell, {});
    await server.close();
    server = null;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await watch.caughtUp();
    watch.stop();
    await link.close();
  });
});
