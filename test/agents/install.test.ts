// The installer the agents project's global setup runs: what it leaves in
// the cache, how it fails without a registry, and its lock.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_PACKAGES, binPath, ensureInstalled, installDir, withLock } from '../helpers/agents-install.js';
import { tempDir } from '../helpers/execgate.js';

describe('agent CLI installs', () => {
  it('fails with a message naming the unreachable registry, and leaves no partial install or lock', async () => {
    const root = tempDir('eg-agents-cache-');
    const env = { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_cache: tempDir('eg-npm-cache-'), npm_config_fetch_retries: '0' };
    await expect(ensureInstalled(AGENT_PACKAGES.codex, { root, env })).rejects.toThrow(/the npm registry is unreachable: `npm install @openai\/codex@0\.171\.0` failed/);
    expect(readdirSync(root)).toEqual([]);
  });

  it('reuses what the global setup installed: every pinned version, its linux-x64 binary runnable', async () => {
    for (const pkg of Object.values(AGENT_PACKAGES)) {
      const rec = await ensureInstalled(pkg);
      expect(rec).toMatchObject({ spec: pkg.spec, version: pkg.version, seconds: 0 });
      expect(rec.bytes).toBeGreaterThan(1 << 20);
      for (const f of pkg.platformFiles) expect(existsSync(join(installDir(pkg), 'node_modules', f)), f).toBe(true);
      expect(spawnSync(binPath(pkg), ['--version'], { encoding: 'utf8' }).stdout).toContain(pkg.version);
    }
  });

  it('runs one holder at a time; a waiter whose work was done meanwhile does nothing', async () => {
    const lock = join(tempDir('eg-lock-'), 'x.lock');
    let inside = 0;
    let most = 0;
    let done = false;
    const work = async () => {
      inside += 1;
      most = Math.max(most, inside);
      await new Promise((r) => setImmediate(r));
      inside -= 1;
      done = true;
      return 'did it';
    };
    const results = await Promise.all([withLock(lock, work, () => done), withLock(lock, work, () => done)]);
    expect(most).toBe(1);
    expect(results.sort()).toEqual(['did it', null].sort());
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock whose holder died', async () => {
    const lock = join(tempDir('eg-lock-'), 'x.lock');
    const dead = spawnSync('true').pid;
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(dead));
    expect(await withLock(lock, async () => 'took over', () => false)).toBe('took over');
  });
});
