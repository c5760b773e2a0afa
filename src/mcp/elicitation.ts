// The agent's own approval dialog as an approval channel: when the MCP
// client advertises elicitation, every prompt of this server's session is
// also sent as `elicitation/create`. It is one channel among the others
// (tmux popup, `execgate approve`, the web page): the first answer from any
// of them wins. When another channel wins, the dialog's request is
// cancelled (notifications/cancelled: MCP cannot withdraw it otherwise)
// and the tool result says who answered; an answer that comes from the
// dialog too late changes nothing and the result says that too. A dialog
// dismissed without a choice (`cancel`: what a client that cannot show one,
// such as Claude Code in print mode, answers at once) decides nothing: the
// request waits for the other channels, as if the dialog had not been shown.
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { parseAnswer } from '../approval/answer.js';
import type { Channel, Resolution } from '../approval/queue.js';
import { countdown, renderFull, renderSummary } from '../approval/render.js';
import type { HumanAnswer, PendingRequest } from '../approval/types.js';
import type { ApprovalPort } from './broker-link.js';
import type { CallRecord } from './call-record.js';

export const ELICITATION_CHANNEL = 'elicitation';
const BY_US = `human:${ELICITATION_CHANNEL}`;

/** What the dialog asks for: a decision, and a reason the agent sees. */
export const APPROVAL_SCHEMA = {
  type: 'object' as const,
  properties: {
    decision: {
      type: 'string' as const,
      title: 'Run it on the host?',
      oneOf: [
        { const: 'once', title: 'Yes, this once' },
        { const: 'session', title: 'Yes, for the rest of this session' },
        { const: 'always', title: 'Always (adds a rule to the policy file)' },
        { const: 'deny', title: 'No' },
      ],
    },
    reason: { type: 'string' as const, title: 'Reason (if you deny)', description: 'Shown to the agent' },
  },
  required: ['decision'],
};

/** The MCP side: sends one elicitation (the SDK's Server.elicitInput). */
export type Elicit = (params: { message: string; requestedSchema: typeof APPROVAL_SCHEMA }, options: { signal: AbortSignal; timeout: number }) => Promise<ElicitResult>;

/** The dialog's text: what the other channels show, and every field in
 * full when the summary had to fold something. */
export function approvalMessage(req: PendingRequest, now = Date.now()): string {
  const summary = renderSummary(req, now);
  return [
    'The agent asks to run a command on the host, outside its sandbox (execgate).',
    '',
    ...summary.lines,
    ...(summary.folded ? ['', 'In full:', ...renderFull(req, null).slice(1)] : []),
    '',
    `Answer once, for this session, always (writes a rule), or deny with a reason the agent sees. Unanswered, it ${countdown(req.deadline, now).replace('times out in', 'times out in')} and is then decided as the policy says.`,
  ].join('\n');
}

/** The human's answer, from what the dialog returned; null when it was
 * dismissed without one. */
export function answerFrom(result: ElicitResult): HumanAnswer | null {
  if (result.action === 'decline') return { approve: false, reason: 'declined in the approval dialog' };
  if (result.action !== 'accept') return null;
  const decision = result.content?.decision;
  if (decision === 'once' || decision === 'session' || decision === 'always') {
    const yes = parseAnswer({ approve: true, scope: decision });
    if (yes.ok) return yes.answer;
  }
  const reason = typeof result.content?.reason === 'string' ? result.content.reason : undefined;
  const no = parseAnswer({ approve: false, reason });
  return no.ok && !no.answer.approve && no.answer.reason ? no.answer : { approve: false, reason: 'denied in the approval dialog' };
}

interface Open {
  abort: AbortController;
}

/** No dialog waits longer than the request (or a day, for "never"). */
const NO_DEADLINE_MS = 24 * 60 * 60 * 1000;

export class ElicitationChannel implements Channel {
  readonly name = ELICITATION_CHANNEL;
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly elicit: Elicit,
    private readonly port: ApprovalPort,
    /** Only this session's prompts are shown (a broker serves many). */
    private readonly sessionId: () => string | null,
    private readonly record: CallRecord,
    private readonly log: (line: string) => void,
  ) {}

  onRequest(req: PendingRequest): void {
    if (req.sessionId !== this.sessionId() || this.open.has(req.id)) return;
    this.record.asked(req.id, req.argv, req.hostProgram, req.ruleId, req.reason);
    const abort = new AbortController();
    this.open.set(req.id, { abort });
    const timeout = req.deadline === null ? NO_DEADLINE_MS : Math.max(1000, req.deadline - Date.now() + 5000);
    this.elicit({ message: approvalMessage(req), requestedSchema: APPROVAL_SCHEMA }, { signal: abort.signal, timeout }).then(
      (result) => this.onAnswer(req, result),
      (err: Error) => {
        if (abort.signal.aborted) return;
        this.open.delete(req.id);
        this.record.note(req.id, `the approval dialog failed: ${err.message}`);
        this.log(`execgate mcp: the approval dialog for ${req.id} failed: ${err.message}`);
      },
    );
  }

  onResolved(res: Resolution): void {
    this.record.answered(res.id, res.outcome, res.by, res.reason);
    const open = this.open.get(res.id);
    if (!open) return;
    this.open.delete(res.id);
    if (res.by === BY_US) return;
    // Answered elsewhere (or timed out) first: withdraw the dialog.
    open.abort.abort(new Error(`answered by ${res.by}`));
    this.record.note(res.id, `the approval dialog was withdrawn: ${res.outcome === 'timed-out' ? 'the request timed out' : `${res.by} answered first`}`);
  }

  private async onAnswer(req: PendingRequest, result: ElicitResult): Promise<void> {
    const answer = answerFrom(result);
    if (answer === null) {
      if (this.open.delete(req.id)) this.record.note(req.id, 'the approval dialog was dismissed without an answer, so it waited for the other channels');
      return;
    }
    const said = answer.approve ? `approve ${answer.scope}` : `deny`;
    if (!this.open.has(req.id)) {
      this.record.note(req.id, `the answer in the approval dialog (${said}) came after the request was decided, and changed nothing`);
      return;
    }
    this.open.delete(req.id);
    const r = await this.port.answer(req.id, answer, ELICITATION_CHANNEL).catch((err: Error) => ({ ok: false as const, error: err.message }));
    if (!r.ok) this.record.note(req.id, `the answer in the approval dialog (${said}) lost: ${r.error}`);
    else if (r.ruleText) this.record.note(req.id, `the dialog's "always" wrote the rule: ${r.ruleText.trim().replace(/\n/g, ' ')}`);
  }
}
