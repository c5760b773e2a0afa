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
# spare gets the FIFO of the call before this one, whose spare is done
# reading it (that call has ended), never one another spare may still read.
#
# execgate writes a call's line to its FIFO itself and tells this shell after
# (the FIFOs take turns in the same order on both sides), and the call's
# EXIT trap tells execgate it ended: neither waits for this shell, which
# only keeps the spares, gives a call whose spare died before taking it to a
# fresh bash, reports each call's process group, and reports how a call
# ended that did not get to its trap.
#
# Requests (stdin):  run ID login|plain     call ID's line is in the next
#                                           FIFO: report its spare, wait
#                    bg ID login|plain      start call ID in a fresh bash,
#                                           its stdin the FIFO ID.stdin
# Events (stdout):   ready PID              this shell's pid (as seen here)
#                    started ID PGID
#                    exited ID STATUS       ($?: 128+N when a signal ended it;
#                                           the call's trap says it first)
# A call's line:     "ID login|plain [bg]"  on its bash's stdin
# $1 the I/O directory as seen here, $2 the shell, $3 the prelude (BASH_ENV),
# $4-$6 the names of the three FIFOs there, $7 that of the events' (this
# shell's stdout, which a call's trap opens again by /proc). execgate made
# them and holds them open; it removes the names once this shell is ready.
set -m
exec 2>/dev/null
D=$1 B=$2 P=$3 W=$EXEC_WRAPPER
# Starting each call's bash is this shell's doing, not an exec of the agent's
# to decide on (execgate shell starts its bash the same way): the prelude sets
# the wrapper again before anything of the call runs.
unset EXEC_WRAPPER
exec {G0}<>"$D/$4" {G1}<>"$D/$5" {G2}<>"$D/$6" >"$D/$7"
G=("$G0" "$G1" "$G2")
# A pipe nobody writes, so that `read -t` on it is a sleep without a fork.
exec {Z}<> <(:)
S=(0 0 0)
E='builtin eval -- "$BASH_EXECUTION_STRING"'

# A call's bash, in the background: its call's line comes on the stdin the
# caller gives this (none of the FIFOs otherwise), the rest from the prelude.
call_bash() {
  EXECGATE_MCP_PARENT=$$ EXECGATE_MCP_DIR=$D EXECGATE_MCP_WRAPPER=$W BASH_ENV=$P \
    "$B" -c "$E" >/dev/null {G0}<&- {G1}<&- {G2}<&- {Z}<&- &
}

# A spare on FIFO $1.
spare() {
  call_bash <"/dev/fd/${G[$1]}"
  S[$1]=$!
}

# Waits for call bash $1 to end; its status in s. With job control `wait`
# also returns when the bash stops (the agent stopped it: 128+N), and again
# at once while it stays stopped: a stopped call has not ended, so it is
# looked at again every 50 ms until it has (a time-out kills it).
wait_end() {
  wait "$1"
  s=$?
  while ((s > 128)) && [[ -e /proc/$1 ]]; do
    read -r line </proc/"$1"/stat 2>/dev/null && line=${line##*) } && [[ $line == [Tt]* ]] && read -r -t 0.05 -u "$Z"
    wait "$1"
    s=$?
  done
}

# The next call's spare waits on FIFO k, the one after on k+1; k+2 is free.
k=0
spare 0
spare 1
builtin printf 'ready %s\n' "$$"
while IFS=' ' read -r verb id arg; do
  case $verb in
    run)
      p=${S[k]} g=$k
      builtin printf 'started %s %s\n' "$id" "$p"
      spare $(((k + 2) % 3))
      k=$(((k + 1) % 3))
      wait_end "$p"
      # A spare killed (by the agent) before it took the call never ran it:
      # the call's line is still in its FIFO, which no other bash reads
      # until the next call is taken, so it is read here and the call given
      # to a fresh bash. Only a reaped spare can be told from a slow one (a
      # SIGKILL takes effect late on a loaded machine), and one that died
      # with the kill pending may have taken the line's first byte with it:
      # what is left of the line is the end of this call's. (A later call's
      # line there means this call's bash had read its own: it goes back.)
      if ((s > 128)) && read -r -t 0 -u "${G[g]}" && read -r -u "${G[g]}" left; then
        if [[ -n $left && "$id $arg" == *"$left" ]]; then
          call_bash <<<"$id $arg"
          p=$!
          builtin printf 'started %s %s\n' "$id" "$p"
          wait_end "$p"
        else
          builtin printf '%s\n' "$left" >&"${G[g]}"
        fi
      fi
      builtin printf 'exited %s %s\n' "$id" "$s"
      ;;
    bg)
      call_bash <<<"$id $arg bg"
      builtin printf 'started %s %s\n' "$id" "$!"
      ;;
  esac
done
