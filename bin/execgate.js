#!/usr/bin/env node
// Entry point: the compiled CLI (npm install runs `tsc` and then
// scripts/build-cli.mjs through "prepare"). It runs from the esbuild bundle
// in dist/bundle/ when that was made from the modules in dist/ as they are
// now (resolving and loading some 230 separate modules was most of every
// start-up), else from those modules directly: after a bare `tsc`, the bundle
// is older than what it was made from and would run stale code.
import { statSync } from 'node:fs';

const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundled = mtime('../dist/bundle/main.js');
const { main } = await (bundled >= 0 && bundled >= mtime('../dist/cli/main.js') ? import('../dist/bundle/main.js') : import('../dist/cli/main.js'));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`execgate: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 70;
  },
);
