/* The names both ends of the sandbox boundary agree on, for the C side:
 * src/protocol/constants.ts holds the same values for the broker, and
 * test/unit/protocol/constants.test.ts keeps the two equal. What each means
 * on the wire: src/protocol/execgate.proto. */
#ifndef EXECGATE_PROTOCOL_H
#define EXECGATE_PROTOCOL_H

/* The fd the shell inherits its session socket at. */
#define EG_SESSION_FD 87

#define EG_ENV_EXEC_WRAPPER "EXEC_WRAPPER"
#define EG_ENV_SESSION_FD "EXECGATE_SOCKET"
#define EG_ENV_SESSION_DIR "EXECGATE_SESSION"
/* The shell shim's: the broker's control socket, the label to ask for. */
#define EG_ENV_BROKER "EXECGATE_BROKER"
#define EG_ENV_LABEL "EXECGATE_LABEL"

#define EG_SANDBOX_SESSION_DIR "/.execgate/session"
/* Inside bwrap, the real program behind a shim: this prefix + its path
 * (a shim for /usr/bin/git execs /.execgate/real/usr/bin/git on Run). */
#define EG_SANDBOX_REAL_DIR "/.execgate/real"
#define EG_SESSION_SOCKET_NAME "sock"
#define EG_RUN_TABLE_NAME "table"

/* Session socket datagrams: 4 bytes each. */
#define EG_HELLO_CONNECTION "EXG1"
#define EG_HELLO_RECORD "EXR1"
#define EG_HELLO_SECCOMP "EXN1"

/* bwrap starts the wrapper with this first argument (init mode): install
 * the seccomp backstop, hand its listener to the session, close every fd
 * but the stdio and the session, exec the shell. */
#define EG_INIT_ARG "--execgate-init"
/* The same without the backstop (EXECGATE_BACKSTOP=off): only the fds. */
#define EG_INIT_PLAIN_ARG "--execgate-init-plain"
/* execgate mcp starts the wrapper with this first argument: the supervisor
 * of its shell tool's bashes (native/wrapper/mcp_supervisor.c). */
#define EG_MCP_SUPERVISOR_ARG "--execgate-mcp-supervisor"
/* An exec that already went through execgate (the patched bash's exec of the
 * wrapper, the wrapper's Run, a shim's exec of the real program) passes this
 * in an argument register the call ignores: execve's args[3], execveat's
 * args[5]. The seccomp backstop lets such execs through unasked. Not a
 * secret: it only saves a round trip (execgate.proto, "Seccomp backstop"). */
#define EG_EXEC_COOKIE 0x4558454347415445

/* The run table: its magic and flag bits (src/protocol/run-table.ts). */
#define EG_RUN_TABLE_MAGIC "EGT1"
#define EG_RUN_TABLE_LOCAL_RUN 1
#define EG_RUN_TABLE_RECORD 2

/* Caps, in bytes; src/protocol/limits.ts says why. The run table at most
 * 64 KiB; an "EXR1" record (hello included) at most 32 KiB; a Launched
 * frame's payload at most 1 MiB. */
#define EG_MAX_RUN_TABLE_BYTES 65536
#define EG_MAX_RUN_RECORD 32768
#define EG_MAX_LAUNCHED_FRAME 1048576

#endif
