# shellcheck disable=SC2154 # __DCTX_BIN is set by dctx.bash, printed before this
# dctx guard (`dctx init bash --guard`): in an interactive shell, `docker`
# goes through `dctx guard`, which runs the real docker in its own place
# unless the command is destructive and aimed at a protected context that
# the command line does not name. `command docker` skips it; scripts use
# `dctx guard shim DIR`.
if [[ $- == *i* ]]; then
    # An alias is expanded before any function is looked up: it would
    # silently run around the guard.
    if \builtin alias docker >/dev/null 2>&1; then
        \builtin printf '%s\n' "dctx: 'docker' is an alias in this shell, which bypasses the guard; 'unalias docker' lets the guard see docker commands" >&2
    fi
    # Lines that are certainly read-only (`dctx init` renders the list
    # from dctx's fast path) run docker directly, with builtins only;
    # every other line, and any that starts with a flag, goes to the guard.
    function __dctx_docker_read_only {
        case ${1-} in
            # (dctx init renders the read-only commands' branches here.)
            @DCTX_GUARD_READ_ONLY@) ;;
            *) ;;
        esac
        \builtin return 1
    }
    function docker {
        # shellcheck disable=SC2310 # a failure is an answer here, under set -e too
        if __dctx_docker_read_only "$@"; then
            \command docker "$@"
        else
            \command "${__DCTX_BIN}" guard -- "$@"
        fi
    }
fi
# The standalone docker-compose (1.x) reaches engines too: it goes through
# `dctx guard --compose`, which reads its line as docker-compose does.
if [[ $- == *i* ]]; then
    if \builtin alias docker-compose >/dev/null 2>&1; then
        \builtin printf '%s\n' "dctx: 'docker-compose' is an alias in this shell, which bypasses the guard" >&2
    fi
    function docker-compose {
        \command "${__DCTX_BIN}" guard --compose -- "$@"
    }
fi
