// The broker's side of the spawn protocol: between the broker and its
// `execgate-spawn` server, and between the broker and each command's
// supervisor. native/spawn/main.c has the same description; the two are the
// one place it is written down.
//
// Start. The broker runs `execgate-spawn` with no arguments, in a session of
// its own, with fd 3 its end of an AF_UNIX SOCK_SEQPACKET socketpair (the
// server socket), 0 and 1 /dev/null, 2 the broker's stderr, an empty
// environment; any other fd it finds open it closes first. One server per
// broker, started at the first escalation, and again at the next one if it
// died.
//
// Server socket, broker -> server, one message per command: the 4 bytes
// "EGC1" and, by SCM_RIGHTS, exactly one fd: the supervisor's end of a fresh
// AF_UNIX SOCK_STREAM socketpair, the command's control channel. The server
// forks a supervisor for it, closes its copy, reaps supervisors as they end,
// and exits when the broker's end closes; supervisors then keep running
// until their commands end. The spec is not in this message: a seqpacket
// message is capped by the socket buffer (~208 KiB) where argv + env may be
// megabytes; a 4-byte message can wait in a queue without the broker holding
// anybody's fds; and a large spec goes straight to its own supervisor
// instead of queueing in front of every other session's.
//
// Server socket, server -> broker: "EGR1" and exactly one fd: the broker's
// end of the control channel of a spare, a supervisor forked ahead of time
// and waiting for a spec. The broker receives it as soon as it comes (an
// unreceived unix socket is "in flight", and while any is, the kernel
// queues its fd garbage collector at every close of a unix socket), holds
// it, and at the next command sends the spec on it instead of making a
// channel and sending "EGC1": no fork and no hop through the server between
// the decision and the command. A supervisor forks its command's process
// before the spec comes, and that process reads the spec and execs: no fork
// either (native/spawn/supervise.c). One spare is out at a time; the server
// forks the next once one has started its command. A spare whose channel
// the broker closes unused exits. When there is none (the first command,
// commands back to back), "EGC1" as above.
//
// Control channel, broker -> supervisor: first the spec (spawn-spec.ts), with
// 4 fds by SCM_RIGHTS on its first byte: the pinned working directory (an
// O_DIRECTORY fd, entered with fchdir, never a path: pin.ts), then the
// caller's stdin, stdout and stderr. Then lines:
//   "K SIG"        signal the command's process group
//   "W ROWS COLS"  the caller's window size (pty only)
//   "I 0"          stop reading the caller's terminal: the command is being
//                  stopped and the caller's shell takes the terminal back.
//                  Reading resumes when the command continues, which the
//                  supervisor sees itself (there is no "I 1").
// End of file: the broker is gone; the command's group gets SIGHUP, as on a
// closed terminal.
//
// Control channel, supervisor -> broker, lines:
//   "P PID"        the command has its spec and is about to exec: PID is
//                  its pid and process group
//   "S SIG"        the command stopped (on SIG); the caller's job stops too
//   "X CODE SIG"   the command ended: exit status CODE (SIG 0), or killed by
//                  SIG (CODE 0). The last line; the supervisor exits.
// A command that cannot start (bad spec, no pty, the working directory cannot
// be entered, the program file changed since it was approved, exec failed)
// gets one line "execgate: ..." on its stderr and "X 126 0" ("X 127 0" when
// the program does not exist), as from a shell. End of file without "X"
// means the supervisor died (killed), or the server died before forking it:
// the broker kills the group "P" named, if any, with SIGKILL and reports the
// command killed by SIGKILL.

/** The server message: these bytes, with the control channel's fd. */
export const COMMAND_MESSAGE = Buffer.from('EGC1', 'latin1');

/** The server's offer of a spare: these bytes, with its channel's fd. */
export const SPARE_MESSAGE = Buffer.from('EGR1', 'latin1');

/** What a supervisor reports. */
export type Report =
  | { type: 'pid'; pid: number }
  | { type: 'stop'; signal: number }
  | { type: 'exit'; code: number; signal: number };

/** Longest line a supervisor sends ("X 255 0", "P 4194304"), with room. */
export const MAX_REPORT_LINE = 64;

const NUMBER = '(0|[1-9][0-9]{0,9})';
const PID = new RegExp(`^P ${NUMBER}$`);
const STOP = new RegExp(`^S ${NUMBER}$`);
const EXIT = new RegExp(`^X ${NUMBER} ${NUMBER}$`);

/** One line from a supervisor (without its newline), or null if it is none
 * of the three: a protocol error. */
export function parseReport(line: string): Report | null {
  let m;
  if ((m = PID.exec(line))) return { type: 'pid', pid: Number(m[1]) };
  if ((m = STOP.exec(line))) return { type: 'stop', signal: Number(m[1]) };
  if ((m = EXIT.exec(line))) {
    const code = Number(m[1]);
    const signal = Number(m[2]);
    if (code > 255 || (signal !== 0 && code !== 0)) return null;
    return { type: 'exit', code, signal };
  }
  return null;
}

/** Lines to a supervisor. */
export const control = {
  signal: (signo: number) => Buffer.from(`K ${signo}\n`, 'latin1'),
  resize: (rows: number, cols: number) => Buffer.from(`W ${rows} ${cols}\n`, 'latin1'),
  /** The caller's shell takes its terminal back (the command is stopping). */
  pauseInput: () => Buffer.from('I 0\n', 'latin1'),
};
