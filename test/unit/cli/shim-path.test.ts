// `execgate shim-path`, as a user's shell runs it: the directory of the
// shell shim under the native build it is pointed at, or why not.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cliPath } from '../../../src/native/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'eg-shim-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A native directory with a stand-in launcher and the given shim links. */
function nativeDir(name: string, links: string[]): string {
  const native = join(dir, name);
  mkdirSync(join(native, 'shim'), { recursive: true });
  writeFileSync(join(native, 'execgate-launch'), '#!/bin/sh\n', { mode: 0o755 });
  for (const n of links) symlinkSync('../execgate-launch', join(native, 'shim', n));
  return native;
}

function shimPath(nativeDir: string, args: string[] = []) {
  const env = { ...process.env, EXECGATE_NATIVE_DIR: nativeDir };
  return spawnSync(process.execPath, [cliPath, 'shim-path', ...args], { env, encoding: 'utf8' });
}

it('prints the directory holding bash and sh, nothing else', () => {
  const native = nativeDir('built', ['bash', 'sh']);
  const r = shimPath(native);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(`${join(native, 'shim')}\n`);
  expect(r.status).toBe(0);
});

it('says what is missing and how to build it, exit 4 (not built yet)', () => {
  const native = nativeDir('unbuilt', ['bash']);
  const r = shimPath(native);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`execgate: the shell shim is not built yet; missing ${join(native, 'shim', 'sh')}: run \`npm run build:native\`\n`);
  expect(r.status).toBe(4);
  // a link to a launcher that is not there is no shim either
  const dangling = nativeDir('dangling', ['bash', 'sh']);
  rmSync(join(dangling, 'execgate-launch'));
  expect(shimPath(dangling).status).toBe(4);
});

it('takes no arguments: a usage error, exit 2', () => {
  const r = shimPath(nativeDir('args', ['bash', 'sh']), ['bash']);
  expect(r.stderr).toMatch(/^execgate: execgate shim-path takes no arguments, not bash\nusage:\n(.|\n)*  execgate shim-path\n/);
  expect(r.status).toBe(2);
});
