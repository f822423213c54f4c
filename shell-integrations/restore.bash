# The last line of `dctx init bash`, after the guard and the completions:
# the options that the first line of dctx.bash set aside, as they were.
# `dctx init` prints it without this comment, which would be a command
# when the user has turned interactive_comments off.
# shellcheck disable=SC2154 # set by the first line of dctx.bash
\builtin eval "${__dctx_options}"; \builtin unset __dctx_options __dctx_o
