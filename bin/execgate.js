#!/usr/bin/env node
// Entry point: the compiled CLI (npm install runs `tsc` through "prepare").
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`execgate: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 70;
  },
);
