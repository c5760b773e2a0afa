// Every size the broker accepts from the sandbox, in one place (README
// "Protocol" documents them). The request cap is above what execve accepts
// under default limits (ARG_MAX = a quarter of an 8 MiB stack = 2 MiB for
// argv and envp together), so anything a shell can exec fits.

/** Largest frame a wrapper may send (Request, Stdio). */
export const MAX_FRAME_TO_BROKER = 4 * 1024 * 1024;
/** Largest frame the broker sends; the wrapper refuses anything bigger. */
export const MAX_FRAME_TO_WRAPPER = 64 * 1024;
/** The session socket carries only this 4-byte hello plus one fd. */
export const SESSION_HELLO = Buffer.from('EXG1', 'latin1');
/** fds per message: Stdio carries exactly three; nothing else carries any. */
export const STDIO_FD_COUNT = 3;
/** Most fds accepted in one recvmsg before the message is refused. */
export const MAX_FDS_PER_MESSAGE = 8;
/** Bytes read per recv on a connection while a frame is incomplete. */
export const READ_CHUNK = 256 * 1024;
/** Connections one session may have open at once (each is a live exec). */
export const MAX_CONNECTIONS_PER_SESSION = 1024;
/** A connection must deliver its Request within this time. */
export const REQUEST_DEADLINE_MS = 30_000;

// Policy evaluation reads the agent's request; what it reads is bounded so a
// request cannot stall a broker that other sessions share.

/** Longest shell-quoted command line a policy `regex` is tested against.
 * Beyond it the regex is not read: a deny or prompt rule counts as matching
 * (padding must not evade it: fail closed), a run or escalate rule as not
 * matching (nothing is let through unread). Regexes run on RE2 (linear
 * time), whose cost is about subject x program size: 64 KiB keeps the worst
 * allowed regex (below) to tens of milliseconds, and is far beyond the
 * command lines rules are written for. */
export const MAX_REGEX_SUBJECT = 64 * 1024;
/** Largest compiled RE2 program a policy regex may have (instructions; a
 * typical rule has 10-50). Bigger ones are refused at load with file:line:
 * `.{300}` style counted repetition multiplies the cost of every request. */
export const MAX_REGEX_PROGRAM = 500;
