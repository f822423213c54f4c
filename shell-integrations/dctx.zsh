# dctx: the Docker context in your zsh prompt (zsh 5 or newer).
# Load it from ~/.zshrc with:   eval "$(dctx init zsh)"
# Then, with prompt_subst, put ${DCTX_SEGMENT} in PROMPT, e.g.
#   setopt prompt_subst; PROMPT='${DCTX_SEGMENT:+[$DCTX_SEGMENT] }%~ %# '
# (or use `dctx init zsh --prompt` to have it prepended for you).
#
# Before each prompt, __dctx_precmd checks whether its last segment still
# holds: the same exported variables (docker sees no others), the same
# daemon change mark, the config dir still resolving where it did, and no
# file behind the answer newer than the helper's stamp of it (builtin
# tests only; see crates/dctx-ipc/src/stamps.rs). Otherwise it sends
# its variables to a helper (`dctx-prompt --serve`, one per shell) through
# a FIFO in its private dir and reads back the segment with builtins only:
# no fork. If the helper is gone or slow, one `dctx-prompt` call answers
# instead and the helper is restarted. The frames are
# crates/dctx-ipc/src/helper_frame.rs's.

# Every global is declared here, so that assigning it in a function stays
# quiet under warn_create_global.
typeset -g __DCTX_PROMPT=@DCTX_PROMPT@
typeset -g DCTX_SEGMENT=${DCTX_SEGMENT-}
typeset -g __DCTX_STAMPS=${__DCTX_STAMPS-} __DCTX_KEY=${__DCTX_KEY-} __DCTX_NEXT_KEY=
typeset -g __DCTX_HELPER_PID=${__DCTX_HELPER_PID-} __DCTX_HELPER_AT=${__DCTX_HELPER_AT-}
typeset -g __DCTX_DIR=${__DCTX_DIR-} __dctx_frame= __dctx_at=
typeset -gF __dctx_deadline
# The clock of the answer's deadline ($EPOCHREALTIME), a builtin module.
\builtin zmodload -F zsh/datetime p:EPOCHREALTIME 2>/dev/null
typeset -ga __DCTX_ENV

__dctx_stop() {
    # Only the helper this shell started: its pid may since have been
    # reused, and the process behind it now is someone else's.
    if [[ -n ${__DCTX_HELPER_PID-} ]] && __dctx_started_at ${__DCTX_HELPER_PID} &&
        [[ ${__dctx_at} == ${__DCTX_HELPER_AT} ]]; then
        \builtin kill ${__DCTX_HELPER_PID} 2>/dev/null
    fi
    __DCTX_HELPER_PID= __DCTX_HELPER_AT= __DCTX_DIR= __DCTX_KEY=
}

