#!/usr/bin/env node
// Builds a static native program (the wrapper, the launcher, the spawn
// server) for binding.gyp the way native/CMakeLists.txt does: static with
// musl-gcc when it is installed (Debian: musl-tools), else static glibc,
// else dynamic (with a warning: every start would cost more). gyp has no
// per-target compiler, hence this action.
//
//   node native/build-static.mjs TARGET OUTPUT     (TARGET: wrapper, launch, spawn)
//
// Sources and defines: native/sources.json (TARGET); warnings: native/flags.txt.
// $CC is the fallback compiler when there is no musl-gcc.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compiledSources, flags, repoRoot, target } from './sources.mjs';

const [name, out] = process.argv.slice(2);
if (!name || !out) {
  process.stderr.write('usage: node native/build-static.mjs TARGET OUTPUT\n');
  process.exit(2);
}
const program = `execgate-${name}`;

function run(cmd, args, quiet = false) {
  return spawnSync(cmd, args, { stdio: quiet ? 'ignore' : 'inherit' });
}

function onPath(cmd) {
  return run('sh', ['-c', 'command -v "$1"', 'sh', cmd], true).status === 0;
}

function linksStatic(cc) {
  const dir = mkdtempSync(join(tmpdir(), 'eg-static-'));
  try {
    writeFileSync(join(dir, 'c.c'), 'int main(void) { return 0; }\n');
    return run(cc, [join(dir, 'c.c'), '-static', '-o', join(dir, 'c')], true).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let cc;
let link;
if (onPath('musl-gcc')) {
  [cc, link] = ['musl-gcc', ['-static']];
  console.log(`${program}: static, musl`);
} else {
  cc = process.env.CC || 'cc';
  if (linksStatic(cc)) {
    link = ['-static'];
    console.log(`${program}: static, glibc (install musl-tools for a smaller, faster build)`);
  } else {
    link = [];
    console.warn(`${program}: dynamic (no musl-gcc, no static glibc): every start will cost more`);
  }
}

const output = resolve(out);
mkdirSync(dirname(output), { recursive: true });
const args = [
  '-std=c11',
  '-O2',
  ...(target(name).defines ?? []).map((d) => `-D${d}`),
  ...flags(),
  `-I${join(repoRoot, 'native', 'common')}`,
  ...compiledSources(name).map((s) => join(repoRoot, s)),
  ...link,
  '-o',
  output,
];
const r = run(cc, args);
if (r.error) {
  process.stderr.write(`${program}: ${cc}: ${r.error.message}\n`);
  process.exit(1);
}
process.exit(r.status ?? 1);
