# dctx for every interactive zsh on this machine, installed by the Debian
# package as /usr/share/dctx/shells/dctx.zsh. Enabled by one line in
# /etc/zsh/zshrc, which every interactive zsh reads before ~/.zshrc
# (`sudo /usr/share/dctx/enable-shells` writes it; Debian's zsh has no
# zshrc.d).
#
# It loads `dctx init zsh`, with --guard when /etc/dctx/guard-shells exists.
# A user's own `eval "$(dctx init zsh)"` later is harmless: the hook installs
# itself once. The segment is put in front of PROMPT at each prompt, because
# ~/.zshrc, read after this file, usually sets PROMPT; a PROMPT that already
# shows ${DCTX_SEGMENT} somewhere is left alone.
#
# Paths are relative to the root this file was installed under (/), so
# that the package's tests can run it from an unpacked copy.
if [[ -o interactive ]]; then
    __dctx_system_root=${${(%):-%x}%/usr/share/dctx/shells/dctx.zsh}
    if [[ -x ${__dctx_system_root}/usr/bin/dctx ]]; then
        if [[ -e ${__dctx_system_root}/etc/dctx/guard-shells ]]; then
            eval "$("${__dctx_system_root}/usr/bin/dctx" init zsh --guard)"
        else
            eval "$("${__dctx_system_root}/usr/bin/dctx" init zsh)"
        fi
        __dctx_system_prompt() {
            setopt prompt_subst
            [[ ${PROMPT-} == *DCTX_SEGMENT* ]] || PROMPT='${DCTX_SEGMENT:+$DCTX_SEGMENT }'"${PROMPT-}"
        }
        typeset -ga precmd_functions
        precmd_functions=(${precmd_functions:#__dctx_system_prompt} __dctx_system_prompt)
    fi
    unset __dctx_system_root
fi
