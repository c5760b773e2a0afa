#!/usr/bin/env node
// Entry point: the compiled CLI (npm install runs `tsc` and then
// scripts/build-cli.mjs through "prepare"). CommonJS (bin/package.json), as
// the bundle is: an ES module entry would load Node's ES module loader for
// nothing. It runs the bundle, dist/bundle/execgate.cjs or, for `execgate
// mcp`, execgate-mcp.cjs (with its code cache, bundle.js), when that was
// made from the modules in dist/ as they are now, else those modules
// directly: after a bare `tsc`, the bundle is older than what it was made
// from and would run stale code.
'use strict';
// Either front (bin/execgate) hands NODE_EXTRA_CA_CERTS on under this name,
// so that this Node does not parse a bundle of certificates it never uses:
// back under its own name before anything reads the environment, as the
// shell and every command it runs must see it.
if (process.env.EXECGATE_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.EXECGATE_NODE_EXTRA_CA_CERTS;
  delete process.env.EXECGATE_NODE_EXTRA_CA_CERTS;
}
const { statSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};
// `execgate mcp` has a bundle of its own (the MCP SDK is most of it).
const bundle = join(dist, 'bundle', process.argv[2] === 'mcp' ? 'execgate-mcp.cjs' : 'execgate.cjs');
const bundled = mtime(bundle);
const cli = bundled >= 0 && bundled >= mtime(join(dist, 'cli', 'main.js')) ? Promise.resolve(require('./bundle.js').loadBundle(bundle, bundled).exports) : import('../dist/cli/main.js');

cli
  .then(({ main }) => main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`execgate: internal error: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 70;
    },
  );
