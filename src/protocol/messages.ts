// The protocol's messages (execgate.proto) as TypeScript types, and their
// codec, written by hand over wire.ts (tested against protobufjs with the
// .proto itself). Decoding is the trust boundary: everything from the sandbox
// is checked here for shape, type and size before anyone uses it, and
// repeated fields are counted as execve would count them before anything is
// made of them, so a hostile request costs time and memory in proportion to
// what a real exec could carry.
import { MAX_EXEC_STRINGS_BYTES, MAX_LAUNCH_ENTRIES, MAX_REASON_CHARS } from './limits.js';
import { expectWireType, ProtocolError, Reader, Writer, WT_LEN, WT_VARINT, type Field } from './wire.js';

export { ProtocolError } from './wire.js';

export const Kind = { EXEC: 0, RUN: 1, NOTIFY: 2, SHIM: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const Action = { RUN: 1, ESCALATE: 2, DENY: 3 } as const;
export type Action = (typeof Action)[keyof typeof Action];

export interface Winsize {
  rows: number;
  cols: number;
}

/** What a caller fills to encode a Request. */
export interface RequestFields {
  kind: Kind;
  file: Buffer;
  argv: Buffer[];
  cwd: Buffer;
  pid: number;
  /** A Stdio frame follows without a SendStdio (execgate.proto). */
  stdioFollows?: boolean;
}

/** A decoded Request. argv is made on first use: the Run path decides by
 * the program's name and never needs it. */
export interface Request extends RequestFields {
  /** Number of argv entries, known without making them. */
  readonly argc: number;
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

/** encodeToBroker's input: a Request need not be a decoded one. */
export type ToBrokerFields = Exclude<ToBroker, { type: 'request' }> | { type: 'request'; request: RequestFields };

export type ToWrapper =
  | { type: 'decision'; action: Action; reason: string }
  | { type: 'sendStdio'; envAllow: readonly string[] }
  | { type: 'exit'; code: number; signal: number }
  | { type: 'stop'; signal: number };

export interface Launch {
  label: string;
  sandbox: string;
  cwd: Buffer;
  project: Buffer;
  bind: Buffer[];
  roBind: Buffer[];
  noNetwork: boolean;
  passEnv: Buffer[];
  env: Buffer[];
}

export interface Launched {
  error: string;
  sessionId: string;
  file: Buffer;
  argv: Buffer[];
  setEnv: Buffer[];
  unsetEnv: Buffer[];
}

const f: Field = { num: 0, wt: 0, int: 0, start: 0, end: 0 };

function view(r: Reader, field: Field): Buffer {
  return Buffer.from(r.buf.buffer, r.buf.byteOffset + field.start, field.end - field.start);
}

/** Counts strings as execve does (each costs its bytes, a NUL and a
 * pointer) and refuses a list execve could not take under default limits. */
class StringBudget {
  private used = 0;

  constructor(private readonly what: string) {}

  add(length: number): void {
    this.used += length + 1 + 8;
    if (this.used > MAX_EXEC_STRINGS_BYTES) {
      throw new ProtocolError(`${this.what} is larger than execve accepts (over ${MAX_EXEC_STRINGS_BYTES} bytes counted as execve counts them)`);
    }
  }
}

class DecodedRequest implements Request {
  kind: Kind = Kind.EXEC;
  file: Buffer = EMPTY;
  cwd: Buffer = EMPTY;
  pid = 0;
  stdioFollows = false;
  argc = 0;
  #reader: Reader;
  /** Start and end offsets of each argv entry, in order. */
  #spans: number[] = [];
  #argv?: Buffer[];

  constructor(reader: Reader) {
    this.#reader = reader;
  }

  addArg(start: number, end: number): void {
    this.#spans.push(start, end);
    this.argc += 1;
  }

  get argv(): Buffer[] {
    if (!this.#argv) {
      const r = this.#reader;
      const out: Buffer[] = new Array(this.argc);
      for (let i = 0; i < this.argc; i++) {
        out[i] = Buffer.from(r.buf.buffer, r.buf.byteOffset + this.#spans[2 * i]!, this.#spans[2 * i + 1]! - this.#spans[2 * i]!);
      }
      this.#argv = out;
      this.#spans = [];
    }
    return this.#argv;
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

function decodeRequest(r: Reader): Request {
  const req = new DecodedRequest(r);
  const budget = new StringBudget('argv');
  while (r.next(f)) {
    switch (f.num) {
      case 1:
        expectWireType(f, WT_VARINT, 'request.kind');
        if (f.int > Kind.SHIM) throw new ProtocolError(`unknown request kind ${f.int}`);
        req.kind = f.int as Kind;
        break;
      case 2:
        expectWireType(f, WT_LEN, 'request.file');
        req.file = view(r, f);
        break;
      case 3:
        expectWireType(f, WT_LEN, 'request.argv');
        budget.add(f.end - f.start);
        req.addArg(f.start, f.end);
        break;
      case 4:
        expectWireType(f, WT_LEN, 'request.cwd');
        req.cwd = view(r, f);
        break;
      case 5:
        expectWireType(f, WT_VARINT, 'request.pid');
        req.pid = f.int;
        break;
      case 6:
        expectWireType(f, WT_VARINT, 'request.stdio_follows');
        req.stdioFollows = f.int !== 0;
        break;
    }
  }
  return req;
}

function decodeWinsize(r: Reader): Winsize {
  const w = { rows: 0, cols: 0 };
  while (r.next(f)) {
    if (f.num === 1 || f.num === 2) {
      expectWireType(f, WT_VARINT, 'winsize');
      if (f.int > 0xffff) throw new ProtocolError('winsize is out of range');
      if (f.num === 1) w.rows = f.int;
      else w.cols = f.int;
    }
  }
  return w;
}

function decodeStdio(r: Reader): Stdio {
  const s: Stdio = { env: [], tty: false, winsize: null, closed: [] };
  const budget = new StringBudget('the environment');
  while (r.next(f)) {
    switch (f.num) {
      case 1:
        expectWireType(f, WT_LEN, 'stdio.env');
        budget.add(f.end - f.start);
        s.env.push(view(r, f));
        break;
      case 2:
        expectWireType(f, WT_VARINT, 'stdio.tty');
        s.tty = f.int !== 0;
        break;
      case 3:
        expectWireType(f, WT_LEN, 'stdio.winsize');
        s.winsize = decodeWinsize(new Reader(r.buf, f.start, f.end));
        break;
      case 4:
        expectWireType(f, WT_VARINT, 'stdio.closed');
        if (f.int > 7) throw new ProtocolError('stdio.closed is out of range');
        s.closed = [0, 1, 2].filter((i) => (f.int >> i) & 1);
        break;
    }
  }
  return s;
}

function decodeSignal(r: Reader): number {
  let signo = 0;
  while (r.next(f)) {
    if (f.num === 1) {
      expectWireType(f, WT_VARINT, 'signal.signo');
      if (f.int > 64) throw new ProtocolError('signal.signo is out of range');
      signo = f.int;
    }
  }
  return signo;
}

function decodeResize(r: Reader): Winsize {
  let winsize: Winsize | null = null;
  while (r.next(f)) {
    if (f.num === 1) {
      expectWireType(f, WT_LEN, 'resize.winsize');
      winsize = decodeWinsize(new Reader(r.buf, f.start, f.end));
    }
  }
  if (!winsize) throw new ProtocolError('resize without winsize');
  return winsize;
}

/** Decodes one ToBroker. Of the oneof's members, the last one wins, whole. */
export function decodeToBroker(payload: Uint8Array): ToBroker {
  try {
    return decodeToBrokerBody(payload);
  } catch (err) {
    if (err instanceof ProtocolError) throw new ProtocolError(`undecodable message: ${err.message}`);
    throw err;
  }
}

/** The oneof member of a ToBroker or ToWrapper (fields 1..4): its number
 * and a reader over its body. The last one seen wins, whole. */
function oneofMember(payload: Uint8Array, what: string): { num: number; body: Reader } {
  const r = new Reader(payload);
  let member: { num: number; start: number; end: number } | null = null;
  while (r.next(f)) {
    if (f.num >= 1 && f.num <= 4) {
      expectWireType(f, WT_LEN, `${what} member`);
      member = { num: f.num, start: f.start, end: f.end };
    }
  }
  if (!member) throw new ProtocolError('message with no known content');
  return { num: member.num, body: new Reader(payload, member.start, member.end) };
}

function decodeToBrokerBody(payload: Uint8Array): ToBroker {
  const { num, body } = oneofMember(payload, 'ToBroker');
  switch (num) {
    case 1:
      return { type: 'request', request: decodeRequest(body) };
    case 2:
      return { type: 'stdio', stdio: decodeStdio(body) };
    case 3:
      return { type: 'signal', signo: decodeSignal(body) };
    default:
      return { type: 'resize', winsize: decodeResize(body) };
  }
}

/** The Request of a fast-path record ("EXR1" + a Request, no ToBroker
 * around it: execgate.proto, "Transport"). */
export function decodeRunRecord(payload: Uint8Array): Request {
  try {
    return decodeRequest(new Reader(payload));
  } catch (err) {
    if (err instanceof ProtocolError) throw new ProtocolError(`undecodable run record: ${err.message}`);
    throw err;
  }
}

/** Decision reasons quote what the sandbox sent (paths, names): capped, so
 * that a reply always fits the wrapper's 64 KiB frame. */
export function capReason(reason: string): string {
  return reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
}

function winsizeBody(w: Writer, ws: Winsize): void {
  w.uint(1, ws.rows).uint(2, ws.cols);
}

export function encodeToWrapper(m: ToWrapper): Buffer {
  const w = new Writer();
  switch (m.type) {
    case 'decision':
      w.message(1, (d) => {
        d.uint(1, m.action);
        if (m.reason !== '') d.string(2, capReason(m.reason));
      });
      break;
    case 'sendStdio':
      w.message(2, (s) => m.envAllow.forEach((p) => s.string(1, p)));
      break;
    case 'exit':
      w.message(3, (e) => {
        if (m.code !== 0) e.tag(1, WT_VARINT).varint(m.code);
        e.uint(2, m.signal);
      });
      break;
    case 'stop':
      w.message(4, (s) => s.uint(1, m.signal));
      break;
  }
  return w.finish();
}

/** For tests and tools (the forged wrapper): the other direction. */
export function encodeToBroker(m: ToBrokerFields): Buffer {
  const w = new Writer();
  switch (m.type) {
    case 'request': {
      const q = m.request;
      w.message(1, (b) => {
        b.uint(1, q.kind);
        if (q.file.length > 0) b.bytes(2, q.file);
        q.argv.forEach((a) => b.bytes(3, a));
        if (q.cwd.length > 0) b.bytes(4, q.cwd);
        b.uint(5, q.pid);
        if (q.stdioFollows) b.uint(6, 1);
      });
      break;
    }
    case 'stdio':
      w.message(2, (b) => {
        m.stdio.env.forEach((e) => b.bytes(1, e));
        b.uint(2, m.stdio.tty ? 1 : 0);
        const ws = m.stdio.winsize;
        if (ws) b.message(3, (x) => winsizeBody(x, ws));
        b.uint(4, m.stdio.closed.reduce((bits, fd) => bits | (1 << fd), 0));
      });
      break;
    case 'signal':
      w.message(3, (b) => b.uint(1, m.signo));
      break;
    case 'resize':
      w.message(4, (b) => b.message(1, (x) => winsizeBody(x, m.winsize)));
      break;
  }
  return w.finish();
}

/** For tests and tools: what a wrapper would read. */
export function decodeToWrapper(payload: Uint8Array): ToWrapper {
  const { num, body: b } = oneofMember(payload, 'ToWrapper');
  switch (num) {
    case 1: {
      let action = 0;
      let reason = '';
      while (b.next(f)) {
        if (f.num === 1) action = f.int;
        if (f.num === 2) reason = view(b, f).toString('utf8');
      }
      return { type: 'decision', action: action as Action, reason };
    }
    case 2: {
      const envAllow: string[] = [];
      while (b.next(f)) if (f.num === 1) envAllow.push(view(b, f).toString('utf8'));
      return { type: 'sendStdio', envAllow };
    }
    case 3: {
      let code = 0;
      let signal = 0;
      while (b.next(f)) {
        if (f.num === 1) code = f.int | 0;
        if (f.num === 2) signal = f.int;
      }
      return { type: 'exit', code, signal };
    }
    default: {
      let signal = 0;
      while (b.next(f)) if (f.num === 1) signal = f.int;
      return { type: 'stop', signal };
    }
  }
}

// ---- Control socket: the native launcher ---------------------------------

/** Decodes a Launch frame from the control socket (the launcher is on the
 * host and runs as the user, but its frame is still checked like any other). */
export function decodeLaunch(payload: Uint8Array): Launch {
  const r = new Reader(payload);
  const m: Launch = { label: '', sandbox: '', cwd: EMPTY, project: EMPTY, bind: [], roBind: [], noNetwork: false, passEnv: [], env: [] };
  let entries = 0;
  const entry = (list: Buffer[]) => {
    if (++entries > MAX_LAUNCH_ENTRIES) throw new ProtocolError(`a launch request with over ${MAX_LAUNCH_ENTRIES} entries`);
    list.push(view(r, f));
  };
  while (r.next(f)) {
    if (f.num === 7) {
      expectWireType(f, WT_VARINT, 'launch.no_network');
      m.noNetwork = f.int !== 0;
      continue;
    }
    if (f.num < 1 || f.num > 9) continue;
    expectWireType(f, WT_LEN, `launch field ${f.num}`);
    switch (f.num) {
      case 1:
        m.label = view(r, f).toString('utf8');
        break;
      case 2:
        m.sandbox = view(r, f).toString('utf8');
        break;
      case 3:
        m.cwd = view(r, f);
        break;
      case 4:
        m.project = view(r, f);
        break;
      case 5:
        entry(m.bind);
        break;
      case 6:
        entry(m.roBind);
        break;
      case 8:
        entry(m.passEnv);
        break;
      case 9:
        entry(m.env);
        break;
    }
  }
  return m;
}

export function encodeLaunch(m: Launch): Buffer {
  const w = new Writer();
  if (m.label) w.string(1, m.label);
  if (m.sandbox) w.string(2, m.sandbox);
  if (m.cwd.length) w.bytes(3, m.cwd);
  if (m.project.length) w.bytes(4, m.project);
  m.bind.forEach((b) => w.bytes(5, b));
  m.roBind.forEach((b) => w.bytes(6, b));
  w.uint(7, m.noNetwork ? 1 : 0);
  m.passEnv.forEach((b) => w.bytes(8, b));
  m.env.forEach((b) => w.bytes(9, b));
  return w.finish();
}

export function encodeLaunched(m: Launched): Buffer {
  const w = new Writer();
  if (m.error) w.string(1, m.error);
  if (m.sessionId) w.string(2, m.sessionId);
  if (m.file.length) w.bytes(3, m.file);
  m.argv.forEach((b) => w.bytes(4, b));
  m.setEnv.forEach((b) => w.bytes(5, b));
  m.unsetEnv.forEach((b) => w.bytes(6, b));
  return w.finish();
}

export function decodeLaunched(payload: Uint8Array): Launched {
  const r = new Reader(payload);
  const m: Launched = { error: '', sessionId: '', file: EMPTY, argv: [], setEnv: [], unsetEnv: [] };
  while (r.next(f)) {
    if (f.num < 1 || f.num > 6) continue;
    expectWireType(f, WT_LEN, `launched field ${f.num}`);
    const v = view(r, f);
    if (f.num === 1) m.error = v.toString('utf8');
    else if (f.num === 2) m.sessionId = v.toString('utf8');
    else if (f.num === 3) m.file = v;
    else if (f.num === 4) m.argv.push(v);
    else if (f.num === 5) m.setEnv.push(v);
    else m.unsetEnv.push(v);
  }
  return m;
}
