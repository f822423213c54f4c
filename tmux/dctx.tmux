#!/usr/bin/env bash
# dctx for tmux: the Docker context of the shell in the active pane, in the
# status bar, redrawn by the dctx daemon the moment it changes.
#
# With TPM:      set -g @plugin '<this repository>'   (TPM runs this file)
# By hand:       run-shell /path/to/dctx/tmux/dctx.tmux
#
# Put #{docker_context} in status-left or status-right (and, with
# @dctx-pane-border on, in pane-border-format for every pane), then load.
# Options:
#   @dctx-prompt        path of dctx-prompt (default: found on PATH)
#   @dctx-format        a format such as '{name}' or 'docker:{name}@{host}';
#                       a format is never hidden (default: your dctx settings,
#                       which hide the local default context)
#   @dctx-show-default  on: show the local `default` context too, named
#                       by your settings' format and style (an override
#                       such as DOCKER_HOST still shows its host)
#   @dctx-suffix        text after the segment, only while it is shown
#                       (e.g. ' | ', so a hidden context leaves no separator)
#   @dctx-pane-border   on: also replace #{docker_context} in pane-border-format
# Panes whose shell has no dctx hook show the context of tmux's own
# environment. Styles follow the dctx settings file, as #[...] markup.

set -u

__dctx_option() {
    tmux show-option -gqv "$1"
}

# Quotes $1 as one word for the shell that runs a #() job, with each `#`
# doubled: tmux expands the job's command as a format before running it.
__dctx_quote() {
    local word=${1//"'"/"'\\''"}
    printf "'%s'" "${word//"#"/"##"}"
}

__dctx_main() {
    local prompt format command option value show_default pane_border suffix
    prompt=$(__dctx_option @dctx-prompt)
    show_default=$(__dctx_option @dctx-show-default)
    pane_border=$(__dctx_option @dctx-pane-border)
    suffix=$(__dctx_option @dctx-suffix)
    if [[ -z ${prompt} ]]; then
        prompt=$(command -v dctx-prompt) || {
            tmux display-message "dctx: dctx-prompt not found; set @dctx-prompt"
            return 0
        }
    fi
    format=$(__dctx_option @dctx-format)
    command="$(__dctx_quote "${prompt}") --shell tmux --tty #{pane_tty}"
    if [[ -n ${format} ]]; then
        command="${command} --format $(__dctx_quote "${format}")"
    elif [[ ${show_default} == on ]]; then
        # Not a format: that would print a DOCKER_HOST override as a
        # plain `default`, with neither its host nor its style.
        command="${command} --show-default"
    fi
    if [[ -n ${suffix} ]]; then
        command="${command} --suffix $(__dctx_quote "${suffix}")"
    fi
    local options=(status-left status-right)
    if [[ ${pane_border} == on ]]; then
        options+=(pane-border-format)
    fi
    for option in "${options[@]}"; do
        value=$(__dctx_option "${option}")
        if [[ ${value} == *'#{docker_context}'* ]]; then
            # Quoted: bash 5.2's patsub_replacement would make each `&` in
            # an unquoted replacement the matched text.
            tmux set-option -gq "${option}" "${value//"#{docker_context}"/"#(${command})"}"
        fi
    done
}

__dctx_main
