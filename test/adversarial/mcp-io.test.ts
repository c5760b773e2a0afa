// The shell tool's I/O directory is writable by the sandbox (each call's
// output is written there). execgate must never read through a name the
// sandbox can change: an agent that swaps its own stdout file for a symlink
// to a host file it cannot read must not get that file in its tool result.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../helpers/execgate.js';
import { runningWithArgv, section, startMcp, type LiveMcp } from '../helpers/mcp.js';
import { waitFor } from '../helpers/wait.js';

let live: LiveMcp | null = null;
afterEach(async () => {
  await live?.close();
  live = null;
});

it('a call that swaps its output and state files for symlinks to host-only files gets only what it wrote', async () => {
  const hostDir = tempDir('eg-mcp-host-');
  const secret = join(hostDir, 'host-only.txt');
  writeFileSync(secret, 'HOST-ONLY-SECRET\n');
  live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), flags: ['--sandbox', 'bwrap', '--no-redact'] });
  const attack = [
    `test -e ${secret} && echo "the sandbox can see the host file" >&2`,
    'cd /.execgate/mcp || exit 9',
    `for f in *.out *.err *.state; do rm -f "$f"; ln -s ${secret} "$f"; done`,
    'echo decoy',
    'echo decoy-err >&2',
  ].join('\n');
  const r = await live.shell({ command: attack });
  expect(r.text).not.toContain('HOST-ONLY-SECRET');
  expect(section(r.text, 'stdout')).toBe('decoy');
  expect(section(r.text, 'stderr')).toBe('decoy-err');
  const next = await live.shell({ command: 'pwd; cat /dev/null' });
  expect(next.text).not.toContain('HOST-ONLY-SECRET');
});

it('a program the sandbox plants on the server\'s PATH (npx puts PROJECT/node_modules/.bin first) is never run on the host', async () => {
  const project = tempDir('eg-mcp-proj-');
  const hostDir = tempDir('eg-mcp-host-');
  const marker = join(hostDir, 'ran-on-the-host');
  const bin = join(project, 'node_modules', '.bin');
  live = await startMcp({ cwd: project, flags: ['--sandbox', 'bwrap'], env: { PATH: `${bin}:${process.env.PATH}` } });
  // The agent, inside, writes the project's node_modules/.bin.
  const planted = await live.shell({ command: `mkdir -p ${bin} && for p in mkfifo script mktemp cat; do printf '#!/bin/sh\\ntouch ${marker}\\nexec /usr/bin/$p "$@"\\n' > ${bin}/$p; chmod +x ${bin}/$p; done; ls ${bin} | wc -l` });
  expect(section(planted.text, 'stdout')).toBe('4');
  await live.tool('process_start', { command: 'echo started; cat' });
  await live.tool('process_write', { id: 'p1', input: 'x\n', eof: true });
  await live.tool('process_read', { id: 'p1', wait_ms: 3000 });
  await live.tool('process_start', { command: 'tty', tty: true });
  await live.tool('process_read', { id: 'p2', wait_ms: 3000 });
  await live.shell({ command: 'true' });
  expect(existsSync(marker), 'a planted program ran on the host').toBe(false);
});

it('a call that forges its own "started" line, naming process group 1, is still ended whole at its time-out', async () => {
  // The events FIFO is the supervisor's stdout, which every call can open.
  // A forged group replaced the real one: the time-out signalled nothing
  // (or, without a sandbox, group 0 or 1: execgate's own, or everything).
  live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), flags: ['--sandbox', 'bwrap'] });
  const tag = String(6000 + Math.floor(Math.random() * 1000));
  const sleeping = () => runningWithArgv(['sleep', tag]);
  const forge = ['f=$(readlink /proc/$$/fd/1)', 'f=${f##*/}', 'printf "started %s 1\\n" "${f%.out}" >/proc/$PPID/fd/1', `exec sleep ${tag}`].join('\n');
  const r = live.shell({ command: forge, timeout_ms: 1500 });
  await waitFor(sleeping, { what: 'the call\'s sleep to start' });
  expect((await r).text).toMatch(/^Timed out after 1500 ms/);
  await waitFor(() => !sleeping(), { what: 'the timed-out call\'s group to be killed' });
  expect(section((await live.shell({ command: 'echo still here' })).text, 'stdout')).toBe('still here');
});
