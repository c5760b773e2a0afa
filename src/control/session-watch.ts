// The "watch" op: one session's decisions and completions, streamed to a
// control client as they happen. `execgate mcp --broker` reports in each
// tool call's result what serve escalated, asked about and denied during the
// call, from serve's own record, exactly as it does with a broker of its own
// (Broker.watchSession); the sandbox cannot reach the control socket.
import type { Broker } from '../session/broker.js';
import type { ControlClient } from './server.js';

/** Handles {"op":"watch","session":ID} and {"op":"sync"}; returns false
 * for any other op. `sync` is the watcher's barrier: events are sent as they
 * happen, in order, on this connection, so `synced` comes after every one
 * the broker made before it read the op. A tool call's end reaches `execgate
 * mcp` by another way (the shell) and can overtake the last completion. */
export function handleWatchOp(broker: Broker, client: ControlClient, msg: Record<string, unknown>): boolean {
  if (msg.op === 'sync') {
    client.send({ type: 'synced' });
    return true;
  }
  if (msg.op !== 'watch') return false;
  const id = typeof msg.session === 'string' ? msg.session : '';
  const session = broker.sessionById(id);
  if (!session) {
    client.send({ type: 'error', error: `no session ${JSON.stringify(id)} on this broker` });
    return true;
  }
  const unwatch = broker.watchSession(session, {
    decision: (event) => client.send({ type: 'decision', event }),
    completion: (event) => client.send({ type: 'completion', event }),
  });
  client.onClose(unwatch);
  client.send({ type: 'watching', session: id });
  return true;
}
