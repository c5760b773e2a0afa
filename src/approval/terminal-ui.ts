// The interactive prompt on a terminal: one request at a time, one key to
// answer. Used by `execgate approve` in a second terminal and inside the tmux
// popup. It reads raw keys, redraws every second (the countdown), rings the
// bell when a request arrives, and tells when a request was answered elsewhere.
import type { Resolution } from './queue.js';
import { MAX_DENY_REASON } from '../protocol/limits.js';
import { KEYS_HELP, renderRequest } from './render.js';
import type { HumanAnswer, PendingRequest } from './types.js';

export interface ApprovalSource {
  onRequest(cb: (req: PendingRequest) => void): void;
  onResolved(cb: (res: Resolution) => void): void;
  onClose(cb: () => void): void;
  answer(id: string, answer: HumanAnswer): Promise<{ ok: boolean; error?: string; ruleText?: string }>;
}

export interface TerminalUiOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** Stay open when nothing is pending (otherwise exit once the queue empties). */
  watch: boolean;
}

export function runTerminalUi(source: ApprovalSource, opts: TerminalUiOptions): Promise<void> {
  const { input, output } = opts;
  const requests: PendingRequest[] = [];
  let index = 0;
  let reason: string | null = null; // typing a deny reason
  let note = '';
  let busy = false;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));

  const draw = () => {
    const lines = ['\x1b[H\x1b[2J'];
    if (requests.length === 0) {
      lines.push('execgate: no pending requests', opts.watch ? 'waiting for requests... [q] quit' : '');
    } else {
      const req = requests[index]!;
      lines.push(`execgate: approval needed (${index + 1} of ${requests.length})`, '', ...renderRequest(req), '');
      lines.push(reason !== null ? `deny reason (Enter to send, Esc to go back): ${reason}` : KEYS_HELP);
    }
    if (note) lines.push('', note);
    output.write(lines.join('\r\n'));
  };

  const finishIfIdle = () => {
    if (!opts.watch && requests.length === 0) stop();
  };

  const submit = async (answer: HumanAnswer) => {
    const req = requests[index];
    if (!req || busy) return;
    busy = true;
    const result = await source.answer(req.id, answer);
    busy = false;
    // Success is shown when the resolution arrives, as for any channel.
    if (!result.ok) {
      note = `could not answer: ${result.error}`;
      draw();
    }
  };

  // One read can hold several keys (typed fast, pasted, or sent by tmux):
  // split it into keys, keeping escape sequences (arrows...) whole.
  const onData = (data: Buffer) => {
    for (const key of data.toString('utf8').match(/\x1b\[[0-9;]*[A-Za-z~]|\x1bO.|[^]/gu) ?? []) onKey(key);
  };

  const onKey = (key: string) => {
    if (reason !== null) {
      if (key === '\r' || key === '\n') {
        const text = reason;
        reason = null;
        void submit({ approve: false, reason: text || undefined });
      } else if (key === '\x1b') reason = null;
      else if (key === '\x7f' || key === '\b') reason = reason.slice(0, -1);
      else if (/^[^\x00-\x1f\x7f]$/u.test(key) && Array.from(reason).length < MAX_DENY_REASON) reason += key;
      return draw();
    }
    switch (key) {
      case 'y': return void submit({ approve: true, scope: 'once' });
      case 's': return void submit({ approve: true, scope: 'session' });
      case 'a': return void submit({ approve: true, scope: 'always' });
      case 'n':
        if (requests.length) reason = '';
        return draw();
      case '\t':
      case 'j':
        if (requests.length) index = (index + 1) % requests.length;
        return draw();
      case 'k':
        if (requests.length) index = (index - 1 + requests.length) % requests.length;
        return draw();
      case 'q':
      case '\x03':
        return stop();
    }
  };

  source.onRequest((req) => {
    requests.push(req);
    output.write('\x07');
    draw();
  });
  source.onResolved((res) => {
    const i = requests.findIndex((r) => r.id === res.id);
    if (i < 0) return;
    const [req] = requests.splice(i, 1);
    if (index >= requests.length) index = Math.max(0, requests.length - 1);
    const scope = res.scope ? ` (${res.scope})` : '';
    const rule = res.ruleText ? `\r\nwrote rule:${res.ruleText.replace(/\n/g, '\r\n  ')}` : '';
    note = `${res.outcome}${scope} by ${res.by}: ${req!.argv.join(' ').slice(0, 80)}${rule}`;
    draw();
    finishIfIdle();
  });
  source.onClose(() => {
    note = 'the broker went away';
    draw();
    stop();
  });

  const tick = setInterval(draw, 1000);
  if (input.isTTY) input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  draw();

  function stop() {
    clearInterval(tick);
    input.off('data', onData);
    if (input.isTTY) input.setRawMode(false);
    input.pause();
    output.write('\r\n');
    done();
  }
  return finished;
}
