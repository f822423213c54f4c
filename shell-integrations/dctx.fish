# dctx: the Docker context in your fish prompt (fish 3.1 or newer).
# Load it from ~/.config/fish/config.fish with:   dctx init fish | source
# Then call `dctx_segment` in fish_prompt, or read $DCTX_SEGMENT
# (or use `dctx init fish --prompt` to have it put before your prompt).
#
# Before each prompt, __dctx_precmd checks whether its last segment still
# holds, with builtins only: the same exported variables (docker sees no
# others), the same daemon change mark, the config dir still resolving
# where it did, no file behind the answer newer than its stamp, and the
# daemon that answered still running (see crates/dctx-ipc/src/stamps.rs).
# Only otherwise does it run one `dctx-prompt --keep`, answered by the
# dctx daemon, which stamps what the answer was read from.

set -g __dctx_prompt @DCTX_PROMPT@
set -q DCTX_SEGMENT; or set -g DCTX_SEGMENT ''
set -g __dctx_key
set -g __dctx_stamps

function __dctx_ask --description 'dctx: ask for the segment, and the stamps to keep it by'
    # dctx-prompt gone (uninstalled under this shell): said once, and no
    # segment, rather than fish's own error at every prompt.
    if not test -x $__dctx_prompt
        set -g DCTX_SEGMENT ''
        set -g __dctx_stamps ''
        if not set -q __dctx_gone
            set -g __dctx_gone 1
            printf 'dctx: %s cannot run (uninstalled?); delete the dctx init line from your startup file\n' $__dctx_prompt >&2
        end
        return
    end
    # The answer's format and --frame: crates/dctx-ipc/src/helper_frame.rs.
    set -l out (command $__dctx_prompt --shell @DCTX_SHELL@ --pid $fish_pid --keep --frame @DCTX_FRAME@ 2>/dev/null | string split0)
    if test (count $out) -lt 2
        # Not a `Kept` answer: a dctx-prompt older than --frame (downgraded
        # under this shell) printed its marker. Its plain answer instead,
        # with no stamps, so nothing is kept.
        set out (command $__dctx_prompt --shell @DCTX_SHELL@ --pid $fish_pid 2>/dev/null) ''
    end
    set -g DCTX_SEGMENT "$out[1]"
    set -g __dctx_stamps "$out[2]"
end

# Sets $status for whatever runs next (a prompt that shows the last status).
function __dctx_return --description 'dctx: return the given status'
    return $argv[1]
end

function dctx_segment --description 'dctx: print the Docker context segment'
    printf '%s' $DCTX_SEGMENT
end

set -g __dctx_bin @DCTX_BIN@

# `dctx use` switches this shell's DOCKER_CONTEXT, which only a function
# can do: the binary validates the choice and prints the code to run.
function dctx --description 'dctx; `dctx use` switches this shell only'
    if test "$argv[1]" = use
        set -l previous
        set -q __dctx_previous; and set previous --previous=$__dctx_previous
        set -l code (command $__dctx_bin use --emit fish $previous $argv[2..-1]); or return
        eval $code
    else
        command $__dctx_bin $argv
    end
end

set -l __dctx_version (string split . -- $version)
if status is-interactive
    if test "$__dctx_version[1]" -gt 3; or test "$__dctx_version[1]" -eq 3 -a "$__dctx_version[2]" -ge 1
        function __dctx_precmd --on-event fish_prompt --description 'dctx: set DCTX_SEGMENT for this prompt'
            set -l __dctx_status $status
            # What the answer depends on besides files: the values of the
            # variables sent, and how many of them are not exported (docker
            # sees only exported ones). One builtin for all: fish pays
            # several microseconds for each.
            # REQUEST_VARS of dctx_ipc::helper_frame, in order (`dctx init`'s
            # tests hold these lines to that list).
            set -qx HOME DCTX_CONFIG XDG_CONFIG_HOME DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG DOCKER_TLS_VERIFY DOCKER_TLS DOCKER_CERT_PATH PATH SSH_AUTH_SOCK HTTP_PROXY HTTPS_PROXY NO_PROXY ALL_PROXY http_proxy https_proxy no_proxy all_proxy
            set -l key $status\x1f"$HOME"\x1f"$DCTX_CONFIG"\x1f"$XDG_CONFIG_HOME"\x1f"$DOCKER_HOST"\x1f"$DOCKER_CONTEXT"\x1f"$DOCKER_CONFIG"\x1f"$DOCKER_TLS_VERIFY"\x1f"$DOCKER_TLS"\x1f"$DOCKER_CERT_PATH"\x1f"$PATH"\x1f"$SSH_AUTH_SOCK"\x1f"$HTTP_PROXY"\x1f"$HTTPS_PROXY"\x1f"$NO_PROXY"\x1f"$ALL_PROXY"\x1f"$http_proxy"\x1f"$https_proxy"\x1f"$no_proxy"\x1f"$all_proxy"
            set -l s $__dctx_stamps
            # The stamps' checks: dctx_ipc::stamps::HOOK_CHECKS and
            # DAEMON_ALIVE (held to them by `dctx init`'s tests).
            if not test -n "$s" -a "$key" = "$__dctx_key" -a "$s"/g -ef "$s"/gs -a "$s"/d -ef "$s"/dr -a ! "$s"/c -nt "$s"/cs -a ! "$s"/m -nt "$s"/ms -a -e "$s"/p
                __dctx_ask
                # Kept only when the answer came with its stamps.
                set -g __dctx_key (test -n "$__dctx_stamps"; and printf '%s' $key)
            end
            # @IF starship@
            # For starship's env_var module, which shows only a defined variable.
            test -n "$DCTX_SEGMENT"; and set -gx DCTX_SEGMENT $DCTX_SEGMENT; or set -e DCTX_SEGMENT
            # @END@
            return $__dctx_status
        end
        # The segment before the user's prompt, once: run here with
        # `--prompt`, and by the Debian package's system snippet at the
        # first prompt (after the user's config chose its fish_prompt).
        function __dctx_wrap_prompt
            if not functions -q __dctx_user_prompt; and functions -q fish_prompt
                functions -c fish_prompt __dctx_user_prompt
                function fish_prompt
                    set -l __dctx_status $status
                    test -n "$DCTX_SEGMENT"; and printf '%s ' $DCTX_SEGMENT
                    __dctx_return $__dctx_status
                    __dctx_user_prompt
                end
            end
        end
        # @IF prompt@
        __dctx_wrap_prompt
        # @END@
    else
        printf 'dctx: needs fish 3.1 or newer (this is %s); the prompt is left as it was\n' $version >&2
    end
end
