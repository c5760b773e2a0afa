// The CLI runs from the esbuild bundle (scripts/build-cli.mjs), which the
// global setup brought up to date: one CommonJS file compiled with the code
// cache the build made for it (bin/bundle.js), no ES module loaded,
// the whole path of an escalation working from it; `--help` runs no command
// (it loads none of the Node modules the commands need). bin/execgate.js
// runs the modules in dist/ instead whenever the bundle is missing or older
// than they are, never stale code.
import { cpSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/paths.js';
import { cliPath, tempDir } from '../helpers/execgate.js';

/** Runs `node bin/execgate.js ARGS` and says what it loaded: the files
 * required (CommonJS) and Node's own modules, as the process saw them at
 * exit (process.moduleLoadList). */
function runTraced(args: string[]) {
  const dir = tempDir('eg-bundle-');
  const out = join(dir, 'loaded.json');
  writeFileSync(
    join(dir, 'trace.cjs'),
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList })));\n`,
  );
  const r = spawnSync(process.execPath, ['--require', join(dir, 'trace.cjs'), cliPath, ...args], { encoding: 'utf8' });
  const loaded = JSON.parse(readFileSync(out, 'utf8')) as { files: string[]; builtins: string[] };
  return { ...r, files: loaded.files.filter((f) => !f.startsWith(dir)), builtins: loaded.builtins };
}

/** Set when any ES module was loaded (Node's loader then makes module jobs). */
const ES_MODULES = 'NativeModule internal/modules/esm/module_job';

describe('the CLI bundle', () => {
  it('runs an escalation end to end from the one file, loading no ES module', () => {
    const r = runTraced(['shell', '--dangerously-approve-all', '-c', 'execgate run /bin/echo escalated; echo "status $?"']);
    expect(r.stdout).toBe('escalated\nstatus 0\n');
    // The bundle is read and compiled by bin/bundle.js, not required.
    expect(r.files.filter((f) => !f.endsWith('.node'))).toEqual([cliPath, join(packageRoot, 'bin', 'bundle.js')]);
    expect(r.builtins).not.toContain(ES_MODULES);
    // The spawn server is started by the addon too: loading
    // node:child_process (net and stream with it) was a third of the first
    // escalation. Nor does the exec's timing load perf_hooks (1.1 ms).
    for (const m of ['child_process', 'net', 'perf_hooks']) expect(r.builtins).not.toContain(`NativeModule ${m}`);
  });

  it('--help runs no command: nothing of a broker, a session or a client is loaded', () => {
    const r = runTraced(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage:\n {2}execgate shell /);
    expect(r.files.some((f) => f.endsWith('.node'))).toBe(false);
    for (const m of ['child_process', 'crypto', 'os']) expect(r.builtins).not.toContain(`NativeModule ${m}`);
  });
});

describe('a shell that escalates nothing', () => {
  it('loads neither node:crypto nor node:child_process (the addon starts the shell; session ids come from mkdtemp)', () => {
    const r = runTraced(['shell', '-c', 'echo ran']);
    expect(r.stdout).toBe('ran\n');
    expect(r.builtins).toContain('NativeModule fs');
    for (const m of ['crypto', 'child_process', 'net', 'fs/promises']) expect(r.builtins).not.toContain(`NativeModule ${m}`);
  });
});

describe('the MCP bundle', () => {
  it('serves `execgate mcp` from a bundle of its own; the other commands\' bundle has none of the MCP SDK', () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const r = spawnSync(process.execPath, [cliPath, 'mcp'], { input: `${JSON.stringify(init)}\n`, encoding: 'utf8', cwd: tempDir('eg-mcp-') });
    const reply = JSON.parse(r.stdout.split('\n').find((l) => l.includes('"id":1'))!) as { result?: { serverInfo?: unknown } };
    expect(reply.result?.serverInfo).toBeDefined();
    const bundles = join(packageRoot, 'dist', 'bundle');
    expect(readFileSync(join(bundles, 'execgate-mcp.cjs'), 'utf8')).toContain('@modelcontextprotocol/sdk');
    expect(readFileSync(join(bundles, 'execgate.cjs'), 'utf8')).not.toContain('@modelcontextprotocol/sdk');
  });
});

describe('the code cache', () => {
  const bundle = join(packageRoot, 'dist', 'bundle', 'execgate.cjs');
  // Each load in a process of its own: V8 keeps what it compiled for a
  // source, and a second compile of the same one never reads a cache.
  function load(mtimeOffset: number, cacheFile?: string): { cached: boolean; main: string } {
    const code = `const { statSync } = require('node:fs');
      const r = require(${JSON.stringify(join(packageRoot, 'bin', 'bundle.js'))}).loadBundle(${JSON.stringify(bundle)}, statSync(${JSON.stringify(bundle)}).mtimeMs + ${mtimeOffset}, ${cacheFile ? JSON.stringify({ cacheFile }) : '{}'});
      process.stdout.write(JSON.stringify({ cached: r.cached, main: typeof r.exports.main }));`;
    return JSON.parse(spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' }).stdout) as { cached: boolean; main: string };
  }

  it('is made by the build for the bundle as it is, and V8 takes it', () => {
    expect(load(0)).toEqual({ cached: true, main: 'function' });
  });

  it('is not used for a bundle changed since it was made, nor when it is garbage', () => {
    expect(load(1)).toEqual({ cached: false, main: 'function' });
    const junk = join(tempDir('eg-cache-'), 'junk.cache');
    const header = Buffer.alloc(8);
    header.writeDoubleLE(statSync(bundle).mtimeMs, 0);
    writeFileSync(junk, Buffer.concat([header, Buffer.alloc(4096, 7)]));
    expect(load(0, junk)).toEqual({ cached: false, main: 'function' });
  });
});

describe('bin/execgate.js', () => {
  // A package of its own: bin/ as it ships and two stand-in entry points
  // that say which one ran.
  function pkg(times: { bundle?: number; modules: number }) {
    const root = tempDir('eg-bin-');
    cpSync(join(packageRoot, 'bin'), join(root, 'bin'), { recursive: true });
    const entries: [string, string, number | undefined][] = [
      ['bundle/execgate.cjs', 'exports.main = async () => { process.stdout.write("bundle"); return 0; };\n', times.bundle],
      ['cli/main.js', 'export async function main() { process.stdout.write("modules"); return 0; }\n', times.modules],
    ];
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
    for (const [file, text, time] of entries) {
      if (time === undefined) continue;
      mkdirSync(join(root, 'dist', file, '..'), { recursive: true });
      writeFileSync(join(root, 'dist', file), text);
      utimesSync(join(root, 'dist', file), time, time);
    }
    return spawnSync(process.execPath, [join(root, 'bin', 'execgate.js')], { encoding: 'utf8' }).stdout;
  }

  it('runs the bundle when it is as new as the modules or newer', () => {
    expect(pkg({ bundle: 2000, modules: 1000 })).toBe('bundle');
    expect(pkg({ bundle: 1000, modules: 1000 })).toBe('bundle');
  });

  it('runs the modules when the bundle is older (tsc ran since) or missing', () => {
    expect(pkg({ bundle: 1000, modules: 2000 })).toBe('modules');
    expect(pkg({ modules: 2000 })).toBe('modules');
  });
});
