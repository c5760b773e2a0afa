// Runs once before the suite: the tests need the real patched bash and the
// real native build, and say how to get them rather than failing obscurely.
import { missingArtifacts } from '../../src/native/paths.js';

export default function setup(): void {
  const missing = missingArtifacts();
  if (missing.length > 0) {
    throw new Error(
      `missing build outputs:\n  ${missing.join('\n  ')}\n` +
        'run `npm install` (addon, wrapper) and `npm run build:bash` (patched bash) first',
    );
  }
}
