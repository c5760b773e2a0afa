// When the kernel or an outer sandbox refuses seccomp (here: the whole of
// `execgate shell` runs under a filter that fails seccomp(2) with EPERM, as
// a container's profile may), the sandbox starts anyway, with shims only:
// the session says so once (stderr and audit), programs a rule names are
// still asked about whatever starts them, and the others run unasked.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNoSeccomp } from '../helpers/no-seccomp.js';
import { decidedVia, HOST_ONLY, HOST_VALUE, ID_DENIED, inSandbox } from './helpers.js';

let noSeccomp = '';
beforeAll(() => {
  noSeccomp = buildNoSeccomp();
});

describe('seccomp refused', () => {
  it('says so once, and runs with shims only', async () => {
    const r = await inSandbox(
      `python3 -c 'import subprocess; subprocess.run(["printenv", "${HOST_ONLY}"]); subprocess.run(["id"]); subprocess.run(["/usr/bin/true"])'; echo done`,
      { prefix: [noSeccomp] },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe(`${HOST_VALUE}\ndone\n`);
    const said = r.stderr.split('\n').filter((l) => l.includes('seccomp'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^execgate: session \w+ \(shell\): no seccomp backstop in this sandbox \(.*Operation not permitted\): programs started other than from the shell are asked about only where a rule names them \(their shims\); the others run unasked$/);
    expect(r.audit.filter((a) => a.event === 'backstop').map((a) => a.state)).toEqual(['off']);
    // the shims still ask
    expect(decidedVia(r, 'shim', '/usr/bin/printenv').map((d) => d.decision)).toEqual(['escalate']);
    expect(r.stderr).toMatch(ID_DENIED);
    // nothing else is asked about: no backstop
    expect(r.decisions.filter((d) => d.via === 'seccomp')).toEqual([]);
  });

  it('is not what happens without the outer filter: the backstop is on', async () => {
    const r = await inSandbox(`python3 -c 'import subprocess; subprocess.run(["/usr/bin/true"])'`);
    expect(r.audit.filter((a) => a.event === 'backstop').map((a) => a.state)).toEqual(['on']);
    expect(r.stderr).not.toContain('seccomp');
    expect(decidedVia(r, 'seccomp', '/usr/bin/true')).toHaveLength(1);
  });
});
