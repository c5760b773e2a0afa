import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Action, Kind, ProtocolError, decodeToBroker, decodeToWrapper, encodeToBroker, encodeToWrapper } from '../../../src/protocol/messages.js';
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
