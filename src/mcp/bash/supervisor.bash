# execgate mcp: the supervisor of the shell tool (src/mcp/shell-host.ts).
#
# One sandboxed shell lives as long as the MCP session; this is it. It reads
# one request per line from execgate and runs each tool call in a fresh bash
# of its own, in a process group of its own (set -m), so that a call is
# intercepted exactly as `execgate shell -c COMMAND` is, and a time-out can
# end all of it (execgate kills that group itself, from outside). Calls run
# one at a time. Only builtins: an exec here would itself be intercepted.
#
# A bash takes about 1.3 ms to start here, most of a call's cost, so the
# bashes of the next calls are started ahead: spares, each of which runs its
# BASH_ENV (the prelude) up to reading its call from a FIFO of its own. Its
# command is then run by `-c 'builtin eval -- "$BASH_EXECUTION_STRING"'`, the
# prelude having set that variable to the call's command as `bash -c
# COMMAND` would have. Two spares wait at a time (one is not always ready when
# calls come back to back), on two of three FIFOs that take turns: a new
# spare gets the FIFO of the last call, which was waited for and so is done
# reading it, never one another spare may still read.
#
# Requests (stdin):  run ID login|plain     run call ID in a spare, wait
#                    bg ID login|plain      start call ID in a fresh bash,
#                                           its stdin the FIFO ID.stdin
# Events (stdout):   ready PID              this shell's pid (as seen here)
#                    started ID PGID
#                    exited ID STATUS       ($?: 128+N when a signal ended it)
# To a call's bash:  "ID login|plain [bg]"  one line on its stdin
# $1 the I/O directory as seen here, $2 the shell, $3 the prelude (BASH_ENV),
# $4-$6 the names of the three FIFOs there (execgate made them; it removes
# the names once this shell is ready: the spares reopen them by fd).
set -m
exec 2>/dev/null
D=$1 B=$2 P=$3 W=$EXEC_WRAPPER
# Starting each call's bash is this shell's doing, not an exec of the agent's
# to decide on (execgate shell starts its bash the same way): the prelude sets
# the wrapper again before anything of the call runs.
unset EXEC_WRAPPER
exec {G0}<>"$D/$4" {G1}<>"$D/$5" {G2}<>"$D/$6"
G=("$G0" "$G1" "$G2")
S=(0 0 0)
E='builtin eval -- "$BASH_EXECUTION_STRING"'

# A spare on FIFO $1, after anything left unread there (a spare that died
# before reading its call) is dropped.
spare() {
  local g=${G[$1]} _
  while read -r -t 0 -u "$g"; do read -r -t 0.01 -u "$g" _ || break; done
  EXECGATE_MCP_PARENT=$$ EXECGATE_MCP_DIR=$D EXECGATE_MCP_WRAPPER=$W BASH_ENV=$P \
    "$B" -c "$E" <"/dev/fd/$g" >/dev/null {G0}<&- {G1}<&- {G2}<&- &
  S[$1]=$!
}

# The next call's spare waits on FIFO k, the one after on k+1; k+2 is free.
k=0
spare 0
spare 1
builtin printf 'ready %s\n' "$$"
while IFS=' ' read -r verb id arg; do
  case $verb in
    run)
      p=${S[k]}
      # A zombie has no fds: a spare that died (the agent killed it) is replaced.
      [[ -e /proc/$p/fd/0 ]] || { spare "$k"; p=${S[k]}; }
      builtin printf '%s %s\n' "$id" "$arg" >&"${G[k]}"
      builtin printf 'started %s %s\n' "$id" "$p"
      spare $(((k + 2) % 3))
      k=$(((k + 1) % 3))
      wait "$p"
      builtin printf 'exited %s %s\n' "$id" "$?"
      ;;
    bg)
      EXECGATE_MCP_PARENT=$$ EXECGATE_MCP_DIR=$D EXECGATE_MCP_WRAPPER=$W BASH_ENV=$P \
        "$B" -c "$E" <<<"$id $arg bg" >/dev/null {G0}<&- {G1}<&- {G2}<&- &
      builtin printf 'started %s %s\n' "$id" "$!"
      ;;
  esac
done
