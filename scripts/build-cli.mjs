#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) and every module it
// reaches, dependencies included, into one CommonJS file with esbuild:
// dist/bundle/execgate.cjs. Resolving and loading some 230 separate ES
// modules was most of every start-up (docs/benchmark.md); CommonJS, because
// Node's ES module loader is itself a cost a CommonJS entry never pays (the
// loader's own modules, asynchronous reads: measured ~15 ms of
// `execgate shell -c true` against an ES module bundle split per command).
// Commands stay lazy inside the one file: esbuild turns each import() into
// code that runs when called, so `--help` runs none of them.
// bin/execgate.js runs the bundle when it is at least as new as the modules,
// and the modules themselves otherwise (tsc ran again since, or esbuild is
// not installed: an install without the devDependencies). dist/ stays the
// library's exports.
//
// The bundle lives two levels under the package root, as the modules do, so
// that src/native/paths.ts finds the package root from import.meta.url (here
// the bundle's own file URL) the same way. Modules loaded with createRequire
// (the addon, re2js) are not bundled: they are loaded from where they are
// installed, when needed.
//
// Two bundles, each complete: execgate-mcp.cjs for `execgate mcp`, and
// execgate.cjs for every other command, without the MCP server (the MCP SDK
// and zod are three quarters of the code: 1.5 of 2 MB, and loading them
// cost every other command 12 ms even unrun). bin/execgate.js picks one by
// the command; in execgate.cjs, `mcp` is a stub that says so.
//
// Then a V8 code cache for each bundle (bin/bundle.js loads it): a child
// process loads the fresh bundle, runs `--help` and `shell -c true` (when
// the native build and the patched bash are there) with its output thrown
// away, and writes what V8 compiled meanwhile to execgate.cjs.cache. Made
// here only, never at run time.
//
// --if-stale: do nothing when the bundle is already as new as dist/ (the
// tests' global setup; a rebuild under running tests is then never needed).
// The new bundle is made beside the old one and swapped in by rename, so a
// CLI starting meanwhile runs one or the other, whole.
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// The child that makes a code cache: --train BUNDLE COMMAND... (each
// command run once, its output thrown away by the parent).
if (process.argv[2] === '--train') {
  const { loadBundle, cacheOf } = createRequire(import.meta.url)('../bin/bundle.js');
  const [file, ...commands] = process.argv.slice(3);
  const mtimeMs = statSync(file).mtimeMs;
  const { exports, script } = loadBundle(file, mtimeMs, { produce: true });
  for (const command of commands) await exports.main(command.split(' '));
  writeFileSync(`${file}.cache`, cacheOf(script, mtimeMs));
  process.exit(0);
}
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
if (process.argv.includes('--if-stale') && mtime(join(outdir, 'execgate.cjs')) >= mtime(entry)) process.exit(0);

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
const common = {
  entryPoints: [entry],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  // The modules find the package root and load the addon from their own URL.
  define: { 'import.meta.url': '__execgateBundleUrl' },
  banner: { js: "const __execgateBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
};
/** dist/cli/mcp.js, as execgate.cjs has it: never run (bin/execgate.js
 * sends `mcp` to execgate-mcp.cjs). */
const withoutMcp = {
  name: 'without-mcp',
  setup(build) {
    build.onResolve({ filter: /^\.\/mcp\.js$/ }, (args) => (args.importer === entry ? { path: 'mcp-stub', namespace: 'execgate' } : undefined));
    build.onLoad({ filter: /^mcp-stub$/, namespace: 'execgate' }, () => ({
      contents: "export async function mcpCommand() { throw new Error('execgate mcp runs from dist/bundle/execgate-mcp.cjs, which bin/execgate.js picks for it'); }",
      loader: 'js',
    }));
  },
};
await esbuild.build({ ...common, outfile: join(fresh, 'execgate.cjs'), plugins: [withoutMcp] });
await esbuild.build({ ...common, outfile: join(fresh, 'execgate-mcp.cjs') });

// Without a cache the CLI only starts slower: a failure here is said, not fatal.
for (const [file, commands] of [
  ['execgate.cjs', ['--help', 'shell -c true']],
  ['execgate-mcp.cjs', ['--help']],
]) {
  const trained = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train', join(fresh, file), ...commands], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (trained.status !== 0) console.error(`build-cli: no code cache for ${file}: ${trained.stderr.trim().split('\n').pop()}`);
}
if (mtime(outdir) >= 0) renameSync(outdir, old);
renameSync(fresh, outdir);
rmSync(old, { recursive: true, force: true });
