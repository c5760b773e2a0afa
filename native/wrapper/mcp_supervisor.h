/* execgate mcp's supervisor: the wrapper started as
 *
 *     execgate-wrapper --execgate-mcp-supervisor DIR BASH PRELUDE GO0 GO1 GO2 EVENTS
 *
 * (EG_MCP_SUPERVISOR_ARG) keeps the bashes of an MCP session's tool calls
 * (src/mcp/shell-host.ts). mcp_supervisor.c says how. */
#ifndef EXECGATE_MCP_SUPERVISOR_H
#define EXECGATE_MCP_SUPERVISOR_H

/* argv[0] is the wrapper, argv[1] EG_MCP_SUPERVISOR_ARG. Returns only when
 * execgate closes our stdin: the exit status. */
int eg_mcp_supervise(int argc, char **argv);

#endif
