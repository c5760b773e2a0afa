// The spec of one escalated command: what the supervisor reads first on the
// command's control channel (src/exec/spawn-protocol.ts and
// native/spawn/main.c describe the channel). A 4-byte big-endian length, then
// NUL-terminated "EGS2", file, dev, ino, tty ("" or "ROWS COLS"), closed
// (digits of fds 0-2, e.g. "1"), argc, argv..., envc, env...
//
// encodeSpawnSpec checks everything first and throws a SpawnSpecError before
// a byte is written or a process started: a command that cannot be encoded
// exactly must never half-start.
import { MAX_SPAWN_SPEC_BYTES, MAX_SPAWN_STRING_BYTES, MAX_SPAWN_STRINGS } from '../protocol/limits.js';

/** A file's identity: what stat(2) says, exactly (bigint: inode numbers may
 * exceed 2^53). */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

export interface HostCommand {
  /** Absolute host path of the program. */
  file: string;
  /** The program file's identity when it was approved: checked right before
   * exec, and the command is refused if the file changed since. */
  identity: FileIdentity;
  argv: Buffer[];
  /** "NAME=value" entries, exactly as the command will get them. */
  env: Buffer[];
  /** Set when the caller's stdin is a terminal: the pty's first size. */
  tty: { rows: number; cols: number } | null;
  /** Of fds 0-2, those the command must get closed (the caller's were). */
  closed: number[];
}

/** The command cannot be started as given: nothing was started. */
export class SpawnSpecError extends Error {
  readonly code = 'ERR_EXECGATE_SPAWN_SPEC';
  constructor(message: string) {
    super(message);
    this.name = 'SpawnSpecError';
  }
}

const MAGIC = 'EGS2';
const U64_MAX = (1n << 64n) - 1n;

function checkString(what: string, b: Buffer): void {
  if (b.includes(0)) throw new SpawnSpecError(`${what} contains a NUL byte`);
  if (b.length > MAX_SPAWN_STRING_BYTES) {
    throw new SpawnSpecError(`${what} is ${b.length} bytes, over the ${MAX_SPAWN_STRING_BYTES} execve takes`);
  }
}

function checkVector(what: string, v: Buffer[]): void {
  if (v.length > MAX_SPAWN_STRINGS) throw new SpawnSpecError(`${what} has ${v.length} entries, over the ${MAX_SPAWN_STRINGS} allowed`);
  v.forEach((b, i) => checkString(`${what}[${i}]`, b));
}

function checkSize(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 0xffff) throw new SpawnSpecError(`terminal ${what} ${n} is not in 1..65535`);
}

function checkIdentity(what: string, n: bigint): void {
  if (typeof n !== 'bigint' || n < 0n || n > U64_MAX) throw new SpawnSpecError(`program ${what} ${String(n)} is not a 64-bit number`);
}

/** Throws a SpawnSpecError naming the first thing wrong with cmd. */
export function validateHostCommand(cmd: HostCommand): void {
  const file = Buffer.from(cmd.file, 'utf8');
  if (!cmd.file.startsWith('/')) throw new SpawnSpecError(`program path ${JSON.stringify(cmd.file)} is not absolute`);
  checkString('program path', file);
  checkIdentity('device', cmd.identity.dev);
  checkIdentity('inode', cmd.identity.ino);
  if (cmd.argv.length === 0) throw new SpawnSpecError('argv is empty');
  checkVector('argv', cmd.argv);
  checkVector('env', cmd.env);
  if (cmd.tty) {
    checkSize('rows', cmd.tty.rows);
    checkSize('columns', cmd.tty.cols);
  }
  for (const fd of cmd.closed) {
    if (fd !== 0 && fd !== 1 && fd !== 2) throw new SpawnSpecError(`closed fd ${fd} is not one of 0, 1, 2`);
  }
  if (new Set(cmd.closed).size !== cmd.closed.length) throw new SpawnSpecError(`closed fds ${cmd.closed.join(',')} repeat`);
}

/** The spec's bytes, length prefix included; throws SpawnSpecError. */
export function encodeSpawnSpec(cmd: HostCommand): Buffer {
  validateHostCommand(cmd);
  const head = [
    MAGIC,
    cmd.file,
    cmd.identity.dev.toString(),
    cmd.identity.ino.toString(),
    cmd.tty ? `${cmd.tty.rows} ${cmd.tty.cols}` : '',
    cmd.closed.join(''),
  ].map((s) => Buffer.from(s, 'utf8'));
  const parts = [...head, Buffer.from(String(cmd.argv.length)), ...cmd.argv, Buffer.from(String(cmd.env.length)), ...cmd.env];
  // Each part and its NUL, after the 4-byte length.
  const size = parts.reduce((n, p) => n + p.length + 1, 0);
  if (size > MAX_SPAWN_SPEC_BYTES) {
    throw new SpawnSpecError(`argv and environment come to ${size} bytes, over the ${MAX_SPAWN_SPEC_BYTES} allowed`);
  }
  // Every byte is written below.
  const out = Buffer.allocUnsafe(4 + size);
  out.writeUInt32BE(size, 0);
  let at = 4;
  for (const p of parts) {
    at += p.copy(out, at);
    out[at++] = 0;
  }
  return out;
}
