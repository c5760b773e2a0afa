// The names both ends of the sandbox boundary agree on: the fd the shell
// inherits, the variables that name the session, the session directory's
// files and the session socket's hellos. native/common/protocol.h holds the
// same values for the C side; test/unit/protocol/constants.test.ts keeps the
// two equal. execgate.proto says what each one means on the wire.

/** The fd the shell inherits its session socket at. High, so that scripts'
 * own `exec 3>file` and friends never land on it. */
export const SESSION_FD = 87;

/** The patched bash execs this program (the wrapper) for every exec. */
export const ENV_EXEC_WRAPPER = 'EXEC_WRAPPER';
/** The session socket's fd number, in decimal (always SESSION_FD). */
export const ENV_SESSION_FD = 'EXECGATE_SOCKET';
/** The per-session directory: `sock` and `table`. */
export const ENV_SESSION_DIR = 'EXECGATE_SESSION';
/** For the shell shim (native/launch): the broker's control socket path. */
export const ENV_BROKER = 'EXECGATE_BROKER';
/** For the shell shim: the session label it asks for (default "shim"). */
export const ENV_LABEL = 'EXECGATE_LABEL';

/** Inside bwrap, the session directory is bound read-only here. */
export const SANDBOX_SESSION_DIR = '/.execgate/session';
/** Inside bwrap, the real program behind a shim: this prefix + its path. */
export const SANDBOX_REAL_DIR = '/.execgate/real';
/** In the session directory: the listening SOCK_SEQPACKET socket. */
export const SESSION_SOCKET_NAME = 'sock';
/** In the session directory: the run table (execgate.proto, "Run table"). */
export const RUN_TABLE_NAME = 'table';

/** Session socket datagrams (execgate.proto, "Transport"). */
export const HELLO_CONNECTION = Buffer.from('EXG1', 'latin1');
export const HELLO_RECORD = Buffer.from('EXR1', 'latin1');
export const HELLO_SECCOMP = Buffer.from('EXN1', 'latin1');

/** bwrap starts the wrapper with this first argument (init mode): it
 * installs the seccomp backstop, sends its listener ("EXN1"), closes every fd
 * but the stdio and the session, execs the shell. */
export const INIT_ARG = '--execgate-init';
/** The same without the backstop (EXECGATE_BACKSTOP=off): only the fds. */
export const INIT_PLAIN_ARG = '--execgate-init-plain';
/** execgate mcp starts the wrapper with this first argument: the supervisor
 * of its shell tool's bashes (native/wrapper/mcp_supervisor.c). */
export const MCP_SUPERVISOR_ARG = '--execgate-mcp-supervisor';
/** execve's args[3] / execveat's args[5] on execs that already went through
 * execgate ("EXECGATE" in ASCII): the backstop lets them through unasked.
 * Not a secret (execgate.proto, "Seccomp backstop"). */
export const EXEC_COOKIE = 0x4558454347415445n;
