// How much of a request a summary shows, on every channel: an argument or an
// environment value longer than FOLD_AT characters keeps FOLD_KEEP at each
// end, and past MAX_SHOWN_ARGS arguments the rest waits behind a marker. A
// request a summary folds is approved beyond "once" only after a human read
// it in full (the terminal's `v`, the web page's unfold buttons). The web
// page has its copy of these numbers in src/web/assets/text.js, which a
// unit test holds equal to these.
import type { PendingRequest } from './types.js';

export const FOLD_AT = 160;
/** Characters kept at each end of a folded argument (the marker takes the rest). */
export const FOLD_KEEP = (FOLD_AT - 20) / 2;
export const MAX_SHOWN_ARGS = 200;

export function foldArg(arg: string, max = FOLD_AT): string {
  if (arg.length <= max) return arg;
  const keep = Math.floor((max - 20) / 2);
  return `${arg.slice(0, keep)}…[${arg.length - 2 * keep} more chars]…${arg.slice(-keep)}`;
}

/** Whether a summary hides part of the request (the API's `folded`). */
export function isFolded(req: Pick<PendingRequest, 'argv' | 'env'>): boolean {
  return req.argv.length > MAX_SHOWN_ARGS || req.argv.some((a) => a.length > FOLD_AT) || Object.values(req.env).some((v) => v.length > FOLD_AT);
}
