// node:child_process, loaded when first needed: it brings net and stream
// along and cost every start-up a few ms, while a shell that escalates
// nothing, approves nothing in tmux and runs no sandbox never uses it (the
// shell itself is started by the addon: child.ts).
import { createRequire } from 'node:module';

let loaded: typeof import('node:child_process') | undefined;

export function childProcess(): typeof import('node:child_process') {
  return (loaded ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process'));
}
