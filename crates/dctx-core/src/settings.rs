//! The user's prompt settings (`config.toml`) and the built-in defaults.
//!
//! ```toml
//! format = "{name}"            # segment for a context
//! override_format = "{host}"   # segment when DOCKER_HOST overrides contexts
//! override_style = "bold yellow"
//! hide = ["default"]           # `default` hides only while it is the local socket
//!
//! [[rule]]                     # first match wins; replaces the built-in rules
//! pattern = "prod*"
//! style = "bold red"
//!
//! [guard]                      # see guard::policy
//! [engine]                     # see engine
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::{EngineSettings, RawEngine};
use crate::fs::FileSystem;
use crate::guard::policy::{GuardSettings, RawGuard};
use crate::style::Style;

/// Name patterns styled bold red unless the user says otherwise.
pub use crate::pattern::{glob_match, BUILTIN_DANGER_PATTERNS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub style: Style,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub format: String,
    pub override_format: String,
    pub override_style: Style,
    pub hide: Vec<String>,
    pub rules: Vec<Rule>,
    pub guard: GuardSettings,
    pub engine: EngineSettings,
}

impl Default for Settings {
    fn default() -> Self {
        let danger: Style = "bold red".parse().expect("built-in style parses");
        Settings {
            format: "{name}".into(),
            override_format: "{host}".into(),
            override_style: "bold yellow".parse().expect("built-in style parses"),
            hide: vec!["default".into()],
            rules: BUILTIN_DANGER_PATTERNS
                .iter()
                .map(|p| Rule {
                    pattern: p.to_string(),
                    style: danger.clone(),
                })
                .collect(),
            guard: GuardSettings::default(),
            engine: EngineSettings::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    format: Option<String>,
    override_format: Option<String>,
    override_style: Option<String>,
    hide: Option<Vec<String>>,
    rule: Option<Vec<RawRule>>,
    guard: Option<RawGuard>,
    engine: Option<RawEngine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    pattern: String,
    style: String,
}

impl Settings {
    /// Parses config.toml text; unset keys keep their built-in values.
    pub fn parse(text: &str) -> Result<Settings, String> {
        let raw: RawSettings = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut s = Settings::default();
        if let Some(f) = raw.format {
            s.format = f;
        }
        if let Some(f) = raw.override_format {
            s.override_format = f;
        }
        if let Some(style) = raw.override_style {
            s.override_style = style.parse().map_err(|e| format!("override_style: {e}"))?;
        }
        if let Some(hide) = raw.hide {
            s.hide = hide;
        }
        if let Some(rules) = raw.rule {
            s.rules = rules
                .into_iter()
                .map(|r| {
                    let style = r
                        .style
                        .parse()
                        .map_err(|e| format!("rule {:?}: {e}", r.pattern))?;
                    Ok(Rule {
                        pattern: r.pattern,
                        style,
                    })
                })
                .collect::<Result<_, String>>()?;
        }
        if let Some(engine) = raw.engine {
            s.engine = EngineSettings::from_raw(engine)?;
        }
        if let Some(guard) = raw.guard {
            s.guard = GuardSettings::from_raw(guard)?;
        }
        for format in [&s.format, &s.override_format] {
            crate::format::check_format(format)?;
        }
        Ok(s)
    }

    /// Loads the file at `path` through `fs` (which must not block or read
    /// without bound: a FIFO or `/dev/zero` named by `DCTX_CONFIG` must not
    /// hang a prompt). A missing file means the built-ins; a bad one means
    /// the built-ins plus the reason, so the prompt can flag it.
    pub fn load(fs: &dyn FileSystem, path: &Path) -> (Settings, Option<String>) {
        let text = match fs.read(path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map_err(|_| "stream did not contain valid UTF-8".to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (Settings::default(), None)
            }
            Err(e) => {
                return (
                    Settings::default(),
                    Some(format!("could not read {}: {e}", path.display())),
                )
            }
        };
        match text.and_then(|text| Settings::parse(&text)) {
            Ok(s) => (s, None),
            Err(e) => (
                Settings::default(),
                Some(format!("could not parse {}: {e}", path.display())),
            ),
        }
    }

    /// [`Settings::load`] for a path that may be unknown (no home dir to
    /// find it under): the built-ins then.
    pub fn load_optional(fs: &dyn FileSystem, path: Option<&Path>) -> (Settings, Option<String>) {
        match path {
            Some(path) => Settings::load(fs, path),
            None => (Settings::default(), None),
        }
    }

    /// The style of the first rule whose pattern matches `name`.
    pub fn style_for(&self, name: &str) -> Option<&Style> {
        self.rules
            .iter()
            .find(|r| glob_match(&r.pattern, name))
            .map(|r| &r.style)
    }

    pub fn hides(&self, name: &str) -> bool {
        self.hide.iter().any(|p| glob_match(p, name))
    }
}

/// Where the settings live: `DCTX_CONFIG`, else
/// `$XDG_CONFIG_HOME/dctx/config.toml`, else `~/.config/dctx/config.toml`.
pub fn config_path(var: impl Fn(&str) -> Option<OsString>, home: Option<&Path>) -> Option<PathBuf> {
    let non_empty = |k: &str| var(k).filter(|v| !v.is_empty());
    if let Some(p) = non_empty("DCTX_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = non_empty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.map(|h| h.join(".config")))?;
    Some(base.join("dctx").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_style_production_names() {
        let s = Settings::default();
        for name in ["prod", "eu-prod", "production-1", "Prod"] {
            assert!(s.style_for(name).is_some(), "{name}");
        }
        assert!(s.style_for("staging").is_none());
    }

    #[test]
    fn parses_a_full_file_and_keeps_unset_built_ins() {
        let s = Settings::parse(
            "format = \"docker:{name}\"\n[[rule]]\npattern = \"stag*\"\nstyle = \"yellow\"\n",
        )
        .unwrap();
        assert_eq!(s.format, "docker:{name}");
        assert_eq!(s.override_format, Settings::default().override_format);
        assert!(s.style_for("staging").is_some());
        assert!(
            s.style_for("prod").is_none(),
            "user rules replace the built-ins"
        );
    }

    #[test]
    fn reports_mistakes_clearly() {
        assert!(Settings::parse("fromat = \"x\"")
            .unwrap_err()
            .contains("fromat"));
        assert!(
            Settings::parse("[[rule]]\npattern = \"p\"\nstyle = \"bold redd\"")
                .unwrap_err()
                .contains("redd")
        );
        assert!(Settings::parse("format = \"{nmae}\"")
            .unwrap_err()
            .contains("nmae"));
    }

    #[test]
    fn config_path_order() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let home = Some(Path::new("/h"));
        assert_eq!(
            config_path(vars(&[("DCTX_CONFIG", "/x.toml")]), home),
            Some("/x.toml".into())
        );
        assert_eq!(
            config_path(vars(&[("XDG_CONFIG_HOME", "/xdg")]), home),
            Some("/xdg/dctx/config.toml".into())
        );
        assert_eq!(
            config_path(vars(&[]), home),
            Some("/h/.config/dctx/config.toml".into())
        );
    }
}
