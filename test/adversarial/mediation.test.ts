// The agent against mediation beyond the shell (README, "Mediation beyond
// the shell"): the real program behind a shim, argv[0] games with a shim,
// padding argv past what the backstop reads, and a seccomp listener (or a
// refusal) forged on the session socket. None of these reaches the host;
// each must also keep the policy's Run and Deny, or fail closed.
import { describe, expect, it } from 'vitest';
import { decidedVia, HOST_ONLY, HOST_VALUE, ID_DENIED, inSandbox } from '../mediation/helpers.js';

const exe = (content: string) => ({ content, mode: 0o755 });

describe('mediation, attacked from inside the sandbox', () => {
  it('the real program behind a shim, exec\'d by its own path, is still the program: its deny rule applies, from the shell and without it', async () => {
    const r = await inSandbox(`/.execgate/real/usr/bin/id; echo "shell=$?"
python3 -c 'import os; os.execv("/.execgate/real/usr/bin/id", ["id"])'; echo "python=$?"
/.execgate/real/usr/bin/printenv ${HOST_ONLY}`);
    expect(r.stdout.toString()).toBe(`shell=126\npython=1\n${HOST_VALUE}\n`);
    expect(r.stderr).toContain('execgate: denied: /.execgate/real/usr/bin/id: id is not for this sandbox\n');
    expect(r.stderr).toContain('PermissionError: [Errno 13] Permission denied');
    expect(decidedVia(r, 'seccomp', '/usr/bin/id').map((d) => [d.decision, d.decided_by])).toEqual([['deny', 'rule:no-id']]);
  });

  it('a run table the agent writes (bash now reads it and skips the wrapper) cannot move a named program past its shim', async () => {
    // LOCAL_RUN, no names: "everything runs here, unasked", in a directory
    // the agent owns, named by the variable bash reads.
    const r = await inSandbox(`mkdir -p /tmp/forged && printf 'EGT1\\x07\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00' > /tmp/forged/table
EXECGATE_SESSION=/tmp/forged
printenv ${HOST_ONLY}; id; echo "id=$?"`);
    // printenv still escalated and id was still refused, each by its shim:
    // bash took the forged table (the shell's wrapper never asked), the
    // program it exec'd was the shim, and the shim asks the broker.
    expect(r.stdout.toString()).toBe(`${HOST_VALUE}\nid=126\n`);
    expect(r.stderr).toMatch(ID_DENIED);
    expect(decidedVia(r, 'shim', '/usr/bin/printenv').map((d) => d.decision)).toEqual(['escalate']);
    expect(decidedVia(r, 'shim', '/usr/bin/id').map((d) => d.decision)).toEqual(['deny']);
    expect(r.decisions.filter((d) => d.via === undefined && /\/(printenv|id)$/.test(String(d.program)))).toEqual([]);
  });

  it("argv[0] cannot borrow another program's rule: id's shim called \"printenv\" is still id", async () => {
    const r = await inSandbox(`python3 -c 'import os; os.execv("/usr/bin/id", ["printenv", "${HOST_ONLY}"])'; echo "st=$?"`);
    expect(r.stdout.toString()).toBe('st=126\n');
    expect(r.stderr).toContain('execgate: denied: printenv: id is not for this sandbox\n');
    expect(decidedVia(r, 'shim', '/usr/bin/id').map((d) => [d.decision, d.host_program])).toEqual([['deny', null]]);
    expect(r.audit.filter((a) => a.event === 'completion')).toEqual([]);
  });

  it('padding argv past what the backstop reads does not hide what a deny rule looks for', async () => {
    const r = await inSandbox(
      `python3 -c 'import os
try:
    os.execv("./tool", ["tool"] + ["pad"] * 5000 + ["--danger"])
except PermissionError as e:
    print("refused", e.errno)'; python3 -c 'import os; os.execv("./tool", ["tool", "--safe"])'`,
      {
        files: { tool: exe('#!/bin/sh\necho "tool ran with $# args"\n') },
        extraPolicy: '[[rule]]\nid = "no-danger"\nprogram = "{project}/tool"\nargs = ["**", "--danger"]\ndecision = "deny"\n',
      },
    );
    expect(r.stdout.toString()).toBe('refused 13\ntool ran with 1 args\n');
    const [refused] = decidedVia(r, 'seccomp', `${r.project}/tool`);
    expect(String(refused!.reason)).toContain('could not be read whole');
  });

  it('a seccomp listener, or a refusal, sent on the session socket by anything but the init is refused and audited; the backstop stays', async () => {
    // The agent's own listener: the init run again (its filter gets no
    // listener under ours, so it sends a refusal), and a pipe sent as one.
    const r = await inSandbox(`/.execgate/execgate-wrapper --execgate-init /bin/sh -c 'echo second init ran'
python3 -c 'import array, os, socket
s = socket.socket(fileno=87)
r, w = os.pipe()
s.sendmsg([b"EXN1"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))])
s.sendmsg([b"EXN1the kernel said no"])
s.detach()'
python3 -c 'import subprocess; subprocess.run(["printenv", "${HOST_ONLY}"]); subprocess.run(["/usr/bin/true"])'`);
    expect(r.stdout.toString()).toBe(`second init ran\n${HOST_VALUE}\n`);
    const refused = r.audit.filter((a) => a.event === 'protocol-error').map((a) => a.what);
    expect(refused).toEqual(Array(3).fill("seccomp listener from something other than the sandbox's init"));
    expect(r.audit.filter((a) => a.event === 'backstop').map((a) => a.state)).toEqual(['on']);
    expect(r.stderr).not.toContain('no seccomp backstop');
    expect(decidedVia(r, 'seccomp', '/usr/bin/true')).toHaveLength(1);
  });
});
