// Runs once before the suite: the tests need the real patched bash and the
// real native build, and say how to get them rather than failing obscurely.
// The CLI bundle (scripts/build-cli.mjs) is brought up to date with dist/,
// so that the tests run the CLI as users do: from the bundle.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { missingArtifacts, packageRoot } from '../../src/native/paths.js';

export default function setup(): void {
  const missing = missingArtifacts();
  if (missing.length > 0) {
    throw new Error(
      `missing build outputs:\n  ${missing.join('\n  ')}\n` +
        'run `npm install` (addon, wrapper) and `npm run build:bash` (patched bash) first',
    );
  }
  const bundle = spawnSync(process.execPath, [join(packageRoot, 'scripts', 'build-cli.mjs'), '--if-stale'], { encoding: 'utf8' });
  if (bundle.status !== 0) throw new Error(`scripts/build-cli.mjs failed: ${bundle.stderr}`);
}
