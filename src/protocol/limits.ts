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

// The spec of an escalated command, checked whole before anything starts
// (src/exec/spawn-spec.ts); native/spawn/spec.c accepts a little more.
/** Longest argv or env string: Linux's MAX_ARG_STRLEN (32 pages, the NUL
 * included). execve refuses a longer one with E2BIG; we refuse it first. */
export const MAX_SPAWN_STRING_BYTES = 128 * 1024 - 1;
/** Most argv (and, separately, env) entries: a 4 MiB frame of empty strings
 * could carry two million, which no execve takes. */
export const MAX_SPAWN_STRINGS = 1 << 20;
/** Whole spec: argv from a Request frame plus env from a Stdio frame (4 MiB
 * each) could not be more; execve's own limit (ARG_MAX) is lower still. */
export const MAX_SPAWN_SPEC_BYTES = 8 * 1024 * 1024;
