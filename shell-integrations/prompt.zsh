# `dctx init zsh --prompt`: loaded after dctx.zsh, outside its emulation,
# so that `setopt prompt_subst` is the user's shell's, and only where the
# hook was installed. `dctx init` prints it without these comments, which
# zsh reads as commands where interactive_comments is off (its default in
# an interactive shell).
if [[ -o interactive && ${precmd_functions[(r)__dctx_precmd]-} == __dctx_precmd ]]; then \builtin setopt prompt_subst; [[ ${PROMPT-} == *DCTX_SEGMENT* ]] || PROMPT='${DCTX_SEGMENT:+$DCTX_SEGMENT }'"${PROMPT-}"; fi
