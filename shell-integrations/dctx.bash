__dctx_options=; for __dctx_o in posix errexit nounset noglob allexport; do if [[ -o ${__dctx_o} ]]; then __dctx_options+="\builtin set -o ${__dctx_o}; "; \builtin set +o "${__dctx_o}"; fi; done; for __dctx_o in failglob nullglob nocasematch nocaseglob; do if \builtin shopt -q "${__dctx_o}"; then __dctx_options+="\builtin shopt -s ${__dctx_o}; "; \builtin shopt -u "${__dctx_o}"; fi; done; if ! \builtin shopt -q interactive_comments; then __dctx_options+="\builtin shopt -u interactive_comments; "; \builtin shopt -s interactive_comments; fi
# (The line above is the first bash reads, before any comment: it sets the
# options that would change how this script parses or runs while it loads
# (comments, POSIX mode's function names, globs, strict modes) to bash's
# defaults and keeps what they were; restore.bash, the last line `dctx
# init bash` prints, puts them back. Builtins only, and only these
# options: setting some others again (`set -o emacs` in `bash -i -c`) can
# crash bash 5.2. The hook itself runs under the user's options and is
# written for any of them.)
#
# dctx: the Docker context in your bash prompt (bash 4.4 or newer).
# Load it from ~/.bashrc with:   eval "$(dctx init bash)"
# Then put ${DCTX_SEGMENT} in PS1, e.g.  PS1='${DCTX_SEGMENT:+[$DCTX_SEGMENT] }\w\$ '
# (or use `dctx init bash --prompt` to have it prepended for you).
#
# Before each prompt, __dctx_precmd checks whether its last segment still
# holds: the same exported variables (docker sees no others), the same
# daemon change mark, the config dir still resolving where it did, and no
# file behind the answer newer than the helper's stamp of it (builtin
# tests only; see crates/dctx-ipc/src/stamps.rs). Otherwise it sends
# its variables to a helper (`dctx-prompt --serve`, one per shell, started
# on first use) through a FIFO in its private dir and reads back the
# segment: a builtin printf and a builtin read, no fork. If the helper is
# gone or slow, one `dctx-prompt` call answers instead and the helper is
# restarted at the next prompt. The frames are crates/dctx-ipc/src/helper_frame.rs's.

__DCTX_PROMPT=@DCTX_PROMPT@
# DCTX_SEGMENT is read by the user's PS1, which shellcheck cannot see.
# shellcheck disable=SC2034
DCTX_SEGMENT=${DCTX_SEGMENT-}

__dctx_stop() {
    # Only the helper this shell started: its pid may since have been
    # reused, and the process behind it now is someone else's.
    # shellcheck disable=SC2310 # a failure is an answer here, under set -e too
    if [[ -n ${__DCTX_HELPER_PID-} ]] && __dctx_started_at "${__DCTX_HELPER_PID}" &&
        [[ ${__dctx_at} == "${__DCTX_HELPER_AT-}" ]]; then
        \builtin kill "${__DCTX_HELPER_PID}" 2>/dev/null
    fi
    \builtin unset __DCTX_HELPER_PID __DCTX_HELPER_AT __DCTX_DIR __DCTX_KEY
}

# Sets __dctx_at to when process $1 started (field 22 of /proc/PID/stat,
# read after the command name, which may hold spaces and parentheses).
__dctx_started_at() {
    __dctx_at=
    \builtin local stat fields
    IFS= \builtin read -r stat 2>/dev/null <"/proc/$1/stat" || \builtin return 1
    IFS=' ' \builtin read -r -a fields <<<"${stat##*) }"
    __dctx_at=${fields[19]-}
    [[ -n ${__dctx_at} ]]
}

