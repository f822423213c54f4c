# dctx for every interactive bash on this machine, installed by the Debian
# package as /usr/share/dctx/shells/dctx.bash. Enabled by one line in
# /etc/bash.bashrc (`sudo /usr/share/dctx/enable-shells` writes it): that
# file is read by every interactive bash, login shells included (Debian's
# /etc/profile sources it), whereas /etc/profile.d is read by login shells
# only, and a guard that a plain `bash` typed at a prompt loses is no guard.
#
# It loads `dctx init bash`, with --guard when /etc/dctx/guard-shells exists.
# A user's own `eval "$(dctx init bash)"` later is harmless: the hook
# installs itself once. The segment is put in front of PS1 at each prompt,
# because ~/.bashrc, read after this file, usually sets PS1; a PS1 that
# already shows ${DCTX_SEGMENT} somewhere is left alone.
#
# Paths are relative to the root this file was installed under (/), so
# that the package's tests can run it from an unpacked copy.
if [[ $- == *i* ]]; then
    __dctx_system_root=${BASH_SOURCE[0]%/usr/share/dctx/shells/dctx.bash}
    if [[ -x ${__dctx_system_root}/usr/bin/dctx ]]; then
        if [[ -e ${__dctx_system_root}/etc/dctx/guard-shells ]]; then
            eval "$("${__dctx_system_root}/usr/bin/dctx" init bash --guard)"
        else
            eval "$("${__dctx_system_root}/usr/bin/dctx" init bash)"
        fi
        __dctx_system_prompt() {
            # Runs after __dctx_precmd; keeps $? for the user's own prompt.
            \builtin local status=$?
            case ${PS1-} in
                *DCTX_SEGMENT*) ;;
                *) PS1='${DCTX_SEGMENT:+$DCTX_SEGMENT }'"${PS1-}" ;;
            esac
            \builtin return "$status"
        }
        # bash 5.1+ may hold PROMPT_COMMAND as an array; add this once, last.
        if [[ $(\builtin declare -p PROMPT_COMMAND 2>/dev/null) == "declare -a"* ]]; then
            case " ${PROMPT_COMMAND[*]} " in
                *" __dctx_system_prompt "*) ;;
                *) PROMPT_COMMAND+=(__dctx_system_prompt) ;;
            esac
        else
            # shellcheck disable=SC2128,SC2178
            case ";${PROMPT_COMMAND-};" in
                *";__dctx_system_prompt;"*) ;;
                *) PROMPT_COMMAND="${PROMPT_COMMAND:+${PROMPT_COMMAND};}__dctx_system_prompt" ;;
            esac
        fi
    fi
    \builtin unset __dctx_system_root
fi
