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
/** The run table (execgate.proto, "Run table"), whole. The wrapper reads it
 * on every exec into a fixed buffer, with one read(2) and no stat, so it must
 * stay small; 64 KiB holds thousands of names, more than any policy names.
 * A bigger table is never written: encodeRunTable makes one that asks for
 * everything instead, and the wrapper treats a bigger file as no table. */
export const MAX_RUN_TABLE_BYTES = 64 * 1024;
/** An "EXR1" record datagram, hello included. Records are sent without
 * waiting (MSG_DONTWAIT) on the session socket, whose send buffer (about
 * 208 KiB by default) they share with every other exec of the session: the
 * cap keeps several queueable at once and lets the broker read each into a
 * fixed buffer. An exec whose record would be bigger (long argv) asks the
 * broker over a connection instead, which has no such limit. */
export const MAX_RUN_RECORD = 32 * 1024;
/** A Launched frame's payload (the broker's answer to the native launcher on
 * the control socket). Its argv is the shell's command line up to the shell
 * (bwrap's arguments included) and set_env a few variables: 1 MiB is far
 * more than that, and the launcher refuses anything bigger rather than
 * allocate what a confused peer asks for. */
export const MAX_LAUNCHED_FRAME = 1024 * 1024;
