// The protocol's messages as TypeScript types, and their codec (protobufjs,
// loaded from the one .proto). Decoding is the trust boundary: everything
// from the wrapper is checked here for shape and type before anyone uses it.
import protobuf from 'protobufjs';
import { protoPath } from '../native/paths.js';

export const Kind = { EXEC: 0, RUN: 1, NOTIFY: 2 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const Action = { RUN: 1, ESCALATE: 2, DENY: 3 } as const;
export type Action = (typeof Action)[keyof typeof Action];

export interface Winsize {
  rows: number;
  cols: number;
}

export interface Request {
  kind: Kind;
  file: Buffer;
  argv: Buffer[];
  cwd: Buffer;
  pid: number;
}

export interface Stdio {
  env: Buffer[];
  tty: boolean;
  winsize: Winsize | null;
  /** The caller's fds (0-2) that were closed; /dev/null came in their place. */
  closed: number[];
}

export type ToBroker =
  | { type: 'request'; request: Request }
  | { type: 'stdio'; stdio: Stdio }
  | { type: 'signal'; signo: number }
  | { type: 'resize'; winsize: Winsize };

export type ToWrapper =
  | { type: 'decision'; action: Action; reason: string }
  | { type: 'sendStdio'; envAllow: string[] }
  | { type: 'exit'; code: number; signal: number }
  | { type: 'stop'; signal: number };

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const root = protobuf.loadSync(protoPath);
const ToBrokerType = root.lookupType('execgate.v1.ToBroker');
const ToWrapperType = root.lookupType('execgate.v1.ToWrapper');

type Obj = Record<string, unknown>;

function asBytes(v: unknown, what: string): Buffer {
  // An absent bytes field decodes to protobufjs's default, an empty array.
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return Buffer.alloc(0);
  if (!(v instanceof Uint8Array)) throw new ProtocolError(`${what} is not bytes`);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function asUint(v: unknown, what: string, max = 0xffffffff): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new ProtocolError(`${what} is out of range`);
  }
  return v;
}

function decodeWinsize(v: unknown): Winsize | null {
  if (v === undefined || v === null) return null;
  const w = v as Obj;
  return { rows: asUint(w.rows, 'winsize.rows', 0xffff), cols: asUint(w.cols, 'winsize.cols', 0xffff) };
}

export function decodeToBroker(payload: Uint8Array): ToBroker {
  let msg: Obj;
  try {
    msg = ToBrokerType.decode(payload) as unknown as Obj;
  } catch (err) {
    throw new ProtocolError(`undecodable message: ${(err as Error).message}`);
  }
  if (msg.request) {
    const r = msg.request as Obj;
    const kind = asUint(r.kind, 'request.kind');
    if (kind !== Kind.EXEC && kind !== Kind.RUN && kind !== Kind.NOTIFY) {
      throw new ProtocolError(`unknown request kind ${kind}`);
    }
    const argv = (r.argv as unknown[] | undefined) ?? [];
    return {
      type: 'request',
      request: {
        kind: kind as Kind,
        file: asBytes(r.file, 'request.file'),
        argv: argv.map((a, i) => asBytes(a, `request.argv[${i}]`)),
        cwd: asBytes(r.cwd, 'request.cwd'),
        pid: asUint(r.pid, 'request.pid'),
      },
    };
  }
  if (msg.stdio) {
    const s = msg.stdio as Obj;
    const env = (s.env as unknown[] | undefined) ?? [];
    return {
      type: 'stdio',
      stdio: {
        env: env.map((e, i) => asBytes(e, `stdio.env[${i}]`)),
        tty: s.tty === true,
        winsize: decodeWinsize(s.winsize),
        closed: [0, 1, 2].filter((i) => (asUint(s.closed, 'stdio.closed', 7) >> i) & 1),
      },
    };
  }
  if (msg.signal) {
    return { type: 'signal', signo: asUint((msg.signal as Obj).signo, 'signal.signo', 64) };
  }
  if (msg.resize) {
    const winsize = decodeWinsize((msg.resize as Obj).winsize);
    if (!winsize) throw new ProtocolError('resize without winsize');
    return { type: 'resize', winsize };
  }
  throw new ProtocolError('message with no known content');
}

export function encodeToWrapper(m: ToWrapper): Uint8Array {
  let body: Obj;
  switch (m.type) {
    case 'decision':
      body = { decision: { action: m.action, reason: m.reason } };
      break;
    case 'sendStdio':
      body = { sendStdio: { envAllow: m.envAllow } };
      break;
    case 'exit':
      body = { exit: { code: m.code, signal: m.signal } };
      break;
    case 'stop':
      body = { stop: { signal: m.signal } };
      break;
  }
  return ToWrapperType.encode(ToWrapperType.fromObject(body)).finish();
}

/** For tests and tools: the other direction of each message. */
export function encodeToBroker(m: ToBroker): Uint8Array {
  let body: Obj;
  switch (m.type) {
    case 'request':
      body = { request: m.request };
      break;
    case 'stdio':
      body = {
        stdio: {
          env: m.stdio.env,
          tty: m.stdio.tty,
          ...(m.stdio.winsize ? { winsize: m.stdio.winsize } : {}),
          closed: m.stdio.closed.reduce((bits, fd) => bits | (1 << fd), 0),
        },
      };
      break;
    case 'signal':
      body = { signal: { signo: m.signo } };
      break;
    case 'resize':
      body = { resize: { winsize: m.winsize } };
      break;
  }
  return ToBrokerType.encode(ToBrokerType.fromObject(body)).finish();
}

export function decodeToWrapper(payload: Uint8Array): ToWrapper {
  const msg = ToWrapperType.decode(payload) as unknown as Obj;
  if (msg.decision) {
    const d = msg.decision as Obj;
    return { type: 'decision', action: (d.action ?? 0) as Action, reason: String(d.reason ?? '') };
  }
  if (msg.sendStdio) {
    return { type: 'sendStdio', envAllow: ((msg.sendStdio as Obj).envAllow as string[] | undefined) ?? [] };
  }
  if (msg.exit) {
    const e = msg.exit as Obj;
    return { type: 'exit', code: Number(e.code ?? 0), signal: Number(e.signal ?? 0) };
  }
  if (msg.stop) return { type: 'stop', signal: Number((msg.stop as Obj).signal ?? 0) };
  throw new ProtocolError('message with no known content');
}
