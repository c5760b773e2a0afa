// The interactive prompt on a terminal: one request at a time, one key to
// answer. Used by `execgate approve` in a second terminal, inside the tmux
// popup, and by `execgate serve` on its own terminal. It reads raw keys,
// redraws every second (the countdown), rings the bell when a request
// arrives, and tells when a request was answered elsewhere.
//
// What the human sees is what they approve: `v` shows the whole request,
// paged (full-view.ts), and a request whose summary folds anything (long
// arguments, too many for the screen) is approved for the session or always
// only once it was read to the end; until then `s` and `a` only say why.
// "Once" stays one key away: it approves one run of what the human chose to
// look at, and reading megabytes before every long commit message would
// teach people to hold the space bar, not to read.
import { MAX_DENY_REASON } from '../protocol/limits.js';
import { isFolded } from './fold.js';
import { FullView } from './full-view.js';
import type { Resolution } from './queue.js';
import { countdown, renderFull, renderSummary } from './render.js';
import type { HumanAnswer, PendingRequest } from './types.js';
import { wrapLine, wrapLines } from './wrap.js';

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

export const KEYS_HELP = '[y] once  [s] this session  [a] always  [n] deny  [v] view all  [tab] next request';
export const KEYS_HELP_FOLDED = '[y] once  [v] read it all (then [s] session, [a] always)  [n] deny  [tab] next request';
export const VIEW_KEYS = '[space] next page  [b] previous page  [j/k] row  [g/G] top/end  [q] back';
export const READ_FIRST = 'read the whole request first: press [v] and page to its end ("session" and "always" approve it again without asking; [y] approves this once)';

/** Continuation rows of a field start under its text. */
const INDENT = 11;

