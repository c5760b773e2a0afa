// The CLI runs from the esbuild bundle (scripts/build-cli.mjs), which the
// global setup brought up to date: the whole path of an escalation works
// from it (its CommonJS dependencies need the require() the bundle makes),
// and bin/execgate.js runs the modules in dist/ instead whenever the bundle
// is missing or older than they are, never stale code.
import { cpSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/paths.js';
import { cliPath, tempDir } from '../helpers/execgate.js';

/** Runs `node bin/execgate.js ARGS` with a loader hook that prints the URL
 * of every module it loads (on fd 3, apart from the CLI's own output). */
function runTracingModules(args: string[]) {
  const dir = tempDir('eg-bundle-');
  writeFileSync(join(dir, 'hooks.mjs'), `import { writeSync } from 'node:fs';\nexport async function load(url, ctx, next) { writeSync(3, url + '\\n'); return next(url, ctx); }\n`);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\n`);
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), cliPath, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const modules = (r.output[3] ?? '').split('\n').filter((u) => u.startsWith('file:'));
  return { ...r, modules };
}

describe('the CLI bundle', () => {
  it('runs an escalation end to end from the bundle, loading no module from dist/ or node_modules/', () => {
    const r = runTracingModules(['shell', '--dangerously-approve-all', '-c', 'execgate run /bin/echo escalated; echo "status $?"']);
    expect(r.stdout).toBe('escalated\nstatus 0\n');
    expect(r.modules).toContain(`file://${join(packageRoot, 'dist', 'bundle', 'main.js')}`);
    expect(r.modules.filter((u) => !u.startsWith(`file://${join(packageRoot, 'dist', 'bundle')}/`) && !u.endsWith('/bin/execgate.js'))).toEqual([]);
  });

  it('--help loads no command: the dispatcher and the error classes, a few KiB', () => {
    const r = runTracingModules(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage:\n {2}execgate shell /);
    const files = r.modules.map((u) => fileURLToPath(u));
    expect(files.map((f) => basename(f)).filter((f) => /^(shell|serve|doctor|approve|policy-check|policy-explain|server)-/.test(f))).toEqual([]);
    // The shell's chunks alone are some 400 KiB.
    expect(files.reduce((n, f) => n + statSync(f).size, 0)).toBeLessThan(16 * 1024);
  });
});

describe('bin/execgate.js', () => {
  // A package of its own: bin/execgate.js and two stand-in entry points
  // that say which one ran.
  function pkg(times: { bundle?: number; modules: number }) {
    const root = tempDir('eg-bin-');
    mkdirSync(join(root, 'bin'));
    cpSync(cliPath, join(root, 'bin', 'execgate.js'));
    const entries: [string, number | undefined][] = [['bundle', times.bundle], ['cli', times.modules]];
    for (const [dir, time] of entries) {
      if (time === undefined) continue;
      const file = join(root, 'dist', dir, 'main.js');
      mkdirSync(join(root, 'dist', dir), { recursive: true });
      writeFileSync(file, `export async function main() { process.stdout.write(${JSON.stringify(dir)}); return 0; }\n`);
      utimesSync(file, time, time);
    }
    return spawnSync(process.execPath, [join(root, 'bin', 'execgate.js')], { encoding: 'utf8' }).stdout;
  }

  it('runs the bundle when it is as new as the modules or newer', () => {
    expect(pkg({ bundle: 2000, modules: 1000 })).toBe('bundle');
    expect(pkg({ bundle: 1000, modules: 1000 })).toBe('bundle');
  });

  it('runs the modules when the bundle is older (tsc ran since) or missing', () => {
    expect(pkg({ bundle: 1000, modules: 2000 })).toBe('cli');
    expect(pkg({ modules: 2000 })).toBe('cli');
  });
});
