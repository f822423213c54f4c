# dctx guard (`dctx init fish --guard`): in an interactive shell, `docker`
# goes through `dctx guard`, which runs the real docker in its own place
# unless the command is destructive and aimed at a protected context that
# the command line does not name. `command docker` skips it; scripts use
# `dctx guard shim DIR`.
if status is-interactive
    # Lines that are certainly read-only (`dctx init` renders the list
    # from dctx's fast path) run docker directly, with builtins only;
    # every other line, and any that starts with a flag, goes to the guard.
    function __dctx_docker_read_only
        switch "$argv[1]"
            case @DCTX_GUARD_READ_ONLY@
        end
        return 1
    end
    function docker --description 'docker, through dctx guard'
        if __dctx_docker_read_only $argv
            command docker $argv
        else
            command $__dctx_bin guard --fish -- $argv
        end
    end
end
# The standalone docker-compose (1.x) reaches engines too: it goes through
# `dctx guard --compose`, which reads its line as docker-compose does.
if status is-interactive
    function docker-compose --description 'docker-compose, through dctx guard'
        command $__dctx_bin guard --compose --fish -- $argv
    end
end
