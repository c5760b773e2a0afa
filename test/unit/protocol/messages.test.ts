import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Action, Kind, ProtocolError, decodeLaunch, decodeLaunched, decodeToBroker, decodeToWrapper, encodeLaunch, encodeLaunched, encodeToBroker, encodeToWrapper } from '../../../src/protocol/messages.js';
import { protoPath } from '../../../src/native/paths.js';

describe('protocol messages', () => {
  it('round-trips a request with non-UTF-8 argv byte for byte', () => {
    const weird = Buffer.from([0xff, 0xfe, 0x41, 0x80, 0x0a]);
    const bytes = encodeToBroker({ type: 'request', request: { kind: Kind.EXEC, file: Buffer.from('/bin/echo'), argv: [Buffer.from('echo'), weird], cwd: Buffer.from('/tmp'), pid: 1234 } });
    const m = decodeToBroker(bytes);
    expect(m.type).toBe('request');
    if (m.type !== 'request') return;
    expect(m.request.argv[1]!.equals(weird)).toBe(true);
    expect(m.request.file.toString()).toBe('/bin/echo');
    expect(m.request.pid).toBe(1234);
    expect(m.request.kind).toBe(Kind.EXEC);
  });

  it('decodes absent bytes fields as empty (a notify request has no file)', () => {
    const m = decodeToBroker(encodeToBroker({ type: 'request', request: { kind: Kind.NOTIFY, file: Buffer.alloc(0), argv: [Buffer.from('notify'), Buffer.from('busy')], cwd: Buffer.alloc(0), pid: 0 } }));
    expect(m).toMatchObject({ type: 'request', request: { kind: Kind.NOTIFY, file: Buffer.alloc(0), cwd: Buffer.alloc(0) } });
  });

  it('decodes every reply the wrapper can get', () => {
    expect(decodeToWrapper(encodeToWrapper({ type: 'decision', action: Action.DENY, reason: 'no' }))).toEqual({ type: 'decision', action: Action.DENY, reason: 'no' });
    expect(decodeToWrapper(encodeToWrapper({ type: 'sendStdio', envAllow: ['TERM', 'LC_*'] }))).toEqual({ type: 'sendStdio', envAllow: ['TERM', 'LC_*'] });
    expect(decodeToWrapper(encodeToWrapper({ type: 'exit', code: 0, signal: 15 }))).toEqual({ type: 'exit', code: 0, signal: 15 });
  });

  it('rejects garbage, empty messages and out-of-range values with ProtocolError', () => {
    expect(() => decodeToBroker(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toThrow(ProtocolError);
    expect(() => decodeToBroker(Buffer.alloc(0))).toThrow(ProtocolError);
    const root = protobuf.loadSync(protoPath);
    const T = root.lookupType('execgate.v1.ToBroker');
    const badKind = T.encode(T.fromObject({ request: { kind: 99 } })).finish();
    expect(() => decodeToBroker(badKind)).toThrow(/unknown request kind/);
    const badSignal = T.encode(T.fromObject({ signal: { signo: 1000 } })).finish();
    expect(() => decodeToBroker(badSignal)).toThrow(/out of range/);
    const noWinsize = T.encode(T.fromObject({ resize: {} })).finish();
    expect(() => decodeToBroker(noWinsize)).toThrow(/winsize/);
  });

  it('survives random bytes without throwing anything but ProtocolError', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      try {
        decodeToBroker(buf);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    }
  });
});

// The codec is written by hand: protobufjs, reading the .proto itself, is
// the reference it is held to, in both directions.
describe('the hand-written codec agrees with protobufjs', () => {
  const root = protobuf.loadSync(protoPath);
  const ToBroker = root.lookupType('execgate.v1.ToBroker');
  const ToWrapper = root.lookupType('execgate.v1.ToWrapper');
  const LaunchT = root.lookupType('execgate.v1.Launch');
  const LaunchedT = root.lookupType('execgate.v1.Launched');
  const b = (s: string | number[]) => Buffer.from(s as string);

  const toBroker = [
    { request: { kind: 0, file: b('/bin/ls'), argv: [b('ls'), b([0xff, 0]), b('')], cwd: b('/p'), pid: 4_000_000_000 } },
    { request: { kind: 3, file: b('/usr/bin/git'), argv: [b('git')], cwd: b(''), pid: 0 } },
    { stdio: { env: [b('TERM=xterm'), b([0x4c, 0x3d, 0x80])], tty: true, winsize: { rows: 50, cols: 200 }, closed: 5 } },
    { stdio: { env: [], tty: false, closed: 0 } },
    { signal: { signo: 15 } },
    { resize: { winsize: { rows: 1, cols: 65535 } } },
  ];

  it.each(toBroker.map((m) => [Object.keys(m)[0]!, m] as const))('ToBroker %s: protobufjs bytes decode to the same values, ours decode in protobufjs', (_name, obj) => {
    const theirs = ToBroker.encode(ToBroker.fromObject(obj)).finish();
    const ours = decodeToBroker(theirs);
    const again = ToBroker.toObject(ToBroker.decode(encodeToBroker(ours as never)), { defaults: true, bytes: Buffer }) as Record<string, Record<string, unknown>>;
    const want = ToBroker.toObject(ToBroker.decode(theirs), { defaults: true, bytes: Buffer });
    expect(again).toEqual(want);
  });

  it('ToWrapper: every message we encode is the one protobufjs encodes', () => {
    const cases = [
      { type: 'decision', action: Action.DENY, reason: 'no way: ✗' },
      { type: 'decision', action: Action.RUN, reason: '' },
      { type: 'sendStdio', envAllow: ['TERM', 'LC_*'] },
      { type: 'exit', code: 255, signal: 0 },
      { type: 'exit', code: -1, signal: 0 },
      { type: 'exit', code: 0, signal: 9 },
      { type: 'stop', signal: 20 },
    ] as const;
    for (const m of cases) {
      const body =
        m.type === 'decision' ? { decision: { action: m.action, reason: m.reason } }
        : m.type === 'sendStdio' ? { sendStdio: { envAllow: m.envAllow } }
        : m.type === 'exit' ? { exit: { code: m.code, signal: m.signal } }
        : { stop: { signal: m.signal } };
      // protobufjs writes fields set to their default; we leave them out:
      // the same message either way, as protobufjs itself reads it.
      const read = (bytes: Uint8Array) => ToWrapper.toObject(ToWrapper.decode(bytes), { defaults: true });
      expect(read(encodeToWrapper(m))).toEqual(read(ToWrapper.encode(ToWrapper.fromObject(body)).finish()));
      expect(decodeToWrapper(encodeToWrapper(m))).toEqual(m);
    }
  });

  it('Launch and Launched round-trip through protobufjs', () => {
    const launch = { label: 'agent-1', sandbox: 'bwrap', cwd: b('/p'), project: b('/p'), bind: [b('/a:/b')], roBind: [b('/c')], noNetwork: true, passEnv: [b('API_KEY')], env: [b('TERM=x'), b([0x41, 0x3d, 0xff])] };
    const theirs = LaunchT.encode(LaunchT.fromObject(launch)).finish();
    expect(decodeLaunch(theirs)).toEqual(launch);
    expect(Buffer.from(encodeLaunch(launch)).equals(Buffer.from(theirs))).toBe(true);
    const launched = { error: '', sessionId: 'abcd', file: b('/usr/bin/bwrap'), argv: [b('bwrap'), b('--')], setEnv: [b('A=1')], unsetEnv: [b('B')] };
    const enc = encodeLaunched(launched);
    expect(LaunchedT.toObject(LaunchedT.decode(enc), { bytes: Buffer })).toEqual({ sessionId: 'abcd', file: b('/usr/bin/bwrap'), argv: launched.argv, setEnv: launched.setEnv, unsetEnv: launched.unsetEnv });
    expect(decodeLaunched(enc)).toEqual(launched);
  });

  it('a Launch frame never begins with "{", so the control socket can tell it from JSON', () => {
    const empty = encodeLaunch({ label: '', sandbox: '', cwd: Buffer.alloc(0), project: Buffer.alloc(0), bind: [], roBind: [], noNetwork: false, passEnv: [], env: [] });
    // An empty Launch is empty; the launcher always sends its cwd at least.
    expect(empty.length).toBe(0);
    for (const first of [1, 2, 3, 4, 5, 6, 7, 8, 9]) expect(((first << 3) | 2) & 0xff).not.toBe(0x7b);
  });
});

describe('sizes are counted before anything is made', () => {
  it('refuses argv that execve could not take, without materialising it', () => {
    // 300,000 empty arguments: 2.7 MB counted as execve counts them.
    const many = Array.from({ length: 300_000 }, () => Buffer.alloc(0));
    const bytes = encodeToBroker({ type: 'request', request: { kind: Kind.EXEC, file: Buffer.from('/bin/true'), argv: many, cwd: Buffer.from('/'), pid: 1 } });
    expect(() => decodeToBroker(bytes)).toThrow(/larger than execve accepts/);
  });

  it('accepts what execve takes, and argv is only made when read', () => {
    const some = Array.from({ length: 100_000 }, (_, i) => Buffer.from(String(i)));
    const m = decodeToBroker(encodeToBroker({ type: 'request', request: { kind: Kind.EXEC, file: Buffer.from('/bin/true'), argv: some, cwd: Buffer.from('/'), pid: 1 } }));
    if (m.type !== 'request') throw new Error('not a request');
    expect(m.request.argc).toBe(100_000);
    expect(m.request.argv[99_999]!.toString()).toBe('99999');
  });

  it('caps decision reasons so a reply fits the wrapper frame', () => {
    const long = 'x'.repeat(100_000);
    const enc = encodeToWrapper({ type: 'decision', action: Action.DENY, reason: long });
    expect(enc.length).toBeLessThan(64 * 1024);
    expect((decodeToWrapper(enc) as { reason: string }).reason.endsWith('…')).toBe(true);
  });
});
