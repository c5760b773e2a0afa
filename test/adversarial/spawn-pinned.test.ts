// Red-team finding 2: between the decision (what the human is shown) and the
// spawn (after the human said yes, maybe minutes later) the sandbox swaps the
// working directory for a symlink, or replaces the program file. What runs
// must be what was decided: the directory as it was when pinned, and the
// program file with the identity it had, or nothing.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rule, startShell, tempDir } from '../helpers/execgate.js';

const prompt = (program: string) => `approval_timeout = "30s"\n${rule('ask', program, 'prompt')}`;

describe('finding 2: swapped between decision and spawn', () => {
  it('a working directory replaced by a symlink: the command runs in the original directory, never the link\'s target', async () => {
    const root = tempDir('eg-adv-');
    mkdirSync(join(root, 'work'));
    mkdirSync(join(root, 'elsewhere'));
    const live = startShell(`cd ${root}/work && sh -c 'pwd -P > ${root}/where; touch ran-here'; echo "status $?"`, { policy: prompt('sh') });
    const [pending] = await live.waitPending(1);
    renameSync(join(root, 'work'), join(root, 'original'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'work'));
    expect((await live.approve(['--answer', pending!.id, 'once'])).code).toBe(0);
    const r = await live.done;
    expect(existsSync(join(root, 'elsewhere', 'ran-here'))).toBe(false);
    if (r.stdout.toString() === 'status 126\n') return; // refused: also right
    expect(r.stdout.toString()).toBe('status 0\n');
    expect(readFileSync(join(root, 'where'), 'utf8')).toBe(`${join(root, 'original')}\n`);
    expect(existsSync(join(root, 'original', 'ran-here'))).toBe(true);
  });

  it('a program file replaced: refused with 126, the replacement never runs', async () => {
    const root = tempDir('eg-adv-');
    const tool = join(root, 'tool');
    writeFileSync(tool, '#!/bin/sh\necho approved-one\n');
    chmodSync(tool, 0o755);
    const live = startShell(`${tool}; echo "status $?"`, { policy: prompt(tool) });
    const [pending] = await live.waitPending(1);
    writeFileSync(join(root, 'swap'), '#!/bin/sh\necho swapped-in\n');
    chmodSync(join(root, 'swap'), 0o755);
    renameSync(join(root, 'swap'), tool);
    expect((await live.approve(['--answer', pending!.id, 'once'])).code).toBe(0);
    const r = await live.done;
    expect(r.stdout.toString()).toBe('status 126\n');
    expect(r.stderr).toContain(`execgate: ${tool} changed since it was approved`);
  });
});
