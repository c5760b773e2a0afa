// What `execgate --help` and every usage error print. Its own module, so
// that printing it loads no command.
export const APPROVE_USAGE = `  execgate approve [--socket PATH] [--watch]
  execgate approve --list [--json] [--socket PATH]
  execgate approve --answer ID once|session|always|deny [--reason TEXT] [--socket PATH]`;

export const DOCTOR_USAGE = '  execgate doctor [--policy FILE]';

export const MCP_USAGE = `  execgate mcp [--sandbox none|bwrap] [--project DIR] [--no-network] [--bind SRC[:DEST]]... [--ro-bind SRC[:DEST]]...
               [--sandbox-uid N] [--writable-git (unsafe)] [--pass-env NAME]... [--label NAME] [--no-redact] [--no-dialog]
               [--policy FILE] [--audit FILE] [--web [--web-port N]] [--dangerously-approve-all] | [--broker SOCKET]`;

export const USAGE = `usage:
  execgate shell [--sandbox none|bwrap] [--project DIR] [--no-network] [--bind SRC[:DEST]]... [--ro-bind SRC[:DEST]]...
                 [--sandbox-uid N] [--writable-git (unsafe)] [--pass-env NAME]...
                 [--policy FILE] [--audit FILE] [--web [--web-port N]] [--dangerously-approve-all]
                 [--broker SOCKET] [--label NAME] [-c SCRIPT | FILE ARGS...]
${MCP_USAGE}
  execgate serve [--policy FILE] [--audit FILE] [--web [--web-port N]] [--write-socket-path-to FILE] [--no-prompt]
                 [--dangerously-approve-all] [--sandbox none|bwrap] [--project DIR] [--no-network] [--bind SRC[:DEST]]...
                 [--ro-bind SRC[:DEST]]... [--sandbox-uid N] [--writable-git (unsafe)] [--pass-env NAME]...
                 (its sandbox flags: the defaults for launches that do not say)
  execgate policy explain [--policy FILE] [--explicit] -- CMD [ARGS...]
  execgate policy check FILE
${APPROVE_USAGE}
${DOCTOR_USAGE}
  execgate shim-path
`;
