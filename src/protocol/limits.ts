// Every size the broker accepts from the sandbox, in one place (docs/protocol.md
// documents them). The request cap is above what execve accepts
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
/** Bytes read per recv on a connection, at least (more when the frame under
 * way needs more): the addon's scratch buffer (kScratchBytes), so that a
 * read of a usual frame costs one recvmsg, with no size probe (SIOCINQ) and
 * no allocation. */
export const READ_CHUNK = 64 * 1024;
/** Connections one session may have open at once (each is a live exec). */
export const MAX_CONNECTIONS_PER_SESSION = 1024;
/** A connection must deliver its Request within this time. */
export const REQUEST_DEADLINE_MS = 30_000;
/** After SendStdio, the Stdio frame must come within this time (a wrapper
 * sends it at once; a connection idling here held its request's memory). */
export const STDIO_DEADLINE_MS = 30_000;
/** A frame begun must be finished within this time, in any state: a slow
 * sender cannot park a partial frame in the broker. */
export const FRAME_DEADLINE_MS = 30_000;
/** Bytes one session's connections may hold at once (unfinished frames and
 * requests being decided): a few maximal requests. Over it, the connection
 * that asked for more is ended; other sessions never see it. */
export const MAX_SESSION_BUFFERED_BYTES = 24 * 1024 * 1024;
/** Clients connected at once on a session's path socket (each is one exec
 * handing over its connection, then hanging up). */
export const MAX_ENDPOINTS_PER_SESSION = 256;
/** Characters of the lines `execgate serve` remembers having said about
 * launches (each said once: src/cli/said-once.ts). Their text carries what
 * launches sent, a PATH entry as long as a launch, so the memory is capped;
 * a line past it is said again. Some hundred warnings of usual length. */
export const MAX_SERVE_LINES_REMEMBERED_CHARS = 64 * 1024;
/** Requests of one session waiting for a human at once: each is a prompt on
 * every channel (a tmux popup, a web page entry). More are denied. */
export const MAX_PENDING_PROMPTS_PER_SESSION = 16;
/** Audit lines not yet written to disk, beyond which fast-path records are
 * dropped (and counted, and the count audited): a flood of records from a
 * hostile client cannot grow the broker's memory. */
export const MAX_AUDIT_BACKLOG_BYTES = 8 * 1024 * 1024;
/** Audit lines that come faster than one per this long are written in
 * batches, one every this long (audit-log.ts): a busy broker makes one write
 * for many records, a line still reaches the file well within a second, and
 * a line after a quiet spell goes at once. */
export const AUDIT_BATCH_MS = 20;
/** ...or as soon as a batch holds this much. */
export const AUDIT_BATCH_BYTES = 64 * 1024;
/** argv (Request) and the environment (Stdio), each counted as execve counts
 * them: every string costs its bytes, a NUL and an 8-byte pointer, within a
 * quarter of the default 8 MiB stack. Anything a shell could exec under
 * default limits fits; beyond it a request is refused before any of it is
 * made into strings (2 million empty arguments once cost seconds and a
 * gigabyte). */
export const MAX_EXEC_STRINGS_BYTES = 2 * 1024 * 1024;
/** Deny reasons quote paths from the sandbox: capped so a reply always fits
 * MAX_FRAME_TO_WRAPPER, whatever the request named. */
export const MAX_REASON_CHARS = 2048;
/** A Launch (from the host's own launcher) names binds, variables and the
 * launcher's environment: a few hundred entries at most in real use. */
export const MAX_LAUNCH_ENTRIES = 16 * 1024;
/** Control socket frames: JSON ops and replies (a pending list of many
 * requests included) and Launch/Launched. */
export const MAX_CONTROL_FRAME = 8 * 1024 * 1024;
/** A human's deny reason, in code points: the wrapper prints it on one line
 * after `execgate: denied: PROG: `, and every channel shows it: a sentence,
 * not a document. Longer reasons are cut (answer.ts). */
