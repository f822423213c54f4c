# dctx: the Docker context in your zsh prompt.
# Load it from ~/.zshrc with:   eval "$(dctx init zsh)"
# Then, with prompt_subst, put ${DCTX_SEGMENT} in PROMPT, e.g.
#   setopt prompt_subst; PROMPT='${DCTX_SEGMENT:+[$DCTX_SEGMENT] }%~ %# '
# (or use `dctx init zsh --prompt` to have it prepended for you).
#
# Before each prompt, __dctx_precmd sends this shell's DOCKER_* variables to a
# helper (`dctx-prompt --serve`, one per shell) over a pair of FIFOs and reads
# back the segment with builtins only: no fork. If the helper is gone or slow,
# one `dctx-prompt` call answers instead and the helper is restarted.

typeset -g __DCTX_PROMPT=@DCTX_PROMPT@
typeset -g DCTX_SEGMENT=${DCTX_SEGMENT-}

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
    # stay until __dctx_stop, so the helper can open them whenever it runs;
    # it sees end of input when this shell, the only writer, goes away.
    exec {__DCTX_FD_IN}<>"${dir}/in" {__DCTX_FD_OUT}<>"${dir}/out"
    # The helper must not inherit this shell's own read-write ends, or it
    # would hold a writer to its input and never see this shell go away.
    "${__DCTX_PROMPT}" --serve --shell @DCTX_SHELL@ --pid $$ <"${dir}/in" >"${dir}/out" 2>/dev/null \
        {__DCTX_FD_IN}>&- {__DCTX_FD_OUT}>&- &!
    typeset -g __DCTX_HELPER_PID=$!
}

__dctx_precmd() {
    # Keep $? for the user's own prompt.
    \builtin local __dctx_status=$?
    if [[ -z ${__DCTX_HELPER_PID-} ]] || ! \builtin kill -0 ${__DCTX_HELPER_PID} 2>/dev/null; then
        __dctx_start
    fi
    if [[ -n ${__DCTX_FD_IN-} ]] &&
        \builtin printf '%s\0' "${PWD}" "${DOCKER_HOST-}" "${DOCKER_CONTEXT-}" "${DOCKER_CONFIG-}" \
            "${DOCKER_TLS_VERIFY-}" "${DOCKER_TLS-}" "${DOCKER_CERT_PATH-}" >&${__DCTX_FD_IN} 2>/dev/null &&
        IFS= \builtin read -r -d '' -t 0.5 -u ${__DCTX_FD_OUT} DCTX_SEGMENT 2>/dev/null; then
        :
    else
        # A stuck or dead helper must never hang or blank the prompt.
        __dctx_stop
        DCTX_SEGMENT=$(\command "${__DCTX_PROMPT}" --shell @DCTX_SHELL@ --pid $$ 2>/dev/null)
    fi
    @DCTX_EXPORT@
    return ${__dctx_status}
}

if [[ -o interactive ]]; then
    # First, once: prompt frameworks running later (starship) see DCTX_SEGMENT.
    typeset -ga precmd_functions
    precmd_functions=(__dctx_precmd ${precmd_functions:#__dctx_precmd})
    typeset -ga zshexit_functions
    zshexit_functions=(${zshexit_functions:#__dctx_stop} __dctx_stop)
    @DCTX_PROMPT_EDIT@
fi
