//! The renderer: for any format and any name, host and description (all
//! untrusted), the filled-in text holds no control or bidi character, a
//! zsh segment no `%` that is not doubled, a tmux segment no run of `#`
//! of odd length; styled rendering never panics.
#![no_main]

use std::path::PathBuf;

use dctx_core::segment::{fill_format, render, RenderOptions};
use dctx_core::{Resolution, Settings, Shell, Source};
use libfuzzer_sys::fuzz_target;

const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Tmux,
    Shell::Plain,
];
const SOURCES: [Source; 4] = [
    Source::DockerHost,
    Source::DockerContext,
    Source::Config,
    Source::Default,
];

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether every `marker` in `text` is doubled.
fn doubled(text: &str, marker: char) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == marker && chars.next() != Some(marker) {
            return false;
        }
    }
    true
}

fuzz_target!(|input: (&str, &str, &str, &str, u8)| {
    let (format, name, host, description, pick) = input;
    let r = Resolution {
        name: name.into(),
        source: SOURCES[pick as usize % SOURCES.len()],
        host: host.into(),
        description: description.into(),
        exists: pick & 0x10 != 0,
        config_dir: PathBuf::from("/c"),
        config_context: None,
        problems: vec![],
    };
    let settings = Settings::default();
    for shell in SHELLS {
        let text = fill_format(format, &r, shell);
        assert!(!text.chars().any(is_unsafe), "{shell:?}: {text:?}");
        match shell {
            Shell::Zsh => assert!(doubled(&text, '%'), "zsh: {text:?}"),
            Shell::Tmux => assert!(doubled(&text, '#'), "tmux: {text:?}"),
            _ => {}
        }
        let request = RenderOptions {
            shell,
            format: (pick & 0x20 != 0).then_some(format),
            extra_problem: pick & 0x40 != 0,
        };
        let _ = render(&r, &settings, &request);
    }
});