export function runTerminalUi(source: ApprovalSource, opts: TerminalUiOptions): Promise<void> {
  const { input, output } = opts;
  const requests: PendingRequest[] = [];
  let index = 0;
  let reason: string | null = null; // typing a deny reason
  let note = '';
  let busy = false;
  /** The full view on screen (`v`), by request id; kept to come back to. */
  const views = new Map<string, FullView>();
  let viewing: string | null = null;
  /** Requests read to the end in the full view. */
  const readInFull = new Set<string>();
  /** Requests whose summary hid something when last drawn. */
  const foldedOnScreen = new Set<string>();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));

  // One column is left free: a character in the last column is where some
  // terminals keep the cursor, and what an erase there would take with it.
  const size = () => ({ cols: Math.max(20, output.columns || 80) - 1, rows: Math.max(5, output.rows || 24) });

  const needsFullView = (req: PendingRequest) => (isFolded(req) || foldedOnScreen.has(req.id)) && !readInFull.has(req.id);

  /** Rows of plain text, wrapped for the screen (no field indent). */
  const plainRows = (text: string, cols: number) => text.split('\n').flatMap((l) => wrapLine(l, 0, cols, 0).map((r) => r.text));

  const summaryRows = (req: PendingRequest, cols: number, rows: number): string[] => {
    const summary = renderSummary(req);
    const head = plainRows(`execgate: approval needed (${index + 1} of ${requests.length})`, cols).concat('');
    const read = readInFull.has(req.id);
    const wrapped = summary.lines.map((l) => wrapLines([l], cols, INDENT).map((r) => r.text));
    // Said once, whatever folded it (the summary's rules, or the screen).
    let folded = false;
    const fold = () => {
      if (folded) return;
      folded = true;
      const line = read ? '  folded   part of this request is not shown here; you read all of it ([v] shows it again)' : '  folded   part of this request is not shown: [v] shows all of it';
      wrapped.push(wrapLine(line, 0, cols, INDENT).map((r) => r.text));
    };
    if (summary.folded) fold();
    const keysText = reason !== null ? `deny reason (Enter to send, Esc to go back): ${reason}` : null;
    const tail = () => ['', ...plainRows(keysText ?? (folded && !read ? KEYS_HELP_FOLDED : KEYS_HELP), cols), ...(note ? ['', ...plainRows(note, cols)] : [])];
    // A screen too small for the argv: cut it, and say it is folded.
    const count = () => head.length + wrapped.reduce((n, w) => n + w.length, 0) + tail().length;
    if (count() > rows) {
      fold();
      const argv = wrapped[summary.argvLine]!;
      const room = Math.max(1, argv.length - (count() - rows) - 1);
      if (room < argv.length) wrapped[summary.argvLine] = [...argv.slice(0, room), ' '.repeat(INDENT) + '…[more: [v] shows all of it]'];
    }
    if (folded) foldedOnScreen.add(req.id);
    else foldedOnScreen.delete(req.id);
    const body = [...head, ...wrapped.flat()];
    const end = tail();
    // Still too tall (a tiny terminal): the keys stay, the top goes first.
    return [...body.slice(0, Math.max(0, rows - end.length)), ...end].slice(0, rows);
  };

  const viewRows = (req: PendingRequest, cols: number, rows: number): string[] => {
    let view = views.get(req.id);
    // Made once per request (a request can be megabytes); the countdown is
    // in the header, which is redrawn every second.
    if (!view) views.set(req.id, (view = new FullView(renderFull(req, null), cols, rows - 2)));
    else view.resize(cols, rows - 2);
    if (view.readInFull) readInFull.add(req.id);
    const page = view.page();
    const head = `execgate: whole request #${req.id} (${countdown(req.deadline)}), rows ${page.first}-${page.last} of ${page.total}${view.readInFull ? ', read in full' : ''}`;
    const clip = (s: string) => plainRows(s, cols)[0] ?? '';
    return [clip(head), ...page.rows.map((r) => r.text), ...Array(Math.max(0, rows - 2 - page.rows.length)).fill('~'), clip(VIEW_KEYS)];
  };

  const draw = () => {
    const { cols, rows } = size();
    let lines: string[];
    const req = requests[index];
    if (req && viewing === req.id) lines = viewRows(req, cols, rows);
    else if (req) lines = summaryRows(req, cols, rows);
    else {
      lines = ['execgate: no pending requests', opts.watch ? 'waiting for requests... [q] quit' : ''];
      if (note) lines.push('', ...plainRows(note, cols));
      lines = lines.slice(0, rows);
    }
    // Every row cleared, then drawn in place; the terminal's own wrapping is
    // off (we wrapped), so nothing scrolls the top away.
    output.write(`\x1b[?7l\x1b[H${lines.map((l) => `\x1b[2K${l}`).join('\r\n')}\x1b[J`);
  };

  const finishIfIdle = () => {
    if (!opts.watch && requests.length === 0) stop();
  };

  const submit = async (answer: HumanAnswer) => {
    const req = requests[index];
    if (!req || busy) return;
    if (answer.approve && answer.scope !== 'once' && needsFullView(req)) {
      note = READ_FIRST;
      return draw();
    }
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

  const onViewKey = (view: FullView, key: string) => {
    switch (key) {
      case ' ':
      case 'f':
      case '\x1b[6~':
        view.nextPage();
        break;
      case 'b':
      case '\x1b[5~':
        view.previousPage();
        break;
      case 'j':
      case '\r':
      case '\x1b[B':
      case '\x1bOB':
        view.scroll(1);
        break;
      case 'k':
      case '\x1b[A':
      case '\x1bOA':
        view.scroll(-1);
        break;
      case 'g':
      case '\x1b[H':
      case '\x1b[1~':
        view.home();
        break;
      case 'G':
      case '\x1b[F':
      case '\x1b[4~':
        view.end();
        break;
      case 'q':
      case 'v':
      case '\x1b':
        viewing = null;
        note = '';
        break;
      case '\x03':
        return stop();
    }
    draw();
  };

  const onKey = (key: string) => {
    const req = requests[index];
    const view = req && viewing === req.id ? views.get(req.id) : undefined;
    if (view) return onViewKey(view, key);
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
      case 'v':
        if (req) viewing = req.id;
        return draw();
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
    views.delete(res.id);
    readInFull.delete(res.id);
    foldedOnScreen.delete(res.id);
    if (viewing === res.id) viewing = null;
    if (index >= requests.length) index = Math.max(0, requests.length - 1);
    const scope = res.scope ? ` (${res.scope})` : '';
    const rule = res.ruleText ? `\nwrote rule:${res.ruleText.replace(/\n/g, '\n  ')}` : '';
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
  output.on('resize', draw);
  if (input.isTTY) input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  output.write('\x1b[2J');
  draw();

  function stop() {
    clearInterval(tick);
    output.off('resize', draw);
    input.off('data', onData);
    if (input.isTTY) input.setRawMode(false);
    input.pause();
    output.write('\x1b[?7h\r\n');
    done();
  }
  return finished;
}
