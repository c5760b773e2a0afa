// A pending request as lines of terminal text. Everything from the request
// is already escaped (displayBytes) when it gets here; this arranges it: a
// summary (long arguments folded, see fold.ts), or every field in full (the
// full view behind `v`, and `execgate approve --list`), and counts down.
// Arguments are quoted with the one shell quoter the policy uses.
import { shellQuote } from '../policy/shell-quote.js';
import { foldArg, isFolded, MAX_SHOWN_ARGS } from './fold.js';
import type { PendingRequest } from './types.js';

export function countdown(deadline: number | null, now = Date.now()): string {
  if (deadline === null) return 'no time-out';
  const s = Math.max(0, Math.ceil((deadline - now) / 1000));
  return `times out in ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** `  label    text`: labels in a column of their own. */
function field(label: string, text: string): string {
  return `  ${label.padEnd(Math.max(9, label.length + 1))}${text}`;
}

/** `now` null: no countdown (a text made once and shown for a while). */
function title(req: PendingRequest, now: number | null): string {
  return `${req.explicit ? 'explicit host request' : 'host command'} from "${req.label}"${now === null ? '' : `   (${countdown(req.deadline, now)})`}`;
}

const cwdText = (req: PendingRequest) => `${req.cwd}${req.hostCwd !== req.cwd ? `   (host: ${req.hostCwd})` : ''}`;
const ruleText = (req: PendingRequest) => (req.ruleId ? `${req.ruleId}: ${req.reason}` : req.reason);
const NO_ENV = '(none from the sandbox)';

export interface Summary {
  lines: string[];
  /** Some argument or value is folded, or some arguments are left out. */
  folded: boolean;
  /** Index in `lines` of the argv line (a screen too small may cut it). */
  argvLine: number;
}

export function renderSummary(req: PendingRequest, now = Date.now()): Summary {
  const shown = req.argv.slice(0, MAX_SHOWN_ARGS).map((a) => shellQuote(foldArg(a)));
  if (req.argv.length > MAX_SHOWN_ARGS) shown.push(`…[${req.argv.length - MAX_SHOWN_ARGS} more arguments]`);
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${shellQuote(foldArg(v))}`);
  const folded = isFolded(req);
  const lines = [
    title(req, now),
    field('program', req.hostProgram),
    field('argv', shown.join(' ')),
    field('cwd', cwdText(req)),
    field('env', env.length ? env.join(' ') : NO_ENV),
    field('rule', ruleText(req)),
    ...(req.projectCode ? [field('note', `runs code from the project: ${req.projectCode}`)] : []),
  ];
  return { lines, folded, argvLine: 2 };
}

/** Every field in full: one argument, one variable per line, nothing folded. */
export function renderFull(req: PendingRequest, now: number | null = Date.now()): string[] {
  const env = Object.entries(req.env);
  return [
    title(req, now),
    field('program', req.hostProgram),
    field('cwd', cwdText(req)),
    ...req.argv.map((a, i) => field(`argv[${i}]`, shellQuote(a))),
    ...(env.length ? env.map(([k, v]) => field('env', `${k}=${shellQuote(v)}`)) : [field('env', NO_ENV)]),
    field('rule', ruleText(req)),
    ...(req.projectCode ? [field('note', `runs code from the project: ${req.projectCode}`)] : []),
  ];
}
