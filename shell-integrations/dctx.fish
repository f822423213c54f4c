# dctx: the Docker context in your fish prompt.
# Load it from ~/.config/fish/config.fish with:   dctx init fish | source
# Then call `dctx_segment` in fish_prompt, or read $DCTX_SEGMENT
# (or use `dctx init fish --prompt` to have it put before your prompt).
#
# Before each prompt one `dctx-prompt` call, answered by the dctx daemon,
# sets DCTX_SEGMENT from this shell's own DOCKER_* variables.

set -g __dctx_prompt @DCTX_PROMPT@
set -q DCTX_SEGMENT; or set -g DCTX_SEGMENT ''

function __dctx_precmd --on-event fish_prompt --description 'dctx: set DCTX_SEGMENT for this prompt'
    set -l __dctx_status $status
    set -g DCTX_SEGMENT (command $__dctx_prompt --shell @DCTX_SHELL@ --pid $fish_pid 2>/dev/null | string collect)
    @DCTX_EXPORT@
    return $__dctx_status
end

# Sets $status for whatever runs next (a prompt that shows the last status).
function __dctx_return --description 'dctx: return the given status'
    return $argv[1]
end

function dctx_segment --description 'dctx: print the Docker context segment'
    printf '%s' $DCTX_SEGMENT
end

if status is-interactive
    @DCTX_PROMPT_EDIT@
end
