#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) and every module it
// reaches, dependencies included, into dist/bundle/ with esbuild: one file
// for what every command needs, and one chunk per command and per part loaded
// on demand (the web page, the doctor, ...). Resolving and loading some 230
// separate ES modules was most of every start-up (docs/benchmark.md).
// bin/execgate.js runs the bundle when it is at least as new as the modules,
// and the modules themselves otherwise (tsc ran again since, or esbuild is
// not installed: an install without the devDependencies). dist/ stays the
// library's exports.
//
// The bundle lives two levels under the package root, as the modules do, so
// that src/native/paths.ts finds the package root from import.meta.url the
// same way. Modules loaded with createRequire (the addon, re2js) are not
// bundled: they are loaded from where they are installed, when needed.
//
// --if-stale: do nothing when the bundle is already as new as dist/ (the
// tests' global setup; a rebuild under running tests is then never needed).
// The new bundle is made beside the old one and swapped in by rename, so a
// CLI starting meanwhile runs one or the other, whole.
import { renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
const outdir = join(root, 'dist', 'bundle');

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};
if (mtime(entry) < 0) {
  console.error(`build-cli: ${entry} is missing: run \`tsc -p tsconfig.build.json\` first`);
  process.exit(1);
}
if (process.argv.includes('--if-stale') && mtime(join(outdir, 'main.js')) >= mtime(entry)) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // Not an error: the CLI runs from dist/ without the bundle, only slower.
  console.error('build-cli: esbuild is not installed; the CLI will run from dist/ unbundled');
  process.exit(0);
}

const fresh = `${outdir}.new-${process.pid}`;
const old = `${outdir}.old-${process.pid}`;
rmSync(fresh, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { main: entry },
  outdir: fresh,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  chunkNames: '[name]-[hash]',
  // CommonJS dependencies (cross-spawn, under execa) call require() for
  // Node's own modules: an ES module has none, so each chunk makes one.
  banner: { js: "import { createRequire as __execgateCreateRequire } from 'node:module'; const require = __execgateCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
if (mtime(outdir) >= 0) renameSync(outdir, old);
renameSync(fresh, outdir);
rmSync(old, { recursive: true, force: true });
