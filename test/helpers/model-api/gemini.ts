// The Gemini API (POST /v1beta/models/MODEL:generateContent and
// :streamGenerateContent?alt=sse), as Gemini CLI speaks it. The shell tool
// is `run_shell_command` ({command, description}); results come back as
// `functionResponse` parts. Gemini CLI also asks a small model to route
// each prompt (a JSON-mode generateContent without tools): that request
// gets an object of the schema's required fields, so routing succeeds.
import type { ServerResponse } from 'node:http';
import type { Dialect, RecordedRequest } from './server.js';
import type { ShellScript, ShellTool, ToolResult, Turn } from './script.js';
import { sendSse, startSse } from './sse.js';

interface Part {
  text?: string;
  functionCall?: unknown;
  functionResponse?: { id?: string; name?: string; response?: Record<string, unknown> };
}
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
}
interface GenerateBody {
  contents?: { role?: string; parts?: Part[] }[];
  tools?: { functionDeclarations?: { name: string }[] }[];
  generationConfig?: { responseMimeType?: string; responseJsonSchema?: Schema; responseSchema?: Schema };
}

const RUN_SHELL_COMMAND: ShellTool = { name: 'run_shell_command', input: (command) => ({ command, description: 'Run the scripted command' }) };

function toolResults(body: unknown): ToolResult[] {
  const out: ToolResult[] = [];
  for (const c of (body as GenerateBody).contents ?? []) {
    for (const p of c.parts ?? []) {
      const r = p.functionResponse;
      if (!r) continue;
      const resp = r.response ?? {};
      const text = typeof resp.output === 'string' ? resp.output : typeof resp.error === 'string' ? resp.error : JSON.stringify(resp);
      out.push({ callId: r.id ?? '', output: text });
    }
  }
  return out;
}

/** The smallest value a JSON schema accepts: what the router asked for. */
function minimal(s: Schema | undefined): unknown {
  if (s?.enum?.length) return s.enum[0];
  switch ((s?.type ?? 'object').toLowerCase()) {
    case 'string':
      return 'stand-in';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return Object.fromEntries((s?.required ?? []).map((k) => [k, minimal(s?.properties?.[k])]));
  }
}

function partFor(turn: Turn, tool: ShellTool): Part {
  if (turn.kind === 'text') return { text: turn.text };
  return { functionCall: { id: turn.callId, name: tool.name, args: tool.input(turn.command) } };
}

function chunk(part: Part, model: string): Record<string, unknown> {
  return {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: model,
  };
}

/** The dialect whose model calls `tool` for each scripted command. */
export function geminiWith(tool: ShellTool): Dialect {
  return {
    name: 'gemini',
    toolResults,
    handle(req: RecordedRequest, res: ServerResponse, script: ShellScript): boolean {
      const m = /^\/v1(?:beta|alpha|)\/models\/([^:/]+):(generateContent|streamGenerateContent|countTokens)(?:\?|$)/.exec(req.url);
      if (req.method !== 'POST' || !m) return false;
      const [, model = 'stand-in', method] = m;
      const body = req.body as GenerateBody;
      if (method === 'countTokens') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"totalTokens":10}');
        return true;
      }
      const offersShell = (body.tools ?? []).some((t) => (t.functionDeclarations ?? []).some((d) => d.name === tool.name));
      const config = body.generationConfig;
      const part: Part = offersShell
        ? partFor(script.next(toolResults(body).length), tool)
        : { text: config?.responseMimeType === 'application/json' ? JSON.stringify(minimal(config.responseJsonSchema ?? config.responseSchema)) : 'ok' };
      if (method === 'generateContent') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(chunk(part, model)));
      } else {
        startSse(res);
        sendSse(res, chunk(part, model));
        res.end();
      }
      return true;
    },
  };
}

export const gemini: Dialect = geminiWith(RUN_SHELL_COMMAND);
