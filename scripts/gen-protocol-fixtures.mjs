#!/usr/bin/env node
// Writes the protocol fixtures the C codec is tested against: one .bin per
// ToWrapper or ToBroker message, and cases.json saying what each one holds.
//
//   node scripts/gen-protocol-fixtures.mjs [OUTDIR]   (default test/fixtures/protocol)
//
// Well-formed messages are encoded by protobufjs from src/protocol/execgate.proto,
// the same library and file the broker uses; malformed and unusual ones are
// written byte by byte. test/native/protocol-fixtures.test.ts runs this into a
// temporary directory and checks the committed files are identical, so edit
// this script and rerun it rather than editing the fixtures.
//
// cases.json: { cases: [ { name, dir, ... } ] }, every byte string in hex.
//   dir "to_wrapper": the C decoder must produce `expect`:
//     { error: false, which: none|decision|send_stdio|exit, action, reason,
//       env_allow: [..], code, signal }  or  { error: true, why }
//     `js: false` marks the few inputs protobufjs reads differently (said in `why`).
//   dir "to_broker": `message` (request|stdio|signal|resize) and `input`; the C
//     encoder given `input` must write exactly the .bin (protobufjs's
//     canonical encoding: defaults left out, fields in number order).
//     `message` "record": a Request alone (what follows "EXR1" in a run record),
//     not inside a ToBroker.
//   dir "launch": the launcher's Launch; the C encoder given `input` (label,
//     sandbox, cwd, project, bind, ro_bind, no_network, pass_env, env) must
//     write exactly the .bin.
//   dir "launched": the broker's answer; the C decoder must produce `expect`:
//     { error: false, refusal (Launched.error), session_id, file, argv,
//       set_env, unset_env }  or  { error: true, why }; `js: false` as above.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const proto = protobuf.loadSync(join(root, 'src/protocol/execgate.proto'));
const ToWrapper = proto.lookupType('execgate.v1.ToWrapper');
const ToBroker = proto.lookupType('execgate.v1.ToBroker');
const Request = proto.lookupType('execgate.v1.Request');
const Launch = proto.lookupType('execgate.v1.Launch');
const Launched = proto.lookupType('execgate.v1.Launched');

const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (s) => Buffer.from(s, 'latin1');
const utf8 = (s) => Buffer.from(s, 'utf8');

// ---- raw wire writing, for what protobufjs would never produce ----------
function varint(v) {
  let n = BigInt(v);
  if (n < 0n) n += 1n << 64n;
  const out = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return out;
}
const tag = (num, wt) => varint((BigInt(num) << 3n) | BigInt(wt));
const len = (num, body) => [...tag(num, 2), ...varint(body.length), ...body];
const vint = (num, v) => [...tag(num, 0), ...varint(v)];
const raw = (...parts) => Uint8Array.from(parts.flat());

// ---- ToWrapper -----------------------------------------------------------
const cases = [];
const files = new Map();

function expectOf(fields) {
  return {
    error: false,
    which: 'none',
    action: 0,
    reason: '',
    env_allow: [],
    code: 0,
    signal: 0,
    ...fields,
  };
}

function toWrapper(name, msg, expect, extra = {}) {
  const bin = msg instanceof Uint8Array ? msg : ToWrapper.encode(ToWrapper.fromObject(msg)).finish();
  files.set(`${name}.bin`, Buffer.from(bin));
  cases.push({ name, dir: 'to_wrapper', expect: expectOf(expect), ...extra });
}

function malformed(name, bin, why) {
  files.set(`${name}.bin`, Buffer.from(bin));
  cases.push({ name, dir: 'to_wrapper', expect: { error: true, why } });
}

const RUN = 1, ESCALATE = 2, DENY = 3;

toWrapper('decision_run', { decision: { action: RUN } }, { which: 'decision', action: RUN });
toWrapper('decision_escalate', { decision: { action: ESCALATE } }, { which: 'decision', action: ESCALATE });
toWrapper('decision_deny_reason',
  { decision: { action: DENY, reason: 'no \u001b[31mred\u001b[0m here, caf\u00e9 \u{1f600}\n' } },
  { which: 'decision', action: DENY, reason: hex(utf8('no \u001b[31mred\u001b[0m here, caf\u00e9 \u{1f600}\n')) });
