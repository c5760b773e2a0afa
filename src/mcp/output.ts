// A tool call's result as the model reads it: the status line, stdout and
// stderr (each its head and tail, the cut marked with its size, secrets
// redacted and counted), and what the broker did during the call. Pure: the
// tests feed it results and read the text.
import { redactText } from '../audit/redact.js';
import { shellJoin } from '../policy/shell-quote.js';
import { MCP_EVENTS_LISTED } from '../protocol/limits.js';
import type { HostRequest } from './call-record.js';
import { describeEnd, type CallResult, type Captured } from './shell-host.js';

export interface Shaped {
  text: string;
  /** Bytes of both streams left out. */
  cut: number;
  redactions: number;
}

/** Bytes `b` as text: a multibyte character cut by the head or tail is
 * dropped rather than shown as U+FFFD. */
function utf8(b: Buffer, cutAtEnd: boolean, cutAtStart: boolean): string {
  let start = 0;
  let end = b.length;
  if (cutAtStart) while (start < end && start < 3 && (b[start]! & 0xc0) === 0x80) start++;
  if (cutAtEnd) {
    // Back over continuation bytes to a lead byte; drop it if its
    // sequence is incomplete.
    let i = end - 1;
    while (i >= start && end - i <= 3 && (b[i]! & 0xc0) === 0x80) i--;
    if (i >= start) {
      const lead = b[i]!;
      const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      if (end - i < need) end = i;
    }
  }
  return b.subarray(start, end).toString('utf8');
}

/** One stream: head, marker, tail; redacted unless told not to. */
export function shapeStream(c: Captured, redact: boolean): Shaped {
  const cut = c.total - c.head.length - c.tail.length;
  const parts = cut > 0 || c.tail.length > 0 ? [utf8(c.head, true, false), utf8(c.tail, false, true)] : [utf8(c.head, false, false)];
  let redactions = 0;
  const shown = parts.map((p) => {
    if (!redact) return p;
    const r = redactText(p);
    redactions += r.count;
    return r.text;
  });
  const text = shown.length === 2 ? `${shown[0]}${shown[0]!.endsWith('\n') ? '' : '\n'}[... execgate cut ${cut} bytes here: ${c.total} bytes in all, the first ${c.head.length} and the last ${c.tail.length} are shown ...]\n${shown[1]}` : shown[0]!;
  return { text, cut: Math.max(0, cut), redactions };
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function command(argv: string[]): string {
  const s = shellJoin(argv);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function rule(r: HostRequest): string {
  return r.ruleId ? `rule "${r.ruleId}"` : r.decidedBy === 'default' ? 'the default decision' : r.decidedBy;
}

/** One line per request the broker decided during the call. */
export function describeRequests(requests: HostRequest[]): string[] {
  const lines: string[] = [];
  for (const r of requests.slice(0, MCP_EVENTS_LISTED)) {
    const cmd = command(r.argv);
    const notes = r.notes.length ? ` (${r.notes.join('; ')})` : '';
    if (r.decision === 'deny') {
      lines.push(`denied: ${cmd}: ${rule(r)} says: ${r.reason}. Retrying the same command will be denied again; do something else or ask the user.${notes}`);
      continue;
    }
    const how = r.decision === 'prompt' ? `asked a human (${rule(r)})` : `ran on the host (${rule(r)})`;
    const o = r.outcome;
    if (!o && r.approvedBy) lines.push(`${how}: ${cmd}: approved by ${r.approvedBy}${notes}`);
    else if (!o) lines.push(`${how}: ${cmd}: ${r.decision === 'prompt' ? 'no answer before the call ended' : 'still running when the call ended'}${notes}`);
    else if (o.kind === 'denied') lines.push(`${how}: ${cmd}: refused by ${o.by}: ${o.reason}${notes}`);
    else lines.push(`${how}: ${cmd}: ${r.decision === 'prompt' ? `approved by ${o.by}, ` : ''}${o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`}${notes}`);
  }
  if (requests.length > MCP_EVENTS_LISTED) lines.push(`... and ${requests.length - MCP_EVENTS_LISTED} more host requests (see the audit log)`);
  return lines;
}

export interface ResultText {
  text: string;
  isError: boolean;
  redactions: number;
  cut: number;
}

/** The whole result text of one shell call. */
export function shapeResult(r: CallResult, requests: HostRequest[], opts: { redact: boolean }): ResultText {
  const out = shapeStream(r.stdout, opts.redact);
  const err = shapeStream(r.stderr, opts.redact);
  const lines: string[] = [];
  const status = describeEnd(r.end);
  lines.push(`${status[0]!.toUpperCase()}${status.slice(1)} · ${seconds(r.durationMs)} · working directory ${r.cwd}`);
  if (r.restarted) lines.push('(the sandboxed shell had ended, so it was started again: background jobs and its /tmp are gone)');
  if (r.state === 'too-big') lines.push('(the exported variables were too big to carry to the next call: it starts from the state before this one)');
  if (r.end.kind === 'timed-out') lines.push(`(the command was killed: it timed out after ${r.end.afterMs} ms; its process group and the host commands it started were ended)`);
  lines.push(out.text ? `--- stdout${out.cut ? ` (${r.stdout.total} bytes, cut)` : ''}\n${out.text.replace(/\n$/, '')}` : '--- stdout: (empty)');
  if (err.text) lines.push(`--- stderr${err.cut ? ` (${r.stderr.total} bytes, cut)` : ''}\n${err.text.replace(/\n$/, '')}`);
  const decided = describeRequests(requests);
  if (decided.length) lines.push(`--- execgate\n${decided.join('\n')}`);
  const redactions = out.redactions + err.redactions;
  if (redactions) lines.push(`(execgate redacted ${redactions} secret-looking value${redactions === 1 ? '' : 's'} from this output)`);
  // A command that ran and exited, whatever its status, is a result, not a
  // tool error (the status heads the text); execgate ending it is one.
  const isError = r.end.kind === 'timed-out' || r.end.kind === 'cancelled' || r.end.kind === 'output-limit' || r.end.kind === 'shell-ended';
  return { text: lines.join('\n'), isError, redactions, cut: out.cut + err.cut };
}
