// Agents that bring their own sandbox (Claude Code's runs commands under
// bwrap) cannot start it inside ours: the sandbox may make no user namespace
// (--disable-userns), so bwrap fails with a message about namespaces that
// says nothing of the fix. Inside the sandbox, every bwrap the host's PATH
// finds is replaced by this script, which says it in one line. It is reached
// however the agent starts bwrap (a shell, or a direct exec from Node), which
// a policy rule would not be.

export const NESTED_BWRAP_MESSAGE =
  "execgate: bwrap cannot run inside execgate's sandbox (no user namespaces here): turn off the agent's own sandbox, execgate's contains it (Claude Code: sandbox.enabled false in settings.json; Codex: --sandbox danger-full-access)";

export const NESTED_BWRAP_STUB = `#!/bin/sh\necho "${NESTED_BWRAP_MESSAGE}" >&2\nexit 1\n`;