toWrapper('decision_unspecified', { decision: {} }, { which: 'decision', action: 0 });
toWrapper('decision_unknown_action', { decision: { action: 7 } }, { which: 'decision', action: 7 });
toWrapper('decision_negative_action', { decision: { action: -1 } }, { which: 'decision', action: -1 });
toWrapper('decision_long_reason', { decision: { action: DENY, reason: 'r'.repeat(20000) } },
  { which: 'decision', action: DENY, reason: hex(utf8('r'.repeat(20000))) });
toWrapper('send_stdio_empty', { sendStdio: {} }, { which: 'send_stdio' });
toWrapper('send_stdio_patterns', { sendStdio: { envAllow: ['TERM', 'LC_*', '*', ''] } },
  { which: 'send_stdio', env_allow: ['TERM', 'LC_*', '*', ''].map((s) => hex(utf8(s))) });
toWrapper('exit_code', { exit: { code: 7 } }, { which: 'exit', code: 7 });
toWrapper('exit_zero', { exit: {} }, { which: 'exit' });
toWrapper('exit_signal', { exit: { signal: 15 } }, { which: 'exit', signal: 15 });
toWrapper('exit_negative_code', { exit: { code: -1 } }, { which: 'exit', code: -1 });
toWrapper('exit_extremes', { exit: { code: -2147483648, signal: 4294967295 } },
  { which: 'exit', code: -2147483648, signal: 4294967295 });
toWrapper('empty', new Uint8Array(0), { which: 'none' });

// Unknown fields of every wire type, with the largest field number and the
// largest varint, around and inside the known ones.
const unknowns = [
  ...vint(15, 1),
  ...tag(536870911, 0), ...varint((1n << 64n) - 1n),
  ...tag(100, 1), 1, 2, 3, 4, 5, 6, 7, 8,
  ...len(2047, [0xff, 0x00, 0xfe]),
  ...tag(9, 5), 0xde, 0xad, 0xbe, 0xef,
];
toWrapper('unknown_fields',
  raw(unknowns, len(1, [...unknowns, ...vint(1, DENY), ...unknowns, ...len(2, [...bytes('why')]), ...unknowns]), unknowns),
  { which: 'decision', action: DENY, reason: hex(bytes('why')) });
toWrapper('unknown_only', raw(unknowns), { which: 'none' });
toWrapper('unknown_in_exit', raw(len(3, [...len(4, [1, 2]), ...vint(1, 3), ...tag(3, 5), 0, 0, 0, 0])),
  { which: 'exit', code: 3 });
// Varints need not be minimal; int32/uint32 keep the low 32 bits.
toWrapper('non_minimal_varint', raw([0x0a, 0x03, 0x08, 0x81, 0x00]), { which: 'decision', action: RUN });
toWrapper('exit_high_bits', raw(len(3, [...vint(1, (1n << 40n) + 9n), ...vint(2, (1n << 35n) + 2n)])),
  { which: 'exit', code: 9, signal: 2 },
  { js: false, why: 'protobufjs takes a 32-bit varint longer than 5 bytes to be 10 bytes long' });
// Last one wins: a scalar seen twice, an embedded message seen twice
// (replaced, not merged), a repeated field accumulates.
toWrapper('scalar_twice', raw(len(1, [...vint(1, DENY), ...vint(1, RUN)])), { which: 'decision', action: RUN });
toWrapper('decision_twice', raw(len(1, [...vint(1, DENY), ...len(2, [...bytes('first')])]), len(1, vint(1, RUN))),
  { which: 'decision', action: RUN });
toWrapper('decision_twice_replaces', raw(len(1, vint(1, DENY)), len(1, len(2, [...bytes('second')]))),
  { which: 'decision', action: 0, reason: hex(bytes('second')) });
