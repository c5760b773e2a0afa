#!/usr/bin/env node
// native/sources.json and native/flags.txt for build files that can run a
// command but not read JSON (binding.gyp), and for scripts/check-build-drift.mjs.
//
//   node native/sources.mjs TARGET sources|defines|headers   (TARGET: addon, wrapper, spawn, fdpass)
//   node native/sources.mjs flags                            (native/flags.txt)
//   node native/sources.mjs napi-include                     (node-addon-api's headers, absolute)
//
// Prints one item per line; paths are from the repository root. A target's
// sources are all it compiles: its own and those of the targets it uses.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const nativeDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = dirname(nativeDir);

/** sources.json without its "about". */
export function targets() {
  const json = JSON.parse(readFileSync(join(nativeDir, 'sources.json'), 'utf8'));
  delete json.about;
  return json;
}

/** One target of sources.json: { sources, uses?, defines? }. */
export function target(name, all = targets()) {
  if (!Object.hasOwn(all, name)) throw new Error(`unknown target ${name} (${Object.keys(all).join(', ')})`);
  return all[name];
}

/** What a target compiles: its own sources, then those of the targets it uses. */
export function compiledSources(name, all = targets()) {
  const t = target(name, all);
  return [...t.sources, ...(t.uses ?? []).flatMap((u) => compiledSources(u, all))];
}

/** native/flags.txt: the warning flags of every target in every build. */
export function flags() {
  return readFileSync(join(nativeDir, 'flags.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** The headers beside the sources a target compiles (their directories' *.h). */
export function headers(name) {
  const dirs = [...new Set(compiledSources(name).map((s) => posix.dirname(s)))];
  return dirs.flatMap((d) =>
    readdirSync(join(repoRoot, d))
      .filter((f) => f.endsWith('.h'))
      .sort()
      .map((f) => `${d}/${f}`),
  );
}

function list(args) {
  const [what, key] = args;
  if (what === 'flags') return flags();
  if (what === 'napi-include') {
    const require = createRequire(join(repoRoot, 'package.json'));
    return [dirname(require.resolve('node-addon-api/napi.h'))];
  }
  if (key === 'sources') return compiledSources(what);
  if (key === 'headers') return headers(what);
  if (key === 'defines') return target(what).defines ?? [];
  throw new Error(`unknown list ${key} (sources, defines, headers)`);
}

// Run as a command (also through a symlinked native/), not imported.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  try {
    process.stdout.write(list(process.argv.slice(2)).join('\n') + '\n');
  } catch (e) {
    process.stderr.write(`native/sources.mjs: ${e.message}\n`);
    process.exit(2);
  }
}
