// The backstop's JavaScript side with a scripted native listener: what it
// does with the runs the listener's thread let through by itself when the
// session ends before the loop took them (the thread's kick and the shell's
// end can come in the same turn).
import { openSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../../src/audit/audit-log.js';
import type { SeccompRecord } from '../../../src/native/addon.js';
import { Fd } from '../../../src/native/fd.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { PathMap } from '../../../src/sandbox/path-map.js';

const queued: SeccompRecord[] = [];
let dropped = 0;
class FakeListener {
  ended = false;
  failure = null;
  closed = false;
  setTable = () => true;
  take = () => null;
  takeRecord = () => queued.shift() ?? null;
  takeDropped = () => {
    const n = dropped;
    dropped = 0;
    return n;
  };
  readContext = () => null;
  respond = () => false;
  close() {
    this.closed = true;
  }
}
vi.mock('../../../src/native/addon.js', async (actual) => {
  const real = (await actual()) as typeof import('../../../src/native/addon.js');
  return { ...real, loadAddon: () => ({ ...real.loadAddon(), SeccompListener: FakeListener }) };
});
const { SeccompBackstop } = await import('../../../src/session/seccomp.js');

const run = (pid: number): SeccompRecord => ({
  id: BigInt(pid),
  pid,
  syscall: 'execve',
  path: Buffer.from('/usr/bin/true'),
  pathError: null,
  base: null,
  emptyPath: false,
  argvAddress: 0n,
  argv: [Buffer.from('/usr/bin/true'), Buffer.from(String(pid))],
  argvComplete: true,
  cwd: Buffer.from('/'),
});

function backstop() {
  const records: AuditRecord[] = [];
  const counts = { dropped: 0 };
  let n = 0;
  const b = new SeccompBackstop(
    new Fd(openSync('/dev/null', 'r')),
    {
      who: { id: 's1', label: 't' },
      policy: () => parsePolicy('', 'p.toml'),
      confinement: () => ({ pathMap: PathMap.identity(), writableRoots: [], project: null, readOnly: [] }),
      shims: () => new Set(),
      nextRequestId: () => `r${++n}`,
      auditing: () => true,
      record: (rec) => void records.push(rec),
      dropped: (c) => void (counts.dropped += c),
      problem: (what) => void records.push({ event: 'protocol-error', what } as unknown as AuditRecord),
    },
    Buffer.alloc(0),
  );
  return { b, records, counts };
}

describe('SeccompBackstop.close', () => {
  it('audits the runs the thread queued and the loop had not taken yet, and the drops, before it closes', () => {
    const { b, records, counts } = backstop();
    queued.push(run(101), run(102));
    dropped = 3;
    b.close();
    expect(records.map((r) => [r.event, (r as { argv?: string[] }).argv])).toEqual([
      ['decision', ['/usr/bin/true', '101']],
      ['decision', ['/usr/bin/true', '102']],
    ]);
    expect(counts.dropped).toBe(3);
    // closed: nothing more is taken
    queued.push(run(103));
    b.close();
    expect(records).toHaveLength(2);
    queued.length = 0;
  });
});
