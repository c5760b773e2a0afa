// The page's text rules (src/web/assets/text.js, the very file the server
// serves) against the broker's: one shell quoter, one fold, one reason cap.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FOLD_AT, FOLD_KEEP, MAX_SHOWN_ARGS } from '../../../src/approval/fold.js';
import { shellQuote } from '../../../src/policy/shell-quote.js';
import { MAX_DENY_REASON } from '../../../src/protocol/limits.js';
import { assetsDir, loadAssets } from '../../../src/web/assets.js';

interface PageText {
  FOLD_AT: number;
  FOLD_KEEP: number;
  MAX_ARGS: number;
  MAX_DENY_REASON: number;
  shellQuote(word: string): string;
}
const page = (await import(pathToFileURL(join(assetsDir, 'text.js')).href)) as PageText;

/** Words every quoter must agree on: safe, empty, quotes, globs, escapes the
 * broker made, non-ASCII, and shell syntax. */
const CASES = [
  'git', 'push', '--force-with-lease=origin/main', 'a/b.c_d@e%f+g=h:i,j', '', ' ', "'", "it's", "''", '"', '$HOME', '`id`', '$(id)',
  'a b', '*', '[x]', '~', '!', '#', ';', '&&', '|', '\\', '\\x85', '\\u{85}', '\\e[2J', 'é', '日本', '🤖', '-', '--', '=', 'a\nb',
];

describe('the page shares the text rules', () => {
  it('quotes every case exactly as src/policy/shell-quote.ts does', () => {
    for (const w of CASES) expect(page.shellQuote(w), JSON.stringify(w)).toBe(shellQuote(w));
  });

  it('and random words too', () => {
    const alphabet = ['a', 'Z', '0', '_', '@', '%', '+', '=', ':', ',', '.', '/', '-', ' ', "'", '"', '\\', '$', '*', 'é', '🤖', '\n'];
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    for (let i = 0; i < 2000; i++) {
      const w = Array.from({ length: rand(8) }, () => alphabet[rand(alphabet.length)]).join('');
      expect(page.shellQuote(w), JSON.stringify(w)).toBe(shellQuote(w));
    }
  });

  it('folds where the broker does, and caps reasons where it does', () => {
    expect([page.FOLD_AT, page.FOLD_KEEP, page.MAX_ARGS, page.MAX_DENY_REASON]).toEqual([FOLD_AT, FOLD_KEEP, MAX_SHOWN_ARGS, MAX_DENY_REASON]);
  });

  it('is served', () => {
    expect(loadAssets().get('text.js')?.type).toBe('text/javascript; charset=utf-8');
  });
});
