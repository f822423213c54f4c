//! `dctx init <shell>`: print the shell integration, kept as real files
//! under `shell-integrations/` and embedded here, with the path of this
//! install's `dctx-prompt` filled in.

use std::io::Write;

use anyhow::Context as _;

use crate::cli::InitShell;

const BASH: &str = include_str!("../../../shell-integrations/dctx.bash");

/// Single-quotes `s` for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn prompt_binary() -> String {
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("dctx-prompt")));
    match sibling.filter(|p| p.is_file()) {
        Some(path) => path.to_string_lossy().into_owned(),
        None => "dctx-prompt".to_string(),
    }
}

pub fn script(shell: InitShell, prepend_to_prompt: bool) -> String {
    match shell {
        InitShell::Bash => {
            let edit = if prepend_to_prompt {
                // Added once: re-sourcing must not stack segments.
                r#"case ${PS1-} in *DCTX_SEGMENT*) ;; *) PS1='${DCTX_SEGMENT:+$DCTX_SEGMENT }'"${PS1-}" ;; esac"#
            } else {
                ":"
            };
            BASH.replace("@DCTX_PROMPT@", &shell_quote(&prompt_binary()))
                .replace("@DCTX_PROMPT_EDIT@", edit)
        }
    }
}

pub fn run(shell: InitShell, prepend_to_prompt: bool) -> anyhow::Result<()> {
    std::io::stdout()
        .lock()
        .write_all(script(shell, prepend_to_prompt).as_bytes())
        .context("could not write to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_paths_for_the_shell() {
        assert_eq!(
            shell_quote("/opt/it's here/dctx-prompt"),
            r"'/opt/it'\''s here/dctx-prompt'"
        );
    }

    #[test]
    fn fills_every_placeholder() {
        for prompt in [false, true] {
            let s = script(InitShell::Bash, prompt);
            assert!(!s.contains("@DCTX_"), "unfilled placeholder");
            assert_eq!(s.contains("*) PS1="), prompt);
        }
    }
}
