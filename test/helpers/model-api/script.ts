// The conversation a stand-in model holds, scripted per test: one call of
// the harness's shell tool per command, in order, each after the previous
// tool result came back, then a short closing text. The turn is derived
// from the request alone (how many tool results it carries), so retries and
// the harness's side requests (titles, summaries) cannot shift the script.

/** The tool the scripted model calls (the harness's own shell tool, or an
 * MCP server's), and its arguments for one command. */
export interface ShellTool {
  name: string;
  input: (command: string) => Record<string, unknown>;
  /** The name the harness offers it under, when not `name` (Codex offers an
   * MCP server's tools in one namespace tool, `mcp__SERVER`). */
  offered?: string;
  /** More fields of the call item (Codex: the `namespace` it belongs to). */
  call?: Record<string, unknown>;
}

export type Turn = { kind: 'tool'; command: string; callId: string } | { kind: 'text'; text: string };

/** What the harness sent back for one tool call, as the harness put it. */
export interface ToolResult {
  callId: string;
  /** The text the model would read: output, exit code, in the harness's format. */
  output: string;
}

export class ShellScript {
  constructor(
    readonly commands: readonly string[],
    readonly closing = 'All done.',
  ) {}

  /** The next turn of a conversation that already holds `results` tool results. */
  next(results: number): Turn {
    const command = this.commands[results];
    if (command === undefined) return { kind: 'text', text: this.closing };
    return { kind: 'tool', command, callId: `call_eg_${results + 1}` };
  }
}