toWrapper('send_stdio_twice', raw(len(2, len(1, [...bytes('A')])), len(2, len(1, [...bytes('B')]))),
  { which: 'send_stdio', env_allow: [hex(bytes('B'))] });
// Of the oneof members, the last one wins. protobufjs keeps both, so its
// result is not compared.
toWrapper('oneof_last_wins', raw(len(1, vint(1, RUN)), len(3, vint(1, 5))), { which: 'exit', code: 5 },
  { js: false, why: 'protobufjs sets every oneof member it sees' });
toWrapper('oneof_back_to_decision', raw(len(3, vint(1, 5)), len(1, vint(1, DENY))), { which: 'decision', action: DENY },
  { js: false, why: 'protobufjs sets every oneof member it sees' });
// Strings are bytes to the wrapper: not UTF-8 is not an error.
toWrapper('reason_not_utf8', raw(len(1, [...vint(1, DENY), ...len(2, [0xff, 0xfe, 0x1b, 0x9b, 0x80])])),
  { which: 'decision', action: DENY, reason: 'fffe1b9b80' },
  { js: false, why: 'protobufjs decodes strings to UTF-16 with replacement characters' });
toWrapper('allow_not_utf8', raw(len(2, len(1, [0xc3, 0x28]))), { which: 'send_stdio', env_allow: ['c328'] },
  { js: false, why: 'protobufjs decodes strings to UTF-16 with replacement characters' });

malformed('truncated_tag', raw([0x80]), 'a varint cut short');
malformed('truncated_length', raw([0x0a]), 'a length-delimited field without its length');
malformed('length_past_end', raw([0x0a, 0x05, 0x08, 0x01]), 'a length beyond the message');
malformed('nested_length_past_end', raw([0x0a, 0x04, 0x12, 0x05, 0x61, 0x62]), 'a nested length beyond its parent');
malformed('huge_length', raw([0x0a, ...varint((1n << 63n) + 5n)]), 'a length beyond any buffer');
malformed('overlong_varint', raw([0x1a, 0x0c, 0x08, ...Array(10).fill(0xff), 0x01]), 'an 11-byte varint');
malformed('varint_overflow', raw([0x1a, 0x0b, 0x08, ...Array(9).fill(0xff), 0x02]), 'a varint above 2^64-1');
malformed('truncated_varint_value', raw([0x1a, 0x02, 0x08, 0x80]), 'a value varint cut short');
malformed('truncated_fixed64', raw([...tag(100, 1), 1, 2, 3]), 'a fixed64 cut short');
malformed('truncated_fixed32', raw([...tag(100, 5), 1, 2, 3]), 'a fixed32 cut short');
malformed('group_start', raw([...tag(5, 3), ...tag(5, 4)]), 'a group (wire type 3)');
malformed('group_end', raw(tag(5, 4)), 'a stray end-group (wire type 4)');
malformed('wire_type_6', raw(tag(5, 6)), 'wire type 6 does not exist');
malformed('wire_type_7', raw(len(1, tag(2, 7))), 'wire type 7 does not exist, nested');
malformed('field_zero', raw([0x00, 0x00]), 'field number 0');
malformed('tag_above_32_bits', raw([...varint(1n << 35n), 0x00]), 'a field number beyond 2^29-1');
malformed('decision_as_varint', raw(vint(1, 1)), 'a known message field sent as a varint');
malformed('action_as_bytes', raw(len(1, len(1, [1]))), 'a known varint field sent length-delimited');
malformed('exit_code_as_fixed32', raw(len(3, [...tag(1, 5), 7, 0, 0, 0])), 'a known varint field sent as fixed32');
malformed('allow_as_varint', raw(len(2, vint(1, 5))), 'a known string field sent as a varint');
malformed('garbage_after_valid', raw(len(1, vint(1, RUN)), [0xff]), 'a valid Decision followed by a cut-short tag');

