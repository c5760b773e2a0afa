// Red-team finding 14: a forged wrapper escalates a program with a NUL byte
// in its argv. The broker used to start execgate-spawn before encoding the
// spec, so the refusal left a helper waiting forever on its pipe, and the
// broker, waiting for that helper, never exited. Now the command is checked
// whole before anything starts: a plain denial, no helper, no fd kept, and
// the broker exits with the shell.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/paths.js';
import { execgateShell, rule, tempDir } from '../helpers/execgate.js';

// A forged wrapper (test/fixtures/egwire.py's wire): a Request for
// /bin/sh with a NUL inside an argument, then a Stdio with three fds, then
// it prints the broker's final reply.
const forged = String.raw`
import os, socket, struct, sys
sys.path.insert(0, ${JSON.stringify(join(packageRoot, 'test', 'fixtures'))})
from egwire import connect, field, frame, request
session = socket.socket(fileno=os.dup(int(os.environ["EXECGATE_SOCKET"])))
def read_frame(c):
    head = b""
    while len(head) < 4:
        got = c.recv(4 - len(head))
        if not got:
            return None
        head += got
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        body += c.recv(n - len(body))
    return body
mine = connect(session)
mine.sendall(frame(request(b"/bin/sh", [b"sh", b"-c", b"echo pwned\x00tail"])))
send_stdio = read_frame(mine)
socket.send_fds(mine, [frame(field(2, b""))], [0, 1, 2])
print("reply:", read_frame(mine), flush=True)
`;

describe('finding 14: a NUL byte in an escalated argv', () => {
  it('is denied before anything starts: no execgate-spawn, no fd kept, and the broker exits with the shell', async () => {
    const client = join(tempDir('eg-adv-'), 'forged.py');
    writeFileSync(client, forged);
    // $PPID is the broker: its fds and its children, before and after.
    const script = `before=$(ls /proc/$PPID/fd | wc -l)
      python3 ${client}
      after=$(ls /proc/$PPID/fd | wc -l)
      for p in $(cat /proc/$PPID/task/*/children); do echo "broker child: $(cat /proc/$p/comm)"; done
      echo "broker fds before=$before after=$after"`;
    const r = await execgateShell(script, { policy: rule('sh-host', 'sh', 'escalate'), timeoutMs: 20_000 });
    const out = r.stdout.toString();
    expect(out).toMatch(/^reply: .*argv\[2\] contains a NUL byte/m);
    expect(out).not.toContain('pwned');
    expect(out).not.toContain('broker child: execgate-spawn');
    const [, before, after] = /broker fds before=(\d+) after=(\d+)/.exec(out)!;
    // The stdio fds are closed before the Deny is sent; the connection
    // right after it, so a count taken at once may still see that one.
    expect(Number(after)).toBeLessThanOrEqual(Number(before) + 1);
    // The broker exited (within the time-out) with the shell's status.
    expect(r.code).toBe(0);
    // Audited as what it was: approved by the rule, refused before it started.
    expect(r.audit.filter((a) => a.event === 'completion')).toEqual([expect.objectContaining({ outcome: 'denied', decided_by: 'rule:sh-host', reason: 'could not start on the host: argv[2] contains a NUL byte' })]);
  });
});
