# dctx's own part of its fish completion: context names for the first
# argument of use, exec, pin and unpin.
complete -c dctx -n '__fish_seen_subcommand_from use exec pin unpin; and test (count (commandline -opc)) -eq 2' -f -a '(command dctx ls --names 2>/dev/null)'
