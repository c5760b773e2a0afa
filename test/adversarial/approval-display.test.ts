// What a prompt shows of the host side: the canonical program path and the
// host working directory come from names the sandbox chose (a file or a
// directory it created in the project), so they are escaped like argv. A
// path holding terminal escapes or bidi controls must not act on the
// human's terminal, nor pass for another path.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startShell, tempDir } from '../helpers/execgate.js';

describe('host paths in prompts', () => {
  it('a program path and a working directory with escapes and bidi controls are shown escaped', async () => {
    const dir = tempDir('eg-paths-');
    const sub = join(dir, 'd\x1b[2J\u202e');
    mkdirSync(sub);
    const prog = join(sub, 'tool\x1b]0;pwned\x07\u200b');
    writeFileSync(prog, '#!/bin/sh\necho ran\n');
    chmodSync(prog, 0o755);
    // `execgate run PATH` asks for the host explicitly: a prompt by default.
    // Every byte as \xHH inside $'...', whatever the locale.
    const ansiC = (s: string) => `$'${[...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'`;
    const live = startShell(`cd ${ansiC(sub)} && execgate run ${ansiC(prog)}; echo "status $?"`, {
      policy: 'approval_timeout = "30s"\n',
    });
    const [p] = await live.waitPending(1);
    const esc = (s: string) => s.replace('\x1b[2J\u202e', '\\e[2J\\u{202e}').replace('\x1b]0;pwned\x07\u200b', '\\e]0;pwned\\x07\\u{200b}');
    expect(p!.hostProgram).toBe(esc(prog));
    expect((p as unknown as { hostCwd: string }).hostCwd).toBe(esc(sub));
    const listed = (await live.approve(['--list'])).stdout.toString();
    expect(listed).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u200b\u202e]/);
    expect(listed).toContain(`program  ${esc(prog)}`);
    await live.approve(['--answer', p!.id, 'deny']);
    expect((await live.done).stdout.toString()).toBe('status 126\n');
  });
});