# Sets __dctx_at to when process $1 started (field 22 of /proc/PID/stat,
# read after the command name, which may hold spaces and parentheses).
__dctx_started_at() {
    __dctx_at=
    \builtin local stat
    IFS= \builtin read -r stat 2>/dev/null <"/proc/$1/stat" || \builtin return 1
    \builtin local -a fields
    fields=(${(s: :)${stat##*) }})
    __dctx_at=${fields[20]-}
    [[ -n ${__dctx_at} ]]
}

__dctx_start() {
    __dctx_stop
    # Once per shell: the helper's pid, then its private dir holding the
    # FIFOs `in` and `out`; nothing at all when it cannot start.
    \builtin local started
    started=$(\command "${__DCTX_PROMPT}" --serve-fifos --shell @DCTX_SHELL@ --pid $$ 2>/dev/null) || \builtin return 1
    __DCTX_HELPER_PID=${started%%$'\n'*}
    __DCTX_DIR=${started#*$'\n'}
    # Its start time, while the pid is certainly still the helper's: what
    # tells it apart later from a process that got the pid after it.
    __dctx_started_at ${__DCTX_HELPER_PID}
    __DCTX_HELPER_AT=${__dctx_at}
}

# Reads one NUL-terminated field of the answer into $1 within what is left
# of the answer's 0.5 s (__dctx_deadline); without zsh/datetime, each of
# the three reads gets a third.
__dctx_read() {
    \builtin local -F left=0.166666
    if (( ${+EPOCHREALTIME} )); then
        (( left = __dctx_deadline - EPOCHREALTIME ))
        (( left > 0 )) || \builtin return 1
    fi
    IFS= \builtin read -r -d '' -t ${left} -u 9 $1
}

# zsh hands every precmd function, and the prompt, the command's own $?,
# whatever this returns.
__dctx_precmd() {
    # What the answer depends on besides files: the type (exported or
    # not) and value of each variable the helper is sent; the helper keeps
    # no answer that depends on PWD.
    # One expansion per variable of dctx_ipc::helper_frame::REQUEST_VARS, in
    # its order (`dctx init`'s tests hold this line to that list).
    __DCTX_NEXT_KEY=${(t)HOME-}=${HOME-}$'\x1f'${(t)DCTX_CONFIG-}=${DCTX_CONFIG-}$'\x1f'${(t)XDG_CONFIG_HOME-}=${XDG_CONFIG_HOME-}$'\x1f'${(t)DOCKER_HOST-}=${DOCKER_HOST-}$'\x1f'${(t)DOCKER_CONTEXT-}=${DOCKER_CONTEXT-}$'\x1f'${(t)DOCKER_CONFIG-}=${DOCKER_CONFIG-}$'\x1f'${(t)DOCKER_TLS_VERIFY-}=${DOCKER_TLS_VERIFY-}$'\x1f'${(t)DOCKER_TLS-}=${DOCKER_TLS-}$'\x1f'${(t)DOCKER_CERT_PATH-}=${DOCKER_CERT_PATH-}$'\x1f'${(t)PATH-}=${PATH-}$'\x1f'${(t)SSH_AUTH_SOCK-}=${SSH_AUTH_SOCK-}$'\x1f'${(t)HTTP_PROXY-}=${HTTP_PROXY-}$'\x1f'${(t)HTTPS_PROXY-}=${HTTPS_PROXY-}$'\x1f'${(t)NO_PROXY-}=${NO_PROXY-}$'\x1f'${(t)ALL_PROXY-}=${ALL_PROXY-}$'\x1f'${(t)http_proxy-}=${http_proxy-}$'\x1f'${(t)https_proxy-}=${https_proxy-}$'\x1f'${(t)no_proxy-}=${no_proxy-}$'\x1f'${(t)all_proxy-}=${all_proxy-}$'\x1f'
    # The stamps' checks: dctx_ipc::stamps::HOOK_CHECKS (held to it by
    # `dctx init`'s tests).
    if [[ ${__DCTX_NEXT_KEY} == "${__DCTX_KEY-}" && ${__DCTX_STAMPS-}/g -ef ${__DCTX_STAMPS-}/gs && ${__DCTX_STAMPS-}/d -ef ${__DCTX_STAMPS-}/dr && ! ${__DCTX_STAMPS-}/c -nt ${__DCTX_STAMPS-}/cs && ! ${__DCTX_STAMPS-}/m -nt ${__DCTX_STAMPS-}/ms ]]; then
        return
    fi
    __dctx_ask
}

__dctx_ask() {
    # A cheap first look; a pid reused since passes it, but then the answer
    # times out and __dctx_stop tells the two apart.
    if [[ -z ${__DCTX_HELPER_PID-} ]] || ! \builtin kill -0 ${__DCTX_HELPER_PID} 2>/dev/null; then
        __dctx_start
    fi
    # Sent: each variable's value if this shell exports it (docker sees
    # no others), else nothing; REQUEST_VARS again, in order.
    __DCTX_ENV=("" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "")
    [[ ${(t)HOME-} == *export* ]] && __DCTX_ENV[1]=${HOME}
    [[ ${(t)DCTX_CONFIG-} == *export* ]] && __DCTX_ENV[2]=${DCTX_CONFIG}
    [[ ${(t)XDG_CONFIG_HOME-} == *export* ]] && __DCTX_ENV[3]=${XDG_CONFIG_HOME}
    [[ ${(t)DOCKER_HOST-} == *export* ]] && __DCTX_ENV[4]=${DOCKER_HOST}
    [[ ${(t)DOCKER_CONTEXT-} == *export* ]] && __DCTX_ENV[5]=${DOCKER_CONTEXT}
    [[ ${(t)DOCKER_CONFIG-} == *export* ]] && __DCTX_ENV[6]=${DOCKER_CONFIG}
    [[ ${(t)DOCKER_TLS_VERIFY-} == *export* ]] && __DCTX_ENV[7]=${DOCKER_TLS_VERIFY}
    [[ ${(t)DOCKER_TLS-} == *export* ]] && __DCTX_ENV[8]=${DOCKER_TLS}
    [[ ${(t)DOCKER_CERT_PATH-} == *export* ]] && __DCTX_ENV[9]=${DOCKER_CERT_PATH}
    [[ ${(t)PATH-} == *export* ]] && __DCTX_ENV[10]=${PATH}
    [[ ${(t)SSH_AUTH_SOCK-} == *export* ]] && __DCTX_ENV[11]=${SSH_AUTH_SOCK}
    [[ ${(t)HTTP_PROXY-} == *export* ]] && __DCTX_ENV[12]=${HTTP_PROXY}
    [[ ${(t)HTTPS_PROXY-} == *export* ]] && __DCTX_ENV[13]=${HTTPS_PROXY}
    [[ ${(t)NO_PROXY-} == *export* ]] && __DCTX_ENV[14]=${NO_PROXY}
    [[ ${(t)ALL_PROXY-} == *export* ]] && __DCTX_ENV[15]=${ALL_PROXY}
    [[ ${(t)http_proxy-} == *export* ]] && __DCTX_ENV[16]=${http_proxy}
    [[ ${(t)https_proxy-} == *export* ]] && __DCTX_ENV[17]=${https_proxy}
    [[ ${(t)no_proxy-} == *export* ]] && __DCTX_ENV[18]=${no_proxy}
    [[ ${(t)all_proxy-} == *export* ]] && __DCTX_ENV[19]=${all_proxy}
    # Each FIFO is opened read-write for this question alone: such an open
    # never blocks, and nothing this shell runs inherits it. fd 0 stays the
    # terminal, where the helper finds this shell's tty (/proc/$$/fd/0).
    # One deadline for the whole answer.
    (( __dctx_deadline = ${EPOCHREALTIME-0} + 0.5 ))
    if [[ -p ${__DCTX_DIR-}/in && -p ${__DCTX_DIR}/out ]] &&
        \builtin printf '%s\0' @DCTX_FRAME@ "${PWD}" "${__DCTX_ENV[@]}" 2>/dev/null 1<>"${__DCTX_DIR}/in" &&
        { __dctx_read __dctx_frame && [[ ${__dctx_frame} == @DCTX_FRAME@ ]] &&
            __dctx_read DCTX_SEGMENT && __dctx_read __DCTX_STAMPS; } 9<>"${__DCTX_DIR}/out" 2>/dev/null; then
        # Kept only when the helper stamped what the answer was read from.
        __DCTX_KEY=${__DCTX_STAMPS:+${__DCTX_NEXT_KEY}}
    else
        # A stuck or dead helper must never hang or blank the prompt.
        __dctx_stop
        DCTX_SEGMENT=$(\command "${__DCTX_PROMPT}" --shell @DCTX_SHELL@ --pid $$ 2>/dev/null)
        # 126/127: dctx-prompt is gone (uninstalled): said once per shell,
        # and no segment rather than an error in it.
        case $? in 126 | 127)
            DCTX_SEGMENT=''
            if [[ -z ${__DCTX_GONE-} ]]; then
                \builtin typeset -g __DCTX_GONE=1
                \builtin printf 'dctx: %s cannot run (uninstalled?); delete the dctx init line from your startup file\n' "${__DCTX_PROMPT}" >&2
            fi
            ;;
        *) ;;
        esac
    fi
    # @IF starship@
    # For starship's env_var module, which shows only a defined variable.
    if [[ -n ${DCTX_SEGMENT-} ]]; then \builtin export DCTX_SEGMENT; else \builtin unset DCTX_SEGMENT; fi
    # @END@
}

typeset -g __DCTX_BIN=@DCTX_BIN@

# `dctx use` switches this shell's DOCKER_CONTEXT, which only a function
# can do: the binary validates the choice and prints the code to run.
dctx() {
    if [[ ${1-} == use ]]; then
        \builtin shift
        \builtin local __dctx_code
        __dctx_code=$(\command "${__DCTX_BIN}" use --emit zsh ${__DCTX_PREVIOUS+"--previous=${__DCTX_PREVIOUS}"} "$@") || \builtin return
        \builtin eval "${__dctx_code}"
    else
        \command "${__DCTX_BIN}" "$@"
    fi
}

if [[ -o interactive ]]; then
    if (( ${ZSH_VERSION%%.*} >= 5 )); then
        # First, once: prompt frameworks running later (starship) see DCTX_SEGMENT.
        typeset -ga precmd_functions
        precmd_functions=(__dctx_precmd ${precmd_functions:#__dctx_precmd})
        typeset -ga zshexit_functions
        zshexit_functions=(${zshexit_functions:#__dctx_stop} __dctx_stop)
    else
        \builtin print -u2 -r -- "dctx: needs zsh 5 or newer (this is ${ZSH_VERSION}); the prompt is left as it was"
    fi
fi
