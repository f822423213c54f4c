//! The user's prompt settings (`config.toml`) and the built-in defaults,
//! over the administrator's system file (`/etc/dctx/config.toml`, see
//! [`Settings::load_layered`]).
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

/// toml's error with where it is, `line L, column C: …` (both from 1,
/// columns in characters), so that a person can find it in the file.
fn located(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return e.message().to_string();
    };
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("line {line}, column {column}: {}", e.message())
}

impl Settings {
    /// Parses config.toml text; unset keys keep their built-in values.
    pub fn parse(text: &str) -> Result<Settings, String> {
        Settings::default().over(parse_raw(text)?, None)
    }

    /// `raw` (read from `file`) over these settings: what it leaves out
    /// keeps its value here.
    fn over(&self, raw: RawSettings, file: Option<&str>) -> Result<Settings, String> {
        let mut s = self.clone();
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
            s.guard = s.guard.over(guard, file)?;
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
    pub fn load(fs: &dyn FileSystem, path: &Path) -> Loaded {
        let (settings, problem) = match read_text(fs, path) {
            Ok(Some(text)) => {
                let (s, problem) = Settings::default().over_leniently(&text, None);
                (
                    s,
                    problem.map(|e| format!("could not parse {}: {e}", path.display())),
                )
            }
            Ok(None) => (Settings::default(), None),
            Err(e) => (Settings::default(), Some(e)),
        };
        Loaded { settings, problem }
    }

    /// `text` over these settings, keeping what parses: a mistake in one
    /// table (`[guard]`, say) leaves the others in force, and the problem
    /// says so. Callers that must fail safe (the guard) see the problem.
    fn over_leniently(&self, text: &str, file: Option<&str>) -> (Settings, Option<String>) {
        let error = match parse_raw(text).and_then(|raw| self.over(raw, file)) {
            Ok(s) => return (s, None),
            Err(e) => e,
        };
        // A file that is not TOML at all: nothing of it can be trusted.
        let Ok(table) = toml::from_str::<toml::Table>(text) else {
            return (self.clone(), Some(error));
        };
        let keys: Vec<String> = table.keys().cloned().collect();
        let without = |dropped: &[&String]| -> Option<Settings> {
            let mut t = table.clone();
            t.retain(|k, _| !dropped.iter().any(|d| d.as_str() == k));
            let raw: RawSettings = toml::Value::Table(t).try_into().ok()?;
            self.over(raw, file).ok()
        };
        // The one key whose value is wrong, else the fewest in file order.
        let single = keys.iter().find_map(|k| Some((k, without(&[k])?)));
        let found = match single {
            Some((k, s)) => Some((vec![k.clone()], s)),
            None => (1..=keys.len()).find_map(|n| {
                let dropped: Vec<&String> = keys.iter().take(n).collect();
                Some((
                    dropped.iter().map(|k| k.to_string()).collect(),
                    without(&dropped)?,
                ))
            }),
        };
        match found {
            Some((dropped, s)) => (
                s,
                Some(format!(
                    "{error} (the rest of the file is used; not: {})",
                    dropped.join(", ")
                )),
            ),
            None => (self.clone(), Some(error)),
        }
    }

    /// The system file (`/etc/dctx/config.toml`) beneath the user's file:
    /// the system's settings are the user's defaults, and its `[guard]`,
    /// when it has one, is a floor no user file loosens
    /// ([`GuardSettings::with_floor`]). A system file that cannot be read
    /// or parsed leaves the user's settings, with the reason apart: the
    /// prompt keeps working and the guard fails safe.
    pub fn load_layered(fs: &dyn FileSystem, system: &Path, user: Option<&Path>) -> Layered {
        let label = |p: &Path| p.display().to_string();
        let system_raw = read_text(fs, system).and_then(|text| {
            text.map(|t| parse_raw(&t))
                .transpose()
                .map_err(|e| format!("could not parse {}: {e}", system.display()))
        });
        let (base, system_problem) = match system_raw {
            Ok(None) => (None, None),
            Ok(Some(raw)) => {
                let has_guard = raw.guard.is_some();
                match Settings::default().over(raw, Some(&label(system))) {
                    Ok(s) => (Some((s, has_guard)), None),
                    Err(e) => (
                        None,
                        Some(format!("could not parse {}: {e}", system.display())),
                    ),
                }
            }
            Err(e) => (None, Some(e)),
        };
        let (defaults, floor) = match &base {
            Some((s, true)) => (s.clone(), Some(s.guard.clone())),
            Some((s, false)) => (s.clone(), None),
            None => (Settings::default(), None),
        };
        let user_raw = match user {
            Some(path) => read_text(fs, path).map(|text| {
                text.map(|t| {
                    let (s, problem) = defaults.over_leniently(&t, Some(&label(path)));
                    (
                        s,
                        problem.map(|e| format!("could not parse {}: {e}", path.display())),
                    )
                })
            }),
            None => Ok(None),
        };
        let (mut settings, problem) = match user_raw {
            Ok(Some((s, problem))) => (s, problem),
            Ok(None) => (defaults.clone(), None),
            Err(e) => (defaults.clone(), Some(e)),
        };
        if let Some(floor) = floor {
            settings.guard = settings.guard.with_floor(floor);
        }
        Layered {
            settings,
            problem,
            system_problem,
            system_present: base.is_some() || system_problem_present(fs, system),
        }
    }

    /// [`Settings::load`] for a path that may be unknown (no home dir to
    /// find it under): the built-ins then.
    pub fn load_optional(fs: &dyn FileSystem, path: Option<&Path>) -> Loaded {
        match path {
            Some(path) => Settings::load(fs, path),
            None => Loaded {
                settings: Settings::default(),
                problem: None,
            },
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

/// The settings of one file ([`Settings::load`]).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What applies: the file's, with the built-ins for what it lacks or
    /// for the tables that could not be used.
    pub settings: Settings,
    /// Why the file, or a table of it, could not be used: a prompt flags
    /// it, and a caller that must fail safe (the guard) acts on it.
    pub problem: Option<String>,
}

/// The settings of both files ([`Settings::load_layered`]).
#[derive(Debug, Clone)]
pub struct Layered {
    pub settings: Settings,
    /// Why the user's file could not be used (then: the system's values).
    pub problem: Option<String>,
    /// Why the system file could not be used (then: the guard fails safe).
    pub system_problem: Option<String>,
    /// Whether the system file exists (used or not).
    pub system_present: bool,
}

/// The system settings file when `DCTX_SYSTEM_CONFIG` names none.
pub const SYSTEM_CONFIG: &str = "/etc/dctx/config.toml";

/// `DCTX_SYSTEM_CONFIG`, else [`SYSTEM_CONFIG`].
pub fn system_config_path(var: impl Fn(&str) -> Option<OsString>) -> PathBuf {
    var("DCTX_SYSTEM_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SYSTEM_CONFIG))
}

/// The file's text; `None` when there is no file.
fn read_text(fs: &dyn FileSystem, path: &Path) -> Result<Option<String>, String> {
    match fs.read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            format!(
                "could not parse {}: stream did not contain valid UTF-8",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("could not read {}: {e}", path.display())),
    }
}

/// Whether a system file that could not be used is there at all.
fn system_problem_present(fs: &dyn FileSystem, path: &Path) -> bool {
    !matches!(fs.read(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

fn parse_raw(text: &str) -> Result<RawSettings, String> {
    toml::from_str(text).map_err(|e| located(text, &e))
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
    #[test]
    fn a_broken_table_leaves_the_rest_of_the_file_in_force() {
        let fs = crate::MemFs::new().with(
            "/c.toml",
            "format = \"<{name}>\"\n[guard]\nmode = \"ask\"\n[[rule]]\npattern = \"x*\"\nstyle = \"red\"\n",
        );
        let Loaded {
            settings: s,
            problem,
        } = Settings::load(&fs, Path::new("/c.toml"));
        assert_eq!(s.format, "<{name}>");
        assert_eq!(s.rules.len(), 1);
        assert_eq!(s.guard, GuardSettings::default());
        let problem = problem.expect("the guard's problem is reported: the guard fails safe on it");
        assert!(
            problem.contains("guard.mode") && problem.contains("not: guard"),
            "{problem}"
        );
        // Not TOML at all: nothing of it is used.
        let fs = crate::MemFs::new().with("/c.toml", "format = \"<{name}>\"\n[guard\n");
        let loaded = Settings::load(&fs, Path::new("/c.toml"));
        assert_eq!(
            (loaded.settings.format.as_str(), loaded.problem.is_some()),
            ("{name}", true)
        );
    }

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
    fn parse_errors_say_line_and_column() {
        // Where a person's editor puts the cursor: lines and columns from 1.
        let e = Settings::parse("format = \"{name}\"\n\n[guard]\n  mode = 3\n").unwrap_err();
        assert!(e.starts_with("line 4, column 10: "), "{e}");
        let e = Settings::parse("hide = [\"é\", \"x\"\nformat = 1").unwrap_err();
        assert!(e.starts_with("line 2, column 1: "), "{e}");
        let e = Settings::parse("fromat = \"x\"").unwrap_err();
        assert!(e.starts_with("line 1, column 1: "), "{e}");
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
