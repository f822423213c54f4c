//! Turns a [`Resolution`] into the text a prompt or status bar shows.
//!
//! Placeholders are `{name}`, `{host}`, `{description}`, `{source}`,
//! `{engine}`, `{engine_version}` and `{latency}`; `{{` and `}}` are
//! literal braces. An engine that changed or is silent adds its marker. Everything but the style markup is
//! escaped for the target shell, so nothing from Docker's files can inject.

use crate::engine::EngineReport;
use crate::format::fill;
use crate::host::DEFAULT_UNIX_HOST;
use crate::resolution::{Resolution, Source, DEFAULT_CONTEXT};
use crate::settings::Settings;
use crate::shell::Shell;
use crate::style::escape;

/// Appended when something is off; `dctx status` says what.
pub const PROBLEM_MARKER: &str = "?";

/// The longest segment, in characters, before its end is cut to `…`: a
/// format of many `{host}`s with a long host must not make a 28 MiB answer.
pub const MAX_SEGMENT_CHARS: usize = 256;

/// Fills `format` with `r`'s fields, at most [`MAX_SEGMENT_CHARS`] of
/// them, everything escaped for `shell` (escaping goes character by
/// character, so escaping the filled text is escaping each part).
/// A bad format renders as itself, so a prompt still shows something.
pub fn fill_format(
    format: &str,
    r: &Resolution,
    engine: Option<&EngineReport>,
    shell: Shell,
) -> String {
    let value = |key: &str| -> Option<String> {
        Some(match key {
            "name" => r.name.clone(),
            "host" => r.host.clone(),
            "description" => r.description.clone(),
            "source" => r.source.as_str().to_string(),
            _ => return EngineReport::placeholder(engine, key),
        })
    };
    // Enough bytes for MAX_SEGMENT_CHARS characters of any width.
    let limit = MAX_SEGMENT_CHARS * 4;
    let text = fill(format, value, limit).unwrap_or_else(|_| format.to_string());
    escape(shell, &truncate(&text))
}

/// `text` cut to [`MAX_SEGMENT_CHARS`] characters, `…` marking a cut.
fn truncate(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_SEGMENT_CHARS) {
        None => text.into(),
        Some((cut, _)) => {
            let keep = text[..cut].char_indices().last().map_or(0, |(i, _)| i);
            format!("{}…", &text[..keep]).into()
        }
    }
}

/// What to render.
pub struct RenderOptions<'a> {
    pub shell: Shell,
    /// An explicit `--format`: printed as given, never hidden.
    pub format: Option<&'a str>,
    /// A problem outside the resolution (e.g. a bad config.toml).
    pub extra_problem: bool,
    /// What the daemon's probes know of the engine, if anything.
    pub engine: Option<&'a EngineReport>,
    /// Show the local `default` context even when the settings hide it
    /// (`dctx-prompt --show-default`), in the settings' format and style.
    pub show_default: bool,
}

