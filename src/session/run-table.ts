// What the run table says for a policy (execgate.proto, "Run table"): the
// file names any rule may match, and whether a program none of them names
// may run without asking. It mirrors makePlan's own fast path exactly:
// default run, and no rule naming the program's file name. Escalate always
// asks the broker, so the table decides nothing about the host.
import { basename } from 'node:path';
import { encodeRunTable } from '../protocol/run-table.js';
import type { Policy } from '../policy/types.js';

export function runTableFor(policy: Policy, generation: number, record: boolean): Buffer {
  const names = [...new Set(policy.rules.map((r) => basename(r.program)))];
  return encodeRunTable({ generation, localRun: policy.default === 'run', record, names });
}
