// {"op":"stats"} on a running broker's control socket: how many replies of
// each kind it sent and how long each took, measured by the broker; runs the
// wrapper decided alone come as fast-path records, not replies.
import { describe, expect, it } from 'vitest';
import { ControlConnection } from '../../src/control/client.js';
import type { BrokerStats } from '../../src/session/stats.js';
import { execgateShell, rule } from '../helpers/execgate.js';
import { serve } from '../helpers/serve.js';

describe('broker stats', () => {
  it('counts each reply, with its latency, and each fast-path record', async () => {
    const policy = [rule('ls-asks-broker', 'ls', 'run'), rule('cat-no', 'cat', 'deny'), rule('sh-host', 'sh', 'escalate')].join('\n');
    const s = await serve(policy);
    try {
      const r = await execgateShell(`for i in 1 2 3; do ls / >/dev/null; /bin/true; done; cat /dev/null; sh -c 'exit 0'; echo done`, { flags: ['--broker', s.socket] });
      expect(r.stdout.toString()).toBe('done\n');
      const conn = await ControlConnection.open(s.socket);
      const { message } = await conn.request({ op: 'stats' }, 'stats');
      conn.close();
      const stats = message as unknown as BrokerStats;
      expect(stats.replies.run.count).toBe(3);
      expect(stats.replies.deny.count).toBe(1);
      expect(stats.replies.escalate.count).toBe(1);
      expect(stats.records).toBe(3);
      const run = stats.replies.run;
      expect(run.minUs).toBeGreaterThan(0);
      expect(run.minUs).toBeLessThanOrEqual(run.p50Us);
      expect(run.p50Us).toBeLessThanOrEqual(run.p99Us);
      expect(run.p99Us).toBeLessThanOrEqual(run.maxUs);
      expect(run.histogram.reduce((n, [, , c]) => n + c, 0)).toBe(3);
    } finally {
      await s.stop();
    }
  });
});
