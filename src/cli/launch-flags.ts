// The flags that say how a shell is launched, shared by `execgate shell`
// (its own session) and `execgate serve` (the defaults for shells that do
// not say, like the shell shim), and what they ask for.
import type { LaunchRequest } from '../runtime/launch.js';
import { UsageError, type FlagSpec } from './args.js';

/** The sandbox flags: serve takes these as defaults for launches. */
export const SANDBOX_FLAGS = {
  '--sandbox': 'string',
  '--project': 'string',
  '--no-network': 'boolean',
  '--bind': 'strings',
  '--ro-bind': 'strings',
  '--sandbox-uid': 'string',
  '--writable-git': 'boolean',
  '--pass-env': 'strings',
} as const satisfies FlagSpec;

/** What starts a session, its own broker's or one from `--broker`: the
 * flags `execgate shell` and `execgate mcp` share. */
export const SESSION_FLAGS = {
  '--policy': 'string',
  '--audit': 'string',
  '--label': 'string',
  '--dangerously-approve-all': 'boolean',
  '--web': 'boolean',
  '--web-port': 'string',
  ...SANDBOX_FLAGS,
  '--broker': 'string',
} as const satisfies FlagSpec;

export const SHELL_FLAGS = { ...SESSION_FLAGS, '-c': 'string' } as const satisfies FlagSpec;

/** Flags of the broker itself: refused on a shell attached to a running one. */
export const BROKER_ONLY = ['--policy', '--audit', '--dangerously-approve-all', '--web', '--web-port'];

/** The launch the flags ask for, from this process's cwd and environment. */
export function launchRequest(flags: Record<string, unknown>): LaunchRequest {
  const sandbox = (flags['--sandbox'] as string | undefined) ?? 'none';
  if (sandbox !== 'none' && sandbox !== 'bwrap') throw new UsageError(`--sandbox must be none or bwrap, not ${sandbox}`);
  return {
    label: (flags['--label'] as string | undefined) ?? 'shell',
    sandbox,
    project: flags['--project'] as string | undefined,
    binds: (flags['--bind'] as string[] | undefined) ?? [],
    roBinds: (flags['--ro-bind'] as string[] | undefined) ?? [],
    network: !flags['--no-network'],
    passEnv: (flags['--pass-env'] as string[] | undefined) ?? [],
    sandboxUid: flags['--sandbox-uid'] as string | undefined,
    writableGit: Boolean(flags['--writable-git']),
    cwd: process.cwd(),
    env: process.env,
  };
}
