// The OpenAI Responses API (POST /v1/responses), streaming, as Codex
// speaks it (Codex 0.171 has no other wire API). Codex's shell tool is
// `exec_command` ({cmd, yield_time_ms, ...}: unified exec, plain pipes
// unless tty is asked for); results come back as `function_call_output`
// input items. A command still running after yield_time_ms comes back as a
// session to poll, so the script asks for the longest wait Codex allows:
// a prompt that a test answers must finish inside one call.
import type { ServerResponse } from 'node:http';
import type { Dialect, RecordedRequest } from './server.js';
import type { ShellScript, ShellTool, ToolResult, Turn } from './script.js';
import { sendSse, startSse } from './sse.js';

interface InputItem {
  type?: string;
  call_id?: string;
  output?: string | { type: string; text?: string }[];
}
interface ResponsesBody {
  model?: string;
  stream?: boolean;
  tools?: { type: string; name?: string }[];
  input?: InputItem[] | string;
}

/** Codex caps yield_time_ms at 30 s. */
const YIELD_MS = 30_000;
const EXEC_COMMAND: ShellTool = { name: 'exec_command', input: (cmd) => ({ cmd, yield_time_ms: YIELD_MS }) };

function toolResults(body: unknown): ToolResult[] {
  const input = (body as ResponsesBody).input;
  if (!Array.isArray(input)) return [];
  return input
    .filter((i) => i.type === 'function_call_output')
    .map((i) => ({ callId: i.call_id ?? '', output: typeof i.output === 'string' ? i.output : (i.output ?? []).map((c) => c.text ?? '').join('') }));
}

function itemFor(turn: Turn, tool: ShellTool): Record<string, unknown> {
  if (turn.kind === 'text') return { type: 'message', id: 'msg_eg_text', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text, annotations: [] }] };
  return { type: 'function_call', id: `fc_${turn.callId}`, call_id: turn.callId, name: tool.name, status: 'completed', arguments: JSON.stringify(tool.input(turn.command)), ...tool.call };
}

function reply(res: ServerResponse, body: ResponsesBody, turn: Turn, tool: ShellTool): void {
  const id = `resp_eg_${Date.now()}`;
  const item = itemFor(turn, tool);
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
  const response = { id, object: 'response', model: body.model ?? 'stand-in', status: 'completed', output: [item], usage };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response));
    return;
  }
  startSse(res);
  sendSse(res, { type: 'response.created', response: { ...response, status: 'in_progress', output: [] } }, 'response.created');
  sendSse(res, { type: 'response.output_item.added', output_index: 0, item }, 'response.output_item.added');
  if (turn.kind === 'text') sendSse(res, { type: 'response.output_text.delta', output_index: 0, content_index: 0, item_id: item.id, delta: turn.text }, 'response.output_text.delta');
  sendSse(res, { type: 'response.output_item.done', output_index: 0, item }, 'response.output_item.done');
  sendSse(res, { type: 'response.completed', response }, 'response.completed');
  res.end();
}

/** The dialect whose model calls `tool` for each scripted command. */
export function openaiResponsesWith(tool: ShellTool): Dialect {
  return {
    name: 'openai-responses',
    toolResults,
    handle(req: RecordedRequest, res: ServerResponse, script: ShellScript): boolean {
      const path = req.url.split('?')[0];
      if (req.method === 'GET' && path === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[]}');
        return true;
      }
      if (req.method !== 'POST' || path !== '/v1/responses') return false;
      const body = req.body as ResponsesBody;
      const offersShell = (body.tools ?? []).some((t) => t.name === (tool.offered ?? tool.name));
      reply(res, body, offersShell ? script.next(toolResults(body).length) : { kind: 'text', text: 'ok' }, tool);
      return true;
    },
  };
}

export const openaiResponses: Dialect = openaiResponsesWith(EXEC_COMMAND);
