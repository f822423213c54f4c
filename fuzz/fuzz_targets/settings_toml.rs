//! The config.toml loader: never panics, and settings it accepts render
//! any context in every shell without panicking and, in tmux, without
//! leaving an unterminated `#[` style that would swallow the status line.
#![no_main]

use std::path::PathBuf;

use dctx_core::segment::{render, RenderOptions};
use dctx_core::{Resolution, Settings, Shell, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let Ok(settings) = Settings::parse(data) else {
        return;
    };
    for name in ["default", "prod-eu", "staging", "a+b", "x.y"] {
        let r = Resolution {
            name: name.into(),
            source: Source::Config,
            host: "ssh://deploy@prod-01".into(),
            description: "Production".into(),
            exists: true,
            config_dir: PathBuf::from("/c"),
            config_context: None,
            problems: vec![],
        };
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Tmux,
            Shell::Plain,
        ] {
            let request = RenderOptions {
                shell,
                format: None,
                extra_problem: false,
            };
            let text = render(&r, &settings, &request);
            if shell == Shell::Tmux {
                let plain = text.replace("##", "");
                let mut rest = plain.as_str();
                while let Some(i) = rest.find("#[") {
                    let after = &rest[i + 2..];
                    let close = after.find(']');
                    assert!(close.is_some(), "unterminated #[ in {text:?}");
                    rest = &after[close.unwrap() + 1..];
                }
            }
        }
    }
});
