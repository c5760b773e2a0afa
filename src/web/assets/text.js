// @ts-check
// Text rules the page shares with the broker, in a module of their own (no
// DOM) so that a unit test loads this very file and holds it equal to the
// TypeScript: the one shell quoter (src/policy/shell-quote.ts), the fold
// (src/approval/fold.ts) and the deny reason cap (src/protocol/limits.ts).

/** Arguments and values longer than this are folded... */
export const FOLD_AT = 160;
/** ...keeping this many characters at each end. */
export const FOLD_KEEP = 70;
/** Past this many arguments the rest waits behind a button. */
export const MAX_ARGS = 200;
/** The longest deny reason the broker keeps (it cuts the rest). */
export const MAX_DENY_REASON = 500;

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting, for showing commands on one line.
 * @param {string} word */
export function shellQuote(word) {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
