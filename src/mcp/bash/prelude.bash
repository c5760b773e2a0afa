# execgate mcp: the BASH_ENV of each tool call's shell (src/mcp/shell-host.ts).
# It runs before the command: it sets the wrapper again (the supervisor
# unset it only to start this shell), restores what the last call left (the
# exported variables, then the working directory), reads the login files
# when asked (here, so that they run intercepted too: bash -l would read them
# before BASH_ENV), and sets the EXIT trap that writes what this call leaves.
# A shell that is not the call's own (one a login file starts) only drops
# what was meant for the call.
if [[ ${EXECGATE_MCP_PARENT-} == "$PPID" ]]; then
  EXEC_WRAPPER=$EXECGATE_MCP_WRAPPER
  builtin export EXEC_WRAPPER
  __eg_f=$EXECGATE_MCP_DIR/$EXECGATE_MCP_ID
  __eg_login=$EXECGATE_MCP_LOGIN
  builtin unset -v BASH_ENV EXECGATE_MCP_PARENT EXECGATE_MCP_ID EXECGATE_MCP_DIR EXECGATE_MCP_LOGIN EXECGATE_MCP_WRAPPER
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
  # On the way out: status, directory, the exported names, their values.
  builtin trap "__eg_s=\$?; { builtin printf '%s\\0%s\\0' \"\$__eg_s\" \"\$PWD\"; builtin compgen -e; builtin printf '\\0'; builtin export -p; } 2>/dev/null >>$__eg_q" EXIT
  builtin unset -v __eg_f __eg_login __eg_keep __eg_cwd __eg_p __eg_q
else
  builtin unset -v BASH_ENV EXECGATE_MCP_PARENT EXECGATE_MCP_ID EXECGATE_MCP_DIR EXECGATE_MCP_LOGIN EXECGATE_MCP_WRAPPER
fi
