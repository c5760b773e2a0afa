#!/usr/bin/env node
// npm's `execgate` (package.json "bin") is bin/execgate, a sh script that
// hands `execgate shell --broker ...` to the native launcher and everything
// else to the Node CLI. Agent harnesses may attach once per tool call, and
// that sh costs about 0.7 ms of each (a dash start, one more exec:
// docs/benchmark.md), a third of an attach. So `npm install` (the "install"
// script, right after the native build) puts a copy of the launcher in its
// place: under the name `execgate` the launcher makes the same choice
// itself (native/launch/main.c), as esbuild's install swaps its own binary
// in for its JavaScript front.
//
// Not in a git checkout: there bin/execgate is a tracked file and the tree
// stays as committed, so a checkout keeps the sh front (same behaviour, the
// 0.7 ms more). Nothing happens without a built launcher either.
//
// The copy is made beside bin/execgate and renamed over it, so that an
// `execgate` starting meanwhile runs one or the other, whole.
//
// --root DIR: the package to do it in (the tests); default: this script's.
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const at = process.argv.indexOf('--root');
const root = at > 0 ? resolve(process.argv[at + 1]) : join(dirname(fileURLToPath(import.meta.url)), '..');
const launcher = join(process.env.EXECGATE_NATIVE_DIR ?? join(process.env.EXECGATE_BUILD_DIR ?? join(root, 'build'), 'native'), 'execgate-launch');
const front = join(root, 'bin', 'execgate');

if (existsSync(join(root, '.git'))) process.exit(0);
if (!existsSync(launcher)) {
  console.error(`install-front: no launcher at ${launcher}: bin/execgate stays the sh front`);
  process.exit(0);
}
const tmp = `${front}.tmp-${process.pid}`;
try {
  copyFileSync(launcher, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, front);
} catch (err) {
  rmSync(tmp, { force: true });
  // Not fatal: the sh front does the same, only slower.
  console.error(`install-front: bin/execgate stays the sh front: ${err.message}`);
}
