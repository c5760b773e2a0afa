// The protocol fixtures the C codec is tested against (test/fixtures/protocol)
// cannot drift from the generator, protobufjs reads them as cases.json says,
// and protobufjs reads what the C encoder writes (native/test/encode_cases.c)
// as the inputs it was given, byte for byte in canonical form.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot, protoPath } from '../../src/native/paths.js';

const fixturesDir = join(packageRoot, 'test', 'fixtures', 'protocol');
const generator = join(packageRoot, 'scripts', 'gen-protocol-fixtures.mjs');
const proto = protobuf.loadSync(protoPath);
const ToWrapper = proto.lookupType('execgate.v1.ToWrapper');
const ToBroker = proto.lookupType('execgate.v1.ToBroker');
const Request = proto.lookupType('execgate.v1.Request');
const Launch = proto.lookupType('execgate.v1.Launch');
const Launched = proto.lookupType('execgate.v1.Launched');

interface WrapperExpect {
  error: boolean;
  why?: string;
  which?: 'none' | 'decision' | 'send_stdio' | 'exit';
  action?: number;
  reason?: string;
  env_allow?: string[];
  code?: number;
  signal?: number;
}
interface Winsize {
  rows: number;
  cols: number;
}
interface BrokerInput {
  kind?: number;
  file?: string;
  argv?: string[];
  cwd?: string;
  pid?: number;
  stdio_follows?: boolean;
  env?: string[];
  tty?: boolean;
  winsize?: Winsize | null;
  signo?: number;
}
interface LaunchInput {
  label: string;
  sandbox: string;
  cwd: string;
  project: string;
  bind: string[];
  ro_bind: string[];
  no_network: boolean;
  pass_env: string[];
  env: string[];
}
interface LaunchedExpect {
  error: boolean;
  why?: string;
  refusal?: string;
  session_id?: string;
  file?: string;
  argv?: string[];
  set_env?: string[];
  unset_env?: string[];
}
interface Case {
  name: string;
  dir: 'to_wrapper' | 'to_broker' | 'launch' | 'launched';
  expect?: WrapperExpect & LaunchedExpect;
  js?: boolean;
  message?: 'request' | 'record' | 'stdio' | 'signal' | 'resize';
  input?: BrokerInput & LaunchInput;
}

const cases: Case[] = JSON.parse(readFileSync(join(fixturesDir, 'cases.json'), 'utf8')).cases;
const fixture = (name: string): Buffer => readFileSync(join(fixturesDir, `${name}.bin`));
const hex = (b: Uint8Array | undefined | null): string => Buffer.from(b ?? []).toString('hex');

// protobufjs messages as plain values in cases.json's terms.
/* eslint-disable @typescript-eslint/no-explicit-any */
function wrapperView(m: any): WrapperExpect {
  const which = m.decision ? 'decision' : m.sendStdio ? 'send_stdio' : m.exit ? 'exit' : 'none';
  return {
    error: false,
    which,
    action: m.decision?.action ?? 0,
    reason: hex(Buffer.from(m.decision?.reason ?? '', 'utf8')),
    env_allow: (m.sendStdio?.envAllow ?? []).map((s: string) => hex(Buffer.from(s, 'utf8'))),
    code: m.exit?.code ?? 0,
    signal: m.exit?.signal ?? 0,
  };
}

function winsizeView(w: any): Winsize | null {
  return w ? { rows: w.rows ?? 0, cols: w.cols ?? 0 } : null;
}

function requestInput(r: any): BrokerInput {
  return { kind: r.kind ?? 0, file: hex(r.file), argv: (r.argv ?? []).map(hex), cwd: hex(r.cwd), pid: r.pid ?? 0, stdio_follows: !!r.stdioFollows };
}

function brokerView(m: any): { message: string; input: BrokerInput } {
  if (m.request) return { message: 'request', input: requestInput(m.request) };
  if (m.stdio) {
    const s = m.stdio;
    return { message: 'stdio', input: { env: (s.env ?? []).map(hex), tty: !!s.tty, winsize: winsizeView(s.winsize) } };
  }
  if (m.signal) return { message: 'signal', input: { signo: m.signal.signo ?? 0 } };
  if (m.resize) return { message: 'resize', input: { winsize: winsizeView(m.resize.winsize) } };
  return { message: 'none', input: {} };
}

