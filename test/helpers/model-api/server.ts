// A stand-in of a model API on 127.0.0.1: one node:http server speaking one
// dialect, answering from a ShellScript, and recording every request so a
// test can read back exactly what the harness sent (the tool results above
// all). Requests it does not know get a 404 with the path, recorded too.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ShellScript, type ToolResult } from './script.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The JSON body, or the raw text when it is not JSON. */
  body: unknown;
  handled: boolean;
}

export interface Dialect {
  name: string;
  /** Answers the request if it is this dialect's; false otherwise. */
  handle(req: RecordedRequest, res: ServerResponse, script: ShellScript): boolean;
  /** The tool results a request carries, oldest first. */
  toolResults(body: unknown): ToolResult[];
}

export interface ModelApi {
  /** http://127.0.0.1:PORT */
  url: string;
  requests: RecordedRequest[];
  /** The tool results of the request that carried the most of them. */
  toolResults(): ToolResult[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startModelApi(dialect: Dialect, commands: readonly string[]): Promise<ModelApi> {
  const script = new ShellScript(commands);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    readBody(req).then(
      (text) => {
        const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: parse(text), handled: false };
        requests.push(rec);
        rec.handled = dialect.handle(rec, res, script);
        if (!rec.handled) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `stand-in ${dialect.name}: no route for ${rec.method} ${rec.url}` } }));
        }
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    toolResults() {
      let best: ToolResult[] = [];
      for (const r of requests) {
        const results = dialect.toolResults(r.body);
        if (results.length > best.length) best = results;
      }
      return best;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