// ---- ToBroker --------------------------------------------------------------
// The C encoder writes proto3's canonical form, so the objects leave out every
// default value (protobufjs writes whatever is set, even a zero).
function toBroker(name, message, input) {
  const obj = {};
  const b = (h) => Buffer.from(h, 'hex');
  if (message === 'record') {
    const bin = Request.encode(Request.fromObject(requestObject(input))).finish();
    files.set(`${name}.bin`, Buffer.from(bin));
    cases.push({ name, dir: 'to_broker', message, input });
    return;
  }
  if (message === 'request') {
    obj.request = requestObject(input);
  } else if (message === 'stdio') {
    const s = {};
    if (input.env.length) s.env = input.env.map(b);
    if (input.tty) s.tty = true;
    if (input.winsize) s.winsize = winsize(input.winsize);
    obj.stdio = s;
  } else if (message === 'signal') {
    obj.signal = input.signo ? { signo: input.signo } : {};
  } else if (message === 'resize') {
    obj.resize = { winsize: winsize(input.winsize) };
  }
  const bin = ToBroker.encode(ToBroker.fromObject(obj)).finish();
  files.set(`${name}.bin`, Buffer.from(bin));
  cases.push({ name, dir: 'to_broker', message, input });
}
function requestObject(input) {
  const b = (h) => Buffer.from(h, 'hex');
  const r = {};
  if (input.kind) r.kind = input.kind;
  if (input.file) r.file = b(input.file);
  if (input.argv.length) r.argv = input.argv.map(b);
  if (input.cwd) r.cwd = b(input.cwd);
  if (input.pid) r.pid = input.pid;
  if (input.stdio_follows) r.stdioFollows = true;
  return r;
}
function winsize(ws) {
  const w = {};
  if (ws.rows) w.rows = ws.rows;
  if (ws.cols) w.cols = ws.cols;
  return w;
}
const request = (r) => ({ kind: 0, file: '', argv: [], cwd: '', pid: 0, stdio_follows: false, ...r });
const h = (s) => hex(typeof s === 'string' ? utf8(s) : s);

toBroker('request_exec', 'request',
  request({ file: h('/usr/bin/ls'), argv: ['ls', '-la', '--color=auto'].map(h), cwd: h('/work/project'), pid: 4242 }));
toBroker('request_empty', 'request', request({}));
toBroker('request_stdio_follows', 'request',
  request({ file: h('/usr/bin/git'), argv: ['git', 'push'].map(h), cwd: h('/work'), pid: 5, stdio_follows: true }));
toBroker('request_empty_args', 'request', request({ file: h('/bin/true'), argv: ['', '', 'x', ''].map(h) }));
toBroker('request_not_utf8', 'request', request({
  file: h(bytes('/tmp/\xff\xfe')),
  argv: [h(bytes('\xff\xfe')), h(bytes('\x1b[31m\n\t\x7f')), h(bytes('\xc3\x28\xe2\x82')), h(utf8('caf\u00e9 \u{1f600}'))],
  cwd: h(bytes('/tmp/\x80dir')),
  pid: 1,
}));
toBroker('request_run', 'request',
  request({ kind: 1, file: h('git'), argv: ['git', 'push', 'origin', 'main'].map(h), cwd: h('/work'), pid: 77 }));
toBroker('request_notify', 'request', request({ kind: 2, argv: ['notify', 'session-start'].map(h), pid: 9 }));
toBroker('request_max_pid', 'request', request({ file: h('/x'), argv: [h('x')], pid: 4294967295 }));
toBroker('request_long_args', 'request', request({
  file: h('/bin/echo'),
  argv: [h('echo'), h('a'.repeat(127)), h('b'.repeat(128)), h('c'.repeat(16383)), h('d'.repeat(16384)), h('e'.repeat(70000))],
  cwd: h('/'),
  pid: 2,
}));
toBroker('record_exec', 'record',
  request({ file: h('/usr/bin/ls'), argv: ['ls', '-la'].map(h), cwd: h('/work/project'), pid: 4242 }));
toBroker('record_not_utf8', 'record',
  request({ file: h(bytes('/tmp/\xff')), argv: [h(bytes('\xff\x1b')), h('')], cwd: h(bytes('/\x80')), pid: 4294967295 }));
