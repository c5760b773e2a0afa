// `execgate approve`: answer a running broker's pending requests from another
// terminal, interactively (one key each; --watch stays for new ones), or from
// a script (--list, --answer ID once|session|always|deny). --list prints
// every argument in full, one per line: nothing is folded for a script or a
// person reading it, so an --answer from a script is an informed decision.
import { findBroker, type ControlConnection } from '../control/client.js';
import { parseAnswerWord } from '../approval/answer.js';
import type { Resolution } from '../approval/queue.js';
import { renderFull } from '../approval/render.js';
import { runTerminalUi, type ApprovalSource } from '../approval/terminal-ui.js';
import type { PendingRequest } from '../approval/types.js';
import { parseArgs, UsageError } from './args.js';
import { CliError } from './errors.js';

function sourceFor(conn: ControlConnection, channel: string): ApprovalSource {
  const requestCbs: ((r: PendingRequest) => void)[] = [];
  const resolvedCbs: ((r: Resolution) => void)[] = [];
  conn.on((m) => {
    if (m.type === 'request') requestCbs.forEach((cb) => cb(m.request as PendingRequest));
    if (m.type === 'resolved') resolvedCbs.forEach((cb) => cb(m.resolution as Resolution));
  });
  conn.send({ op: 'subscribe', channel });
  return {
    onRequest: (cb) => requestCbs.push(cb),
    onResolved: (cb) => resolvedCbs.push(cb),
    onClose: (cb) => conn.onClose(() => cb()),
    answer: async (id, answer) => {
      const { message } = await conn.request({ op: 'answer', id, ...answer }, 'answered');
      return message as { ok: boolean; error?: string; ruleText?: string };
    },
  };
}

export async function approveCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const spec = {
    '--socket': 'string',
    '--watch': 'boolean',
    '--list': 'boolean',
    '--json': 'boolean',
    '--answer': 'string',
    '--reason': 'string',
    '--channel': 'string',
  } as const;
  const { flags, rest } = parseArgs(argv, spec);
  // `--answer ID deny --reason TEXT`: options may follow the answer word.
  if (rest.length > 1) {
    const more = parseArgs(rest.slice(1), spec);
    if (more.rest.length > 0) throw new UsageError(`unexpected argument: ${more.rest[0]}`);
    Object.assign(flags, more.flags);
    rest.length = 1;
  }
  let conn: ControlConnection;
  try {
    conn = await findBroker(flags['--socket'] as string | undefined);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  try {
    if (flags['--answer'] !== undefined) {
      // A script's (or a person's) explicit word: "session" and "always" are
      // allowed here without a full view; --list shows everything in full.
      const parsed = parseAnswerWord(rest[0], flags['--reason'] as string | undefined);
      if (!parsed.ok) throw new UsageError(parsed.error);
      const { message } = await conn.request({ op: 'answer', id: flags['--answer'], channel: flags['--channel'] ?? 'terminal', ...parsed.answer }, 'answered');
      if (!message.ok) {
        out(`execgate: ${String(message.error)}\n`);
        return 1;
      }
      if (message.ruleText) out(`wrote rule:${String(message.ruleText)}`);
      return 0;
    }
    const { message } = await conn.request({ op: 'list' }, 'pending');
    const pending = message.requests as PendingRequest[];
    if (flags['--list']) {
      if (flags['--json']) out(`${JSON.stringify(pending)}\n`);
      else if (pending.length === 0) out('no pending requests\n');
      else for (const r of pending) out(`${r.id}\n${renderFull(r).join('\n')}\n\n`);
      return 0;
    }
    if (!process.stdin.isTTY) throw new UsageError('interactive approval needs a terminal; use --list and --answer from scripts');
    if (pending.length === 0 && !flags['--watch']) {
      out('no pending requests\n');
      return 0;
    }
    await runTerminalUi(sourceFor(conn, (flags['--channel'] as string | undefined) ?? 'terminal'), {
      input: process.stdin,
      output: process.stdout,
      watch: Boolean(flags['--watch']),
    });
    return 0;
  } finally {
    conn.close();
  }
}
