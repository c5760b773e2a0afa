# execgate mcp: the BASH_ENV of each tool call's shell (src/mcp/shell-host.ts).
# It runs before the command. A spare (native/wrapper/mcp_supervisor.c) waits here, at the
# read of its call, until the supervisor gives it one. Then it sets the
# wrapper again (the supervisor unset it only to start this shell), puts
# stdin, stdout and stderr in the call's files, takes the command (which the
# shell's -c then evals: BASH_EXECUTION_STRING holds it as `bash -c COMMAND`
# would), restores what the last call left (the exported variables, then
# the working directory), reads the login files when asked (here, so that
# they run intercepted too), and sets the EXIT trap that writes what this
# call leaves. A shell that is not the call's own (one a login file starts)
# only drops what was meant for the call.
if [[ ${EXECGATE_MCP_PARENT-} == "$PPID" ]]; then
  EXEC_WRAPPER=$EXECGATE_MCP_WRAPPER
  builtin export EXEC_WRAPPER
  __eg_d=$EXECGATE_MCP_DIR
  builtin unset -v BASH_ENV EXECGATE_MCP_PARENT EXECGATE_MCP_DIR EXECGATE_MCP_WRAPPER
  BASH_EXECUTION_STRING=
  # "ID login|plain [bg]"; end of file: the supervisor is gone, no call.
  IFS=' ' builtin read -r __eg_id __eg_login __eg_bg || builtin exit 0
  __eg_f=$__eg_d/$__eg_id
  __eg_in=/dev/null
  [[ $__eg_bg == bg ]] && __eg_in=$__eg_f.stdin
  # (`exec`, not `builtin exec`: only the former keeps its redirections.)
  exec <"$__eg_in" >>"$__eg_f.out" 2>>"$__eg_f.err" || builtin exit 126
  [[ -f $__eg_f.cmd ]] || builtin exit 126
  IFS= builtin read -r -d '' BASH_EXECUTION_STRING <"$__eg_f.cmd"
  if [[ -s $__eg_f.in ]]; then
    # The broker's variables stay what they are, whatever the last call exported.
    __eg_keep=("$EXEC_WRAPPER" "${EXECGATE_SOCKET-}" "${EXECGATE_SESSION-}")
    builtin source "$__eg_f.in"
    EXEC_WRAPPER=${__eg_keep[0]}
    [[ -n ${__eg_keep[1]} ]] && EXECGATE_SOCKET=${__eg_keep[1]}
    [[ -n ${__eg_keep[2]} ]] && EXECGATE_SESSION=${__eg_keep[2]}
    builtin export EXEC_WRAPPER
  fi
  if [[ -s $__eg_f.cwd ]]; then
    IFS= builtin read -r -d '' __eg_cwd <"$__eg_f.cwd"
    builtin cd -- "$__eg_cwd" || builtin printf 'execgate: the working directory %s is gone; staying in %s\n' "$__eg_cwd" "$PWD" >&2
  fi
  if [[ $__eg_login == login ]]; then
    [[ -r /etc/profile ]] && builtin source /etc/profile
    for __eg_p in ~/.bash_profile ~/.bash_login ~/.profile; do
      if [[ -r $__eg_p ]]; then builtin source "$__eg_p"; break; fi
    done
  fi
  builtin printf -v __eg_q %q "$__eg_f.state"
  builtin printf -v __eg_i %q "$__eg_id"
  # On the way out: status, directory, the exported variables (execgate
  # reads their names from `export -p`: `compgen -e` took as long again);
  # then, for a call execgate waits for, the word that it ended, straight to
  # execgate (the events the supervisor writes): waiting for the
  # supervisor's own would be one more hop.
  __eg_t='__eg_s=$?; { builtin printf '\''%s\0%s\0'\'' "$__eg_s" "$PWD"; builtin export -p; } 2>/dev/null >>'"$__eg_q"
  [[ $__eg_bg == bg ]] || __eg_t+='; builtin printf '\''exited %s %s\n'\'' '"$__eg_i"' "$__eg_s" 2>/dev/null >/proc/$PPID/fd/1'
  builtin trap -- "$__eg_t" EXIT
  builtin unset -v __eg_d __eg_id __eg_f __eg_in __eg_bg __eg_login __eg_keep __eg_cwd __eg_p __eg_q __eg_i __eg_t
else
  builtin unset -v BASH_ENV EXECGATE_MCP_PARENT EXECGATE_MCP_DIR EXECGATE_MCP_WRAPPER
  # A call's bash whose supervisor went before it read its call: its -c
  # would eval itself.
  [[ $- == *c* && $BASH_EXECUTION_STRING == 'builtin eval -- "$BASH_EXECUTION_STRING"' ]] && builtin exit 0
fi
