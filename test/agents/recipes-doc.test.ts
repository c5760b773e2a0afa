// docs/agents.md shows the recipes the tests run: its recipe block must be
// exactly what the table renders, so neither can change alone.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { docPath, recipesInDoc, renderRecipes } from '../helpers/agents.js';

it('docs/agents.md holds the recipes exactly as test/helpers/agents.ts renders them', () => {
  const block = recipesInDoc(readFileSync(docPath, 'utf8'));
  expect(block, `${docPath} has no recipe block`).not.toBeNull();
  expect(block, 'regenerate it: npx tsx test/helpers/agents.ts --write').toBe(renderRecipes());
});