/// The segment for `r`. Empty only when the settings hide this context.
pub fn render(r: &Resolution, settings: &Settings, req: &RenderOptions) -> String {
    let problem = req.extra_problem || !r.problems.is_empty();
    let is_override = r.source == Source::DockerHost;
    let (format, style) = match req.format {
        Some(f) => (f, settings.style_for(&r.name)),
        None if is_override => (
            settings.override_format.as_str(),
            Some(&settings.override_style),
        ),
        None => {
            let local_default = r.name != DEFAULT_CONTEXT || r.host == DEFAULT_UNIX_HOST;
            let shown = req.show_default && r.name == DEFAULT_CONTEXT;
            if !problem && settings.hides(&r.name) && local_default && !shown {
                return String::new();
            }
            (settings.format.as_str(), settings.style_for(&r.name))
        }
    };
    let mut text = fill_format(format, r, req.engine, req.shell);
    if problem {
        text.push_str(PROBLEM_MARKER);
    }
    let mut out = match style {
        Some(style) => style.wrap(req.shell, &text),
        None => text,
    };
    for (marker, style) in req
        .engine
        .map(|e| e.markers(&settings.engine))
        .unwrap_or_default()
    {
        out.push_str(&style.wrap(req.shell, &escape(req.shell, marker)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::check_format;
    use std::path::PathBuf;

    fn resolution(name: &str, source: Source, host: &str) -> Resolution {
        Resolution {
            name: name.into(),
            source,
            host: host.into(),
            description: "Desc %F{red} #[bold]".into(),
            exists: true,
            config_dir: PathBuf::from("/c"),
            config_context: None,
            problems: vec![],
        }
    }

    fn plain(format: Option<&str>) -> RenderOptions<'_> {
        RenderOptions {
            shell: Shell::Plain,
            format,
            extra_problem: false,
            engine: None,
            show_default: false,
        }
    }

    #[test]
    fn explicit_format_fills_placeholders_exactly() {
        let r = resolution("default", Source::Default, DEFAULT_UNIX_HOST);
        let s = Settings::default();
        assert_eq!(
            render(&r, &s, &plain(Some("{name}|{host}"))),
            "default|unix:///var/run/docker.sock"
        );
        assert_eq!(render(&r, &s, &plain(Some("{{{source}}}"))), "{default}");
    }

    #[test]
    fn hides_only_the_local_default() {
        let s = Settings::default();
        assert_eq!(
            render(
                &resolution("default", Source::Default, DEFAULT_UNIX_HOST),
                &s,
                &plain(None)
            ),
            ""
        );
        let tls = resolution("default", Source::Default, "tcp://localhost:2376");
        assert_eq!(render(&tls, &s, &plain(None)), "default");
    }

    #[test]
    fn show_default_unhides_the_local_default_only() {
        let shown = RenderOptions {
            show_default: true,
            ..plain(None)
        };
        let local = resolution("default", Source::Default, DEFAULT_UNIX_HOST);
        let mut s = Settings {
            format: "docker:{name}".into(),
            ..Settings::default()
        };
        assert_eq!(render(&local, &s, &shown), "docker:default");
        // Another name the settings hide stays hidden: the flag is about
        // the local default, not about every hide pattern.
        s.hide.push("scratch*".into());
        let scratch = resolution("scratch-1", Source::DockerContext, "tcp://h:1");
        assert_eq!(render(&scratch, &s, &shown), "");
        // An override renders exactly as without the flag.
        let host = resolution("default", Source::DockerHost, "tcp://h:2375");
        assert_eq!(render(&host, &s, &shown), render(&host, &s, &plain(None)));
    }

    #[test]
    fn docker_host_override_always_shows_its_host_styled() {
        let r = resolution("default", Source::DockerHost, "tcp://h:2375");
        let s = Settings::default();
        assert_eq!(render(&r, &s, &plain(None)), "tcp://h:2375");
        let fish = render(
            &r,
            &s,
            &RenderOptions {
                shell: Shell::Fish,
                format: None,
                extra_problem: false,
                engine: None,
                show_default: false,
            },
        );
        assert_eq!(fish, "\x1b[1;33mtcp://h:2375\x1b[0m");
        // Even pointing at the local socket, an override is never hidden.
        let local = resolution("default", Source::DockerHost, DEFAULT_UNIX_HOST);
        assert_eq!(render(&local, &s, &plain(None)), DEFAULT_UNIX_HOST);
    }

    #[test]
    fn problems_add_a_marker_and_unhide() {
        let mut r = resolution("prod", Source::DockerContext, "");
        r.problems
            .push(crate::resolution::Problem::NoDockerEndpoint {
                name: "prod".into(),
            });
        let s = Settings::default();
        assert_eq!(render(&r, &s, &plain(None)), "prod?");
        let mut d = resolution("default", Source::Default, DEFAULT_UNIX_HOST);
        d.problems = r.problems.clone();
        assert_eq!(render(&d, &s, &plain(None)), "default?");
    }

    #[test]
    fn production_is_styled_per_shell() {
        let r = resolution("prod-eu", Source::Config, "ssh://x");
        let s = Settings::default();
        let zsh = render(
            &r,
            &s,
            &RenderOptions {
                shell: Shell::Zsh,
                format: None,
                extra_problem: false,
                engine: None,
                show_default: false,
            },
        );
        assert_eq!(zsh, "%{\x1b[1;31m%}prod-eu%{\x1b[0m%}");
    }

    #[test]
    fn values_cannot_inject_markup() {
        let r = resolution("x", Source::Config, "h");
        let s = Settings::default();
        let zsh = render(
            &r,
            &s,
            &RenderOptions {
                shell: Shell::Zsh,
                format: Some("{description}"),
                extra_problem: false,
                engine: None,
                show_default: false,
            },
        );
        assert_eq!(zsh, "Desc %%F{red} #[bold]");
        let tmux = render(
            &r,
            &s,
            &RenderOptions {
                shell: Shell::Tmux,
                format: Some("{description}"),
                extra_problem: false,
                engine: None,
                show_default: false,
            },
        );
        assert_eq!(tmux, "Desc %F{red} ##[bold]");
    }

    #[test]
    fn a_huge_format_or_value_makes_a_bounded_segment() {
        let r = resolution("ctx", Source::Config, &"h".repeat(30_000));
        let format = "{host}".repeat(10_000);
        let text = fill_format(&format, &r, None, Shell::Plain);
        assert_eq!(text.chars().count(), MAX_SEGMENT_CHARS);
        assert!(text.ends_with("h…"), "the cut is marked");
        let r = resolution("ctx", Source::Config, "h");
        assert_eq!(
            fill_format(&"é".repeat(MAX_SEGMENT_CHARS), &r, None, Shell::Plain)
                .chars()
                .count(),
            MAX_SEGMENT_CHARS
        );
        assert_eq!(
            fill_format("{name}%", &r, None, Shell::Zsh),
            "ctx%%",
            "short text is untouched"
        );
    }

    #[test]
    fn bad_formats_are_reported_or_shown_verbatim() {
        assert!(check_format("{name").is_err());
        assert!(check_format("name}").is_err());
        assert!(check_format("{bogus}").is_err());
        let r = resolution("x", Source::Config, "h");
        assert_eq!(
            render(&r, &Settings::default(), &plain(Some("{bogus}"))),
            "{bogus}"
        );
    }

    #[test]
    fn engine_placeholders_and_markers_are_escaped_and_in_order() {
        use crate::engine::{EngineReport, EngineState, Identity};
        let r = resolution("prod", Source::Config, "tcp://h:2375");
        let engine = EngineReport {
            state: EngineState::Timeout,
            name: Some("%F{red}evil$(x)".into()),
            id: Some("B".into()),
            version: Some("27.0".into()),
            os: None,
            arch: None,
            latency_ms: Some(12),
            age_ms: Some(0),
            error: None,
            pinned_id: Some("A".into()),
            pinned_name: None,
            pinned_at: None,
            identity: Identity::Changed,
            pins_error: None,
        };
        let s = Settings::default();
        let opts = |shell, engine| RenderOptions {
            shell,
            format: Some("{name} {engine} {engine_version} {latency}"),
            extra_problem: false,
            engine,
            show_default: false,
        };
        let plain = render(&r, &s, &opts(Shell::Plain, Some(&engine)));
        assert_eq!(plain, "prod %F{red}evil$(x) 27.0 12ms≠⧖");
        let zsh = render(&r, &s, &opts(Shell::Zsh, Some(&engine)));
        assert!(zsh.contains("%%F{red}evil$(x)"), "{zsh}");
        let mut calm = engine.clone();
        calm.identity = Identity::Match;
        calm.state = EngineState::Ok;
        assert_eq!(
            render(&r, &s, &opts(Shell::Plain, Some(&calm))),
            "prod %F{red}evil$(x) 27.0 12ms"
        );
        assert_eq!(render(&r, &s, &opts(Shell::Plain, None)), "prod   ");
    }
}
