#!/usr/bin/env bash
# TPM runs the *.tmux files at a plugin's root; the plugin itself is tmux/dctx.tmux.
exec "$(dirname "${BASH_SOURCE[0]}")/tmux/dctx.tmux" "$@"
