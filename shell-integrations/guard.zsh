# dctx guard (`dctx init zsh --guard`): in an interactive shell, `docker`
# goes through `dctx guard`, which runs the real docker in its own place
# unless the command is destructive and aimed at a protected context that
# the command line does not name. `command docker` skips it; scripts use
# `dctx guard shim DIR`.
if [[ -o interactive ]]; then
    # An alias is expanded before any function is looked up: it would
    # silently run around the guard.
    if (( ${+aliases[docker]} )); then
        \builtin print -r -- "dctx: 'docker' is an alias in this shell, which bypasses the guard; 'unalias docker' lets the guard see docker commands" >&2
    fi
    # Lines that are certainly read-only (`dctx init` renders the list
    # from dctx's fast path) run docker directly, with builtins only;
    # every other line, and any that starts with a flag, goes to the guard.
    function __dctx_docker_read_only {
        \builtin emulate -L zsh
        case ${1-} in
            # (dctx init renders the read-only commands' branches here.)
            @DCTX_GUARD_READ_ONLY@) ;;
            *) ;;
        esac
        \builtin return 1
    }
    function docker {
        if __dctx_docker_read_only "$@"; then
            \command docker "$@"
        else
            \command "${__DCTX_BIN}" guard -- "$@"
        fi
    }
fi
# The standalone docker-compose (1.x) reaches engines too: it goes through
# `dctx guard --compose`, which reads its line as docker-compose does.
if [[ -o interactive ]]; then
    if (( ${+aliases[docker-compose]} )); then
        \builtin print -r -- "dctx: 'docker-compose' is an alias in this shell, which bypasses the guard" >&2
    fi
    function docker-compose {
        \command "${__DCTX_BIN}" guard --compose -- "$@"
    }
fi
