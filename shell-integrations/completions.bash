# dctx's own part of its bash completion (after clap's): context names
# for the first argument of use, exec, pin and unpin, else clap's.
__dctx_complete() {
    if [[ ${COMP_CWORD} -eq 2 && ( ${COMP_WORDS[1]} == use || ${COMP_WORDS[1]} == exec || ${COMP_WORDS[1]} == pin || ${COMP_WORDS[1]} == unpin ) && ${COMP_WORDS[2]} != -* ]]; then
        \builtin local word=${COMP_WORDS[2]} typed='' name quoted i
        case ${word} in
            \'*) typed=${word#\'}; typed=${typed%\'} ;;
            \"*) typed=${word#\"}; typed=${typed%\"} ;;
            *)
                for ((i = 0; i < ${#word}; i++)); do
                    [[ ${word:i:1} == \\ ]] && i=$((i + 1))
                    typed+=${word:i:1}
                done
                ;;
        esac
        COMPREPLY=()
        # shellcheck disable=SC2312 # no names is an answer too
        while IFS= \builtin read -r name; do
            if [[ ${name} == "${typed}"* ]]; then
                \builtin printf -v quoted '%q' "${name}"
                COMPREPLY+=("${quoted}")
            fi
        done < <(\command "${COMP_WORDS[0]}" ls --names 2>/dev/null)
        return 0
    fi
    _dctx "$@"
}
\builtin complete -F __dctx_complete -o bashdefault -o default dctx
