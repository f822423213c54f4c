# dctx: the Docker context in your zsh prompt.
# Load it from ~/.zshrc with:   eval "$(dctx init zsh)"
# Then, with prompt_subst, put ${DCTX_SEGMENT} in PROMPT, e.g.
#   setopt prompt_subst; PROMPT='${DCTX_SEGMENT:+[$DCTX_SEGMENT] }%~ %# '
# (or use `dctx init zsh --prompt` to have it prepended for you).
#
# Before each prompt, __dctx_precmd checks whether its last segment still
# holds: the same DOCKER_* variables, the same daemon change mark,
# and no file behind the answer newer than the helper's stamp of it (builtin
# tests only; see crates/dctx-prompt/src/stamps.rs). Otherwise it
# sends its variables to a helper (`dctx-prompt --serve`, one per shell) over
# a pair of FIFOs and reads back the segment with builtins only: no fork. If
# the helper is gone or slow, one `dctx-prompt` call answers instead and the
# helper is restarted.

typeset -g __DCTX_PROMPT=@DCTX_PROMPT@
typeset -g DCTX_SEGMENT=${DCTX_SEGMENT-}
# Declared here so that assigning them in functions stays quiet under
# warn_create_global.
typeset -g __DCTX_STAMPS=${__DCTX_STAMPS-}
typeset -g __DCTX_KEY=${__DCTX_KEY-} __DCTX_NEXT_KEY=

__dctx_stop() {
    if [[ -n ${__DCTX_FD_IN-} ]]; then
        exec {__DCTX_FD_IN}>&-
    fi
    if [[ -n ${__DCTX_FD_OUT-} ]]; then
        exec {__DCTX_FD_OUT}<&-
    fi
    if [[ -n ${__DCTX_HELPER_PID-} ]]; then
        \builtin kill ${__DCTX_HELPER_PID} 2>/dev/null
    fi
    if [[ -n ${__DCTX_DIR-} ]]; then
        \command rm -rf -- "${__DCTX_DIR}"
    fi
    \builtin unset __DCTX_FD_IN __DCTX_FD_OUT __DCTX_HELPER_PID __DCTX_DIR
    __DCTX_KEY=
}

__dctx_start() {
    __dctx_stop
    \builtin local dir
    dir=$(\command mktemp -d "${TMPDIR:-/tmp}/dctx-zsh.XXXXXX") || return 1
    if ! \command mkfifo -m 600 "${dir}/in" "${dir}/out"; then
        \command rm -rf -- "${dir}"
        return 1
    fi
    typeset -g __DCTX_DIR=${dir}
    # Opened read-write, a FIFO never blocks: a helper that fails to start
    # cannot hang the shell, it only makes the next read time out. The FIFOs
    # stay until the helper has opened them (it then removes them) or until
    # __dctx_stop; it sees end of input when this shell, the only writer,
    # goes away.
    exec {__DCTX_FD_IN}<>"${dir}/in" {__DCTX_FD_OUT}<>"${dir}/out"
    # The helper must not inherit this shell's own read-write ends, or it
    # would hold a writer to its input and never see this shell go away.
    "${__DCTX_PROMPT}" --serve --fifo-dir "${dir}" --shell @DCTX_SHELL@ --pid $$ \
        <"${dir}/in" >"${dir}/out" 2>/dev/null \
        {__DCTX_FD_IN}>&- {__DCTX_FD_OUT}>&- &!
    typeset -g __DCTX_HELPER_PID=$!
}

# zsh hands every precmd function, and the prompt, the command's own $?,
# whatever this returns.
__dctx_precmd() {
    # What the answer depends on besides files (unit-separated); the
    # helper keeps no answer that depends on PWD.
    __DCTX_NEXT_KEY=${DOCKER_HOST-}$'\x1f'${DOCKER_CONTEXT-}$'\x1f'${DOCKER_CONFIG-}$'\x1f'${DOCKER_TLS_VERIFY-}$'\x1f'${DOCKER_TLS-}$'\x1f'${DOCKER_CERT_PATH-}
    if [[ ${__DCTX_NEXT_KEY} == "${__DCTX_KEY-}" && ${__DCTX_STAMPS-}/g -ef ${__DCTX_STAMPS-}/gs ]] &&
        ! [[ ${__DCTX_STAMPS}/c -nt ${__DCTX_STAMPS}/cs || ${__DCTX_STAMPS}/m -nt ${__DCTX_STAMPS}/ms ]]; then
        return
    fi
    __dctx_ask
}

__dctx_ask() {
    if [[ -z ${__DCTX_HELPER_PID-} ]] || ! \builtin kill -0 ${__DCTX_HELPER_PID} 2>/dev/null; then
        __dctx_start
    fi
    if [[ -n ${__DCTX_FD_IN-} ]] &&
        \builtin printf '%s\0' "${PWD}" "${DOCKER_HOST-}" "${DOCKER_CONTEXT-}" "${DOCKER_CONFIG-}" \
            "${DOCKER_TLS_VERIFY-}" "${DOCKER_TLS-}" "${DOCKER_CERT_PATH-}" >&${__DCTX_FD_IN} 2>/dev/null &&
        IFS= \builtin read -r -d '' -t 0.5 -u ${__DCTX_FD_OUT} DCTX_SEGMENT 2>/dev/null &&
        IFS= \builtin read -r -d '' -t 0.5 -u ${__DCTX_FD_OUT} __DCTX_STAMPS 2>/dev/null; then
        # Kept only when the helper stamped what the answer was read from.
        __DCTX_KEY=${__DCTX_STAMPS:+${__DCTX_NEXT_KEY}}
    else
        # A stuck or dead helper must never hang or blank the prompt.
        __dctx_stop
        DCTX_SEGMENT=$(\command "${__DCTX_PROMPT}" --shell @DCTX_SHELL@ --pid $$ 2>/dev/null)
    fi
    @DCTX_EXPORT@
}

if [[ -o interactive ]]; then
    # First, once: prompt frameworks running later (starship) see DCTX_SEGMENT.
    typeset -ga precmd_functions
    precmd_functions=(__dctx_precmd ${precmd_functions:#__dctx_precmd})
    typeset -ga zshexit_functions
    zshexit_functions=(${zshexit_functions:#__dctx_stop} __dctx_stop)
    @DCTX_PROMPT_EDIT@
fi
