// A pending request as lines of terminal text. Everything from the request
// is already escaped (displayBytes) when it gets here; this only arranges it,
// folds long arguments, and counts down.
import type { PendingRequest } from './types.js';

const MAX_ARG = 160;

export function foldArg(arg: string, max = MAX_ARG): string {
  if (arg.length <= max) return arg;
  const keep = Math.floor((max - 20) / 2);
  return `${arg.slice(0, keep)}…[${arg.length - 2 * keep} more chars]…${arg.slice(-keep)}`;
}

/** Shell-like quoting for display (args are already free of control chars). */
function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function countdown(deadline: number | null, now = Date.now()): string {
  if (deadline === null) return 'no time-out';
  const s = Math.max(0, Math.ceil((deadline - now) / 1000));
  return `times out in ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function renderRequest(req: PendingRequest, now = Date.now()): string[] {
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${quote(foldArg(v, 60))}`);
  const lines = [
    `${req.explicit ? 'explicit host request' : 'host command'} from "${req.label}"   (${countdown(req.deadline, now)})`,
    `  program  ${req.hostProgram}`,
    `  argv     ${req.argv.map((a) => quote(foldArg(a))).join(' ')}`,
    `  cwd      ${req.cwd}${req.hostCwd !== req.cwd ? `   (host: ${req.hostCwd})` : ''}`,
    `  env      ${env.length ? env.join(' ') : '(none from the sandbox)'}`,
    `  rule     ${req.ruleId ? `${req.ruleId}: ${req.reason}` : req.reason}`,
  ];
  return lines;
}

export const KEYS_HELP = '[y] once  [s] this session  [a] always  [n] deny   [tab] next request';
