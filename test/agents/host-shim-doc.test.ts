// docs/agents.md shows the host-shim recipes the tests run: its block must
// be exactly what the table renders, so neither can change alone.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { docPath, hostShimInDoc, renderHostShim } from '../helpers/agents.js';

it('docs/agents.md holds the host-shim recipes exactly as test/helpers/agents.ts renders them', () => {
  const block = hostShimInDoc(readFileSync(docPath, 'utf8'));
  expect(block, `${docPath} has no host-shim recipe block`).not.toBeNull();
  expect(block, 'regenerate it: npx tsx test/helpers/agents.ts --write').toBe(renderHostShim());
});
