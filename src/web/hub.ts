// What the web page knows: the requests waiting now (as the approval queue's
// "web" channel), and the recent decisions with how they ended (from the
// broker's completion events). Every browser and API client is fed from here.
import type { ApprovalQueue, Resolution } from '../approval/queue.js';
import { foldArg, isFolded } from '../approval/fold.js';
import type { HumanAnswer, PendingRequest } from '../approval/types.js';
import type { Broker, CompletionEvent } from '../session/broker.js';

/** A pending request as the page gets it: what the queue shows every
 * channel, plus what a time-out would decide. */
export interface WebRequest extends PendingRequest {
  onTimeout: 'deny' | 'escalate';
  /** A summary folds part of it (fold.ts): the page enables "session" and
   * "always" only once every folded part was unfolded. */
  folded: boolean;
  /** Epoch ms at which the request started waiting. */
  since: number;
}

/** One line of "recent decisions". argv is redacted (secret-looking values)
 * and folded: this is history, not what a human decides on. */
export interface RecentEntry extends Omit<CompletionEvent, 'outcome'> {
  scope?: string;
  /** running: approved and not finished yet. */
  state: 'running' | 'exited' | 'denied';
}

export type HubEvent =
  | { type: 'request'; request: WebRequest }
  | { type: 'resolved'; resolution: Resolution }
  | { type: 'recent'; entry: RecentEntry };

export const RECENT_MAX = 50;
const RECENT_ARGS = 40;
const RECENT_ARG_CHARS = 300;

export function foldRecentArgv(argv: string[]): string[] {
  const shown = argv.slice(0, RECENT_ARGS).map((a) => foldArg(a, RECENT_ARG_CHARS));
  if (argv.length > RECENT_ARGS) shown.push(`…[${argv.length - RECENT_ARGS} more arguments]`);
  return shown;
}

export type BrokerEvents = Pick<Broker, 'onCompletion' | 'policy'>;

export class WebHub {
  private readonly waiting = new Map<string, WebRequest>();
  private readonly history = new Map<string, RecentEntry>();
  private readonly listeners = new Set<(e: HubEvent) => void>();
  private readonly detach: (() => void)[] = [];

  constructor(
    private readonly queue: ApprovalQueue,
    private readonly broker: BrokerEvents,
    private readonly channelName = 'web',
  ) {
    this.detach.push(
      queue.register({
        name: channelName,
        onRequest: (req) => this.onRequest(req),
        onResolved: (res) => this.onResolved(res),
      }),
    );
    const off = broker.onCompletion((e) => this.onCompletion(e));
    this.detach.push(() => void off());
  }

  pending(): WebRequest[] {
    return [...this.waiting.values()];
  }

  /** Newest first. */
  recent(): RecentEntry[] {
    return [...this.history.values()].sort((a, b) => b.time - a.time);
  }

  subscribe(listener: (e: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  answer(id: string, answer: HumanAnswer): ReturnType<ApprovalQueue['answer']> {
    return this.queue.answer(id, answer, this.channelName);
  }

  close(): void {
    for (const d of this.detach.splice(0)) d();
    this.listeners.clear();
  }

  private emit(e: HubEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        process.emitWarning(`execgate: web listener failed: ${(err as Error).message}`);
      }
    }
  }

  private onRequest(req: PendingRequest): void {
    const request: WebRequest = { ...req, onTimeout: this.broker.policy.timeoutDecision, folded: isFolded(req), since: Date.now() };
    this.waiting.set(req.id, request);
    this.emit({ type: 'request', request });
  }

  private onResolved(res: Resolution): void {
    const req = this.waiting.get(res.id);
    this.waiting.delete(res.id);
    this.emit({ type: 'resolved', resolution: res });
    // Approved: it runs now; its completion will say how it ended. Denials
    // arrive as completions of their own.
    if (req && res.scope !== undefined) {
      this.remember({
        id: req.id,
        sessionId: req.sessionId,
        label: req.label,
        hostProgram: req.hostProgram,
        argv: foldRecentArgv(req.argv),
        decidedBy: res.by,
        scope: res.scope,
        state: 'running',
        exitCode: null,
        signal: null,
        time: Date.now(),
      });
    }
  }

  private onCompletion(e: CompletionEvent): void {
    // Request ids are unique per broker (session id + counter).
    const same = this.history.get(e.id);
    this.remember({
      id: e.id,
      sessionId: e.sessionId,
      label: e.label,
      hostProgram: e.hostProgram,
      argv: foldRecentArgv(e.argv),
      decidedBy: e.decidedBy,
      ...(same?.scope ? { scope: same.scope } : {}),
      state: e.outcome,
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
      exitCode: e.exitCode,
      signal: e.signal,
      ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
      time: same?.time ?? e.time - (e.durationMs ?? 0),
    });
  }

  private remember(entry: RecentEntry): void {
    this.history.delete(entry.id);
    this.history.set(entry.id, entry);
    while (this.history.size > RECENT_MAX) {
      const oldest = this.recent().at(-1)!;
      this.history.delete(oldest.id);
    }
    this.emit({ type: 'recent', entry });
  }
}