/** A to_broker case's bytes as protobufjs reads them; a record is a Request
 * alone, the rest are ToBroker messages. Also re-encoded, for canonical form. */
function decodeToBroker(c: Case, bin: Buffer): { view: { message: string; input: BrokerInput }; again: Buffer } {
  if (c.message === 'record') {
    const m = Request.decode(bin);
    return { view: { message: 'record', input: requestInput(m) }, again: Buffer.from(Request.encode(m).finish()) };
  }
  const m = ToBroker.decode(bin);
  return { view: brokerView(m), again: Buffer.from(ToBroker.encode(m).finish()) };
}

const utf8Hex = (s: string | undefined): string => hex(Buffer.from(s ?? '', 'utf8'));

function launchView(m: any): LaunchInput {
  return {
    label: utf8Hex(m.label),
    sandbox: utf8Hex(m.sandbox),
    cwd: hex(m.cwd),
    project: hex(m.project),
    bind: (m.bind ?? []).map(hex),
    ro_bind: (m.roBind ?? []).map(hex),
    no_network: !!m.noNetwork,
    pass_env: (m.passEnv ?? []).map(hex),
    env: (m.env ?? []).map(hex),
  };
}

function launchedView(m: any): LaunchedExpect {
  return {
    error: false,
    refusal: utf8Hex(m.error),
    session_id: utf8Hex(m.sessionId),
    file: hex(m.file),
    argv: (m.argv ?? []).map(hex),
    set_env: (m.setEnv ?? []).map(hex),
    unset_env: (m.unsetEnv ?? []).map(hex),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

describe('protocol fixtures', () => {
  it('are exactly what scripts/gen-protocol-fixtures.mjs writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-fixtures-'));
    try {
      execFileSync(process.execPath, [generator, dir], { stdio: 'pipe' });
      const fresh = readdirSync(dir).sort();
      const committed = readdirSync(fixturesDir).sort();
      expect(committed).toEqual(fresh);
      for (const f of fresh) {
        expect(readFileSync(join(fixturesDir, f)).equals(readFileSync(join(dir, f))), `${f} differs: rerun the generator`).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cover what they should', () => {
    const wrapper = cases.filter((c) => c.dir === 'to_wrapper');
    const broker = cases.filter((c) => c.dir === 'to_broker');
    expect(wrapper.filter((c) => c.expect!.error).length).toBeGreaterThanOrEqual(15);
    expect(wrapper.filter((c) => !c.expect!.error).length).toBeGreaterThanOrEqual(25);
    expect(broker.map((c) => c.message)).toEqual(expect.arrayContaining(['request', 'record', 'stdio', 'signal', 'resize']));
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('ToWrapper: protobufjs reads each well-formed one as cases.json says', () => {
    let checked = 0;
    for (const c of cases) {
      if (c.dir !== 'to_wrapper' || c.expect!.error || c.js === false) continue;
      const m = ToWrapper.decode(fixture(c.name));
      expect(wrapperView(m), c.name).toEqual(c.expect);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('Launch: each fixture is protobufjs canonical encoding of its input, never starting with "{"', () => {
    const launches = cases.filter((c) => c.dir === 'launch');
    expect(launches.length).toBeGreaterThanOrEqual(5);
    for (const c of launches) {
      const bin = fixture(c.name);
      const m = Launch.decode(bin);
      expect(launchView(m), c.name).toEqual(c.input);
      expect(Buffer.from(Launch.encode(m).finish()).equals(bin), c.name).toBe(true);
      expect(bin[0], c.name).not.toBe(0x7b);
    }
  });

  it('Launched: protobufjs reads each well-formed one as cases.json says', () => {
    let checked = 0;
    for (const c of cases) {
      if (c.dir !== 'launched' || c.expect!.error || c.js === false) continue;
      expect(launchedView(Launched.decode(fixture(c.name))), c.name).toEqual(c.expect);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it('ToWrapper: protobufjs rejects the cut-short ones too', () => {
    // Not every malformed case (protobufjs reads a wrong wire type as the
    // declared one, accepts groups and clamps a nested string to the buffer):
    // these truncations are common ground.
    for (const name of ['truncated_tag', 'truncated_length', 'length_past_end', 'truncated_fixed64', 'truncated_varint_value']) {
      expect(() => ToWrapper.decode(fixture(name)), name).toThrow();
    }
  });

  it('ToBroker: each fixture is protobufjs canonical encoding of its input', () => {
    for (const c of cases) {
      if (c.dir !== 'to_broker') continue;
      const bin = fixture(c.name);
      const { view, again } = decodeToBroker(c, bin);
      expect(view, c.name).toEqual({ message: c.message, input: c.input });
      expect(again.equals(bin), c.name).toBe(true);
    }
  });
});

describe('the C encoder, read by protobufjs', () => {
  let dir = '';
  let encoded = new Map<string, Buffer>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eg-encode-'));
    const exe = join(dir, 'encode_cases');
    const cc = process.env.CC ?? 'cc';
    execFileSync(
      cc,
      [
        '-std=c11', '-O2', '-D_GNU_SOURCE',
        `-I${join(packageRoot, 'native', 'common')}`, `-I${join(packageRoot, 'native', 'launch')}`,
        join(packageRoot, 'native', 'test', 'encode_cases.c'), join(packageRoot, 'native', 'common', 'codec.c'),
        join(packageRoot, 'native', 'launch', 'messages.c'),
        '-o', exe,
      ],
      { stdio: 'pipe' },
    );
    const out = execFileSync(exe, [fixturesDir], { maxBuffer: 64 << 20, encoding: 'utf8' });
    encoded = new Map(
      out
        .trim()
        .split('\n')
        .map((line) => {
          const [name, h] = line.split(' ');
          return [name!, Buffer.from(h ?? '', 'hex')] as const;
        }),
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('encodes every to_broker case to what protobufjs reads back as the input, canonically', () => {
    const broker = cases.filter((c) => c.dir === 'to_broker');
    expect(broker.length).toBeGreaterThan(10);
    for (const c of broker) {
      const bin = encoded.get(c.name);
      expect(bin, c.name).toBeDefined();
      const { view, again } = decodeToBroker(c, bin!);
      expect(view, c.name).toEqual({ message: c.message, input: c.input });
      // protobufjs writes back exactly the same bytes: defaults left out,
      // fields in order (and it is the fixture protobufjs wrote).
      expect(again.equals(bin!), c.name).toBe(true);
      expect(bin!.equals(fixture(c.name)), c.name).toBe(true);
    }
  });

  it('encodes every Launch to what protobufjs reads back as the input, canonically', () => {
    const launches = cases.filter((c) => c.dir === 'launch');
    for (const c of launches) {
      const bin = encoded.get(c.name);
      expect(bin, c.name).toBeDefined();
      const m = Launch.decode(bin!);
      expect(launchView(m), c.name).toEqual(c.input);
      expect(Buffer.from(Launch.encode(m).finish()).equals(bin!), c.name).toBe(true);
      expect(bin!.equals(fixture(c.name)), c.name).toBe(true);
    }
  });

  it('encodes `echo $(seq 1 100000)`', () => {
    const bin = encoded.get('gen_seq')!;
    const argv = ['echo', ...Array.from({ length: 100000 }, (_, i) => String(i + 1))];
    const m = ToBroker.decode(bin);
    expect(brokerView(m)).toEqual({
      message: 'request',
      input: { kind: 0, file: hex(Buffer.from('/bin/echo')), argv: argv.map((a) => hex(Buffer.from(a))), cwd: hex(Buffer.from('/tmp')), pid: 123, stdio_follows: false },
    });
    expect(Buffer.from(ToBroker.encode(m).finish()).equals(bin)).toBe(true);
  });

  it('encodes every byte value in argv unchanged', () => {
    const bin = encoded.get('gen_bytes')!;
    const bytes = Array.from({ length: 255 }, (_, i) => i + 1);
    const argv = [...bytes.map((b) => Buffer.from([b])), Buffer.from(bytes)];
    const m = ToBroker.decode(bin);
    expect(brokerView(m)).toEqual({
      message: 'request',
      input: { kind: 1, file: hex(Buffer.from('x')), argv: argv.map(hex), cwd: '', pid: 4294967295, stdio_follows: false },
    });
  });
});
