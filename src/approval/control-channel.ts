// Approvals over the control socket: `execgate approve` (and the tmux popup,
// which runs it) lists, watches and answers pending requests. A subscribed
// client is a channel of its own, named by what it says it is.
import type { ControlClient } from '../control/server.js';
import { parseAnswer } from './answer.js';
import type { ApprovalQueue } from './queue.js';

function channelName(v: unknown): string {
  return typeof v === 'string' && /^[a-z][a-z0-9-]{0,30}$/.test(v) ? v : 'terminal';
}

/** Handles the approval ops; returns false for ops it does not know. */
export function handleApprovalOp(queue: ApprovalQueue, client: ControlClient, msg: Record<string, unknown>, state: { channel?: string }): boolean {
  switch (msg.op) {
    case 'list':
      client.send({ type: 'pending', requests: queue.list() });
      return true;
    case 'subscribe': {
      if (state.channel) return true;
      const name = channelName(msg.channel);
      state.channel = name;
      const unregister = queue.register({
        name,
        onRequest: (request) => client.send({ type: 'request', request }),
        onResolved: (resolution) => client.send({ type: 'resolved', resolution }),
      });
      client.onClose(unregister);
      client.send({ type: 'subscribed', channel: name });
      return true;
    }
    case 'answer': {
      const id = typeof msg.id === 'string' ? msg.id : '';
      const parsed = parseAnswer(msg);
      if (!parsed.ok) {
        client.send({ type: 'answered', id, ok: false, error: parsed.error });
        return true;
      }
      const result = queue.answer(id, parsed.answer, state.channel ?? channelName(msg.channel));
      client.send({ type: 'answered', id, ...result });
      return true;
    }
    default:
      return false;
  }
}
