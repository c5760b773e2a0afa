// The C tests (native/test: codec, fd passing, the built wrapper against a
// fake broker), built through the CMake tree npm install configured and run
// here, so that `vitest run` covers them. Each prints "N passed, M failed".
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeDir, packageRoot, wrapperPath } from '../../src/native/paths.js';

const testsDir = join(nativeDir, 'c-tests');
const fixturesDir = join(packageRoot, 'test', 'fixtures', 'protocol');

function runCTest(exe: string, args: string[]): { passed: number; failed: number } {
  const r = spawnSync(join(testsDir, exe), args, { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 });
  const summary = /^(\d+) passed, (\d+) failed$/m.exec(r.stdout ?? '');
  const detail = `${exe}: status ${r.status}, signal ${r.signal}\n${r.stdout}\n${r.stderr}`;
  expect(r.error, detail).toBeUndefined();
  expect(summary, detail).not.toBeNull();
  const result = { passed: Number(summary![1]), failed: Number(summary![2]) };
  expect(result.failed, detail).toBe(0);
  expect(r.status, detail).toBe(0);
  return result;
}

describe('native C tests', () => {
  beforeAll(() => {
    // Incremental: a no-op when nothing changed.
    if (!existsSync(join(nativeDir, 'CMakeCache.txt'))) {
      throw new Error(`${nativeDir} is not a configured CMake tree: run \`npm install\` first`);
    }
    execFileSync('cmake', ['--build', nativeDir, '--target', 'native_tests'], { stdio: 'pipe' });
  });

  it('codec_test: the wrapper codec against the protobufjs fixtures, malformed input, fuzz', () => {
    expect(runCTest('eg_codec_test', [fixturesDir]).passed).toBeGreaterThan(1000);
  });

  it('fdpass_test: fds over real sockets', () => {
    expect(runCTest('eg_fdpass_test', []).passed).toBeGreaterThan(50);
  });

  it('wrapper_test: the built wrapper against a fake broker', () => {
    expect(runCTest('eg_wrapper_test', [wrapperPath, join(testsDir, 'eg_probe')]).passed).toBeGreaterThan(500);
  });
});