__dctx_start() {
    __dctx_stop
    # Once per shell: the helper's pid, then its private dir holding the
    # FIFOs `in` and `out`; nothing at all when it cannot start.
    \builtin local started
    started=$(\command "${__DCTX_PROMPT}" --serve-fifos --shell @DCTX_SHELL@ --pid "$$" 2>/dev/null) || \builtin return 1
    __DCTX_HELPER_PID=${started%%$'\n'*}
    __DCTX_DIR=${started#*$'\n'}
    # Its start time, while the pid is certainly still the helper's: what
    # tells it apart later from a process that got the pid after it.
    __dctx_started_at "${__DCTX_HELPER_PID}"
    __DCTX_HELPER_AT=${__dctx_at}
}

# Reads one NUL-terminated field of the answer into $1 within what is left
# of the answer's 0.5 s (__dctx_deadline, in microseconds); bash 4.4, with
# no EPOCHREALTIME, gives each of the three reads a third.
__dctx_read() {
    \builtin local left=166666
    if [[ -n ${EPOCHREALTIME-} ]]; then
        left=$((__dctx_deadline - ${EPOCHREALTIME//[!0-9]/}))
        ((left > 0)) || \builtin return 1
    fi
    \builtin printf -v left '%d.%06d' "$((left / 1000000))" "$((left % 1000000))"
    IFS= \builtin read -r -d '' -t "${left}" -u 9 "$1"
}

__dctx_precmd() {
    # Keep $? for the user's own prompt (a global: cheaper than a local).
    __dctx_status=$?
    # What the answer depends on besides files: the attributes and value
    # of each variable the helper is sent; the helper keeps no answer that
    # depends on PWD.
    # One expansion per variable of dctx_ipc::helper_frame::REQUEST_VARS, in
    # its order (`dctx init`'s tests hold this line to that list): this runs
    # at every prompt, where the exported values alone would cost three
    # times as much. `declare -x V='…'`, or nothing when unset (safe under
    # set -u).
    __DCTX_NEXT_KEY=${HOME+${HOME@A}}${DCTX_CONFIG+${DCTX_CONFIG@A}}${XDG_CONFIG_HOME+${XDG_CONFIG_HOME@A}}${DOCKER_HOST+${DOCKER_HOST@A}}${DOCKER_CONTEXT+${DOCKER_CONTEXT@A}}${DOCKER_CONFIG+${DOCKER_CONFIG@A}}${DOCKER_TLS_VERIFY+${DOCKER_TLS_VERIFY@A}}${DOCKER_TLS+${DOCKER_TLS@A}}${DOCKER_CERT_PATH+${DOCKER_CERT_PATH@A}}${PATH+${PATH@A}}${SSH_AUTH_SOCK+${SSH_AUTH_SOCK@A}}${HTTP_PROXY+${HTTP_PROXY@A}}${HTTPS_PROXY+${HTTPS_PROXY@A}}${NO_PROXY+${NO_PROXY@A}}${ALL_PROXY+${ALL_PROXY@A}}${http_proxy+${http_proxy@A}}${https_proxy+${https_proxy@A}}${no_proxy+${no_proxy@A}}${all_proxy+${all_proxy@A}}
    # The stamps' checks: dctx_ipc::stamps::HOOK_CHECKS (held to it by
    # `dctx init`'s tests).
    if [[ ${__DCTX_NEXT_KEY} == "${__DCTX_KEY-}" && ${__DCTX_STAMPS-}/g -ef ${__DCTX_STAMPS-}/gs && ${__DCTX_STAMPS-}/d -ef ${__DCTX_STAMPS-}/dr && ! ${__DCTX_STAMPS-}/c -nt ${__DCTX_STAMPS-}/cs && ! ${__DCTX_STAMPS-}/m -nt ${__DCTX_STAMPS-}/ms ]]; then
        return "${__dctx_status}"
    fi
    # Kept apart because bash copies a function's whole body on every call.
    __dctx_ask
    return "${__dctx_status}"
}

__dctx_ask() {
    # A cheap first look; a pid reused since passes it, but then the answer
    # times out and __dctx_stop tells the two apart.
    if [[ -z ${__DCTX_HELPER_PID-} ]] || ! \builtin kill -0 "${__DCTX_HELPER_PID}" 2>/dev/null; then
        __dctx_start
    fi
    # Sent: each variable's value if this shell exports it (docker sees
    # no others), else nothing; REQUEST_VARS again, in order (`${V@a}` is
    # bash 4.4's).
    __DCTX_ENV=("" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "")
    [[ ${HOME+${HOME@a}} == *x* ]] && __DCTX_ENV[0]=${HOME}
    [[ ${DCTX_CONFIG+${DCTX_CONFIG@a}} == *x* ]] && __DCTX_ENV[1]=${DCTX_CONFIG}
    [[ ${XDG_CONFIG_HOME+${XDG_CONFIG_HOME@a}} == *x* ]] && __DCTX_ENV[2]=${XDG_CONFIG_HOME}
    [[ ${DOCKER_HOST+${DOCKER_HOST@a}} == *x* ]] && __DCTX_ENV[3]=${DOCKER_HOST}
    [[ ${DOCKER_CONTEXT+${DOCKER_CONTEXT@a}} == *x* ]] && __DCTX_ENV[4]=${DOCKER_CONTEXT}
    [[ ${DOCKER_CONFIG+${DOCKER_CONFIG@a}} == *x* ]] && __DCTX_ENV[5]=${DOCKER_CONFIG}
    [[ ${DOCKER_TLS_VERIFY+${DOCKER_TLS_VERIFY@a}} == *x* ]] && __DCTX_ENV[6]=${DOCKER_TLS_VERIFY}
    [[ ${DOCKER_TLS+${DOCKER_TLS@a}} == *x* ]] && __DCTX_ENV[7]=${DOCKER_TLS}
    [[ ${DOCKER_CERT_PATH+${DOCKER_CERT_PATH@a}} == *x* ]] && __DCTX_ENV[8]=${DOCKER_CERT_PATH}
    [[ ${PATH+${PATH@a}} == *x* ]] && __DCTX_ENV[9]=${PATH}
    [[ ${SSH_AUTH_SOCK+${SSH_AUTH_SOCK@a}} == *x* ]] && __DCTX_ENV[10]=${SSH_AUTH_SOCK}
    [[ ${HTTP_PROXY+${HTTP_PROXY@a}} == *x* ]] && __DCTX_ENV[11]=${HTTP_PROXY}
    [[ ${HTTPS_PROXY+${HTTPS_PROXY@a}} == *x* ]] && __DCTX_ENV[12]=${HTTPS_PROXY}
    [[ ${NO_PROXY+${NO_PROXY@a}} == *x* ]] && __DCTX_ENV[13]=${NO_PROXY}
    [[ ${ALL_PROXY+${ALL_PROXY@a}} == *x* ]] && __DCTX_ENV[14]=${ALL_PROXY}
    [[ ${http_proxy+${http_proxy@a}} == *x* ]] && __DCTX_ENV[15]=${http_proxy}
    [[ ${https_proxy+${https_proxy@a}} == *x* ]] && __DCTX_ENV[16]=${https_proxy}
    [[ ${no_proxy+${no_proxy@a}} == *x* ]] && __DCTX_ENV[17]=${no_proxy}
    [[ ${all_proxy+${all_proxy@a}} == *x* ]] && __DCTX_ENV[18]=${all_proxy}
    # Each FIFO is opened read-write for this question alone: such an open
    # never blocks, and nothing this shell runs inherits it. fd 0 stays the
    # terminal, where the helper finds this shell's tty (/proc/$$/fd/0).
    # One deadline for the whole answer.
    __dctx_deadline=${EPOCHREALTIME-0}
    __dctx_deadline=$((${__dctx_deadline//[!0-9]/} + 500000))
    # __dctx_read sets __dctx_frame and __DCTX_STAMPS (by name).
    # A failed read is an answer too (the fallback below), under set -e too.
    # shellcheck disable=SC2154,SC2310
    if [[ -p ${__DCTX_DIR-}/in && -p ${__DCTX_DIR}/out ]] &&
        \builtin printf '%s\0' @DCTX_FRAME@ "${PWD}" "${__DCTX_ENV[@]}" 2>/dev/null 1<>"${__DCTX_DIR}/in" &&
        { __dctx_read __dctx_frame && [[ ${__dctx_frame} == @DCTX_FRAME@ ]] &&
            __dctx_read DCTX_SEGMENT && __dctx_read __DCTX_STAMPS; } 9<>"${__DCTX_DIR}/out" 2>/dev/null; then
        # Kept only when the helper stamped what the answer was read from.
        __DCTX_KEY=${__DCTX_STAMPS:+${__DCTX_NEXT_KEY}}
    else
        # A stuck or dead helper must never hang or blank the prompt.
        __dctx_stop
        # shellcheck disable=SC2034 # read by PS1
        DCTX_SEGMENT=$(\command "${__DCTX_PROMPT}" --shell @DCTX_SHELL@ --pid "$$" 2>/dev/null)
        # 126/127: dctx-prompt is gone (uninstalled): said once per shell,
        # and no segment rather than an error in it.
        case $? in 126 | 127)
            DCTX_SEGMENT=''
            if [[ -z ${__DCTX_GONE-} ]]; then
                __DCTX_GONE=1
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

__DCTX_BIN=@DCTX_BIN@

# `dctx use` switches this shell's DOCKER_CONTEXT, which only a function
# can do: the binary validates the choice and prints the code to run.
dctx() {
    if [[ ${1-} == use ]]; then
        \builtin shift
        \builtin local __dctx_code
        __dctx_code=$(\command "${__DCTX_BIN}" use --emit bash ${__DCTX_PREVIOUS+"--previous=${__DCTX_PREVIOUS}"} "$@") || \builtin return
        \builtin eval "${__dctx_code}"
    else
        \command "${__DCTX_BIN}" "$@"
    fi
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
    # ${V@A} and ${V@a} are bash 4.4's; older shells get a word, not errors.
    if ((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 4))); then
        __dctx_install
        # @IF prompt@
        # `--prompt`, once: loading twice does not stack segments.
        case ${PS1-} in *DCTX_SEGMENT*) ;; *) PS1='${DCTX_SEGMENT:+$DCTX_SEGMENT }'"${PS1-}" ;; esac
        # @END@
    else
        \builtin printf 'dctx: needs bash 4.4 or newer (this is %s); the prompt is left as it was\n' "${BASH_VERSION}" >&2
    fi
fi