export const MAX_DENY_REASON = 500;
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
// ---- execgate mcp ---------------------------------------------------------

/** A tool result keeps this much of each of stdout and stderr: the head
 * (what a command says first) and the tail (where errors end up), the cut
 * between them marked with its size. About what agents' own shell tools
 * keep (Claude Code's Bash: 30 000 characters), so a model's context is
 * not flooded by one `cat`. */
export const MCP_OUTPUT_HEAD_BYTES = 8 * 1024;
export const MCP_OUTPUT_TAIL_BYTES = 16 * 1024;
/** A call whose stdout or stderr file grows past this is ended: the files
 * sit on the host, in memory where there is a tmpfs for them
 * (mcp/call-files.ts), and nothing reads past the head and tail. */
export const MCP_OUTPUT_FILE_MAX_BYTES = 1024 * 1024 * 1024;
/** The largest command a tool call takes. */
export const MCP_COMMAND_MAX_BYTES = 4 * 1024 * 1024;
/** The working directory and exported variables carried to the next call
 * (an `export -p` of a usual environment is a few KiB); past this they
 * are not carried, and the result says so. */
export const MCP_STATE_MAX_BYTES = 1024 * 1024;
/** One line from the shell's supervisor ("started ID PID", "exited ID
 * STATUS"); a longer one is not ours and is dropped. */
export const MCP_EVENT_LINE_MAX = 256;
/** timeout_ms: at most a day. */
export const MCP_TIMEOUT_MAX_MS = 24 * 60 * 60 * 1000;
/** Attached to serve, a call's record waits at most this long for serve to
 * say it has sent everything it decided before the call ended (the "sync"
 * op): a serve that does not answer delays each result by this much, never
 * more, and those results may miss how a host command ended. */
export const MCP_WATCH_SYNC_MAX_MS = 2_000;
/** Escalations, denials and prompts listed in one result; more are counted. */
export const MCP_EVENTS_LISTED = 20;
/** Background processes (process_start) running at once per MCP session:
 * each holds files and a FIFO, and lives until stopped or reset. */
export const MCP_PROCESSES_MAX = 8;
/** process_read waits at most this long for new output. */
export const MCP_PROCESS_WAIT_MAX_MS = 30_000;
// The seccomp backstop (execgate.proto, "Seccomp backstop") reads what it
// decides on from the exec'ing process's memory, on the broker's one thread.

/** argv read from a notified exec, counted as execve counts (bytes + NUL +
 * pointer), for rules with arguments and the audit line. Each string costs
 * at least one process_vm_readv, so the count is capped too: a hostile
 * process cannot make one exec cost the broker more than a few ms. A
 * program a rule names whose argv is longer is refused (it could hide what
 * a deny rule looks for); its shim, which asks with the whole argv, is not
 * affected. */
export const MAX_BACKSTOP_ARGV_BYTES = 256 * 1024;
export const MAX_BACKSTOP_ARGV_COUNT = 4096;
/** Execs of one sandbox waiting for the policy in JS at once (each a
 * process blocked in its exec): beyond it the listener's thread stops
 * receiving, and the rest wait in the kernel, so a fork bomb of execs costs
 * the broker no more memory than this. */
export const MAX_BACKSTOP_PENDING = 1024;
/** Runs the listener's thread let through that wait to be audited: beyond
 * it they are dropped and counted (the count is audited), as the wrapper's
 * run records are when the audit log is behind. */
export const MAX_BACKSTOP_RECORDS = 1024;
/** Notifications handled in one turn of the event loop before the other
 * sessions' sockets get theirs (the listener is level-triggered: the rest
 * wait for the next turn). */
export const MAX_BACKSTOP_BATCH = 64;
/** The reason an init sends when it could not install the backstop
 * ("EXN1" + text): a line for the human, cut beyond this. */
export const MAX_BACKSTOP_REASON = 512;
