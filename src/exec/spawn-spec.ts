// The bytes execgate-spawn reads on fd 3 (native/spawn/main.c documents it):
// a 4-byte big-endian length, then NUL-terminated "EGS1", file, cwd, tty
// ("" or "ROWS COLS"), closed (digits of fds 0-2, e.g. "1"), argc, argv...,
// envc, env...
export interface HostCommand {
  /** Absolute host path of the program. */
  file: string;
  argv: Buffer[];
  /** Absolute host working directory. */
  cwd: string;
  /** "NAME=value" entries, exactly as the command will get them. */
  env: Buffer[];
  /** Set when the caller's stdin is a terminal: the pty's first size. */
  tty: { rows: number; cols: number } | null;
  /** Of fds 0-2, those the command must get closed (the caller's were). */
  closed: number[];
}

const NUL = Buffer.from([0]);

export function encodeSpawnSpec(cmd: HostCommand): Buffer {
  const parts: Buffer[] = [];
  const add = (b: Buffer) => {
    if (b.includes(0)) throw new Error('argument contains a NUL byte');
    parts.push(b, NUL);
  };
  add(Buffer.from('EGS1'));
  add(Buffer.from(cmd.file, 'utf8'));
  add(Buffer.from(cmd.cwd, 'utf8'));
  add(Buffer.from(cmd.tty ? `${cmd.tty.rows} ${cmd.tty.cols}` : ''));
  add(Buffer.from(cmd.closed.join('')));
  add(Buffer.from(String(cmd.argv.length)));
  cmd.argv.forEach(add);
  add(Buffer.from(String(cmd.env.length)));
  cmd.env.forEach(add);
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}
