# dctx guard (`dctx init bash --guard`): in an interactive shell, `docker`
# goes through `dctx guard`, which runs the real docker in its own place
# unless the command is destructive and aimed at a protected context that
# the command line does not name. `command docker` skips it; scripts use
# `dctx guard shim DIR`.
if [[ $- == *i* ]]; then
    function docker {
        \command "${__DCTX_BIN}" guard -- "$@"
    }
fi
