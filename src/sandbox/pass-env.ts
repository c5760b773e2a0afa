// `execgate shell --pass-env NAME`: a variable the human chose to give the
// sandbox (an agent's API key). The direction is the opposite of
// exec/host-env.ts, which decides what may cross *to the host*: here the
// question is what must never be *injected into the sandbox*, because
// execgate sets it itself, because it would switch the interception off or
// change what every program loads, or because it names a channel out of the
// sandbox. One list, each entry with its reason.

interface Refusal {
  pattern: RegExp;
  reason: string;
}

const NEVER_INJECT: readonly Refusal[] = [
  { pattern: /^LD_/, reason: 'it changes what the dynamic loader puts into every program' },
  { pattern: /^BASH_ENV$|^ENV$/, reason: 'every non-interactive shell would run the file it names first' },
  { pattern: /^BASH_FUNC_/, reason: 'it would define shell functions in every bash, in place of commands' },
  { pattern: /^(SHELLOPTS|BASHOPTS)$/, reason: 'it would set shell options in every bash' },
  { pattern: /^PATH$/, reason: "execgate sets the sandbox's PATH (its client first, no hidden directories)" },
  { pattern: /^(EXEC_WRAPPER|EXECGATE_.*)$/, reason: 'execgate sets it: it is how the shell reaches the broker' },
  { pattern: /^(HOME|USER|LOGNAME|SHELL)$/, reason: 'execgate sets it for the user inside the sandbox' },
  { pattern: /^SSH_AUTH_SOCK$/, reason: "it names the host's ssh agent, your keys: escalate the commands that need them instead" },
  { pattern: /^(TMUX|TMUX_PANE)$/, reason: "it names your tmux server, where the approval prompts are: the agent could answer them" },
  { pattern: /^XDG_RUNTIME_DIR$/, reason: "it names the directory of the broker's control socket" },
  { pattern: /^(DISPLAY|WAYLAND_DISPLAY|DBUS_SESSION_BUS_ADDRESS)$/, reason: 'it names your desktop session, from which the host can be driven' },
];

/** Why NAME may not be passed into the sandbox, or null if it may. */
export function passEnvRefusal(name: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return 'it is not a variable name';
  return NEVER_INJECT.find((r) => r.pattern.test(name))?.reason ?? null;
}

export interface PassEnv {
  /** The variables to set inside, with the launcher's values. */
  values: Record<string, string>;
  /** Names asked for that the launcher's environment does not have. */
  unset: string[];
}

/** Throws (with the reason) on the first refused name. */
export function passEnv(names: readonly string[], from: NodeJS.ProcessEnv): PassEnv {
  const values: Record<string, string> = {};
  const unset: string[] = [];
  for (const name of names) {
    const why = passEnvRefusal(name);
    if (why !== null) throw new Error(`--pass-env ${name}: refused: ${why}`);
    const v = from[name];
    if (v === undefined) unset.push(name);
    else values[name] = v;
  }
  return { values, unset };
}
