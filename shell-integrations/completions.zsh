# dctx's own part of its zsh completion (after clap's, renamed
# __dctx_clap): context names for the first argument of use, exec, pin
# and unpin, else clap's; then registered for both commands.
__dctx_complete() {
    if (( CURRENT == 3 )) && [[ ${words[2]} == (use|exec|pin|unpin) && ${words[3]} != -* ]]; then
        \builtin local -a names
        names=(${(f)"$(\command ${words[1]} ls --names 2>/dev/null)"})
        compadd -a names
        return
    fi
    __dctx_clap "$@"
}
_dctx() {
    if [[ ${service} == dctx-prompt ]]; then
        _dctx-prompt "$@"
    else
        __dctx_complete "$@"
    fi
}
if [[ ${funcstack[1]} == _dctx ]]; then
    # Autoloaded from fpath by compinit: this file is _dctx's body.
    _dctx "$@"
elif (( $+functions[compdef] )); then
    compdef _dctx dctx dctx-prompt
else
    # compinit has not run yet (it often comes later in .zshrc): it
    # registers these when it does, run once through this wrapper (which
    # `autoload -Uz compinit` leaves in place). No hook at every prompt;
    # without compinit ever, no completions and no error.
    compinit() {
        \builtin unfunction compinit
        \builtin autoload -Uz compinit
        compinit "$@"
        \builtin local ret=$?
        (( $+functions[compdef] )) && compdef _dctx dctx dctx-prompt
        \builtin return ${ret}
    }
fi
