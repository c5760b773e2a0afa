// Node built-ins loaded when first needed, not at every start-up, where a
// shell that escalates nothing, grants nothing, approves nothing in tmux and
// runs no sandbox never uses them:
//   child_process  brings net and stream along (a few ms); the shell itself
//                  is started by the addon (exec/child.ts)
//   crypto         ~3 ms; grant keys hash with it
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
let cp: typeof import('node:child_process') | undefined;
let crypto: typeof import('node:crypto') | undefined;

export function childProcess(): typeof import('node:child_process') {
  return (cp ??= load('node:child_process') as typeof import('node:child_process'));
}

export function nodeCrypto(): typeof import('node:crypto') {
  return (crypto ??= load('node:crypto') as typeof import('node:crypto'));
}
