# dctx for every interactive fish on this machine, installed by the Debian
# package as /usr/share/dctx/shells/dctx.fish. Enabled by
# /etc/fish/conf.d/dctx.fish, which sources this file
# (`sudo /usr/share/dctx/enable-shells` writes it); fish reads conf.d before
# ~/.config/fish/config.fish.
#
# It loads `dctx init fish`, with --guard when /etc/dctx/guard-shells
# exists. A user's own `dctx init fish | source` later is harmless: the hook
# installs itself once. At the first prompt, after the user's own config and
# whatever fish_prompt it chose, the segment is put in front of that prompt,
# unless the user's config already loaded `dctx init fish --prompt`.
#
# Paths are relative to the root this file was installed under (/), so
# that the package's tests can run it from an unpacked copy.
if status is-interactive
    set -l root (string replace -r -- '/usr/share/dctx/shells/dctx\.fish$' '' (status filename))
    if test -x $root/usr/bin/dctx
        if test -e $root/etc/dctx/guard-shells
            $root/usr/bin/dctx init fish --guard | source
        else
            $root/usr/bin/dctx init fish | source
        end
        function __dctx_system_prompt --on-event fish_prompt
            functions -e __dctx_system_prompt
            # Defined by `dctx init fish`; the same edit `--prompt` makes.
            functions -q __dctx_wrap_prompt; and __dctx_wrap_prompt
        end
    end
end
