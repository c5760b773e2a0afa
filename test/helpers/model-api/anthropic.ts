// The Anthropic Messages API (POST /v1/messages), streaming or not, as
// Claude Code speaks it. The shell tool is `Bash` ({command, description}),
// or another tool the test names (an MCP server's: `mcp__execgate__shell`);
// tool results come back as `tool_result` blocks in the next user message.
import type { ServerResponse } from 'node:http';
import type { Dialect, RecordedRequest } from './server.js';
import type { ShellScript, ShellTool, ToolResult, Turn } from './script.js';
import { sendSse, startSse } from './sse.js';

interface Block {
  type: string;
  tool_use_id?: string;
  content?: string | { type: string; text?: string }[];
  is_error?: boolean;
}
interface MessagesBody {
  model?: string;
  stream?: boolean;
  tools?: { name: string }[];
  messages?: { role: string; content: string | Block[] }[];
}

const BASH: ShellTool = { name: 'Bash', input: (command) => ({ command, description: 'Run the scripted command' }) };

function toolResults(body: unknown): ToolResult[] {
  const out: ToolResult[] = [];
  for (const m of (body as MessagesBody).messages ?? []) {
    if (typeof m.content === 'string') continue;
    for (const b of m.content) {
      if (b.type !== 'tool_result') continue;
      const text = typeof b.content === 'string' ? b.content : (b.content ?? []).map((c) => c.text ?? '').join('');
      out.push({ callId: b.tool_use_id ?? '', output: b.is_error ? `[is_error] ${text}` : text });
    }
  }
  return out;
}

function contentFor(turn: Turn, tool: ShellTool): Record<string, unknown> {
  if (turn.kind === 'text') return { type: 'text', text: turn.text };
  return { type: 'tool_use', id: turn.callId, name: tool.name, input: tool.input(turn.command) };
}

function reply(res: ServerResponse, body: MessagesBody, turn: Turn, tool: ShellTool): void {
  const id = `msg_eg_${Date.now()}`;
  const model = body.model ?? 'stand-in';
  const stopReason = turn.kind === 'tool' ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content: [contentFor(turn, tool)], stop_reason: stopReason, stop_sequence: null, usage }));
    return;
  }
  startSse(res);
  sendSse(res, { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } }, 'message_start');
  if (turn.kind === 'text') {
    sendSse(res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
    sendSse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: turn.text } }, 'content_block_delta');
  } else {
    sendSse(res, { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: turn.callId, name: tool.name, input: {} } }, 'content_block_start');
    const input = JSON.stringify((contentFor(turn, tool) as { input: unknown }).input);
    sendSse(res, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: input } }, 'content_block_delta');
  }
  sendSse(res, { type: 'content_block_stop', index: 0 }, 'content_block_stop');
  sendSse(res, { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 5 } }, 'message_delta');
  sendSse(res, { type: 'message_stop' }, 'message_stop');
  res.end();
}

/** The dialect whose model calls `tool` for each scripted command. */
export function anthropicMessagesWith(tool: ShellTool): Dialect {
  return {
    name: 'anthropic-messages',
    toolResults,
    handle(req: RecordedRequest, res: ServerResponse, script: ShellScript): boolean {
      const path = req.url.split('?')[0];
      if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"input_tokens":10}');
        return true;
      }
      if (req.method !== 'POST' || path !== '/v1/messages') return false;
      const body = req.body as MessagesBody;
      // A side request (no shell tool offered: titles, summaries) gets text.
      const offersShell = (body.tools ?? []).some((t) => t.name === tool.name);
      reply(res, body, offersShell ? script.next(toolResults(body).length) : { kind: 'text', text: 'ok' }, tool);
      return true;
    },
  };
}

export const anthropicMessages: Dialect = anthropicMessagesWith(BASH);
