# execgate mcp: the supervisor of the shell tool (src/mcp/shell-host.ts).
#
# One sandboxed shell lives as long as the MCP session; this is it. It reads
# one request per line from execgate and starts each tool call as a fresh
# `bash -c COMMAND` in a process group of its own (set -m), so that a call is
# intercepted exactly as `execgate shell -c COMMAND` is, and a time-out can
# end all of it (execgate kills that group itself, from outside). Calls run
# one at a time. Only builtins: an exec here would itself be intercepted.
#
# Requests (stdin):  run ID login|plain     start call ID, wait for it
#                    bg ID login|plain      start call ID in the background,
#                                           its stdin the FIFO ID.stdin
# Events (stdout):   ready PID              this shell's pid (as seen here)
#                    started ID PGID
#                    exited ID STATUS       ($?: 128+N when a signal ended it)
# $1 the I/O directory as seen here, $2 the shell, $3 the prelude (BASH_ENV),
# $4 the longest command passed as an argument (the kernel caps one argument).
set -m
exec 2>/dev/null
D=$1 B=$2 P=$3 MAX=$4 W=$EXEC_WRAPPER
# Starting each call's bash is this shell's doing, not an exec of the agent's
# to decide on (execgate shell starts its bash the same way): the prelude sets
# the wrapper again before anything of the call runs.
unset EXEC_WRAPPER
builtin printf 'ready %s\n' "$$"
while IFS=' ' read -r verb id arg; do
  [[ $verb == run || $verb == bg ]] || continue
  IFS= read -r -d '' s <"$D/$id.cmd"
  if ((${#s} > MAX)); then set -- "$D/$id.cmd"; else set -- -c "$s"; fi
  in=/dev/null
  [[ $verb == bg ]] && in=$D/$id.stdin
  EXECGATE_MCP_PARENT=$$ EXECGATE_MCP_ID=$id EXECGATE_MCP_DIR=$D EXECGATE_MCP_LOGIN=$arg EXECGATE_MCP_WRAPPER=$W BASH_ENV=$P \
    "$B" "$@" <"$in" >>"$D/$id.out" 2>>"$D/$id.err" &
  builtin printf 'started %s %s\n' "$id" "$!"
  [[ $verb == bg ]] && continue
  wait "$!"
  builtin printf 'exited %s %s\n' "$id" "$?"
done
