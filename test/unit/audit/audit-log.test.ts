// The audit log file: every line, in order, private, whether the broker is
// busy (lines go out in batches) or idle (a lone line still reaches the
// file without waiting for the end).
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { waitFor } from '../../helpers/wait.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'eg-audit-')), 'audit.jsonl');
const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);

describe('AuditLog', () => {
  it('writes every line, in order, by the time it is closed, mode 0600', async () => {
    const path = file();
    const log = AuditLog.open(path);
    for (let i = 0; i < 5000; i++) log.write({ event: 'decision', n: i, argv: ['x'.repeat(i % 300)] });
    await log.close();
    const got = lines(path);
    expect(got.map((l) => l.n)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(got.every((l) => typeof l.time === 'string')).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('gets a lone line to the file while it stays open', async () => {
    const path = file();
    const log = AuditLog.open(path);
    log.write({ event: 'session-start', session: 'a' });
    await waitFor(() => lines(path).length === 1, { what: 'the line in the file' });
    log.write({ event: 'session-end', session: 'a' });
    await waitFor(() => lines(path).length === 2, { what: 'the second line' });
    await log.close();
    expect(lines(path).map((l) => l.event)).toEqual(['session-start', 'session-end']);
  });

  it('counts lines not written yet as backlog, and none once they are', async () => {
    const path = file();
    const log = AuditLog.open(path);
    log.write({ event: 'notify', what: 'x'.repeat(1000) });
    expect(log.backlogBytes).toBeGreaterThan(1000);
    await waitFor(() => lines(path).length === 1, { what: 'the line in the file' });
    await waitFor(() => log.backlogBytes === 0, { what: 'no backlog' });
    await log.close();
  });
});
