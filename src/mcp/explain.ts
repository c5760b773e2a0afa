// The explain tool: what the policy would do with a command line, as
// `execgate policy explain` says it, for the agent to ask before it runs
// something. `command` is split into words as a POSIX shell splits one
// simple command, without expanding anything: quotes ('...', "..." with
// \" \\ \$ \` escapes) and backslashes are honoured; `$`, globs and `~` stay
// as written; pipes, lists, redirections and substitutions are refused
// (explain one command at a time, or pass `argv`).
import { isAbsolute, resolve } from 'node:path';
import { evaluate } from '../policy/evaluate.js';
import { toLatin1 } from '../policy/glob.js';
import { findOnPath, realpathOrNull } from '../policy/resolve.js';
import { shellJoin } from '../policy/shell-quote.js';
import type { Policy } from '../policy/types.js';

export class SplitError extends Error {
  override name = 'SplitError';
}

/** Words of one simple command, as a shell would split it (no expansion). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SplitError('unterminated single quote');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= line.length) throw new SplitError('unterminated double quote');
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== '\n') word += line[i + 1];
          i++;
        } else if (d === '`' || (d === '$' && line[i + 1] === '(')) throw new SplitError('command substitution is not explained: pass the command it runs on its own');
        else word += d;
      }
    } else if (c === '\\') {
      if (i + 1 < line.length && line[i + 1] !== '\n') {
        word += line[i + 1];
        inWord = true;
      }
      i++;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if ('|&;<>()`'.includes(c) || (c === '$' && line[i + 1] === '(')) {
      throw new SplitError(`"${c}" makes this more than one simple command: explain each command on its own (or pass argv)`);
    } else if (c === '#' && !inWord) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** What `execgate policy explain` prints, for argv. */
export function explainArgv(policy: Policy, argv: string[], note = ''): string {
  const [cmd, ...args] = argv as [string, ...string[]];
  const found = cmd.includes('/') ? resolve(cmd) : findOnPath(cmd);
  const real = found && isAbsolute(found) ? realpathOrNull(found) : null;
  const ev = evaluate(policy, { hostProgram: real ? found : null, args: args.map(toLatin1), explicit: false });
  const lines = [
    `command:  ${shellJoin(argv)}`,
    `program:  ${real ? (real === found ? real : `${found} -> ${real}`) : `(not found on the host: ${cmd})`}`,
    `policy:   ${policy.source}${note ? ` (${note})` : ''}`,
    `decision: ${ev.decision}${meaning[ev.decision]}`,
    `by:       ${ev.rule ? `rule "${ev.rule.id}" (line ${ev.rule.line})` : ev.reason}`,
  ];
  if (ev.rule?.reason) lines.push(`reason:   ${ev.rule.reason}`);
  lines.push(ev.matched.length ? 'matched:' : 'matched:  no rule');
  for (const r of ev.matched) lines.push(`  ${r.id} (line ${r.line}): ${r.decision}${r === ev.rule ? '  <- wins' : ''}`);
  if (ev.decision === 'prompt') {
    lines.push(`asks:     a human; ${policy.approvalTimeoutMs === null ? 'never times out' : `times out after ${policy.approvalTimeoutMs / 1000} s, then ${policy.timeoutDecision}`}`);
  }
  lines.push('(a program the sandbox names by another path, or that resolves elsewhere there, can be decided otherwise; `execgate run CMD` asks for the host explicitly)');
  return lines.join('\n');
}

const meaning: Record<string, string> = {
  run: ' (runs in the sandbox)',
  escalate: ' (runs on the host without asking)',
  prompt: ' (runs on the host if a human says yes)',
  deny: ' (refused)',
};
