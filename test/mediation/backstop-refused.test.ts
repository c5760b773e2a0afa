// When the kernel or an outer sandbox refuses seccomp (here: the whole of
// `execgate shell` runs under a filter that fails seccomp(2) with EPERM, as
// a container's profile may), the sandbox starts anyway, with shims only:
// the session says so once (stderr and audit), programs a rule names are
// still asked about whatever starts them, and the others run unasked.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/execgate.js';
import { decidedVia, HOST_ONLY, HOST_VALUE, ID_DENIED, inSandbox } from './helpers.js';

const NO_SECCOMP_C = `/* Runs a program with seccomp(2) refused (EPERM). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
    if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        perror("no-seccomp");
        return 125;
    }
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
`;

let noSeccomp = '';
beforeAll(() => {
  const dir = tempDir('eg-noseccomp-');
  writeFileSync(join(dir, 'no-seccomp.c'), NO_SECCOMP_C);
  noSeccomp = join(dir, 'no-seccomp');
  const cc = spawnSync('cc', ['-O2', '-o', noSeccomp, join(dir, 'no-seccomp.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
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