toBroker('record_empty', 'record', request({}));
toBroker('stdio_full', 'stdio', {
  env: [h('TERM=xterm-256color'), h('LANG=C.UTF-8'), h('LC_ALL='), h(bytes('X=\xff\n'))],
  tty: true,
  winsize: { rows: 24, cols: 80 },
});
toBroker('stdio_empty', 'stdio', { env: [], tty: false, winsize: null });
toBroker('stdio_tty_no_winsize', 'stdio', { env: [h('TERM=dumb')], tty: true, winsize: null });
toBroker('stdio_zero_winsize', 'stdio', { env: [], tty: true, winsize: { rows: 0, cols: 0 } });
toBroker('stdio_big_winsize', 'stdio', { env: [], tty: true, winsize: { rows: 65535, cols: 4294967295 } });
toBroker('signal_int', 'signal', { signo: 2 });
toBroker('signal_zero', 'signal', { signo: 0 });
toBroker('signal_big', 'signal', { signo: 4294967295 });
toBroker('resize', 'resize', { winsize: { rows: 50, cols: 132 } });
toBroker('resize_zero', 'resize', { winsize: { rows: 0, cols: 0 } });
toBroker('resize_cols_only', 'resize', { winsize: { rows: 0, cols: 200 } });

// ---- Control socket: Launch (the launcher encodes), Launched (it decodes) ----
// The string fields (label, sandbox, error, session_id) are UTF-8 here, as
// protobufjs writes them; the C side treats them as bytes.
const launchInput = (l) => ({ label: '', sandbox: '', cwd: '', project: '', bind: [], ro_bind: [], no_network: false, pass_env: [], env: [], ...l });

function launch(name, input) {
  const b = (x) => Buffer.from(x, 'hex');
  const s = (x) => b(x).toString('utf8');
  const o = {};
  if (input.label) o.label = s(input.label);
  if (input.sandbox) o.sandbox = s(input.sandbox);
  if (input.cwd) o.cwd = b(input.cwd);
  if (input.project) o.project = b(input.project);
  if (input.bind.length) o.bind = input.bind.map(b);
  if (input.ro_bind.length) o.roBind = input.ro_bind.map(b);
  if (input.no_network) o.noNetwork = true;
  if (input.pass_env.length) o.passEnv = input.pass_env.map(b);
  if (input.env.length) o.env = input.env.map(b);
  const bin = Buffer.from(Launch.encode(Launch.fromObject(o)).finish());
  // The broker tells a Launch from a JSON op by its first byte.
  if (bin[0] === 0x7b) throw new Error(`${name}: a Launch must never begin with '{'`);
  files.set(`${name}.bin`, bin);
  cases.push({ name, dir: 'launch', input });
}

const launchedExpect = (e) => ({ error: false, refusal: '', session_id: '', file: '', argv: [], set_env: [], unset_env: [], ...e });

function launched(name, msg, expect, extra = {}) {
  const bin = msg instanceof Uint8Array ? msg : Launched.encode(Launched.fromObject(msg)).finish();
  files.set(`${name}.bin`, Buffer.from(bin));
  cases.push({ name, dir: 'launched', expect: launchedExpect(expect), ...extra });
}

function malformedLaunched(name, bin, why) {
  files.set(`${name}.bin`, Buffer.from(bin));
  cases.push({ name, dir: 'launched', expect: { error: true, why } });
}

launch('launch_full', launchInput({
  label: h('claude'), sandbox: h('bwrap'), cwd: h('/work/project/sub'), project: h('/work/project'),
  bind: ['/data:/mnt/data', '/cache'].map(h), ro_bind: ['/etc/ssl'].map(h), no_network: true,
  pass_env: ['AWS_PROFILE', 'GH_TOKEN'].map(h),
  env: [h('PATH=/usr/bin:/bin'), h('HOME=/root'), h(bytes('X=\xff\n\x1b')), h('EMPTY=')],
}));
launch('launch_shim', launchInput({ label: h('shim'), cwd: h('/home/u'), env: ['SHELL=/x/shim/bash', 'TERM=dumb'].map(h) }));
launch('launch_empty', launchInput({}));
launch('launch_empty_entries', launchInput({ bind: [h('')], ro_bind: ['', ''].map(h), pass_env: [h('')], env: ['', 'A='].map(h) }));
launch('launch_not_utf8', launchInput({
  label: h('caf\u00e9 \u{1f600}'), cwd: h(bytes('/tmp/\xff\xfe')), project: h(bytes('/\x80')),
  bind: [h(bytes('\xc3\x28:/x'))], env: [h(bytes('\xff=\xfe'))],
}));
launch('launch_long_env', launchInput({ sandbox: h('none'), env: [h(`BIG=${'v'.repeat(100000)}`), h('B=2')] }));

