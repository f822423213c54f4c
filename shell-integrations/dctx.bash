# dctx: the Docker context in your bash prompt.
# Load it from ~/.bashrc with:   eval "$(dctx init bash)"
# Then put ${DCTX_SEGMENT} in PS1, e.g.  PS1='${DCTX_SEGMENT:+[$DCTX_SEGMENT] }\w\$ '
# (or use `dctx init bash --prompt` to have it prepended for you).
#
# Before each prompt, __dctx_precmd checks whether its last segment still
# holds: the same DOCKER_* variables, the same daemon change mark,
# and no file behind the answer newer than the helper's stamp of it (builtin
# tests only; see crates/dctx-prompt/src/stamps.rs). Otherwise it
# sends its variables to a helper (`dctx-prompt --serve`, one per shell,
# started on first use) and reads back the segment: a builtin printf and a
# builtin read, no fork. If the helper is gone or slow, one `dctx-prompt`
# call answers instead and the helper is restarted at the next prompt.

__DCTX_PROMPT=@DCTX_PROMPT@
# DCTX_SEGMENT is read by the user's PS1, which shellcheck cannot see.
# shellcheck disable=SC2034
DCTX_SEGMENT=${DCTX_SEGMENT-}

__dctx_stop() {
    if [[ -n ${__DCTX_HELPER_PID-} ]]; then
        \builtin kill "${__DCTX_HELPER_PID}" 2>/dev/null
    fi
    \builtin unset __DCTX_HELPER_PID __DCTX_HELPER __DCTX_KEY
}

__dctx_start() {
    __dctx_stop
    # The helper is a coprocess: its stdin and stdout are pipes held by this shell.
    coproc __DCTX_HELPER { \builtin exec "${__DCTX_PROMPT}" --serve --shell @DCTX_SHELL@ --pid "$$" 2>/dev/null; }
    # Not one of the user's jobs: a bare `wait` must not wait for it forever.
    \builtin disown "${__DCTX_HELPER_PID}" 2>/dev/null
}

__dctx_precmd() {
    # Keep $? for the user's own prompt (a global: cheaper than a local).
    __dctx_status=$?
    # What the answer depends on besides files (unit-separated); the
    # helper keeps no answer that depends on PWD.
    __DCTX_NEXT_KEY=${DOCKER_HOST-}$'\x1f'${DOCKER_CONTEXT-}$'\x1f'${DOCKER_CONFIG-}$'\x1f'${DOCKER_TLS_VERIFY-}$'\x1f'${DOCKER_TLS-}$'\x1f'${DOCKER_CERT_PATH-}
    if [[ ${__DCTX_NEXT_KEY} == "${__DCTX_KEY-}" && ${__DCTX_STAMPS-}/g -ef ${__DCTX_STAMPS-}/gs ]] &&
        ! [[ ${__DCTX_STAMPS}/c -nt ${__DCTX_STAMPS}/cs || ${__DCTX_STAMPS}/m -nt ${__DCTX_STAMPS}/ms ]]; then
        return "${__dctx_status}"
    fi
    # Kept apart because bash copies a function's whole body on every call.
    __dctx_ask
    return "${__dctx_status}"
}

__dctx_ask() {
    if [[ -z ${__DCTX_HELPER_PID-} ]] || ! \builtin kill -0 "${__DCTX_HELPER_PID}" 2>/dev/null; then
        __dctx_start
    fi
    # read -u, not a redirection of stdin: the helper finds this shell's
    # terminal through /proc/$$/fd/0, which must stay the terminal.
    if [[ -n ${__DCTX_HELPER[1]-} ]] &&
        \builtin printf '%s\0' "${PWD}" "${DOCKER_HOST-}" "${DOCKER_CONTEXT-}" "${DOCKER_CONFIG-}" \
            "${DOCKER_TLS_VERIFY-}" "${DOCKER_TLS-}" "${DOCKER_CERT_PATH-}" 1>&"${__DCTX_HELPER[1]}" 2>/dev/null &&
        IFS= \builtin read -r -d '' -t 0.5 -u "${__DCTX_HELPER[0]}" DCTX_SEGMENT 2>/dev/null &&
        IFS= \builtin read -r -d '' -t 0.5 -u "${__DCTX_HELPER[0]}" __DCTX_STAMPS 2>/dev/null; then
        # Kept only when the helper stamped what the answer was read from.
        __DCTX_KEY=${__DCTX_STAMPS:+${__DCTX_NEXT_KEY}}
    else
        # A stuck or dead helper must never hang or blank the prompt.
        __dctx_stop
        # shellcheck disable=SC2034 # read by PS1
        DCTX_SEGMENT=$(\command "${__DCTX_PROMPT}" --shell @DCTX_SHELL@ --pid "$$" 2>/dev/null)
    fi
    @DCTX_EXPORT@
}

__dctx_install() {
    # bash 5.1+ may hold PROMPT_COMMAND as an array; add the hook once, first,
    # so that prompt frameworks running after it (starship) see DCTX_SEGMENT.
    if [[ $(\builtin declare -p PROMPT_COMMAND 2>/dev/null) == "declare -a"* ]]; then
        \builtin local __dctx_cmd
        for __dctx_cmd in "${PROMPT_COMMAND[@]}"; do
            [[ ${__dctx_cmd} == __dctx_precmd ]] && return 0
        done
        PROMPT_COMMAND=(__dctx_precmd "${PROMPT_COMMAND[@]}")
    else
        # A string here (the array case returned above).
        # shellcheck disable=SC2128,SC2178
        case ";${PROMPT_COMMAND-};" in
            *";__dctx_precmd;"*) ;;
            *) PROMPT_COMMAND="__dctx_precmd${PROMPT_COMMAND:+;${PROMPT_COMMAND}}" ;;
        esac
    fi
}

if [[ $- == *i* ]]; then
    __dctx_install
    @DCTX_PROMPT_EDIT@
fi
