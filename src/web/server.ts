// The web approval channel (issue 6): being built; see the README.
import type { ApprovalQueue } from '../approval/queue.js';
import type { Broker } from '../session/broker.js';

export interface WebOptions {
  /** TCP port on 127.0.0.1; 0 or undefined = any free port. */
  port?: number;
  /** Where the URL with its token is written (mode 0600). */
  urlFile: string;
}

export interface WebChannel {
  url: string;
  urlFile: string;
  close(): Promise<void>;
}

export async function startWeb(_queue: ApprovalQueue, _broker: Broker, _opts: WebOptions): Promise<WebChannel> {
  throw new Error('the web approval page is not available in this build yet');
}