launched('launched_ok', {
  sessionId: 's-17', file: Buffer.from('/usr/bin/bwrap'),
  argv: ['bwrap', '--die-with-parent', '--', '/x/bash'].map((x) => Buffer.from(x)),
  setEnv: ['EXECGATE_SOCKET=87', 'EXEC_WRAPPER=/x/wrapper', 'PATH=/x/bin:/usr/bin'].map((x) => Buffer.from(x)),
  unsetEnv: ['LD_PRELOAD', 'BASH_ENV'].map((x) => Buffer.from(x)),
}, {
  session_id: h('s-17'), file: h('/usr/bin/bwrap'), argv: ['bwrap', '--die-with-parent', '--', '/x/bash'].map(h),
  set_env: ['EXECGATE_SOCKET=87', 'EXEC_WRAPPER=/x/wrapper', 'PATH=/x/bin:/usr/bin'].map(h),
  unset_env: ['LD_PRELOAD', 'BASH_ENV'].map(h),
});
launched('launched_error', { error: 'no such project: /nope \u001b[31m' }, { refusal: h('no such project: /nope \u001b[31m') });
launched('launched_empty', new Uint8Array(0), {});
launched('launched_empty_entries',
  { argv: [Buffer.alloc(0), Buffer.from('x')], setEnv: [Buffer.alloc(0)], unsetEnv: [Buffer.alloc(0)] },
  { argv: ['', h('x')], set_env: [''], unset_env: [''] });
launched('launched_unknown_fields',
  raw(unknowns, len(3, [...bytes('/bin/bash')]), unknowns, len(4, [...bytes('bash')]), unknowns, len(4, [...bytes('-l')])),
  { file: h('/bin/bash'), argv: ['bash', '-l'].map(h) });
launched('launched_file_twice', raw(len(3, [...bytes('/first')]), len(4, [...bytes('a')]), len(3, [...bytes('/second')])),
  { file: h('/second'), argv: [h('a')] });
launched('launched_error_not_utf8', raw(len(1, [0xff, 0x1b, 0x9b])), { refusal: 'ff1b9b' },
  { js: false, why: 'protobufjs decodes strings to UTF-16 with replacement characters' });
malformedLaunched('launched_file_as_varint', raw(vint(3, 5)), 'a bytes field sent as a varint');
malformedLaunched('launched_argv_as_fixed32', raw([...tag(4, 5), 1, 2, 3, 4]), 'a repeated bytes field sent as fixed32');
malformedLaunched('launched_error_as_varint', raw(vint(1, 1)), 'a string field sent as a varint');
malformedLaunched('launched_truncated', raw([0x1a, 0x05, 0x2f]), 'a length beyond the message');
malformedLaunched('launched_group', raw(tag(3, 3), tag(3, 4)), 'a group (wire type 3)');
malformedLaunched('launched_truncated_tag', raw(len(3, [...bytes('/x')]), [0x80]), 'a valid file followed by a cut-short tag');

// ---- write -----------------------------------------------------------------
const out = resolve(process.argv[2] ?? join(root, 'test/fixtures/protocol'));
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.bin') || f === 'cases.json') rmSync(join(out, f));
for (const [name, data] of files) writeFileSync(join(out, name), data);
writeFileSync(join(out, 'cases.json'), `${JSON.stringify({ cases }, null, 1)}\n`);
console.log(`${files.size} fixtures in ${out}`);
