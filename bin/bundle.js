// Loads the CLI bundle (dist/bundle/execgate.cjs) as Node would require()
// it, but compiled with the V8 code cache scripts/build-cli.mjs made for it
// at build time (execgate.cjs.cache): compiling the bundle's code was some
// 8 ms of every start. The cache is only ever made by the build, beside the
// bundle, never at run time. It starts with the bundle's mtime as it was
// made: a bundle changed since (or any other mismatch, which V8 checks too:
// its version, its flags, the source's length) means no cache, not a wrong one.
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

/** The bundle's exports. `mtimeMs`: the bundle's, as the caller stat()ed it. */
function loadBundle(file, mtimeMs, { cacheFile = `${file}.cache`, produce = false } = {}) {
  let cachedData;
  if (!produce) {
    try {
      const cache = readFileSync(cacheFile);
      if (cache.length > 8 && cache.readDoubleLE(0) === mtimeMs) cachedData = cache.subarray(8);
    } catch {
      // No cache: compiled as usual.
    }
  }
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  // cached: compiled from the cache (found, of this bundle, and taken by V8).
  return { exports: module.exports, script, cached: cachedData !== undefined && script.cachedDataRejected === false };
}

/** The code cache of a loaded bundle (what has been compiled so far), with
 * its header: what build-cli.mjs writes. */
function cacheOf(script, mtimeMs) {
  const header = Buffer.alloc(8);
  header.writeDoubleLE(mtimeMs, 0);
  return Buffer.concat([header, script.createCachedData()]);
}

module.exports = { loadBundle, cacheOf };
